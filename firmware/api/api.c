/*
 * api.c: the web process's request handler. It routes a request, applies
 * the checks every request shares (size, media type, Origin, session,
 * CSRF token, forced password change, admin) in that order, and then runs
 * the endpoint. Sessions come from the cache (session.c) or, on a miss,
 * from auth; every auth round trip defers the exchange.
 *
 * Default deny: a route is reachable only through the table below, and
 * its flags say what it may skip; anything not in the table is 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yyjson.h>

#include "api/api_impl.h"
#include "api/assets.h"
#include "api/classroom.h"
#include "api/lan.h"
#include "api/status.h"
#include "auth/authclient.h"
#include "auth/user_names.h"
#include "clock/clock.h"
#include "base/cb.h"

#define API_PREFIX		"/api/"
#define API_USERS_PATH		"/api/v1/users"
#define API_TOKEN_B64_LEN	43	/* base64url of 32 bytes */
#define API_ORIGIN_MAX		320	/* "https://" + Host */
#define API_ALLOW_MAX		64	/* the Allow header of a 405 */

enum api_route_flags {
	R_SESSION = 0x1,	/* needs a logged-in session */
	R_ADMIN = 0x2,		/* and USER_F_ADMIN */
	R_PWCHANGE_OK = 0x4,	/* reachable before the password change */
	R_BODY = 0x8,		/* takes a JSON body */
	R_LOGIN = 0x10,		/* no CSRF token; Origin checked if present */
	R_CSV = 0x20,		/* takes a text/csv body up to
				 * HTTP_MAX_BODY_BYTES (the roster import) */
	R_FILE = 0x40,		/* takes a raw file body up to
				 * HTTP_MAX_BODY_BYTES; files.c checks its
				 * type and size (REC_FILE_MAX) */
};

/* P_PATTERN: rt_path with '*' segments (an id each, into r_arg). */
enum api_path_kind { P_EXACT, P_USER, P_USER_OP, P_PATTERN };

struct api_route {
	enum http_method rt_method;
	enum api_path_kind rt_kind;
	const char *rt_path;		/* P_EXACT, P_PATTERN */
	unsigned rt_flags;
	api_step_fn *rt_fn;
};

static int api_login(struct api_req *r);
static int api_logout(struct api_req *r);
static int api_me(struct api_req *r);
static int api_password(struct api_req *r);

