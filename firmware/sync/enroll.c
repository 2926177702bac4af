/*
 * enroll.c: the enrollment file, parsed strictly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yyjson.h>

#include "base/cb.h"
#include "sync/enroll.h"
#include "sync/proxy.h"

__attribute__((format(printf, 3, 4)))
static int
en_fail(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return CB_EINVAL;
}

int
enroll_db_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > ENROLL_DB_MAX || name[0] < 'a' || name[0] > 'z')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* A string field: NULL when absent, CB_EINVAL when of another type or
 * too long or not printable text. */
static int
en_str(yyjson_val *obj, const char *key, size_t max, int multiline,
    const char **out, char *err, size_t errsize)
{
	yyjson_val *v = yyjson_obj_get(obj, key);

	*out = NULL;
	if (v == NULL || yyjson_is_null(v))
		return CB_OK;
	if (!yyjson_is_str(v))
		return en_fail(err, errsize, "enrollment: \"%s\" must be a "
		    "string", key);
	const char *s = yyjson_get_str(v);
	size_t len = yyjson_get_len(v);
	if (len == 0 || len > max || strlen(s) != len)
		return en_fail(err, errsize, "enrollment: \"%s\" is empty or "
		    "longer than %zu bytes", key, max);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 && !(multiline && (c == '\n' || c == '\r')))
			return en_fail(err, errsize, "enrollment: \"%s\" "
			    "holds a control character", key);
	}
	*out = s;
	return CB_OK;
}

static int
en_dup(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return CB_OK;
	return (*out = strdup(s)) == NULL ? CB_ENOMEM : CB_OK;
}

static int
en_pem(yyjson_val *obj, const char *key, const char *label, int required,
    char **out, char *err, size_t errsize)
{
	const char *s;
	int rc;

	if ((rc = en_str(obj, key, ENROLL_PEM_MAX, 1, &s, err, errsize)))
		return rc;
	if (s == NULL)
		return required ? en_fail(err, errsize, "enrollment: \"%s\" "
		    "is missing", key) : CB_OK;
	const char *b = strstr(s, "-----BEGIN "), *e = b ?
	    strstr(b + 11, "-----") : NULL, *l = b ? strstr(b, label) : NULL;
	if (b == NULL || e == NULL || l == NULL || l > e ||
	    strstr(e, "-----END ") == NULL)
		return en_fail(err, errsize, "enrollment: \"%s\" is not a "
		    "PEM %s", key, label);
	return en_dup(s, out);
}

/* The box's own server certificate and key (docs/lan.md): both or
 * neither; web installs them as an admin's upload. */
static int
en_server(yyjson_val *root, struct enroll *e, char *err, size_t errsize)
{
	int rc;

	if ((rc = en_pem(root, "server_cert_pem", "CERTIFICATE", 0,
	    &e->en_server_cert_pem, err, errsize)) ||
	    (rc = en_pem(root, "server_key_pem", "PRIVATE KEY", 0,
	    &e->en_server_key_pem, err, errsize)))
		return rc;
	if ((e->en_server_cert_pem == NULL) != (e->en_server_key_pem == NULL))
		return en_fail(err, errsize, "enrollment: \"%s\" without "
		    "\"%s\"", e->en_server_cert_pem ? "server_cert_pem" :
		    "server_key_pem", e->en_server_cert_pem ?
		    "server_key_pem" : "server_cert_pem");
	return CB_OK;
}

static const char *const en_known[] = {
	"version", "cloud", "school_db", "audit_db", "ca_pem",
	"client_cert_pem", "client_key_pem", "username", "password",
	"admin_password", "proxy", "proxy_user", "proxy_password",
	"server_cert_pem", "server_key_pem", NULL
};

static int
en_check_keys(yyjson_val *root, char *err, size_t errsize)
{
	yyjson_obj_iter it;
	yyjson_val *k;

	yyjson_obj_iter_init(root, &it);
	while ((k = yyjson_obj_iter_next(&it)) != NULL) {
		const char *name = yyjson_get_str(k);
		size_t i;
		for (i = 0; en_known[i] != NULL; i++)
			if (strcmp(name, en_known[i]) == 0)
				break;
		if (en_known[i] == NULL)
			return en_fail(err, errsize, "enrollment: unknown "
			    "field \"%.40s\"", name);
	}
	return CB_OK;
}

/* "http://host:port" (a proxy speaks plain HTTP; CONNECT makes the
 * tunnel through which TLS runs end to end): the same parser as the
 * admin's and the config's proxy (sync/proxy.c). */
static int
en_proxy(struct enroll *e, const char *proxy, char *err, size_t errsize)
{
	struct proxy p;
	char why[160];

	if (proxy_url_parse(proxy, &p, why, sizeof(why)) != CB_OK)
		return en_fail(err, errsize, "enrollment: %s", why);
	memcpy(e->en_proxy_host, p.px_host, sizeof(e->en_proxy_host));
	e->en_proxy_port = p.px_port;
	e->en_has_proxy = 1;
	return CB_OK;
}

