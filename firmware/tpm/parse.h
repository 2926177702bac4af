/*
 * parse.h: the parameters of each TPM response we accept, parsed strictly
 * (every byte read, every size within its limit, the shapes our templates
 * ask for and nothing else). Fuzzed with the framing by
 * tests/fuzz/fuzz_tpm_response.c. CB_EPROTO on anything else.
 */
#ifndef TPM_PARSE_H
#define TPM_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "tpm/wire.h"

/* CreatePrimary: the storage key's public area (our SRK template's
 * shape) and its name, which must be the name of that area. */
int tpm_parse_create_primary(const uint8_t *p, size_t len,
    struct tpm_ecc_pub *pub, uint8_t name[TPM_NAME_LEN]);
/* StartAuthSession: nonceTPM, which must be 32 bytes. */
int tpm_parse_start_session(const uint8_t *p, size_t len,
    uint8_t nonce[TPM_NONCE_LEN]);
/* Create: the sealed object's private and public areas. */
int tpm_parse_create(const uint8_t *p, size_t len,
    uint8_t priv[TPM_PRIVATE_MAX], uint16_t *priv_len,
    uint8_t pub[TPM_PUBLIC_MAX], uint16_t *pub_len);
/* Load: the loaded object's name. */
int tpm_parse_load(const uint8_t *p, size_t len, uint8_t name[TPM_NAME_LEN]);
/* Unseal: the secret, in place (still encrypted when the session asked). */
int tpm_parse_unseal(const uint8_t *p, size_t len, const uint8_t **data,
    size_t *data_len);
/* PCR_Read: the PCRs returned (a non-empty part of want) and their values,
 * written at values[pcr]. */
int tpm_parse_pcr_read(const uint8_t *p, size_t len, uint32_t want,
    uint32_t *got, uint8_t values[TPM_PCR_COUNT][TPM_DIGEST_LEN]);
/* A response with no parameters (PolicyPCR, PCR_Extend, FlushContext). */
int tpm_parse_empty(const uint8_t *p, size_t len);

#endif
