/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	bench_tcp - TSC cycles per segment and per session of the TCP core
 * SYNOPSIS
 *	bench_tcp [SESSIONS [CONCURRENT]]
 * DESCRIPTION
 *	Plays CONCURRENT clients (default 200) through SESSIONS (default
 *	200,000) short SMTP sessions, segment for segment as the Linux
 *	kernel sends them: SYN; ACK; EHLO; MAIL; RCPT (known); RCPT
 *	(unknown); QUIT; FIN; the ACK of our FIN. Each client's next
 *	segment goes in after the others' (round robin), so the connection
 *	table holds CONCURRENT connections, as under load.
 *
 *	Two applications on top: "tcp" is a stub that greets and answers
 *	each line with a fixed reply (the cost of TCP alone), "tcp+smtp" is
 *	the real SMTP engine with no recipient table (451 4.3.0 for RCPT).
 *	Cycles are read with rdtsc around tcp_input() and tcp_timer_run()
 *	only; segment building by the fake clients is outside. Prints
 *	cycles per session and per segment (received + sent); the figure is
 *	the best of 5 rounds (the machine is shared).
 *
 *	Then an A/B of the client limits (anvil.h) on rejected sessions:
 *	the engine with a one-address table, so each session's unknown
 *	RCPT gets its 550 5.1.1 (a non-null sender: the dictionary count
 *	runs) four ways: without limits, twice (two engines of their own:
 *	the second says how far two identical sides differ on this
 *	machine), with the default ones (the count limit at 50: the TCP
 *	stack's count, no table) and with every limit on (the rate limits and
 *	dictionary_block_limit too, set too high to be reached, so every
 *	side serves the same sessions). Rounds alternate over the four, 5
 *	each; prints the median cycles per session of each side (with the
 *	range) and each against off.
 * DIAGNOSTICS
 *	Exits 1 if a session did not end as expected (a reply missing or the
 *	connection not freed, or in the A/B a recipient not rejected).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <rcptgate/counters.h>

#include "config.h"
#include "table/tbl.h"
#include "tcp/tcp.h"
#include "tcp/tcp_smtp.h"

#define SERVER 0x0100000au
#define MAXC 4096
#define STEP_IDLE 100

struct fake {
	uint16_t port;
	uint32_t snd, rcv; /* client's next seq, next expected from server */
	int step;
};

static struct fake cli[MAXC];
static uint64_t segs_out;

static int
xmit(void *arg, const struct tcp_seg *s)
{
	(void)arg;
	struct fake *c = &cli[s->dport - 10000];
	uint32_t end = s->seq + s->len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);

	if ((int32_t)(end - c->rcv) > 0 || (s->flags & TCP_SYN))
		c->rcv = end;
	segs_out++;
	return 0;
}

static int
stub_open(void *arg, void *sess, struct tcp_addr peer, uint32_t peer_sessions, struct tcp_out *out)
{
	(void)arg;
	(void)sess;
	(void)peer;
	(void)peer_sessions;
	memcpy(out->buf + out->len, "220 mx ESMTP\r\n", 14);
	out->len += 14;
	return TCP_APP_OK;
}

static int
stub_input(void *arg, void *sess, const uint8_t *data, size_t len, size_t *consumed, struct tcp_out *out)
{
	(void)arg;
	(void)sess;
	*consumed = len;
	if (len >= 6 && memcmp(data, "QUIT\r\n", 6) == 0) {
		memcpy(out->buf + out->len, "221 bye\r\n", 9);
		out->len += 9;
		return TCP_APP_CLOSE;
	}
	memcpy(out->buf + out->len, "250 ok\r\n", 8);
	out->len += 8;
	return TCP_APP_OK;
}

static int
stub_timeout(void *arg, void *sess, struct tcp_out *out)
{
	(void)arg;
	(void)sess;
	(void)out;
	return TCP_APP_CLOSE;
}

static void
stub_close(void *arg, void *sess)
{
	(void)arg;
	(void)sess;
}

static const char *const lines[] = {
	"EHLO client.example\r\n",
	"MAIL FROM:<a@b.example>\r\n",
	"RCPT TO:<alice@test.example>\r\n",
	"RCPT TO:<nobody@test.example>\r\n",
	"QUIT\r\n",
};

