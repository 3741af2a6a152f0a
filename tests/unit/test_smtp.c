/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_smtp - golden transcripts and unit tests of the SMTP engine
 * DESCRIPTION
 *	Every tests/smtp/NAME.in is fed through the engine and the
 *	transcript compared with tests/smtp/NAME.ref. Each transcript runs
 *	in several ways that must all give the same result: all bytes at
 *	once with a large output buffer, one byte at a time, one line at a
 *	time, and in random chunks (fixed seeds), all but the first with an
 *	output buffer of only SMTP_OUT_RESERVE bytes so the engine has to
 *	stop and resume. Before each input the RCPT line alone in it, if it
 *	is one, is looked up ahead as a worker does for a received burst
 *	(smtp_rcpt_prefetch()), and pipelined RCPTs in bursts, both on the
 *	transcripts' tiny tables.
 *
 *	.in syntax, one directive per line:
 *	  # text          comment
 *	  config K = V    configuration line (after a fixed base)
 *	  table LINE      recipient table source line (no table lines: no
 *	                  table loaded, RCPT gets 451)
 *	  now N           the time (seconds) the engine is given
 *	  C: text         client bytes, CRLF appended
 *	  R: text         client bytes as they are
 *	  timeout         the idle timer fires
 *	  tls unavailable the TLS layer cannot start a handshake now
	  sessions N      before the session: N others of its client are open
	  earlier N       before the session: its client opened N sessions
	                  in this rate unit, closed again
 *	  (blank line)    ends a group of C:/R: lines, which are sent as one
 *	  Escapes in C:/R:: \r \n \t \0 \\ \xHH, and \{N,c} for N times c.
 *	The transcript echoes C:/R: lines, then "S: " reply lines, then "L: "
 *	log lines of that group; "= close" or "= drop" when the engine ends
 *	the session, "= starttls" when it accepted STARTTLS (the handshake
 *	is taken to complete at the end of the group: the group's bytes
 *	after the STARTTLS line were sent before it); finally every
 *	non-zero counter.
 *
 *	SMTP_GOLDEN_UPDATE=1 writes the .ref files instead of comparing
 *	(review them before committing).
 * DIAGNOSTICS
 *	A mismatch prints the mode, the expected and the actual transcript.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "smtp/smtp_impl.h" /* the engine's own: its command names, for test_verb_bytes */
#include "smtp_harness.h"

#define GOLDEN_DIR "tests/smtp"

