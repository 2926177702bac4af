/*
 * reset.c: offline password reset codes (issue 5, item 9), the web side.
 *
 * POST /api/v1/users/{id}/reset-code   an admin, or a teacher for a student
 *     of their homeroom or a parent of such a student -> {"code",
 *     "expires_ms"}. The class relation is checked here (core/policy.c's
 *     REL_HOMEROOM_STUDENT, from the store); auth checks the roles again
 *     and generates, keeps (hashed) and spends the code.
 * POST /api/v1/password/reset {"user","code","new_password"}   no session;
 *     Origin required -> 204. Throttled by auth like a login.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "api/api_impl.h"
#include "api/classroom.h"
#include "base/cb.h"

/* 1 when the teacher of c may issue a code for uid: a student of their
 * homeroom, or a parent of one (the roster copy "user:<uid>"). */
static int
reset_teacher_may(struct cr_ctx *c, const char *uid)
{
	char id[REC_ID_MAX + 1];
	yyjson_doc *d = NULL;
	yyjson_val *kids, *k;
	const char *role;
	size_t i, max;
	int ok = 0;

	if (cr_idf(id, sizeof(id), "user:%s", uid) != CB_OK ||
	    cr_get(c, id, &d) != CB_OK) {
		memset(&c->c_err, 0, sizeof(c->c_err));
		return 0;
	}
	role = cr_str(d, "role");
	if (role != NULL && strcmp(role, "student") == 0) {
		ok = (cr_rels_student(c, uid, NULL) &
		    REL_HOMEROOM_STUDENT) != 0;
	} else if (role != NULL && strcmp(role, "parent") == 0) {
		kids = yyjson_obj_get(cr_root(d), "children");
		yyjson_arr_foreach(kids, i, max, k) {
			if (yyjson_is_str(k) && (cr_rels_student(c,
			    yyjson_get_str(k), NULL) & REL_HOMEROOM_STUDENT))
				ok = 1;
		}
	}
	yyjson_doc_free(d);
	memset(&c->c_err, 0, sizeof(c->c_err));
	return ok;
}

