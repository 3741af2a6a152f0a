/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_tcp - unit tests of the TCP state machine with crafted segments
 * DESCRIPTION
 *	A small line application sits on the stack: it greets with
 *	"220 hi", answers "250 ok" per line, a numbered reply as long as a
 *	real 550 5.1.1 to lines that start with RCPT, and "221 bye" (then
 *	close) to QUIT. Segments the stack sends are captured; the tests play the
 *	client, including sequence numbers that wrap around 2^32.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <rcptgate/counters.h>

#include "tcp/tcp.h"
#include "tcp/tcp_impl.h"

#define CLIENT 0x0a4d2802u /* 10.77.40.2, as stored (any value will do) */
#define SERVER 0x0a4d2801u
#define MAXCAP 64

struct cap {
	struct tcp_seg seg;
	uint8_t data[2048];
};

static struct cap caps[MAXCAP];
static unsigned ncap;
static uint64_t ctr[RG_C_MAX];
static uint64_t now;
static bool may_pass; /* what send_seg_n() sets in the segment */

struct app_sess {
	int open;
	unsigned lines;
	unsigned bytes;
	unsigned col; /* bytes of the current line seen */
	unsigned rcpts;
	char head[4]; /* its first bytes */
};

/* The reply to the Nth RCPT line: 72 bytes, numbered so order shows. */
static size_t
rcpt_reply(char *buf, unsigned n)
{
	return (size_t)sprintf(buf,
			       "550 5.1.1 <u%03u@example.org>: Recipient address rejected: "
			       "User unknown\r\n",
			       n % 1000);
}

/* Addresses of the cli connections: IPv4 unless a test switches them. */
static struct tcp_addr client_addr, server_addr;
static struct tcp_addr opened_peer;   /* what the last open() was given */
static uint32_t opened_peer_sessions; /* and its peer_sessions */

static int
app_open(void *arg, void *sess, struct tcp_addr peer, uint32_t peer_sessions, struct tcp_out *out)
{
	struct app_sess *s = sess;
	(void)arg;
	opened_peer = peer;
	opened_peer_sessions = peer_sessions;
	memset(s, 0, sizeof(*s));
	s->open = 1;
	memcpy(out->buf + out->len, "220 hi\r\n", 8);
	out->len += 8;
	return TCP_APP_OK;
}

static int
app_input(void *arg, void *sess, const uint8_t *data, size_t len, size_t *consumed, struct tcp_out *out)
{
	struct app_sess *s = sess;
	size_t i;
	(void)arg;

	for (i = 0; i < len; i++) {
		s->bytes++;
		if (s->col < sizeof(s->head))
			s->head[s->col] = (char)data[i];
		s->col++;
		if (data[i] != '\n')
			continue;
		bool rcpt = s->col > 4 && memcmp(s->head, "RCPT", 4) == 0;
		s->col = 0;
		s->lines++;
		if (i >= 5 && memcmp(data + i - 5, "QUIT\r", 5) == 0) {
			memcpy(out->buf + out->len, "221 bye\r\n", 9);
			out->len += 9;
			*consumed = i + 1;
			return TCP_APP_CLOSE;
		}
		if (i >= 4 && memcmp(data + i - 4, "BIG\r", 4) == 0) {
			/* a long reply: 300 bytes */
			memset(out->buf + out->len, 'x', 298);
			memcpy(out->buf + out->len + 298, "\r\n", 2);
			out->len += 300;
		} else if (rcpt) {
			out->len += rcpt_reply(out->buf + out->len, s->rcpts++);
		} else {
			memcpy(out->buf + out->len, "250 ok\r\n", 8);
			out->len += 8;
		}
		if (out->cap - out->len < 600) {
			*consumed = i + 1;
			return TCP_APP_OK;
		}
	}
	*consumed = len;
	return TCP_APP_OK;
}

static int
app_timeout(void *arg, void *sess, struct tcp_out *out)
{
	(void)arg;
	(void)sess;
	memcpy(out->buf + out->len, "421 idle\r\n", 10);
	out->len += 10;
	return TCP_APP_CLOSE;
}

static unsigned app_closed;

static void
app_close(void *arg, void *sess)
{
	struct app_sess *s = sess;
	(void)arg;
	assert_int_equal(s->open, 1);
	s->open = 0;
	app_closed++;
}

static int
xmit(void *arg, const struct tcp_seg *seg)
{
	(void)arg;
	assert_true(ncap < MAXCAP);
	assert_true(seg->len <= sizeof(caps[0].data));
	caps[ncap].seg = *seg;
	if (seg->len)
		memcpy(caps[ncap].data, seg->data, seg->len);
	caps[ncap].seg.data = caps[ncap].data;
	ncap++;
	return 0;
}

static const struct tcp_app app = {
	.session_size = sizeof(struct app_sess),
	.out_reserve = 600,
	.open = app_open,
	.input = app_input,
	.timeout = app_timeout,
	.close = app_close,
};

static const struct tcp_tx tx = { .xmit = xmit };

static struct tcp_params
params(void)
{
	struct tcp_params p = {
		.listen_addr = tcp_addr_from_v4(SERVER),
		.listen_port = 25,
		.max_conns = 16,
		.max_per_source = 8,
		.syn_backlog = 8,
		.n_buffers = 8,
		.idle_timeout_ms = 300000,
		.challenge_ack_limit = 100,
		.secret = { 0x1234, 0x5678 },
	};
	return p;
}

static struct tcp_stack *
mk(const struct tcp_params *p)
{
	struct tcp_stack *ts;

	memset(ctr, 0, sizeof(ctr));
	ncap = 0;
	app_closed = 0;
	may_pass = false;
	now = 1000000;
	client_addr = tcp_addr_from_v4(CLIENT);
	server_addr = tcp_addr_from_v4(SERVER);
	assert_int_equal(tcp_stack_create(p, &app, &tx, ctr, &ts), 0);
	tcp_timer_run(ts, now);
	return ts;
}

/* The client side of one connection. */
struct cli {
	uint16_t port;
	uint32_t isn, snd, rcv; /* next seq to send, next seq expected */
	uint16_t wnd;
	bool fin; /* has sent its FIN (counted in snd) */
};

static int
send_seg_n(struct tcp_stack *ts, const struct cli *c, uint32_t seq, uint8_t flags, const char *data,
	   size_t len, uint16_t mss)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.may_pass = may_pass;
	s.saddr = client_addr;
	s.daddr = server_addr;
	s.sport = c->port;
	s.dport = 25;
	s.seq = seq;
	s.ack = (flags & TCP_ACK) ? c->rcv : 0;
	s.flags = flags;
	s.wnd = c->wnd;
	s.mss = mss;
	s.data = (const uint8_t *)data;
	s.len = (uint32_t)len;
	return tcp_input(ts, &s, now);
}

static int
send_seg(struct tcp_stack *ts, const struct cli *c, uint32_t seq, uint8_t flags, const char *data,
	 uint16_t mss)
{
	return send_seg_n(ts, c, seq, flags, data, data ? strlen(data) : 0, mss);
}

/* Send data (with ACK) and advance the client's seq. */
static void
cli_send(struct tcp_stack *ts, struct cli *c, const char *data)
{
	assert_int_equal(send_seg(ts, c, c->snd, TCP_ACK | TCP_PSH, data, 0), 0);
	c->snd += (uint32_t)strlen(data);
}

/* Send the first LEN bytes of DATA in one segment. */
static void
cli_send_n(struct tcp_stack *ts, struct cli *c, const char *data, size_t len)
{
	assert_int_equal(send_seg_n(ts, c, c->snd, TCP_ACK | TCP_PSH, data, len, 0), 0);
	c->snd += (uint32_t)len;
}

static void
advance(struct tcp_stack *ts, uint64_t ms)
{
	now += ms;
	tcp_timer_run(ts, now);
}

static const struct cap *
last(void)
{
	assert_true(ncap > 0);
	return &caps[ncap - 1];
}

static void
assert_payload(const struct cap *k, const char *text)
{
	assert_int_equal(k->seg.len, strlen(text));
	assert_memory_equal(k->data, text, strlen(text));
}

