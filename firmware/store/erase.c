/*
 * erase.c: markers and file wiping for termination (erase.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cb.h"
#include "base/file.h"
#include "store/erase.h"

#define ERASE_CHUNK	65536

int
erase_marked(const char *dir)
{
	char p[PATH_MAX];

	if (cb_path_join(p, sizeof(p), dir, ERASE_MARKER) != CB_OK)
		return 0;
	return access(p, F_OK) == 0;
}

int
erase_mark(const char *dir, const char *text)
{
	char p[PATH_MAX];
	size_t n = strlen(text);

	if (n > ERASE_MARKER_MAX)
		return CB_ETOOBIG;
	if (cb_path_join(p, sizeof(p), dir, ERASE_MARKER) != CB_OK)
		return CB_ETOOBIG;
	return cb_write_file_atomic(p, text, n, 0600);
}

/* Zeros over the whole file, then fsync: the blocks on a plain disk no
 * longer hold the old bytes (flash may keep copies; see docs/store.md). */
static int
erase_overwrite(int fd, off_t size)
{
	static const char zero[ERASE_CHUNK];
	off_t done = 0;

	while (done < size) {
		size_t n = size - done < ERASE_CHUNK ? (size_t)(size - done) :
		    ERASE_CHUNK;
		ssize_t w = pwrite(fd, zero, n, done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return CB_EIO;
		done += w;
	}
	return fsync(fd) == 0 ? CB_OK : CB_EIO;
}

int
erase_file(const char *path)
{
	struct stat sb;
	int fd, rc;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return CB_OK;
		log_err("erase: cannot open %s: %s", path, strerror(errno));
		return CB_EIO;
	}
	rc = fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ? CB_EIO :
	    erase_overwrite(fd, sb.st_size);
	close(fd);
	if (rc == CB_OK && unlink(path) != 0 && errno != ENOENT)
		rc = CB_EIO;
	if (rc == CB_OK)
		rc = cb_fsync_dir_of(path);
	if (rc != CB_OK)
		log_err("erase: %s is not fully erased; run it again", path);
	return rc;
}

int
erase_files(const char *dir, const char *const *names)
{
	char p[PATH_MAX];
	int rc = CB_OK, r;

	for (size_t i = 0; names[i] != NULL; i++) {
		if (cb_path_join(p, sizeof(p), dir, names[i]) != CB_OK)
			r = CB_ETOOBIG;
		else
			r = erase_file(p);
		if (rc == CB_OK)
			rc = r;
	}
	return rc;
}
