/*
 * faultproxy.c: the link between the box and the cloud in the sync tests
 * (tests/sync/rig.sh builds it into the test directory). A TCP proxy on
 * 127.0.0.1 that forwards to a target port and, when told, misbehaves the
 * way a school's internet link does: it cuts, stalls, slows, resets and
 * refuses connections, mid-stream.
 *
 *   faultproxy serve LISTEN_PORT TARGET_PORT CONTROL_SOCKET
 *   faultproxy ctl CONTROL_SOCKET COMMAND...   (prints the answer)
 *
 * Commands over the control socket (one line in, one line out, then the
 * proxy closes the control connection; every change applies at once):
 *   pass                 forward everything (the start mode)
 *   cut                  close every open connection now, and every new
 *                        one as soon as it is accepted (the link is down)
 *   cutafter N           forward N more bytes (both directions together),
 *                        then behave as cut
 *   cutrandom SEED MAX   cutafter N, N drawn from 1..MAX with SEED; the
 *                        answer says N
 *   stall                keep connections open, forward nothing
 *   slow BPS             forward at most BPS bytes/s in each direction
 *   delay MS             forward everything, each byte MS after it came
 *                        (both directions: a round trip of 2 x MS, as a
 *                        school's uplink to a cloud region far away)
 *   reset                send RST (SO_LINGER 0) on every open connection
 *                        now and on every new one
 *   refuse               close the listening socket (connect: refused)
 *                        and every open connection
 *   target PORT          new connections go to PORT
 *   stats                "conns=N open=N up=BYTES down=BYTES mode=M"
 *   zero                 zero the counters
 * Up is box to cloud, down cloud to box. The proxy exits on SIGTERM.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FP_CONNS_MAX	64		/* connection pairs at once */
#define FP_BUF		(256 * 1024)	/* bytes buffered per direction:
					 * delay mode's window (256 KiB in
					 * flight a direction) */
#define FP_SEGS		512		/* delay: reads held at once */
#define FP_CMD_MAX	256		/* bytes of one control command */
#define FP_TICK_MS	20		/* poll timeout: slow mode's clock */

enum fp_mode { FP_PASS, FP_CUT, FP_CUTAFTER, FP_STALL, FP_SLOW, FP_RESET,
    FP_REFUSE, FP_DELAY };
static const char *const fp_mode_names[] = { "pass", "cut", "cutafter",
    "stall", "slow", "reset", "refuse", "delay" };

struct fp_dir {				/* one direction of a pair */
	char d_buf[FP_BUF];
	size_t d_len;			/* bytes waiting to be written */
	int d_eof;			/* the reading side closed */
	/* delay: the last d_held bytes of d_buf are held, as the reads
	 * that brought them (oldest first, a ring), each until its time */
	size_t d_held;
	size_t d_seg_len[FP_SEGS];
	uint64_t d_seg_at[FP_SEGS];
	size_t d_seg_first, d_nseg;
};

struct fp_pair {
	int p_fd[2];			/* 0: the box's side, 1: the cloud's */
	struct fp_dir p_dir[2];		/* 0: up (box to cloud), 1: down */
	int p_used;
};

struct fp {
	int f_listen, f_ctl;
	int f_listen_port, f_target_port;
	enum fp_mode f_mode;
	uint64_t f_budget;		/* cutafter: bytes left */
	uint64_t f_rate;		/* slow: bytes/s per direction */
	uint64_t f_allow[2];		/* slow: bytes allowed this tick */
	uint64_t f_delay_ms;		/* delay: one way */
	uint64_t f_conns, f_up, f_down;
	struct fp_pair f_pairs[FP_CONNS_MAX];
};

static volatile sig_atomic_t fp_stop;

static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* delay: let go of the reads whose time has come; the earliest time a
 * held read of dir may go (UINT64_MAX: none held). */
static uint64_t
release(struct fp_dir *dir, uint64_t now)
{
	while (dir->d_nseg > 0 && dir->d_seg_at[dir->d_seg_first] <= now) {
		dir->d_held -= dir->d_seg_len[dir->d_seg_first];
		dir->d_seg_first = (dir->d_seg_first + 1) % FP_SEGS;
		dir->d_nseg--;
	}
	return dir->d_nseg > 0 ? dir->d_seg_at[dir->d_seg_first] : UINT64_MAX;
}

static void
hold(struct fp *f, struct fp_dir *dir, size_t n)
{
	size_t k = (dir->d_seg_first + dir->d_nseg) % FP_SEGS;

	dir->d_seg_len[k] = n;
	dir->d_seg_at[k] = now_ms() + f->f_delay_ms;
	dir->d_nseg++;
	dir->d_held += n;
}

static void
on_term(int sig)
{
	(void)sig;
	fp_stop = 1;
}

