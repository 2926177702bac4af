/*
 * mdns.c: `classbox mdns`, the Multicast DNS responder (net/mdns.c) for
 * the box's name on its LAN interface.
 *
 * Its own process and its own user, holding nothing: it reads packets
 * that anyone on the LAN may send, so a flaw in it must not reach the TLS
 * key or the classroom store (web's) or password hashes (auth's). It needs
 * no privilege at all (UDP 5353 is above 1024, joining a group is free);
 * started as root it drops to --uid before reading a packet.
 *
 * It writes the name it holds ("NAME.local", or "NAME-2.local" after a
 * conflict) to --state, for web (certificate names) and the console.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "base/cb.h"
#include "base/file.h"
#include "base/proc.h"
#include "net/mdns.h"
#include "net/netif.h"

#define MDNSD_ADDR_POLL_MS	2000	/* look for address changes */
#define MDNSD_GROUP4		"224.0.0.251"
#define MDNSD_GROUP6		"ff02::fb"

struct mdnsd {
	const char *iface, *state_path;
	char name[MDNS_LABEL_MAX + 1];
	uid_t uid;
	gid_t gid;
	int fd4, fd6;
	struct netif_addrs na;
	struct mdns *m;
	struct mdns_out out;
	char written[MDNS_NAME_MAX];	/* the name last written to state */
	uint8_t pkt[DNS_PACKET_MAX];	/* the packet being received */
};

static volatile sig_atomic_t mdnsd_stop;

static void
mdnsd_on_signal(int sig)
{
	mdnsd_stop = sig;
}

static int
mdnsd_parse(int argc, char **argv, struct mdnsd *d)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "state", required_argument, NULL, 's' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL;
	int c;

	d->iface = "eth0";
	d->uid = (uid_t)-1;
	d->gid = (gid_t)-1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': d->iface = optarg; break;
		case 'n': name = optarg; break;
		case 's': d->state_path = optarg; break;
		case 'u': d->uid = (uid_t)strtoul(optarg, NULL, 10); break;
		case 'g': d->gid = (gid_t)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: classbox mdns [--iface IF] "
			    "[--name LABEL] [--state FILE] [--uid N --gid N]\n");
			return CB_EINVAL;
		}
	}
	if (d->uid != (uid_t)-1 && d->gid == (gid_t)-1)
		d->gid = (gid_t)d->uid;
	if (name == NULL || name[0] == '\0') {
		if (netif_default_hostname(d->iface, d->name,
		    sizeof(d->name)) != CB_OK) {
			fprintf(stderr, "classbox mdns: %s has no MAC address; "
			    "give --name\n", d->iface);
			return CB_EINVAL;
		}
	} else if (cb_strlcpy(d->name, name, sizeof(d->name)) != CB_OK ||
	    !mdns_label_ok(d->name)) {
		fprintf(stderr, "classbox mdns: '%s' is not a host name: use "
		    "1-63 of a-z, 0-9 and '-'\n", name);
		return CB_EINVAL;
	}
	return CB_OK;
}

static int
mdnsd_socket4(struct mdnsd *d)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(MDNS_PORT) };
	struct ip_mreqn mr = { .imr_ifindex = (int)d->na.na_ifindex };
	int one = 1, ttl = 255, fd;

	inet_pton(AF_INET, MDNSD_GROUP4, &mr.imr_multiaddr);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))) {
		log_err("mdns: IPv4 socket on %s: %s", d->iface,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
mdnsd_socket6(struct mdnsd *d)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(MDNS_PORT) };
	struct ipv6_mreq mr = { .ipv6mr_interface = d->na.na_ifindex };
	unsigned idx = d->na.na_ifindex;
	int one = 1, hops = 255, fd;

	inet_pton(AF_INET6, MDNSD_GROUP6, &mr.ipv6mr_multiaddr);
	if ((fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx,
	    sizeof(idx)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
	    sizeof(hops)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops,
	    sizeof(hops)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))) {
		log_warn("mdns: no IPv6 on %s (%s); answering over IPv4",
		    d->iface, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void
mdnsd_send(struct mdnsd *d, int fd, const struct sockaddr *to,
    socklen_t tolen)
{
	if (fd < 0 || d->out.mo_len == 0)
		return;
	if (sendto(fd, d->out.mo_buf, d->out.mo_len, 0, to, tolen) == -1 &&
	    errno != EAGAIN)
		log_debug("mdns: send: %s", strerror(errno));
}

/* A timer packet or a multicast answer: to the group, on both families. */
static void
mdnsd_multicast(struct mdnsd *d)
{
	struct sockaddr_in g4 = { .sin_family = AF_INET,
	    .sin_port = htons(MDNS_PORT) };
	struct sockaddr_in6 g6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(MDNS_PORT),
	    .sin6_scope_id = d->na.na_ifindex };

	inet_pton(AF_INET, MDNSD_GROUP4, &g4.sin_addr);
	inet_pton(AF_INET6, MDNSD_GROUP6, &g6.sin6_addr);
	mdnsd_send(d, d->fd4, (struct sockaddr *)&g4, sizeof(g4));
	mdnsd_send(d, d->fd6, (struct sockaddr *)&g6, sizeof(g6));
}

/* The interface a packet came in on, from IP_PKTINFO / IPV6_PKTINFO. */
static unsigned
mdnsd_in_ifindex(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return (unsigned)pi.ipi_ifindex;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return pi.ipi6_ifindex;
		}
	}
	return 0;
}

