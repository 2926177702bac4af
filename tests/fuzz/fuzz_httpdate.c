/*
 * fuzz_httpdate.c: the cloud's Date header (net/httpdate.c), a time source
 * of last resort. Whatever it accepts must be a whole second between the
 * limits, and must read back the same when printed again.
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/cb.h"
#include "base/date.h"
#include "net/httpdate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t ms, again;
	char buf[64];
	struct tm tm;
	time_t t;

	if (httpdate_parse((const char *)data, size, &ms) != CB_OK)
		return 0;
	if (ms % 1000 != 0 ||
	    ms < cb_days_from_civil(HTTPDATE_MIN_YEAR, 1, 1) * 86400000LL ||
	    ms >= cb_days_from_civil(HTTPDATE_MAX_YEAR + 1, 1, 1) * 86400000LL)
		abort();
	t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm) == NULL)
		abort();
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (httpdate_parse(buf, HTTPDATE_LEN, &again) != CB_OK || again != ms)
		abort();
	return 0;
}
