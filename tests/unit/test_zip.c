/*
 * test_zip.c: the stored-entry ZIP writer: CRC-32 check value, a small
 * archive's layout, and the refusals (entry open, too many entries, a name
 * too long). tests/integration/export.sh has Debian's unzip read a real one.
 */
#include <stdint.h>
#include <string.h>

#include "t.h"
#include "core/cb.h"
#include "core/zip.h"

static uint32_t
le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

T_TEST(crc32_check_value)
{
	/* The CRC-32 of "123456789" is 0xCBF43926 (ISO 3309 check value);
	 * and it can be fed in pieces. */
	T_EQ_INT(zip_crc32(0, "123456789", 9), 0xCBF43926u);
	T_EQ_INT(zip_crc32(zip_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
	T_EQ_INT(zip_crc32(0, "", 0), 0);
}

T_TEST(one_entry_archive)
{
	static struct zip_writer z;
	uint8_t out[4096], *p = out;
	size_t n;

	zip_init(&z, 1775001600);	/* 2026-04-01 */
	T_EQ_INT(zip_begin(&z, "a.csv", p, &n), 0);
	T_EQ_INT(n, 35);
	T_EQ_INT(le32(p), 0x04034b50u);
	T_EQ_INT(p[6] | p[7] << 8, 0x0808);	/* descriptor, UTF-8 */
	p += n;
	T_EQ_INT(zip_begin(&z, "b.csv", p, &n), CB_ESTATE);
	memcpy(p, "123456789", 9);
	T_EQ_INT(zip_data(&z, p, 9), 0);
	p += 9;
	T_EQ_INT(zip_end(&z, p, &n), 0);
	T_EQ_INT(le32(p), 0x08074b50u);
	T_EQ_INT(le32(p + 4), 0xCBF43926u);
	T_EQ_INT(le32(p + 8), 9);
	p += n;
	T_EQ_INT(zip_finish(&z, p, 10, &n), CB_ETOOBIG);
	T_EQ_INT(zip_finish(&z, p, sizeof(out) - (size_t)(p - out), &n), 0);
	T_EQ_INT(n, 46 + 5 + 22);
	T_EQ_INT(le32(p), 0x02014b50u);
	T_EQ_INT(le32(p + 16), 0xCBF43926u);
	T_EQ_INT(le32(p + 42), 0);		/* local header at 0 */
	T_EQ_INT(le32(p + 51), 0x06054b50u);
	T_EQ_INT(le32(p + 51 + 16), 35 + 9 + 16);	/* directory offset */
}

T_TEST(refusals)
{
	static struct zip_writer z;
	uint8_t h[ZIP_LOCAL_MAX + 8], d[ZIP_DESC_LEN];
	char name[ZIP_NAME_MAX + 2];
	size_t n;

	zip_init(&z, 0);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	T_EQ_INT(zip_begin(&z, name, h, &n), CB_ETOOBIG);
	T_EQ_INT(zip_data(&z, "x", 1), CB_ESTATE);
	for (int i = 0; i < ZIP_MAX_ENTRIES; i++) {
		T_EQ_INT(zip_begin(&z, "e", h, &n), 0);
		T_EQ_INT(zip_end(&z, d, &n), 0);
	}
	T_EQ_INT(zip_begin(&z, "e", h, &n), CB_ETOOBIG);
}

T_MAIN()
