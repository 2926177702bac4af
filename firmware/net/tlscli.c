/*
 * tlscli.c: the TLS client of the cloud link, mbedTLS 3.6. Everything
 * mbedTLS of the client side stays here.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>	/* only for its error codes */
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "base/cb.h"
#include "base/date.h"
#include "net/httpdate.h"
#include "net/tlscli.h"

#define TLSCLI_DRBG_PERS	"classbox sync tls"
#define TLSCLI_PROXY_AUTH_MAX	512	/* user:password before base64 */

struct tlscli {
	mbedtls_entropy_context c_entropy;
	mbedtls_ctr_drbg_context c_drbg;
	mbedtls_ssl_config c_conf;
	mbedtls_x509_crt c_ca;
	mbedtls_x509_crt c_cert;
	mbedtls_pk_context c_key;
	char *c_proxy_host;
	int c_proxy_port;
	char *c_proxy_auth;		/* base64 of user:password, or NULL */
	char c_proxy_from[TLSCLI_PROXY_FROM_MAX];	/* "": enrollment */
	int64_t c_floor_ms;		/* validity judged at max(now, this) */
	int c_connect_ms, c_io_ms;
};

struct tlscli_conn {
	mbedtls_ssl_context tc_ssl;
	int tc_fd;
	int tc_io_ms;
	int64_t tc_deadline;		/* of the operation under way */
	int tc_timed_out;
	int tc_reads;			/* application reads so far */
};

/* AEAD only, ECDHE only. Wider than the server's list (net/tls.c) on
 * purpose: the box's own certificate is ECDSA, but the cloud's may be RSA
 * or use P-384, and the box cannot choose the platform's certificates. */
static const int tlscli_suites[] = {
	MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
	MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
	MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0
};

static const uint16_t tlscli_groups[] = {
	MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
	MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
	MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
	MBEDTLS_SSL_IANA_TLS_GROUP_NONE
};

static const char *tlscli_alpn[] = { "http/1.1", NULL };

__attribute__((format(printf, 3, 4)))
static int
tc_fail(struct tlscli_err *err, enum tlscli_why why, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->te_why = why;
		va_start(ap, fmt);
		vsnprintf(err->te_msg, sizeof(err->te_msg), fmt, ap);
		va_end(ap);
	}
	switch (why) {
	case TLSCLI_TIMEOUT:
		return CB_EAGAIN;
	case TLSCLI_CONFIG:
		return CB_EINVAL;
	case TLSCLI_UNTRUSTED: case TLSCLI_NAME: case TLSCLI_EXPIRED:
	case TLSCLI_NOTYET: case TLSCLI_CLIENT_CERT: case TLSCLI_HANDSHAKE:
		return CB_ECRYPTO;
	default:
		return CB_EIO;
	}
}

static int
tc_pem(mbedtls_x509_crt *crt, const char *pem, const char *what,
    struct tlscli_err *err)
{
	if (pem == NULL || mbedtls_x509_crt_parse(crt,
	    (const unsigned char *)pem, strlen(pem) + 1) != 0)
		return tc_fail(err, TLSCLI_CONFIG, "the %s in the enrollment "
		    "is not a valid PEM certificate", what);
	return CB_OK;
}

static int
tc_proxy_setup(struct tlscli *c, const struct tlscli_config *cfg)
{
	char up[TLSCLI_PROXY_AUTH_MAX];
	size_t olen;
	int n;

	if (cfg->tc_proxy_host == NULL)
		return CB_OK;
	if ((c->c_proxy_host = strdup(cfg->tc_proxy_host)) == NULL)
		return CB_ENOMEM;
	c->c_proxy_port = cfg->tc_proxy_port;
	if (cfg->tc_proxy_from != NULL)
		snprintf(c->c_proxy_from, sizeof(c->c_proxy_from), "%s",
		    cfg->tc_proxy_from);
	if (cfg->tc_proxy_user == NULL)
		return CB_OK;
	n = snprintf(up, sizeof(up), "%s:%s", cfg->tc_proxy_user,
	    cfg->tc_proxy_password ? cfg->tc_proxy_password : "");
	if (n < 0 || (size_t)n >= sizeof(up))
		return CB_ETOOBIG;
	size_t cap = 4 * ((size_t)n / 3 + 1) + 1;
	if ((c->c_proxy_auth = malloc(cap)) == NULL ||
	    mbedtls_base64_encode((unsigned char *)c->c_proxy_auth, cap,
	    &olen, (unsigned char *)up, (size_t)n) != 0) {
		cb_wipe(up, sizeof(up));
		return CB_ENOMEM;
	}
	cb_wipe(up, sizeof(up));
	return CB_OK;
}

