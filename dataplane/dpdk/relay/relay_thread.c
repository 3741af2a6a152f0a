/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	relay_thread.c - the relay thread, its rings and request pools
 * DESCRIPTION
 *	See relay_thread.h. The thread drains the ring from the workers
 *	into relay_io_submit(), then announces that it sleeps (asleep = 1),
 *	looks at the ring once more (a worker that queued before it saw
 *	the flag is not missed: both sides order flag and ring with
 *	sequentially consistent fences) and sleeps in relay_io_run(), which
 *	returns on backend events, deadlines or relay_io_wake().
 *
 *	The ring to each worker is sized for every request of its pool
 *	plus two messages per slot, so the thread's enqueues cannot fail.
 * DIAGNOSTICS
 *	Start-up errors are returned (negative errno) and logged by the
 *	caller; at run time counters only.
 * TRUST
 *	Our own requests; see relay_io.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "msg.h"
#include "relay/relay_thread_impl.h"

#define RELAY_BURST 64
#define RELAY_SLEEP_MS 1000 /* longest sleep: the stop flag is seen this often */

/* relay_io callback: a reply or the end of a session, for a worker's slot. */
static void
relay_on_reply(void *arg, uint16_t worker, uint32_t slot, enum relay_rsp_type type, const char *text,
	       size_t n)
{
	struct relay_thread *rd = arg;
	struct relay_worker *rw = rd->w[worker];
	uintptr_t msg = (uintptr_t)slot << RELAY_MSG_SHIFT;

	if (type == RELAY_RSP_REPLY) {
		struct relay_slot *s = &rw->slots[slot];
		if (n > sizeof(s->rtext))
			n = sizeof(s->rtext);
		memcpy(s->rtext, text, n);
		s->rlen = (uint16_t)n;
		msg |= RELAY_MSG_REPLY;
	} else {
		msg |= RELAY_MSG_CLOSED;
	}
	if (rte_ring_sp_enqueue(rw->from, (void *)msg) != 0)
		rd->ctr[RG_C_RELAY_BUSY]++; /* cannot happen: the ring holds all */
}

/* relay_io callback: the relay is done with REQ; back to its worker's pool. */
static void
relay_on_free(void *arg, struct relay_req *req)
{
	struct relay_thread *rd = arg;

	if (rte_ring_sp_enqueue(rd->w[req->worker]->from, req) != 0)
		rd->ctr[RG_C_RELAY_BUSY]++;
}

static void *
relay_thread_main(void *arg)
{
	struct relay_thread *rd = arg;
	void *reqs[RELAY_BURST];

	while (!__atomic_load_n(&rd->stop, __ATOMIC_ACQUIRE)) {
		unsigned n = rte_ring_sc_dequeue_burst(rd->to, reqs, RELAY_BURST, NULL);
		for (unsigned i = 0; i < n; i++)
			relay_io_submit(rd->io, reqs[i]);
		if (n == RELAY_BURST) {
			relay_io_run(rd->io, 0); /* more waiting: do not sleep */
			continue;
		}
		__atomic_store_n(&rd->asleep, 1, __ATOMIC_SEQ_CST);
		if (rte_ring_count(rd->to) == 0)
			relay_io_run(rd->io, RELAY_SLEEP_MS);
		__atomic_store_n(&rd->asleep, 0, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

void
relay_wake_if_asleep(struct relay_thread *rd)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&rd->asleep, __ATOMIC_SEQ_CST))
		relay_io_wake(rd->io);
}

/* A ring's size (RING_F_EXACT_SZ), capped at what rte_ring allows. */
static unsigned
ring_size(uint64_t n)
{
	return n > (1u << 28) ? 1u << 28 : (unsigned)n;
}

