/*
 * export.c: the admins' download of everything the school holds (issue 5,
 * item 6; issue 17, item 1; docs/api.md "Export").
 *
 * GET /api/v1/export            a ZIP (stored entries, core/zip.h), streamed
 *                               with chunked transfer coding (net/http.h
 *                               http_stream), in this order:
 *     export.json               every document of the store, its winning
 *                               version (with "_conflicts" when it has
 *                               some); a file's bytes are not in it: its
 *                               record says "path" instead of "data"
 *     conflict_versions.json    the other live versions of documents in
 *                               conflict
 *     files/<id>/<name>         each file, byte for byte
 *     <type>.csv                one per record type, for people: UTF-8
 *                               with a BOM, Japanese headers, the name of
 *                               a person or class beside each id
 *                               (core/export_plan.h)
 *     logs/heads.json, logs/ops.jsonl, logs/login.jsonl   both logs with
 *                               their chain heads (export_logs.c)
 *     manifest.json             counts, heads, and how many entries the
 *                               archive holds (the last entry)
 *   Headers: X-Export-Records (the documents counted at the start),
 *   X-Export-Id. Guidance notes are exported whatever the admin's grants:
 *   the export is the admin's duty before the keys are destroyed, and the
 *   operation log says who did it ("export.guidance_notes").
 * GET /api/v1/export/progress   the running exports: phase, counts, bytes.
 * POST /api/v1/export/confirm   the admin's check of the download
 *                               (export_receipt.c).
 *
 * Memory per export: one HTTP_STREAM_CHUNK in the server plus the largest
 * document (DOC_MAX_SIZE) pending here, a cache of names, and a few bytes
 * per ZIP entry for its directory, however big the school. Each piece is
 * produced when the previous one has gone out; a client that leaves ends
 * the export (done with completed 0). The records are read one by one in
 * their own read transactions: a record changed during the export appears
 * once, in the version read at that moment (and the receipt's store
 * position then says the export is not the last word: export_receipt.c).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "api/classroom.h"
#include "api/export.h"
#include "base/buf.h"
#include "base/cb.h"
#include "core/export_plan.h"

#define EXPORT_MAX_ACTIVE	2	/* exports at once: each walks the store */
#define EXPORT_CELL_MAX		(64 * 1024)	/* bytes of one CSV cell */
#define EXPORT_PEND_MAX		(2 * DOC_MAX_SIZE + 2 * EXPORT_CELL_MAX)
#define EXPORT_CENTRAL_BURST	(64 * 1024)	/* directory bytes per step */

/* ---- the pending buffer -------------------------------------------- */

int
export_raw(struct api_export *x, const void *p, size_t n)
{
	return cb_buf_add(&x->x_pend, p, n);
}

/* Entry data: counted into the entry's CRC-32 and size. */
int
export_data(struct api_export *x, const void *p, size_t n)
{
	int rc = zip_data(&x->x_zip, p, n);

	return rc == CB_OK ? export_raw(x, p, n) : rc;
}

int
export_str(struct api_export *x, const char *s)
{
	return export_data(x, s, strlen(s));
}

int
export_begin(struct api_export *x, const char *name)
{
	uint8_t h[ZIP_LOCAL_MAX];
	size_t n;
	int rc = zip_begin(&x->x_zip, name, h, &n);

	return rc == CB_OK ? export_raw(x, h, n) : rc;
}

int
export_end(struct api_export *x)
{
	uint8_t d[ZIP_DESC_LEN];
	size_t n;
	int rc = zip_end(&x->x_zip, d, &n);

	return rc == CB_OK ? export_raw(x, d, n) : rc;
}

/* ---- which records -------------------------------------------------- */

/* The record type of an id ("attendance:..." -> REC_ATTENDANCE), or
 * REC_TYPE_COUNT for any other document (system notices, sync's records
 * of conflicts): everything in the store is exported. */
static int
x_type_of(const char *id)
{
	const char *colon = strchr(id, ':');
	size_t n = colon ? (size_t)(colon - id) : strlen(id);
	int t = rec_type_from_name(id, n);

	return t >= 0 ? t : REC_TYPE_COUNT;
}

/* The next live document (only: of one type, or -1 for all); NULL at the
 * end of the feed. */
