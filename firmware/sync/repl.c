/*
 * repl.c: the replicator. Pull: _changes -> revs_diff against the store
 * -> _bulk_get (or open_revs) -> store (new_edits=false) -> checkpoint.
 * Push: the store's changes feed -> _revs_diff on the cloud -> _bulk_docs
 * (new_edits=false) -> _ensure_full_commit -> checkpoint. docs/sync.md.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>
#include <yyjson.h>

#include "base/buf.h"
#include "base/cb.h"
#include "sync/atts.h"
#include "sync/conflict.h"
#include "auth/reset_grant.h"
#include "sync/repl.h"

#define SYNC_NO_BULK_GET	1	/* fetch_bulk_get: use open_revs */
#define SYNC_PATH_MAX		(DOC_ID_MAX * 3 + ENROLL_DB_MAX + 512)

/* Request bodies and paths: a batch is bounded by sc_batch_bytes plus the
 * one revision that crossed it, which store and DOC_MAX_SIZE bound
 * already; a path by the peer's checkpoint sequence it carries. */
#define SYNC_BODY_BUF_MAX	CB_BUF_MAX_LIMIT

__attribute__((format(printf, 4, 5)))
static int
sync_fail(struct sync_ctx *c, int rc, enum sync_fail kind,
    const char *fmt, ...)
{
	va_list ap;

	if (c->sc_fail == SYNC_FAIL_NONE) {
		c->sc_fail = kind;
		va_start(ap, fmt);
		vsnprintf(c->sc_err, sizeof(c->sc_err), fmt, ap);
		va_end(ap);
	}
	return rc == CB_OK ? CB_EIO : rc;
}

/* Forget the recorded failure: a new cycle, or one retried another way. */
static void
sync_forget(struct sync_ctx *c)
{
	c->sc_fail = SYNC_FAIL_NONE;
	c->sc_err[0] = 0;
}

