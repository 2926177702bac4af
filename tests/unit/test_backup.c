/*
 * test_backup.c: the backup container (firmware/backup): a round trip of
 * several sections over many chunks, a truncated file, a flipped byte
 * anywhere, reordered chunks, a wrong key; the status file for web
 * (backup/bkstatus.c): a round trip, and what its reader refuses.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/backup.h"
#include "backup/bkstatus.h"
#include "base/cb.h"
#include "store/seal.h"
#include "t.h"

static char tdir[64];

static const char *
tmp_dir(void)
{
	if (tdir[0] == 0) {
		snprintf(tdir, sizeof(tdir), "/tmp/test_backup.XXXXXX");
		if (mkdtemp(tdir) == NULL)
			abort();
	}
	return tdir;
}

static void
path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmp_dir(), name);
}

static void
write_file(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, len, f) != len)
		abort();
	fclose(f);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void
keystore(struct keystore *ks, const char *name)
{
	char dir[128];

	path_of(dir, sizeof(dir), name);
	mkdir(dir, 0700);
	if (keystore_file_init(ks, dir) != 0 || ks->ks_load_kek(ks, 1) != 0)
		abort();
}

/* Two sections: 100,000 and 5,000 bytes, with 4 KiB chunks (26 chunks). */
static uint8_t data1[100000], data2[5000];

static void
make_backup(const char *name, struct keystore *ks)
{
	char p1[128], p2[128], out[128], err[BK_ERR_MAX];
	struct bk_src srcs[2];
	int fd;

	for (size_t i = 0; i < sizeof(data1); i++)
		data1[i] = (uint8_t)(i * 7 + i / 251);
	for (size_t i = 0; i < sizeof(data2); i++)
		data2[i] = (uint8_t)(i ^ 0x5a);
	path_of(p1, sizeof(p1), "s1");
	path_of(p2, sizeof(p2), "s2");
	write_file(p1, data1, sizeof(data1));
	write_file(p2, data2, sizeof(data2));
	srcs[0] = (struct bk_src){ "store", p1 };
	srcs[1] = (struct bk_src){ "audit/ops", p2 };
	path_of(out, sizeof(out), name);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_ASSERT(fd != -1);
	T_EQ_INT(bk_write(fd, ks, "box-42", 1767225600000LL, 4096, srcs, 2,
	    err), 0);
	close(fd);
}

static int
extract(const char *name, struct keystore *ks, const char *out_dir,
    char err[BK_ERR_MAX], size_t *n)
{
	struct bk_section secs[BK_MAX_ENVS];
	struct bk_header h;
	char p[128];

	path_of(p, sizeof(p), name);
	return bk_extract(p, ks, out_dir, &h, secs, n, err);
}

T_TEST(round_trip)
{
	struct bk_section secs[BK_MAX_ENVS];
	struct keystore ks;
	struct bk_header h;
	char p[128], out[128], err[BK_ERR_MAX], f[200];
	uint8_t *got;
	size_t n = 0, len;

	keystore(&ks, "keys");
	make_backup("b1", &ks);
	path_of(p, sizeof(p), "b1");
	path_of(out, sizeof(out), "out");
	T_EQ_INT(bk_extract(p, &ks, out, &h, secs, &n, err), 0);
	T_EQ_INT(n, 2);
	T_EQ_STR(h.bh_box_id, "box-42");
	T_EQ_INT(h.bh_created_ms, 1767225600000LL);
	T_EQ_STR(secs[0].bx_name, "store");
	T_EQ_INT(secs[0].bx_len, sizeof(data1));
	T_EQ_STR(secs[1].bx_name, "audit/ops");
	snprintf(f, sizeof(f), "%s/store/data.mdb", out);
	got = read_file(f, &len);
	T_ASSERT(got != NULL && len == sizeof(data1) &&
	    memcmp(got, data1, len) == 0);
	free(got);
	snprintf(f, sizeof(f), "%s/audit/ops/data.mdb", out);
	got = read_file(f, &len);
	T_ASSERT(got != NULL && len == sizeof(data2) &&
	    memcmp(got, data2, len) == 0);
	free(got);
	/* The plaintext does not appear in the file. */
	got = read_file(p, &len);
	T_ASSERT(got != NULL && memmem(got, len, data1 + 1000, 64) == NULL);
	free(got);
	/* Verify without writing anything. */
	T_EQ_INT(bk_extract(p, &ks, NULL, &h, secs, &n, err), 0);
	ks.ks_close(&ks);
}

