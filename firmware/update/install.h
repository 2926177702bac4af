/*
 * install.h: installing a bundle into the inactive slot, and committing or
 * rolling back after the first boot of a new slot (docs/update.md).
 *
 * The five rules: never write the running slot; verify the signed manifest
 * and every chunk before writing anything; flip the boot choice with one
 * durable write only after the slot is written and read back; GRUB counts
 * the trial boots and falls back; commit (and raise the epoch) only after a
 * health check on the new slot.
 */
#ifndef UPDATE_INSTALL_H
#define UPDATE_INSTALL_H

#include <stddef.h>
#include <stdint.h>

#include "update/bootenv.h"
#include "update/bundle.h"

#define UPD_PATH_MAX	256

/* Where things are. The box: slots are the partitions named classbox-a and
 * classbox-b, the ESP is mounted on /run/esp, state lives on /data/update.
 * Tests: plain files. */
struct upd_ctx {
	char uc_esp[UPD_PATH_MAX];		/* has EFI/classbox/env1, env2 */
	char uc_slot[2][UPD_PATH_MAX];		/* A, B: device or file */
	char uc_state[UPD_PATH_MAX];		/* dir: state, journal, last */
	char uc_booted;				/* 'A' or 'B' */
	char uc_board[BUNDLE_BOARD_MAX];
	uint8_t uc_root_pub[BUNDLE_PUB_LEN];
	/* After the slot is written and read back: check the kernel and
	 * initramfs inside it against the manifest (mounts the squashfs).
	 * NULL: not checked (unit tests write arbitrary bytes). */
	int (*uc_check_boot_files)(const char *slot_dev,
	    const struct bundle_manifest *m, char *why, size_t why_size);
	/* Progress: phase ("verify", "write", "read-back"), done/total bytes. */
	void (*uc_progress)(void *arg, const char *phase, uint64_t done,
	    uint64_t total);
	void *uc_progress_arg;
};

/* The box's persistent update state (STATE/state). */
struct upd_state {
	uint32_t us_epoch;		/* anti-rollback: refuse bundles below */
	uint32_t us_key_floor;		/* refuse release keys below */
};

/* An install in progress or waiting for its commit (STATE/journal). */
enum upd_phase { UPD_NONE = 0, UPD_WRITING, UPD_VERIFIED, UPD_FLIPPED };
struct upd_journal {
	int uj_phase;
	char uj_slot;
	char uj_bundle[UPD_PATH_MAX];
	char uj_version[BUNDLE_VERSION_MAX];
	uint32_t uj_epoch, uj_key_floor;	/* applied at commit */
};

int upd_state_load(const struct upd_ctx *c, struct upd_state *s);
int upd_journal_load(const struct upd_ctx *c, struct upd_journal *j);

struct upd_install_opts {
	int ui_allow_rollback;		/* technician override of the epoch */
	int ui_resumed;			/* resuming an interrupted install */
};

/* Verify and install a bundle into the slot that is not booted, then flip
 * the boot choice to a trial of it. Resumes a journaled install of the
 * same bundle (chunks already in the slot are read back, not rewritten).
 * why gets the reason of a refusal. */
int upd_install(const struct upd_ctx *c, const char *bundle_path,
    const struct upd_install_opts *o, char *why, size_t why_size);

/* Verify a bundle file against the box's policy without writing. */
int upd_verify_file(const struct upd_ctx *c, const char *bundle_path,
    int allow_rollback, struct bundle_manifest *m, char *why,
    size_t why_size);

/* What the boot found, for the caller of upd_boot_check. */
enum upd_boot {
	UPD_BOOT_NORMAL,	/* a committed slot: nothing to do */
	UPD_BOOT_TRIAL,		/* first boots of a new slot: health check */
	UPD_BOOT_FELL_BACK,	/* GRUB used up the trials: recorded */
};
/* At start-up: classify the boot; after a fallback, record it and make
 * the state say the booted slot (committed). */
int upd_boot_check(const struct upd_ctx *c, enum upd_boot *out);
/* After the health check of a trial boot: commit (the booted slot becomes
 * the committed one, then the epoch rises) or give up (the other slot
 * becomes the committed one; the caller reboots). */
int upd_commit(const struct upd_ctx *c);
/* reason: UPD_WHY_HEALTH (the health check failed) or UPD_WHY_TECHNICIAN
 * (`classbox update rollback`); detail: the words for the record. */
int upd_reject(const struct upd_ctx *c, const char *reason,
    const char *detail);

/* STATE/last: the last install's outcome, kept on the data partition
 * (the admin UI shows it, `classbox update status` prints it).
 * Outcomes: */
#define UPD_LAST_INSTALLED	"installed"	/* flipped: reboot to try it */
#define UPD_LAST_COMMITTED	"committed"	/* healthy, epoch raised */
#define UPD_LAST_ROLLED_BACK	"rolled-back"	/* health check / technician */
#define UPD_LAST_FELL_BACK	"fell-back"	/* GRUB: the slot did not boot */
#define UPD_LAST_REFUSED	"refused"	/* nothing written */
#define UPD_LAST_FAILED		"failed"	/* writing the slot failed */
#define UPD_LAST_RESUMING	"resuming"	/* interrupted, started again */
#define UPD_LAST_ABANDONED	"abandoned"	/* interrupted, bundle gone */
/* Reasons (refused, failed, rolled-back): one word the UI translates. */
#define UPD_WHY_FORMAT		"format"	/* not a bundle, bad manifest */
#define UPD_WHY_TRUNCATED	"truncated"
#define UPD_WHY_SIGNATURE	"signature"	/* wrong key or changed */
#define UPD_WHY_KEY		"key"		/* release key retired */
#define UPD_WHY_BOARD		"board"
#define UPD_WHY_EPOCH		"epoch"		/* anti-rollback */
#define UPD_WHY_CHUNK		"chunk"		/* payload does not match */
#define UPD_WHY_STATE		"state"		/* trial pending, no boot state */
#define UPD_WHY_MISSING		"missing"	/* cannot open the bundle */
#define UPD_WHY_IO		"io"		/* reading or writing failed */
#define UPD_WHY_HEALTH		"health"
#define UPD_WHY_TECHNICIAN	"technician"

#define UPD_WORD_MAX	16
#define UPD_DETAIL_MAX	384
struct upd_last {
	char ul_outcome[UPD_WORD_MAX];		/* "" when none recorded */
	char ul_reason[UPD_WORD_MAX];		/* "" when none */
	char ul_version[BUNDLE_VERSION_MAX];
	char ul_slot;				/* the slot installed into */
	int ul_resumed;				/* an interrupted install */
	long long ul_time;			/* Unix seconds */
	char ul_detail[UPD_DETAIL_MAX];		/* words, for people */
};
int upd_last_load(const struct upd_ctx *c, struct upd_last *l);
/* One line for people, e.g. "update 1.2 in slot B committed (epoch 3)". */
void upd_last_text(const struct upd_last *l, char *buf, size_t size);
/* upd_last_load + upd_last_text. */
int upd_last_read(const struct upd_ctx *c, char *buf, size_t size);
/* Record an outcome (updated's own: resuming, abandoned). */
void upd_last_record(const struct upd_ctx *c, const char *outcome,
    const char *reason, const char *version, char slot, int resumed,
    const char *detail);

#endif