static const struct store_change *
x_next_change(struct api_export *x, int only, int *rc)
{
	struct store *s = x->x_api->a_store;

	*rc = CB_OK;
	for (;;) {
		if (x->x_ich == x->x_nch) {
			x->x_ich = x->x_nch = 0;
			if ((*rc = store_changes(s, x->x_since, x->x_ch,
			    EXPORT_BATCH, &x->x_nch)) != CB_OK ||
			    x->x_nch == 0)
				return NULL;
		}
		const struct store_change *ch = &x->x_ch[x->x_ich++];

		x->x_since = ch->sc_seq;
		if (!ch->sc_deleted && (only < 0 || x_type_of(ch->sc_id) ==
		    only))
			return ch;
	}
}

static void
x_rewind(struct api_export *x)
{
	x->x_since = 0;
	x->x_ich = x->x_nch = 0;
}

static int
x_count(struct api_export *x)
{
	int rc;

	x_rewind(x);
	while (x_next_change(x, -1, &rc) != NULL)
		x->x_total++;
	x_rewind(x);
	return rc;
}

/* ---- export.json ---------------------------------------------------- */

static int
x_json_begin(struct api_export *x)
{
	char head[256];
	int rc;

	snprintf(head, sizeof(head), "{\"format\":\"classbox-export\","
	    "\"version\":2,\"export_id\":%" PRIu64 ",\"exported_ms\":%lld,"
	    "\"school_state\":\"%s\",\"records\":[", x->x_id,
	    (long long)x->x_started_ms, x->x_terminating ? "terminating" :
	    "active");
	if ((rc = export_begin(x, "export.json")) != CB_OK)
		return rc;
	x->x_first = 1;
	x->x_phase = XP_JSON_RECORDS;
	return export_str(x, head);
}

/* A file's record: its bytes are a file of the ZIP, so "data" gives way
 * to "path". */
static int
x_file_record(struct api_export *x, const struct store_doc *sd)
{
	yyjson_doc *d = yyjson_read(sd->sd_json, sd->sd_len, 0);
	yyjson_mut_doc *m = d ? yyjson_doc_mut_copy(d, NULL) : NULL;
	yyjson_mut_val *root = m ? yyjson_mut_doc_get_root(m) : NULL;
	const char *id = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d),
	    "_id")), *name = yyjson_get_str(yyjson_obj_get(
	    yyjson_doc_get_root(d), "name"));
	char path[ZIP_NAME_MAX + 1], *w = NULL;
	size_t n;
	int rc = CB_ENOMEM;

	if (root != NULL && id != NULL && name != NULL &&
	    export_plan_file_path(id, name, path, sizeof(path)) == CB_OK &&
	    yyjson_mut_obj_remove_key(root, "data") != NULL &&
	    yyjson_mut_obj_add_strcpy(m, root, "path", path) &&
	    (w = yyjson_mut_write(m, 0, &n)) != NULL)
		rc = export_data(x, w, n);
	free(w);
	yyjson_mut_doc_free(m);
	yyjson_doc_free(d);
	return rc;
}

static int
x_json_record(struct api_export *x)
{
	const struct store_change *ch;
	struct store_doc sd;
	char tail[96];
	int rc, t;

	if ((ch = x_next_change(x, -1, &rc)) == NULL) {
		if (rc != CB_OK)
			return rc;
		snprintf(tail, sizeof(tail), "\n],\"record_count\":%" PRIu64
		    "}\n", x->x_json_done);
		x->x_phase = XP_JSON_END;
		return export_str(x, tail);
	}
	if (store_get(x->x_api->a_store, ch->sc_id, NULL, STORE_GET_CONFLICTS,
	    &sd) != CB_OK)
		return CB_OK;		/* deleted meanwhile */
	t = x_type_of(ch->sc_id);
	rc = export_str(x, x->x_first ? "\n" : ",\n");
	if (rc == CB_OK)
		rc = t == REC_FILE ? x_file_record(x, &sd) :
		    export_data(x, sd.sd_json, sd.sd_len);
	store_doc_free(&sd);
	x->x_first = 0;
	x->x_json_done++;
	x->x_by_type[t]++;
	return rc;
}

/* ---- conflict_versions.json ----------------------------------------- */

