/*
 * bootenv.c: the two GRUB environment blocks of the A/B boot state. The
 * parser accepts what grub.cfg accepts and nothing more, so that userspace
 * and GRUB never disagree about which block is current.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cb.h"
#include "base/file.h"
#include "update/bootenv.h"

#define BOOTENV_DIR	"EFI/classbox"
#define BOOTENV_PATH_MAX 512

/* A decimal without leading zeros (GRUB's -gt reads it the same). */
static int
be_number(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
be_line(struct bootenv *e, const char *l, size_t n, uint64_t *end, int *seen)
{
	const char *eq = memchr(l, '=', n);
	size_t k, vn;
	const char *v;
	uint64_t t;

	if (eq == NULL)
		return -1;
	k = (size_t)(eq - l);
	v = eq + 1;
	vn = n - k - 1;
	if (k == 3 && memcmp(l, "seq", 3) == 0 && !(*seen & 1)) {
		*seen |= 1;
		return be_number(v, vn, &e->be_seq);
	}
	if (k == 4 && memcmp(l, "slot", 4) == 0 && !(*seen & 2)) {
		*seen |= 2;
		e->be_slot = vn == 1 && (v[0] == 'A' || v[0] == 'B') ? v[0] : 0;
		return e->be_slot ? 0 : -1;
	}
	if (k == 5 && memcmp(l, "tries", 5) == 0 && !(*seen & 4)) {
		*seen |= 4;
		if (vn == 0)
			return 0;
		if (be_number(v, vn, &t) != 0 || t > BOOTENV_TRIES)
			return -1;
		e->be_tries = (int)t;
		return 0;
	}
	if (k == 3 && memcmp(l, "end", 3) == 0 && !(*seen & 8)) {
		*seen |= 8;
		return be_number(v, vn, end);
	}
	return 0;	/* other variables: ignored, as GRUB's whitelist does */
}

void
bootenv_parse(const char *buf, size_t len, struct bootenv *e)
{
	size_t h = sizeof(BOOTENV_HEADER) - 1, i;
	uint64_t end = 0;
	int seen = 0;

	memset(e, 0, sizeof(*e));
	e->be_tries = BOOTENV_NO_TRIES;
	if (len != BOOTENV_SIZE || memcmp(buf, BOOTENV_HEADER, h) != 0)
		return;
	for (i = h; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);

		if (nl == NULL)
			break;		/* the padding, checked below */
		/* '#' lines are comments (grub-editenv writes a warning) */
		if (buf[i] != '#' && be_line(e, buf + i,
		    (size_t)(nl - buf) - i, &end, &seen) != 0)
			return;
		i = (size_t)(nl - buf) + 1;
	}
	for (; i < len; i++)
		if (buf[i] != '#')
			return;
	e->be_valid = (seen & 11) == 11 && end == e->be_seq;
}

void
bootenv_format(const struct bootenv *e, char *out)
{
	char tries[8] = "";
	int n;

	if (e->be_tries != BOOTENV_NO_TRIES)
		snprintf(tries, sizeof(tries), "%d", e->be_tries);
	memset(out, '#', BOOTENV_SIZE);
	n = snprintf(out, BOOTENV_SIZE, BOOTENV_HEADER
	    "seq=%llu\nslot=%c\ntries=%s\nend=%llu\n",
	    (unsigned long long)e->be_seq, e->be_slot, tries,
	    (unsigned long long)e->be_seq);
	out[n] = '#';	/* snprintf's NUL */
}

static void
be_path(char *p, size_t size, const char *esp, int i)
{
	snprintf(p, size, "%s/" BOOTENV_DIR "/env%d", esp, i + 1);
}

void
bootstate_read(const char *esp_dir, struct bootstate *s)
{
	char path[BOOTENV_PATH_MAX], buf[BOOTENV_SIZE + 1];

	memset(s, 0, sizeof(*s));
	s->bs_cur = -1;
	for (int i = 0; i < 2; i++) {
		int fd;
		ssize_t n = -1;

		be_path(path, sizeof(path), esp_dir, i);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
			n = read(fd, buf, sizeof(buf));
			close(fd);
		}
		bootenv_parse(buf, n < 0 ? 0 : (size_t)n, &s->bs_env[i]);
		if (s->bs_env[i].be_valid && (s->bs_cur < 0 ||
		    s->bs_env[i].be_seq > s->bs_env[s->bs_cur].be_seq))
			s->bs_cur = i;
	}
}

char
bootstate_next(const struct bootstate *s, int *trial)
{
	const struct bootenv *e;

	*trial = 0;
	if (s->bs_cur < 0)
		return 'A';
	e = &s->bs_env[s->bs_cur];
	if (e->be_tries == BOOTENV_NO_TRIES)
		return e->be_slot;
	if (e->be_tries > 0) {
		*trial = 1;
		return e->be_slot;
	}
	return e->be_slot == 'A' ? 'B' : 'A';
}

int
bootstate_write(const char *esp_dir, struct bootstate *s, char slot,
    int tries)
{
	char path[BOOTENV_PATH_MAX], buf[BOOTENV_SIZE];
	struct bootenv e = { 1, 1, slot, tries };
	int i, fd, created;

	if ((slot != 'A' && slot != 'B') || tries < BOOTENV_NO_TRIES ||
	    tries > BOOTENV_TRIES)
		return CB_EINVAL;
	/* The block to overwrite: the one that is not current. */
	i = s->bs_cur == 0 ? 1 : 0;
	if (s->bs_cur >= 0)
		e.be_seq = s->bs_env[s->bs_cur].be_seq + 1;
	bootenv_format(&e, buf);
	be_path(path, sizeof(path), esp_dir, i);
	/* In place (no O_TRUNC, no rename): the file keeps its clusters, so
	 * GRUB, which writes by block list, can still find it. */
	created = 0;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		created = 1;
	}
	if (fd == -1)
		return CB_EIO;
	if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
	    fsync(fd) != 0) {
		close(fd);
		return CB_EIO;
	}
	if (close(fd) != 0)
		return CB_EIO;
	/* A block that was missing: its directory entry must be durable too. */
	if (created && cb_fsync_dir_of(path) != CB_OK)
		return CB_EIO;
	s->bs_env[i] = e;
	s->bs_cur = i;
	return CB_OK;
}
