/*
 * fuzz_sync_checkpoint.c: a replication checkpoint (_local/<id>) from the cloud or the
 * store, built back and parsed again (sync/proto.c); the status file
 * (sync/status.c).
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cb.h"
#include "sync/proto.h"
#include "sync/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_checkpoint a, b;
	struct sync_status st;
	char since[PROTO_SEQ_MAX + 1], *json;
	size_t len;

	(void)sync_status_parse((const char *)data, size, &st);
	if (proto_parse_checkpoint((const char *)data, size, &a) != CB_OK)
		return 0;
	if (proto_build_checkpoint("_local/x", &a, &json, &len) != CB_OK)
		return 0;
	if (proto_parse_checkpoint(json, len, &b) != CB_OK ||
	    strcmp(a.ck_seq, b.ck_seq) != 0 ||
	    strcmp(a.ck_session, b.ck_session) != 0)
		abort();
	proto_checkpoint_since(&a, &b, since);
	free(json);
	return 0;
}
