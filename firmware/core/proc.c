/*
 * proc.c: privileges, directories and durable file writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cb.h"
#include "core/proc.h"

int
cb_drop_privileges(uid_t uid, gid_t gid)
{
	if (uid == (uid_t)-1)
		return CB_OK;
	if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0) {
		log_err("cannot drop privileges to uid %u: %s", (unsigned)uid,
		    strerror(errno));
		return CB_EPERM;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		fatalx("privileges could be regained after dropping them");
	return CB_OK;
}

int
cb_make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	char buf[PATH_MAX];

	if (cb_strlcpy(buf, path, sizeof(buf)) != CB_OK)
		return CB_ETOOBIG;
	/* Create parents one component at a time. */
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		goto fail;
	if (chmod(buf, mode) != 0)
		goto fail;
	if (uid != (uid_t)-1 && geteuid() == 0 && chown(buf, uid, gid) != 0)
		goto fail;
	return CB_OK;
fail:
	log_err("cannot create directory %s: %s", buf, strerror(errno));
	return CB_EIO;
}

static int
cb_fsync_dir_of(const char *path)
{
	char buf[PATH_MAX];
	int fd, rc;

	if (cb_strlcpy(buf, path, sizeof(buf)) != CB_OK)
		return CB_ETOOBIG;
	fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return CB_EIO;
	rc = fsync(fd) == 0 ? CB_OK : CB_EIO;
	close(fd);
	return rc;
}

int
cb_write_file_atomic(const char *path, const void *buf, size_t len,
    mode_t mode)
{
	char tmp[PATH_MAX];
	const char *p = buf;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return CB_ETOOBIG;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail_fd;
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto fail_fd;
	if (close(fd) != 0)
		goto fail;
	if (rename(tmp, path) != 0)
		goto fail;
	return cb_fsync_dir_of(path);
fail_fd:
	close(fd);
fail:
	log_err("cannot write %s: %s", path, strerror(errno));
	(void)unlink(tmp);
	return CB_EIO;
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
