/*
 * registers.c: attendance (a roll call for a whole class in one request),
 * absence notices from parents (with the school's daily cut-off; withdrawn
 * but never deleted), guidance notes (sensitive) and the grants that open
 * a student's notes to another teacher or an admin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/classroom.h"
#include "base/cb.h"

static int
uid_param(struct cr_ctx *c, const char *v, const char *name)
{
	if (v[0] == '\0')
		return cr_field(c, API_FIELD_MISSING, name);
	return rec_uid_valid(v, strlen(v)) ? CB_OK :
	    cr_field(c, API_FIELD_VALUE, name);
}

/* The relationships of the actor to a record about student sid (in class
 * cid, if any), and whether policy lets them read it. */
static int
may_read_student(struct cr_ctx *c, enum policy_resource res,
    yyjson_doc *d)
{
	const char *sid = cr_str(d, "student_id"), *cid = cr_str(d, "class_id");
	unsigned rels;

	if (sid == NULL)
		return 0;
	rels = cr_rels_student(c, sid, cid);
	if (res == RS_ABSENCE_NOTICE && cr_str(d, "parent_id") != NULL &&
	    strcmp(cr_str(d, "parent_id"), c->c_user->au_uid) == 0)
		rels |= REL_SELF;
	return cr_may(c, res, PA_READ, rels, cr_subject(c, sid));
}

/* ---- attendance ---------------------------------------------------------- */

static int
attendance_filter(struct cr_ctx *c, yyjson_doc *d, void *arg)
{
	(void)arg;
	return may_read_student(c, RS_ATTENDANCE, d);
}

/* GET ?class=&date= (a class's roll calls of a day) or ?student= (one
 * student's history). */
int
api_attendance_list(struct api_req *r)
{
	static const char *const names[] =
	    { "class", "date", "student", "after", "limit" };
	char v[5][CR_QVAL_MAX], prefix[64];
	struct cr_ctx c;
	unsigned rels;
	size_t limit;

	if (cr_begin(r, &c) != CB_OK || cr_query(&c, names, 5, v) != CB_OK ||
	    cr_limit(&c, v[4], &limit) != CB_OK)
		return cr_error(&c);
	if (v[2][0] != '\0') {
		if (uid_param(&c, v[2], "student") != CB_OK ||
		    cr_allow(&c, RS_ATTENDANCE, PA_READ,
		    cr_rels_student(&c, v[2], NULL), cr_subject(&c, v[2])) !=
		    CB_OK || cr_scan(&c, INDEX_BY_USER, v[2], "attendance:",
		    v[3], limit, attendance_filter, NULL) != CB_OK)
			return cr_error(&c);
		return 0;
	}
	if (!rec_class_id_valid(v[0], strlen(v[0])))
		return cr_field(&c, v[0][0] ? API_FIELD_VALUE :
		    API_FIELD_MISSING, "class"), cr_error(&c);
	if (!rec_date_valid(v[1], strlen(v[1])))
		return cr_field(&c, v[1][0] ? API_FIELD_VALUE :
		    API_FIELD_MISSING, "date"), cr_error(&c);
	cr_idf(prefix, sizeof(prefix), "attendance:%s:", v[1]);
	/* The class's list: its teachers see all of it; a student member
	 * their own rows, a parent their child's (filtered per row). */
	rels = cr_rels_class(&c, v[0]);
	if (rels & REL_OWN_CLASS)
		rels |= REL_SELF;
	if (cr_allow(&c, RS_ATTENDANCE, PA_READ, rels, PSUB_NONE) != CB_OK ||
	    cr_scan(&c, INDEX_BY_CLASS, v[0], prefix, v[3], limit,
	    attendance_filter, NULL) != CB_OK)
		return cr_error(&c);
	return 0;
}

struct rollcall {
	const char *rc_class;
	const char *rc_date;
	int64_t rc_period;
	yyjson_mut_doc *rc_docs[CR_ATTENDANCE_MAX];
	size_t rc_n;
};

/* One entry {student_id, status, reason?} as an attendance record; an
 * existing record of the same student, date and period is updated (its
 * revision continues). */
