/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	rb_dpdk.c - the DPDK transport: client-side TCP on a DPDK port
 * DESCRIPTION
 *	A Linux client saturates long before rcptgate does, so this mode
 *	speaks TCP itself on the one DPDK port EAL was given (memif client,
 *	or memif server for rcptgate as zero-copy memif client, af_packet,
 *	af_xdp). It runs on the main lcore and is the only
 *	thread that spins: pin it with --lcores=(0,1)@CPU so it never
 *	fights the server's worker for a CPU.
 *
 *	--queues N opens N RX/TX queue pairs on that port, polls them all
 *	from the one lcore, and sends every segment of a tuple on queue
 *	(client port mod N). memif has no RSS: rcptgate's worker for a flow
 *	is the queue it arrives on, and it answers on that queue, so this
 *	rule keeps both directions of a connection on one server worker and
 *	spreads the sessions evenly (consecutive ports alternate). Each
 *	queue has its own TX burst and backlog.
 *
 *	TCP, the minimum a client needs against a server that speaks
 *	first: SYN (MSS option), ACK of the SYN-ACK, data with ACK, pure
 *	ACKs for replies that trigger no command, FIN after 221 and the
 *	last ACK of the server's FIN. Frames are copied from one template
 *	(Ethernet + IPv4 or IPv6 + TCP) and only the varying fields are written;
 *	checksums in software with DPDK's rte_ipv4_cksum/rte_ipv4_udptcp_cksum.
 *	Sessions live in an array; a table indexed by (client address,
 *	port) finds the session of a segment in O(1), so a million
 *	4-tuples cost 4 MiB. Unacknowledged bytes stay in a per-session
 *	buffer (sized to need, kept for the slot's next session) and go
 *	again, from snd_una, on a duplicate ACK (memif does not reorder, so
 *	one is enough: a server that took only part of our data, as
 *	rcptgate does under send-buffer back-pressure, says so at once) and
 *	then on every partial ACK until all that was outstanding is acked
 *	(NewReno, RFC 6582: the server took part of it again), or
 *	when the retransmission timer fires; SYN and FIN likewise. The
 *	RTO is RFC 6298's, from one RTT estimate for the whole client (all
 *	sessions share one path and its queues: at 32,768 sessions in
 *	flight a round trip spends tens of milliseconds in rings, which a
 *	constant RTO took for loss), 1 s before the first sample and never
 *	below --rto-ms (default 200, Linux's minimum). Timers are a FIFO
 *	of (deadline, session): the RTO moves slowly, so deadlines come
 *	out nearly in order and no wheel is needed (one behind a later
 *	deadline fires late, never early); stale entries are skipped. A
 *	session still open after --timeout counts as an error.
 *	Frames the TX ring refuses wait in a backlog, and no session opens
 *	while one exists, nor while the server's replies wait in an RX
 *	ring (see rd_rx): the flow control that keeps 100,000 sessions from
 *	overrunning the rings of either side. Segments lost here are
 *	counted: backlog full, mbuf pool empty, the port's RX misses.
 *
 *	--hold-port keeps the port open after the run, without polling it,
 *	until standard input ends: the caller reads the server's counters
 *	and stops it while the link is still up (see rb_run_dpdk).
 *
 *	--hold-ms keeps each session idle that long after the banner before
 *	its EHLO (a FIFO of deadlines again), so that the number of sessions
 *	the server holds reaches --concurrency; latency excludes the hold.
 *	They go on a burst a loop, and not while a link is full.
 *
 *	STARTTLS (--tls): after the 220 the session's bytes go through an
 *	OpenSSL client on two memory BIOs: segments from the server are
 *	written into one, what OpenSSL writes into the other is sent as
 *	data from this TCP, so TLS costs no syscall here either.
 *
 *	TLS flood (--tls-flood): those sessions send, on the 220 to
 *	STARTTLS, a ClientHello made once at start-up, and reset as soon as
 *	the server answers it: the server does the expensive half of a full
 *	handshake (its key share and signature) for bytes that cost this
 *	client nothing, which is how one core here can drive a worker past
 *	its TLS capacity. A 4xx to their STARTTLS (shedding) resets them too.
 *
 *	Open-loop TLS flood (--tls-flood-rate N): the same connections, N a
 *	second on a clock of their own, in slots apart from the
 *	--concurrency sessions (2 s of the rate), each opened whatever
 *	became of the earlier ones: the flood does not slow down when the
 *	server does, and the sessions beside it are plain closed-loop
 *	sessions whose rate and latency are counted without it. A flood
 *	connection with no answer to its ClientHello after 1 s is reset and
 *	counted lost; one that finds every slot taken is counted skipped.
 *
 *	SYN flood: o->syn_pct bare SYNs per 100 sessions from tuples no
 *	session uses; their SYN-ACKs are answered with RST.
 *
 *	IPv6 (o->v6): the same with an Ethernet + IPv6 + TCP template, the
 *	pseudo-header checksum (rte_ipv6_udptcp_cksum), MSS 1440, client
 *	addresses stepping through the last 32 bits of --src.
 *
 *	The server's MAC is learnt with one ARP request for o->server, or
 *	over IPv6 a neighbour solicitation for o->server6.
 * DIAGNOSTICS
 *	EAL/port failures at start: a message and -errno. Nothing at run
 *	time but counters.
 * TRUST
 *	Frames from the server are bounds-checked before any header is
 *	read; TCP checksums are not verified (memif cannot corrupt, and
 *	the harness measures rcptgate, not the wire).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include <openssl/ssl.h>

#include "bench.h"

#define RD_BURST 32
#define RD_PORTS 64512u /* client ports 1024..65535 per address */
#define RD_MSS 1460	/* IPv4; IPv6 headers take 20 bytes more of the 1500 */
#define RD_MSS6 1440
#define RD_MBUFS 65535
#define RD_NONE UINT32_MAX
#define RD_TIMERS (1u << 20)  /* timer FIFO entries (power of two) */
#define RD_BACKLOG 16384      /* frames waiting for room in a TX ring */
#define RD_EXPIRE_STEP 64     /* sessions rd_expire looks at per loop */
#define RD_RX_BURSTS 8	      /* RX bursts per queue per loop, at most */
#define RD_HS_FLOOD 2	      /* c->hs of a flood session after its ClientHello */
#define RD_OFLOOD_TMO_MS 1000 /* an open-loop flood connection's life */
#define RD_HDR4 (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr))
#define RD_HDR6 (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_tcp_hdr))
#define RD_ICMP6_NS 135
#define RD_ICMP6_NA 136

enum rd_state { RD_FREE, RD_SYN_SENT, RD_EST, RD_FIN_SENT, RD_FLOOD };

struct rd_conn {
	uint32_t tuple; /* index into the tuple table */
	uint8_t state;
	uint8_t peer_fin;
	uint8_t held;	    /* --hold-ms: idle after the banner */
	uint8_t recovering; /* after a duplicate ACK, until snd_nxt of then is acked */
	uint32_t recover;
	uint32_t snd_nxt, snd_una, rcv_nxt;
	uint32_t snd_wnd;
	uint32_t buf_len, buf_cap; /* bytes from snd_una not yet acknowledged */
	uint64_t start_tsc;
	uint64_t rto_at;  /* TSC deadline; 0 = nothing outstanding */
	uint64_t sent_at; /* TSC when the timer was armed: an RTT sample on the ACK */
	uint8_t karn;	  /* sent again since: no sample (Karn's rule) */
	struct rb_sess s;
	char *buf;
	SSL *ssl;	/* after STARTTLS: on rbio (from the server) and wbio */
	BIO *wbio;	/* what OpenSSL sends */
	uint8_t hs;	/* the handshake is not done (RD_HS_FLOOD: a flood's) */
	uint8_t oflood; /* --tls-flood-rate: a slot of the open-loop flood */
};

enum rd_open_kind { RD_OPEN_SESSION, RD_OPEN_SYN, RD_OPEN_TLS_FLOOD };

struct rd_timer {
	uint64_t at;
	uint32_t conn;
};

/* One TX queue: the burst being gathered and the frames its ring refused. */
struct rd_txq {
	uint16_t n_tx;
	struct rte_mbuf *tx[RD_BURST];
	uint32_t bl_head, bl_tail;
	struct rte_mbuf *backlog[RD_BACKLOG];
};

struct rd_ctx {
	const struct rb_opts *o;
	struct rb_stats *st;
	uint16_t port;
	uint16_t n_queues; /* --queues */
	struct rte_mempool *pool;
	uint8_t tmpl[RD_HDR6];
	uint16_t hdr; /* RD_HDR4 or RD_HDR6: the template's length */
	uint16_t mss; /* RD_MSS or RD_MSS6 */
	struct rte_ether_addr mac, peer;
	uint32_t src_base;    /* host order; of IPv6 ones, the last 32 bits */
	struct in6_addr src6; /* IPv6: the first client address */
	uint32_t n_tuples;
	uint32_t *tuple; /* tuple -> conn index or RD_NONE */
	uint32_t next_tuple;
	struct rd_conn *conns;
	uint32_t *free_list;
	uint32_t n_free, n_conns;
	uint32_t n_open;
	uint32_t next_id;
	uint32_t exp_next; /* rd_expire's next session */
	uint64_t flood_credit;
	uint32_t n_main;       /* slots of the --concurrency sessions; flood slots follow */
	uint32_t *oflood_free; /* free open-loop flood slots */
	uint32_t n_oflood_free;
	uint64_t oflood_next, oflood_gap, oflood_tmo; /* TSC */
	uint64_t hz, tmo_tsc, rto_tsc;
	uint64_t rto_min;     /* --rto-ms */
	int64_t srtt, rttvar; /* RFC 6298, TSC cycles; srtt 0: no sample yet */
	uint64_t now;	      /* TSC at the top of this loop */
	struct rd_timer *timers;
	uint32_t t_head, t_tail; /* FIFO: pop at head, push at tail */
	struct rd_timer *holds;	 /* --hold-ms deadlines, a FIFO too */
	uint32_t h_head, h_tail;
	uint64_t hold_tsc;
	SSL_CTX *tls; /* --tls */
	char *hello;  /* --tls-flood: the ClientHello every flood sends */
	int hello_len;
	uint32_t backlogged; /* TX queues with a backlog */
	bool rx_behind;	     /* the last rd_rx left frames in a queue */
	struct rd_txq txq[RB_QUEUES_MAX];
	char out[RB_OUT_MAX];
};

/*
 * Send queue Q's burst. What the port does not take now waits in a
 * backlog for the next loop instead of a busy retry (which would stop us
 * reading and so stall the server's TX towards us) or a drop (which costs
 * an RTO). New sessions wait while a backlog exists: that is the flow
 * control.
 */
static void
rd_flush_queue(struct rd_ctx *x, uint16_t q)
{
	struct rd_txq *tq = &x->txq[q];
	bool had = tq->bl_head != tq->bl_tail;

	while (tq->bl_head != tq->bl_tail) {
		uint32_t at = tq->bl_head % RD_BACKLOG;
		uint32_t n = tq->bl_tail - tq->bl_head;
		if (n > RD_BACKLOG - at)
			n = RD_BACKLOG - at;
		if (n > RD_BURST)
			n = RD_BURST;
		uint16_t sent = rte_eth_tx_burst(x->port, q, tq->backlog + at, (uint16_t)n);
		tq->bl_head += sent;
		x->st->pkts_tx += sent;
		if (sent < n)
			break;
	}
	uint16_t sent = 0;
	if (tq->bl_head == tq->bl_tail && tq->n_tx > 0)
		sent = rte_eth_tx_burst(x->port, q, tq->tx, tq->n_tx);
	x->st->pkts_tx += sent;
	for (uint16_t i = sent; i < tq->n_tx; i++) {
		if (tq->bl_tail - tq->bl_head < RD_BACKLOG) {
			tq->backlog[tq->bl_tail++ % RD_BACKLOG] = tq->tx[i];
		} else {
			rte_pktmbuf_free(tq->tx[i]);
			x->st->tx_drops++;
		}
	}
	tq->n_tx = 0;
	bool has = tq->bl_head != tq->bl_tail;
	x->backlogged = x->backlogged + has - had;
}

static void
rd_flush(struct rd_ctx *x)
{
	for (uint16_t q = 0; q < x->n_queues; q++)
		rd_flush_queue(x, q);
}

/*
 * The queue of tuple T: its client port modulo the number of queues.
 * memif has no RSS: the server's worker for a flow is the queue the flow
 * arrives on, and it answers on that queue, so both directions of a
 * connection stay on one worker as long as every segment of the tuple
 * goes out on the same queue. ARP and neighbour discovery use queue 0.
 */
static uint16_t
rd_queue_of(const struct rd_ctx *x, uint32_t t)
{
	return (uint16_t)((1024 + t % RD_PORTS) % x->n_queues);
}

static void
rd_queue(struct rd_ctx *x, uint16_t q, struct rte_mbuf *m)
{
	struct rd_txq *tq = &x->txq[q];

	tq->tx[tq->n_tx++] = m;
	if (tq->n_tx == RD_BURST)
		rd_flush_queue(x, q);
}

/* Build one segment of tuple T. */
static int
rd_send(struct rd_ctx *x, uint32_t t, uint32_t seq, uint32_t ack, uint8_t flags, const char *data,
	uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(x->pool);
	uint16_t opt = (flags & RTE_TCP_SYN_FLAG) ? 4 : 0;

	if (m == NULL) {
		x->st->nombuf++; /* a lost segment: count it like a drop */
		return -ENOBUFS;
	}
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(x->hdr + opt + len));
	memcpy(p, x->tmpl, x->hdr);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(p + x->hdr - sizeof(struct rte_tcp_hdr));
	uint32_t src = rte_cpu_to_be_32(x->src_base + t / RD_PORTS);
	th->src_port = rte_cpu_to_be_16((uint16_t)(1024 + t % RD_PORTS));
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->tcp_flags = flags;
	th->data_off = (uint8_t)(((sizeof(*th) + opt) / 4) << 4);
	uint8_t *payload = (uint8_t *)(th + 1);
	if (opt) {
		payload[0] = 2, payload[1] = 4; /* MSS */
		payload[2] = (uint8_t)(x->mss >> 8), payload[3] = (uint8_t)(x->mss & 0xff);
		payload += 4;
	}
	if (len)
		memcpy(payload, data, len);
	if (x->o->v6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(p + sizeof(struct rte_ether_hdr));
		memcpy(&ip6->src_addr[12], &src, sizeof(src));
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*th) + opt + len));
		th->cksum = rte_ipv6_udptcp_cksum(ip6, th);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + sizeof(struct rte_ether_hdr));
		ip->src_addr = src;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*th) + opt + len));
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	}
	x->st->bytes_tx += len;
	rd_queue(x, rd_queue_of(x, t), m);
	return 0;
}

