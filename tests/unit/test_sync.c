/*
 * test_sync.c: the pure parts of cloud sync: replication messages, the
 * checkpoint rule, the enrollment file, URLs, HTTP responses, the status
 * file, the conflict rules; and the two store calls sync adds (revs_diff
 * lookup, replicated batches).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>
#include <yyjson.h>
#include <zlib.h>

#include "base/cb.h"
#include "core/conflict.h"
#include "core/records.h"
#include "net/httpcli.h"
#include "store/store.h"
#include "sync/atts.h"
#include "sync/enroll.h"
#include "sync/proto.h"
#include "sync/repl.h"
#include "sync/status.h"
#include "t.h"

/* ---- _changes ---- */

T_TEST(changes_pouchdb_and_couchdb_seqs)
{
	static const char p[] = "{\"results\":[{\"seq\":1,\"id\":\"a:1\","
	    "\"changes\":[{\"rev\":\"1-x\"}]},{\"seq\":2,\"id\":\"a:2\","
	    "\"changes\":[{\"rev\":\"2-y\"},{\"rev\":\"2-z\"}],"
	    "\"deleted\":true}],\"last_seq\":2}";
	static const char c[] = "{\"results\":[],\"last_seq\":\"7-g1A/x y\"}";
	struct proto_changes ch;
	char *q;

	T_EQ_INT(proto_parse_changes(p, strlen(p), &ch), 0);
	T_EQ_INT(ch.pcs_n, 2);
	T_EQ_STR(ch.pcs_rows[1].pc_id, "a:2");
	T_EQ_INT(ch.pcs_rows[1].pc_nrevs, 2);
	T_EQ_STR(ch.pcs_rows[1].pc_revs[1], "2-z");
	T_EQ_INT(ch.pcs_rows[1].pc_deleted, 1);
	T_EQ_STR(ch.pcs_last_seq, "2");
	T_EQ_INT(proto_seq_query(ch.pcs_last_seq, &q), 0);
	T_EQ_STR(q, "2");
	free(q);
	proto_changes_free(&ch);
	T_EQ_INT(proto_parse_changes(c, strlen(c), &ch), 0);
	T_EQ_STR(ch.pcs_last_seq, "\"7-g1A/x y\"");
	T_EQ_INT(proto_seq_query(ch.pcs_last_seq, &q), 0);
	T_EQ_STR(q, "7-g1A%2Fx%20y");
	free(q);
	proto_changes_free(&ch);
}

/* CouchDB 3.4.3's last_seq of a q=16 database on a node named
 * couch23try@<a 133-character host> (tests/sync/rig.sh makes the same):
 * 366 bytes, where the box once stopped at 256. */
static const char couch_q16_seq[] =
    "0-g1AAAArjeJzV1MFNAzEQBVALuJMOoIFZNlAA6SDpAMZeBzua7KxsB8gJOoALZ-gAOoAOoAPoADpYbJkimMsfaTT6eqchpdTE7XbqwfDGuOOTFLYzQxij5mv420HPnYUrnxwgdJa8tgGTpS0Q9xfgOCbocW2hbdtpE-xA3iBEm4CXkJyFaBwzQedjCt4kGAjTksO6wSF3h3yCuWLaxEvTGNrEZENDbJAo83ZQ6f1xHFeo_jlUT3LqAxnWw2I9kmFti_VUhnVWrHMZ1kWxnsmwnhcry7AOxXojwtrv5VS3eWTunRTvffU-SvE-Ve-zFO9L9b5K8b5V77sU70f1fkrxflXvtxTvT_WW_7v6BceI6eM";

T_TEST(changes_long_couchdb_seqs)
{
	size_t big = PROTO_SEQ_MAX - 2;		/* the quotes */
	struct proto_changes ch;
	char *json = malloc(big * 6 + 64), *q;

	T_ASSERT(json != NULL);
	if (json == NULL)
		return;
	snprintf(json, big * 6 + 64, "{\"results\":[],\"last_seq\":\"%s\"}",
	    couch_q16_seq);
	T_EQ_INT(proto_parse_changes(json, strlen(json), &ch), 0);
	T_EQ_INT(strlen(ch.pcs_last_seq), strlen(couch_q16_seq) + 2);
	T_EQ_INT(proto_seq_query(ch.pcs_last_seq, &q), 0);
	T_EQ_STR(q, couch_q16_seq);	/* base64url needs no escapes */
	free(q);
	proto_changes_free(&ch);
	/* PROTO_SEQ_MAX bytes as JSON: taken; one more: refused. */
	strcpy(json, "{\"results\":[],\"last_seq\":\"");
	memset(json + strlen(json), 'g', big);
	strcpy(json + strlen("{\"results\":[],\"last_seq\":\"") + big, "\"}");
	T_EQ_INT(proto_parse_changes(json, strlen(json), &ch), 0);
	T_EQ_INT(strlen(ch.pcs_last_seq), PROTO_SEQ_MAX);
	proto_changes_free(&ch);
	strcpy(json, "{\"results\":[],\"last_seq\":\"");
	memset(json + strlen(json), 'g', big + 1);
	strcpy(json + strlen("{\"results\":[],\"last_seq\":\"") + big + 1,
	    "\"}");
	T_EQ_INT(proto_parse_changes(json, strlen(json), &ch), CB_EPROTO);
	/* Within the bound as a string, past it once escaped as JSON. */
	strcpy(json, "{\"results\":[],\"last_seq\":\"");
	char *end = json + strlen(json);
	for (size_t i = 0; i < big / 2; i++, end += 6)
		memcpy(end, "\\u0001", 6);
	strcpy(end, "\"}");
	T_EQ_INT(proto_parse_changes(json, strlen(json), &ch), CB_EPROTO);
	free(json);
}

T_TEST(changes_refuses_bad_shapes)
{
	static const char *const bad[] = {
		"", "[]", "{\"results\":[]}",			/* no last_seq */
		"{\"results\":{},\"last_seq\":1}",
		"{\"results\":[{\"id\":\"a:1\",\"changes\":[]}],\"last_seq\":1}",
		"{\"results\":[{\"id\":\"a:1\",\"changes\":[{\"rev\":\"x\"}]}],"
		    "\"last_seq\":1}",				/* bad rev */
		"{\"results\":[{\"changes\":[{\"rev\":\"1-x\"}]}],\"last_seq\":1}",
		"{\"results\":[],\"last_seq\":-1}",
		"{\"results\":[],\"last_seq\":{}}",
	};
	struct proto_changes ch;

	for (size_t i = 0; i < CB_ARRAY_LEN(bad); i++)
		T_EQ_INT(proto_parse_changes(bad[i], strlen(bad[i]), &ch),
		    CB_EPROTO);
}

/* ---- _revs_diff, _bulk_get, open_revs, _bulk_docs ---- */

T_TEST(revs_diff_answer)
{
	static const char j[] = "{\"a:1\":{\"missing\":[\"1-x\",\"2-y\"]},"
	    "\"a:2\":{\"missing\":[],\"possible_ancestors\":[\"1-q\"]}}";
	struct proto_revs_diff d;

	T_EQ_INT(proto_parse_revs_diff(j, strlen(j), 10, &d), 0);
	T_EQ_INT(d.prd_n, 2);
	T_EQ_INT(d.prd_total, 2);
	T_EQ_STR(d.prd_rows[0].pm_revs[1], "2-y");
	proto_revs_diff_free(&d);
	/* More ids than asked about: the peer is confused. */
	T_EQ_INT(proto_parse_revs_diff(j, strlen(j), 1, &d), CB_EPROTO);
	T_EQ_INT(proto_parse_revs_diff("{\"a:1\":{\"missing\":[\"z\"]}}", 26,
	    10, &d), CB_EPROTO);
}

struct got {
	int n;
	char last[256];
};

static int
take(void *arg, const char *json, size_t len)
{
	struct got *g = arg;

	g->n++;
	snprintf(g->last, sizeof(g->last), "%.*s", (int)len, json);
	return 0;
}

