/*
 * fuzz_doc_json.c: document JSON as a client or a replication peer sends
 * it: parsing, _rev and _revisions, merging into a revision tree, stemming,
 * the stored tree encoding, index fields, and composing the JSON back.
 * Nothing here touches LMDB; a crash or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "store/doc.h"
#include "store/index.h"
#include "store/revtree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small tree to merge into: 1-a -> 2-b, 1-a -> 2-c (deleted). */
static void
seed_tree(struct revtree *t)
{
	int i, j;

	revtree_init(t);
	if (revtree_add(t, -1, "a", 1, 0, &i) == 0) {
		(void)revtree_add(t, i, "b", 1, 0, &j);
		(void)revtree_add(t, i, "c", 1, 1, &j);
	}
}

static void
exercise_tree(struct revtree *t)
{
	int leaves[REVTREE_MAX_LEAVES], anc[64];
	struct revtree u;
	uint8_t *buf;
	size_t len;

	if (t->rt_n == 0)
		return;
	(void)revtree_leaves(t, leaves, REVTREE_MAX_LEAVES);
	(void)revtree_ancestry(t, revtree_winner(t), anc, 64);
	len = revtree_encoded_size(t);
	if ((buf = malloc(len)) == NULL)
		return;
	revtree_encode(t, buf);
	if (revtree_decode(&u, buf, len) != 0 || u.rt_n != t->rt_n)
		abort();	/* what we encode must decode */
	revtree_free(&u);
	free(buf);
	(void)revtree_stem(t, 2);
	(void)revtree_winner(t);
}

static void
exercise_doc(const struct doc_input *d, int new_edits)
{
	char hash[DOC_HASH_LEN + 1], rev[REV_MAX + 1], id[DOC_ID_MAX + 1];
	struct index_set idx;
	struct revtree t;
	char err[128], *out;
	size_t len;
	int index, added, demoted;

	(void)doc_new_hash(d->di_deleted, "1-a", d->di_body, d->di_bodylen,
	    hash);
	(void)index_entries(d->di_body, d->di_bodylen, &idx, err, sizeof(err));
	memcpy(id, d->di_id, d->di_idlen);
	id[d->di_idlen] = 0;
	if (doc_compose(id, "1-a", d->di_body, d->di_bodylen, NULL, &out,
	    &len) != 0)
		abort();	/* a parsed body always composes */
	free(out);
	if (new_edits || d->di_local)
		return;
	seed_tree(&t);
	if (revtree_merge(&t, &d->di_path, d->di_deleted, &index, &added,
	    &demoted) == 0)
		revtree_rev(&t, index, rev);
	exercise_tree(&t);
	revtree_free(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doc_input d;
	struct revtree t;
	char err[256];

	for (int new_edits = 0; new_edits <= 1; new_edits++) {
		if (doc_parse((const char *)data, size, new_edits, &d, err,
		    sizeof(err)) == 0) {
			exercise_doc(&d, new_edits);
			doc_input_free(&d);
		}
	}
	/* The same bytes as a stored tree record (authenticated on disk, but
	 * decoding must hold up anyway). */
	if (revtree_decode(&t, data, size) == 0) {
		exercise_tree(&t);
		revtree_free(&t);
	}
	return 0;
}
