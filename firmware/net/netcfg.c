/*
 * netcfg.c: the request and state files between web and `classbox netcfg`
 * (pure: no I/O). The format is canonical, so parse(format(r)) == r and
 * anything else is refused.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "net/netcfg.h"

static const char *const netcfg_phases[] = {
	"idle", "waiting", "confirmed", "reverted", "refused", "failed",
};

const char *
netcfg_phase_name(enum netcfg_phase p)
{
	return (unsigned)p < CB_ARRAY_LEN(netcfg_phases) ?
	    netcfg_phases[p] : "unknown";
}

void
netcfg_addr_only(const char *cidr, char *out, size_t size)
{
	size_t n = strcspn(cidr, "/");

	if (n >= size)
		n = size - 1;
	memcpy(out, cidr, n);
	out[n] = '\0';
}

/* A dotted-quad IPv4 address in canonical form (inet_pton accepts only
 * that); 1 and the address in host order when it is one. */
static int
netcfg_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return 0;
	*out = ntohl(a.s_addr);
	return 1;
}

static int
netcfg_cidr(const char *s, uint32_t *ip, unsigned *plen)
{
	char addr[NETCFG_IP_MAX], *end;
	const char *slash = strchr(s, '/');
	unsigned long p;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(addr) ||
	    slash[1] < '0' || slash[1] > '9')
		return 0;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	p = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || (slash[1] == '0' && slash[2] != '\0'))
		return 0;
	*plen = (unsigned)p;
	return p <= 32 && netcfg_ip(addr, ip);
}

static int
netcfg_usable(uint32_t ip)
{
	uint8_t a = (uint8_t)(ip >> 24);

	return a != 0 && a != 127 && a < 224;
}

int
netcfg_validate(const struct netcfg_req *r, const char **why)
{
	uint32_t ip, gw, dns, mask;
	unsigned plen;

	*why = NULL;
	if (r->nr_confirm_s < NETCFG_CONFIRM_MIN_S ||
	    r->nr_confirm_s > NETCFG_CONFIRM_MAX_S)
		*why = "confirm_s must be 5 to 900 seconds";
	else if (!r->nr_static)
		return r->nr_address[0] || r->nr_gateway[0] || r->nr_ndns ?
		    (*why = "DHCP takes no address", CB_EINVAL) : CB_OK;
	else if (!netcfg_cidr(r->nr_address, &ip, &plen) || !netcfg_usable(ip))
		*why = "address must be an IPv4 address with a prefix, "
		    "e.g. 192.168.10.5/24";
	else if (plen < 8 || plen > 30)
		*why = "the prefix length must be 8 to 30";
	if (*why)
		return CB_EINVAL;
	mask = 0xffffffffu << (32 - plen);
	if ((ip & ~mask) == 0 || (ip & ~mask) == ~mask)
		*why = "the address is the subnet's network or broadcast address";
	else if (r->nr_gateway[0] && (!netcfg_ip(r->nr_gateway, &gw) ||
	    (gw & mask) != (ip & mask) || gw == ip))
		*why = "the gateway must be another address in the subnet";
	for (size_t i = 0; !*why && i < r->nr_ndns; i++)
		if (!netcfg_ip(r->nr_dns[i], &dns) || !netcfg_usable(dns))
			*why = "a DNS server is not an IPv4 address";
	if (!*why && r->nr_ndns > NETCFG_DNS_MAX)
		*why = "at most 3 DNS servers";
	return *why ? CB_EINVAL : CB_OK;
}

int
netcfg_req_format(const struct netcfg_req *r, char *out, size_t size)
{
	char dns[NETCFG_DNS_MAX * NETCFG_IP_MAX + NETCFG_DNS_MAX] = "";
	int n;

	for (size_t i = 0; i < r->nr_ndns && i < NETCFG_DNS_MAX; i++) {
		if (i)
			strcat(dns, " ");
		strcat(dns, r->nr_dns[i]);
	}
	if (r->nr_static)
		n = snprintf(out, size, "id=%" PRIu32 "\nmode=static\n"
		    "address=%s\ngateway=%s\ndns=%s\nconfirm_s=%" PRIu32 "\n",
		    r->nr_id, r->nr_address, r->nr_gateway, dns,
		    r->nr_confirm_s);
	else
		n = snprintf(out, size, "id=%" PRIu32 "\nmode=dhcp\n"
		    "confirm_s=%" PRIu32 "\n", r->nr_id, r->nr_confirm_s);
	return n > 0 && (size_t)n < size ? CB_OK : CB_ETOOBIG;
}

