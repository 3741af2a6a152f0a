/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	smtp_limits.c - SMTP engine: the client limits, answered as Postfix
 * DESCRIPTION
 *	The engine's side of the per-client counts of ctx->anvil (anvil.h):
 *
 *	a new session past smtpd_client_connection_count_limit or
 *	smtpd_client_connection_rate_limit gets
 *	  421 4.7.0 myhostname Error: too many connections from IP
 *	and ends; a RCPT past smtpd_client_recipient_rate_limit gets
 *	  450 4.7.1 Error: too many recipients from IP
 *	(Postfix's smtpd replies, word for word), and each is logged as
 *	Postfix's smtpd logs it:
 *	  warning: Connection concurrency limit exceeded: N from unknown[IP] for service smtp
 *	  warning: Connection rate limit exceeded: N from unknown[IP] for service smtp
 *	  warning: Recipient address rate limit exceeded: N from unknown[IP] for service smtp
 *
 *	Dictionary attacks: a recipient rejected as unknown in a
 *	transaction with a non-null sender counts toward
 *	dictionary_block_limit; null-sender transactions (bounces, the
 *	backscatter rcptgate exists to answer with 550) never count. At the
 *	limit the anvil's block hook is called (the daemon's workers hand
 *	the client to the control thread, which puts it on the blocklist
 *	for dictionary_block_time: dpdk/ctl/ctl_dict.c), and the
 *	session ends with "421 4.7.0 myhostname Error: too many errors"
 *	(the reply of smtpd_hard_error_limit, which unknown recipients also
 *	count toward), logged as
 *	  warning: Dictionary attack: N unknown recipients from unknown[IP] for service smtp
 * DIAGNOSTICS
 *	Counters of the client limit group; the log lines go through the
 *	reject log's rate limiter.
 * TRUST
 *	The client address is the transport's (smtp_session_client_ip()
 *	makes it text); nothing here reads client input.
 */
#include <stdio.h>

#include "smtp/smtp_impl.h"

/*
 * "warning: WHAT: N[UNIT] from unknown[IP] for service smtp[TAIL]", as
 * Postfix's smtpd names the client; rate limited.
 */
static void
limit_log(struct smtp_session *s, const char *what, uint32_t n, const char *unit, const char *tail)
{
	char line[256], ip[SMTP_IP_MAX];

	if (!smtp_log_allowed(s->ctx))
		return;
	snprintf(line, sizeof(line), "warning: %s: %u%s from unknown[%s] for service smtp%s", what, n, unit,
		 smtp_session_client_ip(s, ip), tail);
	s->ctx->log(s->ctx->log_arg, line);
}

int
smtp_session_open(struct smtp_session *s, const struct anvil_key *client, uint32_t sessions,
		  struct smtp_out *out)
{
	struct smtp_ctx *ctx = s->ctx;
	uint32_t limit = ctx->cfg->client_conn_limit, n = sessions;
	enum anvil_verdict v = ANVIL_OK;
	char r[SMTP_HOST_MAX + SMTP_IP_MAX + 64], ip[SMTP_IP_MAX];

	/* every connection counts toward the rate, refused or not, as
	 * Postfix's anvil counts it; the session held is released at close */
	uint32_t rate = 0;
	if (ctx->anvil != NULL && client != NULL)
		v = anvil_connect(ctx->anvil, client, (uint32_t)ctx->now, &s->client, &rate);
	/* the count is the transport's (tcp_app.open): no lookup of our own */
	if (limit != 0 && sessions > limit) {
		SMTP_COUNT(s, SMTP_CLIENT_CONN_LIMIT);
		limit_log(s, "Connection concurrency limit exceeded", n, "", "");
	} else if (v != ANVIL_OK) {
		SMTP_COUNT(s, SMTP_CLIENT_CONN_RATE);
		limit_log(s, "Connection rate limit exceeded", rate, "", "");
	} else {
		return smtp_session_banner(s, out);
	}
	int len = snprintf(r, sizeof(r), "421 4.7.0 %.*s Error: too many connections from %s\r\n",
			   SMTP_HOST_MAX, ctx->cfg->myhostname, smtp_session_client_ip(s, ip));
	if (len > 0 && (size_t)len < sizeof(r) && (size_t)len <= smtp_out_room(out))
		smtp_reply(s, out, r, (size_t)len);
	s->state = SMTP_S_CLOSED;
	return SMTP_CLOSE;
}

bool
smtp_limit_rcpt(struct smtp_session *s, struct smtp_out *out)
{
	uint32_t n;
	char r[SMTP_IP_MAX + 64], ip[SMTP_IP_MAX];

	if (s->ctx->anvil == NULL ||
	    anvil_rcpt(s->ctx->anvil, &s->client, (uint32_t)s->ctx->now, &n) == ANVIL_OK)
		return false;
	SMTP_COUNT(s, SMTP_CLIENT_RCPT_RATE);
	limit_log(s, "Recipient address rate limit exceeded", n, "", "");
	int len = snprintf(r, sizeof(r), "450 4.7.1 Error: too many recipients from %s\r\n",
			   smtp_session_client_ip(s, ip));
	smtp_reply(s, out, r, (size_t)len); /* the caller made sure of SMTP_OUT_RESERVE */
	return true;
}

int
smtp_limit_unknown(struct smtp_session *s, struct smtp_out *out)
{
	uint32_t n;

	if (s->ctx->anvil == NULL || smtp_env_get(s, SMTP_ENV_FROM)[0] == '\0')
		return SMTP_OK; /* no limits, or a bounce: never counted */
	if (anvil_unknown_rcpt(s->ctx->anvil, &s->client, (uint32_t)s->ctx->now, &n) != ANVIL_BLOCK)
		return SMTP_OK;
	SMTP_COUNT(s, SMTP_DICT_BLOCK);
	limit_log(s, "Dictionary attack", n, " unknown recipients", "");
	smtp_reply(s, out, s->ctx->errlimit, s->ctx->errlimit_len);
	s->state = SMTP_S_CLOSED;
	return SMTP_CLOSE;
}

void
smtp_limit_close(struct smtp_session *s)
{
	if (s->ctx->anvil != NULL && s->client.slot != 0)
		anvil_disconnect(s->ctx->anvil, &s->client);
}
