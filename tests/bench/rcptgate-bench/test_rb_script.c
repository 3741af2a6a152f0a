/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_rb_script - unit tests of rcptgate-bench's SMTP client script
 * DESCRIPTION
 *	Plays the server by hand against rb_sess_input(): the commands the
 *	client sends after each reply, the wrong-reply count, replies cut
 *	at any byte, garbage and surplus replies, DATA with and without
 *	354, STARTTLS (the 220 hands over to the transport, nothing may
 *	follow it in plaintext, a 4xx goes on in plaintext), and the
 *	latency histogram's quantiles.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bench.h"

static struct rb_opts
opts(enum rb_scenario sc, unsigned rcpts, unsigned valid, bool pipe)
{
	struct rb_opts o = { .scenario = sc,
			     .rcpts = rcpts,
			     .valid_pct = valid,
			     .pipelining = pipe,
			     .users = 1000,
			     .domain = "example.com",
			     .data_code = 250,
			     .seed = 7 };
	return o;
}

/* Feed TEXT; return what the client sends (NUL-terminated in OUT). */
static int
feed(const struct rb_opts *o, struct rb_sess *s, struct rb_stats *st, const char *text, char *out)
{
	int n = rb_sess_input(o, s, (const uint8_t *)text, strlen(text), st, out, RB_OUT_MAX);
	if (n >= 0)
		out[n] = '\0';
	return n;
}

/* Start session ID and answer banner and EHLO; OUT holds what follows. */
static int
greet(const struct rb_opts *o, struct rb_sess *s, struct rb_stats *st, uint32_t id, char *out)
{
	rb_sess_start(o, s, id);
	feed(o, s, st, "220 hi\r\n", out);
	return feed(o, s, st, "250 hi\r\n", out);
}

static unsigned
count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void
test_reject_session(void **state)
{
	(void)state;
	struct rb_opts o = opts(RB_SC_REJECT, 1, 0, false);
	struct rb_sess s;
	struct rb_stats st = { 0 };
	char out[RB_OUT_MAX + 1];

	rb_sess_start(&o, &s, 42);
	assert_int_equal(feed(&o, &s, &st, "220 mx.example ESMTP\r\n", out), 20);
	assert_string_equal(out, "EHLO bench.example\r\n");
	assert_true(feed(&o, &s, &st, "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n", out) > 0);
	assert_string_equal(out, "MAIL FROM:<bench@client.example>\r\n");
	assert_true(feed(&o, &s, &st, "250 2.1.0 Ok\r\n", out) > 0);
	assert_memory_equal(out, "RCPT TO:<nouser", 15);
	assert_non_null(strstr(out, "@example.com>\r\n"));
	assert_true(feed(&o, &s, &st, "550 5.1.1 <x>: Recipient address rejected\r\n", out) > 0);
	assert_string_equal(out, "QUIT\r\n");
	assert_int_equal(s.flags & RB_SF_DONE, 0);
	assert_int_equal(feed(&o, &s, &st, "221 2.0.0 Bye\r\n", out), 0);
	assert_int_not_equal(s.flags & RB_SF_DONE, 0);
	assert_int_equal(st.wrong, 0);
	assert_int_equal(st.rcpts, 1);
	assert_int_equal(st.rcpt_valid, 0);
	/* Anything after 221 is a protocol error. */
	assert_int_equal(feed(&o, &s, &st, "250 Ok\r\n", out), -EPROTO);
}

static void
test_wrong_replies_counted(void **state)
{
	(void)state;
	struct rb_opts o = opts(RB_SC_REJECT, 1, 0, false);
	struct rb_sess s;
	struct rb_stats st = { 0 };
	char out[RB_OUT_MAX + 1];

	greet(&o, &s, &st, 1, out);
	feed(&o, &s, &st, "250 ok\r\n", out);
	feed(&o, &s, &st, "250 2.1.5 Ok\r\n", out); /* an unknown user accepted */
	assert_int_equal(st.wrong, 1);
	feed(&o, &s, &st, "421 bye\r\n", out); /* QUIT not answered with 221 */
	assert_int_equal(st.wrong, 2);
}

