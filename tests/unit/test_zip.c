/*
 * test_zip.c: the stored-entry ZIP writer: CRC-32 check value, a small
 * archive's layout, and the refusals (entry open, too many entries, a name
 * too long); thousands of entries, the directory a record at a time; the
 * reader on what the writer wrote, changed, cut and compressed. tests/integration/export.sh has Debian's unzip read a real one.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "base/cb.h"
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

struct seen {
	int n, crc_bad;
	char names[4][32];
	uint8_t data[4][32];
	size_t sizes[4];
};

static int
see(void *arg, const struct zip_item *it)
{
	struct seen *s = arg;

	if (s->n == 4 || it->zi_name_len >= 32 || it->zi_size > 32)
		return -1;
	memcpy(s->names[s->n], it->zi_name, it->zi_name_len);
	s->names[s->n][it->zi_name_len] = '\0';
	memcpy(s->data[s->n], it->zi_data, it->zi_size);
	s->sizes[s->n++] = it->zi_size;
	s->crc_bad += !it->zi_crc_ok;
	return 0;
}

/* Two entries written with the writer, into out; their length. */
static size_t
two_entries(uint8_t *out)
{
	static struct zip_writer z;
	size_t n, o = 0;

	zip_init(&z, 1775001600);
	zip_begin(&z, "logs/ops.jsonl", out + o, &n), o += n;
	memcpy(out + o, "line1\n", 6), zip_data(&z, out + o, 6), o += 6;
	zip_end(&z, out + o, &n), o += n;
	zip_begin(&z, "files/file_x/課題.pdf", out + o, &n), o += n;
	zip_end(&z, out + o, &n), o += n;	/* empty */
	T_EQ_INT(zip_finish(&z, out + o, 4096, &n), 0);
	zip_free(&z);
	return o + n;
}

T_TEST(the_reader_reads_what_the_writer_wrote)
{
	uint8_t out[4096];
	struct seen s;
	char why[200];
	size_t len = two_entries(out);

	memset(&s, 0, sizeof(s));
	T_EQ_INT(zip_read(out, len, see, &s, why, sizeof(why)), 0);
	T_EQ_INT(s.n, 2);
	T_EQ_STR(s.names[0], "logs/ops.jsonl");
	T_EQ_STR(s.names[1], "files/file_x/課題.pdf");
	T_EQ_INT(s.sizes[0], 6);
	T_EQ_INT(memcmp(s.data[0], "line1\n", 6), 0);
	T_EQ_INT(s.sizes[1], 0);
	T_EQ_INT(s.crc_bad, 0);
	/* A byte changed in the data: handed over, its CRC flagged. */
	out[30 + 14] = 'L';
	memset(&s, 0, sizeof(s));
	T_EQ_INT(zip_read(out, len, see, &s, why, sizeof(why)), 0);
	T_EQ_INT(s.crc_bad, 1);
	out[30 + 14] = 'l';
	/* Cut anywhere: refused, with a reason. */
	for (size_t cut = 0; cut < len; cut += 7) {
		why[0] = '\0';
		memset(&s, 0, sizeof(s));
		T_EQ_INT(zip_read(out, cut, see, &s, why, sizeof(why)),
		    CB_EINVAL);
		T_ASSERT(why[0] != '\0');
	}
	/* Compressed (method 8 in the central record): refused. */
	out[len - 22 - (46 + 23) - (46 + 14) + 10] = 8;
	T_EQ_INT(zip_read(out, len, see, &s, why, sizeof(why)), CB_EINVAL);
	T_ASSERT(strstr(why, "compressed") != NULL);
}

T_TEST(many_entries_cost_bytes_each)
{
	static struct zip_writer z;
	uint8_t h[ZIP_LOCAL_MAX], d[ZIP_DESC_LEN], c[ZIP_CENTRAL_MAX];
	char name[64];
	size_t n, total = 0;

	zip_init(&z, 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "files/file_%d/w.pdf", i);
		T_EQ_INT(zip_begin(&z, name, h, &n), 0);
		T_EQ_INT(zip_end(&z, d, &n), 0);
	}
	T_ASSERT(z.zw_names_cap < 5000 * 32);
	T_EQ_INT(zip_central(&z, 1, c, &n), CB_ESTATE);	/* in order */
	for (size_t i = 0; i < z.zw_n; i++) {
		T_EQ_INT(zip_central(&z, i, c, &n), 0);
		total += n;
	}
	T_EQ_INT(zip_begin(&z, "late", h, &n), CB_ESTATE);
	T_EQ_INT(zip_end_record(&z, c, &n), 0);
	T_EQ_INT(c[10] | c[11] << 8, 5000);
	T_EQ_INT(le32(c + 12), total);
	zip_free(&z);
}

T_MAIN()
