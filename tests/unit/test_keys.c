/*
 * test_keys.c: the key hierarchy, without a TPM (the file) and with a
 * real one (swtpm): init, unlock, the recovery key (right, wrong,
 * mistyped, rotated), escrow, re-sealing on a new TPM, PCR refusal, the
 * KEKs as keystores, taking over the old file keystore's KEK, damaged and
 * foreign files.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include "base/cb.h"
#include "base/rng.h"
#include "keys/escrow.h"
#include "keys/keys.h"
#include "tpm/tpm.h"
#include "t.h"
#include "swtpm.h"

static char err[256];

static char *
scratch(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/cb-keys.XXXXXX");
	return mkdtemp(dir);
}

static void
rm_rf(const char *dir)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static struct keys_options
opts(const char *dir, const char *tpm)
{
	struct keys_options o = { .ko_dir = dir, .ko_tpm = tpm,
	    .ko_err = err, .ko_err_size = sizeof(err) };

	err[0] = '\0';
	return o;
}

static int
has(const char *dir, const char *name)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0;
}

static size_t
slurp(const char *dir, const char *name, uint8_t *buf, size_t cap)
{
	char p[256];
	FILE *f;
	size_t n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "rb")) != NULL) {
		n = fread(buf, 1, cap, f);
		fclose(f);
	}
	return n;
}

static void
spit(const char *dir, const char *name, const void *buf, size_t n)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "wb")) != NULL) {
		if (fwrite(buf, 1, n, f) != n)
			fprintf(stderr, "short write %s\n", p);
		fclose(f);
	}
}

static void
key_id(const struct keys_options *o, char id[KEYS_KEY_ID_LEN + 1])
{
	struct keys *k = NULL;

	id[0] = '\0';
	if (keys_unlock(&k, o) == 0)
		keys_key_id(k, id);
	keys_close(k);
}

T_TEST(file_protection_and_keystores)
{
	char *dir = scratch(), rec[RECOVERY_TEXT_LEN + 1];
	char id[KEYS_KEY_ID_LEN + 1], id2[KEYS_KEY_ID_LEN + 1];
	struct keys_options o = opts(dir, "none");
	struct keys *k = NULL;
	struct keystore ks;
	enum keys_protection p;
	uint8_t dek[SEAL_KEY_LEN], w[SEAL_WRAPPED_LEN], back[SEAL_KEY_LEN];

	T_EQ_INT(keys_protection(dir, &p), 0);
	T_EQ_INT(p, KEYS_NONE);
	T_EQ_INT(keys_unlock(&k, &o), CB_ENOTFOUND);
	T_EQ_INT(keys_init(&k, &o, rec), 0);
	T_EQ_INT(strlen(rec), RECOVERY_TEXT_LEN);
	T_EQ_INT(keys_protection(dir, &p), 0);
	T_EQ_INT(p, KEYS_FILE);
	T_EQ_STR(keys_protection_name(p), "file");
	T_ASSERT(has(dir, "root.key") && has(dir, "root.recovery"));
	T_ASSERT(!has(dir, "root.tpm") && !has(dir, "recovery.escrow"));
	keys_key_id(k, id);
	/* A KEK that does not exist yet: made only when asked to create. */
	T_EQ_INT(keys_keystore(k, KEYS_STORE, &ks, &o), 0);
	T_EQ_INT(ks.ks_load_kek(&ks, 0), CB_ECRYPTO);
	T_ASSERT(!has(dir, "store.kek"));
	T_EQ_INT(ks.ks_load_kek(&ks, 1), 0);
	T_ASSERT(has(dir, "store.kek"));
	T_EQ_INT(seal_new_dek(dek), 0);
	T_EQ_INT(ks.ks_wrap(&ks, dek, w), 0);
	ks.ks_close(&ks);
	keys_close(k);
	/* Every later start: the same root, the same KEK. */
	key_id(&o, id2);
	T_EQ_STR(id2, id);
	T_EQ_INT(keys_unlock(&k, &o), 0);
	T_EQ_INT(keys_protected_by(k), KEYS_FILE);
	T_EQ_INT(keys_keystore(k, KEYS_STORE, &ks, &o), 0);
	keys_close(k);			/* the keystore outlives the root */
	T_EQ_INT(ks.ks_load_kek(&ks, 0), 0);
	T_EQ_INT(ks.ks_unwrap(&ks, w, back), 0);
	T_ASSERT(memcmp(back, dek, sizeof(dek)) == 0);
	/* Crypto-erase of one purpose. */
	T_EQ_INT(ks.ks_erase(&ks), 0);
	T_ASSERT(!has(dir, "store.kek"));
	T_EQ_INT(ks.ks_unwrap(&ks, w, back), CB_ECRYPTO);
	ks.ks_close(&ks);
	/* Already there. */
	T_EQ_INT(keys_init(&k, &o, rec), CB_EEXIST);
	T_ASSERT(strstr(err, "already") != NULL);
	rm_rf(dir);
}

