/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_table.c - load and reload the recipient table (RCU)
 * DESCRIPTION
 *	Replace, never edit: tbl_open() maps and verifies the whole file,
 *	the shrink guard compares it with the serving table, one release
 *	store publishes it in dp_daemon.table, then the control thread waits
 *	until every worker has reported a quiescent state after the store
 *	(no worker can still hold the old pointer: workers load it afresh
 *	for each RCPT and report quiescence once per loop iteration) and
 *	unmaps the old table.
 * DIAGNOSTICS
 *	Failures return a negative errno with a reason for the control
 *	client, are logged, counted in table_reloads_failed, and leave the
 *	serving table as it was.
 * TRUST
 *	Table files are untrusted (tbl_open verifies them fully).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_rcu_qsbr.h>

#include "ctl/ctl_daemon.h"
#include "daemon.h"
#include "msg.h"
#include "table/tbl.h"

void
ctl_count_set(struct dp_daemon *d, enum rg_counter c, uint64_t v)
{
	__atomic_store_n(&d->ctl_ctr[c], v, __ATOMIC_RELAXED);
}

void
ctl_count_inc(struct dp_daemon *d, enum rg_counter c)
{
	ctl_count_set(d, c, d->ctl_ctr[c] + 1);
}

static double
ctl_elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * Wait until every worker has passed a quiescent state after now.
 * rte_rcu_qsbr_synchronize() would busy-wait with rte_pause(); the
 * control thread shares its core with a worker and must not spin, so
 * it checks the token and sleeps between checks instead.
 */
void
ctl_rcu_wait(struct dp_daemon *d)
{
	if (d->qsbr == NULL)
		return;
	uint64_t token = rte_rcu_qsbr_start(d->qsbr);
	for (unsigned i = 1; rte_rcu_qsbr_check(d->qsbr, token, false) == 0; i++) {
		struct timespec ts = { 0, 20 * 1000 };
		nanosleep(&ts, NULL);
		if (i % 100000 == 0) /* about every 2 s or more */
			msg_warn("table reload: a worker has not passed a quiescent state for %u s",
				 i / 50000);
	}
}

/* True when NEW_N is smaller than OLD_N by more than MAX_PCT percent. */
static bool
ctl_shrunk(uint64_t old_n, uint64_t new_n, unsigned max_pct)
{
	/* entries are far below 2^57, so "* 100" cannot overflow */
	return new_n < old_n && (old_n - new_n) * 100 > old_n * max_pct;
}

int
ctl_table_load(struct dp_daemon *d, const char *path, bool force, struct ctl_load_result *res, char *err,
	       size_t errlen)
{
	struct ctl_table_state *ts = &d->tables;
	struct timespec t0;
	struct tbl *nt = NULL;
	char why[CFG_ERR_MAX];
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (path == NULL)
		path = ts->path[0] ? ts->path : NULL;
	if (path == NULL) {
		snprintf(err, errlen, "no table file given and no recipient_table configured");
		rc = -ENOENT;
		goto fail;
	}
	if (strlen(path) >= sizeof(ts->path)) {
		snprintf(err, errlen, "table path longer than %zu octets", sizeof(ts->path) - 1);
		rc = -ENAMETOOLONG;
		goto fail;
	}
	rc = tbl_open(path, &nt, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	uint64_t old_n = ts->cur ? tbl_n_addresses(ts->cur) : 0;
	uint64_t new_n = tbl_n_addresses(nt);
	if (ts->cur != NULL && !force && ctl_shrunk(old_n, new_n, d->cfg.reload_max_shrink)) {
		snprintf(err, errlen,
			 "%s: %" PRIu64 " addresses where %" PRIu64 " serve: shrinks by more than "
			 "reload_max_shrink (%u%%); use force to load it anyway",
			 path, new_n, old_n, d->cfg.reload_max_shrink);
		tbl_close(nt);
		rc = -ERANGE;
		goto fail;
	}

	struct tbl *old = ts->cur;
	__atomic_store_n(&d->table, (const struct tbl *)nt, __ATOMIC_RELEASE);
	ts->cur = nt;
	ts->generation++;
	if (path != ts->path)
		snprintf(ts->path, sizeof(ts->path), "%s", path);
	ts->loaded = time(NULL);
	ts->last_error[0] = '\0';
	ctl_count_set(d, RG_C_TABLE_GENERATION, ts->generation);
	ctl_count_set(d, RG_C_TABLE_ENTRIES, new_n);
	ctl_count_inc(d, RG_C_TABLE_RELOADS_OK);
	if (old != NULL) {
		ctl_rcu_wait(d);
		tbl_close(old);
	}
	ts->last_ms = ctl_elapsed_ms(&t0);
	res->generation = ts->generation;
	res->entries = new_n;
	res->old_entries = old_n;
	res->ms = ts->last_ms;
	msg_info("recipient table %s: generation %" PRIu64 ", %" PRIu64 " addresses (was %" PRIu64
		 "), published in %.3f ms",
		 ts->path, ts->generation, new_n, old_n, ts->last_ms);
	return 0;

fail:
	snprintf(ts->last_error, sizeof(ts->last_error), "%s", err);
	ctl_count_inc(d, RG_C_TABLE_RELOADS_FAILED);
	msg_error("recipient table reload failed: %s; the %s", err,
		  ts->cur ? "old table keeps serving" : "daemon still has NO table (RCPT gets 451 4.3.0)");
	return rc;
}

int
ctl_table_start(struct dp_daemon *d)
{
	struct ctl_load_result res;
	char err[CFG_ERR_MAX];

	if (d->cfg.recipient_table[0] == '\0') {
		msg_warn("no recipient_table configured: every RCPT gets 451 4.3.0 until "
			 "\"rcptgatectl reload TABLE\" loads one");
		return -ENOENT;
	}
	snprintf(d->tables.path, sizeof(d->tables.path), "%s", d->cfg.recipient_table);
	return ctl_table_load(d, NULL, true, &res, err, sizeof(err));
}

void
ctl_table_fini(struct dp_daemon *d)
{
	__atomic_store_n(&d->table, NULL, __ATOMIC_RELEASE);
	tbl_close(d->tables.cur);
	d->tables.cur = NULL;
}