struct buf {
	char *p;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *p, size_t n)
{
	sh_append(&b->p, &b->len, &b->cap, p, n);
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = { 0 };
	char tmp[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	if (b.p == NULL)
		buf_add(&b, "", 0);
	return b.p;
}

/* Decode the escapes of a C:/R: line into B. */
static void
unescape(struct buf *b, const char *s)
{
	while (*s != '\0') {
		char c = *s++;
		if (c != '\\' || *s == '\0') {
			buf_add(b, &c, 1);
			continue;
		}
		c = *s++;
		switch (c) {
		case 'r':
			buf_add(b, "\r", 1);
			break;
		case 'n':
			buf_add(b, "\n", 1);
			break;
		case 't':
			buf_add(b, "\t", 1);
			break;
		case '0':
			buf_add(b, "", 1);
			break;
		case 'x': {
			char hex[3] = { s[0], s[0] ? s[1] : 0, 0 };
			char v = (char)strtol(hex, NULL, 16);
			buf_add(b, &v, 1);
			s += strlen(hex);
			break;
		}
		case '{': {
			char *end;
			long n = strtol(s, &end, 10);
			char rc = end[1];
			for (long i = 0; i < n; i++)
				buf_add(b, &rc, 1);
			s = strchr(end, '}');
			s = s ? s + 1 : end + strlen(end);
			break;
		}
		default:
			buf_add(b, &c, 1);
			break;
		}
	}
}

enum mode { M_WHOLE, M_BYTES, M_LINES, M_RANDOM1, M_RANDOM2, M_RANDOM3, M_MAX };
static const char *const mode_names[M_MAX] = { "whole", "bytes", "lines", "random1", "random2", "random3" };

/* the transcripts' tables are tiny: look pipelined RCPTs up in bursts
 * anyway (0: only in tables of 8 MiB or more, as the daemon does) */
static uint64_t burst_min = 1;

struct run {
	struct sh h;
	struct smtp_session s;
	struct buf out; /* the transcript */
	struct smtp_out o;
	enum mode mode;
	unsigned rnd;
	bool ended;
	uint64_t burst;	     /* smtp_rcpt_burst_lookups: not in the transcript */
	uint64_t prefetched; /* smtp_rcpt_prefetched_lookups: nor this */
};

static size_t
chunk_size(struct run *r, const char *p, size_t left)
{
	size_t n = left;

	if (r->mode == M_BYTES)
		n = 1;
	else if (r->mode == M_LINES) {
		const char *nl = memchr(p, '\n', left);
		n = nl != NULL ? (size_t)(nl - p) + 1 : left;
	} else if (r->mode >= M_RANDOM1) {
		r->rnd = r->rnd * 1103515245u + 12345u;
		n = 1 + (r->rnd >> 16) % 40;
	}
	return n < left ? n : left;
}

/* Move the engine's replies into the transcript as "S: " lines. */
static void
drain(struct run *r, struct buf *replies)
{
	buf_add(replies, r->o.buf, r->o.len);
	r->o.len = 0;
}

static void
show_replies(struct run *r, struct buf *replies)
{
	const char *p = replies->p ? replies->p : "";
	size_t n = replies->len;

	while (n > 0) {
		const char *e = memchr(p, '\n', n);
		size_t l = e ? (size_t)(e - p) + 1 : n;
		buf_str(&r->out, "S: ");
		buf_add(&r->out, p, l - (l >= 2 && p[l - 2] == '\r' ? 2 : l >= 1 && p[l - 1] == '\n'));
		buf_str(&r->out, "\n");
		p += l;
		n -= l;
	}
	replies->len = 0;
}

static void
show_log(struct run *r)
{
	if (r->h.log_len > 0)
		buf_add(&r->out, r->h.log, r->h.log_len);
	r->h.log_len = 0;
}

static void
show_rc(struct run *r, int rc)
{
	if (rc == SMTP_CLOSE)
		buf_str(&r->out, "= close\n");
	else if (rc == SMTP_DROP)
		buf_str(&r->out, "= drop\n");
	if (rc != SMTP_OK)
		r->ended = true;
}

/* Feed one group of client bytes. */
static void
feed(struct run *r, const char *data, size_t len)
{
	struct buf replies = { 0 };
	size_t pos = 0;
	int rc = SMTP_OK;
	bool starttls = false;

	while (pos < len && rc == SMTP_OK) {
		size_t m = chunk_size(r, data + pos, len - pos), off = 0;
		while (off < m && rc == SMTP_OK) {
			size_t used = 0;
			const uint8_t *in = (const uint8_t *)data + pos + off;
			size_t in_len = m - off;
			/* as a worker does before a received burst: a RCPT
			 * line alone in an input is looked up ahead */
			smtp_rcpt_prefetch(&r->h.ctx, &in, &in_len, 1);
			rc = smtp_session_input(&r->s, in, in_len, &used, &r->o);
			if (rc == SMTP_STARTTLS) {
				/* the rest of the group is what the client sent
				 * before the handshake: the engine discards it */
				assert_true(smtp_session_tls_wait(&r->s));
				starttls = true;
				rc = SMTP_OK;
			}
			assert_true(used <= m - off);
			if (rc == SMTP_DROP)
				r->o.len = 0; /* out is to be ignored */
			/* with an empty output buffer the engine must make progress */
			if (used == 0 && rc == SMTP_OK)
				assert_int_not_equal(r->o.len, 0);
			drain(r, &replies);
			off += used;
		}
		pos += m;
	}
	show_replies(r, &replies);
	show_log(r);
	show_rc(r, rc);
	if (starttls && !r->ended) {
		/* the handshake of the layer below, as if it completed now */
		buf_str(&r->out, "= starttls\n");
		assert_int_equal(smtp_session_tls_start(&r->s), 0);
		assert_true(smtp_session_tls(&r->s));
	}
	free(replies.p);
}

/* Run the transcript TEXT in MODE; the transcript is left in r->out. */
static void
run_transcript(struct run *r, const char *text, enum mode mode)
{
	struct buf config = { 0 }, table = { 0 }, group = { 0 }, replies = { 0 };
	bool have_table = false;
	char *copy = strdup(text), *save = NULL;

	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->rnd = (unsigned)mode * 7919u;
	unsigned open_before = 0, closed_before = 0;
	buf_add(&config, "", 0);
	buf_add(&table, "", 0);
	/* first pass: configuration and table */
	for (char *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "config ", 7) == 0) {
			buf_str(&config, l + 7);
			buf_str(&config, "\n");
		} else if (strncmp(l, "table ", 6) == 0) {
			buf_str(&table, l + 6);
			buf_str(&table, "\n");
			have_table = true;
		} else if (strncmp(l, "sessions ", 9) == 0) {
			open_before = (unsigned)strtoul(l + 9, NULL, 10);
		} else if (strncmp(l, "earlier ", 8) == 0) {
			closed_before = (unsigned)strtoul(l + 8, NULL, 10);
		}
	}
	free(copy);
	assert_int_equal(sh_init(&r->h, config.p, have_table ? table.p : NULL), 0);
	r->h.ctx.rcpt_burst_min = burst_min;
	r->h.ctx.rcpt_prefetch_min = 1;
	free(config.p);
	free(table.p);

	size_t cap = mode == M_WHOLE ? 65536 : SMTP_OUT_RESERVE;
	r->o.buf = malloc(cap);
	r->o.cap = cap;
	/* the client is 192.0.2.1; its other sessions, as the directives say */
	struct anvil_key client = anvil_key_v4(htonl(0xc0000201));
	struct anvil_ref gone;
	uint32_t count;
	if (closed_before > 0)
		assert_non_null(r->h.ctx.anvil); /* "earlier" needs a rate limit */
	for (unsigned i = 0; i < closed_before; i++) {
		assert_int_equal(anvil_connect(r->h.ctx.anvil, &client, 0, &gone, &count), ANVIL_OK);
		anvil_disconnect(r->h.ctx.anvil, &gone);
	}
	smtp_session_init(&r->s, &r->h.ctx, "192.0.2.1");
	int orc = smtp_session_open(&r->s, &client, open_before + 1, &r->o);
	drain(r, &replies);
	show_replies(r, &replies);
	show_log(r);
	show_rc(r, orc);

	const char *p = text;
	while (*p != '\0' && !r->ended) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *l = strndup(p, n);
		p += n + (nl != NULL);

		bool client = (l[0] == 'C' || l[0] == 'R') && l[1] == ':' && (l[2] == ' ' || l[2] == '\0');
		if (client) {
			unescape(&group, l + (l[2] ? 3 : 2));
			if (l[0] == 'C')
				buf_add(&group, "\r\n", 2);
			buf_str(&r->out, l);
			buf_str(&r->out, "\n");
		}
		if ((!client || *p == '\0') && group.len > 0) {
			feed(r, group.p, group.len);
			group.len = 0;
		}
		if (strcmp(l, "tls unavailable") == 0) {
			r->h.ctx.tls_ready = false;
		} else if (strncmp(l, "now ", 4) == 0) {
			r->h.ctx.now = strtoull(l + 4, NULL, 10);
		} else if (strcmp(l, "timeout") == 0 && !r->ended) {
			buf_str(&r->out, "timeout\n");
			int rc = smtp_session_timeout(&r->s, &r->o);
			drain(r, &replies);
			show_replies(r, &replies);
			show_log(r);
			show_rc(r, rc);
		}
		free(l);
	}
	smtp_session_fini(&r->s);
	assert_int_equal(r->h.bufs_out, 0); /* every buffer came back */
	buf_str(&r->out, "counters:");
	for (unsigned i = 0; i < RG_C_MAX; i++) {
		char tmp[128];
		/* how many RCPTs shared a table burst depends on how the
		 * input was cut, not on the session: kept apart */
		if (i == RG_C_SMTP_RCPT_BURST)
			r->burst = r->h.ctr[i];
		if (i == RG_C_SMTP_RCPT_PREFETCHED)
			r->prefetched = r->h.ctr[i];
		if (r->h.ctr[i] == 0 || i == RG_C_SMTP_RCPT_BURST || i == RG_C_SMTP_RCPT_PREFETCHED)
			continue;
		snprintf(tmp, sizeof(tmp), " %s=%llu", rg_counter_info[i].name,
			 (unsigned long long)r->h.ctr[i]);
		buf_str(&r->out, tmp);
	}
	buf_str(&r->out, "\n");
	free(group.p);
	free(replies.p);
	free(r->o.buf);
	sh_fini(&r->h);
}

