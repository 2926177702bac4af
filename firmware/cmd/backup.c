/*
 * backup.c: `classbox backup`: create, verify, list and restore encrypted
 * generations of the box's LMDB environments (docs/backup.md).
 *
 *   classbox backup create --data DIR --to TARGET [--keep N] [--daily-at HH:MM]
 *   classbox backup verify FILE [--data DIR]
 *   classbox backup list --to TARGET
 *   classbox backup restore FILE --data DIR [--dry-run]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "auth/account.h"
#include "backup/backup.h"
#include "backup/bkstatus.h"
#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "base/proc.h"
#include "store/kv.h"
#include "store/store.h"

#define BK_PREFIX	"classbox-"
#define BK_SUFFIX	".cbbak"
#define BK_VERIFIED	".verified"
#define BK_TMP_PREFIX	".tmp-"
#define BK_KEEP_DEFAULT	14
#define BK_KEEP_MAX	1000
#define BK_PATH		PATH_MAX

static int
usage(void)
{
	fprintf(stderr,
	    "usage: classbox backup create --data DIR --to TARGET [--keep N] "
	    "[--daily-at HH:MM]\n"
	    "       classbox backup verify FILE [--data DIR]\n"
	    "       classbox backup list --to TARGET\n"
	    "       classbox backup restore FILE --data DIR [--dry-run]\n");
	return 2;
}

static int
pjoin(char *out, const char *a, const char *b)
{
	if (snprintf(out, BK_PATH, "%s/%s", a, b) >= BK_PATH) {
		fprintf(stderr, "backup: path too long: %s/%s\n", a, b);
		return CB_ETOOBIG;
	}
	return CB_OK;
}

/* Remove a directory tree we made (staging and verification copies). */
static void
rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[BK_PATH];
	struct stat sb;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (pjoin(sub, path, e->d_name) != 0)
			continue;
		if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			rm_tree(sub);
		else
			unlink(sub);
	}
	closedir(d);
	rmdir(path);
}

/* A private 0700 working directory inside the data directory: the copies
 * are as sealed as the live data, and on the same partition (a rename
 * puts a restored environment in place). */
static int
make_work_dir(const char *data, const char *what, char out[BK_PATH])
{
	if (snprintf(out, BK_PATH, "%s/.backup-%s.XXXXXX", data, what) >=
	    BK_PATH)
		return CB_ETOOBIG;
	if (mkdtemp(out) == NULL) {
		fprintf(stderr, "backup: cannot make a working directory in "
		    "%s: %s\n", data, strerror(errno));
		return CB_EIO;
	}
	return CB_OK;
}

static int
open_kek(const char *data, struct keystore *ks)
{
	char keys[BK_PATH];
	int rc;

	if ((rc = pjoin(keys, data, CB_KEYS_SUBDIR)) != 0)
		return rc;
	if ((rc = keystore_file_init(ks, keys)) != 0 ||
	    (rc = ks->ks_load_kek(ks, 0)) != 0) {
		fprintf(stderr, "backup: cannot load the key-encryption key in "
		    "%s: %s (a backup opens only on the box holding its keys)\n",
		    keys, cb_strerror(rc));
		if (ks->ks_close != NULL)
			ks->ks_close(ks);
		return CB_ECRYPTO;
	}
	return CB_OK;
}

/* The box id: DATA/box-id if present (first line), else the hostname. */
static void
box_id(const char *data, char out[BK_BOX_ID_MAX + 1])
{
	char path[BK_PATH];
	FILE *f;

	out[0] = 0;
	if (pjoin(path, data, "box-id") == 0 && (f = fopen(path, "re"))) {
		if (fgets(out, BK_BOX_ID_MAX + 1, f) == NULL)
			out[0] = 0;
		fclose(f);
		out[strcspn(out, "\r\n")] = 0;
	}
	if (out[0] == 0 && gethostname(out, BK_BOX_ID_MAX) != 0)
		cb_strlcpy(out, "unknown", BK_BOX_ID_MAX + 1);
	out[BK_BOX_ID_MAX] = 0;
}

