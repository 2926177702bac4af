/*
 * authclient.c: the client side of the auth socket (auth/authclient.h).
 * Requests are queued in a bounded output buffer and matched to replies by
 * id in a fixed table of AUTHC_MAX_PENDING slots (slot = id % size). A
 * reply that breaks the protocol means auth (or this code) is broken:
 * as authproto.h says, the web process exits rather than guess.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cb.h"
#include "net/loop.h"
#include "auth/authclient.h"

#define AUTHC_INBUF		(sizeof(struct auth_hdr) + AUTH_MSG_MAX)
#define AUTHC_OUTBUF_MAX	(1024 * 1024)	/* requests not yet sent */
#define AUTHC_SYNC_TIMEOUT_MS	60000	/* console: hashes may queue */

struct authc_pending {
	uint32_t p_id;			/* 0: free */
	uint32_t p_reply_type;
	authc_reply_fn *p_fn;
	void *p_arg;
};


struct authc {
	struct loop *c_loop;
	struct sockaddr_un c_addr;
	int c_fd;			/* -1 when not connected */
	int c_timer_fd;			/* reconnect timer */
	int c_warned;			/* "auth unavailable" logged */
	authc_revoke_fn *c_on_revoke;
	void *c_revoke_arg;
	struct authc_pending *c_pending;
	size_t c_npending;
	uint32_t c_next_id;
	uint8_t *c_in;
	size_t c_inlen;
	uint8_t *c_out;
	size_t c_outlen, c_outcap;
	union auth_reply_any c_reply;	/* replies are handed to callbacks
					 * from this aligned copy */
};

static void authc_connect(struct authc *c);

/* 1 if every string of a reply that carries them has its NUL. */
static int
user_ok(const struct auth_user *u)
{
	if (!memchr(u->au_uid, '\0', sizeof(u->au_uid)) ||
	    !memchr(u->au_name, '\0', sizeof(u->au_name)))
		return 0;
	for (size_t i = 0; i < AUTH_LINKS_MAX; i++)
		if (!memchr(u->au_links[i], '\0', AUTH_UID_MAX))
			return 0;
	return 1;
}

static int
audit_entry_ok(const struct audit_entry *e)
{
	return memchr(e->ae_actor, '\0', sizeof(e->ae_actor)) &&
	    memchr(e->ae_action, '\0', sizeof(e->ae_action)) &&
	    memchr(e->ae_target, '\0', sizeof(e->ae_target)) &&
	    memchr(e->ae_result, '\0', sizeof(e->ae_result)) &&
	    memchr(e->ae_client, '\0', sizeof(e->ae_client)) &&
	    memchr(e->ae_agent, '\0', sizeof(e->ae_agent));
}

static int
reply_ok(uint32_t type, const union auth_reply_any *r)
{
	switch (type) {
	case AUTH_LOGIN_R: return user_ok(&r->login.alr_user);
	case AUTH_SESSION_R: return user_ok(&r->session.asr_user);
	case AUTH_USER_R: return user_ok(&r->user.aur_user);
	case AUTH_USER_PW_R:
		return user_ok(&r->pw.aupr_user) &&
		    memchr(r->pw.aupr_initial_password, '\0',
		    AUTH_INITIAL_PW_MAX) != NULL;
	case AUTH_USER_LIST_R:
		if (r->list.aulr_count > AUTH_LIST_MAX)
			return 0;
		for (uint32_t i = 0; i < r->list.aulr_count; i++)
			if (!user_ok(&r->list.aulr_users[i]))
				return 0;
		return 1;
	case AUTH_REVOKE:
		return memchr(r->revoke.ar_uid, '\0', AUTH_UID_MAX) != NULL;
	case AUTH_AUDIT_R:
		if (r->audit.aar_count > AUTH_AUDIT_PAGE_MAX)
			return 0;
		for (uint32_t i = 0; i < r->audit.aar_count; i++)
			if (!audit_entry_ok(&r->audit.aar_entries[i]))
				return 0;
		return 1;
	default:
		return 1;
	}
}

static void
timer_arm(struct authc *c)
{
	struct itimerspec its = { .it_value = {
	    .tv_sec = AUTHC_RECONNECT_MS / 1000,
	    .tv_nsec = (AUTHC_RECONNECT_MS % 1000) * 1000000L } };

	timerfd_settime(c->c_timer_fd, 0, &its, NULL);
}

