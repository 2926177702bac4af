/*
 * session.c: the session cache. A fixed array of entries allocated at
 * start-up, a chained hash table over it (the key is already a SHA-256,
 * so its first bytes are the bucket), and a doubly linked LRU list. All
 * links are indexes; -1 ends a list.
 *
 * Invariants: an entry is in use iff it is on the LRU list iff it is in
 * exactly one bucket chain; c->sc_used counts them; the free list links
 * the others through e_next.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "api/session.h"
#include "base/cb.h"

#define SC_NIL (-1)

struct sc_entry {
	struct api_session e_s;
	int32_t e_next;			/* bucket chain or free list */
	int32_t e_lru_prev, e_lru_next;	/* prev = more recently used */
	int e_used;
};

struct api_scache {
	struct sc_entry *sc_entries;
	int32_t *sc_buckets;
	size_t sc_max, sc_nbuckets, sc_used;
	int32_t sc_free, sc_lru_head, sc_lru_tail;
};

int
api_token_hash(const uint8_t token[AUTH_TOKEN_LEN],
    uint8_t hash[API_SESSION_HASH_LEN])
{
	return mbedtls_sha256(token, AUTH_TOKEN_LEN, hash, 0) == 0 ?
	    CB_OK : CB_ECRYPTO;
}

int
api_scache_new(struct api_scache **out, size_t max_entries)
{
	struct api_scache *c;
	size_t i;

	*out = NULL;
	if (max_entries == 0 || max_entries > INT32_MAX / 4)
		return CB_EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CB_ENOMEM;
	c->sc_max = max_entries;
	for (c->sc_nbuckets = 16; c->sc_nbuckets < 2 * max_entries;)
		c->sc_nbuckets *= 2;
	c->sc_entries = calloc(max_entries, sizeof(*c->sc_entries));
	c->sc_buckets = malloc(c->sc_nbuckets * sizeof(*c->sc_buckets));
	if (c->sc_entries == NULL || c->sc_buckets == NULL) {
		api_scache_free(c);
		return CB_ENOMEM;
	}
	for (i = 0; i < c->sc_nbuckets; i++)
		c->sc_buckets[i] = SC_NIL;
	for (i = 0; i < max_entries; i++)
		c->sc_entries[i].e_next = i + 1 < max_entries ?
		    (int32_t)(i + 1) : SC_NIL;
	c->sc_free = 0;
	c->sc_lru_head = c->sc_lru_tail = SC_NIL;
	*out = c;
	return CB_OK;
}

void
api_scache_free(struct api_scache *c)
{
	if (c == NULL)
		return;
	if (c->sc_entries != NULL)
		cb_wipe(c->sc_entries, c->sc_max * sizeof(*c->sc_entries));
	free(c->sc_entries);
	free(c->sc_buckets);
	free(c);
}

size_t
api_scache_count(const struct api_scache *c)
{
	return c->sc_used;
}

static size_t
sc_bucket(const struct api_scache *c, const uint8_t *hash)
{
	uint64_t h;

	memcpy(&h, hash, sizeof(h));
	return (size_t)(h & (c->sc_nbuckets - 1));
}

static int32_t
sc_find(const struct api_scache *c, const uint8_t *hash)
{
	int32_t i = c->sc_buckets[sc_bucket(c, hash)];
	size_t n;

	for (n = 0; i != SC_NIL && n < c->sc_max; n++) {
		if (memcmp(c->sc_entries[i].e_s.as_hash, hash,
		    API_SESSION_HASH_LEN) == 0)
			return i;
		i = c->sc_entries[i].e_next;
	}
	return SC_NIL;
}

static void
sc_lru_unlink(struct api_scache *c, int32_t i)
{
	struct sc_entry *e = &c->sc_entries[i];

	if (e->e_lru_prev != SC_NIL)
		c->sc_entries[e->e_lru_prev].e_lru_next = e->e_lru_next;
	else
		c->sc_lru_head = e->e_lru_next;
	if (e->e_lru_next != SC_NIL)
		c->sc_entries[e->e_lru_next].e_lru_prev = e->e_lru_prev;
	else
		c->sc_lru_tail = e->e_lru_prev;
	e->e_lru_prev = e->e_lru_next = SC_NIL;
}

