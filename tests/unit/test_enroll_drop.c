/*
 * test_enroll_drop.c: the enrollment's hand-over from web to sync
 * (sync/drop.h): the drop written through a temporary name and taken
 * once, what sync refuses unread (a symlink, a second name of another
 * file, an oversized file), the replacing drop first, the installed file's
 * mode, the field an error names, the status file's enrollment result,
 * and auth's check of AUTH_ADMIN_SEED.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "auth/authd.h"
#include "auth/authproto.h"
#include "base/cb.h"
#include "sync/drop.h"
#include "sync/status.h"

static char tdir[] = "/tmp/test_enroll_drop.XXXXXX";
static char drop[256], data[256];

static void
setup(void)
{
	static int done;
	char p[300];

	if (done)
		return;
	done = 1;
	if (mkdtemp(tdir) == NULL)
		abort();
	snprintf(data, sizeof(data), "%s", tdir);
	snprintf(p, sizeof(p), "%s/sync", tdir);
	mkdir(p, 0711);
	snprintf(drop, sizeof(drop), "%s/sync/drop", tdir);
	mkdir(drop, ENROLL_DROP_DIR_MODE);
}

static int
there(const char *name)
{
	char p[300];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", drop, name);
	return lstat(p, &st) == 0;
}

T_TEST(drop_put_then_take_once)
{
	const char body[] = "{\"version\":1}";
	char why[128], *buf = NULL;
	size_t len;
	int replace = -1;
	struct stat st;
	char p[300];

	setup();
	T_EQ_INT(enroll_drop_put(drop, body, strlen(body), 0), CB_OK);
	T_ASSERT(there(ENROLL_DROP_NEW));
	T_ASSERT(!there(ENROLL_DROP_TMP));
	snprintf(p, sizeof(p), "%s/%s", drop, ENROLL_DROP_NEW);
	T_ASSERT(stat(p, &st) == 0 && (st.st_mode & 07777) ==
	    ENROLL_DROP_MODE);
	T_EQ_INT(enroll_drop_take(drop, &buf, &len, &replace, why,
	    sizeof(why)), CB_OK);
	T_EQ_INT(replace, 0);
	T_ASSERT(buf != NULL && len == strlen(body) &&
	    memcmp(buf, body, len) == 0);
	free(buf);
	T_ASSERT(!there(ENROLL_DROP_NEW));
	T_EQ_INT(enroll_drop_take(drop, &buf, &len, &replace, why,
	    sizeof(why)), CB_ENOTFOUND);
}

T_TEST(drop_replace_first_and_tmp_never_taken)
{
	char why[128], *buf = NULL;
	size_t len;
	int replace = -1, fd;
	char p[300];

	setup();
	T_EQ_INT(enroll_drop_put(drop, "new", 3, 0), CB_OK);
	T_EQ_INT(enroll_drop_put(drop, "rep", 3, 1), CB_OK);
	T_EQ_INT(enroll_drop_take(drop, &buf, &len, &replace, why,
	    sizeof(why)), CB_OK);
	T_ASSERT(replace == 1 && len == 3 && memcmp(buf, "rep", 3) == 0);
	free(buf);
	T_EQ_INT(enroll_drop_take(drop, &buf, &len, &replace, why,
	    sizeof(why)), CB_OK);
	T_ASSERT(replace == 0 && len == 3 && memcmp(buf, "new", 3) == 0);
	free(buf);
	/* A write cut short: only the temporary name; never taken, and the
	 * next put replaces it. */
	snprintf(p, sizeof(p), "%s/%s", drop, ENROLL_DROP_TMP);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	T_ASSERT(fd >= 0 && write(fd, "{\"vers", 6) == 6);
	close(fd);
	T_EQ_INT(enroll_drop_take(drop, &buf, &len, &replace, why,
	    sizeof(why)), CB_ENOTFOUND);
	T_ASSERT(there(ENROLL_DROP_TMP));
	T_EQ_INT(enroll_drop_put(drop, "x", 1, 0), CB_OK);
	T_ASSERT(!there(ENROLL_DROP_TMP));
	T_EQ_INT(enroll_drop_take(drop, &buf, &len, &replace, why,
	    sizeof(why)), CB_OK);
	free(buf);
}