/* Handshake up to the banner; the banner is acknowledged when ACKB. */
static void
connect_cli(struct tcp_stack *ts, struct cli *c, uint16_t port, uint32_t isn, bool ackb)
{
	c->port = port;
	c->isn = isn;
	c->snd = isn + 1;
	c->wnd = 65535;
	c->fin = false;
	ncap = 0;
	assert_int_equal(send_seg(ts, c, isn, TCP_SYN, NULL, 1460), 0);
	assert_int_equal(ncap, 1);
	const struct cap *sa = last();
	assert_int_equal(sa->seg.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(sa->seg.ack, isn + 1);
	assert_int_equal(sa->seg.mss, tcp_addr_is_v4(&client_addr) ? TCP_OUR_MSS : TCP_OUR_MSS6);
	assert_int_equal(sa->seg.dport, port);
	assert_true(tcp_addr_eq(sa->seg.daddr, client_addr));
	assert_true(tcp_addr_eq(sa->seg.saddr, server_addr));
	c->rcv = sa->seg.seq + 1;
	ncap = 0;
	assert_int_equal(send_seg(ts, c, c->snd, TCP_ACK, NULL, 0), 0);
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.seq, c->rcv);
	assert_payload(last(), "220 hi\r\n");
	c->rcv += 8;
	ncap = 0;
	if (ackb)
		assert_int_equal(send_seg(ts, c, c->snd, TCP_ACK, NULL, 0), 0);
}

static void
test_seq_wrap(void **state)
{
	(void)state;
	assert_true(tcp_seq_lt(0xfffffff0u, 0x10u));
	assert_true(tcp_seq_gt(0x10u, 0xfffffff0u));
	assert_true(tcp_seq_le(5, 5));
	assert_false(tcp_seq_lt(5, 5));
	assert_true(tcp_seq_ge(0x80000000u, 0x7fffffffu));
	assert_true(tcp_seq_lt(0x7fffffffu, 0x80000000u));
}

static void
test_handshake_and_reply(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40000, 1000, true);
	assert_int_equal(ncap, 0); /* pure ACK of the banner: nothing to say */
	assert_int_equal(ctr[RG_C_TCP_ESTABLISHED], 1);
	cli_send(ts, &c, "HELO x\r\n");
	assert_int_equal(ncap, 1); /* reply with the ACK piggybacked */
	assert_payload(last(), "250 ok\r\n");
	assert_int_equal(last()->seg.ack, c.snd);
	assert_int_equal(last()->seg.seq, c.rcv);
	assert_true(last()->seg.flags & TCP_ACK);
	tcp_stack_destroy(ts);
	assert_int_equal(app_closed, 1);
}

static void
test_client_seq_wraparound(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40001, 0xfffffff8u, true);
	cli_send(ts, &c, "HELO a\r\n"); /* 0xfffffff9 .. 0x00000000 */
	assert_payload(last(), "250 ok\r\n");
	assert_int_equal(last()->seg.ack, 1);
	cli_send(ts, &c, "NOOP\r\n");
	assert_payload(last(), "250 ok\r\n");
	assert_int_equal(last()->seg.ack, 7);
	/* an old duplicate from before the wrap: ACKed, not delivered */
	ncap = 0;
	assert_int_equal(send_seg(ts, &c, 0xfffffff9u, TCP_ACK, "HELO a\r\n", 0), 0);
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.len, 0);
	assert_int_equal(last()->seg.ack, 7);
	assert_int_equal(ctr[RG_C_TCP_OUT_OF_WINDOW], 1);
	tcp_stack_destroy(ts);
}

static void
test_syn_retransmitted(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c = { .port = 40002, .wnd = 65535 };
	(void)state;

	assert_int_equal(send_seg(ts, &c, 500, TCP_SYN, NULL, 1460), 0);
	assert_int_equal(send_seg(ts, &c, 500, TCP_SYN, NULL, 1460), 0);
	assert_int_equal(ncap, 2);
	assert_int_equal(caps[0].seg.seq, caps[1].seg.seq);
	assert_int_equal(caps[1].seg.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(ctr[RG_C_TCP_SYN_DUPLICATE], 1);
	assert_int_equal(tcp_stack_conns(ts), 1);
	/* a SYN with another sequence number: challenge ACK (RFC 5961 4.2) */
	assert_int_equal(send_seg(ts, &c, 9000, TCP_SYN, NULL, 1460), 0);
	assert_int_equal(ncap, 3);
	assert_int_equal(last()->seg.flags, TCP_ACK);
	assert_int_equal(last()->seg.ack, 501);
	assert_int_equal(ctr[RG_C_TCP_CHALLENGE_ACKS], 1);
	assert_int_equal(tcp_stack_conns(ts), 1);
	tcp_stack_destroy(ts);
}

static void
test_lost_final_ack(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c = { .port = 40003, .wnd = 65535 };
	(void)state;

	assert_int_equal(send_seg(ts, &c, 700, TCP_SYN, NULL, 1460), 0);
	uint32_t iss = last()->seg.seq;
	advance(ts, 999);
	assert_int_equal(ncap, 1);
	advance(ts, 1);
	assert_int_equal(ncap, 2); /* SYN-ACK again, same ISS */
	assert_int_equal(last()->seg.seq, iss);
	assert_int_equal(last()->seg.flags, TCP_SYN | TCP_ACK);
	advance(ts, 1999);
	assert_int_equal(ncap, 2); /* backoff: 2 s */
	advance(ts, 1);
	assert_int_equal(ncap, 3);
	c.rcv = iss + 1;
	assert_int_equal(send_seg(ts, &c, 701, TCP_ACK, NULL, 0), 0);
	assert_payload(last(), "220 hi\r\n"); /* the banner still arrives */
	assert_int_equal(ctr[RG_C_TCP_SYNACK_REXMT], 2);
	tcp_stack_destroy(ts);
}

static void
test_synrcvd_gives_up(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c = { .port = 40004, .wnd = 65535 };
	(void)state;

	assert_int_equal(send_seg(ts, &c, 1, TCP_SYN, NULL, 0), 0);
	for (int i = 0; i < 200; i++)
		advance(ts, 1000);
	assert_int_equal(ncap, 6); /* first + 5 retransmissions */
	assert_int_equal(tcp_stack_conns(ts), 0);
	assert_int_equal(ctr[RG_C_TCP_SYN_RCVD_TIMEOUTS], 1);
	assert_int_equal(ctr[RG_C_TCP_SYN_RCVD], 0);
	tcp_stack_destroy(ts);
}

static void
test_early_talker(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40005, 9, false);
	/* data whose ACK does not cover the banner */
	c.rcv -= 8;
	cli_send(ts, &c, "EHLO x\r\n");
	assert_true(last()->seg.flags & TCP_RST);
	assert_int_equal(ctr[RG_C_TCP_EARLY_TALKER], 1);
	assert_int_equal(tcp_stack_conns(ts), 0);
	assert_int_equal(app_closed, 1);
	tcp_stack_destroy(ts);
}

/* The session of the connection from CLIENT:PORT. */
static struct app_sess *
sess_of(struct tcp_stack *ts, uint16_t port)
{
	struct tcp_seg key = { .saddr = tcp_addr_from_v4(CLIENT),
			       .daddr = tcp_addr_from_v4(SERVER),
			       .sport = port,
			       .dport = 25 };

	return tcp_conn_session(ts, tcp_conn_lookup(ts, &key));
}

static void
test_out_of_order_and_overlap(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40006, 100, true);
	/* second half first: dropped, duplicate ACK */
	assert_int_equal(send_seg(ts, &c, c.snd + 4, TCP_ACK, "O x\r\n", 0), 0);
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.len, 0);
	assert_int_equal(last()->seg.ack, c.snd);
	assert_int_equal(ctr[RG_C_TCP_OUT_OF_ORDER], 1);
	/* a partial line: no reply, ACK delayed */
	ncap = 0;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, "HEL", 0), 0);
	assert_int_equal(ncap, 0);
	advance(ts, 40);
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.ack, c.snd + 3);
	assert_int_equal(ctr[RG_C_TCP_DELAYED_ACKS], 1);
	/* overlapping retransmission of the whole line */
	ncap = 0;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, "HELO x\r\n", 0), 0);
	c.snd += 8;
	assert_int_equal(ncap, 1);
	assert_payload(last(), "250 ok\r\n");
	assert_int_equal(last()->seg.ack, c.snd);
	struct app_sess *s = sess_of(ts, 40006);
	assert_int_equal(s->bytes, 8); /* each byte delivered once */
	assert_int_equal(s->lines, 1);
	tcp_stack_destroy(ts);
}

