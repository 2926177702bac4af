/*
 * proxy.c (sync): the proxy settings besides the enrollment's, parsed
 * strictly (proxy.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yyjson.h>

#include "base/cb.h"
#include "sync/proxy.h"

__attribute__((format(printf, 3, 4)))
static int
px_fail(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return CB_EINVAL;
}

static int
px_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-';
}

int
proxy_url_parse(const char *url, struct proxy *p, char *err, size_t errsize)
{
	const char *host, *colon, *d;
	size_t hlen;
	long port = 0;

	p->px_set = 0;
	if (strncmp(url, "http://", 7) != 0)
		return px_fail(err, errsize, "\"proxy\" must be "
		    "http://host:port");
	host = url + 7;
	if (strchr(host, '@') != NULL)
		return px_fail(err, errsize, "\"proxy\" must not hold a user "
		    "or password: they are set on their own");
	colon = strrchr(host, ':');
	if (colon == NULL || colon == host ||
	    (hlen = (size_t)(colon - host)) > TLSCLI_HOST_MAX)
		return px_fail(err, errsize, "\"proxy\" needs a host and a "
		    "port");
	for (d = colon + 1; *d >= '0' && *d <= '9' && port <= 65535; d++)
		port = port * 10 + (*d - '0');
	if (d == colon + 1 || (*d != '\0' && strcmp(d, "/") != 0) ||
	    port < 1 || port > 65535)
		return px_fail(err, errsize, "\"proxy\": the port is not a "
		    "number from 1 to 65535");
	for (size_t i = 0; i < hlen; i++)
		if (!px_host_char(host[i]))
			return px_fail(err, errsize, "\"proxy\": the host is "
			    "not a host name or IPv4 address");
	memcpy(p->px_host, host, hlen);
	p->px_host[hlen] = '\0';
	p->px_port = (int)port;
	p->px_set = 1;
	return CB_OK;
}

/* A user or password: 1..PROXY_SECRET_MAX printable bytes; a user
 * without a colon (RFC 7617 splits at the first). */
