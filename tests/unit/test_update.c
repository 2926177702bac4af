/*
 * test_update.c: update bundles, the A/B boot state and installs, on plain
 * files (slots, ESP and state directory in a temporary directory). Every
 * refusal must leave the slot and the boot state exactly as they were.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cb.h"
#include "update/bootenv.h"
#include "update/bundle.h"
#include "update/install.h"
#include "update/sign.h"
#include "t.h"

#define IMG_SIZE (3 * BUNDLE_CHUNK_SIZE + 12345)	/* 4 chunks */

static char dir[64];
static char why[BUNDLE_WHY_MAX];

static const char *
P(const char *name)
{
	static char buf[8][160];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	fwrite(buf, 1, len, f);
	fclose(f);
}

static size_t
read_file(const char *path, uint8_t **out)
{
	FILE *f = fopen(path, "rb");
	long n;

	*out = NULL;
	if (f == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*out = malloc((size_t)n + 1);
	n = (long)fread(*out, 1, (size_t)n, f);
	fclose(f);
	return (size_t)n;
}

static int
same_file(const char *a, const char *b)
{
	uint8_t *x, *y;
	size_t nx = read_file(a, &x), ny = read_file(b, &y);
	int r = nx == ny && (nx == 0 || memcmp(x, y, nx) == 0);

	free(x);
	free(y);
	return r;
}

/* Keys, an image, a kernel and an initramfs, made once. */
static void
setup_once(void)
{
	static int done;
	struct sign_key *root, *other;
	uint8_t pub[BUNDLE_PUB_LEN];
	uint8_t *img;

	if (done)
		return;
	done = 1;
	snprintf(dir, sizeof(dir), "/tmp/cb-update.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	T_ASSERT(sign_keygen(P("root.key")) == CB_OK);
	T_ASSERT(sign_keygen(P("rel.key")) == CB_OK);
	T_ASSERT(sign_keygen(P("other.key")) == CB_OK);
	T_ASSERT(sign_keygen(P("root.key")) == CB_EEXIST);
	T_ASSERT(sign_key_load(P("root.key"), &root) == CB_OK);
	T_ASSERT(sign_key_load(P("other.key"), &other) == CB_OK);
	T_ASSERT(sign_key_pub(root, pub) == CB_OK);
	T_ASSERT(sign_pub_write(P("root.pub"), pub) == CB_OK);
	T_ASSERT(sign_key_pub(other, pub) == CB_OK);
	T_ASSERT(sign_pub_write(P("other.pub"), pub) == CB_OK);
	{
		struct sign_key *rel;

		T_ASSERT(sign_key_load(P("rel.key"), &rel) == CB_OK);
		T_ASSERT(sign_key_pub(rel, pub) == CB_OK);
		sign_key_free(rel);
	}
	T_ASSERT(sign_certify(root, 1, pub, P("rel.cert")) == CB_OK);
	T_ASSERT(sign_certify(other, 1, pub, P("rel-other.cert")) == CB_OK);
	sign_key_free(root);
	sign_key_free(other);
	img = malloc(IMG_SIZE);
	for (size_t i = 0; i < IMG_SIZE; i++)
		img[i] = (uint8_t)(i * 2654435761u >> 13);
	write_file(P("image"), img, IMG_SIZE);
	free(img);
	write_file(P("kernel"), "kernel", 6);
	write_file(P("initramfs"), "initramfs", 9);
}

/* A bundle: key "rel" (certified by cert) or "root". */
static int
make_bundle(const char *out, const char *key, const char *cert,
    const char *board, uint32_t epoch, uint32_t floor)
{
	struct sign_bundle_args a;
	struct sign_key *k;
	int rc;

	if (sign_key_load(P(key), &k) != CB_OK)
		return -100;
	memset(&a, 0, sizeof(a));
	a.sb_key = k;
	a.sb_cert_path = cert ? P(cert) : NULL;
	a.sb_board = board;
	a.sb_version = "v-test";
	a.sb_epoch = epoch;
	a.sb_key_floor = floor;
	a.sb_image = P("image");
	a.sb_kernel = P("kernel");
	a.sb_initramfs = P("initramfs");
	a.sb_out = out;
	unlink(out);
	rc = sign_bundle(&a, why, sizeof(why));
	sign_key_free(k);
	return rc;
}

/* A fresh box: env1 = A committed (seq 1), env2 older; slots empty. */
static void
box(struct upd_ctx *c, char booted)
{
	struct bootstate bs;
	char cmd[1024];

	setup_once();
	snprintf(cmd, sizeof(cmd), "rm -rf %s/esp %s/state %s/slot-a "
	    "%s/slot-b && mkdir -p %s/esp/EFI/classbox", dir, dir, dir, dir,
	    dir);
	T_ASSERT(system(cmd) == 0);
	memset(c, 0, sizeof(*c));
	cb_strlcpy(c->uc_esp, P("esp"), sizeof(c->uc_esp));
	cb_strlcpy(c->uc_slot[0], P("slot-a"), sizeof(c->uc_slot[0]));
	cb_strlcpy(c->uc_slot[1], P("slot-b"), sizeof(c->uc_slot[1]));
	cb_strlcpy(c->uc_state, P("state"), sizeof(c->uc_state));
	cb_strlcpy(c->uc_board, "qemu-x86_64", sizeof(c->uc_board));
	T_ASSERT(sign_pub_read(P("root.pub"), c->uc_root_pub) == CB_OK);
	c->uc_booted = booted;
	write_file(c->uc_slot[0], "slot A: the running system", 26);
	write_file(c->uc_slot[1], "slot B: old contents", 20);
	bootstate_read(c->uc_esp, &bs);
	T_ASSERT(bootstate_write(c->uc_esp, &bs, 'A', BOOTENV_NO_TRIES) == 0);
	T_ASSERT(bootstate_write(c->uc_esp, &bs, 'A', BOOTENV_NO_TRIES) == 0);
}

static void
snapshot(const struct upd_ctx *c)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "cp %s %s/snap-b && cp %s %s/snap-a && "
	    "cp %s/EFI/classbox/env1 %s/snap-env1 && cp %s/EFI/classbox/env2 "
	    "%s/snap-env2", c->uc_slot[1], dir, c->uc_slot[0], dir, c->uc_esp,
	    dir, c->uc_esp, dir);
	T_ASSERT(system(cmd) == 0);
}

