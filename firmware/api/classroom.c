/*
 * classroom.c: what every classroom endpoint shares (classroom.h), and
 * the school, classes and memberships endpoints. Records are validated by
 * core/records.c before they are stored and every access is decided by
 * core/policy.c; this file only computes the facts they need.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/classroom.h"
#include "auth/user_names.h"
#include "base/cb.h"
#include "base/utf8.h"

/* ---- context and errors ---------------------------------------------- */

static enum policy_role
cr_role(uint32_t role)
{
	switch (role) {
	case ROLE_ADMIN:	return PR_ADMIN;
	case ROLE_TEACHER:	return PR_TEACHER;
	case ROLE_STUDENT:	return PR_STUDENT;
	default:		return PR_PARENT;
	}
}

static enum policy_school
cr_school_from(yyjson_doc *d)
{
	const char *st = cr_str(d, "state");

	if (st != NULL && strcmp(st, "terminated") == 0)
		return PS_TERMINATED;
	if (st != NULL && strcmp(st, "terminating") == 0)
		return PS_TERMINATING;
	return PS_ACTIVE;
}

int
api_school_state(struct api *a)
{
	struct store_doc sd;
	yyjson_doc *d;
	int st = PS_ACTIVE;

	if (a->a_terminated)		/* terminate.c: the keys are gone */
		return PS_TERMINATED;
	if (a->a_store == NULL ||
	    store_get(a->a_store, "school", NULL, 0, &sd) != CB_OK)
		return PS_ACTIVE;
	if ((d = yyjson_read(sd.sd_json, sd.sd_len, 0)) != NULL)
		st = (int)cr_school_from(d);
	yyjson_doc_free(d);
	store_doc_free(&sd);
	return st;
}

void
api_school_name(struct api *a, char *out, size_t size)
{
	struct store_doc sd;
	yyjson_doc *d = NULL;
	const char *name;

	out[0] = '\0';
	if (a->a_store == NULL || a->a_terminated ||
	    store_get(a->a_store, "school", NULL, 0, &sd) != CB_OK)
		return;
	if ((d = yyjson_read(sd.sd_json, sd.sd_len, 0)) != NULL &&
	    (name = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d),
	    "name"))) != NULL && cb_strlcpy(out, name, size) != CB_OK)
		out[0] = '\0';
	yyjson_doc_free(d);
	store_doc_free(&sd);
}

int
cr_begin(struct api_req *r, struct cr_ctx *c)
{
	yyjson_doc *d = NULL;
	const char *cut;
	int rc;

	memset(c, 0, sizeof(*c));
	c->c_r = r;
	c->c_s = r->r_api->a_store;
	c->c_user = &r->r_sess.as_user;
	c->c_role = cr_role(c->c_user->au_role);
	c->c_admin = (c->c_user->au_flags & USER_F_ADMIN) != 0;
	c->c_now = cb_now_ms();
	if (r->r_api->a_terminated)
		return cr_fail(c, API_E_TERMINATED);
	if (c->c_s == NULL)
		return cr_fail(c, API_E_STORE);
	rc = cr_get(c, "school", &d);
	if (rc != CB_OK && c->c_err.ae_code != API_E_NOT_FOUND)
		return rc;
	if (rc == CB_OK) {
		c->c_school = cr_school_from(d);
		if ((cut = cr_str(d, "absence_cutoff")) != NULL)
			snprintf(c->c_cutoff, sizeof(c->c_cutoff), "%s", cut);
	}
	memset(&c->c_err, 0, sizeof(c->c_err));
	yyjson_doc_free(d);
	return CB_OK;
}

int
cr_error(struct cr_ctx *c)
{
	if (c->c_err.ae_code == API_E_NONE)
		c->c_err.ae_code = API_E_INTERNAL;
	return api_req_error_full(c->c_r, &c->c_err);
}

int
cr_fail(struct cr_ctx *c, enum api_err_code code)
{
	(void)api_err_set(&c->c_err, code, 0, NULL, 0);
	return CB_EINVAL;
}

int
cr_field(struct cr_ctx *c, enum api_field_why why, const char *field)
{
	(void)api_err_set(&c->c_err, API_E_INVALID_FIELD, why, field,
	    strlen(field));
	return CB_EINVAL;
}

int
cr_store_fail(struct cr_ctx *c, int rc)
{
	switch (rc) {
	case CB_ENOTFOUND:	return cr_fail(c, API_E_NOT_FOUND);
	case CB_EEXIST:		return cr_fail(c, API_E_CONFLICT);
	case CB_ETOOBIG:	return cr_fail(c, API_E_TOO_LARGE);
	case CB_EFULL:
		log_err("store: %s", store_errmsg(c->c_s));
		return cr_fail(c, API_E_STORAGE_FULL);
	case CB_EINVAL:
		log_warn("store refused a record: %s", store_errmsg(c->c_s));
		return cr_fail(c, API_E_BAD_REQUEST);
	default:
		log_err("store: %s", store_errmsg(c->c_s));
		return cr_fail(c, API_E_STORE);
	}
}

/* ---- policy and relationships --------------------------------------- */

int
cr_may(struct cr_ctx *c, enum policy_resource res, enum policy_action act,
    unsigned rels, enum policy_subject subj)
{
	struct policy_req q = { c->c_role, c->c_admin, res, act,
	    rels | REL_ANY, subj, c->c_school, c->c_archived };

	return policy_check(&q) == PV_ALLOW;
}

int
cr_allow(struct cr_ctx *c, enum policy_resource res, enum policy_action act,
    unsigned rels, enum policy_subject subj)
{
	struct policy_req q = { c->c_role, c->c_admin, res, act,
	    rels | REL_ANY, subj, c->c_school, c->c_archived };

	switch (policy_check(&q)) {
	case PV_ALLOW:		return CB_OK;
	case PV_TERMINATING:	return cr_fail(c, API_E_TERMINATING);
	case PV_TERMINATED:	return cr_fail(c, API_E_TERMINATED);
	case PV_LEFT:		return cr_fail(c, API_E_STUDENT_LEFT);
	case PV_ARCHIVED:	return cr_fail(c, API_E_ARCHIVED);
	default:		return cr_fail(c, API_E_FORBIDDEN);
	}
}

static enum policy_subject
cr_subject_load(struct cr_ctx *c, const char *uid)
{
	char id[REC_ID_MAX + 1];
	yyjson_doc *d = NULL;
	const char *st;
	enum policy_subject out = PSUB_ACTIVE;

	cr_idf(id, sizeof(id), "user:%s", uid);
	if (cr_get(c, id, &d) != CB_OK) {
		/* No roster record (an account made at the console and not
		 * yet touched by an admin): as auth keeps it, active. */
		memset(&c->c_err, 0, sizeof(c->c_err));
		return PSUB_ACTIVE;
	}
	st = cr_str(d, "state");
	if (st != NULL && strcmp(st, "suspended") == 0)
		out = PSUB_SUSPENDED;
	else if (st != NULL && strcmp(st, "active") != 0)
		out = PSUB_LEFT;
	yyjson_doc_free(d);
	return out;
}

