/*
 * run.c: `classbox run`, the development launcher. It lays out the data
 * directory, creates the first admin on first start, starts auth and web
 * as separate processes (as separate users when started as root), restarts
 * either if it dies, and tells the person where to open the box. In the
 * image, BusyBox runsv supervises instead and the enrollment file gives the
 * first admin's password.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/account.h"
#include "clock/clock.h"
#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "base/proc.h"
#include "net/sockaddr.h"
#include "sync/drop.h"
#include "sync/status.h"

#define RUN_DEFAULT_WEB_UID	60001	/* when started as root */
#define RUN_DEFAULT_AUTH_UID	60002
#define RUN_DEFAULT_SYNC_UID	60003
#define RUN_READY_TIMEOUT_MS	15000	/* wait for a service to come up */
#define RUN_BACKOFF_MIN_MS	500
#define RUN_BACKOFF_MAX_MS	30000
#define RUN_STABLE_MS		60000	/* ran this long: reset the backoff */

enum { SVC_AUTH, SVC_WEB, SVC_SYNC, SVC_COUNT };

struct service {
	const char *name;
	char *argv[24];
	pid_t pid;
	int64_t started_ms;
	int64_t backoff_ms;
	int64_t restart_at_ms;	/* 0 = running or not due */
};

struct run_ctx {
	char data[PATH_MAX];
	char auth_dir[PATH_MAX], web_dir[PATH_MAX], run_dir[PATH_MAX];
	char store_dir[PATH_MAX], keys_dir[PATH_MAX];
	char audit_dir[PATH_MAX], audit_login[PATH_MAX], audit_ops[PATH_MAX];
	char sock[PATH_MAX], exe[PATH_MAX];
	const char *bind;
	int https_port, http_port;
	uid_t web_uid, auth_uid, sync_uid;
	int demo;			/* --demo: seed the demo school;
					 * 2: --demo-small, only its
					 * homeroom 1-1 (the UI tests) */
	int enrolled;			/* DATA/sync/enroll.json: start sync */
	int sync_unsynced_clock;	/* --allow-unsynced-clock for sync */
	int no_sync;			/* --no-sync: tests run sync themselves */
	const char *proxy, *proxy_auth;	/* sync's --proxy, --proxy-auth */
	char sync_dir[PATH_MAX], enroll[PATH_MAX], drop_dir[PATH_MAX];
	char clock_hint[PATH_MAX];	/* sync's https-date, for auth */
	const char *mdns_state;		/* passed to web (docs/lan.md) */
	const char *netcfg_dir;
	const char *max_conns_per_addr;	/* web's, checked by web */
	struct service svc[SVC_COUNT];
	char args[SVC_COUNT][8][64];
};

static volatile sig_atomic_t run_stop_signal;

static void
run_on_signal(int sig)
{
	run_stop_signal = sig;
}

