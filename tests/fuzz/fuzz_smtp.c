/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	fuzz_smtp - libFuzzer target for the SMTP engine
 * DESCRIPTION
 *	The first input byte picks the variant (tight limits or defaults,
 *	table or none, a relay hook that answers at once, answers later or
 *	fails, a timeout at the end); the next two seed the chunking, and
 *	the top bit of the second adds the envelope hooks (MAIL, RCPT
 *	answered at once, later or refused, RSET, close, and room() that
 *	now and then says 0). The rest is the client's byte stream, fed in
 *	random chunks with an output buffer of only SMTP_OUT_RESERVE bytes,
 *	so the engine stops and resumes all the time. Before each chunk,
 *	a RCPT line alone in it is looked up ahead (smtp_rcpt_prefetch(),
 *	as a worker does for a received burst).
 *
 *	Checked on every call: *consumed never exceeds the input, the
 *	engine makes progress whenever the output buffer is empty (unless
 *	it waits for the relay or for room), replies never exceed the buffer
 *	and end in CRLF, every reply line starts with three digits, the
 *	relay is never given more message octets than room() allowed, and
 *	every line buffer is given back at the end.
 * DIAGNOSTICS
 *	abort() (a crash for libFuzzer) on a broken invariant.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_harness.h"

static struct sh harness[2]; /* [0] defaults and a table, [1] tight limits, no table */
static int pending;	     /* relay variant: 0 at once, 1 later, 2 fails */
static unsigned rnd;	     /* the chunking's generator, also the hooks' choices */
static size_t room;	     /* what room() says; the data hook takes it down */

static unsigned
next_rnd(void)
{
	rnd = rnd * 1103515245u + 12345u;
	return rnd >> 16;
}

static int
relay_begin(void *arg, struct smtp_session *s)
{
	(void)arg;
	(void)s;
	return pending == 2 ? -5 : 0;
}

static int
relay_data(void *arg, struct smtp_session *s, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)s;
	/* message bytes never include a complete end marker */
	for (size_t i = 0; i + 4 < n; i++)
		if (memcmp(p + i, "\r\n.\r\n", 5) == 0)
			abort();
	if (s->ctx->relay->room != NULL) {
		/* a "." or ".\r" held back as a possible end marker was
		 * consumed under an earlier room() and may come with these */
		if (n > room + 2)
			abort(); /* more than room() allowed */
		room -= n < room ? n : room;
	}
	return 0;
}

static int
relay_end(void *arg, struct smtp_session *s, bool ok, struct smtp_out *out)
{
	(void)arg;
	(void)s;
	if (!ok)
		return 0;
	if (pending == 1)
		return SMTP_RELAY_PENDING;
	memcpy(out->buf + out->len, "250 2.0.0 Ok\r\n", 14);
	out->len += 14;
	return 0;
}

static int
relay_mail(void *arg, struct smtp_session *s)
{
	(void)arg;
	(void)s;
	return 0;
}

/* A recipient: the policy's reply, the backend's later, or refused (busy). */
static int
relay_rcpt(void *arg, struct smtp_session *s, const char *to, size_t n)
{
	(void)arg;
	(void)s;
	(void)to;
	(void)n;
	unsigned r = next_rnd() % 3;
	return r == 0 ? 0 : r == 1 ? SMTP_RELAY_PENDING : -EBUSY;
}

static void
relay_void(void *arg, struct smtp_session *s)
{
	(void)arg;
	(void)s;
}

static size_t
relay_room(void *arg, struct smtp_session *s)
{
	(void)arg;
	(void)s;
	return room;
}

