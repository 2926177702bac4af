/*
 * sockaddr.c: numeric socket addresses (sockaddr.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/cb.h"
#include "net/sockaddr.h"

int
sa_parse(const char *addr, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN];
	size_t n = addr ? strlen(addr) : 0;

	memset(ss, 0, sizeof(*ss));
	if (port < 0 || port > 65535 || n == 0)
		return CB_EINVAL;
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return CB_EINVAL;
	memcpy(host, addr, n);
	host[n] = 0;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return CB_OK;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return CB_OK;
	}
	return CB_EINVAL;
}

const char *
sa_local_for_bind(const char *bind)
{
	if (bind == NULL || bind[0] == 0 || strcmp(bind, "0.0.0.0") == 0 ||
	    strcmp(bind, "::") == 0 || strcmp(bind, "[::]") == 0 ||
	    strcmp(bind, "localhost") == 0)
		return "127.0.0.1";
	return bind;
}

int
sa_connect(const char *addr, int port, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, e;

	if (sa_parse(addr, port, &ss, &len) != CB_OK) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if ((timeout_ms > 0 &&
	    (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)) ||
	    connect(fd, (struct sockaddr *)&ss, len) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