static const struct api_route api_routes[] = {
	{ HTTP_M_POST, P_EXACT, "/api/v1/login", R_LOGIN | R_BODY, api_login },
	{ HTTP_M_POST, P_EXACT, "/api/v1/logout", R_SESSION | R_PWCHANGE_OK,
	    api_logout },
	{ HTTP_M_GET, P_EXACT, "/api/v1/me", R_SESSION | R_PWCHANGE_OK,
	    api_me },
	{ HTTP_M_POST, P_EXACT, "/api/v1/password",
	    R_SESSION | R_PWCHANGE_OK | R_BODY, api_password },
	{ HTTP_M_GET, P_EXACT, API_USERS_PATH, R_SESSION | R_ADMIN,
	    api_users_list },
	{ HTTP_M_POST, P_EXACT, API_USERS_PATH, R_SESSION | R_ADMIN | R_BODY,
	    api_users_create },
	{ HTTP_M_GET, P_USER, NULL, R_SESSION | R_ADMIN, api_users_get },
	{ HTTP_M_DELETE, P_USER, NULL, R_SESSION | R_ADMIN, api_users_op },
	{ HTTP_M_POST, P_USER_OP, NULL, R_SESSION | R_ADMIN, api_users_op },

	/* Classroom data: every handler asks core/policy.c itself. */
#define CR(m, path, flags, fn) \
	{ HTTP_M_##m, P_PATTERN, "/api/v1/" path, R_SESSION | (flags), fn }
	CR(GET, "school", 0, api_school_get),
	CR(PUT, "school", R_BODY, api_school_put),
	CR(POST, "school/rollover", R_BODY, api_school_rollover),
	CR(POST, "school/terminate", R_ADMIN | R_BODY, api_school_terminate),
	/* The admins' download of everything (export.c). */
	CR(GET, "export", R_ADMIN, api_export),
	CR(GET, "export/progress", R_ADMIN, api_export_progress),
	CR(GET, "export/receipt", R_ADMIN, api_export_receipt),
	CR(POST, "export/confirm", R_ADMIN, api_export_confirm),
	CR(GET, "classes", 0, api_classes_list),
	CR(POST, "classes", R_BODY, api_classes_create),
	CR(GET, "classes/*", 0, api_class_get),
	CR(PUT, "classes/*", R_BODY, api_class_put),
	CR(GET, "classes/*/members", 0, api_members_list),
	CR(POST, "classes/*/members", R_BODY, api_members_add),
	CR(DELETE, "classes/*/members/*", 0, api_members_remove),
	CR(GET, "announcements", 0, api_announcements_list),
	CR(POST, "announcements", R_BODY, api_announcements_create),
	CR(GET, "announcements/*", 0, api_announcement_get),
	CR(POST, "announcements/*/seen", 0, api_announcement_seen),
	CR(GET, "announcements/*/receipts", 0, api_announcement_receipts),
	CR(GET, "assignments", 0, api_assignments_list),
	CR(POST, "assignments", R_BODY, api_assignments_create),
	CR(GET, "assignments/*", 0, api_assignment_get),
	CR(GET, "assignments/*/submissions", 0, api_submissions_list),
	CR(POST, "assignments/*/submissions", R_BODY, api_submissions_create),
	CR(GET, "attendance", 0, api_attendance_list),
	CR(POST, "attendance", R_BODY, api_attendance_record),
	CR(GET, "absence-notices", 0, api_notices_list),
	CR(POST, "absence-notices", R_BODY, api_notices_create),
	CR(GET, "absence-notices/*", 0, api_notice_get),
	CR(POST, "absence-notices/*/withdraw", 0, api_notice_withdraw),
	CR(GET, "guidance-notes", 0, api_guidance_list),
	CR(POST, "guidance-notes", R_BODY, api_guidance_create),
	CR(POST, "grants", R_BODY, api_grants_create),
	CR(DELETE, "grants/*/*", 0, api_grants_delete),
	/* Conflicts left by sync, a teacher's merge (conflicts.c). */
	CR(GET, "conflicts", 0, api_conflicts_list),
	CR(POST, "conflicts/*/resolve", R_BODY, api_conflict_resolve),
	/* Roster import (import.c): admins; the body is the CSV file. */
	CR(POST, "roster/import", R_ADMIN | R_CSV, api_roster_import),
	CR(GET, "roster/import/*/slips", R_ADMIN, api_roster_slips),
	/* Attached files (files.c): the body is the file's bytes. */
	CR(POST, "files", R_FILE, api_files_upload),
	CR(GET, "files/*", 0, api_file_get),
	/* The audit logs (audit_api.c): admins; newest first. */
	CR(GET, "audit/login", R_ADMIN, api_audit_login_view),
	CR(GET, "audit/ops", R_ADMIN, api_audit_ops_view),
	/* Update bundles for updated (update_api.c): admins; raw pieces. */
	CR(PUT, "update/upload/*", R_ADMIN | R_FILE, api_update_upload),
	CR(POST, "update/upload/done", R_ADMIN, api_update_upload_done),
	CR(DELETE, "update/upload", R_ADMIN, api_update_upload_drop),
	CR(GET, "update", R_ADMIN, api_update_status),
#undef CR
	/* Status and notices (status.c, notices.c). */
	{ HTTP_M_GET, P_EXACT, "/api/v1/status", 0, api_status_json },
	{ HTTP_M_GET, P_EXACT, "/api/v1/status/sync", R_SESSION | R_ADMIN,
	    api_status_sync },
	/* The enrollment file, handed to sync (sync_api.c). */
	{ HTTP_M_POST, P_EXACT, "/api/v1/sync/enrollment",
	    R_SESSION | R_ADMIN | R_FILE, api_sync_enrollment },
	/* The cloud link's proxy, handed to sync the same way (sync_api.c). */
	{ HTTP_M_GET, P_EXACT, "/api/v1/sync/proxy", R_SESSION | R_ADMIN,
	    api_sync_proxy_get },
	{ HTTP_M_PUT, P_EXACT, "/api/v1/sync/proxy",
	    R_SESSION | R_ADMIN | R_BODY, api_sync_proxy_put },
	{ HTTP_M_DELETE, P_EXACT, "/api/v1/sync/proxy", R_SESSION | R_ADMIN,
	    api_sync_proxy_delete },
	{ HTTP_M_GET, P_EXACT, "/api/v1/notices", R_SESSION, api_sysnotices_list },
	{ HTTP_M_POST, P_EXACT, "/api/v1/notices", R_SESSION | R_ADMIN | R_BODY,
	    api_sysnotices_create },
	{ HTTP_M_DELETE, P_PATTERN, "/api/v1/notices/*", R_SESSION | R_ADMIN,
	    api_sysnotices_delete },
	/* The image's software bill of materials (sbom.c). */
	{ HTTP_M_GET, P_EXACT, "/api/v1/admin/sbom", R_SESSION | R_ADMIN,
	    api_admin_sbom },
	/* The backups, from the root job's status file (backup_api.c). */
	{ HTTP_M_GET, P_EXACT, "/api/v1/admin/backups", R_SESSION | R_ADMIN,
	    api_admin_backups },
	/* Offline password reset codes (reset.c). */
	{ HTTP_M_POST, P_PATTERN, "/api/v1/users/*/reset-code", R_SESSION,
	    api_reset_code_issue },
	{ HTTP_M_POST, P_EXACT, "/api/v1/password/reset", R_BODY,
	    api_password_reset },
	/* Online: a request replicated up to the platform (reset.c). */
	{ HTTP_M_POST, P_EXACT, "/api/v1/password/reset-request", R_BODY,
	    api_password_reset_request },
	/* The LAN: certificates, the CA for MDMs, network settings (lan.c). */
#define LAN(m, path, flags, fn) { HTTP_M_##m, P_EXACT, "/api/v1/lan" path, \
	    R_SESSION | R_ADMIN | (flags), fn }
	LAN(GET, "", 0, api_lan_view),
	LAN(GET, "/ca.pem", 0, api_lan_ca_pem_get),
	LAN(GET, "/ca.der", 0, api_lan_ca_der_get),
	LAN(GET, "/ca.mobileconfig", 0, api_lan_mobileconfig),
	LAN(PUT, "/certificate", R_BODY, api_lan_cert_upload),
	LAN(DELETE, "/certificate", 0, api_lan_cert_remove),
	LAN(PUT, "/network", R_BODY, api_lan_network_set),
	LAN(POST, "/network/confirm", R_BODY, api_lan_network_ok),
#undef LAN
};

