/*
 * parse.c: response parameters of the TPM commands we send.
 */
#include <string.h>

#include "base/cb.h"
#include "tpm/parse.h"

/* TPM2B_CREATION_DATA, TPM2B_DIGEST creationHash and TPMT_TK_CREATION:
 * read past them (we ask for no creation data and keep none). */
static int
skip_creation(struct tpm_rbuf *r)
{
	const uint8_t *p;
	size_t n;
	uint16_t tag;
	uint32_t hierarchy;

	if (rb_tpm2b(r, TPM_RSP_MAX, &p, &n) ||
	    rb_tpm2b(r, TPM_HA_MAX, &p, &n) ||
	    rb_u16(r, &tag) || rb_u32(r, &hierarchy) ||
	    rb_tpm2b(r, TPM_HA_MAX, &p, &n))
		return CB_EPROTO;
	return CB_OK;
}

int
tpm_parse_create_primary(const uint8_t *p, size_t len,
    struct tpm_ecc_pub *pub, uint8_t name[TPM_NAME_LEN])
{
	struct tpm_rbuf r;
	const uint8_t *area, *nm;
	size_t area_len, nm_len;
	uint8_t want[TPM_NAME_LEN];

	memset(pub, 0, sizeof(*pub));
	rb_init(&r, p, len);
	if (rb_tpm2b(&r, TPM_PUBLIC_MAX, &area, &area_len) ||
	    skip_creation(&r) || rb_tpm2b(&r, TPM_NAME_LEN, &nm, &nm_len) ||
	    !rb_end(&r) || nm_len != TPM_NAME_LEN)
		return CB_EPROTO;
	if (tpm_parse_ecc_pub(area, area_len, pub) != 0 ||
	    pub->ep_attrs != TPM_SRK_ATTRS ||
	    tpm_name(area, area_len, want) != 0 ||
	    memcmp(want, nm, TPM_NAME_LEN) != 0)
		return CB_EPROTO;
	memcpy(name, nm, TPM_NAME_LEN);
	return CB_OK;
}

int
tpm_parse_start_session(const uint8_t *p, size_t len,
    uint8_t nonce[TPM_NONCE_LEN])
{
	struct tpm_rbuf r;
	const uint8_t *n;
	size_t nl;

	rb_init(&r, p, len);
	if (rb_tpm2b(&r, TPM_NONCE_LEN, &n, &nl) || !rb_end(&r) ||
	    nl != TPM_NONCE_LEN)
		return CB_EPROTO;
	memcpy(nonce, n, TPM_NONCE_LEN);
	return CB_OK;
}

int
tpm_parse_create(const uint8_t *p, size_t len,
    uint8_t priv[TPM_PRIVATE_MAX], uint16_t *priv_len,
    uint8_t pub[TPM_PUBLIC_MAX], uint16_t *pub_len)
{
	struct tpm_rbuf r;
	const uint8_t *a, *b;
	size_t al, bl;

	*priv_len = *pub_len = 0;
	rb_init(&r, p, len);
	if (rb_tpm2b(&r, TPM_PRIVATE_MAX, &a, &al) ||
	    rb_tpm2b(&r, TPM_PUBLIC_MAX, &b, &bl) || skip_creation(&r) ||
	    !rb_end(&r) || al == 0 || bl == 0)
		return CB_EPROTO;
	memcpy(priv, a, al);
	memcpy(pub, b, bl);
	*priv_len = (uint16_t)al;
	*pub_len = (uint16_t)bl;
	return CB_OK;
}

int
tpm_parse_load(const uint8_t *p, size_t len, uint8_t name[TPM_NAME_LEN])
{
	struct tpm_rbuf r;
	const uint8_t *n;
	size_t nl;

	rb_init(&r, p, len);
	if (rb_tpm2b(&r, TPM_NAME_LEN, &n, &nl) || !rb_end(&r) ||
	    nl != TPM_NAME_LEN)
		return CB_EPROTO;
	memcpy(name, n, TPM_NAME_LEN);
	return CB_OK;
}

int
tpm_parse_unseal(const uint8_t *p, size_t len, const uint8_t **data,
    size_t *data_len)
{
	struct tpm_rbuf r;

	rb_init(&r, p, len);
	if (rb_tpm2b(&r, TPM_SEALED_DATA_MAX, data, data_len) || !rb_end(&r))
		return CB_EPROTO;
	return CB_OK;
}

int
tpm_parse_pcr_read(const uint8_t *p, size_t len, uint32_t want,
    uint32_t *got, uint8_t values[TPM_PCR_COUNT][TPM_DIGEST_LEN])
{
	struct tpm_rbuf r;
	uint32_t counter, count, mask;
	unsigned n = 0;

	*got = 0;
	rb_init(&r, p, len);
	if (rb_u32(&r, &counter) || rb_pcr_selection(&r, &mask) ||
	    rb_u32(&r, &count) || mask == 0 || (mask & ~want) != 0 ||
	    count > TPM_PCR_READ_BATCH ||
	    count != (uint32_t)__builtin_popcount(mask))
		return CB_EPROTO;
	for (unsigned i = 0; i < TPM_PCR_COUNT; i++) {
		const uint8_t *d;
		size_t dl;

		if (!(mask & (1u << i)))
			continue;
		if (rb_tpm2b(&r, TPM_DIGEST_LEN, &d, &dl) ||
		    dl != TPM_DIGEST_LEN)
			return CB_EPROTO;
		memcpy(values[i], d, TPM_DIGEST_LEN);
		n++;
	}
	if (!rb_end(&r) || n != count)
		return CB_EPROTO;
	*got = mask;
	return CB_OK;
}

int
tpm_parse_empty(const uint8_t *p, size_t len)
{
	(void)p;
	return len == 0 ? CB_OK : CB_EPROTO;
}
