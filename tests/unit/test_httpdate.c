/*
 * test_httpdate.c: the cloud's Date header as a time source of last
 * resort (net/httpdate.c), the estimate it gives (clock_hint_make), how a
 * stamp is judged against it (clock_hint_judge), the hint file, when root
 * may set the clock from it (clock_step_judge), and the Date header
 * captured by the HTTP response parser.
 */
#include <stdint.h>
#include <string.h>
#include <sys/timex.h>
#include <unistd.h>

#include "t.h"
#include "clock/clock.h"
#include "base/cb.h"
#include "base/date.h"
#include "net/httpcli.h"
#include "net/httpdate.h"

#define T_1994	784111777000LL	/* Sun, 06 Nov 1994 08:49:37 GMT */
#define T_2026	1795694400000LL	/* Thu, 26 Nov 2026 12:00:00 GMT */

static int64_t
pd(const char *s)
{
	int64_t ms = -1;

	if (httpdate_parse(s, strlen(s), &ms) != CB_OK)
		return -1;
	return ms;
}

T_TEST(imf_fixdate)
{
	T_EQ_INT(cb_days_from_civil(1970, 1, 1), 0);
	T_EQ_INT(cb_days_from_civil(2000, 3, 1), 11017);
	T_EQ_INT(pd("Thu, 26 Nov 2026 12:00:00 GMT"), T_2026);
	T_EQ_INT(pd(" \tThu, 26 Nov 2026 12:00:00 GMT \t"), T_2026);
	T_EQ_INT(pd("Tue, 29 Feb 2028 00:00:00 GMT"),
	    cb_days_from_civil(2028, 2, 29) * 86400000LL);
	T_EQ_INT(pd("Fri, 31 Dec 9999 23:59:59 GMT"),
	    cb_days_from_civil(10000, 1, 1) * 86400000LL - 1000);
	/* A leap second counts as :59 (never a second ahead). */
	T_EQ_INT(pd("Tue, 31 Dec 2024 23:59:60 GMT"),
	    pd("Tue, 31 Dec 2024 23:59:59 GMT"));
}

T_TEST(refused)
{
	static const char *bad[] = {
		"",
		"Sun, 06 Nov 1994 08:49:37 GMT",	/* before 2000 */
		"Sunday, 26-Nov-26 12:00:00 GMT",	/* RFC 850 */
		"Thu Nov 26 12:00:00 2026",		/* asctime */
		"Fri, 26 Nov 2026 12:00:00 GMT",	/* wrong weekday */
		"Thu, 26 Nov 2026 12:00:00 UTC",
		"Thu, 26 Nov 2026 12:00:00 +0000",
		"thu, 26 Nov 2026 12:00:00 GMT",
		"Thu, 26 nov 2026 12:00:00 GMT",
		"Thu, 6 Nov 2026 12:00:00 GMT",
		"Thu, 26 Nov 2026 12:00:00 GMT x",
		"Thu, 26 Nov 2026 24:00:00 GMT",
		"Thu, 26 Nov 2026 12:60:00 GMT",
		"Thu, 26 Nov 2026 12:00:61 GMT",
		"Mon, 29 Feb 2027 00:00:00 GMT",	/* not a leap year */
		"Wed, 31 Apr 2026 00:00:00 GMT",
		"Thu, 00 Nov 2026 12:00:00 GMT",
		"Thu, 26 Nov 2026 12:00:0x GMT",
		"Thu, 26 Nov -026 12:00:00 GMT",
		"Thu,  26 Nov 2026 12:00:00 GMT",
	};
	int64_t ms = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pd(bad[i]) != -1)
			T_EQ_STR(bad[i], "(refused)");
	}
	/* Not NUL-terminated: only len bytes are read. */
	T_EQ_INT(httpdate_parse("Thu, 26 Nov 2026 12:00:00 GMTxx", 29, &ms),
	    CB_OK);
	T_EQ_INT(ms, T_2026);
	T_EQ_INT(httpdate_parse("Thu, 26 Nov 2026 12:00:00 GM", 28, &ms),
	    CB_EINVAL);
}

