/*
 * netcfg.c: `classbox netcfg`, the root side of the admin's network
 * settings (docs/lan.md). web is unprivileged: it writes a request into
 * DIR; this applet, as root, applies it, and reverts by itself unless the
 * admin confirms from the new address before the deadline, so that a
 * wrong address cannot lock the admin out. Only a confirmed setting is
 * written to the config file; reverting means "apply the config file
 * again", which also covers a restart of this applet while waiting.
 *
 * Everything it reads from DIR is the web user's and is parsed strictly
 * (net/netcfg.c, fuzzed); commands run without a shell.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "net/netcfg.h"

#define NETCFG_POLL_MS		250
#define NETCFG_CONF_MAX		(16 * 1024)
#define NETCFG_ARGV_MAX		16

struct netcfgd {
	const char *dir, *iface, *conf, *resolv, *pidfile;
	struct netcfg_state st;
	uint32_t seen;			/* last request id looked at */
};

static volatile sig_atomic_t netcfgd_stop;

static void
netcfgd_on_signal(int sig)
{
	netcfgd_stop = sig;
}

/* A small regular file of DIR (never through a link). */
static int
netcfgd_read(const char *dir, const char *name, char *buf, size_t size,
    size_t *len)
{
	char path[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	if (cb_path_join(path, sizeof(path), dir, name) != CB_OK ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return CB_ENOTFOUND;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size >= size) {
		close(fd);
		return CB_EINVAL;
	}
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return CB_EIO;
	buf[n] = '\0';
	*len = (size_t)n;
	return CB_OK;
}

static void
netcfgd_save_state(struct netcfgd *d)
{
	char buf[NETCFG_FILE_MAX], path[PATH_MAX];

	if (netcfg_state_format(&d->st, buf, sizeof(buf)) != CB_OK ||
	    cb_path_join(path, sizeof(path), d->dir, "state") != CB_OK ||
	    cb_write_file_atomic(path, buf, strlen(buf), 0644) != CB_OK)
		log_err("netcfg: cannot write the state into %s", d->dir);
}

static int
netcfgd_exec(const char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return CB_EIO;
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		log_warn("netcfg: %s %s %s ... failed", argv[0], argv[1],
		    argv[2] ? argv[2] : "");
		return CB_EIO;
	}
	return CB_OK;
}

static void
netcfgd_stop_dhcp(struct netcfgd *d)
{
	char buf[32];
	size_t len;
	long pid;

	if (d->pidfile == NULL || netcfgd_read("/", d->pidfile, buf,
	    sizeof(buf), &len) != CB_OK)
		return;
	pid = strtol(buf, NULL, 10);
	if (pid > 1 && kill((pid_t)pid, SIGTERM) == 0)
		log_info("netcfg: stopped the DHCP client (pid %ld)", pid);
}

static int
netcfgd_resolv(struct netcfgd *d, const struct netcfg_req *r)
{
	char buf[NETCFG_DNS_MAX * 40] = "";

	if (d->resolv == NULL || r->nr_ndns == 0)
		return CB_OK;
	for (size_t i = 0; i < r->nr_ndns; i++) {
		strcat(buf, "nameserver ");
		strcat(buf, r->nr_dns[i]);
		strcat(buf, "\n");
	}
	return cb_write_file_atomic(d->resolv, buf, strlen(buf), 0644);
}

static int
netcfgd_apply(struct netcfgd *d, const struct netcfg_req *r)
{
	const char *flush[] = { "ip", "-4", "addr", "flush", "dev", d->iface,
	    NULL };
	int rc;

	log_info("netcfg: applying %s%s%s%s on %s", r->nr_static ? "static " :
	    "DHCP", r->nr_address, r->nr_gateway[0] ? " via " : "",
	    r->nr_gateway, d->iface);
	if (!r->nr_static) {
		char host[80] = "hostname:";
		const char *dhcp[] = { "udhcpc", "-b", "-S", "-R", "-i",
		    d->iface, "-p", d->pidfile ? d->pidfile : "/dev/null",
		    "-x", host, NULL };
		(void)gethostname(host + 9, sizeof(host) - 10);
		netcfgd_stop_dhcp(d);
		(void)netcfgd_exec(flush);
		return netcfgd_exec(dhcp);
	}
	const char *add[] = { "ip", "addr", "add", r->nr_address, "dev",
	    d->iface, NULL };
	const char *route[] = { "ip", "route", "replace", "default", "via",
	    r->nr_gateway, "dev", d->iface, NULL };
	netcfgd_stop_dhcp(d);
	if ((rc = netcfgd_exec(flush)) != CB_OK ||
	    (rc = netcfgd_exec(add)) != CB_OK)
		return rc;
	if (r->nr_gateway[0] && (rc = netcfgd_exec(route)) != CB_OK)
		return rc;
	return netcfgd_resolv(d, r);
}

