/*
 * authd.h: the auth process. It alone reads password hashes: it serves
 * logins, sessions and account management to the web process and to the
 * console (`classbox user`) over a unix socket (auth/authproto.h).
 */
#ifndef AUTHD_H
#define AUTHD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AUTHD_DEFAULT_WORKERS	2	/* Argon2 threads: 19 MiB each */
#define AUTHD_WORKERS_MAX	8
#define AUTH_HASH_QUEUE_MAX	64	/* hash jobs queued or running; past
					 * this a login gets CB_EBUSY */
#define AUTHD_CLIENTS_MAX	64	/* connections (web + consoles) */
#define AUTHD_CLIENT_INBUF	4096	/* > largest request + header */
#define AUTHD_CLIENT_OUTBUF_MAX	(256 * 1024) /* replies not yet read */
#define AUTHD_LISTEN_BACKLOG	16
#define AUTHD_PURGE_INTERVAL_MS	60000	/* expired sessions */
#define AUTHD_PURGE_MAX		1000	/* sessions purged per tick */

struct authd_config {
	const char *dir;	/* LMDB environment (directory, 0700) */
	const char *audit_dir;	/* the login log (DATA/audit/login, 0700);
				 * NULL: none kept (tests) */
	const char *sock_path;	/* unix socket; a stale one is replaced */
	/* The web process's uid: it may do everything but act as the
	 * console. (uid_t)-1 = development, web runs as our own uid: then
	 * our uid is both web and console (no privilege separation). */
	uid_t web_uid;
	/* The sync process's uid: with the console, the only peer whose
	 * AUTH_RESET_GRANT and AUTH_ADMIN_SEED are accepted; it may send
	 * nothing else. (uid_t)-1: no separate sync user (development). */
	uid_t sync_uid;
	/* sync's HTTPS-Date hint file (DATA/sync/https-date, clock.h): the
	 * login log's stamps say "https-date" when it vouches for the
	 * clock, as the operation log's do. NULL: none. */
	const char *clock_hint;
	int workers;		/* Argon2 workers, 1..AUTHD_WORKERS_MAX */
};

/* Run until SIGTERM or SIGINT; 0 on a clean stop, else a CB_E* status
 * with the reason logged. */
int authd_main(const struct authd_config *cfg);

/*
 * Validate one request from a client: type is a request type, len is
 * exactly its payload size, and every string field has its NUL inside the
 * field. 0 or CB_EPROTO (the caller drops the connection). Pure: the fuzz
 * target calls it with arbitrary bytes.
 */
int authd_check_msg(uint32_t type, const void *payload, size_t len);

/*
 * Frame the start of buf[0..len): 0 and *used = 0 when more bytes are
 * needed; 0 and *used = header + payload bytes with *hdr filled when a
 * whole message is there and passes the header checks; CB_EPROTO when the
 * header is invalid (unknown or non-request type, wrong length).
 */
struct auth_hdr;
int authd_frame(const void *buf, size_t len, struct auth_hdr *hdr,
    size_t *used);

#endif
