/*
 * health.h: is the newly booted slot healthy? Web serves HTTPS with the
 * box's own certificate (it opens the classroom store before it serves: a
 * store that does not open stops web), and auth answers on its socket.
 */
#ifndef UPDATE_HEALTH_H
#define UPDATE_HEALTH_H

#define HEALTH_IO_TIMEOUT_MS	5000	/* one probe's connect/read */

struct health_target {
	const char *ht_addr;		/* "127.0.0.1", "fd00::1" */
	int ht_port;			/* 443 */
	const char *ht_cert;		/* the box's certificate (PEM): pinned */
	const char *ht_auth_sock;	/* auth's socket */
};

/* One probe of each; 0 when all answered, else why says which did not. */
int health_probe(const struct health_target *t, char *why, size_t why_size);

#endif
