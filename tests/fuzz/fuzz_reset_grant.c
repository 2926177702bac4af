/*
 * fuzz_reset_grant.c: the platform's password reset grants as sync pulls
 * them (auth/reset_grant.c: parse, then the checks auth makes again).
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <string.h>

#include "auth/reset_grant.h"
#include "base/cb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_reset_grant g;
	char why[RESET_GRANT_WHY_MAX];
	uint8_t salt[AUTH_GRANT_SALT_HEX / 2], hash[AUTH_GRANT_HASH_HEX / 2];

	(void)reset_grant_maybe((const char *)data, size);
	if (reset_grant_parse((const char *)data, size, &g, why) == CB_OK &&
	    reset_grant_check(&g, 1700000000000LL, why) == CB_OK)
		reset_grant_bytes(&g, salt, hash);
	/* the same bytes as a message from the socket */
	if (size >= sizeof(g)) {
		memcpy(&g, data, sizeof(g));
		if (reset_grant_check(&g, 1700000000000LL, why) == CB_OK)
			reset_grant_bytes(&g, salt, hash);
	}
	return 0;
}
