/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	rb_script.c - the SMTP side of a benchmark session
 * DESCRIPTION
 *	A session is the command list
 *	  0 EHLO, 1 MAIL, 2..n+1 RCPT, [n+2 DATA, n+3 message], last QUIT
 *	and reply r answers command r-1 (reply 0 is the banner). A session
 *	with STARTTLS (--tls) puts "EHLO, STARTTLS" in front of that list:
 *	the 220 to STARTTLS then plays the banner's part for the rest, which
 *	runs inside TLS. On that 220 the script sends nothing and sets
 *	RB_SF_TLS; the transport does the handshake and asks for the rest
 *	with rb_sess_tls_done(). A 4xx to STARTTLS (a server shedding TLS)
 *	is counted and the session goes on in plaintext, as a sender that
 *	only tries TLS does. Without
 *	pipelining each command waits for the previous reply; with it,
 *	MAIL, every RCPT and DATA (or QUIT) go in one group after the EHLO
 *	reply, as RFC 2920 allows.
 *
 *	Which recipients are valid is drawn from a hash of (seed, session,
 *	index), so the expected code of every reply is known without any
 *	per-recipient memory. A session that carries DATA always names a
 *	valid first recipient, so its DATA must get 354.
 * DIAGNOSTICS
 *	Wrong codes are counted (struct rb_stats.wrong), never fatal. A
 *	line that is not "DDD " or "DDD-" and a reply nobody asked for end
 *	the session with -EPROTO.
 * TRUST
 *	Server output is untrusted; the parser keeps three digits and a
 *	column count, whatever the line length.
 */
#include <errno.h>
#include <string.h>

#include "bench.h"

static const char rb_ehlo[] = "EHLO bench.example\r\n";
static const char rb_starttls[] = "STARTTLS\r\n";
static const char rb_mail[] = "MAIL FROM:<bench@client.example>\r\n";
static const char rb_data[] = "DATA\r\n";
static const char rb_body[] = "From: <bench@client.example>\r\nSubject: rcptgate-bench\r\n\r\n"
			      "hello\r\n.\r\n";
static const char rb_quit[] = "QUIT\r\n";

static uint64_t
rb_mix(uint64_t x)
{
	/* splitmix64 finaliser: cheap and well spread */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Commands in front of the plaintext list: EHLO and STARTTLS, or none. */
static unsigned
rb_pre(const struct rb_sess *s)
{
	return (s->flags & RB_SF_STARTTLS) ? 2u : 0u;
}

static unsigned
rb_ncmds(const struct rb_opts *o, const struct rb_sess *s)
{
	return rb_pre(s) + 3u + o->rcpts + ((s->flags & RB_SF_DATA) ? 2u : 0u);
}

/* Recipient I of session S: valid or not, and its number. */
static bool
rb_rcpt(const struct rb_opts *o, const struct rb_sess *s, unsigned i, unsigned *num)
{
	uint64_t h = rb_mix(o->seed ^ ((uint64_t)s->id << 20) ^ i);
	bool valid = o->users > 0 && ((h % 100) < o->valid_pct || (i == 0 && (s->flags & RB_SF_DATA)));

	*num = (unsigned)(h >> 32);
	if (valid)
		*num %= o->users;
	return valid;
}

void
rb_sess_start(const struct rb_opts *o, struct rb_sess *s, uint32_t id)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	if (o->scenario == RB_SC_MIXED && rb_mix(o->seed ^ 0x5eed ^ id) % 100 < o->data_pct)
		s->flags |= RB_SF_DATA;
	uint64_t h = rb_mix(o->seed ^ 0x7150 ^ id) % 100;
	if (h < o->flood_pct)
		s->flags |= RB_SF_STARTTLS | RB_SF_FLOOD;
	else if (h < o->flood_pct + o->tls_pct)
		s->flags |= RB_SF_STARTTLS;
}

static size_t
rb_put(char *out, size_t at, const char *s, size_t n)
{
	memcpy(out + at, s, n);
	return at + n;
}

static size_t
rb_utoa(char *out, size_t at, unsigned v)
{
	char tmp[12];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		out[at++] = tmp[--n];
	return at;
}

