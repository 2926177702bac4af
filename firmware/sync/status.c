/*
 * status.c (sync): the status file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yyjson.h>

#include "base/cb.h"
#include "base/file.h"
#include "base/utf8.h"
#include "sync/status.h"

int
sync_status_write(const char *path, const struct sync_status *st)
{
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = yyjson_mut_obj(d);
	size_t len;
	char *json;
	int rc = CB_ENOMEM;

	yyjson_mut_doc_set_root(d, o);
	if (yyjson_mut_obj_add_str(d, o, "state", st->st_state) &&
	    yyjson_mut_obj_add_int(d, o, "last_ok_ms", st->st_last_ok_ms) &&
	    yyjson_mut_obj_add_int(d, o, "last_attempt_ms",
	    st->st_last_attempt_ms) &&
	    yyjson_mut_obj_add_int(d, o, "next_attempt_ms",
	    st->st_next_attempt_ms) &&
	    yyjson_mut_obj_add_uint(d, o, "pending", st->st_pending) &&
	    yyjson_mut_obj_add_uint(d, o, "pulled", st->st_pulled) &&
	    yyjson_mut_obj_add_uint(d, o, "pushed", st->st_pushed) &&
	    yyjson_mut_obj_add_uint(d, o, "failures", st->st_failures) &&
	    yyjson_mut_obj_add_str(d, o, "last_error", st->st_last_error) &&
	    yyjson_mut_obj_add_str(d, o, "error_kind", st->st_error_kind) &&
	    yyjson_mut_obj_add_uint(d, o, "refused", st->st_refused) &&
	    yyjson_mut_obj_add_str(d, o, "last_refused",
	    st->st_last_refused) &&
	    yyjson_mut_obj_add_str(d, o, "enroll_result",
	    st->st_enroll_result) &&
	    yyjson_mut_obj_add_int(d, o, "enroll_ms", st->st_enroll_ms) &&
	    yyjson_mut_obj_add_bool(d, o, "enroll_ok", st->st_enroll_ok != 0) &&
	    yyjson_mut_obj_add_str(d, o, "proxy_source",
	    st->st_proxy_source) &&
	    yyjson_mut_obj_add_str(d, o, "proxy_host", st->st_proxy_host) &&
	    yyjson_mut_obj_add_int(d, o, "proxy_port", st->st_proxy_port) &&
	    yyjson_mut_obj_add_bool(d, o, "proxy_user",
	    st->st_proxy_user != 0) &&
	    yyjson_mut_obj_add_bool(d, o, "proxy_password",
	    st->st_proxy_password != 0) &&
	    yyjson_mut_obj_add_str(d, o, "proxy_result",
	    st->st_proxy_result) &&
	    yyjson_mut_obj_add_int(d, o, "proxy_ms", st->st_proxy_ms) &&
	    yyjson_mut_obj_add_bool(d, o, "proxy_ok", st->st_proxy_ok != 0) &&
	    yyjson_mut_obj_add_int(d, o, "client_cert_not_after_ms",
	    st->st_client_cert_not_after_ms) &&
	    yyjson_mut_obj_add_int(d, o, "cloud_ca_not_after_ms",
	    st->st_cloud_ca_not_after_ms) &&
	    (json = yyjson_mut_write(d, 0, &len)) != NULL) {
		rc = cb_write_file_atomic(path, json, len, 0644);
		free(json);
	}
	yyjson_mut_doc_free(d);
	return rc;
}

static void
copy_str(yyjson_val *v, char *out, size_t size)
{
	const char *s = yyjson_get_str(v);

	out[0] = 0;
	if (s != NULL && strlen(s) < size &&
	    cb_utf8_valid(s, strlen(s), CB_UTF8_TEXT))
		memcpy(out, s, strlen(s) + 1);
}

/* A time in ms since the epoch; 0 when absent, of another type or
 * negative. */
static int64_t
status_ms(yyjson_val *o, const char *key)
{
	yyjson_val *v = yyjson_obj_get(o, key);

	return yyjson_is_int(v) && yyjson_get_sint(v) > 0 ?
	    yyjson_get_sint(v) : 0;
}

