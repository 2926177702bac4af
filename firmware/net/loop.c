/*
 * loop.c: the event loop, a thin wrapper over epoll (level-triggered).
 *
 * Registrations live in an array indexed by file descriptor, grown on
 * demand, so that an event for a descriptor removed earlier in the same
 * epoll_wait batch finds an empty slot and is dropped instead of calling
 * into freed memory (the owner may free its state in loop_del's caller).
 */
#include <sys/epoll.h>

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cb.h"
#include "net/loop.h"

#define LOOP_MAX_FDS (1 << 20)	/* bound on descriptor numbers we index */
#define LOOP_MIN_SLOTS 64
#define LOOP_MAX_WAIT_MS 1000	/* wake at least this often */

struct loop_slot {
	loop_io_fn *ls_fn;	/* NULL when the slot is free */
	void *ls_arg;
	int ls_events;
};

struct loop_tick_entry {
	loop_tick_fn *lt_fn;
	void *lt_arg;
	int lt_interval_ms;
	int64_t lt_next_ms;
};

struct loop {
	int l_epfd;
	int l_stop;
	struct loop_slot *l_slots;
	size_t l_nslots;
	struct loop_tick_entry l_ticks[LOOP_MAX_TICKS];
	int l_nticks;
};

int
loop_new(struct loop **out)
{
	struct loop *l;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return CB_ENOMEM;
	l->l_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->l_epfd == -1) {
		log_err("loop: epoll_create1: %s", strerror(errno));
		free(l);
		return CB_EIO;
	}
	*out = l;
	return CB_OK;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	close(l->l_epfd);
	free(l->l_slots);
	free(l);
}

static int
loop_grow(struct loop *l, int fd)
{
	struct loop_slot *slots;
	size_t n = l->l_nslots ? l->l_nslots : LOOP_MIN_SLOTS;

	if (fd >= LOOP_MAX_FDS)
		return CB_ETOOBIG;
	while (n <= (size_t)fd)
		n *= 2;
	if ((slots = realloc(l->l_slots, n * sizeof(*slots))) == NULL)
		return CB_ENOMEM;
	memset(slots + l->l_nslots, 0, (n - l->l_nslots) * sizeof(*slots));
	l->l_slots = slots;
	l->l_nslots = n;
	return CB_OK;
}

static uint32_t
loop_epoll_bits(int events)
{
	uint32_t ev = 0;

	if (events & LOOP_READ)
		ev |= EPOLLIN | EPOLLRDHUP;
	if (events & LOOP_WRITE)
		ev |= EPOLLOUT;
	return ev;
}

static int
loop_ctl(struct loop *l, int op, int fd, int events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = loop_epoll_bits(events);
	ev.data.fd = fd;
	if (epoll_ctl(l->l_epfd, op, fd, &ev) == -1) {
		log_err("loop: epoll_ctl(fd %d): %s", fd, strerror(errno));
		return errno == ENOMEM || errno == ENOSPC ? CB_ENOMEM : CB_EIO;
	}
	return CB_OK;
}

int
loop_add(struct loop *l, int fd, int events, loop_io_fn *fn, void *arg)
{
	int rc;

	assert(fd >= 0 && fn != NULL);
	if ((size_t)fd >= l->l_nslots && (rc = loop_grow(l, fd)) != CB_OK)
		return rc;
	if (l->l_slots[fd].ls_fn != NULL)
		return CB_EEXIST;
	if ((rc = loop_ctl(l, EPOLL_CTL_ADD, fd, events)) != CB_OK)
		return rc;
	l->l_slots[fd] = (struct loop_slot){ fn, arg, events };
	return CB_OK;
}

