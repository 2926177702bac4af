/*
 * account.c: accounts and sessions on LMDB. Three sub-databases:
 *
 *   users          uid -> struct account_rec (public view + PHC hash)
 *   sessions       SHA-256(token) -> struct session_rec
 *   user_sessions  uid -> SHA-256(token), MDB_DUPSORT|MDB_DUPFIXED: the
 *                  index that ends all sessions of a user in one txn
 *
 * Records are fixed-size structs in host byte order, tagged with a version:
 * the environment never leaves the box (backups are made by the store
 * module from a read txn and restored on the same architecture).
 * Commits are durable (no MDB_NOSYNC): a password change or a suspension
 * acknowledged to an admin survives a power cut.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>
#include <mbedtls/sha256.h>

#include "base/cb.h"
#include "base/utf8.h"
#include "auth/account.h"

#define ACCOUNT_REC_VERSION	1
#define SESSION_REC_VERSION	1
#define ACCOUNT_MAXDBS		5
#define ACCOUNT_CHUNK		64	/* keys collected per delete round */
#define ADMIN_NAME		"\xe7\xae\xa1\xe7\x90\x86\xe8\x80\x85" /* 管理者 */

struct account_rec {
	uint32_t ar_version;
	uint32_t ar_pad;
	struct auth_user ar_user;
	char ar_phc[PASSWORD_PHC_MAX];
};

struct session_rec {
	uint32_t sr_version;
	uint32_t sr_pad;
	struct account_session sr_s;
};

struct account_store {
	MDB_env *st_env;
	MDB_dbi st_users;
	MDB_dbi st_sessions;
	MDB_dbi st_by_user;
	MDB_dbi st_resets;		/* uid -> struct account_reset */
	MDB_dbi st_grants;		/* platform grant id -> int64 keep
					 * until (ms): each used once */
};

/* Map an LMDB error to a status; log the unexpected ones with what. */
static int
mdb_status(int rc, const char *what)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return CB_ENOTFOUND;
	case MDB_KEYEXIST:
		return CB_EEXIST;
	case MDB_MAP_FULL:
		log_err("account: %s: the auth database is full (%s); "
		    "raise ACCOUNT_MAP_SIZE", what, mdb_strerror(rc));
		return CB_ETOOBIG;
	default:
		log_err("account: %s: %s; check the auth data directory "
		    "(owner, permissions, free space)", what, mdb_strerror(rc));
		return CB_EIO;
	}
}

static int
env_setup(struct account_store *st, const char *dir)
{
	int rc;

	if ((rc = mdb_env_create(&st->st_env)) != 0)
		return mdb_status(rc, "mdb_env_create");
	if ((rc = mdb_env_set_maxdbs(st->st_env, ACCOUNT_MAXDBS)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->st_env, ACCOUNT_MAP_SIZE)) != 0)
		return mdb_status(rc, "configuring the environment");
	if ((rc = mdb_env_open(st->st_env, dir, 0, 0600)) != 0) {
		log_err("account: cannot open the auth database in %s: %s",
		    dir, mdb_strerror(rc));
		return CB_EIO;
	}
	mdb_reader_check(st->st_env, NULL);
	return 0;
}

static int
dbis_open(struct account_store *st)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(st->st_env, NULL, 0, &txn)) != 0)
		return mdb_status(rc, "opening the sub-databases");
	if ((rc = mdb_dbi_open(txn, "users", MDB_CREATE, &st->st_users)) ||
	    (rc = mdb_dbi_open(txn, "sessions", MDB_CREATE,
	    &st->st_sessions)) ||
	    (rc = mdb_dbi_open(txn, "user_sessions", MDB_CREATE |
	    MDB_DUPSORT | MDB_DUPFIXED, &st->st_by_user)) ||
	    (rc = mdb_dbi_open(txn, "reset_codes", MDB_CREATE,
	    &st->st_resets)) ||
	    (rc = mdb_dbi_open(txn, "reset_grants", MDB_CREATE,
	    &st->st_grants))) {
		mdb_txn_abort(txn);
		return mdb_status(rc, "opening the sub-databases");
	}
	return mdb_status(mdb_txn_commit(txn), "creating the sub-databases");
}

