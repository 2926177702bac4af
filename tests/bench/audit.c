/*
 * tests/bench/audit.c: the operation log's costs beside a flat file doing
 * the least the same job needs, in the same run (tests/bench/audit.sh).
 *
 *   audit DIR N_DURABLE N_SYNTH
 *
 * 1. durable appends: N_DURABLE entries, one durable commit each
 *    (audit_append) vs write(2) of the same sealed bytes + fsync each;
 * 2. 10 years of a large school: N_SYNTH entries in batches of
 *    AUDIT_BATCH_MAX (audit_append_batch, as web's group commit does under
 *    load), stamped evenly over 10 years by an injected clock, vs write of
 *    the same bytes + one fsync per batch;
 * 3. verify the whole chain (audit_verify: unseal, decode, hash every
 *    entry) vs reading the flat file and SHA-256-chaining the same bytes;
 * 4. purge the 5 years the cloud has (audit_set_uploaded + the retention
 *    purge) vs rewriting the flat file's younger half + fsync.
 * Prints "key value" lines; audit.sh makes the table.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "audit/audit.h"
#include "clock/clock.h"
#include "base/cb.h"
#include "store/seal.h"

#define YEAR_MS		(365LL * 24 * 3600 * 1000)
#define T_2016		1451606400000LL

struct fake { struct clock_reading r; };

static int
fake_read(void *ctx, struct clock_reading *out)
{
	*out = ((struct fake *)ctx)->r;
	return 0;
}

static void
fake_at(struct fake *f, int64_t wall)
{
	f->r = (struct clock_reading){ wall, f->r.cr_mono_ms + 1, TIME_OK,
	    STA_PLL, 5000, 1000 };
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A plausible entry of a large school's operation log: a teacher or
 * student id, an action, a record id, an address and a browser. */
static void
record(uint64_t i, struct audit_record *r, char *actor, char *target,
    char *client)
{
	static const char *const actions[] = { "attendance.read",
	    "attendance.create", "submission.read", "class_member.read",
	    "announcement_receipt.create", "guidance_note.read" };

	snprintf(actor, 16, "s%07" PRIu64, 2016000 + i % 1500);
	snprintf(target, 80, "attendance:2026-%02d-%02d:class:2026:%d-%d:"
	    "s%07" PRIu64 ":%d", (int)(i % 12) + 1, (int)(i % 28) + 1,
	    (int)(i % 3) + 1, (int)(i % 8) + 1, 2016000 + i % 1500,
	    (int)(i % 7));
	snprintf(client, 24, "192.168.%d.%d", (int)(i / 250 % 250),
	    (int)(i % 250));
	*r = (struct audit_record){ AUDIT_KIND_OPERATION, actor,
	    actions[i % 6], target, "ok", client,
	    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
	    "(KHTML, like Gecko) Chrome/131.0 Safari/537.36" };
}

/* The bytes one entry takes in a flat sealed log: its encoding plus the
 * seal's overhead (what the baseline writes). */
static size_t
entry_bytes(uint64_t i)
{
	struct audit_record r;
	struct audit_entry e;
	char a[16], t[80], c[24];
	uint8_t buf[AUDIT_ENCODED_MAX];

	record(i, &r, a, t, c);
	memset(&e, 0, sizeof(e));
	snprintf(e.ae_actor, sizeof(e.ae_actor), "%s", r.ar_actor);
	snprintf(e.ae_action, sizeof(e.ae_action), "%s", r.ar_action);
	snprintf(e.ae_target, sizeof(e.ae_target), "%s", r.ar_target);
	snprintf(e.ae_result, sizeof(e.ae_result), "%s", r.ar_result);
	snprintf(e.ae_client, sizeof(e.ae_client), "%s", r.ar_client);
	snprintf(e.ae_agent, sizeof(e.ae_agent), "%s", r.ar_agent);
	e.ae_kind = AUDIT_KIND_OPERATION;
	return audit_entry_encode(&e, buf) + SEAL_OVERHEAD;
}