/* An X.509 time (UTC) in ms since the epoch. */
static int64_t
tc_x509_ms(const mbedtls_x509_time *t)
{
	int64_t days = cb_days_from_civil(t->year, t->mon, t->day);

	return ((days * 24 + t->hour) * 60 + t->min) * 60000LL +
	    t->sec * 1000LL;
}

/* Per certificate of the chain: when the kernel's clock is behind the
 * floor, judge the validity period at the floor instead. */
static int
tc_verify_time(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	const struct tlscli *c = ctx;

	(void)depth;
	if (c->c_floor_ms <= cb_now_ms())
		return 0;
	*flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED |
	    MBEDTLS_X509_BADCERT_FUTURE);
	if (tc_x509_ms(&crt->valid_to) < c->c_floor_ms)
		*flags |= MBEDTLS_X509_BADCERT_EXPIRED;
	if (tc_x509_ms(&crt->valid_from) > c->c_floor_ms)
		*flags |= MBEDTLS_X509_BADCERT_FUTURE;
	return 0;
}

void
tlscli_set_time_floor(struct tlscli *c, int64_t floor_ms)
{
	c->c_floor_ms = floor_ms;
}

static int
tc_configure(struct tlscli *c)
{
	mbedtls_ssl_config *conf = &c->c_conf;

	if (mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		return CB_ECRYPTO;
	mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
	mbedtls_ssl_conf_max_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_3);
	mbedtls_ssl_conf_ciphersuites(conf, tlscli_suites);
	mbedtls_ssl_conf_groups(conf, tlscli_groups);
	mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(conf, &c->c_ca, NULL);
	mbedtls_ssl_conf_verify(conf, tc_verify_time, c);
	mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &c->c_drbg);
	if (mbedtls_ssl_conf_own_cert(conf, &c->c_cert, &c->c_key) != 0 ||
	    mbedtls_ssl_conf_alpn_protocols(conf, tlscli_alpn) != 0)
		return CB_ECRYPTO;
	return CB_OK;
}

