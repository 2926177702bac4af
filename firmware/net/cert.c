/*
 * cert.c: the local CA and the server certificates it issues (mbedTLS
 * x509write). Keys are ECDSA P-256 and written 0600; every file is written
 * atomically, so a power cut leaves the old certificate or the new one.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "base/cb.h"
#include "base/file.h"
#include "base/proc.h"
#include "net/cert.h"
#include "net/cert_crl.h"
#include "net/cert_nc.h"
#include "net/mdns.h"

#define CERT_DRBG_PERS		"classbox local ca"
#define CERT_SERIAL_BYTES	16
#define CERT_CLOCK_SKEW_S	86400	/* notBefore a day back */
#define CERT_CA_CN		"classbox local CA"

struct cert_ctx {
	mbedtls_entropy_context cc_entropy;
	mbedtls_ctr_drbg_context cc_drbg;
};

static int
cert_ctx_init(struct cert_ctx *c)
{
	mbedtls_entropy_init(&c->cc_entropy);
	mbedtls_ctr_drbg_init(&c->cc_drbg);
	if (psa_crypto_init() != PSA_SUCCESS ||
	    mbedtls_ctr_drbg_seed(&c->cc_drbg, mbedtls_entropy_func,
	    &c->cc_entropy, (const unsigned char *)CERT_DRBG_PERS,
	    sizeof(CERT_DRBG_PERS) - 1) != 0)
		return CB_ECRYPTO;
	return CB_OK;
}

static void
cert_ctx_free(struct cert_ctx *c)
{
	mbedtls_ctr_drbg_free(&c->cc_drbg);
	mbedtls_entropy_free(&c->cc_entropy);
}

/* A whole small file, NUL-terminated; *len counts the NUL (as mbedTLS's
 * PEM parser wants). */
static int
cert_read(const char *path, char *buf, size_t cap, size_t *len)
{
	size_t off = 0;
	ssize_t n = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno == ENOENT ? CB_ENOTFOUND : CB_EIO;
	while (off < cap - 1 && (n = read(fd, buf + off, cap - 1 - off)) > 0)
		off += (size_t)n;
	close(fd);
	if (n < 0 || off == cap - 1)
		return n < 0 ? CB_EIO : CB_ETOOBIG;
	buf[off] = '\0';
	*len = off + 1;
	return CB_OK;
}

static int
cert_path(char *out, size_t size, const char *dir, const char *name)
{
	return cb_path_join(out, size, dir, name);
}

/* ---- names -------------------------------------------------------- */

int
cert_names_add(struct cert_names *n, const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len >= CERT_NAME_MAX || strpbrk(name, ", \n") != NULL)
		return CB_EINVAL;
	for (i = 0; i < n->cn_n; i++) {
		int c = strcmp(name, n->cn_v[i]);
		if (c == 0)
			return CB_OK;
		if (c < 0)
			break;
	}
	if (n->cn_n == CERT_NAMES_MAX)
		return CB_ETOOBIG;
	memmove(n->cn_v[i + 1], n->cn_v[i], (n->cn_n - i) * CERT_NAME_MAX);
	memcpy(n->cn_v[i], name, len + 1);
	n->cn_n++;
	return CB_OK;
}

int
cert_names_join(const struct cert_names *n, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return CB_ETOOBIG;
	out[0] = '\0';
	for (size_t i = 0; i < n->cn_n; i++) {
		int w = snprintf(out + o, size - o, "%s%s", i ? "," : "",
		    n->cn_v[i]);
		if (w < 0 || (size_t)w >= size - o)
			return CB_ETOOBIG;
		o += (size_t)w;
	}
	return CB_OK;
}

/* The host name when it is a usable DNS name (lower-cased). */
static void
cert_add_hostname(struct cert_names *n)
{
	char host[CERT_NAME_MAX - 8], local[CERT_NAME_MAX];

	if (gethostname(host, sizeof(host)) != 0)
		return;
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.'))
			return;
	}
	if (host[0] == '\0' || strcmp(host, "localhost") == 0)
		return;
	(void)cert_names_add(n, host);
	(void)cb_strlcpy(n->cn_primary, host, sizeof(n->cn_primary));
	if (strchr(host, '.') == NULL) {
		snprintf(local, sizeof(local), "%s.local", host);
		if (cert_names_add(n, local) == CB_OK)
			(void)cb_strlcpy(n->cn_primary, local,
			    sizeof(n->cn_primary));
	}
}

