/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_tls.c - rcptgatectl tls reload: new certificates without a restart
 * DESCRIPTION
 *	Re-reads the files of the smtpd_tls_* keys (the configuration file
 *	itself is not re-read) and builds one context per worker, every
 *	file checked as at start-up (parsed, key matching its certificate).
 *	Only when all are built is each published in its worker's slot;
 *	after the workers' quiescent states no new session can start on an
 *	old context, and the old ones are retired: handshakes and sessions
 *	in progress finish on them, and the control thread frees each when
 *	its last connection is gone (tcp_tls_reap() on every poll of the
 *	control socket).
 * DIAGNOSTICS
 *	A refusal is the client's error reply and a log line; the old
 *	certificates keep serving. Counted in tls_reloads and
 *	tls_reloads_failed; tls_contexts_retired shows the old contexts
 *	still serving.
 * TRUST
 *	The request is checked by ctl_req_parse(); the files are the
 *	operator's, read by the TLS layer, which refuses what it cannot use.
 */
#include <errno.h>
#include <time.h>

#include "ctl/ctl_daemon.h"
#include "daemon.h"
#include "msg.h"
#include "tcp/tcp_tls.h"
#include "tls/tls.h"

static double
ctl_tls_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Build a context for each worker into C. Return 0 or -errno with ERR. */
static int
ctl_tls_build(struct dp_daemon *d, struct tls_ctx **c, char *err, size_t errlen, char *warn, size_t wn)
{
	if (d->cfg.tls_level == CFG_TLS_NONE) {
		snprintf(err, errlen, "STARTTLS is not configured (smtpd_tls_security_level = none)");
		return -ENOTSUP;
	}
	if (tcp_tls_retire_room() < d->n_workers) {
		snprintf(err, errlen,
			 "%u replaced certificate sets still serve TLS sessions; try again when they end",
			 TCP_TLS_RETIRED_MAX / d->n_workers);
		return -EBUSY;
	}
	for (unsigned w = 0; w < d->n_workers; w++) {
		int rc = tcp_tls_build(&d->cfg, &c[w], err, errlen, warn, wn);
		if (rc != 0) {
			while (w-- > 0)
				tls_ctx_free(c[w]);
			return rc;
		}
	}
	return 0;
}

void
ctl_do_tls(struct dp_daemon *d, const struct ctl_req *req, struct ctl_resp *r)
{
	struct tls_ctx *c[RG_MAX_WORKERS];
	char err[1024], warn[1024] = "";
	struct timespec t0;

	(void)req; /* op=reload: the only one ctl_req_parse() lets through */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ctl_tls_reap(d);
	int rc = ctl_tls_build(d, c, err, sizeof(err), warn, sizeof(warn));
	if (rc != 0) {
		ctl_count_inc(d, RG_C_TLS_RELOADS_FAILED);
		msg_error("tls reload refused: %s; the old certificates keep serving", err);
		ctl_resp_error(r, rc, "%s", err);
		return;
	}
	for (unsigned w = 0; w < d->n_workers; w++)
		c[w] = tcp_tls_publish(d->lcores[w]->lcore_id, c[w]);
	ctl_rcu_wait(d); /* no worker starts a connection on an old one now */
	for (unsigned w = 0; w < d->n_workers; w++)
		(void)tcp_tls_retire(c[w]); /* room checked above */
	unsigned retired = tcp_tls_reap();
	double ms = ctl_tls_ms(&t0);

	ctl_count_set(d, RG_C_TLS_CONTEXTS_RETIRED, retired);
	ctl_count_inc(d, RG_C_TLS_RELOADS_OK);
	if (warn[0] != '\0')
		msg_warn("%s", warn);
	msg_info(
		"tls reload: new certificates published to %u workers in %.3f ms; %u old contexts still serve"
		" sessions",
		d->n_workers, ms, retired);
	ctl_resp_add(r, "workers", "%u", d->n_workers);
	ctl_resp_add(r, "retired_serving", "%u", retired);
	ctl_resp_add(r, "ms", "%.3f", ms);
	if (warn[0] != '\0')
		ctl_resp_add(r, "warning", "%s", warn);
}

void
ctl_tls_reap(struct dp_daemon *d)
{
	if (d->ctl_ctr[RG_C_TLS_CONTEXTS_RETIRED] > 0)
		ctl_count_set(d, RG_C_TLS_CONTEXTS_RETIRED, tcp_tls_reap());
}
