/*
 * account.h: the accounts store, on the LMDB environment of the auth
 * process (the only module that calls mdb_*). Accounts, their password
 * hashes, and login sessions keyed by the SHA-256 of their token (the
 * token itself is never stored: a copy of the database does not let anyone
 * in). Every function that depends on the time takes it as now_ms, so the
 * tests can age sessions without sleeping.
 *
 * Not thread-safe: one thread (the auth process's loop) owns the store.
 */
#ifndef ACCOUNT_H
#define ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "auth/authproto.h"
#include "auth/password.h"

#define ACCOUNT_MAP_SIZE	(256UL * 1024 * 1024)	/* LMDB map: upper bound */
#define ACCOUNT_SESSIONS_PER_USER 32	/* the oldest ends past this */
#define ACCOUNT_HASH_LEN	32	/* SHA-256 of a session token */
#define ACCOUNT_SCAN_MAX	100000	/* bound of any full scan */

struct account_store;

/* A session as stored (the token hash is the key). */
struct account_session {
	char as_uid[AUTH_UID_MAX];
	int64_t as_created_ms;
	int64_t as_last_seen_ms;
	uint8_t as_csrf[AUTH_CSRF_LEN];
};

/* Open (creating if need be, mode 0700 dir, 0600 files) the environment
 * in directory dir. CB_EIO with a log line saying which step failed. */
int account_open(struct account_store **out, const char *dir);
void account_close(struct account_store *st);

/* Number of accounts, tombstones included. */
int account_count(struct account_store *st, size_t *n);

/* 1 if uid is a syntactically valid login id: [a-z0-9._-]{3,63}. */
int account_uid_valid(const char *uid);

/* Check a new account before spending a hash on it: CB_EINVAL (bad uid,
 * name, role, link), CB_EEXIST (uid taken, tombstones too), CB_ENOTFOUND
 * (a linked student does not exist or is not a student). */
int account_check_new(struct account_store *st, const struct auth_user *u);

/* Create an account from u's uid, name, role and links, with the given
 * password hash and flags (USER_F_ADMIN is added for ROLE_ADMIN). Checks
 * as account_check_new. The stored view goes to *out (may be NULL). */
int account_create(struct account_store *st, const struct auth_user *u,
    const char *phc, uint32_t flags, int64_t now_ms, struct auth_user *out);

int account_get(struct account_store *st, const char *uid,
    struct auth_user *out);
/* As account_get, with the password hash ("" for a tombstone). */
int account_get_hash(struct account_store *st, const char *uid,
    struct auth_user *out, char *phc, size_t phc_size);

/* After a successful login: record the time; replace the hash with
 * new_phc (if not NULL) only if it is still old_phc (a concurrent
 * password change wins). */
int account_record_login(struct account_store *st, const char *uid,
    int64_t now_ms, const char *old_phc, const char *new_phc);

/* Set a new hash (if the stored one is still old_phc, unless old_phc is
 * NULL) and flags: flags = (flags & ~clear) | set. CB_ESTATE if the hash
 * changed meanwhile or the account is deleted. */
int account_set_password(struct account_store *st, const char *uid,
    const char *old_phc, const char *new_phc, uint32_t set, uint32_t clear,
    struct auth_user *out);

/* Up to max users with uid > after ("" = from the start), in uid order;
 * *more = 1 if there are further ones. */
int account_list(struct account_store *st, const char *after, size_t max,
    struct auth_user *out, size_t *count, int *more);

/*
 * Apply op (enum auth_user_op, except USER_OP_RESET_PASSWORD, which is
 * account_set_password with USER_F_MUST_CHANGE) to uid. Ends every session
 * of uid when the user loses access (suspend, delete, graduate, transfer).
 * CB_ENOTFOUND, CB_ESTATE (e.g. reactivating a deleted account),
 * CB_EINVAL (admin for a student or parent, unknown op), CB_ELASTADMIN.
 */
int account_apply(struct account_store *st, const char *uid, uint32_t op,
    struct auth_user *out);

/* Number of active accounts with USER_F_ADMIN. */
int account_count_admins(struct account_store *st, size_t *n);

/* Sessions. */
int account_session_create(struct account_store *st,
    const uint8_t hash[ACCOUNT_HASH_LEN], const char *uid,
    const uint8_t csrf[AUTH_CSRF_LEN], int64_t now_ms);
/* The session and its user: CB_ESESSION (and the session is deleted) if it
 * is missing, idle too long, too old, or its user is no longer active. */
int account_session_get(struct account_store *st,
    const uint8_t hash[ACCOUNT_HASH_LEN], int64_t now_ms,
    struct account_session *s, struct auth_user *u);
/* Record activity; writes at most every AUTH_TOUCH_INTERVAL_MS. */
int account_session_touch(struct account_store *st,
    const uint8_t hash[ACCOUNT_HASH_LEN], int64_t now_ms);
int account_session_delete(struct account_store *st,
    const uint8_t hash[ACCOUNT_HASH_LEN]);
/* End every session of uid except keep (NULL = none); *n ended. */
int account_sessions_end_user(struct account_store *st, const char *uid,
    const uint8_t *keep, size_t *n);
/* Delete up to max expired sessions; *n deleted. */
int account_sessions_purge(struct account_store *st, int64_t now_ms,
    size_t max, size_t *n);

/*
 * Offline reset codes (authproto.h): one per user, kept as SHA-256 of a
 * random salt and the code, with its expiry and a count of wrong tries.
 * A new code replaces the previous one. code is the normalised form
 * (AUTH_RESET_CODE_LEN characters of AUTH_RESET_ALPHABET).
 */
#define ACCOUNT_RESET_TRIES_MAX	5	/* wrong tries before the code dies */
int account_reset_put(struct account_store *st, const char *uid,
    const char *code, int64_t expires_ms);
/* Use uid's code at now_ms: 0 and the code is gone (single use); CB_EAUTH
 * when there is none, it has expired (and is deleted) or it is wrong (a
 * wrong try is counted; the last allowed one deletes it). */
int account_reset_take(struct account_store *st, const char *uid,
    const char *code, int64_t now_ms);
/* The same, except that a right code stays (to be taken once the new
 * password has passed the rules that need the account). */
int account_reset_check(struct account_store *st, const char *uid,
    const char *code, int64_t now_ms);
/*
 * The platform's grant (auth/reset_grant.h) as uid's reset code: salt and
 * hash as the platform made them, valid until expires_ms (the caller caps
 * it), replacing any code. Each grant id is taken once: CB_EEXIST when
 * grant_id was seen in the last ACCOUNT_GRANT_KEEP_MS (a replay).
 */
#define ACCOUNT_GRANT_KEEP_MS	(7LL * 24 * 3600 * 1000)	/* a week */
#define ACCOUNT_GRANT_ID_MAX	63	/* bytes of a grant id */
#define ACCOUNT_GRANT_PURGE_MAX	64	/* old ids forgotten per put */
int account_reset_grant_put(struct account_store *st, const char *uid,
    const char *grant_id, const uint8_t salt[16], const uint8_t hash[32],
    int64_t expires_ms, int64_t now_ms);
/* Drop uid's code, if any (the password changed another way). */
int account_reset_drop(struct account_store *st, const char *uid);

/*
 * First start: if the environment in auth_dir has no account, create
 * "admin" (role admin, must change password, name 管理者) with a fresh
 * initial password written to pw_out. CB_EEXIST if any account exists.
 * Never logs the password.
 */
int account_bootstrap_admin(const char *auth_dir, char *pw_out,
    size_t pw_size);

#endif
