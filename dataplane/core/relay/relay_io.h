/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	relay_io.h - the relay thread's engine: requests in, backend sockets, replies out
 * DESCRIPTION
 *	Workers describe what their SMTP sessions do with accepted mail as
 *	a stream of requests (struct relay_req): a recipient (with the
 *	envelope on the first of a transaction), DATA, message chunks, the
 *	end of the message, RSET, the end of the session. relay_io keeps
 *	one backend connection per relayed session (kernel TCP socket,
 *	non-blocking, epoll), drives a struct relay_be on it, writes chunks
 *	as the backend takes them and hands every reply for a client back
 *	through the reply callback. Idle connections that never carried
 *	XCLIENT are kept in a small pool and reused.
 *
 *	Requests are processed in order per session. A chunk is written
 *	straight from its request (no copy) and the request given back
 *	(free callback) once written: the worker's bound on requests in
 *	flight per session, and the size of its request pool, bound what
 *	is buffered; a slow backend keeps them in flight and so stops the
 *	worker from reading the client (TCP back-pressure).
 *
 *	Plain C, no DPDK: the daemon's thread (relay_thread.c) feeds it
 *	from rte_rings; tests feed it directly.
 * DIAGNOSTICS
 *	Backend trouble becomes 4xx replies to the client and counters
 *	(RELAY group); relay_io_create() returns a negative errno.
 * TRUST
 *	Requests come from our own workers (trusted, lengths checked
 *	against the request size anyway). Backend bytes: see relay_be.h.
 */
#ifndef RG_RELAY_IO_H
#define RG_RELAY_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "relay/relay_be.h"

#define RELAY_CHUNK 2048 /* message octets per request */

enum relay_req_type {
	RELAY_REQ_RCPT,	 /* u.rcpt; has_env on the first of a transaction */
	RELAY_REQ_DATA,	 /* the client sent DATA (354 was given) */
	RELAY_REQ_CHUNK, /* u.data[0..len) of the message, as received */
	RELAY_REQ_END,	 /* end of message; OK in u.ok */
	RELAY_REQ_RSET,	 /* transaction over without a message */
	RELAY_REQ_CLOSE, /* session over; answered with RELAY_RSP_CLOSED */
};

struct relay_req {
	struct relay_req *next; /* relay_io's queue link */
	uint8_t type;		/* enum relay_req_type */
	uint16_t worker;
	uint32_t slot; /* the worker's session slot */
	uint32_t len;  /* CHUNK: octets in u.data; RCPT: octets of to */
	union {
		struct {
			bool has_env;
			struct relay_env env;
			char to[RELAY_PATH_MAX];
		} rcpt;
		bool ok;
		uint8_t data[RELAY_CHUNK];
	} u;
};

enum relay_rsp_type { RELAY_RSP_REPLY, RELAY_RSP_CLOSED };

struct relay_params {
	enum relay_proto proto;
	struct sockaddr_storage addr; /* the backend */
	socklen_t addr_len;
	const char *myname;
	const char *backend_host; /* as configured: scrubbed from replies */
	unsigned n_workers;
	uint32_t slots; /* sessions per worker */
	uint32_t connect_timeout_ms;
	uint32_t reply_timeout_ms; /* any one backend reply */
	uint32_t pool_max;	   /* idle connections kept */
	uint32_t pool_idle_ms;	   /* an idle connection lives this long */
	/* A reply for (worker, slot): TYPE, TEXT[0..N) (RELAY_RSP_REPLY). */
	void (*reply)(void *arg, uint16_t worker, uint32_t slot, enum relay_rsp_type type, const char *text,
		      size_t n);
	void (*free_req)(void *arg, struct relay_req *req);
	void *arg;
	uint64_t *ctr; /* the relay thread's counters */
};

struct relay_io;

/*
 * relay_io_create - the engine for P (copied); creates its epoll and
 * wake-up descriptors.
 *
 * Return: 0 with *OUT set; -EINVAL for bad parameters, -ENOMEM, or
 * the errno of epoll_create1()/eventfd().
 */
int relay_io_create(const struct relay_params *p, struct relay_io **out);

/* relay_io_destroy - close every connection, give back every request. */
void relay_io_destroy(struct relay_io *io);

/*
 * relay_io_submit - take one request (ownership passes to relay_io; it
 * is given back through free_req). Requests for a worker/slot are
 * handled in the order submitted.
 *
 * Return: 0; -EINVAL for a worker or slot out of range (REQ is freed).
 */
int relay_io_submit(struct relay_io *io, struct relay_req *req);

/*
 * relay_io_run - wait up to TIMEOUT_MS (-1: no limit; shortened to the
 * next backend deadline) for backend sockets or a wake-up, then do all
 * the work that is possible. Call relay_io_submit() for new requests
 * before, then this.
 *
 * Return: number of events handled, or a negative errno of epoll_wait.
 */
int relay_io_run(struct relay_io *io, int timeout_ms);

/*
 * relay_io_wake - make a relay_io_run() that sleeps (or the next one)
 * return at once; safe from any thread.
 */
void relay_io_wake(struct relay_io *io);

/*
 * relay_backend_addr - resolve CFG_HOST:PORT (numeric or a name, done
 * once at start) into P->addr.
 *
 * Return: 0, or -EINVAL when it does not resolve.
 */
int relay_backend_addr(struct relay_params *p, const char *host, uint16_t port);

#endif /* RG_RELAY_IO_H */