/* Nothing changed since snapshot(): slots and both env blocks. */
static int
untouched(const struct upd_ctx *c)
{
	char e1[320], e2[320];

	snprintf(e1, sizeof(e1), "%s/EFI/classbox/env1", c->uc_esp);
	snprintf(e2, sizeof(e2), "%s/EFI/classbox/env2", c->uc_esp);
	return same_file(c->uc_slot[1], P("snap-b")) &&
	    same_file(c->uc_slot[0], P("snap-a")) &&
	    same_file(e1, P("snap-env1")) && same_file(e2, P("snap-env2"));
}

static int
install(const struct upd_ctx *c, const char *bundle, int allow_rollback)
{
	struct upd_install_opts o = { allow_rollback, 0 };

	why[0] = '\0';
	return upd_install(c, bundle, &o, why, sizeof(why));
}

static char
next_slot(const struct upd_ctx *c, int *trial)
{
	struct bootstate bs;

	bootstate_read(c->uc_esp, &bs);
	return bootstate_next(&bs, trial);
}

/* ---- boot state ---------------------------------------------------- */

T_TEST(bootenv_blocks)
{
	char buf[BOOTENV_SIZE];
	struct bootenv e = { 1, 7, 'B', 2 }, g;

	bootenv_format(&e, buf);
	bootenv_parse(buf, sizeof(buf), &g);
	T_ASSERT(g.be_valid && g.be_seq == 7 && g.be_slot == 'B' &&
	    g.be_tries == 2);
	T_ASSERT(memchr(buf, '\0', sizeof(buf)) == NULL);
	T_ASSERT(buf[BOOTENV_SIZE - 1] == '#');
	/* what grub-editenv writes (tries empty) */
	memset(buf, '#', sizeof(buf));
	memcpy(buf, "# GRUB Environment Block\nseq=1\nslot=A\ntries=\nend=1\n",
	    51);
	bootenv_parse(buf, sizeof(buf), &g);
	T_ASSERT(g.be_valid && g.be_tries == BOOTENV_NO_TRIES);
	/* with the warning grub-editenv (2.06) writes after the header */
	{
		static const char w[] = "# GRUB Environment Block\n# WARNING: "
		    "Do not edit this file by tools other than grub-editenv!!!"
		    "\nseq=1\nslot=A\ntries=\nend=1\n";

		memset(buf, '#', sizeof(buf));
		memcpy(buf, w, sizeof(w) - 1);
		bootenv_parse(buf, sizeof(buf), &g);
		T_ASSERT(g.be_valid && g.be_seq == 1 && g.be_slot == 'A');
	}
	/* torn: a new seq with an old end */
	memcpy(buf, "# GRUB Environment Block\nseq=2\nslot=A\ntries=\nend=1\n",
	    51);
	bootenv_parse(buf, sizeof(buf), &g);
	T_ASSERT(!g.be_valid);
	/* no end, wrong size, garbage, bad slot, too many tries */
	memcpy(buf, "# GRUB Environment Block\nseq=2\nslot=A\n#", 39);
	bootenv_parse(buf, sizeof(buf), &g);
	T_ASSERT(!g.be_valid);
	bootenv_format(&e, buf);
	bootenv_parse(buf, sizeof(buf) - 1, &g);
	T_ASSERT(!g.be_valid);
	buf[0] = 'X';
	bootenv_parse(buf, sizeof(buf), &g);
	T_ASSERT(!g.be_valid);
	bootenv_format(&e, buf);
	buf[900] = 'x';		/* the padding must be padding */
	bootenv_parse(buf, sizeof(buf), &g);
	T_ASSERT(!g.be_valid);
	memset(buf, '#', sizeof(buf));
	memcpy(buf, "# GRUB Environment Block\nseq=1\nslot=C\ntries=\nend=1\n",
	    51);
	bootenv_parse(buf, sizeof(buf), &g);
	T_ASSERT(!g.be_valid);
	memcpy(buf, "# GRUB Environment Block\nseq=1\nslot=A\ntries=4\nend=1\n",
	    52);
	bootenv_parse(buf, sizeof(buf), &g);
	T_ASSERT(!g.be_valid);
}

