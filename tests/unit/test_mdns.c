/*
 * test_mdns.c: the DNS parser (net/dns.c) and the mDNS responder's state
 * machine (net/mdns.c), packets in and out, with a clock we move by hand.
 */
#include <string.h>

#include "base/cb.h"
#include "net/dns.h"
#include "net/mdns.h"
#include "t.h"

static const struct mdns_src on_link = { MDNS_PORT, 1, 0 };

static struct mdns_addrs
addrs1(uint8_t last)
{
	struct mdns_addrs a;

	memset(&a, 0, sizeof(a));
	a.ma_n4 = 1;
	a.ma_v4[0][0] = 10;
	a.ma_v4[0][3] = last;
	return a;
}

/* A query built with our own writer. */
static size_t
query(uint8_t *buf, uint16_t id, const char *name, uint16_t type,
    uint16_t klass)
{
	struct dns_writer w;

	dns_writer_init(&w, buf, 512);
	dns_put_header(&w, id, 0, 1, 0, 0, 0);
	dns_put_question(&w, name, type, klass);
	return w.dw_len;
}

/* Run the timers until the name is claimed; returns packets sent. */
static int
claim(struct mdns *m, int64_t *now)
{
	struct mdns_out out;
	int sent = 0;

	for (int i = 0; i < 20 && m->m_state != MDNS_CLAIMED; i++) {
		*now = mdns_next(m);
		mdns_tick(m, *now, &out);
		sent += out.mo_len > 0;
	}
	return sent;
}

T_TEST(parse_query_and_compression)
{
	static const uint8_t pkt[] = {
		0x12, 0x34, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,
		3, 'B', 'o', 'X', 5, 'l', 'o', 'c', 'a', 'l', 0, 0, 1, 0x80, 1,
		0xc0, 12, 0, 28, 0, 1,
	};
	static struct dns_msg m;

	T_EQ_INT(dns_parse(pkt, sizeof(pkt), &m), CB_OK);
	T_EQ_INT(m.dm_id, 0x1234);
	T_EQ_INT(m.dm_nq, 2);
	T_EQ_STR(m.dm_q[0].q_name, "box.local");
	T_EQ_INT(m.dm_q[0].q_unicast, 1);
	T_EQ_INT(m.dm_q[0].q_class, 1);
	T_EQ_STR(m.dm_q[1].q_name, "box.local");
	T_EQ_INT(m.dm_q[1].q_type, DNS_TYPE_AAAA);
	/* One byte less, one byte more: refused. */
	T_EQ_INT(dns_parse(pkt, sizeof(pkt) - 1, &m), CB_EINVAL);
	uint8_t longer[sizeof(pkt) + 1];
	memcpy(longer, pkt, sizeof(pkt));
	longer[sizeof(pkt)] = 0;
	T_EQ_INT(dns_parse(longer, sizeof(longer), &m), CB_EINVAL);
}

T_TEST(parse_refuses_loops_and_forward_pointers)
{
	static struct dns_msg m;
	/* A pointer to itself, then one pointing forward. */
	uint8_t self[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12,
	    0, 1, 0, 1 };
	uint8_t fwd[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14,
	    0, 0, 1, 0, 1 };
	/* Labels adding up past 255 bytes. */
	uint8_t big[12 + 5 * 64 + 1 + 4];
	size_t o = 12;

	T_EQ_INT(dns_parse(self, sizeof(self), &m), CB_EINVAL);
	T_EQ_INT(dns_parse(fwd, sizeof(fwd), &m), CB_EINVAL);
	memset(big, 0, sizeof(big));
	big[5] = 1;
	for (int i = 0; i < 5; i++) {
		big[o] = 63;
		memset(big + o + 1, 'a', 63);
		o += 64;
	}
	big[o++] = 0;
	T_EQ_INT(dns_parse(big, sizeof(big), &m), CB_EINVAL);
	/* More records than we examine. */
	uint8_t many[12] = { 0, 0, 0x84, 0, 0, 0, 0, 200, 0, 0, 0, 0 };
	T_EQ_INT(dns_parse(many, sizeof(many), &m), CB_ETOOBIG);
}

T_TEST(parse_escapes_odd_labels)
{
	static struct dns_msg m;
	uint8_t pkt[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
	    3, 'a', '.', 'b', 5, 'l', 'o', 'c', 'a', 'l', 0, 0, 1, 0, 1 };

	T_EQ_INT(dns_parse(pkt, sizeof(pkt), &m), CB_OK);
	T_EQ_STR(m.dm_q[0].q_name, "a\\046b.local");
	T_ASSERT(!dns_name_eq(m.dm_q[0].q_name, "a.b.local"));
}

