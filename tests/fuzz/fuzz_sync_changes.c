/*
 * fuzz_sync_changes.c: the cloud's _changes?style=all_docs answer (sync/proto.c).
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cb.h"
#include "sync/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_changes c;
	char q[PROTO_SEQ_MAX * 3 + 1];

	if (proto_parse_changes((const char *)data, size, &c) == CB_OK) {
		for (size_t i = 0; i < c.pcs_n; i++)
			for (size_t k = 0; k < c.pcs_rows[i].pc_nrevs; k++)
				if (strlen(c.pcs_rows[i].pc_revs[k]) > REV_MAX)
					abort();
		(void)proto_seq_query(c.pcs_last_seq, q, sizeof(q));
		proto_changes_free(&c);
	}
	return 0;
}
