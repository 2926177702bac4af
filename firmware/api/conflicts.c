/*
 * conflicts.c: the conflicts sync left, and their resolutions, for the
 * people who may see them (docs/sync.md "Conflict rules", docs/api.md).
 *
 *   GET  /api/v1/conflicts                    teachers and admins
 *   POST /api/v1/conflicts/{doc id}/resolve   a teacher's merge of a note
 *
 * The list walks sync's records ("conflict:<hash>", type
 * conflict_resolution, indexed by the type in conflict) and, for each,
 * the document's live leaves now. A teacher sees an entry only when the
 * policy lets them read the document; an admin sees every entry, but its
 * versions only when the policy lets them read the document (a guidance
 * note: through a grant). Every entry whose versions are shown is a read
 * of personal data in the operation log ("conflict.read").
 *
 * The merge writes, in one store transaction (store_resolve) and only
 * when the live leaves are still the ones the teacher saw: the merged
 * text on the winning leaf, a tombstone on every other leaf (as CouchDB
 * resolves a conflict), and the record of the conflict updated with the
 * versions it closed and who merged them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/classroom.h"
#include "base/cb.h"
#include "core/conflict.h"

#define CONFLICTS_LIST_MAX	100	/* entries per list in one answer */
#define CONFLICTS_SCAN_MAX	1000	/* records examined per request */
#define CONFLICTS_PAGE		100	/* index hits per scan */
#define CONFLICTS_RECORD_MAX	(900 * 1024)	/* = CONFLICT_RECORD_MAX */

struct cf_list {
	struct cr_ctx *l_c;
	yyjson_mut_doc *l_doc;
	yyjson_mut_val *l_open, *l_resolved;
	size_t l_nopen, l_nresolved;	/* counted (visible) */
	size_t l_scanned;
	int l_truncated;
	int l_count_only;		/* the sync status: counts only */
};

/* ---- policy ------------------------------------------------------------ */

static const struct {
	const char *type;
	enum policy_resource res;
} cf_resources[] = {
	{ "user", RS_USER },
	{ "class", RS_CLASS },
	{ "membership", RS_MEMBERSHIP },
	{ "attendance", RS_ATTENDANCE },
	{ "submission", RS_SUBMISSION },
	{ "receipt", RS_RECEIPT },
	{ "absence_notice", RS_ABSENCE_NOTICE },
	{ "guidance_note", RS_GUIDANCE_NOTE },
};

static const char *
cf_vstr(yyjson_val *o, const char *k)
{
	return yyjson_get_str(yyjson_obj_get(o, k));
}

/* May the caller read version v of a document of type type? The same
 * relationships the type's own endpoints compute; default deny. */
static int
cf_may_read(struct cr_ctx *c, const char *type, yyjson_val *v)
{
	const char *sid, *cid, *id = cf_vstr(v, "_id");
	enum policy_resource res = RS_COUNT;
	unsigned rels;
	int ok;

	for (size_t i = 0; i < CB_ARRAY_LEN(cf_resources); i++)
		if (strcmp(type, cf_resources[i].type) == 0)
			res = cf_resources[i].res;
	if (res == RS_COUNT || !yyjson_is_obj(v) ||
	    (cf_vstr(v, "type") != NULL && strcmp(cf_vstr(v, "type"), type)))
		return 0;
	sid = cf_vstr(v, "student_id");
	if (sid == NULL && res == RS_MEMBERSHIP)
		sid = cf_vstr(v, "user_id");
	if (sid == NULL && res == RS_USER && id != NULL &&
	    strncmp(id, "user:", 5) == 0)
		sid = id + 5;
	cid = cf_vstr(v, "class_id");
	if (cid == NULL && res == RS_CLASS)
		cid = id;
	c->c_archived = 0;
	rels = sid != NULL ? cr_rels_student(c, sid, cid) :
	    cid != NULL ? cr_rels_class(c, cid) : REL_ANY;
	if (res == RS_ABSENCE_NOTICE && cf_vstr(v, "parent_id") != NULL &&
	    strcmp(cf_vstr(v, "parent_id"), c->c_user->au_uid) == 0)
		rels |= REL_SELF;
	ok = cr_may(c, res, PA_READ, rels, sid ? cr_subject(c, sid) :
	    PSUB_NONE);
	c->c_archived = 0;
	return ok;
}

