/*
 * zip.c: stored-entry ZIP writer and reader (zip.h). Little-endian fields
 * throughout.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cb.h"
#include "core/zip.h"

#define ZIP_SIG_LOCAL	0x04034b50u
#define ZIP_SIG_DESC	0x08074b50u
#define ZIP_SIG_CENTRAL	0x02014b50u
#define ZIP_SIG_END	0x06054b50u
#define ZIP_VERSION	20		/* 2.0: stored, descriptors */
#define ZIP_FLAGS	0x0808		/* bit 3 descriptor, bit 11 UTF-8 */
#define ZIP_LOCAL_LEN	30
#define ZIP_CENTRAL_LEN	46
#define ZIP_COMMENT_MAX	0xFFFF		/* the end record's comment */
#define ZIP_NAMES_FIRST	4096		/* bytes of names first allocated */
#define ZIP_ENTRIES_FIRST 64

/* CRC-32 four bits at a time: 16 constants instead of 256, four times
 * the speed of the bitwise loop. */
static const uint32_t zip_crc_nibble[16] = {
	0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
	0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
	0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
	0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t
zip_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ zip_crc_nibble[crc & 15];
		crc = (crc >> 4) ^ zip_crc_nibble[crc & 15];
	}
	return ~crc;
}

static uint8_t *
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	return put16(put16(p, v & 0xFFFF), v >> 16);
}

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) | get16(p + 2) << 16;
}

void
zip_init(struct zip_writer *z, int64_t unix_s)
{
	struct tm tm;
	time_t t = (time_t)unix_s;

	memset(z, 0, sizeof(*z));
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 80)
		memset(&tm, 0, sizeof(tm)), tm.tm_year = 80, tm.tm_mday = 1;
	z->zw_time = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 |
	    tm.tm_sec / 2);
	z->zw_date = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 |
	    tm.tm_mday);
}

void
zip_free(struct zip_writer *z)
{
	free(z->zw_e);
	free(z->zw_names);
	z->zw_e = NULL;
	z->zw_names = NULL;
	z->zw_n = z->zw_cap = z->zw_names_len = z->zw_names_cap = 0;
}

/* Room for one more entry named by nl bytes. */
static int
zip_grow(struct zip_writer *z, size_t nl)
{
	if (z->zw_n == z->zw_cap) {
		size_t cap = z->zw_cap ? z->zw_cap * 2 : ZIP_ENTRIES_FIRST;
		struct zip_entry *e;

		if (cap > ZIP_MAX_ENTRIES)
			cap = ZIP_MAX_ENTRIES;
		if ((e = realloc(z->zw_e, cap * sizeof(*e))) == NULL)
			return CB_ENOMEM;
		z->zw_e = e;
		z->zw_cap = cap;
	}
	if (z->zw_names_len + nl > z->zw_names_cap) {
		size_t cap = z->zw_names_cap ? z->zw_names_cap : ZIP_NAMES_FIRST;
		char *n;

		while (cap < z->zw_names_len + nl)
			cap *= 2;
		if ((n = realloc(z->zw_names, cap)) == NULL)
			return CB_ENOMEM;
		z->zw_names = n;
		z->zw_names_cap = cap;
	}
	return CB_OK;
}

int
zip_begin(struct zip_writer *z, const char *name, uint8_t *out, size_t *len)
{
	struct zip_entry *e;
	size_t nl = strlen(name);
	uint8_t *p = out;
	int rc;

	if (z->zw_open || z->zw_central > 0)
		return CB_ESTATE;
	if (z->zw_n == ZIP_MAX_ENTRIES || nl == 0 || nl > ZIP_NAME_MAX ||
	    z->zw_off + ZIP_LOCAL_LEN + nl > ZIP_LIMIT)
		return CB_ETOOBIG;
	if ((rc = zip_grow(z, nl)) != CB_OK)
		return rc;
	e = &z->zw_e[z->zw_n++];
	e->ze_name_off = (uint32_t)z->zw_names_len;
	e->ze_name_len = (uint16_t)nl;
	memcpy(z->zw_names + z->zw_names_len, name, nl);
	z->zw_names_len += nl;
	e->ze_offset = (uint32_t)z->zw_off;
	e->ze_crc = e->ze_size = 0;
	p = put32(p, ZIP_SIG_LOCAL);
	p = put16(p, ZIP_VERSION);
	p = put16(p, ZIP_FLAGS);
	p = put16(p, 0);			/* stored */
	p = put16(p, z->zw_time);
	p = put16(p, z->zw_date);
	p = put32(p, 0);			/* crc, sizes: in the */
	p = put32(p, 0);			/* descriptor */
	p = put32(p, 0);
	p = put16(p, (uint32_t)nl);
	p = put16(p, 0);			/* no extra field */
	memcpy(p, name, nl);
	*len = ZIP_LOCAL_LEN + nl;
	z->zw_off += *len;
	z->zw_open = 1;
	return CB_OK;
}

