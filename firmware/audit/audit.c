/*
 * audit.c: the hash-chained login and operation logs (see audit.h and
 * docs/audit.md). Storage through store/kv.h, sealing through store/seal.h,
 * SHA-256 from mbedTLS.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "audit/audit.h"
#include "base/cb.h"
#include "base/utf8.h"
#include "store/kv.h"
#include "store/seal.h"

#define AUDIT_VERSION		1
#define AUDIT_NAME_MAX		15
#define AUDIT_LINK_LEN		(8 + 8 + AUDIT_HASH_LEN)
#define AUDIT_SEALED_MAX	(AUDIT_ENCODED_MAX + SEAL_OVERHEAD)
/* Entries are sealed with this constant as the "key" part of the
 * associated data, not the sequence number: a value moved to another
 * position still opens, so the chain (not the seal) names the reordering. */
#define AUDIT_AD_ENTRY		"entry"

struct audit_log {
	struct kv_env *al_env;
	kv_table al_entries;
	kv_table al_meta;
	struct seal *al_seal;
	struct keystore al_ks;
	struct clock *al_clock;
	char al_name[AUDIT_NAME_MAX + 1];
	char al_ad[AUDIT_NAME_MAX + 8];	/* "audit/<name>" */
};

/* ---- encoding ---- */

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static const size_t audit_str_max[6] = {
	AUDIT_MAX_ACTOR, AUDIT_MAX_ACTION, AUDIT_MAX_TARGET,
	AUDIT_MAX_RESULT, AUDIT_MAX_CLIENT, AUDIT_MAX_AGENT,
};

static char *
audit_str_field(struct audit_entry *e, int i)
{
	char *f[6] = { e->ae_actor, e->ae_action, e->ae_target, e->ae_result,
	    e->ae_client, e->ae_agent };
	return f[i];
}

static void
audit_hash(const uint8_t prev[AUDIT_HASH_LEN], const uint8_t *body,
    size_t len, uint8_t out[AUDIT_HASH_LEN])
{
	mbedtls_sha256_context ctx;

	mbedtls_sha256_init(&ctx);
	if (mbedtls_sha256_starts(&ctx, 0) != 0 ||
	    mbedtls_sha256_update(&ctx, prev, AUDIT_HASH_LEN) != 0 ||
	    mbedtls_sha256_update(&ctx, body, len) != 0 ||
	    mbedtls_sha256_finish(&ctx, out) != 0)
		fatalx("audit: SHA-256 failed");	/* software SHA cannot */
	mbedtls_sha256_free(&ctx);
}

size_t
audit_entry_encode(const struct audit_entry *e, uint8_t *out)
{
	struct audit_entry *me = (struct audit_entry *)(uintptr_t)e;
	size_t o = 0;

	out[o++] = AUDIT_VERSION;
	put_be(out + o, e->ae_seq, 8), o += 8;
	put_be(out + o, (uint64_t)e->ae_time_ms, 8), o += 8;
	out[o++] = e->ae_time_state;
	put_be(out + o, e->ae_error_ms, 4), o += 4;
	out[o++] = e->ae_kind;
	for (int i = 0; i < 6; i++) {
		const char *s = audit_str_field(me, i);
		size_t n = strnlen(s, audit_str_max[i]);

		put_be(out + o, n, 2), o += 2;
		memcpy(out + o, s, n), o += n;
	}
	memcpy(out + o, e->ae_prev_hash, AUDIT_HASH_LEN);
	return o + AUDIT_HASH_LEN;
}

static int
audit_str_valid(const uint8_t *s, size_t n)
{
	return cb_utf8_valid((const char *)s, n, CB_UTF8_LINE);
}

int
audit_entry_decode(const uint8_t *in, size_t len, struct audit_entry *e)
{
	size_t o = 1 + 8 + 8 + 1 + 4 + 1;

	memset(e, 0, sizeof(*e));
	if (len < o + AUDIT_HASH_LEN || len > AUDIT_ENCODED_MAX ||
	    in[0] != AUDIT_VERSION)
		return CB_EINVAL;
	e->ae_seq = get_be(in + 1, 8);
	e->ae_time_ms = (int64_t)get_be(in + 9, 8);
	e->ae_time_state = in[17];
	e->ae_error_ms = (uint32_t)get_be(in + 18, 4);
	e->ae_kind = in[22];
	if (e->ae_seq == 0 || e->ae_time_ms < 0 ||
	    e->ae_time_state > CLOCK_HTTPS_DATE ||
	    (e->ae_kind != AUDIT_KIND_LOGIN &&
	    e->ae_kind != AUDIT_KIND_OPERATION))
		return CB_EINVAL;
	for (int i = 0; i < 6; i++) {
		size_t n;

		if (len - o < 2 + AUDIT_HASH_LEN)
			return CB_EINVAL;
		n = (size_t)get_be(in + o, 2), o += 2;
		if (n > audit_str_max[i] || len - o < n + AUDIT_HASH_LEN ||
		    !audit_str_valid(in + o, n))
			return CB_EINVAL;
		memcpy(audit_str_field(e, i), in + o, n), o += n;
	}
	if (len - o != AUDIT_HASH_LEN)
		return CB_EINVAL;
	memcpy(e->ae_prev_hash, in + o, AUDIT_HASH_LEN);
	audit_hash(e->ae_prev_hash, in, o, e->ae_hash);
	return CB_OK;
}

