/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	daemon.h - the state of one running rcptgate daemon
 * DESCRIPTION
 *	Everything the daemon owns hangs off one struct dp_daemon, created
 *	in main() and passed down: no module keeps globals of its own
 *	(except the signal flag, which a handler can only reach as one).
 */
#ifndef RG_DAEMON_H
#define RG_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <rte_telemetry.h>

#include <rcptgate/limits.h>

#include "config.h"
#include "ctl/ctl_daemon.h"
#include "logger.h"
#include "port.h"
#include "worker.h"
#include "xdp.h"

struct tbl;
struct xdp_lpm;
struct relay_thread;

struct dp_daemon {
	struct rg_config cfg;
	struct dp_port port;
	struct xdp_state xdp;  /* our XDP program (af_xdp with xdp_object) */
	struct xdp_lpm *block; /* blocklist when no XDP program of ours filters (xdp_lpm.h) */
	unsigned n_workers;
	struct dp_lcore *lcores[RG_MAX_WORKERS];
	struct dp_counters *counters; /* n_workers blocks */
	struct rte_rcu_qsbr *qsbr;    /* readers of the recipient table */
	/* The recipient table the workers read: replaced with one atomic
	 * pointer store (release), freed after RCU quiescence; NULL while
	 * none is loaded (RCPT then gets 451 4.3.0). */
	const struct tbl *table;
	bool stop; /* workers leave their loop (atomic: dp_stop) */
	time_t started;
	/* Control thread (dataplane/dpdk/ctl): the table it loaded and what it
	 * counts itself (table group), summed in by dp_counters_sum. */
	struct ctl_table_state tables;
	struct ctl_dict_state dict; /* the dictionary-attack blocks (ctl/ctl_dict.c) */
	uint64_t ctl_ctr[RG_C_MAX];
	/* Relay thread (dataplane/core/relay) when `backend` is set, else NULL;
	 * its counters are summed in by dp_counters_sum. */
	struct relay_thread *relay;
	/* The log writer (logger.h): syslog or maillog_file, a ring per worker. */
	struct dp_log log;
};

/*
 * dp_counters_sum - add up every counter of the daemon into OUT[RG_C_MAX]:
 * the workers', the control thread's, the XDP program's and the relay
 * thread's (counters.c).
 * @d: the daemon; its workers may be running.
 * @out: the sums.
 *
 * Called by the control thread and telemetry; reads are relaxed 64-bit
 * loads of values each writer writes alone, so a sum is a consistent-
 * enough snapshot.
 */
void dp_counters_sum(const struct dp_daemon *d, uint64_t out[RG_C_MAX]);

/*
 * dp_counters_worker - the counters worker W (0..n_workers-1) keeps
 * itself into OUT[RG_C_MAX], read as dp_counters_sum reads them; what
 * the control, relay and XDP sides count is in the sum only.
 */
void dp_counters_worker(const struct dp_daemon *d, unsigned w, uint64_t out[RG_C_MAX]);

/*
 * dp_counters_print - write "rcptgate: final counters" and every
 * counter that is not zero, one "  NAME VALUE" line each, to F.
 * @d: the daemon.
 * @f: where to write (the daemon uses stdout at shutdown).
 */
void dp_counters_print(const struct dp_daemon *d, FILE *f);

/*
 * dp_telemetry_unregister - make the /rcptgate/... telemetry commands
 * answer -ENODEV from now on, after waiting for one that is running.
 * The first step of the shutdown: DPDK 22.11 cannot unregister them or
 * stop its telemetry threads, and the daemon they read is torn down
 * next (telemetry.c). Safe to call when nothing was registered.
 */
void dp_telemetry_unregister(void);

/* One /rcptgate/... telemetry command (telemetry.c). */
struct dp_telemetry_cmd {
	const char *name;
	telemetry_cb fn;
	const char *help;
};

/*
 * dp_telemetry_cmd - the command NAME ("/rcptgate/stats", ...) with its
 * handler, or NULL. The handlers answer -ENODEV while no daemon is
 * attached (before registration, after dp_telemetry_unregister).
 */
const struct dp_telemetry_cmd *dp_telemetry_cmd(const char *name);

/*
 * dp_telemetry_attach - make the handlers report on D without
 * registering them with DPDK (dp_telemetry_register does both).
 */
void dp_telemetry_attach(struct dp_daemon *d);

#endif /* RG_DAEMON_H */
