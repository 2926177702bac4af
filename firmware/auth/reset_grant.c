/*
 * reset_grant.c: parsing and checking the platform's reset grants
 * (reset_grant.h). Strict: a grant installs a way into an account, so
 * anything unexpected refuses it.
 */
#include <stdio.h>
#include <string.h>

#include <yyjson.h>

#include "auth/account.h"
#include "auth/reset_grant.h"
#include "base/cb.h"

static const char *const grant_fields[] = { "type", "user_id",
    "request_id", "salt", "code_hash", "expires_ms", "issued_ms" };

int
reset_grant_maybe(const char *json, size_t len)
{
	static const char pat[] = "\"" RESET_GRANT_PREFIX;

	return len >= sizeof(pat) - 1 &&
	    memmem(json, len, pat, sizeof(pat) - 1) != NULL;
}

static int
why_set(char why[RESET_GRANT_WHY_MAX], const char *field, const char *what)
{
	snprintf(why, RESET_GRANT_WHY_MAX, "%s %s", field, what);
	return CB_EINVAL;
}

/* Copy string member f of o into out (size with NUL). */
static int
grant_str(yyjson_val *o, const char *f, char *out, size_t size,
    char why[RESET_GRANT_WHY_MAX])
{
	yyjson_val *v = yyjson_obj_get(o, f);
	size_t n;

	if (v == NULL)
		return why_set(why, f, "is missing");
	if (!yyjson_is_str(v))
		return why_set(why, f, "is not a string");
	n = yyjson_get_len(v);
	if (n == 0 || n >= size || memchr(yyjson_get_str(v), 0, n) != NULL)
		return why_set(why, f, "has a bad length");
	memcpy(out, yyjson_get_str(v), n + 1);
	return CB_OK;
}

static int
grant_fields_known(yyjson_val *root, char why[RESET_GRANT_WHY_MAX])
{
	yyjson_val *k, *v;
	size_t i, max, j;

	yyjson_obj_foreach(root, i, max, k, v) {
		const char *name = yyjson_get_str(k);

		if (name[0] == '_')
			continue;	/* _id, _rev, _revisions: replication */
		for (j = 0; j < CB_ARRAY_LEN(grant_fields); j++)
			if (strcmp(name, grant_fields[j]) == 0)
				break;
		if (j == CB_ARRAY_LEN(grant_fields))
			return why_set(why, "a field", "is unknown");
	}
	return CB_OK;
}

static int
grant_root(yyjson_val *root, struct auth_reset_grant *g,
    char why[RESET_GRANT_WHY_MAX])
{
	yyjson_val *id = yyjson_obj_get(root, "_id"), *v;
	const size_t pl = sizeof(RESET_GRANT_PREFIX) - 1;
	const char *s;
	int rc;

	if (!yyjson_is_str(id) || yyjson_get_len(id) <= pl ||
	    strncmp(yyjson_get_str(id), RESET_GRANT_PREFIX, pl) != 0)
		return CB_ENOTFOUND;
	if (yyjson_is_true(yyjson_obj_get(root, "_deleted")))
		return CB_ENOTFOUND;
	if (yyjson_get_len(id) - pl >= sizeof(g->arg_id) ||
	    memchr(yyjson_get_str(id), 0, yyjson_get_len(id)) != NULL)
		return why_set(why, "_id", "is too long");
	memcpy(g->arg_id, yyjson_get_str(id) + pl, yyjson_get_len(id) - pl + 1);
	if ((rc = grant_fields_known(root, why)) != CB_OK)
		return rc;
	s = yyjson_get_str(yyjson_obj_get(root, "type"));
	if (s == NULL || strcmp(s, "password_reset_grant") != 0)
		return why_set(why, "type", "is not password_reset_grant");
	if ((rc = grant_str(root, "user_id", g->arg_uid, sizeof(g->arg_uid),
	    why)) != CB_OK || (rc = grant_str(root, "request_id",
	    g->arg_request, sizeof(g->arg_request), why)) != CB_OK ||
	    (rc = grant_str(root, "salt", g->arg_salt, sizeof(g->arg_salt),
	    why)) != CB_OK || (rc = grant_str(root, "code_hash", g->arg_hash,
	    sizeof(g->arg_hash), why)) != CB_OK)
		return rc;
	v = yyjson_obj_get(root, "expires_ms");
	if (!yyjson_is_int(v))
		return why_set(why, "expires_ms", "is not an integer");
	g->arg_expires_ms = yyjson_get_sint(v);
	v = yyjson_obj_get(root, "issued_ms");
	if (v != NULL && !yyjson_is_int(v))
		return why_set(why, "issued_ms", "is not an integer");
	return CB_OK;
}