T_TEST(bootstate_writes_only_the_older_block)
{
	struct upd_ctx c;
	struct bootstate bs;
	char e1[320];
	int trial;

	box(&c, 'A');
	bootstate_read(c.uc_esp, &bs);
	T_EQ_INT(bs.bs_cur, 1);			/* env2: seq 2 */
	T_EQ_INT(bs.bs_env[1].be_seq, 2);
	snprintf(e1, sizeof(e1), "%s/EFI/classbox/env2", c.uc_esp);
	snapshot(&c);
	T_ASSERT(bootstate_write(c.uc_esp, &bs, 'B', 3) == 0);
	T_ASSERT(same_file(e1, P("snap-env2")));	/* current untouched */
	T_EQ_INT(bs.bs_cur, 0);
	T_EQ_INT(next_slot(&c, &trial), 'B');
	T_EQ_INT(trial, 1);
	/* a torn write of the new block: the old state is in force */
	snprintf(e1, sizeof(e1), "%s/EFI/classbox/env1", c.uc_esp);
	{
		int fd = open(e1, O_WRONLY);

		T_ASSERT(pwrite(fd, "seq=9", 5, 25) == 5);
		close(fd);
	}
	T_EQ_INT(next_slot(&c, &trial), 'A');
	T_EQ_INT(trial, 0);
	/* both missing: A, as GRUB does */
	unlink(e1);
	snprintf(e1, sizeof(e1), "%s/EFI/classbox/env2", c.uc_esp);
	unlink(e1);
	T_EQ_INT(next_slot(&c, &trial), 'A');
	/* trials used up: the other slot */
	bootstate_read(c.uc_esp, &bs);
	T_ASSERT(bootstate_write(c.uc_esp, &bs, 'B', 0) == 0);
	T_EQ_INT(next_slot(&c, &trial), 'A');
	T_EQ_INT(trial, 0);
}

/* ---- manifest ------------------------------------------------------ */