static void
test_rst_rules(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40007, 2000, true);
	/* out of window: ignored, no reply */
	assert_int_equal(send_seg(ts, &c, c.snd + 100000, TCP_RST, NULL, 0), 0);
	assert_int_equal(ncap, 0);
	assert_int_equal(ctr[RG_C_TCP_RST_IGNORED], 1);
	/* in window, not rcv_nxt: challenge ACK */
	assert_int_equal(send_seg(ts, &c, c.snd + 10, TCP_RST, NULL, 0), 0);
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.flags, TCP_ACK);
	assert_int_equal(last()->seg.ack, c.snd);
	assert_int_equal(ctr[RG_C_TCP_CHALLENGE_ACKS], 1);
	assert_int_equal(tcp_stack_conns(ts), 1);
	/* SYN on the established connection: challenge ACK */
	assert_int_equal(send_seg(ts, &c, 12345, TCP_SYN, NULL, 0), 0);
	assert_int_equal(ncap, 2);
	assert_int_equal(last()->seg.flags, TCP_ACK);
	assert_int_equal(ctr[RG_C_TCP_CHALLENGE_ACKS], 2);
	assert_int_equal(tcp_stack_conns(ts), 1);
	/* exactly rcv_nxt: reset */
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_RST, NULL, 0), 0);
	assert_int_equal(tcp_stack_conns(ts), 0);
	assert_int_equal(ctr[RG_C_TCP_RST_RECEIVED], 1);
	assert_int_equal(ctr[RG_C_TCP_BUFFERS_USED], 0);
	tcp_stack_destroy(ts);
}

static void
test_ack_rules(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40017, 2500, true);
	/* an ACK for bytes never sent: answered with an ACK, its data dropped */
	uint32_t rcv = c.rcv;
	c.rcv = rcv + 1000;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, "NOOP\r\n", 0), 0);
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.flags, TCP_ACK);
	assert_int_equal(last()->seg.len, 0);
	assert_int_equal(last()->seg.ack, c.snd);
	assert_int_equal(sess_of(ts, 40017)->bytes, 0);
	/* an ACK far behind snd_una (RFC 5961 5.2): challenge ACK, data dropped */
	c.rcv = rcv - 100000;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, "NOOP\r\n", 0), 0);
	assert_int_equal(ncap, 2);
	assert_int_equal(last()->seg.flags, TCP_ACK);
	assert_int_equal(last()->seg.ack, c.snd);
	assert_int_equal(ctr[RG_C_TCP_CHALLENGE_ACKS], 1);
	assert_int_equal(sess_of(ts, 40017)->bytes, 0);
	/* the same bytes with a right ACK are taken */
	c.rcv = rcv;
	cli_send(ts, &c, "NOOP\r\n");
	assert_payload(last(), "250 ok\r\n");
	assert_int_equal(sess_of(ts, 40017)->bytes, 6);
	tcp_stack_destroy(ts);
}

static void
test_challenge_ack_limit(void **state)
{
	struct tcp_params p = params();
	struct cli c;
	(void)state;

	p.challenge_ack_limit = 3;
	struct tcp_stack *ts = mk(&p);
	connect_cli(ts, &c, 40008, 1, true);
	for (int i = 0; i < 5; i++)
		assert_int_equal(send_seg(ts, &c, c.snd + 1, TCP_RST, NULL, 0), 0);
	assert_int_equal(ctr[RG_C_TCP_CHALLENGE_ACKS], 3);
	assert_int_equal(ctr[RG_C_TCP_CHALLENGE_LIMITED], 2);
	advance(ts, 1000);
	assert_int_equal(send_seg(ts, &c, c.snd + 1, TCP_RST, NULL, 0), 0);
	assert_int_equal(ctr[RG_C_TCP_CHALLENGE_ACKS], 4);
	tcp_stack_destroy(ts);
}

static void
test_retransmit_backoff_and_limit(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40009, 77, true);
	cli_send(ts, &c, "NOOP\r\n");
	uint32_t seq = last()->seg.seq;
	unsigned before = ncap;
	/* RTO is the SYN-ACK round trip (0 ms here) clamped to 200 ms */
	advance(ts, 200);
	assert_int_equal(ncap, before + 1);
	assert_int_equal(last()->seg.seq, seq); /* original sequence number */
	assert_payload(last(), "250 ok\r\n");
	advance(ts, 399);
	assert_int_equal(ncap, before + 1); /* doubled */
	advance(ts, 1);
	assert_int_equal(ncap, before + 2);
	assert_int_equal(last()->seg.seq, seq);
	/* the ACK stops it */
	c.rcv = seq + 8;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	advance(ts, 100000);
	assert_int_equal(ncap, before + 2);
	assert_int_equal(ctr[RG_C_TCP_BUFFERS_USED], 0);
	/* never acknowledged: reset after the retry bound */
	cli_send(ts, &c, "NOOP\r\n");
	for (int i = 0; i < 600; i++)
		advance(ts, 1000);
	assert_int_equal(tcp_stack_conns(ts), 0);
	assert_int_equal(ctr[RG_C_TCP_REXMT_ABORTS], 1);
	assert_true(last()->seg.flags & TCP_RST);
	assert_int_equal(ctr[RG_C_TCP_REXMT], 2 + 8);
	tcp_stack_destroy(ts);
}

/*
 * RTO = SRTT + 4 RTTVAR from the samples (RFC 6298 2.2-2.3), and Karn:
 * the ACK of a retransmitted segment gives no sample, so the backed-off
 * RTO stays for the next segment (RFC 6298 5.5).
 */
static void
test_rto_from_rtt(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c = { .port = 40018, .wnd = 65535 };
	(void)state;

	assert_int_equal(send_seg(ts, &c, 100, TCP_SYN, NULL, 1460), 0);
	c.rcv = last()->seg.seq + 1;
	c.snd = 101;
	advance(ts, 300); /* SYN-ACK round trip: 300 ms */
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	assert_payload(last(), "220 hi\r\n");
	c.rcv += 8;
	advance(ts, 300); /* the banner's: 300 ms too */
	/* SRTT 300, RTTVAR 150 * 3/4 = 112.5: RTO 300 + 450 = 750 ms */
	cli_send(ts, &c, "NOOP\r\n");
	uint32_t seq = last()->seg.seq;
	unsigned n = ncap;
	advance(ts, 749);
	assert_int_equal(ncap, n);
	advance(ts, 1);
	assert_int_equal(ncap, n + 1);
	assert_int_equal(last()->seg.seq, seq);
	/* the retransmission is acknowledged: no sample, RTO stays 1500 */
	advance(ts, 1);
	c.rcv = seq + 8;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	cli_send(ts, &c, "NOOP\r\n");
	n = ncap;
	advance(ts, 1499);
	assert_int_equal(ncap, n);
	advance(ts, 1);
	assert_int_equal(ncap, n + 1);
	assert_int_equal(ctr[RG_C_TCP_REXMT], 2);
	tcp_stack_destroy(ts);
}

static void
test_mss_honoured(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c = { .port = 40010, .wnd = 65535 };
	(void)state;

	assert_int_equal(send_seg(ts, &c, 10, TCP_SYN, NULL, 100), 0);
	c.rcv = last()->seg.seq + 1;
	c.snd = 11;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	c.rcv += 8;
	ncap = 0;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	cli_send(ts, &c, "BIG\r\n");
	assert_int_equal(ncap, 3);
	assert_int_equal(caps[0].seg.len, 100);
	assert_int_equal(caps[1].seg.len, 100);
	assert_int_equal(caps[2].seg.len, 100);
	assert_int_equal(caps[1].seg.seq, caps[0].seg.seq + 100);
	tcp_stack_destroy(ts);
}

static void
test_zero_window(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40011, 5, true);
	c.wnd = 0;
	cli_send(ts, &c, "NOOP\r\n");
	assert_int_equal(ncap, 0); /* the window is shut */
	advance(ts, 40);
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.len, 0); /* a delayed ACK only */
	/* the persist timer probes with one byte */
	advance(ts, 160);
	assert_int_equal(ncap, 2);
	assert_int_equal(last()->seg.len, 1);
	assert_int_equal(last()->seg.seq, c.rcv);
	assert_int_equal(ctr[RG_C_TCP_WINDOW_PROBES], 1);
	/* the client answers the probe, window still shut */
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	for (int i = 0; i < 4; i++) {
		advance(ts, 60000);
		assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	}
	assert_int_equal(tcp_stack_conns(ts), 1); /* answered probes never give up */
	/* the window opens: the rest follows, nothing lost */
	c.wnd = 65535;
	ncap = 0;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	assert_true(ncap >= 1);
	const struct cap *k = last();
	if (k->seg.seq == c.rcv) {
		assert_payload(k, "250 ok\r\n");
	} else {
		assert_int_equal(k->seg.seq, c.rcv + 1); /* probe byte taken */
		assert_payload(k, "50 ok\r\n");
	}
	/* that segment is lost: it comes again after the RTO, not after the
	 * backed-off probe interval */
	unsigned n = ncap;
	advance(ts, 200);
	assert_int_equal(ncap, n + 1);
	assert_int_equal(last()->seg.seq, c.rcv);
	tcp_stack_destroy(ts);
}

