/*
 * drop.h: handing an enrollment file uploaded in the admin UI from web to
 * sync, so that only sync ever keeps it (docs/sync.md, "Enrollment").
 *
 *   DATA/sync/         0711 sync        web may look up names, not list
 *   DATA/sync/drop/    0730 sync:web    web creates, cannot list or read
 *                                       what it did not just write
 *   DATA/sync/enroll.json  0600 sync    only sync reads it
 *
 * web checks the file (enroll_check, for a clear error naming the field),
 * writes it as drop/ENROLL_DROP_TMP (0640: sync reads it through the web
 * group, its primary group) and renames it to ENROLL_DROP_NEW or, with the
 * admin's explicit confirmation, ENROLL_DROP_REPLACE: a write cut short
 * leaves only the temporary name, which sync never takes. sync takes the
 * drop (enroll_drop_take: a regular file with one link, not a symlink, at
 * most ENROLL_MAX_BYTES, then removed), checks it again, installs it
 * (enroll_install, atomic) and reports in its status file.
 */
#ifndef SYNC_DROP_H
#define SYNC_DROP_H

#include <stddef.h>
#include <sys/types.h>

#include "sync/enroll.h"

#define ENROLL_DROP_NEW		"enroll.json"	/* in DATA/sync/drop */
#define ENROLL_DROP_REPLACE	"replace.json"	/* replaces an enrollment */
#define ENROLL_DROP_TMP		"upload.tmp"	/* being written */
#define ENROLL_DROP_MODE	0640		/* web writes, sync reads */
#define ENROLL_DROP_DIR_MODE	0730

/* enroll_parse, then the certificates and the key pair as the TLS client
 * will load them. The message names the field, never a secret. */
int enroll_check(const char *buf, size_t len, struct enroll *e, char *err,
    size_t errsize);

/* The field an enroll_check message names ("" when it names none): the
 * first quoted word of the message, or the PEM field a TLS error is
 * about. */
void enroll_err_field(const char *err, char *field, size_t size);

/* web: write buf into drop_dir under ENROLL_DROP_NEW (replace 0) or
 * ENROLL_DROP_REPLACE (replace 1), through the temporary name. */
int enroll_drop_put(const char *drop_dir, const char *buf, size_t len,
    int replace);

/* Read at most ENROLL_MAX_BYTES + 1 bytes of fd (one more than a file
 * may hold, so that the parser sees the excess) into *buf (malloc'd) and
 * *len; fd is closed. CB_ENOMEM. */
int enroll_read_fd(int fd, char **buf, size_t *len);

/* sync: take a waiting drop (the replacing one first): *buf (malloc'd,
 * the caller wipes and frees), *len, *replace. CB_ENOTFOUND when none;
 * CB_EINVAL (with why) for something that is not a plain file of the
 * right size, which is removed too. */
int enroll_drop_take(const char *drop_dir, char **buf, size_t *len,
    int *replace, char *why, size_t whysize);

/* buf without server_cert_pem and server_key_pem: *out (malloc'd, the
 * caller wipes and frees, *olen) or NULL when buf has neither and serves
 * as it is. The server certificate is web's (installed by web or by the
 * console as web's upload); sync never keeps web's key. */
int enroll_without_server(const char *buf, size_t len, char **out,
    size_t *olen);

/* Keep buf, without the server certificate and key, as
 * DATA/sync/enroll.json (0600, atomic), owned by uid when run as root and
 * uid != (uid_t)-1. */
int enroll_install(const char *data, const char *buf, size_t len, uid_t uid);

/* The admin's proxy setting (sync/proxy.h) takes the same way: web writes
 * drop/PROXY_DROP_TMP and renames it to PROXY_DROP (the last one wins);
 * sync takes it (a plain file with one link of at most size bytes into
 * buf, then removed; CB_ENOTFOUND when none, CB_EINVAL with why). */
int proxy_drop_put(const char *drop_dir, const char *buf, size_t len);
int proxy_drop_take(const char *drop_dir, char *buf, size_t size,
    size_t *len, char *why, size_t whysize);

/* (seed.c) Ask auth (socket sock) to make the enrollment's admin_password the
 * first admin's initial password. The outcome in words goes to msg
 * (never the password); the auth status is returned. */
int enroll_seed_admin(const char *sock, const char *password, char *msg,
    size_t msgsize);

#endif
