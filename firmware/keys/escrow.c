/*
 * escrow.c: ECIES (P-256, HKDF-SHA-256, AES-256-GCM) of the recovery key
 * to the platform's escrow key.
 */
#include <string.h>

#include <mbedtls/ecdh.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "base/cb.h"
#include "base/rng.h"
#include "keys/escrow.h"

#define ESCROW_MAGIC	"CBES"
#define ESCROW_VERSION	1
#define ESCROW_INFO	"classbox recovery escrow v1"
#define ESCROW_DER_MAX	256	/* a P-256 SubjectPublicKeyInfo: 91 */

int
escrow_parse(const uint8_t *blob, size_t len, struct escrow_blob *out)
{
	memset(out, 0, sizeof(*out));
	if (len != ESCROW_LEN || memcmp(blob, ESCROW_MAGIC, 4) != 0 ||
	    blob[4] != ESCROW_VERSION ||
	    blob[5 + ESCROW_KEY_ID_LEN] != 0x04)	/* uncompressed */
		return CB_EINVAL;
	out->eb_key_id = blob + 5;
	out->eb_point = out->eb_key_id + ESCROW_KEY_ID_LEN;
	out->eb_nonce = out->eb_point + ESCROW_POINT_LEN;
	out->eb_ct = out->eb_nonce + ESCROW_NONCE_LEN;
	out->eb_tag = out->eb_ct + RECOVERY_KEY_LEN;
	return CB_OK;
}

/* The key in pem as a P-256 key pair (the private part only when
 * private); its key id from its public part. */
static int
load_key(mbedtls_pk_context *pk, const char *pem, size_t len, int private,
    uint8_t id[ESCROW_KEY_ID_LEN])
{
	uint8_t der[ESCROW_DER_MAX];
	int n;

	if (len == 0 || len > ESCROW_PEM_MAX)
		return CB_EINVAL;
	if (private ? mbedtls_pk_parse_key(pk, (const unsigned char *)pem,
	    len, NULL, 0, cb_rng, NULL) != 0 :
	    mbedtls_pk_parse_public_key(pk, (const unsigned char *)pem,
	    len) != 0)
		return CB_EINVAL;
	if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY ||
	    mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*pk)) !=
	    MBEDTLS_ECP_DP_SECP256R1)
		return CB_EINVAL;
	n = mbedtls_pk_write_pubkey_der(pk, der, sizeof(der));
	if (n <= 0 || mbedtls_sha256(der + sizeof(der) - n, (size_t)n, id,
	    0) != 0)
		return CB_EINVAL;
	return CB_OK;
}

int
escrow_key_id(const char *pem, size_t len, uint8_t id[ESCROW_KEY_ID_LEN])
{
	mbedtls_pk_context pk;
	int rc;

	mbedtls_pk_init(&pk);
	rc = load_key(&pk, pem, len, 0, id);
	mbedtls_pk_free(&pk);
	return rc;
}

/* The AES key: HKDF(salt = key id, ikm = Z, info = label || point). */
static int
derive(const uint8_t z[32], const uint8_t id[ESCROW_KEY_ID_LEN],
    const uint8_t point[ESCROW_POINT_LEN], uint8_t key[32])
{
	uint8_t info[sizeof(ESCROW_INFO) - 1 + ESCROW_POINT_LEN];

	memcpy(info, ESCROW_INFO, sizeof(ESCROW_INFO) - 1);
	memcpy(info + sizeof(ESCROW_INFO) - 1, point, ESCROW_POINT_LEN);
	return mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), id,
	    ESCROW_KEY_ID_LEN, z, 32, info, sizeof(info), key, 32) == 0 ?
	    CB_OK : CB_ECRYPTO;
}

/* Z = x(d * q), written as 32 bytes. */
static int
shared_x(mbedtls_ecp_group *grp, const mbedtls_ecp_point *q,
    const mbedtls_mpi *d, uint8_t z[32])
{
	mbedtls_mpi zm;
	int rc;

	mbedtls_mpi_init(&zm);
	rc = mbedtls_ecp_check_pubkey(grp, q) == 0 &&
	    mbedtls_ecdh_compute_shared(grp, &zm, q, d, cb_rng, NULL) == 0 &&
	    mbedtls_mpi_write_binary(&zm, z, 32) == 0 ? CB_OK : CB_ECRYPTO;
	mbedtls_mpi_free(&zm);
	return rc;
}

static int
seal_gcm(const uint8_t key[32], uint8_t *blob,
    const uint8_t plain[RECOVERY_KEY_LEN])
{
	mbedtls_gcm_context gcm;
	uint8_t *nonce = blob + ESCROW_HEADER_LEN;
	int rc;

	if (cb_random(nonce, ESCROW_NONCE_LEN) != 0)
		return CB_EIO;
	mbedtls_gcm_init(&gcm);
	rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256) ||
	    mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT,
	    RECOVERY_KEY_LEN, nonce, ESCROW_NONCE_LEN, blob,
	    ESCROW_HEADER_LEN, plain, nonce + ESCROW_NONCE_LEN, ESCROW_TAG_LEN,
	    nonce + ESCROW_NONCE_LEN + RECOVERY_KEY_LEN);
	mbedtls_gcm_free(&gcm);
	return rc ? CB_ECRYPTO : CB_OK;
}

