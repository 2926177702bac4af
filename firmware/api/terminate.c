/*
 * terminate.c: the end of the school's contract (issue 5, item 7;
 * docs/operations.md).
 *
 * PUT /api/v1/school {"state":"terminating"} starts it (classroom.c):
 * everyone sees the banner, admins may still read and export. Then
 *
 * POST /api/v1/school/terminate {"confirm": "<the school's name>"}
 *
 * by an admin, while terminating, once the school's data is exported and
 * the download confirmed (term_export_checked), ends it for good, in this
 * order:
 *   1. the answers waiting for the operation log are logged, then the
 *      entry "school.terminate" (one durable commit);
 *   2. DATA/keys/terminated is written (durably): from here on this web
 *      process, and every later start of it, refuses everything;
 *   3. the store's data key and the box KEK (DATA/keys/kek, which also
 *      wraps every backup's key) are destroyed, then the operation log's;
 *   4. auth is asked (AUTH_TERMINATE, with the admin's session) to log the
 *      end, destroy the login log's key and wipe the accounts.
 * The answer says what was erased. Nothing here can be undone.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <yyjson.h>

#include "api/classroom.h"
#include "api/export.h"
#include "audit/audit.h"
#include "base/cb.h"
#include "base/file.h"
#include "store/erase.h"
#include "store/store.h"

#define TERM_CONFIRM_MAX	200	/* bytes of the retyped name */
#define TERM_ENROLL_FILE	"sync/enroll.json"	/* the box is enrolled */

static const char *const term_kek_files[] = { "kek", NULL };

int
api_set_dirs(struct api *a, const char *keys_dir, const char *ops_dir,
    const char *data_dir)
{
	if (cb_strlcpy(a->a_keys_dir, keys_dir, sizeof(a->a_keys_dir)) != 0 ||
	    cb_strlcpy(a->a_ops_dir, ops_dir, sizeof(a->a_ops_dir)) != 0 ||
	    cb_strlcpy(a->a_data_dir, data_dir, sizeof(a->a_data_dir)) != 0)
		return CB_ETOOBIG;
	return CB_OK;
}

int
api_terminated_at_start(struct api *a)
{
	if (a->a_keys_dir[0] == '\0' || !erase_marked(a->a_keys_dir))
		return 0;
	a->a_terminated = 1;
	/* A crash between marker and erase: finish it. */
	(void)erase_files(a->a_keys_dir, term_kek_files);
	(void)erase_files(a->a_ops_dir, term_kek_files);
	return 1;
}

/* Step 1 and 2: the last entry, then the marker with the chain head (no
 * personal data: ids, times, a hash), so the cloud's copy of the log can
 * be checked against the box's last word, and whether the school's data
 * was exported first ("confirmed") or the admin overrode that
 * ("overridden"): the one record of it that outlives the keys. */
static int
term_mark(struct api_req *r, struct audit_link *head)
{
	struct api *a = r->r_api;
	struct audit_record rec = { AUDIT_KIND_OPERATION,
	    r->r_sess.as_user.au_uid, "school.terminate", "school", "ok",
	    http_request(r->r_ex)->peer, "" };
	char hash[2 * AUDIT_HASH_LEN + 1], text[512];
	int rc;

	memset(head, 0, sizeof(*head));
	if (a->a_ops != NULL) {
		api_audit_drain(a);
		if ((rc = audit_append(a->a_ops, &rec, NULL)) != CB_OK ||
		    (rc = audit_head(a->a_ops, head, NULL)) != CB_OK)
			log_err("ALARM: the termination is not in the operation "
			    "log: %s", cb_strerror(rc));
	}
	cb_hex_encode(head->al_hash, AUDIT_HASH_LEN, hash);
	snprintf(text, sizeof(text), "{\"terminated_ms\":%lld,\"by\":\"%s\","
	    "\"ops_log_head\":{\"seq\":%" PRIu64 ",\"time_ms\":%lld,"
	    "\"hash\":\"%s\"},\"export\":\"%s\"}\n", (long long)cb_now_ms(),
	    r->r_sess.as_user.au_uid, head->al_seq,
	    (long long)head->al_time_ms, hash, r->r_term_no_export ?
	    "overridden" : "confirmed");
	if ((rc = erase_mark(a->a_keys_dir, text)) != CB_OK)
		return rc;
	a->a_terminated = 1;
	return CB_OK;
}

