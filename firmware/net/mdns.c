/*
 * mdns.c: the Multicast DNS responder's state machine (RFC 6762).
 *
 *   PROBING    three queries for NAME.local, 250 ms apart, our records in
 *              the authority section; a response holding other data for
 *              the name is a conflict: take the next name, probe again.
 *              A simultaneous probe by another host is settled by the
 *              lexicographic comparison of 8.2; the loser waits 1 s.
 *   ANNOUNCING two unsolicited responses 1 s apart, cache-flush bit set.
 *   CLAIMED    answer queries; a conflicting response makes us probe the
 *              name again (9), which renames us if the other host defends.
 *   PAUSED     after MDNS_CONFLICTS_MAX conflicts in 10 s, 5 s of quiet.
 *
 * Only sources on our link are answered (11): the responder must not be a
 * reflector for anyone beyond the router.
 */
#include <stdio.h>
#include <string.h>

#include "base/cb.h"
#include "net/dns.h"
#include "net/mdns.h"

#define MDNS_NEVER	INT64_MAX

static uint32_t
mdns_rand(struct mdns *m)
{
	uint32_t x = m->m_rand ? m->m_rand : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return m->m_rand = x;
}

int
mdns_label_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > MDNS_LABEL_MAX || name[0] == '-' ||
	    name[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
			return 0;
	return 1;
}

/* m_label and m_fqdn from m_base and m_suffix ("base-2"), the base cut
 * short when base and suffix would pass 63 bytes. */
static void
mdns_make_name(struct mdns *m)
{
	char suf[12] = "";
	size_t n = strlen(m->m_base);

	if (m->m_suffix)
		snprintf(suf, sizeof(suf), "-%u", m->m_suffix);
	if (n + strlen(suf) > MDNS_LABEL_MAX)
		n = MDNS_LABEL_MAX - strlen(suf);
	while (n > 1 && m->m_base[n - 1] == '-')
		n--;
	snprintf(m->m_label, sizeof(m->m_label), "%.*s%s", (int)n, m->m_base,
	    suf);
	snprintf(m->m_fqdn, sizeof(m->m_fqdn), "%s.local", m->m_label);
}

static void
mdns_probe_from(struct mdns *m, int64_t at)
{
	m->m_state = MDNS_PROBING;
	m->m_step = 0;
	m->m_next_ms = at;
	m->m_defer_a = m->m_defer_aaaa = 0;
	m->m_defer_ms = MDNS_NEVER;
}

int
mdns_init(struct mdns *m, const char *name, const struct mdns_addrs *a,
    int64_t now_ms, uint32_t seed)
{
	memset(m, 0, sizeof(*m));
	if (!mdns_label_ok(name) || a == NULL)
		return CB_EINVAL;
	memcpy(m->m_base, name, strlen(name) + 1);
	m->m_addrs = *a;
	m->m_rand = seed;
	m->m_tokens = MDNS_SEND_BURST;
	m->m_tokens_ms = now_ms;
	m->m_last_mc_a = m->m_last_mc_aaaa = -MDNS_RATE_MS;
	mdns_make_name(m);
	/* 8.1: a random delay of 0-250 ms before the first probe. */
	mdns_probe_from(m, now_ms + mdns_rand(m) % MDNS_PROBE_WAIT_MS);
	return CB_OK;
}

static int
mdns_has_addrs(const struct mdns_addrs *a)
{
	return a->ma_n4 + a->ma_n6 > 0;
}