/* ---- life cycle --------------------------------------------------- */

int
api_new(struct api **out, struct authc *ac, const struct api_config *cfg)
{
	struct api *a;
	int rc;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return CB_ENOMEM;
	a->a_ac = ac;
	a->a_public_origin = cfg ? cfg->public_origin : NULL;
	a->a_sbom_path = cfg ? cfg->sbom_path : NULL;
	a->a_audit_fd = -1;
	a->a_start_ms = cb_now_ms();
	if ((rc = api_scache_new(&a->a_sessions, API_SESSION_CACHE_MAX)) !=
	    CB_OK) {
		free(a);
		return rc;
	}
	*out = a;
	return CB_OK;
}

void
api_set_store(struct api *a, struct store *s)
{
	a->a_store = s;
}

int
api_set_audit(struct api *a, struct audit_log *ops, struct loop *l)
{
	return api_audit_start(a, ops, l);
}

static void
api_destroy(struct api *a)
{
	api_scache_free(a->a_sessions);
	api_imports_free(a->a_imports);
	api_lan_stop(a);
	clock_close(a->a_own_clock);
	free(a->a_sync_status);
	free(a);
}

/* With requests still waiting on auth, the last one frees the api. */
void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	api_audit_stop(a);	/* logs what waits for the log */
	a->a_closing = 1;
	if (a->a_pending == 0)
		api_destroy(a);
}

void
api_on_revoke(void *arg, const struct auth_revoke *rv)
{
	struct api *a = arg;
	size_t n;

	if (a == NULL || rv == NULL)
		return;
	if (rv->ar_uid[0] == '\0') {
		api_scache_drop(a->a_sessions, rv->ar_token_hash);
		return;
	}
	if (memchr(rv->ar_uid, '\0', sizeof(rv->ar_uid)) == NULL)
		fatalx("AUTH_REVOKE without a NUL in its uid");
	n = api_scache_drop_uid(a->a_sessions, rv->ar_uid, rv->ar_keep_hash);
	log_debug("revoked %zu cached sessions of one user", n);
}

/* ---- answering ---------------------------------------------------- */

static void
api_reply_error(struct http_exchange *ex, const struct api_err *err)
{
	const struct api_err_info *info = api_err_info(err->ae_code);
	char *body = NULL, num[16];
	size_t len = 0;

	if (err->ae_code == API_E_TOO_MANY) {
		snprintf(num, sizeof(num), "%u", err->ae_retry_after_s);
		http_add_header(ex, "Retry-After", num);
	}
	if (api_err_body(err, &body, &len) != CB_OK) {
		http_reply(ex, 503, "text/plain; charset=utf-8", "busy\n", 5);
		return;
	}
	http_reply(ex, info->aei_status, API_JSON_CTYPE, body, len);
	free(body);
}

static void
api_reply_code(struct http_exchange *ex, enum api_err_code code)
{
	struct api_err err;

	(void)api_err_set(&err, code, 0, NULL, 0);
	api_reply_error(ex, &err);
}

static void
api_req_free(struct api_req *r)
{
	struct api *a = r->r_api;

	api_audit_free(r);
	cb_wipe(r, sizeof(*r));
	free(r);
	if (--a->a_pending == 0 && a->a_closing)
		api_destroy(a);
}

void
api_req_abandon(struct api_req *r)
{
	api_req_free(r);
}

/* A logged request is answered by audit_api.c once its operation-log
 * entries are durable (group commit); the others now. */
int
api_req_reply(struct api_req *r, int status, const char *ctype,
    const void *body, size_t len)
{
	if (api_audit_hold(r, status, ctype, body, len))
		return 0;
	http_reply(r->r_ex, status, ctype, body, len);
	api_req_free(r);
	return 0;
}

int
api_req_error_full(struct api_req *r, const struct api_err *err)
{
	const struct api_err_info *info = api_err_info(err->ae_code);
	char *body = NULL, num[16];
	size_t len = 0;

	if (err->ae_code == API_E_TOO_MANY) {
		snprintf(num, sizeof(num), "%u", err->ae_retry_after_s);
		http_add_header(r->r_ex, "Retry-After", num);
	}
	if (api_err_body(err, &body, &len) != CB_OK)
		return api_req_reply(r, 503, "text/plain; charset=utf-8",
		    "busy\n", 5);
	api_req_reply(r, info->aei_status, API_JSON_CTYPE, body, len);
	free(body);
	return 0;
}

int
api_req_error(struct api_req *r, enum api_err_code code)
{
	struct api_err err;

	(void)api_err_set(&err, code, 0, NULL, 0);
	return api_req_error_full(r, &err);
}

int
api_req_json(struct api_req *r, int status, yyjson_mut_doc *doc)
{
	size_t len = 0;
	char *body = doc ? yyjson_mut_write(doc, 0, &len) : NULL;

	yyjson_mut_doc_free(doc);
	if (body == NULL)
		return api_req_error(r, API_E_INTERNAL);
	api_req_reply(r, status, API_JSON_CTYPE, body, len);
	/* Bodies may carry a CSRF token or an initial password. */
	cb_wipe(body, len);
	free(body);
	return 0;
}