/* ---- the config file ----------------------------------------------- */

/* The value of KEY= on an uncommented line, quotes removed. */
static void
netcfgd_conf_get(const char *conf, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *p = conf;

	out[0] = '\0';
	for (; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) != 0 || p[klen] != '=')
			continue;
		const char *v = p + klen + 1;
		size_t n = strcspn(v, "\n");
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v++;
			n -= 2;
		}
		if (n >= size)
			n = size - 1;
		memcpy(out, v, n);
		out[n] = '\0';
	}
}

static int
netcfgd_conf_req(struct netcfgd *d, struct netcfg_req *r)
{
	char conf[NETCFG_CONF_MAX], dns[64];
	size_t len;
	const char *why;

	memset(r, 0, sizeof(*r));
	r->nr_confirm_s = NETCFG_CONFIRM_DEFAULT_S;
	if (netcfgd_read("/", d->conf, conf, sizeof(conf), &len) != CB_OK)
		return CB_ENOTFOUND;
	netcfgd_conf_get(conf, "CLASSBOX_ADDRESS", r->nr_address,
	    sizeof(r->nr_address));
	if (r->nr_address[0] == '\0')
		return CB_OK;
	r->nr_static = 1;
	netcfgd_conf_get(conf, "CLASSBOX_GATEWAY", r->nr_gateway,
	    sizeof(r->nr_gateway));
	netcfgd_conf_get(conf, "CLASSBOX_DNS", dns, sizeof(dns));
	for (char *t = strtok(dns, " "); t && r->nr_ndns < NETCFG_DNS_MAX;
	    t = strtok(NULL, " "))
		(void)cb_strlcpy(r->nr_dns[r->nr_ndns++], t, NETCFG_IP_MAX);
	return netcfg_validate(r, &why);
}

/* Set KEY="value" in the config text: the first uncommented line, or a
 * new line at the end. */
static int
netcfgd_conf_set(char *conf, size_t size, const char *key, const char *val)
{
	char line[128], *p = conf, *end;
	size_t klen = strlen(key), n;

	n = (size_t)snprintf(line, sizeof(line), "%s=\"%s\"\n", key, val);
	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			break;
	if (p == NULL || *p == '\0') {
		if (strlen(conf) + n >= size)
			return CB_ETOOBIG;
		strcat(conf, line);
		return CB_OK;
	}
	end = strchr(p, '\n');
	end = end ? end + 1 : p + strlen(p);
	if (strlen(conf) - (size_t)(end - p) + n >= size)
		return CB_ETOOBIG;
	memmove(p + n, end, strlen(end) + 1);
	memcpy(p, line, n);
	return CB_OK;
}

static int
netcfgd_conf_save(struct netcfgd *d, const struct netcfg_req *r)
{
	char conf[NETCFG_CONF_MAX], dns[64] = "";
	size_t len;

	if (netcfgd_read("/", d->conf, conf, sizeof(conf) - 256, &len) !=
	    CB_OK)
		return CB_EIO;
	for (size_t i = 0; i < r->nr_ndns; i++) {
		if (i)
			strcat(dns, " ");
		strcat(dns, r->nr_dns[i]);
	}
	if (netcfgd_conf_set(conf, sizeof(conf), "CLASSBOX_ADDRESS",
	    r->nr_static ? r->nr_address : "") != CB_OK ||
	    netcfgd_conf_set(conf, sizeof(conf), "CLASSBOX_GATEWAY",
	    r->nr_gateway) != CB_OK ||
	    netcfgd_conf_set(conf, sizeof(conf), "CLASSBOX_DNS", dns) != CB_OK)
		return CB_ETOOBIG;
	return cb_write_file_atomic(d->conf, conf, strlen(conf), 0644);
}

/* ---- the steps ------------------------------------------------------ */

static void
netcfgd_revert(struct netcfgd *d, enum netcfg_phase phase, const char *why)
{
	struct netcfg_req r;

	if (netcfgd_conf_req(d, &r) != CB_OK || netcfgd_apply(d, &r) != CB_OK)
		log_err("netcfg: could not re-apply %s", d->conf);
	d->st.ns_phase = phase;
	d->st.ns_deadline_ms = 0;
	snprintf(d->st.ns_message, sizeof(d->st.ns_message), "%s", why);
	log_warn("netcfg: request %u %s: %s", (unsigned)d->st.ns_id,
	    netcfg_phase_name(phase), why);
	netcfgd_save_state(d);
}

