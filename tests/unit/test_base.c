/*
 * test_base.c: the base library: the growable buffer (limits, the sticky
 * error), the one UTF-8 rule set (each kind against the controls and the
 * malformed forms), atomic file writes (exact mode, no planted link
 * followed, nothing left behind on failure) and civil dates.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "base/buf.h"
#include "base/cb.h"
#include "base/date.h"
#include "base/file.h"
#include "base/utf8.h"

/* ---- buf ------------------------------------------------------------- */

T_TEST(buf_grows_and_stays_a_string)
{
	struct cb_buf b;
	size_t len;
	char *p;

	cb_buf_init(&b, 1 << 20);
	T_ASSERT(b.b_data == NULL && b.b_len == 0);
	for (int i = 0; i < 1000; i++)
		T_EQ_INT(cb_buf_str(&b, "0123456789"), CB_OK);
	T_EQ_INT(b.b_len, 10000);
	T_ASSERT(b.b_cap > b.b_len && b.b_data[b.b_len] == '\0');
	T_EQ_INT(cb_buf_printf(&b, "<%d:%s>", 42, "x"), CB_OK);
	T_EQ_STR(b.b_data + 10000, "<42:x>");
	p = cb_buf_take(&b, &len);
	T_EQ_INT(len, 10006);
	T_ASSERT(p != NULL && memcmp(p, "0123456789", 10) == 0);
	T_ASSERT(b.b_data == NULL && b.b_len == 0 && b.b_max == 1 << 20);
	free(p);
	/* Taking an untouched buffer gives "", not NULL. */
	p = cb_buf_take(&b, &len);
	T_ASSERT(p != NULL && len == 0 && p[0] == '\0');
	free(p);
}

T_TEST(buf_limit_is_exact_and_sticky)
{
	struct cb_buf b;

	cb_buf_init(&b, 10);
	T_EQ_INT(cb_buf_add(&b, "0123456789", 10), CB_OK);	/* max fits */
	T_ASSERT(b.b_cap <= 11);
	T_EQ_INT(cb_buf_add(&b, "x", 1), CB_ETOOBIG);	/* one past */
	T_EQ_INT(b.b_len, 10);
	/* Sticky: a later append that would fit does nothing. */
	cb_buf_reset(&b);
	T_EQ_INT(b.b_err, CB_OK);
	T_EQ_INT(cb_buf_add(&b, "abc", 3), CB_OK);
	T_EQ_INT(cb_buf_printf(&b, "%s", "0123456789"), CB_ETOOBIG);
	T_EQ_INT(cb_buf_str(&b, "d"), CB_ETOOBIG);
	T_EQ_STR(b.b_data, "abc");
	cb_buf_free(&b);
	T_ASSERT(b.b_data == NULL && b.b_max == 10 && b.b_err == CB_OK);
}

T_TEST(buf_take_after_error_frees)
{
	struct cb_buf b;
	size_t len = 7;

	cb_buf_init(&b, 4);
	(void)cb_buf_str(&b, "12345");
	T_EQ_INT(b.b_err, CB_ETOOBIG);
	T_ASSERT(cb_buf_take(&b, &len) == NULL);
	T_EQ_INT(len, 0);
	T_ASSERT(b.b_data == NULL);
}

/* ---- utf8 ------------------------------------------------------------ */

struct utf8_case {
	const char *s;
	size_t len;
	int any, text, line, name;	/* expected: 1 accepted */
};

#define U(lit, a, t, l, n) { lit, sizeof(lit) - 1, a, t, l, n }