void
mdns_set_addrs(struct mdns *m, const struct mdns_addrs *a, int64_t now_ms)
{
	int had = mdns_has_addrs(&m->m_addrs);

	if (memcmp(&m->m_addrs, a, sizeof(*a)) == 0)
		return;
	m->m_addrs = *a;
	/* The first address (DHCP came late): probe with it, so that a host
	 * already holding the name is found before we claim it. */
	if (!had && m->m_state != MDNS_PAUSED) {
		mdns_probe_from(m, now_ms + mdns_rand(m) % MDNS_PROBE_WAIT_MS);
		return;
	}
	if (m->m_state == MDNS_CLAIMED || m->m_state == MDNS_ANNOUNCING) {
		m->m_state = MDNS_ANNOUNCING;
		m->m_step = 0;
		m->m_next_ms = now_ms;
	} else if (m->m_state == MDNS_PROBING)
		mdns_probe_from(m, now_ms);
}

int64_t
mdns_next(const struct mdns *m)
{
	return m->m_next_ms < m->m_defer_ms ? m->m_next_ms : m->m_defer_ms;
}

/* Our A and AAAA records into w (one each per address). */
static void
mdns_put_host_rrs(struct mdns *m, struct dns_writer *w, int want4,
    int want6, uint16_t klass, uint32_t ttl, const uint8_t *skip4,
    const uint8_t *skip6)
{
	for (size_t i = 0; want4 && i < m->m_addrs.ma_n4; i++)
		if (!skip4 || !skip4[i])
			dns_put_rr(w, m->m_fqdn, DNS_TYPE_A, klass, ttl,
			    m->m_addrs.ma_v4[i], 4);
	for (size_t i = 0; want6 && i < m->m_addrs.ma_n6; i++)
		if (!skip6 || !skip6[i])
			dns_put_rr(w, m->m_fqdn, DNS_TYPE_AAAA, klass, ttl,
			    m->m_addrs.ma_v6[i], 16);
}

static void
mdns_finish(struct dns_writer *w, struct mdns_out *out)
{
	out->mo_len = w->dw_err ? 0 : w->dw_len;
}

static void
mdns_probe(struct mdns *m, struct mdns_out *out)
{
	struct dns_writer w;
	size_t n = m->m_addrs.ma_n4 + m->m_addrs.ma_n6;

	dns_writer_init(&w, out->mo_buf, sizeof(out->mo_buf));
	dns_put_header(&w, 0, 0, 1, 0, (uint16_t)n, 0);
	/* 8.1: QU for the first probe is allowed; all ask type ANY. */
	dns_put_question(&w, m->m_fqdn, DNS_TYPE_ANY,
	    DNS_CLASS_IN | (m->m_step == 0 ? DNS_CLASS_TOP : 0));
	mdns_put_host_rrs(m, &w, 1, 1, DNS_CLASS_IN, MDNS_TTL, NULL, NULL);
	mdns_finish(&w, out);
}

static void
mdns_announce(struct mdns *m, uint32_t ttl, struct mdns_out *out)
{
	struct dns_writer w;
	size_t n = m->m_addrs.ma_n4 + m->m_addrs.ma_n6;

	dns_writer_init(&w, out->mo_buf, sizeof(out->mo_buf));
	dns_put_header(&w, 0, DNS_FLAG_QR | DNS_FLAG_AA, 0, (uint16_t)n, 0, 0);
	mdns_put_host_rrs(m, &w, 1, 1, DNS_CLASS_IN | DNS_CLASS_TOP, ttl,
	    NULL, NULL);
	mdns_finish(&w, out);
}

/*
 * 6: a record asked for by a multicast query within a second of its last
 * multicast is not dropped but sent when the second is up, once, however
 * many queries asked for it meanwhile.
 */