/* RCPT TO:<userN@domain> or <nouserN@domain>. Longest: 9+6+10+1+127+3. */
static size_t
rb_put_rcpt(const struct rb_opts *o, const struct rb_sess *s, unsigned i, char *out, size_t at)
{
	unsigned num;
	bool valid = rb_rcpt(o, s, i, &num);

	at = rb_put(out, at, "RCPT TO:<", 9);
	at = valid ? rb_put(out, at, "user", 4) : rb_put(out, at, "nouser", 6);
	at = rb_utoa(out, at, num);
	out[at++] = '@';
	at = rb_put(out, at, o->domain, strlen(o->domain));
	return rb_put(out, at, ">\r\n", 3);
}

int
rb_user_line(const struct rb_opts *o, unsigned n, char *buf, size_t cap)
{
	if (cap < 4 + 10 + 1 + sizeof(o->domain) + 1)
		return -ENOSPC;
	size_t at = rb_put(buf, 0, "user", 4);
	at = rb_utoa(buf, at, n);
	buf[at++] = '@';
	at = rb_put(buf, at, o->domain, strlen(o->domain));
	buf[at] = '\0';
	return (int)at;
}

/* Write command J of session S at OUT+AT; returns the new end. */
static size_t
rb_put_cmd(const struct rb_opts *o, const struct rb_sess *s, unsigned j, char *out, size_t at)
{
	unsigned n = o->rcpts, pre = rb_pre(s);

	if (j == 1 && pre > 0)
		return rb_put(out, at, rb_starttls, sizeof(rb_starttls) - 1);
	if (j >= pre)
		j -= pre;
	if (j == 0)
		return rb_put(out, at, rb_ehlo, sizeof(rb_ehlo) - 1);
	if (j == 1)
		return rb_put(out, at, rb_mail, sizeof(rb_mail) - 1);
	if (j < 2 + n)
		return rb_put_rcpt(o, s, j - 2, out, at);
	if ((s->flags & RB_SF_DATA) && j == 2 + n)
		return rb_put(out, at, rb_data, sizeof(rb_data) - 1);
	if ((s->flags & RB_SF_DATA) && j == 3 + n)
		return rb_put(out, at, rb_body, sizeof(rb_body) - 1);
	return rb_put(out, at, rb_quit, sizeof(rb_quit) - 1);
}

/* The code reply R must carry. */
static unsigned
rb_expect(const struct rb_opts *o, const struct rb_sess *s, unsigned r, bool *is_rcpt, bool *valid)
{
	unsigned n = o->rcpts, num, pre = rb_pre(s);

	*is_rcpt = false;
	if (r == 1 && pre > 0)
		return 250; /* EHLO before STARTTLS */
	if (r >= pre)
		r -= pre; /* the 220 to STARTTLS is the banner of the rest */
	if (r == 0)
		return 220;
	if (r <= 2)
		return 250;
	if (r < 3 + n) {
		*is_rcpt = true;
		*valid = rb_rcpt(o, s, r - 3, &num);
		return *valid ? 250 : 550;
	}
	if ((s->flags & RB_SF_DATA) && r == 3 + n)
		return 354;
	if ((s->flags & RB_SF_DATA) && r == 4 + n)
		return o->data_code;
	return 221;
}

/* Last command to send once reply R is in, or -1 for none. */
static int
rb_group_end(const struct rb_opts *o, const struct rb_sess *s, unsigned r)
{
	unsigned last = rb_ncmds(o, s) - 1, pre = rb_pre(s);

	if (r > last)
		return -1;
	if (!o->pipelining || r <= pre) /* nothing is pipelined behind STARTTLS */
		return (int)r;
	r -= pre;
	if (r == 1) /* MAIL, every RCPT, and DATA or QUIT */
		return (int)pre + ((s->flags & RB_SF_DATA) ? (int)(2 + o->rcpts) : (int)(last - pre));
	if ((s->flags & RB_SF_DATA) && (r == 3 + o->rcpts || r == 4 + o->rcpts))
		return (int)(pre + r); /* the message after 354, QUIT after its reply */
	return -1;
}

