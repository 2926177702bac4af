/*
 * export_log.c: an audit entry as a line of the export, and back; the
 * chain check of an exported log (export_log.h). No key, no store: what
 * is checked is the plaintext chain.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <yyjson.h>

#include "audit/export_log.h"
#include "base/cb.h"
#include "core/records.h"

#define LINE_KEYS	14	/* the keys of a line, all required */

static const char *const line_keys[LINE_KEYS] = { "seq", "time", "time_ms",
    "time_state", "error_ms", "kind", "actor", "action", "target", "result",
    "client", "agent", "prev_hash", "hash" };

/* 64 lowercase hex digits into 32 bytes. */
static int
hex_get(const char *s, size_t len, uint8_t *out)
{
	if (len != 2 * AUDIT_HASH_LEN)
		return CB_EINVAL;
	for (size_t i = 0; i < AUDIT_HASH_LEN; i++) {
		int hi = cb_hexval(s[2 * i]), lo = cb_hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0 || (s[2 * i] >= 'A' && s[2 * i] <= 'F') ||
		    (s[2 * i + 1] >= 'A' && s[2 * i + 1] <= 'F'))
			return CB_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return CB_OK;
}

/* time_ms in school time, to the millisecond. */
static void
line_time(int64_t ms, char out[40])
{
	time_t t = (time_t)(ms / 1000) + REC_SCHOOL_UTC_OFFSET_MIN * 60;
	struct tm tm;

	if (ms < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(out, 40, "?");
		return;
	}
	snprintf(out + 19, 21, ".%03d+%02d:%02d", (int)(ms % 1000),
	    REC_SCHOOL_UTC_OFFSET_MIN / 60, REC_SCHOOL_UTC_OFFSET_MIN % 60);
}

/* A JSON string of s (UTF-8 without controls, as the log keeps them). */
static size_t
line_str(char *out, const char *s)
{
	size_t o = 0;

	out[o++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '"';
	return o;
}

size_t
audit_line_format(const struct audit_entry *e, char *out, size_t size)
{
	const char *str[6] = { e->ae_actor, e->ae_action, e->ae_target,
	    e->ae_result, e->ae_client, e->ae_agent };
	char buf[AUDIT_LINE_MAX], t[40], ph[2 * AUDIT_HASH_LEN + 1],
	    h[2 * AUDIT_HASH_LEN + 1];
	size_t o;

	line_time(e->ae_time_ms, t);
	o = (size_t)snprintf(buf, sizeof(buf), "{\"seq\":%" PRIu64 ",\"time\":"
	    "\"%s\",\"time_ms\":%" PRId64 ",\"time_state\":\"%s\",\"error_ms\":"
	    "%" PRIu32 ",\"kind\":\"%s\"", e->ae_seq, t, e->ae_time_ms,
	    clock_state_name(e->ae_time_state), e->ae_error_ms,
	    audit_kind_name(e->ae_kind));
	for (int i = 0; i < 6; i++) {
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, ",\"%s\":",
		    line_keys[6 + i]);
		o += line_str(buf + o, str[i]);	/* <= 2 * 255 + 2 bytes */
	}
	cb_hex_encode(e->ae_prev_hash, AUDIT_HASH_LEN, ph);
	cb_hex_encode(e->ae_hash, AUDIT_HASH_LEN, h);
	o += (size_t)snprintf(buf + o, sizeof(buf) - o, ",\"prev_hash\":\"%s\","
	    "\"hash\":\"%s\"}\n", ph, h);
	assert(o < sizeof(buf));
	if (o > size)
		return 0;
	memcpy(out, buf, o);
	return o;
}

