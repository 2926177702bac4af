/*
 * test_clock.c: the clock's three states and its floor, with an injected
 * adjtimex: synced, holdover with a growing error, unsynced, a clock
 * stepped backwards, a boot at 2000-01-01 with a dead RTC battery.
 */
#include <stdint.h>
#include <sys/timex.h>
#include <unistd.h>

#include "t.h"
#include "clock/clock.h"
#include "base/cb.h"

#define T_2025	1735689600000LL		/* 2025-01-01T00:00:00Z */
#define T_2000	946684800000LL		/* 2000-01-01T00:00:00Z */
#define T_HOUR	3600000LL

struct fake { struct clock_reading r; };

static int
fake_read(void *ctx, struct clock_reading *out)
{
	*out = ((struct fake *)ctx)->r;
	return 0;
}

static void
fake_synced(struct fake *f, int64_t wall, int64_t mono, int64_t maxerr_us)
{
	f->r = (struct clock_reading){ wall, mono, TIME_OK, STA_PLL,
	    maxerr_us, maxerr_us / 2 };
}

static void
fake_unsynced(struct fake *f, int64_t wall, int64_t mono)
{
	f->r = (struct clock_reading){ wall, mono, TIME_ERROR, STA_UNSYNC,
	    16000000, 16000000 };
}

static const char *
tmp_floor(void)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/test_clock.%d.floor", (int)getpid());
	unlink(path);
	return path;
}

static struct clock *
open_fake(struct fake *f, const char *path)
{
	struct clock_source src = { f, fake_read };
	struct clock *c = NULL;

	T_EQ_INT(clock_open(&c, path, &src, 0), 0);
	return c;
}

T_TEST(synced_when_kernel_says_so_and_error_small)
{
	struct fake f;
	const char *path = tmp_floor();
	struct clock *c = open_fake(&f, path);
	struct clock_status st;

	fake_synced(&f, T_2025, 1000, 20000);	/* maxerror 20 ms */
	T_EQ_INT(clock_state(c, &st), 0);
	T_EQ_INT(st.cs_now.st_state, CLOCK_SYNCED);
	T_EQ_INT(st.cs_now.st_error_ms, 20);
	T_EQ_INT(st.cs_now.st_ms, T_2025);
	T_EQ_INT(st.cs_synced_at_ms, T_2025);
	/* Synchronised but maxerror over the threshold: not synced. */
	fake_synced(&f, T_2025 + 1000, 2000, 500000);
	T_EQ_INT(clock_state(c, &st), 0);
	T_ASSERT(st.cs_now.st_state != CLOCK_SYNCED);
	clock_close(c);
	unlink(path);
}

T_TEST(holdover_error_grows_then_unsynced)
{
	struct fake f;
	const char *path = tmp_floor();
	struct clock *c = open_fake(&f, path);
	struct clock_stamp s;

	fake_synced(&f, T_2025, 1000, 10000);
	T_EQ_INT(clock_stamp(c, &s), 0);
	T_EQ_INT(s.st_state, CLOCK_SYNCED);
	fake_unsynced(&f, T_2025 + T_HOUR, 1000 + T_HOUR);
	T_EQ_INT(clock_stamp(c, &s), 0);
	T_EQ_INT(s.st_state, CLOCK_HOLDOVER);
	T_EQ_INT(s.st_error_ms, 10 + 54);	/* 15 ppm of an hour: 54 ms */
	fake_unsynced(&f, T_2025 + 10 * T_HOUR, 1000 + 10 * T_HOUR);
	T_EQ_INT(clock_stamp(c, &s), 0);
	T_EQ_INT(s.st_state, CLOCK_HOLDOVER);
	T_EQ_INT(s.st_error_ms, 10 + 540);
	fake_unsynced(&f, T_2025 + 20 * T_HOUR, 1000 + 20 * T_HOUR);
	T_EQ_INT(clock_stamp(c, &s), 0);
	T_EQ_INT(s.st_state, CLOCK_UNSYNCED);	/* 1090 ms > 1 s */
	clock_close(c);
	unlink(path);
}

T_TEST(holdover_survives_a_restart_through_the_floor_file)
{
	struct fake f;
	const char *path = tmp_floor();
	struct clock *c = open_fake(&f, path);
	struct clock_stamp s;

	fake_synced(&f, T_2025, 1000, 10000);
	T_EQ_INT(clock_stamp(c, &s), 0);
	clock_close(c);			/* shutdown writes the file */
	fake_unsynced(&f, T_2025 + 2 * T_HOUR, 5000);	/* rebooted */
	c = open_fake(&f, path);
	T_EQ_INT(clock_stamp(c, &s), 0);
	T_EQ_INT(s.st_state, CLOCK_HOLDOVER);
	T_EQ_INT(s.st_error_ms, 10 + 108);
	clock_close(c);
	unlink(path);
}

