/*
 * cert_nc.c: name constraints of the local CA (cert_nc.h): which names it
 * may vouch for, their DER, and parsing certificates that carry them.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <assert.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/x509_crt.h>

#include "base/cb.h"
#include "net/cert_nc.h"

#define NC_TAG_DNS	(MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2)	/* dNSName */
#define NC_TAG_IP	(MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)	/* iPAddress */
#define NC_TAG_PERMIT	(MBEDTLS_ASN1_CONTEXT_SPECIFIC | \
			 MBEDTLS_ASN1_CONSTRUCTED | 0)
#define NC_SEQ		(MBEDTLS_ASN1_SEQUENCE | MBEDTLS_ASN1_CONSTRUCTED)
#define NC_PEM_BEGIN	"-----BEGIN CERTIFICATE-----"
#define NC_PEM_END	"-----END CERTIFICATE-----"
#define NC_MAX_CERTS	8	/* in one PEM buffer: a chain */

/* The ranges no public site can hold (cert_nc.h). */
static const char *const nc_private[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
	"169.254.0.0/16", "::1/128", "fc00::/7", "fe80::/10",
};

/* ---- building ------------------------------------------------------ */

static int
nc_dns_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CERT_NAME_MAX || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '.'))
			return 0;
	return 1;
}

int
cert_nc_add_dns(struct cert_nc *nc, const char *name)
{
	if (!nc_dns_ok(name))
		return CB_EINVAL;
	for (size_t i = 0; i < nc->nc_ndns; i++)
		if (strcmp(nc->nc_dns[i], name) == 0)
			return CB_OK;
	if (nc->nc_ndns == CERT_NC_MAX_DNS)
		return CB_ETOOBIG;
	memcpy(nc->nc_dns[nc->nc_ndns++], name, strlen(name) + 1);
	return CB_OK;
}

static int
nc_add_net(struct cert_nc *nc, const uint8_t *addr, int len, int prefix)
{
	struct cert_nc_ip ip;

	assert(len == 4 || len == 16);
	assert(prefix >= 0 && prefix <= 8 * len);
	memset(&ip, 0, sizeof(ip));
	ip.ni_len = (uint8_t)len;
	for (int i = 0; i < len; i++) {
		int bits = prefix - 8 * i;
		ip.ni_mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 :
		    (uint8_t)(0xff << (8 - bits));
		ip.ni_addr[i] = addr[i] & ip.ni_mask[i];
	}
	for (size_t i = 0; i < nc->nc_nip; i++)
		if (memcmp(&nc->nc_ip[i], &ip, sizeof(ip)) == 0)
			return CB_OK;
	if (nc->nc_nip == CERT_NC_MAX_IP)
		return CB_ETOOBIG;
	nc->nc_ip[nc->nc_nip++] = ip;
	return CB_OK;
}

/* "a.b.c.d" or an IPv6 address into 16 bytes; its length (4, 16) or 0. */
static int
nc_parse_addr(const char *s, uint8_t out[16])
{
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, out) == 1)
		return 16;
	return 0;
}

int
cert_nc_add_cidr(struct cert_nc *nc, const char *cidr)
{
	char text[INET6_ADDRSTRLEN + 8], *slash, *end;
	uint8_t addr[16];
	long prefix;
	int len;

	if (strlen(cidr) >= sizeof(text))
		return CB_EINVAL;
	strcpy(text, cidr);
	if ((slash = strchr(text, '/')) == NULL)
		return CB_EINVAL;
	*slash++ = '\0';
	if ((len = nc_parse_addr(text, addr)) == 0 || *slash < '0' ||
	    *slash > '9')
		return CB_EINVAL;
	prefix = strtol(slash, &end, 10);
	if (*end != '\0' || prefix < 0 || prefix > 8 * len)
		return CB_EINVAL;
	return nc_add_net(nc, addr, len, (int)prefix);
}

