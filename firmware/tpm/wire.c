/*
 * wire.c: TPM 2.0 marshalling, and the strict framing of responses.
 */
#include <assert.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "base/cb.h"
#include "tpm/wire.h"

void
wb_init(struct tpm_wbuf *w, uint8_t *buf, size_t cap)
{
	assert(buf != NULL && cap > 0);
	w->wb_p = buf;
	w->wb_len = 0;
	w->wb_cap = cap;
	w->wb_err = 0;
}

void
wb_bytes(struct tpm_wbuf *w, const void *p, size_t n)
{
	if (w->wb_err || n > w->wb_cap - w->wb_len) {
		w->wb_err = 1;
		return;
	}
	if (n > 0)
		memcpy(w->wb_p + w->wb_len, p, n);
	w->wb_len += n;
}

void
wb_u8(struct tpm_wbuf *w, uint8_t v)
{
	wb_bytes(w, &v, 1);
}

void
wb_u16(struct tpm_wbuf *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wb_bytes(w, b, sizeof(b));
}

void
wb_u32(struct tpm_wbuf *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	wb_bytes(w, b, sizeof(b));
}

void
wb_tpm2b(struct tpm_wbuf *w, const void *p, size_t n)
{
	if (n > UINT16_MAX) {
		w->wb_err = 1;
		return;
	}
	wb_u16(w, (uint16_t)n);
	wb_bytes(w, p, n);
}

size_t
wb_size16(struct tpm_wbuf *w)
{
	size_t mark = w->wb_len;

	wb_u16(w, 0);
	return mark;
}

size_t
wb_size32(struct tpm_wbuf *w)
{
	size_t mark = w->wb_len;

	wb_u32(w, 0);
	return mark;
}

void
wb_fill16(struct tpm_wbuf *w, size_t mark)
{
	size_t n;

	if (w->wb_err)
		return;
	assert(mark + 2 <= w->wb_len);
	n = w->wb_len - mark - 2;
	if (n > UINT16_MAX) {
		w->wb_err = 1;
		return;
	}
	w->wb_p[mark] = (uint8_t)(n >> 8);
	w->wb_p[mark + 1] = (uint8_t)n;
}

void
wb_fill32(struct tpm_wbuf *w, size_t mark)
{
	size_t n;

	if (w->wb_err)
		return;
	assert(mark + 4 <= w->wb_len);
	n = w->wb_len - mark - 4;
	w->wb_p[mark] = (uint8_t)(n >> 24);
	w->wb_p[mark + 1] = (uint8_t)(n >> 16);
	w->wb_p[mark + 2] = (uint8_t)(n >> 8);
	w->wb_p[mark + 3] = (uint8_t)n;
}

void
rb_init(struct tpm_rbuf *r, const uint8_t *p, size_t len)
{
	r->rb_p = p;
	r->rb_len = p != NULL ? len : 0;
	r->rb_off = 0;
	r->rb_err = 0;
}

int
rb_ref(struct tpm_rbuf *r, size_t n, const uint8_t **p)
{
	if (r->rb_err || n > r->rb_len - r->rb_off) {
		r->rb_err = 1;
		*p = NULL;
		return CB_EPROTO;
	}
	*p = r->rb_p + r->rb_off;
	r->rb_off += n;
	return CB_OK;
}

int
rb_u8(struct tpm_rbuf *r, uint8_t *v)
{
	const uint8_t *p;

	*v = 0;
	if (rb_ref(r, 1, &p) != 0)
		return CB_EPROTO;
	*v = p[0];
	return CB_OK;
}

int
rb_u16(struct tpm_rbuf *r, uint16_t *v)
{
	const uint8_t *p;

	*v = 0;
	if (rb_ref(r, 2, &p) != 0)
		return CB_EPROTO;
	*v = (uint16_t)(p[0] << 8 | p[1]);
	return CB_OK;
}

int
rb_u32(struct tpm_rbuf *r, uint32_t *v)
{
	const uint8_t *p;

	*v = 0;
	if (rb_ref(r, 4, &p) != 0)
		return CB_EPROTO;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	return CB_OK;
}

int
rb_tpm2b(struct tpm_rbuf *r, size_t max, const uint8_t **p, size_t *n)
{
	uint16_t len;

	*n = 0;
	*p = NULL;
	if (rb_u16(r, &len) != 0)
		return CB_EPROTO;
	if (len > max) {
		r->rb_err = 1;
		return CB_EPROTO;
	}
	if (rb_ref(r, len, p) != 0)
		return CB_EPROTO;
	*n = len;
	return CB_OK;
}

int
rb_end(const struct tpm_rbuf *r)
{
	return !r->rb_err && r->rb_off == r->rb_len;
}

/* The session area of a response: one session's nonce, attributes, HMAC. */
static int
frame_session(struct tpm_rbuf *r, struct tpm_rsp *out)
{
	if (rb_tpm2b(r, TPM_NONCE_LEN, &out->tr_nonce, &out->tr_nonce_len) ||
	    rb_u8(r, &out->tr_attrs) ||
	    rb_tpm2b(r, TPM_DIGEST_LEN, &out->tr_hmac, &out->tr_hmac_len))
		return CB_EPROTO;
	return CB_OK;
}

int
tpm_rsp_frame(const uint8_t *rsp, size_t len, int sessions, int handles,
    struct tpm_rsp *out)
{
	struct tpm_rbuf r;
	uint16_t tag;
	uint32_t size, plen;

