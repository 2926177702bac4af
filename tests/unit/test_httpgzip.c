/*
 * test_httpgzip.c: gzip answers from the cloud (net/httpcli.c): inflated
 * as they stream in whatever the framing (Content-Length, chunked, close)
 * and wherever the pieces split; refused when truncated, corrupt, past the
 * inflated limit (a zip bomb), with bytes after the end, or in another
 * encoding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/cb.h"
#include "net/httpcli.h"
#include "t.h"

#define BIG_MAX	(64u * 1024)

/* gzip of src into a malloc'd buffer. */
static unsigned char *
gz(const void *src, size_t n, size_t *outlen)
{
	z_stream z;
	unsigned char *out;
	size_t cap;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	cap = deflateBound(&z, (uLong)n);
	if ((out = malloc(cap)) == NULL)
		abort();
	z.next_in = (Bytef *)(uintptr_t)src;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

struct msg { char *m; size_t n; };

static void
put(struct msg *m, const void *p, size_t n)
{
	if ((m->m = realloc(m->m, m->n + n + 1)) == NULL)
		abort();
	memcpy(m->m + m->n, p, n);
	m->n += n;
}

/* A response with a gzip body: framing 'l' Content-Length (of len bytes
 * of the body), 'c' chunked in chunks of `chunk` bytes, 'e' close. */
static struct msg
response(const char *encoding, const unsigned char *body, size_t len,
    int framing, size_t chunk)
{
	struct msg m = { NULL, 0 };
	char h[256];

	snprintf(h, sizeof(h), "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\n%s%s%s", encoding ? "Content-Encoding: " : "",
	    encoding ? encoding : "", encoding ? "\r\n" : "");
	put(&m, h, strlen(h));
	if (framing == 'l') {
		snprintf(h, sizeof(h), "Content-Length: %zu\r\n\r\n", len);
		put(&m, h, strlen(h));
		put(&m, body, len);
	} else if (framing == 'c') {
		put(&m, "Transfer-Encoding: chunked\r\n\r\n", 30);
		for (size_t o = 0; o < len; o += chunk) {
			size_t k = len - o < chunk ? len - o : chunk;
			snprintf(h, sizeof(h), "%zx\r\n", k);
			put(&m, h, strlen(h));
			put(&m, body + o, k);
			put(&m, "\r\n", 2);
		}
		put(&m, "0\r\n\r\n", 5);
	} else {
		put(&m, "Connection: close\r\n\r\n", 21);
		put(&m, body, len);
	}
	return m;
}

/* Feed m in two pieces split at `split` (and the EOF when close-delimited);
 * returns the status, p left for inspection. */
static int
feed2(struct httpcli_parser *p, const struct msg *m, size_t split,
    size_t max)
{
	int rc;

	httpcli_parse_init(p, max, 0);
	if ((rc = httpcli_parse_feed(p, m->m, split)) != CB_OK)
		return rc;
	if ((rc = httpcli_parse_feed(p, m->m + split, m->n - split)) != CB_OK)
		return rc;
	return p->hp_done ? CB_OK : httpcli_parse_eof(p);
}

static char json[3000];

static void
make_json(void)
{
	size_t o = 0;

	o += (size_t)snprintf(json + o, sizeof(json) - o, "{\"docs\":[");
	for (int i = 0; o < sizeof(json) - 64; i++)
		o += (size_t)snprintf(json + o, sizeof(json) - o,
		    "{\"_id\":\"attendance:%d\",\"present\":%d},", i, i % 3);
	snprintf(json + o - 1, sizeof(json) - o + 1, "]}");
}

T_TEST(gzip_split_anywhere_every_framing)
{
	struct httpcli_parser p;
	unsigned char *z;
	size_t zn;
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 4096 };

	make_json();
	z = gz(json, strlen(json), &zn);
	T_ASSERT(zn < strlen(json));
	for (int f = 0; f < 3; f++) {
		int framing = "lce"[f];
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			if (framing != 'c' && c > 0)
				break;
			struct msg m = response("gzip", z, zn, framing,
			    chunks[c]);
			int bad = 0;
			for (size_t s = 0; s <= m.n && !bad; s++) {
				int rc = feed2(&p, &m, s, BIG_MAX);
				if (rc != CB_OK || p.hp_body == NULL ||
				    strcmp(p.hp_body, json) != 0 ||
				    p.hp_status != 200) {
					fprintf(stderr, "framing %c chunk %zu "
					    "split %zu: rc %d\n", framing,
					    chunks[c], s, rc);
					bad = 1;
				}
				httpcli_parse_free(&p);
			}
			T_EQ_INT(bad, 0);
			free(m.m);
		}
	}
	/* A byte at a time, chunked in 5s. */
	struct msg m = response("x-gzip", z, zn, 'c', 5);
	httpcli_parse_init(&p, BIG_MAX, 0);
	for (size_t i = 0; i < m.n; i++)
		T_EQ_INT(httpcli_parse_feed(&p, m.m + i, 1), CB_OK);
	T_EQ_INT(p.hp_done, 1);
	T_EQ_STR(p.hp_body, json);
	T_EQ_INT(p.hp_len, strlen(json));
	httpcli_parse_free(&p);
	free(m.m);
	free(z);
}

