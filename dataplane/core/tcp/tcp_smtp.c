/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_smtp.c - run the SMTP engine on top of the TCP core
 * DESCRIPTION
 *	The tcp_app callbacks translate between struct tcp_out and struct
 *	smtp_out (same fields, distinct types) and between the engine's
 *	verdicts and the stack's. Line buffers come from a stack of free
 *	fixed-size buffers allocated once.
 *
 *	STARTTLS: when the engine accepts it (SMTP_STARTTLS, its 220 sent in
 *	plaintext) the session gets a TLS connection (core/tls) and every
 *	byte from TCP after the STARTTLS input is ciphertext: fed to the
 *	layer, which runs the handshake, then hands out plaintext for the
 *	engine; the engine's replies (and the relay's) are encrypted, and
 *	the records go into the TCP send buffer as far as it has room.
 *	Plaintext the engine cannot take yet (its replies would not fit,
 *	or it waits for the relay) stays in a buffer of the session
 *	(malloc'd while it holds bytes, at most TLS_PT_MAX, one read); the
 *	rest waits undecrypted in the TLS connection, whose bounded input
 *	(TLS_FEED_MAX) then pushes back on TCP. While a session has such
 *	work left (records that did not fit, plaintext not yet taken), the
 *	last byte of its input is reported unconsumed although the TLS layer
 *	has it: the stack holds it and calls again when the client's ACK
 *	makes room or the relay resumes the session, and that call skips it
 *	(sess->fed). The TCP core needs no knowledge of TLS for this.
 *	OpenSSL allocates as records come and go: the fast path's no-malloc
 *	rule does not hold under TLS.
 * DIAGNOSTICS
 *	Counters (the engine's, the stack's and the TLS group); with
 *	smtpd_tls_loglevel >= 1 completed handshakes are logged through
 *	ctx->log in Postfix's shape, and failed ones always are.
 * TRUST
 *	The configuration is trusted. Ciphertext from the client is
 *	untrusted: the TLS layer bounds what it buffers, and plaintext is
 *	read at most TLS_PT_MAX bytes at a time.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <rcptgate/counters.h>

#include "tcp/tcp_smtp.h"
#include "tls/tls.h"

#define TLS_PT_MAX (16u * 1024)		  /* plaintext read from TLS at a time, kept at most */
#define TLS_MARGIN 128			  /* record overhead (one record per write) and spare */
#define TLS_PT_OUT (SMTP_OUT_RESERVE * 7) /* engine replies per round, before encryption */

enum { SESS_PLAIN, SESS_HANDSHAKE, SESS_TLS };

/* The TCP app's session: the engine's first, the relay treats it as one. */
struct tcp_smtp_sess {
	struct smtp_session smtp;
	struct tls_conn *tls; /* after STARTTLS, or NULL */
	char *pt;	      /* decrypted input the engine has not taken, or NULL */
	uint32_t pt_len;
	uint8_t state;	/* SESS_* */
	uint8_t fed;	/* the first byte of the next input was fed to TLS already */
	uint8_t queued; /* its handshake step waits in the lcore's queue */
	uint8_t timed;	/* its handshake is one of those timed on the thread clock */
};
_Static_assert(offsetof(struct tcp_smtp_sess, smtp) == 0,
	       "the relay treats the session as a struct smtp_session");

static void *
line_alloc(void *arg)
{
	struct tcp_smtp *ts = arg;

	return ts->n_free ? ts->free_lines[--ts->n_free] : NULL;
}

static void
line_free(void *arg, void *buf)
{
	struct tcp_smtp *ts = arg;

	if (buf != NULL)
		ts->free_lines[ts->n_free++] = buf;
}

static int
verdict(int v)
{
	switch (v) {
	case SMTP_OK:
		return TCP_APP_OK;
	case SMTP_CLOSE:
		return TCP_APP_CLOSE;
	default:
		return TCP_APP_DROP;
	}
}

/* The lcore's struct tcp_smtp of SS (its engine context is the first member). */
static struct tcp_smtp *
sess_ts(struct tcp_smtp_sess *ss)
{
	return (struct tcp_smtp *)(void *)((char *)ss->smtp.ctx - offsetof(struct tcp_smtp, ctx));
}

static int
app_open(void *arg, void *sess, struct tcp_addr peer, uint32_t peer_sessions, struct tcp_out *out)
{
	struct tcp_smtp *ts = arg;
	struct tcp_smtp_sess *ss = sess;
	struct smtp_out o = { out->buf, out->len, out->cap };
	uint32_t v4 = tcp_addr_v4(&peer);
	bool is_v4 = tcp_addr_is_v4(&peer);

	ss->tls = NULL;
	ss->pt = NULL;
	ss->pt_len = 0;
	ss->state = SESS_PLAIN;
	ss->fed = 0;
	ss->queued = 0;
	if (is_v4)
		smtp_session_init_addr(&ss->smtp, &ts->ctx, AF_INET, peer.b + 12); /* v4-mapped */
	else
		smtp_session_init_addr(&ss->smtp, &ts->ctx, AF_INET6, peer.b);
	struct anvil_key client = is_v4 ? anvil_key_v4(v4) : anvil_key_v6(peer.b);
	int v = smtp_session_open(&ss->smtp, &client, peer_sessions, &o);
	out->len = o.len;
	return verdict(v);
}

/*
 * A TLS log line in Postfix's shape, "WHAT from unknown[IP]: DETAIL",
 * under the reject log's rate limit (a flood of bad handshakes cannot
 * flood the log).
 */
static void __attribute__((format(printf, 4, 5)))
tls_log(struct tcp_smtp *ts, const struct tcp_smtp_sess *ss, const char *what, const char *fmt, ...)
{
	char detail[200], line[320], ip[SMTP_IP_MAX];
	va_list ap;

	if (!smtp_log_allowed(&ts->ctx))
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s from unknown[%s]: %s", what, smtp_session_client_ip(&ss->smtp, ip),
		 detail);
	ts->ctx.log(ts->ctx.log_arg, line);
}