static const char good_head[] =
    "classbox-bundle 1\nboard qemu-x86_64\nversion v1\nepoch 3\n"
    "signer root\nimage-size 5\nchunk-size 1048576\n"
    "kernel 0000000000000000000000000000000000000000000000000000000000000000\n"
    "initramfs 1111111111111111111111111111111111111111111111111111111111111111\n"
    "chunk 0 2222222222222222222222222222222222222222222222222222222222222222\n";

static int
parse_text(const char *t)
{
	static struct bundle_manifest m;

	return bundle_manifest_parse(t, strlen(t), &m, why, sizeof(why));
}

/* good_head with one substring replaced. */
static int
parse_edit(const char *from, const char *to)
{
	char t[2048];
	const char *p = strstr(good_head, from);
	size_t k;

	if (p == NULL)
		return -100;
	k = (size_t)(p - good_head);
	snprintf(t, sizeof(t), "%.*s%s%s", (int)k, good_head, to,
	    p + strlen(from));
	return parse_text(t);
}

T_TEST(manifest_strict)
{
	T_EQ_INT(parse_text(good_head), CB_OK);
	T_EQ_INT(parse_edit("epoch 3", "epoch 03"), CB_EINVAL);
	T_EQ_INT(parse_edit("epoch 3", "epoch -3"), CB_EINVAL);
	T_EQ_INT(parse_edit("epoch 3", "epoch 4294967296"), CB_EINVAL);
	T_EQ_INT(parse_edit("board qemu", "board  qemu"), CB_EINVAL);
	T_EQ_INT(parse_edit("version v1", "version v 1"), CB_EINVAL);
	T_EQ_INT(parse_edit("kernel 0", "kernel A"), CB_EINVAL);
	T_EQ_INT(parse_edit("chunk 0", "chunk 1"), CB_EINVAL);
	T_EQ_INT(parse_edit("chunk-size 1048576", "chunk-size 4096"),
	    CB_EINVAL);
	T_EQ_INT(parse_edit("image-size 5", "image-size 0"), CB_EINVAL);
	T_EQ_INT(parse_edit("image-size 5", "image-size 2000000"), CB_EINVAL);
	T_EQ_INT(parse_edit("signer root", "signer release"), CB_EINVAL);
	T_EQ_INT(parse_edit("board qemu-x86_64\n", "board qemu-x86_64\n"
	    "board pc-x86_64\n"), CB_EINVAL);
	T_EQ_INT(parse_edit("2222\n", "2222\nchunk 1 22\n"), CB_EINVAL);
	T_EQ_INT(parse_edit("2222\n", "2222"), CB_EINVAL);	/* no newline */
	T_EQ_INT(parse_edit("2222\n", "2222\n\n"), CB_EINVAL);
	T_EQ_INT(parse_edit("signer root\n", "signer root\nkey-floor 2\n"),
	    CB_OK);
	T_EQ_INT(parse_edit("signer root\n", "signer root\nkey-floor 0\n"),
	    CB_EINVAL);
	T_ASSERT(strstr(why, "line 6") != NULL);
}

T_TEST(header)
{
	uint8_t h[BUNDLE_HEADER_LEN] = "CBBUNDLE\0\0\0\1\0\0\0\x10\0\0\0\x48";
	struct bundle_layout l;

	T_EQ_INT(bundle_header_parse(h, sizeof(h), &l, why, sizeof(why)), 0);
	T_EQ_INT(l.bl_payload_off, 24 + 16 + 72);
	T_EQ_INT(bundle_header_parse(h, 23, &l, why, sizeof(why)), CB_EINVAL);
	h[11] = 2;
	T_EQ_INT(bundle_header_parse(h, sizeof(h), &l, why, sizeof(why)),
	    CB_EINVAL);
	T_ASSERT(strstr(why, "format 2") != NULL);
	h[11] = 1;
	h[19] = 200;
	T_EQ_INT(bundle_header_parse(h, sizeof(h), &l, why, sizeof(why)),
	    CB_ETOOBIG);
	h[19] = 0x48;
	h[0] = 'X';
	T_EQ_INT(bundle_header_parse(h, sizeof(h), &l, why, sizeof(why)),
	    CB_EINVAL);
}

/* ---- installs ------------------------------------------------------ */

