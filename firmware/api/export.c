/*
 * export.c: the admins' download of the school's data (issue 5, item 6;
 * docs/api.md "Export").
 *
 * GET /api/v1/export            a ZIP (stored entries, core/zip.h), streamed
 *                               with chunked transfer coding (net/http.h
 *                               http_stream): export.json with every record
 *                               the admin may read, then one CSV per record
 *                               type, UTF-8 with a BOM so that Excel opens
 *                               it as UTF-8. Headers: X-Export-Records (the
 *                               records counted at the start), X-Export-Id.
 * GET /api/v1/export/progress   the running exports of this box: records
 *                               written so far, phase, bytes sent.
 *
 * Memory per export: one HTTP_STREAM_CHUNK in the server plus the largest
 * document (DOC_MAX_SIZE) pending here, however big the school. Each piece
 * is produced when the previous one has gone out, so a slow or vanished
 * client costs nothing more; a client that leaves ends the export (done
 * with completed 0). The records are read one by one in their own read
 * transactions: a record changed during the export appears once, in the
 * version read at that moment.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "api/classroom.h"
#include "audit/audit.h"
#include "core/cb.h"
#include "core/records.h"
#include "core/zip.h"
#include "store/store.h"

#define EXPORT_MAX_ACTIVE	2	/* exports at once: each walks the store */
#define EXPORT_BATCH		256	/* changes read per store call */
#define EXPORT_COLS_MAX		24	/* columns of a CSV */
#define EXPORT_CELL_MAX		(64 * 1024)	/* bytes of one CSV cell */

enum export_phase {
	XP_JSON_BEGIN, XP_JSON_RECORDS, XP_JSON_END,
	XP_CSV_BEGIN, XP_CSV_ROWS, XP_CSV_END, XP_FINISH, XP_DONE,
};

struct api_export {
	struct api *x_api;
	struct api_export *x_next;
	uint64_t x_id;
	char x_uid[AUTH_UID_MAX];
	int64_t x_started_ms;
	int x_allowed[REC_TYPE_COUNT];
	int x_notices;			/* "notice" documents (everyone's) */
	struct zip_writer x_zip;
	enum export_phase x_phase;
	int x_type;			/* the CSV being written */
	uint64_t x_since;		/* changes feed position */
	struct store_change x_ch[EXPORT_BATCH];
	size_t x_nch, x_ich;
	int x_first;
	uint64_t x_total, x_json_done, x_csv_done, x_bytes;
	char *x_pend;			/* bytes produced, not yet sent */
	size_t x_pend_len, x_pend_off, x_pend_cap;
};

/* ---- the pending buffer -------------------------------------------- */

static int
x_raw(struct api_export *x, const void *p, size_t n)
{
	if (x->x_pend_len + n > x->x_pend_cap) {
		size_t cap = x->x_pend_cap ? x->x_pend_cap : 64 * 1024;
		char *np;

		while (cap < x->x_pend_len + n)
			cap *= 2;
		if (cap > 2 * DOC_MAX_SIZE + 2 * EXPORT_CELL_MAX ||
		    (np = realloc(x->x_pend, cap)) == NULL)
			return CB_ENOMEM;
		x->x_pend = np;
		x->x_pend_cap = cap;
	}
	memcpy(x->x_pend + x->x_pend_len, p, n);
	x->x_pend_len += n;
	return CB_OK;
}

/* Entry data: counted into the entry's CRC-32 and size. */
static int
x_data(struct api_export *x, const void *p, size_t n)
{
	int rc = zip_data(&x->x_zip, p, n);

	return rc == CB_OK ? x_raw(x, p, n) : rc;
}

static int
x_str(struct api_export *x, const char *s)
{
	return x_data(x, s, strlen(s));
}

static int
x_begin(struct api_export *x, const char *name)
{
	uint8_t h[ZIP_LOCAL_MAX];
	size_t n;
	int rc = zip_begin(&x->x_zip, name, h, &n);

	return rc == CB_OK ? x_raw(x, h, n) : rc;
}

