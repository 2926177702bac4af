/*
 * health.c: the health check of a trial boot. A blocking TLS client (the
 * only one on the box besides sync's) that pins the box's own certificate,
 * and one request to auth.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "auth/authclient.h"
#include "auth/authproto.h"
#include "base/cb.h"
#include "net/cert_nc.h"
#include "net/sockaddr.h"
#include "update/health.h"

#define HEALTH_REQ \
	"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
#define HEALTH_OK	"HTTP/1.1 200 "

static int
health_send(void *ctx, const unsigned char *buf, size_t len)
{
	ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);

	return n < 0 ? MBEDTLS_ERR_SSL_INTERNAL_ERROR : (int)n;
}

static int
health_recv(void *ctx, unsigned char *buf, size_t len)
{
	ssize_t n = recv(*(int *)ctx, buf, len, 0);

	if (n < 0)
		return MBEDTLS_ERR_SSL_TIMEOUT;
	return (int)n;
}

/* The handshake, the certificate pin, one GET /healthz. */
static int
health_tls(mbedtls_ssl_context *ssl, const mbedtls_x509_crt *pin, char *why,
    size_t why_size)
{
	const mbedtls_x509_crt *peer;
	unsigned char buf[256];
	size_t got = 0;
	int ret;

	while ((ret = mbedtls_ssl_handshake(ssl)) != 0)
		if (ret != MBEDTLS_ERR_SSL_WANT_READ &&
		    ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
			snprintf(why, why_size, "web: TLS handshake failed "
			    "(-0x%04x)", (unsigned)-ret);
			return CB_EPROTO;
		}
	peer = mbedtls_ssl_get_peer_cert(ssl);
	if (peer == NULL || peer->raw.len != pin->raw.len ||
	    memcmp(peer->raw.p, pin->raw.p, pin->raw.len) != 0) {
		snprintf(why, why_size, "web: answered with another "
		    "certificate than the box's own");
		return CB_ECRYPTO;
	}
	if (mbedtls_ssl_write(ssl, (const unsigned char *)HEALTH_REQ,
	    sizeof(HEALTH_REQ) - 1) != (int)sizeof(HEALTH_REQ) - 1) {
		snprintf(why, why_size, "web: cannot send the request");
		return CB_EIO;
	}
	while (got < sizeof(HEALTH_OK) - 1) {
		ret = mbedtls_ssl_read(ssl, buf + got, sizeof(buf) - got);
		if (ret <= 0)
			break;
		got += (size_t)ret;
	}
	if (got < sizeof(HEALTH_OK) - 1 ||
	    memcmp(buf, HEALTH_OK, sizeof(HEALTH_OK) - 1) != 0) {
		snprintf(why, why_size, "web: /healthz did not answer 200");
		return CB_EIO;
	}
	return CB_OK;
}

static int
health_web(const struct health_target *t, char *why, size_t why_size)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_x509_crt pin;
	int fd = -1, rc = CB_ECRYPTO;

	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_ssl_config_init(&conf);
	mbedtls_ssl_init(&ssl);
	mbedtls_x509_crt_init(&pin);
	if (psa_crypto_init() != PSA_SUCCESS ||
	    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent,
	    (const unsigned char *)"classbox-health", 15) != 0) {
		snprintf(why, why_size, "health: cannot seed the RNG");
		goto out;
	}
	/* The chain's CA carries name constraints: cert_x509_parse_file. */
	if (cert_x509_parse_file(&pin, t->ht_cert) != CB_OK) {
		snprintf(why, why_size, "web: no certificate in %s yet",
		    t->ht_cert);
		rc = CB_ENOTFOUND;
		goto out;
	}
	if (mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		goto out;
	/* Pinned below by comparing the whole certificate. */
	mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	if (mbedtls_ssl_setup(&ssl, &conf) != 0)
		goto out;
	if ((fd = sa_connect(t->ht_addr, t->ht_port,
	    HEALTH_IO_TIMEOUT_MS)) == -1) {
		snprintf(why, why_size, "web: nothing listens on %s port %d",
		    t->ht_addr, t->ht_port);
		rc = CB_EUNAVAIL;
		goto out;
	}
	mbedtls_ssl_set_bio(&ssl, &fd, health_send, health_recv, NULL);
	rc = health_tls(&ssl, &pin, why, why_size);
out:
	if (fd != -1)
		close(fd);
	mbedtls_x509_crt_free(&pin);
	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return rc;
}

/* Any answer from auth (even "no such user") proves it serves. */
static int
health_auth(const struct health_target *t, char *why, size_t why_size)
{
	struct auth_user_ref req;
	struct auth_user_r r;
	int rc;

	memset(&req, 0, sizeof(req));
	cb_strlcpy(req.aur_uid, "admin", sizeof(req.aur_uid));
	rc = authc_call_sync(t->ht_auth_sock, AUTH_USER_GET, &req, sizeof(req),
	    AUTH_USER_R, &r, sizeof(r));
	if (rc != CB_OK)
		snprintf(why, why_size, "auth: no answer on %s (%s)",
		    t->ht_auth_sock, cb_strerror(rc));
	return rc;
}

int
health_probe(const struct health_target *t, char *why, size_t why_size)
{
	int rc;

	if ((rc = health_web(t, why, why_size)) != CB_OK)
		return rc;
	return health_auth(t, why, why_size);
}
