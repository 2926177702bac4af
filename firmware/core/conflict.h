/*
 * conflict.h: the box's conflict rules, per record type (pure logic, no
 * I/O). After a pull, a document with more than one live leaf is in
 * conflict; the rule of its type says which leaf stays and which are
 * closed (a tombstone on that branch, as a person deleting it would
 * write). The decision depends only on the leaves (their revisions, which
 * of them the cloud has, their edit times), so every peer that applies it
 * reaches the same result, and the tombstones replicate like any edit.
 *
 * - rosters (user, class, membership): the cloud's version wins.
 * - attendance: the latest edited_at wins; the loser is kept in a
 *   resolution record.
 * - submissions, receipts, absence notices (append-only): nothing is
 *   closed; every version stays readable as a leaf; CouchDB's winner is
 *   what lists show.
 * - guidance notes: never resolved by the box; both versions stay for a
 *   teacher to merge (the conflict is exposed by _conflicts and recorded).
 * - any other type: CouchDB's winner stands, nothing is written.
 */
#ifndef CORE_CONFLICT_H
#define CORE_CONFLICT_H

#include <stddef.h>
#include <stdint.h>

#define CONFLICT_MAX_LEAVES	256	/* = REVTREE_MAX_LEAVES */

enum conflict_rule {
	CONFLICT_COUCH_WINNER = 0,	/* no rule: CouchDB's winner */
	CONFLICT_CLOUD_WINS,
	CONFLICT_LAST_WRITER,
	CONFLICT_APPEND_ONLY,
	CONFLICT_MANUAL,
};

struct conflict_leaf {
	const char *cl_rev;
	int cl_from_cloud;	/* the cloud has this revision */
	int64_t cl_edited_at;	/* attendance: edited_at, ms; -1 unknown */
};

struct conflict_decision {
	size_t cd_keep;			/* index of the leaf that stays */
	size_t cd_nclose;		/* leaves to close */
	size_t cd_close[CONFLICT_MAX_LEAVES];
	int cd_record;			/* write a resolution record */
};

#define CONFLICT_RECORD_ID_LEN	(9 + 32)	/* "conflict:" + 32 hex */

/* The id of the record of a conflict: "conflict:" + 32 hex of SHA-256(id
 * NUL, each leaf revision NUL) over the live leaves in the store's order
 * (the winner first), so that the same conflict gets the same record on
 * every peer and a person's merge finds sync's record of it. */
void conflict_record_id(const char *id, const char *const *revs, size_t n,
    char out[CONFLICT_RECORD_ID_LEN + 1]);

/* The types that have a rule (and so records), in a fixed order: i from
 * 0 until it returns NULL. */
const char *conflict_rule_type(size_t i);

/* A teacher's merge request, {"text": "...", "revs": ["N-hash", ...]}
 * (POST /api/v1/conflicts/{id}/resolve), already parsed by yyjson: text a
 * string, revs CONFLICT_MERGE_MIN..CONFLICT_MERGE_MAX valid, distinct
 * revisions. The pointers point into the parsed document. CB_EINVAL with
 * *bad the field at fault ("text" or "revs"), *missing set when it is
 * absent. */
#define CONFLICT_MERGE_MIN	2
#define CONFLICT_MERGE_MAX	16	/* versions one merge may close */

struct conflict_merge_req {
	const char *cm_text;
	const char *cm_revs[CONFLICT_MERGE_MAX];
	size_t cm_nrevs;
};
struct yyjson_val;
int conflict_merge_parse(struct yyjson_val *root,
    struct conflict_merge_req *out, const char **bad, int *missing);

enum conflict_rule conflict_rule_for(const char *type);
const char *conflict_rule_name(enum conflict_rule r);

/* leaves: the live leaves in CouchDB's winning order (the winner first),
 * n >= 2. Returns 0, or CB_EINVAL for bad arguments. */
int conflict_decide(enum conflict_rule rule, const struct conflict_leaf *l,
    size_t n, struct conflict_decision *out);

#endif
