/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp.h - server-side TCP termination, one stack per worker lcore
 * DESCRIPTION
 *	A plain-C TCP (RFC 9293) for the passive side only. It works on a
 *	parsed segment descriptor (struct tcp_seg) and hands every segment
 *	it wants sent to a transmit callback, so the state machine runs
 *	under cmocka and libFuzzer without DPDK; dataplane/dpdk/tcp/tcp_lcore.c is
 *	the DPDK glue (mbufs, checksums) and tcp_frame.h writes the frames.
 *
 *	The stack hands the in-order byte stream of each connection to an
 *	application (struct tcp_app: the SMTP engine in the daemon) and
 *	sends what the application appends to the connection's send
 *	buffer, keeping unacknowledged bytes for retransmission.
 *
 *	Shared nothing: one struct tcp_stack per lcore, never touched by
 *	another thread. No allocation after tcp_stack_create().
 * DIAGNOSTICS
 *	Nothing is logged per segment; every drop, cap and abnormal event
 *	increments a counter (RG_C_TCP_* in include/rcptgate/counters.h).
 * TRUST
 *	Segments come from the network: every field is untrusted. The
 *	caller has validated the IP header and the TCP checksum;
 *	tcp_parse() checks the TCP header and options against the bytes
 *	actually present.
 */
#ifndef RG_TCP_H
#define RG_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One address type for the whole stack: 16 bytes, IPv4 held as an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 2.5.5.2). The
 * mapped prefix is the tag of the union: equality is two 64-bit
 * compares for both families and the state machine never asks which
 * family it has. Bytes in network order; all zero = no address.
 */
struct tcp_addr {
	union {
		uint8_t b[16];
		uint32_t w[4];
		uint64_t q[2];
	};
};

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define TCP_ADDR_V4MAPPED_W2 0x0000ffffu
#else
#define TCP_ADDR_V4MAPPED_W2 0xffff0000u
#endif

static inline int
tcp_addr_eq(struct tcp_addr a, struct tcp_addr b)
{
	return a.q[0] == b.q[0] && a.q[1] == b.q[1];
}

/* tcp_addr_from_v4 - the address of IPv4 address V4 (network byte order). */
static inline struct tcp_addr
tcp_addr_from_v4(uint32_t v4)
{
	struct tcp_addr a = { .w = { 0, 0, TCP_ADDR_V4MAPPED_W2, v4 } };
	return a;
}

/* One test, no branch: it runs several times for every segment. */
static inline int
tcp_addr_is_v4(const struct tcp_addr *a)
{
	return (a->q[0] | (uint64_t)(a->w[2] ^ TCP_ADDR_V4MAPPED_W2)) == 0;
}

/* tcp_addr_v4 - the IPv4 address (network byte order) of a mapped address. */
static inline uint32_t
tcp_addr_v4(const struct tcp_addr *a)
{
	return a->w[3];
}

/*
 * tcp_addr_fold - 32 bits of A for hashing, without a branch: the IPv4
 * address itself (the mapped prefix xors away), or a fold of the IPv6
 * one.
 */
static inline uint32_t
tcp_addr_fold(const struct tcp_addr *a)
{
	return a->w[0] ^ a->w[1] ^ (a->w[2] ^ TCP_ADDR_V4MAPPED_W2) ^ a->w[3];
}

/* tcp_rd16, tcp_rd32 - a big-endian field at P, which may be unaligned. */
static inline uint16_t
tcp_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
tcp_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* TCP header flags, as on the wire. */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#define TCP_LINK_ADDR_LEN 6

/*
 * A segment, received (filled by tcp_parse() plus the caller's IP
 * layer) or to send (filled by the stack). Ports in host byte order.
 */
struct tcp_seg {
	struct tcp_addr saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;			 /* unscaled: we never negotiate window scaling */
	uint16_t mss;			 /* MSS option; 0 = absent */
	uint8_t link[TCP_LINK_ADDR_LEN]; /* peer link address (MAC), opaque */
	const uint8_t *data;
	uint32_t len;
	/* set by the caller, false from tcp_parse(): a segment of no
	 * connection here may belong to another stack (TCP_INPUT_PASS) */
	bool may_pass;
};

