/*
 * keyfile.c: encoding and strict decoding of the key hierarchy's files.
 */
#include <string.h>

#include "base/cb.h"
#include "keys/keyfile.h"

#define KEK_MAGIC	"CBKK"
#define RECOVERY_MAGIC	"CBRK"
#define KEYFILE_VERSION	1

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
keyfile_kek_encode(unsigned purpose, const uint8_t wrapped[SEAL_WRAPPED_LEN],
    uint8_t out[KEYFILE_KEK_LEN])
{
	memcpy(out, KEK_MAGIC, 4);
	out[4] = KEYFILE_VERSION;
	out[5] = (uint8_t)purpose;
	memcpy(out + 6, wrapped, SEAL_WRAPPED_LEN);
}

int
keyfile_kek_decode(const uint8_t *in, size_t len, unsigned purpose,
    uint8_t wrapped[SEAL_WRAPPED_LEN])
{
	if (len != KEYFILE_KEK_LEN || memcmp(in, KEK_MAGIC, 4) != 0 ||
	    in[4] != KEYFILE_VERSION || in[5] != purpose)
		return CB_EINVAL;
	memcpy(wrapped, in + 6, SEAL_WRAPPED_LEN);
	return CB_OK;
}

static void
recovery_head(const struct keyfile_recovery *r,
    uint8_t out[KEYFILE_RECOVERY_HEAD])
{
	memcpy(out, RECOVERY_MAGIC, 4);
	out[4] = KEYFILE_VERSION;
	put32(out + 5, r->kr_m_kib);
	put32(out + 9, r->kr_t);
	put32(out + 13, r->kr_p);
	memcpy(out + 17, r->kr_salt, KEYFILE_SALT_LEN);
}

void
keyfile_recovery_encode(const struct keyfile_recovery *r,
    uint8_t out[KEYFILE_RECOVERY_LEN])
{
	recovery_head(r, out);
	memcpy(out + KEYFILE_RECOVERY_HEAD, r->kr_wrapped, SEAL_WRAPPED_LEN);
}

int
keyfile_recovery_decode(const uint8_t *in, size_t len,
    struct keyfile_recovery *r)
{
	memset(r, 0, sizeof(*r));
	if (len != KEYFILE_RECOVERY_LEN || memcmp(in, RECOVERY_MAGIC, 4) != 0 ||
	    in[4] != KEYFILE_VERSION)
		return CB_EINVAL;
	r->kr_m_kib = get32(in + 5);
	r->kr_t = get32(in + 9);
	r->kr_p = get32(in + 13);
	if (r->kr_m_kib < KEYFILE_ARGON2_M_MIN ||
	    r->kr_m_kib > KEYFILE_ARGON2_M_MAX || r->kr_t < 1 ||
	    r->kr_t > KEYFILE_ARGON2_T_MAX || r->kr_p < 1 ||
	    r->kr_p > KEYFILE_ARGON2_P_MAX) {
		memset(r, 0, sizeof(*r));
		return CB_EINVAL;
	}
	memcpy(r->kr_salt, in + 17, KEYFILE_SALT_LEN);
	memcpy(r->kr_wrapped, in + KEYFILE_RECOVERY_HEAD, SEAL_WRAPPED_LEN);
	return CB_OK;
}

void
keyfile_recovery_ad(const struct keyfile_recovery *r,
    uint8_t ad[KEYFILE_AD_MAX], size_t *len)
{
	size_t n = sizeof(KEYFILE_RECOVERY_AD) - 1;

	memcpy(ad, KEYFILE_RECOVERY_AD, n);
	recovery_head(r, ad + n);
	*len = n + KEYFILE_RECOVERY_HEAD;
}
