/*
 * disk.h: how full the data partition is (issue 5, item 2; docs/
 * operations.md "Disk space"). The levels are named thresholds on the
 * used share and on the free bytes left, whichever is worse:
 *
 *   ok        below DISK_WARN_PCT
 *   warn      DISK_WARN_PCT: admins see a banner, /status and /metrics say so
 *   critical  DISK_CRITICAL_PCT: act now
 *   full      DISK_FULL_PCT (or < DISK_FULL_FREE): web refuses new
 *             non-essential writes (507 storage_full) so that what is left
 *             goes to the login and operation logs, which are never dropped
 *
 * The used share counts blocks reserved for root as used (what `df`
 * shows): the services do not run as root.
 */
#ifndef API_DISK_H
#define API_DISK_H

#include <stdint.h>

#define DISK_WARN_PCT		80
#define DISK_CRITICAL_PCT	90
#define DISK_FULL_PCT		95
#define DISK_FULL_FREE		(32ULL << 20)	/* room kept for the logs */
#define DISK_CHECK_MS		2000		/* statvfs at most this often */

enum disk_level { DISK_OK = 0, DISK_WARN, DISK_CRITICAL, DISK_FULL };

struct disk_state {
	uint64_t ds_total, ds_avail;	/* bytes; avail: for non-root */
	unsigned ds_used_pct;		/* 0..100, rounded up */
	enum disk_level ds_level;
	int ds_known;			/* statvfs answered */
};

/* Pure: the level of a partition of total bytes with avail free. */
enum disk_level disk_level_of(uint64_t total, uint64_t avail,
    unsigned *used_pct);
const char *disk_level_name(enum disk_level l);

struct api;
/* The data partition's state, from a statvfs at most every DISK_CHECK_MS. */
void api_disk(struct api *a, struct disk_state *out);

#endif
