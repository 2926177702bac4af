/*
 * dns.h: the DNS message format (RFC 1035) as Multicast DNS uses it
 * (RFC 6762): a strict, bounded parser for packets from the LAN and a
 * small writer for our own answers. Pure: no sockets, no clock.
 *
 * Names come out in text form, lower-cased (ASCII), labels joined by
 * dots; a byte that could be mistaken for a separator or is not printable
 * ASCII ('.', '\\', controls, space, >= 0x7f) is written as \DDD, so that a
 * name with odd labels never compares equal to one of ours.
 */
#ifndef DNS_H
#define DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_PACKET_MAX		9000	/* RFC 6762 17: an mDNS packet */
#define DNS_HEADER_LEN		12
#define DNS_NAME_WIRE_MAX	255	/* RFC 1035 3.1 */
#define DNS_LABEL_MAX		63
#define DNS_NAME_TEXT_MAX	(DNS_NAME_WIRE_MAX * 4 + 1) /* all \DDD */
#define DNS_PTR_HOPS_MAX	32	/* compression pointers per name */
#define DNS_QUESTIONS_MAX	32	/* questions examined per packet */
#define DNS_RRS_MAX		64	/* records examined per packet */

#define DNS_TYPE_A	1
#define DNS_TYPE_PTR	12
#define DNS_TYPE_AAAA	28
#define DNS_TYPE_NSEC	47
#define DNS_TYPE_ANY	255
#define DNS_CLASS_IN	1
#define DNS_CLASS_ANY	255
#define DNS_CLASS_TOP	0x8000	/* question: unicast wanted; rr: flush */

#define DNS_FLAG_QR	0x8000	/* a response */
#define DNS_FLAG_AA	0x0400
#define DNS_FLAG_TC	0x0200
#define DNS_OPCODE(f)	(((f) >> 11) & 0xf)
#define DNS_RCODE(f)	((f) & 0xf)

enum dns_section { DNS_SEC_ANSWER = 1, DNS_SEC_AUTHORITY, DNS_SEC_ADDITIONAL };

struct dns_question {
	char q_name[DNS_NAME_TEXT_MAX];
	uint16_t q_type;
	uint16_t q_class;	/* without DNS_CLASS_TOP */
	int q_unicast;		/* the QU bit (RFC 6762 5.4) */
};

struct dns_rr {
	char rr_name[DNS_NAME_TEXT_MAX];
	uint16_t rr_type;
	uint16_t rr_class;	/* without DNS_CLASS_TOP */
	int rr_flush;		/* the cache-flush bit (RFC 6762 10.2) */
	uint32_t rr_ttl;
	uint16_t rr_rdlen;
	const uint8_t *rr_rdata;	/* into the packet */
	enum dns_section rr_section;
};

/* A parsed message. Counts past the *_MAX limits are refused (CB_ETOOBIG)
 * rather than half-read: a packet is understood whole or not at all. */
struct dns_msg {
	uint16_t dm_id;
	uint16_t dm_flags;
	size_t dm_nq, dm_nrr;
	size_t dm_nan, dm_nns, dm_nar;	/* records per section */
	struct dns_question dm_q[DNS_QUESTIONS_MAX];
	struct dns_rr dm_rr[DNS_RRS_MAX];
};

/*
 * Parse pkt[0..len). CB_OK, CB_EINVAL (malformed: short, a pointer
 * forward or in a loop, a name too long, rdata past the end, bytes left
 * over) or CB_ETOOBIG (more questions or records than we examine).
 */
int dns_parse(const uint8_t *pkt, size_t len, struct dns_msg *m);

/* Read the name at *off in pkt; *off moves past it. Used for rdata that
 * holds a name (PTR). */
int dns_read_name(const uint8_t *pkt, size_t len, size_t *off, char *out,
    size_t out_size);

/* 1 when two text names are equal, ignoring ASCII case. */
int dns_name_eq(const char *a, const char *b);

/*
 * The writer: a bounded buffer; any write past cap sets dw_err and the
 * packet is dropped by the caller. The first time a name is written its
 * offset is kept, and later writes of the same name are a pointer to it.
 */
#define DNS_WRITER_NAMES	4
struct dns_writer {
	uint8_t *dw_buf;
	size_t dw_len, dw_cap;
	int dw_err;
	size_t dw_nnames;
	struct { const char *n; uint16_t off; } dw_names[DNS_WRITER_NAMES];
};

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap);
void dns_put_header(struct dns_writer *w, uint16_t id, uint16_t flags,
    uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar);
/* name: text form of plain labels ("box.local"); no escapes. */
void dns_put_name(struct dns_writer *w, const char *name);
void dns_put_question(struct dns_writer *w, const char *name, uint16_t type,
    uint16_t klass);
void dns_put_rr(struct dns_writer *w, const char *name, uint16_t type,
    uint16_t klass, uint32_t ttl, const void *rdata, uint16_t rdlen);
/* A record whose rdata is a name (PTR). */
void dns_put_rr_name(struct dns_writer *w, const char *name, uint16_t type,
    uint16_t klass, uint32_t ttl, const char *target);

#endif
