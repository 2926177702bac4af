/*
 * sign.c: keys, release-key certificates and bundle building for the host
 * tools. Nothing here runs on a box during an install; it lives in the
 * firmware tree so that the signer and the verifier share bundle.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "base/cb.h"
#include "base/file.h"
#include "update/sign.h"

#define SIGN_PEM_MAX	4096
#define SIGN_IO_BUF	(64 * 1024)
#define SIGN_DRBG_PERS	"classbox-sign"

struct sign_key {
	mbedtls_pk_context sk_pk;
	mbedtls_entropy_context sk_entropy;
	mbedtls_ctr_drbg_context sk_drbg;
};

static int
sign_why(char *why, size_t why_size, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
	return rc;
}

static struct sign_key *
sign_key_new(void)
{
	struct sign_key *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	mbedtls_pk_init(&k->sk_pk);
	mbedtls_entropy_init(&k->sk_entropy);
	mbedtls_ctr_drbg_init(&k->sk_drbg);
	if (mbedtls_ctr_drbg_seed(&k->sk_drbg, mbedtls_entropy_func,
	    &k->sk_entropy, (const unsigned char *)SIGN_DRBG_PERS,
	    sizeof(SIGN_DRBG_PERS) - 1) != 0) {
		sign_key_free(k);
		return NULL;
	}
	return k;
}

void
sign_key_free(struct sign_key *k)
{
	if (k == NULL)
		return;
	mbedtls_pk_free(&k->sk_pk);
	mbedtls_ctr_drbg_free(&k->sk_drbg);
	mbedtls_entropy_free(&k->sk_entropy);
	free(k);
}

static int
write_new_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd == -1)
		return errno == EEXIST ? CB_EEXIST : CB_EIO;
	if (cb_write_all(fd, buf, len) != CB_OK || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return CB_EIO;
	}
	if (close(fd) != 0)
		return CB_EIO;
	return cb_fsync_dir_of(path);
}

int
sign_keygen(const char *path)
{
	struct sign_key *k = sign_key_new();
	unsigned char pem[SIGN_PEM_MAX];
	int ret, rc;

	if (k == NULL)
		return CB_ECRYPTO;
	ret = mbedtls_pk_setup(&k->sk_pk,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (ret == 0)
		ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
		    mbedtls_pk_ec(k->sk_pk), mbedtls_ctr_drbg_random,
		    &k->sk_drbg);
	if (ret == 0)
		ret = mbedtls_pk_write_key_pem(&k->sk_pk, pem, sizeof(pem));
	sign_key_free(k);
	if (ret != 0)
		return CB_ECRYPTO;
	rc = write_new_file(path, pem, strlen((char *)pem), 0600);
	cb_wipe(pem, sizeof(pem));
	return rc;
}

static int
read_small_file(const char *path, unsigned char *buf, size_t size,
    size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return errno == ENOENT ? CB_ENOTFOUND : CB_EIO;
	n = fread(buf, 1, size - 1, f);
	if (ferror(f) || !feof(f)) {
		int err = ferror(f);

		fclose(f);
		return err ? CB_EIO : CB_ETOOBIG;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return CB_OK;
}

int
sign_key_load(const char *path, struct sign_key **out)
{
	unsigned char pem[SIGN_PEM_MAX];
	struct sign_key *k;
	size_t len;
	int rc, ret;

	*out = NULL;
	if ((rc = read_small_file(path, pem, sizeof(pem), &len)) != CB_OK)
		return rc;
	if ((k = sign_key_new()) == NULL)
		return CB_ECRYPTO;
	ret = mbedtls_pk_parse_key(&k->sk_pk, pem, len + 1, NULL, 0,
	    mbedtls_ctr_drbg_random, &k->sk_drbg);
	cb_wipe(pem, sizeof(pem));
	if (ret != 0 || mbedtls_pk_get_type(&k->sk_pk) != MBEDTLS_PK_ECKEY ||
	    mbedtls_pk_ec(k->sk_pk)->MBEDTLS_PRIVATE(grp).id !=
	    MBEDTLS_ECP_DP_SECP256R1) {
		sign_key_free(k);
		return CB_EINVAL;
	}
	*out = k;
	return CB_OK;
}

int
sign_key_pub(const struct sign_key *k, uint8_t *pub)
{
	const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->sk_pk);
	size_t n = 0;

	if (mbedtls_ecp_point_write_binary(&ec->MBEDTLS_PRIVATE(grp),
	    &ec->MBEDTLS_PRIVATE(Q), MBEDTLS_ECP_PF_UNCOMPRESSED, &n, pub,
	    BUNDLE_PUB_LEN) != 0 || n != BUNDLE_PUB_LEN)
		return CB_ECRYPTO;
	return CB_OK;
}

int
sign_message(const struct sign_key *k, const void *msg, size_t len,
    uint8_t *sig, size_t *sig_len)
{
	mbedtls_ecdsa_context ec;
	uint8_t hash[BUNDLE_HASH_LEN];
	int ret;

	mbedtls_ecdsa_init(&ec);
	ret = mbedtls_ecdsa_from_keypair(&ec, mbedtls_pk_ec(k->sk_pk));
	if (ret == 0)
		ret = mbedtls_sha256(msg, len, hash, 0);
	/* MBEDTLS_ECDSA_DETERMINISTIC: the nonce comes from RFC 6979; the
	 * RNG only blinds the computation. */
	if (ret == 0)
		ret = mbedtls_ecdsa_write_signature(&ec, MBEDTLS_MD_SHA256,
		    hash, sizeof(hash), sig, BUNDLE_SIG_MAX, sig_len,
		    mbedtls_ctr_drbg_random,
		    &((struct sign_key *)k)->sk_drbg);
	mbedtls_ecdsa_free(&ec);
	return ret == 0 ? CB_OK : CB_ECRYPTO;
}