static int
px_secret(const char *s, size_t len, const char *key, int user, char *out,
    char *err, size_t errsize)
{
	if (len == 0 || len > PROXY_SECRET_MAX)
		return px_fail(err, errsize, "\"%s\" is empty or longer than "
		    "%d bytes", key, PROXY_SECRET_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return px_fail(err, errsize, "\"%s\" holds a control "
			    "character", key);
		if (user && c == ':')
			return px_fail(err, errsize, "\"%s\" must not hold a "
			    "colon", key);
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return CB_OK;
}

/* A string field of the setting; NULL when absent. */
static int
px_str(yyjson_val *o, const char *key, yyjson_val **out, char *err,
    size_t errsize)
{
	yyjson_val *v = yyjson_obj_get(o, key);

	*out = v;
	if (v != NULL && !yyjson_is_str(v))
		return px_fail(err, errsize, "\"%s\" must be a string", key);
	return CB_OK;
}

static int
px_setting(yyjson_val *o, struct proxy *p, char *err, size_t errsize)
{
	static const char *const known[] = { "proxy", "proxy_user",
	    "proxy_password" };
	yyjson_val *url, *user, *pw, *k;
	yyjson_obj_iter it;
	int rc;

	yyjson_obj_iter_init(o, &it);
	while ((k = yyjson_obj_iter_next(&it)) != NULL) {
		size_t i = 0;
		while (i < CB_ARRAY_LEN(known) &&
		    strcmp(yyjson_get_str(k), known[i]) != 0)
			i++;
		if (i == CB_ARRAY_LEN(known))
			return px_fail(err, errsize, "\"%.40s\" is not a "
			    "proxy setting", yyjson_get_str(k));
	}
	if ((rc = px_str(o, "proxy", &url, err, errsize)) ||
	    (rc = px_str(o, "proxy_user", &user, err, errsize)) ||
	    (rc = px_str(o, "proxy_password", &pw, err, errsize)))
		return rc;
	if (url == NULL)
		return user != NULL || pw != NULL ? px_fail(err, errsize,
		    "\"proxy\" is missing: a user and password need their "
		    "proxy") : CB_OK;
	if (yyjson_get_len(url) > PROXY_URL_MAX ||
	    strlen(yyjson_get_str(url)) != yyjson_get_len(url))
		return px_fail(err, errsize, "\"proxy\" is longer than %d "
		    "bytes", PROXY_URL_MAX);
	if ((rc = proxy_url_parse(yyjson_get_str(url), p, err, errsize)))
		return rc;
	if ((user == NULL) != (pw == NULL))
		return px_fail(err, errsize, "\"%s\" is missing: the proxy's "
		    "user and password go together", user == NULL ?
		    "proxy_user" : "proxy_password");
	if (user != NULL && ((rc = px_secret(yyjson_get_str(user),
	    yyjson_get_len(user), "proxy_user", 1, p->px_user, err,
	    errsize)) || (rc = px_secret(yyjson_get_str(pw),
	    yyjson_get_len(pw), "proxy_password", 0, p->px_password, err,
	    errsize))))
		return rc;
	return CB_OK;
}

int
proxy_setting_parse(const char *json, size_t len, struct proxy *p,
    char *err, size_t errsize)
{
	yyjson_doc *doc;
	int rc;

	memset(p, 0, sizeof(*p));
	err[0] = '\0';
	if (len > PROXY_SETTING_MAX)
		return px_fail(err, errsize, "the proxy setting is larger "
		    "than %d bytes", PROXY_SETTING_MAX);
	doc = yyjson_read(json, len, 0);
	if (doc == NULL || !yyjson_is_obj(yyjson_doc_get_root(doc))) {
		yyjson_doc_free(doc);
		return px_fail(err, errsize, "the proxy setting is not a "
		    "JSON object");
	}
	rc = px_setting(yyjson_doc_get_root(doc), p, err, errsize);
	/* The parsed document held the password: wipe its strings. */
	yyjson_val *k, *root = yyjson_doc_get_root(doc);
	yyjson_obj_iter it;
	yyjson_obj_iter_init(root, &it);
	while ((k = yyjson_obj_iter_next(&it)) != NULL) {
		yyjson_val *v = yyjson_obj_iter_get_val(k);
		if (yyjson_is_str(v))
			cb_wipe((char *)yyjson_get_str(v), yyjson_get_len(v));
	}
	yyjson_doc_free(doc);
	if (rc != CB_OK)
		proxy_wipe(p);
	return rc;
}

int
proxy_setting_json(const struct proxy *p, char **out, size_t *len)
{
	yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
	yyjson_mut_val *o = d ? yyjson_mut_obj(d) : NULL;
	char url[PROXY_URL_MAX + 1];
	int ok = o != NULL;

	*out = NULL;
	if (ok && p->px_set) {
		snprintf(url, sizeof(url), "http://%s:%d", p->px_host,
		    p->px_port);
		ok = yyjson_mut_obj_add_strcpy(d, o, "proxy", url);
		if (ok && p->px_user[0] != '\0')
			ok = yyjson_mut_obj_add_str(d, o, "proxy_user",
			    p->px_user) &&
			    yyjson_mut_obj_add_str(d, o, "proxy_password",
			    p->px_password);
	}
	if (ok) {
		yyjson_mut_doc_set_root(d, o);
		*out = yyjson_mut_write(d, 0, len);
	}
	yyjson_mut_doc_free(d);	/* strings added by reference: ours */
	return *out != NULL ? CB_OK : CB_ENOMEM;
}

int
proxy_auth_parse(const char *buf, size_t len, struct proxy *p, char *err,
    size_t errsize)
{
	const char *colon;
	int rc;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	colon = memchr(buf, ':', len);
	if (colon == NULL)
		return px_fail(err, errsize, "\"proxy-auth\": the file must "
		    "hold one line USER:PASSWORD");
	if ((rc = px_secret(buf, (size_t)(colon - buf), "proxy-auth user",
	    1, p->px_user, err, errsize)) ||
	    (rc = px_secret(colon + 1, len - (size_t)(colon - buf) - 1,
	    "proxy-auth password", 0, p->px_password, err, errsize))) {
		proxy_wipe(p);
		return rc;
	}
	return CB_OK;
}

int
proxy_auth_load(const char *path, struct proxy *p, char *err,
    size_t errsize)
{
	char buf[PROXY_AUTH_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return px_fail(err, errsize, "cannot read the proxy-auth file "
		    "%.200s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077) != 0 || st.st_size > PROXY_AUTH_FILE_MAX) {
		close(fd);
		return px_fail(err, errsize, "the proxy-auth file %.200s must "
		    "be a plain file of at most %d bytes that only its owner "
		    "may read (chmod 600)", path, PROXY_AUTH_FILE_MAX);
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || n > PROXY_AUTH_FILE_MAX) {
		cb_wipe(buf, sizeof(buf));
		return px_fail(err, errsize, "cannot read the proxy-auth file "
		    "%.200s", path);
	}
	rc = proxy_auth_parse(buf, (size_t)n, p, err, errsize);
	cb_wipe(buf, sizeof(buf));
	return rc;
}

const char *
proxy_source_name(enum proxy_source s)
{
	switch (s) {
	case PROXY_ADMIN:	return "admin";
	case PROXY_CONFIG:	return "config";
	case PROXY_ENROLLMENT:	return "enrollment";
	case PROXY_NONE:	break;
	}
	return "";
}

void
proxy_wipe(struct proxy *p)
{
	cb_wipe(p->px_user, sizeof(p->px_user));
	cb_wipe(p->px_password, sizeof(p->px_password));
}
