/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_impl.h - internals shared by the files of the TCP core
 * DESCRIPTION
 *	The connection record, the per-lcore stack, wraparound-safe
 *	sequence arithmetic and the functions the core's files call in
 *	each other. Not for use outside dataplane/core/tcp/.
 *
 *	Connections, send buffers and per-source counts live in arrays
 *	allocated once; they are linked by 32-bit indices (TCP_NIL = none)
 *	so the record stays within two cache lines.
 */
#ifndef RG_TCP_IMPL_H
#define RG_TCP_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcp/tcp.h"

#define TCP_NIL UINT32_MAX
#define TCP_NO_SLOT UINT16_MAX

/* Timing of the state machine (tcp_input.c, tcp_timer.c). */
#define TCP_RTO_INIT_MS 1000 /* RFC 6298 2.1 */
#define TCP_RTO_MIN_MS 200   /* as Linux; RFC 6298 says 1 s (SHOULD) */
#define TCP_RTO_MAX_MS 60000
#define TCP_SYNACK_RETRIES 5
#define TCP_MAX_REXMT 8		   /* about 2 minutes with backoff */
#define TCP_CLOSE_FALLBACK_MS 2000 /* wait for the client's FIN after 221 */
#define TCP_CLOSE_LINGER_MS 15000  /* then give the FIN exchange this long */
#define TCP_DELACK_MS 40
#define TCP_MAX_ACK_BEHIND 65535 /* RFC 5961 5.2: largest window we ever grant */
#define TCP_CWND_MAX 65535

/* Sequence numbers compare modulo 2^32 (RFC 9293 3.4). */
static inline bool
tcp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool
tcp_seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}
static inline bool
tcp_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline bool
tcp_seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}
/* The same for the 32-bit millisecond clock of the timers. */
static inline bool
tcp_time_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

enum tcp_state {
	TCPS_FREE = 0,
	TCPS_SYN_RCVD,
	TCPS_ESTABLISHED,
	TCPS_LAST_ACK,	 /* peer's FIN in; ours queued behind the data */
	TCPS_FIN_WAIT_1, /* our FIN sent first (fallback close) */
	TCPS_FIN_WAIT_2, /* our FIN acknowledged, waiting for theirs */
	TCPS_CLOSING,	 /* both FINs sent, ours not yet acknowledged */
};

/* conn flags */
#define TF_APP_OPEN 0x01     /* app session initialised: close() owed */
#define TF_APP_DONE 0x02     /* app said CLOSE: no more input to it */
#define TF_FIN_QUEUED 0x04   /* send FIN after the buffered data */
#define TF_ACK_NOW 0x08	     /* an ACK is owed right now */
#define TF_DELACK 0x10	     /* an ACK is owed, delayed */
#define TF_BANNER_ACKED 0x20 /* the client has acknowledged our greeting */
#define TF_RTT 0x40	     /* rtt_seq is being timed */
#define TF_FIN_HELD 0x80     /* peer's FIN taken behind held input: owed to the app */

/* Timer slots of a connection; the wheel holds the earliest. */
enum { TT_REXMT, TT_DELACK, TT_MISC, TT_MAX };

/*
 * The peer's address costs the record 4 bytes for either family: rkey
 * is the IPv4 address, or a fold of the IPv6 one whose 16 bytes sit in
 * the stack's raddr6[] side array (read only for IPv6 connections: the
 * IPv4 path touches the same lines as before). The local address is
 * not stored: it is the listen address of the peer's family. With a
 * 16-byte address in the record it would grow from 128 to 152 bytes
 * (three cache lines); as it is, sizeof(struct tcp_conn) stays 128.
 */