static int
run_parse(int argc, char **argv, struct run_ctx *r)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "http-port", required_argument, NULL, 'r' },
		{ "web-uid", required_argument, NULL, 'w' },
		{ "auth-uid", required_argument, NULL, 'a' },
		{ "demo", no_argument, NULL, 'D' },
		{ "allow-unsynced-clock", no_argument, NULL, 'C' },
		{ "no-sync", no_argument, NULL, 'N' },
		{ "demo-small", no_argument, NULL, 'S' },
		{ "mdns-state", required_argument, NULL, 'm' },
		{ "netcfg-dir", required_argument, NULL, 'n' },
		{ "proxy", required_argument, NULL, 'P' },
		{ "proxy-auth", required_argument, NULL, 'A' },
		{ "max-conns-per-addr", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = "classbox-data";
	int c, root = geteuid() == 0;

	r->bind = "localhost";	/* 127.0.0.1 and ::1 (http_listen_all) */
	r->https_port = 8443;
	r->http_port = 8080;
	r->web_uid = root ? RUN_DEFAULT_WEB_UID : (uid_t)-1;
	r->auth_uid = root ? RUN_DEFAULT_AUTH_UID : (uid_t)-1;
	r->sync_uid = root ? RUN_DEFAULT_SYNC_UID : (uid_t)-1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'b': r->bind = optarg; break;
		case 'p': r->https_port = atoi(optarg); break;
		case 'r': r->http_port = atoi(optarg); break;
		case 'w': r->web_uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'a': r->auth_uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'D': r->demo = 1; break;
		case 'C': r->sync_unsynced_clock = 1; break;
		case 'N': r->no_sync = 1; break;
		case 'S': r->demo = 2; break;
		case 'm': r->mdns_state = optarg; break;
		case 'n': r->netcfg_dir = optarg; break;
		case 'P': r->proxy = optarg; break;
		case 'A': r->proxy_auth = optarg; break;
		case 'M': r->max_conns_per_addr = optarg; break;
		default:
			fprintf(stderr, "usage: classbox run [--data DIR] "
			    "[--bind ADDR] [--port N] [--http-port N] "
			    "[--web-uid N] [--auth-uid N] [--demo | "
			    "--demo-small] [--allow-unsynced-clock | --no-sync] "
			    "[--mdns-state FILE] [--netcfg-dir DIR] "
			    "[--proxy URL [--proxy-auth FILE]] "
			    "[--max-conns-per-addr N]\n");
			return CB_EINVAL;
		}
	}
	if (r->proxy_auth != NULL && r->proxy == NULL) {
		fprintf(stderr, "classbox run: --proxy-auth needs --proxy\n");
		return CB_EINVAL;
	}
	if (!root && (r->web_uid != (uid_t)-1 || r->auth_uid != (uid_t)-1)) {
		fprintf(stderr, "classbox run: --web-uid/--auth-uid need root\n");
		return CB_EINVAL;
	}
	if (root && r->web_uid == r->auth_uid) {
		fprintf(stderr, "classbox run: web and auth need different "
		    "users\n");
		return CB_EINVAL;
	}
	if (realpath(data, r->data) == NULL) {
		if (mkdir(data, 0755) != 0 || realpath(data, r->data) == NULL) {
			fprintf(stderr, "classbox run: cannot use data "
			    "directory %s: %s\n", data, strerror(errno));
			return CB_EIO;
		}
	}
	return CB_OK;
}

/*
 * The data directory: auth's environment readable by auth alone, web's
 * TLS key, the classroom store and its key-encryption key by web alone,
 * and the socket directory owned by auth (it creates the socket;
 * SO_PEERCRED decides who may talk).
 */
