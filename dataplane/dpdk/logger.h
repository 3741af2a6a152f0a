/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	logger.h - the daemon's log writer: no syscall on a worker lcore
 * DESCRIPTION
 *	dp_log_open() installs the daemon's msg.h sink. A line logged on a
 *	worker lcore (the reject log, TLS lines: the SMTP engine's msg_mail)
 *	is copied into that worker's own single-producer rte_ring and
 *	nothing else happens on the worker: no lock, no syscall. The writer
 *	thread (a DPDK control thread, "rg-log") sleeps DP_LOG_SLEEP_MS
 *	between rounds, takes the lines out of every ring and writes them
 *	with maillog.h (syslog or maillog_file), time-stamped as it writes
 *	them. A line logged on any other thread (start-up, control, relay)
 *	is written at once, under the writer's lock.
 *
 *	A full ring drops the line and counts it (log_ring_full, on the
 *	worker's own counters); a line syslog or the file refused is written
 *	to stderr and counted (log_write_errors). The counters of what was
 *	refused or rejected are kept apart and stay exact.
 *
 *	Until dp_log_serving() every line is also copied to stderr (unless
 *	the log is standard output already), so a failed start-up shows its
 *	reason on the terminal; from then on only fatal and panic lines are.
 * DIAGNOSTICS
 *	dp_log_open: -errno and a "FILE:LINE: maillog_file: ..." reason;
 *	dp_log_rings, dp_log_start: -errno (start-up makes them fatal).
 * TRUST
 *	Lines are the daemon's own (maillog.h).
 */
#ifndef RG_LOGGER_H
#define RG_LOGGER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rcptgate/limits.h>

#include "maillog.h"

#define DP_LOG_RING_SIZE 256 /* lines per worker ring */
#define DP_LOG_SLEEP_MS 50   /* writer sleep when the rings are empty */

struct rte_ring;

/* One line in a worker's ring. */
struct dp_log_line {
	uint16_t len;  /* octets of text, < MSG_TEXT_MAX */
	uint8_t src;   /* enum msg_source */
	uint8_t level; /* enum msg_level */
	char text[MSG_TEXT_MAX];
};

struct dp_log {
	struct maillog ml;
	pthread_mutex_t lock; /* ml, and writes to it */
	bool open;
	unsigned n_rings;
	struct rte_ring *ring[RG_MAX_WORKERS]; /* one per worker, theirs to fill */
	pthread_t tid;
	bool running;
	bool stop;		 /* the writer thread ends (atomic) */
	uint64_t write_errors;	 /* ml.errors, published for the counters (atomic) */
	struct dp_log_line line; /* the writer thread's buffer */
};

/*
 * dp_log_open - open the log CFG asks for (maillog_file, else syslog)
 * for process PID and send msg.h's lines to it from now on, copied to
 * stderr until dp_log_serving.
 *
 * Return: 0, or -errno with ERR set (the file cannot be opened).
 */
int dp_log_open(struct dp_log *lg, const struct rg_config *cfg, pid_t pid, char *err, size_t errlen);

/*
 * dp_log_rings - make one ring of DP_LOG_RING_SIZE lines for each of N
 * workers (N <= RG_MAX_WORKERS). Needs no EAL.
 *
 * Return: 0, -EINVAL, or -ENOMEM (the rings made are freed).
 */
int dp_log_rings(struct dp_log *lg, unsigned n);

/* dp_log_ring - worker W's ring, or NULL. */
struct rte_ring *dp_log_ring(const struct dp_log *lg, unsigned w);

/*
 * dp_log_worker_attach - on a worker's own thread: its lines go to
 * RING from now on, and a line the full ring cannot take counts
 * *DROPPED (the worker's log_ring_full counter). NULL RING: written
 * at once again.
 */
void dp_log_worker_attach(struct rte_ring *ring, uint64_t *dropped);

/*
 * dp_log_drain - write every line the rings hold now, ring by ring (a
 * worker's lines stay in order). The writer thread's round; only one
 * thread may drain.
 *
 * Return: the lines written.
 */
unsigned dp_log_drain(struct dp_log *lg);

/*
 * dp_log_start - start the writer thread (after rte_eal_init and
 * dp_log_rings).
 *
 * Return: 0, or the negative errno of rte_ctrl_thread_create.
 */
int dp_log_start(struct dp_log *lg);

/* dp_log_serving - from now on only fatal and panic lines reach stderr. */
void dp_log_serving(struct dp_log *lg);

/*
 * dp_log_stop - stop the writer thread, write what the rings still hold
 * and free them. The workers must have stopped.
 */
void dp_log_stop(struct dp_log *lg);

/* dp_log_close - lines go to stderr again; close the log. */
void dp_log_close(struct dp_log *lg);

/* dp_log_errors - lines syslog or the file refused (log_write_errors). */
uint64_t dp_log_errors(const struct dp_log *lg);

#endif /* RG_LOGGER_H */