/* The recorded outcome of the last install is OUTCOME with REASON. */
static int
last_is(const struct upd_ctx *c, const char *outcome, const char *reason)
{
	struct upd_last l;

	if (upd_last_load(c, &l) != CB_OK)
		return 0;
	if (strcmp(l.ul_outcome, outcome) != 0 ||
	    strcmp(l.ul_reason, reason) != 0) {
		fprintf(stderr, "last: %s/%s (%s), want %s/%s\n",
		    l.ul_outcome, l.ul_reason, l.ul_detail, outcome, reason);
		return 0;
	}
	return l.ul_time > 0;
}

T_TEST(install_commit_raises_epoch_after_commit)
{
	struct upd_ctx c;
	struct upd_state st;
	struct upd_journal j;
	enum upd_boot b;
	char last[200];
	int trial;

	box(&c, 'A');
	T_EQ_INT(make_bundle(P("good"), "rel.key", "rel.cert", "qemu-x86_64",
	    4, 0), CB_OK);
	T_EQ_INT(install(&c, P("good"), 0), CB_OK);
	T_ASSERT(same_file(P("image"), c.uc_slot[1]) ||
	    (fprintf(stderr, "why: %s\n", why), 0));
	T_EQ_INT(next_slot(&c, &trial), 'B');
	T_EQ_INT(trial, 1);
	T_ASSERT(last_is(&c, UPD_LAST_INSTALLED, ""));
	T_ASSERT(upd_journal_load(&c, &j) == 0 && j.uj_phase == UPD_FLIPPED);
	T_ASSERT(upd_state_load(&c, &st) == 0 && st.us_epoch == 0);
	/* a second install while B is on trial is refused */
	T_EQ_INT(install(&c, P("good"), 0), CB_ESTATE);
	T_ASSERT(last_is(&c, UPD_LAST_REFUSED, UPD_WHY_STATE));
	/* the trial boot of B */
	c.uc_booted = 'B';
	T_ASSERT(upd_boot_check(&c, &b) == 0 && b == UPD_BOOT_TRIAL);
	T_ASSERT(upd_commit(&c) == 0);
	T_EQ_INT(next_slot(&c, &trial), 'B');
	T_EQ_INT(trial, 0);
	T_ASSERT(upd_state_load(&c, &st) == 0 && st.us_epoch == 4);
	T_ASSERT(upd_journal_load(&c, &j) == 0 && j.uj_phase == UPD_NONE);
	T_ASSERT(upd_last_read(&c, last, sizeof(last)) == 0 &&
	    strstr(last, "committed") != NULL);
	T_ASSERT(last_is(&c, UPD_LAST_COMMITTED, ""));
	T_ASSERT(upd_boot_check(&c, &b) == 0 && b == UPD_BOOT_NORMAL);
	/* now A is the inactive slot: a lower epoch is refused there */
	T_EQ_INT(make_bundle(P("old"), "rel.key", "rel.cert", "qemu-x86_64",
	    3, 0), CB_OK);
	snapshot(&c);
	T_EQ_INT(install(&c, P("old"), 0), CB_EPERM);
	T_ASSERT(strstr(why, "epoch 3 is below this box's epoch 4") != NULL);
	T_ASSERT(untouched(&c));
	T_ASSERT(last_is(&c, UPD_LAST_REFUSED, UPD_WHY_EPOCH));
	/* the technician's override */
	T_EQ_INT(install(&c, P("old"), 1), CB_OK);
	T_ASSERT(same_file(P("image"), c.uc_slot[0]));
}

T_TEST(flipped_byte_in_any_chunk_refused_untouched)
{
	struct upd_ctx c;
	struct bundle_layout l;
	uint8_t *b;
	size_t n;

	box(&c, 'A');
	T_EQ_INT(make_bundle(P("good"), "rel.key", "rel.cert", "qemu-x86_64",
	    1, 0), CB_OK);
	n = read_file(P("good"), &b);
	T_EQ_INT(bundle_header_parse(b, n, &l, why, sizeof(why)), 0);
	for (uint32_t i = 0; i < 4; i++) {
		uint64_t off = l.bl_payload_off + (uint64_t)i *
		    BUNDLE_CHUNK_SIZE + (i == 3 ? 12344 : 777);

		b[off] ^= 0x01;
		write_file(P("bad"), b, n);
		b[off] ^= 0x01;
		snapshot(&c);
		T_EQ_INT(install(&c, P("bad"), 0), CB_ECRYPTO);
		{
			char want[64];

			snprintf(want, sizeof(want), "chunk %u of 4 does not "
			    "match", i);
			T_ASSERT(strstr(why, want) != NULL);
		}
		T_ASSERT(untouched(&c));
		T_ASSERT(last_is(&c, UPD_LAST_REFUSED, UPD_WHY_CHUNK));
	}
	/* a flipped byte in the manifest breaks the signature */
	b[BUNDLE_HEADER_LEN + 30] ^= 0x01;
	write_file(P("bad"), b, n);
	T_ASSERT(install(&c, P("bad"), 0) != CB_OK);
	T_ASSERT(untouched(&c));
	free(b);
}