int
loop_mod(struct loop *l, int fd, int events)
{
	int rc;

	if (fd < 0 || (size_t)fd >= l->l_nslots || l->l_slots[fd].ls_fn == NULL)
		return CB_ENOTFOUND;
	if (l->l_slots[fd].ls_events == events)
		return CB_OK;	/* the common case: save a system call */
	if ((rc = loop_ctl(l, EPOLL_CTL_MOD, fd, events)) != CB_OK)
		return rc;
	l->l_slots[fd].ls_events = events;
	return CB_OK;
}

void
loop_del(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->l_nslots || l->l_slots[fd].ls_fn == NULL)
		return;
	/* Failure is harmless: closing the descriptor removes it anyway. */
	(void)epoll_ctl(l->l_epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&l->l_slots[fd], 0, sizeof(l->l_slots[fd]));
}

int
loop_tick(struct loop *l, int interval_ms, loop_tick_fn *fn, void *arg)
{
	assert(interval_ms > 0 && fn != NULL);
	if (l->l_nticks >= LOOP_MAX_TICKS)
		return CB_ETOOBIG;
	l->l_ticks[l->l_nticks++] = (struct loop_tick_entry){
		fn, arg, interval_ms, cb_mono_ms() + interval_ms };
	return CB_OK;
}

void
loop_tick_del(struct loop *l, loop_tick_fn *fn, void *arg)
{
	for (int i = 0; i < l->l_nticks; i++) {
		if (l->l_ticks[i].lt_fn != fn || l->l_ticks[i].lt_arg != arg)
			continue;
		memmove(&l->l_ticks[i], &l->l_ticks[i + 1],
		    (size_t)(l->l_nticks - i - 1) * sizeof(l->l_ticks[0]));
		l->l_nticks--;
		return;
	}
}

void
loop_stop(struct loop *l)
{
	l->l_stop = 1;
}

/* Milliseconds until the next tick is due, for epoll_wait. */
static int
loop_wait_ms(const struct loop *l, int64_t now)
{
	int64_t wait = LOOP_MAX_WAIT_MS;

	for (int i = 0; i < l->l_nticks; i++) {
		int64_t d = l->l_ticks[i].lt_next_ms - now;
		if (d < wait)
			wait = d < 0 ? 0 : d;
	}
	return (int)wait;
}

static void
loop_run_ticks(struct loop *l)
{
	int64_t now = cb_mono_ms();

	for (int i = 0; i < l->l_nticks && !l->l_stop; i++) {
		struct loop_tick_entry *t = &l->l_ticks[i];
		if (now < t->lt_next_ms)
			continue;
		/* Skip missed ticks rather than run them in a burst. */
		t->lt_next_ms = now + t->lt_interval_ms;
		t->lt_fn(l, now, t->lt_arg);
	}
}

static void
loop_dispatch(struct loop *l, const struct epoll_event *ev)
{
	int fd = ev->data.fd, events = 0;
	struct loop_slot *s;

	/* The slot may have been emptied by an earlier callback. */
	if (fd < 0 || (size_t)fd >= l->l_nslots || l->l_slots[fd].ls_fn == NULL)
		return;
	s = &l->l_slots[fd];
	if (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		events |= LOOP_READ;
	if (ev->events & EPOLLOUT)
		events |= LOOP_WRITE;
	/* Hang-up while the owner waits only to write: let it see it. */
	if ((ev->events & (EPOLLHUP | EPOLLERR)) && (s->ls_events & LOOP_WRITE))
		events |= LOOP_WRITE;
	s->ls_fn(l, fd, events, s->ls_arg);
}

int
loop_run(struct loop *l)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];

	l->l_stop = 0;
	while (!l->l_stop) {
		int n = epoll_wait(l->l_epfd, evs, LOOP_MAX_EVENTS,
		    loop_wait_ms(l, cb_mono_ms()));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("loop: epoll_wait: %s", strerror(errno));
			return CB_EIO;
		}
		for (int i = 0; i < n && !l->l_stop; i++)
			loop_dispatch(l, &evs[i]);
		loop_run_ticks(l);
	}
	return CB_OK;
}
