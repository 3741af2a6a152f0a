/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	smtp.h - the SMTP engine: bytes in, replies out
 * DESCRIPTION
 *	The receiving side of RFC 5321 for one client session: EHLO/HELO,
 *	MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY (252), HELP, with
 *	PIPELINING, ENHANCEDSTATUSCODES, SIZE, 8BITMIME and SMTPUTF8. Every
 *	RCPT is decided by policy_rcpt() (dataplane/core/policy.h); the engine
 *	parses, calls it, sends its reply and counts the verdict.
 *
 *	Plain C with no DPDK types: the TCP layer feeds the in-order byte
 *	stream of a connection to smtp_session_input() and sends what the
 *	engine appended to a struct smtp_out. The same code runs in the
 *	unit tests, the fuzzer and the benchmark without EAL.
 *
 *	One struct smtp_ctx per lcore holds what all sessions of that lcore
 *	share (configuration, policy, table pointer, counters, log sink,
 *	buffer allocator, the pre-built constant replies and the state of
 *	the log rate limiter). It is written only by its own lcore.
 *
 *	A struct smtp_session is small and has no buffers of its own: a
 *	command line buffer (SMTP_LINEBUF_SIZE bytes, from ctx->buf_alloc)
 *	is held only while a partial line is pending, and a second one holds
 *	the HELO name and sender for log lines from the first HELO/EHLO on.
 * DIAGNOSTICS
 *	Nothing is fatal: bad input gets an SMTP reply and the session goes
 *	on, or ends with 421 (hard error limit, timeout, no buffer) or is
 *	dropped (HTTP request). Rejections are logged through ctx->log in
 *	Postfix's "NOQUEUE: reject: RCPT from ..." shape, at most
 *	ctx->log_per_sec lines per second per lcore; every event is counted
 *	exactly in ctx->ctr (the SMTP group of include/rcptgate/counters.h).
 *	With soft_bounce = yes every 5xx reply the client gets is sent (and
 *	logged) as the matching 4xx, whether the engine, the policy or the
 *	backend made it (smtp_soft_bounce()).
 * TRUST
 *	Everything that comes from the client is untrusted and bounded:
 *	512-octet command lines (longer ones are discarded and answered),
 *	paths of RG_PATH_MAX octets, smtpd_recipient_limit recipients and
 *	smtpd_hard_error_limit errors per session. The configuration and the
 *	table are trusted (checked when they were loaded).
 */
#ifndef RG_SMTP_H
#define RG_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anvil.h"
#include "config.h"
#include "policy.h"

struct tbl;
struct smtp_session;

/* Replies are appended here by the engine. */
struct smtp_out {
	char *buf;
	size_t len;
	size_t cap;
};

/*
 * Plug-in point for the relay of accepted mail (optional). Without it
 * (ctx->relay == NULL) a message with accepted recipients is read up to
 * its end marker and answered 451 4.3.0, so the session stays in sync.
 *
 * begin:	DATA was accepted (354 sent). Return 0, or a negative errno
 *		to have the message read and answered 451 4.3.0.
 * data:	message bytes exactly as received, dot-stuffing and CRLF
 *		included, without the final ".\r\n"; called once per chunk.
 *		Return 0 or a negative errno (then the rest is discarded and
 *		the message answered 451 4.3.0).
 * end:		the end marker arrived. OK is false when the engine refuses
 *		the message (bare CR/LF, over message_size_limit): the relay
 *		must abort its backend transaction; the engine answers.
 *		With OK true the relay either appends the final reply to OUT
 *		and returns 0, or returns SMTP_RELAY_PENDING: the engine then
 *		consumes no more input until smtp_session_relay_reply()
 *		delivers the reply. A negative errno means 451 4.3.0.
 *
 * The hooks below are optional (NULL: not called); a relay that takes
 * the envelope uses them all.
 *
 * mail:	MAIL was accepted (a new transaction; the sender and its
 *		parameters are in smtp_session_sender() and
 *		smtp_session_mail_params()). Return 0, or a negative errno
 *		to have MAIL answered 451 4.3.0 instead.
 * rcpt:	the policy accepted the recipient TO[0..N) (the mailbox as the
 *		client wrote it). Return SMTP_RELAY_PENDING: the engine sends
 *		no reply and consumes no more input until
 *		smtp_session_relay_reply() delivers the backend's; the
 *		recipient counts only when that reply is 2xx. Return 0 to
 *		have the policy's reply sent as usual, a negative errno to
 *		have the recipient answered 451 4.3.0.
 * reset:	the transaction ended without a message given to the relay
 *		(RSET, HELO/EHLO, a message the relay did not take).
 * close:	the session is over (any reason).
 * room:	message octets the relay can take now; the engine consumes
 *		no more message input than that (0: none until later), so a
 *		slow backend holds the client back (TCP back-pressure).
 */
