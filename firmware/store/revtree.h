/*
 * revtree.h: the revision tree of one document, as CouchDB and PouchDB keep
 * it. A node is a revision (generation, hash); a leaf is a revision with no
 * child, either a live version or a tombstone (deleted). The tree may have
 * several roots once old ancestry is stemmed away.
 *
 * Winning revision (CouchDB and PouchDB agree): among the leaves, a live one
 * beats a deleted one, then the higher generation wins, then the greater
 * hash string (byte order; hashes are ASCII, so this is also
 * JavaScript's order). Conflicts are the live leaves other than the winner.
 *
 * No I/O here: the store loads a tree, edits it in memory, stores it.
 */
#ifndef REVTREE_H
#define REVTREE_H

#include <stddef.h>
#include <stdint.h>

#include "core/rev.h"	/* a revision id: REV_MAX, rev_parse */

#define REVTREE_MAX_NODES	8192	/* revisions kept per document */
#define REVTREE_MAX_LEAVES	256	/* branches (conflicts + tombstones) */
#define REVTREE_DEFAULT_LIMIT	1000	/* CouchDB's default _revs_limit */

struct rev_node {
	uint32_t rn_gen;
	int32_t rn_parent;	/* index in rt_nodes, or -1 for a root */
	uint8_t rn_deleted;	/* for a leaf: a tombstone */
	uint8_t rn_hashlen;
	char rn_hash[REV_HASH_MAX + 1];
};

struct revtree {
	struct rev_node *rt_nodes;
	uint32_t rt_n;
	uint32_t rt_cap;
};

/* A revision with its ancestry, as in CouchDB's _revisions: ids[0] is the
 * revision itself at generation start, ids[i] its i-th ancestor. */
struct rev_path {
	uint32_t rp_start;
	size_t rp_n;
	const char **rp_ids;
	const size_t *rp_lens;
};

void revtree_init(struct revtree *t);
void revtree_free(struct revtree *t);

/* Index of revision (gen, hash), or -1. */
int revtree_find(const struct revtree *t, uint32_t gen, const char *hash,
    size_t hashlen);
int revtree_is_leaf(const struct revtree *t, int i);
/* "N-hash" of node i into out (REV_MAX + 1 bytes). */
void revtree_rev(const struct revtree *t, int i, char out[REV_MAX + 1]);

/* New edit: a child of node parent (-1: a new root at generation 1). */
int revtree_add(struct revtree *t, int parent, const char *hash,
    size_t hashlen, int deleted, int *index);
/* Replication: merge a revision and its ancestry. *index is the node of
 * ids[0]; *added is 0 when that revision was already known (then nothing
 * changed); *demoted is a former leaf that now has a child, or -1. */
int revtree_merge(struct revtree *t, const struct rev_path *p, int deleted,
    int *index, int *added, int *demoted);
/* Keep at most limit revisions on every root-to-leaf path (_revs_limit).
 * Leaves are never removed. */
int revtree_stem(struct revtree *t, unsigned limit);

/* The winning leaf (the tree must not be empty). */
int revtree_winner(const struct revtree *t);
/* Leaves in order: the winner first, then by the same ordering. Returns the
 * count (at most max are written). */
size_t revtree_leaves(const struct revtree *t, int *out, size_t max);
/* Ancestry of node i, newest first, at most max nodes (for _revisions). */
size_t revtree_ancestry(const struct revtree *t, int i, int *out, size_t max);

/* Compact encoding: version, count, then per node gen, parent, flags, hash. */
size_t revtree_encoded_size(const struct revtree *t);
void revtree_encode(const struct revtree *t, uint8_t *out);
int revtree_decode(struct revtree *t, const uint8_t *in, size_t len);

#endif
