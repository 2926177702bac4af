/*
 * seal.h: encryption at rest. Every value the store writes is sealed with
 * AES-256-GCM under the data key (DEK): a fresh random 96-bit nonce per
 * value, and the record's key (table name, NUL, key bytes) as associated
 * data, so a sealed value moved to another key or table fails to open.
 *
 * The DEK is kept wrapped (AES-256-GCM) by a key-encryption key (KEK) held
 * by a keystore: a 0600 file `kek` (keystore_file_init, below), or the
 * box's key hierarchy, where the KEK is wrapped by a root key sealed to
 * the TPM (firmware/keys/keys.h, keys_keystore).
 *
 * Sealed value layout: version (1 byte, 1) | nonce (12) | ciphertext | tag (16).
 */
#ifndef SEAL_H
#define SEAL_H

#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_LEN		32
#define SEAL_NONCE_LEN		12
#define SEAL_TAG_LEN		16
#define SEAL_OVERHEAD		(1 + SEAL_NONCE_LEN + SEAL_TAG_LEN)
#define SEAL_WRAPPED_LEN	(SEAL_OVERHEAD + SEAL_KEY_LEN)
#define SEAL_MAX_AD		600	/* table name + NUL + LMDB key */

/* The holder of the key-encryption key. Each function returns 0 or CB_E*. */
struct keystore {
	void *ks_ctx;
	/* Make the KEK usable; create it only when create is set (a new,
	 * empty store). CB_ECRYPTO with a logged reason otherwise. */
	int (*ks_load_kek)(struct keystore *ks, int create);
	int (*ks_wrap)(struct keystore *ks, const uint8_t dek[SEAL_KEY_LEN],
	    uint8_t out[SEAL_WRAPPED_LEN]);
	/* CB_ECRYPTO when the wrapped key does not open under this KEK. */
	int (*ks_unwrap)(struct keystore *ks,
	    const uint8_t in[SEAL_WRAPPED_LEN], uint8_t dek[SEAL_KEY_LEN]);
	/* Destroy the KEK for good (crypto-erase). */
	int (*ks_erase)(struct keystore *ks);
	void (*ks_close)(struct keystore *ks);
};

/* The associated data every keystore wraps a data key with, so that a
 * wrapped data key moves between keystores of the same KEK unchanged. */
#define SEAL_DEK_AD		"classbox data key v1"

/* Wrap a 32-byte key under kek (AES-256-GCM, the sealed-value layout,
 * SEAL_WRAPPED_LEN bytes); ad[0..adlen) binds it to its purpose. The one
 * way keys are wrapped: by keystores (ad SEAL_DEK_AD) and by the key
 * hierarchy (firmware/keys). */
int seal_wrap_key(const uint8_t kek[SEAL_KEY_LEN], const void *ad,
    size_t adlen, const uint8_t key[SEAL_KEY_LEN],
    uint8_t out[SEAL_WRAPPED_LEN]);
/* CB_ECRYPTO when in was not wrapped under kek with ad, or was altered. */
int seal_unwrap_key(const uint8_t kek[SEAL_KEY_LEN], const void *ad,
    size_t adlen, const uint8_t in[SEAL_WRAPPED_LEN],
    uint8_t key[SEAL_KEY_LEN]);

/* A data key wrapped, or unwrapped, under kek with SEAL_DEK_AD: what
 * every keystore's ks_wrap and ks_unwrap do. */
int seal_wrap_dek(const uint8_t kek[SEAL_KEY_LEN],
    const uint8_t dek[SEAL_KEY_LEN], uint8_t out[SEAL_WRAPPED_LEN]);
int seal_unwrap_dek(const uint8_t kek[SEAL_KEY_LEN],
    const uint8_t in[SEAL_WRAPPED_LEN], uint8_t dek[SEAL_KEY_LEN]);

/* The file keystore: KEK = 32 random bytes in <dir>/kek, mode 0600. */
int keystore_file_init(struct keystore *ks, const char *dir);

struct seal;

/* A sealing context for one data key; the key is copied and wiped on free. */
int seal_new(struct seal **sp, const uint8_t dek[SEAL_KEY_LEN]);
void seal_free(struct seal *s);

/* Seal len bytes into out (room for len + SEAL_OVERHEAD). The associated
 * data is table, NUL, key[0..klen). */
int seal_value(struct seal *s, const char *table, const void *key,
    size_t klen, const void *in, size_t len, uint8_t *out);
/* Open a sealed value into out (room for len - SEAL_OVERHEAD); CB_ECRYPTO
 * when it was altered, moved, or sealed under another key. */
int seal_unseal(struct seal *s, const char *table, const void *key,
    size_t klen, const uint8_t *in, size_t len, uint8_t *out,
    size_t *out_len);

/* A new random data key. */
int seal_new_dek(uint8_t dek[SEAL_KEY_LEN]);

#endif
