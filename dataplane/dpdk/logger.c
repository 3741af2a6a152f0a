/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	logger.c - the daemon's log writer (see logger.h)
 * DESCRIPTION
 *	Each worker's ring is an rte_ring of struct dp_log_line elements,
 *	single producer (the worker) and single consumer (the writer), so
 *	neither side waits on the other. The rings are in ordinary memory
 *	(rte_ring_init on an aligned allocation): a ring carries at most a
 *	few hundred lines a second per worker (the reject log's rate
 *	limit), too little traffic to want hugepages, and the unit tests
 *	can use them without EAL.
 *
 *	The thread-local dp_log_self tells the sink whether it runs on a
 *	worker: set by dp_log_worker_attach on the worker's own thread.
 *	Fatal and panic lines are written at once wherever they come from:
 *	the process ends right after them.
 * DIAGNOSTICS
 *	Counted: log_ring_full (worker), log_write_errors (maillog.c).
 * TRUST
 *	The daemon's own lines.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "logger.h"

_Static_assert(sizeof(struct dp_log_line) % 4 == 0, "rte_ring elements are a multiple of 4 octets");
_Static_assert(MSG_TEXT_MAX <= UINT16_MAX, "dp_log_line.len holds a text length");

#define DP_LOG_ELEM sizeof(struct dp_log_line)
#define DP_LOG_REOPEN_ROUNDS (1000 / DP_LOG_SLEEP_MS) /* look for a rotated file once a second */

static __thread struct {
	struct rte_ring *ring;
	uint64_t *dropped;
} dp_log_self;

/* Write one line now, under the lock; true when it went to stderr. */
static bool
dp_log_write(struct dp_log *lg, enum msg_source src, enum msg_level level, const char *text, size_t len)
{
	pthread_mutex_lock(&lg->lock);
	bool to_stderr = maillog_write(&lg->ml, src, level, time(NULL), text, len);
	__atomic_store_n(&lg->write_errors, lg->ml.errors, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lg->lock);
	return to_stderr;
}

static bool
dp_log_sink(void *arg, enum msg_source src, enum msg_level level, const char *text, size_t len)
{
	struct dp_log *lg = arg;
	struct dp_log_line line;

	if (dp_log_self.ring == NULL || level >= MSG_FATAL)
		return dp_log_write(lg, src, level, text, len);
	line.len = (uint16_t)len;
	line.src = (uint8_t)src;
	line.level = (uint8_t)level;
	memcpy(line.text, text, len);
	if (rte_ring_sp_enqueue_elem(dp_log_self.ring, &line, DP_LOG_ELEM) != 0)
		(*dp_log_self.dropped)++;
	return true; /* a worker never writes to stderr */
}

int
dp_log_open(struct dp_log *lg, const struct rg_config *cfg, pid_t pid, char *err, size_t errlen)
{
	memset(lg, 0, sizeof(*lg));
	int rc = maillog_open(&lg->ml, cfg, pid, err, errlen);
	if (rc != 0)
		return rc;
	pthread_mutex_init(&lg->lock, NULL);
	lg->open = true;
	msg_set_stderr(maillog_to_stdout(&lg->ml) ? MSG_STDERR_NONE : MSG_STDERR_ALL);
	msg_set_sink(dp_log_sink, lg);
	return 0;
}

int
dp_log_rings(struct dp_log *lg, unsigned n)
{
	ssize_t size = rte_ring_get_memsize_elem(DP_LOG_ELEM, DP_LOG_RING_SIZE);

	if (n > RG_MAX_WORKERS || size < 0)
		return -EINVAL;
	for (unsigned w = 0; w < n; w++) {
		char name[RTE_RING_NAMESIZE];
		void *mem = NULL;
		if (posix_memalign(&mem, RTE_CACHE_LINE_SIZE, (size_t)size) != 0) {
			dp_log_stop(lg);
			return -ENOMEM;
		}
		snprintf(name, sizeof(name), "rg_log_%u", w);
		if (rte_ring_init(mem, name, DP_LOG_RING_SIZE, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
			free(mem);
			dp_log_stop(lg);
			return -EINVAL;
		}
		lg->ring[w] = mem;
		lg->n_rings = w + 1;
	}
	return 0;
}

struct rte_ring *
dp_log_ring(const struct dp_log *lg, unsigned w)
{
	return w < lg->n_rings ? lg->ring[w] : NULL;
}

void
dp_log_worker_attach(struct rte_ring *ring, uint64_t *dropped)
{
	dp_log_self.ring = ring;
	dp_log_self.dropped = dropped;
}

unsigned
dp_log_drain(struct dp_log *lg)
{
	struct dp_log_line *l = &lg->line;
	unsigned n = 0;

	for (unsigned w = 0; w < lg->n_rings; w++) {
		while (rte_ring_sc_dequeue_elem(lg->ring[w], l, DP_LOG_ELEM) == 0) {
			size_t len = l->len < MSG_TEXT_MAX ? l->len : MSG_TEXT_MAX - 1;
			(void)dp_log_write(lg, (enum msg_source)l->src, (enum msg_level)l->level, l->text,
					   len);
			n++;
		}
	}
	return n;
}

static void *
dp_log_main(void *arg)
{
	struct dp_log *lg = arg;
	unsigned rounds = 0;

	while (!__atomic_load_n(&lg->stop, __ATOMIC_ACQUIRE)) {
		if (dp_log_drain(lg) > 0)
			continue;
		if (++rounds >= DP_LOG_REOPEN_ROUNDS) {
			rounds = 0;
			pthread_mutex_lock(&lg->lock);
			(void)maillog_reopen(&lg->ml);
			pthread_mutex_unlock(&lg->lock);
		}
		(void)poll(NULL, 0, DP_LOG_SLEEP_MS);
	}
	return NULL;
}

int
dp_log_start(struct dp_log *lg)
{
	int rc = rte_ctrl_thread_create(&lg->tid, "rg-log", NULL, dp_log_main, lg);

	rc = rc > 0 ? -rc : rc;
	lg->running = rc == 0;
	return rc;
}

void
dp_log_serving(struct dp_log *lg)
{
	msg_set_stderr(maillog_to_stdout(&lg->ml) ? MSG_STDERR_NONE : MSG_STDERR_FATAL);
}

void
dp_log_stop(struct dp_log *lg)
{
	if (lg->running) {
		__atomic_store_n(&lg->stop, true, __ATOMIC_RELEASE);
		pthread_join(lg->tid, NULL);
		lg->running = false;
	}
	(void)dp_log_drain(lg);
	for (unsigned w = 0; w < lg->n_rings; w++) {
		free(lg->ring[w]);
		lg->ring[w] = NULL;
	}
	lg->n_rings = 0;
}

void
dp_log_close(struct dp_log *lg)
{
	if (!lg->open)
		return;
	msg_set_sink(NULL, NULL);
	msg_set_stderr(MSG_STDERR_ALL);
	maillog_close(&lg->ml);
	pthread_mutex_destroy(&lg->lock);
	lg->open = false;
}

uint64_t
dp_log_errors(const struct dp_log *lg)
{
	return __atomic_load_n(&lg->write_errors, __ATOMIC_RELAXED);
}
