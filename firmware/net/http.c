/*
 * http.c: the HTTPS server of the web process (see http.h).
 *
 * One connection is a small state machine driven by the loop:
 *
 *   HANDSHAKE -> READING -> (handler) -> WRITING -> READING ... -> DRAIN
 *                              |
 *                           DEFERRED (no I/O until http_reply)
 *
 * Everything is non-blocking and every buffer is bounded, so a slow or
 * hostile client costs at most its own buffers and never delays others.
 * Deadlines are checked by a sweep every HTTP_TICK_MS; with at most
 * HTTP_MAX_CONNS connections a linear sweep is cheap and simpler than a
 * timer heap.
 *
 * Past HTTP_MAX_CONNS a new connection is accepted and closed at once:
 * before a handshake there is no way to send a 503, and a handshake is the
 * expensive part we are protecting.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cb.h"
#include "net/cert.h"
#include "net/http.h"
#include "net/http_parse.h"
#include "net/loop.h"
#include "net/sockaddr.h"
#include "net/tls.h"

#define HTTP_TICK_MS		250
#define HTTP_WRITE_TIMEOUT_MS	(30 * 1000)	/* no write progress */
#define HTTP_LINGER_MS		2000	/* drain after an error reply */
#define HTTP_ACCEPT_BATCH	64	/* accepts per wake-up */
#define HTTP_ACCEPT_PAUSE_MS	500	/* after EMFILE */
#define HTTP_LISTEN_BACKLOG	511
#define HTTP_MAX_EXTRA_HEADERS	16
#define HTTP_EXTRA_HEADER_BYTES	4096	/* all headers added by a handler */
#define HTTP_HEAD_BYTES		(2048 + HTTP_EXTRA_HEADER_BYTES)
#define HTTP_MAX_STEPS		4096	/* state changes per wake-up */
#define HTTP_MAX_READS		1024	/* reads per wake-up: 1 MB / 1 KB */
#define HTTP_DRAIN_BYTES	(64 * 1024) /* discarded while lingering */
#define HTTP_STREAM_BURST	64	/* stream chunks per wake-up (1 MiB) */

/* The plain-HTTP redirect port: tiny, since all it does is redirect. */
#define HTTP_REDIR_MAX_CONNS	64
#define HTTP_REDIR_HEADER_BYTES	4096
#define HTTP_REDIR_INBUF_BYTES	(HTTP_REDIR_HEADER_BYTES + 1)
#define HTTP_REDIR_TIMEOUT_MS	(5 * 1000)
#define HTTP_REDIR_MAX_CONNS_PER_ADDR 16	/* as HTTP_MAX_CONNS_PER_ADDR */
#define HTTP_PER_ADDR_LOG_MS	(60 * 1000)	/* one warning a minute */
#define HTTP_CRL_MAX		4096	/* the CA's CRL, served whole */

static const char http_security_headers[] =
    "Strict-Transport-Security: max-age=63072000\r\n"
    "Content-Security-Policy: default-src 'self'; script-src 'self'; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "X-Frame-Options: DENY\r\n";

enum conn_state {
	CS_HANDSHAKE,	/* TLS handshake */
	CS_READING,	/* idle, headers or body */
	CS_DEFERRED,	/* the handler will call http_reply later */
	CS_WRITING,	/* sending c_out */
	CS_PAUSED,	/* a stream waits for http_stream_resume */
	CS_DRAIN,	/* replied with close: discard input until EOF */
	CS_DEAD,	/* socket closed; waits for http_reply to free */
};

/* What a step of the state machine asks of conn_drive. */
enum { STEP_NEXT, STEP_WAIT, STEP_FREED };

struct conn;

struct http_exchange {
	struct conn *ex_conn;
	int ex_open;		/* handed to the handler, not answered */
	int ex_nhdrs;
	size_t ex_hdr_len;
	char *ex_hdrs;		/* "Name: value\r\n"..., allocated on use */
};

struct conn {
	struct conn *c_next, *c_prev;
	struct http_server *c_srv;
	int c_fd;
	int c_plain;		/* redirect port, no TLS */
	enum conn_state c_state;
	int c_close_after;	/* close once c_out is written */
	int c_continue;		/* c_out is "100 Continue" */
	int c_in_handler;
	int64_t c_deadline;	/* monotonic ms; 0 = none */
	unsigned c_requests;
	struct tls_conn *c_tls;
	struct http_parse c_parse;	/* buffer allocated after handshake */
	int c_parse_init;
	char *c_out;
	size_t c_out_len, c_out_off;
	struct http_exchange c_ex;
	char c_peer[64];		/* address and port, for logs */
	char c_addr[64];		/* address alone: http_req.peer */
	char c_local[64];		/* our address: http_req.local */
	struct in6_addr c_addr6;	/* the client's (IPv4 as ::ffff:a.b.c.d),
					 * for the per-address limit */
	uint64_t c_id;
	/* A streamed answer (http_stream): more to fill after c_out. */
	http_fill_fn *c_fill;
	http_done_fn *c_done;
	void *c_stream_arg;
	int c_stream_end;	/* the final chunk is in c_out */
	int c_out_stream;	/* c_out is the stream's chunk buffer */
	int c_stream_wait;	/* fill said HTTP_STREAM_WAIT */
};

/* A listening socket: HTTPS, or the plain redirect port. */
struct http_listener {
	int l_fd;
	int l_plain;
};

struct http_server {
	struct loop *s_loop;
	struct tls_server *s_tls;
	struct http_server_config s_cfg;
	struct http_listener s_lis[2 * HTTP_MAX_LISTEN];
	size_t s_nlis;
	struct conn *s_conns;	/* every connection, for the sweep */
	int s_ntls, s_nplain;
	int s_per_addr;		/* HTTPS connections per address */
	int64_t s_accept_resume;	/* after EMFILE; 0 = accepting */
	int64_t s_per_addr_logged;	/* last warning about the limit */
	uint64_t s_next_id;
	struct http_stats s_stats;
	/* The names the served certificate holds: where redirects go. */
	struct cert_names s_names;
};

