/*
 * dns.c: DNS messages for the mDNS responder. Everything here reads bytes
 * that anyone on the LAN can send, so every length is checked against the
 * packet before it is used and every loop has a bound.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/cb.h"
#include "net/dns.h"

static uint16_t
dns_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
dns_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Append one label's bytes in text form (lower case, odd bytes \DDD). */
static int
dns_label_text(const uint8_t *lab, size_t n, char *out, size_t size,
    size_t *o)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = lab[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c <= ' ' || c >= 0x7f || c == '.' || c == '\\') {
			if (*o + 4 >= size)
				return CB_EINVAL;
			snprintf(out + *o, 5, "\\%03u", c);
			*o += 4;
		} else {
			if (*o + 1 >= size)
				return CB_EINVAL;
			out[(*o)++] = (char)c;
		}
	}
	return CB_OK;
}

/*
 * A name: labels, ended by the root label or a pointer. Pointers must go
 * strictly backwards (so no loop is possible) and at most
 * DNS_PTR_HOPS_MAX of them; the wire length stays within 255 bytes.
 */
int
dns_read_name(const uint8_t *pkt, size_t len, size_t *off, char *out,
    size_t out_size)
{
	size_t p = *off, o = 0, wire = 0, end = 0, lowest = *off;
	int hops = 0;

	if (out_size == 0)
		return CB_EINVAL;
	for (;;) {
		if (p >= len)
			return CB_EINVAL;
		uint8_t b = pkt[p];
		if ((b & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++hops > DNS_PTR_HOPS_MAX)
				return CB_EINVAL;
			size_t to = (size_t)(b & 0x3f) << 8 | pkt[p + 1];
			if (end == 0)
				end = p + 2;
			if (to >= lowest)
				return CB_EINVAL;	/* forward or a loop */
			lowest = p = to;
			continue;
		}
		if (b & 0xc0)
			return CB_EINVAL;	/* 0x40, 0x80: not in use */
		if ((wire += (size_t)b + 1) > DNS_NAME_WIRE_MAX)
			return CB_EINVAL;
		if (b == 0) {
			if (end == 0)
				end = p + 1;
			break;
		}
		if (p + 1 + b > len)
			return CB_EINVAL;
		if (o > 0) {
			if (o + 1 >= out_size)
				return CB_EINVAL;
			out[o++] = '.';
		}
		if (dns_label_text(pkt + p + 1, b, out, out_size, &o) != CB_OK)
			return CB_EINVAL;
		p += (size_t)b + 1;
	}
	out[o] = '\0';
	*off = end;
	return CB_OK;
}

static int
dns_read_question(const uint8_t *pkt, size_t len, size_t *off,
    struct dns_question *q)
{
	if (dns_read_name(pkt, len, off, q->q_name, sizeof(q->q_name)) !=
	    CB_OK || *off + 4 > len)
		return CB_EINVAL;
	q->q_type = dns_u16(pkt + *off);
	q->q_class = dns_u16(pkt + *off + 2) & (uint16_t)~DNS_CLASS_TOP;
	q->q_unicast = (dns_u16(pkt + *off + 2) & DNS_CLASS_TOP) != 0;
	*off += 4;
	return CB_OK;
}

static int
dns_read_rr(const uint8_t *pkt, size_t len, size_t *off, struct dns_rr *rr)
{
	if (dns_read_name(pkt, len, off, rr->rr_name, sizeof(rr->rr_name)) !=
	    CB_OK || *off + 10 > len)
		return CB_EINVAL;
	rr->rr_type = dns_u16(pkt + *off);
	rr->rr_class = dns_u16(pkt + *off + 2) & (uint16_t)~DNS_CLASS_TOP;
	rr->rr_flush = (dns_u16(pkt + *off + 2) & DNS_CLASS_TOP) != 0;
	rr->rr_ttl = dns_u32(pkt + *off + 4);
	rr->rr_rdlen = dns_u16(pkt + *off + 8);
	*off += 10;
	if (rr->rr_rdlen > len - *off)
		return CB_EINVAL;
	rr->rr_rdata = pkt + *off;
	*off += rr->rr_rdlen;
	return CB_OK;
}

