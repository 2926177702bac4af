/*
 * fuzz_recovery_key.c: what a person types as the recovery key (console,
 * first-setup page). A key that parses must print and parse back to the
 * same 16 bytes; a refusal must say why. A crash, leak or sanitizer
 * report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "keys/recovery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[RECOVERY_KEY_LEN], back[RECOVERY_KEY_LEN];
	char text[RECOVERY_TEXT_LEN + 1], msg[200];
	enum recovery_problem why;
	int group;

	if (recovery_parse((const char *)data, size, key, &why, &group) != 0) {
		if (why == RECOVERY_OK ||
		    (why == RECOVERY_BAD_GROUP) != (group >= 1 && group <= 8))
			abort();
		recovery_problem_text(why, group, msg, sizeof(msg));
		return 0;
	}
	recovery_format(key, text);
	if (recovery_parse(text, strlen(text), back, &why, &group) != 0 ||
	    memcmp(key, back, sizeof(key)) != 0)
		abort();
	return 0;
}
