/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	rcptgate - SMTP front door on a DPDK fast path
 * SYNOPSIS
 *	rcptgate -f FILE [-t] [-q]
 * DESCRIPTION
 *	Reads the configuration, initialises EAL with the port the
 *	configuration names, loads the recipient table (a missing or bad
 *	one is logged and the daemon serves without: 451 4.3.0), starts one
 *	worker lcore per queue, and serves the control socket from the main
 *	lcore (dataplane/dpdk/ctl) until SIGINT or SIGTERM.
 *
 *	Signals: the SIGINT/SIGTERM handler (it only sets a flag) is
 *	installed first, with both signals blocked; every thread EAL and
 *	the relay start inherits that mask, so the signals reach the main
 *	thread alone, which unblocks them when it starts serving. A signal
 *	that came during start-up is then taken at once: the daemon stops
 *	in the same orderly way and exits 0.
 *
 *	Shutdown, in this order (each step only frees what no thread still
 *	running can reach):
 *	1. telemetry commands answer -ENODEV (dp_telemetry_unregister):
 *	   DPDK's telemetry threads keep running until exit and would read
 *	   the relay and DPDK memory freed below;
 *	2. the control socket is closed and removed (this thread served it);
 *	3. the workers leave their loop and end their sessions
 *	   (tcp_lcore_fini: a relayed session hands its close to the relay
 *	   ring), the main lcore waits for all of them; RCU readers are gone;
 *	4. the recipient table is unmapped;
 *	5. the final counters are printed (the relay's still included, and
 *	   the port's drops: it is still open);
 *	6. the port is stopped and closed (an AF_XDP program is detached);
 *	7. the relay thread is stopped and joined, then its rings and pools
 *	   are freed (relay_thread_stop);
 *	8. our XDP program and the blocklist are released;
 *	9. rte_eal_cleanup(): DPDK memory is unmapped; from here no thread
 *	   of ours runs and DPDK's own threads touch nothing of ours, so
 *	   the daemon's own state is freed last.
 *
 *	-t runs dp_check_config(), the checks of the configuration that
 *	start-up runs before it opens the port, and stops there; start-up
 *	runs the same function, so -t accepts what start-up gets past.
 * DIAGNOSTICS
 *	Configuration errors: "FILE:LINE: message" and exit status 1.
 *	Start-up failures (EAL, port, memory): a fatal message and exit
 *	status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/random.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#include <rte_pdump.h>
#include <rte_rcu_qsbr.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "config.h"
#include "daemon.h"
#include "msg.h"
#include "port.h"
#include "relay/relay_io.h"
#include "relay/relay_thread.h"
#include "table/tbl.h"
#include "tcp/tcp_lcore.h"
#include "tcp/tcp_tls.h"
#include "tcp/tcp_smtp.h"
#include "tls/tls.h"
#include "worker.h"
#include "xdp_lpm.h"

static volatile sig_atomic_t dp_signalled;

static void
dp_on_signal(int sig)
{
	dp_signalled = sig;
}

/* The signals that stop the daemon. */
static void
dp_stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

/*
 * Catch SIGINT and SIGTERM (the handler only sets dp_signalled) and
 * block them, so that the threads EAL and the relay create inherit the
 * blocked mask and the signals go to the main thread alone; ignore
 * SIGPIPE (control clients that go away).
 */
static void
dp_signals_catch(void)
{
	struct sigaction sa = { .sa_handler = dp_on_signal };
	sigset_t set;

	sigemptyset(&sa.sa_mask);
	dp_stop_signals(&set);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0)
		msg_fatal("cannot catch SIGINT and SIGTERM");
	signal(SIGPIPE, SIG_IGN);
}

/* Let the main thread take SIGINT and SIGTERM (one pending is taken now). */
static void
dp_signals_unblock(void)
{
	sigset_t set;

	dp_stop_signals(&set);
	if (pthread_sigmask(SIG_UNBLOCK, &set, NULL) != 0)
		msg_fatal("cannot unblock SIGINT and SIGTERM");
}

/*
 * While the af_xdp PMD loads its own program (no xdp_object), libbpf's
 * and libxdp's messages are held here: libxdp first tries its
 * multi-program dispatcher, which the kernel refuses here, prints
 * errors ("Compatibility check for dispatcher program failed", libbpf's
 * "permission error ... try raising 'ulimit -l'?") and then loads the
 * program alone, as it should. They are shown only when the port then
 * fails to come up.
 */
