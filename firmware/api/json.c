/*
 * json.c: request parsing and the error shape of the API. Everything here
 * is a pure function of its input, so it is fuzzed (tests/fuzz) and
 * unit-tested (tests/unit/test_api_json.c) without a server.
 *
 * Bodies are parsed in situ into one private buffer that also holds
 * yyjson's pool, so that every copy of a password made while parsing is
 * wiped in one place (api_json_close) before the memory is freed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "api/json.h"
#include "auth/user_names.h"
#include "base/cb.h"
#include "base/utf8.h"

#define API_MAX_FIELDS	8	/* known fields of one request body */

static const struct api_err_info api_errs[API_E_COUNT] = {
	[API_E_NONE] = { 200, "ok", "OK.", "OK。" },
	[API_E_BAD_REQUEST] = { 400, "bad_request",
	    "The request could not be understood.",
	    "リクエストを処理できませんでした。" },
	[API_E_INVALID_JSON] = { 400, "invalid_json",
	    "The request body must be one JSON object.",
	    "リクエスト本文は JSON オブジェクトである必要があります。" },
	[API_E_INVALID_UTF8] = { 400, "invalid_utf8",
	    "The request body is not valid UTF-8 text.",
	    "リクエスト本文が正しい UTF-8 テキストではありません。" },
	[API_E_INVALID_FIELD] = { 400, "invalid_field",
	    "A field is missing, unknown or invalid.",
	    "項目が不足しているか、不明か、正しくありません。" },
	[API_E_PW_SHORT] = { 400, "password_too_short",
	    "The new password is too short: use 8 to 64 characters.",
	    "新しいパスワードが短すぎます。8〜64 文字にしてください。" },
	[API_E_PW_USERID] = { 400, "password_contains_user_id",
	    "The new password must not contain your user ID.",
	    "新しいパスワードにユーザー ID を含めないでください。" },
	[API_E_PW_COMMON] = { 400, "password_too_common",
	    "The new password is too common: choose a less guessable one.",
	    "新しいパスワードはよく使われるものです。推測されにくいものにしてください。" },
	[API_E_PW_SAME] = { 400, "password_same_as_old",
	    "The new password must differ from the current one.",
	    "新しいパスワードは現在のパスワードと別のものにしてください。" },
	[API_E_PW_LONG] = { 400, "password_too_long",
	    "The new password is too long: use 8 to 64 characters.",
	    "新しいパスワードが長すぎます。8〜64 文字にしてください。" },
	[API_E_PW_REPEAT] = { 400, "password_repetitive",
	    "The new password is too easy to guess: not one character "
	    "repeated, a repeated pattern, a sequence like 12345678 or "
	    "abcdefgh, or spaces only.",
	    "新しいパスワードは推測されやすいものです。同じ文字やパターンの"
	    "繰り返し、12345678 や abcdefgh、あいうえお… のような並び、"
	    "空白だけのものは使えません。" },
	[API_E_PW_NAME] = { 400, "password_contains_name",
	    "The new password must not contain your name.",
	    "新しいパスワードに自分の名前を含めないでください。" },
	[API_E_PW_SCHOOL] = { 400, "password_contains_school_name",
	    "The new password must not contain the school's name.",
	    "新しいパスワードに学校名を含めないでください。" },
	[API_E_NOT_LOGGED_IN] = { 401, "not_logged_in",
	    "You are not logged in, or your session has expired. Log in again.",
	    "ログインしていないか、セッションの有効期限が切れました。もう一度ログインしてください。" },
	[API_E_LOGIN_FAILED] = { 401, "login_failed",
	    "The user ID or password is incorrect.",
	    "ユーザー ID またはパスワードが正しくありません。" },
	[API_E_WRONG_PASSWORD] = { 401, "wrong_password",
	    "The current password is incorrect.",
	    "現在のパスワードが正しくありません。" },
	[API_E_FORBIDDEN] = { 403, "forbidden",
	    "You do not have permission to do this.",
	    "この操作を行う権限がありません。" },
	[API_E_PW_CHANGE_REQUIRED] = { 403, "password_change_required",
	    "Change your initial password first.",
	    "最初のパスワードを変更してください。" },
	[API_E_CSRF] = { 403, "csrf",
	    "The request did not come from this site's page. Reload the page "
	    "and try again.",
	    "このサイトのページからのリクエストではありません。ページを再読み込みしてもう一度お試しください。" },
	[API_E_NOT_FOUND] = { 404, "not_found",
	    "Not found.",
	    "見つかりません。" },
	[API_E_METHOD] = { 405, "method_not_allowed",
	    "This method is not allowed here.",
	    "この操作はここでは使えません。" },
	[API_E_EXISTS] = { 409, "exists",
	    "A user with this ID already exists (IDs are never reused).",
	    "この ID のユーザーはすでに存在します（ID は再利用できません）。" },
	[API_E_LAST_ADMIN] = { 409, "last_admin",
	    "The school must keep at least one active admin.",
	    "学校には有効な管理者が少なくとも 1 人必要です。" },
	[API_E_INVALID_STATE] = { 409, "invalid_state",
	    "This is not possible in the user's current state.",
	    "このユーザーの現在の状態ではこの操作はできません。" },
	[API_E_TOO_LARGE] = { 413, "payload_too_large",
	    "The request body is too large.",
	    "リクエスト本文が大きすぎます。" },
	[API_E_MEDIA_TYPE] = { 415, "unsupported_media_type",
	    "This endpoint takes JSON: send the body with Content-Type: "
	    "application/json.",
	    "この操作は JSON を受け付けます。Content-Type: application/json "
	    "で送信してください。" },
	[API_E_MEDIA_TYPE_CSV] = { 415, "unsupported_media_type",
	    "This endpoint takes a CSV file: send it with Content-Type: "
	    "text/csv.",
	    "この操作は CSV ファイルを受け付けます。Content-Type: text/csv "
	    "で送信してください。" },
	[API_E_MEDIA_TYPE_FILE] = { 415, "unsupported_media_type",
	    "Files must be JPEG, PNG, HEIC, PDF or plain text, sent with "
	    "their own Content-Type (image/jpeg, image/png, image/heic, "
	    "application/pdf, text/plain), and the contents must be of that "
	    "type.",
	    "ファイルは JPEG・PNG・HEIC・PDF・テキストのいずれかで、その種類の "
	    "Content-Type（image/jpeg、image/png、image/heic、application/pdf、"
	    "text/plain）を付けて送信してください。中身もその種類である必要が"
	    "あります。" },
	[API_E_TOO_MANY] = { 429, "too_many_attempts",
	    "Too many attempts.",
	    "試行回数が多すぎます。" },
	[API_E_INTERNAL] = { 500, "internal",
	    "Something went wrong on the box. Try again; if it persists, "
	    "tell your administrator.",
	    "本体で問題が発生しました。もう一度お試しください。続く場合は管理者に連絡してください。" },
	[API_E_BUSY] = { 503, "busy",
	    "The box is busy. Try again in a moment.",
	    "本体が混み合っています。しばらくしてからもう一度お試しください。" },
	[API_E_UNAVAILABLE] = { 503, "unavailable",
	    "The account service is not available right now. Try again in a "
	    "moment.",
	    "アカウントサービスが現在利用できません。しばらくしてからもう一度お試しください。" },
	[API_E_CONFLICT] = { 409, "conflict",
	    "Someone changed this record in the meantime (_rev is not the "
	    "latest). Load it again and reapply your change.",
	    "このデータは他の人が先に変更しました（_rev が最新ではありません）。読み込み直してから変更してください。" },
	[API_E_TERMINATING] = { 403, "school_terminating",
	    "The school is being terminated: its data can only be read and "
	    "exported by admins.",
	    "学校の利用終了手続き中です。管理者によるデータの閲覧と書き出しのみできます。" },
	[API_E_TERMINATED] = { 403, "school_terminated",
	    "The school has been terminated: this box no longer serves its "
	    "data.",
	    "学校の利用は終了しました。この本体はデータを提供しません。" },
	[API_E_STUDENT_LEFT] = { 403, "student_left",
	    "This student has graduated, transferred or been removed: their "
	    "records are closed to students and parents, and read-only for "
	    "teachers.",
	    "この生徒は卒業・転出・削除済みです。生徒と保護者は記録を見られず、教員は閲覧のみできます。" },
	[API_E_CUTOFF] = { 409, "cutoff_passed",
	    "The deadline for absence notices for this date has passed. "
	    "Please contact the school by phone.",
	    "この日の欠席連絡の受付時間は過ぎました。学校へ電話でご連絡ください。" },
	[API_E_STORAGE_FULL] = { 507, "storage_full",
	    "The box's storage is full: nothing was saved. Tell your "
	    "administrator.",
	    "本体の保存領域がいっぱいです。保存されませんでした。管理者に連絡してください。" },
	[API_E_STORE] = { 503, "store_unavailable",
	    "The classroom data is not available right now. Try again in a "
	    "moment; if it persists, tell your administrator.",
	    "授業データが現在利用できません。しばらくしてからもう一度お試しください。続く場合は管理者に連絡してください。" },
	[API_E_ARCHIVED] = { 409, "class_archived",
	    "This class belongs to a past school year and is kept read-only.",
	    "このクラスは過去の年度のもので、閲覧のみできます。" },
	[API_E_NO_SBOM] = { 404, "sbom_missing",
	    "This box has no software bill of materials: it was not started "
	    "from a classbox image (the image carries "
	    "/usr/share/classbox/sbom.spdx.json; `make sbom` writes one).",
	    "この本体にはソフトウェア部品表（SBOM）がありません。classbox "
	    "のイメージから起動されていません（イメージには "
	    "/usr/share/classbox/sbom.spdx.json があります。`make sbom` で作成できます）。" },
};

