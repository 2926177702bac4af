/*
 * status.h: the public status page (/status, /api/v1/status), the
 * Prometheus metrics (/metrics) and the notices shown on them (notices.c):
 * local maintenance windows and incident banners that admins create, and
 * platform notices that arrive by replication (same document type, source
 * "platform"). Nothing here carries personal data.
 */
#ifndef API_STATUS_H
#define API_STATUS_H

#include <stdint.h>

#include "net/http.h"

struct api;
struct clock;
struct yyjson_mut_doc;
struct yyjson_mut_val;

/* Maintenance windows are announced this many days before they start. */
#define NOTICE_AHEAD_DAYS	14
#define NOTICE_MESSAGE_MAX	500	/* bytes of one message (UTF-8) */
#define NOTICE_SCAN_MAX		200	/* notices examined per request */
/* The index date of an incident without an end: always "current". */
#define NOTICE_OPEN_UNTIL	"9999-12-31"

/* The server whose counters /metrics shows (not owned; NULL: zeros). */
void api_set_http_server(struct api *a, const struct http_server *srv);
/* The clock the status page reads (not owned). Without one, the api opens
 * a read-only clock of its own on the first request (no floor file: the
 * state is still the kernel's). */
void api_set_clock(struct api *a, struct clock *c);

/* DATA/sync/status.json, written by the sync process (copied; NULL or
 * never set: no sync part). */
void api_set_sync_status(struct api *a, const char *path);
/* GET /api/v1/status/sync (admins): the cloud sync's state, last good
 * sync, changes waiting to go out and the last error in words. */
struct api_req;
int api_status_sync(struct api_req *r);

/* In api.c's dispatch, before the API prefix: 1 when path is one of ours
 * (/status, /metrics) and the exchange has been answered. */
int api_status_handle(struct api *a, struct http_exchange *ex,
    const struct http_req *q);

/* 1 when addr (text form, IPv4 or IPv6) is loopback, RFC 1918, link-local
 * or unique-local (fc00::/7): who may read /metrics. */
int api_metrics_addr_ok(const char *addr);

/*
 * notices.c: append the notices to show at now_ms to cur (in force now)
 * and ahead (announced: maintenance starting within NOTICE_AHEAD_DAYS).
 * with_ids adds "_id" (for admins, who delete by id). CB_OK or CB_E*.
 */
int notices_collect(struct api *a, int64_t now_ms,
    struct yyjson_mut_doc *doc, struct yyjson_mut_val *cur,
    struct yyjson_mut_val *ahead, int with_ids);

#endif
