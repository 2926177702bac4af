/*
 * authd.c: the auth process. One event loop thread owns the socket, the
 * clients, the throttle tables and the LMDB store; Argon2 runs in a small
 * pool of worker threads fed by a bounded queue, and finished jobs come
 * back to the loop through an eventfd. The workers touch nothing but their
 * job: no LMDB, no sockets.
 *
 * Login answers are uniform: an unknown id, a wrong password and an
 * account that is not active (suspended, graduated, transferred, deleted)
 * all get CB_EAUTH after the same Argon2 work (unknown ids are checked
 * against a dummy hash), and all count as a failure for throttling. So a
 * suspended account's password, even when right, reveals nothing.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "audit/audit.h"
#include "clock/clock.h"
#include "base/cb.h"
#include "base/proc.h"
#include "net/loop.h"
#include "auth/account.h"
#include "auth/authd.h"
#include "auth/authproto.h"
#include "auth/password.h"
#include "auth/reset_grant.h"
#include "auth/throttle.h"
#include "auth/user_names.h"
#include "store/erase.h"

enum job_kind { JOB_LOGIN = 1, JOB_PASSWD, JOB_CREATE, JOB_RESET,
    JOB_CODE, JOB_SEED };	/* JOB_CODE: a new password set with a reset
				 * code; JOB_SEED: the enrollment's
				 * admin_password */
enum job_state { JS_FREE = 0, JS_QUEUED, JS_RUNNING, JS_DONE };

/* One Argon2 request; lives in a fixed slot from submission to reply. */
struct authd_job {
	int j_kind;
	int j_state;
	size_t j_client;		/* slot of the asking client ... */
	uint32_t j_gen;			/* ... while it has this generation */
	uint32_t j_req_id;
	int j_known;			/* login: the account exists */
	char j_uid[AUTH_UID_MAX];
	char j_addr[AUTH_ADDR_MAX];
	char j_ua[AUTH_UA_MAX];		/* login: for the login log */
	char j_phc[PASSWORD_PHC_MAX];	/* hash to verify against */
	char j_pw[AUTH_PASSWORD_MAX];	/* password to verify */
	char j_newpw[AUTH_PASSWORD_MAX]; /* password to hash */
	uint8_t j_session[ACCOUNT_HASH_LEN]; /* passwd: the asking session */
	struct auth_user j_user;	/* create: the new account */
	int j_rc;			/* result of the verify or hash */
	char j_newphc[PASSWORD_PHC_MAX]; /* result: new hash or "" */
};

struct authd_pool;

/* One Argon2 worker thread. w_status is written once, by the worker, under
 * p_mu: WORKER_STARTING until it has its arena, then 0 or a CB_E* status
 * (and then it has exited). */
#define WORKER_STARTING	1
struct authd_worker {
	struct authd_pool *w_pool;
	int w_index;
	int w_status;
};

struct authd_pool {
	pthread_t p_threads[AUTHD_WORKERS_MAX];
	struct authd_worker p_workers[AUTHD_WORKERS_MAX];
	int p_nthreads;
	pthread_mutex_t p_mu;
	pthread_cond_t p_cv;
	pthread_cond_t p_started_cv;	/* a worker set its w_status */
	int p_stop;
	int p_efd;			/* eventfd: jobs done */
	struct authd_job p_jobs[AUTH_HASH_QUEUE_MAX];
	size_t p_queue[AUTH_HASH_QUEUE_MAX];	/* FIFO of queued slots */
	size_t p_qhead, p_qlen;
};

struct authd;
struct authd_client {
	struct authd *c_d;
	int c_fd;			/* -1: free slot */
	uint32_t c_gen;
	int c_console;			/* may act as the console */
	int c_sync;			/* the sync process: may send what
					 * sync_may_send allows, nothing
					 * else */
	size_t c_inlen;
	uint8_t c_in[AUTHD_CLIENT_INBUF];
	uint8_t *c_out;
	size_t c_outlen, c_outcap;
};

union authd_req {
	struct auth_login login;
	struct auth_token token;
	struct auth_passwd passwd;
	struct auth_user_create create;
	struct auth_user_list list;
	struct auth_user_ref ref;
	struct auth_user_set set;
	struct auth_audit_query audit;
	struct auth_reset_issue reset_issue;
	struct auth_reset_use reset_use;
	struct auth_reset_ask reset_ask;
	struct auth_reset_grant reset_grant;
	struct auth_admin_seed admin_seed;
	struct auth_audit_range range;
};
_Static_assert(sizeof(union authd_req) + sizeof(struct auth_hdr) <=
    AUTHD_CLIENT_INBUF, "every request fits the input buffer");

struct authd {
	const struct authd_config *d_cfg;
	struct loop *d_loop;
	struct account_store *d_store;
	struct throttle *d_throttle;
	struct authd_pool d_pool;
	int d_listen_fd;
	int d_sig_fd;
	uid_t d_uid;
	char d_dummy_phc[PASSWORD_PHC_MAX];
	struct authd_client d_clients[AUTHD_CLIENTS_MAX];
	struct auth_user_list_r d_list_r;	/* 23 KB: not on the stack */
	struct auth_audit_r d_audit_r;		/* 35 KB: not on the stack */
	struct auth_audit_range_r d_range_r;	/* as big */
	union auth_reply_any d_reply;		/* reply_status's, as big */
	struct clock *d_clock;			/* stamps the login log */
	struct audit_log *d_audit;		/* the login log, or NULL */
	union authd_req d_req;			/* the request being served,
						 * aligned */
	int d_terminated;			/* the school ended: d_store
						 * and d_audit are gone */
};

/* Every reply payload begins with its status (authproto.h). */
_Static_assert(offsetof(struct auth_login_r, alr_status) == 0, "status");
_Static_assert(offsetof(struct auth_session_r, asr_status) == 0, "status");
_Static_assert(offsetof(struct auth_user_pw_r, aupr_status) == 0, "status");
_Static_assert(offsetof(struct auth_user_list_r, aulr_status) == 0, "st");
_Static_assert(offsetof(struct auth_user_r, aur_status) == 0, "status");
_Static_assert(sizeof(struct auth_user_list_r) + sizeof(struct auth_hdr) <=
    AUTH_MSG_MAX, "largest reply fits AUTH_MSG_MAX");
_Static_assert(sizeof(struct auth_audit_r) + sizeof(struct auth_hdr) <=
    AUTH_MSG_MAX, "audit page fits AUTH_MSG_MAX");
_Static_assert(offsetof(struct auth_audit_r, aar_status) == 0, "status");

/* --- message checks (pure) --- */

static int
field_ok(const void *payload, size_t off, size_t size)
{
	return memchr((const char *)payload + off, '\0', size) != NULL;
}

#define FIELD_OK(p, type, f) \
	field_ok((p), offsetof(type, f), sizeof(((type *)0)->f))

static int
user_fields_ok(const void *p, size_t off)
{
	if (!field_ok(p, off + offsetof(struct auth_user, au_uid),
	    AUTH_UID_MAX) || !field_ok(p, off + offsetof(struct auth_user,
	    au_name), AUTH_NAME_MAX))
		return 0;
	for (size_t i = 0; i < AUTH_LINKS_MAX; i++)
		if (!field_ok(p, off + offsetof(struct auth_user, au_links) +
		    i * AUTH_UID_MAX, AUTH_UID_MAX))
			return 0;
	return 1;
}

static int
strings_ok(uint32_t type, const void *p)
{
	switch (type) {
	case AUTH_LOGIN:
		return FIELD_OK(p, struct auth_login, al_uid) &&
		    FIELD_OK(p, struct auth_login, al_password) &&
		    FIELD_OK(p, struct auth_login, al_addr) &&
		    FIELD_OK(p, struct auth_login, al_ua);
	case AUTH_PASSWD:
		return FIELD_OK(p, struct auth_passwd, ap_old) &&
		    FIELD_OK(p, struct auth_passwd, ap_new);
	case AUTH_USER_CREATE:
		return user_fields_ok(p, offsetof(struct auth_user_create,
		    auc_user));
	case AUTH_USER_LIST:
		return FIELD_OK(p, struct auth_user_list, aul_after);
	case AUTH_USER_GET:
		return FIELD_OK(p, struct auth_user_ref, aur_uid);
	case AUTH_USER_SET:
		return FIELD_OK(p, struct auth_user_set, aus_uid);
	case AUTH_AUDIT_QUERY:
		return FIELD_OK(p, struct auth_audit_query, aaq_user) &&
		    FIELD_OK(p, struct auth_audit_query, aaq_action);
	case AUTH_RESET_ISSUE:
		return FIELD_OK(p, struct auth_reset_issue, ari_uid);
	case AUTH_RESET_USE:
		return FIELD_OK(p, struct auth_reset_use, aru_uid) &&
		    FIELD_OK(p, struct auth_reset_use, aru_code) &&
		    FIELD_OK(p, struct auth_reset_use, aru_password) &&
		    FIELD_OK(p, struct auth_reset_use, aru_addr);
	case AUTH_RESET_ASK:
		return FIELD_OK(p, struct auth_reset_ask, ara_uid);
	case AUTH_RESET_GRANT:	/* reset_grant_check looks at each */
		return 1;
	case AUTH_ADMIN_SEED:
		return FIELD_OK(p, struct auth_admin_seed, aas_password);
	default:
		return 1;	/* token-only messages have no strings */
	}
}

int
authd_check_msg(uint32_t type, const void *payload, size_t len)
{
	if (type >= AUTH_MSG_TYPE_MAX || !auth_is_request(type) ||
	    len != auth_msg_len(type) || payload == NULL)
		return CB_EPROTO;
	return strings_ok(type, payload) ? 0 : CB_EPROTO;
}

int
authd_frame(const void *buf, size_t len, struct auth_hdr *hdr, size_t *used)
{
	*used = 0;
	if (len < sizeof(*hdr))
		return 0;
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->ah_type >= AUTH_MSG_TYPE_MAX || !auth_is_request(hdr->ah_type)
	    || hdr->ah_len != auth_msg_len(hdr->ah_type))
		return CB_EPROTO;
	if (len - sizeof(*hdr) < hdr->ah_len)
		return 0;
	*used = sizeof(*hdr) + hdr->ah_len;
	return 0;
}

