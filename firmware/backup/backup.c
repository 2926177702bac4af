/*
 * backup.c: the backup container (backup.h): chunked AES-256-GCM under a
 * per-file backup key wrapped by the keystore's KEK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/gcm.h>
#include <mbedtls/sha256.h>

#include "backup/backup.h"
#include "base/cb.h"
#include "base/file.h"

const struct bk_env_name bk_envs[] = {
	{ "auth", "auth" },
	{ "store", "store" },
	{ "audit/login", "audit/login" },
	{ "audit/ops", "audit/ops" },
};
const size_t bk_nenvs = sizeof(bk_envs) / sizeof(bk_envs[0]);

#define BK_CHUNK_HEAD	(1 + 4 + SEAL_NONCE_LEN)
#define BK_AD_LEN	(BK_HEADER_LEN + 8 + 1)

static void
bk_errf(char err[BK_ERR_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, BK_ERR_MAX, fmt, ap);
	va_end(ap);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int
bk_known_name(const char *name)
{
	for (size_t i = 0; i < bk_nenvs; i++)
		if (strcmp(name, bk_envs[i].be_name) == 0)
			return 1;
	return 0;
}

/* ---- writing ---- */

struct bk_wr {
	int w_fd;
	mbedtls_gcm_context w_gcm;
	uint8_t w_header[BK_HEADER_LEN];
	uint8_t *w_buf;		/* plaintext, chunk bytes */
	uint8_t *w_out;		/* one encrypted chunk */
	size_t w_len, w_chunk;
	uint64_t w_index;
	char *w_err;
};

static int
write_all(int fd, const void *p, size_t len, char err[BK_ERR_MAX])
{
	int e;

	if (cb_write_all(fd, p, len) == CB_OK)
		return CB_OK;
	e = errno;
	bk_errf(err, "writing the backup: %s%s", strerror(e),
	    e == ENOSPC || e == EDQUOT ? " (the target is full)" : "");
	return e == ENOSPC || e == EDQUOT ? CB_EFULL : CB_EIO;
}

static void
bk_ad(uint8_t ad[BK_AD_LEN], const uint8_t header[BK_HEADER_LEN],
    uint64_t index, int final)
{
	memcpy(ad, header, BK_HEADER_LEN);
	put64(ad + BK_HEADER_LEN, index);
	ad[BK_HEADER_LEN + 8] = final ? 1 : 0;
}

static int
bk_wr_flush(struct bk_wr *w, int final)
{
	uint8_t ad[BK_AD_LEN], *o = w->w_out;
	size_t len = w->w_len;

	o[0] = final ? 1 : 0;
	put32(o + 1, (uint32_t)len);
	if (cb_random(o + 5, SEAL_NONCE_LEN) != 0) {
		bk_errf(w->w_err, "no random numbers");
		return CB_EIO;
	}
	bk_ad(ad, w->w_header, w->w_index, final);
	if (mbedtls_gcm_crypt_and_tag(&w->w_gcm, MBEDTLS_GCM_ENCRYPT, len,
	    o + 5, SEAL_NONCE_LEN, ad, sizeof(ad), w->w_buf,
	    o + BK_CHUNK_HEAD, SEAL_TAG_LEN, o + BK_CHUNK_HEAD + len) != 0) {
		bk_errf(w->w_err, "encryption failed");
		return CB_ECRYPTO;
	}
	w->w_index++;
	w->w_len = 0;
	return write_all(w->w_fd, o, BK_CHUNK_HEAD + len + SEAL_TAG_LEN,
	    w->w_err);
}

static int
bk_wr_put(struct bk_wr *w, const void *p, size_t len)
{
	const uint8_t *b = p;
	int rc;

	while (len > 0) {
		size_t n = w->w_chunk - w->w_len;

		if (n > len)
			n = len;
		memcpy(w->w_buf + w->w_len, b, n);
		w->w_len += n;
		b += n;
		len -= n;
		if (w->w_len == w->w_chunk && (rc = bk_wr_flush(w, 0)) != 0)
			return rc;
	}
	return CB_OK;
}

