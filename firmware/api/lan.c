/*
 * lan.c: the LAN endpoints (admins only) and the certificate upkeep.
 *
 *   GET    /api/v1/lan                  names, addresses, certificates,
 *                                       warnings, network settings
 *   GET    /api/v1/lan/ca.pem           the CA certificate (PEM)
 *   GET    /api/v1/lan/ca.der           the same, DER (Windows, Android)
 *   GET    /api/v1/lan/ca.mobileconfig  Apple profile (com.apple.security.root)
 *   PUT    /api/v1/lan/certificate      {"certificate": PEM, "key": PEM}
 *   DELETE /api/v1/lan/certificate      back to the box's own CA
 *   PUT    /api/v1/lan/network          {"mode": "dhcp"|"static", ...}
 *   POST   /api/v1/lan/network/confirm  {"id": N}, from the new address
 *
 * docs/api.md has the bodies and answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <yyjson.h>

#include "api/api_impl.h"
#include "api/lan.h"
#include "base/cb.h"
#include "base/file.h"
#include "base/utf8.h"
#include "net/cert.h"
#include "net/http.h"
#include "net/loop.h"
#include "net/netcfg.h"
#include "net/netif.h"
#include "sync/status.h"

#define LAN_PROFILE_MAX		(16 * 1024)
#define LAN_DAY_S		86400

/* Which files are in service: an upload replaced by another (an admin's
 * or the enrollment's) keeps the same paths but not the same inodes, as
 * every write is a rename. */
struct lan_served {
	dev_t ls_dev;
	ino_t ls_cert_ino, ls_key_ino;
	int64_t ls_cert_mtime_ns;
};

struct api_lan {
	struct lan_config al_cfg;
	char al_tlsdir[PATH_MAX], al_mdns[PATH_MAX], al_netcfg[PATH_MAX];
	lan_reload_fn *al_reload;
	void *al_reload_arg;
	struct loop *al_loop;
	int al_uploaded;		/* serving an upload now */
	struct lan_served al_served;	/* the files in service */
};

/* ---- certificate upkeep ------------------------------------------- */

int
lan_prepare(const struct lan_config *cfg, int64_t now_s, char *cert,
    size_t csize, char *key, size_t ksize)
{
	struct cert_names names;
	int uploaded, issued, rc;

	if ((rc = cert_paths(cfg->lc_tlsdir, cert, csize, key, ksize,
	    &uploaded)) != CB_OK)
		return rc;
	if (uploaded)
		return CB_OK;
	cert_names_current(&names, cfg->lc_mdns_state);
	cert_crl_url(&names, cfg->lc_http_port);
	return cert_ensure(cfg->lc_tlsdir, &names, now_s, &issued);
}

static void
lan_served(const char *cert, const char *key, struct lan_served *out)
{
	struct stat cs, ks;

	memset(out, 0, sizeof(*out));
	if (stat(cert, &cs) != 0 || stat(key, &ks) != 0)
		return;
	out->ls_dev = cs.st_dev;
	out->ls_cert_ino = cs.st_ino;
	out->ls_key_ino = ks.st_ino;
	out->ls_cert_mtime_ns = (int64_t)cs.st_mtim.tv_sec * 1000000000 +
	    cs.st_mtim.tv_nsec;
}

/* Re-issue when names changed or expiry nears; reload when the files
 * that should be served changed (re-issued, uploaded, replaced by another
 * upload, removed). */
static void
lan_refresh(struct api_lan *l)
{
	char cert[PATH_MAX], key[PATH_MAX];
	struct cert_names names;
	struct lan_served now;
	int uploaded = 0, issued = 0;

	if (cert_paths(l->al_tlsdir, cert, sizeof(cert), key, sizeof(key),
	    &uploaded) != CB_OK)
		return;
	if (!uploaded) {
		cert_names_current(&names, l->al_cfg.lc_mdns_state);
		cert_crl_url(&names, l->al_cfg.lc_http_port);
		if (cert_ensure(l->al_tlsdir, &names, cb_now_ms() / 1000,
		    &issued) != CB_OK)
			log_warn("lan: could not renew the server certificate; "
			    "serving the one in use");
	}
	lan_served(cert, key, &now);
	if ((issued || uploaded != l->al_uploaded ||
	    memcmp(&now, &l->al_served, sizeof(now)) != 0) &&
	    l->al_reload != NULL &&
	    l->al_reload(l->al_reload_arg, cert, key) == CB_OK) {
		l->al_uploaded = uploaded;
		l->al_served = now;
	}
}