static void
cert_add_mdns(struct cert_names *n, const char *state)
{
	char buf[CERT_NAME_MAX];
	size_t len;

	if (state == NULL || cert_read(state, buf, sizeof(buf), &len) != CB_OK)
		return;
	buf[strcspn(buf, "\n")] = '\0';
	/* Only "<label>.local": the file is another process's, and what
	 * goes into a certificate that every tablet trusts is checked. */
	len = strlen(buf);
	if (len > 6 && strcmp(buf + len - 6, ".local") == 0) {
		buf[len - 6] = '\0';
		if (mdns_label_ok(buf)) {
			buf[len - 6] = '.';
			/* The name mDNS answers for is the one to go by. */
			if (cert_names_add(n, buf) == CB_OK)
				(void)cb_strlcpy(n->cn_primary, buf,
				    sizeof(n->cn_primary));
		}
	}
}

static void
cert_add_addrs(struct cert_names *n)
{
	struct ifaddrs *list, *ifa;
	char text[INET6_ADDRSTRLEN];

	if (getifaddrs(&list) != 0)
		return;
	for (ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
		const struct sockaddr *sa = ifa->ifa_addr;
		if (sa == NULL)
			continue;
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *s = (const void *)sa;
			const uint8_t *b = (const uint8_t *)&s->sin_addr;
			if (b[0] == 127)
				continue;
			inet_ntop(AF_INET, &s->sin_addr, text, sizeof(text));
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s = (const void *)sa;
			const uint8_t *b = s->sin6_addr.s6_addr;
			if ((b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
			    IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
				continue;
			inet_ntop(AF_INET6, &s->sin6_addr, text, sizeof(text));
		} else
			continue;
		(void)cert_names_add(n, text);
	}
	freeifaddrs(list);
}

int
cert_names_current(struct cert_names *out, const char *mdns_state)
{
	memset(out, 0, sizeof(*out));
	(void)cert_names_add(out, "localhost");
	(void)cert_names_add(out, "127.0.0.1");
	(void)cert_names_add(out, "::1");
	cert_add_hostname(out);
	cert_add_mdns(out, mdns_state);
	cert_add_addrs(out);
	return CB_OK;
}

/* ---- keys and certificates ---------------------------------------- */

static int
cert_key_load_or_make(struct cert_ctx *c, const char *path,
    mbedtls_pk_context *pk)
{
	char pem[CERT_PEM_MAX];
	size_t len;
	int rc = cert_read(path, pem, sizeof(pem), &len);

	if (rc == CB_OK) {
		int ret = mbedtls_pk_parse_key(pk, (unsigned char *)pem, len,
		    NULL, 0, mbedtls_ctr_drbg_random, &c->cc_drbg);
		cb_wipe(pem, sizeof(pem));
		if (ret == 0 && mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA))
			return CB_OK;
		log_warn("cert: %s is not a usable ECDSA key; making a new one",
		    path);
		mbedtls_pk_free(pk);
		mbedtls_pk_init(pk);
	} else if (rc != CB_ENOTFOUND)
		return rc;
	if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))
	    != 0 || mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
	    mbedtls_pk_ec(*pk), mbedtls_ctr_drbg_random, &c->cc_drbg) != 0 ||
	    mbedtls_pk_write_key_pem(pk, (unsigned char *)pem, sizeof(pem)))
		return CB_ECRYPTO;
	rc = cb_write_file_atomic(path, pem, strlen(pem), 0600);
	cb_wipe(pem, sizeof(pem));
	if (rc == CB_OK)
		log_info("cert: made a new ECDSA P-256 key in %s", path);
	return rc;
}