static int
run_layout(struct run_ctx *r)
{
	if (cb_path_join(r->auth_dir, sizeof(r->auth_dir), r->data,
	    CB_AUTH_SUBDIR) != CB_OK ||
	    cb_path_join(r->web_dir, sizeof(r->web_dir), r->data,
	    CB_WEB_SUBDIR) != CB_OK ||
	    cb_path_join(r->run_dir, sizeof(r->run_dir), r->data,
	    CB_RUN_SUBDIR) != CB_OK ||
	    cb_path_join(r->store_dir, sizeof(r->store_dir), r->data,
	    CB_STORE_SUBDIR) != CB_OK ||
	    cb_path_join(r->keys_dir, sizeof(r->keys_dir), r->data,
	    CB_KEYS_SUBDIR) != CB_OK ||
	    cb_path_join(r->sock, sizeof(r->sock), r->data,
	    CB_AUTH_SOCK) != CB_OK ||
	    cb_path_join(r->audit_dir, sizeof(r->audit_dir), r->data,
	    CB_AUDIT_SUBDIR) != CB_OK ||
	    cb_path_join(r->audit_login, sizeof(r->audit_login), r->data,
	    CB_AUDIT_LOGIN_SUBDIR) != CB_OK ||
	    cb_path_join(r->audit_ops, sizeof(r->audit_ops), r->data,
	    CB_AUDIT_OPS_SUBDIR) != CB_OK ||
	    cb_path_join(r->sync_dir, sizeof(r->sync_dir), r->data,
	    SYNC_SUBDIR) != CB_OK ||
	    cb_path_join(r->enroll, sizeof(r->enroll), r->data,
	    SYNC_ENROLL_PATH) != CB_OK ||
	    cb_path_join(r->clock_hint, sizeof(r->clock_hint), r->data,
	    SYNC_SUBDIR "/" CLOCK_HINT_FILE) != CB_OK ||
	    cb_path_join(r->drop_dir, sizeof(r->drop_dir), r->data,
	    SYNC_DROP_SUBDIR) != CB_OK)
		return CB_ETOOBIG;
	r->enrolled = access(r->enroll, F_OK) == 0;
	if (cb_make_dir(r->data, 0755, (uid_t)-1, (gid_t)-1) != CB_OK ||
	    cb_make_dir(r->auth_dir, 0700, r->auth_uid, r->auth_uid) != CB_OK ||
	    cb_make_dir(r->web_dir, 0700, r->web_uid, r->web_uid) != CB_OK ||
	    cb_make_dir(r->store_dir, 0700, r->web_uid, r->web_uid) != CB_OK ||
	    cb_make_dir(r->keys_dir, 0700, r->web_uid, r->web_uid) != CB_OK ||
	    cb_make_dir(r->run_dir, 0755, r->auth_uid, r->auth_uid) != CB_OK ||
	    cb_make_dir(r->audit_dir, 0755, (uid_t)-1, (gid_t)-1) != CB_OK ||
	    cb_make_dir(r->audit_login, 0700, r->auth_uid, r->auth_uid) !=
	    CB_OK ||
	    cb_make_dir(r->audit_ops, 0700, r->web_uid, r->web_uid) != CB_OK ||
	    cb_make_dir(r->sync_dir, 0711, r->sync_uid, r->sync_uid) != CB_OK ||
	    cb_make_dir(r->drop_dir, ENROLL_DROP_DIR_MODE, r->sync_uid,
	    r->web_uid) != CB_OK)
		return CB_EIO;
	ssize_t n = readlink("/proc/self/exe", r->exe, sizeof(r->exe) - 1);
	if (n <= 0)
		return CB_EIO;
	r->exe[n] = '\0';
	return CB_OK;
}

/*
 * Creates the first admin in a child running as the auth user, so that
 * the environment's files belong to auth from the start. The password comes
 * back over a pipe and is shown once on the terminal, never logged.
 */
static int
run_bootstrap(struct run_ctx *r, char *pw, size_t pw_size)
{
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) != 0)
		return CB_EIO;
	if ((pid = fork()) < 0)
		return CB_EIO;
	if (pid == 0) {
		char buf[AUTH_INITIAL_PW_MAX] = "";
		close(fds[0]);
		if (cb_drop_privileges(r->auth_uid, r->auth_uid) != CB_OK)
			_exit(1);
		int rc = account_bootstrap_admin(r->auth_dir, buf, sizeof(buf));
		if (rc == CB_OK && write(fds[1], buf, strlen(buf)) < 0)
			_exit(1);
		cb_wipe(buf, sizeof(buf));
		_exit(rc == CB_OK ? 0 : rc == CB_EEXIST ? 3 : 1);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], pw, pw_size - 1);
	close(fds[0]);
	pw[n > 0 ? n : 0] = '\0';
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return CB_EIO;
	if (WEXITSTATUS(status) == 3)
		return CB_EEXIST;
	return WEXITSTATUS(status) == 0 && n > 0 ? CB_OK : CB_EIO;
}

static void
run_argv(struct run_ctx *r, int id, const char *applet, ...)
{
	struct service *s = &r->svc[id];
	va_list ap;
	const char *a;
	int i = 0;

	s->name = applet;
	s->argv[i++] = r->exe;
	s->argv[i++] = (char *)applet;
	va_start(ap, applet);
	while ((a = va_arg(ap, const char *)) != NULL && i < 23)
		s->argv[i++] = (char *)a;
	va_end(ap);
	s->argv[i] = NULL;
}

