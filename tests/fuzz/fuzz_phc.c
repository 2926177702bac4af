/*
 * fuzz_phc.c: arbitrary bytes as a stored password hash, to the PHC
 * decoder (password_phc_decode) and password_needs_rehash, which read
 * every hash the account store hands the auth workers. Invariants: what
 * is accepted is within the PASSWORD_PHC_* bounds, and, the format being
 * canonical, encoding it again gives back exactly the input.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/password.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct password_phc h;
	char s[PASSWORD_PHC_MAX + 1], again[PASSWORD_PHC_MAX];
	int rc;

	rc = password_phc_decode((const char *)data, size, &h);
	/* The same bytes as a C string (when they hold no NUL): rehash
	 * reads them with the same decoder. */
	if (size < sizeof(s) && memchr(data, '\0', size) == NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
		if (password_needs_rehash(s) == 0)
			assert(rc == 0);
	}
	if (rc != 0)
		return 0;
	assert(size < PASSWORD_PHC_MAX);
	assert(h.ph_m_kib >= PASSWORD_PHC_M_MIN_KIB * h.ph_p &&
	    h.ph_m_kib <= PASSWORD_PHC_M_MAX_KIB);
	assert(h.ph_t >= 1 && h.ph_t <= PASSWORD_PHC_T_MAX);
	assert(h.ph_p >= 1 && h.ph_p <= PASSWORD_PHC_P_MAX);
	assert(h.ph_salt_len >= PASSWORD_PHC_SALT_MIN &&
	    h.ph_salt_len <= PASSWORD_PHC_SALT_MAX);
	assert(h.ph_hash_len >= PASSWORD_PHC_HASH_MIN &&
	    h.ph_hash_len <= PASSWORD_PHC_HASH_MAX);
	rc = password_phc_encode(&h, again, sizeof(again));
	assert(rc == 0);
	assert(strlen(again) == size && memcmp(again, data, size) == 0);
	return 0;
}