struct tcp_conn {
	/* lookup: rkey, rport and lport are one word, compared at once
	 * (tcp_conn_key()) */
	uint32_t rkey; /* tcp_addr_fold() of the peer's address */
	uint16_t rport, lport;
	uint32_t v6 : 1;   /* peer is IPv6: its address is raddr6[id] */
	uint32_t src : 31; /* its entry in srcs[] (max_conns <= 2^30) */
	uint32_t hnext;	   /* hash chain, or free list */
	uint8_t state;
	uint8_t flags;
	uint8_t nrexmt; /* retransmissions of the current segment */
	uint8_t link[TCP_LINK_ADDR_LEN];
	uint8_t idle_alt; /* the application switched to alt_idle_timeout_ms */
	uint16_t mss;	  /* peer's MSS, bounded */
	/* timer wheel */
	uint32_t tnext, tprev;
	uint32_t texpire;	    /* tick the wheel entry is filed under */
	uint16_t tslot;		    /* level * TCP_WHEEL_SLOTS + slot; TCP_NO_SLOT */
	uint16_t gen;		    /* bumped at each reuse: stale references fail */
	uint32_t tdeadline[TT_MAX]; /* ms; 0 = off */
	/* send side */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd, snd_wl1, snd_wl2;
	uint32_t cwnd;
	uint32_t rtt_seq, rtt_start;
	int32_t srtt, rttvar; /* ms << 3, ms << 2 (RFC 6298 in fixed point) */
	uint32_t sbuf;	      /* send buffer index or TCP_NIL */
	uint16_t sb_len;      /* bytes in it, starting at snd_una (<= TCP_SNDBUF_SIZE) */
	uint16_t rto;	      /* ms, <= TCP_RTO_MAX_MS */
	uint16_t banner_len;  /* the greeting: iss + 1 .. iss + 1 + banner_len */
	/* receive side */
	uint16_t rb_len; /* in-order bytes taken (ACKed) but not yet read by the app */
	uint32_t irs, rcv_nxt;
	uint32_t rbuf; /* held-input buffer index or TCP_NIL */
};

_Static_assert(sizeof(struct tcp_conn) <= 128, "tcp_conn must stay within two cache lines");
_Static_assert(offsetof(struct tcp_conn, rkey) == 0 && offsetof(struct tcp_conn, rport) == 4 &&
		       offsetof(struct tcp_conn, lport) == 6,
	       "tcp_conn_key() reads rkey, rport and lport as the first 8 bytes");

/*
 * tcp_conn_key - the lookup key as one word: RKEY, RPORT and LPORT laid
 * out as at the start of struct tcp_conn; tcp_conn_word() reads a
 * connection's. One compare per chain entry instead of three.
 */
static inline uint64_t
tcp_conn_key(uint32_t rkey, uint16_t rport, uint16_t lport)
{
	union {
		struct {
			uint32_t rkey;
			uint16_t rport, lport;
		} f;
		uint64_t w;
	} k = { .f = { rkey, rport, lport } };
	return k.w;
}

static inline uint64_t
tcp_conn_word(const struct tcp_conn *c)
{
	uint64_t w;

	memcpy(&w, c, sizeof(w));
	return w;
}

_Static_assert(TCP_SNDBUF_SIZE <= UINT16_MAX && TCP_RCVBUF_SIZE <= TCP_SNDBUF_SIZE,
	       "sb_len and rb_len are 16 bits; held input uses a send-buffer-sized pool buffer");

/*
 * The receive window: what the connection will take now, i.e. the room
 * left in its held-input buffer (RFC 9293 3.8.6: advertised truthfully,
 * never shrunk: bytes move from the window into rb_len one for one).
 */
static inline uint32_t
tcp_rcv_wnd(const struct tcp_conn *c)
{
	return TCP_RCVBUF_SIZE - c->rb_len;
}

/* Hierarchical wheel: 256 one-ms slots, 256 slots of 256 ms. */
#define TCP_WHEEL_BITS 8
#define TCP_WHEEL_SLOTS (1u << TCP_WHEEL_BITS)

struct tcp_src {
	struct tcp_addr addr;
	uint32_t count;	   /* connections, from the SYN on */
	uint32_t sessions; /* of them, handed to the application and not yet closed */
	uint32_t next;
};