static int
listen_tcp(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, 64) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
connect_tcp(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	/* Blocking connect to the loopback: immediate, and simple. */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void
close_rst(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void
pair_close(struct fp_pair *p, int rst)
{
	for (int i = 0; i < 2; i++)
		if (p->p_fd[i] >= 0) {
			if (rst)
				close_rst(p->p_fd[i]);
			else
				close(p->p_fd[i]);
		}
	memset(p, 0, sizeof(*p));
	p->p_fd[0] = p->p_fd[1] = -1;
}

static void
close_all(struct fp *f, int rst)
{
	for (int i = 0; i < FP_CONNS_MAX; i++)
		if (f->f_pairs[i].p_used)
			pair_close(&f->f_pairs[i], rst);
}

static void
on_accept(struct fp *f)
{
	int one = 1, fd = accept4(f->f_listen, NULL, NULL, SOCK_NONBLOCK);

	if (fd < 0)
		return;
	f->f_conns++;
	if (f->f_mode == FP_CUT) {
		close(fd);
		return;
	}
	if (f->f_mode == FP_RESET) {
		close_rst(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < FP_CONNS_MAX; i++) {
		struct fp_pair *p = &f->f_pairs[i];

		if (p->p_used)
			continue;
		memset(p, 0, sizeof(*p));
		p->p_fd[0] = fd;
		p->p_fd[1] = connect_tcp(f->f_target_port);
		if (p->p_fd[1] < 0) {
			close_rst(fd);
			p->p_fd[0] = -1;
			return;
		}
		p->p_used = 1;
		return;
	}
	close_rst(fd);			/* full */
}

/* Moves bytes of direction d (read fd d, write fd 1-d) as far as the
 * mode allows. Returns -1 when the pair is finished. */
static int
pump(struct fp *f, struct fp_pair *p, int d, short rev_in, short rev_out)
{
	struct fp_dir *dir = &p->p_dir[d];

	if ((rev_in & (POLLIN | POLLHUP | POLLERR)) && !dir->d_eof &&
	    dir->d_len < FP_BUF && dir->d_nseg < FP_SEGS) {
		ssize_t n = read(p->p_fd[d], dir->d_buf + dir->d_len,
		    FP_BUF - dir->d_len);
		if (n > 0) {
			dir->d_len += (size_t)n;
			if (f->f_mode == FP_DELAY)
				hold(f, dir, (size_t)n);
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			dir->d_eof = 1;
	}
	(void)release(dir, now_ms());
	if (dir->d_len > dir->d_held && (rev_out & POLLOUT)) {
		size_t want = dir->d_len - dir->d_held;

		if (f->f_mode == FP_SLOW && want > f->f_allow[d])
			want = (size_t)f->f_allow[d];
		if (f->f_mode == FP_CUTAFTER && want > f->f_budget)
			want = (size_t)f->f_budget;
		if (want > 0) {
			ssize_t n = write(p->p_fd[1 - d], dir->d_buf, want);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return -1;
			if (n > 0) {
				memmove(dir->d_buf, dir->d_buf + n,
				    dir->d_len - (size_t)n);
				dir->d_len -= (size_t)n;
				*(d == 0 ? &f->f_up : &f->f_down) +=
				    (uint64_t)n;
				if (f->f_mode == FP_SLOW)
					f->f_allow[d] -= (uint64_t)n;
				if (f->f_mode == FP_CUTAFTER)
					f->f_budget -= (uint64_t)n;
			}
		}
	}
	/* An end of stream goes when the bytes before it have. */
	if (dir->d_eof && dir->d_len == 0) {
		shutdown(p->p_fd[1 - d], SHUT_WR);
		if (p->p_dir[1 - d].d_eof && p->p_dir[1 - d].d_len == 0)
			return -1;
	}
	return 0;
}

static void
set_mode(struct fp *f, enum fp_mode m)
{
	if (f->f_mode == FP_DELAY && m != FP_DELAY)
		for (int i = 0; i < FP_CONNS_MAX; i++)
			for (int d = 0; d < 2; d++) {	/* all may go now */
				struct fp_dir *dir = &f->f_pairs[i].p_dir[d];
				dir->d_held = dir->d_nseg = 0;
			}
	f->f_mode = m;
	if (m == FP_CUT)
		close_all(f, 0);
	else if (m == FP_RESET)
		close_all(f, 1);
	else if (m == FP_REFUSE) {
		close_all(f, 0);
		if (f->f_listen >= 0)
			close(f->f_listen);
		f->f_listen = -1;
	}
	if (m != FP_REFUSE && f->f_listen < 0)
		f->f_listen = listen_tcp(f->f_listen_port);
}

/* One control command; the answer goes into out. */
static void
control(struct fp *f, char *cmd, char *out, size_t outsz)
{
	char *arg1, *arg2, *save = NULL;
	char *verb = strtok_r(cmd, " \t\r\n", &save);
	enum fp_mode m;

	arg1 = strtok_r(NULL, " \t\r\n", &save);
	arg2 = strtok_r(NULL, " \t\r\n", &save);
	if (verb == NULL)
		verb = "";
	if (strcmp(verb, "stats") == 0) {
		int open = 0;
		for (int i = 0; i < FP_CONNS_MAX; i++)
			open += f->f_pairs[i].p_used;
		snprintf(out, outsz, "conns=%llu open=%d up=%llu down=%llu "
		    "mode=%s\n", (unsigned long long)f->f_conns, open,
		    (unsigned long long)f->f_up, (unsigned long long)f->f_down,
		    fp_mode_names[f->f_mode]);
		return;
	}
	if (strcmp(verb, "zero") == 0) {
		f->f_conns = f->f_up = f->f_down = 0;
		snprintf(out, outsz, "ok\n");
		return;
	}
	if (strcmp(verb, "target") == 0 && arg1 != NULL) {
		f->f_target_port = atoi(arg1);
		snprintf(out, outsz, "ok target %d\n", f->f_target_port);
		return;
	}
	if (strcmp(verb, "cutafter") == 0 && arg1 != NULL) {
		f->f_budget = strtoull(arg1, NULL, 10);
		set_mode(f, FP_CUTAFTER);
		snprintf(out, outsz, "ok cutafter %llu\n",
		    (unsigned long long)f->f_budget);
		return;
	}
	if (strcmp(verb, "cutrandom") == 0 && arg1 != NULL && arg2 != NULL) {
		unsigned short xs[3] = { 0x330e, 0, 0 };
		unsigned long seed = strtoul(arg1, NULL, 10);
		unsigned long long max = strtoull(arg2, NULL, 10);

		xs[1] = (unsigned short)seed;
		xs[2] = (unsigned short)(seed >> 16);
		f->f_budget = max ? 1 + (uint64_t)nrand48(xs) % max : 0;
		set_mode(f, FP_CUTAFTER);
		snprintf(out, outsz, "ok cutafter %llu\n",
		    (unsigned long long)f->f_budget);
		return;
	}
	if (strcmp(verb, "slow") == 0 && arg1 != NULL) {
		f->f_rate = strtoull(arg1, NULL, 10);
		f->f_allow[0] = f->f_allow[1] = 0;
		set_mode(f, FP_SLOW);
		snprintf(out, outsz, "ok slow %llu\n",
		    (unsigned long long)f->f_rate);
		return;
	}
	if (strcmp(verb, "delay") == 0 && arg1 != NULL) {
		f->f_delay_ms = strtoull(arg1, NULL, 10);
		set_mode(f, FP_DELAY);
		snprintf(out, outsz, "ok delay %llu\n",
		    (unsigned long long)f->f_delay_ms);
		return;
	}
	for (m = FP_PASS; m <= FP_REFUSE; m++)
		if (m != FP_CUTAFTER && m != FP_SLOW &&
		    strcmp(verb, fp_mode_names[m]) == 0) {
			set_mode(f, m);
			snprintf(out, outsz, "ok %s\n", verb);
			return;
		}
	snprintf(out, outsz, "error: unknown command\n");
}

static void
on_control(struct fp *f)
{
	char cmd[FP_CMD_MAX], out[FP_CMD_MAX];
	size_t len = 0;
	int fd = accept(f->f_ctl, NULL, NULL);

	if (fd < 0)
		return;
	/* The client sends one short line and waits: read it whole. */
	while (len < sizeof(cmd) - 1) {
		ssize_t n = read(fd, cmd + len, sizeof(cmd) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(cmd, '\n', len))
			break;
	}
	cmd[len] = '\0';
	control(f, cmd, out, sizeof(out));
	if (write(fd, out, strlen(out)) < 0)
		perror("faultproxy: control answer");
	close(fd);
}

static void
tick(struct fp *f, struct timespec *last)
{
	struct timespec now;
	uint64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (uint64_t)(now.tv_sec - last->tv_sec) * 1000 +
	    (uint64_t)(now.tv_nsec / 1000000) - (uint64_t)(last->tv_nsec /
	    1000000);
	if (f->f_mode == FP_SLOW && ms >= FP_TICK_MS) {
		for (int d = 0; d < 2; d++) {
			f->f_allow[d] += f->f_rate * ms / 1000;
			if (f->f_allow[d] > f->f_rate / 10 + 1)
				f->f_allow[d] = f->f_rate / 10 + 1;
		}
		*last = now;
	} else if (f->f_mode != FP_SLOW)
		*last = now;
	if (f->f_mode == FP_CUTAFTER && f->f_budget == 0)
		set_mode(f, FP_CUT);
}

static void
serve_loop(struct fp *f)
{
	struct pollfd pfd[2 + 2 * FP_CONNS_MAX];
	int map[2 + 2 * FP_CONNS_MAX];
	struct timespec last;

	clock_gettime(CLOCK_MONOTONIC, &last);
	while (!fp_stop) {
		nfds_t n = 0;
		int stalled = f->f_mode == FP_STALL, timeout = FP_TICK_MS;
		uint64_t now = now_ms(), next = UINT64_MAX;

		pfd[n].fd = f->f_ctl; pfd[n].events = POLLIN; map[n++] = -1;
		pfd[n].fd = f->f_listen; pfd[n].events = POLLIN; map[n++] = -1;
		for (int i = 0; i < FP_CONNS_MAX; i++) {
			struct fp_pair *p = &f->f_pairs[i];
			if (!p->p_used)
				continue;
			for (int s = 0; s < 2; s++) {
				uint64_t at = release(&p->p_dir[s], now);
				if (at < next)
					next = at;
			}
			for (int s = 0; s < 2; s++) {
				short ev = 0;
				if (!stalled && !p->p_dir[s].d_eof &&
				    p->p_dir[s].d_len < FP_BUF &&
				    p->p_dir[s].d_nseg < FP_SEGS)
					ev |= POLLIN;
				if (!stalled && p->p_dir[1 - s].d_len >
				    p->p_dir[1 - s].d_held &&
				    (f->f_mode != FP_SLOW ||
				    f->f_allow[1 - s] > 0))
					ev |= POLLOUT;
				pfd[n].fd = p->p_fd[s];
				pfd[n].events = ev;
				map[n++] = i;
			}
		}
		/* delay: wake when the next held read may go */
		if (next != UINT64_MAX && next - now < (uint64_t)timeout)
			timeout = (int)(next - now);
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break;
		tick(f, &last);
		if (pfd[0].revents & POLLIN)
			on_control(f);
		for (nfds_t k = 2; k < n; k += 2) {
			struct fp_pair *p = &f->f_pairs[map[k]];
			short gone = (pfd[k].revents | pfd[k + 1].revents) &
			    (POLLERR | POLLHUP);
			if (!p->p_used || f->f_mode == FP_CUT)
				continue;
			if (stalled) {	/* a peer that gave up goes */
				if (gone)
					pair_close(p, 0);
				continue;
			}
			if (pump(f, p, 0, pfd[k].revents, pfd[k + 1].revents) <
			    0 || pump(f, p, 1, pfd[k + 1].revents,
			    pfd[k].revents) < 0)
				pair_close(p, 0);
		}
		tick(f, &last);
		if (f->f_listen >= 0 && pfd[1].fd == f->f_listen &&
		    (pfd[1].revents & POLLIN))
			on_accept(f);
	}
}

static int
ctl_client(const char *path, int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[FP_CMD_MAX] = "", buf[FP_CMD_MAX];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ssize_t n;

	if (strlen(path) >= sizeof(a.sun_path) || fd < 0)
		return 2;
	memcpy(a.sun_path, path, strlen(path) + 1);
	for (int i = 0; i < argc; i++) {
		strncat(line, argv[i], sizeof(line) - strlen(line) - 2);
		strncat(line, i + 1 < argc ? " " : "\n",
		    sizeof(line) - strlen(line) - 1);
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    write(fd, line, strlen(line)) < 0) {
		perror("faultproxy ctl");
		return 2;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
}

static int
serve(int listen_port, int target_port, const char *path)
{
	static struct fp f;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct sigaction sa = { .sa_handler = on_term };

	f.f_listen_port = listen_port;
	f.f_target_port = target_port;
	for (int i = 0; i < FP_CONNS_MAX; i++)
		f.f_pairs[i].p_fd[0] = f.f_pairs[i].p_fd[1] = -1;
	if (strlen(path) >= sizeof(a.sun_path))
		return 2;
	memcpy(a.sun_path, path, strlen(path) + 1);
	unlink(path);
	f.f_ctl = socket(AF_UNIX, SOCK_STREAM, 0);
	f.f_listen = listen_tcp(listen_port);
	if (f.f_ctl < 0 || f.f_listen < 0 ||
	    bind(f.f_ctl, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(f.f_ctl, 8) != 0) {
		perror("faultproxy: listen");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	serve_loop(&f);
	close_all(&f, 0);
	unlink(path);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]), atoi(argv[3]), argv[4]);
	if (argc >= 4 && strcmp(argv[1], "ctl") == 0)
		return ctl_client(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: faultproxy serve LISTEN_PORT TARGET_PORT "
	    "CONTROL_SOCKET\n       faultproxy ctl CONTROL_SOCKET COMMAND...\n");
	return 2;
}