const struct api_err_info *
api_err_info(enum api_err_code code)
{
	if ((unsigned)code >= API_E_COUNT)
		code = API_E_INTERNAL;
	return &api_errs[code];
}

enum api_err_code
api_err_from_status(int status)
{
	switch (status) {
	case CB_EINVAL:		return API_E_BAD_REQUEST;
	case CB_ENOTFOUND:	return API_E_NOT_FOUND;
	case CB_EEXIST:		return API_E_EXISTS;
	case CB_EPERM:		return API_E_FORBIDDEN;
	case CB_ETOOBIG:	return API_E_TOO_LARGE;
	case CB_EAUTH:		return API_E_LOGIN_FAILED;
	case CB_ETHROTTLED:	return API_E_TOO_MANY;
	case CB_EPWCHANGE:	return API_E_PW_CHANGE_REQUIRED;
	case CB_EBUSY:		return API_E_BUSY;
	case CB_ESESSION:	return API_E_NOT_LOGGED_IN;
	case CB_EPWSHORT:	return API_E_PW_SHORT;
	case CB_EPWUSERID:	return API_E_PW_USERID;
	case CB_EPWCOMMON:	return API_E_PW_COMMON;
	case CB_EPWSAME:	return API_E_PW_SAME;
	case CB_EPWLONG:	return API_E_PW_LONG;
	case CB_EPWREPEAT:	return API_E_PW_REPEAT;
	case CB_EPWNAME:	return API_E_PW_NAME;
	case CB_EPWSCHOOL:	return API_E_PW_SCHOOL;
	case CB_ESTATE:		return API_E_INVALID_STATE;
	case CB_ELASTADMIN:	return API_E_LAST_ADMIN;
	case CB_EUNAVAIL:	return API_E_UNAVAILABLE;
	default:		return API_E_INTERNAL;
	}
}

