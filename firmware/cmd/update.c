/*
 * update.c: `classbox update` (technician: install, status, verify,
 * rollback), `classbox updated` (the root service: commits or rolls back a
 * trial boot after its health check, resumes a journaled install, installs
 * bundles that web spooled), and `classbox bundle` (host: keys, signing).
 * See docs/update.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "cmd/cmd.h"
#include "base/buf.h"
#include "base/cb.h"
#include "base/file.h"
#include "net/sockaddr.h"
#include "update/bootenv.h"
#include "update/health.h"
#include "update/install.h"
#include "update/sign.h"

#define UPD_ESP_DIR		"/run/esp"
#define UPD_RUN_DIR		"/run/update"
#define UPD_RUN_FILE_MAX	4096	/* status, progress: a few lines */
#define UPD_STATE_DIR		"/data/update"
#define UPD_SPOOL_SUBDIR	"spool"		/* web's uploads, 0730 root:web */
#define UPD_ROOT_PUB		"/usr/share/classbox/update/root.pub"
#define UPD_BOARD_FILE		"/usr/share/classbox/update/board"
#define UPD_HEALTH_LIMIT_S	180	/* a trial must be healthy by then */
#define UPD_HEALTH_EVERY_MS	2000
#define UPD_SPOOL_EVERY_S	2
#define UPD_MOUNT_WAIT_MS	10000	/* vfat loads in the background */
#define UPD_SPOOL_SUFFIX	".bundle"

#define UPD_WEB_PORT		443	/* CLASSBOX_HTTPS_PORT's default */

struct upd_opts {
	struct upd_ctx ctx;
	int allow_rollback;
	int health_limit_s;
	int quiet;
	int test_mode;		/* --esp: files, not the box: never reboot */
	int once;		/* updated: one pass, then exit (tests) */
	int web_port;		/* where web serves HTTPS (/etc/classbox.conf) */
	const char *web_bind;	/* web's --bind (NULL: all addresses) */
	const char *data;	/* classbox's data: web's cert, auth's socket */
};

/* /run/update: progress and status for web (CLASSBOX_UPDATE_RUN for
 * tests on a host box; web reads the same variable). */
static const char *
run_dir(void)
{
	const char *s = getenv("CLASSBOX_UPDATE_RUN");

	return s != NULL && s[0] == '/' ? s : UPD_RUN_DIR;
}

/* ---- finding the box's partitions --------------------------------- */

/* The /dev node of the GPT partition named name (PARTNAME= in sysfs). */
static int
partdev(const char *name, char *out, size_t size)
{
	char path[300], line[128], dev[64];
	struct dirent *d;
	DIR *dir = opendir("/sys/class/block");
	int found = 0;

	if (dir == NULL)
		return CB_ENOTFOUND;
	while (!found && (d = readdir(dir)) != NULL) {
		FILE *f;
		int named = 0;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/uevent",
		    d->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		dev[0] = '\0';
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (strncmp(line, "PARTNAME=", 9) == 0 &&
			    strcmp(line + 9, name) == 0)
				named = 1;
			if (strncmp(line, "DEVNAME=", 8) == 0)
				cb_strlcpy(dev, line + 8, sizeof(dev));
		}
		fclose(f);
		if (named && dev[0] != '\0') {
			snprintf(out, size, "/dev/%s", dev);
			found = 1;
		}
	}
	closedir(dir);
	return found ? CB_OK : CB_ENOTFOUND;
}

static int
esp_mounted(const char *dir)
{
	char p[UPD_PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/EFI/classbox", dir);
	return access(p, F_OK) == 0;
}

/* Mount the ESP on /run/esp unless it is there already. */
static int
esp_mount(const char *dir)
{
	char dev[64];

	if (esp_mounted(dir))
		return CB_OK;
	if (partdev("classbox-efi", dev, sizeof(dev)) != CB_OK) {
		fprintf(stderr, "update: no partition named classbox-efi\n");
		return CB_ENOTFOUND;
	}
	mkdir(UPD_RUN_DIR, 0755);
	mkdir(dir, 0700);
	for (int ms = 0; ms < UPD_MOUNT_WAIT_MS; ms += 200) {
		if (mount(dev, dir, "vfat", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		    "umask=077,flush,iocharset=iso8859-1,codepage=437") == 0 || errno == EBUSY)
			return esp_mounted(dir) ? CB_OK : CB_ENOTFOUND;
		usleep(200 * 1000);	/* vfat still loading (rcS) */
	}
	fprintf(stderr, "update: cannot mount the ESP %s on %s: %s\n", dev,
	    dir, strerror(errno));
	return CB_EIO;
}

static char
booted_slot(void)
{
	char buf[4096], *p;
	FILE *f = fopen("/proc/cmdline", "r");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "classbox.slot=")) != NULL; p++)
		if ((p == buf || p[-1] == ' ') && (p[14] == 'A' ||
		    p[14] == 'B' || p[14] == 'a' || p[14] == 'b'))
			return (char)(p[14] & ~0x20);
	return 0;
}