struct tcp_stack {
	struct tcp_params p;
	struct tcp_app app;
	struct tcp_tx tx;
	uint64_t *ctr;

	struct tcp_conn *conns;
	struct tcp_addr *raddr6; /* peers' IPv6 addresses, by connection id */
	uint8_t *sessions;	 /* max_conns * app.session_size */
	uint32_t *bucket;	 /* conn hash heads */
	uint32_t hmask;
	uint32_t free_conn;
	uint32_t n_conns, n_synrcvd;

	struct tcp_src *srcs; /* per-source counts */
	uint32_t *src_bucket;
	uint32_t free_src;

	uint8_t *bufs;	    /* n_buffers * TCP_SNDBUF_SIZE */
	uint32_t *buf_free; /* stack of free buffer indices */
	uint32_t n_buf_free;

	uint32_t wheel[2][TCP_WHEEL_SLOTS];
	uint32_t tick; /* last ms processed */
	bool clock_set;

	uint32_t now;	       /* ms, truncated, of the current call */
	uint32_t chack_second; /* challenge-ACK rate window */
	uint32_t chack_count;
	uint64_t hkey; /* keys the connection hash */
};

static inline uint32_t
tcp_conn_id(const struct tcp_stack *ts, const struct tcp_conn *c)
{
	return (uint32_t)(c - ts->conns);
}

/* The peer's address of C (ours is the listen address of its family). */
static inline struct tcp_addr
tcp_conn_raddr(const struct tcp_stack *ts, const struct tcp_conn *c)
{
	return c->v6 ? ts->raddr6[tcp_conn_id(ts, c)] : tcp_addr_from_v4(c->rkey);
}

/* The MSS we announce to C's family. */
static inline uint16_t
tcp_our_mss(const struct tcp_addr *peer)
{
	return tcp_addr_is_v4(peer) ? TCP_OUR_MSS : TCP_OUR_MSS6;
}

static inline void *
tcp_conn_session(struct tcp_stack *ts, const struct tcp_conn *c)
{
	return ts->sessions + (size_t)tcp_conn_id(ts, c) * ts->app.session_size;
}

static inline uint8_t *
tcp_conn_sbuf(struct tcp_stack *ts, const struct tcp_conn *c)
{
	return ts->bufs + (size_t)c->sbuf * TCP_SNDBUF_SIZE;
}

static inline uint8_t *
tcp_conn_rbuf(struct tcp_stack *ts, const struct tcp_conn *c)
{
	return ts->bufs + (size_t)c->rbuf * TCP_SNDBUF_SIZE;
}

/* tcp_table.c: connections, sources, buffers */
struct tcp_conn *tcp_conn_lookup(struct tcp_stack *ts, const struct tcp_seg *seg);
int tcp_conn_alloc(struct tcp_stack *ts, const struct tcp_seg *seg, struct tcp_conn **out);
void tcp_conn_free(struct tcp_stack *ts, struct tcp_conn *c);
int tcp_sbuf_get(struct tcp_stack *ts, struct tcp_conn *c);
void tcp_sbuf_put(struct tcp_stack *ts, struct tcp_conn *c);
int tcp_rbuf_get(struct tcp_stack *ts, struct tcp_conn *c);
void tcp_rbuf_put(struct tcp_stack *ts, struct tcp_conn *c);
int tcp_table_init(struct tcp_stack *ts);
void tcp_table_fini(struct tcp_stack *ts);

/* tcp_timer.c: the wheel */
void tcp_timer_set(struct tcp_stack *ts, struct tcp_conn *c, int which, uint32_t delay_ms);
void tcp_timer_clear(struct tcp_stack *ts, struct tcp_conn *c, int which);
void tcp_timer_unlink(struct tcp_stack *ts, struct tcp_conn *c);

