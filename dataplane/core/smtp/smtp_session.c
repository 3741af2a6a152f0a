/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	smtp_session.c - SMTP engine: the byte stream of one session
 * DESCRIPTION
 *	Cuts the client's stream into command lines and hands each one to
 *	smtp_command(); in DATA it scans for the end marker and hands the
 *	message bytes to the relay hook.
 *
 *	A line ends only at CRLF. A bare CR or bare LF is never a line end
 *	(SMTP smuggling, CVE-2023-51764): in a command line it makes the
 *	line refused with 500; in DATA only CRLF "." CRLF ends the message,
 *	and a message with a bare CR or LF is refused with 550 at its end.
 *
 *	A complete line found in the caller's bytes is used in place; only
 *	a partial line at the end of the input is copied into a line buffer
 *	(SMTP_LINEBUF_SIZE, from ctx->buf_alloc), held until the line is
 *	complete. A command line longer than SMTP_CMD_MAX octets is not
 *	buffered: its bytes are discarded up to its CRLF and it gets 500.
 * DIAGNOSTICS
 *	Replies, counters and (rate-limited) log lines; nothing is fatal.
 *	When no line buffer can be had the session ends with 421 4.3.2.
 * TRUST
 *	The byte stream is untrusted; all lengths are bounded by
 *	SMTP_CMD_MAX before anything is copied.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/clean.h>

#include "cidr.h"
#include "msg.h"
#include "smtp/smtp_impl.h"

/* DATA end-marker scanner states (struct smtp_session.dstate). */
enum {
	D_BOL,	 /* at the beginning of a line (after CRLF) */
	D_LINE,	 /* inside a line */
	D_CR,	 /* CR inside a line */
	D_DOT,	 /* "." at the beginning of a line */
	D_DOTCR, /* "." CR at the beginning of a line */
	D_END,	 /* CRLF "." CRLF seen */
};

/* What take_line() found. */
enum { LINE_NONE, LINE_OK, LINE_LONG, LINE_HTTP };

static const char R_LONG[] = "500 5.5.2 Error: line too long\r\n";
static const char R_NUL[] = "500 5.5.2 Error: NUL character in command\r\n";
static const char R_BARE[] = "500 5.5.2 Error: bare <CR> or <LF> received\r\n";
static const char R_NOBUF[] = "421 4.3.2 Error: out of buffers, try again later\r\n";
static const char R_NO_RELAY[] = "451 4.3.0 Error: message relay not available, try again later\r\n";
static const char R_BARE_DATA[] = "550 5.5.2 Error: bare <CR> or <LF> in message data\r\n";

/* The mail log: -q (msg_set_verbose(0)) does not quieten it. */
static void
default_log(void *arg, const char *line)
{
	(void)arg;
	msg_mail("%s", line);
}

/* Default line buffers: malloc, when the caller gives no pool. */
static void *
default_alloc(void *arg)
{
	(void)arg;
	return malloc(SMTP_LINEBUF_SIZE);
}

static void
default_free(void *arg, void *buf)
{
	(void)arg;
	free(buf);
}

/* Render a constant reply with the host name into BUF; its length. */
static uint16_t
render(char *buf, size_t size, const char *fmt, const char *host)
{
	int n = snprintf(buf, size, fmt, SMTP_HOST_MAX, host);
	if (n < 0 || (size_t)n >= size)
		msg_panic("smtp: constant reply does not fit (%d/%zu)", n, size);
	return (uint16_t)n;
}