/* The live leaves of one document other than its winner. */
static int
x_conflict_doc(struct api_export *x, const char *id)
{
	struct store_doc_info info;
	struct store_doc sd;
	int rc;

	if (store_doc_info(x->x_api->a_store, id, &info) != CB_OK)
		return CB_OK;		/* gone meanwhile */
	rc = CB_OK;
	for (size_t i = 1; i < info.si_nleaves && rc == CB_OK; i++) {
		if (info.si_leaves[i].sl_deleted ||
		    store_get(x->x_api->a_store, id, info.si_leaves[i].sl_rev,
		    0, &sd) != CB_OK)
			continue;
		rc = export_str(x, x->x_first ? "\n" : ",\n");
		if (rc == CB_OK)
			rc = export_data(x, sd.sd_json, sd.sd_len);
		store_doc_free(&sd);
		x->x_first = 0;
		x->x_conflicts++;
	}
	store_doc_info_free(&info);
	return rc;
}

static int
x_conflicts(struct api_export *x)
{
	const struct store_change *ch;
	char tail[96];
	int rc;

	if (x->x_phase == XP_CONFLICTS_BEGIN) {
		x_rewind(x);
		x->x_first = 1;
		x->x_phase = XP_CONFLICTS;
		if ((rc = export_begin(x, "conflict_versions.json")) != CB_OK)
			return rc;
		return export_str(x, "{\"format\":\"classbox-conflict-"
		    "versions\",\"version\":1,\"versions\":[");
	}
	if ((ch = x_next_change(x, -1, &rc)) != NULL)
		return x_conflict_doc(x, ch->sc_id);
	if (rc != CB_OK)
		return rc;
	snprintf(tail, sizeof(tail), "\n],\"version_count\":%" PRIu64 "}\n",
	    x->x_conflicts);
	x_rewind(x);
	x->x_phase = XP_FILES;
	if ((rc = export_str(x, tail)) != CB_OK)
		return rc;
	return export_end(x);
}

/* ---- files/<id>/<name> ---------------------------------------------- */

/* One file record's bytes as an entry of their own. */
static int
x_file(struct api_export *x, const char *id)
{
	struct store_doc sd;
	yyjson_doc *d;
	yyjson_val *o, *data;
	char path[ZIP_NAME_MAX + 1];
	uint8_t *bytes = NULL;
	size_t n = 0;
	int rc = CB_EINVAL;

	if (store_get(x->x_api->a_store, id, NULL, 0, &sd) != CB_OK)
		return CB_OK;		/* deleted meanwhile */
	d = yyjson_read(sd.sd_json, sd.sd_len, 0);
	store_doc_free(&sd);
	o = yyjson_doc_get_root(d);
	data = yyjson_obj_get(o, "data");
	if (yyjson_is_str(data) && export_plan_file_path(id,
	    yyjson_get_str(yyjson_obj_get(o, "name")) ?
	    yyjson_get_str(yyjson_obj_get(o, "name")) : "", path,
	    sizeof(path)) == CB_OK &&
	    (bytes = malloc(yyjson_get_len(data) / 4 * 3 + 3)) != NULL)
		rc = cb_b64url_decode(yyjson_get_str(data),
		    yyjson_get_len(data), bytes, yyjson_get_len(data) / 4 * 3 +
		    3, &n);
	if (rc == CB_OK && (rc = export_begin(x, path)) == CB_OK &&
	    (rc = export_data(x, bytes, n)) == CB_OK)
		rc = export_end(x);
	if (rc == CB_OK) {
		x->x_files++;
		x->x_file_bytes += n;
	} else
		log_err("export %" PRIu64 ": the file %s cannot be written: %s",
		    x->x_id, id, cb_strerror(rc));
	free(bytes);
	yyjson_doc_free(d);
	return rc;
}

static int
x_files(struct api_export *x)
{
	const struct store_change *ch;
	int rc;

	if ((ch = x_next_change(x, REC_FILE, &rc)) != NULL)
		return x_file(x, ch->sc_id);
	x->x_type = 0;
	x->x_phase = XP_CSV_BEGIN;
	return rc;
}

/* ---- one CSV per type ----------------------------------------------- */

/*
 * One cell, RFC 4180: quoted when it holds a comma, quote, CR or LF,
 * quotes doubled. A text starting with = + - @ (or a tab/CR) gets a
 * leading apostrophe so that Excel shows it rather than running it as a
 * formula (CSV injection); numbers and JSON values are left as they are.
 */
