/*
 * audit_api.c: the operation log (docs/audit.md) as web writes it, and the
 * admins' views of both logs (GET /api/v1/audit/login, /api/v1/audit/ops).
 *
 * What is logged: every create, update and delete, and every read of
 * personal data (attendance, guidance notes, absence notices, submissions,
 * class rosters, read receipts, user records, files, password slips, the
 * logs themselves), allowed or refused, by a logged-in user. The gate
 * (api.c) names the action once the session is known; the answer
 * (api_req_reply / api_req_error*) is held (api_audit_hold); on the next
 * loop iteration the entries of every answer held meanwhile (result from
 * its HTTP status) are appended in one durable commit, then the answers
 * are sent (group commit): an answered operation has its entry on disk,
 * and concurrent requests share the fsync. A request that wrote
 * records (cr_put, cr_put_many: api_audit_note) gets one entry per record
 * (a roll call: one per pupil, still one commit); otherwise one entry
 * whose target is the path's record id or, for a list, the query.
 *
 * Not logged: GET /me, static files, /healthz, reads of non-personal data
 * (school, classes, announcements, assignments), requests without a valid
 * session (no actor; logins are auth's login log).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <yyjson.h>

#include "api/api_impl.h"
#include "api/classroom.h"
#include "audit/audit.h"
#include "auth/user_names.h"
#include "base/cb.h"
#include "net/loop.h"

#define AUDIT_VIEW_DEFAULT	50	/* entries per page */
#define AUDIT_VIEW_MAX		AUTH_AUDIT_PAGE_MAX

static const struct {
	api_step_fn *fn;
	const char *action;
} api_audit_actions[] = {
	/* writes */
	{ api_school_put, "school.update" },
	{ api_school_rollover, "school.rollover" },
	{ api_classes_create, "class.create" },
	{ api_class_put, "class.update" },
	{ api_members_add, "class_member.create" },
	{ api_members_remove, "class_member.delete" },
	{ api_announcements_create, "announcement.create" },
	{ api_announcement_seen, "announcement_receipt.create" },
	{ api_assignments_create, "assignment.create" },
	{ api_submissions_create, "submission.create" },
	{ api_attendance_record, "attendance.create" },
	{ api_notices_create, "absence_notice.create" },
	{ api_notice_withdraw, "absence_notice.withdraw" },
	{ api_guidance_create, "guidance_note.create" },
	{ api_conflict_resolve, "guidance_note.merge" },
	{ api_grants_create, "grant.create" },
	{ api_grants_delete, "grant.delete" },
	{ api_roster_import, "roster.import" },
	{ api_users_create, "user.create" },
	{ api_files_upload, "file.create" },
	{ api_sysnotices_create, "notice.create" },
	{ api_sysnotices_delete, "notice.delete" },
	{ api_reset_code_issue, "user.reset_code" },
	{ api_lan_cert_upload, "lan.certificate_upload" },
	{ api_lan_cert_remove, "lan.certificate_remove" },
	{ api_lan_network_set, "lan.network_change" },
	{ api_lan_network_ok, "lan.network_confirm" },
	/* Their successes log themselves before the keys go or the stream
	 * starts (terminate.c, export.c); refusals are logged here. */
	{ api_school_terminate, "school.terminate" },
	{ api_export, "export.read" },
	{ api_export_confirm, "export.confirm" },
	{ api_update_upload, "update.upload" },
	{ api_update_upload_done, "update.submit" },
	{ api_update_upload_drop, "update.drop" },
	{ api_sync_enrollment, "sync.enrollment" },
	{ api_sync_proxy_put, "sync.proxy_set" },
	{ api_sync_proxy_delete, "sync.proxy_clear" },
	/* reads of personal data */
	{ api_members_list, "class_member.read" },
	{ api_announcement_receipts, "announcement_receipt.read" },
	{ api_submissions_list, "submission.read" },
	{ api_attendance_list, "attendance.read" },
	{ api_notices_list, "absence_notice.read" },
	{ api_notice_get, "absence_notice.read" },
	{ api_guidance_list, "guidance_note.read" },
	{ api_conflicts_list, "conflict.read" },
	{ api_roster_slips, "roster_slips.read" },
	{ api_users_list, "user.read" },
	{ api_users_get, "user.read" },
	{ api_file_get, "file.read" },
	{ api_audit_login_view, "audit_login.read" },
	{ api_audit_ops_view, "audit_ops.read" },
};