static void
read_line_file(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(out, (int)size, f) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	fclose(f);
}

/* ---- checking the kernel and initramfs inside a written slot ------ */

static int
hash_path(const char *path, uint8_t *out)
{
	mbedtls_sha256_context sc;
	unsigned char buf[64 * 1024];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return CB_ENOTFOUND;
	mbedtls_sha256_init(&sc);
	mbedtls_sha256_starts(&sc, 0);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		mbedtls_sha256_update(&sc, buf, n);
	mbedtls_sha256_finish(&sc, out);
	mbedtls_sha256_free(&sc);
	n = (size_t)ferror(f);
	fclose(f);
	return n ? CB_EIO : CB_OK;
}

static int
check_boot_files(const char *dev, const struct bundle_manifest *m, char *why,
    size_t why_size)
{
	static const char mnt[] = UPD_RUN_DIR "/slot";
	uint8_t k[BUNDLE_HASH_LEN], i[BUNDLE_HASH_LEN];
	int rk, ri;

	mkdir(UPD_RUN_DIR, 0755);
	mkdir(mnt, 0700);
	if (mount(dev, mnt, "squashfs", MS_RDONLY | MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, NULL) != 0) {
		snprintf(why, why_size, "the written slot %s does not mount "
		    "as squashfs: %s", dev, strerror(errno));
		return CB_EIO;
	}
	rk = hash_path(UPD_RUN_DIR "/slot/boot/vmlinuz", k);
	ri = hash_path(UPD_RUN_DIR "/slot/boot/initramfs.cpio.gz", i);
	umount(mnt);
	if (rk != CB_OK || memcmp(k, m->bm_kernel, sizeof(k)) != 0) {
		snprintf(why, why_size, "the kernel in the written slot does "
		    "not match the manifest");
		return CB_ECRYPTO;
	}
	if (ri != CB_OK || memcmp(i, m->bm_initramfs, sizeof(i)) != 0) {
		snprintf(why, why_size, "the initramfs in the written slot "
		    "does not match the manifest");
		return CB_ECRYPTO;
	}
	return CB_OK;
}

/* ---- context ------------------------------------------------------ */

/* A file in the run directory for web to read: replaced atomically (web
 * never reads half of it), not flushed (no reboot keeps /run). */
static void
run_file_put(const char *name, const struct cb_buf *b)
{
	char tmp[UPD_PATH_MAX + 16], fin[UPD_PATH_MAX + 16];

	if (b->b_err != CB_OK)
		return;
	snprintf(tmp, sizeof(tmp), "%s/.%s", run_dir(), name);
	snprintf(fin, sizeof(fin), "%s/%s", run_dir(), name);
	(void)cb_file_put(fin, tmp, b->b_data, b->b_len, 0644,
	    CB_ATOMIC_NO_SYNC);
}

static void
show_progress(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	struct upd_opts *o = arg;
	struct cb_buf b;

	if (!o->quiet)
		fprintf(stderr, "\r%-9s %3llu%% (%llu of %llu MiB)", phase,
		    total ? (unsigned long long)(done * 100 / total) : 0ULL,
		    (unsigned long long)(done >> 20),
		    (unsigned long long)(total >> 20));
	if (!o->quiet && done == total)
		fputc('\n', stderr);
	/* For the admin UI (web reads it): phase, done, total. */
	cb_buf_init(&b, UPD_RUN_FILE_MAX);
	cb_buf_printf(&b, "%s %llu %llu\n", phase, (unsigned long long)done,
	    (unsigned long long)total);
	run_file_put("progress", &b);
	cb_buf_free(&b);
}

static const struct option upd_longopts[] = {
	{ "esp", required_argument, NULL, 'e' },
	{ "slot-a", required_argument, NULL, 'a' },
	{ "slot-b", required_argument, NULL, 'b' },
	{ "state", required_argument, NULL, 's' },
	{ "booted", required_argument, NULL, 'B' },
	{ "board", required_argument, NULL, 'o' },
	{ "root-pub", required_argument, NULL, 'r' },
	{ "allow-rollback", no_argument, NULL, 'R' },
	{ "health-timeout", required_argument, NULL, 'H' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "web-port", required_argument, NULL, 'p' },
	{ "web-bind", required_argument, NULL, 'w' },
	{ "data", required_argument, NULL, 'd' },
	{ "once", no_argument, NULL, '1' },
	{ NULL, 0, NULL, 0 },
};