static int
cf_is_admin(const struct cr_ctx *c)
{
	return c->c_role == PR_ADMIN || c->c_admin;
}

/* ---- one entry ----------------------------------------------------------- */

/* A version into arr: {rev, state, doc} (doc only when readable). */
static int
cf_add_version(yyjson_mut_doc *m, yyjson_mut_val *arr, const char *rev,
    const char *state, yyjson_val *doc)
{
	yyjson_mut_val *o = yyjson_mut_arr_add_obj(m, arr);

	if (o == NULL || !yyjson_mut_obj_add_strcpy(m, o, "rev", rev) ||
	    !yyjson_mut_obj_add_str(m, o, "state", state))
		return CB_ENOMEM;
	if (doc != NULL && !yyjson_mut_obj_add_val(m, o, "doc",
	    yyjson_val_mut_copy(m, doc)))
		return CB_ENOMEM;
	return CB_OK;
}

/* The versions of an entry: the live leaves now, then the versions the
 * record closed. *readable: the caller may read every one of them. */
struct cf_versions {
	yyjson_doc *v_live[CONFLICT_MAX_LEAVES];
	const char *v_rev[CONFLICT_MAX_LEAVES];
	size_t v_nlive;
	struct store_doc *v_docs;
	size_t v_ndocs;
};

static void
cf_versions_free(struct cf_versions *v)
{
	for (size_t i = 0; i < v->v_nlive; i++)
		yyjson_doc_free(v->v_live[i]);
	store_docs_free(v->v_docs, v->v_ndocs);
	memset(v, 0, sizeof(*v));
}

static int
cf_versions_load(struct cr_ctx *c, const char *id, struct cf_versions *v)
{
	int rc;

	memset(v, 0, sizeof(*v));
	rc = store_get_leaves(c->c_s, id, 0, &v->v_docs, &v->v_ndocs);
	if (rc == CB_ENOTFOUND)
		return CB_OK;
	if (rc != CB_OK)
		return rc;
	for (size_t i = 0; i < v->v_ndocs && v->v_nlive <
	    CONFLICT_MAX_LEAVES; i++) {
		if (v->v_docs[i].sd_deleted)
			continue;
		v->v_live[v->v_nlive] = yyjson_read(v->v_docs[i].sd_json,
		    v->v_docs[i].sd_len, 0);
		if (v->v_live[v->v_nlive] == NULL)
			return CB_ENOMEM;
		v->v_rev[v->v_nlive++] = v->v_docs[i].sd_rev;
	}
	return CB_OK;
}

static int
cf_entry_readable(struct cr_ctx *c, const char *type,
    const struct cf_versions *v, yyjson_val *rec)
{
	yyjson_arr_iter it;
	yyjson_val *x;

	for (size_t i = 0; i < v->v_nlive; i++)
		if (!cf_may_read(c, type, yyjson_doc_get_root(v->v_live[i])))
			return 0;
	if (yyjson_obj_get(rec, "kept_doc") != NULL &&
	    !cf_may_read(c, type, yyjson_obj_get(rec, "kept_doc")))
		return 0;
	yyjson_arr_iter_init(yyjson_obj_get(rec, "closed"), &it);
	while ((x = yyjson_arr_iter_next(&it)) != NULL)
		if (!cf_may_read(c, type, yyjson_obj_get(x, "doc")))
			return 0;
	return v->v_nlive > 0 || yyjson_obj_get(rec, "closed") != NULL;
}

