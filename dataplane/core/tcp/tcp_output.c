/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_output.c - segments the TCP core sends
 * DESCRIPTION
 *	tcp_output() sends the connection's buffered reply bytes from
 *	snd_nxt within the peer's window, the congestion window and the
 *	peer's MSS, then the FIN if one is queued; the ACK rides on every
 *	segment, so a delayed ACK is piggybacked on the reply. Bytes stay in
 *	the send buffer until acknowledged and are sent again with their
 *	original sequence numbers after a timeout (snd_nxt goes back to
 *	snd_una). When the peer's window is zero and nothing is in flight,
 *	the retransmission timer becomes the persist timer. Every segment
 *	advertises the receive window that is really left (tcp_rcv_wnd()).
 *
 *	The other functions build control segments: SYN-ACK, bare ACK,
 *	RFC 5961 challenge ACK (rate-limited per lcore), RST in reply to a
 *	segment (RFC 9293 3.10.7.1).
 * DIAGNOSTICS
 *	RG_C_TCP_SEGS_OUT, RG_C_TCP_TX_FAIL, RG_C_TCP_RST_SENT,
 *	RG_C_TCP_CHALLENGE_ACKS, RG_C_TCP_CHALLENGE_LIMITED.
 */
#include <string.h>

#include <rcptgate/counters.h>

#include "tcp/tcp_impl.h"

static void
tcp_xmit(struct tcp_stack *ts, const struct tcp_seg *seg)
{
	ts->ctr[RG_C_TCP_SEGS_OUT]++;
	if (ts->tx.xmit(ts->tx.arg, seg) != 0)
		ts->ctr[RG_C_TCP_TX_FAIL]++; /* lost: timers resend what matters */
}

static void
tcp_seg_from_conn(const struct tcp_stack *ts, const struct tcp_conn *c, struct tcp_seg *s, uint32_t seq,
		  uint8_t flags)
{
	/* every field written once (no memset first), one family test */
	*s = (struct tcp_seg){
		.sport = c->lport,
		.dport = c->rport,
		.seq = seq,
		.ack = (flags & TCP_ACK) ? c->rcv_nxt : 0,
		.flags = flags,
		.wnd = (uint16_t)tcp_rcv_wnd(c),
	};
	if (c->v6) {
		s->saddr = ts->p.listen_addr6;
		s->daddr = ts->raddr6[tcp_conn_id(ts, c)];
	} else {
		s->saddr = ts->p.listen_addr;
		s->daddr = tcp_addr_from_v4(c->rkey);
	}
	memcpy(s->link, c->link, sizeof(s->link));
}

void
tcp_ack_sent(struct tcp_stack *ts, struct tcp_conn *c)
{
	(void)ts;
	c->flags &= (uint8_t) ~(TF_ACK_NOW | TF_DELACK);
	c->tdeadline[TT_DELACK] = 0;
}

void
tcp_send_ctl(struct tcp_stack *ts, struct tcp_conn *c, uint32_t seq, uint8_t flags)
{
	struct tcp_seg s;

	tcp_seg_from_conn(ts, c, &s, seq, flags);
	tcp_xmit(ts, &s);
	if (flags & TCP_ACK)
		tcp_ack_sent(ts, c);
}

void
tcp_send_synack(struct tcp_stack *ts, struct tcp_conn *c)
{
	struct tcp_seg s;

	tcp_seg_from_conn(ts, c, &s, c->iss, TCP_SYN | TCP_ACK);
	s.mss = tcp_our_mss(&s.daddr);
	tcp_xmit(ts, &s);
}

void
tcp_send_reply(struct tcp_stack *ts, const struct tcp_seg *in, uint32_t seq, uint32_t ack, uint8_t flags,
	       uint16_t mss)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.saddr = in->daddr;
	s.daddr = in->saddr;
	s.sport = in->dport;
	s.dport = in->sport;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.wnd = (flags & TCP_RST) ? 0 : TCP_RCVBUF_SIZE; /* SYN cookie: nothing held yet */
	s.mss = mss;
	memcpy(s.link, in->link, sizeof(s.link));
	tcp_xmit(ts, &s);
}

