/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	fuzz_smtp - libFuzzer target for the SMTP engine
 * DESCRIPTION
 *	The first input byte picks the variant (tight limits or defaults,
 *	table or none, a relay hook that answers at once, answers later or
 *	fails, a timeout at the end); the next two seed the chunking. The
 *	rest is the client's byte stream, fed in random chunks with an
 *	output buffer of only SMTP_OUT_RESERVE bytes, so the engine stops
 *	and resumes all the time.
 *
 *	Checked on every call: *consumed never exceeds the input, the
 *	engine makes progress whenever the output buffer is empty, replies
 *	never exceed the buffer and end in CRLF, every reply line starts with
 *	three digits, and every line buffer is given back at the end.
 * DIAGNOSTICS
 *	abort() (a crash for libFuzzer) on a broken invariant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_harness.h"

static struct sh harness[2];	/* [0] defaults and a table, [1] tight limits, no table */
static int pending;		/* relay variant: 0 at once, 1 later, 2 fails */

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

static const struct smtp_relay_ops relay = { .begin = relay_begin, .data = relay_data, .end = relay_end };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	msg_set_verbose(0);
	if (sh_init(&harness[0], "recipient_delimiter = +-\n",
		    "alice@example.com\nbob@example.com\n@catchall.example\n") < 0 ||
	    sh_init(&harness[1], "smtpd_recipient_limit = 3\nsmtpd_hard_error_limit = 4\n"
				 "message_size_limit = 100\nsoft_bounce = yes\n", NULL) < 0)
		abort();
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
	unsigned rnd = (unsigned)data[1] << 8 | data[2];
	struct sh *h = &harness[v & 1];
	struct smtp_session s;
	char ob[SMTP_OUT_RESERVE];
	struct smtp_out out = { ob, 0, sizeof(ob) };
	size_t pos = 3;
	int rc;

	pending = (v >> 2) % 3;
	h->ctx.relay = (v & 2) ? &relay : NULL;
	h->ctx.now = v >> 4;
	smtp_session_init(&s, &h->ctx, "198.51.100.7");
	rc = smtp_session_banner(&s, &out);
	out.len = 0;
	while (pos < size && rc == SMTP_OK) {
		rnd = rnd * 1103515245u + 12345u;
		size_t m = 1 + (rnd >> 16) % 64;
		if (m > size - pos)
			m = size - pos;
		size_t used = 0;
		rc = smtp_session_input(&s, data + pos, m, &used, &out);
		if (used > m || out.len > out.cap)
			abort();
		if (rc != SMTP_DROP)
			check_replies(ob, out.len);
		if (used == 0 && rc == SMTP_OK) {
			if (s.state == SMTP_S_RELAY_WAIT) {
				out.len = 0;
				rc = smtp_session_relay_reply(&s, "250 2.0.0 Ok\r\n", 14, &out);
			} else if (out.len == 0) {
				abort();	/* no progress with room to spare */
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