static int
reset_issue_done(struct api_req *r, const void *reply)
{
	const struct auth_reset_issue_r *ir = reply;
	yyjson_mut_doc *doc;
	yyjson_mut_val *root;

	if (ir->arir_status != CB_OK)
		return api_req_status(r, ir->arir_status, 0);
	if (memchr(ir->arir_code, '\0', sizeof(ir->arir_code)) == NULL)
		return api_req_error(r, API_E_INTERNAL);
	doc = yyjson_mut_doc_new(NULL);
	root = doc ? yyjson_mut_obj(doc) : NULL;
	if (root == NULL || !yyjson_mut_obj_add_strcpy(doc, root, "code",
	    ir->arir_code) || !yyjson_mut_obj_add_int(doc, root,
	    "expires_ms", ir->arir_expires_ms)) {
		yyjson_mut_doc_free(doc);
		return api_req_error(r, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(doc, root);
	http_add_header(r->r_ex, "Cache-Control", "no-store");
	return api_req_json(r, 200, doc);	/* wipes the body */
}

int
api_reset_code_issue(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	const struct auth_user *u = &r->r_sess.as_user;
	struct auth_reset_issue m;
	struct api_err err;
	struct cr_ctx c;
	int rc;

	if (api_parse_empty(q->body, q->body_len, &err) != CB_OK)
		return api_req_error_full(r, &err);
	if (!rec_uid_valid(r->r_arg[0], strlen(r->r_arg[0])))
		return api_req_error(r, API_E_NOT_FOUND);
	if (!(u->au_flags & USER_F_ADMIN)) {
		if (u->au_role != ROLE_TEACHER)
			return api_req_error(r, API_E_FORBIDDEN);
		if (cr_begin(r, &c) != CB_OK)
			return cr_error(&c);
		if (!reset_teacher_may(&c, r->r_arg[0]))
			return api_req_error(r, API_E_FORBIDDEN);
	}
	memset(&m, 0, sizeof(m));
	memcpy(m.ari_token, r->r_token, sizeof(m.ari_token));
	cb_strlcpy(m.ari_uid, r->r_arg[0], sizeof(m.ari_uid));
	rc = api_req_call(r, AUTH_RESET_ISSUE, &m, sizeof(m),
	    AUTH_RESET_ISSUE_R, reset_issue_done);
	cb_wipe(&m, sizeof(m));
	return rc;
}

static int
reset_use_done(struct api_req *r, const void *reply)
{
	const struct auth_status_r *st = reply;

	if (st->as_status != CB_OK)
		return api_req_status(r, st->as_status, st->as_retry_after_s);
	return api_req_reply(r, 204, NULL, NULL, 0);
}

static int
reset_field(struct api_req *r, enum api_field_why why, const char *f)
{
	struct api_err err;

	(void)api_err_set(&err, API_E_INVALID_FIELD, why, f, strlen(f));
	return api_req_error_full(r, &err);
}

/* Copy string member f of o into out (size bytes with NUL). */
static int
reset_str(yyjson_val *o, const char *f, char *out, size_t size,
    enum api_field_why *why)
{
	yyjson_val *v = yyjson_obj_get(o, f);

	if (v == NULL) {
		*why = API_FIELD_MISSING;
		return 0;
	}
	if (!yyjson_is_str(v)) {
		*why = API_FIELD_TYPE;
		return 0;
	}
	if (yyjson_get_len(v) == 0 || yyjson_get_len(v) >= size ||
	    memchr(yyjson_get_str(v), '\0', yyjson_get_len(v)) != NULL) {
		*why = f[0] == 'n' && yyjson_get_len(v) >= size ?
		    API_FIELD_LENGTH : API_FIELD_VALUE;
		return 0;
	}
	memcpy(out, yyjson_get_str(v), yyjson_get_len(v) + 1);
	return 1;
}

int
api_password_reset(struct api_req *r)
{
	static const char *const fields[] = { "user", "code",
	    "new_password" };
	const struct http_req *q = http_request(r->r_ex);
	struct auth_reset_use m;
	enum api_field_why why = API_FIELD_VALUE;
	yyjson_doc *d;
	yyjson_val *root, *k, *v;
	size_t i, max;
	const char *bad = NULL;
	int rc;

	if (api_school_state(r->r_api) == PS_TERMINATED)
		return api_req_error(r, API_E_TERMINATED);
	if ((d = yyjson_read(q->body, q->body_len, 0)) == NULL ||
	    !yyjson_is_obj(root = yyjson_doc_get_root(d))) {
		yyjson_doc_free(d);
		return api_req_error(r, API_E_INVALID_JSON);
	}
	memset(&m, 0, sizeof(m));
	yyjson_obj_foreach(root, i, max, k, v) {
		size_t j;

		for (j = 0; j < CB_ARRAY_LEN(fields); j++)
			if (strcmp(yyjson_get_str(k), fields[j]) == 0)
				break;
		if (j == CB_ARRAY_LEN(fields) && bad == NULL) {
			bad = "unknown";
			why = API_FIELD_UNKNOWN;
		}
	}
	if (bad == NULL && !reset_str(root, "user", m.aru_uid,
	    sizeof(m.aru_uid), &why))
		bad = "user";
	if (bad == NULL && !reset_str(root, "code", m.aru_code,
	    sizeof(m.aru_code), &why))
		bad = "code";
	if (bad == NULL && !reset_str(root, "new_password", m.aru_password,
	    sizeof(m.aru_password), &why))
		bad = "new_password";
	yyjson_doc_free(d);	/* the password stays in q->body (http wipes) */
	if (bad != NULL) {
		cb_wipe(&m, sizeof(m));
		return reset_field(r, why, bad);
	}
	cb_strlcpy(m.aru_addr, q->peer, sizeof(m.aru_addr));
	api_school_name(r->r_api, m.aru_school, sizeof(m.aru_school));
	rc = api_req_call(r, AUTH_RESET_USE, &m, sizeof(m), AUTH_STATUS_R,
	    reset_use_done);
	cb_wipe(&m, sizeof(m));
	return rc;
}

/* --- online reset requests (docs/api.md "Online password reset") --- */

/* Count one request against key; 0, or CB_ETHROTTLED and the seconds
 * until its window ends. Unknown keys take a free or expired slot, else
 * the oldest. */
static int
reset_req_count(struct api *a, const char *key, uint32_t max, int64_t now,
    uint32_t *retry_s)
{
	struct reset_req_slot *s = NULL, *old = &a->a_reset_req[0];
	size_t i;

	for (i = 0; i < RESET_REQ_SLOTS && s == NULL; i++) {
		struct reset_req_slot *t = &a->a_reset_req[i];

		if (strcmp(t->rs_key, key) == 0)
			s = t;
		else if (t->rs_since_ms < old->rs_since_ms)
			old = t;
	}
	if (s == NULL) {
		s = old;
		cb_strlcpy(s->rs_key, key, sizeof(s->rs_key));
		s->rs_count = 0;
		s->rs_since_ms = now;
	}
	if (now - s->rs_since_ms >= RESET_REQ_WINDOW_MS) {
		s->rs_count = 0;
		s->rs_since_ms = now;
	}
	if (s->rs_count >= max) {
		*retry_s = (uint32_t)((s->rs_since_ms + RESET_REQ_WINDOW_MS -
		    now + 999) / 1000);
		return CB_ETHROTTLED;
	}
	s->rs_count++;
	return CB_OK;
}

/* The replicated request: who and when, nothing about the client (no
 * address, no user agent: the document goes to the cloud). */
static int
reset_req_json(const char *uid, int64_t now, char *json, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[REC_RANDOM_LEN];
	char id[REC_RANDOM_LEN * 2 + 1];
	int n, rc;

	if ((rc = cb_random(b, sizeof(b))) != CB_OK)
		return rc;
	for (size_t i = 0; i < sizeof(b); i++) {
		id[2 * i] = hex[b[i] >> 4];
		id[2 * i + 1] = hex[b[i] & 15];
	}
	id[sizeof(id) - 1] = 0;
	/* uid is [a-z0-9._-]: nothing to escape. */
	n = snprintf(json, size, "{\"_id\":\"password_reset_request:%s\","
	    "\"type\":\"password_reset_request\",\"user_id\":\"%s\","
	    "\"requested_ms\":%lld}", id, uid, (long long)now);
	return n < 0 || (size_t)n >= size ? CB_ETOOBIG : n;
}

/*
 * Whether the account exists must not show in the time the answer takes
 * (issue 20). Before, only an account that could reset cost a durable
 * store write (an fsync, milliseconds), which a client could time, on
 * the request or on another request it sends meanwhile (the event loop
 * waits for the disk). Now both paths do the same work: read the pad's
 * revision, then one durable write of the same size: for an account that
 * can reset, the replicated request the platform answers; otherwise
 * RESET_REQ_PAD_ID, a box-local document overwritten each time, which
 * never leaves the box. tests/integration/accounts.sh counts the writes.
 */
static int
reset_req_write(struct api *a, const char *uid, int real)
{
	char json[512], pad[512];
	struct store_put_result res;
	struct store_doc cur;
	int n, m, rc;

	if (a->a_store == NULL)
		return CB_EIO;
	if ((n = reset_req_json(uid, cb_now_ms(), json, sizeof(json))) < 0)
		return n;
	rc = store_local_get(a->a_store, RESET_REQ_PAD_ID, &cur);
	if (rc != CB_OK && rc != CB_ENOTFOUND)
		return rc;
	if (real) {
		store_doc_free(&cur);
		return store_put(a->a_store, json, (size_t)n, 1, &res);
	}
	/* The same length as the request, so that sealing costs the same. */
	m = snprintf(pad, sizeof(pad), "{\"_id\":\"" RESET_REQ_PAD_ID "\"%s%s%s"
	    ",\"pad\":\"", rc == CB_OK ? ",\"_rev\":\"" : "",
	    rc == CB_OK ? cur.sd_rev : "", rc == CB_OK ? "\"" : "");
	store_doc_free(&cur);
	if (m < 0 || (size_t)m + 2 > sizeof(pad))
		return CB_ETOOBIG;
	while ((size_t)m < (size_t)n - 2 && (size_t)m < sizeof(pad) - 3)
		pad[m++] = 'x';
	pad[m++] = '"';
	pad[m++] = '}';
	return store_put(a->a_store, pad, (size_t)m, 1, &res);
}

static int
reset_req_done(struct api_req *r, const void *reply)
{
	const struct auth_status_r *st = reply;
	int rc;

	/* The same answer whether or not the account exists, after the
	 * same work (reset_req_write). */
	if ((rc = reset_req_write(r->r_api, r->r_uid, st->as_status == CB_OK))
	    != CB_OK)
		log_warn("web: cannot record a password reset request: %s",
		    cb_strerror(rc));
	http_add_header(r->r_ex, "Cache-Control", "no-store");
	return api_req_reply(r, 202, API_JSON_CTYPE,
	    "{\"status\":\"requested\"}", 22);
}

int
api_password_reset_request(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	enum api_field_why why = API_FIELD_VALUE;
	struct auth_reset_ask m;
	char key[AUTH_ADDR_MAX + 2];
	yyjson_doc *d;
	yyjson_val *root;
	uint32_t retry = 0;
	int64_t now = cb_now_ms();
	int ok;

	if (api_school_state(r->r_api) == PS_TERMINATED)
		return api_req_error(r, API_E_TERMINATED);
	if ((d = yyjson_read(q->body, q->body_len, 0)) == NULL ||
	    !yyjson_is_obj(root = yyjson_doc_get_root(d))) {
		yyjson_doc_free(d);
		return api_req_error(r, API_E_INVALID_JSON);
	}
	memset(&m, 0, sizeof(m));
	if (yyjson_obj_size(root) != 1 || yyjson_obj_get(root, "user") == NULL) {
		yyjson_doc_free(d);
		return reset_field(r, yyjson_obj_get(root, "user") == NULL ?
		    API_FIELD_MISSING : API_FIELD_UNKNOWN, yyjson_obj_get(root,
		    "user") == NULL ? "user" : "unknown");
	}
	ok = reset_str(root, "user", m.ara_uid, sizeof(m.ara_uid), &why) &&
	    rec_uid_valid(m.ara_uid, strlen(m.ara_uid));
	yyjson_doc_free(d);
	if (!ok)
		return reset_field(r, why, "user");
	snprintf(key, sizeof(key), "a:%s", q->peer);
	if (reset_req_count(r->r_api, key, RESET_REQ_PER_ADDR_MAX, now,
	    &retry) != CB_OK)
		return api_req_status(r, CB_ETHROTTLED, retry);
	snprintf(key, sizeof(key), "u:%s", m.ara_uid);
	if (reset_req_count(r->r_api, key, RESET_REQ_PER_USER_MAX, now,
	    &retry) != CB_OK)
		return api_req_status(r, CB_ETHROTTLED, retry);
	cb_strlcpy(r->r_uid, m.ara_uid, sizeof(r->r_uid));
	return api_req_call(r, AUTH_RESET_ASK, &m, sizeof(m), AUTH_STATUS_R,
	    reset_req_done);
}