T_TEST(label_rules)
{
	T_ASSERT(mdns_label_ok("classbox-1a2b"));
	T_ASSERT(!mdns_label_ok("Classbox"));
	T_ASSERT(!mdns_label_ok("-x"));
	T_ASSERT(!mdns_label_ok("x-"));
	T_ASSERT(!mdns_label_ok("a.b"));
	T_ASSERT(!mdns_label_ok(""));
}

T_TEST(probes_announces_then_answers)
{
	static struct mdns m;
	static struct dns_msg dm;
	struct mdns_addrs a = addrs1(5);
	struct mdns_out out;
	uint8_t q[512];
	int64_t now = 1000;

	T_EQ_INT(mdns_init(&m, "box", &a, now, 7), CB_OK);
	T_ASSERT(mdns_next(&m) >= now && mdns_next(&m) < now + 250);
	/* Not claimed yet: a query gets no answer. */
	mdns_input(&m, q, query(q, 0, "box.local", DNS_TYPE_A, 1), &on_link,
	    now, &out);
	T_EQ_INT(out.mo_len, 0);
	/* The first probe: a QU question for ANY, our A in authority. */
	now = mdns_next(&m);
	mdns_tick(&m, now, &out);
	T_EQ_INT(dns_parse(out.mo_buf, out.mo_len, &dm), CB_OK);
	T_EQ_INT(dm.dm_q[0].q_type, DNS_TYPE_ANY);
	T_EQ_INT(dm.dm_q[0].q_unicast, 1);
	T_EQ_INT(dm.dm_nns, 1);
	T_EQ_INT(claim(&m, &now), MDNS_PROBES - 1 + MDNS_ANNOUNCES);
	T_EQ_INT(m.m_state, MDNS_CLAIMED);
	/* A QM query right after the announcement: held back (6), not
	 * dropped: the answer is due when the second since the last
	 * multicast is up. */
	mdns_input(&m, q, query(q, 0, "BOX.local", DNS_TYPE_A, 1), &on_link,
	    now + 10, &out);
	T_EQ_INT(out.mo_len, 0);
	T_EQ_INT(mdns_next(&m), now + MDNS_RATE_MS);
	mdns_tick(&m, now + MDNS_RATE_MS - 1, &out);
	T_EQ_INT(out.mo_len, 0);
	now += MDNS_RATE_MS;
	mdns_tick(&m, now, &out);
	/* Then it goes to the group, cache-flush set. */
	T_ASSERT(out.mo_len > 0);
	T_EQ_INT(out.mo_unicast, 0);
	T_EQ_INT(dns_parse(out.mo_buf, out.mo_len, &dm), CB_OK);
	T_EQ_INT(dm.dm_nan, 1);
	T_EQ_INT(dm.dm_rr[0].rr_type, DNS_TYPE_A);
	T_EQ_INT(dm.dm_rr[0].rr_ttl, MDNS_TTL);
	T_EQ_INT(dm.dm_rr[0].rr_flush, 1);
	T_ASSERT(memcmp(dm.dm_rr[0].rr_rdata, a.ma_v4[0], 4) == 0);
	T_ASSERT(mdns_next(&m) > now + 3600 * 1000);
	/* Two queries within the next second: one answer, at its end. */
	mdns_input(&m, q, query(q, 0, "box.local", DNS_TYPE_A, 1), &on_link,
	    now + 100, &out);
	T_EQ_INT(out.mo_len, 0);
	mdns_input(&m, q, query(q, 0, "box.local", DNS_TYPE_A, 1), &on_link,
	    now + 900, &out);
	T_EQ_INT(out.mo_len, 0);
	T_EQ_INT(mdns_next(&m), now + MDNS_RATE_MS);
	now += MDNS_RATE_MS;
	mdns_tick(&m, now, &out);
	T_EQ_INT(dns_parse(out.mo_buf, out.mo_len, &dm), CB_OK);
	T_EQ_INT(dm.dm_nan, 1);
	mdns_tick(&m, now + 1, &out);
	T_EQ_INT(out.mo_len, 0);
	/* A query a second after that is answered at once. */
	now += MDNS_RATE_MS;
	mdns_input(&m, q, query(q, 0, "box.local", DNS_TYPE_A, 1), &on_link,
	    now, &out);
	T_ASSERT(out.mo_len > 0);
	T_EQ_INT(out.mo_unicast, 0);
	/* AAAA: we have none, so no answer. */
	mdns_input(&m, q, query(q, 0, "box.local", DNS_TYPE_AAAA, 1),
	    &on_link, now + 5000, &out);
	T_EQ_INT(out.mo_len, 0);
}