static int
x_end(struct api_export *x)
{
	uint8_t d[ZIP_DESC_LEN];
	size_t n;
	int rc = zip_end(&x->x_zip, d, &n);

	return rc == CB_OK ? x_raw(x, d, n) : rc;
}

/* ---- which records -------------------------------------------------- */

/* The record type of an id ("attendance:..." -> REC_ATTENDANCE), or -1;
 * REC_TYPE_COUNT for a notice. */
static int
x_type_of(const char *id)
{
	const char *colon = strchr(id, ':');
	size_t n = colon ? (size_t)(colon - id) : strlen(id);

	if (n == 6 && memcmp(id, "notice", 6) == 0)
		return REC_TYPE_COUNT;
	return rec_type_from_name(id, n);
}

static int
x_wanted(const struct api_export *x, const char *id, int only)
{
	int t = x_type_of(id);

	if (only >= 0)
		return t == only;
	if (t == REC_TYPE_COUNT)
		return x->x_notices;
	return t >= 0 && x->x_allowed[t];
}

/* The next live change whose record is wanted (only: one type, or -1 for
 * every allowed one); NULL at the end of the feed. */
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
		if (!ch->sc_deleted && x_wanted(x, ch->sc_id, only))
			return ch;
	}
}

static int
x_count(struct api_export *x)
{
	const struct store_change *ch;
	int rc;

	x->x_since = 0;
	while ((ch = x_next_change(x, -1, &rc)) != NULL)
		x->x_total++;
	x->x_since = 0;
	x->x_ich = x->x_nch = 0;
	return rc;
}

/* ---- export.json ---------------------------------------------------- */

static int
x_json_begin(struct api_export *x)
{
	char head[256];
	int rc;

	snprintf(head, sizeof(head), "{\"format\":\"classbox-export\","
	    "\"version\":1,\"exported_ms\":%lld,\"school_state\":\"%s\","
	    "\"records\":[", (long long)x->x_started_ms,
	    api_school_state(x->x_api) == PS_TERMINATING ? "terminating" :
	    "active");
	if ((rc = x_begin(x, "export.json")) != CB_OK)
		return rc;
	x->x_first = 1;
	x->x_phase = XP_JSON_RECORDS;
	return x_str(x, head);
}

static int
x_json_record(struct api_export *x)
{
	const struct store_change *ch;
	struct store_doc sd;
	char tail[96];
	int rc;

	if ((ch = x_next_change(x, -1, &rc)) == NULL) {
		if (rc != CB_OK)
			return rc;
		snprintf(tail, sizeof(tail), "\n],\"record_count\":%" PRIu64
		    "}\n", x->x_json_done);
		x->x_phase = XP_JSON_END;
		return x_str(x, tail);
	}
	if (store_get(x->x_api->a_store, ch->sc_id, NULL, 0, &sd) != CB_OK)
		return CB_OK;		/* deleted meanwhile */
	rc = x_str(x, x->x_first ? "\n" : ",\n");
	if (rc == CB_OK)
		rc = x_data(x, sd.sd_json, sd.sd_len);
	store_doc_free(&sd);
	x->x_first = 0;
	x->x_json_done++;
	return rc;
}

/* ---- one CSV per type ----------------------------------------------- */

/* The columns of type t: _id, _rev, then its fields (a file's data stays
 * in export.json: base64 is no use in a spreadsheet). */