int
lan_install_cert(struct api *a, const char *cert_pem, const char *key_pem,
    const char **why)
{
	int rc;

	*why = NULL;
	if (a->a_lan == NULL)
		return CB_EUNAVAIL;
	if ((rc = cert_upload(a->a_lan->al_tlsdir, cert_pem, key_pem,
	    cb_now_ms() / 1000, why)) != CB_OK)
		return rc;
	lan_refresh(a->a_lan);
	return CB_OK;
}

static void
lan_on_tick(struct loop *lp, int64_t mono_ms, void *arg)
{
	(void)lp;
	(void)mono_ms;
	lan_refresh(arg);
}

static void
lan_copy(char *dst, size_t size, const char *src)
{
	(void)cb_strlcpy(dst, src ? src : "", size);
}

/* CLASSBOX_LAN_CHECK_S (1-3600) shortens the check for tests. */
static int
lan_check_ms(void)
{
	const char *e = getenv("CLASSBOX_LAN_CHECK_S");
	long s = e ? strtol(e, NULL, 10) : 0;

	return s >= 1 && s <= 3600 ? (int)s * 1000 : LAN_CHECK_MS;
}

int
api_set_lan(struct api *a, const struct lan_config *cfg,
    lan_reload_fn *reload, void *reload_arg, struct loop *lp)
{
	struct api_lan *l;
	char cert[PATH_MAX], key[PATH_MAX];

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return CB_ENOMEM;
	lan_copy(l->al_tlsdir, sizeof(l->al_tlsdir), cfg->lc_tlsdir);
	lan_copy(l->al_mdns, sizeof(l->al_mdns), cfg->lc_mdns_state);
	lan_copy(l->al_netcfg, sizeof(l->al_netcfg), cfg->lc_netcfg_dir);
	l->al_cfg.lc_tlsdir = l->al_tlsdir;
	l->al_cfg.lc_mdns_state = l->al_mdns[0] ? l->al_mdns : NULL;
	l->al_cfg.lc_netcfg_dir = l->al_netcfg[0] ? l->al_netcfg : NULL;
	l->al_cfg.lc_http_port = cfg->lc_http_port;
	l->al_reload = reload;
	l->al_reload_arg = reload_arg;
	l->al_loop = lp;
	(void)cert_paths(l->al_tlsdir, cert, sizeof(cert), key, sizeof(key),
	    &l->al_uploaded);
	lan_served(cert, key, &l->al_served);
	a->a_lan = l;
	return lp ? loop_tick(lp, lan_check_ms(), lan_on_tick, l) : CB_OK;
}

void
api_lan_stop(struct api *a)
{
	struct api_lan *l = a ? a->a_lan : NULL;

	if (l == NULL)
		return;
	if (l->al_loop)
		loop_tick_del(l->al_loop, lan_on_tick, l);
	free(l);
	a->a_lan = NULL;
}

/* ---- warnings (also for /api/v1/status and /metrics) --------------- */

static int
lan_cert_file(struct api_lan *l, int ca, struct cert_info *ci)
{
	char cert[PATH_MAX], key[PATH_MAX];
	int up;

	if (ca)
		return cb_path_join(cert, sizeof(cert), l->al_tlsdir,
		    "ca/ca.pem") == CB_OK ? cert_info_file(cert, ci) : CB_EIO;
	if (cert_paths(l->al_tlsdir, cert, sizeof(cert), key, sizeof(key),
	    &up) != CB_OK)
		return CB_EIO;
	return cert_info_file(cert, ci);
}

int
lan_cert_expiry(struct api *a, int ca, int64_t *not_after_s)
{
	struct cert_info ci;

	if (a->a_lan == NULL || lan_cert_file(a->a_lan, ca, &ci) != CB_OK)
		return CB_ENOTFOUND;
	*not_after_s = ci.ci_not_after_s;
	return CB_OK;
}

const char *const lan_cert_which[LAN_CERT_N] = {
	"server", "ca", "client", "cloud_ca"
};

