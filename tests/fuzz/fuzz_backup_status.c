/*
 * fuzz_backup_status.c: the backup job's status file as web reads it
 * (backup/bkstatus.c, bks_parse), and the --daily-at time.
 * A crash, leak or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backup/bkstatus.h"
#include "base/cb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bks_status s;	/* 7 KB: off the stack */
	char err[160], hhmm[8];

	if (bks_parse((const char *)data, size, &s, err, sizeof(err)) ==
	    CB_OK) {
		if (s.bs_ngen > BKS_GEN_MAX ||
		    s.bs_run_stage[BKS_STAGE_MAX - 1] != '\0' ||
		    s.bs_daily_at_min >= 24 * 60)
			abort();
		for (size_t i = 0; i < s.bs_ngen; i++)
			if (strchr(s.bs_gen[i].bg_name, '/') != NULL)
				abort();
	}
	if (size < sizeof(hhmm)) {
		memcpy(hhmm, data, size);
		hhmm[size] = '\0';
		int m = bks_parse_hhmm(hhmm);

		if (m < -1 || m >= 24 * 60)
			abort();
	}
	return 0;
}