static int
cf_entry_versions(yyjson_mut_doc *m, yyjson_mut_val *arr,
    const struct cf_versions *v, yyjson_val *rec, int open, int readable)
{
	yyjson_arr_iter it;
	yyjson_val *x, *kd = yyjson_obj_get(rec, "kept_doc");
	int rc = CB_OK;

	for (size_t i = 0; rc == CB_OK && i < v->v_nlive; i++)
		rc = cf_add_version(m, arr, v->v_rev[i], open ? (i == 0 ?
		    "winner" : "conflict") : "current", readable ?
		    yyjson_doc_get_root(v->v_live[i]) : NULL);
	if (rc == CB_OK && !open && kd != NULL &&
	    cf_vstr(rec, "kept_rev") != NULL)
		rc = cf_add_version(m, arr, cf_vstr(rec, "kept_rev"), "kept",
		    readable ? kd : NULL);
	yyjson_arr_iter_init(yyjson_obj_get(rec, "closed"), &it);
	while (rc == CB_OK && (x = yyjson_arr_iter_next(&it)) != NULL)
		if (cf_vstr(x, "rev") != NULL)
			rc = cf_add_version(m, arr, cf_vstr(x, "rev"),
			    "closed", readable ? yyjson_obj_get(x, "doc") :
			    NULL);
	return rc;
}

static int
cf_entry_add(struct cf_list *l, yyjson_mut_val *to, const char *rid,
    yyjson_val *rec, const struct cf_versions *v, int open, int readable)
{
	static const char *const copied[] = {
		"doc_id", "doc_type", "rule", "kept_rev", "resolved_by",
		"resolved_at",
	};
	yyjson_mut_doc *m = l->l_doc;
	yyjson_mut_val *o = yyjson_mut_arr_add_obj(m, to), *arr;
	yyjson_val *x;

	if (o == NULL || !yyjson_mut_obj_add_strcpy(m, o, "id", rid) ||
	    !yyjson_mut_obj_add_str(m, o, "state", open ? "open" :
	    "resolved") ||
	    !yyjson_mut_obj_add_bool(m, o, "readable", readable) ||
	    (arr = yyjson_mut_obj_add_arr(m, o, "versions")) == NULL)
		return CB_ENOMEM;
	for (size_t i = 0; i < CB_ARRAY_LEN(copied); i++)
		if ((x = yyjson_obj_get(rec, copied[i])) != NULL &&
		    !yyjson_mut_obj_add_val(m, o, copied[i],
		    yyjson_val_mut_copy(m, x)))
			return CB_ENOMEM;
	if (open && v->v_nlive > 0) {
		(void)yyjson_mut_obj_remove_key(o, "kept_rev");
		if (!yyjson_mut_obj_add_strcpy(m, o, "kept_rev", v->v_rev[0]))
			return CB_ENOMEM;
	}
	return cf_entry_versions(m, arr, v, rec, open, readable);
}

/* One record: visible to the caller? open? listed. */
static int
cf_record(struct cf_list *l, const char *rid)
{
	struct cr_ctx *c = l->l_c;
	struct cf_versions v;
	yyjson_doc *d = NULL;
	yyjson_val *rec;
	const char *id, *type, *rule;
	int rc, open, readable;

	if (cr_get(c, rid, &d) != CB_OK) {
		memset(&c->c_err, 0, sizeof(c->c_err));
		return CB_OK;		/* deleted meanwhile */
	}
	rec = yyjson_doc_get_root(d);
	id = cf_vstr(rec, "doc_id");
	type = cf_vstr(rec, "doc_type");
	rule = cf_vstr(rec, "rule");
	if (id == NULL || type == NULL || rule == NULL ||
	    (rc = cf_versions_load(c, id, &v)) != CB_OK) {
		yyjson_doc_free(d);
		return CB_OK;		/* not a record of ours */
	}
	open = strcmp(rule, conflict_rule_name(CONFLICT_MANUAL)) == 0 &&
	    v.v_nlive > 1;
	readable = cf_entry_readable(c, type, &v, rec);
	rc = CB_OK;
	if (readable || cf_is_admin(c)) {
		size_t *n = open ? &l->l_nopen : &l->l_nresolved;
		if (!l->l_count_only && *n < CONFLICTS_LIST_MAX) {
			rc = cf_entry_add(l, open ? l->l_open : l->l_resolved,
			    rid, rec, &v, open, readable);
			if (rc == CB_OK && readable)
				api_audit_note(c->c_r, id);
		} else if (!l->l_count_only)
			l->l_truncated = 1;
		(*n)++;
	}
	cf_versions_free(&v);
	yyjson_doc_free(d);
	return rc;
}

