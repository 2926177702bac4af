/*
 * install.c: a bundle into the inactive slot, the boot flip, the journal,
 * and the commit or rollback after the new slot's first boot.
 *
 * Order of an install (each step is journaled before the next starts):
 *   1. read and verify the manifest (signature chain, board, epoch);
 *   2. hash every chunk of the payload against the manifest: a bundle
 *      that fails is refused before a single byte of the slot is written;
 *   3. journal WRITING; stream the chunks into the slot, hashing each
 *      again as it is read (the file may change under us: a USB stick);
 *      a chunk the slot already holds (resume) is not rewritten;
 *   4. fsync, drop the slot's cached pages, read every chunk back;
 *   5. check the kernel and initramfs inside the slot (board hook);
 *   6. journal VERIFIED with what to apply at commit (epoch, key floor);
 *   7. the one durable write that flips the boot choice (bootenv.c);
 *   8. journal FLIPPED.
 * A power cut anywhere before 7 leaves the boot state as it was; an
 * interrupted install resumes from the journal. At 7 the older env block
 * is the only thing written; the current one still names the old slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "base/cb.h"
#include "base/file.h"
#include "update/install.h"

#define UPD_FILE_MAX	1024	/* state, journal, last */
#define UPD_STATE_FILE	"state"
#define UPD_JOURNAL_FILE "journal"
#define UPD_LAST_FILE	"last"

static int
upd_why(char *why, size_t why_size, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- small durable files ------------------------------------------ */

/* Write NAME in the state dir atomically (base/file.h): never a rename of
 * an unflushed file. */
static int
upd_put(const struct upd_ctx *c, const char *name, const char *text)
{
	char tmp[UPD_PATH_MAX + 32], path[UPD_PATH_MAX + 32];

	if (mkdir(c->uc_state, 0700) == -1 && errno != EEXIST)
		return CB_EIO;
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", c->uc_state, name);
	snprintf(path, sizeof(path), "%s/%s", c->uc_state, name);
	return cb_file_put(path, tmp, text, strlen(text), 0600, 0);
}

static int
upd_get(const struct upd_ctx *c, const char *name, char *buf, size_t size)
{
	char path[UPD_PATH_MAX + 32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", c->uc_state, name);
	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? CB_ENOTFOUND : CB_EIO;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return CB_EIO;
	buf[n] = '\0';
	return CB_OK;
}

static int
upd_del(const struct upd_ctx *c, const char *name)
{
	char path[UPD_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", c->uc_state, name);
	if (unlink(path) == -1 && errno != ENOENT)
		return CB_EIO;
	return cb_fsync_dir(c->uc_state);
}

/* "KEY value" on its own line of text: the value (to the end of line). */
static const char *
kv_find(const char *text, const char *key, size_t *len)
{
	size_t k = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, key, k) == 0 && p[k] == ' ') {
			*len = strcspn(p + k + 1, "\n");
			return p + k + 1;
		}
	return NULL;
}

static uint32_t
kv_u32(const char *text, const char *key)
{
	size_t n;
	const char *v = kv_find(text, key, &n);
	unsigned long x;

	if (v == NULL)
		return 0;
	x = strtoul(v, NULL, 10);
	return x > UINT32_MAX ? 0 : (uint32_t)x;
}

int
upd_state_load(const struct upd_ctx *c, struct upd_state *s)
{
	char buf[UPD_FILE_MAX];
	int rc = upd_get(c, UPD_STATE_FILE, buf, sizeof(buf));

	memset(s, 0, sizeof(*s));
	if (rc == CB_ENOTFOUND)
		return CB_OK;		/* a new box: epoch 0 */
	if (rc != CB_OK)
		return rc;
	s->us_epoch = kv_u32(buf, "epoch");
	s->us_key_floor = kv_u32(buf, "key-floor");
	return CB_OK;
}

static int
upd_state_save(const struct upd_ctx *c, const struct upd_state *s)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "epoch %u\nkey-floor %u\n", s->us_epoch,
	    s->us_key_floor);
	return upd_put(c, UPD_STATE_FILE, buf);
}

