/*
 * httpcli.h: a small HTTP/1.1 client over tlscli for the cloud link: one
 * keep-alive connection, Content-Length and chunked responses (llhttp),
 * every response bounded by HTTPCLI_MAX_RESPONSE. Answers may come gzipped
 * (Accept-Encoding: gzip): they are inflated as they stream in, and the
 * limit applies to the inflated body. Request bodies of at least
 * HTTPCLI_GZIP_MIN_BODY bytes go out gzipped until the peer refuses one
 * (docs/sync.md, "Compression").
 *
 * The response parser is a pure function of bytes (httpcli_parse_*), so
 * the unit tests and the fuzz target reach the same code as the client.
 */
#ifndef HTTPCLI_H
#define HTTPCLI_H

#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>
#include <zlib.h>

#include "net/tlscli.h"

#define HTTPCLI_MAX_RESPONSE	(48u << 20)	/* bytes of one response body */
#define HTTPCLI_MAX_HEADERS	(16u * 1024)	/* bytes of a response head */
#define HTTPCLI_PATH_MAX	256		/* URL path prefix */
/* A request's path and query: CouchDB's since= carries a whole update
 * sequence (sync/proto.h PROTO_SEQ_MAX, 32 KiB, percent-encoded). */
#define HTTPCLI_TARGET_MAX	(128u * 1024)
#define HTTPCLI_USERPASS_MAX	512		/* user:password for Basic */
#define HTTPCLI_READ_CHUNK	(16u * 1024)
#define HTTPCLI_DATE_MAX	40		/* bytes of a Date value kept */
#define HTTPCLI_ENCODING_MAX	32		/* bytes of Content-Encoding kept */
#define HTTPCLI_GZIP_MIN_BODY	(8u * 1024)	/* smaller bodies go out plain */
#define HTTPCLI_GZIP_LEVEL	1	/* zlib level: cheap for the box's CPU */

/* An https URL: host, port (443 by default), path prefix without the
 * trailing slash ("" or "/couch"). No user info, query or fragment. */
struct httpcli_url {
	char hu_host[TLSCLI_HOST_MAX + 1];
	int hu_port;
	char hu_prefix[HTTPCLI_PATH_MAX];
};
int httpcli_url_parse(const char *url, struct httpcli_url *out);

/* ---- the response parser ---- */
/* Why a response was refused (hp_error). */
enum httpcli_perr {
	HTTPCLI_PERR_NONE,
	HTTPCLI_PERR_SYNTAX,		/* not HTTP/1.1 */
	HTTPCLI_PERR_TOO_BIG,		/* past max_body (inflated) or the head */
	HTTPCLI_PERR_ENCODING,		/* a Content-Encoding other than gzip */
	HTTPCLI_PERR_GZIP,		/* gzip body corrupt or cut short */
	HTTPCLI_PERR_NOMEM,
};

struct httpcli_parser {
	llhttp_t hp_ll;
	int hp_status;
	int hp_done;			/* the whole message arrived */
	int hp_keep_alive;
	int hp_too_big;
	int hp_head_only;
	enum httpcli_perr hp_error;
	/* Content-Encoding: "" or identity (plain), gzip (inflated as it
	 * streams in), anything else refused once the head is in. */
	char hp_encoding[HTTPCLI_ENCODING_MAX];
	size_t hp_encoding_len;		/* may exceed the buffer: refused */
	int hp_in_encoding;
	int hp_encodings;		/* Content-Encoding headers seen */
	int hp_gzip;			/* the body is gzip (being inflated) */
	int hp_keep_gzip;		/* set after init: keep a gzip body
					 * as sent (hp_kept_gzip), not inflated */
	int hp_kept_gzip;
	int hp_gzip_live;		/* hp_z is initialised */
	int hp_gzip_end;		/* the gzip trailer arrived */
	size_t hp_gzip_in;		/* compressed bytes fed */
	const char *hp_gzip_why;	/* static words for HTTPCLI_PERR_GZIP */
	z_stream hp_z;
	size_t hp_head_bytes;
	size_t hp_max_body;
	char *hp_body;			/* malloc'd, NUL-terminated */
	size_t hp_len, hp_cap;
	/* The Date header (net/httpdate.h), a time source of last resort. */
	char hp_field[24];		/* the header name, up to 23 bytes */
	size_t hp_field_len;		/* may exceed the buffer: not Date */
	int hp_in_date;
	char hp_date[HTTPCLI_DATE_MAX];
	size_t hp_date_len;
	int hp_dates;			/* Date headers seen */
	int64_t hp_date_ms;		/* 0: none, or not exactly one valid */
};
/* head_only: the answer to a HEAD request (no body follows). */
void httpcli_parse_init(struct httpcli_parser *p, size_t max_body,
    int head_only);
