/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_metrics.c - GET /metrics on metrics_listen, from the control thread
 * DESCRIPTION
 *	A non-blocking TCP listening socket (metrics_listen) polled by the
 *	control thread together with the control socket (ctl_server.c):
 *	the workers never see it. Each connection carries one request:
 *	its head is read into a buffer of CTL_HTTP_HEAD_MAX octets and
 *	parsed by ctl_http_parse (dataplane/core/ctl/ctl_http.c); the
 *	answer is the exposition of the counter snapshot the stats request
 *	reads (dp_counters_sum), rendered by ctl_prom.c as rcptgatectl
 *	stats --prometheus renders it, plus what only the daemon knows
 *	(version, start time, table load time, per-worker counters), or a
 *	4xx. Then the server shuts down its side and reads the client's
 *	rest until it closes, so the response is not lost to a reset.
 *
 *	At most MX_CLIENTS connections at once; a connection past them is
 *	accepted and closed at once (metrics_connections_refused). Every
 *	connection has MX_TIMEOUT_MS from its accept to its close,
 *	response and all: a slow or silent client is closed then
 *	(metrics_timeouts), whatever it holds; it never blocks the
 *	control socket, which is served by the same poll.
 * DIAGNOSTICS
 *	ctl_metrics_open fails with -errno and a reason (start-up makes it
 *	fatal). Afterwards a client's trouble only closes that client.
 * TRUST
 *	Whatever a client sends: the head is bounded and parsed by
 *	ctl_http_parse; nothing of it is echoed back.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ctl/ctl_daemon.h"
#include "ctl/ctl_http.h"
#include "ctl/ctl_prom.h"
#include "daemon.h"

#define MX_CLIENTS CTL_METRICS_CLIENTS
#define MX_TIMEOUT_MS 10000 /* from accept to close */

struct mx_client {
	int fd;		     /* -1: free slot */
	bool answered;	     /* response built; draining once it is written */
	int64_t deadline_ms; /* accept + MX_TIMEOUT_MS */
	size_t in_len;
	char *out; /* the response, malloc'ed */
	size_t out_off, out_len;
	char in[CTL_HTTP_HEAD_MAX];
};

struct ctl_metrics {
	struct dp_daemon *d;
	int fd;
	unsigned polled[MX_CLIENTS]; /* client of each pollfd after the listener */
	unsigned n_polled;
	struct mx_client c[MX_CLIENTS];
	uint64_t own[RG_MAX_WORKERS][RG_C_MAX]; /* each worker's counters, read for a scrape */
};

/* Counters the workers keep that are worth seeing per worker: load
 * spread over the RSS queues, loop health, sessions and verdicts. */
static const enum rg_counter mx_per_worker[] = {
	RG_C_RX_PACKETS,
	RG_C_TX_PACKETS,
	RG_C_SMTP_SESSIONS,
	RG_C_SMTP_RCPT_ACCEPT,
	RG_C_SMTP_RCPT_UNKNOWN,
	RG_C_TCP_CONNS,
	RG_C_TLS_HANDSHAKES_COMPLETED,
	RG_C_WORKER_BUSY_CYCLES,
	RG_C_WORKER_BUSY_LOOPS,
	RG_C_WORKER_SLOW_LOOPS,
	RG_C_LOG_RING_FULL,
};