/* tcp_cookie.c: keyed hashes */
uint32_t tcp_iss(const struct tcp_stack *ts, const struct tcp_seg *seg);
uint32_t tcp_cookie_make(const struct tcp_stack *ts, const struct tcp_seg *syn, uint16_t *mss);
int tcp_cookie_check(const struct tcp_stack *ts, const struct tcp_seg *ack, uint16_t *mss);
uint64_t tcp_siphash(const uint64_t key[2], const uint64_t *words, unsigned n);

/* tcp_output.c */
void tcp_output(struct tcp_stack *ts, struct tcp_conn *c);
void tcp_send_ctl(struct tcp_stack *ts, struct tcp_conn *c, uint32_t seq, uint8_t flags);
void tcp_send_synack(struct tcp_stack *ts, struct tcp_conn *c);
void tcp_reply_rst(struct tcp_stack *ts, const struct tcp_seg *seg);
void tcp_send_reply(struct tcp_stack *ts, const struct tcp_seg *seg, uint32_t seq, uint32_t ack,
		    uint8_t flags, uint16_t mss);
void tcp_challenge_ack(struct tcp_stack *ts, struct tcp_conn *c);
void tcp_ack_sent(struct tcp_stack *ts, struct tcp_conn *c);

/* tcp_stack.c */
void tcp_close(struct tcp_stack *ts, struct tcp_conn *c, bool rst);
int tcp_app_call(struct tcp_stack *ts, struct tcp_conn *c, int verdict);

/* tcp_input.c: hand held input to the application; -1 if C is gone. */
int tcp_hold_drain(struct tcp_stack *ts, struct tcp_conn *c);

_Static_assert(TCP_RTO_MAX_MS <= UINT16_MAX, "rto is 16 bits");

/* Release the send buffer once nothing in it is needed. */
static inline void
tcp_sbuf_trim(struct tcp_stack *ts, struct tcp_conn *c)
{
	if (c->sbuf != TCP_NIL && c->sb_len == 0)
		tcp_sbuf_put(ts, c);
}

/* Whether the send buffer has room for the application's next reply
 * (out_reserve bytes), counted unsigned: sb_len <= TCP_SNDBUF_SIZE. */
static inline bool
tcp_sb_has_reserve(const struct tcp_stack *ts, const struct tcp_conn *c)
{
	return (size_t)(TCP_SNDBUF_SIZE - c->sb_len) >= ts->app.out_reserve;
}

/* The send buffer as the application's output, and back. */
static inline void
tcp_out_begin(struct tcp_stack *ts, struct tcp_conn *c, struct tcp_out *out)
{
	out->buf = (char *)tcp_conn_sbuf(ts, c);
	out->len = c->sb_len;
	out->cap = TCP_SNDBUF_SIZE;
	out->idle = TCP_IDLE_KEEP;
}

static inline void
tcp_out_end(struct tcp_conn *c, const struct tcp_out *out)
{
	/* the application may not write past cap; never trust more */
	c->sb_len = (uint16_t)(out->len <= TCP_SNDBUF_SIZE ? out->len : TCP_SNDBUF_SIZE);
	if (out->idle != TCP_IDLE_KEEP)
		c->idle_alt = out->idle == TCP_IDLE_ALT;
}

/* The idle timeout of C: the one its application switched it to, else the default. */
static inline uint32_t
tcp_idle_ms(const struct tcp_stack *ts, const struct tcp_conn *c)
{
	return c->idle_alt && ts->p.alt_idle_timeout_ms != 0 ? ts->p.alt_idle_timeout_ms
							     : ts->p.idle_timeout_ms;
}

/* Exponential backoff of the retransmission timeout (RFC 6298 5.5). */
static inline void
tcp_backoff(struct tcp_conn *c)
{
	c->rto = (uint16_t)(c->rto >= TCP_RTO_MAX_MS / 2 ? TCP_RTO_MAX_MS : c->rto * 2);
}

#endif /* RG_TCP_IMPL_H */
