/*
 * test_store.c: the classroom data store against a real LMDB environment
 * in a temporary directory: documents and revisions, conflicts from
 * replication, tombstones, the changes feed, indexes, local documents,
 * limits, a full map, the key file, crypto-erase, and a scan of the raw
 * file for personal data.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cb.h"
#include "store/store.h"
#include "t.h"

static char t_dir[64];

static struct store *
open_new(const struct store_options *o)
{
	struct store *s = NULL;

	snprintf(t_dir, sizeof(t_dir), "/tmp/cb-store.XXXXXX");
	if (mkdtemp(t_dir) == NULL)
		return NULL;
	T_EQ_INT(store_open(&s, t_dir, o), 0);
	return s;
}

static void
remove_dir(const char *dir)
{
	static const char *const files[] = { "data.mdb", "lock.mdb", "kek" };
	char p[128];

	for (size_t i = 0; i < CB_ARRAY_LEN(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void
close_remove(struct store *s)
{
	store_close(s);
	remove_dir(t_dir);
}

static int
put(struct store *s, const char *json, int new_edits,
    struct store_put_result *r)
{
	struct store_put_result tmp;

	return store_put(s, json, strlen(json), new_edits, r ? r : &tmp);
}

static int
has(const char *haystack, const char *needle)
{
	return haystack != NULL && strstr(haystack, needle) != NULL;
}

T_TEST(put_get_update_round_trip)
{
	struct store *s = open_new(NULL);
	struct store_put_result r, r2;
	struct store_doc d;
	char json[512];

	T_EQ_INT(put(s, "{\"_id\":\"attendance:2026-04-10:3-2:s0123:1\","
	    "\"type\":\"attendance\",\"status\":\"late\",\"class_id\":\"3-2\"}",
	    1, &r), 0);
	T_EQ_STR(r.pr_id, "attendance:2026-04-10:3-2:s0123:1");
	T_EQ_INT(strlen(r.pr_rev), 2 + 32);
	T_ASSERT(strncmp(r.pr_rev, "1-", 2) == 0);
	T_EQ_INT(r.pr_seq, 1);
	T_EQ_INT(store_get(s, r.pr_id, NULL, 0, &d), 0);
	T_ASSERT(has(d.sd_json, "\"status\":\"late\""));
	T_ASSERT(has(d.sd_json, r.pr_rev));
	T_EQ_STR(d.sd_rev, r.pr_rev);
	store_doc_free(&d);
	/* Without _rev, or with an old one: a conflict (HTTP 409). */
	T_EQ_INT(put(s, "{\"_id\":\"attendance:2026-04-10:3-2:s0123:1\","
	    "\"type\":\"attendance\",\"status\":\"present\"}", 1, NULL),
	    CB_EEXIST);
	snprintf(json, sizeof(json), "{\"_id\":\"%s\",\"_rev\":\"%s\","
	    "\"type\":\"attendance\",\"status\":\"present\"}", r.pr_id,
	    r.pr_rev);
	T_EQ_INT(put(s, json, 1, &r2), 0);
	T_ASSERT(strncmp(r2.pr_rev, "2-", 2) == 0);
	T_EQ_INT(put(s, json, 1, NULL), CB_EEXIST);
	T_ASSERT(has(store_errmsg(s), "conflict"));
	T_EQ_INT(store_get(s, r.pr_id, NULL, 0, &d), 0);
	T_ASSERT(has(d.sd_json, "\"status\":\"present\""));
	store_doc_free(&d);
	/* The old revision's body is gone: only leaves keep theirs. */
	T_EQ_INT(store_get(s, r.pr_id, r.pr_rev, 0, &d), CB_ENOTFOUND);
	T_EQ_INT(store_get(s, "nope", NULL, 0, &d), CB_ENOTFOUND);
	close_remove(s);
}

T_TEST(same_edit_gives_same_revision)
{
	struct store *s = open_new(NULL), *s2;
	struct store_put_result a, b;
	char dir1[64];

	T_EQ_INT(put(s, "{\"_id\":\"class:3-2\",\"type\":\"class\",\"b\":1,"
	    "\"a\":[1,{\"y\":2,\"x\":1}]}", 1, &a), 0);
	memcpy(dir1, t_dir, sizeof(dir1));
	s2 = open_new(NULL);
	T_EQ_INT(put(s2, "{\"a\":[1,{\"x\":1,\"y\":2}], \"type\":\"class\","
	    "\"_id\":\"class:3-2\",\"b\":1}", 1, &b), 0);
	T_EQ_STR(a.pr_rev, b.pr_rev);	/* canonical body: key order moot */
	close_remove(s2);
	store_close(s);
	remove_dir(dir1);
}

T_TEST(replicated_conflicts_winner_and_conflicts)
{
	struct store *s = open_new(NULL);
	struct store_put_result r;
	struct store_doc_info info;
	struct store_doc d, *docs;
	size_t n;

	T_EQ_INT(put(s, "{\"_id\":\"announcement:1\",\"_rev\":\"2-aaa\","
	    "\"_revisions\":{\"start\":2,\"ids\":[\"aaa\",\"root\"]},"
	    "\"type\":\"announcement\",\"v\":\"a\"}", 0, &r), 0);
	T_EQ_INT(r.pr_changed, 1);
	T_EQ_INT(put(s, "{\"_id\":\"announcement:1\",\"_rev\":\"2-bbb\","
	    "\"_revisions\":{\"start\":2,\"ids\":[\"bbb\",\"root\"]},"
	    "\"type\":\"announcement\",\"v\":\"b\"}", 0, &r), 0);
	T_EQ_INT(put(s, "{\"_id\":\"announcement:1\",\"_rev\":\"1-zzz\","
	    "\"type\":\"announcement\",\"v\":\"z\"}", 0, &r), 0);
	T_EQ_INT(store_doc_info(s, "announcement:1", &info), 0);
	T_EQ_INT(info.si_nleaves, 3);
	T_EQ_STR(info.si_leaves[0].sl_rev, "2-bbb");
	T_EQ_STR(info.si_leaves[1].sl_rev, "2-aaa");
	T_EQ_STR(info.si_leaves[2].sl_rev, "1-zzz");
	store_doc_info_free(&info);
	T_EQ_INT(store_get(s, "announcement:1", NULL, STORE_GET_CONFLICTS,
	    &d), 0);
	T_ASSERT(has(d.sd_json, "\"_conflicts\":[\"2-aaa\",\"1-zzz\"]"));
	T_ASSERT(has(d.sd_json, "\"v\":\"b\""));
	store_doc_free(&d);
	T_EQ_INT(store_get(s, "announcement:1", "2-aaa", STORE_GET_REVISIONS,
	    &d), 0);
	T_ASSERT(has(d.sd_json, "\"_revisions\":{\"start\":2,\"ids\":"
	    "[\"aaa\",\"root\"]}"));
	store_doc_free(&d);
	T_EQ_INT(store_get_leaves(s, "announcement:1", 0, &docs, &n), 0);
	T_EQ_INT(n, 3);
	T_ASSERT(n == 3 && has(docs[2].sd_json, "\"v\":\"z\""));
	store_docs_free(docs, n);
	/* Idempotent: the same revision again changes nothing. */
	T_EQ_INT(put(s, "{\"_id\":\"announcement:1\",\"_rev\":\"2-aaa\","
	    "\"_revisions\":{\"start\":2,\"ids\":[\"aaa\",\"root\"]},"
	    "\"type\":\"announcement\",\"v\":\"a\"}", 0, &r), 0);
	T_EQ_INT(r.pr_changed, 0);
	T_EQ_INT(r.pr_seq, 3);
	/* _revisions must agree with _rev. */
	T_EQ_INT(put(s, "{\"_id\":\"announcement:1\",\"_rev\":\"3-ccc\","
	    "\"_revisions\":{\"start\":2,\"ids\":[\"ccc\",\"bbb\"]},"
	    "\"type\":\"announcement\"}", 0, &r), CB_EINVAL);
	T_EQ_INT(put(s, "{\"_id\":\"announcement:1\",\"type\":\"announcement\""
	    "}", 0, &r), CB_EINVAL);
	close_remove(s);
}

