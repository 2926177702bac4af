/*
 * repl.h: one replication cycle with the cloud (CouchDB replication
 * protocol v3, docs/sync.md): pull the school database, push it, push the
 * audit logs. Each direction runs in batches bounded by documents and
 * bytes; a checkpoint (_local/<replication id>, on both sides) moves only
 * after a batch is durably stored on the target, so a cut link costs at
 * most the batch in flight, which revs_diff makes idempotent to resend.
 */
#ifndef SYNC_REPL_H
#define SYNC_REPL_H

#include <stddef.h>
#include <stdint.h>

#include "net/httpcli.h"
#include "store/store.h"
#include "sync/enroll.h"
#include "sync/proto.h"

#define SYNC_BATCH_DOCS		500		/* changes per pull batch */
#define SYNC_PUSH_BATCH_DOCS	2000		/* local changes per push batch */
#define SYNC_ROWS_FACTOR	4		/* pull batches of rows alone
						 * (no documents): 2,000 */
#define SYNC_BATCH_BYTES	(4u << 20)	/* bytes of JSON per request */
#define SYNC_BULK_GET_REVS	500		/* revisions per _bulk_get */
#define SYNC_STORE_BATCH	250		/* docs per local write txn */
#define SYNC_ERR_MAX		256
#define SYNC_BOX_ID_LEN		32		/* hex */
#define SYNC_PENDING_SCAN_MAX	10000000	/* changes counted for status */

/* How a cycle failed, so that the daemon knows whether to back off as
 * for a dead link or as for a refusal a person must fix. */
enum sync_fail {
	SYNC_FAIL_NONE = 0,
	SYNC_FAIL_LINK,		/* connect, timeout, cut: retry */
	SYNC_FAIL_TLS,		/* certificates: retry slowly, say why */
	SYNC_FAIL_HTTP,		/* the cloud refused (401, 403, 404, 5xx) */
	SYNC_FAIL_LOCAL,	/* our store failed */
	SYNC_FAIL_PROTO,	/* the cloud's answer made no sense */
};

struct sync_stats {
	uint64_t ss_pulled;		/* revisions written locally */
	uint64_t ss_pushed;		/* revisions sent to the cloud */
	uint64_t ss_rejected;		/* revisions a side refused */
	uint64_t ss_batches;
	uint64_t ss_audit_pushed;
	uint64_t ss_resolved;		/* conflicts resolved by rule */
};

struct sync_ctx {
	struct store *sc_store;
	struct httpcli *sc_http;
	const struct enroll *sc_en;
	char sc_box_id[SYNC_BOX_ID_LEN + 1];
	char sc_session[SYNC_BOX_ID_LEN + 1];	/* this cycle */
	const char *sc_audit_dirs[2];	/* ops, login; NULL: not reachable */
	size_t sc_batch_docs;		/* 0: SYNC_BATCH_DOCS */
	size_t sc_batch_bytes;		/* 0: SYNC_BATCH_BYTES */
	int sc_no_bulk_get;		/* the peer lacks _bulk_get */
	struct sync_stats sc_stats;
	/* Local seqs of documents whose every leaf the cloud listed in this
	 * cycle's pull: push skips them (no _revs_diff round for what just
	 * came down). Ascending; reset each cycle. */
	uint64_t *sc_skip;
	size_t sc_nskip, sc_capskip;
	/* Called with each document revision pulled from the cloud before
	 * the store takes it (sync/reset_grants.c: the platform's password
	 * reset grants go to auth); non-zero fails the batch. NULL: none. */
	int (*sc_on_pulled)(void *arg, const char *json, size_t len);
	void *sc_on_pulled_arg;
	enum sync_fail sc_fail;
	char sc_err[SYNC_ERR_MAX];	/* one line, never a secret */
	char sc_refused[SYNC_ERR_MAX];	/* the first revision refused */
};

/* GET / on the cloud: is it there and CouchDB-compatible? */
int sync_probe(struct sync_ctx *c);
/* One full cycle: pull, push, audit. Stops at the first failure. */
int sync_cycle(struct sync_ctx *c);
int sync_pull(struct sync_ctx *c);
int sync_push(struct sync_ctx *c);
int sync_push_audit(struct sync_ctx *c);
/* Local changes not yet pushed (from the push checkpoint). */
int sync_pending(struct sync_ctx *c, uint64_t *pending);

/* Checkpoints for another direction (the audit push): where to start
 * (*since: JSON text kept in *k, valid until the next sync_ckpt_set or
 * sync_ckpt_free), and saving a new seq (JSON text) on both sides. */
int sync_ckpt_get(struct sync_ctx *c, const char *db, const char *direction,
    const char **since, void **k);
int sync_ckpt_set(struct sync_ctx *c, const char *db, void *k,
    const char *seq);
void sync_ckpt_free(void *k);

/* The replication id (hex SHA-256, 32 chars) of a direction ("pull",
 * "push", "audit-ops", ...) for this box, cloud and database. */
void sync_replication_id(const char *box_id, const char *cloud,
    const char *db, const char *direction, char out[SYNC_BOX_ID_LEN + 1]);

#endif
