/*
 * loop.h: the event loop (epoll). The rest of classbox never sees epoll:
 * it registers a file descriptor with a callback, and a periodic tick.
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdint.h>

#define LOOP_MAX_EVENTS 256	/* events taken per epoll_wait */

enum { LOOP_READ = 1, LOOP_WRITE = 2 };

struct loop;
/* events: LOOP_READ | LOOP_WRITE, plus LOOP_READ on hang-up or error so
 * that the owner's read fails and it cleans up. */
typedef void loop_io_fn(struct loop *l, int fd, int events, void *arg);
typedef void loop_tick_fn(struct loop *l, int64_t mono_ms, void *arg);

int loop_new(struct loop **out);
void loop_free(struct loop *l);
int loop_add(struct loop *l, int fd, int events, loop_io_fn *fn, void *arg);
int loop_mod(struct loop *l, int fd, int events);
void loop_del(struct loop *l, int fd);
/* Call fn about every interval_ms (for timeouts and housekeeping). At most
 * LOOP_MAX_TICKS ticks. */
#define LOOP_MAX_TICKS 8
int loop_tick(struct loop *l, int interval_ms, loop_tick_fn *fn, void *arg);
/* Remove the tick registered with fn and arg (before freeing arg). */
void loop_tick_del(struct loop *l, loop_tick_fn *fn, void *arg);
/* Run until loop_stop; returns 0 or a CB_E* status. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
