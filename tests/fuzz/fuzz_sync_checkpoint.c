/*
 * fuzz_sync_checkpoint.c: a replication checkpoint (_local/<id>) from the cloud or the
 * store, built back and parsed again (sync/proto.c); the status file
 * (sync/status.c).
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "sync/proto.h"
#include "sync/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_checkpoint a, b;
	struct sync_status st;
	const char *since;
	char *json;
	size_t len;

	(void)sync_status_parse((const char *)data, size, &st);
	if (proto_parse_checkpoint((const char *)data, size, &a) != CB_OK)
		return 0;
	if (a.ck_seq == NULL || strlen(a.ck_seq) > PROTO_SEQ_MAX ||
	    a.ck_nhist > PROTO_HISTORY_MAX)
		abort();
	/* The next checkpoint after this one, same session and seq: what
	 * the box writes back must read the same. */
	if (proto_build_checkpoint("_local/x", &a, a.ck_session, a.ck_seq,
	    &json, &len) != CB_OK) {
		proto_checkpoint_free(&a);
		return 0;
	}
	if (proto_parse_checkpoint(json, len, &b) != CB_OK ||
	    strcmp(a.ck_seq, b.ck_seq) != 0 ||
	    strcmp(a.ck_session, b.ck_session) != 0 ||
	    b.ck_nhist > PROTO_HISTORY_MAX ||
	    strcmp(b.ck_hist[0].h_seq, a.ck_seq) != 0)
		abort();
	since = proto_checkpoint_since(&a, &b);
	if (strcmp(since, a.ck_seq) != 0)
		abort();	/* the same session on both sides */
	free(json);
	proto_checkpoint_free(&a);
	proto_checkpoint_free(&b);
	return 0;
}
