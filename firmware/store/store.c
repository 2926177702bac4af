/*
 * store.c: documents, their revision trees, the changes feed, indexes and
 * local documents, kept in kv tables with every value sealed. Layout and
 * rules: docs/store.md.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "store/kv.h"
#include "store/store.h"

#define STORE_FORMAT		"1"
#define DOC_REC_VERSION		1
#define BODY_KEY_MAX		(DOC_ID_MAX + 1 + REV_MAX)

/* Table names double as the first part of each value's associated data. */
enum {
	T_META, T_DOCS, T_BODIES, T_CHANGES, T_LOCAL,
	T_BY_CLASS, T_BY_USER, T_BY_DATE, T_COUNT
};
static const char *const store_tables[T_COUNT] = {
	"meta", "docs", "bodies", "changes", "local",
	"by_class", "by_user", "by_date",
};

struct store {
	struct kv_env *s_env;
	kv_table s_t[T_COUNT];
	struct seal *s_seal;
	struct keystore s_ks;
	unsigned s_revs_limit;
	int s_erased;
	char s_dir[PATH_MAX];
	char s_err[STORE_ERR_MAX];
};

/* A document's record in "docs": its latest seq, its index entries and its
 * revision tree. */
struct doc_rec {
	uint64_t dr_seq;
	struct index_set dr_index;
	struct revtree dr_tree;
};

/* What an edit did to the tree. */
struct edit {
	int e_added;		/* 0: a replicated revision already known */
	int e_leaf;		/* the node of the new revision */
	int e_demoted;		/* a former leaf that got a child, or -1 */
};

__attribute__((format(printf, 3, 4)))
static int
store_fail(struct store *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->s_err, sizeof(s->s_err), fmt, ap);
	va_end(ap);
	return rc;
}