T_TEST(delete_makes_tombstone_and_other_branch_wins)
{
	struct store *s = open_new(NULL);
	struct store_put_result r;
	struct store_doc d;

	T_EQ_INT(put(s, "{\"_id\":\"submission:1\",\"_rev\":\"2-bbb\","
	    "\"_revisions\":{\"start\":2,\"ids\":[\"bbb\",\"root\"]},"
	    "\"type\":\"submission\",\"v\":\"b\"}", 0, &r), 0);
	T_EQ_INT(put(s, "{\"_id\":\"submission:1\",\"_rev\":\"2-aaa\","
	    "\"_revisions\":{\"start\":2,\"ids\":[\"aaa\",\"root\"]},"
	    "\"type\":\"submission\",\"v\":\"a\"}", 0, &r), 0);
	/* Delete the winner: the other branch wins. */
	T_EQ_INT(put(s, "{\"_id\":\"submission:1\",\"_rev\":\"2-bbb\","
	    "\"_deleted\":true}", 1, &r), 0);
	T_ASSERT(strncmp(r.pr_rev, "3-", 2) == 0);
	T_EQ_INT(store_get(s, "submission:1", NULL, STORE_GET_CONFLICTS, &d),
	    0);
	T_EQ_STR(d.sd_rev, "2-aaa");
	T_ASSERT(!has(d.sd_json, "_conflicts"));
	store_doc_free(&d);
	/* The tombstone is a readable leaf. */
	T_EQ_INT(store_get(s, "submission:1", r.pr_rev, 0, &d), 0);
	T_ASSERT(has(d.sd_json, "\"_deleted\":true"));
	T_EQ_INT(d.sd_deleted, 1);
	store_doc_free(&d);
	/* Delete the last live branch: the document is gone. */
	T_EQ_INT(put(s, "{\"_id\":\"submission:1\",\"_rev\":\"2-aaa\","
	    "\"_deleted\":true}", 1, &r), 0);
	T_EQ_INT(store_get(s, "submission:1", NULL, 0, &d), CB_ENOTFOUND);
	/* Written again without _rev: continues the winning tombstone. */
	T_EQ_INT(put(s, "{\"_id\":\"submission:1\",\"type\":\"submission\"}",
	    1, &r), 0);
	T_ASSERT(strncmp(r.pr_rev, "4-", 2) == 0);
	T_EQ_INT(put(s, "{\"_id\":\"nothing:1\",\"_deleted\":true}", 1, &r),
	    CB_ENOTFOUND);
	close_remove(s);
}

T_TEST(changes_feed_order_and_one_entry_per_document)
{
	struct store *s = open_new(NULL);
	struct store_put_result a, b, c;
	struct store_change ch[8];
	char json[256];
	uint64_t last;
	size_t n;

	T_EQ_INT(put(s, "{\"_id\":\"x:a\",\"type\":\"t\"}", 1, &a), 0);
	T_EQ_INT(put(s, "{\"_id\":\"x:b\",\"type\":\"t\"}", 1, &b), 0);
	T_EQ_INT(put(s, "{\"_id\":\"x:c\",\"type\":\"t\"}", 1, &c), 0);
	snprintf(json, sizeof(json), "{\"_id\":\"x:a\",\"_rev\":\"%s\","
	    "\"type\":\"t\",\"n\":2}", a.pr_rev);
	T_EQ_INT(put(s, json, 1, &a), 0);
	snprintf(json, sizeof(json), "{\"_id\":\"x:b\",\"_rev\":\"%s\","
	    "\"_deleted\":true}", b.pr_rev);
	T_EQ_INT(put(s, json, 1, &b), 0);
	T_EQ_INT(store_changes(s, 0, ch, 8, &n), 0);
	T_EQ_INT(n, 3);
	T_EQ_STR(ch[0].sc_id, "x:c");
	T_EQ_INT(ch[0].sc_seq, 3);
	T_EQ_STR(ch[1].sc_id, "x:a");
	T_EQ_INT(ch[1].sc_seq, 4);
	T_EQ_STR(ch[1].sc_rev, a.pr_rev);
	T_EQ_STR(ch[2].sc_id, "x:b");
	T_EQ_INT(ch[2].sc_deleted, 1);
	T_EQ_INT(store_changes(s, 4, ch, 8, &n), 0);
	T_EQ_INT(n, 1);
	T_EQ_INT(store_changes(s, 0, ch, 2, &n), 0);
	T_EQ_INT(n, 2);
	T_EQ_INT(store_last_seq(s, &last), 0);
	T_EQ_INT(last, 5);
	/* A local document is not in the feed. */
	T_EQ_INT(put(s, "{\"_id\":\"_local/ck\",\"last_seq\":5}", 1, NULL), 0);
	T_EQ_INT(store_last_seq(s, &last), 0);
	T_EQ_INT(last, 5);
	close_remove(s);
}

