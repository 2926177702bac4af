/*
 * proc.c: privileges and directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cb.h"
#include "base/proc.h"

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
