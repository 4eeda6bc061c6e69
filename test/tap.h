/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Minimal TAP producer for the unit tests: every check is one test point,
 * so the suite's summary counts cases, not programs.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned tap_count, tap_failures;

__attribute__((format(printf, 4, 5), unused)) static bool tap_ok(bool cond, const char *file, int line,
								  const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("%s %u - ", cond ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond) {
		tap_failures++;
		printf("# failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* String equality with both values shown on failure. */
#define is_str(got, expected, ...)                                                               \
	({                                                                                       \
		const char *_g = (got), *_e = (expected);                                        \
		bool _r = tap_ok(_g && _e && strcmp(_g, _e) == 0, __FILE__, __LINE__, __VA_ARGS__); \
		if (!_r)                                                                         \
			printf("#   got:      '%s'\n#   expected: '%s'\n", _g ? _g : "(null)",  \
			       _e ? _e : "(null)");                                              \
		_r;                                                                              \
	})

#define is_int(got, expected, ...)                                                               \
	({                                                                                       \
		long long _g = (long long)(got), _e = (long long)(expected);                     \
		bool _r = tap_ok(_g == _e, __FILE__, __LINE__, __VA_ARGS__);                     \
		if (!_r)                                                                         \
			printf("#   got:      %lld\n#   expected: %lld\n", _g, _e);             \
		_r;                                                                              \
	})

__attribute__((unused)) static void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A fixed sequence of pseudo-random numbers (xorshift32), the same in every run. */
__attribute__((unused)) static uint32_t tap_random(void)
{
	static uint32_t x = 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/* n checks that cannot run here, reported as skipped. */
__attribute__((unused)) static void tap_skip(unsigned n, const char *reason)
{
	while (n--)
		printf("ok %u # SKIP %s\n", ++tap_count, reason);
}

__attribute__((noreturn, unused)) static void tap_skip_all(const char *reason)
{
	printf("1..0 # SKIP %s\n", reason);
	exit(0);
}

/* Print the plan; failures are reported by the "not ok" lines themselves. */
__attribute__((unused)) static int tap_done(void)
{
	printf("1..%u\n", tap_count);
	if (tap_failures)
		printf("# %u of %u failed\n", tap_failures, tap_count);
	return 0;
}
