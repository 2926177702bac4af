/*
 * argon2.c: milliseconds per Argon2id hash (PASSWORD_ARGON2_* parameters)
 * through password_hash (libargon2 allocates the memory on every call)
 * and password_hash_arena (one pre-touched arena, as an auth worker has).
 * Built for glibc and for static musl by tests/bench/argon2.sh, which
 * prints the table. Usage: argon2 [hashes per mode]; prints
 * "malloc <ms> arena <ms>".
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/cb.h"
#include "auth/password.h"

#define BENCH_WARMUP	2
#define BENCH_MAX	1000

static double
ms_per_hash(struct password_arena *a, int n)
{
	char phc[PASSWORD_PHC_MAX];
	int64_t t0;

	for (int i = 0; i < BENCH_WARMUP; i++)
		if (password_hash_arena(a, "bench mark password", phc,
		    sizeof(phc)) != 0)
			fatalx("argon2 bench: hashing failed");
	t0 = cb_mono_ms();
	for (int i = 0; i < n; i++)
		if (password_hash_arena(a, "bench mark password", phc,
		    sizeof(phc)) != 0)
			fatalx("argon2 bench: hashing failed");
	return (double)(cb_mono_ms() - t0) / n;
}

int
main(int argc, char **argv)
{
	struct password_arena *a;
	int n = argc > 1 ? atoi(argv[1]) : 20;
	double m, r;

	if (n < 1 || n > BENCH_MAX) {
		fprintf(stderr, "usage: argon2 [1..%d hashes per mode]\n",
		    BENCH_MAX);
		return 2;
	}
	cb_log_init("argon2-bench");
	if (password_arena_new(&a) != 0)
		fatalx("argon2 bench: no memory for the arena");
	m = ms_per_hash(NULL, n);	/* what password_hash does */
	r = ms_per_hash(a, n);
	password_arena_free(a);
	printf("malloc %.1f arena %.1f\n", m, r);
	return 0;
}