T_TEST(bulk_get_and_open_revs)
{
	static const char bg[] = "{\"results\":[{\"id\":\"a:1\",\"docs\":["
	    "{\"ok\":{\"_id\":\"a:1\",\"_rev\":\"2-b\",\"type\":\"t\","
	    "\"_revisions\":{\"start\":2,\"ids\":[\"b\",\"a\"]}}},"
	    "{\"error\":{\"id\":\"a:1\",\"rev\":\"3-c\",\"error\":\"not_found\"}}"
	    "]}]}";
	static const char orv[] = "[{\"ok\":{\"_id\":\"a:1\",\"_rev\":\"1-a\","
	    "\"type\":\"t\"}},{\"missing\":\"2-q\"}]";
	struct got g = { 0 };
	size_t errors, missing;

	T_EQ_INT(proto_parse_bulk_get(bg, strlen(bg), take, &g, &errors), 0);
	T_EQ_INT(g.n, 1);
	T_EQ_INT(errors, 1);
	T_ASSERT(strstr(g.last, "\"_revisions\"") != NULL);
	g.n = 0;
	T_EQ_INT(proto_parse_open_revs(orv, strlen(orv), take, &g, &missing),
	    0);
	T_EQ_INT(g.n, 1);
	T_EQ_INT(missing, 1);
	/* A document without a valid _rev is not handed on. */
	T_EQ_INT(proto_parse_open_revs("[{\"ok\":{\"_id\":\"a:1\"}}]", 22, take,
	    &g, &missing), CB_EPROTO);
}

T_TEST(changes_first_generation_docs_inline)
{
	static const char p[] = "{\"results\":["
	    /* 0: a first revision with its doc: taken inline */
	    "{\"seq\":1,\"id\":\"a:1\",\"changes\":[{\"rev\":\"1-aa\"}],"
	    "\"doc\":{\"_id\":\"a:1\",\"_rev\":\"1-aa\",\"type\":\"t\","
	    "\"n\":[1,{\"x\":null}]}},"
	    /* 1: a later generation: _bulk_get (its history) */
	    "{\"seq\":2,\"id\":\"a:2\",\"changes\":[{\"rev\":\"2-bb\"}],"
	    "\"doc\":{\"_id\":\"a:2\",\"_rev\":\"2-bb\",\"type\":\"t\"}},"
	    /* 2: two leaves */
	    "{\"seq\":3,\"id\":\"a:3\",\"changes\":[{\"rev\":\"1-cc\"},"
	    "{\"rev\":\"1-dd\"}],\"doc\":{\"_id\":\"a:3\",\"_rev\":\"1-dd\"}},"
	    /* 3: the doc is of another revision */
	    "{\"seq\":4,\"id\":\"a:4\",\"changes\":[{\"rev\":\"1-ee\"}],"
	    "\"doc\":{\"_id\":\"a:4\",\"_rev\":\"1-ff\"}},"
	    /* 4: another id, 5: attachments, 6: no doc, 7: doc null */
	    "{\"seq\":5,\"id\":\"a:5\",\"changes\":[{\"rev\":\"1-ee\"}],"
	    "\"doc\":{\"_id\":\"a:x\",\"_rev\":\"1-ee\"}},"
	    "{\"seq\":6,\"id\":\"a:6\",\"changes\":[{\"rev\":\"1-ee\"}],"
	    "\"doc\":{\"_id\":\"a:6\",\"_rev\":\"1-ee\",\"_attachments\":{}}},"
	    "{\"seq\":7,\"id\":\"a:7\",\"changes\":[{\"rev\":\"1-ee\"}]},"
	    "{\"seq\":8,\"id\":\"a:8\",\"changes\":[{\"rev\":\"1-ee\"}],"
	    "\"doc\":null}"
	    "],\"last_seq\":8}";
	struct proto_changes ch;
	char *json;
	size_t len;

	T_EQ_INT(proto_parse_changes(p, strlen(p), &ch), 0);
	T_EQ_INT(ch.pcs_n, 8);
	T_EQ_INT(proto_change_first_gen_doc(&ch.pcs_rows[0], &json, &len), 0);
	T_EQ_STR(json, "{\"_id\":\"a:1\",\"_rev\":\"1-aa\",\"type\":\"t\","
	    "\"n\":[1,{\"x\":null}],\"_revisions\":{\"start\":1,\"ids\":"
	    "[\"aa\"]}}");
	T_EQ_INT(len, strlen(json));
	free(json);
	for (size_t i = 1; i < 8; i++) {
		T_EQ_INT(proto_change_first_gen_doc(&ch.pcs_rows[i], &json,
		    &len), CB_ENOTFOUND);
		T_ASSERT(json == NULL);
	}
	proto_changes_free(&ch);
}

T_TEST(bulk_docs_answer)
{
	static const char j[] = "[{\"id\":\"a\",\"rev\":\"1-x\"},{\"id\":\"b\","
	    "\"error\":\"forbidden\",\"reason\":\"read only\"}]";
	struct proto_bulk_result br;

	T_EQ_INT(proto_parse_bulk_docs(j, strlen(j), &br), 0);
	T_EQ_INT(br.pbr_ok, 1);
	T_EQ_INT(br.pbr_errors, 1);
	T_ASSERT(strstr(br.pbr_first_error, "forbidden") != NULL);
	T_EQ_INT(proto_parse_bulk_docs("[]", 2, &br), 0);
	T_EQ_INT(br.pbr_errors, 0);
	T_EQ_INT(proto_parse_bulk_docs("{}", 2, &br), CB_EPROTO);
}

/* ---- checkpoints ---- */

T_TEST(checkpoint_round_trip_and_since)
{
	struct proto_checkpoint a, b, none;
	char *json;
	size_t len;

	memset(&a, 0, sizeof(a));
	T_EQ_INT(proto_checkpoint_saved(&a, "0-1", "s1", "\"17-g1A\""), 0);
	T_EQ_INT(proto_build_checkpoint("_local/r", &a, "s1", "\"17-g1A\"",
	    &json, &len), 0);
	proto_checkpoint_free(&a);
	T_EQ_INT(proto_parse_checkpoint(json, len, &a), 0);
	free(json);
	T_EQ_INT(proto_checkpoint_saved(&a, "0-1", "s2", "42"), 0);
	T_EQ_INT(proto_build_checkpoint("_local/r", &a, "s2", "42", &json,
	    &len), 0);
	T_EQ_INT(proto_parse_checkpoint(json, len, &b), 0);
	free(json);
	T_EQ_STR(b.ck_rev, "0-1");
	T_EQ_STR(b.ck_session, "s2");
	T_EQ_STR(b.ck_seq, "42");
	T_EQ_INT(b.ck_nhist, 2);	/* the new session goes first */
	T_EQ_STR(b.ck_hist[0].h_session, "s2");
	T_EQ_STR(b.ck_hist[1].h_session, "s1");
	T_EQ_STR(b.ck_hist[1].h_seq, "\"17-g1A\"");
	/* Same session on both sides: its seq. */
	T_EQ_STR(proto_checkpoint_since(&b, &b), "42");
	/* Different sessions: the newest common one in the histories. */
	strcpy(b.ck_session, "s3");
	T_EQ_STR(proto_checkpoint_since(&a, &b), "\"17-g1A\"");
	/* One side has none: from the start. */
	memset(&none, 0, sizeof(none));
	T_EQ_STR(proto_checkpoint_since(&a, &none), "0");
	proto_checkpoint_free(&a);
	proto_checkpoint_free(&b);
	T_EQ_INT(proto_parse_checkpoint("{\"_rev\":\"\",\"session_id\":\"s\","
	    "\"source_last_seq\":1}", 47, &b), CB_EPROTO);
	T_EQ_INT(b.ck_seq == NULL, 1);	/* a refusal keeps nothing */
}

/* A checkpoint whose every seq is as long as a seq may be: history full,
 * the oldest session dropped, and the document still one the store takes
 * (the box keeps its own copy as _local/<id>). */