T_TEST(estimate_and_its_bound)
{
	struct clock_hint h;
	uint32_t e = 0;

	/* 40 ms round trip: real time at the answer is in
	 * [date, date + 1.04 s]; the estimate is the middle. */
	T_EQ_INT(clock_hint_make(T_2026, 40, 5000, &h), CB_OK);
	T_EQ_INT(h.ch_est_ms, T_2026 + 520);
	T_EQ_INT(h.ch_error_ms, CLOCK_HTTPS_DATE_BASE_ERROR_MS + 40);
	T_EQ_INT(h.ch_boot_ms, 5000);
	T_EQ_INT(clock_hint_make(T_2026, CLOCK_HTTPS_DATE_MAX_RTT_MS + 1, 0,
	    &h), CB_EINVAL);
	T_EQ_INT(clock_hint_make(T_2026, -1, 0, &h), CB_EINVAL);
	T_EQ_INT(clock_hint_make(0, 10, 0, &h), CB_EINVAL);

	T_EQ_INT(clock_hint_make(T_2026, 0, 1000, &h), CB_OK);
	/* The kernel clock right on the estimate. */
	T_EQ_INT(clock_hint_judge(&h, T_2026 + 500, 1000, &e),
	    CLOCK_HTTPS_DATE);
	T_EQ_INT(e, 2000);
	/* 1.5 s off: still within 2 s; the bound is their sum. */
	T_EQ_INT(clock_hint_judge(&h, T_2026 + 2000, 1000, &e),
	    CLOCK_HTTPS_DATE);
	T_EQ_INT(e, 3500);
	/* 2.5 s off: the clock is not what the cloud says. */
	T_EQ_INT(clock_hint_judge(&h, T_2026 + 3000, 1000, &e),
	    CLOCK_UNSYNCED);
	T_EQ_INT(clock_hint_judge(&h, T_2026 - 2000, 1000, &e),
	    CLOCK_UNSYNCED);
	/* An hour later, the clock moved with the boot clock: the bound
	 * grew by 100 ppm (360 ms). */
	T_EQ_INT(clock_hint_judge(&h, T_2026 + 500 + 3600000, 3601000, &e),
	    CLOCK_HTTPS_DATE);
	T_EQ_INT(e, 2360);
	/* A stamp from before the estimate (boot time), or a day later. */
	T_EQ_INT(clock_hint_judge(&h, T_2026, 999, &e), CLOCK_UNSYNCED);
	T_EQ_INT(clock_hint_judge(&h, T_2026 + 500 + 86400001, 86401001, &e),
	    CLOCK_UNSYNCED);
}

struct fake { struct clock_reading r; };

static int
fake_read(void *ctx, struct clock_reading *out)
{
	*out = ((struct fake *)ctx)->r;
	return 0;
}

static void
fake_unsynced(struct fake *f, int64_t wall, int64_t boot)
{
	f->r = (struct clock_reading){ wall, boot, TIME_ERROR, STA_UNSYNC,
	    16000000, 16000000 };
}

