/*
 * index.c: by-class, by-user and by-date indexes, and the table of which
 * field of which type feeds them.
 */
#include <stdio.h>
#include <string.h>

#include <yyjson.h>

#include "base/cb.h"
#include "store/index.h"

/* The fields each type declares for indexing. The types module (issue 3,
 * item 3) owns the types; this table is where one says what is findable. */
static const struct index_decl {
	const char *id_type;
	const char *id_field;
	enum index_kind id_kind;
} index_decls[] = {
	{ "attendance", "class_id", INDEX_BY_CLASS },
	{ "attendance", "student_id", INDEX_BY_USER },
	{ "attendance", "date", INDEX_BY_DATE },
	{ "absence_notice", "class_id", INDEX_BY_CLASS },
	{ "absence_notice", "student_id", INDEX_BY_USER },
	{ "absence_notice", "date", INDEX_BY_DATE },
	{ "announcement", "class_id", INDEX_BY_CLASS },
	{ "announcement", "date", INDEX_BY_DATE },
	{ "assignment", "class_id", INDEX_BY_CLASS },
	{ "assignment", "due_date", INDEX_BY_DATE },
	{ "submission", "class_id", INDEX_BY_CLASS },
	{ "submission", "student_id", INDEX_BY_USER },
	{ "membership", "class_id", INDEX_BY_CLASS },
	{ "membership", "user_id", INDEX_BY_USER },
	{ "guidance_note", "student_id", INDEX_BY_USER },
	{ "guidance_note", "date", INDEX_BY_DATE },
	/* sync's conflict records, by the type of the document in conflict
	 * (api/conflicts.c lists them): a type name is never a class id
	 * ("class:YYYY:code") nor "school", so they share that table. */
	{ "conflict_resolution", "doc_type", INDEX_BY_CLASS },
	/* api/notices.c: maintenance and incident notices, by last day */
	{ "notice", "until", INDEX_BY_DATE },
};

