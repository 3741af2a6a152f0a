/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_smtp.h - the SMTP engine as the application of the TCP core
 * DESCRIPTION
 *	Binds one lcore's TCP stack to the SMTP engine: a struct tcp_app
 *	whose callbacks are smtp_session_init/banner, smtp_session_input,
 *	smtp_session_timeout and smtp_session_fini, with the engine's line
 *	buffers taken from a per-lcore pool (no malloc after start-up), and
 *	the TCP limits derived from the configuration.
 *
 *	After STARTTLS a session runs over the TLS layer (core/tls):
 *	ciphertext in from TCP, the engine's replies out as records.
 *
 *	Plain C, no DPDK: used by the daemon's glue (tcp_lcore.c), the fuzzer
 *	and the benchmark.
 * DIAGNOSTICS
 *	Start-up errors are returned as negative errno values. A session
 *	that finds no line buffer free is handled by the engine (421 4.3.2,
 *	counted as smtp_no_line_buffer).
 * TRUST
 *	The configuration is trusted (checked by config.c).
 */
#ifndef RG_TCP_SMTP_H
#define RG_TCP_SMTP_H

#include <stdint.h>

#include "config.h"
#include "smtp/smtp.h"
#include "tcp/tcp.h"

struct tls_ctx;

struct tcp_smtp {
	struct smtp_ctx ctx;	    /* first: sessions find their tcp_smtp through it */
	struct tls_ctx *const *tls; /* the lcore's published TLS context (a reload
				       replaces it); NULL: no STARTTLS */
	bool tls_on;		    /* a context and a level: STARTTLS when under tls_max */
	bool hs_shed;		    /* the handshake queue filled: STARTTLS withdrawn */
	uint32_t n_tls;		    /* sessions holding a TLS connection */
	uint32_t tls_max;	    /* smtpd_tls_session_limit, this lcore's share */
	uint64_t hs_budget_ns;	    /* handshake time one loop iteration may spend */
	uint64_t hs_spent_ns;	    /* spent since the last tcp_smtp_tls_run() */
	uint64_t hs_count;	    /* handshakes started (one in 8 timed on the thread clock) */
	uint64_t hs_step_ns;	    /* of it, in handshake steps (not charged work) */
	uint64_t hs_other_ns;	    /* other work charged since the last tcp_smtp_tls_run() */
	int64_t hs_credit_ns;	    /* handshake time the charged work has earned */
	uint64_t *hs_q;		    /* deferred handshakes (session refs), a ring of tls_max */
	uint32_t hs_head, hs_len;
	struct tcp_stack *stack;  /* for the refs of deferred handshakes */
	struct tls_ctx *tls_cur;  /* the context this lcore last saw in *tls */
	struct tls_ctx **tls_old; /* replaced ones it used: released as their sessions end */
	uint32_t n_tls_old;
	char *rbuf;  /* plaintext read from TLS (TLS sessions' scratch) */
	char *lines; /* n_lines * SMTP_LINEBUF_SIZE */
	char **free_lines;
	uint32_t n_lines, n_free;
};

/* Handshake time one loop iteration may spend, by default (tcp_smtp.hs_budget_ns). */
#define TCP_SMTP_HS_BUDGET_NS 250000u
/*
 * While other work is charged (the worker's RX is backed up) handshakes
 * earn 1 ns for every TCP_SMTP_HS_OTHER_PER_HS ns of it: a fifth of the
 * worker under a TLS flood beside plaintext load.
 */
#ifndef TCP_SMTP_HS_OTHER_PER_HS /* a build may set it (-D) to compare splits */
#define TCP_SMTP_HS_OTHER_PER_HS 4
#endif
/* Deferred handshakes at which STARTTLS is withdrawn until the queue drains. */
#define TCP_SMTP_HS_QUEUE_SHED 128u
/* Replaced contexts an lcore keeps track of until their sessions end. */
#define TCP_SMTP_TLS_OLD_MAX 256u

/*
 * tcp_params_from_config - the TCP limits of one of WORKERS workers:
 * max_connections and tcp_buffer_limit are split evenly (half the
 * buffer bytes for send buffers, half for SMTP line buffers), the
 * per-source cap and SYN backlog apply to each worker as they are,
 * the idle timeout is smtpd_timeout. SECRET keys ISNs and cookies.
 *
 * Return: 0, or -EINVAL when WORKERS is 0.
 */
int tcp_params_from_config(struct tcp_params *p, const struct rg_config *cfg, unsigned workers,
			   const uint64_t secret[2]);

/*
 * tcp_smtp_init - prepare TS (a lcore's SMTP context and line buffer
 * pool of N_LINES buffers) and fill APP with callbacks that run the
 * engine on it. TABLE points at the daemon's current-table pointer
 * (its target may be NULL: no table). CTR is the lcore's counters.
 *
 * Return: 0; -ENOMEM; -EINVAL for a bad configuration.
 */
int tcp_smtp_init(struct tcp_smtp *ts, const struct rg_config *cfg, const struct tbl *const *table,
		  uint64_t *ctr, uint32_t n_lines, struct tcp_app *app);

/*
 * tcp_smtp_init_tls - tcp_smtp_init() with STARTTLS: *TLS is the lcore's
 * context (TLS NULL: no TLS), read when a session starts TLS, so that a
 * reload can publish a new one there (the old one must then outlive its
 * connections: tls_ctx_conns()), offered when the
 * configuration's smtpd_tls_security_level is not none and fewer than
 * TLS_MAX sessions of this lcore hold a TLS connection (past it, EHLO
 * does not offer STARTTLS and the command gets 454 4.7.0 until one
 * ends: TLS is shed, not sessions). The sessions
 * are then struct tcp_smtp_sess (tcp_smtp.c): the engine's session
 * first, so the relay and tcp_session_ref() see a struct smtp_session.
 *
 * Return: as tcp_smtp_init().
 */
