/*
 * storetool.c: the box's side of the sync tests, straight on its store
 * (tests/sync/rig.sh builds it like tests/revs/run builds revs_check).
 *
 *   storetool dump DATA_DIR
 *       every document, sorted by id, one line each, as rig.sh's
 *       cloud_dump prints PouchDB's:
 *       <id> <winning rev> <deleted 0|1> <sorted live conflicts, comma-separated, or ->
 *   storetool seed DATA_DIR N PREFIX
 *       N new small documents "<PREFIX>:<000000n>" of type "sync_test",
 *       written as people's edits (new_edits=1) in batches of
 *       STORE_BATCH_MAX, one durable commit each: a day of local changes
 *       made fast.
 *   storetool load DATA_DIR FILE
 *       the documents of FILE (one JSON object a line, without _rev) as
 *       people's edits, in batches of STORE_BATCH_MAX as seed does
 *       (tests/bench/sync.sh: a day's changes).
 *   storetool edit DATA_DIR ID TEXT
 *       one edit of document ID on top of its winning revision (a new
 *       document if there is none), setting field "text"; prints the rev.
 *   storetool retext DATA_DIR ID TEXT
 *       the same, but the document keeps its type and fields: "text" and
 *       "edited_at" (now) change (a person's edit of a guidance note on
 *       this peer); prints the rev.
 *   storetool branch DATA_DIR ID TEXT
 *       another peer's edit of ID coming down: a sibling of the winning
 *       revision (same parent, random hash) with "text" set, stored as
 *       replication stores it (new_edits=0), then the box's conflict rules
 *       on ID as after a pull (firmware/sync/conflict.c); prints the rev.
 *
 * The store is opened as `classbox web` opens it (DATA/store, the key in
 * DATA/keys); LMDB lets this run beside a running box.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "base/cb.h"
#include "store/store.h"
#include "sync/conflict.h"
#include "sync/repl.h"

#define ST_CHANGES_CHUNK	1000	/* changes read per call */
#define ST_DOC_MAX		512	/* bytes of one seeded document */

