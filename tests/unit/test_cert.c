/*
 * test_cert.c: the box's CA and server certificates (net/cert.c) in a
 * scratch directory: issued once, kept while the names hold, re-issued
 * when they change or expiry nears, names checked, uploads refused when
 * they do not fit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/x509_crt.h>

#include "base/cb.h"
#include "net/cert.h"
#include "net/cert_nc.h"
#include "t.h"

static char dir[64];

static void
scratch_rm(void)
{
	char cmd[96];

	if (dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	dir[0] = '\0';
}

static void
scratch(void)
{
	static int registered;

	if (!registered++)
		atexit(scratch_rm);
	scratch_rm();
	snprintf(dir, sizeof(dir), "/tmp/cb-test-cert.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
}

static void
names2(struct cert_names *n, const char *a, const char *b)
{
	memset(n, 0, sizeof(*n));
	cert_names_add(n, a);
	cert_names_add(n, b);
}

T_TEST(names_sorted_unique_checked)
{
	struct cert_names n;
	char j[256];

	memset(&n, 0, sizeof(n));
	T_EQ_INT(cert_names_add(&n, "box.local"), CB_OK);
	T_EQ_INT(cert_names_add(&n, "10.0.0.5"), CB_OK);
	T_EQ_INT(cert_names_add(&n, "box.local"), CB_OK);
	T_EQ_INT(cert_names_add(&n, "a,b"), CB_EINVAL);
	T_EQ_INT(cert_names_add(&n, ""), CB_EINVAL);
	T_EQ_INT(cert_names_join(&n, j, sizeof(j)), CB_OK);
	T_EQ_STR(j, "10.0.0.5,box.local");
}

T_TEST(issue_keep_reissue)
{
	struct cert_names n;
	struct cert_info ca, ci;
	char path[128];
	struct stat st;
	int issued;
	int64_t now = 1790000000;

	scratch();
	names2(&n, "box.local", "10.0.0.5");
	T_EQ_INT(cert_ensure(dir, &n, now, &issued), CB_OK);
	T_EQ_INT(issued, 1);
	snprintf(path, sizeof(path), "%s/ca/key.pem", dir);
	T_ASSERT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	snprintf(path, sizeof(path), "%s/ca/ca.pem", dir);
	T_EQ_INT(cert_info_file(path, &ca), CB_OK);
	T_EQ_INT(ca.ci_is_ca, 1);
	T_ASSERT(ca.ci_not_after_s - now >= (int64_t)(CERT_CA_DAYS - 1) * 86400);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	T_EQ_INT(cert_info_file(path, &ci), CB_OK);
	T_EQ_INT(ci.ci_is_ca, 0);
	T_EQ_STR(ci.ci_issuer, ca.ci_subject);
	T_EQ_STR(ci.ci_subject, "CN=box.local");
	T_EQ_INT(ci.ci_names.cn_n, 2);
	T_EQ_STR(ci.ci_names.cn_v[0], "10.0.0.5");
	/* Same names, a day later: kept. */
	T_EQ_INT(cert_ensure(dir, &n, now + 86400, &issued), CB_OK);
	T_EQ_INT(issued, 0);
	/* A new address: re-issued by the same CA. */
	names2(&n, "box.local", "10.0.0.6");
	T_EQ_INT(cert_ensure(dir, &n, now + 86400, &issued), CB_OK);
	T_EQ_INT(issued, 1);
	struct cert_info ca2;
	snprintf(path, sizeof(path), "%s/ca/ca.pem", dir);
	T_EQ_INT(cert_info_file(path, &ca2), CB_OK);
	T_EQ_STR(ca2.ci_sha256, ca.ci_sha256);
	/* 29 days before expiry: renewed. */
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	T_EQ_INT(cert_info_file(path, &ci), CB_OK);
	T_EQ_INT(cert_ensure(dir, &n, ci.ci_not_after_s - 29 * 86400,
	    &issued), CB_OK);
	T_EQ_INT(issued, 1);
}

/* Run a shell command in dir (the scratch directory); its exit status. */
static int
sh(const char *fmt, const char *arg)
{
	char cmd[1024], body[900];

	snprintf(body, sizeof(body), fmt, arg);
	snprintf(cmd, sizeof(cmd), "cd '%s' && (%s) >>sh.log 2>&1", dir, body);
	return system(cmd);
}

