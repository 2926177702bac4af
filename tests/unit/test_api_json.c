/*
 * test_api_json.c: the API's request parsing and checks (firmware/api
 * json.c, and the pure checks of api.c): every refusal names the right
 * code and field, passwords never appear in an error, limits hold at
 * their edges.
 */
#include <string.h>

#include "t.h"

#include "api/api_impl.h"
#include "api/json.h"
#include "api/session.h"
#include "base/cb.h"
#include "base/utf8.h"

#define S(x) x, sizeof(x) - 1

static struct api_err err;

static const char *
code_of(void)
{
	return api_err_info(err.ae_code)->aei_code;
}

/* Every error renders whole in both languages (a message cut at a fixed
 * buffer once ended inside a Japanese character: the body failed and the
 * client got 503 "busy" instead of the 415 that named the file types). */
T_TEST(every_error_renders)
{
	for (int c = API_E_BAD_REQUEST; c < API_E_COUNT; c++) {
		const struct api_err_info *i = api_err_info((enum api_err_code)c);
		struct api_err e;
		char *body = NULL;
		size_t len = 0;

		T_ASSERT(i->aei_code != NULL && i->aei_en != NULL &&
		    i->aei_ja != NULL);
		if (i->aei_en == NULL || i->aei_ja == NULL)
			continue;
		T_ASSERT(strlen(i->aei_en) < API_ERR_MSG_MAX &&
		    strlen(i->aei_ja) < API_ERR_MSG_MAX);
		(void)api_err_set(&e, (enum api_err_code)c, API_FIELD_VALUE,
		    "f", 1);
		T_EQ_INT(api_err_body(&e, &body, &len), CB_OK);
		T_ASSERT(body != NULL && (c == API_E_INVALID_FIELD ||
		    c == API_E_TOO_MANY || strstr(body, i->aei_ja) != NULL));
		free(body);
	}
}

T_TEST(login_ok)
{
	struct api_login_body b;

	T_EQ_INT(api_parse_login(S("{\"user\":\"taro.y\",\"password\":"
	    "\"秘密のパスワード\"}"), &b, &err), CB_OK);
	T_EQ_STR(b.alb_uid, "taro.y");
	T_EQ_STR(b.alb_password, "秘密のパスワード");
}

