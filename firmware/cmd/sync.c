/*
 * sync.c: `classbox sync`, the only process that holds the cloud
 * credentials. `--once` runs one cycle (pull, push, audit) and says in one
 * line why it failed; without it, a daemon that runs a cycle when the
 * store changed or every SYNC_POLL_S, backs off exponentially with jitter
 * on failure (capped at SYNC_BACKOFF_MAX_S, --backoff-max to shorten in
 * tests) and probes the cloud cheaply (GET /) to notice the link coming
 * back. It waits for a trustworthy clock first: certificates need one.
 * docs/sync.md.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "clock/clock.h"
#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "base/proc.h"
#include "net/cert.h"
#include "net/httpcli.h"
#include "net/tlscli.h"
#include "store/seal.h"
#include "store/store.h"
#include "sync/drop.h"
#include "sync/enroll.h"
#include "sync/proxy.h"
#include "sync/repl.h"
#include "sync/reset_grants.h"
#include "sync/status.h"

#define SYNC_BACKOFF_MIN_S	1
#define SYNC_BACKOFF_MAX_S	300	/* 5 minutes */
#define SYNC_POLL_S		30	/* cycle at least this often when idle */
#define SYNC_LOCAL_CHECK_MS	1000	/* look at the local seq this often */
#define SYNC_DEBOUNCE_MS	2000	/* let a burst of local writes settle */
#define SYNC_PROBE_MIN_S	5	/* during back-off, probe this often */
#define SYNC_CLOCK_WAIT_S	10	/* re-check an unsynced clock */
#define SYNC_DROP_CHECK_MS	1000	/* look for an uploaded enrollment */

struct sync_opts {
	char data[PATH_MAX];
	int once;
	int allow_unsynced_clock;
	int backoff_max_s;
	size_t batch_docs;
	uid_t uid;
	gid_t gid, gid2;
	struct proxy proxy;	/* --proxy, --proxy-auth (the config's) */
};

static volatile sig_atomic_t sync_stop;
static int sync_reenroll;	/* a new enrollment is installed: exit 0 so
				 * the supervisor starts sync again with it */

static void
sync_on_signal(int sig)
{
	(void)sig;
	sync_stop = 1;
}

static int
sync_parse(int argc, char **argv, struct sync_opts *o)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "once", no_argument, NULL, '1' },
		{ "allow-unsynced-clock", no_argument, NULL, 'c' },
		{ "backoff-max", required_argument, NULL, 'b' },
		{ "batch", required_argument, NULL, 'n' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "group", required_argument, NULL, 'G' },
		{ "proxy", required_argument, NULL, 'P' },
		{ "proxy-auth", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = CB_DEFAULT_DATA, *auth = NULL;
	char err[PROXY_URL_MAX + 300];
	int c;

	memset(o, 0, sizeof(*o));
	o->backoff_max_s = SYNC_BACKOFF_MAX_S;
	o->uid = (uid_t)-1;
	o->gid = o->gid2 = (gid_t)-1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case '1': o->once = 1; break;
		case 'c': o->allow_unsynced_clock = 1; break;
		case 'b': o->backoff_max_s = atoi(optarg); break;
		case 'n': o->batch_docs = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'u': o->uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'g': o->gid = (gid_t)strtoul(optarg, NULL, 10); break;
		case 'G': o->gid2 = (gid_t)strtoul(optarg, NULL, 10); break;
		case 'P':
			if (proxy_url_parse(optarg, &o->proxy, err,
			    sizeof(err)) != CB_OK) {
				fprintf(stderr, "classbox sync: --proxy: %s\n",
				    err);
				return CB_EINVAL;
			}
			break;
		case 'A': auth = optarg; break;
		default:
			fprintf(stderr, "usage: classbox sync [--data DIR] "
			    "[--once] [--allow-unsynced-clock] "
			    "[--backoff-max S] [--batch N] [--proxy URL "
			    "[--proxy-auth FILE]]\n");
			return CB_EINVAL;
		}
	}
	/* Read now, while sync may still be root: the file is root's. */
	if (auth != NULL && !o->proxy.px_set) {
		fprintf(stderr, "classbox sync: --proxy-auth needs --proxy\n");
		return CB_EINVAL;
	}
	if (auth != NULL && proxy_auth_load(auth, &o->proxy, err,
	    sizeof(err)) != CB_OK) {
		fprintf(stderr, "classbox sync: --proxy-auth: %s\n", err);
		return CB_EINVAL;
	}
	if (o->backoff_max_s < SYNC_BACKOFF_MIN_S ||
	    o->backoff_max_s > SYNC_BACKOFF_MAX_S || o->batch_docs > 10000) {
		fprintf(stderr, "classbox sync: --backoff-max must be 1..%d, "
		    "--batch at most 10000\n", SYNC_BACKOFF_MAX_S);
		return CB_EINVAL;
	}
	if (realpath(data, o->data) == NULL) {
		fprintf(stderr, "classbox sync: no data directory %s\n", data);
		return CB_EINVAL;
	}
	return CB_OK;
}