int
tlscli_new(struct tlscli **out, const struct tlscli_config *cfg,
    struct tlscli_err *err)
{
	struct tlscli *c;
	int rc;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (psa_crypto_init() != PSA_SUCCESS)
		return tc_fail(err, TLSCLI_CONFIG, "cannot start PSA crypto");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CB_ENOMEM;
	mbedtls_entropy_init(&c->c_entropy);
	mbedtls_ctr_drbg_init(&c->c_drbg);
	mbedtls_ssl_config_init(&c->c_conf);
	mbedtls_x509_crt_init(&c->c_ca);
	mbedtls_x509_crt_init(&c->c_cert);
	mbedtls_pk_init(&c->c_key);
	c->c_connect_ms = cfg->tc_connect_timeout_ms > 0 ?
	    cfg->tc_connect_timeout_ms : TLSCLI_CONNECT_TIMEOUT_MS;
	c->c_io_ms = cfg->tc_io_timeout_ms > 0 ? cfg->tc_io_timeout_ms :
	    TLSCLI_IO_TIMEOUT_MS;
	/* Seeded here, in the process that uses it: never across fork. */
	if (mbedtls_ctr_drbg_seed(&c->c_drbg, mbedtls_entropy_func,
	    &c->c_entropy, (const unsigned char *)TLSCLI_DRBG_PERS,
	    strlen(TLSCLI_DRBG_PERS)) != 0) {
		rc = tc_fail(err, TLSCLI_CONFIG, "cannot seed the random "
		    "generator");
		goto fail;
	}
	if ((rc = tc_pem(&c->c_ca, cfg->tc_ca_pem, "CA certificate", err)) ||
	    (rc = tc_pem(&c->c_cert, cfg->tc_cert_pem, "client certificate",
	    err)))
		goto fail;
	if (cfg->tc_key_pem == NULL || mbedtls_pk_parse_key(&c->c_key,
	    (const unsigned char *)cfg->tc_key_pem,
	    strlen(cfg->tc_key_pem) + 1, NULL, 0, mbedtls_ctr_drbg_random,
	    &c->c_drbg) != 0) {
		rc = tc_fail(err, TLSCLI_CONFIG, "the client key in the "
		    "enrollment is not a valid unencrypted PEM key");
		goto fail;
	}
	if (mbedtls_pk_check_pair(&c->c_cert.pk, &c->c_key,
	    mbedtls_ctr_drbg_random, &c->c_drbg) != 0) {
		rc = tc_fail(err, TLSCLI_CONFIG, "the client key does not "
		    "belong to the client certificate");
		goto fail;
	}
	if ((rc = tc_proxy_setup(c, cfg)) != 0 || (rc = tc_configure(c))) {
		tc_fail(err, TLSCLI_CONFIG, "cannot configure TLS: %s",
		    cb_strerror(rc));
		goto fail;
	}
	*out = c;
	return CB_OK;
fail:
	tlscli_free(c);
	return rc;
}

void
tlscli_free(struct tlscli *c)
{
	if (c == NULL)
		return;
	mbedtls_ssl_config_free(&c->c_conf);
	mbedtls_x509_crt_free(&c->c_ca);
	mbedtls_x509_crt_free(&c->c_cert);
	mbedtls_pk_free(&c->c_key);
	mbedtls_ctr_drbg_free(&c->c_drbg);
	mbedtls_entropy_free(&c->c_entropy);
	free(c->c_proxy_host);
	if (c->c_proxy_auth != NULL) {
		cb_wipe(c->c_proxy_auth, strlen(c->c_proxy_auth));
		free(c->c_proxy_auth);
	}
	free(c);
}

/* ---- sockets with deadlines ---- */

static int
tc_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - cb_mono_ms();
		if (left <= 0)
			return CB_EAGAIN;
		n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0)
			return CB_OK;
		if (n < 0 && errno != EINTR)
			return CB_EIO;
	}
}

static int
tc_tcp_one(const struct addrinfo *ai, int64_t deadline, int *fdp)
{
	int fd, one = 1, soerr = 0;
	socklen_t sl = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			soerr = errno;
			close(fd);
			return -soerr;
		}
		if (tc_wait(fd, POLLOUT, deadline) != CB_OK) {
			close(fd);
			return -ETIMEDOUT;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
		    soerr != 0) {
			close(fd);
			return -(soerr ? soerr : EIO);
		}
	}
	*fdp = fd;
	return 0;
}

static int
tc_tcp(const char *host, int port, int64_t deadline, int *fdp,
    struct tlscli_err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_family = AF_UNSPEC }, *res, *ai;
	char portstr[16];
	int rc, e = ECONNREFUSED;

	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0)
		return tc_fail(err, TLSCLI_RESOLVE, "cannot resolve %s: %s",
		    host, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((rc = tc_tcp_one(ai, deadline, fdp)) == 0)
			break;
		e = -rc;
	}
	freeaddrinfo(res);
	if (ai != NULL)
		return CB_OK;
	if (e == ETIMEDOUT)
		return tc_fail(err, TLSCLI_TIMEOUT, "no answer from %s port "
		    "%d (link down?)", host, port);
	if (e == ECONNREFUSED)
		return tc_fail(err, TLSCLI_REFUSED, "%s port %d refused the "
		    "connection", host, port);
	return tc_fail(err, TLSCLI_CUT, "cannot connect to %s port %d: %s",
	    host, port, strerror(e));
}

