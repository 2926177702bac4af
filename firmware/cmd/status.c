/*
 * status.c: `classbox status`: the box's state for a technician, as
 * key=value lines: the clock and the cloud sync (DATA/sync/status.json).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock/clock.h"
#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "sync/status.h"

static void
status_time(const char *key, int64_t ms)
{
	char buf[32] = "never";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms > 0 && gmtime_r(&t, &tm) != NULL)
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s=%s\n", key, buf);
}

int
cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = CB_DEFAULT_DATA;
	char path[PATH_MAX], enr[PATH_MAX];
	struct sync_status st;
	struct clock_status cs;
	struct clock *clk;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'd') {
			fprintf(stderr, "usage: classbox status [--data DIR]\n");
			return 2;
		}
		data = optarg;
	}
	if (cb_path_join(path, sizeof(path), data, CB_AUDIT_OPS_SUBDIR "/"
	    CLOCK_FLOOR_FILE) == CB_OK &&
	    clock_open(&clk, path, NULL, CLOCK_READONLY) == CB_OK) {
		if (cb_path_join(path, sizeof(path), data, "sync/"
		    CLOCK_HINT_FILE) == CB_OK)
			(void)clock_set_hint(clk, path);
		if (clock_state(clk, &cs) == CB_OK) {
			printf("time.state=%s\n",
			    clock_state_name(cs.cs_now.st_state));
			status_time("time.now", cs.cs_now.st_ms);
			printf("time.error_ms=%u\n",
			    (unsigned)cs.cs_now.st_error_ms);
		}
		clock_close(clk);
	}
	if (cb_path_join(path, sizeof(path), data, SYNC_STATUS_FILE) != CB_OK ||
	    cb_path_join(enr, sizeof(enr), data, SYNC_ENROLL_PATH) != CB_OK)
		return 1;
	rc = sync_status_read(path, &st);
	if (rc == CB_ENOTFOUND) {
		int enrolled = access(enr, F_OK) == 0;
		printf("sync.state=%s\nsync.last_ok=never\nsync.pending=unknown"
		    "\nsync.last_error=%s\n", enrolled ? "not_started" :
		    "not_enrolled", enrolled ? "sync has not run yet" :
		    "this box is not enrolled (classbox enroll FILE)");
		return 0;
	}
	if (rc != CB_OK) {
		printf("sync.state=unknown\nsync.last_error=cannot read %s\n",
		    path);
		return 1;
	}
	printf("sync.state=%s\n", st.st_state);
	status_time("sync.last_ok", st.st_last_ok_ms);
	status_time("sync.last_attempt", st.st_last_attempt_ms);
	printf("sync.pending=%llu\n", (unsigned long long)st.st_pending);
	printf("sync.failures=%llu\n", (unsigned long long)st.st_failures);
	printf("sync.last_error=%s\n", st.st_last_error);
	printf("sync.error_kind=%s\n", st.st_error_kind);
	printf("sync.refused=%llu\n", (unsigned long long)st.st_refused);
	printf("sync.last_refused=%s\n", st.st_last_refused);
	/* The proxy in use and where it was set; never its credentials. */
	printf("sync.proxy_source=%s\n", st.st_proxy_source);
	if (st.st_proxy_host[0] != '\0')
		printf("sync.proxy=%s:%d\nsync.proxy_auth=%s\n",
		    st.st_proxy_host, st.st_proxy_port, st.st_proxy_user ?
		    "user and password set" : "none");
	else
		printf("sync.proxy=\n");
	printf("sync.proxy_result=%s\n", st.st_proxy_result);
	/* The enrollment's certificates (docs/lan.md, "Expiry"). */
	if (st.st_client_cert_not_after_ms > 0)
		status_time("sync.client_cert_not_after",
		    st.st_client_cert_not_after_ms);
	if (st.st_cloud_ca_not_after_ms > 0)
		status_time("sync.cloud_ca_not_after",
		    st.st_cloud_ca_not_after_ms);
	return 0;
}