/*
 * Output buffer handed to the application; same shape as the SMTP
 * engine's struct smtp_out. The application appends at buf + len and
 * never beyond cap.
 */
struct tcp_out {
	char *buf;
	size_t len;
	size_t cap;
	/* Set by the application to switch this connection's idle timeout
	 * from now on: TCP_IDLE_KEEP (0, as it is), TCP_IDLE_DEFAULT
	 * (tcp_params.idle_timeout_ms) or TCP_IDLE_ALT
	 * (tcp_params.alt_idle_timeout_ms). STARTTLS bounds its handshake
	 * this way. */
	uint8_t idle;
};

enum { TCP_IDLE_KEEP, TCP_IDLE_DEFAULT, TCP_IDLE_ALT };

/* Application verdicts. */
enum { TCP_APP_OK = 0, TCP_APP_CLOSE = 1, TCP_APP_DROP = 2 };

/*
 * The application on top of the stack, one session per connection.
 * Sessions live in an array of max_conns * session_size bytes owned by
 * the stack. Every callback returns TCP_APP_OK, TCP_APP_CLOSE (send
 * what is in OUT, then close) or TCP_APP_DROP (abort with RST).
 */
struct tcp_app {
	size_t session_size;
	/* free space input() needs in OUT before it is called */
	size_t out_reserve;
	/* new connection established: init SESS and write the greeting;
	 * PEER_SESSIONS counts the sessions open from the peer's source (its
	 * IPv4 address or IPv6 /64) on this stack, this one included, until
	 * close() of each: the stack keeps it for max_per_source anyway, so
	 * a per-client session limit costs the application no lookup */
	int (*open)(void *arg, void *sess, struct tcp_addr peer, uint32_t peer_sessions, struct tcp_out *out);
	/* in-order bytes; *consumed may be < len (OUT full): the stack holds the
	 * rest and calls again when OUT has room (its ACK path) */
	int (*input)(void *arg, void *sess, const uint8_t *data, size_t len, size_t *consumed,
		     struct tcp_out *out);
	/* idle timeout: write the goodbye; should return TCP_APP_CLOSE */
	int (*timeout)(void *arg, void *sess, struct tcp_out *out);
	/* connection gone (any reason): release what SESS holds */
	void (*close)(void *arg, void *sess);
	void *arg;
};

/*
 * Transmit callback: build and queue one segment. SEG->data points
 * into the stack's send buffer and is only valid during the call.
 * Return 0, or a negative errno if the segment could not be queued
 * (it then counts as lost and is retransmitted by the timers).
 */
struct tcp_tx {
	int (*xmit)(void *arg, const struct tcp_seg *seg);
	void *arg;
};

struct tcp_params {
	struct tcp_addr listen_addr;  /* IPv4 (mapped); all zero = none */
	struct tcp_addr listen_addr6; /* IPv6; all zero = none */
	uint16_t listen_port;	      /* host order, both addresses */
	uint32_t max_conns;	      /* connections of this lcore, SYN-RECEIVED included */
	uint32_t max_per_source;      /* connections per source IPv4 address or IPv6 /64 on this lcore */
	uint32_t syn_backlog;	      /* SYN-RECEIVED entries before SYN cookies */
	uint32_t n_buffers;	      /* send and held-input buffers of TCP_SNDBUF_SIZE bytes */
	uint32_t idle_timeout_ms;     /* no data from the client for this long */
	uint32_t alt_idle_timeout_ms; /* the other one, by tcp_out.idle; 0: the same */
	uint32_t challenge_ack_limit; /* RFC 5961 challenge ACKs per second */
	uint64_t secret[2];	      /* keys ISNs and SYN cookies; random per start */
};

#define TCP_SNDBUF_SIZE 4096 /* per-connection unacknowledged reply bytes */
/*
 * Input the application cannot take yet (its replies fill the send
 * buffer) is held, up to this many bytes, in a buffer of the same pool,
 * and read again when the client's ACK frees reply space. The window
 * advertised is what is left of it (no scaling).
 */
