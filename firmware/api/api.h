/*
 * api.h: the web process's request handler: the JSON API under /api/v1,
 * the embedded web UI, and the session cache in front of the auth process.
 */
#ifndef API_H
#define API_H

#include "auth/authproto.h"
#include "net/http.h"

struct authc;
struct api;

#define API_SESSION_CACHE_MAX	8192	/* sessions cached by web */
#define API_COOKIE_NAME		"cb_session"

struct store;

/* The image's SBOM (tools/sbom; GET /api/v1/admin/sbom) and its limit. */
#define API_SBOM_PATH		"/usr/share/classbox/sbom.spdx.json"
#define API_SBOM_MAX_BYTES	(4 * 1024 * 1024)

struct api_config {
	const char *public_origin;	/* e.g. "https://localhost:8443": the
					 * only Origin accepted on writes */
	int https_port;
	const char *sbom_path;		/* NULL: API_SBOM_PATH */
};

int api_new(struct api **out, struct authc *ac, const struct api_config *cfg);
void api_free(struct api *a);
/* The classroom store the API serves (not owned; without one, classroom
 * endpoints answer 503 store_unavailable). */
void api_set_store(struct api *a, struct store *s);
/* The operation log web appends to (not owned; NULL: none), with group
 * commit on loop l: answers to logged requests wait (at most one loop
 * iteration) for one durable commit shared by every request answered in
 * that iteration. The admin view of the login log asks auth. */
struct audit_log;
struct loop;
int api_set_audit(struct api *a, struct audit_log *ops, struct loop *l);
/* Where termination writes its marker and destroys keys (terminate.c):
 * DATA/keys, DATA/audit/ops; data_dir (DATA) is what the disk check
 * measures (status.c). */
int api_set_dirs(struct api *a, const char *keys_dir, const char *ops_dir,
    const char *data_dir);
/* 1 when DATA/keys/terminated exists: the school was terminated. The api
 * then refuses everything (login included); the store and the operation
 * log must not be opened (their keys are gone). Finishes a half-done
 * erase. Call after api_set_dirs. */
int api_terminated_at_start(struct api *a);
/* The http_handler_fn for http_server_config.handler (arg = struct api *). */
int api_handle(void *arg, struct http_exchange *ex);

/* Write the roster record "user:<uid>" (role, state, name, children,
 * admin flag) from auth's account u into the classroom store: web after
 * each change an admin makes, `classbox user` after one at the console. */
int api_roster_put(struct store *s, const struct auth_user *u);
/* authc_revoke_fn: drops cached sessions (arg = struct api *). */
void api_on_revoke(void *arg, const struct auth_revoke *rv);

#endif
