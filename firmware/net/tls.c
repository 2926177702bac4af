/*
 * tls.c: server-side TLS with mbedTLS 3.6. Everything mbedTLS stays here.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>	/* only for its error codes */
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "base/cb.h"
#include "base/file.h"
#include "net/cert_nc.h"
#include "net/tls.h"

#define TLS_DRBG_PERS		"classbox web tls"
#define TLS_SERIAL_BYTES	16	/* RFC 5280 allows up to 20 */
#define TLS_HOSTNAME_MAX	64
#define TLS_CLOCK_SKEW_S	86400	/* notBefore this far in the past */

/* A certificate chain and key loaded by tls_server_reload. Handshakes in
 * progress keep the one they started with: each connection holds a
 * reference, and the last one out frees it. */
struct tls_ident {
	mbedtls_x509_crt ti_cert;
	mbedtls_pk_context ti_key;
	unsigned ti_refs;
};

struct tls_server {
	mbedtls_entropy_context ts_entropy;
	mbedtls_ctr_drbg_context ts_drbg;
	mbedtls_ssl_config ts_conf;
	mbedtls_ssl_ticket_context ts_ticket;
	mbedtls_x509_crt ts_cert;
	mbedtls_pk_context ts_key;
	struct tls_ident *ts_id;	/* NULL: ts_cert and ts_key */
};

struct tls_conn {
	mbedtls_ssl_context tc_ssl;
	int tc_fd;
	struct tls_server *tc_ts;
	struct tls_ident *tc_id;	/* the identity it was given */
};

/* AEAD only: no CBC (Lucky13 and friends), no RSA key exchange. */
static const int tls_suites[] = {
	MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
	MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
	MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	0
};

/* P-256 first: in mbedTLS it costs less CPU per handshake than X25519. */
static const uint16_t tls_groups[] = {
	MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
	MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
	MBEDTLS_SSL_IANA_TLS_GROUP_NONE
};

/* HTTP/1.0 too: some tools offer only that, and a mismatch is fatal. */
static const char *tls_alpn[] = { "http/1.1", "http/1.0", NULL };

static void
tls_log_err(const char *what, int ret)
{
	char msg[128];

	mbedtls_strerror(ret, msg, sizeof(msg));
	log_err("tls: %s: %s (-0x%04x)", what, msg, (unsigned)-ret);
}