int
api_err_set(struct api_err *err, enum api_err_code code,
    enum api_field_why why, const char *field, size_t field_len)
{
	size_t n = 0;

	memset(err, 0, sizeof(*err));
	err->ae_code = code;
	err->ae_why = why;
	if (field != NULL) {
		field_len = strnlen(field, field_len);
		n = cb_utf8_prefix(field, field_len, sizeof(err->ae_field) - 1);
		memcpy(err->ae_field, field, n);
	}
	err->ae_field[n] = '\0';
	return CB_EINVAL;
}

static const char *
api_why_en(enum api_field_why why)
{
	switch (why) {
	case API_FIELD_UNKNOWN:	return "is not a known field";
	case API_FIELD_MISSING:	return "is required";
	case API_FIELD_TYPE:	return "has the wrong type";
	case API_FIELD_LENGTH:	return "is empty or too long";
	case API_FIELD_DUPLICATE: return "appears more than once";
	default:		return "has an invalid value";
	}
}

static const char *
api_why_ja(enum api_field_why why)
{
	switch (why) {
	case API_FIELD_UNKNOWN:	return "は不明な項目です";
	case API_FIELD_MISSING:	return "は必須です";
	case API_FIELD_TYPE:	return "の型が正しくありません";
	case API_FIELD_LENGTH:	return "が空か長すぎます";
	case API_FIELD_DUPLICATE: return "が重複しています";
	default:		return "の値が正しくありません";
	}
}

