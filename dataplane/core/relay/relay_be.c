/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	relay_be.c - the backend SMTP/LMTP client of one relayed session
 * DESCRIPTION
 *	See relay_be.h. One command is outstanding at a time (no
 *	pipelining towards the backend): the envelope is short and the
 *	backend near, and it keeps every reply tied to its command.
 * DIAGNOSTICS
 *	Return values and counters; nothing is logged per reply.
 * TRUST
 *	Backend replies are untrusted: lines are bounded and truncated,
 *	codes checked, control characters replaced, the backend's host
 *	name replaced by ours before any text reaches a client.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <rcptgate/counters.h>

#include "relay/relay_be.h"

enum {
	S_GREET,   /* waiting for the 220 greeting */
	S_EHLO,	   /* EHLO/LHLO sent */
	S_HELO,	   /* EHLO refused, HELO sent */
	S_XCLIENT, /* XCLIENT sent, waiting for the new 220 */
	S_EHLO2,   /* EHLO after XCLIENT */
	S_READY,   /* idle, or in a transaction between steps */
	S_MAIL,	   /* MAIL sent */
	S_RCPT,	   /* RCPT sent */
	S_DATA,	   /* DATA sent, waiting for 354 */
	S_BODY,	   /* 354 received: body bytes flow */
	S_NODATA,  /* DATA refused: body bytes are dropped */
	S_DOT,	   /* end marker sent, waiting for the final reply(ies) */
	S_RSET,	   /* RSET sent */
	S_QUIT,	   /* QUIT sent */
	S_DEAD,	   /* connection failed */
};

enum { OP_NONE, OP_RCPT, OP_END };

/* Extensions the backend offered (in xattrs' upper bits). */
#define X_ADDR 0x01
#define X_NAME 0x02
#define X_PROTO 0x04
#define X_HELO 0x08
#define E_SIZE 0x10
#define E_8BIT 0x20
#define E_UTF8 0x40

static const char R_UNAVAIL[] = "451 4.4.1 Error: mail system not reachable, try again later\r\n";
static const char R_LOST[] = "421 4.4.2 Error: connection to the mail system lost, try again later\r\n";
static const char R_NO_RCPT[] = "451 4.3.0 Error: no recipient was accepted, try again later\r\n";
static const char R_LMTP_ONE[] = "452 4.5.3 Error: too many recipients\r\n";

static void
count(struct relay_be *be, enum rg_counter id)
{
	be->ctr[id]++;
}

void
relay_be_init(struct relay_be *be, enum relay_proto proto, const char *myname, const char *cfg_host,
	      relay_reply_fn fn, void *arg, uint64_t *ctr)
{
	memset(be, 0, sizeof(*be));
	be->proto = (uint8_t)proto;
	be->state = S_GREET;
	be->reply = fn;
	be->reply_arg = arg;
	be->ctr = ctr;
	be->myname = myname;
	be->cfg_host = cfg_host;
}