T_TEST(legacy_qu_offlink_and_reverse)
{
	static struct mdns m;
	static struct dns_msg dm;
	struct mdns_addrs a = addrs1(5);
	struct mdns_src legacy = { 40000, 1, 0 }, far = { MDNS_PORT, 0, 0 };
	struct mdns_out out;
	uint8_t q[512];
	int64_t now = 0;

	mdns_init(&m, "box", &a, now, 1);
	claim(&m, &now);
	/* Legacy unicast: our id, the question back, TTL 10, no flush. */
	mdns_input(&m, q, query(q, 0xbeef, "box.local", DNS_TYPE_A, 1),
	    &legacy, now + 1, &out);
	T_EQ_INT(out.mo_unicast, 1);
	T_EQ_INT(out.mo_port, 40000);
	T_EQ_INT(dns_parse(out.mo_buf, out.mo_len, &dm), CB_OK);
	T_EQ_INT(dm.dm_id, 0xbeef);
	T_EQ_INT(dm.dm_nq, 1);
	T_EQ_INT(dm.dm_rr[0].rr_ttl, MDNS_LEGACY_TTL);
	T_EQ_INT(dm.dm_rr[0].rr_flush, 0);
	/* QU: unicast to port 5353, even right after an announcement. */
	mdns_input(&m, q, query(q, 0, "box.local", DNS_TYPE_A,
	    1 | DNS_CLASS_TOP), &on_link, now + 2, &out);
	T_EQ_INT(out.mo_unicast, 1);
	T_EQ_INT(out.mo_port, MDNS_PORT);
	/* From beyond the link: silence. */
	mdns_input(&m, q, query(q, 0, "box.local", DNS_TYPE_A,
	    1 | DNS_CLASS_TOP), &far, now + 3, &out);
	T_EQ_INT(out.mo_len, 0);
	/* Reverse: 5.0.0.10.in-addr.arpa PTR box.local. */
	mdns_input(&m, q, query(q, 1, "5.0.0.10.in-addr.arpa", DNS_TYPE_PTR,
	    1), &legacy, now + 4, &out);
	T_EQ_INT(dns_parse(out.mo_buf, out.mo_len, &dm), CB_OK);
	T_EQ_INT(dm.dm_rr[0].rr_type, DNS_TYPE_PTR);
	char target[DNS_NAME_TEXT_MAX];
	size_t off = (size_t)(dm.dm_rr[0].rr_rdata - out.mo_buf);
	T_EQ_INT(dns_read_name(out.mo_buf, out.mo_len, &off, target,
	    sizeof(target)), CB_OK);
	T_EQ_STR(target, "box.local");
}

/* Another host's response for name with address 10.0.0.last. */
static size_t
response(uint8_t *buf, const char *name, uint8_t last)
{
	uint8_t ip[4] = { 10, 0, 0, last };
	struct dns_writer w;

	dns_writer_init(&w, buf, 512);
	dns_put_header(&w, 0, DNS_FLAG_QR | DNS_FLAG_AA, 0, 1, 0, 0);
	dns_put_rr(&w, name, DNS_TYPE_A, 1 | DNS_CLASS_TOP, 120, ip, 4);
	return w.dw_len;
}

T_TEST(conflict_while_probing_renames)
{
	static struct mdns m;
	struct mdns_addrs a = addrs1(5);
	struct mdns_out out;
	uint8_t r[512];
	int64_t now = 0;

	mdns_init(&m, "box", &a, now, 3);
	now = mdns_next(&m);
	mdns_tick(&m, now, &out);
	/* Our own probe looped back is no conflict. */
	mdns_input(&m, out.mo_buf, out.mo_len, &on_link, now, &out);
	T_EQ_STR(m.m_fqdn, "box.local");
	mdns_input(&m, r, response(r, "box.local", 9), &on_link, now + 1,
	    &out);
	T_EQ_STR(m.m_fqdn, "box-2.local");
	T_EQ_INT(m.m_state, MDNS_PROBING);
	mdns_input(&m, r, response(r, "box-2.local", 9), &on_link, now + 2,
	    &out);
	T_EQ_STR(m.m_fqdn, "box-3.local");
	claim(&m, &now);
	T_EQ_INT(m.m_state, MDNS_CLAIMED);
	/* Claimed, a conflict makes us probe the same name again. */
	mdns_input(&m, r, response(r, "box-3.local", 9), &on_link, now + 1,
	    &out);
	T_EQ_INT(m.m_state, MDNS_PROBING);
	T_EQ_STR(m.m_fqdn, "box-3.local");
	/* A goodbye (TTL 0) from the other host is no conflict. */
}

