/*
 * session.c: session keys, HMACs and parameter encryption of TPM 2.0
 * sessions, with mbedTLS (SHA-256, HMAC, ECDH P-256, AES-CFB).
 */
#include <assert.h>
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "base/cb.h"
#include "base/rng.h"
#include "tpm/session.h"

static void
be32(uint8_t b[4], uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* HMAC-SHA-256 over up to four pieces (NULL pieces are skipped). */
static int
hmac4(const uint8_t *key, size_t key_len, const void *a, size_t al,
    const void *b, size_t bl, const void *c, size_t cl, const void *d,
    size_t dl, uint8_t out[TPM_DIGEST_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(
	    MBEDTLS_MD_SHA256);
	mbedtls_md_context_t ctx;
	int rc;

	mbedtls_md_init(&ctx);
	rc = mbedtls_md_setup(&ctx, md, 1) ||
	    mbedtls_md_hmac_starts(&ctx, key, key_len) ||
	    (a && mbedtls_md_hmac_update(&ctx, a, al)) ||
	    (b && mbedtls_md_hmac_update(&ctx, b, bl)) ||
	    (c && mbedtls_md_hmac_update(&ctx, c, cl)) ||
	    (d && mbedtls_md_hmac_update(&ctx, d, dl)) ||
	    mbedtls_md_hmac_finish(&ctx, out);
	mbedtls_md_free(&ctx);
	return rc ? CB_ECRYPTO : CB_OK;
}

/* label || 0x00 (the TPM's labels are NUL-terminated on the wire). */
static int
label_bytes(const char *label, uint8_t out[TPM_KDF_LABEL_MAX + 1],
    size_t *len)
{
	size_t n = strlen(label);

	if (n > TPM_KDF_LABEL_MAX)
		return CB_EINVAL;
	memcpy(out, label, n + 1);
	*len = n + 1;
	return CB_OK;
}

int
tpm_kdfa(const uint8_t *key, size_t key_len, const char *label,
    const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len,
    uint8_t *out, size_t out_len)
{
	uint8_t lab[TPM_KDF_LABEL_MAX + 1], head[4], tail[4], block[32];
	uint8_t ctx[2 * TPM_DIGEST_LEN];
	size_t lab_len, done = 0;
	uint32_t i = 1;

	if (label_bytes(label, lab, &lab_len) != 0 ||
	    u_len + v_len > sizeof(ctx) || out_len > 8 * TPM_DIGEST_LEN)
		return CB_EINVAL;
	memcpy(ctx, u, u_len);
	memcpy(ctx + u_len, v, v_len);
	be32(tail, (uint32_t)(out_len * 8));
	while (done < out_len) {
		size_t n = out_len - done < sizeof(block) ?
		    out_len - done : sizeof(block);

		be32(head, i++);
		if (hmac4(key, key_len, head, 4, lab, lab_len, ctx,
		    u_len + v_len, tail, 4, block) != 0)
			return CB_ECRYPTO;
		memcpy(out + done, block, n);
		done += n;
	}
	cb_wipe(block, sizeof(block));
	return CB_OK;
}

int
tpm_kdfe(const uint8_t z[TPM_ECC_COORD_LEN], const char *label,
    const uint8_t u[TPM_ECC_COORD_LEN], const uint8_t v[TPM_ECC_COORD_LEN],
    uint8_t out[TPM_DIGEST_LEN])
{
	uint8_t lab[TPM_KDF_LABEL_MAX + 1], one[4];
	mbedtls_sha256_context h;
	size_t lab_len;
	int rc;

	if (label_bytes(label, lab, &lab_len) != 0)
		return CB_EINVAL;
	be32(one, 1);
	mbedtls_sha256_init(&h);
	rc = mbedtls_sha256_starts(&h, 0) ||
	    mbedtls_sha256_update(&h, one, 4) ||
	    mbedtls_sha256_update(&h, z, TPM_ECC_COORD_LEN) ||
	    mbedtls_sha256_update(&h, lab, lab_len) ||
	    mbedtls_sha256_update(&h, u, TPM_ECC_COORD_LEN) ||
	    mbedtls_sha256_update(&h, v, TPM_ECC_COORD_LEN) ||
	    mbedtls_sha256_finish(&h, out);
	mbedtls_sha256_free(&h);
	return rc ? CB_ECRYPTO : CB_OK;
}

/* The TPM's point, checked to be on the curve (a substituted key that is
 * not would leak the ephemeral scalar through an invalid-curve attack). */
static int
read_tpm_point(mbedtls_ecp_group *grp, mbedtls_ecp_point *q,
    const struct tpm_ecc_pub *k)
{
	uint8_t raw[1 + 2 * TPM_ECC_COORD_LEN];

	raw[0] = 0x04;
	memcpy(raw + 1, k->ep_x, TPM_ECC_COORD_LEN);
	memcpy(raw + 1 + TPM_ECC_COORD_LEN, k->ep_y, TPM_ECC_COORD_LEN);
	if (mbedtls_ecp_point_read_binary(grp, q, raw, sizeof(raw)) != 0 ||
	    mbedtls_ecp_check_pubkey(grp, q) != 0)
		return CB_ECRYPTO;
	return CB_OK;
}

int
tpm_salt_ecdh(const struct tpm_ecc_pub *tpm_key,
    uint8_t salt[TPM_DIGEST_LEN], uint8_t eph_x[TPM_ECC_COORD_LEN],
    uint8_t eph_y[TPM_ECC_COORD_LEN])
{
	uint8_t raw[1 + 2 * TPM_ECC_COORD_LEN], z[TPM_ECC_COORD_LEN];
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q_tpm, q_eph;
	mbedtls_mpi d, zm;
	size_t olen = 0;
	int rc = CB_ECRYPTO;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q_tpm);
	mbedtls_ecp_point_init(&q_eph);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&zm);
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
	    read_tpm_point(&grp, &q_tpm, tpm_key) == 0 &&
	    mbedtls_ecp_gen_keypair(&grp, &d, &q_eph, cb_rng, NULL) == 0 &&
	    mbedtls_ecdh_compute_shared(&grp, &zm, &q_tpm, &d, cb_rng,
	    NULL) == 0 &&
	    mbedtls_mpi_write_binary(&zm, z, sizeof(z)) == 0 &&
	    mbedtls_ecp_point_write_binary(&grp, &q_eph,
	    MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, raw, sizeof(raw)) == 0 &&
	    olen == sizeof(raw)) {
		memcpy(eph_x, raw + 1, TPM_ECC_COORD_LEN);
		memcpy(eph_y, raw + 1 + TPM_ECC_COORD_LEN, TPM_ECC_COORD_LEN);
		rc = tpm_kdfe(z, "SECRET", eph_x, tpm_key->ep_x, salt);
	}
	cb_wipe(z, sizeof(z));
	mbedtls_mpi_free(&zm);
	mbedtls_mpi_free(&d);	/* zeroizes */
	mbedtls_ecp_point_free(&q_eph);
	mbedtls_ecp_point_free(&q_tpm);
	mbedtls_ecp_group_free(&grp);
	return rc;
}