/* The two messages of an error, with its parameters filled in. Each
 * buffer holds API_ERR_MSG_MAX bytes: every message of api_errs fits
 * whole (test_api_json checks; a cut one could end inside a character). */
static void
api_err_messages(const struct api_err *err, char *en, char *ja)
{
	const struct api_err_info *info = api_err_info(err->ae_code);
	const size_t size = API_ERR_MSG_MAX;

	if (err->ae_code == API_E_INVALID_FIELD) {
		snprintf(en, size, "The field \"%s\" %s.", err->ae_field,
		    api_why_en(err->ae_why));
		snprintf(ja, size, "項目「%s」%s。", err->ae_field,
		    api_why_ja(err->ae_why));
	} else if (err->ae_code == API_E_TOO_MANY) {
		snprintf(en, size, "Try again in %u s.", err->ae_retry_after_s);
		snprintf(ja, size, "%u 秒後にもう一度お試しください。",
		    err->ae_retry_after_s);
	} else {
		snprintf(en, size, "%s", info->aei_en);
		snprintf(ja, size, "%s", info->aei_ja);
	}
}

int
api_err_body(const struct api_err *err, char **out, size_t *out_len)
{
	char en[API_ERR_MSG_MAX], ja[API_ERR_MSG_MAX];
	yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root, *e;
	bool ok;

	*out = NULL;
	if (doc == NULL)
		return CB_ENOMEM;
	api_err_messages(err, en, ja);
	root = yyjson_mut_obj(doc);
	e = yyjson_mut_obj(doc);
	yyjson_mut_doc_set_root(doc, root);
	ok = root && e && yyjson_mut_obj_add_val(doc, root, "error", e) &&
	    yyjson_mut_obj_add_str(doc, e, "code",
		api_err_info(err->ae_code)->aei_code) &&
	    yyjson_mut_obj_add_strcpy(doc, e, "message", en) &&
	    yyjson_mut_obj_add_strcpy(doc, e, "message_ja", ja);
	if (ok && err->ae_code == API_E_INVALID_FIELD)
		ok = yyjson_mut_obj_add_strcpy(doc, e, "field", err->ae_field);
	if (ok)
		*out = yyjson_mut_write(doc, 0, out_len);
	yyjson_mut_doc_free(doc);
	return *out ? CB_OK : CB_ENOMEM;
}

