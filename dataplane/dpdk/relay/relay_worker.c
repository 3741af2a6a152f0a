/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	relay_worker.c - the worker's side of the relay: SMTP hooks to requests, replies to sessions
 * DESCRIPTION
 *	See relay_thread.h. A session takes a slot at its first accepted
 *	recipient and keeps it until it ends (close hook), or until its
 *	backend transaction had to be given up (message refused or lost):
 *	then the slot is detached (CLOSE sent) and a later recipient takes
 *	a fresh one, hence a fresh backend connection. A slot is free again
 *	once the relay said CLOSED and gave back every request.
 *
 *	Every slot holds a CLOSE request from the moment it is taken, and
 *	an END request while DATA is open, so a session can always be
 *	ended on the backend whatever the pool holds.
 * DIAGNOSTICS
 *	Counters only: relay_busy when no slot, request or ring space is
 *	free (the client then gets 451 4.3.0 from the SMTP engine).
 * TRUST
 *	Sessions and replies are our own; recipient paths were checked by
 *	the engine and are bounded again here (RELAY_PATH_MAX).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "relay/relay_thread_impl.h"
#include "smtp/smtp.h"
#include "tcp/tcp.h"
#include "tcp/tcp_smtp.h"

static struct relay_req *
req_get(struct relay_worker *rw, uint8_t type)
{
	void *obj;

	if (rte_mempool_get(rw->pool, &obj) != 0)
		return NULL;
	struct relay_req *r = obj;
	r->type = type;
	r->len = 0;
	return r;
}

static void
req_put(struct relay_worker *rw, struct relay_req *r)
{
	if (r != NULL)
		rte_mempool_put(rw->pool, r);
}

/* Queue R for slot I; false (R given back) when the ring is full. */
static bool
submit(struct relay_worker *rw, uint32_t i, struct relay_req *r)
{
	struct relay_slot *sl = &rw->slots[i];

	r->worker = rw->idx;
	r->slot = i;
	if (rte_ring_mp_enqueue(rw->to, r) != 0) {
		req_put(rw, r);
		rw->ctr[RG_C_RELAY_BUSY]++;
		return false;
	}
	sl->inflight++;
	if (r->type == RELAY_REQ_CHUNK)
		sl->chunks++;
	rw->kick = true;
	return true;
}

/* The session's slot index, or -1. */
static int64_t
slot_of(const struct smtp_session *s)
{
	return s->relay_ref != 0 ? (int64_t)s->relay_ref - 1 : -1;
}

/* Give S a slot; its index or -1 (counted busy). */
static int64_t
slot_take(struct relay_worker *rw, struct smtp_session *s)
{
	if (rw->free_slot == 0) {
		rw->ctr[RG_C_RELAY_BUSY]++;
		return -1;
	}
	uint32_t i = rw->free_slot - 1;
	struct relay_slot *sl = &rw->slots[i];
	struct relay_req *close = req_get(rw, RELAY_REQ_CLOSE);

	if (close == NULL) {
		rw->ctr[RG_C_RELAY_BUSY]++;
		return -1;
	}
	rw->free_slot = sl->next_free;
	memset(sl, 0, offsetof(struct relay_slot, rlen));
	sl->close_req = close;
	sl->sess = s;
	sl->ref = tcp_session_ref(rw->stack, s);
	s->relay_ref = i + 1;
	return i;
}

static void
slot_release_if_done(struct relay_worker *rw, uint32_t i)
{
	struct relay_slot *sl = &rw->slots[i];

	if (!sl->closed || sl->inflight != 0)
		return;
	if (sl->deliver)
		rw->n_deliver--;
	memset(sl, 0, offsetof(struct relay_slot, rlen));
	sl->next_free = rw->free_slot;
	rw->free_slot = i + 1;
}

/* End the relay's side of slot I: END(false) if a message is open, CLOSE. */
static void
slot_detach(struct relay_worker *rw, struct smtp_session *s, uint32_t i)
{
	struct relay_slot *sl = &rw->slots[i];

	req_put(rw, sl->fill);
	sl->fill = NULL;
	if (sl->end_req != NULL) {
		sl->end_req->u.ok = false;
		submit(rw, i, sl->end_req);
		sl->end_req = NULL;
	}
	sl->data_open = false;
	if (sl->close_req != NULL && submit(rw, i, sl->close_req))
		sl->closing = true;
	else
		sl->closed = true; /* nothing reached the relay: nothing to close */
	sl->close_req = NULL;
	sl->sess = NULL;
	s->relay_ref = 0;
	slot_release_if_done(rw, i);
}

static int
rw_mail(void *arg, struct smtp_session *s)
{
	struct relay_worker *rw = arg;
	int64_t i = slot_of(s);

	if (i >= 0)
		rw->slots[i].in_txn = false; /* the next RCPT carries the envelope */
	return 0;
}