static int conn_drive(struct conn *c);
static void conn_free(struct conn *c);

static int64_t
http_now(void)
{
	return cb_mono_ms();
}

/* ---- connection list and teardown ---- */

static void
conn_link(struct http_server *s, struct conn *c)
{
	c->c_next = s->s_conns;
	if (s->s_conns != NULL)
		s->s_conns->c_prev = c;
	s->s_conns = c;
}

static void
conn_unlink(struct conn *c)
{
	struct http_server *s = c->c_srv;

	if (c->c_prev != NULL)
		c->c_prev->c_next = c->c_next;
	else
		s->s_conns = c->c_next;
	if (c->c_next != NULL)
		c->c_next->c_prev = c->c_prev;
	c->c_next = c->c_prev = NULL;
}

/* Close the socket; the struct lives on while an exchange points at it. */
static void
conn_close_fd(struct conn *c)
{
	struct http_server *s = c->c_srv;

	if (c->c_fd == -1)
		return;
	loop_del(s->s_loop, c->c_fd);
	close(c->c_fd);
	c->c_fd = -1;
	if (c->c_plain)
		s->s_nplain--;
	else
		s->s_ntls--;
	s->s_stats.connections_open--;
}

/* The stream's owner learns how it ended, once. */
static void
conn_stream_end(struct conn *c, int completed)
{
	http_done_fn *done = c->c_done;

	c->c_fill = NULL;
	c->c_done = NULL;
	c->c_stream_end = 0;
	c->c_stream_wait = 0;
	if (done != NULL)
		done(c->c_stream_arg, completed);
}

static void
conn_free(struct conn *c)
{
	conn_stream_end(c, 0);
	conn_close_fd(c);
	conn_unlink(c);
	tls_conn_free(c->c_tls);
	if (c->c_parse_init)
		http_parse_free(&c->c_parse);
	free(c->c_out);
	free(c->c_ex.ex_hdrs);
	free(c);
}

/* The connection failed or timed out. Returns STEP_FREED either way: the
 * caller must not touch c again. */
static int
conn_abort(struct conn *c)
{
	if (c->c_ex.ex_open) {
		conn_close_fd(c);
		c->c_state = CS_DEAD;
		c->c_deadline = 0;
	} else
		conn_free(c);
	return STEP_FREED;
}

/* ---- I/O, TLS or plain ---- */

static int
conn_recv(struct conn *c, char *buf, size_t len, size_t *got, int *want)
{
	ssize_t n;

	if (!c->c_plain)
		return tls_read(c->c_tls, buf, len, got, want);
	*got = 0;
	*want = TLS_WANT_READ;
	do
		n = recv(c->c_fd, buf, len, 0);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		*got = (size_t)n;
		return CB_OK;
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return CB_EAGAIN;
	return CB_EIO;
}

