/*
 * export_plan.c: the export's plan per record type (export_plan.h).
 */
#include <string.h>

#include "base/cb.h"
#include "core/export_plan.h"
#include "base/utf8.h"

#define PLAN_FILE_DIR	"files/"

struct plan_type {
	const char *p_csv;		/* NULL: not planned */
	const char *p_title;
};

static const struct plan_type plan_types[REC_TYPE_COUNT] = {
	[REC_SCHOOL] = { "school.csv", "学校" },
	[REC_USER] = { "user.csv", "利用者" },
	[REC_CLASS] = { "class.csv", "クラス" },
	[REC_MEMBERSHIP] = { "membership.csv", "クラス所属" },
	[REC_ANNOUNCEMENT] = { "announcement.csv", "お知らせ" },
	[REC_RECEIPT] = { "receipt.csv", "既読" },
	[REC_ASSIGNMENT] = { "assignment.csv", "課題" },
	[REC_SUBMISSION] = { "submission.csv", "提出物" },
	[REC_ATTENDANCE] = { "attendance.csv", "出欠" },
	[REC_ABSENCE_NOTICE] = { "absence_notice.csv", "欠席連絡" },
	[REC_GUIDANCE_NOTE] = { "guidance_note.csv", "指導記録" },
	[REC_GRANT] = { "grant.csv", "閲覧許可" },
	[REC_FILE] = { "file.csv", "ファイル" },
};

/* A field's header; name: the header of the name beside it (a field
 * that names a user or a class). type -1: any type. */
struct plan_label {
	int l_type;
	const char *l_field, *l_label, *l_name;
};

/* Per-type headers first: the first match wins. */
static const struct plan_label plan_labels[] = {
	{ REC_SCHOOL, "name", "学校名", NULL },
	{ REC_CLASS, "name", "クラス名", NULL },
	{ REC_FILE, "name", "ファイル名", NULL },
	{ REC_USER, "name", "氏名", NULL },
	{ REC_ASSIGNMENT, "title", "課題名", NULL },
	{ REC_MEMBERSHIP, "role", "クラスでの役割", NULL },
	{ REC_CLASS, "kind", "クラスの種類", NULL },
	{ REC_ABSENCE_NOTICE, "kind", "連絡の種類", NULL },
	{ REC_ASSIGNMENT, "attachments", "添付ファイル", NULL },
	{ REC_FILE, "purpose", "用途", NULL },
	{ -1, "name", "名前", NULL },
	{ -1, "year", "年度", NULL },
	{ -1, "state", "状態", NULL },
	{ -1, "absence_cutoff", "欠席連絡の締切", NULL },
	{ -1, "user_id", "利用者ID", "氏名" },
	{ -1, "role", "役割", NULL },
	{ -1, "children", "子どものID", NULL },
	{ -1, "grade", "学年", NULL },
	{ -1, "admin", "管理者", NULL },
	{ -1, "code", "クラスコード", NULL },
	{ -1, "kind", "種類", NULL },
	{ -1, "archived", "過年度", NULL },
	{ -1, "class_id", "クラスID", "クラス名" },
	{ -1, "title", "件名", NULL },
	{ -1, "body", "本文", NULL },
	{ -1, "author_id", "作成者ID", "作成者名" },
	{ -1, "posted_at", "投稿日時(ms)", NULL },
	{ -1, "date", "日付", NULL },
	{ -1, "announcement_id", "お知らせID", NULL },
	{ -1, "seen_at", "既読日時(ms)", NULL },
	{ -1, "instructions", "説明", NULL },
	{ -1, "due_date", "締切", NULL },
	{ -1, "questions", "設問", NULL },
	{ -1, "attachments", "添付", NULL },
	{ -1, "assignment_id", "課題ID", NULL },
	{ -1, "student_id", "生徒ID", "生徒名" },
	{ -1, "submitted_at", "提出日時(ms)", NULL },
	{ -1, "late", "遅れ", NULL },
	{ -1, "text", "内容", NULL },
	{ -1, "answers", "解答", NULL },
	{ -1, "period", "時限", NULL },
	{ -1, "status", "出欠", NULL },
	{ -1, "reason", "理由", NULL },
	{ -1, "recorded_by", "記録者ID", "記録者名" },
	{ -1, "edited_at", "更新日時(ms)", NULL },
	{ -1, "parent_id", "保護者ID", "保護者名" },
	{ -1, "withdrawn_at", "取り消し日時(ms)", NULL },
	{ -1, "written_at", "記入日時(ms)", NULL },
	{ -1, "edited_by", "編集者ID", "編集者名" },
	{ -1, "grantee_id", "閲覧を許可された人のID", "閲覧を許可された人" },
	{ -1, "granted_by", "許可した人のID", "許可した人" },
	{ -1, "granted_at", "許可日時(ms)", NULL },
	{ -1, "owner_id", "所有者ID", "所有者名" },
	{ -1, "content_type", "形式", NULL },
	{ -1, "size", "サイズ(バイト)", NULL },
	{ -1, "sha256", "SHA-256", NULL },
	{ -1, "data", "ZIP内の場所", NULL },	/* the bytes: a real file */
	{ -1, "uploaded_at", "アップロード日時(ms)", NULL },
	{ -1, "attached_to", "添付先", NULL },
};

