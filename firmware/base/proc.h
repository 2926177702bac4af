/*
 * proc.h: process-level helpers: dropping privileges, directories with the
 * right owner and mode. Durable file writes are in file.h.
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

#endif