int
upd_journal_load(const struct upd_ctx *c, struct upd_journal *j)
{
	char buf[UPD_FILE_MAX];
	const char *v;
	size_t n;
	int rc = upd_get(c, UPD_JOURNAL_FILE, buf, sizeof(buf));

	memset(j, 0, sizeof(*j));
	if (rc == CB_ENOTFOUND)
		return CB_OK;
	if (rc != CB_OK)
		return rc;
	j->uj_phase = (int)kv_u32(buf, "phase");
	if ((v = kv_find(buf, "slot", &n)) != NULL && n == 1)
		j->uj_slot = v[0];
	if ((v = kv_find(buf, "version", &n)) != NULL &&
	    n < sizeof(j->uj_version))
		memcpy(j->uj_version, v, n);
	if ((v = kv_find(buf, "bundle", &n)) != NULL &&
	    n < sizeof(j->uj_bundle))
		memcpy(j->uj_bundle, v, n);
	j->uj_epoch = kv_u32(buf, "epoch");
	j->uj_key_floor = kv_u32(buf, "key-floor");
	if (j->uj_phase < UPD_WRITING || j->uj_phase > UPD_FLIPPED ||
	    (j->uj_slot != 'A' && j->uj_slot != 'B'))
		memset(j, 0, sizeof(*j));	/* torn or foreign: none */
	return CB_OK;
}

static int
upd_journal_save(const struct upd_ctx *c, const struct upd_journal *j)
{
	char buf[UPD_FILE_MAX];

	snprintf(buf, sizeof(buf), "phase %d\nslot %c\nversion %s\nepoch %u\n"
	    "key-floor %u\nbundle %s\n", j->uj_phase, j->uj_slot,
	    j->uj_version, j->uj_epoch, j->uj_key_floor, j->uj_bundle);
	return upd_put(c, UPD_JOURNAL_FILE, buf);
}

/* One line of the last file: no newline or control byte in a value. */
static void
kv_clean(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < size; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ?
		    ' ' : src[i];
	if (size > 0)
		dst[i] = '\0';
}

void
upd_last_record(const struct upd_ctx *c, const char *outcome,
    const char *reason, const char *version, char slot, int resumed,
    const char *detail)
{
	char buf[UPD_FILE_MAX], v[BUNDLE_VERSION_MAX], d[UPD_DETAIL_MAX];

	kv_clean(v, sizeof(v), version != NULL && version[0] ? version : "?");
	kv_clean(d, sizeof(d), detail != NULL ? detail : "");
	snprintf(buf, sizeof(buf), "outcome %s\nreason %s\nversion %s\n"
	    "slot %c\nresumed %d\ntime %lld\ndetail %s\n", outcome,
	    reason != NULL && reason[0] ? reason : "-", v,
	    slot == 'A' || slot == 'B' ? slot : '?', resumed ? 1 : 0,
	    (long long)(cb_now_ms() / 1000), d);
	(void)upd_put(c, UPD_LAST_FILE, buf);
}

static void
kv_copy(const char *text, const char *key, char *out, size_t size)
{
	size_t n;
	const char *v = kv_find(text, key, &n);

	out[0] = '\0';
	if (v != NULL && n < size) {
		memcpy(out, v, n);
		out[n] = '\0';
	}
}

