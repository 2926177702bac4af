/*
 * proto.h: the replication protocol's messages (CouchDB replication
 * protocol v3), parsed from the peer's JSON and built for it. Pure: no
 * I/O, no store, so that unit tests and the fuzz targets reach exactly
 * what the sync process runs. Every list is bounded by a named limit;
 * anything past it or of the wrong shape is CB_EPROTO.
 *
 * Sequences are opaque to us: a peer's seq is kept as the JSON text it
 * sent (a number for PouchDB, a string for CouchDB 2+), and given back in
 * since= as that number or that string. A CouchDB 3 seq packs one entry
 * per shard range (node, range, seq, uuid prefix, epoch node) into
 * base64url: 436 bytes at q=16 on one node, about 15.5 KB for a 64-node
 * cluster at q=64 with 255-character node names (docs/sync.md, "CouchDB
 * and PouchDB Server"). So seqs live on the heap, each at most
 * PROTO_SEQ_MAX bytes, never in fixed arrays.
 */
#ifndef SYNC_PROTO_H
#define SYNC_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "store/doc.h"
#include "store/revtree.h"

#define PROTO_SEQ_MAX		(32u * 1024) /* bytes of a peer's seq as JSON:
					 * twice a 64-node q=64 cluster's */
#define PROTO_MAX_RESULTS	10000	/* rows in one _changes answer */
#define PROTO_MAX_REVS		REVTREE_MAX_LEAVES /* revisions per row */
#define PROTO_SESSION_MAX	64
#define PROTO_HISTORY_MAX	10	/* checkpoint history entries kept */

/* ---- _changes?style=all_docs ---- */
struct proto_change {
	const char *pc_id;
	size_t pc_nrevs;
	const char **pc_revs;		/* the leaf revisions */
	int pc_deleted;
	const void *pc_doc;		/* include_docs: the winner, or NULL */
};

struct proto_changes {
	void *pcs_doc;			/* owns the strings */
	struct proto_change *pcs_rows;
	size_t pcs_n;
	char *pcs_last_seq;		/* JSON text, malloc'd */
	const char **pcs_revs;		/* storage for every pc_revs */
};
int proto_parse_changes(const char *json, size_t len,
    struct proto_changes *out);
void proto_changes_free(struct proto_changes *c);
/* A row of _changes?include_docs=true whose only revision is of the first
 * generation, with that revision's document inline: that document with
 * "_revisions": {"start": 1, "ids": [hash]} added, malloc'd, ready for
 * store_put_batch_edits(..., new_edits 0, ...) as _bulk_get's would be (a
 * first revision has no history to ask for). CB_ENOTFOUND for any other
 * row (more revisions, a later generation, no doc, another _rev,
 * attachments, a _revisions of its own): those go through _bulk_get. */
int proto_change_first_gen_doc(const struct proto_change *pc, char **json,
    size_t *len);

/* ---- _revs_diff answer: {"id": {"missing": [...]}, ...} ---- */
struct proto_missing {
	const char *pm_id;
	size_t pm_nrevs;
	const char **pm_revs;
};
struct proto_revs_diff {
	void *prd_doc;
	struct proto_missing *prd_rows;
	size_t prd_n;
	size_t prd_total;		/* revisions missing in all */
	const char **prd_revs;
};
int proto_parse_revs_diff(const char *json, size_t len, size_t max_ids,
    struct proto_revs_diff *out);
void proto_revs_diff_free(struct proto_revs_diff *d);

/* ---- documents fetched: _bulk_get and GET ?open_revs ---- */
/* Called for each document the peer sent, as compact JSON (with _id, _rev
 * and _revisions). A non-zero return stops the walk and is returned. */
typedef int (*proto_doc_fn)(void *arg, const char *json, size_t len);
/* {"results":[{"id":..,"docs":[{"ok":{doc}}|{"error":{..}}]}]}: *errors
 * counts the {"error":..} entries (revisions the peer could not give). */
int proto_parse_bulk_get(const char *json, size_t len, proto_doc_fn fn,
    void *arg, size_t *errors);
/* [{"ok":{doc}}|{"missing":"rev"}] */
int proto_parse_open_revs(const char *json, size_t len, proto_doc_fn fn,
    void *arg, size_t *missing);

/* ---- _bulk_docs answer (new_edits=false): [{"id","rev"}|{"error"}] ---- */
struct proto_bulk_result {
	size_t pbr_ok;
	size_t pbr_errors;
	char pbr_first_error[160];	/* "id: error: reason", trimmed */
};
int proto_parse_bulk_docs(const char *json, size_t len,
    struct proto_bulk_result *out);

/* ---- checkpoints (_local/<replication id>) ---- */
/* A parsed checkpoint owns its seqs (free with proto_checkpoint_free);
 * all zero is "none" (ck_rev "", ck_seq NULL). */
struct proto_checkpoint {
	char ck_rev[REV_MAX + 1];	/* "" when the peer has none */
	char ck_session[PROTO_SESSION_MAX + 1];
	char *ck_seq;			/* source_last_seq, JSON text */
	size_t ck_nhist;
	struct {
		char h_session[PROTO_SESSION_MAX + 1];
		char *h_seq;		/* recorded_seq, JSON text */
	} ck_hist[PROTO_HISTORY_MAX];
};
int proto_parse_checkpoint(const char *json, size_t len,
    struct proto_checkpoint *out);
void proto_checkpoint_free(struct proto_checkpoint *ck);
/* The checkpoint document that follows prev (its _rev when prev has one)
 * for this session at seq: malloc'd, NUL-terminated. The session goes
 * first in the history, then prev's other sessions (PROTO_HISTORY_MAX in
 * all). */
int proto_build_checkpoint(const char *local_id,
    const struct proto_checkpoint *prev, const char *session,
    const char *seq, char **out, size_t *outlen);
/* After the document was saved: ck takes its new rev, session and (a
 * copy of) seq. CB_ENOMEM leaves ck as it was. */
int proto_checkpoint_saved(struct proto_checkpoint *ck, const char *rev,
    const char *session, const char *seq);
/* Where to start, from the source's and the target's checkpoint
 * (CouchDB's rule): the same session: its seq; else the newest session
 * in both histories: its seq; else "0" (from the beginning). The answer
 * points into a, or is the static "0". */
const char *proto_checkpoint_since(const struct proto_checkpoint *a,
    const struct proto_checkpoint *b);

/* since= for a URL: the number as is, a string's contents percent-encoded;
 * *out malloc'd. CB_EPROTO when seq_json is neither. */
int proto_seq_query(const char *seq_json, char **out);

/* ---- the peer's welcome (GET /) and database info ---- */
/* 1 when the JSON is an object with "couchdb" or "express-pouchdb" (a
 * CouchDB-compatible server). */
int proto_is_couch_welcome(const char *json, size_t len);

#endif