const char *
store_errmsg(const struct store *s)
{
	return s->s_err[0] ? s->s_err : "ok";
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---- sealed values ---- */

static int
sealed_put(struct store *s, struct kv_txn *txn, int t, const void *key,
    size_t klen, const void *val, size_t vlen)
{
	uint8_t *buf = malloc(vlen + SEAL_OVERHEAD);
	int rc;

	if (buf == NULL)
		return CB_ENOMEM;
	rc = seal_value(s->s_seal, store_tables[t], key, klen, val, vlen, buf);
	if (rc == 0)
		rc = kv_put(txn, s->s_t[t], key, klen, buf, vlen + SEAL_OVERHEAD);
	free(buf);
	return rc;
}

/* The opened value, malloc'd with a NUL after it. */
static int
sealed_get(struct store *s, struct kv_txn *txn, int t, const void *key,
    size_t klen, uint8_t **out, size_t *outlen)
{
	struct kv_val v;
	uint8_t *buf;
	int rc;

	*out = NULL;
	if ((rc = kv_get(txn, s->s_t[t], key, klen, &v)) != 0)
		return rc;
	if (v.kv_len < SEAL_OVERHEAD)
		return CB_ECRYPTO;
	if ((buf = malloc(v.kv_len - SEAL_OVERHEAD + 1)) == NULL)
		return CB_ENOMEM;
	rc = seal_unseal(s->s_seal, store_tables[t], key, klen, v.kv_data,
	    v.kv_len, buf, outlen);
	if (rc != 0) {
		free(buf);
		log_err("store: a value in table %s failed to open: the data "
		    "was altered or the key is wrong", store_tables[t]);
		return rc;
	}
	buf[*outlen] = 0;
	*out = buf;
	return CB_OK;
}

/* ---- document records ---- */

static int
rec_load(struct store *s, struct kv_txn *txn, const char *id,
    struct doc_rec *rec)
{
	uint8_t *p;
	size_t len, used;
	int rc;

	memset(rec, 0, sizeof(*rec));
	revtree_init(&rec->dr_tree);
	if ((rc = sealed_get(s, txn, T_DOCS, id, strlen(id), &p, &len)) != 0)
		return rc;
	rc = CB_EINVAL;
	if (len >= 9 && p[0] == DOC_REC_VERSION &&
	    index_set_decode(&rec->dr_index, p + 9, len - 9, &used) == 0) {
		rec->dr_seq = get_be64(p + 1);
		rc = revtree_decode(&rec->dr_tree, p + 9 + used,
		    len - 9 - used);
	}
	free(p);
	if (rc != 0)
		log_err("store: the record of a document is damaged");
	return rc;
}

static int
rec_save(struct store *s, struct kv_txn *txn, const char *id,
    const struct doc_rec *rec)
{
	size_t ilen = index_set_encoded_size(&rec->dr_index);
	size_t len = 9 + ilen + revtree_encoded_size(&rec->dr_tree);
	uint8_t *p = malloc(len);
	int rc;

	if (p == NULL)
		return CB_ENOMEM;
	p[0] = DOC_REC_VERSION;
	put_be64(p + 1, rec->dr_seq);
	index_set_encode(&rec->dr_index, p + 9);
	revtree_encode(&rec->dr_tree, p + 9 + ilen);
	rc = sealed_put(s, txn, T_DOCS, id, strlen(id), p, len);
	free(p);
	return rc;
}

/* Bodies are keyed by id, NUL, revision. */
static size_t
body_key(uint8_t key[BODY_KEY_MAX], const char *id, const char *rev)
{
	size_t il = strlen(id), rl = strlen(rev);

	memcpy(key, id, il);
	key[il] = 0;
	memcpy(key + il + 1, rev, rl);
	return il + 1 + rl;
}

static int
body_get(struct store *s, struct kv_txn *txn, const char *id,
    const char *rev, uint8_t **body, size_t *len)
{
	uint8_t key[BODY_KEY_MAX];

	return sealed_get(s, txn, T_BODIES, key, body_key(key, id, rev), body,
	    len);
}

static int
last_seq(struct store *s, struct kv_txn *txn, uint64_t *seq)
{
	struct kv_cursor *c;
	struct kv_val k;
	int rc;

	*seq = 0;
	if ((rc = kv_cursor_open(txn, s->s_t[T_CHANGES], &c)) != 0)
		return rc;
	rc = kv_cursor_last(c, &k, NULL);
	if (rc == 0 && k.kv_len == 8)
		*seq = get_be64(k.kv_data);
	kv_cursor_close(c);
	return rc == CB_ENOTFOUND ? CB_OK : rc;
}

/* ---- edits ---- */

static int
edit_new(struct store *s, const struct doc_input *d, struct doc_rec *rec,
    int exists, struct edit *e)
{
	char parent_rev[REV_MAX + 1] = "", hash[DOC_HASH_LEN + 1];
	int parent = -1, rc;

	if (d->di_has_rev) {
		parent = exists ? revtree_find(&rec->dr_tree, d->di_gen,
		    d->di_hash, d->di_hashlen) : -1;
		if (parent < 0 || !revtree_is_leaf(&rec->dr_tree, parent))
			return store_fail(s, CB_EEXIST, "update conflict: _rev "
			    "is not the latest revision of %s; read it again "
			    "and reapply the change", d->di_id);
	} else if (exists) {
		/* Without _rev only a deleted document may be written again;
		 * the new revision continues its tombstone, as in CouchDB. */
		parent = revtree_winner(&rec->dr_tree);
		if (!rec->dr_tree.rt_nodes[parent].rn_deleted)
			return store_fail(s, CB_EEXIST, "%s already exists; "
			    "give its _rev to change it", d->di_id);
	} else if (d->di_deleted) {
		return store_fail(s, CB_ENOTFOUND, "no document %s to delete",
		    d->di_id);
	}
	if (parent >= 0)
		revtree_rev(&rec->dr_tree, parent, parent_rev);
	if ((rc = doc_new_hash(d->di_deleted, parent_rev, d->di_body,
	    d->di_bodylen, hash)) != 0)
		return rc;
	rc = revtree_add(&rec->dr_tree, parent, hash, DOC_HASH_LEN,
	    d->di_deleted, &e->e_leaf);
	if (rc == CB_EEXIST)
		return store_fail(s, rc, "update conflict on %s", d->di_id);
	if (rc == CB_ETOOBIG)
		return store_fail(s, rc, "%s has too many revisions", d->di_id);
	e->e_added = rc == 0;
	e->e_demoted = parent;
	return rc;
}

static int
edit_replicated(struct store *s, const struct doc_input *d,
    struct doc_rec *rec, struct edit *e)
{
	int rc;

	rc = revtree_merge(&rec->dr_tree, &d->di_path, d->di_deleted,
	    &e->e_leaf, &e->e_added, &e->e_demoted);
	if (rc == CB_ETOOBIG)
		return store_fail(s, rc, "%s: the revision history is longer "
		    "than %d revisions", d->di_id, REVTREE_MAX_NODES);
	if (rc != 0)
		return store_fail(s, rc, "%s: _revisions is malformed",
		    d->di_id);
	return CB_OK;
}

/* The index entries of the winning revision after an edit. */
static int
edit_index(struct store *s, struct kv_txn *txn, const struct doc_input *d,
    const struct doc_rec *rec, int winner, const char *leaf_rev,
    struct index_set *out)
{
	const struct rev_node *w = &rec->dr_tree.rt_nodes[winner];
	char wrev[REV_MAX + 1];
	uint8_t *body;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (w->rn_deleted)
		return CB_OK;
	revtree_rev(&rec->dr_tree, winner, wrev);
	if (strcmp(wrev, leaf_rev) == 0)
		return index_entries(d->di_body, d->di_bodylen, out, s->s_err,
		    sizeof(s->s_err));
	if ((rc = body_get(s, txn, d->di_id, wrev, &body, &len)) != 0)
		return rc;
	rc = index_entries((const char *)body, len, out, s->s_err,
	    sizeof(s->s_err));
	free(body);
	return rc;
}

/* The change entry: deleted flag, revision, id; keyed by big-endian seq
 * so that the table is in seq order. */
static int
change_put(struct store *s, struct kv_txn *txn, const char *id,
    const char *rev, int deleted, uint64_t seq)
{
	uint8_t key[8], val[2 + REV_MAX + DOC_ID_MAX];
	size_t rl = strlen(rev), il = strlen(id);

	put_be64(key, seq);
	val[0] = deleted ? 1 : 0;
	val[1] = (uint8_t)rl;
	memcpy(val + 2, rev, rl);
	memcpy(val + 2 + rl, id, il);
	return sealed_put(s, txn, T_CHANGES, key, 8, val, 2 + rl + il);
}

static int
edit_feed(struct store *s, struct kv_txn *txn, const char *id,
    struct doc_rec *rec, int winner, uint64_t *seq)
{
	char wrev[REV_MAX + 1];
	uint8_t key[8];
	int rc;

	if ((rc = last_seq(s, txn, seq)) != 0)
		return rc;
	(*seq)++;
	if (rec->dr_seq != 0) {
		put_be64(key, rec->dr_seq);
		rc = kv_del(txn, s->s_t[T_CHANGES], key, 8);
		if (rc != 0 && rc != CB_ENOTFOUND)
			return rc;
	}
	revtree_rev(&rec->dr_tree, winner, wrev);
	rec->dr_seq = *seq;
	return change_put(s, txn, id, wrev,
	    rec->dr_tree.rt_nodes[winner].rn_deleted, *seq);
}

/* Write what an edit changed: the new body, the demoted leaf's body gone,
 * stemming, indexes, the changes feed and the record. */
static int
edit_write(struct store *s, struct kv_txn *txn, const struct doc_input *d,
    struct doc_rec *rec, const struct edit *e, struct store_put_result *res)
{
	char leaf_rev[REV_MAX + 1], demoted_rev[REV_MAX + 1];
	uint8_t key[BODY_KEY_MAX];
	struct index_set idx;
	int rc, winner;

	if (revtree_leaves(&rec->dr_tree, NULL, 0) > REVTREE_MAX_LEAVES)
		return store_fail(s, CB_ETOOBIG, "%s has more than %d "
		    "conflicting branches; resolve some first", d->di_id,
		    REVTREE_MAX_LEAVES);
	revtree_rev(&rec->dr_tree, e->e_leaf, leaf_rev);
	if ((rc = sealed_put(s, txn, T_BODIES, key, body_key(key, d->di_id,
	    leaf_rev), d->di_body, d->di_bodylen)) != 0)
		return rc;
	if (e->e_demoted >= 0) {
		/* Only leaves keep bodies, as after CouchDB's compaction. */
		revtree_rev(&rec->dr_tree, e->e_demoted, demoted_rev);
		rc = kv_del(txn, s->s_t[T_BODIES], key, body_key(key, d->di_id,
		    demoted_rev));
		if (rc != 0 && rc != CB_ENOTFOUND)
			return rc;
	}
	if ((rc = revtree_stem(&rec->dr_tree, s->s_revs_limit)) != 0)
		return rc;
	winner = revtree_winner(&rec->dr_tree);
	if ((rc = edit_index(s, txn, d, rec, winner, leaf_rev, &idx)) != 0)
		return rc;
	if ((rc = index_apply(txn, &s->s_t[T_BY_CLASS], d->di_id,
	    d->di_idlen, &rec->dr_index, &idx)) != 0)
		return rc;
	rec->dr_index = idx;
	if ((rc = edit_feed(s, txn, d->di_id, rec, winner, &res->pr_seq)))
		return rc;
	(void)cb_strlcpy(res->pr_rev, leaf_rev, sizeof(res->pr_rev));
	res->pr_changed = 1;
	return rec_save(s, txn, d->di_id, rec);
}

/* One document's edit inside a write transaction. *added is 0 when the
 * edit changed nothing (a replicated revision already known). */
static int
doc_apply(struct store *s, struct kv_txn *txn, const struct doc_input *d,
    int new_edits, struct store_put_result *res, int *added)
{
	struct edit e = { .e_leaf = -1, .e_demoted = -1 };
	struct doc_rec rec;
	int rc, exists;

	*added = 0;
	rc = rec_load(s, txn, d->di_id, &rec);
	exists = rc == 0;
	if (rc == CB_ENOTFOUND)
		rc = CB_OK;
	if (rc == 0)
		rc = new_edits ? edit_new(s, d, &rec, exists, &e) :
		    edit_replicated(s, d, &rec, &e);
	if (rc == 0 && !e.e_added) {
		revtree_rev(&rec.dr_tree, e.e_leaf, res->pr_rev);
		res->pr_seq = rec.dr_seq;
	} else if (rc == 0)
		rc = edit_write(s, txn, d, &rec, &e, res);
	*added = rc == 0 && e.e_added;
	revtree_free(&rec.dr_tree);
	return rc;
}

static int
doc_put(struct store *s, const struct doc_input *d, int new_edits,
    struct store_put_result *res)
{
	struct kv_txn *txn;
	int rc, added;

	if ((rc = kv_begin(s->s_env, 1, &txn)) != 0)
		return store_fail(s, rc, "cannot start a write: %s",
		    cb_strerror(rc));
	rc = doc_apply(s, txn, d, new_edits, res, &added);
	if (rc == 0 && added)
		rc = kv_commit(txn);
	else
		kv_abort(txn);
	if (rc == CB_EFULL)
		return store_fail(s, rc, "the database is full: nothing was "
		    "written; free disk space or raise the map size");
	if (rc != 0 && s->s_err[0] == 0)
		store_fail(s, rc, "%s: %s", d->di_id, cb_strerror(rc));
	return rc;
}

static int
store_usable(struct store *s)
{
	s->s_err[0] = 0;
	if (s->s_erased)
		return store_fail(s, CB_ESTATE, "the data key was destroyed "
		    "(crypto-erase): this store holds no readable data");
	return CB_OK;
}

static int local_put(struct store *, const struct doc_input *,
    struct store_put_result *);

int
store_put(struct store *s, const char *json, size_t len, int new_edits,
    struct store_put_result *res)
{
	struct doc_input d;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = store_usable(s)) != 0)
		return rc;
	if ((rc = doc_parse(json, len, new_edits, &d, s->s_err,
	    sizeof(s->s_err))) != 0)
		return rc;
	memcpy(res->pr_id, d.di_id, d.di_idlen);
	res->pr_id[d.di_idlen] = 0;
	if (d.di_local)
		rc = local_put(s, &d, res);
	else
		rc = doc_put(s, &d, new_edits, res);
	doc_input_free(&d);
	return rc;
}

