/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	relay_thread.h - the daemon's relay: a thread, rte_rings, and each worker's side
 * DESCRIPTION
 *	With `backend` configured the daemon runs one relay thread (a DPDK
 *	control thread that sleeps in epoll_wait, never spins) around the
 *	relay engine (relay_io.h). Workers hand it requests (struct
 *	relay_req, from a per-worker rte_mempool) through one
 *	multi-producer rte_ring; it hands back, through one ring per
 *	worker, every request it is done with and every reply for a
 *	client. A worker wakes the thread (eventfd) only when the thread
 *	said it is going to sleep, at most once per loop iteration.
 *
 *	On the worker, relay_worker_bind() plugs the SMTP engine's relay
 *	hooks (smtp.h, struct smtp_relay_ops) into the lcore's SMTP
 *	context: the first recipient the policy accepts takes a relay slot
 *	(RELAY_WORKER_SLOTS per worker) and every later step of the
 *	session goes to the relay as requests; relay_worker_poll(), called
 *	once per loop iteration, takes the replies and delivers them to
 *	the waiting sessions through tcp_smtp_relay_reply().
 *
 *	Bounds: RELAY_WORKER_CHUNKS message chunks (RELAY_CHUNK octets) in
 *	flight per session, and RELAY_WORKER_POOL_CHUNKS per worker (its
 *	pool of RELAY_WORKER_REQS requests keeps RELAY_WORKER_CTL per slot
 *	for the other requests) - the engine's room() hook stops reading a
 *	client beyond that, so its bytes stay unacknowledged: what is
 *	buffered is bounded per session and in total.
 * DIAGNOSTICS
 *	relay_thread_start() returns a negative errno (start-up). At run time:
 *	counters only (relay_busy when no slot, request or ring space is
 *	free: the client gets 451 4.3.0).
 * TRUST
 *	Requests and replies are our own; backend bytes are handled (and
 *	distrusted) by relay_be.c. A reply is at most RELAY_REPLY_MAX
 *	octets, checked before it is copied.
 */
#ifndef RG_RELAY_THREAD_H
#define RG_RELAY_THREAD_H

#include <stdint.h>

#include <rcptgate/counters.h>

#include "config.h"

#define RELAY_WORKER_SLOTS 128 /* relayed sessions per worker */
/*
 * Message chunks in flight per session (512 KiB): far more than the
 * TCP window (65,535 octets), so a backend that keeps up, and a relay
 * thread that gets the CPU a little late, never make the worker leave
 * a client's bytes unacknowledged. The TCP core keeps no out-of-order
 * segments, so every such stop costs the client a window of
 * retransmissions; only a backend that is really slower should cause
 * one.
 */
#define RELAY_WORKER_CHUNKS 256
#define RELAY_WORKER_CTL 4	      /* other requests per slot (RCPT, DATA, RSET, ...) */
#define RELAY_WORKER_POOL_CHUNKS 4096 /* message chunks in flight per worker (8 MiB) */
#define RELAY_WORKER_REQS (RELAY_WORKER_SLOTS * RELAY_WORKER_CTL + RELAY_WORKER_POOL_CHUNKS)
#define RELAY_CONNECT_TIMEOUT_MS 10000
#define RELAY_REPLY_TIMEOUT_MS 120000 /* below smtpd_timeout's default, 300 s */
#define RELAY_POOL_MAX 16	      /* idle backend connections kept */
#define RELAY_POOL_IDLE_MS 30000

struct relay_thread;
struct relay_worker;
struct smtp_ctx;
struct tcp_stack;

/*
 * relay_thread_start - resolve CFG's backend, create the rings, request
 * pools and the engine for N_WORKERS workers and start the thread.
 * Call after rte_eal_init(), before the workers are launched.
 *
 * Return: 0 with *OUT set (NULL when no backend is configured);
 * -EINVAL when the backend does not resolve; -ENOMEM; or the
 * errno of epoll/eventfd/thread creation.
 */
int relay_thread_start(const struct rg_config *cfg, unsigned n_workers, struct relay_thread **out);

/*
 * relay_thread_stop - stop and join the thread, close every backend
 * connection, free rings and pools. Call after the workers stopped.
 * RD may be NULL.
 */
void relay_thread_stop(struct relay_thread *rd);

/* relay_thread_worker - worker W's side (W < n_workers), or NULL when RD is NULL. */
struct relay_worker *relay_thread_worker(struct relay_thread *rd, unsigned w);

/* relay_thread_counters_add - add the relay thread's own counters to OUT. */
void relay_thread_counters_add(const struct relay_thread *rd, uint64_t out[RG_C_MAX]);

/*
 * relay_worker_bind - on the worker lcore, before its loop: plug the
 * relay hooks into CTX (the lcore's SMTP context, whose counters the
 * worker side counts into) for sessions of STACK.
 */
void relay_worker_bind(struct relay_worker *rw, struct smtp_ctx *ctx, struct tcp_stack *stack);

/*
 * relay_worker_poll - once per loop iteration: take what the relay
 * sent back (requests done, replies), deliver replies to their
 * sessions, and wake the relay thread if requests were queued and it
 * sleeps.
 *
 * Return: the number of ring entries handled (work done).
 */
unsigned relay_worker_poll(struct relay_worker *rw);

#endif /* RG_RELAY_THREAD_H */
