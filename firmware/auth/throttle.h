/*
 * throttle.h: login throttling, per account and per client address, in
 * bounded in-memory tables. Pure logic: the caller passes the time, so the
 * tests can run hours of attempts in a microsecond.
 *
 * Rule: the first THROTTLE_FREE_FAILURES failures (account) cost nothing;
 * each further one makes the next attempt wait, 1 s after the first and
 * doubling up to THROTTLE_DELAY_MAX_MS. A key that has not failed for
 * THROTTLE_WINDOW_MS starts afresh. A success resets the account, never
 * the address (or one valid account would launder an attacker's address).
 * Addresses get THROTTLE_ADDR_FREE_FAILURES: a classroom of children
 * mistyping behind one NAT address must not lock each other out.
 *
 * The tables are bounded; when one is full, the entry evicted is the least
 * recently used one that is not holding anyone back, else the one whose
 * wait ends first.
 */
#ifndef THROTTLE_H
#define THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THROTTLE_FREE_FAILURES		5
#define THROTTLE_ADDR_FREE_FAILURES	20
#define THROTTLE_DELAY_MIN_MS		1000LL
#define THROTTLE_DELAY_MAX_MS		(15LL * 60 * 1000)
#define THROTTLE_WINDOW_MS		(60LL * 60 * 1000)
#define THROTTLE_ACCOUNTS_MAX		4096
#define THROTTLE_ADDRS_MAX		4096
#define THROTTLE_KEY_MAX		64	/* AUTH_UID_MAX, AUTH_ADDR_MAX */

struct throttle;

/* Tables of n_accounts and n_addrs entries (0 = the defaults above). */
int throttle_new(struct throttle **out, size_t n_accounts, size_t n_addrs);
void throttle_free(struct throttle *t);

/* 0 if uid (and addr, which may be NULL or "") may try now; else
 * CB_ETHROTTLED and *retry_after_s = seconds to wait (at least 1). */
int throttle_check(struct throttle *t, const char *uid, const char *addr,
    int64_t now_ms, uint32_t *retry_after_s);
/* A wrong password for uid from addr. */
void throttle_failure(struct throttle *t, const char *uid, const char *addr,
    int64_t now_ms);
/* A right password: forget uid's failures. */
void throttle_success(struct throttle *t, const char *uid, int64_t now_ms);

/* Entries in use, for tests and status. */
size_t throttle_count(const struct throttle *t);

#endif