int
account_open(struct account_store **out, const char *dir)
{
	struct account_store *st;
	int rc;

	*out = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_err("account: cannot create %s: %s", dir, strerror(errno));
		return CB_EIO;
	}
	if (chmod(dir, 0700) != 0) {
		log_err("account: cannot make %s private (chmod 0700): %s; "
		    "it must belong to the auth user", dir, strerror(errno));
		return CB_EIO;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return CB_ENOMEM;
	if ((rc = env_setup(st, dir)) != 0 || (rc = dbis_open(st)) != 0) {
		account_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void
account_close(struct account_store *st)
{
	if (st == NULL)
		return;
	if (st->st_env != NULL)
		mdb_env_close(st->st_env);
	free(st);
}

static int
txn_begin(struct account_store *st, int rdonly, MDB_txn **txn)
{
	int rc = mdb_txn_begin(st->st_env, NULL, rdonly ? MDB_RDONLY : 0, txn);

	return mdb_status(rc, "beginning a transaction");
}

/* Commit if rc is 0, else abort; returns the final status. */
static int
txn_end(MDB_txn *txn, int rc)
{
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_status(mdb_txn_commit(txn), "committing");
}

static MDB_val
val_str(const char *s)
{
	return (MDB_val){ .mv_size = strlen(s), .mv_data = (void *)s };
}

static MDB_val
val_hash(const uint8_t *hash)
{
	return (MDB_val){ .mv_size = ACCOUNT_HASH_LEN, .mv_data = (void *)hash };
}

/* Force the NUL of every string field of a record read from disk. */
static void
user_terminate(struct auth_user *u)
{
	u->au_uid[AUTH_UID_MAX - 1] = '\0';
	u->au_name[AUTH_NAME_MAX - 1] = '\0';
	if (u->au_nlinks > AUTH_LINKS_MAX)
		u->au_nlinks = AUTH_LINKS_MAX;
	for (size_t i = 0; i < AUTH_LINKS_MAX; i++)
		u->au_links[i][AUTH_UID_MAX - 1] = '\0';
}

static int
rec_get(MDB_txn *txn, struct account_store *st, const char *uid,
    struct account_rec *rec)
{
	MDB_val k = val_str(uid), v;
	int rc = mdb_get(txn, st->st_users, &k, &v);

	if (rc != 0)
		return mdb_status(rc, "reading an account");
	if (v.mv_size != sizeof(*rec)) {
		log_err("account: record of %s has %zu bytes, not %zu: the "
		    "auth database is damaged; restore it from a backup", uid,
		    v.mv_size, sizeof(*rec));
		return CB_EIO;
	}
	memcpy(rec, v.mv_data, sizeof(*rec));
	if (rec->ar_version != ACCOUNT_REC_VERSION) {
		log_err("account: record of %s has version %u", uid,
		    rec->ar_version);
		return CB_EIO;
	}
	user_terminate(&rec->ar_user);
	rec->ar_phc[PASSWORD_PHC_MAX - 1] = '\0';
	return 0;
}

static int
rec_put(MDB_txn *txn, struct account_store *st, struct account_rec *rec)
{
	MDB_val k = val_str(rec->ar_user.au_uid);
	MDB_val v = { .mv_size = sizeof(*rec), .mv_data = rec };

	rec->ar_version = ACCOUNT_REC_VERSION;
	return mdb_status(mdb_put(txn, st->st_users, &k, &v, 0),
	    "writing an account");
}

int
account_count(struct account_store *st, size_t *n)
{
	MDB_txn *txn;
	MDB_stat ms;
	int rc;

	*n = 0;
	if ((rc = txn_begin(st, 1, &txn)) != 0)
		return rc;
	rc = mdb_status(mdb_stat(txn, st->st_users, &ms), "counting accounts");
	if (rc == 0)
		*n = ms.ms_entries;
	mdb_txn_abort(txn);
	return rc;
}

int
account_uid_valid(const char *uid)
{
	size_t len = strnlen(uid, AUTH_UID_MAX);

	if (len < 3 || len >= AUTH_UID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = uid[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int
name_valid(const char *name)
{
	size_t len = strnlen(name, AUTH_NAME_MAX);

	/* One line: names end up in tables, logs and CSV exports. */
	return len > 0 && len < AUTH_NAME_MAX &&
	    cb_utf8_valid(name, len, CB_UTF8_LINE);
}

static int
role_valid(uint32_t role)
{
	return role == ROLE_ADMIN || role == ROLE_TEACHER ||
	    role == ROLE_STUDENT || role == ROLE_PARENT;
}

/* Parents' links must name distinct existing (not deleted) students. */
static int
links_check(MDB_txn *txn, struct account_store *st, const struct auth_user *u)
{
	struct account_rec rec;
	int rc;

	if (u->au_role != ROLE_PARENT)
		return u->au_nlinks == 0 ? 0 : CB_EINVAL;
	if (u->au_nlinks > AUTH_LINKS_MAX)
		return CB_EINVAL;
	for (uint32_t i = 0; i < u->au_nlinks; i++) {
		if (!account_uid_valid(u->au_links[i]))
			return CB_EINVAL;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(u->au_links[i], u->au_links[j]) == 0)
				return CB_EINVAL;
		if ((rc = rec_get(txn, st, u->au_links[i], &rec)) != 0)
			return rc;
		if (rec.ar_user.au_role != ROLE_STUDENT ||
		    rec.ar_user.au_state == USER_DELETED)
			return CB_ENOTFOUND;
	}
	return 0;
}

static int
check_new_txn(MDB_txn *txn, struct account_store *st,
    const struct auth_user *u)
{
	struct account_rec rec;
	int rc;

	if (!account_uid_valid(u->au_uid) || !name_valid(u->au_name) ||
	    !role_valid(u->au_role))
		return CB_EINVAL;
	rc = rec_get(txn, st, u->au_uid, &rec);
	if (rc == 0)
		return CB_EEXIST;	/* tombstones too: ids are never reused */
	if (rc != CB_ENOTFOUND)
		return rc;
	return links_check(txn, st, u);
}

int
account_check_new(struct account_store *st, const struct auth_user *u)
{
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, 1, &txn)) != 0)
		return rc;
	rc = check_new_txn(txn, st, u);
	mdb_txn_abort(txn);
	return rc;
}

static int
create_txn(MDB_txn *txn, struct account_store *st, const struct auth_user *u,
    const char *phc, uint32_t flags, int64_t now_ms, struct auth_user *out)
{
	struct account_rec rec;
	int rc;

	if ((rc = check_new_txn(txn, st, u)) != 0)
		return rc;
	memset(&rec, 0, sizeof(rec));
	cb_strlcpy(rec.ar_user.au_uid, u->au_uid, AUTH_UID_MAX);
	cb_strlcpy(rec.ar_user.au_name, u->au_name, AUTH_NAME_MAX);
	rec.ar_user.au_role = u->au_role;
	rec.ar_user.au_flags = flags & (USER_F_ADMIN | USER_F_MUST_CHANGE);
	if (u->au_role == ROLE_ADMIN)
		rec.ar_user.au_flags |= USER_F_ADMIN;
	rec.ar_user.au_state = USER_ACTIVE;
	rec.ar_user.au_nlinks = u->au_nlinks;
	for (uint32_t i = 0; i < u->au_nlinks; i++)
		cb_strlcpy(rec.ar_user.au_links[i], u->au_links[i],
		    AUTH_UID_MAX);
	rec.ar_user.au_created_ms = now_ms;
	if (cb_strlcpy(rec.ar_phc, phc, sizeof(rec.ar_phc)) != 0)
		return CB_EINVAL;
	rc = rec_put(txn, st, &rec);
	if (rc == 0 && out != NULL)
		*out = rec.ar_user;
	cb_wipe(&rec, sizeof(rec));
	return rc;
}

int
account_create(struct account_store *st, const struct auth_user *u,
    const char *phc, uint32_t flags, int64_t now_ms, struct auth_user *out)
{
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	rc = create_txn(txn, st, u, phc, flags, now_ms, out);
	return txn_end(txn, rc);
}

int
account_get_hash(struct account_store *st, const char *uid,
    struct auth_user *out, char *phc, size_t phc_size)
{
	struct account_rec rec;
	MDB_txn *txn;
	int rc;

	if (!account_uid_valid(uid))
		return CB_ENOTFOUND;
	if ((rc = txn_begin(st, 1, &txn)) != 0)
		return rc;
	rc = rec_get(txn, st, uid, &rec);
	mdb_txn_abort(txn);
	if (rc == 0 && out != NULL)
		*out = rec.ar_user;
	if (rc == 0 && phc != NULL && cb_strlcpy(phc, rec.ar_phc, phc_size))
		rc = CB_ETOOBIG;
	cb_wipe(&rec, sizeof(rec));
	return rc;
}

int
account_get(struct account_store *st, const char *uid, struct auth_user *out)
{
	return account_get_hash(st, uid, out, NULL, 0);
}

int
account_record_login(struct account_store *st, const char *uid,
    int64_t now_ms, const char *old_phc, const char *new_phc)
{
	struct account_rec rec;
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	if ((rc = rec_get(txn, st, uid, &rec)) == 0) {
		rec.ar_user.au_last_login_ms = now_ms;
		if (new_phc != NULL && old_phc != NULL &&
		    strcmp(rec.ar_phc, old_phc) == 0)
			rc = cb_strlcpy(rec.ar_phc, new_phc, sizeof(rec.ar_phc));
		if (rc == 0)
			rc = rec_put(txn, st, &rec);
	}
	cb_wipe(&rec, sizeof(rec));
	return txn_end(txn, rc);
}

int
account_set_password(struct account_store *st, const char *uid,
    const char *old_phc, const char *new_phc, uint32_t set, uint32_t clear,
    struct auth_user *out)
{
	struct account_rec rec;
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	if ((rc = rec_get(txn, st, uid, &rec)) == 0) {
		if (rec.ar_user.au_state == USER_DELETED ||
		    (old_phc != NULL && strcmp(rec.ar_phc, old_phc) != 0))
			rc = CB_ESTATE;
		else
			rc = cb_strlcpy(rec.ar_phc, new_phc, sizeof(rec.ar_phc));
	}
	if (rc == 0) {
		rec.ar_user.au_flags = (rec.ar_user.au_flags & ~clear) | set;
		rc = rec_put(txn, st, &rec);
	}
	if (rc == 0 && out != NULL)
		*out = rec.ar_user;
	cb_wipe(&rec, sizeof(rec));
	return txn_end(txn, rc);
}

/* Copy the records at the cursor into out, from the first key > after. */
static int
list_fill(MDB_cursor *cur, const char *after, size_t max,
    struct auth_user *out, size_t *count, int *more)
{
	struct account_rec rec;
	MDB_val k = val_str(after), v;
	int rc, op = MDB_SET_RANGE;

	if (after[0] == '\0')
		op = MDB_FIRST;
	for (size_t n = 0; n <= ACCOUNT_SCAN_MAX; n++) {
		rc = mdb_cursor_get(cur, &k, &v, op);
		op = MDB_NEXT;
		if (rc == MDB_NOTFOUND)
			return 0;
		if (rc != 0)
			return mdb_status(rc, "listing accounts");
		if (k.mv_size == strlen(after) &&
		    memcmp(k.mv_data, after, k.mv_size) == 0)
			continue;	/* SET_RANGE found "after" itself */
		if (*count == max) {
			*more = 1;
			return 0;
		}
		if (v.mv_size != sizeof(rec))
			return CB_EIO;
		memcpy(&rec, v.mv_data, sizeof(rec));
		user_terminate(&rec.ar_user);
		out[(*count)++] = rec.ar_user;
		cb_wipe(&rec, sizeof(rec));
	}
	return 0;
}

int
account_list(struct account_store *st, const char *after, size_t max,
    struct auth_user *out, size_t *count, int *more)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	int rc;

	*count = 0;
	*more = 0;
	if ((rc = txn_begin(st, 1, &txn)) != 0)
		return rc;
	rc = mdb_status(mdb_cursor_open(txn, st->st_users, &cur),
	    "listing accounts");
	if (rc == 0) {
		rc = list_fill(cur, after, max, out, count, more);
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	return rc;
}

static int
count_admins_txn(MDB_txn *txn, struct account_store *st, size_t *n)
{
	struct account_rec rec;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, op = MDB_FIRST;

	*n = 0;
	rc = mdb_cursor_open(txn, st->st_users, &cur);
	if (rc != 0)
		return mdb_status(rc, "counting admins");
	for (size_t i = 0; i < ACCOUNT_SCAN_MAX; i++, op = MDB_NEXT) {
		if ((rc = mdb_cursor_get(cur, &k, &v, op)) != 0)
			break;
		if (v.mv_size != sizeof(rec))
			continue;
		memcpy(&rec, v.mv_data, sizeof(rec));
		if (rec.ar_user.au_state == USER_ACTIVE &&
		    (rec.ar_user.au_flags & USER_F_ADMIN))
			(*n)++;
	}
	cb_wipe(&rec, sizeof(rec));
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND || rc == 0 ? 0 :
	    mdb_status(rc, "counting admins");
}

int
account_count_admins(struct account_store *st, size_t *n)
{
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, 1, &txn)) != 0)
		return rc;
	rc = count_admins_txn(txn, st, n);
	mdb_txn_abort(txn);
	return rc;
}

