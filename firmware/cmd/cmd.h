/*
 * cmd.h: the applets of the classbox multi-call binary.
 */
#ifndef CMD_H
#define CMD_H

int cmd_web(int argc, char **argv);
int cmd_auth(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_time(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_updated(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_mdns(int argc, char **argv);
int cmd_lan(int argc, char **argv);
int cmd_netcfg(int argc, char **argv);
int cmd_keys(int argc, char **argv);

/* demo.c: seed the demo school (`classbox run --demo`) into a fresh data
 * directory, before auth and web start. */
#include <sys/types.h>
struct demo_paths {
	const char *dp_data, *dp_auth_dir, *dp_store_dir, *dp_keys_dir;
	uid_t dp_auth_uid, dp_web_uid;	/* (uid_t)-1: stay as we are */
	int dp_small;			/* homeroom 1-1 only (UI tests) */
};
int demo_seed(const struct demo_paths *p);

/* web.c: the classroom store of the data directory data (DATA/store,
 * its key in DATA/keys), for web, sync and the console. */
struct store;
int cmd_store_open(const char *data, struct store **sp);

/* Default paths, relative to the data directory. */
#define CB_DEFAULT_DATA		"/data/classbox"
#define CB_AUTH_SUBDIR		"auth"		/* auth LMDB env, 0700 auth */
#define CB_WEB_SUBDIR		"web"		/* TLS key and cert, 0700 web */
#define CB_RUN_SUBDIR		"run"		/* sockets */
#define CB_STORE_SUBDIR		"store"		/* classroom LMDB env, 0700 web */
#define CB_KEYS_SUBDIR		"keys"		/* store's KEK (kek, 0600), 0700 web;
					 * the key hierarchy (classbox keys) */
#define CB_AUTH_SOCK		"run/auth.sock"
#define CB_AUDIT_SUBDIR		"audit"		/* the audit logs, 0755 root */
#define CB_AUDIT_LOGIN_SUBDIR	"audit/login"	/* login log, 0700 auth */
#define CB_AUDIT_OPS_SUBDIR	"audit/ops"	/* operation log, 0700 web */

#endif
