/*
 * recovery.h: the recovery key as a person reads, prints and types it.
 *
 *   123456-234567-345678-456789-567890-678901-789012-890123
 *
 * Eight groups of six digits, as BitLocker's recovery password: each
 * group is 11 times a 16-bit number, so the key carries 128 random bits
 * and every group checks itself. A single mistyped digit, or two
 * neighbouring digits swapped, makes a group's number not a multiple of
 * 11, and the parser names that group before any key is derived (no
 * Argon2 run is wasted on a typo, and the person is told where to look).
 * Digits only: nothing to confuse (0/O, 1/l), easy on a Japanese
 * keyboard; full-width digits and the usual dashes and spaces an IME
 * produces are accepted.
 *
 * Pure: no I/O. Fuzzed by tests/fuzz/fuzz_recovery_key.c.
 */
#ifndef KEYS_RECOVERY_H
#define KEYS_RECOVERY_H

#include <stddef.h>
#include <stdint.h>

#define RECOVERY_GROUPS		8
#define RECOVERY_GROUP_DIGITS	6
#define RECOVERY_GROUP_CHECK	11	/* each group is a multiple of it */
#define RECOVERY_KEY_LEN	16	/* 8 groups x 16 bits */
#define RECOVERY_TEXT_LEN	(RECOVERY_GROUPS * (RECOVERY_GROUP_DIGITS + 1) - 1)
#define RECOVERY_INPUT_MAX	256	/* bytes a person may type */

/* Why a typed key was refused. */
enum recovery_problem {
	RECOVERY_OK,
	RECOVERY_BAD_CHAR,	/* something other than digits and dashes */
	RECOVERY_TOO_SHORT,	/* fewer than 48 digits */
	RECOVERY_TOO_LONG,	/* more than 48 digits, or too many bytes */
	RECOVERY_BAD_GROUP,	/* a group fails its check: a typo there */
};

/* A new random key. */
int recovery_new(uint8_t key[RECOVERY_KEY_LEN]);
/* The printed form, NUL-terminated (RECOVERY_TEXT_LEN + 1 bytes). */
void recovery_format(const uint8_t key[RECOVERY_KEY_LEN],
    char out[RECOVERY_TEXT_LEN + 1]);
/* Parse what a person typed. CB_EINVAL with *problem set, and *group the
 * first failing group (1..8) for RECOVERY_BAD_GROUP, else 0. */
int recovery_parse(const char *text, size_t len,
    uint8_t key[RECOVERY_KEY_LEN], enum recovery_problem *problem,
    int *group);
/* The refusal in words (English; the UI says it in its language from
 * problem and group). */
void recovery_problem_text(enum recovery_problem problem, int group,
    char *out, size_t size);
/* Group i (1..8) as printed, for "type group 3 back" (7 bytes). */
void recovery_group(const uint8_t key[RECOVERY_KEY_LEN], int i,
    char out[RECOVERY_GROUP_DIGITS + 1]);

#endif
