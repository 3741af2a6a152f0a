/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	worker.c - the worker lcore loop (see worker.h)
 * DESCRIPTION
 *	for (;;) {
 *		n = rx_burst(32); process each frame; flush TX;
 *		take the relay's replies; run timers; report RCU quiescence once;
 *	}
 *	TX frames are gathered into a burst and flushed when it is full and
 *	at the end of every iteration that produced any, so a reply never
 *	waits longer than one loop.
 *
 *	The worker counts TSC cycles of iterations that did work apart from
 *	empty polls (worker_busy_cycles): that is the server CPU cost of
 *	what it did, the figure the benchmarks compare. Of them, the cycles
 *	inside the port driver's receive and transmit calls are counted
 *	apart (worker_port_rx_cycles, worker_port_tx_cycles), so that a
 *	benchmark over a software port (memif copies every frame) can tell
 *	the driver's cost from rcptgate's.
 */

#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "logger.h"
#include "net.h"
#include "worker.h"
#include "relay/relay_thread.h"
#include "tcp/tcp_lcore.h"
#include "tcp/tcp_smtp.h"

void
dp_tx_flush(struct dp_lcore *lc)
{
	uint16_t n = lc->n_tx;
	if (n == 0)
		return;
	uint64_t t0 = rte_rdtsc();
	uint16_t sent = rte_eth_tx_burst(lc->port_id, lc->queue_id, lc->tx, n);
	dp_count_n(lc, RG_C_WORKER_PORT_TX_CYCLES, rte_rdtsc() - t0);
	/* The frames sent are the driver's now (it may have freed them
	 * already; a zero-copy memif client frees them at a later send):
	 * their lengths were kept when queued. */
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < sent; i++)
		bytes += lc->tx_len[i];
	/* A full ring is a peer that reads slowly for a moment: holding the
	 * rest turns that into delay, where dropping it cost a
	 * retransmission timeout (memif at 32,768 sessions in flight). */
	if (sent > 0 && sent < n) { /* none sent: the queue stays where it is */
		memmove(lc->tx, lc->tx + sent, (size_t)(n - sent) * sizeof(lc->tx[0]));
		memmove(lc->tx_len, lc->tx_len + sent, (size_t)(n - sent) * sizeof(lc->tx_len[0]));
	}
	lc->n_tx = (uint16_t)(n - sent);
	dp_count_n(lc, RG_C_TX_PACKETS, sent);
	dp_count_n(lc, RG_C_TX_BYTES, bytes);
}

void
dp_tx(struct dp_lcore *lc, struct rte_mbuf *m)
{
	if (unlikely(lc->n_tx == DP_TX_BACKLOG)) {
		dp_tx_flush(lc);
		if (lc->n_tx == DP_TX_BACKLOG) {
			rte_pktmbuf_free(m);
			dp_count(lc, RG_C_TX_FULL);
			return;
		}
	}
	lc->tx_len[lc->n_tx] = (uint16_t)rte_pktmbuf_pkt_len(m); /* one frame: under 64 KiB */
	lc->tx[lc->n_tx++] = m;
	if (unlikely(lc->n_tx % DP_BURST == 0)) /* a call per burst, even with a backlog */
		dp_tx_flush(lc);
}

struct rte_mbuf *
dp_tx_mbuf(struct dp_lcore *lc)
{
	if (unlikely(lc->n_stash == 0)) {
		/* one mempool call for a burst's worth; near empty, one at a time */
		if (rte_pktmbuf_alloc_bulk(lc->pool, lc->stash, DP_BURST) != 0)
			return rte_pktmbuf_alloc(lc->pool);
		lc->n_stash = DP_BURST;
	}
	return lc->stash[--lc->n_stash];
}

void
dp_lcore_fini(struct dp_lcore *lc)
{
	if (lc->n_tx > 0) { /* the port never took them: dropped at the stop */
		dp_count_n(lc, RG_C_TX_FULL, lc->n_tx);
		rte_pktmbuf_free_bulk(lc->tx, lc->n_tx);
		lc->n_tx = 0;
	}
	if (lc->n_stash > 0)
		rte_pktmbuf_free_bulk(lc->stash, lc->n_stash);
	lc->n_stash = 0;
}

/* The received frames of the burst just done with (dp_rx_done()), freed
 * in one mempool call. */
static inline void
dp_rx_free_done(struct dp_lcore *lc)
{
	if (lc->n_done > 0) {
		rte_pktmbuf_free_bulk(lc->done, lc->n_done);
		lc->n_done = 0;
	}
}

