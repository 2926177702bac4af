/*
 * tpm.c: the TPM 2.0 commands we speak (CreatePrimary, StartAuthSession,
 * PolicyPCR, Create, Load, Unseal, PCR_Read, PCR_Extend, FlushContext),
 * each built, sent, and its answer parsed strictly.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/sha256.h>

#include "base/cb.h"
#include "tpm/io.h"
#include "tpm/parse.h"
#include "tpm/session.h"
#include "tpm/tpm.h"

#define TPM_RC_RETRY	0x922u
#define TPM_RC_YIELDED	0x908u
#define TPM_RC_TESTING	0x90Au
#define TPM_RC_FMT1	0x080u
#define TPM_RC_BAD_AUTH	(TPM_RC_FMT1 + 0x022u)
#define TPM_RC_AUTH_FAIL (TPM_RC_FMT1 + 0x00Eu)
#define TPM_RC_INTEGRITY (TPM_RC_FMT1 + 0x01Fu)
#define TPM_RC_POLICY_FAIL (TPM_RC_FMT1 + 0x01Du)
#define TPM_RC_VALUE	(TPM_RC_FMT1 + 0x004u)
#define TPM_RC_OBJECT_MEMORY	0x902u
#define TPM_RC_SESSION_MEMORY	0x903u
#define TPM_RC_LOCKOUT	0x921u
#define TPM_RC_INITIALIZE 0x100u
#define TPM_PW_AUTH_LEN	9	/* TPM_RS_PW, empty nonce, attrs, empty HMAC */

struct tpm {
	struct tpm_io t_io;
	uint32_t t_last_rc;
	char t_err[TPM_ERROR_MAX];
	uint8_t t_cmd[TPM_CMD_MAX];
	uint8_t t_rsp[TPM_RSP_MAX];
	uint8_t t_params[TPM_CMD_MAX];	/* a command's parameters, built
					 * before its session is computed */
};

/* One command: its code, handles (with names for the cpHash) and
 * parameters, and how many handles its response carries. */
struct tpm_call {
	const char *tc_what;		/* for messages: "CreatePrimary" */
	uint32_t tc_cc;
	int tc_nhandles;		/* 0..2 */
	uint32_t tc_handles[2];
	const uint8_t *tc_name;		/* handle 0's name (for the cpHash) */
	uint8_t *tc_params;		/* in t_params; encrypted in place */
	size_t tc_params_len;
	int tc_rsp_handle;
};

static int
fail(struct tpm *t, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(t->t_err, sizeof(t->t_err), fmt, ap);
	va_end(ap);
	return rc;
}

const char *
tpm_error(const struct tpm *t)
{
	return t != NULL ? t->t_err : "no TPM";
}

uint32_t
tpm_last_rc(const struct tpm *t)
{
	return t != NULL ? t->t_last_rc : 0;
}

/* A format-one code without its parameter, handle or session number. */
static uint32_t
rc_base(uint32_t rc)
{
	return (rc & TPM_RC_FMT1) ? TPM_RC_FMT1 | (rc & 0x3Fu) : rc;
}

int
tpm_open(struct tpm **tp, const char *path)
{
	struct tpm *t;
	int rc;

	*tp = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return CB_ENOMEM;
	if ((rc = tpm_io_open(&t->t_io, path)) != 0) {
		free(t);
		return rc;
	}
	*tp = t;
	return CB_OK;
}