/* Move pending ciphertext into OUT as far as it has room. */
static void
tls_flush(struct tcp_smtp_sess *ss, struct tcp_out *out)
{
	if (out->len < out->cap)
		out->len += tls_conn_take(ss->tls, out->buf + out->len, out->cap - out->len);
}

/* Encrypt N bytes of the engine's replies and flush. Return 0 or -1 (close). */
static int
tls_send(struct tcp_smtp *ts, struct tcp_smtp_sess *ss, const char *p, size_t n, struct tcp_out *out)
{
	if (n > 0 && tls_conn_write(ss->tls, p, n) < 0) {
		ts->ctx.ctr[RG_C_TLS_ERRORS]++;
		return -1;
	}
	tls_flush(ss, out);
	return 0;
}

/* The session is over: queue our close_notify and what fits of it. */
static void
tls_bye(struct tcp_smtp_sess *ss, struct tcp_out *out)
{
	if (tls_conn_shutdown(ss->tls) == 0)
		tls_flush(ss, out);
}

/* Room for the engine's replies, so their records fit in OUT. */
static size_t
tls_pt_room(const struct tcp_out *out)
{
	size_t room = out->cap - out->len;

	room = room > TLS_MARGIN ? room - TLS_MARGIN : 0;
	return room < TLS_PT_OUT ? room : TLS_PT_OUT;
}

/*
 * Run the engine on decrypted input of an established session as far as
 * the send buffer and the relay let it: first the plaintext it left,
 * then more read from TLS. Return a TCP_APP_* verdict.
 */