/*
 * The pipelined RCPTs of basic.in, sent in one piece, are looked up in
 * one table burst: the six that reach the table (not <postmaster>, not
 * the bad address); not with the daemon's threshold (the table is under
 * 8 MiB); cut byte by byte, none is. The replies are the same either way
 * (test_golden compares every cutting with one reference).
 */
static void
test_rcpt_burst(void **state)
{
	struct run r;
	char *in = read_file(GOLDEN_DIR "/basic.in");

	(void)state;
	assert_non_null(in);
	run_transcript(&r, in, M_WHOLE);
	free(r.out.p);
	assert_int_equal(r.burst, 6);
	burst_min = 0; /* tables under 8 MiB: none */
	run_transcript(&r, in, M_WHOLE);
	burst_min = 1; /* before the check: the other tests run with bursts */
	free(r.out.p);
	assert_int_equal(r.burst, 0);
	run_transcript(&r, in, M_BYTES);
	free(r.out.p);
	assert_int_equal(r.burst, 0);
	free(in);
}

static void
test_golden(void **state)
{
	const char *name = *state;
	char path[512];
	struct run r;

	snprintf(path, sizeof(path), GOLDEN_DIR "/%s.in", name);
	char *in = read_file(path);
	assert_non_null(in);
	snprintf(path, sizeof(path), GOLDEN_DIR "/%s.ref", name);

	if (getenv("SMTP_GOLDEN_UPDATE") != NULL) {
		run_transcript(&r, in, M_WHOLE);
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fwrite(r.out.p, 1, r.out.len, f);
		fclose(f);
		free(r.out.p);
		free(in);
		return;
	}
	char *ref = read_file(path);
	assert_non_null(ref);
	for (enum mode m = 0; m < M_MAX; m++) {
		run_transcript(&r, in, m);
		if (strcmp(r.out.p, ref) != 0) {
			print_error("%s: mode %s differs from %s\n--- expected\n%s--- got\n%s", name,
				    mode_names[m], path, ref, r.out.p);
			free(r.out.p);
			fail();
		}
		free(r.out.p);
	}
	free(ref);
	free(in);
}

/* ---- targeted tests ---- */

/* A relay that records what it is given. */
struct rec_relay {
	struct buf data;
	int begins, ends, aborts;
	bool pending;
};

static int
rec_begin(void *arg, struct smtp_session *s)
{
	(void)s;
	((struct rec_relay *)arg)->begins++;
	return 0;
}

static int
rec_data(void *arg, struct smtp_session *s, const uint8_t *p, size_t n)
{
	(void)s;
	buf_add(&((struct rec_relay *)arg)->data, (const char *)p, n);
	return 0;
}

static int
rec_end(void *arg, struct smtp_session *s, bool ok, struct smtp_out *out)
{
	struct rec_relay *rr = arg;
	static const char r250[] = "250 2.0.0 Ok: queued as TEST\r\n";

	(void)s;
	if (!ok) {
		rr->aborts++;
		return 0;
	}
	rr->ends++;
	if (rr->pending)
		return SMTP_RELAY_PENDING;
	memcpy(out->buf + out->len, r250, sizeof(r250) - 1);
	out->len += sizeof(r250) - 1;
	return 0;
}

static const struct smtp_relay_ops rec_ops = { .begin = rec_begin, .data = rec_data, .end = rec_end };

/* Feed all of DATA in chunks of STEP bytes; replies collected in OUT (large). */
static int
feed_steps(struct smtp_session *s, const char *data, size_t step, struct smtp_out *o)
{
	size_t len = strlen(data), pos = 0;
	int rc = SMTP_OK;

	while (pos < len && rc == SMTP_OK) {
		size_t m = len - pos < step ? len - pos : step, used;
		rc = smtp_session_input(s, (const uint8_t *)data + pos, m, &used, o);
		assert_true(used > 0 || rc != SMTP_OK || s->state == SMTP_S_RELAY_WAIT);
		if (used == 0)
			break;
		pos += used;
	}
	return rc;
}

/* H with TABLE, and a session S whose relay is OPS with ARG. */
static void
relay_session(struct sh *h, struct smtp_session *s, const char *table, const struct smtp_relay_ops *ops,
	      void *arg)
{
	assert_int_equal(sh_init(h, NULL, table), 0);
	h->ctx.relay = ops;
	h->ctx.relay_arg = arg;
	smtp_session_init(s, &h->ctx, "192.0.2.7");
}

static void
test_relay_data_exact(void **state)
{
	static const char msg[] = "Subject: x\r\n\r\n..stuffed\r\n..\r\n.x\r\nlast.\r\n";
	static const char session[] =
		"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n";
	(void)state;

	/* every chunk size must give the relay the same bytes */
	for (size_t step = 1; step <= sizeof(msg) + 8; step++) {
		struct sh h;
		struct rec_relay rr = { 0 };
		struct smtp_session s;
		char ob[65536];
		struct smtp_out o = { ob, 0, sizeof(ob) };
		char all[512];

		relay_session(&h, &s, "alice@example.com\n", &rec_ops, &rr);
		snprintf(all, sizeof(all), "%s%s.\r\nQUIT\r\n", session, msg);
		assert_int_equal(feed_steps(&s, all, step, &o), SMTP_CLOSE);
		assert_int_equal(rr.begins, 1);
		assert_int_equal(rr.ends, 1);
		assert_int_equal(rr.aborts, 0);
		assert_int_equal(rr.data.len, sizeof(msg) - 1);
		assert_memory_equal(rr.data.p, msg, sizeof(msg) - 1);
		ob[o.len] = '\0';
		assert_non_null(strstr(ob, "354 End data"));
		assert_non_null(strstr(ob, "250 2.0.0 Ok: queued as TEST\r\n221 2.0.0 Bye\r\n"));
		smtp_session_fini(&s);
		assert_int_equal(h.bufs_out, 0);
		free(rr.data.p);
		sh_fini(&h);
	}
}

