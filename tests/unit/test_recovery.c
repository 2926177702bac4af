/*
 * test_recovery.c: the recovery key's printed form: round trips, every
 * single-digit typo and every swap of neighbouring digits caught and
 * named by its group, what an IME types, and the refusals.
 */
#include <stdio.h>
#include <string.h>

#include "base/cb.h"
#include "keys/recovery.h"
#include "t.h"

static int
parse(const char *s, uint8_t key[RECOVERY_KEY_LEN],
    enum recovery_problem *why, int *group)
{
	return recovery_parse(s, strlen(s), key, why, group);
}

T_TEST(round_trip)
{
	uint8_t key[RECOVERY_KEY_LEN], back[RECOVERY_KEY_LEN];
	char text[RECOVERY_TEXT_LEN + 1], g[RECOVERY_GROUP_DIGITS + 1];
	enum recovery_problem why;
	int group;

	for (int i = 0; i < 2000; i++) {
		T_EQ_INT(recovery_new(key), 0);
		if (i == 0)
			memset(key, 0, sizeof(key));
		if (i == 1)
			memset(key, 0xff, sizeof(key));
		recovery_format(key, text);
		T_EQ_INT(strlen(text), RECOVERY_TEXT_LEN);
		T_EQ_INT(parse(text, back, &why, &group), 0);
		T_ASSERT(memcmp(key, back, sizeof(key)) == 0);
		recovery_group(key, 3, g);
		T_ASSERT(memcmp(text + 14, g, 6) == 0 && text[13] == '-');
	}
	memset(key, 0xff, sizeof(key));
	recovery_format(key, text);
	T_EQ_STR(text, "720885-720885-720885-720885-720885-720885-720885-"
	    "720885");
}

/* A digit changed by d moves its group by d * 10^k, never a multiple of
 * 11; two neighbours swapped move it by 9 * (a - b) * 10^k: the same. */
T_TEST(typos_are_caught_and_named)
{
	uint8_t key[RECOVERY_KEY_LEN], back[RECOVERY_KEY_LEN];
	char text[RECOVERY_TEXT_LEN + 1], bad[RECOVERY_TEXT_LEN + 1];
	enum recovery_problem why;
	int group, caught = 0, swaps = 0;

	T_EQ_INT(recovery_new(key), 0);
	recovery_format(key, text);
	for (int pos = 0; pos < RECOVERY_TEXT_LEN; pos++) {
		if (text[pos] == '-')
			continue;
		for (char c = '0'; c <= '9'; c++) {
			if (c == text[pos])
				continue;
			memcpy(bad, text, sizeof(bad));
			bad[pos] = c;
			if (parse(bad, back, &why, &group) == CB_EINVAL &&
			    why == RECOVERY_BAD_GROUP && group == pos / 7 + 1)
				caught++;
		}
		if (pos + 1 < RECOVERY_TEXT_LEN && text[pos + 1] != '-' &&
		    text[pos] != text[pos + 1]) {
			memcpy(bad, text, sizeof(bad));
			bad[pos] = text[pos + 1];
			bad[pos + 1] = text[pos];
			T_EQ_INT(parse(bad, back, &why, &group), CB_EINVAL);
			T_EQ_INT(group, pos / 7 + 1);
			swaps++;
		}
	}
	T_EQ_INT(caught, 48 * 9);
	T_ASSERT(swaps > 0);
}

T_TEST(what_people_type)
{
	uint8_t key[RECOVERY_KEY_LEN], back[RECOVERY_KEY_LEN];
	char text[RECOVERY_TEXT_LEN + 1], typed[400];
	enum recovery_problem why;
	int group;
	size_t n = 0;

	T_EQ_INT(recovery_new(key), 0);
	recovery_format(key, text);
	/* Spaces instead of dashes, none at all, a newline at the end. */
	for (size_t i = 0, j = 0; i <= RECOVERY_TEXT_LEN; i++)
		typed[j++] = text[i] == '-' ? ' ' : text[i];
	T_EQ_INT(parse(typed, back, &why, &group), 0);
	n = 0;
	for (size_t i = 0; i < RECOVERY_TEXT_LEN; i++)
		if (text[i] != '-')
			typed[n++] = text[i];
	typed[n++] = '\n';
	typed[n] = '\0';
	T_EQ_INT(parse(typed, back, &why, &group), 0);
	T_ASSERT(memcmp(key, back, sizeof(key)) == 0);
	/* Full-width digits, with the IME's dashes: ー (U+30FC), － (U+FF0D),
	 * ‐ (U+2010), and an ideographic space (U+3000). */
	n = 0;
	for (size_t i = 0; i < RECOVERY_TEXT_LEN; i++) {
		static const char *const dash[] = { "\xe3\x83\xbc",
		    "\xef\xbc\x8d", "\xe2\x80\x90", "\xe3\x80\x80" };

		if (text[i] == '-') {
			memcpy(typed + n, dash[i % 4], 3);
			n += 3;
		} else {
			typed[n++] = (char)0xef;
			typed[n++] = (char)0xbc;
			typed[n++] = (char)(0x90 + text[i] - '0');
		}
	}
	T_EQ_INT(recovery_parse(typed, n, back, &why, &group), 0);
	T_ASSERT(memcmp(key, back, sizeof(key)) == 0);
}

T_TEST(refusals_say_why)
{
	uint8_t key[RECOVERY_KEY_LEN];
	enum recovery_problem why;
	char msg[200], big[RECOVERY_INPUT_MAX + 2];
	int group;

	T_EQ_INT(parse("", key, &why, &group), CB_EINVAL);
	T_EQ_INT(why, RECOVERY_TOO_SHORT);
	T_EQ_INT(parse("000000-000000-000000-000000-000000-000000-000000",
	    key, &why, &group), CB_EINVAL);
	T_EQ_INT(why, RECOVERY_TOO_SHORT);
	T_EQ_INT(parse("000000-000000-000000-000000-000000-000000-000000-"
	    "000000-0", key, &why, &group), CB_EINVAL);
	T_EQ_INT(why, RECOVERY_TOO_LONG);
	T_EQ_INT(parse("000000-000000-000000-000000-000000-000000-000000-"
	    "00000O", key, &why, &group), CB_EINVAL);
	T_EQ_INT(why, RECOVERY_BAD_CHAR);
	/* 999999 = 11 * 90909, past 16 bits: not a key a box printed. */
	T_EQ_INT(parse("000000-000000-000000-000000-000000-000000-999999-"
	    "000000", key, &why, &group), CB_EINVAL);
	T_EQ_INT(why, RECOVERY_BAD_GROUP);
	T_EQ_INT(group, 7);
	recovery_problem_text(why, group, msg, sizeof(msg));
	T_ASSERT(strstr(msg, "group 7") != NULL);
	T_ASSERT(strstr(msg, "37 to 42") != NULL);
	memset(big, ' ', sizeof(big));
	T_EQ_INT(recovery_parse(big, sizeof(big), key, &why, &group),
	    CB_EINVAL);
	T_EQ_INT(why, RECOVERY_TOO_LONG);
	/* A truncated full-width digit. */
	T_EQ_INT(recovery_parse("\xef\xbc", 2, key, &why, &group), CB_EINVAL);
	T_EQ_INT(why, RECOVERY_BAD_CHAR);
}

T_MAIN()