void
lan_cert_expiries(struct api *a, int64_t not_after_s[LAN_CERT_N],
    int have[LAN_CERT_N])
{
	struct sync_status st;

	for (int i = 0; i < LAN_CERT_N; i++) {
		have[i] = 0;
		not_after_s[i] = 0;
	}
	have[LAN_CERT_SERVER] = lan_cert_expiry(a, 0,
	    &not_after_s[LAN_CERT_SERVER]) == CB_OK;
	have[LAN_CERT_CA] = lan_cert_expiry(a, 1, &not_after_s[LAN_CERT_CA]) ==
	    CB_OK;
	if (a->a_sync_status == NULL ||
	    sync_status_read(a->a_sync_status, &st) != CB_OK)
		return;
	/* sync writes 0 when it holds no enrollment (or could not read the
	 * certificate): nothing to warn about then. */
	have[LAN_CERT_CLIENT] = st.st_client_cert_not_after_ms > 0;
	not_after_s[LAN_CERT_CLIENT] = st.st_client_cert_not_after_ms / 1000;
	have[LAN_CERT_CLOUD_CA] = st.st_cloud_ca_not_after_ms > 0;
	not_after_s[LAN_CERT_CLOUD_CA] = st.st_cloud_ca_not_after_ms / 1000;
}

/* {"code":"certificate_expiring"|"certificate_expired","which":W,
 * "days_left":N,"not_after_ms":T} when within CERT_WARN_DAYS; NULL when
 * there is nothing to say (or no memory). */
static yyjson_mut_val *
lan_warning(yyjson_mut_doc *d, int which, int64_t not_after_s,
    int64_t now_s)
{
	yyjson_mut_val *w;

	if (not_after_s - now_s >= (int64_t)CERT_WARN_DAYS * LAN_DAY_S ||
	    (w = yyjson_mut_obj(d)) == NULL)
		return NULL;
	yyjson_mut_obj_add_str(d, w, "code", not_after_s <= now_s ?
	    "certificate_expired" : "certificate_expiring");
	yyjson_mut_obj_add_str(d, w, "which", lan_cert_which[which]);
	yyjson_mut_obj_add_int(d, w, "days_left", (not_after_s - now_s) /
	    LAN_DAY_S);
	yyjson_mut_obj_add_int(d, w, "not_after_ms", not_after_s * 1000);
	return w;
}

static yyjson_mut_val *
lan_cert_json(yyjson_mut_doc *d, const struct cert_info *ci, int64_t now_s)
{
	yyjson_mut_val *o = yyjson_mut_obj(d), *names = yyjson_mut_arr(d);
	int64_t left = (ci->ci_not_after_s - now_s) / LAN_DAY_S;

	if (o == NULL || names == NULL)
		return NULL;
	for (size_t i = 0; i < ci->ci_names.cn_n; i++)
		yyjson_mut_arr_add_strcpy(d, names, ci->ci_names.cn_v[i]);
	yyjson_mut_obj_add_strcpy(d, o, "subject", ci->ci_subject);
	yyjson_mut_obj_add_strcpy(d, o, "issuer", ci->ci_issuer);
	yyjson_mut_obj_add_val(d, o, "names", names);
	yyjson_mut_obj_add_int(d, o, "not_before_ms", ci->ci_not_before_s * 1000);
	yyjson_mut_obj_add_int(d, o, "not_after_ms", ci->ci_not_after_s * 1000);
	yyjson_mut_obj_add_int(d, o, "days_left", left);
	yyjson_mut_obj_add_bool(d, o, "expires_soon",
	    ci->ci_not_after_s - now_s < (int64_t)CERT_WARN_DAYS * LAN_DAY_S);
	yyjson_mut_obj_add_strcpy(d, o, "sha256", ci->ci_sha256);
	return o;
}

/* ---- GET /api/v1/lan ----------------------------------------------- */

static void
lan_add_name(yyjson_mut_doc *d, yyjson_mut_val *root, struct api_lan *l)
{
	char host[256] = "", mdns[256] = "";
	FILE *f;

	(void)gethostname(host, sizeof(host) - 1);
	if (l->al_cfg.lc_mdns_state != NULL &&
	    (f = fopen(l->al_cfg.lc_mdns_state, "re")) != NULL) {
		if (fgets(mdns, sizeof(mdns), f) == NULL)
			mdns[0] = '\0';
		mdns[strcspn(mdns, "\n")] = '\0';
		fclose(f);
	}
	yyjson_mut_obj_add_strcpy(d, root, "hostname", host);
	if (mdns[0] && cb_utf8_valid(mdns, strlen(mdns), CB_UTF8_LINE))
		yyjson_mut_obj_add_strcpy(d, root, "mdns_name", mdns);
	else
		yyjson_mut_obj_add_null(d, root, "mdns_name");
}

