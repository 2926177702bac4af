/*
 * fuzz_audit.c: the audit entry decoder. Its input is what verify, query
 * and the cloud upload read back from disk, where an attacker with the key
 * (or a damaged disk) may have written anything. A decoded entry must
 * re-encode to exactly the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_entry e;
	uint8_t out[AUDIT_ENCODED_MAX];
	size_t n;

	if (audit_entry_decode(data, size, &e) != 0)
		return 0;
	n = audit_entry_encode(&e, out);
	if (n != size || memcmp(out, data, size) != 0)
		abort();	/* the encoding is not canonical */
	return 0;
}
