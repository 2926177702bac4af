/*
 * fuzz_http_response.c: an HTTP/1.1 response from the cloud, fed in two pieces
 * (net/httpcli.c).
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cb.h"
#include "net/httpcli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpcli_parser p;
	size_t half = size / 2;

	httpcli_parse_init(&p, 1 << 16, 0);
	if (httpcli_parse_feed(&p, (const char *)data, half) == CB_OK &&
	    httpcli_parse_feed(&p, (const char *)data + half, size - half) ==
	    CB_OK)
		(void)httpcli_parse_eof(&p);
	if (p.hp_len > (1 << 16))
		abort();
	httpcli_parse_free(&p);
	return 0;
}
