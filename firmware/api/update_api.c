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
 *   GET    /api/v1/update                   received bytes, updated's progress,
 *                                           the boot state, the last outcome
 *
 * The spool is CLASSBOX_UPDATE_SPOOL (default /data/update/spool, 0730
 * root:web: web creates files there but cannot list them). What updated
 * knows (boot state, epoch, the last install's outcome) comes from
 * CLASSBOX_UPDATE_RUN/status (default /run/update/status), which updated
 * (root) writes: web may read neither the ESP nor /data/update.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yyjson.h>

#include "api/api_impl.h"
#include "base/cb.h"

#define UPLOAD_SPOOL_DEFAULT	"/data/update/spool"
#define UPLOAD_PART		"upload.part"
#define UPLOAD_MAX		(256LL * 1024 * 1024 + 65536)	/* a bundle */
#define UPLOAD_RUN_DEFAULT	"/run/update"
#define UPLOAD_PATH_MAX		256
#define STATUS_FILE_MAX		2048	/* updated's status file */
#define STATUS_VALUE_MAX	400	/* one value (last-detail) */

static const char *
upload_spool(void)
{
	const char *s = getenv("CLASSBOX_UPDATE_SPOOL");

	return s != NULL && s[0] == '/' ? s : UPLOAD_SPOOL_DEFAULT;
}

static void
run_path(char *out, size_t size, const char *name)
{
	const char *s = getenv("CLASSBOX_UPDATE_RUN");

	snprintf(out, size, "%s/%s", s != NULL && s[0] == '/' ? s :
	    UPLOAD_RUN_DEFAULT, name);
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

/* The value of "KEY value" in updated's status text, printable ASCII
 * only (a value from a bundle's manifest never breaks the JSON); 0 when
 * the key is absent. */
static int
status_value(const char *text, const char *key, char *out, size_t size)
{
	size_t k = strlen(key), i = 0;

	for (const char *p = text; p != NULL && *p; ) {
		if (strncmp(p, key, k) == 0 && p[k] == ' ') {
			for (p += k + 1; *p && *p != '\n' && i + 1 < size; p++)
				out[i++] = *p >= 0x20 && *p < 0x7f ? *p : '?';
			out[i] = '\0';
			return 1;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	out[0] = '\0';
	return 0;
}

/* key: "A" or "B" from the status, or JSON null. */
static int
add_slot(yyjson_mut_doc *d, yyjson_mut_val *o, const char *key,
    const char *text, const char *skey)
{
	char v[4];

	if (status_value(text, skey, v, sizeof(v)) && (v[0] == 'A' ||
	    v[0] == 'B') && v[1] == '\0')
		return yyjson_mut_obj_add_strcpy(d, o, key, v);
	return yyjson_mut_obj_add_null(d, o, key);
}

static int
add_text(yyjson_mut_doc *d, yyjson_mut_val *o, const char *key,
    const char *text, const char *skey)
{
	char v[STATUS_VALUE_MAX];

	if (!status_value(text, skey, v, sizeof(v)) || strcmp(v, "-") == 0)
		return yyjson_mut_obj_add_null(d, o, key);
	return yyjson_mut_obj_add_strcpy(d, o, key, v);
}

static int
add_int(yyjson_mut_doc *d, yyjson_mut_val *o, const char *key,
    const char *text, const char *skey)
{
	char v[24], *end;
	long long n;

	if (!status_value(text, skey, v, sizeof(v)))
		return yyjson_mut_obj_add_null(d, o, key);
	n = strtoll(v, &end, 10);
	if (end == v || *end != '\0')
		return yyjson_mut_obj_add_null(d, o, key);
	return yyjson_mut_obj_add_int(d, o, key, n);
}

/* The boot state and the last outcome, from updated's status text. */
static int
status_json(yyjson_mut_doc *d, yyjson_mut_val *root, const char *t)
{
	yyjson_mut_val *p, *l;
	char v[8];
	int ok;

	ok = add_slot(d, root, "booted", t, "booted") &&
	    add_text(d, root, "state", t, "state") &&
	    add_slot(d, root, "slot", t, "slot") &&
	    add_int(d, root, "tries", t, "tries") &&
	    add_slot(d, root, "next", t, "next") &&
	    add_int(d, root, "epoch", t, "epoch") &&
	    add_int(d, root, "key_floor", t, "key-floor") &&
	    add_text(d, root, "version", t, "version");
	if (!ok)
		return 0;
	if (status_value(t, "booted", v, sizeof(v)) && (v[0] == 'A' ||
	    v[0] == 'B'))
		ok = yyjson_mut_obj_add_strcpy(d, root, "other",
		    v[0] == 'A' ? "B" : "A");
	else
		ok = yyjson_mut_obj_add_null(d, root, "other");
	if (!ok)
		return 0;
	if (status_value(t, "pending-phase", v, sizeof(v))) {
		if ((p = yyjson_mut_obj_add_obj(d, root, "pending")) == NULL ||
		    !add_text(d, p, "phase", t, "pending-phase") ||
		    !add_text(d, p, "version", t, "pending-version") ||
		    !add_slot(d, p, "slot", t, "pending-slot"))
			return 0;
	} else if (!yyjson_mut_obj_add_null(d, root, "pending"))
		return 0;
	if (!status_value(t, "last-outcome", v, sizeof(v)))
		return yyjson_mut_obj_add_null(d, root, "last");
	if ((l = yyjson_mut_obj_add_obj(d, root, "last")) == NULL)
		return 0;
	return add_text(d, l, "outcome", t, "last-outcome") &&
	    add_text(d, l, "reason", t, "last-reason") &&
	    add_text(d, l, "version", t, "last-version") &&
	    add_slot(d, l, "slot", t, "last-slot") &&
	    yyjson_mut_obj_add_bool(d, l, "resumed",
	    status_value(t, "last-resumed", v, sizeof(v)) &&
	    strcmp(v, "1") == 0) &&
	    add_int(d, l, "time", t, "last-time") &&
	    add_text(d, l, "detail", t, "last-detail");
}

/* The first line (or all, up to size - 1 bytes) of a small file. */
static size_t
read_small(const char *name, char *buf, size_t size)
{
	char p[UPLOAD_PATH_MAX];
	FILE *f;
	size_t n;

	run_path(p, sizeof(p), name);
	buf[0] = '\0';
	if ((f = fopen(p, "r")) == NULL)
		return 0;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

/* updated's progress ("phase done total") and status files. */
int
api_update_status(struct api_req *r)
{
	char line[128], phase[16] = "", *text;
	unsigned long long done = 0, total = 0;
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *root = d != NULL ? yyjson_mut_obj(d) : NULL;
	int ok;

	if (root == NULL || (text = malloc(STATUS_FILE_MAX)) == NULL) {
		yyjson_mut_doc_free(d);
		return api_req_error(r, API_E_BUSY);
	}
	yyjson_mut_doc_set_root(d, root);
	if (read_small("progress", line, sizeof(line)) == 0 ||
	    sscanf(line, "%15[a-z-] %llu %llu", phase, &done, &total) != 3) {
		phase[0] = '\0';
		done = total = 0;
	}
	ok = yyjson_mut_obj_add_int(d, root, "received", upload_size()) &&
	    yyjson_mut_obj_add_strcpy(d, root, "phase", phase) &&
	    yyjson_mut_obj_add_uint(d, root, "done", done) &&
	    yyjson_mut_obj_add_uint(d, root, "total", total);
	/* No status: updated has not run (a host box); say so. */
	if (ok && read_small("status", text, STATUS_FILE_MAX) > 0)
		ok = yyjson_mut_obj_add_bool(d, root, "updated", 1) &&
		    status_json(d, root, text);
	else if (ok)
		ok = yyjson_mut_obj_add_bool(d, root, "updated", 0);
	free(text);
	if (!ok) {
		yyjson_mut_doc_free(d);
		return api_req_error(r, API_E_BUSY);
	}
	return api_req_json(r, 200, d);
}