static const char *
msg_name(uint32_t type)
{
	static const char *const names[AUTH_MSG_TYPE_MAX] = {
		[AUTH_STATUS_R] = "AUTH_STATUS_R", [AUTH_LOGIN] = "AUTH_LOGIN",
		[AUTH_LOGIN_R] = "AUTH_LOGIN_R", [AUTH_SESSION] = "AUTH_SESSION",
		[AUTH_SESSION_R] = "AUTH_SESSION_R",
		[AUTH_LOGOUT] = "AUTH_LOGOUT", [AUTH_TOUCH] = "AUTH_TOUCH",
		[AUTH_PASSWD] = "AUTH_PASSWD",
		[AUTH_USER_CREATE] = "AUTH_USER_CREATE",
		[AUTH_USER_PW_R] = "AUTH_USER_PW_R",
		[AUTH_USER_LIST] = "AUTH_USER_LIST",
		[AUTH_USER_LIST_R] = "AUTH_USER_LIST_R",
		[AUTH_USER_GET] = "AUTH_USER_GET", [AUTH_USER_R] = "AUTH_USER_R",
		[AUTH_USER_SET] = "AUTH_USER_SET", [AUTH_REVOKE] = "AUTH_REVOKE",
		[AUTH_AUDIT_QUERY] = "AUTH_AUDIT_QUERY",
		[AUTH_AUDIT_R] = "AUTH_AUDIT_R",
		[AUTH_RESET_ISSUE] = "AUTH_RESET_ISSUE",
		[AUTH_RESET_ISSUE_R] = "AUTH_RESET_ISSUE_R",
		[AUTH_RESET_USE] = "AUTH_RESET_USE",
		[AUTH_TERMINATE] = "AUTH_TERMINATE",
		[AUTH_RESET_ASK] = "AUTH_RESET_ASK",
		[AUTH_RESET_GRANT] = "AUTH_RESET_GRANT",
		[AUTH_AUDIT_PENDING] = "AUTH_AUDIT_PENDING",
		[AUTH_AUDIT_PENDING_R] = "AUTH_AUDIT_PENDING_R",
		[AUTH_ADMIN_SEED] = "AUTH_ADMIN_SEED",
		[AUTH_AUDIT_RANGE] = "AUTH_AUDIT_RANGE",
		[AUTH_AUDIT_RANGE_R] = "AUTH_AUDIT_RANGE_R",
	};

	return type < AUTH_MSG_TYPE_MAX && names[type] ? names[type] :
	    "message of unknown type";
}

/* A copy of s fit for a log line: printable ASCII only. */
static const char *
log_safe(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* --- the login log (docs/audit.md) --- */

/*
 * One entry of the login log, appended (one durable commit) after the
 * answer is decided and before it is sent. Results: "ok", "ok_must_change"
 * (logged in, must change the initial password), "unknown_user",
 * "wrong_password", "throttled", "busy", "suspended", "graduated",
 * "transferred", "deleted", "password_changed" (changed during the check),
 * "denied", "invalid", "error". The log is for admins only, so it says
 * which; a user sees only the uniform CB_EAUTH. A full disk does not stop
 * the answer: it is an alarm for the admins.
 */
static void
authd_audit(struct authd *d, const char *actor, const char *action,
    const char *target, const char *result, const char *addr,
    const char *ua)
{
	struct audit_record r = { AUDIT_KIND_LOGIN, actor, action, target,
	    result, addr, ua };
	int rc;

	if (d->d_audit == NULL)
		return;
	if ((rc = audit_append(d->d_audit, &r, NULL)) != CB_OK)
		log_err("ALARM: the login log cannot be written (%s): %s "
		    "(%s) is not logged; free space on /data",
		    cb_strerror(rc), action, result);
}

static const char *
authd_status_result(int rc)
{
	switch (rc) {
	case 0:			return "ok";
	case CB_EAUTH:		return "wrong_password";
	case CB_ETHROTTLED:	return "throttled";
	case CB_EBUSY:		return "busy";
	case CB_EPERM:		return "denied";
	case CB_ESESSION:	return "denied";
	case CB_EPWCHANGE:	return "denied";
	case CB_ENOTFOUND:	return "not_found";
	case CB_EEXIST:		return "exists";
	case CB_EINVAL:		return "invalid";
	case CB_ESTATE:		return "invalid";
	default:		return "error";
	}
}

static const char *
authd_state_result(int state)
{
	switch (state) {
	case USER_SUSPENDED:	return "suspended";
	case USER_GRADUATED:	return "graduated";
	case USER_TRANSFERRED:	return "transferred";
	case USER_DELETED:	return "deleted";
	default:		return "password_changed";
	}
}

/* --- the Argon2 worker pool --- */

/* In a worker thread: the slow part of a job, nothing else, in the
 * worker's own Argon2 memory. */
static void
job_run(struct authd_job *j, struct password_arena *arena)
{
	j->j_newphc[0] = '\0';
	switch (j->j_kind) {
	case JOB_LOGIN:
		j->j_rc = password_verify_arena(arena, j->j_phc, j->j_pw);
		if (j->j_rc == 0 && j->j_known &&
		    password_needs_rehash(j->j_phc) &&
		    password_hash_arena(arena, j->j_pw, j->j_newphc,
		    PASSWORD_PHC_MAX) != 0)
			j->j_newphc[0] = '\0';	/* keep the old one */
		break;
	case JOB_PASSWD:
		j->j_rc = password_verify_arena(arena, j->j_phc, j->j_pw);
		if (j->j_rc == 0)
			j->j_rc = password_hash_arena(arena, j->j_newpw,
			    j->j_newphc, PASSWORD_PHC_MAX);
		break;
	default:
		j->j_rc = password_hash_arena(arena, j->j_newpw, j->j_newphc,
		    PASSWORD_PHC_MAX);
		break;
	}
	cb_wipe(j->j_pw, sizeof(j->j_pw));
	if (j->j_kind == JOB_PASSWD || j->j_kind == JOB_SEED)
		cb_wipe(j->j_newpw, sizeof(j->j_newpw));
}

/*
 * A worker takes its Argon2 memory (PASSWORD_ARGON2_M_KIB, touched) once,
 * here, and keeps it until it stops: a login under a rush then costs no
 * allocation and no page faults. pool_start waits for the answer.
 */
static void *
worker_main(void *arg)
{
	struct authd_worker *w = arg;
	struct authd_pool *p = w->w_pool;
	struct password_arena *arena;
	const uint64_t one = 1;
	int rc;

	if ((rc = password_arena_new(&arena)) != 0)
		log_err("auth: worker %d cannot reserve %d KiB for Argon2: "
		    "%s; free memory or start fewer workers (--workers)",
		    w->w_index, PASSWORD_ARGON2_M_KIB, cb_strerror(rc));
	pthread_mutex_lock(&p->p_mu);
	w->w_status = rc;
	pthread_cond_broadcast(&p->p_started_cv);
	if (rc != 0) {
		pthread_mutex_unlock(&p->p_mu);
		return NULL;
	}
	for (;;) {
		while (!p->p_stop && p->p_qlen == 0)
			pthread_cond_wait(&p->p_cv, &p->p_mu);
		if (p->p_stop)
			break;
		struct authd_job *j = &p->p_jobs[p->p_queue[p->p_qhead]];
		p->p_qhead = (p->p_qhead + 1) % AUTH_HASH_QUEUE_MAX;
		p->p_qlen--;
		j->j_state = JS_RUNNING;
		pthread_mutex_unlock(&p->p_mu);
		job_run(j, arena);
		pthread_mutex_lock(&p->p_mu);
		j->j_state = JS_DONE;
		if (write(p->p_efd, &one, sizeof(one)) != sizeof(one))
			log_err("auth: cannot wake the loop: %s",
			    strerror(errno));
	}
	pthread_mutex_unlock(&p->p_mu);
	password_arena_free(arena);
	return NULL;
}

static int
pool_start(struct authd_pool *p, int workers)
{
	int rc;

	p->p_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->p_efd < 0) {
		log_err("auth: eventfd: %s", strerror(errno));
		return CB_EIO;
	}
	pthread_mutex_init(&p->p_mu, NULL);
	pthread_cond_init(&p->p_cv, NULL);
	pthread_cond_init(&p->p_started_cv, NULL);
	for (int i = 0; i < workers; i++) {
		struct authd_worker *w = &p->p_workers[i];

		w->w_pool = p;
		w->w_index = i;
		w->w_status = WORKER_STARTING;
		if ((rc = pthread_create(&p->p_threads[i], NULL, worker_main,
		    w)) != 0) {
			log_err("auth: cannot start worker %d: %s", i,
			    strerror(rc));
			return CB_ENOMEM;
		}
		p->p_nthreads++;
	}
	/* Every worker has its arena before the first login, or the auth
	 * process does not start (worker_main logged which and why). */
	rc = 0;
	pthread_mutex_lock(&p->p_mu);
	for (int i = 0; i < p->p_nthreads; i++) {
		while (p->p_workers[i].w_status == WORKER_STARTING)
			pthread_cond_wait(&p->p_started_cv, &p->p_mu);
		if (p->p_workers[i].w_status != 0)
			rc = p->p_workers[i].w_status;
	}
	pthread_mutex_unlock(&p->p_mu);
	return rc;
}

static void
pool_stop(struct authd_pool *p)
{
	pthread_mutex_lock(&p->p_mu);
	p->p_stop = 1;
	pthread_cond_broadcast(&p->p_cv);
	pthread_mutex_unlock(&p->p_mu);
	for (int i = 0; i < p->p_nthreads; i++)
		pthread_join(p->p_threads[i], NULL);
	p->p_nthreads = 0;
	cb_wipe(p->p_jobs, sizeof(p->p_jobs));
	if (p->p_efd >= 0)
		close(p->p_efd);
	p->p_efd = -1;
	pthread_cond_destroy(&p->p_started_cv);
	pthread_cond_destroy(&p->p_cv);
	pthread_mutex_destroy(&p->p_mu);
}

/* A free job slot (filled by the caller, then pool_submit), or NULL when
 * AUTH_HASH_QUEUE_MAX jobs are in flight. Loop thread only. */
static struct authd_job *
pool_job(struct authd_pool *p)
{
	struct authd_job *j = NULL;

	pthread_mutex_lock(&p->p_mu);
	for (size_t i = 0; i < AUTH_HASH_QUEUE_MAX && j == NULL; i++)
		if (p->p_jobs[i].j_state == JS_FREE)
			j = &p->p_jobs[i];
	pthread_mutex_unlock(&p->p_mu);
	if (j != NULL)
		memset(j, 0, sizeof(*j));
	return j;
}