static int
rollcall_entry(struct cr_ctx *c, struct rollcall *rc, yyjson_val *e,
    size_t i)
{
	static const char *const fields[] =
	    { "student_id", "status", "reason" };
	char field[48], id[REC_ID_MAX + 1];
	yyjson_val *sv = yyjson_obj_get(e, "student_id");
	const char *sid = yyjson_get_str(sv);
	yyjson_mut_doc *m;
	struct store_doc sd;

	yyjson_obj_iter it;
	yyjson_val *k;

	snprintf(field, sizeof(field), "entries[%zu]", i);
	if (!yyjson_is_obj(e))
		return cr_field(c, API_FIELD_TYPE, field);
	yyjson_obj_iter_init(e, &it);
	while ((k = yyjson_obj_iter_next(&it)) != NULL)
		if (!yyjson_equals_str(k, fields[0]) &&
		    !yyjson_equals_str(k, fields[1]) &&
		    !yyjson_equals_str(k, fields[2]))
			return cr_field(c, API_FIELD_UNKNOWN, field);
	snprintf(field, sizeof(field), "entries[%zu].student_id", i);
	if (sid == NULL || !rec_uid_valid(sid, yyjson_get_len(sv)))
		return cr_field(c, API_FIELD_VALUE, field);
	if (!cr_is_member(c, rc->rc_class, sid, "student"))
		return cr_field(c, API_FIELD_VALUE, field);
	if (cr_allow(c, RS_ATTENDANCE, PA_CREATE, cr_rels_class(c,
	    rc->rc_class), cr_subject(c, sid)) != CB_OK)
		return CB_EPERM;
	cr_idf(id, sizeof(id), "attendance:%s:%s:%s:%lld", rc->rc_date,
	    rc->rc_class, sid, (long long)rc->rc_period);
	if ((m = cr_new_doc(id, REC_ATTENDANCE)) == NULL)
		return cr_fail(c, API_E_BUSY);
	rc->rc_docs[rc->rc_n++] = m;
	if (store_get(c->c_s, id, NULL, 0, &sd) == CB_OK) {
		(void)cr_add_str(m, "_rev", sd.sd_rev);
		store_doc_free(&sd);
	}
	if (cr_copy(m, e, fields, CB_ARRAY_LEN(fields)) != CB_OK ||
	    cr_add_str(m, "date", rc->rc_date) != CB_OK ||
	    cr_add_str(m, "class_id", rc->rc_class) != CB_OK ||
	    cr_add_int(m, "period", rc->rc_period) != CB_OK ||
	    cr_add_str(m, "recorded_by", c->c_user->au_uid) != CB_OK ||
	    cr_add_int(m, "edited_at", c->c_now) != CB_OK)
		return cr_fail(c, API_E_BUSY);
	return CB_OK;
}

static int
rollcall_parse(struct cr_ctx *c, yyjson_doc *b, struct rollcall *rc)
{
	yyjson_val *root = yyjson_doc_get_root(b), *e, *list;
	yyjson_val *per = yyjson_obj_get(root, "period");
	size_t i, max;

	rc->rc_class = cr_str(b, "class_id");
	rc->rc_date = cr_str(b, "date");
	list = yyjson_obj_get(root, "entries");
	if (rc->rc_class == NULL || !rec_class_id_valid(rc->rc_class,
	    strlen(rc->rc_class)))
		return cr_field(c, rc->rc_class ? API_FIELD_VALUE :
		    API_FIELD_MISSING, "class_id");
	if (rc->rc_date == NULL || !rec_date_valid(rc->rc_date,
	    strlen(rc->rc_date)))
		return cr_field(c, rc->rc_date ? API_FIELD_VALUE :
		    API_FIELD_MISSING, "date");
	if (!yyjson_is_int(per) || yyjson_get_sint(per) < 0 ||
	    yyjson_get_sint(per) > REC_PERIOD_MAX)
		return cr_field(c, per ? API_FIELD_VALUE : API_FIELD_MISSING,
		    "period");
	rc->rc_period = yyjson_get_sint(per);
	if (!yyjson_is_arr(list) || yyjson_arr_size(list) == 0 ||
	    yyjson_arr_size(list) > CR_ATTENDANCE_MAX)
		return cr_field(c, list ? API_FIELD_LENGTH : API_FIELD_MISSING,
		    "entries");
	if (cr_allow(c, RS_ATTENDANCE, PA_CREATE, cr_rels_class(c,
	    rc->rc_class), PSUB_NONE) != CB_OK)
		return CB_EPERM;
	yyjson_arr_foreach(list, i, max, e) {
		for (size_t j = 0; j < i; j++)
			if (yyjson_equals(yyjson_obj_get(e, "student_id"),
			    yyjson_obj_get(yyjson_arr_get(list, j),
			    "student_id")))
				return cr_field(c, API_FIELD_DUPLICATE,
				    "entries.student_id");
		if (rollcall_entry(c, rc, e, i) != CB_OK)
			return CB_EINVAL;
	}
	return CB_OK;
}

