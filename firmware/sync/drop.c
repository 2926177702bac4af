/*
 * drop.c: the enrollment's way from web to sync (drop.h), and the checks
 * and steps `classbox enroll` and sync share.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yyjson.h>

#include "base/cb.h"
#include "base/file.h"
#include "net/cert.h"
#include "net/tlscli.h"
#include "sync/drop.h"
#include "sync/proxy.h"
#include "sync/status.h"

/* The server certificate and key, checked as an admin's upload is. */
static int
enroll_check_server(struct enroll *e, char *err, size_t errsize)
{
	const char *why = NULL;
	int rc;

	if (e->en_server_cert_pem == NULL)
		return CB_OK;
	rc = cert_upload_check(e->en_server_cert_pem, e->en_server_key_pem,
	    cb_now_ms() / 1000, &why);
	if (rc == CB_OK)
		return CB_OK;
	snprintf(err, errsize, "enrollment: \"%s\": %s", why != NULL &&
	    strstr(why, "key") != NULL ? "server_key_pem" : "server_cert_pem",
	    why != NULL ? why : "the server certificate cannot be checked");
	enroll_free(e);
	return rc == CB_EINVAL ? rc : CB_ENOMEM;
}

int
enroll_check(const char *buf, size_t len, struct enroll *e, char *err,
    size_t errsize)
{
	struct tlscli_err te;
	struct tlscli *tls;
	int rc;

	if ((rc = enroll_parse(buf, len, e, err, errsize)) != CB_OK)
		return rc;
	struct tlscli_config tc = { .tc_ca_pem = e->en_ca_pem,
	    .tc_cert_pem = e->en_cert_pem, .tc_key_pem = e->en_key_pem };
	if ((rc = tlscli_new(&tls, &tc, &te)) != CB_OK) {
		snprintf(err, errsize, "enrollment: %s", te.te_msg);
		enroll_free(e);
		return rc == CB_ENOMEM ? rc : CB_EINVAL;
	}
	tlscli_free(tls);
	return enroll_check_server(e, err, errsize);
}

void
enroll_err_field(const char *err, char *field, size_t size)
{
	const char *b = strchr(err, '"'), *e = b ? strchr(b + 1, '"') : NULL;
	const char *f = "";

	if (b != NULL && e != NULL && (size_t)(e - b - 1) < size) {
		memcpy(field, b + 1, (size_t)(e - b - 1));
		field[e - b - 1] = '\0';
		return;
	}
	if (strstr(err, "client key") != NULL)
		f = "client_key_pem";
	else if (strstr(err, "client certificate") != NULL)
		f = "client_cert_pem";
	else if (strstr(err, "CA certificate") != NULL)
		f = "ca_pem";
	else if (strstr(err, "proxy") != NULL)
		f = "proxy";
	snprintf(field, size, "%s", f);
}

/* Write buf into drop_dir as name, through the temporary name tmpname:
 * a write cut short leaves only tmpname, which sync never takes. A stale
 * tmpname is ours to replace (web may unlink in the drop directory, never
 * list it); and since web may not read the directory, the rename is not
 * followed by the directory's fsync (sync takes the file within seconds). */
static int
drop_put(const char *drop_dir, const char *tmpname, const char *name,
    const char *buf, size_t len)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int rc;

	if (cb_path_join(tmp, sizeof(tmp), drop_dir, tmpname) ||
	    cb_path_join(dst, sizeof(dst), drop_dir, name))
		return CB_ETOOBIG;
	rc = cb_file_put(dst, tmp, buf, len, ENROLL_DROP_MODE,
	    CB_ATOMIC_NO_DIRSYNC);
	/* No drop directory, or not ours: sync is not set up to take it. */
	return rc == CB_EIO && (errno == ENOENT || errno == EACCES) ?
	    CB_EUNAVAIL : rc;
}

int
enroll_drop_put(const char *drop_dir, const char *buf, size_t len,
    int replace)
{
	if (len > ENROLL_MAX_BYTES)
		return CB_ETOOBIG;
	return drop_put(drop_dir, ENROLL_DROP_TMP, replace ?
	    ENROLL_DROP_REPLACE : ENROLL_DROP_NEW, buf, len);
}

int
proxy_drop_put(const char *drop_dir, const char *buf, size_t len)
{
	if (len > PROXY_SETTING_MAX)
		return CB_ETOOBIG;
	return drop_put(drop_dir, PROXY_DROP_TMP, PROXY_DROP, buf, len);
}