/* SHA-256 and length of a file. */
static int
hash_file(const char *path, uint8_t out[32], uint64_t *len,
    char err[BK_ERR_MAX])
{
	mbedtls_sha256_context sha;
	uint8_t buf[65536];
	uint64_t total = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		bk_errf(err, "cannot open %s: %s", path, strerror(errno));
		return CB_EIO;
	}
	mbedtls_sha256_init(&sha);
	mbedtls_sha256_starts(&sha, 0);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			bk_errf(err, "reading %s: %s", path, strerror(errno));
			close(fd);
			mbedtls_sha256_free(&sha);
			return CB_EIO;
		}
		mbedtls_sha256_update(&sha, buf, (size_t)n);
		total += (uint64_t)n;
	}
	close(fd);
	mbedtls_sha256_finish(&sha, out);
	mbedtls_sha256_free(&sha);
	*len = total;
	return CB_OK;
}

static int
bk_wr_section(struct bk_wr *w, const struct bk_src *src)
{
	uint8_t head[1 + 255 + 8 + 32], buf[65536];
	size_t nl = strlen(src->bs_name);
	uint64_t len, done = 0;
	ssize_t n;
	int fd, rc;

	if (nl == 0 || nl > 31 || !bk_known_name(src->bs_name)) {
		bk_errf(w->w_err, "unknown environment name '%s'", src->bs_name);
		return CB_EINVAL;
	}
	head[0] = (uint8_t)nl;
	memcpy(head + 1, src->bs_name, nl);
	if ((rc = hash_file(src->bs_path, head + 1 + nl + 8, &len,
	    w->w_err)) != 0)
		return rc;
	put64(head + 1 + nl, len);
	if ((rc = bk_wr_put(w, head, 1 + nl + 8 + 32)) != 0)
		return rc;
	if ((fd = open(src->bs_path, O_RDONLY | O_CLOEXEC)) == -1) {
		bk_errf(w->w_err, "cannot open %s: %s", src->bs_path,
		    strerror(errno));
		return CB_EIO;
	}
	/* The file is a private copy: it cannot change between the hash and
	 * this read; the length is checked all the same. */
	while (done < len && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((uint64_t)n > len - done)
			n = (ssize_t)(len - done);
		if ((rc = bk_wr_put(w, buf, (size_t)n)) != 0) {
			close(fd);
			return rc;
		}
		done += (uint64_t)n;
	}
	close(fd);
	if (done != len) {
		bk_errf(w->w_err, "%s changed while being backed up",
		    src->bs_path);
		return CB_EIO;
	}
	return CB_OK;
}

