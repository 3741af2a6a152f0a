/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	bench_table.c - recipient table against rte_hash and cmph CHD
 * DESCRIPTION
 *	bench_table [-n KEYS] [-q QUERIES] [-r REPEATS]
 *
 *	Builds, from the same N random addresses, our table (loaded twice:
 *	by tbl_open from a file, as the daemon does, into transparent huge
 *	pages; and by tbl_open_buffer on a copy kept on 4 KiB pages
 *	(MADV_NOHUGEPAGE), to show what the huge pages are worth), a DPDK
 *	rte_hash (keys zero-padded to RTE_KEY_LEN bytes, since rte_hash keys
 *	have a fixed length; default CRC32 hash) and a cmph CHD minimal
 *	perfect hash (plus the key array it needs to verify a hit, which
 *	CHD does not store). Then it times Q lookups of members (hits) and
 *	of non-members in the same domains (misses), single and burst of
 *	32 (rte_hash_lookup_bulk; cmph has no burst), each query starting
 *	from the raw address text and its length (the SMTP engine knows it
 *	from the path it parsed): normalisation and hashing are included.
 *	Lookup rounds are repeated R times in the same run, interleaved, and
 *	the median is printed. Each timed pass follows an untimed pass of
 *	the same structure and kind: on the machine of docs/benchmarks.md a
 *	burst pass right after a pass of single lookups ran two to three
 *	times slower than the same pass repeated, for every structure, which
 *	measured the change of pattern, not the lookup. Lookups are timed in
 *	CPU time of the thread
 *	(CLOCK_THREAD_CPUTIME_ID; all the work is on the main thread), so time
 *	spent descheduled on a shared machine is not counted; builds are
 *	shown in wall time and, for ours, CPU time. Results go to
 *	docs/benchmarks.md by hand.
 *
 *	Two parts of our burst lookup are also timed alone, to show where
 *	its time goes: the normalisation of the queries, and the memory it
 *	touches (the same stages from hashes computed beforehand: what no
 *	lookup on this machine can go below).
 *
 *	Not a test: it checks only that every structure answers every
 *	query right (and exits 1 if not), never how fast.
 * TRUST
 *	Its own data.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <cmph.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <rcptgate/addr.h>

#include "table/tbl.h"
#include "table/tbl_impl.h"

#include "bench_keys.h"

#define RTE_KEY_LEN 48
#define BURST 32
#define MAX_REPEATS 15

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct bench {
	size_t n, q;
	char (*keys)[48];	/* members, as written (mixed case) */
	char (*norm)[48];	/* members, normalised */
	char **qhit, **qmiss;	/* query texts */
	uint16_t *lhit, *lmiss; /* their lengths */
	struct tbl *t;		/* tbl_open: huge pages */
	struct tbl *t4k;	/* tbl_open_buffer on a copy in 4 KiB pages (MADV_NOHUGEPAGE) */
	double load_s;		/* tbl_open of the file */
	double build_cpu;	/* CPU seconds of our build */
	long thp_kb;		/* AnonHugePages after tbl_open */
	void *img;
	size_t img_len;
	struct rte_hash *rh;
	cmph_t *chd;
	uint64_t key_bytes;
	char *chd_blob; /* keys of CHD, index -> offset */
	uint64_t *chd_off;
};

enum { S_OURS, S_OURS4K, S_RTE, S_CHD, S_MAX };
enum { M_HIT1, M_HITB, M_MISS1, M_MISSB, M_MAX };
static const char *const s_name[] = { "rcptgate table", "rcptgate table, 4 KiB pages", "rte_hash (bulk)",
				      "cmph CHD" };

/* ---- lookups: each returns the number of hits among the Q queries ---- */

static size_t
ours_single(const struct tbl *t, struct bench *b, char **q, const uint16_t *ql)
{
	size_t hits = 0;

	for (size_t i = 0; i < b->q; i++) {
		struct rg_addr a;
		if (rg_addr_normalize(q[i], ql[i], 0, &a) != RG_ADDR_OK)
			continue;
		hits += tbl_lookup(t, &a, "+") == TBL_RULE_EXACT;
	}
	return hits;
}

