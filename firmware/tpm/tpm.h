/*
 * tpm.h: a small TPM 2.0 client, just what sealing the box's root key
 * needs (docs/keys.md): read and extend PCRs, seal a secret under a PCR
 * policy to the TPM's storage key, unseal it. Nothing else is spoken.
 *
 * The TPM is the kernel's resource manager (/dev/tpmrm0), which lets
 * several processes use it and flushes what a dead one left; for tests, a
 * unix socket speaking the same bytes (swtpm's data channel).
 *
 * The storage key is the owner hierarchy's ECC P-256 primary made from a
 * fixed template, so the same TPM re-creates the same key every time and
 * nothing needs to be stored in the TPM. Its name, pinned in the sealed
 * blob, says which TPM a blob belongs to.
 *
 * Secrets never cross the bus in clear: the seal's command and the
 * unseal's response are AES-CFB encrypted in a session salted to that
 * storage key, and the unsealed secret is accepted only with the session's
 * response HMAC (tpm/session.h).
 *
 * Each function returns 0 or a CB_E* code; tpm_error() then says what went
 * wrong in words, never with a secret in them:
 *   CB_EIO      the device or socket failed
 *   CB_EPROTO   the TPM's answer was malformed, or its HMAC did not verify
 *   CB_ECRYPTO  the TPM refused (tpm_last_rc), or the blob belongs to
 *               another TPM (or this one was cleared)
 *   CB_EPERM    the PCRs differ from those the blob was sealed to (another
 *               boot chain or firmware); tpm_error names them
 *   CB_EAUTH    the owner hierarchy has a password (set by another OS)
 *   CB_EBUSY    the TPM is out of object or session memory
 *   CB_ETHROTTLED  the TPM is in dictionary-attack lockout
 */
#ifndef TPM_TPM_H
#define TPM_TPM_H

#include <stddef.h>
#include <stdint.h>

#include "tpm/wire.h"

#define TPM_DEFAULT_PATH	"/dev/tpmrm0"
#define TPM_RETRY_MAX		8	/* TPM_RC_RETRY / YIELDED / TESTING */
#define TPM_RETRY_SLEEP_MS	50
#define TPM_ERROR_MAX		200	/* tpm_error()'s text */
#define TPM_SEALED_FILE_MAX	(4 + 1 + 4 + TPM_PCR_COUNT * TPM_DIGEST_LEN + \
				 TPM_NAME_LEN + 2 + TPM_PUBLIC_MAX + 2 + \
				 TPM_PRIVATE_MAX)

struct tpm;

/* Open the TPM at path: a character device or a unix socket. */
int tpm_open(struct tpm **tp, const char *path);
/* Flush what is still loaded and close. NULL is fine. */
void tpm_close(struct tpm *t);
/* The last failure in words, "" after success. */
const char *tpm_error(const struct tpm *t);
/* The last TPM_RC the TPM answered (0 when it was not the TPM). */
uint32_t tpm_last_rc(const struct tpm *t);

/* PCR values of the SHA-256 bank: tp_value[i] is meaningful for the PCRs
 * in tp_mask (bit i: PCR i). */
struct tpm_pcrs {
	uint32_t tp_mask;
	uint8_t tp_value[TPM_PCR_COUNT][TPM_DIGEST_LEN];
};

/* Read the PCRs in mask (bits 0..23). */
int tpm_pcr_read(struct tpm *t, uint32_t mask, struct tpm_pcrs *out);
/* Extend PCR pcr with a SHA-256 digest. */
int tpm_pcr_extend(struct tpm *t, unsigned pcr,
    const uint8_t digest[TPM_DIGEST_LEN]);
/* What extending value with digest gives: new = SHA-256(value || digest)
 * (to predict the PCRs of a boot that has not happened yet). */
int tpm_pcr_predict(uint8_t value[TPM_DIGEST_LEN],
    const uint8_t digest[TPM_DIGEST_LEN]);
/* The policy digest of TPM2_PolicyPCR over these values. */
int tpm_policy_pcr(const struct tpm_pcrs *p, uint8_t policy[TPM_DIGEST_LEN]);

/* A sealed secret as it is stored: useless without the TPM that made it,
 * and that TPM gives it back only while its PCRs equal ts_pcrs. */
struct tpm_sealed {
	struct tpm_pcrs ts_pcrs;		/* the values it is bound to */
	uint8_t ts_parent[TPM_NAME_LEN];	/* the storage key: which TPM */
	uint16_t ts_pub_len;
	uint16_t ts_priv_len;
	uint8_t ts_pub[TPM_PUBLIC_MAX];		/* TPMT_PUBLIC */
	uint8_t ts_priv[TPM_PRIVATE_MAX];	/* TPM2B_PRIVATE's data */
};

/* Seal len bytes (1..TPM_SEALED_DATA_MAX) so that only this TPM, with its
 * PCRs equal to bind (mask 0: no PCR, any boot), gives them back. The
 * values need not be the current ones (a predicted boot). */
int tpm_seal(struct tpm *t, const struct tpm_pcrs *bind, const uint8_t *secret,
    size_t len, struct tpm_sealed *out);
/* Unseal into out (cap bytes); *len is the secret's length. */
int tpm_unseal(struct tpm *t, const struct tpm_sealed *s, uint8_t *out,
    size_t cap, size_t *len);

/* The stored form: "CBTS", version, PCR mask, values, parent name, the
 * public and private areas. decode is strict (every byte, every limit,
 * the policy must be that of the values) and fuzzed. */
int tpm_sealed_encode(const struct tpm_sealed *s, uint8_t *out, size_t cap,
    size_t *len);
int tpm_sealed_decode(const uint8_t *in, size_t len, struct tpm_sealed *s);

/* "0,2,4,7" <-> mask. parse: CB_EINVAL on anything but ascending-or-not
 * distinct numbers 0..23 separated by commas (empty: mask 0). */
int tpm_pcr_mask_parse(const char *s, uint32_t *mask);
void tpm_pcr_mask_format(uint32_t mask, char *out, size_t size);

#endif