/* Every record, by the type in conflict, at most CONFLICTS_SCAN_MAX. */
static int
cf_walk(struct cf_list *l)
{
	struct index_hit *hits = calloc(CONFLICTS_PAGE, sizeof(*hits));
	char next[INDEX_CURSOR_MAX], cur[INDEX_CURSOR_MAX];
	const char *type;
	size_t n;
	int rc = hits ? CB_OK : CB_ENOMEM;

	for (size_t t = 0; rc == CB_OK && (type = conflict_rule_type(t));
	    t++) {
		cur[0] = '\0';
		do {
			struct index_query q = { INDEX_BY_CLASS, type, NULL,
			    "conflict:", cur[0] ? cur : NULL, CONFLICTS_PAGE };
			n = 0;
			if ((rc = store_index_scan(l->l_c->c_s, &q, hits, &n,
			    next)) != CB_OK)
				break;
			for (size_t i = 0; rc == CB_OK && i < n; i++) {
				if (l->l_scanned++ >= CONFLICTS_SCAN_MAX) {
					l->l_truncated = 1;
					next[0] = '\0';
					break;
				}
				rc = cf_record(l, hits[i].ih_id);
			}
			memcpy(cur, next, sizeof(cur));
		} while (rc == CB_OK && cur[0] != '\0');
	}
	free(hits);
	return rc;
}

int
api_conflicts_list(struct api_req *r)
{
	struct cr_ctx c;
	struct cf_list l;
	yyjson_mut_val *root;
	int rc;

	if (cr_begin(r, &c) != CB_OK)
		return cr_error(&c);
	if (c.c_role != PR_TEACHER && !cf_is_admin(&c))
		return cr_fail(&c, API_E_FORBIDDEN), cr_error(&c);
	memset(&l, 0, sizeof(l));
	l.l_c = &c;
	if ((l.l_doc = yyjson_mut_doc_new(NULL)) == NULL ||
	    (root = yyjson_mut_obj(l.l_doc)) == NULL ||
	    (l.l_open = yyjson_mut_arr(l.l_doc)) == NULL ||
	    (l.l_resolved = yyjson_mut_arr(l.l_doc)) == NULL) {
		yyjson_mut_doc_free(l.l_doc);
		return cr_fail(&c, API_E_BUSY), cr_error(&c);
	}
	yyjson_mut_doc_set_root(l.l_doc, root);
	rc = cf_walk(&l);
	if (rc != CB_OK || !yyjson_mut_obj_add_uint(l.l_doc, root,
	    "open_count", l.l_nopen) || !yyjson_mut_obj_add_uint(l.l_doc,
	    root, "resolved_count", l.l_nresolved) ||
	    !yyjson_mut_obj_add_bool(l.l_doc, root, "truncated",
	    l.l_truncated) || !yyjson_mut_obj_add_val(l.l_doc, root, "open",
	    l.l_open) || !yyjson_mut_obj_add_val(l.l_doc, root, "resolved",
	    l.l_resolved)) {
		yyjson_mut_doc_free(l.l_doc);
		if (rc != CB_OK && rc != CB_ENOMEM)
			return cr_store_fail(&c, rc), cr_error(&c);
		return cr_fail(&c, API_E_BUSY), cr_error(&c);
	}
	http_add_header(r->r_ex, "Cache-Control", "no-store");
	return api_req_json(r, 200, l.l_doc);
}

int
api_conflicts_count(struct api_req *r, size_t *open, size_t *resolved)
{
	struct cr_ctx c;
	struct cf_list l;
	int rc;

	*open = *resolved = 0;
	if (cr_begin(r, &c) != CB_OK)
		return CB_ESTATE;
	memset(&l, 0, sizeof(l));
	l.l_c = &c;
	l.l_count_only = 1;
	if ((rc = cf_walk(&l)) != CB_OK)
		return rc;
	*open = l.l_nopen;
	*resolved = l.l_nresolved;
	return CB_OK;
}

/* ---- a teacher's merge of a guidance note -------------------------------- */