/* ---- verification of extracted environments ---- */

static int
verify_store(const char *data, const char *dir, char *msg, size_t msz)
{
	struct store_options so = { 0 };
	struct store_change ch[256];
	struct keystore ks;
	struct store *s = NULL;
	uint64_t since = 0, docs = 0, revs = 0;
	size_t n;
	int rc;

	if ((rc = open_kek(data, &ks)) != 0) {
		snprintf(msg, msz, "the store's key cannot be loaded");
		return rc;
	}
	so.so_keystore = &ks;
	if ((rc = store_open(&s, dir, &so)) != 0) {
		snprintf(msg, msz, "the store copy does not open: %s",
		    cb_strerror(rc));
		return rc;
	}
	for (;;) {
		if ((rc = store_changes(s, since, ch, 256, &n)) != 0) {
			snprintf(msg, msz, "changes feed unreadable: %s",
			    store_errmsg(s));
			break;
		}
		if (n == 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++) {
			struct store_doc *d = NULL;
			size_t nd = 0;

			rc = store_get_leaves(s, ch[i].sc_id,
			    STORE_GET_REVISIONS, &d, &nd);
			if (rc != 0) {
				snprintf(msg, msz, "document %s does not "
				    "read or unseal: %s", ch[i].sc_id,
				    store_errmsg(s));
				break;
			}
			docs++;
			revs += nd;
			store_docs_free(d, nd);
		}
		if (rc != 0)
			break;
		since = ch[n - 1].sc_seq;
	}
	if (rc == 0)
		snprintf(msg, msz, "%" PRIu64 " documents, %" PRIu64
		    " leaf revisions read and unsealed", docs, revs);
	store_close(s);
	return rc;
}

static int
verify_auth(const char *dir, char *msg, size_t msz)
{
	struct account_store *st = NULL;
	struct auth_user *u;
	char after[AUTH_UID_MAX] = "";
	size_t n, total = 0;
	int more = 1, rc;

	if ((rc = account_open(&st, dir)) != 0) {
		snprintf(msg, msz, "the account copy does not open: %s",
		    cb_strerror(rc));
		return rc;
	}
	if ((u = calloc(100, sizeof(*u))) == NULL) {
		account_close(st);
		return CB_ENOMEM;
	}
	while (more) {
		if ((rc = account_list(st, after, 100, u, &n, &more)) != 0) {
			snprintf(msg, msz, "an account after '%s' does not "
			    "decode: %s", after, cb_strerror(rc));
			break;
		}
		total += n;
		if (n == 0)
			break;
		cb_strlcpy(after, u[n - 1].au_uid, sizeof(after));
	}
	if (rc == 0)
		snprintf(msg, msz, "%zu accounts decoded", total);
	free(u);
	account_close(st);
	return rc;
}

static int
verify_audit(const char *data, const char *subdir, const char *dir,
    char *msg, size_t msz)
{
	struct audit_verify_result vr;
	struct audit_log *log = NULL;
	struct keystore ks;
	char live[BK_PATH];
	const char *name = strchr(subdir, '/') + 1;
	int rc;

	/* The log's own key stays in its live directory (docs/audit.md). */
	if ((rc = pjoin(live, data, subdir)) != 0 ||
	    (rc = keystore_file_init(&ks, live)) != 0) {
		snprintf(msg, msz, "no key for the %s log", name);
		return CB_ECRYPTO;
	}
	if ((rc = audit_open(&log, dir, name, NULL, &ks)) != 0) {
		snprintf(msg, msz, "the %s log copy does not open: %s", name,
		    cb_strerror(rc));
		return rc;
	}
	rc = audit_verify(log, &vr);
	audit_close(log);
	if (rc != 0) {
		snprintf(msg, msz, "the %s log cannot be verified: %s", name,
		    cb_strerror(rc));
		return rc;
	}
	if (vr.av_problem != AUDIT_INTACT) {
		snprintf(msg, msz, "the %s log chain is broken: %s", name,
		    vr.av_what);
		return CB_ECRYPTO;
	}
	snprintf(msg, msz, "%" PRIu64 " entries, chain intact", vr.av_entries);
	return CB_OK;
}

