/*
 * netif.c: interface addresses (getifaddrs) and the MAC-derived name.
 */
#include <sys/socket.h>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "base/cb.h"
#include "net/netif.h"

#define NETIF_SYS_MAC	"/sys/class/net/%s/address"

static int
netif_plen(const uint8_t *mask, size_t n)
{
	int bits = 0;

	for (size_t i = 0; i < n; i++)
		for (int b = 7; b >= 0 && (mask[i] >> b & 1); b--)
			bits++;
	return bits;
}

static void
netif_add(struct netif_addrs *out, const struct ifaddrs *ifa)
{
	struct mdns_addrs *a = &out->na_a;

	if (ifa->ifa_addr->sa_family == AF_INET &&
	    a->ma_n4 < MDNS_ADDRS_MAX) {
		const struct sockaddr_in *s = (const void *)ifa->ifa_addr;
		const struct sockaddr_in *k = (const void *)ifa->ifa_netmask;
		memcpy(a->ma_v4[a->ma_n4], &s->sin_addr, 4);
		out->na_plen4[a->ma_n4++] = (uint8_t)(k ? netif_plen(
		    (const uint8_t *)&k->sin_addr, 4) : 32);
	} else if (ifa->ifa_addr->sa_family == AF_INET6 &&
	    a->ma_n6 < MDNS_ADDRS_MAX) {
		const struct sockaddr_in6 *s = (const void *)ifa->ifa_addr;
		const struct sockaddr_in6 *k = (const void *)ifa->ifa_netmask;
		const uint8_t *b = s->sin6_addr.s6_addr;
		if ((b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
		    IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
			return;
		memcpy(a->ma_v6[a->ma_n6], b, 16);
		out->na_plen6[a->ma_n6++] = (uint8_t)(k ? netif_plen(
		    k->sin6_addr.s6_addr, 16) : 128);
	}
}

int
netif_addrs(const char *iface, struct netif_addrs *out)
{
	struct ifaddrs *list, *ifa;

	memset(out, 0, sizeof(*out));
	if ((out->na_ifindex = if_nametoindex(iface)) == 0)
		return CB_ENOTFOUND;
	if (getifaddrs(&list) != 0)
		return CB_EIO;
	for (ifa = list; ifa != NULL; ifa = ifa->ifa_next)
		if (ifa->ifa_addr != NULL && strcmp(ifa->ifa_name, iface) == 0)
			netif_add(out, ifa);
	freeifaddrs(list);
	return CB_OK;
}

static int
netif_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return 0;
	return rest == 0 ||
	    ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int
netif_on_link_v4(const struct netif_addrs *na, const uint8_t a[4])
{
	for (size_t i = 0; i < na->na_a.ma_n4; i++)
		if (netif_prefix_eq(a, na->na_a.ma_v4[i], na->na_plen4[i]))
			return 1;
	return 0;
}

int
netif_on_link_v6(const struct netif_addrs *na, const uint8_t a[16])
{
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return 1;
	for (size_t i = 0; i < na->na_a.ma_n6; i++)
		if (netif_prefix_eq(a, na->na_a.ma_v6[i], na->na_plen6[i]))
			return 1;
	return 0;
}

int
netif_default_hostname(const char *iface, char *out, size_t size)
{
	char path[64], mac[32];
	unsigned b[6];
	FILE *f;
	int ok;

	if (snprintf(path, sizeof(path), NETIF_SYS_MAC, iface) >=
	    (int)sizeof(path) || (f = fopen(path, "re")) == NULL)
		return CB_ENOTFOUND;
	ok = fgets(mac, sizeof(mac), f) != NULL &&
	    sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5]) == 6;
	fclose(f);
	if (!ok || (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0)
		return CB_ENOTFOUND;
	if (snprintf(out, size, NETIF_HOSTNAME_PREFIX "%02x%02x", b[4],
	    b[5]) >= (int)size)
		return CB_ETOOBIG;
	return CB_OK;
}
