/*
 * export_log.h: the login and operation logs as they leave the box in the
 * admins' export (api/export.c), and the check of such a copy on a
 * machine with no box (`classbox audit verify --export FILE`,
 * export_verify.c). docs/audit.md, "The logs in the export".
 *
 * The chain (audit.h) is over the plaintext encoding of each entry, not
 * over its sealed bytes: hash = SHA-256(prev_hash || body). So a copy that
 * carries every field of every entry in clear, plus the anchor and the
 * head, can be checked with no key: the checker re-encodes each line,
 * recomputes the chain and compares its end with the head.
 *
 * A log is one JSON object a line (logs/<log>.jsonl), oldest first, the
 * keys in this order:
 *   {"seq":12,"time":"2026-12-08T08:15:59.123+09:00","time_ms":...,
 *    "time_state":"synced","error_ms":40,"kind":"operation",
 *    "actor":"...","action":"...","target":"...","result":"...",
 *    "client":"...","agent":"...","prev_hash":"<64 hex>",
 *    "hash":"<64 hex>"}
 * "time" is time_ms in school time, for people (checked to agree);
 * "hash" is the entry's own hash (what the next line's prev_hash holds),
 * so that a change is pinned to the line that was changed.
 */
#ifndef EXPORT_LOG_H
#define EXPORT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"

/* Bytes of one line, newline included: the six strings escaped at worst
 * (two bytes for a quote or backslash) plus the fixed part. */
#define AUDIT_LINE_MAX		2048
#define AUDIT_HEADS_FILE	"logs/heads.json"
/* Bytes of an exported log the checker reads in memory at most: 5 years
 * of a large school's operation log are a few GB (docs/benchmarks.md). */
#define AUDIT_EXPORT_MAX	((uint64_t)4 << 30)

/* One entry as its line (with the newline) into out; the length, or 0
 * when out is too small (never with AUDIT_LINE_MAX). */
size_t audit_line_format(const struct audit_entry *e, char *out,
    size_t size);
/* A line (without its newline) back into an entry, ae_hash recomputed;
 * CB_EINVAL with why when it is not a line of this format or a field
 * disagrees (the "time" with time_ms, "hash" with the content). */
int audit_line_parse(const char *line, size_t len, struct audit_entry *e,
    char *why, size_t why_size);

/* A link as {"seq":N,"time_ms":N,"hash":"<hex>"} into out (>= 128). */
size_t audit_link_format(const struct audit_link *l, char *out, size_t size);

/* What the check of one exported log found (audit_verify_result's words,
 * and the line). */
struct audit_export_result {
	struct audit_verify_result ax_r;
	uint64_t ax_line;		/* the first bad line, 1-based; 0 none */
};

/* Check one exported log (the bytes of logs/<log>.jsonl) against its
 * anchor and head from logs/heads.json. Always completes: the finding is
 * in out (AUDIT_INTACT or the first problem). */
void audit_export_check(const char *jsonl, size_t len,
    const struct audit_link *anchor, const struct audit_link *head,
    struct audit_export_result *out);

/*
 * Check a whole export (a ZIP held in memory): its archive (every CRC-32),
 * its manifest, and both logs against logs/heads.json. Writes a report
 * for people to out (one line a finding) and returns 0 when all is
 * intact, 1 when something was altered, removed or reordered, 2 when it
 * is not an export that can be checked.
 */
int audit_export_verify(const uint8_t *zip, size_t len, char *report,
    size_t report_size);
/* The same for a file (the ZIP as downloaded) or a folder (the export
 * unpacked: its files are checked, there are no CRCs). The file's SHA-256
 * in sha256_hex ("" for a folder), to compare with the digest the box
 * recorded (docs/operations.md). */
int audit_export_verify_path(const char *path, char *report, size_t size,
    char sha256_hex[65]);
/* `classbox audit verify --export PATH`: the report on stdout; 0, 1 or 2
 * as audit_export_verify. */
int audit_export_verify_main(const char *path);

#endif
