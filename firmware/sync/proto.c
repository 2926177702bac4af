/*
 * proto.c: replication messages in and out (yyjson).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "base/cb.h"
#include "net/httpcli.h"
#include "sync/proto.h"

/* A seq as JSON text (malloc'd): a non-negative number or a string of at
 * most PROTO_SEQ_MAX bytes once written as JSON, without NUL. */
static int
seq_text(yyjson_val *v, char **out)
{
	size_t n;
	char *s;

	*out = NULL;
	if (v == NULL || !(yyjson_is_uint(v) || (yyjson_is_str(v) &&
	    yyjson_get_len(v) <= PROTO_SEQ_MAX - 2 &&
	    strlen(yyjson_get_str(v)) == yyjson_get_len(v))))
		return CB_EPROTO;
	if ((s = yyjson_val_write(v, 0, &n)) == NULL)
		return CB_ENOMEM;
	if (n > PROTO_SEQ_MAX) {	/* escapes made it longer */
		free(s);
		return CB_EPROTO;
	}
	*out = s;
	return CB_OK;
}

static int
rev_ok(yyjson_val *v)
{
	uint32_t gen;
	const char *h;
	size_t hl;

	return yyjson_is_str(v) && rev_parse(yyjson_get_str(v),
	    yyjson_get_len(v), &gen, &h, &hl) == 0 &&
	    strlen(yyjson_get_str(v)) == yyjson_get_len(v);
}

static int
id_ok(yyjson_val *v)
{
	return yyjson_is_str(v) && doc_id_valid(yyjson_get_str(v),
	    yyjson_get_len(v)) &&
	    strlen(yyjson_get_str(v)) == yyjson_get_len(v);
}

/* ---- _changes ---- */

void
proto_changes_free(struct proto_changes *c)
{
	yyjson_doc_free(c->pcs_doc);
	free(c->pcs_last_seq);
	free(c->pcs_rows);
	free(c->pcs_revs);
	memset(c, 0, sizeof(*c));
}

static int
changes_row(yyjson_val *row, struct proto_change *pc, const char **revs,
    size_t *used, size_t cap)
{
	yyjson_val *id = yyjson_obj_get(row, "id");
	yyjson_val *ch = yyjson_obj_get(row, "changes");
	yyjson_val *del = yyjson_obj_get(row, "deleted");
	yyjson_arr_iter it;
	yyjson_val *c;

	if (!yyjson_is_obj(row) || !id_ok(id) || !yyjson_is_arr(ch) ||
	    yyjson_arr_size(ch) == 0 || yyjson_arr_size(ch) > PROTO_MAX_REVS ||
	    yyjson_arr_size(ch) > cap - *used)
		return CB_EPROTO;
	pc->pc_id = yyjson_get_str(id);
	pc->pc_deleted = yyjson_is_true(del);
	pc->pc_doc = yyjson_obj_get(row, "doc");
	if (!yyjson_is_obj((yyjson_val *)pc->pc_doc))
		pc->pc_doc = NULL;
	pc->pc_revs = revs + *used;
	pc->pc_nrevs = 0;
	yyjson_arr_iter_init(ch, &it);
	while ((c = yyjson_arr_iter_next(&it)) != NULL) {
		yyjson_val *r = yyjson_obj_get(c, "rev");
		if (!yyjson_is_obj(c) || !rev_ok(r))
			return CB_EPROTO;
		revs[(*used)++] = yyjson_get_str(r);
		pc->pc_nrevs++;
	}
	return CB_OK;
}

int
proto_parse_changes(const char *json, size_t len, struct proto_changes *out)
{
	yyjson_val *root, *results, *row;
	yyjson_arr_iter it;
	size_t n, used = 0, cap;
	int rc = CB_OK;

	memset(out, 0, sizeof(*out));
	yyjson_doc *doc = yyjson_read(json, len, 0);
	if (doc == NULL)
		return CB_EPROTO;
	out->pcs_doc = doc;
	root = yyjson_doc_get_root(doc);
	results = yyjson_obj_get(root, "results");
	if (!yyjson_is_obj(root) || !yyjson_is_arr(results) ||
	    (n = yyjson_arr_size(results)) > PROTO_MAX_RESULTS)
		goto proto;
	if ((rc = seq_text(yyjson_obj_get(root, "last_seq"),
	    &out->pcs_last_seq)) != CB_OK) {
		proto_changes_free(out);
		return rc;
	}
	cap = 1;
	yyjson_arr_iter_init(results, &it);
	while ((row = yyjson_arr_iter_next(&it)) != NULL) {
		yyjson_val *ch = yyjson_obj_get(row, "changes");
		if (!yyjson_is_arr(ch) || yyjson_arr_size(ch) > PROTO_MAX_REVS)
			goto proto;
		cap += yyjson_arr_size(ch);
	}
	out->pcs_rows = calloc(n + 1, sizeof(*out->pcs_rows));
	out->pcs_revs = calloc(cap, sizeof(*out->pcs_revs));
	if (out->pcs_rows == NULL || out->pcs_revs == NULL) {
		proto_changes_free(out);
		return CB_ENOMEM;
	}
	yyjson_arr_iter_init(results, &it);
	while (rc == CB_OK && (row = yyjson_arr_iter_next(&it)) != NULL)
		rc = changes_row(row, &out->pcs_rows[out->pcs_n++],
		    out->pcs_revs, &used, cap);
	if (rc == CB_OK)
		return CB_OK;
proto:
	proto_changes_free(out);
	return CB_EPROTO;
}

