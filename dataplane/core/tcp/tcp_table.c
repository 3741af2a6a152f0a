/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_table.c - per-lcore connection table, per-source counts, send buffers
 * DESCRIPTION
 *	Connections are records in one array, found through a chained hash
 *	of 32-bit indices keyed by the 4-tuple. rte_hash would do the
 *	lookup, but it needs EAL memory (the core must run under cmocka
 *	and libFuzzer without EAL) and an extra indirection from its key
 *	slot to our record; the intrusive chain costs 4 bytes per record
 *	and one bucket read per lookup.
 *
 *	Per-source counts are a second chained table, one entry per
 *	distinct source with at least one connection. Send buffers and
 *	held-input buffers come from one stack of free fixed-size buffers
 *	(a connection holds input only while its replies fill its send
 *	buffer, so most connections hold one buffer or none). Everything is allocated by
 *	tcp_table_init() and never again.
 * DIAGNOSTICS
 *	Caps: RG_C_TCP_CAP_CONNS, RG_C_TCP_CAP_PER_SOURCE,
 *	RG_C_TCP_CAP_BUFFERS. Gauges: RG_C_TCP_CONNS, RG_C_TCP_BUFFERS_USED.
 * TRUST
 *	Addresses and ports are attacker-chosen: the hash is keyed with a
 *	random per-start value so chains cannot be aimed at. Every cap is
 *	checked before memory is touched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/counters.h>
#include <rcptgate/hash.h>
#include <rcptgate/huge.h>

#include "tcp/tcp_impl.h"

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

/* Keyed 64-bit mixer (splitmix64 finaliser); cheap enough per packet. */
static uint32_t
tcp_hash(const struct tcp_stack *ts, uint32_t rkey, uint16_t rport, uint16_t lport)
{
	return (uint32_t)rg_mix64(((uint64_t)rkey << 32 | (uint32_t)rport << 16 | lport) ^ ts->hkey);
}

struct tcp_conn *
tcp_conn_lookup(struct tcp_stack *ts, const struct tcp_seg *seg)
{
	uint32_t rkey = tcp_addr_fold(&seg->saddr);
	uint64_t key = tcp_conn_key(rkey, seg->sport, seg->dport);
	uint32_t i = ts->bucket[tcp_hash(ts, rkey, seg->sport, seg->dport) & ts->hmask];

	/* The local address is the listen address of the peer's family
	 * (tcp_input() has checked it), so the family stands for it. Two
	 * loops: the IPv4 one never looks at raddr6[]. */
	if (tcp_addr_is_v4(&seg->saddr)) {
		for (; i != TCP_NIL; i = ts->conns[i].hnext)
			if (tcp_conn_word(&ts->conns[i]) == key && !ts->conns[i].v6)
				return &ts->conns[i];
		return NULL;
	}
	for (; i != TCP_NIL; i = ts->conns[i].hnext)
		if (tcp_conn_word(&ts->conns[i]) == key && ts->conns[i].v6 &&
		    tcp_addr_eq(ts->raddr6[i], seg->saddr))
			return &ts->conns[i];
	return NULL;
}

void
tcp_input_prefetch(const struct tcp_stack *ts, const struct tcp_addr *saddr, uint16_t sport, uint16_t dport)
{
	__builtin_prefetch(&ts->bucket[tcp_hash(ts, tcp_addr_fold(saddr), sport, dport) & ts->hmask]);
}

/* Per-source counts key IPv4 sources by address, IPv6 ones by their /64. */
static struct tcp_addr
tcp_src_key(struct tcp_addr a)
{
	if (!tcp_addr_is_v4(&a))
		a.q[1] = 0;
	return a;
}

static struct tcp_src *
tcp_src_find(struct tcp_stack *ts, struct tcp_addr a, uint32_t **link)
{
	uint32_t *l = &ts->src_bucket[tcp_hash(ts, tcp_addr_fold(&a), 0, 0) & ts->hmask];

	while (*l != TCP_NIL) {
		struct tcp_src *s = &ts->srcs[*l];
		if (tcp_addr_eq(s->addr, a)) {
			*link = l;
			return s;
		}
		l = &s->next;
	}
	*link = l;
	return NULL;
}

