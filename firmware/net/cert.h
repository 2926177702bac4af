/*
 * cert.h: the box's own certificate authority and the server certificate
 * it issues, so that tablets which trust one CA certificate (deployed by
 * the school's MDM) open https://NAME.local and https://ADDRESS without a
 * warning. Used by the web process only; the CA key never leaves it.
 *
 *   TLSDIR/ca/key.pem    the CA's ECDSA P-256 key (0600, web's)
 *   TLSDIR/ca/ca.pem     the CA certificate (what admins download)
 *   TLSDIR/key.pem       the server's ECDSA P-256 key (0600)
 *   TLSDIR/cert.pem      the server certificate, then the CA certificate
 *   TLSDIR/ca.crl        the CA's revocation list (DER; served on the plain-
 *                        HTTP port at /ca.crl, net/cert_crl.h)
 *   TLSDIR/names         the names the server certificate was issued for
 *   TLSDIR/uploaded/{cert,key}.pem  an admin's (or the enrollment file's)
 *                        certificate and key: used instead when present
 */
#ifndef CERT_H
#define CERT_H

#include <stddef.h>
#include <stdint.h>

#define CERT_CA_DAYS		3650	/* the CA: ten years */
#define CERT_SERVER_DAYS	397	/* within every browser's limit */
#define CERT_RENEW_DAYS		30	/* re-issue this long before expiry */
#define CERT_WARN_DAYS		30	/* warn admins this long before */
#define CERT_NAMES_MAX		24	/* SAN entries */
#define CERT_NAME_MAX		256
#define CERT_PEM_MAX		(16 * 1024)	/* a chain or a key file */
#define CERT_DER_MAX		4096
#define CERT_FPR_LEN		95	/* "AB:CD:..." of SHA-256, with NUL */

/* The names for the server certificate: DNS names and IP addresses in
 * text form, sorted, without duplicates. */
struct cert_names {
	size_t cn_n;
	char cn_v[CERT_NAMES_MAX][CERT_NAME_MAX];
	/* The name the box goes by (the subject's CN, where redirects
	 * send a stranger): the name mDNS holds, else the host name's
	 * NAME.local, else the host name; "" when none. */
	char cn_primary[CERT_NAME_MAX];
	/* Where a verifier fetches the CA's CRL ("http://NAME.local/ca.crl"),
	 * named in the server certificate; "" for none (cert_crl_url). */
	char cn_crl_url[CERT_NAME_MAX + 32];
};

/* n->cn_crl_url for the box reachable over plain HTTP on http_port (0: no
 * plain port, no URL) at n->cn_primary. */
void cert_crl_url(struct cert_names *n, int http_port);

/* What the box is called now: localhost, 127.0.0.1, ::1, the host name
 * and NAME.local, the name mDNS holds (read from mdns_state, may be NULL),
 * and every non-loopback IPv4 and global/unique-local IPv6 address. */
int cert_names_current(struct cert_names *out, const char *mdns_state);
/* Add one name (kept sorted, duplicates dropped); CB_ETOOBIG when full. */
int cert_names_add(struct cert_names *n, const char *name);
/* "a,b,c" into out. */
int cert_names_join(const struct cert_names *n, char *out, size_t size);

/*
 * Make sure TLSDIR holds a CA and a server certificate from it that names
 * exactly `names` and is valid for more than CERT_RENEW_DAYS at now_s;
 * otherwise create the CA (once) and issue one. *issued = 1 when a new
 * server certificate was written.
 */
int cert_ensure(const char *tlsdir, const struct cert_names *names,
    int64_t now_s, int *issued);

/* What a certificate says, for the admin view and the warnings. */
struct cert_info {
	char ci_subject[CERT_NAME_MAX];
	char ci_issuer[CERT_NAME_MAX];
	int64_t ci_not_before_s, ci_not_after_s;
	char ci_sha256[CERT_FPR_LEN];	/* of the DER */
	int ci_is_ca;
	struct cert_names ci_names;	/* its SANs */
};

/* The first certificate of a PEM file (or buffer). */
int cert_info_file(const char *path, struct cert_info *out);
int cert_info_pem(const char *pem, size_t len, struct cert_info *out);

/* The first certificate of a PEM file as DER. */
int cert_der_file(const char *path, uint8_t *out, size_t size,
    size_t *len);

/*
 * Check a server certificate chain and key from an admin's upload or the
 * enrollment file (PEM, NUL-terminated): the key is an unencrypted ECDSA
 * key (the server offers ECDSA suites only), matches the first
 * certificate, which is valid at now_s. CB_EINVAL with why (a short
 * English reason, never the key) on a refusal.
 */
int cert_upload_check(const char *cert_pem, const char *key_pem,
    int64_t now_s, const char **why);
/* cert_upload_check, then write them to TLSDIR/uploaded/ (key 0600 first,
 * then the certificate 0644, each atomic) as the calling user. The latest
 * upload wins, whichever way it came. */
int cert_upload(const char *tlsdir, const char *cert_pem,
    const char *key_pem, int64_t now_s, const char **why);
/* Remove the upload: back to the box's own CA. */
int cert_upload_remove(const char *tlsdir);

/* The paths web serves with: the upload's when present, else TLSDIR's. */
int cert_paths(const char *tlsdir, char *cert, size_t csize, char *key,
    size_t ksize, int *uploaded);

#endif
