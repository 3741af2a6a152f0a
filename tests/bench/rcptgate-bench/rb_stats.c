/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	rb_stats.c - latency histogram, progress line and summary
 * DESCRIPTION
 *	The histogram is log-linear: 2^k ns magnitudes each split into 32
 *	linear buckets, so any quantile is within ~3% of the true value,
 *	with fixed memory and no sorting (an HDR-histogram in miniature;
 *	DPDK has none).
 *
 *	The summary is a human table, or with --json one JSON object on
 *	stdout that scripts (compare-postfix) read.
 * DIAGNOSTICS
 *	None: output only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"

uint64_t
rb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned
rb_hist_index(uint64_t ns)
{
	if (ns < RB_HIST_SUB)
		return (unsigned)ns;
	unsigned mag = 63u - (unsigned)__builtin_clzll(ns); /* ns >= 2^mag */
	unsigned shift = mag - 5;			    /* 32 = 2^5 sub-buckets */
	unsigned idx = (mag - 4) * RB_HIST_SUB + (unsigned)((ns >> shift) - RB_HIST_SUB);
	return idx < RB_HIST_MAG * RB_HIST_SUB ? idx : RB_HIST_MAG * RB_HIST_SUB - 1;
}

/* Lower bound of bucket IDX (inverse of rb_hist_index). */
static uint64_t
rb_hist_value(unsigned idx)
{
	if (idx < RB_HIST_SUB)
		return idx;
	unsigned mag = idx / RB_HIST_SUB + 4, sub = idx % RB_HIST_SUB;
	return (uint64_t)(RB_HIST_SUB + sub) << (mag - 5);
}

void
rb_hist_add(struct rb_hist *h, uint64_t ns)
{
	h->b[rb_hist_index(ns)]++;
	h->n++;
	if (ns > h->max)
		h->max = ns;
}

uint64_t
rb_hist_quantile(const struct rb_hist *h, double q)
{
	if (h->n == 0)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)h->n);
	if (rank >= h->n)
		rank = h->n - 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < RB_HIST_MAG * RB_HIST_SUB; i++) {
		seen += h->b[i];
		if (seen > rank)
			return rb_hist_value(i);
	}
	return h->max;
}

void
rb_stats_merge(struct rb_stats *into, const struct rb_stats *from)
{
	into->sessions += from->sessions;
	into->errors += from->errors;
	for (unsigned i = 0; i < RB_ERR_MAX; i++)
		into->err[i] += from->err[i];
	into->wrong += from->wrong;
	into->rcpts += from->rcpts;
	into->rcpt_valid += from->rcpt_valid;
	into->data += from->data;
	into->syns += from->syns;
	into->tls_handshakes += from->tls_handshakes;
	into->tls_refused += from->tls_refused;
	into->tls_sessions += from->tls_sessions;
	into->tls_floods += from->tls_floods;
	into->flood_sent += from->flood_sent;
	into->flood_refused += from->flood_refused;
	into->flood_lost += from->flood_lost;
	into->flood_skipped += from->flood_skipped;
	into->pkts_tx += from->pkts_tx;
	into->pkts_rx += from->pkts_rx;
	into->retransmits += from->retransmits;
	into->tx_drops += from->tx_drops;
	into->rexmt_syn += from->rexmt_syn;
	into->rexmt_data += from->rexmt_data;
	into->rexmt_fin += from->rexmt_fin;
	into->rexmt_fast += from->rexmt_fast;
	into->nombuf += from->nombuf;
	into->rx_missed += from->rx_missed;
	if (from->max_gap > into->max_gap)
		into->max_gap = from->max_gap;
	into->busy_cycles += from->busy_cycles;
	if (from->tsc_hz)
		into->tsc_hz = from->tsc_hz;
	into->bytes_tx += from->bytes_tx;
	into->bytes_rx += from->bytes_rx;
	into->started += from->started;
	for (unsigned i = 0; i < RB_HIST_MAG * RB_HIST_SUB; i++)
		into->lat.b[i] += from->lat.b[i];
	into->lat.n += from->lat.n;
	if (from->lat.max > into->lat.max)
		into->lat.max = from->lat.max;
}

