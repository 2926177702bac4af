/*
 * records.h: the classroom record types and their validation (issue 3,
 * item 3). Pure: no I/O, no clock (times are passed in).
 *
 * Every record is a JSON document {"_id", "_rev"?, "type", fields...}.
 * Each type has a table of fields (kind, limits, required) and a rule for
 * its _id: either composed from its fields ("attendance:<date>:<class_id>:
 * <student_id>:<period>") or "<type>:<random>". Ids carry ids and dates,
 * never names: they are LMDB keys, stored in clear (docs/store.md).
 *
 * rec_validate refuses unknown fields, missing required ones, wrong types,
 * bad values and an _id that does not match the fields, and names the
 * field in rec_err so that the API can answer invalid_field with it.
 */
#ifndef RECORDS_H
#define RECORDS_H

#include <stddef.h>
#include <stdint.h>

#define REC_ID_MAX		200	/* = DOC_ID_MAX */
#define REC_UID_MAX		64	/* = AUTH_UID_MAX, with NUL */
#define REC_RANDOM_LEN		16	/* random part of a random id */
#define REC_FIELD_MAX		48	/* bytes of a field name in an error */
#define REC_TEXT_MAX		8000	/* bytes of a body, instructions, note */
#define REC_TITLE_MAX		200	/* bytes of a title or class name */
#define REC_NAME_MAX		127	/* bytes of a person's name */
#define REC_REASON_MAX		500	/* bytes of an attendance/notice reason */
#define REC_LIST_MAX		50	/* questions, answers */
#define REC_ATTACH_MAX		10	/* attachments of an assignment */
/* Bytes of an attached file: its record (base64url data, 4/3 of it, plus
 * its other fields) must fit the store's DOC_MAX_SIZE (1 MiB). */
#define REC_FILE_MAX		(750 * 1024)
#define REC_FILE_NAME_MAX	120	/* bytes of a file's name (UTF-8) */
#define REC_PERIOD_MAX		12	/* school periods; 0 = homeroom (朝) */
#define REC_CHILDREN_MAX	8	/* = AUTH_LINKS_MAX */
/* The school's clock: Japan has one offset and no daylight saving. */
#define REC_SCHOOL_UTC_OFFSET_MIN	(9 * 60)

enum rec_type {
	REC_SCHOOL,
	REC_USER,
	REC_CLASS,
	REC_MEMBERSHIP,
	REC_ANNOUNCEMENT,
	REC_RECEIPT,
	REC_ASSIGNMENT,
	REC_SUBMISSION,
	REC_ATTENDANCE,
	REC_ABSENCE_NOTICE,
	REC_GUIDANCE_NOTE,
	REC_GRANT,
	REC_FILE,		/* an attached file (api/files.c) */
	REC_TYPE_COUNT
};

/* Why a record was refused; field names the offending member ("_id",
 * "type", or a field; "attachments[2].name" style for nested ones). */
enum rec_why {
	REC_OK = 0,
	REC_BAD_JSON,		/* not one JSON object */
	REC_UNKNOWN,		/* unknown field */
	REC_MISSING,		/* required field missing */
	REC_TYPE,		/* wrong JSON type */
	REC_LENGTH,		/* empty or too long, or too many items */
	REC_VALUE,		/* invalid value */
	REC_ID_MISMATCH,	/* _id does not match the fields */
};

struct rec_err {
	enum rec_why re_why;
	char re_field[REC_FIELD_MAX];
};

/* The field names of type t, in table order, into names[] (up to max);
 * returns how many (export.c: the columns of a type's CSV). */
size_t rec_type_fields(enum rec_type t, const char **names, size_t max);
/* What a field names: a user (a login id), a class, or neither. */
enum rec_ref { REC_REF_NONE, REC_REF_USER, REC_REF_CLASS };
/* For field of type t (export.c: the name beside an id in a CSV);
 * REC_REF_NONE for an unknown field and for lists. */
enum rec_ref rec_field_ref(enum rec_type t, const char *field);
/* "attendance" -> REC_ATTENDANCE; -1 when unknown. */
int rec_type_from_name(const char *name, size_t len);
const char *rec_type_name(enum rec_type t);

/* Validate a record. On success *type is its type. Returns 0 or
 * CB_EINVAL with err filled. */
int rec_validate(const char *json, size_t len, enum rec_type *type,
    struct rec_err *err);
/* A sentence for a person ("The field \"date\" is required."). */
void rec_err_message(const struct rec_err *err, char *out, size_t size);

/* Value checks shared with the API (query parameters, path segments). */
int rec_uid_valid(const char *s, size_t len);		/* [a-z0-9._-]{3,63} */
int rec_class_id_valid(const char *s, size_t len);	/* class:YYYY:code */
int rec_date_valid(const char *s, size_t len);		/* YYYY-MM-DD, real */
int rec_hhmm_valid(const char *s, size_t len);		/* HH:MM */
int rec_local_dt_valid(const char *s, size_t len);	/* YYYY-MM-DDTHH:MM */
/* A record id of the given type: "<type>:..." of id characters. */
int rec_id_of_type(const char *s, size_t len, enum rec_type t);

/* A fresh random id "<type>:<16 chars>" (uses cb_random). */
int rec_random_id(enum rec_type t, char *out, size_t size);

/* School time (REC_SCHOOL_UTC_OFFSET_MIN). */
void rec_local_date(int64_t now_ms, char out[11]);	/* YYYY-MM-DD */
/* Minutes since the epoch, school time, of "YYYY-MM-DD" + "HH:MM"; or of
 * "YYYY-MM-DDTHH:MM" (hhmm NULL). -1 when malformed. */
int64_t rec_local_minutes(const char *date, const char *hhmm);
int64_t rec_now_local_minutes(int64_t now_ms);
/* 1 when a notice for date may no longer be sent: now is at or past
 * date's cut-off (cutoff NULL: past the end of that date). */
int rec_cutoff_passed(const char *date, const char *cutoff, int64_t now_ms);
/* 1 when a submission at now_ms is after due ("YYYY-MM-DDTHH:MM"). */
int rec_is_late(const char *due, int64_t now_ms);

#endif
