/*
 * kv.c: LMDB behind classbox's terms. The only file that calls mdb_*; it
 * maps LMDB's errors to CB_E* and logs what an operator can act on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "base/cb.h"
#include "base/file.h"
#include "store/kv.h"

struct kv_env {
	MDB_env *ke_env;
};

struct kv_txn {
	MDB_txn *kt_txn;
};

struct kv_cursor {
	MDB_cursor *kc_cursor;
};

/* LMDB statuses in classbox's terms. A full map is the one a school will
 * meet (a term of attendance on a small disk): it gets its own status so
 * the API can say "disk full" instead of "internal error". */
static int
kv_status(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return CB_OK;
	case MDB_NOTFOUND:
		return CB_ENOTFOUND;
	case MDB_KEYEXIST:
		return CB_EEXIST;
	case MDB_MAP_FULL:
	case ENOSPC:
		log_err("store: the database is full (LMDB map or disk); "
		    "free disk space or raise the map size");
		return CB_EFULL;
	case MDB_TXN_FULL:
	case MDB_BAD_VALSIZE:
		return CB_ETOOBIG;
	case MDB_READERS_FULL:
		return CB_EBUSY;
	case ENOMEM:
		return CB_ENOMEM;
	case MDB_MAP_RESIZED:
		return CB_EAGAIN;
	case EINVAL:
		return CB_EINVAL;
	default:
		log_err("store: LMDB: %s", mdb_strerror(rc));
		return CB_EIO;
	}
}

static int
kv_fsync_dir(const char *dir)
{
	if (cb_fsync_dir(dir) != CB_OK) {
		log_err("store: cannot flush the directory %s: %s", dir,
		    strerror(errno));
		return CB_EIO;
	}
	return CB_OK;
}

int
kv_open(struct kv_env **envp, const char *dir, size_t map_size)
{
	struct kv_env *env;
	int rc, dead = 0;

	*envp = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_err("store: cannot create %s: %s", dir, strerror(errno));
		return CB_EIO;
	}
	/* The directory may hold the kek file too: only classbox may enter.
	 * The owner's group may, when the launcher shares the store with
	 * the sync process (docs/sync.md); the world never. Only the owner
	 * tightens the mode, so a group member opens it as it is. */
	struct stat dst;
	if (stat(dir, &dst) == 0 && dst.st_uid != geteuid() &&
	    (dst.st_mode & 07) == 0)
		;	/* not ours to change, and closed to the world */
	else if (chmod(dir, (dst.st_mode & 0070) == 0070 ? 0770 : 0700) != 0) {
		log_err("store: cannot chmod %s: %s", dir, strerror(errno));
		return CB_EIO;
	}
	if ((env = calloc(1, sizeof(*env))) == NULL)
		return CB_ENOMEM;
	if ((rc = mdb_env_create(&env->ke_env)) != 0) {
		free(env);
		return kv_status(rc);
	}
	if (map_size == 0)
		map_size = KV_DEFAULT_MAP_SIZE;
	if ((rc = mdb_env_set_mapsize(env->ke_env, map_size)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env->ke_env, KV_MAX_TABLES)) != 0 ||
	    (rc = mdb_env_open(env->ke_env, dir, 0, 0600)) != 0) {
		log_err("store: cannot open the database in %s: %s", dir,
		    mdb_strerror(rc));
		mdb_env_close(env->ke_env);
		free(env);
		return rc == ENOENT || rc == EACCES ? CB_EIO : kv_status(rc);
	}
	/* A process killed while it held a read transaction leaves its slot
	 * in lock.mdb, which pins old pages until cleared: clear them. */
	(void)mdb_reader_check(env->ke_env, &dead);
	if (dead > 0)
		log_info("store: cleared %d reader slots of dead processes in "
		    "%s", dead, dir);
	/* LMDB fsyncs the data file at each commit, not the directory: make
	 * the names data.mdb and lock.mdb themselves durable once created. */
	if ((rc = kv_fsync_dir(dir)) != 0) {
		mdb_env_close(env->ke_env);
		free(env);
		return rc;
	}
	*envp = env;
	return CB_OK;
}

void
kv_close(struct kv_env *env)
{
	if (env == NULL)
		return;
	mdb_env_close(env->ke_env);
	free(env);
}

int
kv_sync(struct kv_env *env)
{
	return kv_status(mdb_env_sync(env->ke_env, 1));
}

int
kv_copy(const char *dir, int fd)
{
	MDB_env *env;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0)
		return kv_status(rc);
	if ((rc = mdb_env_set_maxdbs(env, KV_MAX_TABLES)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_RDONLY, 0600)) != 0) {
		log_err("store: cannot open the database in %s for a copy: %s",
		    dir, mdb_strerror(rc));
		mdb_env_close(env);
		return rc == ENOENT ? CB_ENOTFOUND :
		    rc == EACCES ? CB_EPERM : CB_EIO;
	}
	rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);
	mdb_env_close(env);
	if (rc != 0)
		log_err("store: copying %s: %s", dir, mdb_strerror(rc));
	return rc == ENOSPC || rc == EDQUOT ? CB_EFULL :
	    rc != 0 ? CB_EIO : CB_OK;
}

