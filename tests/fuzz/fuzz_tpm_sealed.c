/*
 * fuzz_tpm_sealed.c: a sealed root key's stored form (DATA/keys/root.tpm),
 * which a thief with the disk may rewrite. A blob that decodes must
 * encode back to the same bytes. A crash, leak or sanitizer report is a
 * bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "tpm/tpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tpm_sealed s;
	static uint8_t out[TPM_SEALED_FILE_MAX];
	size_t n = 0;

	if (tpm_sealed_decode(data, size, &s) != 0)
		return 0;
	if (tpm_sealed_encode(&s, out, sizeof(out), &n) != 0 || n != size ||
	    memcmp(out, data, size) != 0)
		abort();
	return 0;
}