int tcp_smtp_init_tls(struct tcp_smtp *ts, const struct rg_config *cfg, const struct tbl *const *table,
		      uint64_t *ctr, uint32_t n_lines, struct tls_ctx *const *tls, uint32_t tls_max,
		      struct tcp_app *app);

/*
 * tcp_smtp_bind - the stack TS's sessions run on (created with the app
 * that tcp_smtp_init*() filled), for deferred handshakes.
 */
void tcp_smtp_bind(struct tcp_smtp *ts, struct tcp_stack *stack);

/*
 * tcp_smtp_tls_run - once per loop iteration, after the received
 * segments: run deferred handshake steps in arrival order while the
 * iteration's handshake budget (hs_budget_ns, shared with the steps the
 * segments ran) lasts, then give the next iteration a new budget. A
 * handshake step (a ClientHello: key exchange and signature) costs
 * hundreds of microseconds; bounding them per iteration keeps plaintext
 * sessions on the same worker flowing under a TLS flood. With
 * TCP_SMTP_HS_QUEUE_SHED steps waiting, STARTTLS is withdrawn from new
 * sessions (EHLO does not offer it, the command gets 454 4.7.0) until
 * the queue is empty: TLS is shed, not sessions. In an iteration with
 * other work charged (tcp_smtp_hs_charge()), deferred steps also need
 * credit: each TCP_SMTP_HS_OTHER_PER_HS ns of charged work earns one ns
 * of handshakes (at most one budget's worth), each step's time is taken
 * from it, and with none left the iteration runs no deferred step;
 * plaintext keeps four fifths of a worker it contends for with a flood.
 * An iteration with nothing charged starts the credit anew. It also notices a
 * context a reload published: once the last session of the one it
 * replaced has ended, this lcore's thread releases its OpenSSL state of
 * it (tls_ctx_thread_release()), so the control thread can free it.
 *
 * Return: the deferred steps run.
 */
unsigned tcp_smtp_tls_run(struct tcp_smtp *ts);

/*
 * tcp_smtp_hs_charge - count NS of other work (the worker's extra RX
 * bursts while handshakes wait) against this iteration's handshake
 * budget, so the iteration as a whole stays near it. Never up to the
 * budget itself: when the steps have not spent it and the credit allows,
 * one deferred step still runs in tcp_smtp_tls_run(). NS also earns the
 * handshakes credit (see tcp_smtp_tls_run()), so a long stretch of other
 * work cannot starve the queue either.
 */
void tcp_smtp_hs_charge(struct tcp_smtp *ts, uint64_t ns);

/*
 * tcp_smtp_tls_max - one of WORKERS workers' share of
 * smtpd_tls_session_limit (at least 1).
 */
uint32_t tcp_smtp_tls_max(const struct rg_config *cfg, unsigned workers);

/*
 * tcp_smtp_limits - count TS's sessions under the client limits
 * (anvil.h): when the configuration sets a limit the table counts
 * (anvil_wanted()), a table for one of WORKERS workers, keyed with HKEY
 * (drawn at random); BLOCK(BLOCK_ARG, client, rejects) is called when a client
 * reaches dictionary_block_limit (NULL: nothing more happens than the
 * end of its session). Freed by tcp_smtp_fini().
 *
 * Return: 0, -ENOMEM.
 */
int
tcp_smtp_limits(struct tcp_smtp *ts, unsigned workers, uint64_t hkey, anvil_block_fn block, void *block_arg);

/* tcp_smtp_fini - free the line buffer pool and the client limits (all sessions closed first). */
void tcp_smtp_fini(struct tcp_smtp *ts);

/*
 * tcp_smtp_relay_reply - (relay) deliver the relay's reply TEXT[0..N)
 * to the session of connection REF (tcp_session_ref()) when it is
 * waiting for one (smtp_session_relay_reply()); otherwise it is dropped.
 *
 * Return: 0; -ENOENT when the connection is gone; -ENOBUFS when its
 * send buffer has no room now (try again later).
 */
int tcp_smtp_relay_reply(struct tcp_stack *stack, uint64_t ref, const char *text, size_t n);

/*
 * tcp_smtp_relay_kick - (relay) the relay has room again for connection
 * REF's message: feed it the input the stack held meanwhile.
 *
 * Return: as tcp_session_resume().
 */
int tcp_smtp_relay_kick(struct tcp_stack *stack, uint64_t ref);

/*
 * tcp_smtp_tls_params - the TLS layer's parameters from CFG's smtpd_tls_*
 * keys: smtpd_tls_chain_files split on spaces and commas into BUF (N
 * bytes), which P then points into, as it does into CFG.
 *
 * Return: 0; -E2BIG for more than TLS_CHAIN_FILES_MAX files or a list
 * longer than BUF.
 */
struct tls_params;
int tcp_smtp_tls_params(const struct rg_config *cfg, struct tls_params *p, char *buf, size_t n);

/*
 * tcp_smtp_tls_key - the configuration key a TLS context error WHY (from
 * tls_ctx_new) is about, for "FILE:LINE: key: WHY".
 */
const char *tcp_smtp_tls_key(const struct rg_config *cfg, const char *why);

/* tcp_smtp_lines - line buffers per worker for tcp_params P. */
uint32_t tcp_smtp_lines(const struct rg_config *cfg, unsigned workers);

#endif /* RG_TCP_SMTP_H */