int
tpm_session_key(struct tpm_session *s, const uint8_t salt[TPM_DIGEST_LEN])
{
	return tpm_kdfa(salt, TPM_DIGEST_LEN, "ATH", s->ss_nonce_tpm,
	    TPM_NONCE_LEN, s->ss_nonce_caller, TPM_NONCE_LEN, s->ss_key,
	    sizeof(s->ss_key));
}

/* SHA-256 of three pieces. */
static int
sha3p(const void *a, size_t al, const void *b, size_t bl, const void *c,
    size_t cl, uint8_t out[TPM_DIGEST_LEN])
{
	mbedtls_sha256_context h;
	int rc;

	mbedtls_sha256_init(&h);
	rc = mbedtls_sha256_starts(&h, 0) || mbedtls_sha256_update(&h, a, al) ||
	    mbedtls_sha256_update(&h, b, bl) ||
	    mbedtls_sha256_update(&h, c, cl) || mbedtls_sha256_finish(&h, out);
	mbedtls_sha256_free(&h);
	return rc ? CB_ECRYPTO : CB_OK;
}

int
tpm_cp_hash(uint32_t cc, const uint8_t *names, size_t names_len,
    const uint8_t *params, size_t params_len, uint8_t out[TPM_DIGEST_LEN])
{
	uint8_t c[4];

	be32(c, cc);
	return sha3p(c, 4, names, names_len, params, params_len, out);
}