static char dp_lib_held[4096];
static size_t dp_lib_len;

static int
dp_lib_vhold(const char *fmt, va_list ap)
{
	size_t room = sizeof(dp_lib_held) - dp_lib_len;
	int n = room > 1 ? vsnprintf(dp_lib_held + dp_lib_len, room, fmt, ap) : 0;

	if (n > 0)
		dp_lib_len += (size_t)n < room ? (size_t)n : room - 1;
	return 0;
}

static int
dp_libbpf_hold(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : dp_lib_vhold(fmt, ap);
}

static int
dp_libxdp_hold(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return level == LIBXDP_DEBUG ? 0 : dp_lib_vhold(fmt, ap);
}

/* "FILE:LINE: KEY: " for an error about KEY's value (no LINE for a default). */
static int
dp_config_where(const struct rg_config *cfg, const char *key, char *buf, size_t size)
{
	unsigned line = cfg_key_line(cfg, key);
	int n = line == 0 ? snprintf(buf, size, "%s: %s (default): ", cfg->path, key)
			  : snprintf(buf, size, "%s:%u: %s: ", cfg->path, line, key);

	return n < 0 ? 0 : (size_t)n < size ? n : (int)size - 1; /* where the message goes */
}

/* PATH can be appended to: it is a writable file, or its directory lets us create it. */
static int
dp_check_writable(const char *path)
{
	char dir[CFG_STR_MAX];

	if (access(path, F_OK) == 0)
		return access(path, W_OK);
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	return access(dir, W_OK | X_OK);
}

/*
 * dp_check_config - what start-up would refuse in CFG before it opens
 * the port: the backend address resolves, dpdk_args fit, the XDP object,
 * maillog_file and the control socket's path and group are usable. Run by -t and by
 * start-up alike. With TABLE (-t) the recipient table is opened too: one
 * that cannot be opened only gets a warning, since the daemon starts
 * without it and answers 451 4.3.0 (start-up says so itself).
 *
 * Return: 0, or -1 with "FILE:LINE: key: message" in ERR.
 */
static int
dp_check_config(const struct rg_config *cfg, const char *argv0, bool table, char *err, size_t errlen)
{
	int n;

	if (cfg->backend.proto != CFG_BACKEND_NONE) {
		struct relay_params p;
		memset(&p, 0, sizeof(p));
		if (relay_backend_addr(&p, cfg->backend.host, cfg->backend.port) != 0) {
			n = dp_config_where(cfg, "backend", err, errlen);
			snprintf(err + n, errlen - (size_t)n, "host '%s' does not resolve",
				 cfg->backend.host);
			return -1;
		}
	}
	char *eal_argv[DP_EAL_ARGS_MAX + 1];
	static char eal_buf[8192];
	if (dp_port_eal_args(cfg, argv0, eal_argv, DP_EAL_ARGS_MAX, eal_buf, sizeof(eal_buf)) < 0) {
		n = dp_config_where(cfg, "dpdk_args", err, errlen);
		snprintf(err + n, errlen - (size_t)n, "too long");
		return -1;
	}
	if (cfg->port_mode == CFG_PORT_AF_XDP && cfg->xdp_object[0] != '\0' &&
	    access(cfg->xdp_object, R_OK) != 0) {
		n = dp_config_where(cfg, "xdp_object", err, errlen);
		snprintf(err + n, errlen - (size_t)n, "%s: %s", cfg->xdp_object, strerror(errno));
		return -1;
	}
	if (cfg->control_socket_group[0] != '\0' && getgrnam(cfg->control_socket_group) == NULL) {
		n = dp_config_where(cfg, "control_socket_group", err, errlen);
		snprintf(err + n, errlen - (size_t)n, "no group '%s'", cfg->control_socket_group);
		return -1;
	}
	if (cfg->maillog_file[0] != '\0' && strcmp(cfg->maillog_file, "/dev/stdout") != 0 &&
	    dp_check_writable(cfg->maillog_file) != 0) {
		n = dp_config_where(cfg, "maillog_file", err, errlen);
		snprintf(err + n, errlen - (size_t)n, "%s: %s", cfg->maillog_file, strerror(errno));
		return -1;
	}
	if (cfg->tls_level != CFG_TLS_NONE) {
		struct tls_params tp;
		char files[CFG_STR_MAX], why[512];
		if (tcp_smtp_tls_params(cfg, &tp, files, sizeof(files)) != 0) {
			n = dp_config_where(cfg, "smtpd_tls_chain_files", err, errlen);
			snprintf(err + n, errlen - (size_t)n, "more than %d files", TLS_CHAIN_FILES_MAX);
			return -1;
		}
		if (tls_check_files(&tp, why, sizeof(why)) != 0) {
			n = dp_config_where(cfg, tcp_smtp_tls_key(cfg, why), err, errlen);
			snprintf(err + n, errlen - (size_t)n, "%s", why);
			return -1;
		}
	}
	if (table && cfg->recipient_table[0] != '\0') {
		struct tbl *t = NULL;
		char why[CFG_ERR_MAX];
		if (tbl_open(cfg->recipient_table, &t, why, sizeof(why)) != 0)
			msg_warn("%s:%u: recipient_table: %s; rcptgate starts without a table and answers "
				 "every RCPT 451 4.3.0",
				 cfg->path, cfg_key_line(cfg, "recipient_table"), why);
		tbl_close(t);
	}
	return 0;
}