const char *
audit_kind_name(int kind)
{
	return kind == AUDIT_KIND_LOGIN ? "login" :
	    kind == AUDIT_KIND_OPERATION ? "operation" : "?";
}

/* ---- sealed values ---- */

static int
audit_seal_put(struct audit_log *log, struct kv_txn *txn, kv_table t,
    const void *key, size_t klen, const char *ad_key, const uint8_t *val,
    size_t vlen)
{
	uint8_t buf[AUDIT_SEALED_MAX];
	int rc;

	if (vlen > AUDIT_ENCODED_MAX)
		return CB_ETOOBIG;
	if (log->al_seal == NULL)
		return CB_ESTATE;	/* crypto-erased */
	rc = seal_value(log->al_seal, log->al_ad, ad_key, strlen(ad_key), val,
	    vlen, buf);
	if (rc == 0)
		rc = kv_put(txn, t, key, klen, buf, vlen + SEAL_OVERHEAD);
	return rc;
}

/* Open a sealed value into out (room for AUDIT_ENCODED_MAX). CB_ECRYPTO
 * when it was altered or sealed under another key or log. */
static int
audit_unseal(struct audit_log *log, const struct kv_val *v,
    const char *ad_key, uint8_t *out, size_t *out_len)
{
	if (v->kv_len < SEAL_OVERHEAD || v->kv_len > AUDIT_SEALED_MAX ||
	    log->al_seal == NULL)
		return CB_ECRYPTO;
	return seal_unseal(log->al_seal, log->al_ad, ad_key, strlen(ad_key),
	    v->kv_data, v->kv_len, out, out_len);
}

static void
audit_seq_key(uint64_t seq, uint8_t key[8])
{
	put_be(key, seq, 8);
}

/* The head or anchor; a zero link when absent. CB_ECRYPTO when damaged. */
static int
audit_get_link(struct audit_log *log, struct kv_txn *txn, const char *name,
    struct audit_link *l)
{
	uint8_t buf[AUDIT_ENCODED_MAX];
	struct kv_val v;
	size_t n;
	int rc;

	memset(l, 0, sizeof(*l));
	rc = kv_get(txn, log->al_meta, name, strlen(name), &v);
	if (rc == CB_ENOTFOUND)
		return CB_OK;
	if (rc != 0)
		return rc;
	if (audit_unseal(log, &v, name, buf, &n) != 0 || n != AUDIT_LINK_LEN)
		return CB_ECRYPTO;
	l->al_seq = get_be(buf, 8);
	l->al_time_ms = (int64_t)get_be(buf + 8, 8);
	memcpy(l->al_hash, buf + 16, AUDIT_HASH_LEN);
	return CB_OK;
}

static int
audit_put_link(struct audit_log *log, struct kv_txn *txn, const char *name,
    const struct audit_link *l)
{
	uint8_t buf[AUDIT_LINK_LEN];

	put_be(buf, l->al_seq, 8);
	put_be(buf + 8, (uint64_t)l->al_time_ms, 8);
	memcpy(buf + 16, l->al_hash, AUDIT_HASH_LEN);
	return audit_seal_put(log, txn, log->al_meta, name, strlen(name),
	    name, buf, sizeof(buf));
}

/* Entry seq, opened and decoded; CB_ENOTFOUND when absent, CB_ECRYPTO when
 * it does not open, CB_EINVAL when it does not decode or is not seq. */
static int
audit_get(struct audit_log *log, struct kv_txn *txn, uint64_t seq,
    struct audit_entry *e)
{
	uint8_t key[8], buf[AUDIT_ENCODED_MAX];
	struct kv_val v;
	size_t n;
	int rc;

	audit_seq_key(seq, key);
	if ((rc = kv_get(txn, log->al_entries, key, 8, &v)) != 0)
		return rc;
	if (audit_unseal(log, &v, AUDIT_AD_ENTRY, buf, &n) != 0)
		return CB_ECRYPTO;
	if (audit_entry_decode(buf, n, e) != 0 || e->ae_seq != seq)
		return CB_EINVAL;
	return CB_OK;
}

/* ---- opening ---- */

