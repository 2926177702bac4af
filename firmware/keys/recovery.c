/*
 * recovery.c: the recovery key's digit groups.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "base/cb.h"
#include "keys/recovery.h"

#define RECOVERY_DIGITS	(RECOVERY_GROUPS * RECOVERY_GROUP_DIGITS)

int
recovery_new(uint8_t key[RECOVERY_KEY_LEN])
{
	return cb_random(key, RECOVERY_KEY_LEN);
}

static unsigned
group_value(const uint8_t key[RECOVERY_KEY_LEN], int i)
{
	assert(i >= 0 && i < RECOVERY_GROUPS);
	return (unsigned)key[2 * i] << 8 | key[2 * i + 1];
}

void
recovery_group(const uint8_t key[RECOVERY_KEY_LEN], int i,
    char out[RECOVERY_GROUP_DIGITS + 1])
{
	assert(i >= 1 && i <= RECOVERY_GROUPS);
	/* 65535 * 11 = 720885: always six digits with leading zeros. */
	snprintf(out, RECOVERY_GROUP_DIGITS + 1, "%06u",
	    group_value(key, i - 1) * RECOVERY_GROUP_CHECK);
}

void
recovery_format(const uint8_t key[RECOVERY_KEY_LEN],
    char out[RECOVERY_TEXT_LEN + 1])
{
	char g[RECOVERY_GROUP_DIGITS + 1];
	size_t n = 0;

	for (int i = 1; i <= RECOVERY_GROUPS; i++) {
		recovery_group(key, i, g);
		if (i > 1)
			out[n++] = '-';
		memcpy(out + n, g, RECOVERY_GROUP_DIGITS);
		n += RECOVERY_GROUP_DIGITS;
	}
	assert(n == RECOVERY_TEXT_LEN);
	out[n] = '\0';
}

/* One character of s at *i: a digit's value (0..9), -1 for a separator,
 * -2 for anything else. ASCII and the full-width forms an IME types. */
static int
next_char(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];

	if (c >= '0' && c <= '9') {
		(*i)++;
		return c - '0';
	}
	if (c == '-' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
		(*i)++;
		return -1;
	}
	if (c == 0xEF && *i + 2 < len && s[*i + 1] == 0xBC &&
	    s[*i + 2] >= 0x90 && s[*i + 2] <= 0x99) {	/* U+FF10..FF19 */
		*i += 3;
		return s[*i - 1] - 0x90;
	}
	if ((c == 0xEF && *i + 2 < len && s[*i + 1] == 0xBC &&
	    s[*i + 2] == 0x8D) ||				/* U+FF0D */
	    (c == 0xE3 && *i + 2 < len && s[*i + 1] == 0x80 &&
	    s[*i + 2] == 0x80) ||				/* U+3000 */
	    (c == 0xE3 && *i + 2 < len && s[*i + 1] == 0x83 &&
	    s[*i + 2] == 0xBC) ||				/* U+30FC */
	    (c == 0xE2 && *i + 2 < len && s[*i + 1] == 0x80 &&
	    s[*i + 2] >= 0x90 && s[*i + 2] <= 0x95)) {	/* U+2010..2015 */
		*i += 3;
		return -1;
	}
	return -2;
}

/* The 48 digits of text, separators dropped. */
static enum recovery_problem
collect_digits(const char *text, size_t len, uint8_t d[RECOVERY_DIGITS])
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n = 0;

	if (len > RECOVERY_INPUT_MAX)
		return RECOVERY_TOO_LONG;
	while (i < len) {
		int v = next_char(s, len, &i);

		if (v == -2)
			return RECOVERY_BAD_CHAR;
		if (v < 0)
			continue;
		if (n == RECOVERY_DIGITS)
			return RECOVERY_TOO_LONG;
		d[n++] = (uint8_t)v;
	}
	return n == RECOVERY_DIGITS ? RECOVERY_OK : RECOVERY_TOO_SHORT;
}

int
recovery_parse(const char *text, size_t len, uint8_t key[RECOVERY_KEY_LEN],
    enum recovery_problem *problem, int *group)
{
	uint8_t d[RECOVERY_DIGITS];

	*group = 0;
	memset(key, 0, RECOVERY_KEY_LEN);
	if ((*problem = collect_digits(text, len, d)) != RECOVERY_OK)
		goto bad;
	for (int g = 0; g < RECOVERY_GROUPS; g++) {
		unsigned v = 0;

		for (int j = 0; j < RECOVERY_GROUP_DIGITS; j++)
			v = v * 10 + d[g * RECOVERY_GROUP_DIGITS + j];
		if (v % RECOVERY_GROUP_CHECK != 0 ||
		    v / RECOVERY_GROUP_CHECK > 0xFFFF) {
			*problem = RECOVERY_BAD_GROUP;
			*group = g + 1;
			goto bad;
		}
		v /= RECOVERY_GROUP_CHECK;
		key[2 * g] = (uint8_t)(v >> 8);
		key[2 * g + 1] = (uint8_t)v;
	}
	cb_wipe(d, sizeof(d));
	return CB_OK;
bad:
	cb_wipe(d, sizeof(d));
	memset(key, 0, RECOVERY_KEY_LEN);
	return CB_EINVAL;
}

void
recovery_problem_text(enum recovery_problem problem, int group, char *out,
    size_t size)
{
	switch (problem) {
	case RECOVERY_OK:
		snprintf(out, size, "the recovery key is well-formed");
		break;
	case RECOVERY_BAD_CHAR:
		snprintf(out, size, "the recovery key has only digits and "
		    "dashes: check what was typed");
		break;
	case RECOVERY_TOO_SHORT:
		snprintf(out, size, "the recovery key is 48 digits (8 groups "
		    "of 6): some are missing");
		break;
	case RECOVERY_TOO_LONG:
		snprintf(out, size, "the recovery key is 48 digits (8 groups "
		    "of 6): there are too many");
		break;
	case RECOVERY_BAD_GROUP:
		snprintf(out, size, "group %d of the recovery key is mistyped "
		    "(digits %d to %d): check it against the printed sheet",
		    group, (group - 1) * RECOVERY_GROUP_DIGITS + 1,
		    group * RECOVERY_GROUP_DIGITS);
		break;
	}
}
