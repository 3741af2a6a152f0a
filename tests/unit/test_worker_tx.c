/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_worker_tx - a worker's TX queue against a port whose ring fills
 * DESCRIPTION
 *	The worker's dp_tx()/dp_tx_flush() (worker.c) on a real ethdev: DPDK's
 *	ring PMD (rte_eth_from_rings) over an rte_ring of 64 slots that the
 *	test drains when it likes, so the port refuses frames exactly when a
 *	slow peer would (memif, af_xdp and a NIC refuse the same way when
 *	their TX ring is full).
 *
 *	1. Frames the ring refuses stay queued and leave, in order, at the
 *	   next flushes once the peer reads again: none lost, none counted
 *	   in tx_full_drops, tx_packets counts each once.
 *	2. Past DP_TX_BACKLOG queued frames, each further frame is dropped
 *	   and counted, and its mbuf returns to the pool.
 *	   A full queue whose flush finds room again keeps the new frame.
 *	3. What is still queued when the worker stops is freed and counted.
 *	4. A flush the port takes nothing from keeps the queue as it was.
 *
 *	Needs EAL without hugepages and DPDK's ring PMD; without them the
 *	program exits 77 (SKIP).
 * DIAGNOSTICS
 *	cmocka failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "msg.h"
#include "worker.h"
#include "eal_nohuge.h"

#define RING_SLOTS 64 /* the port takes at most 63 frames before it is read */
#define POOL_MBUFS 4095

static int eal_ready;
static struct rte_mempool *pool;
static struct rte_ring *ring; /* the port's TX ring: the peer's side */
static uint16_t port_id;
static struct dp_counters ctr;
static struct dp_lcore lc;

/* Frame SEQ's length: 60 to 67 bytes, so that a byte count of the
 * wrong frames shows. */
static uint16_t
frame_len(uint32_t seq)
{
	return (uint16_t)(60 + seq % 8);
}

/* The bytes of frames 0 .. N-1. */
static uint64_t
bytes_upto(uint32_t n)
{
	uint64_t b = 0;
	for (uint32_t i = 0; i < n; i++)
		b += frame_len(i);
	return b;
}

/* A frame carrying its sequence number. */
static struct rte_mbuf *
frame(uint32_t seq)
{
	struct rte_mbuf *m = dp_tx_mbuf(&lc);
	assert_non_null(m);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, frame_len(seq));
	assert_non_null(p);
	memset(p, 0, frame_len(seq));
	memcpy(p, &seq, sizeof(seq));
	return m;
}

/* The peer reads everything the port took; checks they follow *NEXT. */
static unsigned
peer_read(uint32_t *next)
{
	void *objs[RING_SLOTS];
	unsigned n = rte_ring_dequeue_burst(ring, objs, RING_SLOTS, NULL);

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = objs[i];
		uint32_t seq;
		memcpy(&seq, rte_pktmbuf_mtod(m, void *), sizeof(seq));
		assert_int_equal(seq, *next);
		(*next)++;
		rte_pktmbuf_free(m);
	}
	return n;
}

/* The peer reads and the worker flushes until neither holds a frame;
 * *NEXT is the sequence number the peer expects next. A frame lost on the way
 * fails the order check in peer_read(); a queue that never drains, the
 * bound on rounds (each moves up to a ring's worth). */
static void
drain(uint32_t *next)
{
	for (unsigned rounds = 0; lc.n_tx > 0 || rte_ring_count(ring) > 0; rounds++) {
		assert_true(rounds <= DP_TX_BACKLOG + RING_SLOTS);
		peer_read(next);
		dp_tx_flush(&lc);
	}
}

static int
setup(void **state)
{
	(void)state;
	memset(&ctr, 0, sizeof(ctr));
	memset(&lc, 0, sizeof(lc));
	lc.port_id = port_id;
	lc.queue_id = 0;
	lc.pool = pool;
	lc.ctr = &ctr;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	void *objs[RING_SLOTS];
	unsigned n;
	while ((n = rte_ring_dequeue_burst(ring, objs, RING_SLOTS, NULL)) > 0)
		rte_pktmbuf_free_bulk((struct rte_mbuf **)objs, n);
	dp_lcore_fini(&lc);
	/* every mbuf is back: nothing the queue held leaked */
	assert_int_equal(rte_mempool_avail_count(pool), POOL_MBUFS);
	return 0;
}

static void
test_held_then_sent_in_order(void **state)
{
	(void)state;
	const uint32_t total = 700; /* eleven times what the ring holds */
	uint32_t next = 0;

	for (uint32_t i = 0; i < total; i++)
		dp_tx(&lc, frame(i));
	dp_tx_flush(&lc);
	assert_int_equal(rte_ring_count(ring), RING_SLOTS - 1);
	assert_int_equal(lc.n_tx, total - (RING_SLOTS - 1));
	assert_int_equal(ctr.c[RG_C_TX_FULL], 0);

	/* the peer reads a ring's worth at a time; the worker flushes */
	drain(&next);
	assert_int_equal(next, total);
	assert_int_equal(ctr.c[RG_C_TX_FULL], 0);
	assert_int_equal(ctr.c[RG_C_TX_PACKETS], total);
	assert_int_equal(ctr.c[RG_C_TX_BYTES], bytes_upto(total));
}