static size_t
ours_burst(const struct tbl *t, struct bench *b, char **q, const uint16_t *ql)
{
	static struct rg_addr a[BURST];
	const struct rg_addr *pa[BURST];
	enum tbl_rule out[BURST];
	size_t hits = 0;

	for (unsigned j = 0; j < BURST; j++)
		pa[j] = &a[j];
	for (size_t i = 0; i + BURST <= b->q; i += BURST) {
		for (unsigned j = 0; j < BURST; j++)
			rg_addr_normalize(q[i + j], ql[i + j], 0, &a[j]);
		tbl_lookup_burst(t, pa, BURST, "+", out);
		for (unsigned j = 0; j < BURST; j++)
			hits += out[j] == TBL_RULE_EXACT;
	}
	return hits;
}

/* Our burst's first part alone: the normalisation of each query (what rte_key also does). */
static size_t
ours_normalise(struct bench *b, char **q, const uint16_t *ql)
{
	static struct rg_addr a[BURST];
	size_t ok = 0;

	for (size_t i = 0; i + BURST <= b->q; i += BURST) {
		for (unsigned j = 0; j < BURST; j++)
			rg_addr_normalize(q[i + j], ql[i + j], 0, &a[j]);
		for (unsigned j = 0; j < BURST; j++)
			ok += a[j].len != 0;
	}
	return ok;
}

/*
 * The memory our burst touches, alone: from hashes computed beforehand
 * (H), the same stages as tbl_lookup_burst - pilot, slot, and the first
 * line of the key on a fingerprint match - with no parsing, hashing or
 * comparing. What a burst lookup cannot go below on this machine.
 * Returns the fingerprint matches.
 */
static size_t
ours_memory(const struct tbl *t, const uint64_t *h, size_t q)
{
	uint32_t bk[BURST];
	uint64_t sl[BURST], e[BURST];
	size_t found = 0;

	for (size_t i = 0; i + BURST <= q; i += BURST) {
		for (unsigned j = 0; j < BURST; j++) {
			bk[j] = (uint32_t)tbl_fmt_bucket(h[i + j], &t->bp);
			__builtin_prefetch(&t->pilots[bk[j]]);
		}
		for (unsigned j = 0; j < BURST; j++) {
			sl[j] = tbl_fmt_slot(h[i + j], t->pilots[bk[j]], t->n_slots);
			__builtin_prefetch(&t->slots[sl[j]]);
		}
		for (unsigned j = 0; j < BURST; j++) {
			e[j] = t->slots[sl[j]];
			if (tbl_fmt_slot_fp(e[j]) == tbl_fmt_fp(h[i + j]) && tbl_fmt_slot_len(e[j]) != 0)
				__builtin_prefetch(t->blob + tbl_fmt_slot_off(e[j]));
			else
				e[j] = 0;
		}
		for (unsigned j = 0; j < BURST; j++)
			if (e[j] != 0)
				found += t->blob[tbl_fmt_slot_off(e[j])] != 0;
	}
	return found;
}

/* The hashes tbl_lookup_burst computes for the queries Q (for ours_memory). */
static uint64_t *
query_hashes(const struct tbl *t, char **q, const uint16_t *ql, size_t n)
{
	uint64_t *h = malloc(n * sizeof(*h));

	for (size_t i = 0; h != NULL && i < n; i++) {
		struct rg_addr a;
		rg_addr_normalize(q[i], ql[i], 0, &a);
		uint64_t hd = tbl_fmt_hash_domain(a.buf + a.local_len, (size_t)a.len - a.local_len, t->seed);
		h[i] = tbl_fmt_hash_addr(a.buf, a.local_len, hd);
	}
	return h;
}

static void
rte_key(const char *s, size_t n, uint8_t *k)
{
	struct rg_addr a;

	memset(k, 0, RTE_KEY_LEN);
	if (rg_addr_normalize(s, n, 0, &a) == RG_ADDR_OK && a.len <= RTE_KEY_LEN)
		memcpy(k, a.buf, a.len);
}