static size_t
x_columns(int t, const char **cols)
{
	const char *f[EXPORT_COLS_MAX];
	size_t n = rec_type_fields(t, f, EXPORT_COLS_MAX - 2), k = 0;

	cols[k++] = "_id";
	cols[k++] = "_rev";
	for (size_t i = 0; i < n; i++)
		if (!(t == REC_FILE && strcmp(f[i], "data") == 0))
			cols[k++] = f[i];
	return k;
}

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
		rc = x_data(x, "\"", 1);
	if (rc == CB_OK && is_text && n > 0 && strchr("=+-@\t\r", s[0]))
		rc = x_data(x, "'", 1);
	for (size_t i = 0, j = 0; rc == CB_OK && i <= n; i++) {
		if (i == n || (quote && s[i] == '"')) {
			rc = x_data(x, s + j, i - j + (i < n));
			j = i;		/* the quote goes out twice */
		}
	}
	if (rc == CB_OK && quote)
		rc = x_data(x, "\"", 1);
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

static int
x_csv_begin(struct api_export *x)
{
	const char *cols[EXPORT_COLS_MAX];
	char name[ZIP_NAME_MAX + 1];
	size_t n;
	int rc;

	while (x->x_type < REC_TYPE_COUNT && !x->x_allowed[x->x_type])
		x->x_type++;
	if (x->x_type == REC_TYPE_COUNT) {
		x->x_phase = XP_FINISH;
		return CB_OK;
	}
	snprintf(name, sizeof(name), "%s.csv", rec_type_name(x->x_type));
	if ((rc = x_begin(x, name)) != CB_OK ||
	    (rc = x_data(x, "\xEF\xBB\xBF", 3)) != CB_OK)	/* BOM */
		return rc;
	n = x_columns(x->x_type, cols);
	for (size_t i = 0; i < n && rc == CB_OK; i++)
		rc = x_cell(x, cols[i], strlen(cols[i]), 0) ? CB_EIO :
		    x_data(x, i + 1 < n ? "," : "\r\n", i + 1 < n ? 1 : 2);
	x->x_since = 0;
	x->x_ich = x->x_nch = 0;
	x->x_phase = XP_CSV_ROWS;
	return rc;
}

static int
x_csv_row(struct api_export *x)
{
	const char *cols[EXPORT_COLS_MAX];
	const struct store_change *ch;
	struct store_doc sd;
	yyjson_doc *d;
	size_t n;
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
	n = x_columns(x->x_type, cols);
	rc = CB_OK;
	for (size_t i = 0; i < n && rc == CB_OK; i++) {
		rc = x_value(x, yyjson_obj_get(yyjson_doc_get_root(d), cols[i]));
		if (rc == CB_OK)
			rc = x_data(x, i + 1 < n ? "," : "\r\n",
			    i + 1 < n ? 1 : 2);
	}
	yyjson_doc_free(d);
	x->x_csv_done++;
	return rc;
}

static int
x_finish(struct api_export *x)
{
	uint8_t *buf;
	size_t need = zip_finish_len(&x->x_zip), n;
	int rc;

	if ((buf = malloc(need)) == NULL)
		return CB_ENOMEM;
	rc = zip_finish(&x->x_zip, buf, need, &n);
	if (rc == CB_OK)
		rc = x_raw(x, buf, n);
	free(buf);
	x->x_phase = XP_DONE;
	return rc;
}

/* Produce the next piece into the pending buffer. */
static int
x_step(struct api_export *x)
{
	int rc;

	switch (x->x_phase) {
	case XP_JSON_BEGIN:	return x_json_begin(x);
	case XP_JSON_RECORDS:	return x_json_record(x);
	case XP_JSON_END:
		x->x_phase = XP_CSV_BEGIN;
		return x_end(x);
	case XP_CSV_BEGIN:	return x_csv_begin(x);
	case XP_CSV_ROWS:	return x_csv_row(x);
	case XP_CSV_END:
		rc = x_end(x);
		x->x_type++;
		x->x_phase = XP_CSV_BEGIN;
		return rc;
	case XP_FINISH:		return x_finish(x);
	default:		return CB_ESTATE;
	}
}

/* ---- the stream ------------------------------------------------------ */

