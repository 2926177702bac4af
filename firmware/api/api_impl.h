/*
 * api_impl.h: what api.c shares with users.c, private to firmware/api.
 *
 * A request that needs auth becomes a struct api_req: it carries the
 * exchange, the cookie token and the cached session across the auth round
 * trips. Every api_req ends in exactly one of api_req_reply/_error/_json,
 * which answer the exchange and free it; after that call the api_req is
 * gone. A step function returns 0 when it has answered, or HTTP_DEFER when
 * an auth call now owns the api_req.
 */
#ifndef API_IMPL_H
#define API_IMPL_H

#include <stdint.h>

#include "api/api.h"
#include "api/disk.h"
#include "api/json.h"
#include "api/session.h"
#include "auth/authproto.h"
#include "net/http.h"

#define API_ARG_MAX	201		/* a path segment: a record id */

struct store;
struct api_imports;
struct audit_log;

/*
 * reset.c: online reset requests, throttled in memory per client address
 * and per user name (whether or not the user exists: the answer must not
 * tell). A restart forgets the counts; the platform answers each user's
 * requests at most once anyway.
 */
#define RESET_REQ_SLOTS		256	/* addresses and names remembered */
#define RESET_REQ_WINDOW_MS	(60LL * 60 * 1000)	/* an hour */
#define RESET_REQ_PER_USER_MAX	3	/* pending requests a user may have
					 * in a window */
#define RESET_REQ_PER_ADDR_MAX	10	/* requests from one address in a
					 * window */
#define RESET_REQ_PAD_ID	"_local/password_reset_pad"	/* reset.c */
struct reset_req_slot {
	char rs_key[AUTH_ADDR_MAX + 2];	/* "a:<address>" or "u:<uid>" */
	int64_t rs_since_ms;		/* the window's start */
	uint32_t rs_count;
};

struct api {
	struct authc *a_ac;
	struct store *a_store;		/* classroom data; NULL: 503 */
	struct api_scache *a_sessions;
	const char *a_public_origin;	/* may be NULL */
	struct api_imports *a_imports;	/* import.c: slips in memory */
	struct audit_log *a_ops;	/* operation log (audit_api.c); NULL:
					 * not kept (tests, development) */
	struct loop *a_loop;
	int a_audit_fd;			/* eventfd: answers wait for the log */
	struct api_req *a_held, **a_held_tail; /* those answers, in order */
	size_t a_nheld;
	uint64_t a_holds;		/* answers ever held */
	const struct http_server *a_srv;	/* status.c: /metrics counters */
	struct clock *a_clock;		/* status.c: not owned; may be NULL */
	struct clock *a_own_clock;	/* status.c: read-only, owned */
	int64_t a_start_ms;		/* process start, for /metrics */
	char *a_sync_status;		/* DATA/sync/status.json, or NULL */
	const char *a_sbom_path;	/* sbom.c; NULL: API_SBOM_PATH */
	struct api_lan *a_lan;		/* lan.c: certificates, network */
	uint64_t a_pending;		/* api_reqs alive */
	int a_closing;			/* api_free called; last req frees */
	int a_terminated;		/* terminate.c: the school has ended */
	struct api_export *a_exports;	/* export.c: running downloads */
	int a_nexports;
	uint64_t a_export_seq;
	char a_keys_dir[256];		/* DATA/keys: the marker, the KEK */
	char a_ops_dir[256];		/* DATA/audit/ops */
	char a_data_dir[256];		/* DATA: its disk (disk.c) */
	struct disk_state a_disk;	/* disk.c: the last statvfs */
	int64_t a_disk_at;
	struct reset_req_slot a_reset_req[RESET_REQ_SLOTS];
};

struct api_route;
struct api_export;