static void
mdns_send_deferred(struct mdns *m, int64_t now_ms, struct mdns_out *out)
{
	struct dns_writer w;
	size_t n = (m->m_defer_a ? m->m_addrs.ma_n4 : 0) +
	    (m->m_defer_aaaa ? m->m_addrs.ma_n6 : 0);
	int a = m->m_defer_a, aaaa = m->m_defer_aaaa;

	m->m_defer_a = m->m_defer_aaaa = 0;
	m->m_defer_ms = MDNS_NEVER;
	if (n == 0 || (m->m_state != MDNS_CLAIMED &&
	    m->m_state != MDNS_ANNOUNCING))
		return;
	dns_writer_init(&w, out->mo_buf, sizeof(out->mo_buf));
	dns_put_header(&w, 0, DNS_FLAG_QR | DNS_FLAG_AA, 0, (uint16_t)n, 0, 0);
	mdns_put_host_rrs(m, &w, a, aaaa, DNS_CLASS_IN | DNS_CLASS_TOP,
	    MDNS_TTL, NULL, NULL);
	mdns_finish(&w, out);
	if (out->mo_len == 0)
		return;
	if (a)
		m->m_last_mc_a = now_ms;
	if (aaaa)
		m->m_last_mc_aaaa = now_ms;
	m->m_answered++;
}

void
mdns_tick(struct mdns *m, int64_t now_ms, struct mdns_out *out)
{
	out->mo_len = 0;
	out->mo_unicast = 0;
	if (now_ms < m->m_next_ms) {
		if (now_ms >= m->m_defer_ms)
			mdns_send_deferred(m, now_ms, out);
		return;
	}
	switch (m->m_state) {
	case MDNS_PAUSED:
		mdns_probe_from(m, now_ms);
		/* FALLTHROUGH */
	case MDNS_PROBING:
		if (!mdns_has_addrs(&m->m_addrs)) {
			/* Nothing to claim yet: wait for an address. */
			m->m_next_ms = MDNS_NEVER;
			return;
		}
		if (m->m_step < MDNS_PROBES) {
			mdns_probe(m, out);
			m->m_step++;
			m->m_next_ms = now_ms + MDNS_PROBE_WAIT_MS;
			return;
		}
		m->m_state = MDNS_ANNOUNCING;
		m->m_step = 0;
		/* FALLTHROUGH */
	case MDNS_ANNOUNCING:
		mdns_announce(m, MDNS_TTL, out);
		m->m_last_mc_a = m->m_last_mc_aaaa = now_ms;
		/* The announcement carries whatever was held back. */
		m->m_defer_a = m->m_defer_aaaa = 0;
		m->m_defer_ms = MDNS_NEVER;
		if (++m->m_step >= MDNS_ANNOUNCES) {
			m->m_state = MDNS_CLAIMED;
			m->m_next_ms = MDNS_NEVER;
		} else
			m->m_next_ms = now_ms + MDNS_ANNOUNCE_WAIT_MS;
		return;
	case MDNS_CLAIMED:
		m->m_next_ms = MDNS_NEVER;
		return;
	}
}

void
mdns_goodbye(struct mdns *m, struct mdns_out *out)
{
	out->mo_len = 0;
	out->mo_unicast = 0;
	if (m->m_state == MDNS_CLAIMED || m->m_state == MDNS_ANNOUNCING)
		mdns_announce(m, 0, out);
}

/* ---- conflicts ---------------------------------------------------- */

/* 1 when rr (our name, A or AAAA) carries an address that is ours. */
static int
mdns_rr_is_ours(const struct mdns *m, const struct dns_rr *rr)
{
	if (rr->rr_type == DNS_TYPE_A && rr->rr_rdlen == 4) {
		for (size_t i = 0; i < m->m_addrs.ma_n4; i++)
			if (memcmp(rr->rr_rdata, m->m_addrs.ma_v4[i], 4) == 0)
				return 1;
	} else if (rr->rr_type == DNS_TYPE_AAAA && rr->rr_rdlen == 16) {
		for (size_t i = 0; i < m->m_addrs.ma_n6; i++)
			if (memcmp(rr->rr_rdata, m->m_addrs.ma_v6[i], 16) == 0)
				return 1;
	}
	return 0;
}

static int
mdns_is_host_rr(const struct mdns *m, const struct dns_rr *rr)
{
	return (rr->rr_type == DNS_TYPE_A || rr->rr_type == DNS_TYPE_AAAA) &&
	    (rr->rr_class == DNS_CLASS_IN || rr->rr_class == DNS_CLASS_ANY) &&
	    dns_name_eq(rr->rr_name, m->m_fqdn);
}