int
reset_grant_parse(const char *json, size_t len, struct auth_reset_grant *g,
    char why[RESET_GRANT_WHY_MAX])
{
	yyjson_doc *d;
	yyjson_val *root;
	int rc;

	memset(g, 0, sizeof(*g));
	why[0] = 0;
	if (!reset_grant_maybe(json, len))
		return CB_ENOTFOUND;
	if (len > RESET_GRANT_DOC_MAX)
		return why_set(why, "the document", "is too large");
	if ((d = yyjson_read(json, len, 0)) == NULL)
		return why_set(why, "the document", "is not JSON");
	root = yyjson_doc_get_root(d);
	rc = yyjson_is_obj(root) ? grant_root(root, g, why) : CB_ENOTFOUND;
	yyjson_doc_free(d);
	if (rc != CB_OK) {
		char id[AUTH_GRANT_ID_MAX];

		memcpy(id, g->arg_id, sizeof(id));
		memset(g, 0, sizeof(*g));
		memcpy(g->arg_id, id, sizeof(id));	/* for the log */
	}
	return rc;
}

/* Exactly n lower-case hex digits, then the NUL within size. */
static int
hex_ok(const char *s, size_t size, size_t n)
{
	size_t i;

	if (memchr(s, 0, size) == NULL || strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* [A-Za-z0-9_-]{1,}, NUL within size, optionally after prefix. */
static int
id_ok(const char *s, size_t size, const char *prefix)
{
	size_t pl = prefix ? strlen(prefix) : 0, i;

	if (memchr(s, 0, size) == NULL || (pl && strncmp(s, prefix, pl) != 0))
		return 0;
	s += pl;
	for (i = 0; s[i] != 0; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return i > 0;
}

int
reset_grant_check(const struct auth_reset_grant *g, int64_t now_ms,
    char why[RESET_GRANT_WHY_MAX])
{
	why[0] = 0;
	if (!id_ok(g->arg_id, sizeof(g->arg_id), NULL))
		return why_set(why, "_id", "is not a grant id");
	if (memchr(g->arg_uid, 0, sizeof(g->arg_uid)) == NULL ||
	    !account_uid_valid(g->arg_uid))
		return why_set(why, "user_id", "is not a user id");
	if (!id_ok(g->arg_request, sizeof(g->arg_request),
	    RESET_REQUEST_PREFIX))
		return why_set(why, "request_id", "is not a request id");
	if (!hex_ok(g->arg_salt, sizeof(g->arg_salt), AUTH_GRANT_SALT_HEX))
		return why_set(why, "salt", "is not 32 lower-case hex digits");
	if (!hex_ok(g->arg_hash, sizeof(g->arg_hash), AUTH_GRANT_HASH_HEX))
		return why_set(why, "code_hash",
		    "is not 64 lower-case hex digits");
	if (g->arg_expires_ms <= now_ms)
		return why_set(why, "expires_ms", "has passed");
	if (g->arg_expires_ms - now_ms > RESET_GRANT_AHEAD_MAX_MS)
		return why_set(why, "expires_ms",
		    "is more than an hour ahead of the box's clock");
	return CB_OK;
}

void
reset_grant_bytes(const struct auth_reset_grant *g,
    uint8_t salt[AUTH_GRANT_SALT_HEX / 2],
    uint8_t hash[AUTH_GRANT_HASH_HEX / 2])
{
	size_t i;

	for (i = 0; i < AUTH_GRANT_SALT_HEX / 2; i++)
		salt[i] = (uint8_t)(cb_hexval(g->arg_salt[2 * i]) << 4 |
		    cb_hexval(g->arg_salt[2 * i + 1]));
	for (i = 0; i < AUTH_GRANT_HASH_HEX / 2; i++)
		hash[i] = (uint8_t)(cb_hexval(g->arg_hash[2 * i]) << 4 |
		    cb_hexval(g->arg_hash[2 * i + 1]));
}
