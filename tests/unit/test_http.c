/*
 * test_http.c: request parsing and its limits (firmware/net/http_parse.h),
 * without sockets or TLS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "net/http_parse.h"
#include "t.h"

/* Feed s in pieces of step bytes (0: all at once); return the result. */
static int
feed(struct http_parse *ps, const char *s, size_t len, size_t step)
{
	int r = HTTP_PARSE_MORE;
	size_t off = 0;

	while (off < len && r == HTTP_PARSE_MORE) {
		size_t room, n = step ? step : len;
		char *p = http_parse_space(ps, &room);
		if (p == NULL || room == 0)
			return -1;
		if (n > len - off)
			n = len - off;
		if (n > room)
			n = room;
		memcpy(p, s + off, n);
		http_parse_commit(ps, n);
		off += n;
		r = http_parse_run(ps);
	}
	return r;
}

static int
parse_str(struct http_parse *ps, const char *s, size_t step)
{
	T_ASSERT(http_parse_init(ps, HTTP_INBUF_BYTES, HTTP_MAX_HEADER_BYTES,
	    0) == CB_OK);
	return feed(ps, s, strlen(s), step);
}

T_TEST(simple_get)
{
	struct http_parse ps;
	const char *req = "GET /api/x%20y?a=1&b=%41 HTTP/1.1\r\n"
	    "Host: box.local\r\nCookie: s=1\r\nX-CSRF-Token: tok  \r\n"
	    "Origin: https://box.local\r\n\r\n";

	for (size_t step = 0; step < 5; step++) {
		T_EQ_INT(parse_str(&ps, req, step), HTTP_PARSE_READY);
		T_EQ_INT(ps.hp_req.method, HTTP_M_GET);
		T_EQ_STR(ps.hp_req.path, "/api/x y");
		T_EQ_STR(ps.hp_req.query, "a=1&b=%41");
		T_EQ_STR(ps.hp_req.host, "box.local");
		T_EQ_STR(ps.hp_req.cookie, "s=1");
		T_EQ_STR(ps.hp_req.csrf_token, "tok");
		T_EQ_STR(ps.hp_req.origin, "https://box.local");
		T_ASSERT(ps.hp_req.referer == NULL);
		T_EQ_INT(ps.hp_req.body_len, 0);
		T_EQ_STR(ps.hp_req.body, "");
		T_ASSERT(ps.hp_keep_alive);
		http_parse_free(&ps);
	}
}

T_TEST(post_body_and_pipelining)
{
	struct http_parse ps;
	const char *req = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	    "\r\nhelloGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";

	T_EQ_INT(parse_str(&ps, req, 0), HTTP_PARSE_READY);
	T_EQ_INT(ps.hp_req.method, HTTP_M_POST);
	T_EQ_STR(ps.hp_req.body, "hello");
	T_EQ_INT(ps.hp_req.body_len, 5);
	T_ASSERT(http_parse_pending(&ps));
	http_parse_next(&ps);
	T_EQ_INT(http_parse_run(&ps), HTTP_PARSE_READY);
	T_EQ_STR(ps.hp_req.path, "/b");
	T_ASSERT(!ps.hp_keep_alive);
	http_parse_free(&ps);
}

T_TEST(chunked_body)
{
	struct http_parse ps;
	const char *req = "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";

	T_EQ_INT(parse_str(&ps, req, 3), HTTP_PARSE_READY);
	T_EQ_STR(ps.hp_req.body, "abcde");
	http_parse_free(&ps);
}

T_TEST(http10_closes)
{
	struct http_parse ps;

	T_EQ_INT(parse_str(&ps, "GET / HTTP/1.0\r\n\r\n", 0),
	    HTTP_PARSE_READY);
	T_ASSERT(!ps.hp_keep_alive);
	http_parse_free(&ps);
	T_EQ_INT(parse_str(&ps, "GET / HTTP/1.0\r\nConnection: keep-alive"
	    "\r\n\r\n", 0), HTTP_PARSE_READY);
	T_ASSERT(ps.hp_keep_alive);
	http_parse_free(&ps);
}

static void
expect_error(const char *req, int status)
{
	struct http_parse ps;

	T_EQ_INT(parse_str(&ps, req, 0), HTTP_PARSE_ERROR);
	T_EQ_INT(ps.hp_status, status);
	T_ASSERT(ps.hp_error != NULL);
	http_parse_free(&ps);
}