#define TCP_RCVBUF_SIZE 4096
#define TCP_DEFAULT_MSS 536 /* RFC 9293 when the peer sends no MSS option */
#define TCP_OUR_MSS 1460    /* what we announce (Ethernet, IPv4, no options) */
#define TCP_OUR_MSS6 1440   /* the same over IPv6: 40-byte header */

struct tcp_stack;

/*
 * tcp_stack_create - allocate and initialise one lcore's TCP stack.
 * @P:   limits and addresses (copied)
 * @APP: application callbacks (copied)
 * @TX:  transmit callback (copied)
 * @CTR: this lcore's counter array (RG_C_MAX entries), kept by pointer
 * @OUT: the new stack
 *
 * Return: 0; -EINVAL for a zero limit or an application without
 * callbacks; -ENOMEM when the tables cannot be allocated.
 */
int tcp_stack_create(const struct tcp_params *p, const struct tcp_app *app, const struct tcp_tx *tx,
		     uint64_t *ctr, struct tcp_stack **out);

/* tcp_stack_destroy - close every session (app close()) and free. */
void tcp_stack_destroy(struct tcp_stack *ts);

/*
 * tcp_input - process one received segment at time NOW_MS (any
 * monotonic millisecond clock, the same for all calls of this stack).
 * Segments for other addresses or ports get an RST, as do those of
 * unknown connections, unless SEG->may_pass: then a segment of no
 * connection here, other than a SYN or the ACK of a valid SYN cookie,
 * and one whose ACK does not fit a SYN-RECEIVED entry here, is left to
 * the caller to hand to another stack (counted in tcp_segments_passed,
 * not in tcp_segments_in).
 *
 * Return: 0 when the segment was used; TCP_INPUT_PASS when it was left
 * to the caller; -EINVAL when it was dropped as malformed (counted);
 * other drops (out of window, caps) return 0.
 */
int tcp_input(struct tcp_stack *ts, const struct tcp_seg *seg, uint64_t now_ms);
#define TCP_INPUT_PASS 1

/*
 * tcp_input_prefetch - start loading what tcp_input() will read first
 * for a segment from SADDR:SPORT to port DPORT: its hash bucket. Call it
 * for every segment of a received burst before the first tcp_input(),
 * so that the buckets' cache misses overlap instead of stalling one
 * segment each (a SYN's bucket is a new one every time). Only a hint:
 * any values are harmless.
 */
void
tcp_input_prefetch(const struct tcp_stack *ts, const struct tcp_addr *saddr, uint16_t sport, uint16_t dport);

/*
 * tcp_timer_run - fire every timer due at NOW_MS (retransmissions,
 * delayed ACKs, idle and close timeouts).
 *
 * Return: the number of connection timers that fired.
 */
unsigned tcp_timer_run(struct tcp_stack *ts, uint64_t now_ms);

/*
 * tcp_parse - parse the TCP header at L4 (LEN bytes: header, options
 * and payload) into SEG: ports, seq, ack, flags, window, MSS option,
 * payload. Addresses and link address are left to the caller.
 *
 * Return: 0; -EINVAL when the header or an option does not fit in LEN
 * or the data offset is impossible.
 */
int tcp_parse(const uint8_t *l4, size_t len, struct tcp_seg *seg);

/*
 * tcp_session_ref - a reference to the connection whose application
 * session is SESS (a pointer the stack handed to the application), for
 * use after the callback has returned (e.g. when a backend's reply
 * arrives). It goes stale when the connection closes.
 */
uint64_t tcp_session_ref(const struct tcp_stack *ts, const void *sess);

/*
 * tcp_session_resume - let the application write to connection REF
 * outside the input path: FN(ARG, sess, out) runs with the connection's
 * send buffer as OUT and returns a TCP_APP_* verdict; what it wrote is
 * sent at once.
 *
 * Return: 0; -ENOENT when REF is stale or the session has ended;
 * -ENOBUFS when no send buffer (or not enough room in it) is free.
 */
int tcp_session_resume(struct tcp_stack *ts, uint64_t ref,
		       int (*fn)(void *arg, void *sess, struct tcp_out *out), void *arg);

/* Number of connections (SYN-RECEIVED included) held now. */
uint32_t tcp_stack_conns(const struct tcp_stack *ts);

#endif /* RG_TCP_H */
