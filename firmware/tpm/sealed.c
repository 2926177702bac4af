/*
 * sealed.c: the PCR policy and the stored form of a sealed secret. Pure:
 * no TPM is needed to compute a policy or to read a blob.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "base/cb.h"
#include "tpm/tpm.h"

#define SEALED_MAGIC	"CBTS"
#define SEALED_VERSION	1

int
tpm_pcr_predict(uint8_t value[TPM_DIGEST_LEN],
    const uint8_t digest[TPM_DIGEST_LEN])
{
	uint8_t buf[2 * TPM_DIGEST_LEN];

	memcpy(buf, value, TPM_DIGEST_LEN);
	memcpy(buf + TPM_DIGEST_LEN, digest, TPM_DIGEST_LEN);
	return mbedtls_sha256(buf, sizeof(buf), value, 0) == 0 ? CB_OK :
	    CB_ECRYPTO;
}

/* policy = SHA-256(0^32 || TPM_CC_PolicyPCR || pcrs || SHA-256(values)),
 * the values concatenated in ascending PCR order (Part 3, PolicyPCR). */
int
tpm_policy_pcr(const struct tpm_pcrs *p, uint8_t policy[TPM_DIGEST_LEN])
{
	uint8_t buf[TPM_DIGEST_LEN + 4 + 16 + TPM_DIGEST_LEN];
	mbedtls_sha256_context h;
	struct tpm_wbuf w;
	int rc;

	mbedtls_sha256_init(&h);
	rc = mbedtls_sha256_starts(&h, 0);
	for (unsigned i = 0; i < TPM_PCR_COUNT && rc == 0; i++)
		if (p->tp_mask & (1u << i))
			rc = mbedtls_sha256_update(&h, p->tp_value[i],
			    TPM_DIGEST_LEN);
	wb_init(&w, buf, sizeof(buf));
	memset(buf, 0, TPM_DIGEST_LEN);
	w.wb_len = TPM_DIGEST_LEN;
	wb_u32(&w, TPM_CC_PolicyPCR);
	wb_pcr_selection(&w, p->tp_mask);
	if (rc == 0 && !w.wb_err && w.wb_len + TPM_DIGEST_LEN <= sizeof(buf))
		rc = mbedtls_sha256_finish(&h, buf + w.wb_len);
	else
		rc = -1;
	mbedtls_sha256_free(&h);
	if (rc != 0 || mbedtls_sha256(buf, w.wb_len + TPM_DIGEST_LEN, policy,
	    0) != 0)
		return CB_ECRYPTO;
	return CB_OK;
}

int
tpm_sealed_encode(const struct tpm_sealed *s, uint8_t *out, size_t cap,
    size_t *len)
{
	struct tpm_wbuf w;

	*len = 0;
	wb_init(&w, out, cap);
	wb_bytes(&w, SEALED_MAGIC, 4);
	wb_u8(&w, SEALED_VERSION);
	wb_u32(&w, s->ts_pcrs.tp_mask);
	for (unsigned i = 0; i < TPM_PCR_COUNT; i++)
		if (s->ts_pcrs.tp_mask & (1u << i))
			wb_bytes(&w, s->ts_pcrs.tp_value[i], TPM_DIGEST_LEN);
	wb_bytes(&w, s->ts_parent, TPM_NAME_LEN);
	wb_tpm2b(&w, s->ts_pub, s->ts_pub_len);
	wb_tpm2b(&w, s->ts_priv, s->ts_priv_len);
	if (w.wb_err)
		return CB_ETOOBIG;
	*len = w.wb_len;
	return CB_OK;
}

/* The blob's fields, every limit checked; the areas' contents later. */
static int
decode_fields(struct tpm_rbuf *r, struct tpm_sealed *s)
{
	const uint8_t *p, *pub, *priv;
	size_t pub_len, priv_len;
	uint8_t version;

	if (rb_ref(r, 4, &p) != 0 || memcmp(p, SEALED_MAGIC, 4) != 0 ||
	    rb_u8(r, &version) != 0 || version != SEALED_VERSION ||
	    rb_u32(r, &s->ts_pcrs.tp_mask) != 0 ||
	    (s->ts_pcrs.tp_mask >> TPM_PCR_COUNT) != 0)
		return CB_EINVAL;
	for (unsigned i = 0; i < TPM_PCR_COUNT; i++) {
		if (!(s->ts_pcrs.tp_mask & (1u << i)))
			continue;
		if (rb_ref(r, TPM_DIGEST_LEN, &p) != 0)
			return CB_EINVAL;
		memcpy(s->ts_pcrs.tp_value[i], p, TPM_DIGEST_LEN);
	}
	if (rb_ref(r, TPM_NAME_LEN, &p) != 0 ||
	    rb_tpm2b(r, TPM_PUBLIC_MAX, &pub, &pub_len) != 0 ||
	    rb_tpm2b(r, TPM_PRIVATE_MAX, &priv, &priv_len) != 0 ||
	    !rb_end(r) || pub_len == 0 || priv_len == 0)
		return CB_EINVAL;
	memcpy(s->ts_parent, p, TPM_NAME_LEN);
	memcpy(s->ts_pub, pub, pub_len);
	memcpy(s->ts_priv, priv, priv_len);
	s->ts_pub_len = (uint16_t)pub_len;
	s->ts_priv_len = (uint16_t)priv_len;
	return CB_OK;
}

int
tpm_sealed_decode(const uint8_t *in, size_t len, struct tpm_sealed *s)
{
	uint8_t want[TPM_DIGEST_LEN], got[TPM_DIGEST_LEN];
	struct tpm_rbuf r;

	memset(s, 0, sizeof(*s));
	rb_init(&r, in, len);
	if (len > TPM_SEALED_FILE_MAX || decode_fields(&r, s) != 0)
		goto bad;
	/* The parent's name is a SHA-256 name; the public area is a sealed
	 * object of ours whose policy is that of the values kept beside it,
	 * so the values cannot be edited to mislead a diagnosis. */
	if (s->ts_parent[0] != (TPM_ALG_SHA256 >> 8) ||
	    s->ts_parent[1] != (TPM_ALG_SHA256 & 0xff) ||
	    tpm_parse_sealed_pub(s->ts_pub, s->ts_pub_len, TPM_SEALED_ATTRS,
	    got) != 0 || tpm_policy_pcr(&s->ts_pcrs, want) != 0 ||
	    memcmp(want, got, TPM_DIGEST_LEN) != 0)
		goto bad;
	return CB_OK;
bad:
	memset(s, 0, sizeof(*s));
	return CB_EINVAL;
}

int
tpm_pcr_mask_parse(const char *s, uint32_t *mask)
{
	uint32_t m = 0;

	*mask = 0;
	if (*s == '\0')
		return CB_OK;
	for (;;) {
		unsigned v = 0;
		int digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 3) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || v >= TPM_PCR_COUNT || (m & (1u << v)) ||
		    (digits > 1 && s[-digits] == '0'))
			return CB_EINVAL;
		m |= 1u << v;
		if (*s == '\0')
			break;
		if (*s++ != ',')
			return CB_EINVAL;
	}
	*mask = m;
	return CB_OK;
}

void
tpm_pcr_mask_format(uint32_t mask, char *out, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return;
	out[0] = '\0';
	for (unsigned i = 0; i < TPM_PCR_COUNT; i++) {
		if (!(mask & (1u << i)))
			continue;
		int w = snprintf(out + n, size - n, "%s%u", n ? "," : "", i);

		if (w < 0 || (size_t)w >= size - n)
			return;
		n += (size_t)w;
	}
}
