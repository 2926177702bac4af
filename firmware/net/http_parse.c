/*
 * http_parse.c: HTTP/1.1 request parsing with llhttp, and every request
 * limit of http.h. No sockets, no TLS: see http_parse.h.
 *
 * llhttp is paused at the end of the headers (to check them and the
 * declared body size before any body byte is accepted) and at the end of
 * each message (so that pipelined requests are handled one at a time).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cb.h"
#include "base/utf8.h"
#include "net/http_parse.h"

#define HTTP_PARSE_MAX_STEPS 64

static const char *const http_hdr_names[HTTP_H_COUNT] = {
	[HTTP_H_HOST] = "host",
	[HTTP_H_COOKIE] = "cookie",
	[HTTP_H_ORIGIN] = "origin",
	[HTTP_H_REFERER] = "referer",
	[HTTP_H_CONTENT_TYPE] = "content-type",
	[HTTP_H_CSRF_TOKEN] = "x-csrf-token",
	[HTTP_H_USER_AGENT] = "user-agent",
	[HTTP_H_ACCEPT_LANGUAGE] = "accept-language",
	[HTTP_H_IF_NONE_MATCH] = "if-none-match",
	[HTTP_H_EXPECT] = "expect",
};

static struct http_parse *
hp_of(llhttp_t *ll)
{
	return ll->data;
}

/* Record an error for http_parse_run and stop llhttp. */
static int
hp_fail(struct http_parse *ps, int status, const char *msg)
{
	if (ps->hp_status == 0) {
		ps->hp_status = status;
		ps->hp_error = msg;
	}
	return -1;
}

/* Extend span sp with [at, at+len). The buffer only grows while a request
 * is open, so a span cut by the end of one read continues at the start of
 * the next. A gap means obsolete line folding (a value continued on a line
 * starting with a blank), which RFC 9112 5.2 lets a server reject: -1. */
static int
hp_extend(struct http_parse *ps, struct http_span *sp, const char *at,
    size_t len)
{
	size_t off = (size_t)(at - ps->hp_buf);

	assert(at >= ps->hp_buf && off + len <= ps->hp_len);
	if (!sp->set) {
		sp->off = off;
		sp->len = 0;
		sp->set = 1;
	}
	if (sp->off + sp->len != off)
		return -1;
	sp->len += len;
	return 0;
}

static int
hp_on_message_begin(llhttp_t *ll)
{
	struct http_parse *ps = hp_of(ll);

	ps->hp_state = HP_HEADERS;
	return 0;
}

static int
hp_on_url(llhttp_t *ll, const char *at, size_t len)
{
	struct http_parse *ps = hp_of(ll);

	if (hp_extend(ps, &ps->hp_url, at, len) != 0)
		return hp_fail(ps, 400, "malformed request target");
	if (ps->hp_url.len > HTTP_MAX_URL_BYTES)
		return hp_fail(ps, 414, "the URL is too long");
	return 0;
}

/* RFC 9112 3: method SP request-target SP HTTP-version. llhttp takes a
 * line that ends after the target as HTTP/0.9, or waits for headers. */
static int
hp_on_url_complete(llhttp_t *ll)
{
	struct http_parse *ps = hp_of(ll);
	size_t end = ps->hp_url.off + ps->hp_url.len;

	if (!ps->hp_url.set || end >= ps->hp_len || ps->hp_buf[end] != ' ')
		return hp_fail(ps, 400, "the request line has no HTTP version");
	return 0;
}