static const char *
api_audit_user_op(uint32_t op)
{
	const struct user_op_names *n = user_op_names(op);

	return n != NULL ? n->uon_ops_action : "user.update";
}

const char *
api_audit_action(const struct api_req *r, api_step_fn *fn)
{
	if (r->r_api->a_ops == NULL)
		return NULL;
	if (fn == api_users_op)
		return api_audit_user_op(r->r_op);
	for (size_t i = 0; i < CB_ARRAY_LEN(api_audit_actions); i++)
		if (api_audit_actions[i].fn == fn)
			return api_audit_actions[i].action;
	return NULL;
}

void
api_audit_note(struct api_req *r, const char *record_id)
{
	char **ids;
	size_t cap;

	if (r->r_audit_action == NULL || record_id == NULL)
		return;
	if (r->r_audit_n == r->r_audit_cap) {
		if (r->r_audit_cap >= AUDIT_BATCH_MAX)
			return;	/* the request's first entry says the rest */
		cap = r->r_audit_cap ? r->r_audit_cap * 2 : 8;
		if ((ids = realloc(r->r_audit_ids, cap * sizeof(*ids))) ==
		    NULL)
			return;
		r->r_audit_ids = ids;
		r->r_audit_cap = cap;
	}
	if ((r->r_audit_ids[r->r_audit_n] = strdup(record_id)) != NULL)
		r->r_audit_n++;
}

void
api_audit_free(struct api_req *r)
{
	for (size_t i = 0; i < r->r_audit_n; i++)
		free(r->r_audit_ids[i]);
	free(r->r_audit_ids);
	r->r_audit_ids = NULL;
	r->r_audit_n = r->r_audit_cap = 0;
}

static const char *
api_audit_result(int status)
{
	if (status >= 200 && status < 300)
		return "ok";
	switch (status) {
	case 401: case 403:		return "denied";
	case 404:			return "not_found";
	case 400: case 409: case 413: case 415: case 422:
		return "invalid";
	case 429: case 503:		return "busy";
	default:			return "error";
	}
}

/* r's entries into recs[] (room for n_out = max(1, noted ids)). */
static size_t
api_audit_records(struct api_req *r, struct audit_record *recs)
{
	const struct http_req *q = http_request(r->r_ex);
	const char *target;
	size_t n = r->r_audit_n ? r->r_audit_n : 1;

	if (r->r_arg[0][0] != '\0')
		target = r->r_arg[0];
	else if (r->r_uid[0] != '\0')
		target = r->r_uid;
	else
		target = q->query ? q->query : "";
	for (size_t i = 0; i < n; i++)
		recs[i] = (struct audit_record){ AUDIT_KIND_OPERATION,
		    r->r_sess.as_user.au_uid, r->r_audit_action,
		    r->r_audit_n ? r->r_audit_ids[i] : target,
		    api_audit_result(r->r_held_status), q->peer, "" };
	return n;
}

static void
api_audit_alarm(int rc, size_t n)
{
	log_err("ALARM: the operation log cannot be written (%s): %zu "
	    "entries are not logged; free space on /data", cb_strerror(rc), n);
}

/* Answer one held request (unless the server is gone) and free it. */
static void
api_audit_answer(struct api_req *r, int answer)
{
	if (answer)
		http_reply(r->r_ex, r->r_held_status, r->r_held_ctype,
		    r->r_held_body, r->r_held_len);
	if (r->r_held_body != NULL)
		cb_wipe(r->r_held_body, r->r_held_len); /* passwords, tokens */
	free(r->r_held_body);
	free(r->r_held_ctype);
	r->r_held_body = NULL;
	r->r_held_ctype = NULL;
	api_req_abandon(r);
}