int
enroll_read_fd(int fd, char **buf, size_t *len)
{
	ssize_t n;

	*len = 0;
	if ((*buf = malloc(ENROLL_MAX_BYTES + 1)) == NULL) {
		close(fd);
		return CB_ENOMEM;
	}
	while (*len <= ENROLL_MAX_BYTES && (n = read(fd, *buf + *len,
	    ENROLL_MAX_BYTES + 1 - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	return CB_OK;
}

/* Open one drop of at most max bytes and remove it, whatever it holds:
 * the open descriptor, or CB_ENOTFOUND, or CB_EINVAL (with why). */
static int
drop_open(const char *path, size_t max, const char *what, int *out,
    char *why, size_t whysize)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	*out = -1;
	if (fd < 0 && errno == ENOENT)
		return CB_ENOTFOUND;
	(void)unlink(path);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 0 || (size_t)st.st_size > max) {
		/* Unlinked above: a plain drop now has no link left. A
		 * symlink, a device, a second name of another file or an
		 * oversized file is refused unread. */
		snprintf(why, whysize, "the %s was not a plain file of at "
		    "most %zu bytes", what, max);
		if (fd >= 0)
			close(fd);
		return CB_EINVAL;
	}
	*out = fd;
	return CB_OK;
}

/* Read one enrollment drop; it is removed whatever it held. */
static int
drop_read(const char *path, char **buf, size_t *len, char *why,
    size_t whysize)
{
	int fd, rc;

	*buf = NULL;
	*len = 0;
	if ((rc = drop_open(path, ENROLL_MAX_BYTES, "uploaded enrollment",
	    &fd, why, whysize)) != CB_OK)
		return rc;
	return enroll_read_fd(fd, buf, len);
}

int
proxy_drop_take(const char *drop_dir, char *buf, size_t size, size_t *len,
    char *why, size_t whysize)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, rc;

	why[0] = '\0';
	*len = 0;
	if (cb_path_join(path, sizeof(path), drop_dir, PROXY_DROP))
		return CB_ETOOBIG;
	if ((rc = drop_open(path, size, "proxy setting", &fd, why,
	    whysize)) != CB_OK)
		return rc;
	while (*len < size && (n = read(fd, buf + *len, size - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	return CB_OK;
}

int
enroll_drop_take(const char *drop_dir, char **buf, size_t *len,
    int *replace, char *why, size_t whysize)
{
	char path[PATH_MAX];
	int rc;

	why[0] = '\0';
	*replace = 1;
	if (cb_path_join(path, sizeof(path), drop_dir, ENROLL_DROP_REPLACE))
		return CB_ETOOBIG;
	if ((rc = drop_read(path, buf, len, why, whysize)) != CB_ENOTFOUND)
		return rc;
	*replace = 0;
	if (cb_path_join(path, sizeof(path), drop_dir, ENROLL_DROP_NEW))
		return CB_ETOOBIG;
	return drop_read(path, buf, len, why, whysize);
}

int
enroll_without_server(const char *buf, size_t len, char **out, size_t *olen)
{
	yyjson_doc *d = yyjson_read(buf, len, 0);
	yyjson_val *root = d ? yyjson_doc_get_root(d) : NULL;
	yyjson_mut_doc *m;
	yyjson_mut_val *mroot;

	*out = NULL;
	if (!yyjson_is_obj(root) || (yyjson_obj_get(root, "server_cert_pem") ==
	    NULL && yyjson_obj_get(root, "server_key_pem") == NULL)) {
		yyjson_doc_free(d);
		return root == NULL ? CB_EINVAL : CB_OK;
	}
	m = yyjson_doc_mut_copy(d, NULL);
	yyjson_doc_free(d);
	if (m == NULL || (mroot = yyjson_mut_doc_get_root(m)) == NULL) {
		yyjson_mut_doc_free(m);
		return CB_ENOMEM;
	}
	(void)yyjson_mut_obj_remove_key(mroot, "server_cert_pem");
	(void)yyjson_mut_obj_remove_key(mroot, "server_key_pem");
	*out = yyjson_mut_write(m, YYJSON_WRITE_PRETTY, olen);
	yyjson_mut_doc_free(m);
	return *out == NULL ? CB_ENOMEM : CB_OK;
}

int
enroll_install(const char *data, const char *buf, size_t len, uid_t uid)
{
	char out[PATH_MAX], *kept;
	size_t klen;
	int rc;

	if (cb_path_join(out, sizeof(out), data, SYNC_ENROLL_PATH) != CB_OK)
		return CB_ETOOBIG;
	if ((rc = enroll_without_server(buf, len, &kept, &klen)) != CB_OK)
		return rc;
	rc = cb_write_file_atomic(out, kept ? kept : buf, kept ? klen : len,
	    0600);
	if (kept != NULL) {
		cb_wipe(kept, klen);
		free(kept);
	}
	if (rc != CB_OK)
		return CB_EIO;
	if (uid != (uid_t)-1 && geteuid() == 0 && chown(out, uid, uid) != 0)
		return CB_EIO;
	return CB_OK;
}
