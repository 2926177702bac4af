/*
 * audit.c: `classbox audit` (verify and read the login and operation
 * logs) and `classbox time` (how far the box trusts its clock). Both are
 * for technicians and auditors on the console; they run as root or as the
 * owner of the log directories.
 *
 *   classbox audit verify [--dir DIR]             both logs; exit 1 on a break
 *   classbox audit verify --export FILE           an export's logs, offline
 *       (audit/export_verify.c); exit 1 altered, 2 not checkable
 *   classbox audit tail [--dir DIR] [--log login|ops] [-n N]
 *   classbox audit append-test --dir DIR --log login|ops N
 *       tests only: appends N synthetic entries (actor "test", action
 *       "audit.append-test") so tests/integration/audit.sh can check a real
 *       log; they are chained like any entry and can never hide one.
 *   classbox time [--dir DIR]                     state, error bound, floor
 *   classbox time --kernel-synced ERROR_MS        root: tell the kernel the
 *       clock is synchronised (the image's ntpd hook, rootfs/etc/sv/ntpd)
 *   classbox time --step SECONDS                  root: step the clock by
 *       SECONDS (that hook, at the first sync)
 *   classbox time --https-date [--dir DIR] [--hint FILE]   root: set the
 *       clock from sync's HTTPS Date hint when NTP is silent (ntpd/run)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit/audit.h"
#include "audit/export_log.h"
#include "clock/clock.h"
#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "base/proc.h"

#define AUDIT_DEFAULT_DIR	CB_DEFAULT_DATA "/audit"
#define AUDIT_TAIL_DEFAULT	20
#define AUDIT_TEST_MAX		1000000	/* append-test entries per run */
#define AUDIT_PATH_MAX		4096
#define TIME_HINT_DEFAULT	CB_DEFAULT_DATA "/sync/" CLOCK_HINT_FILE
/* `classbox time --https-date` exit statuses besides 0 (stepped), 1 and 2 */
#define TIME_EXIT_AGREES	3	/* nothing to do */
#define TIME_EXIT_REFUSED	4	/* a bound said no, or no usable hint */

static const char *const audit_logs[] = { AUDIT_LOG_LOGIN, AUDIT_LOG_OPS };

static int
audit_usage(void)
{
	fprintf(stderr,
	    "usage: classbox audit verify [--dir DIR]\n"
	    "       classbox audit verify --export FILE|FOLDER   an admins' "
	    "export,\n         on any machine (docs/audit.md)\n"
	    "       classbox audit tail [--dir DIR] [--log login|ops] [-n N]\n"
	    "       classbox audit purge [--dir DIR] [--log login|ops]   entries "
	    "older\n         than 5 years that the cloud has (the sync's upload "
	    "marker)\n"
	    "       classbox audit append-test --dir DIR --log login|ops N"
	    "   (tests only)\n"
	    "DIR defaults to " AUDIT_DEFAULT_DIR "; it holds login/ and ops/\n");
	return 2;
}

/* 12345 -> "12,345" */
static const char *
audit_thousands(uint64_t v, char *buf, size_t size)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v), o = 0;

	for (int i = 0; i < n && o + 2 < (int)size; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static void
audit_fmt_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		(void)snprintf(buf, size, "%" PRId64 "ms", ms);
	else
		(void)snprintf(buf + strlen(buf), size - strlen(buf),
		    ".%03dZ", (int)(ms % 1000));
}

/* Open one log of dir for reading; says why not. */
static int
audit_open_log(const char *dir, const char *name, struct audit_log **lp)
{
	char path[AUDIT_PATH_MAX], mdb[AUDIT_PATH_MAX];
	struct stat sb;

	if (cb_path_join(path, sizeof(path), dir, name) != 0 ||
	    cb_path_join(mdb, sizeof(mdb), path, "data.mdb") != 0)
		return CB_ETOOBIG;
	if (stat(mdb, &sb) != 0) {
		printf("%s log: missing (no %s)\n", name, mdb);
		return CB_ENOTFOUND;
	}
	if (audit_open(lp, path, name, NULL, NULL) != 0) {
		printf("%s log: cannot be opened (see the message above)\n",
		    name);
		return CB_EIO;
	}
	return CB_OK;
}