static const struct utf8_case utf8_cases[] = {
	U("", 1, 1, 1, 1),
	U("Tanaka Taro", 1, 1, 1, 1),
	U("田中 太郎", 1, 1, 1, 1),
	U("caf\xc3\xa9", 1, 1, 1, 1),
	U("\xf0\x9f\x8d\x99", 1, 1, 1, 1),		/* U+1F359 */
	U("\xf4\x8f\xbf\xbf", 1, 1, 1, 1),		/* U+10FFFF */
	U("a\xc2\xa0" "b", 1, 1, 1, 1),			/* NBSP: a name */
	/* Line breaks: text, not a line. */
	U("line 1\nline 2", 1, 1, 0, 0),
	U("a\r\nb", 1, 1, 0, 0),
	U("a\tb", 1, 1, 0, 0),
	/* Other C0 controls and DEL: only a whole document may hold them. */
	U("a\0b", 1, 0, 0, 0),
	U("\x01", 1, 0, 0, 0),
	U("\x1b[31m", 1, 0, 0, 0),
	U("\x7f", 1, 0, 0, 0),
	/* C1 controls: refused in names only. */
	U("\xc2\x85", 1, 1, 1, 0),
	U("\xc2\x9f", 1, 1, 1, 0),
	U("\xc2\x80", 1, 1, 1, 0),
	/* Malformed: refused by every kind. */
	U("\xc0\x80", 0, 0, 0, 0),			/* overlong NUL */
	U("\xc1\xbf", 0, 0, 0, 0),
	U("\xe0\x80\xaf", 0, 0, 0, 0),			/* overlong '/' */
	U("\xf0\x8f\xbf\xbf", 0, 0, 0, 0),		/* overlong */
	U("\xed\xa0\x80", 0, 0, 0, 0),			/* U+D800 */
	U("\xed\xbf\xbf", 0, 0, 0, 0),			/* U+DFFF */
	U("\xf4\x90\x80\x80", 0, 0, 0, 0),		/* U+110000 */
	U("\xf5\x80\x80\x80", 0, 0, 0, 0),
	U("\xe3\x81", 0, 0, 0, 0),			/* cut short */
	U("\x80", 0, 0, 0, 0),				/* lone continuation */
	U("\xe3\x41\x82", 0, 0, 0, 0),
	U("\xff", 0, 0, 0, 0),
	U("\x82\xa0", 0, 0, 0, 0),			/* Shift_JIS "あ" */
};

T_TEST(utf8_kinds)
{
	for (size_t i = 0; i < CB_ARRAY_LEN(utf8_cases); i++) {
		const struct utf8_case *c = &utf8_cases[i];
		int got[4] = {
			cb_utf8_valid(c->s, c->len, CB_UTF8_ANY),
			cb_utf8_valid(c->s, c->len, CB_UTF8_TEXT),
			cb_utf8_valid(c->s, c->len, CB_UTF8_LINE),
			cb_utf8_valid(c->s, c->len, CB_UTF8_NAME),
		};
		int want[4] = { c->any, c->text, c->line, c->name };

		for (int k = 0; k < 4; k++)
			if (got[k] != want[k]) {
				fprintf(stderr, "case %zu, kind %d\n", i, k);
				T_EQ_INT(got[k], want[k]);
			}
	}
}

/* Each kind refuses everything the one before it refuses: over every
 * one- and two-byte input. */
T_TEST(utf8_kinds_nest)
{
	unsigned char s[2];
	int bad = 0;

	for (unsigned a = 0; a < 256; a++)
		for (unsigned b = 0; b < 257; b++) {
			size_t n = b == 256 ? 1 : 2;
			int prev = 1;

			s[0] = (unsigned char)a;
			s[1] = (unsigned char)b;
			for (int k = CB_UTF8_ANY; k <= CB_UTF8_NAME; k++) {
				int v = cb_utf8_valid((char *)s, n, k);
				if (v && !prev)
					bad++;
				prev = v;
			}
		}
	T_EQ_INT(bad, 0);
}

T_TEST(utf8_seq_count_prefix)
{
	const char *s = "aあ\xf0\x9f\x8d\x99";	/* 1 + 3 + 4 bytes */

	T_EQ_INT(cb_utf8_seq(s, 8), 1);
	T_EQ_INT(cb_utf8_seq(s + 1, 7), 3);
	T_EQ_INT(cb_utf8_seq(s + 4, 4), 4);
	T_EQ_INT(cb_utf8_seq(s + 4, 3), 0);	/* cut short */
	T_EQ_INT(cb_utf8_seq(s, 0), 0);
	T_EQ_INT(cb_utf8_seq("\0", 1), 1);	/* a control is a sequence */
	T_EQ_INT(cb_utf8_count(s, 8), 3);
	T_EQ_INT(cb_utf8_count("", 0), 0);
	/* Where to cut: never inside a sequence, never past a bad byte. */
	T_EQ_INT(cb_utf8_prefix(s, 8, 8), 8);
	T_EQ_INT(cb_utf8_prefix(s, 8, 7), 4);
	T_EQ_INT(cb_utf8_prefix(s, 8, 3), 1);
	T_EQ_INT(cb_utf8_prefix(s, 8, 0), 0);
	T_EQ_INT(cb_utf8_prefix("ab\xff" "cd", 5, 5), 2);
}

