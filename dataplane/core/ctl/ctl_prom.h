/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_prom.h - the counters in the Prometheus text exposition format
 * DESCRIPTION
 *	One renderer of the exposition format (version 0.0.4) for both
 *	users: rcptgatectl stats --prometheus, from the control socket's
 *	stats reply, and the daemon's GET /metrics (metrics_listen), from
 *	the counter snapshot the stats request reads. Every metric family
 *	gets its HELP and TYPE lines before its samples; a counter of
 *	include/rcptgate/counters.h is named rcptgate_NAME_total, a gauge
 *	rcptgate_NAME; one kept in nanoseconds (NAME_ns) is exported in
 *	seconds, rcptgate_STEM_seconds_total, as Prometheus names ask.
 *
 *	The text goes into a growing buffer (struct ctl_prom), bounded by
 *	CTL_PROM_MAX; the first failure (no memory, over the bound) sticks
 *	and ctl_prom_done reports it. Plain C, no DPDK.
 * DIAGNOSTICS
 *	ctl_prom_done: 0, -ENOMEM or -E2BIG. ctl_prom_name: 0, -EINVAL,
 *	-E2BIG.
 * TRUST
 *	Names are the caller's (counter names, or [a-z0-9_.] keys of the
 *	control protocol, '.' turned into '_'); label values and HELP text
 *	are escaped as the format asks.
 */
#ifndef RG_CTL_PROM_H
#define RG_CTL_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h" /* RG_PRINTF */

#define CTL_PROM_MAX (4u << 20) /* octets of one exposition, at most */

/* The Content-Type of the text format, version 0.0.4. */
#define CTL_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct ctl_prom {
	char *buf; /* malloc'ed, NUL-terminated while err == 0 */
	size_t len, cap;
	int err; /* first failure, sticky: -ENOMEM, -E2BIG */
};

/* ctl_prom_init - an empty exposition (no memory taken yet). */
void ctl_prom_init(struct ctl_prom *p);

/* ctl_prom_free - give the buffer back; P is empty again. */
void ctl_prom_free(struct ctl_prom *p);

/*
 * ctl_prom_done - the outcome of everything added since ctl_prom_init.
 *
 * Return: 0 when P->buf[0..P->len) holds it all; -ENOMEM or -E2BIG
 * (over CTL_PROM_MAX) otherwise.
 */
int ctl_prom_done(const struct ctl_prom *p);

/*
 * ctl_prom_name - the metric name of counter C (enum rg_counter):
 * "rcptgate_NAME_total" for a counter, "rcptgate_NAME" for a gauge,
 * "rcptgate_STEM_seconds_total" for a counter NAME = STEM_ns.
 *
 * Return: 0, or -EINVAL when C is not a counter, -E2BIG when the name
 * does not fit in CAP bytes.
 */
int ctl_prom_name(unsigned c, char *buf, size_t cap);

/*
 * ctl_prom_family - the HELP and TYPE lines of metric family NAME;
 * TYPE is "counter", "gauge" or "untyped". HELP is escaped.
 */
void ctl_prom_family(struct ctl_prom *p, const char *name, const char *type, const char *help);

/*
 * ctl_prom_sample - one sample line "NAME{LABELS} VALUE". LABELS is
 * NULL or already formed ("worker=\"0\"", see ctl_prom_label); VALUE is
 * a number as text.
 */
void ctl_prom_sample(struct ctl_prom *p, const char *name, const char *labels, const char *value);

/*
 * ctl_prom_label - append NAME="VALUE" (VALUE escaped) to the label
 * list in BUF (CAP bytes, NUL-terminated, "" to start), with a comma
 * when it is not the first.
 *
 * Return: 0, or -E2BIG (BUF unchanged).
 */
int ctl_prom_label(char *buf, size_t cap, const char *name, const char *value);

/*
 * ctl_prom_counter - family and sample of counter C (enum rg_counter)
 * with VALUE (decimal text; for a NAME_ns counter nanoseconds, written
 * as seconds); C out of range: nothing.
 */
void ctl_prom_counter(struct ctl_prom *p, unsigned c, const char *value);

/*
 * ctl_prom_untyped - a counter the list does not know (a newer daemon
 * than rcptgatectl): rcptgate_KEY ('.' as '_'), TYPE untyped.
 */
void ctl_prom_untyped(struct ctl_prom *p, const char *key, const char *value);

/* ctl_prom_counters - ctl_prom_counter for each of the RG_C_MAX counters in V. */
void ctl_prom_counters(struct ctl_prom *p, const uint64_t *v);

/*
 * ctl_prom_workers - counter C of each worker lcore, family
 * rcptgate_lcore_NAME (_total for a counter), one sample per worker
 * labelled worker="W" (0..N-1) and lcore="LCORE[W]", values V[W].
 * C out of range or N == 0: nothing.
 */
void ctl_prom_workers(struct ctl_prom *p, unsigned c, unsigned n, const unsigned *lcore, const uint64_t *v);

/* ctl_prom_printf - append formatted text as it is (no escaping). */
void ctl_prom_printf(struct ctl_prom *p, const char *fmt, ...) RG_PRINTF(2, 3);

#endif /* RG_CTL_PROM_H */