#define SMTP_RELAY_PENDING 1
struct smtp_relay_ops {
	int (*begin)(void *arg, struct smtp_session *s);
	int (*data)(void *arg, struct smtp_session *s, const uint8_t *p, size_t n);
	int (*end)(void *arg, struct smtp_session *s, bool ok, struct smtp_out *out);
	int (*mail)(void *arg, struct smtp_session *s);
	int (*rcpt)(void *arg, struct smtp_session *s, const char *to, size_t n);
	void (*reset)(void *arg, struct smtp_session *s);
	void (*close)(void *arg, struct smtp_session *s);
	size_t (*room)(void *arg, struct smtp_session *s);
};

#define SMTP_LINEBUF_SIZE 1024 /* bytes of a line/envelope buffer */
#define SMTP_OUT_RESERVE 600   /* free bytes of out needed per command */
#define SMTP_CMD_MAX 512       /* command line octets, CRLF included */
#define SMTP_HOST_MAX 180      /* myhostname octets used in replies */
#define SMTP_LOG_PER_SEC 100   /* default reject log lines per second */
#define SMTP_IP_MAX 46	       /* INET6_ADDRSTRLEN */

/* One per lcore, read-mostly. */
/* RCPTs of one input looked up in one table burst at most (TBL_BURST_MAX) */
#define SMTP_RCPT_BURST 32
/* Tables smaller than this stay in cache, where a burst saved nothing and
 * its parsing ahead cost 8% a RCPT (3 MB table); at 31 MB it saved 31%
 * (docs/benchmarks.md). */
#define SMTP_RCPT_BURST_MIN_BYTES (8u << 20)
/* The RCPTs of a received burst's sessions are looked up together in
 * tables of at least this size: one of 33 KB stays in cache (3% more a
 * session), one of 3 MB does not (3% less). */
#define SMTP_RCPT_PREFETCH_MIN_BYTES (1u << 20)

/*
 * RCPTs looked up ahead (smtp_cmd.c): where each mailbox was in the
 * input, its bytes, and its rule in the table whose tbl_serial() is
 * serial (unlike its address, never another table's); cmd_rcpt() takes
 * a rule only for the same bytes at the same place, of session sess
 * (NULL: of any session).
 */
struct smtp_ahead {
	unsigned n, next;
	const struct smtp_session *sess;
	uint64_t serial;
	const char *box[SMTP_RCPT_BURST];
	size_t len[SMTP_RCPT_BURST];
	uint8_t rule[SMTP_RCPT_BURST];
	char raw[SMTP_RCPT_BURST][RG_PATH_MAX];
	struct rg_addr addr[SMTP_RCPT_BURST];
};