#define CF_MAX_SEEN	CONFLICT_MERGE_MAX

struct cf_merge {
	const char *m_id;
	const char *m_text;
	const char *m_seen[CF_MAX_SEEN];
	size_t m_nseen;
	struct cf_versions m_v;
	char *m_json[2 + CF_MAX_SEEN];	/* merged, tombstones, record */
	size_t m_len[2 + CF_MAX_SEEN];
	size_t m_n;
	char m_rid[CONFLICT_RECORD_ID_LEN + 1];
};

static void
cf_merge_free(struct cf_merge *m)
{
	for (size_t i = 0; i < m->m_n; i++) {
		cb_wipe(m->m_json[i], m->m_len[i]);
		free(m->m_json[i]);
	}
	cf_versions_free(&m->m_v);
}

/* The body: {"text": merged text, "revs": [the live revisions seen]}. */
static int
cf_merge_body(struct cr_ctx *c, yyjson_doc *b, struct cf_merge *m)
{
	struct conflict_merge_req q;
	const char *bad = NULL;
	int missing = 0;

	if (conflict_merge_parse(cr_root(b), &q, &bad, &missing) != CB_OK)
		return cr_field(c, missing ? API_FIELD_MISSING :
		    API_FIELD_VALUE, bad);
	m->m_text = q.cm_text;
	for (size_t i = 0; i < q.cm_nrevs; i++)
		m->m_seen[i] = q.cm_revs[i];
	m->m_nseen = q.cm_nrevs;
	return CB_OK;
}

/* The live leaves are the ones seen, and the caller may merge them all. */
static int
cf_merge_check(struct cr_ctx *c, struct cf_merge *m)
{
	size_t i, k;
	int rc;

	if ((rc = cf_versions_load(c, m->m_id, &m->m_v)) != CB_OK)
		return cr_store_fail(c, rc);
	if (m->m_v.v_nlive == 0)
		return cr_fail(c, API_E_NOT_FOUND);
	for (i = 0; i < m->m_v.v_nlive; i++) {
		yyjson_val *v = yyjson_doc_get_root(m->m_v.v_live[i]);
		const char *sid = cf_vstr(v, "student_id");
		if (sid == NULL || cf_vstr(v, "type") == NULL ||
		    strcmp(cf_vstr(v, "type"), "guidance_note") != 0)
			return cr_fail(c, API_E_FORBIDDEN);
		if ((rc = cr_allow(c, RS_GUIDANCE_NOTE, PA_UPDATE,
		    cr_rels_student(c, sid, NULL), cr_subject(c, sid))))
			return rc;
	}
	if (m->m_v.v_nlive != m->m_nseen)
		return cr_fail(c, API_E_CONFLICT);
	for (i = 0; i < m->m_v.v_nlive; i++) {
		for (k = 0; k < m->m_nseen &&
		    strcmp(m->m_seen[k], m->m_v.v_rev[i]); k++)
			;
		if (k == m->m_nseen)
			return cr_fail(c, API_E_CONFLICT);
	}
	return CB_OK;
}

static int
cf_merge_push(struct cf_merge *m, yyjson_mut_doc *d)
{
	char *s = d ? yyjson_mut_write(d, 0, &m->m_len[m->m_n]) : NULL;

	yyjson_mut_doc_free(d);
	if (s == NULL)
		return CB_ENOMEM;
	m->m_json[m->m_n++] = s;
	return CB_OK;
}