T_TEST(drop_refused_unread_and_removed)
{
	char why[128], *buf = NULL, p[300], secret[300];
	size_t len;
	int replace, fd;
	char *big;

	setup();
	/* A symlink to the installed enrollment. */
	snprintf(secret, sizeof(secret), "%s/sync/enroll.json", tdir);
	fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_ASSERT(fd >= 0 && write(fd, "secret", 6) == 6);
	close(fd);
	snprintf(p, sizeof(p), "%s/%s", drop, ENROLL_DROP_REPLACE);
	T_ASSERT(symlink(secret, p) == 0);
	T_EQ_INT(enroll_drop_take(drop, &buf, &len, &replace, why,
	    sizeof(why)), CB_EINVAL);
	T_ASSERT(buf == NULL && strstr(why, "plain file") != NULL);
	T_ASSERT(!there(ENROLL_DROP_REPLACE));
	/* A second name of another file. */
	T_ASSERT(link(secret, p) == 0);
	T_EQ_INT(enroll_drop_take(drop, &buf, &len, &replace, why,
	    sizeof(why)), CB_EINVAL);
	T_ASSERT(buf == NULL && !there(ENROLL_DROP_REPLACE));
	/* Larger than ENROLL_MAX_BYTES (written directly: put refuses). */
	T_EQ_INT(enroll_drop_put(drop, "x", ENROLL_MAX_BYTES + 1, 0),
	    CB_ETOOBIG);
	big = calloc(1, ENROLL_MAX_BYTES + 1);
	snprintf(p, sizeof(p), "%s/%s", drop, ENROLL_DROP_NEW);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	T_ASSERT(fd >= 0 && write(fd, big, ENROLL_MAX_BYTES + 1) ==
	    ENROLL_MAX_BYTES + 1);
	close(fd);
	free(big);
	T_EQ_INT(enroll_drop_take(drop, &buf, &len, &replace, why,
	    sizeof(why)), CB_EINVAL);
	T_ASSERT(buf == NULL && !there(ENROLL_DROP_NEW));
	/* A FIFO: refused without blocking. */
	T_ASSERT(mkfifo(p, 0640) == 0);
	T_EQ_INT(enroll_drop_take(drop, &buf, &len, &replace, why,
	    sizeof(why)), CB_EINVAL);
	T_ASSERT(!there(ENROLL_DROP_NEW));
	unlink(secret);
}

T_TEST(drop_put_without_the_directory)
{
	char p[300];

	setup();
	snprintf(p, sizeof(p), "%s/nowhere", tdir);
	T_EQ_INT(enroll_drop_put(p, "x", 1, 0), CB_EUNAVAIL);
}

T_TEST(install_is_0600_and_atomic)
{
	char p[300], buf[16] = "";
	struct stat st;
	int fd;

	setup();
	T_EQ_INT(enroll_install(data, "{\"a\":1}", 7, (uid_t)-1), CB_OK);
	snprintf(p, sizeof(p), "%s/%s", data, SYNC_ENROLL_PATH);
	T_ASSERT(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600);
	fd = open(p, O_RDONLY);
	T_ASSERT(fd >= 0 && read(fd, buf, sizeof(buf)) == 7);
	close(fd);
	T_EQ_STR(buf, "{\"a\":1}");
	unlink(p);
}

