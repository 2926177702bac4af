/*
 * throttle.c: two bounded tables of failure counters. Lookup is a linear
 * scan: a login already costs an Argon2 hash (~60 ms), next to which
 * scanning 4096 short keys (~10 us) is noise, and the scan keeps the
 * eviction rule simple and exact.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "auth/throttle.h"

struct throttle_entry {
	char te_key[THROTTLE_KEY_MAX];	/* "" = free slot */
	uint32_t te_failures;		/* within the window */
	int64_t te_last_fail_ms;
	int64_t te_next_ok_ms;		/* no attempt before this */
	int64_t te_used_ms;		/* for LRU eviction */
};

struct throttle_table {
	struct throttle_entry *tt_entries;
	size_t tt_size;
	uint32_t tt_free_failures;
};

struct throttle {
	struct throttle_table t_accounts;
	struct throttle_table t_addrs;
};

static int
table_init(struct throttle_table *tt, size_t n, uint32_t free_failures)
{
	tt->tt_entries = calloc(n, sizeof(*tt->tt_entries));
	tt->tt_size = n;
	tt->tt_free_failures = free_failures;
	return tt->tt_entries ? 0 : CB_ENOMEM;
}

int
throttle_new(struct throttle **out, size_t n_accounts, size_t n_addrs)
{
	struct throttle *t;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return CB_ENOMEM;
	if (table_init(&t->t_accounts, n_accounts ? n_accounts :
	    THROTTLE_ACCOUNTS_MAX, THROTTLE_FREE_FAILURES) != 0 ||
	    table_init(&t->t_addrs, n_addrs ? n_addrs : THROTTLE_ADDRS_MAX,
	    THROTTLE_ADDR_FREE_FAILURES) != 0) {
		throttle_free(t);
		return CB_ENOMEM;
	}
	*out = t;
	return 0;
}

void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	free(t->t_accounts.tt_entries);
	free(t->t_addrs.tt_entries);
	free(t);
}

static struct throttle_entry *
table_find(struct throttle_table *tt, const char *key)
{
	for (size_t i = 0; i < tt->tt_size; i++)
		if (strncmp(tt->tt_entries[i].te_key, key,
		    THROTTLE_KEY_MAX) == 0)
			return &tt->tt_entries[i];
	return NULL;
}

/* True if e is better to evict than best: free first, then entries not
 * holding anyone back, least recently used first; else the earliest end. */
static int
evict_before(const struct throttle_entry *e,
    const struct throttle_entry *best, int64_t now_ms)
{
	int e_wait = e->te_next_ok_ms > now_ms;
	int b_wait = best->te_next_ok_ms > now_ms;

	if (e->te_key[0] == '\0' || best->te_key[0] == '\0')
		return e->te_key[0] == '\0' && best->te_key[0] != '\0';
	if (e_wait != b_wait)
		return !e_wait;
	if (!e_wait)
		return e->te_used_ms < best->te_used_ms;
	return e->te_next_ok_ms < best->te_next_ok_ms;
}

/* The entry of key, taking a slot (evicting one if need be). */
static struct throttle_entry *
table_get(struct throttle_table *tt, const char *key, int64_t now_ms)
{
	struct throttle_entry *e = table_find(tt, key), *best;

	if (e != NULL)
		return e;
	best = &tt->tt_entries[0];
	for (size_t i = 1; i < tt->tt_size; i++)
		if (evict_before(&tt->tt_entries[i], best, now_ms))
			best = &tt->tt_entries[i];
	memset(best, 0, sizeof(*best));
	cb_strlcpy(best->te_key, key, sizeof(best->te_key));
	return best;
}

static void
entry_expire(struct throttle_entry *e, int64_t now_ms)
{
	if (e->te_failures > 0 && now_ms - e->te_last_fail_ms >
	    THROTTLE_WINDOW_MS && now_ms >= e->te_next_ok_ms)
		e->te_failures = 0;
}

static int64_t
table_wait_ms(struct throttle_table *tt, const char *key, int64_t now_ms)
{
	struct throttle_entry *e;

	if (key == NULL || key[0] == '\0' ||
	    (e = table_find(tt, key)) == NULL)
		return 0;
	e->te_used_ms = now_ms;
	entry_expire(e, now_ms);
	return e->te_next_ok_ms > now_ms ? e->te_next_ok_ms - now_ms : 0;
}

int
throttle_check(struct throttle *t, const char *uid, const char *addr,
    int64_t now_ms, uint32_t *retry_after_s)
{
	int64_t w1 = table_wait_ms(&t->t_accounts, uid, now_ms);
	int64_t w2 = table_wait_ms(&t->t_addrs, addr, now_ms);
	int64_t w = w1 > w2 ? w1 : w2;

	*retry_after_s = 0;
	if (w <= 0)
		return 0;
	*retry_after_s = (uint32_t)((w + 999) / 1000);
	return CB_ETHROTTLED;
}

static void
table_failure(struct throttle_table *tt, const char *key, int64_t now_ms)
{
	struct throttle_entry *e;
	uint32_t over;
	int64_t delay;

	if (key == NULL || key[0] == '\0')
		return;
	e = table_get(tt, key, now_ms);
	entry_expire(e, now_ms);
	if (e->te_failures < UINT32_MAX)
		e->te_failures++;
	e->te_last_fail_ms = now_ms;
	e->te_used_ms = now_ms;
	if (e->te_failures < tt->tt_free_failures)
		return;
	over = e->te_failures - tt->tt_free_failures;
	delay = THROTTLE_DELAY_MIN_MS;
	for (uint32_t i = 0; i < over && delay < THROTTLE_DELAY_MAX_MS; i++)
		delay *= 2;
	if (delay > THROTTLE_DELAY_MAX_MS)
		delay = THROTTLE_DELAY_MAX_MS;
	e->te_next_ok_ms = now_ms + delay;
}

void
throttle_failure(struct throttle *t, const char *uid, const char *addr,
    int64_t now_ms)
{
	table_failure(&t->t_accounts, uid, now_ms);
	table_failure(&t->t_addrs, addr, now_ms);
}

void
throttle_success(struct throttle *t, const char *uid, int64_t now_ms)
{
	struct throttle_entry *e = table_find(&t->t_accounts, uid);

	(void)now_ms;
	if (e != NULL)
		memset(e, 0, sizeof(*e));
}

size_t
throttle_count(const struct throttle *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->t_accounts.tt_size; i++)
		n += t->t_accounts.tt_entries[i].te_key[0] != '\0';
	for (size_t i = 0; i < t->t_addrs.tt_size; i++)
		n += t->t_addrs.tt_entries[i].te_key[0] != '\0';
	return n;
}