int
sign_pub_write(const char *path, const uint8_t *pub)
{
	char hex[2 * BUNDLE_PUB_LEN + 2];

	bundle_hex(pub, BUNDLE_PUB_LEN, hex);
	strcat(hex, "\n");
	return write_new_file(path, hex, strlen(hex), 0644);
}

int
sign_pub_read(const char *path, uint8_t *pub)
{
	unsigned char buf[2 * BUNDLE_PUB_LEN + 8];
	size_t len;
	int rc;

	if ((rc = read_small_file(path, buf, sizeof(buf), &len)) != CB_OK)
		return rc;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	return bundle_unhex((char *)buf, len, pub, BUNDLE_PUB_LEN);
}

int
sign_certify(const struct sign_key *root, uint32_t serial,
    const uint8_t *release_pub, const char *path)
{
	char text[512], pubhex[2 * BUNDLE_PUB_LEN + 1];
	char sighex[2 * BUNDLE_SIG_MAX + 1], line[1024];
	uint8_t sig[BUNDLE_SIG_MAX];
	size_t sig_len;
	int n, rc;

	if (serial == 0)
		return CB_EINVAL;
	n = bundle_release_cert_text(serial, release_pub, text, sizeof(text));
	if (n < 0)
		return n;
	if ((rc = sign_message(root, text, (size_t)n, sig, &sig_len)) != 0)
		return rc;
	bundle_hex(release_pub, BUNDLE_PUB_LEN, pubhex);
	bundle_hex(sig, sig_len, sighex);
	n = snprintf(line, sizeof(line), "release-key %u %s %s\n", serial,
	    pubhex, sighex);
	return write_new_file(path, line, (size_t)n, 0644);
}

