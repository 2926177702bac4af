/*
 * httpdate.h: the Date header of an HTTP answer (RFC 9110 5.6.7), as a
 * time source of last resort (docs/sync.md "Time from the cloud").
 *
 * Only IMF-fixdate is taken, "Sun, 06 Nov 1994 08:49:37 GMT", exactly
 * HTTPDATE_LEN bytes: it is what every server must send (nginx, CouchDB,
 * PouchDB Server do). The obsolete RFC 850 and asctime forms, which a
 * recipient "should" accept, are refused: a time source that guesses is
 * worse than none. The weekday must match the date. Pure: no I/O, no
 * locale, no time zone (timegm is not used).
 */
#ifndef HTTPDATE_H
#define HTTPDATE_H

#include <stddef.h>
#include <stdint.h>

#define HTTPDATE_LEN		29
#define HTTPDATE_MIN_YEAR	2000	/* earlier: a broken server clock */
#define HTTPDATE_MAX_YEAR	9999

/* CB_OK with *ms_out = milliseconds since the epoch (a whole second), or
 * CB_EINVAL. s need not be NUL-terminated; leading and trailing spaces
 * and tabs (header whitespace) are allowed. */
int httpdate_parse(const char *s, size_t len, int64_t *ms_out);

#endif