static int
audit_load_key(struct audit_log *log, struct kv_txn *txn)
{
	uint8_t dek[SEAL_KEY_LEN], wrapped[SEAL_WRAPPED_LEN];
	struct keystore *ks = &log->al_ks;
	struct kv_val v;
	int rc;

	rc = kv_get(txn, log->al_meta, "dek", 3, &v);
	if (rc == CB_ENOTFOUND) {
		if ((rc = ks->ks_load_kek(ks, 1)) != 0 ||
		    (rc = seal_new_dek(dek)) != 0 ||
		    (rc = ks->ks_wrap(ks, dek, wrapped)) != 0 ||
		    (rc = kv_put(txn, log->al_meta, "dek", 3, wrapped,
		    sizeof(wrapped))) != 0)
			log_err("audit: cannot make the %s log's key",
			    log->al_name);
	} else if (rc == 0 && (v.kv_len != SEAL_WRAPPED_LEN ||
	    (rc = ks->ks_load_kek(ks, 0)) != 0 ||
	    (rc = ks->ks_unwrap(ks, v.kv_data, dek)) != 0)) {
		log_err("audit: the key of the %s log does not open: its kek "
		    "file is missing or replaced (restore it from backup)",
		    log->al_name);
		rc = CB_ECRYPTO;
	}
	if (rc == 0)
		rc = seal_new(&log->al_seal, dek);
	cb_wipe(dek, sizeof(dek));
	return rc;
}

static int
audit_setup(struct audit_log *log, const char *dir)
{
	struct kv_txn *txn;
	int rc;

	if ((rc = kv_open(&log->al_env, dir, AUDIT_MAP_SIZE)) != 0)
		return rc;
	if ((rc = kv_begin(log->al_env, 1, &txn)) != 0)
		return rc;
	if ((rc = kv_table_open(txn, "entries", &log->al_entries)) == 0 &&
	    (rc = kv_table_open(txn, "meta", &log->al_meta)) == 0 &&
	    (rc = audit_load_key(log, txn)) == 0)
		return kv_commit(txn);
	kv_abort(txn);
	return rc;
}

int
audit_open(struct audit_log **lp, const char *dir, const char *name,
    struct clock *clk, struct keystore *ks)
{
	struct audit_log *log;
	int rc;

	*lp = NULL;
	if (strlen(name) == 0 || strlen(name) > AUDIT_NAME_MAX)
		return CB_EINVAL;
	if ((log = calloc(1, sizeof(*log))) == NULL)
		return CB_ENOMEM;
	(void)cb_strlcpy(log->al_name, name, sizeof(log->al_name));
	(void)snprintf(log->al_ad, sizeof(log->al_ad), "audit/%s", name);
	log->al_clock = clk;
	if (ks != NULL)
		log->al_ks = *ks;
	else if ((rc = keystore_file_init(&log->al_ks, dir)) != 0) {
		free(log);
		return rc;
	}
	if ((rc = audit_setup(log, dir)) != 0) {
		log_err("audit: cannot open the %s log in %s: %s", name, dir,
		    cb_strerror(rc));
		audit_close(log);
		return rc;
	}
	*lp = log;
	return CB_OK;
}

void
audit_close(struct audit_log *log)
{
	if (log == NULL)
		return;
	seal_free(log->al_seal);
	kv_close(log->al_env);
	if (log->al_ks.ks_close != NULL)
		log->al_ks.ks_close(&log->al_ks);
	cb_wipe(log, sizeof(*log));
	free(log);
}

/* ---- appending ---- */

/* Copy a caller's string into a field: controls become '?', invalid UTF-8
 * becomes '?' byte by byte, and a long string is cut at a character
 * boundary. An attempt is logged whatever the client sent. */
