/* SPDX-License-Identifier: MIT */
/* A minimal unit-test harness: CHECK() records a failure with its line and
 * goes on; unit_done() prints "N passed, N failed" and returns the exit code. */
#ifndef MPMSCOPE_UNIT_H
#define MPMSCOPE_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (cond) {                                                           \
			unit_pass++;                                                  \
		} else {                                                              \
			unit_fail++;                                                  \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                     \
	} while (0)

#define CHECK_EQ_U(a, b)                                                              \
	do {                                                                          \
		unsigned long long _a = (a), _b = (b);                                \
		if (_a == _b) {                                                       \
			unit_pass++;                                                  \
		} else {                                                              \
			unit_fail++;                                                  \
			fprintf(stderr, "%s:%d: %s == %llu, expected %s == %llu\n", __FILE__, \
				__LINE__, #a, _a, #b, _b);                            \
		}                                                                     \
	} while (0)

#define CHECK_STR(a, b)                                                               \
	do {                                                                          \
		const char *_a = (a), *_b = (b);                                      \
		if (_a && _b && !strcmp(_a, _b)) {                                    \
			unit_pass++;                                                  \
		} else {                                                              \
			unit_fail++;                                                  \
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, \
				__LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");  \
		}                                                                     \
	} while (0)

static inline int unit_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}

#endif