static int
lan_read_small(const char *dir, const char *name, char *buf, size_t size,
    size_t *len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (cb_path_join(path, sizeof(path), dir, name) != CB_OK ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return CB_ENOTFOUND;
	n = read(fd, buf, size);
	close(fd);
	if (n < 0 || (size_t)n >= size)
		return CB_EIO;
	buf[n] = '\0';
	*len = (size_t)n;
	return CB_OK;
}

static yyjson_mut_val *
lan_network_json(yyjson_mut_doc *d, struct api_lan *l)
{
	yyjson_mut_val *o = yyjson_mut_obj(d);
	struct netcfg_state st;
	struct netcfg_req rq;
	char buf[NETCFG_FILE_MAX + 1];
	size_t len;

	if (o == NULL)
		return NULL;
	yyjson_mut_obj_add_bool(d, o, "configurable",
	    l->al_cfg.lc_netcfg_dir != NULL);
	if (l->al_cfg.lc_netcfg_dir == NULL)
		return o;
	if (lan_read_small(l->al_netcfg, "state", buf, sizeof(buf), &len) ==
	    CB_OK && netcfg_state_parse(buf, len, &st) == CB_OK) {
		yyjson_mut_obj_add_uint(d, o, "id", st.ns_id);
		yyjson_mut_obj_add_str(d, o, "phase",
		    netcfg_phase_name(st.ns_phase));
		if (st.ns_phase == NETCFG_WAITING)
			yyjson_mut_obj_add_int(d, o, "confirm_by_ms",
			    st.ns_deadline_ms);
		yyjson_mut_obj_add_strcpy(d, o, "message", st.ns_message);
	} else
		yyjson_mut_obj_add_str(d, o, "phase", "idle");
	if (lan_read_small(l->al_netcfg, "request", buf, sizeof(buf), &len) ==
	    CB_OK && netcfg_req_parse(buf, len, &rq) == CB_OK) {
		yyjson_mut_val *r = yyjson_mut_obj(d), *dns = yyjson_mut_arr(d);
		yyjson_mut_obj_add_uint(d, r, "id", rq.nr_id);
		yyjson_mut_obj_add_str(d, r, "mode", rq.nr_static ? "static" :
		    "dhcp");
		if (rq.nr_static) {
			yyjson_mut_obj_add_strcpy(d, r, "address", rq.nr_address);
			yyjson_mut_obj_add_strcpy(d, r, "gateway", rq.nr_gateway);
			for (size_t i = 0; i < rq.nr_ndns; i++)
				yyjson_mut_arr_add_strcpy(d, dns, rq.nr_dns[i]);
			yyjson_mut_obj_add_val(d, r, "dns", dns);
		}
		yyjson_mut_obj_add_uint(d, r, "confirm_s", rq.nr_confirm_s);
		yyjson_mut_obj_add_val(d, o, "request", r);
	}
	return o;
}

/* Every certificate the box holds, the served one first. */
static void
lan_add_warnings(yyjson_mut_doc *d, yyjson_mut_val *warn, struct api *a,
    int64_t now_s)
{
	int64_t na[LAN_CERT_N];
	int have[LAN_CERT_N];
	yyjson_mut_val *w;

	lan_cert_expiries(a, na, have);
	for (int i = 0; i < LAN_CERT_N; i++)
		if (have[i] && (w = lan_warning(d, i, na[i], now_s)) != NULL)
			yyjson_mut_arr_append(warn, w);
}

int
api_lan_view(struct api_req *r)
{
	struct api_lan *l = r->r_api->a_lan;
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root, *addrs, *warn, *v;
	struct cert_names names;
	struct cert_info ci;
	int64_t now_s = cb_now_ms() / 1000;

	if (l == NULL || d == NULL) {
		yyjson_mut_doc_free(d);
		return api_req_error(r, l ? API_E_BUSY : API_E_UNAVAILABLE);
	}
	root = yyjson_mut_obj(d);
	addrs = yyjson_mut_arr(d);
	warn = yyjson_mut_arr(d);
	yyjson_mut_doc_set_root(d, root);
	lan_add_name(d, root, l);
	cert_names_current(&names, NULL);
	for (size_t i = 0; i < names.cn_n; i++)
		if (strspn(names.cn_v[i], "0123456789abcdef.:") ==
		    strlen(names.cn_v[i]) && strcmp(names.cn_v[i], "::1") &&
		    strcmp(names.cn_v[i], "127.0.0.1"))
			yyjson_mut_arr_add_strcpy(d, addrs, names.cn_v[i]);
	yyjson_mut_obj_add_val(d, root, "addresses", addrs);
	for (int ca = 0; ca <= 1; ca++) {
		if (lan_cert_file(l, ca, &ci) != CB_OK)
			continue;
		if ((v = lan_cert_json(d, &ci, now_s)) == NULL)
			break;
		if (!ca)
			yyjson_mut_obj_add_str(d, v, "source",
			    l->al_uploaded ? "uploaded" : "local_ca");
		yyjson_mut_obj_add_val(d, root, ca ? "ca" : "certificate", v);
	}
	lan_add_warnings(d, warn, r->r_api, now_s);
	yyjson_mut_obj_add_val(d, root, "warnings", warn);
	yyjson_mut_obj_add_val(d, root, "network", lan_network_json(d, l));
	return api_req_json(r, 200, d);
}

/* ---- the CA downloads ---------------------------------------------- */

static int
lan_ca_der(struct api_lan *l, uint8_t *der, size_t size, size_t *len)
{
	char path[PATH_MAX];

	if (cb_path_join(path, sizeof(path), l->al_tlsdir, "ca/ca.pem") !=
	    CB_OK)
		return CB_ETOOBIG;
	return cert_der_file(path, der, size, len);
}

int
api_lan_ca_pem_get(struct api_req *r)
{
	struct api_lan *l = r->r_api->a_lan;
	char path[PATH_MAX], pem[CERT_PEM_MAX];
	size_t len;

	if (l == NULL || cb_path_join(path, sizeof(path), l->al_tlsdir,
	    "ca/ca.pem") != CB_OK ||
	    lan_read_small(l->al_tlsdir, "ca/ca.pem", pem, sizeof(pem), &len)
	    != CB_OK)
		return api_req_error(r, API_E_NOT_FOUND);
	http_add_header(r->r_ex, "Content-Disposition",
	    "attachment; filename=\"classbox-ca.pem\"");
	return api_req_reply(r, 200, "application/x-pem-file", pem, len);
}

int
api_lan_ca_der_get(struct api_req *r)
{
	struct api_lan *l = r->r_api->a_lan;
	uint8_t der[CERT_DER_MAX];
	size_t len;

	if (l == NULL || lan_ca_der(l, der, sizeof(der), &len) != CB_OK)
		return api_req_error(r, API_E_NOT_FOUND);
	http_add_header(r->r_ex, "Content-Disposition",
	    "attachment; filename=\"classbox-ca.cer\"");
	return api_req_reply(r, 200, "application/x-x509-ca-cert", der, len);
}

/* A UUID (RFC 4122 layout, version 4 bits) from 16 bytes of the CA's
 * hash, so that each download of the same CA is the same profile and an
 * MDM replaces rather than duplicates it. */
static void
lan_uuid(const uint8_t h[16], char out[37])
{
	uint8_t b[16];

	memcpy(b, h, 16);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
	    "%02X%02X%02X%02X%02X%02X", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Text for a plist <string>: & < > escaped. */
static void
lan_xml_esc(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in && o + 6 < size; in++) {
		const char *rep = *in == '&' ? "&amp;" : *in == '<' ? "&lt;" :
		    *in == '>' ? "&gt;" : NULL;
		if (rep) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else
			out[o++] = *in;
	}
	out[o] = '\0';
}

static int
lan_profile(struct api_lan *l, char *out, size_t size, size_t *len)
{
	uint8_t der[CERT_DER_MAX], h[32];
	char b64[CERT_DER_MAX * 2], u1[37], u2[37], name[CERT_NAME_MAX * 6];
	struct cert_info ci;
	char path[PATH_MAX];
	size_t dlen, blen;
	int n;

	if (lan_ca_der(l, der, sizeof(der), &dlen) != CB_OK ||
	    cb_path_join(path, sizeof(path), l->al_tlsdir, "ca/ca.pem") !=
	    CB_OK || cert_info_file(path, &ci) != CB_OK ||
	    mbedtls_base64_encode((unsigned char *)b64, sizeof(b64), &blen,
	    der, dlen) != 0)
		return CB_ENOTFOUND;
	for (int i = 0; i < 32; i++)
		h[i] = (uint8_t)strtoul(ci.ci_sha256 + 3 * i, NULL, 16);
	lan_uuid(h, u1);
	lan_uuid(h + 16, u2);
	lan_xml_esc(ci.ci_subject + (strncmp(ci.ci_subject, "CN=", 3) ? 0 : 3),
	    name, sizeof(name));
	n = snprintf(out, size,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	    "<plist version=\"1.0\">\n<dict>\n"
	    "\t<key>PayloadContent</key>\n\t<array>\n\t\t<dict>\n"
	    "\t\t\t<key>PayloadCertificateFileName</key>\n"
	    "\t\t\t<string>classbox-ca.cer</string>\n"
	    "\t\t\t<key>PayloadContent</key>\n\t\t\t<data>%s</data>\n"
	    "\t\t\t<key>PayloadDescription</key>\n"
	    "\t\t\t<string>classbox の証明書を信頼します / Trusts the "
	    "classbox certificate authority</string>\n"
	    "\t\t\t<key>PayloadDisplayName</key>\n\t\t\t<string>%s</string>\n"
	    "\t\t\t<key>PayloadIdentifier</key>\n"
	    "\t\t\t<string>jp.classbox.ca.%s</string>\n"
	    "\t\t\t<key>PayloadType</key>\n"
	    "\t\t\t<string>com.apple.security.root</string>\n"
	    "\t\t\t<key>PayloadUUID</key>\n\t\t\t<string>%s</string>\n"
	    "\t\t\t<key>PayloadVersion</key>\n\t\t\t<integer>1</integer>\n"
	    "\t\t</dict>\n\t</array>\n"
	    "\t<key>PayloadDisplayName</key>\n\t<string>%s</string>\n"
	    "\t<key>PayloadIdentifier</key>\n"
	    "\t<string>jp.classbox.profile.%s</string>\n"
	    "\t<key>PayloadRemovalDisallowed</key>\n\t<false/>\n"
	    "\t<key>PayloadType</key>\n\t<string>Configuration</string>\n"
	    "\t<key>PayloadUUID</key>\n\t<string>%s</string>\n"
	    "\t<key>PayloadVersion</key>\n\t<integer>1</integer>\n"
	    "</dict>\n</plist>\n", b64, name, u1, u1, name, u2, u2);
	if (n < 0 || (size_t)n >= size)
		return CB_ETOOBIG;
	*len = (size_t)n;
	return CB_OK;
}

int
api_lan_mobileconfig(struct api_req *r)
{
	struct api_lan *l = r->r_api->a_lan;
	char *out = malloc(LAN_PROFILE_MAX);
	size_t len;
	int rc;

	if (out == NULL)
		return api_req_error(r, API_E_BUSY);
	if (l == NULL || lan_profile(l, out, LAN_PROFILE_MAX, &len) != CB_OK) {
		free(out);
		return api_req_error(r, API_E_NOT_FOUND);
	}
	http_add_header(r->r_ex, "Content-Disposition",
	    "attachment; filename=\"classbox-ca.mobileconfig\"");
	rc = api_req_reply(r, 200, "application/x-apple-aspen-config", out,
	    len);
	free(out);
	return rc;
}

/* ---- an admin's certificate ---------------------------------------- */

static int
lan_field_err(struct api_req *r, enum api_field_why why, const char *field)
{
	struct api_err err;

	(void)api_err_set(&err, API_E_INVALID_FIELD, why, field, strlen(field));
	return api_req_error_full(r, &err);
}

/*
 * A refusal in the API's error shape (api_err_body): the code, the English
 * message with the validator's reason, and a Japanese sentence that says
 * what was refused, followed by the same reason (the validators of
 * certificates and network settings speak English).
 */
static int
lan_refuse(struct api_req *r, int status, const char *code, const char *ja,
    const char *why)
{
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = d ? yyjson_mut_obj(d) : NULL;
	yyjson_mut_val *e = d ? yyjson_mut_obj(d) : NULL;
	char ja_why[384];

	if (root == NULL || e == NULL) {
		yyjson_mut_doc_free(d);
		return api_req_error(r, API_E_BUSY);
	}
	snprintf(ja_why, sizeof(ja_why), "%s（%s）", ja, why);
	yyjson_mut_doc_set_root(d, root);
	if (!yyjson_mut_obj_add_val(d, root, "error", e) ||
	    !yyjson_mut_obj_add_str(d, e, "code", code) ||
	    !yyjson_mut_obj_add_strcpy(d, e, "message", why) ||
	    !yyjson_mut_obj_add_strcpy(d, e, "message_ja", ja_why)) {
		yyjson_mut_doc_free(d);
		return api_req_error(r, API_E_BUSY);
	}
	return api_req_json(r, status, d);
}

/* An object body whose keys are all in allowed; NULL after answering. */
static yyjson_doc *
lan_body(struct api_req *r, const char *const *allowed, size_t n)
{
	const struct http_req *q = http_request(r->r_ex);
	yyjson_doc *d = yyjson_read(q->body, q->body_len, 0);
	yyjson_val *root = d ? yyjson_doc_get_root(d) : NULL, *k, *v;
	size_t i, max;

	if (!yyjson_is_obj(root)) {
		yyjson_doc_free(d);
		(void)api_req_error(r, API_E_INVALID_JSON);
		return NULL;
	}
	yyjson_obj_foreach(root, i, max, k, v) {
		size_t j;
		for (j = 0; j < n; j++)
			if (strcmp(yyjson_get_str(k), allowed[j]) == 0)
				break;
		if (j == n) {
			(void)lan_field_err(r, API_FIELD_UNKNOWN,
			    yyjson_get_str(k));
			yyjson_doc_free(d);
			return NULL;
		}
	}
	return d;
}

int
api_lan_cert_upload(struct api_req *r)
{
	static const char *const allowed[] = { "certificate", "key" };
	struct api_lan *l = r->r_api->a_lan;
	yyjson_doc *d;
	const char *cert, *key, *why = NULL;
	int rc;

	if (l == NULL)
		return api_req_error(r, API_E_UNAVAILABLE);
	if ((d = lan_body(r, allowed, 2)) == NULL)
		return 0;
	cert = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d),
	    "certificate"));
	key = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d), "key"));
	if (cert == NULL || key == NULL) {
		yyjson_doc_free(d);
		return lan_field_err(r, API_FIELD_MISSING, cert ? "key" :
		    "certificate");
	}
	rc = lan_install_cert(r->r_api, cert, key, &why);
	yyjson_doc_free(d);
	if (rc != CB_OK)
		return why ? lan_refuse(r, 400, "certificate_refused",
		    "証明書と鍵を受け付けられませんでした", why) :
		    api_req_error(r, API_E_INTERNAL);
	api_audit_note(r, "lan:certificate");
	return api_lan_view(r);
}

