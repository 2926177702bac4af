/*
 * httpcli.c: HTTP/1.1 requests to the cloud over tlscli, responses parsed
 * by llhttp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>

#include <mbedtls/base64.h>

#include "base/cb.h"
#include "net/httpcli.h"
#include "net/httpdate.h"

#define HTTPCLI_BODY_MIN_ALLOC	8192
#define HTTPCLI_REQ_HEAD_MAX	(TLSCLI_HOST_MAX + HTTPCLI_PATH_MAX + \
	HTTPCLI_USERPASS_MAX * 2 + 8192)

struct httpcli {
	struct tlscli *h_tls;
	struct tlscli_conn *h_conn;
	struct httpcli_url h_url;
	char *h_auth;			/* base64(user:password) or NULL */
	struct tlscli_err h_err;
	unsigned long long h_sent, h_received;
	int h_gzip_off;			/* request bodies go out plain */
	int h_keep_gzip;		/* httpcli_get_encoded in progress */
	int64_t h_date_ms, h_date_rtt_ms, h_date_mono_ms;	/* last Date */
};

/* ---- URL ---- */

int
httpcli_url_parse(const char *url, struct httpcli_url *out)
{
	const char *p, *host, *end, *slash;
	size_t hostlen;

	memset(out, 0, sizeof(*out));
	out->hu_port = 443;
	if (strncmp(url, "https://", 8) != 0)
		return CB_EINVAL;
	host = url + 8;
	slash = strchr(host, '/');
	end = slash ? slash : host + strlen(host);
	if (strpbrk(url, "?#@ \t\r\n") != NULL)
		return CB_EINVAL;
	if (*host == '[') {			/* [v6]:port */
		const char *rb = memchr(host, ']', (size_t)(end - host));
		if (rb == NULL)
			return CB_EINVAL;
		hostlen = (size_t)(rb - host - 1);
		p = rb + 1;
		host++;
	} else {
		p = memchr(host, ':', (size_t)(end - host));
		if (p == NULL)
			p = end;
		hostlen = (size_t)(p - host);
	}
	if (hostlen == 0 || hostlen > TLSCLI_HOST_MAX)
		return CB_EINVAL;
	memcpy(out->hu_host, host, hostlen);
	if (p < end) {
		char *e;
		if (*p != ':')
			return CB_EINVAL;
		long port = strtol(p + 1, &e, 10);
		if (e != end || port < 1 || port > 65535 || p + 1 == end)
			return CB_EINVAL;
		out->hu_port = (int)port;
	}
	if (slash != NULL) {
		size_t n = strlen(slash);
		while (n > 0 && slash[n - 1] == '/')
			n--;
		if (n >= sizeof(out->hu_prefix))
			return CB_ETOOBIG;
		memcpy(out->hu_prefix, slash, n);
	}
	for (const char *c = out->hu_host; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' ||
		    *c == ':'))
			return CB_EINVAL;
	return CB_OK;
}

int
httpcli_escape(const char *s, char *out, size_t outsize)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || c == ':';
		if (o + (plain ? 1 : 3) >= outsize)
			return CB_ETOOBIG;
		if (plain)
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = 0;
	return CB_OK;
}

/* ---- response parser ---- */

static struct httpcli_parser *
hp_of(llhttp_t *ll)
{
	return ll->data;
}

static int
hp_on_status_complete(llhttp_t *ll)
{
	hp_of(ll)->hp_status = ll->status_code;
	return 0;
}

/* The Content-Encoding value without surrounding blanks: 0 plain, 1 gzip,
 * -1 anything else (several codings, deflate, br, a value cut short). */
static int
hp_encoding_kind(const struct httpcli_parser *p)
{
	const char *v = p->hp_encoding;
	size_t n = p->hp_encoding_len;

	if (p->hp_encodings == 0)
		return 0;
	if (p->hp_encodings > 1 || n >= sizeof(p->hp_encoding))
		return -1;
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n == 0 || (n == 8 && strncasecmp(v, "identity", 8) == 0))
		return 0;
	if ((n == 4 && strncasecmp(v, "gzip", 4) == 0) ||
	    (n == 6 && strncasecmp(v, "x-gzip", 6) == 0))
		return 1;
	return -1;
}