static size_t
scan(struct store *s, enum index_kind k, const char *from, const char *to,
    const char *prefix, struct index_hit *hits, size_t limit,
    const char *after, char *next)
{
	struct index_query q = { k, from, to, prefix, after, limit };
	size_t n = 0;

	T_EQ_INT(store_index_scan(s, &q, hits, &n, next), 0);
	return n;
}

T_TEST(indexes_follow_updates_and_deletes)
{
	struct store *s = open_new(NULL);
	struct store_put_result r1, r2;
	struct index_hit hits[16];
	char json[512], next[INDEX_CURSOR_MAX];

	T_EQ_INT(put(s, "{\"_id\":\"attendance:2026-04-10:3-2:s0123:1\","
	    "\"type\":\"attendance\",\"class_id\":\"3-2\",\"student_id\":"
	    "\"s0123\",\"date\":\"2026-04-10\",\"status\":\"absent\"}", 1, &r1),
	    0);
	T_EQ_INT(put(s, "{\"_id\":\"attendance:2026-04-11:3-2:s0124:1\","
	    "\"type\":\"attendance\",\"class_id\":\"3-2\",\"student_id\":"
	    "\"s0124\",\"date\":\"2026-04-11\"}", 1, &r2), 0);
	T_EQ_INT(put(s, "{\"_id\":\"announcement:77\",\"type\":\"announcement\""
	    ",\"class_id\":\"3-2\",\"date\":\"2026-04-10T08:00:00+09:00\"}", 1,
	    NULL), 0);
	T_EQ_INT(scan(s, INDEX_BY_CLASS, "3-2", NULL, NULL, hits, 16, NULL,
	    next), 3);
	T_EQ_INT(scan(s, INDEX_BY_CLASS, "3-2", NULL, "attendance:", hits, 16,
	    NULL, next), 2);
	T_EQ_STR(hits[0].ih_id, "attendance:2026-04-10:3-2:s0123:1");
	T_EQ_INT(scan(s, INDEX_BY_DATE, "2026-04-10", "2026-04-10", NULL, hits,
	    16, NULL, next), 2);
	T_EQ_INT(scan(s, INDEX_BY_DATE, "2026-04-01", "2026-04-30", NULL, hits,
	    16, NULL, next), 3);
	T_EQ_INT(scan(s, INDEX_BY_USER, "s0123", NULL, NULL, hits, 16, NULL,
	    next), 1);
	/* Moved to another class: the old entry goes. */
	snprintf(json, sizeof(json), "{\"_id\":\"%s\",\"_rev\":\"%s\","
	    "\"type\":\"attendance\",\"class_id\":\"3-3\",\"student_id\":"
	    "\"s0123\",\"date\":\"2026-04-10\"}", r1.pr_id, r1.pr_rev);
	T_EQ_INT(put(s, json, 1, &r1), 0);
	T_EQ_INT(scan(s, INDEX_BY_CLASS, "3-2", NULL, "attendance:", hits, 16,
	    NULL, next), 1);
	T_EQ_INT(scan(s, INDEX_BY_CLASS, "3-3", NULL, NULL, hits, 16, NULL,
	    next), 1);
	/* Deleted: every entry goes. */
	snprintf(json, sizeof(json), "{\"_id\":\"%s\",\"_rev\":\"%s\","
	    "\"_deleted\":true}", r1.pr_id, r1.pr_rev);
	T_EQ_INT(put(s, json, 1, NULL), 0);
	T_EQ_INT(scan(s, INDEX_BY_CLASS, "3-3", NULL, NULL, hits, 16, NULL,
	    next), 0);
	T_EQ_INT(scan(s, INDEX_BY_USER, "s0123", NULL, NULL, hits, 16, NULL,
	    next), 0);
	T_EQ_INT(scan(s, INDEX_BY_DATE, "2026-04-10", NULL, NULL, hits, 16,
	    NULL, next), 1);
	/* A name cannot be an index value. */
	T_EQ_INT(put(s, "{\"_id\":\"attendance:x\",\"type\":\"attendance\","
	    "\"student_id\":\"山田 太郎\"}", 1, NULL), CB_EINVAL);
	T_ASSERT(has(store_errmsg(s), "student_id"));
	close_remove(s);
}

T_TEST(index_pagination_with_cursor)
{
	struct store *s = open_new(NULL);
	struct index_hit hits[8];
	char json[256], next[INDEX_CURSOR_MAX], after[INDEX_CURSOR_MAX];
	size_t total = 0, n, pages = 0;

	for (int i = 0; i < 35; i++) {
		snprintf(json, sizeof(json), "{\"_id\":\"membership:1-1:s%04d\","
		    "\"type\":\"membership\",\"class_id\":\"1-1\",\"user_id\":"
		    "\"s%04d\"}", i, i);
		T_EQ_INT(put(s, json, 1, NULL), 0);
	}
	T_EQ_INT(put(s, "{\"_id\":\"membership:1-2:s9999\",\"type\":"
	    "\"membership\",\"class_id\":\"1-2\",\"user_id\":\"s9999\"}", 1,
	    NULL), 0);
	after[0] = 0;
	do {
		n = scan(s, INDEX_BY_CLASS, "1-1", NULL, "membership:", hits, 8,
		    after, next);
		if (total == 0 && n > 0)
			T_EQ_STR(hits[0].ih_id, "membership:1-1:s0000");
		total += n;
		memcpy(after, next, sizeof(after));
	} while (next[0] != 0 && ++pages < 20);
	T_EQ_INT(total, 35);
	{
		struct index_query q = { INDEX_BY_CLASS, "1-1", NULL, NULL,
		    "!!notbase64", 8 };
		T_EQ_INT(store_index_scan(s, &q, hits, &n, next), CB_EINVAL);
		q.iq_after = NULL;
		q.iq_limit = INDEX_SCAN_MAX + 1;
		T_EQ_INT(store_index_scan(s, &q, hits, &n, next), CB_EINVAL);
	}
	close_remove(s);
}