/* The next segment of client C; returns 0 when its session is over. */
static int
next_seg(struct fake *c, struct tcp_seg *s, unsigned idx, uint32_t gen)
{
	memset(s, 0, sizeof(*s));
	s->saddr = tcp_addr_from_v4(0x0200000au + (idx << 8));
	s->daddr = tcp_addr_from_v4(SERVER);
	s->sport = c->port;
	s->dport = 25;
	s->wnd = 64240;
	s->flags = TCP_ACK;
	s->seq = c->snd;
	s->ack = c->rcv;
	switch (c->step) {
	case 0:
		c->snd = gen * 7919u + idx * 104729u;
		s->seq = c->snd;
		s->flags = TCP_SYN;
		s->mss = 1460;
		s->ack = 0;
		c->snd++;
		break;
	case 1:
		break;
	case 2:
	case 3:
	case 4:
	case 5:
	case 6:
		s->data = (const uint8_t *)lines[c->step - 2];
		s->len = (uint32_t)strlen(lines[c->step - 2]);
		s->flags |= TCP_PSH;
		c->snd += s->len;
		break;
	case 7:
		s->flags |= TCP_FIN;
		c->snd++;
		break;
	case 8:
		break;
	default:
		return 0;
	}
	c->step++;
	return 1;
}

static uint64_t ctr[RG_C_MAX];

/* Reject log lines are formatted (that is part of the cost) and dropped. */
static void
log_drop(void *arg, const char *line)
{
	(void)arg;
	(void)line;
}

