/*
 * bootenv.h: the A/B boot state GRUB reads (docs/update.md). Two GRUB
 * environment blocks on the ESP, EFI/classbox/env1 and env2, each a
 * 1024-byte file written in place:
 *
 *   # GRUB Environment Block
 *   seq=N        sequence number; the valid block with the higher one wins
 *   slot=A|B     the slot to boot
 *   tries=3|2|1|0|(empty)   empty: slot committed; 3-1: trial boots left
 *                (GRUB steps it down in place); 0: trials used up, GRUB
 *                boots the other slot
 *   end=N        equal to seq: a block torn by a power cut mid-write has a
 *                new seq and an old end (or no end) and is ignored
 *   ####...      padding to 1024 bytes
 *
 * Userspace writes only the older (or invalid) block, with seq = newest+1,
 * and fsyncs it: the current block is never touched, so any torn write
 * leaves the previous state in force.
 */
#ifndef UPDATE_BOOTENV_H
#define UPDATE_BOOTENV_H

#include <stddef.h>
#include <stdint.h>

#define BOOTENV_SIZE	1024
#define BOOTENV_HEADER	"# GRUB Environment Block\n"
#define BOOTENV_TRIES	3		/* trial boots of a new slot */
#define BOOTENV_NO_TRIES (-1)		/* committed */

struct bootenv {
	int be_valid;
	uint64_t be_seq;
	char be_slot;			/* 'A' or 'B' */
	int be_tries;			/* BOOTENV_NO_TRIES or 0..3 */
};

struct bootstate {
	struct bootenv bs_env[2];	/* env1, env2 */
	int bs_cur;			/* index of the current block, -1: none */
};

/* One block (exactly BOOTENV_SIZE bytes): sets e->be_valid. Always
 * returns 0; a block GRUB would not use is simply not valid. */
void bootenv_parse(const char *buf, size_t len, struct bootenv *e);
void bootenv_format(const struct bootenv *e, char *out);

/* Read both blocks from ESP_DIR/EFI/classbox/env{1,2}. A missing or
 * unreadable file is an invalid block, not an error. */
void bootstate_read(const char *esp_dir, struct bootstate *s);

/* What GRUB boots next from this state (the same rules as grub.cfg):
 * the slot, and 1 when it is a trial. None valid: A, as GRUB does. */
char bootstate_next(const struct bootstate *s, int *trial);

/* The one durable write: the older (or invalid) block becomes
 * (newest seq + 1, slot, tries), fsynced. Updates s. */
int bootstate_write(const char *esp_dir, struct bootstate *s, char slot,
    int tries);

#endif