/*
 * Become the sync user: its own uid, the web user's group (the store's
 * files are group-shared, docs/sync.md) and auth's group as a
 * supplementary one (the login log, read for the upload).
 */
static int
sync_drop(const struct sync_opts *o)
{
	gid_t groups[1];

	if (o->uid == (uid_t)-1)
		return CB_OK;
	groups[0] = o->gid2 != (gid_t)-1 ? o->gid2 : o->gid;
	if (setgroups(1, groups) != 0 || setresgid(o->gid, o->gid, o->gid) ||
	    setresuid(o->uid, o->uid, o->uid) != 0 || setuid(0) == 0) {
		fprintf(stderr, "classbox sync: cannot drop privileges: %s\n",
		    strerror(errno));
		return CB_EPERM;
	}
	return CB_OK;
}

/* The box's identity for replication ids: 16 random bytes, kept. */
static int
sync_box_id(const char *data, char out[SYNC_BOX_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	char path[PATH_MAX];
	unsigned char r[SYNC_BOX_ID_LEN / 2];
	FILE *f;

	if (cb_path_join(path, sizeof(path), data, SYNC_BOX_ID_FILE) != CB_OK)
		return CB_ETOOBIG;
	if ((f = fopen(path, "re")) != NULL) {
		int ok = fscanf(f, "%32[0-9a-f]", out) == 1 &&
		    strlen(out) == SYNC_BOX_ID_LEN;
		fclose(f);
		if (ok)
			return CB_OK;
	}
	if (cb_random(r, sizeof(r)) != CB_OK)
		return CB_EIO;
	for (size_t i = 0; i < sizeof(r); i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[SYNC_BOX_ID_LEN] = 0;
	return cb_write_file_atomic(path, out, SYNC_BOX_ID_LEN, 0600);
}

struct sync_run {
	struct sync_opts *r_o;
	struct enroll r_en;
	struct store *r_store;
	struct tlscli *r_tls;
	struct httpcli *r_http;
	struct clock *r_clock;
	struct sync_ctx r_ctx;
	struct sync_status r_st;
	char r_status_path[PATH_MAX];
	char r_hint_path[PATH_MAX];	/* DATA/sync/https-date */
	char r_audit_ops[PATH_MAX], r_audit_login[PATH_MAX];
	struct reset_grants r_grants;	/* the platform's, to auth */
};

static void
sync_status_save(struct sync_run *r)
{
	if (sync_status_write(r->r_status_path, &r->r_st) != CB_OK)
		log_warn("sync: cannot write %s", r->r_status_path);
}

/*
 * An enrollment uploaded in the admin UI (sync/drop.h): taken from the
 * drop directory, checked again, installed as DATA/sync/enroll.json, its
 * admin_password handed to auth; the outcome in words in the status
 * file. Returns 1 when a new enrollment is installed.
 */
static int
sync_take_drop(const struct sync_opts *o, struct sync_status *st,
    const char *status_path)
{
	char drop[PATH_MAX], enroll[PATH_MAX], sock[PATH_MAX];
	char err[SYNC_STATUS_ERR_MAX], seed[160] = "";
	struct enroll e;
	size_t len;
	char *buf = NULL;
	int replace, rc;

	if (cb_path_join(drop, sizeof(drop), o->data, SYNC_DROP_SUBDIR) ||
	    cb_path_join(enroll, sizeof(enroll), o->data, SYNC_ENROLL_PATH) ||
	    cb_path_join(sock, sizeof(sock), o->data, CB_AUTH_SOCK))
		return 0;
	rc = enroll_drop_take(drop, &buf, &len, &replace, err, sizeof(err));
	if (rc == CB_ENOTFOUND)
		return 0;
	if (rc == CB_OK && !replace && access(enroll, F_OK) == 0) {
		snprintf(err, sizeof(err), "this box is already enrolled: "
		    "replacing the enrollment needs the admin's confirmation");
		rc = CB_EEXIST;
	}
	if (rc == CB_OK && (rc = enroll_check(buf, len, &e, err,
	    sizeof(err))) == CB_OK) {
		if ((rc = enroll_install(o->data, buf, len, (uid_t)-1)) != CB_OK)
			snprintf(err, sizeof(err), "cannot store the "
			    "enrollment in DATA/sync");
		else if (e.en_admin_password != NULL)
			(void)enroll_seed_admin(sock, e.en_admin_password, seed,
			    sizeof(seed));
		if (rc == CB_OK)
			snprintf(err, sizeof(err), "%s: cloud %.80s, school "
			    "database %.64s%s%s", replace ? "enrollment "
			    "replaced" : "enrolled", e.en_url.hu_host,
			    e.en_school_db, seed[0] ? "; " : "", seed);
		enroll_free(&e);
	}
	if (buf != NULL) {
		cb_wipe(buf, len);
		free(buf);
	}
	st->st_enroll_ok = rc == CB_OK;
	st->st_enroll_ms = cb_now_ms();
	snprintf(st->st_enroll_result, sizeof(st->st_enroll_result), "%s",
	    rc == CB_OK ? err : "");
	if (rc != CB_OK)
		snprintf(st->st_enroll_result, sizeof(st->st_enroll_result),
		    "refused: %.230s", err[0] ? err : cb_strerror(rc));
	if (rc == CB_OK)
		log_info("sync: %s", st->st_enroll_result);
	else
		log_warn("sync: the uploaded enrollment was %s",
		    st->st_enroll_result);
	if (sync_status_write(status_path, st) != CB_OK)
		log_warn("sync: cannot write %s", status_path);
	return rc == CB_OK;
}

/*
 * The admin's proxy setting handed over by web (sync/proxy.h): checked
 * again, kept as DATA/sync/proxy.json (0600) or, cleared ("{}"), that
 * file removed; the outcome in words in the status. Returns 1 when the
 * setting changed.
 */
static int
sync_take_proxy(const struct sync_opts *o, struct sync_status *st)
{
	char drop[PATH_MAX], path[PATH_MAX], buf[PROXY_SETTING_MAX];
	char err[SYNC_STATUS_ERR_MAX - 16];
	struct proxy p;
	size_t len, jlen;
	char *json;
	int rc;

	memset(&p, 0, sizeof(p));
	if (cb_path_join(drop, sizeof(drop), o->data, SYNC_DROP_SUBDIR) ||
	    cb_path_join(path, sizeof(path), o->data, PROXY_SETTING_FILE))
		return 0;
	rc = proxy_drop_take(drop, buf, sizeof(buf), &len, err, sizeof(err));
	if (rc == CB_ENOTFOUND)
		return 0;
	if (rc == CB_OK)
		rc = proxy_setting_parse(buf, len, &p, err, sizeof(err));
	cb_wipe(buf, sizeof(buf));
	if (rc == CB_OK && !p.px_set) {
		if (unlink(path) != 0 && errno != ENOENT)
			rc = CB_EIO;
		snprintf(err, sizeof(err), rc == CB_OK ? "the proxy set in "
		    "the admin UI is cleared" : "cannot remove the proxy "
		    "setting in DATA/sync");
	} else if (rc == CB_OK) {
		if ((rc = proxy_setting_json(&p, &json, &jlen)) == CB_OK) {
			rc = cb_write_file_atomic(path, json, jlen, 0600);
			cb_wipe(json, jlen);
			free(json);
		}
		if (rc != CB_OK)
			snprintf(err, sizeof(err), "cannot keep the proxy "
			    "setting in DATA/sync");
		else
			snprintf(err, sizeof(err), "proxy set in the admin "
			    "UI: %.100s port %d, %s", p.px_host, p.px_port,
			    p.px_user[0] ? "with a user and password" :
			    "without a user and password");
	}
	proxy_wipe(&p);
	st->st_proxy_ok = rc == CB_OK;
	st->st_proxy_ms = cb_now_ms();
	snprintf(st->st_proxy_result, sizeof(st->st_proxy_result), "%s%s",
	    rc == CB_OK ? "" : "refused: ", err);
	if (rc == CB_OK)
		log_info("sync: %s", st->st_proxy_result);
	else
		log_warn("sync: the admin's proxy setting was %s",
		    st->st_proxy_result);
	return rc == CB_OK;
}

/*
 * The proxy to use: the admin's setting, else the config's (--proxy),
 * else the enrollment's (en NULL: not enrolled). *p holds the secrets:
 * the caller wipes it.
 */
static int
sync_proxy_choose(const struct sync_opts *o, const struct enroll *en,
    struct proxy *p, enum proxy_source *src, char *err, size_t errsize)
{
	char path[PATH_MAX], buf[PROXY_SETTING_MAX + 1], why[200];
	ssize_t n;
	int fd, rc;

	memset(p, 0, sizeof(*p));
	*src = PROXY_NONE;
	if (cb_path_join(path, sizeof(path), o->data, PROXY_SETTING_FILE))
		return CB_ETOOBIG;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
		rc = n < 0 ? CB_EIO : proxy_setting_parse(buf, (size_t)n, p,
		    why, sizeof(why));
		cb_wipe(buf, sizeof(buf));
		if (rc != CB_OK) {
			snprintf(err, errsize, "the proxy set in the admin UI "
			    "(DATA/%s) cannot be read (%.150s): set it again",
			    PROXY_SETTING_FILE, n < 0 ? "read error" : why);
			return rc;
		}
		*src = p->px_set ? PROXY_ADMIN : PROXY_NONE;
		if (p->px_set)
			return CB_OK;
	} else if (errno != ENOENT) {
		snprintf(err, errsize, "cannot read DATA/%s: %s",
		    PROXY_SETTING_FILE, strerror(errno));
		return CB_EIO;
	}
	if (o->proxy.px_set) {
		*p = o->proxy;
		*src = PROXY_CONFIG;
	} else if (en != NULL && en->en_has_proxy) {
		p->px_set = 1;
		snprintf(p->px_host, sizeof(p->px_host), "%s",
		    en->en_proxy_host);
		p->px_port = en->en_proxy_port;
		snprintf(p->px_user, sizeof(p->px_user), "%s",
		    en->en_proxy_user ? en->en_proxy_user : "");
		snprintf(p->px_password, sizeof(p->px_password), "%s",
		    en->en_proxy_password ? en->en_proxy_password : "");
		*src = PROXY_ENROLLMENT;
	}
	return CB_OK;
}

/* What the status says of the proxy in use: never the user or password. */
static void
sync_proxy_status(struct sync_status *st, const struct proxy *p,
    enum proxy_source src)
{
	snprintf(st->st_proxy_source, sizeof(st->st_proxy_source), "%s",
	    proxy_source_name(src));
	snprintf(st->st_proxy_host, sizeof(st->st_proxy_host), "%s",
	    p->px_set ? p->px_host : "");
	st->st_proxy_port = p->px_set ? p->px_port : 0;
	st->st_proxy_user = p->px_user[0] != '\0';
	st->st_proxy_password = p->px_password[0] != '\0';
}

/* Not enrolled: the status still shows the proxy that will be used. */
static void
sync_proxy_publish(const struct sync_opts *o, struct sync_status *st)
{
	char err[SYNC_STATUS_ERR_MAX];
	enum proxy_source src;
	struct proxy p;

	if (sync_proxy_choose(o, NULL, &p, &src, err, sizeof(err)) != CB_OK)
		log_warn("sync: %s", err);
	sync_proxy_status(st, &p, src);
	proxy_wipe(&p);
}

/*
 * Not enrolled: wait for an enrollment, uploaded (the drop) or written by
 * `classbox enroll` on the console. Returns 0 when one is there (the
 * caller exits so that the supervisor starts sync again with it).
 */
static int
sync_wait_enrollment(const struct sync_opts *o, struct sync_status *st,
    const char *status_path)
{
	char drop[PATH_MAX], enroll[PATH_MAX];

	if (cb_path_join(drop, sizeof(drop), o->data, SYNC_DROP_SUBDIR) ||
	    cb_path_join(enroll, sizeof(enroll), o->data, SYNC_ENROLL_PATH))
		return 1;
	/* Ours (DATA/sync is sync's); the group is web's, sync's primary
	 * group, so web may create files here but not list them. */
	if (cb_make_dir(drop, ENROLL_DROP_DIR_MODE, (uid_t)-1, (gid_t)-1))
		return 1;
	strcpy(st->st_state, "not_enrolled");
	snprintf(st->st_last_error, sizeof(st->st_last_error), "this box is "
	    "not enrolled: upload the enrollment file in the admin UI or run "
	    "`classbox enroll FILE` on the console");
	if (sync_status_write(status_path, st) != CB_OK)
		log_warn("sync: cannot write %s", status_path);
	sync_proxy_publish(o, st);
	log_info("sync: not enrolled: waiting for an enrollment");
	signal(SIGTERM, sync_on_signal);
	signal(SIGINT, sync_on_signal);
	while (!sync_stop) {
		if (sync_take_drop(o, st, status_path) ||
		    access(enroll, F_OK) == 0)
			return 0;
		if (sync_take_proxy(o, st)) {
			sync_proxy_publish(o, st);
			if (sync_status_write(status_path, st) != CB_OK)
				log_warn("sync: cannot write %s", status_path);
		}
		usleep(SYNC_DROP_CHECK_MS * 1000);
	}
	return 1;
}

static int
sync_log_there(const char *dir)
{
	char p[PATH_MAX];

	return cb_path_join(p, sizeof(p), dir, "data.mdb") == CB_OK &&
	    access(p, R_OK) == 0;
}

/* When the enrollment's client certificate and the cloud CA expire (the
 * first certificate of each), for web's warnings (docs/lan.md); 0 when
 * not enrolled. Not secret: both are shown to the cloud on every
 * connection. */
static void
sync_cert_dates(const struct enroll *en, struct sync_status *st)
{
	struct cert_info ci;

	st->st_client_cert_not_after_ms = 0;
	st->st_cloud_ca_not_after_ms = 0;
	if (en == NULL)
		return;
	if (cert_info_pem(en->en_cert_pem, strlen(en->en_cert_pem) + 1,
	    &ci) == CB_OK)
		st->st_client_cert_not_after_ms = ci.ci_not_after_s * 1000;
	if (cert_info_pem(en->en_ca_pem, strlen(en->en_ca_pem) + 1, &ci) ==
	    CB_OK)
		st->st_cloud_ca_not_after_ms = ci.ci_not_after_s * 1000;
}

/*
 * The TLS client and the HTTP client over it, through the proxy chosen
 * now (sync_proxy_choose); the status says which proxy.
 */
static int
sync_link(struct sync_run *r, char *err, size_t errsize)
{
	static const char *const from[] = {
		[PROXY_ADMIN] = "in the admin UI",
		[PROXY_CONFIG] = "in the box's config (CLASSBOX_PROXY_AUTH)",
	};
	enum proxy_source src;
	struct tlscli_err te;
	struct proxy p;
	int rc;

	if ((rc = sync_proxy_choose(r->r_o, &r->r_en, &p, &src, err,
	    errsize)) != CB_OK)
		return rc;
	sync_proxy_status(&r->r_st, &p, src);
	struct tlscli_config tc = {
		.tc_ca_pem = r->r_en.en_ca_pem,
		.tc_cert_pem = r->r_en.en_cert_pem,
		.tc_key_pem = r->r_en.en_key_pem,
		.tc_proxy_host = p.px_set ? p.px_host : NULL,
		.tc_proxy_port = p.px_port,
		.tc_proxy_user = p.px_user[0] ? p.px_user : NULL,
		.tc_proxy_password = p.px_password[0] ? p.px_password : NULL,
		.tc_proxy_from = src == PROXY_ADMIN || src == PROXY_CONFIG ?
		    from[src] : NULL,
	};
	rc = tlscli_new(&r->r_tls, &tc, &te);
	proxy_wipe(&p);
	if (rc != CB_OK) {
		snprintf(err, errsize, "%s", te.te_msg);
		return rc;
	}
	if ((rc = httpcli_new(&r->r_http, r->r_tls, &r->r_en.en_url,
	    r->r_en.en_username, r->r_en.en_password)) != CB_OK) {
		snprintf(err, errsize, "username or password too long");
		return rc;
	}
	r->r_ctx.sc_http = r->r_http;
	return CB_OK;
}

/* The admin changed the proxy: a new link for the next cycle. */
static int
sync_relink(struct sync_run *r)
{
	char err[SYNC_ERR_MAX];
	int rc;

	httpcli_free(r->r_http);
	tlscli_free(r->r_tls);
	r->r_http = NULL;
	r->r_tls = NULL;
	r->r_ctx.sc_http = NULL;
	if ((rc = sync_link(r, err, sizeof(err))) != CB_OK)
		log_err("sync: cannot set up the cloud link again: %s", err);
	else if (r->r_st.st_proxy_host[0] != '\0')
		log_info("sync: the cloud link now goes through the proxy %s "
		    "port %d (from: %s)", r->r_st.st_proxy_host,
		    r->r_st.st_proxy_port, r->r_st.st_proxy_source);
	else
		log_info("sync: the cloud link now goes direct");
	return rc;
}

static int
sync_setup(struct sync_run *r, char *err, size_t errsize)
{
	char path[PATH_MAX];
	int rc;

	if (cb_path_join(path, sizeof(path), r->r_o->data, SYNC_ENROLL_PATH))
		return CB_ETOOBIG;
	rc = enroll_load(path, &r->r_en, err, errsize);
	sync_cert_dates(rc == CB_OK ? &r->r_en : NULL, &r->r_st);
	if (rc != CB_OK || (rc = sync_link(r, err, errsize)) != CB_OK)
		return rc;
	if ((rc = cmd_store_open(r->r_o->data, &r->r_store)) != CB_OK) {
		snprintf(err, errsize, "cannot open the classroom store: %s",
		    cb_strerror(rc));
		return rc;
	}
	struct sync_ctx *c = &r->r_ctx;
	c->sc_store = r->r_store;
	c->sc_http = r->r_http;
	c->sc_en = &r->r_en;
	c->sc_batch_docs = r->r_o->batch_docs;
	if ((rc = sync_box_id(r->r_o->data, c->sc_box_id)) != CB_OK) {
		snprintf(err, errsize, "cannot keep the box id in DATA/sync");
		return rc;
	}
	/* The platform's password reset grants go to auth as they are
	 * pulled (docs/sync.md "Password reset grants"). */
	if (cb_path_join(path, sizeof(path), r->r_o->data, CB_AUTH_SOCK) ==
	    CB_OK && reset_grants_init(&r->r_grants, path) == CB_OK) {
		c->sc_on_pulled = reset_grants_on_pulled;
		c->sc_on_pulled_arg = &r->r_grants;
	}
	/* Only logs their writers made: sync never creates one. */
	if (cb_path_join(r->r_audit_ops, PATH_MAX, r->r_o->data,
	    CB_AUDIT_OPS_SUBDIR) == CB_OK && sync_log_there(r->r_audit_ops))
		c->sc_audit_dirs[0] = r->r_audit_ops;
	if (cb_path_join(r->r_audit_login, PATH_MAX, r->r_o->data,
	    CB_AUDIT_LOGIN_SUBDIR) == CB_OK &&
	    sync_log_there(r->r_audit_login))
		c->sc_audit_dirs[1] = r->r_audit_login;
	if (cb_path_join(path, sizeof(path), r->r_o->data,
	    CB_AUDIT_OPS_SUBDIR "/" CLOCK_FLOOR_FILE) != CB_OK ||
	    clock_open(&r->r_clock, path, NULL, CLOCK_READONLY) != CB_OK)
		r->r_clock = NULL;
	if (r->r_clock != NULL && cb_path_join(r->r_hint_path, PATH_MAX,
	    r->r_o->data, "sync/" CLOCK_HINT_FILE) == CB_OK)
		(void)clock_set_hint(r->r_clock, r->r_hint_path);
	return CB_OK;
}

static void
sync_teardown(struct sync_run *r)
{
	free(r->r_ctx.sc_skip);
	httpcli_free(r->r_http);
	tlscli_free(r->r_tls);
	store_close(r->r_store);
	clock_close(r->r_clock);
	enroll_free(&r->r_en);
}

/*
 * The HTTPS Date fallback (clock.h): while the clock is neither synced nor
 * in holdover, the Date header of the cloud's last answer (over TLS
 * verified against the enrolled CA) becomes the hint file that names
 * stamps "https-date". sync never sets the clock: it has no right to.
 * Root may, from this file, when NTP is silent and the kernel clock is far
 * from it (`classbox time --https-date`, run by rootfs/etc/sv/ntpd/run).
 */
static void
sync_take_date(struct sync_run *r)
{
	struct clock_status cs;
	struct clock_hint h;
	int64_t date, rtt, mono, off;

	if (r->r_clock == NULL || r->r_hint_path[0] == 0 ||
	    clock_state(r->r_clock, &cs) != CB_OK ||
	    cs.cs_now.st_state == CLOCK_SYNCED ||
	    cs.cs_now.st_state == CLOCK_HOLDOVER ||
	    httpcli_last_date(r->r_http, &date, &rtt, &mono) != CB_OK)
		return;
	if (clock_hint_make(date, rtt, clock_boot_ms() - (cb_mono_ms() - mono),
	    &h) != CB_OK) {
		log_warn("sync: the cloud's Date header took %lld ms to come: "
		    "too slow to tell the time", (long long)rtt);
		return;
	}
	if (clock_hint_write(r->r_hint_path, &h) != CB_OK) {
		log_warn("sync: cannot write %s", r->r_hint_path);
		return;
	}
	(void)clock_set_hint(r->r_clock, r->r_hint_path);	/* read it now */
	off = cb_now_ms() - (h.ch_est_ms + clock_boot_ms() - h.ch_boot_ms);
	log_info("sync: time from the cloud's Date header (https-date): the "
	    "kernel clock is %+lld ms from it, error bound %u ms",
	    (long long)off, (unsigned)h.ch_error_ms);
}

/*
 * 1 when the clock can be trusted to check certificates; else 0 and why.
 * Unsynced (NTP blocked?): one GET / with certificate validity judged at
 * max(clock, floor), whose Date header may then vouch for the clock.
 */
static int
sync_clock_ok(struct sync_run *r, char *why, size_t whysize)
{
	struct clock_status cs;

	if (r->r_clock == NULL || clock_state(r->r_clock, &cs) != CB_OK) {
		snprintf(why, whysize, "cannot read the clock");
		return r->r_o->allow_unsynced_clock;
	}
	tlscli_set_time_floor(r->r_tls, cs.cs_now.st_ms);
	if (r->r_o->allow_unsynced_clock || cs.cs_now.st_state !=
	    CLOCK_UNSYNCED)
		return 1;
	r->r_ctx.sc_fail = SYNC_FAIL_NONE;
	r->r_ctx.sc_err[0] = 0;
	if (sync_probe(&r->r_ctx) != CB_OK) {
		httpcli_disconnect(r->r_http);
		snprintf(why, whysize, "the clock is not synchronised (NTP) "
		    "and the cloud's time could not be read: %.170s",
		    r->r_ctx.sc_err);
		return 0;
	}
	sync_take_date(r);
	if (clock_state(r->r_clock, &cs) == CB_OK &&
	    cs.cs_now.st_state != CLOCK_UNSYNCED)
		return 1;
	snprintf(why, whysize, "the clock is not synchronised (NTP) and is "
	    "further from the cloud's authenticated time (HTTPS Date) than "
	    "its error bound; waiting for NTP");
	return 0;
}

static void
sync_session(struct sync_ctx *c)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[SYNC_BOX_ID_LEN / 2];

	(void)cb_random(b, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++) {
		c->sc_session[2 * i] = hex[b[i] >> 4];
		c->sc_session[2 * i + 1] = hex[b[i] & 15];
	}
	c->sc_session[SYNC_BOX_ID_LEN] = 0;
}

