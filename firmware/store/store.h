/*
 * store.h: classroom data on the box. Documents with CouchDB revisions,
 * the changes feed, secondary indexes and local (checkpoint) documents,
 * all in one LMDB environment, every value sealed (docs/store.md).
 *
 * Every function returns 0 or a negative CB_E* status; store_errmsg() then
 * says what went wrong in words a person can act on. A store is used by
 * one thread at a time. Writes are durable when the call returns 0.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/doc.h"
#include "store/index.h"
#include "store/revtree.h"
#include "store/seal.h"

#define STORE_ERR_MAX	256

struct store;

struct store_options {
	size_t so_map_size;		/* 0: 1 GiB */
	unsigned so_revs_limit;		/* 0: 1000, as CouchDB */
	/* NULL: the file keystore (<dir>/kek). Otherwise copied; the store
	 * calls its ks_close when it closes. */
	const struct keystore *so_keystore;
};

/* Open or create the store in directory dir. CB_ECRYPTO when the key
 * file is missing or does not open this store's data key. */
int store_open(struct store **sp, const char *dir,
    const struct store_options *opt);
void store_close(struct store *s);
const char *store_errmsg(const struct store *s);

struct store_put_result {
	char pr_id[DOC_ID_MAX + 1];
	char pr_rev[REV_MAX + 1];
	uint64_t pr_seq;		/* 0 for _local documents */
	int pr_changed;			/* 0: a replicated revision already known */
};

/* Store a document. new_edits=1: an edit by a person; _rev must name a
 * current leaf (the revision the edit starts from), else CB_EEXIST (HTTP
 * 409). new_edits=0: replication; _rev and _revisions are merged into the
 * tree as given, idempotently. Ids starting with _local/ go to
 * store_local_put. */
int store_put(struct store *s, const char *json, size_t len, int new_edits,
    struct store_put_result *res);

/* Many edits by people (new_edits=1) in one write transaction with one
 * durable commit: all or nothing. Each document gives the _rev it starts
 * from (none for a new one), exactly as for store_put, and gets its own
 * seq, in order; indexes and the changes feed are updated in the same
 * transaction. The same id may appear twice (the second edit must then
 * give the revision the first one made). _local documents are refused.
 * On success res[i] (an array of n) says what document i got. On failure
 * nothing was written; *failed (if not NULL) is the index of the document
 * at fault or being written when it happened (a full map: CB_EFULL), or
 * STORE_BATCH_NONE when no single document is (the limits below, the
 * commit), and store_errmsg() says "document <i> (<id>): why". */
#define STORE_BATCH_MAX		1000		/* documents per batch */
#define STORE_BATCH_MAX_BYTES	(16u << 20)	/* bytes of JSON per batch */
#define STORE_BATCH_NONE	((size_t)-1)

struct store_batch_doc {
	const char *bd_json;
	size_t bd_len;
};

int store_put_batch(struct store *s, const struct store_batch_doc *docs,
    size_t n, struct store_put_result *res, size_t *failed);

/* The same with new_edits=0 (replication, sync process): each document
 * carries _rev and _revisions, merged into its tree as store_put does;
 * revisions already known change nothing. One short write transaction:
 * keep n small so that web never waits long for the writer lock. */
int store_put_batch_edits(struct store *s, const struct store_batch_doc *docs,
    size_t n, int new_edits, struct store_put_result *res, size_t *failed);

/* A person resolves a conflict (new_edits=1, one transaction, one durable
 * commit): the batch docs is written, as store_put_batch writes it, only
 * when the live leaves of document id are exactly the nleaves revisions
 * of leaves (in any order), the ones the person saw; else CB_EEXIST (HTTP
 * 409) and nothing is written. The caller puts in docs the merged
 * version (on the winning leaf), a tombstone on every other leaf, and
 * its record of the resolution. CB_ENOTFOUND: no such document. */
int store_resolve(struct store *s, const char *id, const char *const *leaves,
    size_t nleaves, const struct store_batch_doc *docs, size_t n,
    struct store_put_result *res, size_t *failed);

/* _revs_diff against this store: missing[k] = 1 when revision revs[k] of
 * document id is not in its tree (any node, leaf or not). A document
 * that does not exist misses every revision. */
int store_revs_missing(struct store *s, const char *id,
    const char *const *revs, size_t n, int *missing);

#define STORE_GET_CONFLICTS	0x1	/* add _conflicts */
#define STORE_GET_REVISIONS	0x2	/* add _revisions (for replication) */

struct store_doc {
	char *sd_json;			/* malloc'd, NUL-terminated */
	size_t sd_len;
	char sd_rev[REV_MAX + 1];
	int sd_deleted;
};
void store_doc_free(struct store_doc *d);

/* The winning revision (rev NULL; CB_ENOTFOUND if deleted), or a given leaf
 * revision, deleted or not (CB_ENOTFOUND for revisions that are not
 * leaves: their bodies are not kept). */
int store_get(struct store *s, const char *id, const char *rev,
    unsigned flags, struct store_doc *out);
/* open_revs=all: every leaf, the winner first. */
int store_get_leaves(struct store *s, const char *id, unsigned flags,
    struct store_doc **docs, size_t *n);
void store_docs_free(struct store_doc *docs, size_t n);

struct store_leaf {
	char sl_rev[REV_MAX + 1];
	int sl_deleted;
};

/* The leaves of a document, winner first (then by the winning order); its
 * conflicts are the live leaves after the first. */
struct store_doc_info {
	struct store_leaf *si_leaves;	/* malloc'd */
	size_t si_nleaves;
	uint64_t si_seq;
};
int store_doc_info(struct store *s, const char *id,
    struct store_doc_info *out);
void store_doc_info_free(struct store_doc_info *info);

/* The changes feed: documents changed after seq since, oldest first, each
 * document once (at its latest change). */
struct store_change {
	uint64_t sc_seq;
	char sc_id[DOC_ID_MAX + 1];
	char sc_rev[REV_MAX + 1];	/* the winning revision */
	int sc_deleted;
};
int store_changes(struct store *s, uint64_t since, struct store_change *out,
    size_t max, size_t *n);
int store_last_seq(struct store *s, uint64_t *seq);
/* Write transactions committed so far (kv_last_txn): every durable write,
 * _local documents included, which the changes feed does not show. */
int store_write_txns(struct store *s, uint64_t *n);

/* Index range scans (index.h). */
int store_index_scan(struct store *s, const struct index_query *q,
    struct index_hit *hits, size_t *nhits, char next[INDEX_CURSOR_MAX]);

/* _local documents: no revision tree, no changes feed. _rev is "0-N"; a
 * put must give the current one (none for a new document), else CB_EEXIST.
 * _deleted: true removes it. */
int store_local_get(struct store *s, const char *id, struct store_doc *out);
int store_local_put(struct store *s, const char *json, size_t len,
    struct store_put_result *res);

/* Destroy the data key for good: the wrapped key in the store and the KEK
 * are overwritten and flushed. Afterwards every call fails (CB_ESTATE) and
 * a reopen fails with CB_ECRYPTO: the data is unreadable. */
int store_crypto_erase(struct store *s);

/* The path of the data file, for tests and backups. */
int store_data_path(const struct store *s, char *out, size_t size);

#endif
