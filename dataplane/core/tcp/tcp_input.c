/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_input.c - the server-side TCP state machine (RFC 9293)
 * DESCRIPTION
 *	tcp_input() takes one parsed segment: a SYN to the listen address
 *	makes a SYN-RECEIVED entry (or, past syn_backlog entries, a SYN
 *	cookie reply that keeps no state); the ACK of our SYN-ACK (or a
 *	valid cookie) establishes the connection and the application
 *	writes its greeting. Segments of established connections go
 *	through RFC 9293 3.10.7.4: acceptability against the receive
 *	window, RST and SYN (RFC 5961 challenge ACKs), ACK (send buffer,
 *	RTT, window), text (in order only: out-of-order segments are
 *	dropped and answered with a duplicate ACK; overlaps are trimmed),
 *	FIN.
 *
 *	Closing: when the application says close (after 221), the stack
 *	waits for the client's FIN and answers FIN+ACK (passive close, no
 *	TIME_WAIT). If no FIN comes within TCP_CLOSE_FALLBACK_MS it sends
 *	its own FIN; when the client's FIN follows, it is acknowledged
 *	and the connection forgotten at once (again no TIME_WAIT: a lost
 *	last ACK only earns the client an RST for its retransmitted FIN).
 *
 *	A client that sends data before it has acknowledged our greeting
 *	is reset (SMTP is server-speaks-first; RFC 5321 4.3.1).
 *
 *	The timers' handlers (retransmission, probes, close fallbacks,
 *	idle) are in tcp_timer.c; the stack's life cycle in tcp_stack.c.
 * DIAGNOSTICS
 *	Counters only (RG_C_TCP_*).
 * TRUST
 *	Every segment is untrusted; the only state created for a bare SYN
 *	is a capped SYN-RECEIVED entry, and under pressure none at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/counters.h>

#include "tcp/tcp_impl.h"

static uint16_t
tcp_clamp_mss(uint16_t mss, const struct tcp_addr *peer)
{
	uint16_t ours = tcp_our_mss(peer);

	if (mss == 0)
		return TCP_DEFAULT_MSS;
	if (mss < 64)
		return 64;
	return mss > ours ? ours : mss;
}

static uint32_t
tcp_initial_cwnd(uint16_t mss)
{
	uint32_t w = 10u * mss; /* RFC 6928 */

	return w < 14600 ? (w > 2u * mss ? w : 2u * mss) : (14600 > 2u * mss ? 14600 : 2u * mss);
}

/* The handshake is complete: the application greets. -1: conn gone. */
static int
tcp_open_app(struct tcp_stack *ts, struct tcp_conn *c)
{
	struct tcp_out out;

	ts->ctr[RG_C_TCP_ESTABLISHED]++;
	if (tcp_sbuf_get(ts, c) != 0) {
		tcp_close(ts, c, true);
		return -1;
	}
	tcp_out_begin(ts, c, &out);
	uint32_t peer_sessions = ++ts->srcs[c->src].sessions;
	int v = ts->app.open(ts->app.arg, tcp_conn_session(ts, c), tcp_conn_raddr(ts, c), peer_sessions,
			     &out);
	c->flags |= TF_APP_OPEN;
	tcp_out_end(c, &out);
	c->banner_len = c->sb_len;
	if (c->sb_len == 0)
		c->flags |= TF_BANNER_ACKED;
	tcp_timer_set(ts, c, TT_MISC, tcp_idle_ms(ts, c));
	if (tcp_app_call(ts, c, v) < 0)
		return -1;
	tcp_sbuf_trim(ts, c);
	return 0;
}

static void
tcp_established(struct tcp_stack *ts, struct tcp_conn *c, const struct tcp_seg *seg)
{
	c->state = TCPS_ESTABLISHED;
	c->snd_una = c->snd_nxt = c->snd_max = c->iss + 1;
	c->snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	c->nrexmt = 0;
	c->flags &= (uint8_t)~TF_RTT;
	tcp_timer_clear(ts, c, TT_REXMT);
}

/* RTO = SRTT + 4 RTTVAR, bounded; without a sample the initial RTO. */
static void
tcp_rto_from_rtt(struct tcp_conn *c)
{
	if (c->srtt == 0) {
		c->rto = TCP_RTO_INIT_MS;
		return;
	}
	uint32_t rto = (uint32_t)((c->srtt >> 3) + (c->rttvar > 4 ? c->rttvar : 4));
	c->rto = (uint16_t)(rto < TCP_RTO_MIN_MS	   ? TCP_RTO_MIN_MS
				    : rto > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS
							   : rto);
}