static int
flat_write(const char *path, uint64_t n, uint64_t per_sync, uint64_t *bytes)
{
	static uint8_t buf[AUDIT_BATCH_MAX * (AUDIT_ENCODED_MAX + 32)];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t len = 0;

	if (fd < 0)
		return -1;
	*bytes = 0;
	for (uint64_t i = 0; i < n; i++) {
		size_t k = entry_bytes(i);

		memset(buf + len, (int)(i & 0xff), k);
		len += k;
		if ((i + 1) % per_sync == 0 || i + 1 == n) {
			if (write(fd, buf, len) != (ssize_t)len || fsync(fd))
				return close(fd), -1;
			*bytes += len;
			len = 0;
		}
	}
	return close(fd);
}

/* The least a chain check does: read every byte, SHA-256(prev || entry). */
static int
flat_verify(const char *path, uint64_t n)
{
	static uint8_t buf[1 << 20];
	uint8_t prev[32] = { 0 }, in[32 + AUDIT_ENCODED_MAX + 32];
	int fd = open(path, O_RDONLY);
	size_t have = 0, off = 0;

	if (fd < 0)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		size_t k = entry_bytes(i);

		if (have - off < k) {
			memmove(buf, buf + off, have - off);
			have -= off;
			off = 0;
			ssize_t r = read(fd, buf + have, sizeof(buf) - have);
			if (r <= 0)
				return close(fd), -1;
			have += (size_t)r;
		}
		memcpy(in, prev, 32);
		memcpy(in + 32, buf + off, k);
		mbedtls_sha256(in, 32 + k, prev, 0);
		off += k;
	}
	return close(fd);
}

/* Dropping the older half of a flat file: rewrite the younger half. */
static int
flat_purge(const char *path, const char *out, uint64_t bytes)
{
	static uint8_t buf[1 << 20];
	int in = open(path, O_RDONLY), o = open(out, O_WRONLY | O_CREAT |
	    O_TRUNC, 0600);
	ssize_t r;

	if (in < 0 || o < 0 || lseek(in, (off_t)(bytes / 2), SEEK_SET) < 0)
		return -1;
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (write(o, buf, (size_t)r) != r)
			return -1;
	if (fsync(o) != 0)
		return -1;
	close(in);
	return close(o);
}

static struct audit_log *
open_log(const char *dir, struct fake *f, struct clock **clk)
{
	char floor[512];
	struct clock_source src = { f, fake_read };
	struct audit_log *log;

	snprintf(floor, sizeof(floor), "%s.floor", dir);
	unlink(floor);
	if (clock_open(clk, floor, &src, 0) != 0 ||
	    audit_open(&log, dir, AUDIT_LOG_OPS, *clk, NULL) != 0) {
		fprintf(stderr, "cannot open %s\n", dir);
		exit(1);
	}
	return log;
}

static void
durable(const char *top, uint64_t n)
{
	char dir[400], flat[400];
	struct audit_record r;
	char a[16], t[80], c[24];
	struct fake f = { { 0 } };
	struct clock *clk;
	struct audit_log *log;
	uint64_t bytes;
	double t0, t1, t2;

	snprintf(dir, sizeof(dir), "%s/durable", top);
	snprintf(flat, sizeof(flat), "%s/durable.flat", top);
	fake_at(&f, T_2016);
	log = open_log(dir, &f, &clk);
	t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		record(i, &r, a, t, c);
		if (audit_append(log, &r, NULL) != 0)
			exit(1);
	}
	t1 = now_s();
	if (flat_write(flat, n, 1, &bytes) != 0)
		exit(1);
	t2 = now_s();
	printf("durable_entries %" PRIu64 "\n", n);
	printf("durable_log_per_s %.0f\n", n / (t1 - t0));
	printf("durable_flat_per_s %.0f\n", n / (t2 - t1));
	audit_close(log);
	clock_close(clk);
}