/* The prefix length of a netmask (contiguous ones), or -1. */
static int
nc_prefix_of(const uint8_t *mask, int len)
{
	int n = 0, i = 0;

	while (i < len && mask[i] == 0xff) {
		n += 8;
		i++;
	}
	if (i < len) {
		uint8_t m = mask[i];
		while (m & 0x80) {
			n++;
			m = (uint8_t)(m << 1);
		}
		if (m != 0)
			return -1;
		while (++i < len)
			if (mask[i] != 0)
				return -1;
	}
	return n;
}

/* Each subnet the box is on that the private ranges do not cover. */
static void
nc_add_lan(struct cert_nc *nc)
{
	struct ifaddrs *list, *ifa;

	if (getifaddrs(&list) != 0)
		return;
	for (ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
		const struct sockaddr *sa = ifa->ifa_addr, *nm = ifa->ifa_netmask;
		const uint8_t *a, *m;
		char text[INET6_ADDRSTRLEN];
		int len, prefix, least;

		if (sa == NULL || nm == NULL || sa->sa_family != nm->sa_family)
			continue;
		if (sa->sa_family == AF_INET) {
			a = (const uint8_t *)&((const struct sockaddr_in *)
			    (const void *)sa)->sin_addr;
			m = (const uint8_t *)&((const struct sockaddr_in *)
			    (const void *)nm)->sin_addr;
			len = 4;
			least = CERT_NC_V4_MIN_PREFIX;
		} else if (sa->sa_family == AF_INET6) {
			a = ((const struct sockaddr_in6 *)(const void *)sa)->
			    sin6_addr.s6_addr;
			m = ((const struct sockaddr_in6 *)(const void *)nm)->
			    sin6_addr.s6_addr;
			len = 16;
			least = CERT_NC_V6_MIN_PREFIX;
		} else
			continue;
		if (inet_ntop(sa->sa_family, a, text, sizeof(text)) == NULL ||
		    cert_nc_permits(nc, text))
			continue;
		prefix = nc_prefix_of(m, len);
		if (prefix < least)
			prefix = 8 * len;
		if (nc_add_net(nc, a, len, prefix) == CB_OK)
			log_info("cert: the CA may also name %s/%d, a subnet "
			    "the box is on", text, prefix);
	}
	freeifaddrs(list);
}

void
cert_nc_current(struct cert_nc *out)
{
	char host[CERT_NAME_MAX];

	memset(out, 0, sizeof(*out));
	(void)cert_nc_add_dns(out, "local");
	(void)cert_nc_add_dns(out, "localhost");
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		for (char *p = host; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if (!cert_nc_permits(out, host))
			(void)cert_nc_add_dns(out, host);
	}
	for (size_t i = 0; i < CB_ARRAY_LEN(nc_private); i++)
		(void)cert_nc_add_cidr(out, nc_private[i]);
	nc_add_lan(out);
}

/* ---- DER ----------------------------------------------------------- */

/* One GeneralSubtree { base } with base's tag and content, before *p. */
static int
nc_write_subtree(unsigned char **p, unsigned char *start, int tag,
    const unsigned char *v, size_t vlen)
{
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(p, start, v,
	    vlen));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start,
	    (unsigned char)tag));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start, NC_SEQ));
	return (int)len;
}

static int
nc_write(const struct cert_nc *nc, unsigned char **p, unsigned char *start)
{
	size_t len = 0;
	int ret;

	/* Backwards: the last subtree first. */
	for (size_t i = nc->nc_nip; i-- > 0;) {
		unsigned char v[32];
		const struct cert_nc_ip *ip = &nc->nc_ip[i];
		memcpy(v, ip->ni_addr, ip->ni_len);
		memcpy(v + ip->ni_len, ip->ni_mask, ip->ni_len);
		MBEDTLS_ASN1_CHK_ADD(len, nc_write_subtree(p, start, NC_TAG_IP,
		    v, 2u * ip->ni_len));
	}
	for (size_t i = nc->nc_ndns; i-- > 0;)
		MBEDTLS_ASN1_CHK_ADD(len, nc_write_subtree(p, start, NC_TAG_DNS,
		    (const unsigned char *)nc->nc_dns[i],
		    strlen(nc->nc_dns[i])));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start,
	    NC_TAG_PERMIT));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start, NC_SEQ));
	return (int)len;
}

