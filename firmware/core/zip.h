/*
 * zip.h: a streaming writer of ZIP archives with stored (uncompressed)
 * entries, for the admins' export (api/export.c). Pure: it formats bytes
 * into the caller's buffer; the caller sends them. No zlib: entries are
 * stored, each followed by a data descriptor (general purpose bit 3) since
 * sizes and CRC-32 are known only after the data has gone out; names are
 * UTF-8 (bit 11). APPNOTE.TXT 6.3 (PKWARE); what Debian's unzip, Windows
 * Explorer and macOS read. No ZIP64: an entry or the archive past 4 GiB
 * is refused (CB_ETOOBIG), never written wrong.
 */
#ifndef ZIP_H
#define ZIP_H

#include <stddef.h>
#include <stdint.h>

#define ZIP_MAX_ENTRIES		64	/* one JSON + one CSV per type */
#define ZIP_NAME_MAX		64	/* bytes of an entry name */
#define ZIP_LOCAL_MAX		(30 + ZIP_NAME_MAX)
#define ZIP_DESC_LEN		16
#define ZIP_LIMIT		0xFFFFFFFFu

/* CRC-32 (ISO 3309, as ZIP, gzip and PNG): start with crc 0. */
uint32_t zip_crc32(uint32_t crc, const void *buf, size_t len);

struct zip_entry {
	char ze_name[ZIP_NAME_MAX + 1];
	uint32_t ze_offset;		/* of its local header */
	uint32_t ze_crc, ze_size;
};

struct zip_writer {
	struct zip_entry zw_e[ZIP_MAX_ENTRIES];
	size_t zw_n;			/* entries begun */
	int zw_open;			/* the last entry takes data */
	uint64_t zw_off;		/* bytes of the archive so far */
	uint16_t zw_time, zw_date;	/* MS-DOS time of every entry */
};

/* unix_s: the time stamped on the entries (local time of the school). */
void zip_init(struct zip_writer *z, int64_t unix_s);
/* The local header of a new entry into out (ZIP_LOCAL_MAX); its length in
 * *len. CB_ETOOBIG: too many entries, name too long, archive too big;
 * CB_ESTATE: an entry is still open. */
int zip_begin(struct zip_writer *z, const char *name, uint8_t *out,
    size_t *len);
/* Account for len bytes of the open entry's data (the caller sends them
 * as they are: stored). CB_ETOOBIG past 4 GiB. */
int zip_data(struct zip_writer *z, const void *data, size_t len);
/* Close the open entry: its data descriptor into out (ZIP_DESC_LEN). */
int zip_end(struct zip_writer *z, uint8_t *out, size_t *len);
/* The central directory and end record: bytes needed, then written. */
size_t zip_finish_len(const struct zip_writer *z);
int zip_finish(struct zip_writer *z, uint8_t *out, size_t size,
    size_t *len);

#endif