/* ---- batches: many edits, one transaction, one durable commit ---- */

/* The failure of a batch, in words: which document and why. */
static int
batch_fail(struct store *s, int rc, size_t at, const char *id, size_t n)
{
	char why[STORE_ERR_MAX];

	if (rc == CB_EFULL)
		(void)cb_strlcpy(why, "the database is full; free disk space "
		    "or raise the map size", sizeof(why));
	else if (s->s_err[0] != 0)
		(void)cb_strlcpy(why, s->s_err, sizeof(why));
	else
		(void)cb_strlcpy(why, cb_strerror(rc), sizeof(why));
	if (at == STORE_BATCH_NONE)
		return store_fail(s, rc, "batch of %zu documents: %s; nothing "
		    "was written", n, why);
	if (id != NULL && id[0] != 0)
		return store_fail(s, rc, "document %zu (%s): %s; nothing of "
		    "the batch was written", at, id, why);
	return store_fail(s, rc, "document %zu: %s; nothing of the batch "
	    "was written", at, why);
}

int
store_put_batch(struct store *s, const struct store_batch_doc *docs, size_t n,
    struct store_put_result *res, size_t *failed)
{
	return store_put_batch_edits(s, docs, n, 1, res, failed);
}

/* The precondition of store_resolve: the live leaves of document id are
 * exactly the revisions of want (in any order). */
