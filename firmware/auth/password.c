/*
 * password.c: Argon2id hashing through libargon2 (argon2_ctx, with our own
 * PHC encoding and an optional pre-touched arena). The policy and initial
 * passwords are in password_policy.c. No I/O; the only state is the
 * per-thread arena on loan during one argon2_ctx call: safe to call from
 * any thread.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <argon2.h>

#include "base/cb.h"
#include "base/utf8.h"
#include "auth/authproto.h"
#include "auth/password.h"

/* --- PHC strings --- */

/* libargon2's alphabet: standard base64, written without padding. */
static const char password_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Length of the unpadded base64 of n bytes. */
static size_t
b64_len(size_t n)
{
	return (n * 4 + 2) / 3;
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Write the base64 of in[0..len) at out (b64_len(len) chars, no NUL). */
static size_t
b64_put(const uint8_t *in, size_t len, char *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = password_b64[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = password_b64[(acc << (6 - bits)) & 63];
	assert(o == b64_len(len));
	return o;
}

/* A cursor over the PHC string being decoded. */
struct phc_reader {
	const char *r_s;
	size_t r_len;
	size_t r_off;
};

static int
rd_lit(struct phc_reader *r, const char *lit)
{
	size_t n = strlen(lit);

	if (r->r_len - r->r_off < n || memcmp(r->r_s + r->r_off, lit, n) != 0)
		return CB_EINVAL;
	r->r_off += n;
	return 0;
}

/* A decimal in min..max without leading zeros (libargon2 writes none). */
static int
rd_u32(struct phc_reader *r, uint32_t min, uint32_t max, uint32_t *v)
{
	size_t start = r->r_off;
	uint64_t acc = 0;

	while (r->r_off < r->r_len && r->r_s[r->r_off] >= '0' &&
	    r->r_s[r->r_off] <= '9') {
		acc = acc * 10 + (uint64_t)(r->r_s[r->r_off] - '0');
		r->r_off++;
		if (acc > max)		/* also bounds the loop */
			return CB_EINVAL;
	}
	if (r->r_off == start || (r->r_s[start] == '0' && r->r_off > start + 1)
	    || acc < min)
		return CB_EINVAL;
	*v = (uint32_t)acc;
	return 0;
}

/* Canonical unpadded base64 of min..max bytes, up to the next character
 * outside the alphabet: the bits past the last byte must be zero, as
 * libargon2 requires. */
static int
rd_b64(struct phc_reader *r, uint8_t *out, size_t min, size_t max,
    size_t *out_len)
{
	size_t start = r->r_off, n, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	while (r->r_off < r->r_len && b64_value(r->r_s[r->r_off]) >= 0)
		r->r_off++;
	n = r->r_off - start;
	if (n % 4 == 1 || n * 3 / 4 < min || n * 3 / 4 > max)
		return CB_EINVAL;
	for (size_t i = start; i < r->r_off; i++) {
		acc = (acc << 6) | (uint32_t)b64_value(r->r_s[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	assert(o == n * 3 / 4 && bits < 6);
	if ((acc & ((1u << bits) - 1)) != 0)
		return CB_EINVAL;
	*out_len = o;
	return 0;
}

int
password_phc_decode(const char *s, size_t len, struct password_phc *out)
{
	struct phc_reader r = { .r_s = s, .r_len = len, .r_off = 0 };
	struct password_phc h;

	assert(s != NULL && out != NULL);
	memset(&h, 0, sizeof(h));
	memset(out, 0, sizeof(*out));
	if (len >= PASSWORD_PHC_MAX ||
	    rd_lit(&r, "$argon2id$v=19$m=") != 0 ||
	    rd_u32(&r, PASSWORD_PHC_M_MIN_KIB, PASSWORD_PHC_M_MAX_KIB,
	    &h.ph_m_kib) != 0 ||
	    rd_lit(&r, ",t=") != 0 ||
	    rd_u32(&r, 1, PASSWORD_PHC_T_MAX, &h.ph_t) != 0 ||
	    rd_lit(&r, ",p=") != 0 ||
	    rd_u32(&r, 1, PASSWORD_PHC_P_MAX, &h.ph_p) != 0 ||
	    rd_lit(&r, "$") != 0 ||
	    rd_b64(&r, h.ph_salt, PASSWORD_PHC_SALT_MIN, PASSWORD_PHC_SALT_MAX,
	    &h.ph_salt_len) != 0 ||
	    rd_lit(&r, "$") != 0 ||
	    rd_b64(&r, h.ph_hash, PASSWORD_PHC_HASH_MIN, PASSWORD_PHC_HASH_MAX,
	    &h.ph_hash_len) != 0 ||
	    r.r_off != r.r_len ||
	    h.ph_m_kib < PASSWORD_PHC_M_MIN_KIB * h.ph_p) {
		cb_wipe(&h, sizeof(h));
		return CB_EINVAL;
	}
	*out = h;
	cb_wipe(&h, sizeof(h));
	return 0;
}

static int
phc_in_bounds(const struct password_phc *h)
{
	return h->ph_m_kib >= PASSWORD_PHC_M_MIN_KIB * h->ph_p &&
	    h->ph_m_kib <= PASSWORD_PHC_M_MAX_KIB &&
	    h->ph_t >= 1 && h->ph_t <= PASSWORD_PHC_T_MAX &&
	    h->ph_p >= 1 && h->ph_p <= PASSWORD_PHC_P_MAX &&
	    h->ph_salt_len >= PASSWORD_PHC_SALT_MIN &&
	    h->ph_salt_len <= PASSWORD_PHC_SALT_MAX &&
	    h->ph_hash_len >= PASSWORD_PHC_HASH_MIN &&
	    h->ph_hash_len <= PASSWORD_PHC_HASH_MAX;
}

int
password_phc_encode(const struct password_phc *h, char *out, size_t out_size)
{
	size_t o;
	int n;

	assert(h != NULL && out != NULL && out_size > 0);
	out[0] = '\0';
	if (!phc_in_bounds(h))
		return CB_EINVAL;
	n = snprintf(out, out_size, "$argon2id$v=%d$m=%u,t=%u,p=%u$",
	    ARGON2_VERSION_13, (unsigned)h->ph_m_kib, (unsigned)h->ph_t,
	    (unsigned)h->ph_p);
	if (n < 0 || (size_t)n + b64_len(h->ph_salt_len) + 1 +
	    b64_len(h->ph_hash_len) >= out_size) {
		out[0] = '\0';
		return CB_ETOOBIG;
	}
	o = (size_t)n;
	o += b64_put(h->ph_salt, h->ph_salt_len, out + o);
	out[o++] = '$';
	o += b64_put(h->ph_hash, h->ph_hash_len, out + o);
	out[o] = '\0';
	return 0;
}

/* --- Argon2id in an arena --- */

#define PASSWORD_ARGON2_BLOCK	1024	/* libargon2's block: m counts them */

struct password_arena {
	uint8_t *pa_mem;		/* pa_size bytes, every page written */
	size_t pa_size;
	int pa_lent;			/* libargon2 holds it now */
};

/*
 * The arena lent to the argon2_ctx call under way on this thread.
 * libargon2's allocate_cbk/free_cbk take no user argument, so this is the
 * only road from password_argon2 to them, and the one exception to "no
 * global mutable state": it is per thread, set just before argon2_ctx and
 * cleared just after, and with ctx.threads = 1 libargon2 allocates and
 * frees on the calling thread.
 */
static _Thread_local struct password_arena *password_arena_on_loan;

static int
arena_lend(uint8_t **memory, size_t bytes)
{
	struct password_arena *a = password_arena_on_loan;

	*memory = NULL;
	if (a == NULL || a->pa_lent || bytes > a->pa_size)
		return ARGON2_MEMORY_ALLOCATION_ERROR;
	a->pa_lent = 1;
	*memory = a->pa_mem;
	return ARGON2_OK;
}

/* libargon2 has wiped the blocks already (clear_internal_memory). */
static void
arena_return(uint8_t *memory, size_t bytes)
{
	struct password_arena *a = password_arena_on_loan;

	(void)bytes;
	assert(memory == NULL || (a != NULL && memory == a->pa_mem));
	if (a != NULL && memory == a->pa_mem)
		a->pa_lent = 0;
}

int
password_arena_new(struct password_arena **out)
{
	struct password_arena *a;
	long page = sysconf(_SC_PAGESIZE);
	void *mem;

	*out = NULL;
	if (page <= 0)
		page = 4096;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return CB_ENOMEM;
	a->pa_size = (size_t)PASSWORD_ARGON2_M_KIB * PASSWORD_ARGON2_BLOCK;
	mem = mmap(NULL, a->pa_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED) {
		free(a);
		return CB_ENOMEM;
	}
	a->pa_mem = mem;
	/* Write every page: MAP_POPULATE is only a hint, and a page never
	 * written may still be the shared zero page. Non-zero, so that no
	 * compiler turns this into a calloc-like no-op. */
	for (size_t off = 0; off < a->pa_size; off += (size_t)page)
		((volatile uint8_t *)a->pa_mem)[off] = 0xa5;
	*out = a;
	return 0;
}

void
password_arena_free(struct password_arena *a)
{
	if (a == NULL)
		return;
	assert(!a->pa_lent);
	munmap(a->pa_mem, a->pa_size);
	free(a);
}

/* Argon2id of pw with h's parameters and salt into out[0..h->ph_hash_len),
 * in a's memory when it is large enough, else in memory libargon2
 * allocates. */
static int
password_argon2(struct password_arena *a, const char *pw,
    const struct password_phc *h, uint8_t *out)
{
	argon2_context ctx;
	size_t pwlen = strnlen(pw, AUTH_PASSWORD_MAX), need;
	int rc;

	assert(phc_in_bounds(h));
	if (pwlen >= AUTH_PASSWORD_MAX)
		return CB_EPWLONG;
	memset(&ctx, 0, sizeof(ctx));
	ctx.out = out;
	ctx.outlen = (uint32_t)h->ph_hash_len;
	ctx.pwd = (uint8_t *)(uintptr_t)pw;	/* not written: flags are 0 */
	ctx.pwdlen = (uint32_t)pwlen;
	ctx.salt = (uint8_t *)(uintptr_t)h->ph_salt;
	ctx.saltlen = (uint32_t)h->ph_salt_len;
	ctx.t_cost = h->ph_t;
	ctx.m_cost = h->ph_m_kib;
	ctx.lanes = h->ph_p;
	ctx.threads = 1;	/* lanes in turn, on this thread */
	ctx.version = ARGON2_VERSION_13;
	ctx.flags = ARGON2_DEFAULT_FLAGS;
	/* argon2_ctx rounds m down to a multiple of 4 * p, never up past
	 * m (which the decoder keeps >= 8 * p). */
	need = (size_t)h->ph_m_kib * PASSWORD_ARGON2_BLOCK;
	if (a != NULL && need <= a->pa_size) {
		ctx.allocate_cbk = arena_lend;
		ctx.free_cbk = arena_return;
		password_arena_on_loan = a;
	}
	rc = argon2_ctx(&ctx, Argon2_id);
	password_arena_on_loan = NULL;
	if (a != NULL)
		a->pa_lent = 0;		/* even if libargon2 failed midway */
	if (rc != ARGON2_OK) {
		log_err("password: argon2id failed: %s",
		    argon2_error_message(rc));
		cb_wipe(out, h->ph_hash_len);
		return CB_ECRYPTO;
	}
	return 0;
}

int
password_hash_arena(struct password_arena *a, const char *pw, char *phc,
    size_t phc_size)
{
	struct password_phc h = {
		.ph_m_kib = PASSWORD_ARGON2_M_KIB, .ph_t = PASSWORD_ARGON2_T,
		.ph_p = PASSWORD_ARGON2_P, .ph_salt_len = PASSWORD_SALT_LEN,
		.ph_hash_len = PASSWORD_HASH_LEN,
	};
	int rc;

	assert(pw != NULL && phc != NULL);
	if (phc_size < PASSWORD_PHC_MAX)
		return CB_ETOOBIG;
	phc[0] = '\0';
	if ((rc = cb_random(h.ph_salt, h.ph_salt_len)) == 0 &&
	    (rc = password_argon2(a, pw, &h, h.ph_hash)) == 0)
		rc = password_phc_encode(&h, phc, phc_size);
	cb_wipe(&h, sizeof(h));
	return rc;
}

int
password_verify_arena(struct password_arena *a, const char *phc,
    const char *pw)
{
	struct password_phc h;
	uint8_t out[PASSWORD_PHC_HASH_MAX];
	int rc;

	assert(phc != NULL && pw != NULL);
	if (password_phc_decode(phc, strnlen(phc, PASSWORD_PHC_MAX), &h) != 0)
		return CB_EINVAL;
	rc = password_argon2(a, pw, &h, out);
	if (rc == 0 && cb_memeq_ct(out, h.ph_hash, h.ph_hash_len) != 0)
		rc = CB_EAUTH;
	cb_wipe(out, sizeof(out));
	cb_wipe(&h, sizeof(h));
	return rc;
}

int
password_hash(const char *pw, char *phc, size_t phc_size)
{
	return password_hash_arena(NULL, pw, phc, phc_size);
}

int
password_verify(const char *phc, const char *pw)
{
	return password_verify_arena(NULL, phc, pw);
}

int
password_needs_rehash(const char *phc)
{
	struct password_phc h;
	int stale;

	if (password_phc_decode(phc, strnlen(phc, PASSWORD_PHC_MAX), &h) != 0)
		return 1;
	stale = h.ph_m_kib != PASSWORD_ARGON2_M_KIB ||
	    h.ph_t != PASSWORD_ARGON2_T || h.ph_p != PASSWORD_ARGON2_P ||
	    h.ph_salt_len != PASSWORD_SALT_LEN ||
	    h.ph_hash_len != PASSWORD_HASH_LEN;
	cb_wipe(&h, sizeof(h));
	return stale;
}
