/*
 * buf.h: one growable byte buffer. Bytes are appended; the buffer doubles
 * as it fills, never past its limit, and always ends in a NUL (not counted
 * in b_len) so that text can be used as a C string.
 *
 * The first failure sticks in b_err (CB_ENOMEM, or CB_ETOOBIG past b_max)
 * and every later append does nothing, so a writer may append many pieces
 * and check once at the end. Invariant: b_len < b_cap when b_data != NULL,
 * and b_len <= b_max.
 */
#ifndef CB_BUF_H
#define CB_BUF_H

#include <stddef.h>

#define CB_BUF_MIN	256	/* first allocation, in bytes */
#define CB_BUF_MAX_LIMIT ((size_t)1 << 30) /* the largest b_max (1 GiB) */

struct cb_buf {
	char *b_data;		/* NULL until the first append */
	size_t b_len;		/* bytes held, without the NUL */
	size_t b_cap;		/* bytes allocated */
	size_t b_max;		/* at most this many bytes held */
	int b_err;		/* CB_OK or the first failure */
};

/* An empty buffer that will hold at most max bytes. */
void cb_buf_init(struct cb_buf *b, size_t max);

/* Append n bytes of p. b->b_err: CB_OK, or the (sticky) first failure. */
int cb_buf_add(struct cb_buf *b, const void *p, size_t n);

/* Append the C string s. */
int cb_buf_str(struct cb_buf *b, const char *s);

/* Append printf-formatted text. */
int cb_buf_printf(struct cb_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Empty again (the memory and the limit are kept, the error cleared). */
void cb_buf_reset(struct cb_buf *b);

/* The bytes (NUL-terminated, *len without it), now the caller's to free;
 * b is empty again. NULL when b->b_err is set (then b is freed) or when
 * nothing was ever appended and the allocation of "" fails. */
char *cb_buf_take(struct cb_buf *b, size_t *len);

/* Free the memory; b is empty, with its limit. */
void cb_buf_free(struct cb_buf *b);

#endif