/*
 * Group commit: every answer held since the last flush, their entries in
 * as few audit_append_batch calls as fit AUDIT_BATCH_MAX (normally one:
 * one fsync for all the requests of a loop iteration), then the answers,
 * in order. A failed append still answers (the operation happened; the
 * admins get the alarm in the system log).
 */
static void
api_audit_flush_all(struct api *a, int answer)
{
	struct api_req *list = a->a_held, *r, *next, *start;
	struct audit_record *recs;
	size_t total = 0, n, k;
	int rc;

	a->a_held = NULL;
	a->a_held_tail = &a->a_held;
	a->a_nheld = 0;
	for (start = list; start != NULL; start = r) {
		for (r = start, total = 0; r != NULL; r = r->r_held_next) {
			n = r->r_audit_n ? r->r_audit_n : 1;
			if (total > 0 && total + n > AUDIT_BATCH_MAX)
				break;
			total += n;
		}
		/* [start, r) fits one commit */
		recs = calloc(total, sizeof(*recs));
		k = 0;
		for (next = start; recs != NULL && next != r;
		    next = next->r_held_next)
			k += api_audit_records(next, recs + k);
		if (recs == NULL)
			rc = CB_ENOMEM;
		else if (k == 1)
			rc = audit_append(a->a_ops, recs, NULL);
		else
			rc = audit_append_batch(a->a_ops, recs, k, NULL);
		if (rc != CB_OK)
			api_audit_alarm(rc, total);
		free(recs);
		for (next = start; next != r; next = start) {
			start = next->r_held_next;
			api_audit_answer(next, answer);
		}
	}
}