T_TEST(local_documents)
{
	struct store *s = open_new(NULL);
	struct store_put_result r;
	struct store_doc d;

	T_EQ_INT(put(s, "{\"_id\":\"_local/cloud\",\"last_seq\":\"12\"}", 1,
	    &r), 0);
	T_EQ_STR(r.pr_rev, "0-1");
	T_EQ_INT(put(s, "{\"_id\":\"_local/cloud\",\"last_seq\":\"13\"}", 1,
	    NULL), CB_EEXIST);
	T_EQ_INT(put(s, "{\"_id\":\"_local/cloud\",\"_rev\":\"0-1\","
	    "\"last_seq\":\"13\"}", 1, &r), 0);
	T_EQ_STR(r.pr_rev, "0-2");
	T_EQ_INT(store_get(s, "_local/cloud", NULL, 0, &d), 0);
	T_ASSERT(has(d.sd_json, "\"_rev\":\"0-2\""));
	T_ASSERT(has(d.sd_json, "\"last_seq\":\"13\""));
	store_doc_free(&d);
	T_EQ_INT(put(s, "{\"_id\":\"_local/cloud\",\"_rev\":\"0-2\","
	    "\"_deleted\":true}", 1, NULL), 0);
	T_EQ_INT(store_local_get(s, "_local/cloud", &d), CB_ENOTFOUND);
	close_remove(s);
}

T_TEST(limits_and_malformed_documents)
{
	struct store *s = open_new(NULL);
	size_t big = DOC_MAX_SIZE + 16;
	char *json = malloc(big + 1), id[300];

	memset(json, ' ', big);
	memcpy(json, "{\"_id\":\"a\",\"type\":\"t\",\"x\":\"", 28);
	memset(json + 28, 'x', big - 31);
	memcpy(json + big - 3, "\"}", 3);
	T_EQ_INT(store_put(s, json, big - 1, 1, &(struct store_put_result){0}),
	    CB_ETOOBIG);
	T_ASSERT(has(store_errmsg(s), "1 MiB"));
	memset(id, 'i', sizeof(id));
	id[201] = 0;
	snprintf(json, big, "{\"_id\":\"%s\",\"type\":\"t\"}", id);
	T_EQ_INT(put(s, json, 1, NULL), CB_ETOOBIG);
	T_EQ_INT(put(s, "{\"_id\":\"a\"}", 1, NULL), CB_EINVAL);	/* type */
	T_EQ_INT(put(s, "{\"_id\":\"a\",\"type\":\"Bad Type\"}", 1, NULL),
	    CB_EINVAL);
	T_EQ_INT(put(s, "[1]", 1, NULL), CB_EINVAL);
	T_EQ_INT(put(s, "{\"_id\":\"a\",\"type\":\"t\",\"_x\":1}", 1, NULL),
	    CB_EINVAL);
	T_EQ_INT(put(s, "{\"_id\":\"_design/x\",\"type\":\"t\"}", 1, NULL),
	    CB_EINVAL);
	T_EQ_INT(put(s, "{\"_id\":\"a\",\"type\":\"t\",\"k\":1,\"k\":2}", 1,
	    NULL), CB_EINVAL);
	T_EQ_INT(put(s, "{\"_id\":\"a\",\"type\":\"t\",\"_rev\":\"x\"}", 0,
	    NULL), CB_EINVAL);
	T_EQ_INT(put(s, "{\"_id\":\"a\\u0000b\",\"type\":\"t\"}", 1, NULL),
	    CB_EINVAL);
	free(json);
	close_remove(s);
}

T_TEST(revs_limit_stems_history)
{
	struct store_options o = { .so_revs_limit = 5 };
	struct store *s = open_new(&o);
	struct store_put_result r;
	struct store_doc d;
	char json[256];
	int rc = 0;

	T_EQ_INT(put(s, "{\"_id\":\"note:1\",\"type\":\"t\",\"n\":0}", 1, &r),
	    0);
	for (int i = 1; i < 20 && rc == 0; i++) {
		snprintf(json, sizeof(json), "{\"_id\":\"note:1\",\"_rev\":"
		    "\"%s\",\"type\":\"t\",\"n\":%d}", r.pr_rev, i);
		rc = put(s, json, 1, &r);
	}
	T_EQ_INT(rc, 0);
	T_ASSERT(strncmp(r.pr_rev, "20-", 3) == 0);
	T_EQ_INT(store_get(s, "note:1", NULL, STORE_GET_REVISIONS, &d), 0);
	T_ASSERT(has(d.sd_json, "\"_revisions\":{\"start\":20,"));
	/* five ids: four commas inside the ids list */
	{
		const char *p = strstr(d.sd_json, "\"ids\":["), *e;
		int commas = 0;
		T_ASSERT(p != NULL);
		for (e = p; e && *e && *e != ']'; e++)
			commas += *e == ',';
		T_EQ_INT(commas, 4);
	}
	store_doc_free(&d);
	close_remove(s);
}

T_TEST(map_full_is_a_clear_error)
{
	struct store_options o = { .so_map_size = 256 * 1024 };
	struct store *s = open_new(&o);
	struct store_doc d;
	char *json = malloc(8192);
	int rc = 0, i;

	for (i = 0; i < 1000 && rc == 0; i++) {
		int n = snprintf(json, 8192, "{\"_id\":\"fill:%04d\",\"type\":"
		    "\"t\",\"pad\":\"", i);
		memset(json + n, 'p', 6000);
		memcpy(json + n + 6000, "\"}", 3);
		rc = put(s, json, 1, NULL);
	}
	T_EQ_INT(rc, CB_EFULL);
	T_ASSERT(i > 3 && i < 1000);
	T_ASSERT(has(store_errmsg(s), "full"));
	/* What was written before is intact and readable. */
	T_EQ_INT(store_get(s, "fill:0000", NULL, 0, &d), 0);
	store_doc_free(&d);
	T_EQ_INT(store_get(s, "fill:0001", NULL, 0, &d), 0);
	store_doc_free(&d);
	free(json);
	close_remove(s);
}

T_TEST(reopen_keeps_data_and_files_are_private)
{
	struct store *s = open_new(NULL);
	struct store_doc d;
	struct stat st;
	char p[128];

	T_EQ_INT(put(s, "{\"_id\":\"class:1-1\",\"type\":\"class\"}", 1, NULL),
	    0);
	store_close(s);
	T_EQ_INT(stat(t_dir, &st), 0);
	T_EQ_INT(st.st_mode & 0777, 0700);
	snprintf(p, sizeof(p), "%s/data.mdb", t_dir);
	T_EQ_INT(stat(p, &st), 0);
	T_EQ_INT(st.st_mode & 077, 0);
	snprintf(p, sizeof(p), "%s/kek", t_dir);
	T_EQ_INT(stat(p, &st), 0);
	T_EQ_INT(st.st_mode & 0777, 0600);
	T_EQ_INT(store_open(&s, t_dir, NULL), 0);
	T_EQ_INT(store_get(s, "class:1-1", NULL, 0, &d), 0);
	store_doc_free(&d);
	close_remove(s);
}

