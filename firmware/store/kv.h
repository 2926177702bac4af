/*
 * kv.h: the one module of classbox that speaks LMDB. Everything above it
 * (seal, revtree, doc, index, store) sees environments, named tables,
 * transactions and cursors in these terms and CB_E* statuses, never mdb_*.
 *
 * Durability: commits are synchronous (no MDB_NOSYNC, MDB_NOMETASYNC or
 * MDB_WRITEMAP): when kv_commit returns 0 the change survives a power cut.
 */
#ifndef KV_H
#define KV_H

#include <stddef.h>
#include <stdint.h>

#define KV_DEFAULT_MAP_SIZE	((size_t)1 << 30)	/* 1 GiB */
#define KV_MAX_TABLES		16	/* named sub-databases per environment */
#define KV_MAX_KEY		511	/* LMDB's compiled-in key size limit */

struct kv_env;
struct kv_txn;
struct kv_cursor;

/* A named table (an LMDB sub-database); valid while its kv_env is open. */
typedef uint32_t kv_table;

/* A value or key as LMDB returns it: points into the map, valid until the
 * transaction ends. Never write through it. */
struct kv_val {
	const void *kv_data;
	size_t kv_len;
};

/* Open (create) the environment in directory dir (made 0700; data.mdb and
 * lock.mdb are 0600). map_size 0 means KV_DEFAULT_MAP_SIZE. */
int kv_open(struct kv_env **envp, const char *dir, size_t map_size);
void kv_close(struct kv_env *env);

/* Open (create) a named table inside a write transaction. Tables are opened
 * once at start-up; the handle stays valid for the environment's life. */
int kv_table_open(struct kv_txn *txn, const char *name, kv_table *out);

int kv_begin(struct kv_env *env, int write, struct kv_txn **txnp);
/* The id of the last committed write transaction: it counts every durable
 * write the environment ever took (for /metrics and the tests that check
 * two paths write alike). */
int kv_last_txn(struct kv_env *env, uint64_t *out);
/* Commit; on failure the transaction is gone all the same. */
int kv_commit(struct kv_txn *txn);
void kv_abort(struct kv_txn *txn);

/* CB_ENOTFOUND when the key is absent. */
int kv_get(struct kv_txn *txn, kv_table t, const void *key, size_t klen,
    struct kv_val *val);
/* CB_EFULL when the map or disk is full: abort the transaction then. */
int kv_put(struct kv_txn *txn, kv_table t, const void *key, size_t klen,
    const void *val, size_t vlen);
/* CB_ENOTFOUND when the key is absent. */
int kv_del(struct kv_txn *txn, kv_table t, const void *key, size_t klen);

/* Cursors: seek to the first key >= key (key NULL: the first key), then
 * step forwards. CB_ENOTFOUND at the end. */
int kv_cursor_open(struct kv_txn *txn, kv_table t, struct kv_cursor **cp);
int kv_cursor_seek(struct kv_cursor *c, const void *key, size_t klen,
    struct kv_val *k, struct kv_val *v);
int kv_cursor_next(struct kv_cursor *c, struct kv_val *k, struct kv_val *v);
/* The last key of the table. */
int kv_cursor_last(struct kv_cursor *c, struct kv_val *k, struct kv_val *v);
void kv_cursor_close(struct kv_cursor *c);

/* Flush the environment to disk (after a crypto-erase, for instance). */
int kv_sync(struct kv_env *env);

/* A compacting hot copy (backups): open the environment in dir read-only
 * (its writers may keep running: the copy is one read transaction's
 * consistent snapshot) and write it, free pages left out, as a data.mdb
 * image to fd. CB_ENOTFOUND when dir holds no environment, CB_EFULL when
 * fd's disk is full. */
int kv_copy(const char *dir, int fd);

#endif
