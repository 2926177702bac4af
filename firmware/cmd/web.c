/*
 * web.c: the web process. It faces the network and holds the least: its
 * TLS key, a cache of sessions, and a socket to auth. It never opens the
 * auth environment and never sees a password hash.
 *
 * Order matters: sockets and files are opened as root (port 443), then
 * privileges are dropped, and only then is the RNG seeded and the first
 * byte read from the network.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/lan.h"
#include "audit/audit.h"
#include "clock/clock.h"
#include "sync/status.h"
#include "api/status.h"
#include "auth/authclient.h"
#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "base/proc.h"
#include "net/http.h"
#include "net/loop.h"
#include "store/store.h"

struct web_options {
	const char *data;
	const char *bind;
	int https_port;
	int http_port;
	uid_t uid;
	gid_t gid;
	const char *sbom;	/* the image's SBOM (GET /api/v1/admin/sbom) */
	const char *mdns_state;		/* the name mdns holds (docs/lan.md) */
	const char *netcfg_dir;		/* requests to `classbox netcfg` */
	int max_conns_per_addr;		/* 0: HTTP_MAX_CONNS_PER_ADDR */
};

static struct loop *web_loop;	/* for the signal handler only */

static void
web_on_signal(int sig)
{
	(void)sig;
	if (web_loop)
		loop_stop(web_loop);
}

static int
web_reload_cert(void *arg, const char *cert, const char *key)
{
	return http_server_reload_cert(arg, cert, key);
}

static int
web_parse(int argc, char **argv, struct web_options *o)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "http-port", required_argument, NULL, 'r' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "sbom", required_argument, NULL, 's' },
		{ "mdns-state", required_argument, NULL, 'm' },
		{ "netcfg-dir", required_argument, NULL, 'n' },
		{ "max-conns-per-addr", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;
	long n;

	/* "::": every address, IPv6 and IPv4 (http_listen_all). */
	*o = (struct web_options){ CB_DEFAULT_DATA, "::", 443, 80,
	    (uid_t)-1, (gid_t)-1, getenv("CLASSBOX_SBOM"), NULL, NULL, 0 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->data = optarg; break;
		case 'b': o->bind = optarg; break;
		case 'p': o->https_port = atoi(optarg); break;
		case 'r': o->http_port = atoi(optarg); break;
		case 'u': o->uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'g': o->gid = (gid_t)strtoul(optarg, NULL, 10); break;
		case 's': o->sbom = optarg; break;
		case 'm': o->mdns_state = optarg; break;
		case 'n': o->netcfg_dir = optarg; break;
		case 'c':
			n = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    n < 1 || n > HTTP_MAX_CONNS) {
				fprintf(stderr, "classbox web: "
				    "--max-conns-per-addr must be 1..%d\n",
				    HTTP_MAX_CONNS);
				return CB_EINVAL;
			}
			o->max_conns_per_addr = (int)n;
			break;
		default:
			fprintf(stderr, "usage: classbox web [--data DIR] "
			    "[--bind ADDR|::|localhost] [--port N] "
			    "[--http-port N] [--uid N --gid N] [--sbom FILE] "
			    "[--mdns-state FILE] [--netcfg-dir DIR] "
			    "[--max-conns-per-addr N]\n");
			return CB_EINVAL;
		}
	}
	if (o->https_port <= 0 || o->https_port > 65535 ||
	    o->http_port < 0 || o->http_port > 65535) {
		fprintf(stderr, "classbox web: ports must be 1..65535\n");
		return CB_EINVAL;
	}
	if (o->uid != (uid_t)-1 && o->gid == (gid_t)-1)
		o->gid = (gid_t)o->uid;
	return CB_OK;
}

/*
 * DATA/store (LMDB, 0700) and DATA/keys (the key-encryption key, 0700,
 * its file 0600), both the web user's: web is the process that serves
 * classroom data. The KEK lives apart from the data so that a copy of the
 * store directory alone (a backup, a stolen file) opens nothing.
 */