T_TEST(wrong_or_missing_kek_is_a_clear_error)
{
	struct store *s = open_new(NULL);
	uint8_t junk[32];
	char p[128];
	int fd;

	T_EQ_INT(put(s, "{\"_id\":\"class:1-1\",\"type\":\"class\"}", 1, NULL),
	    0);
	store_close(s);
	snprintf(p, sizeof(p), "%s/kek", t_dir);
	T_EQ_INT(cb_random(junk, sizeof(junk)), 0);
	fd = open(p, O_WRONLY | O_TRUNC);
	T_ASSERT(fd >= 0 && write(fd, junk, sizeof(junk)) == 32);
	close(fd);
	s = (struct store *)1;
	T_EQ_INT(store_open(&s, t_dir, NULL), CB_ECRYPTO);
	T_ASSERT(s == NULL);
	unlink(p);
	T_EQ_INT(store_open(&s, t_dir, NULL), CB_ECRYPTO);
	T_ASSERT(access(p, F_OK) != 0);	/* not silently recreated */
	remove_dir(t_dir);
}

T_TEST(crypto_erase_makes_data_unreadable)
{
	struct store *s = open_new(NULL);
	struct store_doc d;
	char p[128];

	T_EQ_INT(put(s, "{\"_id\":\"class:1-1\",\"type\":\"class\"}", 1, NULL),
	    0);
	T_EQ_INT(store_crypto_erase(s), 0);
	T_EQ_INT(store_get(s, "class:1-1", NULL, 0, &d), CB_ESTATE);
	T_EQ_INT(put(s, "{\"_id\":\"class:1-2\",\"type\":\"class\"}", 1, NULL),
	    CB_ESTATE);
	store_close(s);
	snprintf(p, sizeof(p), "%s/kek", t_dir);
	T_ASSERT(access(p, F_OK) != 0);
	T_EQ_INT(store_open(&s, t_dir, NULL), CB_ECRYPTO);
	remove_dir(t_dir);
}

static int
file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 20, len = 0, n;
	char *buf = malloc(cap);
	int found;

	if (f == NULL || buf == NULL)
		return -1;
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap && (buf = realloc(buf, cap *= 2)) == NULL)
			return -1;
	}
	fclose(f);
	found = memmem(buf, len, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

T_TEST(names_and_notes_absent_from_raw_file)
{
	static const char name[] = "山田太郎";
	static const char romaji[] = "Yamada Taro";
	static const char note[] = "parents separating; needs quiet support";
	struct store *s = open_new(NULL);
	char json[1024], path[128];

	snprintf(json, sizeof(json), "{\"_id\":\"user:s0123\",\"type\":\"user\""
	    ",\"name\":\"%s\",\"name_latin\":\"%s\"}", name, romaji);
	T_EQ_INT(put(s, json, 1, NULL), 0);
	snprintf(json, sizeof(json), "{\"_id\":\"guidance_note:s0123:1\","
	    "\"type\":\"guidance_note\",\"student_id\":\"s0123\",\"date\":"
	    "\"2026-04-10\",\"text\":\"%s\",\"about\":\"%s\"}", note, name);
	T_EQ_INT(put(s, json, 1, NULL), 0);
	T_EQ_INT(put(s, "{\"_id\":\"_local/sync\",\"last\":\"Yamada Taro\"}",
	    1, NULL), 0);
	T_EQ_INT(store_data_path(s, path, sizeof(path)), 0);
	store_close(s);
	T_EQ_INT(file_contains(path, "guidance_note:s0123:1"), 1); /* ids */
	T_EQ_INT(file_contains(path, name), 0);
	T_EQ_INT(file_contains(path, romaji), 0);
	T_EQ_INT(file_contains(path, note), 0);
	T_EQ_INT(file_contains(path, "quiet support"), 0);
	remove_dir(t_dir);
}

/* ---- batches ---- */

/* A batch of n documents from a printf format with one %d (the index). */
struct batch {
	struct store_batch_doc docs[STORE_BATCH_MAX + 1];
	struct store_put_result res[STORE_BATCH_MAX + 1];
	char *json[STORE_BATCH_MAX + 1];
	size_t n;
};

static struct batch *
batch_new(void)
{
	return calloc(1, sizeof(struct batch));
}

static void
batch_add(struct batch *b, const char *json)
{
	b->json[b->n] = strdup(json);
	b->docs[b->n].bd_json = b->json[b->n];
	b->docs[b->n].bd_len = strlen(json);
	b->n++;
}

static void
batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->json[i]);
	free(b);
}

static int
batch_put(struct store *s, struct batch *b, size_t *failed)
{
	return store_put_batch(s, b->docs, b->n, b->res, failed);
}

static void
roll_call(struct batch *b, const char *cls, int first, int count,
    const char *status)
{
	char json[512];

	for (int i = first; i < first + count; i++) {
		snprintf(json, sizeof(json), "{\"_id\":\"attendance:2026-04-10:"
		    "%s:s%04d:1\",\"type\":\"attendance\",\"class_id\":\"%s\","
		    "\"student_id\":\"s%04d\",\"date\":\"2026-04-10\","
		    "\"status\":\"%s\"}", cls, i, cls, i, status);
		batch_add(b, json);
	}
}