/* The status file's name for a kind of failure (status.h). */
static const char *
sync_fail_kind(enum sync_fail f)
{
	switch (f) {
	case SYNC_FAIL_LINK:	return "link";
	case SYNC_FAIL_TLS:	return "tls";
	case SYNC_FAIL_HTTP:	return "http";
	case SYNC_FAIL_LOCAL:	return "local";
	case SYNC_FAIL_PROTO:	return "proto";
	case SYNC_FAIL_NONE:	break;
	}
	return "local";
}

/* One cycle, with the status file before and after. */
static int
sync_attempt(struct sync_run *r)
{
	struct sync_ctx *c = &r->r_ctx;
	uint64_t pending;
	int rc;

	sync_session(c);
	memset(&c->sc_stats, 0, sizeof(c->sc_stats));
	r->r_st.st_last_attempt_ms = cb_now_ms();
	rc = sync_cycle(c);
	r->r_st.st_pulled += c->sc_stats.ss_pulled;
	r->r_st.st_pushed += c->sc_stats.ss_pushed;
	if (sync_pending(c, &pending) == CB_OK)
		r->r_st.st_pending = pending;
	if (rc == CB_OK) {
		strcpy(r->r_st.st_state, "ok");
		r->r_st.st_last_ok_ms = cb_now_ms();
		r->r_st.st_last_error[0] = 0;
		r->r_st.st_error_kind[0] = 0;
		r->r_st.st_failures = 0;
		r->r_st.st_refused = c->sc_stats.ss_rejected;
		snprintf(r->r_st.st_last_refused,
		    sizeof(r->r_st.st_last_refused), "%s", c->sc_refused);
		log_info("sync: ok (pulled %llu, pushed %llu, audit %llu, "
		    "resolved %llu, refused %llu)",
		    (unsigned long long)c->sc_stats.ss_pulled,
		    (unsigned long long)c->sc_stats.ss_pushed,
		    (unsigned long long)c->sc_stats.ss_audit_pushed,
		    (unsigned long long)c->sc_stats.ss_resolved,
		    (unsigned long long)c->sc_stats.ss_rejected);
	} else {
		strcpy(r->r_st.st_state, c->sc_fail == SYNC_FAIL_LINK ?
		    "offline" : "error");
		snprintf(r->r_st.st_last_error, sizeof(r->r_st.st_last_error),
		    "%s", c->sc_err[0] ? c->sc_err : cb_strerror(rc));
		strcpy(r->r_st.st_error_kind, sync_fail_kind(c->sc_fail));
		r->r_st.st_failures++;
		httpcli_disconnect(r->r_http);
	}
	sync_take_date(r);
	sync_status_save(r);
	return rc;
}