/* Read a whole small file, NUL-terminated as mbedTLS's PEM parser wants. */
static int
tls_read_file(const char *path, unsigned char *buf, size_t cap, size_t *len)
{
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? CB_ENOTFOUND : CB_EIO;
	while (off < cap - 1) {
		n = read(fd, buf + off, cap - 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (n == -1 || off == cap - 1) {
		log_err("tls: %s: %s", path, n == -1 ? strerror(errno) :
		    "larger than TLS_PEM_MAX: is it really a PEM file?");
		close(fd);
		return n == -1 ? CB_EIO : CB_ETOOBIG;
	}
	close(fd);
	buf[off] = '\0';
	*len = off + 1;
	return CB_OK;
}

/* The key and the certificate: cb_write_file_atomic (a power cut leaves
 * the old file or the new one), with a hint for the usual cause. */
static int
tls_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int rc = cb_write_file_atomic(path, data, len, mode);

	if (rc != CB_OK)
		log_err("tls: cannot write %s (check the directory exists and "
		    "belongs to the web user)", path);
	return rc;
}

static int
tls_gen_key(struct tls_server *ts, const char *key_path)
{
	unsigned char pem[TLS_PEM_MAX];
	int ret, rc;

	ret = mbedtls_pk_setup(&ts->ts_key,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (ret == 0)
		ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
		    mbedtls_pk_ec(ts->ts_key), mbedtls_ctr_drbg_random,
		    &ts->ts_drbg);
	if (ret == 0)
		ret = mbedtls_pk_write_key_pem(&ts->ts_key, pem, sizeof(pem));
	if (ret != 0) {
		tls_log_err("generating the ECDSA P-256 key", ret);
		return CB_ECRYPTO;
	}
	rc = tls_write_file(key_path, pem, strlen((char *)pem), 0600);
	cb_wipe(pem, sizeof(pem));
	if (rc == CB_OK)
		log_info("tls: generated a new ECDSA P-256 key in %s", key_path);
	return rc;
}

static int
tls_load_key(struct tls_server *ts, const char *key_path)
{
	unsigned char pem[TLS_PEM_MAX];
	struct stat st;
	size_t len;
	int rc, ret;

	rc = tls_read_file(key_path, pem, sizeof(pem), &len);
	if (rc == CB_ENOTFOUND)
		return tls_gen_key(ts, key_path);
	if (rc != CB_OK)
		return rc;
	if (stat(key_path, &st) == 0 && (st.st_mode & 077))
		log_warn("tls: %s is readable by other users; chmod 600 it",
		    key_path);
	ret = mbedtls_pk_parse_key(&ts->ts_key, pem, len, NULL, 0,
	    mbedtls_ctr_drbg_random, &ts->ts_drbg);
	cb_wipe(pem, sizeof(pem));
	if (ret != 0) {
		tls_log_err(key_path, ret);
		return CB_EINVAL;
	}
	if (!mbedtls_pk_can_do(&ts->ts_key, MBEDTLS_PK_ECDSA)) {
		log_err("tls: %s is not an ECDSA key; the ciphersuites need one",
		    key_path);
		return CB_EINVAL;
	}
	return CB_OK;
}

/* The host name, when it is a plain DNS label sequence worth a SAN. */
static int
tls_hostname(char *buf, size_t size)
{
	if (gethostname(buf, size) == -1 || buf[0] == '\0')
		return 0;
	buf[size - 1] = '\0';
	for (const char *p = buf; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return 0;
	return strcmp(buf, "localhost") != 0;
}

static void
tls_time_str(time_t t, char out[16])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/* Extensions: SAN, basicConstraints CA:false, digitalSignature, serverAuth */
static int
tls_cert_extensions(mbedtls_x509write_cert *crt)
{
	static const unsigned char loopback[4] = { 127, 0, 0, 1 };
	static const char localhost[] = "localhost";
	char host[TLS_HOSTNAME_MAX];
	mbedtls_x509_san_list san[3];
	mbedtls_asn1_sequence eku;
	int ret, n = 2;

	memset(san, 0, sizeof(san));
	san[0].node.type = MBEDTLS_X509_SAN_DNS_NAME;
	san[0].node.san.unstructured_name.p = (unsigned char *)localhost;
	san[0].node.san.unstructured_name.len = strlen(localhost);
	san[1].node.type = MBEDTLS_X509_SAN_IP_ADDRESS;
	san[1].node.san.unstructured_name.p = (unsigned char *)loopback;
	san[1].node.san.unstructured_name.len = sizeof(loopback);
	if (tls_hostname(host, sizeof(host))) {
		san[2].node.type = MBEDTLS_X509_SAN_DNS_NAME;
		san[2].node.san.unstructured_name.p = (unsigned char *)host;
		san[2].node.san.unstructured_name.len = strlen(host);
		n = 3;
	}
	for (int i = 0; i < n - 1; i++)
		san[i].next = &san[i + 1];

	memset(&eku, 0, sizeof(eku));
	eku.buf.tag = MBEDTLS_ASN1_OID;
	eku.buf.p = (unsigned char *)MBEDTLS_OID_SERVER_AUTH;
	eku.buf.len = MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH);

	if ((ret = mbedtls_x509write_crt_set_subject_alternative_name(crt,
	    san)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_basic_constraints(crt, 0, -1)) ||
	    (ret = mbedtls_x509write_crt_set_key_usage(crt,
	    MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) ||
	    (ret = mbedtls_x509write_crt_set_ext_key_usage(crt, &eku)))
		return ret;
	return 0;
}

/* A self-signed X.509 v3 certificate for ts_key, as PEM into pem. */
static int
tls_make_cert(struct tls_server *ts, unsigned char *pem, size_t size)
{
	mbedtls_x509write_cert crt;
	unsigned char serial[TLS_SERIAL_BYTES];
	char nb[16], na[16];
	time_t now = time(NULL) - TLS_CLOCK_SKEW_S;
	int ret;

	tls_time_str(now, nb);
	tls_time_str(now + (time_t)TLS_CERT_DAYS * 86400, na);
	if ((ret = mbedtls_ctr_drbg_random(&ts->ts_drbg, serial,
	    sizeof(serial))) != 0)
		return ret;
	serial[0] = (serial[0] & 0x7f) | 0x01;	/* positive, full length */

	mbedtls_x509write_crt_init(&crt);
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, &ts->ts_key);
	mbedtls_x509write_crt_set_issuer_key(&crt, &ts->ts_key);
	if ((ret = mbedtls_x509write_crt_set_serial_raw(&crt, serial,
	    sizeof(serial))) == 0 &&
	    (ret = mbedtls_x509write_crt_set_validity(&crt, nb, na)) == 0 &&
	    (ret = mbedtls_x509write_crt_set_subject_name(&crt,
	    "CN=classbox")) == 0 &&
	    (ret = mbedtls_x509write_crt_set_issuer_name(&crt,
	    "CN=classbox")) == 0 &&
	    (ret = tls_cert_extensions(&crt)) == 0)
		ret = mbedtls_x509write_crt_pem(&crt, pem, size,
		    mbedtls_ctr_drbg_random, &ts->ts_drbg);
	mbedtls_x509write_crt_free(&crt);
	return ret;
}

/*
 * Serve a chain without its self-signed root (RFC 8446 4.4.2: it may be
 * left out, and a client that trusts it has it). The box's own chain file
 * holds its CA after the leaf, for the admins and tests that read it; sent,
 * that CA's critical name constraints made mbedTLS clients (updated's
 * health check) refuse the whole handshake, as mbedTLS parses a peer's
 * chain without extension callbacks. The leaf itself always stays.
 */
static void
tls_drop_roots(mbedtls_x509_crt *chain)
{
	mbedtls_x509_crt *prev = chain, *c;

	for (c = chain->next; c != NULL; prev = c, c = c->next) {
		if (c->subject_raw.len != c->issuer_raw.len ||
		    memcmp(c->subject_raw.p, c->issuer_raw.p,
		    c->issuer_raw.len) != 0)
			continue;
		prev->next = NULL;
		mbedtls_x509_crt_free(c);	/* c's contents and after */
		mbedtls_free(c);		/* c itself: not a list head */
		return;
	}
}

static int
tls_load_cert(struct tls_server *ts, const char *cert_path)
{
	unsigned char pem[TLS_PEM_MAX];
	size_t len;
	int rc, ret;

	rc = tls_read_file(cert_path, pem, sizeof(pem), &len);
	if (rc == CB_ENOTFOUND) {
		if ((ret = tls_make_cert(ts, pem, sizeof(pem))) != 0) {
			tls_log_err("making the self-signed certificate", ret);
			return CB_ECRYPTO;
		}
		len = strlen((char *)pem) + 1;
		if ((rc = tls_write_file(cert_path, pem, len - 1, 0644)))
			return rc;
		log_info("tls: generated a self-signed certificate in %s",
		    cert_path);
	} else if (rc != CB_OK)
		return rc;
	/* cert_x509_parse: the chain's CA carries name constraints. */
	if (cert_x509_parse(&ts->ts_cert, pem, len, NULL, NULL) != CB_OK) {
		log_err("tls: %s is not a PEM certificate chain", cert_path);
		return CB_EINVAL;
	}
	if (mbedtls_pk_check_pair(&ts->ts_cert.pk, &ts->ts_key,
	    mbedtls_ctr_drbg_random, &ts->ts_drbg) != 0) {
		log_err("tls: %s does not match the key; remove the "
		    "certificate to have a new one generated", cert_path);
		return CB_EINVAL;
	}
	tls_drop_roots(&ts->ts_cert);
	return CB_OK;
}

static int
tls_seed(struct tls_server *ts)
{
	unsigned char pers[sizeof(TLS_DRBG_PERS) + sizeof(pid_t)];
	pid_t pid = getpid();
	psa_status_t st;
	int ret;

	if ((st = psa_crypto_init()) != PSA_SUCCESS) {
		log_err("tls: psa_crypto_init failed (%d)", (int)st);
		return CB_ECRYPTO;
	}
	/* The pid in the personalisation string is a second guard against
	 * two processes sharing a DRBG state (CVE-2026-25835). */
	memcpy(pers, TLS_DRBG_PERS, sizeof(TLS_DRBG_PERS));
	memcpy(pers + sizeof(TLS_DRBG_PERS), &pid, sizeof(pid));
	ret = mbedtls_ctr_drbg_seed(&ts->ts_drbg, mbedtls_entropy_func,
	    &ts->ts_entropy, pers, sizeof(pers));
	if (ret != 0) {
		tls_log_err("seeding CTR-DRBG", ret);
		return CB_ECRYPTO;
	}
	return CB_OK;
}

static void
tls_ident_unref(struct tls_ident *id)
{
	if (id == NULL || --id->ti_refs > 0)
		return;
	mbedtls_x509_crt_free(&id->ti_cert);
	mbedtls_pk_free(&id->ti_key);
	free(id);
}

/* Certificate selection (every handshake, TLS 1.2 and 1.3): the identity
 * loaded last, when one was. */
static int
tls_cert_cb(mbedtls_ssl_context *ssl)
{
	struct tls_conn *tc = mbedtls_ssl_get_user_data_p(ssl);
	struct tls_ident *id;

	if (tc == NULL || (id = tc->tc_ts->ts_id) == NULL)
		return 0;
	if (tc->tc_id != id) {
		tls_ident_unref(tc->tc_id);
		tc->tc_id = id;
		id->ti_refs++;
	}
	return mbedtls_ssl_set_hs_own_cert(ssl, &id->ti_cert, &id->ti_key);
}

int
tls_server_reload(struct tls_server *ts, const char *cert_path,
    const char *key_path)
{
	unsigned char pem[2 * TLS_PEM_MAX];
	struct tls_ident *id;
	size_t len;
	int rc, ret;

	if ((id = calloc(1, sizeof(*id))) == NULL)
		return CB_ENOMEM;
	id->ti_refs = 1;
	mbedtls_x509_crt_init(&id->ti_cert);
	mbedtls_pk_init(&id->ti_key);
	rc = tls_read_file(key_path, pem, sizeof(pem), &len);
	if (rc == CB_OK) {
		ret = mbedtls_pk_parse_key(&id->ti_key, pem, len, NULL, 0,
		    mbedtls_ctr_drbg_random, &ts->ts_drbg);
		cb_wipe(pem, sizeof(pem));
		rc = ret == 0 && mbedtls_pk_can_do(&id->ti_key,
		    MBEDTLS_PK_ECDSA) ? CB_OK : CB_EINVAL;
	}
	if (rc == CB_OK &&
	    (rc = tls_read_file(cert_path, pem, sizeof(pem), &len)) == CB_OK &&
	    (cert_x509_parse(&id->ti_cert, pem, len, NULL, NULL) != CB_OK ||
	    mbedtls_pk_check_pair(&id->ti_cert.pk, &id->ti_key,
	    mbedtls_ctr_drbg_random, &ts->ts_drbg) != 0))
		rc = CB_EINVAL;
	if (rc != CB_OK) {
		log_err("tls: cannot load %s and %s; keeping the certificate "
		    "in use", cert_path, key_path);
		tls_ident_unref(id);
		return rc;
	}
	tls_drop_roots(&id->ti_cert);
	tls_ident_unref(ts->ts_id);
	ts->ts_id = id;
	log_info("tls: now serving the certificate in %s", cert_path);
	return CB_OK;
}

static int
tls_configure(struct tls_server *ts)
{
	mbedtls_ssl_config *c = &ts->ts_conf;
	int ret;

	if ((ret = mbedtls_ssl_config_defaults(c, MBEDTLS_SSL_IS_SERVER,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
		goto fail;
	mbedtls_ssl_conf_rng(c, mbedtls_ctr_drbg_random, &ts->ts_drbg);
	mbedtls_ssl_conf_min_tls_version(c, MBEDTLS_SSL_VERSION_TLS1_2);
	mbedtls_ssl_conf_max_tls_version(c, MBEDTLS_SSL_VERSION_TLS1_3);
	mbedtls_ssl_conf_ciphersuites(c, tls_suites);
	mbedtls_ssl_conf_groups(c, tls_groups);
	mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_NONE);
	mbedtls_ssl_conf_renegotiation(c, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	/* Resumption only with a fresh ECDHE: tickets must not cost us
	 * forward secrecy. */
	mbedtls_ssl_conf_tls13_key_exchange_modes(c,
	    MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL |
	    MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL);
	if ((ret = mbedtls_ssl_conf_alpn_protocols(c, tls_alpn)) != 0 ||
	    (ret = mbedtls_ssl_conf_own_cert(c, &ts->ts_cert,
	    &ts->ts_key)) != 0)
		goto fail;
	/* mbedTLS makes a new ticket key when the active one is older than
	 * the lifetime and keeps the previous one: a daily rotation. */
	if ((ret = mbedtls_ssl_ticket_setup(&ts->ts_ticket,
	    mbedtls_ctr_drbg_random, &ts->ts_drbg, MBEDTLS_CIPHER_AES_256_GCM,
	    TLS_TICKET_LIFETIME_S)) != 0)
		goto fail;
	mbedtls_ssl_conf_session_tickets_cb(c, mbedtls_ssl_ticket_write,
	    mbedtls_ssl_ticket_parse, &ts->ts_ticket);
	mbedtls_ssl_conf_cert_cb(c, tls_cert_cb);
	return CB_OK;
fail:
	tls_log_err("configuring TLS", ret);
	return CB_ECRYPTO;
}

int
tls_server_new(struct tls_server **out, const char *cert_path,
    const char *key_path)
{
	struct tls_server *ts;
	int rc;

	*out = NULL;
	if ((ts = calloc(1, sizeof(*ts))) == NULL)
		return CB_ENOMEM;
	mbedtls_entropy_init(&ts->ts_entropy);
	mbedtls_ctr_drbg_init(&ts->ts_drbg);
	mbedtls_ssl_config_init(&ts->ts_conf);
	mbedtls_ssl_ticket_init(&ts->ts_ticket);
	mbedtls_x509_crt_init(&ts->ts_cert);
	mbedtls_pk_init(&ts->ts_key);
	if ((rc = tls_seed(ts)) != CB_OK ||
	    (rc = tls_load_key(ts, key_path)) != CB_OK ||
	    (rc = tls_load_cert(ts, cert_path)) != CB_OK ||
	    (rc = tls_configure(ts)) != CB_OK) {
		tls_server_free(ts);
		return rc;
	}
	*out = ts;
	return CB_OK;
}

void
tls_server_free(struct tls_server *ts)
{
	if (ts == NULL)
		return;
	mbedtls_ssl_ticket_free(&ts->ts_ticket);
	mbedtls_ssl_config_free(&ts->ts_conf);
	tls_ident_unref(ts->ts_id);
	mbedtls_x509_crt_free(&ts->ts_cert);
	mbedtls_pk_free(&ts->ts_key);
	mbedtls_ctr_drbg_free(&ts->ts_drbg);
	mbedtls_entropy_free(&ts->ts_entropy);
	free(ts);
}

static int
tls_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *tc = ctx;
	ssize_t n;

	do
		n = send(tc->tc_fd, buf, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	if (errno == EPIPE || errno == ECONNRESET)
		return MBEDTLS_ERR_NET_CONN_RESET;
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int
tls_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *tc = ctx;
	ssize_t n;

	do
		n = recv(tc->tc_fd, buf, len, 0);
	while (n == -1 && errno == EINTR);
	if (n >= 0)
		return (int)n;	/* 0: EOF, which mbedTLS reports as such */
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (errno == ECONNRESET)
		return MBEDTLS_ERR_NET_CONN_RESET;
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

int
tls_conn_new(struct tls_server *ts, int fd, struct tls_conn **out)
{
	struct tls_conn *tc;
	int ret;

	*out = NULL;
	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		return CB_ENOMEM;
	tc->tc_fd = fd;
	tc->tc_ts = ts;
	mbedtls_ssl_init(&tc->tc_ssl);
	if ((ret = mbedtls_ssl_setup(&tc->tc_ssl, &ts->ts_conf)) != 0) {
		mbedtls_ssl_free(&tc->tc_ssl);
		free(tc);
		return ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? CB_ENOMEM :
		    CB_ECRYPTO;
	}
	mbedtls_ssl_set_bio(&tc->tc_ssl, tc, tls_bio_send, tls_bio_recv, NULL);
	mbedtls_ssl_set_user_data_p(&tc->tc_ssl, tc);
	*out = tc;
	return CB_OK;
}

void
tls_conn_free(struct tls_conn *tc)
{
	if (tc == NULL)
		return;
	mbedtls_ssl_free(&tc->tc_ssl);
	tls_ident_unref(tc->tc_id);
	free(tc);
}

/* Map an mbedTLS result (< 0) to a status and what to wait for. */
static int
tls_status(int ret, int *want)
{
	switch (ret) {
	case MBEDTLS_ERR_SSL_WANT_READ:
		*want = TLS_WANT_READ;
		return CB_EAGAIN;
	case MBEDTLS_ERR_SSL_WANT_WRITE:
		*want = TLS_WANT_WRITE;
		return CB_EAGAIN;
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
	case MBEDTLS_ERR_SSL_CONN_EOF:
	case MBEDTLS_ERR_NET_CONN_RESET:
	case MBEDTLS_ERR_NET_SEND_FAILED:
	case MBEDTLS_ERR_NET_RECV_FAILED:
		return CB_EIO;
	case MBEDTLS_ERR_SSL_ALLOC_FAILED:
		return CB_ENOMEM;
	default:
		log_debug("tls: protocol error -0x%04x", (unsigned)-ret);
		return CB_EPROTO;
	}
}

int
tls_handshake(struct tls_conn *tc, int *want)
{
	int ret;

	*want = 0;
	if ((ret = mbedtls_ssl_handshake(&tc->tc_ssl)) == 0)
		return CB_OK;
	return tls_status(ret, want);
}

int
tls_read(struct tls_conn *tc, void *buf, size_t len, size_t *got, int *want)
{
	int ret;

	*got = 0;
	*want = 0;
	assert(len > 0);
	ret = mbedtls_ssl_read(&tc->tc_ssl, buf, len);
	if (ret > 0) {
		*got = (size_t)ret;
		return CB_OK;
	}
	if (ret == 0)
		return CB_EIO;	/* EOF without close_notify */
	return tls_status(ret, want);
}

int
tls_write(struct tls_conn *tc, const void *buf, size_t len, size_t *put,
    int *want)
{
	int ret;

	*put = 0;
	*want = 0;
	assert(len > 0);
	ret = mbedtls_ssl_write(&tc->tc_ssl, buf, len);
	if (ret > 0) {
		*put = (size_t)ret;
		return CB_OK;
	}
	return tls_status(ret, want);
}

void
tls_close_notify(struct tls_conn *tc)
{
	(void)mbedtls_ssl_close_notify(&tc->tc_ssl);
}

int
tls_pending(const struct tls_conn *tc)
{
	return mbedtls_ssl_get_bytes_avail(&tc->tc_ssl) > 0 ||
	    mbedtls_ssl_check_pending(&tc->tc_ssl);
}

const char *
tls_version(const struct tls_conn *tc)
{
	return mbedtls_ssl_get_version(&tc->tc_ssl);
}

const char *
tls_ciphersuite(const struct tls_conn *tc)
{
	return mbedtls_ssl_get_ciphersuite(&tc->tc_ssl);
}
