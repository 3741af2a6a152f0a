/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_logger - unit tests of the daemon's log writer (logger.h)
 * DESCRIPTION
 *	Without EAL: rings made by dp_log_rings, a thread standing in for a
 *	worker lcore. A worker's lines wait in its ring (the file does not
 *	grow) until the writer drains them, in order, tagged smtpd or
 *	rcptgate; a full ring drops exactly the lines it cannot take and
 *	counts them; another thread's line is written at once; stopping
 *	writes what is left.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <unistd.h>

#include <rte_ring.h>

#include "config.h"
#include "logger.h"
#include "msg.h"

struct worker_job {
	struct rte_ring *ring;
	uint64_t dropped;
	unsigned lines;
	const char *word;
};

static void *
worker(void *arg)
{
	struct worker_job *j = arg;

	dp_log_worker_attach(j->ring, &j->dropped);
	for (unsigned i = 0; i < j->lines; i++)
		msg_mail("%s %u", j->word, i);
	msg_warn("worker warning");
	dp_log_worker_attach(NULL, NULL);
	return NULL;
}

static void
run_worker(struct worker_job *j)
{
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, worker, j), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

static unsigned
count_lines(const char *path, const char *needle)
{
	char line[2048];
	unsigned n = 0;
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void
test_rings(void **state)
{
	static struct dp_log lg; /* large */
	struct rg_config cfg;
	char dir[] = "/tmp/rg-logger.XXXXXX", path[64], text[512], err[CFG_ERR_MAX];
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mail.log", dir);
	snprintf(text, sizeof(text),
		 "port_mode = af_packet\ninterface = v\nlisten = 10.0.0.1\nmyhostname = mx.example\n"
		 "maillog_file = %s\n",
		 path);
	assert_int_equal(cfg_load_string(&cfg, "t.conf", text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(dp_log_open(&lg, &cfg, 321, err, sizeof(err)), 0);
	assert_int_equal(dp_log_rings(&lg, 2), 0);
	assert_non_null(dp_log_ring(&lg, 1));
	assert_null(dp_log_ring(&lg, 2));

	/* a worker's lines wait in its ring; the writer writes them in order */
	struct worker_job a = { dp_log_ring(&lg, 0), 0, 3, "reject" };
	run_worker(&a);
	assert_int_equal(count_lines(path, "rcptgate"), 0);
	assert_int_equal(dp_log_drain(&lg), 4);
	assert_int_equal(a.dropped, 0);
	assert_int_equal(count_lines(path, "mx rcptgate/smtpd[321]: reject "), 3);
	assert_int_equal(count_lines(path, "mx rcptgate/rcptgate[321]: warning: worker warning"), 1);
	char all[4096];
	FILE *f = fopen(path, "r");
	size_t n = fread(all, 1, sizeof(all) - 1, f);
	all[n] = '\0';
	fclose(f);
	char *r0 = strstr(all, "reject 0"), *r1 = strstr(all, "reject 1"), *r2 = strstr(all, "reject 2");
	assert_true(r0 != NULL && r0 < r1 && r1 < r2);

	/* this thread is no worker: written at once */
	msg_info("control thread line");
	assert_int_equal(count_lines(path, "rcptgate/rcptgate[321]: control thread line"), 1);

	/* a full ring drops what it cannot take, and counts exactly that */
	unsigned cap = rte_ring_get_capacity(dp_log_ring(&lg, 1));
	struct worker_job b = { dp_log_ring(&lg, 1), 0, cap + 9, "flood" };
	run_worker(&b);
	assert_int_equal(b.dropped, 10); /* 9 floods and the warning */
	assert_int_equal(dp_log_drain(&lg), cap);
	assert_int_equal(count_lines(path, "rcptgate/smtpd[321]: flood "), cap);

	/* stopping writes what the rings still hold */
	struct worker_job c = { dp_log_ring(&lg, 0), 0, 2, "late" };
	run_worker(&c);
	dp_log_stop(&lg);
	assert_int_equal(count_lines(path, "rcptgate/smtpd[321]: late "), 2);
	assert_null(dp_log_ring(&lg, 0));
	assert_int_equal(dp_log_errors(&lg), 0);
	dp_log_close(&lg);

	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
