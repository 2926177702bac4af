/*
 * fuzz_clock_hint.c: the HTTPS Date hint file (clock_hint_parse), written
 * by the unprivileged sync and read by root's `classbox time --https-date`.
 * Whatever it accepts must be within the file's limits, and what root then
 * decides from it (clock_step_judge) must never step behind the floor.
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock/clock.h"
#include "base/cb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t floors[] = { 0, 946684800000LL, 1795694400000LL };
	struct clock_status st;
	struct clock_hint h;
	int64_t off;
	uint32_t err;

	if (clock_hint_parse((const char *)data, size, &h) != CB_OK)
		return 0;
	if (h.ch_est_ms <= 0 || h.ch_boot_ms < 0 ||
	    h.ch_error_ms > CLOCK_HTTPS_DATE_MAX_ERROR_MS ||
	    strlen(h.ch_boot_id) != CLOCK_BOOT_ID_LEN)
		abort();
	for (size_t i = 0; i < sizeof(floors) / sizeof(floors[0]); i++) {
		memset(&st, 0, sizeof(st));
		st.cs_real_ms = floors[1];
		st.cs_floor_ms = floors[i];
		if (clock_step_judge(&h, &st, h.ch_boot_ms + 1000, &off,
		    &err) == CLOCK_STEP_GO &&
		    (st.cs_real_ms + off < st.cs_floor_ms ||
		    err > CLOCK_STEP_HINT_MAX_ERROR_MS))
			abort();
	}
	return 0;
}