struct api_req {
	struct api *r_api;
	struct http_exchange *r_ex;
	const struct api_route *r_route;
	uint8_t r_token[AUTH_TOKEN_LEN];
	uint8_t r_hash[API_SESSION_HASH_LEN];
	struct api_session r_sess;	/* valid once authenticated */
	char r_uid[AUTH_UID_MAX];	/* /users/{id}: the target */
	uint32_t r_op;			/* /users/{id}/{op}: enum auth_user_op */
	char r_arg[2][API_ARG_MAX];	/* the '*' segments of a route */
	uint32_t r_expect;		/* reply type of the pending call */
	int (*r_next)(struct api_req *r, const void *reply);
	/* Operation log (audit_api.c): the action of this route for this
	 * user, set by the gate (NULL: not logged), and the records the
	 * request wrote (api_audit_note). Appended before the answer. */
	const char *r_audit_action;
	char **r_audit_ids;
	size_t r_audit_n, r_audit_cap;
	/* The held answer (api_audit_hold). */
	struct api_req *r_held_next;
	int r_held_status;
	char *r_held_ctype;
	void *r_held_body;
	size_t r_held_len;
	/* terminate.c: what was erased, for the answer. */
	int r_term_store, r_term_ops;
	uint64_t r_term_head;
	int r_term_no_export;		/* ended without a confirmed export */
};

typedef int api_step_fn(struct api_req *r);

#define API_JSON_CTYPE	"application/json; charset=utf-8"

/* Answer and free r. */
int api_req_reply(struct api_req *r, int status, const char *ctype,
    const void *body, size_t len);
int api_req_error(struct api_req *r, enum api_err_code code);
int api_req_error_full(struct api_req *r, const struct api_err *err);
/* Free r without answering (the api is closing). */
void api_req_abandon(struct api_req *r);
/* Write doc as the body (frees doc). */
struct yyjson_mut_doc;
int api_req_json(struct api_req *r, int status, struct yyjson_mut_doc *doc);

/* Send a request to auth on behalf of r; then continues in fn(r, reply)
 * with reply != NULL and of the type expected (reply NULL answers 503
 * before fn is called). Returns HTTP_DEFER, or 0 after answering 503. */
typedef int api_reply_fn(struct api_req *r, const void *reply);
int api_req_call(struct api_req *r, uint32_t type, const void *payload,
    size_t len, uint32_t reply_type, api_reply_fn *fn);

/* An error status from auth; drops the cached session on CB_ESESSION. */
int api_req_status(struct api_req *r, int status, uint32_t retry_after_s);

/* Request checks (pure; api.c). */
int api_origin_ok(const char *host, const char *origin, const char *referer,
    const char *extra_origin);
int api_ctype_is_json(const char *content_type);
/* The cb_session token of a Cookie header; CB_ENOTFOUND or CB_EINVAL. */
int api_cookie_token(const char *cookie, uint8_t token[AUTH_TOKEN_LEN]);
/* 1 when header is the base64url form of csrf. Constant time. */
int api_csrf_ok(const char *header, const uint8_t csrf[AUTH_CSRF_LEN]);

/* The school's state for the gate and /me (classroom.c): 0 active,
 * 1 terminating, 2 terminated (enum policy_school). */
int api_school_state(struct api *a);
/* The school's name ("" when none is set or it does not fit), for the
 * password rules auth applies (auth_passwd, auth_reset_use). */
void api_school_name(struct api *a, char *out, size_t size);
/* Keep the roster copy "user:<uid>" in step with auth's account (after
 * auth has made a change). */
int api_profile_sync(struct api *a, const struct auth_user *u);

/* users.c: the admin endpoints. */
int api_users_list(struct api_req *r);
int api_users_create(struct api_req *r);
int api_users_get(struct api_req *r);
int api_users_op(struct api_req *r);
/* import.c: the roster import (CSV body) and its password slips. */
int api_roster_import(struct api_req *r);
int api_roster_slips(struct api_req *r);
void api_imports_free(struct api_imports *st);

/* audit_api.c: the operation log and the admin views of both logs. */
/* The action logged for r's route ("attendance.create"), or NULL when the
 * route is neither a write nor a read of personal data (GET /me). */