int
upd_last_load(const struct upd_ctx *c, struct upd_last *l)
{
	char buf[UPD_FILE_MAX], slot[4];
	size_t n;
	const char *v;
	int rc = upd_get(c, UPD_LAST_FILE, buf, sizeof(buf));

	memset(l, 0, sizeof(*l));
	if (rc != CB_OK)
		return rc;
	kv_copy(buf, "outcome", l->ul_outcome, sizeof(l->ul_outcome));
	kv_copy(buf, "reason", l->ul_reason, sizeof(l->ul_reason));
	if (strcmp(l->ul_reason, "-") == 0)
		l->ul_reason[0] = '\0';
	kv_copy(buf, "version", l->ul_version, sizeof(l->ul_version));
	kv_copy(buf, "slot", slot, sizeof(slot));
	l->ul_slot = slot[0] == 'A' || slot[0] == 'B' ? slot[0] : 0;
	l->ul_resumed = kv_u32(buf, "resumed") == 1;
	if ((v = kv_find(buf, "time", &n)) != NULL)
		l->ul_time = strtoll(v, NULL, 10);
	kv_copy(buf, "detail", l->ul_detail, sizeof(l->ul_detail));
	for (const char *p = l->ul_outcome; *p; p++)
		if ((*p < 'a' || *p > 'z') && *p != '-')
			l->ul_outcome[0] = '\0';	/* torn or foreign */
	return l->ul_outcome[0] ? CB_OK : CB_ENOTFOUND;
}

void
upd_last_text(const struct upd_last *l, char *buf, size_t size)
{
	const char *o = l->ul_outcome;
	char slot = l->ul_slot ? l->ul_slot : '?';
	char other = slot == 'A' ? 'B' : 'A';

	if (strcmp(o, UPD_LAST_INSTALLED) == 0)
		snprintf(buf, size, "installed %s in slot %c%s: reboot to try "
		    "it", l->ul_version, slot, l->ul_resumed ?
		    " (resumed after an interruption)" : "");
	else if (strcmp(o, UPD_LAST_COMMITTED) == 0)
		snprintf(buf, size, "update %s in slot %c committed (%s)",
		    l->ul_version, slot, l->ul_detail);
	else if (strcmp(o, UPD_LAST_ROLLED_BACK) == 0)
		snprintf(buf, size, "update %s in slot %c rolled back to slot "
		    "%c: %s", l->ul_version, slot, other, l->ul_detail);
	else if (strcmp(o, UPD_LAST_FELL_BACK) == 0)
		snprintf(buf, size, "update %s in slot %c failed to boot: back "
		    "on slot %c", l->ul_version, slot, other);
	else if (strcmp(o, UPD_LAST_REFUSED) == 0)
		snprintf(buf, size, "update %s refused (%s): %s; nothing was "
		    "written", l->ul_version, l->ul_reason, l->ul_detail);
	else if (strcmp(o, UPD_LAST_FAILED) == 0)
		snprintf(buf, size, "install of %s into slot %c failed: %s; "
		    "the boot choice is unchanged", l->ul_version, slot,
		    l->ul_detail);
	else
		snprintf(buf, size, "%s: %s", o, l->ul_detail);
}

int
upd_last_read(const struct upd_ctx *c, char *buf, size_t size)
{
	struct upd_last l;
	int rc = upd_last_load(c, &l);

	buf[0] = '\0';
	if (rc == CB_OK)
		upd_last_text(&l, buf, size);
	return rc;
}

/* ---- reading a bundle --------------------------------------------- */

struct upd_bundle {
	int ub_fd;
	struct bundle_layout ub_lay;
	char *ub_text;
	uint8_t ub_sig[BUNDLE_SIG_MAX];
	struct bundle_manifest *ub_m;
	uint8_t *ub_buf;		/* one chunk */
	uint8_t *ub_buf2;		/* one chunk, the slot's */
	const char *ub_reason;		/* UPD_WHY_* of a refusal */
	int ub_parsed;			/* ub_m holds a parsed manifest */
};

static void
ub_close(struct upd_bundle *b)
{
	if (b->ub_fd >= 0)
		close(b->ub_fd);
	free(b->ub_text);
	free(b->ub_m);
	free(b->ub_buf);
	free(b->ub_buf2);
	memset(b, 0, sizeof(*b));
	b->ub_fd = -1;
}