int
smtp_ctx_prepare(struct smtp_ctx *ctx)
{
	if (ctx == NULL || ctx->cfg == NULL)
		return -EINVAL;
	const struct rg_config *cfg = ctx->cfg;
	const char *host = cfg->myhostname;
	char size[40] = "";

	if (cfg->message_size_limit != 0)
		snprintf(size, sizeof(size), " %llu", (unsigned long long)cfg->message_size_limit);
	ctx->banner_len = render(ctx->banner, sizeof(ctx->banner), "220 %.*s ESMTP\r\n", host);
	ctx->helo_len = render(ctx->helo, sizeof(ctx->helo), "250 %.*s\r\n", host);
	ctx->errlimit_len = render(ctx->errlimit, sizeof(ctx->errlimit),
				   "421 4.7.0 %.*s Error: too many errors\r\n", host);
	ctx->timeout_len = render(ctx->timeout, sizeof(ctx->timeout),
				  "421 4.4.2 %.*s Error: timeout exceeded\r\n", host);
	/* EHLO lists only what the engine implements. */
	int n = snprintf(ctx->ehlo, sizeof(ctx->ehlo),
			 "250-%.*s\r\n250-PIPELINING\r\n250-SIZE%s\r\n250-VRFY\r\n"
			 "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
			 SMTP_HOST_MAX, host, size);
	if (n < 0 || (size_t)n >= sizeof(ctx->ehlo))
		msg_panic("smtp: EHLO reply does not fit (%d)", n);
	ctx->ehlo_len = (uint16_t)n;
	n = snprintf(ctx->ehlo_tls, sizeof(ctx->ehlo_tls),
		     "250-%.*s\r\n250-PIPELINING\r\n250-SIZE%s\r\n250-VRFY\r\n250-STARTTLS\r\n"
		     "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
		     SMTP_HOST_MAX, host, size);
	if (n < 0 || (size_t)n >= sizeof(ctx->ehlo_tls))
		msg_panic("smtp: EHLO reply with STARTTLS does not fit (%d)", n);
	ctx->ehlo_tls_len = (uint16_t)n;
	if (ctx->log == NULL)
		ctx->log = default_log;
	if (ctx->buf_alloc == NULL || ctx->buf_free == NULL) {
		ctx->buf_alloc = default_alloc;
		ctx->buf_free = default_free;
	}
	ctx->log_sec = ctx->now;
	ctx->log_count = 0;
	ctx->log_suppressed = 0;
	ctx->prepared = true;
	return 0;
}

static void
session_start(struct smtp_session *s, struct smtp_ctx *ctx)
{
	if (!ctx->prepared)
		smtp_ctx_prepare(ctx);
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->state = SMTP_S_CONNECT;
	SMTP_COUNT(s, SMTP_SESSIONS);
}

void
smtp_session_init(struct smtp_session *s, struct smtp_ctx *ctx, const char *client_ip)
{
	const char *ip = client_ip ? client_ip : "unknown";

	session_start(s, ctx);
	/* session_start()'s memset wrote the NUL */
	memcpy(s->client_ip.text, ip, strnlen(ip, sizeof(s->client_ip.text) - 1));
}

/*
 * Kept as bytes, not text: formatting the address at every open cost
 * about 130 instructions a session (1% of a rejected one), for the few
 * sessions whose address a log line or reply names.
 */
void
smtp_session_init_addr(struct smtp_session *s, struct smtp_ctx *ctx, int family, const uint8_t *addr)
{
	session_start(s, ctx);
	if (family == AF_INET || family == AF_INET6) {
		s->client_family = (uint8_t)family;
		memcpy(s->client_ip.addr, addr, family == AF_INET ? 4 : 16);
	} else {
		strcpy(s->client_ip.text, "unknown");
	}
}

const char *
smtp_session_client_ip(const struct smtp_session *s, char buf[SMTP_IP_MAX])
{
	uint32_t v4;

	switch (s->client_family) {
	case AF_INET:
		memcpy(&v4, s->client_ip.addr, 4);
		rg_ipv4_str(v4, buf);
		return buf;
	case AF_INET6:
		if (inet_ntop(AF_INET6, s->client_ip.addr, buf, SMTP_IP_MAX) == NULL)
			strcpy(buf, "unknown");
		return buf;
	default:
		return s->client_ip.text;
	}
}

static void
line_release(struct smtp_session *s)
{
	if (s->line != NULL)
		s->ctx->buf_free(s->ctx->buf_arg, s->line);
	s->line = NULL;
	s->line_len = 0;
}

void
smtp_session_fini(struct smtp_session *s)
{
	const struct smtp_relay_ops *relay = s->ctx->relay;

	if (relay != NULL && relay->close != NULL)
		relay->close(s->ctx->relay_arg, s);
	smtp_limit_close(s);
	line_release(s);
	if (s->env != NULL)
		s->ctx->buf_free(s->ctx->buf_arg, s->env);
	s->env = NULL;
	s->state = SMTP_S_CLOSED;
}

