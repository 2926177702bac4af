/*
 * lessons.c: announcements (with read receipts, 見ました), assignments and
 * submissions. Reads and writes are decided by core/policy.c from the
 * relationships classroom.c computes: a class's announcements are read by
 * its members and their parents; a submission by its student, their
 * parents and the class's teachers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/classroom.h"
#include "base/cb.h"

/* The class a record belongs to, from a query (?class=). */
static int
class_param(struct cr_ctx *c, const char *v, int school_ok)
{
	if (v[0] == '\0')
		return cr_field(c, API_FIELD_MISSING, "class");
	if (rec_class_id_valid(v, strlen(v)) ||
	    (school_ok && strcmp(v, "school") == 0))
		return CB_OK;
	return cr_field(c, API_FIELD_VALUE, "class");
}

/* A record of type t named by the path, with the relationships of its
 * class. */
static int
load_in_class(struct cr_ctx *c, enum rec_type t, const char *id,
    yyjson_doc **d, unsigned *rels)
{
	const char *cid;

	if (!rec_id_of_type(id, strlen(id), t))
		return cr_fail(c, API_E_NOT_FOUND);
	if (cr_get(c, id, d) != CB_OK)
		return CB_EINVAL;
	cid = cr_str(*d, "class_id");
	*rels = cr_rels_class(c, cid);
	return CB_OK;
}

static int
all_in(struct cr_ctx *c, yyjson_doc *d, void *arg)
{
	(void)c; (void)d; (void)arg;
	return 1;
}

/* ---- announcements ------------------------------------------------------ */

/* Each announcement of the list with "seen": whether this reader has said
 * 見ました (their receipt exists), so the UI needs no memory of its own. */
static int
seen_filter(struct cr_ctx *c, yyjson_doc *d, void *arg)
{
	char id[REC_ID_MAX + 1];
	const char *aid = cr_str(d, "_id");
	yyjson_doc *rc = NULL;
	yyjson_mut_doc *m;
	yyjson_mut_val *root;
	int seen, ok;

	(void)arg;
	if (aid == NULL || cr_idf(id, sizeof(id), "receipt:%s:%s", aid,
	    c->c_user->au_uid) != CB_OK)
		return 1;
	seen = cr_get(c, id, &rc) == CB_OK;
	memset(&c->c_err, 0, sizeof(c->c_err));
	yyjson_doc_free(rc);
	m = yyjson_doc_mut_copy(d, NULL);
	root = m ? yyjson_mut_doc_get_root(m) : NULL;
	ok = root != NULL && yyjson_mut_obj_add_bool(m, root, "seen", seen) &&
	    (c->c_swap = yyjson_mut_doc_imut_copy(m, NULL)) != NULL;
	yyjson_mut_doc_free(m);
	return ok ? 1 : (cr_fail(c, API_E_BUSY), -1);
}

int
api_announcements_list(struct api_req *r)
{
	static const char *const names[] = { "class", "after", "limit" };
	char v[3][CR_QVAL_MAX];
	struct cr_ctx c;
	size_t limit;

	if (cr_begin(r, &c) != CB_OK || cr_query(&c, names, 3, v) != CB_OK ||
	    class_param(&c, v[0], 1) != CB_OK ||
	    cr_limit(&c, v[2], &limit) != CB_OK ||
	    cr_allow(&c, RS_ANNOUNCEMENT, PA_READ, cr_rels_class(&c, v[0]),
	    PSUB_NONE) != CB_OK ||
	    cr_scan(&c, INDEX_BY_CLASS, v[0], "announcement:", v[1], limit,
	    seen_filter, NULL) != CB_OK)
		return cr_error(&c);
	return 0;
}