struct smtp_ctx {
	const struct rg_config *cfg;
	struct policy_conf policy;
	const struct tbl *const *
		table; /* current table (read with __atomic_load_n(..., __ATOMIC_ACQUIRE) at each RCPT); NULL target = no table */
	uint64_t *ctr;				  /* per-lcore counters indexed by enum rg_counter */
	uint64_t now;				  /* seconds, set by the caller before each call */
	void (*log)(void *arg, const char *line); /* NULL: msg_mail */
	void *log_arg;
	void *(*buf_alloc)(void *arg); /* NULL: malloc(SMTP_LINEBUF_SIZE) */
	void (*buf_free)(void *arg, void *buf);
	void *buf_arg;
	const struct smtp_relay_ops *relay; /* NULL: no backend configured */
	/* STARTTLS can be started now (cfg->tls_level is not none, the TLS
	 * layer has a context and is not shedding): EHLO offers it and the
	 * command is accepted; when false with a level set, STARTTLS gets
	 * 454 4.7.0 and EHLO does not offer it. Set by the caller. */
	bool tls_ready;
	void *relay_arg;
	unsigned log_per_sec; /* 0: SMTP_LOG_PER_SEC */
	/* pipelined RCPTs are looked up in bursts in tables of at least
	 * this many bytes; 0: SMTP_RCPT_BURST_MIN_BYTES */
	uint64_t rcpt_burst_min;
	/* the RCPTs of a received burst's sessions (smtp_rcpt_prefetch())
	 * are looked up in one burst in tables of at least this many
	 * bytes; 0: SMTP_RCPT_PREFETCH_MIN_BYTES */
	uint64_t rcpt_prefetch_min;
	/* The lcore's client limits (anvil.h), or NULL: none. Set by the
	 * caller; sessions opened with smtp_session_open() are counted. */
	struct anvil *anvil;

	/* RCPTs looked up ahead, in one table burst, for cmd_rcpt() to take:
	 * the pipelined ones of one session's input (la,
	 * smtp_rcpt_lookahead()) and those of a received burst's sessions
	 * (pf, smtp_rcpt_prefetch()). */
	struct smtp_ahead la, pf;

	/* Filled by smtp_ctx_prepare() (called by the first
	 * smtp_session_init() if the caller did not). */
	bool prepared;
	uint64_t log_sec;	 /* rate limiter: current second */
	unsigned log_count;	 /* lines logged in log_sec */
	uint64_t log_suppressed; /* lines suppressed in log_sec */
	uint16_t banner_len, ehlo_len, ehlo_tls_len, helo_len, errlimit_len, timeout_len;
	char banner[SMTP_HOST_MAX + 16];
	char ehlo[SMTP_HOST_MAX + 160];
	char ehlo_tls[SMTP_HOST_MAX + 176]; /* with 250-STARTTLS */
	char helo[SMTP_HOST_MAX + 8];
	char errlimit[SMTP_HOST_MAX + 40];
	char timeout[SMTP_HOST_MAX + 48];
};

/* Session states (struct smtp_session.state). */
enum smtp_state {
	SMTP_S_CONNECT,	   /* banner sent, no HELO/EHLO yet */
	SMTP_S_HELO,	   /* greeted, no transaction */
	SMTP_S_MAIL,	   /* MAIL accepted */
	SMTP_S_DATA,	   /* reading message data */
	SMTP_S_RELAY_WAIT, /* waiting for the relay's reply (end of data or RCPT) */
	SMTP_S_CLOSED,	   /* QUIT, 421 or drop: input ignored */
	SMTP_S_TLS_WAIT,   /* STARTTLS accepted, handshake under way: input discarded */
};

/* Defined here so callers can pool it; no buffers inline. */
struct smtp_session {
	struct smtp_ctx *ctx;
	char *line;	    /* pending partial command line, or NULL */
	char *env;	    /* "helo\0sender\0" for log lines, or NULL */
	uint64_t msg_bytes; /* DATA octets so far */
	uint32_t n_rcpt;    /* accepted recipients in this transaction */
	uint32_t n_errors;  /* error replies in this session */
	uint16_t line_len;  /* bytes in line */
	uint8_t state;	    /* enum smtp_state */
	uint8_t dstate;	    /* DATA end-marker scanner state */
	uint16_t flags;	    /* SMTP_F_* (smtp_impl.h) */
	uint8_t last_cmd;   /* for "... after CMD" log lines */
	uint32_t relay_ref; /* the relay's handle of this session; 0 at start */
	/* the client's address as received (client_ip.addr, when
	 * client_family is AF_INET or AF_INET6) or as text given at init
	 * (client_ip.text, family 0); made text only for the few lines
	 * that name it: smtp_session_client_ip() */
	uint8_t client_family;
	union {
		uint8_t addr[16]; /* network order */
		char text[SMTP_IP_MAX];
	} client_ip;
	struct anvil_ref client; /* its client's entry in ctx->anvil */
};