T_TEST(checkpoint_of_longest_seqs)
{
	struct proto_checkpoint a, b;
	char *seq = malloc(PROTO_SEQ_MAX + 1), *json = NULL, session[16];
	size_t len = 0;

	T_ASSERT(seq != NULL);
	memset(&a, 0, sizeof(a));
	strcpy(a.ck_rev, "0-1");	/* as the cloud's answer carries */
	for (int i = 0; i <= PROTO_HISTORY_MAX; i++) {
		memset(seq, 'A' + i, PROTO_SEQ_MAX);
		seq[0] = seq[PROTO_SEQ_MAX - 1] = '"';
		seq[PROTO_SEQ_MAX] = 0;
		snprintf(session, sizeof(session), "s%d", i);
		free(json);
		T_EQ_INT(proto_build_checkpoint("_local/r", &a, session, seq,
		    &json, &len), 0);
		proto_checkpoint_free(&a);
		T_EQ_INT(proto_parse_checkpoint(json, len, &a), 0);
		T_ASSERT(a.ck_seq != NULL && strcmp(a.ck_seq, seq) == 0);
	}
	T_EQ_INT(a.ck_nhist, PROTO_HISTORY_MAX);
	T_EQ_STR(a.ck_hist[0].h_session, "s10");
	T_EQ_STR(a.ck_hist[PROTO_HISTORY_MAX - 1].h_session, "s1");
	T_EQ_INT(a.ck_hist[PROTO_HISTORY_MAX - 1].h_seq[1], 'B');
	T_ASSERT(len < DOC_MAX_SIZE);
	/* ... which the box's store keeps as its own copy */
	char dir[] = "/tmp/test_sync_ckpt.XXXXXX", rm[64];
	struct store_put_result res;
	struct store_doc d;
	struct store *s;
	T_ASSERT(mkdtemp(dir) != NULL);
	T_EQ_INT(store_open(&s, dir, NULL), 0);
	T_EQ_INT(store_put(s, json, len, 1, &res), 0);
	T_EQ_INT(store_local_get(s, "_local/r", &d), 0);
	T_EQ_INT(proto_parse_checkpoint(d.sd_json, d.sd_len, &b), 0);
	T_ASSERT(strcmp(b.ck_hist[PROTO_HISTORY_MAX - 1].h_seq,
	    a.ck_hist[PROTO_HISTORY_MAX - 1].h_seq) == 0);
	proto_checkpoint_free(&b);
	store_doc_free(&d);
	store_close(s);
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	T_EQ_INT(system(rm), 0);
	T_EQ_INT(proto_parse_checkpoint(json, len, &b), 0);
	T_ASSERT(strcmp(proto_checkpoint_since(&a, &b), seq) == 0);
	proto_checkpoint_free(&b);
	/* One byte more in a history entry: the whole checkpoint is
	 * unreadable (the box then starts from the beginning). */
	char *at = strstr(json, "\"recorded_seq\":\"E");
	T_ASSERT(at != NULL);
	size_t off = (size_t)(at - json) + strlen("\"recorded_seq\":\"");
	char *longer = malloc(len + 2);
	T_ASSERT(longer != NULL);
	memcpy(longer, json, off);
	longer[off] = 'E';
	memcpy(longer + off + 1, json + off, len - off + 1);
	T_EQ_INT(proto_parse_checkpoint(longer, len + 1, &b), CB_EPROTO);
	free(longer);
	free(json);
	free(seq);
	proto_checkpoint_free(&a);
}

T_TEST(replication_ids_differ_by_direction_and_box)
{
	char a[SYNC_BOX_ID_LEN + 1], b[SYNC_BOX_ID_LEN + 1],
	    c[SYNC_BOX_ID_LEN + 1], d[SYNC_BOX_ID_LEN + 1];

	sync_replication_id("box1", "https://h", "db", "pull", a);
	sync_replication_id("box1", "https://h", "db", "push", b);
	sync_replication_id("box2", "https://h", "db", "pull", c);
	sync_replication_id("box1", "https://h", "db", "pull", d);
	T_ASSERT(strcmp(a, b) != 0);
	T_ASSERT(strcmp(a, c) != 0);
	T_EQ_STR(a, d);
	T_EQ_INT(strlen(a), SYNC_BOX_ID_LEN);
}

/* ---- enrollment, URLs ---- */

static const char enroll_ok[] = "{\"version\":1,"
    "\"cloud\":\"https://cloud.example:6984/couch/\","
    "\"school_db\":\"school-0001\",\"audit_db\":\"audit-0001\","
    "\"ca_pem\":\"-----BEGIN CERTIFICATE-----\\nA\\n-----END CERTIFICATE-----\\n\","
    "\"client_cert_pem\":\"-----BEGIN CERTIFICATE-----\\nB\\n-----END CERTIFICATE-----\\n\","
    "\"client_key_pem\":\"-----BEGIN PRIVATE KEY-----\\nC\\n-----END PRIVATE KEY-----\\n\","
    "\"username\":\"box-0001\",\"password\":\"s3cret-pw\","
    "\"proxy\":\"http://10.1.2.3:3128\",\"proxy_user\":\"p\","
    "\"proxy_password\":\"pp\"}";

T_TEST(enroll_good_file)
{
	struct enroll e;
	char err[256];

	T_EQ_INT(enroll_parse(enroll_ok, strlen(enroll_ok), &e, err,
	    sizeof(err)), 0);
	T_EQ_STR(e.en_url.hu_host, "cloud.example");
	T_EQ_INT(e.en_url.hu_port, 6984);
	T_EQ_STR(e.en_url.hu_prefix, "/couch");
	T_EQ_STR(e.en_school_db, "school-0001");
	T_EQ_STR(e.en_password, "s3cret-pw");
	T_EQ_STR(e.en_proxy_host, "10.1.2.3");
	T_EQ_INT(e.en_proxy_port, 3128);
	enroll_free(&e);
	T_ASSERT(e.en_password == NULL);
}

/* Replace the first occurrence of from by to in enroll_ok. */
static int
enroll_variant(const char *from, const char *to, char *err, size_t errsize)
{
	char buf[2048];
	const char *p = strstr(enroll_ok, from);
	struct enroll e;
	int rc;

	if (p == NULL)
		return -100;
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - enroll_ok),
	    enroll_ok, to, p + strlen(from));
	rc = enroll_parse(buf, strlen(buf), &e, err, errsize);
	if (rc == 0)
		enroll_free(&e);
	return rc;
}

T_TEST(enroll_refusals_name_the_field_never_the_secret)
{
	char err[256];

	T_EQ_INT(enroll_variant("https://cloud", "http://cloud", err,
	    sizeof(err)), CB_EINVAL);
	T_ASSERT(strstr(err, "cloud") != NULL);
	T_EQ_INT(enroll_variant("\"school-0001\"", "\"School/1\"", err,
	    sizeof(err)), CB_EINVAL);
	T_EQ_INT(enroll_variant("\"version\":1", "\"version\":2", err,
	    sizeof(err)), CB_EINVAL);
	T_EQ_INT(enroll_variant("\"username\"", "\"usernme\"", err,
	    sizeof(err)), CB_EINVAL);
	T_ASSERT(strstr(err, "usernme") != NULL);
	T_EQ_INT(enroll_variant("BEGIN PRIVATE KEY", "BEGIN PUBLIC KEY", err,
	    sizeof(err)), CB_EINVAL);
	T_EQ_INT(enroll_variant("\"audit-0001\"", "\"school-0001\"", err,
	    sizeof(err)), CB_EINVAL);
	T_EQ_INT(enroll_variant("http://10.1.2.3:3128", "http://10.1.2.3",
	    err, sizeof(err)), CB_EINVAL);
	T_ASSERT(strstr(err, "s3cret") == NULL);
	T_ASSERT(strstr(err, "pp") == NULL || strstr(err, "proxy") != NULL);
}

T_TEST(enroll_server_certificate_both_or_neither)
{
	static const char cert[] = "\"server_cert_pem\":\"-----BEGIN "
	    "CERTIFICATE-----\\nD\\n-----END CERTIFICATE-----\\n\",";
	static const char key[] = "\"server_key_pem\":\"-----BEGIN EC "
	    "PRIVATE KEY-----\\nE\\n-----END EC PRIVATE KEY-----\\n\",";
	char to[512], err[256];
	struct enroll e;

	/* Absent: neither is set. */
	T_EQ_INT(enroll_parse(enroll_ok, strlen(enroll_ok), &e, err,
	    sizeof(err)), 0);
	T_ASSERT(e.en_server_cert_pem == NULL && e.en_server_key_pem == NULL);
	enroll_free(&e);
	/* Both: parsed (their contents are checked by enroll_check). */
	snprintf(to, sizeof(to), "%s%s\"username\"", cert, key);
	T_EQ_INT(enroll_variant("\"username\"", to, err, sizeof(err)), 0);
	/* One without the other, or not PEM: refused, naming the field. */
	snprintf(to, sizeof(to), "%s\"username\"", cert);
	T_EQ_INT(enroll_variant("\"username\"", to, err, sizeof(err)),
	    CB_EINVAL);
	T_ASSERT(strstr(err, "\"server_cert_pem\" without \"server_key_pem\"")
	    != NULL);
	snprintf(to, sizeof(to), "%s\"username\"", key);
	T_EQ_INT(enroll_variant("\"username\"", to, err, sizeof(err)),
	    CB_EINVAL);
	T_ASSERT(strstr(err, "\"server_key_pem\" without") != NULL);
	snprintf(to, sizeof(to), "%s\"server_key_pem\":\"E\",\"username\"",
	    cert);
	T_EQ_INT(enroll_variant("\"username\"", to, err, sizeof(err)),
	    CB_EINVAL);
	T_ASSERT(strstr(err, "\"server_key_pem\" is not a PEM") != NULL);
	T_ASSERT(strstr(err, "E\"") == NULL);
}