int
cert_nc_der(const struct cert_nc *nc, uint8_t *buf, size_t size,
    const uint8_t **der, size_t *len)
{
	unsigned char *p = buf + size;
	int n;

	/* Both kinds present: a kind without subtrees is unconstrained. */
	if (nc->nc_ndns == 0 || nc->nc_nip == 0)
		return CB_EINVAL;
	if ((n = nc_write(nc, &p, buf)) < 0)
		return n == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL ? CB_ETOOBIG :
		    CB_ECRYPTO;
	assert(p >= buf && (size_t)n == (size_t)(buf + size - p));
	*der = p;
	*len = (size_t)n;
	return CB_OK;
}

static int
nc_parse_subtree(unsigned char **p, const unsigned char *end,
    struct cert_nc *out)
{
	unsigned char *sub_end;
	char name[CERT_NAME_MAX];
	size_t len;

	if (mbedtls_asn1_get_tag(p, end, &len, NC_SEQ) != 0)
		return CB_EINVAL;
	sub_end = *p + len;
	if (*p < sub_end && **p == NC_TAG_DNS) {
		if (mbedtls_asn1_get_tag(p, sub_end, &len, NC_TAG_DNS) != 0 ||
		    len == 0 || len >= sizeof(name))
			return CB_EINVAL;
		memcpy(name, *p, len);
		name[len] = '\0';
		*p += len;
		if (cert_nc_add_dns(out, name) != CB_OK)
			return CB_EINVAL;
	} else {
		uint8_t mask[16];
		int prefix;
		if (mbedtls_asn1_get_tag(p, sub_end, &len, NC_TAG_IP) != 0 ||
		    (len != 8 && len != 32))
			return CB_EINVAL;
		memcpy(mask, *p + len / 2, len / 2);
		if ((prefix = nc_prefix_of(mask, (int)len / 2)) < 0 ||
		    nc_add_net(out, *p, (int)len / 2, prefix) != CB_OK)
			return CB_EINVAL;
		*p += len;
	}
	/* No minimum or maximum (RFC 5280: MUST NOT be present). */
	return *p == sub_end ? CB_OK : CB_EINVAL;
}

int
cert_nc_parse(const uint8_t *der, size_t len, struct cert_nc *out)
{
	unsigned char *p = (unsigned char *)(uintptr_t)der;
	const unsigned char *end = der + len;
	unsigned char *perm_end;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (mbedtls_asn1_get_tag(&p, end, &n, NC_SEQ) != 0 || p + n != end ||
	    mbedtls_asn1_get_tag(&p, end, &n, NC_TAG_PERMIT) != 0 ||
	    p + n != end || n == 0)
		goto bad;
	perm_end = p + n;
	for (int i = 0; p < perm_end; i++)
		if (i >= CERT_NC_MAX_DNS + CERT_NC_MAX_IP ||
		    nc_parse_subtree(&p, perm_end, out) != CB_OK)
			goto bad;
	return CB_OK;
bad:
	memset(out, 0, sizeof(*out));
	return CB_EINVAL;
}

/* ---- checking ------------------------------------------------------ */

static int
nc_dns_within(const char *name, const char *base)
{
	size_t n = strlen(name), b = strlen(base);

	if (n == b)
		return strcasecmp(name, base) == 0;
	/* RFC 5280: base with zero or more labels added on the left. */
	return n > b && name[n - b - 1] == '.' &&
	    strcasecmp(name + n - b, base) == 0;
}

int
cert_nc_permits(const struct cert_nc *nc, const char *name)
{
	uint8_t a[16];
	int len = nc_parse_addr(name, a);

	if (len != 0) {
		if (nc->nc_nip == 0)
			return 1;
		for (size_t i = 0; i < nc->nc_nip; i++) {
			const struct cert_nc_ip *ip = &nc->nc_ip[i];
			int k;
			if (ip->ni_len != len)
				continue;
			for (k = 0; k < len; k++)
				if ((a[k] & ip->ni_mask[k]) != ip->ni_addr[k])
					break;
			if (k == len)
				return 1;
		}
		return 0;
	}
	if (nc->nc_ndns == 0)
		return 1;
	for (size_t i = 0; i < nc->nc_ndns; i++)
		if (nc_dns_within(name, nc->nc_dns[i]))
			return 1;
	return 0;
}

