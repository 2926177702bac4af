/*
 * clock.c: the box's time trust (see clock.h). The only file that calls
 * adjtimex.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "clock/clock.h"
#include "base/cb.h"
#include "base/file.h"

#define CLOCK_FILE_MAX		256	/* the floor file is one short text */
#define CLOCK_PATH_MAX		4096
#define CLOCK_STR_(x)		#x
#define CLOCK_STR(x)		CLOCK_STR_(x)

struct clock {
	struct clock_source c_src;
	char c_path[CLOCK_PATH_MAX];
	int c_flags;
	int64_t c_floor_ms;		/* highest stamp handed out */
	int64_t c_synced_at_ms;		/* last stamp taken while synced */
	uint32_t c_synced_error_ms;
	int64_t c_synced_mono_ms;	/* boot time of that stamp; -1 unknown */
	int64_t c_written_mono_ms;	/* last floor write; -1 never */
	int64_t c_written_floor_ms;	/* the floor that write carried */
	char c_hint_path[CLOCK_PATH_MAX];	/* "" : no HTTPS Date hint */
	char c_boot_id[CLOCK_BOOT_ID_LEN + 1];
	struct clock_hint c_hint;
	int c_hint_ok;			/* c_hint holds this boot's hint */
	int64_t c_hint_read_mono_ms;	/* last look at the file; -1 never */
};

static int
clock_kernel_read(void *ctx, struct clock_reading *out)
{
	struct timex tx;
	struct timespec ts;
	int st;

	(void)ctx;
	memset(&tx, 0, sizeof(tx));	/* modes 0: read only */
	if ((st = adjtimex(&tx)) < 0) {
		log_err("clock: adjtimex: %s", strerror(errno));
		return CB_EIO;
	}
	out->cr_state = st;
	out->cr_status = tx.status;
	out->cr_maxerror_us = tx.maxerror;
	out->cr_esterror_us = tx.esterror;
	clock_gettime(CLOCK_REALTIME, &ts);
	out->cr_wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	out->cr_mono_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return CB_OK;
}

const struct clock_source clock_source_kernel = { NULL, clock_kernel_read };

int
clock_kernel_mark_synced(uint32_t error_ms)
{
	struct timex tx;
	long rest_us;

	if (error_ms > CLOCK_KERNEL_ERROR_MAX_MS)
		return CB_EINVAL;
	memset(&tx, 0, sizeof(tx));
	if (adjtimex(&tx) < 0)
		return CB_EIO;
	rest_us = (tx.status & STA_NANO) ? tx.offset / 1000 : tx.offset;
	if (rest_us < 0)
		rest_us = -rest_us;
	if (rest_us > (long)CLOCK_KERNEL_ERROR_MAX_MS * 1000)
		rest_us = (long)CLOCK_KERNEL_ERROR_MAX_MS * 1000;
	/* ADJ_STATUS writes every status bit but the read-only ones: keep
	 * what ntpd set (STA_PLL, STA_FREQHOLD, leap bits). */
	tx.status &= ~STA_UNSYNC;
	tx.maxerror = (long)error_ms * 1000 + rest_us;
	tx.esterror = tx.maxerror;
	tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
	if (adjtimex(&tx) < 0)
		return errno == EPERM ? CB_EPERM : CB_EIO;
	return CB_OK;
}

static int
clock_kernel_setoffset(int64_t offset_us)
{
	struct timex tx;
	int64_t sec, usec;

	/* ADJ_SETOFFSET wants tv_usec in [0, 1e6), the sign in tv_sec. */
	sec = offset_us / 1000000;
	usec = offset_us % 1000000;
	if (usec < 0) {
		sec -= 1;
		usec += 1000000;
	}
	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_SETOFFSET;
	tx.time.tv_sec = (time_t)sec;
	tx.time.tv_usec = (suseconds_t)usec;
	if (adjtimex(&tx) < 0)
		return errno == EPERM ? CB_EPERM : CB_EIO;
	return CB_OK;
}

int
clock_kernel_step(int64_t offset_us)
{
	if (offset_us > CLOCK_STEP_MAX_US || offset_us < -CLOCK_STEP_MAX_US)
		return CB_EINVAL;
	return clock_kernel_setoffset(offset_us);
}