static int
hp_on_headers_complete(llhttp_t *ll)
{
	struct httpcli_parser *p = hp_of(ll);

	p->hp_status = ll->status_code;
	/* A declared length past the limit: refuse before reading it. A
	 * gzip body's declared length is compressed: its inflated size is
	 * checked as it streams in. */
	if ((ll->flags & F_CONTENT_LENGTH) &&
	    ll->content_length > p->hp_max_body) {
		p->hp_too_big = 1;
		p->hp_error = HTTPCLI_PERR_TOO_BIG;
		return -1;
	}
	if (p->hp_head_only)
		return 1;		/* no body follows */
	switch (hp_encoding_kind(p)) {
	case 0:
		return 0;
	case 1:
		if (p->hp_keep_gzip) {
			p->hp_kept_gzip = 1;
			return 0;
		}
		break;
	default:
		p->hp_error = HTTPCLI_PERR_ENCODING;
		return -1;
	}
	/* 16 + window bits: a gzip wrapper (header, CRC-32, length). */
	if (inflateInit2(&p->hp_z, 16 + MAX_WBITS) != Z_OK) {
		p->hp_error = HTTPCLI_PERR_NOMEM;
		return -1;
	}
	p->hp_gzip = p->hp_gzip_live = 1;
	return 0;
}

/* Room for at least one more body byte and the NUL, never past
 * max_body + 2 (max_body + 1 bytes tell "over the limit"). */
static int
hp_grow(struct httpcli_parser *p, size_t want)
{
	size_t top = p->hp_max_body + 2, cap;
	char *b;

	if (want <= p->hp_cap)
		return 0;
	if (p->hp_cap >= top)
		return -1;
	cap = p->hp_cap ? p->hp_cap : HTTPCLI_BODY_MIN_ALLOC;
	while (cap < want && cap < top)
		cap *= 2;
	if (cap > top)
		cap = top;
	if ((b = realloc(p->hp_body, cap)) == NULL) {
		p->hp_error = HTTPCLI_PERR_NOMEM;
		return -1;
	}
	p->hp_body = b;
	p->hp_cap = cap;
	return 0;
}

static int
hp_too_big(struct httpcli_parser *p)
{
	p->hp_too_big = 1;
	p->hp_error = HTTPCLI_PERR_TOO_BIG;
	return -1;
}

static int
hp_gzip_bad(struct httpcli_parser *p, const char *why)
{
	p->hp_error = HTTPCLI_PERR_GZIP;
	p->hp_gzip_why = why;
	return -1;
}

/* Inflate one piece of the gzip body into hp_body, as far as it goes. A
 * piece may end anywhere: in the gzip header, a block, the trailer. */