static int
conn_send(struct conn *c, const char *buf, size_t len, size_t *put,
    int *want)
{
	ssize_t n;

	if (!c->c_plain)
		return tls_write(c->c_tls, buf, len, put, want);
	*put = 0;
	*want = TLS_WANT_WRITE;
	do
		n = send(c->c_fd, buf, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n >= 0) {
		*put = (size_t)n;
		return CB_OK;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return CB_EAGAIN;
	return CB_EIO;
}

/* Wait for the socket to become readable or writable. */
static int
conn_wait(struct conn *c, int want)
{
	int ev = want == TLS_WANT_WRITE ? LOOP_WRITE : LOOP_READ;

	if (loop_mod(c->c_srv->s_loop, c->c_fd, ev) != CB_OK)
		return conn_abort(c);
	return STEP_WAIT;
}

/* ---- responses ---- */

static void
http_date(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static int
http_is_api_path(const char *path)
{
	return path != NULL && strncmp(path, "/api", 4) == 0 &&
	    (path[4] == '/' || path[4] == '\0');
}

/* Whether the connection stays open after this response. */
static int
conn_keep_alive(struct conn *c)
{
	return !c->c_close_after && c->c_parse.hp_keep_alive &&
	    c->c_requests + 1 < HTTP_MAX_REQUESTS_PER_CONN;
}

/*
 * Format the status line and headers into head. extra: the handler's
 * headers (or NULL). Returns the length, or 0 if they did not fit.
 */
static size_t
http_format_head(char *head, size_t size, int status, const char *ctype,
    size_t len, int keep, int no_store, const char *extra)
{
	char date[64], clen[48] = "";
	int n;

	http_date(date, sizeof(date));
	/* 1xx, 204 and 304 have no body, so no Content-Length either. A
	 * stream (len SIZE_MAX) is chunked. */
	if (len == SIZE_MAX)
		snprintf(clen, sizeof(clen), "Transfer-Encoding: chunked\r\n");
	else if (status >= 200 && status != 204 && status != 304)
		snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n", len);
	n = snprintf(head, size, "HTTP/1.1 %d %s\r\nDate: %s\r\n%s"
	    "Connection: %s\r\n%s%s%s%s%s%s\r\n", status, http_reason(status),
	    date, clen, keep ? "keep-alive" : "close",
	    ctype ? "Content-Type: " : "", ctype ? ctype : "",
	    ctype ? "\r\n" : "", http_security_headers,
	    no_store ? "Cache-Control: no-store\r\n" : "",
	    extra ? extra : "");
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

/* Put a whole response in c_out and switch to writing it. */
static int
conn_set_response(struct conn *c, int status, const char *ctype,
    const void *body, size_t len, const char *extra)
{
	const struct http_req *r = &c->c_parse.hp_req;
	char head[HTTP_HEAD_BYTES];
	size_t hlen;
	int keep = conn_keep_alive(c);

	hlen = http_format_head(head, sizeof(head), status, ctype, len, keep,
	    c->c_plain ? 0 : r->path == NULL || http_is_api_path(r->path),
	    extra);
	if (hlen == 0)
		return CB_ETOOBIG;
	if (r->method == HTTP_M_HEAD || status < 200 || status == 204 ||
	    status == 304 || len == SIZE_MAX)
		len = 0;
	free(c->c_out);
	if ((c->c_out = malloc(hlen + len + 1)) == NULL)
		return CB_ENOMEM;
	memcpy(c->c_out, head, hlen);
	if (len > 0)
		memcpy(c->c_out + hlen, body, len);
	c->c_out_len = hlen + len;
	c->c_out_off = 0;
	c->c_close_after = !keep;
	c->c_state = CS_WRITING;
	c->c_deadline = http_now() + HTTP_WRITE_TIMEOUT_MS;
	return CB_OK;
}

/* An error the server answers itself, then closes. */
static int
conn_error(struct conn *c, int status, const char *msg)
{
	static const char *const codes[][2] = {
		{ "400", "bad_request" }, { "404", "not_found" },
		{ "408", "request_timeout" },
		{ "413", "payload_too_large" }, { "414", "uri_too_long" },
		{ "431", "headers_too_large" }, { "500", "internal_error" },
		{ "503", "unavailable" }, { "505", "http_version" },
	};
	const char *code = "error";
	char body[256], st[8];
	int n;

	if (status == 413 || status == 414 || status == 431)
		c->c_srv->s_stats.rejected_limit++;
	snprintf(st, sizeof(st), "%d", status);
	for (size_t i = 0; i < CB_ARRAY_LEN(codes); i++)
		if (strcmp(codes[i][0], st) == 0)
			code = codes[i][1];
	n = snprintf(body, sizeof(body),
	    "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, msg);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = 0;
	log_debug("http: %s: %d %s", c->c_peer, status, msg);
	c->c_close_after = 1;
	c->c_parse.hp_req.method = HTTP_M_OTHER;	/* a body even for HEAD */
	if (conn_set_response(c, status, "application/json", body,
	    (size_t)n, NULL) != CB_OK)
		return conn_abort(c);
	return STEP_NEXT;
}

const struct http_req *
http_request(const struct http_exchange *ex)
{
	return &ex->ex_conn->c_parse.hp_req;
}

static int
http_token_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!(((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
			return 0;
	return 1;
}

static int
http_value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return 0;	/* CR or LF would split the response */
	return 1;
}

int
http_add_header(struct http_exchange *ex, const char *name,
    const char *value)
{
	size_t need;

	assert(ex->ex_open);
	if (!http_token_ok(name) || !http_value_ok(value))
		return CB_EINVAL;
	need = strlen(name) + strlen(value) + 4;	/* ": " CR LF */
	if (ex->ex_nhdrs >= HTTP_MAX_EXTRA_HEADERS ||
	    need >= HTTP_EXTRA_HEADER_BYTES - ex->ex_hdr_len)
		return CB_ETOOBIG;
	if (ex->ex_hdrs == NULL &&
	    (ex->ex_hdrs = malloc(HTTP_EXTRA_HEADER_BYTES)) == NULL)
		return CB_ENOMEM;
	snprintf(ex->ex_hdrs + ex->ex_hdr_len, need + 1, "%s: %s\r\n", name,
	    value);
	ex->ex_hdr_len += need;
	ex->ex_nhdrs++;
	return CB_OK;
}

static void
exchange_reset(struct http_exchange *ex)
{
	free(ex->ex_hdrs);
	ex->ex_hdrs = NULL;
	ex->ex_hdr_len = 0;
	ex->ex_nhdrs = 0;
	ex->ex_open = 0;
}

void
http_reply(struct http_exchange *ex, int status, const char *ctype,
    const void *body, size_t len)
{
	struct conn *c = ex->ex_conn;

	assert(ex->ex_open);
	if (c->c_state == CS_DEAD) {
		/* The client left while the handler worked. */
		ex->ex_open = 0;
		conn_free(c);
		return;
	}
	if (conn_set_response(c, status, ctype, body, len, ex->ex_hdrs) !=
	    CB_OK) {
		log_err("http: %s: cannot build a %d response of %zu bytes",
		    c->c_peer, status, len);
		c->c_parse.hp_keep_alive = 0;
		if (conn_set_response(c, 500, NULL, NULL, 0, NULL) != CB_OK) {
			exchange_reset(ex);
			conn_abort(c);
			return;
		}
	}
	exchange_reset(ex);
	/* From the handler itself, conn_dispatch carries on; from a later
	 * callback, start writing now. */
	if (!c->c_in_handler)
		(void)conn_drive(c);
}

int
http_stream(struct http_exchange *ex, int status, const char *ctype,
    http_fill_fn *fill, http_done_fn *done, void *arg)
{
	struct conn *c = ex->ex_conn;
	int rc;

	assert(ex->ex_open);
	if (c->c_state == CS_DEAD) {
		ex->ex_open = 0;
		conn_free(c);
		done(arg, 0);
		return CB_EIO;
	}
	rc = conn_set_response(c, status, ctype, NULL, SIZE_MAX, ex->ex_hdrs);
	exchange_reset(ex);
	if (rc != CB_OK) {
		conn_abort(c);
		done(arg, 0);
		return rc;
	}
	if (c->c_parse.hp_req.method == HTTP_M_HEAD) {
		done(arg, 1);		/* the headers alone */
	} else {
		c->c_fill = fill;
		c->c_done = done;
		c->c_stream_arg = arg;
		c->c_stream_end = 0;
	}
	if (!c->c_in_handler)
		(void)conn_drive(c);
	return CB_OK;
}

/* A complete request: hand it to the handler. */
static int
conn_dispatch(struct conn *c)
{
	struct http_server *s = c->c_srv;
	struct http_req *r = &c->c_parse.hp_req;
	int rc;

	s->s_stats.requests_total++;
	memcpy(r->peer, c->c_addr, sizeof(r->peer));
	memcpy(r->local, c->c_local, sizeof(r->local));
	r->conn_id = c->c_id;
	c->c_ex.ex_open = 1;
	c->c_deadline = 0;	/* the handler owns the time now */
	c->c_in_handler = 1;
	rc = s->s_cfg.handler(s->s_cfg.handler_arg, &c->c_ex);
	c->c_in_handler = 0;
	if (!c->c_ex.ex_open)
		return STEP_NEXT;	/* answered: c_out is ready */
	if (rc == HTTP_DEFER) {
		c->c_state = CS_DEFERRED;
		/* Nothing to read or write until http_reply. A hang-up still
		 * wakes us (epoll always reports it), and marks c dead. */
		if (loop_mod(s->s_loop, c->c_fd, 0) != CB_OK)
			return conn_abort(c);
		return STEP_WAIT;
	}
	log_err("http: handler returned without answering %s", r->path);
	exchange_reset(&c->c_ex);
	return conn_error(c, 500, "the server did not answer");
}

/* Percent-encode a decoded path for a Location header. */
static int
http_encode_path(const char *path, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (o + 4 > size)
			return CB_ETOOBIG;
		if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
			out[o++] = (char)*p;
		else if ((*p >= '0' && *p <= '9') || strchr("/-._~", *p))
			out[o++] = (char)*p;
		else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return CB_OK;
}

/*
 * The plain port's one document: the local CA's revocation list, which
 * every server certificate names (net/cert_crl.h). Signed, public, and
 * fetched over HTTP by design; read at each request (a few hundred bytes,
 * re-signed daily by web's certificate upkeep). 1 when answered.
 */
static int
conn_crl(struct conn *c, int *step)
{
	const struct http_server_config *cfg = &c->c_srv->s_cfg;
	const struct http_req *r = &c->c_parse.hp_req;
	char crl[HTTP_CRL_MAX];
	ssize_t n = -1;
	int fd;

	if (cfg->crl_path == NULL || strcmp(r->path, "/ca.crl") != 0 ||
	    (r->method != HTTP_M_GET && r->method != HTTP_M_HEAD))
		return 0;
	if ((fd = open(cfg->crl_path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, crl, sizeof(crl));
		close(fd);
	}
	c->c_close_after = 1;
	if (n <= 0 || (size_t)n == sizeof(crl))
		*step = conn_error(c, 404, "no revocation list here");
	else if (conn_set_response(c, 200, "application/pkix-crl", crl,
	    (size_t)n, "Cache-Control: max-age=3600\r\n") != CB_OK)
		*step = conn_abort(c);
	else
		*step = STEP_NEXT;
	return 1;
}

/* The redirect port: 308 to the same path on HTTPS, at a name the box's
 * certificate holds (http_redirect_host): never at whatever Host said. */
static int
conn_redirect(struct conn *c)
{
	const struct http_server_config *cfg = &c->c_srv->s_cfg;
	const struct http_req *r = &c->c_parse.hp_req;
	char host[CERT_NAME_MAX + 2], path[3 * HTTP_MAX_URL_BYTES + 1];
	char loc[1200], port[8];
	const char *q = r->query;
	int step;

	if (conn_crl(c, &step))
		return step;
	if (http_redirect_host(&c->c_srv->s_names, r->host, c->c_local, host,
	    sizeof(host)) != CB_OK)
		return conn_error(c, 400, "bad Host header");
	if (http_encode_path(r->path, path, sizeof(path)) != CB_OK)
		return conn_error(c, 414, "the URL is too long");
	snprintf(port, sizeof(port), ":%d", cfg->https_port);
	/* A query is passed on raw: llhttp accepted only URL characters. */
	if (snprintf(loc, sizeof(loc), "Location: https://%s%s%s%s%s\r\n",
	    host, cfg->https_port == 443 ? "" : port, path, q ? "?" : "",
	    q ? q : "") >= (int)sizeof(loc))
		return conn_error(c, 414, "the URL is too long");
	c->c_close_after = 1;
	if (conn_set_response(c, 308, NULL, NULL, 0, loc) != CB_OK)
		return conn_abort(c);
	return STEP_NEXT;
}

/* Parse what is buffered; act on a complete request or an error. Returns
 * -1 when more bytes are needed. */
static int
conn_parse(struct conn *c)
{
	struct http_parse *ps = &c->c_parse;
	int before = ps->hp_state;

	switch (http_parse_run(ps)) {
	case HTTP_PARSE_READY:
		return c->c_plain ? conn_redirect(c) : conn_dispatch(c);
	case HTTP_PARSE_ERROR:
		return conn_error(c, ps->hp_status, ps->hp_error);
	default:
		break;
	}
	if (before == HP_IDLE && ps->hp_bytes_seen && !c->c_plain)
		c->c_deadline = http_now() + HTTP_HEADER_TIMEOUT_MS;
	if (before != HP_BODY && ps->hp_state == HP_BODY) {
		c->c_deadline = http_now() + HTTP_BODY_TIMEOUT_MS;
		if (ps->hp_expect_continue) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
			ps->hp_expect_continue = 0;
			free(c->c_out);
			if ((c->c_out = strdup(cont)) == NULL)
				return conn_abort(c);
			c->c_out_len = sizeof(cont) - 1;
			c->c_out_off = 0;
			c->c_continue = 1;
			c->c_state = CS_WRITING;
			return STEP_NEXT;
		}
	}
	return -1;
}

static int
conn_read(struct conn *c)
{
	struct http_parse *ps = &c->c_parse;
	int rc, want, step;

	for (int i = 0; i < HTTP_MAX_READS; i++) {
		size_t room, got;
		char *p;

		if ((step = conn_parse(c)) != -1)
			return step;
		if ((p = http_parse_space(ps, &room)) == NULL || room == 0) {
			log_err("http: %s: parser stalled", c->c_peer);
			return conn_abort(c);	/* NEVER: see http_parse.h */
		}
		rc = conn_recv(c, p, room, &got, &want);
		if (rc == CB_EAGAIN)
			return conn_wait(c, want);
		if (rc != CB_OK)
			return conn_abort(c);	/* EOF or reset */
		http_parse_commit(ps, got);
	}
	/* Still more: the loop wakes us again for bytes in the socket. */
	return conn_wait(c, TLS_WANT_READ);
}

/* After a response was written: next request, or close. */
static int
conn_written(struct conn *c)
{
	free(c->c_out);
	c->c_out = NULL;
	c->c_out_stream = 0;
	c->c_out_len = c->c_out_off = 0;
	if (c->c_continue) {	/* back to reading the body */
		c->c_continue = 0;
		c->c_state = CS_READING;
		c->c_deadline = http_now() + HTTP_BODY_TIMEOUT_MS;
		return STEP_NEXT;
	}
	if (c->c_close_after) {
		if (!c->c_plain)
			tls_close_notify(c->c_tls);
		/* Half-close and discard what the client still sends, so that
		 * an RST does not destroy our answer before it is read. */
		(void)shutdown(c->c_fd, SHUT_WR);
		c->c_state = CS_DRAIN;
		c->c_deadline = http_now() + HTTP_LINGER_MS;
		return STEP_NEXT;
	}
	c->c_requests++;
	http_parse_next(&c->c_parse);
	c->c_state = CS_READING;
	c->c_deadline = http_now() + (c->c_parse.hp_bytes_seen ?
	    HTTP_HEADER_TIMEOUT_MS : HTTP_IDLE_TIMEOUT_MS);
	return STEP_NEXT;
}

/* The next piece of a stream into c_out, as one chunk (or the last,
 * empty one). CB_E* ends the connection (the client sees a cut). */
static int
conn_refill(struct conn *c)
{
	size_t n = 0, hdr = 10;	/* "%08zx\r\n" */
	char *buf;
	int rc;

	if (!c->c_out_stream) {	/* c_out held the head: swap it once */
		free(c->c_out);
		c->c_out = malloc(hdr + HTTP_STREAM_CHUNK + 7);
		c->c_out_len = c->c_out_off = 0;
		if (c->c_out == NULL)
			return CB_ENOMEM;
		c->c_out_stream = 1;
	}
	buf = c->c_out;
	rc = c->c_fill(c->c_stream_arg, buf + hdr, HTTP_STREAM_CHUNK, &n);
	if (rc < 0 || n > HTTP_STREAM_CHUNK || rc > HTTP_STREAM_WAIT)
		return rc < 0 ? rc : CB_EINVAL;
	c->c_stream_wait = rc == HTTP_STREAM_WAIT;
	c->c_out_off = 0;
	c->c_out_len = 0;
	if (n > 0) {
		char h[11];

		snprintf(h, sizeof(h), "%08zx\r\n", n);
		memcpy(buf, h, hdr);
		memcpy(buf + hdr + n, "\r\n", 2);
		c->c_out_len = hdr + n + 2;
	}
	if (rc == 1) {
		memcpy(buf + c->c_out_len, "0\r\n\r\n", 5);
		c->c_out_len += 5;
		c->c_stream_end = 1;
	}
	return CB_OK;
}

/* A stream's producer waits (HTTP_STREAM_WAIT): nothing to write until
 * http_stream_resume. A hang-up still wakes us (conn_io); the write
 * timeout ends a wait that never ends. */
static int
conn_pause(struct conn *c)
{
	c->c_state = CS_PAUSED;
	c->c_deadline = http_now() + HTTP_WRITE_TIMEOUT_MS;
	if (loop_mod(c->c_srv->s_loop, c->c_fd, 0) != CB_OK)
		return conn_abort(c);
	return STEP_WAIT;
}

void
http_stream_resume(struct http_exchange *ex)
{
	struct conn *c = ex->ex_conn;

	if (c->c_fill == NULL || !c->c_stream_wait)
		return;
	c->c_stream_wait = 0;
	if (c->c_state != CS_PAUSED)
		return;		/* still writing: conn_write asks again */
	c->c_state = CS_WRITING;
	c->c_deadline = http_now() + HTTP_WRITE_TIMEOUT_MS;
	(void)conn_drive(c);
}

static int
conn_write(struct conn *c)
{
	int rc, want, chunks = 0;

	/* Each round sends at least one byte; bounded by the output size.
	 * A stream refills at most HTTP_STREAM_BURST chunks per wake-up,
	 * then waits for the (level-triggered) writable event, so a fast
	 * reader of a long download shares the loop with everyone else. */
	for (;;) {
		size_t put;

		if (c->c_fill != NULL && !c->c_stream_end &&
		    c->c_out_off == c->c_out_len) {
			if (c->c_stream_wait)
				return conn_pause(c);
			if (chunks++ == HTTP_STREAM_BURST)
				return conn_wait(c, TLS_WANT_WRITE);
			if (conn_refill(c) != CB_OK)
				return conn_abort(c);
			continue;
		}
		if (c->c_out_off == c->c_out_len)
			break;
		rc = conn_send(c, c->c_out + c->c_out_off,
		    c->c_out_len - c->c_out_off, &put, &want);
		if (rc == CB_EAGAIN)
			return conn_wait(c, want);
		if (rc != CB_OK)
			return conn_abort(c);
		c->c_out_off += put;
		c->c_deadline = http_now() + HTTP_WRITE_TIMEOUT_MS;
	}
	if (c->c_fill != NULL)
		conn_stream_end(c, 1);
	return conn_written(c);
}

static int
conn_handshake(struct conn *c)
{
	struct http_server *s = c->c_srv;
	int rc, want;

	rc = tls_handshake(c->c_tls, &want);
	if (rc == CB_EAGAIN)
		return conn_wait(c, want);
	if (rc != CB_OK) {
		s->s_stats.tls_failures++;
		log_debug("http: %s: TLS handshake failed: %s", c->c_peer,
		    cb_strerror(rc));
		return conn_abort(c);
	}
	if (http_parse_init(&c->c_parse, HTTP_INBUF_BYTES,
	    HTTP_MAX_HEADER_BYTES, 0) != CB_OK)
		return conn_abort(c);
	c->c_parse_init = 1;
	c->c_state = CS_READING;
	/* The first request follows the handshake at once in any browser;
	 * a client that waits is holding a slot, so it gets the short
	 * header timeout rather than the keep-alive one. */
	c->c_deadline = http_now() + HTTP_HEADER_TIMEOUT_MS;
	return STEP_NEXT;
}

static int
conn_drain(struct conn *c)
{
	char buf[4096];
	ssize_t n;
	size_t total = 0;

	while (total < HTTP_DRAIN_BYTES) {
		n = recv(c->c_fd, buf, sizeof(buf), 0);
		if (n > 0) {
			total += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return conn_wait(c, TLS_WANT_READ);
		break;	/* EOF or error: done */
	}
	conn_free(c);
	return STEP_FREED;
}

/* Run the state machine until it must wait. Returns STEP_WAIT or
 * STEP_FREED (then c is gone). */
static int
conn_drive(struct conn *c)
{
	for (int i = 0; i < HTTP_MAX_STEPS; i++) {
		int step;

		switch (c->c_state) {
		case CS_HANDSHAKE: step = conn_handshake(c); break;
		case CS_READING: step = conn_read(c); break;
		case CS_WRITING: step = conn_write(c); break;
		case CS_DRAIN: step = conn_drain(c); break;
		case CS_DEFERRED:
		case CS_PAUSED:
		case CS_DEAD:
		default: return STEP_WAIT;
		}
		if (step != STEP_NEXT)
			return step;
	}
	log_err("http: %s: too many steps in one wake-up", c->c_peer);
	return conn_abort(c);
}

static void
conn_io(struct loop *l, int fd, int events, void *arg)
{
	struct conn *c = arg;

	assert(c->c_fd == fd);
	if (c->c_state == CS_DEFERRED) {
		/* Only a hang-up or error can wake a deferred connection. */
		conn_close_fd(c);
		c->c_state = CS_DEAD;
		return;
	}
	if (c->c_state == CS_PAUSED) {
		(void)conn_abort(c);	/* the same, for a waiting stream */
		return;
	}
	(void)conn_drive(c);
}

/* ---- accepting ---- */

/* out: "addr:port" (or "[v6]:port"); addr_out: the address alone, which is
 * what throttling and the logs key on (a port changes per connection). */
static void
http_peer_str(const struct sockaddr_storage *ss, char *out, size_t size,
    char *addr_out, size_t addr_size)
{
	const void *addr;
	char ip[INET6_ADDRSTRLEN] = "?";
	int port;

	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(
	    &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr)) {
		/* An IPv4 client of a dual-stack socket ("::"): shown and
		 * throttled as the IPv4 address it is. */
		const struct sockaddr_in6 *s6 = (const void *)ss;
		(void)inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12, ip,
		    sizeof(ip));
		snprintf(out, size, "%s:%d", ip, ntohs(s6->sin6_port));
		(void)cb_strlcpy(addr_out, ip, addr_size);
		return;
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		addr = &s6->sin6_addr;
		port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;
		addr = &s4->sin_addr;
		port = ntohs(s4->sin_port);
	}
	(void)inet_ntop(ss->ss_family, addr, ip, sizeof(ip));
	snprintf(out, size, ss->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d",
	    ip, port);
	(void)cb_strlcpy(addr_out, ip, addr_size);
}

/* The client's address as 16 bytes: IPv4 as the mapped ::ffff:a.b.c.d,
 * which is how a dual-stack socket reports it anyway. */
static void
http_addr6(const struct sockaddr_storage *ss, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		out->s6_addr[10] = out->s6_addr[11] = 0xff;
		memcpy(out->s6_addr + 12, &s4->sin_addr, 4);
	}
}

/*
 * The per-address limit (HTTP_MAX_CONNS_PER_ADDR): 1 when a new
 * connection from a must be refused. It applies once half the table is
 * taken, so that one address (a NATed classroom, or one hostile device)
 * can never hold the other half that everyone else may need, while a
 * lone busy address is not refused for nothing. A linear count: at most
 * HTTP_MAX_CONNS + HTTP_REDIR_MAX_CONNS comparisons of 16 bytes.
 */
static int
http_addr_over_limit(const struct http_server *s, const struct in6_addr *a,
    int plain)
{
	int open = plain ? s->s_nplain : s->s_ntls;
	int table = plain ? HTTP_REDIR_MAX_CONNS : HTTP_MAX_CONNS;
	int limit = plain ? HTTP_REDIR_MAX_CONNS_PER_ADDR : s->s_per_addr;
	int n = 0;

	if (open < table / 2)
		return 0;
	for (const struct conn *c = s->s_conns; c != NULL; c = c->c_next)
		if (c->c_fd != -1 && c->c_plain == plain &&
		    memcmp(&c->c_addr6, a, sizeof(*a)) == 0 && ++n >= limit)
			return 1;
	return 0;
}

static void
http_per_addr_refused(struct http_server *s, const struct sockaddr_storage *ss)
{
	char peer[80], addr[64];
	int64_t now = http_now();

	s->s_stats.rejected_per_addr++;
	if (s->s_per_addr_logged != 0 &&
	    now - s->s_per_addr_logged < HTTP_PER_ADDR_LOG_MS)
		return;
	s->s_per_addr_logged = now;
	http_peer_str(ss, peer, sizeof(peer), addr, sizeof(addr));
	log_warn("http: refused a connection from %s: it holds %d, the "
	    "limit per address (if the school's tablets share one NAT "
	    "address, raise CLASSBOX_MAX_CONNS_PER_ADDR, up to %d)", addr,
	    s->s_per_addr, HTTP_MAX_CONNS);
}

static int
conn_new(struct http_server *s, int fd, int plain,
    const struct sockaddr_storage *ss)
{
	struct conn *c;
	int one = 1, rc;

	/* Without TCP_NODELAY, handshake flights stall on Nagle plus delayed
	 * ACK (FACTS.md: 19 instead of 240 handshakes a second). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CB_ENOMEM;
	c->c_srv = s;
	c->c_fd = fd;
	c->c_plain = plain;
	c->c_ex.ex_conn = c;
	c->c_id = ++s->s_next_id;
	http_addr6(ss, &c->c_addr6);
	http_peer_str(ss, c->c_peer, sizeof(c->c_peer), c->c_addr,
	    sizeof(c->c_addr));
	{
		struct sockaddr_storage me;
		socklen_t mlen = sizeof(me);
		char unused[80];
		if (getsockname(fd, (struct sockaddr *)&me, &mlen) == 0)
			http_peer_str(&me, unused, sizeof(unused), c->c_local,
			    sizeof(c->c_local));
	}
	if (plain) {
		rc = http_parse_init(&c->c_parse, HTTP_REDIR_INBUF_BYTES,
		    HTTP_REDIR_HEADER_BYTES, 1);
		c->c_parse_init = rc == CB_OK;
		c->c_state = CS_READING;
		c->c_deadline = http_now() + HTTP_REDIR_TIMEOUT_MS;
	} else {
		rc = tls_conn_new(s->s_tls, fd, &c->c_tls);
		c->c_state = CS_HANDSHAKE;
		c->c_deadline = http_now() + HTTP_HANDSHAKE_TIMEOUT_MS;
	}
	if (rc == CB_OK)
		rc = loop_add(s->s_loop, fd, LOOP_READ, conn_io, c);
	if (rc != CB_OK) {
		tls_conn_free(c->c_tls);
		if (c->c_parse_init)
			http_parse_free(&c->c_parse);
		free(c);
		return rc;
	}
	conn_link(s, c);
	if (plain)
		s->s_nplain++;
	else
		s->s_ntls++;
	s->s_stats.connections_open++;
	s->s_stats.connections_total++;
	return CB_OK;
}

/* Stop accepting for a while: with no descriptor left, the listening
 * socket stays readable and would spin the loop. */
static void
http_accept_pause(struct http_server *s)
{
	log_warn("http: out of file descriptors; pausing accept for %d ms",
	    HTTP_ACCEPT_PAUSE_MS);
	s->s_accept_resume = http_now() + HTTP_ACCEPT_PAUSE_MS;
	for (size_t i = 0; i < s->s_nlis; i++)
		(void)loop_mod(s->s_loop, s->s_lis[i].l_fd, 0);
}

static void
http_accept(struct loop *l, int lfd, int events, void *arg)
{
	struct http_server *s = arg;
	int plain = 0;

	for (size_t i = 0; i < s->s_nlis; i++)
		if (s->s_lis[i].l_fd == lfd)
			plain = s->s_lis[i].l_plain;

	for (int i = 0; i < HTTP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				http_accept_pause(s);
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("http: accept: %s", strerror(errno));
			return;
		}
		struct in6_addr a6;
		http_addr6(&ss, &a6);
		if (http_addr_over_limit(s, &a6, plain)) {
			http_per_addr_refused(s, &ss);
			s->s_stats.rejected_limit++;
			close(fd);
		} else if ((plain ? s->s_nplain >= HTTP_REDIR_MAX_CONNS :
		    s->s_ntls >= HTTP_MAX_CONNS) ||
		    conn_new(s, fd, plain, &ss) != CB_OK) {
			s->s_stats.rejected_limit++;
			close(fd);
		}
	}
}

/* ---- timeouts ---- */

static void
conn_timeout(struct conn *c)
{
	/* A request under way gets a 408 (a browser may retry it); an idle
	 * connection is just closed, as RFC 9112 9.6 allows. */
	if (c->c_state == CS_READING && !c->c_plain &&
	    c->c_parse.hp_bytes_seen && c->c_parse.hp_state != HP_ERROR) {
		if (conn_error(c, 408, "the request took too long") ==
		    STEP_NEXT) {
			c->c_deadline = http_now() + HTTP_LINGER_MS;
			(void)conn_drive(c);
		}
		return;
	}
	if (c->c_state == CS_HANDSHAKE)
		c->c_srv->s_stats.tls_failures++;
	(void)conn_abort(c);
}

static void
http_tick(struct loop *l, int64_t now, void *arg)
{
	struct http_server *s = arg;
	struct conn *c, *next;

	if (s->s_accept_resume != 0 && now >= s->s_accept_resume) {
		s->s_accept_resume = 0;
		for (size_t i = 0; i < s->s_nlis; i++)
			(void)loop_mod(l, s->s_lis[i].l_fd, LOOP_READ);
	}
	/* Bounded by HTTP_MAX_CONNS + HTTP_REDIR_MAX_CONNS (+ dead ones). */
	for (c = s->s_conns; c != NULL; c = next) {
		next = c->c_next;
		if (c->c_deadline != 0 && now >= c->c_deadline)
			conn_timeout(c);
	}
}

/* ---- listening sockets and the server ---- */

int
http_listen(const char *addr, int port, int *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, zero = 0;

	if (sa_parse(addr, port, &ss, &len) != CB_OK) {
		log_err("http: bind address '%s' is not an IPv4 or IPv6 "
		    "address", addr);
		return CB_EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1 && errno == EAFNOSUPPORT && strcmp(addr, "::") == 0) {
		/* A kernel without IPv6: the wildcard still means "all". */
		log_warn("http: no IPv6 in this kernel; serving IPv4 only");
		return http_listen("0.0.0.0", port, out);
	}
	if (fd == -1)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "::" serves IPv4 too, whatever the sysctl default says. */
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
		    sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, HTTP_LISTEN_BACKLOG) == -1) {
		close(fd);
		goto fail;
	}
	*out = fd;
	return CB_OK;
fail:
	log_err("http: cannot listen on %s port %d: %s%s", addr, port,
	    strerror(errno), errno == EADDRINUSE ?
	    " (is another classbox running?)" : errno == EACCES ?
	    " (ports below 1024 need CAP_NET_BIND_SERVICE)" : "");
	return CB_EIO;
}

/* Whether ::1 can be bound at all (IPv6 may be missing or disabled). */
static int
http_has_ipv6_loopback(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
	    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd == -1)
		return 0;
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

int
http_listen_all(const char *bind, int port, int fds[HTTP_MAX_LISTEN],
    size_t *n)
{
	int rc;

	*n = 0;
	if (bind == NULL || strcmp(bind, "localhost") != 0) {
		if ((rc = http_listen(bind ? bind : "::", port, &fds[0])) ==
		    CB_OK)
			*n = 1;
		return rc;
	}
	/* Both loopbacks, as the certificate names both and "localhost"
	 * resolves to ::1 first. */
	if ((rc = http_listen("127.0.0.1", port, &fds[0])) != CB_OK)
		return rc;
	*n = 1;
	if (!http_has_ipv6_loopback()) {
		log_warn("http: no IPv6 loopback; not serving on ::1");
		return CB_OK;
	}
	if ((rc = http_listen("::1", port, &fds[1])) != CB_OK) {
		close(fds[0]);
		*n = 0;
		return rc;
	}
	*n = 2;
	return CB_OK;
}

/* Room for HTTP_MAX_CONNS sockets: the soft limit is often 1024. */
static void
http_raise_nofile(void)
{
	struct rlimit rl;
	rlim_t want = HTTP_MAX_CONNS + HTTP_REDIR_MAX_CONNS + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warn("http: only %llu file descriptors: fewer than "
		    "HTTP_MAX_CONNS connections fit", (unsigned long long)
		    rl.rlim_cur);
}

/* Take n listening sockets of one kind into the server (it closes them
 * from now on, whatever happens). */
static int
http_server_take(struct http_server *s, const int *fds, size_t n, int plain)
{
	int rc = CB_OK;

	assert(n <= HTTP_MAX_LISTEN);
	for (size_t i = 0; i < n; i++) {
		assert(s->s_nlis < CB_ARRAY_LEN(s->s_lis));
		s->s_lis[s->s_nlis].l_fd = fds[i];
		s->s_lis[s->s_nlis++].l_plain = plain;
		if (rc == CB_OK)
			rc = loop_add(s->s_loop, fds[i], LOOP_READ,
			    http_accept, s);
	}
	return rc;
}

static int
http_server_open(struct http_server *s)
{
	const struct http_server_config *cfg = &s->s_cfg;
	int fds[HTTP_MAX_LISTEN];
	size_t n;
	int rc;

	/* Sockets opened before privileges were dropped are used as given. */
	if (cfg->n_https_fds > 0)
		rc = http_server_take(s, cfg->https_fds, cfg->n_https_fds, 0);
	else if ((rc = http_listen_all(cfg->bind_addr, cfg->https_port, fds,
	    &n)) == CB_OK)
		rc = http_server_take(s, fds, n, 0);
	if (rc != CB_OK)
		return rc;
	if (cfg->n_http_fds > 0)
		rc = http_server_take(s, cfg->http_fds, cfg->n_http_fds, 1);
	else if (cfg->http_port != 0 && (rc = http_listen_all(cfg->bind_addr,
	    cfg->http_port, fds, &n)) == CB_OK)
		rc = http_server_take(s, fds, n, 1);
	if (rc != CB_OK)
		return rc;
	return loop_tick(s->s_loop, HTTP_TICK_MS, http_tick, s);
}

/* Where redirects may go: the names of the certificate in service. */
static void
http_server_names(struct http_server *s, const char *cert_path)
{
	struct cert_info ci;

	if (cert_info_file(cert_path, &ci) != CB_OK) {
		log_warn("http: cannot read the names of %s; redirects go to "
		    "localhost", cert_path);
		memset(&s->s_names, 0, sizeof(s->s_names));
		return;
	}
	s->s_names = ci.ci_names;
}

int
http_server_new(struct http_server **out, struct loop *l,
    const struct http_server_config *cfg)
{
	struct http_server *s;
	int rc;

	*out = NULL;
	if (cfg->handler == NULL || cfg->bind_addr == NULL ||
	    cfg->cert_path == NULL || cfg->key_path == NULL ||
	    cfg->https_port <= 0 || cfg->https_port > 65535 ||
	    cfg->http_port < 0 || cfg->http_port > 65535 ||
	    cfg->max_conns_per_addr < 0 ||
	    cfg->max_conns_per_addr > HTTP_MAX_CONNS ||
	    cfg->n_https_fds > HTTP_MAX_LISTEN ||
	    cfg->n_http_fds > HTTP_MAX_LISTEN)
		return CB_EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CB_ENOMEM;
	s->s_loop = l;
	s->s_cfg = *cfg;
	s->s_per_addr = cfg->max_conns_per_addr ? cfg->max_conns_per_addr :
	    HTTP_MAX_CONNS_PER_ADDR;
	http_raise_nofile();
	if ((rc = tls_server_new(&s->s_tls, cfg->cert_path,
	    cfg->key_path)) != CB_OK ||
	    (rc = http_server_open(s)) != CB_OK) {
		http_server_free(s);
		return rc;
	}
	http_server_names(s, cfg->cert_path);
	log_info("http: serving HTTPS on %s port %d%s; at most %d connections, "
	    "%d per address once half are taken", cfg->bind_addr,
	    cfg->https_port, cfg->http_port ? " (and redirecting HTTP)" : "",
	    HTTP_MAX_CONNS, s->s_per_addr);
	*out = s;
	return CB_OK;
}

/* Frees every connection, including deferred ones: call it only when no
 * handler will call http_reply any more. */
int
http_server_reload_cert(struct http_server *s, const char *cert_path,
    const char *key_path)
{
	int rc = tls_server_reload(s->s_tls, cert_path, key_path);

	if (rc == CB_OK)
		http_server_names(s, cert_path);
	return rc;
}

void
http_server_free(struct http_server *s)
{
	if (s == NULL)
		return;
	loop_tick_del(s->s_loop, http_tick, s);
	while (s->s_conns != NULL)
		conn_free(s->s_conns);
	for (size_t i = 0; i < s->s_nlis; i++) {
		loop_del(s->s_loop, s->s_lis[i].l_fd);	/* harmless if not in */
		close(s->s_lis[i].l_fd);
	}
	tls_server_free(s->s_tls);
	free(s);
}

void
http_server_stats(const struct http_server *s, struct http_stats *out)
{
	*out = s->s_stats;
}