static void
pool_submit(struct authd_pool *p, struct authd_job *j)
{
	pthread_mutex_lock(&p->p_mu);
	assert(p->p_qlen < AUTH_HASH_QUEUE_MAX);
	j->j_state = JS_QUEUED;
	p->p_queue[(p->p_qhead + p->p_qlen) % AUTH_HASH_QUEUE_MAX] =
	    (size_t)(j - p->p_jobs);
	p->p_qlen++;
	pthread_cond_signal(&p->p_cv);
	pthread_mutex_unlock(&p->p_mu);
}

/* The next finished job (its slot stays taken until job_release). */
static struct authd_job *
pool_done(struct authd_pool *p)
{
	struct authd_job *j = NULL;

	pthread_mutex_lock(&p->p_mu);
	for (size_t i = 0; i < AUTH_HASH_QUEUE_MAX && j == NULL; i++)
		if (p->p_jobs[i].j_state == JS_DONE)
			j = &p->p_jobs[i];
	if (j != NULL)
		j->j_state = JS_RUNNING;	/* ours now: not "done" twice */
	pthread_mutex_unlock(&p->p_mu);
	return j;
}

static void
job_release(struct authd_pool *p, struct authd_job *j)
{
	cb_wipe(j, sizeof(*j));
	pthread_mutex_lock(&p->p_mu);
	j->j_state = JS_FREE;
	pthread_mutex_unlock(&p->p_mu);
}

/* --- clients --- */

static void
client_close(struct authd *d, struct authd_client *c, const char *why)
{
	if (c->c_fd < 0)
		return;
	if (why != NULL)
		log_warn("auth: dropping client %d: %s", c->c_fd, why);
	loop_del(d->d_loop, c->c_fd);
	close(c->c_fd);
	free(c->c_out);
	c->c_out = NULL;
	c->c_outlen = c->c_outcap = 0;
	c->c_inlen = 0;
	c->c_fd = -1;
	c->c_gen++;
	cb_wipe(c->c_in, sizeof(c->c_in));
}

/* Write what the socket takes now; wait for LOOP_WRITE for the rest. */
static void
client_flush(struct authd *d, struct authd_client *c)
{
	size_t off = 0;

	while (off < c->c_outlen) {
		ssize_t n = send(c->c_fd, c->c_out + off, c->c_outlen - off,
		    MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			client_close(d, c, "write failed");
			return;
		}
		off += (size_t)n;
	}
	memmove(c->c_out, c->c_out + off, c->c_outlen - off);
	c->c_outlen -= off;
	loop_mod(d->d_loop, c->c_fd, LOOP_READ |
	    (c->c_outlen > 0 ? LOOP_WRITE : 0));
}

static int
client_queue(struct authd *d, struct authd_client *c, uint32_t type,
    uint32_t id, const void *payload, size_t len)
{
	struct auth_hdr h = { .ah_type = type, .ah_len = (uint32_t)len,
	    .ah_id = id };
	size_t need = c->c_outlen + sizeof(h) + len;

	assert(len == auth_msg_len(type));
	if (need > AUTHD_CLIENT_OUTBUF_MAX) {
		client_close(d, c, "it does not read its replies");
		return CB_ETOOBIG;
	}
	if (need > c->c_outcap) {
		size_t cap = need < 4096 ? 4096 : need * 2;
		uint8_t *p;

		if (cap > AUTHD_CLIENT_OUTBUF_MAX)
			cap = AUTHD_CLIENT_OUTBUF_MAX;
		if ((p = realloc(c->c_out, cap)) == NULL) {
			client_close(d, c, "out of memory");
			return CB_ENOMEM;
		}
		c->c_out = p;
		c->c_outcap = cap;
	}
	memcpy(c->c_out + c->c_outlen, &h, sizeof(h));
	memcpy(c->c_out + c->c_outlen + sizeof(h), payload, len);
	c->c_outlen = need;
	return 0;
}

static void
client_send(struct authd *d, struct authd_client *c, uint32_t type,
    uint32_t id, const void *payload, size_t len)
{
	if (c->c_fd >= 0 && client_queue(d, c, type, id, payload, len) == 0)
		client_flush(d, c);
}

/* Reply to request `req` with only a status (and retry time): the reply
 * type the request expects, zero but for its leading fields. */
static void
reply_status(struct authd *d, struct authd_client *c, uint32_t req,
    uint32_t id, int status, uint32_t retry_after_s)
{
	union auth_reply_any *r = &d->d_reply;
	uint32_t type = auth_reply_type(req);

	/* auth_msg_len(type) bytes of r go out: all of them zeroed here
	 * (test_authproto: every reply fits the union). */
	if (type == 0 || auth_msg_len(type) > sizeof(*r))
		return;
	memset(r, 0, sizeof(*r));
	r->status.as_status = status;
	if (type == AUTH_STATUS_R)
		r->status.as_retry_after_s = retry_after_s;
	if (type == AUTH_LOGIN_R)
		r->login.alr_retry_after_s = retry_after_s;
	client_send(d, c, type, id, r, auth_msg_len(type));
}

/* Tell every client that sessions ended: of uid (except keep), or the one
 * with token hash `hash`. */
static void
push_revoke(struct authd *d, const char *uid, const uint8_t *hash,
    const uint8_t *keep)
{
	struct auth_revoke rv;

	memset(&rv, 0, sizeof(rv));
	if (uid != NULL)
		cb_strlcpy(rv.ar_uid, uid, sizeof(rv.ar_uid));
	if (hash != NULL)
		memcpy(rv.ar_token_hash, hash, sizeof(rv.ar_token_hash));
	if (keep != NULL)
		memcpy(rv.ar_keep_hash, keep, sizeof(rv.ar_keep_hash));
	for (size_t i = 0; i < AUTHD_CLIENTS_MAX; i++)
		if (d->d_clients[i].c_fd >= 0)
			client_send(d, &d->d_clients[i], AUTH_REVOKE, 0, &rv,
			    sizeof(rv));
}

/* The client a finished job answers, or NULL if it has gone. */
static struct authd_client *
job_client(struct authd *d, const struct authd_job *j)
{
	struct authd_client *c = &d->d_clients[j->j_client];

	return c->c_fd >= 0 && c->c_gen == j->j_gen ? c : NULL;
}

static void
token_hash(const uint8_t token[AUTH_TOKEN_LEN], uint8_t out[ACCOUNT_HASH_LEN])
{
	if (mbedtls_sha256(token, AUTH_TOKEN_LEN, out, 0) != 0)
		fatalx("auth: SHA-256 failed");
}

static int
token_zero(const uint8_t token[AUTH_TOKEN_LEN])
{
	static const uint8_t zero[AUTH_TOKEN_LEN];

	return cb_memeq_ct(token, zero, AUTH_TOKEN_LEN) == 0;
}

/* Who is asking: the console (an all-zero token from a console peer), or
 * the user of a valid session. */
struct authd_actor {
	int a_console;
	struct auth_user a_user;
	struct account_session a_session;
	uint8_t a_hash[ACCOUNT_HASH_LEN];
};

static int
actor_get(struct authd *d, struct authd_client *c,
    const uint8_t token[AUTH_TOKEN_LEN], struct authd_actor *a)
{
	memset(a, 0, sizeof(*a));
	if (token_zero(token)) {
		if (!c->c_console)
			return CB_ESESSION;
		a->a_console = 1;
		cb_strlcpy(a->a_user.au_uid, "(console)", AUTH_UID_MAX);
		return 0;
	}
	token_hash(token, a->a_hash);
	return account_session_get(d->d_store, a->a_hash, cb_now_ms(),
	    &a->a_session, &a->a_user);
}

/* The actor may manage accounts: the console, or an admin who has
 * changed their initial password. */
static int
actor_admin(struct authd *d, struct authd_client *c,
    const uint8_t token[AUTH_TOKEN_LEN], struct authd_actor *a)
{
	int rc = actor_get(d, c, token, a);

	if (rc != 0 || a->a_console)
		return rc;
	if (!(a->a_user.au_flags & USER_F_ADMIN))
		return CB_EPERM;
	if (a->a_user.au_flags & USER_F_MUST_CHANGE)
		return CB_EPWCHANGE;
	return 0;
}

/* --- requests --- */

static struct authd_job *
job_new(struct authd *d, struct authd_client *c, uint32_t req, uint32_t id,
    int kind)
{
	struct authd_job *j = pool_job(&d->d_pool);

	if (j == NULL) {
		log_warn("auth: %d hash jobs in flight; answering busy",
		    AUTH_HASH_QUEUE_MAX);
		reply_status(d, c, req, id, CB_EBUSY, 0);
		return NULL;
	}
	j->j_kind = kind;
	j->j_client = (size_t)(c - d->d_clients);
	j->j_gen = c->c_gen;
	j->j_req_id = id;
	return j;
}

static void
on_login(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_login *m)
{
	struct authd_job *j;
	uint32_t retry;
	char buf[AUTH_ADDR_MAX];
	int rc;

	rc = throttle_check(d->d_throttle, m->al_uid, m->al_addr, cb_now_ms(),
	    &retry);
	if (rc != 0) {
		log_info("auth: login throttled from %s (retry after %u s)",
		    log_safe(m->al_addr, buf, sizeof(buf)), retry);
		authd_audit(d, m->al_uid, "login", "",
		    authd_status_result(rc), m->al_addr, m->al_ua);
		reply_status(d, c, AUTH_LOGIN, id, rc, retry);
		return;
	}
	if ((j = job_new(d, c, AUTH_LOGIN, id, JOB_LOGIN)) == NULL) {
		authd_audit(d, m->al_uid, "login", "", "busy", m->al_addr,
		    m->al_ua);	/* job_new answered busy: logged after */
		return;
	}
	cb_strlcpy(j->j_uid, m->al_uid, sizeof(j->j_uid));
	cb_strlcpy(j->j_addr, m->al_addr, sizeof(j->j_addr));
	cb_strlcpy(j->j_ua, m->al_ua, sizeof(j->j_ua));
	cb_strlcpy(j->j_pw, m->al_password, sizeof(j->j_pw));
	rc = account_get_hash(d->d_store, m->al_uid, NULL, j->j_phc,
	    sizeof(j->j_phc));
	j->j_known = rc == 0 && j->j_phc[0] != '\0';
	if (!j->j_known)	/* the same work, so timing tells nothing */
		cb_strlcpy(j->j_phc, d->d_dummy_phc, sizeof(j->j_phc));
	pool_submit(&d->d_pool, j);
}

