/*
 * reset_grant.h: the platform's answer to an online password reset
 * request (docs/api.md "Online password reset"), a replicated document
 *
 *   {"_id":"password_reset_grant:<id>","type":"password_reset_grant",
 *    "user_id":"<uid>","request_id":"password_reset_request:<hex>",
 *    "salt":"<32 hex>","code_hash":"<64 hex>","expires_ms":<ms>,
 *    "issued_ms":<ms>?}
 *
 * with code_hash = hex SHA-256(salt bytes || code), code in the normal
 * form of an offline code (AUTH_RESET_CODE_LEN symbols of
 * AUTH_RESET_ALPHABET, upper case). Pure: no I/O, no clock (now is passed
 * in). The sync process parses what it pulled (reset_grant_parse); auth
 * checks the message again (reset_grant_check), trusting nothing.
 */
#ifndef RESET_GRANT_H
#define RESET_GRANT_H

#include <stddef.h>
#include <stdint.h>

#include "auth/authproto.h"

#define RESET_GRANT_PREFIX	"password_reset_grant:"
#define RESET_REQUEST_PREFIX	"password_reset_request:"
#define RESET_GRANT_DOC_MAX	4096	/* bytes of a grant document */
/* An expiry further ahead of the box's clock than this is refused: the
 * platform's codes live 15 minutes; an hour allows for clock skew. */
#define RESET_GRANT_AHEAD_MAX_MS	(60LL * 60 * 1000)
#define RESET_GRANT_WHY_MAX	128

/* 1 when json (len bytes) may be a grant document: a cheap look for the
 * id prefix, before parsing. */
int reset_grant_maybe(const char *json, size_t len);

/*
 * Parse a document pulled from the cloud into g (then reset_grant_check
 * it). CB_ENOTFOUND: not a grant, or a deleted one (nothing to do);
 * CB_EINVAL: a malformed grant, why names the field (never a value of
 * salt or code_hash).
 */
int reset_grant_parse(const char *json, size_t len,
    struct auth_reset_grant *g, char why[RESET_GRANT_WHY_MAX]);

/*
 * 0 when every field of g is well formed (ids, uid, lower-case hex of the
 * right length, each with its NUL) and now_ms < expires_ms <= now_ms +
 * RESET_GRANT_AHEAD_MAX_MS; else CB_EINVAL and why.
 */
int reset_grant_check(const struct auth_reset_grant *g, int64_t now_ms,
    char why[RESET_GRANT_WHY_MAX]);

/* The checked grant's salt and hash as bytes. */
void reset_grant_bytes(const struct auth_reset_grant *g,
    uint8_t salt[AUTH_GRANT_SALT_HEX / 2],
    uint8_t hash[AUTH_GRANT_HASH_HEX / 2]);

#endif
