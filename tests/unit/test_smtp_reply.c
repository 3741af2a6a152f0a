/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_smtp_reply - what becomes of a reply on its way to the client
 * DESCRIPTION
 *	soft_bounce: smtp_soft_bounce() turns each 5xx line into the
 *	matching 4xx and nothing else; with soft_bounce = yes the engine
 *	sends every 5xx as 4xx at MAIL, RCPT, DATA and end of data, whether
 *	the engine, the policy or the relay (the backend) made it, and the
 *	reject log says what was sent.
 *	The reject log is the mail log: informational messages off (-q)
 *	leave it on.
 *	(The golden transcript tests/smtp/soft_bounce.in holds the engine's
 *	own replies too; this file holds what a transcript cannot: the
 *	relay's replies and the daemon's log sink.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "smtp_harness.h"

#define R_354 "354 End data with <CR><LF>.<CR><LF>\r\n"

/* A relay that answers RCPT and the message later, or (END_REPLY set) the message at once. */
struct test_relay {
	const char *end_reply; /* appended to OUT by end(); NULL: answered later */
};

static int
tr_begin(void *arg, struct smtp_session *s)
{
	(void)arg;
	(void)s;
	return 0;
}

static int
tr_data(void *arg, struct smtp_session *s, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)s;
	(void)p;
	(void)n;
	return 0;
}

static int
tr_end(void *arg, struct smtp_session *s, bool ok, struct smtp_out *out)
{
	const char *r = ((struct test_relay *)arg)->end_reply;

	(void)s;
	if (!ok)
		return 0;
	if (r == NULL)
		return SMTP_RELAY_PENDING;
	memcpy(out->buf + out->len, r, strlen(r));
	out->len += strlen(r);
	return 0;
}

static int
tr_rcpt(void *arg, struct smtp_session *s, const char *to, size_t n)
{
	(void)arg;
	(void)s;
	(void)to;
	(void)n;
	return SMTP_RELAY_PENDING;
}

static const struct smtp_relay_ops tr_ops = {
	.begin = tr_begin,
	.data = tr_data,
	.end = tr_end,
	.rcpt = tr_rcpt,
};

/* Feed IN whole to S. */
static void
feed(struct smtp_session *s, const char *in, struct smtp_out *o)
{
	size_t used = 0;

	smtp_session_input(s, (const uint8_t *)in, strlen(in), &used, o);
	assert_int_equal(used, strlen(in));
}

/* The replies in O since it was last emptied are WANT exactly; empty O. */
static void
out_is(struct smtp_out *o, const char *want)
{
	assert_true(o->len < o->cap);
	o->buf[o->len] = '\0';
	assert_string_equal(o->buf, want);
	o->len = 0;
}

/* S (waiting for the relay) gets REPLY from it. */
static void
relay_says(struct smtp_session *s, struct smtp_out *o, const char *reply)
{
	assert_true(smtp_session_relay_waiting(s));
	assert_int_equal(smtp_session_relay_reply(s, reply, strlen(reply), o), SMTP_OK);
}

/* smtp_soft_bounce: every 5xx line to the matching 4xx, nothing else. */
static void
test_soft_bounce_rewrite(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "550 5.1.1 <a@b>: User unknown\r\n", "450 4.1.1 <a@b>: User unknown\r\n" },
		{ "552 5.3.4 Message size exceeds fixed limit\r\n",
		  "452 4.3.4 Message size exceeds fixed limit\r\n" },
		{ "554 5.7.1 <x@y>: Relay access denied\r\n", "454 4.7.1 <x@y>: Relay access denied\r\n" },
		{ "501 5.5.4 Syntax: MAIL FROM:<address>\r\n", "401 4.5.4 Syntax: MAIL FROM:<address>\r\n" },
		{ "550 no enhanced code 5.1.1\r\n", "450 no enhanced code 5.1.1\r\n" },
		{ "550-5.7.1 first\r\n550 5.7.1 last\r\n", "450-4.7.1 first\r\n450 4.7.1 last\r\n" },
		{ "250 2.1.5 Ok\r\n", "250 2.1.5 Ok\r\n" },
		{ "451 4.3.0 later 5.1.1\r\n", "451 4.3.0 later 5.1.1\r\n" },
		{ "5.1.1 not a reply\r\n", "5.1.1 not a reply\r\n" },
		{ "55", "55" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char b[128];
		size_t n = strlen(cases[i].in);
		memcpy(b, cases[i].in, n + 1);
		smtp_soft_bounce(b, n);
		assert_string_equal(b, cases[i].want);
	}
}

/*
 * soft_bounce = yes: every 5xx the client would get is sent as 4xx, at
 * MAIL, RCPT, DATA and end of data, whether the engine, the policy or
 * the relay (the backend) made it; the reject log says what was sent.
 */
