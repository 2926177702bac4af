/*
 * fuzz_sync_changes.c: the cloud's _changes?style=all_docs&include_docs=true
 * answer (sync/proto.c), and the first-generation documents taken inline
 * from it (each must be JSON with _revisions); the last seq (at most
 * PROTO_SEQ_MAX as JSON) as since= for the next request.
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "base/cb.h"
#include "sync/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_changes c;
	char *q, *json;
	size_t len;

	if (proto_parse_changes((const char *)data, size, &c) == CB_OK) {
		for (size_t i = 0; i < c.pcs_n; i++)
			for (size_t k = 0; k < c.pcs_rows[i].pc_nrevs; k++)
				if (strlen(c.pcs_rows[i].pc_revs[k]) > REV_MAX)
					abort();
		for (size_t i = 0; i < c.pcs_n; i++) {
			if (proto_change_first_gen_doc(&c.pcs_rows[i], &json,
			    &len) != CB_OK)
				continue;
			yyjson_doc *d = yyjson_read(json, len, 0);
			if (d == NULL || !yyjson_is_obj(yyjson_obj_get(
			    yyjson_doc_get_root(d), "_revisions")))
				abort();
			yyjson_doc_free(d);
			free(json);
		}
		if (strlen(c.pcs_last_seq) > PROTO_SEQ_MAX)
			abort();
		if (proto_seq_query(c.pcs_last_seq, &q) == CB_OK) {
			if (strlen(q) > PROTO_SEQ_MAX * 3)
				abort();
			free(q);
		}
		proto_changes_free(&c);
	}
	return 0;
}