void
smtp_soft_bounce(char *r, size_t n)
{
	size_t i = 0;

	while (i < n) {
		char *l = r + i;
		const char *lf = memchr(l, '\n', n - i);
		size_t ll = lf != NULL ? (size_t)(lf - l) + 1 : n - i;

		if (ll >= 4 && l[0] == '5' && isdigit((unsigned char)l[1]) && isdigit((unsigned char)l[2]) &&
		    (l[3] == ' ' || l[3] == '-')) {
			l[0] = '4';
			if (ll >= 6 && l[4] == '5' && l[5] == '.')
				l[4] = '4';
		}
		i += ll;
	}
}

/*
 * sent - AT[0..N) has just entered the client's stream. Every reply
 * passes here: the engine's own and the relay's (the backend's) through
 * put(), a reply the relay's end() appended itself through data_end().
 * So soft_bounce is applied in this one place, to every 5xx whoever made
 * it, protocol and syntax errors included: Postfix's smtpd does the same
 * in its reply output routine (smtpd_chat_reply), on purpose, so that a
 * 501 for an address our parser refuses by mistake is not final either.
 */
static void
sent(const struct smtp_ctx *ctx, char *at, size_t n)
{
	if (ctx->cfg->soft_bounce)
		smtp_soft_bounce(at, n);
}

/*
 * put - append the reply R[0..N) to OUT; it does not count as an error
 * (banner, 421s use it directly). Return where it went in OUT, or NULL
 * when OUT had no room for it.
 */
static const char *
put(const struct smtp_ctx *ctx, struct smtp_out *out, const char *r, size_t n)
{
	char *at;

	if (n > smtp_out_room(out))
		return NULL;
	at = out->buf + out->len;
	memcpy(at, r, n);
	out->len += n;
	sent(ctx, at, n);
	return at;
}

const char *
smtp_reply(struct smtp_session *s, struct smtp_out *out, const char *r, size_t n)
{
	const char *at = put(s->ctx, out, r, n);

	if (r[0] == '4' || r[0] == '5')
		s->n_errors++;
	return at != NULL ? at : r;
}

int
smtp_session_banner(struct smtp_session *s, struct smtp_out *out)
{
	if (smtp_out_room(out) < s->ctx->banner_len)
		return SMTP_CLOSE;
	put(s->ctx, out, s->ctx->banner, s->ctx->banner_len);
	return SMTP_OK;
}

int
smtp_session_timeout(struct smtp_session *s, struct smtp_out *out)
{
	if (s->state != SMTP_S_CLOSED) {
		put(s->ctx, out, s->ctx->timeout, s->ctx->timeout_len);
		SMTP_COUNT(s, SMTP_TIMEOUT);
		smtp_log_event(s, "timeout");
		s->state = SMTP_S_CLOSED;
	}
	return SMTP_CLOSE;
}

/* Is P[0..N) the start of an HTTP request line? */
static bool
is_http(const char *p, size_t n)
{
	static const char *const methods[] = {
		"GET ", "POST ", "HEAD ", "CONNECT ", "PUT ", "OPTIONS ",
	};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t m = strlen(methods[i]);
		if (n >= m && memcmp(p, methods[i], m) == 0)
			return true;
	}
	return false;
}

/*
 * An over-long first line is discarded before it is complete: decide on
 * HTTP from its first bytes (pending buffer, then P).
 */
static bool
first_line_is_http(const struct smtp_session *s, const uint8_t *p, size_t n)
{
	char head[8];
	size_t k = 0;

	for (size_t i = 0; i < s->line_len && k < sizeof(head); i++)
		head[k++] = s->line[i];
	for (size_t i = 0; i < n && k < sizeof(head); i++)
		head[k++] = (char)p[i];
	return is_http(head, k);
}

/*
 * take_line - find the next command line in P[0..N).
 *
 * Return: bytes consumed. *WHAT is LINE_OK, with *LINE and *LL (no CRLF),
 * when a line is complete, LINE_LONG when an over-long line ended,
 * LINE_NONE when all bytes went into the pending state, LINE_HTTP when
 * an over-long first line starts like an HTTP request. *NOBUF is set
 * when a partial line could not be buffered.
 */
