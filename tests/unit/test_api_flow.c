/*
 * test_api_flow.c: the request handler (firmware/api) end to end, with the
 * HTTP server and the auth client replaced by recorders: each scenario
 * sends a request to api_handle, answers the auth call it made the way
 * auth would, and checks the HTTP answer. The real server and auth are
 * covered by the integration tests; this pins the API's own rules
 * (routing, Origin and CSRF, forced password change, session cache).
 *
 * This file defines http_request/http_reply/http_add_header and
 * authc_call/authc_send itself, so the linker takes these from here and
 * not from libclassbox.a.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "t.h"

#include "api/api.h"
#include "api/assets.h"
#include "auth/authclient.h"
#include "base/cb.h"

/* ---- the recorders -------------------------------------------------- */

struct http_exchange {
	struct http_req req;
	int status;
	char body[16384];
	size_t len;
	char hdr[16][2][256];
	int nhdr;
	int replied;
};

const struct http_req *
http_request(const struct http_exchange *ex)
{
	return &ex->req;
}

int
http_add_header(struct http_exchange *ex, const char *name, const char *value)
{
	if (ex->nhdr >= 16)
		return CB_ETOOBIG;
	snprintf(ex->hdr[ex->nhdr][0], 256, "%s", name);
	snprintf(ex->hdr[ex->nhdr][1], 256, "%s", value);
	ex->nhdr++;
	return CB_OK;
}

void
http_reply(struct http_exchange *ex, int status, const char *ctype,
    const void *body, size_t len)
{
	ex->replied++;
	ex->status = status;
	ex->len = len < sizeof(ex->body) - 1 ? len : sizeof(ex->body) - 1;
	if (body != NULL)
		memcpy(ex->body, body, ex->len);
	ex->body[ex->len] = '\0';
}

/* The export streams (export.c); a stream here is answered at once with
 * its first piece, then told it ended early. */
int
http_stream(struct http_exchange *ex, int status, const char *ctype,
    http_fill_fn *fill, http_done_fn *done, void *arg)
{
	size_t n = 0;

	(void)ctype;
	ex->replied++;
	ex->status = status;
	(void)fill(arg, ex->body, sizeof(ex->body) - 1, &n);
	ex->len = n;
	ex->body[n] = '\0';
	done(arg, 0);
	return CB_OK;
}

/* Its login log waits for auth (export_logs.c); never reached here. */
void
http_stream_resume(struct http_exchange *ex)
{
	(void)ex;
}

/* /metrics reads the server's counters; no server runs here. */
void
http_server_stats(const struct http_server *s, struct http_stats *out)
{
	(void)s;
	memset(out, 0, sizeof(*out));
}

static struct {
	uint32_t type;
	unsigned char payload[sizeof(struct auth_passwd) + 64];
	authc_reply_fn *fn;
	void *arg;
	int calls, touches, down;
} auth;

int
authc_call(struct authc *c, uint32_t type, const void *payload, size_t len,
    authc_reply_fn *fn, void *arg)
{
	if (auth.down)
		return CB_EUNAVAIL;
	auth.type = type;
	memcpy(auth.payload, payload, len < sizeof(auth.payload) ? len :
	    sizeof(auth.payload));
	auth.fn = fn;
	auth.arg = arg;
	auth.calls++;
	return CB_OK;
}

int
authc_send(struct authc *c, uint32_t type, const void *payload, size_t len)
{
	if (type == AUTH_TOUCH)
		auth.touches++;
	return CB_OK;
}

/* ---- helpers ---------------------------------------------------------- */

#define HOST "box.local:8443"
#define ORIGIN "https://" HOST

static struct api *api;
static struct http_exchange ex;
static char cookie[128], csrf_hdr[64];
static uint8_t token[AUTH_TOKEN_LEN], csrf[AUTH_CSRF_LEN];