int
ctl_metrics_open(struct dp_daemon *d, struct ctl_metrics **out, char *err, size_t errlen)
{
	const struct cfg_hostport *hp = &d->cfg.metrics_listen;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	char a[INET6_ADDRSTRLEN];
	int one = 1, rc;

	*out = NULL;
	if (hp->family == 0)
		return 0;
	if (hp->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = hp->a6;
		s6->sin6_port = htons(hp->port);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_addr = hp->a4;
		s4->sin_port = htons(hp->port);
		sl = sizeof(*s4);
	}
	inet_ntop(hp->family, hp->family == AF_INET6 ? (const void *)&hp->a6 : (const void *)&hp->a4, a,
		  sizeof(a));
	struct ctl_metrics *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(err, errlen, "metrics_listen: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	m->d = d;
	for (unsigned i = 0; i < MX_CLIENTS; i++)
		m->c[i].fd = -1;
	m->fd = socket(hp->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0)
		goto fail;
	(void)setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (hp->family == AF_INET6)
		(void)setsockopt(m->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(m->fd, (struct sockaddr *)&ss, sl) != 0 || listen(m->fd, MX_CLIENTS) != 0)
		goto fail;
	*out = m;
	return 0;
fail:
	rc = -errno;
	snprintf(err, errlen, "metrics_listen %s%s%s:%u: %s", hp->family == AF_INET6 ? "[" : "", a,
		 hp->family == AF_INET6 ? "]" : "", hp->port, strerror(-rc));
	if (m->fd >= 0)
		close(m->fd);
	free(m);
	return rc;
}

static void
mx_close(struct mx_client *c)
{
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
}

static void
mx_accept(struct ctl_metrics *m, int64_t now)
{
	for (;;) {
		int fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a client gone before we got to it */
		struct mx_client *c = NULL;
		for (unsigned i = 0; i < MX_CLIENTS && c == NULL; i++)
			if (m->c[i].fd < 0)
				c = &m->c[i];
		if (c == NULL) {
			ctl_count_inc(m->d, RG_C_METRICS_REFUSED);
			close(fd);
			continue;
		}
		memset(c, 0, offsetof(struct mx_client, in));
		c->fd = fd;
		c->deadline_ms = now + MX_TIMEOUT_MS;
	}
}

/* The exposition of the daemon: the counters, then what only it knows. */
static int
mx_render(struct ctl_metrics *m, struct ctl_prom *p)
{
	struct dp_daemon *d = m->d;
	uint64_t sum[RG_C_MAX], v[RG_MAX_WORKERS];
	unsigned lcore[RG_MAX_WORKERS];
	const struct ctl_table_state *ts = &d->tables;
	char num[32], labels[128] = "";

	dp_counters_sum(d, sum); /* the stats request's snapshot */
	ctl_prom_counters(p, sum);
	for (unsigned w = 0; w < d->n_workers; w++) {
		lcore[w] = d->lcores[w]->lcore_id;
		dp_counters_worker(d, w, m->own[w]); /* what stats worker=W reads */
	}
	for (size_t i = 0; i < sizeof(mx_per_worker) / sizeof(mx_per_worker[0]); i++) {
		for (unsigned w = 0; w < d->n_workers; w++)
			v[w] = m->own[w][mx_per_worker[i]];
		ctl_prom_workers(p, mx_per_worker[i], d->n_workers, lcore, v);
	}
	(void)ctl_prom_label(labels, sizeof(labels), "version", RG_VERSION);
	ctl_prom_family(p, "rcptgate_build_info", "gauge", "Always 1; the version in its label");
	ctl_prom_sample(p, "rcptgate_build_info", labels, "1");
	ctl_prom_family(p, "rcptgate_start_time_seconds", "gauge", "When the daemon started, Unix time");
	snprintf(num, sizeof(num), "%lld", (long long)d->started);
	ctl_prom_sample(p, "rcptgate_start_time_seconds", NULL, num);
	ctl_prom_family(p, "rcptgate_table_load_time_seconds", "gauge",
			"When the recipient table serving was published, Unix time (0: none loaded)");
	snprintf(num, sizeof(num), "%lld", ts->cur ? (long long)ts->loaded : 0LL);
	ctl_prom_sample(p, "rcptgate_table_load_time_seconds", NULL, num);
	ctl_prom_family(p, "rcptgate_table_load_duration_seconds", "gauge",
			"Time the last successful table load took: map, verify, publish, quiescence, unmap");
	snprintf(num, sizeof(num), "%.6f", ts->cur ? ts->last_ms / 1000.0 : 0.0);
	ctl_prom_sample(p, "rcptgate_table_load_duration_seconds", NULL, num);
	return ctl_prom_done(p);
}

/* Count the request and build its response in C->out. False: no memory. */
static bool
mx_answer(struct ctl_metrics *m, struct mx_client *c, enum ctl_http_status st, bool head)
{
	struct ctl_prom p;
	char hdr[256], body[64];
	const char *text = body;
	size_t text_len;

	ctl_prom_init(&p);
	if (st == CTL_HTTP_OK && mx_render(m, &p) != 0)
		st = CTL_HTTP_SERVER_ERROR;
	switch (st) {
	case CTL_HTTP_OK:
		ctl_count_inc(m->d, RG_C_METRICS_SCRAPES);
		text = p.buf;
		break;
	case CTL_HTTP_NOT_FOUND:
		ctl_count_inc(m->d, RG_C_METRICS_NOT_FOUND);
		break;
	case CTL_HTTP_NOT_ALLOWED:
		ctl_count_inc(m->d, RG_C_METRICS_NOT_ALLOWED);
		break;
	case CTL_HTTP_SERVER_ERROR:
		break;
	default: /* 400, 431, 505 */
		ctl_count_inc(m->d, RG_C_METRICS_BAD_REQUESTS);
		break;
	}
	if (st == CTL_HTTP_OK)
		text_len = p.len;
	else
		text_len = (size_t)snprintf(body, sizeof(body), "%d %s\n", (int)st, ctl_http_reason(st));
	int n = ctl_http_header(hdr, sizeof(hdr), st,
				st == CTL_HTTP_OK ? CTL_PROM_CONTENT_TYPE : "text/plain; charset=utf-8",
				text_len);
	if (head)
		text_len = 0;
	c->answered = true;
	c->out = n > 0 ? malloc((size_t)n + text_len) : NULL;
	if (c->out != NULL) {
		memcpy(c->out, hdr, (size_t)n);
		memcpy(c->out + n, text, text_len);
		c->out_len = (size_t)n + text_len;
	}
	ctl_prom_free(&p);
	return c->out != NULL;
}

/* Write what is pending; once all is written, shut our side. False: gone. */
static bool
mx_flush(struct mx_client *c)
{
	if (!ctl_send_pending(c->fd, c->out, &c->out_off, c->out_len))
		return false;
	if (c->out != NULL && c->out_off == c->out_len) {
		free(c->out);
		c->out = NULL;
		(void)shutdown(c->fd, SHUT_WR);
	}
	return true;
}

static void
mx_event(struct ctl_metrics *m, struct mx_client *c, short revents)
{
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && c->out == NULL) {
		char sink[4096]; /* after the response: the client's rest, dropped */
		char *to = c->answered ? sink : c->in + c->in_len;
		size_t room = c->answered ? sizeof(sink) : sizeof(c->in) - c->in_len;
		ssize_t n = room ? recv(c->fd, to, room, 0) : 0;
		if (room != 0 && (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))) {
			mx_close(c); /* end of input, or an error: nothing more to say */
			return;
		}
		if (n > 0 && !c->answered)
			c->in_len += (size_t)n;
	}
	if (!c->answered) {
		struct ctl_http_req req = { 0 };
		enum ctl_http_status st = ctl_http_parse(c->in, c->in_len, &req);
		if (st == CTL_HTTP_MORE)
			return;
		if (!mx_answer(m, c, st, st == CTL_HTTP_OK && req.head)) {
			mx_close(c); /* no memory for the response */
			return;
		}
	}
	if (!mx_flush(c))
		mx_close(c);
}

