/*
 * fuzz_keyfiles.c: the key hierarchy's files a thief or a damaged disk may
 * hand us (in DATA/keys: the KEK files, root.recovery, recovery.escrow).
 * What decodes must encode back to the same bytes. A crash, leak or
 * sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "keys/escrow.h"
#include "keys/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t wrapped[SEAL_WRAPPED_LEN], kek[KEYFILE_KEK_LEN];
	uint8_t rec[KEYFILE_RECOVERY_LEN];
	struct keyfile_recovery r;
	struct escrow_blob b;
	unsigned purpose = size > 5 ? data[5] : 0;

	if (keyfile_kek_decode(data, size, purpose, wrapped) == 0) {
		keyfile_kek_encode(purpose, wrapped, kek);
		if (size != sizeof(kek) || memcmp(kek, data, size) != 0)
			abort();
	}
	if (keyfile_recovery_decode(data, size, &r) == 0) {
		keyfile_recovery_encode(&r, rec);
		if (size != sizeof(rec) || memcmp(rec, data, size) != 0)
			abort();
	}
	if (escrow_parse(data, size, &b) == 0 &&
	    (b.eb_tag + ESCROW_TAG_LEN != data + size))
		abort();
	return 0;
}
