/*
 * records.c: the record types as tables of fields, and one validator that
 * walks them. Adding a type is adding a table; there is no per-type code
 * except the id rule, which is data too (the fields it is composed of).
 */
#include <stdio.h>
#include <string.h>

#include <yyjson.h>

#include "base/cb.h"
#include "base/date.h"
#include "core/records.h"
#include "base/utf8.h"

#define REC_MAX_FIELDS	16
#define REC_MAX_ID_PARTS 5
#define REC_JSON_MAX	(1024 * 1024)	/* = DOC_MAX_SIZE */

enum rec_kind {
	K_ID,		/* id characters [A-Za-z0-9._:-], 1..64 */
	K_UID,		/* login id */
	K_CLASS,	/* class id */
	K_CLASS_OR_SCHOOL, /* class id, or "school" (school-wide) */
	K_CODE,		/* class code [A-Za-z0-9_-]{1,16} */
	K_LINE,		/* one line of text, 1..max bytes */
	K_TEXT,		/* text with newlines and tabs, 1..max bytes */
	K_DATE,		/* YYYY-MM-DD */
	K_HHMM,		/* HH:MM */
	K_LOCAL_DT,	/* YYYY-MM-DDTHH:MM, school time */
	K_ENUM,		/* one of e[] */
	K_BOOL,
	K_INT,		/* min..max */
	K_MS,		/* milliseconds since the epoch, >= 0 */
	K_UID_LIST,	/* distinct uids, at most max */
	K_TEXT_LIST,	/* texts of at most 1000 bytes, at most max */
	K_ATTACH_LIST,	/* {id?, name, size, content_type}, at most max */
	K_SHA256,	/* 64 lowercase hex digits */
	K_B64URL,	/* unpadded base64url, 0..max bytes */
};

struct rec_field {
	const char *f_name;
	enum rec_kind f_kind;
	int f_required;
	int64_t f_min, f_max;		/* K_INT; K_LINE/K_TEXT/lists: max */
	const char *const *f_enum;	/* K_ENUM, NULL-terminated */
};

struct rec_schema {
	const char *s_name;
	/* _id: "<s_name>" when s_fixed, else "<s_name>:" + parts joined with
	 * ':', a part being a field or "*" (REC_RANDOM_LEN random chars). */
	int s_fixed;
	const char *s_id[REC_MAX_ID_PARTS];
	struct rec_field s_fields[REC_MAX_FIELDS];
};

static const char *const e_school_state[] =
    { "active", "terminating", "terminated", NULL };
static const char *const e_role[] =
    { "admin", "teacher", "student", "parent", NULL };
static const char *const e_user_state[] = { "active", "suspended",
    "graduated", "transferred", "deleted", NULL };
static const char *const e_class_kind[] =
    { "homeroom", "subject", "club", "group", NULL };
static const char *const e_member_role[] = { "teacher", "student", NULL };
static const char *const e_att_status[] =
    { "present", "absent", "late", "early_leave", NULL };
static const char *const e_notice_kind[] =
    { "absent", "late", "early_leave", NULL };
static const char *const e_notice_state[] = { "submitted", "withdrawn", NULL };
/* The media types a file may have: core/filetype.c's allow-list, which
 * api/files.c and sync/atts.c sniff (test_files checks they agree). */
static const char *const e_file_ctype[] = { "image/jpeg", "image/png",
    "image/heic", "application/pdf", "text/plain", "application/json",
    NULL };
static const char *const e_file_purpose[] = { "assignment", "submission",
    NULL };

#define REQ(n, k)		{ n, k, 1, 0, 0, NULL }
#define OPT(n, k)		{ n, k, 0, 0, 0, NULL }
#define REQ_N(n, k, max)	{ n, k, 1, 0, max, NULL }
#define OPT_N(n, k, max)	{ n, k, 0, 0, max, NULL }
#define REQ_INT(n, lo, hi)	{ n, K_INT, 1, lo, hi, NULL }
#define OPT_INT(n, lo, hi)	{ n, K_INT, 0, lo, hi, NULL }
#define REQ_ENUM(n, e)		{ n, K_ENUM, 1, 0, 0, e }