static void
cert_time(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/* Subject alternative names from text: IP addresses or DNS names. */
static int
cert_set_sans(mbedtls_x509write_cert *crt, const struct cert_names *n)
{
	mbedtls_x509_san_list san[CERT_NAMES_MAX];
	uint8_t ip[CERT_NAMES_MAX][16];

	memset(san, 0, sizeof(san));
	for (size_t i = 0; i < n->cn_n; i++) {
		mbedtls_x509_buf *b = &san[i].node.san.unstructured_name;
		if (inet_pton(AF_INET, n->cn_v[i], ip[i]) == 1) {
			san[i].node.type = MBEDTLS_X509_SAN_IP_ADDRESS;
			b->p = ip[i];
			b->len = 4;
		} else if (inet_pton(AF_INET6, n->cn_v[i], ip[i]) == 1) {
			san[i].node.type = MBEDTLS_X509_SAN_IP_ADDRESS;
			b->p = ip[i];
			b->len = 16;
		} else {
			san[i].node.type = MBEDTLS_X509_SAN_DNS_NAME;
			b->p = (unsigned char *)n->cn_v[i];
			b->len = strlen(n->cn_v[i]);
		}
		san[i].next = i + 1 < n->cn_n ? &san[i + 1] : NULL;
	}
	return n->cn_n ? mbedtls_x509write_crt_set_subject_alternative_name(crt,
	    san) : 0;
}

/* Fields every certificate we write shares. */
static int
cert_common(struct cert_ctx *c, mbedtls_x509write_cert *crt, int64_t now_s,
    int days)
{
	unsigned char serial[CERT_SERIAL_BYTES];
	char nb[16], na[16];
	int ret;

	if ((ret = mbedtls_ctr_drbg_random(&c->cc_drbg, serial,
	    sizeof(serial))) != 0)
		return ret;
	serial[0] = (serial[0] & 0x7f) | 0x01;
	cert_time(now_s - CERT_CLOCK_SKEW_S, nb);
	cert_time(now_s + (int64_t)days * 86400, na);
	mbedtls_x509write_crt_set_version(crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(crt, MBEDTLS_MD_SHA256);
	if ((ret = mbedtls_x509write_crt_set_serial_raw(crt, serial,
	    sizeof(serial))) != 0)
		return ret;
	return mbedtls_x509write_crt_set_validity(crt, nb, na);
}

/* The server-auth extended key usage of a server certificate. */
static void
cert_eku_server(mbedtls_asn1_sequence *eku)
{
	memset(eku, 0, sizeof(*eku));
	eku->buf.tag = MBEDTLS_ASN1_OID;
	eku->buf.p = (unsigned char *)MBEDTLS_OID_SERVER_AUTH;
	eku->buf.len = MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH);
}

/*
 * The CA certificate: CA:true, pathlen 0, keyCertSign and cRLSign, and
 * what confines it to the box (cert_nc.h): critical name constraints, and
 * serverAuth as its only extended key usage, which verifiers that chain
 * EKUs (Apple, Microsoft, Mozilla, Chrome, OpenSSL's purpose checks) take
 * to mean that it may not vouch for mail (S/MIME) or code, kinds of names
 * the constraints do not cover. The name carries a random tag so that two
 * boxes' CAs never share one.
 */
static int
cert_make_ca(struct cert_ctx *c, mbedtls_pk_context *key, int64_t now_s,
    char *pem, size_t size)
{
	/* SEQUENCE { serverAuth }, not critical: mbedTLS's writer marks the
	 * extension critical, which a CA's EKU need not be (RFC 5280 does
	 * not define it for CAs; verifiers that chain EKUs read it anyway). */
	static const uint8_t ca_eku[] = { 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06,
	    0x01, 0x05, 0x05, 0x07, 0x03, 0x01 };
	mbedtls_x509write_cert crt;
	struct cert_nc nc;
	uint8_t ncbuf[CERT_NC_DER_MAX];
	const uint8_t *ncder;
	size_t nclen;
	char subject[80];
	uint8_t tag[4];
	int ret;

	cert_nc_current(&nc);
	if (cert_nc_der(&nc, ncbuf, sizeof(ncbuf), &ncder, &nclen) != CB_OK)
		return CB_ECRYPTO;
	if (mbedtls_ctr_drbg_random(&c->cc_drbg, tag, sizeof(tag)) != 0)
		return CB_ECRYPTO;
	snprintf(subject, sizeof(subject), "CN=" CERT_CA_CN " %02x%02x%02x%02x",
	    tag[0], tag[1], tag[2], tag[3]);
	mbedtls_x509write_crt_init(&crt);
	mbedtls_x509write_crt_set_subject_key(&crt, key);
	mbedtls_x509write_crt_set_issuer_key(&crt, key);
	if ((ret = cert_common(c, &crt, now_s, CERT_CA_DAYS)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_subject_name(&crt, subject)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_issuer_name(&crt, subject)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_basic_constraints(&crt, 1, 0)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_key_usage(&crt,
	    MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN |
	    MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_extension(&crt,
	    MBEDTLS_OID_EXTENDED_KEY_USAGE,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, ca_eku,
	    sizeof(ca_eku))) == 0 &&
	    (ret = mbedtls_x509write_crt_set_extension(&crt,
	    MBEDTLS_OID_NAME_CONSTRAINTS,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_NAME_CONSTRAINTS), 1, ncder,
	    nclen)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) == 0)
		ret = mbedtls_x509write_crt_pem(&crt, (unsigned char *)pem, size,
		    mbedtls_ctr_drbg_random, &c->cc_drbg);
	mbedtls_x509write_crt_free(&crt);
	return ret == 0 ? CB_OK : CB_ECRYPTO;
}

/*
 * A CA without name constraints (made before they were added, issue 20)
 * could vouch for any site to every tablet that trusts it. It is replaced
 * on the first start after the upgrade, key and all: the old key is
 * overwritten first (cert_write... is atomic: a crash leaves the new key
 * beside the old certificate, which is still unconstrained and so is
 * replaced again at the next start). The server certificate is then
 * re-issued because its issuer changed. Tablets must get the new CA
 * through the MDM (docs/lan.md).
 */
static int
cert_replace_ca(struct cert_ctx *c, const char *kp, const char *cp,
    int64_t now_s, mbedtls_pk_context *key, char *pem, size_t size)
{
	int rc;

	log_warn("cert: the CA in %s has no name constraints: replacing it "
	    "with a new, constrained one (new key); give the new CA to "
	    "every tablet (docs/lan.md)", cp);
	mbedtls_pk_free(key);
	mbedtls_pk_init(key);
	if (unlink(kp) != 0 && errno != ENOENT)
		return CB_EIO;
	if ((rc = cert_key_load_or_make(c, kp, key)) != CB_OK ||
	    (rc = cert_make_ca(c, key, now_s, pem, size)) != CB_OK)
		return rc;
	return cb_write_file_atomic(cp, pem, strlen(pem), 0644);
}

/* The CA's key and certificate, made on first use; its constraints into
 * nc. */
static int
cert_load_ca(struct cert_ctx *c, const char *tlsdir, int64_t now_s,
    mbedtls_pk_context *key, mbedtls_x509_crt *ca, struct cert_nc *nc)
{
	char dir[PATH_MAX], kp[PATH_MAX], cp[PATH_MAX], pem[CERT_PEM_MAX];
	size_t len;
	int rc, has_nc = 0;

	if (cert_path(dir, sizeof(dir), tlsdir, "ca") != CB_OK ||
	    cert_path(kp, sizeof(kp), dir, "key.pem") != CB_OK ||
	    cert_path(cp, sizeof(cp), dir, "ca.pem") != CB_OK)
		return CB_ETOOBIG;
	if (cb_make_dir(dir, 0700, (uid_t)-1, (gid_t)-1) != CB_OK ||
	    (rc = cert_key_load_or_make(c, kp, key)) != CB_OK)
		return CB_EIO;
	rc = cert_read(cp, pem, sizeof(pem), &len);
	if (rc == CB_ENOTFOUND) {
		if ((rc = cert_make_ca(c, key, now_s, pem, sizeof(pem))) !=
		    CB_OK || (rc = cb_write_file_atomic(cp, pem, strlen(pem),
		    0644)) != CB_OK)
			return rc;
		len = strlen(pem) + 1;
		log_info("cert: made the box's certificate authority in %s", cp);
	} else if (rc != CB_OK)
		return rc;
	if (cert_x509_parse(ca, pem, len, nc, &has_nc) == CB_OK && !has_nc) {
		mbedtls_x509_crt_free(ca);
		mbedtls_x509_crt_init(ca);
		if ((rc = cert_replace_ca(c, kp, cp, now_s, key, pem,
		    sizeof(pem))) != CB_OK)
			return rc;
		len = strlen(pem) + 1;
		if (cert_x509_parse(ca, pem, len, nc, &has_nc) != CB_OK ||
		    !has_nc)
			return CB_ECRYPTO;
	}
	if (ca->raw.p == NULL || !has_nc ||
	    mbedtls_pk_check_pair(&ca->pk, key, mbedtls_ctr_drbg_random,
	    &c->cc_drbg) != 0) {
		log_err("cert: %s does not match %s; remove both to make a new "
		    "CA (every tablet must then trust the new one)", cp, kp);
		return CB_EINVAL;
	}
	return CB_OK;
}

static int
cert_issue(struct cert_ctx *c, mbedtls_pk_context *cakey,
    mbedtls_x509_crt *ca, mbedtls_pk_context *key,
    const struct cert_names *n, int64_t now_s, char *pem, size_t size)
{
	mbedtls_x509write_cert crt;
	mbedtls_asn1_sequence eku;
	uint8_t dpbuf[CERT_CRL_DP_MAX];
	const uint8_t *dp = NULL;
	size_t dplen = 0;
	char issuer[CERT_NAME_MAX], subject[CERT_NAME_MAX + 4];
	const char *cn = "classbox";
	int ret;

	/* The subject names the box by the name it goes by (the name mDNS
	 * holds; else a .local name): http_redirect_host sends strangers
	 * there. */
	for (size_t i = 0; i < n->cn_n; i++)
		if (strstr(n->cn_v[i], ".local") != NULL)
			cn = n->cn_v[i];
	if (n->cn_primary[0] != '\0')
		cn = n->cn_primary;
	snprintf(subject, sizeof(subject), "CN=%s", cn);
	if (mbedtls_x509_dn_gets(issuer, sizeof(issuer), &ca->subject) < 0)
		return CB_ECRYPTO;
	cert_eku_server(&eku);
	mbedtls_x509write_crt_init(&crt);
	mbedtls_x509write_crt_set_subject_key(&crt, key);
	mbedtls_x509write_crt_set_issuer_key(&crt, cakey);
	if ((ret = cert_common(c, &crt, now_s, CERT_SERVER_DAYS)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_subject_name(&crt, subject)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_issuer_name(&crt, issuer)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_basic_constraints(&crt, 0, -1)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_key_usage(&crt,
	    MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_ext_key_usage(&crt, &eku)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) == 0 &&
	    (ret = cert_set_sans(&crt, n)) == 0 &&
	    (n->cn_crl_url[0] == '\0' || ((ret = cert_crl_dp(n->cn_crl_url,
	    dpbuf, sizeof(dpbuf), &dp, &dplen)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_extension(&crt,
	    MBEDTLS_OID_CRL_DISTRIBUTION_POINTS,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_DISTRIBUTION_POINTS), 0, dp,
	    dplen)) == 0)))
		ret = mbedtls_x509write_crt_pem(&crt, (unsigned char *)pem, size,
		    mbedtls_ctr_drbg_random, &c->cc_drbg);
	mbedtls_x509write_crt_free(&crt);
	return ret == 0 ? CB_OK : CB_ECRYPTO;
}

/* 1 when TLSDIR's certificate is ours, for names, and not due. */
static int
cert_current_ok(const char *tlsdir, const mbedtls_x509_crt *ca,
    const char *joined, int64_t now_s)
{
	char path[PATH_MAX], buf[CERT_NAMES_MAX * CERT_NAME_MAX];
	struct cert_info ci;
	size_t len;

	if (cert_path(path, sizeof(path), tlsdir, "names") != CB_OK ||
	    cert_read(path, buf, sizeof(buf), &len) != CB_OK)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, joined) != 0 ||
	    cert_path(path, sizeof(path), tlsdir, "cert.pem") != CB_OK ||
	    cert_info_file(path, &ci) != CB_OK)
		return 0;
	char issuer[CERT_NAME_MAX];
	if (mbedtls_x509_dn_gets(issuer, sizeof(issuer), &ca->subject) < 0 ||
	    strcmp(issuer, ci.ci_issuer) != 0)
		return 0;
	return ci.ci_not_after_s - now_s > (int64_t)CERT_RENEW_DAYS * 86400;
}