static size_t
rte_single(struct bench *b, char **q, const uint16_t *ql)
{
	uint8_t k[RTE_KEY_LEN];
	size_t hits = 0;

	for (size_t i = 0; i < b->q; i++) {
		rte_key(q[i], ql[i], k);
		hits += rte_hash_lookup(b->rh, k) >= 0;
	}
	return hits;
}

static size_t
rte_burst(struct bench *b, char **q, const uint16_t *ql)
{
	static uint8_t k[BURST][RTE_KEY_LEN];
	const void *pk[BURST];
	int32_t pos[BURST];
	size_t hits = 0;

	for (unsigned j = 0; j < BURST; j++)
		pk[j] = k[j];
	for (size_t i = 0; i + BURST <= b->q; i += BURST) {
		for (unsigned j = 0; j < BURST; j++)
			rte_key(q[i + j], ql[i + j], k[j]);
		rte_hash_lookup_bulk(b->rh, pk, BURST, pos);
		for (unsigned j = 0; j < BURST; j++)
			hits += pos[j] >= 0;
	}
	return hits;
}

static size_t
chd_single(struct bench *b, char **q, const uint16_t *ql)
{
	size_t hits = 0;

	for (size_t i = 0; i < b->q; i++) {
		struct rg_addr a;
		if (rg_addr_normalize(q[i], ql[i], 0, &a) != RG_ADDR_OK)
			continue;
		cmph_uint32 x = cmph_search(b->chd, a.buf, a.len);
		/* CHD answers some index for any key: verify against the key */
		if (x < b->n) {
			const char *k = b->chd_blob + b->chd_off[x];
			hits += (size_t)(b->chd_off[x + 1] - b->chd_off[x]) == a.len &&
				memcmp(k, a.buf, a.len) == 0;
		}
	}
	return hits;
}

/* ---- builds ---- */

