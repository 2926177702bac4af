/*
 * t.h: the unit test harness. Each tests/unit/test_*.c defines tests with
 * T_TEST(name) { ... T_ASSERT(cond); ... } and ends with T_MAIN(). Every
 * assertion that fails is printed with file and line; the binary prints
 * "<file>: N passed, N failed" and exits non-zero if any failed.
 *
 * Arguments choose the cases:
 *   test_store                  every case, in the order of the file
 *   test_store CASE...          only these (a shell pattern matches several:
 *                               test_store 'revtree_*')
 *   test_store --list           the names of the cases, one a line
 * A name or pattern that matches no case is an error (exit 2, nothing run):
 * a typo must not pass as a run of nothing.
 */
#ifndef T_H
#define T_H

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct t_case { const char *name; void (*fn)(void); };
#define T_MAX_CASES 256
static struct t_case t_cases[T_MAX_CASES];
static int t_ncases, t_failed_asserts, t_too_many;

#define T_TEST(name)                                                     \
	static void t_##name(void);                                      \
	__attribute__((constructor)) static void t_reg_##name(void) {    \
		if (t_ncases < T_MAX_CASES)                              \
			t_cases[t_ncases++] = (struct t_case){#name, t_##name}; \
		else                                                     \
			t_too_many++;                                    \
	}                                                                \
	static void t_##name(void)

#define T_ASSERT(c) do { if (!(c)) { t_failed_asserts++;                 \
	fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,        \
	    __LINE__, #c); } } while (0)
#define T_EQ_INT(a, b) do { long long t_a = (a), t_b = (b);               \
	if (t_a != t_b) { t_failed_asserts++; fprintf(stderr,             \
	    "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a,  \
	    t_a, t_b); } } while (0)
#define T_EQ_STR(a, b) do { const char *t_a = (a), *t_b = (b);            \
	if (!t_a || strcmp(t_a, t_b) != 0) { t_failed_asserts++;          \
	    fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n",     \
	    __FILE__, __LINE__, #a, t_a ? t_a : "(null)", t_b); } } while (0)

/* t_chosen: is case I named by one of the N patterns in PAT (all when
 * N is 0)? */
static int
t_chosen(int i, int n, char **pat)
{
	for (int k = 0; k < n; k++)
		if (fnmatch(pat[k], t_cases[i].name, 0) == 0)
			return 1;
	return n == 0;
}

/* t_args: checks the arguments against the cases; 0 to run them, 1 when
 * --list printed the names, -1 after a usage error (printed). */
static int
t_args(const char *file, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (int i = 0; i < t_ncases; i++)
			printf("%s\n", t_cases[i].name);
		return 1;
	}
	for (int k = 1; k < argc; k++) {
		int hit = 0;
		for (int i = 0; i < t_ncases && !hit; i++)
			hit = fnmatch(argv[k], t_cases[i].name, 0) == 0;
		if (!hit) {
			fprintf(stderr, "%s: no case is called '%s' (--list "
			    "names them)\n", file, argv[k]);
			return -1;
		}
	}
	return 0;
}

static int
t_run(const char *file, int argc, char **argv)
{
	int passed = 0, failed = 0, rc = t_args(file, argc, argv);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	for (int i = 0; i < t_ncases; i++) {
		int before = t_failed_asserts;

		if (!t_chosen(i, argc - 1, argv + 1))
			continue;
		t_cases[i].fn();
		if (t_failed_asserts == before)
			passed++;
		else {
			failed++;
			fprintf(stderr, "FAIL %s\n", t_cases[i].name);
		}
	}
	printf("%s: %d passed, %d failed\n", file, passed, failed);
	return failed ? 1 : 0;
}

#define T_MAIN()                                                         \
	int main(int argc, char **argv) {                                \
		if (t_too_many) {                                        \
			fprintf(stderr, "%s: more than %d cases\n",      \
			    __FILE__, T_MAX_CASES);                      \
			return 2;                                        \
		}                                                        \
		return t_run(__FILE__, argc, argv);                      \
	}

#endif
