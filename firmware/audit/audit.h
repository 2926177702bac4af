/*
 * audit.h: the login log and the operation log: append-only, hash-chained,
 * kept 5 years. docs/audit.md is the full story; in short:
 *
 * - One LMDB environment per log (DATA/audit/login, written by auth only;
 *   DATA/audit/ops, written by web only), through store/kv.h.
 * - Table "entries": key = sequence number (8 bytes, big-endian, so LMDB's
 *   order is numeric order); value = the entry, sealed (store/seal.h,
 *   AES-256-GCM, associated data "audit/<log>" + "entry") under the log's
 *   own data key, wrapped by a keystore like the classroom store's.
 * - hash(entry) = SHA-256(prev_hash || body), body = audit_entry_encode()
 *   without the trailing prev_hash; prev_hash of the first entry is zero.
 * - Table "meta": the chain head (seq, hash, time) and, after a purge, the
 *   anchor (seq, hash, time of the last purged entry), both sealed too.
 *
 * Every append is one durable LMDB commit (kv.h never skips the fsync).
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "clock/clock.h"

struct keystore;

#define AUDIT_HASH_LEN		32
/* Kept 5 years: 5 * 365 days + 2 leap days, in ms. */
#define AUDIT_RETENTION_MS	((5LL * 365 + 2) * 24 * 3600 * 1000)
#define AUDIT_MAX_ACTOR		63	/* a login id (AUTH_UID_MAX - 1) */
#define AUDIT_MAX_ACTION	63	/* "login", "record.update", ... */
#define AUDIT_MAX_TARGET	127	/* a record id */
#define AUDIT_MAX_RESULT	31	/* "ok", "denied", "wrong_password", ... */
#define AUDIT_MAX_CLIENT	63	/* a client address (AUTH_ADDR_MAX - 1) */
#define AUDIT_MAX_AGENT		255	/* a user agent, truncated by the caller */
#define AUDIT_BATCH_MAX		10000	/* entries per audit_append_batch */
/* LMDB map of a log: an upper bound of address space, not a file size (the
 * file grows as entries come). 5 years of a large school's operation log
 * are tens of millions of entries at ~280 bytes each (docs/benchmarks.md):
 * the store's 1 GiB default would fill in months, so a log may grow to
 * what the disk holds (the disk levels in api/disk.h warn long before). */
#define AUDIT_MAP_SIZE		((size_t)64 << 30)
#define AUDIT_PURGE_BATCH	10000	/* entries deleted per commit */
#define AUDIT_QUERY_MAX_PAGE	500	/* entries returned per audit_query */
#define AUDIT_QUERY_MAX_SCAN	100000	/* entries examined per audit_query */
/* The largest encoded body: fixed part plus the six strings. */
#define AUDIT_ENCODED_MAX	(1 + 8 + 8 + 1 + 4 + 1 + 6 * 2 + \
	AUDIT_MAX_ACTOR + AUDIT_MAX_ACTION + AUDIT_MAX_TARGET + \
	AUDIT_MAX_RESULT + AUDIT_MAX_CLIENT + AUDIT_MAX_AGENT + AUDIT_HASH_LEN)

#define AUDIT_LOG_LOGIN		"login"
#define AUDIT_LOG_OPS		"ops"

enum audit_kind {
	AUDIT_KIND_LOGIN = 1,		/* a login attempt (auth) */
	AUDIT_KIND_OPERATION = 2,	/* create, update, delete, read (web) */
};

/* What a writer supplies. Strings are UTF-8 without controls; NULL is "". */
struct audit_record {
	int ar_kind;
	const char *ar_actor;	/* user id; for a failed login, as typed */
	const char *ar_action;
	const char *ar_target;	/* record id, or "" */
	const char *ar_result;
	const char *ar_client;	/* client address */
	const char *ar_agent;	/* user agent (login log), or "" */
};

/* An entry as stored. */
struct audit_entry {
	uint64_t ae_seq;
	int64_t ae_time_ms;
	uint8_t ae_time_state;		/* enum clock_state */
	uint32_t ae_error_ms;
	uint8_t ae_kind;
	char ae_actor[AUDIT_MAX_ACTOR + 1];
	char ae_action[AUDIT_MAX_ACTION + 1];
	char ae_target[AUDIT_MAX_TARGET + 1];
	char ae_result[AUDIT_MAX_RESULT + 1];
	char ae_client[AUDIT_MAX_CLIENT + 1];
	char ae_agent[AUDIT_MAX_AGENT + 1];
	uint8_t ae_prev_hash[AUDIT_HASH_LEN];
	uint8_t ae_hash[AUDIT_HASH_LEN];	/* computed, not stored */
};

/* The chain head or the anchor. seq 0 means none. */
struct audit_link {
	uint64_t al_seq;
	int64_t al_time_ms;
	uint8_t al_hash[AUDIT_HASH_LEN];
};

struct audit_log;

/* Open (create) the log named name ("login" or "ops") in directory dir.
 * ks NULL: the file keystore in dir (a 0600 kek file). clk is used to stamp
 * appends and to check purges; NULL opens the log for reading, verifying
 * and tests that pass times explicitly. */
int audit_open(struct audit_log **lp, const char *dir, const char *name,
    struct clock *clk, struct keystore *ks);
void audit_close(struct audit_log *log);

/* Append one entry in one durable commit; its sequence number in *seq_out
 * (may be NULL). Time: clock_stamp(), never below the chain head's time. */