/* Arm the retransmission timer of C if it is not running. */
static void
rd_arm(struct rd_ctx *x, struct rd_conn *c)
{
	if (c->rto_at != 0)
		return;
	c->sent_at = x->now;
	c->rto_at = x->now + x->rto_tsc;
	if (x->t_tail - x->t_head < RD_TIMERS) {
		x->timers[x->t_tail % RD_TIMERS] = (struct rd_timer){ c->rto_at, (uint32_t)(c - x->conns) };
		x->t_tail++;
	} /* else the --timeout scan ends the session */
}

/* Send buffered bytes from snd_nxt as far as the window allows. */
static void
rd_push(struct rd_ctx *x, struct rd_conn *c)
{
	while (!c->held) {
		uint32_t off = c->snd_nxt - c->snd_una;
		if (off >= c->buf_len || off >= c->snd_wnd)
			break;
		uint32_t n = c->buf_len - off;
		if (n > x->mss)
			n = x->mss;
		if (n > c->snd_wnd - off)
			n = c->snd_wnd - off;
		if (rd_send(x, c->tuple, c->snd_nxt, c->rcv_nxt, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG,
			    c->buf + off, (uint16_t)n) != 0)
			break;
		c->snd_nxt += n;
		rd_arm(x, c);
	}
}