static int
export_fill(void *arg, char *buf, size_t size, size_t *len)
{
	struct api_export *x = arg;
	size_t got = 0, k;
	int rc;

	/* Bounded: each step produces or ends a phase; EXPORT_BATCH skipped
	 * changes at most cost a store call each. */
	while (got < size) {
		if (x->x_pend_off == x->x_pend_len) {
			x->x_pend_off = x->x_pend_len = 0;
			if (x->x_phase == XP_DONE)
				break;
			if (x->x_api->a_terminated)
				return CB_ESTATE;	/* keys gone */
			if ((rc = x_step(x)) != CB_OK) {
				log_err("export %" PRIu64 ": stopped: %s",
				    x->x_id, cb_strerror(rc));
				return rc;
			}
			continue;
		}
		k = x->x_pend_len - x->x_pend_off;
		if (k > size - got)
			k = size - got;
		memcpy(buf + got, x->x_pend + x->x_pend_off, k);
		x->x_pend_off += k;
		got += k;
	}
	*len = got;
	x->x_bytes += got;
	return x->x_phase == XP_DONE && x->x_pend_off == x->x_pend_len;
}

static void
export_done(void *arg, int completed)
{
	struct api_export *x = arg, **pp;

	log_info("export %" PRIu64 " by %s: %s, %" PRIu64 " records, %" PRIu64
	    " bytes", x->x_id, x->x_uid, completed ? "complete" :
	    "ended early (the client left or it failed)", x->x_json_done,
	    x->x_bytes);
	for (pp = &x->x_api->a_exports; *pp != NULL; pp = &(*pp)->x_next)
		if (*pp == x) {
			*pp = x->x_next;
			break;
		}
	x->x_api->a_nexports--;
	free(x->x_pend);
	free(x);
}

/* Which types the admin may read school-wide, asked of the policy. */
static void
x_policy(struct api_export *x, struct cr_ctx *c)
{
	for (int t = 0; t < REC_TYPE_COUNT; t++) {
		/* Files follow what they are attached to: the admin gets
		 * them when assignments and submissions are readable. */
		enum policy_resource res = t == REC_FILE ? RS_SUBMISSION :
		    (enum policy_resource)t;

		x->x_allowed[t] = cr_may(c, res, PA_READ, REL_SCHOOL_WIDE,
		    PSUB_NONE) && (t != REC_FILE ||
		    cr_may(c, RS_ASSIGNMENT, PA_READ, REL_SCHOOL_WIDE,
		    PSUB_NONE));
	}
	x->x_notices = 1;	/* shown to everyone anyway */
}

static void
x_log(struct api_req *r)
{
	struct audit_record rec = { AUDIT_KIND_OPERATION,
	    r->r_sess.as_user.au_uid, "export.read", "all", "ok",
	    http_request(r->r_ex)->peer, "" };
	int rc;

	if (r->r_api->a_ops != NULL &&
	    (rc = audit_append(r->r_api->a_ops, &rec, NULL)) != CB_OK)
		log_err("ALARM: the operation log cannot be written (%s): an "
		    "export is not logged", cb_strerror(rc));
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
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return api_req_error(r, API_E_BUSY);
	x->x_api = a;
	x->x_id = ++a->a_export_seq;
	x->x_started_ms = cb_now_ms();
	(void)cb_strlcpy(x->x_uid, r->r_sess.as_user.au_uid,
	    sizeof(x->x_uid));
	x_policy(x, &c);
	zip_init(&x->x_zip, x->x_started_ms / 1000 +
	    REC_SCHOOL_UTC_OFFSET_MIN * 60);
	if (x_count(x) != CB_OK) {
		free(x);
		return api_req_error(r, API_E_STORE);
	}
	x_log(r);
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
	if (x->x_phase <= XP_CSV_END && x->x_type < REC_TYPE_COUNT) {
		snprintf(buf, size, "%s.csv", rec_type_name(x->x_type));
		return buf;
	}
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