static void
test_soft_bounce_every_reply(void **state)
{
	struct sh h;
	struct test_relay r = { NULL };
	struct smtp_session s;
	char ob[4096], big[200];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	(void)state;

	assert_int_equal(sh_init(&h, "soft_bounce = yes\nmessage_size_limit = 100\n", "alice@example.com\n"),
			 0);
	h.ctx.relay = &tr_ops;
	h.ctx.relay_arg = &r;
	smtp_session_init(&s, &h.ctx, "192.0.2.7");
	feed(&s, "EHLO client.example\r\n", &o);
	o.len = 0;

	/* MAIL: SIZE over the limit, a syntax error */
	feed(&s, "MAIL FROM:<a@b.example> SIZE=1000\r\nMAIL FROM:a@b.example\r\n", &o);
	out_is(&o, "452 4.3.4 Message size exceeds fixed limit\r\n401 4.5.4 Syntax: MAIL FROM:<address>\r\n");

	/* RCPT: the policy's 550 and 554, the backend's 550 */
	feed(&s,
	     "MAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@example.com>\r\n"
	     "RCPT TO:<x@elsewhere.example>\r\nRCPT TO:<alice@example.com>\r\n",
	     &o);
	relay_says(&s, &o, "550 5.1.1 backend: no such user\r\n");
	out_is(&o,
	       "250 2.1.0 Ok\r\n"
	       "450 4.1.1 <nobody@example.com>: Recipient address rejected: User unknown\r\n"
	       "454 4.7.1 <x@elsewhere.example>: Relay access denied\r\n"
	       "450 4.1.1 backend: no such user\r\n");
	assert_non_null(h.log);
	assert_non_null(strstr(h.log, "RCPT from unknown[192.0.2.7]: 450 4.1.1 <nobody@example.com>"));
	assert_non_null(strstr(h.log, "RCPT from unknown[192.0.2.7]: 454 4.7.1 <x@elsewhere.example>"));
	assert_null(strstr(h.log, ": 55"));

	/* DATA without a valid recipient */
	feed(&s, "DATA\r\n", &o);
	out_is(&o, "454 4.5.1 Error: no valid recipients\r\n");

	/* end of data: the backend's 554, then a message over the limit */
	feed(&s, "RCPT TO:<alice@example.com>\r\n", &o);
	relay_says(&s, &o, "250 2.1.5 Ok\r\n");
	feed(&s, "DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n", &o);
	relay_says(&s, &o, "554 5.7.1 backend: spam\r\n");
	out_is(&o, "250 2.1.5 Ok\r\n" R_354 "454 4.7.1 backend: spam\r\n");
	feed(&s, "MAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\n", &o);
	relay_says(&s, &o, "250 2.1.5 Ok\r\n");
	memset(big, 'x', sizeof(big));
	memcpy(big + sizeof(big) - 8, "\r\n.\r\n", 6);
	big[sizeof(big) - 2] = '\0';
	feed(&s, "DATA\r\n", &o);
	feed(&s, big, &o);
	out_is(&o, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n" R_354 "452 4.3.4 Message size exceeds fixed limit\r\n");

	/* a reply the relay's end() appends to OUT itself */
	r.end_reply = "554 5.7.1 refused by the end hook\r\n";
	feed(&s, "MAIL FROM:<>\r\nRCPT TO:<alice@example.com>\r\n", &o);
	relay_says(&s, &o, "250 2.1.5 Ok\r\n");
	o.len = 0;
	feed(&s, "DATA\r\nhi\r\n.\r\n", &o);
	out_is(&o, R_354 "454 4.7.1 refused by the end hook\r\n");
	smtp_session_fini(&s);
	sh_fini(&h);
}

/*
 * The reject log is the mail log: with informational messages off (-q:
 * msg_set_verbose(0)) the engine's default log still writes the
 * "NOQUEUE: reject:" line to stderr.
 */
static void
test_reject_log_quiet(void **state)
{
	struct sh h;
	struct smtp_session s;
	char ob[4096], got[4096];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	(void)state;

	assert_non_null(f);
	assert_true(saved >= 0);
	assert_int_equal(sh_init(&h, NULL, "alice@example.com\n"), 0);
	h.ctx.log = NULL; /* the daemon's: msg_mail */
	assert_int_equal(smtp_ctx_prepare(&h.ctx), 0);
	msg_set_verbose(0);
	smtp_session_init(&s, &h.ctx, "192.0.2.9");
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	feed(&s, "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@example.com>\r\n", &o);
	msg_info("informational");
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	size_t n = (size_t)ftell(f);
	rewind(f);
	assert_true(n < sizeof(got));
	assert_int_equal(fread(got, 1, n, f), n);
	got[n] = '\0';
	fclose(f);
	assert_non_null(
		strstr(got, "NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 550 5.1.1 <nobody@example.com>"));
	assert_null(strstr(got, "informational"));
	smtp_session_fini(&s);
	sh_fini(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soft_bounce_rewrite),
		cmocka_unit_test(test_soft_bounce_every_reply),
		cmocka_unit_test(test_reject_log_quiet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