int
api_lan_cert_remove(struct api_req *r)
{
	struct api_lan *l = r->r_api->a_lan;

	if (l == NULL || cert_upload_remove(l->al_tlsdir) != CB_OK)
		return api_req_error(r, API_E_INTERNAL);
	api_audit_note(r, "lan:certificate");
	lan_refresh(l);
	return api_lan_view(r);
}

/* ---- network settings ---------------------------------------------- */

static int
lan_read_netreq(yyjson_val *root, struct netcfg_req *rq, const char **bad)
{
	yyjson_val *mode = yyjson_obj_get(root, "mode");
	yyjson_val *addr = yyjson_obj_get(root, "address");
	yyjson_val *gw = yyjson_obj_get(root, "gateway");
	yyjson_val *dns = yyjson_obj_get(root, "dns");
	yyjson_val *cs = yyjson_obj_get(root, "confirm_s"), *v;
	size_t i, max;

	*bad = "mode";
	if (!yyjson_is_str(mode))
		return CB_EINVAL;
	rq->nr_static = strcmp(yyjson_get_str(mode), "static") == 0;
	if (!rq->nr_static && strcmp(yyjson_get_str(mode), "dhcp") != 0)
		return CB_EINVAL;
	rq->nr_confirm_s = NETCFG_CONFIRM_DEFAULT_S;
	*bad = "confirm_s";
	if (cs != NULL && (!yyjson_is_uint(cs) || yyjson_get_uint(cs) >
	    NETCFG_CONFIRM_MAX_S))
		return CB_EINVAL;
	if (cs != NULL)
		rq->nr_confirm_s = (uint32_t)yyjson_get_uint(cs);
	if (!rq->nr_static)
		return addr || gw || dns ? (*bad = "mode", CB_EINVAL) : CB_OK;
	*bad = "address";
	if (!yyjson_is_str(addr) || cb_strlcpy(rq->nr_address,
	    yyjson_get_str(addr), sizeof(rq->nr_address)) != CB_OK)
		return CB_EINVAL;
	*bad = "gateway";
	if (gw != NULL && (!yyjson_is_str(gw) || cb_strlcpy(rq->nr_gateway,
	    yyjson_get_str(gw), sizeof(rq->nr_gateway)) != CB_OK))
		return CB_EINVAL;
	*bad = "dns";
	if (dns != NULL && (!yyjson_is_arr(dns) ||
	    yyjson_arr_size(dns) > NETCFG_DNS_MAX))
		return CB_EINVAL;
	yyjson_arr_foreach(dns, i, max, v)
		if (!yyjson_is_str(v) || cb_strlcpy(rq->nr_dns[rq->nr_ndns++],
		    yyjson_get_str(v), NETCFG_IP_MAX) != CB_OK)
			return CB_EINVAL;
	return CB_OK;
}

