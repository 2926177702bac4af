/*
 * user_names.c: the names of roles, account states and operations (see
 * user_names.h).
 */
#include <assert.h>
#include <string.h>

#include "auth/authproto.h"
#include "auth/user_names.h"
#include "base/cb.h"

static const struct user_op_names user_ops[] = {
	{ USER_OP_SUSPEND, "suspend", 1, "suspend",
	    "user.suspend", "user.suspend" },
	{ USER_OP_REACTIVATE, "reactivate", 1, "reactivate",
	    "user.reactivate", "user.reactivate" },
	{ USER_OP_DELETE, "delete", 0, "delete",
	    "user.delete", "user.delete" },
	{ USER_OP_GRANT_ADMIN, "grant-admin", 1, "grant admin to",
	    "user.grant_admin", "user.grant_admin" },
	{ USER_OP_REVOKE_ADMIN, "revoke-admin", 1, "revoke admin from",
	    "user.revoke_admin", "user.revoke_admin" },
	{ USER_OP_RESET_PASSWORD, "reset-password", 1,
	    "reset the password of", "user.reset_password",
	    "password_reset" },
	{ USER_OP_GRADUATE, "graduate", 1, "graduate",
	    "user.graduate", "user.graduate" },
	{ USER_OP_TRANSFER, "transfer", 1, "transfer",
	    "user.transfer", "user.transfer" },
};

static const char *const user_roles[] = {
	[ROLE_ADMIN] = "admin", [ROLE_TEACHER] = "teacher",
	[ROLE_STUDENT] = "student", [ROLE_PARENT] = "parent",
};

static const char *const user_states[] = {
	[USER_ACTIVE] = "active", [USER_SUSPENDED] = "suspended",
	[USER_GRADUATED] = "graduated", [USER_TRANSFERRED] = "transferred",
	[USER_DELETED] = "deleted",
};

const struct user_op_names *
user_op_names(uint32_t op)
{
	for (size_t i = 0; i < CB_ARRAY_LEN(user_ops); i++)
		if (user_ops[i].uon_op == op)
			return &user_ops[i];
	return NULL;
}

uint32_t
user_op_from_word(const char *word, int api)
{
	assert(word != NULL);
	for (size_t i = 0; i < CB_ARRAY_LEN(user_ops); i++)
		if (strcmp(user_ops[i].uon_word, word) == 0 &&
		    (!api || user_ops[i].uon_api))
			return user_ops[i].uon_op;
	return 0;
}

const struct user_op_names *
user_op_at(unsigned i)
{
	return i < CB_ARRAY_LEN(user_ops) ? &user_ops[i] : NULL;
}

const char *
user_role_name(uint32_t role)
{
	return role < CB_ARRAY_LEN(user_roles) ? user_roles[role] : NULL;
}

uint32_t
user_role_from_name(const char *name)
{
	for (uint32_t r = 0; r < CB_ARRAY_LEN(user_roles); r++)
		if (user_roles[r] != NULL && strcmp(user_roles[r], name) == 0)
			return r;
	return ROLE_NONE;
}

const char *
user_state_name(uint32_t state)
{
	return state < CB_ARRAY_LEN(user_states) ? user_states[state] : NULL;
}
