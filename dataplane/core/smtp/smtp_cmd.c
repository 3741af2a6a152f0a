/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	smtp_cmd.c - SMTP engine: the commands
 * DESCRIPTION
 *	One table of {verb, state check, action}. The state is checked
 *	before the syntax (503 before 501), as Postfix and OpenSMTPD do.
 *	MAIL and RCPT take "FROM:" / "TO:", optional spaces, then a path in
 *	angle brackets (quoted local parts may hold '>'), then ESMTP
 *	parameters: MAIL knows SIZE=, BODY=7BIT|8BITMIME and SMTPUTF8;
 *	RCPT knows none (no DSN is offered). Every RCPT is decided by
 *	policy_rcpt() and its reply is what the client gets.
 * DIAGNOSTICS
 *	Replies (with RFC 3463 enhanced codes) and counters; rejected
 *	recipients are logged through smtp_log_reject().
 * TRUST
 *	Command lines are untrusted but already bounded and free of NUL,
 *	CR and LF (smtp_session.c); every index here stays within them.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <rcptgate/addr.h>

#include "policy.h"
#include "smtp/smtp_impl.h"

static const char R_OK[] = "250 2.0.0 Ok\r\n";
static const char R_MAIL_OK[] = "250 2.1.0 Ok\r\n";
static const char R_DATA[] = "354 End data with <CR><LF>.<CR><LF>\r\n";
static const char R_BYE[] = "221 2.0.0 Bye\r\n";
static const char R_VRFY[] = "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n";
static const char R_HELP[] = "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\r\n";
static const char R_EMPTY[] = "500 5.5.2 Error: bad syntax\r\n";
static const char R_UNKNOWN[] = "502 5.5.2 Error: command not recognized\r\n";
static const char R_NEED_HELO[] = "503 5.5.1 Error: send HELO/EHLO first\r\n";
static const char R_NESTED[] = "503 5.5.1 Error: nested MAIL command\r\n";
static const char R_NEED_MAIL[] = "503 5.5.1 Error: need MAIL command\r\n";
static const char R_NEED_RCPT[] = "503 5.5.1 Error: need RCPT command\r\n";
static const char R_NO_RCPT[] = "554 5.5.1 Error: no valid recipients\r\n";
static const char R_SYN_EHLO[] = "501 5.5.4 Syntax: EHLO hostname\r\n";
static const char R_SYN_HELO[] = "501 5.5.4 Syntax: HELO hostname\r\n";
static const char R_SYN_MAIL[] = "501 5.5.4 Syntax: MAIL FROM:<address>\r\n";
static const char R_SYN_RCPT[] = "501 5.5.4 Syntax: RCPT TO:<address>\r\n";
static const char R_SYN_DATA[] = "501 5.5.4 Syntax: DATA\r\n";
static const char R_SYN_RSET[] = "501 5.5.4 Syntax: RSET\r\n";
static const char R_SYN_QUIT[] = "501 5.5.4 Syntax: QUIT\r\n";
static const char R_SYN_VRFY[] = "501 5.5.4 Syntax: VRFY address\r\n";
static const char R_BAD_SENDER[] = "501 5.1.7 Bad sender address syntax\r\n";
static const char R_BAD_SIZE[] = "501 5.5.4 Bad SIZE parameter\r\n";
static const char R_BAD_BODY[] = "501 5.5.4 Bad BODY parameter\r\n";
static const char R_PARAM[] = "555 5.5.4 Unsupported option\r\n";
static const char R_UTF8[] = "553 5.6.7 Error: SMTPUTF8 not declared for a non-ASCII address\r\n";
const char smtp_r_size[] = "552 5.3.4 Message size exceeds fixed limit\r\n";
static const char R_TOO_MANY[] = "452 4.5.3 Error: too many recipients\r\n";
static const char R_TLS_GO[] = "220 2.0.0 Ready to start TLS\r\n";
static const char R_TLS_ACTIVE[] = "554 5.5.1 Error: TLS already active\r\n";
static const char R_TLS_NONE[] = "502 5.5.1 Error: command not implemented\r\n";
static const char R_TLS_LOCAL[] = "454 4.7.0 TLS not available due to local problem\r\n";
static const char R_TLS_FIRST[] = "530 5.7.0 Must issue a STARTTLS command first\r\n";
static const char R_TLS_IN_MAIL[] = "503 5.5.1 Error: MAIL transaction in progress\r\n";
static const char R_SYN_STARTTLS[] = "501 5.5.4 Syntax: STARTTLS\r\n";
static const char R_RELAY_BUSY[] = "451 4.3.0 Error: mail system busy, try again later\r\n";

