/*
 * http.h: the HTTPS server of the web process. It owns listening sockets,
 * TLS, HTTP/1.1 parsing (llhttp), keep-alive and every limit below. It
 * hands each complete request to one handler as an exchange; the handler
 * answers it at once, or defers and answers later (after an auth round
 * trip). An exchange is answered exactly once, with http_reply.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

struct loop;

/* Limits: past any of them the request gets a clear error or the
 * connection is closed, and everyone else keeps being served. */
#define HTTP_MAX_HEADER_BYTES	(16 * 1024)	/* request line + headers */
#define HTTP_MAX_HEADERS	64
#define HTTP_MAX_URL_BYTES	2048
#define HTTP_MAX_BODY_BYTES	(1024 * 1024)	/* request body */
#define HTTP_MAX_CONNS		1024		/* open client connections */
/*
 * Connections one client address may hold once half the table is taken
 * (below that, any number: a lone busy address harms nobody). A classroom
 * router that NATs 40 tablets opening up to 6 connections each needs 240.
 * A school whose every tablet reaches the box through one NAT address is
 * one "client" to the box: it needs the limit at HTTP_MAX_CONNS (which
 * turns it off; web --max-conns-per-addr, CLASSBOX_MAX_CONNS_PER_ADDR).
 */
#define HTTP_MAX_CONNS_PER_ADDR	256
#define HTTP_MAX_LISTEN		2	/* sockets per port: "localhost" */
#define HTTP_IDLE_TIMEOUT_MS	(60 * 1000)	/* keep-alive, no request */
#define HTTP_HEADER_TIMEOUT_MS	(10 * 1000)	/* first byte to end of headers */
#define HTTP_BODY_TIMEOUT_MS	(30 * 1000)	/* end of headers to end of body */
#define HTTP_HANDSHAKE_TIMEOUT_MS (10 * 1000)	/* TCP accept to TLS done */
#define HTTP_MAX_REQUESTS_PER_CONN 10000

enum http_method {
	HTTP_M_OTHER = 0, HTTP_M_GET, HTTP_M_HEAD, HTTP_M_POST, HTTP_M_PUT,
	HTTP_M_PATCH, HTTP_M_DELETE, HTTP_M_OPTIONS,
};

/* A parsed request. Header fields are NUL-terminated, NULL when absent.
 * Everything points into the connection's buffers and lives until the
 * exchange is answered. */
struct http_req {
	enum http_method method;
	const char *path;		/* percent-decoded path, no query */
	const char *query;		/* raw query string after '?', or NULL */
	const char *host;
	const char *cookie;
	const char *origin;
	const char *referer;
	const char *content_type;
	const char *csrf_token;		/* X-CSRF-Token */
	const char *user_agent;
	const char *accept_language;
	const char *if_none_match;
	const char *body;		/* NUL-terminated copy of the body */
	size_t body_len;
	char peer[64];			/* client address, text form, no port
					 * (IPv4 clients of "::" as IPv4) */
	char local[64];			/* the box's address it connected to */
	uint64_t conn_id;		/* unique per connection */
};

struct http_exchange;

/* The handler: returns 0 after calling http_reply, or HTTP_DEFER when it
 * will call http_reply later from another callback. */
#define HTTP_DEFER 1
typedef int http_handler_fn(void *arg, struct http_exchange *ex);

const struct http_req *http_request(const struct http_exchange *ex);

/* Add a response header before http_reply (copied; at most 16). */
int http_add_header(struct http_exchange *ex, const char *name,
    const char *value);

/* Answer the exchange (copies body). Adds the security headers to every
 * response: Strict-Transport-Security, Content-Security-Policy,
 * X-Content-Type-Options, Referrer-Policy, Cache-Control for API paths.
 * If the client went away meanwhile the answer is dropped and the
 * connection freed. */
void http_reply(struct http_exchange *ex, int status, const char *ctype,
    const void *body, size_t len);