/* The merged version, on the winning leaf, validated as a record. */
static int
cf_merge_doc(struct cr_ctx *c, struct cf_merge *m)
{
	yyjson_mut_doc *d = yyjson_doc_mut_copy(m->m_v.v_live[0], NULL);
	yyjson_mut_val *root = d ? yyjson_mut_doc_get_root(d) : NULL;
	struct rec_err re;
	enum rec_type t;
	static const char *const set[] = { "text", "edited_by", "edited_at" };

	for (size_t i = 0; root != NULL && i < CB_ARRAY_LEN(set); i++)
		(void)yyjson_mut_obj_remove_key(root, set[i]);
	if (root == NULL || !yyjson_mut_obj_add_strcpy(d, root, "text",
	    m->m_text) || !yyjson_mut_obj_add_strcpy(d, root, "edited_by",
	    c->c_user->au_uid) || !yyjson_mut_obj_add_int(d, root,
	    "edited_at", c->c_now)) {
		yyjson_mut_doc_free(d);
		return cr_fail(c, API_E_BUSY);
	}
	if (cf_merge_push(m, d) != CB_OK)
		return cr_fail(c, API_E_BUSY);
	if (rec_validate(m->m_json[0], m->m_len[0], &t, &re) != CB_OK ||
	    t != REC_GUIDANCE_NOTE) {
		if (re.re_why == REC_ID_MISMATCH)
			return cr_fail(c, API_E_BAD_REQUEST);
		return cr_field(c, API_FIELD_VALUE, re.re_field[0] ?
		    re.re_field : "text");
	}
	return CB_OK;
}

static int
cf_merge_tombstones(struct cr_ctx *c, struct cf_merge *m)
{
	for (size_t i = 1; i < m->m_v.v_nlive; i++) {
		yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
		yyjson_mut_val *o = d ? yyjson_mut_obj(d) : NULL;
		if (o == NULL) {
			yyjson_mut_doc_free(d);
			return cr_fail(c, API_E_BUSY);
		}
		yyjson_mut_doc_set_root(d, o);
		if (!yyjson_mut_obj_add_str(d, o, "_id", m->m_id) ||
		    !yyjson_mut_obj_add_str(d, o, "_rev", m->m_v.v_rev[i]) ||
		    !yyjson_mut_obj_add_bool(d, o, "_deleted", true) ||
		    cf_merge_push(m, d) != CB_OK)
			return cr_fail(c, API_E_BUSY);
	}
	return CB_OK;
}

/* Sync's record of this conflict (the same id), updated: the versions
 * closed, the one kept as it was, who merged them and when. */
