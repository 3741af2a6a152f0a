/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_relay_be - the backend client against scripted backends
 * DESCRIPTION
 *	Each test plays a backend: it feeds reply bytes to relay_be_input()
 *	and checks, step by step, the commands the client queued (be->out)
 *	and the replies handed to the SMTP client (the reply callback).
 *	Covered: envelope replay, parameter filtering, HELO when EHLO is
 *	refused, XCLIENT, LMTP, the backend's own 4xx/5xx relayed with its
 *	host name scrubbed, refused, lost and timed-out connections, DATA
 *	refused, aborted messages, RSET and reuse, multi-line and malformed
 *	replies.
 * DIAGNOSTICS
 *	cmocka assertions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rcptgate/counters.h>

#include "relay/relay_be.h"

#define MYNAME "gate.example"

struct fx {
	struct relay_be be;
	uint64_t ctr[RG_C_MAX];
	char replies[4096];
	size_t rlen;
	unsigned n_replies;
};

static void
on_reply(void *arg, const char *text, size_t n)
{
	struct fx *f = arg;

	assert_true(n >= 5 && text[n - 2] == '\r' && text[n - 1] == '\n');
	assert_true(f->rlen + n < sizeof(f->replies));
	memcpy(f->replies + f->rlen, text, n);
	f->rlen += n;
	f->replies[f->rlen] = '\0';
	f->n_replies++;
}

static struct fx *
fx_new(enum relay_proto proto)
{
	struct fx *f = test_calloc(1, sizeof(*f));

	relay_be_init(&f->be, proto, MYNAME, "10.77.70.9", on_reply, f, f->ctr);
	return f;
}

/* The backend says S. */
static void
backend(struct fx *f, const char *s)
{
	assert_int_equal(relay_be_input(&f->be, (const uint8_t *)s, strlen(s)), 0);
}

/* The client must have queued exactly S. */
static void
expect_out(struct fx *f, const char *s)
{
	char got[RELAY_OUT_MAX + 1];

	memcpy(got, f->be.out, f->be.out_len);
	got[f->be.out_len] = '\0';
	assert_string_equal(got, s);
	relay_be_out_consume(&f->be, f->be.out_len);
}

/* The SMTP client must have been given exactly S since the last call. */
static void
expect_reply(struct fx *f, const char *s)
{
	assert_string_equal(f->replies, s);
	f->rlen = 0;
	f->replies[0] = '\0';
}

static const struct relay_env env1 = {
	.client_ip = "192.0.2.7",
	.helo = "client.example",
	.esmtp = true,
	.from = "sender@remote.example",
	.params = "SIZE=1234 BODY=8BITMIME",
};

/* Connect, greet, EHLO with EXTS, then the first RCPT up to MAIL. */
static void
handshake(struct fx *f, const char *exts)
{
	assert_int_equal(relay_be_rcpt(&f->be, &env1, "user@example.com", 16), 0);
	expect_out(f, "");
	backend(f, "220 mx.backend.example ESMTP Postfix\r\n");
	expect_out(f, "EHLO " MYNAME "\r\n");
	backend(f, exts);
}

static void
test_envelope_replay(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	handshake(f, "250-mx.backend.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n");
	expect_out(f, "MAIL FROM:<sender@remote.example> SIZE=1234 BODY=8BITMIME\r\n");
	assert_true(relay_be_waiting(&f->be));
	backend(f, "250 2.1.0 Ok\r\n");
	expect_out(f, "RCPT TO:<user@example.com>\r\n");
	assert_int_equal(f->n_replies, 0);
	backend(f, "250 2.1.5 Ok\r\n");
	expect_reply(f, "250 2.1.5 Ok\r\n");

	/* a second recipient: no new MAIL */
	assert_int_equal(relay_be_rcpt(&f->be, NULL, "other@example.com", 17), 0);
	expect_out(f, "RCPT TO:<other@example.com>\r\n");
	backend(f, "250 2.1.5 Ok\r\n");
	expect_reply(f, "250 2.1.5 Ok\r\n");

	assert_int_equal(relay_be_data(&f->be), 0);
	expect_out(f, "DATA\r\n");
	assert_false(relay_be_body_open(&f->be));
	backend(f, "354 End data with <CR><LF>.<CR><LF>\r\n");
	assert_true(relay_be_body_open(&f->be));
	assert_false(relay_be_waiting(&f->be));
	assert_int_equal(relay_be_end(&f->be, true), 0);
	expect_out(f, ".\r\n");
	backend(f, "250 2.0.0 Ok: queued as 4XyZ\r\n");
	expect_reply(f, "250 2.0.0 Ok: queued as 4XyZ\r\n");
	assert_int_equal(f->ctr[RG_C_RELAY_MESSAGES], 1);
	assert_int_equal(f->ctr[RG_C_RELAY_REPLY_2XX], 6);
	assert_int_equal(f->ctr[RG_C_RELAY_REPLY_3XX], 1);
	assert_true(relay_be_reusable(&f->be));
	relay_be_quit(&f->be);
	expect_out(f, "QUIT\r\n");
	test_free(f);
}