/* ---- file ------------------------------------------------------------ */

static char test_dir[64];

static void
tdir_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", test_dir);
}

static const char *
tpath(char *out, size_t size, const char *name)
{
	if (test_dir[0] == '\0') {
		snprintf(test_dir, sizeof(test_dir), "/tmp/test_base.XXXXXX");
		if (mkdtemp(test_dir) == NULL)
			abort();
		atexit(tdir_remove);
	}
	snprintf(out, size, "%s/%s", test_dir, name);
	return out;
}

static int
file_is(const char *path, const char *want)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

T_TEST(file_atomic_write_replaces_with_exact_mode)
{
	char p[128], tmp[160];
	struct stat sb;
	mode_t old = umask(077);

	tpath(p, sizeof(p), "a.txt");
	T_EQ_INT(cb_write_file_atomic(p, "one\n", 4, 0644), CB_OK);
	T_ASSERT(file_is(p, "one\n"));
	T_ASSERT(stat(p, &sb) == 0 && (sb.st_mode & 07777) == 0644);
	T_EQ_INT(cb_write_file_atomic(p, "two\n", 4, 0600), CB_OK);
	T_ASSERT(file_is(p, "two\n"));
	T_ASSERT(stat(p, &sb) == 0 && (sb.st_mode & 07777) == 0600);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	T_ASSERT(access(tmp, F_OK) != 0);	/* nothing left behind */
	umask(old);
}

T_TEST(file_atomic_write_follows_no_planted_link)
{
	char p[128], tmp[160], victim[128];

	tpath(p, sizeof(p), "b.txt");
	tpath(victim, sizeof(victim), "victim");
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	T_EQ_INT(cb_write_file_atomic(victim, "keep", 4, 0600), CB_OK);
	T_EQ_INT(symlink(victim, tmp), 0);
	T_EQ_INT(cb_write_file_atomic(p, "new", 3, 0600), CB_OK);
	T_ASSERT(file_is(victim, "keep"));
	T_ASSERT(file_is(p, "new"));
	T_ASSERT(access(tmp, F_OK) != 0);
}