/*
 * Wait for the workers to return after the stop flag. Not
 * rte_eal_mp_wait_lcore(), which spins: the main lcore may share its
 * CPU with a worker (the two-core set-up) and would take half of it
 * from the teardown. Every 5 s a worker that has not returned is named
 * with its busy-loop count (moving: it still loops; still: it is stuck
 * in one iteration), and waited for on.
 */
static void
dp_wait_workers(const struct dp_daemon *d)
{
	const struct timespec ms = { .tv_sec = 0, .tv_nsec = 1000000 };
	struct timespec t0, now;
	long next = 5; /* s after the signal: the next warning, by the clock */

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		bool running = false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long el = (long)(now.tv_sec - t0.tv_sec) - (now.tv_nsec < t0.tv_nsec);
		bool warn = el >= next;
		for (unsigned w = 0; w < d->n_workers; w++) {
			const struct dp_lcore *lc = d->lcores[w];
			if (rte_eal_get_lcore_state(lc->lcore_id) == WAIT)
				continue;
			running = true;
			if (warn)
				msg_warn("worker %u not stopped %ld s after the signal (busy loops %" PRIu64
					 ")",
					 w, el,
					 __atomic_load_n(&lc->ctr->c[RG_C_WORKER_BUSY_LOOPS],
							 __ATOMIC_RELAXED));
		}
		if (!running)
			break;
		if (warn) /* the next multiple of 5 s, also after a stall of this thread */
			next = el - el % 5 + 5;
		nanosleep(&ms, NULL);
	}
	rte_eal_mp_wait_lcore(); /* all returned: at once, with the acquire the reads after need */
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: rcptgate -f FILE [-t] [-q]\n\n"
		"SMTP front door: answers 550 5.1.1 for unknown recipients on a DPDK\n"
		"fast path and proxies sessions with valid recipients to the backend.\n\n"
		"  -f FILE  configuration file (key = value lines; see rcptgate(8)\n"
		"           and docs/configuration.md)\n"
		"  -t       check the configuration file and exit\n"
		"  -q       quiet: no informational messages (the reject log stays)\n"
		"  -h, --help     this help\n"
		"  -V, --version  print the version and exit\n");
}

