/* test_account.c: the accounts store on a real LMDB env in a temp dir. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cb.h"
#include "auth/account.h"
#include "t.h"

#define T0 1700000000000LL
#define PHC "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$" \
	"Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8"

static char t_dir[64];

static struct account_store *
t_open(void)
{
	struct account_store *st = NULL;

	snprintf(t_dir, sizeof(t_dir), "/tmp/test_account.XXXXXX");
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

static int
t_add(struct account_store *st, const char *uid, uint32_t role)
{
	struct auth_user u;

	memset(&u, 0, sizeof(u));
	cb_strlcpy(u.au_uid, uid, sizeof(u.au_uid));
	cb_strlcpy(u.au_name, "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e",
	    sizeof(u.au_name));	/* 山田 太郎 */
	u.au_role = role;
	return account_create(st, &u, PHC, USER_F_MUST_CHANGE, T0, NULL);
}

T_TEST(create_get_modes)
{
	struct account_store *st = t_open();
	struct auth_user u;
	char phc[PASSWORD_PHC_MAX], path[128];
	struct stat sb;

	T_EQ_INT(t_add(st, "taro", ROLE_TEACHER), 0);
	T_EQ_INT(t_add(st, "taro", ROLE_TEACHER), CB_EEXIST);
	T_EQ_INT(t_add(st, "Taro", ROLE_TEACHER), CB_EINVAL);
	T_EQ_INT(t_add(st, "ab", ROLE_TEACHER), CB_EINVAL);
	T_EQ_INT(t_add(st, "ok.id_1-x", 99), CB_EINVAL);
	T_EQ_INT(account_get_hash(st, "taro", &u, phc, sizeof(phc)), 0);
	T_EQ_STR(u.au_uid, "taro");
	T_EQ_INT(u.au_state, USER_ACTIVE);
	T_EQ_INT(u.au_flags, USER_F_MUST_CHANGE);
	T_EQ_STR(phc, PHC);
	T_EQ_INT(account_get(st, "nobody", &u), CB_ENOTFOUND);
	T_EQ_INT(stat(t_dir, &sb), 0);
	T_EQ_INT(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/data.mdb", t_dir);
	T_EQ_INT(stat(path, &sb), 0);
	T_EQ_INT(sb.st_mode & 0777, 0600);
	t_close(st);
}

T_TEST(parent_links)
{
	struct account_store *st = t_open();
	struct auth_user u;

	T_EQ_INT(t_add(st, "kid1", ROLE_STUDENT), 0);
	T_EQ_INT(t_add(st, "teacher1", ROLE_TEACHER), 0);
	memset(&u, 0, sizeof(u));
	cb_strlcpy(u.au_uid, "mama", sizeof(u.au_uid));
	cb_strlcpy(u.au_name, "Mama", sizeof(u.au_name));
	u.au_role = ROLE_PARENT;
	u.au_nlinks = 1;
	cb_strlcpy(u.au_links[0], "teacher1", AUTH_UID_MAX);
	T_EQ_INT(account_create(st, &u, PHC, 0, T0, NULL), CB_ENOTFOUND);
	cb_strlcpy(u.au_links[0], "ghost", AUTH_UID_MAX);
	T_EQ_INT(account_create(st, &u, PHC, 0, T0, NULL), CB_ENOTFOUND);
	cb_strlcpy(u.au_links[0], "kid1", AUTH_UID_MAX);
	T_EQ_INT(account_create(st, &u, PHC, 0, T0, NULL), 0);
	T_EQ_INT(account_get(st, "mama", &u), 0);
	T_EQ_INT(u.au_nlinks, 1);
	T_EQ_STR(u.au_links[0], "kid1");
	t_close(st);
}

T_TEST(list_cursor)
{
	struct account_store *st = t_open();
	struct auth_user out[4];
	size_t n;
	int more;
	char uid[16];

	for (int i = 0; i < 10; i++) {
		snprintf(uid, sizeof(uid), "user%02d", i);
		T_EQ_INT(t_add(st, uid, ROLE_STUDENT), 0);
	}
	T_EQ_INT(account_list(st, "", 4, out, &n, &more), 0);
	T_EQ_INT(n, 4);
	T_EQ_INT(more, 1);
	T_EQ_STR(out[0].au_uid, "user00");
	T_EQ_INT(account_list(st, out[3].au_uid, 4, out, &n, &more), 0);
	T_EQ_STR(out[0].au_uid, "user04");
	T_EQ_INT(account_list(st, "user07", 4, out, &n, &more), 0);
	T_EQ_INT(n, 2);
	T_EQ_INT(more, 0);
	T_EQ_STR(out[1].au_uid, "user09");
	T_EQ_INT(account_list(st, "user05x", 4, out, &n, &more), 0);
	T_EQ_STR(out[0].au_uid, "user06");
	t_close(st);
}

T_TEST(suspend_delete_tombstone)
{
	struct account_store *st = t_open();
	struct auth_user u;
	char phc[PASSWORD_PHC_MAX];
	uint8_t h[ACCOUNT_HASH_LEN] = { 1 }, csrf[AUTH_CSRF_LEN] = { 2 };
	struct account_session s;

	T_EQ_INT(t_add(st, "kid1", ROLE_STUDENT), 0);
	T_EQ_INT(account_session_create(st, h, "kid1", csrf, T0), 0);
	T_EQ_INT(account_session_get(st, h, T0 + 1, &s, &u), 0);
	T_EQ_INT(account_apply(st, "kid1", USER_OP_SUSPEND, &u), 0);
	T_EQ_INT(u.au_state, USER_SUSPENDED);
	T_EQ_INT(account_session_get(st, h, T0 + 2, &s, &u), CB_ESESSION);
	T_EQ_INT(account_apply(st, "kid1", USER_OP_SUSPEND, &u), CB_ESTATE);
	T_EQ_INT(account_apply(st, "kid1", USER_OP_REACTIVATE, &u), 0);
	T_EQ_INT(u.au_state, USER_ACTIVE);
	T_EQ_INT(account_apply(st, "kid1", USER_OP_GRANT_ADMIN, &u), CB_EINVAL);
	T_EQ_INT(account_apply(st, "kid1", USER_OP_DELETE, &u), 0);
	T_EQ_INT(account_get_hash(st, "kid1", &u, phc, sizeof(phc)), 0);
	T_EQ_INT(u.au_state, USER_DELETED);
	T_EQ_STR(phc, "");
	T_EQ_STR(u.au_name, "");
	T_EQ_INT(account_apply(st, "kid1", USER_OP_REACTIVATE, &u), CB_ESTATE);
	T_EQ_INT(t_add(st, "kid1", ROLE_STUDENT), CB_EEXIST);
	t_close(st);
}

T_TEST(last_admin)
{
	struct account_store *st = t_open();
	struct auth_user u;
	size_t n;

	T_EQ_INT(t_add(st, "admin", ROLE_ADMIN), 0);
	T_EQ_INT(t_add(st, "sensei", ROLE_TEACHER), 0);
	T_EQ_INT(account_count_admins(st, &n), 0);
	T_EQ_INT(n, 1);
	T_EQ_INT(account_apply(st, "admin", USER_OP_SUSPEND, &u), CB_ELASTADMIN);
	T_EQ_INT(account_apply(st, "admin", USER_OP_DELETE, &u), CB_ELASTADMIN);
	T_EQ_INT(account_apply(st, "sensei", USER_OP_GRANT_ADMIN, &u), 0);
	T_ASSERT(u.au_flags & USER_F_ADMIN);
	T_EQ_INT(account_apply(st, "admin", USER_OP_SUSPEND, &u), 0);
	T_EQ_INT(account_apply(st, "sensei", USER_OP_REVOKE_ADMIN, &u),
	    CB_ELASTADMIN);
	T_EQ_INT(account_apply(st, "admin", USER_OP_REACTIVATE, &u), 0);
	T_EQ_INT(account_apply(st, "sensei", USER_OP_REVOKE_ADMIN, &u), 0);
	T_ASSERT(!(u.au_flags & USER_F_ADMIN));
	/* The only admin left: refused as the last admin. */
	T_EQ_INT(account_apply(st, "admin", USER_OP_REVOKE_ADMIN, &u),
	    CB_ELASTADMIN);
	/* With another admin, an admin-role account still keeps admin. */
	T_EQ_INT(account_apply(st, "sensei", USER_OP_GRANT_ADMIN, &u), 0);
	T_EQ_INT(account_apply(st, "admin", USER_OP_REVOKE_ADMIN, &u),
	    CB_ESTATE);
	t_close(st);
}

T_TEST(session_expiry_and_touch)
{
	struct account_store *st = t_open();
	struct auth_user u;
	struct account_session s;
	uint8_t h[ACCOUNT_HASH_LEN] = { 7 }, h2[ACCOUNT_HASH_LEN] = { 8 };
	uint8_t csrf[AUTH_CSRF_LEN] = { 9 };
	int64_t t = T0;
	size_t n;

	T_EQ_INT(t_add(st, "taro", ROLE_TEACHER), 0);
	T_EQ_INT(account_session_create(st, h, "taro", csrf, t), 0);
	T_EQ_INT(account_session_create(st, h2, "taro", csrf, t), 0);
	/* Touching every 20 minutes keeps it alive until the 12 h cap. */
	for (int i = 0; i < 35; i++) {
		t += 20 * 60 * 1000;
		T_EQ_INT(account_session_touch(st, h, t), 0);
	}
	T_EQ_INT(account_session_get(st, h, t, &s, &u), 0);
	T_EQ_INT(s.as_last_seen_ms, t);
	T_ASSERT(memcmp(s.as_csrf, csrf, sizeof(csrf)) == 0);
	/* h2 idle since T0: purged. */
	T_EQ_INT(account_sessions_purge(st, t, 100, &n), 0);
	T_EQ_INT(n, 1);
	T_EQ_INT(account_session_get(st, h2, t, &s, &u), CB_ESESSION);
	t += 2 * 60 * 60 * 1000;	/* past 12 h of age */
	T_EQ_INT(account_session_get(st, h, t, &s, &u), CB_ESESSION);
	t_close(st);
}

T_TEST(end_user_sessions_keep_one)
{
	struct account_store *st = t_open();
	struct auth_user u;
	struct account_session s;
	uint8_t h[5][ACCOUNT_HASH_LEN], csrf[AUTH_CSRF_LEN] = { 0 };
	size_t n;

	T_EQ_INT(t_add(st, "taro", ROLE_TEACHER), 0);
	for (int i = 0; i < 5; i++) {
		memset(h[i], i + 1, ACCOUNT_HASH_LEN);
		T_EQ_INT(account_session_create(st, h[i], "taro", csrf, T0), 0);
	}
	T_EQ_INT(account_sessions_end_user(st, "taro", h[2], &n), 0);
	T_EQ_INT(n, 4);
	T_EQ_INT(account_session_get(st, h[2], T0, &s, &u), 0);
	T_EQ_INT(account_session_get(st, h[0], T0, &s, &u), CB_ESESSION);
	t_close(st);
}

T_TEST(sessions_capped_per_user)
{
	struct account_store *st = t_open();
	struct auth_user u;
	struct account_session s;
	uint8_t h[ACCOUNT_HASH_LEN], first[ACCOUNT_HASH_LEN];
	uint8_t csrf[AUTH_CSRF_LEN] = { 0 };

	T_EQ_INT(t_add(st, "taro", ROLE_TEACHER), 0);
	for (int i = 0; i < ACCOUNT_SESSIONS_PER_USER + 3; i++) {
		memset(h, 0, sizeof(h));
		h[0] = (uint8_t)i;
		h[1] = 0x5a;
		if (i == 0)
			memcpy(first, h, sizeof(h));
		T_EQ_INT(account_session_create(st, h, "taro", csrf, T0 + i), 0);
	}
	T_EQ_INT(account_session_get(st, first, T0 + 100, &s, &u), CB_ESESSION);
	T_EQ_INT(account_session_get(st, h, T0 + 100, &s, &u), 0);
	t_close(st);
}

T_TEST(bootstrap)
{
	char dir[64] = "/tmp/test_boot.XXXXXX", pw[32], cmd[128];
	struct account_store *st;
	struct auth_user u;
	char phc[PASSWORD_PHC_MAX];

	T_ASSERT(mkdtemp(dir) != NULL);
	T_EQ_INT(account_bootstrap_admin(dir, pw, sizeof(pw)), 0);
	T_EQ_INT((int)strlen(pw), PASSWORD_INITIAL_LEN);
	T_EQ_INT(account_bootstrap_admin(dir, pw, sizeof(pw)), CB_EEXIST);
	T_EQ_INT(account_open(&st, dir), 0);
	T_EQ_INT(account_get_hash(st, "admin", &u, phc, sizeof(phc)), 0);
	T_EQ_INT(u.au_role, ROLE_ADMIN);
	T_EQ_INT(u.au_flags, USER_F_ADMIN | USER_F_MUST_CHANGE);
	T_EQ_STR(u.au_name, "\xe7\xae\xa1\xe7\x90\x86\xe8\x80\x85");
	account_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	T_EQ_INT(system(cmd), 0);
}

T_MAIN()
