/*
 * password.h: password hashes (Argon2id PHC strings), the password policy,
 * and initial passwords. Pure functions; hashing is slow on purpose
 * (PASSWORD_ARGON2_M_KIB of memory, about 60 ms) so the auth process calls
 * password_hash and password_verify from its worker pool only.
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

/* Hash pw into a PHC string. CB_ECRYPTO if libargon2 fails (e.g. no
 * memory), CB_ETOOBIG if phc_size is too small. */
int password_hash(const char *pw, char *phc, size_t phc_size);

/* 0 if pw matches phc, CB_EAUTH if not, CB_EINVAL if phc is not an
 * Argon2id PHC string, CB_ECRYPTO on another libargon2 failure. */
int password_verify(const char *phc, const char *pw);

/* 1 if phc was made with other parameters than the current ones. */
int password_needs_rehash(const char *phc);

/* The policy for a password a person chooses. uid: the account's login id
 * (may not appear in it, case-insensitively); old: the current password
 * or NULL (may not be repeated). Returns 0 or CB_EINVAL (not valid UTF-8),
 * CB_EPWLONG, CB_EPWSHORT, CB_EPWUSERID, CB_EPWSAME, CB_EPWCOMMON. */
int password_check_policy(const char *uid, const char *pw, const char *old);

/* 1 if pw (case-insensitively) is in the built-in list of common
 * passwords. */
int password_is_common(const char *pw);

/* A fresh initial password: PASSWORD_INITIAL_LEN characters from an
 * alphabet without look-alikes (no 0 O o 1 l I). out_size > that length. */
int password_generate(char *out, size_t out_size);

#endif
