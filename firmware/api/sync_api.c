/*
 * sync_api.c: an admin uploads the school's enrollment file
 * (docs/sync.md, "Enrollment"; docs/api.md).
 *
 *   POST /api/v1/sync/enrollment[?replace=1]   body: the JSON file
 *
 * web checks the file with sync's own parser (sync/enroll.c) and the TLS
 * client's loading of the certificates and key, so that a mistake is
 * named (the field, never a secret), then hands it to sync through
 * DATA/sync/drop (sync/drop.h) and forgets it: web cannot read it back
 * there, nor DATA/sync/enroll.json where sync installs it. Replacing an
 * enrollment needs ?replace=1 (the UI's confirmation) and is its own
 * action in the operation log; the record id is "sync:enrollment", the
 * content is never logged. What sync made of it shows in
 * GET /api/v1/status/sync (enroll_result).
 *
 * A server certificate and key in the file (server_cert_pem,
 * server_key_pem) are web's: web installs them itself, exactly as an
 * admin's upload on the LAN page (lan_install_cert), and hands sync the
 * file without them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yyjson.h>

#include "api/api_impl.h"
#include "base/cb.h"
#include "base/proc.h"
#include "sync/drop.h"
#include "sync/enroll.h"
#include "sync/proxy.h"
#include "sync/status.h"

#define SYNC_API_RECORD		"sync:enrollment"
#define SYNC_API_FIELD_MAX	48

/* DATA/sync/NAME from the status file's path (DATA/sync/status.json). */
static int
sync_api_path(const struct api *a, const char *name, char *out, size_t size)
{
	const char *slash;

	if (a->a_sync_status == NULL ||
	    (slash = strrchr(a->a_sync_status, '/')) == NULL)
		return CB_ENOTFOUND;
	if (snprintf(out, size, "%.*s/%s", (int)(slash - a->a_sync_status),
	    a->a_sync_status, name) >= (int)size)
		return CB_ETOOBIG;
	return CB_OK;
}