static int
tls_pump(struct tcp_smtp *ts, struct tcp_smtp_sess *ss, struct tcp_out *out)
{
	char pbuf[TLS_PT_OUT];

	tls_flush(ss, out);
	for (;;) {
		const char *data;
		size_t n;

		if (tls_conn_pending(ss->tls) > 0)
			return TCP_APP_OK; /* OUT is full: the next call goes on */
		if (tls_pt_room(out) < SMTP_OUT_RESERVE)
			return TCP_APP_OK;
		if (ss->pt_len > 0) {
			data = ss->pt;
			n = ss->pt_len;
		} else {
			int r = tls_conn_read(ss->tls, ts->rbuf, TLS_PT_MAX);
			if (r == 0) {
				tls_flush(ss, out); /* a KeyUpdate answered */
				return TCP_APP_OK;
			}
			if (r == TLS_CLOSED) {
				ts->ctx.ctr[RG_C_TLS_CLOSED_BY_PEER]++;
				tls_bye(ss, out);
				return TCP_APP_CLOSE;
			}
			if (r < 0) {
				ts->ctx.ctr[RG_C_TLS_ERRORS]++;
				tls_flush(ss, out); /* our alert, if any */
				return TCP_APP_CLOSE;
			}
			data = ts->rbuf;
			n = (size_t)r;
		}
		struct smtp_out o = { pbuf, 0, tls_pt_room(out) };
		size_t used = 0;
		int v = smtp_session_input(&ss->smtp, (const uint8_t *)data, n, &used, &o);
		if (used > n)
			used = n;
		if (tls_send(ts, ss, pbuf, o.len, out) != 0)
			return TCP_APP_CLOSE;
		if (data == ss->pt) {
			memmove(ss->pt, ss->pt + used, n - used);
			ss->pt_len = (uint32_t)(n - used);
			if (ss->pt_len == 0) {
				free(ss->pt);
				ss->pt = NULL;
			}
		} else if (used < n && v == SMTP_OK) {
			ss->pt = malloc(n - used);
			if (ss->pt == NULL) {
				ts->ctx.ctr[RG_C_TLS_ERRORS]++;
				return TCP_APP_DROP;
			}
			memcpy(ss->pt, data + used, n - used);
			ss->pt_len = (uint32_t)(n - used);
		}
		if (v == SMTP_CLOSE) {
			tls_bye(ss, out);
			return TCP_APP_CLOSE;
		}
		if (v != SMTP_OK)
			return TCP_APP_DROP;
		if (used == 0)
			return TCP_APP_OK; /* the relay, or room for replies: resumed later */
	}
}