struct leaves_check {
	const char *lc_id;
	const char *const *lc_want;
	size_t lc_n;
};

static int
leaves_are(struct store *s, struct kv_txn *txn, const struct leaves_check *lc)
{
	int leaves[REVTREE_MAX_LEAVES];
	char rev[REV_MAX + 1];
	struct doc_rec rec;
	size_t count, live = 0, k, j;
	int rc;

	if ((rc = rec_load(s, txn, lc->lc_id, &rec)) != 0) {
		revtree_free(&rec.dr_tree);
		return rc == CB_ENOTFOUND ? store_fail(s, rc, "no document %s",
		    lc->lc_id) : rc;
	}
	count = revtree_leaves(&rec.dr_tree, leaves, REVTREE_MAX_LEAVES);
	if (count > REVTREE_MAX_LEAVES)
		count = REVTREE_MAX_LEAVES;
	for (k = 0; rc == 0 && k < count; k++) {
		if (rec.dr_tree.rt_nodes[leaves[k]].rn_deleted)
			continue;
		live++;
		revtree_rev(&rec.dr_tree, leaves[k], rev);
		for (j = 0; j < lc->lc_n && strcmp(lc->lc_want[j], rev); j++)
			;
		if (j == lc->lc_n)
			rc = CB_EEXIST;
	}
	if (rc == 0 && live != lc->lc_n)
		rc = CB_EEXIST;
	revtree_free(&rec.dr_tree);
	if (rc == CB_EEXIST)
		return store_fail(s, rc, "the versions of %s changed since "
		    "they were read; read them again", lc->lc_id);
	return rc;
}

static int batch_edits(struct store *s, const struct leaves_check *lc,
    const struct store_batch_doc *docs, size_t n, int new_edits,
    struct store_put_result *res, size_t *failed);

int
store_put_batch_edits(struct store *s, const struct store_batch_doc *docs,
    size_t n, int new_edits, struct store_put_result *res, size_t *failed)
{
	return batch_edits(s, NULL, docs, n, new_edits, res, failed);
}

int
store_resolve(struct store *s, const char *id, const char *const *leaves,
    size_t nleaves, const struct store_batch_doc *docs, size_t n,
    struct store_put_result *res, size_t *failed)
{
	struct leaves_check lc = { id, leaves, nleaves };

	if (id == NULL || leaves == NULL || nleaves == 0 || n == 0) {
		s->s_err[0] = 0;
		return store_fail(s, CB_EINVAL, "a resolution needs the "
		    "document, the versions seen and the edits");
	}
	return batch_edits(s, &lc, docs, n, 1, res, failed);
}

static int
batch_edits(struct store *s, const struct leaves_check *lc,
    const struct store_batch_doc *docs, size_t n, int new_edits,
    struct store_put_result *res, size_t *failed)
{
	struct kv_txn *txn;
	struct doc_input d;
	size_t i, total = 0, at = STORE_BATCH_NONE;
	int rc, added;

	if (failed != NULL)
		*failed = STORE_BATCH_NONE;
	if ((rc = store_usable(s)) != 0)
		return rc;
	if (n > STORE_BATCH_MAX)
		return store_fail(s, CB_ETOOBIG, "a batch holds at most %d "
		    "documents, this one %zu; nothing was written",
		    STORE_BATCH_MAX, n);
	for (i = 0; i < n; i++) {
		if (docs[i].bd_json == NULL ||
		    docs[i].bd_len > STORE_BATCH_MAX_BYTES - total)
			return store_fail(s, docs[i].bd_json == NULL ?
			    CB_EINVAL : CB_ETOOBIG, "a batch holds at most %u "
			    "bytes of JSON; nothing was written",
			    STORE_BATCH_MAX_BYTES);
		total += docs[i].bd_len;
	}
	if (n == 0)
		return CB_OK;
	memset(res, 0, n * sizeof(*res));
	if ((rc = kv_begin(s->s_env, 1, &txn)) != 0)
		return batch_fail(s, rc, STORE_BATCH_NONE, NULL, n);
	if (lc != NULL && (rc = leaves_are(s, txn, lc)) != 0) {
		kv_abort(txn);
		if (failed != NULL)
			*failed = STORE_BATCH_NONE;
		memset(res, 0, n * sizeof(*res));
		return rc;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		at = i;
		rc = doc_parse(docs[i].bd_json, docs[i].bd_len, new_edits,
		    &d, s->s_err, sizeof(s->s_err));
		if (rc != 0)
			break;
		memcpy(res[i].pr_id, d.di_id, d.di_idlen);
		res[i].pr_id[d.di_idlen] = 0;
		if (d.di_local)
			rc = store_fail(s, CB_EINVAL, "_local documents are "
			    "not written in batches");
		else
			rc = doc_apply(s, txn, &d, new_edits, &res[i],
			    &added);
		doc_input_free(&d);
	}
	if (rc == 0) {
		at = STORE_BATCH_NONE;
		rc = kv_commit(txn);
	} else
		kv_abort(txn);
	if (rc == 0)
		return CB_OK;
	/* Nothing was written: no result may suggest otherwise. */
	char id[DOC_ID_MAX + 1] = "";
	if (at != STORE_BATCH_NONE)
		memcpy(id, res[at].pr_id, sizeof(id));
	memset(res, 0, n * sizeof(*res));
	if (failed != NULL)
		*failed = at;
	return batch_fail(s, rc, at, id, n);
}