static void
test_dropped_past_backlog(void **state)
{
	(void)state;
	const uint32_t over = 5;
	const uint32_t total = (RING_SLOTS - 1) + DP_TX_BACKLOG + over;

	for (uint32_t i = 0; i < total; i++)
		dp_tx(&lc, frame(i));
	assert_int_equal(lc.n_tx, DP_TX_BACKLOG);
	assert_int_equal(ctr.c[RG_C_TX_FULL], over);
	/* the dropped frames' mbufs are back in the pool: the ring and the
	 * queue hold the rest, the stash what is left of its last refill */
	assert_int_equal(rte_mempool_avail_count(pool) + lc.n_stash,
			 POOL_MBUFS - (RING_SLOTS - 1) - DP_TX_BACKLOG);

	/* the frames kept are the first ones: the peer sees 0.. in order */
	uint32_t next = 0;
	drain(&next);
	assert_int_equal(next, (RING_SLOTS - 1) + DP_TX_BACKLOG);
	assert_int_equal(ctr.c[RG_C_TX_FULL], over);
	assert_int_equal(ctr.c[RG_C_TX_BYTES], bytes_upto((RING_SLOTS - 1) + DP_TX_BACKLOG));
}

/* A full queue whose flush finds room again (the peer read meanwhile)
 * keeps the new frame: only a queue still full drops it. */
static void
test_full_queue_flush_frees_room(void **state)
{
	(void)state;
	const uint32_t total = (RING_SLOTS - 1) + DP_TX_BACKLOG;
	uint32_t next = 0;

	for (uint32_t i = 0; i < total; i++)
		dp_tx(&lc, frame(i));
	assert_int_equal(lc.n_tx, DP_TX_BACKLOG);
	assert_int_equal(peer_read(&next), RING_SLOTS - 1); /* the peer reads a ring's worth */
	dp_tx(&lc, frame(total));			    /* queue full: flush first, then keep */
	assert_int_equal(ctr.c[RG_C_TX_FULL], 0);
	drain(&next);
	assert_int_equal(next, total + 1);
	assert_int_equal(ctr.c[RG_C_TX_FULL], 0);
}

static void
test_held_at_stop(void **state)
{
	(void)state;
	const uint32_t total = RING_SLOTS + 99;

	for (uint32_t i = 0; i < total; i++)
		dp_tx(&lc, frame(i));
	dp_tx_flush(&lc);
	assert_int_equal(lc.n_tx, total - (RING_SLOTS - 1));
	dp_lcore_fini(&lc);
	assert_int_equal(lc.n_tx, 0);
	assert_int_equal(ctr.c[RG_C_TX_FULL], total - (RING_SLOTS - 1));
	assert_int_equal(ctr.c[RG_C_TX_BYTES], bytes_upto(RING_SLOTS - 1));
}

static void
test_flush_nothing_taken(void **state)
{
	(void)state;
	const uint32_t total = RING_SLOTS + 9;

	for (uint32_t i = 0; i < total; i++)
		dp_tx(&lc, frame(i));
	dp_tx_flush(&lc);
	struct rte_mbuf *first = lc.tx[0];
	uint16_t held = lc.n_tx;
	for (int i = 0; i < 3; i++)
		dp_tx_flush(&lc); /* the ring is full: nothing moves */
	assert_int_equal(lc.n_tx, held);
	assert_ptr_equal(lc.tx[0], first);
	assert_int_equal(ctr.c[RG_C_TX_PACKETS], RING_SLOTS - 1);

	uint32_t next = 0;
	drain(&next);
	assert_int_equal(next, total);
	assert_int_equal(ctr.c[RG_C_TX_FULL], 0);
	assert_int_equal(ctr.c[RG_C_TX_BYTES], bytes_upto(total));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_held_then_sent_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_past_backlog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_flush_frees_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_at_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_nothing_taken, setup, teardown),
	};
	int rc;

	msg_set_verbose(0);
	eal_ready = eal_nohuge_init("test_worker_tx", 256);
	if (!eal_ready)
		print_message("EAL: %s\n", rte_strerror(rte_errno));
	else {
		pool = rte_pktmbuf_pool_create("tx_pool", POOL_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					       SOCKET_ID_ANY);
		ring = rte_ring_create("tx_ring", RING_SLOTS, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		struct rte_ring *rx =
			rte_ring_create("rx_ring", RING_SLOTS, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		int p = (pool && ring && rx) ? rte_eth_from_rings("txtest", &rx, 1, &ring, 1, SOCKET_ID_ANY)
					     : -1;
		struct rte_eth_conf conf = { 0 };
		if (p < 0 || rte_eth_dev_configure((uint16_t)p, 1, 1, &conf) != 0 ||
		    rte_eth_rx_queue_setup((uint16_t)p, 0, RING_SLOTS, SOCKET_ID_ANY, NULL, pool) != 0 ||
		    rte_eth_tx_queue_setup((uint16_t)p, 0, RING_SLOTS, SOCKET_ID_ANY, NULL) != 0 ||
		    rte_eth_dev_start((uint16_t)p) != 0) {
			print_message("ring port: %s\n", rte_strerror(rte_errno));
			eal_ready = 0;
		} else
			port_id = (uint16_t)p;
	}
	if (!eal_ready) { /* the whole test is about the port: say SKIP, not OK */
		printf("SKIP: no EAL or ring port here, nothing checked\n");
		return 77;
	}
	rc = cmocka_run_group_tests_name("worker_tx", tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