static size_t
take_line(struct smtp_session *s, const uint8_t *p, size_t n, const char **line, size_t *ll, int *what,
	  bool *nobuf)
{
	bool discard = (s->flags & SMTP_F_DISCARD) != 0;
	bool prev_cr =
		discard ? (s->flags & SMTP_F_CR) != 0 : (s->line_len > 0 && s->line[s->line_len - 1] == '\r');
	/* Bytes that may still belong to a line of at most SMTP_CMD_MAX. */
	size_t limit = discard ? n : (size_t)SMTP_CMD_MAX - s->line_len;
	size_t scan = n < limit ? n : limit;
	size_t i = 0, end = SIZE_MAX;
	const uint8_t *lf;

	*what = LINE_NONE;
	while (i < scan && (lf = memchr(p + i, '\n', scan - i)) != NULL) {
		size_t k = (size_t)(lf - p);
		if (k > 0 ? p[k - 1] == '\r' : prev_cr) {
			end = k;
			break;
		}
		i = k + 1; /* bare LF: part of the line */
	}

	if (end != SIZE_MAX) {
		if (discard) {
			s->flags &= (uint16_t) ~(SMTP_F_DISCARD | SMTP_F_CR);
			*what = LINE_LONG;
		} else if (s->line_len == 0) {
			*line = (const char *)p;
			*ll = end - 1; /* end >= 1: prev_cr needs a pending byte */
			*what = LINE_OK;
		} else {
			/* line_len + end + 1 <= SMTP_CMD_MAX < SMTP_LINEBUF_SIZE */
			memcpy(s->line + s->line_len, p, end);
			*line = s->line;
			*ll = s->line_len + end - 1;
			*what = LINE_OK;
		}
		return end + 1;
	}
	if (discard) {
		if (n > 0)
			s->flags = (uint16_t)((s->flags & ~SMTP_F_CR) | (p[n - 1] == '\r' ? SMTP_F_CR : 0));
		return n;
	}
	if (n >= limit) {
		/* The line cannot end within SMTP_CMD_MAX octets. */
		if (!(s->flags & SMTP_F_SPOKE) && first_line_is_http(s, p, n))
			*what = LINE_HTTP;
		line_release(s);
		s->flags = (uint16_t)((s->flags & ~SMTP_F_CR) | SMTP_F_DISCARD |
				      (limit > 0 && p[limit - 1] == '\r' ? SMTP_F_CR : 0));
		return limit;
	}
	if (s->line == NULL) {
		s->line = s->ctx->buf_alloc(s->ctx->buf_arg);
		if (s->line == NULL) {
			*nobuf = true;
			return n;
		}
	}
	memcpy(s->line + s->line_len, p, n);
	s->line_len = (uint16_t)(s->line_len + n);
	return n;
}

/* An HTTP request instead of SMTP: drop the connection. */
static int
http_drop(struct smtp_session *s)
{
	SMTP_COUNT(s, SMTP_HTTP_DROP);
	smtp_log_event(s, "HTTP request");
	s->state = SMTP_S_CLOSED;
	return SMTP_DROP;
}

/*
 * Whether LINE[0..N) has a byte below 0x0e, which NUL, LF and CR are:
 * eight bytes at a time (rg_word_has_below()), then the last eight
 * bytes, which may overlap the word before; lines under eight bytes a
 * byte at a time. Most lines have none and skip the three memchr()
 * calls that tell which (docs/benchmarks.md).
 */
static bool
line_has_low(const char *line, size_t n)
{
	uint64_t x;
	size_t i;

	if (n < 8) {
		for (i = 0; i < n; i++)
			if ((unsigned char)line[i] < 0x0e)
				return true;
		return false;
	}
	for (i = 0; i + 8 < n; i += 8) {
		memcpy(&x, line + i, 8);
		if (rg_word_has_below(x, 0x0e))
			return true;
	}
	memcpy(&x, line + n - 8, 8);
	return rg_word_has_below(x, 0x0e);
}

