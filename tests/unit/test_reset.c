/* test_reset.c: offline reset codes in the accounts store, with injected
 * time: valid for AUTH_RESET_CODE_TTL_MS, usable once, a limited number of
 * wrong tries, one code per user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cb.h"
#include "auth/account.h"
#include "t.h"

#define T0 1700000000000LL
#define CODE "ABCDE23456"
#define CODE2 "ZYXWV98765"

static char t_dir[64];

static struct account_store *
t_open(void)
{
	struct account_store *st = NULL;

	snprintf(t_dir, sizeof(t_dir), "/tmp/test_reset.XXXXXX");
	if (mkdtemp(t_dir) == NULL)
		return NULL;
	T_EQ_INT(account_open(&st, t_dir), 0);
	return st;
}

static void
t_close(struct account_store *st)
{
	char cmd[128];

	account_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", t_dir);
}

T_TEST(ttl_is_fifteen_minutes)
{
	T_EQ_INT(AUTH_RESET_CODE_TTL_MS, 15 * 60 * 1000);
}

T_TEST(valid_until_expiry)
{
	struct account_store *st = t_open();

	T_EQ_INT(account_reset_put(st, "taro", CODE,
	    T0 + AUTH_RESET_CODE_TTL_MS), 0);
	/* the last millisecond is still valid */
	T_EQ_INT(account_reset_take(st, "taro", CODE,
	    T0 + AUTH_RESET_CODE_TTL_MS - 1), 0);
	t_close(st);
}

T_TEST(expired)
{
	struct account_store *st = t_open();

	T_EQ_INT(account_reset_put(st, "taro", CODE,
	    T0 + AUTH_RESET_CODE_TTL_MS), 0);
	T_EQ_INT(account_reset_take(st, "taro", CODE,
	    T0 + AUTH_RESET_CODE_TTL_MS), CB_EAUTH);
	/* and it is gone: not valid again with an earlier clock */
	T_EQ_INT(account_reset_take(st, "taro", CODE, T0), CB_EAUTH);
	t_close(st);
}

/* account_reset_check: a right code stays (the new password may still be
 * refused for the person's name), a wrong one counts as a try. */
T_TEST(check_keeps_a_right_code)
{
	struct account_store *st = t_open();

	T_EQ_INT(account_reset_put(st, "taro", CODE, T0 + 1000), 0);
	T_EQ_INT(account_reset_check(st, "taro", CODE, T0), 0);
	T_EQ_INT(account_reset_check(st, "taro", CODE, T0), 0);
	for (int i = 0; i < ACCOUNT_RESET_TRIES_MAX - 1; i++)
		T_EQ_INT(account_reset_check(st, "taro", CODE2, T0), CB_EAUTH);
	T_EQ_INT(account_reset_take(st, "taro", CODE, T0), 0);
	T_EQ_INT(account_reset_check(st, "taro", CODE, T0), CB_EAUTH);
	/* Expired: gone, as with take. */
	T_EQ_INT(account_reset_put(st, "taro", CODE, T0 + 1000), 0);
	T_EQ_INT(account_reset_check(st, "taro", CODE, T0 + 1000), CB_EAUTH);
	T_EQ_INT(account_reset_take(st, "taro", CODE, T0), CB_EAUTH);
	t_close(st);
}

T_TEST(single_use)
{
	struct account_store *st = t_open();

	T_EQ_INT(account_reset_put(st, "taro", CODE, T0 + 1000), 0);
	T_EQ_INT(account_reset_take(st, "taro", CODE, T0), 0);
	T_EQ_INT(account_reset_take(st, "taro", CODE, T0), CB_EAUTH);
	t_close(st);
}

T_TEST(bound_to_user_and_replaced)
{
	struct account_store *st = t_open();

	T_EQ_INT(account_reset_put(st, "taro", CODE, T0 + 1000), 0);
	T_EQ_INT(account_reset_take(st, "hanako", CODE, T0), CB_EAUTH);
	T_EQ_INT(account_reset_put(st, "taro", CODE2, T0 + 1000), 0);
	T_EQ_INT(account_reset_take(st, "taro", CODE, T0), CB_EAUTH);
	T_EQ_INT(account_reset_take(st, "taro", CODE2, T0), 0);
	t_close(st);
}

T_TEST(wrong_tries_kill_the_code)
{
	struct account_store *st = t_open();
	int i;

	T_EQ_INT(account_reset_put(st, "taro", CODE, T0 + 1000), 0);
	for (i = 0; i < ACCOUNT_RESET_TRIES_MAX - 1; i++)
		T_EQ_INT(account_reset_take(st, "taro", CODE2, T0), CB_EAUTH);
	/* still alive after MAX - 1 wrong tries */
	T_EQ_INT(account_reset_take(st, "taro", CODE, T0), 0);
	T_EQ_INT(account_reset_put(st, "taro", CODE, T0 + 1000), 0);
	for (i = 0; i < ACCOUNT_RESET_TRIES_MAX; i++)
		T_EQ_INT(account_reset_take(st, "taro", CODE2, T0), CB_EAUTH);
	T_EQ_INT(account_reset_take(st, "taro", CODE, T0), CB_EAUTH);
	t_close(st);
}

T_TEST(drop)
{
	struct account_store *st = t_open();

	T_EQ_INT(account_reset_drop(st, "taro"), 0);
	T_EQ_INT(account_reset_put(st, "taro", CODE, T0 + 1000), 0);
	T_EQ_INT(account_reset_drop(st, "taro"), 0);
	T_EQ_INT(account_reset_take(st, "taro", CODE, T0), CB_EAUTH);
	t_close(st);
}

T_MAIN()