int
api_uid_valid(const char *s, size_t len)
{
	size_t i;

	if (len < 3 || len >= AUTH_UID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* ---- parsing ------------------------------------------------------ */

/* A parsed body; all of it lives in one buffer wiped on close. */
struct api_json {
	yyjson_doc *aj_doc;
	yyjson_val *aj_root;
	char *aj_mem;
	size_t aj_mem_size;
};

static void
api_json_close(struct api_json *j)
{
	yyjson_doc_free(j->aj_doc);
	if (j->aj_mem != NULL) {
		cb_wipe(j->aj_mem, j->aj_mem_size);
		free(j->aj_mem);
	}
	memset(j, 0, sizeof(*j));
}

static int
api_json_open(struct api_json *j, const char *body, size_t len,
    struct api_err *err)
{
	const yyjson_read_flag flg = YYJSON_READ_INSITU;
	size_t pool;
	yyjson_alc alc;

	memset(j, 0, sizeof(*j));
	if (len > API_JSON_BODY_MAX)
		return api_err_set(err, API_E_TOO_LARGE, 0, NULL, 0);
	/* The encoding only: controls are JSON's business (yyjson). */
	if (!cb_utf8_valid(body, len, CB_UTF8_ANY))
		return api_err_set(err, API_E_INVALID_UTF8, 0, NULL, 0);
	pool = yyjson_read_max_memory_usage(len, flg);
	j->aj_mem_size = len + YYJSON_PADDING_SIZE + pool;
	if ((j->aj_mem = calloc(1, j->aj_mem_size)) == NULL) {
		(void)api_err_set(err, API_E_BUSY, 0, NULL, 0);
		return CB_ENOMEM;
	}
	memcpy(j->aj_mem, body, len);
	yyjson_alc_pool_init(&alc, j->aj_mem + len + YYJSON_PADDING_SIZE, pool);
	j->aj_doc = yyjson_read_opts(j->aj_mem, len, flg, &alc, NULL);
	if (j->aj_doc == NULL || !yyjson_is_obj(j->aj_root =
	    yyjson_doc_get_root(j->aj_doc))) {
		api_json_close(j);
		return api_err_set(err, API_E_INVALID_JSON, 0, NULL, 0);
	}
	return CB_OK;
}

/*
 * Match the members of the root object against names[0..n): vals[i] gets
 * the value of names[i] or NULL. Unknown and repeated members are errors.
 */
static int
api_json_fields(const struct api_json *j, const char *const *names, size_t n,
    yyjson_val **vals, struct api_err *err)
{
	yyjson_obj_iter it;
	yyjson_val *key;
	size_t i;

	for (i = 0; i < n; i++)
		vals[i] = NULL;
	yyjson_obj_iter_init(j->aj_root, &it);
	while ((key = yyjson_obj_iter_next(&it)) != NULL) {
		const char *k = yyjson_get_str(key);
		size_t klen = yyjson_get_len(key);

		for (i = 0; i < n; i++)
			if (strlen(names[i]) == klen &&
			    memcmp(names[i], k, klen) == 0)
				break;
		if (i == n)
			return api_err_set(err, API_E_INVALID_FIELD,
			    API_FIELD_UNKNOWN, k, klen);
		if (vals[i] != NULL)
			return api_err_set(err, API_E_INVALID_FIELD,
			    API_FIELD_DUPLICATE, k, klen);
		vals[i] = yyjson_obj_iter_get_val(key);
	}
	return CB_OK;
}

/*
 * Copy a required string member into dst (dst_size bytes with its NUL).
 * Strings with an embedded NUL ("\u0000") are refused: they would be
 * cut short in the fixed C fields of authproto.h.
 */
static int
api_json_str(yyjson_val *v, const char *name, char *dst, size_t dst_size,
    struct api_err *err)
{
	const char *s;
	size_t len;

	if (v == NULL)
		return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_MISSING,
		    name, strlen(name));
	if (!yyjson_is_str(v))
		return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_TYPE,
		    name, strlen(name));
	s = yyjson_get_str(v);
	len = yyjson_get_len(v);
	if (len == 0 || len >= dst_size)
		return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_LENGTH,
		    name, strlen(name));
	if (memchr(s, '\0', len) != NULL)
		return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_VALUE,
		    name, strlen(name));
	memcpy(dst, s, len);
	dst[len] = '\0';
	return CB_OK;
}

