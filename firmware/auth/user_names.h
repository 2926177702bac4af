/*
 * user_names.h: every name of a role, an account state and an operation on
 * an account, in one table each. The numbers are the wire's (authproto.h);
 * the API, the console (classbox user), auth's log and both audit logs
 * take their words from here, so a new operation is added in one row.
 */
#ifndef USER_NAMES_H
#define USER_NAMES_H

#include <stdint.h>

struct user_op_names {
	uint32_t uon_op;		/* USER_OP_* */
	const char *uon_word;		/* the console's command and the
					 * API's POST /users/UID/WORD */
	int uon_api;			/* 0: not a POST word (delete is
					 * DELETE /users/UID) */
	const char *uon_phrase;		/* auth's log: "ADMIN suspend UID" */
	const char *uon_ops_action;	/* operations audit log (web) */
	const char *uon_login_action;	/* login audit log (auth) */
};

/* The row of op, or NULL when op is not a USER_OP_*. */
const struct user_op_names *user_op_names(uint32_t op);

/* The op whose word is word, or 0; with api set, only API words. */
uint32_t user_op_from_word(const char *word, int api);

/* The i-th row (0 ..), NULL past the last: for usage texts and tests. */
const struct user_op_names *user_op_at(unsigned i);

/* "teacher" for ROLE_TEACHER; NULL for ROLE_NONE or an unknown role. */
const char *user_role_name(uint32_t role);

/* ROLE_TEACHER for "teacher"; ROLE_NONE (0) for anything else. */
uint32_t user_role_from_name(const char *name);

/* "suspended" for USER_SUSPENDED; NULL for an unknown state. */
const char *user_state_name(uint32_t state);

#endif