/* Step 3: everything web holds. */
static void
term_erase(struct api *a, int *store_ok, int *ops_ok)
{
	*store_ok = a->a_store != NULL &&
	    store_crypto_erase(a->a_store) == CB_OK;
	*ops_ok = a->a_ops != NULL && audit_crypto_erase(a->a_ops, NULL) ==
	    CB_OK;
	a->a_ops = NULL;	/* web.c still closes it */
	if (erase_files(a->a_keys_dir, term_kek_files) != CB_OK)
		*store_ok = 0;
	if (erase_files(a->a_ops_dir, term_kek_files) != CB_OK)
		*ops_ok = 0;
}

static int
term_reply(struct api_req *r, int auth_ok)
{
	yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = m ? yyjson_mut_obj(m) : NULL;

	if (o == NULL ||
	    !yyjson_mut_obj_add_str(m, o, "state", "terminated") ||
	    !yyjson_mut_obj_add_bool(m, o, "store_erased", r->r_term_store) ||
	    !yyjson_mut_obj_add_bool(m, o, "backups_unreadable",
	    r->r_term_store) ||
	    !yyjson_mut_obj_add_bool(m, o, "ops_log_erased", r->r_term_ops) ||
	    !yyjson_mut_obj_add_bool(m, o, "auth_erased", auth_ok) ||
	    !yyjson_mut_obj_add_uint(m, o, "ops_log_head_seq",
	    r->r_term_head)) {
		yyjson_mut_doc_free(m);
		return api_req_error(r, API_E_INTERNAL);
	}
	yyjson_mut_doc_set_root(m, o);
	return api_req_json(r, 200, m);
}

static int
term_auth_done(struct api_req *r, const void *reply)
{
	const struct auth_status_r *st = reply;

	if (st->as_status != CB_OK)
		log_err("ALARM: auth did not erase the accounts (%s); run "
		    "`classbox user terminate` as root",
		    cb_strerror(st->as_status));
	return term_reply(r, st->as_status == CB_OK);
}

/* A boolean of the body, if there (CB_OK), else false. */
static int
term_flag(struct cr_ctx *c, yyjson_doc *body, const char *name, int *out)
{
	yyjson_val *v = yyjson_obj_get(cr_root(body), name);

	*out = yyjson_is_true(v);
	return v != NULL && !yyjson_is_bool(v) ?
	    cr_field(c, API_FIELD_TYPE, name) : CB_OK;
}

/* The confirmation: the school's name, retyped exactly; *discard = 1
 * when the admin accepts losing log entries not yet uploaded, *no_export
 * = 1 when the admin ends the school without a confirmed export. */
static int
term_confirmed(struct cr_ctx *c, int *discard, int *no_export)
{
	static const char *const fields[] = { "confirm",
	    "discard_unuploaded_logs", "terminate_without_export" };
	yyjson_doc *body = NULL, *school = NULL;
	const char *want;
	yyjson_val *got;
	int rc;

	*discard = *no_export = 0;
	if ((rc = cr_body(c, fields, 3, &body)) == CB_OK &&
	    (rc = cr_get(c, "school", &school)) == CB_OK) {
		got = yyjson_obj_get(cr_root(body), "confirm");
		want = cr_str(school, "name");
		if (got == NULL)
			rc = cr_field(c, API_FIELD_MISSING, "confirm");
		else if (!yyjson_is_str(got) ||
		    yyjson_get_len(got) > TERM_CONFIRM_MAX || want == NULL ||
		    strcmp(yyjson_get_str(got), want) != 0)
			rc = cr_field(c, API_FIELD_VALUE, "confirm");
		if (rc == CB_OK)
			rc = term_flag(c, body, "discard_unuploaded_logs",
			    discard);
		if (rc == CB_OK)
			rc = term_flag(c, body, "terminate_without_export",
			    no_export);
	}
	yyjson_doc_free(body);
	yyjson_doc_free(school);
	return rc;
}