int
tcp_conn_alloc(struct tcp_stack *ts, const struct tcp_seg *seg, struct tcp_conn **out)
{
	uint32_t *link;

	if (ts->free_conn == TCP_NIL) {
		ts->ctr[RG_C_TCP_CAP_CONNS]++;
		return -ENOSPC;
	}
	struct tcp_addr skey = tcp_src_key(seg->saddr);
	struct tcp_src *s = tcp_src_find(ts, skey, &link);
	if (s != NULL && s->count >= ts->p.max_per_source) {
		ts->ctr[RG_C_TCP_CAP_PER_SOURCE]++;
		return -EUSERS;
	}
	if (s == NULL) {
		/* one source entry per connection at most: never empty here */
		uint32_t si = ts->free_src;
		s = &ts->srcs[si];
		ts->free_src = s->next;
		s->addr = skey;
		s->count = 0;
		s->sessions = 0;
		s->next = TCP_NIL;
		*link = si;
	}
	s->count++;
	uint32_t src = (uint32_t)(s - ts->srcs);

	uint32_t i = ts->free_conn;
	struct tcp_conn *c = &ts->conns[i];
	ts->free_conn = c->hnext;
	uint16_t gen = c->gen;
	memset(c, 0, sizeof(*c));
	c->gen = (uint16_t)(gen + 1);
	c->rkey = tcp_addr_fold(&seg->saddr);
	c->v6 = !tcp_addr_is_v4(&seg->saddr);
	c->src = src;
	if (c->v6)
		ts->raddr6[i] = seg->saddr;
	c->rport = seg->sport;
	c->lport = seg->dport;
	memcpy(c->link, seg->link, sizeof(c->link));
	c->sbuf = c->rbuf = TCP_NIL;
	c->tnext = c->tprev = TCP_NIL;
	c->tslot = TCP_NO_SLOT;
	uint32_t *b = &ts->bucket[tcp_hash(ts, c->rkey, c->rport, c->lport) & ts->hmask];
	c->hnext = *b;
	*b = i;
	ts->n_conns++;
	ts->ctr[RG_C_TCP_CONNS]++;
	*out = c;
	return 0;
}

void
tcp_conn_free(struct tcp_stack *ts, struct tcp_conn *c)
{
	uint32_t i = tcp_conn_id(ts, c);
	uint32_t *l = &ts->bucket[tcp_hash(ts, c->rkey, c->rport, c->lport) & ts->hmask];

	while (*l != i)
		l = &ts->conns[*l].hnext;
	*l = c->hnext;

	/* the entry is the connection's own: the chain is walked only to
	 * unlink it when the source's last connection goes */
	struct tcp_src *s = &ts->srcs[c->src];
	if (--s->count == 0) {
		uint32_t *sl;
		tcp_src_find(ts, s->addr, &sl);
		*sl = s->next;
		s->next = ts->free_src;
		ts->free_src = c->src;
	}

	tcp_timer_unlink(ts, c);
	tcp_sbuf_put(ts, c);
	tcp_rbuf_put(ts, c);
	if (c->state == TCPS_SYN_RCVD) {
		ts->n_synrcvd--;
		ts->ctr[RG_C_TCP_SYN_RCVD]--;
	}
	c->state = TCPS_FREE;
	c->hnext = ts->free_conn;
	ts->free_conn = i;
	ts->n_conns--;
	ts->ctr[RG_C_TCP_CONNS]--;
}

/* Take a buffer from the pool into *IDX (TCP_NIL: none yet). */
static int
tcp_buf_take(struct tcp_stack *ts, uint32_t *idx)
{
	if (*idx != TCP_NIL)
		return 0;
	if (ts->n_buf_free == 0) {
		ts->ctr[RG_C_TCP_CAP_BUFFERS]++;
		return -ENOBUFS;
	}
	*idx = ts->buf_free[--ts->n_buf_free];
	ts->ctr[RG_C_TCP_BUFFERS_USED]++;
	return 0;
}

static void
tcp_buf_give(struct tcp_stack *ts, uint32_t *idx)
{
	ts->buf_free[ts->n_buf_free++] = *idx;
	*idx = TCP_NIL;
	ts->ctr[RG_C_TCP_BUFFERS_USED]--;
}

int
tcp_sbuf_get(struct tcp_stack *ts, struct tcp_conn *c)
{
	if (c->sbuf != TCP_NIL)
		return 0;
	if (tcp_buf_take(ts, &c->sbuf) != 0)
		return -ENOBUFS;
	c->sb_len = 0;
	return 0;
}

void
tcp_sbuf_put(struct tcp_stack *ts, struct tcp_conn *c)
{
	if (c->sbuf == TCP_NIL)
		return;
	tcp_buf_give(ts, &c->sbuf);
	c->sb_len = 0;
}