static const struct rec_schema rec_schemas[REC_TYPE_COUNT] = {
	[REC_SCHOOL] = { "school", 1, { NULL }, {
		REQ_N("name", K_LINE, REC_TITLE_MAX),
		REQ_INT("year", 2000, 2200),
		REQ_ENUM("state", e_school_state),
		OPT("absence_cutoff", K_HHMM),
	} },
	[REC_USER] = { "user", 0, { "user_id" }, {
		REQ("user_id", K_UID),
		REQ_ENUM("role", e_role),
		REQ_ENUM("state", e_user_state),
		REQ_N("name", K_LINE, REC_NAME_MAX),
		OPT_N("children", K_UID_LIST, REC_CHILDREN_MAX),
		OPT_INT("grade", 1, 12),
		OPT("admin", K_BOOL),
	} },
	[REC_CLASS] = { "class", 0, { "year", "code" }, {
		REQ_INT("year", 2000, 2200),
		REQ("code", K_CODE),
		REQ_N("name", K_LINE, REC_TITLE_MAX),
		{ "kind", K_ENUM, 1, 0, 0, e_class_kind },
		OPT("archived", K_BOOL),
	} },
	[REC_MEMBERSHIP] = { "membership", 0, { "class_id", "user_id" }, {
		REQ("class_id", K_CLASS),
		REQ("user_id", K_UID),
		REQ_ENUM("role", e_member_role),
	} },
	[REC_ANNOUNCEMENT] = { "announcement", 0, { "*" }, {
		REQ("class_id", K_CLASS_OR_SCHOOL),
		REQ_N("title", K_LINE, REC_TITLE_MAX),
		REQ_N("body", K_TEXT, REC_TEXT_MAX),
		REQ("author_id", K_UID),
		REQ("posted_at", K_MS),
		REQ("date", K_DATE),
	} },
	[REC_RECEIPT] = { "receipt", 0, { "announcement_id", "user_id" }, {
		REQ("announcement_id", K_ID),
		REQ("user_id", K_UID),
		REQ("seen_at", K_MS),
	} },
	[REC_ASSIGNMENT] = { "assignment", 0, { "*" }, {
		REQ("class_id", K_CLASS),
		REQ_N("title", K_LINE, REC_TITLE_MAX),
		REQ_N("instructions", K_TEXT, REC_TEXT_MAX),
		REQ("due_date", K_LOCAL_DT),
		REQ("author_id", K_UID),
		REQ("posted_at", K_MS),
		OPT_N("questions", K_TEXT_LIST, REC_LIST_MAX),
		OPT_N("attachments", K_ATTACH_LIST, REC_ATTACH_MAX),
	} },
	[REC_SUBMISSION] = { "submission", 0,
	    { "assignment_id", "student_id", "submitted_at" }, {
		REQ("assignment_id", K_ID),
		REQ("class_id", K_CLASS),
		REQ("student_id", K_UID),
		REQ("submitted_at", K_MS),
		REQ("late", K_BOOL),
		OPT_N("text", K_TEXT, REC_TEXT_MAX),
		OPT_N("answers", K_TEXT_LIST, REC_LIST_MAX),
		OPT_N("attachments", K_ATTACH_LIST, REC_ATTACH_MAX),
	} },
	[REC_ATTENDANCE] = { "attendance", 0,
	    { "date", "class_id", "student_id", "period" }, {
		REQ("date", K_DATE),
		REQ("class_id", K_CLASS),
		REQ("student_id", K_UID),
		REQ_INT("period", 0, REC_PERIOD_MAX),
		REQ_ENUM("status", e_att_status),
		OPT_N("reason", K_LINE, REC_REASON_MAX),
		REQ("recorded_by", K_UID),
		REQ("edited_at", K_MS),
	} },
	[REC_ABSENCE_NOTICE] = { "absence_notice", 0, { "*" }, {
		REQ("student_id", K_UID),
		REQ("parent_id", K_UID),
		REQ("date", K_DATE),
		REQ_ENUM("kind", e_notice_kind),
		OPT_N("reason", K_LINE, REC_REASON_MAX),
		REQ_ENUM("state", e_notice_state),
		REQ("submitted_at", K_MS),
		OPT("withdrawn_at", K_MS),
		OPT("class_id", K_CLASS),
	} },
	[REC_GUIDANCE_NOTE] = { "guidance_note", 0, { "*" }, {
		REQ("student_id", K_UID),
		REQ("author_id", K_UID),
		REQ_N("text", K_TEXT, REC_TEXT_MAX),
		REQ("date", K_DATE),
		REQ("written_at", K_MS),
		/* a teacher's merge of versions in conflict (conflicts.c) */
		OPT("edited_by", K_UID),
		OPT("edited_at", K_MS),
	} },
	[REC_GRANT] = { "grant", 0, { "grantee_id", "student_id" }, {
		REQ("grantee_id", K_UID),
		REQ("student_id", K_UID),
		REQ("granted_by", K_UID),
		REQ("granted_at", K_MS),
	} },
	/* A file attached to an assignment (by its teacher) or to be
	 * attached to a submission (by its student); attached_to is set in
	 * the same transaction as the record that references it. */
	[REC_FILE] = { "file", 0, { "*" }, {
		REQ("owner_id", K_UID),
		REQ_ENUM("purpose", e_file_purpose),
		REQ("assignment_id", K_ID),
		REQ("class_id", K_CLASS),
		REQ_ENUM("content_type", e_file_ctype),
		REQ_N("name", K_LINE, REC_FILE_NAME_MAX),
		REQ_INT("size", 0, REC_FILE_MAX),
		REQ("sha256", K_SHA256),
		REQ_N("data", K_B64URL, (REC_FILE_MAX / 3 + 1) * 4),
		REQ("uploaded_at", K_MS),
		OPT_N("attached_to", K_LINE, REC_ID_MAX),
	} },
};

