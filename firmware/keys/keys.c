/*
 * keys.c: the key hierarchy: the root key and its protectors (TPM seal or
 * file, recovery key, escrow), and the KEK of each purpose.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <argon2.h>
#include <mbedtls/sha256.h>

#include "base/cb.h"
#include "base/file.h"
#include "base/proc.h"
#include "keys/escrow.h"
#include "keys/keyfile.h"
#include "keys/keys.h"
#include "tpm/tpm.h"

#define ROOT_TPM_FILE	"root.tpm"
#define ROOT_FILE	"root.key"
#define RECOVERY_FILE	"root.recovery"
#define ESCROW_FILE	"recovery.escrow"
#define KEK_SUFFIX	".kek"
#define KEK_AD		"classbox kek v1 "
#define KEY_ID_LABEL	"classbox root id v1"

struct keys {
	char k_dir[PATH_MAX];
	uint8_t k_root[KEYS_ROOT_LEN];
	enum keys_protection k_prot;
};

static const char *const purpose_names[KEYS_NPURPOSES] = {
	[KEYS_STORE] = "store",
	[KEYS_AUTH] = "auth",
	[KEYS_AUDIT_LOGIN] = "audit-login",
	[KEYS_AUDIT_OPS] = "audit-ops",
	[KEYS_BACKUP] = "backup",
};

static int
fail(const struct keys_options *o, int rc, const char *fmt, ...)
{
	va_list ap;

	if (o != NULL && o->ko_err != NULL && o->ko_err_size > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(o->ko_err, o->ko_err_size, fmt, ap);
		va_end(ap);
	}
	return rc;
}

const char *
keys_purpose_name(enum keys_purpose p)
{
	return (unsigned)p < KEYS_NPURPOSES ? purpose_names[p] : "?";
}

const char *
keys_protection_name(enum keys_protection p)
{
	return p == KEYS_TPM ? "tpm" : p == KEYS_FILE ? "file" : "none";
}

enum keys_protection
keys_protected_by(const struct keys *k)
{
	return k->k_prot;
}

static int
path_in(char out[PATH_MAX], const char *dir, const char *name)
{
	return cb_path_join(out, PATH_MAX, dir, name);
}

static int
exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	return path_in(p, dir, name) == 0 && lstat(p, &st) == 0;
}

int
keys_protection(const char *dir, enum keys_protection *out)
{
	*out = KEYS_NONE;
	if (exists(dir, ROOT_TPM_FILE))
		*out = KEYS_TPM;
	else if (exists(dir, ROOT_FILE))
		*out = KEYS_FILE;
	return CB_OK;
}

/* A file of the hierarchy, whole: CB_ENOTFOUND when missing. */
static int
read_file(const char *dir, const char *name, uint8_t *buf, size_t cap,
    size_t *len)
{
	char p[PATH_MAX], *data = NULL;
	size_t n = 0;
	int fd, rc;

	*len = 0;
	if (path_in(p, dir, name) != 0)
		return CB_ETOOBIG;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? CB_ENOTFOUND : CB_EIO;
	rc = cb_read_fd_whole(fd, cap, &data, &n);
	close(fd);
	if (rc == 0) {
		memcpy(buf, data, n);
		*len = n;
		cb_wipe(data, n);
	}
	free(data);
	return rc;
}

static int
write_file(const char *dir, const char *name, const void *buf, size_t len)
{
	char p[PATH_MAX];

	if (path_in(p, dir, name) != 0)
		return CB_ETOOBIG;
	return cb_write_file_atomic(p, buf, len, 0600);
}

/* Overwrite with random bytes, flush, unlink, flush the directory. On
 * flash the old blocks may survive in the controller: that is why the
 * root key lives in the TPM where there is one. */
