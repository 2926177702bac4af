/*
 * lan.h: the box on the campus LAN, web's side (docs/lan.md): the server
 * certificate from the box's own CA (re-issued when the names or
 * addresses change), an admin's uploaded certificate, the CA downloads
 * (PEM, DER, Apple .mobileconfig), expiry warnings, and the network
 * settings that web asks the root-side `classbox netcfg` to apply.
 */
#ifndef API_LAN_H
#define API_LAN_H

#include <stdint.h>

#define LAN_CHECK_MS		(60 * 1000)	/* names and expiry checked */

struct api;
struct loop;

struct lan_config {
	const char *lc_tlsdir;		/* DATA/web/tls */
	const char *lc_mdns_state;	/* the name mdns holds; may be NULL */
	const char *lc_netcfg_dir;	/* DATA/netcfg; may be NULL (no
					 * network settings from the API) */
	int lc_http_port;		/* the plain port, which serves the
					 * CA's CRL (0: none, no CRL named) */
};

/* Before the server starts: the CA and a certificate for today's names
 * (unless an admin uploaded one). Fills the paths to serve. */
int lan_prepare(const struct lan_config *cfg, int64_t now_s, char *cert,
    size_t csize, char *key, size_t ksize);

/* Keep the certificate current while serving: every LAN_CHECK_MS, and
 * right after an upload; reload(arg, cert, key) puts a new one in service
 * (http_server_reload_cert). cfg is copied. */
typedef int lan_reload_fn(void *arg, const char *cert, const char *key);
int api_set_lan(struct api *a, const struct lan_config *cfg,
    lan_reload_fn *reload, void *reload_arg, struct loop *l);
void api_lan_stop(struct api *a);

#endif