/* {"error":{"code":C,"field":F,"message":EN,"message_ja":JA}} */
static int
sync_api_refuse(struct api_req *r, int status, const char *code,
    const char *field, const char *en, const char *ja)
{
	yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = doc ? yyjson_mut_obj(doc) : NULL;
	yyjson_mut_val *e = root ? yyjson_mut_obj(doc) : NULL;

	if (e == NULL || !yyjson_mut_obj_add_val(doc, root, "error", e) ||
	    !yyjson_mut_obj_add_str(doc, e, "code", code) ||
	    !yyjson_mut_obj_add_strcpy(doc, e, "message", en) ||
	    !yyjson_mut_obj_add_strcpy(doc, e, "message_ja", ja) ||
	    (field != NULL && !yyjson_mut_obj_add_strcpy(doc, e, "field",
	    field))) {
		yyjson_mut_doc_free(doc);
		return api_req_error(r, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(doc, root);
	return api_req_json(r, status, doc);
}

static int
sync_api_invalid(struct api_req *r, const char *err)
{
	char field[SYNC_API_FIELD_MAX], ja[SYNC_API_FIELD_MAX + 320];

	enroll_err_field(err, field, sizeof(field));
	if (field[0] != '\0')
		snprintf(ja, sizeof(ja), "登録ファイルの「%s」が正しくありま"
		    "せん (%s)", field, err);
	else
		snprintf(ja, sizeof(ja), "登録ファイルが正しくありません "
		    "(%s)", err);
	return sync_api_refuse(r, 400, "invalid_enrollment", field, err, ja);
}

static int
sync_api_accepted(struct api_req *r, const struct enroll *e, int replace)
{
	yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = doc ? yyjson_mut_obj(doc) : NULL;

	if (o == NULL ||
	    !yyjson_mut_obj_add_bool(doc, o, "accepted", true) ||
	    !yyjson_mut_obj_add_bool(doc, o, "replace", replace != 0) ||
	    !yyjson_mut_obj_add_strcpy(doc, o, "cloud_host",
	    e->en_url.hu_host) ||
	    !yyjson_mut_obj_add_strcpy(doc, o, "school_db", e->en_school_db) ||
	    !yyjson_mut_obj_add_strcpy(doc, o, "audit_db", e->en_audit_db) ||
	    !yyjson_mut_obj_add_bool(doc, o, "admin_password",
	    e->en_admin_password != NULL) ||
	    !yyjson_mut_obj_add_bool(doc, o, "server_certificate",
	    e->en_server_cert_pem != NULL)) {
		yyjson_mut_doc_free(doc);
		return api_req_error(r, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(doc, o);
	return api_req_json(r, 202, doc);
}

/* The drop holds no server certificate or key: they are web's, and sync
 * never sees web's key (enroll_without_server). */
static int
sync_api_drop(const char *drop, const char *buf, size_t len, int replace)
{
	char *kept;
	size_t klen;
	int rc;

	if ((rc = enroll_without_server(buf, len, &kept, &klen)) != CB_OK)
		return rc;
	rc = enroll_drop_put(drop, kept ? kept : buf, kept ? klen : len,
	    replace);
	if (kept != NULL) {
		cb_wipe(kept, klen);
		free(kept);
	}
	return rc;
}

/*
 * The enrollment's server certificate, installed as an admin's upload
 * (docs/lan.md: the latest wins). Checked already by enroll_check, so a
 * failure here is the disk's, after sync has the enrollment: said as
 * such, and the enrollment stays handed over. Not CB_OK: answered.
 */
static int
sync_api_server_cert(struct api_req *r, const struct enroll *e)
{
	const char *why = NULL;
	int rc;

	if (e->en_server_cert_pem == NULL)
		return CB_OK;
	rc = lan_install_cert(r->r_api, e->en_server_cert_pem,
	    e->en_server_key_pem, &why);
	if (rc == CB_OK) {
		log_info("web: the enrollment's server certificate is in "
		    "service");
		return CB_OK;
	}
	log_warn("web: cannot install the enrollment's server certificate: "
	    "%s", why ? why : cb_strerror(rc));
	(void)sync_api_refuse(r, rc == CB_EINVAL ? 400 : 500,
	    "server_certificate_not_installed", why ? "server_cert_pem" : NULL,
	    "The enrollment was handed to sync, but its server certificate "
	    "could not be installed; upload it on the LAN page.",
	    "登録ファイルは同期プロセスに渡しましたが、サーバー証明書を入れられ"
	    "ませんでした。校内ネットワークの画面から証明書をアップロードしてく"
	    "ださい。");
	return rc;
}

/*
 * The checks in order, the hand-over, then the reply. The body (the only
 * copy web had of the credentials) is wiped before any reply: the
 * exchange may be gone after it.
 */
int
api_sync_enrollment(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	int replace = q->query != NULL && strcmp(q->query, "replace=1") == 0;
	char drop[PATH_MAX], enrolled[PATH_MAX], err[256];
	int rc, put = CB_EINVAL, exists;
	struct enroll e;

	if (replace && r->r_audit_action != NULL)
		r->r_audit_action = "sync.enrollment_replace";
	if (q->body_len == 0)
		return api_req_error(r, API_E_BAD_REQUEST);
	if (q->body_len > ENROLL_MAX_BYTES)
		return api_req_error(r, API_E_TOO_LARGE);
	if (sync_api_path(r->r_api, "drop", drop, sizeof(drop)) != CB_OK ||
	    sync_api_path(r->r_api, ENROLL_FILE, enrolled, sizeof(enrolled))
	    != CB_OK)
		return api_req_error(r, API_E_UNAVAILABLE);
	/* web may look the name up (DATA/sync is 0711), never read it. */
	exists = access(enrolled, F_OK) == 0;
	rc = enroll_check(q->body, q->body_len, &e, err, sizeof(err));
	if (rc == CB_OK && (replace || !exists))	/* nothing to replace:
							 * a new one */
		put = sync_api_drop(drop, q->body, q->body_len,
		    replace && exists);
	cb_wipe((char *)q->body, q->body_len);
	if (rc != CB_OK)
		return rc == CB_ENOMEM ? api_req_error(r, API_E_BUSY) :
		    sync_api_invalid(r, err);
	if (!replace && exists) {
		enroll_free(&e);
		return sync_api_refuse(r, 409, "already_enrolled", NULL,
		    "This box is already enrolled; replacing the enrollment "
		    "must be confirmed (replace=1).",
		    "この箱は登録済みです。登録を置き換えるには確認が必要です。");
	}
	if (put != CB_OK) {
		log_warn("web: cannot hand the enrollment to sync in %s: %s",
		    drop, cb_strerror(put));
		enroll_free(&e);
		return sync_api_refuse(r, 503, "sync_unavailable", NULL,
		    "The sync process's drop directory is not there; is sync "
		    "running?", "同期プロセスの受け取り場所がありません。");
	}
	api_audit_note(r, SYNC_API_RECORD);
	log_info("web: an admin handed an enrollment to sync (%s, cloud %s)",
	    replace && exists ? "replacing" : "new", e.en_url.hu_host);
	if (sync_api_server_cert(r, &e) != CB_OK)
		rc = 0;		/* answered */
	else
		rc = sync_api_accepted(r, &e, replace && exists);
	enroll_free(&e);
	return rc;
}

/* ---- the proxy (docs/lan.md, "The school's web proxy") -------------------
 *
 *   GET    /api/v1/sync/proxy   what sync uses and where it was set
 *   PUT    /api/v1/sync/proxy   {"proxy":"http://H:P"[,"proxy_user":U,
 *                               "proxy_password":P]}
 *   DELETE /api/v1/sync/proxy   clear the admin's setting (the config's or
 *                               the enrollment's applies again)
 *
 * Like the enrollment: web checks the setting (sync/proxy.c), drops it in
 * DATA/sync/drop and forgets it; sync checks it again, keeps it where web
 * cannot read it and answers in its status file, which GET reads. The
 * operation log gets sync.proxy_set / sync.proxy_clear on "sync:proxy",
 * never the setting.
 */
#define SYNC_API_PROXY_RECORD	"sync:proxy"

static int
sync_api_proxy_invalid(struct api_req *r, const char *err)
{
	char field[SYNC_API_FIELD_MAX], ja[SYNC_API_FIELD_MAX + 320];

	enroll_err_field(err, field, sizeof(field));
	snprintf(ja, sizeof(ja), "プロキシの設定が正しくありません (%s)", err);
	return sync_api_refuse(r, 400, "invalid_proxy", field[0] ? field :
	    "proxy", err, ja);
}

/* Hand the setting (canonical JSON, "{}" to clear) to sync. */
static int
sync_api_proxy_drop(struct api_req *r, const struct proxy *p)
{
	char drop[PATH_MAX], *json;
	size_t len;
	int rc;

	if (sync_api_path(r->r_api, "drop", drop, sizeof(drop)) != CB_OK)
		return CB_EUNAVAIL;
	if ((rc = proxy_setting_json(p, &json, &len)) != CB_OK)
		return rc;
	rc = proxy_drop_put(drop, json, len);
	cb_wipe(json, len);
	free(json);
	if (rc != CB_OK)
		log_warn("web: cannot hand the proxy setting to sync in %s: %s",
		    drop, cb_strerror(rc));
	return rc;
}

static int
sync_api_proxy_unavailable(struct api_req *r)
{
	return sync_api_refuse(r, 503, "sync_unavailable", NULL,
	    "The sync process's drop directory is not there; is sync "
	    "running?", "同期プロセスの受け取り場所がありません。");
}

static int
sync_api_proxy_accepted(struct api_req *r, const struct proxy *p)
{
	yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = doc ? yyjson_mut_obj(doc) : NULL;

	if (o == NULL ||
	    !yyjson_mut_obj_add_bool(doc, o, "accepted", true) ||
	    !yyjson_mut_obj_add_strcpy(doc, o, "host", p->px_set ?
	    p->px_host : "") ||
	    !yyjson_mut_obj_add_int(doc, o, "port", p->px_set ?
	    p->px_port : 0) ||
	    !yyjson_mut_obj_add_bool(doc, o, "user", p->px_user[0] != '\0') ||
	    !yyjson_mut_obj_add_bool(doc, o, "password",
	    p->px_password[0] != '\0')) {
		yyjson_mut_doc_free(doc);
		return api_req_error(r, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(doc, o);
	return api_req_json(r, 202, doc);
}

int
api_sync_proxy_put(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	char err[256];
	struct proxy p;
	int rc, put = CB_EINVAL;

	if (q->body_len == 0)
		return api_req_error(r, API_E_BAD_REQUEST);
	if (q->body_len > PROXY_SETTING_MAX) {
		cb_wipe((char *)q->body, q->body_len);
		return api_req_error(r, API_E_TOO_LARGE);
	}
	rc = proxy_setting_parse(q->body, q->body_len, &p, err, sizeof(err));
	if (rc == CB_OK && !p.px_set) {
		snprintf(err, sizeof(err), "\"proxy\" is missing (DELETE "
		    "/api/v1/sync/proxy clears the setting)");
		rc = CB_EINVAL;
	}
	if (rc == CB_OK)
		put = sync_api_proxy_drop(r, &p);
	cb_wipe((char *)q->body, q->body_len);
	if (rc != CB_OK)
		return sync_api_proxy_invalid(r, err);
	if (put != CB_OK) {
		proxy_wipe(&p);
		return sync_api_proxy_unavailable(r);
	}
	api_audit_note(r, SYNC_API_PROXY_RECORD);
	log_info("web: an admin handed a proxy setting to sync (%s port %d, "
	    "%s)", p.px_host, p.px_port, p.px_user[0] ? "with a user and "
	    "password" : "without a user and password");
	rc = sync_api_proxy_accepted(r, &p);
	proxy_wipe(&p);
	return rc;
}

int
api_sync_proxy_delete(struct api_req *r)
{
	struct proxy none;

	memset(&none, 0, sizeof(none));
	if (sync_api_proxy_drop(r, &none) != CB_OK)
		return sync_api_proxy_unavailable(r);
	api_audit_note(r, SYNC_API_PROXY_RECORD);
	log_info("web: an admin cleared the proxy setting");
	return sync_api_proxy_accepted(r, &none);
}

/* The proxy sync said it uses (its status file), and whether a setting
 * waits in the drop directory (web may look the name up, not list). */
int
api_sync_proxy_get(struct api_req *r)
{
	char pending[PATH_MAX];
	struct sync_status st;
	yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = doc ? yyjson_mut_obj(doc) : NULL;
	int known = r->r_api->a_sync_status != NULL &&
	    sync_status_read(r->r_api->a_sync_status, &st) == CB_OK;
	int waiting = sync_api_path(r->r_api, "drop/" PROXY_DROP, pending,
	    sizeof(pending)) == CB_OK && access(pending, F_OK) == 0;

	if (!known) {
		memset(&st, 0, sizeof(st));
		strcpy(st.st_proxy_source, "unknown");
	}
	if (o == NULL ||
	    !yyjson_mut_obj_add_strcpy(doc, o, "source",
	    st.st_proxy_source[0] ? st.st_proxy_source : "none") ||
	    !yyjson_mut_obj_add_strcpy(doc, o, "host", st.st_proxy_host) ||
	    !yyjson_mut_obj_add_int(doc, o, "port", st.st_proxy_port) ||
	    !yyjson_mut_obj_add_bool(doc, o, "user", st.st_proxy_user != 0) ||
	    !yyjson_mut_obj_add_bool(doc, o, "password",
	    st.st_proxy_password != 0) ||
	    !yyjson_mut_obj_add_bool(doc, o, "pending", waiting) ||
	    !yyjson_mut_obj_add_strcpy(doc, o, "result",
	    st.st_proxy_result) ||
	    !yyjson_mut_obj_add_int(doc, o, "result_ms", st.st_proxy_ms) ||
	    !yyjson_mut_obj_add_bool(doc, o, "result_ok",
	    st.st_proxy_ok != 0)) {
		yyjson_mut_doc_free(doc);
		return api_req_error(r, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(doc, o);
	http_add_header(r->r_ex, "Cache-Control", "no-store");
	return api_req_json(r, 200, doc);
}
