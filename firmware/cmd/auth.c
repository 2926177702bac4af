/*
 * auth.c: `classbox auth`, the only process that reads password hashes.
 * Parses its options, drops to its own user and hands over to authd.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>

#include "audit/audit.h"
#include "auth/authd.h"
#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/proc.h"

/* dir's parent + "/audit/login" ("." for a bare name). */
static int
auth_audit_default(const char *dir, char *out, size_t size)
{
	size_t len = strlen(dir);
	const char *slash;
	int n;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	for (slash = dir + len; slash > dir && slash[-1] != '/'; slash--)
		;
	if (slash == dir)
		n = snprintf(out, size, "audit/%s", AUDIT_LOG_LOGIN);
	else
		n = snprintf(out, size, "%.*s/audit/%s",
		    (int)(slash - dir - 1 > 0 ? slash - dir - 1 : 1), dir,
		    AUDIT_LOG_LOGIN);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
cmd_auth(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "sock", required_argument, NULL, 's' },
		{ "uid", required_argument, NULL, 'u' },
		{ "web-uid", required_argument, NULL, 'w' },
		{ "sync-uid", required_argument, NULL, 'y' },
		{ "clock-hint", required_argument, NULL, 'H' },
		{ "workers", required_argument, NULL, 'n' },
		{ "audit", required_argument, NULL, 'l' },
		{ "no-audit", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct authd_config cfg = {
		.dir = CB_DEFAULT_DATA "/" CB_AUTH_SUBDIR,
		.sock_path = CB_DEFAULT_DATA "/" CB_AUTH_SOCK,
		.web_uid = (uid_t)-1,
		.sync_uid = (uid_t)-1,
		.workers = AUTHD_DEFAULT_WORKERS,
	};
	uid_t uid = (uid_t)-1;
	char audit[PATH_MAX];
	int c, no_audit = 0;

	cb_log_init("auth");
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.dir = optarg; break;
		case 's': cfg.sock_path = optarg; break;
		case 'u': uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'w': cfg.web_uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'y': cfg.sync_uid = (uid_t)strtoul(optarg, NULL, 10);
			break;
		case 'H': cfg.clock_hint = optarg; break;
		case 'n': cfg.workers = atoi(optarg); break;
		case 'l': cfg.audit_dir = optarg; break;
		case 'L': no_audit = 1; break;
		default:
			fprintf(stderr, "usage: classbox auth [--dir DIR] "
			    "[--sock PATH] [--uid N] [--web-uid N] "
			    "[--sync-uid N] [--clock-hint FILE] "
			    "[--workers N] [--audit DIR | --no-audit]\n");
			return 2;
		}
	}
	/* The login log: --audit, else DIR/../audit/login next to --dir. */
	if (no_audit)
		cfg.audit_dir = NULL;
	else if (cfg.audit_dir == NULL) {
		if (auth_audit_default(cfg.dir, audit, sizeof(audit)) != 0) {
			fprintf(stderr, "classbox auth: --dir %s is too long\n",
			    cfg.dir);
			return 2;
		}
		cfg.audit_dir = audit;
	}
	signal(SIGPIPE, SIG_IGN);
	if (cb_drop_privileges(uid, (gid_t)uid) != CB_OK)
		return 1;
	return authd_main(&cfg) == CB_OK ? 0 : 1;
}