static int
cert_write_server(const char *tlsdir, const char *leaf, const char *joined)
{
	char path[PATH_MAX], ca[CERT_PEM_MAX], chain[2 * CERT_PEM_MAX];
	char names[CERT_NAMES_MAX * CERT_NAME_MAX + 2];
	size_t len;
	int rc;

	if (cert_path(path, sizeof(path), tlsdir, "ca/ca.pem") != CB_OK ||
	    (rc = cert_read(path, ca, sizeof(ca), &len)) != CB_OK)
		return CB_EIO;
	snprintf(chain, sizeof(chain), "%s%s", leaf, ca);
	snprintf(names, sizeof(names), "%s\n", joined);
	/* The certificate first, then the names: a crash between the two
	 * leaves names stale, which only causes one more re-issue. */
	if (cert_path(path, sizeof(path), tlsdir, "cert.pem") != CB_OK ||
	    (rc = cb_write_file_atomic(path, chain, strlen(chain), 0644)) !=
	    CB_OK || cert_path(path, sizeof(path), tlsdir, "names") != CB_OK)
		return CB_EIO;
	return cb_write_file_atomic(path, names, strlen(names), 0644);
}

/*
 * The names the CA may vouch for: a certificate naming one name outside
 * its constraints fails verification as a whole, so such a name (a new
 * host name, a new global prefix) is left out, and said so when issuing.
 * Serving it takes a new CA (remove TLSDIR/ca) and the tablets trusting
 * that one.
 */