int
kv_table_open(struct kv_txn *txn, const char *name, kv_table *out)
{
	MDB_dbi dbi;
	int rc;

	if ((rc = mdb_dbi_open(txn->kt_txn, name, MDB_CREATE, &dbi)) != 0)
		return kv_status(rc);
	*out = dbi;
	return CB_OK;
}

int
kv_begin(struct kv_env *env, int write, struct kv_txn **txnp)
{
	struct kv_txn *txn;
	int rc;

	*txnp = NULL;
	if ((txn = calloc(1, sizeof(*txn))) == NULL)
		return CB_ENOMEM;
	rc = mdb_txn_begin(env->ke_env, NULL, write ? 0 : MDB_RDONLY,
	    &txn->kt_txn);
	if (rc != 0) {
		free(txn);
		return kv_status(rc);
	}
	*txnp = txn;
	return CB_OK;
}

int
kv_last_txn(struct kv_env *env, uint64_t *out)
{
	MDB_envinfo info;
	int rc = mdb_env_info(env->ke_env, &info);

	*out = rc == 0 ? (uint64_t)info.me_last_txnid : 0;
	return kv_status(rc);
}

int
kv_commit(struct kv_txn *txn)
{
	int rc = mdb_txn_commit(txn->kt_txn);

	free(txn);
	return kv_status(rc);
}

void
kv_abort(struct kv_txn *txn)
{
	if (txn == NULL)
		return;
	mdb_txn_abort(txn->kt_txn);
	free(txn);
}

static MDB_val
kv_mval(const void *p, size_t len)
{
	MDB_val v = { .mv_size = len, .mv_data = (void *)(uintptr_t)p };
	return v;
}

static void
kv_out(struct kv_val *out, const MDB_val *v)
{
	if (out == NULL)
		return;
	out->kv_data = v->mv_data;
	out->kv_len = v->mv_size;
}

int
kv_get(struct kv_txn *txn, kv_table t, const void *key, size_t klen,
    struct kv_val *val)
{
	MDB_val k = kv_mval(key, klen), v;
	int rc;

	if (klen == 0 || klen > KV_MAX_KEY)
		return CB_EINVAL;
	if ((rc = mdb_get(txn->kt_txn, t, &k, &v)) != 0)
		return kv_status(rc);
	kv_out(val, &v);
	return CB_OK;
}

int
kv_put(struct kv_txn *txn, kv_table t, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	MDB_val k = kv_mval(key, klen), v = kv_mval(val, vlen);

	if (klen == 0 || klen > KV_MAX_KEY)
		return CB_EINVAL;
	return kv_status(mdb_put(txn->kt_txn, t, &k, &v, 0));
}

int
kv_del(struct kv_txn *txn, kv_table t, const void *key, size_t klen)
{
	MDB_val k = kv_mval(key, klen);

	if (klen == 0 || klen > KV_MAX_KEY)
		return CB_EINVAL;
	return kv_status(mdb_del(txn->kt_txn, t, &k, NULL));
}

int
kv_cursor_open(struct kv_txn *txn, kv_table t, struct kv_cursor **cp)
{
	struct kv_cursor *c;
	int rc;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CB_ENOMEM;
	if ((rc = mdb_cursor_open(txn->kt_txn, t, &c->kc_cursor)) != 0) {
		free(c);
		return kv_status(rc);
	}
	*cp = c;
	return CB_OK;
}

static int
kv_cursor_get(struct kv_cursor *c, MDB_val *k, MDB_cursor_op op,
    struct kv_val *kout, struct kv_val *vout)
{
	MDB_val v;
	int rc;

	if ((rc = mdb_cursor_get(c->kc_cursor, k, &v, op)) != 0)
		return kv_status(rc);
	kv_out(kout, k);
	kv_out(vout, &v);
	return CB_OK;
}

int
kv_cursor_seek(struct kv_cursor *c, const void *key, size_t klen,
    struct kv_val *k, struct kv_val *v)
{
	MDB_val mk = kv_mval(key, klen);

	if (key == NULL || klen == 0)
		return kv_cursor_get(c, &mk, MDB_FIRST, k, v);
	if (klen > KV_MAX_KEY)
		return CB_EINVAL;
	return kv_cursor_get(c, &mk, MDB_SET_RANGE, k, v);
}

int
kv_cursor_next(struct kv_cursor *c, struct kv_val *k, struct kv_val *v)
{
	MDB_val mk = { 0 };

	return kv_cursor_get(c, &mk, MDB_NEXT, k, v);
}

int
kv_cursor_last(struct kv_cursor *c, struct kv_val *k, struct kv_val *v)
{
	MDB_val mk = { 0 };

	return kv_cursor_get(c, &mk, MDB_LAST, k, v);
}

void
kv_cursor_close(struct kv_cursor *c)
{
	if (c == NULL)
		return;
	mdb_cursor_close(c->kc_cursor);
	free(c);
}