/* ---- names and simple values --------------------------------------- */

int
rec_type_from_name(const char *name, size_t len)
{
	for (int i = 0; i < REC_TYPE_COUNT; i++)
		if (strlen(rec_schemas[i].s_name) == len &&
		    memcmp(rec_schemas[i].s_name, name, len) == 0)
			return i;
	return -1;
}

size_t
rec_type_fields(enum rec_type t, const char **names, size_t max)
{
	size_t n = 0;

	if ((unsigned)t >= REC_TYPE_COUNT)
		return 0;
	for (size_t i = 0; i < REC_MAX_FIELDS && n < max &&
	    rec_schemas[t].s_fields[i].f_name != NULL; i++)
		names[n++] = rec_schemas[t].s_fields[i].f_name;
	return n;
}

enum rec_ref
rec_field_ref(enum rec_type t, const char *field)
{
	if ((unsigned)t >= REC_TYPE_COUNT)
		return REC_REF_NONE;
	for (size_t i = 0; i < REC_MAX_FIELDS &&
	    rec_schemas[t].s_fields[i].f_name != NULL; i++) {
		const struct rec_field *f = &rec_schemas[t].s_fields[i];

		if (strcmp(f->f_name, field) != 0)
			continue;
		return f->f_kind == K_UID ? REC_REF_USER :
		    f->f_kind == K_CLASS || f->f_kind == K_CLASS_OR_SCHOOL ?
		    REC_REF_CLASS : REC_REF_NONE;
	}
	return REC_REF_NONE;
}

const char *
rec_type_name(enum rec_type t)
{
	return (unsigned)t < REC_TYPE_COUNT ? rec_schemas[t].s_name : NULL;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
id_chars_valid(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != ':' && s[i] != '-')
			return 0;
	return 1;
}

int
rec_uid_valid(const char *s, size_t len)
{
	if (len < 3 || len >= REC_UID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!is_digit(c) && !(c >= 'a' && c <= 'z') && c != '.' &&
		    c != '_' && c != '-')
			return 0;
	}
	return 1;
}

