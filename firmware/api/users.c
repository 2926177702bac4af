/*
 * users.c: account management for admins (/api/v1/users). The route
 * table in api.c has already checked the session, CSRF token, forced
 * password change and USER_F_ADMIN; auth checks the same again, since it
 * is the one that decides.
 */
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "api/api_impl.h"
#include "base/cb.h"
#include "base/utf8.h"

/* {"user":{...}} plus "initial_password" when pw is not NULL. The
 * password is referenced, not copied, so no extra copy outlives the
 * reply (api_req_json wipes the body it wrote). */
static int
api_user_reply(struct api_req *r, int status, const struct auth_user *u,
    const char *pw, size_t pw_size)
{
	yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = doc ? yyjson_mut_obj(doc) : NULL;
	yyjson_mut_val *uv = root ? api_user_json(doc, u) : NULL;
	int ok = uv != NULL && yyjson_mut_obj_add_val(doc, root, "user", uv);

	if (ok && pw != NULL) {
		size_t n = strnlen(pw, pw_size);
		ok = n > 0 && n < pw_size &&
		    cb_utf8_valid(pw, n, CB_UTF8_ANY) &&
		    yyjson_mut_obj_add_strn(doc, root, "initial_password", pw, n);
	}
	if (!ok) {
		yyjson_mut_doc_free(doc);
		return api_req_error(r, API_E_INTERNAL);
	}
	yyjson_mut_doc_set_root(doc, root);
	return api_req_json(r, status, doc);
}

/* ---- list --------------------------------------------------------- */

static int
api_users_list_done(struct api_req *r, const void *reply)
{
	const struct auth_user_list_r *lr = reply;
	yyjson_mut_doc *doc;
	yyjson_mut_val *root, *arr, *uv;
	uint32_t i;
	int ok;

	if (lr->aulr_status != CB_OK)
		return api_req_status(r, lr->aulr_status, 0);
	if (lr->aulr_count > AUTH_LIST_MAX)
		return api_req_error(r, API_E_INTERNAL);
	doc = yyjson_mut_doc_new(NULL);
	root = doc ? yyjson_mut_obj(doc) : NULL;
	arr = root ? yyjson_mut_arr(doc) : NULL;
	ok = arr != NULL && yyjson_mut_obj_add_val(doc, root, "users", arr);
	for (i = 0; ok && i < lr->aulr_count; i++)
		ok = (uv = api_user_json(doc, &lr->aulr_users[i])) != NULL &&
		    yyjson_mut_arr_append(arr, uv);
	if (ok && lr->aulr_more && lr->aulr_count > 0)
		ok = yyjson_mut_obj_add_strcpy(doc, root, "next",
		    lr->aulr_users[lr->aulr_count - 1].au_uid);
	else if (ok)
		ok = yyjson_mut_obj_add_null(doc, root, "next");
	if (!ok) {
		yyjson_mut_doc_free(doc);
		return api_req_error(r, API_E_INTERNAL);
	}
	yyjson_mut_doc_set_root(doc, root);
	return api_req_json(r, 200, doc);
}

int
api_users_list(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	struct auth_user_list m;
	struct api_err err;
	int rc;

	memset(&m, 0, sizeof(m));
	if (api_parse_list_query(q->query, m.aul_after, &m.aul_limit, &err) !=
	    CB_OK)
		return api_req_error_full(r, &err);
	memcpy(m.aul_token, r->r_token, sizeof(m.aul_token));
	rc = api_req_call(r, AUTH_USER_LIST, &m, sizeof(m), AUTH_USER_LIST_R,
	    api_users_list_done);
	cb_wipe(&m, sizeof(m));
	return rc;
}

/* ---- create and get ----------------------------------------------- */

