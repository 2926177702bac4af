/*
 * clock.h: how far the box can trust its wall clock, and timestamps that
 * never go backwards.
 *
 * BusyBox ntpd disciplines the kernel clock; this module reads the kernel's
 * discipline state (adjtimex) and names one of three states:
 *
 *   synced    the kernel says synchronised (STA_UNSYNC clear, state not
 *             TIME_ERROR) and its maxerror is below CLOCK_SYNCED_MAX_ERROR_MS;
 *   holdover  not synced now, but synced within CLOCK_HOLDOVER_MAX_MS and the
 *             error bound, grown by CLOCK_DRIFT_PPM since that sync, is still
 *             below CLOCK_HOLDOVER_MAX_ERROR_MS;
 *   unsynced  anything else (never synced, too long ago, error too large).
 *
 * The floor: a small file holding the highest wall time ever handed out
 * (and the last sync). clock_now() returns max(real time, floor), so a box
 * booting with a dead RTC at 2000-01-01 stamps floor time (state unsynced),
 * and a clock stepped backwards never makes a timestamp go back. A stamp
 * held up by the floor is that much away from real time, so the gap is
 * added to its error bound.
 *
 * The floor file is written atomically (temp, fsync, rename) at most once
 * every CLOCK_FLOOR_WRITE_MS and by clock_close() at shutdown. After a
 * crash the floor can lag the last stamp by up to that interval; the audit
 * log also clamps each entry to its chain head, so its times never go back.
 *
 * Each process keeps its own struct clock and its own floor file (next to
 * the data it stamps); nothing here is global.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CLOCK_SYNCED_MAX_ERROR_MS	100	/* kernel maxerror for "synced" */
#define CLOCK_HOLDOVER_MAX_MS		(24LL * 3600 * 1000) /* 24 h after sync */
#define CLOCK_HOLDOVER_MAX_ERROR_MS	1000	/* error bound for "holdover" */
/* Drift of a disciplined quartz oscillator left on its own (ntpd's frequency
 * correction stays in the kernel): 15 ppm, i.e. 1 s after ~18.5 h. */
#define CLOCK_DRIFT_PPM			15
#define CLOCK_FLOOR_WRITE_MS		60000	/* at most one floor write a minute */
#define CLOCK_FLOOR_FILE		"clock.floor"	/* default name in a data dir */

/* The numbers are kept in audit entries: never renumber. By trust:
 * synced > holdover > https-date > unsynced. */
enum clock_state {
	CLOCK_UNSYNCED = 0,
	CLOCK_HOLDOVER = 1,
	CLOCK_SYNCED = 2,
	CLOCK_HTTPS_DATE = 3,	/* unsynced, but the kernel clock agrees with
				 * the cloud's authenticated Date header */
};

/* What the kernel said, raw; a clock_source fills it. */
struct clock_reading {
	int64_t cr_wall_ms;	/* CLOCK_REALTIME */
	int64_t cr_mono_ms;	/* CLOCK_BOOTTIME: never stepped, counts suspend */
	int cr_state;		/* adjtimex return value (TIME_OK .. TIME_ERROR) */
	int cr_status;		/* timex.status: STA_* bits */
	int64_t cr_maxerror_us;	/* timex.maxerror */
	int64_t cr_esterror_us;	/* timex.esterror */
};

/* Where readings come from: the kernel (clock_source_kernel) or a test. */
struct clock_source {
	void *cs_ctx;
	int (*cs_read)(void *ctx, struct clock_reading *out);
};

/* adjtimex(2) and clock_gettime(2). */
extern const struct clock_source clock_source_kernel;

/* One timestamp and how far to trust it. */
struct clock_stamp {
	int64_t st_ms;		/* max(real time, floor), ms since the epoch */
	enum clock_state st_state;
	uint32_t st_error_ms;	/* error bound, saturating at UINT32_MAX */
};

/* The whole picture, for `classbox time` and the status page. */
struct clock_status {
	struct clock_stamp cs_now;
	int64_t cs_real_ms;	/* the kernel's wall clock */
	int64_t cs_floor_ms;	/* the persisted floor (before this call) */
	int64_t cs_synced_at_ms;	/* "since": the last time seen synced; 0 never */
	uint32_t cs_synced_error_ms;	/* error bound at that time */
	int cs_kernel_synced;	/* STA_UNSYNC clear and not TIME_ERROR */
	int64_t cs_maxerror_us;
	int64_t cs_esterror_us;
	int cs_kernel_status;	/* STA_* bits */
};

struct clock;

#define CLOCK_READONLY	0x1	/* never write the floor file (`classbox time`) */

/* Load the floor file at path (a missing file is a floor of 0). src NULL
 * means the kernel. The source is copied. */
