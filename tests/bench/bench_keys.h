/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	bench_keys.h - the addresses and timing the table benchmarks share
 * DESCRIPTION
 *	bench_table and table_ab draw the same kind of addresses from the
 *	same generator, so their figures describe the same keys, and time in
 *	CPU time of the thread. Static functions: each program has one copy.
 * TRUST
 *	Their own data.
 */
#ifndef RG_BENCH_KEYS_H
#define RG_BENCH_KEYS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../unit/xorshift.h" /* rng(): the tests' deterministic random numbers */

/* "first.lastNUM@dK.example"-like, up to 40 bytes; PREFIX marks non-members. */
static void
make_addr(char *buf, size_t cap, char prefix, uint64_t num)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz";
	uint64_t r = rng(), r2 = rng();
	size_t o = 0;

	buf[o++] = prefix;
	for (unsigned i = 0; i < 3 + r % 8; i++)
		buf[o++] = al[(r2 >> (5 * i)) % 26];
	buf[o++] = '.';
	for (unsigned i = 0; i < 4 + (r >> 8) % 6; i++)
		buf[o++] = al[(r2 >> (5 * i + 30)) % 26];
	snprintf(buf + o, cap - o, "%llu@d%u.example", (unsigned long long)num, (unsigned)((r >> 40) % 100));
}

/* CPU seconds of this thread (user + system): less disturbed than wall time on a shared machine. */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of V[0..N) (sorts V). */
static double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

#endif /* RG_BENCH_KEYS_H */