static int
x_cell(struct api_export *x, const char *s, size_t n, int is_text)
{
	int quote = 0, rc = CB_OK;

	if (n > EXPORT_CELL_MAX)
		n = EXPORT_CELL_MAX;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' ||
		    s[i] == '\n';
	if (quote)
		rc = export_data(x, "\"", 1);
	if (rc == CB_OK && is_text && n > 0 && strchr("=+-@\t\r", s[0]))
		rc = export_data(x, "'", 1);
	for (size_t i = 0, j = 0; rc == CB_OK && i <= n; i++) {
		if (i == n || (quote && s[i] == '"')) {
			rc = export_data(x, s + j, i - j + (i < n));
			j = i;		/* the quote goes out twice */
		}
	}
	if (rc == CB_OK && quote)
		rc = export_data(x, "\"", 1);
	return rc;
}

static int
x_value(struct api_export *x, yyjson_val *v)
{
	char *w;
	size_t n;
	int rc;

	if (v == NULL || yyjson_is_null(v))
		return CB_OK;
	if (yyjson_is_str(v))
		return x_cell(x, yyjson_get_str(v), yyjson_get_len(v), 1);
	if ((w = yyjson_val_write(v, 0, &n)) == NULL)
		return CB_ENOMEM;
	rc = x_cell(x, w, n, 0);
	free(w);
	return rc;
}

/* The name of the user or class an id names, from a small cache (a
 * roll call names the same pupils row after row); "" when unknown. */