static void
test_relay_pending(void **state)
{
	struct sh h;
	struct rec_relay rr = { .pending = true };
	struct smtp_session s;
	char ob[4096];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	size_t used;
	static const char in[] =
		"EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nhi\r\n.\r\nNOOP\r\n";
	(void)state;

	relay_session(&h, &s, "alice@example.com\n", &rec_ops, &rr);
	assert_int_equal(smtp_session_input(&s, (const uint8_t *)in, sizeof(in) - 1, &used, &o), SMTP_OK);
	/* stopped after the end marker: NOOP waits for the relay's reply */
	assert_int_equal(used, sizeof(in) - 1 - strlen("NOOP\r\n"));
	assert_int_equal(s.state, SMTP_S_RELAY_WAIT);
	assert_int_equal(smtp_session_input(&s, (const uint8_t *)in + used, 6, &used, &o), SMTP_OK);
	assert_int_equal(used, 0);
	o.len = 0;
	assert_int_equal(smtp_session_relay_reply(&s, "250 2.0.0 Ok\r\n", 14, &o), SMTP_OK);
	assert_int_equal(smtp_session_input(&s, (const uint8_t *)"NOOP\r\n", 6, &used, &o), SMTP_OK);
	assert_int_equal(used, 6);
	assert_int_equal(o.len, 28);
	assert_memory_equal(ob, "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n", 28);
	smtp_session_fini(&s);
	sh_fini(&h);
	free(rr.data.p);
}

static int
busy_rcpt(void *arg, struct smtp_session *s, const char *to, size_t n)
{
	(void)arg;
	(void)s;
	(void)to;
	(void)n;
	return -EBUSY;
}

/* A relay with no room for a recipient: 451, never the policy's 250. */
static void
test_relay_busy(void **state)
{
	static const struct smtp_relay_ops busy_ops = {
		.begin = rec_begin,
		.data = rec_data,
		.end = rec_end,
		.rcpt = busy_rcpt,
	};
	struct sh h;
	struct rec_relay rr = { 0 };
	struct smtp_session s;
	char ob[4096];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	(void)state;

	relay_session(&h, &s, "alice@example.com\n", &busy_ops, &rr);
	assert_int_equal(feed_steps(&s, "HELO c\r\nMAIL FROM:<>\r\n", 100, &o), SMTP_OK);
	o.len = 0;
	assert_int_equal(feed_steps(&s, "RCPT TO:<alice@example.com>\r\nDATA\r\n", 100, &o), SMTP_OK);
	ob[o.len] = '\0';
	assert_string_equal(ob,
			    "451 4.3.0 Error: mail system busy, try again later\r\n"
			    "554 5.5.1 Error: no valid recipients\r\n");
	assert_int_equal(rr.begins, 0);
	smtp_session_fini(&s);
	sh_fini(&h);
}

static void
test_relay_abort_bare_lf(void **state)
{
	struct sh h;
	struct rec_relay rr = { 0 };
	struct smtp_session s;
	char ob[4096];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	(void)state;

	relay_session(&h, &s, "alice@example.com\n", &rec_ops, &rr);
	/* "\n.\n" and "\r\n.\n" must not end the message; only CRLF.CRLF does */
	assert_int_equal(feed_steps(&s,
				    "HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n"
				    "a\n.\nMAIL FROM:<x@y.example>\r\n.\nb\r\n.\r\n",
				    7, &o),
			 SMTP_OK);
	assert_int_equal(rr.aborts, 1);
	assert_int_equal(rr.ends, 0);
	ob[o.len] = '\0';
	assert_non_null(strstr(ob, "354 End data with <CR><LF>.<CR><LF>\r\n550 5.5.2 "));
	/* the smuggled MAIL was data: only the real one got 250 2.1.0 */
	assert_null(strstr(strstr(ob, "250 2.1.0") + 1, "250 2.1.0"));
	assert_int_equal(h.ctr[RG_C_SMTP_DATA_BARE_NEWLINE], 1);
	smtp_session_fini(&s);
	free(rr.data.p);
	sh_fini(&h);
}

static void
test_log_rate_limit(void **state)
{
	struct sh h;
	struct smtp_session s;
	char ob[65536];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	(void)state;

	assert_int_equal(sh_init(&h, "smtpd_hard_error_limit = 1000\n", "alice@example.com\n"), 0);
	h.ctx.log_per_sec = 3;
	h.ctx.now = 100;
	smtp_session_init(&s, &h.ctx, "192.0.2.9");
	assert_int_equal(feed_steps(&s, "EHLO c\r\nMAIL FROM:<>\r\n", 100, &o), SMTP_OK);
	for (int i = 0; i < 10; i++) {
		o.len = 0;
		assert_int_equal(feed_steps(&s, "RCPT TO:<nobody@example.com>\r\n", 100, &o), SMTP_OK);
	}
	/* 3 lines in second 100, 7 suppressed and counted */
	assert_int_equal(h.ctr[RG_C_SMTP_RCPT_UNKNOWN], 10);
	assert_int_equal(h.ctr[RG_C_SMTP_LOG_SUPPRESSED], 7);
	assert_non_null(strstr(h.log,
			       "L: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 550 5.1.1 "
			       "<nobody@example.com>: Recipient address rejected: User unknown; "
			       "from=<> to=<nobody@example.com> proto=ESMTP helo=<c>\n"));
	h.log_len = 0;
	h.ctx.now = 101;
	smtp_log_flush(&h.ctx);
	assert_string_equal(h.log, "L: 7 reject lines suppressed\n");
	h.log_len = 0;
	h.log[0] = '\0';
	smtp_log_flush(&h.ctx); /* nothing more to say */
	assert_int_equal(h.log_len, 0);
	smtp_session_fini(&s);
	sh_fini(&h);
}

/*
 * A session started from the client's address bytes names it in its log
 * lines as inet_ntop() writes it (IPv4 edge values, IPv6 with and without
 * "::", a v4-mapped one), and as "unknown" for a family it does not know.
 */
