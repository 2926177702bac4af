/*
 * fuzz_conflict_merge.c: a teacher's merge request (POST
 * /api/v1/conflicts/{id}/resolve, core/conflict.c conflict_merge_parse)
 * over arbitrary bytes. Accepted: a text and 2..16 distinct, valid
 * revisions; refused: the field at fault is named.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "base/cb.h"
#include "core/conflict.h"
#include "store/revtree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conflict_merge_req q;
	const char *bad = NULL;
	int missing = 0;
	yyjson_doc *d = yyjson_read((const char *)data, size, 0);
	uint32_t gen;
	const char *hash;
	size_t hl;

	if (conflict_merge_parse(yyjson_doc_get_root(d), &q, &bad,
	    &missing) == CB_OK) {
		if (q.cm_text == NULL || q.cm_nrevs < CONFLICT_MERGE_MIN ||
		    q.cm_nrevs > CONFLICT_MERGE_MAX)
			abort();
		for (size_t i = 0; i < q.cm_nrevs; i++) {
			if (rev_parse(q.cm_revs[i], strlen(q.cm_revs[i]), &gen,
			    &hash, &hl) != CB_OK)
				abort();
			for (size_t k = 0; k < i; k++)
				if (strcmp(q.cm_revs[k], q.cm_revs[i]) == 0)
					abort();
		}
	} else if (bad == NULL || (strcmp(bad, "text") && strcmp(bad, "revs")))
		abort();
	yyjson_doc_free(d);
	return 0;
}
