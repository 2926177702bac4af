/*
 * doc.c: documents in and out as JSON (yyjson), canonical bodies, and
 * the hash of a new revision (MD5, as CouchDB's revision ids look).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md5.h>
#include <yyjson.h>

#include "base/buf.h"
#include "base/cb.h"
#include "base/utf8.h"
#include "store/doc.h"

/* The buffers of canonical JSON add no limit of their own: the input was
 * bounded (DOC_MAX_SIZE) by whoever read it, and an escape may triple it
 * ("\n" is written "\u000a"). */
#define DOC_BUF_MAX	CB_BUF_MAX_LIMIT

/* A JSON string; the input is valid UTF-8 (yyjson checked it). */
static void
buf_json_string(struct cb_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	cb_buf_add(b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		cb_buf_add(b, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			cb_buf_add(b, esc, 2);
		} else {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			cb_buf_add(b, esc, 6);
		}
	}
	cb_buf_add(b, s + run, len - run);
	cb_buf_add(b, "\"", 1);
}

struct kv_pair {
	yyjson_val *kp_key, *kp_val;
};

static int
pair_cmp(const void *a, const void *b)
{
	const struct kv_pair *x = a, *y = b;
	size_t lx = yyjson_get_len(x->kp_key), ly = yyjson_get_len(y->kp_key);
	int c = memcmp(yyjson_get_str(x->kp_key), yyjson_get_str(y->kp_key),
	    lx < ly ? lx : ly);

	if (c != 0)
		return c;
	return lx < ly ? -1 : lx > ly;
}

static int canon_value(struct cb_buf *b, yyjson_val *v, int depth);

/* An object with keys sorted; at the top level (body=1) the fields that
 * start with '_' are CouchDB's and left out. */
static int
canon_object(struct cb_buf *b, yyjson_val *obj, int depth, int body)
{
	size_t n = yyjson_obj_size(obj), k = 0, i, max;
	struct kv_pair *pairs;
	yyjson_val *key, *val;
	int rc = CB_OK;

	if ((pairs = calloc(n ? n : 1, sizeof(*pairs))) == NULL)
		return CB_ENOMEM;
	yyjson_obj_foreach(obj, i, max, key, val) {
		if (body && yyjson_get_len(key) > 0 &&
		    yyjson_get_str(key)[0] == '_')
			continue;
		pairs[k].kp_key = key;
		pairs[k++].kp_val = val;
	}
	qsort(pairs, k, sizeof(*pairs), pair_cmp);
	cb_buf_add(b, "{", 1);
	for (i = 0; i < k && rc == 0; i++) {
		if (i > 0 && pair_cmp(&pairs[i - 1], &pairs[i]) == 0) {
			rc = CB_EINVAL;	/* a duplicate key */
			break;
		}
		if (i > 0)
			cb_buf_add(b, ",", 1);
		buf_json_string(b, yyjson_get_str(pairs[i].kp_key),
		    yyjson_get_len(pairs[i].kp_key));
		cb_buf_add(b, ":", 1);
		rc = canon_value(b, pairs[i].kp_val, depth + 1);
	}
	cb_buf_add(b, "}", 1);
	free(pairs);
	return rc;
}

static int
canon_value(struct cb_buf *b, yyjson_val *v, int depth)
{
	size_t i, max;
	yyjson_val *e;
	int rc = CB_OK;

	if (depth > DOC_MAX_DEPTH)
		return CB_EINVAL;
	switch (yyjson_get_type(v)) {
	case YYJSON_TYPE_NULL:
		cb_buf_str(b, "null");
		break;
	case YYJSON_TYPE_BOOL:
		cb_buf_str(b, yyjson_get_bool(v) ? "true" : "false");
		break;
	case YYJSON_TYPE_RAW:	/* a number, exactly as written */
		cb_buf_add(b, yyjson_get_raw(v), yyjson_get_len(v));
		break;
	case YYJSON_TYPE_STR:
		buf_json_string(b, yyjson_get_str(v), yyjson_get_len(v));
		break;
	case YYJSON_TYPE_ARR:
		cb_buf_add(b, "[", 1);
		yyjson_arr_foreach(v, i, max, e) {
			if (i > 0)
				cb_buf_add(b, ",", 1);
			if ((rc = canon_value(b, e, depth + 1)) != 0)
				break;
		}
		cb_buf_add(b, "]", 1);
		break;
	case YYJSON_TYPE_OBJ:
		rc = canon_object(b, v, depth, 0);
		break;
	default:
		rc = CB_EINVAL;
	}
	return rc;
}

int
doc_id_valid(const char *id, size_t len)
{
	return len > 0 && len <= DOC_ID_MAX &&
	    cb_utf8_valid(id, len, CB_UTF8_TEXT) && memchr(id, 0, len) == NULL;
}

