/*
 * cb.c: status strings, logging, time, randomness and small string helpers
 * shared by every process of classbox.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/entropy.h>

#include "base/cb.h"

static const char *const cb_messages[] = {
	[0] = "ok",
	[-CB_ENOMEM] = "out of memory",
	[-CB_EIO] = "input/output error",
	[-CB_EINVAL] = "malformed input",
	[-CB_ENOTFOUND] = "not found",
	[-CB_EEXIST] = "already exists",
	[-CB_EPERM] = "not allowed",
	[-CB_ETOOBIG] = "too large",
	[-CB_EAGAIN] = "try again",
	[-CB_EPROTO] = "protocol error",
	[-CB_EAUTH] = "wrong user id or password",
	[-CB_ETHROTTLED] = "too many attempts; wait and try again",
	[-CB_EPWCHANGE] = "password change required",
	[-CB_ECRYPTO] = "cryptographic operation failed",
	[-CB_EBUSY] = "busy; try again shortly",
	[-CB_ESESSION] = "not logged in or session expired",
	[-CB_EPWSHORT] = "password too short",
	[-CB_EPWUSERID] = "password contains the user id",
	[-CB_EPWCOMMON] = "password too common",
	[-CB_EPWSAME] = "new password equals the old one",
	[-CB_EPWLONG] = "password too long",
	[-CB_ESTATE] = "not possible in the current state",
	[-CB_ELASTADMIN] = "the school must keep at least one admin",
	[-CB_EUNAVAIL] = "service unavailable",
	[-CB_EFULL] = "disk or database full; free space or raise the map size",
	[-CB_EPWREPEAT] = "password is a repeat, a sequence or blank",
	[-CB_EPWNAME] = "password contains the person's name",
	[-CB_EPWSCHOOL] = "password contains the school's name",
};

const char *
cb_strerror(int status)
{
	if (status > 0 || -status >= (int)CB_ARRAY_LEN(cb_messages) ||
	    cb_messages[-status] == NULL)
		return "unknown error";
	return cb_messages[-status];
}

/* The process name is the only logging state; set once at start. */
static char cb_log_name[32] = "classbox";

void
cb_log_init(const char *process_name)
{
	(void)cb_strlcpy(cb_log_name, process_name, sizeof(cb_log_name));
}

static void
cb_vlog(int level, const char *fmt, va_list ap)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };
	char line[1024];
	struct timespec ts;
	struct tm tm;
	int n;

	if (level == CB_LOG_DEBUG && getenv("CLASSBOX_DEBUG") == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, cb_log_name,
	    (int)getpid(), names[level & 3]);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* One write per line so that lines of several processes interleave
	 * whole. */
	fprintf(stderr, "%s\n", line);
}

void
cb_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cb_vlog(level, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cb_vlog(CB_LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

int64_t
cb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
cb_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cb_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return CB_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return CB_OK;
}

/* mbedTLS's entropy source (MBEDTLS_ENTROPY_HARDWARE_ALT in
 * firmware/mbedtls_config.h): the same getrandom(2) as cb_random. mbedTLS
 * 3.6 declares it only in a private header. */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len,
    size_t *olen);
int
mbedtls_hardware_poll(void *data, unsigned char *output, size_t len,
    size_t *olen)
{
	(void)data;
	if (cb_random(output, len) != CB_OK)
		return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
	*olen = len;
	return 0;
}

int
cb_memeq_ct(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d != 0;
}

void
cb_wipe(void *p, size_t len)
{
	volatile unsigned char *v = p;

	while (len--)
		*v++ = 0;
}

static const char cb_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
cb_b64url_encode(const void *in, size_t len, char *out, size_t out_size)
{
	const unsigned char *s = in;
	size_t need = (len * 4 + 2) / 3 + 1, o = 0;

	if (out_size < need)
		return CB_ETOOBIG;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		size_t rem = len - i;
		if (rem > 1)
			v |= (uint32_t)s[i + 1] << 8;
		if (rem > 2)
			v |= s[i + 2];
		out[o++] = cb_b64url[(v >> 18) & 63];
		out[o++] = cb_b64url[(v >> 12) & 63];
		if (rem > 1)
			out[o++] = cb_b64url[(v >> 6) & 63];
		if (rem > 2)
			out[o++] = cb_b64url[v & 63];
	}
	out[o] = '\0';
	return CB_OK;
}

static int
cb_b64url_value(char c)
{
	const char *p = c ? strchr(cb_b64url, c) : NULL;

	return p ? (int)(p - cb_b64url) : -1;
}

int
cb_b64url_decode(const char *in, size_t in_len, void *out, size_t out_size,
    size_t *out_len)
{
	unsigned char *d = out;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (in_len % 4 == 1)
		return CB_EINVAL;
	for (size_t i = 0; i < in_len; i++) {
		int v = cb_b64url_value(in[i]);
		if (v < 0)
			return CB_EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= out_size)
				return CB_ETOOBIG;
			d[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero: one encoding per value. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return CB_EINVAL;
	*out_len = o;
	return CB_OK;
}

int
cb_strlcpy(char *dst, const char *src, size_t dst_size)
{
	size_t n = strlen(src);

	if (dst_size == 0)
		return CB_ETOOBIG;
	if (n >= dst_size) {
		memcpy(dst, src, dst_size - 1);
		dst[dst_size - 1] = '\0';
		return CB_ETOOBIG;
	}
	memcpy(dst, src, n + 1);
	return CB_OK;
}

int
cb_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
cb_hex_encode(const void *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	const uint8_t *b = in;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int
cb_pct_decode(const char *s, size_t len, char *out, size_t size,
    int plus_space)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int ch = (unsigned char)s[i], hi, lo;

		if (ch == '%') {
			if (len - i < 3 || (hi = cb_hexval(s[i + 1])) < 0 ||
			    (lo = cb_hexval(s[i + 2])) < 0)
				return -1;
			ch = hi * 16 + lo;
			i += 2;
		} else if (ch == '+' && plus_space)
			ch = ' ';
		if (o + 1 >= size)
			return -1;
		out[o++] = (char)ch;
	}
	if (size == 0)
		return -1;
	out[o] = '\0';
	return (int)o;
}
