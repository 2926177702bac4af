/*
 * fuzz_http.c: arbitrary bytes into the HTTP request parser, the same
 * code path as the server after TLS (firmware/net/http_parse.h): llhttp,
 * limits, path decoding and the building of struct http_req.
 *
 * The first input byte picks the read size, so requests split across reads
 * (spans continued in the next read, pauses at chunk ends) are covered; the
 * second picks the redirect port's headers-only mode.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/cb.h"
#include "base/utf8.h"
#include "net/http_parse.h"

#define FUZZ_MAX_REQUESTS 64

/* Invariants of a request handed to a handler. */
static void
check_req(const struct http_parse *ps)
{
	const struct http_req *r = &ps->hp_req;

	assert(r->path != NULL && r->path[0] == '/');
	assert(cb_utf8_valid(r->path, strlen(r->path), CB_UTF8_LINE));
	assert(strlen(r->path) <= HTTP_MAX_URL_BYTES);
	if (!ps->hp_headers_only) {
		assert(r->body != NULL && r->body[r->body_len] == '\0');
		assert(r->body_len <= HTTP_MAX_BODY_BYTES);
	}
	if (r->host != NULL)
		assert(strchr(r->host, '\r') == NULL &&
		    strchr(r->host, '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_parse ps;
	size_t step, off = 0;
	int headers_only, r = HTTP_PARSE_MORE, done = 0;

	if (size < 2)
		return 0;
	step = (size_t)data[0] * 8 + 1;
	headers_only = data[1] & 1;
	data += 2;
	size -= 2;
	if (http_parse_init(&ps, headers_only ? 4097 : HTTP_INBUF_BYTES,
	    headers_only ? 4096 : HTTP_MAX_HEADER_BYTES, headers_only) != 0)
		return 0;
	while (done < FUZZ_MAX_REQUESTS) {
		if (r == HTTP_PARSE_READY) {
			check_req(&ps);
			if (headers_only)
				break;
			done++;
			http_parse_next(&ps);
		} else if (r == HTTP_PARSE_ERROR) {
			assert(ps.hp_status >= 400 && ps.hp_error != NULL);
			break;
		} else if (off < size) {
			size_t room, n = size - off < step ? size - off : step;
			char *p = http_parse_space(&ps, &room);
			assert(p != NULL && room > 0);	/* never stalls */
			if (n > room)
				n = room;
			memcpy(p, data + off, n);
			http_parse_commit(&ps, n);
			off += n;
		} else
			break;
		r = http_parse_run(&ps);
	}
	http_parse_free(&ps);
	return 0;
}
