/* test_throttle.c: growing delays, reset, per address, bounded table. */
#include <stdio.h>

#include "base/cb.h"
#include "auth/throttle.h"
#include "t.h"

#define T0 1000000000LL

T_TEST(free_failures_then_doubling)
{
	struct throttle *t;
	uint32_t retry;
	int64_t now = T0;

	T_EQ_INT(throttle_new(&t, 16, 16), 0);
	for (int i = 0; i < THROTTLE_FREE_FAILURES - 1; i++) {
		T_EQ_INT(throttle_check(t, "taro", "10.0.0.1", now, &retry), 0);
		throttle_failure(t, "taro", "10.0.0.1", now);
	}
	T_EQ_INT(throttle_check(t, "taro", "10.0.0.1", now, &retry), 0);
	throttle_failure(t, "taro", "10.0.0.1", now);	/* 5th */
	T_EQ_INT(throttle_check(t, "taro", "10.0.0.2", now, &retry),
	    CB_ETHROTTLED);
	T_EQ_INT(retry, 1);
	now += 1000;
	T_EQ_INT(throttle_check(t, "taro", "10.0.0.2", now, &retry), 0);
	throttle_failure(t, "taro", "10.0.0.2", now);	/* 6th: 2 s */
	T_EQ_INT(throttle_check(t, "taro", NULL, now + 500, &retry),
	    CB_ETHROTTLED);
	T_EQ_INT(retry, 2);
	for (int i = 0; i < 30; i++) {
		now += THROTTLE_DELAY_MAX_MS;
		throttle_failure(t, "taro", NULL, now);
	}
	T_EQ_INT(throttle_check(t, "taro", NULL, now, &retry), CB_ETHROTTLED);
	T_EQ_INT(retry, THROTTLE_DELAY_MAX_MS / 1000);	/* capped */
	/* Another account is not affected. */
	T_EQ_INT(throttle_check(t, "hanako", NULL, now, &retry), 0);
	throttle_free(t);
}

T_TEST(success_resets_account_not_address)
{
	struct throttle *t;
	uint32_t retry;

	T_EQ_INT(throttle_new(&t, 16, 16), 0);
	for (int i = 0; i < THROTTLE_FREE_FAILURES; i++)
		throttle_failure(t, "taro", "10.0.0.1", T0);
	T_EQ_INT(throttle_check(t, "taro", NULL, T0, &retry), CB_ETHROTTLED);
	throttle_success(t, "taro", T0);
	T_EQ_INT(throttle_check(t, "taro", NULL, T0, &retry), 0);
	throttle_failure(t, "taro", NULL, T0);
	T_EQ_INT(throttle_check(t, "taro", NULL, T0, &retry), 0);
	throttle_free(t);
}

T_TEST(window_forgets)
{
	struct throttle *t;
	uint32_t retry;

	T_EQ_INT(throttle_new(&t, 16, 16), 0);
	for (int i = 0; i < THROTTLE_FREE_FAILURES - 1; i++)
		throttle_failure(t, "taro", NULL, T0);
	throttle_failure(t, "taro", NULL, T0 + THROTTLE_WINDOW_MS + 1);
	T_EQ_INT(throttle_check(t, "taro", NULL, T0 + THROTTLE_WINDOW_MS + 1,
	    &retry), 0);
	throttle_free(t);
}

T_TEST(per_address)
{
	struct throttle *t;
	uint32_t retry;
	char uid[32];

	T_EQ_INT(throttle_new(&t, 64, 16), 0);
	/* One address trying many accounts, each only once. */
	for (int i = 0; i < THROTTLE_ADDR_FREE_FAILURES; i++) {
		snprintf(uid, sizeof(uid), "user%d", i);
		throttle_failure(t, uid, "192.0.2.7", T0);
	}
	T_EQ_INT(throttle_check(t, "fresh", "192.0.2.7", T0, &retry),
	    CB_ETHROTTLED);
	T_EQ_INT(throttle_check(t, "fresh", "192.0.2.8", T0, &retry), 0);
	/* A success does not launder the address. */
	throttle_success(t, "fresh", T0);
	T_EQ_INT(throttle_check(t, "fresh", "192.0.2.7", T0, &retry),
	    CB_ETHROTTLED);
	throttle_free(t);
}

T_TEST(bounded_keeps_locked)
{
	struct throttle *t;
	uint32_t retry;
	char uid[32];

	T_EQ_INT(throttle_new(&t, 8, 8), 0);
	for (int i = 0; i < THROTTLE_FREE_FAILURES; i++)
		throttle_failure(t, "victim", NULL, T0);
	/* A flood of other ids does not evict the locked entry. */
	for (int i = 0; i < 1000; i++) {
		snprintf(uid, sizeof(uid), "flood%d", i);
		throttle_failure(t, uid, NULL, T0 + 1);
	}
	T_ASSERT(throttle_count(t) <= 16);
	T_EQ_INT(throttle_check(t, "victim", NULL, T0 + 1, &retry),
	    CB_ETHROTTLED);
	throttle_free(t);
}

T_MAIN()