/* A header is complete: keep it if it is one we hand on. */
static int
hp_commit_header(struct http_parse *ps)
{
	const char *name = ps->hp_buf + ps->hp_field.off;
	struct http_span *dst = NULL;

	if (!ps->hp_field.set)
		return 0;
	for (int i = 0; i < HTTP_H_COUNT; i++) {
		if (strlen(http_hdr_names[i]) == ps->hp_field.len &&
		    strncasecmp(name, http_hdr_names[i], ps->hp_field.len) == 0) {
			dst = &ps->hp_hdrs[i];
			break;
		}
	}
	if (dst != NULL) {
		/* Two Host (or Cookie, Origin...) headers make the request
		 * ambiguous; a proxy and we could read different ones. */
		if (dst->set)
			return hp_fail(ps, 400, "a header appears twice");
		*dst = ps->hp_value;
		if (!dst->set)	/* empty value */
			*dst = (struct http_span){ ps->hp_field.off +
			    ps->hp_field.len, 0, 1 };
	}
	memset(&ps->hp_field, 0, sizeof(ps->hp_field));
	memset(&ps->hp_value, 0, sizeof(ps->hp_value));
	return 0;
}

static int
hp_on_header_field(llhttp_t *ll, const char *at, size_t len)
{
	struct http_parse *ps = hp_of(ll);

	if (!ps->hp_in_field) {
		if (hp_commit_header(ps) != 0)
			return -1;
		if (++ps->hp_nheaders > HTTP_MAX_HEADERS)
			return hp_fail(ps, 431, "too many header fields");
		ps->hp_in_field = 1;
	}
	if (hp_extend(ps, &ps->hp_field, at, len) != 0)
		return hp_fail(ps, 400, "malformed header field name");
	return 0;
}

/* RFC 9110 5.6.2: tchar, what a field name is made of. llhttp (not built
 * in strict mode) also takes a space, so "Host : x" would be a header
 * named "Host " that nobody reads, beside the Host that everyone does. */
static int
hp_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

static int
hp_on_header_field_complete(llhttp_t *ll)
{
	struct http_parse *ps = hp_of(ll);
	const char *name = ps->hp_buf + ps->hp_field.off;

	/* No field callback since the last value: the name was empty. */
	if (!ps->hp_in_field || ps->hp_field.len == 0)
		return hp_fail(ps, 400, "a header field has an empty name");
	ps->hp_in_field = 0;
	for (size_t i = 0; i < ps->hp_field.len; i++)
		if (!hp_tchar((unsigned char)name[i]))
			return hp_fail(ps, 400, name[i] == ' ' ||
			    name[i] == '\t' ? "no whitespace is allowed "
			    "between a header field name and its colon" :
			    "a header field name has a character that is not "
			    "allowed");
	return 0;
}

static int
hp_on_header_value(llhttp_t *ll, const char *at, size_t len)
{
	struct http_parse *ps = hp_of(ll);

	if (hp_extend(ps, &ps->hp_value, at, len) != 0)
		return hp_fail(ps, 400, "folded header lines are not accepted");
	return 0;
}

static int
hp_on_headers_complete(llhttp_t *ll)
{
	struct http_parse *ps = hp_of(ll);

	if (hp_commit_header(ps) != 0)
		return -1;
	return HPE_PAUSED;	/* checked in hp_headers_done */
}

static int
hp_body_reserve(struct http_parse *ps, size_t need)
{
	size_t cap = ps->hp_body_cap ? ps->hp_body_cap : HTTP_BODY_MIN_ALLOC;
	char *p;

	if (need <= ps->hp_body_cap)
		return 0;
	/* Grow with the bytes that arrive, not with the declared length, so
	 * that a client must send a megabyte to make us hold one. */
	while (cap < need)
		cap *= 2;
	if (cap > HTTP_MAX_BODY_BYTES + 1)
		cap = HTTP_MAX_BODY_BYTES + 1;
	if ((p = realloc(ps->hp_body, cap)) == NULL)
		return -1;
	ps->hp_body = p;
	ps->hp_body_cap = cap;
	return 0;
}

static int
hp_on_body(llhttp_t *ll, const char *at, size_t len)
{
	struct http_parse *ps = hp_of(ll);

	/* Checked again here for chunked bodies, which declare no length. */
	if (len > HTTP_MAX_BODY_BYTES - ps->hp_body_len)
		return hp_fail(ps, 413, "the request body is too large");
	if (hp_body_reserve(ps, ps->hp_body_len + len + 1) != 0)
		return hp_fail(ps, 503, "out of memory");
	memcpy(ps->hp_body + ps->hp_body_len, at, len);
	ps->hp_body_len += len;
	return 0;
}