T_TEST(too_many_conflicts_pause)
{
	static struct mdns m;
	struct mdns_addrs a = addrs1(5);
	struct mdns_out out;
	uint8_t r[512];
	int64_t now = 0;

	mdns_init(&m, "box", &a, now, 3);
	for (int i = 0; i < MDNS_CONFLICTS_MAX; i++)
		mdns_input(&m, r, response(r, m.m_fqdn, 9), &on_link, now + i,
		    &out);
	T_EQ_INT(m.m_state, MDNS_PAUSED);
	T_ASSERT(mdns_next(&m) >= now + MDNS_CONFLICT_PAUSE_MS);
}

T_TEST(simultaneous_probe_tiebreak)
{
	static struct mdns lo, hi;
	struct mdns_addrs a = addrs1(5), b = addrs1(6);
	struct mdns_out out_lo, out_hi, dummy;
	int64_t now = 0;

	mdns_init(&lo, "box", &a, now, 1);
	mdns_init(&hi, "box", &b, now, 2);
	mdns_tick(&lo, mdns_next(&lo), &out_lo);
	mdns_tick(&hi, mdns_next(&hi), &out_hi);
	now = 300;
	/* 10.0.0.6 > 10.0.0.5: hi keeps probing, lo waits a second. */
	int64_t hi_next = mdns_next(&hi);
	mdns_input(&hi, out_lo.mo_buf, out_lo.mo_len, &on_link, now, &dummy);
	T_EQ_INT(mdns_next(&hi), hi_next);
	mdns_input(&lo, out_hi.mo_buf, out_hi.mo_len, &on_link, now, &dummy);
	T_EQ_INT(mdns_next(&lo), now + MDNS_TIEBREAK_WAIT_MS);
	T_EQ_INT(lo.m_step, 0);
}

T_TEST(known_answer_suppression)
{
	static struct mdns m;
	struct mdns_addrs a = addrs1(5);
	struct mdns_out out;
	struct dns_writer w;
	uint8_t q[512];
	int64_t now = 0;

	mdns_init(&m, "box", &a, now, 1);
	claim(&m, &now);
	now += 5000;
	dns_writer_init(&w, q, sizeof(q));
	dns_put_header(&w, 0, 0, 1, 1, 0, 0);
	dns_put_question(&w, "box.local", DNS_TYPE_A, 1);
	dns_put_rr(&w, "box.local", DNS_TYPE_A, 1, MDNS_TTL, a.ma_v4[0], 4);
	mdns_input(&m, q, w.dw_len, &on_link, now, &out);
	T_EQ_INT(out.mo_len, 0);
}

T_TEST(address_change_reannounces_and_goodbye)
{
	static struct mdns m;
	static struct dns_msg dm;
	struct mdns_addrs a = addrs1(5), b = addrs1(7);
	struct mdns_out out;
	int64_t now = 0;

	mdns_init(&m, "box", &a, now, 1);
	claim(&m, &now);
	mdns_set_addrs(&m, &b, now + 10);
	T_EQ_INT(m.m_state, MDNS_ANNOUNCING);
	mdns_tick(&m, now + 10, &out);
	T_EQ_INT(dns_parse(out.mo_buf, out.mo_len, &dm), CB_OK);
	T_EQ_INT(dm.dm_rr[0].rr_rdata[3], 7);
	mdns_goodbye(&m, &out);
	T_EQ_INT(dns_parse(out.mo_buf, out.mo_len, &dm), CB_OK);
	T_EQ_INT(dm.dm_rr[0].rr_ttl, 0);
}

T_TEST(no_address_yet_then_dhcp)
{
	static struct mdns m;
	struct mdns_addrs none, a = addrs1(5);
	struct mdns_out out;
	int64_t now = 0;

	memset(&none, 0, sizeof(none));
	mdns_init(&m, "box", &none, now, 1);
	mdns_tick(&m, mdns_next(&m), &out);
	T_EQ_INT(out.mo_len, 0);
	T_EQ_INT(m.m_state, MDNS_PROBING);
	T_EQ_INT(mdns_next(&m), INT64_MAX);
	mdns_set_addrs(&m, &a, 5000);
	T_ASSERT(mdns_next(&m) >= 5000 && mdns_next(&m) < 5250);
	T_EQ_INT(claim(&m, &now), MDNS_PROBES + MDNS_ANNOUNCES);
	T_EQ_INT(m.m_state, MDNS_CLAIMED);
}

T_TEST(reverse_names)
{
	uint8_t v4[4] = { 192, 168, 1, 20 }, v6[16] = { 0xfd, 0x12 };
	char out[80];

	mdns_reverse_v4(v4, out, sizeof(out));
	T_EQ_STR(out, "20.1.168.192.in-addr.arpa");
	mdns_reverse_v6(v6, out, sizeof(out));
	T_EQ_STR(out, "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.2.1.d.f.ip6.arpa");
}

T_MAIN()
