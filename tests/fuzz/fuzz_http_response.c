/*
 * fuzz_http_response.c: an HTTP/1.1 response from the cloud (net/httpcli.c),
 * including gzip bodies inflated as they stream in. The first byte picks:
 *   0x01  the rest after one byte (chunk size) is a gzip body as sent,
 *         framed chunked in chunks of that size: corrupt, truncated,
 *         bombs, extra bytes;
 *   0x02  the rest after one byte is the plain body: it is gzipped here
 *         (valid), framed chunked, and must come back byte for byte when
 *         within the limit, or be refused as too big;
 *   else  the whole input is the response, fed in two pieces.
 * A crash, leak, sanitizer report or wrong body is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/cb.h"
#include "net/httpcli.h"

#define FUZZ_MAX_BODY	(1u << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
raw(const char *m, size_t n, size_t split, const uint8_t *want,
    size_t wantlen)
{
	struct httpcli_parser p;
	int rc;

	httpcli_parse_init(&p, FUZZ_MAX_BODY, 0);
	rc = httpcli_parse_feed(&p, m, split);
	if (rc == CB_OK)
		rc = httpcli_parse_feed(&p, m + split, n - split);
	if (rc == CB_OK && !p.hp_done)
		rc = httpcli_parse_eof(&p);
	/* Never more held than the limit and the byte that tells it was
	 * crossed; never more accepted than the limit. */
	if (p.hp_cap > FUZZ_MAX_BODY + 2 ||
	    (rc == CB_OK && p.hp_len > FUZZ_MAX_BODY))
		abort();
	if (rc != CB_OK && p.hp_error == HTTPCLI_PERR_NONE)
		abort();		/* every refusal says why */
	if (want != NULL) {		/* valid gzip of want */
		if (wantlen <= FUZZ_MAX_BODY && (rc != CB_OK ||
		    p.hp_len != wantlen ||
		    (wantlen && memcmp(p.hp_body, want, wantlen) != 0)))
			abort();
		if (wantlen > FUZZ_MAX_BODY && rc != CB_ETOOBIG)
			abort();
	}
	httpcli_parse_free(&p);
}

/* A chunked gzip response around body (chunks of `chunk` bytes). */
static char *
framed(const uint8_t *body, size_t len, size_t chunk, size_t *outlen)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Encoding: "
	    "gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
	size_t cap = sizeof(head) + len + (len / chunk + 2) * 16;
	char *m = malloc(cap), *o;

	if (m == NULL)
		return NULL;
	memcpy(m, head, sizeof(head) - 1);
	o = m + sizeof(head) - 1;
	for (size_t at = 0; at < len; at += chunk) {
		size_t k = len - at < chunk ? len - at : chunk;
		o += sprintf(o, "%zx\r\n", k);
		memcpy(o, body + at, k);
		o += k;
		memcpy(o, "\r\n", 2);
		o += 2;
	}
	memcpy(o, "0\r\n\r\n", 5);
	*outlen = (size_t)(o + 5 - m);
	return m;
}

static uint8_t *
gzip_of(const uint8_t *src, size_t n, size_t *outlen)
{
	z_stream z;
	uint8_t *out;
	size_t cap;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&z, (uLong)n);
	if ((out = malloc(cap)) != NULL) {
		z.next_in = (Bytef *)(uintptr_t)src;
		z.avail_in = (uInt)n;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
			free(out);
			out = NULL;
		}
		*outlen = z.total_out;
	}
	deflateEnd(&z);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *m;
	size_t n;

	if (size < 2 || (data[0] != 1 && data[0] != 2)) {
		raw((const char *)data, size, size / 2, NULL, 0);
		return 0;
	}
	size_t chunk = (size_t)data[1] + 1;
	const uint8_t *rest = data + 2;
	size_t restlen = size - 2;
	if (data[0] == 1) {
		if ((m = framed(rest, restlen, chunk, &n)) != NULL)
			raw(m, n, n / 2, NULL, 0);
		free(m);
		return 0;
	}
	/* 0x02: a valid gzip of the rest; repeated to reach past the limit
	 * when the input is long enough to ask for it. */
	size_t plainlen = restlen > 256 ? restlen * 64 : restlen;
	uint8_t *plain = malloc(plainlen + 1), *z;
	size_t zn;
	if (plain == NULL)
		return 0;
	for (size_t i = 0; i < plainlen; i++)
		plain[i] = rest[i % (restlen ? restlen : 1)];
	if ((z = gzip_of(plain, plainlen, &zn)) != NULL &&
	    (m = framed(z, zn, chunk, &n)) != NULL) {
		raw(m, n, n / 3, plain, plainlen);
		free(m);
	}
	free(z);
	free(plain);
	return 0;
}