static int
read_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
		    (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? CB_ENOTFOUND : CB_EIO;
		done += (size_t)n;
	}
	return CB_OK;
}

static int
ub_open(struct upd_bundle *b, const char *path, char *why, size_t why_size)
{
	uint8_t hdr[BUNDLE_HEADER_LEN];
	uint64_t end;
	off_t size;
	int rc;

	memset(b, 0, sizeof(*b));
	if ((b->ub_fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		b->ub_reason = UPD_WHY_MISSING;
		return upd_why(why, why_size, CB_ENOTFOUND, "cannot open the "
		    "bundle %s: %s", path, strerror(errno));
	}
	if ((size = lseek(b->ub_fd, 0, SEEK_END)) < 0)
		return upd_why(why, why_size, CB_EIO, "cannot read %s", path);
	if (read_full(b->ub_fd, hdr, sizeof(hdr), 0) != CB_OK)
		return upd_why(why, why_size, CB_EINVAL, "not a classbox "
		    "bundle: %s is shorter than a bundle header", path);
	if ((rc = bundle_header_parse(hdr, sizeof(hdr), &b->ub_lay, why,
	    why_size)) != CB_OK)
		return rc;
	if ((uint64_t)size < b->ub_lay.bl_payload_off) {
		b->ub_reason = UPD_WHY_TRUNCATED;
		return upd_why(why, why_size, CB_EINVAL, "the bundle is "
		    "truncated: it ends inside its manifest or signature "
		    "(%lld bytes): copy it again", (long long)size);
	}
	if ((b->ub_text = malloc(b->ub_lay.bl_manifest_len + 1)) == NULL ||
	    (b->ub_m = malloc(sizeof(*b->ub_m))) == NULL ||
	    (b->ub_buf = malloc(BUNDLE_CHUNK_SIZE)) == NULL ||
	    (b->ub_buf2 = malloc(BUNDLE_CHUNK_SIZE)) == NULL)
		return CB_ENOMEM;
	if (read_full(b->ub_fd, b->ub_text, b->ub_lay.bl_manifest_len,
	    BUNDLE_HEADER_LEN) != CB_OK ||
	    read_full(b->ub_fd, b->ub_sig, b->ub_lay.bl_sig_len,
	    BUNDLE_HEADER_LEN + b->ub_lay.bl_manifest_len) != CB_OK)
		return upd_why(why, why_size, CB_EIO, "cannot read %s", path);
	b->ub_text[b->ub_lay.bl_manifest_len] = '\0';
	if ((rc = bundle_manifest_parse(b->ub_text, b->ub_lay.bl_manifest_len,
	    b->ub_m, why, why_size)) != CB_OK)
		return rc;
	b->ub_parsed = 1;
	end = b->ub_lay.bl_payload_off + b->ub_m->bm_image_size;
	if ((uint64_t)size < end) {
		b->ub_reason = UPD_WHY_TRUNCATED;
		return upd_why(why, why_size, CB_EINVAL, "the bundle is "
		    "truncated: %lld of %llu bytes (copy it again)",
		    (long long)size, (unsigned long long)end);
	}
	return CB_OK;
}

static int
ub_verify_manifest(struct upd_bundle *b, const struct upd_ctx *c,
    int allow_rollback, char *why, size_t why_size)
{
	struct upd_state st;
	struct bundle_policy p;
	int rc;

	if ((rc = upd_state_load(c, &st)) != CB_OK)
		return upd_why(why, why_size, rc, "cannot read the update "
		    "state in %s", c->uc_state);
	p.bp_root_pub = c->uc_root_pub;
	p.bp_board = c->uc_board[0] ? c->uc_board : NULL;
	p.bp_epoch = st.us_epoch;
	p.bp_key_floor = st.us_key_floor;
	p.bp_allow_rollback = allow_rollback;
	rc = bundle_manifest_verify(b->ub_text, b->ub_lay.bl_manifest_len,
	    b->ub_sig, b->ub_lay.bl_sig_len, b->ub_m, &p, why, why_size);
	/* Which policy refused, from the facts (the manifest parsed). */
	if (rc == CB_ECRYPTO)
		b->ub_reason = UPD_WHY_SIGNATURE;
	else if (rc == CB_EPERM && p.bp_board != NULL &&
	    strcmp(b->ub_m->bm_board, p.bp_board) != 0)
		b->ub_reason = UPD_WHY_BOARD;
	else if (rc == CB_EPERM && !allow_rollback &&
	    b->ub_m->bm_epoch < st.us_epoch)
		b->ub_reason = UPD_WHY_EPOCH;
	else if (rc == CB_EPERM)
		b->ub_reason = UPD_WHY_KEY;
	return rc;
}

static size_t
chunk_len(const struct bundle_manifest *m, uint32_t i)
{
	uint64_t off = (uint64_t)i * BUNDLE_CHUNK_SIZE;

	return m->bm_image_size - off < BUNDLE_CHUNK_SIZE ?
	    (size_t)(m->bm_image_size - off) : BUNDLE_CHUNK_SIZE;
}

static int
chunk_ok(const struct bundle_manifest *m, uint32_t i, const uint8_t *buf)
{
	uint8_t h[BUNDLE_HASH_LEN];

	mbedtls_sha256(buf, chunk_len(m, i), h, 0);
	return memcmp(h, m->bm_chunk[i], sizeof(h)) == 0;
}

/* Read chunk i of the payload and check it. */
static int
ub_chunk(struct upd_bundle *b, uint32_t i, char *why, size_t why_size)
{
	const struct bundle_manifest *m = b->ub_m;

	if (read_full(b->ub_fd, b->ub_buf, chunk_len(m, i),
	    b->ub_lay.bl_payload_off + (uint64_t)i * BUNDLE_CHUNK_SIZE) !=
	    CB_OK)
		return upd_why(why, why_size, CB_EIO, "cannot read chunk %u "
		    "of the bundle", i);
	if (!chunk_ok(m, i, b->ub_buf)) {
		b->ub_reason = UPD_WHY_CHUNK;
		return upd_why(why, why_size, CB_ECRYPTO, "chunk %u of %u "
		    "does not match its signed hash: the bundle is damaged "
		    "or was changed; refused", i, m->bm_nchunks);
	}
	return CB_OK;
}

static void
progress(const struct upd_ctx *c, const char *phase, uint32_t i,
    const struct bundle_manifest *m)
{
	uint64_t done = (uint64_t)i * BUNDLE_CHUNK_SIZE;

	if (c->uc_progress != NULL)
		c->uc_progress(c->uc_progress_arg, phase,
		    done > m->bm_image_size ? m->bm_image_size : done,
		    m->bm_image_size);
}

static int
ub_verify_all(struct upd_bundle *b, const struct upd_ctx *c, char *why,
    size_t why_size)
{
	int rc;

	for (uint32_t i = 0; i < b->ub_m->bm_nchunks; i++) {
		progress(c, "verify", i, b->ub_m);
		if ((rc = ub_chunk(b, i, why, why_size)) != CB_OK)
			return rc;
	}
	progress(c, "verify", b->ub_m->bm_nchunks, b->ub_m);
	return CB_OK;
}

int
upd_verify_file(const struct upd_ctx *c, const char *bundle_path,
    int allow_rollback, struct bundle_manifest *m, char *why,
    size_t why_size)
{
	struct upd_bundle b;
	int rc;

	rc = ub_open(&b, bundle_path, why, why_size);
	if (rc == CB_OK)
		rc = ub_verify_manifest(&b, c, allow_rollback, why, why_size);
	if (rc == CB_OK)
		rc = ub_verify_all(&b, c, why, why_size);
	if (rc == CB_OK && m != NULL)
		memcpy(m, b.ub_m, sizeof(*m));
	ub_close(&b);
	return rc;
}

/* ---- writing the slot --------------------------------------------- */

static int
write_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
		    (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return CB_EIO;
		done += (size_t)n;
	}
	return CB_OK;
}

