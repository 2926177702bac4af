/*
 * cert_crl.h: internal to net/cert.c. The local CA's certificate
 * revocation list (RFC 5280 5), and the CRL distribution point every
 * server certificate names, so that a verifier can learn a certificate's
 * revocation from the box itself (the plain-HTTP port serves TLSDIR/ca.crl
 * at /ca.crl: a CRL is signed, and fetched over HTTP by design, as HTTPS
 * would need the very chain it judges). mbedTLS 3.6 writes no CRLs: the
 * DER is built here. Nothing is revoked yet (the list is empty); what
 * revokes, and when, comes with the CA key's own signing step.
 */
#ifndef CERT_CRL_H
#define CERT_CRL_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#define CERT_CRL_DAYS		7	/* nextUpdate after thisUpdate */
#define CERT_CRL_RENEW_S	86400	/* re-signed at least daily */
#define CERT_CRL_MAX		2048	/* bytes of the DER */
#define CERT_CRL_DP_MAX		320	/* bytes of the extension's value */

/* The CRL of ca, signed with its key at now_s, into out (DER). */
int cert_crl_make(mbedtls_pk_context *cakey, const mbedtls_x509_crt *ca,
    int64_t now_s, int (*rng)(void *, unsigned char *, size_t), void *rng_arg,
    uint8_t *out, size_t size, size_t *len);

/* The cRLDistributionPoints extension's value for url ("http://..."). */
int cert_crl_dp(const char *url, uint8_t *buf, size_t size,
    const uint8_t **der, size_t *len);

#endif