enum {
	SMTP_OK = 0,
	SMTP_CLOSE = 1,	   /* send what is in out, then close */
	SMTP_DROP = 2,	   /* abort now (RST), out ignored */
	SMTP_STARTTLS = 3, /* send out (220) in plaintext, then start TLS (smtp_session_tls_start) */
};

/*
 * smtp_ctx_prepare - build the constant replies (banner, EHLO, HELO,
 * 421s) from ctx->cfg and reset the log rate limiter. Call after cfg is
 * set; call again after cfg changes. smtp_session_init() calls it once
 * if it was never called.
 *
 * @ctx: the lcore's context; ctx->cfg must be set.
 * Return: 0, or -EINVAL when ctx or ctx->cfg is NULL.
 */
int smtp_ctx_prepare(struct smtp_ctx *ctx);

/*
 * smtp_rcpt_prefetch - before the inputs DATA[i][0..LEN[i]) (i < N) of
 * a received burst reach their sessions, look up the RCPT lines among
 * them (inputs that are one whole "RCPT TO:<...>" line) in one table
 * burst, for the sessions' RCPT commands to take (smtp_cmd.c). Tables
 * under ctx->rcpt_prefetch_min bytes are left alone. Only a speed-up:
 * any bytes are fine, a RCPT that finds no entry is looked up alone.
 */
void smtp_rcpt_prefetch(struct smtp_ctx *ctx, const uint8_t *const *data, const size_t *len, unsigned n);

/*
 * smtp_session_init - start a session for the client at CLIENT_IP
 * (text, as in logs; truncated to SMTP_IP_MAX-1). Counts the session.
 */
void smtp_session_init(struct smtp_session *s, struct smtp_ctx *ctx, const char *client_ip);

/*
 * smtp_session_init_addr - smtp_session_init() for the client at ADDR
 * (network order: 4 bytes for AF_INET, 16 for AF_INET6), kept as it is;
 * smtp_session_client_ip() makes it text when a line needs it. Any
 * other FAMILY is the client "unknown".
 */
void smtp_session_init_addr(struct smtp_session *s, struct smtp_ctx *ctx, int family, const uint8_t *addr);

/*
 * smtp_session_client_ip - the client's address as text, in the shape
 * of Postfix's logs ("192.0.2.7", "2001:db8::7"): the text given at
 * init, or the address written into BUF.
 *
 * Return: that text (BUF or the session's own).
 */
const char *smtp_session_client_ip(const struct smtp_session *s, char buf[SMTP_IP_MAX]);

/*
 * smtp_session_banner - append "220 myhostname ESMTP\r\n" to OUT.
 *
 * Return: SMTP_OK, or SMTP_CLOSE when OUT has no room for it.
 */
int smtp_session_banner(struct smtp_session *s, struct smtp_out *out);

/*
 * smtp_session_open - the greeting of a session whose client is CLIENT,
 * under the client limits (smtp_limits.c): the banner, or past
 * smtpd_client_connection_count_limit (SESSIONS: the client's sessions
 * open now, this one included, as the transport counts them; 0: not
 * counted) or, with ctx->anvil and CLIENT, past
 * smtpd_client_connection_rate_limit
 * "421 4.7.0 myhostname Error: too many connections from IP", logged
 * and counted, and the session ends.
 *
 * Return: SMTP_OK; SMTP_CLOSE: send OUT, then close.
 */
int smtp_session_open(struct smtp_session *s, const struct anvil_key *client, uint32_t sessions,
		      struct smtp_out *out);

/*
 * smtp_session_input - feed LEN bytes of the in-order client stream.
 *
 * Replies are appended to OUT. *CONSUMED is set to the bytes used; it is
 * less than LEN when OUT has less than SMTP_OUT_RESERVE bytes free (the
 * caller drains OUT and calls again with the rest) or while the relay's
 * reply to a message is pending. OUT->cap must be at least
 * SMTP_OUT_RESERVE.
 *
 * Return: SMTP_OK; SMTP_CLOSE: send OUT, then close (QUIT, 421);
 * SMTP_DROP: abort the connection now, OUT is to be ignored
 * (HTTP request).
 */
int smtp_session_input(struct smtp_session *s, const uint8_t *data, size_t len, size_t *consumed,
		       struct smtp_out *out);

