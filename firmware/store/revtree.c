/*
 * revtree.c: revision trees as a flat array of nodes with parent links.
 * Invariants kept here: (gen, hash) is unique; a child's generation is its
 * parent's plus one; rt_n <= REVTREE_MAX_NODES.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "store/revtree.h"

#define REVTREE_VERSION	1
#define NODE_DELETED	0x01

void
revtree_init(struct revtree *t)
{
	memset(t, 0, sizeof(*t));
}

void
revtree_free(struct revtree *t)
{
	free(t->rt_nodes);
	revtree_init(t);
}

int
revtree_find(const struct revtree *t, uint32_t gen, const char *hash,
    size_t hashlen)
{
	for (uint32_t i = 0; i < t->rt_n; i++) {
		const struct rev_node *n = &t->rt_nodes[i];
		if (n->rn_gen == gen && n->rn_hashlen == hashlen &&
		    memcmp(n->rn_hash, hash, hashlen) == 0)
			return (int)i;
	}
	return -1;
}

int
revtree_is_leaf(const struct revtree *t, int i)
{
	for (uint32_t j = 0; j < t->rt_n; j++)
		if (t->rt_nodes[j].rn_parent == i)
			return 0;
	return 1;
}

void
revtree_rev(const struct revtree *t, int i, char out[REV_MAX + 1])
{
	const struct rev_node *n = &t->rt_nodes[i];

	snprintf(out, REV_MAX + 1, "%u-%s", (unsigned)n->rn_gen, n->rn_hash);
}

static int
revtree_push(struct revtree *t, uint32_t gen, int parent, const char *hash,
    size_t hashlen, int deleted)
{
	struct rev_node *n;

	assert(rev_hash_valid(hash, hashlen));
	if (t->rt_n >= REVTREE_MAX_NODES)
		return CB_ETOOBIG;
	if (t->rt_n == t->rt_cap) {
		uint32_t cap = t->rt_cap ? t->rt_cap * 2 : 8;
		struct rev_node *p = realloc(t->rt_nodes, cap * sizeof(*p));
		if (p == NULL)
			return CB_ENOMEM;
		t->rt_nodes = p;
		t->rt_cap = cap;
	}
	n = &t->rt_nodes[t->rt_n];
	memset(n, 0, sizeof(*n));
	n->rn_gen = gen;
	n->rn_parent = parent;
	n->rn_deleted = deleted ? 1 : 0;
	n->rn_hashlen = (uint8_t)hashlen;
	memcpy(n->rn_hash, hash, hashlen);
	return (int)t->rt_n++;
}

int
revtree_add(struct revtree *t, int parent, const char *hash, size_t hashlen,
    int deleted, int *index)
{
	uint32_t gen = parent < 0 ? 1 : t->rt_nodes[parent].rn_gen + 1;
	int i;

	if (!rev_hash_valid(hash, hashlen) || gen > REV_GEN_MAX)
		return CB_EINVAL;
	if (revtree_find(t, gen, hash, hashlen) >= 0)
		return CB_EEXIST;
	if ((i = revtree_push(t, gen, parent, hash, hashlen, deleted)) < 0)
		return i;
	*index = i;
	return CB_OK;
}

int
revtree_merge(struct revtree *t, const struct rev_path *p, int deleted,
    int *index, int *added, int *demoted)
{
	int prev = -1, i;

	*added = 0;
	*demoted = -1;
	if (p->rp_n == 0 || p->rp_start < p->rp_n || p->rp_start > REV_GEN_MAX)
		return CB_EINVAL;
	for (size_t k = 0; k < p->rp_n; k++)
		if (!rev_hash_valid(p->rp_ids[k], p->rp_lens[k]))
			return CB_EINVAL;
	/* A known revision is a repeat delivery: replication is idempotent,
	 * and PouchDB and CouchDB ignore it whole (no grafting either). */
	i = revtree_find(t, p->rp_start, p->rp_ids[0], p->rp_lens[0]);
	if (i >= 0) {
		*index = i;
		return CB_OK;
	}
	if (t->rt_n + p->rp_n > REVTREE_MAX_NODES)
		return CB_ETOOBIG;
	/* Oldest first: reuse known ancestors, create the rest below them. */
	for (size_t k = p->rp_n; k-- > 0;) {
		uint32_t gen = p->rp_start - (uint32_t)k;
		i = revtree_find(t, gen, p->rp_ids[k], p->rp_lens[k]);
		if (i >= 0) {
			/* A root whose ancestry had been stemmed away gets it
			 * back (a graft), as CouchDB's key tree merge does. */
			if (t->rt_nodes[i].rn_parent < 0 && prev >= 0)
				t->rt_nodes[i].rn_parent = prev;
		} else {
			if (prev >= 0 && *demoted < 0 && revtree_is_leaf(t, prev))
				*demoted = prev;
			i = revtree_push(t, gen, prev, p->rp_ids[k],
			    p->rp_lens[k], k == 0 ? deleted : 0);
			if (i < 0)
				return i;
		}
		prev = i;
	}
	*index = prev;
	*added = 1;
	return CB_OK;
}