/* ---- parsing certificates that carry them --------------------------- */

struct nc_parse_ctx {
	struct cert_nc *pc_nc;
	int pc_has;
};

/* mbedTLS asks about each extension it does not know; a non-zero answer
 * refuses the certificate when the extension is critical. */
static int
nc_ext_cb(void *arg, mbedtls_x509_crt const *crt, mbedtls_x509_buf const *oid,
    int critical, const unsigned char *p, const unsigned char *end)
{
	struct nc_parse_ctx *ctx = arg;
	struct cert_nc nc;

	(void)crt;
	(void)critical;
	if (MBEDTLS_OID_CMP(MBEDTLS_OID_NAME_CONSTRAINTS, oid) != 0)
		return -1;
	/* Someone else's constrained CA (an admin's upload) need not
	 * follow our strict form: accepted, but not reported as ours. */
	if (cert_nc_parse(p, (size_t)(end - p), &nc) != CB_OK)
		return 0;
	if (ctx->pc_nc != NULL)
		*ctx->pc_nc = nc;
	ctx->pc_has = 1;
	return 0;
}

static int
nc_parse_der(mbedtls_x509_crt *crt, const unsigned char *der, size_t len,
    struct nc_parse_ctx *ctx)
{
	return mbedtls_x509_crt_parse_der_with_ext_cb(crt, der, len, 1,
	    nc_ext_cb, ctx) == 0 ? CB_OK : CB_EINVAL;
}

int
cert_x509_parse(mbedtls_x509_crt *crt, const void *buf, size_t len,
    struct cert_nc *nc, int *has_nc)
{
	struct nc_parse_ctx ctx = { nc, 0 };
	const unsigned char *p = buf;
	int n = 0, rc = CB_OK;

	if (nc != NULL)
		memset(nc, 0, sizeof(*nc));
	if (len == 0 || memchr(buf, '\0', len) == NULL ||
	    strstr(buf, NC_PEM_BEGIN) == NULL)
		rc = len > 0 ? nc_parse_der(crt, p, len, &ctx) : CB_EINVAL;
	else
		/* A chain: each PEM block in turn (pem_read_buffer wants
		 * the NUL-terminated rest of the buffer). */
		while (rc == CB_OK && strstr((const char *)p, NC_PEM_BEGIN)) {
			mbedtls_pem_context pem;
			size_t used = 0;
			mbedtls_pem_init(&pem);
			if (n++ == NC_MAX_CERTS ||
			    mbedtls_pem_read_buffer(&pem, NC_PEM_BEGIN,
			    NC_PEM_END, p, NULL, 0, &used) != 0)
				rc = CB_EINVAL;
			else
				rc = nc_parse_der(crt, pem.MBEDTLS_PRIVATE(buf),
				    pem.MBEDTLS_PRIVATE(buflen), &ctx);
			mbedtls_pem_free(&pem);
			p += used;
		}
	if (has_nc != NULL)
		*has_nc = ctx.pc_has;
	return rc;
}

int
cert_x509_parse_file(mbedtls_x509_crt *crt, const char *path)
{
	size_t cap = 2 * CERT_PEM_MAX, len = 0;
	char *buf = malloc(cap);
	FILE *f;
	int rc = CB_EIO;

	if (buf == NULL)
		return CB_ENOMEM;
	if ((f = fopen(path, "rbe")) != NULL) {
		len = fread(buf, 1, cap - 1, f);
		rc = ferror(f) ? CB_EIO : len == cap - 1 ? CB_ETOOBIG : CB_OK;
		fclose(f);
	} else
		rc = CB_ENOTFOUND;
	if (rc == CB_OK) {
		buf[len] = '\0';
		rc = cert_x509_parse(crt, buf, memchr(buf, '\0', len) ? len :
		    len + 1, NULL, NULL);
	}
	free(buf);
	return rc;
}