/* SHA-256 of a whole file. */
static int
hash_file(const char *path, uint8_t *out)
{
	mbedtls_sha256_context sc;
	unsigned char *buf = malloc(SIGN_IO_BUF);
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc = CB_OK;

	if (f == NULL || buf == NULL) {
		if (f)
			fclose(f);
		free(buf);
		return CB_EIO;
	}
	mbedtls_sha256_init(&sc);
	mbedtls_sha256_starts(&sc, 0);
	while ((n = fread(buf, 1, SIGN_IO_BUF, f)) > 0)
		mbedtls_sha256_update(&sc, buf, n);
	if (ferror(f))
		rc = CB_EIO;
	mbedtls_sha256_finish(&sc, out);
	mbedtls_sha256_free(&sc);
	fclose(f);
	free(buf);
	return rc;
}

/* Appends printf output to a growing manifest buffer. */
struct mbuf { char *mb_p; size_t mb_len, mb_cap; int mb_err; };

static void
mb_add(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->mb_err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->mb_p + b->mb_len, b->mb_cap - b->mb_len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->mb_cap - b->mb_len)
		b->mb_err = 1;
	else
		b->mb_len += (size_t)n;
}

/* The chunk lines of the image; sets *size. */
static int
sign_chunks(FILE *img, struct mbuf *b, uint64_t *size)
{
	unsigned char *buf = malloc(BUNDLE_CHUNK_SIZE);
	uint8_t h[BUNDLE_HASH_LEN];
	char hex[2 * BUNDLE_HASH_LEN + 1];
	size_t n;
	uint32_t i;

	if (buf == NULL)
		return CB_ENOMEM;
	*size = 0;
	for (i = 0; i <= BUNDLE_CHUNKS_MAX; i++) {
		n = fread(buf, 1, BUNDLE_CHUNK_SIZE, img);
		if (n == 0)
			break;
		if (i == BUNDLE_CHUNKS_MAX) {
			free(buf);
			return CB_ETOOBIG;
		}
		mbedtls_sha256(buf, n, h, 0);
		bundle_hex(h, sizeof(h), hex);
		mb_add(b, "chunk %u %s\n", i, hex);
		*size += n;
	}
	free(buf);
	return ferror(img) ? CB_EIO : CB_OK;
}