static void
dp_setup_workers(struct dp_daemon *d)
{
	size_t qsz = rte_rcu_qsbr_get_memsize(d->n_workers);

	d->qsbr = rte_zmalloc("rg_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (d->qsbr == NULL || rte_rcu_qsbr_init(d->qsbr, d->n_workers) != 0)
		msg_fatal("cannot set up RCU for %u workers", d->n_workers);
	d->counters =
		rte_zmalloc("rg_counters", sizeof(struct dp_counters) * d->n_workers, RTE_CACHE_LINE_SIZE);
	if (d->counters == NULL)
		msg_fatal("cannot allocate counters");

	unsigned w = 0, lcore;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (w == d->n_workers)
			break;
		struct dp_lcore *lc = rte_zmalloc_socket("rg_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE,
							 (int)rte_lcore_to_socket_id(lcore));
		if (lc == NULL)
			msg_fatal("cannot allocate lcore state");
		lc->lcore_id = lcore;
		dp_port_queue(&d->port, w, &lc->port_id, &lc->queue_id);
		lc->worker_idx = w;
		lc->pool = d->port.pool;
		lc->ctr = &d->counters[w];
		lc->cfg = &d->cfg;
		lc->mac = d->port.mac;
		lc->serve4 = cfg_listen4(&d->cfg);
		lc->serve6 = cfg_listen6(&d->cfg);
		lc->listen_addr = lc->serve4 ? d->cfg.listen_addr.s_addr : 0;
		if (lc->serve6)
			memcpy(lc->listen_addr6, &d->cfg.listen_addr6, sizeof(lc->listen_addr6));
		lc->listen_port = rte_cpu_to_be_16(d->cfg.listen_port);
		lc->answer_arp = true;
		lc->tx_csum = d->port.tx_csum;
		lc->qsbr = d->qsbr;
		lc->table = &d->table;
		lc->block = &d->block;
		lc->stop = &d->stop;
		lc->tsc_hz = rte_get_tsc_hz();
		if (rte_rcu_qsbr_thread_register(d->qsbr, w) != 0)
			msg_fatal("cannot register worker %u with RCU", w);
		d->lcores[w++] = lc;
	}
	if (w < d->n_workers)
		msg_fatal("workers = %u but EAL gave %u worker lcores (check dpdk_args -l/--lcores)",
			  d->n_workers, w);
	if (dp_log_rings(&d->log, d->n_workers) != 0)
		msg_fatal("cannot allocate the log rings of %u workers", d->n_workers);
	for (w = 0; w < d->n_workers; w++)
		d->lcores[w]->log_ring = dp_log_ring(&d->log, w);
	/* af_packet: a full socket ring's frames roll over to another worker
	 * (dp_pass()), which hands a segment it holds no connection for on */
	if (d->cfg.port_mode != CFG_PORT_AF_PACKET || d->n_workers < 2)
		return;
	for (w = 0; w < d->n_workers; w++) {
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "rg_pass%u", w);
		d->lcores[w]->pass_in =
			rte_ring_create(name, DP_PASS_RING,
					(int)rte_lcore_to_socket_id(d->lcores[w]->lcore_id), RING_F_SC_DEQ);
		if (d->lcores[w]->pass_in == NULL)
			msg_fatal("cannot allocate the ring of worker %u for segments handed on", w);
	}
	for (w = 0; w < d->n_workers; w++) {
		d->lcores[w]->pass_next = d->lcores[(w + 1) % d->n_workers]->pass_in;
		d->lcores[w]->pass_max = (uint8_t)(d->n_workers - 1);
	}
}

/* After the workers' stop: the segments still handed on, freed and
 * counted as dropped (pass_ring_full) on the worker that was to take them. */
static void
dp_pass_fini(struct dp_daemon *d)
{
	void *m = NULL; /* set by each dequeue that returns 0 (gcc cannot tell) */

	for (unsigned w = 0; w < d->n_workers; w++) {
		struct rte_ring *r = d->lcores[w] != NULL ? d->lcores[w]->pass_in : NULL;
		if (r == NULL)
			continue;
		while (rte_ring_sc_dequeue(r, &m) == 0) {
			dp_count(d->lcores[w], RG_C_PASS_RING_FULL);
			rte_pktmbuf_free(m);
		}
		rte_ring_free(r);
		d->lcores[w]->pass_in = NULL;
	}
}

/* A return from main() before the daemon starts: D freed, so that a
 * sanitizer build's --help, -V and -t leave no leak report behind. */
static int
dp_early_exit(struct dp_daemon *d, int rc)
{
	free(d);
	return rc;
}

