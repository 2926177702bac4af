/*
 * backup.h: encrypted, verified backups of the box's LMDB environments
 * (docs/backup.md).
 *
 * One file per generation. Layout (integers big-endian):
 *
 *   header, 160 bytes, in clear:
 *     magic "CBBACKUP" | version u32 (1) | chunk size u32 | created ms i64 |
 *     box id [64] (NUL padded) | wrapped backup key [61] | zero [11]
 *   chunks, until the one with the final flag:
 *     final u8 | plaintext length u32 | nonce [12] | ciphertext | tag [16]
 *
 * Each chunk is AES-256-GCM under a random backup key made for this file;
 * the backup key is wrapped by the keystore's KEK (DATA/keys/kek). The
 * associated data of a chunk is header || chunk index u64 || final u8, so
 * a changed header, a chunk moved, dropped, or a cut file all fail.
 *
 * The plaintext is a sequence of sections, then a zero byte:
 *     name length u8 | name | data length u64 | SHA-256 [32] | data
 * name is an environment ("auth", "store", "audit/login", "audit/ops"),
 * data its compacted data.mdb image.
 */
#ifndef BACKUP_H
#define BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "store/seal.h"

#define BK_MAGIC		"CBBACKUP"
#define BK_VERSION		1
#define BK_HEADER_LEN		160
#define BK_BOX_ID_MAX		64
#define BK_CHUNK_DEFAULT	(1u << 20)
#define BK_CHUNK_MAX		(16u << 20)
#define BK_ERR_MAX		512
#define BK_MAX_ENVS		8

/* The environments of a data directory, by name and subdirectory. */
struct bk_env_name {
	const char *be_name;
	const char *be_subdir;
};
extern const struct bk_env_name bk_envs[];
extern const size_t bk_nenvs;

/* A section to write: name and the file holding its data. */
struct bk_src {
	const char *bs_name;
	const char *bs_path;
};

struct bk_header {
	uint32_t bh_version;
	uint32_t bh_chunk;
	int64_t bh_created_ms;
	char bh_box_id[BK_BOX_ID_MAX + 1];
};

/* Write a backup of the sections to fd (positioned at 0): a new backup key
 * wrapped by ks (its KEK loaded). chunk 0: BK_CHUNK_DEFAULT. CB_EFULL when
 * the disk is full. err gets a sentence. Does not fsync. */
int bk_write(int fd, struct keystore *ks, const char *box_id,
    int64_t created_ms, uint32_t chunk, const struct bk_src *srcs, size_t n,
    char err[BK_ERR_MAX]);

/* Read only the clear header. */
int bk_read_header(const char *path, struct bk_header *h,
    char err[BK_ERR_MAX]);

/* What bk_extract found. */
struct bk_section {
	char bx_name[32];
	uint64_t bx_len;
	char bx_path[512];	/* where it was written */
};

/* Decrypt and check the whole file: every chunk, the order, the end, the
 * hash of every section. With out_dir set, each section is written to
 * out_dir/<name>/data.mdb (directories made 0700). CB_ECRYPTO (wrong key,
 * altered or cut file), CB_EINVAL (malformed), with err saying which. */
int bk_extract(const char *path, struct keystore *ks, const char *out_dir,
    struct bk_header *h, struct bk_section *secs, size_t *nsecs,
    char err[BK_ERR_MAX]);

#endif
