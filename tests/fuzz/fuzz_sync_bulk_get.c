/*
 * fuzz_sync_bulk_get.c: the cloud's _bulk_get and _bulk_docs answers (sync/proto.c);
 * each document handed on is parsed as replication input, as the store does.
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
	struct proto_bulk_result br;
	size_t errors;

	(void)proto_parse_bulk_get((const char *)data, size, take, NULL,
	    &errors);
	(void)proto_parse_bulk_docs((const char *)data, size, &br);
	return 0;
}
