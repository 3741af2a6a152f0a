/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	bench.h - rcptgate-bench: shared types of the load generator
 * DESCRIPTION
 *	rcptgate-bench plays many SMTP clients at once against one server.
 *	Two transports carry the same client:
 *	  socket  kernel sockets driven by epoll (any server: rcptgate over
 *	          a veth/AF_XDP, Postfix on loopback);
 *	  dpdk    a DPDK port (memif, af_packet, af_xdp) with the harness's
 *	          own minimal client-side TCP, so the kernel is not the limit.
 *
 *	The SMTP side (script of each session, reply checking) is plain C
 *	shared by both: rb_script.c. Statistics and output: rb_stats.c.
 *
 *	Every session is a pure function of its number: which recipients it
 *	names, which of them are valid (user<N>@domain for N < users) and
 *	so which reply each command must get. Nothing per recipient is
 *	stored, and every reply that differs from the expected code is
 *	counted as a wrong reply.
 * TRUST
 *	Replies come from the server under test: untrusted, parsed a byte
 *	at a time with no buffer to overflow.
 */
#ifndef RB_BENCH_H
#define RB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define RB_RCPT_MAX 400	 /* recipients per session (fits one send group) */
#define RB_OUT_MAX 16384 /* bytes of one send group, worst case */
#define RB_QUEUES_MAX 16 /* --queues */

enum rb_scenario {
	RB_SC_REJECT, /* 1 unknown recipient per session */
	RB_SC_DICT,   /* N pipelined recipients, a chosen share valid */
	RB_SC_MIXED,  /* as dict, and a share of sessions carry DATA */
};

struct rb_opts {
	enum rb_scenario scenario;
	unsigned rcpts;	     /* recipients per session */
	unsigned valid_pct;  /* share of recipients that are valid, percent */
	unsigned data_pct;   /* share of sessions that send DATA, percent */
	unsigned syn_pct;    /* bare SYNs per 100 sessions (SYN flood mixed in) */
	unsigned tls_pct;    /* share of sessions that use STARTTLS, percent */
	unsigned flood_pct;  /* dpdk mode: share that only sends a ClientHello, percent */
	unsigned flood_rate; /* dpdk mode: open-loop flood connections per second, apart */
	bool pipelining;     /* MAIL..RCPT..QUIT in one group (RFC 2920) */
	unsigned users;	     /* valid addresses: user0..user<users-1>@domain */
	char domain[128];
	unsigned data_code;   /* expected reply to the end of DATA (250; 451 without relay) */
	unsigned concurrency; /* sessions in flight */
	uint64_t sessions;    /* stop after this many (0: run for duration) */
	double duration;      /* seconds (0: run until sessions) */
	double timeout;	      /* a session not done after this many seconds is an error */
	double progress;      /* seconds between progress lines; 0 = none */
	bool json;
	bool quiet;
	uint64_t seed;

	/* where: IPv4, or IPv6 when the server is given as one (then src6
	 * too; the client addresses step through the last 32 bits) */
	bool v6;
	struct in_addr server; /* network order */
	struct in6_addr server6;
	uint16_t port;
	struct in_addr src; /* first client address */
	struct in6_addr src6;
	bool src_set;
	unsigned src_count; /* consecutive client addresses to use */

	/* socket mode */
	bool rst_close; /* close with RST (SO_LINGER 0): no TIME_WAIT */

	/* dpdk mode: retransmission timeout; EAL arguments after "--" */
	double rto_ms;
	double hold_ms;	 /* idle after the banner (held-sessions test) */
	unsigned queues; /* RX/TX queue pairs; a flow's queue is its client port mod queues */
	bool hold_port;	 /* after the run, keep the port open until stdin ends */
	int eal_argc;
	char **eal_argv;
};

/* Latency histogram: 2^k ns buckets split into 32 linear sub-buckets. */
#define RB_HIST_SUB 32
#define RB_HIST_MAG 40
struct rb_hist {
	uint64_t b[RB_HIST_MAG * RB_HIST_SUB];
	uint64_t n;
	uint64_t max;
};

