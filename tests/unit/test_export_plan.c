/*
 * test_export_plan.c: the export keeps up with the record table. Every
 * record type (core/records.c) must have a CSV in the export's plan
 * (core/export_plan.c), every field of it a Japanese header, and every
 * field that names a user or a class a name column beside it: a type or
 * field added later and forgotten fails here. File paths in the ZIP are
 * safe on every system the school may unpack them on.
 */
#include <string.h>

#include "t.h"
#include "base/cb.h"
#include "core/export_plan.h"
#include "core/records.h"

static int
has_non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

T_TEST(every_record_type_has_a_csv)
{
	for (int t = 0; t < REC_TYPE_COUNT; t++) {
		const char *csv = export_plan_csv_name(t);
		char want[64];

		T_ASSERT(csv != NULL);
		T_ASSERT(export_plan_title(t) != NULL &&
		    has_non_ascii(export_plan_title(t)));
		if (csv == NULL)
			continue;
		snprintf(want, sizeof(want), "%s.csv", rec_type_name(t));
		T_EQ_STR(csv, want);	/* ASCII: Windows' unzip */
	}
	T_ASSERT(export_plan_csv_name(REC_TYPE_COUNT) == NULL);
}

/* Every field of type t is a column, with a header that is not its
 * English name, and a name column beside each reference. */
static void
check_type(int t)
{
	struct export_col cols[EXPORT_COLS_MAX];
	const char *f[EXPORT_COLS_MAX];
	size_t nc = export_plan_columns(t, cols, EXPORT_COLS_MAX);
	size_t nf = rec_type_fields(t, f, EXPORT_COLS_MAX);

	T_ASSERT(nc >= 2 + nf);
	if (nc < 2)
		return;
	T_EQ_INT(cols[0].c_kind, XC_ID);
	T_EQ_INT(cols[1].c_kind, XC_REV);
	for (size_t i = 0; i < nf; i++) {
		int found = 0, named = 0;

		for (size_t k = 0; k < nc; k++) {
			if (strcmp(cols[k].c_field, f[i]) != 0)
				continue;
			if (cols[k].c_kind == XC_FIELD ||
			    cols[k].c_kind == XC_FILE_PATH) {
				found = 1;
				T_ASSERT(strcmp(cols[k].c_label, f[i]) != 0);
				T_ASSERT(has_non_ascii(cols[k].c_label) ||
				    strcmp(cols[k].c_label, "SHA-256") == 0);
			} else
				named = 1;
		}
		if (!found)
			fprintf(stderr, "%s.%s has no column\n",
			    rec_type_name(t), f[i]);
		T_ASSERT(found);
		T_EQ_INT(named, rec_field_ref(t, f[i]) != REC_REF_NONE);
	}
}

T_TEST(every_field_has_a_japanese_header_and_names_beside_ids)
{
	for (int t = 0; t < REC_TYPE_COUNT; t++)
		check_type(t);
}

T_TEST(attendance_columns_name_the_student_and_class)
{
	struct export_col c[EXPORT_COLS_MAX];
	size_t n = export_plan_columns(REC_ATTENDANCE, c, EXPORT_COLS_MAX);
	const char *want[] = { "レコードID", "版", "日付", "クラスID",
	    "クラス名", "生徒ID", "生徒名", "時限", "出欠", "理由", "記録者ID",
	    "記録者名", "更新日時(ms)" };

	T_EQ_INT(n, CB_ARRAY_LEN(want));
	for (size_t i = 0; i < n && i < CB_ARRAY_LEN(want); i++)
		T_EQ_STR(c[i].c_label, want[i]);
	T_EQ_INT(c[6].c_kind, XC_USER_NAME);
	T_EQ_INT(c[4].c_kind, XC_CLASS_NAME);
	T_EQ_INT(export_plan_columns(REC_ATTENDANCE, c, 5), 0); /* no room */
}

T_TEST(file_paths_are_safe)
{
	char p[256];

	T_EQ_INT(export_plan_file_path("file:abcDEF0123456789", "課題1.pdf", p,
	    sizeof(p)), 0);
	T_EQ_STR(p, "files/file_abcDEF0123456789/課題1.pdf");
	T_EQ_INT(export_plan_file_path("file:abcDEF0123456789",
	    "../a\\b:c*?\"<>|\x01.txt", p, sizeof(p)), 0);
	T_EQ_STR(p, "files/file_abcDEF0123456789/_._a_b_c_______.txt");
	T_EQ_INT(export_plan_file_path("file:abcDEF0123456789", "", p,
	    sizeof(p)), 0);
	T_EQ_STR(p, "files/file_abcDEF0123456789/_");
	T_EQ_INT(export_plan_file_path("user:abc", "x", p, sizeof(p)),
	    CB_EINVAL);
	/* Cut to whole characters: 3-byte 漢 never split. */
	T_EQ_INT(export_plan_file_path("file:abcDEF0123456789", "漢漢漢漢", p,
	    40), 0);
	T_EQ_STR(p, "files/file_abcDEF0123456789/漢漢漢");
}

T_MAIN()