T_TEST(batch_writes_all_with_one_seq_each_feed_and_indexes)
{
	struct store *s = open_new(NULL);
	struct batch *b = batch_new(), *u = batch_new();
	struct store_change *ch = calloc(64, sizeof(*ch));
	struct index_hit hits[64];
	struct store_doc d;
	char json[1024], next[INDEX_CURSOR_MAX];
	size_t n, failed = 7;
	uint64_t last;

	T_EQ_INT(put(s, "{\"_id\":\"announcement:1\",\"type\":\"announcement\","
	    "\"class_id\":\"3-2\",\"date\":\"2026-04-09\"}", 1, NULL), 0);
	roll_call(b, "3-2", 1, 35, "present");
	T_EQ_INT(batch_put(s, b, &failed), 0);
	T_EQ_INT(failed, STORE_BATCH_NONE);
	for (size_t i = 0; i < 35; i++) {
		T_EQ_INT(b->res[i].pr_seq, 2 + i);
		T_ASSERT(strncmp(b->res[i].pr_rev, "1-", 2) == 0);
		T_EQ_INT(b->res[i].pr_changed, 1);
	}
	T_EQ_STR(b->res[0].pr_id, "attendance:2026-04-10:3-2:s0001:1");
	T_EQ_INT(store_get(s, b->res[34].pr_id, b->res[34].pr_rev, 0, &d), 0);
	T_ASSERT(has(d.sd_json, "\"present\""));
	store_doc_free(&d);
	T_EQ_INT(store_changes(s, 1, ch, 64, &n), 0);
	T_EQ_INT(n, 35);
	T_EQ_STR(ch[0].sc_id, b->res[0].pr_id);
	T_EQ_STR(ch[34].sc_rev, b->res[34].pr_rev);
	T_EQ_INT(scan(s, INDEX_BY_CLASS, "3-2", NULL, "attendance:", hits, 64,
	    NULL, next), 35);
	T_EQ_INT(scan(s, INDEX_BY_USER, "s0007", NULL, NULL, hits, 64, NULL,
	    next), 1);
	T_EQ_INT(scan(s, INDEX_BY_DATE, "2026-04-10", NULL, NULL, hits, 64,
	    NULL, next), 35);

	/* A second roll call corrects three entries from their revisions:
	 * one late, one moved to another class, one deleted; and the same
	 * document twice in one batch (the second from the first's rev is
	 * not knowable in advance, so it conflicts: see below). */
	snprintf(json, sizeof(json), "{\"_id\":\"%.200s\",\"_rev\":\"%.100s\","
	    "\"type\":\"attendance\",\"class_id\":\"3-2\",\"student_id\":"
	    "\"s0001\",\"date\":\"2026-04-10\",\"status\":\"late\"}",
	    b->res[0].pr_id, b->res[0].pr_rev);
	batch_add(u, json);
	snprintf(json, sizeof(json), "{\"_id\":\"%.200s\",\"_rev\":\"%.100s\","
	    "\"type\":\"attendance\",\"class_id\":\"3-3\",\"student_id\":"
	    "\"s0002\",\"date\":\"2026-04-10\",\"status\":\"present\"}",
	    b->res[1].pr_id, b->res[1].pr_rev);
	batch_add(u, json);
	snprintf(json, sizeof(json), "{\"_id\":\"%.200s\",\"_rev\":\"%.100s\","
	    "\"_deleted\":true}", b->res[2].pr_id, b->res[2].pr_rev);
	batch_add(u, json);
	T_EQ_INT(batch_put(s, u, &failed), 0);
	T_EQ_INT(u->res[0].pr_seq, 37);
	T_EQ_INT(u->res[2].pr_seq, 39);
	T_ASSERT(strncmp(u->res[0].pr_rev, "2-", 2) == 0);
	T_EQ_INT(store_last_seq(s, &last), 0);
	T_EQ_INT(last, 39);
	/* One feed entry per document, at its latest seq. */
	T_EQ_INT(store_changes(s, 0, ch, 64, &n), 0);
	T_EQ_INT(n, 36);
	T_EQ_STR(ch[33].sc_id, b->res[0].pr_id);
	T_EQ_STR(ch[33].sc_rev, u->res[0].pr_rev);
	T_EQ_INT(ch[35].sc_deleted, 1);
	T_EQ_INT(scan(s, INDEX_BY_CLASS, "3-2", NULL, "attendance:", hits, 64,
	    NULL, next), 33);
	T_EQ_INT(scan(s, INDEX_BY_CLASS, "3-3", NULL, NULL, hits, 64, NULL,
	    next), 1);
	T_EQ_INT(scan(s, INDEX_BY_USER, "s0003", NULL, NULL, hits, 64, NULL,
	    next), 0);
	T_EQ_INT(store_get(s, b->res[2].pr_id, NULL, 0, &d), CB_ENOTFOUND);

	/* The same id twice: the second edit must start from the first's
	 * revision, which the batch sees (same transaction). */
	batch_free(u);
	u = batch_new();
	snprintf(json, sizeof(json), "{\"_id\":\"notice:1\",\"type\":\"t\","
	    "\"n\":1}");
	batch_add(u, json);
	batch_add(u, "{\"_id\":\"notice:1\",\"type\":\"t\",\"n\":2}");
	T_EQ_INT(batch_put(s, u, &failed), CB_EEXIST);
	T_EQ_INT(failed, 1);
	T_EQ_INT(store_get(s, "notice:1", NULL, 0, &d), CB_ENOTFOUND);
	/* Reopened: everything acknowledged is there. */
	store_close(s);
	T_EQ_INT(store_open(&s, t_dir, NULL), 0);
	T_EQ_INT(store_get(s, b->res[34].pr_id, NULL, 0, &d), 0);
	T_EQ_STR(d.sd_rev, b->res[34].pr_rev);
	store_doc_free(&d);
	T_EQ_INT(store_last_seq(s, &last), 0);
	T_EQ_INT(last, 39);
	free(ch);
	batch_free(b);
	batch_free(u);
	close_remove(s);
}

