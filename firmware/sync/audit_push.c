/*
 * audit_push.c: push-only replication of the login and operation logs to
 * the audit database. Each entry becomes an immutable document
 * "audit:<log>:<seq, 12 digits>" at revision 1-<hash prefix>, so resending
 * is a no-op; the chain head becomes "audit:<log>:head", one revision per
 * push extending the previous one, so the cloud can verify the chain up
 * to the head the box vouched for. The checkpoint (_local/<id> on both
 * sides) holds the last entry pushed and the head document's revision.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yyjson.h>

#include "audit/audit.h"
#include "base/cb.h"
#include "sync/repl.h"

#define AUDIT_PUSH_PAGE		AUDIT_QUERY_MAX_PAGE

static void
hexof(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = 0;
}

static int
entry_doc(yyjson_mut_doc *d, yyjson_mut_val *arr, const char *log,
    const struct audit_entry *e)
{
	char id[64], rev[40], hash[2 * AUDIT_HASH_LEN + 1],
	    prev[2 * AUDIT_HASH_LEN + 1];
	yyjson_mut_val *o = yyjson_mut_obj(d), *rv = yyjson_mut_obj(d),
	    *ids = yyjson_mut_arr(d);

	hexof(e->ae_hash, AUDIT_HASH_LEN, hash);
	hexof(e->ae_prev_hash, AUDIT_HASH_LEN, prev);
	snprintf(id, sizeof(id), "audit:%s:%012" PRIu64, log, e->ae_seq);
	snprintf(rev, sizeof(rev), "1-%.32s", hash);
	return o && rv && ids &&
	    yyjson_mut_obj_add_strcpy(d, o, "_id", id) &&
	    yyjson_mut_obj_add_strcpy(d, o, "_rev", rev) &&
	    yyjson_mut_obj_add_int(d, rv, "start", 1) &&
	    yyjson_mut_arr_add_strncpy(d, ids, hash, 32) &&
	    yyjson_mut_obj_add_val(d, rv, "ids", ids) &&
	    yyjson_mut_obj_add_val(d, o, "_revisions", rv) &&
	    yyjson_mut_obj_add_str(d, o, "type", "audit_entry") &&
	    yyjson_mut_obj_add_strcpy(d, o, "log", log) &&
	    yyjson_mut_obj_add_uint(d, o, "seq", e->ae_seq) &&
	    yyjson_mut_obj_add_int(d, o, "time_ms", e->ae_time_ms) &&
	    yyjson_mut_obj_add_str(d, o, "time_state",
	    clock_state_name((enum clock_state)e->ae_time_state)) &&
	    yyjson_mut_obj_add_uint(d, o, "time_error_ms", e->ae_error_ms) &&
	    yyjson_mut_obj_add_str(d, o, "kind", audit_kind_name(e->ae_kind)) &&
	    yyjson_mut_obj_add_strcpy(d, o, "actor", e->ae_actor) &&
	    yyjson_mut_obj_add_strcpy(d, o, "action", e->ae_action) &&
	    yyjson_mut_obj_add_strcpy(d, o, "target", e->ae_target) &&
	    yyjson_mut_obj_add_strcpy(d, o, "result", e->ae_result) &&
	    yyjson_mut_obj_add_strcpy(d, o, "client", e->ae_client) &&
	    yyjson_mut_obj_add_strcpy(d, o, "agent", e->ae_agent) &&
	    yyjson_mut_obj_add_strcpy(d, o, "prev_hash", prev) &&
	    yyjson_mut_obj_add_strcpy(d, o, "hash", hash) &&
	    yyjson_mut_arr_append(arr, o) ? CB_OK : CB_ENOMEM;
}

/* The head document, generation n, extending the previous head (prev,
 * "" for the first). */
