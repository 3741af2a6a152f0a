/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_timer.c - per-lcore hierarchical timer wheel for connections
 * DESCRIPTION
 *	Each connection keeps up to TT_MAX deadlines (retransmission or
 *	persist, delayed ACK, idle or close) and sits in the wheel once,
 *	under the earliest. Level 0 has 256 slots of 1 ms, level 1 256
 *	slots of 256 ms (65 s); further deadlines wait in level 1 and are
 *	filed again when their slot comes round. Level-1 slots cascade into
 *	level 0 every 256 ms.
 *
 *	Why not rte_timer: it needs EAL (the core runs without it under
 *	cmocka and libFuzzer), costs a 64-byte struct per timer and takes
 *	a lock per operation; here a connection's timers cost 26 bytes of
 *	its record, setting one is a few stores, and deadlines moved later
 *	(every ACK moves the retransmission deadline) are not refiled at
 *	all: the entry fires early, finds nothing due and is refiled.
 *
 *	The handlers run here too: retransmission with the original
 *	sequence numbers and backoff (RFC 6298), SYN-ACK retransmission,
 *	zero-window probes, the active-close fallback after 221 and the
 *	idle timeout (the application writes its 421).
 * DIAGNOSTICS
 *	None; handlers count what they do.
 */
#include <rcptgate/counters.h>

#include "tcp/tcp_impl.h"

void
tcp_timer_unlink(struct tcp_stack *ts, struct tcp_conn *c)
{
	if (c->tslot == TCP_NO_SLOT)
		return;
	uint32_t *head = &ts->wheel[c->tslot / TCP_WHEEL_SLOTS][c->tslot % TCP_WHEEL_SLOTS];
	if (c->tprev == TCP_NIL)
		*head = c->tnext;
	else
		ts->conns[c->tprev].tnext = c->tnext;
	if (c->tnext != TCP_NIL)
		ts->conns[c->tnext].tprev = c->tprev;
	c->tnext = c->tprev = TCP_NIL;
	c->tslot = TCP_NO_SLOT;
}

static void
tcp_timer_file(struct tcp_stack *ts, struct tcp_conn *c, uint32_t expire)
{
	int32_t d = (int32_t)(expire - ts->tick);
	unsigned slot;

	if (d <= 0) {
		/* overdue: the next tick processed */
		d = 1;
		expire = ts->tick + 1;
	}
	if (d < (int32_t)TCP_WHEEL_SLOTS) {
		slot = expire % TCP_WHEEL_SLOTS;
	} else {
		uint32_t e = d < (int32_t)(TCP_WHEEL_SLOTS * TCP_WHEEL_SLOTS)
			? expire
			: ts->tick + TCP_WHEEL_SLOTS * TCP_WHEEL_SLOTS - 1;
		slot = TCP_WHEEL_SLOTS + (e >> TCP_WHEEL_BITS) % TCP_WHEEL_SLOTS;
	}
	uint32_t *head = &ts->wheel[slot / TCP_WHEEL_SLOTS][slot % TCP_WHEEL_SLOTS];
	uint32_t id = tcp_conn_id(ts, c);
	c->texpire = expire;
	c->tslot = (uint16_t)slot;
	c->tprev = TCP_NIL;
	c->tnext = *head;
	if (*head != TCP_NIL)
		ts->conns[*head].tprev = id;
	*head = id;
}

/* File C under its earliest deadline, or take it out of the wheel. */
static void
tcp_timer_resched(struct tcp_stack *ts, struct tcp_conn *c)
{
	uint32_t first = 0;
	bool any = false;

	for (int i = 0; i < TT_MAX; i++) {
		uint32_t d = c->tdeadline[i];
		if (d != 0 && (!any || tcp_seq_lt(d, first))) {
			first = d;
			any = true;
		}
	}
	if (!any) {
		tcp_timer_unlink(ts, c);
		return;
	}
	if (c->tslot != TCP_NO_SLOT && c->texpire == first)
		return;
	tcp_timer_unlink(ts, c);
	tcp_timer_file(ts, c, first);
}

void
tcp_timer_set(struct tcp_stack *ts, struct tcp_conn *c, int which, uint32_t delay_ms)
{
	uint32_t d = ts->now + delay_ms;

	c->tdeadline[which] = d ? d : 1; /* 0 means off */
	/* only an earlier deadline needs the entry moved */
	if (c->tslot == TCP_NO_SLOT || tcp_seq_lt(c->tdeadline[which], c->texpire))
		tcp_timer_resched(ts, c);
}

void
tcp_timer_clear(struct tcp_stack *ts, struct tcp_conn *c, int which)
{
	(void)ts;
	c->tdeadline[which] = 0; /* the entry fires, finds nothing, refiles */
}

/*
 * The handlers: retransmission, SYN-ACK retransmission and zero-window
 * probes (TT_REXMT); the close fallbacks and the idle timeout (TT_MISC).
 */
/* Send as tcp_output(), but a shut window still lets one byte out. */
static void
tcp_output_forced(struct tcp_stack *ts, struct tcp_conn *c)
{
	uint32_t saved = c->snd_wnd;

	if (saved == 0)
		c->snd_wnd = 1;
	tcp_output(ts, c);
	c->snd_wnd = saved;
}