static void
test_params_filtered(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	/* no SIZE, no 8BITMIME: the client's parameters are not passed on */
	handshake(f, "250-mx.backend.example\r\n250 PIPELINING\r\n");
	expect_out(f, "MAIL FROM:<sender@remote.example>\r\n");
	test_free(f);
}

static void
test_helo_fallback(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	/* EHLO refused: HELO, and no ESMTP parameter on MAIL */
	handshake(f, "502 5.5.2 Error: command not recognized\r\n");
	expect_out(f, "HELO " MYNAME "\r\n");
	backend(f, "250 mx.backend.example\r\n");
	expect_out(f, "MAIL FROM:<sender@remote.example>\r\n");
	assert_int_equal(f->n_replies, 0);
	test_free(f);

	/* LMTP has no HELO: LHLO refused is a failed connection, a 4xx */
	f = fx_new(RELAY_LMTP);
	assert_int_equal(relay_be_rcpt(&f->be, &env1, "user@example.com", 16), 0);
	backend(f, "220 lmtp.backend.example LMTP\r\n");
	expect_out(f, "LHLO " MYNAME "\r\n");
	const char *r = "500 5.5.1 unknown command\r\n";
	assert_int_equal(relay_be_input(&f->be, (const uint8_t *)r, strlen(r)), -EPROTO);
	expect_out(f, "");
	expect_reply(f, "451 4.4.1 Error: mail system not reachable, try again later\r\n");
	test_free(f);
}

static void
test_xclient_repeats_helo(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);
	struct relay_env env = env1;

	strcpy(env.helo, "client.remote.example");
	assert_int_equal(relay_be_rcpt(&f->be, &env, "user@example.com", 16), 0);
	backend(f, "220 mx.backend.example ESMTP\r\n");
	expect_out(f, "EHLO " MYNAME "\r\n");
	backend(f, "250-mx.backend.example\r\n250 XCLIENT NAME ADDR PROTO HELO\r\n");
	expect_out(f, "XCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE] PROTO=ESMTP HELO=client.remote.example\r\n");
	backend(f, "220 mx.backend.example ESMTP\r\n");
	/* the backend takes the client's own name from this EHLO */
	expect_out(f, "EHLO client.remote.example\r\n");
	test_free(f);
}

static void
test_xclient(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);
	struct relay_env env = env1;

	strcpy(env.helo, "odd name+=x");
	assert_int_equal(relay_be_rcpt(&f->be, &env, "user@example.com", 16), 0);
	backend(f, "220 mx.backend.example ESMTP\r\n");
	expect_out(f, "EHLO " MYNAME "\r\n");
	backend(f, "250-mx.backend.example\r\n250-XCLIENT NAME ADDR PROTO HELO LOGIN\r\n250 8BITMIME\r\n");
	expect_out(f, "XCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE] PROTO=ESMTP HELO=odd+20name+2B+3Dx\r\n");
	backend(f, "220 mx.backend.example ESMTP\r\n");
	/* "odd name+=x" cannot stand on an EHLO line: our own name instead */
	expect_out(f, "EHLO " MYNAME "\r\n");
	backend(f, "250-mx.backend.example\r\n250 8BITMIME\r\n");
	expect_out(f, "MAIL FROM:<sender@remote.example> BODY=8BITMIME\r\n");
	backend(f, "250 2.1.0 Ok\r\n");
	expect_out(f, "RCPT TO:<user@example.com>\r\n");
	backend(f, "250 2.1.5 Ok\r\n");
	expect_reply(f, "250 2.1.5 Ok\r\n");
	assert_int_equal(f->ctr[RG_C_RELAY_XCLIENT], 1);
	assert_int_equal(relay_be_rset(&f->be), 0);
	expect_out(f, "RSET\r\n");
	backend(f, "250 2.0.0 Ok\r\n");
	/* it speaks for this client now: never reused for another */
	assert_false(relay_be_reusable(&f->be));
	test_free(f);
}