T_TEST(truncation_anywhere_is_refused)
{
	struct keystore ks;
	char p[128], q[128], err[BK_ERR_MAX];
	uint8_t *b;
	size_t len, n, cuts[] = { 0, 10, 159, 160, 161, 200, 4096, 4300,
	    50000, 0, 1, 16, 17 };
	int bad = 0;

	keystore(&ks, "keys");
	make_backup("b2", &ks);
	path_of(p, sizeof(p), "b2");
	path_of(q, sizeof(q), "cut");
	b = read_file(p, &len);
	T_ASSERT(b != NULL);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		/* the last four: cut that many bytes off the end */
		size_t keep = i >= 9 ? len - cuts[i] - (i == 9 ? 1 : 0) :
		    cuts[i];

		write_file(q, b, keep);
		if (extract("cut", &ks, NULL, err, &n) == 0) {
			bad++;
			fprintf(stderr, "cut at %zu accepted\n", keep);
		}
	}
	T_EQ_INT(bad, 0);
	/* The message names the cause. */
	write_file(q, b, len - 30);
	T_ASSERT(extract("cut", &ks, NULL, err, &n) != 0);
	T_ASSERT(strstr(err, "truncated") != NULL ||
	    strstr(err, "cut") != NULL);
	/* And a file with bytes appended. */
	{
		uint8_t *b2 = malloc(len + 5);

		memcpy(b2, b, len);
		memset(b2 + len, 0, 5);
		write_file(q, b2, len + 5);
		T_ASSERT(extract("cut", &ks, NULL, err, &n) != 0);
		free(b2);
	}
	free(b);
	ks.ks_close(&ks);
}

T_TEST(flipped_byte_anywhere_is_refused)
{
	struct keystore ks;
	char p[128], q[128], err[BK_ERR_MAX];
	uint8_t *b;
	size_t len, n;
	int accepted = 0, tried = 0;

	keystore(&ks, "keys");
	make_backup("b3", &ks);
	path_of(p, sizeof(p), "b3");
	path_of(q, sizeof(q), "flip");
	b = read_file(p, &len);
	T_ASSERT(b != NULL);
	/* Every header byte but the reserved tail, then a stride through. */
	for (size_t off = 0; off < len; off += off < 149 ? 1 : 97) {
		b[off] ^= 0x01;
		write_file(q, b, len);
		if (extract("flip", &ks, NULL, err, &n) == 0) {
			accepted++;
			fprintf(stderr, "flip at %zu accepted\n", off);
		}
		b[off] ^= 0x01;
		tried++;
	}
	T_ASSERT(tried > 1000);
	T_EQ_INT(accepted, 0);
	free(b);
	ks.ks_close(&ks);
}

T_TEST(reordered_chunks_are_refused)
{
	struct keystore ks;
	char p[128], q[128], err[BK_ERR_MAX];
	size_t chunk = 1 + 4 + 12 + 4096 + 16, len, n;
	uint8_t *b, *tmp;

	keystore(&ks, "keys");
	make_backup("b4", &ks);
	path_of(p, sizeof(p), "b4");
	path_of(q, sizeof(q), "swap");
	b = read_file(p, &len);
	tmp = malloc(chunk);
	T_ASSERT(b != NULL && tmp != NULL && len > BK_HEADER_LEN + 3 * chunk);
	/* Swap chunks 1 and 2. */
	memcpy(tmp, b + BK_HEADER_LEN + chunk, chunk);
	memmove(b + BK_HEADER_LEN + chunk, b + BK_HEADER_LEN + 2 * chunk,
	    chunk);
	memcpy(b + BK_HEADER_LEN + 2 * chunk, tmp, chunk);
	write_file(q, b, len);
	T_ASSERT(extract("swap", &ks, NULL, err, &n) != 0);
	T_ASSERT(strstr(err, "chunk 1") != NULL);
	/* Drop chunk 1. */
	free(b);
	b = read_file(p, &len);
	memmove(b + BK_HEADER_LEN + chunk, b + BK_HEADER_LEN + 2 * chunk,
	    len - BK_HEADER_LEN - 2 * chunk);
	write_file(q, b, len - chunk);
	T_ASSERT(extract("swap", &ks, NULL, err, &n) != 0);
	free(tmp);
	free(b);
	ks.ks_close(&ks);
}

T_TEST(wrong_key_opens_nothing)
{
	struct keystore ks, other;
	char err[BK_ERR_MAX], out[128], f[200];
	size_t n;
	struct stat sb;

	keystore(&ks, "keys");
	keystore(&other, "otherkeys");
	make_backup("b5", &ks);
	path_of(out, sizeof(out), "out5");
	T_EQ_INT(extract("b5", &other, out, err, &n), CB_ECRYPTO);
	T_ASSERT(strstr(err, "key") != NULL);
	snprintf(f, sizeof(f), "%s/store/data.mdb", out);
	T_ASSERT(stat(f, &sb) != 0);
	ks.ks_close(&ks);
	other.ks_close(&other);
}

T_TEST(not_a_backup)
{
	struct keystore ks;
	char q[128], err[BK_ERR_MAX];
	uint8_t junk[400];
	size_t n;

	keystore(&ks, "keys");
	memset(junk, 'x', sizeof(junk));
	path_of(q, sizeof(q), "junk");
	write_file(q, junk, sizeof(junk));
	T_EQ_INT(extract("junk", &ks, NULL, err, &n), CB_EINVAL);
	T_ASSERT(strstr(err, "magic") != NULL);
	ks.ks_close(&ks);
}