static int
code_valid(const char *s, size_t len)
{
	if (len == 0 || len > 16)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/* class:YYYY:code */
int
rec_class_id_valid(const char *s, size_t len)
{
	if (len < 12 || memcmp(s, "class:", 6) != 0 || s[10] != ':')
		return 0;
	for (int i = 6; i < 10; i++)
		if (!is_digit(s[i]))
			return 0;
	return code_valid(s + 11, len - 11);
}

static int
num2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int
rec_date_valid(const char *s, size_t len)
{
	int y, m, d;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !is_digit(s[i]))
			return 0;
	y = num2(s) * 100 + num2(s + 2);
	m = num2(s + 5);
	d = num2(s + 8);
	if (y < 2000 || y > 2200 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= cb_date_mdays(y, m);
}

int
rec_hhmm_valid(const char *s, size_t len)
{
	return len == 5 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':' &&
	    is_digit(s[3]) && is_digit(s[4]) && num2(s) < 24 &&
	    num2(s + 3) < 60;
}

int
rec_local_dt_valid(const char *s, size_t len)
{
	return len == 16 && rec_date_valid(s, 10) && s[10] == 'T' &&
	    rec_hhmm_valid(s + 11, 5);
}

int
rec_id_of_type(const char *s, size_t len, enum rec_type t)
{
	const char *name = rec_type_name(t);
	size_t n = name ? strlen(name) : 0;

	return name != NULL && len > n + 1 && memcmp(s, name, n) == 0 &&
	    s[n] == ':' && id_chars_valid(s, len, REC_ID_MAX);
}

int
rec_random_id(enum rec_type t, char *out, size_t size)
{
	static const char alphabet[] =
	    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint8_t rnd[REC_RANDOM_LEN];
	char part[REC_RANDOM_LEN + 1];
	int n;

	if (rec_type_name(t) == NULL || cb_random(rnd, sizeof(rnd)) != CB_OK)
		return CB_EIO;
	/* 62 symbols from a byte: a small bias, irrelevant for ids. */
	for (size_t i = 0; i < REC_RANDOM_LEN; i++)
		part[i] = alphabet[rnd[i] % 62];
	part[REC_RANDOM_LEN] = '\0';
	n = snprintf(out, size, "%s:%s", rec_type_name(t), part);
	return n > 0 && (size_t)n < size ? CB_OK : CB_ETOOBIG;
}

/* ---- school time ---------------------------------------------------- */

int64_t
rec_now_local_minutes(int64_t now_ms)
{
	int64_t min = now_ms / 60000;

	if (now_ms < 0 && now_ms % 60000 != 0)
		min--;
	return min + REC_SCHOOL_UTC_OFFSET_MIN;
}

void
rec_local_date(int64_t now_ms, char out[11])
{
	int64_t min = rec_now_local_minutes(now_ms);
	int64_t days = min / 1440 - (min < 0 && min % 1440 != 0);
	char buf[32];
	int64_t y;
	int m, d;

	cb_civil_from_days(days, &y, &m, &d);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d",
	    (int)((y % 10000 + 10000) % 10000), m, d);
	memcpy(out, buf, 10);
	out[10] = '\0';
}

int64_t
rec_local_minutes(const char *date, const char *hhmm)
{
	char buf[17];

	if (date == NULL)
		return -1;
	if (hhmm == NULL) {
		if (!rec_local_dt_valid(date, strlen(date)))
			return -1;
		memcpy(buf, date, 16);
		buf[16] = '\0';
		date = buf;
		hhmm = buf + 11;
		buf[10] = '\0';
	}
	if (!rec_date_valid(date, strlen(date)) ||
	    !rec_hhmm_valid(hhmm, strlen(hhmm)))
		return -1;
	return cb_days_from_civil(num2(date) * 100 + num2(date + 2),
	    num2(date + 5), num2(date + 8)) * 1440 + num2(hhmm) * 60 +
	    num2(hhmm + 3);
}

int
rec_cutoff_passed(const char *date, const char *cutoff, int64_t now_ms)
{
	int64_t limit, now = rec_now_local_minutes(now_ms);

	if (cutoff != NULL)
		limit = rec_local_minutes(date, cutoff);
	else if ((limit = rec_local_minutes(date, "00:00")) >= 0)
		limit += 1440;
	return limit < 0 || now >= limit;
}

int
rec_is_late(const char *due, int64_t now_ms)
{
	int64_t limit = rec_local_minutes(due, NULL);

	return limit >= 0 && rec_now_local_minutes(now_ms) > limit;
}

/* ---- validation ------------------------------------------------------ */

static int
fail(struct rec_err *err, enum rec_why why, const char *field)
{
	err->re_why = why;
	snprintf(err->re_field, sizeof(err->re_field), "%s", field);
	return CB_EINVAL;
}


static int
check_str(const struct rec_field *f, yyjson_val *v, const char *name,
    struct rec_err *err)
{
	const char *s = yyjson_get_str(v);
	size_t len = yyjson_get_len(v);
	int ok;