int
api_announcements_create(struct api_req *r)
{
	static const char *const fields[] = { "class_id", "title", "body" };
	struct cr_ctx c;
	yyjson_doc *b = NULL;
	yyjson_mut_doc *m = NULL;
	const char *cid;
	char id[REC_ID_MAX + 1], today[11];
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK)
		rc = cr_body(&c, fields, CB_ARRAY_LEN(fields), &b);
	if (rc == CB_OK && (cid = cr_str(b, "class_id")) == NULL)
		rc = cr_field(&c, API_FIELD_MISSING, "class_id");
	if (rc == CB_OK && class_param(&c, cid, 1) != CB_OK)
		rc = cr_field(&c, API_FIELD_VALUE, "class_id");
	if (rc == CB_OK)
		rc = cr_allow(&c, RS_ANNOUNCEMENT, PA_CREATE,
		    cr_rels_class(&c, cid), PSUB_NONE);
	rec_local_date(c.c_now, today);
	if (rc == CB_OK && (rec_random_id(REC_ANNOUNCEMENT, id, sizeof(id)) !=
	    CB_OK || (m = cr_new_doc(id, REC_ANNOUNCEMENT)) == NULL ||
	    cr_copy(m, cr_root(b), fields, CB_ARRAY_LEN(fields)) != CB_OK ||
	    cr_add_str(m, "author_id", c.c_user->au_uid) != CB_OK ||
	    cr_add_int(m, "posted_at", c.c_now) != CB_OK ||
	    cr_add_str(m, "date", today) != CB_OK))
		rc = cr_fail(&c, API_E_BUSY);
	rc = cr_put_reply(&c, rc, m, 201);
	yyjson_doc_free(b);
	return rc;
}

int
api_announcement_get(struct api_req *r)
{
	struct cr_ctx c;
	yyjson_doc *d = NULL;
	unsigned rels;

	if (cr_begin(r, &c) != CB_OK || load_in_class(&c, REC_ANNOUNCEMENT,
	    r->r_arg[0], &d, &rels) != CB_OK ||
	    cr_allow(&c, RS_ANNOUNCEMENT, PA_READ, rels, PSUB_NONE) != CB_OK) {
		yyjson_doc_free(d);
		return cr_error(&c);
	}
	return cr_reply_doc(&c, 200, d);
}

/* 見ました: a receipt per reader, written once (a repeat answers the
 * first one). */
int
api_announcement_seen(struct api_req *r)
{
	struct cr_ctx c;
	yyjson_doc *d = NULL, *old = NULL;
	yyjson_mut_doc *m = NULL;
	const char *aid = r->r_arg[0];
	char id[REC_ID_MAX + 1];
	unsigned rels;
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK && (rc = load_in_class(&c,
	    REC_ANNOUNCEMENT, aid, &d, &rels)) == CB_OK &&
	    (rc = cr_allow(&c, RS_ANNOUNCEMENT, PA_READ, rels, PSUB_NONE)) ==
	    CB_OK)
		rc = cr_allow(&c, RS_RECEIPT, PA_CREATE, REL_SELF, PSUB_NONE);
	yyjson_doc_free(d);
	if (rc != CB_OK)
		return cr_error(&c);
	cr_idf(id, sizeof(id), "receipt:%s:%s", aid, c.c_user->au_uid);
	if (cr_get(&c, id, &old) == CB_OK)
		return cr_reply_doc(&c, 200, old);
	if ((m = cr_new_doc(id, REC_RECEIPT)) == NULL ||
	    cr_add_str(m, "announcement_id", aid) != CB_OK ||
	    cr_add_str(m, "user_id", c.c_user->au_uid) != CB_OK ||
	    cr_add_int(m, "seen_at", c.c_now) != CB_OK)
		rc = cr_fail(&c, API_E_BUSY);
	rc = cr_put_reply(&c, rc, m, 201);
	return rc;
}

/* Receipts of a class announcement: one item per student of the class,
 * {"user_id", "seen", "seen_at"}, paged by the class's memberships. */
struct receipts_arg {
	const char *ra_aid;
};