int
api_req_status(struct api_req *r, int status, uint32_t retry_after_s)
{
	struct api_err err;

	if (status == CB_ESESSION)
		api_scache_drop(r->r_api->a_sessions, r->r_hash);
	(void)api_err_set(&err, api_err_from_status(status), 0, NULL, 0);
	err.ae_retry_after_s = retry_after_s;
	if (err.ae_code == API_E_INTERNAL)
		log_warn("auth answered %s", cb_strerror(status));
	return api_req_error_full(r, &err);
}

/* ---- calls to auth ------------------------------------------------ */

static void
api_req_on_reply(void *arg, uint32_t type, const void *reply)
{
	struct api_req *r = arg;

	if (r->r_api->a_closing) {
		api_req_free(r);
		return;
	}
	if (reply == NULL) {
		(void)api_req_error(r, API_E_UNAVAILABLE);
		return;
	}
	if (type != r->r_expect) {
		log_err("auth answered type %u, expected %u", type, r->r_expect);
		(void)api_req_error(r, API_E_INTERNAL);
		return;
	}
	(void)r->r_next(r, reply);
}

int
api_req_call(struct api_req *r, uint32_t type, const void *payload,
    size_t len, uint32_t reply_type, api_reply_fn *fn)
{
	int rc;

	r->r_expect = reply_type;
	r->r_next = fn;
	rc = authc_call(r->r_api->a_ac, type, payload, len, api_req_on_reply,
	    r);
	if (rc == CB_OK)
		return HTTP_DEFER;
	return api_req_error(r, rc == CB_EBUSY ? API_E_BUSY :
	    API_E_UNAVAILABLE);
}

/* ---- request checks ----------------------------------------------- */

int
api_ctype_is_json(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* text/csv, with or without parameters (charset is not trusted: the
 * parser decides between UTF-8 and Shift_JIS itself). */
static int
api_ctype_is_csv(const char *ct)
{
	static const char want[] = "text/csv";
	size_t n = sizeof(want) - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* "https://" + host, without a default ":443". */
static int
api_expected_origin(const char *host, char *out, size_t size)
{
	size_t n;
	int len;

	if (host == NULL || host[0] == '\0' || strpbrk(host, "/@ \t") != NULL)
		return 0;
	n = strlen(host);
	if (n > 4 && strcmp(host + n - 4, ":443") == 0)
		n -= 4;
	len = snprintf(out, size, "https://%.*s", (int)n, host);
	return len > 0 && (size_t)len < size;
}

static int
api_origin_match(const char *origin, size_t len, const char *want,
    const char *extra)
{
	if (strlen(want) == len && strncasecmp(origin, want, len) == 0)
		return 1;
	return extra != NULL && strlen(extra) == len &&
	    strncasecmp(origin, extra, len) == 0;
}

/*
 * Origin must be "https://" + Host (or the configured extra origin); with
 * no Origin, the origin part of Referer stands in; with neither, refuse.
 */
int
api_origin_ok(const char *host, const char *origin, const char *referer,
    const char *extra)
{
	char want[API_ORIGIN_MAX];
	const char *p;

	if (!api_expected_origin(host, want, sizeof(want)))
		return 0;
	if (origin != NULL)
		return api_origin_match(origin, strlen(origin), want, extra);
	if (referer == NULL || strncasecmp(referer, "https://", 8) != 0)
		return 0;
	p = referer + 8;
	p += strcspn(p, "/?#");
	return api_origin_match(referer, (size_t)(p - referer), want, extra);
}

int
api_cookie_token(const char *cookie, uint8_t token[AUTH_TOKEN_LEN])
{
	static const char name[] = API_COOKIE_NAME "=";
	const char *p = cookie;
	size_t vlen, out_len;
	int i;

	for (i = 0; p != NULL && *p != '\0' && i < HTTP_MAX_HEADERS; i++) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncmp(p, name, sizeof(name) - 1) == 0) {
			p += sizeof(name) - 1;
			vlen = strcspn(p, "; \t");
			if (vlen != API_TOKEN_B64_LEN ||
			    cb_b64url_decode(p, vlen, token, AUTH_TOKEN_LEN,
			    &out_len) != CB_OK || out_len != AUTH_TOKEN_LEN)
				return CB_EINVAL;
			return CB_OK;
		}
		p = strchr(p, ';');
	}
	return CB_ENOTFOUND;
}

int
api_csrf_ok(const char *header, const uint8_t csrf[AUTH_CSRF_LEN])
{
	char want[API_TOKEN_B64_LEN + 1];
	int ok;

	if (header == NULL || strlen(header) != API_TOKEN_B64_LEN ||
	    cb_b64url_encode(csrf, AUTH_CSRF_LEN, want, sizeof(want)) != CB_OK)
		return 0;
	ok = cb_memeq_ct(header, want, API_TOKEN_B64_LEN) == 0;
	cb_wipe(want, sizeof(want));
	return ok;
}

static int
api_is_write(enum http_method m)
{
	return m == HTTP_M_POST || m == HTTP_M_PUT || m == HTTP_M_PATCH ||
	    m == HTTP_M_DELETE;
}

/* ---- sessions ----------------------------------------------------- */

static void
api_touch(struct api_req *r)
{
	struct auth_token t;

	memcpy(t.at_token, r->r_token, sizeof(t.at_token));
	if (authc_send(r->r_api->a_ac, AUTH_TOUCH, &t, sizeof(t)) != CB_OK)
		log_debug("session touch not sent");
	cb_wipe(&t, sizeof(t));
}