T_TEST(login_refusals)
{
	struct api_login_body b;

	T_EQ_INT(api_parse_login(S(""), &b, &err), CB_EINVAL);
	T_EQ_STR(code_of(), "invalid_json");
	T_EQ_INT(api_parse_login(S("[1]"), &b, &err), CB_EINVAL);
	T_EQ_STR(code_of(), "invalid_json");
	T_EQ_INT(api_parse_login(S("{\"user\":\"a\",}"), &b, &err), CB_EINVAL);
	T_EQ_STR(code_of(), "invalid_json");
	T_EQ_INT(api_parse_login(S("{\"user\":\"\xff\"}"), &b, &err),
	    CB_EINVAL);
	T_EQ_STR(code_of(), "invalid_utf8");
	/* An overlong '/' and a UTF-8 surrogate are not UTF-8. */
	T_EQ_INT(api_parse_login(S("{\"user\":\"\xc0\xaf\"}"), &b, &err),
	    CB_EINVAL);
	T_EQ_STR(code_of(), "invalid_utf8");
	T_EQ_INT(api_parse_login(S("{\"user\":\"\xed\xa0\x80\"}"), &b, &err),
	    CB_EINVAL);
	T_EQ_STR(code_of(), "invalid_utf8");
	T_EQ_INT(api_parse_login(S("{\"user\":\"x\"}"), &b, &err), CB_EINVAL);
	T_EQ_STR(code_of(), "invalid_field");
	T_EQ_STR(err.ae_field, "password");
	T_EQ_INT(err.ae_why, API_FIELD_MISSING);
	T_EQ_INT(api_parse_login(S("{\"user\":1,\"password\":\"p\"}"), &b,
	    &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "user");
	T_EQ_INT(err.ae_why, API_FIELD_TYPE);
	T_EQ_INT(api_parse_login(S("{\"user\":\"a\",\"password\":\"p\","
	    "\"admin\":true}"), &b, &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "admin");
	T_EQ_INT(err.ae_why, API_FIELD_UNKNOWN);
	T_EQ_INT(api_parse_login(S("{\"user\":\"a\",\"user\":\"b\","
	    "\"password\":\"p\"}"), &b, &err), CB_EINVAL);
	T_EQ_INT(err.ae_why, API_FIELD_DUPLICATE);
	/* An embedded NUL would cut the uid short in the C field. */
	T_EQ_INT(api_parse_login(S("{\"user\":\"admin\\u0000x\","
	    "\"password\":\"p\"}"), &b, &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "user");
	T_EQ_INT(api_parse_login(S("{\"user\":\"\",\"password\":\"p\"}"), &b,
	    &err), CB_EINVAL);
	T_EQ_INT(err.ae_why, API_FIELD_LENGTH);
}

T_TEST(login_limits)
{
	char body[512], pw[AUTH_PASSWORD_MAX + 1];
	struct api_login_body b;

	memset(pw, 'p', sizeof(pw) - 1);
	pw[AUTH_PASSWORD_MAX - 1] = '\0';	/* 256 bytes: the most */
	snprintf(body, sizeof(body), "{\"user\":\"abc\",\"password\":\"%s\"}",
	    pw);
	T_EQ_INT(api_parse_login(body, strlen(body), &b, &err), CB_OK);
	T_EQ_INT(strlen(b.alb_password), AUTH_PASSWORD_MAX - 1);
	pw[AUTH_PASSWORD_MAX - 1] = 'p';
	pw[AUTH_PASSWORD_MAX] = '\0';		/* 257: one too many */
	snprintf(body, sizeof(body), "{\"user\":\"abc\",\"password\":\"%s\"}",
	    pw);
	T_EQ_INT(api_parse_login(body, strlen(body), &b, &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "password");
	T_EQ_INT(b.alb_password[0], 0);		/* wiped on failure */
	T_EQ_INT(api_parse_login(body, API_JSON_BODY_MAX + 1, &b, &err),
	    CB_EINVAL);
	T_EQ_STR(code_of(), "payload_too_large");
}

T_TEST(passwd)
{
	struct api_passwd_body b;

	T_EQ_INT(api_parse_passwd(S("{\"old_password\":\"Init-1234\","
	    "\"new_password\":\"さくら咲く春の日に\"}"), &b, &err), CB_OK);
	T_EQ_STR(b.apb_new, "さくら咲く春の日に");
	T_EQ_INT(api_parse_passwd(S("{\"old_password\":\"Init-1234\","
	    "\"new_password\":\"あいうえおかき\"}"), &b, &err), CB_EINVAL);
	T_EQ_STR(code_of(), "password_too_short");	/* 7 code points */
	T_EQ_INT(api_parse_passwd(S("{\"old_password\":\"Init-1234\","
	    "\"new_password\":\"Init-1234\"}"), &b, &err), CB_EINVAL);
	T_EQ_STR(code_of(), "password_same_as_old");
	T_EQ_INT(api_parse_passwd(S("{\"old_password\":\"x\","
	    "\"new_password\":\"" "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789" "\"}"), &b, &err),
	    CB_EINVAL);
	T_EQ_STR(code_of(), "password_too_long");
	T_EQ_INT(api_parse_passwd(S("{\"old_password\":\"x\"}"), &b, &err),
	    CB_EINVAL);
	T_EQ_STR(code_of(), "invalid_field");
	T_EQ_STR(err.ae_field, "new_password");
}

T_TEST(user_create)
{
	struct auth_user u;

	T_EQ_INT(api_parse_user_create(S("{\"id\":\"sato.h\",\"name\":"
	    "\"佐藤 花子\",\"role\":\"parent\",\"children\":[\"sato.k\","
	    "\"sato.m\"]}"), &u, &err), CB_OK);
	T_EQ_STR(u.au_uid, "sato.h");
	T_EQ_STR(u.au_name, "佐藤 花子");
	T_EQ_INT(u.au_role, ROLE_PARENT);
	T_EQ_INT(u.au_nlinks, 2);
	T_EQ_STR(u.au_links[1], "sato.m");
	T_EQ_INT(api_parse_user_create(S("{\"id\":\"t01\",\"name\":\"T\","
	    "\"role\":\"teacher\",\"children\":[]}"), &u, &err), CB_OK);
	T_EQ_INT(u.au_role, ROLE_TEACHER);
	T_EQ_INT(u.au_nlinks, 0);
}

T_TEST(user_create_refusals)
{
	struct auth_user u;

	T_EQ_INT(api_parse_user_create(S("{\"id\":\"Sato\",\"name\":\"n\","
	    "\"role\":\"teacher\"}"), &u, &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "id");
	T_EQ_INT(api_parse_user_create(S("{\"id\":\"ab\",\"name\":\"n\","
	    "\"role\":\"teacher\"}"), &u, &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "id");
	T_EQ_INT(api_parse_user_create(S("{\"id\":\"abc\",\"name\":\"a\\nb\","
	    "\"role\":\"teacher\"}"), &u, &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "name");
	T_EQ_INT(api_parse_user_create(S("{\"id\":\"abc\",\"name\":\"n\","
	    "\"role\":\"root\"}"), &u, &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "role");
	T_EQ_INT(err.ae_why, API_FIELD_VALUE);
	T_EQ_INT(api_parse_user_create(S("{\"id\":\"abc\",\"name\":\"n\","
	    "\"role\":\"parent\"}"), &u, &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "children");
	T_EQ_INT(api_parse_user_create(S("{\"id\":\"abc\",\"name\":\"n\","
	    "\"role\":\"student\",\"children\":[\"xyz\"]}"), &u, &err),
	    CB_EINVAL);
	T_EQ_STR(err.ae_field, "children");
	T_EQ_INT(api_parse_user_create(S("{\"id\":\"abc\",\"name\":\"n\","
	    "\"role\":\"parent\",\"children\":[\"xyz\",\"xyz\"]}"), &u, &err),
	    CB_EINVAL);
	T_EQ_INT(err.ae_why, API_FIELD_DUPLICATE);
	T_EQ_INT(api_parse_user_create(S("{\"id\":\"abc\",\"name\":\"n\","
	    "\"role\":\"parent\",\"children\":[\"a01\",\"a02\",\"a03\",\"a04\","
	    "\"a05\",\"a06\",\"a07\",\"a08\",\"a09\"]}"), &u, &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "children");
	T_EQ_INT(api_parse_user_create(S("{\"id\":\"abc\",\"name\":\"n\","
	    "\"role\":\"teacher\",\"flags\":1}"), &u, &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "flags");
	T_EQ_INT(u.au_uid[0], 0);
}

T_TEST(empty_body)
{
	T_EQ_INT(api_parse_empty(S(""), &err), CB_OK);
	T_EQ_INT(api_parse_empty(S("{}"), &err), CB_OK);
	T_EQ_INT(api_parse_empty(S(" { } "), &err), CB_OK);
	T_EQ_INT(api_parse_empty(S("{\"x\":1}"), &err), CB_EINVAL);
	T_EQ_STR(err.ae_field, "x");
	T_EQ_INT(api_parse_empty(S("null"), &err), CB_EINVAL);
}

T_TEST(list_query)
{
	char after[AUTH_UID_MAX];
	uint32_t limit;

	T_EQ_INT(api_parse_list_query(NULL, after, &limit, &err), CB_OK);
	T_EQ_INT(limit, API_LIST_DEFAULT);
	T_EQ_STR(after, "");
	T_EQ_INT(api_parse_list_query("after=sato.h&limit=32", after, &limit,
	    &err), CB_OK);
	T_EQ_STR(after, "sato.h");
	T_EQ_INT(limit, 32);
	T_EQ_INT(api_parse_list_query("limit=33", after, &limit, &err),
	    CB_EINVAL);
	T_EQ_STR(err.ae_field, "limit");
	T_EQ_INT(api_parse_list_query("limit=0", after, &limit, &err),
	    CB_EINVAL);
	T_EQ_INT(api_parse_list_query("limit=1x", after, &limit, &err),
	    CB_EINVAL);
	T_EQ_INT(api_parse_list_query("after=A%20", after, &limit, &err),
	    CB_EINVAL);
	T_EQ_STR(err.ae_field, "after");
	T_EQ_INT(api_parse_list_query("sort=name", after, &limit, &err),
	    CB_EINVAL);
	T_EQ_STR(err.ae_field, "sort");
}

T_TEST(error_body)
{
	char *body = NULL;
	size_t len;

	(void)api_err_set(&err, API_E_PW_CHANGE_REQUIRED, 0, NULL, 0);
	T_EQ_INT(api_err_body(&err, &body, &len), CB_OK);
	T_EQ_STR(body, "{\"error\":{\"code\":\"password_change_required\","
	    "\"message\":\"Change your initial password first.\","
	    "\"message_ja\":\"最初のパスワードを変更してください。\"}}");
	free(body);
	(void)api_err_set(&err, API_E_TOO_MANY, 0, NULL, 0);
	err.ae_retry_after_s = 30;
	T_EQ_INT(api_err_body(&err, &body, &len), CB_OK);
	T_ASSERT(strstr(body, "\"Try again in 30 s.\"") != NULL);
	T_ASSERT(strstr(body, "30 秒後にもう一度お試しください。") != NULL);
	free(body);
	/* A field name from the client is escaped and cut at a whole
	 * character. */
	(void)api_err_set(&err, API_E_INVALID_FIELD, API_FIELD_UNKNOWN,
	    S("\"<x>\"あいうえおかきくけこさしすせそたちつてとなにぬねの"));
	T_EQ_INT(cb_utf8_valid(err.ae_field, strlen(err.ae_field),
	    CB_UTF8_ANY), 1);
	T_EQ_INT(api_err_body(&err, &body, &len), CB_OK);
	T_ASSERT(strstr(body, "\"field\":\"\\\"<x>\\\"") != NULL);
	free(body);
	T_EQ_STR(api_err_info(api_err_from_status(CB_ELASTADMIN))->aei_code,
	    "last_admin");
	T_EQ_INT(api_err_info(api_err_from_status(CB_ETHROTTLED))->aei_status,
	    429);
	T_EQ_INT(api_err_info(api_err_from_status(-999))->aei_status, 500);
}

T_TEST(no_password_in_errors)
{
	struct api_login_body b;
	char *body = NULL;
	size_t len;

	T_EQ_INT(api_parse_login(S("{\"user\":\"abc\",\"password\":"
	    "\"hunter2-secret\",\"hunter2-secret\":1}"), &b, &err), CB_EINVAL);
	T_EQ_INT(api_err_body(&err, &body, &len), CB_OK);
	/* The unknown key is named (it is the client's own key), but the
	 * password value never appears unless sent as a key. */
	T_ASSERT(strstr(body, "hunter2-secret") != NULL);
	free(body);
	T_EQ_INT(api_parse_login(S("{\"user\":\"abc\",\"password\":1,"
	    "\"p\":\"hunter3\"}"), &b, &err), CB_EINVAL);
	T_EQ_INT(api_err_body(&err, &body, &len), CB_OK);
	T_ASSERT(strstr(body, "hunter3") == NULL);
	free(body);
}

T_TEST(checks)
{
	uint8_t tok[AUTH_TOKEN_LEN], csrf[AUTH_CSRF_LEN];
	char b64[64], cookie[128];

	T_EQ_INT(api_origin_ok("box.local:8443", "https://box.local:8443",
	    NULL, NULL), 1);
	T_EQ_INT(api_origin_ok("box.local", "https://BOX.local", NULL, NULL), 1);
	T_EQ_INT(api_origin_ok("box.local:443", "https://box.local", NULL,
	    NULL), 1);
	T_EQ_INT(api_origin_ok("box.local:8443", "http://box.local:8443",
	    NULL, NULL), 0);
	T_EQ_INT(api_origin_ok("box.local:8443", "https://evil.example",
	    "https://box.local:8443/", NULL), 0);
	T_EQ_INT(api_origin_ok("box.local", "null", NULL, NULL), 0);
	T_EQ_INT(api_origin_ok("box.local", NULL,
	    "https://box.local/#/users", NULL), 1);
	T_EQ_INT(api_origin_ok("box.local", NULL,
	    "https://box.local.evil.example/", NULL), 0);
	T_EQ_INT(api_origin_ok("box.local", NULL, NULL, NULL), 0);
	T_EQ_INT(api_origin_ok(NULL, "https://box.local", NULL, NULL), 0);
	T_EQ_INT(api_ctype_is_json("application/json"), 1);
	T_EQ_INT(api_ctype_is_json("Application/JSON; charset=utf-8"), 1);
	T_EQ_INT(api_ctype_is_json("application/jsonx"), 0);
	T_EQ_INT(api_ctype_is_json("text/plain"), 0);
	T_EQ_INT(api_ctype_is_json(NULL), 0);

	memset(csrf, 7, sizeof(csrf));
	cb_b64url_encode(csrf, sizeof(csrf), b64, sizeof(b64));
	T_EQ_INT(api_csrf_ok(b64, csrf), 1);
	b64[5] ^= 1;
	T_EQ_INT(api_csrf_ok(b64, csrf), 0);
	T_EQ_INT(api_csrf_ok("", csrf), 0);
	T_EQ_INT(api_csrf_ok(NULL, csrf), 0);

	memset(tok, 0x5a, sizeof(tok));
	cb_b64url_encode(tok, sizeof(tok), b64, sizeof(b64));
	snprintf(cookie, sizeof(cookie), "lang=ja; cb_session=%s; x=1", b64);
	memset(tok, 0, sizeof(tok));
	T_EQ_INT(api_cookie_token(cookie, tok), CB_OK);
	T_EQ_INT(tok[31], 0x5a);
	T_EQ_INT(api_cookie_token("cb_session=abc", tok), CB_EINVAL);
	T_EQ_INT(api_cookie_token("xcb_session=abc", tok), CB_ENOTFOUND);
	T_EQ_INT(api_cookie_token(NULL, tok), CB_ENOTFOUND);
}

static void
mk_session(struct api_session *s, int n, const char *uid, int64_t now)
{
	uint8_t tok[AUTH_TOKEN_LEN];

	memset(s, 0, sizeof(*s));
	memset(tok, n, sizeof(tok));
	api_token_hash(tok, s->as_hash);
	snprintf(s->as_user.au_uid, sizeof(s->as_user.au_uid), "%s", uid);
	s->as_created_ms = s->as_last_seen_ms = s->as_touched_ms = now;
}

T_TEST(session_cache)
{
	struct api_scache *c;
	struct api_session s[4], out;
	int64_t t0 = 1700000000000LL;
	int touch, i;

	T_EQ_INT(api_scache_new(&c, 3), CB_OK);
	for (i = 0; i < 4; i++)
		mk_session(&s[i], i + 1, i < 2 ? "sato" : "ito", t0);
	for (i = 0; i < 3; i++)
		api_scache_put(c, &s[i]);
	T_EQ_INT(api_scache_lookup(c, s[0].as_hash, t0 + 1, &out, &touch),
	    CB_OK);
	T_EQ_INT(touch, 0);
	api_scache_put(c, &s[3]);	/* full: evicts s[1], least recent */
	T_EQ_INT(api_scache_count(c), 3);
	T_EQ_INT(api_scache_lookup(c, s[1].as_hash, t0 + 2, &out, &touch),
	    CB_ENOTFOUND);
	T_EQ_INT(api_scache_lookup(c, s[0].as_hash, t0 + AUTH_TOUCH_INTERVAL_MS
	    + 1, &out, &touch), CB_OK);
	T_EQ_INT(touch, 1);
	T_EQ_INT(api_scache_lookup(c, s[0].as_hash, t0 + AUTH_TOUCH_INTERVAL_MS
	    + 2, &out, &touch), CB_OK);
	T_EQ_INT(touch, 0);
	/* Idle expiry, counted from the last request. */
	T_EQ_INT(api_scache_lookup(c, s[2].as_hash, t0 + AUTH_SESSION_IDLE_MS,
	    &out, &touch), CB_ESESSION);
	T_EQ_INT(api_scache_count(c), 2);
	/* Revocation by user keeps the session that asked for it. */
	api_scache_put(c, &s[1]);
	T_EQ_INT(api_scache_drop_uid(c, "sato", s[1].as_hash), 1);
	T_EQ_INT(api_scache_lookup(c, s[1].as_hash, t0 + 3, &out, &touch),
	    CB_OK);
	api_scache_drop(c, s[1].as_hash);
	T_EQ_INT(api_scache_count(c), 1);
	/* Absolute expiry, however active the session. */
	for (i = 1; i <= 49; i++)
		(void)api_scache_lookup(c, s[3].as_hash, t0 + i *
		    (AUTH_SESSION_IDLE_MS / 2), &out, &touch);
	T_EQ_INT(api_scache_count(c), 0);
	api_scache_free(c);
}

T_MAIN()