/* Every recipient valid, pipelined: one group after EHLO, all "user". */
static void
test_pipelined_group(void **state)
{
	(void)state;
	struct rb_opts o = opts(RB_SC_DICT, 100, 100, true);
	struct rb_sess s;
	struct rb_stats st = { 0 };
	char out[RB_OUT_MAX + 1];

	assert_true(greet(&o, &s, &st, 9, out) > 0);
	assert_int_equal(count(out, "MAIL FROM:"), 1);
	assert_int_equal(count(out, "RCPT TO:<user"), 100);
	assert_int_equal(count(out, "nouser"), 0);
	assert_non_null(strstr(out, "QUIT\r\n"));
	/* Replies in one segment, cut at every byte: same outcome. */
	char replies[8192];
	size_t n = 0;
	n += (size_t)snprintf(replies + n, sizeof(replies) - n, "250 2.1.0 Ok\r\n");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(replies + n, sizeof(replies) - n, "250 2.1.5 Ok\r\n");
	n += (size_t)snprintf(replies + n, sizeof(replies) - n, "221 2.0.0 Bye\r\n");
	for (size_t i = 0; i < n; i++)
		assert_int_equal(rb_sess_input(&o, &s, (const uint8_t *)replies + i, 1, &st, out, RB_OUT_MAX),
				 0);
	assert_int_not_equal(s.flags & RB_SF_DONE, 0);
	assert_int_equal(st.rcpts, 100);
	assert_int_equal(st.rcpt_valid, 100);
	assert_int_equal(st.wrong, 0);
}

/* The valid share is drawn per recipient: close to the asked share. */
static void
test_valid_share(void **state)
{
	(void)state;
	struct rb_opts o = opts(RB_SC_DICT, 100, 30, true);
	struct rb_sess s;
	struct rb_stats st = { 0 };
	char out[RB_OUT_MAX + 1];
	unsigned valid = 0;

	for (uint32_t id = 0; id < 100; id++) {
		greet(&o, &s, &st, id, out);
		valid += count(out, "RCPT TO:<user");
	}
	assert_in_range(valid, 2700, 3300);
}

static void
test_data(void **state)
{
	(void)state;
	struct rb_opts o = opts(RB_SC_MIXED, 2, 0, true);
	struct rb_sess s;
	struct rb_stats st = { 0 };
	char out[RB_OUT_MAX + 1];

	o.data_pct = 100;
	greet(&o, &s, &st, 3, out);
	assert_int_not_equal(s.flags & RB_SF_DATA, 0);
	/* The first recipient of a DATA session is always valid. */
	assert_non_null(strstr(out, "RCPT TO:<user"));
	assert_non_null(strstr(out, "DATA\r\n"));
	assert_null(strstr(out, "QUIT"));
	assert_true(feed(&o, &s, &st, "250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n", out) > 0);
	assert_non_null(strstr(out, "\r\n.\r\n"));
	assert_true(feed(&o, &s, &st, "250 queued\r\n", out) > 0);
	assert_string_equal(out, "QUIT\r\n");
	feed(&o, &s, &st, "221 bye\r\n", out);
	assert_int_not_equal(s.flags & RB_SF_DONE, 0);
	assert_int_equal(st.wrong, 0);
	assert_int_equal(st.data, 1);

	/* DATA refused: the message is not sent, QUIT follows. */
	greet(&o, &s, &st, 3, out);
	assert_true(feed(&o, &s, &st, "250 ok\r\n250 ok\r\n550 no\r\n554 no\r\n", out) > 0);
	assert_string_equal(out, "QUIT\r\n");
	feed(&o, &s, &st, "221 bye\r\n", out);
	assert_int_not_equal(s.flags & RB_SF_DONE, 0);
	assert_int_equal(st.wrong, 1);
}

static void
test_garbage(void **state)
{
	(void)state;
	struct rb_opts o = opts(RB_SC_REJECT, 1, 0, false);
	struct rb_sess s;
	struct rb_stats st = { 0 };
	char out[RB_OUT_MAX + 1];

	rb_sess_start(&o, &s, 1);
	assert_int_equal(feed(&o, &s, &st, "HTTP/1.0 200 OK\r\n", out), -EPROTO);
	rb_sess_start(&o, &s, 1);
	assert_int_equal(feed(&o, &s, &st, "22\r\n", out), -EPROTO);
}

