/*
 * status.c: the public status page and the metrics (issue 5, item 8).
 *
 * GET /status          HTML, Japanese first with English; no login.
 * GET /api/v1/status   the same as JSON; no login.
 * GET /metrics         Prometheus text format; no login, but only from
 *                      loopback and private LAN addresses (the school's IT
 *                      staff scrape it on the LAN); 403 from elsewhere.
 *
 * None of them carries personal data: no names, no ids of people, no
 * counts per user. The notices' texts are written by admins (or the
 * platform) for everyone to read.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yyjson.h>

#include "api/api_impl.h"
#include "api/classroom.h"
#include "api/status.h"
#include "clock/clock.h"
#include "base/cb.h"
#include "core/policy.h"
#include "core/records.h"
#include "net/cert.h"
#include "store/store.h"
#include "sync/status.h"

#ifndef CLASSBOX_VERSION
#define CLASSBOX_VERSION "dev"
#endif

#define STATUS_PAGE_MAX		(64 * 1024)
#define STATUS_METRICS_MAX	(16 * 1024)	/* the /metrics text */

void
api_set_http_server(struct api *a, const struct http_server *srv)
{
	a->a_srv = srv;
}

void
api_set_clock(struct api *a, struct clock *c)
{
	a->a_clock = c;
}

void
api_set_sync_status(struct api *a, const char *path)
{
	free(a->a_sync_status);
	a->a_sync_status = path ? strdup(path) : NULL;
}

/* DATA/sync/enroll.json is there: web may look the name up (DATA/sync is
 * 0711), never read the file (0600 sync). */
static bool
status_sync_enrolled(const struct api *a)
{
	char p[PATH_MAX];
	const char *slash = a->a_sync_status ? strrchr(a->a_sync_status, '/') :
	    NULL;

	if (slash == NULL || snprintf(p, sizeof(p), "%.*s/enroll.json",
	    (int)(slash - a->a_sync_status), a->a_sync_status) >=
	    (int)sizeof(p))
		return false;
	return access(p, F_OK) == 0;
}

/* KEY: {"not_after_ms","days_left","expires_soon","expired"}, or null
 * when sync holds no such certificate. */
static bool
status_sync_cert(yyjson_mut_doc *doc, yyjson_mut_val *o, const char *key,
    int64_t not_after_ms)
{
	int64_t left_s = not_after_ms / 1000 - cb_now_ms() / 1000;
	yyjson_mut_val *c;

	if (not_after_ms <= 0)
		return yyjson_mut_obj_add_null(doc, o, key);
	return (c = yyjson_mut_obj(doc)) != NULL &&
	    yyjson_mut_obj_add_int(doc, c, "not_after_ms", not_after_ms) &&
	    yyjson_mut_obj_add_int(doc, c, "days_left", left_s / 86400) &&
	    yyjson_mut_obj_add_bool(doc, c, "expires_soon",
	    left_s < (int64_t)CERT_WARN_DAYS * 86400) &&
	    yyjson_mut_obj_add_bool(doc, c, "expired", left_s <= 0) &&
	    yyjson_mut_obj_add_val(doc, o, key, c);
}