static int
tc_send_all(int fd, const char *p, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (tc_wait(fd, POLLOUT, deadline) != CB_OK)
				return CB_EAGAIN;
		} else
			return CB_EIO;
	}
	return CB_OK;
}

/* CONNECT host:port through the proxy; read its answer byte by byte so
 * that nothing of the tunnel is consumed. */
static int
tc_proxy(struct tlscli *c, int fd, const char *host, int port,
    int64_t deadline, struct tlscli_err *err)
{
	char req[TLSCLI_HOST_MAX + TLSCLI_PROXY_AUTH_MAX * 2 + 256];
	char reply[TLSCLI_PROXY_REPLY_MAX];
	size_t len = 0;
	int n, code;

	n = snprintf(req, sizeof(req), "CONNECT %s:%d HTTP/1.1\r\n"
	    "Host: %s:%d\r\n%s%s%s\r\n", host, port, host, port,
	    c->c_proxy_auth ? "Proxy-Authorization: Basic " : "",
	    c->c_proxy_auth ? c->c_proxy_auth : "",
	    c->c_proxy_auth ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(req))
		return tc_fail(err, TLSCLI_CONFIG, "proxy request too long");
	int rc = tc_send_all(fd, req, (size_t)n, deadline);
	cb_wipe(req, sizeof(req));
	if (rc != CB_OK)
		return tc_fail(err, rc == CB_EAGAIN ? TLSCLI_TIMEOUT :
		    TLSCLI_CUT, "the proxy did not take the request");
	while (len < sizeof(reply) - 1) {
		ssize_t r = recv(fd, reply + len, 1, 0);
		if (r == 1) {
			len++;
			if (len >= 4 && memcmp(reply + len - 4, "\r\n\r\n",
			    4) == 0)
				break;
		} else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (tc_wait(fd, POLLIN, deadline) != CB_OK)
				return tc_fail(err, TLSCLI_TIMEOUT, "the "
				    "proxy did not answer in time");
		} else
			return tc_fail(err, TLSCLI_PROXY, "the proxy closed "
			    "the connection");
	}
	reply[len] = 0;
	if (sscanf(reply, "HTTP/1.%*d %d", &code) != 1)
		return tc_fail(err, TLSCLI_PROXY, "the proxy answered "
		    "something other than HTTP");
	/* 407 is the standard answer; tinyproxy 1.11 answers wrong
	 * credentials with 401. Before the tunnel stands, either is the
	 * proxy's: the cloud has not been reached. */
	if ((code == 407 || code == 401) && c->c_proxy_from[0] != '\0')
		return tc_fail(err, TLSCLI_PROXY_AUTH, "proxy authentication "
		    "failed: the proxy refused %s %s (HTTP %d)",
		    c->c_proxy_auth ? "the user and password set" :
		    "to work without a user and password; none is set",
		    c->c_proxy_from, code);
	if (code == 407 || code == 401)
		return tc_fail(err, TLSCLI_PROXY_AUTH, "proxy authentication "
		    "failed: the proxy refused %s (HTTP %d)", c->c_proxy_auth ?
		    "the enrolled proxy_user/proxy_password" :
		    "to work without proxy_user/proxy_password", code);
	if (code != 200)
		return tc_fail(err, TLSCLI_PROXY, "the proxy refused the "
		    "tunnel (HTTP %d)", code);
	return CB_OK;
}

/* ---- mbedTLS I/O callbacks: non-blocking socket, our deadlines ---- */

static int
tc_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tlscli_conn *tc = ctx;

	for (;;) {
		ssize_t n = send(tc->tc_fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return MBEDTLS_ERR_NET_SEND_FAILED;
		if (tc_wait(tc->tc_fd, POLLOUT, tc->tc_deadline) != CB_OK) {
			tc->tc_timed_out = 1;
			return MBEDTLS_ERR_SSL_TIMEOUT;
		}
	}
}