static int
hp_inflate(struct httpcli_parser *p, const char *at, size_t len)
{
	z_stream *z = &p->hp_z;
	int zr;

	if (p->hp_gzip_end)
		return hp_gzip_bad(p, "followed by extra bytes");
	p->hp_gzip_in += len;
	z->next_in = (Bytef *)(uintptr_t)at;
	z->avail_in = (uInt)len;
	for (;;) {
		if (p->hp_len + 1 >= p->hp_cap &&
		    hp_grow(p, p->hp_len + 2) != 0)
			return p->hp_error ? -1 : hp_too_big(p);
		size_t room = p->hp_cap - 1 - p->hp_len;
		if (room > UINT_MAX)
			room = UINT_MAX;
		z->next_out = (Bytef *)p->hp_body + p->hp_len;
		z->avail_out = (uInt)room;
		zr = inflate(z, Z_NO_FLUSH);
		p->hp_len += room - z->avail_out;
		p->hp_body[p->hp_len] = 0;
		if (p->hp_len > p->hp_max_body)
			return hp_too_big(p);	/* a zip bomb stops here */
		if (zr == Z_STREAM_END) {
			p->hp_gzip_end = 1;
			return z->avail_in ? hp_gzip_bad(p,
			    "followed by extra bytes") : 0;
		}
		if (zr == Z_MEM_ERROR) {
			p->hp_error = HTTPCLI_PERR_NOMEM;
			return -1;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return hp_gzip_bad(p, "corrupt");
		if (z->avail_in == 0 && z->avail_out > 0)
			return 0;	/* all in, all out: wait for more */
	}
}

static int
hp_on_body(llhttp_t *ll, const char *at, size_t len)
{
	struct httpcli_parser *p = hp_of(ll);

	if (p->hp_gzip)
		return hp_inflate(p, at, len);
	if (len > p->hp_max_body - p->hp_len)
		return hp_too_big(p);
	if (hp_grow(p, p->hp_len + len + 1) != 0)
		return -1;
	memcpy(p->hp_body + p->hp_len, at, len);
	p->hp_len += len;
	p->hp_body[p->hp_len] = 0;
	return 0;
}

/* Header names and values may come in pieces: keep what Date and
 * Content-Encoding need. */
static int
hp_on_header_field(llhttp_t *ll, const char *at, size_t len)
{
	struct httpcli_parser *p = hp_of(ll);

	for (size_t i = 0; i < len; i++, p->hp_field_len++)
		if (p->hp_field_len < sizeof(p->hp_field) - 1)
			p->hp_field[p->hp_field_len] = at[i];
	return 0;
}

static int
hp_on_header_field_complete(llhttp_t *ll)
{
	struct httpcli_parser *p = hp_of(ll);

	p->hp_in_date = p->hp_field_len == 4 &&
	    strncasecmp(p->hp_field, "date", 4) == 0;
	p->hp_in_encoding = p->hp_field_len == 16 &&
	    strncasecmp(p->hp_field, "content-encoding", 16) == 0;
	p->hp_field_len = 0;
	p->hp_date_len = 0;
	if (p->hp_in_date)
		p->hp_dates++;
	if (p->hp_in_encoding) {
		p->hp_encodings++;
		p->hp_encoding_len = 0;
	}
	return 0;
}

static int
hp_on_header_value(llhttp_t *ll, const char *at, size_t len)
{
	struct httpcli_parser *p = hp_of(ll);

	if (p->hp_in_encoding)
		for (size_t i = 0; i < len; i++, p->hp_encoding_len++)
			if (p->hp_encoding_len < sizeof(p->hp_encoding) - 1)
				p->hp_encoding[p->hp_encoding_len] = at[i];
	if (!p->hp_in_date)
		return 0;
	for (size_t i = 0; i < len; i++, p->hp_date_len++)
		if (p->hp_date_len < sizeof(p->hp_date))
			p->hp_date[p->hp_date_len] = at[i];
	return 0;
}

static int
hp_on_header_value_complete(llhttp_t *ll)
{
	struct httpcli_parser *p = hp_of(ll);
	int64_t ms;

	if (p->hp_in_encoding) {
		p->hp_in_encoding = 0;
		p->hp_encoding[p->hp_encoding_len < sizeof(p->hp_encoding) ?
		    p->hp_encoding_len : sizeof(p->hp_encoding) - 1] = 0;
	}
	if (!p->hp_in_date)
		return 0;
	p->hp_in_date = 0;
	/* Two Date headers, or one that does not parse: no time at all. */
	p->hp_date_ms = 0;
	if (p->hp_dates == 1 && p->hp_date_len <= sizeof(p->hp_date) &&
	    httpdate_parse(p->hp_date, p->hp_date_len, &ms) == CB_OK)
		p->hp_date_ms = ms;
	return 0;
}

static void
hp_gzip_end(struct httpcli_parser *p)
{
	if (p->hp_gzip_live)
		inflateEnd(&p->hp_z);
	p->hp_gzip_live = 0;
}

static int
hp_on_message_complete(llhttp_t *ll)
{
	struct httpcli_parser *p = hp_of(ll);

	/* An empty body (204, 304) needs no gzip; any other must be whole. */
	if (p->hp_gzip && p->hp_gzip_in > 0 && !p->hp_gzip_end)
		return hp_gzip_bad(p, "cut short");
	hp_gzip_end(p);
	p->hp_keep_alive = llhttp_should_keep_alive(ll);
	p->hp_done = 1;
	return HPE_PAUSED;
}

static const llhttp_settings_t hp_settings = {
	.on_status_complete = hp_on_status_complete,
	.on_header_field = hp_on_header_field,
	.on_header_field_complete = hp_on_header_field_complete,
	.on_header_value = hp_on_header_value,
	.on_header_value_complete = hp_on_header_value_complete,
	.on_headers_complete = hp_on_headers_complete,
	.on_body = hp_on_body,
	.on_message_complete = hp_on_message_complete,
};

void
httpcli_parse_init(struct httpcli_parser *p, size_t max_body, int head_only)
{
	memset(p, 0, sizeof(*p));
	llhttp_init(&p->hp_ll, HTTP_RESPONSE, &hp_settings);
	p->hp_ll.data = p;
	p->hp_max_body = max_body;
	p->hp_head_only = head_only;
}

static int
hp_status_of(struct httpcli_parser *p)
{
	if (p->hp_error == HTTPCLI_PERR_NONE)
		p->hp_error = HTTPCLI_PERR_SYNTAX;
	switch (p->hp_error) {
	case HTTPCLI_PERR_TOO_BIG:
		return CB_ETOOBIG;
	case HTTPCLI_PERR_NOMEM:
		return CB_ENOMEM;
	default:
		return CB_EPROTO;
	}
}

int
httpcli_parse_feed(struct httpcli_parser *p, const char *buf, size_t n)
{
	llhttp_errno_t e;

	if (p->hp_error != HTTPCLI_PERR_NONE)
		return hp_status_of(p);
	if (p->hp_done || n == 0)
		return CB_OK;
	e = llhttp_execute(&p->hp_ll, buf, n);
	if (e == HPE_OK || e == HPE_PAUSED) {
		/* Bytes of the head before the body started are bounded. */
		if (p->hp_status == 0) {
			p->hp_head_bytes += n;
			if (p->hp_head_bytes > HTTPCLI_MAX_HEADERS) {
				(void)hp_too_big(p);
				return CB_ETOOBIG;
			}
		}
		return CB_OK;
	}
	return hp_status_of(p);
}

int
httpcli_parse_eof(struct httpcli_parser *p)
{
	if (p->hp_done)
		return CB_OK;
	if (p->hp_error != HTTPCLI_PERR_NONE)
		return hp_status_of(p);
	llhttp_errno_t e = llhttp_finish(&p->hp_ll);
	if ((e == HPE_OK || e == HPE_PAUSED) && p->hp_done)
		return CB_OK;
	if (p->hp_error == HTTPCLI_PERR_NONE && p->hp_gzip)
		hp_gzip_bad(p, "cut short");
	return hp_status_of(p);
}

void
httpcli_parse_strerror(const struct httpcli_parser *p, char *buf,
    size_t size)
{
	char enc[HTTPCLI_ENCODING_MAX];
	size_t i;

	switch (p->hp_error) {
	case HTTPCLI_PERR_NONE:
		snprintf(buf, size, "no error");
		break;
	case HTTPCLI_PERR_TOO_BIG:
		snprintf(buf, size, "the cloud's answer is larger than %zu "
		    "bytes%s", p->hp_max_body, p->hp_gzip ? " once inflated" :
		    "");
		break;
	case HTTPCLI_PERR_ENCODING:
		/* Printable bytes only: the value came from the network. */
		for (i = 0; i < sizeof(enc) - 1 && p->hp_encoding[i]; i++)
			enc[i] = p->hp_encoding[i] >= 0x20 &&
			    p->hp_encoding[i] < 0x7f ? p->hp_encoding[i] : '?';
		enc[i] = 0;
		if (p->hp_encodings > 1)
			snprintf(buf, size, "the cloud's answer has more than "
			    "one Content-Encoding header, which the box does "
			    "not accept (gzip only)");
		else
			snprintf(buf, size, "the cloud's answer has "
			    "Content-Encoding '%s%s', which the box does not "
			    "accept (gzip only)", enc, p->hp_encoding_len >=
			    sizeof(p->hp_encoding) ? "..." : "");
		break;
	case HTTPCLI_PERR_GZIP:
		snprintf(buf, size, "the cloud's gzip answer is %s",
		    p->hp_gzip_why ? p->hp_gzip_why : "corrupt");
		break;
	case HTTPCLI_PERR_NOMEM:
		snprintf(buf, size, "out of memory for the cloud's answer");
		break;
	default:
		snprintf(buf, size, "the cloud's answer is not HTTP/1.1");
		break;
	}
}

void
httpcli_parse_free(struct httpcli_parser *p)
{
	hp_gzip_end(p);
	free(p->hp_body);
	p->hp_body = NULL;
}

/* ---- client ---- */

void
httpcli_resp_free(struct httpcli_resp *r)
{
	free(r->hr_body);
	memset(r, 0, sizeof(*r));
}

int
httpcli_new(struct httpcli **out, struct tlscli *tls,
    const struct httpcli_url *url, const char *user, const char *password)
{
	char up[HTTPCLI_USERPASS_MAX];
	struct httpcli *h;
	size_t olen;
	int n;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return CB_ENOMEM;
	h->h_tls = tls;
	h->h_url = *url;
	if (user != NULL) {
		n = snprintf(up, sizeof(up), "%s:%s", user,
		    password ? password : "");
		size_t cap = 4 * (sizeof(up) / 3 + 1) + 1;
		if (n < 0 || (size_t)n >= sizeof(up) ||
		    (h->h_auth = malloc(cap)) == NULL ||
		    mbedtls_base64_encode((unsigned char *)h->h_auth, cap,
		    &olen, (unsigned char *)up, (size_t)n) != 0) {
			cb_wipe(up, sizeof(up));
			httpcli_free(h);
			return CB_ETOOBIG;
		}
		cb_wipe(up, sizeof(up));
	}
	*out = h;
	return CB_OK;
}

void
httpcli_disconnect(struct httpcli *h)
{
	tlscli_close(h->h_conn);
	h->h_conn = NULL;
}

void
httpcli_free(struct httpcli *h)
{
	if (h == NULL)
		return;
	httpcli_disconnect(h);
	if (h->h_auth != NULL) {
		cb_wipe(h->h_auth, strlen(h->h_auth));
		free(h->h_auth);
	}
	free(h);
}

const struct tlscli_err *
httpcli_err(const struct httpcli *h)
{
	return &h->h_err;
}

void
httpcli_bytes(const struct httpcli *h, unsigned long long *sent,
    unsigned long long *received)
{
	*sent = h->h_sent;
	*received = h->h_received;
}

static int
hc_send(struct httpcli *h, const char *method, const char *path,
    const char *body, size_t bodylen, int gzipped)
{
	size_t cap = HTTPCLI_REQ_HEAD_MAX + strlen(path);
	char *head;
	int n, rc;

	if (strlen(path) > HTTPCLI_TARGET_MAX)
		return CB_ETOOBIG;
	if ((head = malloc(cap)) == NULL)
		return CB_ENOMEM;
	n = snprintf(head, cap, "%s %s%s HTTP/1.1\r\n"
	    "Host: %s%s%s:%d\r\nUser-Agent: classbox-sync\r\n"
	    "Accept: application/json\r\nAccept-Encoding: gzip\r\n%s%s%s"
	    "Content-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n",
	    method, h->h_url.hu_prefix, path,
	    strchr(h->h_url.hu_host, ':') ? "[" : "", h->h_url.hu_host,
	    strchr(h->h_url.hu_host, ':') ? "]" : "", h->h_url.hu_port,
	    h->h_auth ? "Authorization: Basic " : "",
	    h->h_auth ? h->h_auth : "", h->h_auth ? "\r\n" : "",
	    gzipped ? "Content-Encoding: gzip\r\n" : "", body ? bodylen : 0);
	if (n < 0 || (size_t)n >= cap) {
		free(head);
		return CB_ETOOBIG;
	}
	rc = tlscli_write(h->h_conn, head, (size_t)n, &h->h_err);
	cb_wipe(head, (size_t)n);
	free(head);
	if (rc == CB_OK && body != NULL && bodylen > 0)
		rc = tlscli_write(h->h_conn, body, bodylen, &h->h_err);
	if (rc == CB_OK)
		h->h_sent += (size_t)n + (body ? bodylen : 0);
	return rc;
}

static int
hc_receive(struct httpcli *h, int head_only, struct httpcli_resp *r,
    int *got_any)
{
	struct httpcli_parser p;
	char *buf;
	size_t got;
	int rc = CB_OK;

	if ((buf = malloc(HTTPCLI_READ_CHUNK)) == NULL)
		return CB_ENOMEM;
	httpcli_parse_init(&p, HTTPCLI_MAX_RESPONSE, head_only);
	p.hp_keep_gzip = h->h_keep_gzip;
	while (!p.hp_done) {
		rc = tlscli_read(h->h_conn, buf, HTTPCLI_READ_CHUNK, &got,
		    &h->h_err);
		if (rc == CB_EIO && got == 0 && *got_any) {
			rc = httpcli_parse_eof(&p);
			break;
		}
		if (rc != CB_OK)
			break;
		*got_any = 1;
		h->h_received += got;
		if ((rc = httpcli_parse_feed(&p, buf, got)) != CB_OK)
			break;
	}
	free(buf);
	if (rc != CB_OK && p.hp_error != HTTPCLI_PERR_NONE) {
		httpcli_parse_strerror(&p, h->h_err.te_msg,
		    sizeof(h->h_err.te_msg));
		h->h_err.te_why = TLSCLI_CUT;
	}
	if (rc != CB_OK) {
		httpcli_parse_free(&p);
		return rc;
	}
	r->hr_status = p.hp_status;
	r->hr_body = p.hp_body;
	r->hr_len = p.hp_len;
	r->hr_date_ms = p.hp_date_ms;
	r->hr_gzip = p.hp_kept_gzip;
	r->hr_done_mono_ms = cb_mono_ms();
	p.hp_body = NULL;		/* the response owns it now */
	httpcli_parse_free(&p);
	if (!p.hp_keep_alive)
		httpcli_disconnect(h);
	return CB_OK;
}

/* One exchange, reconnecting once when a kept-alive connection had been
 * closed by the server. */
static int
hc_exchange(struct httpcli *h, const char *method, const char *path,
    const char *body, size_t bodylen, int gzipped, struct httpcli_resp *r)
{
	int rc = CB_EIO, attempt, reused, got_any;

	memset(r, 0, sizeof(*r));
	for (attempt = 0; attempt < 2; attempt++) {
		reused = h->h_conn != NULL;
		got_any = 0;
		if (!reused && (rc = tlscli_connect(h->h_tls,
		    h->h_url.hu_host, h->h_url.hu_port, &h->h_conn,
		    &h->h_err)) != CB_OK)
			return rc;
		r->hr_sent_mono_ms = cb_mono_ms();
		rc = hc_send(h, method, path, body, bodylen, gzipped);
		if (rc == CB_OK)
			rc = hc_receive(h, strcmp(method, "HEAD") == 0, r,
			    &got_any);
		if (rc == CB_OK) {
			if (r->hr_date_ms > 0) {
				h->h_date_ms = r->hr_date_ms;
				h->h_date_rtt_ms = r->hr_done_mono_ms -
				    r->hr_sent_mono_ms;
				h->h_date_mono_ms = r->hr_done_mono_ms;
			}
			return CB_OK;
		}
		httpcli_disconnect(h);
		/* A kept-alive connection the server had closed: once more. */
		if (!reused || got_any || rc == CB_ENOMEM)
			return rc;
	}
	return rc;
}

/* gzip (RFC 1952) of body into a malloc'd buffer; NULL when it does not
 * pay or memory runs out (the body then goes out plain). */
static char *
hc_gzip(const char *body, size_t len, size_t *outlen)
{
	z_stream z;
	char *out;
	size_t cap;

	if (len > UINT_MAX)
		return NULL;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, HTTPCLI_GZIP_LEVEL, Z_DEFLATED, 16 + MAX_WBITS,
	    8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&z, (uLong)len);
	if ((out = malloc(cap)) == NULL) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)body;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out >= len) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