/* The next line, which must be "key=value"; *p moves past it. */
static int
netcfg_line(const char **p, const char *end, const char *key, char *val,
    size_t size)
{
	size_t klen = strlen(key);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n;

	if (nl == NULL || (size_t)(nl - *p) <= klen ||
	    memcmp(*p, key, klen) != 0 || (*p)[klen] != '=')
		return 0;
	n = (size_t)(nl - *p) - klen - 1;
	if (n >= size || memchr(*p + klen + 1, '\0', n) != NULL)
		return 0;
	memcpy(val, *p + klen + 1, n);
	val[n] = '\0';
	*p = nl + 1;
	return 1;
}

static int
netcfg_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
		return 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > UINT32_MAX)
		return 0;
	*out = (uint32_t)v;
	return 1;
}

static int
netcfg_split_dns(const char *s, struct netcfg_req *r)
{
	while (*s != '\0') {
		size_t n = strcspn(s, " ");
		if (n == 0 || n >= NETCFG_IP_MAX || r->nr_ndns == NETCFG_DNS_MAX)
			return 0;
		memcpy(r->nr_dns[r->nr_ndns], s, n);
		r->nr_dns[r->nr_ndns++][n] = '\0';
		s += n;
		if (*s == ' ' && *++s == '\0')
			return 0;
	}
	return 1;
}

int
netcfg_req_parse(const char *buf, size_t len, struct netcfg_req *out)
{
	const char *p = buf, *end = buf + len, *why;
	char v[NETCFG_DNS_MAX * NETCFG_IP_MAX + NETCFG_DNS_MAX];

	memset(out, 0, sizeof(*out));
	if (len > NETCFG_FILE_MAX || !netcfg_line(&p, end, "id", v, sizeof(v)) ||
	    !netcfg_u32(v, &out->nr_id) ||
	    !netcfg_line(&p, end, "mode", v, sizeof(v)))
		return CB_EINVAL;
	if (strcmp(v, "static") == 0) {
		out->nr_static = 1;
		if (!netcfg_line(&p, end, "address", out->nr_address,
		    sizeof(out->nr_address)) ||
		    !netcfg_line(&p, end, "gateway", out->nr_gateway,
		    sizeof(out->nr_gateway)) ||
		    !netcfg_line(&p, end, "dns", v, sizeof(v)) ||
		    !netcfg_split_dns(v, out))
			return CB_EINVAL;
	} else if (strcmp(v, "dhcp") != 0)
		return CB_EINVAL;
	if (!netcfg_line(&p, end, "confirm_s", v, sizeof(v)) ||
	    !netcfg_u32(v, &out->nr_confirm_s) || p != end)
		return CB_EINVAL;
	return netcfg_validate(out, &why);
}

int
netcfg_state_format(const struct netcfg_state *s, char *out, size_t size)
{
	int n = snprintf(out, size, "id=%" PRIu32 "\nphase=%s\n"
	    "deadline_ms=%" PRId64 "\nmessage=%s\n", s->ns_id,
	    netcfg_phase_name(s->ns_phase), s->ns_deadline_ms, s->ns_message);

	return n > 0 && (size_t)n < size ? CB_OK : CB_ETOOBIG;
}

int
netcfg_state_parse(const char *buf, size_t len, struct netcfg_state *out)
{
	const char *p = buf, *end = buf + len;
	char v[NETCFG_MESSAGE_MAX];
	size_t i;

	memset(out, 0, sizeof(*out));
	if (len > NETCFG_FILE_MAX || !netcfg_line(&p, end, "id", v, sizeof(v)) ||
	    !netcfg_u32(v, &out->ns_id) ||
	    !netcfg_line(&p, end, "phase", v, sizeof(v)))
		return CB_EINVAL;
	for (i = 0; i < CB_ARRAY_LEN(netcfg_phases); i++)
		if (strcmp(v, netcfg_phases[i]) == 0)
			break;
	if (i == CB_ARRAY_LEN(netcfg_phases) ||
	    !netcfg_line(&p, end, "deadline_ms", v, sizeof(v)))
		return CB_EINVAL;
	out->ns_phase = (enum netcfg_phase)i;
	out->ns_deadline_ms = strtoll(v, NULL, 10);
	if (!netcfg_line(&p, end, "message", out->ns_message,
	    sizeof(out->ns_message)) || p != end)
		return CB_EINVAL;
	return CB_OK;
}