T_TEST(bad_requests)
{
	expect_error("garbage\r\n\r\n", 400);
	expect_error("GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_error("GET /a%ff HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_error("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_error("GET /a/../b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_error("GET /a/%2e%2e/b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_error("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_error("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	expect_error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400);
	/* Obsolete line folding (found by fuzz_http). */
	expect_error("GET / HTTP/1.1\r\nHost: x\r\n Cookie: a\r\n\r\n", 400);
	expect_error("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400);
}

/* RFC 9112: what a lenient parser lets through, each answered 400 (issue
 * 20). Every one of these was accepted before. */
T_TEST(rfc9112_strict)
{
	struct http_parse ps;

	/* 5.1: no whitespace between a field name and the colon. */
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nName : v\r\n\r\n", 400);
	/* "Host :" beside a real Host is not a header to ignore. */
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost : b\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost : b\r\nHost: a\r\n\r\n", 400);
	/* An empty field name. */
	expect_error("GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", 400);
	/* A field name must be a token. */
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nA\"b: v\r\n\r\n", 400);
	/* 3.2: HTTP/1.1 needs exactly one Host, with a valid value. */
	expect_error("GET / HTTP/1.1\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", 400);
	expect_error("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400);
	/* 3: a request line needs its version (no HTTP/0.9). */
	expect_error("GET /\r\n\r\n", 400);
	expect_error("GET /\r\n", 400);
	expect_error("GET / HTTP/0.9\r\n\r\n", 400);
	expect_error("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
	/* What stays accepted: HTTP/1.0 without Host, every valid Host. */
	T_EQ_INT(parse_str(&ps, "GET / HTTP/1.0\r\n\r\n", 0),
	    HTTP_PARSE_READY);
	http_parse_free(&ps);
	static const char *const hosts[] = { "box.local", "box.local:8443",
	    "10.0.0.2", "[::1]", "[fd00::1]:443", "my_box", "b%41x" };
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		char req[128];
		snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n"
		    "X-Tok_en!#$%%&'*+.^`|~: v\r\n\r\n", hosts[i]);
		T_EQ_INT(parse_str(&ps, req, 1), HTTP_PARSE_READY);
		T_EQ_STR(ps.hp_req.host, hosts[i]);
		http_parse_free(&ps);
	}
}

T_TEST(limits)
{
	char *big = malloc(HTTP_MAX_HEADER_BYTES + 100);
	char req[256];
	int n;

	/* One header larger than the limit: 431. */
	n = snprintf(big, 64, "GET / HTTP/1.1\r\nX-Big: ");
	memset(big + n, 'a', HTTP_MAX_HEADER_BYTES);
	strcpy(big + n + HTTP_MAX_HEADER_BYTES - 10, "\r\n\r\n");
	expect_error(big, 431);
	/* Too many headers: 431. */
	n = snprintf(big, 64, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
		n += snprintf(big + n, 16, "X-%d: v\r\n", i);
	strcpy(big + n, "\r\n");
	expect_error(big, 431);
	/* URL too long: 414. */
	n = snprintf(big, 64, "GET /");
	memset(big + n, 'u', HTTP_MAX_URL_BYTES);
	strcpy(big + n + HTTP_MAX_URL_BYTES, " HTTP/1.1\r\n\r\n");
	expect_error(big, 414);
	free(big);
	/* Declared body over the limit: 413 before any body byte. */
	snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d"
	    "\r\n\r\n", HTTP_MAX_BODY_BYTES + 1);
	expect_error(req, 413);
}

T_TEST(chunked_over_limit)
{
	struct http_parse ps;
	const char *head = "POST / HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n";
	char chunk[4096 + 16];
	int r;

	T_EQ_INT(parse_str(&ps, head, 0), HTTP_PARSE_MORE);
	memset(chunk, 'x', sizeof(chunk));
	memcpy(chunk, "1000\r\n", 6);
	memcpy(chunk + 6 + 4096, "\r\n", 2);
	for (int i = 0; i < HTTP_MAX_BODY_BYTES / 4096 + 1; i++)
		if ((r = feed(&ps, chunk, 6 + 4096 + 2, 1000)) != HTTP_PARSE_MORE)
			break;
	T_EQ_INT(r, HTTP_PARSE_ERROR);
	T_EQ_INT(ps.hp_status, 413);
	http_parse_free(&ps);
}

T_TEST(expect_continue)
{
	struct http_parse ps;

	T_EQ_INT(parse_str(&ps, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	    "Expect: 100-continue\r\n\r\n", 0), HTTP_PARSE_MORE);
	T_ASSERT(ps.hp_expect_continue);
	T_EQ_INT(ps.hp_state, HP_BODY);
	T_EQ_INT(feed(&ps, "abc", 3, 0), HTTP_PARSE_READY);
	T_EQ_STR(ps.hp_req.body, "abc");
	http_parse_free(&ps);
}

T_TEST(path_decode)
{
	char s[64];
	size_t n;

	strcpy(s, "/%E6%97%A5%E6%9C%AC");	/* 日本 */
	T_ASSERT(http_path_decode(s, strlen(s), &n) == NULL);
	T_EQ_STR(s, "/\xe6\x97\xa5\xe6\x9c\xac");
	T_EQ_INT(n, 7);
	strcpy(s, "/a+b%2Fc");
	T_ASSERT(http_path_decode(s, strlen(s), &n) == NULL);
	T_EQ_STR(s, "/a+b/c");
	strcpy(s, "/%1");
	T_ASSERT(http_path_decode(s, strlen(s), &n) != NULL);
	strcpy(s, "/a%0A");
	T_ASSERT(http_path_decode(s, strlen(s), &n) != NULL);
	strcpy(s, "/%C0%AF");	/* overlong '/' */
	T_ASSERT(http_path_decode(s, strlen(s), &n) != NULL);
	strcpy(s, "/..");
	T_ASSERT(http_path_decode(s, strlen(s), &n) != NULL);
	strcpy(s, "/a/.b/..c");
	T_ASSERT(http_path_decode(s, strlen(s), &n) == NULL);
	strcpy(s, "relative");
	T_ASSERT(http_path_decode(s, strlen(s), &n) != NULL);
}

T_TEST(host_sanitise)
{
	char out[64];

	T_EQ_INT(http_host_sanitise("box.school.jp:8080", out, sizeof(out)),
	    CB_OK);
	T_EQ_STR(out, "box.school.jp");
	T_EQ_INT(http_host_sanitise("[fe80::1]:80", out, sizeof(out)), CB_OK);
	T_EQ_STR(out, "[fe80::1]");
	T_EQ_INT(http_host_sanitise("10.0.0.2", out, sizeof(out)), CB_OK);
	T_EQ_INT(http_host_sanitise("evil.com/x", out, sizeof(out)),
	    CB_EINVAL);
	T_EQ_INT(http_host_sanitise("a\r\nSet-Cookie: x", out, sizeof(out)),
	    CB_EINVAL);
	T_EQ_INT(http_host_sanitise("a:99999999", out, sizeof(out)),
	    CB_EINVAL);
	T_EQ_INT(http_host_sanitise("[zz]", out, sizeof(out)), CB_EINVAL);
	T_EQ_INT(http_host_sanitise("", out, sizeof(out)), CB_EINVAL);
	T_EQ_INT(http_host_sanitise(NULL, out, sizeof(out)), CB_EINVAL);
}

T_TEST(reason)
{
	T_EQ_STR(http_reason(431), "Request Header Fields Too Large");
	T_EQ_STR(http_reason(999), "Unknown");
}

/* Query values: cb_pct_decode, shared by the class queries and file names. */
T_TEST(pct_decode)
{
	char out[8];

	T_EQ_INT(cb_pct_decode("a%2Fb", 5, out, sizeof(out), 0), 3);
	T_EQ_STR(out, "a/b");
	T_EQ_INT(cb_pct_decode("a+b", 3, out, sizeof(out), 0), 3);
	T_EQ_STR(out, "a+b");
	T_EQ_INT(cb_pct_decode("a+b", 3, out, sizeof(out), 1), 3);
	T_EQ_STR(out, "a b");
	T_EQ_INT(cb_pct_decode("%e6%95%b0", 9, out, sizeof(out), 1), 3);
	T_EQ_STR(out, "\xe6\x95\xb0");
	T_EQ_INT(cb_pct_decode("", 0, out, sizeof(out), 0), 0);
	T_EQ_STR(out, "");
	T_EQ_INT(cb_pct_decode("%4", 2, out, sizeof(out), 0), -1);
	T_EQ_INT(cb_pct_decode("%zz", 3, out, sizeof(out), 0), -1);
	T_EQ_INT(cb_pct_decode("ab%", 3, out, sizeof(out), 0), -1);
	T_EQ_INT(cb_pct_decode("1234567", 7, out, sizeof(out), 0), 7);
	T_EQ_INT(cb_pct_decode("12345678", 8, out, sizeof(out), 0), -1);
	T_EQ_INT(cb_pct_decode("a", 1, out, 0, 0), -1);
}

T_MAIN()