static void
login_fail(struct authd *d, struct authd_client *c, struct authd_job *j,
    const char *why, const char *result)
{
	char ubuf[AUTH_UID_MAX], abuf[AUTH_ADDR_MAX];

	throttle_failure(d->d_throttle, j->j_uid, j->j_addr, cb_now_ms());
	log_info("auth: login failed for %s from %s (%s)",
	    log_safe(j->j_uid, ubuf, sizeof(ubuf)),
	    log_safe(j->j_addr, abuf, sizeof(abuf)), why);
	authd_audit(d, j->j_uid, "login", "", result, j->j_addr, j->j_ua);
	if (c != NULL)
		reply_status(d, c, AUTH_LOGIN, j->j_req_id, CB_EAUTH, 0);
}

static int
session_new(struct authd *d, const char *uid, struct auth_login_r *r)
{
	uint8_t hash[ACCOUNT_HASH_LEN];
	int rc;

	if ((rc = cb_random(r->alr_token, sizeof(r->alr_token))) != 0 ||
	    (rc = cb_random(r->alr_csrf, sizeof(r->alr_csrf))) != 0)
		return rc;
	token_hash(r->alr_token, hash);
	return account_session_create(d->d_store, hash, uid, r->alr_csrf,
	    cb_now_ms());
}

static void
login_done(struct authd *d, struct authd_job *j)
{
	struct authd_client *c = job_client(d, j);
	struct auth_login_r r;
	char phc[PASSWORD_PHC_MAX];
	int rc;

	if (j->j_rc != 0 && j->j_rc != CB_EAUTH)
		log_err("auth: the stored hash of %s cannot be checked (%s); "
		    "reset the password", j->j_uid, cb_strerror(j->j_rc));
	if (j->j_rc != 0 || !j->j_known) {
		login_fail(d, c, j, "wrong id or password", !j->j_known ?
		    "unknown_user" : j->j_rc == CB_EAUTH ? "wrong_password" :
		    "error");
		return;
	}
	memset(&r, 0, sizeof(r));
	rc = account_get_hash(d->d_store, j->j_uid, &r.alr_user, phc,
	    sizeof(phc));
	if (rc != 0 || r.alr_user.au_state != USER_ACTIVE ||
	    strcmp(phc, j->j_phc) != 0) {
		login_fail(d, c, j, "account not active or password changed",
		    rc != 0 ? "error" :
		    authd_state_result(r.alr_user.au_state));
		cb_wipe(phc, sizeof(phc));
		return;
	}
	cb_wipe(phc, sizeof(phc));
	throttle_success(d->d_throttle, j->j_uid, cb_now_ms());
	if (c == NULL) {	/* asked and left: no session for nobody */
		authd_audit(d, j->j_uid, "login", "", "gone", j->j_addr,
		    j->j_ua);
		return;
	}
	if ((rc = session_new(d, j->j_uid, &r)) == 0)
		rc = account_record_login(d->d_store, j->j_uid, cb_now_ms(),
		    j->j_phc, j->j_newphc[0] ? j->j_newphc : NULL);
	authd_audit(d, j->j_uid, "login", "", rc != 0 ? "error" :
	    (r.alr_user.au_flags & USER_F_MUST_CHANGE) ? "ok_must_change" :
	    "ok", j->j_addr, j->j_ua);
	if (rc != 0) {
		reply_status(d, c, AUTH_LOGIN, j->j_req_id, rc, 0);
		return;
	}
	log_info("auth: login of %s%s", j->j_uid,
	    j->j_newphc[0] ? " (password rehashed)" : "");
	client_send(d, c, AUTH_LOGIN_R, j->j_req_id, &r, sizeof(r));
	cb_wipe(&r, sizeof(r));
}

static void
on_session(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_token *m)
{
	struct auth_session_r r;
	struct account_session s;
	uint8_t hash[ACCOUNT_HASH_LEN];

	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	if (token_zero(m->at_token)) {
		r.asr_status = CB_ESESSION;
	} else {
		token_hash(m->at_token, hash);
		r.asr_status = account_session_get(d->d_store, hash,
		    cb_now_ms(), &s, &r.asr_user);
	}
	if (r.asr_status == 0) {
		memcpy(r.asr_csrf, s.as_csrf, sizeof(r.asr_csrf));
		r.asr_created_ms = s.as_created_ms;
		r.asr_last_seen_ms = s.as_last_seen_ms;
	} else {
		memset(&r.asr_user, 0, sizeof(r.asr_user));
	}
	client_send(d, c, AUTH_SESSION_R, id, &r, sizeof(r));
	cb_wipe(&r, sizeof(r));
	cb_wipe(&s, sizeof(s));
}

static void
on_logout(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_token *m)
{
	uint8_t hash[ACCOUNT_HASH_LEN];
	struct account_session s;
	struct auth_user u;
	int rc = 0;

	if (!token_zero(m->at_token)) {
		token_hash(m->at_token, hash);
		memset(&u, 0, sizeof(u));
		if (account_session_get(d->d_store, hash, cb_now_ms(), &s,
		    &u) != 0)
			u.au_uid[0] = '\0';
		cb_wipe(&s, sizeof(s));
		if ((rc = account_session_delete(d->d_store, hash)) == 0)
			push_revoke(d, NULL, hash, NULL);
		if (u.au_uid[0] != '\0')
			authd_audit(d, u.au_uid, "logout", "",
			    authd_status_result(rc), "", "");
	}
	reply_status(d, c, AUTH_LOGOUT, id, rc, 0);
}

static void
on_touch(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_token *m)
{
	uint8_t hash[ACCOUNT_HASH_LEN];

	if (token_zero(m->at_token))
		return;
	token_hash(m->at_token, hash);
	(void)account_session_touch(d->d_store, hash, cb_now_ms());
}

static void
on_passwd(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_passwd *m)
{
	struct authd_actor a;
	struct authd_job *j;
	uint32_t retry;
	int rc;

	if ((rc = actor_get(d, c, m->ap_token, &a)) == 0 && a.a_console)
		rc = CB_EPERM;	/* the console resets, it has no password */
	if (rc == 0)
		rc = throttle_check(d->d_throttle, a.a_user.au_uid, NULL,
		    cb_now_ms(), &retry);
	if (rc == 0) {
		m->ap_school[sizeof(m->ap_school) - 1] = '\0';
		rc = password_check(m->ap_new, &(struct password_ctx){
		    a.a_user.au_uid, a.a_user.au_name, m->ap_school,
		    m->ap_old });
	}
	if (rc != 0 && a.a_user.au_uid[0] != '\0' && !a.a_console)
		authd_audit(d, a.a_user.au_uid, "password_change", "",
		    authd_status_result(rc), "", "");
	if (rc != 0) {
		reply_status(d, c, AUTH_PASSWD, id, rc,
		    rc == CB_ETHROTTLED ? retry : 0);
		return;
	}
	if ((j = job_new(d, c, AUTH_PASSWD, id, JOB_PASSWD)) == NULL)
		return;
	cb_strlcpy(j->j_uid, a.a_user.au_uid, sizeof(j->j_uid));
	cb_strlcpy(j->j_pw, m->ap_old, sizeof(j->j_pw));
	cb_strlcpy(j->j_newpw, m->ap_new, sizeof(j->j_newpw));
	memcpy(j->j_session, a.a_hash, sizeof(j->j_session));
	rc = account_get_hash(d->d_store, j->j_uid, NULL, j->j_phc,
	    sizeof(j->j_phc));
	if (rc != 0) {
		reply_status(d, c, AUTH_PASSWD, id, rc, 0);
		job_release(&d->d_pool, j);
		return;
	}
	pool_submit(&d->d_pool, j);
}

static void
passwd_done(struct authd *d, struct authd_job *j)
{
	struct authd_client *c = job_client(d, j);
	size_t n;
	int rc = j->j_rc;

	if (rc == CB_EAUTH)
		throttle_failure(d->d_throttle, j->j_uid, NULL, cb_now_ms());
	if (c == NULL) {	/* nobody to tell whether it worked: don't */
		authd_audit(d, j->j_uid, "password_change", "",
		    rc == 0 ? "gone" : authd_status_result(rc), "", "");
		return;
	}
	if (rc == 0) {
		throttle_success(d->d_throttle, j->j_uid, cb_now_ms());
		rc = account_set_password(d->d_store, j->j_uid, j->j_phc,
		    j->j_newphc, 0, USER_F_MUST_CHANGE, NULL);
	}
	if (rc == 0)
		rc = account_sessions_end_user(d->d_store, j->j_uid,
		    j->j_session, &n);
	if (rc == 0) {
		log_info("auth: %s changed their password; %zu other "
		    "sessions ended", j->j_uid, n);
		push_revoke(d, j->j_uid, NULL, j->j_session);
	}
	authd_audit(d, j->j_uid, "password_change", "",
	    authd_status_result(rc), "", "");
	reply_status(d, c, AUTH_PASSWD, j->j_req_id, rc, 0);
}

/* Queue the hashing of a fresh initial password for uid. */
/* A job with a fresh initial password for u, which must meet the same
 * rules as one the person chooses (password_check). */
static struct authd_job *
initial_job(struct authd *d, struct authd_client *c, uint32_t req,
    uint32_t id, int kind, const struct auth_user *u)
{
	struct authd_job *j;
	int rc;

	if ((j = job_new(d, c, req, id, kind)) == NULL)
		return NULL;
	cb_strlcpy(j->j_uid, u->au_uid, sizeof(j->j_uid));
	if ((rc = password_generate(j->j_newpw, AUTH_INITIAL_PW_MAX,
	    &(struct password_ctx){ u->au_uid, u->au_name, NULL, NULL })) !=
	    0) {
		reply_status(d, c, req, id, rc, 0);
		job_release(&d->d_pool, j);
		return NULL;
	}
	return j;
}

static void
on_create(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_user_create *m)
{
	struct authd_actor a;
	struct authd_job *j;
	int rc;

	if ((rc = actor_admin(d, c, m->auc_token, &a)) == 0)
		rc = account_check_new(d->d_store, &m->auc_user);
	if (rc != 0)
		authd_audit(d, a.a_user.au_uid, "user.create",
		    m->auc_user.au_uid, authd_status_result(rc), "", "");
	if (rc != 0) {
		reply_status(d, c, AUTH_USER_CREATE, id, rc, 0);
		return;
	}
	j = initial_job(d, c, AUTH_USER_CREATE, id, JOB_CREATE, &m->auc_user);
	if (j == NULL)
		return;
	j->j_user = m->auc_user;
	cb_strlcpy(j->j_addr, a.a_user.au_uid, sizeof(j->j_addr)); /* actor */
	pool_submit(&d->d_pool, j);
}