/* Queue DATA behind the unacknowledged bytes and send what fits. */
static void
rd_send_data(struct rd_ctx *x, struct rd_conn *c, const char *data, size_t len)
{
	if (c->buf_len + len > c->buf_cap) {
		uint32_t cap = c->buf_cap ? c->buf_cap : 64;
		while (cap < c->buf_len + len)
			cap *= 2;
		char *p = realloc(c->buf, cap);
		if (p == NULL)
			return; /* the session times out */
		c->buf = p;
		c->buf_cap = cap;
	}
	memcpy(c->buf + c->buf_len, data, len);
	c->buf_len += (uint32_t)len;
	rd_push(x, c);
}

/*
 * An ACK for what C sent: one RTT sample for the whole client (RFC 6298
 * 2.2-2.4, with --rto-ms as the floor), unless C sent it again (Karn).
 * One estimate serves every session: they share one path and its queues,
 * and a queue of 32,768 sessions in flight puts tens of milliseconds on
 * every round trip, which a constant RTO would mistake for loss.
 */
static void
rd_rtt_sample(struct rd_ctx *x, struct rd_conn *c)
{
	if (c->karn || c->rto_at == 0) {
		c->karn = 0;
		return;
	}
	int64_t r = (int64_t)(x->now - c->sent_at);
	if (x->srtt == 0) {
		x->srtt = r;
		x->rttvar = r / 2;
	} else {
		int64_t d = x->srtt > r ? x->srtt - r : r - x->srtt;
		x->rttvar += (d - x->rttvar) / 4;
		x->srtt += (r - x->srtt) / 8;
	}
	uint64_t rto = (uint64_t)(x->srtt + 4 * x->rttvar);
	x->rto_tsc = rto > x->rto_min ? rto : x->rto_min;
}

/* ACK up to ACK: drop acknowledged bytes, restart the timer. */
static void
rd_acked(struct rd_ctx *x, struct rd_conn *c, uint32_t ack)
{
	if ((int32_t)(ack - c->snd_una) <= 0 || (int32_t)(ack - c->snd_nxt) > 0)
		return;
	uint32_t n = ack - c->snd_una;
	if (n > c->buf_len)
		n = c->buf_len; /* our FIN */
	memmove(c->buf, c->buf + n, c->buf_len - n);
	c->buf_len -= n;
	c->snd_una = ack;
	rd_rtt_sample(x, c);
	c->rto_at = 0;
	if (c->recovering && (int32_t)(ack - c->recover) < 0 && c->state == RD_EST) {
		/* Partial ACK: the server took only part again. */
		x->st->retransmits++;
		x->st->rexmt_fast++;
		c->karn = 1;
		c->snd_nxt = c->snd_una;
		rd_push(x, c);
		return;
	}
	c->recovering = 0;
	if (c->snd_una != c->snd_nxt)
		rd_arm(x, c);
}

/* The timer of C fired: send again what is outstanding. */
static void
rd_retransmit(struct rd_ctx *x, struct rd_conn *c)
{
	x->st->retransmits++;
	c->rto_at = 0;
	c->karn = 1;
	switch (c->state) {
	case RD_SYN_SENT:
		x->st->rexmt_syn++;
		rd_send(x, c->tuple, c->snd_una, 0, RTE_TCP_SYN_FLAG, NULL, 0);
		rd_arm(x, c);
		break;
	case RD_EST:
		x->st->rexmt_data++;
		c->snd_nxt = c->snd_una;
		rd_push(x, c);
		break;
	case RD_FIN_SENT:
		x->st->rexmt_fin++;
		if (c->snd_una != c->snd_nxt) {
			rd_send(x, c->tuple, c->snd_nxt - 1, c->rcv_nxt, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG,
				NULL, 0);
			rd_arm(x, c);
		}
		break;
	default:
		break;
	}
}

/* Pop every timer that is due (retransmissions and held sessions). */
static void
rd_timers(struct rd_ctx *x)
{
	/*
	 * Held sessions go on at most a burst a loop, and not while a link is
	 * full: released all at once, the sessions opened in one burst at
	 * the start would send thousands of commands in one loop and overrun
	 * the TX backlog here and the server's TX ring.
	 */
	for (unsigned n = 0; n < RD_BURST && x->h_head != x->h_tail && x->backlogged == 0 && !x->rx_behind;
	     n++) {
		struct rd_timer t = x->holds[x->h_head % RD_TIMERS];
		if (t.at > x->now)
			break;
		x->h_head++;
		struct rd_conn *c = &x->conns[t.conn];
		if (c->held && c->state == RD_EST) {
			c->held = 0;
			c->start_tsc += x->hold_tsc; /* latency without the hold */
			rd_push(x, c);
		}
	}
	while (x->t_head != x->t_tail) {
		struct rd_timer t = x->timers[x->t_head % RD_TIMERS];
		if (t.at > x->now)
			break;
		x->t_head++;
		struct rd_conn *c = &x->conns[t.conn];
		if (c->state == RD_FREE || c->rto_at == 0)
			continue;
		if (c->rto_at > x->now) { /* re-armed later: queue it again */
			x->timers[x->t_tail % RD_TIMERS] = (struct rd_timer){ c->rto_at, t.conn };
			x->t_tail++;
			continue;
		}
		rd_retransmit(x, c);
	}
}