static void
test_passive_close(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40012, 3000, true);
	cli_send(ts, &c, "QUIT\r\n");
	assert_payload(last(), "221 bye\r\n");
	c.rcv += 9;
	ncap = 0;
	/* client ACKs the 221 and closes */
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK | TCP_FIN, NULL, 0), 0);
	c.snd++;
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.flags, TCP_ACK | TCP_FIN);
	assert_int_equal(last()->seg.seq, c.rcv);
	assert_int_equal(last()->seg.ack, c.snd);
	/* a retransmitted FIN gets an ACK */
	assert_int_equal(send_seg(ts, &c, c.snd - 1, TCP_ACK | TCP_FIN, NULL, 0), 0);
	assert_int_equal(ncap, 2);
	assert_int_equal(last()->seg.flags, TCP_ACK);
	assert_int_equal(last()->seg.ack, c.snd);
	/* data after FIN: not delivered, connection unharmed */
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, "late\r\n", 0), 0);
	assert_int_equal(tcp_stack_conns(ts), 1);
	c.rcv++;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	assert_int_equal(tcp_stack_conns(ts), 0); /* no TIME_WAIT */
	assert_int_equal(ctr[RG_C_TCP_PASSIVE_CLOSES], 1);
	assert_int_equal(ctr[RG_C_TCP_BUFFERS_USED], 0);
	assert_int_equal(app_closed, 1);
	tcp_stack_destroy(ts);
}

static void
test_fin_retransmitted_after_loss(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40013, 4000, true);
	cli_send(ts, &c, "QUIT\r\n");
	c.rcv += 9;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK | TCP_FIN, NULL, 0), 0);
	c.snd++;
	uint32_t finseq = last()->seg.seq;
	advance(ts, 200); /* our FIN was lost */
	assert_int_equal(last()->seg.flags, TCP_ACK | TCP_FIN);
	assert_int_equal(last()->seg.seq, finseq);
	c.rcv++;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	assert_int_equal(tcp_stack_conns(ts), 0);
	tcp_stack_destroy(ts);
}

static void
test_active_close_fallback(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40014, 5000, true);
	cli_send(ts, &c, "QUIT\r\n");
	c.rcv += 9;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	ncap = 0;
	advance(ts, 1999);
	assert_int_equal(ncap, 0);
	advance(ts, 1);
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.flags, TCP_ACK | TCP_FIN);
	c.rcv++;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK | TCP_FIN, NULL, 0), 0);
	c.snd++;
	assert_int_equal(ncap, 2);
	assert_int_equal(last()->seg.flags, TCP_ACK);
	assert_int_equal(last()->seg.ack, c.snd);
	assert_int_equal(tcp_stack_conns(ts), 0); /* no TIME_WAIT */
	assert_int_equal(ctr[RG_C_TCP_ACTIVE_CLOSES], 1);
	tcp_stack_destroy(ts);
}

static void
test_idle_timeout(void **state)
{
	struct tcp_params p = params();
	struct cli c;
	(void)state;

	p.idle_timeout_ms = 5000;
	struct tcp_stack *ts = mk(&p);
	connect_cli(ts, &c, 40015, 6000, true);
	advance(ts, 4000);
	cli_send(ts, &c, "NOOP\r\n"); /* activity restarts the clock */
	c.rcv += 8;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	ncap = 0;
	advance(ts, 4999);
	assert_int_equal(ncap, 0);
	advance(ts, 1);
	assert_int_equal(ncap, 1);
	assert_payload(last(), "421 idle\r\n");
	assert_int_equal(ctr[RG_C_TCP_IDLE_TIMEOUTS], 1);
	tcp_stack_destroy(ts);
}

static void
test_syn_cookies(void **state)
{
	struct tcp_params p = params();
	struct cli a = { .port = 41000, .wnd = 65535 }, b = { .port = 41001, .wnd = 65535 };
	(void)state;

	p.syn_backlog = 1;
	struct tcp_stack *ts = mk(&p);
	assert_int_equal(send_seg(ts, &a, 1, TCP_SYN, NULL, 1460), 0);
	assert_int_equal(send_seg(ts, &b, 99, TCP_SYN, NULL, 1400), 0);
	assert_int_equal(ncap, 2);
	assert_int_equal(tcp_stack_conns(ts), 1); /* no state for the second */
	assert_int_equal(ctr[RG_C_TCP_COOKIES_SENT], 1);
	uint32_t cookie = last()->seg.seq;
	/* a wrong cookie is refused with RST */
	b.rcv = cookie + 2;
	assert_int_equal(send_seg(ts, &b, 100, TCP_ACK, NULL, 0), 0);
	assert_true(last()->seg.flags & TCP_RST);
	assert_int_equal(tcp_stack_conns(ts), 1);
	/* a wrong client ISN as well */
	b.rcv = cookie + 1;
	assert_int_equal(send_seg(ts, &b, 101, TCP_ACK, NULL, 0), 0);
	assert_true(last()->seg.flags & TCP_RST);
	/* the right one establishes and greets */
	assert_int_equal(send_seg(ts, &b, 100, TCP_ACK, NULL, 0), 0);
	assert_payload(last(), "220 hi\r\n");
	assert_int_equal(last()->seg.seq, cookie + 1);
	assert_int_equal(tcp_stack_conns(ts), 2);
	assert_int_equal(ctr[RG_C_TCP_COOKIES_OK], 1);
	struct tcp_seg key = { .saddr = tcp_addr_from_v4(CLIENT),
			       .daddr = tcp_addr_from_v4(SERVER),
			       .sport = 41001,
			       .dport = 25 };
	assert_int_equal(tcp_conn_lookup(ts, &key)->mss, 1380); /* the cookie's MSS step for 1400 */
	/* two more cookies (the SYN-RECEIVED entry still fills the backlog) */
	struct cli d = { .port = 41002, .wnd = 65535 }, e = { .port = 41003, .wnd = 65535 };
	assert_int_equal(send_seg(ts, &d, 500, TCP_SYN, NULL, 1460), 0);
	d.rcv = last()->seg.seq + 1;
	assert_int_equal(send_seg(ts, &e, 300, TCP_SYN, NULL, 1460), 0);
	e.rcv = last()->seg.seq + 1;
	assert_int_equal(ctr[RG_C_TCP_COOKIES_SENT], 3);
	/* one is still good one counter step (65.5 s) later */
	advance(ts, 65536);
	assert_int_equal(send_seg(ts, &e, 301, TCP_ACK, NULL, 0), 0);
	assert_payload(last(), "220 hi\r\n");
	assert_int_equal(ctr[RG_C_TCP_COOKIES_OK], 2);
	/* the other has expired two minutes later */
	advance(ts, 200000 - 65536);
	assert_int_equal(send_seg(ts, &d, 501, TCP_ACK, NULL, 0), 0);
	assert_true(last()->seg.flags & TCP_RST);
	assert_int_equal(ctr[RG_C_TCP_COOKIES_OK], 2);
	tcp_stack_destroy(ts);
}

static void
test_caps(void **state)
{
	struct tcp_params p = params();
	struct cli c = { .wnd = 65535 };
	(void)state;

	p.max_per_source = 2;
	p.max_conns = 3;
	struct tcp_stack *ts = mk(&p);
	for (uint16_t i = 0; i < 3; i++) {
		c.port = (uint16_t)(42000 + i);
		assert_int_equal(send_seg(ts, &c, 1, TCP_SYN, NULL, 0), 0);
	}
	assert_int_equal(tcp_stack_conns(ts), 2);
	assert_int_equal(ctr[RG_C_TCP_CAP_PER_SOURCE], 1);
	struct tcp_seg s = { .saddr = tcp_addr_from_v4(CLIENT + 1),
			     .daddr = tcp_addr_from_v4(SERVER),
			     .sport = 1,
			     .dport = 25,
			     .seq = 1,
			     .flags = TCP_SYN,
			     .wnd = 1000 };
	assert_int_equal(tcp_input(ts, &s, now), 0);
	s.sport = 2;
	assert_int_equal(tcp_input(ts, &s, now), 0);
	assert_int_equal(tcp_stack_conns(ts), 3);
	assert_int_equal(ctr[RG_C_TCP_CAP_CONNS], 1);
	tcp_stack_destroy(ts);
}