static void
cert_names_permitted(const struct cert_nc *nc, const struct cert_names *in,
    struct cert_names *out, int say)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->cn_n; i++) {
		if (cert_nc_permits(nc, in->cn_v[i]))
			(void)cert_names_add(out, in->cn_v[i]);
		else if (say)
			log_warn("cert: %s is outside the names the box's CA "
			    "may vouch for: left out of the server "
			    "certificate (docs/lan.md)", in->cn_v[i]);
	}
	if (cert_nc_permits(nc, in->cn_primary))
		memcpy(out->cn_primary, in->cn_primary,
		    sizeof(out->cn_primary));
	memcpy(out->cn_crl_url, in->cn_crl_url, sizeof(out->cn_crl_url));
}

void
cert_crl_url(struct cert_names *n, int http_port)
{
	char port[16] = "";

	n->cn_crl_url[0] = '\0';
	if (http_port <= 0 || n->cn_primary[0] == '\0')
		return;
	if (http_port != 80)
		snprintf(port, sizeof(port), ":%d", http_port);
	snprintf(n->cn_crl_url, sizeof(n->cn_crl_url), "http://%s%s/ca.crl",
	    n->cn_primary, port);
}

/*
 * TLSDIR/ca.crl, signed afresh when missing, a day old, or older than the
 * CA (replaced): a verifier that fetched it holds one valid CERT_CRL_DAYS.
 */