/*
 * The school's life cycle, before any endpoint: terminated, nothing but
 * logout; terminating, no writes but logout, password, the admins'
 * PUT /school (which moves the termination on or calls it off) and their
 * confirmation of an export (which writes no record). The
 * classroom handlers apply the same rules again through core/policy.c.
 */
static enum api_err_code
api_school_gate(struct api_req *r, const struct http_req *q)
{
	api_step_fn *fn = r->r_route->rt_fn;
	int st = api_school_state(r->r_api);

	if (fn == api_logout)
		return API_E_NONE;
	if (st == PS_TERMINATED)
		return API_E_TERMINATED;
	if (st == PS_TERMINATING && api_is_write(q->method) &&
	    fn != api_password && fn != api_school_put &&
	    fn != api_school_terminate && fn != api_export_confirm)
		return API_E_TERMINATING;
	return API_E_NONE;
}

/* Writes that go on when the disk is nearly full: sessions, passwords,
 * the school's end, the admins' incident banners and account safety.
 * Everything else waits for space (the logs keep what is left). */
static int
api_write_essential(api_step_fn *fn)
{
	return fn == api_logout || fn == api_password ||
	    fn == api_school_put || fn == api_school_terminate ||
	    fn == api_export_confirm ||
	    fn == api_sysnotices_create || fn == api_sysnotices_delete ||
	    fn == api_users_op || fn == api_reset_code_issue;
}

static enum api_err_code
api_disk_gate(struct api_req *r, const struct http_req *q)
{
	struct disk_state d;

	if (!api_is_write(q->method) || api_write_essential(r->r_route->rt_fn))
		return API_E_NONE;
	api_disk(r->r_api, &d);
	return d.ds_level == DISK_FULL ? API_E_STORAGE_FULL : API_E_NONE;
}

/* The session is known: CSRF token, forced password change, admin. */
static int
api_gate(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	uint32_t flags = r->r_sess.as_user.au_flags;
	unsigned rf = r->r_route->rt_flags;
	enum api_err_code code;

	/* From here on the actor is known: refusals are logged too. */
	r->r_audit_action = api_audit_action(r, r->r_route->rt_fn);
	if (api_is_write(q->method) &&
	    !api_csrf_ok(q->csrf_token, r->r_sess.as_csrf))
		return api_req_error(r, API_E_CSRF);
	if ((flags & USER_F_MUST_CHANGE) && !(rf & R_PWCHANGE_OK))
		return api_req_error(r, API_E_PW_CHANGE_REQUIRED);
	if ((code = api_school_gate(r, q)) != API_E_NONE ||
	    (code = api_disk_gate(r, q)) != API_E_NONE)
		return api_req_error(r, code);
	if ((rf & R_ADMIN) && !(flags & USER_F_ADMIN))
		return api_req_error(r, API_E_FORBIDDEN);
	return r->r_route->rt_fn(r);
}

static int
api_on_session(struct api_req *r, const void *reply)
{
	const struct auth_session_r *sr = reply;
	struct api_session *s = &r->r_sess;
	int64_t now = cb_now_ms();

	if (sr->asr_status != CB_OK)
		return api_req_status(r, sr->asr_status, 0);
	memset(s, 0, sizeof(*s));
	memcpy(s->as_hash, r->r_hash, sizeof(s->as_hash));
	memcpy(s->as_csrf, sr->asr_csrf, sizeof(s->as_csrf));
	s->as_user = sr->asr_user;
	s->as_created_ms = sr->asr_created_ms;
	s->as_last_seen_ms = now;
	s->as_touched_ms = sr->asr_last_seen_ms;
	if (now - s->as_touched_ms >= AUTH_TOUCH_INTERVAL_MS) {
		s->as_touched_ms = now;
		api_touch(r);
	}
	api_scache_put(r->r_api->a_sessions, s);
	return api_gate(r);
}

static int
api_authenticate(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	struct auth_token t;
	int touch = 0, rc;

	if (api_cookie_token(q->cookie, r->r_token) != CB_OK ||
	    api_token_hash(r->r_token, r->r_hash) != CB_OK)
		return api_req_error(r, API_E_NOT_LOGGED_IN);
	rc = api_scache_lookup(r->r_api->a_sessions, r->r_hash, cb_now_ms(),
	    &r->r_sess, &touch);
	if (rc == CB_OK) {
		if (touch)
			api_touch(r);
		return api_gate(r);
	}
	if (rc == CB_ESESSION)
		return api_req_error(r, API_E_NOT_LOGGED_IN);
	memcpy(t.at_token, r->r_token, sizeof(t.at_token));
	rc = api_req_call(r, AUTH_SESSION, &t, sizeof(t), AUTH_SESSION_R,
	    api_on_session);
	cb_wipe(&t, sizeof(t));
	return rc;
}

/* ---- session endpoints -------------------------------------------- */