const char *const smtp_cmd_names[SMTP_CMD_ID_MAX] = {
	[SMTP_CMD_CONNECT] = "CONNECT", [SMTP_CMD_EHLO] = "EHLO",
	[SMTP_CMD_HELO] = "HELO",	[SMTP_CMD_MAIL] = "MAIL",
	[SMTP_CMD_RCPT] = "RCPT",	[SMTP_CMD_DATA] = "DATA",
	[SMTP_CMD_RSET] = "RSET",	[SMTP_CMD_NOOP] = "NOOP",
	[SMTP_CMD_QUIT] = "QUIT",	[SMTP_CMD_VRFY] = "VRFY",
	[SMTP_CMD_HELP] = "HELP",	[SMTP_CMD_STARTTLS] = "STARTTLS",
	[SMTP_CMD_UNKNOWN] = "UNKNOWN", [SMTP_CMD_END_DATA] = "END-OF-MESSAGE",
};

/* The arguments of a command: the text after the verb and its space. */
struct args {
	const char *p;
	size_t n;
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* ARGS without leading and trailing blanks. */
static struct args
trim(struct args a)
{
	while (a.n > 0 && is_space(a.p[0]))
		a.p++, a.n--;
	while (a.n > 0 && is_space(a.p[a.n - 1]))
		a.n--;
	return a;
}

void
smtp_reset_transaction(struct smtp_session *s)
{
	const struct smtp_relay_ops *relay = s->ctx->relay;

	if (s->state == SMTP_S_MAIL) {
		s->state = SMTP_S_HELO;
		if (relay != NULL && relay->reset != NULL)
			relay->reset(s->ctx->relay_arg, s);
	}
	s->n_rcpt = 0;
	s->flags &= (uint16_t)~SMTP_F_UTF8;
	smtp_env_set(s, SMTP_ENV_FROM, "", 0);
}

/*
 * parse_path - ARGS, trimmed, is "KEY<path> [params]" (KEY is "FROM:"
 * or "TO:", any case; blanks allowed after it). The mailbox between the angle
 * brackets goes to *BOX, the parameters (trimmed) to *PARAMS.
 *
 * Return: 0, or -1 on bad syntax.
 */
static int
parse_path(struct args a, const char *key, struct args *box, struct args *params)
{
	size_t kl = strlen(key), i;
	bool quoted = false;

	if (a.n < kl || !smtp_ieq(a.p, key, kl))
		return -1;
	for (i = kl; i < a.n && is_space(a.p[i]); i++)
		;
	if (i >= a.n || a.p[i] != '<')
		return -1;
	size_t start = ++i;
	/* most paths quote nothing: the first '>' ends them, found by
	 * memchr() instead of three tests a byte */
	const char *gt = memchr(a.p + i, '>', a.n - i);
	if (gt != NULL && memchr(a.p + i, '"', (size_t)(gt - (a.p + i))) == NULL)
		i = (size_t)(gt - a.p);
	else
		for (; i < a.n; i++) {
			char c = a.p[i];
			if (quoted && c == '\\')
				i++; /* the escaped byte; a trailing '\' runs past the end */
			else if (c == '"')
				quoted = !quoted;
			else if (c == '>' && !quoted)
				break;
		}
	if (i >= a.n)
		return -1;
	box->p = a.p + start;
	box->n = i - start;
	params->p = a.p + i + 1;
	params->n = a.n - i - 1;
	if (params->n > 0 && !is_space(params->p[0]))
		return -1;
	*params = trim(*params);
	return 0;
}

/* Next blank-separated word of A, or a zero-length word at the end. */
static struct args
next_word(struct args *a)
{
	struct args w = { a->p, 0 };

	while (w.n < a->n && !is_space(w.p[w.n]))
		w.n++;
	a->p += w.n;
	a->n -= w.n;
	*a = trim(*a);
	return w;
}

static bool
word_is(struct args w, const char *s)
{
	size_t n = strlen(s);
	return w.n == n && smtp_ieq(w.p, s, n);
}

/*
 * Any byte of A above 0x7f? Eight bytes are OR-ed at a time: a byte loop
 * was 240 instructions of a rejected session (MAIL's and RCPT's
 * mailboxes).
 */
static bool
has_8bit(struct args a)
{
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + 8 <= a.n; i += 8) {
		memcpy(&w, a.p + i, 8);
		acc |= w;
	}
	for (; i < a.n; i++)
		acc |= (unsigned char)a.p[i];
	return (acc & UINT64_C(0x8080808080808080)) != 0;
}

