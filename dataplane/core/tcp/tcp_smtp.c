/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_smtp.c - run the SMTP engine on top of the TCP core
 * DESCRIPTION
 *	The tcp_app callbacks translate between struct tcp_out and struct
 *	smtp_out (same fields, distinct types) and between the engine's
 *	verdicts and the stack's. Line buffers come from a stack of free
 *	fixed-size buffers allocated once.
 * DIAGNOSTICS
 *	None at run time: the engine and the stack count.
 * TRUST
 *	Only the configuration, which is trusted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "tcp/tcp_smtp.h"

static void *
line_alloc(void *arg)
{
	struct tcp_smtp *ts = arg;

	return ts->n_free ? ts->free_lines[--ts->n_free] : NULL;
}

static void
line_free(void *arg, void *buf)
{
	struct tcp_smtp *ts = arg;

	if (buf != NULL)
		ts->free_lines[ts->n_free++] = buf;
}

static int
verdict(int v)
{
	switch (v) {
	case SMTP_OK:
		return TCP_APP_OK;
	case SMTP_CLOSE:
		return TCP_APP_CLOSE;
	default:
		return TCP_APP_DROP;
	}
}

static int
app_open(void *arg, void *sess, struct tcp_addr peer, struct tcp_out *out)
{
	struct tcp_smtp *ts = arg;
	char ip[INET_ADDRSTRLEN];
	struct smtp_out o = { out->buf, out->len, out->cap };

	if (inet_ntop(AF_INET, &peer.v4, ip, sizeof(ip)) == NULL)
		strcpy(ip, "unknown");
	smtp_session_init(sess, &ts->ctx, ip);
	int v = smtp_session_banner(sess, &o);
	out->len = o.len;
	return verdict(v);
}

static int
app_input(void *arg, void *sess, const uint8_t *data, size_t len, size_t *consumed, struct tcp_out *out)
{
	struct smtp_out o = { out->buf, out->len, out->cap };
	(void)arg;

	int v = smtp_session_input(sess, data, len, consumed, &o);
	out->len = o.len;
	return verdict(v);
}

static int
app_timeout(void *arg, void *sess, struct tcp_out *out)
{
	struct smtp_out o = { out->buf, out->len, out->cap };
	(void)arg;

	int v = smtp_session_timeout(sess, &o);
	out->len = o.len;
	return verdict(v);
}

static void
app_close(void *arg, void *sess)
{
	(void)arg;
	smtp_session_fini(sess);
}

/* relay: a late reply from the backend, written outside the input path */
struct relay_text {
	const char *p;
	size_t n;
};

static int
app_relay_reply(void *arg, void *sess, struct tcp_out *out)
{
	const struct relay_text *t = arg;
	struct smtp_out o = { out->buf, out->len, out->cap };

	if (!smtp_session_relay_waiting(sess))
		return TCP_APP_OK;
	int v = smtp_session_relay_reply(sess, t->p, t->n, &o);
	out->len = o.len;
	return verdict(v);
}

int
tcp_smtp_relay_reply(struct tcp_stack *stack, uint64_t ref, const char *text, size_t n)
{
	struct relay_text t = { text, n };

	return tcp_session_resume(stack, ref, app_relay_reply, &t);
}

static int
app_relay_kick(void *arg, void *sess, struct tcp_out *out)
{
	(void)arg;
	(void)sess;
	(void)out;
	return TCP_APP_OK; /* nothing to write: the stack drains the held input */
}

int
tcp_smtp_relay_kick(struct tcp_stack *stack, uint64_t ref)
{
	return tcp_session_resume(stack, ref, app_relay_kick, NULL);
}

int
tcp_params_from_config(struct tcp_params *p, const struct rg_config *cfg, unsigned workers,
		       const uint64_t secret[2])
{
	if (workers == 0)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->listen_addr.v4 = cfg->listen_addr.s_addr;
	p->listen_port = cfg->listen_port;
	p->max_conns = (cfg->max_connections + workers - 1) / workers;
	p->max_per_source = cfg->max_connections_per_source;
	p->syn_backlog = cfg->tcp_syn_backlog;
	uint64_t bytes = cfg->tcp_buffer_limit / workers / 2;
	uint64_t nb = bytes / TCP_SNDBUF_SIZE;
	p->n_buffers = nb > UINT32_MAX ? UINT32_MAX : (uint32_t)(nb ? nb : 1);
	p->idle_timeout_ms = cfg->smtpd_timeout * 1000u;
	p->challenge_ack_limit = 1000; /* as Linux's tcp_challenge_ack_limit */
	p->secret[0] = secret[0];
	p->secret[1] = secret[1];
	return 0;
}

uint32_t
tcp_smtp_lines(const struct rg_config *cfg, unsigned workers)
{
	uint64_t n = cfg->tcp_buffer_limit / (workers ? workers : 1) / 2 / SMTP_LINEBUF_SIZE;

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)(n ? n : 1);
}

int
tcp_smtp_init(struct tcp_smtp *ts, const struct rg_config *cfg, const struct tbl *const *table, uint64_t *ctr,
	      uint32_t n_lines, struct tcp_app *app)
{
	memset(ts, 0, sizeof(*ts));
	ts->ctx.cfg = cfg;
	policy_conf_from_config(&ts->ctx.policy, cfg);
	ts->ctx.table = table;
	ts->ctx.ctr = ctr;
	ts->ctx.buf_alloc = line_alloc;
	ts->ctx.buf_free = line_free;
	ts->ctx.buf_arg = ts;
	if (smtp_ctx_prepare(&ts->ctx) != 0)
		return -EINVAL;
	ts->lines = malloc((size_t)n_lines * SMTP_LINEBUF_SIZE);
	ts->free_lines = malloc((size_t)n_lines * sizeof(*ts->free_lines));
	if (ts->lines == NULL || ts->free_lines == NULL) {
		tcp_smtp_fini(ts);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n_lines; i++)
		ts->free_lines[i] = ts->lines + (size_t)(n_lines - 1 - i) * SMTP_LINEBUF_SIZE;
	ts->n_lines = ts->n_free = n_lines;

	memset(app, 0, sizeof(*app));
	app->session_size = sizeof(struct smtp_session);
	app->out_reserve = SMTP_OUT_RESERVE;
	app->open = app_open;
	app->input = app_input;
	app->timeout = app_timeout;
	app->close = app_close;
	app->arg = ts;
	return 0;
}

void
tcp_smtp_fini(struct tcp_smtp *ts)
{
	free(ts->lines);
	free(ts->free_lines);
	ts->lines = NULL;
	ts->free_lines = NULL;
	ts->n_lines = ts->n_free = 0;
}