int
tcp_rbuf_get(struct tcp_stack *ts, struct tcp_conn *c)
{
	if (c->rbuf != TCP_NIL)
		return 0;
	if (tcp_buf_take(ts, &c->rbuf) != 0)
		return -ENOBUFS;
	c->rb_len = 0;
	return 0;
}

void
tcp_rbuf_put(struct tcp_stack *ts, struct tcp_conn *c)
{
	if (c->rbuf == TCP_NIL)
		return;
	tcp_buf_give(ts, &c->rbuf);
	c->rb_len = 0;
}

/* The lengths of the arrays on huge pages, for tcp_table_init() and _fini(). */
struct tcp_table_len {
	size_t conns, bucket, srcs, buf_free;
};

static struct tcp_table_len
tcp_table_len(const struct tcp_stack *ts)
{
	size_t n = ts->p.max_conns;
	size_t nb = pow2_at_least(ts->p.max_conns);

	return (struct tcp_table_len){
		.conns = n * sizeof(*ts->conns),
		.bucket = nb * sizeof(*ts->bucket),
		.srcs = n * sizeof(*ts->srcs),
		.buf_free = (size_t)ts->p.n_buffers * sizeof(*ts->buf_free),
	};
}

/*
 * The arrays read at random by every segment or connection (records,
 * buckets, sources) are on huge pages, as the recipient table is
 * (rcptgate/huge.h): fewer TLB misses, and no measured cost
 * (docs/benchmarks.md). All of each is written here, so the huge pages
 * are faulted in at start-up, not by the worker's first touches (which
 * on a fragmented host could wait for compaction); the session records,
 * send buffers and IPv6 addresses, first touched when used, stay on
 * ordinary pages.
 */
int
tcp_table_init(struct tcp_stack *ts)
{
	uint32_t n = ts->p.max_conns;
	uint32_t nb = pow2_at_least(n);
	struct tcp_table_len len = tcp_table_len(ts);

	ts->hmask = nb - 1;
	ts->conns = rg_huge_alloc(len.conns);
	ts->raddr6 = malloc((size_t)n * sizeof(*ts->raddr6));
	ts->sessions = calloc(n, ts->app.session_size ? ts->app.session_size : 1);
	ts->bucket = rg_huge_alloc(len.bucket);
	ts->srcs = rg_huge_alloc(len.srcs);
	ts->src_bucket = rg_huge_alloc(len.bucket);
	ts->bufs = malloc((size_t)ts->p.n_buffers * TCP_SNDBUF_SIZE);
	ts->buf_free = rg_huge_alloc(len.buf_free);
	if (!ts->conns || !ts->raddr6 || !ts->sessions || !ts->bucket || !ts->srcs || !ts->src_bucket ||
	    !ts->bufs || !ts->buf_free) {
		tcp_table_fini(ts);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < nb; i++)
		ts->bucket[i] = ts->src_bucket[i] = TCP_NIL;
	for (uint32_t i = 0; i < n; i++) {
		ts->conns[i].hnext = i + 1 < n ? i + 1 : TCP_NIL;
		ts->srcs[i].next = i + 1 < n ? i + 1 : TCP_NIL;
	}
	ts->free_conn = 0;
	ts->free_src = 0;
	for (uint32_t i = 0; i < ts->p.n_buffers; i++)
		ts->buf_free[i] = ts->p.n_buffers - 1 - i;
	ts->n_buf_free = ts->p.n_buffers;
	for (unsigned l = 0; l < 2; l++)
		for (unsigned s = 0; s < TCP_WHEEL_SLOTS; s++)
			ts->wheel[l][s] = TCP_NIL;
	return 0;
}

void
tcp_table_fini(struct tcp_stack *ts)
{
	struct tcp_table_len len = tcp_table_len(ts);

	rg_huge_free(ts->conns, len.conns);
	free(ts->raddr6);
	free(ts->sessions);
	rg_huge_free(ts->bucket, len.bucket);
	rg_huge_free(ts->srcs, len.srcs);
	rg_huge_free(ts->src_bucket, len.bucket);
	free(ts->bufs);
	rg_huge_free(ts->buf_free, len.buf_free);
	ts->conns = NULL;
	ts->raddr6 = NULL;
	ts->sessions = NULL;
	ts->bucket = ts->src_bucket = ts->buf_free = NULL;
	ts->srcs = NULL;
	ts->bufs = NULL;
}