T_TEST(name_constraints_der)
{
	struct cert_nc nc, back;
	uint8_t buf[CERT_NC_DER_MAX];
	const uint8_t *der;
	size_t len;

	memset(&nc, 0, sizeof(nc));
	T_EQ_INT(cert_nc_add_dns(&nc, "local"), CB_OK);
	T_EQ_INT(cert_nc_add_dns(&nc, "Box"), CB_EINVAL);
	T_EQ_INT(cert_nc_add_dns(&nc, ".local"), CB_EINVAL);
	T_EQ_INT(cert_nc_add_cidr(&nc, "10.0.0.0/8"), CB_OK);
	T_EQ_INT(cert_nc_add_cidr(&nc, "2001:db8:5::7/64"), CB_OK);
	T_EQ_INT(cert_nc_add_cidr(&nc, "10.0.0.0/33"), CB_EINVAL);
	T_EQ_INT(cert_nc_add_cidr(&nc, "10.0.0.0"), CB_EINVAL);
	T_EQ_INT(cert_nc_add_cidr(&nc, "10.0.0.0/"), CB_EINVAL);
	T_EQ_INT(cert_nc_der(&nc, buf, sizeof(buf), &der, &len), CB_OK);
	T_EQ_INT(cert_nc_parse(der, len, &back), CB_OK);
	T_EQ_INT(back.nc_ndns, 1);
	T_EQ_INT(back.nc_nip, 2);
	T_EQ_INT(memcmp(&back.nc_ip, &nc.nc_ip, sizeof(nc.nc_ip)), 0);
	T_ASSERT(cert_nc_permits(&back, "box.local"));
	T_ASSERT(cert_nc_permits(&back, "LOCAL"));
	T_ASSERT(!cert_nc_permits(&back, "notlocal"));
	T_ASSERT(!cert_nc_permits(&back, "example.com"));
	T_ASSERT(cert_nc_permits(&back, "10.200.0.1"));
	T_ASSERT(!cert_nc_permits(&back, "11.0.0.1"));
	T_ASSERT(cert_nc_permits(&back, "2001:db8:5::1"));
	T_ASSERT(!cert_nc_permits(&back, "2001:db8:6::1"));
	/* Cut anywhere, or one byte changed in the frame: refused. */
	for (size_t i = 0; i < len; i++)
		T_EQ_INT(cert_nc_parse(der, i, &back), CB_EINVAL);
	memcpy(buf, der, len);
	buf[2] ^= 1;	/* [0] becomes [1]: excluded subtrees */
	T_EQ_INT(cert_nc_parse(buf, len, &back), CB_EINVAL);
	/* Too little room. */
	T_EQ_INT(cert_nc_der(&nc, buf, 16, &der, &len), CB_ETOOBIG);
	/* The box's own set always has both kinds. */
	cert_nc_current(&nc);
	T_ASSERT(nc.nc_ndns >= 2 && nc.nc_nip >= 8);
	T_ASSERT(cert_nc_permits(&nc, "localhost"));
	T_ASSERT(cert_nc_permits(&nc, "::1"));
	T_ASSERT(cert_nc_permits(&nc, "fd77::1"));
	T_ASSERT(cert_nc_permits(&nc, "192.168.1.2"));
	T_ASSERT(!cert_nc_permits(&nc, "www.example.com"));
}

/*
 * Issue 20: the CA is confined to the box's names. OpenSSL, as a verifier
 * every tablet's resembles, accepts the box's certificate and refuses one
 * for example.com made with the CA's own key.
 */
T_TEST(ca_constrained_openssl)
{
	struct cert_names n;
	char path[128];
	int issued;
	int64_t now = (int64_t)time(NULL);

	scratch();
	names2(&n, "box.local", "10.0.0.5");
	T_EQ_INT(cert_ensure(dir, &n, now, &issued), CB_OK);
	T_EQ_INT(sh("openssl x509 -in ca/ca.pem -noout -text | "
	    "grep -A2 'Name Constraints: critical' | grep -q 'DNS:local'%s",
	    ""), 0);
	T_EQ_INT(sh("openssl verify -purpose sslserver -CAfile ca/ca.pem "
	    "cert.pem%s", ""), 0);
	T_EQ_INT(sh("openssl req -new -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout evil.key -subj "
	    "/CN=example.com -addext subjectAltName=DNS:example.com "
	    "-out evil.csr && openssl x509 -req -in evil.csr -CA ca/ca.pem "
	    "-CAkey ca/key.pem -copy_extensions copy -days 30 -out "
	    "evil.pem%s", ""), 0);
	/* Signed by the CA's key, yet refused. */
	T_ASSERT(sh("openssl verify -purpose sslserver -CAfile ca/ca.pem "
	    "evil.pem%s", "") != 0);
	T_EQ_INT(sh("openssl verify -purpose sslserver -CAfile ca/ca.pem "
	    "evil.pem 2>&1 | grep -q 'permitted subtree violation'%s", ""), 0);
	/* The same for a public address. */
	T_EQ_INT(sh("openssl req -new -key evil.key -subj /CN=x -addext "
	    "subjectAltName=IP:203.0.113.9 -out ip.csr && openssl x509 -req "
	    "-in ip.csr -CA ca/ca.pem -CAkey ca/key.pem -copy_extensions copy "
	    "-days 30 -out ip.pem%s", ""), 0);
	T_ASSERT(sh("openssl verify -purpose sslserver -CAfile ca/ca.pem "
	    "ip.pem%s", "") != 0);
	/* A name outside the constraints is left out of the box's own
	 * certificate rather than making it fail as a whole. */
	names2(&n, "box.local", "www.example.com");
	T_EQ_INT(cert_ensure(dir, &n, now, &issued), CB_OK);
	T_EQ_INT(issued, 1);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	struct cert_info ci;
	T_EQ_INT(cert_info_file(path, &ci), CB_OK);
	T_EQ_INT(ci.ci_names.cn_n, 1);
	T_EQ_STR(ci.ci_names.cn_v[0], "box.local");
	T_EQ_INT(sh("openssl verify -purpose sslserver -CAfile ca/ca.pem "
	    "cert.pem%s", ""), 0);
}