/*
 * A streamed answer (chunked transfer coding), for downloads too large to
 * hold in memory (the admins' export). Instead of http_reply the handler
 * calls http_stream; the server then asks fill for the next piece each
 * time the previous one has been written to the socket, so memory stays at
 * one HTTP_STREAM_CHUNK per connection however long the answer is. fill
 * writes up to size bytes into buf, sets *len, and returns 0 (more to
 * come), 1 (that was the last piece) or a CB_E* status (stop: the
 * connection is closed without the final chunk, so the client sees a cut
 * download, never a complete-looking one). done is called exactly once:
 * completed 1 after the last byte was written, 0 when the client left,
 * timed out, or fill failed. Headers added with http_add_header go out.
 */
#define HTTP_STREAM_CHUNK	(16 * 1024)	/* bytes per fill */

typedef int http_fill_fn(void *arg, char *buf, size_t size, size_t *len);
typedef void http_done_fn(void *arg, int completed);
int http_stream(struct http_exchange *ex, int status, const char *ctype,
    http_fill_fn *fill, http_done_fn *done, void *arg);
/*
 * fill may also return HTTP_STREAM_WAIT: what it wrote (*len, maybe 0)
 * goes out, then the server asks no more until http_stream_resume(ex),
 * ex being the exchange given to http_stream (valid until done is
 * called). For a producer that waits on another process (the export's
 * login log comes from auth). HTTP_WRITE_TIMEOUT_MS ends a wait that
 * never ends (done with 0). Never call resume from fill itself; it may
 * call done (the client left meanwhile) before it returns.
 */
#define HTTP_STREAM_WAIT	2
void http_stream_resume(struct http_exchange *ex);

struct http_server_config {
	const char *bind_addr;		/* see http_listen_all */
	int https_port;			/* e.g. 8443 (443 in the image) */
	int http_port;			/* redirect-only; 0 = off */
	const char *cert_path;		/* PEM; generated with the key if absent */
	const char *key_path;		/* PEM, mode 0600 */
	http_handler_fn *handler;
	void *handler_arg;
	int max_conns_per_addr;		/* 1..HTTP_MAX_CONNS; 0: the default */
	const char *crl_path;		/* served at /ca.crl on the plain port
					 * (the local CA's CRL); NULL: none */
	/* Listening sockets opened with http_listen_all before privileges
	 * were dropped (ports below 1024); none: opened in http_server_new. */
	int https_fds[HTTP_MAX_LISTEN];
	size_t n_https_fds;
	int http_fds[HTTP_MAX_LISTEN];
	size_t n_http_fds;
};

/* A non-blocking listening TCP socket on addr:port (IPv4 or IPv6; "::"
 * takes IPv4 too). */
int http_listen(const char *addr, int port, int *out);
/* The sockets for a --bind value: an address, "::" (every address, IPv6
 * and IPv4: the image's default), or "localhost" (127.0.0.1 and ::1, for
 * development; ::1 is left out on a kernel without IPv6). *n sockets. */
int http_listen_all(const char *bind, int port, int fds[HTTP_MAX_LISTEN],
    size_t *n);

struct http_server;
/* Opens the sockets, loads or generates the certificate (ECDSA P-256),
 * seeds the RNG (call after fork, in the process that serves). */
int http_server_new(struct http_server **out, struct loop *l,
    const struct http_server_config *cfg);
void http_server_free(struct http_server *s);
/* New certificate and key for the next handshakes (tls_server_reload). */
int http_server_reload_cert(struct http_server *s, const char *cert_path,
    const char *key_path);

/* Numbers for /metrics and tests. */
struct http_stats {
	uint64_t connections_open, connections_total, requests_total;
	uint64_t rejected_limit, tls_failures;
	uint64_t rejected_per_addr;	/* of rejected_limit: one address's */
};
void http_server_stats(const struct http_server *s, struct http_stats *out);

#endif