/* Check and run one complete command line. */
static int
command_line(struct smtp_session *s, const char *line, size_t n, struct smtp_out *out)
{
	bool first = !(s->flags & SMTP_F_SPOKE);

	s->flags |= SMTP_F_SPOKE;
	if (first && is_http(line, n))
		return http_drop(s);
	SMTP_COUNT(s, SMTP_COMMANDS);
	if (line_has_low(line, n)) {
		if (memchr(line, '\0', n) != NULL) {
			SMTP_COUNT(s, SMTP_ERR_NUL);
			SMTP_REPLY(s, out, R_NUL);
			return SMTP_OK;
		}
		if (memchr(line, '\r', n) != NULL || memchr(line, '\n', n) != NULL) {
			SMTP_COUNT(s, SMTP_ERR_BARE_NEWLINE);
			SMTP_REPLY(s, out, R_BARE);
			return SMTP_OK;
		}
	}
	return smtp_command(s, line, n, out);
}

/* The end marker arrived: answer the message and end the transaction. */
static void
data_end(struct smtp_session *s, struct smtp_out *out)
{
	const struct smtp_relay_ops *relay = s->ctx->relay;
	bool relaying = (s->flags & SMTP_F_RELAY) != 0;
	bool refused = (s->flags & (SMTP_F_BARE | SMTP_F_BIG)) != 0;

	s->last_cmd = SMTP_CMD_END_DATA;
	s->state = SMTP_S_HELO;
	if (refused && relaying)
		relay->end(s->ctx->relay_arg, s, false, out);
	if (s->flags & SMTP_F_BARE) {
		SMTP_COUNT(s, SMTP_DATA_BARE_NEWLINE);
		SMTP_REPLY(s, out, R_BARE_DATA);
	} else if (s->flags & SMTP_F_BIG) {
		SMTP_COUNT(s, SMTP_DATA_TOO_BIG);
		smtp_reply(s, out, smtp_r_size, strlen(smtp_r_size));
	} else if (relaying) {
		size_t at = out->len;
		int rc = relay->end(s->ctx->relay_arg, s, true, out);
		if (rc == 0)
			sent(s->ctx, out->buf + at, out->len - at); /* the reply end() appended */
		if (rc == SMTP_RELAY_PENDING) {
			s->state = SMTP_S_RELAY_WAIT;
		} else if (rc < 0) {
			SMTP_COUNT(s, SMTP_DATA_NO_RELAY);
			SMTP_REPLY(s, out, R_NO_RELAY);
		}
	} else {
		SMTP_COUNT(s, SMTP_DATA_NO_RELAY);
		SMTP_REPLY(s, out, R_NO_RELAY);
	}
	if (!relaying && relay != NULL && relay->reset != NULL)
		relay->reset(s->ctx->relay_arg, s); /* its transaction got no message */
	smtp_reset_transaction(s);
	s->flags &= (uint16_t) ~(SMTP_F_BARE | SMTP_F_BIG | SMTP_F_RELAY);
}

/* Hand message bytes to the relay; a failing relay stops taking them. */
static void
data_pass(struct smtp_session *s, const uint8_t *p, size_t n)
{
	if (n == 0 || (s->flags & (SMTP_F_RELAY | SMTP_F_BIG)) != SMTP_F_RELAY)
		return;
	if (s->ctx->relay->data(s->ctx->relay_arg, s, p, n) < 0)
		s->flags &= (uint16_t)~SMTP_F_RELAY;
}

/* One step of the end-marker scanner; *BARE is set on a bare CR or LF. */
static uint8_t
data_step(uint8_t st, uint8_t c, bool *bare)
{
	switch (st) {
	case D_BOL:
		if (c == '.')
			return D_DOT;
		/* otherwise as inside a line */
		/* fall through */
	case D_LINE:
		if (c == '\r')
			return D_CR;
		if (c == '\n')
			*bare = true;
		return D_LINE;
	case D_DOT:
		if (c == '\r')
			return D_DOTCR;
		if (c == '\n')
			*bare = true;
		return D_LINE;
	case D_CR:
	case D_DOTCR:
		if (c == '\n')
			return st == D_CR ? D_BOL : D_END;
		*bare = true;
		return c == '\r' ? D_CR : D_LINE;
	default:
		return st;
	}
}

