/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	counters.c - the daemon's counters, summed
 * DESCRIPTION
 *	Every counter of include/rcptgate/counters.h is kept where it is
 *	counted: per worker lcore (cache-aligned, written by that worker
 *	alone), by the control thread, by the relay thread and by the XDP
 *	program (per-CPU map), and the port's own drop counts (ethdev
 *	stats, and in af_packet and af_xdp mode the kernel's count of the
 *	PMD's sockets: frames lost before a worker could take them).
 *	dp_counters_sum adds them up for whoever reads them: the control
 *	commands, telemetry and the final print at shutdown.
 * DIAGNOSTICS
 *	None: a counter source that cannot be read (the XDP map) adds
 *	nothing.
 * TRUST
 *	The daemon's own state.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "daemon.h"
#include "relay/relay_thread.h"
#include "xdp.h"

void
dp_counters_sum(const struct dp_daemon *d, uint64_t out[RG_C_MAX])
{
	memset(out, 0, sizeof(uint64_t) * RG_C_MAX);
	for (unsigned w = 0; w < d->n_workers; w++)
		for (unsigned c = 0; c < RG_C_MAX; c++)
			out[c] += __atomic_load_n(&d->counters[w].c[c], __ATOMIC_RELAXED);
	for (unsigned c = 0; c < RG_C_MAX; c++) /* the control thread's own */
		out[c] += __atomic_load_n(&d->ctl_ctr[c], __ATOMIC_RELAXED);
	if (d->xdp.stats_fd >= 0)
		(void)xdp_stats_add(d->xdp.stats_fd, out); /* the XDP program's own */
	relay_thread_counters_add(d->relay, out);	   /* the relay thread's own */
	if (d->port.started) {				   /* the port's: RX ring full, no mbuf */
		for (unsigned i = 0; i < d->port.n_ports; i++) {
			struct rte_eth_stats st;
			if (rte_eth_stats_get(d->port.port_ids[i], &st) == 0) {
				out[RG_C_RX_MISSED] += st.imissed;
				out[RG_C_RX_NOMBUF] += st.rx_nombuf;
			}
		}
		out[RG_C_RX_MISSED] += dp_port_ring_drops(&d->port); /* where imissed leaves them out */
	}
	out[RG_C_LOG_WRITE_ERRORS] += dp_log_errors(&d->log);
}

void
dp_counters_worker(const struct dp_daemon *d, unsigned w, uint64_t out[RG_C_MAX])
{
	for (unsigned c = 0; c < RG_C_MAX; c++)
		out[c] = __atomic_load_n(&d->counters[w].c[c], __ATOMIC_RELAXED);
}

void
dp_counters_print(const struct dp_daemon *d, FILE *f)
{
	uint64_t sum[RG_C_MAX];

	dp_counters_sum(d, sum);
	fprintf(f, "rcptgate: final counters\n");
	for (unsigned c = 0; c < RG_C_MAX; c++)
		if (sum[c] != 0)
			fprintf(f, "  %-28s %" PRIu64 "\n", rg_counter_info[c].name, sum[c]);
	fflush(f);
}
