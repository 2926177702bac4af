/*
 * seal.c: AES-256-GCM sealing of stored values, and the file keystore that
 * wraps the data key. The only file of the store that touches mbedTLS's
 * ciphers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/gcm.h>

#include "base/cb.h"
#include "base/file.h"
#include "store/seal.h"

#define SEAL_VERSION	1
#define KEK_FILE	"kek"

struct seal {
	mbedtls_gcm_context s_gcm;
};

static int
gcm_seal(mbedtls_gcm_context *gcm, const uint8_t *ad, size_t adlen,
    const void *in, size_t len, uint8_t *out)
{
	uint8_t *nonce = out + 1, *ct = out + 1 + SEAL_NONCE_LEN;

	out[0] = SEAL_VERSION;
	if (cb_random(nonce, SEAL_NONCE_LEN) != 0)
		return CB_EIO;
	if (mbedtls_gcm_crypt_and_tag(gcm, MBEDTLS_GCM_ENCRYPT, len, nonce,
	    SEAL_NONCE_LEN, ad, adlen, in, ct, SEAL_TAG_LEN, ct + len) != 0)
		return CB_ECRYPTO;
	return CB_OK;
}

static int
gcm_open(mbedtls_gcm_context *gcm, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	size_t ctlen;

	if (len < SEAL_OVERHEAD || in[0] != SEAL_VERSION)
		return CB_ECRYPTO;
	ctlen = len - SEAL_OVERHEAD;
	if (mbedtls_gcm_auth_decrypt(gcm, ctlen, in + 1, SEAL_NONCE_LEN, ad,
	    adlen, in + len - SEAL_TAG_LEN, SEAL_TAG_LEN,
	    in + 1 + SEAL_NONCE_LEN, out) != 0) {
		cb_wipe(out, ctlen);
		return CB_ECRYPTO;
	}
	*out_len = ctlen;
	return CB_OK;
}

int
seal_new_dek(uint8_t dek[SEAL_KEY_LEN])
{
	return cb_random(dek, SEAL_KEY_LEN);
}

int
seal_new(struct seal **sp, const uint8_t dek[SEAL_KEY_LEN])
{
	struct seal *s;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CB_ENOMEM;
	mbedtls_gcm_init(&s->s_gcm);
	if (mbedtls_gcm_setkey(&s->s_gcm, MBEDTLS_CIPHER_ID_AES, dek,
	    SEAL_KEY_LEN * 8) != 0) {
		seal_free(s);
		return CB_ECRYPTO;
	}
	*sp = s;
	return CB_OK;
}

void
seal_free(struct seal *s)
{
	if (s == NULL)
		return;
	mbedtls_gcm_free(&s->s_gcm);	/* zeroizes the key schedule */
	free(s);
}

/* The associated data of a record: table, NUL, key. */
static int
seal_ad(uint8_t ad[SEAL_MAX_AD], const char *table, const void *key,
    size_t klen, size_t *adlen)
{
	size_t tlen = strlen(table);

	if (tlen + 1 + klen > SEAL_MAX_AD)
		return CB_ETOOBIG;
	memcpy(ad, table, tlen);
	ad[tlen] = 0;
	memcpy(ad + tlen + 1, key, klen);
	*adlen = tlen + 1 + klen;
	return CB_OK;
}

int
seal_value(struct seal *s, const char *table, const void *key, size_t klen,
    const void *in, size_t len, uint8_t *out)
{
	uint8_t ad[SEAL_MAX_AD];
	size_t adlen;
	int rc;

	if ((rc = seal_ad(ad, table, key, klen, &adlen)) != 0)
		return rc;
	return gcm_seal(&s->s_gcm, ad, adlen, in, len, out);
}

int
seal_unseal(struct seal *s, const char *table, const void *key, size_t klen,
    const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	uint8_t ad[SEAL_MAX_AD];
	size_t adlen;
	int rc;

	if ((rc = seal_ad(ad, table, key, klen, &adlen)) != 0)
		return rc;
	return gcm_open(&s->s_gcm, ad, adlen, in, len, out, out_len);
}