/* The operation's words: its phrase in auth's log, its login-log action. */
static const char *
op_name(uint32_t op)
{
	const struct user_op_names *n = user_op_names(op);

	return n != NULL ? n->uon_phrase : "?";
}

static const char *
authd_op_action(uint32_t op)
{
	const struct user_op_names *n = user_op_names(op);

	return n != NULL ? n->uon_login_action : "user.update";
}

static void
on_set(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_user_set *m)
{
	struct auth_user_pw_r r;
	struct authd_actor a;
	struct authd_job *j;

	memset(&r, 0, sizeof(r));
	if ((r.aupr_status = actor_admin(d, c, m->aus_token, &a)) == 0 &&
	    m->aus_op == USER_OP_RESET_PASSWORD) {
		r.aupr_status = account_get(d->d_store, m->aus_uid,
		    &r.aupr_user);
		if (r.aupr_status == 0 && r.aupr_user.au_state == USER_DELETED)
			r.aupr_status = CB_ESTATE;
		if (r.aupr_status == 0 && (j = initial_job(d, c,
		    AUTH_USER_SET, id, JOB_RESET, &r.aupr_user)) != NULL) {
			cb_strlcpy(j->j_addr, a.a_user.au_uid,
			    sizeof(j->j_addr));
			pool_submit(&d->d_pool, j);
		}
		if (r.aupr_status == 0)
			return;	/* answered now (busy) or when hashed */
	} else if (r.aupr_status == 0) {
		r.aupr_status = account_apply(d->d_store, m->aus_uid,
		    m->aus_op, &r.aupr_user);
		if (r.aupr_status == 0)
			log_info("auth: %s: %s %s", a.a_user.au_uid,
			    op_name(m->aus_op), m->aus_uid);
		if (r.aupr_status == 0 && r.aupr_user.au_state != USER_ACTIVE)
			push_revoke(d, m->aus_uid, NULL, NULL);
	}
	if (r.aupr_status != 0)
		memset(&r.aupr_user, 0, sizeof(r.aupr_user));
	authd_audit(d, a.a_user.au_uid, authd_op_action(m->aus_op),
	    m->aus_uid, authd_status_result(r.aupr_status), "", "");
	client_send(d, c, AUTH_USER_PW_R, id, &r, sizeof(r));
}

/* A fresh initial password is hashed: create the account or reset it. */
static void
initial_done(struct authd *d, struct authd_job *j)
{
	struct authd_client *c = job_client(d, j);
	struct auth_user_pw_r r;
	size_t n;
	int rc = j->j_rc;
	uint32_t req = j->j_kind == JOB_CREATE ? AUTH_USER_CREATE :
	    AUTH_USER_SET;

	if (c == NULL) {	/* nobody would see the password: change nothing */
		authd_audit(d, j->j_addr, j->j_kind == JOB_CREATE ?
		    "user.create" : "password_reset", j->j_uid, "gone", "", "");
		return;
	}
	memset(&r, 0, sizeof(r));
	if (rc == 0 && j->j_kind == JOB_CREATE)
		rc = account_create(d->d_store, &j->j_user, j->j_newphc,
		    USER_F_MUST_CHANGE, cb_now_ms(), &r.aupr_user);
	else if (rc == 0)
		rc = account_set_password(d->d_store, j->j_uid, NULL,
		    j->j_newphc, USER_F_MUST_CHANGE, 0, &r.aupr_user);
	if (rc == 0 && j->j_kind == JOB_RESET &&
	    (rc = account_sessions_end_user(d->d_store, j->j_uid, NULL,
	    &n)) == 0)
		push_revoke(d, j->j_uid, NULL, NULL);
	/* j_addr holds the acting admin's id (on_create, on_set). */
	authd_audit(d, j->j_addr, j->j_kind == JOB_CREATE ? "user.create" :
	    "password_reset", j->j_uid, authd_status_result(rc), "", "");
	if (rc != 0) {
		reply_status(d, c, req, j->j_req_id, rc, 0);
		return;
	}
	log_info("auth: %s %s %s", j->j_addr, j->j_kind == JOB_CREATE ?
	    "created the account" : "reset the password of", j->j_uid);
	cb_strlcpy(r.aupr_initial_password, j->j_newpw,
	    sizeof(r.aupr_initial_password));
	client_send(d, c, AUTH_USER_PW_R, j->j_req_id, &r, sizeof(r));
	cb_wipe(&r, sizeof(r));
}

static void
on_list(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_user_list *m)
{
	struct auth_user_list_r *r = &d->d_list_r;
	struct authd_actor a;
	size_t count = 0;
	int more = 0;

	memset(r, 0, sizeof(*r));
	r->aulr_status = actor_admin(d, c, m->aul_token, &a);
	if (r->aulr_status == 0 && (m->aul_limit < 1 ||
	    m->aul_limit > AUTH_LIST_MAX))
		r->aulr_status = CB_EINVAL;
	if (r->aulr_status == 0)
		r->aulr_status = account_list(d->d_store, m->aul_after,
		    m->aul_limit, r->aulr_users, &count, &more);
	r->aulr_count = r->aulr_status == 0 ? (uint32_t)count : 0;
	r->aulr_more = r->aulr_status == 0 ? (uint32_t)more : 0;
	client_send(d, c, AUTH_USER_LIST_R, id, r, sizeof(*r));
}

static void
on_get(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_user_ref *m)
{
	struct auth_user_r r;
	struct authd_actor a;

	memset(&r, 0, sizeof(r));
	if ((r.aur_status = actor_admin(d, c, m->aur_token, &a)) == 0)
		r.aur_status = account_get(d->d_store, m->aur_uid, &r.aur_user);
	client_send(d, c, AUTH_USER_R, id, &r, sizeof(r));
}

/* The login log for an admin (GET /api/v1/audit/login), newest first. */
static void
on_audit(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_audit_query *m)
{
	struct auth_audit_r *r = &d->d_audit_r;
	struct authd_actor a;
	struct audit_query q;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	r->aar_status = actor_admin(d, c, m->aaq_token, &a);
	if (r->aar_status == 0 && (m->aaq_limit < 1 ||
	    m->aaq_limit > AUTH_AUDIT_PAGE_MAX))
		r->aar_status = CB_EINVAL;
	if (r->aar_status == 0 && d->d_audit == NULL)
		r->aar_status = CB_ENOTFOUND;
	if (r->aar_status == 0) {
		memset(&q, 0, sizeof(q));
		q.aq_actor = m->aaq_user[0] ? m->aaq_user : NULL;
		q.aq_action = m->aaq_action[0] ? m->aaq_action : NULL;
		q.aq_from_ms = m->aaq_from_ms;
		q.aq_to_ms = m->aaq_to_ms;
		q.aq_newest_first = 1;
		q.aq_cursor = m->aaq_cursor;
		q.aq_limit = m->aaq_limit;
		r->aar_status = audit_query(d->d_audit, &q, r->aar_entries, &n,
		    &r->aar_next);
	}
	r->aar_count = r->aar_status == 0 ? (uint32_t)n : 0;
	if (r->aar_status != 0)
		r->aar_next = 0;
	client_send(d, c, AUTH_AUDIT_R, id, r, sizeof(*r));
	cb_wipe(r, sizeof(*r));
}

/* The login log for the admins' export, oldest first (authproto.h). */
static void
on_audit_range(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_audit_range *m)
{
	struct auth_audit_range_r *r = &d->d_range_r;
	struct authd_actor a;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	r->aarr_status = actor_admin(d, c, m->aarq_token, &a);
	if (r->aarr_status == 0 && d->d_audit == NULL)
		r->aarr_status = CB_ENOTFOUND;
	if (r->aarr_status == 0)
		r->aarr_status = audit_read(d->d_audit, m->aarq_from,
		    m->aarq_through, r->aarr_entries, AUTH_AUDIT_PAGE_MAX, &n,
		    &r->aarr_head, &r->aarr_anchor);
	r->aarr_count = r->aarr_status == 0 ? (uint32_t)n : 0;
	client_send(d, c, AUTH_AUDIT_RANGE_R, id, r, sizeof(*r));
	cb_wipe(r, sizeof(*r));
	cb_wipe(&a, sizeof(a));
}

/* --- offline reset codes (authproto.h, issue 5 item 9) --- */

/* A fresh code of AUTH_RESET_CODE_LEN symbols, uniformly drawn. */
static int
reset_code_new(char out[AUTH_RESET_CODE_MAX])
{
	static const char abc[] = AUTH_RESET_ALPHABET;
	const unsigned n = sizeof(abc) - 1, lim = 256 - 256 % n;
	uint8_t b[64];
	size_t i = 0, k = 0;
	int rc;

	while (k < AUTH_RESET_CODE_LEN) {
		if (i == 0 && (rc = cb_random(b, sizeof(b))) != 0)
			return rc;
		if (b[i] < lim)
			out[k++] = abc[b[i] % n];
		i = (i + 1) % sizeof(b);
	}
	out[k] = '\0';
	cb_wipe(b, sizeof(b));
	return 0;
}

/* The code as typed -> its normal form (upper case, no '-' or spaces);
 * CB_EAUTH if it cannot be one. */
static int
reset_code_norm(const char *in, char out[AUTH_RESET_CODE_MAX])
{
	size_t k = 0;

	for (; *in != '\0'; in++) {
		char ch = *in;

		if (ch == '-' || ch == ' ')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (k >= AUTH_RESET_CODE_LEN || ch == '\0' ||
		    strchr(AUTH_RESET_ALPHABET, ch) == NULL)
			return CB_EAUTH;
		out[k++] = ch;
	}
	out[k] = '\0';
	return k == AUTH_RESET_CODE_LEN ? 0 : CB_EAUTH;
}

/*
 * Issue: admins for anyone else; teachers for students and parents (web
 * has checked that the student is in the teacher's homeroom, or is a
 * child of the parent who is). Not for oneself, not for an account that
 * cannot log in.
 */