static void
mdns_conflict(struct mdns *m, int64_t now_ms, int rename)
{
	size_t recent = 0;

	m->m_conflicts++;
	memmove(m->m_conflict_ms + 1, m->m_conflict_ms,
	    sizeof(m->m_conflict_ms) - sizeof(m->m_conflict_ms[0]));
	m->m_conflict_ms[0] = now_ms;
	if (m->m_nconflicts < MDNS_CONFLICTS_MAX)
		m->m_nconflicts++;
	for (size_t i = 0; i < m->m_nconflicts; i++)
		if (now_ms - m->m_conflict_ms[i] < MDNS_CONFLICT_WINDOW_MS)
			recent++;
	if (rename) {
		m->m_suffix = m->m_suffix == 0 ? 2 :
		    m->m_suffix >= MDNS_SUFFIX_MAX ? 2 : m->m_suffix + 1;
		mdns_make_name(m);
	}
	mdns_probe_from(m, now_ms);
	if (recent >= MDNS_CONFLICTS_MAX) {
		m->m_state = MDNS_PAUSED;
		m->m_next_ms = now_ms + MDNS_CONFLICT_PAUSE_MS;
	}
}

/* One record of a probe's authority section, for the tie-break. */
struct mdns_tb {
	uint16_t t_class, t_type;
	uint16_t t_len;
	const uint8_t *t_data;
};

static int
mdns_tb_cmp(const struct mdns_tb *a, const struct mdns_tb *b)
{
	size_t n = a->t_len < b->t_len ? a->t_len : b->t_len;
	int c;

	if (a->t_class != b->t_class)
		return a->t_class < b->t_class ? -1 : 1;
	if (a->t_type != b->t_type)
		return a->t_type < b->t_type ? -1 : 1;
	if ((c = memcmp(a->t_data, b->t_data, n)) != 0)
		return c;
	return a->t_len == b->t_len ? 0 : a->t_len < b->t_len ? -1 : 1;
}

static void
mdns_tb_sort(struct mdns_tb *t, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && mdns_tb_cmp(&t[j - 1], &t[j]) > 0;
		    j--) {
			struct mdns_tb x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
}

/*
 * 8.2: compare our records with the other prober's, sorted, pairwise;
 * the first difference decides, and a list that runs out first is the
 * lesser. <0: we lose; 0: the same data (our own probe, looped back).
 */
static int
mdns_tiebreak(const struct mdns *m, const struct dns_msg *dm)
{
	struct mdns_tb ours[2 * MDNS_ADDRS_MAX], theirs[DNS_RRS_MAX];
	size_t no = 0, nt = 0;
	int c;

	for (size_t i = 0; i < m->m_addrs.ma_n4; i++)
		ours[no++] = (struct mdns_tb){ DNS_CLASS_IN, DNS_TYPE_A, 4,
		    m->m_addrs.ma_v4[i] };
	for (size_t i = 0; i < m->m_addrs.ma_n6; i++)
		ours[no++] = (struct mdns_tb){ DNS_CLASS_IN, DNS_TYPE_AAAA,
		    16, m->m_addrs.ma_v6[i] };
	for (size_t i = 0; i < dm->dm_nrr; i++) {
		const struct dns_rr *rr = &dm->dm_rr[i];
		if (rr->rr_section == DNS_SEC_AUTHORITY &&
		    dns_name_eq(rr->rr_name, m->m_fqdn))
			theirs[nt++] = (struct mdns_tb){ rr->rr_class,
			    rr->rr_type, rr->rr_rdlen, rr->rr_rdata };
	}
	mdns_tb_sort(ours, no);
	mdns_tb_sort(theirs, nt);
	for (size_t i = 0; i < no && i < nt; i++)
		if ((c = mdns_tb_cmp(&ours[i], &theirs[i])) != 0)
			return c;
	return no == nt ? 0 : no < nt ? -1 : 1;
}