static void
netcfgd_new_request(struct netcfgd *d)
{
	char buf[NETCFG_FILE_MAX + 1];
	struct netcfg_req r;
	const char *why = NULL;
	size_t len;
	int rc;

	if (netcfgd_read(d->dir, "request", buf, sizeof(buf), &len) != CB_OK)
		return;
	rc = netcfg_req_parse(buf, len, &r);
	if (r.nr_id <= d->seen)
		return;
	d->seen = r.nr_id;
	d->st.ns_id = r.nr_id;
	if (rc != CB_OK) {
		(void)netcfg_validate(&r, &why);
		d->st.ns_phase = NETCFG_REFUSED;
		snprintf(d->st.ns_message, sizeof(d->st.ns_message), "%s",
		    why ? why : "malformed request");
		netcfgd_save_state(d);
		return;
	}
	if (netcfgd_apply(d, &r) != CB_OK) {
		netcfgd_revert(d, NETCFG_FAILED, "the setting could not be "
		    "applied; the previous one is back");
		return;
	}
	d->st.ns_phase = NETCFG_WAITING;
	d->st.ns_deadline_ms = cb_now_ms() + (int64_t)r.nr_confirm_s * 1000;
	snprintf(d->st.ns_message, sizeof(d->st.ns_message), "confirm from "
	    "the new address within %u s, or the previous setting returns",
	    (unsigned)r.nr_confirm_s);
	netcfgd_save_state(d);
}

static void
netcfgd_check_confirm(struct netcfgd *d)
{
	char buf[64], want[32], req[NETCFG_FILE_MAX + 1];
	struct netcfg_req r;
	size_t len;

	snprintf(want, sizeof(want), "id=%u\n", (unsigned)d->st.ns_id);
	if (netcfgd_read(d->dir, "confirm", buf, sizeof(buf), &len) == CB_OK &&
	    strcmp(buf, want) == 0 &&
	    netcfgd_read(d->dir, "request", req, sizeof(req), &len) == CB_OK &&
	    netcfg_req_parse(req, len, &r) == CB_OK &&
	    r.nr_id == d->st.ns_id) {
		if (netcfgd_conf_save(d, &r) != CB_OK) {
			netcfgd_revert(d, NETCFG_FAILED, "confirmed, but the "
			    "config file could not be written");
			return;
		}
		d->st.ns_phase = NETCFG_CONFIRMED;
		d->st.ns_deadline_ms = 0;
		snprintf(d->st.ns_message, sizeof(d->st.ns_message),
		    "confirmed and saved in %s", d->conf);
		log_info("netcfg: request %u confirmed", (unsigned)r.nr_id);
		netcfgd_save_state(d);
		return;
	}
	if (cb_now_ms() >= d->st.ns_deadline_ms)
		netcfgd_revert(d, NETCFG_REVERTED, "not confirmed in time; the "
		    "previous setting is back");
}

static int
netcfgd_parse(int argc, char **argv, struct netcfgd *d)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "iface", required_argument, NULL, 'i' },
		{ "conf", required_argument, NULL, 'c' },
		{ "resolv", required_argument, NULL, 'r' },
		{ "dhcp-pidfile", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	d->iface = "eth0";
	d->conf = "/etc/classbox.conf";
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': d->dir = optarg; break;
		case 'i': d->iface = optarg; break;
		case 'c': d->conf = optarg; break;
		case 'r': d->resolv = optarg; break;
		case 'p': d->pidfile = optarg; break;
		default:
			d->dir = NULL;
			break;
		}
	}
	if (d->dir == NULL || d->conf[0] != '/') {
		fprintf(stderr, "usage: classbox netcfg --dir DIR [--iface IF] "
		    "[--conf /ABS/classbox.conf] [--resolv FILE] "
		    "[--dhcp-pidfile FILE]\n");
		return CB_EINVAL;
	}
	return CB_OK;
}

int
cmd_netcfg(int argc, char **argv)
{
	struct netcfgd d;
	char buf[NETCFG_FILE_MAX + 1];
	size_t len;

	memset(&d, 0, sizeof(d));
	cb_log_init("netcfg");
	if (netcfgd_parse(argc, argv, &d) != CB_OK)
		return 2;
	if (netcfgd_read(d.dir, "state", buf, sizeof(buf), &len) == CB_OK &&
	    netcfg_state_parse(buf, len, &d.st) == CB_OK) {
		d.seen = d.st.ns_id;
		if (d.st.ns_phase == NETCFG_WAITING)
			netcfgd_revert(&d, NETCFG_REVERTED, "netcfg restarted "
			    "before the change was confirmed");
	}
	signal(SIGTERM, netcfgd_on_signal);
	signal(SIGINT, netcfgd_on_signal);
	log_info("netcfg: watching %s for %s", d.dir, d.iface);
	while (!netcfgd_stop) {
		if (d.st.ns_phase == NETCFG_WAITING)
			netcfgd_check_confirm(&d);
		else
			netcfgd_new_request(&d);
		usleep(NETCFG_POLL_MS * 1000);
	}
	if (d.st.ns_phase == NETCFG_WAITING)
		netcfgd_revert(&d, NETCFG_REVERTED, "netcfg stopped before "
		    "the change was confirmed");
	return 0;
}