/* Fill the envelope of the first RCPT of a transaction; -ENOBUFS when it is unknown. */
static int
fill_env(struct relay_env *env, const struct smtp_session *s)
{
	const char *from = smtp_session_sender(s), *params = smtp_session_mail_params(s);
	char ip[SMTP_IP_MAX];

	if (from == NULL || params == NULL)
		return -ENOBUFS; /* no envelope buffer: the sender is unknown */
	snprintf(env->client_ip, sizeof(env->client_ip), "%s", smtp_session_client_ip(s, ip));
	snprintf(env->helo, sizeof(env->helo), "%s", smtp_session_helo(s));
	snprintf(env->from, sizeof(env->from), "%s", from);
	snprintf(env->params, sizeof(env->params), "%s", params);
	env->esmtp = smtp_session_esmtp(s);
	return 0;
}

static int
rw_rcpt(void *arg, struct smtp_session *s, const char *to, size_t n)
{
	struct relay_worker *rw = arg;
	int64_t i = slot_of(s);

	if (n >= RELAY_PATH_MAX)
		return -EINVAL;
	if (i < 0 && (i = slot_take(rw, s)) < 0)
		return -EBUSY;
	struct relay_slot *sl = &rw->slots[i];
	struct relay_req *r = req_get(rw, RELAY_REQ_RCPT);
	if (r == NULL) {
		rw->ctr[RG_C_RELAY_BUSY]++;
		return -EBUSY;
	}
	r->u.rcpt.has_env = !sl->in_txn;
	if (r->u.rcpt.has_env && fill_env(&r->u.rcpt.env, s) != 0) {
		req_put(rw, r);
		rw->ctr[RG_C_RELAY_BUSY]++;
		return -EBUSY;
	}
	memcpy(r->u.rcpt.to, to, n);
	r->u.rcpt.to[n] = '\0';
	r->len = (uint32_t)n;
	if (!submit(rw, (uint32_t)i, r))
		return -EBUSY;
	sl->in_txn = true;
	return SMTP_RELAY_PENDING;
}

static void
rw_reset(void *arg, struct smtp_session *s)
{
	struct relay_worker *rw = arg;
	int64_t i = slot_of(s);

	if (i < 0)
		return;
	struct relay_slot *sl = &rw->slots[i];
	if (sl->data_open) {
		slot_detach(rw, s, (uint32_t)i); /* a message cannot be taken back */
		return;
	}
	if (!sl->in_txn)
		return;
	sl->in_txn = false;
	struct relay_req *r = req_get(rw, RELAY_REQ_RSET);
	if (r == NULL || !submit(rw, (uint32_t)i, r))
		slot_detach(rw, s, (uint32_t)i); /* no RSET: start afresh */
}

static void
rw_close(void *arg, struct smtp_session *s)
{
	int64_t i = slot_of(s);

	if (i >= 0)
		slot_detach(arg, s, (uint32_t)i);
}

static int
rw_begin(void *arg, struct smtp_session *s)
{
	struct relay_worker *rw = arg;
	int64_t i = slot_of(s);

	if (i < 0 || !rw->slots[i].in_txn)
		return -EINVAL;
	struct relay_slot *sl = &rw->slots[i];
	struct relay_req *d = req_get(rw, RELAY_REQ_DATA), *e = req_get(rw, RELAY_REQ_END);
	if (d == NULL || e == NULL) {
		req_put(rw, d);
		req_put(rw, e);
		rw->ctr[RG_C_RELAY_BUSY]++;
		return -ENOBUFS;
	}
	if (!submit(rw, (uint32_t)i, d)) {
		req_put(rw, e);
		return -ENOBUFS;
	}
	sl->end_req = e;
	sl->data_open = true;
	sl->failed = false;
	return 0;
}

static int
rw_data(void *arg, struct smtp_session *s, const uint8_t *p, size_t n)
{
	struct relay_worker *rw = arg;
	int64_t i = slot_of(s);

	if (i < 0)
		return -EINVAL;
	struct relay_slot *sl = &rw->slots[i];
	while (n > 0 && !sl->failed) {
		if (sl->fill == NULL && (sl->fill = req_get(rw, RELAY_REQ_CHUNK)) == NULL) {
			sl->failed = true; /* the message is answered 451 at its end */
			break;
		}
		struct relay_req *c = sl->fill;
		size_t k = RELAY_CHUNK - c->len < n ? RELAY_CHUNK - c->len : n;
		memcpy(c->u.data + c->len, p, k);
		c->len += (uint32_t)k;
		p += k;
		n -= k;
		if (c->len == RELAY_CHUNK) {
			sl->fill = NULL;
			sl->failed = !submit(rw, (uint32_t)i, c);
		}
	}
	return 0;
}