int clock_open(struct clock **cp, const char *path,
    const struct clock_source *src, int flags);
/* Write the floor (unless read-only) and free. */
void clock_close(struct clock *c);

/* A timestamp that is never below any earlier one, with its trust. */
int clock_stamp(struct clock *c, struct clock_stamp *out);
/* Only the time: clock_stamp(...).st_ms. */
int clock_now(struct clock *c, int64_t *ms_out);
/* The state now, with its inputs. Like clock_stamp, it raises the floor. */
int clock_state(struct clock *c, struct clock_status *out);
/* Write the floor file now if it changed (shutdown, tests). */
int clock_flush(struct clock *c);

/*
 * For the NTP daemon's event hook (root only; rootfs/etc/sv/ntpd/event).
 *
 * clock_kernel_mark_synced: tell the kernel the clock is synchronised, with
 * an error bound of error_ms plus the offset the kernel has still to slew
 * away (its remaining ADJ_OFFSET): sets maxerror and esterror, clears
 * STA_UNSYNC, keeps the other status bits. BusyBox ntpd disciplines the
 * clock but never sets maxerror, so the kernel, which grows maxerror by
 * 500 us every second, flags the clock unsynchronised again within a
 * second of each update; the hook calls this while ntpd has a server.
 * CB_EINVAL when error_ms exceeds CLOCK_KERNEL_ERROR_MAX_MS, CB_EPERM
 * without the right.
 *
 * clock_kernel_step: step the clock by offset_us (ADJ_SETOFFSET; the kernel
 * drops any slew in progress, as after a step by ntpd). BusyBox ntpd steps
 * only beyond 1 s and slews smaller offsets at 500 ppm, so a box booted
 * 0.5 s off (the RTC has whole seconds) would take 17 minutes to come
 * within the synced bound; the hook steps once at the first sync instead,
 * when the offset is beyond 50 ms (its NTPD_STEP_MIN_S), as the reference
 * ntpd steps beyond 128 ms. |offset_us| at most CLOCK_STEP_MAX_US (larger
 * offsets BusyBox ntpd steps itself).
 */
#define CLOCK_KERNEL_ERROR_MAX_MS	16000	/* the kernel's NTP_PHASE_LIMIT */
#define CLOCK_STEP_MAX_US		2000000
int clock_kernel_mark_synced(uint32_t error_ms);
int clock_kernel_step(int64_t offset_us);

/*
 * The HTTPS Date fallback (docs/sync.md "Time from the cloud"). When NTP
 * is blocked, sync (unprivileged) takes the Date header of an answer that
 * came over a TLS connection whose certificate verified against the
 * enrolled CA, and writes an estimate of real time to a hint file
 * (DATA/sync/https-date, 0644). A process whose clock has a hint
 * (clock_set_hint) names a stamp "https-date" instead of "unsynced" when
 * the kernel's wall clock lies within the estimate's error bound, the
 * bound grown by CLOCK_UNDISCIPLINED_PPM since. The stamp is still
 * max(real time, floor): the hint never moves a stamp backwards, and a
 * floor ahead of the estimate simply leaves the state unsynced. sync
 * never sets the clock; root may, from the hint (clock_step_judge below).
 *
 * Error bound of an estimate: the Date header has whole seconds and was
 * made somewhere within the round trip, so real time at the answer lies
 * in [date, date + 1 s + rtt]; the estimate is the middle and the bound
 * CLOCK_HTTPS_DATE_BASE_ERROR_MS (that second plus a second for the
 * cloud's own clock) plus the whole round trip.
 */
#define CLOCK_HINT_FILE			"https-date"	/* in DATA/sync */
#define CLOCK_HTTPS_DATE_BASE_ERROR_MS	2000
#define CLOCK_HTTPS_DATE_MAX_RTT_MS	5000	/* slower: not a time source */
#define CLOCK_HTTPS_DATE_MAX_ERROR_MS	10000	/* past it: unsynced again */
#define CLOCK_UNDISCIPLINED_PPM		100	/* a free-running RTC/TSC */
#define CLOCK_HINT_RELOAD_MS		10000	/* re-read the hint file */
#define CLOCK_BOOT_ID_LEN		36

struct clock_hint {
	int64_t ch_est_ms;	/* estimated real time at ch_boot_ms */
	int64_t ch_boot_ms;	/* CLOCK_BOOTTIME of the estimate */
	uint32_t ch_error_ms;	/* error bound at ch_boot_ms */
	char ch_boot_id[CLOCK_BOOT_ID_LEN + 1];	/* this boot's only */
};

/* Pure: the estimate from a Date header (ms, whole seconds), the round
 * trip of its request and CLOCK_BOOTTIME when the answer arrived.
 * CB_EINVAL when the round trip is too slow to tell the time. */