/* CB_ELASTADMIN if taking rec out of the active admins leaves none. */
static int
last_admin_check(MDB_txn *txn, struct account_store *st,
    const struct account_rec *rec)
{
	size_t n;
	int rc;

	if (rec->ar_user.au_state != USER_ACTIVE ||
	    !(rec->ar_user.au_flags & USER_F_ADMIN))
		return 0;
	if ((rc = count_admins_txn(txn, st, &n)) != 0)
		return rc;
	return n <= 1 ? CB_ELASTADMIN : 0;
}

static int sessions_end_txn(MDB_txn *txn, struct account_store *st,
    const char *uid, const uint8_t *keep, size_t *n);

/* Leave the active state for state (suspend, graduate, transfer). */
static int
op_leave(MDB_txn *txn, struct account_store *st, struct account_rec *rec,
    uint32_t state)
{
	size_t n;
	int rc;

	if (rec->ar_user.au_state == USER_DELETED ||
	    rec->ar_user.au_state == state)
		return CB_ESTATE;
	if ((rc = last_admin_check(txn, st, rec)) != 0)
		return rc;
	rec->ar_user.au_state = state;
	return sessions_end_txn(txn, st, rec->ar_user.au_uid, NULL, &n);
}

/* Delete: a tombstone without hash, name or links keeps the id taken. */
static int
op_delete(MDB_txn *txn, struct account_store *st, struct account_rec *rec)
{
	int rc;

	if ((rc = op_leave(txn, st, rec, USER_DELETED)) != 0)
		return rc;
	cb_wipe(rec->ar_phc, sizeof(rec->ar_phc));
	memset(rec->ar_user.au_name, 0, sizeof(rec->ar_user.au_name));
	memset(rec->ar_user.au_links, 0, sizeof(rec->ar_user.au_links));
	rec->ar_user.au_nlinks = 0;
	rec->ar_user.au_flags = 0;
	return 0;
}

