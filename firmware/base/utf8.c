/*
 * utf8.c: the one UTF-8 rule set (see utf8.h).
 */
#include <assert.h>
#include <stdint.h>

#include "base/utf8.h"

size_t
cb_utf8_seq(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c, n, i;
	uint32_t cp;

	if (len == 0)
		return 0;
	c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
	} else
		return 0;
	if (len <= n)
		return 0;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates, past U+10FFFF. */
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n + 1;
}

/* Whether kind refuses the code point that starts the sequence p[0..n). */
static int
cb_utf8_refused(const unsigned char *p, size_t n, enum cb_utf8_kind kind)
{
	unsigned c = p[0];

	if (kind == CB_UTF8_ANY)
		return 0;
	if (n == 1) {
		if (c == '\t' || c == '\n' || c == '\r')
			return kind != CB_UTF8_TEXT;
		return c < 0x20 || c == 0x7f;
	}
	/* U+0080..U+009F is 0xc2 0x80..0x9f. */
	return kind == CB_UTF8_NAME && n == 2 && c == 0xc2 && p[1] < 0xa0;
}

int
cb_utf8_valid(const char *s, size_t len, enum cb_utf8_kind kind)
{
	size_t i = 0, n;

	assert(kind >= CB_UTF8_ANY && kind <= CB_UTF8_NAME);
	assert(s != NULL || len == 0);
	while (i < len) {
		if ((n = cb_utf8_seq(s + i, len - i)) == 0 ||
		    cb_utf8_refused((const unsigned char *)s + i, n, kind))
			return 0;
		i += n;
	}
	return 1;
}

size_t
cb_utf8_count(const char *s, size_t len)
{
	size_t i, n = 0;

	/* Every byte that does not continue a sequence starts one. */
	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

size_t
cb_utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t i = 0, n;

	if (len > max)
		len = max;
	while (i < len && (n = cb_utf8_seq(s + i, len - i)) != 0)
		i += n;
	assert(i <= len);
	return i;
}