T_TEST(install_keeps_no_server_certificate_or_key)
{
	static const char with[] = "{\"a\":1,\"server_cert_pem\":\"C\","
	    "\"server_key_pem\":\"SECRETKEY\",\"b\":\"x\"}";
	char p[300], buf[256] = "", *out;
	size_t olen;
	ssize_t n;
	int fd;

	setup();
	/* Without the fields: kept byte for byte (out NULL). */
	T_EQ_INT(enroll_without_server("{\"a\":1}", 7, &out, &olen), CB_OK);
	T_ASSERT(out == NULL);
	T_EQ_INT(enroll_without_server("not json", 8, &out, &olen), CB_EINVAL);
	T_EQ_INT(enroll_install(data, with, strlen(with), (uid_t)-1), CB_OK);
	snprintf(p, sizeof(p), "%s/%s", data, SYNC_ENROLL_PATH);
	fd = open(p, O_RDONLY);
	T_ASSERT(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	T_ASSERT(n > 0);
	T_ASSERT(strstr(buf, "server_") == NULL);
	T_ASSERT(strstr(buf, "SECRETKEY") == NULL);
	T_ASSERT(strstr(buf, "\"a\"") != NULL && strstr(buf, "\"b\"") != NULL);
	unlink(p);
}

T_TEST(err_field_named)
{
	char f[48];

	enroll_err_field("enrollment: unknown field \"colour\"", f, sizeof(f));
	T_EQ_STR(f, "colour");
	enroll_err_field("enrollment: \"cloud\" must be an https:// URL", f,
	    sizeof(f));
	T_EQ_STR(f, "cloud");
	enroll_err_field("enrollment: the client key does not belong to the "
	    "client certificate", f, sizeof(f));
	T_EQ_STR(f, "client_key_pem");
	enroll_err_field("enrollment: CA certificate: not a certificate", f,
	    sizeof(f));
	T_EQ_STR(f, "ca_pem");
	enroll_err_field("enrollment: the proxy port is not a number", f,
	    sizeof(f));
	T_EQ_STR(f, "proxy");
	enroll_err_field("enrollment: \"server_key_pem\": the key does not "
	    "belong to the (first) certificate", f, sizeof(f));
	T_EQ_STR(f, "server_key_pem");
	enroll_err_field("enrollment: not a JSON object", f, sizeof(f));
	T_EQ_STR(f, "");
	/* A quoted word longer than the buffer: not cut, not named. */
	enroll_err_field("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaa\"", f, 8);
	T_EQ_STR(f, "");
}

T_TEST(status_keeps_the_enrollment_result)
{
	struct sync_status st, back;
	char p[300];

	setup();
	memset(&st, 0, sizeof(st));
	strcpy(st.st_state, "not_enrolled");
	strcpy(st.st_enroll_result, "refused: enrollment: \"cloud\" must be "
	    "an https:// URL");
	st.st_enroll_ms = 1795682909643;
	st.st_enroll_ok = 0;
	snprintf(p, sizeof(p), "%s/status.json", tdir);
	T_EQ_INT(sync_status_write(p, &st), CB_OK);
	T_EQ_INT(sync_status_read(p, &back), CB_OK);
	T_EQ_STR(back.st_enroll_result, st.st_enroll_result);
	T_EQ_INT(back.st_enroll_ms, st.st_enroll_ms);
	T_EQ_INT(back.st_enroll_ok, 0);
	st.st_enroll_ok = 1;
	T_EQ_INT(sync_status_write(p, &st), CB_OK);
	T_EQ_INT(sync_status_read(p, &back), CB_OK);
	T_EQ_INT(back.st_enroll_ok, 1);
	unlink(p);
}

T_TEST(auth_admin_seed_message_checked)
{
	struct auth_admin_seed m;

	memset(&m, 'x', sizeof(m));
	T_EQ_INT(authd_check_msg(AUTH_ADMIN_SEED, &m, sizeof(m)), CB_EPROTO);
	m.aas_password[sizeof(m.aas_password) - 1] = '\0';
	T_EQ_INT(authd_check_msg(AUTH_ADMIN_SEED, &m, sizeof(m)), 0);
	T_EQ_INT(authd_check_msg(AUTH_ADMIN_SEED, &m, sizeof(m) - 1),
	    CB_EPROTO);
	T_EQ_INT(auth_reply_type(AUTH_ADMIN_SEED), AUTH_STATUS_R);
}

T_MAIN()