enum policy_subject
cr_subject(struct cr_ctx *c, const char *uid)
{
	size_t i;
	enum policy_subject st;

	if (uid == NULL)
		return PSUB_NONE;
	for (i = 0; i < c->c_nsubj; i++)
		if (strcmp(c->c_subj[i].cs_uid, uid) == 0)
			return c->c_subj[i].cs_state;
	st = cr_subject_load(c, uid);
	i = c->c_nsubj < CR_SUBJECT_CACHE ? c->c_nsubj++ :
	    (size_t)(c->c_now % CR_SUBJECT_CACHE);
	snprintf(c->c_subj[i].cs_uid, sizeof(c->c_subj[i].cs_uid), "%s", uid);
	c->c_subj[i].cs_state = st;
	return st;
}

int
cr_is_child(const struct cr_ctx *c, const char *uid)
{
	const struct auth_user *u = c->c_user;

	if (u->au_role != ROLE_PARENT)
		return 0;
	for (uint32_t i = 0; i < u->au_nlinks && i < AUTH_LINKS_MAX; i++)
		if (strncmp(u->au_links[i], uid, AUTH_UID_MAX) == 0)
			return 1;
	return 0;
}

/* 1 when uid is a member of class_id (with role, if role is set). */
int
cr_is_member(struct cr_ctx *c, const char *class_id, const char *uid,
    const char *role)
{
	char id[REC_ID_MAX + 1];
	yyjson_doc *d = NULL;
	const char *mr;
	int n, yes;

	n = cr_idf(id, sizeof(id), "membership:%s:%s", class_id, uid);
	if (n != CB_OK || cr_get(c, id, &d) != CB_OK) {
		memset(&c->c_err, 0, sizeof(c->c_err));
		return 0;
	}
	mr = cr_str(d, "role");
	yes = role == NULL || (mr != NULL && strcmp(mr, role) == 0);
	yyjson_doc_free(d);
	return yes;
}

/* Remember whether the class is archived (a past year's): policy then
 * keeps everything in it read-only. */
static void
cr_class_archived(struct cr_ctx *c, const char *class_id)
{
	yyjson_doc *d = NULL;

	if (cr_get(c, class_id, &d) == CB_OK &&
	    yyjson_get_bool(yyjson_obj_get(cr_root(d), "archived")))
		c->c_archived = 1;
	memset(&c->c_err, 0, sizeof(c->c_err));
	yyjson_doc_free(d);
}

unsigned
cr_rels_class(struct cr_ctx *c, const char *class_id)
{
	const struct auth_user *u = c->c_user;
	unsigned rels = REL_ANY;

	if (class_id == NULL)
		return rels;
	if (strcmp(class_id, "school") == 0)
		return rels | REL_SCHOOL_WIDE;
	cr_class_archived(c, class_id);
	if (cr_is_member(c, class_id, u->au_uid, NULL))
		rels |= REL_OWN_CLASS;
	for (uint32_t i = 0; u->au_role == ROLE_PARENT && i < u->au_nlinks &&
	    i < AUTH_LINKS_MAX; i++)
		if (cr_is_member(c, class_id, u->au_links[i], "student") &&
		    cr_subject(c, u->au_links[i]) == PSUB_ACTIVE)
			rels |= REL_CHILD;
	return rels;
}

/* Classes of a student that the actor teaches: OWN_CLASS, and
 * HOMEROOM_STUDENT when one of them is a homeroom. */
static unsigned
cr_rels_teaching(struct cr_ctx *c, const char *student_id)
{
	struct index_query q = { INDEX_BY_USER, student_id, NULL,
	    "membership:", NULL, 32 };
	struct index_hit hits[32];
	char next[INDEX_CURSOR_MAX], cid[REC_ID_MAX + 1];
	size_t n = 0;
	unsigned rels = 0;
	yyjson_doc *m, *cl;
	const char *kind;

	if (store_index_scan(c->c_s, &q, hits, &n, next) != CB_OK)
		return 0;
	for (size_t i = 0; i < n; i++) {
		m = NULL;
		if (cr_get(c, hits[i].ih_id, &m) != CB_OK)
			continue;
		snprintf(cid, sizeof(cid), "%s", cr_str(m, "class_id") ?
		    cr_str(m, "class_id") : "");
		yyjson_doc_free(m);
		if (!cr_is_member(c, cid, c->c_user->au_uid, "teacher"))
			continue;
		rels |= REL_OWN_CLASS;
		cl = NULL;
		if (cr_get(c, cid, &cl) == CB_OK &&
		    (kind = cr_str(cl, "kind")) != NULL &&
		    strcmp(kind, "homeroom") == 0)
			rels |= REL_HOMEROOM_STUDENT;
		yyjson_doc_free(cl);
	}
	memset(&c->c_err, 0, sizeof(c->c_err));
	return rels;
}

unsigned
cr_rels_student(struct cr_ctx *c, const char *sid, const char *class_id)
{
	char id[REC_ID_MAX + 1];
	struct store_doc sd;
	unsigned rels = REL_ANY;

	if (sid == NULL)
		return rels;
	if (strcmp(sid, c->c_user->au_uid) == 0)
		rels |= REL_SELF;
	if (cr_is_child(c, sid))
		rels |= REL_CHILD;
	if (c->c_role == PR_STUDENT || c->c_role == PR_PARENT)
		return rels;
	if (class_id != NULL && cr_is_member(c, class_id, c->c_user->au_uid,
	    "teacher"))
		rels |= REL_OWN_CLASS;
	rels |= cr_rels_teaching(c, sid) & (class_id != NULL ?
	    REL_HOMEROOM_STUDENT : REL_HOMEROOM_STUDENT | REL_OWN_CLASS);
	cr_idf(id, sizeof(id), "grant:%s:%s", c->c_user->au_uid, sid);
	if (store_get(c->c_s, id, NULL, 0, &sd) == CB_OK) {
		rels |= REL_GRANTED;
		store_doc_free(&sd);
	}
	return rels;
}

/* ---- store access ------------------------------------------------------ */

int
cr_idf(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		out[0] = '\0';
		return CB_ETOOBIG;
	}
	return CB_OK;
}

int
cr_get(struct cr_ctx *c, const char *id, yyjson_doc **out)
{
	struct store_doc sd;
	int rc;

	*out = NULL;
	if ((rc = store_get(c->c_s, id, NULL, 0, &sd)) != CB_OK)
		return cr_store_fail(c, rc);
	*out = yyjson_read(sd.sd_json, sd.sd_len, 0);
	store_doc_free(&sd);
	return *out ? CB_OK : cr_fail(c, API_E_INTERNAL);
}

const char *
cr_str(yyjson_doc *d, const char *field)
{
	return yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d), field));
}

static enum api_field_why
cr_why(enum rec_why w)
{
	switch (w) {
	case REC_UNKNOWN:	return API_FIELD_UNKNOWN;
	case REC_MISSING:	return API_FIELD_MISSING;
	case REC_TYPE:		return API_FIELD_TYPE;
	case REC_LENGTH:	return API_FIELD_LENGTH;
	default:		return API_FIELD_VALUE;
	}
}