static void
api_audit_io(struct loop *l, int fd, int events, void *arg)
{
	uint64_t v;

	(void)l;
	(void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("operation log eventfd: %s", strerror(errno));
	api_audit_flush_all(arg, 1);
}

void
api_audit_drain(struct api *a)
{
	if (a->a_held != NULL)
		api_audit_flush_all(a, 1);
}

int
api_audit_hold(struct api_req *r, int status, const char *ctype,
    const void *body, size_t len)
{
	struct api *a = r->r_api;
	const uint64_t one = 1;

	if (r->r_audit_action == NULL || a->a_ops == NULL ||
	    a->a_audit_fd < 0)
		return 0;
	r->r_held_status = status;
	r->r_held_len = len;
	if ((ctype != NULL && (r->r_held_ctype = strdup(ctype)) == NULL) ||
	    (len > 0 && (r->r_held_body = malloc(len)) == NULL)) {
		free(r->r_held_ctype);
		r->r_held_ctype = NULL;
		return 0;	/* (ids freed with r; not logged: rare) */
	}
	if (len > 0)
		memcpy(r->r_held_body, body, len);
	r->r_held_next = NULL;
	a->a_holds++;
	*a->a_held_tail = r;
	a->a_held_tail = &r->r_held_next;
	if (a->a_nheld++ == 0 &&
	    write(a->a_audit_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("operation log eventfd: %s", strerror(errno));
	return 1;
}

int
api_audit_start(struct api *a, struct audit_log *ops, struct loop *l)
{
	int rc;

	a->a_ops = ops;
	a->a_loop = l;
	a->a_held = NULL;
	a->a_held_tail = &a->a_held;
	if (ops == NULL || l == NULL)
		return CB_OK;
	a->a_audit_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->a_audit_fd < 0)
		return CB_EIO;
	if ((rc = loop_add(l, a->a_audit_fd, LOOP_READ, api_audit_io, a)) !=
	    CB_OK) {
		close(a->a_audit_fd);
		a->a_audit_fd = -1;
	}
	return rc;
}

/* At shutdown (api_free, after the HTTP server and its exchanges are
 * gone): held entries are still appended; their answers are dropped. */
void
api_audit_stop(struct api *a)
{
	if (a->a_held != NULL)
		api_audit_flush_all(a, 0);
	if (a->a_audit_fd >= 0) {
		loop_del(a->a_loop, a->a_audit_fd);
		close(a->a_audit_fd);
		a->a_audit_fd = -1;
	}
}

/* ---- the admin views ---------------------------------------------------- */

static const char *const audit_qnames[] = {
	"user", "from", "to", "action", "after", "limit",
};
enum { AQ_USER, AQ_FROM, AQ_TO, AQ_ACTION, AQ_AFTER, AQ_LIMIT, AQ_N };

static int
audit_num(struct cr_ctx *c, const char *s, const char *field, int64_t *out)
{
	char *end;
	long long v;

	*out = 0;
	if (s[0] == '\0')
		return CB_OK;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || s[0] < '0' || s[0] > '9' || v < 0)
		return cr_field(c, API_FIELD_VALUE, field);
	*out = (int64_t)v;
	return CB_OK;
}

/* Filters from the query: user, action exact; from/to in ms since the
 * epoch ([from, to)); after = the "next" of the previous page; limit
 * 1..AUDIT_VIEW_MAX. */
static int
audit_view_query(struct cr_ctx *c, char (*v)[CR_QVAL_MAX],
    struct auth_audit_query *m)
{
	int64_t lim, after;

	memset(m, 0, sizeof(*m));
	if (cr_query(c, audit_qnames, AQ_N, v) != CB_OK ||
	    audit_num(c, v[AQ_FROM], "from", &m->aaq_from_ms) != CB_OK ||
	    audit_num(c, v[AQ_TO], "to", &m->aaq_to_ms) != CB_OK ||
	    audit_num(c, v[AQ_AFTER], "after", &after) != CB_OK ||
	    audit_num(c, v[AQ_LIMIT], "limit", &lim) != CB_OK)
		return CB_EINVAL;
	if (v[AQ_LIMIT][0] != '\0' && (lim < 1 || lim > AUDIT_VIEW_MAX))
		return cr_field(c, API_FIELD_VALUE, "limit");
	if (strlen(v[AQ_USER]) >= sizeof(m->aaq_user))
		return cr_field(c, API_FIELD_LENGTH, "user");
	if (strlen(v[AQ_ACTION]) >= sizeof(m->aaq_action))
		return cr_field(c, API_FIELD_LENGTH, "action");
	memcpy(m->aaq_user, v[AQ_USER], strlen(v[AQ_USER]) + 1);
	memcpy(m->aaq_action, v[AQ_ACTION], strlen(v[AQ_ACTION]) + 1);
	m->aaq_cursor = (uint64_t)after;
	m->aaq_limit = lim ? (uint32_t)lim : AUDIT_VIEW_DEFAULT;
	return CB_OK;
}

static void
audit_iso(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, size, "?");
		return;
	}
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* {"items":[{seq,time,time_ms,time_state,error_ms,actor,action,target,
 * result,client,agent}...],"next":"N"|null} */