static void
run_prepare(struct run_ctx *r)
{
	char (*a)[64] = r->args[SVC_AUTH], (*w)[64] = r->args[SVC_WEB];

	snprintf(a[0], 64, "%d", (int)r->auth_uid);
	snprintf(a[1], 64, "%d", (int)r->web_uid);
	snprintf(a[2], 64, "%d", (int)r->sync_uid);
	run_argv(r, SVC_AUTH, "auth", "--dir", r->auth_dir, "--sock", r->sock,
	    "--uid", a[0], "--web-uid", a[1], "--audit", r->audit_login,
	    "--clock-hint", r->clock_hint, "--sync-uid", a[2], (char *)NULL);
	snprintf(w[0], 64, "%d", r->https_port);
	snprintf(w[1], 64, "%d", r->http_port);
	snprintf(w[2], 64, "%d", (int)r->web_uid);
	const char *x[7] = { NULL };
	int k = 0;
	if (r->mdns_state) {
		x[k++] = "--mdns-state";
		x[k++] = r->mdns_state;
	}
	if (r->netcfg_dir) {
		x[k++] = "--netcfg-dir";
		x[k++] = r->netcfg_dir;
	}
	if (r->max_conns_per_addr) {
		x[k++] = "--max-conns-per-addr";
		x[k++] = r->max_conns_per_addr;
	}
	run_argv(r, SVC_WEB, "web", "--data", r->data, "--bind", r->bind,
	    "--port", w[0], "--http-port", w[1], "--uid", w[2], x[0], x[1],
	    x[2], x[3], x[4], x[5], (char *)NULL);
	char (*y)[64] = r->args[SVC_SYNC];
	snprintf(y[0], 64, "%d", (int)r->sync_uid);
	snprintf(y[1], 64, "%d", (int)r->web_uid);
	snprintf(y[2], 64, "%d", (int)r->auth_uid);
	/* The proxy of the config (sync/proxy.h): a URL and a file's name,
	 * never a password, on sync's command line. */
	const char *z[6] = { NULL };
	k = 0;
	if (r->sync_unsynced_clock)
		z[k++] = "--allow-unsynced-clock";
	if (r->proxy) {
		z[k++] = "--proxy";
		z[k++] = r->proxy;
	}
	if (r->proxy && r->proxy_auth) {
		z[k++] = "--proxy-auth";
		z[k++] = r->proxy_auth;
	}
	if (r->sync_uid == (uid_t)-1)
		run_argv(r, SVC_SYNC, "sync", "--data", r->data, z[0], z[1],
		    z[2], z[3], z[4], (char *)NULL);
	else
		run_argv(r, SVC_SYNC, "sync", "--data", r->data, "--uid", y[0],
		    "--gid", y[1], "--group", y[2], z[0], z[1], z[2], z[3],
		    z[4], (char *)NULL);
	for (int i = 0; i < SVC_COUNT; i++)
		r->svc[i].backoff_ms = RUN_BACKOFF_MIN_MS;
}

/*
 * As root, sync (its own uid) shares the web user's group for the store
 * and the operation log, and auth's group for the login log: the
 * directories and files of those environments become group-readable and
 * the LMDB files group-writable (LMDB readers write the lock file, and
 * sync writes replicated documents). Nobody else gains anything: auth's
 * own directory stays 0700, and web cannot enter DATA/sync (0711, the
 * enrollment file 0600) where the cloud credentials are.
 */