static int
rw_end(void *arg, struct smtp_session *s, bool ok, struct smtp_out *out)
{
	struct relay_worker *rw = arg;
	int64_t i = slot_of(s);

	(void)out;
	if (i < 0 || !rw->slots[i].data_open)
		return -EINVAL;
	struct relay_slot *sl = &rw->slots[i];
	if (ok && !sl->failed && sl->fill != NULL) {
		struct relay_req *c = sl->fill;
		sl->fill = NULL;
		sl->failed = !submit(rw, (uint32_t)i, c);
	}
	if (!ok || sl->failed) {
		bool failed = sl->failed;
		slot_detach(rw, s, (uint32_t)i); /* END(false): the backend drops it */
		return failed ? -EIO : 0;
	}
	sl->end_req->u.ok = true;
	bool sent = submit(rw, (uint32_t)i, sl->end_req);
	sl->end_req = NULL;
	sl->data_open = false;
	sl->in_txn = false;
	if (!sent) {
		slot_detach(rw, s, (uint32_t)i);
		return -EIO;
	}
	return SMTP_RELAY_PENDING;
}

static size_t
rw_room(void *arg, struct smtp_session *s)
{
	struct relay_worker *rw = arg;
	int64_t i = slot_of(s);

	if (i < 0)
		return 0;
	const struct relay_slot *sl = &rw->slots[i];
	if (sl->failed)
		return SIZE_MAX; /* read and dropped: the message gets 451 */
	/* the pool's other requests stay free for the other sessions' steps */
	unsigned avail = rte_mempool_avail_count(rw->pool);
	unsigned reserve = RELAY_WORKER_SLOTS * RELAY_WORKER_CTL;
	unsigned chunks = RELAY_WORKER_CHUNKS - sl->chunks;
	if (sl->chunks >= RELAY_WORKER_CHUNKS || avail <= reserve) {
		rw->slots[i].starved = true; /* the TCP stack holds the rest */
		return 0;
	}
	if (chunks > avail - reserve)
		chunks = avail - reserve;
	return (size_t)chunks * RELAY_CHUNK - (sl->fill != NULL ? sl->fill->len : 0);
}

static const struct smtp_relay_ops relay_worker_ops = {
	.begin = rw_begin,
	.data = rw_data,
	.end = rw_end,
	.mail = rw_mail,
	.rcpt = rw_rcpt,
	.reset = rw_reset,
	.close = rw_close,
	.room = rw_room,
};

void
relay_worker_bind(struct relay_worker *rw, struct smtp_ctx *ctx, struct tcp_stack *stack)
{
	rw->ctr = ctx->ctr;
	rw->stack = stack;
	ctx->relay = &relay_worker_ops;
	ctx->relay_arg = rw;
}

/* Hand slot I's reply to its session; keep it when the send buffer is full. */
static void
deliver(struct relay_worker *rw, uint32_t i)
{
	struct relay_slot *sl = &rw->slots[i];
	int rc = sl->sess == NULL ? -ENOENT : tcp_smtp_relay_reply(rw->stack, sl->ref, sl->rtext, sl->rlen);

	if (rc == -ENOBUFS) {
		if (!sl->deliver)
			rw->n_deliver++;
		sl->deliver = true;
		return;
	}
	if (sl->deliver)
		rw->n_deliver--;
	sl->deliver = false;
}

/*
 * Slot I's session was refused message bytes (room() said 0) and the
 * TCP stack holds them: once half the chunks are back, feed them again
 * rather than wait for the client's next segment.
 */
static void
kick_if_room(struct relay_worker *rw, uint32_t i)
{
	struct relay_slot *sl = &rw->slots[i];

	if (!sl->starved || sl->chunks > RELAY_WORKER_CHUNKS / 2 || sl->sess == NULL)
		return;
	sl->starved = false;
	(void)tcp_smtp_relay_kick(rw->stack, sl->ref); /* -ENOBUFS: the client's ACK drains it */
}

unsigned
relay_worker_poll(struct relay_worker *rw)
{
	void *msgs[64];
	unsigned n = rte_ring_sc_dequeue_burst(rw->from, msgs, 64, NULL);

	for (unsigned k = 0; k < n; k++) {
		uintptr_t m = (uintptr_t)msgs[k];
		uint32_t i = (uint32_t)(m >> RELAY_MSG_SHIFT);

		if ((m & 3u) == 0) {
			struct relay_req *r = msgs[k];
			i = r->slot;
			rw->slots[i].inflight--;
			if (r->type == RELAY_REQ_CHUNK)
				rw->slots[i].chunks--;
			req_put(rw, r);
			kick_if_room(rw, i);
		} else if ((m & 3u) == RELAY_MSG_REPLY) {
			deliver(rw, i);
		} else {
			rw->slots[i].closed = true;
		}
		if (rw->slots[i].closing)
			slot_release_if_done(rw, i);
	}
	for (uint32_t i = 0; rw->n_deliver > 0 && i < RELAY_WORKER_SLOTS; i++)
		if (rw->slots[i].deliver)
			deliver(rw, i);
	if (rw->kick) {
		rw->kick = false;
		relay_wake_if_asleep(rw->rd);
	}
	return n;
}