/* Validate m as a record and write it (one durable transaction). */
int
cr_put(struct cr_ctx *c, yyjson_mut_doc *m, struct store_put_result *res)
{
	struct rec_err re;
	enum rec_type t;
	size_t len = 0;
	char *json = yyjson_mut_write(m, 0, &len);
	int rc;

	if (json == NULL)
		return cr_fail(c, API_E_BUSY);
	if (rec_validate(json, len, &t, &re) != CB_OK) {
		free(json);
		if (re.re_why == REC_ID_MISMATCH)
			return cr_fail(c, API_E_BAD_REQUEST);
		return cr_field(c, cr_why(re.re_why), re.re_field);
	}
	rc = store_put(c->c_s, json, len, 1, res);
	cb_wipe(json, len);
	free(json);
	if (rc == CB_OK)
		api_audit_note(c->c_r, yyjson_mut_get_str(
		    yyjson_mut_obj_get(yyjson_mut_doc_get_root(m), "_id")));
	return rc == CB_OK ? CB_OK : cr_store_fail(c, rc);
}

/*
 * Several records for one request. They are validated first, all of them,
 * so that a bad one stops the request before anything is written; then
 * they are written in one store transaction with one durable commit
 * (store_put_batch): all or none. A set larger than one batch
 * (STORE_BATCH_MAX documents or STORE_BATCH_MAX_BYTES, e.g. a school's
 * roster import) is written in consecutive batches, each all or none.
 */
int
cr_put_many(struct cr_ctx *c, yyjson_mut_doc **docs, size_t n)
{
	struct store_batch_doc *bd = calloc(n ? n : 1, sizeof(*bd));
	struct store_put_result *res = calloc(STORE_BATCH_MAX, sizeof(*res));
	struct rec_err re;
	enum rec_type t;
	size_t i, k, first, bytes, failed;
	char *json;
	int rc = CB_OK;

	if (bd == NULL || res == NULL)
		rc = cr_fail(c, API_E_BUSY);
	for (i = 0; rc == CB_OK && i < n; i++) {
		if ((json = yyjson_mut_write(docs[i], 0, &bd[i].bd_len)) ==
		    NULL) {
			rc = cr_fail(c, API_E_BUSY);
			break;
		}
		bd[i].bd_json = json;
		if (rec_validate(json, bd[i].bd_len, &t, &re) != CB_OK)
			rc = cr_field(c, cr_why(re.re_why), re.re_field);
	}
	for (first = 0; rc == CB_OK && first < n; first += k) {
		for (k = 0, bytes = 0; first + k < n && k < STORE_BATCH_MAX &&
		    bd[first + k].bd_len <= STORE_BATCH_MAX_BYTES - bytes; k++)
			bytes += bd[first + k].bd_len;
		if (k == 0)
			k = 1;	/* one record past the cap: the store says so */
		rc = store_put_batch(c->c_s, bd + first, k, res, &failed);
		for (i = 0; rc == CB_OK && i < k; i++)
			api_audit_note(c->c_r, yyjson_mut_get_str(
			    yyjson_mut_obj_get(yyjson_mut_doc_get_root(
			    docs[first + i]), "_id")));
		if (rc != CB_OK) {
			if (rc == CB_EEXIST)
				log_info("%s", store_errmsg(c->c_s));
			rc = cr_store_fail(c, rc);
		}
	}
	for (i = 0; bd != NULL && i < n; i++) {
		if (bd[i].bd_json != NULL) {
			cb_wipe((void *)(uintptr_t)bd[i].bd_json,
			    bd[i].bd_len);
			free((void *)(uintptr_t)bd[i].bd_json);
		}
	}
	free(bd);
	free(res);
	return rc;
}

/* ---- input ------------------------------------------------------------- */

int
cr_body(struct cr_ctx *c, const char *const *allowed, size_t n,
    yyjson_doc **out)
{
	const struct http_req *q = http_request(c->c_r->r_ex);
	yyjson_obj_iter it;
	yyjson_val *k, *root;
	uint64_t seen = 0;
	size_t i;

	*out = NULL;
	if (n > 64 || !cb_utf8_valid(q->body, q->body_len, CB_UTF8_ANY))
		return cr_fail(c, API_E_INVALID_UTF8);
	/* No body is an empty object (POST .../seen, .../withdraw). */
	*out = q->body_len == 0 ? yyjson_read("{}", 2, 0) :
	    yyjson_read(q->body, q->body_len, 0);
	if (*out == NULL || !yyjson_is_obj(root = yyjson_doc_get_root(*out)))
		return cr_fail(c, API_E_INVALID_JSON);
	yyjson_obj_iter_init(root, &it);
	while ((k = yyjson_obj_iter_next(&it)) != NULL) {
		for (i = 0; i < n; i++)
			if (yyjson_equals_str(k, allowed[i]))
				break;
		if (i == n) {
			(void)api_err_set(&c->c_err, API_E_INVALID_FIELD,
			    API_FIELD_UNKNOWN, yyjson_get_str(k),
			    yyjson_get_len(k));
			return CB_EINVAL;
		}
		if (seen & (1ULL << i))
			return cr_field(c, API_FIELD_DUPLICATE, allowed[i]);
		seen |= 1ULL << i;
	}
	return CB_OK;
}

/* Percent-decode s[0..len) into out; only non-empty printable ASCII. */
static int
cr_qdecode(const char *s, size_t len, char *out, size_t size)
{
	int n = cb_pct_decode(s, len, out, size, 0);

	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++)
		if ((unsigned char)out[i] <= 0x20 || (unsigned char)out[i] >= 0x7f)
			return 0;
	return 1;
}

int
cr_query(struct cr_ctx *c, const char *const *names, size_t n,
    char (*vals)[CR_QVAL_MAX])
{
	const char *p = http_request(c->c_r->r_ex)->query, *amp, *eq;
	size_t i, klen, guard;

	for (i = 0; i < n; i++)
		vals[i][0] = '\0';
	for (guard = 0; p != NULL && *p != '\0' && guard < 16; guard++) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = (size_t)((eq ? eq : amp) - p);
		for (i = 0; i < n; i++)
			if (strlen(names[i]) == klen &&
			    memcmp(names[i], p, klen) == 0)
				break;
		if (i == n || eq == NULL || vals[i][0] != '\0' ||
		    !cr_qdecode(eq + 1, (size_t)(amp - eq - 1), vals[i],
		    CR_QVAL_MAX)) {
			(void)api_err_set(&c->c_err, API_E_INVALID_FIELD,
			    i == n ? API_FIELD_UNKNOWN : API_FIELD_VALUE, p,
			    klen);
			return CB_EINVAL;
		}
		p = *amp ? amp + 1 : amp;
	}
	if (p != NULL && *p != '\0')
		return cr_fail(c, API_E_BAD_REQUEST);
	return CB_OK;
}

int
cr_limit(struct cr_ctx *c, const char *s, size_t *limit)
{
	char *end;
	unsigned long v;

	*limit = CR_LIMIT_DEFAULT;
	if (s == NULL || s[0] == '\0')
		return CB_OK;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || s[0] < '0' || s[0] > '9' || v < 1 ||
	    v > CR_LIMIT_MAX)
		return cr_field(c, API_FIELD_VALUE, "limit");
	*limit = v;
	return CB_OK;
}

