/*
 * zip.c: stored-entry ZIP writer (zip.h). Little-endian fields throughout.
 */
#include <string.h>
#include <time.h>

#include "core/cb.h"
#include "core/zip.h"

#define ZIP_SIG_LOCAL	0x04034b50u
#define ZIP_SIG_DESC	0x08074b50u
#define ZIP_SIG_CENTRAL	0x02014b50u
#define ZIP_SIG_END	0x06054b50u
#define ZIP_VERSION	20		/* 2.0: stored, descriptors */
#define ZIP_FLAGS	0x0808		/* bit 3 descriptor, bit 11 UTF-8 */
#define ZIP_CENTRAL_LEN	46
#define ZIP_END_LEN	22

uint32_t
zip_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
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

int
zip_begin(struct zip_writer *z, const char *name, uint8_t *out, size_t *len)
{
	struct zip_entry *e;
	size_t nl = strlen(name);
	uint8_t *p = out;

	if (z->zw_open)
		return CB_ESTATE;
	if (z->zw_n == ZIP_MAX_ENTRIES || nl == 0 || nl > ZIP_NAME_MAX ||
	    z->zw_off + 30 + nl > ZIP_LIMIT)
		return CB_ETOOBIG;
	e = &z->zw_e[z->zw_n++];
	memcpy(e->ze_name, name, nl + 1);
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
	*len = 30 + nl;
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
	e = &z->zw_e[z->zw_n - 1];	/* open: zw_n >= 1 */
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
	e = &z->zw_e[z->zw_n - 1];	/* open: zw_n >= 1 */
	p = put32(p, ZIP_SIG_DESC);
	p = put32(p, e->ze_crc);
	p = put32(p, e->ze_size);		/* compressed = stored */
	(void)put32(p, e->ze_size);
	*len = ZIP_DESC_LEN;
	z->zw_off += ZIP_DESC_LEN;
	z->zw_open = 0;
	return CB_OK;
}

size_t
zip_finish_len(const struct zip_writer *z)
{
	size_t n = ZIP_END_LEN;

	for (size_t i = 0; i < z->zw_n; i++)
		n += ZIP_CENTRAL_LEN + strlen(z->zw_e[i].ze_name);
	return n;
}

int
zip_finish(struct zip_writer *z, uint8_t *out, size_t size, size_t *len)
{
	size_t need = zip_finish_len(z), nl;
	uint64_t cd_off = z->zw_off;
	uint8_t *p = out;

	if (z->zw_open)
		return CB_ESTATE;
	if (size < need)
		return CB_ETOOBIG;
	if (z->zw_off + need > ZIP_LIMIT)
		return CB_ETOOBIG;
	for (size_t i = 0; i < z->zw_n; i++) {
		const struct zip_entry *e = &z->zw_e[i];

		nl = strlen(e->ze_name);
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
		p = put16(p, (uint32_t)nl);
		p = put16(p, 0);			/* extra */
		p = put16(p, 0);			/* comment */
		p = put16(p, 0);			/* disk */
		p = put16(p, 0);			/* internal attrs */
		p = put32(p, 0100644u << 16);		/* -rw-r--r-- */
		p = put32(p, e->ze_offset);
		memcpy(p, e->ze_name, nl);
		p += nl;
	}
	p = put32(p, ZIP_SIG_END);
	p = put16(p, 0);
	p = put16(p, 0);
	p = put16(p, (uint32_t)z->zw_n);
	p = put16(p, (uint32_t)z->zw_n);
	p = put32(p, (uint32_t)(need - ZIP_END_LEN));
	p = put32(p, (uint32_t)cd_off);
	(void)put16(p, 0);				/* comment */
	*len = need;
	z->zw_off += need;
	return CB_OK;
}