/* POST {class_id, date, period, entries: [{student_id, status, reason?}]}:
 * a teacher's roll call for the class, all entries or none. */
int
api_attendance_record(struct api_req *r)
{
	static const char *const fields[] =
	    { "class_id", "date", "period", "entries" };
	struct rollcall rc;
	struct cr_ctx c;
	yyjson_doc *b = NULL;
	char json[96];
	int st;

	memset(&rc, 0, sizeof(rc));
	if ((st = cr_begin(r, &c)) == CB_OK &&
	    (st = cr_body(&c, fields, CB_ARRAY_LEN(fields), &b)) == CB_OK &&
	    (st = rollcall_parse(&c, b, &rc)) == CB_OK)
		st = cr_put_many(&c, rc.rc_docs, rc.rc_n);
	for (size_t i = 0; i < rc.rc_n; i++)
		yyjson_mut_doc_free(rc.rc_docs[i]);
	yyjson_doc_free(b);
	if (st != CB_OK)
		return cr_error(&c);
	snprintf(json, sizeof(json), "{\"recorded\":%zu}", rc.rc_n);
	return api_req_reply(r, 200, API_JSON_CTYPE, json, strlen(json));
}

/* ---- absence notices ----------------------------------------------------- */

static int
notice_filter(struct cr_ctx *c, yyjson_doc *d, void *arg)
{
	(void)arg;
	return may_read_student(c, RS_ABSENCE_NOTICE, d);
}

/* GET ?date= (teachers: the whole school's notices of a day) or
 * ?student= (a parent: their child's; teachers too). */
int
api_notices_list(struct api_req *r)
{
	static const char *const names[] =
	    { "date", "student", "after", "limit" };
	char v[4][CR_QVAL_MAX];
	struct cr_ctx c;
	size_t limit;

	if (cr_begin(r, &c) != CB_OK || cr_query(&c, names, 4, v) != CB_OK ||
	    cr_limit(&c, v[3], &limit) != CB_OK)
		return cr_error(&c);
	if (v[1][0] != '\0') {
		if (uid_param(&c, v[1], "student") != CB_OK ||
		    cr_allow(&c, RS_ABSENCE_NOTICE, PA_READ,
		    cr_rels_student(&c, v[1], NULL), cr_subject(&c, v[1])) !=
		    CB_OK || cr_scan(&c, INDEX_BY_USER, v[1],
		    "absence_notice:", v[2], limit, notice_filter, NULL) !=
		    CB_OK)
			return cr_error(&c);
		return 0;
	}
	if (!rec_date_valid(v[0], strlen(v[0])))
		return cr_field(&c, v[0][0] ? API_FIELD_VALUE :
		    API_FIELD_MISSING, "date"), cr_error(&c);
	if (cr_allow(&c, RS_ABSENCE_NOTICE, PA_READ, 0, PSUB_NONE) != CB_OK ||
	    cr_scan(&c, INDEX_BY_DATE, v[0], "absence_notice:", v[2], limit,
	    notice_filter, NULL) != CB_OK)
		return cr_error(&c);
	return 0;
}