T_TEST(recovery_right_wrong_mistyped_rotated)
{
	char *dir = scratch(), rec[RECOVERY_TEXT_LEN + 1];
	char rec2[RECOVERY_TEXT_LEN + 1], other[RECOVERY_TEXT_LEN + 1];
	char id[KEYS_KEY_ID_LEN + 1], id2[KEYS_KEY_ID_LEN + 1];
	struct keys_options o = opts(dir, "none");
	struct keys *k = NULL;
	uint8_t rk[RECOVERY_KEY_LEN];

	T_EQ_INT(keys_init(&k, &o, rec), 0);
	keys_key_id(k, id);
	keys_close(k);
	T_EQ_INT(keys_unlock_recovery(&k, &o, rec, strlen(rec)), 0);
	keys_key_id(k, id2);
	T_EQ_STR(id2, id);
	keys_close(k);
	/* A well-formed key of another box. */
	T_EQ_INT(recovery_new(rk), 0);
	recovery_format(rk, other);
	T_EQ_INT(keys_unlock_recovery(&k, &o, other, strlen(other)),
	    CB_EAUTH);
	T_ASSERT(strstr(err, "does not open") != NULL);
	T_ASSERT(k == NULL);
	/* A typo in group 5: named, before any Argon2 run. */
	memcpy(other, rec, sizeof(other));
	other[29] = other[29] == '9' ? '8' : (char)(other[29] + 1);
	T_EQ_INT(keys_unlock_recovery(&k, &o, other, strlen(other)),
	    CB_EINVAL);
	T_ASSERT(strstr(err, "group 5") != NULL);
	/* Rotation: the new key opens, the old one no longer does. */
	T_EQ_INT(keys_unlock(&k, &o), 0);
	T_EQ_INT(keys_rotate_recovery(k, &o, rec2), 0);
	keys_close(k);
	T_ASSERT(strcmp(rec, rec2) != 0);
	T_EQ_INT(keys_unlock_recovery(&k, &o, rec2, strlen(rec2)), 0);
	keys_key_id(k, id2);
	T_EQ_STR(id2, id);
	keys_close(k);
	T_EQ_INT(keys_unlock_recovery(&k, &o, rec, strlen(rec)), CB_EAUTH);
	/* Damaged recovery file: said so, nothing opens. */
	{
		uint8_t f[256];
		size_t n = slurp(dir, "root.recovery", f, sizeof(f));

		spit(dir, "root.recovery", f, n - 1);
		T_EQ_INT(keys_unlock_recovery(&k, &o, rec2, strlen(rec2)),
		    CB_EINVAL);
		T_ASSERT(strstr(err, "damaged") != NULL);
		f[20] ^= 1;		/* the salt: a header byte */
		spit(dir, "root.recovery", f, n);
		T_EQ_INT(keys_unlock_recovery(&k, &o, rec2, strlen(rec2)),
		    CB_EAUTH);
	}
	rm_rf(dir);
}

