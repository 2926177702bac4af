/*
 * fuzz_sync_open_revs.c: the cloud's GET doc?open_revs=[..]&revs=true answer
 * (sync/proto.c).
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "store/doc.h"
#include "sync/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
take(void *arg, const char *json, size_t len)
{
	struct doc_input d;
	char err[128];

	(void)arg;
	if (doc_parse(json, len, 0, &d, err, sizeof(err)) == CB_OK)
		doc_input_free(&d);
	return CB_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t missing;

	(void)proto_parse_open_revs((const char *)data, size, take, NULL,
	    &missing);
	return 0;
}