/* Octets of the end marker ("." CR LF) matched in state ST. */
static size_t
marker_len(uint8_t st)
{
	return st == D_DOT ? 1 : st == D_DOTCR ? 2 : st == D_END ? 3 : 0;
}

/*
 * data_input - scan message bytes P[0..N) for CRLF "." CRLF. A possible
 * end marker is held back from the relay until it proves to be data.
 *
 * Return: bytes consumed (up to and including the end marker).
 */
static size_t
data_input(struct smtp_session *s, const uint8_t *p, size_t n, struct smtp_out *out)
{
	uint8_t st = s->dstate;
	size_t held = marker_len(st); /* marker bytes held from the last chunk */
	size_t i = 0;
	bool bare = false;
	uint64_t limit = s->ctx->cfg->message_size_limit;

	while (i < n && st != D_END) {
		if (st == D_LINE) {
			/* the common case: ordinary bytes up to CR or LF */
			while (i < n && p[i] != '\r' && p[i] != '\n')
				i++;
			if (i == n)
				break;
		}
		uint8_t next = data_step(st, p[i++], &bare);
		if (held > 0 && marker_len(next) <= marker_len(st)) {
			/* the held "." or ".\r" was message data after all */
			s->msg_bytes += held;
			data_pass(s, (const uint8_t *)".\r", held);
			held = 0;
		}
		st = next;
	}
	size_t keep = i - (marker_len(st) - held); /* this chunk's message bytes */

	if (bare)
		s->flags |= SMTP_F_BARE;
	s->msg_bytes += keep;
	if (limit != 0 && s->msg_bytes > limit)
		s->flags |= SMTP_F_BIG;
	data_pass(s, p, keep);
	s->dstate = st;
	if (st == D_END)
		data_end(s, out);
	return i;
}

void
smtp_data_begin(struct smtp_session *s)
{
	const struct smtp_relay_ops *relay = s->ctx->relay;

	s->state = SMTP_S_DATA;
	s->dstate = D_BOL;
	s->msg_bytes = 0;
	s->flags &= (uint16_t) ~(SMTP_F_BARE | SMTP_F_BIG | SMTP_F_RELAY);
	if (relay != NULL && relay->begin(s->ctx->relay_arg, s) == 0)
		s->flags |= SMTP_F_RELAY;
}

/* After a command: past the hard error limit the session ends with 421. */
static int
error_limit(struct smtp_session *s, struct smtp_out *out)
{
	if (s->state == SMTP_S_CLOSED || s->n_errors < s->ctx->cfg->smtpd_hard_error_limit)
		return SMTP_OK;
	put(s->ctx, out, s->ctx->errlimit, s->ctx->errlimit_len);
	SMTP_COUNT(s, SMTP_HARD_ERROR_LIMIT);
	smtp_log_event(s, "too many errors");
	s->state = SMTP_S_CLOSED;
	return SMTP_CLOSE;
}

int
smtp_session_input(struct smtp_session *s, const uint8_t *data, size_t len, size_t *consumed,
		   struct smtp_out *out)
{
	size_t pos = 0;
	int rc = SMTP_OK;