unsigned
ctl_metrics_pollfds(struct ctl_metrics *m, struct pollfd *pfd)
{
	unsigned n = 0;
	int64_t now = ctl_now_ms();

	if (m == NULL)
		return 0;
	m->n_polled = 0;
	pfd[n++] = (struct pollfd){ .fd = m->fd, .events = POLLIN };
	for (unsigned i = 0; i < MX_CLIENTS; i++) {
		struct mx_client *c = &m->c[i];
		if (c->fd < 0)
			continue;
		if (now >= c->deadline_ms) {
			if (c->out != NULL || !c->answered)
				ctl_count_inc(m->d, RG_C_METRICS_TIMEOUTS); /* not a lingering close */
			mx_close(c);
			continue;
		}
		m->polled[m->n_polled++] = i;
		pfd[n++] = (struct pollfd){ .fd = c->fd, .events = c->out != NULL ? POLLOUT : POLLIN };
	}
	return n;
}

void
ctl_metrics_events(struct ctl_metrics *m, const struct pollfd *pfd)
{
	if (m == NULL)
		return;
	for (unsigned i = 0; i < m->n_polled; i++)
		if (pfd[1 + i].revents != 0)
			mx_event(m, &m->c[m->polled[i]], pfd[1 + i].revents);
	if (pfd[0].revents & POLLIN)
		mx_accept(m, ctl_now_ms());
}

void
ctl_metrics_close(struct ctl_metrics *m)
{
	if (m == NULL)
		return;
	for (unsigned i = 0; i < MX_CLIENTS; i++)
		if (m->c[i].fd >= 0)
			mx_close(&m->c[i]);
	close(m->fd);
	free(m);
}