static int64_t
sync_jitter_ms(int64_t max_ms)
{
	uint32_t x = 0;

	(void)cb_random(&x, sizeof(x));
	/* Between half and all of the back-off ("equal jitter"). */
	return max_ms / 2 + (int64_t)(x % (uint32_t)(max_ms / 2 + 1));
}

/* Wait until the deadline, or earlier when the cloud answers a probe
 * (probing) or the store changed (not probing). Returns 1 to run now. */
static int
sync_wait(struct sync_run *r, int64_t until, int probing, uint64_t *seen_seq)
{
	int64_t next_probe = cb_mono_ms() + SYNC_PROBE_MIN_S * 1000;
	int64_t changed_at = 0;
	uint64_t seq;

	while (!sync_stop && cb_mono_ms() < until) {
		usleep(SYNC_LOCAL_CHECK_MS * 1000);
		if (!r->r_o->once && sync_take_drop(r->r_o, &r->r_st,
		    r->r_status_path)) {
			sync_reenroll = 1;
			sync_stop = 1;
			return 0;
		}
		if (!r->r_o->once && sync_take_proxy(r->r_o, &r->r_st)) {
			if (sync_relink(r) != CB_OK) {
				sync_stop = 1;	/* the supervisor starts
						 * sync again */
				return 0;
			}
			sync_status_save(r);
			return 1;	/* a new proxy: try it now */
		}
		if (probing && cb_mono_ms() >= next_probe) {
			r->r_ctx.sc_fail = SYNC_FAIL_NONE;
			if (sync_probe(&r->r_ctx) == CB_OK)
				return 1;
			httpcli_disconnect(r->r_http);
			next_probe = cb_mono_ms() + SYNC_PROBE_MIN_S * 1000;
		}
		if (store_last_seq(r->r_store, &seq) == CB_OK &&
		    seq != *seen_seq) {
			uint64_t pending;
			*seen_seq = seq;
			/* The status counts what waits, link or not. */
			if (sync_pending(&r->r_ctx, &pending) == CB_OK &&
			    pending != r->r_st.st_pending) {
				r->r_st.st_pending = pending;
				sync_status_save(r);
			}
			if (!probing)
				changed_at = cb_mono_ms();
		}
		if (changed_at && cb_mono_ms() - changed_at >= SYNC_DEBOUNCE_MS)
			return 1;
	}
	return 0;
}