yyjson_mut_doc *
cr_new_doc(const char *id, enum rec_type t)
{
	yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = m ? yyjson_mut_obj(m) : NULL;

	if (root == NULL || !yyjson_mut_obj_add_strcpy(m, root, "_id", id) ||
	    !yyjson_mut_obj_add_str(m, root, "type", rec_type_name(t))) {
		yyjson_mut_doc_free(m);
		return NULL;
	}
	yyjson_mut_doc_set_root(m, root);
	return m;
}

int
cr_copy(yyjson_mut_doc *m, yyjson_val *from, const char *const *fields,
    size_t n)
{
	yyjson_mut_val *root = yyjson_mut_doc_get_root(m), *v;
	yyjson_val *src;

	for (size_t i = 0; i < n; i++) {
		src = yyjson_obj_get(from, fields[i]);
		if (src == NULL)
			continue;
		(void)yyjson_mut_obj_remove_key(root, fields[i]);
		if ((v = yyjson_val_mut_copy(m, src)) == NULL ||
		    !yyjson_mut_obj_add_val(m, root, fields[i], v))
			return CB_ENOMEM;
	}
	return CB_OK;
}

/* ---- output ------------------------------------------------------------ */

int
cr_reply_doc(struct cr_ctx *c, int status, yyjson_doc *d)
{
	size_t len = 0;
	char *json = yyjson_write(d, 0, &len);

	yyjson_doc_free(d);
	if (json == NULL)
		return api_req_error(c->c_r, API_E_BUSY);
	api_req_reply(c->c_r, status, API_JSON_CTYPE, json, len);
	free(json);
	return 0;
}

/* The record as written, with its new _rev. */
int
cr_reply_put(struct cr_ctx *c, int status, yyjson_mut_doc *m,
    const struct store_put_result *res)
{
	yyjson_mut_val *root = yyjson_mut_doc_get_root(m);

	(void)yyjson_mut_obj_remove_key(root, "_rev");
	if (!yyjson_mut_obj_add_strcpy(m, root, "_rev", res->pr_rev)) {
		yyjson_mut_doc_free(m);
		return api_req_error(c->c_r, API_E_BUSY);
	}
	return api_req_json(c->c_r, status, m);
}

int
cr_put_reply(struct cr_ctx *c, int rc, yyjson_mut_doc *m, int status)
{
	struct store_put_result res;

	if (rc == CB_OK)
		rc = cr_put(c, m, &res);
	if (rc != CB_OK) {
		yyjson_mut_doc_free(m);
		return cr_error(c);
	}
	return cr_reply_put(c, status, m, &res);
}

