/*
 * tls.h: server-side TLS for the web process. The only server module that
 * sees mbedTLS; the HTTP server speaks in terms of a connection that does a
 * handshake and reads and writes bytes without blocking.
 *
 * Policy (not configurable, on purpose): TLS 1.3 and 1.2 only; AEAD
 * ciphersuites only (TLS 1.3: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305;
 * TLS 1.2: ECDHE-ECDSA with AES-GCM or ChaCha20-Poly1305); key exchange
 * groups secp256r1 then x25519 (P-256 is the faster one in mbedTLS);
 * session tickets under an AES-256-GCM key that mbedTLS replaces daily.
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>

#define TLS_TICKET_LIFETIME_S	86400	/* ticket key lifetime: one day */
#define TLS_CERT_DAYS		825	/* self-signed validity (CA/B limit) */
#define TLS_PEM_MAX		(8 * 1024) /* a key or certificate file */

/* What a call that returned CB_EAGAIN waits for. */
enum tls_want { TLS_WANT_READ = 1, TLS_WANT_WRITE = 2 };

struct tls_server;
struct tls_conn;

/*
 * Initialise PSA crypto, seed a CTR-DRBG from the kernel (call in the
 * serving process, after fork), then load cert_path and key_path (PEM). If
 * the key file is absent, generate an ECDSA P-256 key (written 0600); if
 * the certificate is absent, generate a self-signed one for CN=classbox,
 * SAN localhost, 127.0.0.1 and this host's name (written 0644). Both are
 * written to a temporary file, fsynced and renamed into place.
 */
int tls_server_new(struct tls_server **out, const char *cert_path,
    const char *key_path);
void tls_server_free(struct tls_server *ts);

/* Serve cert_path and key_path (PEM; ECDSA key) from the next handshake
 * on; connections already set up keep theirs. Nothing is generated. On
 * failure the certificate in use stays. */
int tls_server_reload(struct tls_server *ts, const char *cert_path,
    const char *key_path);

/* A server-side connection on a connected non-blocking socket. */
int tls_conn_new(struct tls_server *ts, int fd, struct tls_conn **out);
void tls_conn_free(struct tls_conn *tc);

/*
 * Each returns 0 on progress, CB_EAGAIN with *want set when the socket must
 * become readable or writable first, CB_EIO when the peer closed the
 * connection (tls_read: a clean close_notify or EOF), CB_EPROTO when the
 * peer broke the protocol (garbage, unsupported version or ciphersuite).
 */
int tls_handshake(struct tls_conn *tc, int *want);
int tls_read(struct tls_conn *tc, void *buf, size_t len, size_t *got,
    int *want);
/* Writes a prefix of buf (at least one byte) and sets *put. */
int tls_write(struct tls_conn *tc, const void *buf, size_t len, size_t *put,
    int *want);
/* Send close_notify, best effort (never blocks). */
void tls_close_notify(struct tls_conn *tc);
/* 1 when decrypted or buffered input waits inside TLS: the socket will
 * not become readable for it, so the caller must read again itself. */
int tls_pending(const struct tls_conn *tc);

/* For logs: "TLSv1.3" and the IANA ciphersuite name. */
const char *tls_version(const struct tls_conn *tc);
const char *tls_ciphersuite(const struct tls_conn *tc);

#endif