static int
cf_merge_record(struct cr_ctx *c, struct cf_merge *m)
{
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = d ? yyjson_mut_obj(d) : NULL, *closed;
	struct store_doc old;
	int ok;

	conflict_record_id(m->m_id, m->m_v.v_rev, m->m_v.v_nlive, m->m_rid);
	if (o == NULL) {
		yyjson_mut_doc_free(d);
		return cr_fail(c, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(d, o);
	ok = yyjson_mut_obj_add_str(d, o, "_id", m->m_rid);
	if (ok && store_get(c->c_s, m->m_rid, NULL, 0, &old) == CB_OK) {
		ok = yyjson_mut_obj_add_strcpy(d, o, "_rev", old.sd_rev);
		store_doc_free(&old);
	}
	ok = ok && yyjson_mut_obj_add_str(d, o, "type",
	    "conflict_resolution") &&
	    yyjson_mut_obj_add_str(d, o, "doc_id", m->m_id) &&
	    yyjson_mut_obj_add_str(d, o, "doc_type", "guidance_note") &&
	    yyjson_mut_obj_add_str(d, o, "rule",
	    conflict_rule_name(CONFLICT_MANUAL)) &&
	    yyjson_mut_obj_add_str(d, o, "kept_rev", m->m_v.v_rev[0]) &&
	    yyjson_mut_obj_add_val(d, o, "kept_doc", yyjson_val_mut_copy(d,
	    yyjson_doc_get_root(m->m_v.v_live[0]))) &&
	    (closed = yyjson_mut_obj_add_arr(d, o, "closed")) != NULL &&
	    yyjson_mut_obj_add_arr(d, o, "open") != NULL &&
	    yyjson_mut_obj_add_str(d, o, "resolved_by", c->c_user->au_uid) &&
	    yyjson_mut_obj_add_int(d, o, "resolved_at", c->c_now);
	for (size_t i = 1; ok && i < m->m_v.v_nlive; i++) {
		yyjson_mut_val *x = yyjson_mut_arr_add_obj(d, closed);
		ok = x != NULL && yyjson_mut_obj_add_str(d, x, "rev",
		    m->m_v.v_rev[i]) && yyjson_mut_obj_add_val(d, x, "doc",
		    yyjson_val_mut_copy(d, yyjson_doc_get_root(
		    m->m_v.v_live[i])));
	}
	if (!ok) {
		yyjson_mut_doc_free(d);
		return cr_fail(c, API_E_BUSY);
	}
	if (cf_merge_push(m, d) != CB_OK)
		return cr_fail(c, API_E_BUSY);
	if (m->m_len[m->m_n - 1] > CONFLICTS_RECORD_MAX)
		return cr_fail(c, API_E_TOO_LARGE);
	return CB_OK;
}

static int
cf_merge_write(struct cr_ctx *c, struct cf_merge *m,
    struct store_put_result *res)
{
	struct store_batch_doc bd[2 + CF_MAX_SEEN];
	size_t failed;
	int rc;

	for (size_t i = 0; i < m->m_n; i++)
		bd[i] = (struct store_batch_doc){ m->m_json[i], m->m_len[i] };
	rc = store_resolve(c->c_s, m->m_id, m->m_v.v_rev, m->m_v.v_nlive, bd,
	    m->m_n, res, &failed);
	if (rc != CB_OK) {
		log_info("%s", store_errmsg(c->c_s));
		return cr_store_fail(c, rc);
	}
	api_audit_note(c->c_r, m->m_id);
	api_audit_note(c->c_r, m->m_rid);
	return CB_OK;
}

static int
cf_merge_reply(struct cr_ctx *c, struct cf_merge *m,
    const struct store_put_result *res)
{
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = d ? yyjson_mut_obj(d) : NULL, *closed;
	int ok;

	if (o == NULL) {
		yyjson_mut_doc_free(d);
		return api_req_error(c->c_r, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(d, o);
	ok = yyjson_mut_obj_add_strcpy(d, o, "_id", m->m_id) &&
	    yyjson_mut_obj_add_strcpy(d, o, "_rev", res[0].pr_rev) &&
	    yyjson_mut_obj_add_strcpy(d, o, "record", m->m_rid) &&
	    (closed = yyjson_mut_obj_add_arr(d, o, "closed")) != NULL;
	for (size_t i = 1; ok && i + 1 < m->m_n; i++)
		ok = yyjson_mut_arr_add_strcpy(d, closed, res[i].pr_rev);
	if (!ok) {
		yyjson_mut_doc_free(d);
		return api_req_error(c->c_r, API_E_BUSY);
	}
	return api_req_json(c->c_r, 200, d);
}

int
api_conflict_resolve(struct api_req *r)
{
	static const char *const fields[] = { "text", "revs" };
	struct store_put_result res[2 + CF_MAX_SEEN];
	struct cf_merge m;
	struct cr_ctx c;
	yyjson_doc *b = NULL;
	int rc;

	memset(&m, 0, sizeof(m));
	m.m_id = r->r_arg[0];
	if ((rc = cr_begin(r, &c)) == CB_OK && c.c_role != PR_TEACHER)
		rc = cr_fail(&c, API_E_FORBIDDEN);
	if (rc == CB_OK && !rec_id_of_type(m.m_id, strlen(m.m_id),
	    REC_GUIDANCE_NOTE))
		rc = cr_fail(&c, API_E_NOT_FOUND);
	if (rc == CB_OK)
		rc = cr_body(&c, fields, CB_ARRAY_LEN(fields), &b);
	if (rc == CB_OK)
		rc = cf_merge_body(&c, b, &m);
	if (rc == CB_OK)
		rc = cf_merge_check(&c, &m);
	if (rc == CB_OK && m.m_v.v_nlive > CF_MAX_SEEN)
		rc = cr_fail(&c, API_E_CONFLICT);
	if (rc == CB_OK && (rc = cf_merge_doc(&c, &m)) == CB_OK &&
	    (rc = cf_merge_tombstones(&c, &m)) == CB_OK &&
	    (rc = cf_merge_record(&c, &m)) == CB_OK)
		rc = cf_merge_write(&c, &m, res);
	if (rc == CB_OK)
		rc = cf_merge_reply(&c, &m, res);
	else
		rc = cr_error(&c);
	cf_merge_free(&m);
	yyjson_doc_free(b);
	return rc;
}