static void
rd_release(struct rd_ctx *x, struct rd_conn *c)
{
	x->tuple[c->tuple] = RD_NONE;
	SSL_free(c->ssl); /* and its BIOs */
	c->ssl = NULL;
	c->wbio = NULL;
	c->hs = 0;
	c->buf_len = 0; /* the buffer stays for the slot's next session */
	c->rto_at = 0;
	c->state = RD_FREE;
	if (c->oflood) {
		c->oflood = 0;
		x->oflood_free[x->n_oflood_free++] = (uint32_t)(c - x->conns);
		return;
	}
	x->free_list[x->n_free++] = (uint32_t)(c - x->conns);
	x->n_open--;
}

static void
rd_fail(struct rd_ctx *x, struct rd_conn *c, bool rst, enum rb_err why)
{
	if (rst)
		rd_send(x, c->tuple, c->snd_nxt, c->rcv_nxt, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
	if (c->oflood) {
		x->st->flood_lost++;
	} else if (c->state != RD_FLOOD) {
		x->st->errors++;
		x->st->err[why]++;
	}
	rd_release(x, c);
}

/* A free tuple: walk the tuple space from where the last one was taken. */
static int
rd_open(struct rd_ctx *x, enum rd_open_kind kind)
{
	bool flood = kind == RD_OPEN_SYN, oflood = kind == RD_OPEN_TLS_FLOOD;

	if (oflood ? x->n_oflood_free == 0 : x->n_free == 0)
		return -ENOSPC;
	for (uint32_t tries = 0; tries < x->n_tuples; tries++) {
		uint32_t t = x->next_tuple;
		x->next_tuple = (t + 1) % x->n_tuples;
		if (x->tuple[t] != RD_NONE)
			continue;
		uint32_t ci = oflood ? x->oflood_free[--x->n_oflood_free] : x->free_list[--x->n_free];
		struct rd_conn *c = &x->conns[ci];
		c->tuple = t;
		c->oflood = oflood;
		c->state = flood ? RD_FLOOD : RD_SYN_SENT;
		c->peer_fin = 0;
		c->held = 0;
		c->recovering = 0;
		c->rto_at = 0;
		c->karn = 0;
		c->snd_una = (uint32_t)rte_rand();
		c->snd_nxt = c->snd_una + 1;
		c->rcv_nxt = 0;
		c->snd_wnd = x->mss;
		c->start_tsc = rte_rdtsc();
		x->tuple[t] = ci;
		if (oflood) {
			/* not a session: the script's flags alone, for STARTTLS */
			rb_sess_start(x->o, &c->s, 0);
			c->s.flags = RB_SF_STARTTLS | RB_SF_FLOOD;
			x->st->flood_sent++;
		} else if (flood) {
			x->n_open++;
			x->st->syns++;
		} else {
			x->n_open++;
			rb_sess_start(x->o, &c->s, x->next_id++);
			x->st->started++;
		}
		if (!flood)
			rd_arm(x, c);
		return rd_send(x, t, c->snd_una, 0, RTE_TCP_SYN_FLAG, NULL, 0);
	}
	return -EADDRNOTAVAIL;
}

static void
rd_arp_input(struct rd_ctx *x, struct rte_mbuf *m)
{
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))
		return;
	struct rte_arp_hdr *a =
		rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	if (a->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY) && a->arp_data.arp_sip == x->o->server.s_addr) {
		x->peer = a->arp_data.arp_sha;
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)x->tmpl;
		eth->dst_addr = x->peer;
	}
}

/* The 220 to STARTTLS is in: an SSL object on memory BIOs, the ClientHello. */
static int
rd_tls_start(struct rd_ctx *x, struct rd_conn *c)
{
	BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());

	c->ssl = SSL_new(x->tls);
	if (c->ssl == NULL || rbio == NULL || wbio == NULL) {
		BIO_free(rbio);
		BIO_free(wbio);
		return -ENOMEM;
	}
	BIO_set_mem_eof_return(rbio, -1); /* empty: wait for more, not EOF */
	SSL_set_bio(c->ssl, rbio, wbio);
	SSL_set_connect_state(c->ssl);
	c->wbio = wbio;
	c->hs = 1;
	int rc = SSL_do_handshake(c->ssl);
	return rc <= 0 && SSL_get_error(c->ssl, rc) == SSL_ERROR_WANT_READ ? 0 : -EIO;
}

/* --tls-flood: one ClientHello, made as a real session's would be. */
static int
rd_make_hello(struct rd_ctx *x)
{
	struct rd_conn c = { 0 };
	char *p;

	if (rd_tls_start(x, &c) != 0) {
		SSL_free(c.ssl);
		return -ENOMEM;
	}
	long n = BIO_get_mem_data(c.wbio, &p);
	x->hello = n > 0 ? malloc((size_t)n) : NULL;
	if (x->hello != NULL) {
		memcpy(x->hello, p, (size_t)n);
		x->hello_len = (int)n;
	}
	SSL_free(c.ssl);
	return x->hello != NULL ? 0 : -ENOMEM;
}

/*
 * LEN bytes of ciphertext from the server: the handshake, then records
 * whose plaintext goes to the script and whose answers go back through
 * SSL_write(). What OpenSSL sends waits in wbio. Returns 0, -EPROTO
 * (SMTP) or -EIO (TLS).
 */
static int
rd_tls_input(struct rd_ctx *x, struct rd_conn *c, const uint8_t *data, uint32_t len)
{
	uint8_t buf[16384];
	int n;

	if (BIO_write(SSL_get_rbio(c->ssl), data, (int)len) != (int)len)
		return -EIO;
	if (c->hs) {
		n = SSL_do_handshake(c->ssl);
		if (n <= 0)
			return SSL_get_error(c->ssl, n) == SSL_ERROR_WANT_READ ? 0 : -EIO;
		c->hs = 0;
		x->st->tls_handshakes++;
		n = rb_sess_tls_done(x->o, &c->s, x->out, sizeof(x->out));
		if (n < 0 || (n > 0 && SSL_write(c->ssl, x->out, n) != n))
			return n < 0 ? n : -EIO;
	}
	while ((n = SSL_read(c->ssl, buf, sizeof(buf))) > 0) {
		int w = rb_sess_input(x->o, &c->s, buf, (size_t)n, x->st, x->out, sizeof(x->out));
		if (w < 0)
			return w;
		if (w > 0 && SSL_write(c->ssl, x->out, w) != w)
			return -EIO;
	}
	n = SSL_get_error(c->ssl, n);
	return n == SSL_ERROR_WANT_READ || n == SSL_ERROR_ZERO_RETURN ? 0 : -EIO;
}

/*
 * Server bytes to the script, in plaintext or through TLS; *OUT gets
 * what to send back. Returns its length or a negative errno.
 */