static int
req(enum http_method m, const char *path, const char *body)
{
	memset(&ex, 0, sizeof(ex));
	ex.req.method = m;
	ex.req.path = path;
	ex.req.host = HOST;
	ex.req.peer[0] = '1';
	if (m != HTTP_M_GET) {
		ex.req.origin = ORIGIN;
		ex.req.csrf_token = csrf_hdr;
		ex.req.content_type = "application/json";
	}
	ex.req.cookie = cookie[0] ? cookie : NULL;
	ex.req.body = body ? body : "";
	ex.req.body_len = body ? strlen(body) : 0;
	auth.fn = NULL;
	return api_handle(api, &ex);
}

static const char *
header(const char *name)
{
	for (int i = 0; i < ex.nhdr; i++)
		if (strcasecmp(ex.hdr[i][0], name) == 0)
			return ex.hdr[i][1];
	return NULL;
}

static void
user(struct auth_user *u, const char *uid, uint32_t role, uint32_t flags)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->au_uid, sizeof(u->au_uid), "%s", uid);
	snprintf(u->au_name, sizeof(u->au_name), "名前 %s", uid);
	u->au_role = role;
	u->au_flags = flags;
	u->au_state = USER_ACTIVE;
}

/* Log in as "admin1" with the given flags; leaves cookie and csrf_hdr. */
static void
login(uint32_t flags)
{
	struct auth_login_r lr;
	const char *sc;

	cookie[0] = csrf_hdr[0] = '\0';
	T_EQ_INT(req(HTTP_M_POST, "/api/v1/login",
	    "{\"user\":\"admin1\",\"password\":\"Init-pass-1\"}"), HTTP_DEFER);
	T_EQ_INT(auth.type, AUTH_LOGIN);
	memset(&lr, 0, sizeof(lr));
	memset(token, 0x41, sizeof(token));
	memset(csrf, 0x42, sizeof(csrf));
	memcpy(lr.alr_token, token, sizeof(token));
	memcpy(lr.alr_csrf, csrf, sizeof(csrf));
	user(&lr.alr_user, "admin1", ROLE_ADMIN, flags);
	auth.fn(auth.arg, AUTH_LOGIN_R, &lr);
	T_EQ_INT(ex.status, 200);
	sc = header("Set-Cookie");
	T_ASSERT(sc && strstr(sc, "; Path=/; HttpOnly; Secure; SameSite=Strict"));
	T_ASSERT(sc && strstr(sc, "Max-Age") == NULL);
	snprintf(cookie, sizeof(cookie), "%.*s", (int)strcspn(sc, ";"), sc);
	cb_b64url_encode(csrf, sizeof(csrf), csrf_hdr, sizeof(csrf_hdr));
	T_ASSERT(strstr(ex.body, csrf_hdr) != NULL);
	T_ASSERT(strstr(ex.body, "Init-pass-1") == NULL);
}

/* ---- scenarios -------------------------------------------------------- */

T_TEST(health_and_assets)
{
	api_new(&api, NULL, &(struct api_config){ NULL, 8443, NULL });
	T_EQ_INT(req(HTTP_M_GET, "/healthz", NULL), 0);
	T_EQ_INT(ex.status, 200);
	T_EQ_STR(ex.body, "{\"status\":\"ok\"}");
	T_EQ_INT(req(HTTP_M_GET, "/", NULL), 0);
	T_EQ_INT(ex.status, 200);
	T_ASSERT(strstr(ex.body, "<html") != NULL);
	T_EQ_STR(header("Cache-Control"), "no-cache");
	char etag[64];
	snprintf(etag, sizeof(etag), "%s", header("ETag"));
	memset(&ex, 0, sizeof(ex));
	ex.req = (struct http_req){ .method = HTTP_M_GET, .path = "/index.html",
	    .if_none_match = etag };
	T_EQ_INT(api_handle(api, &ex), 0);
	T_EQ_INT(ex.status, 304);
	T_EQ_INT(req(HTTP_M_GET, "/nope.js", NULL), 0);
	T_EQ_INT(ex.status, 404);
	T_EQ_INT(req(HTTP_M_GET, "/api/v1/nope", NULL), 0);
	T_EQ_INT(ex.status, 404);
	T_ASSERT(strstr(ex.body, "\"not_found\"") != NULL);
	T_EQ_INT(req(HTTP_M_PUT, "/api/v1/me", "{}"), 0);
	T_EQ_INT(ex.status, 405);
	T_EQ_STR(header("Allow"), "GET");
	api_free(api);
}

