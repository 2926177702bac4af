/*
 * io.c: the TPM's transport, a character device or a unix socket.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cb.h"
#include "tpm/io.h"
#include "tpm/wire.h"

static int
open_socket(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (cb_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) != 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
tpm_io_open(struct tpm_io *io, const char *path)
{
	struct stat st;

	io->ti_fd = -1;
	io->ti_stream = 0;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? CB_ENOTFOUND : CB_EIO;
	if (S_ISSOCK(st.st_mode)) {
		io->ti_stream = 1;
		io->ti_fd = open_socket(path);
	} else if (S_ISCHR(st.st_mode))
		io->ti_fd = open(path, O_RDWR | O_CLOEXEC);
	else
		return CB_EINVAL;
	if (io->ti_fd < 0)
		return errno == EACCES || errno == EPERM ? CB_EPERM : CB_EIO;
	return CB_OK;
}

void
tpm_io_close(struct tpm_io *io)
{
	if (io->ti_fd >= 0)
		close(io->ti_fd);
	io->ti_fd = -1;
}

/* A socket's peer may be gone (swtpm stopped): no SIGPIPE, an error. */
static int
write_all(int fd, int stream, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = stream ? send(fd, p, len, MSG_NOSIGNAL) :
		    write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return CB_EIO;
		p += n;
		len -= (size_t)n;
	}
	return CB_OK;
}

/* Exactly len bytes from a socket, within TPM_TIMEOUT_MS for each read. */
static int
read_full(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int r = poll(&pfd, 1, TPM_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return CB_EIO;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return CB_EIO;
		p += n;
		len -= (size_t)n;
	}
	return CB_OK;
}

static uint32_t
size_field(const uint8_t *h)
{
	return (uint32_t)h[2] << 24 | (uint32_t)h[3] << 16 |
	    (uint32_t)h[4] << 8 | h[5];
}

int
tpm_io_xfer(struct tpm_io *io, const uint8_t *cmd, size_t cmd_len,
    uint8_t *rsp, size_t cap, size_t *len)
{
	ssize_t n;
	uint32_t size;

	assert(cap >= TPM_HEADER_LEN && cmd_len >= TPM_HEADER_LEN);
	*len = 0;
	if (io->ti_fd < 0 ||
	    write_all(io->ti_fd, io->ti_stream, cmd, cmd_len) != 0)
		return CB_EIO;
	if (!io->ti_stream) {
		do
			n = read(io->ti_fd, rsp, cap);
		while (n < 0 && errno == EINTR);
		if (n < TPM_HEADER_LEN)
			return n < 0 ? CB_EIO : CB_EPROTO;
		*len = (size_t)n;
		return CB_OK;
	}
	if (read_full(io->ti_fd, rsp, TPM_HEADER_LEN) != 0)
		return CB_EIO;
	size = size_field(rsp);
	if (size < TPM_HEADER_LEN || size > cap)
		return CB_EPROTO;	/* the stream is lost: the caller closes */
	if (read_full(io->ti_fd, rsp + TPM_HEADER_LEN,
	    size - TPM_HEADER_LEN) != 0)
		return CB_EIO;
	*len = size;
	return CB_OK;
}