int
proto_change_first_gen_doc(const struct proto_change *pc, char **json,
    size_t *len)
{
	yyjson_val *doc = (yyjson_val *)pc->pc_doc;
	const char *rev = pc->pc_nrevs == 1 ? pc->pc_revs[0] : NULL;
	yyjson_mut_doc *m;
	yyjson_mut_val *root, *rv, *ids;

	*json = NULL;
	if (doc == NULL || rev == NULL || strncmp(rev, "1-", 2) != 0 ||
	    rev[2] == 0 || !yyjson_equals_str(yyjson_obj_get(doc, "_id"),
	    pc->pc_id) || !yyjson_equals_str(yyjson_obj_get(doc, "_rev"), rev) ||
	    yyjson_obj_get(doc, "_attachments") != NULL ||
	    yyjson_obj_get(doc, "_revisions") != NULL)
		return CB_ENOTFOUND;
	if ((m = yyjson_mut_doc_new(NULL)) == NULL)
		return CB_ENOMEM;
	root = yyjson_val_mut_copy(m, doc);
	rv = yyjson_mut_obj(m);
	ids = yyjson_mut_arr(m);
	if (root == NULL || rv == NULL || ids == NULL ||
	    !yyjson_mut_obj_add_int(m, rv, "start", 1) ||
	    !yyjson_mut_arr_add_str(m, ids, rev + 2) ||
	    !yyjson_mut_obj_add_val(m, rv, "ids", ids) ||
	    !yyjson_mut_obj_add_val(m, root, "_revisions", rv)) {
		yyjson_mut_doc_free(m);
		return CB_ENOMEM;
	}
	yyjson_mut_doc_set_root(m, root);
	*json = yyjson_mut_write(m, 0, len);
	yyjson_mut_doc_free(m);
	return *json != NULL ? CB_OK : CB_ENOMEM;
}

/* ---- _revs_diff ---- */

void
proto_revs_diff_free(struct proto_revs_diff *d)
{
	yyjson_doc_free(d->prd_doc);
	free(d->prd_rows);
	free(d->prd_revs);
	memset(d, 0, sizeof(*d));
}

int
proto_parse_revs_diff(const char *json, size_t len, size_t max_ids,
    struct proto_revs_diff *out)
{
	yyjson_val *root, *k, *v, *miss, *r;
	yyjson_obj_iter it;
	yyjson_arr_iter ai;
	size_t n, total = 0;

	memset(out, 0, sizeof(*out));
	yyjson_doc *doc = yyjson_read(json, len, 0);
	if (doc == NULL)
		return CB_EPROTO;
	out->prd_doc = doc;
	root = yyjson_doc_get_root(doc);
	if (!yyjson_is_obj(root) || (n = yyjson_obj_size(root)) > max_ids)
		goto proto;
	yyjson_obj_iter_init(root, &it);
	while ((k = yyjson_obj_iter_next(&it)) != NULL) {
		v = yyjson_obj_iter_get_val(k);
		miss = yyjson_obj_get(v, "missing");
		if (!yyjson_is_obj(v) || !yyjson_is_arr(miss) ||
		    yyjson_arr_size(miss) > PROTO_MAX_REVS || !id_ok(k))
			goto proto;
		total += yyjson_arr_size(miss);
	}
	out->prd_rows = calloc(n + 1, sizeof(*out->prd_rows));
	out->prd_revs = calloc(total + 1, sizeof(*out->prd_revs));
	if (out->prd_rows == NULL || out->prd_revs == NULL) {
		proto_revs_diff_free(out);
		return CB_ENOMEM;
	}
	yyjson_obj_iter_init(root, &it);
	while ((k = yyjson_obj_iter_next(&it)) != NULL) {
		struct proto_missing *pm = &out->prd_rows[out->prd_n++];
		miss = yyjson_obj_get(yyjson_obj_iter_get_val(k), "missing");
		pm->pm_id = yyjson_get_str(k);
		pm->pm_revs = out->prd_revs + out->prd_total;
		yyjson_arr_iter_init(miss, &ai);
		while ((r = yyjson_arr_iter_next(&ai)) != NULL) {
			if (!rev_ok(r))
				goto proto;
			out->prd_revs[out->prd_total++] = yyjson_get_str(r);
			pm->pm_nrevs++;
		}
	}
	return CB_OK;
proto:
	proto_revs_diff_free(out);
	return CB_EPROTO;
}