static void
api_copy_field(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static const char *
api_school_state_name(int st)
{
	return st == PS_TERMINATED ? "terminated" :
	    st == PS_TERMINATING ? "terminating" : "active";
}

static int
api_session_body(struct api_req *r, int status, const struct auth_user *u,
    const uint8_t *csrf, int with_flag)
{
	yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = doc ? yyjson_mut_obj(doc) : NULL;
	yyjson_mut_val *uv = root ? api_user_json(doc, u) : NULL;
	char tok[API_TOKEN_B64_LEN + 1];
	int ok;

	ok = uv != NULL &&
	    cb_b64url_encode(csrf, AUTH_CSRF_LEN, tok, sizeof(tok)) == CB_OK &&
	    yyjson_mut_obj_add_val(doc, root, "user", uv) &&
	    yyjson_mut_obj_add_strcpy(doc, root, "csrf_token", tok);
	if (ok && with_flag)
		ok = yyjson_mut_obj_add_bool(doc, root, "must_change_password",
		    (u->au_flags & USER_F_MUST_CHANGE) != 0);
	/* The banner: "terminating" tells every page to say so. */
	if (ok)
		ok = yyjson_mut_obj_add_str(doc, root, "school_state",
		    api_school_state_name(api_school_state(r->r_api)));
	/* Admins' banner: the data partition filling (disk.h). */
	if (ok && (u->au_flags & USER_F_ADMIN)) {
		struct disk_state d;
		yyjson_mut_val *dv = yyjson_mut_obj(doc);

		api_disk(r->r_api, &d);
		ok = dv != NULL &&
		    yyjson_mut_obj_add_str(doc, dv, "level",
		    disk_level_name(d.ds_level)) &&
		    yyjson_mut_obj_add_uint(doc, dv, "used_percent",
		    d.ds_used_pct) &&
		    yyjson_mut_obj_add_uint(doc, dv, "free_bytes", d.ds_avail) &&
		    yyjson_mut_obj_add_val(doc, root, "disk", dv);
	}
	cb_wipe(tok, sizeof(tok));
	if (!ok) {
		yyjson_mut_doc_free(doc);
		return api_req_error(r, API_E_INTERNAL);
	}
	yyjson_mut_doc_set_root(doc, root);
	return api_req_json(r, status, doc);
}

static int
api_login_done(struct api_req *r, const void *reply)
{
	const struct auth_login_r *lr = reply;
	struct api_session *s = &r->r_sess;
	char cookie[sizeof(API_COOKIE_NAME) + API_TOKEN_B64_LEN + 64];
	char tok[API_TOKEN_B64_LEN + 1];
	int64_t now = cb_now_ms();

	if (lr->alr_status != CB_OK)
		return api_req_status(r, lr->alr_status, lr->alr_retry_after_s);
	memset(s, 0, sizeof(*s));
	if (api_token_hash(lr->alr_token, s->as_hash) != CB_OK ||
	    cb_b64url_encode(lr->alr_token, AUTH_TOKEN_LEN, tok,
	    sizeof(tok)) != CB_OK)
		return api_req_error(r, API_E_INTERNAL);
	memcpy(s->as_csrf, lr->alr_csrf, sizeof(s->as_csrf));
	s->as_user = lr->alr_user;
	s->as_created_ms = s->as_last_seen_ms = s->as_touched_ms = now;
	api_scache_put(r->r_api->a_sessions, s);
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; Secure; "
	    "SameSite=Strict", API_COOKIE_NAME, tok);
	http_add_header(r->r_ex, "Set-Cookie", cookie);
	cb_wipe(tok, sizeof(tok));
	cb_wipe(cookie, sizeof(cookie));
	return api_session_body(r, 200, &s->as_user, s->as_csrf, 1);
}

static int
api_login(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	struct api_login_body b;
	struct auth_login m;
	struct api_err err;
	int rc;

	/* A terminated school: no login at all. */
	if (api_school_state(r->r_api) == PS_TERMINATED)
		return api_req_error(r, API_E_TERMINATED);
	if ((rc = api_parse_login(q->body, q->body_len, &b, &err)) != CB_OK)
		return rc == CB_ENOMEM ? api_req_error(r, API_E_BUSY) :
		    api_req_error_full(r, &err);
	memset(&m, 0, sizeof(m));
	memcpy(m.al_uid, b.alb_uid, sizeof(m.al_uid));
	memcpy(m.al_password, b.alb_password, sizeof(m.al_password));
	cb_wipe(&b, sizeof(b));
	api_copy_field(m.al_addr, sizeof(m.al_addr), q->peer);
	api_copy_field(m.al_ua, sizeof(m.al_ua), q->user_agent);
	rc = api_req_call(r, AUTH_LOGIN, &m, sizeof(m), AUTH_LOGIN_R,
	    api_login_done);
	cb_wipe(&m, sizeof(m));
	return rc;
}

static int
api_logout_done(struct api_req *r, const void *reply)
{
	const struct auth_status_r *st = reply;

	if (st->as_status != CB_OK && st->as_status != CB_ESESSION)
		return api_req_status(r, st->as_status, st->as_retry_after_s);
	api_scache_drop(r->r_api->a_sessions, r->r_hash);
	http_add_header(r->r_ex, "Set-Cookie", API_COOKIE_NAME "=; Path=/; "
	    "Max-Age=0; HttpOnly; Secure; SameSite=Strict");
	return api_req_reply(r, 204, NULL, NULL, 0);
}

static int
api_logout(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	struct auth_token t;
	struct api_err err;
	int rc;

	if (api_parse_empty(q->body, q->body_len, &err) != CB_OK)
		return api_req_error_full(r, &err);
	if (r->r_api->a_terminated) {	/* auth holds no sessions any more */
		static const struct auth_status_r gone = { CB_OK, 0 };
		return api_logout_done(r, &gone);
	}
	memcpy(t.at_token, r->r_token, sizeof(t.at_token));
	rc = api_req_call(r, AUTH_LOGOUT, &t, sizeof(t), AUTH_STATUS_R,
	    api_logout_done);
	cb_wipe(&t, sizeof(t));
	return rc;
}