/* Decrypt path into work/x, check every section, open each environment and
 * walk its records. Prints one line per section. */
static int
verify_file(const char *path, const char *data, const char *work,
    struct bk_section *secs, size_t *nsecs, struct bk_header *h)
{
	char err[BK_ERR_MAX], msg[BK_ERR_MAX], out[BK_PATH], dir[BK_PATH];
	struct keystore ks;
	int rc, bad = 0;

	if ((rc = open_kek(data, &ks)) != 0)
		return rc;
	if ((rc = pjoin(out, work, "x")) != 0)
		return rc;
	rc = bk_extract(path, &ks, out, h, secs, nsecs, err);
	ks.ks_close(&ks);
	if (rc != 0) {
		printf("verify: %s: FAILED: %s\n", path, err);
		return rc;
	}
	for (size_t i = 0; i < *nsecs; i++) {
		const char *name = secs[i].bx_name;

		if (pjoin(dir, out, name) != 0)
			return CB_ETOOBIG;
		if (strcmp(name, "store") == 0)
			rc = verify_store(data, dir, msg, sizeof(msg));
		else if (strcmp(name, "auth") == 0)
			rc = verify_auth(dir, msg, sizeof(msg));
		else
			rc = verify_audit(data, name, dir, msg, sizeof(msg));
		printf("verify: %-11s %10" PRIu64 " bytes  %s: %s\n", name,
		    secs[i].bx_len, rc == 0 ? "ok" : "FAILED", msg);
		if (rc != 0)
			bad = rc;
	}
	return bad;
}

/* ---- generations ---- */

static int
is_generation(const char *name)
{
	size_t n = strlen(name), p = strlen(BK_PREFIX), s = strlen(BK_SUFFIX);

	return n > p + s && strncmp(name, BK_PREFIX, p) == 0 &&
	    strcmp(name + n - s, BK_SUFFIX) == 0;
}

static int
cmp_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* The generations in target, newest first (names sort by time). */
static int
list_generations(const char *target, char ***out, size_t *n)
{
	DIR *d = opendir(target);
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0, cap = 0;

	*out = NULL;
	*n = 0;
	if (d == NULL) {
		fprintf(stderr, "backup: cannot read %s: %s\n", target,
		    strerror(errno));
		return CB_EIO;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_generation(e->d_name))
			continue;
		if (cnt == cap) {
			char **nv = realloc(v, (cap = cap ? 2 * cap : 32) *
			    sizeof(*v));

			if (nv == NULL)
				break;
			v = nv;
		}
		if ((v[cnt] = strdup(e->d_name)) != NULL)
			cnt++;
	}
	closedir(d);
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_desc);
	*out = v;
	*n = cnt;
	return CB_OK;
}

static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Refuse a target inside (or equal to) the live data directory. */
static int
check_target(const char *data, const char *target)
{
	char rd[BK_PATH], rt[BK_PATH];
	struct stat sb;
	size_t n;

	if (stat(target, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "backup: the target %s is not a directory "
		    "(for a USB stick: mount /dev/sdX1 /mnt/usb first)\n",
		    target);
		return CB_ENOTFOUND;
	}
	if (realpath(data, rd) == NULL || realpath(target, rt) == NULL) {
		fprintf(stderr, "backup: cannot resolve %s or %s: %s\n", data,
		    target, strerror(errno));
		return CB_EIO;
	}
	n = strlen(rd);
	if (strncmp(rt, rd, n) == 0 && (rt[n] == 0 || rt[n] == '/')) {
		fprintf(stderr, "backup: refusing the target %s: it is inside "
		    "the live data directory %s (use e.g. /data/backups or a "
		    "USB stick)\n", rt, rd);
		return CB_EINVAL;
	}
	return CB_OK;
}