int
cr_list_begin(struct cr_ctx *c, struct cr_list *l, size_t limit)
{
	yyjson_mut_val *root;

	memset(l, 0, sizeof(*l));
	l->l_limit = limit;
	if ((l->l_doc = yyjson_mut_doc_new(NULL)) == NULL ||
	    (root = yyjson_mut_obj(l->l_doc)) == NULL ||
	    (l->l_items = yyjson_mut_arr(l->l_doc)) == NULL ||
	    !yyjson_mut_obj_add_val(l->l_doc, root, "items", l->l_items)) {
		yyjson_mut_doc_free(l->l_doc);
		l->l_doc = NULL;
		return cr_fail(c, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(l->l_doc, root);
	return CB_OK;
}

int
cr_list_add(struct cr_list *l, yyjson_doc *d)
{
	yyjson_mut_val *v = yyjson_val_mut_copy(l->l_doc,
	    yyjson_doc_get_root(d));

	if (v == NULL || !yyjson_mut_arr_append(l->l_items, v))
		return CB_ENOMEM;
	l->l_count++;
	return CB_OK;
}

int
cr_list_end(struct cr_ctx *c, struct cr_list *l, const char *next)
{
	yyjson_mut_val *root = yyjson_mut_doc_get_root(l->l_doc);
	int ok = next != NULL && next[0] != '\0' ?
	    yyjson_mut_obj_add_strcpy(l->l_doc, root, "next", next) :
	    yyjson_mut_obj_add_null(l->l_doc, root, "next");

	if (!ok) {
		yyjson_mut_doc_free(l->l_doc);
		return api_req_error(c->c_r, API_E_BUSY);
	}
	return api_req_json(c->c_r, 200, l->l_doc);
}

/*
 * A page of an index: scan in index pages of exactly the number of items
 * still wanted, so that a page always ends at an index page's end and its
 * cursor is the index's own. Documents that fn leaves out (policy) cost a
 * further scan; at most CR_SCAN_PAGES scans per request.
 */
int
cr_scan(struct cr_ctx *c, enum index_kind idx, const char *value,
    const char *id_prefix, const char *after, size_t limit,
    cr_filter_fn *fn, void *arg)
{
	struct index_hit *hits = calloc(limit, sizeof(*hits));
	char next[INDEX_CURSOR_MAX] = "", cur[INDEX_CURSOR_MAX];
	struct cr_list l;
	size_t n, i;
	yyjson_doc *d;
	int rc = CB_OK, in;

	snprintf(cur, sizeof(cur), "%s", after ? after : "");
	if (hits == NULL || cr_list_begin(c, &l, limit) != CB_OK) {
		free(hits);
		return cr_fail(c, API_E_BUSY);
	}
	for (int page = 0; page < CR_SCAN_PAGES && l.l_count < limit; page++) {
		struct index_query q = { idx, value, NULL, id_prefix,
		    cur[0] ? cur : NULL, limit - l.l_count };
		n = 0;
		if ((rc = store_index_scan(c->c_s, &q, hits, &n, next)) !=
		    CB_OK) {
			rc = rc == CB_EINVAL ? cr_field(c, API_FIELD_VALUE,
			    "after") : cr_store_fail(c, rc);
			break;
		}
		for (i = 0; i < n && rc == CB_OK; i++) {
			if (cr_get(c, hits[i].ih_id, &d) != CB_OK) {
				memset(&c->c_err, 0, sizeof(c->c_err));
				continue;	/* deleted meanwhile */
			}
			c->c_swap = NULL;
			if ((in = fn(c, d, arg)) < 0)
				rc = CB_EINVAL;
			else if (in > 0 && cr_list_add(&l, c->c_swap ?
			    c->c_swap : d) != CB_OK)
				rc = cr_fail(c, API_E_BUSY);
			yyjson_doc_free(c->c_swap);
			c->c_swap = NULL;
			yyjson_doc_free(d);
		}
		memcpy(cur, next, sizeof(cur));
		if (rc != CB_OK || next[0] == '\0')
			break;
	}
	free(hits);
	if (rc != CB_OK) {
		yyjson_mut_doc_free(l.l_doc);
		return rc;
	}
	cr_list_end(c, &l, cur);
	return CB_OK;
}

/* ---- school ------------------------------------------------------------ */

int
api_school_get(struct api_req *r)
{
	struct cr_ctx c;
	yyjson_doc *d;

	if (cr_begin(r, &c) != CB_OK ||
	    cr_allow(&c, RS_SCHOOL, PA_READ, REL_SCHOOL_WIDE, PSUB_NONE) !=
	    CB_OK || cr_get(&c, "school", &d) != CB_OK)
		return cr_error(&c);
	return cr_reply_doc(&c, 200, d);
}

/* While the school is terminating, only its state may change (on to
 * terminated, or back to active when the termination is called off). */
static int
school_change_ok(struct cr_ctx *c, yyjson_doc *old, yyjson_doc *body)
{
	static const char *const kept[] = { "name", "year", "absence_cutoff" };
	yyjson_val *o = cr_root(old), *b = cr_root(body);

	if (c->c_school != PS_TERMINATING)
		return CB_OK;
	for (size_t i = 0; i < CB_ARRAY_LEN(kept); i++) {
		yyjson_val *bv = yyjson_obj_get(b, kept[i]);
		if (bv != NULL &&
		    !yyjson_equals(bv, yyjson_obj_get(o, kept[i])))
			return cr_fail(c, API_E_TERMINATING);
	}
	return CB_OK;
}

int
api_school_put(struct api_req *r)
{
	static const char *const fields[] =
	    { "_rev", "name", "year", "state", "absence_cutoff" };
	struct cr_ctx c;
	yyjson_doc *body = NULL, *old = NULL;
	yyjson_mut_doc *m = NULL;
	enum policy_school st;
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK)
		rc = cr_body(&c, fields, CB_ARRAY_LEN(fields), &body);
	/* The end is POST /school/terminate (terminate.c): it asks for the
	 * school's name and destroys the keys. */
	if (rc == CB_OK && yyjson_equals_str(yyjson_obj_get(cr_root(body),
	    "state"), "terminated"))
		rc = cr_field(&c, API_FIELD_VALUE, "state");
	/* Terminating: admins may still move the state on (or back);
	 * school_change_ok keeps everything else as it is. */
	st = c.c_school;
	if (st == PS_TERMINATING && (c.c_admin || c.c_role == PR_ADMIN))
		c.c_school = PS_ACTIVE;
	if (rc == CB_OK)
		rc = cr_allow(&c, RS_SCHOOL, PA_UPDATE, REL_SCHOOL_WIDE,
		    PSUB_NONE);
	c.c_school = st;
	if (rc == CB_OK && cr_get(&c, "school", &old) == CB_OK) {
		rc = school_change_ok(&c, old, body);
		if (rc == CB_OK && !yyjson_obj_get(yyjson_doc_get_root(body),
		    "_rev"))
			rc = cr_field(&c, API_FIELD_MISSING, "_rev");
		m = yyjson_doc_mut_copy(old, NULL);
	} else if (rc == CB_OK) {
		memset(&c.c_err, 0, sizeof(c.c_err));
		m = cr_new_doc("school", REC_SCHOOL);
		if (yyjson_obj_get(yyjson_doc_get_root(body), "_rev"))
			rc = cr_fail(&c, API_E_CONFLICT);
	}
	if (rc == CB_OK && (m == NULL || cr_copy(m, cr_root(body), fields,
	    CB_ARRAY_LEN(fields)) != CB_OK))
		rc = cr_fail(&c, API_E_BUSY);
	rc = cr_put_reply(&c, rc, m, 200);
	yyjson_doc_free(body);
	yyjson_doc_free(old);
	return rc;
}

/* ---- classes ----------------------------------------------------------- */

/* A membership of the listed user, shown as its class if readable. */
static int
class_filter(struct cr_ctx *c, yyjson_doc *d, void *arg)
{
	const char *cid = cr_str(d, "class_id");
	yyjson_doc *cl = NULL;

	(void)arg;
	if (cid == NULL || !cr_may(c, RS_CLASS, PA_READ,
	    cr_rels_class(c, cid), PSUB_NONE))
		return 0;
	if (cr_get(c, cid, &cl) != CB_OK) {
		memset(&c->c_err, 0, sizeof(c->c_err));
		return 0;
	}
	c->c_swap = cl;
	return 1;
}

/* Admins: every class, from the changes feed (cursor: a sequence). */
static int
classes_all(struct cr_ctx *c, const char *after, size_t limit)
{
	struct store_change ch[64];
	struct cr_list l;
	uint64_t since = after[0] ? strtoull(after, NULL, 10) : 0, last = 0;
	size_t n = 0, steps = 0;
	char next[24] = "";
	yyjson_doc *d;

	if (cr_list_begin(c, &l, limit) != CB_OK)
		return CB_EINVAL;
	while (l.l_count < limit && steps < CR_FEED_STEPS) {
		if (store_changes(c->c_s, since, ch, CB_ARRAY_LEN(ch), &n) !=
		    CB_OK || n == 0)
			break;
		for (size_t i = 0; i < n && l.l_count < limit; i++, steps++) {
			since = last = ch[i].sc_seq;
			if (ch[i].sc_deleted ||
			    !rec_id_of_type(ch[i].sc_id, strlen(ch[i].sc_id),
			    REC_CLASS) || cr_get(c, ch[i].sc_id, &d) != CB_OK)
				continue;
			(void)cr_list_add(&l, d);
			yyjson_doc_free(d);
		}
		if (n < CB_ARRAY_LEN(ch) && l.l_count < limit)
			last = 0;	/* the feed is exhausted */
		if (n < CB_ARRAY_LEN(ch))
			break;
	}
	memset(&c->c_err, 0, sizeof(c->c_err));
	if (last != 0)
		snprintf(next, sizeof(next), "%llu", (unsigned long long)last);
	return cr_list_end(c, &l, next), CB_OK;
}

/* GET /classes: an admin's every class; anyone's own classes (through
 * their memberships); ?student= a child's (parents) or a student's
 * (their teachers, admins). */
int
api_classes_list(struct api_req *r)
{
	static const char *const names[] = { "after", "limit", "student" };
	char v[3][CR_QVAL_MAX];
	struct cr_ctx c;
	const char *who;
	size_t limit;

	if (cr_begin(r, &c) != CB_OK ||
	    cr_query(&c, names, 3, v) != CB_OK ||
	    cr_limit(&c, v[1], &limit) != CB_OK)
		return cr_error(&c);
	if (v[2][0] == '\0' && (c.c_role == PR_ADMIN || c.c_admin)) {
		if (cr_allow(&c, RS_CLASS, PA_READ, 0, PSUB_NONE) != CB_OK ||
		    classes_all(&c, v[0], limit) != CB_OK)
			return cr_error(&c);
		return 0;
	}
	who = v[2][0] ? v[2] : c.c_user->au_uid;
	if (!rec_uid_valid(who, strlen(who)))
		return cr_field(&c, API_FIELD_VALUE, "student"), cr_error(&c);
	/* The memberships of who, each turned into its class (if readable). */
	if (cr_allow(&c, RS_MEMBERSHIP, PA_READ, cr_rels_student(&c, who,
	    NULL), v[2][0] ? cr_subject(&c, who) : PSUB_NONE) != CB_OK ||
	    cr_scan(&c, INDEX_BY_USER, who, "membership:", v[0], limit,
	    class_filter, NULL) != CB_OK)
		return cr_error(&c);
	return 0;
}

int
api_classes_create(struct api_req *r)
{
	static const char *const fields[] = { "year", "code", "name", "kind" };
	struct store_put_result res;
	struct cr_ctx c;
	yyjson_doc *b = NULL;
	yyjson_mut_doc *m = NULL;
	yyjson_val *year, *code;
	char id[REC_ID_MAX + 1] = "class:";
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK)
		rc = cr_allow(&c, RS_CLASS, PA_CREATE, 0, PSUB_NONE);
	if (rc == CB_OK)
		rc = cr_body(&c, fields, CB_ARRAY_LEN(fields), &b);
	if (rc == CB_OK) {
		year = yyjson_obj_get(yyjson_doc_get_root(b), "year");
		code = yyjson_obj_get(yyjson_doc_get_root(b), "code");
		if (!yyjson_is_int(year))
			rc = cr_field(&c, API_FIELD_TYPE, "year");
		else if (!yyjson_is_str(code))
			rc = cr_field(&c, API_FIELD_TYPE, "code");
		else
			cr_idf(id, sizeof(id), "class:%lld:%.20s",
			    (long long)yyjson_get_sint(year),
			    yyjson_get_str(code));
	}
	if (rc == CB_OK && ((m = cr_new_doc(id, REC_CLASS)) == NULL ||
	    cr_copy(m, cr_root(b), fields, CB_ARRAY_LEN(fields)) != CB_OK ||
	    !yyjson_mut_obj_add_bool(m, yyjson_mut_doc_get_root(m),
	    "archived", false)))
		rc = cr_fail(&c, API_E_BUSY);
	if (rc == CB_OK && (rc = cr_put(&c, m, &res)) != CB_OK &&
	    c.c_err.ae_code == API_E_CONFLICT)
		(void)cr_fail(&c, API_E_EXISTS);
	yyjson_doc_free(b);
	if (rc != CB_OK) {
		yyjson_mut_doc_free(m);
		return cr_error(&c);
	}
	return cr_reply_put(&c, 201, m, &res);
}

