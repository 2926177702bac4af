/*
 * t.h: the unit test harness. Each tests/unit/test_*.c defines tests with
 * T_TEST(name) { ... T_ASSERT(cond); ... } and ends with T_MAIN(). Every
 * assertion that fails is printed with file and line; the binary prints
 * "<file>: N passed, N failed" and exits non-zero if any failed.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct t_case { const char *name; void (*fn)(void); };
#define T_MAX_CASES 256
static struct t_case t_cases[T_MAX_CASES];
static int t_ncases, t_failed_asserts;

#define T_TEST(name)                                                     \
	static void t_##name(void);                                      \
	__attribute__((constructor)) static void t_reg_##name(void) {    \
		if (t_ncases < T_MAX_CASES)                              \
			t_cases[t_ncases++] = (struct t_case){#name, t_##name}; \
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

#define T_MAIN()                                                         \
	int main(void) {                                                 \
		int passed = 0, failed = 0;                              \
		for (int i = 0; i < t_ncases; i++) {                     \
			int before = t_failed_asserts;                   \
			t_cases[i].fn();                                 \
			if (t_failed_asserts == before) passed++;        \
			else { failed++; fprintf(stderr, "FAIL %s\n",    \
			    t_cases[i].name); }                          \
		}                                                        \
		printf("%s: %d passed, %d failed\n", __FILE__, passed,   \
		    failed);                                             \
		return failed ? 1 : 0;                                   \
	}

#endif
