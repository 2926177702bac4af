/*
 * bundle.h: signed update bundles (docs/update.md). A bundle is
 *
 *   header   "CBBUNDLE", u32 format (1), u32 manifest length,
 *            u32 signature length, u32 zero      (all big-endian, 24 bytes)
 *   manifest text, one "key value" line each, in a fixed order
 *   signature  DER ECDSA P-256 over SHA-256(manifest), by the root key or
 *            by a release key that the root key certified (in the manifest)
 *   payload  the slot image (squashfs with /boot/vmlinuz and
 *            /boot/initramfs.cpio.gz), image-size bytes
 *
 * The manifest carries the SHA-256 of every 1 MiB chunk of the payload and
 * of the kernel and initramfs inside it. Bytes after the payload are
 * ignored (a bundle read from a whole USB stick or block device).
 *
 * This module is pure (no I/O): parse, check the signature chain and the
 * box's policy (board, epoch, key floor). Every refusal fills a message a
 * technician can act on.
 */
#ifndef UPDATE_BUNDLE_H
#define UPDATE_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#define BUNDLE_MAGIC		"CBBUNDLE"
#define BUNDLE_FORMAT		1
#define BUNDLE_HEADER_LEN	24
#define BUNDLE_MANIFEST_MAX	(64 * 1024)
#define BUNDLE_SIG_MAX		80	/* DER ECDSA P-256: at most 72 */
#define BUNDLE_CHUNK_SIZE	(1024 * 1024)
#define BUNDLE_CHUNKS_MAX	256	/* 256 MiB slot images at most */
#define BUNDLE_BOARD_MAX	32
#define BUNDLE_VERSION_MAX	64
#define BUNDLE_PUB_LEN		65	/* uncompressed P-256 point */
#define BUNDLE_HASH_LEN		32
#define BUNDLE_WHY_MAX		200	/* a refusal's message */

/* Which key signed the manifest. */
enum bundle_signer { BUNDLE_SIGNER_ROOT = 1, BUNDLE_SIGNER_RELEASE = 2 };

struct bundle_manifest {
	char bm_board[BUNDLE_BOARD_MAX];
	char bm_version[BUNDLE_VERSION_MAX];
	uint32_t bm_epoch;
	int bm_signer;			/* enum bundle_signer */
	/* The release key (bm_signer == RELEASE): its serial, public key and
	 * the root's signature over bundle_release_cert_text(). */
	uint32_t bm_rel_serial;
	uint8_t bm_rel_pub[BUNDLE_PUB_LEN];
	uint8_t bm_rel_sig[BUNDLE_SIG_MAX];
	size_t bm_rel_sig_len;
	uint32_t bm_key_floor;		/* 0: none; raises the box's floor */
	uint64_t bm_image_size;
	uint32_t bm_nchunks;
	uint8_t bm_kernel[BUNDLE_HASH_LEN];
	uint8_t bm_initramfs[BUNDLE_HASH_LEN];
	uint8_t bm_chunk[BUNDLE_CHUNKS_MAX][BUNDLE_HASH_LEN];
};

/* A parsed bundle header: where the parts are in the file. */
struct bundle_layout {
	uint32_t bl_manifest_len;
	uint32_t bl_sig_len;
	uint64_t bl_payload_off;	/* start of the payload */
};

/* The box's side of the policy. */
struct bundle_policy {
	const uint8_t *bp_root_pub;	/* BUNDLE_PUB_LEN bytes */
	const char *bp_board;		/* NULL: any (host tools) */
	uint32_t bp_epoch;		/* refuse bundles below it */
	uint32_t bp_key_floor;		/* refuse release keys below it */
	int bp_allow_rollback;		/* technician override of bp_epoch */
};

/* The 24-byte header: CB_EINVAL (not a bundle), CB_ETOOBIG. */
int bundle_header_parse(const uint8_t *buf, size_t len,
    struct bundle_layout *out, char *why, size_t why_size);

/* The manifest text: strict (fixed order, no duplicates, no trailing
 * garbage, decimal without leading zeros, lower-case hex). CB_EINVAL with
 * the offending line named in why. */
int bundle_manifest_parse(const char *text, size_t len,
    struct bundle_manifest *m, char *why, size_t why_size);

/* Signature chain and policy, in that order: the release key's certificate
 * by the root key, the manifest's signature, the key floor, the board, the
 * epoch. CB_ECRYPTO (signature), CB_EPERM (policy). */
int bundle_manifest_verify(const char *text, size_t len,
    const uint8_t *sig, size_t sig_len, const struct bundle_manifest *m,
    const struct bundle_policy *p, char *why, size_t why_size);

/* The text the root key signs to certify a release key. */
int bundle_release_cert_text(uint32_t serial, const uint8_t *pub,
    char *out, size_t out_size);

/* ECDSA P-256 over SHA-256(msg): 0 when sig verifies under pub. */
int bundle_sig_check(const uint8_t *pub, const void *msg, size_t len,
    const uint8_t *sig, size_t sig_len);

/* Hex helpers (lower case). */
void bundle_hex(const uint8_t *in, size_t len, char *out);
int bundle_unhex(const char *in, size_t in_len, uint8_t *out, size_t len);

#endif