static int
id_value_valid(const char *s, size_t len)
{
	if (len == 0 || len > INDEX_VALUE_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
		    c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

/* YYYY-MM-DD, optionally followed by a time ("T..." or " ..."): the date
 * part is indexed. */
static int
date_value_valid(const char *s, size_t len)
{
	int month, day;

	if (len < 10 || (len > 10 && s[10] != 'T' && s[10] != ' '))
		return 0;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return 0;
		} else if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	month = (s[5] - '0') * 10 + (s[6] - '0');
	day = (s[8] - '0') * 10 + (s[9] - '0');
	return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

static int
index_add(struct index_set *out, const struct index_decl *d, yyjson_val *v,
    char *err, size_t es)
{
	const char *s = yyjson_get_str(v);
	size_t len = yyjson_get_len(v);
	struct index_entry *e;
	int ok;

	if (d->id_kind == INDEX_BY_DATE) {
		ok = s != NULL && date_value_valid(s, len);
		len = 10;
	} else
		ok = s != NULL && id_value_valid(s, len);
	if (!ok) {
		snprintf(err, es, "%s.%s must be %s", d->id_type, d->id_field,
		    d->id_kind == INDEX_BY_DATE ? "a date YYYY-MM-DD" :
		    "an id of letters, digits and ._:- (at most 64)");
		return CB_EINVAL;
	}
	if (out->is_n >= INDEX_MAX_PER_DOC)
		return CB_ETOOBIG;
	e = &out->is_e[out->is_n++];
	e->ie_kind = (uint8_t)d->id_kind;
	e->ie_len = (uint8_t)len;
	memcpy(e->ie_value, s, len);
	e->ie_value[len] = 0;
	return CB_OK;
}

int
index_entries(const char *body, size_t bodylen, struct index_set *out,
    char *err, size_t es)
{
	yyjson_doc *doc;
	yyjson_val *root, *type;
	int rc = CB_OK;

	memset(out, 0, sizeof(*out));
	doc = yyjson_read(body, bodylen, 0);
	if (doc == NULL)
		return CB_EINVAL;
	root = yyjson_doc_get_root(doc);
	type = yyjson_obj_get(root, "type");
	for (size_t i = 0; i < CB_ARRAY_LEN(index_decls) && rc == 0; i++) {
		const struct index_decl *d = &index_decls[i];
		yyjson_val *v;
		if (!yyjson_equals_str(type, d->id_type))
			continue;
		if ((v = yyjson_obj_get(root, d->id_field)) != NULL &&
		    !yyjson_is_null(v))
			rc = index_add(out, d, v, err, es);
	}
	yyjson_doc_free(doc);
	return rc;
}

static size_t
index_key(uint8_t key[KV_MAX_KEY], const char *value, size_t vlen,
    const char *id, size_t idlen)
{
	memcpy(key, value, vlen);
	key[vlen] = 0;
	memcpy(key + vlen + 1, id, idlen);
	return vlen + 1 + idlen;
}

int
index_apply(struct kv_txn *txn, const kv_table tables[INDEX_COUNT],
    const char *id, size_t idlen, const struct index_set *old,
    const struct index_set *neu)
{
	uint8_t key[KV_MAX_KEY];
	size_t klen;
	int rc;

	/* INDEX_VALUE_MAX + 1 + DOC_ID_MAX fits an LMDB key. */
	_Static_assert(INDEX_VALUE_MAX + 1 + DOC_ID_MAX <= KV_MAX_KEY,
	    "index keys must fit LMDB's key size");
	for (uint8_t i = 0; old != NULL && i < old->is_n; i++) {
		const struct index_entry *e = &old->is_e[i];
		klen = index_key(key, e->ie_value, e->ie_len, id, idlen);
		rc = kv_del(txn, tables[e->ie_kind], key, klen);
		if (rc != 0 && rc != CB_ENOTFOUND)
			return rc;
	}
	for (uint8_t i = 0; neu != NULL && i < neu->is_n; i++) {
		const struct index_entry *e = &neu->is_e[i];
		klen = index_key(key, e->ie_value, e->ie_len, id, idlen);
		if ((rc = kv_put(txn, tables[e->ie_kind], key, klen, "", 0)))
			return rc;
	}
	return CB_OK;
}

size_t
index_set_encoded_size(const struct index_set *s)
{
	size_t n = 1;

	for (uint8_t i = 0; i < s->is_n; i++)
		n += 2 + s->is_e[i].ie_len;
	return n;
}

void
index_set_encode(const struct index_set *s, uint8_t *out)
{
	*out++ = s->is_n;
	for (uint8_t i = 0; i < s->is_n; i++) {
		*out++ = s->is_e[i].ie_kind;
		*out++ = s->is_e[i].ie_len;
		memcpy(out, s->is_e[i].ie_value, s->is_e[i].ie_len);
		out += s->is_e[i].ie_len;
	}
}

int
index_set_decode(struct index_set *s, const uint8_t *in, size_t len,
    size_t *used)
{
	size_t off = 1;

	memset(s, 0, sizeof(*s));
	if (len < 1 || in[0] > INDEX_MAX_PER_DOC)
		return CB_EINVAL;
	s->is_n = in[0];
	for (uint8_t i = 0; i < s->is_n; i++) {
		struct index_entry *e = &s->is_e[i];
		if (len - off < 2 || in[off] >= INDEX_COUNT ||
		    in[off + 1] > INDEX_VALUE_MAX || in[off + 1] == 0 ||
		    len - off - 2 < in[off + 1])
			return CB_EINVAL;
		e->ie_kind = in[off];
		e->ie_len = in[off + 1];
		memcpy(e->ie_value, in + off + 2, e->ie_len);
		e->ie_value[e->ie_len] = 0;
		off += 2 + e->ie_len;
	}
	*used = off;
	return CB_OK;
}

/* Split a key into value and id; 0 when it does not parse. */
static int
split_key(const struct kv_val *k, struct index_hit *h)
{
	const char *p = k->kv_data, *nul = memchr(p, 0, k->kv_len);
	size_t vlen, idlen;

	if (nul == NULL)
		return 0;
	vlen = (size_t)(nul - p);
	idlen = k->kv_len - vlen - 1;
	if (vlen > INDEX_VALUE_MAX || idlen == 0 || idlen > DOC_ID_MAX)
		return 0;
	memcpy(h->ih_value, p, vlen);
	h->ih_value[vlen] = 0;
	memcpy(h->ih_id, nul + 1, idlen);
	h->ih_id[idlen] = 0;
	return 1;
}

/* The key to seek to: just after the cursor, or at from + id prefix. */
static int
scan_start(const struct index_query *q, uint8_t key[KV_MAX_KEY + 1],
    size_t *klen)
{
	size_t n;

	if (q->iq_after != NULL && q->iq_after[0] != 0) {
		if (cb_b64url_decode(q->iq_after, strlen(q->iq_after), key,
		    KV_MAX_KEY, &n) != 0 || n == 0 || memchr(key, 0, n) == NULL)
			return CB_EINVAL;
		key[n++] = 0;	/* the smallest key after the cursor's */
		*klen = n;
		return CB_OK;
	}
	n = strlen(q->iq_from);
	if (n > INDEX_VALUE_MAX)
		return CB_EINVAL;
	memcpy(key, q->iq_from, n);
	key[n++] = 0;
	if (q->iq_id_prefix != NULL) {
		size_t pl = strlen(q->iq_id_prefix);
		if (pl > DOC_ID_MAX)
			return CB_EINVAL;
		memcpy(key + n, q->iq_id_prefix, pl);
		n += pl;
	}
	*klen = n;
	return CB_OK;
}

static void
scan_cursor(const struct kv_val *k, char next[INDEX_CURSOR_MAX])
{
	if (cb_b64url_encode(k->kv_data, k->kv_len, next,
	    INDEX_CURSOR_MAX) != 0)
		next[0] = 0;
}

/* Where to go when a key's id lacks the prefix: to the prefix within the
 * same value, or past the value. */
static size_t
scan_skip(const struct index_hit *h, const char *prefix, uint8_t *key)
{
	size_t vl = strlen(h->ih_value), pl = strlen(prefix);

	memcpy(key, h->ih_value, vl);
	if (strncmp(h->ih_id, prefix, pl) < 0) {
		key[vl] = 0;
		memcpy(key + vl + 1, prefix, pl);
		return vl + 1 + pl;
	}
	key[vl] = 1;
	return vl + 1;
}

int
index_scan(struct kv_txn *txn, kv_table table, const struct index_query *q,
    struct index_hit *hits, size_t *nhits, char next[INDEX_CURSOR_MAX])
{
	const char *to = q->iq_to != NULL ? q->iq_to : q->iq_from;
	uint8_t key[KV_MAX_KEY + 1];
	struct kv_cursor *c;
	struct kv_val k;
	size_t klen, n = 0, steps = 0;
	int rc;

	*nhits = 0;
	next[0] = 0;
	if (q->iq_from == NULL || q->iq_limit == 0 ||
	    q->iq_limit > INDEX_SCAN_MAX)
		return CB_EINVAL;
	if ((rc = scan_start(q, key, &klen)) != 0)
		return rc;
	if ((rc = kv_cursor_open(txn, table, &c)) != 0)
		return rc;
	rc = kv_cursor_seek(c, key, klen, &k, NULL);
	while (rc == 0) {
		struct index_hit *h = &hits[n];
		if (!split_key(&k, h) || strcmp(h->ih_value, to) > 0)
			break;
		if (++steps > INDEX_SCAN_STEPS) {
			scan_cursor(&k, next);	/* a long skip: resume later */
			break;
		}
		if (q->iq_id_prefix != NULL && strncmp(h->ih_id,
		    q->iq_id_prefix, strlen(q->iq_id_prefix)) != 0) {
			klen = scan_skip(h, q->iq_id_prefix, key);
			rc = kv_cursor_seek(c, key, klen, &k, NULL);
			continue;
		}
		if (++n == q->iq_limit) {
			scan_cursor(&k, next);
			break;
		}
		rc = kv_cursor_next(c, &k, NULL);
	}
	kv_cursor_close(c);
	*nhits = n;
	return rc == CB_ENOTFOUND ? CB_OK : rc;
}