int
httpcli_request(struct httpcli *h, const char *method, const char *path,
    const char *body, size_t bodylen, struct httpcli_resp *r)
{
	char *gz = NULL;
	size_t gzlen = 0;
	int rc;

	if (body != NULL && bodylen >= HTTPCLI_GZIP_MIN_BODY && !h->h_gzip_off)
		gz = hc_gzip(body, bodylen, &gzlen);
	if (gz == NULL)
		return hc_exchange(h, method, path, body, bodylen, 0, r);
	rc = hc_exchange(h, method, path, gz, gzlen, 1, r);
	free(gz);
	if (rc != CB_OK || (r->hr_status != 415 && r->hr_status != 400))
		return rc;
	/* 415 (CouchDB: not a supported content encoding) or 400 (a proxy
	 * or server that cannot read it): the same body plain. When that
	 * one is not refused the same way, gzip was the reason: plain from
	 * now on. */
	int gz_status = r->hr_status;
	httpcli_resp_free(r);
	rc = hc_exchange(h, method, path, body, bodylen, 0, r);
	if (rc == CB_OK && r->hr_status != gz_status)
		h->h_gzip_off = 1;
	return rc;
}

int
httpcli_get_encoded(struct httpcli *h, const char *path,
    struct httpcli_resp *r)
{
	int rc;

	h->h_keep_gzip = 1;
	rc = hc_exchange(h, "GET", path, NULL, 0, 0, r);
	h->h_keep_gzip = 0;
	return rc;
}

int
httpcli_gzip_requests(const struct httpcli *h)
{
	return !h->h_gzip_off;
}

void
httpcli_set_gzip(struct httpcli *h, int on)
{
	h->h_gzip_off = !on;
}

int
httpcli_last_date(const struct httpcli *h, int64_t *date_ms,
    int64_t *rtt_ms, int64_t *mono_ms)
{
	if (h->h_date_ms <= 0)
		return CB_ENOTFOUND;
	*date_ms = h->h_date_ms;
	*rtt_ms = h->h_date_rtt_ms;
	*mono_ms = h->h_date_mono_ms;
	return CB_OK;
}