/* EHLO, STARTTLS, the handshake, EHLO again, then the reject session. */
static void
test_starttls_session(void **state)
{
	(void)state;
	struct rb_opts o = opts(RB_SC_REJECT, 1, 0, false);
	struct rb_sess s;
	struct rb_stats st = { 0 };
	char out[RB_OUT_MAX + 1];

	o.tls_pct = 100;
	rb_sess_start(&o, &s, 5);
	assert_int_not_equal(s.flags & RB_SF_STARTTLS, 0);
	assert_int_equal(feed(&o, &s, &st, "220 mx ESMTP\r\n", out), 20);
	assert_string_equal(out, "EHLO bench.example\r\n");
	/* Not waiting for a handshake yet. */
	assert_int_equal(rb_sess_tls_done(&o, &s, out, RB_OUT_MAX), -EPROTO);
	assert_true(feed(&o, &s, &st, "250-mx\r\n250-STARTTLS\r\n250 8BITMIME\r\n", out) > 0);
	assert_string_equal(out, "STARTTLS\r\n");
	/* The 220: nothing to send, the transport's turn. */
	assert_int_equal(feed(&o, &s, &st, "220 2.0.0 Ready to start TLS\r\n", out), 0);
	assert_int_not_equal(s.flags & RB_SF_TLS, 0);
	assert_int_equal(rb_sess_tls_done(&o, &s, out, RB_OUT_MAX), 20);
	out[20] = '\0';
	assert_string_equal(out, "EHLO bench.example\r\n");
	assert_true(feed(&o, &s, &st, "250-mx\r\n250 8BITMIME\r\n", out) > 0);
	assert_string_equal(out, "MAIL FROM:<bench@client.example>\r\n");
	assert_true(feed(&o, &s, &st, "250 2.1.0 Ok\r\n", out) > 0);
	assert_memory_equal(out, "RCPT TO:<nouser", 15);
	assert_true(feed(&o, &s, &st, "550 5.1.1 no\r\n", out) > 0);
	assert_string_equal(out, "QUIT\r\n");
	assert_int_equal(feed(&o, &s, &st, "221 2.0.0 Bye\r\n", out), 0);
	assert_int_not_equal(s.flags & RB_SF_DONE, 0);
	assert_int_equal(st.wrong, 0);
	assert_int_equal(st.rcpts, 1);
	assert_int_equal(st.tls_sessions, 1);
	assert_int_equal(st.tls_refused, 0);
}

/* Pipelining: nothing behind STARTTLS; the whole group after the second EHLO. */
static void
test_starttls_pipelined(void **state)
{
	(void)state;
	struct rb_opts o = opts(RB_SC_DICT, 10, 0, true);
	struct rb_sess s;
	struct rb_stats st = { 0 };
	char out[RB_OUT_MAX + 1];

	o.tls_pct = 100;
	greet(&o, &s, &st, 8, out);
	assert_string_equal(out, "STARTTLS\r\n");
	assert_int_equal(feed(&o, &s, &st, "220 go\r\n", out), 0);
	assert_int_equal(rb_sess_tls_done(&o, &s, out, RB_OUT_MAX), 20);
	assert_true(feed(&o, &s, &st, "250 mx\r\n", out) > 0);
	assert_int_equal(count(out, "MAIL FROM:"), 1);
	assert_int_equal(count(out, "RCPT TO:<nouser"), 10);
	assert_non_null(strstr(out, "QUIT\r\n"));
	char replies[512];
	size_t n = (size_t)snprintf(replies, sizeof(replies), "250 Ok\r\n");
	for (int i = 0; i < 10; i++)
		n += (size_t)snprintf(replies + n, sizeof(replies) - n, "550 5.1.1 no\r\n");
	snprintf(replies + n, sizeof(replies) - n, "221 Bye\r\n");
	assert_int_equal(feed(&o, &s, &st, replies, out), 0);
	assert_int_not_equal(s.flags & RB_SF_DONE, 0);
	assert_int_equal(st.wrong, 0);
	assert_int_equal(st.rcpts, 10);
	assert_int_equal(st.tls_sessions, 1);
}