static int
head_doc(yyjson_mut_doc *d, yyjson_mut_val *arr, const char *log,
    const struct audit_link *head, uint32_t gen, const char *prev_hash,
    char newhash[33])
{
	char id[64], rev[48], hash[2 * AUDIT_HASH_LEN + 1];
	yyjson_mut_val *o = yyjson_mut_obj(d), *rv = yyjson_mut_obj(d),
	    *ids = yyjson_mut_arr(d);

	hexof(head->al_hash, AUDIT_HASH_LEN, hash);
	memcpy(newhash, hash, 32);
	newhash[32] = 0;
	snprintf(id, sizeof(id), "audit:%s:head", log);
	snprintf(rev, sizeof(rev), "%u-%.32s", gen, hash);
	return o && rv && ids &&
	    yyjson_mut_obj_add_strcpy(d, o, "_id", id) &&
	    yyjson_mut_obj_add_strcpy(d, o, "_rev", rev) &&
	    yyjson_mut_obj_add_uint(d, rv, "start", gen) &&
	    yyjson_mut_arr_add_strcpy(d, ids, newhash) &&
	    (prev_hash[0] == 0 || gen < 2 ||
	    yyjson_mut_arr_add_strcpy(d, ids, prev_hash)) &&
	    yyjson_mut_obj_add_val(d, rv, "ids", ids) &&
	    yyjson_mut_obj_add_val(d, o, "_revisions", rv) &&
	    yyjson_mut_obj_add_str(d, o, "type", "audit_head") &&
	    yyjson_mut_obj_add_strcpy(d, o, "log", log) &&
	    yyjson_mut_obj_add_uint(d, o, "seq", head->al_seq) &&
	    yyjson_mut_obj_add_int(d, o, "time_ms", head->al_time_ms) &&
	    yyjson_mut_obj_add_strcpy(d, o, "hash", hash) &&
	    yyjson_mut_arr_append(arr, o) ? CB_OK : CB_ENOMEM;
}

/* The checkpoint's seq for audit: "<entry seq>.<head gen>.<head hash>"
 * as a JSON string, ours alone. */
static void
ack_parse(const char *seq_json, uint64_t *seq, uint32_t *gen, char hash[33])
{
	unsigned long long s = 0;
	unsigned g = 0;
	char h[33] = "";

	*seq = 0;
	*gen = 0;
	hash[0] = 0;
	if (sscanf(seq_json, "\"%llu.%u.%32[0-9a-f]\"", &s, &g, h) >= 2) {
		*seq = s;
		*gen = g;
		memcpy(hash, h, sizeof(h));
	}
}

static int
post_docs(struct sync_ctx *c, yyjson_mut_doc *d)
{
	char path[ENROLL_DB_MAX + 32];
	struct proto_bulk_result br;
	struct httpcli_resp r;
	size_t len;
	int rc;

	char *body = yyjson_mut_write(d, 0, &len);
	if (body == NULL)
		return CB_ENOMEM;
	snprintf(path, sizeof(path), "/%s/_bulk_docs", c->sc_en->en_audit_db);
	rc = httpcli_request(c->sc_http, "POST", path, body, len, &r);
	free(body);
	if (rc != CB_OK) {
		snprintf(c->sc_err, sizeof(c->sc_err), "%s",
		    httpcli_err(c->sc_http)->te_msg);
		c->sc_fail = SYNC_FAIL_LINK;
		return rc;
	}
	if (r.hr_status != 201 && r.hr_status != 200) {
		snprintf(c->sc_err, sizeof(c->sc_err), "the cloud answered "
		    "the audit upload with HTTP %d", r.hr_status);
		c->sc_fail = SYNC_FAIL_HTTP;
		httpcli_resp_free(&r);
		return CB_EPROTO;
	}
	rc = proto_parse_bulk_docs(r.hr_body, r.hr_len, &br);
	httpcli_resp_free(&r);
	if (rc == CB_OK && br.pbr_errors > 0) {
		snprintf(c->sc_err, sizeof(c->sc_err), "the cloud refused "
		    "audit entries: %s", br.pbr_first_error);
		c->sc_fail = SYNC_FAIL_HTTP;
		return CB_EPROTO;
	}
	return rc;
}