T_TEST(url_parse)
{
	struct httpcli_url u;

	T_EQ_INT(httpcli_url_parse("https://localhost", &u), 0);
	T_EQ_INT(u.hu_port, 443);
	T_EQ_STR(u.hu_prefix, "");
	T_EQ_INT(httpcli_url_parse("https://[::1]:8443/db", &u), 0);
	T_EQ_STR(u.hu_host, "::1");
	T_EQ_INT(u.hu_port, 8443);
	T_EQ_INT(httpcli_url_parse("https://u:p@host/", &u), CB_EINVAL);
	T_EQ_INT(httpcli_url_parse("https://host:0/", &u), CB_EINVAL);
	T_EQ_INT(httpcli_url_parse("https://host:99999", &u), CB_EINVAL);
	T_EQ_INT(httpcli_url_parse("https://host/?q", &u), CB_EINVAL);
	T_EQ_INT(httpcli_url_parse("ftp://host", &u), CB_EINVAL);
	T_EQ_INT(httpcli_url_parse("https://:443", &u), CB_EINVAL);
}

/* ---- HTTP responses ---- */

static int
parse_all(const char *resp, size_t split, size_t max, struct httpcli_parser *p)
{
	int rc;

	httpcli_parse_init(p, max, 0);
	if ((rc = httpcli_parse_feed(p, resp, split)) != 0)
		return rc;
	if ((rc = httpcli_parse_feed(p, resp + split, strlen(resp) - split)))
		return rc;
	return p->hp_done ? 0 : httpcli_parse_eof(p);
}