static void
run_share_with_sync(const struct run_ctx *r)
{
	static const struct { const char *sub; mode_t dmode; } dirs[] = {
		{ CB_STORE_SUBDIR, 0770 }, { CB_KEYS_SUBDIR, 0750 },
		{ CB_AUDIT_OPS_SUBDIR, 0770 }, { CB_AUDIT_LOGIN_SUBDIR, 0770 },
	};
	static const struct { const char *name; mode_t mode; } files[] = {
		{ "data.mdb", 0660 }, { "lock.mdb", 0660 }, { "kek", 0640 },
		{ "clock.floor", 0640 },
	};
	char d[PATH_MAX], f[PATH_MAX];

	/* Enrolled since the start? (an upload in the admin UI: sync
	 * installed it and exited to be started again with it) */
	if (r->sync_uid == (uid_t)-1 || access(r->enroll, F_OK) != 0)
		return;
	for (size_t i = 0; i < CB_ARRAY_LEN(dirs); i++) {
		if (cb_path_join(d, sizeof(d), r->data, dirs[i].sub) != CB_OK)
			continue;
		(void)chmod(d, dirs[i].dmode);
		for (size_t k = 0; k < CB_ARRAY_LEN(files); k++)
			if (cb_path_join(f, sizeof(f), d, files[k].name) ==
			    CB_OK)
				(void)chmod(f, files[k].mode);
	}
}

static int
run_spawn(struct run_ctx *r, int id)
{
	struct service *s = &r->svc[id];
	pid_t pid = fork();

	if (pid < 0)
		return CB_EIO;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execv(r->exe, s->argv);
		_exit(127);
	}
	s->pid = pid;
	s->started_ms = cb_mono_ms();
	s->restart_at_ms = 0;
	return CB_OK;
}

static int
run_wait_tcp(const char *addr, int port, int64_t deadline)
{
	struct sockaddr_storage ss;
	socklen_t len;

	addr = sa_local_for_bind(addr);
	if (sa_parse(addr, port, &ss, &len) != CB_OK)
		return CB_EINVAL;
	while (cb_mono_ms() < deadline && !run_stop_signal) {
		int fd = sa_connect(addr, port, 1000);
		if (fd >= 0) {
			close(fd);
			return CB_OK;
		}
		usleep(50 * 1000);
	}
	return CB_EUNAVAIL;
}

static int
run_wait_file(const char *path, int64_t deadline)
{
	struct stat st;

	while (cb_mono_ms() < deadline && !run_stop_signal) {
		if (stat(path, &st) == 0)
			return CB_OK;
		usleep(20 * 1000);
	}
	return CB_EUNAVAIL;
}

static void
run_reap(struct run_ctx *r)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < SVC_COUNT; i++) {
			struct service *s = &r->svc[i];
			if (s->pid != pid)
				continue;
			int64_t now = cb_mono_ms();
			if (now - s->started_ms > RUN_STABLE_MS)
				s->backoff_ms = RUN_BACKOFF_MIN_MS;
			log_warn("%s exited (%s %d); restarting in %lld ms",
			    s->name, WIFSIGNALED(status) ? "signal" : "status",
			    WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status), (long long)s->backoff_ms);
			s->pid = 0;
			s->restart_at_ms = now + s->backoff_ms;
			s->backoff_ms = s->backoff_ms * 2 > RUN_BACKOFF_MAX_MS ?
			    RUN_BACKOFF_MAX_MS : s->backoff_ms * 2;
		}
	}
}

static void
run_supervise(struct run_ctx *r)
{
	while (!run_stop_signal) {
		run_reap(r);
		int64_t now = cb_mono_ms();
		for (int i = 0; i < SVC_COUNT; i++) {
			struct service *s = &r->svc[i];
			if (s->pid == 0 && s->restart_at_ms &&
			    now >= s->restart_at_ms) {
				if (i == SVC_SYNC)
					run_share_with_sync(r);
				(void)run_spawn(r, i);
			}
		}
		usleep(100 * 1000);
	}
	for (int i = 0; i < SVC_COUNT; i++)
		if (r->svc[i].pid > 0)
			kill(r->svc[i].pid, SIGTERM);
	for (int i = 0; i < SVC_COUNT; i++)
		if (r->svc[i].pid > 0)
			waitpid(r->svc[i].pid, NULL, 0);
}

