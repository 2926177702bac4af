/*
 * test_proxy.c: the proxy settings besides the enrollment's (sync/proxy.h):
 * the URL (the enrollment's parser too), the admin's setting and its
 * canonical form, the --proxy-auth file and its mode, the proxy drop, and
 * the proxy fields of the status file. No message holds a secret.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "base/cb.h"
#include "sync/drop.h"
#include "sync/enroll.h"
#include "sync/proxy.h"
#include "sync/status.h"

#define PW "s3cret:pw"

T_TEST(url)
{
	static const char *const bad[] = {
		"https://p:3128", "http://p", "http://:3128", "http://p:0",
		"http://p:65536", "http://p:31x8", "http://p: 3128",
		"http://p:+3128", "http://p:3128/x", "http://p_q:3128",
		"http://[::1]:3128", "http://u:pw@p:3128", "",
	};
	struct proxy p;
	char err[200];

	T_EQ_INT(proxy_url_parse("http://10.1.2.3:3128", &p, err,
	    sizeof(err)), CB_OK);
	T_EQ_STR(p.px_host, "10.1.2.3");
	T_EQ_INT(p.px_port, 3128);
	T_EQ_INT(p.px_set, 1);
	T_EQ_INT(proxy_url_parse("http://proxy.school.example:8080/", &p,
	    err, sizeof(err)), CB_OK);
	T_EQ_STR(p.px_host, "proxy.school.example");
	for (size_t i = 0; i < CB_ARRAY_LEN(bad); i++) {
		err[0] = 0;
		T_EQ_INT(proxy_url_parse(bad[i], &p, err, sizeof(err)),
		    CB_EINVAL);
		T_ASSERT(strncmp(err, "\"proxy\"", 7) == 0);
		T_EQ_INT(p.px_set, 0);
	}
	/* userinfo: refused, and not echoed */
	T_EQ_INT(proxy_url_parse("http://u:" PW "@p:1", &p, err, sizeof(err)),
	    CB_EINVAL);
	T_ASSERT(strstr(err, PW) == NULL);
	T_ASSERT(strstr(err, "user or password") != NULL);
}

T_TEST(enrollment_uses_the_same_url_parser)
{
	char err[256];
	struct enroll e;
	/* Everything before the proxy is checked first: only the proxy's
	 * message matters here. */
	const char *doc = "{\"version\":1,\"cloud\":\"https://c.example/\","
	    "\"school_db\":\"s\",\"audit_db\":\"a\","
	    "\"proxy\":\"http://u:pw@p:1\"}";

	T_EQ_INT(enroll_parse(doc, strlen(doc), &e, err, sizeof(err)),
	    CB_EINVAL);
	T_EQ_STR(err, "enrollment: \"proxy\" must not hold a user or "
	    "password: they are set on their own");
}

T_TEST(setting)
{
	struct proxy p, q;
	char err[200], *json;
	size_t len;
	const char *full = "{\"proxy\":\"http://p.example:3128\","
	    "\"proxy_user\":\"school\",\"proxy_password\":\"" PW "\"}";

	T_EQ_INT(proxy_setting_parse(full, strlen(full), &p, err,
	    sizeof(err)), CB_OK);
	T_EQ_STR(p.px_host, "p.example");
	T_EQ_STR(p.px_user, "school");
	T_EQ_STR(p.px_password, PW);
	T_EQ_INT(proxy_setting_json(&p, &json, &len), CB_OK);
	T_EQ_INT(proxy_setting_parse(json, len, &q, err, sizeof(err)), CB_OK);
	T_EQ_STR(q.px_password, PW);
	T_EQ_INT(q.px_port, 3128);
	free(json);
	T_EQ_INT(proxy_setting_parse("{}", 2, &p, err, sizeof(err)), CB_OK);
	T_EQ_INT(p.px_set, 0);
	T_EQ_INT(proxy_setting_json(&p, &json, &len), CB_OK);
	T_EQ_STR(json, "{}");
	free(json);
}

T_TEST(setting_refusals_name_the_field)
{
	static const struct { const char *json, *field; } bad[] = {
		{ "{\"proxy\":\"ftp://p:1\"}", "\"proxy\"" },
		{ "{\"proxy\":3128}", "\"proxy\"" },
		{ "{\"proxy\":\"http://p:1\",\"colour\":\"blue\"}", "\"colour\"" },
		{ "{\"proxy\":\"http://p:1\",\"proxy_user\":\"u\"}",
		    "\"proxy_password\"" },
		{ "{\"proxy\":\"http://p:1\",\"proxy_password\":\"" PW "\"}",
		    "\"proxy_user\"" },
		{ "{\"proxy_user\":\"u\",\"proxy_password\":\"" PW "\"}",
		    "\"proxy\"" },
		{ "{\"proxy\":\"http://p:1\",\"proxy_user\":\"u:v\","
		    "\"proxy_password\":\"" PW "\"}", "\"proxy_user\"" },
		{ "{\"proxy\":\"http://p:1\",\"proxy_user\":\"u\","
		    "\"proxy_password\":\"a\\nb" PW "\"}", "\"proxy_password\"" },
		{ "{\"proxy\":\"http://p:1\",\"proxy_user\":\"u\","
		    "\"proxy_password\":\"\"}", "\"proxy_password\"" },
		{ "[1]", "proxy setting" },
		{ "{\"proxy\":", "proxy setting" },
	};
	struct proxy p;
	char err[200], big[PROXY_SETTING_MAX + 2];

	for (size_t i = 0; i < CB_ARRAY_LEN(bad); i++) {
		T_EQ_INT(proxy_setting_parse(bad[i].json, strlen(bad[i].json),
		    &p, err, sizeof(err)), CB_EINVAL);
		if (strstr(err, bad[i].field) == NULL)
			fprintf(stderr, "case %zu: %s\n", i, err);
		T_ASSERT(strstr(err, bad[i].field) != NULL);
		T_ASSERT(strstr(err, PW) == NULL);
		T_EQ_STR(p.px_password, "");
	}
	memset(big, ' ', sizeof(big));
	T_EQ_INT(proxy_setting_parse(big, sizeof(big), &p, err, sizeof(err)),
	    CB_EINVAL);
	T_ASSERT(strstr(err, "larger than") != NULL);
}