int
api_notices_create(struct api_req *r)
{
	static const char *const fields[] =
	    { "student_id", "date", "kind", "reason" };
	struct cr_ctx c;
	yyjson_doc *b = NULL;
	yyjson_mut_doc *m = NULL;
	const char *sid = NULL, *date;
	char id[REC_ID_MAX + 1];
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK &&
	    (rc = cr_body(&c, fields, CB_ARRAY_LEN(fields), &b)) == CB_OK) {
		sid = cr_str(b, "student_id");
		rc = sid == NULL ?
		    cr_field(&c, API_FIELD_MISSING, "student_id") :
		    !rec_uid_valid(sid, strlen(sid)) ?
		    cr_field(&c, API_FIELD_VALUE, "student_id") :
		    cr_allow(&c, RS_ABSENCE_NOTICE, PA_CREATE,
		    cr_rels_student(&c, sid, NULL), cr_subject(&c, sid));
	}
	if (rc == CB_OK) {
		date = cr_str(b, "date");
		if (date == NULL || !rec_date_valid(date, strlen(date)))
			rc = cr_field(&c, date ? API_FIELD_VALUE :
			    API_FIELD_MISSING, "date");
		else if (rec_cutoff_passed(date, c.c_cutoff[0] ? c.c_cutoff :
		    NULL, c.c_now))
			rc = cr_fail(&c, API_E_CUTOFF);
	}
	if (rc == CB_OK && (rec_random_id(REC_ABSENCE_NOTICE, id,
	    sizeof(id)) != CB_OK || (m = cr_new_doc(id,
	    REC_ABSENCE_NOTICE)) == NULL || cr_copy(m, cr_root(b), fields,
	    CB_ARRAY_LEN(fields)) != CB_OK ||
	    cr_add_str(m, "parent_id", c.c_user->au_uid) != CB_OK ||
	    cr_add_str(m, "state", "submitted") != CB_OK ||
	    cr_add_int(m, "submitted_at", c.c_now) != CB_OK))
		rc = cr_fail(&c, API_E_BUSY);
	rc = cr_put_reply(&c, rc, m, 201);
	yyjson_doc_free(b);
	return rc;
}

static int
notice_load(struct cr_ctx *c, const char *id, yyjson_doc **d)
{
	if (!rec_id_of_type(id, strlen(id), REC_ABSENCE_NOTICE))
		return cr_fail(c, API_E_NOT_FOUND);
	return cr_get(c, id, d);
}

int
api_notice_get(struct api_req *r)
{
	struct cr_ctx c;
	yyjson_doc *d = NULL;

	if (cr_begin(r, &c) != CB_OK || notice_load(&c, r->r_arg[0], &d) !=
	    CB_OK)
		return cr_error(&c);
	if (!may_read_student(&c, RS_ABSENCE_NOTICE, d)) {
		const char *sid = cr_str(d, "student_id");
		/* Say why: a left student, a closing school, or no right. */
		(void)cr_allow(&c, RS_ABSENCE_NOTICE, PA_READ,
		    cr_rels_student(&c, sid, NULL), cr_subject(&c, sid));
		if (c.c_err.ae_code == API_E_NONE)
			(void)cr_fail(&c, API_E_FORBIDDEN);
		yyjson_doc_free(d);
		return cr_error(&c);
	}
	return cr_reply_doc(&c, 200, d);
}