/* Write the commands due once reply R is in; returns the bytes written. */
static int
rb_emit(const struct rb_opts *o, struct rb_sess *s, unsigned r, char *out, size_t cap)
{
	int end = rb_group_end(o, s, r);
	size_t at = 0;

	while (end >= 0 && s->next_cmd <= (unsigned)end) {
		if (cap - at < 9 + 6 + 10 + 1 + sizeof(o->domain) + 3 + sizeof(rb_body))
			return -ENOSPC;
		at = rb_put_cmd(o, s, s->next_cmd++, out, at);
	}
	return (int)at;
}

/* One complete reply with CODE: check it, then send what follows. */
static int
rb_reply(const struct rb_opts *o, struct rb_sess *s, unsigned code, struct rb_stats *st, char *out,
	 size_t cap)
{
	unsigned r = s->next_reply, pre = rb_pre(s);
	bool is_rcpt, valid = false;

	if (r >= rb_ncmds(o, s) + 1 || (s->flags & RB_SF_DONE))
		return -EPROTO;
	unsigned want = rb_expect(o, s, r, &is_rcpt, &valid);
	if (pre > 0 && r == pre && code >= 400 && code < 500)
		st->tls_refused++; /* shed: go on in plaintext */
	else if (code != want)
		st->wrong++;
	if (is_rcpt) {
		st->rcpts++;
		st->rcpt_valid += valid;
	}
	s->next_reply++;
	if ((s->flags & RB_SF_DATA) && r == pre + 3 + o->rcpts && code != 354) {
		/* No 354: the message must not be sent; go on with QUIT. */
		s->next_reply++;
		if (s->next_cmd == r)
			s->next_cmd++;
	} else if ((s->flags & RB_SF_DATA) && r == pre + 4 + o->rcpts) {
		st->data++;
	}
	if (want == 221 && r == rb_ncmds(o, s)) {
		s->flags |= RB_SF_DONE;
		st->tls_sessions += (s->flags & RB_SF_TLS) != 0;
		return 0;
	}
	if (pre > 0 && r == pre && code == 220) {
		s->flags |= RB_SF_TLS; /* the handshake first: rb_sess_tls_done() */
		return 0;
	}
	return rb_emit(o, s, s->next_reply - 1u, out, cap);
}

int
rb_sess_tls_done(const struct rb_opts *o, struct rb_sess *s, char *out, size_t cap)
{
	if (!(s->flags & RB_SF_TLS) || s->next_reply != rb_pre(s) + 1)
		return -EPROTO;
	return rb_emit(o, s, rb_pre(s), out, cap);
}

int
rb_sess_input(const struct rb_opts *o, struct rb_sess *s, const uint8_t *data, size_t len,
	      struct rb_stats *st, char *out, size_t cap)
{
	size_t at = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];
		if (s->col >= 4 && c != '\n') {
			/* Past the code and its separator the text says nothing:
			 * on to the line's end at once, not a byte at a time (the
			 * byte loop was a third of the client's samples). Any col
			 * of 4 or more means the same. */
			const uint8_t *nl = memchr(data + i, '\n', len - i);
			i = (nl != NULL ? (size_t)(nl - data) : len) - 1;
			continue;
		}
		if (c == '\n') {
			if (s->col < 4 || (s->flags & RB_SF_BAD)) {
				s->flags |= RB_SF_BAD;
				return -EPROTO;
			}
			s->col = 0;
			if (s->last) {
				bool plain = !(s->flags & RB_SF_TLS);
				int n = rb_reply(o, s, s->code, st, out + at, cap - at);
				if (n < 0)
					return n;
				at += (size_t)n;
				/* Nothing may follow the 220 to STARTTLS in plaintext. */
				if (plain && (s->flags & RB_SF_TLS) && i + 1 < len)
					return -EPROTO;
			}
			continue;
		}
		if (s->col < 3) {
			if (c < '0' || c > '9')
				s->flags |= RB_SF_BAD;
			s->code = (uint16_t)((s->col == 0 ? 0 : s->code * 10) + (c - '0'));
		} else if (s->col == 3) {
			if (c != ' ' && c != '-' && c != '\r')
				s->flags |= RB_SF_BAD;
			s->last = c != '-';
		}
		if (s->col < 255)
			s->col++;
	}
	return (int)at;
}