/* An IPv6 client goes to the backend as ADDR=IPV6:..., as Postfix writes it. */
static void
test_xclient_ipv6(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);
	struct relay_env env = env1;

	strcpy(env.client_ip, "2001:db8::7");
	assert_int_equal(relay_be_rcpt(&f->be, &env, "user@example.com", 16), 0);
	backend(f, "220 mx.backend.example ESMTP\r\n");
	expect_out(f, "EHLO " MYNAME "\r\n");
	backend(f, "250-mx.backend.example\r\n250 XCLIENT ADDR\r\n");
	expect_out(f, "XCLIENT ADDR=IPV6:2001:db8::7\r\n");
	test_free(f);
}

static void
test_xclient_refused(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	handshake(f, "250-mx.backend.example\r\n250 XCLIENT ADDR\r\n");
	expect_out(f, "XCLIENT ADDR=192.0.2.7\r\n");
	backend(f, "550 5.7.0 Error: insufficient authorization\r\n");
	expect_out(f, "MAIL FROM:<sender@remote.example>\r\n");
	assert_int_equal(f->n_replies, 0);
	test_free(f);
}

static void
test_lmtp_one_recipient(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_LMTP);

	assert_int_equal(relay_be_rcpt(&f->be, &env1, "a@example.com", 13), 0);
	backend(f, "220 lmtp.backend.example LMTP\r\n");
	expect_out(f, "LHLO " MYNAME "\r\n");
	backend(f, "250-lmtp.backend.example\r\n250 PIPELINING\r\n");
	expect_out(f, "MAIL FROM:<sender@remote.example>\r\n");
	backend(f, "250 2.1.0 Ok\r\n");
	expect_out(f, "RCPT TO:<a@example.com>\r\n");
	backend(f, "250 2.1.5 Ok\r\n");
	expect_reply(f, "250 2.1.5 Ok\r\n");
	/* a second recipient must wait for another transaction */
	assert_int_equal(relay_be_rcpt(&f->be, NULL, "b@example.com", 13), 0);
	expect_out(f, "");
	expect_reply(f, "452 4.5.3 Error: too many recipients\r\n");
	assert_int_equal(relay_be_data(&f->be), 0);
	expect_out(f, "DATA\r\n");
	backend(f, "354 go ahead\r\n");
	assert_int_equal(relay_be_end(&f->be, true), 0);
	expect_out(f, ".\r\n");
	/* the recipient's own reply is the client's: a 5xx relayed as is */
	backend(f, "552 5.2.2 <a@example.com> Mailbox full\r\n");
	expect_reply(f, "552 5.2.2 <a@example.com> Mailbox full\r\n");
	assert_int_equal(f->ctr[RG_C_RELAY_MESSAGES_FAILED], 1);
	assert_int_equal(f->ctr[RG_C_RELAY_MESSAGES], 0);
	test_free(f);
}

static void
test_backend_reject_scrubbed(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	handshake(f, "250 mx.backend.example\r\n");
	expect_out(f, "MAIL FROM:<sender@remote.example>\r\n");
	backend(f, "250 2.1.0 Ok\r\n");
	expect_out(f, "RCPT TO:<user@example.com>\r\n");
	backend(f,
		"550-5.1.1 first line\r\n550 5.1.1 <user@example.com>: Recipient address rejected:"
		" MX.Backend.Example at 10.77.70.9 says\x01 no\r\n");
	expect_reply(f,
		     "550 5.1.1 <user@example.com>: Recipient address rejected: " MYNAME " at " MYNAME
		     " says? no\r\n");
	assert_int_equal(f->ctr[RG_C_RELAY_REPLY_5XX], 1);
	/* no recipient: the message is read and deferred, never a 5xx of ours */
	assert_int_equal(relay_be_data(&f->be), 0);
	assert_true(relay_be_body_settled(&f->be));
	assert_false(relay_be_body_open(&f->be));
	assert_int_equal(relay_be_end(&f->be, true), 0);
	expect_reply(f, "451 4.3.0 Error: no recipient was accepted, try again later\r\n");
	test_free(f);
}

static void
test_mail_refused(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	handshake(f, "250 mx.backend.example\r\n");
	expect_out(f, "MAIL FROM:<sender@remote.example>\r\n");
	backend(f, "451 4.3.0 Error: queue file write error\r\n");
	expect_out(f, "");
	expect_reply(f, "451 4.3.0 Error: queue file write error\r\n");
	/* the transaction's next recipient comes without the envelope (the
	 * client's MAIL stands) and tries MAIL again */
	assert_int_equal(relay_be_rcpt(&f->be, NULL, "other@example.com", 17), 0);
	expect_out(f, "MAIL FROM:<sender@remote.example>\r\n");
	backend(f, "250 2.1.0 Ok\r\n");
	expect_out(f, "RCPT TO:<other@example.com>\r\n");
	backend(f, "250 2.1.5 Ok\r\n");
	expect_reply(f, "250 2.1.5 Ok\r\n");
	test_free(f);
}