/* A P-256 escrow key pair, as the platform would hold it. */
static int
escrow_pair(char *pub, size_t pubsz, char *priv, size_t privsz)
{
	mbedtls_pk_context pk;
	int rc;

	mbedtls_pk_init(&pk);
	rc = mbedtls_pk_setup(&pk,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk),
	    cb_rng, NULL) ||
	    mbedtls_pk_write_pubkey_pem(&pk, (unsigned char *)pub, pubsz) ||
	    mbedtls_pk_write_key_pem(&pk, (unsigned char *)priv, privsz);
	mbedtls_pk_free(&pk);
	return rc;
}

T_TEST(escrow_to_the_platform)
{
	char *dir = scratch(), rec[RECOVERY_TEXT_LEN + 1];
	char rec2[RECOVERY_TEXT_LEN + 1], pub[1024], priv[1024];
	char pub2[1024], priv2[1024];
	struct keys_options o = opts(dir, "none");
	struct keys *k = NULL;
	uint8_t blob[ESCROW_LEN + 8], rk[RECOVERY_KEY_LEN];
	uint8_t got[RECOVERY_KEY_LEN];
	enum recovery_problem why;
	int group;
	size_t n;

	T_EQ_INT(escrow_pair(pub, sizeof(pub), priv, sizeof(priv)), 0);
	T_EQ_INT(escrow_pair(pub2, sizeof(pub2), priv2, sizeof(priv2)), 0);
	o.ko_escrow_pem = pub;
	o.ko_escrow_len = strlen(pub) + 1;
	T_EQ_INT(keys_init(&k, &o, rec), 0);
	n = slurp(dir, "recovery.escrow", blob, sizeof(blob));
	T_EQ_INT(n, ESCROW_LEN);
	T_EQ_INT(recovery_parse(rec, strlen(rec), rk, &why, &group), 0);
	T_ASSERT(memmem(blob, n, rk, sizeof(rk)) == NULL);
	/* The platform opens it; another key does not. */
	T_EQ_INT(escrow_open(priv, strlen(priv) + 1, blob, n, got), 0);
	T_ASSERT(memcmp(got, rk, sizeof(rk)) == 0);
	T_EQ_INT(escrow_open(priv2, strlen(priv2) + 1, blob, n, got),
	    CB_EINVAL);
	blob[n - 1] ^= 1;
	T_EQ_INT(escrow_open(priv, strlen(priv) + 1, blob, n, got),
	    CB_ECRYPTO);
	/* Rotated without an escrow key: the stale blob goes. */
	o.ko_escrow_pem = NULL;
	T_EQ_INT(keys_rotate_recovery(k, &o, rec2), 0);
	T_ASSERT(!has(dir, "recovery.escrow"));
	/* Rotated with the platform's new key. */
	o.ko_escrow_pem = pub2;
	o.ko_escrow_len = strlen(pub2) + 1;
	T_EQ_INT(keys_rotate_recovery(k, &o, rec2), 0);
	n = slurp(dir, "recovery.escrow", blob, sizeof(blob));
	T_EQ_INT(escrow_open(priv2, strlen(priv2) + 1, blob, n, got), 0);
	T_EQ_INT(recovery_parse(rec2, strlen(rec2), rk, &why, &group), 0);
	T_ASSERT(memcmp(got, rk, sizeof(rk)) == 0);
	/* Not a P-256 public key: refused, nothing half done. */
	o.ko_escrow_pem = "not a key";
	o.ko_escrow_len = 10;
	T_EQ_INT(keys_rotate_recovery(k, &o, rec2), CB_EINVAL);
	T_ASSERT(strstr(err, "P-256") != NULL);
	keys_close(k);
	rm_rf(dir);
}

/* The file keystore's clear KEK (today's DATA/keys/kek) is taken over:
 * what it wrapped opens unchanged under the hierarchy's keystore. */