T_TEST(hint_file_names_stamps)
{
	char floor[64], hint[64];
	struct clock_source src;
	struct clock_status st;
	struct clock_hint h, back;
	struct clock *c = NULL;
	struct fake f;
	FILE *fp;

	snprintf(floor, sizeof(floor), "/tmp/test_httpdate.%d.floor",
	    (int)getpid());
	snprintf(hint, sizeof(hint), "/tmp/test_httpdate.%d.hint",
	    (int)getpid());
	unlink(floor);
	unlink(hint);
	src = (struct clock_source){ &f, fake_read };
	T_EQ_INT(clock_open(&c, floor, &src, CLOCK_READONLY), CB_OK);
	T_EQ_INT(clock_set_hint(c, hint), CB_OK);
	fake_unsynced(&f, T_2026 + 500, 1000);
	T_EQ_INT(clock_state(c, &st), CB_OK);	/* no file: unsynced */
	T_EQ_INT(st.cs_now.st_state, CLOCK_UNSYNCED);
	T_EQ_STR(clock_state_name(CLOCK_HTTPS_DATE), "https-date");

	T_EQ_INT(clock_hint_make(T_2026, 0, 1000, &h), CB_OK);
	T_EQ_INT(clock_hint_write(hint, &h), CB_OK);
	T_EQ_INT(clock_hint_read(hint, &back), CB_OK);
	T_EQ_INT(back.ch_est_ms, h.ch_est_ms);
	T_EQ_INT(back.ch_boot_ms, 1000);
	T_EQ_INT(back.ch_error_ms, h.ch_error_ms);
	T_EQ_INT((int)strlen(back.ch_boot_id), CLOCK_BOOT_ID_LEN);
	T_EQ_INT(clock_hint_this_boot(&back), 1);
	T_EQ_INT(clock_set_hint(c, hint), CB_OK);	/* read it now */
	T_EQ_INT(clock_state(c, &st), CB_OK);
	T_EQ_INT(st.cs_now.st_state, CLOCK_HTTPS_DATE);
	T_EQ_INT(st.cs_now.st_error_ms, 2000);
	T_EQ_INT(st.cs_now.st_ms, T_2026 + 500);

	/* 10 s later the kernel clock was stepped back 10 s: the stamp
	 * stays on the floor (never backwards), 10 s off the estimate. */
	fake_unsynced(&f, T_2026 + 500, 11000);
	T_EQ_INT(clock_state(c, &st), CB_OK);
	T_EQ_INT(st.cs_now.st_ms, T_2026 + 500);
	T_EQ_INT(st.cs_now.st_state, CLOCK_UNSYNCED);

	/* A hint from another boot counts for nothing. */
	fp = fopen(hint, "w");
	T_ASSERT(fp != NULL);
	if (fp != NULL) {
		fprintf(fp, "classbox-https-date 1\nboot "
		    "00000000-0000-0000-0000-000000000000\nat 1000\n"
		    "estimate %lld\nerror 2000\n", (long long)T_2026 + 500);
		fclose(fp);
	}
	T_EQ_INT(clock_set_hint(c, hint), CB_OK);
	fake_unsynced(&f, T_2026 + 1500, 2000);
	T_EQ_INT(clock_state(c, &st), CB_OK);
	T_EQ_INT(st.cs_now.st_state, CLOCK_UNSYNCED);
	/* Malformed: refused. */
	fp = fopen(hint, "w");
	if (fp != NULL) {
		fputs("classbox-https-date 1\nboot x\n", fp);
		fclose(fp);
	}
	T_EQ_INT(clock_hint_read(hint, &back), CB_EINVAL);
	clock_close(c);
	unlink(hint);
	unlink(floor);
}

/* An unsynced clock: the kernel at wall_ms, the highest floor floor_ms. */
static struct clock_status
unsynced_at(int64_t wall_ms, int64_t floor_ms)
{
	struct clock_status st;

	memset(&st, 0, sizeof(st));
	st.cs_real_ms = wall_ms;
	st.cs_floor_ms = floor_ms;
	st.cs_now.st_ms = wall_ms > floor_ms ? wall_ms : floor_ms;
	st.cs_now.st_state = CLOCK_UNSYNCED;
	return st;
}