/* Steps 1 to 4, once the checks have passed. */
static int
term_go(struct api_req *r)
{
	struct audit_link head;
	struct auth_token t;
	int store_ok, ops_ok, rc;

	if ((rc = term_mark(r, &head)) != CB_OK) {
		log_err("termination: cannot write the marker: %s",
		    cb_strerror(rc));
		return api_req_error(r, API_E_INTERNAL);
	}
	term_erase(r->r_api, &store_ok, &ops_ok);
	log_warn("the school is terminated by %s: data key %s, operation log "
	    "key %s", r->r_sess.as_user.au_uid,
	    store_ok ? "destroyed" : "NOT destroyed",
	    ops_ok ? "destroyed" : "NOT destroyed");
	r->r_term_store = store_ok;
	r->r_term_ops = ops_ok;
	r->r_term_head = head.al_seq;
	memcpy(t.at_token, r->r_token, sizeof(t.at_token));
	rc = api_req_call(r, AUTH_TERMINATE, &t, sizeof(t), AUTH_STATUS_R,
	    term_auth_done);
	cb_wipe(&t, sizeof(t));
	return rc;
}

/* The operation log's entries the cloud does not have yet. */
static uint64_t
term_ops_pending(struct api *a)
{
	struct audit_link head;
	uint64_t up = 0;

	if (a->a_ops == NULL || audit_head(a->a_ops, &head, NULL) != CB_OK ||
	    audit_uploaded(a->a_ops, &up) != CB_OK)
		return 0;
	return head.al_seq > up ? head.al_seq - up : 0;
}

/* 409 logs_not_uploaded, naming how many entries wait. */
static int
term_refuse_pending(struct api_req *r, uint64_t ops, uint64_t login)
{
	yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = m ? yyjson_mut_obj(m) : NULL;
	yyjson_mut_val *e = m ? yyjson_mut_obj(m) : NULL;
	char en[400], ja[600];

	snprintf(en, sizeof(en), "%" PRIu64 " log entries (operation log %"
	    PRIu64 ", login log %" PRIu64 ") have not been uploaded to the "
	    "platform yet. Connect the box to the internet and wait for the "
	    "upload (sync), then terminate. If the platform contract is "
	    "already gone, terminate with \"discard_unuploaded_logs\": true: "
	    "those entries are then lost.", ops + login, ops, login);
	snprintf(ja, sizeof(ja), "ログ %" PRIu64 " 件（操作ログ %" PRIu64
	    " 件、ログイン記録 %" PRIu64 " 件）がまだプラットフォームに送信され"
	    "ていません。インターネットに接続して送信（同期）を待ってから終了して"
	    "ください。プラットフォームの契約がすでに終わっている場合は、未送信の"
	    "ログを破棄して終了できます（そのログは失われます）。",
	    ops + login, ops, login);
	if (o == NULL || e == NULL || !yyjson_mut_obj_add_val(m, o, "error", e) ||
	    !yyjson_mut_obj_add_str(m, e, "code", "logs_not_uploaded") ||
	    !yyjson_mut_obj_add_strcpy(m, e, "message", en) ||
	    !yyjson_mut_obj_add_strcpy(m, e, "message_ja", ja) ||
	    !yyjson_mut_obj_add_uint(m, o, "ops_log_pending", ops) ||
	    !yyjson_mut_obj_add_uint(m, o, "login_log_pending", login)) {
		yyjson_mut_doc_free(m);
		return api_req_error(r, API_E_INTERNAL);
	}
	yyjson_mut_doc_set_root(m, o);
	return api_req_json(r, 409, m);
}