T_TEST(adopt_the_file_keystore_kek)
{
	char *dir = scratch(), legacy[128], rec[RECOVERY_TEXT_LEN + 1];
	struct keys_options o = opts(dir, "none");
	struct keys *k = NULL;
	struct keystore fks, ks;
	uint8_t dek[SEAL_KEY_LEN], w[SEAL_WRAPPED_LEN], back[SEAL_KEY_LEN];

	snprintf(legacy, sizeof(legacy), "%s/kek", dir);
	T_EQ_INT(keystore_file_init(&fks, dir), 0);
	T_EQ_INT(fks.ks_load_kek(&fks, 1), 0);
	T_EQ_INT(seal_new_dek(dek), 0);
	T_EQ_INT(fks.ks_wrap(&fks, dek, w), 0);
	fks.ks_close(&fks);
	T_EQ_INT(keys_init(&k, &o, rec), 0);
	T_EQ_INT(keys_adopt_kek(k, KEYS_STORE, legacy, &o), 0);
	T_ASSERT(!has(dir, "kek") && has(dir, "store.kek"));
	T_EQ_INT(keys_keystore(k, KEYS_STORE, &ks, &o), 0);
	T_EQ_INT(ks.ks_load_kek(&ks, 0), 0);
	T_EQ_INT(ks.ks_unwrap(&ks, w, back), 0);
	T_ASSERT(memcmp(back, dek, sizeof(dek)) == 0);
	ks.ks_close(&ks);
	T_EQ_INT(keys_adopt_kek(k, KEYS_STORE, legacy, &o), CB_EEXIST);
	keys_close(k);
	rm_rf(dir);
}

/* KEK files that are damaged, or belong to another box's hierarchy. */
T_TEST(foreign_and_damaged_kek_files)
{
	char *base = scratch(), a[96], b[96], rec[RECOVERY_TEXT_LEN + 1];
	struct keys_options oa, ob;
	struct keys *ka = NULL, *kb = NULL;
	struct keystore ks;
	uint8_t f[128];
	size_t n;

	snprintf(a, sizeof(a), "%s/a", base);
	snprintf(b, sizeof(b), "%s/b", base);
	oa = opts(a, "none");
	T_EQ_INT(keys_init(&ka, &oa, rec), 0);
	ob = opts(b, "none");
	T_EQ_INT(keys_init(&kb, &ob, rec), 0);
	T_EQ_INT(keys_keystore(ka, KEYS_AUTH, &ks, &oa), 0);
	T_EQ_INT(ks.ks_load_kek(&ks, 1), 0);
	ks.ks_close(&ks);
	n = slurp(a, "auth.kek", f, sizeof(f));
	spit(b, "auth.kek", f, n);
	T_EQ_INT(keys_keystore(kb, KEYS_AUTH, &ks, &ob), CB_ECRYPTO);
	T_ASSERT(strstr(err, "not made under this box's root key") != NULL);
	/* Filed under another purpose's name. */
	spit(a, "backup.kek", f, n);
	T_EQ_INT(keys_keystore(ka, KEYS_BACKUP, &ks, &oa), CB_EINVAL);
	T_ASSERT(strstr(err, "damaged") != NULL);
	spit(a, "auth.kek", f, n - 1);
	T_EQ_INT(keys_keystore(ka, KEYS_AUTH, &ks, &oa), CB_EINVAL);
	keys_close(ka);
	keys_close(kb);
	rm_rf(base);
}

static void
swtpm_dir(char *out, size_t size, const char *base, const char *name)
{
	snprintf(out, size, "%s/%s", base, name);
}

