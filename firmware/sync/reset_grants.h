/*
 * reset_grants.h: the sync process hands the platform's password reset
 * grants to auth (docs/sync.md "Password reset grants"). repl.c calls the
 * hook with each document revision it pulled from the cloud, before the
 * store has it: only what came from the cloud over the enrolled TLS
 * session is delivered, never what is in the store (web writes there).
 * Push never sends a grant up (repl.c), so every grant in the cloud is
 * the platform's.
 */
#ifndef SYNC_RESET_GRANTS_H
#define SYNC_RESET_GRANTS_H

#include <limits.h>
#include <stddef.h>

struct reset_grants {
	char rg_sock[PATH_MAX];		/* auth's socket */
	unsigned long rg_delivered;	/* auth took them */
	unsigned long rg_refused;	/* malformed, expired, auth said no */
};

/* Deliver to auth's socket at sock_path. */
int reset_grants_init(struct reset_grants *g, const char *sock_path);

/*
 * The hook (struct sync_ctx's sc_on_pulled): a document that is not a
 * grant, or a grant that is refused (logged with why, never its hash), is
 * 0: replication goes on. Only auth being unreachable fails the batch
 * (it is pulled again next cycle; auth refuses a grant id it has seen).
 */
int reset_grants_on_pulled(void *arg, const char *json, size_t len);

#endif