static int
sync_daemon(struct sync_run *r)
{
	int64_t backoff_s = 0;
	uint64_t seen = 0;

	signal(SIGTERM, sync_on_signal);
	signal(SIGINT, sync_on_signal);
	while (!sync_stop) {
		if (!sync_clock_ok(r, r->r_st.st_last_error,
		    sizeof(r->r_st.st_last_error))) {
			strcpy(r->r_st.st_state, "waiting_clock");
			strcpy(r->r_st.st_error_kind, "clock");
			sync_status_save(r);
			/* Until the clock is checked again; an uploaded
			 * enrollment is taken meanwhile. */
			uint64_t seq = 0;
			(void)store_last_seq(r->r_store, &seq);
			sync_wait(r, cb_mono_ms() + SYNC_CLOCK_WAIT_S * 1000, 0,
			    &seq);
			continue;
		}
		(void)store_last_seq(r->r_store, &seen);
		if (sync_attempt(r) == CB_OK) {
			backoff_s = 0;
			r->r_st.st_next_attempt_ms = 0;
			sync_wait(r, cb_mono_ms() + SYNC_POLL_S * 1000, 0,
			    &seen);
			continue;
		}
		backoff_s = backoff_s == 0 ? SYNC_BACKOFF_MIN_S : backoff_s * 2;
		if (backoff_s > r->r_o->backoff_max_s)
			backoff_s = r->r_o->backoff_max_s;
		int64_t wait = sync_jitter_ms(backoff_s * 1000);
		r->r_st.st_next_attempt_ms = cb_now_ms() + wait;
		sync_status_save(r);
		log_warn("sync: %s; retrying in %lld ms", r->r_st.st_last_error,
		    (long long)wait);
		/* A refusal (certificates, credentials) is not fixed by a
		 * probe answering: wait the back-off out. */
		sync_wait(r, cb_mono_ms() + wait,
		    r->r_ctx.sc_fail == SYNC_FAIL_LINK, &seen);
	}
	return 0;
}