static int
rd_app_input(struct rd_ctx *x, struct rd_conn *c, const uint8_t *data, uint32_t len, const char **out)
{
	int w;

	if (c->ssl == NULL) {
		*out = x->out;
		w = rb_sess_input(x->o, &c->s, data, len, x->st, x->out, sizeof(x->out));
		if (w < 0 || !(c->s.flags & RB_SF_TLS))
			return w;
		if (c->s.flags & RB_SF_FLOOD) {
			c->hs = RD_HS_FLOOD;
			*out = x->hello;
			return x->hello_len;
		}
		w = rd_tls_start(x, c); /* the script sent nothing on the 220 */
	} else {
		w = rd_tls_input(x, c, data, len);
	}
	if (w < 0)
		return w;
	char *p;
	long n = BIO_get_mem_data(c->wbio, &p);
	*out = p;
	return (int)n;
}

static void
rd_established(struct rd_ctx *x, struct rd_conn *c, const uint8_t *data, uint32_t len, uint8_t fl)
{
	const char *out = x->out;
	int w = 0;

	if ((c->s.flags & RB_SF_FLOOD) && (c->hs == RD_HS_FLOOD || c->s.next_reply > 2)) {
		/* The ClientHello answered, or STARTTLS refused: reset. */
		x->st->tls_floods += c->hs == RD_HS_FLOOD && len > 0;
		rd_send(x, c->tuple, c->snd_nxt, c->rcv_nxt + len, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, NULL,
			0);
		rd_release(x, c);
		return;
	}
	if (len > 0) {
		uint64_t refused = x->st->tls_refused;
		x->st->bytes_rx += len;
		c->rcv_nxt += len;
		w = rd_app_input(x, c, data, len, &out);
		if (c->oflood && x->st->tls_refused != refused) {
			/* STARTTLS shed (4xx): a flood's, not a session's; reset. */
			x->st->tls_refused = refused;
			x->st->flood_refused++;
			rd_send(x, c->tuple, c->snd_nxt, c->rcv_nxt, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG,
				NULL, 0);
			rd_release(x, c);
			return;
		}
		if (w < 0) {
			rd_fail(x, c, true, w == -EPROTO ? RB_ERR_PROTO : RB_ERR_TLS);
			return;
		}
	}
	if (fl & RTE_TCP_FIN_FLAG) {
		c->rcv_nxt++;
		c->peer_fin = 1;
	}
	if (c->state == RD_EST && (c->s.flags & RB_SF_DONE)) {
		x->st->sessions++;
		rb_hist_add(&x->st->lat, (rte_rdtsc() - c->start_tsc) * 1000000000ull / x->hz);
		rd_send(x, c->tuple, c->snd_nxt, c->rcv_nxt, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
		c->snd_nxt++;
		c->state = RD_FIN_SENT;
		if (c->peer_fin)
			rd_release(x, c);
		else
			rd_arm(x, c);
		return;
	}
	if (c->state == RD_FIN_SENT) {
		if (c->peer_fin) {
			rd_send(x, c->tuple, c->snd_nxt, c->rcv_nxt, RTE_TCP_ACK_FLAG, NULL, 0);
			rd_release(x, c);
		}
		return;
	}
	if (c->peer_fin) { /* closed before 221 */
		rd_fail(x, c, true, RB_ERR_CLOSED);
		return;
	}
	if (w > 0 && c->s.next_reply == 1 && x->o->hold_ms > 0 && x->h_tail - x->h_head < RD_TIMERS) {
		/* Hold the session open, idle, before EHLO: concurrency test. */
		c->held = 1;
		x->holds[x->h_tail++ % RD_TIMERS] =
			(struct rd_timer){ x->now + x->hold_tsc, (uint32_t)(c - x->conns) };
		rd_send(x, c->tuple, c->snd_nxt, c->rcv_nxt, RTE_TCP_ACK_FLAG, NULL, 0);
		rd_send_data(x, c, out, (size_t)w); /* buffered only: held */
	} else if (w > 0)
		rd_send_data(x, c, out, (size_t)w);
	else if (len > 0)
		rd_send(x, c->tuple, c->snd_nxt, c->rcv_nxt, RTE_TCP_ACK_FLAG, NULL, 0);
	if (c->wbio != NULL)
		(void)BIO_reset(c->wbio); /* sent: rd_send_data() copied it */
}

/*
 * A TCP segment from the server (the IP layer checked its source) of
 * L4_LEN bytes at TH, to our address whose last 32 bits are DST (network
 * order).
 */
static void
rd_tcp_input(struct rd_ctx *x, uint32_t dst, struct rte_tcp_hdr *th, uint32_t l4_len)
{
	if (l4_len < sizeof(*th))
		return;
	uint32_t thl = (uint32_t)(th->data_off >> 4) * 4;
	if (thl < sizeof(*th) || l4_len < thl)
		return;
	uint32_t a = rte_be_to_cpu_32(dst) - x->src_base;
	uint16_t dport = rte_be_to_cpu_16(th->dst_port);
	if (dport < 1024 || a >= x->n_tuples / RD_PORTS)
		return;
	uint32_t t = a * RD_PORTS + (dport - 1024u);
	if (x->tuple[t] == RD_NONE)
		return;
	struct rd_conn *c = &x->conns[x->tuple[t]];
	uint8_t fl = th->tcp_flags;
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq), ack = rte_be_to_cpu_32(th->recv_ack);
	const uint8_t *data = (const uint8_t *)th + thl;
	uint32_t len = l4_len - thl;

	if (fl & RTE_TCP_RST_FLAG) {
		if (c->state == RD_FIN_SENT)
			rd_release(x, c); /* done anyway */
		else
			rd_fail(x, c, false, RB_ERR_RESET);
		return;
	}
	if (c->state == RD_SYN_SENT || c->state == RD_FLOOD) {
		if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) != (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) ||
		    ack != c->snd_nxt)
			return;
		c->rcv_nxt = seq + 1;
		c->snd_una = ack;
		rd_rtt_sample(x, c);
		c->rto_at = 0;
		c->snd_wnd = rte_be_to_cpu_16(th->rx_win);
		if (c->state == RD_FLOOD) {
			rd_send(x, t, ack, c->rcv_nxt, RTE_TCP_RST_FLAG, NULL, 0);
			rd_release(x, c);
			return;
		}
		c->state = RD_EST;
		rd_send(x, t, c->snd_nxt, c->rcv_nxt, RTE_TCP_ACK_FLAG, NULL, 0);
		return;
	}
	if (fl & RTE_TCP_ACK_FLAG) {
		c->snd_wnd = rte_be_to_cpu_16(th->rx_win);
		if (ack == c->snd_una && c->snd_una != c->snd_nxt && len == 0 && !(fl & RTE_TCP_FIN_FLAG) &&
		    c->state == RD_EST) {
			/* Duplicate ACK: the server dropped what follows. */
			x->st->retransmits++;
			x->st->rexmt_fast++;
			c->karn = 1;
			c->recovering = 1;
			c->recover = c->snd_nxt;
			c->snd_nxt = c->snd_una;
			rd_push(x, c);
			return;
		}
		rd_acked(x, c, ack);
	}
	if (seq != c->rcv_nxt) {
		/* Duplicate or out of order; a repeated SYN-ACK means our ACK was lost. */
		if (len > 0 || (fl & (RTE_TCP_FIN_FLAG | RTE_TCP_SYN_FLAG)))
			rd_send(x, t, c->snd_nxt, c->rcv_nxt, RTE_TCP_ACK_FLAG, NULL, 0);
		return;
	}
	if (c->state == RD_EST && c->buf_len > c->snd_nxt - c->snd_una && !c->held)
		rd_push(x, c); /* the window opened */
	if (len > 0 || (fl & RTE_TCP_FIN_FLAG))
		rd_established(x, c, data, len, fl);
}

