/*
 * password.h: password hashes (Argon2id PHC strings), the password policy,
 * and initial passwords. Pure functions; hashing is slow on purpose
 * (PASSWORD_ARGON2_M_KIB of memory, about 40 ms) so the auth process calls
 * password_hash_arena and password_verify_arena from its worker pool only;
 * the allocating password_hash and password_verify serve the console, the
 * first start-up and the tests.
 */
#ifndef PASSWORD_H
#define PASSWORD_H

#include <stddef.h>
#include <stdint.h>

/* OWASP's Argon2id baseline. Changing one of these makes every stored hash
 * "need rehash": it is replaced at the user's next successful login. */
#define PASSWORD_ARGON2_M_KIB	19456
#define PASSWORD_ARGON2_T	2
#define PASSWORD_ARGON2_P	1
#define PASSWORD_SALT_LEN	16
#define PASSWORD_HASH_LEN	32
/* "$argon2id$v=19$m=19456,t=2,p=1$<22>$<43>" is 97 bytes; room to spare. */
#define PASSWORD_PHC_MAX	128
/* Initial passwords: long enough for ~70 bits, short enough to type. */
#define PASSWORD_INITIAL_LEN	12

/* What password_phc_decode accepts: every hash an older or newer release
 * could have stored, and nothing that would make the auth process spend
 * more than PASSWORD_PHC_M_MAX_KIB of memory or PASSWORD_PHC_T_MAX passes
 * on one login. The whole string fits PASSWORD_PHC_MAX with its NUL. */
#define PASSWORD_PHC_M_MIN_KIB	8	/* libargon2's least, per lane */
#define PASSWORD_PHC_M_MAX_KIB	65536	/* 64 MiB */
#define PASSWORD_PHC_T_MAX	16
#define PASSWORD_PHC_P_MAX	8
#define PASSWORD_PHC_SALT_MIN	8
#define PASSWORD_PHC_SALT_MAX	64
#define PASSWORD_PHC_HASH_MIN	16
#define PASSWORD_PHC_HASH_MAX	64

/*
 * An Argon2id PHC string taken apart:
 * "$argon2id$v=19$m=<ph_m_kib>,t=<ph_t>,p=<ph_p>$<salt>$<hash>", salt and
 * hash in standard base64 without padding, exactly as libargon2 writes it.
 */
struct password_phc {
	uint32_t ph_m_kib;
	uint32_t ph_t;
	uint32_t ph_p;
	size_t ph_salt_len;		/* PASSWORD_PHC_SALT_MIN..MAX */
	size_t ph_hash_len;		/* PASSWORD_PHC_HASH_MIN..MAX */
	uint8_t ph_salt[PASSWORD_PHC_SALT_MAX];
	uint8_t ph_hash[PASSWORD_PHC_HASH_MAX];
};

/* Parse s[0..len) (no NUL needed; one inside is an error). Strict: only
 * argon2id v=19, the parameters m, t, p once each in that order, decimal
 * without leading zeros, values and lengths within the PASSWORD_PHC_*
 * bounds, canonical base64 and nothing after the hash. 0, or CB_EINVAL
 * with *out zeroed. */
int password_phc_decode(const char *s, size_t len, struct password_phc *out);

/* The PHC string of h into out: byte for byte what libargon2's
 * argon2id_hash_encoded writes. CB_EINVAL if h is out of the bounds above,
 * CB_ETOOBIG if out_size is too small. */
int password_phc_encode(const struct password_phc *h, char *out,
    size_t out_size);

/*
 * Argon2's working memory for one thread: PASSWORD_ARGON2_M_KIB KiB mapped
 * and written once, at start-up, and lent to libargon2 for every hash. A
 * static musl binary otherwise maps and faults in those 19 MiB afresh on
 * every call, which makes a hash four times slower (tests/bench/argon2.sh).
 * An arena serves one thread, one hash at a time.
 */
struct password_arena;

/* CB_ENOMEM if the memory cannot be had. */
int password_arena_new(struct password_arena **out);
void password_arena_free(struct password_arena *a);

/* Hash pw with a fresh salt into a PHC string, in the arena's memory.
 * CB_ECRYPTO if libargon2 fails, CB_ETOOBIG if phc_size is too small
 * (< PASSWORD_PHC_MAX), CB_EPWLONG if pw has AUTH_PASSWORD_MAX bytes or
 * more (here and in verify). a NULL: libargon2 allocates (password_hash). */
int password_hash_arena(struct password_arena *a, const char *pw, char *phc,
    size_t phc_size);

/* 0 if pw matches phc (compared in constant time), CB_EAUTH if not,
 * CB_EINVAL if phc is not a PHC string password_phc_decode accepts,
 * CB_ECRYPTO if libargon2 fails. The arena is used when it is large
 * enough for phc's m, else libargon2 allocates. a NULL: password_verify. */
int password_verify_arena(struct password_arena *a, const char *phc,
    const char *pw);

/* The same, with memory libargon2 allocates for the call. */
int password_hash(const char *pw, char *phc, size_t phc_size);
int password_verify(const char *phc, const char *pw);

/* 1 if phc was made with other parameters than the current ones (or is
 * not a PHC string we accept). */
int password_needs_rehash(const char *phc);

/* Whose password it is, for the rules that depend on it. Any field may be
 * NULL (not known where the check runs). */
struct password_ctx {
	const char *pc_uid;	/* the login id */
	const char *pc_name;	/* the person's display name */
	const char *pc_school;	/* the school's name */
	const char *pc_old;	/* the current password: not again */
};

/*
 * The password policy, for every password a person chooses and every one
 * the box makes (password_policy.c; NIST SP 800-63B 5.1.1.2), in the order
 * checked, with what each returns:
 *   valid UTF-8 of fewer than AUTH_PASSWORD_MAX bytes    CB_EINVAL, CB_EPWLONG
 *   AUTH_PASSWORD_MIN to AUTH_PASSWORD_MAX_CHARS code points
 *                                                         CB_EPWSHORT, CB_EPWLONG
 *   not whitespace only, not one character or a short pattern repeated,
 *   not one or two runs of a sequence ("12345678", "abcdefgh", "aaaa1111",
 *   "あいうえおかきく")                                   CB_EPWREPEAT
 *   not containing the login id                           CB_EPWUSERID
 *   nor the person's name (or a part of it: 山田, Sato)   CB_EPWNAME
 *   nor the school's name (or a telling part of it)       CB_EPWSCHOOL
 *   not the current password                              CB_EPWSAME
 *   not in the list of common passwords                   CB_EPWCOMMON
 * Comparisons fold ASCII case and full-width letters. No composition
 * rules (NIST: they do not help). ctx may be NULL.
 */
int password_check(const char *pw, const struct password_ctx *ctx);

/* 1 if pw (folded as above) is in the built-in list of common
 * passwords. */
int password_is_common(const char *pw);

/* A fresh initial password: PASSWORD_INITIAL_LEN characters from an
 * alphabet without look-alikes (no 0 O o 1 l I), that password_check
 * accepts for ctx (may be NULL). out_size > that length. */
int password_generate(char *out, size_t out_size,
    const struct password_ctx *ctx);

#endif