static int
op_admin(MDB_txn *txn, struct account_store *st, struct account_rec *rec,
    int grant)
{
	int rc;

	if (rec->ar_user.au_state == USER_DELETED)
		return CB_ESTATE;
	if (grant) {
		if (rec->ar_user.au_role != ROLE_TEACHER &&
		    rec->ar_user.au_role != ROLE_ADMIN)
			return CB_EINVAL;
		rec->ar_user.au_flags |= USER_F_ADMIN;
		return 0;
	}
	if ((rc = last_admin_check(txn, st, rec)) != 0)
		return rc;
	/* An account whose role is admin is an admin by role, not by grant:
	 * suspend or delete it instead. */
	if (rec->ar_user.au_role == ROLE_ADMIN)
		return CB_ESTATE;
	rec->ar_user.au_flags &= ~(uint32_t)USER_F_ADMIN;
	return 0;
}

static int
apply_txn(MDB_txn *txn, struct account_store *st, struct account_rec *rec,
    uint32_t op)
{
	switch (op) {
	case USER_OP_SUSPEND:
		return op_leave(txn, st, rec, USER_SUSPENDED);
	case USER_OP_GRADUATE:
		return op_leave(txn, st, rec, USER_GRADUATED);
	case USER_OP_TRANSFER:
		return op_leave(txn, st, rec, USER_TRANSFERRED);
	case USER_OP_DELETE:
		return op_delete(txn, st, rec);
	case USER_OP_REACTIVATE:
		if (rec->ar_user.au_state == USER_DELETED ||
		    rec->ar_user.au_state == USER_ACTIVE)
			return CB_ESTATE;
		rec->ar_user.au_state = USER_ACTIVE;
		return 0;
	case USER_OP_GRANT_ADMIN:
	case USER_OP_REVOKE_ADMIN:
		return op_admin(txn, st, rec, op == USER_OP_GRANT_ADMIN);
	default:
		return CB_EINVAL;
	}
}