static const struct plan_label *
plan_label(enum rec_type t, const char *field)
{
	for (size_t i = 0; i < CB_ARRAY_LEN(plan_labels); i++)
		if ((plan_labels[i].l_type == -1 ||
		    plan_labels[i].l_type == (int)t) &&
		    strcmp(plan_labels[i].l_field, field) == 0)
			return &plan_labels[i];
	return NULL;
}

const char *
export_plan_csv_name(enum rec_type t)
{
	return (unsigned)t < REC_TYPE_COUNT ? plan_types[t].p_csv : NULL;
}

const char *
export_plan_title(enum rec_type t)
{
	return (unsigned)t < REC_TYPE_COUNT ? plan_types[t].p_title : NULL;
}

/* The column of field f, and the name beside it when it names one. */
static size_t
plan_field(enum rec_type t, const char *f, struct export_col *cols)
{
	const struct plan_label *l = plan_label(t, f);
	enum rec_ref ref = rec_field_ref(t, f);
	size_t k = 0;

	if (l == NULL || (ref != REC_REF_NONE && l->l_name == NULL))
		return 0;
	cols[k++] = (struct export_col){ l->l_label, f, t == REC_FILE &&
	    strcmp(f, "data") == 0 ? XC_FILE_PATH : XC_FIELD };
	if (ref != REC_REF_NONE)
		cols[k++] = (struct export_col){ l->l_name, f,
		    ref == REC_REF_USER ? XC_USER_NAME : XC_CLASS_NAME };
	return k;
}

size_t
export_plan_columns(enum rec_type t, struct export_col *cols, size_t max)
{
	const char *f[EXPORT_COLS_MAX];
	size_t n, k = 0, got;

	if (export_plan_csv_name(t) == NULL || max < 2)
		return 0;
	n = rec_type_fields(t, f, EXPORT_COLS_MAX);
	cols[k++] = (struct export_col){ "レコードID", "_id", XC_ID };
	cols[k++] = (struct export_col){ "版", "_rev", XC_REV };
	for (size_t i = 0; i < n; i++) {
		if (k + 2 > max || (got = plan_field(t, f[i], cols + k)) == 0)
			return 0;
		k += got;
	}
	return k;
}

int
export_plan_file_path(const char *id, const char *name, char *out,
    size_t out_size)
{
	size_t o, idn = strlen(id), nn = strlen(name);

	if (!rec_id_of_type(id, idn, REC_FILE) ||
	    out_size < sizeof(PLAN_FILE_DIR) + idn + 2 + 4)
		return CB_EINVAL;
	memcpy(out, PLAN_FILE_DIR, sizeof(PLAN_FILE_DIR) - 1);
	o = sizeof(PLAN_FILE_DIR) - 1;
	for (size_t i = 0; i < idn; i++)
		out[o++] = id[i] == ':' ? '_' : id[i];
	out[o++] = '/';
	for (size_t i = 0; i < nn;) {
		unsigned char c = (unsigned char)name[i];
		/* One character (base/utf8.h); a stray byte alone. */
		size_t cl = cb_utf8_seq(name + i, nn - i);

		if (cl == 0)
			cl = 1;
		if (o + cl >= out_size)
			break;		/* whole characters only */
		if (cl == 1 && (c < 0x20 || c == 0x7f ||
		    strchr("/\\:*?\"<>|", c) != NULL || (c == '.' && i == 0)))
			out[o++] = '_';
		else
			memcpy(out + o, name + i, cl), o += cl;
		i += cl;
	}
	if (out[o - 1] == '/')
		out[o++] = '_';		/* an empty name */
	out[o] = '\0';
	return CB_OK;
}
