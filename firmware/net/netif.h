/*
 * netif.h: what classbox needs to know about its LAN interface: its
 * addresses (for mDNS answers and certificate names), whether a peer is
 * on the link, and the default host name from its MAC address.
 */
#ifndef NETIF_H
#define NETIF_H

#include <stddef.h>
#include <stdint.h>

#include "net/mdns.h"

#define NETIF_NAME_MAX		16	/* IFNAMSIZ */
#define NETIF_HOSTNAME_PREFIX	"classbox-"

/* A snapshot of one interface's usable addresses: IPv4, and IPv6 global
 * or unique-local (link-local ones need a scope id no URL or certificate
 * can carry). Prefix lengths are kept for the on-link test. */
struct netif_addrs {
	struct mdns_addrs na_a;
	uint8_t na_plen4[MDNS_ADDRS_MAX], na_plen6[MDNS_ADDRS_MAX];
	unsigned na_ifindex;
};

/* Read iface's addresses; CB_ENOTFOUND when there is no such interface. */
int netif_addrs(const char *iface, struct netif_addrs *out);

/* 1 when the IPv4 address a (4 bytes) is in one of the subnets. */
int netif_on_link_v4(const struct netif_addrs *na, const uint8_t a[4]);
/* 1 when the IPv6 address is link-local or in one of the prefixes. */
int netif_on_link_v6(const struct netif_addrs *na, const uint8_t a[16]);

/* "classbox-" + the last four hex digits of iface's MAC ("classbox-1a2b");
 * CB_ENOTFOUND without a MAC. */
int netif_default_hostname(const char *iface, char *out, size_t size);

#endif
