/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	telemetry.c - rcptgate's counters as DPDK telemetry commands
 * DESCRIPTION
 *	Registers, so that DPDK's own client (dpdk-telemetry.py) shows them:
 *
 *	/rcptgate/stats		every counter of include/rcptgate/counters.h,
 *				a dict of name -> value (the same names and
 *				values as "rcptgatectl stats")
 *	/rcptgate/counter,NAME	one counter
 *	/rcptgate/status	uptime, workers, table generation and entries
 *
 *	The handlers run in DPDK's telemetry threads (one per client),
 *	concurrently with the workers and the control thread: they only
 *	read counters (relaxed atomic loads via dp_counters_sum) and fields
 *	fixed at start-up.
 *
 *	DPDK 22.11 can neither unregister a command nor stop its telemetry
 *	threads, and rte_eal_cleanup() does not either: a request that
 *	arrives while the daemon tears down would read the relay's counters
 *	after relay_thread_stop() freed them, and DPDK memory after
 *	rte_eal_cleanup() unmapped it. So every handler reads the daemon
 *	under tel_lock, and dp_telemetry_unregister(), the first step of
 *	the shutdown, waits for a running handler and leaves the handlers
 *	nothing to read: from then on they answer -ENODEV.
 * DIAGNOSTICS
 *	A handler returns -EINVAL for a bad parameter and -ENODEV once the
 *	daemon is shutting down; the telemetry client shows it.
 * TRUST
 *	Telemetry parameters come from whoever can open the telemetry
 *	socket (root by default); they are only compared with names.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <rte_telemetry.h>

#include "ctl/ctl_daemon.h"
#include "daemon.h"

_Static_assert(RG_C_MAX <= RTE_TEL_MAX_DICT_ENTRIES,
	       "/rcptgate/stats returns every counter in one telemetry dict");

/*
 * DPDK 22.11's telemetry callbacks take no argument of ours
 * (rte_telemetry_register_cmd_arg came later), so the daemon they
 * report on has to be reachable from here: set before any handler can
 * run, cleared (under tel_lock) when the daemon shuts down.
 */
static const struct dp_daemon *tel_daemon;
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;

static int
tel_stats_locked(const char *params, struct rte_tel_data *info)
{
	uint64_t sum[RG_C_MAX];

	(void)params;
	dp_counters_sum(tel_daemon, sum);
	rte_tel_data_start_dict(info);
	for (unsigned c = 0; c < RG_C_MAX; c++)
		rte_tel_data_add_dict_u64(info, rg_counter_info[c].name, sum[c]);
	return 0;
}

static int
tel_counter_locked(const char *params, struct rte_tel_data *info)
{
	uint64_t sum[RG_C_MAX];

	if (params == NULL)
		return -EINVAL;
	for (unsigned c = 0; c < RG_C_MAX; c++) {
		if (strcmp(params, rg_counter_info[c].name) != 0)
			continue;
		dp_counters_sum(tel_daemon, sum);
		rte_tel_data_start_dict(info);
		rte_tel_data_add_dict_u64(info, rg_counter_info[c].name, sum[c]);
		return 0;
	}
	return -EINVAL;
}

static int
tel_status_locked(const char *params, struct rte_tel_data *info)
{
	const struct dp_daemon *d = tel_daemon;

	(void)params;
	rte_tel_data_start_dict(info);
	rte_tel_data_add_dict_string(info, "version", RG_VERSION);
	rte_tel_data_add_dict_u64(info, "uptime_seconds", (uint64_t)(time(NULL) - d->started));
	rte_tel_data_add_dict_string(info, "port_mode", cfg_port_mode_name(d->cfg.port_mode));
	rte_tel_data_add_dict_u64(info, "workers", d->n_workers);
	rte_tel_data_add_dict_u64(info, "table_generation",
				  __atomic_load_n(&d->ctl_ctr[RG_C_TABLE_GENERATION], __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(info, "table_entries",
				  __atomic_load_n(&d->ctl_ctr[RG_C_TABLE_ENTRIES], __ATOMIC_RELAXED));
	return 0;
}

/* Run FN under tel_lock while the daemon is there to report on. */
static int
tel_call(int (*fn)(const char *, struct rte_tel_data *), const char *params, struct rte_tel_data *info)
{
	int rc = -ENODEV;

	pthread_mutex_lock(&tel_lock);
	if (tel_daemon != NULL)
		rc = fn(params, info);
	pthread_mutex_unlock(&tel_lock);
	return rc;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *info)
{
	(void)cmd;
	return tel_call(tel_stats_locked, params, info);
}

static int
tel_counter(const char *cmd, const char *params, struct rte_tel_data *info)
{
	(void)cmd;
	return tel_call(tel_counter_locked, params, info);
}

static int
tel_status(const char *cmd, const char *params, struct rte_tel_data *info)
{
	(void)cmd;
	return tel_call(tel_status_locked, params, info);
}

void
dp_telemetry_unregister(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_daemon = NULL;
	pthread_mutex_unlock(&tel_lock);
}

static const struct dp_telemetry_cmd tel_cmds[] = {
	{ "/rcptgate/stats", tel_stats, "Every rcptgate counter, name -> value. Takes no parameters" },
	{ "/rcptgate/counter", tel_counter, "One rcptgate counter. Parameter: its name" },
	{ "/rcptgate/status", tel_status,
	  "Uptime, port mode, workers, recipient table generation and entries" },
};

const struct dp_telemetry_cmd *
dp_telemetry_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(tel_cmds) / sizeof(tel_cmds[0]); i++)
		if (strcmp(tel_cmds[i].name, name) == 0)
			return &tel_cmds[i];
	return NULL;
}

int
dp_telemetry_register(struct dp_daemon *d)
{
	dp_telemetry_attach(d);
	for (size_t i = 0; i < sizeof(tel_cmds) / sizeof(tel_cmds[0]); i++) {
		int rc = rte_telemetry_register_cmd(tel_cmds[i].name, tel_cmds[i].fn, tel_cmds[i].help);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
dp_telemetry_attach(struct dp_daemon *d)
{
	pthread_mutex_lock(&tel_lock);
	tel_daemon = d;
	pthread_mutex_unlock(&tel_lock);
}