int
account_apply(struct account_store *st, const char *uid, uint32_t op,
    struct auth_user *out)
{
	struct account_rec rec;
	MDB_txn *txn;
	int rc;

	if (!account_uid_valid(uid))
		return CB_ENOTFOUND;
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	if ((rc = rec_get(txn, st, uid, &rec)) == 0 &&
	    (rc = apply_txn(txn, st, &rec, op)) == 0)
		rc = rec_put(txn, st, &rec);
	if (rc == 0 && out != NULL)
		*out = rec.ar_user;
	cb_wipe(&rec, sizeof(rec));
	return txn_end(txn, rc);
}

/* --- sessions --- */

static int
session_read(MDB_txn *txn, struct account_store *st, const uint8_t *hash,
    struct account_session *s)
{
	struct session_rec sr;
	MDB_val k = val_hash(hash), v;
	int rc = mdb_get(txn, st->st_sessions, &k, &v);

	if (rc == MDB_NOTFOUND)
		return CB_ESESSION;
	if (rc != 0)
		return mdb_status(rc, "reading a session");
	if (v.mv_size != sizeof(sr))
		return CB_ESESSION;	/* unreadable: as good as expired */
	memcpy(&sr, v.mv_data, sizeof(sr));
	if (sr.sr_version != SESSION_REC_VERSION)
		return CB_ESESSION;
	*s = sr.sr_s;
	s->as_uid[AUTH_UID_MAX - 1] = '\0';
	cb_wipe(&sr, sizeof(sr));
	return 0;
}

static int
session_write(MDB_txn *txn, struct account_store *st, const uint8_t *hash,
    const struct account_session *s)
{
	struct session_rec sr = { .sr_version = SESSION_REC_VERSION };
	MDB_val k = val_hash(hash), v = { sizeof(sr), &sr };
	int rc;

	sr.sr_s = *s;
	rc = mdb_put(txn, st->st_sessions, &k, &v, 0);
	cb_wipe(&sr, sizeof(sr));
	return mdb_status(rc, "writing a session");
}