/* A response: does it hold our name with data that is not ours? */
static void
mdns_check_response(struct mdns *m, const struct dns_msg *dm, int64_t now)
{
	for (size_t i = 0; i < dm->dm_nrr; i++) {
		const struct dns_rr *rr = &dm->dm_rr[i];
		if (!mdns_is_host_rr(m, rr) || mdns_rr_is_ours(m, rr) ||
		    rr->rr_ttl == 0)
			continue;
		/* Probing: the name is taken, take the next one. Claimed:
		 * probe again (9); the holder's defence renames us. */
		mdns_conflict(m, now, m->m_state == MDNS_PROBING);
		return;
	}
}

/* A query while we probe: another host probing for the same name. */
static void
mdns_check_probe(struct mdns *m, const struct dns_msg *dm, int64_t now)
{
	int asks = 0, has_auth = 0;

	for (size_t i = 0; i < dm->dm_nq; i++)
		if (dns_name_eq(dm->dm_q[i].q_name, m->m_fqdn))
			asks = 1;
	for (size_t i = 0; i < dm->dm_nrr; i++)
		if (dm->dm_rr[i].rr_section == DNS_SEC_AUTHORITY &&
		    dns_name_eq(dm->dm_rr[i].rr_name, m->m_fqdn))
			has_auth = 1;
	if (asks && has_auth && mdns_tiebreak(m, dm) < 0)
		mdns_probe_from(m, now + MDNS_TIEBREAK_WAIT_MS);
}

/* ---- answers ------------------------------------------------------ */

void
mdns_reverse_v4(const uint8_t a[4], char *out, size_t size)
{
	snprintf(out, size, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1],
	    a[0]);
}