static void
audit_clean_str(char *dst, size_t max, const char *src)
{
	size_t n = src != NULL ? strnlen(src, max + 1) : 0;

	if (n > max) {
		n = max;
		while (n > 0 && ((uint8_t)src[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = (uint8_t)src[i];

		dst[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	dst[n] = '\0';
	if (!cb_utf8_valid(dst, n, CB_UTF8_LINE))
		for (size_t i = 0; i < n; i++)
			if ((uint8_t)dst[i] >= 0x80)
				dst[i] = '?';
}

static int
audit_fill(struct audit_entry *e, const struct audit_record *r)
{
	const char *src[6] = { r->ar_actor, r->ar_action, r->ar_target,
	    r->ar_result, r->ar_client, r->ar_agent };

	if (r->ar_kind != AUDIT_KIND_LOGIN && r->ar_kind != AUDIT_KIND_OPERATION)
		return CB_EINVAL;
	e->ae_kind = (uint8_t)r->ar_kind;
	for (int i = 0; i < 6; i++)
		audit_clean_str(audit_str_field(e, i), audit_str_max[i],
		    src[i]);
	return CB_OK;
}

/* Chain one entry after *head inside txn and advance *head. */
static int
audit_put_entry(struct audit_log *log, struct kv_txn *txn,
    struct audit_entry *e, struct audit_link *head)
{
	uint8_t body[AUDIT_ENCODED_MAX], key[8];
	size_t n;

	e->ae_seq = head->al_seq + 1;
	memcpy(e->ae_prev_hash, head->al_hash, AUDIT_HASH_LEN);
	n = audit_entry_encode(e, body);
	audit_hash(e->ae_prev_hash, body, n - AUDIT_HASH_LEN, e->ae_hash);
	audit_seq_key(e->ae_seq, key);
	head->al_seq = e->ae_seq;
	head->al_time_ms = e->ae_time_ms;
	memcpy(head->al_hash, e->ae_hash, AUDIT_HASH_LEN);
	return audit_seal_put(log, txn, log->al_entries, key, 8,
	    AUDIT_AD_ENTRY, body, n);
}

/* The head, refusing to start a new chain over entries whose head is
 * gone: that would hide the damage instead of showing it. */
static int
audit_head_for_write(struct audit_log *log, struct kv_txn *txn,
    struct audit_link *head)
{
	struct kv_cursor *c;
	int rc;

	if ((rc = audit_get_link(log, txn, "head", head)) != 0 ||
	    head->al_seq != 0)
		return rc;
	if ((rc = kv_cursor_open(txn, log->al_entries, &c)) != 0)
		return rc;
	rc = kv_cursor_last(c, NULL, NULL);
	kv_cursor_close(c);
	if (rc == CB_ENOTFOUND)
		return CB_OK;
	log_err("audit: the %s log has entries but no chain head; run "
	    "`classbox audit verify`", log->al_name);
	return CB_ESTATE;
}

int
audit_append_batch(struct audit_log *log, const struct audit_record *r,
    size_t n, uint64_t *first_seq)
{
	struct audit_link head;
	struct clock_stamp st;
	struct kv_txn *txn;
	struct audit_entry e;
	int rc;

	if (log->al_clock == NULL || n == 0 || n > AUDIT_BATCH_MAX)
		return CB_EINVAL;
	if ((rc = clock_stamp(log->al_clock, &st)) != 0)
		return rc;
	if ((rc = kv_begin(log->al_env, 1, &txn)) != 0)
		return rc;
	if ((rc = audit_head_for_write(log, txn, &head)) != 0)
		goto out;
	if (first_seq != NULL)
		*first_seq = head.al_seq + 1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		memset(&e, 0, sizeof(e));
		if ((rc = audit_fill(&e, &r[i])) != 0)
			break;
		e.ae_time_state = (uint8_t)st.st_state;
		e.ae_time_ms = st.st_ms;
		e.ae_error_ms = st.st_error_ms;
		if (e.ae_time_ms < head.al_time_ms) {
			/* Held up by the chain: the error grows by the gap. */
			int64_t err = (int64_t)e.ae_error_ms +
			    (head.al_time_ms - e.ae_time_ms);
			e.ae_error_ms = err > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)err;
			e.ae_time_ms = head.al_time_ms;
		}
		rc = audit_put_entry(log, txn, &e, &head);
	}
	if (rc == 0)
		rc = audit_put_link(log, txn, "head", &head);
out:
	if (rc != 0) {
		kv_abort(txn);
		log_err("audit: cannot append to the %s log: %s",
		    log->al_name, cb_strerror(rc));
		return rc;
	}
	return kv_commit(txn);
}

int
audit_append(struct audit_log *log, const struct audit_record *r,
    uint64_t *seq_out)
{
	return audit_append_batch(log, r, 1, seq_out);
}

int
audit_head(struct audit_log *log, struct audit_link *head,
    struct audit_link *anchor)
{
	struct audit_link dummy;
	struct kv_txn *txn;
	int rc;

	if ((rc = kv_begin(log->al_env, 0, &txn)) != 0)
		return rc;
	rc = audit_get_link(log, txn, "head", head ? head : &dummy);
	if (rc == 0)
		rc = audit_get_link(log, txn, "anchor",
		    anchor ? anchor : &dummy);
	kv_abort(txn);
	return rc;
}

/* ---- verifying ---- */

struct audit_walk {
	uint64_t aw_expect;		/* the next sequence number */
	uint8_t aw_prev[AUDIT_HASH_LEN];
	int64_t aw_prev_time;
	uint64_t aw_anchor;
};

static void
audit_problem(struct audit_verify_result *out, enum audit_problem p,
    uint64_t seq, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
audit_problem(struct audit_verify_result *out, enum audit_problem p,
    uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	out->av_problem = p;
	out->av_seq = seq;
	va_start(ap, fmt);
	(void)vsnprintf(out->av_what, sizeof(out->av_what), fmt, ap);
	va_end(ap);
}

/* Check one stored entry against the walk so far. 0: fine, 1: broken. */
static int
audit_check_entry(struct audit_log *log, struct audit_walk *w,
    const struct kv_val *k, const struct kv_val *v,
    struct audit_verify_result *out)
{
	uint8_t buf[AUDIT_ENCODED_MAX];
	struct audit_entry e;
	uint64_t seq;
	size_t n;

	if (k->kv_len != 8) {
		audit_problem(out, AUDIT_CHANGED, w->aw_expect, "a key that is "
		    "not a sequence number follows entry %" PRIu64 " (added "
		    "outside the log)", w->aw_expect - 1);
		return 1;
	}
	seq = get_be(k->kv_data, 8);
	if (audit_unseal(log, v, AUDIT_AD_ENTRY, buf, &n) != 0) {
		audit_problem(out, AUDIT_CHANGED, seq, "entry %" PRIu64 " was "
		    "changed (its seal does not open: bytes altered)", seq);
		return 1;
	}
	if (audit_entry_decode(buf, n, &e) != 0) {
		audit_problem(out, AUDIT_CHANGED, seq, "entry %" PRIu64 " was "
		    "changed (it does not decode)", seq);
		return 1;
	}
	if (seq <= w->aw_anchor) {
		audit_problem(out, AUDIT_REORDERED, seq, "entry %" PRIu64 " is "
		    "at or before the purge anchor (entry %" PRIu64 "): put "
		    "back after a purge, or the anchor was changed", seq,
		    w->aw_anchor);
		return 1;
	}
	if (seq > w->aw_expect) {
		audit_problem(out, AUDIT_REMOVED, w->aw_expect, "entry %" PRIu64
		    " was removed (sequence gap: entries %" PRIu64 "-%" PRIu64
		    " are missing)", w->aw_expect, w->aw_expect, seq - 1);
		return 1;
	}
	if (e.ae_seq != seq) {
		audit_problem(out, AUDIT_REORDERED, seq, "entry %" PRIu64 " was "
		    "reordered (position %" PRIu64 " holds entry %" PRIu64 ")",
		    seq, seq, e.ae_seq);
		return 1;
	}
	if (memcmp(e.ae_prev_hash, w->aw_prev, AUDIT_HASH_LEN) != 0) {
		if (seq == w->aw_anchor + 1 && w->aw_anchor != 0)
			audit_problem(out, AUDIT_CHANGED, seq, "entry %" PRIu64
			    " was changed (hash mismatch with the purge "
			    "anchor)", seq);
		else if (seq == 1)
			audit_problem(out, AUDIT_CHANGED, seq, "entry 1 was "
			    "changed (hash mismatch: it does not start a "
			    "chain)");
		else
			audit_problem(out, AUDIT_CHANGED, seq - 1, "entry %"
			    PRIu64 " was changed (hash mismatch: entry %"
			    PRIu64 " recorded another hash for it)", seq - 1,
			    seq);
		return 1;
	}
	if (e.ae_time_ms < w->aw_prev_time) {
		audit_problem(out, AUDIT_REORDERED, seq, "entry %" PRIu64 " is "
		    "out of time order (older than the entry before it)", seq);
		return 1;
	}
	memcpy(w->aw_prev, e.ae_hash, AUDIT_HASH_LEN);
	w->aw_prev_time = e.ae_time_ms;
	w->aw_expect = seq + 1;
	return 0;
}

/* After the last entry: does the end match the chain head? */
static void
audit_check_end(const struct audit_walk *w, const struct audit_link *head,
    struct audit_verify_result *out)
{
	uint64_t last = w->aw_expect - 1;

	if (head->al_seq == 0 && last > w->aw_anchor)
		audit_problem(out, AUDIT_UNREADABLE, last, "the chain head is "
		    "missing (the log ends at entry %" PRIu64 ")", last);
	else if (head->al_seq > last)
		audit_problem(out, AUDIT_REMOVED, last + 1, "entry %" PRIu64
		    " was removed (the log ends at entry %" PRIu64 " but its "
		    "head is entry %" PRIu64 ")", last + 1, last, head->al_seq);
	else if (head->al_seq < last)
		audit_problem(out, AUDIT_CHANGED, head->al_seq + 1, "entry %"
		    PRIu64 " is past the chain head (entry %" PRIu64 "): added "
		    "outside the log, or the head was rolled back",
		    head->al_seq + 1, head->al_seq);
	else if (memcmp(head->al_hash, w->aw_prev, AUDIT_HASH_LEN) != 0)
		audit_problem(out, AUDIT_CHANGED, last, "entry %" PRIu64 " was "
		    "changed (hash mismatch with the chain head)", last);
}

static int
audit_walk(struct audit_log *log, struct kv_txn *txn, struct audit_walk *w,
    struct audit_verify_result *out)
{
	struct kv_cursor *c;
	struct kv_val k, v;
	int rc;

	if ((rc = kv_cursor_open(txn, log->al_entries, &c)) != 0)
		return rc;
	for (rc = kv_cursor_seek(c, NULL, 0, &k, &v); rc == 0;
	    rc = kv_cursor_next(c, &k, &v)) {
		if (audit_check_entry(log, w, &k, &v, out) != 0)
			break;
		out->av_entries++;
	}
	kv_cursor_close(c);
	return rc == CB_ENOTFOUND || rc == 0 ? CB_OK : rc;
}

int
audit_verify(struct audit_log *log, struct audit_verify_result *out)
{
	struct audit_link head, anchor;
	struct audit_walk w;
	struct kv_txn *txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = kv_begin(log->al_env, 0, &txn)) != 0)
		return rc;
	if (audit_get_link(log, txn, "head", &head) != 0) {
		audit_problem(out, AUDIT_UNREADABLE, 0, "the chain head was "
		    "changed (its seal does not open)");
		goto done;
	}
	if (audit_get_link(log, txn, "anchor", &anchor) != 0) {
		audit_problem(out, AUDIT_UNREADABLE, 0, "the purge anchor was "
		    "changed (its seal does not open)");
		goto done;
	}
	memset(&w, 0, sizeof(w));
	w.aw_anchor = anchor.al_seq;
	w.aw_expect = anchor.al_seq + 1;
	w.aw_prev_time = anchor.al_time_ms;
	memcpy(w.aw_prev, anchor.al_hash, AUDIT_HASH_LEN);
	if ((rc = audit_walk(log, txn, &w, out)) == 0 &&
	    out->av_problem == AUDIT_INTACT)
		audit_check_end(&w, &head, out);
done:
	kv_abort(txn);
	return rc;
}

/* ---- retention ---- */

/* Purge up to AUDIT_PURGE_BATCH entries in one commit. *done set when an
 * entry that must stay (or the end) was reached. */
static int
audit_purge_batch(struct audit_log *log, int64_t cutoff, uint64_t through,
    uint64_t *purged, int *done)
{
	struct audit_link anchor;
	struct audit_entry e;
	struct kv_txn *txn;
	uint8_t key[8];
	int rc, n = 0;

	if ((rc = kv_begin(log->al_env, 1, &txn)) != 0)
		return rc;
	if ((rc = audit_get_link(log, txn, "anchor", &anchor)) != 0)
		goto out;
	for (*done = 0; n < AUDIT_PURGE_BATCH && !*done; n++) {
		uint64_t seq = anchor.al_seq + 1;

		if (seq > through)
			break;
		if ((rc = audit_get(log, txn, seq, &e)) == CB_ENOTFOUND) {
			rc = CB_OK;	/* the end, or a gap verify reports */
			break;
		}
		if (rc != 0 || memcmp(e.ae_prev_hash, anchor.al_hash,
		    AUDIT_HASH_LEN) != 0) {
			/* Never destroy the evidence of a broken chain. */
			log_err("audit: the %s log's chain is broken at entry %"
			    PRIu64 "; not purging: run `classbox audit verify`",
			    log->al_name, seq);
			rc = CB_ESTATE;
			break;
		}
		if (e.ae_time_ms >= cutoff)
			break;
		audit_seq_key(seq, key);
		if ((rc = kv_del(txn, log->al_entries, key, 8)) != 0)
			break;
		anchor = (struct audit_link){ seq, e.ae_time_ms, { 0 } };
		memcpy(anchor.al_hash, e.ae_hash, AUDIT_HASH_LEN);
	}
	/* Left early (a break): nothing more to purge after this batch. */
	if (n < AUDIT_PURGE_BATCH)
		*done = 1;
	if (rc == 0 && n > 0)
		rc = audit_put_link(log, txn, "anchor", &anchor);
out:
	if (rc != 0 || n == 0) {
		kv_abort(txn);
		return rc;
	}
	if ((rc = kv_commit(txn)) == 0)
		*purged += (uint64_t)n;
	return rc;
}

int
audit_purge(struct audit_log *log, int64_t before_ms,
    uint64_t uploaded_through, uint64_t *purged_out)
{
	struct clock_stamp st;
	int64_t cutoff;
	uint64_t purged = 0;
	int rc, done = 0;

	if (purged_out != NULL)
		*purged_out = 0;
	if (log->al_clock == NULL)
		return CB_EINVAL;
	if ((rc = clock_stamp(log->al_clock, &st)) != 0)
		return rc;
	if (st.st_state != CLOCK_SYNCED) {
		log_warn("audit: not purging the %s log: the clock is %s",
		    log->al_name, clock_state_name(st.st_state));
		return CB_ESTATE;
	}
	cutoff = st.st_ms - AUDIT_RETENTION_MS;
	if (before_ms < cutoff)
		cutoff = before_ms;
	while (!done && rc == 0)
		rc = audit_purge_batch(log, cutoff, uploaded_through, &purged,
		    &done);
	if (purged_out != NULL)
		*purged_out = purged;
	return rc;
}

/* ---- the upload marker ---- */

/* The marker is sealed like the head, so only the key holder can move
 * it; 8 bytes big-endian. */
static int
audit_get_uploaded(struct audit_log *log, struct kv_txn *txn, uint64_t *seq)
{
	uint8_t buf[AUDIT_ENCODED_MAX];
	struct kv_val v;
	size_t n;
	int rc;

	*seq = 0;
	rc = kv_get(txn, log->al_meta, "uploaded", 8, &v);
	if (rc == CB_ENOTFOUND)
		return CB_OK;
	if (rc != 0)
		return rc;
	if (audit_unseal(log, &v, "uploaded", buf, &n) != 0 || n != 8)
		return CB_ECRYPTO;
	*seq = get_be(buf, 8);
	return CB_OK;
}

int
audit_uploaded(struct audit_log *log, uint64_t *seq)
{
	struct kv_txn *txn;
	int rc;

	if (log->al_seal == NULL)
		return CB_ESTATE;
	if ((rc = kv_begin(log->al_env, 0, &txn)) != 0)
		return rc;
	rc = audit_get_uploaded(log, txn, seq);
	kv_abort(txn);
	return rc;
}

int
audit_set_uploaded(struct audit_log *log, uint64_t seq)
{
	struct audit_link head;
	struct kv_txn *txn;
	uint8_t buf[8];
	uint64_t old;
	int rc;

	if (log->al_seal == NULL)
		return CB_ESTATE;
	if ((rc = kv_begin(log->al_env, 1, &txn)) != 0)
		return rc;
	if ((rc = audit_get_uploaded(log, txn, &old)) == 0 &&
	    (rc = audit_get_link(log, txn, "head", &head)) == 0) {
		if (seq > head.al_seq)
			rc = CB_EINVAL;		/* the cloud cannot have it */
		else if (seq < old)
			rc = CB_ESTATE;		/* never moves back */
	}
	if (rc == 0 && seq == old) {
		kv_abort(txn);
		return CB_OK;
	}
	put_be(buf, seq, 8);
	if (rc == 0)
		rc = audit_seal_put(log, txn, log->al_meta, "uploaded", 8,
		    "uploaded", buf, sizeof(buf));
	if (rc != 0) {
		kv_abort(txn);
		return rc;
	}
	return kv_commit(txn);
}

int
audit_purge_uploaded(struct audit_log *log, int64_t before_ms,
    uint64_t *purged_out)
{
	uint64_t through;
	int rc;

	if (purged_out != NULL)
		*purged_out = 0;
	if ((rc = audit_uploaded(log, &through)) != 0)
		return rc;
	if (through == 0)
		return CB_OK;		/* nothing is in the cloud yet */
	return audit_purge(log, before_ms, through, purged_out);
}

/* ---- termination ---- */

int
audit_crypto_erase(struct audit_log *log, struct audit_link *head)
{
	uint8_t junk[SEAL_WRAPPED_LEN];
	struct kv_txn *txn;
	int rc, rc2;

	if (head != NULL)
		memset(head, 0, sizeof(*head));
	if (log->al_seal == NULL)
		return CB_ESTATE;
	if (head != NULL)
		(void)audit_head(log, head, NULL);
	/* The wrapped key first (its old page may linger in the file until
	 * reused, hence the KEK next), then the KEK. */
	rc = cb_random(junk, sizeof(junk));
	if (rc == 0)
		rc = kv_begin(log->al_env, 1, &txn);
	if (rc == 0) {
		rc = kv_put(txn, log->al_meta, "dek", 3, junk, sizeof(junk));
		if (rc == 0)
			rc = kv_commit(txn);
		else
			kv_abort(txn);
	}
	if (rc == 0)
		rc = kv_sync(log->al_env);
	rc2 = log->al_ks.ks_erase(&log->al_ks);
	seal_free(log->al_seal);
	log->al_seal = NULL;
	if (rc != 0 || rc2 != 0) {
		log_err("audit: crypto-erase of the %s log incomplete: %s",
		    log->al_name, cb_strerror(rc ? rc : rc2));
		return rc ? rc : rc2;
	}
	log_info("audit: the %s log's key is destroyed", log->al_name);
	return CB_OK;
}

/* ---- queries ---- */

static int
audit_matches(const struct audit_query *q, const struct audit_entry *e)
{
	return (q->aq_actor == NULL || strcmp(q->aq_actor, e->ae_actor) == 0) &&
	    (q->aq_action == NULL || strcmp(q->aq_action, e->ae_action) == 0) &&
	    (q->aq_kind == 0 || q->aq_kind == e->ae_kind) &&
	    e->ae_time_ms >= q->aq_from_ms &&
	    (q->aq_to_ms == 0 || e->ae_time_ms < q->aq_to_ms);
}

/* The first seq in [lo, hi] whose time is >= t (hi + 1 when none). Times
 * never decrease along the chain, so this is a binary search. */
static int
audit_seek_time(struct audit_log *log, struct kv_txn *txn, uint64_t lo,
    uint64_t hi, int64_t t, uint64_t *out)
{
	struct audit_entry e;
	int rc;

	while (lo <= hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if ((rc = audit_get(log, txn, mid, &e)) != 0)
			return rc;
		if (e.ae_time_ms >= t)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	*out = lo;
	return CB_OK;
}

/* The first seq to look at, for a query without a cursor. */
static int
audit_query_start(struct audit_log *log, struct kv_txn *txn,
    const struct audit_query *q, uint64_t first, uint64_t last,
    uint64_t *start)
{
	int rc = CB_OK;

	if (q->aq_cursor != 0) {
		*start = q->aq_cursor;
	} else if (!q->aq_newest_first) {
		*start = first;
		if (q->aq_from_ms > 0)
			rc = audit_seek_time(log, txn, first, last,
			    q->aq_from_ms, start);
	} else {
		*start = last;
		if (q->aq_to_ms > 0 && (rc = audit_seek_time(log, txn, first,
		    last, q->aq_to_ms, start)) == 0)
			*start -= 1;	/* the last one before "to" */
	}
	return rc;
}

int
audit_query(struct audit_log *log, const struct audit_query *q,
    struct audit_entry *out, size_t *n_out, uint64_t *next_cursor)
{
	struct audit_link head, anchor;
	size_t limit = q->aq_limit, n = 0, scanned = 0;
	uint64_t seq = 0, first;
	struct kv_txn *txn;
	int rc, end = 0;

	*n_out = 0;
	*next_cursor = 0;
	if (limit == 0 || limit > AUDIT_QUERY_MAX_PAGE)
		limit = AUDIT_QUERY_MAX_PAGE;
	if ((rc = kv_begin(log->al_env, 0, &txn)) != 0)
		return rc;
	if ((rc = audit_get_link(log, txn, "head", &head)) != 0 ||
	    (rc = audit_get_link(log, txn, "anchor", &anchor)) != 0)
		goto out;
	first = anchor.al_seq + 1;
	if ((rc = audit_query_start(log, txn, q, first, head.al_seq, &seq)))
		goto out;
	while (n < limit && scanned < AUDIT_QUERY_MAX_SCAN) {
		if (seq < first || seq > head.al_seq) {
			end = 1;
			break;
		}
		if ((rc = audit_get(log, txn, seq, &out[n])) != 0)
			goto out;
		scanned++;
		if (q->aq_newest_first ? out[n].ae_time_ms < q->aq_from_ms :
		    (q->aq_to_ms != 0 && out[n].ae_time_ms >= q->aq_to_ms)) {
			end = 1;	/* past the time range: nothing after */
			break;
		}
		if (audit_matches(q, &out[n]))
			n++;
		seq = q->aq_newest_first ? seq - 1 : seq + 1;
	}
	if (!end && seq >= first && seq <= head.al_seq)
		*next_cursor = seq;
	*n_out = n;
out:
	kv_abort(txn);
	return rc;
}

int
audit_read(struct audit_log *log, uint64_t from, uint64_t through,
    struct audit_entry *out, size_t max, size_t *n_out,
    struct audit_link *head, struct audit_link *anchor)
{
	struct audit_link h, a;
	struct kv_txn *txn;
	size_t n = 0;
	int rc;

	*n_out = 0;
	if (max > AUDIT_QUERY_MAX_PAGE)
		max = AUDIT_QUERY_MAX_PAGE;
	if ((rc = kv_begin(log->al_env, 0, &txn)) != 0)
		return rc;
	if ((rc = audit_get_link(log, txn, "head", &h)) != 0 ||
	    (rc = audit_get_link(log, txn, "anchor", &a)) != 0)
		goto out;
	if (from <= a.al_seq)
		from = a.al_seq + 1;
	if (through == 0 || through > h.al_seq)
		through = h.al_seq;
	/* Bounded by max; a missing entry (purged meanwhile, or removed) is
	 * an error, never a silent gap. */
	for (uint64_t seq = from; n < max && seq <= through; seq++, n++)
		if ((rc = audit_get(log, txn, seq, &out[n])) != 0)
			goto out;
	*n_out = n;
	if (head != NULL)
		*head = h;
	if (anchor != NULL)
		*anchor = a;
out:
	kv_abort(txn);
	return rc;
}