static int
lan_write(struct api_lan *l, const char *name, const char *text)
{
	char path[PATH_MAX];

	if (cb_path_join(path, sizeof(path), l->al_netcfg, name) != CB_OK)
		return CB_ETOOBIG;
	return cb_write_file_atomic(path, text, strlen(text), 0644);
}

int
api_lan_network_set(struct api_req *r)
{
	static const char *const allowed[] = { "mode", "address", "gateway",
	    "dns", "confirm_s" };
	struct api_lan *l = r->r_api->a_lan;
	struct netcfg_req rq, old;
	char buf[NETCFG_FILE_MAX + 1];
	const char *bad, *why;
	yyjson_doc *d;
	size_t len;
	int rc;

	if (l == NULL || l->al_cfg.lc_netcfg_dir == NULL)
		return lan_refuse(r, 503, "unavailable",
		    "この本体ではネットワーク設定を管理していません",
		    "network settings are not managed on this box (no netcfg)");
	if ((d = lan_body(r, allowed, CB_ARRAY_LEN(allowed))) == NULL)
		return 0;
	memset(&rq, 0, sizeof(rq));
	rc = lan_read_netreq(yyjson_doc_get_root(d), &rq, &bad);
	yyjson_doc_free(d);
	if (rc != CB_OK)
		return lan_field_err(r, API_FIELD_VALUE, bad);
	if (netcfg_validate(&rq, &why) != CB_OK)
		return lan_refuse(r, 400, "invalid_network",
		    "このネットワーク設定は使えません", why);
	rq.nr_id = 1;
	if (lan_read_small(l->al_netcfg, "request", buf, sizeof(buf), &len) ==
	    CB_OK && netcfg_req_parse(buf, len, &old) == CB_OK)
		rq.nr_id = old.nr_id + 1;
	if (netcfg_req_format(&rq, buf, sizeof(buf)) != CB_OK ||
	    lan_write(l, "request", buf) != CB_OK)
		return api_req_error(r, API_E_INTERNAL);
	api_audit_note(r, "lan:network");
	return api_lan_view(r);
}

