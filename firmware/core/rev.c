/*
 * rev.c: revision ids (see rev.h).
 */
#include "base/cb.h"
#include "core/rev.h"

int
rev_hash_valid(const char *s, size_t len)
{
	if (len == 0 || len > REV_HASH_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
		    c == '.' || c == '~'))
			return 0;
	}
	return 1;
}

int
rev_parse(const char *rev, size_t len, uint32_t *gen, const char **hash,
    size_t *hashlen)
{
	uint64_t g = 0;
	size_t i;

	for (i = 0; i < len && rev[i] >= '0' && rev[i] <= '9'; i++) {
		g = g * 10 + (uint64_t)(rev[i] - '0');
		if (g > REV_GEN_MAX)
			return CB_EINVAL;
	}
	if (i == 0 || i >= len || rev[i] != '-' || g == 0 || rev[0] == '0')
		return CB_EINVAL;
	if (!rev_hash_valid(rev + i + 1, len - i - 1))
		return CB_EINVAL;
	*gen = (uint32_t)g;
	*hash = rev + i + 1;
	*hashlen = len - i - 1;
	return CB_OK;
}