T_TEST(http_responses)
{
	static const char cl[] = "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n"
	    "\r\n[1,2]";	/* one byte more than the length: next message */
	static const char ch[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n3\r\n{\"a\r\n3\r\n\":1\r\n1\r\n}\r\n0\r\n\r\n";
	static const char close_[] = "HTTP/1.0 200 OK\r\n\r\n{}";
	struct httpcli_parser p;

	T_EQ_INT(parse_all(cl, 10, 100, &p), 0);
	T_EQ_INT(p.hp_status, 201);
	T_EQ_STR(p.hp_body, "[1,2");
	T_EQ_INT(p.hp_keep_alive, 1);
	httpcli_parse_free(&p);
	for (size_t split = 0; split < sizeof(ch) - 1; split += 7) {
		T_EQ_INT(parse_all(ch, split, 100, &p), 0);
		T_EQ_STR(p.hp_body, "{\"a\":1}");
		httpcli_parse_free(&p);
	}
	T_EQ_INT(parse_all(close_, 5, 100, &p), 0);
	T_EQ_STR(p.hp_body, "{}");
	T_EQ_INT(p.hp_keep_alive, 0);
	httpcli_parse_free(&p);
	/* Past the limit: declared or streamed. */
	T_EQ_INT(parse_all(cl, 10, 3, &p), CB_ETOOBIG);
	httpcli_parse_free(&p);
	T_EQ_INT(parse_all(ch, 10, 3, &p), CB_ETOOBIG);
	httpcli_parse_free(&p);
	T_EQ_INT(parse_all("SSH-2.0-OpenSSH\r\n", 3, 100, &p), CB_EPROTO);
	httpcli_parse_free(&p);
}

T_TEST(escape)
{
	char out[32];

	T_EQ_INT(httpcli_escape("a:1/b c\"", out, sizeof(out)), 0);
	T_EQ_STR(out, "a:1%2Fb%20c%22");
	T_EQ_INT(httpcli_escape("abcdef", out, 4), CB_ETOOBIG);
}

/* ---- status file ---- */

T_TEST(status_file_round_trip)
{
	char path[] = "/tmp/cb-sync-status.XXXXXX";
	struct sync_status st, back;
	int fd = mkstemp(path);

	T_ASSERT(fd >= 0);
	close(fd);
	memset(&st, 0, sizeof(st));
	strcpy(st.st_state, "offline");
	st.st_last_ok_ms = 1795689216000;
	st.st_pending = 20000;
	strcpy(st.st_last_error, "connection to the cloud cut during a read");
	strcpy(st.st_error_kind, "link");
	st.st_client_cert_not_after_ms = 1796000000000;
	st.st_cloud_ca_not_after_ms = 1890000000000;
	T_EQ_INT(sync_status_write(path, &st), 0);
	T_EQ_INT(sync_status_read(path, &back), 0);
	T_EQ_STR(back.st_state, "offline");
	T_EQ_INT(back.st_pending, 20000);
	T_EQ_INT(back.st_last_ok_ms, 1795689216000);
	T_EQ_STR(back.st_last_error, st.st_last_error);
	T_EQ_STR(back.st_error_kind, "link");
	T_EQ_INT(back.st_client_cert_not_after_ms, 1796000000000);
	T_EQ_INT(back.st_cloud_ca_not_after_ms, 1890000000000);
	/* Absent, negative or of another type: 0 (nothing to warn about). */
	T_EQ_INT(sync_status_parse("{\"state\":\"ok\","
	    "\"client_cert_not_after_ms\":-5,\"cloud_ca_not_after_ms\":\"x\"}",
	    72, &back), 0);
	T_EQ_INT(back.st_client_cert_not_after_ms, 0);
	T_EQ_INT(back.st_cloud_ca_not_after_ms, 0);
	unlink(path);
	T_EQ_INT(sync_status_read(path, &back), CB_ENOTFOUND);
	T_EQ_INT(sync_status_parse("{}", 2, &back), CB_EINVAL);
}

/* ---- conflict rules ---- */

T_TEST(conflict_rules_by_type)
{
	T_EQ_INT(conflict_rule_for("user"), CONFLICT_CLOUD_WINS);
	T_EQ_INT(conflict_rule_for("class"), CONFLICT_CLOUD_WINS);
	T_EQ_INT(conflict_rule_for("attendance"), CONFLICT_LAST_WRITER);
	T_EQ_INT(conflict_rule_for("submission"), CONFLICT_APPEND_ONLY);
	T_EQ_INT(conflict_rule_for("guidance_note"), CONFLICT_MANUAL);
	T_EQ_INT(conflict_rule_for("note"), CONFLICT_COUCH_WINNER);
	T_EQ_INT(conflict_rule_for(NULL), CONFLICT_COUCH_WINNER);
}

T_TEST(conflict_cloud_wins)
{
	struct conflict_leaf l[3] = {
		{ "3-b", 0, -1 },	/* CouchDB's winner, box only */
		{ "3-a", 1, -1 },	/* the cloud's */
		{ "2-z", 0, -1 },
	};
	struct conflict_decision d;

	T_EQ_INT(conflict_decide(CONFLICT_CLOUD_WINS, l, 3, &d), 0);
	T_EQ_INT(d.cd_keep, 1);
	T_EQ_INT(d.cd_nclose, 2);
	T_EQ_INT(d.cd_close[0], 0);
	T_EQ_INT(d.cd_close[1], 2);
	T_EQ_INT(d.cd_record, 1);
	/* The cloud has none of them: nothing to decide here. */
	l[1].cl_from_cloud = 0;
	T_EQ_INT(conflict_decide(CONFLICT_CLOUD_WINS, l, 3, &d), 0);
	T_EQ_INT(d.cd_nclose, 0);
	T_EQ_INT(d.cd_record, 0);
}

T_TEST(conflict_last_writer_is_deterministic)
{
	struct conflict_leaf l[3] = {
		{ "4-c", 1, 1000 }, { "3-b", 0, 5000 }, { "3-a", 0, 5000 },
	};
	struct conflict_decision d;

	T_EQ_INT(conflict_decide(CONFLICT_LAST_WRITER, l, 3, &d), 0);
	T_EQ_INT(d.cd_keep, 1);		/* latest edit; tie: CouchDB order */
	T_EQ_INT(d.cd_nclose, 2);
	T_EQ_INT(d.cd_record, 1);
	/* Which side is the cloud does not matter: same answer. */
	l[0].cl_from_cloud = 0;
	l[2].cl_from_cloud = 1;
	T_EQ_INT(conflict_decide(CONFLICT_LAST_WRITER, l, 3, &d), 0);
	T_EQ_INT(d.cd_keep, 1);
}

T_TEST(conflict_append_only_and_manual_close_nothing)
{
	struct conflict_leaf l[2] = { { "2-b", 1, 1 }, { "2-a", 0, 2 } };
	struct conflict_decision d;

	T_EQ_INT(conflict_decide(CONFLICT_APPEND_ONLY, l, 2, &d), 0);
	T_EQ_INT(d.cd_nclose, 0);
	T_EQ_INT(d.cd_record, 1);
	T_EQ_INT(conflict_decide(CONFLICT_MANUAL, l, 2, &d), 0);
	T_EQ_INT(d.cd_nclose, 0);
	T_EQ_INT(d.cd_record, 1);
	T_EQ_INT(conflict_decide(CONFLICT_COUCH_WINNER, l, 2, &d), 0);
	T_EQ_INT(d.cd_record, 0);
	T_EQ_INT(conflict_decide(CONFLICT_MANUAL, l, 1, &d), CB_EINVAL);
}

/* ---- file records as CouchDB attachments (sync/atts.c) ---- */

static const char att_pdf[] = "%PDF-1.4\n% worksheet\n1 0 obj\n<<>>\n"
    "endobj\ntrailer\n<<>>\n%%EOF\n";

/* A file record as files.c writes it, for bytes b[0..n). */
static char *
att_record(const char *rev, const unsigned char *b, size_t n, const char *ct)
{
	unsigned char sum[32];
	char hex[65], *url = malloc(n * 2 + 4), *out = malloc(n * 2 + 1024);

	mbedtls_sha256(b, n, sum, 0);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	cb_b64url_encode(b, n, url, n * 2 + 4);
	snprintf(out, n * 2 + 1024, "{\"_id\":\"file:Q2xhc3Nib3gx\","
	    "\"_rev\":\"%s\",\"type\":\"file\",\"owner_id\":\"t001\","
	    "\"purpose\":\"assignment\",\"assignment_id\":\"assignment:a1\","
	    "\"class_id\":\"class:2026:2-3\",\"content_type\":\"%s\","
	    "\"name\":\"数学.pdf\",\"size\":%zu,\"sha256\":\"%s\","
	    "\"data\":\"%s\",\"uploaded_at\":1795682909643,"
	    "\"attached_to\":\"assignment:a1\"}", rev, ct, n, hex, url);
	free(url);
	return out;
}

/* The wire form as PouchDB serves it with attachments=true: the same
 * attachment plus its digest, revpos and length, as a server adds. */
static char *
att_served(const char *wire, const char *digest, long long length)
{
	yyjson_doc *d = yyjson_read(wire, strlen(wire), 0);
	yyjson_mut_doc *m = yyjson_doc_mut_copy(d, NULL);
	yyjson_mut_val *a = yyjson_mut_obj_get(yyjson_mut_obj_get(
	    yyjson_mut_doc_get_root(m), "_attachments"), ATTS_NAME);
	char *out;

	yyjson_mut_obj_add_strcpy(m, a, "digest", digest);
	yyjson_mut_obj_remove_key(a, "revpos");
	yyjson_mut_obj_add_int(m, a, "revpos", 1);
	if (length >= 0)
		yyjson_mut_obj_add_int(m, a, "length", length);
	out = yyjson_mut_write(m, 0, NULL);
	yyjson_mut_doc_free(m);
	yyjson_doc_free(d);
	return out;
}

static void
att_digest(const unsigned char *b, size_t n, char out[32])
{
	unsigned char md5[16];
	size_t dl;

	mbedtls_md5(b, n, md5);
	memcpy(out, "md5-", 4);
	mbedtls_base64_encode((unsigned char *)out + 4, 28, &dl, md5, 16);
}

T_TEST(attachment_mapping_round_trip_keeps_the_revision)
{
	const unsigned char *b = (const unsigned char *)att_pdf;
	size_t n = sizeof(att_pdf) - 1, wlen, dl;
	char hash[DOC_HASH_LEN + 1], rev[64], digest[32], err[128];
	char b64[256], *rec, *wire, *served;
	struct doc_input in, back;
	struct atts_in a;

	/* The box's revision of the record: MD5 of its canonical body. */
	rec = att_record("1-x", b, n, "application/pdf");
	T_EQ_INT(doc_parse(rec, strlen(rec), 1, &in, err, sizeof(err)), 0);
	T_EQ_INT(doc_new_hash(0, "", in.di_body, in.di_bodylen, hash), 0);
	snprintf(rev, sizeof(rev), "1-%s", hash);
	free(rec);
	rec = att_record(rev, b, n, "application/pdf");

	/* Box to cloud: no "data" field, one attachment in standard base64. */
	T_EQ_INT(atts_to_wire(rec, strlen(rec), &wire, &wlen), 0);
	T_ASSERT(wire != NULL && wlen == strlen(wire));
	T_ASSERT(strstr(wire, "\"data\":\"JVBER") != NULL);
	yyjson_doc *w = yyjson_read(wire, wlen, 0);
	yyjson_val *wr = yyjson_doc_get_root(w);
	T_ASSERT(yyjson_obj_get(wr, "data") == NULL);
	T_EQ_STR(yyjson_get_str(yyjson_obj_get(wr, "_rev")), rev);
	yyjson_val *att = yyjson_obj_get(yyjson_obj_get(wr, "_attachments"),
	    ATTS_NAME);
	T_EQ_STR(yyjson_get_str(yyjson_obj_get(att, "content_type")),
	    "application/pdf");
	mbedtls_base64_encode((unsigned char *)b64, sizeof(b64), &dl, b, n);
	T_EQ_STR(yyjson_get_str(yyjson_obj_get(att, "data")), b64);
	T_EQ_INT(yyjson_get_uint(yyjson_obj_get(att, "revpos")), 1);
	T_ASSERT(yyjson_get_len(yyjson_obj_get(wr, "sha256")) == 64);
	yyjson_doc_free(w);

	/* Cloud to box: the same body, so the same revision hash. */
	att_digest(b, n, digest);
	served = att_served(wire, digest, (long long)n);
	T_EQ_INT(atts_from_wire(served, strlen(served), 1, &a), 0);
	T_EQ_INT(a.ai_kind, ATTS_INLINE);
	T_EQ_INT(a.ai_length, n);
	T_EQ_STR(a.ai_id, "file:Q2xhc3Nib3gx");
	T_EQ_STR(a.ai_rev, rev);
	T_EQ_INT(doc_parse(a.ai_json, a.ai_len, 0, &back, err, sizeof(err)),
	    0);
	T_EQ_INT(back.di_bodylen, in.di_bodylen);
	T_ASSERT(memcmp(back.di_body, in.di_body, in.di_bodylen) == 0);
	T_EQ_INT(doc_new_hash(0, "", back.di_body, back.di_bodylen, hash), 0);
	T_EQ_STR(rev + 2, hash);
	doc_input_free(&back);
	atts_in_free(&a);
	free(served);
	/* Without a length (allowed), the same. */
	served = att_served(wire, digest, -1);
	T_EQ_INT(atts_from_wire(served, strlen(served), 1, &a), 0);
	T_EQ_INT(a.ai_kind, ATTS_INLINE);
	atts_in_free(&a);
	free(served);
	doc_input_free(&in);
	free(wire);
	free(rec);
}

T_TEST(attachment_mapping_leaves_other_documents)
{
	static const char note[] = "{\"_id\":\"n:1\",\"_rev\":\"1-a\","
	    "\"type\":\"note\",\"data\":\"JVBERi0\"}";
	static const char gone[] = "{\"_id\":\"file:x\",\"_rev\":\"2-a\","
	    "\"_deleted\":true}";
	static const char odd[] = "{\"_id\":\"file:x\",\"_rev\":\"1-a\","
	    "\"type\":\"file\",\"content_type\":\"text/plain\","
	    "\"data\":\"QQ=\"}";	/* not the box's encoding: as stored */
	char *wire;
	size_t wlen;
	struct atts_in a;

	T_EQ_INT(atts_to_wire(note, strlen(note), &wire, &wlen), 0);
	T_ASSERT(wire == NULL);
	T_EQ_INT(atts_to_wire(gone, strlen(gone), &wire, &wlen), 0);
	T_ASSERT(wire == NULL);
	T_EQ_INT(atts_to_wire(odd, strlen(odd), &wire, &wlen), 0);
	T_ASSERT(wire == NULL);
	/* Zero bytes (found by fuzz_sync_atts: mbedTLS writes no NUL then). */
	static const char empty[] = "{\"_id\":\"file:e\",\"_rev\":\"1-a\","
	    "\"type\":\"file\",\"content_type\":\"text/plain\",\"data\":\"\"}";
	T_EQ_INT(atts_to_wire(empty, strlen(empty), &wire, &wlen), 0);
	T_ASSERT(wire != NULL && strstr(wire, "\"_attachments\":{\"data\":{"
	    "\"content_type\":\"text/plain\",\"data\":\"\",\"revpos\":1}}") !=
	    NULL);
	free(wire);
	/* No _attachments: the store judges it as before. */
	T_EQ_INT(atts_from_wire(note, strlen(note), 0, &a), 0);
	T_EQ_INT(a.ai_kind, ATTS_PLAIN);
	T_ASSERT(a.ai_json == NULL);
}

/* JSON of the served file with one change made by edit(). */
static int
att_refused(const char *json, int want_data, int rc, const char *why)
{
	struct atts_in a;
	int got = atts_from_wire(json, strlen(json), want_data, &a);

	atts_in_free(&a);
	if (got != rc || strstr(a.ai_why, why) == NULL) {
		fprintf(stderr, "  refusal: got %d \"%s\", want %d \"%s\"\n",
		    got, a.ai_why, rc, why);
		return 0;
	}
	return 1;
}

/* gzip of b[0..n) as CouchDB stores a compressible attachment (zlib
 * level 8, a gzip wrapper); *len its length. malloc'd. */
static unsigned char *
att_gzip(const unsigned char *b, size_t n, size_t *len)
{
	z_stream z;
	size_t cap = n + n / 64 + 64;
	unsigned char *out = malloc(cap);

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 8, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)b;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	*len = z.total_out;
	deflateEnd(&z);
	return out;
}

/* The stub CouchDB 3 sends for the wire form with att_encoding_info=true:
 * no data; the digest of the stored (gzip) bytes; length of the file,
 * encoded_length of what it stores. */
static char *
att_couch_stub(const char *wire, const char *digest, long long length,
    long long encoded_length, const char *encoding)
{
	yyjson_doc *d = yyjson_read(wire, strlen(wire), 0);
	yyjson_mut_doc *m = yyjson_doc_mut_copy(d, NULL);
	yyjson_mut_val *a = yyjson_mut_obj_get(yyjson_mut_obj_get(
	    yyjson_mut_doc_get_root(m), "_attachments"), ATTS_NAME);
	char *out;

	yyjson_mut_obj_remove_key(a, "data");
	yyjson_mut_obj_add_strcpy(m, a, "digest", digest);
	yyjson_mut_obj_add_int(m, a, "length", length);
	yyjson_mut_obj_add_bool(m, a, "stub", true);
	yyjson_mut_obj_add_strcpy(m, a, "encoding", encoding);
	yyjson_mut_obj_add_int(m, a, "encoded_length", encoded_length);
	out = yyjson_mut_write(m, 0, NULL);
	yyjson_mut_doc_free(m);
	yyjson_doc_free(d);
	return out;
}

/* atts_from_encoded refuses with rc and a reason containing why. */
static int
att_enc_refused(const char *stub, const unsigned char *gz, size_t len,
    int gzipped, int rc, const char *why)
{
	struct atts_in a;
	int got = atts_from_encoded(stub, strlen(stub), gz, len, gzipped, &a);

	atts_in_free(&a);
	if (got != rc || strstr(a.ai_why, why) == NULL) {
		fprintf(stderr, "  refusal: got %d \"%s\", want %d \"%s\"\n",
		    got, a.ai_why, rc, why);
		return 0;
	}
	return 1;
}

/* A text file the box uploaded, as CouchDB keeps it: gzip-encoded, its
 * digest the MD5 of the gzip bytes. The stub says so; the stored bytes
 * check against the digest and come back as the very record (same
 * revision hash); every way they can be wrong is refused. */
T_TEST(attachment_gzip_stored_as_couchdb_keeps_it)
{
	static const char text[] = "連絡帳: 明日は遠足です。お弁当と水筒を"
	    "持ってきてください。\n連絡帳: 明日は遠足です。\n";
	const unsigned char *b = (const unsigned char *)text;
	size_t n = sizeof(text) - 1, wlen, gzlen;
	char hash[DOC_HASH_LEN + 1], rev[64], digest[32], plain[32];
	char err[128], *rec, *wire, *stub;
	struct doc_input in, back;
	struct atts_in a;
	unsigned char *gz = att_gzip(b, n, &gzlen), *bad;

	rec = att_record("1-x", b, n, "text/plain");
	T_EQ_INT(doc_parse(rec, strlen(rec), 1, &in, err, sizeof(err)), 0);
	T_EQ_INT(doc_new_hash(0, "", in.di_body, in.di_bodylen, hash), 0);
	snprintf(rev, sizeof(rev), "1-%s", hash);
	free(rec);
	rec = att_record(rev, b, n, "text/plain");
	T_EQ_INT(atts_to_wire(rec, strlen(rec), &wire, &wlen), 0);
	att_digest(gz, gzlen, digest);
	att_digest(b, n, plain);
	stub = att_couch_stub(wire, digest, (long long)n, (long long)gzlen,
	    "gzip");

	/* Round one: a stub to fetch by itself, as stored. */
	T_EQ_INT(atts_from_wire(stub, strlen(stub), 0, &a), 0);
	T_EQ_INT(a.ai_kind, ATTS_STUB);
	T_EQ_INT(a.ai_gzip, 1);
	T_EQ_INT(a.ai_length, n);
	/* The stored bytes: checked, inflated, the box's record again. */
	T_EQ_INT(atts_from_encoded(stub, strlen(stub), gz, gzlen, 1, &a), 0);
	T_EQ_INT(a.ai_kind, ATTS_INLINE);
	T_EQ_INT(a.ai_length, n);
	T_EQ_INT(doc_parse(a.ai_json, a.ai_len, 0, &back, err, sizeof(err)),
	    0);
	T_EQ_INT(back.di_bodylen, in.di_bodylen);
	T_ASSERT(memcmp(back.di_body, in.di_body, in.di_bodylen) == 0);
	T_EQ_INT(doc_new_hash(0, "", back.di_body, back.di_bodylen, hash), 0);
	T_EQ_STR(rev + 2, hash);
	doc_input_free(&back);
	atts_in_free(&a);

	/* A real mismatch: one byte of the stored deflate data changed. */
	bad = malloc(gzlen + 8);
	memcpy(bad, gz, gzlen);
	bad[gzlen / 2] ^= 0x20;
	T_ASSERT(att_enc_refused(stub, bad, gzlen, 1, CB_EINVAL,
	    "do not match its digest"));
	/* The same bytes with a digest made for them: gzip's own CRC (or
	 * the deflate data) still catches it. */
	char *s2;
	att_digest(bad, gzlen, err);
	s2 = att_couch_stub(wire, err, (long long)n, (long long)gzlen, "gzip");
	T_ASSERT(att_enc_refused(s2, bad, gzlen, 1, CB_EINVAL, "gzip data is"));
	free(s2);
	/* The answer came inflated (a proxy decoded it): no digest fits. */
	T_ASSERT(att_enc_refused(stub, b, n, 0, CB_EINVAL, "came decoded"));
	/* The digest of the file instead of the stored bytes. */
	s2 = att_couch_stub(wire, plain, (long long)n, (long long)gzlen, "gzip");
	T_ASSERT(att_enc_refused(s2, gz, gzlen, 1, CB_EINVAL,
	    "do not match its digest"));
	free(s2);
	/* Lengths: stored bytes against encoded_length, the file's against
	 * length (but CouchDB's own "length = encoded_length" for a file
	 * uploaded already gzipped is taken). */
	s2 = att_couch_stub(wire, digest, (long long)n, (long long)gzlen + 1,
	    "gzip");
	T_ASSERT(att_enc_refused(s2, gz, gzlen, 1, CB_EINVAL,
	    "its encoded_length says"));
	free(s2);
	s2 = att_couch_stub(wire, digest, (long long)n - 1, (long long)gzlen,
	    "gzip");
	T_ASSERT(att_enc_refused(s2, gz, gzlen, 1, CB_EINVAL, "inflates to"));
	free(s2);
	s2 = att_couch_stub(wire, digest, (long long)gzlen, (long long)gzlen,
	    "gzip");
	T_EQ_INT(atts_from_encoded(s2, strlen(s2), gz, gzlen, 1, &a), 0);
	T_EQ_INT(a.ai_length, n);
	atts_in_free(&a);
	free(s2);
	/* Cut short, or followed by more bytes (digests made to fit). */
	att_digest(gz, gzlen - 4, err);
	s2 = att_couch_stub(wire, err, (long long)n, (long long)gzlen - 4,
	    "gzip");
	T_ASSERT(att_enc_refused(s2, gz, gzlen - 4, 1, CB_EINVAL, "cut short"));
	free(s2);
	memcpy(bad, gz, gzlen);
	memcpy(bad + gzlen, "MZ", 2);
	att_digest(bad, gzlen + 2, err);
	s2 = att_couch_stub(wire, err, (long long)n, (long long)gzlen + 2,
	    "gzip");
	T_ASSERT(att_enc_refused(s2, bad, gzlen + 2, 1, CB_EINVAL,
	    "bytes after"));
	free(s2);
	free(bad);
	/* A small gzip that inflates past REC_FILE_MAX (a zip bomb). */
	unsigned char *t = malloc(REC_FILE_MAX + 1), *bomb;
	size_t blen;
	memset(t, 'a', REC_FILE_MAX + 1);
	bomb = att_gzip(t, REC_FILE_MAX + 1, &blen);
	att_digest(bomb, blen, err);
	s2 = att_couch_stub(wire, err, (long long)n, (long long)blen, "gzip");
	T_ASSERT(att_enc_refused(s2, bomb, blen, 1, CB_ETOOBIG,
	    "inflates past the limit of 768000"));
	free(s2);
	free(bomb);
	free(t);
	/* Stubs: stored bytes over ATTS_GZIP_MAX are never fetched; an
	 * encoding CouchDB does not make; gzip without encoded_length. */
	s2 = att_couch_stub(wire, digest, (long long)n,
	    (long long)ATTS_GZIP_MAX + 1, "gzip");
	T_ASSERT(att_refused(s2, 0, CB_ETOOBIG, "as stored, over the limit"));
	free(s2);
	s2 = att_couch_stub(wire, digest, (long long)n, (long long)gzlen, "br");
	T_ASSERT(att_refused(s2, 0, CB_EINVAL, "encoded as br"));
	free(s2);
	s2 = att_couch_stub(wire, digest, (long long)n, (long long)gzlen, "gzip");
	char *el = strstr(s2, "\"encoded_length\"");
	memcpy(el, "\"encoded_lengtx\"", 16);
	T_ASSERT(att_refused(s2, 0, CB_EINVAL, "without its encoded_length"));
	free(s2);
	/* Inline and gzip-stored (attachments=true&att_encoding_info=true):
	 * CouchDB inflates the data, the digest is of the gzip: refused. */
	char *inl = att_served(wire, digest, (long long)n);
	char *at = strstr(inl, "\"revpos\"");
	size_t il = strlen(inl);
	s2 = malloc(il + 64);
	memcpy(s2, inl, (size_t)(at - inl));
	strcpy(s2 + (at - inl), "\"encoding\":\"gzip\",");
	strcat(s2, at);
	T_ASSERT(att_refused(s2, 1, CB_EINVAL, "sent inflated"));
	free(s2);
	free(inl);
	doc_input_free(&in);
	free(stub);
	free(gz);
	free(wire);
	free(rec);
}

T_TEST(attachment_refusals_say_why)
{
	const unsigned char *b = (const unsigned char *)att_pdf;
	size_t n = sizeof(att_pdf) - 1, wlen;
	char digest[32], *rec = att_record("1-a", b, n, "application/pdf");
	char *wire, *j;
	struct atts_in a;

	T_EQ_INT(atts_to_wire(rec, strlen(rec), &wire, &wlen), 0);
	att_digest(b, n, digest);
	/* Bytes that do not match the digest (one flipped). */
	j = att_served(wire, "md5-AAAAAAAAAAAAAAAAAAAAAA==", (long long)n);
	T_ASSERT(att_refused(j, 1, CB_EINVAL, "do not match its digest"));
	free(j);
	j = att_served(wire, digest, (long long)n + 1);
	T_ASSERT(att_refused(j, 1, CB_EINVAL, "its length says"));
	free(j);
	/* No digest at all. */
	T_ASSERT(att_refused(wire, 1, CB_EINVAL, "no digest"));
	/* A stub when the data was asked for; a stub of a file too big. */
	static const char stub[] = "{\"_id\":\"file:s\",\"_rev\":\"2-b\","
	    "\"type\":\"file\",\"content_type\":\"image/png\","
	    "\"_attachments\":{\"data\":{\"content_type\":\"image/png\","
	    "\"digest\":\"md5-x\",\"length\":%s,\"stub\":true}}}";
	char buf[512];
	snprintf(buf, sizeof(buf), stub, "1000");
	T_ASSERT(att_refused(buf, 1, CB_EINVAL, "does not hold"));
	T_EQ_INT(atts_from_wire(buf, strlen(buf), 0, &a), 0);
	T_EQ_INT(a.ai_kind, ATTS_STUB);
	T_EQ_INT(a.ai_length, 1000);
	T_EQ_STR(a.ai_rev, "2-b");
	snprintf(buf, sizeof(buf), stub, "768001");
	T_ASSERT(att_refused(buf, 0, CB_ETOOBIG, "over the limit of 768000"));
	snprintf(buf, sizeof(buf), stub, "\"12\"");
	T_ASSERT(att_refused(buf, 0, CB_EINVAL, "no length"));
	/* Attachments on another type; two; another name; a type not on
	 * the allow-list; a record whose content_type differs. */
	static const char note[] = "{\"_id\":\"n:1\",\"_rev\":\"1-a\","
	    "\"type\":\"note\",\"_attachments\":{\"data\":{}}}";
	T_ASSERT(att_refused(note, 0, CB_EINVAL, "file records only (type "
	    "note)"));
	/* The cloud's strings reach logs as one line of ASCII. */
	static const char nl[] = "{\"_id\":\"n:1\",\"_rev\":\"1-a\","
	    "\"type\":\"x\\ny 漢\",\"_attachments\":{}}";
	T_ASSERT(att_refused(nl, 0, CB_EINVAL, "(type x?y \?\?\?)"));
	static const char two[] = "{\"_id\":\"file:2\",\"_rev\":\"1-a\","
	    "\"type\":\"file\",\"content_type\":\"text/plain\","
	    "\"_attachments\":{\"data\":{},\"b\":{}}}";
	T_ASSERT(att_refused(two, 0, CB_EINVAL, "2 attachments"));
	static const char named[] = "{\"_id\":\"file:2\",\"_rev\":\"1-a\","
	    "\"type\":\"file\",\"content_type\":\"text/plain\","
	    "\"_attachments\":{\"a.txt\":{}}}";
	T_ASSERT(att_refused(named, 0, CB_EINVAL, "not named \"data\""));
	static const char exe[] = "{\"_id\":\"file:2\",\"_rev\":\"1-a\","
	    "\"type\":\"file\",\"content_type\":\"application/x-msdownload\","
	    "\"_attachments\":{\"data\":{\"content_type\":"
	    "\"application/x-msdownload\",\"data\":\"TVo=\"}}}";
	T_ASSERT(att_refused(exe, 1, CB_EINVAL, "is not allowed"));
	static const char differ[] = "{\"_id\":\"file:2\",\"_rev\":\"1-a\","
	    "\"type\":\"file\",\"content_type\":\"image/png\","
	    "\"_attachments\":{\"data\":{\"content_type\":\"text/plain\","
	    "\"data\":\"QQ==\",\"digest\":\"md5-f6ZRk2S6fJR1b8TPWwb/dg==\"}}}";
	T_ASSERT(att_refused(differ, 1, CB_EINVAL, "content_type is not"));
	/* A .exe's bytes labelled as a PDF (digest right, magic wrong). */
	char xd[32];
	att_digest((const unsigned char *)"MZ\x90", 3, xd);
	snprintf(buf, sizeof(buf), "{\"_id\":\"file:3\",\"_rev\":\"1-a\","
	    "\"type\":\"file\",\"content_type\":\"application/pdf\","
	    "\"_attachments\":{\"data\":{\"content_type\":\"application/pdf\","
	    "\"data\":\"TVqQ\",\"digest\":\"%s\"}}}", xd);
	T_ASSERT(att_refused(buf, 1, CB_EINVAL, "bytes are not "
	    "application/pdf"));
	snprintf(buf, sizeof(buf), "{\"_id\":\"file:3\",\"_rev\":\"1-a\","
	    "\"type\":\"file\",\"content_type\":\"application/pdf\","
	    "\"_attachments\":{\"data\":{\"content_type\":\"application/pdf\","
	    "\"data\":\"%%%%%%\",\"digest\":\"%s\"}}}", xd);
	T_ASSERT(att_refused(buf, 1, CB_EINVAL, "not base64"));
	/* The record's size and sha256 must be the bytes'. */
	char *r2 = att_record("1-a", b, n, "application/pdf"), *p;
	p = strstr(r2, "\"size\":") + 7;
	*p = *p == '9' ? '8' : '9';
	free(wire);
	T_EQ_INT(atts_to_wire(r2, strlen(r2), &wire, &wlen), 0);
	j = att_served(wire, digest, (long long)n);
	T_ASSERT(att_refused(j, 1, CB_EINVAL, "record's size"));
	free(j);
	free(r2);
	r2 = att_record("1-a", b, n, "application/pdf");
	p = strstr(r2, "\"sha256\":\"") + 10;
	*p = *p == 'a' ? 'b' : 'a';
	free(wire);
	T_EQ_INT(atts_to_wire(r2, strlen(r2), &wire, &wlen), 0);
	j = att_served(wire, digest, (long long)n);
	T_ASSERT(att_refused(j, 1, CB_EINVAL, "sha256 does not match"));
	free(j);
	free(r2);
	/* Too big inline: REC_FILE_MAX + 1 bytes of text. */
	size_t big = REC_FILE_MAX + 1;
	unsigned char *t = malloc(big);
	memset(t, 'a', big);
	char *rb = att_record("1-a", t, big, "text/plain");
	free(wire);
	T_EQ_INT(atts_to_wire(rb, strlen(rb), &wire, &wlen), 0);
	att_digest(t, big, digest);
	j = att_served(wire, digest, (long long)big);
	T_ASSERT(att_refused(j, 1, CB_ETOOBIG, "over the limit"));
	free(j);
	free(rb);
	free(t);
	free(wire);
	free(rec);
}

/* ---- the store calls sync adds ---- */

T_TEST(store_revs_missing_and_replicated_batch)
{
	char dir[] = "/tmp/cb-sync-store.XXXXXX";
	static const char d1[] = "{\"_id\":\"n:1\",\"_rev\":\"2-b\","
	    "\"type\":\"note\",\"_revisions\":{\"start\":2,\"ids\":[\"b\","
	    "\"a\"]}}";
	static const char d2[] = "{\"_id\":\"n:2\",\"_rev\":\"1-c\","
	    "\"type\":\"note\"}";
	static const char bad[] = "{\"_id\":\"n:3\",\"_rev\":\"1-d\"}";
	struct store_batch_doc docs[3] = { { d1, sizeof(d1) - 1 },
	    { bad, sizeof(bad) - 1 }, { d2, sizeof(d2) - 1 } };
	struct store_put_result res[3];
	const char *revs[] = { "1-a", "2-b", "3-c" };
	int miss[3];
	struct store *s;
	uint64_t seq;
	size_t failed;

	T_ASSERT(mkdtemp(dir) != NULL);
	T_EQ_INT(store_open(&s, dir, NULL), 0);
	T_EQ_INT(store_revs_missing(s, "n:1", revs, 3, miss), 0);
	T_ASSERT(miss[0] && miss[1] && miss[2]);
	/* All or nothing: the document without a type fails the batch. */
	T_ASSERT(store_put_batch_edits(s, docs, 3, 0, res, &failed) != 0);
	T_EQ_INT(failed, 1);
	T_EQ_INT(store_last_seq(s, &seq), 0);
	T_EQ_INT(seq, 0);
	docs[1] = docs[2];
	T_EQ_INT(store_put_batch_edits(s, docs, 2, 0, res, &failed), 0);
	T_EQ_STR(res[0].pr_rev, "2-b");
	/* The ancestor counts as known: revs_diff must not ask for it. */
	T_EQ_INT(store_revs_missing(s, "n:1", revs, 3, miss), 0);
	T_EQ_INT(miss[0], 0);
	T_EQ_INT(miss[1], 0);
	T_EQ_INT(miss[2], 1);
	/* Idempotent: the same revisions again change nothing. */
	T_EQ_INT(store_last_seq(s, &seq), 0);
	T_EQ_INT(seq, 2);
	T_EQ_INT(store_put_batch_edits(s, docs, 2, 0, res, &failed), 0);
	uint64_t seq2;
	T_EQ_INT(store_last_seq(s, &seq2), 0);
	T_EQ_INT(seq2, seq);
	store_close(s);
	char p[128];
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	T_EQ_INT(system(p), 0);
}

T_MAIN()

/* A teacher's merge request: text and the distinct, valid revisions seen;
 * the field at fault named otherwise. */
static int
merge_parse(const char *json, const char **bad, int *missing)
{
	struct conflict_merge_req q;
	yyjson_doc *d = yyjson_read(json, strlen(json), 0);
	int rc;

	*bad = NULL;
	*missing = 0;
	rc = conflict_merge_parse(yyjson_doc_get_root(d), &q, bad, missing);
	yyjson_doc_free(d);
	return rc;
}

T_TEST(conflict_merge_request)
{
	const char *bad;
	int missing;

	T_EQ_INT(merge_parse("{\"text\":\"a\",\"revs\":[\"2-aa\",\"2-bb\"]}",
	    &bad, &missing), 0);
	T_EQ_INT(merge_parse("{\"revs\":[\"2-aa\",\"2-bb\"]}", &bad,
	    &missing), CB_EINVAL);
	T_EQ_STR(bad, "text");
	T_EQ_INT(missing, 1);
	T_EQ_INT(merge_parse("{\"text\":1,\"revs\":[\"2-aa\",\"2-bb\"]}", &bad,
	    &missing), CB_EINVAL);
	T_EQ_STR(bad, "text");
	T_EQ_INT(missing, 0);
	T_EQ_INT(merge_parse("{\"text\":\"a\"}", &bad, &missing), CB_EINVAL);
	T_EQ_STR(bad, "revs");
	T_EQ_INT(missing, 1);
	/* one revision, a repeated one, a malformed one, 17 of them */
	T_EQ_INT(merge_parse("{\"text\":\"a\",\"revs\":[\"2-aa\"]}", &bad,
	    &missing), CB_EINVAL);
	T_EQ_INT(merge_parse("{\"text\":\"a\",\"revs\":[\"2-aa\",\"2-aa\"]}",
	    &bad, &missing), CB_EINVAL);
	T_EQ_INT(merge_parse("{\"text\":\"a\",\"revs\":[\"2-aa\",\"02-bb\"]}",
	    &bad, &missing), CB_EINVAL);
	T_EQ_INT(merge_parse("{\"text\":\"a\",\"revs\":[\"2-aa\",\"2-b\\u0000\"]}",
	    &bad, &missing), CB_EINVAL);
	char many[512] = "{\"text\":\"a\",\"revs\":[";
	for (int i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    "%s\"1-%02d\"", i ? "," : "", i);
	strcat(many, "]}");
	T_EQ_INT(merge_parse(many, &bad, &missing), CB_EINVAL);
	T_EQ_STR(bad, "revs");
}

/* The record id sync writes and the API's merge finds: the same for the
 * same leaves in the same order, another for others. */
T_TEST(conflict_record_id_is_shared)
{
	const char *a[2] = { "2-bb", "2-aa" }, *b[2] = { "2-aa", "2-bb" };
	char x[CONFLICT_RECORD_ID_LEN + 1], y[CONFLICT_RECORD_ID_LEN + 1];

	conflict_record_id("guidance_note:1", a, 2, x);
	conflict_record_id("guidance_note:1", a, 2, y);
	T_EQ_STR(x, y);
	T_EQ_INT(strlen(x), CONFLICT_RECORD_ID_LEN);
	T_ASSERT(strncmp(x, "conflict:", 9) == 0);
	conflict_record_id("guidance_note:1", b, 2, y);
	T_ASSERT(strcmp(x, y) != 0);
	conflict_record_id("guidance_note:2", a, 2, y);
	T_ASSERT(strcmp(x, y) != 0);
}