static int
audit_verify_one(const char *dir, const char *name)
{
	struct audit_verify_result r;
	struct audit_log *log;
	char num[32];
	int rc;

	if (audit_open_log(dir, name, &log) != 0)
		return 1;
	rc = audit_verify(log, &r);
	audit_close(log);
	if (rc != 0) {
		printf("%s log: cannot be verified: %s\n", name,
		    cb_strerror(rc));
		return 1;
	}
	if (r.av_problem == AUDIT_INTACT) {
		printf("%s log: %s entries, chain intact\n", name,
		    audit_thousands(r.av_entries, num, sizeof(num)));
		return 0;
	}
	printf("%s log: %s\n", name, r.av_what);
	return 1;
}

static void
audit_print_entry(const struct audit_entry *e)
{
	char t[40];

	audit_fmt_time(e->ae_time_ms, t, sizeof(t));
	printf("%" PRIu64 " %s %s+-%" PRIu32 "ms %s actor=%s action=%s "
	    "target=%s result=%s client=%s", e->ae_seq, t,
	    clock_state_name(e->ae_time_state), e->ae_error_ms,
	    audit_kind_name(e->ae_kind), e->ae_actor, e->ae_action,
	    e->ae_target[0] ? e->ae_target : "-", e->ae_result,
	    e->ae_client[0] ? e->ae_client : "-");
	if (e->ae_agent[0])
		printf(" agent=\"%s\"", e->ae_agent);
	printf("\n");
}

static int
audit_tail_one(const char *dir, const char *name, size_t count)
{
	static struct audit_entry page[AUDIT_QUERY_MAX_PAGE];
	struct audit_query q = { .aq_newest_first = 1, .aq_limit = count };
	struct audit_log *log;
	uint64_t next;
	size_t n;
	int rc;

	if (audit_open_log(dir, name, &log) != 0)
		return 1;
	rc = audit_query(log, &q, page, &n, &next);
	audit_close(log);
	if (rc != 0) {
		printf("%s log: cannot be read: %s (run `classbox audit "
		    "verify`)\n", name, cb_strerror(rc));
		return 1;
	}
	printf("== %s log, last %zu\n", name, n);
	while (n > 0)
		audit_print_entry(&page[--n]);
	return 0;
}

static int
audit_append_test(const char *dir, const char *name, long n)
{
	char path[AUDIT_PATH_MAX], floor[AUDIT_PATH_MAX];
	struct audit_record r = { AUDIT_KIND_OPERATION, "test",
	    "audit.append-test", "", "ok", "127.0.0.1", "" };
	struct audit_log *log;
	struct clock *clk;
	int rc;

	if (strcmp(name, AUDIT_LOG_LOGIN) == 0)
		r.ar_kind = AUDIT_KIND_LOGIN;
	if (cb_path_join(path, sizeof(path), dir, name) != 0 ||
	    cb_path_join(floor, sizeof(floor), path, CLOCK_FLOOR_FILE) != 0 ||
	    cb_make_dir(dir, 0700, (uid_t)-1, (gid_t)-1) != 0 ||
	    cb_make_dir(path, 0700, (uid_t)-1, (gid_t)-1) != 0)
		return 1;
	if ((rc = clock_open(&clk, floor, NULL, 0)) != 0)
		return 1;
	if ((rc = audit_open(&log, path, name, clk, NULL)) == 0) {
		for (long i = 0; i < n && rc == 0; i++)
			rc = audit_append(log, &r, NULL);
		audit_close(log);
	}
	clock_close(clk);
	if (rc != 0)
		fprintf(stderr, "audit: append-test: %s\n", cb_strerror(rc));
	return rc != 0;
}

/* The retention job: purge through the upload marker (docs/operations.md).
 * The clock is read-only here: root must not take over the floor file of
 * the log's owner; the purge itself refuses an unsynced clock. */