static void
test_client_addr(void **state)
{
	static const char *const ips[] = {
		"0.0.0.0",	 "9.10.99.100",		 "192.0.2.7",	    "255.255.255.255", "2001:db8::7",
		"fe80::1:2:3:4", "2001:db8:1:2:3:4:5:6", "::ffff:192.0.2.7"
	};
	struct sh h;
	struct smtp_session s;
	char ob[4096], want[256], buf[SMTP_IP_MAX], text[SMTP_IP_MAX];
	uint8_t addr[16];
	(void)state;

	assert_int_equal(sh_init(&h, "", "alice@example.com\n"), 0);
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		int family = strchr(ips[i], ':') ? AF_INET6 : AF_INET;
		struct smtp_out o = { ob, 0, sizeof(ob) };

		assert_int_equal(inet_pton(family, ips[i], addr), 1);
		assert_non_null(inet_ntop(family, addr, text, sizeof(text)));
		h.log_len = 0; /* sh_append() ends the lines with a NUL */
		h.ctx.now++;   /* a fresh second for the log rate limit */
		smtp_session_init_addr(&s, &h.ctx, family, addr);
		assert_string_equal(smtp_session_client_ip(&s, buf), text);
		assert_int_equal(
			feed_steps(&s, "EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<nobody@example.com>\r\n", 100, &o),
			SMTP_OK);
		snprintf(want, sizeof(want), "L: NOQUEUE: reject: RCPT from unknown[%s]: 550", text);
		assert_non_null(h.log);
		assert_non_null(strstr(h.log, want));
		smtp_session_fini(&s);
	}
	smtp_session_init_addr(&s, &h.ctx, AF_UNIX, addr);
	assert_string_equal(smtp_session_client_ip(&s, buf), "unknown");
	smtp_session_fini(&s);
	sh_fini(&h);
}

/*
 * A connection refused by smtpd_client_connection_count_limit still
 * counts toward smtpd_client_connection_rate_limit, as Postfix's anvil
 * counts it: with a rate of 1, the next connection is over the rate.
 */
static void
test_count_refusal_counts_rate(void **state)
{
	struct sh h;
	struct smtp_session s;
	struct anvil_key client = anvil_key_v4(htonl(0xc0000209));
	char ob[512];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	(void)state;

	assert_int_equal(sh_init(&h,
				 "smtpd_client_connection_count_limit = 1\n"
				 "smtpd_client_connection_rate_limit = 1\n",
				 NULL),
			 0);
	smtp_session_init(&s, &h.ctx, "192.0.2.9");
	assert_int_equal(smtp_session_open(&s, &client, 2, &o), SMTP_CLOSE); /* over the count */
	smtp_session_fini(&s);
	assert_int_equal(h.ctr[RG_C_SMTP_CLIENT_CONN_LIMIT], 1);
	o.len = 0;
	smtp_session_init(&s, &h.ctx, "192.0.2.9");
	assert_int_equal(smtp_session_open(&s, &client, 1, &o), SMTP_CLOSE); /* the second this unit */
	ob[o.len] = '\0';
	assert_non_null(strstr(ob, "421 4.7.0 "));
	assert_int_equal(h.ctr[RG_C_SMTP_CLIENT_CONN_RATE], 1);
	smtp_session_fini(&s);
	sh_fini(&h);
}

/* The command a line VERB (no arguments) names by RFC 5321's rules:
 * the verb is the text up to the first space, ASCII letters in any case. */
static enum smtp_cmd_id
verb_ref(const char *v, size_t n)
{
	size_t vl = 0;

	while (vl < n && v[vl] != ' ')
		vl++;
	for (int id = SMTP_CMD_EHLO; id <= SMTP_CMD_STARTTLS; id++) {
		const char *name = smtp_cmd_names[id];
		size_t i;

		if (strlen(name) != vl)
			continue;
		for (i = 0; i < vl; i++) {
			unsigned char c = (unsigned char)v[i];
			if ((c >= 'a' && c <= 'z' ? c - 32 : c) != (unsigned char)name[i])
				break;
		}
		if (i == vl)
			return (enum smtp_cmd_id)id;
	}
	return SMTP_CMD_UNKNOWN;
}

/*
 * Every verb with each of its bytes replaced by every other byte (but
 * NUL, CR and LF, which end or refuse the line first) is the command
 * verb_ref() names or none: the engine matches four bytes at a time with
 * 0x20 OR-ed in, which must fold the case of letters and make no other
 * byte a letter.
 */
static void
test_verb_bytes(void **state)
{
	struct sh h;
	char ob[4096];
	unsigned tried = 0, known = 0;
	(void)state;

	assert_int_equal(sh_init(&h, NULL, NULL), 0);
	for (int id = SMTP_CMD_EHLO; id <= SMTP_CMD_STARTTLS; id++) {
		const char *name = smtp_cmd_names[id];
		size_t vl = strlen(name);

		for (size_t k = 0; k < vl; k++) {
			for (unsigned b = 1; b < 256; b++) {
				char line[16];
				struct smtp_session s;
				struct smtp_out o = { ob, 0, sizeof(ob) };
				size_t used;

				if (b == '\r' || b == '\n')
					continue;
				memcpy(line, name, vl);
				line[k] = (char)b;
				memcpy(line + vl, "\r\n", 2);
				smtp_session_init(&s, &h.ctx, "192.0.2.9");
				/* a first command, so the line is not taken for HTTP */
				smtp_session_input(&s, (const uint8_t *)"NOOP\r\n", 6, &used, &o);
				smtp_session_input(&s, (const uint8_t *)line, vl + 2, &used, &o);
				enum smtp_cmd_id want = verb_ref(line, vl);
				if (s.last_cmd != want)
					fail_msg("%s with byte %zu as 0x%02x: command %s, want %s", name, k,
						 b, smtp_cmd_names[s.last_cmd], smtp_cmd_names[want]);
				tried++;
				known += want != SMTP_CMD_UNKNOWN;
				smtp_session_fini(&s);
			}
		}
	}
	/* each byte of each verb in both cases: every verb's letters, and
	 * HELO and HELP, one byte apart, each other's in both cases */
	assert_int_equal(known, 2 * (4 * 10 + 8) + 4);
	assert_int_equal(tried, 253 * (4 * 10 + 8));
	sh_fini(&h);
}

/*
 * A byte above 0x7f anywhere in a RCPT's mailbox, of any length and at
 * any offset (the engine tests eight bytes at a time, then the rest one
 * by one), gets 553 5.6.7 without SMTPUTF8, before the mailbox is
 * parsed further; the same mailbox in ASCII gets the table's answer.
 */