/* httpcli_get_encoded's parser: a gzip body kept as it was sent (a
 * gzip-stored CouchDB attachment, whose digest is of those bytes), in
 * every framing and split; a plain one as it is; the limit counts the
 * bytes as sent. */
T_TEST(gzip_kept_as_sent_when_asked)
{
	struct httpcli_parser p;
	unsigned char *z;
	size_t zn;

	make_json();
	z = gz(json, strlen(json), &zn);
	for (int f = 0; f < 3; f++) {
		struct msg m = response("gzip", z, zn, "lce"[f], 7);
		int bad = 0;
		for (size_t s = 0; s <= m.n && !bad; s++) {
			httpcli_parse_init(&p, BIG_MAX, 0);
			p.hp_keep_gzip = 1;
			int rc = httpcli_parse_feed(&p, m.m, s);
			if (rc == CB_OK)
				rc = httpcli_parse_feed(&p, m.m + s, m.n - s);
			if (rc == CB_OK && !p.hp_done)
				rc = httpcli_parse_eof(&p);
			if (rc != CB_OK || !p.hp_kept_gzip || p.hp_len != zn ||
			    memcmp(p.hp_body, z, zn) != 0)
				bad = 1;
			httpcli_parse_free(&p);
		}
		T_EQ_INT(bad, 0);
		free(m.m);
	}
	struct msg m = response(NULL, (const unsigned char *)json,
	    strlen(json), 'l', 0);
	httpcli_parse_init(&p, BIG_MAX, 0);
	p.hp_keep_gzip = 1;
	T_EQ_INT(httpcli_parse_feed(&p, m.m, m.n), CB_OK);
	T_EQ_INT(p.hp_kept_gzip, 0);
	T_EQ_STR(p.hp_body, json);
	httpcli_parse_free(&p);
	free(m.m);
	m = response("gzip", z, zn, 'c', 64);
	httpcli_parse_init(&p, zn - 1, 0);
	p.hp_keep_gzip = 1;
	T_EQ_INT(httpcli_parse_feed(&p, m.m, m.n), CB_ETOOBIG);
	httpcli_parse_free(&p);
	free(m.m);
	free(z);
}

T_TEST(gzip_truncated_or_corrupt_is_refused)
{
	struct httpcli_parser p;
	unsigned char *z;
	size_t zn;
	char why[160];

	make_json();
	z = gz(json, strlen(json), &zn);
	/* Cut anywhere (header, blocks, trailer): Content-Length says so. */
	for (size_t cut = 1; cut < zn; cut += (cut < 20 || zn - cut < 12) ? 1 : 97) {
		struct msg m = response("gzip", z, cut, 'l', 0);
		T_EQ_INT(feed2(&p, &m, m.n / 2, BIG_MAX), CB_EPROTO);
		T_EQ_INT(p.hp_error, HTTPCLI_PERR_GZIP);
		httpcli_parse_free(&p);
		free(m.m);
		m = response("gzip", z, cut, 'e', 0);	/* cut by close */
		T_EQ_INT(feed2(&p, &m, m.n, BIG_MAX), CB_EPROTO);
		T_EQ_INT(p.hp_error, HTTPCLI_PERR_GZIP);
		httpcli_parse_free(&p);
		free(m.m);
	}
	httpcli_parse_strerror(&p, why, sizeof(why));
	T_EQ_STR(why, "the cloud's gzip answer is cut short");
	/* A flipped byte in the data, the CRC-32 or the length. */
	size_t at[] = { zn / 2, zn - 6, zn - 2 };
	for (size_t i = 0; i < 3; i++) {
		z[at[i]] ^= 0x55;
		struct msg m = response("gzip", z, zn, 'c', 100);
		T_EQ_INT(feed2(&p, &m, 50, BIG_MAX), CB_EPROTO);
		T_EQ_INT(p.hp_error, HTTPCLI_PERR_GZIP);
		httpcli_parse_free(&p);
		free(m.m);
		z[at[i]] ^= 0x55;
	}
	/* Not gzip at all, and bytes after a whole gzip member. */
	struct msg m = response("gzip", (const unsigned char *)json, 100,
	    'l', 0);
	T_EQ_INT(feed2(&p, &m, 10, BIG_MAX), CB_EPROTO);
	T_EQ_INT(p.hp_error, HTTPCLI_PERR_GZIP);
	httpcli_parse_free(&p);
	free(m.m);
	unsigned char *z2 = malloc(zn + 1);
	memcpy(z2, z, zn);
	z2[zn] = '{';
	m = response("gzip", z2, zn + 1, 'l', 0);
	T_EQ_INT(feed2(&p, &m, 7, BIG_MAX), CB_EPROTO);
	httpcli_parse_strerror(&p, why, sizeof(why));
	T_EQ_STR(why, "the cloud's gzip answer is followed by extra bytes");
	httpcli_parse_free(&p);
	free(m.m);
	free(z2);
	/* An empty gzip-labelled body (as for a 204) is an empty body. */
	m = response("gzip", z, 0, 'l', 0);
	T_EQ_INT(feed2(&p, &m, 3, BIG_MAX), CB_OK);
	T_EQ_INT(p.hp_len, 0);
	httpcli_parse_free(&p);
	free(m.m);
	free(z);
}

