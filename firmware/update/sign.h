/*
 * sign.h: the signing side of update bundles, for the host tools
 * (`classbox bundle`, tools/update/): keys, release-key certificates, and
 * building a bundle from a slot image. ECDSA P-256 over SHA-256 with
 * deterministic nonces (RFC 6979): a weak RNG on the signing machine
 * cannot leak the key.
 */
#ifndef UPDATE_SIGN_H
#define UPDATE_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "update/bundle.h"

struct sign_key;

/* Make a new P-256 key and write it as PEM (0600, refuses to overwrite). */
int sign_keygen(const char *path);
int sign_key_load(const char *path, struct sign_key **out);
void sign_key_free(struct sign_key *k);
/* The uncompressed public point (BUNDLE_PUB_LEN bytes). */
int sign_key_pub(const struct sign_key *k, uint8_t *pub);
/* DER signature of SHA-256(msg) into sig (BUNDLE_SIG_MAX). */
int sign_message(const struct sign_key *k, const void *msg, size_t len,
    uint8_t *sig, size_t *sig_len);

/* A public key file: one line of 130 lower-case hex digits. */
int sign_pub_write(const char *path, const uint8_t *pub);
int sign_pub_read(const char *path, uint8_t *pub);

/* The release-key line of a manifest ("release-key SERIAL PUB SIG"),
 * signed by the root key, written to path. */
int sign_certify(const struct sign_key *root, uint32_t serial,
    const uint8_t *release_pub, const char *path);

struct sign_bundle_args {
	const struct sign_key *sb_key;
	const char *sb_cert_path;	/* NULL: the key is the root key */
	const char *sb_board, *sb_version;
	uint32_t sb_epoch, sb_key_floor;
	const char *sb_image, *sb_kernel, *sb_initramfs;
	const char *sb_out;
};
int sign_bundle(const struct sign_bundle_args *a, char *why, size_t why_size);

#endif