static int
sign_manifest(const struct sign_bundle_args *a, FILE *img, struct mbuf *b,
    char *why, size_t why_size)
{
	uint8_t kh[BUNDLE_HASH_LEN], ih[BUNDLE_HASH_LEN];
	char khex[2 * BUNDLE_HASH_LEN + 1], ihex[2 * BUNDLE_HASH_LEN + 1];
	char cert[1024];
	struct mbuf chunks = { NULL, 0, BUNDLE_MANIFEST_MAX, 0 };
	size_t clen = 0;
	uint64_t size;
	int rc;

	if (hash_file(a->sb_kernel, kh) != CB_OK ||
	    hash_file(a->sb_initramfs, ih) != CB_OK)
		return sign_why(why, why_size, CB_EIO, "cannot read the "
		    "kernel %s or the initramfs %s", a->sb_kernel,
		    a->sb_initramfs);
	if (a->sb_cert_path != NULL && (read_small_file(a->sb_cert_path,
	    (unsigned char *)cert, sizeof(cert), &clen) != CB_OK ||
	    clen == 0 || cert[clen - 1] != '\n'))
		return sign_why(why, why_size, CB_EIO, "cannot read the "
		    "release key certificate %s", a->sb_cert_path);
	if ((chunks.mb_p = malloc(chunks.mb_cap)) == NULL)
		return CB_ENOMEM;
	rc = sign_chunks(img, &chunks, &size);
	if (rc != CB_OK || size == 0) {
		free(chunks.mb_p);
		return sign_why(why, why_size, rc ? rc : CB_EINVAL, "the "
		    "image is empty, unreadable or larger than %d MiB",
		    BUNDLE_CHUNKS_MAX);
	}
	bundle_hex(kh, sizeof(kh), khex);
	bundle_hex(ih, sizeof(ih), ihex);
	mb_add(b, "classbox-bundle 1\nboard %s\nversion %s\nepoch %u\n"
	    "signer %s\n", a->sb_board, a->sb_version, a->sb_epoch,
	    a->sb_cert_path ? "release" : "root");
	if (a->sb_cert_path != NULL)
		mb_add(b, "%.*s", (int)clen, cert);
	if (a->sb_key_floor != 0)
		mb_add(b, "key-floor %u\n", a->sb_key_floor);
	mb_add(b, "image-size %llu\nchunk-size %d\nkernel %s\ninitramfs %s\n"
	    "%.*s", (unsigned long long)size, BUNDLE_CHUNK_SIZE, khex, ihex,
	    (int)chunks.mb_len, chunks.mb_p);
	free(chunks.mb_p);
	return b->mb_err ? CB_ETOOBIG : CB_OK;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* header, manifest, signature, then the image copied from img. */
static int
sign_write(const struct sign_bundle_args *a, const struct mbuf *b,
    const uint8_t *sig, size_t sig_len, FILE *img)
{
	uint8_t hdr[BUNDLE_HEADER_LEN] = { 0 };
	unsigned char *buf = malloc(SIGN_IO_BUF);
	FILE *out = fopen(a->sb_out, "wxb");
	size_t n;
	int rc = CB_OK;

	if (out == NULL || buf == NULL) {
		if (out)
			fclose(out);
		free(buf);
		return CB_EIO;
	}
	memcpy(hdr, BUNDLE_MAGIC, 8);
	put_be32(hdr + 8, BUNDLE_FORMAT);
	put_be32(hdr + 12, (uint32_t)b->mb_len);
	put_be32(hdr + 16, (uint32_t)sig_len);
	if (fwrite(hdr, 1, sizeof(hdr), out) != sizeof(hdr) ||
	    fwrite(b->mb_p, 1, b->mb_len, out) != b->mb_len ||
	    fwrite(sig, 1, sig_len, out) != sig_len)
		rc = CB_EIO;
	rewind(img);
	while (rc == CB_OK && (n = fread(buf, 1, SIGN_IO_BUF, img)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = CB_EIO;
	if (ferror(img) || fflush(out) != 0 || fsync(fileno(out)) != 0)
		rc = CB_EIO;
	if (fclose(out) != 0)
		rc = CB_EIO;
	free(buf);
	if (rc != CB_OK)
		unlink(a->sb_out);
	return rc;
}

int
sign_bundle(const struct sign_bundle_args *a, char *why, size_t why_size)
{
	struct mbuf b = { NULL, 0, BUNDLE_MANIFEST_MAX, 0 };
	struct bundle_manifest *m = NULL;
	uint8_t sig[BUNDLE_SIG_MAX];
	size_t sig_len;
	FILE *img;
	int rc;

	if ((img = fopen(a->sb_image, "rb")) == NULL)
		return sign_why(why, why_size, CB_EIO, "cannot open the image "
		    "%s: %s", a->sb_image, strerror(errno));
	if ((b.mb_p = malloc(b.mb_cap)) == NULL ||
	    (m = malloc(sizeof(*m))) == NULL) {
		rc = CB_ENOMEM;
		goto out;
	}
	if ((rc = sign_manifest(a, img, &b, why, why_size)) != CB_OK)
		goto out;
	/* What we sign must be what a box parses. */
	if ((rc = bundle_manifest_parse(b.mb_p, b.mb_len, m, why,
	    why_size)) != CB_OK)
		goto out;
	if ((rc = sign_message(a->sb_key, b.mb_p, b.mb_len, sig,
	    &sig_len)) != CB_OK) {
		sign_why(why, why_size, rc, "signing failed");
		goto out;
	}
	if ((rc = sign_write(a, &b, sig, sig_len, img)) != CB_OK)
		sign_why(why, why_size, rc, "cannot write %s (it must not "
		    "exist yet)", a->sb_out);
out:
	fclose(img);
	free(b.mb_p);
	free(m);
	return rc;
}
