/*
 * update_api.c: admins upload an update bundle through web (unprivileged)
 * into the spool that `classbox updated` (root) installs from
 * (docs/update.md). Web never parses the bundle: updated verifies its
 * signature before anything is written. The upload comes in pieces of at
 * most HTTP_MAX_BODY_BYTES (1 MiB, the bundle's chunk size), each at an
 * explicit offset, so a broken upload resumes where it stopped.
 *
 *   PUT    /api/v1/update/upload/{offset}   raw bytes appended at offset
 *   POST   /api/v1/update/upload/done       hand the file to updated
 *   DELETE /api/v1/update/upload            drop a partial upload
 *   GET    /api/v1/update                   received bytes, updated's progress
 *
 * The spool is CLASSBOX_UPDATE_SPOOL (default /data/update/spool, 0730
 * root:web: web creates files there but cannot list them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_impl.h"
#include "core/cb.h"

#define UPLOAD_SPOOL_DEFAULT	"/data/update/spool"
#define UPLOAD_PART		"upload.part"
#define UPLOAD_MAX		(256LL * 1024 * 1024 + 65536)	/* a bundle */
#define UPLOAD_PROGRESS		"/run/update/progress"
#define UPLOAD_PATH_MAX		256

static const char *
upload_spool(void)
{
	const char *s = getenv("CLASSBOX_UPDATE_SPOOL");

	return s != NULL && s[0] == '/' ? s : UPLOAD_SPOOL_DEFAULT;
}

static void
upload_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", upload_spool(), name);
}

/* {"received":N} with the given status. */
static int
upload_reply(struct api_req *r, int status, long long received)
{
	char body[96];
	int n = snprintf(body, sizeof(body), "{\"received\":%lld}", received);

	return api_req_reply(r, status, API_JSON_CTYPE, body, (size_t)n);
}

static long long
upload_size(void)
{
	char p[UPLOAD_PATH_MAX];
	struct stat st;

	upload_path(p, sizeof(p), UPLOAD_PART);
	return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

int
api_update_upload(struct api_req *r)
{
	const struct http_req *q = http_request(r->r_ex);
	char p[UPLOAD_PATH_MAX], *end;
	long long off = strtoll(r->r_arg[0], &end, 10);
	int fd;

	if (*end != '\0' || off < 0 || r->r_arg[0][0] == '\0' ||
	    q->body_len == 0)
		return api_req_error(r, API_E_BAD_REQUEST);
	if (off + (long long)q->body_len > UPLOAD_MAX)
		return api_req_error(r, API_E_TOO_LARGE);
	/* Pieces in order: the offset must be what we have. */
	if (off != upload_size())
		return upload_reply(r, 409, upload_size());
	upload_path(p, sizeof(p), UPLOAD_PART);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		log_err("update upload: cannot open %s: %s (the spool must "
		    "be writable by web)", p, strerror(errno));
		return api_req_error(r, API_E_INTERNAL);
	}
	if (pwrite(fd, q->body, q->body_len, off) != (ssize_t)q->body_len ||
	    fsync(fd) != 0) {
		int full = errno == ENOSPC;

		close(fd);
		return api_req_error(r, full ? API_E_STORAGE_FULL :
		    API_E_INTERNAL);
	}
	close(fd);
	return upload_reply(r, 200, off + (long long)q->body_len);
}

int
api_update_upload_done(struct api_req *r)
{
	char from[UPLOAD_PATH_MAX], to[UPLOAD_PATH_MAX], name[64];
	long long n = upload_size();

	if (n == 0)
		return api_req_error(r, API_E_NOT_FOUND);
	snprintf(name, sizeof(name), "upload-%lld.bundle",
	    (long long)cb_now_ms());
	upload_path(from, sizeof(from), UPLOAD_PART);
	upload_path(to, sizeof(to), name);
	/* Every piece was fsynced; updated picks up only *.bundle. */
	if (rename(from, to) != 0)
		return api_req_error(r, API_E_INTERNAL);
	log_info("update upload: %lld bytes handed to updated by %s", n,
	    r->r_sess.as_user.au_uid);
	return upload_reply(r, 202, n);
}

int
api_update_upload_drop(struct api_req *r)
{
	char p[UPLOAD_PATH_MAX];

	upload_path(p, sizeof(p), UPLOAD_PART);
	if (unlink(p) != 0 && errno != ENOENT)
		return api_req_error(r, API_E_INTERNAL);
	return api_req_reply(r, 204, NULL, NULL, 0);
}

/* updated's progress file: "phase done total". */
int
api_update_status(struct api_req *r)
{
	char line[128] = "", phase[16] = "", body[256];
	unsigned long long done = 0, total = 0;
	FILE *f = fopen(UPLOAD_PROGRESS, "r");
	int n;

	if (f != NULL) {
		if (fgets(line, sizeof(line), f) == NULL ||
		    sscanf(line, "%15[a-z-] %llu %llu", phase, &done,
		    &total) != 3)
			phase[0] = '\0';
		fclose(f);
	}
	n = snprintf(body, sizeof(body), "{\"received\":%lld,"
	    "\"phase\":\"%s\",\"done\":%llu,\"total\":%llu}", upload_size(),
	    phase, done, total);
	return api_req_reply(r, 200, API_JSON_CTYPE, body, (size_t)n);
}