static int
audit_purge_one(const char *dir, const char *name)
{
	char path[AUDIT_PATH_MAX], floor[AUDIT_PATH_MAX];
	struct audit_log *log;
	struct clock *clk;
	uint64_t up = 0, n = 0;
	int rc;

	if (cb_path_join(path, sizeof(path), dir, name) != 0 ||
	    cb_path_join(floor, sizeof(floor), path, CLOCK_FLOOR_FILE) != 0 ||
	    clock_open(&clk, floor, NULL, CLOCK_READONLY) != 0)
		return 1;
	if ((rc = audit_open(&log, path, name, clk, NULL)) == 0) {
		if ((rc = audit_uploaded(log, &up)) == 0)
			rc = audit_purge_uploaded(log, INT64_MAX, &n);
		audit_close(log);
	}
	clock_close(clk);
	if (rc != 0) {
		printf("%s log: not purged: %s%s\n", name, cb_strerror(rc),
		    rc == CB_ESTATE ? " (the clock is not synced, or the "
		    "chain is broken: run `classbox audit verify`)" : "");
		return 1;
	}
	printf("%s log: %" PRIu64 " entries purged (the cloud has entries "
	    "through %" PRIu64 ")\n", name, n, up);
	return 0;
}

static int
audit_is_log(const char *name)
{
	return strcmp(name, AUDIT_LOG_LOGIN) == 0 ||
	    strcmp(name, AUDIT_LOG_OPS) == 0;
}

int
cmd_audit(int argc, char **argv)
{
	const char *dir = AUDIT_DEFAULT_DIR, *only = NULL, *sub, *xp = NULL;
	long count = -1;
	int bad = 0, i;

	if (argc < 2)
		return audit_usage();
	sub = argv[1];
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc &&
		    audit_is_log(argv[i + 1]))
			only = argv[++i];
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			count = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--export") == 0 && i + 1 < argc &&
		    strcmp(sub, "verify") == 0)
			xp = argv[++i];
		else if (argv[i][0] >= '0' && argv[i][0] <= '9' && count < 0)
			count = strtol(argv[i], NULL, 10);
		else
			return audit_usage();
	}
	cb_log_init("audit");
	if (xp != NULL)		/* an export, on any machine: no box needed */
		return audit_export_verify_main(xp);
	if (strcmp(sub, "append-test") == 0) {
		if (only == NULL || count <= 0 || count > AUDIT_TEST_MAX)
			return audit_usage();
		return audit_append_test(dir, only, count);
	}
	if (strcmp(sub, "purge") == 0) {
		for (size_t l = 0; l < CB_ARRAY_LEN(audit_logs); l++)
			if (only == NULL || strcmp(only, audit_logs[l]) == 0)
				bad |= audit_purge_one(dir, audit_logs[l]);
		return bad;
	}
	if (strcmp(sub, "verify") != 0 && strcmp(sub, "tail") != 0)
		return audit_usage();
	if (count <= 0 || count > AUDIT_QUERY_MAX_PAGE)
		count = AUDIT_TAIL_DEFAULT;
	for (size_t l = 0; l < CB_ARRAY_LEN(audit_logs); l++) {
		if (only != NULL && strcmp(only, audit_logs[l]) != 0)
			continue;
		bad |= sub[0] == 'v' ? audit_verify_one(dir, audit_logs[l]) :
		    audit_tail_one(dir, audit_logs[l], (size_t)count);
	}
	return bad;
}

/* ---- classbox time ---- */