int
zip_data(struct zip_writer *z, const void *data, size_t len)
{
	struct zip_entry *e;

	if (!z->zw_open)
		return CB_ESTATE;
	assert(z->zw_n >= 1);
	e = &z->zw_e[z->zw_n - 1];
	if ((uint64_t)e->ze_size + len > ZIP_LIMIT ||
	    z->zw_off + len + ZIP_DESC_LEN > ZIP_LIMIT)
		return CB_ETOOBIG;
	e->ze_crc = zip_crc32(e->ze_crc, data, len);
	e->ze_size += (uint32_t)len;
	z->zw_off += len;
	return CB_OK;
}

int
zip_end(struct zip_writer *z, uint8_t *out, size_t *len)
{
	struct zip_entry *e;
	uint8_t *p = out;

	if (!z->zw_open)
		return CB_ESTATE;
	assert(z->zw_n >= 1);
	e = &z->zw_e[z->zw_n - 1];
	p = put32(p, ZIP_SIG_DESC);
	p = put32(p, e->ze_crc);
	p = put32(p, e->ze_size);		/* compressed = stored */
	(void)put32(p, e->ze_size);
	*len = ZIP_DESC_LEN;
	z->zw_off += ZIP_DESC_LEN;
	z->zw_open = 0;
	return CB_OK;
}

int
zip_central(struct zip_writer *z, size_t i, uint8_t *out, size_t *len)
{
	const struct zip_entry *e;
	uint8_t *p = out;

	if (z->zw_open || i != z->zw_central || i >= z->zw_n)
		return CB_ESTATE;
	e = &z->zw_e[i];
	if (i == 0)
		z->zw_cd_off = z->zw_off;
	if (z->zw_off + ZIP_CENTRAL_LEN + e->ze_name_len + ZIP_END_LEN >
	    ZIP_LIMIT)
		return CB_ETOOBIG;
	p = put32(p, ZIP_SIG_CENTRAL);
	p = put16(p, 0x0300 | ZIP_VERSION);	/* made by: unix */
	p = put16(p, ZIP_VERSION);
	p = put16(p, ZIP_FLAGS);
	p = put16(p, 0);
	p = put16(p, z->zw_time);
	p = put16(p, z->zw_date);
	p = put32(p, e->ze_crc);
	p = put32(p, e->ze_size);
	p = put32(p, e->ze_size);
	p = put16(p, e->ze_name_len);
	p = put16(p, 0);			/* extra */
	p = put16(p, 0);			/* comment */
	p = put16(p, 0);			/* disk */
	p = put16(p, 0);			/* internal attrs */
	p = put32(p, 0100644u << 16);		/* -rw-r--r-- */
	p = put32(p, e->ze_offset);
	memcpy(p, z->zw_names + e->ze_name_off, e->ze_name_len);
	*len = ZIP_CENTRAL_LEN + e->ze_name_len;
	z->zw_off += *len;
	z->zw_central++;
	return CB_OK;
}

int
zip_end_record(struct zip_writer *z, uint8_t *out, size_t *len)
{
	uint8_t *p = out;

	if (z->zw_open || z->zw_central != z->zw_n)
		return CB_ESTATE;
	if (z->zw_n == 0)
		z->zw_cd_off = z->zw_off;
	if (z->zw_off + ZIP_END_LEN > ZIP_LIMIT)
		return CB_ETOOBIG;
	p = put32(p, ZIP_SIG_END);
	p = put16(p, 0);
	p = put16(p, 0);
	p = put16(p, (uint32_t)z->zw_n);
	p = put16(p, (uint32_t)z->zw_n);
	p = put32(p, (uint32_t)(z->zw_off - z->zw_cd_off));
	p = put32(p, (uint32_t)z->zw_cd_off);
	(void)put16(p, 0);				/* comment */
	*len = ZIP_END_LEN;
	z->zw_off += ZIP_END_LEN;
	return CB_OK;
}

size_t
zip_finish_len(const struct zip_writer *z)
{
	size_t n = ZIP_END_LEN;

	for (size_t i = 0; i < z->zw_n; i++)
		n += ZIP_CENTRAL_LEN + z->zw_e[i].ze_name_len;
	return n;
}

int
zip_finish(struct zip_writer *z, uint8_t *out, size_t size, size_t *len)
{
	size_t need = zip_finish_len(z), n, o = 0;
	int rc = CB_OK;

	if (z->zw_open)
		return CB_ESTATE;
	if (size < need || z->zw_off + need > ZIP_LIMIT)
		return CB_ETOOBIG;
	for (size_t i = 0; i < z->zw_n && rc == CB_OK; i++, o += n)
		rc = zip_central(z, i, out + o, &n);
	if (rc == CB_OK && (rc = zip_end_record(z, out + o, &n)) == CB_OK)
		*len = o + n;
	return rc;
}