int
clock_kernel_jump(int64_t offset_ms)
{
	/* 2^53 us is 285 years: any offset between two plausible clocks. */
	if (offset_ms > (1LL << 53) / 1000 || offset_ms < -(1LL << 53) / 1000)
		return CB_EINVAL;
	return clock_kernel_setoffset(offset_ms * 1000);
}

const char *
clock_state_name(enum clock_state s)
{
	switch (s) {
	case CLOCK_SYNCED: return "synced";
	case CLOCK_HOLDOVER: return "holdover";
	case CLOCK_HTTPS_DATE: return "https-date";
	default: return "unsynced";
	}
}

/* The file: "classbox-clock 1\nfloor MS\nsynced MS ERROR_MS\n". A file that
 * does not parse is ignored with a warning (floor 0): refusing to start
 * would stop the box for a cosmetic fault, and the audit chain head keeps
 * the log's own times in order. */
static void
clock_load(struct clock *c)
{
	char buf[CLOCK_FILE_MAX];
	long long fl = 0, sa = 0, se = 0;
	ssize_t n;
	int fd;

	if ((fd = open(c->c_path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			log_warn("clock: cannot read %s: %s", c->c_path,
			    strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	if (sscanf(buf, "classbox-clock 1\nfloor %lld\nsynced %lld %lld",
	    &fl, &sa, &se) != 3 || fl < 0 || sa < 0 || se < 0 ||
	    se > UINT32_MAX) {
		log_warn("clock: %s is malformed; starting with no floor",
		    c->c_path);
		return;
	}
	c->c_floor_ms = fl;
	c->c_written_floor_ms = fl;
	c->c_synced_at_ms = sa;
	c->c_synced_error_ms = (uint32_t)se;
}

static int
clock_write(struct clock *c, int64_t mono_ms)
{
	char buf[CLOCK_FILE_MAX];
	int n, rc;

	if (c->c_flags & CLOCK_READONLY)
		return CB_OK;
	n = snprintf(buf, sizeof(buf),
	    "classbox-clock 1\nfloor %" PRId64 "\nsynced %" PRId64 " %" PRIu32
	    "\n", c->c_floor_ms, c->c_synced_at_ms, c->c_synced_error_ms);
	if (n < 0 || n >= (int)sizeof(buf))
		return CB_ETOOBIG;
	if ((rc = cb_write_file_atomic(c->c_path, buf, (size_t)n, 0600)) != 0)
		return rc;
	c->c_written_mono_ms = mono_ms;
	c->c_written_floor_ms = c->c_floor_ms;
	return CB_OK;
}

int
clock_open(struct clock **cp, const char *path,
    const struct clock_source *src, int flags)
{
	struct clock *c;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CB_ENOMEM;
	if (cb_strlcpy(c->c_path, path, sizeof(c->c_path)) != 0) {
		free(c);
		return CB_ETOOBIG;
	}
	c->c_src = src != NULL ? *src : clock_source_kernel;
	c->c_flags = flags;
	c->c_synced_mono_ms = -1;
	c->c_written_mono_ms = -1;
	c->c_written_floor_ms = -1;
	clock_load(c);
	*cp = c;
	return CB_OK;
}

int
clock_flush(struct clock *c)
{
	struct clock_reading r;
	int rc;

	if (c->c_floor_ms == c->c_written_floor_ms)
		return CB_OK;
	if ((rc = c->c_src.cs_read(c->c_src.cs_ctx, &r)) != 0)
		return rc;
	return clock_write(c, r.cr_mono_ms);
}

void
clock_close(struct clock *c)
{
	if (c == NULL)
		return;
	(void)clock_flush(c);
	free(c);
}

static uint32_t
clock_sat32(int64_t v)
{
	if (v < 0)
		return 0;
	return v > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Error bound grown since the last sync: CLOCK_DRIFT_PPM of the elapsed
 * time, rounded up. Elapsed is the larger of the wall and boot-time
 * distances, so a clock stepped backwards does not shrink it. */
static int64_t
clock_holdover_error(const struct clock *c, const struct clock_reading *r,
    int64_t stamp_ms, int64_t *elapsed_out)
{
	int64_t elapsed = stamp_ms - c->c_synced_at_ms;

	if (c->c_synced_mono_ms >= 0 &&
	    r->cr_mono_ms - c->c_synced_mono_ms > elapsed)
		elapsed = r->cr_mono_ms - c->c_synced_mono_ms;
	if (elapsed < 0)
		elapsed = 0;
	*elapsed_out = elapsed;
	return (int64_t)c->c_synced_error_ms +
	    (elapsed / 1000 * CLOCK_DRIFT_PPM + 999) / 1000;
}

/* ---- the HTTPS Date hint ---- */

int
clock_hint_make(int64_t date_ms, int64_t rtt_ms, int64_t boot_ms,
    struct clock_hint *out)
{
	memset(out, 0, sizeof(*out));
	if (date_ms <= 0 || rtt_ms < 0 || rtt_ms > CLOCK_HTTPS_DATE_MAX_RTT_MS)
		return CB_EINVAL;
	/* Real time at the answer: in [date, date + 1 s + rtt]. */
	out->ch_est_ms = date_ms + (1000 + rtt_ms) / 2;
	out->ch_boot_ms = boot_ms;
	out->ch_error_ms = (uint32_t)(CLOCK_HTTPS_DATE_BASE_ERROR_MS + rtt_ms);
	return CB_OK;
}

enum clock_state
clock_hint_judge(const struct clock_hint *h, int64_t wall_ms,
    int64_t boot_ms, uint32_t *error_out)
{
	int64_t age = boot_ms - h->ch_boot_ms, est, err, off;

	if (age < 0 || age > CLOCK_HOLDOVER_MAX_MS)
		return CLOCK_UNSYNCED;
	est = h->ch_est_ms + age;
	err = (int64_t)h->ch_error_ms +
	    (age * CLOCK_UNDISCIPLINED_PPM + 999999) / 1000000;
	off = wall_ms > est ? wall_ms - est : est - wall_ms;
	/* The stamp is within err of the estimate, which is within err of
	 * real time: the stamp's bound is their sum. */
	if (off > err || err + off > CLOCK_HTTPS_DATE_MAX_ERROR_MS)
		return CLOCK_UNSYNCED;
	*error_out = (uint32_t)(err + off);
	return CLOCK_HTTPS_DATE;
}

int64_t
clock_boot_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
clock_read_boot_id(char out[CLOCK_BOOT_ID_LEN + 1])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	out[0] = 0;
	if (f == NULL)
		return;
	if (fscanf(f, "%36[0-9a-f-]", out) != 1 ||
	    strlen(out) != CLOCK_BOOT_ID_LEN)
		out[0] = 0;
	fclose(f);
}

int
clock_hint_write(const char *path, struct clock_hint *h)
{
	char buf[CLOCK_FILE_MAX];
	int n;

	clock_read_boot_id(h->ch_boot_id);
	if (h->ch_boot_id[0] == 0)
		return CB_EIO;	/* without it a hint could outlive a reboot */
	n = snprintf(buf, sizeof(buf), "classbox-https-date 1\nboot %s\n"
	    "at %" PRId64 "\nestimate %" PRId64 "\nerror %" PRIu32 "\n",
	    h->ch_boot_id, h->ch_boot_ms, h->ch_est_ms, h->ch_error_ms);
	if (n < 0 || n >= (int)sizeof(buf))
		return CB_ETOOBIG;
	return cb_write_file_atomic(path, buf, (size_t)n, 0644);
}

int
clock_hint_parse(const char *in, size_t len, struct clock_hint *h)
{
	char buf[CLOCK_FILE_MAX];
	long long at, est, e;

	memset(h, 0, sizeof(*h));
	if (len >= sizeof(buf) || memchr(in, 0, len) != NULL)
		return CB_EINVAL;
	memcpy(buf, in, len);
	buf[len] = 0;
	/* sscanf's %lld on an out-of-range number is undefined: at most
	 * 18 digits each (the times are ms, 13 digits until 2286). */
	if (sscanf(buf, "classbox-https-date 1\nboot %36[0-9a-f-]\n"
	    "at %18lld\nestimate %18lld\nerror %18lld\n", h->ch_boot_id, &at,
	    &est, &e) != 4 || strlen(h->ch_boot_id) != CLOCK_BOOT_ID_LEN ||
	    at < 0 || est <= 0 || e < 0 || e > CLOCK_HTTPS_DATE_MAX_ERROR_MS) {
		memset(h, 0, sizeof(*h));
		return CB_EINVAL;
	}
	h->ch_boot_ms = at;
	h->ch_est_ms = est;
	h->ch_error_ms = (uint32_t)e;
	return CB_OK;
}

int
clock_hint_read(const char *path, struct clock_hint *h)
{
	char buf[CLOCK_FILE_MAX];
	struct stat sb;
	ssize_t n;
	int fd;

	memset(h, 0, sizeof(*h));
	/* Root reads what sync wrote: a regular file only, never a link or
	 * a FIFO that would hold the reader. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) < 0)
		return errno == ENOENT ? CB_ENOTFOUND : CB_EIO;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return CB_EINVAL;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return CB_EIO;
	return clock_hint_parse(buf, (size_t)n, h);
}

int
clock_hint_this_boot(const struct clock_hint *h)
{
	char id[CLOCK_BOOT_ID_LEN + 1];

	clock_read_boot_id(id);
	return id[0] != 0 && strcmp(id, h->ch_boot_id) == 0;
}

/* ---- setting the clock from the hint (root) ---- */

enum clock_step_verdict
clock_step_judge(const struct clock_hint *h, const struct clock_status *st,
    int64_t boot_ms, int64_t *offset_ms, uint32_t *error_ms)
{
	int64_t age = boot_ms - h->ch_boot_ms, est, err, target, base;
	uint32_t unused;

	*offset_ms = 0;
	*error_ms = 0;
	if (st->cs_now.st_state == CLOCK_SYNCED ||
	    st->cs_now.st_state == CLOCK_HOLDOVER || st->cs_kernel_synced)
		return CLOCK_STEP_NTP;
	if (age < 0 || age > CLOCK_STEP_HINT_MAX_AGE_MS)
		return CLOCK_STEP_STALE;
	est = h->ch_est_ms + age;
	err = (int64_t)h->ch_error_ms +
	    (age * CLOCK_UNDISCIPLINED_PPM + 999999) / 1000000;
	*error_ms = (uint32_t)err;
	if (err > CLOCK_STEP_HINT_MAX_ERROR_MS)
		return CLOCK_STEP_ROUGH;
	if (st->cs_floor_ms > est + err)
		return CLOCK_STEP_FLOOR;
	if (clock_hint_judge(h, st->cs_real_ms, boot_ms, &unused) ==
	    CLOCK_HTTPS_DATE)
		return CLOCK_STEP_AGREES;
	target = est > st->cs_floor_ms ? est : st->cs_floor_ms;
	base = st->cs_real_ms > st->cs_floor_ms ? st->cs_real_ms :
	    st->cs_floor_ms;
	if (target - base > CLOCK_STEP_MAX_AHEAD_MS)
		return CLOCK_STEP_TOO_FAR;
	*offset_ms = target - st->cs_real_ms;
	return CLOCK_STEP_GO;
}

const char *
clock_step_verdict_text(enum clock_step_verdict v)
{
	switch (v) {
	case CLOCK_STEP_GO: return "";
	case CLOCK_STEP_AGREES: return "the clock agrees with the cloud's "
	    "time already";
	case CLOCK_STEP_NTP: return "NTP keeps the clock (synced or in "
	    "holdover): the cloud's time is not used";
	case CLOCK_STEP_STALE: return "the cloud's time is too old to set the "
	    "clock from (sync writes it while it waits for the clock)";
	case CLOCK_STEP_ROUGH: return "the cloud's time is too rough to set "
	    "the clock from (its error bound is too large)";
	case CLOCK_STEP_FLOOR: return "the cloud's time is before a time this "
	    "box has already handed out (the floor): not going back";
	case CLOCK_STEP_TOO_FAR: return "the cloud's time is more than "
	    CLOCK_STR(CLOCK_STEP_MAX_AHEAD_DAYS) " days ahead of both the clock and the floor: set the date by hand or "
	    "let NTP through";
	}
	return "?";
}

int
clock_set_hint(struct clock *c, const char *path)
{
	if (cb_strlcpy(c->c_hint_path, path, sizeof(c->c_hint_path)) != 0)
		return CB_ETOOBIG;
	clock_read_boot_id(c->c_boot_id);
	c->c_hint_read_mono_ms = -1;
	c->c_hint_ok = 0;
	return CB_OK;
}

/* A missing or malformed file, or one from another boot: no hint. */
static void
clock_hint_reload(struct clock *c, int64_t mono_ms)
{
	if (c->c_hint_path[0] == 0 || (c->c_hint_read_mono_ms >= 0 &&
	    mono_ms >= c->c_hint_read_mono_ms &&
	    mono_ms - c->c_hint_read_mono_ms < CLOCK_HINT_RELOAD_MS))
		return;
	c->c_hint_read_mono_ms = mono_ms;
	c->c_hint_ok = clock_hint_read(c->c_hint_path, &c->c_hint) == CB_OK &&
	    c->c_boot_id[0] != 0 &&
	    strcmp(c->c_hint.ch_boot_id, c->c_boot_id) == 0;
}

static void
clock_eval(struct clock *c, const struct clock_reading *r,
    struct clock_status *st)
{
	int64_t stamp = r->cr_wall_ms > c->c_floor_ms ? r->cr_wall_ms :
	    c->c_floor_ms;
	int64_t gap = stamp - r->cr_wall_ms;	/* how far the floor holds us */
	int64_t kerr = (r->cr_maxerror_us + 999) / 1000 + gap;
	int ksync = !(r->cr_status & STA_UNSYNC) && r->cr_state != TIME_ERROR;
	int64_t err, elapsed = 0;
	enum clock_state s = CLOCK_UNSYNCED;

	memset(st, 0, sizeof(*st));
	st->cs_floor_ms = c->c_floor_ms;
	st->cs_real_ms = r->cr_wall_ms;
	st->cs_kernel_synced = ksync;
	st->cs_maxerror_us = r->cr_maxerror_us;
	st->cs_esterror_us = r->cr_esterror_us;
	st->cs_kernel_status = r->cr_status;
	err = kerr;
	if (ksync && kerr < CLOCK_SYNCED_MAX_ERROR_MS) {
		s = CLOCK_SYNCED;
		c->c_synced_at_ms = stamp;
		c->c_synced_error_ms = clock_sat32(kerr);
		c->c_synced_mono_ms = r->cr_mono_ms;
	} else if (c->c_synced_at_ms > 0) {
		int64_t h = clock_holdover_error(c, r, stamp, &elapsed) + gap;

		if (!ksync || h < kerr)
			err = h;
		if (elapsed <= CLOCK_HOLDOVER_MAX_MS &&
		    err < CLOCK_HOLDOVER_MAX_ERROR_MS)
			s = CLOCK_HOLDOVER;
	}
	if (s == CLOCK_UNSYNCED && c->c_hint_ok) {
		uint32_t he;

		if (clock_hint_judge(&c->c_hint, stamp, r->cr_mono_ms, &he) ==
		    CLOCK_HTTPS_DATE) {
			s = CLOCK_HTTPS_DATE;
			err = he;
		}
	}
	st->cs_now.st_ms = stamp;
	st->cs_now.st_state = s;
	st->cs_now.st_error_ms = clock_sat32(err);
	st->cs_synced_at_ms = c->c_synced_at_ms;
	st->cs_synced_error_ms = c->c_synced_error_ms;
	c->c_floor_ms = stamp;
}

int
clock_state(struct clock *c, struct clock_status *out)
{
	struct clock_reading r;
	int rc;

	if ((rc = c->c_src.cs_read(c->c_src.cs_ctx, &r)) != 0)
		return rc;
	clock_hint_reload(c, r.cr_mono_ms);
	clock_eval(c, &r, out);
	if (c->c_written_mono_ms < 0 ||
	    r.cr_mono_ms - c->c_written_mono_ms >= CLOCK_FLOOR_WRITE_MS ||
	    r.cr_mono_ms < c->c_written_mono_ms) {
		/* A failed write is logged by cb_write_file_atomic; the stamp
		 * is still good, the floor is retried within a minute. */
		if (clock_write(c, r.cr_mono_ms) != 0)
			c->c_written_mono_ms = r.cr_mono_ms;
	}
	return CB_OK;
}

int
clock_stamp(struct clock *c, struct clock_stamp *out)
{
	struct clock_status st;
	int rc;

	if ((rc = clock_state(c, &st)) != 0)
		return rc;
	*out = st.cs_now;
	return CB_OK;
}

int
clock_now(struct clock *c, int64_t *ms_out)
{
	struct clock_stamp s;
	int rc;

	if ((rc = clock_stamp(c, &s)) != 0)
		return rc;
	*ms_out = s.st_ms;
	return CB_OK;
}