/* GET /api/v1/status/sync (admins). */
int
api_status_sync(struct api_req *r)
{
	struct sync_status st;
	yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = yyjson_mut_obj(doc);
	int rc = r->r_api->a_sync_status ?
	    sync_status_read(r->r_api->a_sync_status, &st) : CB_ENOTFOUND;
	size_t copen = 0, cdone = 0;

	(void)api_conflicts_count(r, &copen, &cdone);	/* 0 when unknown */

	if (rc != CB_OK) {
		memset(&st, 0, sizeof(st));
		strcpy(st.st_state, rc == CB_ENOTFOUND ? "not_running" :
		    "unknown");
	}
	yyjson_mut_doc_set_root(doc, o);
	if (o == NULL || !yyjson_mut_obj_add_strcpy(doc, o, "state",
	    st.st_state) ||
	    !yyjson_mut_obj_add_int(doc, o, "last_ok_ms", st.st_last_ok_ms) ||
	    !yyjson_mut_obj_add_int(doc, o, "last_attempt_ms",
	    st.st_last_attempt_ms) ||
	    !yyjson_mut_obj_add_int(doc, o, "next_attempt_ms",
	    st.st_next_attempt_ms) ||
	    !yyjson_mut_obj_add_uint(doc, o, "pending", st.st_pending) ||
	    !yyjson_mut_obj_add_uint(doc, o, "failures", st.st_failures) ||
	    !yyjson_mut_obj_add_strcpy(doc, o, "last_error",
	    st.st_last_error) ||
	    !yyjson_mut_obj_add_strcpy(doc, o, "error_kind",
	    st.st_error_kind) ||
	    !yyjson_mut_obj_add_uint(doc, o, "refused", st.st_refused) ||
	    !yyjson_mut_obj_add_strcpy(doc, o, "last_refused",
	    st.st_last_refused) ||
	    !yyjson_mut_obj_add_uint(doc, o, "conflicts_open", copen) ||
	    !yyjson_mut_obj_add_uint(doc, o, "conflicts_resolved", cdone) ||
	    !yyjson_mut_obj_add_bool(doc, o, "enrolled",
	    status_sync_enrolled(r->r_api)) ||
	    !yyjson_mut_obj_add_strcpy(doc, o, "enroll_result",
	    st.st_enroll_result) ||
	    !yyjson_mut_obj_add_int(doc, o, "enroll_ms", st.st_enroll_ms) ||
	    !yyjson_mut_obj_add_bool(doc, o, "enroll_ok",
	    st.st_enroll_ok != 0) ||
	    !status_sync_cert(doc, o, "client_certificate",
	    st.st_client_cert_not_after_ms) ||
	    !status_sync_cert(doc, o, "cloud_ca", st.st_cloud_ca_not_after_ms)) {
		yyjson_mut_doc_free(doc);
		return api_req_error(r, API_E_BUSY);
	}
	http_add_header(r->r_ex, "Cache-Control", "no-store");
	return api_req_json(r, 200, doc);
}

static const char *
status_school_name(int st)
{
	return st == PS_TERMINATED ? "terminated" :
	    st == PS_TERMINATING ? "terminating" : "active";
}

/* The clock's state; CB_E* when there is no clock to ask. */
static int
status_clock(struct api *a, struct clock_status *cs)
{
	if (a->a_clock == NULL && a->a_own_clock == NULL &&
	    clock_open(&a->a_own_clock, "", NULL, CLOCK_READONLY) != CB_OK)
		return CB_ENOMEM;
	return clock_state(a->a_clock ? a->a_clock : a->a_own_clock, cs);
}

/* Certificates (docs/lan.md): expiry of the served one and of the CA,
 * with expires_soon CERT_WARN_DAYS ahead. Not secret: every TLS client
 * sees both. */
static int
status_certs(struct api *a, yyjson_mut_doc *doc, yyjson_mut_val *root,
    int64_t now_s)
{
	static const char *const which[2] = { "server", "ca" };
	yyjson_mut_val *c = yyjson_mut_obj(doc);
	int64_t na;

	if (c == NULL)
		return 0;
	for (int ca = 0; ca <= 1; ca++) {
		yyjson_mut_val *o;
		if (lan_cert_expiry(a, ca, &na) != CB_OK)
			continue;
		if ((o = yyjson_mut_obj(doc)) == NULL ||
		    !yyjson_mut_obj_add_int(doc, o, "not_after_ms", na * 1000) ||
		    !yyjson_mut_obj_add_int(doc, o, "days_left",
		    (na - now_s) / 86400) ||
		    !yyjson_mut_obj_add_bool(doc, o, "expires_soon",
		    na - now_s < (int64_t)CERT_WARN_DAYS * 86400) ||
		    !yyjson_mut_obj_add_bool(doc, o, "expired", na <= now_s) ||
		    !yyjson_mut_obj_add_val(doc, c, which[ca], o))
			return 0;
	}
	return yyjson_mut_obj_add_val(doc, root, "certificates", c);
}