static int
slot_write(struct upd_bundle *b, const struct upd_ctx *c, int fd,
    uint32_t *rewritten, char *why, size_t why_size)
{
	const struct bundle_manifest *m = b->ub_m;
	int rc;

	*rewritten = 0;
	for (uint32_t i = 0; i < m->bm_nchunks; i++) {
		uint64_t off = (uint64_t)i * BUNDLE_CHUNK_SIZE;

		progress(c, "write", i, m);
		/* Resume: a chunk already in the slot is left alone. */
		if (read_full(fd, b->ub_buf2, chunk_len(m, i), off) == CB_OK &&
		    chunk_ok(m, i, b->ub_buf2))
			continue;
		if ((rc = ub_chunk(b, i, why, why_size)) != CB_OK)
			return rc;
		if (write_full(fd, b->ub_buf, chunk_len(m, i), off) != CB_OK)
			return upd_why(why, why_size, CB_EIO, "writing chunk "
			    "%u to the slot failed: %s", i, strerror(errno));
		(*rewritten)++;
	}
	if (fsync(fd) != 0)
		return upd_why(why, why_size, CB_EIO, "flushing the slot "
		    "failed: %s", strerror(errno));
	progress(c, "write", m->bm_nchunks, m);
	return CB_OK;
}

/* After fsync, drop the cached pages so that the read back comes from
 * the disk, not from memory. */
