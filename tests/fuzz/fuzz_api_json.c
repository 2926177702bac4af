/*
 * fuzz_api_json.c: libFuzzer target over the API's request parsing
 * (firmware/api/json.c): the login, password change and user creation
 * bodies, the parameterless body, the users list query, and the error
 * body built from whatever refusal came out. Pure functions, no sockets.
 * Invariants checked: a success yields NUL-terminated, well-formed fields;
 * a refusal yields a valid error body whose field name is UTF-8.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/json.h"
#include "auth/user_names.h"
#include "base/cb.h"
#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_err(int rc, const struct api_err *err)
{
	char *body = NULL;
	size_t len = 0;

	if (rc == CB_OK || rc == CB_ENOMEM)
		return;
	assert(rc == CB_EINVAL);
	assert(memchr(err->ae_field, '\0', sizeof(err->ae_field)) != NULL);
	assert(cb_utf8_valid(err->ae_field, strlen(err->ae_field),
	    CB_UTF8_ANY));
	if (api_err_body(err, &body, &len) == CB_OK) {
		assert(len > 0 && body[0] == '{');
		free(body);
	}
}

static void
check_user(const struct auth_user *u)
{
	uint32_t i;

	assert(api_uid_valid(u->au_uid, strlen(u->au_uid)));
	assert(strnlen(u->au_name, sizeof(u->au_name)) < sizeof(u->au_name));
	assert(user_role_name(u->au_role) != NULL);
	assert(u->au_nlinks <= AUTH_LINKS_MAX);
	for (i = 0; i < u->au_nlinks; i++)
		assert(api_uid_valid(u->au_links[i], strlen(u->au_links[i])));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct api_login_body lb;
	struct api_passwd_body pb;
	struct auth_user u;
	struct api_err err;
	char after[AUTH_UID_MAX], *q;
	uint32_t limit;
	int rc;

	rc = api_parse_login(body, size, &lb, &err);
	check_err(rc, &err);
	if (rc == CB_OK)
		assert(strlen(lb.alb_uid) < sizeof(lb.alb_uid) &&
		    strlen(lb.alb_password) < sizeof(lb.alb_password));
	rc = api_parse_passwd(body, size, &pb, &err);
	check_err(rc, &err);
	if (rc == CB_OK)
		assert(strcmp(pb.apb_old, pb.apb_new) != 0);
	rc = api_parse_user_create(body, size, &u, &err);
	check_err(rc, &err);
	if (rc == CB_OK)
		check_user(&u);
	check_err(api_parse_empty(body, size, &err), &err);

	if ((q = malloc(size + 1)) == NULL)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	rc = api_parse_list_query(q, after, &limit, &err);
	check_err(rc, &err);
	if (rc == CB_OK)
		assert(limit >= 1 && limit <= AUTH_LIST_MAX &&
		    (after[0] == '\0' || api_uid_valid(after, strlen(after))));
	free(q);
	return 0;
}