static int
api_users_create_done(struct api_req *r, const void *reply)
{
	const struct auth_user_pw_r *pr = reply;

	if (pr->aupr_status != CB_OK)
		return api_req_status(r, pr->aupr_status, 0);
	/* The roster copy; if it fails the account still exists (auth has
	 * it) and the next admin action on the user writes it again. */
	(void)api_profile_sync(r->r_api, &pr->aupr_user);
	api_audit_note(r, pr->aupr_user.au_uid);
	return api_user_reply(r, 201, &pr->aupr_user,
	    pr->aupr_initial_password, sizeof(pr->aupr_initial_password));
}

int
api_users_create(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	struct auth_user_create m;
	struct api_err err;
	int rc;

	memset(&m, 0, sizeof(m));
	if ((rc = api_parse_user_create(q->body, q->body_len, &m.auc_user,
	    &err)) != CB_OK)
		return rc == CB_ENOMEM ? api_req_error(r, API_E_BUSY) :
		    api_req_error_full(r, &err);
	memcpy(m.auc_token, r->r_token, sizeof(m.auc_token));
	rc = api_req_call(r, AUTH_USER_CREATE, &m, sizeof(m), AUTH_USER_PW_R,
	    api_users_create_done);
	cb_wipe(&m, sizeof(m));
	return rc;
}

static int
api_users_get_done(struct api_req *r, const void *reply)
{
	const struct auth_user_r *ur = reply;

	if (ur->aur_status != CB_OK)
		return api_req_status(r, ur->aur_status, 0);
	return api_user_reply(r, 200, &ur->aur_user, NULL, 0);
}

int
api_users_get(struct api_req *r)
{
	struct auth_user_ref m;
	int rc;

	memset(&m, 0, sizeof(m));
	memcpy(m.aur_token, r->r_token, sizeof(m.aur_token));
	memcpy(m.aur_uid, r->r_uid, sizeof(m.aur_uid));
	rc = api_req_call(r, AUTH_USER_GET, &m, sizeof(m), AUTH_USER_R,
	    api_users_get_done);
	cb_wipe(&m, sizeof(m));
	return rc;
}

/* ---- state changes ------------------------------------------------ */

static int
api_users_op_done(struct api_req *r, const void *reply)
{
	const struct auth_user_pw_r *pr = reply;

	if (pr->aupr_status != CB_OK)
		return api_req_status(r, pr->aupr_status, 0);
	/*
	 * The user's cached sessions hold the old flags and state (admin,
	 * suspended): drop them so that their next request asks auth.
	 */
	(void)api_scache_drop_uid(r->r_api->a_sessions, r->r_uid, NULL);
	/* The roster copy follows the account: state (graduated, ...),
	 * admin flag. A console-made account gets its copy here too. */
	if (r->r_op != USER_OP_RESET_PASSWORD &&
	    api_profile_sync(r->r_api, &pr->aupr_user) != CB_OK)
		log_warn("roster record not updated after a change by an admin");
	if (r->r_op == USER_OP_DELETE)
		return api_req_reply(r, 204, NULL, NULL, 0);
	if (r->r_op == USER_OP_RESET_PASSWORD)
		return api_user_reply(r, 200, &pr->aupr_user,
		    pr->aupr_initial_password,
		    sizeof(pr->aupr_initial_password));
	return api_user_reply(r, 200, &pr->aupr_user, NULL, 0);
}

int
api_users_op(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	struct auth_user_set m;
	struct api_err err;
	int rc;

	if (q->method == HTTP_M_DELETE)
		r->r_op = USER_OP_DELETE;
	if (api_parse_empty(q->body, q->body_len, &err) != CB_OK)
		return api_req_error_full(r, &err);
	memset(&m, 0, sizeof(m));
	memcpy(m.aus_token, r->r_token, sizeof(m.aus_token));
	memcpy(m.aus_uid, r->r_uid, sizeof(m.aus_uid));
	m.aus_op = r->r_op;
	rc = api_req_call(r, AUTH_USER_SET, &m, sizeof(m), AUTH_USER_PW_R,
	    api_users_op_done);
	cb_wipe(&m, sizeof(m));
	return rc;
}