/* ---- documents ---- */

static int
emit_doc(yyjson_val *d, proto_doc_fn fn, void *arg)
{
	size_t n;
	char *s;
	int rc;

	if (!yyjson_is_obj(d) || !id_ok(yyjson_obj_get(d, "_id")) ||
	    !rev_ok(yyjson_obj_get(d, "_rev")))
		return CB_EPROTO;
	if ((s = yyjson_val_write(d, 0, &n)) == NULL)
		return CB_ENOMEM;
	rc = fn(arg, s, n);
	free(s);
	return rc;
}

/* Each revision of an array of {"ok": doc} or {NOTHERE: ...} (_bulk_get's
 * "docs", open_revs' answer): the documents to fn, the others counted. */
static int
emit_revs(yyjson_val *arr, const char *nothere, proto_doc_fn fn, void *arg,
    size_t *count)
{
	yyjson_arr_iter it;
	yyjson_val *d, *ok;
	int rc = CB_OK;

	yyjson_arr_iter_init(arr, &it);
	while (rc == CB_OK && (d = yyjson_arr_iter_next(&it)) != NULL) {
		if ((ok = yyjson_obj_get(d, "ok")) != NULL)
			rc = emit_doc(ok, fn, arg);
		else if (yyjson_obj_get(d, nothere) != NULL)
			(*count)++;
		else
			rc = CB_EPROTO;
	}
	return rc;
}

int
proto_parse_bulk_get(const char *json, size_t len, proto_doc_fn fn,
    void *arg, size_t *errors)
{
	yyjson_val *root, *results, *row, *docs;
	yyjson_arr_iter it;
	int rc = CB_OK;

	*errors = 0;
	yyjson_doc *doc = yyjson_read(json, len, 0);
	if (doc == NULL)
		return CB_EPROTO;
	root = yyjson_doc_get_root(doc);
	results = yyjson_obj_get(root, "results");
	if (!yyjson_is_obj(root) || !yyjson_is_arr(results)) {
		yyjson_doc_free(doc);
		return CB_EPROTO;
	}
	yyjson_arr_iter_init(results, &it);
	while (rc == CB_OK && (row = yyjson_arr_iter_next(&it)) != NULL) {
		docs = yyjson_obj_get(row, "docs");
		if (!yyjson_is_obj(row) || !yyjson_is_arr(docs)) {
			rc = CB_EPROTO;
			break;
		}
		rc = emit_revs(docs, "error", fn, arg, errors);
	}
	yyjson_doc_free(doc);
	return rc;
}

int
proto_parse_open_revs(const char *json, size_t len, proto_doc_fn fn,
    void *arg, size_t *missing)
{
	yyjson_val *root;
	int rc = CB_OK;

	*missing = 0;
	yyjson_doc *doc = yyjson_read(json, len, 0);
	if (doc == NULL)
		return CB_EPROTO;
	root = yyjson_doc_get_root(doc);
	if (!yyjson_is_arr(root)) {
		yyjson_doc_free(doc);
		return CB_EPROTO;
	}
	rc = emit_revs(root, "missing", fn, arg, missing);
	yyjson_doc_free(doc);
	return rc;
}

int
proto_parse_bulk_docs(const char *json, size_t len,
    struct proto_bulk_result *out)
{
	yyjson_val *root, *r;
	yyjson_arr_iter it;

