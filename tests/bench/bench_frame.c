/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	bench_frame - what a worker spends writing one TCP frame, with its
 *	checksums summed and with them left to the port (TX offload)
 * SYNOPSIS
 *	bench_frame [FRAMES [LEN]]
 * DESCRIPTION
 *	Writes FRAMES (default 10^6) IPv4 frames of a reply of LEN bytes
 *	(default 75, rcptgate's 550 5.1.1 line) with tcp_frame_write(),
 *	first summing both checksums as every vdev mode does, then for a
 *	port with TX checksum offload; each frame's payload differs by one
 *	byte, so no sum can be kept from the one before. Prints TSC cycles
 *	a frame for each, the better of 5 rounds. Instruction counts, which
 *	this machine's noise does not move, come from running it under
 *	valgrind --tool=callgrind: frames_summed() and frames_offload()
 *	(docs/benchmarks.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "tcp/tcp_frame.h"

static uint8_t frame[2048];
static uint8_t payload[1460];

/* Write N frames of SEG; return the TSC cycles taken. */
static inline uint64_t
write_frames(struct tcp_seg *seg, unsigned n, bool offload)
{
	const struct rte_ether_addr mac = { { 2, 0, 0, 0, 0, 1 } };
	uint64_t t0 = __rdtsc();

	for (unsigned i = 0; i < n; i++) {
		seg->seq = i;
		payload[4] = (uint8_t)i;
		tcp_frame_write(frame, seg, &mac, offload);
		__asm__ volatile("" ::: "memory"); /* the frame is used */
	}
	return __rdtsc() - t0;
}

/* one function each, so that callgrind counts them apart */
__attribute__((noinline)) static uint64_t
frames_summed(struct tcp_seg *seg, unsigned n)
{
	return write_frames(seg, n, false);
}

__attribute__((noinline)) static uint64_t
frames_offload(struct tcp_seg *seg, unsigned n)
{
	return write_frames(seg, n, true);
}

int
main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000000;
	unsigned len = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 75;
	struct tcp_seg seg;

	if (n == 0 || len > sizeof(payload)) {
		fprintf(stderr, "usage: bench_frame [FRAMES [LEN (at most %zu)]]\n", sizeof(payload));
		return 2;
	}
	memset(payload, 'x', sizeof(payload));
	memset(&seg, 0, sizeof(seg));
	seg.saddr = tcp_addr_from_v4(0x0a000001);
	seg.daddr = tcp_addr_from_v4(0x0a000002);
	seg.sport = 25;
	seg.dport = 40000;
	seg.ack = 1;
	seg.flags = TCP_ACK | TCP_PSH;
	seg.wnd = 4096;
	seg.data = payload;
	seg.len = len;
	for (int offload = 0; offload <= 1; offload++) {
		uint64_t best = UINT64_MAX;
		for (int r = 0; r < 5; r++) {
			uint64_t c = offload ? frames_offload(&seg, n) : frames_summed(&seg, n);
			best = c < best ? c : best;
		}
		printf("%-28s %7.1f cycles/frame (%u frames, %u bytes of payload)\n",
		       offload ? "checksums left to the port" : "checksums summed", (double)best / n, n, len);
	}
	return 0;
}
