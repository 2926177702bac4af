/*
 * authclient.h: the web process's side of the auth socket. Asynchronous:
 * a call sends one request and returns; the reply comes back through the
 * callback from the event loop. If auth goes away every pending callback
 * is called with reply == NULL (answer 503) and the client reconnects.
 */
#ifndef AUTHCLIENT_H
#define AUTHCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "auth/authproto.h"

#define AUTHC_MAX_PENDING	4096	/* requests awaiting a reply */
#define AUTHC_RECONNECT_MS	500

struct loop;
struct authc;

/* reply is the payload of the reply (type checked against what the
 * request expects, length checked); NULL when auth is unavailable. */
typedef void authc_reply_fn(void *arg, uint32_t type, const void *reply);
typedef void authc_revoke_fn(void *arg, const struct auth_revoke *rv);

int authc_new(struct authc **out, struct loop *l, const char *sock_path,
    authc_revoke_fn *on_revoke, void *revoke_arg);
void authc_free(struct authc *c);
/* The revoke callback's argument, when it is made after the client. */
void authc_set_revoke_arg(struct authc *c, void *revoke_arg);

/* Send a request; CB_EBUSY past AUTHC_MAX_PENDING, CB_EUNAVAIL when not
 * connected (the callback is then not called). type is a request type of
 * authproto.h and len must be its payload size. */
int authc_call(struct authc *c, uint32_t type, const void *payload,
    size_t len, authc_reply_fn *fn, void *arg);

/* Fire-and-forget (AUTH_TOUCH). */
int authc_send(struct authc *c, uint32_t type, const void *payload,
    size_t len);

/* Blocking variant for the console tools: connect, send, wait for the
 * reply into reply_buf (reply_size bytes, type checked). */
int authc_call_sync(const char *sock_path, uint32_t type, const void *payload,
    size_t len, uint32_t reply_type, void *reply_buf, size_t reply_size);

#endif