static void
on_reset_issue(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_reset_issue *m)
{
	struct auth_reset_issue_r r;
	struct authd_actor a;
	struct auth_user t;
	int64_t now = cb_now_ms();
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = actor_get(d, c, m->ari_token, &a)) == 0 && !a.a_console &&
	    (a.a_user.au_flags & USER_F_MUST_CHANGE))
		rc = CB_EPWCHANGE;
	if (rc == 0 && !a.a_console && !(a.a_user.au_flags & USER_F_ADMIN) &&
	    a.a_user.au_role != ROLE_TEACHER)
		rc = CB_EPERM;
	if (rc == 0 && (rc = account_get(d->d_store, m->ari_uid, &t)) == 0) {
		if (strcmp(t.au_uid, a.a_user.au_uid) == 0)
			rc = CB_EPERM;
		else if (!a.a_console && !(a.a_user.au_flags & USER_F_ADMIN) &&
		    t.au_role != ROLE_STUDENT && t.au_role != ROLE_PARENT)
			rc = CB_EPERM;
		else if (t.au_state != USER_ACTIVE)
			rc = CB_ESTATE;
	}
	if (rc == 0 && (rc = reset_code_new(r.arir_code)) == 0) {
		r.arir_expires_ms = now + AUTH_RESET_CODE_TTL_MS;
		rc = account_reset_put(d->d_store, m->ari_uid, r.arir_code,
		    r.arir_expires_ms);
	}
	if (rc == 0)
		log_info("auth: %s issued a reset code for %s",
		    a.a_user.au_uid, m->ari_uid);
	else
		memset(&r, 0, sizeof(r));
	r.arir_status = rc;
	client_send(d, c, AUTH_RESET_ISSUE_R, id, &r, sizeof(r));
	cb_wipe(&r, sizeof(r));
	cb_wipe(&a, sizeof(a));
}

/* Use: throttled per account and per address like a login; the code is
 * spent before the new password is hashed. */
static void
on_reset_use(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_reset_use *m)
{
	struct authd_job *j;
	struct auth_user u;
	char code[AUTH_RESET_CODE_MAX], ubuf[AUTH_UID_MAX], abuf[AUTH_ADDR_MAX];
	uint32_t retry = 0;
	int64_t now = cb_now_ms();
	int rc;

	rc = throttle_check(d->d_throttle, m->aru_uid, m->aru_addr, now,
	    &retry);
	m->aru_school[sizeof(m->aru_school) - 1] = '\0';
	/* First the rules that need nothing of the account. */
	if (rc == 0)
		rc = password_check(m->aru_password, &(struct password_ctx){
		    m->aru_uid, NULL, m->aru_school, NULL });
	if (rc == 0 && (rc = reset_code_norm(m->aru_code, code)) == 0)
		rc = account_reset_check(d->d_store, m->aru_uid, code, now);
	if (rc == 0 && (account_get(d->d_store, m->aru_uid, &u) != 0 ||
	    u.au_state != USER_ACTIVE))
		rc = CB_EAUTH;
	/* The person's name only once the code has shown who asks (else a
	 * guessed name would tell that the account exists and is so
	 * called); a refusal leaves the code valid for a better password. */
	if (rc == 0)
		rc = password_check(m->aru_password, &(struct password_ctx){
		    m->aru_uid, u.au_name, m->aru_school, NULL });
	if (rc == 0)
		rc = account_reset_take(d->d_store, m->aru_uid, code, now);
	cb_wipe(code, sizeof(code));
	if (rc == CB_EAUTH) {
		throttle_failure(d->d_throttle, m->aru_uid, m->aru_addr, now);
		log_info("auth: wrong reset code for %s from %s",
		    log_safe(m->aru_uid, ubuf, sizeof(ubuf)),
		    log_safe(m->aru_addr, abuf, sizeof(abuf)));
	}
	if (rc != 0) {
		reply_status(d, c, AUTH_RESET_USE, id, rc,
		    rc == CB_ETHROTTLED ? retry : 0);
		return;
	}
	if ((j = job_new(d, c, AUTH_RESET_USE, id, JOB_CODE)) == NULL)
		return;		/* answered busy; the code is spent */
	cb_strlcpy(j->j_uid, m->aru_uid, sizeof(j->j_uid));
	cb_strlcpy(j->j_addr, m->aru_addr, sizeof(j->j_addr));
	cb_strlcpy(j->j_newpw, m->aru_password, sizeof(j->j_newpw));
	pool_submit(&d->d_pool, j);
}

/* The chosen password is hashed: set it, clear the must-change flag, end
 * every session. Done even if web has gone: the user knows what they
 * typed, and the code is spent. */
static void
reset_code_done(struct authd *d, struct authd_job *j)
{
	struct authd_client *c = job_client(d, j);
	size_t n = 0;
	int rc = j->j_rc;

	if (rc == 0)
		rc = account_set_password(d->d_store, j->j_uid, NULL,
		    j->j_newphc, 0, USER_F_MUST_CHANGE, NULL);
	if (rc == 0)
		rc = account_sessions_end_user(d->d_store, j->j_uid, NULL, &n);
	if (rc == 0) {
		throttle_success(d->d_throttle, j->j_uid, cb_now_ms());
		push_revoke(d, j->j_uid, NULL, NULL);
		log_info("auth: %s set a new password with a reset code; %zu "
		    "sessions ended", j->j_uid, n);
	}
	if (c != NULL)
		reply_status(d, c, AUTH_RESET_USE, j->j_req_id, rc, 0);
}

/* --- online reset through the platform (authproto.h) --- */

/* May a reset request for uid be recorded? Only web (or the console)
 * asks; the answer never reaches the person (web answers 202 always). */
static void
on_reset_ask(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_reset_ask *m)
{
	struct auth_user u;
	int rc = account_get(d->d_store, m->ara_uid, &u);

	if (rc == 0 && u.au_state != USER_ACTIVE)
		rc = CB_ENOTFOUND;
	if (rc == CB_EINVAL)
		rc = CB_ENOTFOUND;
	reply_status(d, c, AUTH_RESET_ASK, id, rc, 0);
}

/* The grant's checks beyond its form: the account. */
static int
reset_grant_target(struct authd *d, const struct auth_reset_grant *m,
    char why[RESET_GRANT_WHY_MAX])
{
	struct auth_user u;

	if (account_get(d->d_store, m->arg_uid, &u) != 0) {
		snprintf(why, RESET_GRANT_WHY_MAX, "no such account");
		return CB_ENOTFOUND;
	}
	if (u.au_state != USER_ACTIVE) {
		snprintf(why, RESET_GRANT_WHY_MAX, "the account is not active");
		return CB_ESTATE;
	}
	return 0;
}

/*
 * A grant from the platform, delivered by sync: check it, take its id
 * once, keep salt and hash as the user's code until min(expires_ms, now +
 * AUTH_RESET_CODE_TTL_MS). Only the sync process (or the console) may
 * send one: web cannot install a code, whatever it writes to the store.
 */
static void
on_reset_grant(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_reset_grant *m)
{
	uint8_t salt[AUTH_GRANT_SALT_HEX / 2], hash[AUTH_GRANT_HASH_HEX / 2];
	char why[RESET_GRANT_WHY_MAX], gbuf[AUTH_GRANT_ID_MAX];
	int64_t now = cb_now_ms(), until;
	int rc;

	if (!c->c_sync && !c->c_console) {
		log_warn("auth: refused a reset grant from a client that is "
		    "not the sync process (the web process?): only sync "
		    "delivers the platform's grants");
		authd_audit(d, "(web)", "password_reset.grant", "", "denied",
		    "", "");
		reply_status(d, c, AUTH_RESET_GRANT, id, CB_EPERM, 0);
		return;
	}
	memcpy(gbuf, m->arg_id, sizeof(gbuf));
	gbuf[sizeof(gbuf) - 1] = 0;
	if ((rc = reset_grant_check(m, now, why)) == 0)
		rc = reset_grant_target(d, m, why);
	if (rc == 0) {
		until = m->arg_expires_ms < now + AUTH_RESET_CODE_TTL_MS ?
		    m->arg_expires_ms : now + AUTH_RESET_CODE_TTL_MS;
		reset_grant_bytes(m, salt, hash);
		rc = account_reset_grant_put(d->d_store, m->arg_uid,
		    m->arg_id, salt, hash, until, now);
		if (rc == CB_EEXIST)
			snprintf(why, sizeof(why), "this grant was used "
			    "before (a replay)");
		else if (rc != 0)
			snprintf(why, sizeof(why), "%s", cb_strerror(rc));
	}
	if (rc == 0) {
		log_info("auth: the platform's reset grant %s is now %s's "
		    "reset code, valid %lld s", m->arg_id, m->arg_uid,
		    (long long)((until - now) / 1000));
	} else {
		char ibuf[AUTH_GRANT_ID_MAX];

		log_warn("auth: refused the platform's reset grant %s: %s",
		    log_safe(gbuf, ibuf, sizeof(ibuf)), why);
	}
	authd_audit(d, rc == 0 || rc == CB_EEXIST ? m->arg_uid : "",
	    "password_reset.grant", gbuf, rc == 0 ? "ok" : "refused", "", "");
	cb_wipe(salt, sizeof(salt));
	cb_wipe(hash, sizeof(hash));
	reply_status(d, c, AUTH_RESET_GRANT, id, rc, 0);
}

/* The login log's entries not yet in the cloud, for termination. */
static void
on_audit_pending(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_token *m)
{
	struct auth_audit_pending_r r;
	struct authd_actor a;
	struct audit_link head;

	memset(&r, 0, sizeof(r));
	r.aapr_status = actor_admin(d, c, m->at_token, &a);
	if (r.aapr_status == 0 && d->d_audit != NULL) {
		if ((r.aapr_status = audit_head(d->d_audit, &head, NULL)) == 0)
			r.aapr_head = head.al_seq;
		if (r.aapr_status == 0)
			r.aapr_status = audit_uploaded(d->d_audit,
			    &r.aapr_uploaded);
	}
	client_send(d, c, AUTH_AUDIT_PENDING_R, id, &r, sizeof(r));
	cb_wipe(&a, sizeof(a));
}

/* --- the enrollment's admin password (authproto.h, AUTH_ADMIN_SEED) --- */

/* 0 while the first admin is as it was created: never logged in, the
 * initial password not changed; CB_ESTATE otherwise. */
