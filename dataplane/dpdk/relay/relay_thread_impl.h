/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	relay_thread_impl.h - what relay_thread.c and relay_worker.c share
 * DESCRIPTION
 *	Private to dataplane/core/relay. The ring from the relay thread to a
 *	worker carries pointers: a struct relay_req the thread is done with
 *	(aligned, low bits clear), or a slot number shifted left by
 *	RELAY_MSG_SHIFT with a RELAY_MSG_* tag in the low bits. The text of
 *	a reply is written into the slot (rtext) before its tag is
 *	enqueued; the ring's release/acquire ordering publishes it. A slot
 *	has at most one reply outstanding: the SMTP engine waits for each
 *	reply before it makes the next request that gets one.
 * TRUST
 *	Our own threads only.
 */
#ifndef RG_RELAY_THREAD_IMPL_H
#define RG_RELAY_THREAD_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include <rcptgate/limits.h>

#include "relay/relay_io.h"
#include "relay/relay_thread.h"

#define RELAY_MSG_REPLY 1u  /* rtext holds a reply for the slot */
#define RELAY_MSG_CLOSED 2u /* the relay forgot the slot's session */
#define RELAY_MSG_SHIFT 2

struct smtp_session;

struct relay_slot {
	/* the worker's */
	uint64_t ref;		     /* tcp_session_ref() of the session */
	struct smtp_session *sess;   /* NULL once the session left */
	struct relay_req *fill;	     /* message chunk being filled */
	struct relay_req *end_req;   /* END, reserved while DATA is open */
	struct relay_req *close_req; /* CLOSE, reserved while attached */
	uint32_t inflight;	     /* requests the relay has not given back */
	uint32_t chunks;	     /* of which message chunks */
	uint32_t next_free;
	bool in_txn;	/* a RCPT of this transaction was sent */
	bool data_open; /* DATA sent, END not yet */
	bool failed;	/* a chunk was lost: the message gets 451 */
	bool closing;	/* CLOSE sent */
	bool closed;	/* RELAY_MSG_CLOSED seen */
	bool deliver;	/* a reply waits for send buffer room */
	bool starved;	/* room() said 0: kick the session when it opens */
	/* the relay thread's: written before RELAY_MSG_REPLY is posted */
	uint16_t rlen;
	char rtext[RELAY_REPLY_MAX];
};

struct relay_worker {
	struct relay_thread *rd;
	uint16_t idx;
	bool kick;		  /* requests queued since the last wake check */
	struct rte_ring *from;	  /* relay thread -> this worker (SP/SC) */
	struct rte_ring *to;	  /* workers -> relay thread (MP/SC) */
	struct rte_mempool *pool; /* requests (put and got by this worker only) */
	uint64_t *ctr;		  /* the worker's counters */
	struct tcp_stack *stack;
	uint32_t free_slot;	  /* free list head: index + 1, 0 = none */
	uint32_t n_deliver;	  /* slots with deliver set */
	struct relay_slot *slots; /* RELAY_WORKER_SLOTS */
};

struct relay_thread {
	struct relay_io *io;
	struct rte_ring *to;
	unsigned n_workers;
	int asleep; /* the thread is in (or entering) epoll_wait */
	bool stop;  /* atomic: the thread leaves its loop */
	bool running;
	pthread_t tid;
	struct relay_worker *w[RG_MAX_WORKERS];
	uint64_t ctr[RG_C_MAX] __rte_cache_aligned; /* written by the thread only */
};

/* relay_wake_if_asleep - the worker queued requests: wake the thread if it sleeps. */
void relay_wake_if_asleep(struct relay_thread *rd);

#endif /* RG_RELAY_THREAD_IMPL_H */