/* Auth went away: every pending caller hears NULL; try again later. */
static void
authc_disconnect(struct authc *c, const char *why)
{
	if (c->c_fd >= 0) {
		log_warn("auth client: lost the auth process (%s); "
		    "reconnecting every %d ms", why, AUTHC_RECONNECT_MS);
		loop_del(c->c_loop, c->c_fd);
		close(c->c_fd);
		c->c_fd = -1;
	}
	c->c_inlen = c->c_outlen = 0;
	for (size_t i = 0; i < AUTHC_MAX_PENDING && c->c_npending > 0; i++) {
		struct authc_pending p = c->c_pending[i];

		if (p.p_id == 0)
			continue;
		memset(&c->c_pending[i], 0, sizeof(c->c_pending[i]));
		c->c_npending--;
		p.p_fn(p.p_arg, 0, NULL);
	}
	timer_arm(c);
}

static void
authc_flush(struct authc *c)
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
			authc_disconnect(c, strerror(errno));
			return;
		}
		off += (size_t)n;
	}
	memmove(c->c_out, c->c_out + off, c->c_outlen - off);
	c->c_outlen -= off;
	loop_mod(c->c_loop, c->c_fd, LOOP_READ |
	    (c->c_outlen > 0 ? LOOP_WRITE : 0));
}

/* One whole message at c_in: a reply to a pending call or a push. */
static void
authc_deliver(struct authc *c, const struct auth_hdr *h)
{
	struct authc_pending p, *slot;

	memcpy(&c->c_reply, c->c_in + sizeof(*h), h->ah_len);
	if (!reply_ok(h->ah_type, &c->c_reply))
		fatalx("auth client: invalid %u from auth", h->ah_type);
	if (h->ah_type == AUTH_REVOKE) {
		if (h->ah_id != 0)
			fatalx("auth client: AUTH_REVOKE with an id");
		if (c->c_on_revoke != NULL)
			c->c_on_revoke(c->c_revoke_arg, &c->c_reply.revoke);
		return;
	}
	slot = &c->c_pending[h->ah_id % AUTHC_MAX_PENDING];
	if (h->ah_id == 0 || slot->p_id != h->ah_id ||
	    slot->p_reply_type != h->ah_type)
		fatalx("auth client: unexpected reply type %u id %u from auth",
		    h->ah_type, h->ah_id);
	p = *slot;
	memset(slot, 0, sizeof(*slot));
	c->c_npending--;
	p.p_fn(p.p_arg, h->ah_type, &c->c_reply);
}

static void
authc_parse(struct authc *c)
{
	struct auth_hdr h;

	while (c->c_fd >= 0 && c->c_inlen >= sizeof(h)) {
		size_t used;

		memcpy(&h, c->c_in, sizeof(h));
		if (h.ah_type >= AUTH_MSG_TYPE_MAX || auth_is_request(h.ah_type)
		    || h.ah_len != auth_msg_len(h.ah_type))
			fatalx("auth client: invalid message type %u length %u "
			    "from auth", h.ah_type, h.ah_len);
		used = sizeof(h) + h.ah_len;
		if (c->c_inlen < used)
			return;
		authc_deliver(c, &h);
		if (c->c_fd < 0)
			return;
		memmove(c->c_in, c->c_in + used, c->c_inlen - used);
		c->c_inlen -= used;
	}
}

static void
authc_io(struct loop *l, int fd, int events, void *arg)
{
	struct authc *c = arg;
	ssize_t n;

	(void)l;
	(void)fd;
	if (events & LOOP_WRITE)
		authc_flush(c);
	if (c->c_fd < 0 || !(events & LOOP_READ))
		return;
	n = recv(c->c_fd, c->c_in + c->c_inlen, AUTHC_INBUF - c->c_inlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		authc_disconnect(c, n == 0 ? "closed" : strerror(errno));
		return;
	}
	c->c_inlen += (size_t)n;
	authc_parse(c);
}

static void
timer_io(struct loop *l, int fd, int events, void *arg)
{
	struct authc *c = arg;
	uint64_t n;

	(void)l;
	(void)events;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	if (c->c_fd < 0)
		authc_connect(c);
}