void
tcp_reply_rst(struct tcp_stack *ts, const struct tcp_seg *in)
{
	if (in->flags & TCP_RST)
		return;
	ts->ctr[RG_C_TCP_RST_SENT]++;
	if (in->flags & TCP_ACK) {
		tcp_send_reply(ts, in, in->ack, 0, TCP_RST, 0);
	} else {
		uint32_t len = in->len + !!(in->flags & TCP_SYN) + !!(in->flags & TCP_FIN);
		tcp_send_reply(ts, in, 0, in->seq + len, TCP_RST | TCP_ACK, 0);
	}
}

void
tcp_challenge_ack(struct tcp_stack *ts, struct tcp_conn *c)
{
	uint32_t second = ts->now / 1000;

	if (second != ts->chack_second) {
		ts->chack_second = second;
		ts->chack_count = 0;
	}
	if (ts->chack_count >= ts->p.challenge_ack_limit) {
		ts->ctr[RG_C_TCP_CHALLENGE_LIMITED]++;
		return;
	}
	ts->chack_count++;
	ts->ctr[RG_C_TCP_CHALLENGE_ACKS]++;
	tcp_send_ctl(ts, c, c->snd_nxt, TCP_ACK);
}

void
tcp_output(struct tcp_stack *ts, struct tcp_conn *c)
{
	bool sent = false;

	if (c->state == TCPS_SYN_RCVD)
		return;
	for (;;) {
		uint32_t off = c->snd_nxt - c->snd_una;
		if (off > c->sb_len)
			break; /* FIN in flight: all sent */
		uint32_t inflight = off;
		uint32_t wnd = c->snd_wnd < c->cwnd ? c->snd_wnd : c->cwnd;
		uint32_t room = wnd > inflight ? wnd - inflight : 0;
		uint32_t n = c->sb_len - off;
		if (n > room)
			n = room;
		if (n > c->mss)
			n = c->mss;
		bool fin = (c->flags & TF_FIN_QUEUED) && off + n == c->sb_len;
		if (n == 0 && !fin)
			break;

		struct tcp_seg s;
		tcp_seg_from_conn(ts, c, &s, c->snd_nxt,
				  (uint8_t)(TCP_ACK | (n ? TCP_PSH : 0) | (fin ? TCP_FIN : 0)));
		s.data = n ? tcp_conn_sbuf(ts, c) + off : NULL;
		s.len = n;
		tcp_xmit(ts, &s);
		sent = true;
		/* Karn: time only segments sent for the first time */
		if (!(c->flags & TF_RTT) && tcp_seq_ge(c->snd_nxt, c->snd_max)) {
			c->flags |= TF_RTT;
			c->rtt_seq = c->snd_nxt;
			c->rtt_start = ts->now;
		}
		c->snd_nxt += n + fin;
		if (tcp_seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		/* RFC 6298 5.1; with nothing in flight before, a persist
		 * deadline (backed off) must not stand in for the RTO */
		if (c->tdeadline[TT_REXMT] == 0 || inflight == 0)
			tcp_timer_set(ts, c, TT_REXMT, c->rto);
		if (fin)
			break;
	}
	if (sent) {
		tcp_ack_sent(ts, c);
		return;
	}
	if (c->flags & TF_ACK_NOW)
		tcp_send_ctl(ts, c, c->snd_nxt, TCP_ACK);
	else if ((c->flags & TF_DELACK) && c->tdeadline[TT_DELACK] == 0)
		tcp_timer_set(ts, c, TT_DELACK, 40);
	/* zero window, data waiting, nothing in flight: persist */
	if (c->snd_wnd == 0 && c->sb_len > 0 && c->snd_max == c->snd_una && c->tdeadline[TT_REXMT] == 0)
		tcp_timer_set(ts, c, TT_REXMT, c->rto);
}