/* Options for a box (defaults) or for tests (files instead of devices). */
static int
upd_parse(int argc, char **argv, struct upd_opts *o)
{
	const char *root_pub = UPD_ROOT_PUB;
	int c, custom_esp = 0, rc;

	memset(o, 0, sizeof(*o));
	o->health_limit_s = UPD_HEALTH_LIMIT_S;
	o->web_port = UPD_WEB_PORT;
	o->data = CB_DEFAULT_DATA;
	cb_strlcpy(o->ctx.uc_esp, UPD_ESP_DIR, sizeof(o->ctx.uc_esp));
	cb_strlcpy(o->ctx.uc_state, UPD_STATE_DIR, sizeof(o->ctx.uc_state));
	read_line_file(UPD_BOARD_FILE, o->ctx.uc_board,
	    sizeof(o->ctx.uc_board));
	o->ctx.uc_booted = booted_slot();
	o->ctx.uc_progress = show_progress;
	o->ctx.uc_progress_arg = o;
	while ((c = getopt_long(argc, argv, "q", upd_longopts, NULL)) != -1) {
		switch (c) {
		case 'e': custom_esp = 1;
			cb_strlcpy(o->ctx.uc_esp, optarg, UPD_PATH_MAX); break;
		case 'a': cb_strlcpy(o->ctx.uc_slot[0], optarg, UPD_PATH_MAX);
			break;
		case 'b': cb_strlcpy(o->ctx.uc_slot[1], optarg, UPD_PATH_MAX);
			break;
		case 's': cb_strlcpy(o->ctx.uc_state, optarg, UPD_PATH_MAX);
			break;
		case 'B': o->ctx.uc_booted = optarg[0]; break;
		case 'o': cb_strlcpy(o->ctx.uc_board, optarg,
			sizeof(o->ctx.uc_board)); break;
		case 'r': root_pub = optarg; break;
		case 'R': o->allow_rollback = 1; break;
		case 'H': o->health_limit_s = atoi(optarg); break;
		case 'q': o->quiet = 1; break;
		case 'p': o->web_port = atoi(optarg); break;
		case 'w': o->web_bind = optarg; break;
		case 'd': o->data = optarg; break;
		case '1': o->once = 1; break;
		default: return CB_EINVAL;
		}
	}
	if (o->web_port <= 0 || o->web_port > 65535 || o->data[0] != '/') {
		fprintf(stderr, "update: --web-port must be 1..65535 and "
		    "--data an absolute path\n");
		return CB_EINVAL;
	}
	o->test_mode = custom_esp;
	if ((rc = sign_pub_read(root_pub, o->ctx.uc_root_pub)) != CB_OK) {
		fprintf(stderr, "update: cannot read the root public key %s\n",
		    root_pub);
		return rc;
	}
	for (int i = 0; i < 2; i++)
		if (o->ctx.uc_slot[i][0] == '\0' &&
		    partdev(i ? "classbox-b" : "classbox-a", o->ctx.uc_slot[i],
		    UPD_PATH_MAX) != CB_OK)
			cb_strlcpy(o->ctx.uc_slot[i], "/nonexistent",
			    UPD_PATH_MAX);
	if (!custom_esp && o->ctx.uc_board[0] == '\0') {
		fprintf(stderr, "update: this image names no board (%s)\n",
		    UPD_BOARD_FILE);
		return CB_ENOTFOUND;
	}
	if (!custom_esp && (rc = esp_mount(o->ctx.uc_esp)) != CB_OK)
		return rc;
	if (!custom_esp)
		o->ctx.uc_check_boot_files = check_boot_files;
	return CB_OK;
}

/* One install at a time: the CLI and the service take the same lock. */
static int
upd_lock(const struct upd_ctx *c)
{
	char path[UPD_PATH_MAX + 16];
	int fd;

	mkdir(c->uc_state, 0700);
	snprintf(path, sizeof(path), "%s/.lock", c->uc_state);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "update: another install is running; "
		    "waiting for it\n");
		if (flock(fd, LOCK_EX) != 0) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* The boot's check is done (or moot: an install ran in this boot). A
 * restarted updated must not take an install waiting for its reboot for a
 * fallback; one that died during the health check does it again. */
static void
boot_checked(void)
{
	char p[UPD_PATH_MAX + 16];
	int fd;

	mkdir(run_dir(), 0755);
	snprintf(p, sizeof(p), "%s/boot-checked", run_dir());
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd != -1)
		close(fd);
}

/* VERSION_ID of the running image (/etc/os-release). */
static void
image_version(char *out, size_t size)
{
	char line[160];
	FILE *f = fopen("/etc/os-release", "r");

	out[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VERSION_ID=", 11) == 0) {
			char *v = line + 11;
			size_t n;

			line[strcspn(line, "\r\n")] = '\0';
			n = strlen(v);
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v[n - 1] = '\0';	/* os-release may quote */
				v++;
			}
			cb_strlcpy(out, v, size);
		}
	fclose(f);
}

