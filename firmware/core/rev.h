/*
 * rev.h: the shape of a revision id, "N-hash", as CouchDB and PouchDB write
 * it. Pure text rules, no tree: the store's revision trees
 * (store/revtree.h) and the merge of conflicting records (core/conflict.c)
 * both read ids with them.
 */
#ifndef REV_H
#define REV_H

#include <stddef.h>
#include <stdint.h>

#define REV_HASH_MAX		64	/* bytes of the part after "N-" */
#define REV_GEN_MAX		999999999u
#define REV_MAX			(9 + 1 + REV_HASH_MAX)	/* "N-hash" */

/* Parse "N-hash": N in 1..REV_GEN_MAX without leading zeros, hash 1 to
 * REV_HASH_MAX bytes of [0-9A-Za-z._~-] (hex in CouchDB and PouchDB).
 * CB_EINVAL otherwise. */
int rev_parse(const char *rev, size_t len, uint32_t *gen, const char **hash,
    size_t *hashlen);

/* 1 when s is an acceptable hash (the part after "N-"). */
int rev_hash_valid(const char *s, size_t len);

#endif