/* Queue the command FMT...; the connection fails when it does not fit. */
static int send_cmd(struct relay_be *be, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
send_cmd(struct relay_be *be, const char *fmt, ...)
{
	size_t room = sizeof(be->out) - be->out_len;
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(be->out + be->out_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -ENOSPC;
	be->out_len = (uint16_t)(be->out_len + n);
	return 0;
}

void
relay_be_out_consume(struct relay_be *be, size_t n)
{
	if (n >= be->out_len) {
		be->out_len = 0;
		return;
	}
	memmove(be->out, be->out + n, be->out_len - n);
	be->out_len = (uint16_t)(be->out_len - n);
}

/* Does S[0..N) start with the word W (case-insensitive, then end or blank)? */
static bool
word_at(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w);
	return n >= wl && strncasecmp(s, w, wl) == 0 && (n == wl || s[wl] == ' ' || s[wl] == '=');
}

/*
 * scrub - the client's copy of backend reply LINE[0..N) (no CRLF) into
 * BUF: control characters become '?', the backend's host name (from its
 * greeting, and as configured) becomes ours, CRLF appended, truncated
 * to fit RELAY_REPLY_MAX.
 */
static size_t
scrub(const struct relay_be *be, const char *line, size_t n, char *buf)
{
	const char *names[2] = { be->name_len ? be->name : NULL, be->cfg_host };
	size_t lens[2] = { be->name_len, be->cfg_host ? strlen(be->cfg_host) : 0 };
	size_t ml = strlen(be->myname), k = 0, lim = RELAY_REPLY_MAX - 2;

	for (size_t i = 0; i < n && k < lim;) {
		bool hit = false;
		for (int j = 0; j < 2 && !hit; j++) {
			if (names[j] == NULL || lens[j] == 0 || n - i < lens[j] ||
			    strncasecmp(line + i, names[j], lens[j]) != 0)
				continue;
			size_t c = ml < lim - k ? ml : lim - k;
			memcpy(buf + k, be->myname, c);
			k += c;
			i += lens[j];
			hit = true;
		}
		if (hit)
			continue;
		unsigned char ch = (unsigned char)line[i++];
		buf[k++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	buf[k++] = '\r';
	buf[k++] = '\n';
	return k;
}

/* Give the client the backend's reply LINE[0..N). */
static void
answer_backend(struct relay_be *be, const char *line, size_t n)
{
	char buf[RELAY_REPLY_MAX];

	be->op = OP_NONE;
	be->reply(be->reply_arg, buf, scrub(be, line, n, buf));
}

static void
answer(struct relay_be *be, const char *r)
{
	be->op = OP_NONE;
	be->reply(be->reply_arg, r, strlen(r));
}

/* The transaction is over (end, RSET, failure). */
static void
txn_clear(struct relay_be *be)
{
	be->in_txn = false;
	be->has_env = false;
	be->n_rcpt = 0;
	be->n_final = 0;
	be->fin_len = 0;
}

/* Give up the connection; answer what waits for a reply. */
static int
die(struct relay_be *be)
{
	bool started = be->state >= S_DATA && be->state != S_RSET && be->state != S_QUIT;

	if (be->state <= S_EHLO2)
		count(be, RG_C_RELAY_CONN_FAILED);
	be->state = S_DEAD;
	if (be->op == OP_RCPT)
		answer(be, started ? R_LOST : R_UNAVAIL);
	else if (be->op == OP_END)
		answer(be, R_LOST);
	return -EPROTO;
}

void
relay_be_fail(struct relay_be *be, bool timeout)
{
	if (be->state == S_DEAD)
		return;
	if (timeout)
		count(be, RG_C_RELAY_TIMEOUT);
	if (be->op == OP_END)
		count(be, RG_C_RELAY_MESSAGES_FAILED);
	die(be);
}

/* Append xtext (RFC 3461 4) of S to the command being built. */
static size_t
xtext(char *dst, size_t room, const char *s)
{
	size_t k = 0;

	for (; *s != '\0' && k + 4 < room; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 33 || c > 126 || c == '+' || c == '=')
			k += (size_t)snprintf(dst + k, room - k, "+%02X", c);
		else
			dst[k++] = (char)c;
	}
	dst[k] = '\0';
	return k;
}

static int
send_xclient(struct relay_be *be)
{
	char helo[RELAY_NAME_MAX * 3 + 1], ip[RELAY_IP_MAX * 3 + 1];

	xtext(helo, sizeof(helo), be->env.helo);
	xtext(ip, sizeof(ip), be->env.client_ip);
	be->xclient_sent = true;
	be->state = S_XCLIENT;
	count(be, RG_C_RELAY_XCLIENT);
	/* Postfix's form for IPv6: ADDR=IPV6:2001:db8::7 */
	return send_cmd(be, "XCLIENT%s%s%s%s%s%s%s\r\n",
			(be->xattrs & X_ADDR) ? (strchr(be->env.client_ip, ':') ? " ADDR=IPV6:" : " ADDR=")
					      : "",
			(be->xattrs & X_ADDR) ? ip : "", (be->xattrs & X_NAME) ? " NAME=[UNAVAILABLE]" : "",
			(be->xattrs & X_PROTO) ? (be->env.esmtp ? " PROTO=ESMTP" : " PROTO=SMTP") : "",
			(be->xattrs & X_HELO) && be->env.helo[0] ? " HELO=" : "",
			(be->xattrs & X_HELO) && be->env.helo[0] ? helo : "", "");
}

/* Append to DST the client's MAIL parameters the backend understands. */
static void
mail_params(const struct relay_be *be, char *dst, size_t room)
{
	const char *p = be->env.params;
	size_t k = 0;

	dst[0] = '\0';
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		size_t wl = strcspn(p, " ");
		bool keep = (word_at(p, wl, "SIZE") && (be->xattrs & E_SIZE)) ||
			(word_at(p, wl, "BODY") && (be->xattrs & E_8BIT)) ||
			(word_at(p, wl, "SMTPUTF8") && (be->xattrs & E_UTF8));
		if (keep && wl > 0 && k + wl + 2 < room) {
			dst[k++] = ' ';
			memcpy(dst + k, p, wl);
			k += wl;
			dst[k] = '\0';
		}
		p += wl;
	}
}

/* Handshake done (or transaction over): start what the client waits for. */
static int
ready(struct relay_be *be)
{
	char params[RELAY_PARAMS_MAX + 8];

	be->state = S_READY;
	if (be->op != OP_RCPT)
		return 0;
	if (!be->in_txn) {
		mail_params(be, params, sizeof(params));
		be->state = S_MAIL;
		return send_cmd(be, "MAIL FROM:<%s>%s\r\n", be->env.from, params);
	}
	be->state = S_RCPT;
	return send_cmd(be, "RCPT TO:<%s>\r\n", be->to);
}

/* One EHLO keyword line (after the code and '-'/' '). */
static void
ehlo_keyword(struct relay_be *be, const char *kw, size_t n)
{
	if (word_at(kw, n, "SIZE"))
		be->xattrs |= E_SIZE;
	else if (word_at(kw, n, "8BITMIME"))
		be->xattrs |= E_8BIT;
	else if (word_at(kw, n, "SMTPUTF8"))
		be->xattrs |= E_UTF8;
	else if (word_at(kw, n, "XCLIENT")) {
		static const struct {
			const char *w;
			uint8_t bit;
		} attrs[] = {
			{ "ADDR", X_ADDR },
			{ "NAME", X_NAME },
			{ "PROTO", X_PROTO },
			{ "HELO", X_HELO },
		};
		size_t i = 7;
		while (i < n) {
			while (i < n && kw[i] == ' ')
				i++;
			size_t wl = 0;
			while (i + wl < n && kw[i + wl] != ' ')
				wl++;
			for (size_t a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++)
				if (word_at(kw + i, wl, attrs[a].w) && wl == strlen(attrs[a].w))
					be->xattrs |= attrs[a].bit;
			i += wl;
		}
	}
}

/* Remember the backend's host name: the first word of its greeting. */
static void
learn_name(struct relay_be *be, const char *text, size_t n)
{
	size_t wl = 0;

	while (wl < n && text[wl] != ' ' && wl + 1 < sizeof(be->name))
		wl++;
	if (be->name_len == 0 && wl > 0) {
		memcpy(be->name, text, wl);
		be->name[wl] = '\0';
		be->name_len = (uint16_t)wl;
	}
}

/* A final reply to the end marker (LMTP: one per recipient). */
static void
final_reply(struct relay_be *be, int code, const char *line, size_t n)
{
	/* keep the first reply, or the first failure after successes */
	if (be->fin_len == 0 || (code >= 400 && be->fin[0] == '2'))
		be->fin_len = (uint16_t)scrub(be, line, n, be->fin);
	if (be->n_final > 0)
		be->n_final--;
	if (be->n_final > 0)
		return;
	count(be, be->fin[0] == '2' ? RG_C_RELAY_MESSAGES : RG_C_RELAY_MESSAGES_FAILED);
	be->op = OP_NONE;
	be->reply(be->reply_arg, be->fin, be->fin_len);
	txn_clear(be);
	be->state = S_READY;
}

/* A HELO name safe to put on an EHLO line as it is: a domain name or an
 * address literal, nothing else. */
static bool
helo_is_plain(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (!isalnum(c) && c != '.' && c != '-' && c != '_' && c != '[' && c != ']' && c != ':')
			return false;
	}
	return true;
}