/* An IPv6 address from text, for the tests below. */
static struct tcp_addr
addr6(const char *text)
{
	struct tcp_addr a;

	assert_int_equal(inet_pton(AF_INET6, text, a.b), 1);
	return a;
}

/* IPv6 params: the IPv4 listen address and an IPv6 one on the same port. */
static struct tcp_params
params6(void)
{
	struct tcp_params p = params();

	p.listen_addr6 = addr6("2001:db8:4d::1");
	return p;
}

static void
test_addr_v4_mapped(void **state)
{
	(void)state;
	struct tcp_addr a = tcp_addr_from_v4(htonl(0xc0000207)); /* 192.0.2.7 */
	assert_true(tcp_addr_is_v4(&a));
	assert_true(tcp_addr_eq(a, addr6("::ffff:192.0.2.7")));
	assert_int_equal(tcp_addr_v4(&a), htonl(0xc0000207));
	assert_int_equal(tcp_addr_fold(&a), htonl(0xc0000207)); /* the hash key of IPv4 is unchanged */
	assert_false(tcp_addr_is_v4(&(struct tcp_addr){ 0 }));
	struct tcp_addr b = addr6("2001:db8::7");
	assert_false(tcp_addr_is_v4(&b));
	assert_false(tcp_addr_eq(a, b));
}

/*
 * A whole IPv6 session: SYN-ACK with the IPv6 MSS from the IPv6 listen
 * address, banner, data, QUIT; an IPv4 connection from an address with
 * the same hash key and port lives beside it without mixing.
 */
static void
test_ipv6_session(void **state)
{
	struct tcp_params p = params6();
	struct cli c, d;
	(void)state;

	struct tcp_stack *ts = mk(&p);
	client_addr = addr6("2001:db8:77::7");
	server_addr = p.listen_addr6;
	connect_cli(ts, &c, 40000, 1000, true);
	assert_true(tcp_addr_eq(opened_peer, client_addr));
	cli_send(ts, &c, "RCPT TO:<a@b>\r\n");
	assert_memory_equal(last()->data, "550 5.1.1 <u", 12);
	assert_true(tcp_addr_eq(last()->seg.daddr, client_addr));

	/* IPv4 peer whose address is the fold of the IPv6 one, same port */
	struct tcp_addr v6 = client_addr;
	client_addr = tcp_addr_from_v4(tcp_addr_fold(&v6));
	server_addr = p.listen_addr;
	connect_cli(ts, &d, 40000, 5000, true);
	assert_int_equal(tcp_stack_conns(ts), 2);
	assert_int_equal(ctr[RG_C_TCP_CONNS], 2);

	/* the IPv6 connection still answers on its own sequence space */
	client_addr = v6;
	server_addr = p.listen_addr6;
	cli_send(ts, &c, "QUIT\r\n");
	assert_payload(last(), "221 bye\r\n");
	assert_true(tcp_addr_eq(last()->seg.saddr, p.listen_addr6));
	/* the IPv4 listen address over IPv6 framing is not ours: RST */
	server_addr = addr6("2001:db8:4d::2");
	struct cli e = { .port = 40001, .wnd = 65535 };
	assert_int_equal(send_seg(ts, &e, 1, TCP_SYN, NULL, 1440), 0);
	assert_true(last()->seg.flags & TCP_RST);
	assert_int_equal(ctr[RG_C_TCP_CLOSED_PORT], 1);
	tcp_stack_destroy(ts);
}

/* max_connections_per_source counts an IPv6 /64 as one source. */
static void
test_ipv6_per_source_64(void **state)
{
	struct tcp_params p = params6();
	struct cli c = { .wnd = 65535 };
	(void)state;

	p.max_per_source = 2;
	struct tcp_stack *ts = mk(&p);
	server_addr = p.listen_addr6;
	const char *same64[] = { "2001:db8:5::1", "2001:db8:5::2", "2001:db8:5:0:ffff::3" };
	for (unsigned i = 0; i < 3; i++) {
		client_addr = addr6(same64[i]);
		c.port = (uint16_t)(42000 + i);
		assert_int_equal(send_seg(ts, &c, 1, TCP_SYN, NULL, 1440), 0);
	}
	assert_int_equal(tcp_stack_conns(ts), 2);
	assert_int_equal(ctr[RG_C_TCP_CAP_PER_SOURCE], 1);
	client_addr = addr6("2001:db8:5:1::1"); /* the next /64 */
	assert_int_equal(send_seg(ts, &c, 1, TCP_SYN, NULL, 1440), 0);
	assert_int_equal(tcp_stack_conns(ts), 3);
	assert_int_equal(ctr[RG_C_TCP_CAP_PER_SOURCE], 1);
	tcp_stack_destroy(ts);
}

/*
 * open() is told the sessions open from the peer's source, this one
 * included: established connections only (a SYN still waiting is not a
 * session), down again when one closes, an IPv6 /64 as one source,
 * another source on its own count.
 */
static void
test_peer_sessions(void **state)
{
	struct tcp_params p = params6();
	struct cli c[4], half = { .port = 42100, .wnd = 65535 };
	(void)state;

	struct tcp_stack *ts = mk(&p);
	for (uint16_t i = 0; i < 3; i++) {
		connect_cli(ts, &c[i], (uint16_t)(42000 + i), 1000 * (i + 1u), true);
		assert_int_equal(opened_peer_sessions, i + 1);
		if (i == 0) /* a handshake left half done from the same client */
			assert_int_equal(send_seg(ts, &half, 1, TCP_SYN, NULL, 0), 0);
	}
	assert_int_equal(tcp_stack_conns(ts), 4);
	assert_int_equal(send_seg(ts, &c[1], c[1].snd, TCP_RST, NULL, 0), 0);
	assert_int_equal(tcp_stack_conns(ts), 3);
	connect_cli(ts, &c[1], 42003, 9000, true);
	assert_int_equal(opened_peer_sessions, 3);

	client_addr = tcp_addr_from_v4(htonl(0xc0000263)); /* another client */
	connect_cli(ts, &c[3], 42000, 7000, true);
	assert_int_equal(opened_peer_sessions, 1);

	server_addr = p.listen_addr6;
	client_addr = addr6("2001:db8:6::1");
	connect_cli(ts, &c[3], 42000, 7000, true);
	assert_int_equal(opened_peer_sessions, 1);
	client_addr = addr6("2001:db8:6:0:ffff::2"); /* the same /64 */
	connect_cli(ts, &c[3], 42001, 7000, true);
	assert_int_equal(opened_peer_sessions, 2);
	client_addr = addr6("2001:db8:6:1::1"); /* the next /64 */
	connect_cli(ts, &c[3], 42002, 7000, true);
	assert_int_equal(opened_peer_sessions, 1);
	tcp_stack_destroy(ts);
}

/*
 * Every worker's stack gets the daemon's one secret (tcp_lcore_init), so
 * a cookie one worker sent is good on another; a stack with another
 * secret refuses it.
 */
static void
test_cookie_other_worker(void **state)
{
	struct tcp_params p = params();
	struct cli a = { .port = 42000, .wnd = 65535 }, b = { .port = 42001, .wnd = 65535 };
	struct tcp_stack *w1, *other;
	(void)state;

	p.syn_backlog = 1;
	struct tcp_stack *w0 = mk(&p);
	assert_int_equal(tcp_stack_create(&p, &app, &tx, ctr, &w1), 0);
	tcp_timer_run(w1, now);
	assert_int_equal(send_seg(w0, &a, 1, TCP_SYN, NULL, 1460), 0); /* fills the backlog */
	assert_int_equal(send_seg(w0, &b, 99, TCP_SYN, NULL, 1460), 0);
	assert_int_equal(ctr[RG_C_TCP_COOKIES_SENT], 1);
	b.rcv = last()->seg.seq + 1;
	struct cli c = b;
	/* the ACK reaches the other worker */
	assert_int_equal(send_seg(w1, &b, 100, TCP_ACK, NULL, 0), 0);
	assert_payload(last(), "220 hi\r\n");
	assert_int_equal(tcp_stack_conns(w1), 1);
	assert_int_equal(ctr[RG_C_TCP_COOKIES_OK], 1);
	/* a stack keyed apart does not take it */
	p.secret[0] ^= 1;
	assert_int_equal(tcp_stack_create(&p, &app, &tx, ctr, &other), 0);
	tcp_timer_run(other, now);
	assert_int_equal(send_seg(other, &c, 100, TCP_ACK, NULL, 0), 0);
	assert_true(last()->seg.flags & TCP_RST);
	assert_int_equal(tcp_stack_conns(other), 0);
	tcp_stack_destroy(other);
	tcp_stack_destroy(w1);
	tcp_stack_destroy(w0);
}