T_TEST(batch_conflict_or_invalid_in_the_middle_writes_nothing)
{
	struct store *s = open_new(NULL);
	struct batch *b = batch_new();
	struct store_put_result r;
	struct store_change ch[8];
	struct index_hit hits[64];
	struct store_doc d;
	char json[1024], next[INDEX_CURSOR_MAX];
	size_t n, failed;
	uint64_t last;

	/* s0018 was recorded already: a roll call that does not give its
	 * _rev conflicts at entry 17. */
	T_EQ_INT(put(s, "{\"_id\":\"attendance:2026-04-10:3-2:s0018:1\","
	    "\"type\":\"attendance\",\"class_id\":\"3-2\",\"student_id\":"
	    "\"s0018\",\"date\":\"2026-04-10\",\"status\":\"absent\"}", 1, &r),
	    0);
	roll_call(b, "3-2", 1, 35, "present");
	T_EQ_INT(batch_put(s, b, &failed), CB_EEXIST);
	T_EQ_INT(failed, 17);
	T_ASSERT(has(store_errmsg(s), "document 17 "
	    "(attendance:2026-04-10:3-2:s0018:1)"));
	T_ASSERT(has(store_errmsg(s), "nothing"));
	for (size_t i = 0; i < b->n; i++)
		T_EQ_STR(b->res[i].pr_rev, "");
	T_EQ_INT(store_get(s, "attendance:2026-04-10:3-2:s0001:1", NULL, 0,
	    &d), CB_ENOTFOUND);
	T_EQ_INT(store_get(s, "attendance:2026-04-10:3-2:s0035:1", NULL, 0,
	    &d), CB_ENOTFOUND);
	T_EQ_INT(store_get(s, r.pr_id, NULL, 0, &d), 0);
	T_EQ_STR(d.sd_rev, r.pr_rev);
	T_ASSERT(has(d.sd_json, "absent"));
	store_doc_free(&d);
	T_EQ_INT(store_last_seq(s, &last), 0);
	T_EQ_INT(last, 1);
	T_EQ_INT(store_changes(s, 0, ch, 8, &n), 0);
	T_EQ_INT(n, 1);
	T_EQ_INT(scan(s, INDEX_BY_CLASS, "3-2", NULL, NULL, hits, 64, NULL,
	    next), 1);
	T_EQ_INT(scan(s, INDEX_BY_DATE, "2026-04-10", NULL, NULL, hits, 64,
	    NULL, next), 1);

	/* A stale _rev: a conflict too. */
	snprintf(json, sizeof(json), "{\"_id\":\"%s\",\"_rev\":\"1-%032d\","
	    "\"type\":\"attendance\",\"status\":\"late\"}", r.pr_id, 0);
	free(b->json[17]);
	b->json[17] = strdup(json);
	b->docs[17].bd_json = b->json[17];
	b->docs[17].bd_len = strlen(json);
	T_EQ_INT(batch_put(s, b, &failed), CB_EEXIST);
	T_EQ_INT(failed, 17);
	/* An invalid document (a name as an index value; no type). */
	snprintf(json, sizeof(json), "{\"_id\":\"%.200s\",\"_rev\":\"%.100s\","
	    "\"type\":\"attendance\",\"student_id\":\"山田 太郎\"}", r.pr_id,
	    r.pr_rev);
	free(b->json[17]);
	b->json[17] = strdup(json);
	b->docs[17].bd_json = b->json[17];
	b->docs[17].bd_len = strlen(json);
	T_EQ_INT(batch_put(s, b, &failed), CB_EINVAL);
	T_EQ_INT(failed, 17);
	T_ASSERT(has(store_errmsg(s), "student_id"));
	b->docs[30].bd_json = "{\"_id\":\"x:1\"}";
	b->docs[30].bd_len = strlen(b->docs[30].bd_json);
	T_EQ_INT(batch_put(s, b, &failed), CB_EINVAL);
	T_EQ_INT(failed, 17);
	b->docs[17].bd_json = "{\"_id\":\"x:1\",\"type\":\"t\"";
	b->docs[17].bd_len = strlen(b->docs[17].bd_json);
	T_EQ_INT(batch_put(s, b, &failed), CB_EINVAL);
	T_EQ_INT(failed, 17);
	T_ASSERT(has(store_errmsg(s), "document 17:"));
	T_EQ_INT(store_last_seq(s, &last), 0);
	T_EQ_INT(last, 1);
	T_EQ_INT(scan(s, INDEX_BY_CLASS, "3-2", NULL, NULL, hits, 64, NULL,
	    next), 1);
	/* With the conflict resolved the same batch goes through whole. */
	b->docs[17].bd_json = b->json[17];
	b->docs[30].bd_json = b->json[30];
	b->docs[30].bd_len = strlen(b->json[30]);
	snprintf(json, sizeof(json), "{\"_id\":\"%.200s\",\"_rev\":\"%.100s\","
	    "\"type\":\"attendance\",\"class_id\":\"3-2\",\"student_id\":"
	    "\"s0018\",\"date\":\"2026-04-10\",\"status\":\"present\"}",
	    r.pr_id, r.pr_rev);
	free(b->json[17]);
	b->json[17] = strdup(json);
	b->docs[17].bd_json = b->json[17];
	b->docs[17].bd_len = strlen(json);
	T_EQ_INT(batch_put(s, b, &failed), 0);
	T_ASSERT(strncmp(b->res[17].pr_rev, "2-", 2) == 0);
	T_EQ_INT(store_last_seq(s, &last), 0);
	T_EQ_INT(last, 36);
	T_EQ_INT(scan(s, INDEX_BY_CLASS, "3-2", NULL, NULL, hits, 64, NULL,
	    next), 35);
	batch_free(b);
	close_remove(s);
}

T_TEST(batch_limits)
{
	struct store *s = open_new(NULL);
	struct batch *b = batch_new();
	struct store_put_result r[2];
	struct store_batch_doc big[2];
	struct store_doc d;
	size_t failed = 0;
	uint64_t last;
	char *pad;

	T_EQ_INT(store_put_batch(s, NULL, 0, NULL, &failed), 0);
	roll_call(b, "1-1", 0, STORE_BATCH_MAX + 1, "present");
	T_EQ_INT(batch_put(s, b, &failed), CB_ETOOBIG);
	T_EQ_INT(failed, STORE_BATCH_NONE);
	T_ASSERT(has(store_errmsg(s), "at most 1000 documents"));
	/* Exactly the maximum fits in one transaction. */
	b->n = STORE_BATCH_MAX;
	T_EQ_INT(batch_put(s, b, &failed), 0);
	T_EQ_INT(store_last_seq(s, &last), 0);
	T_EQ_INT(last, STORE_BATCH_MAX);
	b->n = STORE_BATCH_MAX + 1;
	/* The byte cap: two documents of 9 MiB each (each under the
	 * document limit? no: over 1 MiB, but the cap is checked first). */
	pad = malloc(9u << 20);
	memset(pad, ' ', 9u << 20);
	big[0].bd_json = big[1].bd_json = pad;
	big[0].bd_len = big[1].bd_len = 9u << 20;
	T_EQ_INT(store_put_batch(s, big, 2, r, &failed), CB_ETOOBIG);
	T_EQ_INT(failed, STORE_BATCH_NONE);
	T_ASSERT(has(store_errmsg(s), "bytes"));
	free(pad);
	/* A _local document is refused, and the rest not written. */
	big[0].bd_json = "{\"_id\":\"x:1\",\"type\":\"t\"}";
	big[0].bd_len = strlen(big[0].bd_json);
	big[1].bd_json = "{\"_id\":\"_local/ck\",\"n\":1}";
	big[1].bd_len = strlen(big[1].bd_json);
	T_EQ_INT(store_put_batch(s, big, 2, r, &failed), CB_EINVAL);
	T_EQ_INT(failed, 1);
	T_EQ_INT(store_get(s, "x:1", NULL, 0, &d), CB_ENOTFOUND);
	batch_free(b);
	close_remove(s);
}