int
api_lan_network_ok(struct api_req *r)
{
	static const char *const allowed[] = { "id" };
	const struct http_req *q = http_request(r->r_ex);
	struct api_lan *l = r->r_api->a_lan;
	struct netcfg_req rq;
	char buf[NETCFG_FILE_MAX + 1], want[NETCFG_IP_MAX], msg[160];
	yyjson_doc *d;
	yyjson_val *id;
	size_t len;

	if (l == NULL || l->al_cfg.lc_netcfg_dir == NULL)
		return api_req_error(r, API_E_UNAVAILABLE);
	if ((d = lan_body(r, allowed, 1)) == NULL)
		return 0;
	id = yyjson_obj_get(yyjson_doc_get_root(d), "id");
	if (!yyjson_is_uint(id)) {
		yyjson_doc_free(d);
		return lan_field_err(r, API_FIELD_VALUE, "id");
	}
	if (lan_read_small(l->al_netcfg, "request", buf, sizeof(buf), &len) !=
	    CB_OK || netcfg_req_parse(buf, len, &rq) != CB_OK ||
	    rq.nr_id != yyjson_get_uint(id)) {
		yyjson_doc_free(d);
		return lan_refuse(r, 409, "conflict",
		    "この番号の保留中の変更はありません",
		    "no pending change with this id");
	}
	yyjson_doc_free(d);
	/* The point of the timer: only an admin who reached the box at its
	 * new address can keep it. */
	netcfg_addr_only(rq.nr_address, want, sizeof(want));
	if (rq.nr_static && strcmp(q->local, want) != 0) {
		snprintf(msg, sizeof(msg), "confirm from the new address: "
		    "open https://%s/ (this request came to %s)", want,
		    q->local);
		return lan_refuse(r, 409, "confirm_from_new_address",
		    "新しいアドレスから確定してください", msg);
	}
	snprintf(buf, sizeof(buf), "id=%u\n", (unsigned)rq.nr_id);
	if (lan_write(l, "confirm", buf) != CB_OK)
		return api_req_error(r, API_E_INTERNAL);
	api_audit_note(r, "lan:network");
	return api_lan_view(r);
}

