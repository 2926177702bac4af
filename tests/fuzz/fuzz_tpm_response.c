/*
 * fuzz_tpm_response.c: what a TPM (or whatever sits on its bus) answers:
 * the framing of a response for every shape we send (with and without a
 * session, with and without a handle), then the parameters of every
 * command we speak, and a public area as a storage key and as a sealed
 * object. A parse that succeeds must have stayed inside the input.
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "tpm/parse.h"
#include "tpm/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
params(const uint8_t *p, size_t len)
{
	struct tpm_ecc_pub pub;
	uint8_t name[TPM_NAME_LEN], nonce[TPM_NONCE_LEN], pol[TPM_DIGEST_LEN];
	uint8_t priv[TPM_PRIVATE_MAX], area[TPM_PUBLIC_MAX];
	uint8_t values[TPM_PCR_COUNT][TPM_DIGEST_LEN];
	const uint8_t *d;
	uint16_t pl, al;
	uint32_t got;
	size_t dl;

	(void)tpm_parse_create_primary(p, len, &pub, name);
	(void)tpm_parse_start_session(p, len, nonce);
	if (tpm_parse_create(p, len, priv, &pl, area, &al) == 0 &&
	    (pl > TPM_PRIVATE_MAX || al > TPM_PUBLIC_MAX || pl + al > len))
		abort();
	(void)tpm_parse_load(p, len, name);
	if (tpm_parse_unseal(p, len, &d, &dl) == 0 &&
	    (d < p || d + dl > p + len || dl > TPM_SEALED_DATA_MAX))
		abort();
	if (tpm_parse_pcr_read(p, len, 0xffffff, &got, values) == 0 &&
	    (got == 0 || (got >> TPM_PCR_COUNT) != 0))
		abort();
	(void)tpm_parse_empty(p, len);
	(void)tpm_parse_ecc_pub(p, len, &pub);
	(void)tpm_parse_sealed_pub(p, len, TPM_SEALED_ATTRS, pol);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tpm_rsp r;
	uint8_t *copy;

	/* An exact-size copy, so ASan sees any read past the answer. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	for (int s = 0; s <= 1; s++)
		for (int h = 0; h <= 1; h++) {
			if (tpm_rsp_frame(copy, size, s, h, &r) != 0 ||
			    r.tr_rc != 0)
				continue;
			if (r.tr_params + r.tr_params_len > copy + size ||
			    r.tr_nonce_len > TPM_NONCE_LEN ||
			    r.tr_hmac_len > TPM_DIGEST_LEN)
				abort();
			params(r.tr_params, r.tr_params_len);
		}
	params(copy, size);
	free(copy);
	return 0;
}