/* ---- reads ---- */

static int
read_begin(struct store *s, const char *id, struct kv_txn **txn,
    struct doc_rec *rec)
{
	int rc;

	if ((rc = store_usable(s)) != 0)
		return rc;
	if (id == NULL || !doc_id_valid(id, strlen(id)))
		return store_fail(s, CB_EINVAL, "malformed document id");
	if ((rc = kv_begin(s->s_env, 0, txn)) != 0)
		return store_fail(s, rc, "cannot read: %s", cb_strerror(rc));
	if ((rc = rec_load(s, *txn, id, rec)) != 0) {
		kv_abort(*txn);
		*txn = NULL;
		if (rc == CB_ENOTFOUND)
			return store_fail(s, rc, "no document %s", id);
	}
	return rc;
}

static void
read_end(struct kv_txn *txn, struct doc_rec *rec)
{
	kv_abort(txn);
	revtree_free(&rec->dr_tree);
}

/* _conflicts and _revisions of node i, as pointers into the tree. */
static int
node_extra(const struct store *s, const struct revtree *t, int i,
    unsigned flags, struct doc_extra *x, char (*conf)[REV_MAX + 1],
    const char **ids)
{
	int leaves[REVTREE_MAX_LEAVES], anc[REVTREE_DEFAULT_LIMIT];
	size_t n;

	memset(x, 0, sizeof(*x));
	x->de_deleted = t->rt_nodes[i].rn_deleted;
	if (flags & STORE_GET_CONFLICTS) {
		n = revtree_leaves(t, leaves, REVTREE_MAX_LEAVES);
		for (size_t k = 1; k < n && k < REVTREE_MAX_LEAVES; k++)
			if (!t->rt_nodes[leaves[k]].rn_deleted)
				revtree_rev(t, leaves[k],
				    conf[x->de_nconflicts++]);
		x->de_conflicts = (const char *const *)ids;
		for (size_t k = 0; k < x->de_nconflicts; k++)
			ids[k] = conf[k];
		ids += x->de_nconflicts;
	}
	if (flags & STORE_GET_REVISIONS) {
		n = revtree_ancestry(t, i, anc, s->s_revs_limit <
		    REVTREE_DEFAULT_LIMIT ? s->s_revs_limit :
		    REVTREE_DEFAULT_LIMIT);
		for (size_t k = 0; k < n; k++)
			ids[k] = t->rt_nodes[anc[k]].rn_hash;
		x->de_rev_ids = ids;
		x->de_nrevs = n;
		x->de_rev_start = t->rt_nodes[i].rn_gen;
	}
	return CB_OK;
}

static int
compose_node(struct store *s, struct kv_txn *txn, const char *id,
    const struct revtree *t, int i, unsigned flags, struct store_doc *out)
{
	char (*conf)[REV_MAX + 1] = NULL;
	const char **ids = NULL;
	struct doc_extra x;
	uint8_t *body;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	revtree_rev(t, i, out->sd_rev);
	out->sd_deleted = t->rt_nodes[i].rn_deleted;
	if ((rc = body_get(s, txn, id, out->sd_rev, &body, &len)) != 0)
		return rc;
	conf = malloc(REVTREE_MAX_LEAVES * sizeof(*conf));
	ids = malloc((REVTREE_MAX_LEAVES + REVTREE_DEFAULT_LIMIT) *
	    sizeof(*ids));
	if (conf == NULL || ids == NULL)
		rc = CB_ENOMEM;
	if (rc == 0)
		rc = node_extra(s, t, i, flags, &x, conf, ids);
	if (rc == 0)
		rc = doc_compose(id, out->sd_rev, (const char *)body, len, &x,
		    &out->sd_json, &out->sd_len);
	free(conf);
	free(ids);
	free(body);
	return rc;
}

int
store_get(struct store *s, const char *id, const char *rev, unsigned flags,
    struct store_doc *out)
{
	struct kv_txn *txn;
	struct doc_rec rec;
	const char *hash;
	size_t hashlen;
	uint32_t gen;
	int rc, i;

	memset(out, 0, sizeof(*out));
	if (id != NULL && strncmp(id, DOC_LOCAL_PREFIX,
	    strlen(DOC_LOCAL_PREFIX)) == 0)
		return store_local_get(s, id, out);
	if ((rc = read_begin(s, id, &txn, &rec)) != 0)
		return rc;
	if (rev == NULL) {
		i = revtree_winner(&rec.dr_tree);
		if (rec.dr_tree.rt_nodes[i].rn_deleted)
			i = -1;
	} else if (rev_parse(rev, strlen(rev), &gen, &hash, &hashlen) != 0) {
		i = -1;
	} else {
		i = revtree_find(&rec.dr_tree, gen, hash, hashlen);
		if (i >= 0 && !revtree_is_leaf(&rec.dr_tree, i))
			i = -1;
	}
	if (i < 0)
		rc = store_fail(s, CB_ENOTFOUND, rev == NULL ? "%s was deleted"
		    : "%s has no such current revision", id);
	else
		rc = compose_node(s, txn, id, &rec.dr_tree, i, flags, out);
	read_end(txn, &rec);
	return rc;
}