/* STARTTLS is offered while under the session limit and not shedding. */
static void
tls_update_ready(struct tcp_smtp *ts)
{
	ts->ctx.tls_ready = ts->tls_on && ts->n_tls < ts->tls_max && !ts->hs_shed;
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/*
 * Handshake steps are timed on CLOCK_MONOTONIC (in the vDSO), which feeds
 * the handshake budget, and, for one handshake in TLS_CPU_SAMPLE, on the
 * thread's CPU clock too, which does not run while the worker is
 * preempted, so the CPU a TLS session costs can be told on a shared
 * machine (the busy-cycle counters cannot). The thread clock is a system
 * call (no vDSO path, about 1.3 us on a virtual machine): read around
 * every step it made 3.7 of the 6.5 system calls a TLS session made on
 * the worker (strace -c). The timed handshakes' CPU and elapsed time, each times
 * TLS_CPU_SAMPLE, are the counters: estimates over every
 * TLS_CPU_SAMPLE-th handshake, the first one included.
 */
#define TLS_CPU_SAMPLE 8

struct tls_clock {
	uint64_t mono, cpu;
};

static struct tls_clock
tls_clock_start(const struct tcp_smtp_sess *ss)
{
	return (struct tls_clock){ clock_ns(CLOCK_MONOTONIC),
				   ss->timed ? clock_ns(CLOCK_THREAD_CPUTIME_ID) : 0 };
}

/* Count the step since C if SS is timed; return its elapsed time. */
static uint64_t
tls_clock_stop(struct tcp_smtp *ts, const struct tcp_smtp_sess *ss, struct tls_clock c)
{
	uint64_t wall = clock_ns(CLOCK_MONOTONIC) - c.mono;

	if (ss->timed) {
		uint64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c.cpu;
		ts->ctx.ctr[RG_C_TLS_HANDSHAKE_CPU_NS] += cpu * TLS_CPU_SAMPLE;
		ts->ctx.ctr[RG_C_TLS_WALL_NS] += wall * TLS_CPU_SAMPLE;
	}
	return wall;
}

/* The handshake, with what has been fed. Return a TCP_APP_* verdict. */
static int
tls_handshake(struct tcp_smtp *ts, struct tcp_smtp_sess *ss, struct tcp_out *out)
{
	struct tls_clock c = tls_clock_start(ss);
	int r = tls_conn_step(ss->tls);
	uint64_t ns = tls_clock_stop(ts, ss, c);

	ts->hs_spent_ns += ns;
	ts->hs_step_ns += ns;

	if (r == TLS_WANT_INPUT) {
		tls_flush(ss, out);
		return TCP_APP_OK;
	}
	if (r < 0) {
		ts->ctx.ctr[RG_C_TLS_HANDSHAKES_FAILED]++;
		tls_log(ts, ss, "SSL_accept error", "%s", tls_conn_error(ss->tls));
		tls_flush(ss, out); /* the alert */
		return TCP_APP_CLOSE;
	}
	/* TLS_ESTABLISHED */
	struct tls_info info;
	ts->ctx.ctr[RG_C_TLS_HANDSHAKES_COMPLETED]++;
	ss->state = SESS_TLS;
	smtp_session_tls_start(&ss->smtp);
	out->idle = TCP_IDLE_DEFAULT; /* smtpd_timeout again: the handshake's bound is over */
	if (tls_conn_info(ss->tls, &info) == 0) {
		if (strcmp(info.protocol, "TLSv1.3") == 0)
			ts->ctx.ctr[RG_C_TLS_V1_3]++;
		else if (strcmp(info.protocol, "TLSv1.2") == 0)
			ts->ctx.ctr[RG_C_TLS_V1_2]++;
		if (ts->ctx.cfg->tls_loglevel >= 1)
			tls_log(ts, ss, "Anonymous TLS connection established",
				"%s with cipher %s (%d/%d bits)", info.protocol, info.cipher,
				info.secret_bits, info.alg_bits);
	}
	return tls_pump(ts, ss, out);
}

/* Work left that no new input may come to trigger. */
static bool
tls_busy(const struct tcp_smtp_sess *ss)
{
	return tls_conn_pending(ss->tls) > 0 || ss->pt_len > 0;
}

/*
 * Put SS's handshake step off to tcp_smtp_tls_run() when this
 * iteration's budget is spent or others wait before it. Return whether
 * it was.
 */
static bool
tls_defer(struct tcp_smtp *ts, struct tcp_smtp_sess *ss)
{
	if (ts->hs_len == 0 && ts->hs_spent_ns < ts->hs_budget_ns)
		return false;
	/* no stack bound (fuzzer, benchmark), or full: entries of sessions
	 * that ended wait for their turn too; run the step now */
	if (ts->stack == NULL || ts->hs_len == ts->tls_max)
		return false;
	ts->hs_q[(ts->hs_head + ts->hs_len) % ts->tls_max] = tcp_session_ref(ts->stack, ss);
	ts->hs_len++;
	ss->queued = 1;
	ts->ctx.ctr[RG_C_TLS_HANDSHAKES_DEFERRED]++;
	if (ts->hs_len >= TCP_SMTP_HS_QUEUE_SHED && !ts->hs_shed) {
		ts->hs_shed = true;
		ts->ctx.ctr[RG_C_TLS_HANDSHAKE_QUEUE_FULL]++;
		tls_update_ready(ts);
	}
	return true;
}

static int
tls_input(struct tcp_smtp *ts, struct tcp_smtp_sess *ss, const uint8_t *data, size_t len, size_t *consumed,
	  struct tcp_out *out)
{
	size_t skip = ss->fed && len > 0 ? 1 : 0;
	bool all = true;
	int v;

	if (len > skip) {
		int r = tls_conn_feed(ss->tls, data + skip, len - skip);
		if (r == -ENOBUFS) {
			all = false; /* the stack holds it: TLS is full of unread input */
		} else if (r < 0) {
			ts->ctx.ctr[ss->state == SESS_TLS ? RG_C_TLS_ERRORS : RG_C_TLS_HANDSHAKES_FAILED]++;
			*consumed = len;
			return TCP_APP_DROP;
		}
	}
	if (ss->state == SESS_HANDSHAKE && ss->queued)
		v = TCP_APP_OK; /* its turn comes in tcp_smtp_tls_run() */
	else if (ss->state == SESS_HANDSHAKE && tls_defer(ts, ss))
		v = TCP_APP_OK;
	else if (ss->state == SESS_HANDSHAKE)
		v = tls_handshake(ts, ss, out);
	else
		v = tls_pump(ts, ss, out);
	if (v != TCP_APP_OK) {
		*consumed = len;
		ss->fed = 0;
	} else if (!all) {
		*consumed = skip;
		ss->fed = 0;
	} else if (tls_busy(ss) && len > 0) {
		*consumed = len - 1; /* held by the stack: it calls again */
		ss->fed = 1;
	} else {
		*consumed = len;
		ss->fed = 0;
	}
	return v;
}

static int
app_input(void *arg, void *sess, const uint8_t *data, size_t len, size_t *consumed, struct tcp_out *out)
{
	struct tcp_smtp *ts = arg;
	struct tcp_smtp_sess *ss = sess;

	if (ss->state != SESS_PLAIN)
		return tls_input(ts, ss, data, len, consumed, out);

	struct smtp_out o = { out->buf, out->len, out->cap };
	int v = smtp_session_input(&ss->smtp, data, len, consumed, &o);
	out->len = o.len;
	if (v != SMTP_STARTTLS)
		return verdict(v);
	/* the 220 goes out in plaintext; what follows it is the handshake
	 * (input after the STARTTLS line was discarded by the engine) */
	ts->ctx.ctr[RG_C_TLS_HANDSHAKES_STARTED]++;
	/* the context published now: a reload leaves older sessions on theirs */
	struct tls_ctx *c = ts->tls != NULL ? __atomic_load_n(ts->tls, __ATOMIC_ACQUIRE) : NULL;
	if (c == NULL || tls_conn_new(c, &ss->tls) != 0) {
		ts->ctx.ctr[RG_C_TLS_HANDSHAKES_FAILED]++;
		return TCP_APP_CLOSE;
	}
	if (++ts->n_tls >= ts->tls_max) { /* shed TLS from now on, not sessions */
		tls_update_ready(ts);
		ts->ctx.ctr[RG_C_TLS_SESSION_LIMIT]++;
	}
	ss->state = SESS_HANDSHAKE;
	ss->timed = ts->hs_count++ % TLS_CPU_SAMPLE == 0;
	out->idle = TCP_IDLE_ALT; /* smtpd_starttls_timeout bounds the handshake */
	ss->fed = 0;
	return TCP_APP_OK;
}

static int
app_timeout(void *arg, void *sess, struct tcp_out *out)
{
	struct tcp_smtp *ts = arg;
	struct tcp_smtp_sess *ss = sess;

	if (ss->state == SESS_PLAIN) {
		struct smtp_out o = { out->buf, out->len, out->cap };
		int v = smtp_session_timeout(&ss->smtp, &o);
		out->len = o.len;
		return verdict(v);
	}
	char pbuf[TLS_PT_OUT];
	struct smtp_out o = { pbuf, 0, sizeof(pbuf) };
	(void)smtp_session_timeout(&ss->smtp, &o); /* counted; during the handshake not sent */
	if (ss->state == SESS_HANDSHAKE)	   /* stalled past smtpd_starttls_timeout */
		ts->ctx.ctr[RG_C_TLS_HANDSHAKES_FAILED]++;
	if (ss->state == SESS_TLS && tls_conn_write(ss->tls, pbuf, o.len) >= 0)
		(void)tls_conn_shutdown(ss->tls);
	if (ss->state == SESS_TLS)
		tls_flush(ss, out); /* the 421 and close_notify, as far as they fit */
	return TCP_APP_CLOSE;
}

static void
app_close(void *arg, void *sess)
{
	struct tcp_smtp *ts = arg;
	struct tcp_smtp_sess *ss = sess;

	smtp_session_fini(&ss->smtp);
	if (ss->tls != NULL) {
		ts->n_tls--;
		tls_update_ready(ts); /* under the limit again: offer STARTTLS */
	}
	tls_conn_free(ss->tls);
	free(ss->pt);
	ss->tls = NULL;
	ss->pt = NULL;
	ss->pt_len = 0;
	ss->state = SESS_PLAIN;
}

/* relay: a late reply from the backend, written outside the input path */
struct relay_text {
	const char *p;
	size_t n;
};

static int
app_relay_reply(void *arg, void *sess, struct tcp_out *out)
{
	const struct relay_text *t = arg;
	struct tcp_smtp_sess *ss = sess;

	if (!smtp_session_relay_waiting(&ss->smtp))
		return TCP_APP_OK;
	if (ss->state == SESS_PLAIN) {
		struct smtp_out o = { out->buf, out->len, out->cap };
		int v = smtp_session_relay_reply(&ss->smtp, t->p, t->n, &o);
		out->len = o.len;
		return verdict(v);
	}
	if (ss->state != SESS_TLS)
		return TCP_APP_OK;
	char pbuf[TLS_PT_OUT];
	struct smtp_out o = { pbuf, 0, tls_pt_room(out) };
	if (o.cap < SMTP_OUT_RESERVE)
		o.cap = SMTP_OUT_RESERVE; /* its records wait in TLS for room */
	int v = smtp_session_relay_reply(&ss->smtp, t->p, t->n, &o);
	if (tls_send(sess_ts(ss), ss, pbuf, o.len, out) != 0)
		return TCP_APP_CLOSE;
	if (v != SMTP_OK) {
		tls_bye(ss, out);
		return verdict(v);
	}
	return tls_pump(sess_ts(ss), ss, out); /* the input that waited for it */
}

int
tcp_smtp_relay_reply(struct tcp_stack *stack, uint64_t ref, const char *text, size_t n)
{
	struct relay_text t = { text, n };

	return tcp_session_resume(stack, ref, app_relay_reply, &t);
}

static int
app_relay_kick(void *arg, void *sess, struct tcp_out *out)
{
	struct tcp_smtp_sess *ss = sess;
	(void)arg;

	/* plaintext: nothing to write, the stack drains the held input */
	if (ss->state != SESS_TLS)
		return TCP_APP_OK;
	return tls_pump(sess_ts(ss), ss, out); /* the decrypted input that waited */
}

int
tcp_smtp_relay_kick(struct tcp_stack *stack, uint64_t ref)
{
	return tcp_session_resume(stack, ref, app_relay_kick, NULL);
}

/* A deferred handshake step's turn. */
static int
app_hs_resume(void *arg, void *sess, struct tcp_out *out)
{
	struct tcp_smtp_sess *ss = sess;

	ss->queued = 0;
	if (ss->state != SESS_HANDSHAKE)
		return TCP_APP_OK;
	return tls_handshake(arg, ss, out);
}

void
tcp_smtp_bind(struct tcp_smtp *ts, struct tcp_stack *stack)
{
	ts->stack = stack;
}

/* A reload's new context: track the one it replaced until its sessions end. */
static void
tls_follow(struct tcp_smtp *ts)
{
	struct tls_ctx *c = __atomic_load_n(ts->tls, __ATOMIC_ACQUIRE);

	if (c != ts->tls_cur) {
		/* past the bound the thread's state of the old one stays, and
		 * so does the old one: reloads then stop with EBUSY */
		if (ts->n_tls_old < TCP_SMTP_TLS_OLD_MAX)
			ts->tls_old[ts->n_tls_old++] = ts->tls_cur;
		ts->tls_cur = c;
	}
	for (uint32_t i = 0; i < ts->n_tls_old;) {
		if (tls_ctx_conns(ts->tls_old[i]) == 0) {
			tls_ctx_thread_release(ts->tls_old[i]);
			ts->tls_old[i] = ts->tls_old[--ts->n_tls_old];
		} else {
			i++;
		}
	}
}

/*
 * The credit of an iteration with other work charged (the worker's RX
 * backed up): one ns per TCP_SMTP_HS_OTHER_PER_HS of that work, at most
 * one budget; an iteration with nothing charged starts it anew. Why not
 * the budget alone: a budget per iteration gives the handshakes the same
 * time each iteration whatever the other sessions wait for, so under a
 * flood the worker's time goes to the handshakes first; a credit earned
 * by the other work makes the split a ratio of the two.
 */
static void
hs_earn(struct tcp_smtp *ts)
{
	if (ts->hs_other_ns == 0) {
		ts->hs_credit_ns = 0;
		return;
	}
	ts->hs_credit_ns += (int64_t)(ts->hs_other_ns / TCP_SMTP_HS_OTHER_PER_HS);
	if (ts->hs_credit_ns > (int64_t)ts->hs_budget_ns)
		ts->hs_credit_ns = (int64_t)ts->hs_budget_ns; /* no banking past one budget */
}

/* Whether the next deferred step may run: budget, and credit if charged. */
static bool
hs_room(const struct tcp_smtp *ts, bool charged)
{
	return ts->hs_spent_ns < ts->hs_budget_ns && (!charged || ts->hs_credit_ns > (int64_t)ts->hs_step_ns);
}

unsigned
tcp_smtp_tls_run(struct tcp_smtp *ts)
{
	unsigned ran = 0;
	bool charged = ts->hs_other_ns > 0;

	hs_earn(ts);
	tls_follow(ts);
	/* one pass at most: a step that finds no send buffer goes to the back */
	for (uint32_t n = ts->hs_len; n > 0 && hs_room(ts, charged); n--) {
		uint64_t ref = ts->hs_q[ts->hs_head];
		ts->hs_head = (ts->hs_head + 1) % ts->tls_max;
		ts->hs_len--;
		int rc = tcp_session_resume(ts->stack, ref, app_hs_resume, ts);
		if (rc == -ENOBUFS) {
			ts->hs_q[(ts->hs_head + ts->hs_len) % ts->tls_max] = ref;
			ts->hs_len++;
		} else if (rc == 0) {
			ran++;
		} /* -ENOENT: the session has ended (or is closing) meanwhile */
	}
	if (ts->hs_shed && ts->hs_len == 0) {
		ts->hs_shed = false; /* drained: offer STARTTLS again */
		tls_update_ready(ts);
	}
	if (charged) /* this iteration's steps, those the segments ran too */
		ts->hs_credit_ns -= (int64_t)ts->hs_step_ns;
	ts->hs_spent_ns = 0;
	ts->hs_step_ns = 0;
	ts->hs_other_ns = 0;
	return ran;
}

void
tcp_smtp_hs_charge(struct tcp_smtp *ts, uint64_t ns)
{
	ts->hs_other_ns += ns;
	if (ts->hs_spent_ns >= ts->hs_budget_ns)
		return; /* the steps spent it themselves */
	uint64_t left = ts->hs_budget_ns - ts->hs_spent_ns;
	ts->hs_spent_ns += ns < left ? ns : left - 1;
}

int
tcp_params_from_config(struct tcp_params *p, const struct rg_config *cfg, unsigned workers,
		       const uint64_t secret[2])
{
	if (workers == 0)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	if (cfg_listen4(cfg))
		p->listen_addr = tcp_addr_from_v4(cfg->listen_addr.s_addr);
	if (cfg_listen6(cfg))
		memcpy(p->listen_addr6.b, &cfg->listen_addr6, sizeof(p->listen_addr6.b));
	p->listen_port = cfg->listen_port;
	p->max_conns = (cfg->max_connections + workers - 1) / workers;
	p->max_per_source = cfg->max_connections_per_source;
	p->syn_backlog = cfg->tcp_syn_backlog;
	uint64_t bytes = cfg->tcp_buffer_limit / workers / 2;
	uint64_t nb = bytes / TCP_SNDBUF_SIZE;
	p->n_buffers = nb > UINT32_MAX ? UINT32_MAX : (uint32_t)(nb ? nb : 1);
	p->idle_timeout_ms = cfg->smtpd_timeout * 1000u;
	p->alt_idle_timeout_ms = cfg->starttls_timeout * 1000u;
	p->challenge_ack_limit = 1000; /* as Linux's tcp_challenge_ack_limit */
	p->secret[0] = secret[0];
	p->secret[1] = secret[1];
	return 0;
}

int
tcp_smtp_tls_params(const struct rg_config *cfg, struct tls_params *p, char *buf, size_t n)
{
	memset(p, 0, sizeof(*p));
	if (snprintf(buf, n, "%s", cfg->tls_chain_files) >= (int)n)
		return -E2BIG;
	for (char *save = NULL, *f = strtok_r(buf, " ,\t", &save); f != NULL;
	     f = strtok_r(NULL, " ,\t", &save)) {
		if (p->n_chain_files == TLS_CHAIN_FILES_MAX)
			return -E2BIG;
		p->chain_files[p->n_chain_files++] = f;
	}
	p->cert_file = cfg->tls_cert_file;
	p->key_file = cfg->tls_key_file;
	p->protocols = cfg->tls_protocols;
	p->ciphers = cfg->tls_ciphers;
	p->server_order = cfg->tls_preempt_cipherlist;
	return 0;
}

const char *
tcp_smtp_tls_key(const struct rg_config *cfg, const char *why)
{
	if (strstr(why, "protocol") != NULL && cfg->tls_protocols[0] != '\0')
		return "smtpd_tls_protocols";
	if (strstr(why, "cipher") != NULL && cfg->tls_ciphers[0] != '\0')
		return "smtpd_tls_ciphers";
	if (cfg->tls_chain_files[0] != '\0')
		return "smtpd_tls_chain_files";
	if (cfg->tls_key_file[0] != '\0' && strstr(why, cfg->tls_key_file) != NULL)
		return "smtpd_tls_key_file";
	return "smtpd_tls_cert_file";
}

uint32_t
tcp_smtp_tls_max(const struct rg_config *cfg, unsigned workers)
{
	uint64_t n = (cfg->tls_session_limit + (workers ? workers : 1) - 1) / (workers ? workers : 1);

	return n == 0 ? 1 : (uint32_t)n;
}

uint32_t
tcp_smtp_lines(const struct rg_config *cfg, unsigned workers)
{
	uint64_t n = cfg->tcp_buffer_limit / (workers ? workers : 1) / 2 / SMTP_LINEBUF_SIZE;

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)(n ? n : 1);
}