static int
hp_on_message_complete(llhttp_t *ll)
{
	struct http_parse *ps = hp_of(ll);

	ps->hp_keep_alive = llhttp_should_keep_alive(ll);
	ps->hp_state = HP_READY;
	return HPE_PAUSED;
}

static const llhttp_settings_t hp_settings = {
	.on_message_begin = hp_on_message_begin,
	.on_url = hp_on_url,
	.on_url_complete = hp_on_url_complete,
	.on_header_field = hp_on_header_field,
	.on_header_field_complete = hp_on_header_field_complete,
	.on_header_value = hp_on_header_value,
	.on_headers_complete = hp_on_headers_complete,
	.on_body = hp_on_body,
	.on_message_complete = hp_on_message_complete,
};

int
http_parse_init(struct http_parse *ps, size_t cap, size_t hdr_limit,
    int headers_only)
{
	assert(cap > hdr_limit && hdr_limit > 0);
	memset(ps, 0, sizeof(*ps));
	if ((ps->hp_buf = malloc(cap)) == NULL)
		return CB_ENOMEM;
	ps->hp_cap = cap;
	ps->hp_hdr_limit = hdr_limit;
	ps->hp_headers_only = headers_only;
	llhttp_init(&ps->hp_ll, HTTP_REQUEST, &hp_settings);
	ps->hp_ll.data = ps;
	return CB_OK;
}

void
http_parse_free(struct http_parse *ps)
{
	free(ps->hp_buf);
	free(ps->hp_body);
	memset(ps, 0, sizeof(*ps));
}

char *
http_parse_space(struct http_parse *ps, size_t *room)
{
	if (ps->hp_state == HP_READY || ps->hp_state == HP_ERROR) {
		*room = 0;
		return NULL;
	}
	*room = ps->hp_cap - ps->hp_len;
	return ps->hp_buf + ps->hp_len;
}

void
http_parse_commit(struct http_parse *ps, size_t n)
{
	assert(n <= ps->hp_cap - ps->hp_len);
	ps->hp_len += n;
	if (n > 0)
		ps->hp_bytes_seen = 1;
}

int
http_parse_pending(const struct http_parse *ps)
{
	return ps->hp_fed < ps->hp_len;
}

/* "." and ".." segments: browsers remove them before sending, so one that
 * arrives (perhaps as %2e%2e) is an attempt to climb out of a directory. */
static int
hp_has_dot_segment(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i + 1, seg;
		while (j < len && s[j] != '/')
			j++;
		seg = j - i - 1;
		if ((seg == 1 && s[i + 1] == '.') ||
		    (seg == 2 && s[i + 1] == '.' && s[i + 2] == '.'))
			return 1;
		i = j;
	}
	return 0;
}

const char *
http_path_decode(char *s, size_t len, size_t *out_len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int hi, lo;
			if (len - i < 3 || (hi = cb_hexval(s[i + 1])) < 0 ||
			    (lo = cb_hexval(s[i + 2])) < 0)
				return "bad percent-escape in the path";
			c = (unsigned char)(hi * 16 + lo);
			i += 3;
		} else
			i++;
		if (c == 0)
			return "NUL in the path";
		if (c < 0x20 || c == 0x7f)
			return "control character in the path";
		s[o++] = (char)c;
	}
	s[o] = '\0';
	if (o == 0 || s[0] != '/')
		return "the request target must be a path starting with /";
	if (!cb_utf8_valid(s, o, CB_UTF8_LINE))
		return "the path is not valid UTF-8";
	if (hp_has_dot_segment(s, o))
		return "the path has a . or .. segment";
	*out_len = o;
	return NULL;
}

/* NUL-terminate a header value in place, without trailing blanks. The
 * byte after a value is its CR or LF, already parsed. */
