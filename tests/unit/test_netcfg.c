/*
 * test_netcfg.c: the request and state files between web and
 * `classbox netcfg` (net/netcfg.c): canonical format, strict parse, the
 * checks that keep an admin from asking for an address that cannot work.
 */
#include <string.h>

#include "base/cb.h"
#include "net/netcfg.h"
#include "t.h"

static struct netcfg_req
req_static(const char *addr, const char *gw)
{
	struct netcfg_req r;

	memset(&r, 0, sizeof(r));
	r.nr_id = 4;
	r.nr_static = 1;
	strcpy(r.nr_address, addr);
	strcpy(r.nr_gateway, gw);
	r.nr_confirm_s = 60;
	return r;
}

T_TEST(round_trip)
{
	struct netcfg_req r = req_static("192.168.10.5/24", "192.168.10.1"), p;
	char buf[NETCFG_FILE_MAX];

	strcpy(r.nr_dns[0], "192.168.10.1");
	strcpy(r.nr_dns[1], "8.8.8.8");
	r.nr_ndns = 2;
	T_EQ_INT(netcfg_req_format(&r, buf, sizeof(buf)), CB_OK);
	T_EQ_STR(buf, "id=4\nmode=static\naddress=192.168.10.5/24\n"
	    "gateway=192.168.10.1\ndns=192.168.10.1 8.8.8.8\nconfirm_s=60\n");
	T_EQ_INT(netcfg_req_parse(buf, strlen(buf), &p), CB_OK);
	T_ASSERT(memcmp(&p, &r, sizeof(r)) == 0);
}

T_TEST(dhcp)
{
	struct netcfg_req p;
	const char *s = "id=1\nmode=dhcp\nconfirm_s=30\n";

	T_EQ_INT(netcfg_req_parse(s, strlen(s), &p), CB_OK);
	T_EQ_INT(p.nr_static, 0);
	T_EQ_INT(p.nr_confirm_s, 30);
}

T_TEST(refuses)
{
	static const char *const bad[] = {
		"id=1\nmode=dhcp\nconfirm_s=30",		/* no newline */
		"id=1\nmode=dhcp\nconfirm_s=30\nx=1\n",	/* extra line */
		"id=01\nmode=dhcp\nconfirm_s=30\n",		/* not canonical */
		"id=1\nmode=dhcp\nconfirm_s=2\n",		/* too short */
		"id=1\nmode=other\nconfirm_s=30\n",
		"mode=dhcp\nid=1\nconfirm_s=30\n",		/* order */
		"id=1\nmode=static\naddress=10.0.0.5\ngateway=\ndns=\n"
		    "confirm_s=30\n",				/* no prefix */
		"id=1\nmode=static\naddress=10.0.0.5/24\ngateway=\ndns=a\n"
		    "confirm_s=30\n",
		"id=1\nmode=static\naddress=10.0.0.5/24\ngateway=\n"
		    "dns=1.1.1.1  8.8.8.8\nconfirm_s=30\n",
	};
	struct netcfg_req p;

	for (size_t i = 0; i < CB_ARRAY_LEN(bad); i++)
		T_EQ_INT(netcfg_req_parse(bad[i], strlen(bad[i]), &p),
		    CB_EINVAL);
}

T_TEST(validate)
{
	struct netcfg_req r;
	const char *why;

	r = req_static("192.168.10.5/24", "192.168.10.1");
	T_EQ_INT(netcfg_validate(&r, &why), CB_OK);
	r = req_static("192.168.10.0/24", "");
	T_EQ_INT(netcfg_validate(&r, &why), CB_EINVAL);	/* network */
	r = req_static("192.168.10.255/24", "");
	T_EQ_INT(netcfg_validate(&r, &why), CB_EINVAL);	/* broadcast */
	r = req_static("192.168.10.5/24", "192.168.11.1");
	T_EQ_INT(netcfg_validate(&r, &why), CB_EINVAL);	/* off subnet */
	r = req_static("127.0.0.5/8", "");
	T_EQ_INT(netcfg_validate(&r, &why), CB_EINVAL);
	r = req_static("10.0.0.5/31", "");
	T_EQ_INT(netcfg_validate(&r, &why), CB_EINVAL);
	r = req_static("10.0.0.5/8", "");
	T_EQ_INT(netcfg_validate(&r, &why), CB_OK);
	T_ASSERT(why == NULL);
}

T_TEST(state_round_trip)
{
	struct netcfg_state s = { 9, NETCFG_WAITING, 1790000000000, "wait" },
	    p;
	char buf[NETCFG_FILE_MAX];

	T_EQ_INT(netcfg_state_format(&s, buf, sizeof(buf)), CB_OK);
	T_EQ_INT(netcfg_state_parse(buf, strlen(buf), &p), CB_OK);
	T_EQ_INT(p.ns_id, 9);
	T_EQ_INT(p.ns_phase, NETCFG_WAITING);
	T_EQ_INT(p.ns_deadline_ms, 1790000000000);
	T_EQ_STR(p.ns_message, "wait");
	T_EQ_STR(netcfg_phase_name(NETCFG_REVERTED), "reverted");
}

T_MAIN()