int
api_parse_login(const char *body, size_t len, struct api_login_body *out,
    struct api_err *err)
{
	static const char *const names[] = { "user", "password" };
	yyjson_val *v[CB_ARRAY_LEN(names)];
	struct api_json j;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = api_json_open(&j, body, len, err)) != CB_OK)
		return rc;
	if ((rc = api_json_fields(&j, names, CB_ARRAY_LEN(names), v, err)) ==
	    CB_OK &&
	    (rc = api_json_str(v[0], names[0], out->alb_uid,
	    sizeof(out->alb_uid), err)) == CB_OK)
		rc = api_json_str(v[1], names[1], out->alb_password,
		    sizeof(out->alb_password), err);
	api_json_close(&j);
	if (rc != CB_OK)
		cb_wipe(out, sizeof(*out));
	return rc;
}

/* Checks on a new password that need no secret beyond the body itself. */
static int
api_check_new_password(const struct api_passwd_body *pw, struct api_err *err)
{
	size_t len = strlen(pw->apb_new);

	/* The lengths here too, for a quick answer; auth applies every
	 * rule (password_check). */
	if (cb_utf8_count(pw->apb_new, len) < AUTH_PASSWORD_MIN)
		return api_err_set(err, API_E_PW_SHORT, 0, NULL, 0);
	if (cb_utf8_count(pw->apb_new, len) > AUTH_PASSWORD_MAX_CHARS)
		return api_err_set(err, API_E_PW_LONG, 0, NULL, 0);
	if (strcmp(pw->apb_new, pw->apb_old) == 0)
		return api_err_set(err, API_E_PW_SAME, 0, NULL, 0);
	return CB_OK;
}

int
api_parse_passwd(const char *body, size_t len, struct api_passwd_body *out,
    struct api_err *err)
{
	static const char *const names[] = { "old_password", "new_password" };
	yyjson_val *v[CB_ARRAY_LEN(names)];
	struct api_json j;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = api_json_open(&j, body, len, err)) != CB_OK)
		return rc;
	if ((rc = api_json_fields(&j, names, CB_ARRAY_LEN(names), v, err)) ==
	    CB_OK &&
	    (rc = api_json_str(v[0], names[0], out->apb_old,
	    sizeof(out->apb_old), err)) == CB_OK) {
		rc = api_json_str(v[1], names[1], out->apb_new,
		    sizeof(out->apb_new), err);
		/* A new password past the limit gets its own, clearer code. */
		if (rc != CB_OK && err->ae_why == API_FIELD_LENGTH &&
		    yyjson_get_len(v[1]) > 0)
			rc = api_err_set(err, API_E_PW_LONG, 0, NULL, 0);
	}
	api_json_close(&j);
	if (rc == CB_OK)
		rc = api_check_new_password(out, err);
	if (rc != CB_OK)
		cb_wipe(out, sizeof(*out));
	return rc;
}

static int
api_parse_role(yyjson_val *v, uint32_t *role, struct api_err *err)
{
	const char *s = yyjson_get_str(v);
	uint32_t r;

	if (v == NULL)
		return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_MISSING,
		    "role", 4);
	if (s == NULL)
		return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_TYPE,
		    "role", 4);
	/* The whole string: a NUL inside does not end it. */
	if (strlen(s) == yyjson_get_len(v) &&
	    (r = user_role_from_name(s)) != ROLE_NONE) {
		*role = r;
		return CB_OK;
	}
	return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_VALUE, "role", 4);
}

/* children: absent or [] unless parent; for a parent 1..AUTH_LINKS_MAX
 * distinct valid uids. */