	memset(out, 0, sizeof(*out));
	yyjson_doc *doc = yyjson_read(json, len, 0);
	if (doc == NULL)
		return CB_EPROTO;
	root = yyjson_doc_get_root(doc);
	if (!yyjson_is_arr(root)) {
		yyjson_doc_free(doc);
		return CB_EPROTO;
	}
	yyjson_arr_iter_init(root, &it);
	while ((r = yyjson_arr_iter_next(&it)) != NULL) {
		yyjson_val *e = yyjson_obj_get(r, "error");
		if (!yyjson_is_obj(r)) {
			yyjson_doc_free(doc);
			return CB_EPROTO;
		}
		if (e == NULL) {
			out->pbr_ok++;
			continue;
		}
		if (out->pbr_errors++ == 0) {
			const char *id = yyjson_get_str(yyjson_obj_get(r,
			    "id"));
			const char *why = yyjson_get_str(yyjson_obj_get(r,
			    "reason"));
			snprintf(out->pbr_first_error,
			    sizeof(out->pbr_first_error), "%.60s: %.30s: %.60s",
			    id ? id : "?", yyjson_is_str(e) ?
			    yyjson_get_str(e) : "error", why ? why : "");
		}
	}
	yyjson_doc_free(doc);
	return CB_OK;
}

/* ---- checkpoints ---- */

static int
session_copy(yyjson_val *v, char out[PROTO_SESSION_MAX + 1])
{
	if (!yyjson_is_str(v) || yyjson_get_len(v) > PROTO_SESSION_MAX ||
	    strlen(yyjson_get_str(v)) != yyjson_get_len(v))
		return CB_EPROTO;
	memcpy(out, yyjson_get_str(v), yyjson_get_len(v) + 1);
	return CB_OK;
}

int
proto_parse_checkpoint(const char *json, size_t len,
    struct proto_checkpoint *out)
{
	yyjson_val *root, *rev, *hist, *h;
	yyjson_arr_iter it;
	int rc = CB_EPROTO;

	memset(out, 0, sizeof(*out));
	yyjson_doc *doc = yyjson_read(json, len, 0);
	if (doc == NULL)
		return CB_EPROTO;
	root = yyjson_doc_get_root(doc);
	rev = yyjson_obj_get(root, "_rev");
	hist = yyjson_obj_get(root, "history");
	if (!yyjson_is_obj(root) || !yyjson_is_str(rev) ||
	    yyjson_get_len(rev) == 0 || yyjson_get_len(rev) > REV_MAX ||
	    strlen(yyjson_get_str(rev)) != yyjson_get_len(rev) ||
	    session_copy(yyjson_obj_get(root, "session_id"),
	    out->ck_session) ||
	    (rc = seq_text(yyjson_obj_get(root, "source_last_seq"),
	    &out->ck_seq)) != CB_OK)
		goto done;
	rc = CB_EPROTO;
	memcpy(out->ck_rev, yyjson_get_str(rev), yyjson_get_len(rev) + 1);
	if (hist != NULL && !yyjson_is_arr(hist))
		goto done;
	yyjson_arr_iter_init(hist, &it);
	while (hist && (h = yyjson_arr_iter_next(&it)) != NULL &&
	    out->ck_nhist < PROTO_HISTORY_MAX) {
		if (!yyjson_is_obj(h) || session_copy(yyjson_obj_get(h,
		    "session_id"), out->ck_hist[out->ck_nhist].h_session))
			goto done;
		if ((rc = seq_text(yyjson_obj_get(h, "recorded_seq"),
		    &out->ck_hist[out->ck_nhist].h_seq)) != CB_OK)
			goto done;
		rc = CB_EPROTO;
		out->ck_nhist++;
	}
	rc = CB_OK;
done:
	yyjson_doc_free(doc);
	if (rc != CB_OK)
		proto_checkpoint_free(out);
	return rc;
}

void
proto_checkpoint_free(struct proto_checkpoint *ck)
{
	assert(ck->ck_nhist <= PROTO_HISTORY_MAX);
	free(ck->ck_seq);
	for (size_t i = 0; i < PROTO_HISTORY_MAX; i++)
		free(ck->ck_hist[i].h_seq);
	memset(ck, 0, sizeof(*ck));
}

int
proto_checkpoint_saved(struct proto_checkpoint *ck, const char *rev,
    const char *session, const char *seq)
{
	char *copy;

	assert(strlen(rev) <= REV_MAX && strlen(session) <= PROTO_SESSION_MAX);
	if ((copy = strdup(seq)) == NULL)
		return CB_ENOMEM;
	free(ck->ck_seq);
	ck->ck_seq = copy;
	strcpy(ck->ck_rev, rev);
	strcpy(ck->ck_session, session);
	return CB_OK;
}

