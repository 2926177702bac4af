/*
 * tlscli.h: the TLS client of the sync process (the cloud link). The only
 * client module that sees mbedTLS; httpcli.c speaks in terms of a
 * connection that reads and writes bytes with timeouts.
 *
 * Policy (not configurable, on purpose): TLS 1.3 preferred, 1.2 allowed,
 * AEAD ciphersuites only; the server certificate must chain to the pinned
 * CA of the enrollment file AND match the host name of the cloud URL (DNS
 * or IP subjectAltName); the client certificate is always sent. Sockets
 * are blocking with poll(2) deadlines on connect, read and write, so a
 * stalled link costs at most a timeout, never a hang.
 *
 * Errors come back as a CB_E* status plus a one-line reason for a person
 * (struct tlscli_err): never a secret, never a byte of the peer's data.
 */
#ifndef TLSCLI_H
#define TLSCLI_H

#include <stddef.h>
#include <stdint.h>

#define TLSCLI_CONNECT_TIMEOUT_MS	10000	/* TCP connect + proxy + handshake */
#define TLSCLI_IO_TIMEOUT_MS		30000	/* one read or write */
#define TLSCLI_HOST_MAX			253	/* a DNS name */
#define TLSCLI_PROXY_REPLY_MAX		4096	/* the proxy's CONNECT answer */
#define TLSCLI_ERR_MAX			200
#define TLSCLI_PROXY_FROM_MAX		64	/* tc_proxy_from */

/* Why a connection failed, so that the status can say it in words. */
enum tlscli_why {
	TLSCLI_OK = 0,
	TLSCLI_RESOLVE,		/* host name does not resolve */
	TLSCLI_REFUSED,		/* connection refused */
	TLSCLI_TIMEOUT,		/* no answer in time */
	TLSCLI_CUT,		/* closed or reset by the peer or the link */
	TLSCLI_PROXY,		/* the proxy refused the tunnel */
	TLSCLI_PROXY_AUTH,	/* the proxy refused our credentials (407) */
	TLSCLI_UNTRUSTED,	/* server certificate not signed by the CA */
	TLSCLI_NAME,		/* server certificate is for another host */
	TLSCLI_EXPIRED,		/* server certificate expired */
	TLSCLI_NOTYET,		/* server certificate not valid yet */
	TLSCLI_CLIENT_CERT,	/* the server rejected our certificate */
	TLSCLI_HANDSHAKE,	/* any other TLS failure */
	TLSCLI_CONFIG,		/* our own certificates or keys are bad */
};

struct tlscli_err {
	enum tlscli_why te_why;
	char te_msg[TLSCLI_ERR_MAX];
};

struct tlscli_config {
	const char *tc_ca_pem;		/* NUL-terminated PEM */
	const char *tc_cert_pem;
	const char *tc_key_pem;
	const char *tc_proxy_host;	/* NULL: direct */
	int tc_proxy_port;
	const char *tc_proxy_user;	/* NULL: no Proxy-Authorization */
	const char *tc_proxy_password;
	/* Where the proxy was set, for a person fixing a refusal: e.g. "in
	 * the admin UI" (copied; NULL: the enrollment file, whose field
	 * names the messages use). */
	const char *tc_proxy_from;
	int tc_connect_timeout_ms;	/* 0: TLSCLI_CONNECT_TIMEOUT_MS */
	int tc_io_timeout_ms;		/* 0: TLSCLI_IO_TIMEOUT_MS */
};

struct tlscli;
struct tlscli_conn;

/* Initialise PSA, seed a CTR-DRBG from the kernel (call in the process
 * that uses it, after fork), parse the CA, certificate and key. The
 * proxy strings are copied. CB_EINVAL with err set when a PEM is bad. */
int tlscli_new(struct tlscli **out, const struct tlscli_config *cfg,
    struct tlscli_err *err);
void tlscli_free(struct tlscli *c);

/* Connect (through the proxy if any) and complete the handshake with host
 * (checked against the certificate) on port. */
int tlscli_connect(struct tlscli *c, const char *host, int port,
    struct tlscli_conn **out, struct tlscli_err *err);
/* Read at least one byte (*got > 0) or fail: CB_EIO when the peer closed
 * (*got = 0, clean close_notify or EOF), CB_EAGAIN on timeout. */
int tlscli_read(struct tlscli_conn *tc, void *buf, size_t len, size_t *got,
    struct tlscli_err *err);
/* Write all of buf or fail. */
int tlscli_write(struct tlscli_conn *tc, const void *buf, size_t len,
    struct tlscli_err *err);
/* Send close_notify (best effort) and free. */
void tlscli_close(struct tlscli_conn *tc);

/* Judge certificate validity periods at max(the kernel's clock,
 * floor_ms): a kernel clock behind the persisted time floor is known to
 * be wrong (a dead RTC battery), and checking a certificate against it
 * would refuse a good one or pass an expired one. 0: the kernel's clock
 * only (the default). */
void tlscli_set_time_floor(struct tlscli *c, int64_t floor_ms);

/* "TLSv1.3" and the ciphersuite name, for logs. */
const char *tlscli_version(const struct tlscli_conn *tc);
const char *tlscli_ciphersuite(const struct tlscli_conn *tc);

#endif