size_t
audit_link_format(const struct audit_link *l, char *out, size_t size)
{
	char h[2 * AUDIT_HASH_LEN + 1];
	int n;

	cb_hex_encode(l->al_hash, AUDIT_HASH_LEN, h);
	n = snprintf(out, size, "{\"seq\":%" PRIu64 ",\"time_ms\":%" PRId64
	    ",\"hash\":\"%s\"}", l->al_seq, l->al_time_ms, h);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static int
line_bad(char *why, size_t size, const char *what)
{
	snprintf(why, size, "%s", what);
	return CB_EINVAL;
}

/* The numbers and names of a line into e. */
static int
line_fixed(yyjson_val *o, struct audit_entry *e, char *why, size_t size)
{
	yyjson_val *st = yyjson_obj_get(o, "time_state"),
	    *k = yyjson_obj_get(o, "kind");
	int state = -1;

	if (!yyjson_is_uint(yyjson_obj_get(o, "seq")) ||
	    !yyjson_is_int(yyjson_obj_get(o, "time_ms")) ||
	    !yyjson_is_uint(yyjson_obj_get(o, "error_ms")) ||
	    !yyjson_is_str(st) || !yyjson_is_str(k))
		return line_bad(why, size, "a field has the wrong type");
	e->ae_seq = yyjson_get_uint(yyjson_obj_get(o, "seq"));
	e->ae_time_ms = yyjson_get_sint(yyjson_obj_get(o, "time_ms"));
	if (yyjson_get_uint(yyjson_obj_get(o, "error_ms")) > UINT32_MAX)
		return line_bad(why, size, "error_ms is out of range");
	e->ae_error_ms = (uint32_t)yyjson_get_uint(yyjson_obj_get(o,
	    "error_ms"));
	for (int s = CLOCK_UNSYNCED; s <= CLOCK_HTTPS_DATE; s++)
		if (strcmp(yyjson_get_str(st), clock_state_name(s)) == 0)
			state = s;
	e->ae_time_state = (uint8_t)state;
	e->ae_kind = strcmp(yyjson_get_str(k), "login") == 0 ?
	    AUDIT_KIND_LOGIN : strcmp(yyjson_get_str(k), "operation") == 0 ?
	    AUDIT_KIND_OPERATION : 0;
	if (state < 0 || e->ae_kind == 0)
		return line_bad(why, size, "time_state or kind is unknown");
	return CB_OK;
}

/* The strings and hashes of a line into e; then e re-encoded and decoded
 * (the same checks as the box's own reader) gives its hash. */
static int
line_strings(yyjson_val *o, struct audit_entry *e, uint8_t hash[32],
    char *why, size_t size)
{
	char *dst[6] = { e->ae_actor, e->ae_action, e->ae_target,
	    e->ae_result, e->ae_client, e->ae_agent };
	size_t max[6] = { AUDIT_MAX_ACTOR, AUDIT_MAX_ACTION, AUDIT_MAX_TARGET,
	    AUDIT_MAX_RESULT, AUDIT_MAX_CLIENT, AUDIT_MAX_AGENT };
	yyjson_val *ph = yyjson_obj_get(o, "prev_hash"),
	    *h = yyjson_obj_get(o, "hash");

	for (int i = 0; i < 6; i++) {
		yyjson_val *v = yyjson_obj_get(o, line_keys[6 + i]);

		if (!yyjson_is_str(v) || yyjson_get_len(v) > max[i] ||
		    memchr(yyjson_get_str(v), 0, yyjson_get_len(v)) != NULL)
			return line_bad(why, size, "a text field is not text "
			    "or too long");
		memcpy(dst[i], yyjson_get_str(v), yyjson_get_len(v) + 1);
	}
	if (!yyjson_is_str(ph) || !yyjson_is_str(h) ||
	    hex_get(yyjson_get_str(ph), yyjson_get_len(ph), e->ae_prev_hash) ||
	    hex_get(yyjson_get_str(h), yyjson_get_len(h), hash))
		return line_bad(why, size, "a hash is not 64 hex digits");
	return CB_OK;
}

int
audit_line_parse(const char *line, size_t len, struct audit_entry *e,
    char *why, size_t why_size)
{
	uint8_t body[AUDIT_ENCODED_MAX], hash[AUDIT_HASH_LEN];
	yyjson_doc *d;
	yyjson_val *o;
	char t[40];
	int rc;

	memset(e, 0, sizeof(*e));
	if (len >= AUDIT_LINE_MAX)
		return line_bad(why, why_size, "the line is too long");
	d = yyjson_read(line, len, 0);
	o = yyjson_doc_get_root(d);
	if (!yyjson_is_obj(o) || yyjson_obj_size(o) != LINE_KEYS) {
		yyjson_doc_free(d);
		return line_bad(why, why_size, "it is not a log entry (not "
		    "JSON, or fields added or missing)");
	}
	for (int i = 0; i < LINE_KEYS; i++)
		if (yyjson_obj_get(o, line_keys[i]) == NULL) {
			yyjson_doc_free(d);
			return line_bad(why, why_size, "a field is missing");
		}
	rc = line_fixed(o, e, why, why_size);
	if (rc == CB_OK)
		rc = line_strings(o, e, hash, why, why_size);
	if (rc == CB_OK) {
		line_time(e->ae_time_ms, t);
		if (!yyjson_equals_str(yyjson_obj_get(o, "time"), t))
			rc = line_bad(why, why_size, "its time does not agree "
			    "with its time_ms");
	}
	yyjson_doc_free(d);
	if (rc != CB_OK)
		return rc;
	if (audit_entry_decode(body, audit_entry_encode(e, body), e) != CB_OK)
		return line_bad(why, why_size, "its content is not what the log "
		    "can hold (sequence, time or text)");
	if (memcmp(hash, e->ae_hash, AUDIT_HASH_LEN) != 0)
		return line_bad(why, why_size, "its content does not match its "
		    "hash");
	return CB_OK;
}

/* ---- the chain check of an exported log ---- */

struct xwalk {
	uint8_t w_prev[AUDIT_HASH_LEN];
	int64_t w_prev_time;
	uint64_t w_expect, w_anchor, w_line;
};

static void
x_problem(struct audit_export_result *out, enum audit_problem p,
    uint64_t seq, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
x_problem(struct audit_export_result *out, enum audit_problem p,
    uint64_t seq, uint64_t line, const char *fmt, ...)
{
	va_list ap;

	out->ax_r.av_problem = p;
	out->ax_r.av_seq = seq;
	out->ax_line = line;
	va_start(ap, fmt);
	(void)vsnprintf(out->ax_r.av_what, sizeof(out->ax_r.av_what), fmt, ap);
	va_end(ap);
}

/* One line against the walk so far; 0 fine, 1 a problem (in out). */
static int
x_line(struct xwalk *w, const char *s, size_t n,
    struct audit_export_result *out)
{
	struct audit_entry e;
	uint64_t k = w->w_line;
	char why[120];

	if (audit_line_parse(s, n, &e, why, sizeof(why)) != CB_OK) {
		x_problem(out, AUDIT_CHANGED, w->w_expect, k, "line %" PRIu64
		    " (where entry %" PRIu64 " belongs) was changed: %s", k,
		    w->w_expect, why);
		return 1;
	}
	if (e.ae_seq > w->w_expect) {
		x_problem(out, AUDIT_REMOVED, w->w_expect, k, "entry %" PRIu64
		    " is missing at line %" PRIu64 ": the line holds entry %"
		    PRIu64 " (entries %" PRIu64 "-%" PRIu64 " were removed "
		    "or moved)", w->w_expect, k, e.ae_seq, w->w_expect,
		    e.ae_seq - 1);
		return 1;
	}
	if (e.ae_seq < w->w_expect) {
		x_problem(out, AUDIT_REORDERED, e.ae_seq, k, "line %" PRIu64
		    " was reordered: it holds entry %" PRIu64 " where entry %"
		    PRIu64 " belongs", k, e.ae_seq, w->w_expect);
		return 1;
	}
	if (memcmp(e.ae_prev_hash, w->w_prev, AUDIT_HASH_LEN) != 0) {
		if (k == 1)
			x_problem(out, AUDIT_CHANGED, e.ae_seq, k, "line 1 "
			    "(entry %" PRIu64 ") was changed: it does not "
			    "follow the anchor (entry %" PRIu64 ")", e.ae_seq,
			    w->w_anchor);
		else
			x_problem(out, AUDIT_CHANGED, e.ae_seq - 1, k - 1,
			    "line %" PRIu64 " (entry %" PRIu64 ") was changed:"
			    " line %" PRIu64 " recorded another hash for it",
			    k - 1, e.ae_seq - 1, k);
		return 1;
	}
	if (e.ae_time_ms < w->w_prev_time) {
		x_problem(out, AUDIT_REORDERED, e.ae_seq, k, "line %" PRIu64
		    " (entry %" PRIu64 ") is out of time order: older than "
		    "the entry before it", k, e.ae_seq);
		return 1;
	}
	memcpy(w->w_prev, e.ae_hash, AUDIT_HASH_LEN);
	w->w_prev_time = e.ae_time_ms;
	w->w_expect = e.ae_seq + 1;
	return 0;
}

/* After the last line: does the end match the head? */
static void
x_end(const struct xwalk *w, const struct audit_link *head,
    struct audit_export_result *out)
{
	uint64_t last = w->w_expect - 1;

	if (head->al_seq > last)
		x_problem(out, AUDIT_REMOVED, last + 1, w->w_line + 1, "entry %"
		    PRIu64 " was removed: the file ends at line %" PRIu64
		    " (entry %" PRIu64 ") but the head is entry %" PRIu64
		    " (the end was cut off)", last + 1, w->w_line, last,
		    head->al_seq);
	else if (head->al_seq < last)
		x_problem(out, AUDIT_CHANGED, head->al_seq + 1, w->w_line -
		    (last - head->al_seq) + 1, "line %" PRIu64 " (entry %"
		    PRIu64 ") is past the chain head (entry %" PRIu64 "): "
		    "added", w->w_line - (last - head->al_seq) + 1,
		    head->al_seq + 1, head->al_seq);
	else if (memcmp(head->al_hash, w->w_prev, AUDIT_HASH_LEN) != 0)
		x_problem(out, AUDIT_CHANGED, last, w->w_line, "line %" PRIu64
		    " (entry %" PRIu64 ") was changed: its hash does not match "
		    "the chain head", w->w_line, last);
}

void
audit_export_check(const char *jsonl, size_t len,
    const struct audit_link *anchor, const struct audit_link *head,
    struct audit_export_result *out)
{
	struct xwalk w;
	size_t o = 0;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.w_anchor = anchor->al_seq;
	w.w_expect = anchor->al_seq + 1;
	w.w_prev_time = anchor->al_time_ms;
	memcpy(w.w_prev, anchor->al_hash, AUDIT_HASH_LEN);
	/* Bounded by len: each round consumes a line and its newline. */
	while (o < len) {
		const char *s = jsonl + o, *nl = memchr(s, '\n', len - o);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - o;

		w.w_line++;
		if (nl == NULL) {
			x_problem(out, AUDIT_REMOVED, w.w_expect, w.w_line,
			    "line %" PRIu64 " was cut off (no newline at the "
			    "end of the file)", w.w_line);
			return;
		}
		if (x_line(&w, s, n, out) != 0)
			return;
		out->ax_r.av_entries++;
		o += n + 1;
	}
	x_end(&w, head, out);
}