static const char *
hp_header_str(struct http_parse *ps, int h)
{
	struct http_span *sp = &ps->hp_hdrs[h];
	char *v;

	if (!sp->set)
		return NULL;
	v = ps->hp_buf + sp->off;
	while (sp->len > 0 && (v[sp->len - 1] == ' ' || v[sp->len - 1] == '\t'))
		sp->len--;
	v[sp->len] = '\0';
	return v;
}

static enum http_method
hp_method(uint8_t m)
{
	switch (m) {
	case HTTP_GET: return HTTP_M_GET;
	case HTTP_HEAD: return HTTP_M_HEAD;
	case HTTP_POST: return HTTP_M_POST;
	case HTTP_PUT: return HTTP_M_PUT;
	case HTTP_PATCH: return HTTP_M_PATCH;
	case HTTP_DELETE: return HTTP_M_DELETE;
	case HTTP_OPTIONS: return HTTP_M_OPTIONS;
	default: return HTTP_M_OTHER;
	}
}

static void
hp_fill_headers(struct http_parse *ps)
{
	struct http_req *r = &ps->hp_req;
	const char *expect;

	r->host = hp_header_str(ps, HTTP_H_HOST);
	r->cookie = hp_header_str(ps, HTTP_H_COOKIE);
	r->origin = hp_header_str(ps, HTTP_H_ORIGIN);
	r->referer = hp_header_str(ps, HTTP_H_REFERER);
	r->content_type = hp_header_str(ps, HTTP_H_CONTENT_TYPE);
	r->csrf_token = hp_header_str(ps, HTTP_H_CSRF_TOKEN);
	r->user_agent = hp_header_str(ps, HTTP_H_USER_AGENT);
	r->accept_language = hp_header_str(ps, HTTP_H_ACCEPT_LANGUAGE);
	r->if_none_match = hp_header_str(ps, HTTP_H_IF_NONE_MATCH);
	expect = hp_header_str(ps, HTTP_H_EXPECT);
	if (expect != NULL && strcasecmp(expect, "100-continue") == 0 &&
	    ((ps->hp_ll.flags & F_CHUNKED) ||
	    ((ps->hp_ll.flags & F_CONTENT_LENGTH) &&
	    ps->hp_ll.content_length > 0)))
		ps->hp_expect_continue = 1;
}

/* URL into path and raw query; 0 or an error recorded. */
static int
hp_fill_target(struct http_parse *ps)
{
	struct http_req *r = &ps->hp_req;
	char *url = ps->hp_buf + ps->hp_url.off, *q;
	size_t len = ps->hp_url.len, plen;
	const char *err;

	if (!ps->hp_url.set)
		return hp_fail(ps, 400, "no request target");
	url[len] = '\0';	/* the space before HTTP/1.1 */
	if (memchr(url, '\0', len) != NULL)
		return hp_fail(ps, 400, "NUL in the request target");
	if ((q = memchr(url, '?', len)) != NULL) {
		r->query = q + 1;
		len = (size_t)(q - url);
	}
	if ((err = http_path_decode(url, len, &plen)) != NULL)
		return hp_fail(ps, 400, err);
	r->path = url;
	return 0;
}

/* RFC 9112 2.3 and 3.2: the version in the request line, and the Host
 * that HTTP/1.1 must send exactly once (a second one is refused when the
 * headers are read) with a valid value. 0, or an error recorded. */
static int
hp_check_version_host(struct http_parse *ps)
{
	const llhttp_t *ll = &ps->hp_ll;
	const char *host = ps->hp_req.host;

	/* llhttp reads a request line without a version as HTTP/0.9. */
	if (ll->http_major == 0)
		return hp_fail(ps, 400, "the request line has no HTTP version");
	if (ll->http_major != 1)
		return hp_fail(ps, 505, "only HTTP/1.1 and HTTP/1.0 are served");
	if (host == NULL && ll->http_minor >= 1)
		return hp_fail(ps, 400, "an HTTP/1.1 request needs a Host header");
	if (host != NULL && !http_host_valid(host))
		return hp_fail(ps, 400, "the Host header is not a valid host "
		    "name or address");
	return 0;
}

