/*
 * bkstatus.h: the backup job's status file, DATA/backup/status.json
 * (docs/backup.md, "Status for the web UI").
 *
 * `classbox backup create` runs as root and its generations sit in a
 * directory only root may read (/data/backups, 0700). So that an admin can
 * see in the browser whether the box is backed up, every run (ok or not)
 * writes this small file, which web (another uid) may read: DATA/backup is
 * 0755 and the file 0644. It holds nothing secret: names, times, sizes,
 * whether each generation verified, the last run's outcome and the stage
 * it failed at, the target directory, --keep and the daily schedule. No
 * key, no box data, no error text (the details are in syslog, tag
 * classbox-backup).
 *
 *   {"version":1,"target":"/data/backups","keep":14,"daily_at":"02:30",
 *    "next_ms":...,"run":{"started_ms":...,"finished_ms":...,"ok":true,
 *    "stage":"done"},"generations":[{"name":"classbox-...cbbak",
 *    "created_ms":...,"bytes":...,"verified":true}, ...]}
 *
 * Generations newest first, at most BKS_GEN_MAX of them.
 */
#ifndef BKSTATUS_H
#define BKSTATUS_H

#include <stddef.h>
#include <stdint.h>

#define BKS_SUBDIR		"backup"	/* under DATA: 0755 root */
#define BKS_FILE		"backup/status.json"
#define BKS_VERSION		1
#define BKS_MAX_BYTES		(64 * 1024)	/* the file web will read */
#define BKS_GEN_MAX		64	/* generations listed, newest first */
#define BKS_NAME_MAX		64	/* a generation's file name */
#define BKS_TARGET_MAX		256
#define BKS_STAGE_MAX		16

/* Where a run stopped; "done" when it succeeded. */
#define BKS_STAGES	"target", "lock", "keys", "copy", "write", "verify", \
			"done"

struct bks_gen {
	char bg_name[BKS_NAME_MAX];
	int64_t bg_created_ms;
	int64_t bg_bytes;
	int bg_verified;		/* its .verified marker is there */
};

struct bks_status {
	char bs_target[BKS_TARGET_MAX];
	int bs_keep;
	int bs_daily_at_min;		/* minutes after local midnight; -1 */
	int64_t bs_next_ms;		/* the next scheduled run; -1 */
	int64_t bs_run_started_ms;	/* the last run; 0: none recorded */
	int64_t bs_run_finished_ms;
	int bs_run_ok;
	char bs_run_stage[BKS_STAGE_MAX];
	size_t bs_ngen;
	struct bks_gen bs_gen[BKS_GEN_MAX];
};

/* Parse the file's bytes (untrusted as any file: bounded, every field
 * checked). CB_EINVAL with a reason in err when it is not one. */
int bks_parse(const char *buf, size_t len, struct bks_status *s, char *err,
    size_t errsize);
/* Read and parse path; CB_ENOTFOUND when there is no file (no run yet). */
int bks_read(const char *path, struct bks_status *s, char *err,
    size_t errsize);
/* Write path atomically (temporary name, fsync, rename), mode 0644. */
int bks_write(const char *path, const struct bks_status *s);
/* "HH:MM" to minutes after midnight; -1 when it is not a time. */
int bks_parse_hhmm(const char *hhmm);
/* The next local time daily_at_min after now_ms (the box's zone, as
 * crond's); -1 if daily_at_min is -1. */
int64_t bks_next_run(int64_t now_ms, int daily_at_min);

#endif