/* ---- the file keystore ---- */

struct kek_file {
	char kf_path[PATH_MAX];
	char kf_dir[PATH_MAX];
	uint8_t kf_kek[SEAL_KEY_LEN];
	int kf_loaded;
};

/* A new KEK: written to a temporary file, flushed, then renamed, so a power
 * cut leaves either no kek or a whole one. */
static int
kek_create(struct kek_file *kf)
{
	char tmp[PATH_MAX + 8];
	int rc;

	if ((rc = cb_random(kf->kf_kek, SEAL_KEY_LEN)) != 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.new", kf->kf_path);
	if ((rc = cb_file_put(kf->kf_path, tmp, kf->kf_kek, SEAL_KEY_LEN,
	    0600, 0)) != CB_OK) {
		log_err("store: cannot write the key file %s: %s",
		    kf->kf_path, strerror(errno));
		cb_wipe(kf->kf_kek, SEAL_KEY_LEN);
		return CB_EIO;
	}
	return CB_OK;
}

static int
kek_read(struct kek_file *kf)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(kf->kf_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? CB_ENOTFOUND : CB_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != SEAL_KEY_LEN) {
		log_err("store: the key file %s is not a %d-byte file: restore "
		    "it from backup", kf->kf_path, SEAL_KEY_LEN);
		close(fd);
		return CB_ECRYPTO;
	}
	/* Group read is allowed: the launcher grants it to the sync
	 * process's group on purpose (docs/sync.md); anything more is not. */
	if ((st.st_mode & 027) != 0) {
		log_warn("store: %s was open to others; set to 0%o",
		    kf->kf_path, 0600 | (unsigned)(st.st_mode & 040));
		(void)fchmod(fd, 0600 | (st.st_mode & 040));
	}
	n = read(fd, kf->kf_kek, SEAL_KEY_LEN);
	close(fd);
	if (n != SEAL_KEY_LEN) {
		cb_wipe(kf->kf_kek, SEAL_KEY_LEN);
		return CB_EIO;
	}
	return CB_OK;
}

static int
kek_load(struct keystore *ks, int create)
{
	struct kek_file *kf = ks->ks_ctx;
	int rc;

	if (kf->kf_loaded)
		return CB_OK;
	rc = kek_read(kf);
	if (rc == CB_ENOTFOUND && create)
		rc = kek_create(kf);
	else if (rc == CB_ENOTFOUND) {
		log_err("store: the key file %s is missing, so the data cannot "
		    "be decrypted (erased box, or restore the file)",
		    kf->kf_path);
		rc = CB_ECRYPTO;
	}
	if (rc == 0)
		kf->kf_loaded = 1;
	return rc;
}

int
seal_wrap_key(const uint8_t kek[SEAL_KEY_LEN], const void *ad, size_t adlen,
    const uint8_t key[SEAL_KEY_LEN], uint8_t out[SEAL_WRAPPED_LEN])
{
	mbedtls_gcm_context gcm;
	int rc;

	mbedtls_gcm_init(&gcm);
	if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, kek,
	    SEAL_KEY_LEN * 8) != 0)
		rc = CB_ECRYPTO;
	else
		rc = gcm_seal(&gcm, ad, adlen, key, SEAL_KEY_LEN, out);
	mbedtls_gcm_free(&gcm);
	return rc;
}

int
seal_unwrap_key(const uint8_t kek[SEAL_KEY_LEN], const void *ad,
    size_t adlen, const uint8_t in[SEAL_WRAPPED_LEN],
    uint8_t key[SEAL_KEY_LEN])
{
	mbedtls_gcm_context gcm;
	size_t len = 0;
	int rc;

	mbedtls_gcm_init(&gcm);
	if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, kek,
	    SEAL_KEY_LEN * 8) != 0)
		rc = CB_ECRYPTO;
	else
		rc = gcm_open(&gcm, ad, adlen, in, SEAL_WRAPPED_LEN, key, &len);
	mbedtls_gcm_free(&gcm);
	if (rc == 0 && len != SEAL_KEY_LEN) {
		cb_wipe(key, SEAL_KEY_LEN);
		rc = CB_ECRYPTO;
	}
	return rc;
}