int
bk_write(int fd, struct keystore *ks, const char *box_id, int64_t created_ms,
    uint32_t chunk, const struct bk_src *srcs, size_t n, char err[BK_ERR_MAX])
{
	struct bk_wr w = { .w_fd = fd, .w_err = err };
	uint8_t key[SEAL_KEY_LEN], zero = 0;
	size_t blen = strlen(box_id);
	int rc;

	err[0] = 0;
	if (chunk == 0)
		chunk = BK_CHUNK_DEFAULT;
	if (chunk > BK_CHUNK_MAX || blen > BK_BOX_ID_MAX) {
		bk_errf(err, "bad chunk size or box id");
		return CB_EINVAL;
	}
	w.w_chunk = chunk;
	memcpy(w.w_header, BK_MAGIC, 8);
	put32(w.w_header + 8, BK_VERSION);
	put32(w.w_header + 12, chunk);
	put64(w.w_header + 16, (uint64_t)created_ms);
	memcpy(w.w_header + 24, box_id, blen);
	if ((rc = seal_new_dek(key)) != 0 ||
	    (rc = ks->ks_wrap(ks, key, w.w_header + 88)) != 0) {
		bk_errf(err, "cannot make and wrap the backup key");
		cb_wipe(key, sizeof(key));
		return rc ? rc : CB_ECRYPTO;
	}
	mbedtls_gcm_init(&w.w_gcm);
	rc = mbedtls_gcm_setkey(&w.w_gcm, MBEDTLS_CIPHER_ID_AES, key,
	    SEAL_KEY_LEN * 8) != 0 ? CB_ECRYPTO : CB_OK;
	cb_wipe(key, sizeof(key));
	w.w_buf = malloc(chunk);
	w.w_out = malloc(BK_CHUNK_HEAD + chunk + SEAL_TAG_LEN);
	if (rc == 0 && (w.w_buf == NULL || w.w_out == NULL))
		rc = CB_ENOMEM;
	if (rc == 0)
		rc = write_all(fd, w.w_header, BK_HEADER_LEN, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = bk_wr_section(&w, &srcs[i]);
	if (rc == 0)
		rc = bk_wr_put(&w, &zero, 1);
	if (rc == 0)
		rc = bk_wr_flush(&w, 1);
	mbedtls_gcm_free(&w.w_gcm);
	if (w.w_buf != NULL)
		cb_wipe(w.w_buf, chunk);
	free(w.w_buf);
	free(w.w_out);
	if (rc != 0 && err[0] == 0)
		bk_errf(err, "%s", cb_strerror(rc));
	return rc;
}

/* ---- reading ---- */

static int
read_full(int fd, void *p, size_t len, size_t *got)
{
	uint8_t *b = p;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, b + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return CB_EIO;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return CB_OK;
}

static int
parse_header(const uint8_t *b, struct bk_header *h, char err[BK_ERR_MAX])
{
	memset(h, 0, sizeof(*h));
	if (memcmp(b, BK_MAGIC, 8) != 0) {
		bk_errf(err, "not a classbox backup (bad magic)");
		return CB_EINVAL;
	}
	h->bh_version = get32(b + 8);
	h->bh_chunk = get32(b + 12);
	h->bh_created_ms = (int64_t)get64(b + 16);
	if (h->bh_version != BK_VERSION) {
		bk_errf(err, "backup format version %u is not supported",
		    (unsigned)h->bh_version);
		return CB_EINVAL;
	}
	if (h->bh_chunk == 0 || h->bh_chunk > BK_CHUNK_MAX) {
		bk_errf(err, "bad chunk size in the header");
		return CB_EINVAL;
	}
	memcpy(h->bh_box_id, b + 24, BK_BOX_ID_MAX);
	h->bh_box_id[BK_BOX_ID_MAX] = 0;
	return CB_OK;
}

int
bk_read_header(const char *path, struct bk_header *h, char err[BK_ERR_MAX])
{
	uint8_t b[BK_HEADER_LEN];
	size_t got;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		bk_errf(err, "cannot open %s: %s", path, strerror(errno));
		return CB_EIO;
	}
	rc = read_full(fd, b, sizeof(b), &got);
	close(fd);
	if (rc == 0 && got < sizeof(b)) {
		bk_errf(err, "truncated: the file is shorter than its header");
		return CB_EINVAL;
	}
	if (rc != 0) {
		bk_errf(err, "reading %s: %s", path, strerror(errno));
		return rc;
	}
	return parse_header(b, h, err);
}

struct bk_rd {
	int r_fd;
	mbedtls_gcm_context r_gcm;
	uint8_t r_header[BK_HEADER_LEN];
	uint8_t *r_in, *r_buf;
	size_t r_len, r_pos, r_chunk;
	uint64_t r_index;
	int r_final;
	char *r_err;
};

