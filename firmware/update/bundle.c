/*
 * bundle.c: the update bundle's header and manifest, and the checks of its
 * signature chain and policy. No I/O; fuzzed (tests/fuzz/fuzz_bundle.c).
 *
 * The manifest is text in a fixed order so that exactly one byte string
 * means a given manifest: what was signed is what is parsed, there are no
 * duplicate keys to disagree about, and a reader can audit it with less.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>

#include "base/cb.h"
#include "update/bundle.h"

#define BUNDLE_LINE_MAX		512	/* the release-key line is the longest */
#define BUNDLE_ID_LINE		"classbox-bundle 1"
#define BUNDLE_CERT_PREFIX	"classbox-release-key 1\n"

static int
why_set(char *why, size_t why_size, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && why_size > 0) {
		va_start(ap, fmt);
		vsnprintf(why, why_size, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
bundle_header_parse(const uint8_t *buf, size_t len, struct bundle_layout *out,
    char *why, size_t why_size)
{
	memset(out, 0, sizeof(*out));
	if (len < BUNDLE_HEADER_LEN)
		return why_set(why, why_size, CB_EINVAL, "not a classbox "
		    "bundle: shorter than its header (%zu bytes)", len);
	if (memcmp(buf, BUNDLE_MAGIC, 8) != 0)
		return why_set(why, why_size, CB_EINVAL, "not a classbox "
		    "bundle (no CBBUNDLE magic)");
	if (be32(buf + 8) != BUNDLE_FORMAT)
		return why_set(why, why_size, CB_EINVAL, "bundle format %u is "
		    "not supported (this box reads format %d)", be32(buf + 8),
		    BUNDLE_FORMAT);
	out->bl_manifest_len = be32(buf + 12);
	out->bl_sig_len = be32(buf + 16);
	if (be32(buf + 20) != 0)
		return why_set(why, why_size, CB_EINVAL, "bundle header: "
		    "reserved field is not zero");
	if (out->bl_manifest_len == 0 ||
	    out->bl_manifest_len > BUNDLE_MANIFEST_MAX)
		return why_set(why, why_size, CB_ETOOBIG, "bundle manifest "
		    "length %u is outside 1..%d", out->bl_manifest_len,
		    BUNDLE_MANIFEST_MAX);
	if (out->bl_sig_len < 8 || out->bl_sig_len > BUNDLE_SIG_MAX)
		return why_set(why, why_size, CB_ETOOBIG, "bundle signature "
		    "length %u is outside 8..%d", out->bl_sig_len,
		    BUNDLE_SIG_MAX);
	out->bl_payload_off = (uint64_t)BUNDLE_HEADER_LEN +
	    out->bl_manifest_len + out->bl_sig_len;
	return CB_OK;
}

/* ---- hex and numbers ---------------------------------------------- */

void
bundle_hex(const uint8_t *in, size_t len, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
bundle_unhex(const char *in, size_t in_len, uint8_t *out, size_t len)
{
	if (in_len != 2 * len)
		return CB_EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return CB_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return CB_OK;
}

/* A decimal without sign or leading zeros, at most max. */
static int
parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return CB_EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CB_EINVAL;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return CB_EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return CB_OK;
}

/* ---- manifest lines ----------------------------------------------- */

struct mf_cursor {
	const char *mc_p, *mc_end;
	const char *mc_line;		/* the current line, without '\n' */
	size_t mc_len;
	unsigned mc_lineno;
	const char *mc_val;		/* after "key " */
	size_t mc_vlen;
};

/* The next line; 0 at the end of the text. */
static int
mf_next(struct mf_cursor *c)
{
	const char *nl;

	if (c->mc_p >= c->mc_end)
		return 0;
	nl = memchr(c->mc_p, '\n', (size_t)(c->mc_end - c->mc_p));
	c->mc_line = c->mc_p;
	c->mc_len = nl ? (size_t)(nl - c->mc_p) : (size_t)(c->mc_end - c->mc_p);
	c->mc_p = nl ? nl + 1 : c->mc_end;
	c->mc_lineno++;
	return nl ? 1 : -1;	/* -1: the last line has no newline */
}

/* 1 when the current line is "KEY value" (sets mc_val). */
static int
mf_key(struct mf_cursor *c, const char *key)
{
	size_t k = strlen(key);

	if (c->mc_len <= k + 1 || memcmp(c->mc_line, key, k) != 0 ||
	    c->mc_line[k] != ' ')
		return 0;
	c->mc_val = c->mc_line + k + 1;
	c->mc_vlen = c->mc_len - k - 1;
	return 1;
}

/* The value's n-th space-separated field. */
static int
mf_field(const struct mf_cursor *c, unsigned n, const char **f, size_t *flen)
{
	const char *p = c->mc_val, *end = c->mc_val + c->mc_vlen;

	for (unsigned i = 0;; i++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *fe = sp ? sp : end;

		if (fe == p)
			return CB_EINVAL;	/* empty field, double space */
		if (i == n) {
			*f = p;
			*flen = (size_t)(fe - p);
			return CB_OK;
		}
		if (sp == NULL)
			return CB_EINVAL;
		p = sp + 1;
	}
}

static int
mf_nfields(const struct mf_cursor *c)
{
	int n = 1;

	for (size_t i = 0; i < c->mc_vlen; i++)
		n += c->mc_val[i] == ' ';
	return n;
}

/* A token of printable ASCII without spaces (board, version). */
static int
mf_token(const struct mf_cursor *c, char *out, size_t out_size)
{
	if (c->mc_vlen == 0 || c->mc_vlen >= out_size)
		return CB_EINVAL;
	for (size_t i = 0; i < c->mc_vlen; i++)
		if (c->mc_val[i] <= ' ' || c->mc_val[i] > '~')
			return CB_EINVAL;
	memcpy(out, c->mc_val, c->mc_vlen);
	out[c->mc_vlen] = '\0';
	return CB_OK;
}

static int
mf_number(const struct mf_cursor *c, unsigned field, uint64_t max,
    uint64_t *out)
{
	const char *f;
	size_t n;

	if (mf_field(c, field, &f, &n) != CB_OK)
		return CB_EINVAL;
	return parse_u64(f, n, max, out);
}

static int
mf_hash(const struct mf_cursor *c, unsigned field, uint8_t *out)
{
	const char *f;
	size_t n;

	if (mf_field(c, field, &f, &n) != CB_OK)
		return CB_EINVAL;
	return bundle_unhex(f, n, out, BUNDLE_HASH_LEN);
}

#define MF_BAD(c, what) why_set(why, why_size, CB_EINVAL, \
	"bundle manifest line %u: %s", (c)->mc_lineno, (what))

/* "release-key SERIAL PUBHEX SIGHEX" */
static int
mf_release_key(struct mf_cursor *c, struct bundle_manifest *m)
{
	const char *f;
	size_t n;
	uint64_t v;

	if (mf_nfields(c) != 3 || mf_number(c, 0, UINT32_MAX, &v) != CB_OK ||
	    v == 0)
		return CB_EINVAL;
	m->bm_rel_serial = (uint32_t)v;
	if (mf_field(c, 1, &f, &n) != CB_OK ||
	    bundle_unhex(f, n, m->bm_rel_pub, BUNDLE_PUB_LEN) != CB_OK)
		return CB_EINVAL;
	if (mf_field(c, 2, &f, &n) != CB_OK || n % 2 != 0 ||
	    n / 2 > BUNDLE_SIG_MAX || n / 2 < 8 ||
	    bundle_unhex(f, n, m->bm_rel_sig, n / 2) != CB_OK)
		return CB_EINVAL;
	m->bm_rel_sig_len = n / 2;
	return CB_OK;
}

/* The header lines, up to and including key-floor. */
static int
mf_parse_head(struct mf_cursor *c, struct bundle_manifest *m, char *why,
    size_t why_size)
{
	uint64_t v;

	if (mf_next(c) != 1 || c->mc_len != strlen(BUNDLE_ID_LINE) ||
	    memcmp(c->mc_line, BUNDLE_ID_LINE, c->mc_len) != 0)
		return MF_BAD(c, "expected \"" BUNDLE_ID_LINE "\"");
	if (mf_next(c) != 1 || !mf_key(c, "board") ||
	    mf_token(c, m->bm_board, sizeof(m->bm_board)) != CB_OK)
		return MF_BAD(c, "expected \"board NAME\"");
	if (mf_next(c) != 1 || !mf_key(c, "version") ||
	    mf_token(c, m->bm_version, sizeof(m->bm_version)) != CB_OK)
		return MF_BAD(c, "expected \"version TEXT\" (1-63 printable "
		    "characters, no spaces)");
	if (mf_next(c) != 1 || !mf_key(c, "epoch") || mf_nfields(c) != 1 ||
	    mf_number(c, 0, UINT32_MAX, &v) != CB_OK)
		return MF_BAD(c, "expected \"epoch N\"");
	m->bm_epoch = (uint32_t)v;
	if (mf_next(c) != 1 || !mf_key(c, "signer"))
		return MF_BAD(c, "expected \"signer root|release\"");
	if (c->mc_vlen == 4 && memcmp(c->mc_val, "root", 4) == 0)
		m->bm_signer = BUNDLE_SIGNER_ROOT;
	else if (c->mc_vlen == 7 && memcmp(c->mc_val, "release", 7) == 0)
		m->bm_signer = BUNDLE_SIGNER_RELEASE;
	else
		return MF_BAD(c, "expected \"signer root|release\"");
	if (m->bm_signer == BUNDLE_SIGNER_RELEASE && (mf_next(c) != 1 ||
	    !mf_key(c, "release-key") || mf_release_key(c, m) != CB_OK))
		return MF_BAD(c, "expected \"release-key SERIAL PUBKEY "
		    "ROOTSIG\"");
	if (mf_next(c) != 1)
		return MF_BAD(c, "manifest ends early");
	if (mf_key(c, "key-floor")) {
		if (mf_nfields(c) != 1 ||
		    mf_number(c, 0, UINT32_MAX, &v) != CB_OK || v == 0)
			return MF_BAD(c, "expected \"key-floor N\" (N > 0)");
		m->bm_key_floor = (uint32_t)v;
		if (mf_next(c) != 1)
			return MF_BAD(c, "manifest ends early");
	}
	return CB_OK;
}

int
bundle_manifest_parse(const char *text, size_t len, struct bundle_manifest *m,
    char *why, size_t why_size)
{
	struct mf_cursor cur = { text, text + len, NULL, 0, 0, NULL, 0 };
	struct mf_cursor *c = &cur;
	uint64_t v, n;
	int rc;

	memset(m, 0, sizeof(*m));
	if (memchr(text, '\0', len) != NULL)
		return why_set(why, why_size, CB_EINVAL, "bundle manifest "
		    "contains a NUL byte");
	if ((rc = mf_parse_head(c, m, why, why_size)) != CB_OK)
		return rc;
	/* the current line is the one after the head */
	if (!mf_key(c, "image-size") || mf_nfields(c) != 1 ||
	    mf_number(c, 0, (uint64_t)BUNDLE_CHUNKS_MAX * BUNDLE_CHUNK_SIZE,
	    &v) != CB_OK || v == 0)
		return MF_BAD(c, "expected \"image-size N\" (1 byte to "
		    "256 MiB)");
	m->bm_image_size = v;
	m->bm_nchunks = (uint32_t)((v + BUNDLE_CHUNK_SIZE - 1) /
	    BUNDLE_CHUNK_SIZE);
	if (mf_next(c) != 1 || !mf_key(c, "chunk-size") ||
	    mf_number(c, 0, UINT32_MAX, &v) != CB_OK || mf_nfields(c) != 1 ||
	    v != BUNDLE_CHUNK_SIZE)
		return MF_BAD(c, "expected \"chunk-size 1048576\"");
	if (mf_next(c) != 1 || !mf_key(c, "kernel") || mf_nfields(c) != 1 ||
	    mf_hash(c, 0, m->bm_kernel) != CB_OK)
		return MF_BAD(c, "expected \"kernel SHA256\"");
	if (mf_next(c) != 1 || !mf_key(c, "initramfs") || mf_nfields(c) != 1 ||
	    mf_hash(c, 0, m->bm_initramfs) != CB_OK)
		return MF_BAD(c, "expected \"initramfs SHA256\"");
	for (uint32_t i = 0; i < m->bm_nchunks; i++) {
		if (mf_next(c) != 1 || !mf_key(c, "chunk") ||
		    mf_nfields(c) != 2 ||
		    mf_number(c, 0, UINT32_MAX, &n) != CB_OK || n != i ||
		    mf_hash(c, 1, m->bm_chunk[i]) != CB_OK)
			return why_set(why, why_size, CB_EINVAL, "bundle "
			    "manifest line %u: expected \"chunk %u SHA256\"",
			    c->mc_lineno, i);
	}
	if (mf_next(c) != 0)
		return MF_BAD(c, "unexpected line after the last chunk");
	return CB_OK;
}

/* ---- signatures --------------------------------------------------- */

int
bundle_sig_check(const uint8_t *pub, const void *msg, size_t len,
    const uint8_t *sig, size_t sig_len)
{
	mbedtls_ecdsa_context ec;
	uint8_t hash[BUNDLE_HASH_LEN];
	int ret;

	mbedtls_ecdsa_init(&ec);
	ret = mbedtls_ecp_group_load(&ec.MBEDTLS_PRIVATE(grp),
	    MBEDTLS_ECP_DP_SECP256R1);
	if (ret == 0)
		ret = mbedtls_ecp_point_read_binary(&ec.MBEDTLS_PRIVATE(grp),
		    &ec.MBEDTLS_PRIVATE(Q), pub, BUNDLE_PUB_LEN);
	if (ret == 0)
		ret = mbedtls_ecp_check_pubkey(&ec.MBEDTLS_PRIVATE(grp),
		    &ec.MBEDTLS_PRIVATE(Q));
	if (ret == 0)
		ret = mbedtls_sha256(msg, len, hash, 0);
	if (ret == 0)
		ret = mbedtls_ecdsa_read_signature(&ec, hash, sizeof(hash),
		    sig, sig_len);
	mbedtls_ecdsa_free(&ec);
	return ret == 0 ? CB_OK : CB_ECRYPTO;
}

int
bundle_release_cert_text(uint32_t serial, const uint8_t *pub, char *out,
    size_t out_size)
{
	char hex[2 * BUNDLE_PUB_LEN + 1];
	int n;

	bundle_hex(pub, BUNDLE_PUB_LEN, hex);
	n = snprintf(out, out_size, BUNDLE_CERT_PREFIX "serial %u\nkey %s\n",
	    serial, hex);
	return n > 0 && (size_t)n < out_size ? n : CB_ETOOBIG;
}

int
bundle_manifest_verify(const char *text, size_t len, const uint8_t *sig,
    size_t sig_len, const struct bundle_manifest *m,
    const struct bundle_policy *p, char *why, size_t why_size)
{
	const uint8_t *signer = p->bp_root_pub;
	char cert[BUNDLE_LINE_MAX];
	int n;

	if (m->bm_signer == BUNDLE_SIGNER_RELEASE) {
		n = bundle_release_cert_text(m->bm_rel_serial, m->bm_rel_pub,
		    cert, sizeof(cert));
		if (n < 0 || bundle_sig_check(p->bp_root_pub, cert,
		    (size_t)n, m->bm_rel_sig, m->bm_rel_sig_len) != CB_OK)
			return why_set(why, why_size, CB_ECRYPTO, "the release "
			    "key %u is not certified by this box's root key: "
			    "refused (a bundle for another product line, or "
			    "forged)", m->bm_rel_serial);
		signer = m->bm_rel_pub;
	}
	if (bundle_sig_check(signer, text, len, sig, sig_len) != CB_OK)
		return why_set(why, why_size, CB_ECRYPTO, "the bundle's "
		    "signature does not verify (%s key): refused; it was "
		    "changed or signed with another key",
		    m->bm_signer == BUNDLE_SIGNER_ROOT ? "root" : "release");
	if (m->bm_signer == BUNDLE_SIGNER_RELEASE &&
	    m->bm_rel_serial < p->bp_key_floor)
		return why_set(why, why_size, CB_EPERM, "release key %u was "
		    "retired (this box accepts keys from %u on): refused",
		    m->bm_rel_serial, p->bp_key_floor);
	if (m->bm_signer == BUNDLE_SIGNER_RELEASE &&
	    m->bm_key_floor > m->bm_rel_serial)
		return why_set(why, why_size, CB_EPERM, "release key %u may "
		    "not retire keys above itself (key-floor %u): refused",
		    m->bm_rel_serial, m->bm_key_floor);
	if (p->bp_board != NULL && strcmp(p->bp_board, m->bm_board) != 0)
		return why_set(why, why_size, CB_EPERM, "the bundle is for "
		    "board %s, this box is %s: refused", m->bm_board,
		    p->bp_board);
	if (m->bm_epoch < p->bp_epoch && !p->bp_allow_rollback)
		return why_set(why, why_size, CB_EPERM, "security epoch %u "
		    "is below this box's epoch %u (anti-rollback): refused; "
		    "a technician can override with --allow-rollback",
		    m->bm_epoch, p->bp_epoch);
	return CB_OK;
}