static const struct smtp_relay_ops relay = { .begin = relay_begin, .data = relay_data, .end = relay_end };
static const struct smtp_relay_ops relay_env = {
	.begin = relay_begin,
	.data = relay_data,
	.end = relay_end,
	.mail = relay_mail,
	.rcpt = relay_rcpt,
	.reset = relay_void,
	.close = relay_void,
	.room = relay_room,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A relayed message through the envelope hooks, run under every relay
 * variant and many seeds before fuzzing: a short run from an empty
 * corpus seldom gets as far as DATA, and the room() invariant lives there.
 */
static void
run_fixed(void)
{
	static const char session[] = "EHLO a\r\nMAIL FROM:<> SIZE=10\r\nRCPT TO:<alice@example.com>\r\n"
				      "RCPT TO:<bob@example.com>\r\nRCPT TO:<nobody@example.com>\r\nDATA\r\n"
				      "Subject: x\r\n\r\n..dot\r\na longer line of the message body\r\n.\r\n"
				      "RSET\r\nQUIT\r\n";
	static const uint8_t variants[] = { 0x02, 0x06, 0x0a }; /* relay at once, later, failing */
	uint8_t in[3 + sizeof(session) - 1];

	memcpy(in + 3, session, sizeof(session) - 1);
	for (size_t v = 0; v < sizeof(variants); v++) {
		for (unsigned k = 0; k < 256; k++) {
			in[0] = variants[v];
			in[1] = (uint8_t)(0x80 | k >> 2);
			in[2] = (uint8_t)(k * 37);
			LLVMFuzzerTestOneInput(in, sizeof(in));
		}
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	msg_set_verbose(0);
	if (sh_init(&harness[0], "recipient_delimiter = +-\n",
		    "alice@example.com\nbob@example.com\n@catchall.example\n") < 0 ||
	    sh_init(&harness[1],
		    "smtpd_recipient_limit = 3\nsmtpd_hard_error_limit = 4\n"
		    "message_size_limit = 100\nsoft_bounce = yes\n",
		    NULL) < 0)
		abort();
	run_fixed();
	return 0;
}

/* Every reply line is "DDD" then ' ' or '-', and ends in CRLF. */
static void
check_replies(const char *p, size_t n)
{
	while (n > 0) {
		const char *e = memchr(p, '\n', n);
		if (e == NULL || e == p || e[-1] != '\r')
			abort();
		size_t l = (size_t)(e - p) + 1;
		if (l < 6 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' ||
		    p[2] > '9' || (p[3] != ' ' && p[3] != '-'))
			abort();
		p += l;
		n -= l;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint8_t v = data[0];
	bool envelope = (data[1] & 0x80) != 0;
	struct sh *h = &harness[v & 1];
	struct smtp_session s;
	char ob[SMTP_OUT_RESERVE];
	struct smtp_out out = { ob, 0, sizeof(ob) };
	size_t pos = 3;
	int rc;

	rnd = (unsigned)data[1] << 8 | data[2];
	room = 0;
	pending = (v >> 2) % 3;
	h->ctx.relay = (v & 2) ? (envelope ? &relay_env : &relay) : NULL;
	h->ctx.now = v >> 4;
	h->ctx.rcpt_burst_min = 1;    /* the seed table is tiny: pipelined RCPTs in bursts anyway */
	h->ctx.rcpt_prefetch_min = 1; /* and a RCPT line alone looked up ahead */
	smtp_session_init(&s, &h->ctx, "198.51.100.7");
	rc = smtp_session_banner(&s, &out);
	out.len = 0;
	while (pos < size && rc == SMTP_OK) {
		/* pieces of up to 64 bytes, or 512 (several pipelined lines) */
		size_t m = 1 + next_rnd() % ((data[1] & 0x40) ? 512 : 64);
		if (m > size - pos)
			m = size - pos;
		size_t used = 0;
		const uint8_t *in = data + pos;
		smtp_rcpt_prefetch(&h->ctx, &in, &m, 1);
		rc = smtp_session_input(&s, in, m, &used, &out);
		if (used > m || out.len > out.cap)
			abort();
		if (rc != SMTP_DROP)
			check_replies(ob, out.len);
		if (used == 0 && rc == SMTP_OK) {
			if (s.state == SMTP_S_RELAY_WAIT) {
				out.len = 0;
				if (next_rnd() % 4 == 0)
					rc = smtp_session_relay_reply(&s, "550 5.1.1 No\r\n", 14, &out);
				else
					rc = smtp_session_relay_reply(&s, "250 2.0.0 Ok\r\n", 14, &out);
				check_replies(ob, out.len);
			} else if (s.state == SMTP_S_DATA && room == 0) {
				room = next_rnd() % 32; /* 0 again at times: the engine waits */
			} else if (out.len == 0) {
				abort(); /* no progress with room to spare */
			}
		}
		out.len = 0;
		pos += used;
	}
	if (rc == SMTP_OK && (v & 0x80)) {
		smtp_session_timeout(&s, &out);
		check_replies(ob, out.len);
	}
	smtp_session_fini(&s);
	smtp_log_flush(&h->ctx);
	h->log_len = 0;
	if (h->bufs_out != 0)
		abort();
	return 0;
}
