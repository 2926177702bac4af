/*
 * session.h: web's cache of what auth said about sessions. Keyed by the
 * SHA-256 of the cookie token (the token itself is never stored here),
 * bounded, least recently used evicted first. It holds no secret that
 * auth does not hand out anyway: the CSRF token and the public view of the
 * user. Time comes in as an argument so that tests can drive it.
 */
#ifndef API_SESSION_H
#define API_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "auth/authproto.h"

#define API_SESSION_HASH_LEN	32	/* SHA-256 */

struct api_session {
	uint8_t as_hash[API_SESSION_HASH_LEN];
	uint8_t as_csrf[AUTH_CSRF_LEN];
	struct auth_user as_user;
	int64_t as_created_ms;		/* wall clock, from auth */
	int64_t as_last_seen_ms;	/* wall clock, last request */
	int64_t as_touched_ms;		/* last activity auth knows of */
};

struct api_scache;

int api_scache_new(struct api_scache **out, size_t max_entries);
void api_scache_free(struct api_scache *c);

/*
 * Find a live session. On a hit the entry is marked used (last seen = now,
 * most recently used), copied into *out, and *touch_due is set when auth
 * has not heard of it for AUTH_TOUCH_INTERVAL_MS (and the touch is then
 * counted as sent). An entry past its idle or absolute lifetime is dropped
 * and CB_ESESSION returned; a missing one gives CB_ENOTFOUND.
 */
int api_scache_lookup(struct api_scache *c, const uint8_t *hash,
    int64_t now_ms, struct api_session *out, int *touch_due);
/* Insert or replace; evicts the least recently used entry when full. */
void api_scache_put(struct api_scache *c, const struct api_session *s);
void api_scache_drop(struct api_scache *c, const uint8_t *hash);
/* Drop every session of uid except keep (NULL or all-zero: none). */
size_t api_scache_drop_uid(struct api_scache *c, const char *uid,
    const uint8_t *keep);
size_t api_scache_count(const struct api_scache *c);

/* hash = SHA-256(token). */
int api_token_hash(const uint8_t token[AUTH_TOKEN_LEN],
    uint8_t hash[API_SESSION_HASH_LEN]);

#endif