static int
push_log(struct sync_ctx *c, const char *dir, const char *name)
{
	struct audit_entry *page = NULL;
	struct audit_link head, anchor;
	struct audit_log *log = NULL;
	char hh[33], newhash[33], seqs[128];
	const char *since;
	char direction[32];
	uint64_t done, next;
	uint32_t gen;
	size_t n;
	void *k = NULL;
	int rc;

	if ((rc = audit_open(&log, dir, name, NULL, NULL)) != CB_OK) {
		log_warn("sync: the %s log is not readable here; not pushed",
		    name);
		return CB_OK;
	}
	snprintf(direction, sizeof(direction), "audit-%s", name);
	if ((rc = sync_ckpt_get(c, c->sc_en->en_audit_db, direction, &since,
	    &k)) != CB_OK || (rc = audit_head(log, &head, &anchor)) != CB_OK)
		goto out;
	ack_parse(since, &done, &gen, hh);
	if (done >= head.al_seq && gen > 0)
		goto out;
	if ((page = calloc(AUDIT_PUSH_PAGE, sizeof(*page))) == NULL) {
		rc = CB_ENOMEM;
		goto out;
	}
	next = done + 1 > anchor.al_seq + 1 ? done + 1 : anchor.al_seq + 1;
	while (rc == CB_OK) {
		struct audit_query q = { .aq_cursor = next,
		    .aq_limit = AUDIT_PUSH_PAGE };
		uint64_t cursor;
		if (next > head.al_seq)
			n = 0;
		else if ((rc = audit_query(log, &q, page, &n, &cursor)))
			break;
		yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
		yyjson_mut_val *root = yyjson_mut_obj(d), *arr =
		    yyjson_mut_arr(d);
		yyjson_mut_doc_set_root(d, root);
		rc = yyjson_mut_obj_add_bool(d, root, "new_edits", false) &&
		    yyjson_mut_obj_add_val(d, root, "docs", arr) ? CB_OK :
		    CB_ENOMEM;
		for (size_t i = 0; rc == CB_OK && i < n; i++)
			rc = entry_doc(d, arr, name, &page[i]);
		int last = n == 0 || page[n - 1].ae_seq >= head.al_seq;
		if (rc == CB_OK && last)
			rc = head_doc(d, arr, name, &head, gen + 1, hh, newhash);
		if (rc == CB_OK)
			rc = post_docs(c, d);
		yyjson_mut_doc_free(d);
		if (rc != CB_OK)
			break;
		c->sc_stats.ss_audit_pushed += n;
		done = n > 0 ? page[n - 1].ae_seq : done;
		if (last) {
			gen++;
			memcpy(hh, newhash, sizeof(hh));
		}
		snprintf(seqs, sizeof(seqs), "\"%llu.%u.%s\"",
		    (unsigned long long)done, gen, hh);
		if ((rc = sync_ckpt_set(c, c->sc_en->en_audit_db, k, seqs)))
			break;
		/* The cloud holds everything through done: the retention
		 * purge may now drop those entries once they are 5 years
		 * old (audit_purge_uploaded), never before. */
		if (done > 0 && audit_set_uploaded(log, done) != CB_OK)
			log_warn("sync: cannot record the %s log's upload "
			    "marker; its old entries stay", name);
		if (last)
			break;
		next = done + 1;
	}
out:
	free(page);
	sync_ckpt_free(k);
	audit_close(log);
	return rc;
}

int
sync_push_audit(struct sync_ctx *c)
{
	static const char *const names[2] = { AUDIT_LOG_OPS, AUDIT_LOG_LOGIN };
	int rc = CB_OK;

	for (int i = 0; rc == CB_OK && i < 2; i++)
		if (c->sc_audit_dirs[i] != NULL)
			rc = push_log(c, c->sc_audit_dirs[i], names[i]);
	return rc;
}
