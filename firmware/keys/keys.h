/*
 * keys.h: the box's key hierarchy (docs/keys.md, docs/ARCHITECTURE.md
 * "Keys, theft and loss").
 *
 *     TPM 2.0, sealed under a PCR policy       recovery key (shown once;
 *     (root.tpm)  -- or, with no TPM,          Argon2id; root.recovery)
 *     a 0600 file (root.key)                   [and escrowed: recovery.escrow]
 *                        \                       /
 *                         root key (32 random bytes)
 *                                    |  wraps (AES-256-GCM, the purpose
 *                                    |  as associated data)
 *        store.kek  auth.kek  audit-login.kek  audit-ops.kek  backup.kek
 *                                    |  each KEK is a struct keystore
 *                                    |  (store/seal.h): it wraps data keys
 *
 * Invariants kept here:
 *   - the root key is never written in clear where a TPM holds it: on a
 *     box with root.tpm there is no root.key;
 *   - root.tpm (or root.key) exists only once root.recovery exists: a
 *     hierarchy is never without its recovery path;
 *   - every file is replaced atomically (write, fsync, rename, fsync the
 *     directory), so a power cut leaves the old or the new, never half;
 *   - a struct keys holds the root key only in memory, wiped by
 *     keys_close; a keystore holds only its own KEK.
 *
 * Functions return 0 or a CB_E* code, and write the reason, in words and
 * without a secret, into the options' ko_err.
 */
#ifndef KEYS_KEYS_H
#define KEYS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "keys/recovery.h"
#include "store/seal.h"

#define KEYS_ROOT_LEN		32
#define KEYS_KEY_ID_LEN		16	/* hex digits of the root's key id */
/* The boot the root key is sealed to (docs/keys.md, "Decision 2"): the
 * firmware's code (0), option ROMs (2), the EFI applications the firmware
 * started, GRUB and then the kernel (4), Secure Boot's state (7), and
 * what the kernel's EFI stub measured: its command line and initramfs
 * (9). */
#define KEYS_DEFAULT_PCRS	"0,2,4,7,9"
/* The recovery key's Argon2id: OWASP's password parameters (as auth's).
 * The key has 128 random bits, so no cost makes guessing it easier or
 * harder in practice; the memory-hard step is the defence in
 * depth, kept at the cost a login pays (about 60 ms). */
#define KEYS_ARGON2_M_KIB	19456
#define KEYS_ARGON2_T		2
#define KEYS_ARGON2_P		1
#define KEYS_FILE_MAX		4096	/* any file of the hierarchy */

/* One KEK per owner of sealed data. */
enum keys_purpose {
	KEYS_STORE,		/* the classroom store (web, sync) */
	KEYS_AUTH,		/* auth's accounts (phase 2) */
	KEYS_AUDIT_LOGIN,	/* the login log (auth) */
	KEYS_AUDIT_OPS,		/* the operation log (web) */
	KEYS_BACKUP,		/* backup files */
	KEYS_NPURPOSES
};

enum keys_protection {
	KEYS_NONE,		/* no hierarchy in this directory */
	KEYS_FILE,		/* root key in a file: NOT hardware-protected */
	KEYS_TPM,		/* root key sealed to this box's TPM */
};

struct keys_options {
	const char *ko_dir;	/* the hierarchy's directory (DATA/keys) */
	/* The TPM: NULL for /dev/tpmrm0 when the machine has one (none:
	 * the file); "none" for no TPM; else this device or swtpm socket,
	 * which must work. */
	const char *ko_tpm;
	const char *ko_pcrs;	/* PCRs to seal to; NULL: KEYS_DEFAULT_PCRS,
				 * "": none (any boot of this TPM) */
	const char *ko_escrow_pem;	/* the platform's escrow key, or NULL */
	size_t ko_escrow_len;		/* its length, with the PEM's NUL */
	char *ko_err;		/* the reason of a failure, or NULL */
	size_t ko_err_size;
};

struct keys;

/* What a technician or a status page may know: no secret in it. */
struct keys_status {
	enum keys_protection kst_protection;
	uint32_t kst_pcrs;		/* TPM: the PCRs it is sealed to */
	int kst_recovery;		/* a recovery key wraps the root */
	int kst_escrow;			/* ... and is escrowed */
	uint8_t kst_escrow_key[32];	/* to the key with this id */
	int kst_kek[KEYS_NPURPOSES];	/* which KEKs exist */
};

/* How the hierarchy in dir is protected; only stat(2), no secret read, so
 * an unprivileged status page may ask (given search permission). */
int keys_protection(const char *dir, enum keys_protection *out);
/* The status of the hierarchy in dir, from its public parts (root.tpm's
 * PCR list, the escrow blob's key id): needs read access, not the TPM. */
int keys_status(const char *dir, struct keys_status *st);
/* "tpm", "file", "none". */
const char *keys_protection_name(enum keys_protection p);
/* "store", "auth", "audit-login", "audit-ops", "backup". */
const char *keys_purpose_name(enum keys_purpose p);

/* A new hierarchy in o->ko_dir (created 0700): a random root key sealed to
 * the TPM (or in root.key without one), and a new recovery key, which is
 * written to recovery (its printed form) and nowhere else. CB_EEXIST when
 * the directory already holds a hierarchy. */
int keys_init(struct keys **kp, const struct keys_options *o,
    char recovery[RECOVERY_TEXT_LEN + 1]);
/* The root key from the TPM (or the file), as at every start. */
int keys_unlock(struct keys **kp, const struct keys_options *o);
/* The root key from the recovery key a person typed. CB_EINVAL: not a
 * well-formed key (ko_err names the mistyped group); CB_EAUTH: well
 * formed, but it does not open this hierarchy. */
int keys_unlock_recovery(struct keys **kp, const struct keys_options *o,
    const char *text, size_t len);
/* Seal k's root key to this machine's TPM and its PCRs now (after a
 * recovery on a new box or TPM, or a firmware update); a file-protected
 * hierarchy moves to the TPM and root.key is erased. */
int keys_reseal(struct keys *k, const struct keys_options *o);
/* A new recovery key replaces the old one, which stops opening anything
 * the moment this returns 0 (and the old escrow blob is replaced or
 * removed). */
int keys_rotate_recovery(struct keys *k, const struct keys_options *o,
    char recovery[RECOVERY_TEXT_LEN + 1]);
/* A keystore for one purpose's KEK. The KEK is unwrapped now (or, when it
 * does not exist yet, made now and written by ks_load_kek(ks, 1)), so ks
 * works after k is closed and privileges dropped. */
int keys_keystore(struct keys *k, enum keys_purpose p, struct keystore *ks,
    const struct keys_options *o);
/* Take over a KEK kept in clear by the file keystore (DATA/keys/kek): it
 * becomes p's KEK, wrapped by the root, and the clear file is erased, so
 * everything it wrapped opens unchanged. */
int keys_adopt_kek(struct keys *k, enum keys_purpose p, const char *legacy,
    const struct keys_options *o);
/* A fingerprint of the root key (hex, NUL-terminated): the same on every
 * unlock of the same hierarchy; reveals nothing of the key. */
void keys_key_id(const struct keys *k, char out[KEYS_KEY_ID_LEN + 1]);
enum keys_protection keys_protected_by(const struct keys *k);
/* Wipe the root key. NULL is fine. */
void keys_close(struct keys *k);

#endif