	if (!yyjson_is_str(v))
		return fail(err, REC_TYPE, name);
	switch (f->f_kind) {
	case K_LINE:
	case K_TEXT:
		if (len == 0 || (int64_t)len > f->f_max)
			return fail(err, REC_LENGTH, name);
		ok = cb_utf8_valid(s, len, f->f_kind == K_TEXT ? CB_UTF8_TEXT :
		    CB_UTF8_LINE);
		break;
	case K_ID:	ok = id_chars_valid(s, len, 64); break;
	case K_UID:	ok = rec_uid_valid(s, len); break;
	case K_CLASS:	ok = rec_class_id_valid(s, len); break;
	case K_CLASS_OR_SCHOOL:
		ok = rec_class_id_valid(s, len) ||
		    (len == 6 && memcmp(s, "school", 6) == 0);
		break;
	case K_CODE:	ok = code_valid(s, len); break;
	case K_DATE:	ok = rec_date_valid(s, len); break;
	case K_HHMM:	ok = rec_hhmm_valid(s, len); break;
	case K_LOCAL_DT: ok = rec_local_dt_valid(s, len); break;
	case K_SHA256:
		ok = len == 64;
		for (size_t i = 0; ok && i < len; i++)
			ok = is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f');
		break;
	case K_B64URL:
		ok = (int64_t)len <= f->f_max && len % 4 != 1;
		for (size_t i = 0; ok && i < len; i++)
			ok = is_alnum(s[i]) || s[i] == '-' || s[i] == '_';
		break;
	case K_ENUM:
		ok = 0;
		for (const char *const *e = f->f_enum; *e && !ok; e++)
			ok = strlen(*e) == len && memcmp(*e, s, len) == 0;
		break;
	default:
		ok = 0;
	}
	return ok ? CB_OK : fail(err, REC_VALUE, name);
}

/* An attachment: {"id"?, "name", "size", "content_type"}; "id" is the
 * file record ("file:<random>") whose bytes GET /api/v1/files/{id} serves. */
static int
check_attachment(yyjson_val *o, size_t idx, struct rec_err *err)
{
	static const char *const names[] = { "name", "size", "content_type",
	    "id" };
	char field[REC_FIELD_MAX];
	yyjson_val *v[4];
	yyjson_obj_iter it;
	yyjson_val *k;
	const char *s;
	size_t i, n;

	snprintf(field, sizeof(field), "attachments[%zu]", idx);
	if (!yyjson_is_obj(o))
		return fail(err, REC_TYPE, field);
	memset(v, 0, sizeof(v));
	yyjson_obj_iter_init(o, &it);
	while ((k = yyjson_obj_iter_next(&it)) != NULL) {
		for (i = 0; i < 4; i++)
			if (yyjson_equals_str(k, names[i]))
				break;
		if (i == 4 || v[i] != NULL)
			return fail(err, i == 4 ? REC_UNKNOWN : REC_VALUE,
			    field);
		v[i] = yyjson_obj_iter_get_val(k);
	}
	if (!yyjson_is_str(v[0]) || yyjson_get_len(v[0]) == 0 ||
	    yyjson_get_len(v[0]) > REC_TITLE_MAX ||
	    !cb_utf8_valid(yyjson_get_str(v[0]), yyjson_get_len(v[0]),
	    CB_UTF8_LINE))
		return fail(err, REC_VALUE, field);
	if (!yyjson_is_uint(v[1]) || yyjson_get_uint(v[1]) > (1ULL << 32))
		return fail(err, REC_VALUE, field);
	/* content types have '/', '+', '.', '-', '_' */
	s = yyjson_get_str(v[2]);
	n = yyjson_get_len(v[2]);
	if (!yyjson_is_str(v[2]) || n == 0 || n > 100)
		return fail(err, REC_VALUE, field);
	for (i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !strchr("/+.-_", s[i]))
			return fail(err, REC_VALUE, field);
	if (v[3] != NULL && (!yyjson_is_str(v[3]) ||
	    !rec_id_of_type(yyjson_get_str(v[3]), yyjson_get_len(v[3]),
	    REC_FILE)))
		return fail(err, REC_VALUE, field);
	return CB_OK;
}

