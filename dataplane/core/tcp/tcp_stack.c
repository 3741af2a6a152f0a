/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_stack.c - a TCP stack's life cycle and its calls into the
 *	application
 * DESCRIPTION
 *	tcp_stack_create() allocates one lcore's stack (connection table,
 *	send buffers, sessions); tcp_stack_destroy() closes what is open
 *	and frees it. tcp_close() ends one connection (the application
 *	hears of it); tcp_app_call() applies an application verdict;
 *	tcp_session_resume() lets the application write to a session from
 *	outside the input path (a relayed reply arriving).
 * DIAGNOSTICS
 *	-EINVAL for bad parameters, -ENOMEM, -ENOENT for a session that is
 *	gone, -ENOBUFS when its send buffer is full; counters.
 * TRUST
 *	Parameters come from the configuration, already checked; session
 *	references are checked against the connection's generation.
 */
#include <errno.h>
#include <stdlib.h>

#include <rcptgate/counters.h>

#include "tcp/tcp_impl.h"

void
tcp_close(struct tcp_stack *ts, struct tcp_conn *c, bool rst)
{
	if (rst)
		tcp_send_ctl(ts, c, c->snd_nxt, TCP_RST | TCP_ACK);
	if (c->flags & TF_APP_OPEN) {
		ts->srcs[c->src].sessions--;
		ts->app.close(ts->app.arg, tcp_conn_session(ts, c));
	}
	if (c->state != TCPS_SYN_RCVD)
		ts->ctr[RG_C_TCP_CLOSED]++;
	tcp_conn_free(ts, c);
}

/*
 * Apply an application verdict. Return -1 if the connection is gone,
 * 1 if the application is done with it, 0 to go on.
 */
int
tcp_app_call(struct tcp_stack *ts, struct tcp_conn *c, int verdict)
{
	if (verdict == TCP_APP_DROP) {
		ts->ctr[RG_C_TCP_APP_ABORTS]++;
		tcp_close(ts, c, true);
		return -1;
	}
	if (verdict == TCP_APP_CLOSE) {
		if (!(c->flags & TF_APP_DONE)) {
			c->flags |= TF_APP_DONE;
			tcp_timer_set(ts, c, TT_MISC, TCP_CLOSE_FALLBACK_MS);
		}
		return 1;
	}
	return 0;
}

int
tcp_stack_create(const struct tcp_params *p, const struct tcp_app *app, const struct tcp_tx *tx,
		 uint64_t *ctr, struct tcp_stack **out)
{
	if (p->max_conns == 0 || p->max_per_source == 0 || p->idle_timeout_ms == 0 ||
	    p->max_conns > (1u << 30) || !app->open || !app->input || !app->timeout || !app->close ||
	    !tx->xmit || ctr == NULL)
		return -EINVAL;
	struct tcp_stack *ts = calloc(1, sizeof(*ts));
	if (ts == NULL)
		return -ENOMEM;
	ts->p = *p;
	ts->app = *app;
	ts->tx = *tx;
	ts->ctr = ctr;
	uint64_t w = 0x68617368;
	ts->hkey = tcp_siphash(p->secret, &w, 1);
	int rc = tcp_table_init(ts);
	if (rc != 0) {
		free(ts);
		return rc;
	}
	*out = ts;
	return 0;
}

void
tcp_stack_destroy(struct tcp_stack *ts)
{
	if (ts == NULL)
		return;
	for (uint32_t i = 0; i < ts->p.max_conns; i++)
		if (ts->conns[i].state != TCPS_FREE)
			tcp_close(ts, &ts->conns[i], false);
	tcp_table_fini(ts);
	free(ts);
}

uint64_t
tcp_session_ref(const struct tcp_stack *ts, const void *sess)
{
	size_t id = (size_t)((const uint8_t *)sess - ts->sessions) / ts->app.session_size;

	return (uint64_t)ts->conns[id].gen << 32 | id;
}

int
tcp_session_resume(struct tcp_stack *ts, uint64_t ref, int (*fn)(void *arg, void *sess, struct tcp_out *out),
		   void *arg)
{
	uint32_t id = (uint32_t)ref;
	struct tcp_out out;

	if (id >= ts->p.max_conns)
		return -ENOENT;
	struct tcp_conn *c = &ts->conns[id];
	if (c->gen != (uint16_t)(ref >> 32) || c->state != TCPS_ESTABLISHED || !(c->flags & TF_APP_OPEN) ||
	    (c->flags & TF_APP_DONE))
		return -ENOENT;
	if (tcp_sbuf_get(ts, c) != 0)
		return -ENOBUFS;
	if (!tcp_sb_has_reserve(ts, c)) {
		ts->ctr[RG_C_TCP_CAP_BUFFERS]++;
		return -ENOBUFS;
	}
	tcp_out_begin(ts, c, &out);
	int v = fn(arg, tcp_conn_session(ts, c), &out);
	tcp_out_end(c, &out);
	if (tcp_app_call(ts, c, v) < 0)
		return 0;
	if (c->rb_len > 0 && tcp_hold_drain(ts, c) < 0)
		return 0; /* input held while the reply was awaited */
	tcp_sbuf_trim(ts, c);
	tcp_output(ts, c);
	return 0;
}

uint32_t
tcp_stack_conns(const struct tcp_stack *ts)
{
	return ts->n_conns;
}