static int
open_store(struct store **sp, const char *data)
{
	char dir[4096], keys[4096];
	struct store_options so;
	struct keystore ks;
	int rc;

	snprintf(dir, sizeof(dir), "%s/store", data);
	snprintf(keys, sizeof(keys), "%s/keys", data);
	if ((rc = keystore_file_init(&ks, keys)) != CB_OK)
		return rc;
	memset(&so, 0, sizeof(so));
	so.so_keystore = &ks;
	rc = store_open(sp, dir, &so);
	if (rc != CB_OK)
		fprintf(stderr, "storetool: cannot open the store in %s: %s\n",
		    dir, cb_strerror(rc));
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
print_doc(struct store *s, const char *id)
{
	struct store_doc_info info;
	const char *conf[REVTREE_MAX_LEAVES];
	size_t n = 0;
	int rc;

	if ((rc = store_doc_info(s, id, &info)) != CB_OK) {
		fprintf(stderr, "%s: %s\n", id, store_errmsg(s));
		return rc;
	}
	for (size_t i = 1; i < info.si_nleaves && n < REVTREE_MAX_LEAVES; i++)
		if (!info.si_leaves[i].sl_deleted)
			conf[n++] = info.si_leaves[i].sl_rev;
	qsort(conf, n, sizeof(conf[0]), cmp_str);
	printf("%s %s %d ", id, info.si_leaves[0].sl_rev,
	    info.si_leaves[0].sl_deleted);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", conf[i]);
	printf("%s\n", n ? "" : "-");
	store_doc_info_free(&info);
	return CB_OK;
}

/* Ids in changes order; the caller sorts the output (sort(1)). */
static int
dump(struct store *s)
{
	static struct store_change ch[ST_CHANGES_CHUNK];
	uint64_t since = 0;
	size_t n;
	int rc;

	for (;;) {
		if ((rc = store_changes(s, since, ch, ST_CHANGES_CHUNK, &n)) !=
		    CB_OK) {
			fprintf(stderr, "changes: %s\n", store_errmsg(s));
			return rc;
		}
		if (n == 0)
			return CB_OK;
		for (size_t i = 0; i < n; i++)
			if ((rc = print_doc(s, ch[i].sc_id)) != CB_OK)
				return rc;
		since = ch[n - 1].sc_seq;
	}
}

static int
seed(struct store *s, long count, const char *prefix)
{
	static char json[STORE_BATCH_MAX][ST_DOC_MAX];
	static struct store_batch_doc docs[STORE_BATCH_MAX];
	static struct store_put_result res[STORE_BATCH_MAX];
	size_t failed;
	long done = 0;
	int rc;

	while (done < count) {
		size_t n = 0;
		for (; n < STORE_BATCH_MAX && done + (long)n < count; n++) {
			int len = snprintf(json[n], ST_DOC_MAX,
			    "{\"_id\":\"%s:%07ld\",\"type\":\"sync_test\","
			    "\"n\":%ld,\"text\":\"offline change %ld\"}",
			    prefix, done + (long)n, done + (long)n,
			    done + (long)n);
			docs[n].bd_json = json[n];
			docs[n].bd_len = (size_t)len;
		}
		if ((rc = store_put_batch(s, docs, n, res, &failed)) !=
		    CB_OK) {
			fprintf(stderr, "seed: %s\n", store_errmsg(s));
			return rc;
		}
		done += (long)n;
	}
	return CB_OK;
}

#define ST_LINE_MAX	8192	/* bytes of one loaded document */

static int
load_batch(struct store *s, char lines[][ST_LINE_MAX], size_t n)
{
	static struct store_batch_doc docs[STORE_BATCH_MAX];
	static struct store_put_result res[STORE_BATCH_MAX];
	size_t failed;

	for (size_t i = 0; i < n; i++) {
		docs[i].bd_json = lines[i];
		docs[i].bd_len = strlen(lines[i]);
	}
	if (n > 0 && store_put_batch(s, docs, n, res, &failed) != CB_OK) {
		fprintf(stderr, "load: %s\n", store_errmsg(s));
		return CB_EIO;
	}
	return CB_OK;
}

static int
load(struct store *s, const char *path)
{
	static char lines[STORE_BATCH_MAX][ST_LINE_MAX];
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int rc = CB_OK;

	if (f == NULL) {
		perror(path);
		return CB_EIO;
	}
	while (rc == CB_OK && fgets(lines[n], ST_LINE_MAX, f) != NULL) {
		lines[n][strcspn(lines[n], "\n")] = '\0';
		if (lines[n][0] == '\0')
			continue;
		if (++n == STORE_BATCH_MAX) {
			rc = load_batch(s, lines, n);
			n = 0;
		}
	}
	if (rc == CB_OK)
		rc = load_batch(s, lines, n);
	fclose(f);
	return rc;
}

static int
edit(struct store *s, const char *id, const char *text)
{
	struct store_doc cur;
	struct store_put_result res;
	yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = yyjson_mut_obj(m);
	size_t len;
	char *json;
	int rc, have = store_get(s, id, NULL, 0, &cur) == CB_OK;

	yyjson_mut_doc_set_root(m, o);
	yyjson_mut_obj_add_str(m, o, "_id", id);
	if (have)
		yyjson_mut_obj_add_str(m, o, "_rev", cur.sd_rev);
	yyjson_mut_obj_add_str(m, o, "type", "sync_test");
	yyjson_mut_obj_add_str(m, o, "text", text);
	json = yyjson_mut_write(m, 0, &len);
	rc = json ? store_put(s, json, len, 1, &res) : CB_ENOMEM;
	if (rc == CB_OK)
		printf("%s\n", res.pr_rev);
	else
		fprintf(stderr, "edit %s: %s\n", id, store_errmsg(s));
	free(json);
	yyjson_mut_doc_free(m);
	if (have)
		store_doc_free(&cur);
	return rc;
}

/* The winner of id with "text" (and "edited_at") replaced, as a mutable
 * document; NULL if there is none. */
static yyjson_mut_doc *
winner_with_text(struct store *s, const char *id, const char *text,
    unsigned flags, struct store_doc *cur)
{
	yyjson_doc *d;
	yyjson_mut_doc *m;
	yyjson_mut_val *o;

	if (store_get(s, id, NULL, flags, cur) != CB_OK) {
		fprintf(stderr, "%s: %s\n", id, store_errmsg(s));
		return NULL;
	}
	d = yyjson_read(cur->sd_json, cur->sd_len, 0);
	m = d ? yyjson_doc_mut_copy(d, NULL) : NULL;
	yyjson_doc_free(d);
	if (m == NULL)
		return NULL;
	o = yyjson_mut_doc_get_root(m);
	yyjson_mut_obj_remove_key(o, "text");
	yyjson_mut_obj_remove_key(o, "edited_at");
	yyjson_mut_obj_add_strcpy(m, o, "text", text);
	yyjson_mut_obj_add_int(m, o, "edited_at", cb_now_ms());
	return m;
}

static int
retext(struct store *s, const char *id, const char *text)
{
	struct store_doc cur;
	struct store_put_result res;
	yyjson_mut_doc *m = winner_with_text(s, id, text, 0, &cur);
	size_t len;
	char *json = m ? yyjson_mut_write(m, 0, &len) : NULL;
	int rc = json ? store_put(s, json, len, 1, &res) : CB_EINVAL;

	if (rc == CB_OK)
		printf("%s\n", res.pr_rev);
	else
		fprintf(stderr, "retext %s: %s\n", id, store_errmsg(s));
	free(json);
	yyjson_mut_doc_free(m);
	if (m != NULL)
		store_doc_free(&cur);
	return rc;
}

/* A sibling of the winner: the winner's _revisions with a new first id. */
static int
branch(struct store *s, const char *id, const char *text)
{
	struct store_doc cur;
	struct store_put_result res;
	struct proto_change pc;
	struct proto_changes ch;
	struct sync_ctx c;
	yyjson_mut_doc *m = winner_with_text(s, id, text,
	    STORE_GET_REVISIONS, &cur);
	yyjson_mut_val *o, *revs, *ids, *h;
	char hash[33], rev[REV_MAX + 1];
	unsigned char rnd[16];
	size_t len;
	char *json = NULL;
	int rc = CB_EINVAL;

	if (m == NULL)
		return rc;
	o = yyjson_mut_doc_get_root(m);
	revs = yyjson_mut_obj_get(o, "_revisions");
	ids = yyjson_mut_obj_get(revs, "ids");
	if (cb_random(rnd, sizeof(rnd)) == CB_OK && ids != NULL &&
	    (h = yyjson_mut_arr_get_first(ids)) != NULL) {
		for (int i = 0; i < 16; i++)
			snprintf(hash + 2 * i, 3, "%02x", rnd[i]);
		yyjson_mut_set_strn(h, hash, 32);
		snprintf(rev, sizeof(rev), "%lld-%s", (long long)
		    yyjson_mut_get_sint(yyjson_mut_obj_get(revs, "start")),
		    hash);
		yyjson_mut_obj_remove_key(o, "_rev");
		yyjson_mut_obj_add_strcpy(m, o, "_rev", rev);
		json = yyjson_mut_write(m, 0, &len);
	}
	rc = json ? store_put(s, json, len, 0, &res) : CB_EINVAL;
	if (rc == CB_OK) {
		const char *r1 = rev;
		memset(&c, 0, sizeof(c));
		memset(&ch, 0, sizeof(ch));
		c.sc_store = s;
		pc = (struct proto_change){ .pc_id = id, .pc_nrevs = 1,
		    .pc_revs = &r1 };
		ch.pcs_rows = &pc;
		ch.pcs_n = 1;
		rc = conflict_apply(&c, &ch);
		if (rc == CB_OK && c.sc_stats.ss_rejected)
			rc = CB_EINVAL;
	}
	if (rc == CB_OK)
		printf("%s\n", rev);
	else
		fprintf(stderr, "branch %s: %s\n", id, store_errmsg(s));
	free(json);
	yyjson_mut_doc_free(m);
	store_doc_free(&cur);
	return rc;
}

int
main(int argc, char **argv)
{
	struct store *s;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: storetool dump DATA | seed DATA N PREFIX"
		    " | load DATA FILE | edit DATA ID TEXT"
		    " | retext DATA ID TEXT | branch DATA ID TEXT\n");
		return 2;
	}
	if (open_store(&s, argv[2]) != CB_OK)
		return 1;
	if (strcmp(argv[1], "dump") == 0 && argc == 3)
		rc = dump(s);
	else if (strcmp(argv[1], "seed") == 0 && argc == 5)
		rc = seed(s, atol(argv[3]), argv[4]);
	else if (strcmp(argv[1], "load") == 0 && argc == 4)
		rc = load(s, argv[3]);
	else if (strcmp(argv[1], "edit") == 0 && argc == 5)
		rc = edit(s, argv[3], argv[4]);
	else if (strcmp(argv[1], "retext") == 0 && argc == 5)
		rc = retext(s, argv[3], argv[4]);
	else if (strcmp(argv[1], "branch") == 0 && argc == 5)
		rc = branch(s, argv[3], argv[4]);
	else {
		fprintf(stderr, "storetool: bad arguments\n");
		rc = CB_EINVAL;
	}
	store_close(s);
	return rc == CB_OK ? 0 : 1;
}