int
sync_status_parse(const char *json, size_t len, struct sync_status *st)
{
	yyjson_doc *d;
	yyjson_val *o;

	memset(st, 0, sizeof(*st));
	if (len > SYNC_STATUS_MAX || (d = yyjson_read(json, len, 0)) == NULL)
		return CB_EINVAL;
	o = yyjson_doc_get_root(d);
	if (!yyjson_is_obj(o)) {
		yyjson_doc_free(d);
		return CB_EINVAL;
	}
	copy_str(yyjson_obj_get(o, "state"), st->st_state,
	    sizeof(st->st_state));
	copy_str(yyjson_obj_get(o, "last_error"), st->st_last_error,
	    sizeof(st->st_last_error));
	copy_str(yyjson_obj_get(o, "error_kind"), st->st_error_kind,
	    sizeof(st->st_error_kind));
	copy_str(yyjson_obj_get(o, "last_refused"), st->st_last_refused,
	    sizeof(st->st_last_refused));
	st->st_refused = yyjson_get_uint(yyjson_obj_get(o, "refused"));
	st->st_last_ok_ms = yyjson_get_sint(yyjson_obj_get(o, "last_ok_ms"));
	st->st_last_attempt_ms = yyjson_get_sint(yyjson_obj_get(o,
	    "last_attempt_ms"));
	st->st_next_attempt_ms = yyjson_get_sint(yyjson_obj_get(o,
	    "next_attempt_ms"));
	st->st_pending = yyjson_get_uint(yyjson_obj_get(o, "pending"));
	st->st_pulled = yyjson_get_uint(yyjson_obj_get(o, "pulled"));
	st->st_pushed = yyjson_get_uint(yyjson_obj_get(o, "pushed"));
	st->st_failures = yyjson_get_uint(yyjson_obj_get(o, "failures"));
	copy_str(yyjson_obj_get(o, "enroll_result"), st->st_enroll_result,
	    sizeof(st->st_enroll_result));
	st->st_enroll_ms = yyjson_get_sint(yyjson_obj_get(o, "enroll_ms"));
	st->st_enroll_ok = yyjson_get_bool(yyjson_obj_get(o, "enroll_ok"));
	copy_str(yyjson_obj_get(o, "proxy_source"), st->st_proxy_source,
	    sizeof(st->st_proxy_source));
	copy_str(yyjson_obj_get(o, "proxy_host"), st->st_proxy_host,
	    sizeof(st->st_proxy_host));
	st->st_proxy_port = (int)yyjson_get_int(yyjson_obj_get(o,
	    "proxy_port"));
	if (st->st_proxy_port < 0 || st->st_proxy_port > 65535)
		st->st_proxy_port = 0;
	st->st_proxy_user = yyjson_get_bool(yyjson_obj_get(o, "proxy_user"));
	st->st_proxy_password = yyjson_get_bool(yyjson_obj_get(o,
	    "proxy_password"));
	copy_str(yyjson_obj_get(o, "proxy_result"), st->st_proxy_result,
	    sizeof(st->st_proxy_result));
	st->st_proxy_ms = yyjson_get_sint(yyjson_obj_get(o, "proxy_ms"));
	st->st_proxy_ok = yyjson_get_bool(yyjson_obj_get(o, "proxy_ok"));
	st->st_client_cert_not_after_ms = status_ms(o,
	    "client_cert_not_after_ms");
	st->st_cloud_ca_not_after_ms = status_ms(o, "cloud_ca_not_after_ms");
	yyjson_doc_free(d);
	return st->st_state[0] ? CB_OK : CB_EINVAL;
}

int
sync_status_read(const char *path, struct sync_status *st)
{
	char buf[SYNC_STATUS_MAX + 1];
	ssize_t n;
	int fd;

	memset(st, 0, sizeof(*st));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? CB_ENOTFOUND : CB_EIO;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || n > SYNC_STATUS_MAX)
		return CB_EIO;
	return sync_status_parse(buf, (size_t)n, st);
}