T_TEST(refusals_leave_the_slot_untouched)
{
	struct upd_ctx c;
	uint8_t *b;
	size_t n;

	box(&c, 'A');
	snapshot(&c);
	/* signed by a root key this box does not have */
	T_EQ_INT(make_bundle(P("x"), "other.key", NULL, "qemu-x86_64", 1, 0),
	    CB_OK);
	T_EQ_INT(install(&c, P("x"), 0), CB_ECRYPTO);
	T_ASSERT(strstr(why, "signature does not verify") != NULL);
	T_ASSERT(untouched(&c));
	T_ASSERT(last_is(&c, UPD_LAST_REFUSED, UPD_WHY_SIGNATURE));
	/* a release key certified by another root */
	T_EQ_INT(make_bundle(P("x"), "rel.key", "rel-other.cert",
	    "qemu-x86_64", 1, 0), CB_OK);
	T_EQ_INT(install(&c, P("x"), 0), CB_ECRYPTO);
	T_ASSERT(strstr(why, "not certified") != NULL);
	T_ASSERT(untouched(&c));
	/* wrong board */
	T_EQ_INT(make_bundle(P("x"), "rel.key", "rel.cert", "pc-x86_64", 1, 0),
	    CB_OK);
	T_EQ_INT(install(&c, P("x"), 0), CB_EPERM);
	T_ASSERT(strstr(why, "for board pc-x86_64, this box is "
	    "qemu-x86_64") != NULL);
	T_ASSERT(untouched(&c));
	T_ASSERT(last_is(&c, UPD_LAST_REFUSED, UPD_WHY_BOARD));
	/* truncated anywhere */
	T_EQ_INT(make_bundle(P("good"), "rel.key", "rel.cert", "qemu-x86_64",
	    1, 0), CB_OK);
	n = read_file(P("good"), &b);
	{
		size_t cuts[] = { 0, 10, 24, 100, 2000, n - BUNDLE_CHUNK_SIZE,
		    n - 1 };

		for (size_t i = 0; i < CB_ARRAY_LEN(cuts); i++) {
			write_file(P("x"), b, cuts[i]);
			T_ASSERT(install(&c, P("x"), 0) != CB_OK);
			T_ASSERT(strstr(why, "truncated") != NULL ||
			    strstr(why, "not a classbox bundle") != NULL);
			T_ASSERT(untouched(&c));
			T_ASSERT(last_is(&c, UPD_LAST_REFUSED, strstr(why,
			    "truncated") ? UPD_WHY_TRUNCATED : UPD_WHY_FORMAT));
		}
	}
	/* bytes after the payload (a whole USB stick) are fine */
	{
		uint8_t *big = calloc(1, n + 4096);

		memcpy(big, b, n);
		write_file(P("x"), big, n + 4096);
		free(big);
		T_EQ_INT(install(&c, P("x"), 0), CB_OK);
	}
	free(b);
	/* never the running slot: booted B, the install goes to A */
	box(&c, 'B');
	T_EQ_INT(install(&c, P("good"), 0), CB_OK);
	T_ASSERT(same_file(P("image"), c.uc_slot[0]));
}