/* Delete a session and its user index entry. */
static int
session_del(MDB_txn *txn, struct account_store *st, const uint8_t *hash)
{
	struct account_session s;
	MDB_val k = val_hash(hash), ku, vh = val_hash(hash);
	int rc;

	if ((rc = session_read(txn, st, hash, &s)) == 0) {
		ku = val_str(s.as_uid);
		rc = mdb_del(txn, st->st_by_user, &ku, &vh);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return mdb_status(rc, "deleting a session index");
	}
	rc = mdb_del(txn, st->st_sessions, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return 0;
	return mdb_status(rc, "deleting a session");
}

/* Up to ACCOUNT_CHUNK session hashes of uid other than keep. */
static int
sessions_of(MDB_txn *txn, struct account_store *st, const char *uid,
    const uint8_t *keep, uint8_t (*out)[ACCOUNT_HASH_LEN], size_t *n)
{
	MDB_cursor *cur;
	MDB_val k = val_str(uid), v;
	int rc, op = MDB_SET;

	*n = 0;
	if ((rc = mdb_cursor_open(txn, st->st_by_user, &cur)) != 0)
		return mdb_status(rc, "finding sessions");
	while (*n < ACCOUNT_CHUNK &&
	    (rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		op = MDB_NEXT_DUP;
		if (v.mv_size != ACCOUNT_HASH_LEN)
			continue;
		if (keep != NULL && memcmp(v.mv_data, keep,
		    ACCOUNT_HASH_LEN) == 0)
			continue;
		memcpy(out[(*n)++], v.mv_data, ACCOUNT_HASH_LEN);
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 :
	    mdb_status(rc, "finding sessions");
}

static int
sessions_end_txn(MDB_txn *txn, struct account_store *st, const char *uid,
    const uint8_t *keep, size_t *n)
{
	uint8_t hashes[ACCOUNT_CHUNK][ACCOUNT_HASH_LEN];
	size_t got;
	int rc;

	*n = 0;
	for (size_t round = 0; round < ACCOUNT_SCAN_MAX / ACCOUNT_CHUNK;
	    round++) {
		if ((rc = sessions_of(txn, st, uid, keep, hashes, &got)) != 0)
			return rc;
		for (size_t i = 0; i < got; i++)
			if ((rc = session_del(txn, st, hashes[i])) != 0)
				return rc;
		*n += got;
		if (got < ACCOUNT_CHUNK)
			return 0;
	}
	return 0;
}

int
account_sessions_end_user(struct account_store *st, const char *uid,
    const uint8_t *keep, size_t *n)
{
	MDB_txn *txn;
	int rc;

	*n = 0;
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	rc = sessions_end_txn(txn, st, uid, keep, n);
	return txn_end(txn, rc);
}

/* Past ACCOUNT_SESSIONS_PER_USER, end the least recently seen session. */
static int
sessions_cap(MDB_txn *txn, struct account_store *st, const char *uid)
{
	uint8_t hashes[ACCOUNT_CHUNK][ACCOUNT_HASH_LEN];
	struct account_session s;
	size_t got, oldest = 0;
	int64_t oldest_ms = INT64_MAX;
	int rc;

	if ((rc = sessions_of(txn, st, uid, NULL, hashes, &got)) != 0)
		return rc;
	if (got < ACCOUNT_SESSIONS_PER_USER)
		return 0;
	for (size_t i = 0; i < got; i++) {
		if (session_read(txn, st, hashes[i], &s) != 0) {
			oldest = i;
			break;
		}
		if (s.as_last_seen_ms < oldest_ms) {
			oldest_ms = s.as_last_seen_ms;
			oldest = i;
		}
	}
	return session_del(txn, st, hashes[oldest]);
}

int
account_session_create(struct account_store *st,
    const uint8_t hash[ACCOUNT_HASH_LEN], const char *uid,
    const uint8_t csrf[AUTH_CSRF_LEN], int64_t now_ms)
{
	struct account_session s;
	MDB_txn *txn;
	MDB_val ku = val_str(uid), vh = val_hash(hash);
	int rc;

	memset(&s, 0, sizeof(s));
	if (cb_strlcpy(s.as_uid, uid, sizeof(s.as_uid)) != 0)
		return CB_EINVAL;
	s.as_created_ms = s.as_last_seen_ms = now_ms;
	memcpy(s.as_csrf, csrf, AUTH_CSRF_LEN);
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	if ((rc = sessions_cap(txn, st, uid)) == 0 &&
	    (rc = session_write(txn, st, hash, &s)) == 0)
		rc = mdb_status(mdb_put(txn, st->st_by_user, &ku, &vh, 0),
		    "indexing a session");
	cb_wipe(&s, sizeof(s));
	return txn_end(txn, rc);
}

static int
session_expired(const struct account_session *s, int64_t now_ms)
{
	return now_ms - s->as_last_seen_ms > AUTH_SESSION_IDLE_MS ||
	    now_ms - s->as_created_ms > AUTH_SESSION_ABS_MS;
}

static int
session_drop(struct account_store *st, const uint8_t *hash)
{
	int rc = account_session_delete(st, hash);

	return rc == 0 ? CB_ESESSION : rc;
}

int
account_session_get(struct account_store *st,
    const uint8_t hash[ACCOUNT_HASH_LEN], int64_t now_ms,
    struct account_session *s, struct auth_user *u)
{
	struct account_rec rec;
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, 1, &txn)) != 0)
		return rc;
	if ((rc = session_read(txn, st, hash, s)) == 0)
		rc = rec_get(txn, st, s->as_uid, &rec);
	mdb_txn_abort(txn);
	if (rc == CB_ESESSION)
		return rc;
	if (rc == CB_ENOTFOUND || (rc == 0 &&
	    (rec.ar_user.au_state != USER_ACTIVE || session_expired(s, now_ms))))
		rc = session_drop(st, hash);
	if (rc == 0)
		*u = rec.ar_user;
	cb_wipe(&rec, sizeof(rec));
	return rc;
}

int
account_session_touch(struct account_store *st,
    const uint8_t hash[ACCOUNT_HASH_LEN], int64_t now_ms)
{
	struct account_session s;
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	if ((rc = session_read(txn, st, hash, &s)) == 0 &&
	    !session_expired(&s, now_ms) &&
	    now_ms - s.as_last_seen_ms >= AUTH_TOUCH_INTERVAL_MS) {
		s.as_last_seen_ms = now_ms;
		rc = session_write(txn, st, hash, &s);
	} else if (rc == 0) {
		mdb_txn_abort(txn);	/* nothing to write */
		return 0;
	}
	return txn_end(txn, rc);
}

int
account_session_delete(struct account_store *st,
    const uint8_t hash[ACCOUNT_HASH_LEN])
{
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	rc = session_del(txn, st, hash);
	return txn_end(txn, rc);
}