static int
receipt_filter(struct cr_ctx *c, yyjson_doc *d, void *arg)
{
	struct receipts_arg *ra = arg;
	const char *uid = cr_str(d, "user_id"), *role = cr_str(d, "role");
	char id[REC_ID_MAX + 1], json[REC_ID_MAX + 96];
	yyjson_doc *rc = NULL;
	int64_t at = 0;

	if (uid == NULL || role == NULL || strcmp(role, "student") != 0)
		return 0;
	cr_idf(id, sizeof(id), "receipt:%s:%s", ra->ra_aid, uid);
	if (cr_get(c, id, &rc) == CB_OK)
		at = yyjson_get_sint(yyjson_obj_get(yyjson_doc_get_root(rc),
		    "seen_at"));
	memset(&c->c_err, 0, sizeof(c->c_err));
	yyjson_doc_free(rc);
	if (at > 0)
		snprintf(json, sizeof(json), "{\"user_id\":\"%s\","
		    "\"seen\":true,"
		    "\"seen_at\":%lld}", uid, (long long)at);
	else
		snprintf(json, sizeof(json), "{\"user_id\":\"%s\","
		    "\"seen\":false,"
		    "\"seen_at\":null}", uid);
	c->c_swap = yyjson_read(json, strlen(json), 0);
	return c->c_swap ? 1 : (cr_fail(c, API_E_BUSY), -1);
}

int
api_announcement_receipts(struct api_req *r)
{
	static const char *const names[] = { "after", "limit" };
	char v[2][CR_QVAL_MAX], cid[REC_ID_MAX + 1];
	struct receipts_arg ra = { r->r_arg[0] };
	struct cr_ctx c;
	yyjson_doc *d = NULL;
	unsigned rels;
	size_t limit;
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK && (rc = cr_query(&c, names, 2,
	    v)) == CB_OK && (rc = cr_limit(&c, v[1], &limit)) == CB_OK &&
	    (rc = load_in_class(&c, REC_ANNOUNCEMENT, ra.ra_aid, &d, &rels)) ==
	    CB_OK)
		rc = cr_allow(&c, RS_RECEIPT, PA_READ, rels & ~REL_SCHOOL_WIDE,
		    PSUB_NONE);
	if (rc == CB_OK) {
		snprintf(cid, sizeof(cid), "%s", cr_str(d, "class_id"));
		if (strcmp(cid, "school") == 0)
			rc = cr_fail(&c, API_E_BAD_REQUEST);
	}
	yyjson_doc_free(d);
	if (rc != CB_OK || cr_scan(&c, INDEX_BY_CLASS, cid, "membership:",
	    v[0], limit, receipt_filter, &ra) != CB_OK)
		return cr_error(&c);
	return 0;
}

/* ---- assignments --------------------------------------------------------- */

int
api_assignments_list(struct api_req *r)
{
	static const char *const names[] = { "class", "after", "limit" };
	char v[3][CR_QVAL_MAX];
	struct cr_ctx c;
	size_t limit;

	if (cr_begin(r, &c) != CB_OK || cr_query(&c, names, 3, v) != CB_OK ||
	    class_param(&c, v[0], 0) != CB_OK ||
	    cr_limit(&c, v[2], &limit) != CB_OK ||
	    cr_allow(&c, RS_ASSIGNMENT, PA_READ, cr_rels_class(&c, v[0]),
	    PSUB_NONE) != CB_OK ||
	    cr_scan(&c, INDEX_BY_CLASS, v[0], "assignment:", v[1], limit,
	    all_in, NULL) != CB_OK)
		return cr_error(&c);
	return 0;
}

int
api_assignments_create(struct api_req *r)
{
	static const char *const fields[] = { "class_id", "title",
	    "instructions", "due_date", "questions", "attachments" };
	struct cr_ctx c;
	yyjson_doc *b = NULL;
	yyjson_mut_doc *m = NULL;
	const char *cid;
	char id[REC_ID_MAX + 1];
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK)
		rc = cr_body(&c, fields, CB_ARRAY_LEN(fields), &b);
	if (rc == CB_OK && (cid = cr_str(b, "class_id")) == NULL)
		rc = cr_field(&c, API_FIELD_MISSING, "class_id");
	if (rc == CB_OK && class_param(&c, cid, 0) != CB_OK)
		rc = cr_field(&c, API_FIELD_VALUE, "class_id");
	if (rc == CB_OK)
		rc = cr_allow(&c, RS_ASSIGNMENT, PA_CREATE,
		    cr_rels_class(&c, cid), PSUB_NONE);
	if (rc == CB_OK && (rec_random_id(REC_ASSIGNMENT, id, sizeof(id)) !=
	    CB_OK || (m = cr_new_doc(id, REC_ASSIGNMENT)) == NULL ||
	    cr_copy(m, cr_root(b), fields, CB_ARRAY_LEN(fields)) != CB_OK ||
	    cr_add_str(m, "author_id", c.c_user->au_uid) != CB_OK ||
	    cr_add_int(m, "posted_at", c.c_now) != CB_OK))
		rc = cr_fail(&c, API_E_BUSY);
	rc = cr_put_reply(&c, rc, m, 201);
	yyjson_doc_free(b);
	return rc;
}

