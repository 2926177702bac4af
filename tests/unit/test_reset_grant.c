/* test_reset_grant.c: the platform's password reset grants
 * (auth/reset_grant.c): parsing what sync pulled and the checks auth makes
 * again, with injected time; and the account store taking a grant id once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "auth/account.h"
#include "auth/reset_grant.h"
#include "base/cb.h"
#include "t.h"

#define T0 1700000000000LL
#define SALT "00112233445566778899aabbccddeeff"
#define HASH "a3f1c0de00112233445566778899aabbccddeeff00112233445566778899aabb"

static char doc[2048];

/* A good grant, with field f replaced by the JSON value v (or dropped
 * when v is NULL; f NULL: none changed). */
static const char *
grant(const char *f, const char *v)
{
	static const char *const names[] = { "type", "user_id", "request_id",
	    "salt", "code_hash", "expires_ms" };
	char vals[6][128];
	size_t n = 0;

	snprintf(vals[0], 128, "\"password_reset_grant\"");
	snprintf(vals[1], 128, "\"s2026001\"");
	snprintf(vals[2], 128, "\"password_reset_request:0123abcd\"");
	snprintf(vals[3], 128, "\"%s\"", SALT);
	snprintf(vals[4], 128, "\"%s\"", HASH);
	snprintf(vals[5], 128, "%lld", T0 + 600000);
	n += (size_t)snprintf(doc + n, sizeof(doc) - n,
	    "{\"_id\":\"password_reset_grant:g-1\",\"_rev\":\"1-abc\"");
	for (size_t i = 0; i < 6; i++) {
		const char *val = vals[i];

		if (f != NULL && strcmp(f, names[i]) == 0) {
			if (v == NULL)
				continue;
			val = v;
		}
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, ",\"%s\":%s",
		    names[i], val);
	}
	if (f != NULL && v != NULL && strcmp(f, "extra") == 0)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, ",\"extra\":%s",
		    v);
	snprintf(doc + n, sizeof(doc) - n, "}");
	return doc;
}

static int
parse_check(const char *json, int64_t now, char why[RESET_GRANT_WHY_MAX])
{
	struct auth_reset_grant g;
	int rc = reset_grant_parse(json, strlen(json), &g, why);

	return rc != CB_OK ? rc : reset_grant_check(&g, now, why);
}

T_TEST(good_grant)
{
	struct auth_reset_grant g;
	char why[RESET_GRANT_WHY_MAX];
	uint8_t salt[16], hash[32];

	T_EQ_INT(reset_grant_parse(doc, strlen(grant(NULL, NULL)), &g, why),
	    CB_OK);
	T_EQ_STR(g.arg_id, "g-1");
	T_EQ_STR(g.arg_uid, "s2026001");
	T_EQ_STR(g.arg_salt, SALT);
	T_EQ_INT(g.arg_expires_ms, T0 + 600000);
	T_EQ_INT(reset_grant_check(&g, T0, why), CB_OK);
	reset_grant_bytes(&g, salt, hash);
	T_EQ_INT(salt[0], 0x00);
	T_EQ_INT(salt[15], 0xff);
	T_EQ_INT(hash[0], 0xa3);
	T_EQ_INT(hash[31], 0xbb);
}

T_TEST(not_a_grant)
{
	char why[RESET_GRANT_WHY_MAX];
	const char *s = "{\"_id\":\"announcement:x\",\"type\":\"announcement\"}";
	const char *d = "{\"_id\":\"password_reset_grant:g\",\"_rev\":\"2-x\","
	    "\"_deleted\":true}";
	const char *other = "{\"_id\":\"notice:1\",\"text\":"
	    "\"password_reset_grant:\"}";

	T_EQ_INT(parse_check(s, T0, why), CB_ENOTFOUND);
	T_EQ_INT(parse_check(d, T0, why), CB_ENOTFOUND);	/* deleted */
	T_EQ_INT(parse_check(other, T0, why), CB_ENOTFOUND);
	T_ASSERT(!reset_grant_maybe(s, strlen(s)));
}

T_TEST(fields_strict)
{
	char why[RESET_GRANT_WHY_MAX];
	static const struct { const char *f, *v, *why; } bad[] = {
		{ "type", "\"announcement\"", "type" },
		{ "user_id", NULL, "user_id is missing" },
		{ "user_id", "\"NO SPACES\"", "user_id" },
		{ "user_id", "\"ab\"", "user_id" },
		{ "user_id", "42", "user_id is not a string" },
		{ "request_id", "\"announcement:1\"", "request_id" },
		{ "request_id", "\"password_reset_request:a/b\"", "request_id" },
		{ "salt", "\"0011\"", "salt" },
		{ "salt", "\"00112233445566778899AABBCCDDEEFF\"", "salt" },
		{ "salt", "\"00112233445566778899aabbccddeefg\"", "salt" },
		{ "code_hash", "\"" SALT "\"", "code_hash" },
		{ "code_hash", NULL, "code_hash is missing" },
		{ "expires_ms", "\"soon\"", "expires_ms is not an integer" },
		{ "expires_ms", "1.5", "expires_ms is not an integer" },
		{ "extra", "1", "a field is unknown" },
	};

	for (size_t i = 0; i < CB_ARRAY_LEN(bad); i++) {
		int rc = parse_check(grant(bad[i].f, bad[i].v), T0, why);

		if (rc != CB_EINVAL || strstr(why, bad[i].why) == NULL) {
			fprintf(stderr, "case %zu (%s): rc %d, why \"%s\"\n", i,
			    bad[i].f, rc, why);
			T_ASSERT(0);
		}
		T_ASSERT(strstr(why, HASH) == NULL);
	}
}