static int
bk_rd_next(struct bk_rd *r)
{
	uint8_t ad[BK_AD_LEN], *in = r->r_in;
	size_t got, len;
	int final;

	if (r->r_final) {
		bk_errf(r->r_err, "truncated: the data ends before its last "
		    "section");
		return CB_EINVAL;
	}
	if (read_full(r->r_fd, in, BK_CHUNK_HEAD, &got) != 0) {
		bk_errf(r->r_err, "read error: %s", strerror(errno));
		return CB_EIO;
	}
	if (got < BK_CHUNK_HEAD) {
		bk_errf(r->r_err, "truncated: chunk %llu is missing or cut "
		    "(the file ends without its final chunk)",
		    (unsigned long long)r->r_index);
		return CB_ECRYPTO;
	}
	final = in[0];
	len = get32(in + 1);
	if (final > 1 || len > r->r_chunk || (!final && len != r->r_chunk)) {
		bk_errf(r->r_err, "chunk %llu is malformed (altered file)",
		    (unsigned long long)r->r_index);
		return CB_ECRYPTO;
	}
	if (read_full(r->r_fd, in + BK_CHUNK_HEAD, len + SEAL_TAG_LEN,
	    &got) != 0) {
		bk_errf(r->r_err, "read error: %s", strerror(errno));
		return CB_EIO;
	}
	if (got < len + SEAL_TAG_LEN) {
		bk_errf(r->r_err, "truncated: chunk %llu is cut short",
		    (unsigned long long)r->r_index);
		return CB_ECRYPTO;
	}
	bk_ad(ad, r->r_header, r->r_index, final);
	if (mbedtls_gcm_auth_decrypt(&r->r_gcm, len, in + 5, SEAL_NONCE_LEN,
	    ad, sizeof(ad), in + BK_CHUNK_HEAD + len, SEAL_TAG_LEN,
	    in + BK_CHUNK_HEAD, r->r_buf) != 0) {
		bk_errf(r->r_err, "chunk %llu does not decrypt: the file was "
		    "altered, cut or reordered", (unsigned long long)r->r_index);
		return CB_ECRYPTO;
	}
	r->r_index++;
	r->r_final = final;
	r->r_len = len;
	r->r_pos = 0;
	return CB_OK;
}

static int
bk_rd_get(struct bk_rd *r, void *p, size_t len)
{
	uint8_t *b = p;
	int rc;

	while (len > 0) {
		size_t n;

		if (r->r_pos == r->r_len && (rc = bk_rd_next(r)) != 0)
			return rc;
		n = r->r_len - r->r_pos;
		if (n > len)
			n = len;
		memcpy(b, r->r_buf + r->r_pos, n);
		r->r_pos += n;
		b += n;
		len -= n;
	}
	return CB_OK;
}

static int
mkdirs(const char *path)
{
	char tmp[512];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return CB_ETOOBIG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return CB_EIO;
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return CB_EIO;
	return CB_OK;
}