/*
 * IPv6 from the server: TCP right after the header (rcptgate sends no
 * extension headers), or the neighbour advertisement that gives its MAC.
 */
static void
rd_ipv6_input(struct rd_ctx *x, struct rte_ether_hdr *eth, uint32_t frame)
{
	if (frame < sizeof(*eth) + sizeof(struct rte_ipv6_hdr))
		return;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	uint32_t plen = rte_be_to_cpu_16(ip6->payload_len);
	uint8_t *l4 = (uint8_t *)(ip6 + 1);
	if (plen > frame - sizeof(*eth) - sizeof(*ip6) || memcmp(ip6->src_addr, &x->o->server6, 16) != 0)
		return;
	if (ip6->proto == IPPROTO_ICMPV6) {
		/* type, code, checksum, flags, target */
		if (plen >= 24 && l4[0] == RD_ICMP6_NA && memcmp(l4 + 8, &x->o->server6, 16) == 0) {
			x->peer = eth->src_addr;
			((struct rte_ether_hdr *)x->tmpl)->dst_addr = x->peer;
		}
		return;
	}
	if (ip6->proto != IPPROTO_TCP || memcmp(ip6->dst_addr, &x->src6, 12) != 0)
		return;
	uint32_t dst;
	memcpy(&dst, &ip6->dst_addr[12], sizeof(dst));
	rd_tcp_input(x, dst, (struct rte_tcp_hdr *)l4, plen);
}

static void
rd_input(struct rd_ctx *x, struct rte_mbuf *m)
{
	uint32_t frame = rte_pktmbuf_data_len(m);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	x->st->pkts_rx++;
	if (frame < sizeof(*eth) + sizeof(struct rte_ipv4_hdr))
		goto out;
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		rd_arp_input(x, m);
		goto out;
	}
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		rd_ipv6_input(x, eth, frame);
		goto out;
	}
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		goto out;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint32_t ip_len = rte_be_to_cpu_16(ip->total_length);
	uint32_t ihl = rte_ipv4_hdr_len(ip);
	if (ip->next_proto_id != IPPROTO_TCP || ip_len > frame - sizeof(*eth) || ihl < sizeof(*ip) ||
	    ip_len < ihl || ip->src_addr != x->o->server.s_addr)
		goto out;
	rd_tcp_input(x, ip->dst_addr, (struct rte_tcp_hdr *)((uint8_t *)ip + ihl), ip_len - ihl);
out:
	rte_pktmbuf_free(m);
}

/*
 * Read every queue until a burst comes back short, or RD_RX_BURSTS
 * bursts; return how many frames. x->rx_behind says a queue still had
 * frames: the server's replies arrive faster than we read them, and
 * rd_fill opens nothing until we have caught up. A server that finds
 * its TX ring full drops the segment (tx_full_drops) and the session
 * waits for an RTO, so reading comes before opening.
 */
static unsigned
rd_rx(struct rd_ctx *x)
{
	struct rte_mbuf *rx[RD_BURST];
	unsigned total = 0;

	x->rx_behind = false;
	for (uint16_t q = 0; q < x->n_queues; q++) {
		uint16_t n = RD_BURST;
		for (unsigned b = 0; b < RD_RX_BURSTS && n == RD_BURST; b++) {
			n = rte_eth_rx_burst(x->port, q, rx, RD_BURST);
			for (uint16_t i = 0; i < n; i++) {
				if (i + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], void *));
				rd_input(x, rx[i]);
			}
			total += n;
		}
		if (n == RD_BURST)
			x->rx_behind = true;
	}
	return total;
}

static int
rd_port_init(struct rd_ctx *x)
{
	struct rte_eth_conf conf;
	uint16_t nb_rx = 1024, nb_tx = 1024;
	int rc;

	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr,
			"rcptgate-bench: expected one DPDK port, found %u "
			"(give --vdev net_memif0,role=client,socket=PATH, or role=server,\n"
			"socket=PATH for a zero-copy rcptgate, after --)\n",
			rte_eth_dev_count_avail());
		return -ENODEV;
	}
	RTE_ETH_FOREACH_DEV(x->port)
	break;
	x->pool = rte_pktmbuf_pool_create("rb_mbufs", RD_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (x->pool == NULL) {
		fprintf(stderr, "rcptgate-bench: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	memset(&conf, 0, sizeof(conf));
	x->n_queues = (uint16_t)x->o->queues;
	rc = rte_eth_dev_configure(x->port, x->n_queues, x->n_queues, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(x->port, &nb_rx, &nb_tx);
	for (uint16_t q = 0; rc == 0 && q < x->n_queues; q++) {
		rc = rte_eth_rx_queue_setup(x->port, q, nb_rx, (unsigned)rte_socket_id(), NULL, x->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(x->port, q, nb_tx, (unsigned)rte_socket_id(), NULL);
	}
	if (rc == 0)
		rc = rte_eth_macaddr_get(x->port, &x->mac);
	if (rc == 0)
		rc = rte_eth_dev_start(x->port);
	if (rc != 0) {
		fprintf(stderr, "rcptgate-bench: port %u: %s\n", x->port, rte_strerror(-rc));
		return rc;
	}
	rte_eth_promiscuous_enable(x->port);
	/* a memif server accepts its client from here on (before, it
	 * refuses it): scripts that start rcptgate as client wait for this */
	fprintf(stderr, "rcptgate-bench: port %u started\n", x->port);
	return 0;
}

static void
rd_template(struct rd_ctx *x)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)x->tmpl;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

	memset(x->tmpl, 0, sizeof(x->tmpl));
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr)); /* until ARP answers */
	eth->src_addr = x->mac;
	if (x->o->v6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		ip6->vtc_flow = RTE_BE32(6u << 28);
		ip6->proto = IPPROTO_TCP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, &x->src6, 16);
		memcpy(ip6->dst_addr, &x->o->server6, 16);
		th = (struct rte_tcp_hdr *)(ip6 + 1);
		th->dst_port = rte_cpu_to_be_16(x->o->port);
		th->rx_win = RTE_BE16(65535);
		return;
	}
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->dst_addr = x->o->server.s_addr;
	th->dst_port = rte_cpu_to_be_16(x->o->port);
	th->rx_win = RTE_BE16(65535);
}

/*
 * A neighbour solicitation for the server's IPv6 address, to its
 * solicited-node group (RFC 4861 7.2.2), with our MAC as the source
 * link-layer option: the advertisement back gives the server's MAC.
 */