void
mdns_reverse_v6(const uint8_t a[16], char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (int i = 15; i >= 0 && o + 4 < size; i--) {
		out[o++] = hex[a[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[a[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, size - o, "ip6.arpa");
}

/* What one query asks of us. */
struct mdns_want {
	int w_a, w_aaaa;
	int w_ptr4[MDNS_ADDRS_MAX], w_ptr6[MDNS_ADDRS_MAX];
	int w_nptr;
	int w_unicast;			/* every question we answer is QU */
	int w_probe;			/* has an authority section */
	size_t w_qs[DNS_QUESTIONS_MAX];	/* questions answered, to echo */
	size_t w_nq;
	uint8_t w_known4[MDNS_ADDRS_MAX], w_known6[MDNS_ADDRS_MAX];
};

static int
mdns_type_is(uint16_t t, uint16_t want)
{
	return t == want || t == DNS_TYPE_ANY;
}

static int
mdns_want_question(const struct mdns *m, const struct dns_question *q,
    struct mdns_want *w)
{
	char rev[80];
	int hit = 0;

	if (q->q_class != DNS_CLASS_IN && q->q_class != DNS_CLASS_ANY)
		return 0;
	if (dns_name_eq(q->q_name, m->m_fqdn)) {
		if (mdns_type_is(q->q_type, DNS_TYPE_A) && m->m_addrs.ma_n4)
			hit = w->w_a = 1;
		if (mdns_type_is(q->q_type, DNS_TYPE_AAAA) && m->m_addrs.ma_n6)
			hit = w->w_aaaa = 1;
		return hit;
	}
	if (!mdns_type_is(q->q_type, DNS_TYPE_PTR))
		return 0;
	for (size_t i = 0; i < m->m_addrs.ma_n4; i++) {
		mdns_reverse_v4(m->m_addrs.ma_v4[i], rev, sizeof(rev));
		if (dns_name_eq(q->q_name, rev))
			hit = w->w_ptr4[i] = 1;
	}
	for (size_t i = 0; i < m->m_addrs.ma_n6; i++) {
		mdns_reverse_v6(m->m_addrs.ma_v6[i], rev, sizeof(rev));
		if (dns_name_eq(q->q_name, rev))
			hit = w->w_ptr6[i] = 1;
	}
	w->w_nptr += hit;
	return hit;
}

/* 7.1: answers the querier already has, with at least half their TTL
 * left, are not sent again. */
static void
mdns_known_answers(const struct mdns *m, const struct dns_msg *dm,
    struct mdns_want *w)
{
	for (size_t i = 0; i < dm->dm_nrr; i++) {
		const struct dns_rr *rr = &dm->dm_rr[i];
		if (rr->rr_section != DNS_SEC_ANSWER ||
		    !mdns_is_host_rr(m, rr) || rr->rr_ttl < MDNS_TTL / 2)
			continue;
		for (size_t j = 0; j < m->m_addrs.ma_n4; j++)
			if (rr->rr_type == DNS_TYPE_A && rr->rr_rdlen == 4 &&
			    memcmp(rr->rr_rdata, m->m_addrs.ma_v4[j], 4) == 0)
				w->w_known4[j] = 1;
		for (size_t j = 0; j < m->m_addrs.ma_n6; j++)
			if (rr->rr_type == DNS_TYPE_AAAA &&
			    rr->rr_rdlen == 16 && memcmp(rr->rr_rdata,
			    m->m_addrs.ma_v6[j], 16) == 0)
				w->w_known6[j] = 1;
	}
	int left4 = 0, left6 = 0;
	for (size_t j = 0; j < m->m_addrs.ma_n4; j++)
		left4 |= !w->w_known4[j];
	for (size_t j = 0; j < m->m_addrs.ma_n6; j++)
		left6 |= !w->w_known6[j];
	w->w_a &= left4;
	w->w_aaaa &= left6;
}

static int
mdns_take_token(struct mdns *m, int64_t now)
{
	m->m_tokens += (double)(now - m->m_tokens_ms) * MDNS_SEND_PER_S /
	    1000.0;
	m->m_tokens_ms = now;
	if (m->m_tokens > MDNS_SEND_BURST)
		m->m_tokens = MDNS_SEND_BURST;
	if (m->m_tokens < 1)
		return 0;
	m->m_tokens -= 1;
	return 1;
}

static uint16_t
mdns_count_answers(const struct mdns *m, const struct mdns_want *w)
{
	size_t n = (size_t)w->w_nptr;

	for (size_t i = 0; w->w_a && i < m->m_addrs.ma_n4; i++)
		n += !w->w_known4[i];
	for (size_t i = 0; w->w_aaaa && i < m->m_addrs.ma_n6; i++)
		n += !w->w_known6[i];
	return (uint16_t)n;
}

static void
mdns_write_answer(struct mdns *m, const struct dns_msg *dm,
    const struct mdns_want *w, int legacy, struct mdns_out *out)
{
	uint16_t klass = DNS_CLASS_IN | (legacy ? 0 : DNS_CLASS_TOP);
	uint32_t ttl = legacy ? MDNS_LEGACY_TTL : MDNS_TTL;
	char rev[80];
	struct dns_writer w2;

	dns_writer_init(&w2, out->mo_buf, sizeof(out->mo_buf));
	dns_put_header(&w2, legacy ? dm->dm_id : 0, DNS_FLAG_QR | DNS_FLAG_AA,
	    legacy ? (uint16_t)w->w_nq : 0, mdns_count_answers(m, w), 0, 0);
	/* 6.7: a legacy resolver wants its question back. */
	for (size_t i = 0; legacy && i < w->w_nq; i++) {
		const struct dns_question *q = &dm->dm_q[w->w_qs[i]];
		dns_put_question(&w2, q->q_name, q->q_type, q->q_class);
	}
	mdns_put_host_rrs(m, &w2, w->w_a, w->w_aaaa, klass, ttl, w->w_known4,
	    w->w_known6);
	for (size_t i = 0; i < m->m_addrs.ma_n4; i++)
		if (w->w_ptr4[i]) {
			mdns_reverse_v4(m->m_addrs.ma_v4[i], rev, sizeof(rev));
			dns_put_rr_name(&w2, rev, DNS_TYPE_PTR, klass, ttl,
			    m->m_fqdn);
		}
	for (size_t i = 0; i < m->m_addrs.ma_n6; i++)
		if (w->w_ptr6[i]) {
			mdns_reverse_v6(m->m_addrs.ma_v6[i], rev, sizeof(rev));
			dns_put_rr_name(&w2, rev, DNS_TYPE_PTR, klass, ttl,
			    m->m_fqdn);
		}
	mdns_finish(&w2, out);
}

static void
mdns_defer(struct mdns *m, int *flag, int64_t at)
{
	*flag = 1;
	if (at < m->m_defer_ms)
		m->m_defer_ms = at;
}

static void
mdns_answer(struct mdns *m, const struct dns_msg *dm,
    const struct mdns_src *src, int64_t now, struct mdns_out *out)
{
	struct mdns_want w;
	int legacy = src->ms_port != MDNS_PORT, all_qu = 1;

	memset(&w, 0, sizeof(w));
	for (size_t i = 0; i < dm->dm_nq; i++)
		if (mdns_want_question(m, &dm->dm_q[i], &w)) {
			w.w_qs[w.w_nq++] = i;
			all_qu &= dm->dm_q[i].q_unicast;
		}
	if (w.w_nq == 0)
		return;
	w.w_probe = dm->dm_nns > 0;
	w.w_unicast = legacy || all_qu;
	if (!legacy)
		mdns_known_answers(m, dm, &w);
	if (!w.w_unicast) {
		/* 6: a record goes to the group at most once a second (a
		 * probe for our name is answered within 250 ms). */
		int64_t gap = w.w_probe ? MDNS_DEFEND_RATE_MS : MDNS_RATE_MS;
		if (w.w_a && now - m->m_last_mc_a < gap) {
			w.w_a = 0;
			mdns_defer(m, &m->m_defer_a, m->m_last_mc_a + gap);
		}
		if (w.w_aaaa && now - m->m_last_mc_aaaa < gap) {
			w.w_aaaa = 0;
			mdns_defer(m, &m->m_defer_aaaa,
			    m->m_last_mc_aaaa + gap);
		}
	}
	if (mdns_count_answers(m, &w) == 0 || !mdns_take_token(m, now))
		return;
	mdns_write_answer(m, dm, &w, legacy, out);
	if (out->mo_len == 0)
		return;
	out->mo_unicast = w.w_unicast;
	out->mo_port = legacy ? src->ms_port : MDNS_PORT;
	if (!w.w_unicast) {
		if (w.w_a)
			m->m_last_mc_a = now;
		if (w.w_aaaa)
			m->m_last_mc_aaaa = now;
	}
	m->m_answered++;
}

void
mdns_input(struct mdns *m, const uint8_t *pkt, size_t len,
    const struct mdns_src *src, int64_t now_ms, struct mdns_out *out)
{
	struct dns_msg *dm = &m->m_msg;

	out->mo_len = 0;
	out->mo_unicast = 0;
	if (!src->ms_on_link || dns_parse(pkt, len, dm) != CB_OK ||
	    DNS_OPCODE(dm->dm_flags) != 0 || DNS_RCODE(dm->dm_flags) != 0)
		return;
	if (dm->dm_flags & DNS_FLAG_QR) {
		/* 6: responses from a port other than 5353 are ignored. */
		if (src->ms_port == MDNS_PORT)
			mdns_check_response(m, dm, now_ms);
		return;
	}
	if (m->m_state == MDNS_PROBING) {
		mdns_check_probe(m, dm, now_ms);
		return;
	}
	if (m->m_state == MDNS_PAUSED)
		return;
	mdns_answer(m, dm, src, now_ms, out);
}