static int
sync_main(struct sync_opts *o, int argc, char **argv)
{
	struct sync_run r;
	char err[SYNC_ERR_MAX] = "";
	int rc;

	if (sync_parse(argc, argv, o) != CB_OK)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (sync_drop(o) != CB_OK)
		return 1;
	memset(&r, 0, sizeof(r));
	r.r_o = o;
	if (cb_path_join(r.r_status_path, sizeof(r.r_status_path), o->data,
	    SYNC_STATUS_FILE) != CB_OK)
		return 1;
	strcpy(r.r_st.st_state, "starting");
	(void)sync_status_read(r.r_status_path, &r.r_st);
	/* The admin's proxy setting handed over meanwhile: kept now, used
	 * from the first cycle (with --once too). */
	(void)sync_take_proxy(o, &r.r_st);
	/* An enrollment uploaded meanwhile (or one that could not start):
	 * install it first, then start again with it. */
	if (!o->once && sync_take_drop(o, &r.r_st, r.r_status_path))
		return 0;
	if ((rc = sync_setup(&r, err, sizeof(err))) != CB_OK &&
	    rc == CB_ENOTFOUND && !o->once) {
		sync_teardown(&r);
		return sync_wait_enrollment(o, &r.r_st, r.r_status_path);
	}
	if (rc != CB_OK) {
		fprintf(stderr, "sync: %s\n", err[0] ? err : cb_strerror(rc));
		strcpy(r.r_st.st_state, rc == CB_ENOTFOUND ? "not_enrolled" :
		    "error");
		snprintf(r.r_st.st_last_error, sizeof(r.r_st.st_last_error),
		    "%s", err);
		strcpy(r.r_st.st_error_kind, "enroll");
		if (rc != CB_ENOTFOUND || access(r.r_status_path, F_OK) == 0)
			sync_status_save(&r);
		sync_teardown(&r);
		return 1;
	}
	if (o->once) {
		if (!sync_clock_ok(&r, err, sizeof(err))) {
			fprintf(stderr, "sync: %s; certificates cannot be "
			    "checked (--allow-unsynced-clock overrides, for "
			    "tests)\n", err);
			strcpy(r.r_st.st_state, "waiting_clock");
			strcpy(r.r_st.st_error_kind, "clock");
			snprintf(r.r_st.st_last_error,
			    sizeof(r.r_st.st_last_error), "%s", err);
			sync_status_save(&r);
			sync_teardown(&r);
			return 1;
		}
		rc = sync_attempt(&r);
		if (rc != CB_OK)
			fprintf(stderr, "sync: %s\n", r.r_st.st_last_error);
		else if (r.r_ctx.sc_refused[0] != 0) {
			fprintf(stderr, "sync: %s\n", r.r_ctx.sc_refused);
			rc = CB_EINVAL;
		} else
			printf("sync: ok: pulled %llu, pushed %llu, audit "
			    "entries %llu, conflicts resolved %llu\n",
			    (unsigned long long)r.r_ctx.sc_stats.ss_pulled,
			    (unsigned long long)r.r_ctx.sc_stats.ss_pushed,
			    (unsigned long long)
			    r.r_ctx.sc_stats.ss_audit_pushed,
			    (unsigned long long)r.r_ctx.sc_stats.ss_resolved);
		sync_teardown(&r);
		return rc == CB_OK ? 0 : 1;
	}
	rc = sync_daemon(&r);
	sync_teardown(&r);
	if (sync_reenroll)
		log_info("sync: starting again with the new enrollment");
	return rc;
}

int
cmd_sync(int argc, char **argv)
{
	struct sync_opts o;
	int rc;

	cb_log_init("sync");
	memset(&o, 0, sizeof(o));
	rc = sync_main(&o, argc, argv);
	proxy_wipe(&o.proxy);
	return rc;
}