int
main(int argc, char **argv)
{
	struct dp_daemon *d = calloc(1, sizeof(*d));
	const char *conf = NULL;
	bool check_only = false;
	char err[CFG_ERR_MAX];
	int opt;

	if (d == NULL)
		msg_fatal("out of memory");
	dp_signals_catch();
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	while ((opt = getopt_long(argc, argv, "f:tqhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			conf = optarg;
			break;
		case 't':
			check_only = true;
			break;
		case 'q':
			msg_set_verbose(0);
			break;
		case 'h':
			usage(stdout);
			return dp_early_exit(d, 0);
		case 'V':
			printf("rcptgate %s\n", RG_VERSION);
			return dp_early_exit(d, 0);
		default:
			usage(stderr);
			return dp_early_exit(d, 2);
		}
	}
	if (conf == NULL || optind != argc) {
		usage(stderr);
		return dp_early_exit(d, 2);
	}
	if (cfg_load(&d->cfg, conf, err, sizeof(err)) != 0 ||
	    dp_check_config(&d->cfg, argv[0], check_only, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return dp_early_exit(d, 1);
	}
	if (check_only) {
		printf("%s: configuration OK\n", conf);
		return dp_early_exit(d, 0);
	}
	/* From here on lines go to syslog or maillog_file (and stderr). */
	if (dp_log_open(&d->log, &d->cfg, getpid(), err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return dp_early_exit(d, 1);
	}
	d->n_workers = d->cfg.workers;
	d->xdp.stats_fd = -1;
	/* Our XDP program (af_xdp with xdp_object): clear a stale one first. */
	bool own_xdp = d->cfg.port_mode == CFG_PORT_AF_XDP && d->cfg.xdp_object[0] != '\0';
	if (own_xdp && xdp_prepare(&d->cfg, &d->xdp) < 0)
		msg_fatal("%s: cannot attach the XDP program to %s", conf, d->cfg.interface);

	char *eal_argv[DP_EAL_ARGS_MAX + 1];
	static char eal_buf[8192];
	int eal_argc =
		dp_port_eal_args(&d->cfg, argv[0], eal_argv, DP_EAL_ARGS_MAX, eal_buf, sizeof(eal_buf));
	if (eal_argc < 0)
		msg_fatal("%s: dpdk_args too long", conf);
	if (rte_eal_init(eal_argc, eal_argv) < 0)
		msg_fatal("EAL initialisation failed: %s", rte_strerror(rte_errno));
	/* Let dpdk-dumpcap capture the port (a secondary process: it needs a
	 * shared runtime directory, i.e. --file-prefix instead of the default
	 * --in-memory; see docs/deployment.md). */
	bool pdump = rte_pdump_init() == 0;
	if (!pdump)
		msg_info("packet capture (dpdk-dumpcap) unavailable: %s", rte_strerror(rte_errno));

	bool pmd_xdp = d->cfg.port_mode == CFG_PORT_AF_XDP && !own_xdp;
	libbpf_print_fn_t bpf_print = pmd_xdp ? libbpf_set_print(dp_libbpf_hold) : NULL;
	libxdp_print_fn_t xdp_print = pmd_xdp ? libxdp_set_print(dp_libxdp_hold) : NULL;
	int prc = dp_port_init(&d->cfg, &d->port, err, sizeof(err));
	if (pmd_xdp) {
		libbpf_set_print(bpf_print);
		libxdp_set_print(xdp_print);
		if (prc != 0 && dp_lib_len > 0)
			fputs(dp_lib_held, stderr); /* they may say why */
	}
	if (prc != 0) {
		dp_port_fini(&d->port); /* the ports already started: the PMD's XDP program goes */
		msg_fatal("%s", err);
	}
	if (own_xdp && xdp_setup(&d->cfg, &d->xdp, 0) < 0) {
		dp_port_fini(&d->port);
		xdp_shutdown(&d->xdp);
		msg_fatal("%s: cannot take over the XDP program on %s", conf, d->cfg.interface);
	}
	if (!own_xdp)
		(void)xdp_lpm_load(&d->cfg, &d->block); /* the workers apply the blocklist */
	dp_setup_workers(d);
	if (ctl_dict_start(d) != 0) {
		dp_port_fini(&d->port);
		if (own_xdp)
			xdp_shutdown(&d->xdp);
		msg_fatal("%s: cannot allocate the dictionary-attack blocks", conf);
	}
	int rrc = relay_thread_start(&d->cfg, d->n_workers, &d->relay);
	if (rrc != 0) {
		dp_port_fini(&d->port);
		if (own_xdp)
			xdp_shutdown(&d->xdp);
		msg_fatal("%s: backend %s:%u: cannot start the relay: %s", conf, d->cfg.backend.host,
			  d->cfg.backend.port, strerror(-rrc));
	}
	uint64_t secret[2];
	if (getrandom(secret, sizeof(secret), 0) != sizeof(secret))
		msg_fatal("%s: cannot get random bytes for the TCP secret: %s", conf, strerror(errno));
	for (unsigned w = 0; w < d->n_workers; w++) {
		d->lcores[w]->relay = relay_thread_worker(d->relay, w);
		/* Each worker's TCP stack, before the daemon says it serves:
		 * a failure here is a start-up failure, not a dead worker. */
		int trc = tcp_lcore_init(d->lcores[w], d->n_workers, secret);
		if (trc != 0) {
			dp_port_fini(&d->port);
			if (own_xdp)
				xdp_shutdown(&d->xdp);
			msg_fatal("%s: worker %u: cannot set up TCP/TLS: %s (max_connections, "
				  "tcp_buffer_limit, smtpd_tls_*?)",
				  conf, w, strerror(-trc));
		}
	}
	d->started = time(NULL);
	(void)ctl_table_start(d); /* no table: logged, RCPT gets 451 4.3.0 */
	if (dp_telemetry_register(d) != 0)
		msg_warn("cannot register the /rcptgate telemetry commands");
	struct ctl_server *ctl = NULL;
	if (ctl_server_open(d, &ctl, err, sizeof(err)) != 0) {
		dp_telemetry_unregister(); /* its handlers read the port */
		dp_port_fini(&d->port);
		if (own_xdp)
			xdp_shutdown(&d->xdp);
		msg_fatal("%s", err);
	}

	char listen[CFG_LISTEN_STR_MAX];
	char ports[24];		 /* "ports 65535-65535" */
	if (d->port.n_ports > 1) /* af_xdp, a port for each queue */
		snprintf(ports, sizeof(ports), "ports %u-%u", d->port.port_ids[0],
			 d->port.port_ids[d->port.n_ports - 1]);
	else
		snprintf(ports, sizeof(ports), "port %u", d->port.port_ids[0]);
	const char *memif_end = d->cfg.memif_role != CFG_MEMIF_CLIENT ? ", as server"
		: d->cfg.memif_zero_copy			      ? ", as zero-copy client"
								      : ", as client";
	msg_info("serving %s on %s %s (%s%s), %u worker%s", cfg_listen_str(&d->cfg, listen, sizeof(listen)),
		 cfg_port_mode_name(d->cfg.port_mode), ports,
		 d->cfg.port_mode == CFG_PORT_PCI	      ? d->cfg.pci_address
			 : d->cfg.port_mode == CFG_PORT_MEMIF ? d->cfg.memif_socket
							      : d->cfg.interface,
		 d->cfg.port_mode == CFG_PORT_MEMIF ? memif_end : "", d->n_workers,
		 d->n_workers == 1 ? "" : "s");

	if (dp_log_start(&d->log) != 0)
		msg_fatal("cannot start the log writer thread");
	dp_log_serving(&d->log);
	for (unsigned w = 0; w < d->n_workers; w++)
		if (rte_eal_remote_launch(dp_worker_main, d->lcores[w], d->lcores[w]->lcore_id) != 0)
			msg_fatal("cannot launch worker %u", w);

	/* The main lcore is the control thread; it sleeps in poll: only
	 * workers may spin (DESIGN.md). It alone takes SIGINT/SIGTERM. */
	dp_signals_unblock();
	while (!dp_signalled) {
		int prc = ctl_server_poll(ctl, ctl_dict_run(d, 200)); /* sleeps until an expiry at most */
		if (prc < 0) { /* not expected; keep serving the fast path */
			msg_warn("control socket: poll: %s", strerror(-prc));
			sleep(1);
		}
		ctl_tls_reap(d); /* contexts a certificate reload replaced */
	}
	msg_info("signal %d: shutting down", (int)dp_signalled);
	dp_telemetry_unregister();
	ctl_server_close(ctl);
	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
	dp_wait_workers(d);
	dp_pass_fini(d);
	dp_log_stop(&d->log); /* the workers' last lines written */
	tcp_tls_free();	      /* on this thread, which built them */
	ctl_table_fini(d);
	ctl_dict_fini(d);
	dp_counters_print(d, stdout); /* while the port can still say what it dropped */
	dp_port_fini(&d->port);
	relay_thread_stop(d->relay); /* after the workers: they ended their sessions */
	d->relay = NULL;
	if (own_xdp)
		xdp_shutdown(&d->xdp);
	xdp_lpm_free(d->block, NULL);
	if (pdump)
		rte_pdump_uninit();
	rte_eal_cleanup();
	dp_log_close(&d->log);
	free(d); /* no handler can reach it any more (step 1) */
	return 0;
}