/* llhttp paused at the end of the headers: check and build the request. */
static void
hp_headers_done(struct http_parse *ps)
{
	llhttp_t *ll = &ps->hp_ll;

	ps->hp_hdr_end = ps->hp_fed;
	ps->hp_req.method = hp_method(ll->method);
	hp_fill_headers(ps);
	if (hp_check_version_host(ps) != 0 || hp_fill_target(ps) != 0)
		goto fail;
	if ((ll->flags & F_CONTENT_LENGTH) &&
	    ll->content_length > HTTP_MAX_BODY_BYTES) {
		hp_fail(ps, 413, "the request body is too large");
		goto fail;
	}
	/* Upgrades (WebSocket, CONNECT) are not offered: answer this request
	 * normally, then close, since what follows is not HTTP. */
	if (ll->upgrade)
		ps->hp_keep_alive = 0;
	if (ps->hp_headers_only) {
		ps->hp_state = HP_READY;
		return;
	}
	ps->hp_state = HP_BODY;
	ps->hp_just_resumed = 1;
	llhttp_resume(ll);
	return;
fail:
	ps->hp_state = HP_ERROR;
}

static void
hp_message_done(struct http_parse *ps)
{
	struct http_req *r = &ps->hp_req;

	if (ps->hp_ll.upgrade)
		ps->hp_keep_alive = 0;
	if (ps->hp_body != NULL) {
		assert(ps->hp_body_len < ps->hp_body_cap);
		ps->hp_body[ps->hp_body_len] = '\0';
		r->body = ps->hp_body;
	} else
		r->body = "";
	r->body_len = ps->hp_body_len;
}

/* One llhttp_execute over what is buffered (header bytes capped at the
 * header limit). */
static void
hp_step(struct http_parse *ps)
{
	const char *p = ps->hp_buf + ps->hp_fed;
	size_t avail = ps->hp_len - ps->hp_fed, used;
	int in_head = ps->hp_state == HP_IDLE || ps->hp_state == HP_HEADERS;
	llhttp_errno_t err;

	if (in_head && avail > ps->hp_hdr_limit - ps->hp_fed)
		avail = ps->hp_hdr_limit - ps->hp_fed;
	err = llhttp_execute(&ps->hp_ll, p, avail);
	used = err == HPE_OK ? avail :
	    (size_t)(llhttp_get_error_pos(&ps->hp_ll) - p);
	assert(used <= avail);
	ps->hp_fed += used;
	switch (err) {
	case HPE_OK:
		if (in_head && ps->hp_fed >= ps->hp_hdr_limit) {
			hp_fail(ps, 431, "the request headers are too large");
			ps->hp_state = HP_ERROR;
		} else if (ps->hp_state == HP_BODY && ps->hp_fed == ps->hp_len)
			/* Parsed body bytes are copied out: free their room. */
			ps->hp_len = ps->hp_fed = ps->hp_hdr_end;
		break;
	case HPE_PAUSED:
		if (ps->hp_state == HP_READY)
			hp_message_done(ps);
		else if (ps->hp_status == 0)
			hp_headers_done(ps);
		else
			ps->hp_state = HP_ERROR;
		break;
	default:
		hp_fail(ps, 400, err == HPE_PAUSED_UPGRADE ||
		    err == HPE_PAUSED_H2_UPGRADE ? "protocol upgrade is not "
		    "supported" : "malformed HTTP request");
		ps->hp_state = HP_ERROR;
		break;
	}
}

int
http_parse_run(struct http_parse *ps)
{
	/* Each step consumes bytes or changes state; a request takes three
	 * (headers, body, end), so the bound is never reached in practice. */
	for (int i = 0; i < HTTP_PARSE_MAX_STEPS &&
	    ps->hp_state != HP_READY && ps->hp_state != HP_ERROR; i++) {
		/* Right after the headers, llhttp may finish a bodiless
		 * message without another byte: give it an empty step. */
		if (ps->hp_fed == ps->hp_len && !ps->hp_just_resumed)
			break;
		ps->hp_just_resumed = 0;
		hp_step(ps);
	}
	if (ps->hp_state == HP_READY)
		return HTTP_PARSE_READY;
	if (ps->hp_state == HP_ERROR)
		return HTTP_PARSE_ERROR;
	return HTTP_PARSE_MORE;
}

