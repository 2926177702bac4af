/*
 * enroll.h: the enrollment file the platform issues for a school
 * (SYNC_CONTRACT.md, docs/sync.md): the cloud's URL, the school's database
 * names, the CA to pin, the client certificate and key, the replication
 * credentials, optionally the first admin's password, an HTTP proxy and
 * the box's own server certificate and key for the campus LAN.
 *
 * enroll_parse is pure (no I/O) and fuzzed. It refuses unknown fields, a
 * non-https URL, database names CouchDB would refuse, PEM blocks that do
 * not look like PEM; the TLS client checks the PEM contents themselves.
 * Messages never contain a secret.
 */
#ifndef SYNC_ENROLL_H
#define SYNC_ENROLL_H

#include <stddef.h>

#include "net/httpcli.h"

#define ENROLL_MAX_BYTES	(64 * 1024)	/* the whole file */
#define ENROLL_PEM_MAX		(16 * 1024)	/* one PEM field */
#define ENROLL_DB_MAX		128		/* a database name */
#define ENROLL_SECRET_MAX	255		/* a password */
#define ENROLL_FILE		"enroll.json"	/* in DATA/sync/ */
#define ENROLL_VERSION		1

struct enroll {
	char en_cloud[TLSCLI_HOST_MAX + HTTPCLI_PATH_MAX + 16];
	struct httpcli_url en_url;
	char en_school_db[ENROLL_DB_MAX + 1];
	char en_audit_db[ENROLL_DB_MAX + 1];
	char *en_ca_pem, *en_cert_pem, *en_key_pem;	/* malloc'd */
	char *en_username, *en_password;		/* NULL: absent */
	char *en_admin_password;
	int en_has_proxy;
	char en_proxy_host[TLSCLI_HOST_MAX + 1];
	int en_proxy_port;
	char *en_proxy_user, *en_proxy_password;
	/* The box's server certificate chain and key for the campus LAN
	 * (both or neither, NULL: absent); web installs them, sync keeps
	 * neither (enroll_install). */
	char *en_server_cert_pem, *en_server_key_pem;
};

/* Parse and check; on failure a message for a person goes to err. */
int enroll_parse(const char *json, size_t len, struct enroll *e, char *err,
    size_t errsize);
/* Wipe the secrets and free. */
void enroll_free(struct enroll *e);
/* Read DATA/sync/enroll.json (or any path) and parse it. */
int enroll_load(const char *path, struct enroll *e, char *err,
    size_t errsize);
/* 1 when name is a database name CouchDB accepts (and needs no escape). */
int enroll_db_valid(const char *name);

#endif