static int
term_pending_done(struct api_req *r, const void *reply)
{
	const struct auth_audit_pending_r *p = reply;
	uint64_t ops = term_ops_pending(r->r_api), login;

	if (p->aapr_status != CB_OK)
		return api_req_status(r, p->aapr_status, 0);
	login = p->aapr_head > p->aapr_uploaded ?
	    p->aapr_head - p->aapr_uploaded : 0;
	if (ops + login > 0)
		return term_refuse_pending(r, ops, login);
	return term_go(r);
}

/* Enrolled: the platform keeps the logs for 5 years (docs/audit.md). */
static int
term_enrolled(const struct api *a)
{
	char p[PATH_MAX];

	return a->a_data_dir[0] != '\0' && cb_path_join(p, sizeof(p),
	    a->a_data_dir, TERM_ENROLL_FILE) == CB_OK && access(p, F_OK) == 0;
}

/*
 * Nothing is erased before the school has its data: the last whole export
 * must have been downloaded and confirmed, with nothing changed since
 * (export_receipt.c). A box that was never enrolled holds the only copy
 * of its 5-year logs, which that export carries. terminate_without_export
 * overrides, and the operation log says who did.
 */
static int
term_export_checked(struct api_req *r, int no_export)
{
	struct audit_record rec = { AUDIT_KIND_OPERATION,
	    r->r_sess.as_user.au_uid, "school.terminate_without_export",
	    "school", "ok", http_request(r->r_ex)->peer, "" };
	char en[300], ja[400], msg[500];
	int rc;

	if (export_receipt_ok(r->r_api, en, sizeof(en), ja, sizeof(ja)))
		return 1;
	if (!no_export) {
		snprintf(msg, sizeof(msg), "%s Nothing is erased until the "
		    "school's data is exported and confirmed (or "
		    "\"terminate_without_export\": true).", en);
		(void)export_refuse(r, 409, "export_not_confirmed", msg, ja);
		return 0;
	}
	log_warn("termination by %s without a confirmed export: %s",
	    r->r_sess.as_user.au_uid, en);
	r->r_term_no_export = 1;	/* the marker keeps it too */
	if (r->r_api->a_ops != NULL &&
	    (rc = audit_append(r->r_api->a_ops, &rec, NULL)) != CB_OK)
		log_err("ALARM: the operation log cannot be written (%s): "
		    "a termination without export is not logged",
		    cb_strerror(rc));
	return 1;
}

/*
 * While the box is enrolled, the last step waits for the logs to be in
 * the cloud: auth says how much of the login log is not, the operation
 * log's marker says the rest. discard_unuploaded_logs: true overrides
 * (the contract with the platform is already gone).
 */
int
api_school_terminate(struct api_req *r)
{
	struct auth_token t;
	struct cr_ctx c;
	int discard, no_export, rc;

	if (cr_begin(r, &c) != CB_OK)
		return cr_error(&c);
	if (c.c_school != PS_TERMINATING)
		return cr_fail(&c, API_E_INVALID_STATE), cr_error(&c);
	if (term_confirmed(&c, &discard, &no_export) != CB_OK)
		return cr_error(&c);
	if (!term_export_checked(r, no_export))
		return 0;			/* answered */
	if (!term_enrolled(r->r_api))
		return term_go(r);
	if (discard) {
		log_warn("termination by %s discards the log entries not yet "
		    "uploaded (%" PRIu64 " of the operation log; the login "
		    "log's are counted by auth)", r->r_sess.as_user.au_uid,
		    term_ops_pending(r->r_api));
		return term_go(r);
	}
	memcpy(t.at_token, r->r_token, sizeof(t.at_token));
	rc = api_req_call(r, AUTH_AUDIT_PENDING, &t, sizeof(t),
	    AUTH_AUDIT_PENDING_R, term_pending_done);
	cb_wipe(&t, sizeof(t));
	return rc;
}
