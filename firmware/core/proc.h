/*
 * proc.h: process-level helpers: dropping privileges, directories with the
 * right owner and mode, signals.
 */
#ifndef PROC_H
#define PROC_H

#include <sys/types.h>

/* Become uid/gid for good (groups cleared). Verifies that root cannot be
 * regained. A no-op returning 0 when uid is (uid_t)-1. */
int cb_drop_privileges(uid_t uid, gid_t gid);

/* Create dir (and parents) if missing; then set mode and, when running as
 * root and uid != (uid_t)-1, the owner. */
int cb_make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid);

/* Write all of buf to path atomically: temp file, fsync, rename, fsync of
 * the directory. mode applies to the new file. */
int cb_write_file_atomic(const char *path, const void *buf, size_t len,
    mode_t mode);

/* All of the regular file open on fd into *buf (malloc'd, NUL-terminated,
 * *len bytes); fd stays open. CB_EINVAL: not a regular file; CB_ETOOBIG:
 * larger than max; CB_EIO: it changed while read. */
int cb_read_fd_whole(int fd, size_t max, char **buf, size_t *len);

/* out = a "/" b; CB_ETOOBIG when it does not fit. */
int cb_path_join(char *out, size_t size, const char *a, const char *b);

#endif
