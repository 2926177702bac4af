/*
 * fuzz_authmsg.c: arbitrary bytes as a stream of requests to the auth
 * process's framing and validation (authd_frame, authd_check_msg): the
 * code that sees every byte a client sends before any handler does.
 * Invariants: a frame is never longer than the input; a message that
 * passes has the exact size of its type and NULs in all its strings.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/authd.h"
#include "auth/authproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	for (int i = 0; i < 1024 && off < size; i++) {
		struct auth_hdr h;
		size_t used;

		if (authd_frame(data + off, size - off, &h, &used) != 0 ||
		    used == 0)
			break;
		assert(used <= size - off);
		assert(used == sizeof(h) + auth_msg_len(h.ah_type));
		if (authd_check_msg(h.ah_type, data + off + sizeof(h),
		    h.ah_len) == 0)
			assert(auth_is_request(h.ah_type));
		off += used;
	}
	/* The whole input as one payload of every type, too. */
	for (uint32_t t = 0; t <= AUTH_MSG_TYPE_MAX; t++)
		(void)authd_check_msg(t, data, size);
	return 0;
}