static void
time_print(const char *floor_path, const struct clock_status *st)
{
	char now[40], real[40], fl[40], sy[40];

	audit_fmt_time(st->cs_now.st_ms, now, sizeof(now));
	audit_fmt_time(st->cs_real_ms, real, sizeof(real));
	audit_fmt_time(st->cs_floor_ms, fl, sizeof(fl));
	audit_fmt_time(st->cs_synced_at_ms, sy, sizeof(sy));
	printf("state: %s\n", clock_state_name(st->cs_now.st_state));
	printf("error bound: %" PRIu32 " ms\n", st->cs_now.st_error_ms);
	printf("time: %s\n", now);
	printf("kernel clock: %s (%s, maxerror %" PRId64 " us, esterror %"
	    PRId64 " us, status 0x%04x)\n", real, st->cs_kernel_synced ?
	    "synchronised" : "not synchronised", st->cs_maxerror_us,
	    st->cs_esterror_us, (unsigned)st->cs_kernel_status);
	printf("floor: %s (%s)\n", st->cs_floor_ms > 0 ? fl : "none",
	    floor_path);
	if (st->cs_floor_ms > st->cs_real_ms)
		printf("  the floor is %" PRId64 " ms ahead of the kernel clock: "
		    "stamps hold at the floor until it catches up\n",
		    st->cs_floor_ms - st->cs_real_ms);
	printf("last synced: %s\n", st->cs_synced_at_ms > 0 ? sy : "never");
}

/* `classbox time --kernel-synced ERROR_MS`: the ntpd hook's call (see
 * clock_kernel_mark_synced and rootfs/etc/sv/ntpd/event). */
static int
time_kernel_synced(const char *arg)
{
	char *end;
	unsigned long ms;
	int rc;

	errno = 0;
	ms = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' ||
	    ms > CLOCK_KERNEL_ERROR_MAX_MS) {
		fprintf(stderr, "time: ERROR_MS must be 0..%d\n",
		    CLOCK_KERNEL_ERROR_MAX_MS);
		return 2;
	}
	if ((rc = clock_kernel_mark_synced((uint32_t)ms)) != CB_OK) {
		fprintf(stderr, "time: cannot mark the kernel clock synchronised:"
		    " %s\n", rc == CB_EPERM ? "not allowed (run as root)" :
		    cb_strerror(rc));
		return 1;
	}
	return 0;
}

/* `classbox time --step SECONDS` (e.g. -0.265786): the ntpd hook's step
 * at the first sync (see clock_kernel_step). */
static int
time_step(const char *arg)
{
	char *end;
	double sec;
	int rc;

	errno = 0;
	sec = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' ||
	    !(sec >= -CLOCK_STEP_MAX_US / 1e6 && sec <= CLOCK_STEP_MAX_US / 1e6)) {
		fprintf(stderr, "time: SECONDS must be within +-%g\n",
		    CLOCK_STEP_MAX_US / 1e6);
		return 2;
	}
	if ((rc = clock_kernel_step((int64_t)(sec * 1e6))) != CB_OK) {
		fprintf(stderr, "time: cannot step the clock: %s\n",
		    rc == CB_EPERM ? "not allowed (run as root)" :
		    cb_strerror(rc));
		return 1;
	}
	return 0;
}

/* The clock as the box's logs see it: each writer keeps its own floor;
 * the highest one is the box's. With hint (sync's HTTPS Date estimate, or
 * NULL) the state may be https-date, as the logs' own would. 0, or -1 when
 * the kernel cannot be read. */
static int
time_best(const char *dir, const char *hint, struct clock_status *best,
    char *best_path, size_t best_size)
{
	char path[AUDIT_PATH_MAX];
	struct clock_status st;
	struct clock *c;
	int have = 0;

	for (size_t l = 0; l < CB_ARRAY_LEN(audit_logs); l++) {
		if (snprintf(path, sizeof(path), "%s/%s/%s", dir, audit_logs[l],
		    CLOCK_FLOOR_FILE) >= (int)sizeof(path) ||
		    clock_open(&c, path, NULL, CLOCK_READONLY) != 0)
			continue;
		if (hint != NULL)
			(void)clock_set_hint(c, hint);
		if (clock_state(c, &st) == 0 && (!have ||
		    st.cs_floor_ms > best->cs_floor_ms)) {
			*best = st;
			have = 1;
			(void)cb_strlcpy(best_path, path, best_size);
		}
		clock_close(c);
	}
	return have ? 0 : -1;
}