void
rb_progress(const struct rb_opts *o, const struct rb_stats *now, const struct rb_stats *prev, double t,
	    double dt, unsigned inflight)
{
	if (o->progress <= 0 || o->quiet || dt <= 0)
		return;
	fprintf(stderr,
		"%6.1fs  sessions/s %9.0f  RCPT/s %10.0f  pkts/s %10.0f  in flight %6u  "
		"errors %" PRIu64 "  wrong %" PRIu64 "\n",
		t, (double)(now->sessions - prev->sessions) / dt, (double)(now->rcpts - prev->rcpts) / dt,
		(double)(now->pkts_tx + now->pkts_rx - prev->pkts_tx - prev->pkts_rx) / dt, inflight,
		now->errors, now->wrong);
}

static const char *
rb_scenario_name(enum rb_scenario sc)
{
	switch (sc) {
	case RB_SC_REJECT:
		return "reject";
	case RB_SC_DICT:
		return "dict";
	case RB_SC_MIXED:
		return "mixed";
	}
	return "?";
}

void
rb_summary(const struct rb_opts *o, const char *mode, const struct rb_stats *st, double seconds,
	   double client_cpu)
{
	double s = seconds > 0 ? seconds : 1e-9;
	double p50 = (double)rb_hist_quantile(&st->lat, 0.50) / 1e3;
	double p99 = (double)rb_hist_quantile(&st->lat, 0.99) / 1e3;
	double p999 = (double)rb_hist_quantile(&st->lat, 0.999) / 1e3;
	double pkts = (double)(st->pkts_tx + st->pkts_rx);

	if (o->json) {
		printf("{\"mode\":\"%s\",\"scenario\":\"%s\",\"rcpts_per_session\":%u,"
		       "\"valid_pct\":%u,\"data_pct\":%u,\"syn_pct\":%u,\"pipelining\":%s,"
		       "\"concurrency\":%u,\"seconds\":%.3f,\"sessions\":%" PRIu64
		       ",\"sessions_started\":%" PRIu64 ",\"errors\":%" PRIu64
		       ",\"errors_by_reason\":{\"connect\":%" PRIu64 ",\"reset\":%" PRIu64
		       ",\"closed\":%" PRIu64 ",\"timeout\":%" PRIu64 ",\"protocol\":%" PRIu64
		       ",\"tls\":%" PRIu64 "}"
		       ",\"tls_pct\":%u,\"tls_handshakes\":%" PRIu64 ",\"tls_refused\":%" PRIu64
		       ",\"tls_sessions\":%" PRIu64 ",\"tls_floods\":%" PRIu64 ",\"tls_flood_rate\":%u"
		       ",\"flood_sent\":%" PRIu64 ",\"flood_refused\":%" PRIu64 ",\"flood_lost\":%" PRIu64
		       ",\"flood_skipped\":%" PRIu64 ",\"wrong_replies\":%" PRIu64 ",\"rcpts\":%" PRIu64
		       ",\"rcpts_valid\":%" PRIu64 ",\"messages\":%" PRIu64 ",\"syns\":%" PRIu64
		       ",\"packets\":%" PRIu64 ",\"retransmits\":%" PRIu64
		       ",\"retransmits_by_kind\":{\"syn\":%" PRIu64 ",\"data\":%" PRIu64 ",\"fin\":%" PRIu64
		       ",\"fast\":%" PRIu64 "},\"tx_drops\":%" PRIu64 ",\"tx_nombuf\":%" PRIu64
		       ",\"client_max_loop_gap_us\":%.1f"
		       ",\"rx_missed\":%" PRIu64
		       ",\"sessions_per_s\":%.1f,\"rcpts_per_s\":%.1f,\"packets_per_s\":%.1f,"
		       "\"latency_us\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},"
		       "\"client_cpu_s\":%.3f,\"client_busy_cycles\":%" PRIu64 ",\"tsc_hz\":%" PRIu64 "}\n",
		       mode, rb_scenario_name(o->scenario), o->rcpts, o->valid_pct, o->data_pct, o->syn_pct,
		       o->pipelining ? "true" : "false", o->concurrency, seconds, st->sessions, st->started,
		       st->errors, st->err[RB_ERR_CONNECT], st->err[RB_ERR_RESET], st->err[RB_ERR_CLOSED],
		       st->err[RB_ERR_TIMEOUT], st->err[RB_ERR_PROTO], st->err[RB_ERR_TLS], o->tls_pct,
		       st->tls_handshakes, st->tls_refused, st->tls_sessions, st->tls_floods, o->flood_rate,
		       st->flood_sent, st->flood_refused, st->flood_lost, st->flood_skipped, st->wrong,
		       st->rcpts, st->rcpt_valid, st->data, st->syns, st->pkts_tx + st->pkts_rx,
		       st->retransmits, st->rexmt_syn, st->rexmt_data, st->rexmt_fin, st->rexmt_fast,
		       st->tx_drops, st->nombuf,
		       st->tsc_hz ? (double)st->max_gap * 1e6 / (double)st->tsc_hz : 0.0, st->rx_missed,
		       (double)st->sessions / s, (double)st->rcpts / s, pkts / s, p50, p99, p999,
		       (double)st->lat.max / 1e3, client_cpu, st->busy_cycles, st->tsc_hz);
		fflush(stdout);
		return;
	}
	printf("rcptgate-bench: %s, scenario %s, %u RCPT/session (%u%% valid)%s, "
	       "%u in flight, %.2f s\n",
	       mode, rb_scenario_name(o->scenario), o->rcpts, o->valid_pct,
	       o->pipelining ? ", pipelined" : "", o->concurrency, seconds);
	printf("  sessions        %12" PRIu64 "   %12.0f /s\n", st->sessions, (double)st->sessions / s);
	printf("  RCPT            %12" PRIu64 "   %12.0f /s  (%" PRIu64 " valid)\n", st->rcpts,
	       (double)st->rcpts / s, st->rcpt_valid);
	if (pkts > 0)
		printf("  packets         %12.0f   %12.0f /s  (%" PRIu64 " retransmitted: %" PRIu64
		       " SYN, %" PRIu64 " data, %" PRIu64 " FIN, %" PRIu64 " fast; lost: %" PRIu64
		       " TX full, %" PRIu64 " no mbuf, %" PRIu64 " RX missed)\n",
		       pkts, pkts / s, st->retransmits, st->rexmt_syn, st->rexmt_data, st->rexmt_fin,
		       st->rexmt_fast, st->tx_drops, st->nombuf, st->rx_missed);
	if (st->data > 0)
		printf("  messages        %12" PRIu64 "\n", st->data);
	if (st->syns > 0)
		printf("  flood SYNs      %12" PRIu64 "\n", st->syns);
	if (o->flood_pct > 0 || o->flood_rate > 0)
		printf("  TLS flood       %12" PRIu64 "   %12.0f /s  ClientHellos answered\n", st->tls_floods,
		       (double)st->tls_floods / s);
	if (o->flood_rate > 0)
		printf("  flood opened    %12" PRIu64 "   %12.0f /s  (%" PRIu64 " STARTTLS refused, %" PRIu64
		       " lost, %" PRIu64 " skipped; not in sessions)\n",
		       st->flood_sent, (double)st->flood_sent / s, st->flood_refused, st->flood_lost,
		       st->flood_skipped);
	if (o->tls_pct > 0 || o->flood_pct > 0)
		printf("  TLS sessions    %12" PRIu64 "   %12.0f /s  (%" PRIu64 " handshakes, %" PRIu64
		       " STARTTLS refused; plaintext %.0f /s)\n",
		       st->tls_sessions, (double)st->tls_sessions / s, st->tls_handshakes, st->tls_refused,
		       (double)(st->sessions - st->tls_sessions) / s);
	printf("  latency (us)    p50 %.1f  p99 %.1f  p999 %.1f  max %.1f\n", p50, p99, p999,
	       (double)st->lat.max / 1e3);
	printf("  errors          %12" PRIu64 "   (connect %" PRIu64 ", reset %" PRIu64 ", closed %" PRIu64
	       ", timeout %" PRIu64 ", protocol %" PRIu64 ", tls %" PRIu64 ")\n",
	       st->errors, st->err[RB_ERR_CONNECT], st->err[RB_ERR_RESET], st->err[RB_ERR_CLOSED],
	       st->err[RB_ERR_TIMEOUT], st->err[RB_ERR_PROTO], st->err[RB_ERR_TLS]);
	printf("  wrong replies   %12" PRIu64 "\n", st->wrong);
	printf("  client CPU      %12.2f s  (%.1f us/session)\n", client_cpu,
	       st->sessions ? client_cpu * 1e6 / (double)st->sessions : 0.0);
	if (st->tsc_hz) /* a poller's CPU time is all of it: its busy share says more */
		printf("  client busy     %12.0f%%    (%.0f cycles/session)\n",
		       100.0 * (double)st->busy_cycles / ((double)st->tsc_hz * s),
		       st->sessions ? (double)st->busy_cycles / (double)st->sessions : 0.0);
	fflush(stdout);
}