/* A class id from the path, checked. */
static int
cr_path_class(struct cr_ctx *c, const char *arg)
{
	return rec_class_id_valid(arg, strlen(arg)) ? CB_OK :
	    cr_fail(c, API_E_NOT_FOUND);
}

int
api_class_get(struct api_req *r)
{
	struct cr_ctx c;
	yyjson_doc *d;
	const char *cid = r->r_arg[0];

	if (cr_begin(r, &c) != CB_OK || cr_path_class(&c, cid) != CB_OK ||
	    cr_allow(&c, RS_CLASS, PA_READ, cr_rels_class(&c, cid),
	    PSUB_NONE) != CB_OK || cr_get(&c, cid, &d) != CB_OK)
		return cr_error(&c);
	return cr_reply_doc(&c, 200, d);
}

/* PUT {_rev, name?, kind?, archived?}: year and code make the id and do
 * not change. */
int
api_class_put(struct api_req *r)
{
	static const char *const fields[] =
	    { "_rev", "name", "kind", "archived" };
	struct cr_ctx c;
	yyjson_doc *b = NULL, *old = NULL;
	yyjson_mut_doc *m = NULL;
	const char *cid = r->r_arg[0];
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK &&
	    (rc = cr_path_class(&c, cid)) == CB_OK &&
	    (rc = cr_allow(&c, RS_CLASS, PA_UPDATE, 0, PSUB_NONE)) == CB_OK &&
	    (rc = cr_body(&c, fields, CB_ARRAY_LEN(fields), &b)) == CB_OK &&
	    (rc = cr_get(&c, cid, &old)) == CB_OK &&
	    yyjson_obj_get(cr_root(b), "_rev") == NULL)
		rc = cr_field(&c, API_FIELD_MISSING, "_rev");
	if (rc == CB_OK && ((m = yyjson_doc_mut_copy(old, NULL)) == NULL ||
	    cr_copy(m, cr_root(b), fields, CB_ARRAY_LEN(fields)) != CB_OK))
		rc = cr_fail(&c, API_E_BUSY);
	rc = cr_put_reply(&c, rc, m, 200);
	yyjson_doc_free(b);
	yyjson_doc_free(old);
	return rc;
}

/* ---- school-year rollover (年度更新) ------------------------------------ */

/* The classes of a year, from the changes feed (ids only). */
static int
classes_of_year(struct cr_ctx *c, int64_t year, char (*ids)[REC_ID_MAX + 1],
    size_t max, size_t *n)
{
	struct store_change ch[64];
	char prefix[32];
	uint64_t since = 0;
	size_t got, steps = 0;

	*n = 0;
	snprintf(prefix, sizeof(prefix), "class:%lld:", (long long)year);
	while (steps < CR_ROLLOVER_STEPS) {
		if (store_changes(c->c_s, since, ch, CB_ARRAY_LEN(ch), &got) !=
		    CB_OK)
			return cr_fail(c, API_E_STORE);
		for (size_t i = 0; i < got; i++, steps++) {
			since = ch[i].sc_seq;
			if (ch[i].sc_deleted || strncmp(ch[i].sc_id, prefix,
			    strlen(prefix)) != 0)
				continue;
			if (*n == max)
				return cr_fail(c, API_E_TOO_LARGE);
			snprintf(ids[(*n)++], REC_ID_MAX + 1, "%s",
			    ch[i].sc_id);
		}
		if (got < CB_ARRAY_LEN(ch))
			return CB_OK;
	}
	return cr_fail(c, API_E_TOO_LARGE);
}

/* Next year's copy of one class (if not made yet), then the old one
 * archived. Memberships are not copied: next year's rosters differ. */
static int
rollover_class(struct cr_ctx *c, const char *id, int64_t to, size_t *made,
    size_t *archived)
{
	static const char *const kept[] = { "code", "name", "kind" };
	struct store_put_result res;
	yyjson_doc *d = NULL;
	yyjson_mut_doc *m = NULL, *old = NULL;
	char nid[REC_ID_MAX + 1];
	int rc;

	if ((rc = cr_get(c, id, &d)) != CB_OK)
		return rc;
	if (yyjson_get_bool(yyjson_obj_get(cr_root(d), "archived"))) {
		yyjson_doc_free(d);
		return CB_OK;
	}
	cr_idf(nid, sizeof(nid), "class:%lld:%s", (long long)to,
	    cr_str(d, "code") ? cr_str(d, "code") : "");
	if ((m = cr_new_doc(nid, REC_CLASS)) == NULL ||
	    cr_copy(m, cr_root(d), kept, CB_ARRAY_LEN(kept)) != CB_OK ||
	    !yyjson_mut_obj_add_sint(m, yyjson_mut_doc_get_root(m), "year",
	    to) || !yyjson_mut_obj_add_bool(m, yyjson_mut_doc_get_root(m),
	    "archived", false) ||
	    (old = yyjson_doc_mut_copy(d, NULL)) == NULL)
		rc = cr_fail(c, API_E_BUSY);
	if (rc == CB_OK && (rc = cr_put(c, m, &res)) == CB_OK)
		(*made)++;
	else if (rc != CB_OK && c->c_err.ae_code == API_E_CONFLICT) {
		rc = CB_OK;	/* made by an earlier, interrupted run */
		memset(&c->c_err, 0, sizeof(c->c_err));
	}
	if (rc == CB_OK) {
		yyjson_mut_val *root = yyjson_mut_doc_get_root(old);
		(void)yyjson_mut_obj_remove_key(root, "archived");
		if (!yyjson_mut_obj_add_bool(old, root, "archived", true))
			rc = cr_fail(c, API_E_BUSY);
		else if ((rc = cr_put(c, old, &res)) == CB_OK)
			(*archived)++;
	}
	yyjson_mut_doc_free(m);
	yyjson_mut_doc_free(old);
	yyjson_doc_free(d);
	return rc;
}