	assert(sessions == 0 || sessions == 1);
	assert(handles == 0 || handles == 1);
	memset(out, 0, sizeof(*out));
	if (len > TPM_RSP_MAX)
		return CB_EPROTO;
	rb_init(&r, rsp, len);
	if (rb_u16(&r, &tag) || rb_u32(&r, &size) || rb_u32(&r, &out->tr_rc) ||
	    size != len)
		return CB_EPROTO;
	if (out->tr_rc != 0)	/* an error is the header alone */
		return tag == TPM_ST_NO_SESSIONS && rb_end(&r) ? CB_OK :
		    CB_EPROTO;
	if (tag != (sessions ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS))
		return CB_EPROTO;
	if (handles && rb_u32(&r, &out->tr_handle) != 0)
		return CB_EPROTO;
	if (!sessions) {
		plen = (uint32_t)(len - r.rb_off);
		return rb_ref(&r, plen, &out->tr_params) == 0 && rb_end(&r) ?
		    (out->tr_params_len = plen, CB_OK) : CB_EPROTO;
	}
	if (rb_u32(&r, &plen) != 0 || rb_ref(&r, plen, &out->tr_params) != 0)
		return CB_EPROTO;
	out->tr_params_len = plen;
	if (frame_session(&r, out) != 0 || !rb_end(&r))
		return CB_EPROTO;
	return CB_OK;
}

/* TPMT_PUBLIC's head: type, nameAlg, attributes, authPolicy. */
static int
parse_pub_head(struct tpm_rbuf *r, uint16_t want_type, uint32_t *attrs,
    const uint8_t **policy, size_t *policy_len)
{
	uint16_t type, name_alg;

	if (rb_u16(r, &type) || rb_u16(r, &name_alg) || rb_u32(r, attrs) ||
	    rb_tpm2b(r, TPM_DIGEST_LEN, policy, policy_len))
		return CB_EPROTO;
	return type == want_type && name_alg == TPM_ALG_SHA256 ? CB_OK :
	    CB_EPROTO;
}

int
tpm_parse_ecc_pub(const uint8_t *p, size_t len, struct tpm_ecc_pub *out)
{
	struct tpm_rbuf r;
	uint16_t sym, bits, mode, scheme, curve, kdf;
	const uint8_t *pol, *x, *y;
	size_t pol_len, xl, yl;

	memset(out, 0, sizeof(*out));
	rb_init(&r, p, len);
	if (parse_pub_head(&r, TPM_ALG_ECC, &out->ep_attrs, &pol, &pol_len))
		return CB_EPROTO;
	if (rb_u16(&r, &sym) || sym != TPM_ALG_AES || rb_u16(&r, &bits) ||
	    bits != 128 || rb_u16(&r, &mode) || mode != TPM_ALG_CFB ||
	    rb_u16(&r, &scheme) || scheme != TPM_ALG_NULL ||
	    rb_u16(&r, &curve) || curve != TPM_ECC_NIST_P256 ||
	    rb_u16(&r, &kdf) || kdf != TPM_ALG_NULL)
		return CB_EPROTO;
	if (rb_tpm2b(&r, TPM_ECC_COORD_LEN, &x, &xl) ||
	    rb_tpm2b(&r, TPM_ECC_COORD_LEN, &y, &yl) ||
	    xl != TPM_ECC_COORD_LEN || yl != TPM_ECC_COORD_LEN || !rb_end(&r))
		return CB_EPROTO;
	memcpy(out->ep_x, x, xl);
	memcpy(out->ep_y, y, yl);
	return CB_OK;
}

int
tpm_parse_sealed_pub(const uint8_t *p, size_t len, uint32_t attrs,
    uint8_t policy[TPM_DIGEST_LEN])
{
	struct tpm_rbuf r;
	uint32_t got;
	uint16_t scheme;
	const uint8_t *pol, *uniq;
	size_t pol_len, uniq_len;

	rb_init(&r, p, len);
	if (parse_pub_head(&r, TPM_ALG_KEYEDHASH, &got, &pol, &pol_len) ||
	    got != attrs || pol_len != TPM_DIGEST_LEN ||
	    rb_u16(&r, &scheme) || scheme != TPM_ALG_NULL ||
	    rb_tpm2b(&r, TPM_DIGEST_LEN, &uniq, &uniq_len) || !rb_end(&r))
		return CB_EPROTO;
	memcpy(policy, pol, TPM_DIGEST_LEN);
	return CB_OK;
}

int
tpm_name(const uint8_t *pub, size_t len, uint8_t name[TPM_NAME_LEN])
{
	name[0] = TPM_ALG_SHA256 >> 8;
	name[1] = TPM_ALG_SHA256 & 0xff;
	return mbedtls_sha256(pub, len, name + 2, 0) == 0 ? CB_OK :
	    CB_ECRYPTO;
}

void
wb_pcr_selection(struct tpm_wbuf *w, uint32_t mask)
{
	assert((mask >> TPM_PCR_COUNT) == 0);
	wb_u32(w, 1);			/* one bank */
	wb_u16(w, TPM_ALG_SHA256);
	wb_u8(w, TPM_PCR_SELECT_LEN);
	for (int i = 0; i < TPM_PCR_SELECT_LEN; i++)
		wb_u8(w, (uint8_t)(mask >> (8 * i)));
}

int
rb_pcr_selection(struct tpm_rbuf *r, uint32_t *mask)
{
	uint32_t count;
	uint16_t alg;
	uint8_t n, b;

	*mask = 0;
	if (rb_u32(r, &count) || count != 1 || rb_u16(r, &alg) ||
	    alg != TPM_ALG_SHA256 || rb_u8(r, &n) || n != TPM_PCR_SELECT_LEN)
		return CB_EPROTO;
	for (int i = 0; i < TPM_PCR_SELECT_LEN; i++) {
		if (rb_u8(r, &b) != 0)
			return CB_EPROTO;
		*mask |= (uint32_t)b << (8 * i);
	}
	return CB_OK;
}