int
seal_wrap_dek(const uint8_t kek[SEAL_KEY_LEN], const uint8_t dek[SEAL_KEY_LEN],
    uint8_t out[SEAL_WRAPPED_LEN])
{
	return seal_wrap_key(kek, SEAL_DEK_AD, strlen(SEAL_DEK_AD), dek, out);
}

int
seal_unwrap_dek(const uint8_t kek[SEAL_KEY_LEN],
    const uint8_t in[SEAL_WRAPPED_LEN], uint8_t dek[SEAL_KEY_LEN])
{
	return seal_unwrap_key(kek, SEAL_DEK_AD, strlen(SEAL_DEK_AD), in, dek);
}

static int
kek_wrap(struct keystore *ks, const uint8_t dek[SEAL_KEY_LEN],
    uint8_t out[SEAL_WRAPPED_LEN])
{
	struct kek_file *kf = ks->ks_ctx;

	return kf->kf_loaded ? seal_wrap_dek(kf->kf_kek, dek, out) : CB_ECRYPTO;
}

static int
kek_unwrap(struct keystore *ks, const uint8_t in[SEAL_WRAPPED_LEN],
    uint8_t dek[SEAL_KEY_LEN])
{
	struct kek_file *kf = ks->ks_ctx;

	return kf->kf_loaded ? seal_unwrap_dek(kf->kf_kek, in, dek) :
	    CB_ECRYPTO;
}

/* Overwrite the file in place with random bytes, flush, then unlink. On
 * flash the old blocks may survive in the controller; a TPM keystore is
 * the real answer, this one does what a file can. */
static int
kek_erase(struct keystore *ks)
{
	struct kek_file *kf = ks->ks_ctx;
	uint8_t junk[SEAL_KEY_LEN];
	int fd, rc = CB_OK;

	cb_wipe(kf->kf_kek, SEAL_KEY_LEN);
	kf->kf_loaded = 0;
	fd = open(kf->kf_path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		if (cb_random(junk, sizeof(junk)) != 0 ||
		    cb_write_all(fd, junk, sizeof(junk)) != 0 || fsync(fd) != 0)
			rc = CB_EIO;
		close(fd);
	} else if (errno != ENOENT)
		rc = CB_EIO;
	if (unlink(kf->kf_path) != 0 && errno != ENOENT)
		rc = CB_EIO;
	if (cb_fsync_dir(kf->kf_dir) != 0)
		rc = CB_EIO;
	return rc;
}

static void
kek_close(struct keystore *ks)
{
	struct kek_file *kf = ks->ks_ctx;

	if (kf != NULL) {
		cb_wipe(kf, sizeof(*kf));
		free(kf);
	}
	ks->ks_ctx = NULL;
}

int
keystore_file_init(struct keystore *ks, const char *dir)
{
	struct kek_file *kf;

	memset(ks, 0, sizeof(*ks));
	if ((kf = calloc(1, sizeof(*kf))) == NULL)
		return CB_ENOMEM;
	if (cb_strlcpy(kf->kf_dir, dir, sizeof(kf->kf_dir)) != 0 ||
	    (size_t)snprintf(kf->kf_path, sizeof(kf->kf_path), "%s/%s", dir,
	    KEK_FILE) >= sizeof(kf->kf_path)) {
		free(kf);
		return CB_ETOOBIG;
	}
	ks->ks_ctx = kf;
	ks->ks_load_kek = kek_load;
	ks->ks_wrap = kek_wrap;
	ks->ks_unwrap = kek_unwrap;
	ks->ks_erase = kek_erase;
	ks->ks_close = kek_close;
	return CB_OK;
}
