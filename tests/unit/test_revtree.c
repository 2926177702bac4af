/*
 * test_revtree.c: revision trees in memory: the winning revision, merging
 * replicated histories, stemming, and the stored encoding.
 */
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "store/revtree.h"
#include "t.h"

/* Merge "start" with ids newest first, e.g. merge(t, 3, "c b a", 0). */
static int
merge(struct revtree *t, uint32_t start, const char *ids, int deleted,
    int *added, int *demoted)
{
	const char *v[64];
	size_t lens[64], n = 0;
	char *copy = strdup(ids), *save = NULL, *tok;
	struct rev_path p;
	int idx, rc, a, d;

	for (tok = strtok_r(copy, " ", &save); tok && n < 64;
	    tok = strtok_r(NULL, " ", &save)) {
		v[n] = tok;
		lens[n++] = strlen(tok);
	}
	p.rp_start = start;
	p.rp_n = n;
	p.rp_ids = v;
	p.rp_lens = lens;
	rc = revtree_merge(t, &p, deleted, &idx, &a, &d);
	if (added)
		*added = a;
	if (demoted)
		*demoted = d;
	free(copy);
	return rc;
}

static const char *
winner(const struct revtree *t)
{
	static char rev[REV_MAX + 1];

	revtree_rev(t, revtree_winner(t), rev);
	return rev;
}

T_TEST(live_leaf_beats_longer_deleted_branch)
{
	struct revtree t;

	revtree_init(&t);
	T_EQ_INT(merge(&t, 2, "b a", 0, NULL, NULL), 0);
	T_EQ_INT(merge(&t, 4, "z y x a", 1, NULL, NULL), 0);
	T_EQ_STR(winner(&t), "2-b");
	revtree_free(&t);
}

T_TEST(higher_generation_then_greater_hash_wins)
{
	struct revtree t;
	int leaves[8];

	revtree_init(&t);
	T_EQ_INT(merge(&t, 2, "b a", 0, NULL, NULL), 0);
	T_EQ_INT(merge(&t, 2, "c a", 0, NULL, NULL), 0);
	T_EQ_STR(winner(&t), "2-c");
	T_EQ_INT(merge(&t, 3, "d b a", 0, NULL, NULL), 0);
	T_EQ_STR(winner(&t), "3-d");
	T_EQ_INT(revtree_leaves(&t, leaves, 8), 2);
	T_EQ_INT(t.rt_nodes[leaves[1]].rn_gen, 2);
	/* "10-" vs "9-": generations compare as numbers. */
	revtree_free(&t);
	revtree_init(&t);
	T_EQ_INT(merge(&t, 9, "z y x w v u t s r", 0, NULL, NULL), 0);
	T_EQ_INT(merge(&t, 10, "a b c d e f g h i j", 0, NULL, NULL), 0);
	T_EQ_STR(winner(&t), "10-a");
	revtree_free(&t);
}

T_TEST(all_deleted_picks_best_tombstone)
{
	struct revtree t;

	revtree_init(&t);
	T_EQ_INT(merge(&t, 2, "b a", 1, NULL, NULL), 0);
	T_EQ_INT(merge(&t, 3, "c x a", 1, NULL, NULL), 0);
	T_EQ_STR(winner(&t), "3-c");
	T_ASSERT(t.rt_nodes[revtree_winner(&t)].rn_deleted);
	revtree_free(&t);
}

T_TEST(merge_is_idempotent_and_reports_demoted_leaf)
{
	struct revtree t;
	int added, demoted;

	revtree_init(&t);
	T_EQ_INT(merge(&t, 1, "a", 0, &added, &demoted), 0);
	T_EQ_INT(added, 1);
	T_EQ_INT(demoted, -1);
	T_EQ_INT(merge(&t, 3, "c b a", 0, &added, &demoted), 0);
	T_EQ_INT(added, 1);
	T_EQ_INT(demoted, 0);	/* 1-a had been a leaf */
	T_EQ_INT(t.rt_n, 3);
	T_EQ_INT(merge(&t, 3, "c b a", 0, &added, &demoted), 0);
	T_EQ_INT(added, 0);
	T_EQ_INT(merge(&t, 2, "b a", 0, &added, &demoted), 0);
	T_EQ_INT(added, 0);
	T_EQ_INT(t.rt_n, 3);
	revtree_free(&t);
}

T_TEST(merge_rejects_bad_paths)
{
	struct revtree t;

	revtree_init(&t);
	T_EQ_INT(merge(&t, 1, "b a", 0, NULL, NULL), CB_EINVAL);
	T_EQ_INT(merge(&t, 2, "b a\"", 0, NULL, NULL), CB_EINVAL);
	T_EQ_INT(merge(&t, 0, "a", 0, NULL, NULL), CB_EINVAL);
	T_EQ_INT(t.rt_n, 0);
	revtree_free(&t);
}

