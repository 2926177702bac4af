/*
 * auth.c: `classbox auth`, the only process that reads password hashes.
 * Parses its options, drops to its own user and hands over to authd.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "auth/authd.h"
#include "cmd/cmd.h"
#include "core/cb.h"
#include "core/proc.h"

int
cmd_auth(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "sock", required_argument, NULL, 's' },
		{ "uid", required_argument, NULL, 'u' },
		{ "web-uid", required_argument, NULL, 'w' },
		{ "workers", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct authd_config cfg = {
		.dir = CB_DEFAULT_DATA "/" CB_AUTH_SUBDIR,
		.sock_path = CB_DEFAULT_DATA "/" CB_AUTH_SOCK,
		.web_uid = (uid_t)-1,
		.workers = AUTHD_DEFAULT_WORKERS,
	};
	uid_t uid = (uid_t)-1;
	int c;

	cb_log_init("auth");
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.dir = optarg; break;
		case 's': cfg.sock_path = optarg; break;
		case 'u': uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'w': cfg.web_uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'n': cfg.workers = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: classbox auth [--dir DIR] "
			    "[--sock PATH] [--uid N] [--web-uid N] "
			    "[--workers N]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (cb_drop_privileges(uid, (gid_t)uid) != CB_OK)
		return 1;
	return authd_main(&cfg) == CB_OK ? 0 : 1;
}
