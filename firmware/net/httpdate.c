/*
 * httpdate.c: IMF-fixdate parsing (see httpdate.h).
 */
#include <string.h>

#include "base/cb.h"
#include "base/date.h"
#include "net/httpdate.h"

static const char httpdate_wdays[7][4] = {
	"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"	/* 1970-01-01: Thu */
};
static const char httpdate_months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* n decimal digits at p, exactly; -1 when any is not a digit. */
static int
httpdate_num(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT"
 *  0123456789012345678901234567 8 */
int
httpdate_parse(const char *s, size_t len, int64_t *ms_out)
{
	int wd = -1, mon = -1, day, year, hh, mm, ss;
	int64_t days;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len != HTTPDATE_LEN || memcmp(s + 3, ", ", 2) != 0 ||
	    s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
	    s[22] != ':' || memcmp(s + 25, " GMT", 4) != 0)
		return CB_EINVAL;
	for (int i = 0; i < 7; i++)
		if (memcmp(s, httpdate_wdays[i], 3) == 0)
			wd = i;
	for (int i = 0; i < 12; i++)
		if (memcmp(s + 8, httpdate_months[i], 3) == 0)
			mon = i + 1;
	day = httpdate_num(s + 5, 2);
	year = httpdate_num(s + 12, 4);
	hh = httpdate_num(s + 17, 2);
	mm = httpdate_num(s + 20, 2);
	ss = httpdate_num(s + 23, 2);
	if (wd < 0 || mon < 0 || day < 1 || year < HTTPDATE_MIN_YEAR ||
	    year > HTTPDATE_MAX_YEAR || day > cb_date_mdays(year, mon) ||
	    hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
		return CB_EINVAL;
	days = cb_days_from_civil(year, mon, day);
	if (((days % 7) + 7) % 7 != wd)
		return CB_EINVAL;
	if (ss == 60)		/* a leap second: the next second is as good */
		ss = 59;
	*ms_out = ((days * 24 + hh) * 60 + mm) * 60000LL + ss * 1000LL;
	return CB_OK;
}