static const char *
phase_word(int phase)
{
	switch (phase) {
	case UPD_WRITING: return "writing";
	case UPD_VERIFIED: return "verified";
	case UPD_FLIPPED: return "flipped";
	default: return "";
	}
}

/* RUN/status: what `update status` shows, for web (which may read
 * neither the ESP nor /data/update): "key value" lines. Written after
 * every decision (temporary file, rename). */
static void
publish_status(const struct upd_opts *o)
{
	const struct upd_ctx *c = &o->ctx;
	struct bootstate bs;
	struct upd_state st;
	struct upd_journal j;
	struct upd_last l;
	char ver[128];
	const char *state = "none";
	int trial, tries = -1;
	char next, slot = 0;
	struct cb_buf b;

	bootstate_read(c->uc_esp, &bs);
	next = bootstate_next(&bs, &trial);
	if (bs.bs_cur >= 0) {
		slot = bs.bs_env[bs.bs_cur].be_slot;
		tries = bs.bs_env[bs.bs_cur].be_tries;
		state = tries == BOOTENV_NO_TRIES ? "committed" : "trial";
	}
	(void)upd_state_load(c, &st);
	(void)upd_journal_load(c, &j);
	if (upd_last_load(c, &l) != CB_OK)
		memset(&l, 0, sizeof(l));
	image_version(ver, sizeof(ver));
	mkdir(run_dir(), 0755);
	cb_buf_init(&b, UPD_RUN_FILE_MAX);
	cb_buf_printf(&b, "booted %c\nstate %s\nslot %c\ntries %d\nnext %c\n"
	    "epoch %u\nkey-floor %u\nversion %s\n",
	    c->uc_booted ? c->uc_booted : '?', state, slot ? slot : '?',
	    state[0] == 't' ? tries : -1, next ? next : '?', st.us_epoch,
	    st.us_key_floor, ver);
	if (j.uj_phase != UPD_NONE)
		cb_buf_printf(&b, "pending-phase %s\npending-version %s\n"
		    "pending-slot %c\n", phase_word(j.uj_phase),
		    j.uj_version, j.uj_slot);
	if (l.ul_outcome[0])
		cb_buf_printf(&b, "last-outcome %s\nlast-reason %s\n"
		    "last-version %s\nlast-slot %c\nlast-resumed %d\n"
		    "last-time %lld\n"
		    "last-detail %s\n", l.ul_outcome, l.ul_reason[0] ?
		    l.ul_reason : "-", l.ul_version, l.ul_slot ? l.ul_slot :
		    '?', l.ul_resumed, l.ul_time, l.ul_detail);
	run_file_put("status", &b);
	cb_buf_free(&b);
}

/* ---- classbox update ---------------------------------------------- */

static int
update_status(const struct upd_opts *o)
{
	const struct upd_ctx *c = &o->ctx;
	struct bootstate bs;
	struct upd_state st;
	struct upd_journal j;
	struct upd_last l;
	char ver[128], last[UPD_DETAIL_MAX + 128];
	int trial;
	char next;

	bootstate_read(c->uc_esp, &bs);
	next = bootstate_next(&bs, &trial);
	(void)upd_state_load(c, &st);
	(void)upd_journal_load(c, &j);
	image_version(ver, sizeof(ver));
	printf("version:       %s\n", ver[0] ? ver : "?");
	printf("booted slot:   %c\n", c->uc_booted ? c->uc_booted : '?');
	printf("other slot:    %c\n", c->uc_booted == 'B' ? 'A' : 'B');
	if (bs.bs_cur < 0)
		printf("boot state:    none valid (GRUB boots A)\n");
	else if (bs.bs_env[bs.bs_cur].be_tries == BOOTENV_NO_TRIES)
		printf("boot state:    slot %c committed (seq %llu)\n", next,
		    (unsigned long long)bs.bs_env[bs.bs_cur].be_seq);
	else
		printf("boot state:    slot %c on trial, tries left %d (seq "
		    "%llu); next boot: %c\n", bs.bs_env[bs.bs_cur].be_slot,
		    bs.bs_env[bs.bs_cur].be_tries,
		    (unsigned long long)bs.bs_env[bs.bs_cur].be_seq, next);
	printf("epoch:         %u\n", st.us_epoch);
	printf("key floor:     %u\n", st.us_key_floor);
	if (j.uj_phase != UPD_NONE)
		printf("in progress:   %s into slot %c (%s)\n", j.uj_version,
		    j.uj_slot, j.uj_phase == UPD_WRITING ? "writing" :
		    "written, waiting for reboot and commit");
	if (upd_last_load(c, &l) == CB_OK) {
		upd_last_text(&l, last, sizeof(last));
		printf("last:          %s: %s\n", l.ul_outcome, last);
		if (l.ul_reason[0])
			printf("last reason:   %s\n", l.ul_reason);
		if (l.ul_resumed)
			printf("last resumed:  yes (an interrupted install was "
			    "started again)\n");
	}
	return 0;
}