T_TEST(gzip_bomb_stops_at_the_inflated_limit)
{
	struct httpcli_parser p;
	unsigned char *zeros, *z;
	size_t zn, big = 16u << 20;
	char why[160];

	/* 16 MiB of zeros is about 16 KB of gzip: a 1000:1 bomb. */
	if ((zeros = calloc(1, big)) == NULL)
		abort();
	z = gz(zeros, big, &zn);
	T_ASSERT(zn < BIG_MAX);
	struct msg m = response("gzip", z, zn, 'c', 4000);
	T_EQ_INT(feed2(&p, &m, m.n / 3, BIG_MAX), CB_ETOOBIG);
	T_EQ_INT(p.hp_error, HTTPCLI_PERR_TOO_BIG);
	T_ASSERT(p.hp_cap <= BIG_MAX + 2);	/* never held more */
	httpcli_parse_strerror(&p, why, sizeof(why));
	T_EQ_STR(why, "the cloud's answer is larger than 65536 bytes once "
	    "inflated");
	httpcli_parse_free(&p);
	free(m.m);
	free(z);
	/* Exactly at the limit passes, one byte over does not. */
	z = gz(zeros, BIG_MAX, &zn);
	m = response("gzip", z, zn, 'l', 0);
	T_EQ_INT(feed2(&p, &m, 40, BIG_MAX), CB_OK);
	T_EQ_INT(p.hp_len, BIG_MAX);
	httpcli_parse_free(&p);
	T_EQ_INT(feed2(&p, &m, 40, BIG_MAX - 1), CB_ETOOBIG);
	httpcli_parse_free(&p);
	free(m.m);
	free(z);
	free(zeros);
}

T_TEST(other_encodings_are_refused)
{
	static const char *const refused[] = { "br", "deflate", "gzip, gzip",
	    "compress", "zstd", "gzip;q=1",
	    "a-very-long-content-encoding-name-past-the-buffer" };
	struct httpcli_parser p;
	char why[200];

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct msg m = response(refused[i],
		    (const unsigned char *)"{}", 2, 'l', 0);
		T_EQ_INT(feed2(&p, &m, 5, BIG_MAX), CB_EPROTO);
		T_EQ_INT(p.hp_error, HTTPCLI_PERR_ENCODING);
		T_ASSERT(p.hp_body == NULL);
		httpcli_parse_free(&p);
		free(m.m);
	}
	struct msg m = response("br", (const unsigned char *)"{}", 2, 'l', 0);
	T_EQ_INT(feed2(&p, &m, 5, BIG_MAX), CB_EPROTO);
	httpcli_parse_strerror(&p, why, sizeof(why));
	T_EQ_STR(why, "the cloud's answer has Content-Encoding 'br', which "
	    "the box does not accept (gzip only)");
	httpcli_parse_free(&p);
	free(m.m);
	/* Two Content-Encoding headers. */
	static const char two[] = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip"
	    "\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n";
	m.m = strdup(two);
	m.n = sizeof(two) - 1;
	T_EQ_INT(feed2(&p, &m, 20, BIG_MAX), CB_EPROTO);
	T_EQ_INT(p.hp_error, HTTPCLI_PERR_ENCODING);
	httpcli_parse_free(&p);
	free(m.m);
	/* identity and blanks are plain. */
	m = response(" identity ", (const unsigned char *)"{}", 2, 'l', 0);
	T_EQ_INT(feed2(&p, &m, 5, BIG_MAX), CB_OK);
	T_EQ_STR(p.hp_body, "{}");
	httpcli_parse_free(&p);
	free(m.m);
	/* The answer to a HEAD has no body to decode. */
	m = response("br", (const unsigned char *)"", 0, 'l', 0);
	httpcli_parse_init(&p, BIG_MAX, 1);
	T_EQ_INT(httpcli_parse_feed(&p, m.m, m.n), CB_OK);
	T_EQ_INT(p.hp_done, 1);
	httpcli_parse_free(&p);
	free(m.m);
}

T_MAIN()