int
tpm_rp_hash(uint32_t cc, const uint8_t *params, size_t params_len,
    uint8_t out[TPM_DIGEST_LEN])
{
	uint8_t head[8];

	be32(head, 0);		/* TPM_RC_SUCCESS */
	be32(head + 4, cc);
	return sha3p(head, sizeof(head), params, params_len, NULL, 0, out);
}

int
tpm_cmd_hmac(const struct tpm_session *s, const uint8_t cp[TPM_DIGEST_LEN],
    uint8_t attrs, uint8_t out[TPM_DIGEST_LEN])
{
	return hmac4(s->ss_key, sizeof(s->ss_key), cp, TPM_DIGEST_LEN,
	    s->ss_nonce_caller, TPM_NONCE_LEN, s->ss_nonce_tpm, TPM_NONCE_LEN,
	    &attrs, 1, out);
}

int
tpm_rsp_hmac_check(const struct tpm_session *s,
    const uint8_t rp[TPM_DIGEST_LEN], uint8_t attrs, const uint8_t *hmac,
    size_t hmac_len)
{
	uint8_t want[TPM_DIGEST_LEN];

	if (hmac_len != TPM_DIGEST_LEN ||
	    hmac4(s->ss_key, sizeof(s->ss_key), rp, TPM_DIGEST_LEN,
	    s->ss_nonce_tpm, TPM_NONCE_LEN, s->ss_nonce_caller, TPM_NONCE_LEN,
	    &attrs, 1, want) != 0)
		return CB_EPROTO;
	return cb_memeq_ct(want, hmac, TPM_DIGEST_LEN) == 0 ? CB_OK :
	    CB_EPROTO;
}

int
tpm_param_crypt(const struct tpm_session *s, enum tpm_crypt_dir dir,
    uint8_t *buf, size_t len)
{
	uint8_t kiv[2 * TPM_CFB_KEY_LEN];
	const uint8_t *newer = dir == TPM_TO_TPM ? s->ss_nonce_caller :
	    s->ss_nonce_tpm;
	const uint8_t *older = dir == TPM_TO_TPM ? s->ss_nonce_tpm :
	    s->ss_nonce_caller;
	mbedtls_aes_context aes;
	size_t off = 0;
	int rc;

	if (tpm_kdfa(s->ss_key, sizeof(s->ss_key), "CFB", newer,
	    TPM_NONCE_LEN, older, TPM_NONCE_LEN, kiv, sizeof(kiv)) != 0)
		return CB_ECRYPTO;
	mbedtls_aes_init(&aes);
	rc = mbedtls_aes_setkey_enc(&aes, kiv, 8 * TPM_CFB_KEY_LEN) ||
	    mbedtls_aes_crypt_cfb128(&aes, dir == TPM_TO_TPM ?
	    MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT, len, &off,
	    kiv + TPM_CFB_KEY_LEN, buf, buf);
	mbedtls_aes_free(&aes);
	cb_wipe(kiv, sizeof(kiv));
	return rc ? CB_ECRYPTO : CB_OK;
}