static int
update_install(struct upd_opts *o, const char *path)
{
	struct upd_install_opts io = { o->allow_rollback, 0 };
	char why[BUNDLE_WHY_MAX] = "";
	int lock, rc;

	if ((lock = upd_lock(&o->ctx)) == -1) {
		fprintf(stderr, "update: cannot take the install lock\n");
		return 1;
	}
	if (o->allow_rollback)
		fprintf(stderr, "update: --allow-rollback: the epoch check is "
		    "overridden (technician)\n");
	rc = upd_install(&o->ctx, path, &io, why, sizeof(why));
	close(lock);
	if (rc == CB_OK)
		boot_checked();	/* the flip is ours, not a fallback */
	publish_status(o);
	if (rc != CB_OK) {
		fprintf(stderr, "\nupdate: %s\n", why[0] ? why :
		    cb_strerror(rc));
		return 1;
	}
	printf("update: installed into slot %c; reboot to start it (it "
	    "commits after its health check, or the box falls back)\n",
	    o->ctx.uc_booted == 'A' ? 'B' : 'A');
	return 0;
}

static int
update_verify(struct upd_opts *o, const char *path)
{
	struct bundle_manifest *m = malloc(sizeof(*m));
	char why[BUNDLE_WHY_MAX] = "";
	int rc;

	if (m == NULL)
		return 1;
	rc = upd_verify_file(&o->ctx, path, o->allow_rollback, m, why,
	    sizeof(why));
	if (rc == CB_OK)
		printf("update: %s verifies: version %s, epoch %u, board %s, "
		    "%llu bytes\n", path, m->bm_version, m->bm_epoch,
		    m->bm_board, (unsigned long long)m->bm_image_size);
	else
		fprintf(stderr, "update: %s\n", why);
	free(m);
	return rc == CB_OK ? 0 : 1;
}

/* Technician override: boot the other slot from now on (committed). */
static int
update_rollback(struct upd_opts *o)
{
	int rc = upd_reject(&o->ctx, UPD_WHY_TECHNICIAN,
	    "technician rollback (classbox update rollback)");

	publish_status(o);
	if (rc != CB_OK) {
		fprintf(stderr, "update: cannot write the boot state: %s\n",
		    cb_strerror(rc));
		return 1;
	}
	printf("update: the next boot starts slot %c\n",
	    o->ctx.uc_booted == 'A' ? 'B' : 'A');
	return 0;
}

/* SHA-256 of a slot device or a file (the image has no sha256sum):
 * compare a slot before and after, or with the host's image. */
static int
update_hash(const char *path)
{
	uint8_t h[BUNDLE_HASH_LEN];
	char hex[2 * BUNDLE_HASH_LEN + 1];

	if (hash_path(path, h) != CB_OK) {
		fprintf(stderr, "update: cannot read %s\n", path);
		return 1;
	}
	bundle_hex(h, sizeof(h), hex);
	printf("%s  %s\n", hex, path);
	return 0;
}

static int
update_usage(void)
{
	fprintf(stderr,
	    "usage: classbox update [OPTIONS] COMMAND\n"
	    "  status                 booted slot, other slot, tries left, "
	    "epoch\n"
	    "  install BUNDLE         verify, write the other slot, flip the "
	    "boot choice\n"
	    "  verify BUNDLE          check a bundle without writing\n"
	    "  rollback               boot the other slot from now on "
	    "(technician)\n"
	    "  hash FILE              SHA-256 of a slot device or file\n"
	    "options: --allow-rollback (install a bundle below the box's "
	    "epoch: technician\n  override), --quiet; for tests: --esp DIR "
	    "--slot-a F --slot-b F --state DIR\n  --booted A|B --board NAME "
	    "--root-pub FILE\n"
	    "updated: --web-port N --data DIR (web's port and classbox's data, "
	    "from\n  /etc/classbox.conf), --health-timeout S, --once\n");
	return 2;
}