int
store_get_leaves(struct store *s, const char *id, unsigned flags,
    struct store_doc **docs, size_t *n)
{
	int leaves[REVTREE_MAX_LEAVES];
	struct kv_txn *txn;
	struct doc_rec rec;
	size_t count;
	int rc;

	*docs = NULL;
	*n = 0;
	if ((rc = read_begin(s, id, &txn, &rec)) != 0)
		return rc;
	count = revtree_leaves(&rec.dr_tree, leaves, REVTREE_MAX_LEAVES);
	if (count > REVTREE_MAX_LEAVES)
		count = REVTREE_MAX_LEAVES;
	if ((*docs = calloc(count, sizeof(**docs))) == NULL)
		rc = CB_ENOMEM;
	for (size_t k = 0; rc == 0 && k < count; k++) {
		rc = compose_node(s, txn, id, &rec.dr_tree, leaves[k], flags,
		    &(*docs)[k]);
		*n = k + 1;
	}
	read_end(txn, &rec);
	if (rc != 0) {
		store_docs_free(*docs, *n);
		*docs = NULL;
		*n = 0;
	}
	return rc;
}

int
store_doc_info(struct store *s, const char *id, struct store_doc_info *out)
{
	int leaves[REVTREE_MAX_LEAVES];
	struct kv_txn *txn;
	struct doc_rec rec;
	size_t count;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = read_begin(s, id, &txn, &rec)) != 0)
		return rc;
	count = revtree_leaves(&rec.dr_tree, leaves, REVTREE_MAX_LEAVES);
	if (count > REVTREE_MAX_LEAVES)
		count = REVTREE_MAX_LEAVES;
	out->si_leaves = calloc(count, sizeof(*out->si_leaves));
	if (out->si_leaves == NULL)
		rc = CB_ENOMEM;
	for (size_t k = 0; rc == 0 && k < count; k++) {
		revtree_rev(&rec.dr_tree, leaves[k], out->si_leaves[k].sl_rev);
		out->si_leaves[k].sl_deleted =
		    rec.dr_tree.rt_nodes[leaves[k]].rn_deleted;
	}
	out->si_nleaves = rc == 0 ? count : 0;
	out->si_seq = rec.dr_seq;
	read_end(txn, &rec);
	return rc;
}

int
store_revs_missing(struct store *s, const char *id, const char *const *revs,
    size_t n, int *missing)
{
	struct kv_txn *txn;
	struct doc_rec rec;
	const char *hash;
	size_t hashlen;
	uint32_t gen;
	int rc;

	for (size_t k = 0; k < n; k++)
		missing[k] = 1;
	rc = read_begin(s, id, &txn, &rec);
	if (rc == CB_ENOTFOUND) {
		s->s_err[0] = 0;
		return CB_OK;
	}
	if (rc != 0)
		return rc;
	for (size_t k = 0; k < n; k++)
		if (rev_parse(revs[k], strlen(revs[k]), &gen, &hash,
		    &hashlen) == 0 &&
		    revtree_find(&rec.dr_tree, gen, hash, hashlen) >= 0)
			missing[k] = 0;
	read_end(txn, &rec);
	return CB_OK;
}

void
store_doc_info_free(struct store_doc_info *info)
{
	free(info->si_leaves);
	memset(info, 0, sizeof(*info));
}

void
store_doc_free(struct store_doc *d)
{
	if (d == NULL)
		return;
	free(d->sd_json);
	memset(d, 0, sizeof(*d));
}

void
store_docs_free(struct store_doc *docs, size_t n)
{
	for (size_t i = 0; docs != NULL && i < n; i++)
		store_doc_free(&docs[i]);
	free(docs);
}

/* ---- the changes feed ---- */

static int
change_decode(const uint8_t *p, size_t len, struct store_change *c)
{
	size_t rl, il;

	if (len < 2 || (rl = p[1]) == 0 || rl > REV_MAX || len - 2 <= rl ||
	    (il = len - 2 - rl) > DOC_ID_MAX)
		return CB_EINVAL;
	c->sc_deleted = p[0] != 0;
	memcpy(c->sc_rev, p + 2, rl);
	c->sc_rev[rl] = 0;
	memcpy(c->sc_id, p + 2 + rl, il);
	c->sc_id[il] = 0;
	return CB_OK;
}

int
store_changes(struct store *s, uint64_t since, struct store_change *out,
    size_t max, size_t *n)
{
	struct kv_cursor *c = NULL;
	struct kv_txn *txn;
	struct kv_val k;
	uint8_t key[8];
	int rc;

	*n = 0;
	if ((rc = store_usable(s)) != 0)
		return rc;
	if ((rc = kv_begin(s->s_env, 0, &txn)) != 0)
		return rc;
	put_be64(key, since + 1);
	rc = kv_cursor_open(txn, s->s_t[T_CHANGES], &c);
	if (rc == 0)
		rc = kv_cursor_seek(c, key, 8, &k, NULL);
	while (rc == 0 && *n < max) {
		uint8_t *p;
		size_t len;
		uint8_t kb[8];
		if (k.kv_len != 8) {
			rc = CB_EINVAL;
			break;
		}
		memcpy(kb, k.kv_data, 8);
		if ((rc = sealed_get(s, txn, T_CHANGES, kb, 8, &p, &len)) != 0)
			break;
		rc = change_decode(p, len, &out[*n]);
		free(p);
		if (rc != 0)
			break;
		out[(*n)++].sc_seq = get_be64(kb);
		rc = kv_cursor_next(c, &k, NULL);
	}
	kv_cursor_close(c);
	kv_abort(txn);
	return rc == CB_ENOTFOUND ? CB_OK : rc;
}