/*
 * A segment that may be another worker's (may_pass: af_packet's rollover,
 * dp_pass()): of no connection here, it is left to the caller
 * (TCP_INPUT_PASS), unanswered; an RST too. A SYN and a good cookie's ACK
 * are taken, a segment of a connection here is used, and without
 * may_pass the segment of no connection gets its RST as before.
 */
static void
test_pass_unknown(void **state)
{
	struct tcp_params p = params();
	struct cli a, b = { .port = 44001, .wnd = 65535 }, d = { .port = 44002, .wnd = 65535 },
		      e = { .port = 44003, .wnd = 65535 };
	struct tcp_stack *w1;
	(void)state;

	p.syn_backlog = 1;
	struct tcp_stack *w0 = mk(&p);
	assert_int_equal(tcp_stack_create(&p, &app, &tx, ctr, &w1), 0);
	tcp_timer_run(w1, now);
	connect_cli(w0, &a, 44000, 1000, true);
	assert_int_equal(send_seg(w0, &e, 9, TCP_SYN, NULL, 1460), 0); /* w0's backlog full: cookies */
	may_pass = true;
	ncap = 0;
	assert_int_equal(send_seg(w1, &a, a.snd, TCP_ACK | TCP_PSH, "HELO x\r\n", 0), TCP_INPUT_PASS);
	assert_int_equal(send_seg(w1, &a, a.snd, TCP_RST, NULL, 0), TCP_INPUT_PASS);
	assert_int_equal(ncap, 0);
	assert_int_equal(ctr[RG_C_TCP_SEGS_PASSED], 2);
	assert_int_equal(ctr[RG_C_TCP_UNKNOWN_CONN], 0);
	assert_int_equal(ctr[RG_C_TCP_RST_IGNORED], 0);
	/* where the connection is, it is used */
	cli_send(w0, &a, "HELO x\r\n");
	assert_int_equal(ncap, 1);
	assert_int_equal(ctr[RG_C_TCP_SEGS_PASSED], 2);
	/* a SYN is taken, and so is the ACK of a cookie sent elsewhere */
	assert_int_equal(send_seg(w1, &b, 99, TCP_SYN, NULL, 1460), 0);
	assert_int_equal(last()->seg.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(send_seg(w0, &d, 199, TCP_SYN, NULL, 1460), 0);
	assert_int_equal(ctr[RG_C_TCP_COOKIES_SENT], 1);
	d.rcv = last()->seg.seq + 1;
	assert_int_equal(send_seg(w1, &d, 200, TCP_ACK, NULL, 0), 0);
	assert_payload(last(), "220 hi\r\n");
	assert_int_equal(ctr[RG_C_TCP_COOKIES_OK], 1);
	/* the last worker answers: RST */
	may_pass = false;
	assert_int_equal(send_seg(w1, &a, a.snd, TCP_ACK, NULL, 0), 0);
	assert_int_equal(last()->seg.flags, TCP_RST);
	assert_int_equal(ctr[RG_C_TCP_UNKNOWN_CONN], 1);
	assert_int_equal(ctr[RG_C_TCP_SEGS_PASSED], 2);
	tcp_stack_destroy(w1);
	tcp_stack_destroy(w0);
}

/*
 * A SYN waited on worker 0 while its retransmission, rolled over to worker
 * 1, made the connection there; worker 0 then took the first one, so both
 * hold the 4-tuple, worker 0 in SYN-RECEIVED. The client's segments, whose
 * ACK is worker 1's, are handed on from worker 0, not reset.
 */
static void
test_pass_synrcvd(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *w1;
	struct cli a = { .port = 44010, .wnd = 65535 };
	(void)state;

	struct tcp_stack *w0 = mk(&p);
	assert_int_equal(tcp_stack_create(&p, &app, &tx, ctr, &w1), 0);
	tcp_timer_run(w1, now);
	assert_int_equal(send_seg(w0, &a, 1000, TCP_SYN, NULL, 1460), 0);
	now += 1000; /* the retransmitted SYN, a second later: another ISS */
	connect_cli(w1, &a, 44010, 1000, true);
	unsigned in = (unsigned)ctr[RG_C_TCP_SEGS_IN];
	may_pass = true;
	ncap = 0;
	assert_int_equal(send_seg(w0, &a, a.snd, TCP_ACK | TCP_PSH, "HELO x\r\n", 0), TCP_INPUT_PASS);
	assert_int_equal(ncap, 0);
	assert_int_equal(ctr[RG_C_TCP_SEGS_PASSED], 1);
	assert_int_equal(ctr[RG_C_TCP_SEGS_IN], in); /* counted where it is taken */
	cli_send(w1, &a, "HELO x\r\n");
	assert_int_equal(ncap, 1);
	/* without may_pass: RST, as before */
	may_pass = false;
	assert_int_equal(send_seg(w0, &a, a.snd, TCP_ACK, NULL, 0), 0);
	assert_int_equal(last()->seg.flags, TCP_RST);
	tcp_stack_destroy(w1);
	tcp_stack_destroy(w0);
}

/* SYN cookies over IPv6: the cookie binds all 128 bits of the source. */
static void
test_ipv6_cookie(void **state)
{
	struct tcp_params p = params6();
	struct cli a = { .port = 41000, .wnd = 65535 }, b = { .port = 41001, .wnd = 65535 };
	(void)state;

	p.syn_backlog = 1;
	struct tcp_stack *ts = mk(&p);
	server_addr = p.listen_addr6;
	client_addr = addr6("2001:db8:6::1");
	assert_int_equal(send_seg(ts, &a, 1, TCP_SYN, NULL, 1440), 0);
	assert_int_equal(send_seg(ts, &b, 99, TCP_SYN, NULL, 1440), 0);
	assert_int_equal(ctr[RG_C_TCP_COOKIES_SENT], 1);
	assert_int_equal(last()->seg.mss, TCP_OUR_MSS6);
	b.rcv = last()->seg.seq + 1;
	/* the same cookie from another address of the /64 is refused */
	client_addr = addr6("2001:db8:6::2");
	assert_int_equal(send_seg(ts, &b, 100, TCP_ACK, NULL, 0), 0);
	assert_true(last()->seg.flags & TCP_RST);
	assert_int_equal(ctr[RG_C_TCP_COOKIES_OK], 0);
	client_addr = addr6("2001:db8:6::1");
	assert_int_equal(send_seg(ts, &b, 100, TCP_ACK, NULL, 0), 0);
	assert_payload(last(), "220 hi\r\n");
	assert_int_equal(ctr[RG_C_TCP_COOKIES_OK], 1);
	tcp_stack_destroy(ts);
}

static void
test_unknown_and_closed_port(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c = { .port = 43000, .wnd = 65535, .rcv = 777 };
	(void)state;

	assert_int_equal(send_seg(ts, &c, 5, TCP_ACK, "hello", 0), 0);
	assert_int_equal(last()->seg.flags, TCP_RST);
	assert_int_equal(last()->seg.seq, 777);
	assert_int_equal(ctr[RG_C_TCP_UNKNOWN_CONN], 1);
	struct tcp_seg s = { .saddr = tcp_addr_from_v4(CLIENT),
			     .daddr = tcp_addr_from_v4(SERVER),
			     .sport = 1,
			     .dport = 26,
			     .seq = 10,
			     .flags = TCP_SYN };
	assert_int_equal(tcp_input(ts, &s, now), 0);
	assert_int_equal(last()->seg.flags, TCP_RST | TCP_ACK);
	assert_int_equal(last()->seg.ack, 11);
	assert_int_equal(ctr[RG_C_TCP_CLOSED_PORT], 1);
	/* an RST for no connection is never answered */
	unsigned n = ncap;
	assert_int_equal(send_seg(ts, &c, 5, TCP_RST, NULL, 0), 0);
	assert_int_equal(ncap, n);
	s.flags = TCP_SYN | TCP_FIN;
	s.dport = 25;
	assert_int_equal(tcp_input(ts, &s, now), -EINVAL);
	tcp_stack_destroy(ts);
}

static void
test_parse(void **state)
{
	struct tcp_seg s;
	uint8_t h[40] = { 0x9c, 0x40, 0x00, 0x19, 0, 0, 0, 1, 0, 0, 0, 2, 0x80, 0x12, 0x10, 0x00 };
	(void)state;

	/* NOP, NOP, SACK-permitted, MSS 1400, EOL */
	const uint8_t opt[] = { 1, 1, 4, 2, 2, 4, 0x05, 0x78, 0 };
	memcpy(h + 20, opt, sizeof(opt));
	memcpy(h + 32, "DATAdata", 8);
	assert_int_equal(tcp_parse(h, 40, &s), 0);
	assert_int_equal(s.sport, 40000);
	assert_int_equal(s.dport, 25);
	assert_int_equal(s.seq, 1);
	assert_int_equal(s.ack, 2);
	assert_int_equal(s.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(s.wnd, 4096);
	assert_int_equal(s.mss, 1400);
	assert_int_equal(s.len, 8);
	assert_memory_equal(s.data, "DATAdata", 8);
	assert_int_equal(tcp_parse(h, 31, &s), -EINVAL); /* header beyond the bytes */
	assert_int_equal(tcp_parse(h, 19, &s), -EINVAL);
	h[22] = 2;
	h[23] = 40; /* option past the header */
	assert_int_equal(tcp_parse(h, 40, &s), -EINVAL);
	h[23] = 1; /* length below 2 */
	assert_int_equal(tcp_parse(h, 40, &s), -EINVAL);
	h[12] = 0x40; /* data offset 4 words */
	assert_int_equal(tcp_parse(h, 40, &s), -EINVAL);
}

static void
test_buffer_cap(void **state)
{
	struct tcp_params p = params();
	struct cli a, b;
	(void)state;

	p.n_buffers = 1;
	struct tcp_stack *ts = mk(&p);
	connect_cli(ts, &a, 44000, 1, false); /* banner unacked: holds the buffer */
	ncap = 0;
	b.port = 44001;
	b.wnd = 65535;
	assert_int_equal(send_seg(ts, &b, 1, TCP_SYN, NULL, 0), 0);
	b.rcv = last()->seg.seq + 1;
	assert_int_equal(send_seg(ts, &b, 2, TCP_ACK, NULL, 0), 0);
	assert_true(last()->seg.flags & TCP_RST); /* no buffer for the greeting */
	assert_int_equal(ctr[RG_C_TCP_CAP_BUFFERS], 1);
	assert_int_equal(tcp_stack_conns(ts), 1);
	tcp_stack_destroy(ts);
}

static int
write_later(void *arg, void *sess, struct tcp_out *out)
{
	(void)sess;
	memcpy(out->buf + out->len, arg, strlen(arg));
	out->len += strlen(arg);
	return TCP_APP_OK;
}

static void
test_session_resume(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	(void)state;

	connect_cli(ts, &c, 40016, 7000, true);
	struct tcp_seg key = { .saddr = tcp_addr_from_v4(CLIENT),
			       .daddr = tcp_addr_from_v4(SERVER),
			       .sport = 40016,
			       .dport = 25 };
	uint64_t ref = tcp_session_ref(ts, tcp_conn_session(ts, tcp_conn_lookup(ts, &key)));
	assert_int_equal(tcp_session_resume(ts, ref, write_later, "250 later\r\n"), 0);
	assert_int_equal(ncap, 1);
	assert_payload(last(), "250 later\r\n");
	assert_int_equal(last()->seg.seq, c.rcv);
	/* a stale reference fails once the connection is gone and reused */
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_RST, NULL, 0), 0);
	assert_int_equal(tcp_session_resume(ts, ref, write_later, "x"), -ENOENT);
	connect_cli(ts, &c, 40016, 8000, true);
	assert_int_equal(tcp_session_resume(ts, ref, write_later, "x"), -ENOENT);
	assert_int_equal(tcp_session_resume(ts, UINT32_MAX, write_later, "x"), -ENOENT);
	tcp_stack_destroy(ts);
}