static int
api_me(struct api_req *r)
{
	return api_session_body(r, 200, &r->r_sess.as_user,
	    r->r_sess.as_csrf, 0);
}

static int
api_password_done(struct api_req *r, const void *reply)
{
	const struct auth_status_r *st = reply;

	if (st->as_status == CB_EAUTH)
		return api_req_error(r, API_E_WRONG_PASSWORD);
	if (st->as_status != CB_OK)
		return api_req_status(r, st->as_status, st->as_retry_after_s);
	/* The flags changed: the next request fetches them from auth. */
	api_scache_drop(r->r_api->a_sessions, r->r_hash);
	return api_req_reply(r, 204, NULL, NULL, 0);
}

static int
api_password(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	struct api_passwd_body b;
	struct auth_passwd m;
	struct api_err err;
	int rc;

	if ((rc = api_parse_passwd(q->body, q->body_len, &b, &err)) != CB_OK)
		return rc == CB_ENOMEM ? api_req_error(r, API_E_BUSY) :
		    api_req_error_full(r, &err);
	memset(&m, 0, sizeof(m));
	memcpy(m.ap_token, r->r_token, sizeof(m.ap_token));
	memcpy(m.ap_old, b.apb_old, sizeof(m.ap_old));
	memcpy(m.ap_new, b.apb_new, sizeof(m.ap_new));
	api_school_name(r->r_api, m.ap_school, sizeof(m.ap_school));
	cb_wipe(&b, sizeof(b));
	rc = api_req_call(r, AUTH_PASSWD, &m, sizeof(m), AUTH_STATUS_R,
	    api_password_done);
	cb_wipe(&m, sizeof(m));
	return rc;
}

/* ---- routing ------------------------------------------------------ */

/* Classify an API path; for /users/{id}[/{op}] fill r_uid and r_op. */
static int
api_path_parse(const char *path, struct api_req *r, enum api_path_kind *kind)
{
	const char *id = path + sizeof(API_USERS_PATH), *slash;
	size_t n;

	*kind = P_EXACT;
	if (strncmp(path, API_USERS_PATH "/", sizeof(API_USERS_PATH)) != 0)
		return CB_OK;
	slash = strchr(id, '/');
	/* /users/{id}/reset-code is a P_PATTERN route (reset.c). */
	if (slash != NULL && strcmp(slash, "/reset-code") == 0)
		return CB_OK;
	n = slash ? (size_t)(slash - id) : strlen(id);
	if (!api_uid_valid(id, n))
		return CB_ENOTFOUND;
	memcpy(r->r_uid, id, n);
	r->r_uid[n] = '\0';
	*kind = P_USER;
	if (slash == NULL)
		return CB_OK;
	if ((r->r_op = user_op_from_word(slash + 1, 1)) == 0)
		return CB_ENOTFOUND;
	*kind = P_USER_OP;
	return CB_OK;
}

static const char *
api_method_name(enum http_method m)
{
	switch (m) {
	case HTTP_M_GET:	return "GET";
	case HTTP_M_POST:	return "POST";
	case HTTP_M_PUT:	return "PUT";
	case HTTP_M_DELETE:	return "DELETE";
	default:		return "";
	}
}

static int
api_id_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == ':' ||
	    c == '-';
}

/* Match path against a pattern; each '*' takes one non-empty segment of
 * id characters (at most API_ARG_MAX - 1 bytes), copied into r_arg. */
static int
api_pattern_match(const char *pat, const char *path, struct api_req *r)
{
	size_t narg = 0, n;

	while (*pat != '\0') {
		if (*pat != '*') {
			if (*pat++ != *path++)
				return 0;
			continue;
		}
		for (n = 0; api_id_char(path[n]); n++)
			;
		if (n == 0 || n >= API_ARG_MAX || narg >= 2 ||
		    (path[n] != '/' && path[n] != '\0'))
			return 0;
		memcpy(r->r_arg[narg], path, n);
		r->r_arg[narg++][n] = '\0';
		path += n;
		pat++;
	}
	return *path == '\0';
}

/* The route for the request, or 404, or 405 with an Allow header. */
static enum api_err_code
api_route_find(struct api_req *r, const struct http_req *q,
    const struct api_route **out)
{
	char allow[API_ALLOW_MAX] = "";
	enum api_path_kind kind;
	size_t i;

	*out = NULL;
	if (api_path_parse(q->path, r, &kind) != CB_OK)
		return API_E_NOT_FOUND;
	for (i = 0; i < CB_ARRAY_LEN(api_routes); i++) {
		const struct api_route *rt = &api_routes[i];

		if (rt->rt_kind == P_PATTERN) {
			if (kind != P_EXACT ||
			    !api_pattern_match(rt->rt_path, q->path, r))
				continue;
		} else if (rt->rt_kind != kind || (kind == P_EXACT &&
		    strcmp(rt->rt_path, q->path) != 0))
			continue;
		if (rt->rt_method == q->method) {
			*out = rt;
			return API_E_NONE;
		}
		if (allow[0] != '\0')
			strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
		strncat(allow, api_method_name(rt->rt_method),
		    sizeof(allow) - strlen(allow) - 1);
	}
	if (allow[0] == '\0')
		return API_E_NOT_FOUND;
	http_add_header(r->r_ex, "Allow", allow);
	return API_E_METHOD;
}

