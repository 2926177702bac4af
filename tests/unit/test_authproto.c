/*
 * test_authproto.c: the web-auth message table (auth/authproto.h) against
 * the buffers both ends keep: every reply auth sends fits the union that
 * authd's status answers and the client's copy are made of, so a status
 * answer never sends bytes it did not zero and the client never copies
 * past its buffer.
 */
#include "auth/authproto.h"
#include "t.h"

T_TEST(every_reply_fits_the_reply_union)
{
	size_t replies = 0;

	for (uint32_t t = 1; t < AUTH_MSG_TYPE_MAX; t++) {
		uint32_t rt = auth_reply_type(t);
		if (rt == 0)
			continue;
		replies++;
		T_ASSERT(auth_msg_len(rt) > 0);
		T_ASSERT(auth_msg_len(rt) <= sizeof(union auth_reply_any));
		/* every reply starts with its int32_t status */
		T_ASSERT(auth_msg_len(rt) >= sizeof(int32_t));
		T_ASSERT(auth_msg_len(rt) <= AUTH_MSG_MAX);
	}
	T_ASSERT(replies >= 15);
	T_ASSERT(auth_msg_len(AUTH_REVOKE) <= sizeof(union auth_reply_any));
	/* the largest reply is the union's size: nothing wasted, nothing cut */
	T_EQ_INT(sizeof(union auth_reply_any),
	    sizeof(struct auth_audit_range_r));
}

T_TEST(every_message_type_has_a_length)
{
	for (uint32_t t = 1; t < AUTH_MSG_TYPE_MAX; t++)
		T_ASSERT(auth_msg_len(t) > 0);
	T_EQ_INT(auth_msg_len(0), 0);
	T_EQ_INT(auth_msg_len(AUTH_MSG_TYPE_MAX), 0);
	T_ASSERT(auth_is_request(AUTH_TOUCH));
	T_ASSERT(!auth_is_request(AUTH_REVOKE));
	T_ASSERT(!auth_is_request(AUTH_AUDIT_R));
}

T_MAIN()