static int
check_list(const struct rec_field *f, yyjson_val *v, struct rec_err *err)
{
	yyjson_val *item, *other;
	size_t i, j, max;

	if (!yyjson_is_arr(v))
		return fail(err, REC_TYPE, f->f_name);
	if ((int64_t)yyjson_arr_size(v) > f->f_max)
		return fail(err, REC_LENGTH, f->f_name);
	yyjson_arr_foreach(v, i, max, item) {
		if (f->f_kind == K_ATTACH_LIST) {
			if (check_attachment(item, i, err) != CB_OK)
				return CB_EINVAL;
			continue;
		}
		if (!yyjson_is_str(item))
			return fail(err, REC_TYPE, f->f_name);
		if (f->f_kind == K_UID_LIST) {
			if (!rec_uid_valid(yyjson_get_str(item),
			    yyjson_get_len(item)))
				return fail(err, REC_VALUE, f->f_name);
			for (j = 0; j < i; j++) {
				other = yyjson_arr_get(v, j);
				if (yyjson_equals_strn(other,
				    yyjson_get_str(item), yyjson_get_len(item)))
					return fail(err, REC_VALUE, f->f_name);
			}
		} else if (yyjson_get_len(item) == 0 ||
		    yyjson_get_len(item) > 1000 ||
		    !cb_utf8_valid(yyjson_get_str(item), yyjson_get_len(item),
		    CB_UTF8_TEXT))
			return fail(err, REC_VALUE, f->f_name);
	}
	return CB_OK;
}

static int
check_field(const struct rec_field *f, yyjson_val *v, struct rec_err *err)
{
	switch (f->f_kind) {
	case K_BOOL:
		return yyjson_is_bool(v) ? CB_OK :
		    fail(err, REC_TYPE, f->f_name);
	case K_INT:
		if (!yyjson_is_int(v))
			return fail(err, REC_TYPE, f->f_name);
		if (yyjson_get_sint(v) < f->f_min ||
		    yyjson_get_sint(v) > f->f_max ||
		    (yyjson_is_uint(v) && yyjson_get_uint(v) > INT64_MAX))
			return fail(err, REC_VALUE, f->f_name);
		return CB_OK;
	case K_MS:
		if (!yyjson_is_uint(v) && !(yyjson_is_sint(v) &&
		    yyjson_get_sint(v) >= 0))
			return fail(err, REC_TYPE, f->f_name);
		if (yyjson_get_uint(v) > (1ULL << 53))
			return fail(err, REC_VALUE, f->f_name);
		return CB_OK;
	case K_UID_LIST:
	case K_TEXT_LIST:
	case K_ATTACH_LIST:
		return check_list(f, v, err);
	default:
		return check_str(f, v, f->f_name, err);
	}
}

/* Append the text of an id part (a field's value) to buf. */
static int
id_part(yyjson_val *v, char *buf, size_t size, size_t *pos)
{
	char num[24];
	const char *s;
	size_t n;

	if (yyjson_is_int(v)) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)yyjson_get_sint(v));
		s = num;
		n = strlen(num);
	} else if (yyjson_is_str(v)) {
		s = yyjson_get_str(v);
		n = yyjson_get_len(v);
	} else
		return 0;
	if (*pos + n + 1 >= size)
		return 0;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
	return 1;
}

static int
check_id(const struct rec_schema *sc, yyjson_val *root, yyjson_val *idv,
    struct rec_err *err)
{
	const char *id = yyjson_get_str(idv);
	size_t len = yyjson_get_len(idv), pos, n = strlen(sc->s_name);
	char want[REC_ID_MAX + 1];

	if (!yyjson_is_str(idv) || !id_chars_valid(id, len, REC_ID_MAX))
		return fail(err, REC_VALUE, "_id");
	if (sc->s_fixed)
		return len == n && memcmp(id, sc->s_name, n) == 0 ? CB_OK :
		    fail(err, REC_ID_MISMATCH, "_id");
	memcpy(want, sc->s_name, n);
	pos = n;
	for (int i = 0; i < REC_MAX_ID_PARTS && sc->s_id[i]; i++) {
		want[pos++] = ':';
		if (strcmp(sc->s_id[i], "*") == 0) {
			if (len != pos + REC_RANDOM_LEN ||
			    memcmp(id, want, pos) != 0)
				return fail(err, REC_ID_MISMATCH, "_id");
			for (size_t j = pos; j < len; j++)
				if (!is_alnum(id[j]))
					return fail(err, REC_ID_MISMATCH,
					    "_id");
			return CB_OK;
		}
		if (!id_part(yyjson_obj_get(root, sc->s_id[i]), want,
		    sizeof(want), &pos))
			return fail(err, REC_ID_MISMATCH, "_id");
	}
	return len == pos && memcmp(id, want, len) == 0 ? CB_OK :
	    fail(err, REC_ID_MISMATCH, "_id");
}