static int
slot_read_back(struct upd_bundle *b, const struct upd_ctx *c, int fd,
    char *why, size_t why_size)
{
	const struct bundle_manifest *m = b->ub_m;

	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	for (uint32_t i = 0; i < m->bm_nchunks; i++) {
		progress(c, "read-back", i, m);
		if (read_full(fd, b->ub_buf2, chunk_len(m, i),
		    (uint64_t)i * BUNDLE_CHUNK_SIZE) != CB_OK ||
		    !chunk_ok(m, i, b->ub_buf2))
			return upd_why(why, why_size, CB_EIO, "read back: "
			    "chunk %u of the slot differs from what was "
			    "written (a failing disk?); the boot choice is "
			    "unchanged", i);
	}
	progress(c, "read-back", m->bm_nchunks, m);
	return CB_OK;
}

static int
slot_size_ok(int fd, const struct bundle_manifest *m)
{
	off_t end = lseek(fd, 0, SEEK_END);
	struct stat st;

	if (fstat(fd, &st) != 0)
		return 0;
	if (!S_ISBLK(st.st_mode))
		return 1;	/* a file (tests) grows */
	return end >= 0 && (uint64_t)end >= m->bm_image_size;
}

static int
upd_precheck(const struct upd_ctx *c, char *target, char *why,
    size_t why_size)
{
	struct bootstate bs;
	int trial;
	char next;

	if (c->uc_booted != 'A' && c->uc_booted != 'B')
		return upd_why(why, why_size, CB_ESTATE, "the booted slot is "
		    "unknown (no classbox.slot= on the kernel command line)");
	*target = c->uc_booted == 'A' ? 'B' : 'A';
	bootstate_read(c->uc_esp, &bs);
	next = bootstate_next(&bs, &trial);
	if (trial)
		return upd_why(why, why_size, CB_ESTATE, "slot %c is on trial "
		    "(not committed yet): reboot into it or wait for its "
		    "health check before installing again", next);
	if (bs.bs_cur < 0)
		return upd_why(why, why_size, CB_ESTATE, "no valid boot state "
		    "on the ESP (%s): refusing to install", c->uc_esp);
	return CB_OK;
}

