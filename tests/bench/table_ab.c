/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	table_ab.c - two versions of the recipient table, side by side
 * DESCRIPTION
 *	The driver of tests/bench/table-ab, which compiles this file twice:
 *	with -DAB_SIDE=old against the table code and headers of an older
 *	commit (its symbols renamed old_*), and with -DAB_SIDE=new against
 *	the working tree, plus once with -DAB_MAIN for main(). Both sides
 *	build a table from the same N addresses and answer the same Q
 *	queries (members, then non-members of the same domains) in bursts of
 *	32 from the raw text, each side with its own normaliser; after one
 *	untimed pass of each, the passes alternate old/new R times and the
 *	medians and their ratio are printed. Ratios of one run are what this machine can resolve; its
 *	absolute figures move with the load.
 *
 *	Not a test: it exits 1 only when a side answers a query wrong.
 * TRUST
 *	Its own data.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define AB_BURST 32
#define AB_KEY 48

#define AB_CAT2(a, b) a##_##b
#define AB_CAT(a, b) AB_CAT2(a, b)

#ifndef AB_MAIN
#include <rcptgate/addr.h>

#include "table/tbl.h"

/* Build a table of the N addresses K, write it, and load it as the daemon does. */
void *
AB_CAT(AB_SIDE, setup)(char (*k)[AB_KEY], size_t n, double *build_s)
{
	struct tbl_builder *b = tbl_builder_new(0);
	char err[256], path[] = "/tmp/table_ab_XXXXXX";
	struct timespec t0, t1;
	struct tbl *t;
	void *img;
	size_t len;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++)
		if (b == NULL || tbl_builder_add_line(b, k[i], strlen(k[i]), err, sizeof(err)) != 0)
			goto fail;
	if (tbl_builder_finish(b, &img, &len, err, sizeof(err)) != 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*build_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, img, len) != (ssize_t)len || close(fd) != 0 ||
	    tbl_open(path, &t, err, sizeof(err)) != 0) {
		unlink(path);
		goto fail;
	}
	unlink(path);
	free(img);
	tbl_builder_free(b);
	return t;
fail:
	fprintf(stderr, "table_ab: %s\n", err);
	exit(1);
}

/* Look up Q[0..NQ) (lengths QL) in bursts; return how many were listed. */
size_t
AB_CAT(AB_SIDE, run)(const void *tv, char (*q)[AB_KEY], const uint16_t *ql, size_t nq)
{
	static struct rg_addr a[AB_BURST];
	const struct rg_addr *pa[AB_BURST];
	enum tbl_rule out[AB_BURST];
	size_t hits = 0;

	for (unsigned j = 0; j < AB_BURST; j++)
		pa[j] = &a[j];
	for (size_t i = 0; i + AB_BURST <= nq; i += AB_BURST) {
		for (unsigned j = 0; j < AB_BURST; j++)
			rg_addr_normalize(q[i + j], ql[i + j], 0, &a[j]);
		tbl_lookup_burst(tv, pa, AB_BURST, "+", out);
		for (unsigned j = 0; j < AB_BURST; j++)
			hits += out[j] == TBL_RULE_EXACT;
	}
	return hits;
}

#else /* AB_MAIN */

#include "bench_keys.h"

void *old_setup(char (*k)[AB_KEY], size_t n, double *build_s);
size_t old_run(const void *t, char (*q)[AB_KEY], const uint16_t *ql, size_t nq);
void *new_setup(char (*k)[AB_KEY], size_t n, double *build_s);
size_t new_run(const void *t, char (*q)[AB_KEY], const uint16_t *ql, size_t nq);

#define AB_MAX_REPEATS 31

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	size_t nq = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000000;
	unsigned reps = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 7;

	if (n < 100 || nq < AB_BURST || reps == 0 || reps > AB_MAX_REPEATS) {
		fprintf(stderr, "usage: table_ab [KEYS >= 100] [QUERIES >= 32] [REPEATS 1..%d]\n",
			AB_MAX_REPEATS);
		return 2;
	}
	nq -= nq % AB_BURST;
	char(*k)[AB_KEY] = malloc(n * AB_KEY);
	char(*q[2])[AB_KEY] = { malloc(nq * AB_KEY), malloc(nq * AB_KEY) };
	uint16_t *ql[2] = { malloc(nq * 2), malloc(nq * 2) };
	if (k == NULL || q[0] == NULL || q[1] == NULL || ql[0] == NULL || ql[1] == NULL) {
		fprintf(stderr, "table_ab: out of memory\n");
		return 1;
	}
	/* members distinct by their index; a digit never starts one, so those are strangers */
	for (size_t i = 0; i < n; i++)
		make_addr(k[i], AB_KEY, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"[i % 36], i);
	for (size_t i = 0; i < nq; i++) {
		memcpy(q[0][i], k[rng() % n], AB_KEY);
		make_addr(q[1][i], AB_KEY, '0', rng() % (n * 10));
		ql[0][i] = (uint16_t)strlen(q[0][i]);
		ql[1][i] = (uint16_t)strlen(q[1][i]);
	}
	double b_old, b_new;
	void *t_old = old_setup(k, n, &b_old);
	void *t_new = new_setup(k, n, &b_new);

	static double ns[2][2][AB_MAX_REPEATS]; /* [old, new][hit, miss][repeat] */
	for (unsigned m = 0; m < 2; m++) {	/* untimed: neither side meets a cold machine */
		old_run(t_old, q[m], ql[m], nq);
		new_run(t_new, q[m], ql[m], nq);
	}
	for (unsigned r = 0; r < reps; r++)
		for (unsigned m = 0; m < 2; m++)
			for (unsigned side = 0; side < 2; side++) {
				double t0 = cpu_now();
				size_t hits = side == 0 ? old_run(t_old, q[m], ql[m], nq)
							: new_run(t_new, q[m], ql[m], nq);
				ns[side][m][r] = (cpu_now() - t0) * 1e9 / (double)nq;
				if (hits != (m == 0 ? nq : 0)) {
					fprintf(stderr, "table_ab: %s side: %zu of %zu listed\n",
						side ? "new" : "old", hits, nq);
					return 1;
				}
			}
	double med[2][2];
	for (unsigned side = 0; side < 2; side++)
		for (unsigned m = 0; m < 2; m++)
			med[side][m] = median(ns[side][m], reps);
	printf("# table_ab %zu %zu %u: build %.2f s old, %.2f s new (wall)\n", n, nq, reps, b_old, b_new);
	printf("burst ns per lookup, median of %u: hit old %.1f new %.1f (new/old %.2f); "
	       "miss old %.1f new %.1f (new/old %.2f)\n",
	       reps, med[0][0], med[1][0], med[1][0] / med[0][0], med[0][1], med[1][1],
	       med[1][1] / med[0][1]);
	return 0;
}

#endif /* AB_MAIN */