T_TEST(ids)
{
	char why[RESET_GRANT_WHY_MAX], big[400];
	struct auth_reset_grant g;

	snprintf(big, sizeof(big), "{\"_id\":\"password_reset_grant:%070d\"}",
	    0);
	T_EQ_INT(reset_grant_parse(big, strlen(big), &g, why), CB_EINVAL);
	T_ASSERT(strstr(why, "_id") != NULL);
	/* a grant id with a character outside [A-Za-z0-9_-] */
	grant(NULL, NULL);
	memcpy(strstr(doc, "g-1"), "g.1", 3);
	T_EQ_INT(parse_check(doc, T0, why), CB_EINVAL);
	T_ASSERT(strstr(why, "_id") != NULL);
	T_EQ_INT(parse_check("[1]", T0, why), CB_ENOTFOUND);
	T_EQ_INT(parse_check("{\"_id\":\"password_reset_grant:", T0, why),
	    CB_EINVAL);		/* not JSON */
}

T_TEST(expiry)
{
	char why[RESET_GRANT_WHY_MAX];

	T_EQ_INT(parse_check(grant(NULL, NULL), T0 + 600000, why), CB_EINVAL);
	T_ASSERT(strstr(why, "has passed") != NULL);
	T_EQ_INT(parse_check(grant(NULL, NULL), T0 + 599999, why), CB_OK);
	/* exactly an hour ahead is taken; a millisecond more is not */
	T_EQ_INT(parse_check(grant(NULL, NULL), T0 + 600000 -
	    RESET_GRANT_AHEAD_MAX_MS, why), CB_OK);
	T_EQ_INT(parse_check(grant(NULL, NULL), T0 + 600000 -
	    RESET_GRANT_AHEAD_MAX_MS - 1, why), CB_EINVAL);
	T_ASSERT(strstr(why, "ahead") != NULL);
	T_EQ_INT(parse_check(grant("expires_ms", "-9223372036854775807"), T0,
	    why), CB_EINVAL);
}

/* The message check does not trust sync either: fields without NUL. */
T_TEST(check_unterminated)
{
	struct auth_reset_grant g;
	char why[RESET_GRANT_WHY_MAX];

	T_EQ_INT(reset_grant_parse(doc, strlen(grant(NULL, NULL)), &g, why),
	    CB_OK);
	memset(g.arg_salt, 'a', sizeof(g.arg_salt));
	T_EQ_INT(reset_grant_check(&g, T0, why), CB_EINVAL);
	T_EQ_INT(reset_grant_parse(doc, strlen(grant(NULL, NULL)), &g, why),
	    CB_OK);
	memset(g.arg_id, 'a', sizeof(g.arg_id));
	T_EQ_INT(reset_grant_check(&g, T0, why), CB_EINVAL);
}

/* The store: the code the platform hashed works once; a grant id once. */
T_TEST(store_grant_once)
{
	struct account_store *st = NULL;
	struct auth_user u;
	char dir[64] = "/tmp/test_reset_grant.XXXXXX", cmd[128];
	uint8_t salt[16], hash[32];
	mbedtls_sha256_context c;

	T_ASSERT(mkdtemp(dir) != NULL);
	T_EQ_INT(account_open(&st, dir), 0);
	memset(&u, 0, sizeof(u));
	strcpy(u.au_uid, "s2026001");
	strcpy(u.au_name, "x");
	u.au_role = ROLE_STUDENT;
	memset(salt, 7, sizeof(salt));
	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts(&c, 0);
	mbedtls_sha256_update(&c, salt, sizeof(salt));
	mbedtls_sha256_update(&c, (const uint8_t *)"K7M2PQ9RWX", 10);
	mbedtls_sha256_finish(&c, hash);
	mbedtls_sha256_free(&c);
	T_EQ_INT(account_reset_grant_put(st, "s2026001", "g1", salt, hash,
	    T0 + 60000, T0), 0);
	T_EQ_INT(account_reset_grant_put(st, "s2026001", "g1", salt, hash,
	    T0 + 60000, T0 + 1000), CB_EEXIST);
	T_EQ_INT(account_reset_take(st, "s2026001", "WRONGCODE2", T0 + 1), CB_EAUTH);
	T_EQ_INT(account_reset_take(st, "s2026001", "K7M2PQ9RWX", T0 + 2), 0);
	T_EQ_INT(account_reset_take(st, "s2026001", "K7M2PQ9RWX", T0 + 3),
	    CB_EAUTH);
	/* a week later the id is forgotten (purged) and may come again */
	T_EQ_INT(account_reset_grant_put(st, "s2026001", "g2", salt, hash,
	    T0 + ACCOUNT_GRANT_KEEP_MS + 60000, T0 + ACCOUNT_GRANT_KEEP_MS),
	    0);
	T_EQ_INT(account_reset_grant_put(st, "s2026001", "g1", salt, hash,
	    T0 + ACCOUNT_GRANT_KEEP_MS + 60000, T0 + ACCOUNT_GRANT_KEEP_MS),
	    0);
	/* an expired grant code does not work */
	T_EQ_INT(account_reset_take(st, "s2026001", "K7M2PQ9RWX",
	    T0 + ACCOUNT_GRANT_KEEP_MS + 60000), CB_EAUTH);
	T_EQ_INT(account_reset_grant_put(st, "BAD UID", "g3", salt, hash,
	    T0, T0), CB_EINVAL);
	account_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	T_EQ_INT(system(cmd), 0);
}

T_MAIN()
