/*
 * buf.c: the growable byte buffer (see buf.h).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cb.h"

void
cb_buf_init(struct cb_buf *b, size_t max)
{
	/* b_max + 1 and the doubling must not overflow. */
	assert(max <= CB_BUF_MAX_LIMIT);
	memset(b, 0, sizeof(*b));
	b->b_max = max;
}

/* Room for n more bytes and the NUL. */
static int
cb_buf_reserve(struct cb_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (n > b->b_max - b->b_len)
		return b->b_err = CB_ETOOBIG;
	if (b->b_data != NULL && b->b_len + n < b->b_cap)
		return CB_OK;
	cap = b->b_cap ? b->b_cap : CB_BUF_MIN;
	while (cap <= b->b_len + n && cap <= b->b_max)
		cap *= 2;
	if (cap > b->b_max + 1)
		cap = b->b_max + 1;	/* b_len + n <= b_max: it fits */
	if ((p = realloc(b->b_data, cap)) == NULL)
		return b->b_err = CB_ENOMEM;
	b->b_data = p;
	b->b_cap = cap;
	return CB_OK;
}

int
cb_buf_add(struct cb_buf *b, const void *p, size_t n)
{
	if (b->b_err != CB_OK || cb_buf_reserve(b, n) != CB_OK)
		return b->b_err;
	if (n > 0)
		memcpy(b->b_data + b->b_len, p, n);
	b->b_len += n;
	b->b_data[b->b_len] = '\0';
	assert(b->b_len < b->b_cap && b->b_len <= b->b_max);
	return CB_OK;
}

int
cb_buf_str(struct cb_buf *b, const char *s)
{
	return cb_buf_add(b, s, strlen(s));
}

int
cb_buf_printf(struct cb_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->b_err != CB_OK)
		return b->b_err;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return b->b_err = CB_EINVAL;
	if (cb_buf_reserve(b, (size_t)n) != CB_OK)
		return b->b_err;
	va_start(ap, fmt);
	vsnprintf(b->b_data + b->b_len, b->b_cap - b->b_len, fmt, ap);
	va_end(ap);
	b->b_len += (size_t)n;
	assert(b->b_len < b->b_cap && b->b_data[b->b_len] == '\0');
	return CB_OK;
}

void
cb_buf_reset(struct cb_buf *b)
{
	b->b_len = 0;
	b->b_err = CB_OK;
	if (b->b_data != NULL)
		b->b_data[0] = '\0';
}

char *
cb_buf_take(struct cb_buf *b, size_t *len)
{
	char *p;

	*len = 0;
	if (b->b_err != CB_OK) {
		cb_buf_free(b);
		return NULL;
	}
	if (b->b_data == NULL && cb_buf_add(b, "", 0) != CB_OK)
		return NULL;
	p = b->b_data;
	*len = b->b_len;
	b->b_data = NULL;
	b->b_len = b->b_cap = 0;
	return p;
}

void
cb_buf_free(struct cb_buf *b)
{
	size_t max = b->b_max;

	free(b->b_data);
	cb_buf_init(b, max);
}
