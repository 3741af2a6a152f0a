/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	worker.h - one dataplane worker lcore
 * DESCRIPTION
 *	Each worker lcore owns one RX/TX queue pair of the port and runs
 *	to completion: burst RX, parse, process, queue replies, burst TX,
 *	report RCU quiescence. Shared nothing: everything a worker touches
 *	on the fast path hangs off its struct dp_lcore.
 */
#ifndef RG_WORKER_H
#define RG_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <rcptgate/counters.h>

#include "config.h"

#define DP_BURST 32 /* RX and TX burst size */
/* frames a worker holds while its port's TX ring is full (a peer slow to
 * read): sent first at the next flush, dropped and counted only past this */
#define DP_TX_BACKLOG 1024
/* slots of a worker's ring of segments handed on (dp_pass()): a full
 * af_packet ring's worth (DPDK 22.11's default framecnt, 512) twice */
#define DP_PASS_RING 1024

struct rte_rcu_qsbr;
struct tbl;
struct tcp_lcore;
struct anvil_key;
struct relay_worker;
struct xdp_lpm;
struct rte_ring;

/* Per-lcore counters: one cache-aligned block per worker, written only by
 * that worker (no atomics), summed by the control thread. */
struct dp_counters {
	uint64_t c[RG_C_MAX];
} __rte_cache_aligned;

struct dp_lcore {
	unsigned lcore_id;
	uint16_t port_id;
	uint16_t queue_id;
	unsigned worker_idx; /* 0..workers-1, RCU thread id */
	struct rte_mempool *pool;
	struct dp_counters *ctr;
	const struct rg_config *cfg;
	struct rte_ether_addr mac;	/* our port's address */
	rte_be32_t listen_addr;		/* network order; 0: IPv4 not served */
	uint8_t listen_addr6[16];	/* all zero: IPv6 not served */
	bool serve4, serve6;		/* families of cfg_listen4/6() */
	rte_be16_t listen_port;		/* network order */
	bool answer_arp;		/* port mode where we own the address */
	bool tx_csum;			/* the port computes TCP frames' checksums (TX offload) */
	struct rte_rcu_qsbr *qsbr;	/* table readers; may be NULL */
	const struct tbl *const *table; /* &dp_daemon.table: load-acquire per use */
	struct xdp_lpm *const *block;	/* &dp_daemon.block: load-acquire per use */
	const bool *stop;		/* the daemon's stop flag, read atomically */

	uint64_t tsc_hz;
	uint64_t now_tsc; /* TSC at the start of this loop iteration */

	struct tcp_lcore *tcp;	    /* TCP state; NULL until the TCP module runs */
	struct relay_worker *relay; /* this worker's side of the relay; NULL: no backend */
	struct rte_ring *log_ring;  /* its log lines to the writer (logger.h); NULL: written at once */
	struct rte_ring *dict_ring; /* clients to block, to the control thread; NULL: none */
	/* Segments of no connection of this worker, handed on to the next
	 * one (dp_pass()); NULL unless af_packet with several workers. */
	struct rte_ring *pass_in;   /* this worker's, several producers */
	struct rte_ring *pass_next; /* the next worker's */
	uint8_t pass_hops;	    /* the frame in hand: handed on this often */
	uint8_t pass_max;	    /* workers - 1: the last one answers it */

	uint16_t n_tx;
	struct rte_mbuf *tx[DP_TX_BACKLOG];
	uint16_t tx_len[DP_TX_BACKLOG]; /* their lengths, for tx_bytes once sent */
	/* received frames done with, freed in one call after their burst
	 * (dp_rx(), or dp_pass_poll() for frames handed on) */
	uint16_t n_done;
	struct rte_mbuf *done[DP_BURST];
	/* mbufs taken from the pool in one call, for replies (dp_tx_mbuf) */
	uint16_t n_stash;
	struct rte_mbuf *stash[DP_BURST];
} __rte_cache_aligned;

/*
 * dp_rx_done - a received frame of the current burst is done with: it is
 * freed with the others of its burst (one mempool call, not one each).
 */
static inline void
dp_rx_done(struct dp_lcore *lc, struct rte_mbuf *m)
{
	lc->done[lc->n_done++] = m; /* at most DP_BURST per burst: dp_rx() or dp_pass_poll() frees them */
}

/*
 * dp_tx_mbuf - a fresh mbuf for a frame to send, from the lcore's stash,
 * refilled DP_BURST at a time. Return: NULL when the pool is empty.
 */
struct rte_mbuf *dp_tx_mbuf(struct dp_lcore *lc);

/*
 * dp_pass - hand received frame M, a TCP segment of no connection of this
 * worker, to the next worker (its pass_in ring), which looks it up in
 * turn; the last one answers it as of no connection. Dropped and counted
 * (pass_ring_full) when that ring is full.
 *
 * Only in af_packet mode with several workers: the kernel's PACKET_FANOUT
 * group, as DPDK 22.11's net_af_packet sets it up, has
 * PACKET_FANOUT_FLAG_ROLLOVER, so a frame whose socket's ring is full
 * goes to another socket, i.e. another worker, which would otherwise
 * reset the connection. In the other modes a flow stays on one worker.
 */
void dp_pass(struct dp_lcore *lc, struct rte_mbuf *m);

/* dp_lcore_fini - at the stop: free the frames still queued (counted as
 * tx_full_drops) and return the stash to the pool. */
void dp_lcore_fini(struct dp_lcore *lc);

/*
 * dp_tx - queue one frame for transmission on this lcore's queue. The
 * queue is flushed at each DP_BURST frames and at the end of each loop
 * iteration; what the port refuses stays queued, in order, up to
 * DP_TX_BACKLOG frames, past which M is dropped (tx_full_drops). Takes
 * ownership of M.
 */
void dp_tx(struct dp_lcore *lc, struct rte_mbuf *m);

/* dp_tx_flush - send the queued frames now; those the port refuses stay
 * queued for the next flush. */
void dp_tx_flush(struct dp_lcore *lc);

/*
 * dp_dict_report - the anvil's block hook (anvil_block_fn) on a worker,
 * ARG its struct dp_lcore: hands client K, at dictionary_block_limit
 * with REJECTS unknown recipients, to the control thread through
 * lc->dict_ring, which blocks it (ctl/ctl_dict.c). No system call; a
 * full ring drops the report, counted as dictionary_ring_full.
 */
void dp_dict_report(void *arg, const struct anvil_key *k, uint32_t rejects);

/* dp_worker_main - the lcore loop (rte_eal_remote_launch entry); ARG is a
 * struct dp_lcore. Returns 0 when *stop becomes true. */
int dp_worker_main(void *arg);

static inline void
dp_count(struct dp_lcore *lc, enum rg_counter c)
{
	lc->ctr->c[c]++;
}

static inline void
dp_count_n(struct dp_lcore *lc, enum rg_counter c, uint64_t n)
{
	lc->ctr->c[c] += n;
}

#endif /* RG_WORKER_H */
