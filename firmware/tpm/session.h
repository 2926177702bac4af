/*
 * session.h: the cryptography of a TPM 2.0 authorization session, so that
 * a secret crosses the bus between the CPU and the TPM only encrypted
 * (TPM 2.0 Part 1, "Session-based authorizations", "Parameter encryption").
 *
 * Every session we start is salted with an ephemeral ECDH key agreement
 * against the TPM's own storage key, whose name the caller has pinned.
 * So only that TPM and this process know the session key: a logic
 * analyser on the LPC/SPI bus sees the sealed secret only AES-CFB
 * encrypted, and an interposer cannot forge the response HMAC that
 * vouches for it. SHA-256 and AES-128-CFB only.
 *
 * No I/O here: pure functions of keys and bytes.
 */
#ifndef TPM_SESSION_H
#define TPM_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "tpm/wire.h"

#define TPM_CFB_KEY_LEN		16	/* AES-128-CFB */
#define TPM_KDF_LABEL_MAX	16	/* "ATH", "CFB", "SECRET" */

/* One session, as the caller keeps it between command and response. */
struct tpm_session {
	uint32_t ss_handle;
	uint8_t ss_key[TPM_DIGEST_LEN];		/* sessionKey */
	uint8_t ss_nonce_caller[TPM_NONCE_LEN];
	uint8_t ss_nonce_tpm[TPM_NONCE_LEN];
};

/* KDFa with SHA-256 (Part 1, 11.4.10.2): out_len bytes. */
int tpm_kdfa(const uint8_t *key, size_t key_len, const char *label,
    const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len,
    uint8_t *out, size_t out_len);
/* KDFe with SHA-256 (Part 1, 11.4.10.3), one block: 32 bytes. */
int tpm_kdfe(const uint8_t z[TPM_ECC_COORD_LEN], const char *label,
    const uint8_t u[TPM_ECC_COORD_LEN], const uint8_t v[TPM_ECC_COORD_LEN],
    uint8_t out[TPM_DIGEST_LEN]);

/* A fresh salt for a session started with the TPM key tpm_key: an
 * ephemeral P-256 key pair; eph_x, eph_y go to the TPM (encryptedSalt).
 * CB_ECRYPTO when tpm_key is not a point on the curve. */
int tpm_salt_ecdh(const struct tpm_ecc_pub *tpm_key,
    uint8_t salt[TPM_DIGEST_LEN], uint8_t eph_x[TPM_ECC_COORD_LEN],
    uint8_t eph_y[TPM_ECC_COORD_LEN]);
/* sessionKey = KDFa(salt, "ATH", nonceTPM, nonceCaller): the nonces of
 * StartAuthSession must be in s already. */
int tpm_session_key(struct tpm_session *s, const uint8_t salt[TPM_DIGEST_LEN]);

/* cpHash = SHA-256(commandCode || names || parameters). */
int tpm_cp_hash(uint32_t cc, const uint8_t *names, size_t names_len,
    const uint8_t *params, size_t params_len, uint8_t out[TPM_DIGEST_LEN]);
/* rpHash = SHA-256(responseCode 0 || commandCode || parameters). */
int tpm_rp_hash(uint32_t cc, const uint8_t *params, size_t params_len,
    uint8_t out[TPM_DIGEST_LEN]);
/* The command's HMAC (our entities' authValues are empty). */
int tpm_cmd_hmac(const struct tpm_session *s, const uint8_t cp[TPM_DIGEST_LEN],
    uint8_t attrs, uint8_t out[TPM_DIGEST_LEN]);
/* Check the response's HMAC; ss_nonce_tpm must hold the response's new
 * nonce. CB_EPROTO when it does not match. */
int tpm_rsp_hmac_check(const struct tpm_session *s,
    const uint8_t rp[TPM_DIGEST_LEN], uint8_t attrs, const uint8_t *hmac,
    size_t hmac_len);

enum tpm_crypt_dir {
	TPM_TO_TPM,	/* encrypt a command's first parameter (decrypt) */
	TPM_FROM_TPM	/* decrypt a response's first parameter (encrypt) */
};
/* AES-128-CFB in place over the data of a TPM2B parameter, keyed by
 * KDFa(sessionKey, "CFB", nonceNewer, nonceOlder). */
int tpm_param_crypt(const struct tpm_session *s, enum tpm_crypt_dir dir,
    uint8_t *buf, size_t len);

#endif