static int
cert_crl_refresh(struct cert_ctx *c, const char *tlsdir, int64_t now_s,
    mbedtls_pk_context *cakey, const mbedtls_x509_crt *ca)
{
	char path[PATH_MAX], cap[PATH_MAX];
	uint8_t der[CERT_CRL_MAX];
	struct stat st, cs;
	size_t len;
	int rc;

	if (cert_path(path, sizeof(path), tlsdir, "ca.crl") != CB_OK ||
	    cert_path(cap, sizeof(cap), tlsdir, "ca/ca.pem") != CB_OK)
		return CB_ETOOBIG;
	if (stat(path, &st) == 0 && stat(cap, &cs) == 0 &&
	    (int64_t)st.st_mtime <= now_s &&
	    now_s - (int64_t)st.st_mtime < CERT_CRL_RENEW_S &&
	    (st.st_mtim.tv_sec > cs.st_mtim.tv_sec ||
	    (st.st_mtim.tv_sec == cs.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec >= cs.st_mtim.tv_nsec)))
		return CB_OK;
	if ((rc = cert_crl_make(cakey, ca, now_s - CERT_CLOCK_SKEW_S,
	    mbedtls_ctr_drbg_random, &c->cc_drbg, der, sizeof(der), &len)) !=
	    CB_OK)
		return rc;
	return cb_write_file_atomic(path, der, len, 0644);
}

int
cert_ensure(const char *tlsdir, const struct cert_names *want,
    int64_t now_s, int *issued)
{
	char joined[CERT_NAMES_MAX * CERT_NAME_MAX], path[PATH_MAX];
	char leaf[CERT_PEM_MAX];
	struct cert_ctx c;
	struct cert_nc nc;
	struct cert_names names;
	mbedtls_pk_context cakey, key;
	mbedtls_x509_crt ca;
	int rc;

	*issued = 0;
	mbedtls_pk_init(&cakey);
	mbedtls_pk_init(&key);
	mbedtls_x509_crt_init(&ca);
	if ((rc = cert_ctx_init(&c)) != CB_OK ||
	    (rc = cert_load_ca(&c, tlsdir, now_s, &cakey, &ca, &nc)) != CB_OK)
		goto out;
	if (cert_crl_refresh(&c, tlsdir, now_s, &cakey, &ca) != CB_OK)
		log_warn("cert: could not sign the CA's revocation list");
	cert_names_permitted(&nc, want, &names, 0);
	if ((rc = cert_names_join(&names, joined, sizeof(joined))) != CB_OK)
		goto out;
	/* The CRL's address is part of what was issued: a new one (another
	 * port, another name) means a new certificate. */
	if (names.cn_crl_url[0] != '\0' && strlen(joined) +
	    strlen(names.cn_crl_url) + 6 >= sizeof(joined)) {
		rc = CB_ETOOBIG;
		goto out;
	}
	if (names.cn_crl_url[0] != '\0') {
		strcat(joined, ";crl=");
		strcat(joined, names.cn_crl_url);
	}
	if (cert_current_ok(tlsdir, &ca, joined, now_s))
		goto out;
	cert_names_permitted(&nc, want, &names, 1);
	if ((rc = cert_path(path, sizeof(path), tlsdir, "key.pem")) != CB_OK ||
	    (rc = cert_key_load_or_make(&c, path, &key)) != CB_OK ||
	    (rc = cert_issue(&c, &cakey, &ca, &key, &names, now_s, leaf,
	    sizeof(leaf))) != CB_OK ||
	    (rc = cert_write_server(tlsdir, leaf, joined)) != CB_OK)
		goto out;
	*issued = 1;
	log_info("cert: issued the server certificate for %s", joined);
out:
	mbedtls_x509_crt_free(&ca);
	mbedtls_pk_free(&key);
	mbedtls_pk_free(&cakey);
	cert_ctx_free(&c);
	return rc;
}