/*
 * `classbox time --https-date`: when NTP is silent, step the kernel clock
 * to sync's HTTPS Date estimate within the bounds of clock_step_judge.
 * One line on stdout says what was done or why not (ntpd/run logs it).
 */
static int
time_https_date(int argc, char **argv)
{
	const char *dir = AUDIT_DEFAULT_DIR, *hint = TIME_HINT_DEFAULT;
	char path[AUDIT_PATH_MAX];
	struct clock_status st;
	struct clock_hint h;
	enum clock_step_verdict v;
	int64_t off;
	uint32_t err;
	int rc;

	for (int i = 2; i < argc; i += 2) {
		if (i + 1 < argc && strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else if (i + 1 < argc && strcmp(argv[i], "--hint") == 0)
			hint = argv[i + 1];
		else {
			fprintf(stderr, "usage: classbox time --https-date "
			    "[--dir AUDIT_DIR] [--hint FILE]\n");
			return 2;
		}
	}
	if (time_best(dir, NULL, &st, path, sizeof(path)) != 0) {
		fprintf(stderr, "time: cannot read the kernel clock\n");
		return 1;
	}
	rc = clock_hint_read(hint, &h);
	if (rc == CB_ENOTFOUND) {
		printf("no time from the cloud yet (%s: none; sync writes it "
		    "while it waits for the clock)\n", hint);
		return TIME_EXIT_REFUSED;
	}
	if (rc != CB_OK || !clock_hint_this_boot(&h)) {
		printf("the cloud's time in %s is %s: not used\n", hint,
		    rc != CB_OK ? "unreadable or malformed" :
		    "from an earlier boot");
		return TIME_EXIT_REFUSED;
	}
	v = clock_step_judge(&h, &st, clock_boot_ms(), &off, &err);
	if (v != CLOCK_STEP_GO) {
		printf("%s\n", clock_step_verdict_text(v));
		return v == CLOCK_STEP_AGREES ? TIME_EXIT_AGREES :
		    TIME_EXIT_REFUSED;
	}
	if ((rc = clock_kernel_jump(off)) != CB_OK) {
		fprintf(stderr, "time: cannot step the clock: %s\n",
		    rc == CB_EPERM ? "not allowed (run as root)" :
		    cb_strerror(rc));
		return 1;
	}
	printf("stepped the clock by %+.3f s to the cloud's authenticated "
	    "time (https-date, error bound %" PRIu32 " ms)\n", off / 1000.0,
	    err);
	return 0;
}

int
cmd_time(int argc, char **argv)
{
	const char *dir = AUDIT_DEFAULT_DIR;
	char best_path[AUDIT_PATH_MAX] = "", hint[AUDIT_PATH_MAX];
	struct clock_status best;
	int n;

	if (argc == 3 && strcmp(argv[1], "--dir") == 0)
		dir = argv[2];
	else if (argc == 3 && strcmp(argv[1], "--kernel-synced") == 0)
		return time_kernel_synced(argv[2]);
	else if (argc == 3 && strcmp(argv[1], "--step") == 0)
		return time_step(argv[2]);
	else if (argc >= 2 && strcmp(argv[1], "--https-date") == 0) {
		cb_log_init("time");
		return time_https_date(argc, argv);
	} else if (argc != 1) {
		fprintf(stderr, "usage: classbox time [--dir AUDIT_DIR]\n"
		    "       classbox time --kernel-synced ERROR_MS\n"
		    "       classbox time --step SECONDS\n"
		    "       classbox time --https-date [--dir AUDIT_DIR] "
		    "[--hint FILE]\n");
		return 2;
	}
	cb_log_init("time");
	/* DATA/audit's sibling DATA/sync holds sync's HTTPS Date estimate. */
	n = snprintf(hint, sizeof(hint), "%s/../sync/" CLOCK_HINT_FILE, dir);
	if (time_best(dir, n > 0 && n < (int)sizeof(hint) ? hint : NULL,
	    &best, best_path, sizeof(best_path)) != 0) {
		fprintf(stderr, "time: cannot read the kernel clock\n");
		return 1;
	}
	time_print(best_path, &best);
	return 0;
}
