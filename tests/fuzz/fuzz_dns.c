/*
 * fuzz_dns.c: arbitrary bytes as a packet from the LAN, to the DNS parser
 * (net/dns.c) and to the mDNS responder (net/mdns.c) in each of its
 * states. Invariants: a parsed message stays within its bounds and every
 * name is NUL-terminated inside its field; whatever the responder sends
 * back parses as DNS and fits one frame.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/cb.h"
#include "net/dns.h"
#include "net/mdns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dns_msg msg, back;
static struct mdns m;

static void
check_out(const struct mdns_out *out)
{
	assert(out->mo_len <= sizeof(out->mo_buf));
	if (out->mo_len > 0)
		assert(dns_parse(out->mo_buf, out->mo_len, &back) == CB_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mdns_addrs a;
	struct mdns_out out;
	struct mdns_src src = { MDNS_PORT, 1, 0 };
	int64_t now = 0;

	if (dns_parse(data, size, &msg) == CB_OK) {
		assert(msg.dm_nq <= DNS_QUESTIONS_MAX);
		assert(msg.dm_nrr <= DNS_RRS_MAX);
		for (size_t i = 0; i < msg.dm_nq; i++)
			assert(memchr(msg.dm_q[i].q_name, '\0',
			    sizeof(msg.dm_q[i].q_name)) != NULL);
		for (size_t i = 0; i < msg.dm_nrr; i++)
			assert(msg.dm_rr[i].rr_rdata >= data &&
			    msg.dm_rr[i].rr_rdata + msg.dm_rr[i].rr_rdlen <=
			    data + size);
	}
	memset(&a, 0, sizeof(a));
	a.ma_n4 = 2;
	a.ma_n6 = 1;
	memcpy(a.ma_v4[0], "\x0a\x00\x00\x05", 4);
	memcpy(a.ma_v4[1], "\xc0\xa8\x01\x02", 4);
	a.ma_v6[0][0] = 0xfd;
	mdns_init(&m, "box", &a, now, 1);
	/* Probing, then claimed; the port picks legacy or multicast. */
	src.ms_port = size > 0 && (data[0] & 1) ? 40000 : MDNS_PORT;
	mdns_input(&m, data, size, &src, now, &out);
	check_out(&out);
	for (int i = 0; i < 20 && m.m_state != MDNS_CLAIMED; i++) {
		now = mdns_next(&m);
		mdns_tick(&m, now, &out);
		check_out(&out);
	}
	now += 2000;
	mdns_input(&m, data, size, &src, now, &out);
	check_out(&out);
	return 0;
}
