/*
 * sockaddr.h: numeric socket addresses, for the few places that bind or
 * connect to an address from config (web's --bind, run's and updated's
 * checks that web is up). No name lookups: these are addresses.
 */
#ifndef NET_SOCKADDR_H
#define NET_SOCKADDR_H

#include <sys/socket.h>

/* addr ("192.0.2.1", "fd00::1" or "[fd00::1]") and port into ss and
 * len; CB_EINVAL when addr is not a numeric IPv4 or IPv6 address. */
int sa_parse(const char *addr, int port, struct sockaddr_storage *ss,
    socklen_t *len);

/* Where a client on the box reaches a server bound to bind: bind itself,
 * or the IPv4 loopback for a wildcard ("", "0.0.0.0", "::", "[::]"; web
 * clears IPV6_V6ONLY, so "::" takes IPv4 too) and for "localhost" (web
 * serves 127.0.0.1 and ::1, http_listen_all). */
const char *sa_local_for_bind(const char *bind);

/* A blocking TCP connection to addr port (timeout_ms for connect, send
 * and receive; 0: the kernel's); -1 with errno set when it fails. */
int sa_connect(const char *addr, int port, int timeout_ms);

#endif