/* Withdrawn, never deleted: the notice keeps its history of revisions. */
int
api_notice_withdraw(struct api_req *r)
{
	struct cr_ctx c;
	yyjson_doc *d = NULL;
	yyjson_mut_doc *m = NULL;
	const char *pid, *st;
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK &&
	    (rc = cr_body(&c, NULL, 0, &d)) == CB_OK) {
		yyjson_doc_free(d);
		d = NULL;
		rc = notice_load(&c, r->r_arg[0], &d);
	}
	if (rc == CB_OK) {
		pid = cr_str(d, "parent_id");
		rc = cr_allow(&c, RS_ABSENCE_NOTICE, PA_WITHDRAW,
		    pid && strcmp(pid, c.c_user->au_uid) == 0 ? REL_SELF : 0,
		    cr_subject(&c, cr_str(d, "student_id")));
	}
	if (rc == CB_OK && ((st = cr_str(d, "state")) == NULL ||
	    strcmp(st, "submitted") != 0))
		rc = cr_fail(&c, API_E_INVALID_STATE);
	if (rc == CB_OK) {
		m = yyjson_doc_mut_copy(d, NULL);
		if (m == NULL) {
			rc = cr_fail(&c, API_E_BUSY);
		} else {
			yyjson_mut_val *root = yyjson_mut_doc_get_root(m);
			yyjson_mut_obj_remove_key(root, "state");
			if (cr_add_str(m, "state", "withdrawn") != CB_OK ||
			    cr_add_int(m, "withdrawn_at", c.c_now) != CB_OK)
				rc = cr_fail(&c, API_E_BUSY);
		}
	}
	rc = cr_put_reply(&c, rc, m, 200);
	yyjson_doc_free(d);
	return rc;
}

/* ---- guidance notes ------------------------------------------------------ */

static int
guidance_filter(struct cr_ctx *c, yyjson_doc *d, void *arg)
{
	(void)arg;
	return may_read_student(c, RS_GUIDANCE_NOTE, d);
}

int
api_guidance_list(struct api_req *r)
{
	static const char *const names[] = { "student", "after", "limit" };
	char v[3][CR_QVAL_MAX];
	struct cr_ctx c;
	size_t limit;

	if (cr_begin(r, &c) != CB_OK || cr_query(&c, names, 3, v) != CB_OK ||
	    cr_limit(&c, v[2], &limit) != CB_OK ||
	    uid_param(&c, v[0], "student") != CB_OK ||
	    cr_allow(&c, RS_GUIDANCE_NOTE, PA_READ, cr_rels_student(&c, v[0],
	    NULL), cr_subject(&c, v[0])) != CB_OK ||
	    cr_scan(&c, INDEX_BY_USER, v[0], "guidance_note:", v[1], limit,
	    guidance_filter, NULL) != CB_OK)
		return cr_error(&c);
	return 0;
}

int
api_guidance_create(struct api_req *r)
{
	static const char *const fields[] = { "student_id", "text" };
	struct cr_ctx c;
	yyjson_doc *b = NULL;
	yyjson_mut_doc *m = NULL;
	const char *sid;
	char id[REC_ID_MAX + 1], today[11];
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK &&
	    (rc = cr_body(&c, fields, CB_ARRAY_LEN(fields), &b)) == CB_OK) {
		sid = cr_str(b, "student_id");
		rc = sid == NULL ?
		    cr_field(&c, API_FIELD_MISSING, "student_id") :
		    !rec_uid_valid(sid, strlen(sid)) ?
		    cr_field(&c, API_FIELD_VALUE, "student_id") :
		    cr_allow(&c, RS_GUIDANCE_NOTE, PA_CREATE,
		    cr_rels_student(&c, sid, NULL), cr_subject(&c, sid));
	}
	rec_local_date(c.c_now, today);
	if (rc == CB_OK && (rec_random_id(REC_GUIDANCE_NOTE, id, sizeof(id)) !=
	    CB_OK || (m = cr_new_doc(id, REC_GUIDANCE_NOTE)) == NULL ||
	    cr_copy(m, cr_root(b), fields, CB_ARRAY_LEN(fields)) != CB_OK ||
	    cr_add_str(m, "author_id", c.c_user->au_uid) != CB_OK ||
	    cr_add_str(m, "date", today) != CB_OK ||
	    cr_add_int(m, "written_at", c.c_now) != CB_OK))
		rc = cr_fail(&c, API_E_BUSY);
	rc = cr_put_reply(&c, rc, m, 201);
	yyjson_doc_free(b);
	return rc;
}

/* ---- grants -------------------------------------------------------------- */