static int
upd_write_slot(struct upd_bundle *b, const struct upd_ctx *c, char target,
    char *why, size_t why_size)
{
	const char *dev = c->uc_slot[target - 'A'];
	uint32_t rewritten;
	int fd, rc;

	if ((fd = open(dev, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return upd_why(why, why_size, CB_EIO, "cannot open slot %c "
		    "(%s): %s", target, dev, strerror(errno));
	if (!slot_size_ok(fd, b->ub_m)) {
		close(fd);
		return upd_why(why, why_size, CB_ETOOBIG, "the image (%llu "
		    "bytes) does not fit slot %c", (unsigned long long)
		    b->ub_m->bm_image_size, target);
	}
	rc = slot_write(b, c, fd, &rewritten, why, why_size);
	if (rc == CB_OK)
		rc = slot_read_back(b, c, fd, why, why_size);
	if (close(fd) != 0 && rc == CB_OK)
		rc = upd_why(why, why_size, CB_EIO, "closing slot %c failed",
		    target);
	if (rc == CB_OK && c->uc_check_boot_files != NULL)
		rc = c->uc_check_boot_files(dev, b->ub_m, why, why_size);
	if (rc == CB_OK && rewritten < b->ub_m->bm_nchunks)
		log_info("update: resumed: %u of %u chunks were already in "
		    "slot %c", b->ub_m->bm_nchunks - rewritten,
		    b->ub_m->bm_nchunks, target);
	return rc;
}

int
upd_install(const struct upd_ctx *c, const char *bundle_path,
    const struct upd_install_opts *o, char *why, size_t why_size)
{
	struct upd_journal j;
	struct upd_bundle b;
	struct bootstate bs;
	char target = 0;
	int rc, writing = 0;

	memset(&b, 0, sizeof(b));
	b.ub_fd = -1;
	if ((rc = upd_precheck(c, &target, why, why_size)) != CB_OK) {
		b.ub_reason = UPD_WHY_STATE;
		goto out;
	}
	if ((rc = ub_open(&b, bundle_path, why, why_size)) != CB_OK)
		goto out;
	if ((rc = ub_verify_manifest(&b, c, o->ui_allow_rollback, why,
	    why_size)) != CB_OK || (rc = ub_verify_all(&b, c, why,
	    why_size)) != CB_OK)
		goto out;
	memset(&j, 0, sizeof(j));
	j.uj_phase = UPD_WRITING;
	j.uj_slot = target;
	cb_strlcpy(j.uj_version, b.ub_m->bm_version, sizeof(j.uj_version));
	if (cb_strlcpy(j.uj_bundle, bundle_path, sizeof(j.uj_bundle)) != 0) {
		rc = upd_why(why, why_size, CB_ETOOBIG, "bundle path too long");
		goto out;
	}
	j.uj_epoch = b.ub_m->bm_epoch;
	j.uj_key_floor = b.ub_m->bm_key_floor;
	if ((rc = upd_journal_save(c, &j)) != CB_OK) {
		upd_why(why, why_size, rc, "cannot write the journal in %s",
		    c->uc_state);
		goto out;
	}
	writing = 1;
	if ((rc = upd_write_slot(&b, c, target, why, why_size)) != CB_OK)
		goto out;
	j.uj_phase = UPD_VERIFIED;
	if ((rc = upd_journal_save(c, &j)) != CB_OK)
		goto out;
	bootstate_read(c->uc_esp, &bs);
	if ((rc = bootstate_write(c->uc_esp, &bs, target,
	    BOOTENV_TRIES)) != CB_OK) {
		upd_why(why, why_size, rc, "cannot write the boot state on "
		    "the ESP (%s); the boot choice is unchanged", c->uc_esp);
		goto out;
	}
	j.uj_phase = UPD_FLIPPED;
	(void)upd_journal_save(c, &j);	/* VERIFIED means the same */
	upd_last_record(c, UPD_LAST_INSTALLED, NULL, j.uj_version, target,
	    o->ui_resumed, "reboot to try it");
out:
	if (rc != CB_OK)
		upd_last_record(c, writing ? UPD_LAST_FAILED : UPD_LAST_REFUSED,
		    b.ub_reason != NULL ? b.ub_reason : rc == CB_EIO ?
		    UPD_WHY_IO : UPD_WHY_FORMAT, b.ub_parsed ?
		    b.ub_m->bm_version : NULL, target, o->ui_resumed, why);
	ub_close(&b);
	return rc;
}

/* ---- after the boot ----------------------------------------------- */

int
upd_boot_check(const struct upd_ctx *c, enum upd_boot *out)
{
	struct bootstate bs;
	const struct bootenv *e;
	struct upd_journal j;
	int rc;

	*out = UPD_BOOT_NORMAL;
	bootstate_read(c->uc_esp, &bs);
	if (bs.bs_cur < 0)
		return CB_OK;
	e = &bs.bs_env[bs.bs_cur];
	if (e->be_tries == BOOTENV_NO_TRIES)
		return CB_OK;
	if (e->be_slot == c->uc_booted && e->be_tries >= 0) {
		*out = UPD_BOOT_TRIAL;
		return CB_OK;
	}
	/* A trial of the other slot is pending or used up and we are not
	 * it: GRUB fell back. The booted slot is the good one. */
	*out = UPD_BOOT_FELL_BACK;
	(void)upd_journal_load(c, &j);
	if ((rc = bootstate_write(c->uc_esp, &bs, c->uc_booted,
	    BOOTENV_NO_TRIES)) != CB_OK)
		return rc;
	upd_last_record(c, UPD_LAST_FELL_BACK, NULL, j.uj_version,
	    e->be_slot, 0, "the new slot did not boot: GRUB used up its "
	    "tries and started the other slot");
	return upd_del(c, UPD_JOURNAL_FILE);
}

int
upd_commit(const struct upd_ctx *c)
{
	struct bootstate bs;
	struct upd_journal j;
	struct upd_state st;
	char d[32];
	int rc;

	bootstate_read(c->uc_esp, &bs);
	if ((rc = bootstate_write(c->uc_esp, &bs, c->uc_booted,
	    BOOTENV_NO_TRIES)) != CB_OK)
		return rc;
	/* Only now, with the new slot committed, may the epoch rise. */
	if ((rc = upd_journal_load(c, &j)) != CB_OK ||
	    (rc = upd_state_load(c, &st)) != CB_OK)
		return rc;
	if (j.uj_phase >= UPD_VERIFIED && j.uj_slot == c->uc_booted) {
		if (j.uj_epoch > st.us_epoch)
			st.us_epoch = j.uj_epoch;
		if (j.uj_key_floor > st.us_key_floor)
			st.us_key_floor = j.uj_key_floor;
		if ((rc = upd_state_save(c, &st)) != CB_OK)
			return rc;
	}
	snprintf(d, sizeof(d), "epoch %u", st.us_epoch);
	upd_last_record(c, UPD_LAST_COMMITTED, NULL, j.uj_version,
	    c->uc_booted, 0, d);
	return upd_del(c, UPD_JOURNAL_FILE);
}

int
upd_reject(const struct upd_ctx *c, const char *reason, const char *detail)
{
	struct bootstate bs;
	struct upd_journal j;
	char other = c->uc_booted == 'A' ? 'B' : 'A';
	int rc;

	bootstate_read(c->uc_esp, &bs);
	(void)upd_journal_load(c, &j);
	if ((rc = bootstate_write(c->uc_esp, &bs, other,
	    BOOTENV_NO_TRIES)) != CB_OK)
		return rc;
	upd_last_record(c, UPD_LAST_ROLLED_BACK, reason, j.uj_version,
	    c->uc_booted, 0, detail);
	return upd_del(c, UPD_JOURNAL_FILE);
}