static int
audit_view_reply(struct api_req *r, const struct audit_entry *e, size_t n,
    uint64_t next)
{
	yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root, *items, *o;
	char iso[96], num[24];
	int ok;

	ok = m != NULL && (root = yyjson_mut_obj(m)) != NULL &&
	    (items = yyjson_mut_arr(m)) != NULL;
	if (ok)
		yyjson_mut_doc_set_root(m, root);
	for (size_t i = 0; ok && i < n; i++) {
		audit_iso(e[i].ae_time_ms, iso, sizeof(iso));
		ok = (o = yyjson_mut_obj(m)) != NULL &&
		    yyjson_mut_obj_add_uint(m, o, "seq", e[i].ae_seq) &&
		    yyjson_mut_obj_add_strcpy(m, o, "time", iso) &&
		    yyjson_mut_obj_add_int(m, o, "time_ms", e[i].ae_time_ms) &&
		    yyjson_mut_obj_add_str(m, o, "time_state",
		    clock_state_name(e[i].ae_time_state)) &&
		    yyjson_mut_obj_add_uint(m, o, "error_ms",
		    e[i].ae_error_ms) &&
		    yyjson_mut_obj_add_strcpy(m, o, "actor", e[i].ae_actor) &&
		    yyjson_mut_obj_add_strcpy(m, o, "action", e[i].ae_action) &&
		    yyjson_mut_obj_add_strcpy(m, o, "target", e[i].ae_target) &&
		    yyjson_mut_obj_add_strcpy(m, o, "result", e[i].ae_result) &&
		    yyjson_mut_obj_add_strcpy(m, o, "client", e[i].ae_client) &&
		    yyjson_mut_obj_add_strcpy(m, o, "agent", e[i].ae_agent) &&
		    yyjson_mut_arr_append(items, o);
	}
	if (ok) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)next);
		ok = yyjson_mut_obj_add_val(m, root, "items", items) &&
		    (next ? yyjson_mut_obj_add_strcpy(m, root, "next", num) :
		    yyjson_mut_obj_add_null(m, root, "next"));
	}
	if (!ok) {
		yyjson_mut_doc_free(m);
		return api_req_error(r, API_E_BUSY);
	}
	return api_req_json(r, 200, m);
}

int
api_audit_ops_view(struct api_req *r)
{
	char v[AQ_N][CR_QVAL_MAX];
	struct auth_audit_query m;
	struct audit_query q;
	struct audit_entry *e;
	struct cr_ctx c;
	uint64_t next = 0;
	size_t n = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	c.c_r = r;
	if (audit_view_query(&c, v, &m) != CB_OK)
		return cr_error(&c);
	if (r->r_api->a_ops == NULL)
		return api_req_error(r, API_E_UNAVAILABLE);
	memset(&q, 0, sizeof(q));
	q.aq_actor = m.aaq_user[0] ? m.aaq_user : NULL;
	q.aq_action = m.aaq_action[0] ? m.aaq_action : NULL;
	q.aq_from_ms = m.aaq_from_ms;
	q.aq_to_ms = m.aaq_to_ms;
	q.aq_newest_first = 1;
	q.aq_cursor = m.aaq_cursor;
	q.aq_limit = m.aaq_limit;
	if ((e = calloc(m.aaq_limit, sizeof(*e))) == NULL)
		return api_req_error(r, API_E_BUSY);
	rc = audit_query(r->r_api->a_ops, &q, e, &n, &next);
	if (rc != CB_OK) {
		free(e);
		log_err("ops log query: %s", cb_strerror(rc));
		return api_req_error(r, API_E_INTERNAL);
	}
	rc = audit_view_reply(r, e, n, next);
	free(e);
	return rc;
}

static int
api_audit_login_done(struct api_req *r, const void *reply)
{
	const struct auth_audit_r *ar = reply;

	if (ar->aar_status != CB_OK)
		return api_req_status(r, ar->aar_status, 0);
	if (ar->aar_count > AUTH_AUDIT_PAGE_MAX)
		return api_req_error(r, API_E_INTERNAL);
	return audit_view_reply(r, ar->aar_entries, ar->aar_count,
	    ar->aar_next);
}

int
api_audit_login_view(struct api_req *r)
{
	char v[AQ_N][CR_QVAL_MAX];
	struct auth_audit_query m;
	struct cr_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.c_r = r;
	if (audit_view_query(&c, v, &m) != CB_OK)
		return cr_error(&c);
	memcpy(m.aaq_token, r->r_token, sizeof(m.aaq_token));
	rc = api_req_call(r, AUTH_AUDIT_QUERY, &m, sizeof(m), AUTH_AUDIT_R,
	    api_audit_login_done);
	cb_wipe(&m, sizeof(m));
	return rc;
}