static void
sc_lru_push(struct api_scache *c, int32_t i)
{
	struct sc_entry *e = &c->sc_entries[i];

	e->e_lru_prev = SC_NIL;
	e->e_lru_next = c->sc_lru_head;
	if (c->sc_lru_head != SC_NIL)
		c->sc_entries[c->sc_lru_head].e_lru_prev = i;
	c->sc_lru_head = i;
	if (c->sc_lru_tail == SC_NIL)
		c->sc_lru_tail = i;
}

static void
sc_remove(struct api_scache *c, int32_t i)
{
	struct sc_entry *e = &c->sc_entries[i];
	int32_t *pp = &c->sc_buckets[sc_bucket(c, e->e_s.as_hash)];
	size_t n;

	assert(e->e_used && c->sc_used > 0);
	for (n = 0; *pp != i && *pp != SC_NIL && n < c->sc_max; n++)
		pp = &c->sc_entries[*pp].e_next;
	assert(*pp == i);
	*pp = e->e_next;
	sc_lru_unlink(c, i);
	cb_wipe(&e->e_s, sizeof(e->e_s));
	e->e_used = 0;
	e->e_next = c->sc_free;
	c->sc_free = i;
	c->sc_used--;
}

static int
sc_expired(const struct api_session *s, int64_t now_ms)
{
	return now_ms - s->as_created_ms >= AUTH_SESSION_ABS_MS ||
	    now_ms - s->as_last_seen_ms >= AUTH_SESSION_IDLE_MS;
}

int
api_scache_lookup(struct api_scache *c, const uint8_t *hash, int64_t now_ms,
    struct api_session *out, int *touch_due)
{
	int32_t i = sc_find(c, hash);
	struct api_session *s;

	*touch_due = 0;
	if (i == SC_NIL)
		return CB_ENOTFOUND;
	s = &c->sc_entries[i].e_s;
	if (sc_expired(s, now_ms)) {
		sc_remove(c, i);
		return CB_ESESSION;
	}
	s->as_last_seen_ms = now_ms;
	if (now_ms - s->as_touched_ms >= AUTH_TOUCH_INTERVAL_MS) {
		s->as_touched_ms = now_ms;
		*touch_due = 1;
	}
	sc_lru_unlink(c, i);
	sc_lru_push(c, i);
	*out = *s;
	return CB_OK;
}

void
api_scache_put(struct api_scache *c, const struct api_session *s)
{
	int32_t i = sc_find(c, s->as_hash);
	size_t b;

	if (i != SC_NIL)
		sc_remove(c, i);
	if (c->sc_free == SC_NIL)
		sc_remove(c, c->sc_lru_tail);
	i = c->sc_free;
	assert(i != SC_NIL);
	c->sc_free = c->sc_entries[i].e_next;
	c->sc_entries[i].e_s = *s;
	c->sc_entries[i].e_used = 1;
	b = sc_bucket(c, s->as_hash);
	c->sc_entries[i].e_next = c->sc_buckets[b];
	c->sc_buckets[b] = i;
	sc_lru_push(c, i);
	c->sc_used++;
}

void
api_scache_drop(struct api_scache *c, const uint8_t *hash)
{
	int32_t i = sc_find(c, hash);

	if (i != SC_NIL)
		sc_remove(c, i);
}

static int
sc_is_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

size_t
api_scache_drop_uid(struct api_scache *c, const char *uid,
    const uint8_t *keep)
{
	size_t i, n = 0;

	if (keep != NULL && sc_is_zero(keep, API_SESSION_HASH_LEN))
		keep = NULL;
	for (i = 0; i < c->sc_max; i++) {
		struct sc_entry *e = &c->sc_entries[i];

		if (!e->e_used || strncmp(e->e_s.as_user.au_uid, uid,
		    AUTH_UID_MAX) != 0)
			continue;
		if (keep != NULL && memcmp(e->e_s.as_hash, keep,
		    API_SESSION_HASH_LEN) == 0)
			continue;
		sc_remove(c, (int32_t)i);
		n++;
	}
	return n;
}
