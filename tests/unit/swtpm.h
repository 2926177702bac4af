/*
 * swtpm.h: a real software TPM 2.0 (Debian's swtpm) for the unit tests of
 * firmware/tpm and firmware/keys, started on a unix socket in a scratch
 * directory and stopped by its pid. A missing swtpm fails the test (it is
 * in tools/install-packages); nothing is skipped.
 *
 * Also a "logic analyser": a relay between the client and swtpm that
 * records every byte both ways into a file, and can flip one byte of the
 * answer to TPM2_Unseal, as an interposer on the LPC/SPI bus would.
 */
#ifndef T_SWTPM_H
#define T_SWTPM_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct swtpm {
	pid_t sw_pid;
	char sw_dir[96];		/* its state directory */
	char sw_sock[128];		/* the data channel */
	char sw_ctrl[136];
};

/* A unix socket address for path; -1 when it does not fit. */
static int
sun_set(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

static int
swtpm_connectable(const char *path)
{
	struct sockaddr_un sa;
	int fd, ok;

	if (sun_set(&sa, path) != 0)
		return 0;
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void
swtpm_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Start swtpm with its state in dir (created if missing; kept across a
 * stop and start, like a TPM's NVRAM across a reboot). 0 or -1. */
static int
swtpm_start(struct swtpm *s, const char *dir)
{
	char server[200], ctrl[200], state[160];

	memset(s, 0, sizeof(*s));
	snprintf(s->sw_dir, sizeof(s->sw_dir), "%s", dir);
	snprintf(s->sw_sock, sizeof(s->sw_sock), "%s/data.sock", dir);
	/* tpm2-tools' swtpm TCTI finds the control channel at PATH.ctrl. */
	snprintf(s->sw_ctrl, sizeof(s->sw_ctrl), "%s.ctrl", s->sw_sock);
	mkdir(dir, 0700);
	unlink(s->sw_sock);
	unlink(s->sw_ctrl);
	snprintf(server, sizeof(server), "type=unixio,path=%s", s->sw_sock);
	snprintf(ctrl, sizeof(ctrl), "type=unixio,path=%s", s->sw_ctrl);
	snprintf(state, sizeof(state), "dir=%s", dir);
	if ((s->sw_pid = fork()) < 0)
		return -1;
	if (s->sw_pid == 0) {
		char log[140];
		int err = dup(2), fd;

		/* Its chatter ("Data client disconnected") to a log. */
		snprintf(log, sizeof(log), "%s/swtpm.log", dir);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", server,
		    "--ctrl", ctrl, "--flags", "not-need-init,startup-clear",
		    "--tpmstate", state, (char *)NULL);
		dprintf(err, "swtpm: cannot run it (%s): "
		    "tools/install-packages installs Debian's swtpm\n",
		    strerror(errno));
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {		/* 5 s */
		if (swtpm_connectable(s->sw_sock))
			return 0;
		if (waitpid(s->sw_pid, NULL, WNOHANG) == s->sw_pid) {
			s->sw_pid = 0;
			return -1;
		}
		swtpm_sleep_ms(10);
	}
	return -1;
}

static void
swtpm_stop(struct swtpm *s)
{
	if (s->sw_pid > 0) {
		kill(s->sw_pid, SIGTERM);
		waitpid(s->sw_pid, NULL, 0);
	}
	s->sw_pid = 0;
}

/* The relay: one client connection to `listen_path`, relayed to
 * `target`; every byte both ways appended to `capture`. With
 * flip_unseal, one byte of the answer to the first TPM2_Unseal is
 * flipped. Runs in a child process; swtpm_relay_stop() ends it. */
static int
relay_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (sun_set(&sa, path) != 0)
		return -1;
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 1) != 0)
		return -1;
	return fd;
}

static int
relay_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (sun_set(&sa, path) != 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -1;
	return fd;
}

static void
relay_run(int lfd, const char *target, const char *capture, int flip_unseal)
{
	unsigned char buf[8192];
	int c = accept(lfd, NULL, NULL), t = relay_connect(target);
	int cap = open(capture, O_WRONLY | O_CREAT | O_APPEND, 0600);
	int unseal_next = 0, flipped = 0;

	if (c < 0 || t < 0 || cap < 0)
		_exit(1);
	for (;;) {
		struct pollfd p[2] = { { c, POLLIN, 0 }, { t, POLLIN, 0 } };
		ssize_t n;

		if (poll(p, 2, -1) <= 0)
			_exit(1);
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			if ((n = read(p[i].fd, buf, sizeof(buf))) <= 0)
				_exit(0);
			if (i == 0 && n >= 10 && buf[9] == 0x5E && buf[8] == 1)
				unseal_next = 1;	/* TPM_CC_Unseal */
			else if (i == 1 && unseal_next && flip_unseal &&
			    !flipped && n > 16) {
				buf[16] ^= 0x01;	/* first secret byte */
				flipped = 1;
			}
			if (write(cap, buf, (size_t)n) != n ||
			    write(i == 0 ? t : c, buf, (size_t)n) != n)
				_exit(1);
		}
	}
}

__attribute__((unused)) static pid_t
swtpm_relay_start(const char *listen_path, const char *target,
    const char *capture, int flip_unseal)
{
	int lfd = relay_listen(listen_path);
	pid_t pid;

	if (lfd < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		relay_run(lfd, target, capture, flip_unseal);
		_exit(0);
	}
	close(lfd);
	return pid;
}

__attribute__((unused)) static void
swtpm_relay_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

#endif