T_TEST(auth_file)
{
	char dir[] = "/tmp/test_proxy.XXXXXX", path[300], err[400];
	struct proxy p;
	int fd;

	memset(&p, 0, sizeof(p));
	T_EQ_INT(proxy_auth_parse("school:" PW "\n", 8 + strlen(PW), &p, err,
	    sizeof(err)), CB_OK);
	T_EQ_STR(p.px_user, "school");
	T_EQ_STR(p.px_password, PW);	/* split at the first colon */
	T_EQ_INT(proxy_auth_parse("school\n", 7, &p, err, sizeof(err)),
	    CB_EINVAL);
	T_EQ_INT(proxy_auth_parse(":" PW, 1 + strlen(PW), &p, err,
	    sizeof(err)), CB_EINVAL);
	T_ASSERT(strstr(err, PW) == NULL);
	T_EQ_INT(proxy_auth_parse("u:a\nb", 5, &p, err, sizeof(err)),
	    CB_EINVAL);
	T_EQ_STR(p.px_password, "");

	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/auth", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	T_ASSERT(fd >= 0);
	T_ASSERT(write(fd, "school:" PW "\n", 8 + strlen(PW)) > 0);
	close(fd);
	memset(&p, 0, sizeof(p));
	T_EQ_INT(proxy_auth_load(path, &p, err, sizeof(err)), CB_OK);
	T_EQ_STR(p.px_password, PW);
	chmod(path, 0640);	/* the group may read it: refused */
	T_EQ_INT(proxy_auth_load(path, &p, err, sizeof(err)), CB_EINVAL);
	T_ASSERT(strstr(err, "chmod 600") != NULL);
	unlink(path);
	T_EQ_INT(proxy_auth_load(path, &p, err, sizeof(err)), CB_EINVAL);
	rmdir(dir);
}

T_TEST(drop_and_status)
{
	char dir[] = "/tmp/test_proxy.XXXXXX", p[300], why[200];
	char buf[PROXY_SETTING_MAX];
	struct sync_status st, back;
	size_t len;

	T_ASSERT(mkdtemp(dir) != NULL);
	T_EQ_INT(proxy_drop_take(dir, buf, sizeof(buf), &len, why,
	    sizeof(why)), CB_ENOTFOUND);
	T_EQ_INT(proxy_drop_put(dir, "{\"a\":1}", 7), CB_OK);
	T_EQ_INT(proxy_drop_put(dir, "{}", 2), CB_OK);	/* the last wins */
	T_EQ_INT(proxy_drop_take(dir, buf, sizeof(buf), &len, why,
	    sizeof(why)), CB_OK);
	T_EQ_INT(len, 2);
	T_EQ_INT(proxy_drop_take(dir, buf, sizeof(buf), &len, why,
	    sizeof(why)), CB_ENOTFOUND);
	/* a symlink is refused unread and removed */
	snprintf(p, sizeof(p), "%s/" PROXY_DROP, dir);
	T_EQ_INT(symlink("/etc/passwd", p), 0);
	T_EQ_INT(proxy_drop_take(dir, buf, sizeof(buf), &len, why,
	    sizeof(why)), CB_EINVAL);
	T_ASSERT(access(p, F_OK) != 0);

	memset(&st, 0, sizeof(st));
	strcpy(st.st_state, "ok");
	strcpy(st.st_proxy_source, "admin");
	strcpy(st.st_proxy_host, "p.example");
	st.st_proxy_port = 3128;
	st.st_proxy_user = st.st_proxy_password = 1;
	strcpy(st.st_proxy_result, "proxy set in the admin UI");
	st.st_proxy_ms = 1795682909643;
	st.st_proxy_ok = 1;
	snprintf(p, sizeof(p), "%s/status.json", dir);
	T_EQ_INT(sync_status_write(p, &st), CB_OK);
	T_EQ_INT(sync_status_read(p, &back), CB_OK);
	T_EQ_STR(back.st_proxy_source, "admin");
	T_EQ_STR(back.st_proxy_host, "p.example");
	T_EQ_INT(back.st_proxy_port, 3128);
	T_EQ_INT(back.st_proxy_user, 1);
	T_EQ_INT(back.st_proxy_password, 1);
	T_EQ_STR(back.st_proxy_result, st.st_proxy_result);
	T_EQ_INT(back.st_proxy_ms, st.st_proxy_ms);
	T_EQ_INT(back.st_proxy_ok, 1);
	unlink(p);
	rmdir(dir);
}

T_MAIN()