int
tcp_smtp_init(struct tcp_smtp *ts, const struct rg_config *cfg, const struct tbl *const *table, uint64_t *ctr,
	      uint32_t n_lines, struct tcp_app *app)
{
	return tcp_smtp_init_tls(ts, cfg, table, ctr, n_lines, NULL, 0, app);
}

int
tcp_smtp_init_tls(struct tcp_smtp *ts, const struct rg_config *cfg, const struct tbl *const *table,
		  uint64_t *ctr, uint32_t n_lines, struct tls_ctx *const *tls, uint32_t tls_max,
		  struct tcp_app *app)
{
	memset(ts, 0, sizeof(*ts));
	ts->tls = tls;
	ts->tls_on = tls != NULL && *tls != NULL && cfg->tls_level != CFG_TLS_NONE && tls_max > 0;
	ts->tls_max = tls_max;
	ts->hs_budget_ns = TCP_SMTP_HS_BUDGET_NS;
	tls_update_ready(ts);
	ts->ctx.cfg = cfg;
	policy_conf_from_config(&ts->ctx.policy, cfg);
	ts->ctx.table = table;
	ts->ctx.ctr = ctr;
	ts->ctx.buf_alloc = line_alloc;
	ts->ctx.buf_free = line_free;
	ts->ctx.buf_arg = ts;
	if (smtp_ctx_prepare(&ts->ctx) != 0)
		return -EINVAL;
	ts->lines = malloc((size_t)n_lines * SMTP_LINEBUF_SIZE);
	ts->free_lines = malloc((size_t)n_lines * sizeof(*ts->free_lines));
	if (ts->tls_on) {
		ts->rbuf = malloc(TLS_PT_MAX);
		ts->hs_q = malloc((size_t)tls_max * sizeof(*ts->hs_q));
		ts->tls_old = malloc(TCP_SMTP_TLS_OLD_MAX * sizeof(*ts->tls_old));
		ts->tls_cur = *tls;
	}
	if (ts->lines == NULL || ts->free_lines == NULL ||
	    (ts->tls_on && (ts->rbuf == NULL || ts->hs_q == NULL || ts->tls_old == NULL))) {
		tcp_smtp_fini(ts);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n_lines; i++)
		ts->free_lines[i] = ts->lines + (size_t)(n_lines - 1 - i) * SMTP_LINEBUF_SIZE;
	ts->n_lines = ts->n_free = n_lines;