static int
api_parse_children(yyjson_val *v, struct auth_user *u, struct api_err *err)
{
	static const char name[] = "children";
	yyjson_val *c;
	size_t i, max, k;

	if (v == NULL || (yyjson_is_arr(v) && yyjson_arr_size(v) == 0))
		return u->au_role == ROLE_PARENT ? api_err_set(err,
		    API_E_INVALID_FIELD, API_FIELD_MISSING, name, 8) : CB_OK;
	if (!yyjson_is_arr(v))
		return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_TYPE,
		    name, 8);
	if (u->au_role != ROLE_PARENT || yyjson_arr_size(v) > AUTH_LINKS_MAX)
		return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_VALUE,
		    name, 8);
	yyjson_arr_foreach(v, i, max, c) {
		if (!yyjson_is_str(c) ||
		    !api_uid_valid(yyjson_get_str(c), yyjson_get_len(c)))
			return api_err_set(err, API_E_INVALID_FIELD,
			    API_FIELD_VALUE, name, 8);
		for (k = 0; k < i; k++)
			if (strcmp(u->au_links[k], yyjson_get_str(c)) == 0)
				return api_err_set(err, API_E_INVALID_FIELD,
				    API_FIELD_DUPLICATE, name, 8);
		memcpy(u->au_links[i], yyjson_get_str(c), yyjson_get_len(c) + 1);
	}
	u->au_nlinks = (uint32_t)yyjson_arr_size(v);
	return CB_OK;
}

static int
api_user_create_fields(yyjson_val **v, struct auth_user *out,
    struct api_err *err)
{
	int rc;

	if ((rc = api_json_str(v[0], "id", out->au_uid, sizeof(out->au_uid),
	    err)) != CB_OK)
		return rc;
	if (!api_uid_valid(out->au_uid, strlen(out->au_uid)))
		return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_VALUE,
		    "id", 2);
	if ((rc = api_json_str(v[1], "name", out->au_name,
	    sizeof(out->au_name), err)) != CB_OK)
		return rc;
	if (!cb_utf8_valid(out->au_name, strlen(out->au_name), CB_UTF8_NAME))
		return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_VALUE,
		    "name", 4);
	if ((rc = api_parse_role(v[2], &out->au_role, err)) != CB_OK)
		return rc;
	return api_parse_children(v[3], out, err);
}