static void
tcp_rtt_sample(struct tcp_conn *c, uint32_t now)
{
	int32_t r = (int32_t)(now - c->rtt_start);

	if (r < 1)
		r = 1;
	if (c->srtt == 0) {
		c->srtt = r << 3;
		c->rttvar = r << 1;
	} else {
		int32_t delta = r - (c->srtt >> 3);
		c->srtt += delta; /* srtt += (r - srtt) / 8 */
		if (delta < 0)
			delta = -delta;
		c->rttvar += delta - (c->rttvar >> 2); /* rttvar += (|d| - rttvar) / 4 */
	}
	tcp_rto_from_rtt(c);
}

/* A SYN, or an ACK that may carry a cookie, for no known connection. */
static int tcp_listen_input(struct tcp_stack *ts, const struct tcp_seg *seg);

static int tcp_est_input(struct tcp_stack *ts, struct tcp_conn *c, const struct tcp_seg *seg);

static int
tcp_new_synrcvd(struct tcp_stack *ts, const struct tcp_seg *seg)
{
	struct tcp_conn *c;

	if (tcp_conn_alloc(ts, seg, &c) != 0)
		return 0; /* counted; the client's SYN retransmission retries */
	c->state = TCPS_SYN_RCVD;
	ts->n_synrcvd++;
	ts->ctr[RG_C_TCP_SYN_RCVD]++;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->iss = tcp_iss(ts, seg);
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->mss = tcp_clamp_mss(seg->mss, &seg->saddr);
	c->cwnd = tcp_initial_cwnd(c->mss);
	c->rto = TCP_RTO_INIT_MS;
	c->rtt_start = ts->now;
	tcp_send_synack(ts, c);
	tcp_timer_set(ts, c, TT_REXMT, c->rto);
	return 0;
}

/* A segment that may be another stack's (see tcp_input()): left to the
 * caller, and counted in tcp_segments_in by the stack that takes it. */
static int
tcp_pass(struct tcp_stack *ts)
{
	ts->ctr[RG_C_TCP_SEGS_PASSED]++;
	return TCP_INPUT_PASS;
}