/* testssl rates a certificate without CRL or OCSP HIGH: the CA signs a
 * CRL (TLSDIR/ca.crl) and the certificate names where it is served. */
T_TEST(crl_signed_and_named)
{
	struct cert_names n;
	int issued;
	int64_t now = (int64_t)time(NULL);

	scratch();
	names2(&n, "box.local", "10.0.0.5");
	snprintf(n.cn_primary, sizeof(n.cn_primary), "box.local");
	cert_crl_url(&n, 80);
	T_EQ_STR(n.cn_crl_url, "http://box.local/ca.crl");
	cert_crl_url(&n, 0);
	T_EQ_STR(n.cn_crl_url, "");
	cert_crl_url(&n, 8080);
	T_EQ_STR(n.cn_crl_url, "http://box.local:8080/ca.crl");
	T_EQ_INT(cert_ensure(dir, &n, now, &issued), CB_OK);
	T_EQ_INT(issued, 1);
	T_EQ_INT(sh("openssl crl -inform DER -in ca.crl -CAfile ca/ca.pem "
	    "-noout%s", ""), 0);
	T_EQ_INT(sh("openssl crl -inform DER -in ca.crl -noout -text | grep -q "
	    "'No Revoked Certificates'%s", ""), 0);
	T_EQ_INT(sh("openssl x509 -in cert.pem -noout -ext "
	    "crlDistributionPoints | grep -q "
	    "'URI:http://box.local:8080/ca.crl'%s", ""), 0);
	T_EQ_INT(sh("openssl crl -inform DER -in ca.crl -out crl.pem && "
	    "openssl verify -crl_check -CRLfile crl.pem -CAfile ca/ca.pem "
	    "cert.pem%s", ""), 0);
	/* Same names, another port: a new certificate naming it. */
	cert_crl_url(&n, 8081);
	T_EQ_INT(cert_ensure(dir, &n, now, &issued), CB_OK);
	T_EQ_INT(issued, 1);
	T_EQ_INT(sh("openssl x509 -in cert.pem -noout -ext "
	    "crlDistributionPoints | grep -q ':8081/ca.crl'%s", ""), 0);
}

/* A box upgraded from before issue 20: its CA has no constraints and is
 * replaced, key and all; the server certificate follows. */
T_TEST(ca_unconstrained_replaced)
{
	struct cert_names n;
	struct cert_info ca, ci;
	char path[128];
	int issued, has_nc = 1;
	int64_t now = (int64_t)time(NULL);

	scratch();
	T_EQ_INT(sh("mkdir -p ca && openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout ca/key.pem -subj "
	    "'/CN=classbox local CA 0000' -addext basicConstraints=critical,"
	    "CA:TRUE -days 3650 -out ca/ca.pem && cp ca/ca.pem old-ca.pem && "
	    "cp ca/key.pem old-key.pem%s", ""), 0);
	names2(&n, "box.local", "10.0.0.5");
	T_EQ_INT(cert_ensure(dir, &n, now, &issued), CB_OK);
	T_EQ_INT(issued, 1);
	snprintf(path, sizeof(path), "%s/ca/ca.pem", dir);
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	T_EQ_INT(cert_x509_parse_file(&crt, path), CB_OK);
	mbedtls_x509_crt_free(&crt);
	char pem[CERT_PEM_MAX];
	FILE *f = fopen(path, "r");
	size_t len = f ? fread(pem, 1, sizeof(pem) - 1, f) : 0;
	if (f)
		fclose(f);
	pem[len] = '\0';
	mbedtls_x509_crt_init(&crt);
	T_EQ_INT(cert_x509_parse(&crt, pem, len + 1, NULL, &has_nc), CB_OK);
	mbedtls_x509_crt_free(&crt);
	T_EQ_INT(has_nc, 1);
	T_EQ_INT(cert_info_file(path, &ca), CB_OK);
	T_ASSERT(strcmp(ca.ci_subject, "CN=classbox local CA 0000") != 0);
	T_ASSERT(sh("cmp -s ca/key.pem old-key.pem%s", "") != 0);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	T_EQ_INT(cert_info_file(path, &ci), CB_OK);
	T_EQ_STR(ci.ci_issuer, ca.ci_subject);
	T_EQ_INT(sh("openssl verify -CAfile ca/ca.pem cert.pem%s", ""), 0);
	T_ASSERT(sh("openssl verify -CAfile old-ca.pem cert.pem%s", "") != 0);
	/* Once replaced, kept. */
	T_EQ_INT(cert_ensure(dir, &n, now, &issued), CB_OK);
	T_EQ_INT(issued, 0);
}

