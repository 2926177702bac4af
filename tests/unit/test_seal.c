/*
 * test_seal.c: sealing values (AES-256-GCM, record key as associated
 * data) and the file keystore that wraps the data key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cb.h"
#include "store/seal.h"
#include "t.h"

static char *
tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/cb-seal.XXXXXX");
	return mkdtemp(dir);
}

static void
rmdir_kek(const char *dir)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/kek", dir);
	unlink(p);
	rmdir(dir);
}

T_TEST(seal_round_trip_and_binding)
{
	uint8_t dek[SEAL_KEY_LEN], other[SEAL_KEY_LEN];
	const char msg[] = "山田太郎: 欠席 (fever)";
	uint8_t a[sizeof(msg) + SEAL_OVERHEAD], b[sizeof(a)], out[sizeof(msg)];
	struct seal *s, *s2;
	size_t n = 0;

	T_EQ_INT(seal_new_dek(dek), 0);
	T_EQ_INT(seal_new_dek(other), 0);
	T_EQ_INT(seal_new(&s, dek), 0);
	T_EQ_INT(seal_new(&s2, other), 0);
	T_EQ_INT(seal_value(s, "docs", "k1", 2, msg, sizeof(msg), a), 0);
	T_EQ_INT(seal_value(s, "docs", "k1", 2, msg, sizeof(msg), b), 0);
	T_ASSERT(memcmp(a, b, sizeof(a)) != 0);	/* fresh nonce each time */
	T_ASSERT(memmem(a, sizeof(a), "山田", strlen("山田")) == NULL);
	T_EQ_INT(seal_unseal(s, "docs", "k1", 2, a, sizeof(a), out, &n), 0);
	T_EQ_INT(n, sizeof(msg));
	T_ASSERT(memcmp(out, msg, sizeof(msg)) == 0);
	/* Moved to another key or table, or opened with another key. */
	T_EQ_INT(seal_unseal(s, "docs", "k2", 2, a, sizeof(a), out, &n),
	    CB_ECRYPTO);
	T_EQ_INT(seal_unseal(s, "bodies", "k1", 2, a, sizeof(a), out, &n),
	    CB_ECRYPTO);
	T_EQ_INT(seal_unseal(s2, "docs", "k1", 2, a, sizeof(a), out, &n),
	    CB_ECRYPTO);
	/* Any flipped bit, and any truncation. */
	for (size_t i = 0; i < sizeof(a); i += 7) {
		a[i] ^= 1;
		T_EQ_INT(seal_unseal(s, "docs", "k1", 2, a, sizeof(a), out, &n),
		    CB_ECRYPTO);
		a[i] ^= 1;
	}
	T_EQ_INT(seal_unseal(s, "docs", "k1", 2, a, SEAL_OVERHEAD - 1, out,
	    &n), CB_ECRYPTO);
	seal_free(s);
	seal_free(s2);
}

T_TEST(file_keystore_wraps_and_unwraps)
{
	uint8_t dek[SEAL_KEY_LEN], got[SEAL_KEY_LEN], w[SEAL_WRAPPED_LEN];
	struct keystore ks, ks2;
	char *dir = tmpdir(), path[128];
	struct stat st;

	T_ASSERT(dir != NULL);
	T_EQ_INT(keystore_file_init(&ks, dir), 0);
	T_EQ_INT(ks.ks_load_kek(&ks, 0), CB_ECRYPTO);	/* none yet */
	T_EQ_INT(ks.ks_load_kek(&ks, 1), 0);
	snprintf(path, sizeof(path), "%s/kek", dir);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 0777, 0600);
	T_EQ_INT(st.st_size, SEAL_KEY_LEN);
	T_EQ_INT(seal_new_dek(dek), 0);
	T_EQ_INT(ks.ks_wrap(&ks, dek, w), 0);
	T_EQ_INT(keystore_file_init(&ks2, dir), 0);
	T_EQ_INT(ks2.ks_load_kek(&ks2, 0), 0);
	T_EQ_INT(ks2.ks_unwrap(&ks2, w, got), 0);
	T_ASSERT(memcmp(got, dek, SEAL_KEY_LEN) == 0);
	w[SEAL_WRAPPED_LEN - 1] ^= 1;
	T_EQ_INT(ks2.ks_unwrap(&ks2, w, got), CB_ECRYPTO);
	ks2.ks_close(&ks2);
	/* Erased: the file is gone and nothing unwraps. */
	T_EQ_INT(ks.ks_erase(&ks), 0);
	T_ASSERT(access(path, F_OK) != 0);
	w[SEAL_WRAPPED_LEN - 1] ^= 1;
	T_EQ_INT(ks.ks_unwrap(&ks, w, got), CB_ECRYPTO);
	ks.ks_close(&ks);
	rmdir_kek(dir);
}

T_TEST(wrong_kek_does_not_unwrap)
{
	uint8_t dek[SEAL_KEY_LEN], got[SEAL_KEY_LEN], w[SEAL_WRAPPED_LEN];
	uint8_t junk[SEAL_KEY_LEN];
	char *dir = tmpdir(), path[128];
	struct keystore ks;
	FILE *f;

	T_EQ_INT(keystore_file_init(&ks, dir), 0);
	T_EQ_INT(ks.ks_load_kek(&ks, 1), 0);
	T_EQ_INT(seal_new_dek(dek), 0);
	T_EQ_INT(ks.ks_wrap(&ks, dek, w), 0);
	ks.ks_close(&ks);
	snprintf(path, sizeof(path), "%s/kek", dir);
	T_EQ_INT(cb_random(junk, sizeof(junk)), 0);
	f = fopen(path, "wb");
	T_ASSERT(f != NULL && fwrite(junk, 1, sizeof(junk), f) == 32);
	fclose(f);
	T_EQ_INT(keystore_file_init(&ks, dir), 0);
	T_EQ_INT(ks.ks_load_kek(&ks, 0), 0);
	T_EQ_INT(ks.ks_unwrap(&ks, w, got), CB_ECRYPTO);
	ks.ks_close(&ks);
	/* A truncated key file is refused, not half-read. */
	f = fopen(path, "wb");
	T_ASSERT(f != NULL && fwrite(junk, 1, 16, f) == 16);
	fclose(f);
	T_EQ_INT(keystore_file_init(&ks, dir), 0);
	T_EQ_INT(ks.ks_load_kek(&ks, 0), CB_ECRYPTO);
	ks.ks_close(&ks);
	rmdir_kek(dir);
}

T_MAIN()
