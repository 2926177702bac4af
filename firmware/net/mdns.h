/*
 * mdns.h: a Multicast DNS responder for one host name (RFC 6762), so that
 * tablets can open https://NAME.local. It answers A and AAAA queries for
 * NAME.local and PTR queries for the reverse names of its addresses;
 * probes before it claims the name and takes NAME-2, NAME-3 ... when
 * another host holds it; announces; defends the name afterwards; answers
 * multicast (QM), unicast-response (QU) and legacy unicast queries, with
 * known-answer suppression and a per-record rate limit.
 *
 * Pure state machine: packets in, packets out, the clock passed in. The
 * applet (firmware/cmd/mdns.c) owns the sockets.
 */
#ifndef MDNS_H
#define MDNS_H

#include <stddef.h>
#include <stdint.h>

#include "net/dns.h"

#define MDNS_PORT		5353
#define MDNS_TTL		120	/* host records (RFC 6762 10) */
#define MDNS_LEGACY_TTL		10	/* to legacy unicast queries (6.7) */
#define MDNS_PROBE_WAIT_MS	250	/* between probes (8.1) */
#define MDNS_PROBES		3
#define MDNS_ANNOUNCE_WAIT_MS	1000	/* between announcements (8.3) */
#define MDNS_ANNOUNCES		2
#define MDNS_TIEBREAK_WAIT_MS	1000	/* lost a simultaneous probe (8.2) */
#define MDNS_RATE_MS		1000	/* a record multicast at most once a
					 * second (6) */
#define MDNS_DEFEND_RATE_MS	250	/* ... except to defend it (6) */
#define MDNS_CONFLICTS_MAX	15	/* conflicts in MDNS_CONFLICT_WINDOW */
#define MDNS_CONFLICT_WINDOW_MS	10000
#define MDNS_CONFLICT_PAUSE_MS	5000	/* then wait before probing (8.1) */
#define MDNS_SEND_BURST		20	/* packets sent, token bucket ... */
#define MDNS_SEND_PER_S		20	/* ... refilled at this rate */
#define MDNS_ADDRS_MAX		8	/* addresses per family */
#define MDNS_LABEL_MAX		63
#define MDNS_NAME_MAX		(MDNS_LABEL_MAX + sizeof(".local"))
#define MDNS_OUT_MAX		1400	/* our packets fit one Ethernet frame */
#define MDNS_SUFFIX_MAX		999	/* NAME-2 .. NAME-999 */

enum mdns_state { MDNS_PROBING, MDNS_ANNOUNCING, MDNS_CLAIMED, MDNS_PAUSED };

struct mdns_addrs {
	size_t ma_n4, ma_n6;
	uint8_t ma_v4[MDNS_ADDRS_MAX][4];
	uint8_t ma_v6[MDNS_ADDRS_MAX][16];
};

struct mdns {
	char m_base[MDNS_LABEL_MAX + 1];	/* the configured name */
	char m_label[MDNS_LABEL_MAX + 1];	/* the name we probe or hold */
	char m_fqdn[MDNS_NAME_MAX];		/* m_label + ".local" */
	unsigned m_suffix;			/* 0, or 2.. after conflicts */
	enum mdns_state m_state;
	int m_step;				/* probe or announcement sent */
	int64_t m_next_ms;			/* next timer action */
	struct mdns_addrs m_addrs;
	int64_t m_last_mc_a, m_last_mc_aaaa;	/* last multicast of each */
	int m_defer_a, m_defer_aaaa;		/* asked for within the 1 s */
	int64_t m_defer_ms;			/* ... and multicast then */
	int64_t m_conflict_ms[MDNS_CONFLICTS_MAX];
	size_t m_nconflicts;
	double m_tokens;
	int64_t m_tokens_ms;
	uint32_t m_rand;			/* xorshift, for probe delays */
	uint64_t m_answered, m_conflicts;	/* counters for logs */
	struct dns_msg m_msg;			/* the packet being read (100
						 * KB: kept off the stack) */
};

/* Where a received packet came from. */
struct mdns_src {
	uint16_t ms_port;	/* source UDP port */
	int ms_on_link;		/* the source address is on our link */
	int ms_v6;		/* arrived over IPv6 */
};

/* A packet to send: to the group, or back to the sender's address
 * (ms_port of the query, or 5353 for a QU query answered by unicast). */
struct mdns_out {
	uint8_t mo_buf[MDNS_OUT_MAX];
	size_t mo_len;			/* 0: nothing to send */
	int mo_unicast;
	uint16_t mo_port;		/* unicast: the destination port */
};

/* 1 when name is a usable host label: 1..63 of [a-z0-9-], not starting
 * or ending with '-'. */
int mdns_label_ok(const char *name);

/* Start probing for name (a label: "classbox-1a2b") with addrs. seed
 * varies the random delays. CB_EINVAL for a bad label. */
int mdns_init(struct mdns *m, const char *name, const struct mdns_addrs *a,
    int64_t now_ms, uint32_t seed);

/* The addresses changed: announce the new ones (or start over when not
 * yet claimed). */
void mdns_set_addrs(struct mdns *m, const struct mdns_addrs *a,
    int64_t now_ms);

/* The time of the next mdns_tick (monotonic ms). */
int64_t mdns_next(const struct mdns *m);

/* Timers: probes, announcements, and answers held back by the once-a-
 * second rule. Fills out (mo_len 0: nothing). */
void mdns_tick(struct mdns *m, int64_t now_ms, struct mdns_out *out);

/* A received packet: a query to answer (out) or a response that may be a
 * conflict (the state changes; out stays empty). */
void mdns_input(struct mdns *m, const uint8_t *pkt, size_t len,
    const struct mdns_src *src, int64_t now_ms, struct mdns_out *out);

/* "Goodbye" (TTL 0) for our records, to send when stopping. */
void mdns_goodbye(struct mdns *m, struct mdns_out *out);

/* The reverse name of an address ("4.3.2.1.in-addr.arpa",
 * "...ip6.arpa"). */
void mdns_reverse_v4(const uint8_t a[4], char *out, size_t size);
void mdns_reverse_v6(const uint8_t a[16], char *out, size_t size);

#endif
