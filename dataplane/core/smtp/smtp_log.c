/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	smtp_log.c - SMTP engine: log lines and their rate limiter
 * DESCRIPTION
 *	Rejections are logged in the shape Postfix's smtpd uses, so that
 *	fail2ban's postfix filter and pflogsumm read them unchanged:
 *
 *	NOQUEUE: reject: RCPT from unknown[IP]: 550 5.1.1 <to>: Recipient
 *	address rejected: User unknown; from=<s> to=<to> proto=ESMTP helo=<h>
 *
 *	Other events are "WHAT after CMD from unknown[IP]" (too many errors,
 *	timeout, HTTP request). There is no reverse DNS on the fast path, so
 *	the host name is always "unknown", as Postfix writes it then.
 *
 *	At most ctx->log_per_sec lines per second per lcore are written;
 *	the rest are counted and reported as one "N reject lines suppressed"
 *	line when a later second begins (or smtp_log_flush() runs). The
 *	time is ctx->now, set by the caller: no clock is read here.
 * DIAGNOSTICS
 *	None of its own; smtp_log_suppressed counts what was not written.
 * TRUST
 *	Client text (HELO name, addresses) is copied bounded, with control
 *	bytes replaced by '?', so a log line is always one line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rcptgate/clean.h>

#include "smtp/smtp_impl.h"

#define LOG_LINE_MAX 1536

void
smtp_env_set(struct smtp_session *s, size_t off, const char *p, size_t n)
{
	if (s->env == NULL) {
		if (n == 0)
			return;
		s->env = s->ctx->buf_alloc(s->ctx->buf_arg);
		if (s->env == NULL)
			return; /* logs then show empty fields */
		s->env[SMTP_ENV_HELO] = '\0';
		s->env[SMTP_ENV_FROM] = '\0';
		s->env[SMTP_ENV_PARAMS] = '\0';
	}
	if (n > SMTP_ENV_FIELD - 1)
		n = SMTP_ENV_FIELD - 1;
	rg_copy_clean(s->env + off, p, n);
	s->env[off + n] = '\0';
}

const char *
smtp_env_get(const struct smtp_session *s, size_t off)
{
	return s->env != NULL ? s->env + off : "";
}

static void
emit_suppressed(struct smtp_ctx *ctx)
{
	char line[64];

	snprintf(line, sizeof(line), "%" PRIu64 " reject lines suppressed", ctx->log_suppressed);
	ctx->log(ctx->log_arg, line);
	ctx->log_suppressed = 0;
}

void
smtp_log_flush(struct smtp_ctx *ctx)
{
	if (ctx->now != ctx->log_sec) {
		if (ctx->log_suppressed > 0)
			emit_suppressed(ctx);
		ctx->log_sec = ctx->now;
		ctx->log_count = 0;
	}
}

bool
smtp_log_allowed(struct smtp_ctx *ctx)
{
	unsigned limit = ctx->log_per_sec ? ctx->log_per_sec : SMTP_LOG_PER_SEC;

	smtp_log_flush(ctx);
	if (ctx->log_count >= limit) {
		ctx->log_suppressed++;
		ctx->ctr[RG_C_SMTP_LOG_SUPPRESSED]++;
		return false;
	}
	ctx->log_count++;
	return true;
}

/* Append P[0..N) to the line at *O (bounded by LOG_LINE_MAX), control bytes as '?'. */
static void
append_clean(char *line, size_t *o, const char *p, size_t n)
{
	size_t room = *o < LOG_LINE_MAX - 1 ? LOG_LINE_MAX - 1 - *o : 0;
	size_t m = n < room ? n : room;

	rg_copy_clean(line + *o, p, m);
	*o += m;
	line[*o] = '\0';
}

static void
append_str(char *line, size_t *o, const char *str)
{
	append_clean(line, o, str, strlen(str));
}

void
smtp_log_reject(struct smtp_session *s, const char *reply, size_t rn, const char *to, size_t tn)
{
	char line[LOG_LINE_MAX], ip[SMTP_IP_MAX];
	size_t o = 0;

	if (!smtp_log_allowed(s->ctx))
		return;
	while (rn > 0 && (reply[rn - 1] == '\n' || reply[rn - 1] == '\r'))
		rn--;
	if (tn > RG_PATH_MAX)
		tn = RG_PATH_MAX;
	line[0] = '\0';
	append_str(line, &o, "NOQUEUE: reject: RCPT from unknown[");
	append_str(line, &o, smtp_session_client_ip(s, ip));
	append_str(line, &o, "]: ");
	append_clean(line, &o, reply, rn);
	append_str(line, &o, "; from=<");
	append_str(line, &o, smtp_env_get(s, SMTP_ENV_FROM));
	append_str(line, &o, "> to=<");
	append_clean(line, &o, to, tn);
	append_str(line, &o, (s->flags & SMTP_F_ESMTP) ? "> proto=ESMTP helo=<" : "> proto=SMTP helo=<");
	append_str(line, &o, smtp_env_get(s, SMTP_ENV_HELO));
	append_str(line, &o, ">");
	s->ctx->log(s->ctx->log_arg, line);
}

void
smtp_log_event(struct smtp_session *s, const char *what)
{
	char line[LOG_LINE_MAX], ip[SMTP_IP_MAX];
	const char *cmd = s->last_cmd < SMTP_CMD_ID_MAX ? smtp_cmd_names[s->last_cmd] : "?";

	if (!smtp_log_allowed(s->ctx))
		return;
	snprintf(line, sizeof(line), "%s after %s from unknown[%s]", what, cmd,
		 smtp_session_client_ip(s, ip));
	s->ctx->log(s->ctx->log_arg, line);
}