static int
bk_rd_section(struct bk_rd *r, const char *out_dir, struct bk_section *sec,
    uint8_t nl)
{
	mbedtls_sha256_context sha;
	uint8_t lenb[8], want[32], have[32], buf[65536];
	char name[32], dir[512];
	uint64_t left;
	int fd = -1, rc;

	if (nl > 31) {
		bk_errf(r->r_err, "malformed section name");
		return CB_EINVAL;
	}
	if ((rc = bk_rd_get(r, name, nl)) != 0)
		return rc;
	name[nl] = 0;
	if (!bk_known_name(name)) {
		bk_errf(r->r_err, "unknown section '%s'", name);
		return CB_EINVAL;
	}
	if ((rc = bk_rd_get(r, lenb, 8)) != 0 ||
	    (rc = bk_rd_get(r, want, 32)) != 0)
		return rc;
	left = get64(lenb);
	memset(sec, 0, sizeof(*sec));
	cb_strlcpy(sec->bx_name, name, sizeof(sec->bx_name));
	sec->bx_len = left;
	if (out_dir != NULL) {
		if (snprintf(dir, sizeof(dir), "%s/%s", out_dir, name) >=
		    (int)sizeof(dir) || snprintf(sec->bx_path,
		    sizeof(sec->bx_path), "%s/data.mdb", dir) >=
		    (int)sizeof(sec->bx_path)) {
			bk_errf(r->r_err, "path too long");
			return CB_ETOOBIG;
		}
		if (mkdirs(dir) != 0 || (fd = open(sec->bx_path, O_WRONLY |
		    O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1) {
			bk_errf(r->r_err, "cannot write %s: %s", sec->bx_path,
			    strerror(errno));
			return CB_EIO;
		}
	}
	mbedtls_sha256_init(&sha);
	mbedtls_sha256_starts(&sha, 0);
	while (left > 0) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		if ((rc = bk_rd_get(r, buf, n)) != 0)
			break;
		mbedtls_sha256_update(&sha, buf, n);
		if (fd != -1 && (rc = write_all(fd, buf, n, r->r_err)) != 0)
			break;
		left -= n;
	}
	mbedtls_sha256_finish(&sha, have);
	mbedtls_sha256_free(&sha);
	if (fd != -1) {
		if (rc == 0 && fsync(fd) != 0) {
			bk_errf(r->r_err, "cannot flush %s: %s", sec->bx_path,
			    strerror(errno));
			rc = CB_EIO;
		}
		close(fd);
	}
	if (rc == 0 && memcmp(want, have, 32) != 0) {
		bk_errf(r->r_err, "section %s: SHA-256 mismatch", name);
		rc = CB_ECRYPTO;
	}
	return rc;
}

int
bk_extract(const char *path, struct keystore *ks, const char *out_dir,
    struct bk_header *h, struct bk_section *secs, size_t *nsecs,
    char err[BK_ERR_MAX])
{
	struct bk_rd r = { .r_err = err };
	uint8_t key[SEAL_KEY_LEN], nl, extra;
	size_t got;
	int rc;

	err[0] = 0;
	*nsecs = 0;
	if ((rc = bk_read_header(path, h, err)) != 0)
		return rc;
	if ((r.r_fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		bk_errf(err, "cannot open %s: %s", path, strerror(errno));
		return CB_EIO;
	}
	if (read_full(r.r_fd, r.r_header, BK_HEADER_LEN, &got) != 0 ||
	    got != BK_HEADER_LEN) {
		close(r.r_fd);
		bk_errf(err, "cannot read the header");
		return CB_EIO;
	}
	if (ks->ks_unwrap(ks, r.r_header + 88, key) != 0) {
		close(r.r_fd);
		bk_errf(err, "the backup key does not open with this box's "
		    "key-encryption key (a backup of another box, or an "
		    "altered header)");
		return CB_ECRYPTO;
	}
	r.r_chunk = h->bh_chunk;
	mbedtls_gcm_init(&r.r_gcm);
	rc = mbedtls_gcm_setkey(&r.r_gcm, MBEDTLS_CIPHER_ID_AES, key,
	    SEAL_KEY_LEN * 8) != 0 ? CB_ECRYPTO : CB_OK;
	cb_wipe(key, sizeof(key));
	r.r_in = malloc(BK_CHUNK_HEAD + r.r_chunk + SEAL_TAG_LEN);
	r.r_buf = malloc(r.r_chunk);
	if (rc == 0 && (r.r_in == NULL || r.r_buf == NULL))
		rc = CB_ENOMEM;
	while (rc == 0) {
		if ((rc = bk_rd_get(&r, &nl, 1)) != 0)
			break;
		if (nl == 0)
			break;
		if (*nsecs >= BK_MAX_ENVS) {
			bk_errf(err, "too many sections");
			rc = CB_EINVAL;
			break;
		}
		rc = bk_rd_section(&r, out_dir, &secs[*nsecs], nl);
		if (rc == 0)
			(*nsecs)++;
	}
	/* The end marker must close the final chunk, and nothing follow. An
	 * end marker that filled a chunk is followed by an empty final one. */
	if (rc == 0 && !r.r_final && r.r_pos == r.r_len)
		rc = bk_rd_next(&r);
	if (rc == 0 && (!r.r_final || r.r_pos != r.r_len)) {
		bk_errf(err, "data after the end marker (altered file)");
		rc = CB_EINVAL;
	}
	if (rc == 0 && read_full(r.r_fd, &extra, 1, &got) == 0 && got != 0) {
		bk_errf(err, "bytes after the final chunk (altered file)");
		rc = CB_EINVAL;
	}
	close(r.r_fd);
	mbedtls_gcm_free(&r.r_gcm);
	if (r.r_buf != NULL)
		cb_wipe(r.r_buf, r.r_chunk);
	free(r.r_buf);
	free(r.r_in);
	if (rc != 0 && err[0] == 0)
		bk_errf(err, "%s", cb_strerror(rc));
	return rc;
}