/* A complete reply: CODE and its last line LINE[0..N) (no CRLF). */
static int
on_reply(struct relay_be *be, int code, const char *line, size_t n)
{
	int cls = code / 100;
	const char *hello = be->proto == RELAY_LMTP ? "LHLO" : "EHLO";

	count(be,
	      cls == 2		 ? RG_C_RELAY_REPLY_2XX
		      : cls == 3 ? RG_C_RELAY_REPLY_3XX
		      : cls == 4 ? RG_C_RELAY_REPLY_4XX
				 : RG_C_RELAY_REPLY_5XX);
	switch (be->state) {
	case S_GREET:
	case S_XCLIENT:
		if (code != 220) {
			if (be->state == S_XCLIENT) /* XCLIENT refused: go on without it */
				return ready(be);
			return die(be);
		}
		if (be->state == S_GREET)
			learn_name(be, line + 4 < line + n ? line + 4 : line + n, n > 4 ? n - 4 : 0);
		if (be->state == S_GREET) {
			be->state = S_EHLO;
			return send_cmd(be, "%s %s\r\n", hello, be->myname);
		}
		/* After XCLIENT we speak for the client: repeat its own HELO
		 * name, as Postfix's XCLIENT_README shows (the backend takes
		 * this EHLO over XCLIENT's HELO=), when it is a plain name. */
		be->state = S_EHLO2;
		return send_cmd(be, "%s %s\r\n", hello,
				helo_is_plain(be->env.helo) ? be->env.helo : be->myname);
	case S_EHLO:
	case S_EHLO2:
	case S_HELO:
		if (cls != 2) {
			if (be->state != S_EHLO || be->proto == RELAY_LMTP)
				return die(be);
			be->state = S_HELO;
			return send_cmd(be, "HELO %s\r\n", be->myname);
		}
		if (be->state == S_EHLO && be->has_env && (be->xattrs & (X_ADDR | X_HELO)))
			return send_xclient(be);
		return ready(be);
	case S_MAIL:
		if (cls != 2) {
			/* the envelope stays: the client's MAIL stands, and its
			 * next RCPT (sent without it) tries MAIL again */
			be->state = S_READY;
			answer_backend(be, line, n);
			return 0;
		}
		be->in_txn = true;
		return ready(be);
	case S_RCPT:
		be->state = S_READY;
		if (cls == 2)
			be->n_rcpt++;
		answer_backend(be, line, n);
		return 0;
	case S_DATA:
		if (code == 354) {
			be->state = S_BODY;
			return 0;
		}
		/* refused: this is the client's reply at the end of the message */
		be->fin_len = (uint16_t)scrub(be, line, n, be->fin);
		be->state = S_NODATA;
		return 0;
	case S_DOT:
		final_reply(be, code, line, n);
		return 0;
	case S_RSET:
		if (cls != 2)
			return die(be);
		txn_clear(be);
		return ready(be);
	case S_QUIT:
		be->state = S_DEAD;
		return 0;
	default:
		/* a reply nobody asked for */
		count(be, RG_C_RELAY_PROTO_ERROR);
		return die(be);
	}
}