/*
 * Play a client that acknowledges everything the server sends, 1 ms
 * later (far below any RTO), until the server has nothing more to say.
 * Every server segment must come in order, for the first time, and
 * acknowledge all the client sent (its FIN, if sent, may still be
 * unacknowledged). Appends the bytes to GOT.
 */
static void
ack_replies(struct tcp_stack *ts, struct cli *c, char *got, size_t *ng, size_t cap)
{
	for (int round = 0; ncap > 0; round++) {
		assert_true(round < 50);
		for (unsigned k = 0; k < ncap; k++) {
			const struct tcp_seg *g = &caps[k].seg;
			assert_true(g->ack == c->snd || (c->fin && g->ack == c->snd - 1));
			assert_int_equal(g->seq, c->rcv);
			assert_true(*ng + g->len <= cap);
			memcpy(got + *ng, caps[k].data, g->len);
			*ng += g->len;
			c->rcv += g->len + !!(g->flags & TCP_FIN);
		}
		ncap = 0;
		advance(ts, 1);
		assert_int_equal(send_seg(ts, c, c->snd, TCP_ACK, NULL, 0), 0);
	}
}

static size_t
rcpt_lines(char *buf, unsigned from, unsigned n)
{
	size_t len = 0;

	for (unsigned i = from; i < from + n; i++)
		len += (size_t)sprintf(buf + len, "RCPT TO:<u%03u@example.org>\r\n", i);
	return len;
}

static void
test_pipelined_input_held(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	static char in[TCP_RCVBUF_SIZE + 1], want[16384], got[16384];
	size_t n, nw = 0, ng = 0;
	(void)state;

	connect_cli(ts, &c, 40020, 0xfffff000u, true);
	n = (size_t)sprintf(in, "EHLO client.example\r\nMAIL FROM:<a@b.example>\r\n");
	n += rcpt_lines(in + n, 0, 100);
	assert_true(n <= TCP_RCVBUF_SIZE); /* fits the window we advertise */
	nw = (size_t)sprintf(want, "250 ok\r\n250 ok\r\n");
	for (unsigned i = 0; i < 100; i++)
		nw += rcpt_reply(want + nw, i);
	assert_true(nw > TCP_SNDBUF_SIZE); /* the replies do not fit the send buffer */

	cli_send(ts, &c, in); /* one segment: EHLO + MAIL + 100 RCPT */
	ack_replies(ts, &c, got, &ng, sizeof(got));
	assert_int_equal(ng, nw);
	assert_memory_equal(got, want, nw);
	assert_true(ctr[RG_C_TCP_INPUT_HELD] >= 1);
	assert_int_equal(ctr[RG_C_TCP_BACKPRESSURE], 0);
	assert_int_equal(ctr[RG_C_TCP_REXMT], 0);
	assert_int_equal(ctr[RG_C_TCP_BUFFERS_USED], 0); /* held input released */
	cli_send(ts, &c, "QUIT\r\n");
	assert_payload(last(), "221 bye\r\n");
	assert_int_equal(last()->seg.wnd, TCP_RCVBUF_SIZE);
	tcp_stack_destroy(ts);
}