static int
rd_ndp_solicit(struct rd_ctx *x)
{
	const uint8_t *t = x->o->server6.s6_addr;
	struct rte_mbuf *m = rte_pktmbuf_alloc(x->pool);

	if (m == NULL)
		return -ENOBUFS;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(
		m, sizeof(*eth) + sizeof(struct rte_ipv6_hdr) + 32);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	uint8_t *ns = (uint8_t *)(ip6 + 1);
	static const uint8_t snm[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };
	const uint8_t mc[6] = { 0x33, 0x33, 0xff, t[13], t[14], t[15] };

	memcpy(&eth->dst_addr, mc, sizeof(mc));
	eth->src_addr = x->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	memset(ip6, 0, sizeof(*ip6));
	ip6->vtc_flow = RTE_BE32(6u << 28);
	ip6->payload_len = RTE_BE16(32);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	memcpy(ip6->src_addr, &x->src6, 16);
	memcpy(ip6->dst_addr, snm, sizeof(snm));
	memcpy(ip6->dst_addr + 13, t + 13, 3);
	memset(ns, 0, 32);
	ns[0] = RD_ICMP6_NS;
	memcpy(ns + 8, t, 16);
	ns[24] = 1, ns[25] = 1; /* source link-layer address, 8 bytes */
	memcpy(ns + 26, &x->mac, RTE_ETHER_ADDR_LEN);
	uint16_t sum = rte_ipv6_udptcp_cksum(ip6, ns);
	memcpy(ns + 2, &sum, sizeof(sum));
	if (rte_eth_tx_burst(x->port, 0, &m, 1) != 1)
		rte_pktmbuf_free(m);
	return 0;
}

/*
 * Wait up to 30 s for the link (as memif server, the harness's port comes
 * up when rcptgate connects, in its start-up, before its workers run),
 * then ask for the server's MAC (ARP, or NDP over IPv6) and wait up to
 * 10 s for the answer.
 */
static int
rd_arp(struct rd_ctx *x)
{
	uint64_t end = rte_get_tsc_cycles() + 30 * x->hz, next = 0;
	struct rte_eth_link link;

	while (rte_eth_link_get_nowait(x->port, &link) == 0 && link.link_status != RTE_ETH_LINK_UP) {
		if (rte_get_tsc_cycles() >= end)
			return -ENOTCONN;
		rte_delay_us_sleep(10000);
	}
	end = rte_get_tsc_cycles() + 10 * x->hz;

	while (rte_get_tsc_cycles() < end) {
		if (rte_get_tsc_cycles() >= next && x->o->v6) {
			int rc = rd_ndp_solicit(x);
			if (rc != 0)
				return rc;
			next = rte_get_tsc_cycles() + x->hz / 10;
		} else if (rte_get_tsc_cycles() >= next) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(x->pool);
			if (m == NULL)
				return -ENOBUFS;
			struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(
				m, sizeof(*eth) + sizeof(struct rte_arp_hdr));
			struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
			memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
			eth->src_addr = x->mac;
			eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
			a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
			a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
			a->arp_hlen = RTE_ETHER_ADDR_LEN;
			a->arp_plen = 4;
			a->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
			a->arp_data.arp_sha = x->mac;
			a->arp_data.arp_sip = rte_cpu_to_be_32(x->src_base);
			memset(&a->arp_data.arp_tha, 0, sizeof(a->arp_data.arp_tha));
			a->arp_data.arp_tip = x->o->server.s_addr;
			if (rte_eth_tx_burst(x->port, 0, &m, 1) != 1)
				rte_pktmbuf_free(m);
			next = rte_get_tsc_cycles() + x->hz / 10;
		}
		rd_rx(x);
		if (!rte_is_zero_ether_addr(&x->peer))
			return 0;
		rte_delay_us_sleep(1000);
	}
	return -EHOSTUNREACH;
}

static int
rd_alloc(struct rd_ctx *x)
{
	const struct rb_opts *o = x->o;

	x->n_tuples = o->src_count * RD_PORTS;
	x->n_main = o->concurrency;
	/* --tls-flood-rate: 2 s of the rate, each connection living up to 1 s */
	uint32_t n_flood = o->flood_rate ? 2 * o->flood_rate : 0;
	x->n_conns = x->n_main + n_flood;
	if ((uint64_t)x->n_conns * 2 > x->n_tuples) {
		fprintf(stderr,
			"rcptgate-bench: --concurrency %u (and 2 s of --tls-flood-rate) needs --src-count "
			">= %u\n",
			o->concurrency, (x->n_conns * 2 + RD_PORTS - 1) / RD_PORTS);
		return -EINVAL;
	}
	x->tuple = malloc(sizeof(uint32_t) * x->n_tuples);
	x->conns = calloc(x->n_conns, sizeof(*x->conns));
	x->free_list = malloc(sizeof(uint32_t) * x->n_main);
	x->oflood_free = malloc(sizeof(uint32_t) * (n_flood + 1));
	x->timers = malloc(sizeof(*x->timers) * RD_TIMERS);
	x->holds = malloc(sizeof(*x->holds) * RD_TIMERS);
	if (x->tuple == NULL || x->conns == NULL || x->free_list == NULL || x->oflood_free == NULL ||
	    x->timers == NULL || x->holds == NULL)
		return -ENOMEM;
	memset(x->tuple, 0xff, sizeof(uint32_t) * x->n_tuples);
	for (uint32_t i = 0; i < x->n_main; i++)
		x->free_list[i] = x->n_main - 1 - i;
	x->n_free = x->n_main;
	for (uint32_t i = 0; i < n_flood; i++)
		x->oflood_free[i] = x->n_conns - 1 - i;
	x->n_oflood_free = n_flood;
	x->next_tuple = (uint32_t)(rte_rand() % x->n_tuples);
	return 0;
}

/* Open sessions into free slots (at most one burst per loop). */
static void
rd_fill(struct rd_ctx *x)
{
	const struct rb_opts *o = x->o;

	if (x->backlogged > 0 || x->rx_behind)
		return; /* a link is full, or replies wait: no new sessions now */
	for (int i = 0; i < RD_BURST && x->n_free > 0; i++) {
		if (o->sessions && x->st->started >= o->sessions)
			return;
		bool flood = false;
		if (o->syn_pct && x->flood_credit >= 100) {
			x->flood_credit -= 100;
			flood = true;
		} else {
			x->flood_credit += o->syn_pct;
		}
		if (rd_open(x, flood ? RD_OPEN_SYN : RD_OPEN_SESSION) != 0)
			return;
	}
}

/*
 * --tls-flood-rate: open the flood connections due by now, on their own
 * clock and whatever the TX backlog (open loop). A loop late by more than
 * 10 ms does not catch up: the rate reported is what was sent.
 */
static void
rd_flood(struct rd_ctx *x)
{
	uint64_t lag = x->hz / 100;

	if (x->oflood_gap == 0)
		return;
	if (x->now > x->oflood_next + lag)
		x->oflood_next = x->now - lag;
	while (x->oflood_next <= x->now) {
		x->oflood_next += x->oflood_gap;
		if (rd_open(x, RD_OPEN_TLS_FLOOD) != 0)
			x->st->flood_skipped++;
	}
}

