/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	rg-xdp-bench - cost of the XDP steering program per frame
 * SYNOPSIS
 *	rg-xdp-bench [REPEAT] [PREFIXES]
 * DESCRIPTION
 *	Loads the program (skeleton), fills the configuration and a
 *	blocklist of PREFIXES random /24s (default 10000) plus one blocked
 *	client, and runs each kind of frame REPEAT times (default 1000000)
 *	through bpf_prog_test_run_opts, which reports the mean time per run
 *	in the kernel. A one-instruction XDP_PASS program is measured the
 *	same way, so the difference is what our program costs. Each figure
 *	is the median of 5 runs. The verdict of each frame and the counter
 *	it moved are checked, so a wrong program cannot produce a number.
 *
 *	Steered frames are measured without a socket in xsks_map (the
 *	program does all its work, then bpf_redirect_map falls back to
 *	XDP_PASS), as test runs do not deliver redirects.
 * DIAGNOSTICS
 *	Exit 77 with the reason when BPF cannot be loaded (not root), 1 on
 *	a wrong verdict or counter, or a failed run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <rcptgate/bpf_opts.h>

#include "xdp.h"
#include "rcptgate_xdp.skel.h"

#define RUNS 5

/* 14 Ethernet + 20 IPv4 + 20 TCP SYN to 10.77.59.1:25 from 10.77.59.2. */
static const uint8_t syn4[54] = {
	2, 0,  0,    0x77, 0x59, 1, 2, 0, 0,  0x77, 0x59, 2,	0x08, 0x00, 0x45, 0, 0,	   40,
	0, 0,  0x40, 0,	   64,	 6, 0, 0, 10, 77,   59,	  2,	10,   77,   59,	  1, 0x9c, 0x40,
	0, 25, 0,    0,	   0,	 1, 0, 0, 0,  0,    0x50, 0x02, 0xff, 0xff, 0,	  0, 0,	   0,
};

struct frame {
	const char *name;
	uint8_t b[60];
	int want;
	enum rg_xdp_counter ctr; /* the counter each run must move */
};

/* Counter C of the program, summed over the CPUs; UINT64_MAX on error. */
static uint64_t
counter(int stats_fd, enum rg_xdp_counter c)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*v)) : NULL, sum = 0;
	__u32 key = (__u32)c;

	if (v == NULL || bpf_map_lookup_elem(stats_fd, &key, v) < 0)
		sum = UINT64_MAX;
	for (int i = 0; sum != UINT64_MAX && i < ncpu; i++)
		sum += v[i];
	free(v);
	return sum;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Median ns per run of PROG on F, or -1 if a run fails or F's verdict is
 * wrong. STATS_FD >= 0: each run must also move F's counter.
 */
static long
measure(int prog, int stats_fd, const struct frame *f, unsigned repeat)
{
	uint64_t before = stats_fd >= 0 ? counter(stats_fd, f->ctr) : 0;
	uint32_t ns[RUNS];

	for (int r = 0; r < RUNS; r++) {
		uint8_t out[128];
		RG_BPF_OPTS(bpf_test_run_opts, o);
		o.data_in = f->b;
		o.data_size_in = sizeof(f->b);
		o.data_out = out;
		o.data_size_out = sizeof(out);
		o.repeat = repeat;

		if (bpf_prog_test_run_opts(prog, &o) < 0 || (f->want >= 0 && (int)o.retval != f->want))
			return -1;
		ns[r] = o.duration;
	}
	if (stats_fd >= 0 && counter(stats_fd, f->ctr) - before != (uint64_t)repeat * RUNS)
		return -1;
	qsort(ns, RUNS, sizeof(ns[0]), cmp_u32);
	return (long)ns[RUNS / 2];
}