int
dns_parse(const uint8_t *pkt, size_t len, struct dns_msg *m)
{
	size_t off = DNS_HEADER_LEN, qd, nrr;
	int rc;

	m->dm_nq = m->dm_nrr = m->dm_nan = m->dm_nns = m->dm_nar = 0;
	if (pkt == NULL || len < DNS_HEADER_LEN || len > DNS_PACKET_MAX)
		return CB_EINVAL;
	m->dm_id = dns_u16(pkt);
	m->dm_flags = dns_u16(pkt + 2);
	qd = dns_u16(pkt + 4);
	m->dm_nan = dns_u16(pkt + 6);
	m->dm_nns = dns_u16(pkt + 8);
	m->dm_nar = dns_u16(pkt + 10);
	nrr = m->dm_nan + m->dm_nns + m->dm_nar;
	if (qd > DNS_QUESTIONS_MAX || nrr > DNS_RRS_MAX)
		return CB_ETOOBIG;
	for (size_t i = 0; i < qd; i++) {
		if ((rc = dns_read_question(pkt, len, &off, &m->dm_q[i])) !=
		    CB_OK)
			return rc;
		m->dm_nq++;
	}
	for (size_t i = 0; i < nrr; i++) {
		struct dns_rr *rr = &m->dm_rr[i];
		if ((rc = dns_read_rr(pkt, len, &off, rr)) != CB_OK)
			return rc;
		rr->rr_section = i < m->dm_nan ? DNS_SEC_ANSWER :
		    i < m->dm_nan + m->dm_nns ? DNS_SEC_AUTHORITY :
		    DNS_SEC_ADDITIONAL;
		m->dm_nrr++;
	}
	return off == len ? CB_OK : CB_EINVAL;
}

int
dns_name_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* ---- writer ------------------------------------------------------- */

void
dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->dw_buf = buf;
	w->dw_cap = cap;
}

static void
dns_put(struct dns_writer *w, const void *p, size_t n)
{
	if (w->dw_err || n > w->dw_cap - w->dw_len) {
		w->dw_err = 1;
		return;
	}
	memcpy(w->dw_buf + w->dw_len, p, n);
	w->dw_len += n;
}

static void
dns_put16(struct dns_writer *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	dns_put(w, b, 2);
}

static void
dns_put32(struct dns_writer *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	dns_put(w, b, 4);
}

void
dns_put_header(struct dns_writer *w, uint16_t id, uint16_t flags,
    uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	dns_put16(w, id);
	dns_put16(w, flags);
	dns_put16(w, qd);
	dns_put16(w, an);
	dns_put16(w, ns);
	dns_put16(w, ar);
}

void
dns_put_name(struct dns_writer *w, const char *name)
{
	size_t start = w->dw_len, total = 0;
	const char *p = name;

	for (size_t i = 0; i < w->dw_nnames; i++)
		if (strcasecmp(w->dw_names[i].n, name) == 0) {
			dns_put16(w, (uint16_t)(0xc000 | w->dw_names[i].off));
			return;
		}
	while (*p != '\0') {
		size_t n = strcspn(p, ".");
		uint8_t b = (uint8_t)n;
		if (n == 0 || n > DNS_LABEL_MAX ||
		    (total += n + 1) >= DNS_NAME_WIRE_MAX) {
			w->dw_err = 1;
			return;
		}
		dns_put(w, &b, 1);
		dns_put(w, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	dns_put(w, "", 1);
	if (!w->dw_err && start < 0x3fff && w->dw_nnames < DNS_WRITER_NAMES) {
		w->dw_names[w->dw_nnames].n = name;
		w->dw_names[w->dw_nnames++].off = (uint16_t)start;
	}
}

void
dns_put_question(struct dns_writer *w, const char *name, uint16_t type,
    uint16_t klass)
{
	dns_put_name(w, name);
	dns_put16(w, type);
	dns_put16(w, klass);
}

void
dns_put_rr(struct dns_writer *w, const char *name, uint16_t type,
    uint16_t klass, uint32_t ttl, const void *rdata, uint16_t rdlen)
{
	dns_put_name(w, name);
	dns_put16(w, type);
	dns_put16(w, klass);
	dns_put32(w, ttl);
	dns_put16(w, rdlen);
	dns_put(w, rdata, rdlen);
}

void
dns_put_rr_name(struct dns_writer *w, const char *name, uint16_t type,
    uint16_t klass, uint32_t ttl, const char *target)
{
	size_t at;

	dns_put_name(w, name);
	dns_put16(w, type);
	dns_put16(w, klass);
	dns_put32(w, ttl);
	at = w->dw_len;
	dns_put16(w, 0);
	dns_put_name(w, target);
	if (!w->dw_err) {
		size_t n = w->dw_len - at - 2;
		w->dw_buf[at] = (uint8_t)(n >> 8);
		w->dw_buf[at + 1] = (uint8_t)n;
	}
}