static void
test_8bit_offsets(void **state)
{
	struct sh h;
	char ob[4096];
	(void)state;

	assert_int_equal(sh_init(&h, NULL, "alice@example.com\n"), 0);
	for (size_t len = 1; len <= 24; len++) {
		char box[64];
		size_t bn = (size_t)snprintf(box, sizeof(box), "%.*s@example.com", (int)len,
					     "xxxxxxxxxxxxxxxxxxxxxxxx");
		for (size_t k = 0; k <= bn; k++) {
			/* k == bn: every byte ASCII */
			char cmd[128];
			struct smtp_session s;
			struct smtp_out o = { ob, 0, sizeof(ob) };
			size_t used;
			int n = snprintf(cmd, sizeof(cmd), "EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<%s>\r\n", box);
			char *at = strchr(cmd, '<');

			at = strchr(at + 1, '<') + 1; /* RCPT's mailbox */
			if (k < bn)
				at[k] = (char)0xc3;
			smtp_session_init(&s, &h.ctx, "192.0.2.9");
			smtp_session_input(&s, (const uint8_t *)cmd, (size_t)n, &used, &o);
			ob[o.len] = '\0';
			const char *last = strstr(ob, "250 2.1.0");
			assert_non_null(last);
			last = strchr(last, '\n') + 1;
			if (strncmp(last, k < bn ? "553 5.6.7 " : "550 5.1.1 ", 10) != 0)
				fail_msg("mailbox of %zu bytes, byte %zu 8-bit: %s", bn, k, last);
			smtp_session_fini(&s);
		}
	}
	sh_fini(&h);
}

/*
 * A NUL, a CR or a LF at each place after the verb of command lines of
 * 6 to 29 bytes (the engine first tests eight bytes at a time for a
 * byte below 0x0e, the last eight overlapping) gets its 500; other low
 * bytes, such as a TAB or 0x01, which that test lets through to the
 * exact ones, do not: the NOOP they are in is answered 250.
 */
static void
test_line_bytes(void **state)
{
	static const struct {
		char b;
		const char *reply;
	} cases[] = {
		{ '\0', "500 5.5.2 Error: NUL character in command\r\n" },
		{ '\r', "500 5.5.2 Error: bare <CR> or <LF> received\r\n" },
		{ '\n', "500 5.5.2 Error: bare <CR> or <LF> received\r\n" },
		{ '\t', "250 2.0.0 Ok\r\n" },
		{ '\x01', "250 2.0.0 Ok\r\n" },
		{ '\x0e', "250 2.0.0 Ok\r\n" },
		{ 'x', "250 2.0.0 Ok\r\n" },
	};
	struct sh h;
	char ob[4096];
	(void)state;

	assert_int_equal(sh_init(&h, NULL, NULL), 0);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		/* "NOOP " and LEN bytes of argument: lines of 6 to 29 bytes */
		for (size_t len = 1; len <= 24; len++) {
			for (size_t k = 0; k < len; k++) {
				char line[64];
				struct smtp_session s;
				struct smtp_out o = { ob, 0, sizeof(ob) };
				size_t used, n = 5 + len;

				memcpy(line, "NOOP ", 5);
				memset(line + 5, 'a', len);
				line[5 + k] = cases[c].b;
				memcpy(line + n, "\r\n", 2);
				smtp_session_init(&s, &h.ctx, "192.0.2.9");
				smtp_session_input(&s, (const uint8_t *)line, n + 2, &used, &o);
				ob[o.len] = '\0';
				if (strcmp(ob, cases[c].reply) != 0)
					fail_msg("byte 0x%02x at %zu of %zu: %s", (unsigned char)cases[c].b,
						 5 + k, n, ob);
				smtp_session_fini(&s);
			}
		}
	}
	sh_fini(&h);
}

static void
test_no_line_buffer(void **state)
{
	struct sh h;
	struct smtp_session s;
	char ob[4096];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	size_t used;
	(void)state;

	assert_int_equal(sh_init(&h, NULL, NULL), 0);
	h.alloc_fail_after = 0;
	smtp_session_init(&s, &h.ctx, "192.0.2.9");
	/* a complete line needs no buffer; a partial one does */
	assert_int_equal(smtp_session_input(&s, (const uint8_t *)"NOOP\r\nNO", 8, &used, &o), SMTP_CLOSE);
	assert_int_equal(used, 8);
	ob[o.len] = '\0';
	assert_string_equal(ob, "250 2.0.0 Ok\r\n421 4.3.2 Error: out of buffers, try again later\r\n");
	assert_int_equal(h.ctr[RG_C_SMTP_NO_LINEBUF], 1);
	smtp_session_fini(&s);
	sh_fini(&h);
}

/*
 * The RCPT lines of several sessions' inputs, looked up ahead together
 * (smtp_rcpt_prefetch()), are taken by each session's RCPT: the right
 * reply for each, known or not, and counted. Not taken (a lookup of its
 * own, and the reply that one gives): input whose bytes changed at the
 * same place, a table that replaced the one looked up, a table under
 * the threshold.
 */