/* One complete line LINE[0..N) without its line end. */
static int
on_line(struct relay_be *be, const char *line, size_t n)
{
	if (n < 3 || line[0] < '2' || line[0] > '5' || !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) || (n > 3 && line[3] != ' ' && line[3] != '-')) {
		count(be, RG_C_RELAY_PROTO_ERROR);
		return die(be);
	}
	int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (n > 3 && line[3] == '-') {
		if (be->state == S_EHLO || be->state == S_EHLO2)
			ehlo_keyword(be, line + 4, n - 4);
		return 0;
	}
	if (be->state == S_EHLO || be->state == S_EHLO2)
		ehlo_keyword(be, line + 4 < line + n ? line + 4 : line + n, n > 4 ? n - 4 : 0);
	int rc = on_reply(be, code, line, n);
	return rc < 0 && be->state != S_DEAD ? die(be) : rc;
}

int
relay_be_input(struct relay_be *be, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = (char)p[i];
		if (be->state == S_DEAD)
			return -EPROTO;
		if (c == '\n') {
			size_t ll = be->line_len;
			if (ll > 0 && be->line[ll - 1] == '\r')
				ll--;
			be->line_len = 0;
			be->long_line = false;
			int rc = on_line(be, be->line, ll);
			if (rc < 0)
				return rc;
			continue;
		}
		if (be->line_len < RELAY_LINE_MAX)
			be->line[be->line_len++] = c;
		else
			be->long_line = true; /* truncated */
	}
	return be->state == S_DEAD ? -EPROTO : 0;
}