T_TEST(end_marker_on_a_chunk_boundary)
{
	/* Sections whose total plaintext fills whole chunks exactly: the end
	 * marker then sits alone and an empty final chunk follows. */
	struct keystore ks;
	struct bk_src src;
	char p[128], out[128], err[BK_ERR_MAX];
	/* 1 + 5 + 8 + 32 + len + 1 (end) == 2 * 4096 */
	static uint8_t d[2 * 4096 - 47];
	size_t n;
	int fd;

	keystore(&ks, "keys");
	path_of(p, sizeof(p), "sb");
	write_file(p, d, sizeof(d));
	src = (struct bk_src){ "store", p };
	path_of(out, sizeof(out), "bb");
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_EQ_INT(bk_write(fd, &ks, "b", 1, 4096, &src, 1, err), 0);
	close(fd);
	T_EQ_INT(extract("bb", &ks, NULL, err, &n), 0);
	T_EQ_INT(n, 1);
	ks.ks_close(&ks);
}

T_TEST(status_file_round_trip)
{
	static struct bks_status s, r;
	char p[128], err[160];
	struct stat sb;

	memset(&s, 0, sizeof(s));
	cb_strlcpy(s.bs_target, "/data/backups", sizeof(s.bs_target));
	s.bs_keep = 14;
	s.bs_daily_at_min = bks_parse_hhmm("02:30");
	s.bs_next_ms = 1795717800000;
	s.bs_run_started_ms = 1795631400000;
	s.bs_run_finished_ms = 1795631400812;
	s.bs_run_ok = 0;
	cb_strlcpy(s.bs_run_stage, "write", sizeof(s.bs_run_stage));
	s.bs_ngen = 2;
	cb_strlcpy(s.bs_gen[0].bg_name, "classbox-20261125T173000.123Z.cbbak",
	    BKS_NAME_MAX);
	s.bs_gen[0].bg_created_ms = 1795631400123;
	s.bs_gen[0].bg_bytes = 115075;
	s.bs_gen[0].bg_verified = 1;
	cb_strlcpy(s.bs_gen[1].bg_name, "classbox-20261124T173000.001Z.cbbak",
	    BKS_NAME_MAX);
	path_of(p, sizeof(p), "status.json");
	T_EQ_INT(bks_write(p, &s), 0);
	T_ASSERT(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0644);
	T_EQ_INT(bks_read(p, &r, err, sizeof(err)), 0);
	T_EQ_STR(r.bs_target, "/data/backups");
	T_EQ_INT(r.bs_keep, 14);
	T_EQ_INT(r.bs_daily_at_min, 150);
	T_EQ_INT(r.bs_next_ms, 1795717800000);
	T_EQ_INT(r.bs_run_ok, 0);
	T_EQ_STR(r.bs_run_stage, "write");
	T_EQ_INT(r.bs_ngen, 2);
	T_EQ_STR(r.bs_gen[0].bg_name, s.bs_gen[0].bg_name);
	T_EQ_INT(r.bs_gen[0].bg_bytes, 115075);
	T_EQ_INT(r.bs_gen[0].bg_verified, 1);
	T_EQ_INT(r.bs_gen[1].bg_verified, 0);
	path_of(p, sizeof(p), "no-such-status.json");
	T_EQ_INT(bks_read(p, &r, err, sizeof(err)), CB_ENOTFOUND);
}

T_TEST(status_file_refusals)
{
	static struct bks_status r;
	static const char *bad[] = {
		"",
		"[]",
		"{\"version\":2,\"target\":\"/x\",\"keep\":1,\"generations\":[]}",
		"{\"version\":1,\"keep\":1,\"generations\":[]}",
		"{\"version\":1,\"target\":\"/x\",\"keep\":-1,\"generations\":[]}",
		"{\"version\":1,\"target\":\"/x\",\"keep\":1,\"daily_at\":\"24:00\","
		    "\"generations\":[]}",
		"{\"version\":1,\"target\":\"/x\",\"keep\":1,\"run\":{\"started_ms\":1,"
		    "\"ok\":true,\"stage\":\"rm -rf\"},\"generations\":[]}",
		"{\"version\":1,\"target\":\"/x\",\"keep\":1,\"generations\":"
		    "[{\"name\":\"../etc/passwd\",\"bytes\":1,\"verified\":true}]}",
		"{\"version\":1,\"target\":\"/x\",\"keep\":1,\"generations\":"
		    "[{\"name\":\"a\",\"bytes\":1,\"verified\":1}]}",
	};
	char err[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = 0;
		T_EQ_INT(bks_parse(bad[i], strlen(bad[i]), &r, err,
		    sizeof(err)), CB_EINVAL);
		T_ASSERT(strncmp(err, "backup status: ", 15) == 0);
	}
	T_EQ_INT(bks_parse_hhmm("23:59"), 23 * 60 + 59);
	T_EQ_INT(bks_parse_hhmm("2:30"), -1);
	T_EQ_INT(bks_parse_hhmm("12:60"), -1);
}

T_MAIN()
