/*
 * status.h (sync): DATA/sync/status.json, written atomically by the sync
 * process after every attempt and read by `classbox status` and by web
 * (/api/v1/status for admins, /metrics). No secret is ever in it.
 */
#ifndef SYNC_STATUS_H
#define SYNC_STATUS_H

#include <stddef.h>
#include <stdint.h>

#define SYNC_SUBDIR		"sync"		/* DATA/sync, 0711 sync */
#define SYNC_STATUS_FILE	"sync/status.json"	/* 0644 */
#define SYNC_ENROLL_PATH	"sync/enroll.json"	/* 0600 sync */
#define SYNC_BOX_ID_FILE	"sync/box_id"		/* 0600 sync */
#define SYNC_DROP_SUBDIR	"sync/drop"	/* 0730 sync:web: web hands an
						 * uploaded enrollment over */
#define SYNC_STATUS_MAX		8192		/* bytes of the file */
#define SYNC_STATE_MAX		24
#define SYNC_STATUS_ERR_MAX	256
#define SYNC_ERR_KIND_MAX	8
#define SYNC_PROXY_SOURCE_MAX	12
#define SYNC_PROXY_HOST_MAX	253		/* TLSCLI_HOST_MAX */

/* States: "not_enrolled", "waiting_clock", "syncing", "ok", "offline"
 * (the link or the cloud is down: retrying), "error" (a refusal a person
 * must fix: certificates, credentials, database missing). */
struct sync_status {
	char st_state[SYNC_STATE_MAX];
	int64_t st_last_ok_ms;		/* 0: never */
	int64_t st_last_attempt_ms;
	int64_t st_next_attempt_ms;	/* 0: not scheduled */
	uint64_t st_pending;		/* local changes not yet pushed */
	uint64_t st_pulled, st_pushed;	/* since the process started */
	uint64_t st_failures;		/* consecutive */
	char st_last_error[SYNC_STATUS_ERR_MAX];	/* "" when none */
	/* What kind of failure st_last_error is, for a reader who does not
	 * read English (the UI says it in words): "link", "tls", "http",
	 * "local", "proto", "clock"; "" when none. */
	char st_error_kind[SYNC_ERR_KIND_MAX];
	/* Revisions a side refused in the last cycle (a document the store
	 * or the attachment rules refuse, or the cloud's per-document
	 * errors), and the first one's reason: "" when none. */
	uint64_t st_refused;
	char st_last_refused[SYNC_STATUS_ERR_MAX];
	/* The last enrollment handed over (docs/sync.md, "Enrollment"):
	 * what became of it, in words; "" when none. */
	char st_enroll_result[SYNC_STATUS_ERR_MAX];
	int64_t st_enroll_ms;		/* when; 0: never */
	int st_enroll_ok;		/* 1 installed, 0 refused */
	/* The proxy in use (sync/proxy.h): where it was set ("admin",
	 * "config", "enrollment"; "" direct), its host and port, whether a
	 * user and a password are set (never them); and what became of the
	 * admin's last setting, in words, like the enrollment's. */
	char st_proxy_source[SYNC_PROXY_SOURCE_MAX];
	char st_proxy_host[SYNC_PROXY_HOST_MAX + 1];
	int st_proxy_port;
	int st_proxy_user, st_proxy_password;
	char st_proxy_result[SYNC_STATUS_ERR_MAX];
	int64_t st_proxy_ms;		/* when; 0: never */
	int st_proxy_ok;		/* 1 taken, 0 refused */
	/* "Not after" of the enrollment's client certificate and of the
	 * cloud CA it pins (the first certificate of each PEM field), for
	 * the expiry warnings (docs/lan.md); 0: not enrolled or unreadable. */
	int64_t st_client_cert_not_after_ms;
	int64_t st_cloud_ca_not_after_ms;
};

int sync_status_write(const char *path, const struct sync_status *st);
/* CB_ENOTFOUND when there is no file (sync never ran). */
int sync_status_read(const char *path, struct sync_status *st);
/* The pure part, fuzzed with the other parsers. */
int sync_status_parse(const char *json, size_t len, struct sync_status *st);

#endif