T_TEST(step_from_hint_within_named_bounds)
{
	const int64_t y2000 = 946684800000LL;	/* a dead RTC */
	struct clock_status st;
	struct clock_hint h;
	int64_t off;
	uint32_t e;

	/* Estimate T_2026 + 500 at boot time 10 s, bound 2 s + 40 ms. */
	T_EQ_INT(clock_hint_make(T_2026, 40, 10000, &h), CB_OK);
	T_EQ_INT(h.ch_est_ms, T_2026 + 520);

	/* The kernel in 2000, the floor an hour back, 30 s later: step to
	 * the estimate grown by those 30 s (the bound by 3 ms: 100 ppm). */
	st = unsynced_at(y2000, T_2026 - 3600000);
	T_EQ_INT(clock_step_judge(&h, &st, 40000, &off, &e), CLOCK_STEP_GO);
	T_EQ_INT(y2000 + off, T_2026 + 520 + 30000);
	T_EQ_INT(e, 2043);
	/* Never before the floor: a floor 1 s past the estimate (within
	 * its bound) is where the clock goes. */
	st = unsynced_at(y2000, T_2026 + 520 + 31000);
	T_EQ_INT(clock_step_judge(&h, &st, 40000, &off, &e), CLOCK_STEP_GO);
	T_EQ_INT(y2000 + off, T_2026 + 520 + 31000);
	/* A floor beyond the bound: the cloud contradicts the box's own
	 * past; not going back. */
	st = unsynced_at(y2000, T_2026 + 520 + 30000 + 2044);
	T_EQ_INT(clock_step_judge(&h, &st, 40000, &off, &e), CLOCK_STEP_FLOOR);
	T_EQ_INT(off, 0);
	/* The kernel clock ahead by a minute: stepped back to the estimate
	 * (the floor, written by that clock, is older). */
	st = unsynced_at(T_2026 + 520 + 90000, T_2026);
	T_EQ_INT(clock_step_judge(&h, &st, 40000, &off, &e), CLOCK_STEP_GO);
	T_EQ_INT(off, -60000);
	/* Within the bound already: nothing to do. */
	st = unsynced_at(T_2026 + 520 + 30000 + 1500, 0);
	T_EQ_INT(clock_step_judge(&h, &st, 40000, &off, &e),
	    CLOCK_STEP_AGREES);
	T_EQ_INT(off, 0);

	/* Stale: older than CLOCK_STEP_HINT_MAX_AGE_MS, or from a boot
	 * time still to come. */
	st = unsynced_at(y2000, T_2026 - 86400000);
	T_EQ_INT(clock_step_judge(&h, &st, 10000 + CLOCK_STEP_HINT_MAX_AGE_MS,
	    &off, &e), CLOCK_STEP_GO);
	T_EQ_INT(clock_step_judge(&h, &st, 10001 + CLOCK_STEP_HINT_MAX_AGE_MS,
	    &off, &e), CLOCK_STEP_STALE);
	T_EQ_INT(clock_step_judge(&h, &st, 9999, &off, &e), CLOCK_STEP_STALE);
	T_EQ_INT(off, 0);
	/* Rough: a round trip of 3 s is the most a step takes. */
	T_EQ_INT(clock_hint_make(T_2026, 3000, 10000, &h), CB_OK);
	T_EQ_INT(clock_step_judge(&h, &st, 10000, &off, &e), CLOCK_STEP_GO);
	T_EQ_INT(clock_step_judge(&h, &st, 20000, &off, &e), CLOCK_STEP_ROUGH);
	T_EQ_INT(clock_hint_make(T_2026, 3001, 10000, &h), CB_OK);
	T_EQ_INT(clock_step_judge(&h, &st, 10000, &off, &e), CLOCK_STEP_ROUGH);

	/* NTP has the clock: synced, holdover, or the kernel says so. */
	T_EQ_INT(clock_hint_make(T_2026, 40, 10000, &h), CB_OK);
	st = unsynced_at(y2000, 0);
	st.cs_now.st_state = CLOCK_SYNCED;
	T_EQ_INT(clock_step_judge(&h, &st, 10000, &off, &e), CLOCK_STEP_NTP);
	st.cs_now.st_state = CLOCK_HOLDOVER;
	T_EQ_INT(clock_step_judge(&h, &st, 10000, &off, &e), CLOCK_STEP_NTP);
	st.cs_now.st_state = CLOCK_UNSYNCED;
	st.cs_kernel_synced = 1;
	T_EQ_INT(clock_step_judge(&h, &st, 10000, &off, &e), CLOCK_STEP_NTP);

	/* Too far: more than CLOCK_STEP_MAX_AHEAD_DAYS past both the
	 * kernel clock and the floor (a faulty sync must not throw the
	 * floors years ahead); within it, a box left unplugged all summer. */
	st = unsynced_at(y2000, T_2026 + 520 - CLOCK_STEP_MAX_AHEAD_MS);
	T_EQ_INT(clock_step_judge(&h, &st, 10000, &off, &e), CLOCK_STEP_GO);
	st = unsynced_at(T_2026 + 520 - CLOCK_STEP_MAX_AHEAD_MS, 0);
	T_EQ_INT(clock_step_judge(&h, &st, 10000, &off, &e), CLOCK_STEP_GO);
	st = unsynced_at(y2000, T_2026 + 520 - CLOCK_STEP_MAX_AHEAD_MS - 1);
	T_EQ_INT(clock_step_judge(&h, &st, 10000, &off, &e),
	    CLOCK_STEP_TOO_FAR);
	st = unsynced_at(y2000, 0);
	T_EQ_INT(clock_step_judge(&h, &st, 10000, &off, &e),
	    CLOCK_STEP_TOO_FAR);
	T_EQ_INT(off, 0);
	for (int v = CLOCK_STEP_AGREES; v <= CLOCK_STEP_TOO_FAR; v++)
		T_ASSERT(strlen(clock_step_verdict_text(v)) > 20);
}