T_TEST(tpm_seal_new_tpm_recovery_reseal)
{
	char *base = scratch(), dir[96], ta[96], tb[96];
	char rec[RECOVERY_TEXT_LEN + 1], id[KEYS_KEY_ID_LEN + 1];
	char id2[KEYS_KEY_ID_LEN + 1];
	struct swtpm a, b;
	struct keys_options o;
	struct keys *k = NULL;
	enum keys_protection p;

	snprintf(dir, sizeof(dir), "%s/keys", base);
	swtpm_dir(ta, sizeof(ta), base, "tpm-a");
	swtpm_dir(tb, sizeof(tb), base, "tpm-b");
	T_EQ_INT(swtpm_start(&a, ta), 0);
	o = opts(dir, a.sw_sock);
	T_EQ_INT(keys_init(&k, &o, rec), 0);
	T_EQ_INT(keys_protected_by(k), KEYS_TPM);
	keys_key_id(k, id);
	keys_close(k);
	T_EQ_INT(keys_protection(dir, &p), 0);
	T_EQ_INT(p, KEYS_TPM);
	T_ASSERT(has(dir, "root.tpm") && !has(dir, "root.key"));
	key_id(&o, id2);
	T_EQ_STR(id2, id);
	/* Reboot: the same TPM, PCRs reset, the same root. */
	swtpm_stop(&a);
	T_EQ_INT(swtpm_start(&a, ta), 0);
	key_id(&o, id2);
	T_EQ_STR(id2, id);
	swtpm_stop(&a);
	/* The disk in another box: its TPM opens nothing... */
	T_EQ_INT(swtpm_start(&b, tb), 0);
	o = opts(dir, b.sw_sock);
	T_EQ_INT(keys_unlock(&k, &o), CB_ECRYPTO);
	T_ASSERT(strstr(err, "another TPM") != NULL);
	T_ASSERT(strstr(err, "recovery key") != NULL);
	/* ...until the recovery key is typed; then it is sealed to it. */
	T_EQ_INT(keys_unlock_recovery(&k, &o, rec, strlen(rec)), 0);
	T_EQ_INT(keys_reseal(k, &o), 0);
	keys_close(k);
	key_id(&o, id2);
	T_EQ_STR(id2, id);
	swtpm_stop(&b);
	/* And the first TPM no longer opens the re-sealed blob. */
	T_EQ_INT(swtpm_start(&a, ta), 0);
	o = opts(dir, a.sw_sock);
	T_EQ_INT(keys_unlock(&k, &o), CB_ECRYPTO);
	swtpm_stop(&a);
	/* No TPM at all now: the keys say they need one. */
	o = opts(dir, "none");
	T_EQ_INT(keys_unlock(&k, &o), CB_ENOTFOUND);
	T_ASSERT(strstr(err, "has none") != NULL);
	rm_rf(base);
}

T_TEST(tpm_pcr_policy_refusal_and_file_to_tpm)
{
	char *base = scratch(), dir[96], ta[96];
	char rec[RECOVERY_TEXT_LEN + 1], id[KEYS_KEY_ID_LEN + 1];
	char id2[KEYS_KEY_ID_LEN + 1];
	struct swtpm a;
	struct keys_options o;
	struct keys *k = NULL;
	struct tpm *t = NULL;
	uint8_t ext[TPM_DIGEST_LEN];
	enum keys_protection p;

	snprintf(dir, sizeof(dir), "%s/keys", base);
	swtpm_dir(ta, sizeof(ta), base, "tpm-a");
	/* A box without a TPM gets one (or a TPM is enabled in setup). */
	o = opts(dir, "none");
	T_EQ_INT(keys_init(&k, &o, rec), 0);
	keys_key_id(k, id);
	T_EQ_INT(swtpm_start(&a, ta), 0);
	o = opts(dir, a.sw_sock);
	o.ko_pcrs = "7";
	T_EQ_INT(keys_reseal(k, &o), 0);
	keys_close(k);
	T_EQ_INT(keys_protection(dir, &p), 0);
	T_EQ_INT(p, KEYS_TPM);
	T_ASSERT(!has(dir, "root.key"));
	key_id(&o, id2);
	T_EQ_STR(id2, id);
	/* Another boot path measures into PCR 7: refused, named. */
	T_EQ_INT(tpm_open(&t, a.sw_sock), 0);
	memset(ext, 7, sizeof(ext));
	T_EQ_INT(tpm_pcr_extend(t, 7, ext), 0);
	tpm_close(t);
	T_EQ_INT(keys_unlock(&k, &o), CB_EPERM);
	T_ASSERT(strstr(err, "PCR 7") != NULL);
	/* Bad PCR lists are refused before anything is written. */
	o.ko_pcrs = "0,99";
	T_EQ_INT(keys_unlock_recovery(&k, &o, rec, strlen(rec)), 0);
	T_EQ_INT(keys_reseal(k, &o), CB_EINVAL);
	keys_close(k);
	swtpm_stop(&a);
	rm_rf(base);
}

T_MAIN()