void
http_parse_next(struct http_parse *ps)
{
	size_t rest = ps->hp_len - ps->hp_fed;

	assert(ps->hp_state == HP_READY);
	memmove(ps->hp_buf, ps->hp_buf + ps->hp_fed, rest);
	ps->hp_len = rest;
	ps->hp_fed = 0;
	ps->hp_hdr_end = 0;
	free(ps->hp_body);	/* up to a megabyte: do not keep it idle */
	ps->hp_body = NULL;
	ps->hp_body_len = ps->hp_body_cap = 0;
	memset(&ps->hp_url, 0, sizeof(ps->hp_url));
	memset(&ps->hp_field, 0, sizeof(ps->hp_field));
	memset(&ps->hp_value, 0, sizeof(ps->hp_value));
	memset(ps->hp_hdrs, 0, sizeof(ps->hp_hdrs));
	memset(&ps->hp_req, 0, sizeof(ps->hp_req));
	ps->hp_in_field = ps->hp_nheaders = ps->hp_just_resumed = 0;
	ps->hp_status = ps->hp_keep_alive = ps->hp_expect_continue = 0;
	ps->hp_error = NULL;
	ps->hp_bytes_seen = rest > 0;
	ps->hp_state = HP_IDLE;
	if (llhttp_get_errno(&ps->hp_ll) == HPE_PAUSED)
		llhttp_resume(&ps->hp_ll);
}

static int
hp_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int
hp_port_ok(const char *p)
{
	size_t n = 0;

	if (*p == '\0')
		return 1;
	if (*p++ != ':')
		return 0;
	while (p[n] >= '0' && p[n] <= '9')
		n++;
	return n > 0 && n <= 5 && p[n] == '\0';
}

/* RFC 3986 3.2.2: unreserved and sub-delims, what a reg-name is made of
 * besides percent-escapes. */
static int
hp_regname_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("-._~!$&'()*+,;=", c) != NULL);
}

int
http_host_valid(const char *host)
{
	size_t n = 0;

	if (host == NULL || *host == '\0' ||
	    strlen(host) > HTTP_MAX_HOST_BYTES)
		return 0;
	if (host[0] == '[') {
		char lit[HTTP_MAX_HOST_BYTES + 1];
		struct in6_addr a6;
		const char *end = strchr(host, ']');
		if (end == NULL || (size_t)(end - host - 1) >= sizeof(lit))
			return 0;
		memcpy(lit, host + 1, (size_t)(end - host - 1));
		lit[end - host - 1] = '\0';
		if (inet_pton(AF_INET6, lit, &a6) != 1)
			return 0;
		n = (size_t)(end - host) + 1;
	} else {
		while (host[n] != '\0' && host[n] != ':') {
			if (host[n] == '%') {
				if (cb_hexval(host[n + 1]) < 0 ||
				    cb_hexval(host[n + 2]) < 0)
					return 0;
				n += 3;
			} else if (hp_regname_char((unsigned char)host[n]))
				n++;
			else
				return 0;
		}
		if (n == 0)
			return 0;
	}
	return hp_port_ok(host + n);
}

int
http_host_sanitise(const char *host, char *out, size_t out_size)
{
	size_t n = 0;

	if (host == NULL || *host == '\0')
		return CB_EINVAL;
	if (host[0] == '[') {
		while (host[++n] != ']')
			if (!(cb_hexval(host[n]) >= 0 || host[n] == ':' ||
			    host[n] == '.'))
				return CB_EINVAL;
		n++;
		if (n < 4)	/* "[::]" at the least */
			return CB_EINVAL;
	} else {
		while (hp_host_char(host[n]))
			n++;
		if (n == 0 || n > 253)
			return CB_EINVAL;
	}
	if (!hp_port_ok(host + n) || n + 1 > out_size)
		return CB_EINVAL;
	memcpy(out, host, n);
	out[n] = '\0';
	return CB_OK;
}