static int
tc_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tlscli_conn *tc = ctx;

	for (;;) {
		ssize_t n = recv(tc->tc_fd, buf, len, 0);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return MBEDTLS_ERR_NET_CONN_RESET;
		if (errno != EAGAIN)
			return MBEDTLS_ERR_NET_RECV_FAILED;
		if (tc_wait(tc->tc_fd, POLLIN, tc->tc_deadline) != CB_OK) {
			tc->tc_timed_out = 1;
			return MBEDTLS_ERR_SSL_TIMEOUT;
		}
	}
}

/* The certificate problems, most telling first. */
static int
tc_verify_fail(uint32_t flags, const char *host, struct tlscli_err *err)
{
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return tc_fail(err, TLSCLI_UNTRUSTED, "server certificate not "
		    "trusted (not signed by the enrolled CA)");
	if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
		return tc_fail(err, TLSCLI_EXPIRED, "server certificate "
		    "expired (or this box's clock is wrong)");
	if (flags & MBEDTLS_X509_BADCERT_FUTURE)
		return tc_fail(err, TLSCLI_NOTYET, "server certificate not "
		    "valid yet (or this box's clock is wrong)");
	if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		return tc_fail(err, TLSCLI_NAME, "server certificate is not "
		    "for host %s (host name mismatch)", host);
	return tc_fail(err, TLSCLI_UNTRUSTED, "server certificate refused "
	    "(verification flags 0x%x)", (unsigned)flags);
}

static int
tc_io_fail(struct tlscli_conn *tc, int ret, const char *when,
    struct tlscli_err *err)
{
	char msg[96];

	if (tc->tc_timed_out || ret == MBEDTLS_ERR_SSL_TIMEOUT)
		return tc_fail(err, TLSCLI_TIMEOUT, "the cloud stopped "
		    "answering during %s (link stalled)", when);
	if (ret == MBEDTLS_ERR_NET_CONN_RESET ||
	    ret == MBEDTLS_ERR_NET_RECV_FAILED ||
	    ret == MBEDTLS_ERR_NET_SEND_FAILED ||
	    ret == MBEDTLS_ERR_SSL_CONN_EOF ||
	    ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		return tc_fail(err, TLSCLI_CUT, "connection to the cloud cut "
		    "during %s", when);
	mbedtls_strerror(ret, msg, sizeof(msg));
	return tc_fail(err, TLSCLI_HANDSHAKE, "TLS failed during %s: %s",
	    when, msg);
}

static int
tc_handshake(struct tlscli_conn *tc, const char *host, int64_t deadline,
    struct tlscli_err *err)
{
	uint32_t flags;
	int ret;

	tc->tc_deadline = deadline;
	while ((ret = mbedtls_ssl_handshake(&tc->tc_ssl)) != 0) {
		if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
		    ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		flags = mbedtls_ssl_get_verify_result(&tc->tc_ssl);
		if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ||
		    (flags != 0 && flags != (uint32_t)-1))
			return tc_verify_fail(flags, host, err);
		if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
			return tc_fail(err, TLSCLI_CLIENT_CERT, "the cloud "
			    "ended the TLS handshake with an alert (client "
			    "certificate rejected, or no common cipher)");
		return tc_io_fail(tc, ret, "the TLS handshake", err);
	}
	return CB_OK;
}