T_TEST(hint_parse_refuses_what_root_must_not_read)
{
	static const char good[] = "classbox-https-date 1\nboot "
	    "0123abcd-0000-4000-8000-00000000beef\nat 1000\n"
	    "estimate 1795694400500\nerror 2040\n";
	static const char *const bad[] = {
		"classbox-https-date 2\nboot 0123abcd-0000-4000-8000-"
		    "00000000beef\nat 1000\nestimate 1\nerror 2040\n",
		"classbox-https-date 1\nboot 0123abcd\nat 1000\n"
		    "estimate 1\nerror 2040\n",
		"classbox-https-date 1\nboot 0123abcd-0000-4000-8000-"
		    "00000000beef\nat -1\nestimate 1\nerror 2040\n",
		"classbox-https-date 1\nboot 0123abcd-0000-4000-8000-"
		    "00000000beef\nat 1000\nestimate 0\nerror 2040\n",
		"classbox-https-date 1\nboot 0123abcd-0000-4000-8000-"
		    "00000000beef\nat 1000\nestimate 1\nerror 10001\n",
		"classbox-https-date 1\nboot 0123abcd-0000-4000-8000-"
		    "00000000beef\nat 1000\nestimate 99999999999999999999\n"
		    "error 2\n",
	};
	struct clock_hint h;

	T_EQ_INT(clock_hint_parse(good, sizeof(good) - 1, &h), CB_OK);
	T_EQ_INT(h.ch_est_ms, 1795694400500LL);
	T_EQ_INT(h.ch_boot_ms, 1000);
	T_EQ_INT(h.ch_error_ms, 2040);
	T_EQ_INT(clock_hint_this_boot(&h), 0);	/* not this boot's id */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_EQ_INT(clock_hint_parse(bad[i], strlen(bad[i]), &h),
		    CB_EINVAL);
	/* A NUL inside, or longer than the file can be. */
	T_EQ_INT(clock_hint_parse(good, sizeof(good), &h), CB_EINVAL);
	{
		char big[300];

		memset(big, ' ', sizeof(big));
		memcpy(big, good, sizeof(good) - 1);
		T_EQ_INT(clock_hint_parse(big, sizeof(big), &h), CB_EINVAL);
	}
}

T_TEST(parser_keeps_one_valid_date)
{
	static const char one[] = "HTTP/1.1 200 OK\r\nServer: x\r\n"
	    "DATE:  Thu, 26 Nov 2026 12:00:00 GMT\r\n"
	    "Content-Length: 2\r\n\r\n{}";
	static const char two[] = "HTTP/1.1 200 OK\r\n"
	    "Date: Thu, 26 Nov 2026 12:00:00 GMT\r\n"
	    "Date: Thu, 26 Nov 2026 12:00:01 GMT\r\n"
	    "Content-Length: 0\r\n\r\n";
	static const char bad[] = "HTTP/1.1 200 OK\r\n"
	    "Date: Thu, 26 Nov 2026 12:00:00 GMT and some more text\r\n"
	    "X-Date: Thu, 26 Nov 2026 12:00:00 GMT\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct httpcli_parser p;

	/* Fed a byte at a time: names and values come in pieces. */
	httpcli_parse_init(&p, 1024, 0);
	for (size_t i = 0; i < sizeof(one) - 1; i++)
		T_EQ_INT(httpcli_parse_feed(&p, one + i, 1), CB_OK);
	T_EQ_INT(p.hp_done, 1);
	T_EQ_INT(p.hp_date_ms, T_2026);
	httpcli_parse_free(&p);
	httpcli_parse_init(&p, 1024, 0);
	T_EQ_INT(httpcli_parse_feed(&p, two, sizeof(two) - 1), CB_OK);
	T_EQ_INT(p.hp_date_ms, 0);
	httpcli_parse_free(&p);
	httpcli_parse_init(&p, 1024, 0);
	T_EQ_INT(httpcli_parse_feed(&p, bad, sizeof(bad) - 1), CB_OK);
	T_EQ_INT(p.hp_date_ms, 0);
	httpcli_parse_free(&p);
}

T_MAIN()