static int
seed_applicable(const struct auth_user *u)
{
	if (u->au_state != USER_ACTIVE || u->au_last_login_ms != 0 ||
	    !(u->au_flags & USER_F_MUST_CHANGE))
		return CB_ESTATE;
	return 0;
}

static void
on_admin_seed(struct authd *d, struct authd_client *c, uint32_t id,
    struct auth_admin_seed *m)
{
	const char *actor = c->c_sync ? "(sync)" : "(console)";
	struct auth_user u;
	struct authd_job *j = NULL;
	int rc = c->c_sync || c->c_console ? 0 : CB_EPERM;

	/* The enrollment file says nothing of the school's name. */
	if (rc == 0)
		rc = password_check(m->aas_password, &(struct password_ctx){
		    AUTH_FIRST_ADMIN, NULL, NULL, NULL });
	if (rc == 0 && (j = job_new(d, c, AUTH_ADMIN_SEED, id, JOB_SEED)) ==
	    NULL)
		return;		/* answered busy */
	if (rc == 0 && ((rc = account_get_hash(d->d_store, AUTH_FIRST_ADMIN,
	    &u, j->j_phc, sizeof(j->j_phc))) != 0 ||
	    (rc = seed_applicable(&u)) != 0))
		job_release(&d->d_pool, j);
	if (rc != 0) {
		authd_audit(d, actor, "admin.initial_password",
		    AUTH_FIRST_ADMIN, rc == CB_ESTATE ? "already_changed" :
		    authd_status_result(rc), "", "");
		reply_status(d, c, AUTH_ADMIN_SEED, id, rc, 0);
		return;
	}
	cb_strlcpy(j->j_uid, AUTH_FIRST_ADMIN, sizeof(j->j_uid));
	cb_strlcpy(j->j_addr, actor, sizeof(j->j_addr));
	cb_strlcpy(j->j_newpw, m->aas_password, sizeof(j->j_newpw));
	pool_submit(&d->d_pool, j);
}

/* Hashed: set it if the admin is still untouched and its hash is the one
 * read at the request (a login or change meanwhile wins). */
static void
seed_done(struct authd *d, struct authd_job *j)
{
	struct authd_client *c = job_client(d, j);
	struct auth_user u;
	int rc = j->j_rc;

	if (rc == 0 && c == NULL)
		rc = CB_EUNAVAIL;	/* nobody to tell: change nothing */
	if (rc == 0 && (rc = account_get(d->d_store, j->j_uid, &u)) == 0)
		rc = seed_applicable(&u);
	if (rc == 0)
		rc = account_set_password(d->d_store, j->j_uid, j->j_phc,
		    j->j_newphc, USER_F_MUST_CHANGE, 0, NULL);
	authd_audit(d, j->j_addr, "admin.initial_password", j->j_uid,
	    rc == CB_ESTATE ? "already_changed" : authd_status_result(rc),
	    "", "");
	if (rc == 0)
		log_info("auth: %s set the first admin's initial password from "
		    "the enrollment (still to be changed at first login)",
		    j->j_addr);
	if (c != NULL)
		reply_status(d, c, AUTH_ADMIN_SEED, j->j_req_id, rc, 0);
}

/*
 * The sync process may send only what it needs: the enrollment's admin
 * password and the platform's reset grants. Everything else (logins,
 * sessions, accounts) is refused.
 */
static int
sync_may_send(uint32_t type)
{
	return type == AUTH_ADMIN_SEED || type == AUTH_RESET_GRANT;
}

/* --- termination --- */

/* The request type a job answers. */
static uint32_t
job_request(const struct authd_job *j)
{
	switch (j->j_kind) {
	case JOB_LOGIN:		return AUTH_LOGIN;
	case JOB_PASSWD:	return AUTH_PASSWD;
	case JOB_CREATE:	return AUTH_USER_CREATE;
	case JOB_CODE:		return AUTH_RESET_USE;
	case JOB_SEED:		return AUTH_ADMIN_SEED;
	default:		return AUTH_USER_SET;
	}
}

/* The files of the account environment; the login log's key file. */
static const char *const authd_env_files[] = { "data.mdb", "lock.mdb", NULL };
static const char *const authd_kek_files[] = { "kek", NULL };

/* Finish (or redo) the erase: idempotent, run after the marker is
 * durable and again at every start of a terminated box. */
static int
authd_erase(struct authd *d)
{
	struct audit_link head;
	int rc = 0, r;

	if (d->d_audit != NULL) {
		rc = audit_crypto_erase(d->d_audit, &head);
		audit_close(d->d_audit);
		d->d_audit = NULL;
	}
	if (d->d_cfg->audit_dir != NULL &&
	    (r = erase_files(d->d_cfg->audit_dir, authd_kek_files)) != 0 &&
	    rc == 0)
		rc = r;
	account_close(d->d_store);
	d->d_store = NULL;
	if ((r = erase_files(d->d_cfg->dir, authd_env_files)) != 0 && rc == 0)
		rc = r;
	d->d_terminated = 1;
	return rc;
}

static void
on_terminate(struct authd *d, struct authd_client *c, uint32_t id,
    const struct auth_token *m)
{
	struct authd_actor a;
	char rec[160];
	int rc;

	if ((rc = actor_admin(d, c, m->at_token, &a)) != 0) {
		reply_status(d, c, AUTH_TERMINATE, id, rc, 0);
		return;
	}
	snprintf(rec, sizeof(rec), "{\"terminated_ms\":%lld}\n",
	    (long long)cb_now_ms());
	if ((rc = erase_mark(d->d_cfg->dir, rec)) != 0) {
		log_err("auth: cannot write the termination marker: %s",
		    cb_strerror(rc));
		reply_status(d, c, AUTH_TERMINATE, id, rc, 0);
		return;
	}
	/* The last entry of the login log, then its key goes. */
	authd_audit(d, a.a_user.au_uid, "school.terminate", "school", "ok",
	    "", "");
	rc = authd_erase(d);
	log_info("auth: the school is terminated: accounts and the login log "
	    "key %s", rc == 0 ? "erased" : "NOT fully erased (restart auth)");
	reply_status(d, c, AUTH_TERMINATE, id, rc, 0);
}

/* Every request of a terminated box: CB_ESTATE, in the reply type the
 * request expects. */
static void
reply_terminated(struct authd *d, struct authd_client *c, uint32_t type,
    uint32_t id)
{
	reply_status(d, c, type, id, CB_ESTATE, 0);
}

/* --- the loop side --- */

static void
dispatch(struct authd *d, struct authd_client *c, const struct auth_hdr *h)
{
	union authd_req *m = &d->d_req;

	if (d->d_terminated) {
		reply_terminated(d, c, h->ah_type, h->ah_id);
		cb_wipe(m, sizeof(*m));
		return;
	}
	if (c->c_sync && !c->c_console && !sync_may_send(h->ah_type)) {
		log_warn("auth: the sync process sent %s: refused",
		    msg_name(h->ah_type));
		client_close(d, c, "a message the sync process may not send");
		cb_wipe(m, sizeof(*m));
		return;
	}
	switch (h->ah_type) {
	case AUTH_LOGIN: on_login(d, c, h->ah_id, &m->login); break;
	case AUTH_SESSION: on_session(d, c, h->ah_id, &m->token); break;
	case AUTH_LOGOUT: on_logout(d, c, h->ah_id, &m->token); break;
	case AUTH_TOUCH: on_touch(d, c, h->ah_id, &m->token); break;
	case AUTH_PASSWD: on_passwd(d, c, h->ah_id, &m->passwd); break;
	case AUTH_USER_CREATE: on_create(d, c, h->ah_id, &m->create); break;
	case AUTH_USER_LIST: on_list(d, c, h->ah_id, &m->list); break;
	case AUTH_USER_GET: on_get(d, c, h->ah_id, &m->ref); break;
	case AUTH_USER_SET: on_set(d, c, h->ah_id, &m->set); break;
	case AUTH_AUDIT_QUERY: on_audit(d, c, h->ah_id, &m->audit); break;
	case AUTH_RESET_ISSUE:
		on_reset_issue(d, c, h->ah_id, &m->reset_issue);
		break;
	case AUTH_RESET_USE: on_reset_use(d, c, h->ah_id, &m->reset_use); break;
	case AUTH_TERMINATE: on_terminate(d, c, h->ah_id, &m->token); break;
	case AUTH_RESET_ASK: on_reset_ask(d, c, h->ah_id, &m->reset_ask); break;
	case AUTH_RESET_GRANT:
		on_reset_grant(d, c, h->ah_id, &m->reset_grant);
		break;
	case AUTH_AUDIT_PENDING:
		on_audit_pending(d, c, h->ah_id, &m->token);
		break;
	case AUTH_ADMIN_SEED:
		on_admin_seed(d, c, h->ah_id, &m->admin_seed);
		break;
	case AUTH_AUDIT_RANGE: on_audit_range(d, c, h->ah_id, &m->range); break;
	default: fatalx("auth: dispatch of unchecked type %u", h->ah_type);
	}
	cb_wipe(m, sizeof(*m));	/* passwords */
}

/* Serve every whole message in the input buffer. */
static void
client_parse(struct authd *d, struct authd_client *c)
{
	struct auth_hdr h;
	size_t used, off = 0;
	char why[96];

	while (c->c_fd >= 0) {
		if (authd_frame(c->c_in + off, c->c_inlen - off, &h, &used) != 0
		    || (used > 0 && authd_check_msg(h.ah_type, c->c_in + off +
		    sizeof(h), h.ah_len) != 0)) {
			snprintf(why, sizeof(why), "invalid %s (%u bytes)",
			    msg_name(h.ah_type), h.ah_len);
			client_close(d, c, why);
			return;
		}
		if (used == 0)
			break;
		memcpy(&d->d_req, c->c_in + off + sizeof(h), h.ah_len);
		off += used;
		dispatch(d, c, &h);
	}
	if (c->c_fd < 0)
		return;
	memmove(c->c_in, c->c_in + off, c->c_inlen - off);
	c->c_inlen -= off;
	cb_wipe(c->c_in + c->c_inlen, off);
}

static void
client_io(struct loop *l, int fd, int events, void *arg)
{
	struct authd_client *c = arg;
	struct authd *d = c->c_d;
	ssize_t n;

	(void)l;
	(void)fd;
	if (events & LOOP_WRITE)
		client_flush(d, c);
	if (c->c_fd < 0 || !(events & LOOP_READ))
		return;
	n = recv(c->c_fd, c->c_in + c->c_inlen,
	    sizeof(c->c_in) - c->c_inlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		client_close(d, c, NULL);	/* it hung up */
		return;
	}
	c->c_inlen += (size_t)n;
	client_parse(d, c);
}

