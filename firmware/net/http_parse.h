/*
 * http_parse.h: internal to the HTTP server. Turns bytes into struct
 * http_req with every limit of http.h enforced, without sockets or TLS, so
 * that unit tests and the fuzzer reach the same code as the server.
 *
 * The parser owns one input buffer. The caller reads into
 * http_parse_space(), reports the count with http_parse_commit(), then
 * calls http_parse_run(). A request is parsed in place: its header values
 * and path point into the input buffer, which never moves while a request
 * is open, so the buffer holds the whole header section. Body bytes are
 * copied out to a separate buffer as they are parsed, so a body never
 * needs room in the input buffer.
 */
#ifndef HTTP_PARSE_H
#define HTTP_PARSE_H

#include <stddef.h>

#include <llhttp.h>

#include "net/cert.h"
#include "net/http.h"

/* Input buffer of an HTTPS connection: a full header section plus room
 * for the start of a body or of a pipelined request. */
#define HTTP_INBUF_BYTES	(HTTP_MAX_HEADER_BYTES + 2048)
#define HTTP_BODY_MIN_ALLOC	4096	/* first body allocation */

enum http_parse_result {
	HTTP_PARSE_MORE = 0,	/* need more bytes */
	HTTP_PARSE_READY,	/* hp_req holds a complete request */
	HTTP_PARSE_ERROR,	/* answer hp_status / hp_error, then close */
};

/* Headers we hand to the handler (each at most once per request). */
enum http_hdr {
	HTTP_H_HOST, HTTP_H_COOKIE, HTTP_H_ORIGIN, HTTP_H_REFERER,
	HTTP_H_CONTENT_TYPE, HTTP_H_CSRF_TOKEN, HTTP_H_USER_AGENT,
	HTTP_H_ACCEPT_LANGUAGE, HTTP_H_IF_NONE_MATCH, HTTP_H_EXPECT,
	HTTP_H_COUNT
};

/* hp_state: where the current request is. */
enum { HP_IDLE, HP_HEADERS, HP_BODY, HP_READY, HP_ERROR };

struct http_span {
	size_t off, len;	/* in hp_buf */
	int set;
};

struct http_parse {
	llhttp_t hp_ll;
	char *hp_buf;
	size_t hp_cap;		/* size of hp_buf */
	size_t hp_len;		/* bytes in hp_buf */
	size_t hp_fed;		/* bytes of hp_buf given to llhttp */
	size_t hp_hdr_limit;	/* bytes allowed for request line + headers */
	size_t hp_hdr_end;	/* end of the header section, once known */
	int hp_headers_only;	/* redirect port: READY at end of headers */
	int hp_state;		/* HP_IDLE .. HP_ERROR */
	int hp_just_resumed;	/* llhttp resumed after the headers */

	/* The request being parsed. */
	struct http_span hp_url;
	struct http_span hp_field, hp_value;	/* the header being read */
	int hp_in_field;
	int hp_nheaders;
	struct http_span hp_hdrs[HTTP_H_COUNT];
	char *hp_body;
	size_t hp_body_len, hp_body_cap;

	/* Results. */
	int hp_status;		/* HTTP status of an error */
	const char *hp_error;	/* its message (a string literal) */
	int hp_keep_alive;	/* the client allows another request */
	int hp_expect_continue;	/* send "100 Continue" before the body */
	int hp_bytes_seen;	/* a byte of the current request arrived */
	struct http_req hp_req;
};

/* cap: input buffer size (> header limit); headers_only for redirects. */
int http_parse_init(struct http_parse *ps, size_t cap, size_t hdr_limit,
    int headers_only);
void http_parse_free(struct http_parse *ps);
/* Where to put new bytes; *room is 0 when the parser cannot take more
 * now (a request is READY, or the parser stopped on an error). */
char *http_parse_space(struct http_parse *ps, size_t *room);
void http_parse_commit(struct http_parse *ps, size_t n);
int http_parse_run(struct http_parse *ps);
/* The request was answered: forget it, keep bytes of the next one. */
void http_parse_next(struct http_parse *ps);
/* 1 when unparsed bytes wait in the buffer (a pipelined request). */
int http_parse_pending(const struct http_parse *ps);

/* Pure helpers, exposed for tests. */

/* Percent-decode s[0..len) in place and NUL-terminate it; fails (returns
 * a message) on a bad escape, NUL, control characters, invalid UTF-8 or
 * a "." or ".." segment; on success returns NULL and sets *out_len. */
const char *http_path_decode(char *s, size_t len, size_t *out_len);

/* 1 when host is a Host header value RFC 9112 3.2 accepts: a reg-name
 * (RFC 3986: unreserved, sub-delims, percent-escapes), an IPv4 address or
 * a bracketed IPv6 address, then an optional ":port" of up to 5 digits. */
#define HTTP_MAX_HOST_BYTES	255
int http_host_valid(const char *host);

/* Copy the host part of a Host header (port dropped) into out when it is
 * a plain DNS name, IPv4 address or bracketed IPv6 address; 0 on success,
 * CB_EINVAL otherwise. */
int http_host_sanitise(const char *host, char *out, size_t out_size);

/*
 * The host for the Location of a plain-HTTP redirect: host (a Host header,
 * port dropped) when the served certificate's names cover it, so that the
 * browser lands where it meant to and the certificate verifies; otherwise
 * the box's own name (hp_own_name). Never a name the box does not hold,
 * so a forged Host cannot send a tablet elsewhere. local: the address the
 * client connected to. IPv6 addresses come out in brackets.
 */
int http_redirect_host(const struct cert_names *names, const char *host,
    const char *local, char *out, size_t size);

/* Reason phrase for a status code ("Not Found"); "Unknown" otherwise. */
const char *http_reason(int status);

#endif