/* The status document, shared by the JSON and the HTML forms. */
static yyjson_mut_doc *
status_doc(struct api *a)
{
	yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root, *t, *sc, *n, *cur, *ahead;
	struct clock_status cs;
	int64_t now;
	int ok;

	if (doc == NULL)
		return NULL;
	root = yyjson_mut_obj(doc);
	t = yyjson_mut_obj(doc);
	sc = yyjson_mut_obj(doc);
	n = yyjson_mut_obj(doc);
	cur = yyjson_mut_arr(doc);
	ahead = yyjson_mut_arr(doc);
	ok = root && t && sc && n && cur && ahead;
	yyjson_mut_doc_set_root(doc, root);
	if (ok && status_clock(a, &cs) == CB_OK) {
		now = cs.cs_now.st_ms;
		ok = yyjson_mut_obj_add_str(doc, t, "state",
		    clock_state_name(cs.cs_now.st_state)) &&
		    yyjson_mut_obj_add_uint(doc, t, "error_ms",
		    cs.cs_now.st_error_ms) &&
		    yyjson_mut_obj_add_int(doc, t, "now_ms", now) &&
		    yyjson_mut_obj_add_int(doc, t, "synced_at_ms",
		    cs.cs_synced_at_ms);
	} else {
		now = cb_now_ms();
		ok = ok && yyjson_mut_obj_add_str(doc, t, "state", "unsynced") &&
		    yyjson_mut_obj_add_int(doc, t, "now_ms", now);
	}
	struct disk_state ds;
	yyjson_mut_val *dv = yyjson_mut_obj(doc);

	api_disk(a, &ds);
	ok = ok && dv != NULL &&
	    yyjson_mut_obj_add_str(doc, dv, "level",
	    disk_level_name(ds.ds_level)) &&
	    yyjson_mut_obj_add_uint(doc, dv, "used_percent", ds.ds_used_pct) &&
	    yyjson_mut_obj_add_uint(doc, dv, "free_bytes", ds.ds_avail) &&
	    yyjson_mut_obj_add_uint(doc, dv, "total_bytes", ds.ds_total) &&
	    yyjson_mut_obj_add_val(doc, root, "disk", dv);
	ok = ok && yyjson_mut_obj_add_str(doc, root, "status", "up") &&
	    yyjson_mut_obj_add_str(doc, root, "version", CLASSBOX_VERSION) &&
	    yyjson_mut_obj_add_val(doc, root, "time", t) &&
	    yyjson_mut_obj_add_str(doc, sc, "state",
	    status_school_name(api_school_state(a))) &&
	    yyjson_mut_obj_add_val(doc, root, "school", sc) &&
	    notices_collect(a, now, doc, cur, ahead, 0) == CB_OK &&
	    yyjson_mut_obj_add_val(doc, n, "current", cur) &&
	    yyjson_mut_obj_add_val(doc, n, "upcoming", ahead) &&
	    yyjson_mut_obj_add_val(doc, root, "notices", n);
	if (ok)
		ok = status_certs(a, doc, root, now / 1000);
	if (!ok) {
		yyjson_mut_doc_free(doc);
		return NULL;
	}
	return doc;
}

/* GET /api/v1/status (no session). */
int
api_status_json(struct api_req *r)
{
	yyjson_mut_doc *doc = status_doc(r->r_api);

	if (doc == NULL)
		return api_req_error(r, API_E_BUSY);
	http_add_header(r->r_ex, "Cache-Control", "no-store");
	return api_req_json(r, 200, doc);
}

/* ---- the HTML page ------------------------------------------------ */

struct sbuf {
	char *b;
	size_t len, cap;
	int err;
};