int
store_last_seq(struct store *s, uint64_t *seq)
{
	struct kv_txn *txn;
	int rc;

	*seq = 0;
	if ((rc = store_usable(s)) != 0)
		return rc;
	if ((rc = kv_begin(s->s_env, 0, &txn)) != 0)
		return rc;
	rc = last_seq(s, txn, seq);
	kv_abort(txn);
	return rc;
}

int
store_write_txns(struct store *s, uint64_t *n)
{
	int rc;

	*n = 0;
	if ((rc = store_usable(s)) != 0)
		return rc;
	return kv_last_txn(s->s_env, n);
}

int
store_index_scan(struct store *s, const struct index_query *q,
    struct index_hit *hits, size_t *nhits, char next[INDEX_CURSOR_MAX])
{
	struct kv_txn *txn;
	int rc;

	*nhits = 0;
	next[0] = 0;
	if ((rc = store_usable(s)) != 0)
		return rc;
	if ((unsigned)q->iq_index >= INDEX_COUNT)
		return store_fail(s, CB_EINVAL, "no such index");
	if ((rc = kv_begin(s->s_env, 0, &txn)) != 0)
		return rc;
	rc = index_scan(txn, s->s_t[T_BY_CLASS + q->iq_index], q, hits, nhits,
	    next);
	kv_abort(txn);
	if (rc == CB_EINVAL)
		store_fail(s, rc, "malformed index query or cursor");
	return rc;
}

/* ---- _local documents: "0-N" revision (4 bytes) then the body ---- */

int
store_local_get(struct store *s, const char *id, struct store_doc *out)
{
	struct kv_txn *txn;
	uint8_t *p;
	size_t len;
	uint32_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_usable(s)) != 0)
		return rc;
	if (id == NULL || !doc_id_valid(id, strlen(id)))
		return store_fail(s, CB_EINVAL, "malformed document id");
	if ((rc = kv_begin(s->s_env, 0, &txn)) != 0)
		return rc;
	rc = sealed_get(s, txn, T_LOCAL, id, strlen(id), &p, &len);
	kv_abort(txn);
	if (rc == CB_ENOTFOUND)
		return store_fail(s, rc, "no local document %s", id);
	if (rc != 0)
		return rc;
	if (len < 6) {
		free(p);
		return CB_EINVAL;
	}
	n = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	snprintf(out->sd_rev, sizeof(out->sd_rev), "0-%u", (unsigned)n);
	rc = doc_compose(id, out->sd_rev, (const char *)p + 4, len - 4, NULL,
	    &out->sd_json, &out->sd_len);
	free(p);
	return rc;
}

static int
local_write(struct store *s, struct kv_txn *txn, const struct doc_input *d,
    uint32_t cur, int exists, struct store_put_result *res)
{
	uint8_t *p;
	int rc;

	if (exists && (!d->di_has_rev || d->di_local_rev != cur))
		return store_fail(s, CB_EEXIST, "update conflict on %s: give "
		    "its current _rev \"0-%u\"", d->di_id, (unsigned)cur);
	if (d->di_deleted) {
		if (!exists)
			return store_fail(s, CB_ENOTFOUND, "no local document "
			    "%s", d->di_id);
		snprintf(res->pr_rev, sizeof(res->pr_rev), "0-0");
		return kv_del(txn, s->s_t[T_LOCAL], d->di_id, d->di_idlen);
	}
	if (cur == UINT32_MAX - 1)
		return store_fail(s, CB_ETOOBIG, "%s: too many updates",
		    d->di_id);
	if ((p = malloc(4 + d->di_bodylen)) == NULL)
		return CB_ENOMEM;
	cur++;
	p[0] = (uint8_t)cur;
	p[1] = (uint8_t)(cur >> 8);
	p[2] = (uint8_t)(cur >> 16);
	p[3] = (uint8_t)(cur >> 24);
	memcpy(p + 4, d->di_body, d->di_bodylen);
	rc = sealed_put(s, txn, T_LOCAL, d->di_id, d->di_idlen, p,
	    4 + d->di_bodylen);
	free(p);
	snprintf(res->pr_rev, sizeof(res->pr_rev), "0-%u", (unsigned)cur);
	return rc;
}

static int
local_put(struct store *s, const struct doc_input *d,
    struct store_put_result *res)
{
	struct kv_txn *txn;
	uint32_t cur = 0;
	uint8_t *p;
	size_t len;
	int rc, exists;

	if ((rc = kv_begin(s->s_env, 1, &txn)) != 0)
		return rc;
	rc = sealed_get(s, txn, T_LOCAL, d->di_id, d->di_idlen, &p, &len);
	exists = rc == 0;
	if (exists && len >= 4)
		cur = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	free(p);
	if (rc == 0 || rc == CB_ENOTFOUND)
		rc = local_write(s, txn, d, cur, exists, res);
	if (rc == 0) {
		rc = kv_commit(txn);
		res->pr_changed = rc == 0;
	} else
		kv_abort(txn);
	if (rc == CB_EFULL)
		store_fail(s, rc, "the database is full: nothing was written");
	return rc;
}

/* ---- opening, the data key, erasing ---- */