static const char *
x_name(struct api_export *x, enum export_col_kind k, const char *v)
{
	char id[REC_ID_MAX + 1];
	struct export_name *slot;
	struct store_doc sd;
	uint32_t h = 2166136261u;	/* FNV-1a */
	yyjson_doc *d;
	int n;

	n = snprintf(id, sizeof(id), "%s%s", k == XC_USER_NAME ? "user:" : "",
	    v);
	if (n < 0 || (size_t)n >= sizeof(id))
		return "";
	for (const char *p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	slot = &x->x_names[h % EXPORT_NAME_SLOTS];
	if (strcmp(slot->n_id, id) == 0)
		return slot->n_name;
	memcpy(slot->n_id, id, (size_t)n + 1);
	slot->n_name[0] = '\0';
	if (store_get(x->x_api->a_store, id, NULL, 0, &sd) != CB_OK)
		return slot->n_name;
	d = yyjson_read(sd.sd_json, sd.sd_len, 0);
	store_doc_free(&sd);
	(void)cb_strlcpy(slot->n_name, yyjson_get_str(yyjson_obj_get(
	    yyjson_doc_get_root(d), "name")) ? yyjson_get_str(yyjson_obj_get(
	    yyjson_doc_get_root(d), "name")) : "", sizeof(slot->n_name));
	yyjson_doc_free(d);
	return slot->n_name;
}

static int
x_csv_begin(struct api_export *x)
{
	const char *name;
	int rc;

	while (x->x_type < REC_TYPE_COUNT &&
	    export_plan_csv_name(x->x_type) == NULL)
		x->x_type++;	/* never: test_export_plan keeps them all */
	if (x->x_type == REC_TYPE_COUNT) {
		x->x_phase = XP_LOGS_BEGIN;
		return CB_OK;
	}
	name = export_plan_csv_name(x->x_type);
	x->x_ncols = export_plan_columns(x->x_type, x->x_cols,
	    EXPORT_COLS_MAX);
	if (x->x_ncols == 0)
		return CB_EINVAL;	/* never: test_export_plan */
	if ((rc = export_begin(x, name)) != CB_OK ||
	    (rc = export_data(x, "\xEF\xBB\xBF", 3)) != CB_OK)	/* BOM */
		return rc;
	for (size_t i = 0; i < x->x_ncols && rc == CB_OK; i++)
		if ((rc = x_cell(x, x->x_cols[i].c_label,
		    strlen(x->x_cols[i].c_label), 0)) == CB_OK)
			rc = export_data(x, i + 1 < x->x_ncols ? "," : "\r\n",
			    i + 1 < x->x_ncols ? 1 : 2);
	x_rewind(x);
	x->x_phase = XP_CSV_ROWS;
	return rc;
}

/* One cell of a row of document o. */
static int
x_csv_cell(struct api_export *x, yyjson_val *o, const struct export_col *c)
{
	yyjson_val *v = yyjson_obj_get(o, c->c_field);
	char path[ZIP_NAME_MAX + 1];
	const char *s;

	switch (c->c_kind) {
	case XC_USER_NAME:
	case XC_CLASS_NAME:
		if (!yyjson_is_str(v))
			return CB_OK;
		s = x_name(x, c->c_kind, yyjson_get_str(v));
		return x_cell(x, s, strlen(s), 1);
	case XC_FILE_PATH:
		if (export_plan_file_path(yyjson_get_str(yyjson_obj_get(o,
		    "_id")) ? yyjson_get_str(yyjson_obj_get(o, "_id")) : "",
		    yyjson_get_str(yyjson_obj_get(o, "name")) ?
		    yyjson_get_str(yyjson_obj_get(o, "name")) : "", path,
		    sizeof(path)) != CB_OK)
			return CB_OK;
		return x_cell(x, path, strlen(path), 1);
	default:
		return x_value(x, v);
	}
}

static int
x_csv_row(struct api_export *x)
{
	const struct store_change *ch;
	struct store_doc sd;
	yyjson_doc *d;
	int rc;

	if ((ch = x_next_change(x, x->x_type, &rc)) == NULL) {
		x->x_phase = rc == CB_OK ? XP_CSV_END : x->x_phase;
		return rc;
	}
	if (store_get(x->x_api->a_store, ch->sc_id, NULL, 0, &sd) != CB_OK)
		return CB_OK;
	d = yyjson_read(sd.sd_json, sd.sd_len, 0);
	store_doc_free(&sd);
	if (d == NULL)
		return CB_ENOMEM;
	rc = CB_OK;
	for (size_t i = 0; i < x->x_ncols && rc == CB_OK; i++) {
		rc = x_csv_cell(x, yyjson_doc_get_root(d), &x->x_cols[i]);
		if (rc == CB_OK)
			rc = export_data(x, i + 1 < x->x_ncols ? "," : "\r\n",
			    i + 1 < x->x_ncols ? 1 : 2);
	}
	yyjson_doc_free(d);
	x->x_csv_done++;
	return rc;
}

/* ---- manifest.json and the directory --------------------------------- */

static yyjson_mut_val *
x_manifest_types(struct api_export *x, yyjson_mut_doc *m)
{
	yyjson_mut_val *o = yyjson_mut_obj(m), *e;
	int ok = o != NULL;

	for (int t = 0; t < REC_TYPE_COUNT && ok; t++) {
		e = yyjson_mut_obj(m);
		ok = e != NULL &&
		    yyjson_mut_obj_add_uint(m, e, "count", x->x_by_type[t]) &&
		    yyjson_mut_obj_add_str(m, e, "title",
		    export_plan_title(t)) &&
		    yyjson_mut_obj_add_str(m, e, "csv",
		    export_plan_csv_name(t)) &&
		    yyjson_mut_obj_add_val(m, o, rec_type_name(t), e);
	}
	return ok ? o : NULL;
}

static yyjson_mut_val *
x_manifest_log(yyjson_mut_doc *m, const struct export_log *l)
{
	yyjson_mut_val *o = yyjson_mut_obj(m);

	if (o == NULL || !yyjson_mut_obj_add_uint(m, o, "entries",
	    l->l_written) || !yyjson_mut_obj_add_uint(m, o, "anchor_seq",
	    l->l_anchor.al_seq) || !yyjson_mut_obj_add_uint(m, o, "head_seq",
	    l->l_head.al_seq))
		return NULL;
	return o;
}

static int
x_manifest(struct api_export *x)
{
	yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = m ? yyjson_mut_obj(m) : NULL, *logs;
	char *w = NULL;
	size_t n;
	int rc = CB_ENOMEM;

	logs = m ? yyjson_mut_obj(m) : NULL;
	if (o != NULL && logs != NULL &&
	    yyjson_mut_obj_add_str(m, o, "format", "classbox-export") &&
	    yyjson_mut_obj_add_int(m, o, "version", 2) &&
	    yyjson_mut_obj_add_uint(m, o, "export_id", x->x_id) &&
	    yyjson_mut_obj_add_int(m, o, "started_ms", x->x_started_ms) &&
	    yyjson_mut_obj_add_strcpy(m, o, "exported_by", x->x_uid) &&
	    yyjson_mut_obj_add_str(m, o, "school_state", x->x_terminating ?
	    "terminating" : "active") &&
	    yyjson_mut_obj_add_bool(m, o, "complete", 1) &&
	    yyjson_mut_obj_add_bool(m, o, "guidance_notes_included", 1) &&
	    yyjson_mut_obj_add_uint(m, o, "records_total", x->x_json_done) &&
	    yyjson_mut_obj_add_val(m, o, "records", x_manifest_types(x, m)) &&
	    yyjson_mut_obj_add_uint(m, o, "other_documents",
	    x->x_by_type[REC_TYPE_COUNT]) &&
	    yyjson_mut_obj_add_uint(m, o, "conflict_versions",
	    x->x_conflicts) &&
	    yyjson_mut_obj_add_uint(m, o, "files", x->x_files) &&
	    yyjson_mut_obj_add_uint(m, o, "file_bytes", x->x_file_bytes) &&
	    yyjson_mut_obj_add_val(m, logs, AUDIT_LOG_OPS,
	    x_manifest_log(m, &x->x_ops)) &&
	    yyjson_mut_obj_add_val(m, logs, AUDIT_LOG_LOGIN,
	    x_manifest_log(m, &x->x_login)) &&
	    yyjson_mut_obj_add_val(m, o, "logs", logs) &&
	    /* every entry, this one included: a dropped one shows */
	    yyjson_mut_obj_add_uint(m, o, "zip_entries", x->x_zip.zw_n + 1)) {
		yyjson_mut_doc_set_root(m, o);
		if ((w = yyjson_mut_write(m, YYJSON_WRITE_PRETTY, &n)) != NULL &&
		    (rc = export_begin(x, "manifest.json")) == CB_OK &&
		    (rc = export_data(x, w, n)) == CB_OK)
			rc = export_end(x);
	}
	free(w);
	yyjson_mut_doc_free(m);
	x->x_phase = XP_CENTRAL;
	return rc;
}

/* The central directory, EXPORT_CENTRAL_BURST bytes a step, then the end
 * record. */
static int
x_central(struct api_export *x)
{
	uint8_t rec[ZIP_CENTRAL_MAX];
	size_t n, made = 0;
	int rc;

	while (x->x_central < x->x_zip.zw_n && made < EXPORT_CENTRAL_BURST) {
		if ((rc = zip_central(&x->x_zip, x->x_central, rec, &n)) !=
		    CB_OK || (rc = export_raw(x, rec, n)) != CB_OK)
			return rc;
		x->x_central++;
		made += n;
	}
	if (x->x_central < x->x_zip.zw_n)
		return CB_OK;
	if ((rc = zip_end_record(&x->x_zip, rec, &n)) != CB_OK)
		return rc;
	x->x_phase = XP_DONE;
	return export_raw(x, rec, n);
}

/* Produce the next piece into the pending buffer; HTTP_STREAM_WAIT when
 * auth was asked for the login log. */
static int
x_step(struct api_export *x)
{
	int rc;

	switch (x->x_phase) {
	case XP_JSON_BEGIN:	return x_json_begin(x);
	case XP_JSON_RECORDS:	return x_json_record(x);
	case XP_JSON_END:
		x->x_phase = XP_CONFLICTS_BEGIN;
		return export_end(x);
	case XP_CONFLICTS_BEGIN:
	case XP_CONFLICTS:	return x_conflicts(x);
	case XP_FILES:		return x_files(x);
	case XP_CSV_BEGIN:	return x_csv_begin(x);
	case XP_CSV_ROWS:	return x_csv_row(x);
	case XP_CSV_END:
		rc = export_end(x);
		x->x_type++;
		x->x_phase = XP_CSV_BEGIN;
		return rc;
	case XP_MANIFEST:	return x_manifest(x);
	case XP_CENTRAL:	return x_central(x);
	case XP_DONE:		return CB_ESTATE;
	default:		return export_logs_step(x);
	}
}

/* ---- the stream ------------------------------------------------------ */

static int
export_fill(void *arg, char *buf, size_t size, size_t *len)
{
	struct api_export *x = arg;
	size_t got = 0, k;
	int rc, wait = 0;

	assert(!x->x_waiting);	/* the server asks again after resume */
	/* Bounded: each step produces or ends a phase, or waits; EXPORT_BATCH
	 * skipped changes at most cost a store call each. */
	while (got < size) {
		if (x->x_pend_off == x->x_pend.b_len) {
			x->x_pend_off = 0;
			cb_buf_reset(&x->x_pend);
			if (x->x_phase == XP_DONE || wait)
				break;
			if (x->x_api->a_terminated)
				return CB_ESTATE;	/* keys gone */
			if ((rc = x_step(x)) == HTTP_STREAM_WAIT)
				wait = 1;
			else if (rc != CB_OK) {
				log_err("export %" PRIu64 ": stopped: %s",
				    x->x_id, cb_strerror(rc));
				return rc;
			}
			continue;
		}
		k = x->x_pend.b_len - x->x_pend_off;
		if (k > size - got)
			k = size - got;
		memcpy(buf + got, x->x_pend.b_data + x->x_pend_off, k);
		x->x_pend_off += k;
		got += k;
	}
	*len = got;
	x->x_bytes += got;
	if (mbedtls_sha256_update(&x->x_sha, (const unsigned char *)buf,
	    got) != 0)
		return CB_ECRYPTO;
	if (wait)
		return HTTP_STREAM_WAIT;
	return x->x_phase == XP_DONE && x->x_pend_off == x->x_pend.b_len;
}

void
export_free(struct api_export *x)
{
	zip_free(&x->x_zip);
	mbedtls_sha256_free(&x->x_sha);
	cb_wipe(x->x_token, sizeof(x->x_token));
	free(x->x_page);
	free(x->x_names);
	cb_buf_free(&x->x_pend);
	free(x);
}

static void
export_done(void *arg, int completed)
{
	struct api_export *x = arg, **pp;
	uint8_t sha[32];

	if (completed && x->x_phase == XP_DONE &&
	    mbedtls_sha256_finish(&x->x_sha, sha) == 0)
		export_receipt_done(x, sha);
	log_info("export %" PRIu64 " by %s: %s, %" PRIu64 " records, %"
	    PRIu64 " files, %" PRIu64 " bytes", x->x_id, x->x_uid, completed ?
	    "complete" : "ended early (the client left or it failed)",
	    x->x_json_done, x->x_files, x->x_bytes);
	for (pp = &x->x_api->a_exports; *pp != NULL; pp = &(*pp)->x_next)
		if (*pp == x) {
			*pp = x->x_next;
			break;
		}
	x->x_api->a_nexports--;
	x->x_ex = NULL;
	if (x->x_waiting) {
		x->x_orphan = 1;	/* auth's answer frees it */
		return;
	}
	export_free(x);
}

/* Who exported, and that guidance notes went with it (whatever their
 * grants), before the first byte: one durable commit. */
static void
x_log(struct api_req *r, const struct api_export *x)
{
	char target[32];
	struct audit_record rec[2] = {
	    { AUDIT_KIND_OPERATION, x->x_uid, "export.read", target, "ok",
	      x->x_peer, "" },
	    { AUDIT_KIND_OPERATION, x->x_uid, EXPORT_ACTION_NOTES, target,
	      "ok", x->x_peer, "" } };
	int rc;

	snprintf(target, sizeof(target), "export:%" PRIu64, x->x_id);
	if (r->r_api->a_ops != NULL &&
	    (rc = audit_append_batch(r->r_api->a_ops, rec, 2, NULL)) != CB_OK)
		log_err("ALARM: the operation log cannot be written (%s): an "
		    "export is not logged", cb_strerror(rc));
}

static struct api_export *
x_new(struct api_req *r)
{
	struct api *a = r->r_api;
	struct api_export *x = calloc(1, sizeof(*x));

	if (x == NULL || (x->x_names = calloc(EXPORT_NAME_SLOTS,
	    sizeof(*x->x_names))) == NULL) {
		free(x);
		return NULL;
	}
	cb_buf_init(&x->x_pend, EXPORT_PEND_MAX);
	x->x_api = a;
	x->x_id = ++a->a_export_seq;
	x->x_started_ms = cb_now_ms();
	x->x_terminating = api_school_state(a) == PS_TERMINATING;
	(void)cb_strlcpy(x->x_uid, r->r_sess.as_user.au_uid,
	    sizeof(x->x_uid));
	(void)cb_strlcpy(x->x_peer, http_request(r->r_ex)->peer,
	    sizeof(x->x_peer));
	memcpy(x->x_token, r->r_token, sizeof(x->x_token));
	mbedtls_sha256_init(&x->x_sha);
	zip_init(&x->x_zip, x->x_started_ms / 1000 +
	    REC_SCHOOL_UTC_OFFSET_MIN * 60);
	if (mbedtls_sha256_starts(&x->x_sha, 0) != 0 ||
	    store_last_seq(a->a_store, &x->x_store_seq) != CB_OK ||
	    x_count(x) != CB_OK) {
		export_free(x);
		return NULL;
	}
	return x;
}

int
api_export(struct api_req *r)
{
	struct api *a = r->r_api;
	struct api_export *x;
	struct cr_ctx c;
	char h[96], date[11];

	if (cr_begin(r, &c) != CB_OK)
		return cr_error(&c);
	if (a->a_nexports >= EXPORT_MAX_ACTIVE)
		return api_req_error(r, API_E_BUSY);
	if ((x = x_new(r)) == NULL)
		return api_req_error(r, API_E_STORE);
	x_log(r, x);
	x->x_next = a->a_exports;
	a->a_exports = x;
	a->a_nexports++;
	rec_local_date(x->x_started_ms, date);
	snprintf(h, sizeof(h), "attachment; filename=\"classbox-export-%.4s%.2s"
	    "%.2s.zip\"", date, date + 5, date + 8);
	http_add_header(r->r_ex, "Content-Disposition", h);
	snprintf(h, sizeof(h), "%" PRIu64, x->x_total);
	http_add_header(r->r_ex, "X-Export-Records", h);
	snprintf(h, sizeof(h), "%" PRIu64, x->x_id);
	http_add_header(r->r_ex, "X-Export-Id", h);
	r->r_audit_action = NULL;	/* logged above, before the stream */
	x->x_ex = r->r_ex;		/* before: http_stream may end it */
	(void)http_stream(r->r_ex, 200, "application/zip", export_fill,
	    export_done, x);
	api_req_abandon(r);		/* the exchange belongs to the stream */
	return 0;
}

static const char *
x_phase_name(const struct api_export *x, char *buf, size_t size)
{
	if (x->x_phase <= XP_JSON_END)
		return "export.json";
	if (x->x_phase <= XP_CONFLICTS_END)
		return "conflict_versions.json";
	if (x->x_phase == XP_FILES)
		return "files";
	if (x->x_phase <= XP_CSV_END && x->x_type < REC_TYPE_COUNT) {
		snprintf(buf, size, "%s", export_plan_csv_name(x->x_type));
		return buf;
	}
	if (x->x_phase <= XP_LOGS_END)
		return x->x_phase >= XP_LOGS_LOGIN_BEGIN ? "logs/login.jsonl" :
		    "logs/ops.jsonl";
	return x->x_phase == XP_DONE ? "done" : "finishing";
}

int
api_export_progress(struct api_req *r)
{
	yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = m ? yyjson_mut_obj(m) : NULL;
	yyjson_mut_val *arr = m ? yyjson_mut_arr(m) : NULL;
	char ph[ZIP_NAME_MAX + 1];
	int ok = o != NULL && arr != NULL;

	for (struct api_export *x = r->r_api->a_exports; ok && x != NULL;
	    x = x->x_next) {
		yyjson_mut_val *e = yyjson_mut_obj(m);
		uint64_t work = 2 * x->x_total, done = x->x_json_done +
		    x->x_csv_done;

		ok = e != NULL &&
		    yyjson_mut_obj_add_uint(m, e, "id", x->x_id) &&
		    yyjson_mut_obj_add_strcpy(m, e, "user", x->x_uid) &&
		    yyjson_mut_obj_add_int(m, e, "started_ms",
		    x->x_started_ms) &&
		    yyjson_mut_obj_add_uint(m, e, "records_total",
		    x->x_total) &&
		    yyjson_mut_obj_add_uint(m, e, "json_records",
		    x->x_json_done) &&
		    yyjson_mut_obj_add_uint(m, e, "csv_records",
		    x->x_csv_done) &&
		    yyjson_mut_obj_add_uint(m, e, "files", x->x_files) &&
		    yyjson_mut_obj_add_uint(m, e, "log_entries",
		    x->x_ops.l_written + x->x_login.l_written) &&
		    yyjson_mut_obj_add_strcpy(m, e, "phase",
		    x_phase_name(x, ph, sizeof(ph))) &&
		    yyjson_mut_obj_add_uint(m, e, "bytes_sent", x->x_bytes) &&
		    yyjson_mut_obj_add_uint(m, e, "percent", work == 0 ? 100 :
		    (done >= work ? 99 : done * 100 / work)) &&
		    yyjson_mut_arr_append(arr, e);
	}
	if (!ok || !yyjson_mut_obj_add_val(m, o, "exports", arr)) {
		yyjson_mut_doc_free(m);
		return api_req_error(r, API_E_INTERNAL);
	}
	yyjson_mut_doc_set_root(m, o);
	return api_req_json(r, 200, m);
}
