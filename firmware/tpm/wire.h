/*
 * wire.h: TPM 2.0's byte order on the wire (big-endian, sizes before
 * buffers), and the strict reading of what a TPM answers. No I/O and no
 * secrets here: a response arrives as bytes and leaves as fields, or is
 * refused. Fuzzed by tests/fuzz/fuzz_tpm_response.c.
 *
 * Invariants kept here:
 *   - a writer never writes past wb_cap; once full it stays failed
 *     (wb_err), so a command is built without a check per field and
 *     checked once, before it is sent;
 *   - a reader never reads past rb_len; once a read fails it stays failed,
 *     and every later read fails too; rb_end() says whether the reader
 *     consumed exactly all of its bytes, which every parser requires.
 */
#ifndef TPM_WIRE_H
#define TPM_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define TPM_CMD_MAX		4096	/* MAX_COMMAND_SIZE of PC TPMs */
#define TPM_RSP_MAX		4096	/* MAX_RESPONSE_SIZE of PC TPMs */
#define TPM_HEADER_LEN		10	/* tag, size, code */
#define TPM_DIGEST_LEN		32	/* SHA-256: our only hash */
#define TPM_NAME_LEN		(2 + TPM_DIGEST_LEN)	/* nameAlg, digest */
#define TPM_HA_MAX		64	/* sizeof(TPMU_HA): a ticket's HMAC */
#define TPM_NONCE_LEN		TPM_DIGEST_LEN
#define TPM_ECC_COORD_LEN	32	/* NIST P-256 */
#define TPM_SEALED_DATA_MAX	128	/* MAX_SYM_DATA: a sealed secret */
#define TPM_PUBLIC_MAX		512	/* a TPMT_PUBLIC we accept (ours: ~90) */
#define TPM_PRIVATE_MAX		512	/* a TPM2B_PRIVATE we keep */
#define TPM_PCR_COUNT		24	/* PCRs 0..23 of a PC TPM */
#define TPM_PCR_SELECT_LEN	3	/* bytes of a 24-PCR bitmap */
#define TPM_PCR_READ_BATCH	8	/* digests a TPM returns per PCR_Read */

/* Tags, command and response codes, handles, algorithms (Part 2). */
#define TPM_ST_NO_SESSIONS	0x8001
#define TPM_ST_SESSIONS		0x8002
#define TPM_CC_CreatePrimary	0x00000131u
#define TPM_CC_Create		0x00000153u
#define TPM_CC_Load		0x00000157u
#define TPM_CC_Unseal		0x0000015Eu
#define TPM_CC_FlushContext	0x00000165u
#define TPM_CC_StartAuthSession	0x00000176u
#define TPM_CC_PCR_Read		0x0000017Eu
#define TPM_CC_PolicyPCR	0x0000017Fu
#define TPM_CC_PCR_Extend	0x00000182u
#define TPM_RH_OWNER		0x40000001u
#define TPM_RH_NULL		0x40000007u
#define TPM_RS_PW		0x40000009u
#define TPM_ALG_AES		0x0006
#define TPM_ALG_KEYEDHASH	0x0008
#define TPM_ALG_SHA256		0x000B
#define TPM_ALG_NULL		0x0010
#define TPM_ALG_ECC		0x0023
#define TPM_ALG_CFB		0x0043
#define TPM_ECC_NIST_P256	0x0003
#define TPM_SE_HMAC		0x00
#define TPM_SE_POLICY		0x01

/* Object attributes (TPMA_OBJECT) of the two objects we make. */
#define TPMA_OBJECT_FIXEDTPM		0x00000002u
#define TPMA_OBJECT_FIXEDPARENT		0x00000010u
#define TPMA_OBJECT_SENSITIVEDATAORIGIN	0x00000020u
#define TPMA_OBJECT_USERWITHAUTH	0x00000040u
#define TPMA_OBJECT_ADMINWITHPOLICY	0x00000080u
#define TPMA_OBJECT_NODA		0x00000400u
#define TPMA_OBJECT_RESTRICTED		0x00010000u
#define TPMA_OBJECT_DECRYPT		0x00020000u
/* The storage key: the usual SRK (TCG provisioning guidance). */
#define TPM_SRK_ATTRS	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
	TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | \
	TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)
/* A sealed secret: never leaves this TPM, opened only by its policy (no
 * userWithAuth: no password opens it), no dictionary-attack counting
 * (there is no password to guess). */
#define TPM_SEALED_ATTRS (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
	TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_NODA)

/* Session attributes (TPMA_SESSION). */
#define TPMA_SESSION_CONTINUE	0x01
#define TPMA_SESSION_DECRYPT	0x20	/* the command's first parameter */
#define TPMA_SESSION_ENCRYPT	0x40	/* the response's first parameter */