static void
test_receive_window_zero(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	static char in[3 * TCP_RCVBUF_SIZE], want[32768], got[32768];
	size_t n, off = 0, ng = 0, nw = 0;
	(void)state;

	connect_cli(ts, &c, 40021, 77, true);
	n = rcpt_lines(in, 0, 300);
	c.wnd = 0;		      /* the client reads nothing: replies pile up */
	cli_send_n(ts, &c, in, 2800); /* 100 lines: about half are answered */
	off = 2800;
	advance(ts, 40); /* delayed ACK */
	const struct cap *k = last();
	assert_int_equal(k->seg.ack, c.snd);
	uint16_t w = k->seg.wnd;
	assert_true(w > 0 && w < TCP_RCVBUF_SIZE); /* less what is held */
	/* the client fills the window exactly */
	cli_send_n(ts, &c, in + off, w);
	off += w;
	advance(ts, 40);
	k = last();
	assert_int_equal(k->seg.ack, c.snd);
	assert_int_equal(k->seg.wnd, 0);
	/* a zero-window probe of one byte is answered, the byte not taken */
	ncap = 0;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, "R", 0), 0);
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.ack, c.snd);
	assert_int_equal(last()->seg.wnd, 0);
	assert_int_equal(last()->seg.len, 0);
	/* the client opens its window: replies flow, each ACK reads held
	 * input, and the server's segments announce the window again */
	c.wnd = 65535;
	ncap = 0;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	ack_replies(ts, &c, got, &ng, sizeof(got));
	for (unsigned i = 0; i < off / 28; i++)
		nw += rcpt_reply(want + nw, i);
	assert_int_equal(ng, nw);
	assert_memory_equal(got, want, nw);
	/* everything read: the next line is answered at once and the
	 * whole window is offered again */
	size_t r = 28 - off % 28;
	assert_true(off + r <= n);
	cli_send_n(ts, &c, in + off, r);
	nw = rcpt_reply(want, (unsigned)(off / 28));
	assert_payload(last(), want);
	assert_int_equal(last()->seg.wnd, TCP_RCVBUF_SIZE);
	assert_int_equal(ctr[RG_C_TCP_REXMT], 0);
	assert_int_equal(ctr[RG_C_TCP_BACKPRESSURE], 0);
	tcp_stack_destroy(ts);
}

/* A FIN in the segment whose bytes are held is taken after they are read. */
static void
test_fin_behind_held_input(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	static char in[TCP_RCVBUF_SIZE + 1], want[16384], got[16384];
	size_t n, nw = 0, ng = 0;
	(void)state;

	connect_cli(ts, &c, 40022, 0x7ffff000u, true);
	n = rcpt_lines(in, 0, 100);
	for (unsigned i = 0; i < 100; i++)
		nw += rcpt_reply(want + nw, i);
	assert_true(nw > TCP_SNDBUF_SIZE);
	assert_int_equal(send_seg_n(ts, &c, c.snd, TCP_ACK | TCP_PSH | TCP_FIN, in, n, 0), 0);
	c.snd += (uint32_t)n + 1;
	c.fin = true;
	assert_true(ctr[RG_C_TCP_INPUT_HELD] >= 1);
	/* every reply in order, then our FIN; its ACK ends the connection */
	ack_replies(ts, &c, got, &ng, sizeof(got));
	assert_int_equal(ng, nw);
	assert_memory_equal(got, want, nw);
	assert_int_equal(ctr[RG_C_TCP_CLIENT_CLOSES], 1);
	assert_int_equal(ctr[RG_C_TCP_REXMT], 0);
	assert_int_equal(tcp_stack_conns(ts), 0);
	assert_int_equal(ctr[RG_C_TCP_BUFFERS_USED], 0);
	tcp_stack_destroy(ts);
}

/* Count the server's segments into C's receive sequence; return the bytes. */
static size_t
take_replies(struct cli *c)
{
	size_t n = 0;

	for (unsigned k = 0; k < ncap; k++) {
		assert_int_equal(caps[k].seg.seq, c->rcv);
		c->rcv += caps[k].seg.len;
		n += caps[k].seg.len;
	}
	return n;
}

/*
 * The test application stops taking input once its replies leave less
 * than its out_reserve (600 bytes) of the send buffer: after this many
 * RCPT lines (28 bytes each).
 */
static unsigned
rcpt_lines_taken(void)
{
	char r[128];

	return (unsigned)((TCP_SNDBUF_SIZE - 600) / rcpt_reply(r, 0) + 1);
}

/* Send those RCPT lines, then an unfinished line of TAIL bytes: held whole. */
static void
send_replies_and_held_tail(struct tcp_stack *ts, struct cli *c, char *in, size_t tail)
{
	size_t n = rcpt_lines(in, 0, rcpt_lines_taken());

	memset(in + n, 'x', tail);
	cli_send_n(ts, c, in, n + tail);
}

/*
 * Our window is announced at once when it opens from below min(MSS,
 * 2 KiB), even with no reply to carry it (RFC 9293 3.8.6.2.2); and a
 * zero-window probe's ACK field is processed (RFC 9293 3.10.7.4), which
 * can open the window it probes.
 */
static void
test_receive_window_update(void **state)
{
	struct tcp_params p = params();
	struct tcp_stack *ts = mk(&p);
	struct cli c;
	static char in[TCP_RCVBUF_SIZE];
	char r[128];
	unsigned lines = rcpt_lines_taken();
	size_t tail = TCP_RCVBUF_SIZE - 28 * lines; /* the segment fills the window */
	(void)state;

	connect_cli(ts, &c, 40023, 3, true);
	ncap = 0;
	send_replies_and_held_tail(ts, &c, in, tail);
	assert_int_equal(take_replies(&c), lines * rcpt_reply(r, 0));
	assert_int_equal(last()->seg.wnd, TCP_RCVBUF_SIZE - tail);
	assert_true(last()->seg.wnd < TCP_OUR_MSS);
	assert_int_equal(ctr[RG_C_TCP_INPUT_HELD], 1);
	/* the client acknowledges the replies: the held bytes are read and
	 * draw no reply, yet the open window is announced */
	ncap = 0;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, NULL, 0), 0);
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.len, 0);
	assert_int_equal(last()->seg.ack, c.snd);
	assert_int_equal(last()->seg.wnd, TCP_RCVBUF_SIZE);
	cli_send(ts, &c, "\r\n");
	assert_payload(last(), "250 ok\r\n");
	c.rcv += 8;

	/* again, and the client fills the rest of the window before it
	 * acknowledges anything */
	ncap = 0;
	send_replies_and_held_tail(ts, &c, in, tail);
	uint32_t acked = c.rcv;
	take_replies(&c);
	uint32_t rcv = c.rcv;
	c.rcv = acked;
	cli_send_n(ts, &c, in + 28 * lines, TCP_RCVBUF_SIZE - tail);
	advance(ts, 40);
	assert_int_equal(last()->seg.wnd, 0);
	assert_int_equal(last()->seg.ack, c.snd);
	/* its zero-window probe acknowledges the replies: the held bytes are
	 * read and the ACK to the probe offers the whole window */
	c.rcv = rcv;
	ncap = 0;
	assert_int_equal(send_seg(ts, &c, c.snd, TCP_ACK, "x", 0), 0);
	assert_int_equal(ncap, 1);
	assert_int_equal(last()->seg.len, 0);
	assert_int_equal(last()->seg.ack, c.snd); /* the probe byte not taken */
	assert_int_equal(last()->seg.wnd, TCP_RCVBUF_SIZE);
	assert_int_equal(ctr[RG_C_TCP_REXMT], 0);
	assert_int_equal(ctr[RG_C_TCP_BACKPRESSURE], 0);
	tcp_stack_destroy(ts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_handshake_and_reply),
		cmocka_unit_test(test_client_seq_wraparound),
		cmocka_unit_test(test_syn_retransmitted),
		cmocka_unit_test(test_lost_final_ack),
		cmocka_unit_test(test_synrcvd_gives_up),
		cmocka_unit_test(test_early_talker),
		cmocka_unit_test(test_out_of_order_and_overlap),
		cmocka_unit_test(test_rst_rules),
		cmocka_unit_test(test_ack_rules),
		cmocka_unit_test(test_challenge_ack_limit),
		cmocka_unit_test(test_retransmit_backoff_and_limit),
		cmocka_unit_test(test_rto_from_rtt),
		cmocka_unit_test(test_mss_honoured),
		cmocka_unit_test(test_zero_window),
		cmocka_unit_test(test_passive_close),
		cmocka_unit_test(test_fin_retransmitted_after_loss),
		cmocka_unit_test(test_active_close_fallback),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_syn_cookies),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_addr_v4_mapped),
		cmocka_unit_test(test_ipv6_session),
		cmocka_unit_test(test_ipv6_per_source_64),
		cmocka_unit_test(test_peer_sessions),
		cmocka_unit_test(test_ipv6_cookie),
		cmocka_unit_test(test_cookie_other_worker),
		cmocka_unit_test(test_pass_unknown),
		cmocka_unit_test(test_pass_synrcvd),
		cmocka_unit_test(test_unknown_and_closed_port),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_buffer_cap),
		cmocka_unit_test(test_session_resume),
		cmocka_unit_test(test_pipelined_input_held),
		cmocka_unit_test(test_receive_window_zero),
		cmocka_unit_test(test_fin_behind_held_input),
		cmocka_unit_test(test_receive_window_update),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
