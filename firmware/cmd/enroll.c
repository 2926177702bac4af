/*
 * enroll.c: `classbox enroll FILE`: check the enrollment file the platform
 * issued for this school and keep it where only the sync process can read
 * it (DATA/sync/enroll.json, 0600, owned by the sync user when run as
 * root). Prints the cloud's host and the database names, never a secret.
 * When the file carries admin_password and the first admin has not used
 * its initial password yet, auth makes it that admin's initial password
 * (AUTH_ADMIN_SEED; this tool runs as root, a console peer).
 * A server certificate and key in the file (server_cert_pem,
 * server_key_pem) are installed first, as web's upload, by a child
 * running as web's user; enroll.json keeps neither.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/lan.h"
#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "base/proc.h"
#include "net/cert.h"
#include "sync/drop.h"
#include "sync/enroll.h"
#include "sync/status.h"

#define ENROLL_DEFAULT_SYNC_UID	60003

/* Write the enrollment's server certificate and key as web's upload
 * (net/cert.h), as the user that owns DATA/web: a root process never
 * writes into a directory that web controls. Returns the child's verdict;
 * the reason goes to stderr, never the key. */
static int
enroll_server_cert(const char *data, const struct enroll *e)
{
	char webdir[PATH_MAX], tlsdir[PATH_MAX];
	const char *why = NULL;
	struct stat st;
	int status, rc;
	pid_t pid;

	if (cb_path_join(webdir, sizeof(webdir), data, CB_WEB_SUBDIR) ||
	    cb_path_join(tlsdir, sizeof(tlsdir), webdir, "tls"))
		return CB_ETOOBIG;
	if (stat(webdir, &st) != 0) {
		fprintf(stderr, "enroll: %s is not there: start the box once "
		    "(classbox run) before enrolling with a server "
		    "certificate\n", webdir);
		return CB_ENOTFOUND;
	}
	if (geteuid() != 0 || st.st_uid == 0) {
		rc = cb_make_dir(tlsdir, 0700, (uid_t)-1, (gid_t)-1);
		if (rc == CB_OK)
			rc = cert_upload(tlsdir, e->en_server_cert_pem,
			    e->en_server_key_pem, cb_now_ms() / 1000, &why);
		goto said;
	}
	if ((pid = fork()) < 0)
		return CB_EIO;
	if (pid == 0) {
		rc = cb_drop_privileges(st.st_uid, st.st_gid);
		if (rc == CB_OK)
			rc = cb_make_dir(tlsdir, 0700, (uid_t)-1, (gid_t)-1);
		if (rc == CB_OK)
			rc = cert_upload(tlsdir, e->en_server_cert_pem,
			    e->en_server_key_pem, cb_now_ms() / 1000, &why);
		if (rc != CB_OK)
			fprintf(stderr, "enroll: the server certificate was "
			    "not installed in %s: %s\n", tlsdir, why ? why :
			    cb_strerror(rc));
		_exit(rc == CB_OK ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return CB_EIO;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? CB_OK : CB_EIO;
said:
	if (rc != CB_OK)
		fprintf(stderr, "enroll: the server certificate was not "
		    "installed in %s: %s\n", tlsdir, why ? why :
		    cb_strerror(rc));
	return rc;
}

static int
enroll_read(const char *path, char **buf, size_t *len)
{
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "enroll: cannot read %s: %s\n", path,
		    strerror(errno));
		return CB_EIO;
	}
	return enroll_read_fd(fd, buf, len);
}

int
cmd_enroll(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "sync-uid", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = CB_DEFAULT_DATA;
	char dir[PATH_MAX], sock[PATH_MAX], err[256], seed[160];
	uid_t uid = geteuid() == 0 ? ENROLL_DEFAULT_SYNC_UID : (uid_t)-1;
	struct enroll e;
	size_t len;
	char *buf;
	int c, rc;

	cb_log_init("enroll");
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'd')
			data = optarg;
		else if (c == 'u' && geteuid() == 0)
			uid = (uid_t)strtoul(optarg, NULL, 10);
		else {
			fprintf(stderr, "usage: classbox enroll FILE "
			    "[--data DIR] [--sync-uid N]\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: classbox enroll FILE [--data DIR]\n");
		return 2;
	}
	if (enroll_read(argv[optind], &buf, &len) != CB_OK)
		return 1;
	/* The JSON, the PEM contents and the key pair, checked the way
	 * sync will. */
	if ((rc = enroll_check(buf, len, &e, err, sizeof(err))) != CB_OK) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	/* web's part first: when it cannot be installed, nothing is. */
	if (e.en_server_cert_pem != NULL &&
	    (rc = enroll_server_cert(data, &e)) != CB_OK) {
		fprintf(stderr, "enroll: nothing was changed\n");
		enroll_free(&e);
		goto out;
	}
	rc = CB_EIO;
	if (cb_path_join(dir, sizeof(dir), data, SYNC_SUBDIR) != CB_OK ||
	    cb_path_join(sock, sizeof(sock), data, CB_AUTH_SOCK) != CB_OK ||
	    cb_make_dir(dir, 0711, uid, uid) != CB_OK ||
	    enroll_install(data, buf, len, uid) != CB_OK) {
		fprintf(stderr, "enroll: cannot store the enrollment in %s\n",
		    dir);
		enroll_free(&e);
		goto out;
	}
	printf("enrolled: cloud %s port %d, school database %s, audit "
	    "database %s%s\n", e.en_url.hu_host, e.en_url.hu_port,
	    e.en_school_db, e.en_audit_db, e.en_has_proxy ?
	    ", through a proxy" : "");
	if (e.en_server_cert_pem != NULL)
		printf("server certificate: installed as web's upload (the "
		    "latest upload wins); web serves it within %d s\n",
		    LAN_CHECK_MS / 1000);
	if (e.en_admin_password != NULL) {
		(void)enroll_seed_admin(sock, e.en_admin_password, seed,
		    sizeof(seed));
		printf("admin: %s\n", seed);
	}
	enroll_free(&e);
	rc = CB_OK;
out:
	cb_wipe(buf, len);
	free(buf);
	return rc == CB_OK ? 0 : 1;
}