int
relay_be_rcpt(struct relay_be *be, const struct relay_env *env, const char *to, size_t n)
{
	if (be->op != OP_NONE)
		return -EBUSY;
	if (be->state == S_DEAD) {
		/* with or without ENV: the connection may have failed before the first RCPT brought it */
		answer(be, R_UNAVAIL);
		return 0;
	}
	if (n >= sizeof(be->to) || (env == NULL && !be->has_env))
		return -EINVAL;
	if (env != NULL) {
		be->env = *env;
		be->has_env = true;
	}
	if (be->proto == RELAY_LMTP && be->n_rcpt > 0) {
		answer(be, R_LMTP_ONE); /* see relay_be.h */
		return 0;
	}
	memcpy(be->to, to, n);
	be->to[n] = '\0';
	be->op = OP_RCPT;
	if (be->state != S_READY)
		return 0; /* the handshake goes on; ready() sends it */
	return ready(be) < 0 ? die(be) : 0;
}

int
relay_be_data(struct relay_be *be)
{
	if (be->op != OP_NONE)
		return -EBUSY;
	if (be->state == S_DEAD)
		return 0;
	if (be->state != S_READY)
		return -EINVAL;
	if (!be->in_txn || be->n_rcpt == 0) {
		/* the backend took no recipient: the message cannot go */
		be->fin_len = (uint16_t)strlen(R_NO_RCPT);
		memcpy(be->fin, R_NO_RCPT, be->fin_len);
		be->state = S_NODATA;
		return 0;
	}
	be->state = S_DATA;
	return send_cmd(be, "DATA\r\n") < 0 ? die(be) : 0;
}

bool
relay_be_body_open(const struct relay_be *be)
{
	return be->state == S_BODY;
}

bool
relay_be_body_settled(const struct relay_be *be)
{
	return be->state != S_DATA;
}

int
relay_be_end(struct relay_be *be, bool ok)
{
	if (be->op != OP_NONE)
		return -EBUSY;
	if (be->state == S_DEAD) {
		if (ok) {
			count(be, RG_C_RELAY_MESSAGES_FAILED);
			answer(be, R_LOST);
		}
		return ok ? 0 : -ECONNABORTED;
	}
	if (be->state == S_NODATA) {
		if (ok) {
			count(be, RG_C_RELAY_MESSAGES_FAILED);
			be->reply(be->reply_arg, be->fin, be->fin_len);
		}
		be->state = S_RSET;
		return send_cmd(be, "RSET\r\n") < 0 ? die(be) : 0;
	}
	if (be->state != S_BODY) {
		/* out of step (no DATA sent): still exactly one reply, a 4xx */
		if (ok) {
			count(be, RG_C_RELAY_MESSAGES_FAILED);
			answer(be, R_LOST);
		}
		return -EINVAL;
	}
	if (!ok) {
		/* inside DATA only closing the connection aborts the message */
		count(be, RG_C_RELAY_MESSAGES_FAILED);
		be->state = S_DEAD;
		return -ECONNABORTED;
	}
	be->op = OP_END;
	be->state = S_DOT;
	be->fin_len = 0;
	be->n_final = be->proto == RELAY_LMTP ? be->n_rcpt : 1;
	return send_cmd(be, ".\r\n") < 0 ? die(be) : 0;
}

int
relay_be_rset(struct relay_be *be)
{
	if (be->op != OP_NONE)
		return -EBUSY;
	if (be->state == S_DEAD || !(be->in_txn || be->has_env) || be->state != S_READY) {
		txn_clear(be);
		return 0;
	}
	if (!be->in_txn) {
		txn_clear(be);
		return 0;
	}
	be->state = S_RSET;
	return send_cmd(be, "RSET\r\n") < 0 ? die(be) : 0;
}

void
relay_be_quit(struct relay_be *be)
{
	if (be->state == S_DEAD)
		return;
	be->state = S_QUIT;
	if (send_cmd(be, "QUIT\r\n") < 0)
		be->state = S_DEAD;
}

bool
relay_be_waiting(const struct relay_be *be)
{
	switch (be->state) {
	case S_READY:
	case S_BODY:
	case S_NODATA:
	case S_DEAD:
		return false;
	default:
		return true;
	}
}

bool
relay_be_reusable(const struct relay_be *be)
{
	return be->state == S_READY && !be->in_txn && be->op == OP_NONE && !be->xclient_sent;
}

bool
relay_be_dead(const struct relay_be *be)
{
	return be->state == S_DEAD;
}