static int
round_run(const struct tcp_app *app, unsigned sessions, unsigned conc, uint64_t *cycles, uint64_t *segs)
{
	struct tcp_params p;
	struct rg_config cfg;
	const uint64_t secret[2] = { 3, 4 };
	struct tcp_tx tx = { .xmit = xmit };
	struct tcp_stack *ts;

	cfg_defaults(&cfg);
	cfg.listen_addr.s_addr = SERVER;
	cfg.max_connections = conc * 2;
	cfg.tcp_buffer_limit = (uint64_t)conc * 2 * TCP_SNDBUF_SIZE * 2;
	tcp_params_from_config(&p, &cfg, 1, secret);
	memset(ctr, 0, sizeof(ctr));
	if (tcp_stack_create(&p, app, &tx, ctr, &ts) != 0)
		return -1;
	segs_out = 0;
	uint64_t now = 1000, in = 0, cyc = 0;
	unsigned started = 0, done = 0;
	uint32_t gen = 0;
	tcp_timer_run(ts, now);
	for (unsigned i = 0; i < conc; i++) {
		memset(&cli[i], 0, sizeof(cli[i]));
		cli[i].port = (uint16_t)(10000 + i);
		started++;
	}
	while (done < sessions) {
		for (unsigned i = 0; i < conc; i++) {
			struct tcp_seg s;
			struct fake *c = &cli[i];
			if (c->step == STEP_IDLE)
				continue;
			if (!next_seg(c, &s, i, gen)) {
				done++;
				if (started >= sessions) {
					c->step = STEP_IDLE;
					continue;
				}
				started++;
				gen++;
				c->step = 0;
				next_seg(c, &s, i, gen);
			}
			uint64_t t0 = __rdtsc();
			tcp_input(ts, &s, now);
			cyc += __rdtsc() - t0;
			in++;
		}
		now++;
		uint64_t t0 = __rdtsc();
		tcp_timer_run(ts, now);
		cyc += __rdtsc() - t0;
	}
	int bad = tcp_stack_conns(ts) != 0 || ctr[RG_C_TCP_ESTABLISHED] != sessions ||
		ctr[RG_C_TCP_PASSIVE_CLOSES] != sessions;
	if (bad)
		fprintf(stderr, "bench_tcp: conns %u established %" PRIu64 " passive closes %" PRIu64 "\n",
			tcp_stack_conns(ts), ctr[RG_C_TCP_ESTABLISHED], ctr[RG_C_TCP_PASSIVE_CLOSES]);
	tcp_stack_destroy(ts);
	*cycles = cyc;
	*segs = in + segs_out;
	return bad ? -1 : 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The table of the A/B: alice@test.example only. */
static struct tbl *
ab_table(void **image)
{
	static const char line[] = "alice@test.example";
	struct tbl_builder *b = tbl_builder_new(0);
	struct tbl *t = NULL;
	char err[256];
	size_t len;

	if (b == NULL || tbl_builder_add_line(b, line, sizeof(line) - 1, err, sizeof(err)) != 0 ||
	    tbl_builder_finish(b, image, &len, err, sizeof(err)) != 0 ||
	    tbl_open_buffer(*image, len, &t, err, sizeof(err)) != 0)
		t = NULL;
	tbl_builder_free(b);
	return t;
}

/* Rejected sessions, limits off (twice), at their defaults and all on, alternating; medians of 5 each. */
static int
limits_ab(const struct rg_config *base, unsigned sessions, unsigned conc)
{
	enum { ROUNDS = 5, SIDES = 4 };
	static const char *const side[SIDES] = { "off", "off (A/A)", "defaults", "all on" };
	void *image = NULL;
	struct tbl *t = ab_table(&image);
	const struct tbl *table = t;
	struct rg_config cfg[SIDES];
	struct tcp_smtp sm[SIDES];
	struct tcp_app app[SIDES];
	uint64_t cyc[SIDES][ROUNDS];
	int rc = 0;

	if (t == NULL)
		return -1;
	for (unsigned a = 0; a < SIDES; a++) {
		cfg[a] = *base;
		snprintf(cfg[a].relay_domains[0], sizeof(cfg[a].relay_domains[0]), "test.example");
		cfg[a].n_relay_domains = 1;
		if (a < 2) /* off: not even the count limit, which needs no table */
			cfg[a].client_conn_limit = 0;
		if (a == 3) { /* on, never reached */
			cfg[a].client_conn_rate_limit = 1000000;
			cfg[a].client_rcpt_rate_limit = 1000000;
			cfg[a].dict_block_limit = 1000000;
		}
		if (tcp_smtp_init(&sm[a], &cfg[a], &table, ctr, conc * 4, &app[a]) != 0 ||
		    (a > 1 && tcp_smtp_limits(&sm[a], 1, 7, NULL, NULL) != 0))
			return -1;
		sm[a].ctx.log = log_drop;
	}
	for (unsigned r = 0; r < ROUNDS && rc == 0; r++)
		for (unsigned a = 0; a < SIDES && rc == 0; a++) {
			uint64_t segs;

			rc = round_run(&app[a], sessions, conc, &cyc[a][r], &segs);
			if (rc == 0 && ctr[RG_C_SMTP_RCPT_UNKNOWN] != sessions) {
				fprintf(stderr, "bench_tcp: %" PRIu64 " of %u sessions rejected\n",
					ctr[RG_C_SMTP_RCPT_UNKNOWN], sessions);
				rc = -1;
			}
		}
	for (unsigned a = 0; a < SIDES && rc == 0; a++)
		qsort(cyc[a], ROUNDS, sizeof(cyc[a][0]), cmp_u64);
	if (rc == 0)
		printf("reject sessions (550), client limits alternating, medians of %d:\n", ROUNDS);
	for (unsigned a = 0; a < SIDES && rc == 0; a++)
		printf("limits %-9s %7.0f cycles/session (%.0f-%.0f) %.3f of off\n", side[a],
		       (double)cyc[a][ROUNDS / 2] / sessions, (double)cyc[a][0] / sessions,
		       (double)cyc[a][ROUNDS - 1] / sessions,
		       (double)cyc[a][ROUNDS / 2] / (double)cyc[0][ROUNDS / 2]);
	for (unsigned a = 0; a < SIDES; a++)
		tcp_smtp_fini(&sm[a]);
	tbl_close(t);
	free(image);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned sessions = argc > 1 ? (unsigned)atoi(argv[1]) : 200000;
	unsigned conc = argc > 2 ? (unsigned)atoi(argv[2]) : 200;
	static const struct tbl *no_table;
	struct rg_config cfg;
	struct tcp_smtp sm;
	struct tcp_app smtp_app;
	const struct tcp_app stub = {
		.session_size = 8,
		.out_reserve = 64,
		.open = stub_open,
		.input = stub_input,
		.timeout = stub_timeout,
		.close = stub_close,
	};

	if (conc == 0 || conc > MAXC || sessions < conc) {
		fprintf(stderr, "usage: bench_tcp [SESSIONS [CONCURRENT <= %d]]\n", MAXC);
		return 2;
	}
	cfg_defaults(&cfg);
	snprintf(cfg.myhostname, sizeof(cfg.myhostname), "mx.test.example");
	if (tcp_smtp_init(&sm, &cfg, &no_table, ctr, conc * 4, &smtp_app) != 0)
		return 1;
	sm.ctx.log = log_drop;
	const struct {
		const char *name;
		const struct tcp_app *app;
	} apps[] = {
		{ "tcp", &stub },
		{ "tcp+smtp", &smtp_app },
	};
	printf("%u sessions, %u concurrent, best of 5 rounds\n", sessions, conc);
	for (unsigned a = 0; a < 2; a++) {
		uint64_t best = UINT64_MAX, segs = 0;
		for (int r = 0; r < 5; r++) {
			uint64_t cyc, n;
			if (round_run(apps[a].app, sessions, conc, &cyc, &n) != 0)
				return 1;
			if (cyc < best) {
				best = cyc;
				segs = n;
			}
		}
		printf("%-9s %7.0f cycles/session %6.0f cycles/segment (%.1f segments/session)\n",
		       apps[a].name, (double)best / sessions, (double)best / (double)segs,
		       (double)segs / sessions);
	}
	tcp_smtp_fini(&sm);
	return limits_ab(&cfg, sessions, conc) == 0 ? 0 : 1;
}