static void
tcp_rexmt_timeout(struct tcp_stack *ts, struct tcp_conn *c)
{
	bool syn = c->state == TCPS_SYN_RCVD;
	bool persist = !syn && c->snd_max == c->snd_una;

	if (persist && c->rb_len > 0) {
		/* held input that no ACK will restart: try again */
		if (tcp_hold_drain(ts, c) < 0)
			return;
		if (c->snd_wnd != 0 || c->sb_len == 0) {
			tcp_output(ts, c);
			return;
		}
	}
	if (persist && (c->snd_wnd != 0 || c->sb_len == 0))
		return; /* nothing outstanding, nothing to probe */
	if (!persist && c->nrexmt >= (syn ? TCP_SYNACK_RETRIES : TCP_MAX_REXMT)) {
		ts->ctr[syn ? RG_C_TCP_SYN_RCVD_TIMEOUTS : RG_C_TCP_REXMT_ABORTS]++;
		tcp_close(ts, c, !syn);
		return;
	}
	tcp_backoff(c);
	if (syn) {
		c->nrexmt++;
		ts->ctr[RG_C_TCP_SYNACK_REXMT]++;
		tcp_send_synack(ts, c);
	} else if (persist) {
		/* one byte beyond the closed window (RFC 9293 3.8.6.1) */
		ts->ctr[RG_C_TCP_WINDOW_PROBES]++;
		tcp_output_forced(ts, c);
	} else {
		/* go back to snd_una: the same bytes, the same sequence numbers */
		c->nrexmt++;
		ts->ctr[RG_C_TCP_REXMT]++;
		c->snd_nxt = c->snd_una;
		c->cwnd = c->mss;
		c->flags &= (uint8_t)~TF_RTT; /* Karn */
		tcp_output_forced(ts, c);
	}
	tcp_timer_set(ts, c, TT_REXMT, c->rto);
}

static void
tcp_misc_timeout(struct tcp_stack *ts, struct tcp_conn *c)
{
	struct tcp_out out;

	if (c->state != TCPS_ESTABLISHED) {
		/* the FIN exchange took too long */
		ts->ctr[RG_C_TCP_CLOSE_TIMEOUTS]++;
		tcp_close(ts, c, true);
		return;
	}
	if (c->flags & TF_APP_DONE) {
		/* no FIN after 221: close actively */
		ts->ctr[RG_C_TCP_ACTIVE_CLOSES]++;
		c->flags |= TF_FIN_QUEUED;
		c->state = TCPS_FIN_WAIT_1;
		tcp_timer_set(ts, c, TT_MISC, TCP_CLOSE_LINGER_MS);
		tcp_output(ts, c);
		return;
	}
	ts->ctr[RG_C_TCP_IDLE_TIMEOUTS]++;
	if (tcp_sbuf_get(ts, c) != 0 || !tcp_sb_has_reserve(ts, c)) {
		tcp_close(ts, c, true);
		return;
	}
	tcp_out_begin(ts, c, &out);
	int v = ts->app.timeout(ts->app.arg, tcp_conn_session(ts, c), &out);
	tcp_out_end(c, &out);
	if (tcp_app_call(ts, c, v == TCP_APP_OK ? TCP_APP_CLOSE : v) < 0)
		return;
	tcp_output(ts, c);
}

/* Run the due handlers of C; false if C was freed by one of them. */
static bool
tcp_timer_fire(struct tcp_stack *ts, struct tcp_conn *c)
{
	for (int i = 0; i < TT_MAX; i++) {
		uint32_t d = c->tdeadline[i];
		if (d == 0 || !tcp_time_le(d, ts->tick))
			continue;
		c->tdeadline[i] = 0;
		switch (i) {
		case TT_REXMT:
			tcp_rexmt_timeout(ts, c);
			break;
		case TT_DELACK:
			if (c->flags & TF_DELACK) {
				ts->ctr[RG_C_TCP_DELAYED_ACKS]++;
				tcp_send_ctl(ts, c, c->snd_nxt, TCP_ACK);
			}
			break;
		default:
			tcp_misc_timeout(ts, c);
			break;
		}
		if (c->state == TCPS_FREE)
			return false;
	}
	return true;
}

static void
tcp_timer_cascade(struct tcp_stack *ts)
{
	uint32_t *head = &ts->wheel[1][(ts->tick >> TCP_WHEEL_BITS) % TCP_WHEEL_SLOTS];
	uint32_t i = *head;

	*head = TCP_NIL;
	while (i != TCP_NIL) {
		struct tcp_conn *c = &ts->conns[i];
		i = c->tnext;
		c->tslot = TCP_NO_SLOT;
		tcp_timer_file(ts, c, c->texpire);
	}
}

unsigned
tcp_timer_run(struct tcp_stack *ts, uint64_t now_ms)
{
	unsigned fired = 0;
	uint32_t now = (uint32_t)now_ms;

	ts->now = now;
	if (!ts->clock_set) {
		ts->tick = now;
		ts->clock_set = true;
		return 0;
	}
	if (ts->n_conns == 0) {
		ts->tick = now; /* nothing filed: skip the empty slots */
		return 0;
	}
	while (ts->tick != now) {
		ts->tick++;
		if (ts->tick % TCP_WHEEL_SLOTS == 0)
			tcp_timer_cascade(ts);
		uint32_t *head = &ts->wheel[0][ts->tick % TCP_WHEEL_SLOTS];
		uint32_t i = *head;
		*head = TCP_NIL;
		while (i != TCP_NIL) {
			struct tcp_conn *c = &ts->conns[i];
			i = c->tnext;
			c->tslot = TCP_NO_SLOT;
			c->tnext = c->tprev = TCP_NIL;
			fired++;
			if (tcp_timer_fire(ts, c))
				tcp_timer_resched(ts, c);
		}
	}
	return fired;
}
