/*
 * keyfile.h: the stored forms of the key hierarchy's files in DATA/keys
 * (docs/keys.md). Pure: bytes in, fields out, every limit checked; a
 * file that is not exactly one of these is refused whole. Fuzzed by
 * tests/fuzz/fuzz_keyfiles.c.
 *
 *   <purpose>.kek   "CBKK" | version 1 | purpose | the KEK wrapped by
 *                   the root key (store/seal.h's wrapped-key layout)
 *   root.recovery   "CBRK" | version 1 | Argon2id m (KiB), t, p | salt |
 *                   the root key wrapped by the key derived from the
 *                   recovery key; the header is the wrap's associated
 *                   data, so no parameter can be edited unnoticed
 */
#ifndef KEYS_KEYFILE_H
#define KEYS_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "store/seal.h"

#define KEYFILE_KEK_LEN		(4 + 1 + 1 + SEAL_WRAPPED_LEN)
#define KEYFILE_SALT_LEN	16
#define KEYFILE_RECOVERY_HEAD	(4 + 1 + 3 * 4 + KEYFILE_SALT_LEN)
#define KEYFILE_RECOVERY_LEN	(KEYFILE_RECOVERY_HEAD + SEAL_WRAPPED_LEN)
/* Argon2id parameters a recovery file may ask for: at least OWASP's
 * floor, at most what a box can spare, so a forged file can neither
 * weaken the derivation much nor exhaust the box's memory. */
#define KEYFILE_ARGON2_M_MIN	19456		/* KiB */
#define KEYFILE_ARGON2_M_MAX	262144		/* KiB: 256 MiB */
#define KEYFILE_ARGON2_T_MAX	16
#define KEYFILE_ARGON2_P_MAX	4
#define KEYFILE_RECOVERY_AD	"classbox recovery v1"
#define KEYFILE_AD_MAX		(sizeof(KEYFILE_RECOVERY_AD) - 1 + \
				 KEYFILE_RECOVERY_HEAD)

struct keyfile_recovery {
	uint32_t kr_m_kib;
	uint32_t kr_t;
	uint32_t kr_p;
	uint8_t kr_salt[KEYFILE_SALT_LEN];
	uint8_t kr_wrapped[SEAL_WRAPPED_LEN];
};

void keyfile_kek_encode(unsigned purpose,
    const uint8_t wrapped[SEAL_WRAPPED_LEN], uint8_t out[KEYFILE_KEK_LEN]);
/* CB_EINVAL unless in is a KEK file for purpose. */
int keyfile_kek_decode(const uint8_t *in, size_t len, unsigned purpose,
    uint8_t wrapped[SEAL_WRAPPED_LEN]);

void keyfile_recovery_encode(const struct keyfile_recovery *r,
    uint8_t out[KEYFILE_RECOVERY_LEN]);
/* CB_EINVAL unless in is a recovery file with parameters in bounds. */
int keyfile_recovery_decode(const uint8_t *in, size_t len,
    struct keyfile_recovery *r);
/* The associated data of r's wrap: the label and r's header. */
void keyfile_recovery_ad(const struct keyfile_recovery *r,
    uint8_t ad[KEYFILE_AD_MAX], size_t *len);

#endif