	/* a burst pays off from two RCPT lines, rarely under 60 bytes together */
	if (len >= 60 && s->state != SMTP_S_DATA && s->state != SMTP_S_TLS_WAIT)
		smtp_rcpt_lookahead(s, data, len);
	while (pos < len && rc == SMTP_OK) {
		if (s->state == SMTP_S_CLOSED) {
			pos = len;
			rc = SMTP_CLOSE;
			break;
		}
		if (s->state == SMTP_S_TLS_WAIT) {
			/* pipelined after STARTTLS: never executed (CVE-2011-0411) */
			s->ctx->ctr[RG_C_SMTP_STARTTLS_INJECTED] += len - pos;
			pos = len;
			break;
		}
		if (s->state == SMTP_S_RELAY_WAIT || smtp_out_room(out) < SMTP_OUT_RESERVE)
			break;
		if (s->state == SMTP_S_DATA) {
			size_t n = len - pos;
			const struct smtp_relay_ops *relay = s->ctx->relay;
			if ((s->flags & (SMTP_F_RELAY | SMTP_F_BIG)) == SMTP_F_RELAY && relay->room != NULL) {
				size_t room = relay->room(s->ctx->relay_arg, s);
				if (room == 0)
					break; /* the rest waits: not consumed, not acknowledged */
				if (n > room)
					n = room;
			}
			pos += data_input(s, data + pos, n, out);
			rc = error_limit(s, out);
			continue;
		}

		const char *line = NULL;
		size_t ll = 0;
		int what;
		bool nobuf = false;
		pos += take_line(s, data + pos, len - pos, &line, &ll, &what, &nobuf);
		if (nobuf) {
			SMTP_COUNT(s, SMTP_NO_LINEBUF);
			put(s->ctx, out, R_NOBUF, sizeof(R_NOBUF) - 1);
			s->state = SMTP_S_CLOSED;
			rc = SMTP_CLOSE;
		} else if (what == LINE_HTTP) {
			rc = http_drop(s);
		} else if (what == LINE_LONG) {
			s->flags |= SMTP_F_SPOKE;
			SMTP_COUNT(s, SMTP_COMMANDS);
			SMTP_COUNT(s, SMTP_ERR_LINE_TOO_LONG);
			SMTP_REPLY(s, out, R_LONG);
			rc = error_limit(s, out);
		} else if (what == LINE_OK) {
			rc = command_line(s, line, ll, out);
			if (line == s->line)
				line_release(s);
			if (rc == SMTP_STARTTLS) {
				/* the rest of this input came before the handshake */
				s->ctx->ctr[RG_C_SMTP_STARTTLS_INJECTED] += len - pos;
				pos = len;
				break;
			}
			if (rc == SMTP_OK)
				rc = error_limit(s, out);
		}
	}
	*consumed = pos;
	return rc;
}

int
smtp_session_relay_reply(struct smtp_session *s, const char *reply, size_t n, struct smtp_out *out)
{
	if (s->state != SMTP_S_RELAY_WAIT)
		return SMTP_CLOSE;
	bool rcpt = (s->flags & SMTP_F_RCPT_WAIT) != 0;

	s->flags &= (uint16_t)~SMTP_F_RCPT_WAIT;
	s->state = rcpt ? SMTP_S_MAIL : SMTP_S_HELO;
	if (n < 4 || n > smtp_out_room(out)) {
		if (!rcpt)
			SMTP_COUNT(s, SMTP_DATA_NO_RELAY);
		put(s->ctx, out, R_NO_RELAY, sizeof(R_NO_RELAY) - 1);
		s->state = SMTP_S_CLOSED;
		return SMTP_CLOSE;
	}
	smtp_reply(s, out, reply, n);
	if (rcpt && reply[0] == '2')
		s->n_rcpt++;
	return error_limit(s, out);
}

int
smtp_session_tls_start(struct smtp_session *s)
{
	if (s->state != SMTP_S_TLS_WAIT)
		return -EINVAL;
	smtp_reset_transaction(s);
	smtp_env_set(s, SMTP_ENV_HELO, "", 0);
	s->state = SMTP_S_CONNECT;
	s->flags = (uint16_t)((s->flags & ~SMTP_F_ESMTP) | SMTP_F_TLS);
	return 0;
}

bool
smtp_session_tls(const struct smtp_session *s)
{
	return (s->flags & SMTP_F_TLS) != 0;
}

bool
smtp_session_tls_wait(const struct smtp_session *s)
{
	return s->state == SMTP_S_TLS_WAIT;
}

bool
smtp_session_relay_waiting(const struct smtp_session *s)
{
	return s->state == SMTP_S_RELAY_WAIT;
}

const char *
smtp_session_helo(const struct smtp_session *s)
{
	return smtp_env_get(s, SMTP_ENV_HELO);
}

bool
smtp_session_esmtp(const struct smtp_session *s)
{
	return (s->flags & SMTP_F_ESMTP) != 0;
}

const char *
smtp_session_sender(const struct smtp_session *s)
{
	return s->env != NULL ? s->env + SMTP_ENV_FROM : NULL;
}

const char *
smtp_session_mail_params(const struct smtp_session *s)
{
	return s->env != NULL ? s->env + SMTP_ENV_PARAMS : NULL;
}
