/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	bench_smtp - cost of one RCPT command in the SMTP engine
 * DESCRIPTION
 *	bench_smtp [ADDRESSES [COMMANDS]]
 *
 *	Builds a table of ADDRESSES (default 1,000,000) addresses, then
 *	feeds COMMANDS (default 2,000,000) pipelined "RCPT TO:<...>" lines
 *	through smtp_session_input() in 1,400-byte chunks (one TCP segment
 *	each) and reports the nanoseconds per command: line cutting, parse,
 *	normalisation, table lookup, reply and counters (and, for unknown
 *	recipients, the rate-limited log with a sink that drops the line).
 *	Three mixes: all listed, all unknown, half and half; the addresses
 *	are taken in a random order so the table is read like in real
 *	traffic, not from the cache.
 * DIAGNOSTICS
 *	Exits 1 when the table cannot be built or a reply is not the one
 *	expected (a benchmark of a broken engine measures nothing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../unit/smtp_harness.h"

#define CHUNK 1400
#define SESSION_RCPTS 50000 /* a new session after this many RCPTs */

static void
drop_log(void *arg, const char *line)
{
	(void)arg;
	(void)line;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t
rnd64(uint64_t *x)
{
	/* xorshift64*: a fixed, repeatable order */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ull;
}

static void
start_session(struct smtp_session *s, struct sh *h, struct smtp_out *o)
{
	static const char hello[] = "EHLO bench.example\r\nMAIL FROM:<bench@remote.example>\r\n";
	size_t used;

	smtp_session_init(s, &h->ctx, "192.0.2.55");
	o->len = 0;
	if (smtp_session_input(s, (const uint8_t *)hello, sizeof(hello) - 1, &used, o) != SMTP_OK ||
	    used != sizeof(hello) - 1) {
		fprintf(stderr, "bench_smtp: session start failed\n");
		exit(1);
	}
	o->len = 0;
}

/* Feed COMMANDS[0..LEN) (N commands) and return ns per command. */
static double
run(struct sh *h, const char *cmds, size_t len, size_t n, uint64_t expect_ok)
{
	struct smtp_session s;
	static char ob[1 << 16];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	size_t pos = 0, in_session = 0;
	uint64_t ok0 = h->ctr[RG_C_SMTP_RCPT_ACCEPT];

	start_session(&s, h, &o);
	double t0 = now_ns();
	while (pos < len) {
		size_t m = len - pos < CHUNK ? len - pos : CHUNK, used;
		if (smtp_session_input(&s, (const uint8_t *)cmds + pos, m, &used, &o) != SMTP_OK) {
			fprintf(stderr, "bench_smtp: session ended: %.*s\n", (int)o.len, ob);
			exit(1);
		}
		pos += used;
		in_session += used / 32; /* about 32 bytes a command */
		if (o.len > sizeof(ob) - 4096)
			o.len = 0;
		if (in_session > SESSION_RCPTS && s.line_len == 0) {
			smtp_session_fini(&s);
			start_session(&s, h, &o);
			in_session = 0;
		}
	}
	double t1 = now_ns();
	smtp_session_fini(&s);
	if (h->ctr[RG_C_SMTP_RCPT_ACCEPT] - ok0 != expect_ok) {
		fprintf(stderr, "bench_smtp: %llu accepted, expected %llu\n",
			(unsigned long long)(h->ctr[RG_C_SMTP_RCPT_ACCEPT] - ok0),
			(unsigned long long)expect_ok);
		exit(1);
	}
	return (t1 - t0) / (double)n;
}

int
main(int argc, char **argv)
{
	size_t naddr = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	size_t ncmd = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000;
	size_t tsize = naddr * 32 + 1;
	char *table = malloc(tsize), *cmds = malloc(ncmd * 48);
	struct sh h;
	size_t o = 0;

	if (table == NULL || cmds == NULL || naddr == 0)
		return 1;
	for (size_t i = 0; i < naddr; i++)
		o += (size_t)snprintf(table + o, tsize - o, "user%zu@example.com\n", i);
	double b0 = now_ns();
	if (sh_init(&h, "smtpd_hard_error_limit = 100000\nsmtpd_recipient_limit = 100000\n", table) < 0)
		return 1;
	double b1 = now_ns();
	h.ctx.log = drop_log;
	printf("table: %zu addresses built in %.2f s\n", naddr, (b1 - b0) / 1e9);

	static const char *const mixes[] = { "listed", "unknown", "half" };
	for (int mix = 0; mix < 3; mix++) {
		uint64_t x = 0x9e3779b97f4a7c15ull, ok = 0;
		size_t len = 0;
		for (size_t i = 0; i < ncmd; i++) {
			size_t u = (size_t)(rnd64(&x) % naddr);
			bool known = mix == 0 || (mix == 2 && (i & 1));
			len += (size_t)sprintf(cmds + len, "RCPT TO:<%s%zu@example.com>\r\n",
					       known ? "user" : "nobody", u);
			ok += known;
		}
		double ns = run(&h, cmds, len, ncmd, ok);
		printf("rcpt %-8s %.1f ns/command (%zu commands)\n", mixes[mix], ns, ncmd);
	}
	sh_fini(&h);
	free(table);
	free(cmds);
	return 0;
}