/* ---- reading certificates ----------------------------------------- */

static int64_t
cert_x509_time(const mbedtls_x509_time *t)
{
	struct tm tm = { .tm_year = t->year - 1900, .tm_mon = t->mon - 1,
	    .tm_mday = t->day, .tm_hour = t->hour, .tm_min = t->min,
	    .tm_sec = t->sec };

	return (int64_t)timegm(&tm);
}

static void
cert_info_sans(const mbedtls_x509_crt *crt, struct cert_names *out)
{
	const mbedtls_x509_sequence *s = &crt->subject_alt_names;
	char text[INET6_ADDRSTRLEN];

	memset(out, 0, sizeof(*out));
	for (int i = 0; s != NULL && i < 2 * CERT_NAMES_MAX; s = s->next, i++) {
		mbedtls_x509_subject_alternative_name san;
		if (mbedtls_x509_parse_subject_alt_name(&s->buf, &san) != 0)
			continue;
		const mbedtls_x509_buf *b = &san.san.unstructured_name;
		char name[CERT_NAME_MAX];
		if (san.type == MBEDTLS_X509_SAN_DNS_NAME &&
		    b->len < sizeof(name)) {
			memcpy(name, b->p, b->len);
			name[b->len] = '\0';
			(void)cert_names_add(out, name);
		} else if (san.type == MBEDTLS_X509_SAN_IP_ADDRESS &&
		    (b->len == 4 || b->len == 16) && inet_ntop(b->len == 4 ?
		    AF_INET : AF_INET6, b->p, text, sizeof(text)) != NULL)
			(void)cert_names_add(out, text);
		mbedtls_x509_free_subject_alt_name(&san);
	}
}

static int
cert_info_crt(const mbedtls_x509_crt *crt, struct cert_info *out)
{
	uint8_t h[32];

	memset(out, 0, sizeof(*out));
	if (mbedtls_x509_dn_gets(out->ci_subject, sizeof(out->ci_subject),
	    &crt->subject) < 0 || mbedtls_x509_dn_gets(out->ci_issuer,
	    sizeof(out->ci_issuer), &crt->issuer) < 0 ||
	    mbedtls_sha256(crt->raw.p, crt->raw.len, h, 0) != 0)
		return CB_EINVAL;
	for (int i = 0; i < 32; i++)
		snprintf(out->ci_sha256 + 3 * i, 4, i < 31 ? "%02X:" : "%02X",
		    h[i]);
	out->ci_not_before_s = cert_x509_time(&crt->valid_from);
	out->ci_not_after_s = cert_x509_time(&crt->valid_to);
	out->ci_is_ca = mbedtls_x509_crt_has_ext_type(crt,
	    MBEDTLS_X509_EXT_BASIC_CONSTRAINTS) && crt->MBEDTLS_PRIVATE(ca_istrue);
	cert_info_sans(crt, &out->ci_names);
	for (const mbedtls_x509_name *nm = &crt->subject; nm != NULL;
	    nm = nm->next)
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &nm->oid) == 0 &&
		    nm->val.len < sizeof(out->ci_names.cn_primary)) {
			memcpy(out->ci_names.cn_primary, nm->val.p, nm->val.len);
			out->ci_names.cn_primary[nm->val.len] = '\0';
		}
	return CB_OK;
}

int
cert_info_pem(const char *pem, size_t len, struct cert_info *out)
{
	mbedtls_x509_crt crt;
	int rc;

	mbedtls_x509_crt_init(&crt);
	rc = cert_x509_parse(&crt, pem, len, NULL, NULL) == CB_OK ?
	    cert_info_crt(&crt, out) : CB_EINVAL;
	mbedtls_x509_crt_free(&crt);
	return rc;
}

int
cert_info_file(const char *path, struct cert_info *out)
{
	char pem[2 * CERT_PEM_MAX];
	size_t len;
	int rc;

	if ((rc = cert_read(path, pem, sizeof(pem), &len)) != CB_OK)
		return rc;
	return cert_info_pem(pem, len, out);
}

int
cert_der_file(const char *path, uint8_t *out, size_t size, size_t *len)
{
	char pem[2 * CERT_PEM_MAX];
	mbedtls_x509_crt crt;
	size_t n;
	int rc;

	if ((rc = cert_read(path, pem, sizeof(pem), &n)) != CB_OK)
		return rc;
	mbedtls_x509_crt_init(&crt);
	if (cert_x509_parse(&crt, pem, n, NULL, NULL) != CB_OK)
		rc = CB_EINVAL;
	else if (crt.raw.len > size)
		rc = CB_ETOOBIG;
	else {
		memcpy(out, crt.raw.p, crt.raw.len);
		*len = crt.raw.len;
	}
	mbedtls_x509_crt_free(&crt);
	return rc;
}