/* ---- reading ---- */

static int
zip_bad(char *why, size_t size, const char *what)
{
	if (size > 0)
		snprintf(why, size, "%s", what);
	return CB_EINVAL;
}

/* The end record: the last ZIP_END_LEN bytes, or before a comment that
 * runs to the end of the file. */
static int
zip_find_end(const uint8_t *b, size_t len, size_t *at)
{
	size_t lo, stop;

	if (len < ZIP_END_LEN)
		return CB_EINVAL;
	lo = len - ZIP_END_LEN;
	stop = lo > ZIP_COMMENT_MAX ? lo - ZIP_COMMENT_MAX : 0;
	for (size_t i = lo + 1; i-- > stop;)
		if (get32(b + i) == ZIP_SIG_END &&
		    i + ZIP_END_LEN + get16(b + i + 20) == len) {
			*at = i;
			return CB_OK;
		}
	return CB_EINVAL;
}

/* The central record at *o (before end) and its entry, checked; *o moves
 * past it; *low is where the next entry's data may start. */
static int
zip_read_central(const uint8_t *b, size_t cd, size_t end, size_t *o,
    size_t *low, struct zip_item *it, char *why, size_t size)
{
	const uint8_t *c = b + *o, *l;
	size_t nl, loff, data;

	if (end - *o < ZIP_CENTRAL_LEN || get32(c) != ZIP_SIG_CENTRAL)
		return zip_bad(why, size, "its central directory is damaged");
	nl = get16(c + 28);
	if (end - *o - ZIP_CENTRAL_LEN < nl + get16(c + 30) + get16(c + 32))
		return zip_bad(why, size, "its central directory is damaged");
	if (get16(c + 10) != 0 || (get16(c + 8) & 1) ||
	    get32(c + 20) != get32(c + 24))
		return zip_bad(why, size, "an entry is compressed or "
		    "encrypted: this is not the archive as the box wrote it "
		    "(check the unpacked folder instead)");
	loff = get32(c + 42);
	if (nl == 0 || memchr(c + ZIP_CENTRAL_LEN, 0, nl) != NULL ||
	    loff < *low || loff > cd || cd - loff < ZIP_LOCAL_LEN)
		return zip_bad(why, size, "an entry's name or place is wrong");
	l = b + loff;
	/* Bounds first: the header, its name and extra field before cd. */
	if (get32(l) != ZIP_SIG_LOCAL || get16(l + 8) != 0 ||
	    get16(l + 26) != nl ||
	    cd - loff - ZIP_LOCAL_LEN < nl + get16(l + 28) ||
	    memcmp(l + ZIP_LOCAL_LEN, c + ZIP_CENTRAL_LEN, nl) != 0)
		return zip_bad(why, size, "an entry's local header does not "
		    "match the central directory");
	data = loff + ZIP_LOCAL_LEN + nl + get16(l + 28);
	if (cd - data < get32(c + 24))
		return zip_bad(why, size, "an entry runs past the end of the "
		    "data (the file is cut off)");
	it->zi_name = (const char *)c + ZIP_CENTRAL_LEN;
	it->zi_name_len = nl;
	it->zi_data = b + data;
	it->zi_size = get32(c + 24);
	it->zi_crc_ok = zip_crc32(0, it->zi_data, it->zi_size) ==
	    get32(c + 16);
	*low = data + it->zi_size;
	*o += ZIP_CENTRAL_LEN + nl + get16(c + 30) + get16(c + 32);
	return CB_OK;
}

int
zip_read(const uint8_t *buf, size_t len, zip_item_fn *fn, void *arg,
    char *why, size_t why_size)
{
	const uint8_t *e;
	size_t end, cd, n, o, low = 0;
	struct zip_item it;
	int rc;

	if (zip_find_end(buf, len, &end) != CB_OK)
		return zip_bad(why, why_size, "no ZIP end record: not a ZIP "
		    "archive, or cut off (an unfinished download)");
	e = buf + end;
	n = get16(e + 10);
	cd = get32(e + 16);
	if (get16(e + 4) != 0 || get16(e + 6) != 0 || get16(e + 8) != n)
		return zip_bad(why, why_size, "a multi-disk archive");
	if (cd > end || get32(e + 12) != end - cd)
		return zip_bad(why, why_size, "its central directory is not "
		    "where its end record says (the file is cut or joined)");
	o = cd;
	for (size_t i = 0; i < n; i++) {
		if ((rc = zip_read_central(buf, cd, end, &o, &low, &it, why,
		    why_size)) != CB_OK || (rc = fn(arg, &it)) != 0)
			return rc;
	}
	if (o != end)
		return zip_bad(why, why_size, "its central directory holds more "
		    "than its end record counts");
	return CB_OK;
}
