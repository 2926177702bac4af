/*
 * export_plan.h: what the admins' export (api/export.c) carries of each
 * record type: its CSV for people (an ASCII file name, Japanese column
 * headers, the name of a person or class beside each id) and its title.
 * Pure: tables over core/records.h.
 *
 * Every type of the record table must have a plan, and every field of a
 * type a Japanese header: tests/unit/test_export_plan.c walks the record
 * table against this one, so a type or field added later cannot leave
 * the export without a CSV or with an English header.
 */
#ifndef EXPORT_PLAN_H
#define EXPORT_PLAN_H

#include <stddef.h>

#include "core/records.h"

#define EXPORT_COLS_MAX		40	/* columns of a CSV */

enum export_col_kind {
	XC_ID,			/* the record's _id */
	XC_REV,			/* its _rev */
	XC_FIELD,		/* a field, as it is */
	XC_USER_NAME,		/* the name of the user the field names */
	XC_CLASS_NAME,		/* the name of the class the field names */
	XC_FILE_PATH,		/* a file's place in the ZIP */
};

struct export_col {
	const char *c_label;		/* the header, in Japanese */
	const char *c_field;		/* the field read (XC_FIELD, names) */
	enum export_col_kind c_kind;
};

/* The columns of type t's CSV into cols (room for max); their count, or
 * 0 when the plan lacks the type or a header for one of its fields. */
size_t export_plan_columns(enum rec_type t, struct export_col *cols,
    size_t max);
/* "attendance.csv": ASCII, since Windows' own unzip reads names in the
 * local code page. NULL for an unplanned type. */
const char *export_plan_csv_name(enum rec_type t);
/* "出欠": for the manifest and the page. NULL for an unplanned type. */
const char *export_plan_title(enum rec_type t);

/* A file's place in the ZIP: "files/<id, ':' as '_'>/<name made safe>"
 * (no '/', '\\', control or Windows-reserved character, no leading dot,
 * at most out_size - 1 bytes of whole UTF-8 characters). 0, or CB_EINVAL
 * when the id is not a file id. */
int export_plan_file_path(const char *id, const char *name, char *out,
    size_t out_size);

#endif