static void
test_connection_refused(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	assert_int_equal(relay_be_rcpt(&f->be, &env1, "user@example.com", 16), 0);
	relay_be_fail(&f->be, false);
	expect_reply(f, "451 4.4.1 Error: mail system not reachable, try again later\r\n");
	assert_true(relay_be_dead(&f->be));
	assert_int_equal(f->ctr[RG_C_RELAY_CONN_FAILED], 1);
	/* later steps get a 4xx at once */
	assert_int_equal(relay_be_rcpt(&f->be, NULL, "x@example.com", 13), 0);
	expect_reply(f, "451 4.4.1 Error: mail system not reachable, try again later\r\n");
	assert_int_equal(relay_be_end(&f->be, true), 0);
	expect_reply(f, "421 4.4.2 Error: connection to the mail system lost, try again later\r\n");
	test_free(f);
}

/* A connection that failed before any step reached it (socket or
 * connect refused at once) still answers every recipient with a 4xx. */
static void
test_failed_before_rcpt(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	relay_be_fail(&f->be, false);
	assert_int_equal(relay_be_rcpt(&f->be, &env1, "user@example.com", 16), 0);
	expect_reply(f, "451 4.4.1 Error: mail system not reachable, try again later\r\n");
	/* the transaction's second recipient comes without the envelope */
	assert_int_equal(relay_be_rcpt(&f->be, NULL, "x@example.com", 13), 0);
	expect_reply(f, "451 4.4.1 Error: mail system not reachable, try again later\r\n");
	assert_int_equal(f->n_replies, 2);
	test_free(f);
}

static void
test_bad_greeting(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);
	const char *g = "554 5.3.2 mx.backend.example busy\r\n";

	assert_int_equal(relay_be_rcpt(&f->be, &env1, "user@example.com", 16), 0);
	/* a 5xx greeting is not the client's fault: 4xx, never our own 5xx */
	assert_int_equal(relay_be_input(&f->be, (const uint8_t *)g, strlen(g)), -EPROTO);
	expect_reply(f, "451 4.4.1 Error: mail system not reachable, try again later\r\n");
	assert_int_equal(f->ctr[RG_C_RELAY_CONN_FAILED], 1);
	test_free(f);
}

static void
test_not_smtp(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);
	const char *g = "HTTP/1.1 400 Bad Request\r\n";

	assert_int_equal(relay_be_rcpt(&f->be, &env1, "user@example.com", 16), 0);
	assert_int_equal(relay_be_input(&f->be, (const uint8_t *)g, strlen(g)), -EPROTO);
	expect_reply(f, "451 4.4.1 Error: mail system not reachable, try again later\r\n");
	assert_int_equal(f->ctr[RG_C_RELAY_PROTO_ERROR], 1);
	test_free(f);
}

/* Up to the body of a one-recipient message. */
static void
to_body(struct fx *f)
{
	handshake(f, "250 mx.backend.example\r\n");
	backend(f, "250 2.1.0 Ok\r\n");
	backend(f, "250 2.1.5 Ok\r\n");
	expect_reply(f, "250 2.1.5 Ok\r\n");
	assert_int_equal(relay_be_data(&f->be), 0);
	backend(f, "354 go\r\n");
	expect_out(f, "MAIL FROM:<sender@remote.example>\r\nRCPT TO:<user@example.com>\r\nDATA\r\n");
}

static void
test_timeout_after_dot(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	to_body(f);
	assert_int_equal(relay_be_end(&f->be, true), 0);
	assert_true(relay_be_waiting(&f->be));
	relay_be_fail(&f->be, true);
	expect_reply(f, "421 4.4.2 Error: connection to the mail system lost, try again later\r\n");
	assert_int_equal(f->ctr[RG_C_RELAY_TIMEOUT], 1);
	assert_int_equal(f->ctr[RG_C_RELAY_MESSAGES_FAILED], 1);
	assert_int_equal(f->ctr[RG_C_RELAY_MESSAGES], 0);
	test_free(f);
}

static void
test_lost_before_data(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	handshake(f, "250 mx.backend.example\r\n");
	backend(f, "250 2.1.0 Ok\r\n");
	relay_be_fail(&f->be, false); /* while RCPT waits */
	expect_reply(f, "451 4.4.1 Error: mail system not reachable, try again later\r\n");
	assert_int_equal(relay_be_rset(&f->be), 0);
	test_free(f);
}