static void
synth(const char *top, uint64_t n)
{
	static struct audit_record recs[AUDIT_BATCH_MAX];
	static char a[AUDIT_BATCH_MAX][16], t[AUDIT_BATCH_MAX][80],
	    c[AUDIT_BATCH_MAX][24];
	char dir[400], flat[400], flat2[400], cmd[900];
	struct audit_verify_result vr;
	struct fake f = { { 0 } };
	struct clock *clk;
	struct audit_log *log;
	uint64_t bytes, purged, nb = (n + AUDIT_BATCH_MAX - 1) / AUDIT_BATCH_MAX;
	double t0, t1;

	snprintf(dir, sizeof(dir), "%s/synth", top);
	snprintf(flat, sizeof(flat), "%s/synth.flat", top);
	snprintf(flat2, sizeof(flat2), "%s/synth.flat2", top);
	fake_at(&f, T_2016);
	log = open_log(dir, &f, &clk);
	t0 = now_s();
	for (uint64_t b = 0, i = 0; b < nb; b++) {
		size_t k = 0;

		/* Ten years, evenly: the batch's time. */
		fake_at(&f, T_2016 + (int64_t)((double)b / nb * 10 * YEAR_MS));
		for (; k < AUDIT_BATCH_MAX && i < n; k++, i++)
			record(i, &recs[k], a[k], t[k], c[k]);
		if (audit_append_batch(log, recs, k, NULL) != 0) {
			fprintf(stderr, "append_batch failed at %" PRIu64 "\n",
			    i);
			exit(1);
		}
	}
	t1 = now_s();
	printf("synth_entries %" PRIu64 "\n", n);
	printf("synth_log_s %.2f\n", t1 - t0);
	t0 = now_s();
	if (flat_write(flat, n, AUDIT_BATCH_MAX, &bytes) != 0)
		exit(1);
	t1 = now_s();
	printf("synth_flat_s %.2f\n", t1 - t0);
	printf("synth_flat_bytes %" PRIu64 "\n", bytes);
	snprintf(cmd, sizeof(cmd), "du -sb %s | cut -f1 | sed "
	    "'s/^/synth_log_bytes /'", dir);
	fflush(stdout);
	if (system(cmd) != 0)
		exit(1);

	t0 = now_s();
	if (audit_verify(log, &vr) != 0 || vr.av_problem != AUDIT_INTACT ||
	    vr.av_entries != n) {
		fprintf(stderr, "verify: %s\n", vr.av_what);
		exit(1);
	}
	t1 = now_s();
	printf("verify_log_s %.2f\n", t1 - t0);
	t0 = now_s();
	if (flat_verify(flat, n) != 0)
		exit(1);
	t1 = now_s();
	printf("verify_flat_s %.2f\n", t1 - t0);

	/* Now: 10 years after the first entry; the cloud has everything. */
	fake_at(&f, T_2016 + 10 * YEAR_MS + 1000);
	if (audit_set_uploaded(log, n) != 0)
		exit(1);
	t0 = now_s();
	if (audit_purge_uploaded(log, INT64_MAX, &purged) != 0)
		exit(1);
	t1 = now_s();
	printf("purge_entries %" PRIu64 "\n", purged);
	printf("purge_log_s %.2f\n", t1 - t0);
	t0 = now_s();
	if (flat_purge(flat, flat2, bytes) != 0)
		exit(1);
	t1 = now_s();
	printf("purge_flat_s %.2f\n", t1 - t0);
	t0 = now_s();
	if (audit_verify(log, &vr) != 0 || vr.av_problem != AUDIT_INTACT)
		exit(1);
	t1 = now_s();
	printf("verify_after_purge_s %.2f\n", t1 - t0);
	audit_close(log);
	clock_close(clk);
}

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: audit DIR N_DURABLE N_SYNTH\n");
		return 2;
	}
	cb_log_init("bench");
	durable(argv[1], strtoull(argv[2], NULL, 10));
	synth(argv[1], strtoull(argv[3], NULL, 10));
	return 0;
}