static int
erase_file(const char *dir, const char *name)
{
	uint8_t junk[KEYS_FILE_MAX];
	char p[PATH_MAX];
	struct stat st;
	int fd, rc = CB_OK;

	if (path_in(p, dir, name) != 0)
		return CB_ETOOBIG;
	if ((fd = open(p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? CB_OK : CB_EIO;
	if (fstat(fd, &st) != 0 || st.st_size > (off_t)sizeof(junk) ||
	    cb_random(junk, (size_t)st.st_size) != 0 ||
	    pwrite(fd, junk, (size_t)st.st_size, 0) != st.st_size ||
	    fsync(fd) != 0)
		rc = CB_EIO;
	close(fd);
	if (unlink(p) != 0 && errno != ENOENT)
		rc = CB_EIO;
	if (cb_fsync_dir(dir) != CB_OK)
		rc = CB_EIO;
	return rc;
}

static int
keys_new(struct keys **kp, const struct keys_options *o)
{
	struct keys *k;

	*kp = NULL;
	if (o->ko_dir == NULL)
		return fail(o, CB_EINVAL, "no key directory given");
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return fail(o, CB_ENOMEM, "out of memory");
	if (cb_strlcpy(k->k_dir, o->ko_dir, sizeof(k->k_dir)) != 0) {
		free(k);
		return fail(o, CB_ETOOBIG, "the key directory's path is too "
		    "long");
	}
	*kp = k;
	return CB_OK;
}

void
keys_close(struct keys *k)
{
	if (k == NULL)
		return;
	cb_wipe(k, sizeof(*k));
	free(k);
}

void
keys_key_id(const struct keys *k, char out[KEYS_KEY_ID_LEN + 1])
{
	uint8_t buf[sizeof(KEY_ID_LABEL) - 1 + KEYS_ROOT_LEN], h[32];

	memcpy(buf, KEY_ID_LABEL, sizeof(KEY_ID_LABEL) - 1);
	memcpy(buf + sizeof(KEY_ID_LABEL) - 1, k->k_root, KEYS_ROOT_LEN);
	(void)mbedtls_sha256(buf, sizeof(buf), h, 0);
	for (int i = 0; i < KEYS_KEY_ID_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	cb_wipe(buf, sizeof(buf));
}

/* ---- the TPM protector ---- */

/* The TPM the options name. *t is NULL (and 0 returned) when the options
 * leave it to the machine and it has none, or say "none". */
static int
open_tpm(const struct keys_options *o, struct tpm **t)
{
	const char *path = o->ko_tpm != NULL ? o->ko_tpm : TPM_DEFAULT_PATH;
	int rc;

	*t = NULL;
	if (strcmp(path, "none") == 0)
		return CB_OK;
	rc = tpm_open(t, path);
	if (rc == CB_ENOTFOUND && o->ko_tpm == NULL)
		return CB_OK;		/* this machine has no TPM */
	if (rc == CB_EPERM)
		return fail(o, rc, "cannot open the TPM at %s: permission "
		    "denied (the key hierarchy is root's)", path);
	if (rc != 0)
		return fail(o, rc, "cannot open the TPM at %s: %s", path,
		    cb_strerror(rc));
	return CB_OK;
}

static int
pcr_mask(const struct keys_options *o, uint32_t *mask)
{
	const char *s = o->ko_pcrs != NULL ? o->ko_pcrs : KEYS_DEFAULT_PCRS;

	if (tpm_pcr_mask_parse(s, mask) != 0)
		return fail(o, CB_EINVAL, "PCRs \"%s\": give numbers 0 to 23 "
		    "separated by commas", s);
	return CB_OK;
}

/* Seal the root key to t under the PCRs now, write root.tpm, and unseal
 * it once to prove the TPM gives it back before anything relies on it. */
static int
seal_root(struct keys *k, const struct keys_options *o, struct tpm *t)
{
	struct tpm_sealed s;
	uint8_t blob[TPM_SEALED_FILE_MAX], back[KEYS_ROOT_LEN];
	struct tpm_pcrs now;
	uint32_t mask;
	size_t n = 0, blen = 0;
	int rc;

	if ((rc = pcr_mask(o, &mask)) != 0)
		return rc;
	if ((rc = tpm_pcr_read(t, mask, &now)) != 0 ||
	    (rc = tpm_seal(t, &now, k->k_root, KEYS_ROOT_LEN, &s)) != 0)
		return fail(o, rc, "cannot seal the root key: %s",
		    tpm_error(t));
	if ((rc = tpm_unseal(t, &s, back, sizeof(back), &n)) != 0 ||
	    n != KEYS_ROOT_LEN ||
	    cb_memeq_ct(back, k->k_root, KEYS_ROOT_LEN) != 0) {
		cb_wipe(back, sizeof(back));
		return fail(o, rc ? rc : CB_ECRYPTO, "the TPM does not give "
		    "the sealed root key back: %s", tpm_error(t));
	}
	cb_wipe(back, sizeof(back));
	if ((rc = tpm_sealed_encode(&s, blob, sizeof(blob), &blen)) != 0 ||
	    (rc = write_file(k->k_dir, ROOT_TPM_FILE, blob, blen)) != 0)
		return fail(o, rc, "cannot write %s/%s: %s", k->k_dir,
		    ROOT_TPM_FILE, cb_strerror(rc));
	k->k_prot = KEYS_TPM;
	return CB_OK;
}

static int
unseal_root(struct keys *k, const struct keys_options *o)
{
	struct tpm_sealed s;
	uint8_t blob[TPM_SEALED_FILE_MAX];
	struct tpm *t = NULL;
	size_t blen = 0, n = 0;
	int rc;

	if ((rc = read_file(k->k_dir, ROOT_TPM_FILE, blob, sizeof(blob),
	    &blen)) != 0)
		return fail(o, rc, "cannot read %s/%s: %s", k->k_dir,
		    ROOT_TPM_FILE, cb_strerror(rc));
	if (tpm_sealed_decode(blob, blen, &s) != 0)
		return fail(o, CB_EINVAL, "%s/%s is damaged: unlock with the "
		    "recovery key", k->k_dir, ROOT_TPM_FILE);
	if ((rc = open_tpm(o, &t)) != 0)
		return rc;
	if (t == NULL)
		return fail(o, CB_ENOTFOUND, "the keys are sealed to a TPM, "
		    "and this machine has none: unlock with the recovery key");
	rc = tpm_unseal(t, &s, k->k_root, sizeof(k->k_root), &n);
	if (rc == 0 && n != KEYS_ROOT_LEN)
		rc = CB_ECRYPTO;
	if (rc != 0) {
		cb_wipe(k->k_root, sizeof(k->k_root));
		rc = fail(o, rc, "the TPM does not unseal the root key: %s; "
		    "if this box is meant to open its data, unlock with the "
		    "recovery key", tpm_error(t));
	}
	tpm_close(t);
	k->k_prot = KEYS_TPM;
	return rc;
}

/* ---- the file protector (no TPM) ---- */

static int
read_root_file(struct keys *k, const struct keys_options *o)
{
	char p[PATH_MAX];
	struct stat st;
	size_t n = 0;
	int rc;

	if (path_in(p, k->k_dir, ROOT_FILE) == 0 && lstat(p, &st) == 0 &&
	    (st.st_mode & 077) != 0) {
		log_warn("keys: %s was open to others; set to 0600", p);
		(void)chmod(p, 0600);
	}
	rc = read_file(k->k_dir, ROOT_FILE, k->k_root, sizeof(k->k_root), &n);
	if (rc == 0 && n != KEYS_ROOT_LEN)
		rc = CB_EINVAL;
	if (rc != 0) {
		cb_wipe(k->k_root, sizeof(k->k_root));
		return fail(o, rc, "%s/%s is missing or damaged: unlock with "
		    "the recovery key", k->k_dir, ROOT_FILE);
	}
	k->k_prot = KEYS_FILE;
	return CB_OK;
}

static int
write_root_file(struct keys *k, const struct keys_options *o)
{
	int rc = write_file(k->k_dir, ROOT_FILE, k->k_root, KEYS_ROOT_LEN);

	if (rc != 0)
		return fail(o, rc, "cannot write %s/%s: %s", k->k_dir,
		    ROOT_FILE, cb_strerror(rc));
	k->k_prot = KEYS_FILE;
	return CB_OK;
}

/* ---- the recovery key ---- */

/* The key that wraps the root: Argon2id of the recovery key's 16 bytes
 * with the file's salt and parameters. */
static int
recovery_derive(const uint8_t rk[RECOVERY_KEY_LEN],
    const struct keyfile_recovery *r, uint8_t out[SEAL_KEY_LEN])
{
	assert(r->kr_m_kib >= KEYFILE_ARGON2_M_MIN &&
	    r->kr_m_kib <= KEYFILE_ARGON2_M_MAX);
	if (argon2id_hash_raw(r->kr_t, r->kr_m_kib, r->kr_p, rk,
	    RECOVERY_KEY_LEN, r->kr_salt, KEYFILE_SALT_LEN, out,
	    SEAL_KEY_LEN) != ARGON2_OK) {
		cb_wipe(out, SEAL_KEY_LEN);
		return CB_ENOMEM;	/* its one failure on good input */
	}
	return CB_OK;
}

/* The escrow blob for rk, or none: an old blob holds an old key. */
static int
write_escrow(struct keys *k, const struct keys_options *o,
    const uint8_t rk[RECOVERY_KEY_LEN])
{
	uint8_t blob[ESCROW_LEN];
	int rc;

	if (o->ko_escrow_pem == NULL)
		return CB_OK;
	if ((rc = escrow_wrap(o->ko_escrow_pem, o->ko_escrow_len, rk,
	    blob)) != 0)
		return fail(o, rc, "the escrow key is not a P-256 public key "
		    "(PEM): the recovery key was not escrowed");
	if ((rc = write_file(k->k_dir, ESCROW_FILE, blob, sizeof(blob))) != 0)
		return fail(o, rc, "cannot write %s/%s: %s", k->k_dir,
		    ESCROW_FILE, cb_strerror(rc));
	return CB_OK;
}

/* A new recovery key wraps the root (root.recovery replaced in one
 * rename, so the old key stops working at once); its printed form goes
 * to text. The old escrow blob goes first: a crash then leaves no escrow
 * rather than a wrong one. */
static int
new_recovery(struct keys *k, const struct keys_options *o,
    char text[RECOVERY_TEXT_LEN + 1])
{
	uint8_t rk[RECOVERY_KEY_LEN], wk[SEAL_KEY_LEN], ad[KEYFILE_AD_MAX];
	uint8_t file[KEYFILE_RECOVERY_LEN];
	struct keyfile_recovery r = { .kr_m_kib = KEYS_ARGON2_M_KIB,
	    .kr_t = KEYS_ARGON2_T, .kr_p = KEYS_ARGON2_P };
	size_t adlen;
	int rc;

	if ((rc = erase_file(k->k_dir, ESCROW_FILE)) != 0)
		return fail(o, rc, "cannot remove the old escrow blob");
	if (recovery_new(rk) != 0 || cb_random(r.kr_salt, KEYFILE_SALT_LEN))
		return fail(o, CB_EIO, "no random numbers");
	if ((rc = recovery_derive(rk, &r, wk)) != 0) {
		cb_wipe(rk, sizeof(rk));
		return fail(o, rc, "Argon2id failed (out of memory?)");
	}
	keyfile_recovery_ad(&r, ad, &adlen);
	rc = seal_wrap_key(wk, ad, adlen, k->k_root, r.kr_wrapped);
	cb_wipe(wk, sizeof(wk));
	keyfile_recovery_encode(&r, file);
	if (rc == 0 && (rc = write_file(k->k_dir, RECOVERY_FILE, file,
	    sizeof(file))) != 0)
		rc = fail(o, rc, "cannot write %s/%s: %s", k->k_dir,
		    RECOVERY_FILE, cb_strerror(rc));
	if (rc == 0)
		rc = write_escrow(k, o, rk);
	if (rc == 0)
		recovery_format(rk, text);
	cb_wipe(rk, sizeof(rk));
	return rc;
}

static int
open_recovery(struct keys *k, const struct keys_options *o,
    const uint8_t rk[RECOVERY_KEY_LEN])
{
	uint8_t file[KEYFILE_RECOVERY_LEN + 1], wk[SEAL_KEY_LEN];
	uint8_t ad[KEYFILE_AD_MAX];
	struct keyfile_recovery r;
	size_t n = 0, adlen;
	int rc;

	rc = read_file(k->k_dir, RECOVERY_FILE, file, sizeof(file), &n);
	if (rc == CB_ENOTFOUND)
		return fail(o, rc, "there is no recovery file in %s", k->k_dir);
	if (rc != 0 || keyfile_recovery_decode(file, n, &r) != 0)
		return fail(o, rc ? rc : CB_EINVAL, "%s/%s is damaged",
		    k->k_dir, RECOVERY_FILE);
	if ((rc = recovery_derive(rk, &r, wk)) != 0)
		return fail(o, rc, "Argon2id failed (out of memory?)");
	keyfile_recovery_ad(&r, ad, &adlen);
	rc = seal_unwrap_key(wk, ad, adlen, r.kr_wrapped, k->k_root);
	cb_wipe(wk, sizeof(wk));
	if (rc != 0)
		return fail(o, CB_EAUTH, "this recovery key does not open the "
		    "keys in %s: it is another box's, or it was replaced by a "
		    "newer one", k->k_dir);
	return CB_OK;
}

/* ---- the hierarchy ---- */

int
keys_init(struct keys **kp, const struct keys_options *o,
    char recovery[RECOVERY_TEXT_LEN + 1])
{
	enum keys_protection p;
	struct tpm *t = NULL;
	struct keys *k;
	uint32_t mask;
	int rc;

	*kp = NULL;
	if ((rc = keys_new(&k, o)) != 0)
		return rc;
	if ((rc = pcr_mask(o, &mask)) != 0)
		goto out;
	if ((rc = cb_make_dir(k->k_dir, 0700, (uid_t)-1, (gid_t)-1)) != 0) {
		rc = fail(o, rc, "cannot create %s", k->k_dir);
		goto out;
	}
	(void)keys_protection(k->k_dir, &p);
	if (p != KEYS_NONE) {
		rc = fail(o, CB_EEXIST, "%s already holds this box's keys "
		    "(protected by %s)", k->k_dir, keys_protection_name(p));
		goto out;
	}
	if ((rc = open_tpm(o, &t)) != 0 ||
	    (rc = cb_random(k->k_root, sizeof(k->k_root))) != 0 ||
	    (rc = new_recovery(k, o, recovery)) != 0)
		goto out;
	rc = t != NULL ? seal_root(k, o, t) : write_root_file(k, o);
out:
	tpm_close(t);
	if (rc != 0) {
		cb_wipe(recovery, RECOVERY_TEXT_LEN + 1);
		keys_close(k);
		return rc;
	}
	*kp = k;
	return CB_OK;
}

int
keys_unlock(struct keys **kp, const struct keys_options *o)
{
	struct keys *k;
	int rc;

	*kp = NULL;
	if ((rc = keys_new(&k, o)) != 0)
		return rc;
	(void)keys_protection(k->k_dir, &k->k_prot);
	if (k->k_prot == KEYS_TPM)
		rc = unseal_root(k, o);
	else if (k->k_prot == KEYS_FILE)
		rc = read_root_file(k, o);
	else
		rc = fail(o, CB_ENOTFOUND, "%s holds no keys: `classbox keys "
		    "init` makes them", k->k_dir);
	if (rc != 0) {
		keys_close(k);
		return rc;
	}
	*kp = k;
	return CB_OK;
}

int
keys_unlock_recovery(struct keys **kp, const struct keys_options *o,
    const char *text, size_t len)
{
	uint8_t rk[RECOVERY_KEY_LEN];
	enum recovery_problem why;
	struct keys *k;
	char msg[160];
	int group, rc;

	*kp = NULL;
	if (recovery_parse(text, len, rk, &why, &group) != 0) {
		recovery_problem_text(why, group, msg, sizeof(msg));
		return fail(o, CB_EINVAL, "%s", msg);
	}
	if ((rc = keys_new(&k, o)) != 0)
		return rc;
	(void)keys_protection(k->k_dir, &k->k_prot);
	rc = open_recovery(k, o, rk);
	cb_wipe(rk, sizeof(rk));
	if (rc != 0) {
		keys_close(k);
		return rc;
	}
	*kp = k;
	return CB_OK;
}

int
keys_reseal(struct keys *k, const struct keys_options *o)
{
	struct tpm *t = NULL;
	int rc;

	if ((rc = open_tpm(o, &t)) != 0)
		return rc;
	if (t != NULL) {
		rc = seal_root(k, o, t);
		tpm_close(t);
		if (rc == 0 && (rc = erase_file(k->k_dir, ROOT_FILE)) != 0)
			rc = fail(o, rc, "sealed, but the old %s/%s could not "
			    "be erased", k->k_dir, ROOT_FILE);
		return rc;
	}
	/* No TPM here (a replacement box without one): the file, and the
	 * old box's sealed blob goes, since no TPM here opens it. */
	if ((rc = write_root_file(k, o)) == 0 &&
	    (rc = erase_file(k->k_dir, ROOT_TPM_FILE)) != 0)
		rc = fail(o, rc, "cannot remove %s/%s", k->k_dir,
		    ROOT_TPM_FILE);
	return rc;
}

int
keys_rotate_recovery(struct keys *k, const struct keys_options *o,
    char recovery[RECOVERY_TEXT_LEN + 1])
{
	int rc = new_recovery(k, o, recovery);

	if (rc != 0)
		cb_wipe(recovery, RECOVERY_TEXT_LEN + 1);
	return rc;
}

/* ---- a purpose's KEK as a struct keystore ---- */

enum kek_state { KEK_NONE, KEK_PENDING, KEK_LOADED };

struct keys_kek {
	char kk_dir[PATH_MAX];
	char kk_name[32];		/* "<purpose>.kek" */
	enum keys_purpose kk_purpose;
	enum kek_state kk_state;
	uint8_t kk_kek[SEAL_KEY_LEN];
	uint8_t kk_file[KEYFILE_KEK_LEN];	/* a new KEK, wrapped */
};

/* The associated data of p's wrapped KEK: "classbox kek v1 <purpose>". */
static size_t
kek_ad(enum keys_purpose p, char ad[64])
{
	int n = snprintf(ad, 64, "%s%s", KEK_AD, keys_purpose_name(p));

	assert(n > 0 && n < 64);
	return (size_t)n;
}

static int
kek_load(struct keystore *ks, int create)
{
	struct keys_kek *kk = ks->ks_ctx;
	int rc;

	if (kk->kk_state == KEK_LOADED)
		return CB_OK;
	if (kk->kk_state != KEK_PENDING || !create) {
		log_err("keys: %s/%s is missing, so the %s data cannot be "
		    "decrypted (erased, or restore it from a backup)",
		    kk->kk_dir, kk->kk_name, keys_purpose_name(kk->kk_purpose));
		return CB_ECRYPTO;
	}
	if ((rc = write_file(kk->kk_dir, kk->kk_name, kk->kk_file,
	    sizeof(kk->kk_file))) != 0) {
		log_err("keys: cannot write %s/%s: %s", kk->kk_dir,
		    kk->kk_name, cb_strerror(rc));
		return rc;
	}
	kk->kk_state = KEK_LOADED;
	return CB_OK;
}

static int
kek_wrap(struct keystore *ks, const uint8_t dek[SEAL_KEY_LEN],
    uint8_t out[SEAL_WRAPPED_LEN])
{
	struct keys_kek *kk = ks->ks_ctx;

	return kk->kk_state == KEK_LOADED ? seal_wrap_dek(kk->kk_kek, dek, out) :
	    CB_ECRYPTO;
}

static int
kek_unwrap(struct keystore *ks, const uint8_t in[SEAL_WRAPPED_LEN],
    uint8_t dek[SEAL_KEY_LEN])
{
	struct keys_kek *kk = ks->ks_ctx;

	return kk->kk_state == KEK_LOADED ? seal_unwrap_dek(kk->kk_kek, in,
	    dek) : CB_ECRYPTO;
}

static int
kek_erase(struct keystore *ks)
{
	struct keys_kek *kk = ks->ks_ctx;

	cb_wipe(kk->kk_kek, sizeof(kk->kk_kek));
	kk->kk_state = KEK_NONE;
	return erase_file(kk->kk_dir, kk->kk_name);
}

static void
kek_close(struct keystore *ks)
{
	if (ks->ks_ctx != NULL) {
		cb_wipe(ks->ks_ctx, sizeof(struct keys_kek));
		free(ks->ks_ctx);
	}
	ks->ks_ctx = NULL;
}

/* p's KEK from its file, unwrapped by the root; or a new one, pending. */
static int
kek_open(struct keys *k, struct keys_kek *kk, const struct keys_options *o)
{
	uint8_t file[KEYFILE_KEK_LEN + 1], wrapped[SEAL_WRAPPED_LEN];
	char ad[64];
	size_t n = 0, adlen = kek_ad(kk->kk_purpose, ad);
	int rc;

	rc = read_file(k->k_dir, kk->kk_name, file, sizeof(file), &n);
	if (rc == CB_ENOTFOUND) {
		if (cb_random(kk->kk_kek, SEAL_KEY_LEN) != 0 ||
		    seal_wrap_key(k->k_root, ad, adlen, kk->kk_kek,
		    wrapped) != 0)
			return fail(o, CB_ECRYPTO, "cannot make a new KEK");
		keyfile_kek_encode(kk->kk_purpose, wrapped, kk->kk_file);
		kk->kk_state = KEK_PENDING;
		return CB_OK;
	}
	if (rc != 0 || keyfile_kek_decode(file, n, kk->kk_purpose,
	    wrapped) != 0)
		return fail(o, rc ? rc : CB_EINVAL, "%s/%s is damaged",
		    k->k_dir, kk->kk_name);
	if (seal_unwrap_key(k->k_root, ad, adlen, wrapped, kk->kk_kek) != 0)
		return fail(o, CB_ECRYPTO, "%s/%s was not made under this "
		    "box's root key", k->k_dir, kk->kk_name);
	kk->kk_state = KEK_LOADED;
	return CB_OK;
}

int
keys_keystore(struct keys *k, enum keys_purpose p, struct keystore *ks,
    const struct keys_options *o)
{
	struct keys_kek *kk;
	int rc;

	memset(ks, 0, sizeof(*ks));
	if ((unsigned)p >= KEYS_NPURPOSES)
		return fail(o, CB_EINVAL, "no such key purpose");
	if ((kk = calloc(1, sizeof(*kk))) == NULL)
		return fail(o, CB_ENOMEM, "out of memory");
	kk->kk_purpose = p;
	(void)snprintf(kk->kk_name, sizeof(kk->kk_name), "%s%s",
	    keys_purpose_name(p), KEK_SUFFIX);
	memcpy(kk->kk_dir, k->k_dir, sizeof(kk->kk_dir));
	if ((rc = kek_open(k, kk, o)) != 0) {
		cb_wipe(kk, sizeof(*kk));
		free(kk);
		return rc;
	}
	ks->ks_ctx = kk;
	ks->ks_load_kek = kek_load;
	ks->ks_wrap = kek_wrap;
	ks->ks_unwrap = kek_unwrap;
	ks->ks_erase = kek_erase;
	ks->ks_close = kek_close;
	return CB_OK;
}

int
keys_adopt_kek(struct keys *k, enum keys_purpose p, const char *legacy,
    const struct keys_options *o)
{
	uint8_t kek[SEAL_KEY_LEN + 1], wrapped[SEAL_WRAPPED_LEN];
	uint8_t file[KEYFILE_KEK_LEN];
	char name[32], ad[64], dir[PATH_MAX], *slash;
	size_t n = 0;
	int rc;

	if ((unsigned)p >= KEYS_NPURPOSES ||
	    cb_strlcpy(dir, legacy, sizeof(dir)) != 0 ||
	    (slash = strrchr(dir, '/')) == NULL)
		return fail(o, CB_EINVAL, "adopt: give the KEK file's path");
	*slash = '\0';
	(void)snprintf(name, sizeof(name), "%s%s", keys_purpose_name(p),
	    KEK_SUFFIX);
	if (exists(k->k_dir, name))
		return fail(o, CB_EEXIST, "%s/%s exists already", k->k_dir,
		    name);
	rc = read_file(dir, slash + 1, kek, sizeof(kek), &n);
	if (rc != 0 || n != SEAL_KEY_LEN) {
		cb_wipe(kek, sizeof(kek));
		return fail(o, rc ? rc : CB_EINVAL, "%s is not a KEK file",
		    legacy);
	}
	rc = seal_wrap_key(k->k_root, ad, kek_ad(p, ad), kek, wrapped);
	cb_wipe(kek, sizeof(kek));
	keyfile_kek_encode(p, wrapped, file);
	if (rc == 0 && (rc = write_file(k->k_dir, name, file,
	    sizeof(file))) != 0)
		return fail(o, rc, "cannot write %s/%s", k->k_dir, name);
	if (rc == 0 && (rc = erase_file(dir, slash + 1)) != 0)
		return fail(o, rc, "adopted, but %s could not be erased",
		    legacy);
	return rc;
}

int
keys_status(const char *dir, struct keys_status *st)
{
	uint8_t blob[TPM_SEALED_FILE_MAX];
	struct tpm_sealed s;
	struct escrow_blob eb;
	char name[32];
	size_t n = 0;

	memset(st, 0, sizeof(*st));
	(void)keys_protection(dir, &st->kst_protection);
	if (st->kst_protection == KEYS_TPM &&
	    read_file(dir, ROOT_TPM_FILE, blob, sizeof(blob), &n) == 0 &&
	    tpm_sealed_decode(blob, n, &s) == 0)
		st->kst_pcrs = s.ts_pcrs.tp_mask;
	st->kst_recovery = exists(dir, RECOVERY_FILE);
	if (read_file(dir, ESCROW_FILE, blob, sizeof(blob), &n) == 0 &&
	    escrow_parse(blob, n, &eb) == 0) {
		st->kst_escrow = 1;
		memcpy(st->kst_escrow_key, eb.eb_key_id, ESCROW_KEY_ID_LEN);
	}
	for (int p = 0; p < KEYS_NPURPOSES; p++) {
		(void)snprintf(name, sizeof(name), "%s%s",
		    keys_purpose_name((enum keys_purpose)p), KEK_SUFFIX);
		st->kst_kek[p] = exists(dir, name);
	}
	return CB_OK;
}