T_TEST(mdns_state_names_checked)
{
	struct cert_names n;
	char path[128];
	FILE *f;

	scratch();
	snprintf(path, sizeof(path), "%s/name", dir);
	f = fopen(path, "w");
	fputs("www.example.com\n", f);
	fclose(f);
	cert_names_current(&n, path);
	for (size_t i = 0; i < n.cn_n; i++)
		T_ASSERT(strcmp(n.cn_v[i], "www.example.com") != 0);
	f = fopen(path, "w");
	fputs("box-2.local\n", f);
	fclose(f);
	cert_names_current(&n, path);
	int found = 0;
	for (size_t i = 0; i < n.cn_n; i++)
		found |= strcmp(n.cn_v[i], "box-2.local") == 0;
	T_ASSERT(found);
}

T_TEST(upload_refusals)
{
	const char *why;
	char cert[CERT_PEM_MAX], key[CERT_PEM_MAX], path[128], updir[128];
	FILE *f;
	size_t len;
	struct cert_names n;
	int issued;

	scratch();
	T_EQ_INT(cert_upload(dir, "junk", "junk", 1790000000, &why), CB_EINVAL);
	T_ASSERT(why != NULL);
	/* The CA's certificate with the server's key: a mismatch. */
	names2(&n, "box.local", "10.0.0.5");
	T_EQ_INT(cert_ensure(dir, &n, 1790000000, &issued), CB_OK);
	snprintf(path, sizeof(path), "%s/ca/ca.pem", dir);
	f = fopen(path, "r");
	len = fread(cert, 1, sizeof(cert) - 1, f);
	cert[len] = '\0';
	fclose(f);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	f = fopen(path, "r");
	len = fread(key, 1, sizeof(key) - 1, f);
	key[len] = '\0';
	fclose(f);
	T_EQ_INT(cert_upload(dir, cert, key, 1790000000, &why), CB_EINVAL);
	T_EQ_STR(why, "the key does not belong to the (first) certificate");
	/* The same check for the enrollment's pair, which writes nothing. */
	T_EQ_INT(cert_upload_check(cert, key, 1790000000, &why), CB_EINVAL);
	T_EQ_STR(why, "the key does not belong to the (first) certificate");
	snprintf(updir, sizeof(updir), "%s/uploaded", dir);
	T_ASSERT(access(updir, F_OK) != 0);
	/* The server's own pair, long after it expired: refused. */
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	f = fopen(path, "r");
	len = fread(cert, 1, sizeof(cert) - 1, f);
	cert[len] = '\0';
	fclose(f);
	T_EQ_INT(cert_upload(dir, cert, key, 1790000000 + 1000 * 86400LL,
	    &why), CB_EINVAL);
	T_EQ_STR(why, "the certificate is expired or not yet valid");
	T_EQ_INT(cert_upload_check(cert, key, 1790000000, &why), CB_OK);
	T_ASSERT(why == NULL);
	T_ASSERT(access(updir, F_OK) != 0);
	T_EQ_INT(cert_upload(dir, cert, key, 1790000000, &why), CB_OK);
	char c[128], k[128];
	int up;
	T_EQ_INT(cert_paths(dir, c, sizeof(c), k, sizeof(k), &up), CB_OK);
	T_EQ_INT(up, 1);
	T_EQ_INT(cert_upload_remove(dir), CB_OK);
	T_EQ_INT(cert_paths(dir, c, sizeof(c), k, sizeof(k), &up), CB_OK);
	T_EQ_INT(up, 0);
}

T_MAIN()