/* Console peers: root and our own uid, unless that is the web uid. In
 * development (web_uid unset) web runs as us and is a console too. The
 * sync uid may only deliver reset grants. */
static int
peer_class(const struct authd *d, uid_t peer, int *console, int *sync)
{
	uid_t web = d->d_cfg->web_uid, syn = d->d_cfg->sync_uid;

	*console = *sync = 0;
	if (web != (uid_t)-1 && peer == web)
		return 0;
	if (syn != (uid_t)-1 && peer == syn && peer != d->d_uid &&
	    peer != 0) {
		*sync = 1;
		return 0;
	}
	if (peer == 0 || peer == d->d_uid) {
		*console = 1;
		return 0;
	}
	return CB_EPERM;
}

static void
listen_io(struct loop *l, int fd, int events, void *arg)
{
	struct authd *d = arg;
	struct authd_client *c = NULL;
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t clen = sizeof(cred);
	int cfd, console, sync;

	(void)events;
	if ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
		return;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 ||
	    peer_class(d, cred.uid, &console, &sync) != 0) {
		log_warn("auth: refused a connection from uid %d: only the web "
		    "and sync processes and the console may connect",
		    (int)cred.uid);
		close(cfd);
		return;
	}
	for (size_t i = 0; i < AUTHD_CLIENTS_MAX && c == NULL; i++)
		if (d->d_clients[i].c_fd < 0)
			c = &d->d_clients[i];
	if (c == NULL || loop_add(l, cfd, LOOP_READ, client_io, c) != 0) {
		log_warn("auth: refused a connection: %d clients already "
		    "(AUTHD_CLIENTS_MAX)", AUTHD_CLIENTS_MAX);
		close(cfd);
		return;
	}
	c->c_fd = cfd;
	c->c_console = console;
	c->c_sync = sync;
	c->c_inlen = 0;
}

static void
jobs_io(struct loop *l, int fd, int events, void *arg)
{
	struct authd *d = arg;
	struct authd_job *j;
	uint64_t n;

	(void)l;
	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_err("auth: reading the job eventfd: %s", strerror(errno));
	for (size_t i = 0; i < AUTH_HASH_QUEUE_MAX &&
	    (j = pool_done(&d->d_pool)) != NULL; i++) {
		struct authd_client *c = job_client(d, j);

		if (d->d_terminated) {		/* hashed before the end */
			if (c != NULL)
				reply_terminated(d, c, job_request(j),
				    j->j_req_id);
		} else if (j->j_kind == JOB_LOGIN)
			login_done(d, j);
		else if (j->j_kind == JOB_PASSWD)
			passwd_done(d, j);
		else if (j->j_kind == JOB_CODE)
			reset_code_done(d, j);
		else if (j->j_kind == JOB_SEED)
			seed_done(d, j);
		else
			initial_done(d, j);
		job_release(&d->d_pool, j);
	}
}

static void
signal_io(struct loop *l, int fd, int events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("auth: signal %u: stopping", si.ssi_signo);
		loop_stop(l);
	}
}

static void
purge_tick(struct loop *l, int64_t mono_ms, void *arg)
{
	struct authd *d = arg;
	size_t n = 0;

	(void)l;
	(void)mono_ms;
	if (d->d_store != NULL && account_sessions_purge(d->d_store, cb_now_ms(), AUTHD_PURGE_MAX,
	    &n) == 0 && n > 0)
		log_info("auth: purged %zu expired sessions", n);
}

/* Bind the socket, replacing a stale one but never a live server's. */
static int
listen_open(struct authd *d, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat sb;
	mode_t old, mode;
	int fd, rc;

	if (cb_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) != 0) {
		log_err("auth: socket path %s is too long (max %zu bytes)",
		    path, sizeof(sun.sun_path) - 1);
		return CB_ETOOBIG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return CB_EIO;
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode) ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			log_err("auth: %s is %s; stop it or remove the file",
			    path, S_ISSOCK(sb.st_mode) ? "in use by another "
			    "auth process" : "not a socket");
			close(fd);
			return CB_EEXIST;
		}
		unlink(path);
	}
	/* The peer check (SO_PEERCRED) is the access control; the mode
	 * only has to let the web user connect. */
	mode = d->d_cfg->web_uid != (uid_t)-1 &&
	    d->d_cfg->web_uid != d->d_uid ? 0666 : 0600;
	old = umask(0777 & ~mode);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc != 0 || chmod(path, mode) != 0 ||
	    listen(fd, AUTHD_LISTEN_BACKLOG) != 0) {
		log_err("auth: cannot listen on %s: %s; check that its "
		    "directory exists and belongs to the auth user", path,
		    strerror(errno));
		close(fd);
		return CB_EIO;
	}
	d->d_listen_fd = fd;
	return 0;
}

static int
signals_open(struct authd *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Blocked before the workers start, so they inherit the mask. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return CB_EIO;
	d->d_sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->d_sig_fd < 0 ? CB_EIO : 0;
}

/* The login log and its clock, in DATA/audit/login (created 0700 for the
 * auth user by `classbox run` or the image's rcS). */
static int
authd_audit_open(struct authd *d)
{
	char floor[4096];
	int rc;

	if (d->d_cfg->audit_dir == NULL)
		return 0;
	if (snprintf(floor, sizeof(floor), "%s/%s", d->d_cfg->audit_dir,
	    CLOCK_FLOOR_FILE) >= (int)sizeof(floor))
		return CB_ETOOBIG;
	/* Normally made by `classbox run` or rcS; in development, here. */
	if (access(d->d_cfg->audit_dir, F_OK) != 0 &&
	    (rc = cb_make_dir(d->d_cfg->audit_dir, 0700, (uid_t)-1,
	    (gid_t)-1)) != 0)
		return rc;
	if ((rc = clock_open(&d->d_clock, floor, NULL, 0)) != 0)
		return rc;
	/* Stamps say "https-date" when sync's hint vouches for the clock
	 * (the file may come later: clock.c re-reads it). */
	if (d->d_cfg->clock_hint != NULL)
		(void)clock_set_hint(d->d_clock, d->d_cfg->clock_hint);
	if ((rc = audit_open(&d->d_audit, d->d_cfg->audit_dir,
	    AUDIT_LOG_LOGIN, d->d_clock, NULL)) != 0) {
		log_err("auth: cannot open the login log in %s: %s; it must "
		    "be a directory (0700) of the auth user",
		    d->d_cfg->audit_dir, cb_strerror(rc));
		return rc;
	}
	return 0;
}

static int
authd_setup(struct authd *d)
{
	char pw[AUTH_PASSWORD_MAX];
	int rc;

	if ((rc = password_generate(pw, sizeof(pw), NULL)) != 0 ||
	    (rc = password_hash(pw, d->d_dummy_phc, sizeof(d->d_dummy_phc))))
		return rc;
	cb_wipe(pw, sizeof(pw));
	if (erase_marked(d->d_cfg->dir)) {
		/* A terminated school: finish the erase, serve nobody. */
		log_warn("auth: the school is terminated; every request is "
		    "refused");
		(void)authd_erase(d);
	} else if ((rc = authd_audit_open(d)) != 0 ||
	    (rc = account_open(&d->d_store, d->d_cfg->dir)) != 0)
		return rc;
	if ((rc = throttle_new(&d->d_throttle, 0, 0)) != 0 ||
	    (rc = loop_new(&d->d_loop)) != 0 ||
	    (rc = signals_open(d)) != 0 ||
	    (rc = listen_open(d, d->d_cfg->sock_path)) != 0)
		return rc;
	if ((rc = pool_start(&d->d_pool, d->d_cfg->workers)) != 0)
		return rc;
	if ((rc = loop_add(d->d_loop, d->d_listen_fd, LOOP_READ, listen_io,
	    d)) != 0 ||
	    (rc = loop_add(d->d_loop, d->d_pool.p_efd, LOOP_READ, jobs_io,
	    d)) != 0 ||
	    (rc = loop_add(d->d_loop, d->d_sig_fd, LOOP_READ, signal_io,
	    d)) != 0 ||
	    (rc = loop_tick(d->d_loop, AUTHD_PURGE_INTERVAL_MS, purge_tick,
	    d)) != 0)
		return rc;
	return 0;
}

static void
authd_teardown(struct authd *d)
{
	if (d->d_pool.p_nthreads > 0 || d->d_pool.p_efd >= 0)
		pool_stop(&d->d_pool);
	for (size_t i = 0; i < AUTHD_CLIENTS_MAX; i++)
		client_close(d, &d->d_clients[i], NULL);
	if (d->d_listen_fd >= 0) {
		close(d->d_listen_fd);
		unlink(d->d_cfg->sock_path);
	}
	if (d->d_sig_fd >= 0)
		close(d->d_sig_fd);
	loop_free(d->d_loop);
	throttle_free(d->d_throttle);
	account_close(d->d_store);
	if (d->d_audit != NULL)
		audit_close(d->d_audit);
	if (d->d_clock != NULL)
		clock_close(d->d_clock);
	cb_wipe(d, sizeof(*d));
	free(d);
}

int
authd_main(const struct authd_config *cfg)
{
	struct authd *d;
	int rc;

	if (cfg->workers < 1 || cfg->workers > AUTHD_WORKERS_MAX) {
		log_err("auth: workers must be 1..%d, not %d",
		    AUTHD_WORKERS_MAX, cfg->workers);
		return CB_EINVAL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return CB_ENOMEM;
	d->d_cfg = cfg;
	d->d_uid = getuid();
	d->d_listen_fd = d->d_sig_fd = d->d_pool.p_efd = -1;
	for (size_t i = 0; i < AUTHD_CLIENTS_MAX; i++) {
		d->d_clients[i].c_fd = -1;
		d->d_clients[i].c_d = d;
	}
	if (cfg->web_uid == (uid_t)-1)
		log_warn("auth: no --web-uid: the web process runs as auth's "
		    "own user and may act as the console (development only)");
	rc = authd_setup(d);
	if (rc == 0) {
		log_info("auth: listening on %s with %d workers",
		    cfg->sock_path, cfg->workers);
		rc = loop_run(d->d_loop);
	} else {
		log_err("auth: cannot start: %s", cb_strerror(rc));
	}
	authd_teardown(d);
	return rc;
}