static void
test_rcpt_prefetch(void **state)
{
	struct sh h, h2;
	struct smtp_session s[3];
	char ob[4096];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	char in[3][64] = { "RCPT TO:<alice@example.com>\r\n", "RCPT TO:<nobody@example.com>\r\n",
			   "rcpt to:<Bob@example.com>\r\n" };
	const uint8_t *p[3] = { (const uint8_t *)in[0], (const uint8_t *)in[1], (const uint8_t *)in[2] };
	size_t n[3];
	static const char *const want[3] = { "250 2.1.5 ", "550 5.1.1 ", "250 2.1.5 " };
	(void)state;

	assert_int_equal(sh_init(&h, NULL, "alice@example.com\nbob@example.com\n"), 0);
	assert_int_equal(sh_init(&h2, NULL, "carol@example.com\n"), 0);
	h.ctx.rcpt_prefetch_min = 1;
	for (int i = 0; i < 3; i++) {
		n[i] = strlen(in[i]);
		smtp_session_init(&s[i], &h.ctx, "192.0.2.9");
		assert_int_equal(feed_steps(&s[i], "HELO c\r\nMAIL FROM:<>\r\n", 100, &o), SMTP_OK);
	}
	/* taken, each by its session */
	smtp_rcpt_prefetch(&h.ctx, p, n, 3);
	for (int i = 0; i < 3; i++) {
		o.len = 0;
		assert_int_equal(feed_steps(&s[i], in[i], 100, &o), SMTP_OK);
		assert_memory_equal(ob, want[i], 10);
	}
	assert_int_equal(h.ctr[RG_C_SMTP_RCPT_PREFETCHED], 3);
	/* the bytes at the same place changed: looked up again */
	smtp_rcpt_prefetch(&h.ctx, p, n, 3);
	memcpy(in[0] + 9, "zzzzz", 5); /* <zzzzz@example.com>: unknown */
	o.len = 0;
	assert_int_equal(feed_steps(&s[0], in[0], 100, &o), SMTP_OK);
	assert_memory_equal(ob, "550 5.1.1 ", 10);
	assert_int_equal(h.ctr[RG_C_SMTP_RCPT_PREFETCHED], 3);
	/* the others are still taken */
	o.len = 0;
	assert_int_equal(feed_steps(&s[2], in[2], 100, &o), SMTP_OK);
	assert_memory_equal(ob, "250 2.1.5 ", 10);
	assert_int_equal(h.ctr[RG_C_SMTP_RCPT_PREFETCHED], 4);
	/* another table now: the rule of the first one is not taken */
	memcpy(in[0] + 9, "alice", 5);
	smtp_rcpt_prefetch(&h.ctx, p, n, 3);
	__atomic_store_n(&h.cur, h2.tbl, __ATOMIC_RELEASE);
	o.len = 0;
	assert_int_equal(feed_steps(&s[0], in[0], 100, &o), SMTP_OK);
	assert_memory_equal(ob, "550 5.1.1 ", 10);
	assert_int_equal(h.ctr[RG_C_SMTP_RCPT_PREFETCHED], 4);
	__atomic_store_n(&h.cur, h.tbl, __ATOMIC_RELEASE);
	/* a table under the threshold is left alone: the daemon's (0, 1 MiB) */
	h.ctx.rcpt_prefetch_min = 0;
	smtp_rcpt_prefetch(&h.ctx, p, n, 3);
	o.len = 0;
	assert_int_equal(feed_steps(&s[0], in[0], 100, &o), SMTP_OK);
	assert_memory_equal(ob, "250 2.1.5 ", 10);
	assert_int_equal(h.ctr[RG_C_SMTP_RCPT_PREFETCHED], 4);
	for (int i = 0; i < 3; i++)
		smtp_session_fini(&s[i]);
	sh_fini(&h2);
	sh_fini(&h);

	/* basic.in a line an input, as a client that does not pipeline
	 * sends it: the six RCPTs that reach the table are taken */
	struct run r;
	char *text = read_file(GOLDEN_DIR "/basic.in");
	assert_non_null(text);
	run_transcript(&r, text, M_LINES);
	free(r.out.p);
	free(text);
	assert_int_equal(r.prefetched, 6);
}

static void
test_table_swap(void **state)
{
	struct sh h;
	struct smtp_session s;
	char ob[4096];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	(void)state;

	assert_int_equal(sh_init(&h, NULL, "alice@example.com\n"), 0);
	smtp_session_init(&s, &h.ctx, "192.0.2.9");
	assert_int_equal(feed_steps(&s, "HELO c\r\nMAIL FROM:<>\r\n", 100, &o), SMTP_OK);
	/* the table is read at each RCPT: unloading it gives 451 at once */
	__atomic_store_n(&h.cur, NULL, __ATOMIC_RELEASE);
	o.len = 0;
	assert_int_equal(feed_steps(&s, "RCPT TO:<alice@example.com>\r\n", 100, &o), SMTP_OK);
	assert_memory_equal(ob, "451 4.3.0 ", 10);
	__atomic_store_n(&h.cur, h.tbl, __ATOMIC_RELEASE);
	o.len = 0;
	assert_int_equal(feed_steps(&s, "RCPT TO:<alice@example.com>\r\n", 100, &o), SMTP_OK);
	assert_memory_equal(ob, "250 2.1.5 ", 10);
	smtp_session_fini(&s);
	sh_fini(&h);
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a > b && strcmp(s + a - b, suf) == 0;
}

/* A relay that takes the envelope: records every hook, answers RCPT later. */
struct env_relay {
	int mails, rcpts, resets, closes, begins, ends;
	char from[320], params[140], to[320], helo[320];
	size_t room; /* what room() says */
	struct buf data;
};

static int
env_mail(void *arg, struct smtp_session *s)
{
	struct env_relay *r = arg;

	r->mails++;
	snprintf(r->from, sizeof(r->from), "%s", smtp_session_sender(s));
	snprintf(r->params, sizeof(r->params), "%s", smtp_session_mail_params(s));
	snprintf(r->helo, sizeof(r->helo), "%s", smtp_session_helo(s));
	return 0;
}

static int
env_rcpt(void *arg, struct smtp_session *s, const char *to, size_t n)
{
	struct env_relay *r = arg;

	(void)s;
	r->rcpts++;
	snprintf(r->to, sizeof(r->to), "%.*s", (int)n, to);
	return SMTP_RELAY_PENDING;
}

static void
env_reset(void *arg, struct smtp_session *s)
{
	(void)s;
	((struct env_relay *)arg)->resets++;
}

static void
env_close(void *arg, struct smtp_session *s)
{
	(void)s;
	((struct env_relay *)arg)->closes++;
}

static size_t
env_room(void *arg, struct smtp_session *s)
{
	(void)s;
	return ((struct env_relay *)arg)->room;
}

static int
env_begin(void *arg, struct smtp_session *s)
{
	(void)s;
	((struct env_relay *)arg)->begins++;
	return 0;
}

static int
env_data(void *arg, struct smtp_session *s, const uint8_t *p, size_t n)
{
	struct env_relay *r = arg;

	(void)s;
	buf_add(&r->data, (const char *)p, n);
	r->room -= n < r->room ? n : r->room;
	return 0;
}

static int
env_end(void *arg, struct smtp_session *s, bool ok, struct smtp_out *out)
{
	(void)s;
	(void)out;
	((struct env_relay *)arg)->ends += ok;
	return SMTP_RELAY_PENDING;
}