/*
 * Sessions older than the timeout are errors (a lost segment: no
 * retransmission). RD_EXPIRE_STEP sessions a loop, not all of them
 * every 100 ms: a sweep of 32,768 sessions out of cache kept this lcore
 * from its RX rings for long enough to fill the server's TX ring.
 */
static void
rd_expire(struct rd_ctx *x, uint64_t now)
{
	for (uint32_t k = 0; k < RD_EXPIRE_STEP && k < x->n_conns; k++) {
		uint32_t i = x->exp_next;
		x->exp_next = i + 1 < x->n_conns ? i + 1 : 0;
		struct rd_conn *c = &x->conns[i];
		if (c->state == RD_FREE || now - c->start_tsc <= (c->oflood ? x->oflood_tmo : x->tmo_tsc))
			continue;
		if (c->state == RD_FIN_SENT) /* done; the server's FIN went missing */
			rd_release(x, c);
		else
			rd_fail(x, c, c->state != RD_SYN_SENT && c->state != RD_FLOOD, RB_ERR_TIMEOUT);
	}
}

int
rb_run_dpdk(const struct rb_opts *o, struct rb_stats *st, double *seconds)
{
	struct rd_ctx *x = calloc(1, sizeof(*x));
	int rc;

	if (x == NULL)
		return -ENOMEM;
	x->o = o;
	x->st = st;
	if (rte_eal_init(o->eal_argc, o->eal_argv) < 0) {
		fprintf(stderr, "rcptgate-bench: EAL: %s\n", rte_strerror(rte_errno));
		free(x);
		return -EINVAL;
	}
	x->hz = rte_get_tsc_hz();
	st->tsc_hz = x->hz;
	x->tmo_tsc = (uint64_t)(o->timeout * (double)x->hz);
	x->rto_min = (uint64_t)(o->rto_ms * (double)x->hz / 1e3);
	x->rto_tsc = x->rto_min > x->hz ? x->rto_min : x->hz; /* 1 s until a sample (RFC 6298 2.1) */
	x->hold_tsc = (uint64_t)(o->hold_ms * (double)x->hz / 1e3);
	x->oflood_gap = o->flood_rate ? x->hz / o->flood_rate : 0;
	x->oflood_tmo = x->hz / 1000 * RD_OFLOOD_TMO_MS;
	x->now = rte_rdtsc();
	x->src_base = o->src.s_addr ? rte_be_to_cpu_32(o->src.s_addr)
				    : (rte_be_to_cpu_32(o->server.s_addr) & ~0xffu) | 100u;
	x->hdr = RD_HDR4;
	x->mss = RD_MSS;
	if (o->v6) {
		/* the server's /96 with its last byte 100 decimal (...::64)
		 * unless --src said */
		uint32_t low;
		x->src6 = o->src_set ? o->src6 : o->server6;
		memcpy(&low, &x->src6.s6_addr[12], sizeof(low));
		x->src_base = o->src_set ? rte_be_to_cpu_32(low) : (rte_be_to_cpu_32(low) & ~0xffu) | 100u;
		low = rte_cpu_to_be_32(x->src_base);
		memcpy(&x->src6.s6_addr[12], &low, sizeof(low));
		x->hdr = RD_HDR6;
		x->mss = RD_MSS6;
	}
	if ((o->tls_pct > 0 || o->flood_pct > 0 || o->flood_rate > 0) &&
	    (x->tls = rb_tls_client_ctx()) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((o->flood_pct > 0 || o->flood_rate > 0) && (rc = rd_make_hello(x)) != 0)
		goto out;
	if ((rc = rd_alloc(x)) != 0 || (rc = rd_port_init(x)) != 0)
		goto out;
	rd_template(x);
	if ((rc = rd_arp(x)) == -ENOTCONN) {
		fprintf(stderr, "rcptgate-bench: the port's link did not come up within 30 s\n");
		goto out;
	} else if (rc != 0) {
		fprintf(stderr, "rcptgate-bench: no %s answer from the server within 10 s\n",
			o->v6 ? "neighbour discovery" : "ARP");
		goto out;
	}

	struct rb_stats prev = *st;
	uint64_t t0 = rte_rdtsc(), last = t0;
	x->now = t0; /* the loop gaps from here on */
	uint64_t end = o->duration > 0 ? t0 + (uint64_t)(o->duration * (double)x->hz) : UINT64_MAX;
	uint64_t prog = (uint64_t)(o->progress * (double)x->hz);
	x->oflood_next = t0;
	for (;;) {
		uint64_t now = rte_rdtsc();
		if (now - x->now > st->max_gap) /* a pause: the server's replies pile up */
			st->max_gap = now - x->now;
		x->now = now;
		bool more = now < end && (!o->sessions || st->started < o->sessions);
		rd_timers(x);
		if (more) {
			rd_fill(x);
			rd_flood(x);
		} else if (x->n_open == 0)
			break;
		uint64_t tx0 = st->pkts_tx + st->started;
		unsigned n = rd_rx(x);
		rd_flush(x);
		if (n > 0 || st->pkts_tx + st->started != tx0) /* the same measure as rcptgate's */
			st->busy_cycles += rte_rdtsc() - now;
		/* A fresh TSC: sessions opened in this loop started after NOW. */
		rd_expire(x, rte_rdtsc());
		if (prog && now - last >= prog) {
			rb_progress(o, st, &prev, (double)(now - t0) / (double)x->hz,
				    (double)(now - last) / (double)x->hz, x->n_open);
			prev = *st;
			last = now;
		}
	}
	rd_flush(x);
	*seconds = (double)(rte_rdtsc() - t0) / (double)x->hz;
	struct rte_eth_stats es;
	if (rte_eth_stats_get(x->port, &es) == 0) /* what the port lost on the way in */
		st->rx_missed = es.imissed + es.rx_nombuf;
	if (o->hold_port) {
		/*
		 * Keep the link up, without polling, until the caller is done
		 * with the server: DPDK 22.11's memif server can fault when
		 * its peer disconnects while a worker is inside an RX burst
		 * (the shared memory goes from under it), which two workers
		 * sharing a CPU make likely. Stopped first, it disconnects
		 * itself once its workers are stopped.
		 */
		char b[256];
		fprintf(stderr, "rcptgate-bench: run done, port held until standard input ends\n");
		while (read(STDIN_FILENO, b, sizeof(b)) > 0)
			;
	}
out:
	if (x->pool != NULL) {
		rte_eth_dev_stop(x->port);
		rte_eth_dev_close(x->port);
	}
	for (uint16_t q = 0; q < x->n_queues; q++) {
		struct rd_txq *tq = &x->txq[q];
		while (tq->bl_head != tq->bl_tail)
			rte_pktmbuf_free(tq->backlog[tq->bl_head++ % RD_BACKLOG]);
	}
	for (uint32_t i = 0; x->conns && i < x->n_conns; i++) {
		SSL_free(x->conns[i].ssl);
		free(x->conns[i].buf);
	}
	SSL_CTX_free(x->tls);
	free(x->hello);
	free(x->tuple);
	free(x->conns);
	free(x->free_list);
	free(x->oflood_free);
	free(x->timers);
	free(x->holds);
	free(x);
	rte_eal_cleanup();
	return rc;
}