int
api_assignment_get(struct api_req *r)
{
	struct cr_ctx c;
	yyjson_doc *d = NULL;
	unsigned rels;

	if (cr_begin(r, &c) != CB_OK || load_in_class(&c, REC_ASSIGNMENT,
	    r->r_arg[0], &d, &rels) != CB_OK ||
	    cr_allow(&c, RS_ASSIGNMENT, PA_READ, rels, PSUB_NONE) != CB_OK) {
		yyjson_doc_free(d);
		return cr_error(&c);
	}
	return cr_reply_doc(&c, 200, d);
}

/* ---- submissions (append-only) ---------------------------------------- */

int
api_submissions_create(struct api_req *r)
{
	static const char *const fields[] = { "text", "answers" };
	static const char *const allowed[] = { "text", "answers",
	    "attachments" };
	struct store_put_result res;
	struct cr_ctx c;
	yyjson_doc *b = NULL, *a = NULL;
	yyjson_mut_doc *m = NULL, *docs[1 + REC_ATTACH_MAX];
	const char *aid = r->r_arg[0], *me;
	char id[REC_ID_MAX + 1], cid[REC_ID_MAX + 1] = "", due[20] = "";
	unsigned rels;
	size_t nfiles = 0, i;
	int rc;

	if ((rc = cr_begin(r, &c)) == CB_OK && (rc = load_in_class(&c,
	    REC_ASSIGNMENT, aid, &a, &rels)) == CB_OK &&
	    (rc = cr_allow(&c, RS_ASSIGNMENT, PA_READ, rels, PSUB_NONE)) ==
	    CB_OK) {
		snprintf(cid, sizeof(cid), "%s", cr_str(a, "class_id"));
		snprintf(due, sizeof(due), "%s", cr_str(a, "due_date") ?
		    cr_str(a, "due_date") : "");
		rc = cr_is_member(&c, cid, c.c_user->au_uid, "student") ?
		    cr_allow(&c, RS_SUBMISSION, PA_CREATE, REL_SELF,
		    cr_subject(&c, c.c_user->au_uid)) :
		    cr_fail(&c, API_E_FORBIDDEN);
	}
	yyjson_doc_free(a);
	if (rc == CB_OK)
		rc = cr_body(&c, allowed, CB_ARRAY_LEN(allowed), &b);
	me = c.c_user->au_uid;
	cr_idf(id, sizeof(id), "submission:%s:%s:%lld", aid, me,
	    (long long)c.c_now);
	if (rc == CB_OK && ((m = cr_new_doc(id, REC_SUBMISSION)) == NULL ||
	    cr_copy(m, cr_root(b), fields, CB_ARRAY_LEN(fields)) != CB_OK ||
	    cr_add_str(m, "assignment_id", aid) != CB_OK ||
	    cr_add_str(m, "class_id", cid) != CB_OK ||
	    cr_add_str(m, "student_id", me) != CB_OK ||
	    cr_add_int(m, "submitted_at", c.c_now) != CB_OK ||
	    !yyjson_mut_obj_add_bool(m, yyjson_mut_doc_get_root(m), "late",
	    rec_is_late(due, c.c_now))))
		rc = cr_fail(&c, API_E_BUSY);
	/* Files the student uploaded for it (files.c): attached in the
	 * same transaction as the submission. */
	if (rc == CB_OK)
		rc = files_attach_submission(&c, yyjson_obj_get(cr_root(b),
		    "attachments"), aid, id, m, docs + 1, &nfiles);
	yyjson_doc_free(b);
	if (rc == CB_OK && nfiles == 0)
		rc = cr_put(&c, m, &res);
	else if (rc == CB_OK) {
		docs[0] = m;
		rc = cr_put_many(&c, docs, 1 + nfiles);
	}
	for (i = 0; i < nfiles; i++)
		yyjson_mut_doc_free(docs[1 + i]);
	if (rc != CB_OK) {
		yyjson_mut_doc_free(m);
		return cr_error(&c);
	}
	if (nfiles > 0) {
		yyjson_mut_doc_free(m);
		if (cr_get(&c, id, &a) != CB_OK)
			return cr_error(&c);
		return cr_reply_doc(&c, 201, a);
	}
	return cr_reply_put(&c, 201, m, &res);
}

