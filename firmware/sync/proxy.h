/*
 * proxy.h (sync): where the cloud link's HTTP CONNECT proxy comes from
 * (docs/lan.md, "The school's web proxy"). Three places, the first that
 * sets one wins, whole (the user and password always come with their
 * proxy, never from another place):
 *
 *   1. the admin's setting: PUT /api/v1/sync/proxy; web checks it and
 *      drops it as DATA/sync/drop/PROXY_DROP, sync checks it again and
 *      keeps it as DATA/sync/proxy.json (0600, sync's); clearing it
 *      (DELETE, dropped as "{}") removes that file;
 *   2. the box's config: `classbox sync --proxy URL [--proxy-auth FILE]`
 *      (CLASSBOX_PROXY, CLASSBOX_PROXY_AUTH in /etc/classbox.conf); FILE
 *      holds one line USER:PASSWORD, is readable by its owner only, and is
 *      read before sync drops its privileges: a password never goes on a
 *      command line (/proc/PID/cmdline is world-readable);
 *   3. the enrollment file's proxy, proxy_user, proxy_password.
 *
 * The parsers are pure and fuzzed (tests/fuzz/fuzz_proxy.c); a message
 * names the field in quotes first and never holds a secret.
 */
#ifndef SYNC_PROXY_H
#define SYNC_PROXY_H

#include <stddef.h>

#include "net/tlscli.h"

#define PROXY_URL_MAX		(TLSCLI_HOST_MAX + 16)	/* http://H:P/ */
#define PROXY_SECRET_MAX	255	/* a user or a password */
#define PROXY_SETTING_MAX	2048	/* the admin's setting, JSON */
#define PROXY_AUTH_FILE_MAX	(2 * PROXY_SECRET_MAX + 3) /* USER:PW\r\n */
#define PROXY_SETTING_FILE	"sync/proxy.json"	/* DATA/..., 0600 */
#define PROXY_DROP		"proxy.json"	/* in DATA/sync/drop */
#define PROXY_DROP_TMP		"proxy.tmp"	/* being written */

enum proxy_source {
	PROXY_NONE = 0,		/* direct */
	PROXY_ENROLLMENT,
	PROXY_CONFIG,
	PROXY_ADMIN,
};

struct proxy {
	int px_set;				/* 0: no proxy */
	char px_host[TLSCLI_HOST_MAX + 1];
	int px_port;
	char px_user[PROXY_SECRET_MAX + 1];	/* "": none */
	char px_password[PROXY_SECRET_MAX + 1];	/* "": none */
};

/* "http://HOST:PORT" (a trailing "/" allowed): HOST a DNS name or IPv4
 * address, PORT 1..65535. A user and password in the URL are refused
 * (they would sit in a command line or a log). Sets px_set, px_host,
 * px_port. */
int proxy_url_parse(const char *url, struct proxy *p, char *err,
    size_t errsize);

/* The admin's setting: {"proxy":URL,"proxy_user":U,"proxy_password":P}
 * (the user and password together or neither), or {} for "none set".
 * Unknown fields are refused. */
int proxy_setting_parse(const char *json, size_t len, struct proxy *p,
    char *err, size_t errsize);

/* The same as canonical JSON (*out malloc'd; the caller wipes and frees
 * it: it holds the password). */
int proxy_setting_json(const struct proxy *p, char **out, size_t *len);

/* The --proxy-auth file's content: one line USER:PASSWORD (split at the
 * first colon; a line end allowed). Sets px_user, px_password. */
int proxy_auth_parse(const char *buf, size_t len, struct proxy *p,
    char *err, size_t errsize);

/* Read and parse the --proxy-auth file: a regular file of at most
 * PROXY_AUTH_FILE_MAX bytes that neither its group nor others may read
 * or write (chmod 600). */
int proxy_auth_load(const char *path, struct proxy *p, char *err,
    size_t errsize);

/* "admin", "config", "enrollment" or "" (none). */
const char *proxy_source_name(enum proxy_source s);

/* Wipe the secrets. */
void proxy_wipe(struct proxy *p);

#endif
