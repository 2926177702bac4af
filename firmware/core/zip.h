/*
 * zip.h: a streaming writer of ZIP archives with stored (uncompressed)
 * entries, for the admins' export (api/export.c), and a reader of what it
 * writes, for the offline check of an export (audit/export_verify.c).
 * Pure: it formats bytes into the caller's buffer; the caller sends them.
 * No zlib: entries are stored, each followed by a data descriptor (general
 * purpose bit 3) since sizes and CRC-32 are known only after the data has
 * gone out; names are UTF-8 (bit 11). APPNOTE.TXT 6.3 (PKWARE); what
 * Debian's unzip, Windows Explorer and macOS read. No ZIP64: an entry or
 * the archive past 4 GiB, or more than 65535 entries, is refused
 * (CB_ETOOBIG), never written wrong.
 *
 * The writer keeps one small record per entry (name, offset, CRC, size) for
 * the central directory, which goes out one record at a time at the end,
 * so an archive of thousands of files costs tens of bytes a file, never a
 * buffer of the whole directory.
 */
#ifndef ZIP_H
#define ZIP_H

#include <stddef.h>
#include <stdint.h>

#define ZIP_MAX_ENTRIES		65535	/* the classic end record's count */
#define ZIP_NAME_MAX		255	/* bytes of an entry name */
#define ZIP_LOCAL_MAX		(30 + ZIP_NAME_MAX)
#define ZIP_CENTRAL_MAX		(46 + ZIP_NAME_MAX)
#define ZIP_DESC_LEN		16
#define ZIP_END_LEN		22
#define ZIP_LIMIT		0xFFFFFFFFu

/* CRC-32 (ISO 3309, as ZIP, gzip and PNG): start with crc 0. */
uint32_t zip_crc32(uint32_t crc, const void *buf, size_t len);

struct zip_entry {
	uint32_t ze_name_off;		/* into zw_names */
	uint16_t ze_name_len;
	uint32_t ze_offset;		/* of its local header */
	uint32_t ze_crc, ze_size;
};

struct zip_writer {
	struct zip_entry *zw_e;		/* malloc'd, zw_cap of them */
	size_t zw_n, zw_cap;		/* entries begun */
	char *zw_names;			/* the names, back to back */
	size_t zw_names_len, zw_names_cap;
	int zw_open;			/* the last entry takes data */
	size_t zw_central;		/* central records written */
	uint64_t zw_cd_off;		/* where the central directory began */
	uint64_t zw_off;		/* bytes of the archive so far */
	uint16_t zw_time, zw_date;	/* MS-DOS time of every entry */
};

/* unix_s: the time stamped on the entries (local time of the school). */
void zip_init(struct zip_writer *z, int64_t unix_s);
void zip_free(struct zip_writer *z);
/* The local header of a new entry into out (ZIP_LOCAL_MAX); its length in
 * *len. CB_ETOOBIG: too many entries, name empty or too long, archive too
 * big; CB_ESTATE: an entry is still open or the directory has begun;
 * CB_ENOMEM. */
int zip_begin(struct zip_writer *z, const char *name, uint8_t *out,
    size_t *len);
/* Account for len bytes of the open entry's data (the caller sends them
 * as they are: stored). CB_ETOOBIG past 4 GiB. */
int zip_data(struct zip_writer *z, const void *data, size_t len);
/* Close the open entry: its data descriptor into out (ZIP_DESC_LEN). */
int zip_end(struct zip_writer *z, uint8_t *out, size_t *len);
/* The central directory, after the last entry: record i (0, 1, ... in
 * order, i < zw_n) into out (ZIP_CENTRAL_MAX), then the end record
 * (ZIP_END_LEN). CB_ESTATE out of order. */
int zip_central(struct zip_writer *z, size_t i, uint8_t *out, size_t *len);
int zip_end_record(struct zip_writer *z, uint8_t *out, size_t *len);
/* Both at once, for small archives (tests): bytes needed, then written. */
size_t zip_finish_len(const struct zip_writer *z);
int zip_finish(struct zip_writer *z, uint8_t *out, size_t size,
    size_t *len);

/* ---- reading ---- */

struct zip_item {
	const char *zi_name;		/* not NUL-terminated */
	size_t zi_name_len;
	const uint8_t *zi_data;		/* the stored bytes */
	uint32_t zi_size;
	int zi_crc_ok;			/* they match the entry's CRC-32 */
};

/* Called per entry, in central-directory order; non-zero stops the walk
 * and is returned by zip_read. */
typedef int zip_item_fn(void *arg, const struct zip_item *it);

/*
 * Read an archive held whole in memory, as zip_writer writes them: stored
 * entries only (a copy re-compressed by another tool is refused: unzip it
 * and check the folder instead), every local header agreeing with its
 * central record, nothing overlapping or out of bounds. CB_EINVAL with why
 * (a sentence) when it is not such an archive. An entry whose CRC-32 does
 * not match is still handed over (zi_crc_ok 0), so that a checker can say
 * what in it was changed. Bounded: ZIP_MAX_ENTRIES entries, each byte read once for its
 * CRC.
 */
int zip_read(const uint8_t *buf, size_t len, zip_item_fn *fn, void *arg,
    char *why, size_t why_size);

#endif