static void
mdnsd_receive(struct mdnsd *d, int fd)
{
	uint8_t *pkt = d->pkt;
	union { struct cmsghdr h; uint8_t b[256]; } ctl;
	struct sockaddr_storage from;
	struct iovec iov = { pkt, sizeof(d->pkt) };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from),
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
	    .msg_controllen = sizeof(ctl.b) };
	struct mdns_src src = { 0 };
	ssize_t n;

	if ((n = recvmsg(fd, &mh, 0)) <= 0 || (mh.msg_flags & MSG_TRUNC) ||
	    mdnsd_in_ifindex(&mh) != d->na.na_ifindex)
		return;
	if (from.ss_family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&from;
		src.ms_port = ntohs(s->sin_port);
		src.ms_on_link = netif_on_link_v4(&d->na,
		    (const uint8_t *)&s->sin_addr);
	} else if (from.ss_family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&from;
		src.ms_port = ntohs(s->sin6_port);
		src.ms_on_link = netif_on_link_v6(&d->na, s->sin6_addr.s6_addr);
		src.ms_v6 = 1;
	} else
		return;
	mdns_input(d->m, pkt, (size_t)n, &src, cb_mono_ms(), &d->out);
	if (d->out.mo_len == 0)
		return;
	if (!d->out.mo_unicast) {
		mdnsd_multicast(d);
		return;
	}
	if (from.ss_family == AF_INET)
		((struct sockaddr_in *)&from)->sin_port = htons(d->out.mo_port);
	else
		((struct sockaddr_in6 *)&from)->sin6_port =
		    htons(d->out.mo_port);
	mdnsd_send(d, fd, (struct sockaddr *)&from, mh.msg_namelen);
}

/* The name we hold, for web and the console; empty while probing. */
static void
mdnsd_write_state(struct mdnsd *d)
{
	const char *now = d->m->m_state == MDNS_CLAIMED ? d->m->m_fqdn : "";
	char line[MDNS_NAME_MAX + 1];
	int n;

	if (strcmp(now, d->written) == 0)
		return;
	if (now[0] != '\0')
		log_info("mdns: %s is ours on %s (%zu IPv4, %zu IPv6 "
		    "addresses)", now, d->iface, d->na.na_a.ma_n4,
		    d->na.na_a.ma_n6);
	else if (strcmp(d->m->m_label, d->name) != 0)
		log_warn("mdns: %s.local is in use by another host; trying "
		    "%s", d->name, d->m->m_fqdn);
	snprintf(d->written, sizeof(d->written), "%s", now);
	if (d->state_path == NULL)
		return;
	n = snprintf(line, sizeof(line), "%s\n", now);
	if (cb_write_file_atomic(d->state_path, line, (size_t)n, 0644) !=
	    CB_OK)
		log_warn("mdns: cannot write %s", d->state_path);
}

static void
mdnsd_refresh_addrs(struct mdnsd *d, int64_t now)
{
	struct netif_addrs na;

	if (netif_addrs(d->iface, &na) != CB_OK ||
	    na.na_ifindex != d->na.na_ifindex)
		return;
	if (memcmp(&na.na_a, &d->na.na_a, sizeof(na.na_a)) != 0)
		log_info("mdns: the addresses of %s changed; announcing",
		    d->iface);
	d->na = na;
	mdns_set_addrs(d->m, &na.na_a, now);
}

static void
mdnsd_run(struct mdnsd *d)
{
	int64_t next_poll = cb_mono_ms() + MDNSD_ADDR_POLL_MS;

	while (!mdnsd_stop) {
		struct pollfd pf[2] = { { d->fd4, POLLIN, 0 },
		    { d->fd6, POLLIN, 0 } };
		int64_t now = cb_mono_ms(), wake = mdns_next(d->m);
		if (wake > next_poll)
			wake = next_poll;
		int timeout = wake <= now ? 0 : (int)(wake - now);
		if (poll(pf, 2, timeout) == -1 && errno != EINTR)
			fatalx("mdns: poll: %s", strerror(errno));
		for (int i = 0; i < 2; i++)
			if (pf[i].fd >= 0 && (pf[i].revents & POLLIN))
				mdnsd_receive(d, pf[i].fd);
		now = cb_mono_ms();
		if (now >= next_poll) {
			mdnsd_refresh_addrs(d, now);
			next_poll = now + MDNSD_ADDR_POLL_MS;
		}
		mdns_tick(d->m, now, &d->out);
		mdnsd_multicast(d);
		mdnsd_write_state(d);
	}
	mdns_goodbye(d->m, &d->out);
	mdnsd_multicast(d);
}

int
cmd_mdns(int argc, char **argv)
{
	struct mdnsd d;
	uint32_t seed;

	memset(&d, 0, sizeof(d));
	cb_log_init("mdns");
	if (mdnsd_parse(argc, argv, &d) != CB_OK)
		return 2;
	if (netif_addrs(d.iface, &d.na) != CB_OK) {
		fprintf(stderr, "classbox mdns: no interface %s\n", d.iface);
		return 1;
	}
	d.fd4 = mdnsd_socket4(&d);
	d.fd6 = mdnsd_socket6(&d);
	if (d.fd4 < 0 && d.fd6 < 0)
		return 1;
	if (cb_drop_privileges(d.uid, d.gid) != CB_OK)
		return 1;
	if ((d.m = calloc(1, sizeof(*d.m))) == NULL || cb_random(&seed,
	    sizeof(seed)) != CB_OK ||
	    mdns_init(d.m, d.name, &d.na.na_a, cb_mono_ms(), seed) != CB_OK)
		fatalx("mdns: cannot start");
	signal(SIGTERM, mdnsd_on_signal);
	signal(SIGINT, mdnsd_on_signal);
	log_info("mdns: probing for %s on %s", d.m->m_fqdn, d.iface);
	mdnsd_write_state(&d);
	mdnsd_run(&d);
	log_info("mdns: stopping; said goodbye for %s", d.m->m_fqdn);
	free(d.m);
	return 0;
}
