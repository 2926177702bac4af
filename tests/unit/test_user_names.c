/*
 * test_user_names.c: the one table of user roles, states and operations:
 * a row for every operation, the words the API and the console have
 * always taken, and the actions both audit logs have always written.
 */
#include <stdint.h>

#include "t.h"
#include "auth/authproto.h"
#include "auth/user_names.h"
#include "base/cb.h"

T_TEST(user_op_names_one_row_each)
{
	const struct user_op_names *n;
	unsigned i, rows = 0;

	for (uint32_t op = USER_OP_SUSPEND; op <= USER_OP_TRANSFER; op++) {
		n = user_op_names(op);
		T_ASSERT(n != NULL && n->uon_op == op);
		if (n == NULL)
			continue;
		T_EQ_INT(user_op_from_word(n->uon_word, 0), op);
		T_EQ_INT(user_op_from_word(n->uon_word, 1),
		    n->uon_api ? op : 0);
		T_ASSERT(n->uon_phrase[0] && n->uon_ops_action[0] &&
		    n->uon_login_action[0]);
	}
	for (i = 0; (n = user_op_at(i)) != NULL; i++)
		rows++;
	T_EQ_INT(rows, USER_OP_TRANSFER);
	T_ASSERT(user_op_names(0) == NULL);
	T_ASSERT(user_op_names(USER_OP_TRANSFER + 1) == NULL);
	/* The words the API and the console have always taken. */
	T_EQ_INT(user_op_from_word("reset-password", 1),
	    USER_OP_RESET_PASSWORD);
	T_EQ_INT(user_op_from_word("delete", 1), 0);	/* DELETE /users/ */
	T_EQ_INT(user_op_from_word("delete", 0), USER_OP_DELETE);
	T_EQ_INT(user_op_from_word("Suspend", 0), 0);
	T_EQ_STR(user_op_names(USER_OP_RESET_PASSWORD)->uon_ops_action,
	    "user.reset_password");
	T_EQ_STR(user_op_names(USER_OP_RESET_PASSWORD)->uon_login_action,
	    "password_reset");
	T_EQ_STR(user_role_name(ROLE_TEACHER), "teacher");
	T_ASSERT(user_role_name(ROLE_NONE) == NULL);
	T_ASSERT(user_role_name(99) == NULL);
	T_EQ_INT(user_role_from_name("parent"), ROLE_PARENT);
	T_EQ_INT(user_role_from_name("root"), ROLE_NONE);
	T_EQ_STR(user_state_name(USER_TRANSFERRED), "transferred");
	T_ASSERT(user_state_name(0) == NULL);
}

T_MAIN()