/* Size, media type and Origin: checks that need no session. */
static enum api_err_code
api_precheck(const struct api *a, const struct api_route *rt,
    const struct http_req *q)
{
	/* The HTTP layer caps every body at HTTP_MAX_BODY_BYTES (1 MiB);
	 * a CSV upload may use all of it, JSON bodies 16 KiB. */
	if (q->body_len > ((rt->rt_flags & (R_CSV | R_FILE)) ?
	    HTTP_MAX_BODY_BYTES : API_JSON_BODY_MAX))
		return API_E_TOO_LARGE;
	if (!api_is_write(q->method))
		return API_E_NONE;
	if ((rt->rt_flags & R_CSV) && !api_ctype_is_csv(q->content_type))
		return API_E_MEDIA_TYPE_CSV;
	if (!(rt->rt_flags & (R_CSV | R_FILE)) && (q->body_len > 0 ||
	    (rt->rt_flags & R_BODY)) && !api_ctype_is_json(q->content_type))
		return API_E_MEDIA_TYPE;
	if ((rt->rt_flags & R_LOGIN) && q->origin == NULL)
		return API_E_NONE;
	if (!api_origin_ok(q->host, q->origin, q->referer, a->a_public_origin))
		return API_E_CSRF;
	return API_E_NONE;
}

static int
api_handle_api(struct api *a, struct http_exchange *ex,
    const struct http_req *q)
{
	struct api_req *r = calloc(1, sizeof(*r));
	const struct api_route *rt;
	enum api_err_code code;
	uint64_t holds;
	int rc;

	if (r == NULL) {
		api_reply_code(ex, API_E_BUSY);
		return 0;
	}
	r->r_api = a;
	r->r_ex = ex;
	a->a_pending++;
	if ((code = api_route_find(r, q, &rt)) != API_E_NONE)
		return api_req_error(r, code);
	r->r_route = rt;
	if ((code = api_precheck(a, rt, q)) != API_E_NONE)
		return api_req_error(r, code);
	/* An answer held for the operation log (audit_api.c) is sent
	 * later, from the loop: for the HTTP layer it is deferred. */
	holds = a->a_holds;
	rc = (rt->rt_flags & R_SESSION) ? api_authenticate(r) : rt->rt_fn(r);
	return a->a_holds != holds ? HTTP_DEFER : rc;
}

/* ---- static files and health -------------------------------------- */

static const struct api_asset *
api_asset_find(const char *path)
{
	size_t i;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (i = 0; i < api_assets_count; i++)
		if (strcmp(api_assets[i].path, path) == 0)
			return &api_assets[i];
	return NULL;
}

/* If-None-Match: "*" or a list of entity tags, weak ones included. */
static int
api_etag_match(const char *inm, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = inm;
	int i;

	if (inm == NULL)
		return 0;
	for (i = 0; *p != '\0' && i < HTTP_MAX_HEADERS; i++) {
		p += strspn(p, " \t,");
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p == '*' || (strncmp(p, etag, n) == 0 &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' ')))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

static int
api_static(struct http_exchange *ex, const struct http_req *q)
{
	static const char nf[] = "404 ページが見つかりません / Not Found\n";
	const struct api_asset *as;

	if (q->method != HTTP_M_GET && q->method != HTTP_M_HEAD) {
		http_add_header(ex, "Allow", "GET, HEAD");
		http_reply(ex, 405, "text/plain; charset=utf-8",
		    "405 Method Not Allowed\n", 23);
		return 0;
	}
	if ((as = api_asset_find(q->path)) == NULL) {
		http_reply(ex, 404, "text/plain; charset=utf-8", nf,
		    sizeof(nf) - 1);
		return 0;
	}
	http_add_header(ex, "ETag", as->etag);
	http_add_header(ex, "Cache-Control", "no-cache");
	if (api_etag_match(q->if_none_match, as->etag))
		http_reply(ex, 304, NULL, NULL, 0);
	else
		http_reply(ex, 200, as->content_type, as->bytes, as->length);
	return 0;
}

static int
api_healthz(struct http_exchange *ex, const struct http_req *q)
{
	static const char ok[] = "{\"status\":\"ok\"}";

	if (q->method != HTTP_M_GET && q->method != HTTP_M_HEAD) {
		http_add_header(ex, "Allow", "GET, HEAD");
		api_reply_code(ex, API_E_METHOD);
		return 0;
	}
	http_add_header(ex, "Cache-Control", "no-store");
	http_reply(ex, 200, API_JSON_CTYPE, ok, sizeof(ok) - 1);
	return 0;
}

int
api_handle(void *arg, struct http_exchange *ex)
{
	struct api *a = arg;
	const struct http_req *q = http_request(ex);

	if (q->path == NULL || q->path[0] != '/') {
		api_reply_code(ex, API_E_BAD_REQUEST);
		return 0;
	}
	if (strcmp(q->path, "/healthz") == 0)
		return api_healthz(ex, q);
	if (api_status_handle(a, ex, q))
		return 0;
	if (strncmp(q->path, API_PREFIX, sizeof(API_PREFIX) - 1) == 0 ||
	    strcmp(q->path, "/api") == 0)
		return api_handle_api(a, ex, q);
	return api_static(ex, q);
}
