/*
 * cert_nc.h: the X.509 name constraints (RFC 5280 4.2.1.10) that confine
 * the box's local CA to the box. Every tablet of the school trusts that CA
 * (the MDM installs it), so whoever took its key could otherwise mint a
 * certificate for any site on the internet that all those tablets accept.
 * With the constraints, marked critical, a verifier (browsers, iOS,
 * Android, Windows, OpenSSL) refuses any certificate from it for a name
 * outside:
 *
 *   DNS names:  local (every NAME.local), localhost, and the host name the
 *               box had when the CA was made (if it is not under .local);
 *   addresses:  the ranges no public site can use: 10/8, 172.16/12,
 *               192.168/16, 127/8, 169.254/16, ::1, fc00::/7 (ULA),
 *               fe80::/10; and each other subnet the box was on when the
 *               CA was made (a school LAN on public IPv4, or the global
 *               IPv6 prefix of the campus), as wide as its prefix (at
 *               least /16 for IPv4 and /32 for IPv6, else the one address).
 *
 * mbedTLS 3.6 neither writes nor enforces name constraints: the CA carries
 * the extension as DER written here, and every place that parses the
 * box's certificates with mbedTLS goes through cert_x509_parse, which
 * accepts this one critical extension (mbedTLS would refuse the
 * certificate otherwise). mbedTLS never verifies a chain to this CA inside
 * classbox, so nothing is lost by its not enforcing them.
 */
#ifndef CERT_NC_H
#define CERT_NC_H

#include <stddef.h>
#include <stdint.h>

#include "net/cert.h"

#define CERT_NC_MAX_DNS		8
#define CERT_NC_MAX_IP		32
#define CERT_NC_DER_MAX		2048
#define CERT_NC_V4_MIN_PREFIX	16	/* narrower subnets: the address */
#define CERT_NC_V6_MIN_PREFIX	32

struct cert_nc_ip {
	uint8_t ni_len;			/* 4 or 16 */
	uint8_t ni_addr[16];		/* the network (address & mask) */
	uint8_t ni_mask[16];
};

/* Permitted subtrees; a kind with none would be unconstrained. */
struct cert_nc {
	size_t nc_ndns, nc_nip;
	char nc_dns[CERT_NC_MAX_DNS][CERT_NAME_MAX];
	struct cert_nc_ip nc_ip[CERT_NC_MAX_IP];
};

/* The constraints for a CA made now (above). */
void cert_nc_current(struct cert_nc *out);
/* One DNS subtree ("local"), or one address range ("10.0.0.0/8",
 * "fd00::/8"); CB_EINVAL when malformed, CB_ETOOBIG when full. */
int cert_nc_add_dns(struct cert_nc *nc, const char *name);
int cert_nc_add_cidr(struct cert_nc *nc, const char *cidr);

/* The NameConstraints DER into buf (written backwards from its end, as
 * mbedTLS's asn1write does): *der points into buf. */
int cert_nc_der(const struct cert_nc *nc, uint8_t *buf, size_t size,
    const uint8_t **der, size_t *len);
/* The extension's value back. Strict: only what cert_nc_der writes
 * (permitted dNSName and iPAddress subtrees, no excluded ones, no
 * minimum or maximum); CB_EINVAL otherwise. */
int cert_nc_parse(const uint8_t *der, size_t len, struct cert_nc *out);
/* 1 when nc permits name: a DNS name, or an address in text. */
int cert_nc_permits(const struct cert_nc *nc, const char *name);

/*
 * Parse certificates (a PEM buffer, NUL-terminated, of one or more; or
 * one DER) into crt, accepting the critical name constraints extension.
 * nc (may be NULL) gets the constraints of the last certificate that has
 * them, *has_nc (may be NULL) whether any had. CB_EINVAL unless every
 * certificate parsed.
 */
struct mbedtls_x509_crt;
int cert_x509_parse(struct mbedtls_x509_crt *crt, const void *buf,
    size_t len, struct cert_nc *nc, int *has_nc);
/* The same for a file (at most 2 * CERT_PEM_MAX bytes). */
int cert_x509_parse_file(struct mbedtls_x509_crt *crt, const char *path);

#endif