/* SIZE=digits: the value, or -1 when it is not a number or overflows. */
static int
parse_size(struct args v, uint64_t *size)
{
	uint64_t x = 0;

	if (v.n == 0 || v.n > 20)
		return -1;
	for (size_t i = 0; i < v.n; i++) {
		if (!isdigit((unsigned char)v.p[i]))
			return -1;
		unsigned d = (unsigned)(v.p[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*size = x;
	return 0;
}

/*
 * Keep the accepted MAIL parameters for the relay, canonical: SIZE (the
 * last one given), BODY, SMTPUTF8. Bounded: at most 52 octets.
 */
static void
keep_params(struct smtp_session *s, bool has_size, uint64_t size, bool body8)
{
	char *p = s->env != NULL ? s->env + SMTP_ENV_PARAMS : NULL;
	int n = 0;

	if (p == NULL)
		return;
	p[0] = '\0';
	if (has_size)
		n = snprintf(p, SMTP_ENV_PARAMS_MAX, "SIZE=%llu", (unsigned long long)size);
	if (body8 && n >= 0 && n < SMTP_ENV_PARAMS_MAX)
		n += snprintf(p + n, (size_t)(SMTP_ENV_PARAMS_MAX - n), "%sBODY=8BITMIME", n ? " " : "");
	if ((s->flags & SMTP_F_UTF8) && n >= 0 && n < SMTP_ENV_PARAMS_MAX)
		snprintf(p + n, (size_t)(SMTP_ENV_PARAMS_MAX - n), "%sSMTPUTF8", n ? " " : "");
}

/* MAIL parameters; the reply to send when one is bad, or NULL. */
static const char *
mail_params(struct smtp_session *s, struct args params, size_t *rn)
{
	uint64_t limit = s->ctx->cfg->message_size_limit;
	uint64_t given = 0;
	bool has_size = false, body8 = false;

	while (params.n > 0) {
		struct args w = next_word(&params);
		const char *eq = memchr(w.p, '=', w.n);
		struct args key = { w.p, eq ? (size_t)(eq - w.p) : w.n };
		struct args val = { eq ? eq + 1 : w.p + w.n, eq ? w.n - key.n - 1 : 0 };
		uint64_t size;

		if (word_is(key, "SIZE") && eq != NULL) {
			if (parse_size(val, &size) < 0) {
				*rn = sizeof(R_BAD_SIZE) - 1;
				return R_BAD_SIZE;
			}
			if (limit != 0 && size > limit) {
				*rn = strlen(smtp_r_size);
				return smtp_r_size;
			}
			has_size = true;
			given = size;
		} else if (word_is(key, "BODY") && eq != NULL) {
			if (!word_is(val, "7BIT") && !word_is(val, "8BITMIME")) {
				*rn = sizeof(R_BAD_BODY) - 1;
				return R_BAD_BODY;
			}
			body8 = word_is(val, "8BITMIME");
		} else if (word_is(w, "SMTPUTF8")) {
			s->flags |= SMTP_F_UTF8;
		} else {
			*rn = sizeof(R_PARAM) - 1;
			return R_PARAM;
		}
	}
	keep_params(s, has_size, given, body8);
	return NULL;
}

/* Count the refusal ID and send the reply R[0..N). */
static int
refuse(struct smtp_session *s, struct smtp_out *out, enum rg_counter id, const char *r, size_t n)
{
	s->ctx->ctr[id]++;
	smtp_reply(s, out, r, n);
	return SMTP_OK;
}

/* ---- state checks: the reply for a command given in the wrong state ---- */

typedef const char *(*state_check_fn)(const struct smtp_session *s, size_t *rn);

#define WRONG(lit) (*rn = sizeof(lit) - 1, lit)

static const char *
need_mail_state(const struct smtp_session *s, size_t *rn)
{
	if (s->state == SMTP_S_CONNECT)
		return WRONG(R_NEED_HELO);
	if (s->state == SMTP_S_MAIL)
		return WRONG(R_NESTED);
	if (s->ctx->cfg->tls_level == CFG_TLS_ENCRYPT && !(s->flags & SMTP_F_TLS))
		return WRONG(R_TLS_FIRST);
	return NULL;
}

/* The counter of a refusal by a state check. */
static enum rg_counter
state_counter(const char *wrong)
{
	if (wrong == R_NO_RCPT)
		return RG_C_SMTP_DATA_NO_RCPT;
	if (wrong == R_TLS_FIRST)
		return RG_C_SMTP_TLS_REQUIRED;
	if (wrong == R_TLS_NONE)
		return RG_C_SMTP_ERR_UNKNOWN_CMD;
	return RG_C_SMTP_ERR_ORDER;
}

/* STARTTLS: offered at all, not yet active, not inside a transaction. */
static const char *
need_starttls_state(const struct smtp_session *s, size_t *rn)
{
	if (s->ctx->cfg->tls_level == CFG_TLS_NONE)
		return WRONG(R_TLS_NONE);
	if (s->flags & SMTP_F_TLS)
		return WRONG(R_TLS_ACTIVE);
	if (s->state == SMTP_S_MAIL)
		return WRONG(R_TLS_IN_MAIL);
	return NULL;
}

static const char *
need_rcpt_state(const struct smtp_session *s, size_t *rn)
{
	return s->state != SMTP_S_MAIL ? WRONG(R_NEED_MAIL) : NULL;
}

static const char *
need_data_state(const struct smtp_session *s, size_t *rn)
{
	if (s->state != SMTP_S_MAIL)
		return WRONG(R_NEED_RCPT);
	return s->n_rcpt == 0 ? WRONG(R_NO_RCPT) : NULL;
}

/* ---- actions ---- */

typedef int (*action_fn)(struct smtp_session *s, struct args a, struct smtp_out *out);

/* EHLO lists STARTTLS before TLS, when the level asks and TLS is ready. */
static bool
smtp_tls_offered(const struct smtp_session *s)
{
	return s->ctx->cfg->tls_level != CFG_TLS_NONE && s->ctx->tls_ready && !(s->flags & SMTP_F_TLS);
}

static int
greet(struct smtp_session *s, struct args a, struct smtp_out *out, bool esmtp)
{
	smtp_reset_transaction(s);
	s->state = SMTP_S_HELO;
	s->flags = (uint16_t)((s->flags & ~SMTP_F_ESMTP) | (esmtp ? SMTP_F_ESMTP : 0));
	smtp_env_set(s, SMTP_ENV_HELO, a.p, a.n);
	if (esmtp && smtp_tls_offered(s))
		smtp_reply(s, out, s->ctx->ehlo_tls, s->ctx->ehlo_tls_len);
	else if (esmtp)
		smtp_reply(s, out, s->ctx->ehlo, s->ctx->ehlo_len);
	else
		smtp_reply(s, out, s->ctx->helo, s->ctx->helo_len);
	return SMTP_OK;
}

static int
cmd_ehlo(struct smtp_session *s, struct args a, struct smtp_out *out)
{
	return greet(s, a, out, true);
}

static int
cmd_helo(struct smtp_session *s, struct args a, struct smtp_out *out)
{
	return greet(s, a, out, false);
}

static int
cmd_mail(struct smtp_session *s, struct args a, struct smtp_out *out)
{
	struct args box, params;
	struct rg_addr addr;
	const char *bad;
	size_t rn;

	if (parse_path(a, "FROM:", &box, &params) < 0)
		return refuse(s, out, RG_C_SMTP_ERR_SYNTAX, R_SYN_MAIL, sizeof(R_SYN_MAIL) - 1);
	/* <> is the null sender; anything else must be an address */
	if (box.n > 0 && rg_addr_normalize(box.p, box.n, RG_ADDR_F_CASE_EXACT, &addr) != RG_ADDR_OK)
		return refuse(s, out, RG_C_SMTP_ERR_BAD_ADDRESS, R_BAD_SENDER, sizeof(R_BAD_SENDER) - 1);
	s->flags &= (uint16_t)~SMTP_F_UTF8;
	/* the sender first: it makes sure of the buffer the parameters go to */
	smtp_env_set(s, SMTP_ENV_FROM, box.p, box.n);
	if ((bad = mail_params(s, params, &rn)) != NULL)
		return refuse(s, out, bad == smtp_r_size ? RG_C_SMTP_ERR_SIZE : RG_C_SMTP_ERR_SYNTAX, bad,
			      rn);
	if (has_8bit(box) && !(s->flags & SMTP_F_UTF8))
		return refuse(s, out, RG_C_SMTP_ERR_BAD_ADDRESS, R_UTF8, sizeof(R_UTF8) - 1);
	if (s->ctx->relay != NULL && s->ctx->relay->mail != NULL &&
	    s->ctx->relay->mail(s->ctx->relay_arg, s) < 0) {
		SMTP_REPLY(s, out, R_RELAY_BUSY);
		return SMTP_OK;
	}
	s->state = SMTP_S_MAIL;
	s->n_rcpt = 0;
	SMTP_REPLY(s, out, R_MAIL_OK);
	return SMTP_OK;
}

/* The counter of each policy verdict. */
static const enum rg_counter verdict_counter[] = {
	[POLICY_ACCEPT] = RG_C_SMTP_RCPT_ACCEPT,
	[POLICY_REJECT_UNKNOWN] = RG_C_SMTP_RCPT_UNKNOWN,
	[POLICY_REJECT_RELAY] = RG_C_SMTP_RCPT_RELAY,
	[POLICY_TEMPFAIL_NO_TABLE] = RG_C_SMTP_RCPT_NO_TABLE,
	[POLICY_BAD_ADDRESS] = RG_C_SMTP_RCPT_BAD_ADDRESS,
};

/*
 * The line P[0..N) (its LF cut off) as entry A->n when it is "RCPT
 * TO:<...>" with an address cmd_rcpt() would look up, parsed as
 * smtp_command() and cmd_rcpt() will parse it.
 */
static void
ahead_add(struct smtp_ahead *a, unsigned flags, const char *p, size_t n)
{
	struct args box, params;
	unsigned k = a->n;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n > 8 && smtp_ieq(p, "RCPT ", 5) &&
	    parse_path(trim((struct args){ p + 4, n - 4 }), "TO:", &box, &params) == 0 && params.n == 0 &&
	    box.n <= RG_PATH_MAX && !has_8bit(box) &&
	    rg_addr_normalize(box.p, box.n, flags, &a->addr[k]) == RG_ADDR_OK &&
	    rg_addr_has_domain(&a->addr[k])) {
		a->box[k] = box.p;
		a->len[k] = box.n;
		memcpy(a->raw[k], box.p, box.n);
		a->n = k + 1;
	}
}

/* A's entries looked up in T in one burst; fewer than MIN (at least
 * 1), none are kept. */
static void
ahead_lookup(const struct smtp_ctx *c, struct smtp_ahead *a, const struct tbl *t, unsigned min)
{
	const struct rg_addr *ap[SMTP_RCPT_BURST];
	enum tbl_rule rule[SMTP_RCPT_BURST];

	if (a->n < min) {
		a->n = 0;
		return;
	}
	for (unsigned i = 0; i < a->n; i++)
		ap[i] = &a->addr[i];
	tbl_lookup_burst(t, ap, a->n, c->policy.delims, rule);
	for (unsigned i = 0; i < a->n; i++)
		a->rule[i] = (uint8_t)rule[i];
}

/* The current table (read at each use: a reload replaces it), if it is
 * at least MIN bytes (0: any); else NULL. */
static const struct tbl *
ctx_table(const struct smtp_ctx *c, uint64_t min)
{
	const struct tbl *t = c->table != NULL ? __atomic_load_n(c->table, __ATOMIC_ACQUIRE) : NULL;

	return t != NULL && tbl_size(t) >= min ? t : NULL;
}

/*
 * smtp_rcpt_lookahead - look up the RCPTs pipelined in DATA[0..LEN) before
 * their lines run. A client that pipelines (RFC 2920) sends a batch of
 * RCPT lines in one segment; tbl_lookup_burst() overlaps their cache
 * misses (at 10^6 addresses 54 ns a key in a burst against 466 ns alone,
 * docs/benchmarks.md), where cmd_rcpt() would wait for each in turn.
 * Each complete line of DATA that reads "RCPT TO:<...>" is parsed as
 * smtp_command() and cmd_rcpt() will parse it, up to SMTP_RCPT_BURST
 * of them. The input is handed to the engine a few lines at a time (as
 * many as the send buffer has room to answer), so the lookups made for
 * one call serve the next ones: a new burst is looked up only when
 * those of the last one are used up or no longer ahead in DATA.
 * cmd_rcpt() takes a rule only for the same session, table (its
 * tbl_serial(): a table reloaded meanwhile may reuse the address), place
 * in the input and bytes, so a line that is not run as that RCPT (refused
 * before the lookup, straddling two inputs, message text) or input that
 * came later to the same memory gets a lookup of its own. Tables under
 * ctx->rcpt_burst_min bytes are left alone: they stay in cache.
 */
void
smtp_rcpt_lookahead(struct smtp_session *s, const uint8_t *data, size_t len)
{
	struct smtp_ctx *c = s->ctx;
	struct smtp_ahead *a = &c->la;
	const char *p = (const char *)data, *end = p + len;

	if (a->sess == s && a->next < a->n && a->box[a->next] >= p && a->box[a->next] < end)
		return; /* the last burst's next RCPT is still ahead */
	a->n = a->next = 0;
	a->sess = s;
	const struct tbl *t = ctx_table(c, c->rcpt_burst_min ? c->rcpt_burst_min : SMTP_RCPT_BURST_MIN_BYTES);
	if (t == NULL)
		return;
	a->serial = tbl_serial(t);
	unsigned flags = tbl_addr_flags(t);
	while (p < end && a->n < SMTP_RCPT_BURST) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		ahead_add(a, flags, p, (size_t)(nl - p));
		p = nl + 1;
	}
	ahead_lookup(c, a, t, 2); /* fewer than two: nothing to overlap */
}

/*
 * smtp_rcpt_prefetch - look up, in one table burst, the RCPTs of N
 * inputs of different sessions, DATA[i][0..LEN[i]), before any of them
 * runs: a worker's received burst, where each client that does not
 * pipeline sends its RCPT line alone in a segment. Looked up as each
 * session runs, they are one cache miss after another (the load of the
 * slot was 80% of tbl_lookup()'s samples with a 3 MB table); in one
 * burst the misses overlap. Only inputs that are one whole "RCPT
 * TO:<...>" line count. cmd_rcpt() takes a rule by place, bytes and
 * table as for smtp_rcpt_lookahead(), for any session: a rule depends on
 * the address and the table alone. Tables under ctx->rcpt_prefetch_min
 * bytes are left alone: with 1,000 addresses (33 KB) the lookups ahead
 * cost 3% more a session, with 10^5 (3 MB) they saved 3%, with 10^6
 * 7.4% (docs/benchmarks.md).
 */
void
smtp_rcpt_prefetch(struct smtp_ctx *c, const uint8_t *const *data, const size_t *len, unsigned n)
{
	struct smtp_ahead *a = &c->pf;
	const struct tbl *t =
		ctx_table(c, c->rcpt_prefetch_min ? c->rcpt_prefetch_min : SMTP_RCPT_PREFETCH_MIN_BYTES);

	a->n = a->next = 0;
	a->sess = NULL;
	if (t == NULL)
		return;
	a->serial = tbl_serial(t);
	unsigned flags = tbl_addr_flags(t);
	for (unsigned i = 0; i < n && a->n < SMTP_RCPT_BURST; i++) {
		const char *p = (const char *)data[i];
		/* the verb first: message text ends in LF too, and is long;
		 * one line only is a filter as well (a line with more after
		 * its ">" is no RCPT to parse_path()) */
		if (len[i] >= 12 && smtp_ieq(p, "RCPT ", 5) && p[len[i] - 1] == '\n' &&
		    memchr(p, '\n', len[i] - 1) == NULL)
			ahead_add(a, flags, p, len[i] - 1);
	}
	/* one alone too: cmd_rcpt() takes it instead of a lookup of its own */
	ahead_lookup(c, a, t, 1);
}

/* The entry in A for S's BOX in table T, or -1. */
static int
ahead_find(struct smtp_ahead *a, const struct smtp_session *s, const struct tbl *t, struct args box)
{
	if (a->next >= a->n || (a->sess != s && a->sess != NULL) || t == NULL || tbl_serial(t) != a->serial)
		return -1;
	for (unsigned i = a->next; i < a->n; i++)
		if (a->box[i] == box.p && a->len[i] == box.n && memcmp(a->raw[i], box.p, box.n) == 0) {
			a->next = i + 1;
			return (int)i;
		}
	return -1;
}

/* The entry looked up ahead for S's BOX in table T: in the session's
 * pipelined burst or the received burst's; NULL if none. */
static struct smtp_ahead *
rcpt_looked_up(struct smtp_session *s, const struct tbl *t, struct args box, int *i)
{
	struct smtp_ctx *c = s->ctx;

	if ((*i = ahead_find(&c->la, s, t, box)) >= 0) {
		c->ctr[RG_C_SMTP_RCPT_BURST]++;
		return &c->la;
	}
	if ((*i = ahead_find(&c->pf, s, t, box)) >= 0) {
		c->ctr[RG_C_SMTP_RCPT_PREFETCHED]++;
		return &c->pf;
	}
	return NULL;
}

static int
cmd_rcpt(struct smtp_session *s, struct args a, struct smtp_out *out)
{
	struct args box, params;
	struct policy_result res;

	if (parse_path(a, "TO:", &box, &params) < 0)
		return refuse(s, out, RG_C_SMTP_ERR_SYNTAX, R_SYN_RCPT, sizeof(R_SYN_RCPT) - 1);
	if (params.n > 0)
		return refuse(s, out, RG_C_SMTP_ERR_SYNTAX, R_PARAM, sizeof(R_PARAM) - 1);
	if (s->n_rcpt >= s->ctx->cfg->smtpd_recipient_limit)
		return refuse(s, out, RG_C_SMTP_RCPT_LIMIT, R_TOO_MANY, sizeof(R_TOO_MANY) - 1);
	if (smtp_limit_rcpt(s, out))
		return SMTP_OK;
	if (has_8bit(box) && !(s->flags & SMTP_F_UTF8))
		return refuse(s, out, RG_C_SMTP_ERR_BAD_ADDRESS, R_UTF8, sizeof(R_UTF8) - 1);
	const struct tbl *t = ctx_table(s->ctx, 0);
	int i;
	const struct smtp_ahead *ah = rcpt_looked_up(s, t, box, &i);
	if (ah != NULL)
		policy_rcpt_ruled(&s->ctx->policy, box.p, box.n, &ah->addr[i], ah->rule[i], &res);
	else
		policy_rcpt(&s->ctx->policy, t, box.p, box.n, &res);
	if ((size_t)res.verdict < sizeof(verdict_counter) / sizeof(verdict_counter[0]))
		s->ctx->ctr[verdict_counter[res.verdict]]++;
	if (res.verdict != POLICY_ACCEPT) {
		const char *r = smtp_reply(s, out, res.reply, res.len);
		smtp_log_reject(s, r, res.len, box.p, box.n); /* what was sent */
		return res.verdict == POLICY_REJECT_UNKNOWN ? smtp_limit_unknown(s, out) : SMTP_OK;
	}
	/* accepted: the backend has the last word when a relay takes it */
	const struct smtp_relay_ops *relay = s->ctx->relay;
	int rc = relay != NULL && relay->rcpt != NULL ? relay->rcpt(s->ctx->relay_arg, s, box.p, box.n) : 0;
	if (rc == SMTP_RELAY_PENDING) {
		s->state = SMTP_S_RELAY_WAIT;
		s->flags |= SMTP_F_RCPT_WAIT;
		return SMTP_OK;
	}
	if (rc < 0) {
		SMTP_REPLY(s, out, R_RELAY_BUSY);
		return SMTP_OK;
	}
	smtp_reply(s, out, res.reply, res.len);
	s->n_rcpt++;
	return SMTP_OK;
}

static int
cmd_data(struct smtp_session *s, struct args a, struct smtp_out *out)
{
	(void)a;
	SMTP_REPLY(s, out, R_DATA);
	smtp_data_begin(s);
	return SMTP_OK;
}

static int
cmd_rset(struct smtp_session *s, struct args a, struct smtp_out *out)
{
	(void)a;
	smtp_reset_transaction(s);
	SMTP_REPLY(s, out, R_OK);
	return SMTP_OK;
}

static int
cmd_noop(struct smtp_session *s, struct args a, struct smtp_out *out)
{
	(void)a; /* RFC 5321 4.1.1.9: a parameter is allowed and ignored */
	SMTP_REPLY(s, out, R_OK);
	return SMTP_OK;
}

static int
cmd_quit(struct smtp_session *s, struct args a, struct smtp_out *out)
{
	(void)a;
	SMTP_REPLY(s, out, R_BYE);
	SMTP_COUNT(s, SMTP_QUIT);
	s->state = SMTP_S_CLOSED;
	return SMTP_CLOSE;
}

static int
cmd_vrfy(struct smtp_session *s, struct args a, struct smtp_out *out)
{
	(void)a;
	SMTP_REPLY(s, out, R_VRFY);
	return SMTP_OK;
}

static int
cmd_help(struct smtp_session *s, struct args a, struct smtp_out *out)
{
	(void)a;
	SMTP_REPLY(s, out, R_HELP);
	return SMTP_OK;
}

/*
 * STARTTLS (RFC 3207): 220, then the caller starts the handshake after
 * sending it; until the handshake ends the session takes no command
 * (SMTP_S_TLS_WAIT), and input the client sent after the STARTTLS line
 * is discarded and counted, never executed inside TLS (CVE-2011-0411).
 * When TLS cannot be started now (no context, shedding) the client gets
 * 454 4.7.0 and may go on in plaintext.
 */
static int
cmd_starttls(struct smtp_session *s, struct args a, struct smtp_out *out)
{
	(void)a;
	if (!s->ctx->tls_ready) {
		SMTP_COUNT(s, SMTP_STARTTLS_UNAVAILABLE);
		SMTP_REPLY(s, out, R_TLS_LOCAL);
		return SMTP_OK;
	}
	SMTP_COUNT(s, SMTP_STARTTLS);
	SMTP_REPLY(s, out, R_TLS_GO);
	if (s->ctx->relay != NULL && s->ctx->relay->reset != NULL)
		s->ctx->relay->reset(s->ctx->relay_arg, s);
	s->state = SMTP_S_TLS_WAIT;
	return SMTP_STARTTLS;
}

/* What a four-byte load of the bytes C0, C1, C2, C3 gives on this host. */
#if !defined(__BYTE_ORDER__)
#error "__BYTE_ORDER__ is not defined: SMTP_VERB4 needs the byte order"
#elif __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SMTP_VERB4(c0, c1, c2, c3) \
	((uint32_t)(c0) | (uint32_t)(c1) << 8 | (uint32_t)(c2) << 16 | (uint32_t)(c3) << 24)
#else
#define SMTP_VERB4(c0, c1, c2, c3) \
	((uint32_t)(c3) | (uint32_t)(c2) << 8 | (uint32_t)(c1) << 16 | (uint32_t)(c0) << 24)
#endif

/*
 * The first four bytes at P with 0x20 OR-ed into each: that folds the
 * case of ASCII letters and makes no other byte a lowercase letter, so
 * against a lowercase verb the test is exact. One compare a table entry
 * instead of a byte loop: the verb search was 270 instructions of a
 * rejected session.
 */
static inline uint32_t
load4_fold(const char *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w | UINT32_C(0x20202020);
}

/* What a command's arguments must be; checked after the state. */
enum { ARGS_ANY, ARGS_NONE, ARGS_SOME };

static const struct smtp_command {
	char verb[9];
	uint8_t vlen;	      /* strlen(verb) */
	uint32_t fold;	      /* verb's first four bytes, lowercase, as load4_fold() reads them */
	uint8_t id;	      /* enum smtp_cmd_id */
	uint8_t args;	      /* ARGS_* */
	state_check_fn check; /* NULL: any state */
	action_fn action;
	const char *syntax; /* reply when the arguments are wrong */
} commands[] = {
	/* the hot one first */
	{ "RCPT", 4, SMTP_VERB4('r', 'c', 'p', 't'), SMTP_CMD_RCPT, ARGS_ANY, need_rcpt_state, cmd_rcpt,
	  NULL },
	{ "MAIL", 4, SMTP_VERB4('m', 'a', 'i', 'l'), SMTP_CMD_MAIL, ARGS_ANY, need_mail_state, cmd_mail,
	  NULL },
	{ "EHLO", 4, SMTP_VERB4('e', 'h', 'l', 'o'), SMTP_CMD_EHLO, ARGS_SOME, NULL, cmd_ehlo, R_SYN_EHLO },
	{ "HELO", 4, SMTP_VERB4('h', 'e', 'l', 'o'), SMTP_CMD_HELO, ARGS_SOME, NULL, cmd_helo, R_SYN_HELO },
	{ "DATA", 4, SMTP_VERB4('d', 'a', 't', 'a'), SMTP_CMD_DATA, ARGS_NONE, need_data_state, cmd_data,
	  R_SYN_DATA },
	{ "RSET", 4, SMTP_VERB4('r', 's', 'e', 't'), SMTP_CMD_RSET, ARGS_NONE, NULL, cmd_rset, R_SYN_RSET },
	{ "NOOP", 4, SMTP_VERB4('n', 'o', 'o', 'p'), SMTP_CMD_NOOP, ARGS_ANY, NULL, cmd_noop, NULL },
	{ "QUIT", 4, SMTP_VERB4('q', 'u', 'i', 't'), SMTP_CMD_QUIT, ARGS_NONE, NULL, cmd_quit, R_SYN_QUIT },
	{ "VRFY", 4, SMTP_VERB4('v', 'r', 'f', 'y'), SMTP_CMD_VRFY, ARGS_SOME, NULL, cmd_vrfy, R_SYN_VRFY },
	{ "HELP", 4, SMTP_VERB4('h', 'e', 'l', 'p'), SMTP_CMD_HELP, ARGS_ANY, NULL, cmd_help, NULL },
	{ "STARTTLS", 8, SMTP_VERB4('s', 't', 'a', 'r'), SMTP_CMD_STARTTLS, ARGS_NONE, need_starttls_state,
	  cmd_starttls, R_SYN_STARTTLS },
};

int
smtp_command(struct smtp_session *s, const char *line, size_t n, struct smtp_out *out)
{
	size_t vl = 0;

	while (vl < n && line[vl] != ' ')
		vl++;
	if (n == 0)
		return refuse(s, out, RG_C_SMTP_ERR_SYNTAX, R_EMPTY, sizeof(R_EMPTY) - 1);
	/* every verb has at least four letters: shorter ones match nothing */
	uint32_t w = vl >= 4 ? load4_fold(line) : 0;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct smtp_command *c = &commands[i];
		const char *wrong;
		size_t rn;

		if (vl != c->vlen || w != c->fold || !smtp_ieq(line + 4, c->verb + 4, vl - 4))
			continue;
		s->last_cmd = c->id;
		/* state before syntax; a DATA without recipients is not an order error */
		if (c->check != NULL && (wrong = c->check(s, &rn)) != NULL)
			return refuse(s, out, state_counter(wrong), wrong, rn);
		/* the actions get their arguments trimmed, as parse_path()
		 * and greet() want them */
		struct args a = trim((struct args){ line + vl, n - vl });
		if ((c->args == ARGS_NONE && a.n != 0) || (c->args == ARGS_SOME && a.n == 0))
			return refuse(s, out, RG_C_SMTP_ERR_SYNTAX, c->syntax, strlen(c->syntax));
		return c->action(s, a, out);
	}
	s->last_cmd = SMTP_CMD_UNKNOWN;
	return refuse(s, out, RG_C_SMTP_ERR_UNKNOWN_CMD, R_UNKNOWN, sizeof(R_UNKNOWN) - 1);
}
