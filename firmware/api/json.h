/*
 * json.h: the API's JSON edge. Parses and checks request bodies (strictly:
 * one UTF-8 JSON object, known fields of the right type and size, no
 * duplicates) and builds the one error shape and the public view of a
 * user. Pure functions: no sockets, no clock, no session state, so that
 * the unit tests and the fuzz target drive them directly.
 */
#ifndef API_JSON_H
#define API_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "auth/authproto.h"

#define API_JSON_BODY_MAX	(16 * 1024)	/* bytes of a request body */
#define API_FIELD_ECHO_MAX	64	/* bytes of a field name in an error */
#define API_LIST_DEFAULT	20	/* users per page when no limit= */
#define API_QUERY_MAX		256	/* bytes of a query string */

/* Every error the API answers with; api_err_info gives its HTTP status,
 * wire code and messages. */
enum api_err_code {
	API_E_NONE = 0,
	API_E_BAD_REQUEST,
	API_E_INVALID_JSON,
	API_E_INVALID_UTF8,
	API_E_INVALID_FIELD,
	API_E_PW_SHORT,
	API_E_PW_USERID,
	API_E_PW_COMMON,
	API_E_PW_SAME,
	API_E_PW_LONG,
	API_E_PW_REPEAT,
	API_E_PW_NAME,
	API_E_PW_SCHOOL,
	API_E_NOT_LOGGED_IN,
	API_E_LOGIN_FAILED,
	API_E_WRONG_PASSWORD,
	API_E_FORBIDDEN,
	API_E_PW_CHANGE_REQUIRED,
	API_E_CSRF,
	API_E_NOT_FOUND,
	API_E_METHOD,
	API_E_EXISTS,
	API_E_LAST_ADMIN,
	API_E_INVALID_STATE,
	API_E_TOO_LARGE,
	API_E_MEDIA_TYPE,	/* 415, naming what the endpoint takes: */
	API_E_MEDIA_TYPE_CSV,	/* ... text/csv (roster import) */
	API_E_MEDIA_TYPE_FILE,	/* ... the file types (core/filetype.c) */
	API_E_TOO_MANY,
	API_E_INTERNAL,
	API_E_BUSY,
	API_E_UNAVAILABLE,
	API_E_CONFLICT,
	API_E_TERMINATING,
	API_E_TERMINATED,
	API_E_STUDENT_LEFT,
	API_E_CUTOFF,
	API_E_STORAGE_FULL,
	API_E_STORE,
	API_E_ARCHIVED,
	API_E_NO_SBOM,
	API_E_COUNT
};

/* Why a field was refused (for invalid_field's message). */
enum api_field_why {
	API_FIELD_UNKNOWN = 1,
	API_FIELD_MISSING,
	API_FIELD_TYPE,
	API_FIELD_LENGTH,
	API_FIELD_VALUE,
	API_FIELD_DUPLICATE,
};

struct api_err {
	enum api_err_code ae_code;
	enum api_field_why ae_why;	/* API_E_INVALID_FIELD only */
	uint32_t ae_retry_after_s;	/* API_E_TOO_MANY only */
	char ae_field[API_FIELD_ECHO_MAX]; /* valid UTF-8, maybe truncated */
};

#define API_ERR_MSG_MAX	768	/* bytes of one message, English or Japanese */

struct api_err_info {
	int aei_status;			/* HTTP status */
	const char *aei_code;		/* wire code, e.g. "csrf" */
	const char *aei_en;
	const char *aei_ja;
};

const struct api_err_info *api_err_info(enum api_err_code code);
/* The API error for a CB_E* status from auth (API_E_INTERNAL if none). */
enum api_err_code api_err_from_status(int status);
/* Fill err; field may be NULL. Returns CB_EINVAL for convenience. */
int api_err_set(struct api_err *err, enum api_err_code code,
    enum api_field_why why, const char *field, size_t field_len);
/* Build the error body {"error":{...}} (malloc'd, caller frees). */
int api_err_body(const struct api_err *err, char **out, size_t *out_len);

struct api_login_body {
	char alb_uid[AUTH_UID_MAX];
	char alb_password[AUTH_PASSWORD_MAX];
};

struct api_passwd_body {
	char apb_old[AUTH_PASSWORD_MAX];
	char apb_new[AUTH_PASSWORD_MAX];
};

/*
 * Request bodies. Each returns 0, or CB_EINVAL / CB_ENOMEM with err set.
 * Passwords are copied into the out struct only; every other copy made
 * while parsing is wiped. The caller wipes the out struct (cb_wipe).
 */
int api_parse_login(const char *body, size_t len, struct api_login_body *out,
    struct api_err *err);
int api_parse_passwd(const char *body, size_t len, struct api_passwd_body *out,
    struct api_err *err);
/* {"id","name","role","children"} into au_uid, au_name, au_role, au_links. */
int api_parse_user_create(const char *body, size_t len, struct auth_user *out,
    struct api_err *err);
/* Endpoints without parameters: an empty body or "{}". */
int api_parse_empty(const char *body, size_t len, struct api_err *err);
/* "after=UID&limit=N" (either optional); query may be NULL. */
int api_parse_list_query(const char *query, char after[AUTH_UID_MAX],
    uint32_t *limit, struct api_err *err);

/* 1 when s[0..len) is a login id: [a-z0-9._-]{3,63}. */
int api_uid_valid(const char *s, size_t len);

/* Build {"user":{...}} plus extra members; see json.c. A yyjson_mut_doc
 * and value, kept opaque here so that callers need not include yyjson. */
struct yyjson_mut_doc;
struct yyjson_mut_val;
struct yyjson_mut_val *api_user_json(struct yyjson_mut_doc *doc,
    const struct auth_user *u);

#endif
