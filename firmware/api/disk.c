/*
 * disk.c: the data partition's fill level (disk.h).
 */
#include <sys/statvfs.h>
#include <string.h>

#include "api/api_impl.h"
#include "api/disk.h"
#include "base/cb.h"

enum disk_level
disk_level_of(uint64_t total, uint64_t avail, unsigned *used_pct)
{
	uint64_t used;
	unsigned pct;

	if (total == 0) {
		*used_pct = 100;
		return DISK_FULL;
	}
	if (avail > total)
		avail = total;
	used = total - avail;
	pct = (unsigned)((used * 100 + total - 1) / total);
	*used_pct = pct;
	if (pct >= DISK_FULL_PCT || avail < DISK_FULL_FREE)
		return DISK_FULL;
	if (pct >= DISK_CRITICAL_PCT)
		return DISK_CRITICAL;
	if (pct >= DISK_WARN_PCT)
		return DISK_WARN;
	return DISK_OK;
}

const char *
disk_level_name(enum disk_level l)
{
	switch (l) {
	case DISK_OK:		return "ok";
	case DISK_WARN:		return "warn";
	case DISK_CRITICAL:	return "critical";
	default:		return "full";
	}
}

void
api_disk(struct api *a, struct disk_state *out)
{
	int64_t now = cb_now_ms();
	struct statvfs sv;

	if (a->a_data_dir[0] != '\0' && (a->a_disk_at == 0 ||
	    now - a->a_disk_at >= DISK_CHECK_MS || now < a->a_disk_at)) {
		struct disk_state *d = &a->a_disk;
		enum disk_level old = d->ds_level;

		a->a_disk_at = now;
		if (statvfs(a->a_data_dir, &sv) == 0) {
			d->ds_total = (uint64_t)sv.f_blocks * sv.f_frsize;
			d->ds_avail = (uint64_t)sv.f_bavail * sv.f_frsize;
			d->ds_level = disk_level_of(d->ds_total, d->ds_avail,
			    &d->ds_used_pct);
			d->ds_known = 1;
			if (d->ds_level > old && d->ds_level >= DISK_WARN)
				log_warn("ALARM: the data partition is %u%% "
				    "full (%s)%s", d->ds_used_pct,
				    disk_level_name(d->ds_level),
				    d->ds_level == DISK_FULL ? ": new writes "
				    "are refused; the logs keep the rest" : "");
		} else {
			d->ds_known = 0;
			d->ds_level = DISK_OK;
		}
	}
	*out = a->a_disk;
}