void
tpm_close(struct tpm *t)
{
	if (t == NULL)
		return;
	tpm_io_close(&t->t_io);
	cb_wipe(t, sizeof(*t));		/* parameters held secrets */
	free(t);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Send t_cmd[0..len) (its size field is filled here), frame the answer.
 * A TPM that asks to be asked again is, a bounded number of times. */
static int
transact(struct tpm *t, size_t len, int sessions, int handles,
    struct tpm_rsp *r)
{
	size_t rlen;
	int rc;

	assert(len >= TPM_HEADER_LEN && len <= sizeof(t->t_cmd));
	t->t_cmd[2] = (uint8_t)(len >> 24);
	t->t_cmd[3] = (uint8_t)(len >> 16);
	t->t_cmd[4] = (uint8_t)(len >> 8);
	t->t_cmd[5] = (uint8_t)len;
	for (int i = 0; i < TPM_RETRY_MAX; i++) {
		t->t_last_rc = 0;
		rc = tpm_io_xfer(&t->t_io, t->t_cmd, len, t->t_rsp,
		    sizeof(t->t_rsp), &rlen);
		if (rc != 0)
			return fail(t, rc, "cannot talk to the TPM (%s)",
			    cb_strerror(rc));
		if (tpm_rsp_frame(t->t_rsp, rlen, sessions, handles, r) != 0)
			return fail(t, CB_EPROTO, "the TPM's answer is "
			    "malformed");
		t->t_last_rc = r->tr_rc;
		if (r->tr_rc != TPM_RC_RETRY && r->tr_rc != TPM_RC_YIELDED &&
		    r->tr_rc != TPM_RC_TESTING)
			break;
		sleep_ms(TPM_RETRY_SLEEP_MS);
	}
	return CB_OK;
}

static void
header(struct tpm_wbuf *w, uint8_t *buf, size_t cap, int sessions,
    uint32_t cc)
{
	wb_init(w, buf, cap);
	wb_u16(w, sessions ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS);
	wb_u32(w, 0);			/* size: filled by transact */
	wb_u32(w, cc);
}

/* The TPM answered with an error: CB_ECRYPTO and its code in words. */
static int
tpm_refused(struct tpm *t, const char *what)
{
	uint32_t b = rc_base(t->t_last_rc);

	if (b == TPM_RC_BAD_AUTH || b == TPM_RC_AUTH_FAIL)
		return fail(t, CB_EAUTH, "the TPM's owner hierarchy has a "
		    "password (set by another system): clear the TPM in the "
		    "firmware setup (TPM 0x%03x on %s)", t->t_last_rc, what);
	if (b == TPM_RC_OBJECT_MEMORY || b == TPM_RC_SESSION_MEMORY)
		return fail(t, CB_EBUSY, "the TPM has no room left (another "
		    "program keeps objects or sessions loaded; /dev/tpmrm0 "
		    "flushes them) (TPM 0x%03x on %s)", t->t_last_rc, what);
	if (b == TPM_RC_LOCKOUT)
		return fail(t, CB_ETHROTTLED, "the TPM is in dictionary-attack "
		    "lockout (TPM 0x%03x on %s)", t->t_last_rc, what);
	if (b == TPM_RC_INITIALIZE)
		return fail(t, CB_EIO, "the firmware did not start the TPM "
		    "(TPM2_Startup) (on %s)", what);
	return fail(t, CB_ECRYPTO, "the TPM refused %s (TPM_RC 0x%03x)", what,
	    t->t_last_rc);
}

static int
call_plain(struct tpm *t, const struct tpm_call *c, struct tpm_rsp *r)
{
	struct tpm_wbuf w;
	int rc;

	assert(c->tc_nhandles >= 0 && c->tc_nhandles <= 2);
	header(&w, t->t_cmd, sizeof(t->t_cmd), 0, c->tc_cc);
	for (int i = 0; i < c->tc_nhandles; i++)
		wb_u32(&w, c->tc_handles[i]);
	wb_bytes(&w, c->tc_params, c->tc_params_len);
	if (w.wb_err)
		return fail(t, CB_ETOOBIG, "%s: command too large", c->tc_what);
	if ((rc = transact(t, w.wb_len, 0, c->tc_rsp_handle, r)) != 0)
		return rc;
	return r->tr_rc == 0 ? CB_OK : tpm_refused(t, c->tc_what);
}

/* With the empty password of our hierarchy and objects: no secret in
 * the command (CreatePrimary of a public template, Load, PCR_Extend). */
static int
call_pw(struct tpm *t, const struct tpm_call *c, struct tpm_rsp *r)
{
	struct tpm_wbuf w;
	int rc;

	assert(c->tc_nhandles == 1);
	header(&w, t->t_cmd, sizeof(t->t_cmd), 1, c->tc_cc);
	wb_u32(&w, c->tc_handles[0]);
	wb_u32(&w, TPM_PW_AUTH_LEN);
	wb_u32(&w, TPM_RS_PW);
	wb_u16(&w, 0);
	wb_u8(&w, TPMA_SESSION_CONTINUE);
	wb_u16(&w, 0);
	wb_bytes(&w, c->tc_params, c->tc_params_len);
	if (w.wb_err)
		return fail(t, CB_ETOOBIG, "%s: command too large", c->tc_what);
	if ((rc = transact(t, w.wb_len, 1, c->tc_rsp_handle, r)) != 0)
		return rc;
	return r->tr_rc == 0 ? CB_OK : tpm_refused(t, c->tc_what);
}

/* The data of the TPM2B at the start of p[0..len), for parameter
 * encryption: CB_EPROTO when it overruns. */
static int
first_tpm2b(uint8_t *p, size_t len, uint8_t **data, size_t *n)
{
	if (len < 2 || (size_t)(p[0] << 8 | p[1]) > len - 2)
		return CB_EPROTO;
	*data = p + 2;
	*n = (size_t)(p[0] << 8 | p[1]);
	return CB_OK;
}

/* The command's session area: encrypt the first parameter if asked,
 * then the HMAC over the cpHash. */
static int
session_area(struct tpm *t, const struct tpm_call *c, struct tpm_session *s,
    uint8_t attrs, struct tpm_wbuf *w)
{
	uint8_t cp[TPM_DIGEST_LEN], hmac[TPM_DIGEST_LEN], *d;
	size_t n, mark;

	assert(c->tc_nhandles == 1 && c->tc_name != NULL);
	if (cb_random(s->ss_nonce_caller, TPM_NONCE_LEN) != 0)
		return fail(t, CB_EIO, "no random numbers");
	if ((attrs & TPMA_SESSION_DECRYPT) &&
	    (first_tpm2b(c->tc_params, c->tc_params_len, &d, &n) != 0 ||
	    tpm_param_crypt(s, TPM_TO_TPM, d, n) != 0))
		return fail(t, CB_ECRYPTO, "%s: parameter encryption failed",
		    c->tc_what);
	if (tpm_cp_hash(c->tc_cc, c->tc_name, TPM_NAME_LEN, c->tc_params,
	    c->tc_params_len, cp) != 0 || tpm_cmd_hmac(s, cp, attrs, hmac))
		return fail(t, CB_ECRYPTO, "%s: HMAC failed", c->tc_what);
	mark = wb_size32(w);
	wb_u32(w, s->ss_handle);
	wb_tpm2b(w, s->ss_nonce_caller, TPM_NONCE_LEN);
	wb_u8(w, attrs);
	wb_tpm2b(w, hmac, TPM_DIGEST_LEN);
	wb_fill32(w, mark);
	return CB_OK;
}

/* The response's session: its new nonce, its HMAC over the rpHash, and
 * the first parameter decrypted if asked. An answer whose HMAC fails is
 * not the TPM's, or was changed on the way: nothing of it is used. */
static int
session_check(struct tpm *t, const struct tpm_call *c, struct tpm_session *s,
    uint8_t attrs, struct tpm_rsp *r)
{
	uint8_t rp[TPM_DIGEST_LEN], *d;
	size_t n;

	if (r->tr_nonce_len != TPM_NONCE_LEN)
		return fail(t, CB_EPROTO, "%s: the TPM's nonce is missing",
		    c->tc_what);
	memcpy(s->ss_nonce_tpm, r->tr_nonce, TPM_NONCE_LEN);
	if (tpm_rp_hash(c->tc_cc, r->tr_params, r->tr_params_len, rp) != 0 ||
	    tpm_rsp_hmac_check(s, rp, r->tr_attrs, r->tr_hmac,
	    r->tr_hmac_len) != 0)
		return fail(t, CB_EPROTO, "%s: the answer's HMAC does not "
		    "verify (not from this TPM, or altered on the way)",
		    c->tc_what);
	if (!(attrs & TPMA_SESSION_ENCRYPT))
		return CB_OK;
	/* tr_params points into t_rsp, which is ours to decrypt in place. */
	d = t->t_rsp + (r->tr_params - t->t_rsp);
	if (first_tpm2b(d, r->tr_params_len, &d, &n) != 0 ||
	    tpm_param_crypt(s, TPM_FROM_TPM, d, n) != 0)
		return fail(t, CB_EPROTO, "%s: the answer does not decrypt",
		    c->tc_what);
	return CB_OK;
}

/* With a salted session s (HMAC or policy) that ends with the command. */
static int
call_session(struct tpm *t, const struct tpm_call *c, struct tpm_session *s,
    uint8_t attrs, struct tpm_rsp *r)
{
	struct tpm_wbuf w;
	int rc;

	header(&w, t->t_cmd, sizeof(t->t_cmd), 1, c->tc_cc);
	wb_u32(&w, c->tc_handles[0]);
	if ((rc = session_area(t, c, s, attrs, &w)) != 0)
		return rc;
	wb_bytes(&w, c->tc_params, c->tc_params_len);
	if (w.wb_err)
		return fail(t, CB_ETOOBIG, "%s: command too large", c->tc_what);
	if ((rc = transact(t, w.wb_len, 1, c->tc_rsp_handle, r)) != 0)
		return rc;
	if (r->tr_rc != 0)
		return tpm_refused(t, c->tc_what);
	return session_check(t, c, s, attrs, r);
}

/* Flush a handle; what went wrong before stays the error to report (a
 * session the TPM already ended makes this fail, harmlessly). */
static void
flush(struct tpm *t, uint32_t handle)
{
	char err[TPM_ERROR_MAX];
	uint32_t last = t->t_last_rc;
	struct tpm_wbuf w;
	struct tpm_rsp r;
	struct tpm_call c = { .tc_what = "FlushContext",
	    .tc_cc = TPM_CC_FlushContext, .tc_params = t->t_params };

	if (handle == 0)
		return;
	memcpy(err, t->t_err, sizeof(err));
	wb_init(&w, t->t_params, sizeof(t->t_params));
	wb_u32(&w, handle);
	c.tc_params_len = w.wb_len;
	(void)call_plain(t, &c, &r);	/* the resource manager flushes
					 * what is left when we close */
	memcpy(t->t_err, err, sizeof(err));
	t->t_last_rc = last;
}

/* The storage key's template: ECC P-256, AES-128-CFB, no scheme or KDF,
 * an empty unique field (TCG's SRK template). */
static void
srk_template(struct tpm_wbuf *w)
{
	wb_u16(w, TPM_ALG_ECC);
	wb_u16(w, TPM_ALG_SHA256);
	wb_u32(w, TPM_SRK_ATTRS);
	wb_u16(w, 0);			/* authPolicy */
	wb_u16(w, TPM_ALG_AES);
	wb_u16(w, 128);
	wb_u16(w, TPM_ALG_CFB);
	wb_u16(w, TPM_ALG_NULL);	/* scheme */
	wb_u16(w, TPM_ECC_NIST_P256);
	wb_u16(w, TPM_ALG_NULL);	/* kdf */
	wb_u16(w, 0);			/* unique.x */
	wb_u16(w, 0);			/* unique.y */
}

/* The storage key, re-created from its template: the same on the same
 * TPM until the TPM is cleared. */
static int
create_primary(struct tpm *t, uint32_t *handle, struct tpm_ecc_pub *pub,
    uint8_t name[TPM_NAME_LEN])
{
	struct tpm_wbuf w;
	struct tpm_rsp r;
	struct tpm_call c = { .tc_what = "CreatePrimary",
	    .tc_cc = TPM_CC_CreatePrimary, .tc_nhandles = 1,
	    .tc_handles = { TPM_RH_OWNER }, .tc_params = t->t_params,
	    .tc_rsp_handle = 1 };
	size_t mark;
	int rc;

	*handle = 0;
	wb_init(&w, t->t_params, sizeof(t->t_params));
	wb_u16(&w, 4);			/* inSensitive: no auth, no data */
	wb_u16(&w, 0);
	wb_u16(&w, 0);
	mark = wb_size16(&w);
	srk_template(&w);
	wb_fill16(&w, mark);
	wb_u16(&w, 0);			/* outsideInfo */
	wb_u32(&w, 0);			/* creationPCR: none */
	c.tc_params_len = w.wb_len;
	if ((rc = call_pw(t, &c, &r)) != 0)
		return rc;
	if (tpm_parse_create_primary(r.tr_params, r.tr_params_len, pub,
	    name) != 0) {
		flush(t, r.tr_handle);
		return fail(t, CB_EPROTO, "CreatePrimary: the storage key's "
		    "public area is malformed");
	}
	*handle = r.tr_handle;
	return CB_OK;
}

/* A session salted to the storage key (handle srk, public area pub). */
static int
start_session(struct tpm *t, uint32_t srk, const struct tpm_ecc_pub *pub,
    uint8_t type, struct tpm_session *s)
{
	uint8_t salt[TPM_DIGEST_LEN], ex[TPM_ECC_COORD_LEN];
	uint8_t ey[TPM_ECC_COORD_LEN];
	struct tpm_wbuf w;
	struct tpm_rsp r;
	struct tpm_call c = { .tc_what = "StartAuthSession",
	    .tc_cc = TPM_CC_StartAuthSession, .tc_nhandles = 2,
	    .tc_handles = { srk, TPM_RH_NULL }, .tc_params = t->t_params,
	    .tc_rsp_handle = 1 };
	size_t mark;
	int rc;

	memset(s, 0, sizeof(*s));
	if (cb_random(s->ss_nonce_caller, TPM_NONCE_LEN) != 0 ||
	    tpm_salt_ecdh(pub, salt, ex, ey) != 0)
		return fail(t, CB_ECRYPTO, "cannot make a session salt");
	wb_init(&w, t->t_params, sizeof(t->t_params));
	wb_tpm2b(&w, s->ss_nonce_caller, TPM_NONCE_LEN);
	mark = wb_size16(&w);		/* encryptedSalt: our ECDH point */
	wb_tpm2b(&w, ex, sizeof(ex));
	wb_tpm2b(&w, ey, sizeof(ey));
	wb_fill16(&w, mark);
	wb_u8(&w, type);
	wb_u16(&w, TPM_ALG_AES);
	wb_u16(&w, 128);
	wb_u16(&w, TPM_ALG_CFB);
	wb_u16(&w, TPM_ALG_SHA256);
	c.tc_params_len = w.wb_len;
	rc = call_plain(t, &c, &r);
	if (rc == 0 && tpm_parse_start_session(r.tr_params, r.tr_params_len,
	    s->ss_nonce_tpm) != 0) {
		flush(t, r.tr_handle);
		rc = fail(t, CB_EPROTO, "StartAuthSession: malformed answer");
	}
	if (rc == 0) {
		s->ss_handle = r.tr_handle;
		if (tpm_session_key(s, salt) != 0) {
			flush(t, r.tr_handle);
			rc = fail(t, CB_ECRYPTO, "cannot derive the session key");
		}
	}
	cb_wipe(salt, sizeof(salt));
	return rc;
}

/* SHA-256 of the values of the PCRs in p's mask, in ascending order. */
static int
pcr_digest(const struct tpm_pcrs *p, uint8_t out[TPM_DIGEST_LEN])
{
	uint8_t all[TPM_PCR_COUNT * TPM_DIGEST_LEN];
	size_t n = 0;

	for (unsigned i = 0; i < TPM_PCR_COUNT; i++)
		if (p->tp_mask & (1u << i)) {
			memcpy(all + n, p->tp_value[i], TPM_DIGEST_LEN);
			n += TPM_DIGEST_LEN;
		}
	return mbedtls_sha256(all, n, out, 0) == 0 ? CB_OK : CB_ECRYPTO;
}

/* PolicyPCR in session s with the values the blob was sealed to: the
 * TPM refuses (TPM_RC_VALUE) unless its PCRs hold them now. */
static int
policy_pcr(struct tpm *t, const struct tpm_session *s,
    const struct tpm_pcrs *p)
{
	uint8_t digest[TPM_DIGEST_LEN];
	struct tpm_wbuf w;
	struct tpm_rsp r;
	struct tpm_call c = { .tc_what = "PolicyPCR",
	    .tc_cc = TPM_CC_PolicyPCR, .tc_nhandles = 1,
	    .tc_handles = { s->ss_handle }, .tc_params = t->t_params };
	int rc;

	if (pcr_digest(p, digest) != 0)
		return fail(t, CB_ECRYPTO, "cannot hash the PCR values");
	wb_init(&w, t->t_params, sizeof(t->t_params));
	wb_tpm2b(&w, digest, sizeof(digest));
	wb_pcr_selection(&w, p->tp_mask);
	c.tc_params_len = w.wb_len;
	if ((rc = call_plain(t, &c, &r)) != 0)
		return rc;
	return tpm_parse_empty(r.tr_params, r.tr_params_len) == 0 ? CB_OK :
	    fail(t, CB_EPROTO, "PolicyPCR: malformed answer");
}

/* The sealed object's template: our attributes, the PCR policy. */
static void
sealed_template(struct tpm_wbuf *w, const uint8_t policy[TPM_DIGEST_LEN])
{
	wb_u16(w, TPM_ALG_KEYEDHASH);
	wb_u16(w, TPM_ALG_SHA256);
	wb_u32(w, TPM_SEALED_ATTRS);
	wb_tpm2b(w, policy, TPM_DIGEST_LEN);
	wb_u16(w, TPM_ALG_NULL);	/* scheme */
	wb_u16(w, 0);			/* unique: the TPM fills it */
}

/* TPM2_Create under the storage key, the secret encrypted on the bus. */
static int
create_sealed(struct tpm *t, uint32_t srk, const uint8_t name[TPM_NAME_LEN],
    struct tpm_session *s, const uint8_t policy[TPM_DIGEST_LEN],
    const uint8_t *secret, size_t len, struct tpm_sealed *out)
{
	struct tpm_wbuf w;
	struct tpm_rsp r;
	struct tpm_call c = { .tc_what = "Create", .tc_cc = TPM_CC_Create,
	    .tc_nhandles = 1, .tc_handles = { srk }, .tc_name = name,
	    .tc_params = t->t_params };
	size_t m1, m2;
	int rc;

	wb_init(&w, t->t_params, sizeof(t->t_params));
	m1 = wb_size16(&w);		/* inSensitive */
	wb_u16(&w, 0);			/* userAuth: none, policy only */
	wb_tpm2b(&w, secret, len);
	wb_fill16(&w, m1);
	m2 = wb_size16(&w);
	sealed_template(&w, policy);
	wb_fill16(&w, m2);
	wb_u16(&w, 0);			/* outsideInfo */
	wb_u32(&w, 0);			/* creationPCR */
	c.tc_params_len = w.wb_len;
	if (w.wb_err)
		return fail(t, CB_ETOOBIG, "Create: command too large");
	rc = call_session(t, &c, s, TPMA_SESSION_DECRYPT, &r);
	cb_wipe(t->t_params, c.tc_params_len);
	if (rc != 0)
		return rc;
	if (tpm_parse_create(r.tr_params, r.tr_params_len, out->ts_priv,
	    &out->ts_priv_len, out->ts_pub, &out->ts_pub_len) != 0)
		return fail(t, CB_EPROTO, "Create: malformed answer");
	return CB_OK;
}

/* Load the sealed object under the storage key; its name must be the
 * name of the public area we hold. */
static int
load_sealed(struct tpm *t, uint32_t srk, const struct tpm_sealed *s,
    uint32_t *handle, uint8_t name[TPM_NAME_LEN])
{
	uint8_t got[TPM_NAME_LEN];
	struct tpm_wbuf w;
	struct tpm_rsp r;
	struct tpm_call c = { .tc_what = "Load", .tc_cc = TPM_CC_Load,
	    .tc_nhandles = 1, .tc_handles = { srk }, .tc_params = t->t_params,
	    .tc_rsp_handle = 1 };
	int rc;

	*handle = 0;
	wb_init(&w, t->t_params, sizeof(t->t_params));
	wb_tpm2b(&w, s->ts_priv, s->ts_priv_len);
	wb_tpm2b(&w, s->ts_pub, s->ts_pub_len);
	c.tc_params_len = w.wb_len;
	if (tpm_name(s->ts_pub, s->ts_pub_len, name) != 0)
		return fail(t, CB_ECRYPTO, "cannot hash the sealed key's name");
	if ((rc = call_pw(t, &c, &r)) != 0) {
		if (rc_base(t->t_last_rc) == TPM_RC_INTEGRITY)
			return fail(t, CB_ECRYPTO, "the sealed key does not "
			    "belong to this TPM (TPM_RC 0x%03x)",
			    t->t_last_rc);
		return rc;
	}
	*handle = r.tr_handle;
	if (tpm_parse_load(r.tr_params, r.tr_params_len, got) != 0 ||
	    memcmp(got, name, TPM_NAME_LEN) != 0)
		return fail(t, CB_EPROTO, "Load: the TPM named another object");
	return CB_OK;
}

/* TPM2_Unseal in the policy session s; the secret comes back encrypted
 * and HMAC'd, and is decrypted into out. */
static int
unseal_cmd(struct tpm *t, uint32_t obj, const uint8_t name[TPM_NAME_LEN],
    struct tpm_session *s, uint8_t *out, size_t cap, size_t *len)
{
	const uint8_t *data;
	size_t n;
	struct tpm_rsp r;
	struct tpm_call c = { .tc_what = "Unseal", .tc_cc = TPM_CC_Unseal,
	    .tc_nhandles = 1, .tc_handles = { obj }, .tc_name = name,
	    .tc_params = t->t_params };
	int rc;

	if ((rc = call_session(t, &c, s, TPMA_SESSION_ENCRYPT, &r)) != 0)
		return rc;
	if (tpm_parse_unseal(r.tr_params, r.tr_params_len, &data, &n) != 0)
		return fail(t, CB_EPROTO, "Unseal: malformed answer");
	if (n > cap || n == 0)
		return fail(t, CB_ETOOBIG, "Unseal: %zu bytes", n);
	memcpy(out, data, n);
	cb_wipe(t->t_rsp, sizeof(t->t_rsp));
	*len = n;
	return CB_OK;
}

int
tpm_pcr_read(struct tpm *t, uint32_t mask, struct tpm_pcrs *out)
{
	struct tpm_wbuf w;
	struct tpm_rsp r;
	struct tpm_call c = { .tc_what = "PCR_Read", .tc_cc = TPM_CC_PCR_Read,
	    .tc_params = t->t_params };
	uint32_t left = mask, got;
	int rc;

	memset(out, 0, sizeof(*out));
	t->t_err[0] = '\0';
	if ((mask >> TPM_PCR_COUNT) != 0)
		return fail(t, CB_EINVAL, "no PCR above %d", TPM_PCR_COUNT - 1);
	/* A TPM returns at most 8 digests per call: each round takes a
	 * non-empty part of what is left, so at most 24 rounds. */
	for (int round = 0; left != 0 && round < TPM_PCR_COUNT; round++) {
		wb_init(&w, t->t_params, sizeof(t->t_params));
		wb_pcr_selection(&w, left);
		c.tc_params_len = w.wb_len;
		if ((rc = call_plain(t, &c, &r)) != 0)
			return rc;
		if (tpm_parse_pcr_read(r.tr_params, r.tr_params_len, left,
		    &got, out->tp_value) != 0)
			return fail(t, CB_EPROTO, "PCR_Read: malformed answer");
		left &= ~got;
	}
	assert(left == 0);
	out->tp_mask = mask;
	return CB_OK;
}

int
tpm_pcr_extend(struct tpm *t, unsigned pcr,
    const uint8_t digest[TPM_DIGEST_LEN])
{
	struct tpm_wbuf w;
	struct tpm_rsp r;
	struct tpm_call c = { .tc_what = "PCR_Extend",
	    .tc_cc = TPM_CC_PCR_Extend, .tc_nhandles = 1,
	    .tc_handles = { pcr }, .tc_params = t->t_params };
	int rc;

	t->t_err[0] = '\0';
	if (pcr >= TPM_PCR_COUNT)
		return fail(t, CB_EINVAL, "no PCR %u", pcr);
	wb_init(&w, t->t_params, sizeof(t->t_params));
	wb_u32(&w, 1);			/* TPML_DIGEST_VALUES: one bank */
	wb_u16(&w, TPM_ALG_SHA256);
	wb_bytes(&w, digest, TPM_DIGEST_LEN);
	c.tc_params_len = w.wb_len;
	if ((rc = call_pw(t, &c, &r)) != 0)
		return rc;
	return tpm_parse_empty(r.tr_params, r.tr_params_len) == 0 ? CB_OK :
	    fail(t, CB_EPROTO, "PCR_Extend: malformed answer");
}

int
tpm_seal(struct tpm *t, const struct tpm_pcrs *bind, const uint8_t *secret,
    size_t len, struct tpm_sealed *out)
{
	uint8_t policy[TPM_DIGEST_LEN], name[TPM_NAME_LEN];
	struct tpm_ecc_pub pub;
	struct tpm_session s;
	uint32_t srk;
	int rc;

	memset(out, 0, sizeof(*out));
	t->t_err[0] = '\0';
	if (len == 0 || len > TPM_SEALED_DATA_MAX ||
	    (bind->tp_mask >> TPM_PCR_COUNT) != 0)
		return fail(t, CB_EINVAL, "nothing to seal, or too much");
	out->ts_pcrs.tp_mask = bind->tp_mask;
	for (unsigned i = 0; i < TPM_PCR_COUNT; i++)
		if (bind->tp_mask & (1u << i))
			memcpy(out->ts_pcrs.tp_value[i], bind->tp_value[i],
			    TPM_DIGEST_LEN);
	if (tpm_policy_pcr(&out->ts_pcrs, policy) != 0)
		return fail(t, CB_ECRYPTO, "cannot compute the PCR policy");
	if ((rc = create_primary(t, &srk, &pub, name)) != 0)
		return rc;
	if ((rc = start_session(t, srk, &pub, TPM_SE_HMAC, &s)) == 0) {
		rc = create_sealed(t, srk, name, &s, policy, secret, len, out);
		if (rc != 0)
			flush(t, s.ss_handle);	/* it ended if Create ran */
	}
	flush(t, srk);
	cb_wipe(&s, sizeof(s));
	if (rc == 0)
		memcpy(out->ts_parent, name, TPM_NAME_LEN);
	return rc;
}

/* Which PCRs of s differ from the TPM's now (0: none). */
static int
pcr_compare(struct tpm *t, const struct tpm_sealed *s, uint32_t *differ)
{
	struct tpm_pcrs now;
	int rc;

	*differ = 0;
	if ((rc = tpm_pcr_read(t, s->ts_pcrs.tp_mask, &now)) != 0)
		return rc;
	for (unsigned i = 0; i < TPM_PCR_COUNT; i++)
		if ((s->ts_pcrs.tp_mask & (1u << i)) &&
		    memcmp(now.tp_value[i], s->ts_pcrs.tp_value[i],
		    TPM_DIGEST_LEN) != 0)
			*differ |= 1u << i;
	return CB_OK;
}

static int
pcrs_differ(struct tpm *t, uint32_t differ)
{
	char list[3 * TPM_PCR_COUNT];

	tpm_pcr_mask_format(differ, list, sizeof(list));
	return fail(t, CB_EPERM, "the boot measurements differ from those the "
	    "key was sealed to (PCR %s): another boot loader, kernel or "
	    "firmware started this machine", list);
}

/* Load s, open a policy session, satisfy the policy, unseal. */
static int
unseal_loaded(struct tpm *t, uint32_t srk, const struct tpm_ecc_pub *pub,
    const struct tpm_sealed *s, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t name[TPM_NAME_LEN];
	struct tpm_session ps;
	uint32_t obj;
	int rc;

	if ((rc = load_sealed(t, srk, s, &obj, name)) != 0) {
		flush(t, obj);
		return rc;
	}
	if ((rc = start_session(t, srk, pub, TPM_SE_POLICY, &ps)) == 0) {
		rc = policy_pcr(t, &ps, &s->ts_pcrs);
		if (rc == 0)
			rc = unseal_cmd(t, obj, name, &ps, out, cap, len);
		if (rc != 0)
			flush(t, ps.ss_handle);
	}
	/* The TPM's own verdict, should the PCRs have moved since we
	 * compared them: the policy's values no longer hold. */
	if (rc == CB_ECRYPTO && (rc_base(t->t_last_rc) == TPM_RC_VALUE ||
	    rc_base(t->t_last_rc) == TPM_RC_POLICY_FAIL))
		rc = fail(t, CB_EPERM, "the TPM's PCRs no longer match the "
		    "sealed key's policy (TPM_RC 0x%03x)", t->t_last_rc);
	flush(t, obj);
	cb_wipe(&ps, sizeof(ps));
	return rc;
}

int
tpm_unseal(struct tpm *t, const struct tpm_sealed *s, uint8_t *out,
    size_t cap, size_t *len)
{
	uint8_t name[TPM_NAME_LEN];
	struct tpm_ecc_pub pub;
	uint32_t srk, differ;
	int rc;

	*len = 0;
	t->t_err[0] = '\0';
	if ((rc = create_primary(t, &srk, &pub, name)) != 0)
		return rc;
	if (memcmp(name, s->ts_parent, TPM_NAME_LEN) != 0)
		rc = fail(t, CB_ECRYPTO, "the key was sealed by another TPM "
		    "(or this TPM was cleared since)");
	else if ((rc = pcr_compare(t, s, &differ)) == 0 && differ != 0)
		rc = pcrs_differ(t, differ);
	else if (rc == 0)
		rc = unseal_loaded(t, srk, &pub, s, out, cap, len);
	flush(t, srk);
	return rc;
}