void
sync_replication_id(const char *box_id, const char *cloud, const char *db,
    const char *direction, char out[SYNC_BOX_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	mbedtls_sha256_context h;
	unsigned char md[32];

	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts(&h, 0);
	const char *parts[] = { "classbox-sync-1", box_id, cloud, db,
	    direction };
	for (size_t i = 0; i < CB_ARRAY_LEN(parts); i++)
		mbedtls_sha256_update(&h, (const unsigned char *)parts[i],
		    strlen(parts[i]) + 1);
	mbedtls_sha256_finish(&h, md);
	mbedtls_sha256_free(&h);
	for (int i = 0; i < SYNC_BOX_ID_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[SYNC_BOX_ID_LEN] = 0;
}

/* ---- requests ---- */

/* A request's failure (rc from httpcli) in words, by kind. */
static int
rq_failed(struct sync_ctx *c, int rc)
{
	const struct tlscli_err *e = httpcli_err(c->sc_http);

	if (rc == CB_OK)
		return CB_OK;
	if (rc == CB_ENOMEM)
		return sync_fail(c, rc, SYNC_FAIL_LOCAL, "out of memory");
	switch (e->te_why) {
	case TLSCLI_UNTRUSTED: case TLSCLI_NAME: case TLSCLI_EXPIRED:
	case TLSCLI_NOTYET: case TLSCLI_CLIENT_CERT: case TLSCLI_CONFIG:
	case TLSCLI_HANDSHAKE:
		return sync_fail(c, rc, SYNC_FAIL_TLS, "%s", e->te_msg);
	case TLSCLI_PROXY_AUTH:	/* a person must fix the credentials */
		return sync_fail(c, rc, SYNC_FAIL_HTTP, "%s", e->te_msg);
	default:
		return sync_fail(c, rc, SYNC_FAIL_LINK, "%s", e->te_msg[0] ?
		    e->te_msg : "the link to the cloud failed");
	}
}

static int
rq(struct sync_ctx *c, const char *method, const char *path,
    const char *body, size_t len, struct httpcli_resp *r)
{
	return rq_failed(c, httpcli_request(c->sc_http, method, path, body,
	    len, r));
}

/* A status other than the expected ones, in words. */
static int
http_refused(struct sync_ctx *c, const struct httpcli_resp *r,
    const char *what)
{
	const char *b = r->hr_body ? r->hr_body : "";

	if (r->hr_status == 400 && (strstr(b, "SSL certificate") ||
	    strstr(b, "SSL_CERTIFICATE")))
		return sync_fail(c, CB_ECRYPTO, SYNC_FAIL_TLS, "the cloud "
		    "rejected this box's client certificate");
	if (r->hr_status == 401)
		return sync_fail(c, CB_EAUTH, SYNC_FAIL_HTTP, "the cloud "
		    "refused the box's username or password (HTTP 401)");
	if (r->hr_status == 403)
		return sync_fail(c, CB_EPERM, SYNC_FAIL_HTTP, "the cloud "
		    "forbids %s (HTTP 403)", what);
	if (r->hr_status == 404)
		return sync_fail(c, CB_ENOTFOUND, SYNC_FAIL_HTTP, "%s: not "
		    "found on the cloud (HTTP 404; is the database created?)",
		    what);
	if (r->hr_status == 413)
		return sync_fail(c, CB_ETOOBIG, SYNC_FAIL_HTTP, "%s: the "
		    "cloud refused a request as too large (HTTP 413)", what);
	if (r->hr_status >= 500)
		return sync_fail(c, CB_EUNAVAIL, SYNC_FAIL_LINK, "the cloud "
		    "failed on %s (HTTP %d)", what, r->hr_status);
	return sync_fail(c, CB_EPROTO, SYNC_FAIL_HTTP, "the cloud answered "
	    "%s with HTTP %d", what, r->hr_status);
}

static int
db_path(char *out, const char *db, const char *rest)
{
	int n = snprintf(out, SYNC_PATH_MAX, "/%s%s", db, rest);
	return n > 0 && n < SYNC_PATH_MAX ? CB_OK : CB_ETOOBIG;
}

int
sync_probe(struct sync_ctx *c)
{
	struct httpcli_resp r;
	int rc;

	if ((rc = rq(c, "GET", "/", NULL, 0, &r)) != CB_OK)
		return rc;
	if (r.hr_status != 200)
		rc = http_refused(c, &r, "GET /");
	else if (!proto_is_couch_welcome(r.hr_body ? r.hr_body : "",
	    r.hr_len))
		rc = sync_fail(c, CB_EPROTO, SYNC_FAIL_PROTO, "the cloud at "
		    "%s is not a CouchDB-compatible server",
		    c->sc_en->en_url.hu_host);
	httpcli_resp_free(&r);
	return rc;
}

/* ---- checkpoints ---- */

struct ckpt {
	char k_id[8 + SYNC_BOX_ID_LEN + 1];	/* "_local/<repid>" */
	struct proto_checkpoint k_local, k_remote;
	char *k_since;			/* JSON text, malloc'd */
};

static void
ckpt_clear(struct ckpt *k)
{
	proto_checkpoint_free(&k->k_local);
	proto_checkpoint_free(&k->k_remote);
	free(k->k_since);
	k->k_since = NULL;
}

/* Where the next batch starts (a copy of seq). */
static int
ckpt_since(struct sync_ctx *c, struct ckpt *k, const char *seq)
{
	char *copy = strdup(seq);

	if (copy == NULL)
		return sync_fail(c, CB_ENOMEM, SYNC_FAIL_LOCAL, "out of memory");
	free(k->k_since);
	k->k_since = copy;
	return CB_OK;
}

static int
ckpt_load(struct sync_ctx *c, const char *db, const char *direction,
    struct ckpt *k)
{
	char repid[SYNC_BOX_ID_LEN + 1], path[SYNC_PATH_MAX];
	struct httpcli_resp r;
	struct store_doc d;
	int rc;

	memset(k, 0, sizeof(*k));
	sync_replication_id(c->sc_box_id, c->sc_en->en_cloud, db, direction,
	    repid);
	snprintf(k->k_id, sizeof(k->k_id), "_local/%s", repid);
	rc = store_local_get(c->sc_store, k->k_id, &d);
	if (rc == CB_OK) {
		if (proto_parse_checkpoint(d.sd_json, d.sd_len,
		    &k->k_local) != CB_OK)
			log_warn("sync: local checkpoint unreadable; starting "
			    "%s from the beginning", direction);
		store_doc_free(&d);
	} else if (rc != CB_ENOTFOUND)
		return sync_fail(c, rc, SYNC_FAIL_LOCAL, "store: %s",
		    store_errmsg(c->sc_store));
	if ((rc = db_path(path, db, "/")) || cb_strlcpy(path + strlen(path),
	    k->k_id, sizeof(path) - strlen(path))) {
		ckpt_clear(k);
		return CB_ETOOBIG;
	}
	if ((rc = rq(c, "GET", path, NULL, 0, &r)) != CB_OK) {
		ckpt_clear(k);
		return rc;
	}
	if (r.hr_status == 200) {
		if (proto_parse_checkpoint(r.hr_body, r.hr_len,
		    &k->k_remote) != CB_OK)
			log_warn("sync: the cloud's checkpoint is unreadable; "
			    "starting %s from the beginning", direction);
	} else if (r.hr_status != 404) {
		rc = http_refused(c, &r, "reading the checkpoint");
		httpcli_resp_free(&r);
		ckpt_clear(k);
		return rc;
	}
	httpcli_resp_free(&r);
	if ((rc = ckpt_since(c, k, proto_checkpoint_since(&k->k_local,
	    &k->k_remote))) != CB_OK)
		ckpt_clear(k);
	return rc;
}

static int
ckpt_put_remote(struct sync_ctx *c, const char *db, struct ckpt *k,
    const char *seq)
{
	char path[SYNC_PATH_MAX];
	struct httpcli_resp r;
	char *json;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "/%s/%s", db, k->k_id);
	if ((rc = proto_build_checkpoint(k->k_id, &k->k_remote,
	    c->sc_session, seq, &json, &len)) != 0)
		return sync_fail(c, rc, SYNC_FAIL_LOCAL, "out of memory");
	rc = rq(c, "PUT", path, json, len, &r);
	free(json);
	if (rc != CB_OK)
		return rc;
	if (r.hr_status != 201 && r.hr_status != 200) {
		rc = http_refused(c, &r, "saving the checkpoint");
		httpcli_resp_free(&r);
		return rc;
	}
	yyjson_doc *d = yyjson_read(r.hr_body, r.hr_len, 0);
	const char *rev = yyjson_get_str(yyjson_obj_get(
	    yyjson_doc_get_root(d), "rev"));
	if (rev == NULL || strlen(rev) > REV_MAX)
		rc = sync_fail(c, CB_EPROTO, SYNC_FAIL_PROTO, "the cloud "
		    "saved the checkpoint without a revision");
	else if (proto_checkpoint_saved(&k->k_remote, rev, c->sc_session,
	    seq) != CB_OK)
		rc = sync_fail(c, CB_ENOMEM, SYNC_FAIL_LOCAL, "out of memory");
	yyjson_doc_free(d);
	httpcli_resp_free(&r);
	return rc;
}

static int
ckpt_put_local(struct sync_ctx *c, struct ckpt *k, const char *seq)
{
	struct store_put_result res;
	char *json;
	size_t len;
	int rc;

	if ((rc = proto_build_checkpoint(k->k_id, &k->k_local,
	    c->sc_session, seq, &json, &len)) != 0)
		return sync_fail(c, rc, SYNC_FAIL_LOCAL, "out of memory");
	rc = store_put(c->sc_store, json, len, 1, &res);
	free(json);
	if (rc != CB_OK)
		return sync_fail(c, rc, SYNC_FAIL_LOCAL, "store: %s",
		    store_errmsg(c->sc_store));
	if (proto_checkpoint_saved(&k->k_local, res.pr_rev, c->sc_session,
	    seq) != CB_OK)
		return sync_fail(c, CB_ENOMEM, SYNC_FAIL_LOCAL,
		    "out of memory");
	return CB_OK;
}

/* Both sides, the cloud first: a checkpoint only the cloud has is found
 * again through the history (same session on both sides next time only
 * if both writes succeeded). Then the next batch starts at seq. */
static int
ckpt_save(struct sync_ctx *c, const char *db, struct ckpt *k,
    const char *seq)
{
	int rc;

	assert(strlen(seq) <= PROTO_SEQ_MAX);
	if ((rc = ckpt_put_remote(c, db, k, seq)) != CB_OK ||
	    (rc = ckpt_put_local(c, k, seq)) != CB_OK)
		return rc;
	return ckpt_since(c, k, seq);
}

int
sync_ckpt_get(struct sync_ctx *c, const char *db, const char *direction,
    const char **since, void **kp)
{
	struct ckpt *k = malloc(sizeof(*k));
	int rc;

	*kp = NULL;
	*since = NULL;
	if (k == NULL)
		return sync_fail(c, CB_ENOMEM, SYNC_FAIL_LOCAL, "out of memory");
	if ((rc = ckpt_load(c, db, direction, k)) != CB_OK) {
		free(k);
		return rc;
	}
	*since = k->k_since;
	*kp = k;
	return CB_OK;
}

int
sync_ckpt_set(struct sync_ctx *c, const char *db, void *k, const char *seq)
{
	return ckpt_save(c, db, k, seq);
}

void
sync_ckpt_free(void *k)
{
	if (k != NULL)
		ckpt_clear(k);
	free(k);
}

/* ---- pull ---- */

/* A file record whose attachment came as a stub: its data is asked for
 * in a second round, bounded by ATTS_GET_BYTES (docs/sync.md). */
struct att_stub {
	char *as_id;
	char *as_rev;
	size_t as_length;
	char *as_json;			/* a gzip-stored one: its document */
	size_t as_len;
};

struct pulled {
	struct sync_ctx *p_c;
	struct store_batch_doc *p_docs;
	size_t p_n, p_cap;
	size_t p_bytes;
	int p_want_data;		/* attachments=true was asked */
	struct att_stub *p_stubs;
	size_t p_nstubs, p_capstubs;
};

/* A revision the box will not store: counted, logged, reported. */
static void
pull_refused(struct sync_ctx *c, const char *why)
{
	log_warn("sync: a document from the cloud was refused: %s", why);
	if (c->sc_refused[0] == 0)
		snprintf(c->sc_refused, sizeof(c->sc_refused), "this box "
		    "refused a document from the cloud: %.200s", why);
	c->sc_stats.ss_rejected++;
}

/*
 * An answer larger than HTTPCLI_MAX_RESPONSE (48 MiB: 500 revisions of
 * big submissions can pass it) is no reason to stop syncing for good:
 * 1, the failure forgotten and *n halved, when asking for fewer at a time
 * may help; 0 when n is already 1 or rc is something else.
 */
static int
ask_for_fewer(struct sync_ctx *c, int rc, const char *what, size_t asked,
    size_t *n)
{
	if (rc != CB_ETOOBIG || asked <= 1)
		return 0;
	*n = asked / 2;
	log_info("sync: the %s answer passed %u MiB; asking for %zu at a time",
	    what, HTTPCLI_MAX_RESPONSE >> 20, *n);
	sync_forget(c);
	return 1;
}

static int
pulled_keep(struct pulled *p, char *json, size_t len)
{
	if (p->p_n == p->p_cap) {
		size_t cap = p->p_cap ? p->p_cap * 2 : 64;
		void *n = realloc(p->p_docs, cap * sizeof(*p->p_docs));
		if (n == NULL) {
			free(json);
			return CB_ENOMEM;
		}
		p->p_docs = n;
		p->p_cap = cap;
	}
	p->p_docs[p->p_n].bd_json = json;
	p->p_docs[p->p_n++].bd_len = len;
	p->p_bytes += len;
	return CB_OK;
}

static void
stub_free(struct att_stub *s)
{
	free(s->as_id);
	free(s->as_rev);
	free(s->as_json);
	memset(s, 0, sizeof(*s));
}

/* A stub queued for its data: a gzip-stored one with its document
 * (json, len), which atts_from_encoded completes. */
static int
stub_add(struct pulled *p, const struct atts_in *a, const char *json,
    size_t len)
{
	struct att_stub *s;

	if (p->p_nstubs == p->p_capstubs) {
		size_t cap = p->p_capstubs ? p->p_capstubs * 2 : 16;
		void *n = realloc(p->p_stubs, cap * sizeof(*p->p_stubs));
		if (n == NULL)
			return CB_ENOMEM;
		p->p_stubs = n;
		p->p_capstubs = cap;
	}
	s = &p->p_stubs[p->p_nstubs];
	memset(s, 0, sizeof(*s));
	s->as_id = strdup(a->ai_id);
	s->as_rev = strdup(a->ai_rev);
	s->as_length = a->ai_length;
	if (a->ai_gzip && (s->as_json = malloc(len + 1)) != NULL) {
		memcpy(s->as_json, json, len);
		s->as_json[len] = 0;
		s->as_len = len;
	}
	if (s->as_id == NULL || s->as_rev == NULL ||
	    (a->ai_gzip && s->as_json == NULL)) {
		stub_free(s);
		return CB_ENOMEM;
	}
	p->p_nstubs++;
	return CB_OK;
}

static void
stubs_clear(struct pulled *p)
{
	for (size_t i = 0; i < p->p_nstubs; i++)
		stub_free(&p->p_stubs[i]);
	p->p_nstubs = 0;
}

/* Each document the cloud sent: attachments mapped back into a file
 * record (sync/atts.c) or refused; a stub queued for its data. */
static int
pulled_add(void *arg, const char *json, size_t len)
{
	struct pulled *p = arg;
	struct atts_in a;
	char *copy;
	int rc;

	rc = atts_from_wire(json, len, p->p_want_data, &a);
	if (rc == CB_ENOMEM)
		return rc;
	if (rc != CB_OK) {
		pull_refused(p->p_c, a.ai_why);
		return CB_OK;
	}
	switch (a.ai_kind) {
	case ATTS_STUB:
		return stub_add(p, &a, json, len);
	case ATTS_INLINE:
		return pulled_keep(p, a.ai_json, a.ai_len);
	case ATTS_PLAIN:
		break;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return CB_ENOMEM;
	memcpy(copy, json, len);
	copy[len] = 0;
	return pulled_keep(p, copy, len);
}

static void
pulled_clear(struct pulled *p)
{
	for (size_t i = 0; i < p->p_n; i++)
		free((char *)p->p_docs[i].bd_json);
	p->p_n = 0;
	p->p_bytes = 0;
}

/* Write what was fetched in short transactions (web waits at most one
 * of them for the writer lock). A document the store refuses is counted,
 * logged and skipped, as CouchDB's replicator does with doc_write_failures. */
static int
pulled_store(struct sync_ctx *c, struct pulled *p)
{
	struct store_put_result res[SYNC_STORE_BATCH];
	size_t at = 0, n, failed;
	int rc;

	for (n = 0; c->sc_on_pulled != NULL && n < p->p_n; n++)
		if ((rc = c->sc_on_pulled(c->sc_on_pulled_arg,
		    p->p_docs[n].bd_json, p->p_docs[n].bd_len)) != CB_OK)
			return sync_fail(c, rc, SYNC_FAIL_LOCAL, "a password "
			    "reset grant could not reach auth: %s",
			    cb_strerror(rc));
	while (at < p->p_n) {
		/* At most SYNC_STORE_BATCH documents and the store's
		 * STORE_BATCH_MAX_BYTES a transaction (one is always
		 * fewer: DOC_MAX_SIZE is below it). */
		size_t bytes = 0;
		for (n = 0; at + n < p->p_n && n < SYNC_STORE_BATCH &&
		    (n == 0 || p->p_docs[at + n].bd_len <=
		    STORE_BATCH_MAX_BYTES - bytes); n++)
			bytes += p->p_docs[at + n].bd_len;
		rc = store_put_batch_edits(c->sc_store, p->p_docs + at, n, 0,
		    res, &failed);
		if (rc == CB_OK) {
			c->sc_stats.ss_pulled += n;
			at += n;
			continue;
		}
		if (failed == STORE_BATCH_NONE || rc == CB_EFULL ||
		    rc == CB_EIO || rc == CB_ENOMEM || rc == CB_ESTATE)
			return sync_fail(c, rc, SYNC_FAIL_LOCAL, "store: %s",
			    store_errmsg(c->sc_store));
		pull_refused(c, store_errmsg(c->sc_store));
		/* Keep the good ones before it, skip it, go on. */
		if (failed > 0 && (rc = store_put_batch_edits(c->sc_store,
		    p->p_docs + at, failed, 0, res, NULL)) != CB_OK)
			return sync_fail(c, rc, SYNC_FAIL_LOCAL, "store: %s",
			    store_errmsg(c->sc_store));
		c->sc_stats.ss_pulled += failed;
		at += failed + 1;
	}
	return CB_OK;
}

static int
fetch_bulk_get(struct sync_ctx *c, const char *db, const char *const *ids,
    const char *const *revs, size_t n, struct pulled *p, const char *query)
{
	char path[SYNC_PATH_MAX];
	struct httpcli_resp r;
	size_t errors, len;
	int rc = CB_ENOMEM;

	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = yyjson_mut_obj(d), *arr = yyjson_mut_arr(d);
	yyjson_mut_doc_set_root(d, root);
	if (!yyjson_mut_obj_add_val(d, root, "docs", arr))
		goto out;
	for (size_t i = 0; i < n; i++) {
		yyjson_mut_val *o = yyjson_mut_obj(d);
		if (!yyjson_mut_obj_add_str(d, o, "id", ids[i]) ||
		    !yyjson_mut_obj_add_str(d, o, "rev", revs[i]) ||
		    !yyjson_mut_arr_append(arr, o))
			goto out;
	}
	char *body = yyjson_mut_write(d, 0, &len);
	if (body == NULL)
		goto out;
	db_path(path, db, query);
	rc = rq(c, "POST", path, body, len, &r);
	free(body);
	if (rc != CB_OK)
		goto out;
	if (r.hr_status == 404 || r.hr_status == 405 || r.hr_status == 501 ||
	    (r.hr_status == 400 && !strstr(r.hr_body ? r.hr_body : "",
	    "SSL"))) {
		c->sc_no_bulk_get = 1;	/* fall back to open_revs */
		rc = SYNC_NO_BULK_GET;
	} else if (r.hr_status != 200)
		rc = http_refused(c, &r, "_bulk_get");
	else if ((rc = proto_parse_bulk_get(r.hr_body, r.hr_len, pulled_add,
	    p, &errors)) != CB_OK)
		rc = sync_fail(c, rc, SYNC_FAIL_PROTO, "the cloud's _bulk_get "
		    "answer is malformed");
	else if (errors > 0)
		log_warn("sync: the cloud could not give %zu revisions", errors);
	httpcli_resp_free(&r);
out:
	yyjson_mut_doc_free(d);
	return rc;
}

/* GET doc?revs=true&open_revs=[...]: the fallback for peers without
 * _bulk_get (CouchDB 1.x, old PouchDB Server). */
static int
fetch_open_revs(struct sync_ctx *c, const char *db, const char *id,
    const char *const *revs, size_t n, struct pulled *p, const char *query)
{
	char path[SYNC_PATH_MAX], eid[DOC_ID_MAX * 3 + 1];
	struct cb_buf q;
	struct httpcli_resp r;
	char *esc = NULL;
	size_t missing, esc_size;
	int rc;

	if ((rc = httpcli_escape(id, eid, sizeof(eid))) != CB_OK)
		return sync_fail(c, rc, SYNC_FAIL_PROTO, "document id too long");
	cb_buf_init(&q, SYNC_BODY_BUF_MAX);
	rc = cb_buf_str(&q, "[");
	for (size_t i = 0; rc == CB_OK && i < n; i++)
		if ((rc = cb_buf_str(&q, i ? ",\"" : "\"")) == CB_OK &&
		    (rc = cb_buf_str(&q, revs[i])) == CB_OK)
			rc = cb_buf_str(&q, "\"");
	if (rc == CB_OK && (rc = cb_buf_str(&q, "]")) == CB_OK) {
		esc_size = q.b_len * 3 + 1;
		if ((esc = malloc(esc_size)) == NULL)
			rc = CB_ENOMEM;
		else
			rc = httpcli_escape(q.b_data, esc, esc_size);
	}
	if (rc == CB_OK && (snprintf(path, sizeof(path), "/%s/%s?%s"
	    "&open_revs=", db, eid, query) >= (int)sizeof(path) - 1 ||
	    strlen(path) + strlen(esc) >= sizeof(path)))
		rc = CB_ETOOBIG;
	if (rc == CB_OK) {
		strcat(path, esc);
		rc = rq(c, "GET", path, NULL, 0, &r);
		if (rc == CB_OK) {
			if (r.hr_status != 200)
				rc = http_refused(c, &r, "GET open_revs");
			else if ((rc = proto_parse_open_revs(r.hr_body,
			    r.hr_len, pulled_add, p, &missing)) != CB_OK)
				rc = sync_fail(c, rc, SYNC_FAIL_PROTO, "the "
				    "cloud's open_revs answer is malformed");
			httpcli_resp_free(&r);
		}
	} else if (rc != CB_OK && c->sc_fail == SYNC_FAIL_NONE)
		sync_fail(c, rc, SYNC_FAIL_LOCAL, "open_revs request too long");
	cb_buf_free(&q);
	free(esc);
	return rc;
}

/* A gzip-stored attachment (sync/atts.h ATTS_GZIP_MAX): its bytes as the
 * cloud stores them, GET /db/id/data?rev= kept gzipped, checked against
 * the digest and inflated by atts_from_encoded. A revision the cloud no
 * longer has (404) is one it could not give, as in _bulk_get. */
static int
fetch_gzip_stub(struct sync_ctx *c, const char *db, const struct att_stub *st,
    struct pulled *p)
{
	char path[SYNC_PATH_MAX], eid[DOC_ID_MAX * 3 + 1], erev[REV_MAX * 3 + 1];
	struct httpcli_resp r;
	struct atts_in a;
	int rc;

	assert(st->as_json != NULL);
	if (httpcli_escape(st->as_id, eid, sizeof(eid)) != CB_OK ||
	    httpcli_escape(st->as_rev, erev, sizeof(erev)) != CB_OK ||
	    snprintf(path, sizeof(path), "/%s/%s/" ATTS_NAME "?rev=%s", db,
	    eid, erev) >= (int)sizeof(path))
		return sync_fail(c, CB_ETOOBIG, SYNC_FAIL_PROTO, "document id "
		    "too long");
	rc = rq_failed(c, httpcli_get_encoded(c->sc_http, path, &r));
	if (rc == CB_ETOOBIG) {
		/* Past HTTPCLI_MAX_RESPONSE where the stub declared at most
		 * ATTS_GZIP_MAX: refused as pull_fetch refuses one past it,
		 * so that it cannot stop the pull for good. */
		char why[sizeof(c->sc_err) + DOC_ID_MAX + 8];
		snprintf(why, sizeof(why), "%s: %s", st->as_id, c->sc_err);
		sync_forget(c);
		pull_refused(c, why);
		return CB_OK;
	}
	if (rc != CB_OK)
		return rc;
	if (r.hr_status == 404) {
		log_warn("sync: the cloud could not give %s %s", st->as_id,
		    st->as_rev);
		httpcli_resp_free(&r);
		return CB_OK;
	}
	if (r.hr_status != 200) {
		rc = http_refused(c, &r, "GET attachment");
		httpcli_resp_free(&r);
		return rc;
	}
	rc = atts_from_encoded(st->as_json, st->as_len,
	    (const unsigned char *)r.hr_body, r.hr_len, r.hr_gzip, &a);
	httpcli_resp_free(&r);
	if (rc == CB_ENOMEM)
		return sync_fail(c, rc, SYNC_FAIL_LOCAL, "out of memory");
	if (rc != CB_OK) {
		pull_refused(c, a.ai_why);
		return CB_OK;
	}
	return pulled_keep(p, a.ai_json, a.ai_len);
}

/* The data of the queued stubs: _bulk_get?attachments=true for exactly
 * those revisions (no latest: a revision's attachment never changes), in
 * rounds of at most ATTS_GET_BYTES of base64, so that an answer is
 * bounded by what the stubs declared (each at most REC_FILE_MAX); the
 * gzip-stored ones one by one (fetch_gzip_stub). */
static int
fetch_stubs(struct sync_ctx *c, const char *db, struct pulled *p)
{
	struct att_stub *st = p->p_stubs;
	size_t n = p->p_nstubs, i = 0, m, bytes, k = 0;
	const char **ids = calloc(n, sizeof(*ids));
	const char **revs = calloc(n, sizeof(*revs));
	size_t *lens = calloc(n, sizeof(*lens));
	int rc = CB_OK;

	p->p_stubs = NULL;
	p->p_nstubs = p->p_capstubs = 0;
	if (ids == NULL || revs == NULL || lens == NULL)
		rc = sync_fail(c, CB_ENOMEM, SYNC_FAIL_LOCAL, "out of memory");
	for (i = 0; rc == CB_OK && i < n; i++) {
		if (st[i].as_json != NULL) {
			rc = fetch_gzip_stub(c, db, &st[i], p);
			if (rc == CB_OK && p->p_bytes >= SYNC_BATCH_BYTES) {
				rc = pulled_store(c, p);
				pulled_clear(p);
			}
			continue;
		}
		ids[k] = st[i].as_id;
		revs[k] = st[i].as_rev;
		lens[k++] = st[i].as_length;
	}
	p->p_want_data = 1;
	for (i = 0; rc == CB_OK && i < k; i += m) {
		for (m = 0, bytes = 0; i + m < k && m < SYNC_BULK_GET_REVS &&
		    (m == 0 || bytes + (lens[i + m] + 2) / 3 * 4 <=
		    ATTS_GET_BYTES); m++)
			bytes += (lens[i + m] + 2) / 3 * 4;
		if (!c->sc_no_bulk_get) {
			rc = fetch_bulk_get(c, db, ids + i, revs + i, m, p,
			    "/_bulk_get?revs=true&attachments=true"
			    "&att_encoding_info=true");
			if (rc == SYNC_NO_BULK_GET) {
				rc = CB_OK;
				m = 0;	/* again, by open_revs */
				continue;
			}
		} else {
			m = 1;
			rc = fetch_open_revs(c, db, ids[i], revs + i, 1, p,
			    "revs=true&attachments=true&"
			    "att_encoding_info=true");
		}
		if (rc == CB_OK && p->p_bytes >= SYNC_BATCH_BYTES) {
			rc = pulled_store(c, p);
			pulled_clear(p);
		}
	}
	p->p_want_data = 0;
	for (i = 0; i < n; i++)
		stub_free(&st[i]);
	free(st);
	free(ids);
	free(revs);
	free(lens);
	return rc;
}

static int
skip_add(struct sync_ctx *c, uint64_t seq)
{
	if (c->sc_nskip == c->sc_capskip) {
		size_t cap = c->sc_capskip ? c->sc_capskip * 2 : 1024;
		uint64_t *n = realloc(c->sc_skip, cap * sizeof(*n));
		if (n == NULL)
			return CB_ENOMEM;
		c->sc_skip = n;
		c->sc_capskip = cap;
	}
	c->sc_skip[c->sc_nskip++] = seq;
	return CB_OK;
}

static int
skip_has(const struct sync_ctx *c, uint64_t seq)
{
	size_t lo = 0, hi = c->sc_nskip;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->sc_skip[mid] == seq)
			return 1;
		if (c->sc_skip[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* After a pulled batch: a document whose every leaf is one the cloud
 * listed has nothing to push. Its current seq is remembered; any later
 * change gives it a new seq, which push will not skip. An optimisation
 * only: when in doubt, nothing is remembered. */
static void
pull_note_settled(struct sync_ctx *c, const struct proto_changes *ch)
{
	struct store_doc_info info;

	for (size_t i = 0; i < ch->pcs_n; i++) {
		const struct proto_change *pc = &ch->pcs_rows[i];
		if (store_doc_info(c->sc_store, pc->pc_id, &info) != CB_OK)
			continue;
		size_t k, j;
		for (k = 0; k < info.si_nleaves; k++) {
			for (j = 0; j < pc->pc_nrevs; j++)
				if (strcmp(info.si_leaves[k].sl_rev,
				    pc->pc_revs[j]) == 0)
					break;
			if (j == pc->pc_nrevs)
				break;
		}
		if (k == info.si_nleaves && info.si_nleaves > 0 &&
		    (c->sc_nskip == 0 ||
		    info.si_seq > c->sc_skip[c->sc_nskip - 1]))
			(void)skip_add(c, info.si_seq);
		store_doc_info_free(&info);
	}
}

/* Fetch the n revisions (ids, revs) the box lacks, in _bulk_get rounds
 * (or open_revs), their attachments' data after each round, and store
 * them (sync/atts.c judges every one). */
static int
pull_fetch(struct sync_ctx *c, const char *db, const char **ids,
    const char **revs, size_t n, struct pulled *p)
{
	size_t cap = SYNC_BULK_GET_REVS;	/* revisions per _bulk_get */
	size_t i;
	int rc = CB_OK;

	for (i = 0; rc == CB_OK && i < n; ) {
		size_t m = n - i < cap ? n - i : cap;
		if (!c->sc_no_bulk_get) {
			rc = fetch_bulk_get(c, db, ids + i, revs + i, m, p,
			    "/_bulk_get?revs=true&latest=true"
			    "&att_encoding_info=true");
			if (rc == SYNC_NO_BULK_GET) {
				rc = CB_OK;
				continue;	/* now without _bulk_get */
			}
			if (ask_for_fewer(c, rc, "_bulk_get", m, &cap)) {
				rc = CB_OK;
				continue;
			}
		} else {
			/* One request per document with all its revisions. */
			for (m = 1; i + m < n && ids[i + m] == ids[i]; m++)
				;
			rc = fetch_open_revs(c, db, ids[i], revs + i, m, p,
			    "revs=true&latest=true&att_encoding_info=true");
		}
		if (rc == CB_ETOOBIG) {
			/* One document past 48 MiB, far past what the store
			 * takes (DOC_MAX_SIZE), or with too many revisions to
			 * ask for: refused like one the store refuses, in the
			 * words of the failure, and the pull goes on. */
			char why[sizeof(c->sc_err) + 64];
			snprintf(why, sizeof(why), "%s: %s", ids[i],
			    c->sc_err[0] ? c->sc_err : "too large");
			sync_forget(c);
			pull_refused(c, why);
			rc = CB_OK;
		}
		if (rc == CB_OK && p->p_nstubs > 0)
			rc = fetch_stubs(c, db, p);
		if (rc == CB_OK && (p->p_bytes >= SYNC_BATCH_BYTES ||
		    i + m >= n)) {
			rc = pulled_store(c, p);
			pulled_clear(p);
		}
		i += m;
	}
	return rc;
}

/* Ask the store which revisions of the rows it lacks; fetch and store
 * them. *new_rows: how many rows had a revision this box lacked. */
static int
pull_rows(struct sync_ctx *c, const char *db, const struct proto_changes *ch,
    size_t *new_rows)
{
	const char **ids = NULL, **revs = NULL;
	struct pulled p = { .p_c = c };
	size_t n = 0, total = 0, i, k;
	int rc = CB_OK, *miss;

	for (i = 0; i < ch->pcs_n; i++)
		total += ch->pcs_rows[i].pc_nrevs;
	ids = calloc(total + 1, sizeof(*ids));
	revs = calloc(total + 1, sizeof(*revs));
	miss = calloc(total + 1, sizeof(*miss));
	if (ids == NULL || revs == NULL || miss == NULL) {
		rc = sync_fail(c, CB_ENOMEM, SYNC_FAIL_LOCAL, "out of memory");
		goto out;
	}
	for (i = 0; i < ch->pcs_n; i++) {
		const struct proto_change *pc = &ch->pcs_rows[i];
		if ((rc = store_revs_missing(c->sc_store, pc->pc_id,
		    pc->pc_revs, pc->pc_nrevs, miss)) != CB_OK) {
			rc = sync_fail(c, rc, SYNC_FAIL_LOCAL, "store: %s",
			    store_errmsg(c->sc_store));
			goto out;
		}
		for (k = 0; k < pc->pc_nrevs; k++)
			if (miss[k]) {
				(*new_rows)++;
				break;
			}
		/* A missing first revision that came inline needs no
		 * _bulk_get: it has no history (PouchDB's replicator skips
		 * _bulk_get for first generations too). It goes through the
		 * same checks as a fetched one (pulled_add). */
		char *json;
		size_t jl;
		if (pc->pc_nrevs == 1 && miss[0] &&
		    (rc = proto_change_first_gen_doc(pc, &json, &jl)) !=
		    CB_ENOTFOUND) {
			if (rc == CB_OK) {
				rc = pulled_add(&p, json, jl);
				free(json);
			}
			if (rc != CB_OK) {
				rc = sync_fail(c, rc, SYNC_FAIL_LOCAL,
				    "out of memory");
				goto out;
			}
			continue;
		}
		rc = CB_OK;
		for (k = 0; k < pc->pc_nrevs; k++)
			if (miss[k]) {
				ids[n] = pc->pc_id;
				revs[n++] = pc->pc_revs[k];
			}
	}
	if (rc == CB_OK)
		rc = pull_fetch(c, db, ids, revs, n, &p);
	if (rc == CB_OK && p.p_n > 0)
		rc = pulled_store(c, &p);
	if (rc == CB_OK)
		rc = conflict_apply(c, ch);
	if (rc == CB_OK)
		pull_note_settled(c, ch);
out:
	pulled_clear(&p);
	stubs_clear(&p);
	free(p.p_stubs);
	free(p.p_docs);
	free(ids);
	free(revs);
	free(miss);
	return rc;
}

/* GET _changes from since (JSON text) for at most ask rows, with the
 * documents or without. The URL is as long as the seq: a CouchDB seq
 * runs to kilobytes (PROTO_SEQ_MAX), past any fixed path buffer. The box
 * reads no row's seq, only last_seq: seq_interval tells CouchDB (2.1 and
 * later) to pack one per batch instead of one a row, which at q=16 on a
 * long-named node is 700 bytes a row that gzip cannot shrink (PouchDB's
 * replicator asks the same; other peers ignore it). */
static int
pull_changes_get(struct sync_ctx *c, const char *db, const char *since,
    int docs, size_t ask, struct httpcli_resp *r)
{
	char head[ENROLL_DB_MAX + 96], tail[64], *q = NULL;
	struct cb_buf path;
	int rc;

	cb_buf_init(&path, SYNC_BODY_BUF_MAX);
	if (proto_seq_query(since, &q) != CB_OK) {
		free(q);
		q = NULL;	/* not ours to judge: from the start */
	}
	snprintf(head, sizeof(head), "/%s/_changes?style=all_docs&%ssince=",
	    db, docs ? "include_docs=true&" : "");
	snprintf(tail, sizeof(tail), "&limit=%zu&seq_interval=%zu", ask, ask);
	if ((rc = cb_buf_str(&path, head)) == CB_OK &&
	    (rc = cb_buf_str(&path, q ? q : "0")) == CB_OK &&
	    (rc = cb_buf_str(&path, tail)) == CB_OK)
		rc = rq(c, "GET", path.b_data, NULL, 0, r);
	else
		rc = sync_fail(c, rc, SYNC_FAIL_LOCAL, "out of memory");
	free(q);
	cb_buf_free(&path);
	return rc;
}

static int
pull_loop(struct sync_ctx *c, const char *db, struct ckpt *k)
{
	size_t max = c->sc_batch_docs ? c->sc_batch_docs : SYNC_BATCH_DOCS;
	size_t limit = max;
	struct proto_changes ch;
	struct httpcli_resp r;
	size_t new_rows;
	int rc, inline_docs, too_big = 0;

	/*
	 * First revisions come inline (include_docs) when the rows are
	 * likely new to the box: from the start, and after a batch of which
	 * at least half was. Otherwise (the cloud echoing what this box
	 * pushed, the steady state) the rows alone, and _bulk_get for the
	 * few it lacks: a pushed day is not downloaded again.
	 */
	inline_docs = strcmp(k->k_since, "0") == 0;
	for (;;) {
		/* When even one change's answer is too big, without the
		 * documents: _bulk_get then fetches (or refuses) that one.
		 * Rows alone are small: SYNC_ROWS_FACTOR times as many. */
		int docs = inline_docs && !too_big;
		size_t ask = docs || c->sc_batch_docs ? limit :
		    limit * SYNC_ROWS_FACTOR;

		if ((rc = pull_changes_get(c, db, k->k_since, docs, ask,
		    &r)) != CB_OK) {
			if (ask_for_fewer(c, rc, "_changes", limit, &limit))
				continue;
			if (rc == CB_ETOOBIG && docs) {
				sync_forget(c);
				too_big = 1;
				continue;
			}
			return rc;
		}
		if (r.hr_status != 200) {
			rc = http_refused(c, &r, "_changes");
			httpcli_resp_free(&r);
			return rc;
		}
		rc = proto_parse_changes(r.hr_body, r.hr_len, &ch);
		httpcli_resp_free(&r);
		if (rc != CB_OK)
			return sync_fail(c, rc, SYNC_FAIL_PROTO, "the cloud's "
			    "_changes answer is malformed");
		new_rows = 0;
		if (ch.pcs_n > 0)
			rc = pull_rows(c, db, &ch, &new_rows);
		if (rc == CB_OK && strcmp(ch.pcs_last_seq, k->k_since) != 0) {
			rc = ckpt_save(c, db, k, ch.pcs_last_seq);
			c->sc_stats.ss_batches++;
		}
		size_t got = ch.pcs_n;
		proto_changes_free(&ch);
		if (rc != CB_OK || got < ask)
			return rc;
		inline_docs = new_rows * 2 >= got;
		/* Past the big ones: back up towards the full batch. */
		too_big = 0;
		limit = limit * 2 < max ? limit * 2 : max;
	}
}

int
sync_pull(struct sync_ctx *c)
{
	struct ckpt k;
	int rc;

	if ((rc = ckpt_load(c, c->sc_en->en_school_db, "pull", &k)) != CB_OK)
		return rc;
	rc = pull_loop(c, c->sc_en->en_school_db, &k);
	ckpt_clear(&k);
	return rc;
}

/* ---- push ---- */

/* {"id":["rev",...],...} for the changes. */
static int
push_revs_diff_body(struct sync_ctx *c, const struct store_change *chg,
    size_t n, char **out, size_t *len)
{
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = yyjson_mut_obj(d);
	struct store_doc_info info;
	int rc = CB_OK;

	yyjson_mut_doc_set_root(d, root);
	for (size_t i = 0; rc == CB_OK && i < n; i++) {
		rc = store_doc_info(c->sc_store, chg[i].sc_id, &info);
		if (rc != CB_OK) {
			rc = sync_fail(c, rc, SYNC_FAIL_LOCAL, "store: %s",
			    store_errmsg(c->sc_store));
			break;
		}
		yyjson_mut_val *a = yyjson_mut_arr(d);
		for (size_t k = 0; a && k < info.si_nleaves; k++)
			if (!yyjson_mut_arr_add_strcpy(d, a,
			    info.si_leaves[k].sl_rev))
				a = NULL;
		if (a == NULL || !yyjson_mut_obj_add(root,
		    yyjson_mut_strcpy(d, chg[i].sc_id), a))
			rc = CB_ENOMEM;
		store_doc_info_free(&info);
	}
	if (rc == CB_OK && (*out = yyjson_mut_write(d, 0, len)) == NULL)
		rc = CB_ENOMEM;
	yyjson_mut_doc_free(d);
	return rc;
}

static int
push_bulk_docs(struct sync_ctx *c, const char *db, struct cb_buf *body,
    size_t ndocs)
{
	char path[SYNC_PATH_MAX];
	struct proto_bulk_result br;
	struct httpcli_resp r;
	int rc;

	if ((rc = cb_buf_str(body, "]}")) != CB_OK)
		return sync_fail(c, rc, SYNC_FAIL_LOCAL, "out of memory");
	db_path(path, db, "/_bulk_docs");
	if ((rc = rq(c, "POST", path, body->b_data, body->b_len, &r)) != CB_OK)
		return rc;
	if (r.hr_status != 201 && r.hr_status != 200) {
		rc = http_refused(c, &r, "_bulk_docs");
		httpcli_resp_free(&r);
		return rc;
	}
	rc = proto_parse_bulk_docs(r.hr_body, r.hr_len, &br);
	httpcli_resp_free(&r);
	if (rc != CB_OK)
		return sync_fail(c, rc, SYNC_FAIL_PROTO, "the cloud's "
		    "_bulk_docs answer is malformed");
	if (br.pbr_errors > 0) {
		log_warn("sync: the cloud refused %zu revisions (first: %s)",
		    br.pbr_errors, br.pbr_first_error);
		if (c->sc_refused[0] == 0)
			snprintf(c->sc_refused, sizeof(c->sc_refused), "the "
			    "cloud refused %zu revisions (first: %s)",
			    br.pbr_errors, br.pbr_first_error);
		c->sc_stats.ss_rejected += br.pbr_errors;
	}
	c->sc_stats.ss_pushed += ndocs - (br.pbr_errors < ndocs ?
	    br.pbr_errors : ndocs);
	return CB_OK;
}

static int
push_open(struct cb_buf *b)
{
	cb_buf_reset(b);
	return cb_buf_str(b, "{\"new_edits\":false,\"docs\":[");
}

/* One revision into the _bulk_docs body (a file record in its wire form,
 * its bytes as an attachment: sync/atts.c); the body goes first when the
 * revision would take it past max. */
static int
push_one(struct sync_ctx *c, const char *db, struct cb_buf *b, size_t *ndocs,
    size_t max, const struct store_doc *d)
{
	const char *json = d->sd_json;
	size_t len = d->sd_len;
	char *wire = NULL;
	int rc;

	if ((rc = atts_to_wire(d->sd_json, d->sd_len, &wire, &len)) != CB_OK)
		return sync_fail(c, rc, SYNC_FAIL_LOCAL, "out of memory");
	if (wire != NULL)
		json = wire;
	else
		len = d->sd_len;
	if (*ndocs > 0 && b->b_len + len + 2 > max) {
		if ((rc = push_bulk_docs(c, db, b, *ndocs)) != CB_OK ||
		    (rc = push_open(b)) != CB_OK) {
			free(wire);
			return rc;
		}
		*ndocs = 0;
	}
	if ((*ndocs > 0 && (rc = cb_buf_str(b, ",")) != CB_OK) ||
	    (rc = cb_buf_add(b, json, len)) != CB_OK)
		rc = sync_fail(c, rc, SYNC_FAIL_LOCAL, "out of memory");
	else
		(*ndocs)++;
	free(wire);
	return rc;
}

/* The missing revisions, read from the store with their _revisions, sent
 * in _bulk_docs requests of at most sc_batch_bytes. */
static int
push_missing(struct sync_ctx *c, const char *db,
    const struct proto_revs_diff *diff)
{
	size_t max = c->sc_batch_bytes ? c->sc_batch_bytes : SYNC_BATCH_BYTES;
	struct cb_buf b;
	struct store_doc d;
	size_t ndocs = 0;
	int rc;

	cb_buf_init(&b, SYNC_BODY_BUF_MAX);
	if ((rc = push_open(&b)) != CB_OK)
		goto out;
	for (size_t i = 0; rc == CB_OK && i < diff->prd_n; i++) {
		const struct proto_missing *m = &diff->prd_rows[i];
		for (size_t k = 0; rc == CB_OK && k < m->pm_nrevs; k++) {
			rc = store_get(c->sc_store, m->pm_id, m->pm_revs[k],
			    STORE_GET_REVISIONS, &d);
			if (rc == CB_ENOTFOUND) {
				rc = CB_OK;	/* no longer a leaf: newer sent */
				continue;
			}
			if (rc != CB_OK) {
				rc = sync_fail(c, rc, SYNC_FAIL_LOCAL, "store: "
				    "%s", store_errmsg(c->sc_store));
				break;
			}
			rc = push_one(c, db, &b, &ndocs, max, &d);
			store_doc_free(&d);
		}
	}
	if (rc == CB_OK && ndocs > 0)
		rc = push_bulk_docs(c, db, &b, ndocs);
out:
	cb_buf_free(&b);
	return rc;
}

/* Ask the cloud to make the batch durable before the checkpoint moves.
 * CouchDB 3 commits before answering _bulk_docs and keeps this endpoint
 * as a no-op; peers without it (404/405) are taken at their word. */
static int
push_full_commit(struct sync_ctx *c, const char *db)
{
	char path[SYNC_PATH_MAX];
	struct httpcli_resp r;
	int rc;

	db_path(path, db, "/_ensure_full_commit");
	if ((rc = rq(c, "POST", path, "{}", 2, &r)) != CB_OK)
		return rc;
	if (r.hr_status >= 500)
		rc = http_refused(c, &r, "_ensure_full_commit");
	httpcli_resp_free(&r);
	return rc;
}

static int
push_batch(struct sync_ctx *c, const char *db, const struct store_change *chg,
    size_t n)
{
	char path[SYNC_PATH_MAX];
	struct proto_revs_diff diff;
	struct httpcli_resp r;
	char *body;
	size_t len;
	int rc;

	if ((rc = push_revs_diff_body(c, chg, n, &body, &len)) != CB_OK)
		return c->sc_fail ? rc : sync_fail(c, rc, SYNC_FAIL_LOCAL,
		    "out of memory");
	db_path(path, db, "/_revs_diff");
	rc = rq(c, "POST", path, body, len, &r);
	free(body);
	if (rc != CB_OK)
		return rc;
	if (r.hr_status != 200) {
		rc = http_refused(c, &r, "_revs_diff");
		httpcli_resp_free(&r);
		return rc;
	}
	rc = proto_parse_revs_diff(r.hr_body, r.hr_len, n, &diff);
	httpcli_resp_free(&r);
	if (rc != CB_OK)
		return sync_fail(c, rc, SYNC_FAIL_PROTO, "the cloud's "
		    "_revs_diff answer is malformed");
	if (diff.prd_total > 0 && (rc = push_missing(c, db, &diff)) == CB_OK)
		rc = push_full_commit(c, db);
	proto_revs_diff_free(&diff);
	return rc;
}

static int
seq_local(const char *seq_json, uint64_t *out)
{
	char *end;

	*out = 0;
	if (seq_json[0] == 0 || seq_json[0] == '"')
		return CB_OK;	/* not ours: start over, revs_diff dedups */
	*out = strtoull(seq_json, &end, 10);
	return CB_OK;
}

/* Documents the box never sends up: the platform's reset grants. Only
 * the platform writes them; a grant in the cloud must never be one the
 * box (its web process) made. */
static int
push_never(const char *id)
{
	return strncmp(id, RESET_GRANT_PREFIX,
	    sizeof(RESET_GRANT_PREFIX) - 1) == 0;
}

int
sync_push(struct sync_ctx *c)
{
	const char *db = c->sc_en->en_school_db;
	size_t limit = c->sc_batch_docs ? c->sc_batch_docs :
	    SYNC_PUSH_BATCH_DOCS;
	struct store_change *chg;
	char seq[32];
	uint64_t since;
	struct ckpt k;
	size_t n;
	int rc;

	if ((rc = ckpt_load(c, db, "push", &k)) != CB_OK)
		return rc;
	seq_local(k.k_since, &since);
	if ((chg = calloc(limit, sizeof(*chg))) == NULL) {
		ckpt_clear(&k);
		return sync_fail(c, CB_ENOMEM, SYNC_FAIL_LOCAL, "out of memory");
	}
	for (;;) {
		rc = store_changes(c->sc_store, since, chg, limit, &n);
		if (rc != CB_OK) {
			rc = sync_fail(c, rc, SYNC_FAIL_LOCAL, "store: %s",
			    store_errmsg(c->sc_store));
			break;
		}
		if (n == 0)
			break;
		size_t got = n, keep = 0;
		since = chg[n - 1].sc_seq;
		for (size_t i = 0; i < n; i++)
			if (!skip_has(c, chg[i].sc_seq) &&
			    !push_never(chg[i].sc_id))
				chg[keep++] = chg[i];
		if (keep > 0 && (rc = push_batch(c, db, chg, keep)) != CB_OK)
			break;
		n = got;
		snprintf(seq, sizeof(seq), "%llu", (unsigned long long)since);
		if ((rc = ckpt_save(c, db, &k, seq)) != CB_OK)
			break;
		c->sc_stats.ss_batches++;
		if (n < limit)
			break;
	}
	free(chg);
	ckpt_clear(&k);
	return rc;
}

int
sync_pending(struct sync_ctx *c, uint64_t *pending)
{
	char repid[SYNC_BOX_ID_LEN + 1], id[8 + SYNC_BOX_ID_LEN + 1];
	struct proto_checkpoint ck;
	struct store_change *chg;
	struct store_doc d;
	uint64_t since = 0;
	size_t n;
	int rc;

	*pending = 0;
	sync_replication_id(c->sc_box_id, c->sc_en->en_cloud,
	    c->sc_en->en_school_db, "push", repid);
	snprintf(id, sizeof(id), "_local/%s", repid);
	if (store_local_get(c->sc_store, id, &d) == CB_OK) {
		if (proto_parse_checkpoint(d.sd_json, d.sd_len, &ck) == CB_OK) {
			seq_local(ck.ck_seq, &since);
			proto_checkpoint_free(&ck);
		}
		store_doc_free(&d);
	}
	if ((chg = calloc(1000, sizeof(*chg))) == NULL)
		return CB_ENOMEM;
	while (*pending < SYNC_PENDING_SCAN_MAX) {
		if ((rc = store_changes(c->sc_store, since, chg, 1000, &n)) ||
		    n == 0)
			break;
		*pending += n;
		since = chg[n - 1].sc_seq;
	}
	free(chg);
	return rc;
}

int
sync_cycle(struct sync_ctx *c)
{
	int rc;

	sync_forget(c);
	c->sc_refused[0] = 0;
	c->sc_nskip = 0;
	if ((rc = sync_probe(c)) != CB_OK || (rc = sync_pull(c)) != CB_OK ||
	    (rc = sync_push(c)) != CB_OK)
		return rc;
	return sync_push_audit(c);
}