const char *api_audit_action(const struct api_req *r, api_step_fn *fn);
/* A record r wrote (its _id); one log entry each. */
void api_audit_note(struct api_req *r, const char *record_id);
/* Hold r's answer until its entries are durable: 1 when held (the answer
 * and api_req_free follow from the loop), 0 when r is not logged (or
 * logging failed over to a synchronous append): answer now. */
int api_audit_hold(struct api_req *r, int status, const char *ctype,
    const void *body, size_t len);
void api_audit_free(struct api_req *r);
int api_audit_start(struct api *a, struct audit_log *ops, struct loop *l);
void api_audit_stop(struct api *a);
/* Log and answer every held answer now (before the log's key goes). */
void api_audit_drain(struct api *a);
/* export.c: GET /api/v1/export (a streamed ZIP), /export/progress. */
int api_export(struct api_req *r);
int api_export_progress(struct api_req *r);
int api_export_confirm(struct api_req *r);	/* export_receipt.c */
int api_export_receipt(struct api_req *r);
/* terminate.c: POST /api/v1/school/terminate. */
int api_school_terminate(struct api_req *r);
int api_audit_login_view(struct api_req *r);
int api_audit_ops_view(struct api_req *r);

/* status.c, notices.c: the public status, notices and reset codes. */
int api_status_json(struct api_req *r);
int api_sysnotices_list(struct api_req *r);
int api_sysnotices_create(struct api_req *r);
int api_sysnotices_delete(struct api_req *r);
/* backup_api.c: GET /api/v1/admin/backups, from DATA/backup/status.json. */
int api_admin_backups(struct api_req *r);
/* sbom.c: GET /api/v1/admin/sbom, the image's SPDX document. */
int api_admin_sbom(struct api_req *r);
/* reset.c: offline password reset codes. */
int api_reset_code_issue(struct api_req *r);
int api_password_reset(struct api_req *r);
int api_password_reset_request(struct api_req *r);

/* lan.c: the LAN endpoints (admins). */
int api_lan_view(struct api_req *r);
int api_lan_ca_pem_get(struct api_req *r);
int api_lan_ca_der_get(struct api_req *r);
int api_lan_mobileconfig(struct api_req *r);
int api_lan_cert_upload(struct api_req *r);
int api_lan_cert_remove(struct api_req *r);
int api_lan_network_set(struct api_req *r);
int api_lan_network_ok(struct api_req *r);
/* The expiry of the served certificate (ca = 0) or the CA's (ca = 1),
 * for /api/v1/status and /metrics; CB_ENOTFOUND when there is none. */
int lan_cert_expiry(struct api *a, int ca, int64_t *not_after_s);
/* Every certificate the box holds (docs/lan.md, "Expiry"): the served
 * one, the local CA, and from sync's status file sync's client
 * certificate and the cloud's CA. have[i] = 0 when there is none. */
enum { LAN_CERT_SERVER, LAN_CERT_CA, LAN_CERT_CLIENT, LAN_CERT_CLOUD_CA,
    LAN_CERT_N };
extern const char *const lan_cert_which[LAN_CERT_N];	/* "server", ... */
void lan_cert_expiries(struct api *a, int64_t not_after_s[LAN_CERT_N],
    int have[LAN_CERT_N]);
/* An admin's upload or the enrollment's server certificate: checked,
 * written to the upload's place (the latest wins) and put in service.
 * CB_EINVAL with why on a refusal; CB_EUNAVAIL without the LAN part. */
int lan_install_cert(struct api *a, const char *cert_pem,
    const char *key_pem, const char **why);
/* update_api.c: update bundles uploaded into updated's spool. */
int api_update_upload(struct api_req *r);
int api_update_upload_done(struct api_req *r);
int api_update_upload_drop(struct api_req *r);
int api_update_status(struct api_req *r);
/* sync_api.c */
int api_sync_enrollment(struct api_req *r);
int api_sync_proxy_get(struct api_req *r);
int api_sync_proxy_put(struct api_req *r);
int api_sync_proxy_delete(struct api_req *r);


#endif