static int
setup(struct rcptgate_xdp *sk, unsigned prefixes)
{
	struct xdp_block b = { bpf_map__fd(sk->maps.rg_block4), bpf_map__fd(sk->maps.rg_block6) };
	struct rg_xdp_config c = { .port = htons(25), .n_addr4 = 1 };
	struct rg_cidr cidr = { .family = AF_INET, .prefixlen = 24 };
	__u32 zero = 0;

	c.addr4[0] = inet_addr("10.77.59.1");
	if (bpf_map_update_elem(bpf_map__fd(sk->maps.rg_config), &zero, &c, BPF_ANY) < 0)
		return -errno;
	srandom(1);
	for (unsigned i = 0; i < prefixes; i++) {
		uint32_t a = (uint32_t)random() & 0xffffff00u;

		memcpy(cidr.addr, &a, 4);
		if (xdp_block_add(&b, &cidr) < 0)
			return -ENOSPC;
	}
	if (rg_cidr_parse("10.77.58.7", &cidr) < 0)
		return -EINVAL;
	return xdp_block_add(&b, &cidr);
}

int
main(int argc, char **argv)
{
	unsigned repeat = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000000;
	unsigned prefixes = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10000;
	struct bpf_insn pass[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct frame frames[4];
	struct rcptgate_xdp *sk;
	int prog, base, stats;
	long base_ns;

	if (repeat == 0 || prefixes > RG_XDP_BLOCK_MAX - 1) {
		fprintf(stderr, "usage: rg-xdp-bench [REPEAT>0] [PREFIXES<%u]\n", RG_XDP_BLOCK_MAX);
		return 2;
	}
	if (geteuid() != 0) {
		printf("SKIP: loading BPF needs root\n");
		return 77;
	}
	sk = rcptgate_xdp__open_and_load();
	base = bpf_prog_load(BPF_PROG_TYPE_XDP, "rg_bench_pass", "GPL", pass, 2, NULL);
	if (sk == NULL || base < 0) {
		printf("SKIP: the kernel refused to load the XDP programs\n");
		return 77;
	}
	if (setup(sk, prefixes) < 0) {
		fprintf(stderr, "rg-xdp-bench: cannot fill the maps\n");
		return 1;
	}
	prog = bpf_program__fd(sk->progs.rg_xdp_steer);
	stats = bpf_map__fd(sk->maps.rg_xdp_stats);
	for (int i = 0; i < 4; i++) {
		memset(frames[i].b, 0, sizeof(frames[i].b));
		memcpy(frames[i].b, syn4, sizeof(syn4));
	}
	frames[0].name = "tcp/25 steered";
	frames[0].want = XDP_PASS; /* no socket: see DESCRIPTION */
	frames[0].ctr = RG_XDP_C_XDP_NO_XSK;
	frames[1].name = "tcp/22 passed";
	frames[1].b[37] = 22;
	frames[1].want = XDP_PASS;
	frames[1].ctr = RG_XDP_C_XDP_PASSED;
	frames[2].name = "tcp/25 blocked";
	frames[2].b[28] = 58;
	frames[2].b[29] = 7;
	frames[2].want = XDP_DROP;
	frames[2].ctr = RG_XDP_C_XDP_DROP_BLOCKED;
	frames[3].name = "arp passed";
	frames[3].b[12] = 0x08;
	frames[3].b[13] = 0x06;
	frames[3].want = XDP_PASS;
	frames[3].ctr = RG_XDP_C_XDP_PASSED;

	printf("rg-xdp-bench: %u runs x %d, %u blocked /24s, median ns per frame\n", repeat, RUNS, prefixes);
	(void)measure(prog, -1, &frames[0], repeat); /* warm up caches and the CPU clock */
	base_ns = measure(base, -1, &frames[0], repeat);
	printf("  %-16s %5ld ns  (one-instruction XDP_PASS program)\n", "baseline", base_ns);
	for (int i = 0; i < 4; i++) {
		long ns = measure(prog, stats, &frames[i], repeat);

		if (ns < 0) {
			fprintf(stderr, "rg-xdp-bench: %s: wrong verdict or counter, or a failed run\n",
				frames[i].name);
			return 1;
		}
		printf("  %-16s %5ld ns  (%+ld over baseline)\n", frames[i].name, ns, ns - base_ns);
	}
	close(base);
	rcptgate_xdp__destroy(sk);
	return 0;
}
