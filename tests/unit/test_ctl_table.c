/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_ctl_table.c - unit tests of the table reload (ctl_table.c)
 * DESCRIPTION
 *	The control thread's reload against a real rte_rcu_qsbr with two
 *	registered readers standing for two workers: a reload publishes the
 *	new table at once but does not return - so does not unmap the old
 *	one - while either reader has not passed a quiescent state (the
 *	first one passing is not enough), and the old table answers lookups
 *	all that time; a corrupt file and a table that shrank
 *	beyond reload_max_shrink (without force) are refused with the old
 *	table still serving, and counted; force loads the small one.
 * TRUST
 *	Its own data.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_common.h>
#include <rte_rcu_qsbr.h>

#include "ctl/ctl_daemon.h"
#include "daemon.h"
#include "table/tbl.h"

#define READERS 2 /* workers reading the table */

static char dir[] = "/tmp/rgctltblXXXXXX";
static struct dp_daemon d;

/* A table of N addresses NAME0@x.example ... into DIR/FILE; its path. */
static const char *
write_table(const char *file, const char *name, unsigned n)
{
	static char paths[4][128];
	static unsigned next;
	char *path = paths[next++ % 4], err[256], line[64];
	struct tbl_builder *b = tbl_builder_new(0);

	snprintf(path, sizeof(paths[0]), "%s/%s", dir, file);
	for (unsigned i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s%u@x.example", name, i);
		assert_int_equal(tbl_builder_add_line(b, line, strlen(line), err, sizeof(err)), 0);
	}
	if (tbl_builder_write(b, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	tbl_builder_free(b);
	return path;
}

static enum tbl_rule
look(const struct tbl *t, const char *s)
{
	struct rg_addr a;

	assert_int_equal(rg_addr_normalize(s, strlen(s), 0, &a), RG_ADDR_OK);
	return tbl_lookup(t, &a, "");
}

struct reload {
	const char *path;
	int rc;
	int done; /* atomic */
};

static void *
reload_thread(void *arg)
{
	struct reload *r = arg;
	struct ctl_load_result res;
	char err[256];

	r->rc = ctl_table_load(&d, r->path, false, &res, err, sizeof(err));
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int
setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	cfg_defaults(&d.cfg);
	size_t sz = rte_rcu_qsbr_get_memsize(READERS);
	d.qsbr = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));
	assert_non_null(d.qsbr);
	assert_int_equal(rte_rcu_qsbr_init(d.qsbr, READERS), 0);
	for (unsigned i = 0; i < READERS; i++) {
		assert_int_equal(rte_rcu_qsbr_thread_register(d.qsbr, i), 0);
		rte_rcu_qsbr_thread_online(d.qsbr, i);
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[64];

	(void)state;
	ctl_table_fini(&d);
	free(d.qsbr);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_reload_waits_for_readers(void **state)
{
	struct ctl_load_result res;
	char err[256];

	(void)state;
	const char *a = write_table("a.tbl", "alice", 100), *b = write_table("b.tbl", "bob", 100);
	assert_int_equal(ctl_table_load(&d, a, false, &res, err, sizeof(err)), 0);
	const struct tbl *old = __atomic_load_n(&d.table, __ATOMIC_ACQUIRE);
	assert_non_null(old);
	/* the reader takes the table, as a worker does for an RCPT, and keeps it */
	assert_int_equal(look(old, "alice7@x.example"), TBL_RULE_EXACT);

	struct reload r = { .path = b };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, reload_thread, &r), 0);
	/* published at once ... */
	const struct tbl *now = old;
	for (unsigned i = 0; i < 2000 && now == old; i++) {
		usleep(1000);
		now = __atomic_load_n(&d.table, __ATOMIC_ACQUIRE);
	}
	assert_ptr_not_equal(now, old);
	assert_int_equal(look(now, "bob7@x.example"), TBL_RULE_EXACT);
	/* ... but the old table is not given back while the reader may hold it */
	usleep(100 * 1000);
	assert_int_equal(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE), 0);
	assert_int_equal(look(old, "alice7@x.example"), TBL_RULE_EXACT);
	assert_int_equal(look(old, "bob7@x.example"), TBL_RULE_NONE);

	/* the first reader passes a quiescent state: the second may still
	 * hold the old table */
	rte_rcu_qsbr_quiescent(d.qsbr, 0);
	usleep(100 * 1000);
	assert_int_equal(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE), 0);
	assert_int_equal(look(old, "alice7@x.example"), TBL_RULE_EXACT);

	/* the second one too: the reload ends */
	rte_rcu_qsbr_quiescent(d.qsbr, 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.rc, 0);
	assert_int_equal(d.tables.generation, 2);
}

static void
test_refused_reload_keeps_the_table(void **state)
{
	struct ctl_load_result res;
	char err[256];

	(void)state;
	const char *big = write_table("big.tbl", "carol", 1000),
		   *small = write_table("small.tbl", "dave", 100);
	for (unsigned i = 0; i < READERS; i++) /* no reader holds anything from here on */
		rte_rcu_qsbr_thread_offline(d.qsbr, i);
	assert_int_equal(ctl_table_load(&d, big, true, &res, err, sizeof(err)), 0);
	const struct tbl *serving = d.table;
	uint64_t failed = d.ctl_ctr[RG_C_TABLE_RELOADS_FAILED], gen = d.tables.generation;

	/* corrupt: the old table serves on */
	char corrupt[160];
	snprintf(corrupt, sizeof(corrupt), "%s/corrupt.tbl", dir);
	FILE *f = fopen(corrupt, "w");
	assert_non_null(f);
	fputs("RCPTGTBL but not a table", f);
	fclose(f);
	assert_true(ctl_table_load(&d, corrupt, false, &res, err, sizeof(err)) < 0);
	assert_ptr_equal(d.table, serving);
	assert_int_equal(look(d.table, "carol999@x.example"), TBL_RULE_EXACT);

	/* 1000 -> 100 addresses: beyond reload_max_shrink, refused without force */
	assert_true(d.cfg.reload_max_shrink < 90);
	assert_int_equal(ctl_table_load(&d, small, false, &res, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "reload_max_shrink"));
	assert_ptr_equal(d.table, serving);
	assert_int_equal(d.ctl_ctr[RG_C_TABLE_RELOADS_FAILED], failed + 2);
	assert_int_equal(d.tables.generation, gen);

	/* force loads it */
	assert_int_equal(ctl_table_load(&d, small, true, &res, err, sizeof(err)), 0);
	assert_int_equal(look(d.table, "dave7@x.example"), TBL_RULE_EXACT);
	assert_int_equal(d.tables.generation, gen + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_waits_for_readers),
		cmocka_unit_test(test_refused_reload_keeps_the_table),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