static void
authc_connect(struct authc *c)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&c->c_addr,
	    sizeof(c->c_addr)) == 0 &&
	    loop_add(c->c_loop, fd, LOOP_READ, authc_io, c) == 0) {
		c->c_fd = fd;
		c->c_warned = 0;
		log_info("auth client: connected to %s", c->c_addr.sun_path);
		return;
	}
	if (!c->c_warned)
		log_warn("auth client: cannot connect to %s: %s; retrying "
		    "every %d ms", c->c_addr.sun_path, strerror(errno),
		    AUTHC_RECONNECT_MS);
	c->c_warned = 1;
	if (fd >= 0)
		close(fd);
	timer_arm(c);
}

int
authc_new(struct authc **out, struct loop *l, const char *sock_path,
    authc_revoke_fn *on_revoke, void *revoke_arg)
{
	struct authc *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CB_ENOMEM;
	c->c_loop = l;
	c->c_fd = -1;
	c->c_on_revoke = on_revoke;
	c->c_revoke_arg = revoke_arg;
	c->c_addr.sun_family = AF_UNIX;
	c->c_pending = calloc(AUTHC_MAX_PENDING, sizeof(*c->c_pending));
	c->c_in = malloc(AUTHC_INBUF);
	c->c_timer_fd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->c_pending == NULL || c->c_in == NULL || c->c_timer_fd < 0 ||
	    cb_strlcpy(c->c_addr.sun_path, sock_path,
	    sizeof(c->c_addr.sun_path)) != 0 ||
	    loop_add(l, c->c_timer_fd, LOOP_READ, timer_io, c) != 0) {
		authc_free(c);
		return CB_ENOMEM;
	}
	authc_connect(c);
	*out = c;
	return 0;
}

void
authc_set_revoke_arg(struct authc *c, void *revoke_arg)
{
	c->c_revoke_arg = revoke_arg;
}

/* Pending callbacks are not called: the caller is tearing down. */
void
authc_free(struct authc *c)
{
	if (c == NULL)
		return;
	if (c->c_fd >= 0) {
		loop_del(c->c_loop, c->c_fd);
		close(c->c_fd);
	}
	if (c->c_timer_fd >= 0) {
		loop_del(c->c_loop, c->c_timer_fd);
		close(c->c_timer_fd);
	}
	free(c->c_pending);
	if (c->c_in != NULL)
		cb_wipe(c->c_in, AUTHC_INBUF);
	free(c->c_in);
	if (c->c_out != NULL)
		cb_wipe(c->c_out, c->c_outcap);
	free(c->c_out);
	free(c);
}

static int
authc_queue(struct authc *c, uint32_t type, uint32_t id, const void *payload,
    size_t len)
{
	struct auth_hdr h = { .ah_type = type, .ah_len = (uint32_t)len,
	    .ah_id = id };
	size_t need = c->c_outlen + sizeof(h) + len;

	if (need > AUTHC_OUTBUF_MAX)
		return CB_EBUSY;
	if (need > c->c_outcap) {
		size_t cap = need < 16384 ? 16384 : need * 2;
		uint8_t *p;

		if (cap > AUTHC_OUTBUF_MAX)
			cap = AUTHC_OUTBUF_MAX;
		if ((p = realloc(c->c_out, cap)) == NULL)
			return CB_ENOMEM;
		c->c_out = p;
		c->c_outcap = cap;
	}
	memcpy(c->c_out + c->c_outlen, &h, sizeof(h));
	memcpy(c->c_out + c->c_outlen + sizeof(h), payload, len);
	c->c_outlen = need;
	return 0;
}

static int
request_ok(uint32_t type, size_t len)
{
	return type < AUTH_MSG_TYPE_MAX && auth_is_request(type) &&
	    len == auth_msg_len(type);
}

int
authc_call(struct authc *c, uint32_t type, const void *payload, size_t len,
    authc_reply_fn *fn, void *arg)
{
	struct authc_pending *slot = NULL;
	int rc;

	if (!request_ok(type, len) || auth_reply_type(type) == 0 || !fn)
		return CB_EINVAL;
	if (c->c_fd < 0)
		return CB_EUNAVAIL;
	if (c->c_npending >= AUTHC_MAX_PENDING)
		return CB_EBUSY;
	for (size_t i = 0; i < AUTHC_MAX_PENDING && slot == NULL; i++) {
		if (++c->c_next_id == 0)
			c->c_next_id = 1;
		if (c->c_pending[c->c_next_id % AUTHC_MAX_PENDING].p_id == 0)
			slot = &c->c_pending[c->c_next_id % AUTHC_MAX_PENDING];
	}
	if (slot == NULL)
		return CB_EBUSY;
	if ((rc = authc_queue(c, type, c->c_next_id, payload, len)) != 0)
		return rc;
	*slot = (struct authc_pending){ c->c_next_id, auth_reply_type(type),
	    fn, arg };
	c->c_npending++;
	/* Sent from the loop, so fn is never called before we return. */
	loop_mod(c->c_loop, c->c_fd, LOOP_READ | LOOP_WRITE);
	return 0;
}