static void
run_banner(const struct run_ctx *r, int rc, const char *pw)
{
	printf("\nclassbox is running.\n");
	printf("  Open:        https://localhost:%d/\n", r->https_port);
	printf("  Certificate: %s/tls/ca/ca.pem (the box's own CA: trust it "
	    "in your browser or use curl --cacert)\n", r->web_dir);
	if (rc == CB_OK)
		printf("  First login: user \"admin\", initial password \"%s\"\n"
		    "               (shown once; it must be changed at first "
		    "login)\n", pw);
	else
		printf("  First login: the admin already exists; forgot the "
		    "password? %s user --sock %s reset-password admin\n",
		    r->exe, r->sock);
	if (r->web_uid == (uid_t)-1)
		printf("  Note: not started as root, so web and auth run as "
		    "one user (no privilege separation).\n");
	printf("  Stop:        Ctrl-C\n\n");
	fflush(stdout);
}

int
cmd_run(int argc, char **argv)
{
	struct run_ctx r;
	char pw[AUTH_INITIAL_PW_MAX] = "";
	int rc;

	memset(&r, 0, sizeof(r));
	cb_log_init("run");
	if (run_parse(argc, argv, &r) != CB_OK)
		return 2;
	if (run_layout(&r) != CB_OK)
		return 1;
	rc = run_bootstrap(&r, pw, sizeof(pw));
	if (rc != CB_OK && rc != CB_EEXIST) {
		fprintf(stderr, "classbox run: cannot create the first admin "
		    "in %s\n", r.auth_dir);
		return 1;
	}
	if (r.demo && rc == CB_OK) {
		/* First start: the demo school, before auth and web open
		 * their environments. */
		struct demo_paths dp = { r.data, r.auth_dir, r.store_dir,
		    r.keys_dir, r.auth_uid, r.web_uid, r.demo == 2 };
		if (demo_seed(&dp) != CB_OK) {
			fprintf(stderr, "classbox run: the demo school could "
			    "not be seeded\n");
			return 1;
		}
	} else if (r.demo)
		printf("classbox run: %s is not a new data directory; the demo "
		    "school is seeded only on first start\n", r.data);
	signal(SIGINT, run_on_signal);
	signal(SIGTERM, run_on_signal);
	run_prepare(&r);
	(void)unlink(r.sock);
	if (run_spawn(&r, SVC_AUTH) != CB_OK ||
	    run_wait_file(r.sock, cb_mono_ms() + RUN_READY_TIMEOUT_MS) != CB_OK)
		log_err("auth did not start; see the messages above");
	/* Ready: listening, and the certificate made (its CA is what the
	 * banner points at). */
	char cert[PATH_MAX + 16];
	snprintf(cert, sizeof(cert), "%s/tls/cert.pem", r.web_dir);
	if (run_spawn(&r, SVC_WEB) != CB_OK ||
	    run_wait_tcp(r.bind, r.https_port,
	    cb_mono_ms() + RUN_READY_TIMEOUT_MS) != CB_OK ||
	    run_wait_file(cert, cb_mono_ms() + RUN_READY_TIMEOUT_MS) != CB_OK)
		log_err("web did not start; see the messages above");
	else
		run_banner(&r, rc, pw);
	/* After web made (or opened) the store and its key. Not enrolled:
	 * sync waits for an enrollment (uploaded in the admin UI). */
	if (!r.no_sync)
		run_share_with_sync(&r);
	if (r.no_sync)
		printf("  Cloud sync:  not started (--no-sync)\n");
	else if (run_spawn(&r, SVC_SYNC) != CB_OK)
		log_err("sync did not start");
	else if (r.enrolled)
		printf("  Cloud sync:  started (classbox status --data %s)\n",
		    r.data);
	else
		printf("  Cloud sync:  not enrolled (upload the enrollment "
		    "file in the admin UI, or classbox enroll FILE)\n");
	fflush(stdout);
	cb_wipe(pw, sizeof(pw));
	run_supervise(&r);
	return 0;
}
