/*
 * doc.h: CouchDB-style JSON documents: parsing what a client or a
 * replication peer sends, the canonical body, new revision ids, and the JSON
 * handed back. No storage here (store.c keeps documents, revtree.c their
 * histories).
 *
 * A document is a JSON object. Fields starting with '_' are CouchDB's:
 * _id (required), _rev, _deleted, _revisions (new_edits=false); _conflicts,
 * _deleted_conflicts, _revs_info and _local_seq are ignored on input as
 * CouchDB does; any other '_' field is refused. Every other field is the
 * body, stored as canonical JSON (object keys sorted by bytes, no spaces,
 * numbers exactly as written).
 *
 * Document ids are opaque identifiers, never names or other personal data:
 * they are stored in clear as LMDB keys, e.g.
 * "attendance:2026-04-10:3-2:s0123:1". Ids under "_local/" are local
 * documents (replication checkpoints).
 */
#ifndef DOC_H
#define DOC_H

#include <stddef.h>
#include <stdint.h>

#include "store/revtree.h"

#define DOC_MAX_SIZE		(1024 * 1024)	/* bytes of JSON in */
#define DOC_ID_MAX		200	/* bytes of _id */
#define DOC_TYPE_MAX		40	/* bytes of type */
#define DOC_MAX_DEPTH		64	/* nesting of objects and arrays */
#define DOC_LOCAL_PREFIX	"_local/"
#define DOC_HASH_LEN		32	/* hex MD5 of a new revision */

struct doc_input {
	void *di_json;			/* the parsed document (owns strings) */
	const char *di_id;
	size_t di_idlen;
	int di_local;			/* the id starts with _local/ */
	int di_has_rev;
	const char *di_rev;		/* _rev as given */
	size_t di_revlen;
	uint32_t di_local_rev;		/* _local docs: N of "0-N" */
	uint32_t di_gen;		/* of _rev */
	const char *di_hash;		/* of _rev */
	size_t di_hashlen;
	int di_deleted;
	struct rev_path di_path;	/* _rev with its _revisions ancestry */
	const char **di_path_ids;
	size_t *di_path_lens;
	char *di_body;			/* canonical JSON of the body */
	size_t di_bodylen;
};

/* Parse a document. new_edits=0 (replication) requires _rev and takes
 * _revisions. On error, a message for a person goes to err. */
int doc_parse(const char *json, size_t len, int new_edits,
    struct doc_input *d, char *err, size_t errsize);
void doc_input_free(struct doc_input *d);

/* 1 when id is an acceptable document id (without the _local/ rule). */
int doc_id_valid(const char *id, size_t len);

/* The hash of a new revision: lowercase hex MD5 over the deleted flag
 * ("0" or "1"), the parent revision ("" for a first one), a NUL, and the
 * canonical body. The same edit of the same parent gives the same revision
 * on every box, as in CouchDB (whose input differs: its revisions are its
 * own; only their shape, N-<32 hex>, matches). */
int doc_new_hash(int deleted, const char *parent_rev, const char *body,
    size_t bodylen, char out[DOC_HASH_LEN + 1]);

/* What to put into a composed document besides _id, _rev and the body. */
struct doc_extra {
	int de_deleted;
	const char *const *de_conflicts;	/* revisions, or NULL */
	size_t de_nconflicts;
	uint32_t de_rev_start;		/* _revisions, when de_nrevs > 0 */
	const char *const *de_rev_ids;	/* newest first */
	size_t de_nrevs;
};

/* The JSON of a document: {"_id":..,"_rev":..,extras..,body fields..}.
 * *out is malloc'd and NUL-terminated. */
int doc_compose(const char *id, const char *rev, const char *body,
    size_t bodylen, const struct doc_extra *x, char **out, size_t *outlen);

#endif
