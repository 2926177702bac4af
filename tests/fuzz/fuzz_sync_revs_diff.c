/*
 * fuzz_sync_revs_diff.c: the cloud's _revs_diff answer (sync/proto.c).
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "sync/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_revs_diff d;
	size_t total = 0;

	if (proto_parse_revs_diff((const char *)data, size, 1000, &d) ==
	    CB_OK) {
		for (size_t i = 0; i < d.prd_n; i++)
			total += d.prd_rows[i].pm_nrevs;
		if (total != d.prd_total)
			abort();
		proto_revs_diff_free(&d);
	}
	return 0;
}