static int
en_fields(yyjson_val *root, struct enroll *e, char *err, size_t errsize)
{
	const char *cloud, *school, *audit, *user, *pw, *admin, *proxy,
	    *puser, *ppw;
	yyjson_val *v = yyjson_obj_get(root, "version");
	int rc;

	if (v == NULL || !yyjson_is_int(v) ||
	    yyjson_get_sint(v) != ENROLL_VERSION)
		return en_fail(err, errsize, "enrollment: \"version\" must be "
		    "%d", ENROLL_VERSION);
	if ((rc = en_check_keys(root, err, errsize)) ||
	    (rc = en_str(root, "cloud", sizeof(e->en_cloud) - 1, 0, &cloud,
	    err, errsize)) ||
	    (rc = en_str(root, "school_db", ENROLL_DB_MAX, 0, &school, err,
	    errsize)) ||
	    (rc = en_str(root, "audit_db", ENROLL_DB_MAX, 0, &audit, err,
	    errsize)) ||
	    (rc = en_str(root, "username", ENROLL_SECRET_MAX, 0, &user, err,
	    errsize)) ||
	    (rc = en_str(root, "password", ENROLL_SECRET_MAX, 0, &pw, err,
	    errsize)) ||
	    (rc = en_str(root, "admin_password", ENROLL_SECRET_MAX, 0, &admin,
	    err, errsize)) ||
	    (rc = en_str(root, "proxy", TLSCLI_HOST_MAX + 16, 0, &proxy, err,
	    errsize)) ||
	    (rc = en_str(root, "proxy_user", ENROLL_SECRET_MAX, 0, &puser,
	    err, errsize)) ||
	    (rc = en_str(root, "proxy_password", ENROLL_SECRET_MAX, 0, &ppw,
	    err, errsize)))
		return rc;
	if (cloud == NULL || httpcli_url_parse(cloud, &e->en_url) != CB_OK)
		return en_fail(err, errsize, "enrollment: \"cloud\" must be "
		    "an https:// URL (host, optional port and path)");
	memcpy(e->en_cloud, cloud, strlen(cloud) + 1);
	if (school == NULL || !enroll_db_valid(school) || audit == NULL ||
	    !enroll_db_valid(audit))
		return en_fail(err, errsize, "enrollment: \"school_db\" and "
		    "\"audit_db\" must be database names ([a-z][a-z0-9_-]*)");
	if (strcmp(school, audit) == 0)
		return en_fail(err, errsize, "enrollment: \"school_db\" and "
		    "\"audit_db\" must differ");
	memcpy(e->en_school_db, school, strlen(school) + 1);
	memcpy(e->en_audit_db, audit, strlen(audit) + 1);
	if (pw != NULL && user == NULL)
		return en_fail(err, errsize, "enrollment: \"password\" "
		    "without \"username\"");
	if ((puser != NULL || ppw != NULL) && proxy == NULL)
		return en_fail(err, errsize, "enrollment: proxy credentials "
		    "without \"proxy\"");
	if (proxy != NULL && (rc = en_proxy(e, proxy, err, errsize)))
		return rc;
	if ((rc = en_dup(user, &e->en_username)) ||
	    (rc = en_dup(pw, &e->en_password)) ||
	    (rc = en_dup(admin, &e->en_admin_password)) ||
	    (rc = en_dup(puser, &e->en_proxy_user)) ||
	    (rc = en_dup(ppw, &e->en_proxy_password)))
		return rc;
	if ((rc = en_pem(root, "ca_pem", "CERTIFICATE", 1, &e->en_ca_pem,
	    err, errsize)) ||
	    (rc = en_pem(root, "client_cert_pem", "CERTIFICATE", 1,
	    &e->en_cert_pem, err, errsize)) ||
	    (rc = en_pem(root, "client_key_pem", "PRIVATE KEY", 1,
	    &e->en_key_pem, err, errsize)))
		return rc;
	return en_server(root, e, err, errsize);
}

int
enroll_parse(const char *json, size_t len, struct enroll *e, char *err,
    size_t errsize)
{
	yyjson_doc *doc;
	int rc;

	memset(e, 0, sizeof(*e));
	err[0] = 0;
	if (len > ENROLL_MAX_BYTES)
		return en_fail(err, errsize, "enrollment: the file is larger "
		    "than %d bytes", ENROLL_MAX_BYTES);
	doc = yyjson_read(json, len, 0);
	if (doc == NULL || !yyjson_is_obj(yyjson_doc_get_root(doc))) {
		yyjson_doc_free(doc);
		return en_fail(err, errsize, "enrollment: not a JSON object");
	}
	rc = en_fields(yyjson_doc_get_root(doc), e, err, errsize);
	/* The parsed copy held the secrets too. */
	size_t n;
	char *copy = yyjson_write(doc, 0, &n);
	yyjson_doc_free(doc);
	if (copy != NULL) {
		cb_wipe(copy, n);
		free(copy);
	}
	if (rc != CB_OK)
		enroll_free(e);
	return rc;
}

static void
en_wipe_free(char **p)
{
	if (*p != NULL) {
		cb_wipe(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

void
enroll_free(struct enroll *e)
{
	en_wipe_free(&e->en_ca_pem);
	en_wipe_free(&e->en_cert_pem);
	en_wipe_free(&e->en_key_pem);
	en_wipe_free(&e->en_server_cert_pem);
	en_wipe_free(&e->en_server_key_pem);
	en_wipe_free(&e->en_username);
	en_wipe_free(&e->en_password);
	en_wipe_free(&e->en_admin_password);
	en_wipe_free(&e->en_proxy_user);
	en_wipe_free(&e->en_proxy_password);
}

int
enroll_load(const char *path, struct enroll *e, char *err, size_t errsize)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	memset(e, 0, sizeof(*e));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? (snprintf(err, errsize, "this box is "
		    "not enrolled (no %s)", path), CB_ENOTFOUND) :
		    (snprintf(err, errsize, "cannot read %s: %s", path,
		    strerror(errno)), CB_EIO);
	if ((buf = malloc(ENROLL_MAX_BYTES + 1)) == NULL) {
		close(fd);
		return CB_ENOMEM;
	}
	while (len <= ENROLL_MAX_BYTES && (n = read(fd, buf + len,
	    ENROLL_MAX_BYTES + 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	rc = enroll_parse(buf, len, e, err, errsize);
	cb_wipe(buf, len);
	free(buf);
	return rc;
}