/* AnonHugePages of this process, in kB (-1 when unknown). */
static long
thp_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[128];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void
build_ours(struct bench *b, double *secs, double *bpk)
{
	char err[256];
	struct tbl_builder *tb = tbl_builder_new(0);
	double c0 = cpu_now();
	double t0 = now();

	for (size_t i = 0; i < b->n; i++)
		if (tbl_builder_add_line(tb, b->keys[i], strlen(b->keys[i]), err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_table: %s\n", err);
			exit(1);
		}
	struct tbl *verified;
	if (tbl_builder_finish(tb, &b->img, &b->img_len, err, sizeof(err)) != 0 ||
	    tbl_open_buffer(b->img, b->img_len, &verified, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_table: %s\n", err);
		exit(1);
	}
	*secs = now() - t0;
	b->build_cpu = cpu_now() - c0;
	*bpk = (double)b->img_len / (double)b->n;
	tbl_close(verified);
	tbl_builder_free(tb);

	/* a copy on 4 KiB pages (the builder's image asks for huge pages) */
	void *p4k = mmap(NULL, b->img_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p4k == MAP_FAILED || madvise(p4k, b->img_len, MADV_NOHUGEPAGE) != 0) {
		fprintf(stderr, "bench_table: mmap of the 4 KiB copy failed\n");
		exit(1);
	}
	memcpy(p4k, b->img, b->img_len);
	if (tbl_open_buffer(p4k, b->img_len, &b->t4k, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_table: %s\n", err);
		exit(1);
	}

	/* the daemon's way: a file, read by tbl_open */
	char path[] = "/tmp/bench_table_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, b->img, b->img_len) != (ssize_t)b->img_len || close(fd) != 0) {
		fprintf(stderr, "bench_table: writing %s failed\n", path);
		exit(1);
	}
	free(b->img); /* both copies are made: do not hold a third */
	b->img = NULL;
	t0 = now();
	if (tbl_open(path, &b->t, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_table: %s\n", err);
		exit(1);
	}
	b->load_s = now() - t0;
	unlink(path);
	b->thp_kb = thp_kb();
}

static void
build_rte(struct bench *b, double *secs, double *bpk)
{
	struct rte_hash_parameters p = {
		.name = "bench",
		.entries = (uint32_t)(b->n + b->n / 4),
		.key_len = RTE_KEY_LEN,
		.hash_func = rte_hash_crc,
		.socket_id = 0,
	};
	uint8_t k[RTE_KEY_LEN];
	double t0 = now();

	b->rh = rte_hash_create(&p);
	if (b->rh == NULL) {
		fprintf(stderr, "bench_table: rte_hash_create failed (memory? try a larger -m)\n");
		exit(1);
	}
	for (size_t i = 0; i < b->n; i++) {
		rte_key(b->keys[i], strlen(b->keys[i]), k);
		if (rte_hash_add_key(b->rh, k) < 0) {
			fprintf(stderr, "bench_table: rte_hash_add_key failed at %zu\n", i);
			exit(1);
		}
	}
	*secs = now() - t0;
	/*
	 * rte_hash has no size query: estimate from its layout (key store of
	 * (key_len + 8)-byte slots for entries + per-lcore cache, 64-byte
	 * buckets of 8 entries, power of two).
	 */
	uint64_t nb = 1;
	while (nb * 8 < p.entries)
		nb <<= 1;
	*bpk = (double)(nb * 64 + (uint64_t)p.entries * (RTE_KEY_LEN + 8)) / (double)b->n;
}

static void
build_chd(struct bench *b, double *secs, double *bpk)
{
	char **v = malloc(b->n * sizeof(*v));
	double t0 = now();

	for (size_t i = 0; i < b->n; i++) {
		struct rg_addr a;
		rg_addr_normalize(b->keys[i], strlen(b->keys[i]), 0, &a);
		memcpy(b->norm[i], a.buf, a.len + 1);
		v[i] = b->norm[i];
	}
	cmph_io_adapter_t *src = cmph_io_vector_adapter(v, (cmph_uint32)b->n);
	cmph_config_t *cfg = cmph_config_new(src);
	cmph_config_set_algo(cfg, CMPH_CHD);
	b->chd = cmph_new(cfg);
	cmph_config_destroy(cfg);
	cmph_io_vector_adapter_destroy(src);
	if (b->chd == NULL) {
		fprintf(stderr, "bench_table: cmph_new failed\n");
		exit(1);
	}
	/* the key store CHD needs to tell a hit from a miss */
	b->chd_off = calloc(b->n + 1, sizeof(*b->chd_off));
	uint64_t *len = calloc(b->n, sizeof(*len));
	for (size_t i = 0; i < b->n; i++)
		len[cmph_search(b->chd, v[i], (cmph_uint32)strlen(v[i]))] = strlen(v[i]);
	for (size_t i = 0; i < b->n; i++)
		b->chd_off[i + 1] = b->chd_off[i] + len[i];
	b->chd_blob = malloc(b->chd_off[b->n] + 1);
	for (size_t i = 0; i < b->n; i++) {
		cmph_uint32 x = cmph_search(b->chd, v[i], (cmph_uint32)strlen(v[i]));
		memcpy(b->chd_blob + b->chd_off[x], v[i], len[x]);
	}
	*secs = now() - t0;
	*bpk = (double)(cmph_packed_size(b->chd) + b->chd_off[b->n] + (b->n + 1) * 8) / (double)b->n;
	free(len);
	free(v);
}

/*
 * EAL leaves its runtime directory with the shared-config files of the
 * process (75 MB with --no-huge -m 6144) after rte_eal_cleanup(); the
 * prefix is this process's own, so the directory goes with it. Its
 * files only: EAL makes no subdirectory there.
 */
static void
rm_runtime_dir(const char *run)
{
	DIR *d = opendir(run);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			(void)unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	if (rmdir(run) != 0)
		fprintf(stderr, "bench_table: cannot remove %s: %s\n", run, strerror(errno));
}

int
main(int argc, char **argv)
{
	/* plain memory (no hugepages needed), a private runtime directory,
	 * removed at the end (rm_runtime_dir()) */
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=bench_table_%ld", (long)getpid());
	char *eal[] = { "bench_table",	     "--no-huge",      "-m", "6144", "--no-pci", prefix, "-l", "0",
			"--log-level=error", "--no-telemetry", NULL };
	struct bench b = { .n = 1000000, .q = 2000000 };
	unsigned reps = 5;
	int opt;

	while ((opt = getopt(argc, argv, "n:q:r:")) != -1) {
		switch (opt) {
		case 'n':
			b.n = strtoull(optarg, NULL, 0);
			break;
		case 'q':
			b.q = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			reps = (unsigned)strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: bench_table [-n KEYS] [-q QUERIES] [-r REPEATS]\n");
			return 2;
		}
	}
	if (b.n < 100 || b.q < BURST || reps == 0 || reps > MAX_REPEATS) {
		fprintf(stderr, "bench_table: need -n >= 100, -q >= %d, 1 <= -r <= %d\n", BURST, MAX_REPEATS);
		return 2;
	}
	b.q -= b.q % BURST;
	if (rte_eal_init(10, eal) < 0) {
		fprintf(stderr, "bench_table: rte_eal_init failed\n");
		return 1;
	}

	/* members, distinct by construction (their index is in the local part), some in upper case */
	b.keys = malloc(b.n * sizeof(*b.keys));
	b.norm = malloc(b.n * sizeof(*b.norm));
	for (size_t i = 0; i < b.n; i++)
		make_addr(b.keys[i], sizeof(b.keys[i]), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"[i % 36], i);
	b.qhit = malloc(b.q * sizeof(char *));
	b.qmiss = malloc(b.q * sizeof(char *));
	b.lhit = malloc(b.q * sizeof(*b.lhit));
	b.lmiss = malloc(b.q * sizeof(*b.lmiss));
	/*
	 * Query texts lie one after the other, as RCPT TO lines arrive in
	 * packets already in cache: pointing the hits into the member array
	 * would add a cache miss for reading the query itself.
	 */
	char(*miss)[48] = malloc(b.q * sizeof(*miss));
	char(*hit)[48] = malloc(b.q * sizeof(*hit));
	for (size_t i = 0; i < b.q; i++) {
		memcpy(hit[i], b.keys[rng() % b.n], sizeof(hit[i]));
		b.qhit[i] = hit[i];
		make_addr(miss[i], sizeof(miss[i]), '0',
			  rng() % (b.n * 10)); /* a digit never starts a member */
		b.qmiss[i] = miss[i];
		b.lhit[i] = (uint16_t)strlen(hit[i]);
		b.lmiss[i] = (uint16_t)strlen(miss[i]);
	}

	double bs[S_MAX], bpk[S_MAX];
	build_ours(&b, &bs[S_OURS], &bpk[S_OURS]);
	bs[S_OURS4K] = bs[S_OURS];
	bpk[S_OURS4K] = bpk[S_OURS];
	build_rte(&b, &bs[S_RTE], &bpk[S_RTE]);
	build_chd(&b, &bs[S_CHD], &bpk[S_CHD]);
	uint64_t n_distinct = tbl_n_addresses(b.t);
	b.key_bytes = 0;
	for (size_t i = 0; i < b.n; i++)
		b.key_bytes += strlen(b.norm[i]);

	static double ns[S_MAX][M_MAX][MAX_REPEATS];
	static double part[2][2][MAX_REPEATS]; /* [normalise, memory][hit, miss] */
	uint64_t *hh = query_hashes(b.t, b.qhit, b.lhit, b.q), *hm = query_hashes(b.t, b.qmiss, b.lmiss, b.q);
	int bad = hh == NULL || hm == NULL;
	for (unsigned r = 0; r < reps && !bad; r++) {
		for (unsigned m = 0; m < 2; m++) {
			double t0 = cpu_now();
			size_t ok = ours_normalise(&b, m == 0 ? b.qhit : b.qmiss, m == 0 ? b.lhit : b.lmiss);
			part[0][m][r] = (cpu_now() - t0) * 1e9 / (double)b.q;
			t0 = cpu_now();
			size_t fp = ours_memory(b.t, m == 0 ? hh : hm, b.q);
			part[1][m][r] = (cpu_now() - t0) * 1e9 / (double)b.q;
			/* every hit matches its fingerprint; a miss only by chance */
			if (ok != b.q || (m == 0 && fp != b.q) || (m == 1 && fp > b.q / 100)) {
				fprintf(stderr,
					"bench_table: parts: %zu normalised, %zu fingerprint matches\n", ok,
					fp);
				bad = 1;
			}
		}
		for (unsigned s = 0; s < S_MAX; s++) {
			for (unsigned m = 0; m < M_MAX; m++) {
				char **q = (m == M_HIT1 || m == M_HITB) ? b.qhit : b.qmiss;
				const uint16_t *ql = (m == M_HIT1 || m == M_HITB) ? b.lhit : b.lmiss;
				bool burst = m == M_HITB || m == M_MISSB;
				size_t want = (m == M_HIT1 || m == M_HITB) ? b.q : 0, got = want;
				double t0 = 0;
				/* an untimed pass first: see the top of the file */
				for (unsigned pass = 0; pass < 2; pass++) {
					t0 = cpu_now();
					if (s == S_OURS || s == S_OURS4K) {
						const struct tbl *t = s == S_OURS ? b.t : b.t4k;
						got = burst ? ours_burst(t, &b, q, ql)
							    : ours_single(t, &b, q, ql);
					} else if (s == S_RTE) {
						got = burst ? rte_burst(&b, q, ql) : rte_single(&b, q, ql);
					} else if (!burst) {
						got = chd_single(&b, q, ql);
					}
				}
				ns[s][m][r] = (cpu_now() - t0) * 1e9 / (double)b.q;
				if (got != want) {
					fprintf(stderr, "bench_table: %s: %zu hits, want %zu\n", s_name[s],
						got, want);
					bad = 1;
				}
			}
		}
	}

	printf("# bench_table -n %zu -q %zu -r %u: %llu distinct addresses, %.1f key bytes/key\n", b.n, b.q,
	       reps, (unsigned long long)n_distinct, (double)b.key_bytes / (double)b.n);
	printf("# our build: %.2f s wall, %.2f s CPU; tbl_open of the %zu-byte file: %.3f s; "
	       "AnonHugePages after it: %ld kB\n",
	       bs[S_OURS], b.build_cpu, b.img_len, b.load_s, b.thp_kb);
	printf("# AnonHugePages at the end: %ld kB\n", thp_kb());
	printf("| structure | build s | bytes/key | hit ns | hit ns (burst) | miss ns | miss ns (burst) |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (unsigned s = 0; s < S_MAX; s++) {
		double med[M_MAX];
		for (unsigned m = 0; m < M_MAX; m++)
			med[m] = median(ns[s][m], reps);
		if (s == S_CHD)
			printf("| %s | %.2f | %.1f | %.1f | - | %.1f | - |\n", s_name[s], bs[s], bpk[s],
			       med[M_HIT1], med[M_MISS1]);
		else
			printf("| %s | %.2f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", s_name[s], bs[s], bpk[s],
			       med[M_HIT1], med[M_HITB], med[M_MISS1], med[M_MISSB]);
	}
	printf("\n| part of our burst lookup, alone | hit ns | miss ns |\n|---|---|---|\n");
	printf("| normalisation (rg_addr_normalize) | %.1f | %.1f |\n", median(part[0][0], reps),
	       median(part[0][1], reps));
	printf("| memory (pilot, slot, key line; hashes computed beforehand) | %.1f | %.1f |\n",
	       median(part[1][0], reps), median(part[1][1], reps));
	free(hh);
	free(hm);
	tbl_close(b.t);
	tbl_close(b.t4k);
	char run[PATH_MAX];
	snprintf(run, sizeof(run), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rm_runtime_dir(run);
	return bad;
}