int
revtree_stem(struct revtree *t, unsigned limit)
{
	uint8_t *keep;
	int32_t *map;
	uint32_t n = 0;

	if (limit == 0 || t->rt_n <= limit)
		return CB_OK;
	keep = calloc(t->rt_n, 1);
	map = calloc(t->rt_n, sizeof(*map));
	if (keep == NULL || map == NULL) {
		free(keep);
		free(map);
		return CB_ENOMEM;
	}
	for (uint32_t i = 0; i < t->rt_n; i++) {
		int j = (int)i;
		if (!revtree_is_leaf(t, j))
			continue;
		for (unsigned d = 0; d < limit && j >= 0; d++) {
			keep[j] = 1;
			j = t->rt_nodes[j].rn_parent;
		}
	}
	for (uint32_t i = 0; i < t->rt_n; i++)
		map[i] = keep[i] ? (int32_t)n++ : -1;
	n = 0;
	for (uint32_t i = 0; i < t->rt_n; i++) {
		struct rev_node node = t->rt_nodes[i];
		if (!keep[i])
			continue;
		node.rn_parent = node.rn_parent < 0 ? -1 : map[node.rn_parent];
		t->rt_nodes[n++] = node;
	}
	t->rt_n = n;
	free(keep);
	free(map);
	return CB_OK;
}

/* 1 when leaf a wins over leaf b. */
static int
rev_beats(const struct rev_node *a, const struct rev_node *b)
{
	int c;

	if (a->rn_deleted != b->rn_deleted)
		return !a->rn_deleted;
	if (a->rn_gen != b->rn_gen)
		return a->rn_gen > b->rn_gen;
	c = strcmp(a->rn_hash, b->rn_hash);
	return c > 0;
}

static uint8_t *
revtree_leaf_map(const struct revtree *t)
{
	uint8_t *leaf = malloc(t->rt_n ? t->rt_n : 1);

	if (leaf == NULL)
		return NULL;
	memset(leaf, 1, t->rt_n);
	for (uint32_t i = 0; i < t->rt_n; i++)
		if (t->rt_nodes[i].rn_parent >= 0)
			leaf[t->rt_nodes[i].rn_parent] = 0;
	return leaf;
}

size_t
revtree_leaves(const struct revtree *t, int *out, size_t max)
{
	uint8_t *leaf = revtree_leaf_map(t);
	size_t n = 0;

	if (leaf == NULL)
		return 0;
	for (uint32_t i = 0; i < t->rt_n; i++) {
		size_t k;
		if (!leaf[i])
			continue;
		/* Insertion sort, best first; the count is small. */
		k = n < max ? n : max;
		while (k > 0 && rev_beats(&t->rt_nodes[i],
		    &t->rt_nodes[out[k - 1]])) {
			if (k < max)
				out[k] = out[k - 1];
			k--;
		}
		if (k < max)
			out[k] = (int)i;
		n++;
	}
	free(leaf);
	return n;
}

int
revtree_winner(const struct revtree *t)
{
	int best = -1;

	assert(t->rt_n > 0);
	for (uint32_t i = 0; i < t->rt_n; i++) {
		if (!revtree_is_leaf(t, (int)i))
			continue;
		if (best < 0 || rev_beats(&t->rt_nodes[i], &t->rt_nodes[best]))
			best = (int)i;
	}
	return best;
}

size_t
revtree_ancestry(const struct revtree *t, int i, int *out, size_t max)
{
	size_t n = 0;

	while (i >= 0 && n < max && n < t->rt_n) {
		out[n++] = i;
		i = t->rt_nodes[i].rn_parent;
	}
	return n;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

size_t
revtree_encoded_size(const struct revtree *t)
{
	size_t n = 5;

	for (uint32_t i = 0; i < t->rt_n; i++)
		n += 10 + t->rt_nodes[i].rn_hashlen;
	return n;
}

void
revtree_encode(const struct revtree *t, uint8_t *out)
{
	out[0] = REVTREE_VERSION;
	put_u32(out + 1, t->rt_n);
	out += 5;
	for (uint32_t i = 0; i < t->rt_n; i++) {
		const struct rev_node *n = &t->rt_nodes[i];
		put_u32(out, n->rn_gen);
		put_u32(out + 4, (uint32_t)(n->rn_parent + 1));
		out[8] = n->rn_deleted ? NODE_DELETED : 0;
		out[9] = n->rn_hashlen;
		memcpy(out + 10, n->rn_hash, n->rn_hashlen);
		out += 10 + n->rn_hashlen;
	}
}

int
revtree_decode(struct revtree *t, const uint8_t *in, size_t len)
{
	const uint8_t *end = in + len;
	uint32_t count;

	revtree_init(t);
	if (len < 5 || in[0] != REVTREE_VERSION)
		return CB_EINVAL;
	count = get_u32(in + 1);
	if (count == 0 || count > REVTREE_MAX_NODES)
		return CB_EINVAL;
	in += 5;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t parent;
		size_t hl;
		int rc;
		if (end - in < 10 || (size_t)(end - in) < 10u + in[9])
			goto bad;
		parent = get_u32(in + 4);
		hl = in[9];
		if (parent > count || get_u32(in) == 0 ||
		    !rev_hash_valid((const char *)in + 10, hl))
			goto bad;
		rc = revtree_push(t, get_u32(in), (int)parent - 1,
		    (const char *)in + 10, hl, in[8] & NODE_DELETED);
		if (rc < 0) {
			revtree_free(t);
			return rc;
		}
		in += 10 + hl;
	}
	if (in != end)
		goto bad;
	/* A child is one generation below its parent: so no cycles. A graft
	 * may link a root to a later node, so order is not relied on. */
	for (uint32_t i = 0; i < count; i++) {
		int32_t p = t->rt_nodes[i].rn_parent;
		if (p >= 0 && t->rt_nodes[p].rn_gen + 1 != t->rt_nodes[i].rn_gen)
			goto bad;
	}
	return CB_OK;
bad:
	revtree_free(t);
	return CB_EINVAL;
}
