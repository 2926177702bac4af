/*
 * export.h: the admins' export, shared by its three files (docs/api.md
 * "Export"); nothing outside api/export*.c sees it.
 *
 *   export.c          the stream: records, conflict versions, files, CSVs,
 *                     the manifest and the ZIP's directory
 *   export_logs.c     the two logs with their heads (the login log comes
 *                     from auth, a page at a time: the stream waits)
 *   export_receipt.c  what the box remembers of the last whole export
 *                     (its SHA-256), the admin's confirmation, and the
 *                     termination's question "was everything exported?"
 *                     (terminate.c includes this header for that alone)
 */
#ifndef API_EXPORT_H
#define API_EXPORT_H

#include <stdint.h>

#include <mbedtls/sha256.h>

#include "api/api_impl.h"
#include "audit/audit.h"
#include "auth/authproto.h"
#include "base/buf.h"
#include "core/export_plan.h"
#include "core/records.h"
#include "core/zip.h"
#include "store/store.h"

#define EXPORT_BATCH		256	/* changes read per store call */
#define EXPORT_LOG_BATCH	128	/* operation-log entries per step */
#define EXPORT_NAME_SLOTS	512	/* names cached (a direct map) */
#define EXPORT_RECEIPT_FILE	"web/export-receipt.json" /* in DATA: web's */
#define EXPORT_ACTION_DONE	"export.complete"
#define EXPORT_ACTION_NOTES	"export.guidance_notes"
#define EXPORT_ACTION_CONFIRM	"export.confirm"

enum export_phase {
	XP_JSON_BEGIN, XP_JSON_RECORDS, XP_JSON_END,
	XP_CONFLICTS_BEGIN, XP_CONFLICTS, XP_CONFLICTS_END,
	XP_FILES,
	XP_CSV_BEGIN, XP_CSV_ROWS, XP_CSV_END,
	XP_LOGS_BEGIN, XP_LOGS_HEADS, XP_LOGS_OPS, XP_LOGS_LOGIN_BEGIN,
	XP_LOGS_LOGIN, XP_LOGS_END,
	XP_MANIFEST, XP_CENTRAL, XP_DONE,
};

struct export_name {
	char n_id[REC_ID_MAX + 1];	/* "user:..." or "class:..." */
	char n_name[REC_TITLE_MAX + 1];	/* "" when there is none */
};

/* One log's place in the export. */
struct export_log {
	struct audit_link l_head, l_anchor;	/* the snapshot exported */
	uint64_t l_next;			/* the next seq to write */
	uint64_t l_written;
	int l_have;				/* head and anchor known */
};

struct api_export {
	struct api *x_api;
	struct api_export *x_next;
	struct http_exchange *x_ex;	/* the stream's, until done */
	uint64_t x_id;
	char x_uid[AUTH_UID_MAX];
	char x_peer[64];
	uint8_t x_token[AUTH_TOKEN_LEN];	/* for auth's login log */
	int64_t x_started_ms;
	uint64_t x_store_seq;		/* the store's last change at start */
	int x_terminating;		/* the school's state at start */
	struct zip_writer x_zip;
	enum export_phase x_phase;
	int x_type;			/* the CSV being written */
	struct export_col x_cols[EXPORT_COLS_MAX];	/* its columns */
	size_t x_ncols;
	uint64_t x_since;		/* changes feed position */
	struct store_change x_ch[EXPORT_BATCH];
	size_t x_nch, x_ich;
	int x_first;
	size_t x_central;		/* directory records written */
	/* counts, for progress and the manifest */
	uint64_t x_total, x_json_done, x_csv_done, x_bytes;
	uint64_t x_by_type[REC_TYPE_COUNT + 1];	/* + other documents */
	uint64_t x_conflicts, x_files, x_file_bytes;
	/* the logs */
	struct export_log x_ops, x_login;
	struct audit_entry *x_page;	/* a page of the login log */
	size_t x_page_n, x_page_i;
	int x_waiting;			/* a call to auth is out */
	int x_orphan;			/* done came while waiting: the
					 * reply frees x */
	int x_failed;			/* a step failed: the stream ends */
	/* the stream's SHA-256, for the receipt */
	mbedtls_sha256_context x_sha;
	struct export_name *x_names;	/* EXPORT_NAME_SLOTS */
	struct cb_buf x_pend;		/* bytes produced, not yet sent */
	size_t x_pend_off;		/* ... of which sent */
};

/* export.c: the pending buffer and ZIP entries. */
int export_raw(struct api_export *x, const void *p, size_t n);
int export_data(struct api_export *x, const void *p, size_t n);
int export_str(struct api_export *x, const char *s);
int export_begin(struct api_export *x, const char *name);
int export_end(struct api_export *x);

/* Free x (its stream is over, no call to auth is out). */
void export_free(struct api_export *x);

/* export_logs.c: one step of the XP_LOGS_* phases; HTTP_STREAM_WAIT
 * when it asked auth and the stream must wait. */
int export_logs_step(struct api_export *x);
/* export_receipt.c */
void export_receipt_done(struct api_export *x, const uint8_t sha[32]);
/* 1 when the last whole export was confirmed and nothing changed since;
 * else 0 with why (a sentence, English and Japanese). */
int export_receipt_ok(struct api *a, char *why, size_t size, char *why_ja,
    size_t size_ja);
/* An error answer of our own: {"error":{"code","message","message_ja"}}. */
int export_refuse(struct api_req *r, int status, const char *code,
    const char *en, const char *ja);

#endif