static int
relay_worker_create(struct relay_thread *rd, unsigned w)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned n_reqs = RELAY_WORKER_REQS;
	struct relay_worker *rw = rte_zmalloc("rg_relay_worker", sizeof(*rw), RTE_CACHE_LINE_SIZE);

	if (rw == NULL)
		return -ENOMEM;
	rd->w[w] = rw;
	rw->rd = rd;
	rw->idx = (uint16_t)w;
	rw->to = rd->to;
	rw->slots =
		rte_zmalloc("rg_relay_slots", sizeof(*rw->slots) * RELAY_WORKER_SLOTS, RTE_CACHE_LINE_SIZE);
	snprintf(name, sizeof(name), "rg_relay_req%u", w);
	/* put and got by the worker alone (the thread gives requests back
	 * through the ring): no cache, single producer and consumer */
	rw->pool = rte_mempool_create(name, n_reqs, sizeof(struct relay_req), 0, 0, NULL, NULL, NULL, NULL,
				      (int)rte_socket_id(), RTE_MEMPOOL_F_SP_PUT | RTE_MEMPOOL_F_SC_GET);
	snprintf(name, sizeof(name), "rg_relay_from%u", w);
	rw->from = rte_ring_create(name, ring_size((uint64_t)n_reqs + 2u * RELAY_WORKER_SLOTS),
				   (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (rw->slots == NULL || rw->pool == NULL || rw->from == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < RELAY_WORKER_SLOTS; i++)
		rw->slots[i].next_free = i + 2 <= RELAY_WORKER_SLOTS ? i + 2 : 0;
	rw->free_slot = 1;
	return 0;
}

int
relay_thread_start(const struct rg_config *cfg, unsigned n_workers, struct relay_thread **out)
{
	struct relay_params p = {
		.proto = cfg->backend.proto == CFG_BACKEND_LMTP ? RELAY_LMTP : RELAY_SMTP,
		.myname = cfg->myhostname,
		.backend_host = cfg->backend.host,
		.n_workers = n_workers,
		.slots = RELAY_WORKER_SLOTS,
		.connect_timeout_ms = RELAY_CONNECT_TIMEOUT_MS,
		.reply_timeout_ms = RELAY_REPLY_TIMEOUT_MS,
		.pool_max = RELAY_POOL_MAX,
		.pool_idle_ms = RELAY_POOL_IDLE_MS,
		.reply = relay_on_reply,
		.free_req = relay_on_free,
	};
	int rc;

	*out = NULL;
	if (cfg->backend.proto == CFG_BACKEND_NONE)
		return 0;
	if (n_workers == 0 || n_workers > RG_MAX_WORKERS)
		return -EINVAL;
	if (relay_backend_addr(&p, cfg->backend.host, cfg->backend.port) != 0)
		return -EINVAL;
	struct relay_thread *rd = rte_zmalloc("rg_relay", sizeof(*rd), RTE_CACHE_LINE_SIZE);
	if (rd == NULL)
		return -ENOMEM;
	rd->n_workers = n_workers;
	p.arg = rd;
	p.ctr = rd->ctr;
	rd->to = rte_ring_create("rg_relay_to", ring_size((uint64_t)n_workers * RELAY_WORKER_REQS),
				 (int)rte_socket_id(), RING_F_SC_DEQ | RING_F_EXACT_SZ);
	rc = rd->to == NULL ? -ENOMEM : 0;
	for (unsigned w = 0; rc == 0 && w < n_workers; w++)
		rc = relay_worker_create(rd, w);
	if (rc == 0)
		rc = relay_io_create(&p, &rd->io);
	if (rc == 0) {
		rc = rte_ctrl_thread_create(&rd->tid, "rg-relay", NULL, relay_thread_main, rd);
		rc = rc > 0 ? -rc : rc;
		rd->running = rc == 0;
	}
	if (rc != 0) {
		relay_thread_stop(rd);
		return rc;
	}
	*out = rd;
	return 0;
}

void
relay_thread_stop(struct relay_thread *rd)
{
	if (rd == NULL)
		return;
	if (rd->running) {
		__atomic_store_n(&rd->stop, true, __ATOMIC_RELEASE);
		relay_io_wake(rd->io);
		pthread_join(rd->tid, NULL);
	}
	relay_io_destroy(rd->io); /* gives requests back into the rings */
	for (unsigned w = 0; w < rd->n_workers; w++) {
		struct relay_worker *rw = rd->w[w];
		if (rw == NULL)
			continue;
		rte_ring_free(rw->from);
		rte_mempool_free(rw->pool);
		rte_free(rw->slots);
		rte_free(rw);
	}
	rte_ring_free(rd->to);
	rte_free(rd);
}

struct relay_worker *
relay_thread_worker(struct relay_thread *rd, unsigned w)
{
	return rd != NULL && w < rd->n_workers ? rd->w[w] : NULL;
}

void
relay_thread_counters_add(const struct relay_thread *rd, uint64_t out[RG_C_MAX])
{
	if (rd == NULL)
		return;
	for (unsigned c = 0; c < RG_C_MAX; c++)
		out[c] += __atomic_load_n(&rd->ctr[c], __ATOMIC_RELAXED);
}