T_TEST(resume_after_interruption)
{
	struct upd_ctx c;
	int fd, trial;
	uint8_t *img;
	size_t n;

	box(&c, 'A');
	T_EQ_INT(make_bundle(P("good"), "rel.key", "rel.cert", "qemu-x86_64",
	    1, 0), CB_OK);
	/* a power cut after two chunks: the slot holds them, the journal
	 * says WRITING, the boot state was never flipped */
	n = read_file(P("image"), &img);
	fd = open(c.uc_slot[1], O_WRONLY | O_TRUNC);
	T_ASSERT(write(fd, img, 2 * BUNDLE_CHUNK_SIZE + 5) > 0);
	close(fd);
	free(img);
	(void)n;
	T_EQ_INT(next_slot(&c, &trial), 'A');
	T_EQ_INT(trial, 0);
	T_EQ_INT(install(&c, P("good"), 0), CB_OK);
	T_ASSERT(same_file(P("image"), c.uc_slot[1]));
	T_EQ_INT(next_slot(&c, &trial), 'B');
}

T_TEST(fallback_and_rollback)
{
	struct upd_ctx c;
	struct upd_state st;
	enum upd_boot b;
	char last[200];
	int trial;

	box(&c, 'A');
	T_EQ_INT(make_bundle(P("good"), "rel.key", "rel.cert", "qemu-x86_64",
	    7, 0), CB_OK);
	T_EQ_INT(install(&c, P("good"), 0), CB_OK);
	/* GRUB used up the trials and booted A again */
	T_ASSERT(upd_boot_check(&c, &b) == 0 && b == UPD_BOOT_FELL_BACK);
	T_EQ_INT(next_slot(&c, &trial), 'A');
	T_EQ_INT(trial, 0);
	T_ASSERT(upd_state_load(&c, &st) == 0 && st.us_epoch == 0);
	T_ASSERT(upd_last_read(&c, last, sizeof(last)) == 0 &&
	    strstr(last, "failed to boot") != NULL);
	T_ASSERT(last_is(&c, UPD_LAST_FELL_BACK, ""));
	/* a trial whose health check fails: back to A, epoch unchanged */
	T_EQ_INT(install(&c, P("good"), 0), CB_OK);
	c.uc_booted = 'B';
	T_ASSERT(upd_boot_check(&c, &b) == 0 && b == UPD_BOOT_TRIAL);
	T_ASSERT(upd_reject(&c, UPD_WHY_HEALTH, "web: nothing listens") == 0);
	T_EQ_INT(next_slot(&c, &trial), 'A');
	T_EQ_INT(trial, 0);
	T_ASSERT(upd_state_load(&c, &st) == 0 && st.us_epoch == 0);
	T_ASSERT(upd_last_read(&c, last, sizeof(last)) == 0 &&
	    strstr(last, "rolled back") != NULL);
	T_ASSERT(last_is(&c, UPD_LAST_ROLLED_BACK, UPD_WHY_HEALTH));
}

T_TEST(key_rotation_by_root)
{
	struct upd_ctx c;
	enum upd_boot b;

	box(&c, 'A');
	/* a release key may not retire keys above itself */
	T_EQ_INT(make_bundle(P("x"), "rel.key", "rel.cert", "qemu-x86_64", 1,
	    2), CB_OK);
	T_EQ_INT(install(&c, P("x"), 0), CB_EPERM);
	T_ASSERT(strstr(why, "may not retire") != NULL);
	/* the root retires release key 1 (key-floor 2); after the commit,
	 * bundles signed by release key 1 are refused */
	T_EQ_INT(make_bundle(P("rot"), "root.key", NULL, "qemu-x86_64", 1, 2),
	    CB_OK);
	T_EQ_INT(install(&c, P("rot"), 0), CB_OK);
	c.uc_booted = 'B';
	T_ASSERT(upd_boot_check(&c, &b) == 0 && b == UPD_BOOT_TRIAL);
	T_ASSERT(upd_commit(&c) == 0);
	T_EQ_INT(make_bundle(P("x"), "rel.key", "rel.cert", "qemu-x86_64", 1,
	    0), CB_OK);
	snapshot(&c);
	T_EQ_INT(install(&c, P("x"), 0), CB_EPERM);
	T_ASSERT(strstr(why, "release key 1 was retired") != NULL);
	T_ASSERT(untouched(&c));
}

T_TEST(zz_cleanup)
{
	char cmd[100];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	T_ASSERT(dir[0] == '\0' || system(cmd) == 0);
}

T_MAIN()
