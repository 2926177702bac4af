/*
 * cert_crl.c: the local CA's CRL and the distribution point that names it
 * (cert_crl.h). DER written backwards with mbedTLS's asn1write, as its
 * own x509write does.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>

#include "base/cb.h"
#include "net/cert_crl.h"

#define CRL_SEQ		(MBEDTLS_ASN1_SEQUENCE | MBEDTLS_ASN1_CONSTRUCTED)
#define CRL_CTX(n)	(MBEDTLS_ASN1_CONTEXT_SPECIFIC | \
			 MBEDTLS_ASN1_CONSTRUCTED | (n))

/* UTCTime (years 1950-2049, RFC 5280 4.1.2.5.1). */
static int
crl_write_time(unsigned char **p, unsigned char *start, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[16];

	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 >= 2050 ||
	    strftime(s, sizeof(s), "%y%m%d%H%M%SZ", &tm) != 13)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	return mbedtls_asn1_write_tagged_string(p, start, MBEDTLS_ASN1_UTC_TIME,
	    s, 13);
}

/* An extension: SEQUENCE { OID, OCTET STRING { value } }. */
static int
crl_write_ext(unsigned char **p, unsigned char *start, const char *oid,
    size_t oid_len, const unsigned char *v, size_t vlen)
{
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_octet_string(p, start, v,
	    vlen));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(p, start, oid,
	    oid_len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start, CRL_SEQ));
	return (int)len;
}

/* crlExtensions [0]: the CA's key id (AKI) and the CRL's number, both
 * required of a conforming CA (RFC 5280 5.2). */
static int
crl_write_exts(unsigned char **p, unsigned char *start,
    const mbedtls_x509_crt *ca, int64_t number)
{
	unsigned char v[64] = { 0 }, *q = v + sizeof(v);
	size_t len = 0, vl;
	int ret;

	if (mbedtls_asn1_write_int(&q, v, (int)(number & 0x7fffffff)) < 0)
		return MBEDTLS_ERR_ASN1_BUF_TOO_SMALL;
	vl = (size_t)(v + sizeof(v) - q);
	MBEDTLS_ASN1_CHK_ADD(len, crl_write_ext(p, start, MBEDTLS_OID_CRL_NUMBER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_NUMBER), q, vl));
	if (ca->subject_key_id.len == 0 || ca->subject_key_id.len > 40)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	q = v + sizeof(v);
	vl = 0;
	MBEDTLS_ASN1_CHK_ADD(vl, mbedtls_asn1_write_raw_buffer(&q, v,
	    ca->subject_key_id.p, ca->subject_key_id.len));
	MBEDTLS_ASN1_CHK_ADD(vl, mbedtls_asn1_write_len(&q, v, vl));
	MBEDTLS_ASN1_CHK_ADD(vl, mbedtls_asn1_write_tag(&q, v,
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0));	/* keyIdentifier [0] */
	MBEDTLS_ASN1_CHK_ADD(vl, mbedtls_asn1_write_len(&q, v, vl));
	MBEDTLS_ASN1_CHK_ADD(vl, mbedtls_asn1_write_tag(&q, v, CRL_SEQ));
	MBEDTLS_ASN1_CHK_ADD(len, crl_write_ext(p, start,
	    MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER), q, vl));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start, CRL_SEQ));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start, CRL_CTX(0)));
	return (int)len;
}

/* TBSCertList, v2, without revokedCertificates (none yet). */
static int
crl_write_tbs(unsigned char **p, unsigned char *start,
    const mbedtls_x509_crt *ca, int64_t now_s)
{
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, crl_write_exts(p, start, ca, now_s));
	MBEDTLS_ASN1_CHK_ADD(len, crl_write_time(p, start,
	    now_s + (int64_t)CERT_CRL_DAYS * 86400));
	MBEDTLS_ASN1_CHK_ADD(len, crl_write_time(p, start, now_s));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(p, start,
	    ca->subject_raw.p, ca->subject_raw.len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_algorithm_identifier_ext(p,
	    start, MBEDTLS_OID_ECDSA_SHA256,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_ECDSA_SHA256), 0, 0));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_int(p, start, 1));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start, CRL_SEQ));
	return (int)len;
}

/* CertificateList: SEQUENCE { tbs, algorithm, signature }, backwards
 * into out; its length, or a negative mbedTLS error. */
static int
crl_write_list(unsigned char **p, unsigned char *out, const unsigned char *t,
    size_t tbs_len, const unsigned char *sig, size_t sig_len)
{
	size_t n = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_bitstring(p, out, sig,
	    sig_len * 8));
	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_algorithm_identifier_ext(p,
	    out, MBEDTLS_OID_ECDSA_SHA256,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_ECDSA_SHA256), 0, 0));
	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_raw_buffer(p, out, t,
	    tbs_len));
	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_len(p, out, n));
	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_tag(p, out, CRL_SEQ));
	return (int)n;
}

int
cert_crl_make(mbedtls_pk_context *cakey, const mbedtls_x509_crt *ca,
    int64_t now_s, int (*rng)(void *, unsigned char *, size_t), void *rng_arg,
    uint8_t *out, size_t size, size_t *len)
{
	unsigned char tbsbuf[CERT_CRL_MAX], *t = tbsbuf + sizeof(tbsbuf);
	unsigned char hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	unsigned char *p = out + size;
	size_t tbs_len, sig_len;
	int ret;

	if ((ret = crl_write_tbs(&t, tbsbuf, ca, now_s)) < 0)
		return ret == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL ? CB_ETOOBIG :
		    CB_ECRYPTO;
	tbs_len = (size_t)ret;
	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), t,
	    tbs_len, hash) != 0 || mbedtls_pk_sign(cakey, MBEDTLS_MD_SHA256,
	    hash, sizeof(hash), sig, sizeof(sig), &sig_len, rng, rng_arg) != 0)
		return CB_ECRYPTO;
	if ((ret = crl_write_list(&p, out, t, tbs_len, sig, sig_len)) < 0)
		return CB_ETOOBIG;
	memmove(out, p, (size_t)ret);
	*len = (size_t)ret;
	return CB_OK;
}

int
cert_crl_dp(const char *url, uint8_t *buf, size_t size, const uint8_t **der,
    size_t *len)
{
	unsigned char *p = buf + size;
	size_t n = 0, ul = strlen(url);
	int ret;

	/* SEQUENCE { DistributionPoint SEQUENCE { distributionPoint [0] {
	 * fullName [0] { uniformResourceIdentifier [6] url } } } } */
	if (ul == 0 || ul > CERT_CRL_DP_MAX - 16)
		return CB_EINVAL;
	if ((ret = mbedtls_asn1_write_raw_buffer(&p, buf,
	    (const unsigned char *)url, ul)) < 0)
		return CB_ETOOBIG;
	n += (size_t)ret;
#define DP_WRAP(tag) do {						\
	if ((ret = mbedtls_asn1_write_len(&p, buf, n)) < 0)		\
		return CB_ETOOBIG;					\
	n += (size_t)ret;						\
	if ((ret = mbedtls_asn1_write_tag(&p, buf, (tag))) < 0)	\
		return CB_ETOOBIG;					\
	n += (size_t)ret;						\
} while (0)
	DP_WRAP(MBEDTLS_ASN1_CONTEXT_SPECIFIC | 6);
	DP_WRAP(CRL_CTX(0));
	DP_WRAP(CRL_CTX(0));
	DP_WRAP(CRL_SEQ);
	DP_WRAP(CRL_SEQ);
#undef DP_WRAP
	*der = p;
	*len = n;
	return CB_OK;
}