T_TEST(batch_map_full_writes_nothing)
{
	struct store_options o = { .so_map_size = 256 * 1024 };
	struct store *s = open_new(&o);
	struct batch *b = batch_new();
	struct store_doc d;
	char *json = malloc(8192);
	size_t failed = 0;
	uint64_t last;

	T_EQ_INT(put(s, "{\"_id\":\"class:1-1\",\"type\":\"class\"}", 1, NULL),
	    0);
	for (int i = 0; i < 60; i++) {
		int n = snprintf(json, 8192, "{\"_id\":\"fill:%04d\",\"type\":"
		    "\"t\",\"pad\":\"", i);
		memset(json + n, 'p', 6000);
		memcpy(json + n + 6000, "\"}", 3);
		batch_add(b, json);
	}
	T_EQ_INT(batch_put(s, b, &failed), CB_EFULL);
	T_ASSERT(failed != STORE_BATCH_NONE || has(store_errmsg(s), "batch"));
	T_ASSERT(has(store_errmsg(s), "full"));
	T_ASSERT(has(store_errmsg(s), "nothing"));
	T_EQ_INT(store_get(s, "fill:0000", NULL, 0, &d), CB_ENOTFOUND);
	T_EQ_INT(store_last_seq(s, &last), 0);
	T_EQ_INT(last, 1);
	/* The store stays usable: a smaller batch fits. */
	b->n = 5;
	T_EQ_INT(batch_put(s, b, &failed), 0);
	T_EQ_INT(store_get(s, "fill:0004", NULL, 0, &d), 0);
	store_doc_free(&d);
	T_EQ_INT(store_get(s, "class:1-1", NULL, 0, &d), 0);
	store_doc_free(&d);
	b->n = 60;
	free(json);
	batch_free(b);
	close_remove(s);
}

T_MAIN()

/* A teacher's merge of a two-branch conflict: the merged version on the
 * winner, a tombstone on the loser, the record, in one transaction; and
 * nothing at all when the leaves are no longer the ones seen. */
T_TEST(resolve_closes_losers_in_one_transaction)
{
	struct store *s = open_new(NULL);
	struct store_put_result r, res[3];
	struct store_doc_info info;
	struct store_doc d;
	uint64_t seq0, seq1;
	size_t failed;
	char merged[256], tomb[128];
	const char *rec = "{\"_id\":\"conflict:r1\",\"type\":"
	    "\"conflict_resolution\",\"doc_id\":\"guidance_note:1\"}";
	const char *seen[2] = { "2-bbb", "2-aaa" };
	const char *stale[2] = { "2-bbb", "2-old" };

	T_EQ_INT(put(s, "{\"_id\":\"guidance_note:1\",\"_rev\":\"2-aaa\","
	    "\"_revisions\":{\"start\":2,\"ids\":[\"aaa\",\"root\"]},"
	    "\"type\":\"guidance_note\",\"text\":\"a\"}", 0, &r), 0);
	T_EQ_INT(put(s, "{\"_id\":\"guidance_note:1\",\"_rev\":\"2-bbb\","
	    "\"_revisions\":{\"start\":2,\"ids\":[\"bbb\",\"root\"]},"
	    "\"type\":\"guidance_note\",\"text\":\"b\"}", 0, &r), 0);
	snprintf(merged, sizeof(merged), "{\"_id\":\"guidance_note:1\","
	    "\"_rev\":\"2-bbb\",\"type\":\"guidance_note\",\"text\":\"a+b\"}");
	snprintf(tomb, sizeof(tomb), "{\"_id\":\"guidance_note:1\","
	    "\"_rev\":\"2-aaa\",\"_deleted\":true}");
	struct store_batch_doc b[3] = {
		{ merged, strlen(merged) }, { tomb, strlen(tomb) },
		{ rec, strlen(rec) },
	};
	T_EQ_INT(store_last_seq(s, &seq0), 0);

	/* Leaves other than the ones seen: 409, nothing written. */
	T_EQ_INT(store_resolve(s, "guidance_note:1", stale, 2, b, 3, res,
	    &failed), CB_EEXIST);
	T_ASSERT(has(store_errmsg(s), "changed"));
	T_EQ_INT(store_resolve(s, "guidance_note:1", seen, 1, b, 3, res,
	    &failed), CB_EEXIST);
	T_EQ_INT(store_resolve(s, "guidance_note:9", seen, 2, b, 3, res,
	    &failed), CB_ENOTFOUND);
	T_EQ_INT(store_last_seq(s, &seq1), 0);
	T_EQ_INT(seq1, seq0);
	T_EQ_INT(store_get(s, "conflict:r1", NULL, 0, &d), CB_ENOTFOUND);

	/* The leaves seen (in another order): one winner left. */
	const char *seen2[2] = { "2-aaa", "2-bbb" };
	T_EQ_INT(store_resolve(s, "guidance_note:1", seen2, 2, b, 3, res,
	    &failed), 0);
	T_ASSERT(strncmp(res[0].pr_rev, "3-", 2) == 0);
	T_ASSERT(strncmp(res[1].pr_rev, "3-", 2) == 0);
	T_EQ_INT(store_doc_info(s, "guidance_note:1", &info), 0);
	T_EQ_INT(info.si_nleaves, 2);
	T_EQ_STR(info.si_leaves[0].sl_rev, res[0].pr_rev);
	T_EQ_INT(info.si_leaves[0].sl_deleted, 0);
	T_EQ_STR(info.si_leaves[1].sl_rev, res[1].pr_rev);
	T_EQ_INT(info.si_leaves[1].sl_deleted, 1);
	store_doc_info_free(&info);
	T_EQ_INT(store_get(s, "guidance_note:1", NULL, STORE_GET_CONFLICTS |
	    STORE_GET_REVISIONS, &d), 0);
	T_ASSERT(!has(d.sd_json, "_conflicts"));
	T_ASSERT(has(d.sd_json, "\"text\":\"a+b\""));
	T_ASSERT(has(d.sd_json, "\"ids\":[") && has(d.sd_json, "\"bbb\","
	    "\"root\"]"));
	store_doc_free(&d);
	/* The loser's tombstone descends from 2-aaa. */
	T_EQ_INT(store_get(s, "guidance_note:1", res[1].pr_rev,
	    STORE_GET_REVISIONS, &d), 0);
	T_ASSERT(has(d.sd_json, "\"_deleted\":true"));
	T_ASSERT(has(d.sd_json, "\"aaa\",\"root\"]"));
	store_doc_free(&d);
	/* Only leaves keep bodies: the closed branch's old body is gone. */
	T_EQ_INT(store_get(s, "guidance_note:1", "2-aaa", 0, &d),
	    CB_ENOTFOUND);
	T_EQ_INT(store_get(s, "conflict:r1", NULL, 0, &d), 0);
	store_doc_free(&d);
	/* Again with the same leaves: they changed, 409. */
	T_EQ_INT(store_resolve(s, "guidance_note:1", seen2, 2, b, 3, res,
	    &failed), CB_EEXIST);
	close_remove(s);
}