T_TEST(login_checks)
{
	struct auth_login_r lr;

	api_new(&api, NULL, &(struct api_config){ NULL, 8443, NULL });
	cookie[0] = '\0';
	T_EQ_INT(req(HTTP_M_GET, "/api/v1/me", NULL), 0);
	T_EQ_INT(ex.status, 401);
	/* Wrong media type, foreign Origin, unknown field. */
	memset(&ex, 0, sizeof(ex));
	ex.req = (struct http_req){ .method = HTTP_M_POST,
	    .path = "/api/v1/login", .host = HOST, .body = "{}", .body_len = 2,
	    .content_type = "text/plain" };
	api_handle(api, &ex);
	T_EQ_INT(ex.status, 415);
	ex.req.content_type = "application/json";
	ex.req.origin = "https://evil.example";
	api_handle(api, &ex);
	T_EQ_INT(ex.status, 403);
	T_ASSERT(strstr(ex.body, "\"csrf\"") != NULL);
	T_EQ_INT(req(HTTP_M_POST, "/api/v1/login", "{\"user\":\"a\","
	    "\"password\":\"b\",\"x\":1}"), 0);
	T_EQ_INT(ex.status, 400);
	T_ASSERT(strstr(ex.body, "\"field\":\"x\"") != NULL);
	/* Throttled: 429 with Retry-After. */
	T_EQ_INT(req(HTTP_M_POST, "/api/v1/login",
	    "{\"user\":\"abc\",\"password\":\"wrong\"}"), HTTP_DEFER);
	memset(&lr, 0, sizeof(lr));
	lr.alr_status = CB_ETHROTTLED;
	lr.alr_retry_after_s = 42;
	auth.fn(auth.arg, AUTH_LOGIN_R, &lr);
	T_EQ_INT(ex.status, 429);
	T_EQ_STR(header("Retry-After"), "42");
	T_ASSERT(strstr(ex.body, "42 秒後") != NULL);
	/* Wrong password. */
	req(HTTP_M_POST, "/api/v1/login", "{\"user\":\"abc\",\"password\":\"w\"}");
	lr.alr_status = CB_EAUTH;
	auth.fn(auth.arg, AUTH_LOGIN_R, &lr);
	T_EQ_INT(ex.status, 401);
	T_ASSERT(strstr(ex.body, "\"login_failed\"") != NULL);
	/* Auth went away. */
	req(HTTP_M_POST, "/api/v1/login", "{\"user\":\"abc\",\"password\":\"w\"}");
	auth.fn(auth.arg, 0, NULL);
	T_EQ_INT(ex.status, 503);
	T_ASSERT(strstr(ex.body, "\"unavailable\"") != NULL);
	auth.down = 1;
	req(HTTP_M_POST, "/api/v1/login", "{\"user\":\"abc\",\"password\":\"w\"}");
	T_EQ_INT(ex.status, 503);
	auth.down = 0;
	api_free(api);
}