static void
test_data_refused(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	handshake(f, "250 mx.backend.example\r\n");
	backend(f, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
	expect_reply(f, "250 2.1.5 Ok\r\n");
	assert_int_equal(relay_be_data(&f->be), 0);
	backend(f, "554 5.5.1 Error: no valid recipients\r\n");
	assert_false(relay_be_body_open(&f->be));
	assert_true(relay_be_body_settled(&f->be));
	assert_int_equal(f->n_replies, 1); /* nothing until the end */
	expect_out(f, "MAIL FROM:<sender@remote.example>\r\nRCPT TO:<user@example.com>\r\nDATA\r\n");
	assert_int_equal(relay_be_end(&f->be, true), 0);
	expect_reply(f, "554 5.5.1 Error: no valid recipients\r\n");
	expect_out(f, "RSET\r\n");
	backend(f, "250 2.0.0 Ok\r\n");
	assert_true(relay_be_reusable(&f->be));
	test_free(f);
}

static void
test_abort_in_body(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	to_body(f);
	/* the engine refused the message: no end marker may go out */
	assert_int_equal(relay_be_end(&f->be, false), -ECONNABORTED);
	expect_out(f, "");
	assert_true(relay_be_dead(&f->be));
	assert_int_equal(f->n_replies, 1);
	test_free(f);
}

static void
test_rset_reuse(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	handshake(f, "250 mx.backend.example\r\n");
	backend(f, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
	assert_false(relay_be_reusable(&f->be));
	assert_int_equal(relay_be_rset(&f->be), 0);
	expect_out(f, "MAIL FROM:<sender@remote.example>\r\nRCPT TO:<user@example.com>\r\nRSET\r\n");
	assert_true(relay_be_waiting(&f->be));
	backend(f, "250 2.0.0 Ok\r\n");
	assert_true(relay_be_reusable(&f->be));
	/* the next transaction on the same connection starts with MAIL */
	assert_int_equal(relay_be_rcpt(&f->be, &env1, "user@example.com", 16), 0);
	expect_out(f, "MAIL FROM:<sender@remote.example>\r\n");
	test_free(f);
}

static void
test_split_and_long_lines(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);
	char longl[3000];

	assert_int_equal(relay_be_rcpt(&f->be, &env1, "user@example.com", 16), 0);
	/* a reply split anywhere, LF-only line ends tolerated */
	const char *g = "220 mx.backend.example ESMTP\n";
	for (size_t i = 0; g[i]; i++)
		assert_int_equal(relay_be_input(&f->be, (const uint8_t *)g + i, 1), 0);
	expect_out(f, "EHLO " MYNAME "\r\n");
	backend(f, "250 ok\r\n");
	backend(f, "250 2.1.0 Ok\r\n");
	memset(longl, 'x', sizeof(longl));
	memcpy(longl, "550 5.7.1 ", 10);
	memcpy(longl + sizeof(longl) - 3, "\r\n", 3);
	backend(f, longl);
	assert_int_equal(f->n_replies, 1);
	assert_true(f->rlen <= RELAY_REPLY_MAX);
	assert_memory_equal(f->replies, "550 5.7.1 xxx", 13);
	assert_memory_equal(f->replies + f->rlen - 3, "x\r\n", 3);
	test_free(f);
}

static void
test_busy(void **state)
{
	(void)state;
	struct fx *f = fx_new(RELAY_SMTP);

	assert_int_equal(relay_be_rcpt(&f->be, &env1, "user@example.com", 16), 0);
	assert_int_equal(relay_be_rcpt(&f->be, NULL, "x@example.com", 13), -EBUSY);
	assert_int_equal(relay_be_data(&f->be), -EBUSY);
	test_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_replay),
		cmocka_unit_test(test_params_filtered),
		cmocka_unit_test(test_helo_fallback),
		cmocka_unit_test(test_xclient),
		cmocka_unit_test(test_xclient_repeats_helo),
		cmocka_unit_test(test_xclient_refused),
		cmocka_unit_test(test_xclient_ipv6),
		cmocka_unit_test(test_lmtp_one_recipient),
		cmocka_unit_test(test_backend_reject_scrubbed),
		cmocka_unit_test(test_mail_refused),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_failed_before_rcpt),
		cmocka_unit_test(test_bad_greeting),
		cmocka_unit_test(test_not_smtp),
		cmocka_unit_test(test_timeout_after_dot),
		cmocka_unit_test(test_lost_before_data),
		cmocka_unit_test(test_data_refused),
		cmocka_unit_test(test_abort_in_body),
		cmocka_unit_test(test_rset_reuse),
		cmocka_unit_test(test_split_and_long_lines),
		cmocka_unit_test(test_busy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