int
api_parse_user_create(const char *body, size_t len, struct auth_user *out,
    struct api_err *err)
{
	static const char *const names[] = { "id", "name", "role",
	    "children" };
	yyjson_val *v[CB_ARRAY_LEN(names)];
	struct api_json j;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = api_json_open(&j, body, len, err)) != CB_OK)
		return rc;
	if ((rc = api_json_fields(&j, names, CB_ARRAY_LEN(names), v, err)) ==
	    CB_OK)
		rc = api_user_create_fields(v, out, err);
	api_json_close(&j);
	if (rc != CB_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

int
api_parse_empty(const char *body, size_t len, struct api_err *err)
{
	yyjson_val *none;
	struct api_json j;
	int rc;

	if (len == 0)
		return CB_OK;
	if ((rc = api_json_open(&j, body, len, err)) != CB_OK)
		return rc;
	rc = api_json_fields(&j, NULL, 0, &none, err);
	api_json_close(&j);
	return rc;
}

/* One "name=value" pair of the users list query. */
static int
api_list_param(const char *p, size_t n, char *after, uint32_t *limit,
    struct api_err *err)
{
	const char *eq = memchr(p, '=', n);
	size_t klen = eq ? (size_t)(eq - p) : n, vlen = eq ? n - klen - 1 : 0;
	const char *val = eq ? eq + 1 : p + n;
	uint32_t x = 0;
	size_t i;

	if (klen == 5 && memcmp(p, "after", 5) == 0) {
		if (vlen > 0 && !api_uid_valid(val, vlen))
			return api_err_set(err, API_E_INVALID_FIELD,
			    API_FIELD_VALUE, "after", 5);
		memcpy(after, val, vlen);
		after[vlen] = '\0';
		return CB_OK;
	}
	if (klen == 5 && memcmp(p, "limit", 5) == 0) {
		for (i = 0; i < vlen && i < 3 && val[i] >= '0' && val[i] <= '9';
		    i++)
			x = x * 10 + (uint32_t)(val[i] - '0');
		if (vlen == 0 || i != vlen || x < 1 || x > AUTH_LIST_MAX)
			return api_err_set(err, API_E_INVALID_FIELD,
			    API_FIELD_VALUE, "limit", 5);
		*limit = x;
		return CB_OK;
	}
	return api_err_set(err, API_E_INVALID_FIELD, API_FIELD_UNKNOWN, p,
	    klen);
}

int
api_parse_list_query(const char *query, char after[AUTH_UID_MAX],
    uint32_t *limit, struct api_err *err)
{
	const char *p = query, *amp;
	size_t len, n;
	int rc, i;

	after[0] = '\0';
	*limit = API_LIST_DEFAULT;
	if (query == NULL)
		return CB_OK;
	len = strlen(query);
	if (len > API_QUERY_MAX || !cb_utf8_valid(query, len, CB_UTF8_LINE))
		return api_err_set(err, API_E_BAD_REQUEST, 0, NULL, 0);
	for (i = 0; *p != '\0' && i < 8; i++) {
		amp = strchr(p, '&');
		n = amp ? (size_t)(amp - p) : strlen(p);
		if (n > 0 && (rc = api_list_param(p, n, after, limit, err)) !=
		    CB_OK)
			return rc;
		p += n + (amp ? 1 : 0);
	}
	return *p == '\0' ? CB_OK :
	    api_err_set(err, API_E_BAD_REQUEST, 0, NULL, 0);
}

/* ---- output ------------------------------------------------------- */

/* Copy a fixed field from auth, which must hold a NUL and valid UTF-8. */
static bool
api_add_field(yyjson_mut_doc *doc, yyjson_mut_val *obj, const char *key,
    const char *field, size_t size)
{
	size_t len = strnlen(field, size);

	if (len == size || !cb_utf8_valid(field, len, CB_UTF8_ANY))
		return false;
	return yyjson_mut_obj_add_strncpy(doc, obj, key, field, len);
}

static bool
api_user_children(yyjson_mut_doc *doc, yyjson_mut_val *obj,
    const struct auth_user *u)
{
	yyjson_mut_val *arr = yyjson_mut_arr(doc);
	uint32_t i;

	if (arr == NULL || u->au_nlinks > AUTH_LINKS_MAX)
		return false;
	for (i = 0; i < u->au_nlinks; i++) {
		size_t len = strnlen(u->au_links[i], AUTH_UID_MAX);
		if (len == AUTH_UID_MAX ||
		    !cb_utf8_valid(u->au_links[i], len, CB_UTF8_ANY)
		    || !yyjson_mut_arr_add_strncpy(doc, arr, u->au_links[i], len))
			return false;
	}
	return yyjson_mut_obj_add_val(doc, obj, "children", arr);
}

yyjson_mut_val *
api_user_json(yyjson_mut_doc *doc, const struct auth_user *u)
{
	yyjson_mut_val *o = yyjson_mut_obj(doc);
	const char *role = user_role_name(u->au_role);
	const char *state = user_state_name(u->au_state);
	bool ok;

	ok = o != NULL && role != NULL && state != NULL &&
	    api_add_field(doc, o, "id", u->au_uid, sizeof(u->au_uid)) &&
	    api_add_field(doc, o, "name", u->au_name, sizeof(u->au_name)) &&
	    yyjson_mut_obj_add_str(doc, o, "role", role) &&
	    yyjson_mut_obj_add_bool(doc, o, "admin",
		(u->au_flags & USER_F_ADMIN) != 0) &&
	    yyjson_mut_obj_add_str(doc, o, "state", state) &&
	    yyjson_mut_obj_add_bool(doc, o, "must_change_password",
		(u->au_flags & USER_F_MUST_CHANGE) != 0) &&
	    api_user_children(doc, o, u) &&
	    yyjson_mut_obj_add_int(doc, o, "created_ms", u->au_created_ms);
	if (ok && u->au_last_login_ms != 0)
		ok = yyjson_mut_obj_add_int(doc, o, "last_login_ms",
		    u->au_last_login_ms);
	else if (ok)
		ok = yyjson_mut_obj_add_null(doc, o, "last_login_ms");
	return ok ? o : NULL;
}
