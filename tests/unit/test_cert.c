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
#include <unistd.h>

#include "base/cb.h"
#include "net/cert.h"
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