int
cmd_update(int argc, char **argv)
{
	struct upd_opts o;

	cb_log_init("update");
	if (upd_parse(argc, argv, &o) != CB_OK)
		return update_usage() == 2 ? 1 : 1;
	if (optind >= argc)
		return update_usage();
	if (strcmp(argv[optind], "status") == 0)
		return update_status(&o);
	if (strcmp(argv[optind], "install") == 0 && optind + 2 == argc)
		return update_install(&o, argv[optind + 1]);
	if (strcmp(argv[optind], "verify") == 0 && optind + 2 == argc)
		return update_verify(&o, argv[optind + 1]);
	if (strcmp(argv[optind], "rollback") == 0)
		return update_rollback(&o);
	if (strcmp(argv[optind], "hash") == 0 && optind + 2 == argc)
		return update_hash(argv[optind + 1]);
	return update_usage();
}

/* ---- classbox updated --------------------------------------------- */

/* What the technician at the console must see (besides syslog). */
static void
console_say(const char *fmt, ...)
{
	FILE *f = fopen("/dev/console", "w");
	va_list ap;

	if (f == NULL)
		return;
	fputs("updated: ", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static void
updated_health(struct upd_opts *o)
{
	char cert[UPD_PATH_MAX + 32], sock[UPD_PATH_MAX + 32];
	struct health_target t = { sa_local_for_bind(o->web_bind),
	    o->web_port, cert, sock };
	int64_t deadline = cb_mono_ms() + (int64_t)o->health_limit_s * 1000;
	char why[BUNDLE_WHY_MAX] = "no probe yet";

	snprintf(cert, sizeof(cert), "%s/" CB_WEB_SUBDIR "/tls/cert.pem",
	    o->data);
	snprintf(sock, sizeof(sock), "%s/" CB_AUTH_SOCK, o->data);
	log_info("trial boot of slot %c: health check of web at %s port %d "
	    "(at most %d s)", o->ctx.uc_booted, t.ht_addr, o->web_port,
	    o->health_limit_s);
	while (cb_mono_ms() < deadline) {
		if (health_probe(&t, why, sizeof(why)) == CB_OK) {
			if (upd_commit(&o->ctx) == CB_OK) {
				log_info("slot %c is healthy: committed",
				    o->ctx.uc_booted);
				console_say("slot %c is healthy: committed",
				    o->ctx.uc_booted);
			} else
				log_err("cannot commit slot %c",
				    o->ctx.uc_booted);
			publish_status(o);
			return;
		}
		usleep(UPD_HEALTH_EVERY_MS * 1000);
	}
	log_err("slot %c failed its health check: %s; rolling back",
	    o->ctx.uc_booted, why);
	console_say("slot %c failed its health check (%s): rolling back",
	    o->ctx.uc_booted, why);
	if (upd_reject(&o->ctx, UPD_WHY_HEALTH, why) == CB_OK) {
		publish_status(o);
		if (o->test_mode) {	/* files, not this machine's boot */
			log_info("test mode: not rebooting");
			return;
		}
		sync();
		execl("/bin/reboot", "reboot", (char *)NULL);
	}
	log_err("cannot write the rollback; GRUB falls back after the "
	    "trial boots");
}

static void
updated_boot(struct upd_opts *o)
{
	enum upd_boot b;
	char p[UPD_PATH_MAX + 16];

	snprintf(p, sizeof(p), "%s/boot-checked", run_dir());
	if (access(p, F_OK) == 0)
		return;
	if (upd_boot_check(&o->ctx, &b) != CB_OK) {
		log_err("cannot read or write the boot state");
		return;
	}
	if (b == UPD_BOOT_FELL_BACK) {
		log_err("the new slot did not boot: back on slot %c",
		    o->ctx.uc_booted);
		console_say("the new slot did not boot: back on slot %c",
		    o->ctx.uc_booted);
	}
	if (b == UPD_BOOT_TRIAL) {
		publish_status(o);	/* "on trial" while the check runs */
		updated_health(o);
	}
	boot_checked();
}

static void
updated_install(struct upd_opts *o, const char *path, int resume)
{
	struct upd_install_opts io = { 0 };
	char why[BUNDLE_WHY_MAX] = "";
	int lock = upd_lock(&o->ctx);
	int rc;

	if (lock == -1)
		return;
	log_info("%s %s", resume ? "resuming the install of" : "installing",
	    path);
	io.ui_resumed = resume;
	rc = upd_install(&o->ctx, path, &io, why, sizeof(why));
	close(lock);
	publish_status(o);
	if (rc == CB_OK) {
		boot_checked();	/* the flip is ours, not a fallback */
		log_info("installed %s; it starts at the next reboot", path);
		console_say("installed %s; it starts at the next reboot",
		    path);
	} else {
		log_err("install of %s refused: %s", path, why);
		console_say("install of %s refused: %s", path, why);
	}
}

/* A journaled install that did not reach the flip: do it again (chunks
 * already written are read back, not rewritten). */
static void
updated_resume(struct upd_opts *o)
{
	struct upd_journal j;
	struct bootstate bs;
	int trial;

	if (upd_journal_load(&o->ctx, &j) != CB_OK || j.uj_phase == UPD_NONE)
		return;
	bootstate_read(o->ctx.uc_esp, &bs);
	if (bootstate_next(&bs, &trial) == j.uj_slot && trial)
		return;		/* flipped: waiting for the reboot */
	if (j.uj_phase == UPD_FLIPPED || access(j.uj_bundle, R_OK) != 0) {
		char p[UPD_PATH_MAX + 16];

		log_warn("dropping the journal of an install of %s that "
		    "cannot resume (bundle gone or already decided)",
		    j.uj_version);
		snprintf(p, sizeof(p), "%s/journal", o->ctx.uc_state);
		unlink(p);
		if (j.uj_phase != UPD_FLIPPED)
			upd_last_record(&o->ctx, UPD_LAST_ABANDONED, NULL,
			    j.uj_version, j.uj_slot, 1, "the install was "
			    "interrupted and its bundle is gone; the boot "
			    "choice is unchanged");
		publish_status(o);
		return;
	}
	/* Recorded first: if this one is cut too, the record says so. */
	upd_last_record(&o->ctx, UPD_LAST_RESUMING, NULL, j.uj_version,
	    j.uj_slot, 1, "the install was interrupted (power cut or "
	    "restart); started again");
	publish_status(o);
	updated_install(o, j.uj_bundle, 1);
}

static void
updated_spool(struct upd_opts *o)
{
	char dir[UPD_PATH_MAX + 16], path[UPD_PATH_MAX + 300];
	struct dirent *d;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/" UPD_SPOOL_SUBDIR, o->ctx.uc_state);
	if ((dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		size_t n = strlen(d->d_name), s = strlen(UPD_SPOOL_SUFFIX);

		if (n <= s || strcmp(d->d_name + n - s, UPD_SPOOL_SUFFIX) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		updated_install(o, path, 0);
		unlink(path);
	}
	closedir(dp);
}

int
cmd_updated(int argc, char **argv)
{
	struct upd_opts o;

	cb_log_init("updated");
	if (upd_parse(argc, argv, &o) != CB_OK)
		return 1;
	o.quiet = 1;
	updated_boot(&o);
	publish_status(&o);
	updated_resume(&o);
	for (;;) {
		updated_spool(&o);
		if (o.once)
			return 0;
		sleep(UPD_SPOOL_EVERY_S);
	}
}

/* ---- classbox bundle (host) --------------------------------------- */

static int
bundle_usage(void)
{
	fprintf(stderr,
	    "usage: classbox bundle COMMAND (host tools; see tools/update/)\n"
	    "  keygen KEY PUB                 new P-256 key (PEM, 0600) and "
	    "its public key\n"
	    "  certify ROOTKEY SERIAL RELPUB OUT   root certifies a release "
	    "key\n"
	    "  create --key KEY [--cert CERT] --board B --version V --epoch N"
	    "\n         [--key-floor N] --image SQUASHFS --kernel F "
	    "--initramfs F -o OUT\n"
	    "  verify --root-pub PUB [--board B] [--epoch N] BUNDLE\n");
	return 2;
}

static int
bundle_keygen(const char *key, const char *pub)
{
	struct sign_key *k;
	uint8_t p[BUNDLE_PUB_LEN];
	int rc;

	if ((rc = sign_keygen(key)) != CB_OK) {
		fprintf(stderr, "bundle: cannot write %s: %s (it must not "
		    "exist)\n", key, cb_strerror(rc));
		return 1;
	}
	if ((rc = sign_key_load(key, &k)) != CB_OK)
		return 1;
	rc = sign_key_pub(k, p);
	sign_key_free(k);
	if (rc != CB_OK || sign_pub_write(pub, p) != CB_OK) {
		fprintf(stderr, "bundle: cannot write %s\n", pub);
		return 1;
	}
	return 0;
}

static int
bundle_certify(char **argv)
{
	struct sign_key *k;
	uint8_t p[BUNDLE_PUB_LEN];
	unsigned long serial = strtoul(argv[1], NULL, 10);
	int rc;

	if (serial == 0 || serial > UINT32_MAX ||
	    sign_pub_read(argv[2], p) != CB_OK ||
	    sign_key_load(argv[0], &k) != CB_OK) {
		fprintf(stderr, "bundle: certify needs a root key, a serial "
		    "> 0 and a release public key\n");
		return 1;
	}
	rc = sign_certify(k, (uint32_t)serial, p, argv[3]);
	sign_key_free(k);
	if (rc != CB_OK)
		fprintf(stderr, "bundle: cannot write %s\n", argv[3]);
	return rc == CB_OK ? 0 : 1;
}

static const struct option bundle_longopts[] = {
	{ "key", required_argument, NULL, 'k' },
	{ "cert", required_argument, NULL, 'c' },
	{ "board", required_argument, NULL, 'b' },
	{ "version", required_argument, NULL, 'v' },
	{ "epoch", required_argument, NULL, 'E' },
	{ "key-floor", required_argument, NULL, 'F' },
	{ "image", required_argument, NULL, 'i' },
	{ "kernel", required_argument, NULL, 'K' },
	{ "initramfs", required_argument, NULL, 'I' },
	{ "root-pub", required_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 },
};

static int
bundle_create(int argc, char **argv)
{
	struct sign_bundle_args a;
	const char *key = NULL;
	char why[BUNDLE_WHY_MAX] = "";
	int c, rc;

	memset(&a, 0, sizeof(a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", bundle_longopts, NULL)) != -1)
		switch (c) {
		case 'k': key = optarg; break;
		case 'c': a.sb_cert_path = optarg; break;
		case 'b': a.sb_board = optarg; break;
		case 'v': a.sb_version = optarg; break;
		case 'E': a.sb_epoch = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'F': a.sb_key_floor = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'i': a.sb_image = optarg; break;
		case 'K': a.sb_kernel = optarg; break;
		case 'I': a.sb_initramfs = optarg; break;
		case 'o': a.sb_out = optarg; break;
		default: return bundle_usage();
		}
	if (!key || !a.sb_board || !a.sb_version || !a.sb_image ||
	    !a.sb_kernel || !a.sb_initramfs || !a.sb_out)
		return bundle_usage();
	if (sign_key_load(key, (struct sign_key **)&a.sb_key) != CB_OK) {
		fprintf(stderr, "bundle: cannot load the key %s\n", key);
		return 1;
	}
	rc = sign_bundle(&a, why, sizeof(why));
	sign_key_free((struct sign_key *)a.sb_key);
	if (rc != CB_OK) {
		fprintf(stderr, "bundle: %s\n", why[0] ? why : cb_strerror(rc));
		return 1;
	}
	printf("bundle: %s (version %s, epoch %u, board %s)\n", a.sb_out,
	    a.sb_version, a.sb_epoch, a.sb_board);
	return 0;
}

static int
bundle_verify(int argc, char **argv)
{
	const char *pub = NULL, *board = NULL, *epoch = "0";
	char *args[16];
	int c, n = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", bundle_longopts, NULL)) != -1)
		switch (c) {
		case 'r': pub = optarg; break;
		case 'b': board = optarg; break;
		case 'E': epoch = optarg; break;
		default: return bundle_usage();
		}
	if (pub == NULL || optind + 1 != argc)
		return bundle_usage();
	const char *path = argv[optind];
	/* The box's verifier with a throw-away state directory. */
	char state[] = "/tmp/cb-bundle-verify.XXXXXX";
	if (mkdtemp(state) == NULL)
		return 1;
	char sfile[64], esp[] = "/nonexistent";
	snprintf(sfile, sizeof(sfile), "%s/state", state);
	FILE *f = fopen(sfile, "w");
	if (f == NULL)
		return 1;
	fprintf(f, "epoch %s\nkey-floor 0\n", epoch);
	fclose(f);
	args[n++] = "update";
	args[n++] = "--esp"; args[n++] = esp;
	args[n++] = "--state"; args[n++] = state;
	args[n++] = "--root-pub"; args[n++] = (char *)pub;
	args[n++] = "--booted"; args[n++] = "A";
	args[n++] = "--slot-a"; args[n++] = "/nonexistent";
	args[n++] = "--slot-b"; args[n++] = "/nonexistent";
	args[n++] = "--quiet";
	struct upd_opts o;
	optind = 1;
	int rc = upd_parse(n, args, &o);
	if (rc == CB_OK && board != NULL)
		cb_strlcpy(o.ctx.uc_board, board, sizeof(o.ctx.uc_board));
	else if (rc == CB_OK)
		o.ctx.uc_board[0] = '\0';
	o.ctx.uc_progress = NULL;
	rc = rc == CB_OK ? update_verify(&o, path) : 1;
	unlink(sfile);
	rmdir(state);
	return rc;
}

int
cmd_bundle(int argc, char **argv)
{
	cb_log_init("bundle");
	if (argc < 2)
		return bundle_usage();
	if (strcmp(argv[1], "keygen") == 0 && argc == 4)
		return bundle_keygen(argv[2], argv[3]);
	if (strcmp(argv[1], "certify") == 0 && argc == 6)
		return bundle_certify(argv + 2);
	if (strcmp(argv[1], "create") == 0)
		return bundle_create(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return bundle_verify(argc - 1, argv + 1);
	return bundle_usage();
}