/* Remove temporary files left by an interrupted run (we hold the lock). */
static void
clean_tmp(const char *target)
{
	DIR *d = opendir(target);
	struct dirent *e;
	char p[BK_PATH];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, BK_TMP_PREFIX, strlen(BK_TMP_PREFIX))
		    == 0 && pjoin(p, target, e->d_name) == 0)
			unlink(p);
	closedir(d);
}

static int
write_marker(const char *target, const char *name, const char *text)
{
	char p[BK_PATH], tmp[BK_PATH];

	if (snprintf(p, sizeof(p), "%s/%s%s", target, name, BK_VERIFIED) >=
	    (int)sizeof(p) || snprintf(tmp, sizeof(tmp), "%s/%s%s%s", target,
	    BK_TMP_PREFIX, name, BK_VERIFIED) >= (int)sizeof(tmp))
		return CB_ETOOBIG;
	return cb_file_put(p, tmp, text, strlen(text), 0600, 0);
}

/* *stage says how far the run got ("done" when it succeeded): the status
 * file for web names it (bkstatus.h); the details go to stderr. */
static int
backup_create(const char *data, const char *target, long keep,
    const char **stage)
{
	char work[BK_PATH], lock[BK_PATH], name[128], final[BK_PATH];
	char tmp[BK_PATH], src_dir[BK_PATH], err[BK_ERR_MAX], ts[32];
	char paths[BK_MAX_ENVS][BK_PATH], id[BK_BOX_ID_MAX + 1];
	struct bk_src srcs[BK_MAX_ENVS];
	struct bk_section secs[BK_MAX_ENVS];
	struct bk_header h;
	struct keystore ks;
	struct timespec t0, t1;
	struct tm tm;
	size_t n = 0, nsecs, ngen;
	char **gens;
	int64_t now;
	time_t sec;
	struct cb_atomic a;
	int lfd, fd, rc;
	struct stat sb;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	*stage = "target";
	if ((rc = check_target(data, target)) != 0)
		return 1;
	*stage = "lock";
	if (pjoin(lock, target, ".classbox-backup.lock") != 0)
		return 1;
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1 ||
	    flock(lfd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "backup: %s: %s\n", lock, lfd == -1 ?
		    strerror(errno) : "another backup is running");
		return 1;
	}
	clean_tmp(target);
	*stage = "keys";
	if (open_kek(data, &ks) != 0)
		return 1;
	*stage = "copy";
	if (make_work_dir(data, "create", work) != 0) {
		ks.ks_close(&ks);
		return 1;
	}
	/* 1. Compacting hot copies, each one read transaction's snapshot. */
	for (size_t i = 0; i < bk_nenvs; i++) {
		char mdb[BK_PATH];

		if (pjoin(src_dir, data, bk_envs[i].be_subdir) != 0 ||
		    pjoin(mdb, src_dir, "data.mdb") != 0)
			goto fail;
		if (stat(mdb, &sb) != 0) {
			printf("backup: %s: no environment in %s, skipped\n",
			    bk_envs[i].be_name, src_dir);
			continue;
		}
		if (snprintf(paths[n], BK_PATH, "%s/copy.%zu", work, i) >=
		    BK_PATH)
			goto fail;
		if ((fd = open(paths[n], O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0600)) == -1) {
			fprintf(stderr, "backup: %s: %s\n", paths[n],
			    strerror(errno));
			goto fail;
		}
		rc = kv_copy(src_dir, fd);
		close(fd);
		if (rc != 0) {
			fprintf(stderr, "backup: cannot copy %s: %s%s\n",
			    src_dir, cb_strerror(rc), rc == CB_EFULL ?
			    " (the data partition is full)" : "");
			goto fail;
		}
		srcs[n].bs_name = bk_envs[i].be_name;
		srcs[n].bs_path = paths[n];
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "backup: nothing to back up in %s\n", data);
		goto fail;
	}
	/* 2. One encrypted file: temporary name, fsync, rename, fsync dir. */
	*stage = "write";
	for (;;) {
		now = cb_now_ms();
		sec = (time_t)(now / 1000);
		gmtime_r(&sec, &tm);
		strftime(ts, sizeof(ts), "%Y%m%dT%H%M%S", &tm);
		snprintf(name, sizeof(name), "%s%s.%03dZ%s", BK_PREFIX, ts,
		    (int)(now % 1000), BK_SUFFIX);
		if (pjoin(final, target, name) != 0)
			goto fail;
		if (stat(final, &sb) != 0)
			break;
		usleep(2000);
	}
	if (snprintf(tmp, sizeof(tmp), "%s/%s%s", target, BK_TMP_PREFIX,
	    name) >= (int)sizeof(tmp))
		goto fail;
	box_id(data, id);
	if (cb_atomic_open(&a, final, tmp, 0600, 0) != CB_OK) {
		fprintf(stderr, "backup: cannot create %s: %s\n", tmp,
		    strerror(errno));
		goto fail;
	}
	if ((rc = bk_write(a.a_fd, &ks, id, now, 0, srcs, n, err)) != 0)
		cb_atomic_abort(&a);
	else if ((rc = cb_atomic_commit(&a)) != CB_OK)
		snprintf(err, sizeof(err), "cannot flush it and rename it "
		    "into place: %s%s", strerror(errno), errno == ENOSPC ?
		    " (the target is full)" : "");
	if (rc != 0) {
		fprintf(stderr, "backup: FAILED writing %s: %s; nothing was "
		    "deleted, the previous generations are intact\n", final,
		    err);
		goto fail;
	}
	ks.ks_close(&ks);
	ks.ks_close = NULL;
	stat(final, &sb);
	printf("backup: wrote %s (%lld bytes)\n", final, (long long)sb.st_size);
	/* 3. Verify the file as written: decrypt, hashes, every record. */
	*stage = "verify";
	rm_tree(work);
	if (make_work_dir(data, "verify", work) != 0)
		return 1;
	rc = verify_file(final, data, work, secs, &nsecs, &h);
	rm_tree(work);
	if (rc != 0) {
		fprintf(stderr, "backup: the new generation %s did NOT verify; "
		    "older generations are kept\n", final);
		return 1;
	}
	{
		char text[128];

		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(text, sizeof(text), "verified %s\n", ts);
		if (write_marker(target, name, text) != 0)
			fprintf(stderr, "backup: cannot write the verified "
			    "marker of %s\n", name);
	}
	/* 4. Only now: drop the generations beyond keep. */
	if (list_generations(target, &gens, &ngen) == 0) {
		for (size_t i = (size_t)keep; i < ngen; i++) {
			char p[BK_PATH], m[BK_PATH];

			if (pjoin(p, target, gens[i]) != 0 ||
			    snprintf(m, sizeof(m), "%s%s", p, BK_VERIFIED) >=
			    (int)sizeof(m))
				continue;
			if (unlink(p) == 0)
				printf("backup: removed old generation %s\n",
				    gens[i]);
			unlink(m);
		}
		free_list(gens, ngen);
		cb_fsync_dir(target);
	}
	*stage = "done";
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("backup: ok: %s verified (%zu environments, %.1f s)\n", name,
	    nsecs, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	close(lfd);
	return 0;
fail:
	if (ks.ks_close != NULL)
		ks.ks_close(&ks);
	rm_tree(work);
	close(lfd);
	return 1;
}