/*
 * smtp_session_relay_reply - deliver the relay's reply after end() or
 * rcpt() returned SMTP_RELAY_PENDING. REPLY (N bytes, ending CRLF) is
 * appended to OUT and input is read again. For a RCPT the recipient is
 * counted as accepted only when REPLY is 2xx.
 *
 * Return: SMTP_OK, or SMTP_CLOSE when the session was not waiting or
 * the reply does not fit (a 421 is sent instead when it can).
 */
int smtp_session_relay_reply(struct smtp_session *s, const char *reply, size_t n, struct smtp_out *out);

/*
 * smtp_session_tls_start - the TLS handshake that STARTTLS began has
 * completed: from now on the session is new (RFC 3207 4.2: everything
 * the client said before is forgotten, a new EHLO is required, and its
 * reply does not offer STARTTLS). Input received between the STARTTLS
 * line and this call was discarded and counted (smtp_starttls_injected).
 * @s: the session, in SMTP_S_TLS_WAIT.
 *
 * Return: 0, or -EINVAL when the session was not waiting for TLS.
 */
int smtp_session_tls_start(struct smtp_session *s);

/* smtp_session_tls - true once the session runs over TLS. */
bool smtp_session_tls(const struct smtp_session *s);

/* smtp_session_tls_wait - true between STARTTLS and its handshake's end. */
bool smtp_session_tls_wait(const struct smtp_session *s);

/*
 * smtp_session_relay_waiting - is the session waiting for a reply from
 * the relay (RCPT or end of message), so smtp_session_relay_reply() is
 * expected?
 */
bool smtp_session_relay_waiting(const struct smtp_session *s);

/*
 * The envelope of the current transaction, for the relay: the HELO/EHLO
 * argument ("" before one), whether the client greeted with EHLO, the
 * sender without <> ("" = null sender) and the MAIL parameters the
 * engine accepted, rewritten in a canonical form ("SIZE=n BODY=x
 * SMTPUTF8", each only when given). The strings live in the session's
 * envelope buffer; smtp_session_sender() and smtp_session_mail_params()
 * return NULL when no buffer could be had (the envelope is then unknown
 * and must not be relayed).
 */
const char *smtp_session_helo(const struct smtp_session *s);
bool smtp_session_esmtp(const struct smtp_session *s);
const char *smtp_session_sender(const struct smtp_session *s);
const char *smtp_session_mail_params(const struct smtp_session *s);

/*
 * smtp_session_timeout - the session was idle for smtpd_timeout: append
 * "421 4.4.2 myhostname Error: timeout exceeded" and count it.
 *
 * Return: SMTP_CLOSE.
 */
int smtp_session_timeout(struct smtp_session *s, struct smtp_out *out);

/*
 * smtp_log_flush - log "N reject lines suppressed" when the rate limiter
 * suppressed lines in a second that has passed (ctx->now). Rejections
 * do this by themselves; call it from a timer so the count is not held
 * back when no more rejections come.
 */
void smtp_log_flush(struct smtp_ctx *ctx);

/*
 * smtp_log_allowed - may one more log line be written this second? The
 * reject log's rate limiter (ctx->log_per_sec lines a second, a count
 * of the suppressed ones written when the second is over), for other
 * lines a session causes (the TLS layer's). Counts the line either way.
 * @ctx: the lcore's context.
 *
 * Return: true to write the line, false when it is suppressed.
 */
bool smtp_log_allowed(struct smtp_ctx *ctx);

/*
 * smtp_soft_bounce - what soft_bounce = yes does to a reply: every line
 * of R[0..N) with a 5xx code becomes 4xx, its enhanced status code too
 * ("550 5.1.1" -> "450 4.1.1", "552 5.3.4" -> "452 4.3.4"), in place.
 * The engine applies it to every reply it sends when cfg->soft_bounce
 * is set, the backend's included; "rcptgatectl check --table" applies
 * it to the policy's reply.
 */
void smtp_soft_bounce(char *r, size_t n);

/* smtp_session_fini - give back the session's buffers. */
void smtp_session_fini(struct smtp_session *s);

#endif /* RG_SMTP_H */