/* The school record moves on to the next year. */
static int
rollover_school(struct cr_ctx *c, yyjson_doc *school, int64_t to)
{
	struct store_put_result res;
	yyjson_mut_doc *m = yyjson_doc_mut_copy(school, NULL);
	yyjson_mut_val *root = m ? yyjson_mut_doc_get_root(m) : NULL;
	int rc;

	if (root == NULL)
		return cr_fail(c, API_E_BUSY);
	(void)yyjson_mut_obj_remove_key(root, "year");
	rc = yyjson_mut_obj_add_sint(m, root, "year", to) ?
	    cr_put(c, m, &res) : cr_fail(c, API_E_BUSY);
	yyjson_mut_doc_free(m);
	return rc;
}

/* POST /school/rollover {"to_year": N}: N must be the school's year + 1.
 * Every class of the old year gets its copy in the new year (same code,
 * name, kind; no members) and is archived: read-only from then on. A run
 * cut short can be repeated. */
int
api_school_rollover(struct api_req *r)
{
	static const char *const fields[] = { "to_year" };
	char (*ids)[REC_ID_MAX + 1] = NULL, json[96];
	struct cr_ctx c;
	yyjson_doc *b = NULL, *school = NULL;
	yyjson_val *to;
	size_t n = 0, made = 0, archived = 0;
	int64_t from = 0;
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK &&
	    (rc = cr_allow(&c, RS_SCHOOL, PA_UPDATE, 0, PSUB_NONE)) == CB_OK &&
	    (rc = cr_allow(&c, RS_CLASS, PA_CREATE, 0, PSUB_NONE)) == CB_OK &&
	    (rc = cr_body(&c, fields, 1, &b)) == CB_OK &&
	    (rc = cr_get(&c, "school", &school)) == CB_OK) {
		from = yyjson_get_sint(yyjson_obj_get(cr_root(school), "year"));
		to = yyjson_obj_get(cr_root(b), "to_year");
		if (!yyjson_is_int(to) || yyjson_get_sint(to) != from + 1)
			rc = cr_field(&c, to ? API_FIELD_VALUE :
			    API_FIELD_MISSING, "to_year");
	}
	if (rc == CB_OK && (ids = calloc(CR_ROLLOVER_MAX, sizeof(*ids))) ==
	    NULL)
		rc = cr_fail(&c, API_E_BUSY);
	if (rc == CB_OK)
		rc = classes_of_year(&c, from, ids, CR_ROLLOVER_MAX, &n);
	for (size_t i = 0; rc == CB_OK && i < n; i++)
		rc = rollover_class(&c, ids[i], from + 1, &made, &archived);
	if (rc == CB_OK)
		rc = rollover_school(&c, school, from + 1);
	free(ids);
	yyjson_doc_free(b);
	yyjson_doc_free(school);
	if (rc != CB_OK)
		return cr_error(&c);
	snprintf(json, sizeof(json), "{\"from_year\":%lld,\"to_year\":%lld,"
	    "\"created\":%zu,\"archived\":%zu}", (long long)from,
	    (long long)from + 1, made, archived);
	return api_req_reply(r, 200, API_JSON_CTYPE, json, strlen(json));
}

/* ---- memberships -------------------------------------------------------- */

/* The membership d with the member's roster name added as "name", into
 * c_swap; d as it is when there is no roster record (or no name). */
static int
member_named(struct cr_ctx *c, yyjson_doc *d, const char *uid)
{
	char id[REC_ID_MAX + 1];
	yyjson_doc *u = NULL;
	yyjson_mut_doc *m;
	const char *name;
	int ok = 1;

	if (cr_idf(id, sizeof(id), "user:%s", uid) != CB_OK ||
	    cr_get(c, id, &u) != CB_OK) {
		memset(&c->c_err, 0, sizeof(c->c_err));
		return 1;
	}
	if ((name = cr_str(u, "name")) != NULL) {
		m = yyjson_doc_mut_copy(d, NULL);
		ok = m != NULL && cr_add_str(m, "name", name) == CB_OK &&
		    (c->c_swap = yyjson_mut_doc_imut_copy(m, NULL)) != NULL;
		yyjson_mut_doc_free(m);
	}
	yyjson_doc_free(u);
	return ok ? 1 : (cr_fail(c, API_E_BUSY), -1);
}

/* A member is listed when the actor may read that membership (teachers of
 * the class: all; a student: their own; a parent: their child's), with
 * the member's name when the actor may read their roster record too (the
 * same relationships: the UI shows names, never bare ids). */
static int
member_filter(struct cr_ctx *c, yyjson_doc *d, void *arg)
{
	const char *uid = cr_str(d, "user_id"), *role = cr_str(d, "role");
	unsigned class_rels = *(unsigned *)arg, rels;
	enum policy_subject subj;

	if (uid == NULL || role == NULL)
		return 0;
	rels = (class_rels & REL_OWN_CLASS) |
	    (strcmp(uid, c->c_user->au_uid) == 0 ? REL_SELF : 0) |
	    (cr_is_child(c, uid) ? REL_CHILD : 0);
	subj = strcmp(role, "student") == 0 ? cr_subject(c, uid) : PSUB_NONE;
	if (c->c_role == PR_TEACHER || c->c_role == PR_ADMIN)
		subj = PSUB_NONE;	/* the roster shows who was there */
	if (!cr_may(c, RS_MEMBERSHIP, PA_READ, rels, subj))
		return 0;
	if (!cr_may(c, RS_USER, PA_READ, rels, subj))
		return 1;
	return member_named(c, d, uid);
}

int
api_members_list(struct api_req *r)
{
	static const char *const names[] = { "after", "limit" };
	char v[2][CR_QVAL_MAX];
	struct cr_ctx c;
	const char *cid = r->r_arg[0];
	unsigned rels;
	size_t limit;

	if (cr_begin(r, &c) != CB_OK || cr_path_class(&c, cid) != CB_OK ||
	    cr_query(&c, names, 2, v) != CB_OK ||
	    cr_limit(&c, v[1], &limit) != CB_OK)
		return cr_error(&c);
	/* Teachers of the class see every member; a student member their
	 * own row, a parent their child's (member_filter, per row). */
	rels = cr_rels_class(&c, cid);
	if (cr_allow(&c, RS_MEMBERSHIP, PA_READ, rels | ((rels &
	    REL_OWN_CLASS) ? REL_SELF : 0), PSUB_NONE) != CB_OK ||
	    cr_scan(&c, INDEX_BY_CLASS, cid,
	    "membership:", v[0], limit, member_filter, &rels) != CB_OK)
		return cr_error(&c);
	return 0;
}

