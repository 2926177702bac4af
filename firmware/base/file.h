/*
 * file.h: files written so that a power cut leaves the old contents or the
 * new, never a part; whole reads; paths.
 *
 * An atomic write is: a fresh temporary file beside the target (O_CREAT |
 * O_EXCL | O_NOFOLLOW, so nobody's planted file or link is reused), all of
 * the bytes, fchmod to the exact mode (no umask surprise), fsync, close,
 * rename over the target, fsync of the directory so the rename itself is
 * durable. On any failure the temporary file is removed, the target is
 * untouched and errno tells why.
 */
#ifndef CB_FILE_H
#define CB_FILE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/* Flags of cb_atomic_open. */
#define CB_ATOMIC_NO_DIRSYNC	1u	/* rename without the directory's
					 * fsync: the writer may not read the
					 * directory (sync's drop box) */
#define CB_ATOMIC_NO_SYNC	2u	/* atomic but not durable: a file
					 * under /run, which no reboot keeps */

/* An atomic write in progress: write a_fd, then commit or abort. */
struct cb_atomic {
	char a_path[PATH_MAX];
	char a_tmp[PATH_MAX];
	int a_fd;
	mode_t a_mode;
	unsigned a_flags;
};

/* All len bytes of buf to fd, through short writes and EINTR. CB_EIO with
 * errno set otherwise (ENOSPC when a write wrote nothing). */
int cb_write_all(int fd, const void *buf, size_t len);

/* fsync the directory dir, so that a create, rename or unlink in it
 * survives a power cut. CB_EIO with errno set otherwise. */
int cb_fsync_dir(const char *dir);

/* cb_fsync_dir of the directory that holds path ("." without a slash). */
int cb_fsync_dir_of(const char *path);

/* Start writing path atomically through tmp (NULL: path ".tmp"); a stale
 * tmp left by a crash is removed first. mode is the new file's. a->a_fd is
 * open for writing. CB_ETOOBIG: a name too long; CB_EIO, errno set. */
int cb_atomic_open(struct cb_atomic *a, const char *path, const char *tmp,
    mode_t mode, unsigned flags);

/* Flush, close and rename into place (see above). CB_EIO with errno set
 * when any step failed; then the target is untouched. */
int cb_atomic_commit(struct cb_atomic *a);

/* Give up: close and remove the temporary file. errno is kept. */
void cb_atomic_abort(struct cb_atomic *a);

/* The whole atomic write of buf to path: cb_atomic_open (tmp and flags as
 * there), all the bytes, cb_atomic_commit. Silent; errno tells why. */
int cb_file_put(const char *path, const char *tmp, const void *buf,
    size_t len, mode_t mode, unsigned flags);

/* cb_file_put through path ".tmp"; a failure is logged with the path. */
int cb_write_file_atomic(const char *path, const void *buf, size_t len,
    mode_t mode);

/* All of the regular file open on fd into *buf (malloc'd, NUL-terminated,
 * *len bytes); fd stays open. CB_EINVAL: not a regular file; CB_ETOOBIG:
 * larger than max; CB_EIO: it changed while read. */
int cb_read_fd_whole(int fd, size_t max, char **buf, size_t *len);

/* out = a "/" b; CB_ETOOBIG when it does not fit. */
int cb_path_join(char *out, size_t size, const char *a, const char *b);

#endif