static int
store_new_key(struct store *s, struct kv_txn *txn, uint8_t dek[SEAL_KEY_LEN])
{
	uint8_t wrapped[SEAL_WRAPPED_LEN];
	int rc;

	if ((rc = s->s_ks.ks_load_kek(&s->s_ks, 1)) != 0)
		return store_fail(s, rc, "cannot create the key-encryption "
		    "key in %s", s->s_dir);
	if ((rc = seal_new_dek(dek)) != 0 ||
	    (rc = s->s_ks.ks_wrap(&s->s_ks, dek, wrapped)) != 0)
		return store_fail(s, rc, "cannot make a data key");
	rc = kv_put(txn, s->s_t[T_META], "dek", 3, wrapped, sizeof(wrapped));
	if (rc == 0)
		rc = kv_put(txn, s->s_t[T_META], "format", 6, STORE_FORMAT,
		    strlen(STORE_FORMAT));
	return rc;
}

static int
store_load_key(struct store *s, struct kv_txn *txn)
{
	uint8_t dek[SEAL_KEY_LEN];
	struct kv_val v;
	int rc;

	rc = kv_get(txn, s->s_t[T_META], "dek", 3, &v);
	if (rc == CB_ENOTFOUND)
		rc = store_new_key(s, txn, dek);
	else if (rc == 0 && v.kv_len != SEAL_WRAPPED_LEN)
		rc = store_fail(s, CB_ECRYPTO, "the wrapped data key in %s is "
		    "damaged: the data cannot be read", s->s_dir);
	else if (rc == 0 && (rc = s->s_ks.ks_load_kek(&s->s_ks, 0)) != 0)
		rc = store_fail(s, CB_ECRYPTO, "the key-encryption key of %s "
		    "is missing or unreadable (erased box, or restore the kek "
		    "file from backup)", s->s_dir);
	else if (rc == 0 && s->s_ks.ks_unwrap(&s->s_ks, v.kv_data, dek) != 0)
		rc = store_fail(s, CB_ECRYPTO, "the key-encryption key does "
		    "not open the data key of %s: wrong or replaced kek file, "
		    "or the data was erased", s->s_dir);
	if (rc == 0)
		rc = seal_new(&s->s_seal, dek);
	cb_wipe(dek, sizeof(dek));
	return rc;
}

static int
store_setup(struct store *s, size_t map_size)
{
	struct kv_txn *txn;
	int rc;

	if ((rc = kv_open(&s->s_env, s->s_dir, map_size)) != 0)
		return store_fail(s, rc, "cannot open the database in %s: %s",
		    s->s_dir, cb_strerror(rc));
	if ((rc = kv_begin(s->s_env, 1, &txn)) != 0)
		return store_fail(s, rc, "cannot write to %s: %s", s->s_dir,
		    cb_strerror(rc));
	for (int t = 0; t < T_COUNT && rc == 0; t++)
		rc = kv_table_open(txn, store_tables[t], &s->s_t[t]);
	if (rc == 0)
		rc = store_load_key(s, txn);
	if (rc == 0)
		return kv_commit(txn);
	kv_abort(txn);
	return rc;
}

int
store_open(struct store **sp, const char *dir, const struct store_options *o)
{
	struct store *s;
	int rc;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CB_ENOMEM;
	s->s_revs_limit = o != NULL && o->so_revs_limit != 0 ?
	    o->so_revs_limit : REVTREE_DEFAULT_LIMIT;
	if (cb_strlcpy(s->s_dir, dir, sizeof(s->s_dir)) != 0) {
		free(s);
		return CB_ETOOBIG;
	}
	if (o != NULL && o->so_keystore != NULL)
		s->s_ks = *o->so_keystore;
	else if ((rc = keystore_file_init(&s->s_ks, dir)) != 0) {
		free(s);
		return rc;
	}
	rc = store_setup(s, o != NULL ? o->so_map_size : 0);
	if (rc != 0) {
		log_err("store: %s", s->s_err[0] ? s->s_err : cb_strerror(rc));
		store_close(s);
		return rc;
	}
	*sp = s;
	return CB_OK;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	seal_free(s->s_seal);
	kv_close(s->s_env);
	if (s->s_ks.ks_close != NULL)
		s->s_ks.ks_close(&s->s_ks);
	cb_wipe(s, sizeof(*s));
	free(s);
}

int
store_crypto_erase(struct store *s)
{
	uint8_t junk[SEAL_WRAPPED_LEN];
	struct kv_txn *txn;
	int rc, rc2;

	if ((rc = store_usable(s)) != 0)
		return rc;
	/* First the wrapped key (LMDB may keep the old page until reuse,
	 * hence the KEK next), then the KEK itself. */
	rc = cb_random(junk, sizeof(junk));
	if (rc == 0)
		rc = kv_begin(s->s_env, 1, &txn);
	if (rc == 0) {
		rc = kv_put(txn, s->s_t[T_META], "dek", 3, junk, sizeof(junk));
		if (rc == 0)
			rc = kv_commit(txn);
		else
			kv_abort(txn);
	}
	if (rc == 0)
		rc = kv_sync(s->s_env);
	rc2 = s->s_ks.ks_erase(&s->s_ks);
	seal_free(s->s_seal);
	s->s_seal = NULL;
	s->s_erased = 1;
	if (rc != 0 || rc2 != 0)
		return store_fail(s, rc ? rc : rc2, "crypto-erase incomplete: "
		    "%s; run it again", cb_strerror(rc ? rc : rc2));
	log_info("store: data key destroyed in %s", s->s_dir);
	return CB_OK;
}

int
store_data_path(const struct store *s, char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s/data.mdb", s->s_dir) >= size)
		return CB_ETOOBIG;
	return CB_OK;
}