/* An IP address in text (brackets allowed) into 16 bytes, IPv4 mapped;
 * 0 when s is not an address. */
static int
hp_addr(const char *s, struct in6_addr *out)
{
	char buf[INET6_ADDRSTRLEN];
	size_t n = strlen(s);
	struct in_addr a4;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, out) == 1)
		return 1;
	if (inet_pton(AF_INET, buf, &a4) != 1)
		return 0;
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = out->s6_addr[11] = 0xff;
	memcpy(out->s6_addr + 12, &a4, 4);
	return 1;
}

/* 1 when the name a certificate holds (SAN) covers host: DNS names
 * without case and with one trailing dot, "*.x" one label more, and
 * addresses by value ("::1" and "[::1]", "::ffff:10.0.0.1"...). */
static int
hp_name_covers(const char *name, const char *host)
{
	struct in6_addr a, b;
	size_t hl = strlen(host);

	if (hp_addr(host, &a))
		return hp_addr(name, &b) && memcmp(&a, &b, sizeof(a)) == 0;
	if (hl > 1 && host[hl - 1] == '.')
		hl--;
	if (name[0] == '*' && name[1] == '.') {
		const char *dot = memchr(host, '.', hl);
		return dot != NULL && dot != host &&
		    strlen(name + 1) == hl - (size_t)(dot - host) &&
		    strncasecmp(dot, name + 1, strlen(name + 1)) == 0;
	}
	return strlen(name) == hl && strncasecmp(name, host, hl) == 0;
}

static int
hp_names_cover(const struct cert_names *n, const char *host)
{
	for (size_t i = 0; i < n->cn_n; i++)
		if (hp_name_covers(n->cn_v[i], host))
			return 1;
	return 0;
}

/* The box's own name for a client whose Host the certificate does not
 * hold: its primary name, a .local name, another DNS name, the address
 * the client reached, "localhost". */
static const char *
hp_own_name(const struct cert_names *n, const char *local)
{
	struct in6_addr a;

	if (n->cn_primary[0] != '\0' && hp_names_cover(n, n->cn_primary))
		return n->cn_primary;
	for (size_t i = 0; i < n->cn_n; i++) {
		size_t l = strlen(n->cn_v[i]);
		if (l > 6 && strcasecmp(n->cn_v[i] + l - 6, ".local") == 0)
			return n->cn_v[i];
	}
	for (size_t i = 0; i < n->cn_n; i++)
		if (!hp_addr(n->cn_v[i], &a) && n->cn_v[i][0] != '*' &&
		    strcmp(n->cn_v[i], "localhost") != 0)
			return n->cn_v[i];
	if (local != NULL && local[0] != '\0' && hp_names_cover(n, local))
		return local;
	return "localhost";
}

int
http_redirect_host(const struct cert_names *names, const char *host,
    const char *local, char *out, size_t size)
{
	char h[HTTP_MAX_HOST_BYTES + 1], bare[HTTP_MAX_HOST_BYTES + 1];
	const char *pick = NULL;
	struct in6_addr a;
	size_t n;

	if (http_host_sanitise(host, h, sizeof(h)) == CB_OK) {
		n = strlen(h);
		if (h[0] == '[') {
			memcpy(bare, h + 1, n - 2);
			bare[n - 2] = '\0';
		} else
			memcpy(bare, h, n + 1);
		if (hp_names_cover(names, bare))
			pick = bare;
	}
	if (pick == NULL)
		pick = hp_own_name(names, local);
	/* An IPv6 address goes in brackets in a URL. */
	if (strchr(pick, ':') != NULL && hp_addr(pick, &a))
		n = (size_t)snprintf(out, size, "[%s]", pick);
	else
		n = (size_t)snprintf(out, size, "%s", pick);
	return n < size ? CB_OK : CB_ETOOBIG;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