	memset(app, 0, sizeof(*app));
	app->session_size = sizeof(struct tcp_smtp_sess);
	/* room for a command's replies as records */
	app->out_reserve = ts->tls_on ? SMTP_OUT_RESERVE + TLS_MARGIN : SMTP_OUT_RESERVE;
	app->open = app_open;
	app->input = app_input;
	app->timeout = app_timeout;
	app->close = app_close;
	app->arg = ts;
	return 0;
}

int
tcp_smtp_limits(struct tcp_smtp *ts, unsigned workers, uint64_t hkey, anvil_block_fn block, void *block_arg)
{
	struct anvil_params p;

	if (!anvil_wanted(ts->ctx.cfg))
		return 0; /* the count limit needs no table (tcp_app.open counts) */
	anvil_params_from_config(&p, ts->ctx.cfg, workers, hkey);
	p.block = block;
	p.block_arg = block_arg;
	return anvil_create(&p, ts->ctx.ctr, &ts->ctx.anvil);
}

void
tcp_smtp_fini(struct tcp_smtp *ts)
{
	anvil_destroy(ts->ctx.anvil);
	ts->ctx.anvil = NULL;
	free(ts->lines);
	free(ts->free_lines);
	free(ts->rbuf);
	free(ts->hs_q);
	free(ts->tls_old);
	ts->rbuf = NULL;
	ts->hs_q = NULL;
	ts->tls_old = NULL;
	ts->lines = NULL;
	ts->free_lines = NULL;
	ts->n_lines = ts->n_free = 0;
}