T_TEST(stem_keeps_leaves_and_recent_ancestry)
{
	struct revtree t;
	int anc[16];

	revtree_init(&t);
	T_EQ_INT(merge(&t, 6, "f e d c b a", 0, NULL, NULL), 0);
	T_EQ_INT(merge(&t, 3, "x b a", 0, NULL, NULL), 0);
	T_EQ_INT(revtree_stem(&t, 3), 0);
	/* f e d kept for the first path; x b a for the second. */
	T_EQ_INT(t.rt_n, 6);
	T_ASSERT(revtree_find(&t, 3, "c", 1) < 0);
	T_ASSERT(revtree_find(&t, 1, "a", 1) >= 0);
	T_EQ_INT(revtree_ancestry(&t, revtree_find(&t, 6, "f", 1), anc, 16),
	    3);
	T_EQ_STR(winner(&t), "6-f");
	T_EQ_INT(revtree_stem(&t, 1), 0);
	T_EQ_INT(t.rt_n, 2);
	T_EQ_STR(winner(&t), "6-f");
	revtree_free(&t);
}

T_TEST(stemmed_root_gets_its_ancestry_back)
{
	struct revtree t;
	int anc[16];

	revtree_init(&t);
	T_EQ_INT(merge(&t, 4, "d c b a", 0, NULL, NULL), 0);
	T_EQ_INT(revtree_stem(&t, 2), 0);
	T_EQ_INT(t.rt_n, 2);
	T_EQ_INT(merge(&t, 5, "e d c b", 0, NULL, NULL), 0);
	T_EQ_INT(revtree_ancestry(&t, revtree_find(&t, 5, "e", 1), anc, 16),
	    4);
	revtree_free(&t);
}

T_TEST(encoding_round_trip_and_damage)
{
	struct revtree t, u;
	uint8_t *buf;
	size_t len;

	revtree_init(&t);
	T_EQ_INT(merge(&t, 3, "c b a", 0, NULL, NULL), 0);
	T_EQ_INT(merge(&t, 3, "y x a", 1, NULL, NULL), 0);
	T_EQ_INT(revtree_stem(&t, 2), 0);
	T_EQ_INT(merge(&t, 4, "d c b a", 0, NULL, NULL), 0);	/* graft */
	len = revtree_encoded_size(&t);
	buf = malloc(len);
	revtree_encode(&t, buf);
	T_EQ_INT(revtree_decode(&u, buf, len), 0);
	T_EQ_INT(u.rt_n, t.rt_n);
	T_EQ_STR(winner(&u), "4-d");
	revtree_free(&u);
	for (size_t cut = 0; cut < len; cut++)
		T_EQ_INT(revtree_decode(&u, buf, cut), CB_EINVAL);
	buf[5] ^= 0x7f;		/* a generation */
	T_EQ_INT(revtree_decode(&u, buf, len), CB_EINVAL);
	free(buf);
	revtree_free(&t);
}

T_TEST(rev_parse_shapes)
{
	const char *h;
	size_t hl;
	uint32_t g;

	T_EQ_INT(rev_parse("12-abc", 6, &g, &h, &hl), 0);
	T_EQ_INT(g, 12);
	T_EQ_INT(hl, 3);
	T_EQ_INT(rev_parse("0-abc", 5, &g, &h, &hl), CB_EINVAL);
	T_EQ_INT(rev_parse("01-abc", 6, &g, &h, &hl), CB_EINVAL);
	T_EQ_INT(rev_parse("1-", 2, &g, &h, &hl), CB_EINVAL);
	T_EQ_INT(rev_parse("abc", 3, &g, &h, &hl), CB_EINVAL);
	T_EQ_INT(rev_parse("1-a b", 5, &g, &h, &hl), CB_EINVAL);
	T_EQ_INT(rev_parse("9999999999-a", 12, &g, &h, &hl), CB_EINVAL);
}

T_TEST(node_limit_is_enforced)
{
	struct revtree t;
	int idx = -1, rc = 0;
	char h[16];

	revtree_init(&t);
	for (int i = 0; i < REVTREE_MAX_NODES + 1 && rc == 0; i++) {
		int len = snprintf(h, sizeof(h), "h%d", i);
		rc = revtree_add(&t, idx, h, (size_t)len, 0, &idx);
	}
	T_EQ_INT(rc, CB_ETOOBIG);
	T_EQ_INT(t.rt_n, REVTREE_MAX_NODES);
	revtree_free(&t);
}

T_MAIN()