int clock_hint_make(int64_t date_ms, int64_t rtt_ms, int64_t boot_ms,
    struct clock_hint *out);
/* Pure: the state and error bound a hint gives a stamp taken at boot_ms
 * with the kernel at wall_ms. CLOCK_HTTPS_DATE or CLOCK_UNSYNCED (the
 * hint too old or from before boot_ms, or the wall clock outside its
 * bound). */
enum clock_state clock_hint_judge(const struct clock_hint *h,
    int64_t wall_ms, int64_t boot_ms, uint32_t *error_out);
/* This boot's id (/proc/sys/kernel/random/boot_id) into the hint, then
 * the file written atomically, 0644 (no secret in it). */
int clock_hint_write(const char *path, struct clock_hint *h);
int clock_hint_read(const char *path, struct clock_hint *h);
/* CLOCK_BOOTTIME in ms, the clock hints are measured by. */
int64_t clock_boot_ms(void);
/* Let this clock name stamps "https-date" from the hint file at path. */
int clock_set_hint(struct clock *c, const char *path);

/* The hint's file text into h (no boot id check). CB_EINVAL when it does
 * not parse or is out of range; the file is written by the unprivileged
 * sync and read by root (tests/fuzz/fuzz_clock_hint.c). */
int clock_hint_parse(const char *buf, size_t len, struct clock_hint *h);
/* 1 when the hint was made in this boot (its boot id is this one's). */
int clock_hint_this_boot(const struct clock_hint *h);

/*
 * Setting the clock from the hint, for a box whose clock is wrong (a dead
 * RTC battery) and whose NTP is blocked. Root only: `classbox time
 * --https-date`, which rootfs/etc/sv/ntpd/run calls once NTP has been
 * silent for its NTPD_HTTPS_DATE_AFTER_S. clock_step_judge is pure: given
 * the hint, the clock's status (the highest persisted floor, the kernel's
 * clock and state) and CLOCK_BOOTTIME now, it says whether to step and by
 * how much. In order, it refuses when:
 *   NTP        the clock is synced or in holdover, or the kernel says
 *              synchronised: NTP's time is better than the cloud's;
 *   STALE      the estimate is older than CLOCK_STEP_HINT_MAX_AGE_MS (sync
 *              writes a new one every 10 s while it waits for the clock),
 *              or from a later boot time than now;
 *   ROUGH      its bound, grown since, exceeds CLOCK_STEP_HINT_MAX_ERROR_MS;
 *   FLOOR      the floor is ahead of the estimate plus its bound: time this
 *              box has already handed out says the cloud is wrong;
 *   TOO_FAR    the step would put the clock more than
 *              CLOCK_STEP_MAX_AHEAD_DAYS ahead of both the kernel clock and
 *              the floor: sync, which writes the hint, parses the cloud's
 *              answers; a fault there must not throw the box's floors
 *              years ahead, where they would stay;
 * and does nothing (AGREES) when the kernel clock is within the bound
 * already. Otherwise GO: *offset_ms steps the kernel clock to
 * max(estimate, floor), never before the floor. The kernel then stays
 * unsynchronised, so stamps say "https-date", not "synced".
 */
#define CLOCK_STEP_HINT_MAX_AGE_MS	(5 * 60 * 1000)
#define CLOCK_STEP_HINT_MAX_ERROR_MS	5000	/* 2 s + a 3 s round trip */
#define CLOCK_STEP_MAX_AHEAD_DAYS	400	/* a box left in a cupboard */
#define CLOCK_STEP_MAX_AHEAD_MS		(CLOCK_STEP_MAX_AHEAD_DAYS * 86400000LL)

enum clock_step_verdict {
	CLOCK_STEP_GO = 0,
	CLOCK_STEP_AGREES,
	CLOCK_STEP_NTP,
	CLOCK_STEP_STALE,
	CLOCK_STEP_ROUGH,
	CLOCK_STEP_FLOOR,
	CLOCK_STEP_TOO_FAR,
};

enum clock_step_verdict clock_step_judge(const struct clock_hint *h,
    const struct clock_status *st, int64_t boot_ms, int64_t *offset_ms,
    uint32_t *error_ms);
/* Why, in words, for the log ("" for GO). */
const char *clock_step_verdict_text(enum clock_step_verdict v);
/* Step the kernel clock by offset_ms, however far (ADJ_SETOFFSET; the
 * kernel marks itself unsynchronised). CB_EPERM without the right. */
int clock_kernel_jump(int64_t offset_ms);

/* "synced", "holdover", "https-date", "unsynced". */
const char *clock_state_name(enum clock_state s);

#endif
