/*
 * atts.c: file records <-> CouchDB attachments (atts.h). Everything the
 * cloud sends is checked before a byte of it reaches the store: one
 * attachment named ATTS_NAME on a file record, a stub only when one was
 * expected, at most REC_FILE_MAX bytes, an allow-listed type that the
 * record names and the bytes match, and the length, the CouchDB digest
 * (md5-<base64>), the record's size and sha256 when present.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>
#include <yyjson.h>
#include <zlib.h>

#include "base/cb.h"
#include "core/filetype.h"
#include "core/records.h"
#include "sync/atts.h"

#define ATTS_DIGEST_LEN	(4 + 24)	/* "md5-" + base64 of 16 bytes */

static int
refuse(struct atts_in *a, int rc, const char *fmt, ...)
{
	char why[ATTS_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(a->ai_why, sizeof(a->ai_why), "%.80s %.40s: %.120s", a->ai_id,
	    a->ai_rev, why);
	/* The cloud's strings go to logs and the status file: one line of
	 * ASCII (a cut could split a UTF-8 character). */
	for (char *p = a->ai_why; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return rc;
}

/* The live file record's content type, or NULL: not a file record. */
static const char *
file_ctype(yyjson_val *root)
{
	if (!yyjson_equals_str(yyjson_obj_get(root, "type"), "file") ||
	    yyjson_is_true(yyjson_obj_get(root, "_deleted")))
		return NULL;
	return yyjson_get_str(yyjson_obj_get(root, "content_type"));
}

/* JSON of root with field `drop` removed and `key`: val added. */
static int
rewrite(yyjson_val *root, const char *drop, const char *key,
    yyjson_mut_val *(*make)(yyjson_mut_doc *, void *), void *arg,
    char **out, size_t *outlen)
{
	yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *r, *v;
	int rc = CB_ENOMEM;

	if (m == NULL)
		return CB_ENOMEM;
	if ((r = yyjson_val_mut_copy(m, root)) != NULL &&
	    (yyjson_mut_doc_set_root(m, r), 1) &&
	    (yyjson_mut_obj_remove_key(r, drop), (v = make(m, arg)) != NULL) &&
	    yyjson_mut_obj_add(r, yyjson_mut_str(m, key), v) &&
	    (*out = yyjson_mut_write(m, 0, outlen)) != NULL)
		rc = CB_OK;
	yyjson_mut_doc_free(m);
	return rc;
}

/* ---- box to cloud ---- */

struct wire_att {
	const char *wa_ctype;
	const char *wa_b64;		/* standard base64 */
	unsigned long long wa_revpos;	/* 0: not known */
};

static yyjson_mut_val *
make_attachments(yyjson_mut_doc *m, void *arg)
{
	const struct wire_att *w = arg;
	yyjson_mut_val *all = yyjson_mut_obj(m), *one = yyjson_mut_obj(m);

	if (all == NULL || one == NULL ||
	    !yyjson_mut_obj_add_str(m, one, "content_type", w->wa_ctype) ||
	    !yyjson_mut_obj_add_str(m, one, "data", w->wa_b64) ||
	    (w->wa_revpos > 0 &&
	    !yyjson_mut_obj_add_uint(m, one, "revpos", w->wa_revpos)) ||
	    !yyjson_mut_obj_add_val(m, all, ATTS_NAME, one))
		return NULL;
	return all;
}

/* bytes of the record's base64url "data", or NULL when it is not the
 * canonical encoding (the mapping would not be reversible). */
static unsigned char *
data_bytes(const char *data, size_t dlen, size_t *n)
{
	size_t cap = dlen / 4 * 3 + 3, elen = dlen + 2;
	unsigned char *b = malloc(cap);
	char *again = malloc(elen + 1);
	int ok;

	ok = b != NULL && again != NULL &&
	    cb_b64url_decode(data, dlen, b, cap, n) == CB_OK &&
	    cb_b64url_encode(b, *n, again, elen + 1) == CB_OK &&
	    strlen(again) == dlen && memcmp(again, data, dlen) == 0;
	free(again);
	if (!ok) {
		free(b);
		return NULL;
	}
	return b;
}

/* N of "N-hash", or 0. CouchDB keeps revpos, the generation where the
 * attachment last changed; the box does not track it, so it says "this
 * revision", which costs a replicator using atts_since at most a resend. */
static unsigned long long
rev_generation(const char *rev)
{
	unsigned long long n = 0;
	int digits = 0;

	for (; rev != NULL && *rev >= '0' && *rev <= '9' && digits < 9;
	    rev++, digits++)
		n = n * 10 + (unsigned)(*rev - '0');
	return rev != NULL && *rev == '-' && digits > 0 ? n : 0;
}

int
atts_to_wire(const char *json, size_t len, char **out, size_t *outlen)
{
	yyjson_doc *d = yyjson_read(json, len, 0);
	yyjson_val *root = yyjson_doc_get_root(d), *data;
	struct wire_att w;
	unsigned char *bytes = NULL;
	char *b64 = NULL;
	size_t n, blen, olen;
	int rc = CB_OK;

	*out = NULL;
	*outlen = 0;
	if (d == NULL || !yyjson_is_obj(root) ||
	    (w.wa_ctype = file_ctype(root)) == NULL ||
	    !yyjson_is_str(data = yyjson_obj_get(root, "data")) ||
	    yyjson_obj_get(root, "_attachments") != NULL)
		goto out;		/* not a file record: as stored */
	if ((bytes = data_bytes(yyjson_get_str(data), yyjson_get_len(data),
	    &n)) == NULL)
		goto out;		/* not canonical: as stored */
	blen = (n + 2) / 3 * 4 + 1;
	if ((b64 = malloc(blen)) == NULL) {
		rc = CB_ENOMEM;
		goto out;
	}
	/* mbedTLS writes no NUL for zero bytes: terminate it ourselves. */
	if (mbedtls_base64_encode((unsigned char *)b64, blen, &olen, bytes,
	    n) != 0 || olen >= blen)
		goto out;
	b64[olen] = '\0';
	w.wa_b64 = b64;
	w.wa_revpos = rev_generation(yyjson_get_str(yyjson_obj_get(root,
	    "_rev")));
	rc = rewrite(root, "data", "_attachments", make_attachments, &w, out,
	    outlen);
out:
	free(bytes);
	free(b64);
	yyjson_doc_free(d);
	return rc;
}

/* ---- cloud to box ---- */

static yyjson_mut_val *
make_str(yyjson_mut_doc *m, void *arg)
{
	return yyjson_mut_str(m, arg);
}

/* The attachment {..} of a file record, or a refusal. */
static int
the_attachment(struct atts_in *a, yyjson_val *root, yyjson_val **att,
    const struct file_type **ft)
{
	yyjson_val *all = yyjson_obj_get(root, "_attachments"), *k, *enc;
	const char *type = yyjson_get_str(yyjson_obj_get(root, "type"));
	const char *ct;

	if (type == NULL || strcmp(type, "file") != 0)
		return refuse(a, CB_EINVAL, "attachments are accepted on "
		    "file records only (type %.40s)", type ? type : "none");
	if (!yyjson_is_obj(all) || yyjson_obj_size(all) == 0)
		return refuse(a, CB_EINVAL, "_attachments is not an object "
		    "with an attachment");
	if (yyjson_obj_size(all) > 1)
		return refuse(a, CB_EINVAL, "%zu attachments (a file record "
		    "has one)", yyjson_obj_size(all));
	yyjson_obj_iter it = yyjson_obj_iter_with(all);
	k = yyjson_obj_iter_next(&it);
	if (!yyjson_equals_str(k, ATTS_NAME))
		return refuse(a, CB_EINVAL, "the attachment is not named \""
		    ATTS_NAME "\"");
	*att = yyjson_obj_iter_get_val(k);
	if (!yyjson_is_obj(*att))
		return refuse(a, CB_EINVAL, "the attachment is not an object");
	if (yyjson_is_true(yyjson_obj_get(root, "_deleted")))
		return refuse(a, CB_EINVAL, "a deleted record with an "
		    "attachment");
	if (yyjson_obj_get(root, "data") != NULL)
		return refuse(a, CB_EINVAL, "both a data field and an "
		    "attachment");
	ct = yyjson_get_str(yyjson_obj_get(*att, "content_type"));
	if ((*ft = file_type_exact(ct)) == NULL)
		return refuse(a, CB_EINVAL, "content type %.60s is not "
		    "allowed", ct ? ct : "missing");
	if (!yyjson_equals_str(yyjson_obj_get(root, "content_type"), ct))
		return refuse(a, CB_EINVAL, "the record's content_type is not "
		    "the attachment's (%s)", ct);
	enc = yyjson_obj_get(*att, "encoding");
	if (enc != NULL && !yyjson_equals_str(enc, "gzip"))
		return refuse(a, CB_EINVAL, "an attachment encoded as %.20s "
		    "(CouchDB stores gzip or nothing)", yyjson_is_str(enc) ?
		    yyjson_get_str(enc) : "a non-string");
	return CB_OK;
}

/* The declared "length", when there is one. */
static int
declared_length(struct atts_in *a, yyjson_val *att, int required,
    size_t *n)
{
	yyjson_val *l = yyjson_obj_get(att, "length");

	if (l == NULL && !required) {
		*n = (size_t)-1;
		return CB_OK;
	}
	if (!yyjson_is_uint(l))
		return refuse(a, CB_EINVAL, "the attachment has no length");
	if (yyjson_get_uint(l) > REC_FILE_MAX)
		return refuse(a, CB_ETOOBIG, "the attachment has %llu bytes, "
		    "over the limit of %u", (unsigned long long)
		    yyjson_get_uint(l), (unsigned)REC_FILE_MAX);
	*n = (size_t)yyjson_get_uint(l);
	return CB_OK;
}

/* The CouchDB digest, md5-<base64>, of the bytes as the cloud stores
 * them (the file's bytes, or their gzip encoding). */
static int
check_digest(struct atts_in *a, yyjson_val *att, const unsigned char *b,
    size_t n)
{
	char digest[ATTS_DIGEST_LEN + 1] = "md5-";
	unsigned char md5[16];
	size_t dl;

	if (mbedtls_md5(b, n, md5) != 0 || mbedtls_base64_encode(
	    (unsigned char *)digest + 4, sizeof(digest) - 4, &dl, md5, 16))
		return refuse(a, CB_EINVAL, "cannot compute the digest");
	if (!yyjson_is_str(yyjson_obj_get(att, "digest")))
		return refuse(a, CB_EINVAL, "the attachment has no digest");
	if (!yyjson_equals_str(yyjson_obj_get(att, "digest"), digest))
		return refuse(a, CB_EINVAL, "the attachment's bytes do not "
		    "match its digest");
	return CB_OK;
}

/* The file's bytes: magic, and the record's size and sha256. */
static int
check_file(struct atts_in *a, yyjson_val *root, const struct file_type *ft,
    const unsigned char *b, size_t n)
{
	unsigned char sum[32];
	char hex[65];
	yyjson_val *size = yyjson_obj_get(root, "size");
	yyjson_val *sha = yyjson_obj_get(root, "sha256");

	if (!file_sniff(ft, b, n))
		return refuse(a, CB_EINVAL, "the attachment's bytes are not "
		    "%s", ft->ft_ctype);
	if (size != NULL && (!yyjson_is_uint(size) ||
	    yyjson_get_uint(size) != n))
		return refuse(a, CB_EINVAL, "the record's size is not the "
		    "attachment's %zu bytes", n);
	if (sha != NULL) {
		if (mbedtls_sha256(b, n, sum, 0) != 0)
			return refuse(a, CB_EINVAL, "cannot compute sha256");
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", sum[i]);
		if (!yyjson_equals_str(sha, hex))
			return refuse(a, CB_EINVAL, "the record's sha256 does "
			    "not match the attachment's bytes");
	}
	return CB_OK;
}

/* Length, digest, magic, the record's size and sha256 against bytes. */
static int
check_bytes(struct atts_in *a, yyjson_val *root, yyjson_val *att,
    const struct file_type *ft, const unsigned char *b, size_t n)
{
	size_t want;
	int rc;

	if ((rc = declared_length(a, att, 0, &want)) != CB_OK)
		return rc;
	if (want != (size_t)-1 && want != n)
		return refuse(a, CB_EINVAL, "the attachment has %zu bytes, "
		    "its length says %zu", n, want);
	if ((rc = check_digest(a, att, b, n)) != CB_OK)
		return rc;
	return check_file(a, root, ft, b, n);
}

/* Checked bytes kept: the record with "data" in base64url. */
static int
keep_bytes(struct atts_in *a, yyjson_val *root, const unsigned char *b,
    size_t n)
{
	size_t cap = (n + 2) / 3 * 4 + 1;
	char *url = malloc(cap);
	int rc = CB_ENOMEM;

	assert(n <= REC_FILE_MAX);
	if (url != NULL && cb_b64url_encode(b, n, url, cap) == CB_OK) {
		a->ai_length = n;
		rc = rewrite(root, "_attachments", "data", make_str, url,
		    &a->ai_json, &a->ai_len);
		if (rc == CB_OK)
			a->ai_kind = ATTS_INLINE;
	}
	free(url);
	return rc;
}

/* Inline data: decode, check, and the record with "data" in base64url. */
static int
take_inline(struct atts_in *a, yyjson_val *root, yyjson_val *att,
    const struct file_type *ft)
{
	yyjson_val *data = yyjson_obj_get(att, "data");
	unsigned char *b = NULL;
	size_t dlen, n, cap;
	int rc;

	if (!yyjson_is_str(data))
		return refuse(a, CB_EINVAL, "the attachment has no data");
	if (yyjson_obj_get(att, "encoding") != NULL)
		return refuse(a, CB_EINVAL, "a gzip-stored attachment sent "
		    "inflated: its digest is of the stored bytes");
	dlen = yyjson_get_len(data);
	if (dlen / 4 * 3 > REC_FILE_MAX + 3)
		return refuse(a, CB_ETOOBIG, "the attachment has about %zu "
		    "bytes, over the limit of %u", dlen / 4 * 3,
		    (unsigned)REC_FILE_MAX);
	cap = dlen / 4 * 3 + 3;
	if ((b = malloc(cap)) == NULL)
		return CB_ENOMEM;
	if (mbedtls_base64_decode(b, cap, &n, (const unsigned char *)
	    yyjson_get_str(data), dlen) != 0) {
		rc = refuse(a, CB_EINVAL, "the attachment's data is not base64");
		goto out;
	}
	if (n > REC_FILE_MAX) {
		rc = refuse(a, CB_ETOOBIG, "the attachment has %zu bytes, over "
		    "the limit of %u", n, (unsigned)REC_FILE_MAX);
		goto out;
	}
	if ((rc = check_bytes(a, root, att, ft, b, n)) == CB_OK)
		rc = keep_bytes(a, root, b, n);
out:
	free(b);
	return rc;
}

static int
ids_of(struct atts_in *a, yyjson_val *root)
{
	yyjson_val *id = yyjson_obj_get(root, "_id");
	yyjson_val *rev = yyjson_obj_get(root, "_rev");

	if (!yyjson_is_str(id) || yyjson_get_len(id) > DOC_ID_MAX ||
	    !yyjson_is_str(rev) || yyjson_get_len(rev) > REV_MAX) {
		snprintf(a->ai_why, sizeof(a->ai_why), "a document without a "
		    "valid _id and _rev");
		return CB_EINVAL;
	}
	memcpy(a->ai_id, yyjson_get_str(id), yyjson_get_len(id) + 1);
	memcpy(a->ai_rev, yyjson_get_str(rev), yyjson_get_len(rev) + 1);
	return CB_OK;
}

/* A stub's encoding: none, or gzip with an encoded_length the box will
 * fetch (at most ATTS_GZIP_MAX). Sets ai_gzip. */
static int
stub_encoding(struct atts_in *a, yyjson_val *att)
{
	yyjson_val *el = yyjson_obj_get(att, "encoded_length");

	a->ai_gzip = 0;
	if (yyjson_obj_get(att, "encoding") == NULL)
		return CB_OK;	/* the_attachment let only gzip through */
	if (!yyjson_is_uint(el))
		return refuse(a, CB_EINVAL, "a gzip-stored attachment without "
		    "its encoded_length");
	if (yyjson_get_uint(el) > ATTS_GZIP_MAX)
		return refuse(a, CB_ETOOBIG, "the attachment has %llu bytes as "
		    "stored, over the limit of %u", (unsigned long long)
		    yyjson_get_uint(el), (unsigned)ATTS_GZIP_MAX);
	a->ai_gzip = 1;
	return CB_OK;
}

/* The document the cloud sent, parsed: an object with a valid _id and
 * _rev (a->ai_id, a->ai_rev), or CB_EINVAL with ai_why. *d to free. */
static int
wire_doc(const char *json, size_t len, struct atts_in *a, yyjson_doc **d,
    yyjson_val **root)
{
	memset(a, 0, sizeof(*a));
	*d = yyjson_read(json, len, 0);
	if (*d == NULL || !yyjson_is_obj(*root = yyjson_doc_get_root(*d))) {
		yyjson_doc_free(*d);
		*d = NULL;
		snprintf(a->ai_why, sizeof(a->ai_why), "a document that is not "
		    "a JSON object");
		return CB_EINVAL;
	}
	return ids_of(a, *root);
}

int
atts_from_wire(const char *json, size_t len, int want_data,
    struct atts_in *a)
{
	const struct file_type *ft = NULL;
	yyjson_val *root = NULL, *att = NULL;
	yyjson_doc *d;
	size_t n;
	int rc;

	if ((rc = wire_doc(json, len, a, &d, &root)) != CB_OK ||
	    yyjson_obj_get(root, "_attachments") == NULL)
		goto out;	/* ATTS_PLAIN: the store judges the rest */
	if ((rc = the_attachment(a, root, &att, &ft)) != CB_OK)
		goto out;
	if (yyjson_is_true(yyjson_obj_get(att, "stub"))) {
		if (want_data)
			rc = refuse(a, CB_EINVAL, "a stub of an attachment "
			    "this box does not hold");
		else if ((rc = declared_length(a, att, 1, &n)) == CB_OK &&
		    (rc = stub_encoding(a, att)) == CB_OK) {
			a->ai_kind = ATTS_STUB;
			a->ai_length = n;
		}
		goto out;
	}
	rc = take_inline(a, root, att, ft);
out:
	yyjson_doc_free(d);
	return rc;
}

/* One gzip member, whole (zlib checks its CRC-32 and length), nothing
 * after it, inflated into at most REC_FILE_MAX bytes (*out malloc'd). */
static int
gunzip_file(struct atts_in *a, const unsigned char *gz, size_t len,
    unsigned char **out, size_t *n)
{
	unsigned char *b = malloc(REC_FILE_MAX + 1);
	z_stream z;
	int zr;

	assert(len <= ATTS_GZIP_MAX);
	*out = NULL;
	if (b == NULL)
		return CB_ENOMEM;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(b);
		return CB_ENOMEM;
	}
	z.next_in = (unsigned char *)gz;
	z.avail_in = (uInt)len;
	z.next_out = b;
	z.avail_out = REC_FILE_MAX + 1;	/* one more tells "too big" */
	zr = inflate(&z, Z_FINISH);
	*n = z.total_out;
	inflateEnd(&z);
	if (zr == Z_STREAM_END && z.avail_in == 0 && *n <= REC_FILE_MAX) {
		*out = b;
		return CB_OK;
	}
	free(b);
	if (zr == Z_MEM_ERROR)
		return CB_ENOMEM;
	if (z.avail_out == 0)
		return refuse(a, CB_ETOOBIG, "the attachment inflates past "
		    "the limit of %u bytes", (unsigned)REC_FILE_MAX);
	if (zr == Z_STREAM_END)
		return refuse(a, CB_EINVAL, "bytes after the attachment's "
		    "gzip data");
	return refuse(a, CB_EINVAL, "the attachment's gzip data is %s",
	    zr == Z_BUF_ERROR ? "cut short" : "corrupt");
}

/* The bytes the cloud stores for a gzip stub: digest, inflate, length. */
static int
take_encoded(struct atts_in *a, yyjson_val *root, yyjson_val *att,
    const struct file_type *ft, const unsigned char *gz, size_t len)
{
	unsigned char *b;
	size_t want, n;
	int rc;

	if ((rc = declared_length(a, att, 1, &want)) != CB_OK ||
	    (rc = stub_encoding(a, att)) != CB_OK)
		return rc;
	if (!a->ai_gzip)
		return refuse(a, CB_EINVAL, "not a gzip-stored attachment");
	if (len != (size_t)yyjson_get_uint(yyjson_obj_get(att,
	    "encoded_length")))
		return refuse(a, CB_EINVAL, "the attachment has %zu bytes as "
		    "stored, its encoded_length says %llu", len,
		    (unsigned long long)yyjson_get_uint(yyjson_obj_get(att,
		    "encoded_length")));
	if ((rc = check_digest(a, att, gz, len)) != CB_OK ||
	    (rc = gunzip_file(a, gz, len, &b, &n)) != CB_OK)
		return rc;
	/* CouchDB records an attachment uploaded already gzipped through
	 * the standalone API with its encoded length as "length" (it never
	 * saw the file's): the digest above vouches for those bytes. */
	if (n != want && want != len)
		rc = refuse(a, CB_EINVAL, "the attachment inflates to %zu "
		    "bytes, its length says %zu", n, want);
	else if ((rc = check_file(a, root, ft, b, n)) == CB_OK)
		rc = keep_bytes(a, root, b, n);
	free(b);
	return rc;
}

int
atts_from_encoded(const char *stub_json, size_t stub_len,
    const unsigned char *body, size_t len, int gzipped, struct atts_in *a)
{
	const struct file_type *ft = NULL;
	yyjson_val *root = NULL, *att = NULL;
	yyjson_doc *d;
	int rc;

	if ((rc = wire_doc(stub_json, stub_len, a, &d, &root)) != CB_OK)
		goto out;
	if (yyjson_obj_get(root, "_attachments") == NULL) {
		rc = refuse(a, CB_EINVAL, "no attachment");
		goto out;
	}
	if ((rc = the_attachment(a, root, &att, &ft)) != CB_OK)
		goto out;
	if (!yyjson_is_true(yyjson_obj_get(att, "stub")))
		rc = refuse(a, CB_EINVAL, "not a stub");
	else if (!gzipped)
		rc = refuse(a, CB_EINVAL, "a gzip-stored attachment came "
		    "decoded (no Content-Encoding: gzip): its digest is of the "
		    "stored bytes");
	else
		rc = take_encoded(a, root, att, ft, body, len);
out:
	yyjson_doc_free(d);
	return rc;
}

void
atts_in_free(struct atts_in *a)
{
	if (a->ai_json != NULL) {
		cb_wipe(a->ai_json, a->ai_len);
		free(a->ai_json);
	}
	a->ai_json = NULL;
}
