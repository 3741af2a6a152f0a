/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	fuzz_tcp - libFuzzer target: TCP header parser and state machine
 * DESCRIPTION
 *	The input is a list of records, each a segment sent to one stack
 *	with the SMTP engine on top:
 *	    byte 0   bits 0-1: source address (one of 4), bit 7: make the
 *	             ACK field relative to the last byte the stack sent to
 *	             that source (so handshakes and data can complete),
 *	             bit 6: keep the destination port (else 25), bit 5:
 *	             the segment may be handed on (may_pass, as in af_packet
 *	             mode with several workers)
 *	    byte 1   milliseconds to advance the clock (x 16) and run timers
 *	    byte 2   length L of the TCP header and payload that follow
 *	Every segment the stack sends is checked for basic sanity: ports
 *	swapped, payload within the send buffer. Sessions are closed at
 *	the end, and the stack must then hold no connection and no buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/counters.h>

#include "config.h"
#include "tcp/tcp.h"
#include "tcp/tcp_smtp.h"

static uint64_t ctr[RG_C_MAX];
static uint32_t last_end[4]; /* per source: seq just past what we sent */

#define SERVER 0x0100007fu

static int
xmit(void *arg, const struct tcp_seg *s)
{
	(void)arg;
	if ((s->sport != 25 && !(s->flags & TCP_RST)) || s->len > TCP_SNDBUF_SIZE ||
	    (s->len && s->data == NULL))
		abort();
	if (s->len)
		(void)*(volatile const uint8_t *)(s->data + s->len - 1);
	unsigned src = tcp_addr_v4(&s->daddr) & 3;
	last_end[src] = s->seq + s->len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rg_config cfg;
	static const struct tbl *no_table;
	struct tcp_params p;
	struct tcp_smtp sm;
	struct tcp_app app;
	struct tcp_tx tx = { .xmit = xmit };
	struct tcp_stack *ts;
	const uint64_t secret[2] = { 1, 2 };
	uint64_t now = 5000;

	cfg_defaults(&cfg);
	cfg.listen_addr.s_addr = SERVER;
	cfg.max_connections = 16;
	cfg.max_connections_per_source = 3;
	cfg.tcp_syn_backlog = 2;
	cfg.tcp_buffer_limit = 1 << 16;
	cfg.smtpd_timeout = 10;
	if (tcp_params_from_config(&p, &cfg, 1, secret) != 0)
		abort();
	p.n_buffers = 4;
	if (tcp_smtp_init(&sm, &cfg, &no_table, ctr, 8, &app) != 0)
		abort();
	if (tcp_stack_create(&p, &app, &tx, ctr, &ts) != 0)
		abort();
	memset(last_end, 0, sizeof(last_end));
	tcp_timer_run(ts, now);

	while (size >= 3) {
		uint8_t ctl = data[0];
		now += (uint64_t)data[1] * 16;
		size_t len = data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		struct tcp_seg s;
		memset(&s, 0, sizeof(s));
		if (tcp_parse(data, len, &s) == 0) {
			unsigned src = ctl & 3;
			s.saddr = tcp_addr_from_v4(0x0a000000u | src);
			s.daddr = tcp_addr_from_v4(SERVER);
			if (!(ctl & 0x40))
				s.dport = 25;
			s.may_pass = (ctl & 0x20) != 0; /* as a worker that may hand it on */
			if (ctl & 0x80)
				s.ack = last_end[src] + (uint32_t)(int8_t)(s.ack & 0xff);
			tcp_timer_run(ts, now);
			(void)tcp_input(ts, &s, now);
		}
		data += len;
		size -= len;
	}
	/* let every timer run out: all connections must go */
	for (int i = 0; i < 900 && tcp_stack_conns(ts) != 0; i++) {
		now += 1000;
		tcp_timer_run(ts, now);
	}
	if (tcp_stack_conns(ts) != 0 || ctr[RG_C_TCP_BUFFERS_USED] != 0)
		abort();
	tcp_stack_destroy(ts);
	if (sm.n_free != sm.n_lines)
		abort();
	tcp_smtp_fini(&sm);
	memset(ctr, 0, sizeof(ctr));
	return 0;
}