static int
web_store_dirs(const struct web_options *o)
{
	char dir[PATH_MAX];

	if (cb_path_join(dir, sizeof(dir), o->data, CB_STORE_SUBDIR) !=
	    CB_OK || cb_make_dir(dir, 0700, o->uid, o->gid) != CB_OK ||
	    cb_path_join(dir, sizeof(dir), o->data, CB_KEYS_SUBDIR) !=
	    CB_OK || cb_make_dir(dir, 0700, o->uid, o->gid) != CB_OK)
		return CB_EIO;
	/* The operation log: DATA/audit (0755) and DATA/audit/ops (0700,
	 * web), unless already laid out (by `classbox run` or rcS). */
	if (cb_path_join(dir, sizeof(dir), o->data, CB_AUDIT_OPS_SUBDIR) !=
	    CB_OK || (access(dir, F_OK) != 0 &&
	    cb_make_dir(dir, 0700, o->uid, o->gid) != CB_OK))
		return CB_EIO;
	return CB_OK;
}

/* The operation log and its clock (docs/audit.md), as the web user. */
static int
web_audit_open(const struct web_options *o, struct clock **clk,
    struct audit_log **log)
{
	char dir[PATH_MAX], floor[PATH_MAX];
	int rc;

	if (cb_path_join(dir, sizeof(dir), o->data, CB_AUDIT_OPS_SUBDIR) !=
	    CB_OK || cb_path_join(floor, sizeof(floor), dir,
	    CLOCK_FLOOR_FILE) != CB_OK)
		return CB_ETOOBIG;
	if ((rc = clock_open(clk, floor, NULL, 0)) != CB_OK)
		return rc;
	/* Stamps say "https-date" when sync's hint vouches for the clock. */
	if (cb_path_join(floor, sizeof(floor), o->data, "sync/"
	    CLOCK_HINT_FILE) == CB_OK)
		(void)clock_set_hint(*clk, floor);
	return audit_open(log, dir, AUDIT_LOG_OPS, *clk, NULL);
}

static int
web_dirs(const struct web_options *o, struct api *api)
{
	char keys[PATH_MAX], ops[PATH_MAX];

	if (cb_path_join(keys, sizeof(keys), o->data, CB_KEYS_SUBDIR) !=
	    CB_OK || cb_path_join(ops, sizeof(ops), o->data,
	    CB_AUDIT_OPS_SUBDIR) != CB_OK)
		return CB_ETOOBIG;
	return api_set_dirs(api, keys, ops, o->data);
}

int
cmd_store_open(const char *data, struct store **sp)
{
	char dir[PATH_MAX], keys[PATH_MAX];
	struct store_options so;
	struct keystore ks;
	int rc;

	if (cb_path_join(dir, sizeof(dir), data, CB_STORE_SUBDIR) != CB_OK ||
	    cb_path_join(keys, sizeof(keys), data, CB_KEYS_SUBDIR) != CB_OK)
		return CB_ETOOBIG;
	if ((rc = keystore_file_init(&ks, keys)) != CB_OK)
		return rc;
	memset(&so, 0, sizeof(so));
	so.so_keystore = &ks;
	return store_open(sp, dir, &so);
}