T_TEST(never_synced_is_unsynced)
{
	struct fake f;
	const char *path = tmp_floor();
	struct clock *c = open_fake(&f, path);
	struct clock_stamp s;

	fake_unsynced(&f, T_2025, 1000);
	T_EQ_INT(clock_stamp(c, &s), 0);
	T_EQ_INT(s.st_state, CLOCK_UNSYNCED);
	T_EQ_INT(s.st_ms, T_2025);
	clock_close(c);
	unlink(path);
}

T_TEST(stepped_backwards_never_goes_back)
{
	struct fake f;
	const char *path = tmp_floor();
	struct clock *c = open_fake(&f, path);
	struct clock_stamp s;
	int64_t t;

	fake_synced(&f, T_2025 + 10000, 1000, 5000);
	T_EQ_INT(clock_now(c, &t), 0);
	T_EQ_INT(t, T_2025 + 10000);
	/* ntpd steps the clock back 5 s: stamps hold at the floor. */
	fake_synced(&f, T_2025 + 5000, 2000, 5000);
	T_EQ_INT(clock_stamp(c, &s), 0);
	T_EQ_INT(s.st_ms, T_2025 + 10000);
	T_ASSERT(s.st_error_ms >= 5000);
	T_EQ_INT(s.st_state, CLOCK_UNSYNCED);	/* 5 s off: not trustworthy */
	fake_synced(&f, T_2025 + 12000, 9000, 5000);	/* caught up */
	T_EQ_INT(clock_stamp(c, &s), 0);
	T_EQ_INT(s.st_ms, T_2025 + 12000);
	T_EQ_INT(s.st_state, CLOCK_SYNCED);
	clock_close(c);
	unlink(path);
}

T_TEST(boot_at_2000_stamps_the_floor_unsynced)
{
	struct fake f;
	const char *path = tmp_floor();
	struct clock *c = open_fake(&f, path);
	struct clock_stamp s;

	fake_synced(&f, T_2025, 1000, 5000);
	T_EQ_INT(clock_stamp(c, &s), 0);
	clock_close(c);
	/* Dead RTC battery: the kernel boots at 2000-01-01, unsynced. */
	fake_unsynced(&f, T_2000, 3000);
	c = open_fake(&f, path);
	T_EQ_INT(clock_stamp(c, &s), 0);
	T_EQ_INT(s.st_ms, T_2025);
	T_EQ_INT(s.st_state, CLOCK_UNSYNCED);
	T_EQ_INT(s.st_error_ms, UINT32_MAX);	/* 25 years off, saturated */
	fake_unsynced(&f, T_2000 + 60000, 63000);
	T_EQ_INT(clock_stamp(c, &s), 0);
	T_EQ_INT(s.st_ms, T_2025);		/* never backwards */
	clock_close(c);
	unlink(path);
}

T_TEST(floor_written_at_most_once_a_minute)
{
	struct fake f;
	const char *path = tmp_floor();
	struct clock *c = open_fake(&f, path);
	struct clock *r;
	struct clock_status st;
	struct clock_source src = { &f, fake_read };
	int64_t t;

	fake_unsynced(&f, T_2025, 1000);
	T_EQ_INT(clock_now(c, &t), 0);	/* first stamp: written */
	fake_unsynced(&f, T_2025 + 30000, 31000);
	T_EQ_INT(clock_now(c, &t), 0);	/* 30 s later: not yet */
	fake_unsynced(&f, T_2000, 31001);
	T_EQ_INT(clock_open(&r, path, &src, CLOCK_READONLY), 0);
	T_EQ_INT(clock_state(r, &st), 0);
	T_EQ_INT(st.cs_floor_ms, T_2025);
	clock_close(r);
	fake_unsynced(&f, T_2025 + 61000, 62000);
	T_EQ_INT(clock_now(c, &t), 0);	/* a minute later: written */
	T_EQ_INT(clock_open(&r, path, &src, CLOCK_READONLY), 0);
	T_EQ_INT(clock_state(r, &st), 0);
	T_EQ_INT(st.cs_floor_ms, T_2025 + 61000);
	clock_close(r);
	clock_close(c);
	unlink(path);
}

T_TEST(kernel_source_reads)
{
	struct clock *c;
	struct clock_status st;
	const char *path = tmp_floor();

	T_EQ_INT(clock_open(&c, path, NULL, CLOCK_READONLY), 0);
	T_EQ_INT(clock_state(c, &st), 0);
	T_ASSERT(st.cs_now.st_ms >= st.cs_real_ms);
	T_ASSERT(st.cs_real_ms > T_2000);
	clock_close(c);
	T_ASSERT(access(path, F_OK) != 0);	/* read-only: no file */
}

T_MAIN()