int
authc_send(struct authc *c, uint32_t type, const void *payload, size_t len)
{
	int rc;

	if (!request_ok(type, len) || auth_reply_type(type) != 0)
		return CB_EINVAL;
	if (c->c_fd < 0)
		return CB_EUNAVAIL;
	if ((rc = authc_queue(c, type, 0, payload, len)) != 0)
		return rc;
	loop_mod(c->c_loop, c->c_fd, LOOP_READ | LOOP_WRITE);
	return 0;
}

/* --- blocking client for console tools --- */

static int
sync_io(int fd, void *buf, size_t len, int writing)
{
	size_t off = 0;

	while (off < len) {
		struct pollfd pfd = { .fd = fd,
		    .events = writing ? POLLOUT : POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, AUTHC_SYNC_TIMEOUT_MS) == 0)
			return CB_EUNAVAIL;	/* auth hangs */
		n = writing ? send(fd, (uint8_t *)buf + off, len - off,
		    MSG_NOSIGNAL) : recv(fd, (uint8_t *)buf + off, len - off, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return CB_EUNAVAIL;
		off += (size_t)n;
	}
	return 0;
}

static int
sync_connect(const char *sock_path, int *out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (cb_strlcpy(sun.sun_path, sock_path, sizeof(sun.sun_path)) != 0)
		return CB_EINVAL;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return CB_EIO;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return CB_EUNAVAIL;
	}
	*out = fd;
	return 0;
}

/* Read messages until the reply with id; pushes are skipped. */
static int
sync_reply(int fd, uint32_t id, uint32_t reply_type, void *reply_buf,
    size_t reply_size, uint8_t *scratch)
{
	struct auth_hdr h;
	int rc;

	for (int i = 0; i < AUTHC_MAX_PENDING; i++) {
		if ((rc = sync_io(fd, &h, sizeof(h), 0)) != 0)
			return rc;
		if (h.ah_type >= AUTH_MSG_TYPE_MAX ||
		    auth_is_request(h.ah_type) ||
		    h.ah_len != auth_msg_len(h.ah_type))
			return CB_EPROTO;
		if ((rc = sync_io(fd, scratch, h.ah_len, 0)) != 0)
			return rc;
		if (h.ah_type == AUTH_REVOKE && h.ah_id == 0)
			continue;
		if (h.ah_id != id || h.ah_type != reply_type ||
		    h.ah_len != reply_size)
			return CB_EPROTO;
		memcpy(reply_buf, scratch, reply_size);
		return reply_ok(reply_type, reply_buf) ? 0 : CB_EPROTO;
	}
	return CB_EPROTO;
}

int
authc_call_sync(const char *sock_path, uint32_t type, const void *payload,
    size_t len, uint32_t reply_type, void *reply_buf, size_t reply_size)
{
	struct auth_hdr h = { .ah_type = type, .ah_len = (uint32_t)len,
	    .ah_id = 1 };
	uint8_t *scratch;
	int fd, rc;

	if (!request_ok(type, len) || auth_reply_type(type) != reply_type ||
	    reply_size != auth_msg_len(reply_type))
		return CB_EINVAL;
	if ((scratch = malloc(AUTH_MSG_MAX)) == NULL)
		return CB_ENOMEM;
	if ((rc = sync_connect(sock_path, &fd)) == 0) {
		if ((rc = sync_io(fd, &h, sizeof(h), 1)) == 0 &&
		    (rc = sync_io(fd, (void *)payload, len, 1)) == 0)
			rc = sync_reply(fd, h.ah_id, reply_type, reply_buf,
			    reply_size, scratch);
		close(fd);
	}
	cb_wipe(scratch, AUTH_MSG_MAX);
	free(scratch);
	return rc;
}