/* Up to ACCOUNT_CHUNK expired session hashes. */
static int
sessions_expired(MDB_txn *txn, struct account_store *st, int64_t now_ms,
    uint8_t (*out)[ACCOUNT_HASH_LEN], size_t *n)
{
	struct session_rec sr;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, op = MDB_FIRST;

	*n = 0;
	if ((rc = mdb_cursor_open(txn, st->st_sessions, &cur)) != 0)
		return mdb_status(rc, "purging sessions");
	for (size_t i = 0; i < ACCOUNT_SCAN_MAX && *n < ACCOUNT_CHUNK;
	    i++, op = MDB_NEXT) {
		if ((rc = mdb_cursor_get(cur, &k, &v, op)) != 0)
			break;
		if (k.mv_size != ACCOUNT_HASH_LEN)
			continue;
		if (v.mv_size == sizeof(sr))
			memcpy(&sr, v.mv_data, sizeof(sr));
		if (v.mv_size != sizeof(sr) || session_expired(&sr.sr_s, now_ms))
			memcpy(out[(*n)++], k.mv_data, ACCOUNT_HASH_LEN);
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 :
	    mdb_status(rc, "purging sessions");
}

int
account_sessions_purge(struct account_store *st, int64_t now_ms, size_t max,
    size_t *n)
{
	uint8_t hashes[ACCOUNT_CHUNK][ACCOUNT_HASH_LEN];
	MDB_txn *txn;
	size_t got;
	int rc;

	*n = 0;
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	rc = sessions_expired(txn, st, now_ms, hashes, &got);
	for (size_t i = 0; rc == 0 && i < got && *n < max; i++)
		if ((rc = session_del(txn, st, hashes[i])) == 0)
			(*n)++;
	return txn_end(txn, rc);
}

/* --- first start --- */

static int
bootstrap_txn(struct account_store *st, const char *phc, int64_t now_ms)
{
	struct auth_user u;
	MDB_txn *txn;
	MDB_stat ms;
	int rc;

	memset(&u, 0, sizeof(u));
	cb_strlcpy(u.au_uid, "admin", sizeof(u.au_uid));
	cb_strlcpy(u.au_name, ADMIN_NAME, sizeof(u.au_name));
	u.au_role = ROLE_ADMIN;
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	rc = mdb_status(mdb_stat(txn, st->st_users, &ms), "counting accounts");
	if (rc == 0 && ms.ms_entries > 0)
		rc = CB_EEXIST;
	if (rc == 0)
		rc = create_txn(txn, st, &u, phc, USER_F_ADMIN |
		    USER_F_MUST_CHANGE, now_ms, NULL);
	return txn_end(txn, rc);
}

int
account_bootstrap_admin(const char *auth_dir, char *pw_out, size_t pw_size)
{
	struct account_store *st;
	char phc[PASSWORD_PHC_MAX];
	size_t n;
	int rc;

	if ((rc = account_open(&st, auth_dir)) != 0)
		return rc;
	if ((rc = account_count(st, &n)) == 0 && n > 0)
		rc = CB_EEXIST;
	if (rc == 0)
		rc = password_generate(pw_out, pw_size, &(struct password_ctx){
		    AUTH_FIRST_ADMIN, NULL, NULL, NULL });
	if (rc == 0)
		rc = password_hash(pw_out, phc, sizeof(phc));
	if (rc == 0)
		rc = bootstrap_txn(st, phc, cb_now_ms());
	if (rc == 0)
		log_info("account: created the first admin account \"admin\"");
	else if (pw_size > 0)
		cb_wipe(pw_out, pw_size);
	cb_wipe(phc, sizeof(phc));
	account_close(st);
	return rc;
}

/* ---- offline reset codes ------------------------------------------ */

#define ACCOUNT_RESET_VERSION	1
#define ACCOUNT_RESET_SALT_LEN	16

struct account_reset {
	uint32_t rr_version;
	uint32_t rr_tries;		/* wrong tries so far */
	int64_t rr_expires_ms;
	uint8_t rr_salt[ACCOUNT_RESET_SALT_LEN];
	uint8_t rr_hash[ACCOUNT_HASH_LEN];	/* SHA-256(salt || code) */
};

static int
reset_hash(const uint8_t *salt, const char *code, uint8_t out[ACCOUNT_HASH_LEN])
{
	mbedtls_sha256_context ctx;
	int rc;

	mbedtls_sha256_init(&ctx);
	rc = mbedtls_sha256_starts(&ctx, 0) ||
	    mbedtls_sha256_update(&ctx, salt, ACCOUNT_RESET_SALT_LEN) ||
	    mbedtls_sha256_update(&ctx, (const unsigned char *)code,
	    strlen(code)) ||
	    mbedtls_sha256_finish(&ctx, out);
	mbedtls_sha256_free(&ctx);
	return rc ? CB_ECRYPTO : 0;
}

int
account_reset_put(struct account_store *st, const char *uid,
    const char *code, int64_t expires_ms)
{
	struct account_reset rr;
	MDB_txn *txn;
	MDB_val k = val_str(uid), v = { sizeof(rr), &rr };
	int rc;

	if (!account_uid_valid(uid))
		return CB_EINVAL;
	memset(&rr, 0, sizeof(rr));
	rr.rr_version = ACCOUNT_RESET_VERSION;
	rr.rr_expires_ms = expires_ms;
	if ((rc = cb_random(rr.rr_salt, sizeof(rr.rr_salt))) != 0 ||
	    (rc = reset_hash(rr.rr_salt, code, rr.rr_hash)) != 0)
		return rc;
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	rc = mdb_status(mdb_put(txn, st->st_resets, &k, &v, 0),
	    "storing a reset code");
	cb_wipe(&rr, sizeof(rr));
	return txn_end(txn, rc);
}

static int
reset_use(struct account_store *st, const char *uid, const char *code,
    int64_t now_ms, int take)
{
	struct account_reset rr;
	uint8_t h[ACCOUNT_HASH_LEN];
	MDB_txn *txn;
	MDB_val k = val_str(uid), v;
	int rc, match;

	if (!account_uid_valid(uid))
		return CB_EAUTH;
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	rc = mdb_status(mdb_get(txn, st->st_resets, &k, &v),
	    "reading a reset code");
	if (rc == CB_ENOTFOUND) {
		mdb_txn_abort(txn);
		return CB_EAUTH;
	}
	if (rc == 0 && v.mv_size != sizeof(rr))
		rc = CB_EIO;
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	memcpy(&rr, v.mv_data, sizeof(rr));
	match = reset_hash(rr.rr_salt, code, h) == 0 &&
	    cb_memeq_ct(h, rr.rr_hash, sizeof(h)) == 0;
	if (match && !take && now_ms < rr.rr_expires_ms) {
		rc = 0;		/* right, and kept */
	} else if (now_ms >= rr.rr_expires_ms || match ||
	    rr.rr_tries + 1 >= ACCOUNT_RESET_TRIES_MAX) {
		/* used, expired, or out of tries: gone */
		rc = mdb_status(mdb_del(txn, st->st_resets, &k, NULL),
		    "deleting a reset code");
	} else {
		rr.rr_tries++;
		v = (MDB_val){ sizeof(rr), &rr };
		rc = mdb_status(mdb_put(txn, st->st_resets, &k, &v, 0),
		    "counting a wrong reset code");
	}
	if ((rc = txn_end(txn, rc)) == 0 &&
	    (!match || now_ms >= rr.rr_expires_ms))
		rc = CB_EAUTH;
	cb_wipe(&rr, sizeof(rr));
	cb_wipe(h, sizeof(h));
	return rc;
}

int
account_reset_take(struct account_store *st, const char *uid,
    const char *code, int64_t now_ms)
{
	return reset_use(st, uid, code, now_ms, 1);
}

int
account_reset_check(struct account_store *st, const char *uid,
    const char *code, int64_t now_ms)
{
	return reset_use(st, uid, code, now_ms, 0);
}

/* Forget up to ACCOUNT_GRANT_PURGE_MAX grant ids kept past their time. */
static int
grants_purge(struct account_store *st, MDB_txn *txn, int64_t now_ms)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int64_t until;
	size_t n = 0;
	int rc;

	if ((rc = mdb_cursor_open(txn, st->st_grants, &cur)) != 0)
		return mdb_status(rc, "purging reset grant ids");
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0 && n < ACCOUNT_GRANT_PURGE_MAX) {
		if (v.mv_size == sizeof(until))
			memcpy(&until, v.mv_data, sizeof(until));
		else
			until = 0;
		if (until <= now_ms && (rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		n++;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : mdb_status(rc, "purging grant ids");
}

int
account_reset_grant_put(struct account_store *st, const char *uid,
    const char *grant_id, const uint8_t salt[16], const uint8_t hash[32],
    int64_t expires_ms, int64_t now_ms)
{
	struct account_reset rr;
	int64_t until = now_ms + ACCOUNT_GRANT_KEEP_MS;
	MDB_txn *txn;
	MDB_val k = val_str(uid), v = { sizeof(rr), &rr };
	MDB_val gk = val_str(grant_id), gv = { sizeof(until), &until };
	int rc;

	_Static_assert(ACCOUNT_RESET_SALT_LEN == 16, "grant salt");
	if (!account_uid_valid(uid) || gk.mv_size == 0 ||
	    gk.mv_size > ACCOUNT_GRANT_ID_MAX)
		return CB_EINVAL;
	memset(&rr, 0, sizeof(rr));
	rr.rr_version = ACCOUNT_RESET_VERSION;
	rr.rr_expires_ms = expires_ms;
	memcpy(rr.rr_salt, salt, sizeof(rr.rr_salt));
	memcpy(rr.rr_hash, hash, sizeof(rr.rr_hash));
	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	rc = grants_purge(st, txn, now_ms);
	if (rc == 0)
		rc = mdb_status(mdb_put(txn, st->st_grants, &gk, &gv,
		    MDB_NOOVERWRITE), "keeping a reset grant id");
	if (rc == 0)
		rc = mdb_status(mdb_put(txn, st->st_resets, &k, &v, 0),
		    "storing a reset code");
	cb_wipe(&rr, sizeof(rr));
	return txn_end(txn, rc);
}

int
account_reset_drop(struct account_store *st, const char *uid)
{
	MDB_txn *txn;
	MDB_val k = val_str(uid);
	int rc;

	if ((rc = txn_begin(st, 0, &txn)) != 0)
		return rc;
	rc = mdb_status(mdb_del(txn, st->st_resets, &k, NULL),
	    "deleting a reset code");
	if (rc == CB_ENOTFOUND)
		rc = 0;
	return txn_end(txn, rc);
}