T_TEST(forced_password_change)
{
	struct auth_status_r st = { 0, 0 };
	struct auth_session_r sr;
	int calls;

	api_new(&api, NULL, &(struct api_config){ NULL, 8443, NULL });
	login(USER_F_ADMIN | USER_F_MUST_CHANGE);
	calls = auth.calls;
	T_EQ_INT(req(HTTP_M_GET, "/api/v1/me", NULL), 0);	/* cached */
	T_EQ_INT(ex.status, 200);
	T_EQ_INT(auth.calls, calls);
	T_ASSERT(strstr(ex.body, "\"must_change_password\":true") != NULL);
	T_EQ_INT(req(HTTP_M_GET, "/api/v1/users", NULL), 0);
	T_EQ_INT(ex.status, 403);
	T_ASSERT(strstr(ex.body, "password_change_required") != NULL);
	/* CSRF token missing, then Origin missing. */
	csrf_hdr[0] = '\0';
	req(HTTP_M_POST, "/api/v1/password",
	    "{\"old_password\":\"Init-pass-1\",\"new_password\":\"さくらさくら咲く\"}");
	T_EQ_INT(ex.status, 403);
	cb_b64url_encode(csrf, sizeof(csrf), csrf_hdr, sizeof(csrf_hdr));
	memset(&ex, 0, sizeof(ex));
	ex.req = (struct http_req){ .method = HTTP_M_POST, .path =
	    "/api/v1/logout", .host = HOST, .cookie = cookie,
	    .csrf_token = csrf_hdr, .body = "" };
	api_handle(api, &ex);
	T_EQ_INT(ex.status, 403);
	/* The change itself; then the session is fetched again. */
	T_EQ_INT(req(HTTP_M_POST, "/api/v1/password",
	    "{\"old_password\":\"Init-pass-1\",\"new_password\":"
	    "\"さくらさくら咲く\"}"), HTTP_DEFER);
	T_EQ_INT(auth.type, AUTH_PASSWD);
	T_ASSERT(memcmp(((struct auth_passwd *)auth.payload)->ap_token, token,
	    AUTH_TOKEN_LEN) == 0);
	auth.fn(auth.arg, AUTH_STATUS_R, &st);
	T_EQ_INT(ex.status, 204);
	T_EQ_INT(req(HTTP_M_GET, "/api/v1/me", NULL), HTTP_DEFER);
	T_EQ_INT(auth.type, AUTH_SESSION);
	memset(&sr, 0, sizeof(sr));
	memcpy(sr.asr_csrf, csrf, sizeof(csrf));
	sr.asr_created_ms = sr.asr_last_seen_ms = cb_now_ms();
	user(&sr.asr_user, "admin1", ROLE_ADMIN, USER_F_ADMIN);
	auth.fn(auth.arg, AUTH_SESSION_R, &sr);
	T_EQ_INT(ex.status, 200);
	T_ASSERT(strstr(ex.body, "\"must_change_password\":false") != NULL);
	api_free(api);
}