/* ---- an admin's certificate --------------------------------------- */

/* The checks of cert_upload_check on parsed objects; *why on a refusal. */
static void
cert_pair_check(struct cert_ctx *c, mbedtls_x509_crt *crt,
    mbedtls_pk_context *key, const char *cert_pem, const char *key_pem,
    int64_t now_s, const char **why)
{
	if (strstr(cert_pem, "-----BEGIN CERTIFICATE-----") == NULL ||
	    cert_x509_parse(crt, cert_pem, strlen(cert_pem) + 1, NULL,
	    NULL) != CB_OK)
		*why = "the certificate is not PEM X.509";
	else if (mbedtls_pk_parse_key(key, (const unsigned char *)key_pem,
	    strlen(key_pem) + 1, NULL, 0, mbedtls_ctr_drbg_random,
	    &c->cc_drbg) != 0)
		*why = "the key is not an unencrypted PEM private key";
	else if (!mbedtls_pk_can_do(key, MBEDTLS_PK_ECDSA))
		*why = "the key must be ECDSA (the box offers ECDSA suites only)";
	else if (mbedtls_pk_check_pair(&crt->pk, key, mbedtls_ctr_drbg_random,
	    &c->cc_drbg) != 0)
		*why = "the key does not belong to the (first) certificate";
	else if (cert_x509_time(&crt->valid_to) <= now_s ||
	    cert_x509_time(&crt->valid_from) > now_s + CERT_CLOCK_SKEW_S)
		*why = "the certificate is expired or not yet valid";
}

int
cert_upload_check(const char *cert_pem, const char *key_pem, int64_t now_s,
    const char **why)
{
	struct cert_ctx c;
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	int rc = CB_OK;

	*why = NULL;
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&key);
	if (cert_ctx_init(&c) != CB_OK)
		rc = CB_ECRYPTO;
	else {
		cert_pair_check(&c, &crt, &key, cert_pem, key_pem, now_s, why);
		if (*why != NULL)
			rc = CB_EINVAL;
	}
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&crt);
	cert_ctx_free(&c);
	return rc;
}

int
cert_upload(const char *tlsdir, const char *cert_pem, const char *key_pem,
    int64_t now_s, const char **why)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int rc;

	if ((rc = cert_upload_check(cert_pem, key_pem, now_s, why)) != CB_OK)
		return rc;
	if (cert_path(dir, sizeof(dir), tlsdir, "uploaded") != CB_OK ||
	    cb_make_dir(dir, 0700, (uid_t)-1, (gid_t)-1) != CB_OK ||
	    cert_path(path, sizeof(path), dir, "key.pem") != CB_OK ||
	    cb_write_file_atomic(path, key_pem, strlen(key_pem), 0600) != CB_OK)
		return CB_EIO;
	/* A new key beside the old certificate would not match: without
	 * the certificate, both go (back to the box's own CA). */
	if (cert_path(path, sizeof(path), dir, "cert.pem") != CB_OK ||
	    cb_write_file_atomic(path, cert_pem, strlen(cert_pem), 0644) !=
	    CB_OK) {
		(void)cert_upload_remove(tlsdir);
		return CB_EIO;
	}
	return CB_OK;
}

int
cert_upload_remove(const char *tlsdir)
{
	char path[PATH_MAX];

	if (cert_path(path, sizeof(path), tlsdir, "uploaded/cert.pem") !=
	    CB_OK)
		return CB_ETOOBIG;
	if (unlink(path) != 0 && errno != ENOENT)
		return CB_EIO;
	if (cert_path(path, sizeof(path), tlsdir, "uploaded/key.pem") !=
	    CB_OK)
		return CB_ETOOBIG;
	(void)unlink(path);
	return CB_OK;
}

int
cert_paths(const char *tlsdir, char *cert, size_t csize, char *key,
    size_t ksize, int *uploaded)
{
	*uploaded = 0;
	if (cert_path(cert, csize, tlsdir, "uploaded/cert.pem") != CB_OK ||
	    cert_path(key, ksize, tlsdir, "uploaded/key.pem") != CB_OK)
		return CB_ETOOBIG;
	if (access(cert, R_OK) == 0 && access(key, R_OK) == 0) {
		*uploaded = 1;
		return CB_OK;
	}
	if (cert_path(cert, csize, tlsdir, "cert.pem") != CB_OK ||
	    cert_path(key, ksize, tlsdir, "key.pem") != CB_OK)
		return CB_ETOOBIG;
	return CB_OK;
}