int audit_append(struct audit_log *log, const struct audit_record *r,
    uint64_t *seq_out);
/* Append n (<= AUDIT_BATCH_MAX) entries in one durable commit; all or
 * none. The first sequence number in *first_seq (may be NULL). */
int audit_append_batch(struct audit_log *log, const struct audit_record *r,
    size_t n, uint64_t *first_seq);

/* The chain head (what the cloud upload carries) and the anchor. */
int audit_head(struct audit_log *log, struct audit_link *head,
    struct audit_link *anchor);

enum audit_problem {
	AUDIT_INTACT = 0,
	AUDIT_CHANGED,		/* an entry's content or hash no longer fits */
	AUDIT_REMOVED,		/* a sequence gap, or the end cut off */
	AUDIT_REORDERED,	/* an entry at another position, or time order */
	AUDIT_UNREADABLE,	/* the head, anchor or key cannot be read */
};

struct audit_verify_result {
	uint64_t av_entries;	/* entries checked */
	enum audit_problem av_problem;
	uint64_t av_seq;	/* the first broken entry's sequence number */
	char av_what[200];	/* in words, e.g. "entry 12 was changed (...)" */
};

/* Walk the whole chain from the anchor to the head. Returns 0 when the
 * walk completed (intact or not: see av_problem), CB_E* when it could not
 * run. */
int audit_verify(struct audit_log *log, struct audit_verify_result *out);

/* Delete the entries older than both before_ms and the retention period
 * (AUDIT_RETENTION_MS before the clock's time) that the cloud already has
 * (seq <= uploaded_through), oldest first, stopping at the first entry
 * that must stay. The last purged entry becomes the anchor. CB_ESTATE when
 * the clock is not synced: a wrong clock must never purge. */
int audit_purge(struct audit_log *log, int64_t before_ms,
    uint64_t uploaded_through, uint64_t *purged_out);

/*
 * The "uploaded up to" marker (docs/audit.md, Retention). The sync process
 * sets it once the cloud has confirmed it stored (and verified) entries
 * 1..seq; it never goes down (a lower seq is CB_ESTATE) and never past the
 * head (CB_EINVAL). Kept sealed in the log's meta table ("uploaded"),
 * written in one durable commit. 0 until the first upload.
 */
int audit_set_uploaded(struct audit_log *log, uint64_t seq);
int audit_uploaded(struct audit_log *log, uint64_t *seq);

/* audit_purge with uploaded_through = the stored marker: the retention job
 * (`classbox audit purge`) calls this, so nothing the cloud lacks goes. */
int audit_purge_uploaded(struct audit_log *log, int64_t before_ms,
    uint64_t *purged_out);

/* Termination (docs/operations.md): destroy the log's data key for good.
 * The wrapped key in meta is overwritten and synced, then the keystore's
 * KEK is erased. Afterwards every call but audit_close fails (CB_ESTATE)
 * and a reopen fails with CB_ECRYPTO. head (may be NULL) receives the
 * chain head as it was, for the termination record. */
int audit_crypto_erase(struct audit_log *log, struct audit_link *head);

/* Filters for the admin views. Zero/NULL fields match anything. */
struct audit_query {
	const char *aq_actor;	/* exact user id */
	const char *aq_action;	/* exact action */
	int aq_kind;		/* enum audit_kind, 0 any */
	int64_t aq_from_ms;	/* time >= from */
	int64_t aq_to_ms;	/* time < to; 0 open */
	int aq_newest_first;
	uint64_t aq_cursor;	/* 0: from the start (or end); else a returned cursor */
	size_t aq_limit;	/* <= AUDIT_QUERY_MAX_PAGE; 0 means the maximum */
};

/* Up to aq_limit matching entries into out[] (room for aq_limit or
 * AUDIT_QUERY_MAX_PAGE), their count in *n_out, and the cursor of the next
 * page in *next_cursor (0: no more). A page may come back short (even
 * empty) with a non-zero cursor when AUDIT_QUERY_MAX_SCAN entries were
 * examined: call again with the cursor. */
int audit_query(struct audit_log *log, const struct audit_query *q,
    struct audit_entry *out, size_t *n_out, uint64_t *next_cursor);

/* Entries from seq from (the anchor's next when lower) through seq
 * through (0 or past the head: the head), oldest first, at most max
 * (<= AUDIT_QUERY_MAX_PAGE), decoded with their hashes; the head and the
 * anchor as of the same read (may be NULL). The admins' export walks a
 * log with it (api/export.c): a missing entry is an error, not a gap. */
int audit_read(struct audit_log *log, uint64_t from, uint64_t through,
    struct audit_entry *out, size_t max, size_t *n_out,
    struct audit_link *head, struct audit_link *anchor);

/* The canonical encoding: version 1 | seq u64 | time i64 | time_state u8 |
 * error_ms u32 | kind u8 | 6 x (len u16 | UTF-8 bytes) | prev_hash[32], all
 * integers big-endian, strings in the order actor, action, target, result,
 * client, agent. Returns the length written (<= AUDIT_ENCODED_MAX). */
size_t audit_entry_encode(const struct audit_entry *e, uint8_t *out);
/* Decode and check an encoding (bounds, UTF-8, known kind and state); fills
 * e including ae_hash. CB_EINVAL when malformed. The fuzzed parser. */
int audit_entry_decode(const uint8_t *in, size_t len, struct audit_entry *e);

const char *audit_kind_name(int kind);

#endif
