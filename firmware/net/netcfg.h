/*
 * netcfg.h: the network settings an admin asks for through web, and the
 * files by which web (unprivileged) and `classbox netcfg` (root) talk:
 *
 *   DIR/request   web writes: what to apply (key=value lines, below)
 *   DIR/confirm   web writes: "id=N", once the admin has reached the box
 *                 at its new address
 *   DIR/state     netcfg writes: where request N stands
 *
 * Root reads what web wrote, so the request parser is strict (every key
 * known, once, in a fixed order; every value checked) and fuzzed.
 *
 *   id=7
 *   mode=static            (or dhcp: then only id and confirm_s follow)
 *   address=192.168.10.5/24
 *   gateway=192.168.10.1   (may be empty)
 *   dns=192.168.10.1 8.8.8.8  (0 to 3, may be empty)
 *   confirm_s=120
 */
#ifndef NETCFG_H
#define NETCFG_H

#include <stddef.h>
#include <stdint.h>

#define NETCFG_FILE_MAX		1024	/* bytes of a request or state */
#define NETCFG_DNS_MAX		3
#define NETCFG_CONFIRM_MIN_S	5
#define NETCFG_CONFIRM_MAX_S	900
#define NETCFG_CONFIRM_DEFAULT_S 120
#define NETCFG_ADDR_MAX		19	/* "255.255.255.255/32" + NUL */
#define NETCFG_IP_MAX		16
#define NETCFG_MESSAGE_MAX	160

struct netcfg_req {
	uint32_t nr_id;
	int nr_static;				/* 0: DHCP */
	char nr_address[NETCFG_ADDR_MAX];	/* CIDR */
	char nr_gateway[NETCFG_IP_MAX];		/* "" = none */
	char nr_dns[NETCFG_DNS_MAX][NETCFG_IP_MAX];
	size_t nr_ndns;
	uint32_t nr_confirm_s;
};

/* Phases of a request, as netcfg reports them in DIR/state. */
enum netcfg_phase {
	NETCFG_IDLE = 0,	/* nothing asked yet */
	NETCFG_WAITING,		/* applied; reverts at the deadline */
	NETCFG_CONFIRMED,	/* kept and written to the config file */
	NETCFG_REVERTED,	/* not confirmed in time: config file again */
	NETCFG_REFUSED,		/* the request was invalid */
	NETCFG_FAILED,		/* applying failed; reverted */
};

struct netcfg_state {
	uint32_t ns_id;
	enum netcfg_phase ns_phase;
	int64_t ns_deadline_ms;		/* wall clock; WAITING only */
	char ns_message[NETCFG_MESSAGE_MAX];
};

/* Check r's values (addresses, prefix 8-30, not the network or broadcast
 * address, the gateway inside the subnet, confirm_s within bounds). *why
 * names the problem. */
int netcfg_validate(const struct netcfg_req *r, const char **why);

int netcfg_req_format(const struct netcfg_req *r, char *out, size_t size);
/* Parse what netcfg_req_format writes, and only that; then validate. */
int netcfg_req_parse(const char *buf, size_t len, struct netcfg_req *out);

int netcfg_state_format(const struct netcfg_state *s, char *out,
    size_t size);
int netcfg_state_parse(const char *buf, size_t len, struct netcfg_state *out);

const char *netcfg_phase_name(enum netcfg_phase p);

/* The address part of a CIDR ("192.168.10.5/24" -> "192.168.10.5"). */
void netcfg_addr_only(const char *cidr, char *out, size_t size);

#endif