struct tpm_wbuf {
	uint8_t *wb_p;
	size_t wb_len;
	size_t wb_cap;
	int wb_err;
};

void wb_init(struct tpm_wbuf *w, uint8_t *buf, size_t cap);
void wb_u8(struct tpm_wbuf *w, uint8_t v);
void wb_u16(struct tpm_wbuf *w, uint16_t v);
void wb_u32(struct tpm_wbuf *w, uint32_t v);
void wb_bytes(struct tpm_wbuf *w, const void *p, size_t n);
/* A TPM2B: 16-bit size, then the bytes (n must fit in 16 bits). */
void wb_tpm2b(struct tpm_wbuf *w, const void *p, size_t n);
/* A 16- or 32-bit size to fill in later: the offset of its field. */
size_t wb_size16(struct tpm_wbuf *w);
size_t wb_size32(struct tpm_wbuf *w);
/* Fill the field at mark with the bytes written since it. */
void wb_fill16(struct tpm_wbuf *w, size_t mark);
void wb_fill32(struct tpm_wbuf *w, size_t mark);

struct tpm_rbuf {
	const uint8_t *rb_p;
	size_t rb_len;
	size_t rb_off;
	int rb_err;
};

void rb_init(struct tpm_rbuf *r, const uint8_t *p, size_t len);
int rb_u8(struct tpm_rbuf *r, uint8_t *v);
int rb_u16(struct tpm_rbuf *r, uint16_t *v);
int rb_u32(struct tpm_rbuf *r, uint32_t *v);
/* n bytes in place: *p points into the reader's buffer. */
int rb_ref(struct tpm_rbuf *r, size_t n, const uint8_t **p);
/* A TPM2B of at most max bytes, in place. */
int rb_tpm2b(struct tpm_rbuf *r, size_t max, const uint8_t **p, size_t *n);
/* 1 when every byte was read and no read failed. */
int rb_end(const struct tpm_rbuf *r);

/* A response, framed: what every command's answer shares. */
struct tpm_rsp {
	uint32_t tr_rc;			/* TPM_RC; 0 is success */
	uint32_t tr_handle;		/* the one handle, when asked for */
	const uint8_t *tr_params;	/* response parameters, in place */
	size_t tr_params_len;
	/* The one session's response (commands with sessions). */
	const uint8_t *tr_nonce;
	size_t tr_nonce_len;
	uint8_t tr_attrs;
	const uint8_t *tr_hmac;
	size_t tr_hmac_len;
};

/*
 * Frame the response rsp[0..len) of a command that carried `sessions`
 * sessions (0 or 1) and returns `handles` handles (0 or 1). A TPM error
 * is a bare 10-byte header: CB_OK with tr_rc set and nothing else. Any
 * other shape (a size field that disagrees with len, a wrong tag, a
 * parameter area that overruns, bytes left over, a nonce or HMAC longer
 * than SHA-256's) is CB_EPROTO.
 */
int tpm_rsp_frame(const uint8_t *rsp, size_t len, int sessions, int handles,
    struct tpm_rsp *out);

/* The public area of an ECC P-256 storage key as our template makes it:
 * AES-128-CFB, no scheme, no KDF. */
struct tpm_ecc_pub {
	uint8_t ep_x[TPM_ECC_COORD_LEN];
	uint8_t ep_y[TPM_ECC_COORD_LEN];
	uint32_t ep_attrs;
};
/* Parse a TPMT_PUBLIC that must be such a key; CB_EPROTO otherwise. */
int tpm_parse_ecc_pub(const uint8_t *p, size_t len, struct tpm_ecc_pub *out);
/* Parse a TPMT_PUBLIC that must be a sealed data object (KEYEDHASH, no
 * scheme) with the given attributes and a 32-byte policy; CB_EPROTO
 * otherwise. */
int tpm_parse_sealed_pub(const uint8_t *p, size_t len, uint32_t attrs,
    uint8_t policy[TPM_DIGEST_LEN]);
/* The name of a public area: nameAlg (SHA-256) and the SHA-256 of it. */
int tpm_name(const uint8_t *pub, size_t len, uint8_t name[TPM_NAME_LEN]);

/* The PCR selection on the wire (TPML_PCR_SELECTION, SHA-256 bank). */
void wb_pcr_selection(struct tpm_wbuf *w, uint32_t mask);
/* Read one: exactly one SHA-256 bank with a 3-byte bitmap; its mask. */
int rb_pcr_selection(struct tpm_rbuf *r, uint32_t *mask);

#endif