static int
tcp_listen_input(struct tcp_stack *ts, const struct tcp_seg *seg)
{
	uint8_t f = seg->flags;

	if (f & TCP_RST) {
		if (seg->may_pass)
			return tcp_pass(ts);
		ts->ctr[RG_C_TCP_RST_IGNORED]++;
		return 0;
	}
	if ((f & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		if (ts->n_synrcvd >= ts->p.syn_backlog) {
			uint16_t mss;
			uint32_t cookie = tcp_cookie_make(ts, seg, &mss);
			ts->ctr[RG_C_TCP_COOKIES_SENT]++;
			tcp_send_reply(ts, seg, cookie, seg->seq + 1, TCP_SYN | TCP_ACK,
				       tcp_our_mss(&seg->saddr));
			return 0;
		}
		return tcp_new_synrcvd(ts, seg);
	}
	if ((f & (TCP_SYN | TCP_ACK)) == TCP_ACK) {
		uint16_t mss;
		struct tcp_conn *c;
		if (tcp_cookie_check(ts, seg, &mss) == 0) {
			if (tcp_conn_alloc(ts, seg, &c) != 0)
				return 0;
			ts->ctr[RG_C_TCP_COOKIES_OK]++;
			c->iss = seg->ack - 1;
			c->irs = seg->seq - 1;
			c->rcv_nxt = seg->seq;
			c->mss = mss;
			c->cwnd = tcp_initial_cwnd(mss);
			c->rto = TCP_RTO_INIT_MS;
			tcp_established(ts, c, seg);
			if (tcp_open_app(ts, c) < 0)
				return 0;
			return tcp_est_input(ts, c, seg);
		}
	}
	if (seg->may_pass)
		return tcp_pass(ts);
	ts->ctr[RG_C_TCP_UNKNOWN_CONN]++;
	tcp_reply_rst(ts, seg);
	return 0;
}

static bool
tcp_seq_acceptable(const struct tcp_conn *c, uint32_t seq, uint32_t seglen)
{
	uint32_t wnd = tcp_rcv_wnd(c);
	uint32_t wend = c->rcv_nxt + wnd;

	if (wnd == 0) /* RFC 9293 3.10.7.4: only an empty segment at rcv_nxt */
		return seglen == 0 && seq == c->rcv_nxt;
	if (seglen == 0)
		return tcp_seq_ge(seq, c->rcv_nxt) && tcp_seq_lt(seq, wend);
	return (tcp_seq_ge(seq, c->rcv_nxt) && tcp_seq_lt(seq, wend)) ||
		(tcp_seq_ge(seq + seglen - 1, c->rcv_nxt) && tcp_seq_lt(seq + seglen - 1, wend));
}

static int
tcp_synrcvd_input(struct tcp_stack *ts, struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint8_t f = seg->flags;

	if (f & TCP_RST) {
		if (seg->seq == c->rcv_nxt) {
			ts->ctr[RG_C_TCP_RST_RECEIVED]++;
			tcp_close(ts, c, false);
		} else if (tcp_seq_acceptable(c, seg->seq, 0)) {
			tcp_challenge_ack(ts, c);
		} else {
			ts->ctr[RG_C_TCP_RST_IGNORED]++;
		}
		return 0;
	}
	if (f & TCP_SYN) {
		if (seg->seq == c->irs && !(f & TCP_ACK)) {
			ts->ctr[RG_C_TCP_SYN_DUPLICATE]++;
			tcp_send_synack(ts, c);
		} else {
			tcp_challenge_ack(ts, c);
		}
		return 0;
	}
	if (!(f & TCP_ACK))
		return 0;
	if (seg->ack != c->iss + 1) {
		/* another stack may hold the connection: this entry came from
		 * a SYN that waited here while its retransmission, rolled over
		 * to that stack, was answered there */
		if (seg->may_pass)
			return tcp_pass(ts);
		tcp_reply_rst(ts, seg);
		return 0;
	}
	if (!tcp_seq_acceptable(c, seg->seq, seg->len + !!(f & TCP_FIN))) {
		tcp_send_ctl(ts, c, c->snd_nxt, TCP_ACK);
		return 0;
	}
	ts->n_synrcvd--;
	ts->ctr[RG_C_TCP_SYN_RCVD]--;
	if (c->nrexmt == 0) {
		tcp_rtt_sample(c, ts->now);
	} else {
		c->rto = TCP_RTO_INIT_MS; /* RFC 6298 5.7 */
	}
	tcp_established(ts, c, seg);
	if (tcp_open_app(ts, c) < 0)
		return 0;
	return tcp_est_input(ts, c, seg);
}

/* Process the ACK field. Return -1 if the connection is gone. */
static int
tcp_ack_input(struct tcp_stack *ts, struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t ack = seg->ack;
	bool drain = false;

	if (tcp_seq_gt(ack, c->snd_max)) {
		tcp_send_ctl(ts, c, c->snd_nxt, TCP_ACK);
		return 1; /* RFC 9293: ACK, drop the segment */
	}
	if (tcp_seq_lt(ack, c->snd_una - TCP_MAX_ACK_BEHIND)) {
		tcp_challenge_ack(ts, c);
		return 1;
	}
	if (tcp_seq_gt(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una;
		bool fin_acked = (c->flags & TF_FIN_QUEUED) && acked > c->sb_len;
		uint32_t data = fin_acked ? c->sb_len : acked;

		if ((c->flags & TF_RTT) && tcp_seq_gt(ack, c->rtt_seq)) {
			c->flags &= (uint8_t)~TF_RTT;
			tcp_rtt_sample(c, ts->now);
		}
		if (data > 0) {
			uint8_t *b = tcp_conn_sbuf(ts, c);
			memmove(b, b + data, c->sb_len - data);
			c->sb_len -= data;
		}
		c->snd_una = ack;
		if (tcp_seq_lt(c->snd_nxt, ack))
			c->snd_nxt = ack; /* a window probe byte was taken */
		if (!(c->flags & TF_BANNER_ACKED) && tcp_seq_ge(ack, c->iss + 1 + c->banner_len))
			c->flags |= TF_BANNER_ACKED;
		c->nrexmt = 0;
		if (c->cwnd < TCP_CWND_MAX)
			c->cwnd += c->mss;
		if (c->snd_una == c->snd_max)
			tcp_timer_clear(ts, c, TT_REXMT);
		else
			tcp_timer_set(ts, c, TT_REXMT, c->rto);
		tcp_sbuf_trim(ts, c);
		if (fin_acked) {
			if (c->state == TCPS_LAST_ACK || c->state == TCPS_CLOSING) {
				tcp_close(ts, c, false);
				return -1;
			}
			if (c->state == TCPS_FIN_WAIT_1)
				c->state = TCPS_FIN_WAIT_2;
		}
		drain = c->rb_len > 0;
	} else if (c->snd_wnd == 0 && seg->wnd == 0) {
		c->nrexmt = 0; /* a window probe was answered */
	}
	if (tcp_seq_lt(c->snd_wl1, seg->seq) || (c->snd_wl1 == seg->seq && tcp_seq_le(c->snd_wl2, ack))) {
		if (c->snd_wnd == 0 && seg->wnd != 0) {
			/* the peer is there: drop the probes' backoff */
			tcp_rto_from_rtt(c);
			if (c->snd_max != c->snd_una)
				tcp_timer_set(ts, c, TT_REXMT, c->rto);
		}
		c->snd_wnd = seg->wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = ack;
	}
	/* reply space freed: the held input goes on now, not at the
	 * client's retransmission timeout */
	if (drain && tcp_hold_drain(ts, c) < 0)
		return -1;
	return 0;
}

static int tcp_fin_input(struct tcp_stack *ts, struct tcp_conn *c);

/* Hand LEN in-order bytes to the application; return how many it took, -1 if conn gone. */
static long
tcp_deliver(struct tcp_stack *ts, struct tcp_conn *c, const uint8_t *data, uint32_t len)
{
	uint32_t total = 0;

	while (total < len) {
		struct tcp_out out;
		size_t used = 0;

		if (tcp_sbuf_get(ts, c) != 0)
			break;
		if (!tcp_sb_has_reserve(ts, c))
			break;
		tcp_out_begin(ts, c, &out);
		int v = ts->app.input(ts->app.arg, tcp_conn_session(ts, c), data + total, len - total, &used,
				      &out);
		tcp_out_end(c, &out);
		total += used <= len - total ? (uint32_t)used : len - total;
		int r = tcp_app_call(ts, c, v);
		if (r < 0)
			return -1;
		if (r > 0) {
			total = len; /* the rest after QUIT is read and dropped */
			break;
		}
		if (used == 0)
			break;
	}
	tcp_sbuf_trim(ts, c);
	return total;
}

/*
 * Keep up to the receive window of in-order bytes the application did
 * not take (its replies fill the send buffer) in the held-input buffer.
 * They are acknowledged: the window advertised shrinks by as much.
 * Return the bytes kept (0 when no buffer is free: counted).
 */
static uint32_t
tcp_hold_add(struct tcp_stack *ts, struct tcp_conn *c, const uint8_t *data, uint32_t len)
{
	uint32_t room = tcp_rcv_wnd(c);

	if (len == 0 || room == 0 || tcp_rbuf_get(ts, c) != 0)
		return 0;
	if (len > room)
		len = room;
	memcpy(tcp_conn_rbuf(ts, c) + c->rb_len, data, len);
	c->rb_len = (uint16_t)(c->rb_len + len);
	ts->ctr[RG_C_TCP_INPUT_HELD]++;
	return len;
}

/*
 * Feed held input to the application again (the client's ACK or a
 * relay reply made room for replies), then the FIN that came behind
 * it. A window that opens from below min(buffer/2, MSS) is announced
 * at once (RFC 9293 3.8.6.2.2), which also ends the client's
 * zero-window probing. Return -1 if the connection is gone.
 */
int
tcp_hold_drain(struct tcp_stack *ts, struct tcp_conn *c)
{
	uint32_t before = tcp_rcv_wnd(c);
	uint32_t thresh = c->mss < TCP_RCVBUF_SIZE / 2 ? c->mss : TCP_RCVBUF_SIZE / 2;
	long took = c->rb_len;

	if (c->rb_len > 0 && !(c->flags & TF_APP_DONE)) {
		took = tcp_deliver(ts, c, tcp_conn_rbuf(ts, c), c->rb_len);
		if (took < 0)
			return -1;
	}
	if (took > 0) {
		uint8_t *b = tcp_conn_rbuf(ts, c);
		memmove(b, b + took, c->rb_len - (uint32_t)took);
		c->rb_len = (uint16_t)(c->rb_len - took);
	}
	if (c->rb_len == 0)
		tcp_rbuf_put(ts, c);
	if (before < thresh && tcp_rcv_wnd(c) >= thresh)
		c->flags |= TF_ACK_NOW;
	if (c->rb_len > 0) {
		/* nothing in flight whose ACK would call us again (no send
		 * buffer free, or a relay reply awaited): try on a timer */
		if (c->snd_una == c->snd_max && c->tdeadline[TT_REXMT] == 0)
			tcp_timer_set(ts, c, TT_REXMT, c->rto);
		return 0;
	}
	if (c->flags & TF_FIN_HELD) {
		c->flags &= (uint8_t)~TF_FIN_HELD;
		return tcp_fin_input(ts, c);
	}
	return 0;
}

static void
tcp_want_ack(struct tcp_conn *c)
{
	if (c->flags & TF_DELACK)
		c->flags |= TF_ACK_NOW; /* every second segment at once */
	else
		c->flags |= TF_DELACK;
}

/* Text of the segment: in-order only. Return -1 if conn gone, 1 to stop. */
static int
tcp_data_input(struct tcp_stack *ts, struct tcp_conn *c, const struct tcp_seg *seg, bool *fin)
{
	const uint8_t *data = seg->data;
	uint32_t len = seg->len;
	uint32_t seq = seg->seq;

	if (c->state != TCPS_ESTABLISHED && c->state != TCPS_FIN_WAIT_1 && c->state != TCPS_FIN_WAIT_2) {
		ts->ctr[RG_C_TCP_DATA_AFTER_FIN]++;
		*fin = false;
		return 1;
	}
	if (tcp_seq_lt(seq, c->rcv_nxt)) {
		uint32_t skip = c->rcv_nxt - seq; /* < len: acceptability checked */
		data += skip;
		len -= skip;
		seq = c->rcv_nxt;
		if (len == 0)
			return 0; /* only the FIN is new */
	}
	if (seq != c->rcv_nxt) {
		ts->ctr[RG_C_TCP_OUT_OF_ORDER]++;
		c->flags |= TF_ACK_NOW;
		*fin = false;
		return 1;
	}
	if (len > tcp_rcv_wnd(c)) {
		len = tcp_rcv_wnd(c); /* beyond the window: trimmed (RFC 9293 3.10.7.4) */
		*fin = false;
	}
	if (!(c->flags & TF_BANNER_ACKED)) {
		ts->ctr[RG_C_TCP_EARLY_TALKER]++;
		tcp_close(ts, c, true);
		return -1;
	}
	uint32_t took = len;
	if (c->flags & TF_APP_DONE) {
		ts->ctr[RG_C_TCP_DATA_AFTER_CLOSE]++;
	} else if (c->rb_len > 0) {
		/* behind held input: in order, after it */
		took = tcp_hold_add(ts, c, data, len);
		c->rcv_nxt += took;
		if (tcp_hold_drain(ts, c) < 0)
			return -1;
		took = 0;
	} else {
		long r = tcp_deliver(ts, c, data, len);
		if (r < 0)
			return -1;
		took = (uint32_t)r;
		if (took < len && !(c->flags & TF_APP_DONE))
			took += tcp_hold_add(ts, c, data + took, len - took);
	}
	if (!(c->flags & TF_APP_DONE))
		tcp_timer_set(ts, c, TT_MISC, tcp_idle_ms(ts, c));
	c->rcv_nxt += took;
	if (c->rcv_nxt != seq + len) {
		ts->ctr[RG_C_TCP_BACKPRESSURE]++;
		*fin = false;
		c->flags |= TF_ACK_NOW;
	} else {
		tcp_want_ack(c);
	}
	return 0;
}

/* The peer's FIN, in order. Return -1 if the connection is gone. */
static int
tcp_fin_input(struct tcp_stack *ts, struct tcp_conn *c)
{
	if (c->state != TCPS_ESTABLISHED && c->state != TCPS_FIN_WAIT_1 && c->state != TCPS_FIN_WAIT_2)
		return 0; /* a second FIN: nothing to do */
	c->rcv_nxt++;
	c->flags |= TF_ACK_NOW;
	switch (c->state) {
	case TCPS_ESTABLISHED:
		ts->ctr[(c->flags & TF_APP_DONE) ? RG_C_TCP_PASSIVE_CLOSES : RG_C_TCP_CLIENT_CLOSES]++;
		c->flags |= TF_APP_DONE | TF_FIN_QUEUED;
		c->state = TCPS_LAST_ACK;
		tcp_timer_set(ts, c, TT_MISC, TCP_CLOSE_LINGER_MS);
		return 0;
	case TCPS_FIN_WAIT_1:
		c->state = TCPS_CLOSING;
		return 0;
	case TCPS_FIN_WAIT_2:
		tcp_send_ctl(ts, c, c->snd_nxt, TCP_ACK);
		tcp_close(ts, c, false);
		return -1;
	default:
		return 0;
	}
}

static int
tcp_est_input(struct tcp_stack *ts, struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint8_t f = seg->flags;
	uint32_t seglen = seg->len + !!(f & TCP_SYN) + !!(f & TCP_FIN);

	if ((f & TCP_SYN) && !(f & TCP_RST)) {
		/* RFC 5961 4.2: whatever its sequence number */
		tcp_challenge_ack(ts, c);
		return 0;
	}
	if (!tcp_seq_acceptable(c, seg->seq, seglen)) {
		if (f & TCP_RST) {
			ts->ctr[RG_C_TCP_RST_IGNORED]++;
			return 0;
		}
		ts->ctr[RG_C_TCP_OUT_OF_WINDOW]++;
		if ((f & TCP_ACK) && tcp_rcv_wnd(c) == 0) {
			/* a zero-window probe: its ACK field still counts
			 * (RFC 9293 3.10.7.4) and may open our window */
			if (tcp_ack_input(ts, c, seg) < 0)
				return 0;
		}
		c->flags |= TF_ACK_NOW;
		tcp_output(ts, c);
		return 0;
	}
	if (f & TCP_RST) {
		if (seg->seq == c->rcv_nxt) {
			ts->ctr[RG_C_TCP_RST_RECEIVED]++;
			tcp_close(ts, c, false);
		} else {
			tcp_challenge_ack(ts, c);
		}
		return 0;
	}
	if (!(f & TCP_ACK))
		return 0;
	int r = tcp_ack_input(ts, c, seg);
	if (r != 0)
		return 0;

	bool fin = (f & TCP_FIN) != 0;
	if (seg->len > 0) {
		r = tcp_data_input(ts, c, seg, &fin);
		if (r < 0)
			return 0;
	}
	if (fin && seg->seq + seg->len == c->rcv_nxt) {
		if (c->rb_len > 0)
			c->flags |= TF_FIN_HELD; /* taken once the held input is read */
		else if (tcp_fin_input(ts, c) < 0)
			return 0;
	}
	tcp_output(ts, c);
	return 0;
}

/* tcp_input() less the count of segments taken */
static int
tcp_input_seg(struct tcp_stack *ts, const struct tcp_seg *seg)
{
	uint8_t f = seg->flags;

	if ((f & TCP_SYN) && (f & (TCP_FIN | TCP_RST))) {
		ts->ctr[RG_C_TCP_DROP_FLAGS]++;
		return -EINVAL;
	}
	/* either listen address: an IPv4 one never equals an IPv6 one, and
	 * IPv4 is then settled by the first compare */
	if (seg->dport != ts->p.listen_port ||
	    !(tcp_addr_eq(seg->daddr, ts->p.listen_addr) || tcp_addr_eq(seg->daddr, ts->p.listen_addr6))) {
		ts->ctr[RG_C_TCP_CLOSED_PORT]++;
		tcp_reply_rst(ts, seg);
		return 0;
	}
	struct tcp_conn *c = tcp_conn_lookup(ts, seg);
	if (c == NULL)
		return tcp_listen_input(ts, seg);
	if (c->state == TCPS_SYN_RCVD)
		return tcp_synrcvd_input(ts, c, seg);
	return tcp_est_input(ts, c, seg);
}

int
tcp_input(struct tcp_stack *ts, const struct tcp_seg *seg, uint64_t now_ms)
{
	ts->now = (uint32_t)now_ms;
	if (!ts->clock_set) {
		ts->tick = ts->now;
		ts->clock_set = true;
	}
	int rc = tcp_input_seg(ts, seg);
	if (rc != TCP_INPUT_PASS) /* a segment handed on counts where it is taken */
		ts->ctr[RG_C_TCP_SEGS_IN]++;
	return rc;
}
