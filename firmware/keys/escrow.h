/*
 * escrow.h: the recovery key wrapped to the platform's escrow public key,
 * so that a school that lost its printed sheet can ask the platform.
 *
 * ECIES with P-256 (the curve of every other key here; mbedTLS has no
 * X25519 signatures and RSA-OAEP would need RSA keys and 256-byte blobs):
 * an ephemeral key pair, ECDH with the escrow key, HKDF-SHA-256 to an
 * AES-256-GCM key, the 16-byte recovery key sealed with the header as
 * associated data. The blob names its key by the SHA-256 of the escrow
 * key's SubjectPublicKeyInfo, so the platform knows which key opens it.
 *
 *   "CBES" | version 1 | key id (32) | ephemeral point (65, uncompressed)
 *   | nonce (12) | ciphertext (16) | tag (16)
 *
 * escrow_open is the platform's side; the box has only the public key.
 */
#ifndef KEYS_ESCROW_H
#define KEYS_ESCROW_H

#include <stddef.h>
#include <stdint.h>

#include "keys/recovery.h"

#define ESCROW_KEY_ID_LEN	32
#define ESCROW_POINT_LEN	65
#define ESCROW_NONCE_LEN	12
#define ESCROW_TAG_LEN		16
#define ESCROW_HEADER_LEN	(4 + 1 + ESCROW_KEY_ID_LEN + ESCROW_POINT_LEN)
#define ESCROW_LEN		(ESCROW_HEADER_LEN + ESCROW_NONCE_LEN + \
				 RECOVERY_KEY_LEN + ESCROW_TAG_LEN)
#define ESCROW_PEM_MAX		4096	/* an escrow key file we read */

/* The fields of a blob, in place. */
struct escrow_blob {
	const uint8_t *eb_key_id;
	const uint8_t *eb_point;
	const uint8_t *eb_nonce;
	const uint8_t *eb_ct;
	const uint8_t *eb_tag;
};

/* Strict: the exact length, magic and version; fuzzed. CB_EINVAL. */
int escrow_parse(const uint8_t *blob, size_t len, struct escrow_blob *out);
/* Wrap key to the P-256 public key in pem (PEM or DER SubjectPublicKey-
 * Info, len bytes, a PEM NUL-terminated). CB_EINVAL: not a P-256 key. */
int escrow_wrap(const char *pem, size_t len,
    const uint8_t key[RECOVERY_KEY_LEN], uint8_t out[ESCROW_LEN]);
/* The platform's side: open blob with the private key in pem.
 * CB_EINVAL: not an escrow blob, or not for this key; CB_ECRYPTO: it
 * does not open (altered). */
int escrow_open(const char *pem, size_t len, const uint8_t *blob,
    size_t blob_len, uint8_t key[RECOVERY_KEY_LEN]);
/* The key id of the public key in pem (hex in status output). */
int escrow_key_id(const char *pem, size_t len,
    uint8_t id[ESCROW_KEY_ID_LEN]);

#endif