static int
doc_err(char *err, size_t errsize, int rc, const char *msg)
{
	if (err != NULL && errsize > 0)
		snprintf(err, errsize, "%s", msg);
	return rc;
}

static int
type_valid(yyjson_val *v)
{
	const char *s = yyjson_get_str(v);
	size_t len = yyjson_get_len(v);

	if (s == NULL || len == 0 || len > DOC_TYPE_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		    (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* A non-negative integer written as a raw number. */
static int
raw_uint(yyjson_val *v, uint32_t max, uint32_t *out)
{
	const char *s = yyjson_get_raw(v);
	size_t len = yyjson_get_len(v);
	uint64_t n = 0;

	if (!yyjson_is_raw(v) || len == 0 || len > 10)
		return CB_EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CB_EINVAL;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n > max)
		return CB_EINVAL;
	*out = (uint32_t)n;
	return CB_OK;
}

/* _revisions: {"start": N, "ids": [newest, ..., oldest]}. */
static int
parse_revisions(struct doc_input *d, yyjson_val *r, char *err, size_t es)
{
	yyjson_val *start = yyjson_obj_get(r, "start");
	yyjson_val *ids = yyjson_obj_get(r, "ids"), *e;
	size_t n, i, max;

	if (!yyjson_is_obj(r) || start == NULL || !yyjson_is_arr(ids) ||
	    raw_uint(start, REV_GEN_MAX, &d->di_path.rp_start) != 0)
		return doc_err(err, es, CB_EINVAL,
		    "_revisions must be {\"start\": N, \"ids\": [...]}");
	n = yyjson_arr_size(ids);
	if (n > REVTREE_MAX_NODES)
		return doc_err(err, es, CB_ETOOBIG,
		    "_revisions lists too many revisions (limit 8192)");
	if (n == 0 || n > d->di_path.rp_start)
		return doc_err(err, es, CB_EINVAL,
		    "_revisions: ids must be 1 to start revisions");
	d->di_path_ids = calloc(n, sizeof(*d->di_path_ids));
	d->di_path_lens = calloc(n, sizeof(*d->di_path_lens));
	if (d->di_path_ids == NULL || d->di_path_lens == NULL)
		return CB_ENOMEM;
	yyjson_arr_foreach(ids, i, max, e) {
		if (!yyjson_is_str(e) ||
		    !rev_hash_valid(yyjson_get_str(e), yyjson_get_len(e)))
			return doc_err(err, es, CB_EINVAL,
			    "_revisions: a revision id is malformed");
		d->di_path_ids[i] = yyjson_get_str(e);
		d->di_path_lens[i] = yyjson_get_len(e);
	}
	d->di_path.rp_n = n;
	return CB_OK;
}

/* _rev once the id is known: "N-hash", or "0-N" for a local document. */
static int
parse_rev(struct doc_input *d, char *err, size_t es)
{
	const char *r = d->di_rev;
	size_t len = d->di_revlen;
	uint64_t n = 0;

	if (!d->di_local) {
		if (rev_parse(r, len, &d->di_gen, &d->di_hash,
		    &d->di_hashlen) != 0)
			return doc_err(err, es, CB_EINVAL,
			    "_rev must look like \"3-9f8e...\"");
		return CB_OK;
	}
	if (len < 3 || len > 12 || r[0] != '0' || r[1] != '-' || r[2] == '0')
		return doc_err(err, es, CB_EINVAL,
		    "the _rev of a _local document looks like \"0-5\"");
	for (size_t i = 2; i < len; i++) {
		if (r[i] < '0' || r[i] > '9')
			return doc_err(err, es, CB_EINVAL,
			    "the _rev of a _local document looks like \"0-5\"");
		n = n * 10 + (uint64_t)(r[i] - '0');
	}
	if (n > UINT32_MAX - 1)
		return doc_err(err, es, CB_ETOOBIG, "_local _rev too large");
	d->di_local_rev = (uint32_t)n;
	return CB_OK;
}

/* CouchDB's special fields: taken, ignored, or refused. */
static int
parse_special(struct doc_input *d, const char *k, yyjson_val *v,
    yyjson_val **revisions, char *err, size_t es)
{
	if (strcmp(k, "_id") == 0) {
		if (!yyjson_is_str(v))
			return doc_err(err, es, CB_EINVAL, "_id must be a string");
		d->di_id = yyjson_get_str(v);
		d->di_idlen = yyjson_get_len(v);
	} else if (strcmp(k, "_rev") == 0) {
		if (!yyjson_is_str(v))
			return doc_err(err, es, CB_EINVAL, "_rev must be a string");
		d->di_rev = yyjson_get_str(v);
		d->di_revlen = yyjson_get_len(v);
		d->di_has_rev = 1;
	} else if (strcmp(k, "_deleted") == 0) {
		if (!yyjson_is_bool(v))
			return doc_err(err, es, CB_EINVAL,
			    "_deleted must be true or false");
		d->di_deleted = yyjson_get_bool(v);
	} else if (strcmp(k, "_revisions") == 0) {
		*revisions = v;
	} else if (strcmp(k, "_attachments") == 0) {
		return doc_err(err, es, CB_EINVAL,
		    "attachments are not supported by the store yet");
	} else if (strcmp(k, "_conflicts") != 0 &&
	    strcmp(k, "_deleted_conflicts") != 0 &&
	    strcmp(k, "_revs_info") != 0 && strcmp(k, "_local_seq") != 0) {
		return doc_err(err, es, CB_EINVAL,
		    "unknown field starting with '_' (reserved for CouchDB)");
	}
	return CB_OK;
}

static int
check_id(struct doc_input *d, char *err, size_t es)
{
	size_t pl = strlen(DOC_LOCAL_PREFIX);

	if (d->di_id == NULL)
		return doc_err(err, es, CB_EINVAL, "the document has no _id");
	if (d->di_idlen > DOC_ID_MAX)
		return doc_err(err, es, CB_ETOOBIG,
		    "_id is longer than 200 bytes");
	if (!doc_id_valid(d->di_id, d->di_idlen))
		return doc_err(err, es, CB_EINVAL,
		    "_id must be UTF-8 without control characters");
	if (d->di_idlen > pl && memcmp(d->di_id, DOC_LOCAL_PREFIX, pl) == 0)
		d->di_local = 1;
	else if (d->di_id[0] == '_')
		return doc_err(err, es, CB_EINVAL,
		    "_id must not start with '_' (only _local/ ids may)");
	return CB_OK;
}

/* The path for new_edits=false: _revisions, or _rev alone. */
static int
check_path(struct doc_input *d, yyjson_val *revisions, char *err, size_t es)
{
	int rc;

	if (!d->di_has_rev)
		return doc_err(err, es, CB_EINVAL,
		    "a replicated document (new_edits=false) needs _rev");
	if (revisions == NULL) {
		d->di_path_ids = calloc(1, sizeof(*d->di_path_ids));
		d->di_path_lens = calloc(1, sizeof(*d->di_path_lens));
		if (d->di_path_ids == NULL || d->di_path_lens == NULL)
			return CB_ENOMEM;
		d->di_path_ids[0] = d->di_hash;
		d->di_path_lens[0] = d->di_hashlen;
		d->di_path.rp_start = d->di_gen;
		d->di_path.rp_n = 1;
	} else if ((rc = parse_revisions(d, revisions, err, es)) != 0) {
		return rc;
	}
	d->di_path.rp_ids = d->di_path_ids;
	d->di_path.rp_lens = d->di_path_lens;
	if (d->di_path.rp_start != d->di_gen ||
	    d->di_path_lens[0] != d->di_hashlen ||
	    memcmp(d->di_path_ids[0], d->di_hash, d->di_hashlen) != 0)
		return doc_err(err, es, CB_EINVAL,
		    "_revisions does not start with _rev");
	return CB_OK;
}

static int
doc_parse_fields(struct doc_input *d, yyjson_val *root, int new_edits,
    char *err, size_t es)
{
	yyjson_val *key, *val, *revisions = NULL, *type;
	struct cb_buf b;
	size_t i, max;
	int rc;

	yyjson_obj_foreach(root, i, max, key, val) {
		const char *k = yyjson_get_str(key);
		if (k[0] == '_' && strlen(k) != yyjson_get_len(key))
			return doc_err(err, es, CB_EINVAL,
			    "a field name starting with '_' contains NUL");
		if (k[0] == '_' && (rc = parse_special(d, k, val, &revisions,
		    err, es)) != 0)
			return rc;
	}
	if ((rc = check_id(d, err, es)) != 0)
		return rc;
	if (d->di_has_rev && (rc = parse_rev(d, err, es)) != 0)
		return rc;
	if (!new_edits && !d->di_local &&
	    (rc = check_path(d, revisions, err, es)) != 0)
		return rc;
	type = yyjson_obj_get(root, "type");
	if (!d->di_local && !d->di_deleted && !type_valid(type))
		return doc_err(err, es, CB_EINVAL, "a document needs a \"type\" "
		    "of lowercase letters, digits and '_' (at most 40)");
	cb_buf_init(&b, DOC_BUF_MAX);
	rc = canon_object(&b, root, 0, 1);
	if (rc == 0)
		rc = b.b_err;
	if (rc != 0) {
		cb_buf_free(&b);
		return doc_err(err, es, rc, rc == CB_ENOMEM ? "out of memory" :
		    "the document nests deeper than 64 levels or repeats a key");
	}
	d->di_body = cb_buf_take(&b, &d->di_bodylen);
	return CB_OK;
}

int
doc_parse(const char *json, size_t len, int new_edits, struct doc_input *d,
    char *err, size_t errsize)
{
	yyjson_read_err rerr;
	yyjson_doc *doc;
	int rc;

	memset(d, 0, sizeof(*d));
	if (len > DOC_MAX_SIZE)
		return doc_err(err, errsize, CB_ETOOBIG,
		    "the document is larger than 1 MiB");
	doc = yyjson_read_opts((char *)(uintptr_t)json, len,
	    YYJSON_READ_NUMBER_AS_RAW, NULL, &rerr);
	if (doc == NULL)
		return doc_err(err, errsize, CB_EINVAL,
		    "the document is not valid JSON");
	d->di_json = doc;
	if (!yyjson_is_obj(yyjson_doc_get_root(doc))) {
		doc_input_free(d);
		return doc_err(err, errsize, CB_EINVAL,
		    "a document must be a JSON object");
	}
	rc = doc_parse_fields(d, yyjson_doc_get_root(doc), new_edits, err,
	    errsize);
	if (rc != 0)
		doc_input_free(d);
	return rc;
}

void
doc_input_free(struct doc_input *d)
{
	yyjson_doc_free(d->di_json);
	free(d->di_path_ids);
	free(d->di_path_lens);
	free(d->di_body);
	memset(d, 0, sizeof(*d));
}

int
doc_new_hash(int deleted, const char *parent_rev, const char *body,
    size_t bodylen, char out[DOC_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	mbedtls_md5_context md5;
	unsigned char sum[16];
	int rc;

	mbedtls_md5_init(&md5);
	rc = mbedtls_md5_starts(&md5);
	if (rc == 0)
		rc = mbedtls_md5_update(&md5,
		    (const unsigned char *)(deleted ? "1" : "0"), 1);
	if (rc == 0 && parent_rev != NULL)
		rc = mbedtls_md5_update(&md5,
		    (const unsigned char *)parent_rev, strlen(parent_rev));
	if (rc == 0)
		rc = mbedtls_md5_update(&md5, (const unsigned char *)"", 1);
	if (rc == 0)
		rc = mbedtls_md5_update(&md5, (const unsigned char *)body,
		    bodylen);
	if (rc == 0)
		rc = mbedtls_md5_finish(&md5, sum);
	mbedtls_md5_free(&md5);
	if (rc != 0)
		return CB_ECRYPTO;
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[sum[i] >> 4];
		out[2 * i + 1] = hex[sum[i] & 15];
	}
	out[DOC_HASH_LEN] = 0;
	return CB_OK;
}

static void
compose_extra(struct cb_buf *b, const struct doc_extra *x)
{
	char num[16];

	if (x->de_deleted)
		cb_buf_str(b, ",\"_deleted\":true");
	if (x->de_nconflicts > 0) {
		cb_buf_str(b, ",\"_conflicts\":[");
		for (size_t i = 0; i < x->de_nconflicts; i++) {
			cb_buf_str(b, i ? ",\"" : "\"");
			cb_buf_str(b, x->de_conflicts[i]);
			cb_buf_str(b, "\"");
		}
		cb_buf_str(b, "]");
	}
	if (x->de_nrevs > 0) {
		snprintf(num, sizeof(num), "%u", (unsigned)x->de_rev_start);
		cb_buf_str(b, ",\"_revisions\":{\"start\":");
		cb_buf_str(b, num);
		cb_buf_str(b, ",\"ids\":[");
		for (size_t i = 0; i < x->de_nrevs; i++) {
			cb_buf_str(b, i ? ",\"" : "\"");
			cb_buf_str(b, x->de_rev_ids[i]);
			cb_buf_str(b, "\"");
		}
		cb_buf_str(b, "]}");
	}
}

int
doc_compose(const char *id, const char *rev, const char *body,
    size_t bodylen, const struct doc_extra *x, char **out, size_t *outlen)
{
	struct cb_buf b;
	int rc;

	*out = NULL;
	if (bodylen < 2 || body[0] != '{' || body[bodylen - 1] != '}')
		return CB_EINVAL;
	cb_buf_init(&b, DOC_BUF_MAX);
	cb_buf_str(&b, "{\"_id\":");
	buf_json_string(&b, id, strlen(id));
	if (rev != NULL) {
		cb_buf_str(&b, ",\"_rev\":\"");
		cb_buf_str(&b, rev);	/* rev ids need no escaping */
		cb_buf_str(&b, "\"");
	}
	if (x != NULL)
		compose_extra(&b, x);
	if (bodylen > 2)
		cb_buf_add(&b, ",", 1);
	cb_buf_add(&b, body + 1, bodylen - 1);
	if (b.b_err != CB_OK) {
		rc = b.b_err;
		cb_buf_free(&b);
		return rc;
	}
	*out = cb_buf_take(&b, outlen);
	return CB_OK;
}