/* The grantee must be staff on the roster; the student a student. */
static int
grant_parties_ok(struct cr_ctx *c, const char *gid, const char *sid)
{
	char id[REC_ID_MAX + 1];
	yyjson_doc *u = NULL;
	const char *role;
	int ok;

	cr_idf(id, sizeof(id), "user:%s", gid);
	ok = cr_get(c, id, &u) == CB_OK && (role = cr_str(u, "role")) &&
	    (strcmp(role, "teacher") == 0 || strcmp(role, "admin") == 0);
	yyjson_doc_free(u);
	u = NULL;
	if (!ok)
		return cr_field(c, API_FIELD_VALUE, "grantee_id");
	cr_idf(id, sizeof(id), "user:%s", sid);
	ok = cr_get(c, id, &u) == CB_OK && (role = cr_str(u, "role")) &&
	    strcmp(role, "student") == 0;
	yyjson_doc_free(u);
	return ok ? CB_OK : cr_field(c, API_FIELD_VALUE, "student_id");
}

int
api_grants_create(struct api_req *r)
{
	static const char *const fields[] = { "grantee_id", "student_id" };
	struct cr_ctx c;
	yyjson_doc *b = NULL, *old = NULL;
	yyjson_mut_doc *m = NULL;
	const char *gid = NULL, *sid = NULL;
	char id[REC_ID_MAX + 1];
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK &&
	    (rc = cr_allow(&c, RS_GRANT, PA_CREATE, 0, PSUB_NONE)) == CB_OK &&
	    (rc = cr_body(&c, fields, CB_ARRAY_LEN(fields), &b)) == CB_OK) {
		gid = cr_str(b, "grantee_id");
		sid = cr_str(b, "student_id");
		rc = gid == NULL || !rec_uid_valid(gid, strlen(gid)) ?
		    cr_field(&c, API_FIELD_VALUE, "grantee_id") :
		    sid == NULL || !rec_uid_valid(sid, strlen(sid)) ?
		    cr_field(&c, API_FIELD_VALUE, "student_id") :
		    grant_parties_ok(&c, gid, sid);
	}
	if (rc == CB_OK) {
		cr_idf(id, sizeof(id), "grant:%s:%s", gid, sid);
		if (cr_get(&c, id, &old) == CB_OK) {
			yyjson_doc_free(b);
			return cr_reply_doc(&c, 200, old);
		}
		memset(&c.c_err, 0, sizeof(c.c_err));
		if ((m = cr_new_doc(id, REC_GRANT)) == NULL ||
		    cr_copy(m, cr_root(b), fields, 2) != CB_OK ||
		    cr_add_str(m, "granted_by", c.c_user->au_uid) != CB_OK ||
		    cr_add_int(m, "granted_at", c.c_now) != CB_OK)
			rc = cr_fail(&c, API_E_BUSY);
	}
	rc = cr_put_reply(&c, rc, m, 201);
	yyjson_doc_free(b);
	return rc;
}

int
api_grants_delete(struct api_req *r)
{
	struct store_put_result res;
	struct store_doc sd;
	struct cr_ctx c;
	char id[REC_ID_MAX + 1], json[REC_ID_MAX * 2 + 96];
	int rc;

	if (cr_begin(r, &c) != CB_OK || cr_allow(&c, RS_GRANT, PA_DELETE, 0,
	    PSUB_NONE) != CB_OK)
		return cr_error(&c);
	if (!rec_uid_valid(r->r_arg[0], strlen(r->r_arg[0])) ||
	    !rec_uid_valid(r->r_arg[1], strlen(r->r_arg[1])))
		return cr_fail(&c, API_E_NOT_FOUND), cr_error(&c);
	cr_idf(id, sizeof(id), "grant:%s:%s", r->r_arg[0], r->r_arg[1]);
	if ((rc = store_get(c.c_s, id, NULL, 0, &sd)) != CB_OK)
		return cr_store_fail(&c, rc), cr_error(&c);
	snprintf(json, sizeof(json), "{\"_id\":\"%s\",\"_rev\":\"%s\","
	    "\"_deleted\":true}", id, sd.sd_rev);
	store_doc_free(&sd);
	if ((rc = store_put(c.c_s, json, strlen(json), 1, &res)) != CB_OK)
		return cr_store_fail(&c, rc), cr_error(&c);
	return api_req_reply(r, 204, NULL, NULL, 0);
}