/* Bytes behind the 220 before the handshake; a 4xx; a 5xx. */
static void
test_starttls_refused(void **state)
{
	(void)state;
	struct rb_opts o = opts(RB_SC_REJECT, 1, 0, false);
	struct rb_sess s;
	struct rb_stats st = { 0 };
	char out[RB_OUT_MAX + 1];

	o.tls_pct = 100;
	greet(&o, &s, &st, 2, out);
	assert_int_equal(feed(&o, &s, &st, "220 go\r\n250 x\r\n", out), -EPROTO);

	/* Shed (454): counted, not wrong; the session goes on in plaintext. */
	greet(&o, &s, &st, 2, out);
	assert_int_equal(feed(&o, &s, &st, "454 4.7.0 TLS not available due to local problem\r\n", out), 20);
	assert_string_equal(out, "EHLO bench.example\r\n");
	assert_int_equal(s.flags & RB_SF_TLS, 0);
	assert_int_equal(st.tls_refused, 1);
	assert_int_equal(st.wrong, 0);
	feed(&o, &s, &st, "250 mx\r\n", out);
	feed(&o, &s, &st, "250 ok\r\n", out);
	feed(&o, &s, &st, "550 no\r\n", out);
	feed(&o, &s, &st, "221 bye\r\n", out);
	assert_int_not_equal(s.flags & RB_SF_DONE, 0);
	assert_int_equal(st.wrong, 0);
	assert_int_equal(st.tls_sessions, 0);

	/* Not offered at all (502): a wrong reply. */
	greet(&o, &s, &st, 2, out);
	feed(&o, &s, &st, "502 5.5.1 no\r\n", out);
	assert_int_equal(st.wrong, 1);
	assert_int_equal(st.tls_refused, 1);
}

/* --tls=PCT and --tls-flood PCT: the shares of sessions. */
static void
test_starttls_share(void **state)
{
	(void)state;
	struct rb_opts o = opts(RB_SC_REJECT, 1, 0, false);
	struct rb_sess s;
	unsigned tls = 0;

	for (uint32_t id = 0; id < 1000; id++) {
		rb_sess_start(&o, &s, id);
		assert_int_equal(s.flags & RB_SF_STARTTLS, 0);
	}
	o.tls_pct = 30;
	for (uint32_t id = 0; id < 1000; id++) {
		rb_sess_start(&o, &s, id);
		tls += (s.flags & RB_SF_STARTTLS) != 0;
	}
	assert_in_range(tls, 250, 350);
	/* --tls-flood: its own share, on top, and always with STARTTLS. */
	o.flood_pct = 20;
	unsigned flood = 0;
	tls = 0;
	for (uint32_t id = 0; id < 1000; id++) {
		rb_sess_start(&o, &s, id);
		flood += (s.flags & RB_SF_FLOOD) != 0;
		tls += (s.flags & (RB_SF_STARTTLS | RB_SF_FLOOD)) == RB_SF_STARTTLS;
		if (s.flags & RB_SF_FLOOD)
			assert_int_not_equal(s.flags & RB_SF_STARTTLS, 0);
	}
	assert_in_range(flood, 150, 250);
	assert_in_range(tls, 250, 350);
}

static void
test_histogram(void **state)
{
	(void)state;
	static struct rb_hist h;

	for (uint64_t us = 1; us <= 1000; us++)
		rb_hist_add(&h, us * 1000);
	assert_in_range(rb_hist_quantile(&h, 0.5), 480000, 520000);
	assert_in_range(rb_hist_quantile(&h, 0.99), 950000, 1000000);
	assert_int_equal(h.max, 1000000);
	assert_int_equal(rb_hist_quantile(&(struct rb_hist){ 0 }, 0.5), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reject_session),
		cmocka_unit_test(test_wrong_replies_counted),
		cmocka_unit_test(test_pipelined_group),
		cmocka_unit_test(test_valid_share),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_starttls_session),
		cmocka_unit_test(test_starttls_pipelined),
		cmocka_unit_test(test_starttls_refused),
		cmocka_unit_test(test_starttls_share),
		cmocka_unit_test(test_histogram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