/* Why a session failed. */
enum rb_err {
	RB_ERR_CONNECT,
	RB_ERR_RESET,
	RB_ERR_CLOSED,
	RB_ERR_TIMEOUT,
	RB_ERR_PROTO,
	RB_ERR_TLS,
	RB_ERR_MAX
};

struct rb_stats {
	uint64_t sessions;	   /* completed with 221 */
	uint64_t errors;	   /* sum of err[] */
	uint64_t err[RB_ERR_MAX];  /* refused/no port, reset, closed before 221, timeout, not SMTP,
				      TLS handshake or record failed */
	uint64_t wrong;		   /* replies whose code was not the expected one */
	uint64_t rcpts;		   /* RCPT replies received */
	uint64_t rcpt_valid;	   /* of which were expected to be 250 */
	uint64_t data;		   /* messages sent */
	uint64_t syns;		   /* bare flood SYNs sent */
	uint64_t tls_handshakes;   /* handshakes completed (--tls) */
	uint64_t tls_refused;	   /* STARTTLS answered 4xx: went on in plaintext */
	uint64_t tls_sessions;	   /* sessions completed inside TLS */
	uint64_t tls_floods;	   /* --tls-flood: ClientHellos the server answered */
	uint64_t flood_sent;	   /* --tls-flood-rate: connections opened */
	uint64_t flood_refused;	   /* --tls-flood-rate: STARTTLS answered 4xx (shed) */
	uint64_t flood_lost;	   /* --tls-flood-rate: no answer within 1 s, or reset */
	uint64_t flood_skipped;	   /* --tls-flood-rate: not opened, every flood slot busy */
	uint64_t pkts_tx, pkts_rx; /* dpdk mode only */
	uint64_t retransmits;	   /* dpdk mode only */
	uint64_t tx_drops;	   /* dpdk mode: frames dropped, TX backlog full */
	uint64_t rexmt_syn;	   /* dpdk mode: of retransmits, SYNs on timeout */
	uint64_t rexmt_data;	   /* data on timeout */
	uint64_t rexmt_fin;	   /* FINs on timeout */
	uint64_t rexmt_fast;	   /* data on a duplicate or partial ACK */
	uint64_t nombuf;	   /* dpdk mode: segments not sent, mbuf pool empty */
	uint64_t rx_missed;	   /* dpdk mode: the port's imissed + rx_nombuf at the end */
	uint64_t max_gap;	   /* dpdk mode: the longest time between two loops, TSC */
	uint64_t busy_cycles;	   /* dpdk mode: TSC cycles of loops that did work */
	uint64_t tsc_hz;	   /* dpdk mode */
	uint64_t bytes_tx, bytes_rx;
	uint64_t started; /* sessions started */
	struct rb_hist lat;
};

/* Per-session SMTP state: 16 bytes, no buffers. */
struct rb_sess {
	uint32_t id;	     /* session number: determines everything */
	uint16_t next_cmd;   /* index of the next command to send */
	uint16_t next_reply; /* index of the next reply expected (0 = banner) */
	uint16_t code;	     /* reply line parser: code being read */
	uint8_t col;	     /* column in the current line (saturates) */
	uint8_t last;	     /* the current line is the reply's last */
	uint8_t flags;	     /* RB_SF_* */
	uint8_t pad[3];
};
#define RB_SF_DATA 0x01	    /* this session sends a message */
#define RB_SF_DONE 0x02	    /* QUIT answered */
#define RB_SF_BAD 0x04	    /* line parser saw garbage */
#define RB_SF_STARTTLS 0x08 /* this session asks for STARTTLS (--tls) */
#define RB_SF_TLS 0x10	    /* STARTTLS got its 220: the rest goes inside TLS */
#define RB_SF_FLOOD 0x20    /* --tls-flood: a replayed ClientHello, then RST */

/*
 * rb_sess_start - set up S as session ID under O.
 */