T_TEST(user_admin)
{
	struct auth_user_list_r lr;
	struct auth_user_pw_r pr;
	struct auth_session_r sr;
	struct auth_revoke rv;

	api_new(&api, NULL, &(struct api_config){ NULL, 8443, NULL });
	login(USER_F_ADMIN);
	T_EQ_INT(req(HTTP_M_GET, "/api/v1/users", NULL), HTTP_DEFER);
	T_EQ_INT(auth.type, AUTH_USER_LIST);
	memset(&lr, 0, sizeof(lr));
	lr.aulr_count = 2;
	lr.aulr_more = 1;
	user(&lr.aulr_users[0], "abe", ROLE_TEACHER, 0);
	user(&lr.aulr_users[1], "ito", ROLE_PARENT, 0);
	lr.aulr_users[1].au_nlinks = 1;
	snprintf(lr.aulr_users[1].au_links[0], AUTH_UID_MAX, "ito.k");
	auth.fn(auth.arg, AUTH_USER_LIST_R, &lr);
	T_EQ_INT(ex.status, 200);
	T_ASSERT(strstr(ex.body, "\"next\":\"ito\"") != NULL);
	T_ASSERT(strstr(ex.body, "\"children\":[\"ito.k\"]") != NULL);
	/* Create: 201 with the initial password. */
	T_EQ_INT(req(HTTP_M_POST, "/api/v1/users", "{\"id\":\"ueda\",\"name\":"
	    "\"上田\",\"role\":\"student\"}"), HTTP_DEFER);
	T_EQ_INT(auth.type, AUTH_USER_CREATE);
	memset(&pr, 0, sizeof(pr));
	snprintf(pr.aupr_initial_password, AUTH_INITIAL_PW_MAX, "x7Kq-22mP");
	user(&pr.aupr_user, "ueda", ROLE_STUDENT, USER_F_MUST_CHANGE);
	auth.fn(auth.arg, AUTH_USER_PW_R, &pr);
	T_EQ_INT(ex.status, 201);
	T_ASSERT(strstr(ex.body, "\"initial_password\":\"x7Kq-22mP\"") != NULL);
	/* Suspend, delete, bad op, last admin. */
	T_EQ_INT(req(HTTP_M_POST, "/api/v1/users/ueda/suspend", NULL),
	    HTTP_DEFER);
	T_EQ_INT(((struct auth_user_set *)auth.payload)->aus_op,
	    USER_OP_SUSPEND);
	pr.aupr_user.au_state = USER_SUSPENDED;
	auth.fn(auth.arg, AUTH_USER_PW_R, &pr);
	T_EQ_INT(ex.status, 200);
	T_ASSERT(strstr(ex.body, "\"state\":\"suspended\"") != NULL);
	T_ASSERT(strstr(ex.body, "initial_password") == NULL);
	req(HTTP_M_DELETE, "/api/v1/users/ueda", NULL);
	T_EQ_INT(((struct auth_user_set *)auth.payload)->aus_op,
	    USER_OP_DELETE);
	auth.fn(auth.arg, AUTH_USER_PW_R, &pr);
	T_EQ_INT(ex.status, 204);
	T_EQ_INT(req(HTTP_M_POST, "/api/v1/users/ueda/explode", NULL), 0);
	T_EQ_INT(ex.status, 404);
	T_EQ_INT(req(HTTP_M_GET, "/api/v1/users/UEDA", NULL), 0);
	T_EQ_INT(ex.status, 404);
	req(HTTP_M_POST, "/api/v1/users/admin1/revoke-admin", NULL);
	pr.aupr_status = CB_ELASTADMIN;
	auth.fn(auth.arg, AUTH_USER_PW_R, &pr);
	T_EQ_INT(ex.status, 409);
	T_ASSERT(strstr(ex.body, "\"last_admin\"") != NULL);
	/* Revoked by auth: the next request asks auth, which says no. */
	memset(&rv, 0, sizeof(rv));
	snprintf(rv.ar_uid, sizeof(rv.ar_uid), "admin1");
	api_on_revoke(api, &rv);
	T_EQ_INT(req(HTTP_M_GET, "/api/v1/me", NULL), HTTP_DEFER);
	memset(&sr, 0, sizeof(sr));
	sr.asr_status = CB_ESESSION;
	auth.fn(auth.arg, AUTH_SESSION_R, &sr);
	T_EQ_INT(ex.status, 401);
	api_free(api);
}

T_TEST(non_admin_and_logout)
{
	struct auth_status_r st = { 0, 0 };

	api_new(&api, NULL, &(struct api_config){ NULL, 8443, NULL });
	login(0);
	T_EQ_INT(req(HTTP_M_GET, "/api/v1/users", NULL), 0);
	T_EQ_INT(ex.status, 403);
	T_ASSERT(strstr(ex.body, "\"forbidden\"") != NULL);
	T_EQ_INT(req(HTTP_M_POST, "/api/v1/logout", NULL), HTTP_DEFER);
	T_EQ_INT(auth.type, AUTH_LOGOUT);
	auth.fn(auth.arg, AUTH_STATUS_R, &st);
	T_EQ_INT(ex.status, 204);
	T_ASSERT(strstr(header("Set-Cookie"), "Max-Age=0") != NULL);
	/* Pending at shutdown: api_free waits for the last reply. */
	T_EQ_INT(req(HTTP_M_GET, "/api/v1/me", NULL), HTTP_DEFER);
	api_free(api);
	auth.fn(auth.arg, 0, NULL);
}

T_MAIN()