static int
backup_list(const char *target)
{
	char **gens, p[BK_PATH], m[BK_PATH + 16], err[BK_ERR_MAX], when[32];
	struct bk_header h;
	struct stat sb;
	size_t n;

	if (list_generations(target, &gens, &n) != 0)
		return 1;
	printf("%-40s %12s  %-20s %-16s %s\n", "generation", "bytes",
	    "created (UTC)", "box", "verified");
	for (size_t i = 0; i < n; i++) {
		const char *state;
		time_t sec;
		struct tm tm;

		if (pjoin(p, target, gens[i]) != 0 || stat(p, &sb) != 0)
			continue;
		snprintf(m, sizeof(m), "%s%s", p, BK_VERIFIED);
		if (bk_read_header(p, &h, err) != 0) {
			printf("%-40s %12lld  unreadable: %s\n", gens[i],
			    (long long)sb.st_size, err);
			continue;
		}
		sec = (time_t)(h.bh_created_ms / 1000);
		gmtime_r(&sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		state = access(m, F_OK) == 0 ? "yes" : "NO";
		printf("%-40s %12lld  %-20s %-16s %s\n", gens[i],
		    (long long)sb.st_size, when, h.bh_box_id, state);
	}
	printf("%zu generations in %s\n", n, target);
	free_list(gens, n);
	return 0;
}

/* Is a service using the data directory? The auth socket answers, or a
 * process has one of the environments' data.mdb mapped. */
static int
services_running(const char *data, char *why, size_t wsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char rd[BK_PATH], line[BK_PATH + 256], maps[300];
	DIR *d;
	struct dirent *e;
	int fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", data,
	    CB_AUTH_SOCK) < (int)sizeof(sa.sun_path) &&
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		int up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

		close(fd);
		if (up) {
			snprintf(why, wsz, "the auth service answers on %s",
			    sa.sun_path);
			return 1;
		}
	}
	if (realpath(data, rd) == NULL || (d = opendir("/proc")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(maps, sizeof(maps), "/proc/%s/maps", e->d_name);
		if ((f = fopen(maps, "re")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			char *p = strchr(line, '/');
			size_t n = strlen(rd);

			if (p == NULL || strncmp(p, rd, n) != 0 ||
			    p[n] != '/' || strstr(p, "/data.mdb") == NULL)
				continue;
			p[strcspn(p, "\n")] = 0;
			snprintf(why, wsz, "process %s has %s open",
			    e->d_name, p);
			fclose(f);
			closedir(d);
			return 1;
		}
		fclose(f);
	}
	closedir(d);
	return 0;
}

/* A name to move path aside to that no file has yet: never overwrite. */
static int
aside_name(const char *path, const char *ts, char *out, size_t size)
{
	struct stat sb;

	for (int i = 0; i < 1000; i++) {
		int n = i == 0 ?
		    snprintf(out, size, "%s.pre-restore-%s", path, ts) :
		    snprintf(out, size, "%s.pre-restore-%s-%d", path, ts, i);

		if (n < 0 || (size_t)n >= size)
			return CB_ETOOBIG;
		if (lstat(out, &sb) != 0 && errno == ENOENT)
			return CB_OK;
	}
	return CB_EEXIST;
}

static int
backup_restore(const char *file, const char *data, int dry_run)
{
	char work[BK_PATH], why[BK_PATH + 64], live[BK_PATH], mdb[BK_PATH];
	char aside[BK_PATH + 64], lockf[BK_PATH], src[BK_PATH + 64], ts[32];
	struct bk_section secs[BK_MAX_ENVS];
	struct bk_header h;
	size_t nsecs = 0;
	struct stat sb, dsb;
	struct tm tm;
	time_t now = time(NULL);
	int rc;

	if (!dry_run && services_running(data, why, sizeof(why))) {
		fprintf(stderr, "restore: refused: the services are running "
		    "(%s); stop them first (sv stop web auth)\n", why);
		return 1;
	}
	if (make_work_dir(data, "restore", work) != 0)
		return 1;
	rc = verify_file(file, data, work, secs, &nsecs, &h);
	if (rc != 0) {
		fprintf(stderr, "restore: refused: %s does not verify; nothing "
		    "was changed\n", file);
		rm_tree(work);
		return 1;
	}
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	printf("restore: backup of box '%s', %d sections%s\n", h.bh_box_id,
	    (int)nsecs, dry_run ? " (dry run: nothing is changed)" : "");
	for (size_t i = 0; i < nsecs; i++) {
		if (pjoin(live, data, secs[i].bx_name) != 0 ||
		    pjoin(mdb, live, "data.mdb") != 0 ||
		    pjoin(lockf, live, "lock.mdb") != 0)
			break;
		if (aside_name(mdb, ts, aside, sizeof(aside)) != 0)
			break;
		if (stat(mdb, &sb) == 0)
			printf("restore: %-11s would replace %s (%lld bytes) "
			    "with %" PRIu64 " bytes; the current file is kept "
			    "as %s\n", secs[i].bx_name, mdb,
			    (long long)sb.st_size, secs[i].bx_len, aside);
		else
			printf("restore: %-11s would create %s (%" PRIu64
			    " bytes)\n", secs[i].bx_name, mdb, secs[i].bx_len);
	}
	if (dry_run) {
		rm_tree(work);
		printf("restore: dry run ok\n");
		return 0;
	}
	for (size_t i = 0; i < nsecs; i++) {
		if (pjoin(live, data, secs[i].bx_name) != 0 ||
		    pjoin(mdb, live, "data.mdb") != 0 ||
		    pjoin(lockf, live, "lock.mdb") != 0 ||
		    snprintf(src, sizeof(src), "%s/x/%s/data.mdb", work,
		    secs[i].bx_name) >= (int)sizeof(src))
			goto fail;
		if (aside_name(mdb, ts, aside, sizeof(aside)) != 0)
			goto fail;
		if (stat(live, &dsb) != 0 && (mkdir(live, 0700) != 0 ||
		    stat(live, &dsb) != 0)) {
			fprintf(stderr, "restore: cannot create %s: %s\n",
			    live, strerror(errno));
			goto fail;
		}
		/* The restored file belongs to the directory's owner. */
		if (chown(src, dsb.st_uid, dsb.st_gid) != 0 ||
		    chmod(src, 0600) != 0) {
			fprintf(stderr, "restore: %s: %s\n", src,
			    strerror(errno));
			goto fail;
		}
		if (stat(mdb, &sb) == 0 && rename(mdb, aside) != 0) {
			fprintf(stderr, "restore: cannot move %s aside: %s\n",
			    mdb, strerror(errno));
			goto fail;
		}
		/* lock.mdb holds only reader slots: LMDB remakes it. */
		char lockaside[BK_PATH + 64];

		if (stat(lockf, &sb) == 0 && aside_name(lockf, ts, lockaside,
		    sizeof(lockaside)) == 0)
			(void)rename(lockf, lockaside);
		if (rename(src, mdb) != 0) {
			fprintf(stderr, "restore: cannot put %s in place: %s "
			    "(the previous file is %s)\n", mdb,
			    strerror(errno), aside);
			goto fail;
		}
		if (cb_fsync_dir(live) != 0)
			fprintf(stderr, "restore: cannot flush %s\n", live);
		printf("restore: %-11s restored\n", secs[i].bx_name);
	}
	rm_tree(work);
	printf("restore: ok; the previous files are kept as "
	    "*.pre-restore-%s (delete them once the box is checked)\n", ts);
	return 0;
fail:
	rm_tree(work);
	return 1;
}

/* One generation's line in the status file: size, creation time (its
 * header, else the file's time), whether its .verified marker is there. */
static void
record_generation(const char *target, const char *name, struct bks_gen *g)
{
	char p[BK_PATH], m[BK_PATH + 16], err[BK_ERR_MAX];
	struct bk_header h;
	struct stat sb;

	cb_strlcpy(g->bg_name, name, sizeof(g->bg_name));
	if (pjoin(p, target, name) != 0 || stat(p, &sb) != 0)
		return;
	g->bg_bytes = (int64_t)sb.st_size;
	g->bg_created_ms = bk_read_header(p, &h, err) == 0 ?
	    h.bh_created_ms : (int64_t)sb.st_mtime * 1000;
	snprintf(m, sizeof(m), "%s%s", p, BK_VERIFIED);
	g->bg_verified = access(m, F_OK) == 0;
}

/*
 * DATA/backup/status.json after every run, ok or not, for the admins' page
 * (bkstatus.h): web cannot read the target. A run without --daily-at (by
 * hand) keeps the schedule the last file named. A failure to write it is
 * said but does not change the run's outcome.
 */
static void
record_run(const char *data, const char *target, long keep, int daily_at,
    int64_t started_ms, int ok, const char *stage)
{
	struct bks_status *s = calloc(2, sizeof(*s)), *prev = s + 1;
	char dir[BK_PATH], path[BK_PATH], rt[BK_PATH], err[BK_ERR_MAX];
	char **gens;
	size_t n;

	if (s == NULL || pjoin(dir, data, BKS_SUBDIR) != 0 ||
	    pjoin(path, data, BKS_FILE) != 0) {
		free(s);
		return;
	}
	if (daily_at < 0 && bks_read(path, prev, err, sizeof(err)) == 0)
		daily_at = prev->bs_daily_at_min;
	cb_strlcpy(s->bs_target, realpath(target, rt) ? rt : target,
	    sizeof(s->bs_target));
	s->bs_keep = (int)keep;
	s->bs_daily_at_min = daily_at;
	s->bs_next_ms = bks_next_run(cb_now_ms(), daily_at);
	s->bs_run_started_ms = started_ms;
	s->bs_run_finished_ms = cb_now_ms();
	s->bs_run_ok = ok;
	cb_strlcpy(s->bs_run_stage, stage, sizeof(s->bs_run_stage));
	if (list_generations(target, &gens, &n) == 0) {
		for (size_t i = 0; i < n && i < BKS_GEN_MAX; i++)
			record_generation(target, gens[i], &s->bs_gen[i]);
		s->bs_ngen = n < BKS_GEN_MAX ? n : BKS_GEN_MAX;
		free_list(gens, n);
	}
	if (cb_make_dir(dir, 0755, (uid_t)-1, (gid_t)-1) != CB_OK ||
	    bks_write(path, s) != CB_OK)
		fprintf(stderr, "backup: cannot write %s (the web UI's backup "
		    "page will not show this run)\n", path);
	free(s);
}

int
cmd_backup(int argc, char **argv)
{
	const char *sub, *data = CB_DEFAULT_DATA, *target = NULL, *file = NULL;
	long keep = BK_KEEP_DEFAULT;
	int dry_run = 0, daily_at = -1;
	char *end;

	cb_log_init("backup");
	if (argc < 2)
		return usage();
	sub = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			target = argv[++i];
		else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc) {
			keep = strtol(argv[++i], &end, 10);
			if (*end != 0 || keep < 1 || keep > BK_KEEP_MAX) {
				fprintf(stderr, "backup: --keep wants 1..%d\n",
				    BK_KEEP_MAX);
				return 2;
			}
		} else if (strcmp(argv[i], "--daily-at") == 0 && i + 1 < argc) {
			if ((daily_at = bks_parse_hhmm(argv[++i])) < 0) {
				fprintf(stderr, "backup: --daily-at wants HH:MM "
				    "(00:00 to 23:59), the time in the "
				    "crontab\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = 1;
		else if (argv[i][0] != '-' && file == NULL)
			file = argv[i];
		else
			return usage();
	}
	if (strcmp(sub, "create") == 0 && target != NULL) {
		int64_t started = cb_now_ms();
		const char *stage = "target";
		int rc = backup_create(data, target, keep, &stage);

		record_run(data, target, keep, daily_at, started, rc == 0,
		    stage);
		return rc;
	}
	if (strcmp(sub, "list") == 0 && target != NULL)
		return backup_list(target);
	if (strcmp(sub, "verify") == 0 && file != NULL) {
		struct bk_section secs[BK_MAX_ENVS];
		struct bk_header h;
		char work[BK_PATH];
		size_t n;
		int rc;

		if (make_work_dir(data, "verify", work) != 0)
			return 1;
		rc = verify_file(file, data, work, secs, &n, &h);
		rm_tree(work);
		printf("verify: %s: %s\n", file, rc == 0 ? "ok" : "FAILED");
		return rc == 0 ? 0 : 1;
	}
	if (strcmp(sub, "restore") == 0 && file != NULL)
		return backup_restore(file, data, dry_run);
	return usage();
}