void
dp_pass(struct dp_lcore *lc, struct rte_mbuf *m)
{
	m->hash.usr = lc->pass_hops + 1u; /* the user tag, read back by dp_pass_poll() alone */
	if (unlikely(rte_ring_mp_enqueue(lc->pass_next, m) != 0)) {
		dp_count(lc, RG_C_PASS_RING_FULL);
		rte_pktmbuf_free(m);
	}
}

/* The frames other workers handed on (dp_pass()); return how many. */
static unsigned
dp_pass_poll(struct dp_lcore *lc, struct rte_mbuf **rx)
{
	unsigned n = rte_ring_sc_dequeue_burst(lc->pass_in, (void **)rx, DP_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		lc->pass_hops = (uint8_t)rx[i]->hash.usr;
		net_frame(lc, rx[i]);
	}
	lc->pass_hops = 0;
	dp_rx_free_done(lc);
	return n;
}

/* One RX burst, each frame to net_input(); return how many. */
static uint16_t
dp_rx(struct dp_lcore *lc, struct rte_mbuf **rx)
{
	uint64_t t0 = rte_rdtsc();
	uint16_t n = rte_eth_rx_burst(lc->port_id, lc->queue_id, rx, DP_BURST);

	if (n > 0) /* empty polls are not busy time (worker_busy_cycles) */
		dp_count_n(lc, RG_C_WORKER_PORT_RX_CYCLES, rte_rdtsc() - t0);

	tcp_lcore_prefetch(lc, rx, n);
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], void *));
		net_input(lc, rx[i]);
	}
	dp_rx_free_done(lc);
	return n;
}

int
dp_worker_main(void *arg)
{
	struct dp_lcore *lc = arg;
	struct rte_mbuf *rx[DP_BURST];
	const uint64_t slow = lc->tsc_hz / 2000; /* 0.5 ms: a TLS handshake flood must not stall the loop */
	/* extra RX while handshakes wait: 30% of their budget (0.075 ms).
	 * 60% gave the same plaintext rate under a flood with two to three
	 * times the share of loops over 0.5 ms (docs/benchmarks.md). */
	const uint64_t rx_more = lc->tsc_hz / 1000000000.0 * TCP_SMTP_HS_BUDGET_NS * 0.3;

	dp_log_worker_attach(lc->log_ring, &lc->ctr->c[RG_C_LOG_RING_FULL]);
	if (lc->qsbr != NULL)
		rte_rcu_qsbr_thread_online(lc->qsbr, lc->worker_idx);
	while (!__atomic_load_n(lc->stop, __ATOMIC_ACQUIRE)) {
		uint64_t start = rte_rdtsc();
		lc->now_tsc = start;
		uint16_t n = dp_rx(lc, rx);
		/*
		 * While handshake steps wait for their budget (a TLS flood),
		 * one burst an iteration would leave the other sessions one
		 * burst per budget of handshakes. Take further full bursts for
		 * a time near the handshakes' own, so that under a flood the
		 * other sessions keep a share of the worker close to theirs.
		 */
		if (n == DP_BURST && tcp_lcore_hs_waiting(lc)) {
			while (rte_rdtsc() - start < rx_more && dp_rx(lc, rx) == DP_BURST)
				;
			/* the handshakes' budget shrinks by what the bursts took
			 * (under a flood the first one's ClientHellos only queue),
			 * so the iteration stays short; and that time earns the
			 * handshakes their credit (tcp_smtp_tls_run()): a step
			 * runs only in every few such iterations, plaintext keeps
			 * its share of the worker */
			tcp_lcore_hs_charge(lc, rte_rdtsc() - start);
		}
		unsigned relayed = lc->relay != NULL ? relay_worker_poll(lc->relay) : 0;
		unsigned passed = lc->pass_in != NULL ? dp_pass_poll(lc, rx) : 0;
		unsigned fired = tcp_lcore_poll(lc);
		bool work = n > 0 || fired > 0 || relayed > 0 || passed > 0 || lc->n_tx > 0;
		dp_tx_flush(lc);
		if (lc->qsbr != NULL)
			rte_rcu_qsbr_quiescent(lc->qsbr, lc->worker_idx);
		if (work) {
			uint64_t cycles = rte_rdtsc() - start;
			dp_count_n(lc, RG_C_WORKER_BUSY_CYCLES, cycles);
			dp_count(lc, RG_C_WORKER_BUSY_LOOPS);
			if (unlikely(cycles > slow))
				dp_count(lc, RG_C_WORKER_SLOW_LOOPS);
		}
	}
	dp_tx_flush(lc);
	tcp_lcore_fini(lc);
	dp_lcore_fini(lc);
	dp_log_worker_attach(NULL, NULL);
	if (lc->qsbr != NULL)
		rte_rcu_qsbr_thread_offline(lc->qsbr, lc->worker_idx);
	return 0;
}