void rb_sess_start(const struct rb_opts *o, struct rb_sess *s, uint32_t id);

/*
 * rb_sess_input - feed LEN bytes of server output to session S; checks
 * each complete reply against the expected code (counting wrong ones in
 * ST) and, where the script says a command group follows that reply,
 * writes it to OUT (at most cap bytes, RB_OUT_MAX is always enough).
 *
 * Return: bytes written to OUT (0: nothing to send now), or -EPROTO
 * when the server sent more replies than the session asked for or a
 * line that is not a reply.
 * Sets RB_SF_DONE in s->flags once QUIT is answered.
 */
int rb_sess_input(const struct rb_opts *o, struct rb_sess *s, const uint8_t *data, size_t len,
		  struct rb_stats *st, char *out, size_t cap);

/*
 * rb_sess_tls_done - the handshake of session S (RB_SF_TLS set by
 * rb_sess_input() on the 220 to STARTTLS) is complete: writes the
 * commands that follow it (the second EHLO) to OUT, to go inside TLS.
 *
 * Return: bytes written, or -EPROTO when S is not waiting for it.
 */
int rb_sess_tls_done(const struct rb_opts *o, struct rb_sess *s, char *out, size_t cap);

/*
 * rb_tls_client_ctx - the client context of every TLS session of a run:
 * TLS 1.2 or newer, the certificate not verified (the harness measures
 * the server, not a PKI), no session resumption (no cache, no tickets),
 * so every handshake is a full one. Return: NULL with a message on
 * stderr when OpenSSL cannot make one.
 */
struct ssl_ctx_st *rb_tls_client_ctx(void);

/*
 * rb_user_line - the valid address number N as "userN@domain" into BUF.
 * Return: its length, or -ENOSPC.
 */
int rb_user_line(const struct rb_opts *o, unsigned n, char *buf, size_t cap);

/* rb_hist_add - count one latency of NS nanoseconds in H. */
void rb_hist_add(struct rb_hist *h, uint64_t ns);

/*
 * rb_hist_quantile - the latency below which a share Q (0..1) of H's
 * samples lie, in ns, within one bucket (~3%). Return: 0 for an empty H.
 */
uint64_t rb_hist_quantile(const struct rb_hist *h, double q);

/* rb_stats_merge - add every counter and bucket of FROM to INTO. */
void rb_stats_merge(struct rb_stats *into, const struct rb_stats *from);

/*
 * rb_progress - one line on stderr: rates between PREV and NOW over DT
 * seconds, T seconds into the run, INFLIGHT sessions open. Nothing with
 * --quiet or --progress 0.
 */
void rb_progress(const struct rb_opts *o, const struct rb_stats *now, const struct rb_stats *prev, double t,
		 double dt, unsigned inflight);

/*
 * rb_summary - the run's summary on stdout (a table, or one JSON object
 * with --json): MODE names the transport, SECONDS the run's length,
 * CLIENT_CPU the harness's user+system seconds.
 */
void rb_summary(const struct rb_opts *o, const char *mode, const struct rb_stats *st, double seconds,
		double client_cpu);

/* rb_now_ns - CLOCK_MONOTONIC in ns. */
uint64_t rb_now_ns(void);

/*
 * rb_run_socket, rb_run_dpdk - run the scenario O describes over kernel
 * sockets or over the DPDK port of the EAL arguments in O, counting into
 * ST (zeroed by the caller); *SECONDS gets the run's length.
 * Return: 0 when the run took place (wrong replies and failed sessions
 * are in ST), or a negative errno when it could not be set up (-ENOMEM,
 * -EINVAL for EAL or options, -ENODEV without exactly one port,
 * -EHOSTUNREACH when the server does not answer ARP; socket and epoll
 * errors as they come). Messages go to stderr.
 */
int rb_run_socket(const struct rb_opts *o, struct rb_stats *st, double *seconds);
int rb_run_dpdk(const struct rb_opts *o, struct rb_stats *st, double *seconds);

#endif /* RB_BENCH_H */