/* The member's roster record must exist and fit the membership role. */
static int
member_role_ok(struct cr_ctx *c, const char *uid, const char *role)
{
	char id[REC_ID_MAX + 1];
	yyjson_doc *u = NULL;
	const char *ur, *st;
	int ok;

	if (uid == NULL || !rec_uid_valid(uid, strlen(uid)))
		return cr_field(c, API_FIELD_VALUE, "user_id");
	cr_idf(id, sizeof(id), "user:%s", uid);
	if (cr_get(c, id, &u) != CB_OK)
		return cr_field(c, API_FIELD_VALUE, "user_id");
	ur = cr_str(u, "role");
	st = cr_str(u, "state");
	ok = ur != NULL && role != NULL && (strcmp(role, "student") == 0 ?
	    strcmp(ur, "student") == 0 : (strcmp(ur, "teacher") == 0 ||
	    strcmp(ur, "admin") == 0));
	if (ok && (st == NULL || strcmp(st, "active") != 0))
		ok = 0;
	yyjson_doc_free(u);
	return ok ? CB_OK : cr_field(c, API_FIELD_VALUE, "role");
}

int
api_members_add(struct api_req *r)
{
	static const char *const fields[] = { "user_id", "role" };
	struct store_put_result res;
	struct cr_ctx c;
	yyjson_doc *b = NULL, *cl = NULL;
	yyjson_mut_doc *m = NULL;
	const char *cid = r->r_arg[0], *uid = NULL;
	char id[REC_ID_MAX + 1];
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK && (rc = cr_path_class(&c, cid)) ==
	    CB_OK && (rc = cr_allow(&c, RS_MEMBERSHIP, PA_CREATE,
	    cr_rels_class(&c, cid), PSUB_NONE)) == CB_OK &&
	    (rc = cr_get(&c, cid, &cl)) == CB_OK)
		rc = cr_body(&c, fields, CB_ARRAY_LEN(fields), &b);
	if (rc == CB_OK) {
		uid = cr_str(b, "user_id");
		rc = member_role_ok(&c, uid, cr_str(b, "role"));
	}
	if (rc == CB_OK) {
		cr_idf(id, sizeof(id), "membership:%s:%s", cid, uid);
		if ((m = cr_new_doc(id, REC_MEMBERSHIP)) == NULL ||
		    cr_copy(m, cr_root(b), fields, 2) != CB_OK ||
		    !yyjson_mut_obj_add_strcpy(m, yyjson_mut_doc_get_root(m),
		    "class_id", cid))
			rc = cr_fail(&c, API_E_BUSY);
	}
	if (rc == CB_OK && (rc = cr_put(&c, m, &res)) != CB_OK &&
	    c.c_err.ae_code == API_E_CONFLICT)
		(void)cr_fail(&c, API_E_EXISTS);
	yyjson_doc_free(b);
	yyjson_doc_free(cl);
	if (rc != CB_OK) {
		yyjson_mut_doc_free(m);
		return cr_error(&c);
	}
	return cr_reply_put(&c, 201, m, &res);
}

int
api_members_remove(struct api_req *r)
{
	struct store_put_result res;
	struct cr_ctx c;
	struct store_doc sd;
	char id[REC_ID_MAX + 1], json[REC_ID_MAX * 2 + 96];
	const char *cid = r->r_arg[0], *uid = r->r_arg[1];
	int rc;

	if (cr_begin(r, &c) != CB_OK || cr_path_class(&c, cid) != CB_OK)
		return cr_error(&c);
	if (!rec_uid_valid(uid, strlen(uid)))
		return cr_fail(&c, API_E_NOT_FOUND), cr_error(&c);
	if (cr_allow(&c, RS_MEMBERSHIP, PA_DELETE, cr_rels_class(&c, cid),
	    PSUB_NONE) != CB_OK)
		return cr_error(&c);
	cr_idf(id, sizeof(id), "membership:%s:%s", cid, uid);
	if ((rc = store_get(c.c_s, id, NULL, 0, &sd)) != CB_OK)
		return cr_store_fail(&c, rc), cr_error(&c);
	snprintf(json, sizeof(json), "{\"_id\":\"%s\",\"_rev\":\"%s\","
	    "\"_deleted\":true}", id, sd.sd_rev);
	store_doc_free(&sd);
	if ((rc = store_put(c.c_s, json, strlen(json), 1, &res)) != CB_OK)
		return cr_store_fail(&c, rc), cr_error(&c);
	return api_req_reply(r, 204, NULL, NULL, 0);
}

/* ---- the roster copy of accounts ---------------------------------------- */

int
api_roster_put(struct store *s, const struct auth_user *u)
{
	char id[REC_ID_MAX + 1];
	struct store_put_result res;
	struct store_doc sd;
	yyjson_mut_doc *m;
	yyjson_mut_val *root, *kids;
	const char *role = user_role_name(u->au_role);
	const char *state = user_state_name(u->au_state);
	char *json;
	size_t len;
	int rc;

	if (s == NULL || role == NULL || state == NULL)
		return CB_EUNAVAIL;
	cr_idf(id, sizeof(id), "user:%s", u->au_uid);
	if ((m = cr_new_doc(id, REC_USER)) == NULL)
		return CB_ENOMEM;
	root = yyjson_mut_doc_get_root(m);
	kids = yyjson_mut_arr(m);
	for (uint32_t i = 0; kids && i < u->au_nlinks && i < AUTH_LINKS_MAX;
	    i++)
		yyjson_mut_arr_add_strcpy(m, kids, u->au_links[i]);
	rc = store_get(s, id, NULL, 0, &sd);
	if (rc == CB_OK) {
		yyjson_mut_obj_add_strcpy(m, root, "_rev", sd.sd_rev);
		store_doc_free(&sd);
	}
	if (!yyjson_mut_obj_add_strcpy(m, root, "user_id", u->au_uid) ||
	    !yyjson_mut_obj_add_str(m, root, "role", role) ||
	    !yyjson_mut_obj_add_str(m, root, "state", state) ||
	    !yyjson_mut_obj_add_strcpy(m, root, "name",
	    u->au_state == USER_DELETED ? "-" : u->au_name) ||
	    !yyjson_mut_obj_add_bool(m, root, "admin",
	    (u->au_flags & USER_F_ADMIN) != 0) ||
	    (u->au_role == ROLE_PARENT &&
	    !yyjson_mut_obj_add_val(m, root, "children", kids))) {
		yyjson_mut_doc_free(m);
		return CB_ENOMEM;
	}
	json = yyjson_mut_write(m, 0, &len);
	yyjson_mut_doc_free(m);
	if (json == NULL)
		return CB_ENOMEM;
	rc = store_put(s, json, len, 1, &res);
	cb_wipe(json, len);
	free(json);
	if (rc != CB_OK)
		log_err("roster record of an account not written: %s",
		    store_errmsg(s));
	return rc;
}

int
api_profile_sync(struct api *a, const struct auth_user *u)
{
	return api_roster_put(a->a_store, u);
}

/* Fields on the root object of a record being built. */
int
cr_add_str(yyjson_mut_doc *m, const char *key, const char *val)
{
	return yyjson_mut_obj_add_strcpy(m, yyjson_mut_doc_get_root(m), key,
	    val) ? CB_OK : CB_ENOMEM;
}

int
cr_add_int(yyjson_mut_doc *m, const char *key, int64_t val)
{
	return yyjson_mut_obj_add_sint(m, yyjson_mut_doc_get_root(m), key,
	    val) ? CB_OK : CB_ENOMEM;
}