/* One history entry {"session_id", "recorded_seq"} appended to hist. */
static int
history_add(yyjson_mut_doc *d, yyjson_mut_val *hist, const char *session,
    const char *seq)
{
	yyjson_mut_val *h = yyjson_mut_obj(d);

	return h != NULL && yyjson_mut_obj_add_str(d, h, "session_id",
	    session) && yyjson_mut_obj_add_val(d, h, "recorded_seq",
	    yyjson_mut_rawcpy(d, seq)) && yyjson_mut_arr_append(hist, h) ?
	    CB_OK : CB_ENOMEM;
}

int
proto_build_checkpoint(const char *local_id,
    const struct proto_checkpoint *prev, const char *session,
    const char *seq, char **out, size_t *outlen)
{
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root, *hist;
	size_t kept = 1;
	int rc = CB_ENOMEM;

	assert(strlen(seq) <= PROTO_SEQ_MAX && prev->ck_nhist <=
	    PROTO_HISTORY_MAX);
	*out = NULL;
	if (d == NULL)
		return CB_ENOMEM;
	root = yyjson_mut_obj(d);
	hist = yyjson_mut_arr(d);
	yyjson_mut_doc_set_root(d, root);
	if (root == NULL || hist == NULL ||
	    !yyjson_mut_obj_add_str(d, root, "_id", local_id) ||
	    (prev->ck_rev[0] && !yyjson_mut_obj_add_str(d, root, "_rev",
	    prev->ck_rev)) ||
	    !yyjson_mut_obj_add_str(d, root, "session_id", session) ||
	    !yyjson_mut_obj_add_val(d, root, "source_last_seq",
	    yyjson_mut_rawcpy(d, seq)) ||
	    !yyjson_mut_obj_add_int(d, root, "replication_id_version", 3) ||
	    !yyjson_mut_obj_add_str(d, root, "replicator", "classbox") ||
	    !yyjson_mut_obj_add_val(d, root, "history", hist) ||
	    history_add(d, hist, session, seq) != CB_OK)
		goto done;
	for (size_t i = 0; i < prev->ck_nhist && kept < PROTO_HISTORY_MAX;
	    i++) {
		if (strcmp(prev->ck_hist[i].h_session, session) == 0)
			continue;
		if (history_add(d, hist, prev->ck_hist[i].h_session,
		    prev->ck_hist[i].h_seq) != CB_OK)
			goto done;
		kept++;
	}
	if ((*out = yyjson_mut_write(d, 0, outlen)) != NULL)
		rc = CB_OK;
done:
	yyjson_mut_doc_free(d);
	return rc;
}

const char *
proto_checkpoint_since(const struct proto_checkpoint *a,
    const struct proto_checkpoint *b)
{
	if (a->ck_rev[0] == 0 || b->ck_rev[0] == 0 || a->ck_seq == NULL)
		return "0";
	if (strcmp(a->ck_session, b->ck_session) == 0)
		return a->ck_seq;
	for (size_t i = 0; i < a->ck_nhist; i++)
		for (size_t j = 0; j < b->ck_nhist; j++)
			if (strcmp(a->ck_hist[i].h_session,
			    b->ck_hist[j].h_session) == 0)
				return a->ck_hist[i].h_seq;
	return "0";
}

int
proto_seq_query(const char *seq_json, char **out)
{
	size_t cap;
	int rc = CB_EPROTO;

	*out = NULL;
	yyjson_doc *d = yyjson_read(seq_json, strlen(seq_json), 0);
	yyjson_val *v = yyjson_doc_get_root(d);
	if (yyjson_is_uint(v)) {
		if ((*out = malloc(24)) == NULL)
			rc = CB_ENOMEM;
		else {
			snprintf(*out, 24, "%llu",
			    (unsigned long long)yyjson_get_uint(v));
			rc = CB_OK;
		}
	} else if (yyjson_is_str(v)) {
		/* every byte escaped at worst: three */
		cap = yyjson_get_len(v) * 3 + 1;
		if ((*out = malloc(cap)) == NULL)
			rc = CB_ENOMEM;
		else if ((rc = httpcli_escape(yyjson_get_str(v), *out, cap)) !=
		    CB_OK) {
			free(*out);
			*out = NULL;
		}
	}
	yyjson_doc_free(d);
	return rc;
}

int
proto_is_couch_welcome(const char *json, size_t len)
{
	yyjson_doc *d = yyjson_read(json, len, 0);
	yyjson_val *r = yyjson_doc_get_root(d);
	int ok = yyjson_is_obj(r) && (yyjson_obj_get(r, "couchdb") != NULL ||
	    yyjson_obj_get(r, "express-pouchdb") != NULL);

	yyjson_doc_free(d);
	return ok;
}