int
cmd_web(int argc, char **argv)
{
	char sock[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], tlsdir[PATH_MAX];
	struct web_options o;
	struct http_server *srv = NULL;
	struct authc *ac = NULL;
	struct api *api = NULL;
	struct store *store = NULL;
	struct clock *clk = NULL;
	struct audit_log *ops = NULL;
	int rc;

	cb_log_init("web");
	if (web_parse(argc, argv, &o) != CB_OK)
		return 2;
	if (cb_path_join(sock, sizeof(sock), o.data, CB_AUTH_SOCK) != CB_OK ||
	    cb_path_join(tlsdir, sizeof(tlsdir), o.data,
	    CB_WEB_SUBDIR "/tls") != CB_OK ||
	    cb_path_join(cert, sizeof(cert), tlsdir, "cert.pem") != CB_OK ||
	    cb_path_join(key, sizeof(key), tlsdir, "key.pem") != CB_OK)
		return 1;
	if (cb_make_dir(tlsdir, 0700, o.uid, o.gid) != CB_OK ||
	    web_store_dirs(&o) != CB_OK || (o.netcfg_dir != NULL &&
	    cb_make_dir(o.netcfg_dir, 0700, o.uid, o.gid) != CB_OK))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if ((rc = loop_new(&web_loop)) != CB_OK)
		fatalx("cannot create the event loop: %s", cb_strerror(rc));

	/*
	 * Privileges go before the server starts: the key is read and, on
	 * first start, generated by the unprivileged user, which owns tlsdir.
	 * The listening sockets are opened first, while still root, so that
	 * the box can serve on 443 and 80 without any capability.
	 */
	struct http_server_config hc = { .bind_addr = o.bind };
	if (http_listen_all(o.bind, o.https_port, hc.https_fds,
	    &hc.n_https_fds) != CB_OK || (o.http_port != 0 &&
	    http_listen_all(o.bind, o.http_port, hc.http_fds,
	    &hc.n_http_fds) != CB_OK))
		return 1;
	if (cb_drop_privileges(o.uid, o.gid) != CB_OK)
		return 1;

	if ((rc = authc_new(&ac, web_loop, sock, api_on_revoke, NULL)) != CB_OK)
		fatalx("cannot set up the auth client: %s", cb_strerror(rc));
	if ((rc = api_new(&api, ac, &(struct api_config){ NULL,
	    o.https_port, o.sbom })) != CB_OK)
		fatalx("cannot set up the API: %s", cb_strerror(rc));
	if ((rc = web_dirs(&o, api)) != CB_OK)
		fatalx("data directory path too long: %s", o.data);
	{
		char sp[PATH_MAX];	/* written by sync, read here */
		if (cb_path_join(sp, sizeof(sp), o.data, SYNC_STATUS_FILE) ==
		    CB_OK)
			api_set_sync_status(api, sp);
	}
	/* A terminated school: its keys are gone; serve only the refusal
	 * (and /status), never open the store or the log again. */
	if (api_terminated_at_start(api))
		log_warn("the school is terminated: every login is refused");
	/* The classroom store is opened as the web user: its files are the
	 * web user's, and its data key is made by this process's RNG. */
	else if ((rc = cmd_store_open(o.data, &store)) != CB_OK)
		fatalx("cannot open the classroom store: %s", cb_strerror(rc));
	else if ((rc = web_audit_open(&o, &clk, &ops)) != CB_OK)
		fatalx("cannot open the operation log: %s", cb_strerror(rc));
	api_set_store(api, store);
	/* /status shows the log's own clock: its floor and its hint. */
	if (clk != NULL)
		api_set_clock(api, clk);
	if ((rc = api_set_audit(api, ops, web_loop)) != CB_OK)
		fatalx("cannot set up the operation log: %s", cb_strerror(rc));
	authc_set_revoke_arg(ac, api);
	/* The certificate for today's names and addresses, from the box's
	 * own CA (or an admin's upload); kept current while serving. */
	struct lan_config lc = { tlsdir, o.mdns_state, o.netcfg_dir,
	    o.http_port };
	if ((rc = lan_prepare(&lc, cb_now_ms() / 1000, cert, sizeof(cert),
	    key, sizeof(key))) != CB_OK)
		log_err("cannot make the server certificate (%s); serving the "
		    "one in %s", cb_strerror(rc), cert);

	hc.https_port = o.https_port;
	hc.http_port = o.http_port;
	hc.cert_path = cert;
	hc.key_path = key;
	hc.handler = api_handle;
	hc.handler_arg = api;
	hc.max_conns_per_addr = o.max_conns_per_addr;
	char crl[PATH_MAX];
	if (cb_path_join(crl, sizeof(crl), tlsdir, "ca.crl") == CB_OK)
		hc.crl_path = crl;
	if ((rc = http_server_new(&srv, web_loop, &hc)) != CB_OK)
		fatalx("cannot start the HTTPS server on %s:%d: %s", o.bind,
		    o.https_port, cb_strerror(rc));
	api_set_http_server(api, srv);	/* /metrics (api/status.c) */
	if ((rc = api_set_lan(api, &lc, web_reload_cert, srv, web_loop)) !=
	    CB_OK)
		fatalx("cannot set up the LAN endpoints: %s", cb_strerror(rc));
	signal(SIGTERM, web_on_signal);
	signal(SIGINT, web_on_signal);
	log_info("serving https on %s:%d", o.bind, o.https_port);
	rc = loop_run(web_loop);
	http_server_free(srv);
	api_free(api);
	authc_free(ac);
	store_close(store);
	audit_close(ops);
	clock_close(clk);
	loop_free(web_loop);
	return rc == CB_OK ? 0 : 1;
}