static const struct smtp_relay_ops env_ops = {
	.begin = env_begin,
	.data = env_data,
	.end = env_end,
	.mail = env_mail,
	.rcpt = env_rcpt,
	.reset = env_reset,
	.close = env_close,
	.room = env_room,
};

/* Feed IN whole; return the bytes consumed. */
static size_t
feed_all(struct smtp_session *s, const char *in, struct smtp_out *o)
{
	size_t used = 0;

	smtp_session_input(s, (const uint8_t *)in, strlen(in), &used, o);
	return used;
}

static void
test_relay_envelope(void **state)
{
	struct sh h;
	struct env_relay r = { .room = 1000 };
	struct smtp_session s;
	char ob[4096];
	struct smtp_out o = { ob, 0, sizeof(ob) };
	(void)state;

	relay_session(&h, &s, "alice@example.com\nbob@example.com\n", &env_ops, &r);
	feed_all(&s, "EHLO client.example\r\nMAIL FROM:<a@b.example> body=8bitmime SIZE=10 SIZE=12\r\n", &o);
	assert_int_equal(r.mails, 1);
	assert_string_equal(r.from, "a@b.example");
	assert_string_equal(r.params, "SIZE=12 BODY=8BITMIME");
	assert_string_equal(r.helo, "client.example");
	assert_true(smtp_session_esmtp(&s));

	/* an unknown recipient never reaches the relay; an accepted one waits */
	o.len = 0;
	const char *in = "RCPT TO:<nobody@example.com>\r\nRCPT TO:<Alice@example.com>\r\nNOOP\r\n";
	size_t used = feed_all(&s, in, &o);
	assert_int_equal(used, strlen(in) - strlen("NOOP\r\n"));
	assert_int_equal(r.rcpts, 1);
	assert_string_equal(r.to, "Alice@example.com");
	ob[o.len] = '\0';
	assert_non_null(strstr(ob, "550 5.1.1"));
	assert_null(strstr(ob, "250"));
	assert_true(smtp_session_relay_waiting(&s));
	assert_int_equal(feed_all(&s, "NOOP\r\n", &o), 0);

	/* the backend's refusal is the client's reply and does not count */
	o.len = 0;
	assert_int_equal(smtp_session_relay_reply(&s, "550 5.1.1 no such user here\r\n", 29, &o), SMTP_OK);
	assert_memory_equal(ob, "550 5.1.1 no such user here\r\n", 29);
	assert_int_equal(s.n_rcpt, 0);
	assert_int_equal(feed_all(&s, "DATA\r\n", &o), 6);
	ob[o.len] = '\0';
	assert_non_null(strstr(ob, "554 5.5.1"));

	/* its 250 counts */
	feed_all(&s, "RCPT TO:<bob@example.com>\r\n", &o);
	o.len = 0;
	assert_int_equal(smtp_session_relay_reply(&s, "250 2.1.5 Ok\r\n", 14, &o), SMTP_OK);
	assert_int_equal(s.n_rcpt, 1);
	assert_false(smtp_session_relay_waiting(&s));

	/* message bytes are taken only as far as room() allows */
	r.room = 5;
	assert_int_equal(feed_all(&s, "DATA\r\n", &o), 6);
	assert_int_equal(r.begins, 1);
	in = "0123456789\r\n.\r\n";
	used = feed_all(&s, in, &o);
	assert_int_equal(used, 5);
	assert_int_equal(feed_all(&s, in + used, &o), 0);
	r.room = 100;
	assert_int_equal(feed_all(&s, in + used, &o), strlen(in) - used);
	assert_int_equal(r.data.len, 12);
	assert_memory_equal(r.data.p, "0123456789\r\n", 12);
	assert_int_equal(r.ends, 1);
	assert_true(smtp_session_relay_waiting(&s));
	assert_int_equal(smtp_session_relay_reply(&s, "250 2.0.0 Ok: queued\r\n", 22, &o), SMTP_OK);
	assert_int_equal(r.resets, 0);

	/* RSET of a transaction, HELO inside one: reset(); RSET outside: nothing */
	feed_all(&s, "MAIL FROM:<>\r\nRSET\r\nRSET\r\nMAIL FROM:<>\r\nHELO x\r\n", &o);
	assert_int_equal(r.resets, 2);
	assert_int_equal(r.mails, 3);
	assert_string_equal(r.params, "");
	smtp_session_fini(&s);
	assert_int_equal(r.closes, 1);
	free(r.data.p);
	sh_fini(&h);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_relay_data_exact),    cmocka_unit_test(test_relay_pending),
		cmocka_unit_test(test_relay_busy),	    cmocka_unit_test(test_count_refusal_counts_rate),
		cmocka_unit_test(test_relay_abort_bare_lf), cmocka_unit_test(test_relay_envelope),
		cmocka_unit_test(test_log_rate_limit),	    cmocka_unit_test(test_client_addr),
		cmocka_unit_test(test_no_line_buffer),	    cmocka_unit_test(test_table_swap),
		cmocka_unit_test(test_rcpt_burst),	    cmocka_unit_test(test_rcpt_prefetch),
		cmocka_unit_test(test_verb_bytes),	    cmocka_unit_test(test_8bit_offsets),
		cmocka_unit_test(test_line_bytes),
	};
	size_t nf = sizeof(fixed) / sizeof(fixed[0]), n = 0, cap = 64;
	char **names = calloc(cap, sizeof(*names));
	DIR *d = opendir(GOLDEN_DIR);
	struct dirent *e;

	msg_set_verbose(0);
	if (d == NULL) {
		fprintf(stderr, "test_smtp: cannot open %s (run from the source root)\n", GOLDEN_DIR);
		return 1;
	}
	while ((e = readdir(d)) != NULL && n < cap)
		if (has_suffix(e->d_name, ".in"))
			names[n++] = strndup(e->d_name, strlen(e->d_name) - 3);
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);

	struct CMUnitTest *tests = calloc(n + nf, sizeof(*tests));
	for (size_t i = 0; i < n; i++) {
		tests[i].name = names[i];
		tests[i].test_func = test_golden;
		tests[i].initial_state = names[i];
	}
	memcpy(tests + n, fixed, sizeof(fixed));
	int rc = _cmocka_run_group_tests("smtp", tests, n + nf, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return rc;
}