static const struct rec_field *
schema_field(const struct rec_schema *sc, const char *k, size_t klen)
{
	for (int i = 0; i < REC_MAX_FIELDS && sc->s_fields[i].f_name; i++)
		if (strlen(sc->s_fields[i].f_name) == klen &&
		    memcmp(sc->s_fields[i].f_name, k, klen) == 0)
			return &sc->s_fields[i];
	return NULL;
}

static int
check_members(const struct rec_schema *sc, yyjson_val *root,
    struct rec_err *err)
{
	unsigned seen = 0;
	yyjson_obj_iter it;
	yyjson_val *key;
	const struct rec_field *f;

	yyjson_obj_iter_init(root, &it);
	while ((key = yyjson_obj_iter_next(&it)) != NULL) {
		const char *k = yyjson_get_str(key);
		size_t klen = yyjson_get_len(key);
		char name[REC_FIELD_MAX];

		if ((klen == 3 && memcmp(k, "_id", 3) == 0) ||
		    (klen == 4 && memcmp(k, "_rev", 4) == 0) ||
		    (klen == 4 && memcmp(k, "type", 4) == 0))
			continue;
		if ((f = schema_field(sc, k, klen)) == NULL) {
			snprintf(name, sizeof(name), "%.*s",
			    (int)(klen < 40 ? klen : 40), k);
			return fail(err, REC_UNKNOWN, name);
		}
		if (seen & (1u << (f - sc->s_fields)))
			return fail(err, REC_VALUE, f->f_name);
		seen |= 1u << (f - sc->s_fields);
		if (check_field(f, yyjson_obj_iter_get_val(key), err) != CB_OK)
			return CB_EINVAL;
	}
	for (int i = 0; i < REC_MAX_FIELDS && sc->s_fields[i].f_name; i++)
		if (sc->s_fields[i].f_required && !(seen & (1u << i)))
			return fail(err, REC_MISSING, sc->s_fields[i].f_name);
	return CB_OK;
}

int
rec_validate(const char *json, size_t len, enum rec_type *type,
    struct rec_err *err)
{
	yyjson_doc *doc;
	yyjson_val *root, *tv, *rev;
	int t, rc;

	memset(err, 0, sizeof(*err));
	if (json == NULL || len > REC_JSON_MAX)
		return fail(err, REC_BAD_JSON, "");
	doc = yyjson_read(json, len, 0);
	root = doc ? yyjson_doc_get_root(doc) : NULL;
	if (!yyjson_is_obj(root)) {
		yyjson_doc_free(doc);
		return fail(err, REC_BAD_JSON, "");
	}
	tv = yyjson_obj_get(root, "type");
	rev = yyjson_obj_get(root, "_rev");
	if (tv == NULL)
		rc = fail(err, REC_MISSING, "type");
	else if (!yyjson_is_str(tv) || (t = rec_type_from_name(
	    yyjson_get_str(tv), yyjson_get_len(tv))) < 0)
		rc = fail(err, REC_VALUE, "type");
	else if (rev != NULL && !yyjson_is_str(rev))
		rc = fail(err, REC_TYPE, "_rev");
	else if ((rc = check_members(&rec_schemas[t], root, err)) == CB_OK &&
	    (rc = check_id(&rec_schemas[t], root,
	    yyjson_obj_get(root, "_id"), err)) == CB_OK)
		*type = (enum rec_type)t;
	yyjson_doc_free(doc);
	return rc;
}

void
rec_err_message(const struct rec_err *err, char *out, size_t size)
{
	static const char *const why[] = {
		[REC_OK] = "is fine",
		[REC_BAD_JSON] = "is not one JSON object",
		[REC_UNKNOWN] = "is not a known field",
		[REC_MISSING] = "is required",
		[REC_TYPE] = "has the wrong type",
		[REC_LENGTH] = "is empty or too long",
		[REC_VALUE] = "has an invalid value",
		[REC_ID_MISMATCH] = "does not match the record's fields",
	};
	unsigned w = (unsigned)err->re_why;

	if (w >= CB_ARRAY_LEN(why))
		w = REC_VALUE;
	if (err->re_why == REC_BAD_JSON)
		snprintf(out, size, "The record %s.", why[w]);
	else
		snprintf(out, size, "The field \"%s\" %s.", err->re_field,
		    why[w]);
}