int
tlscli_connect(struct tlscli *c, const char *host, int port,
    struct tlscli_conn **out, struct tlscli_err *err)
{
	int64_t deadline = cb_mono_ms() + c->c_connect_ms;
	struct tlscli_conn *tc;
	int rc, fd;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (strlen(host) > TLSCLI_HOST_MAX)
		return tc_fail(err, TLSCLI_CONFIG, "host name too long");
	rc = c->c_proxy_host ? tc_tcp(c->c_proxy_host, c->c_proxy_port,
	    deadline, &fd, err) : tc_tcp(host, port, deadline, &fd, err);
	if (rc != CB_OK && c->c_proxy_host) {
		/* Say it was the proxy, not the cloud, that is not there. */
		char m[TLSCLI_ERR_MAX];

		snprintf(m, sizeof(m), "%s", err->te_msg);
		snprintf(err->te_msg, sizeof(err->te_msg), "cannot reach the "
		    "proxy: %.170s", m);
	}
	if (rc != CB_OK)
		return rc;
	if (c->c_proxy_host &&
	    (rc = tc_proxy(c, fd, host, port, deadline, err)) != CB_OK) {
		close(fd);
		return rc;
	}
	if ((tc = calloc(1, sizeof(*tc))) == NULL) {
		close(fd);
		return CB_ENOMEM;
	}
	tc->tc_fd = fd;
	tc->tc_io_ms = c->c_io_ms;
	mbedtls_ssl_init(&tc->tc_ssl);
	if (mbedtls_ssl_setup(&tc->tc_ssl, &c->c_conf) != 0 ||
	    mbedtls_ssl_set_hostname(&tc->tc_ssl, host) != 0) {
		tlscli_close(tc);
		return tc_fail(err, TLSCLI_CONFIG, "cannot set up TLS");
	}
	mbedtls_ssl_set_bio(&tc->tc_ssl, tc, tc_bio_send, tc_bio_recv, NULL);
	if ((rc = tc_handshake(tc, host, deadline, err)) != CB_OK) {
		close(tc->tc_fd);
		tc->tc_fd = -1;
		tlscli_close(tc);
		return rc;
	}
	*out = tc;
	return CB_OK;
}

int
tlscli_read(struct tlscli_conn *tc, void *buf, size_t len, size_t *got,
    struct tlscli_err *err)
{
	int ret;

	*got = 0;
	tc->tc_deadline = cb_mono_ms() + tc->tc_io_ms;
	tc->tc_timed_out = 0;
	for (;;) {
		ret = mbedtls_ssl_read(&tc->tc_ssl, buf, len);
		if (ret > 0) {
			*got = (size_t)ret;
			tc->tc_reads++;
			return CB_OK;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
		    ret == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			tc_fail(err, TLSCLI_CUT, "the cloud closed the "
			    "connection");
			return CB_EIO;
		}
		/* TLS 1.3: the server judges our certificate after our
		 * Finished, so its refusal is the first thing we read. */
		if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE &&
		    tc->tc_reads == 0)
			return tc_fail(err, TLSCLI_CLIENT_CERT, "the cloud "
			    "rejected this box's client certificate");
		int rc = tc_io_fail(tc, ret, "a read", err);
		return rc == CB_EAGAIN ? CB_EAGAIN : CB_EIO;
	}
}

int
tlscli_write(struct tlscli_conn *tc, const void *buf, size_t len,
    struct tlscli_err *err)
{
	const unsigned char *p = buf;
	int ret;

	tc->tc_deadline = cb_mono_ms() + tc->tc_io_ms;
	tc->tc_timed_out = 0;
	while (len > 0) {
		ret = mbedtls_ssl_write(&tc->tc_ssl, p, len);
		if (ret > 0) {
			p += ret;
			len -= (size_t)ret;
			tc->tc_deadline = cb_mono_ms() + tc->tc_io_ms;
			continue;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
		    ret == MBEDTLS_ERR_SSL_WANT_WRITE ||
		    ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		int rc = tc_io_fail(tc, ret, "a write", err);
		return rc == CB_EAGAIN ? CB_EAGAIN : CB_EIO;
	}
	return CB_OK;
}

void
tlscli_close(struct tlscli_conn *tc)
{
	if (tc == NULL)
		return;
	if (tc->tc_fd >= 0) {
		tc->tc_deadline = cb_mono_ms() + 100;
		(void)mbedtls_ssl_close_notify(&tc->tc_ssl);
		close(tc->tc_fd);
	}
	mbedtls_ssl_free(&tc->tc_ssl);
	free(tc);
}

const char *
tlscli_version(const struct tlscli_conn *tc)
{
	return mbedtls_ssl_get_version(&tc->tc_ssl);
}

const char *
tlscli_ciphersuite(const struct tlscli_conn *tc)
{
	return mbedtls_ssl_get_ciphersuite(&tc->tc_ssl);
}