/* Each submission is shown only when the actor may read it: its student,
 * the student's parents, the class's teachers (then read-only for ever:
 * guidance keeps it after the student leaves). */
static int
submission_filter(struct cr_ctx *c, yyjson_doc *d, void *arg)
{
	unsigned class_rels = *(unsigned *)arg;
	const char *sid = cr_str(d, "student_id");

	if (sid == NULL)
		return 0;
	return cr_may(c, RS_SUBMISSION, PA_READ, (class_rels & REL_OWN_CLASS) |
	    (strcmp(sid, c->c_user->au_uid) == 0 ? REL_SELF : 0) |
	    (cr_is_child(c, sid) ? REL_CHILD : 0), cr_subject(c, sid));
}

int
api_submissions_list(struct api_req *r)
{
	static const char *const names[] = { "student", "after", "limit" };
	char v[3][CR_QVAL_MAX], cid[REC_ID_MAX + 1], prefix[REC_ID_MAX + 2];
	struct cr_ctx c;
	yyjson_doc *a = NULL;
	unsigned rels, srels;
	size_t limit;
	int rc, whole;

	if ((rc = cr_begin(r, &c)) == CB_OK && (rc = cr_query(&c, names, 3,
	    v)) == CB_OK && (rc = cr_limit(&c, v[2], &limit)) == CB_OK)
		rc = load_in_class(&c, REC_ASSIGNMENT, r->r_arg[0], &a, &rels);
	/* Only those who may read the assignment list its submissions. */
	if (rc == CB_OK)
		rc = cr_allow(&c, RS_ASSIGNMENT, PA_READ, rels, PSUB_NONE);
	if (rc == CB_OK)
		snprintf(cid, sizeof(cid), "%s", cr_str(a, "class_id"));
	yyjson_doc_free(a);
	if (rc != CB_OK)
		return cr_error(&c);
	if (v[0][0] != '\0' && !rec_uid_valid(v[0], strlen(v[0])))
		return cr_field(&c, API_FIELD_VALUE, "student"), cr_error(&c);
	/* Teachers of the class list it whole; anyone else one student's
	 * (their own, or ?student= for a parent's child). */
	whole = v[0][0] == '\0' && cr_may(&c, RS_SUBMISSION, PA_READ,
	    rels & REL_OWN_CLASS, PSUB_NONE) && c.c_role != PR_STUDENT;
	if (!whole && v[0][0] == '\0')
		snprintf(v[0], sizeof(v[0]), "%s", c.c_user->au_uid);
	srels = whole ? rels : (rels & REL_OWN_CLASS) |
	    cr_rels_student(&c, v[0], cid);
	if (cr_allow(&c, RS_SUBMISSION, PA_READ, srels, whole ? PSUB_NONE :
	    cr_subject(&c, v[0])) != CB_OK)
		return cr_error(&c);
	cr_idf(prefix, sizeof(prefix), "submission:%s:", r->r_arg[0]);
	rc = whole ? cr_scan(&c, INDEX_BY_CLASS, cid, prefix, v[1], limit,
	    submission_filter, &rels) : cr_scan(&c, INDEX_BY_USER, v[0],
	    prefix, v[1], limit, submission_filter, &rels);
	return rc == CB_OK ? 0 : cr_error(&c);
}