static void
sb_add(struct sbuf *s, const char *p, size_t n)
{
	if (s->err || n > s->cap - s->len) {
		s->err = 1;
		return;
	}
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

static void
sb_str(struct sbuf *s, const char *p)
{
	sb_add(s, p, strlen(p));
}

/* Text into HTML: & < > " ' escaped. */
static void
sb_esc(struct sbuf *s, const char *p)
{
	for (; p != NULL && *p != '\0'; p++) {
		switch (*p) {
		case '&': sb_str(s, "&amp;"); break;
		case '<': sb_str(s, "&lt;"); break;
		case '>': sb_str(s, "&gt;"); break;
		case '"': sb_str(s, "&quot;"); break;
		case '\'': sb_str(s, "&#39;"); break;
		default: sb_add(s, p, 1); break;
		}
	}
}

static void
sb_time(struct sbuf *s, int64_t ms)
{
	char date[11], buf[32];
	int64_t min = rec_now_local_minutes(ms) % (24 * 60);

	if (ms <= 0) {
		sb_str(s, "-");
		return;
	}
	rec_local_date(ms, date);
	snprintf(buf, sizeof(buf), "%s %02d:%02d JST", date,
	    (int)(min / 60), (int)(min % 60));
	sb_str(s, buf);
}

static const char *
jstr(yyjson_mut_val *o, const char *k)
{
	const char *v = yyjson_mut_get_str(yyjson_mut_obj_get(o, k));

	return v ? v : "";
}

static int64_t
jint(yyjson_mut_val *o, const char *k)
{
	return yyjson_mut_get_sint(yyjson_mut_obj_get(o, k));
}

static void
sb_notices(struct sbuf *s, yyjson_mut_val *arr, int ahead)
{
	yyjson_mut_val *v;
	size_t i, n;

	yyjson_mut_arr_foreach(arr, i, n, v) {
		const char *kind = jstr(v, "kind");

		sb_str(s, "<div class=\"notice ");
		sb_esc(s, jstr(v, "severity"));
		sb_str(s, "\"><p><b>");
		sb_str(s, strcmp(kind, "maintenance") == 0 ?
		    (ahead ? "メンテナンス予定 / Planned maintenance" :
		    "メンテナンス中 / Maintenance in progress") :
		    "障害のお知らせ / Incident");
		if (strcmp(jstr(v, "source"), "platform") == 0)
			sb_str(s, " (運営 / platform)");
		sb_str(s, "</b></p><p lang=\"ja\">");
		sb_esc(s, jstr(v, "message_ja"));
		sb_str(s, "</p><p lang=\"en\">");
		sb_esc(s, jstr(v, "message_en"));
		sb_str(s, "</p>");
		if (jint(v, "starts_ms") > 0) {
			sb_str(s, "<p>");
			sb_time(s, jint(v, "starts_ms"));
			sb_str(s, " – ");
			sb_time(s, jint(v, "ends_ms"));
			sb_str(s, "</p>");
		}
		sb_str(s, "</div>\n");
		(void)n;
		(void)i;
	}
}

static int
status_html(struct api *a, struct http_exchange *ex)
{
	yyjson_mut_doc *doc = status_doc(a);
	yyjson_mut_val *root, *t, *n;
	struct sbuf s = { NULL, 0, STATUS_PAGE_MAX, 0 };
	const char *ts, *school;
	char num[64];

	if (doc == NULL || (s.b = malloc(s.cap)) == NULL) {
		yyjson_mut_doc_free(doc);
		http_reply(ex, 503, "text/plain; charset=utf-8", "busy\n", 5);
		return 0;
	}
	root = yyjson_mut_doc_get_root(doc);
	t = yyjson_mut_obj_get(root, "time");
	n = yyjson_mut_obj_get(root, "notices");
	ts = jstr(t, "state");
	school = jstr(yyjson_mut_obj_get(root, "school"), "state");
	sb_str(&s, "<!doctype html>\n<html lang=\"ja\"><head><meta charset="
	    "\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>稼働状況 / Status</title><link rel=\"icon\" href=\"data:,\">"
	    /* firmware/ui/status.css: the CSP forbids an inline style */
	    "<link rel=\"stylesheet\" href=\"/status.css\"></head>"
	    "<body>\n<h1>稼働状況 <small>/ Status</small></h1>\n<table>\n");
	sb_str(&s, "<tr><td>サーバー / Server</td><td id=\"status\">"
	    "稼働中 / up</td></tr>\n<tr><td>時刻 / Time</td><td id=\"time\">");
	sb_str(&s, strcmp(ts, "synced") == 0 ? "同期済み / synced" :
	    strcmp(ts, "holdover") == 0 ? "保持中 / holdover" :
	    "未同期 / unsynced");
	if (yyjson_mut_obj_get(t, "error_ms") != NULL) {
		snprintf(num, sizeof(num), " (誤差 / error ≤ %" PRId64 " ms)",
		    jint(t, "error_ms"));
		sb_str(&s, num);
	}
	sb_str(&s, "</td></tr>\n<tr><td>学校 / School</td><td id=\"school\">");
	sb_str(&s, strcmp(school, "terminated") == 0 ? "契約終了 / terminated" :
	    strcmp(school, "terminating") == 0 ?
	    "契約終了手続き中 / terminating" : "利用中 / active");
	sb_str(&s, "</td></tr>\n<tr><td>版 / Version</td><td>");
	sb_esc(&s, CLASSBOX_VERSION);
	sb_str(&s, "</td></tr>\n</table>\n<h2>お知らせ / Notices</h2>\n");
	sb_notices(&s, yyjson_mut_obj_get(n, "current"), 0);
	sb_notices(&s, yyjson_mut_obj_get(n, "upcoming"), 1);
	if (yyjson_mut_arr_size(yyjson_mut_obj_get(n, "current")) == 0 &&
	    yyjson_mut_arr_size(yyjson_mut_obj_get(n, "upcoming")) == 0)
		sb_str(&s, "<p>現在お知らせはありません。 / No notices.</p>\n");
	sb_str(&s, "</body></html>\n");
	yyjson_mut_doc_free(doc);
	http_add_header(ex, "Cache-Control", "no-store");
	if (s.err)
		http_reply(ex, 503, "text/plain; charset=utf-8", "busy\n", 5);
	else
		http_reply(ex, 200, "text/html; charset=utf-8", s.b, s.len);
	free(s.b);
	return 0;
}

/* ---- metrics ------------------------------------------------------ */

int
api_metrics_addr_ok(const char *peer)
{
	char ip[64];
	unsigned char b[16];
	const char *p = peer, *end;
	size_t n;

	if (peer == NULL)
		return 0;
	if (*p == '[') {		/* "[v6]:port" */
		p++;
		if ((end = strchr(p, ']')) == NULL)
			return 0;
	} else if ((end = strrchr(p, ':')) == NULL || strchr(p, ':') != end)
		end = p + strlen(p);	/* no port, or a bare v6 address */
	if ((n = (size_t)(end - p)) >= sizeof(ip))
		return 0;
	memcpy(ip, p, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, b) == 1) {
v4:
		return b[0] == 127 || b[0] == 10 ||
		    (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168) ||
		    (b[0] == 169 && b[1] == 254);
	}
	if (inet_pton(AF_INET6, ip, b) != 1)
		return 0;
	if (memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(b, b + 12, 4);	/* v4-mapped */
		goto v4;
	}
	return memcmp(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0 ||
	    (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

static void
sb_metric(struct sbuf *s, const char *name, const char *type,
    const char *help, const char *labels, double v)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "# HELP %s %s\n# TYPE %s %s\n%s%s %.17g\n",
	    name, help, name, type, name, labels ? labels : "", v);
	sb_str(s, buf);
}

/* One HELP and TYPE per metric, then a sample per certificate the box
 * holds (lan_cert_expiries): the served one, the local CA, sync's client
 * certificate and the cloud CA. */
static void
status_cert_metrics(struct api *a, struct sbuf *s)
{
	int64_t na[LAN_CERT_N], now_s = cb_now_ms() / 1000;
	int have[LAN_CERT_N], any = 0;
	char buf[160];

	lan_cert_expiries(a, na, have);
	for (int i = 0; i < LAN_CERT_N; i++)
		any |= have[i];
	if (!any)
		return;
	sb_str(s, "# HELP classbox_certificate_not_after_seconds Expiry of "
	    "each certificate the box holds.\n# TYPE "
	    "classbox_certificate_not_after_seconds gauge\n");
	for (int i = 0; i < LAN_CERT_N; i++)
		if (have[i]) {
			snprintf(buf, sizeof(buf), "classbox_certificate_not_"
			    "after_seconds{which=\"%s\"} %lld\n",
			    lan_cert_which[i], (long long)na[i]);
			sb_str(s, buf);
		}
	sb_str(s, "# HELP classbox_certificate_days_left Whole days until "
	    "the certificate expires, rounded toward zero.\n# TYPE "
	    "classbox_certificate_days_left gauge\n");
	for (int i = 0; i < LAN_CERT_N; i++)
		if (have[i]) {
			snprintf(buf, sizeof(buf), "classbox_certificate_days_"
			    "left{which=\"%s\"} %lld\n", lan_cert_which[i],
			    (long long)((na[i] - now_s) / 86400));
			sb_str(s, buf);
		}
	sb_str(s, "# HELP classbox_certificate_expiring 1 when the "
	    "certificate expires within 30 days (or has expired).\n# TYPE "
	    "classbox_certificate_expiring gauge\n");
	for (int i = 0; i < LAN_CERT_N; i++)
		if (have[i]) {
			snprintf(buf, sizeof(buf), "classbox_certificate_"
			    "expiring{which=\"%s\"} %d\n", lan_cert_which[i],
			    na[i] - now_s < (int64_t)CERT_WARN_DAYS * 86400);
			sb_str(s, buf);
		}
	sb_str(s, "# HELP classbox_certificate_expired 1 when the "
	    "certificate has expired.\n# TYPE "
	    "classbox_certificate_expired gauge\n");
	for (int i = 0; i < LAN_CERT_N; i++)
		if (have[i]) {
			snprintf(buf, sizeof(buf), "classbox_certificate_"
			    "expired{which=\"%s\"} %d\n", lan_cert_which[i],
			    na[i] <= now_s);
			sb_str(s, buf);
		}
}

static int
status_metrics(struct api *a, struct http_exchange *ex,
    const struct http_req *q)
{
	static const char forbidden[] =
	    "403 LAN内からのみ / only from the school's LAN\n";
	struct http_stats hs;
	struct clock_status cs;
	struct sbuf s = { NULL, 0, STATUS_METRICS_MAX, 0 };
	uint64_t seq = 0, txns = 0;
	struct disk_state ds;
	int clk;

	if (!api_metrics_addr_ok(q->peer)) {
		http_reply(ex, 403, "text/plain; charset=utf-8", forbidden,
		    sizeof(forbidden) - 1);
		return 0;
	}
	if ((s.b = malloc(s.cap)) == NULL) {
		http_reply(ex, 503, "text/plain; charset=utf-8", "busy\n", 5);
		return 0;
	}
	memset(&hs, 0, sizeof(hs));
	if (a->a_srv != NULL)
		http_server_stats(a->a_srv, &hs);
	if (a->a_store != NULL) {
		(void)store_last_seq(a->a_store, &seq);
		(void)store_write_txns(a->a_store, &txns);
	}
	clk = status_clock(a, &cs) == CB_OK;
	sb_metric(&s, "classbox_up", "gauge", "1 while the web process "
	    "answers.", NULL, 1);
	sb_metric(&s, "classbox_http_connections_open", "gauge",
	    "Connections open now.", NULL, (double)hs.connections_open);
	sb_metric(&s, "classbox_http_connections_total", "counter",
	    "Connections accepted.", NULL, (double)hs.connections_total);
	sb_metric(&s, "classbox_http_requests_total", "counter",
	    "Requests served.", NULL, (double)hs.requests_total);
	sb_metric(&s, "classbox_http_rejected_limit_total", "counter",
	    "Connections or requests refused by a limit.", NULL,
	    (double)hs.rejected_limit);
	sb_metric(&s, "classbox_http_rejected_per_addr_total", "counter",
	    "Of those, connections refused because their address held "
	    "its share (HTTP_MAX_CONNS_PER_ADDR).", NULL,
	    (double)hs.rejected_per_addr);
	sb_metric(&s, "classbox_tls_failures_total", "counter",
	    "TLS handshakes that failed.", NULL, (double)hs.tls_failures);
	sb_metric(&s, "classbox_store_last_seq", "gauge",
	    "Sequence number of the last change in the classroom store.",
	    NULL, (double)seq);
	sb_metric(&s, "classbox_store_write_txns", "gauge",
	    "Write transactions the classroom store committed, _local "
	    "documents included (each a durable write).", NULL,
	    (double)txns);
	sb_metric(&s, "classbox_clock_state", "gauge", "Time state: "
	    "0 unsynced, 1 holdover, 2 synced.", NULL,
	    clk ? (double)cs.cs_now.st_state : 0);
	sb_metric(&s, "classbox_clock_error_seconds", "gauge",
	    "Error bound of the clock.", NULL,
	    clk ? cs.cs_now.st_error_ms / 1000.0 : 0);
	sb_metric(&s, "classbox_school_state", "gauge", "School: 0 active, "
	    "1 terminating, 2 terminated.", NULL,
	    (double)api_school_state(a));
	struct sync_status ss;
	if (a->a_sync_status != NULL &&
	    sync_status_read(a->a_sync_status, &ss) == CB_OK) {
		sb_metric(&s, "classbox_sync_ok", "gauge", "1 when the last "
		    "cloud sync succeeded.", NULL,
		    strcmp(ss.st_state, "ok") == 0);
		sb_metric(&s, "classbox_sync_last_ok_seconds", "gauge",
		    "Time of the last good cloud sync since the epoch.", NULL,
		    (double)(ss.st_last_ok_ms / 1000));
		sb_metric(&s, "classbox_sync_pending", "gauge", "Local "
		    "changes not yet pushed to the cloud.", NULL,
		    (double)ss.st_pending);
		sb_metric(&s, "classbox_sync_failures", "gauge", "Failed "
		    "sync attempts in a row.", NULL, (double)ss.st_failures);
	}
	api_disk(a, &ds);
	sb_metric(&s, "classbox_disk_used_ratio", "gauge", "Share of the "
	    "data partition in use (root's reserve counted as used).", NULL,
	    ds.ds_used_pct / 100.0);
	sb_metric(&s, "classbox_disk_free_bytes", "gauge", "Bytes free on "
	    "the data partition for the services.", NULL,
	    (double)ds.ds_avail);
	sb_metric(&s, "classbox_disk_level", "gauge", "Data partition: 0 ok, "
	    "1 warn (80%), 2 critical (90%), 3 full (95%: writes refused).",
	    NULL, (double)ds.ds_level);
	status_cert_metrics(a, &s);
	sb_metric(&s, "process_start_time_seconds", "gauge",
	    "Start time of the web process since the epoch.", NULL,
	    (double)(a->a_start_ms / 1000));
	http_add_header(ex, "Cache-Control", "no-store");
	if (s.err)
		http_reply(ex, 503, "text/plain; charset=utf-8", "busy\n", 5);
	else
		http_reply(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
		    s.b, s.len);
	free(s.b);
	return 0;
}

int
api_status_handle(struct api *a, struct http_exchange *ex,
    const struct http_req *q)
{
	int page = strcmp(q->path, "/status") == 0;

	if (!page && strcmp(q->path, "/metrics") != 0)
		return 0;
	if (q->method != HTTP_M_GET && q->method != HTTP_M_HEAD) {
		http_add_header(ex, "Allow", "GET, HEAD");
		http_reply(ex, 405, "text/plain; charset=utf-8",
		    "405 Method Not Allowed\n", 23);
		return 1;
	}
	if (page)
		(void)status_html(a, ex);
	else
		(void)status_metrics(a, ex, q);
	return 1;
}
