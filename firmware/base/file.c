/*
 * file.c: durable file writes, whole reads and paths (see file.h).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cb.h"
#include "base/file.h"

int
cb_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	assert(fd >= 0 && (buf != NULL || len == 0));
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)	/* nothing written: no room */
				errno = ENOSPC;
			return CB_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return CB_OK;
}

int
cb_fsync_dir(const char *dir)
{
	int fd, rc, e;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return CB_EIO;
	rc = fsync(fd) == 0 ? CB_OK : CB_EIO;
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

int
cb_fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (cb_strlcpy(dir, path, sizeof(dir)) != CB_OK) {
		errno = ENAMETOOLONG;
		return CB_ETOOBIG;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		return cb_fsync_dir(".");
	slash[slash == dir] = '\0';	/* "/x" -> "/" */
	return cb_fsync_dir(dir);
}

int
cb_atomic_open(struct cb_atomic *a, const char *path, const char *tmp,
    mode_t mode, unsigned flags)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->a_fd = -1;
	a->a_mode = mode;
	a->a_flags = flags;
	n = tmp ? snprintf(a->a_tmp, sizeof(a->a_tmp), "%s", tmp) :
	    snprintf(a->a_tmp, sizeof(a->a_tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(a->a_tmp) ||
	    cb_strlcpy(a->a_path, path, sizeof(a->a_path)) != CB_OK) {
		errno = ENAMETOOLONG;
		return CB_ETOOBIG;
	}
	assert(strcmp(a->a_tmp, a->a_path) != 0);
	(void)unlink(a->a_tmp);	/* left by a crash during an earlier write */
	a->a_fd = open(a->a_tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode);
	return a->a_fd == -1 ? CB_EIO : CB_OK;
}

void
cb_atomic_abort(struct cb_atomic *a)
{
	int e = errno;

	if (a->a_fd != -1)
		close(a->a_fd);
	a->a_fd = -1;
	if (a->a_tmp[0] != '\0')
		(void)unlink(a->a_tmp);
	errno = e;
}

int
cb_atomic_commit(struct cb_atomic *a)
{
	int fd = a->a_fd, sync = !(a->a_flags & CB_ATOMIC_NO_SYNC);

	assert(fd >= 0);
	if (fchmod(fd, a->a_mode) != 0 || (sync && fsync(fd) != 0)) {
		cb_atomic_abort(a);
		return CB_EIO;
	}
	a->a_fd = -1;
	if (close(fd) != 0 || rename(a->a_tmp, a->a_path) != 0) {
		cb_atomic_abort(a);
		return CB_EIO;
	}
	if (!sync || (a->a_flags & CB_ATOMIC_NO_DIRSYNC))
		return CB_OK;
	/* In place already; only its durability is in doubt. */
	return cb_fsync_dir_of(a->a_path) == CB_OK ? CB_OK : CB_EIO;
}

int
cb_file_put(const char *path, const char *tmp, const void *buf, size_t len,
    mode_t mode, unsigned flags)
{
	struct cb_atomic a;
	int rc;

	if ((rc = cb_atomic_open(&a, path, tmp, mode, flags)) != CB_OK)
		return rc;
	if ((rc = cb_write_all(a.a_fd, buf, len)) != CB_OK) {
		cb_atomic_abort(&a);
		return rc;
	}
	return cb_atomic_commit(&a);
}

int
cb_write_file_atomic(const char *path, const void *buf, size_t len,
    mode_t mode)
{
	int rc = cb_file_put(path, NULL, buf, len, mode, 0);

	if (rc == CB_EIO)
		log_err("cannot write %s: %s", path, strerror(errno));
	return rc;
}

int
cb_read_fd_whole(int fd, size_t max, char **buf, size_t *len)
{
	struct stat sb;
	size_t got = 0;
	ssize_t n;
	char *b;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		return CB_EINVAL;
	if ((uint64_t)sb.st_size > max)
		return CB_ETOOBIG;
	if ((b = malloc((size_t)sb.st_size + 1)) == NULL)
		return CB_ENOMEM;
	while (got < (size_t)sb.st_size) {
		n = read(fd, b + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)sb.st_size) {
		free(b);
		return CB_EIO;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return CB_OK;
}

int
cb_path_join(char *out, size_t size, const char *a, const char *b)
{
	int n = snprintf(out, size, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= size) {
		log_err("path too long: %s/%s", a, b);
		return CB_ETOOBIG;
	}
	return CB_OK;
}
