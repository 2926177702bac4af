/*
 * date.h: the proleptic Gregorian calendar, as day numbers. One conversion
 * (Howard Hinnant's days_from_civil and civil_from_days), exact for every
 * date in int64_t days; no locale, no time zone, no libc time functions.
 */
#ifndef CB_DATE_H
#define CB_DATE_H

#include <stdint.h>

/* 1 when y is a leap year. */
int cb_date_leap(int64_t y);

/* Days in month m (1..12) of year y. */
int cb_date_mdays(int64_t y, int m);

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31; may be negative). */
int64_t cb_days_from_civil(int64_t y, int m, int d);

/* The date of day z since 1970-01-01; the inverse of cb_days_from_civil. */
void cb_civil_from_days(int64_t z, int64_t *y, int *m, int *d);

#endif