/* Feed n bytes: 0 (more or done: see hp_done), CB_ETOOBIG past the
 * limits (max_body counts inflated bytes), CB_EPROTO when the bytes are
 * not an HTTP/1.1 response, its encoding is not gzip or identity, or its
 * gzip is corrupt or cut short; CB_ENOMEM. hp_error says which. */
int httpcli_parse_feed(struct httpcli_parser *p, const char *buf, size_t n);
/* The connection ended (EOF): completes a body delimited by close. */
int httpcli_parse_eof(struct httpcli_parser *p);
/* The refusal in words (for a person), into buf. */
void httpcli_parse_strerror(const struct httpcli_parser *p, char *buf,
    size_t size);
/* Frees the body (unless taken: set hp_body NULL) and the inflater. */
void httpcli_parse_free(struct httpcli_parser *p);

/* ---- the client ---- */
struct httpcli;

struct httpcli_resp {
	int hr_status;
	char *hr_body;			/* malloc'd, NUL-terminated, or NULL */
	size_t hr_len;
	int64_t hr_date_ms;		/* the Date header; 0 none or invalid */
	int hr_gzip;			/* httpcli_get_encoded: the body is
					 * gzip, as sent */
	int64_t hr_sent_mono_ms;	/* cb_mono_ms() before the request */
	int64_t hr_done_mono_ms;	/* ... and when the answer was in */
};
void httpcli_resp_free(struct httpcli_resp *r);

/* userpass "user:password" for HTTP Basic, or NULL. Copied (and wiped
 * when freed). The tlscli is borrowed. */
int httpcli_new(struct httpcli **out, struct tlscli *tls,
    const struct httpcli_url *url, const char *user, const char *password);
void httpcli_free(struct httpcli *h);

/* One request on the kept-alive connection (reconnecting when needed;
 * a request that failed on a reused connection before any answer is sent
 * once more on a new one). path starts with '/' and is appended to the
 * URL's prefix. body may be NULL. Any HTTP status is CB_OK here; a
 * failure of the link is CB_EIO / CB_EAGAIN / CB_ECRYPTO with
 * httpcli_err() saying why. */
int httpcli_request(struct httpcli *h, const char *method, const char *path,
    const char *body, size_t bodylen, struct httpcli_resp *r);
/* GET that keeps a gzip answer as sent (hr_gzip 1) instead of inflating
 * it: an attachment CouchDB stores gzip-encoded, whose digest is of those
 * bytes (sync/atts.h). Bounded by HTTPCLI_MAX_RESPONSE as sent. */
int httpcli_get_encoded(struct httpcli *h, const char *path,
    struct httpcli_resp *r);
const struct tlscli_err *httpcli_err(const struct httpcli *h);
/* Forget the connection (after a failure, or to test reconnects). */
void httpcli_disconnect(struct httpcli *h);
/* Bytes sent and received on the wire (TLS payload), for the bench. */
void httpcli_bytes(const struct httpcli *h, unsigned long long *sent,
    unsigned long long *received);
/* 1 while request bodies may go out gzipped: 0 once the peer answered a
 * gzipped body with 415 or 400 and the same body plain without (then it
 * stays 0 for the life of the client), or after httpcli_set_gzip(h, 0). */
int httpcli_gzip_requests(const struct httpcli *h);
void httpcli_set_gzip(struct httpcli *h, int on);

/* Percent-encode s for a URL path segment or query value (everything
 * but unreserved characters). CB_ETOOBIG when out is too small. */
int httpcli_escape(const char *s, char *out, size_t outsize);

/* The Date header of the last answer that had a valid one (every answer
 * comes over a connection whose certificate verified against the
 * enrolled CA), the round trip of its request and cb_mono_ms() when it
 * arrived. CB_ENOTFOUND when no answer had one. */
int httpcli_last_date(const struct httpcli *h, int64_t *date_ms,
    int64_t *rtt_ms, int64_t *mono_ms);

#endif
