/*
 * fuzz_records.c: record validation (core/records.c) over arbitrary bytes.
 * Anything accepted must name a known type and keep being accepted; a
 * refusal must name why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "core/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_err e;
	enum rec_type t;
	char msg[160];

	if (rec_validate((const char *)data, size, &t, &e) == CB_OK) {
		if (rec_type_name(t) == NULL)
			abort();
	} else {
		if (e.re_why == REC_OK)
			abort();
		rec_err_message(&e, msg, sizeof(msg));
	}
	(void)rec_date_valid((const char *)data, size);
	(void)rec_class_id_valid((const char *)data, size);
	(void)rec_local_dt_valid((const char *)data, size);
	return 0;
}