T_TEST(file_atomic_failure_leaves_the_target)
{
	char p[128], sub[128], tmp[160];
	struct cb_atomic a;

	/* Abort: the target keeps its contents, the temporary file goes. */
	tpath(p, sizeof(p), "c.txt");
	tpath(tmp, sizeof(tmp), ".c.txt.part");
	T_EQ_INT(cb_write_file_atomic(p, "old", 3, 0600), CB_OK);
	T_EQ_INT(cb_atomic_open(&a, p, tmp, 0600, 0), CB_OK);
	T_EQ_INT(cb_write_all(a.a_fd, "half", 4), CB_OK);
	errno = EINTR;
	cb_atomic_abort(&a);
	T_EQ_INT(errno, EINTR);			/* kept for the caller */
	T_ASSERT(file_is(p, "old"));
	T_ASSERT(access(tmp, F_OK) != 0);
	/* The rename fails (the target is a non-empty directory). */
	tpath(sub, sizeof(sub), "dir");
	T_EQ_INT(mkdir(sub, 0700), 0);
	tpath(p, sizeof(p), "dir/x");
	T_EQ_INT(cb_write_file_atomic(p, "x", 1, 0600), CB_OK);
	tpath(p, sizeof(p), "dir");
	T_EQ_INT(cb_atomic_open(&a, p, NULL, 0600, 0), CB_OK);
	T_EQ_INT(cb_atomic_commit(&a), CB_EIO);
	T_ASSERT(errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	T_ASSERT(access(tmp, F_OK) != 0);
	/* A missing directory: CB_EIO, nothing created. */
	T_EQ_INT(cb_write_file_atomic("/nonexistent-dir-shape/x", "x", 1,
	    0600), CB_EIO);
	T_EQ_INT(cb_fsync_dir("/nonexistent-dir-shape"), CB_EIO);
	T_EQ_INT(cb_fsync_dir_of(p), CB_OK);
	T_EQ_INT(cb_fsync_dir_of("relative-name"), CB_OK);	/* "." */
}

T_TEST(file_write_all_and_flags)
{
	char p[128], big[100000];
	struct cb_atomic a;
	int fds[2];

	/* Through a pipe, in pieces larger than its buffer. */
	memset(big, 'x', sizeof(big));
	T_EQ_INT(pipe(fds), 0);
	if (fork() == 0) {
		char sink[4096];
		close(fds[1]);
		while (read(fds[0], sink, sizeof(sink)) > 0)
			;
		_exit(0);
	}
	close(fds[0]);
	T_EQ_INT(cb_write_all(fds[1], big, sizeof(big)), CB_OK);
	close(fds[1]);
	wait(NULL);
	T_EQ_INT(cb_write_all(-1 + 1000, "x", 1), CB_EIO);	/* bad fd */
	T_EQ_INT(errno, EBADF);
	/* NO_SYNC and NO_DIRSYNC still replace atomically. */
	tpath(p, sizeof(p), "d.txt");
	T_EQ_INT(cb_atomic_open(&a, p, NULL, 0640,
	    CB_ATOMIC_NO_SYNC | CB_ATOMIC_NO_DIRSYNC), CB_OK);
	T_EQ_INT(cb_write_all(a.a_fd, "quick", 5), CB_OK);
	T_EQ_INT(cb_atomic_commit(&a), CB_OK);
	T_ASSERT(file_is(p, "quick"));
	/* A name too long. */
	memset(big, 'a', 5000);
	big[5000] = '\0';
	T_EQ_INT(cb_atomic_open(&a, big, NULL, 0600, 0), CB_ETOOBIG);
}

/* ---- date ------------------------------------------------------------ */

T_TEST(date_known_days_and_leap_years)
{
	int64_t y;
	int m, d;

	T_EQ_INT(cb_days_from_civil(1970, 1, 1), 0);
	T_EQ_INT(cb_days_from_civil(2000, 3, 1), 11017);
	T_EQ_INT(cb_days_from_civil(1969, 12, 31), -1);
	T_EQ_INT(cb_days_from_civil(2026, 4, 1), 20544);
	T_EQ_INT(cb_date_leap(1900), 0);
	T_EQ_INT(cb_date_leap(2000), 1);
	T_EQ_INT(cb_date_leap(2024), 1);
	T_EQ_INT(cb_date_leap(2100), 0);
	T_EQ_INT(cb_date_mdays(2024, 2), 29);
	T_EQ_INT(cb_date_mdays(2025, 2), 28);
	T_EQ_INT(cb_date_mdays(2025, 4), 30);
	T_EQ_INT(cb_date_mdays(2025, 12), 31);
	cb_civil_from_days(-719468, &y, &m, &d);	/* 0000-03-01 */
	T_ASSERT(y == 0 && m == 3 && d == 1);
}

/* civil_from_days inverts days_from_civil, and consecutive days are
 * consecutive dates, from year -2000 to 4000. */
T_TEST(date_round_trip)
{
	int64_t y, py = -2001;
	int m, d, pm = 12, pd = 31, bad = 0;

	for (int64_t z = cb_days_from_civil(-2000, 1, 1);
	    z < cb_days_from_civil(4000, 1, 1); z++) {
		cb_civil_from_days(z, &y, &m, &d);
		if (cb_days_from_civil(y, m, d) != z || d > cb_date_mdays(y, m))
			bad++;
		if (d == 1 ? !(pd == cb_date_mdays(py, pm) &&
		    (m == 1 ? y == py + 1 && pm == 12 : y == py &&
		    m == pm + 1)) : !(y == py && m == pm && d == pd + 1))
			bad++;
		py = y;
		pm = m;
		pd = d;
	}
	T_EQ_INT(bad, 0);
}

T_MAIN()