/* An ephemeral key pair on grp: its point into blob, Z with q. */
static int
ephemeral(mbedtls_ecp_group *grp, const mbedtls_ecp_point *q, uint8_t *point,
    uint8_t z[32])
{
	mbedtls_ecp_point qe;
	mbedtls_mpi d;
	size_t olen = 0;
	int rc;

	mbedtls_ecp_point_init(&qe);
	mbedtls_mpi_init(&d);
	rc = mbedtls_ecp_gen_keypair(grp, &d, &qe, cb_rng, NULL) == 0 &&
	    mbedtls_ecp_point_write_binary(grp, &qe,
	    MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, point, ESCROW_POINT_LEN) == 0 &&
	    olen == ESCROW_POINT_LEN ? shared_x(grp, q, &d, z) : CB_ECRYPTO;
	mbedtls_mpi_free(&d);
	mbedtls_ecp_point_free(&qe);
	return rc;
}

int
escrow_wrap(const char *pem, size_t len, const uint8_t key[RECOVERY_KEY_LEN],
    uint8_t out[ESCROW_LEN])
{
	mbedtls_pk_context pk;
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi d;
	uint8_t z[32], aes[32];
	int rc;

	mbedtls_pk_init(&pk);
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d);
	memcpy(out, ESCROW_MAGIC, 4);
	out[4] = ESCROW_VERSION;
	if ((rc = load_key(&pk, pem, len, 0, out + 5)) == 0 &&
	    mbedtls_ecp_export(mbedtls_pk_ec(pk), &grp, &d, &q) != 0)
		rc = CB_EINVAL;
	if (rc == 0)
		rc = ephemeral(&grp, &q, out + 5 + ESCROW_KEY_ID_LEN, z);
	if (rc == 0 && (rc = derive(z, out + 5, out + 5 + ESCROW_KEY_ID_LEN,
	    aes)) == 0)
		rc = seal_gcm(aes, out, key);
	cb_wipe(z, sizeof(z));
	cb_wipe(aes, sizeof(aes));
	mbedtls_mpi_free(&d);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	mbedtls_pk_free(&pk);
	return rc;
}

static int
open_gcm(const uint8_t aes[32], const uint8_t *blob,
    const struct escrow_blob *b, uint8_t key[RECOVERY_KEY_LEN])
{
	mbedtls_gcm_context gcm;
	int rc;

	mbedtls_gcm_init(&gcm);
	rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, aes, 256) ||
	    mbedtls_gcm_auth_decrypt(&gcm, RECOVERY_KEY_LEN, b->eb_nonce,
	    ESCROW_NONCE_LEN, blob, ESCROW_HEADER_LEN, b->eb_tag,
	    ESCROW_TAG_LEN, b->eb_ct, key);
	mbedtls_gcm_free(&gcm);
	if (rc != 0)
		cb_wipe(key, RECOVERY_KEY_LEN);
	return rc ? CB_ECRYPTO : CB_OK;
}

int
escrow_open(const char *pem, size_t len, const uint8_t *blob, size_t blob_len,
    uint8_t key[RECOVERY_KEY_LEN])
{
	struct escrow_blob b;
	mbedtls_pk_context pk;
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q, qe;
	mbedtls_mpi d;
	uint8_t id[ESCROW_KEY_ID_LEN], z[32], aes[32];
	int rc;

	if (escrow_parse(blob, blob_len, &b) != 0)
		return CB_EINVAL;
	mbedtls_pk_init(&pk);
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_ecp_point_init(&qe);
	mbedtls_mpi_init(&d);
	if ((rc = load_key(&pk, pem, len, 1, id)) == 0 &&
	    memcmp(id, b.eb_key_id, ESCROW_KEY_ID_LEN) != 0)
		rc = CB_EINVAL;		/* wrapped to another key */
	if (rc == 0 && (mbedtls_ecp_export(mbedtls_pk_ec(pk), &grp, &d,
	    &q) != 0 || mbedtls_ecp_point_read_binary(&grp, &qe, b.eb_point,
	    ESCROW_POINT_LEN) != 0))
		rc = CB_ECRYPTO;
	if (rc == 0 && (rc = shared_x(&grp, &qe, &d, z)) == 0 &&
	    (rc = derive(z, b.eb_key_id, b.eb_point, aes)) == 0)
		rc = open_gcm(aes, blob, &b, key);
	cb_wipe(z, sizeof(z));
	cb_wipe(aes, sizeof(aes));
	mbedtls_mpi_free(&d);
	mbedtls_ecp_point_free(&qe);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	mbedtls_pk_free(&pk);
	return rc;
}
