/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_ctl_cmds - the daemon's control commands and telemetry handlers
 * DESCRIPTION
 *	A daemon state built by hand (two workers with counters of their
 *	own, the control thread's counters, a recipient table built in
 *	memory; no EAL, no port) answers control requests through
 *	ctl_handle(), the dispatcher the control socket uses: ping, status,
 *	stats (the sum of every worker and the control thread; worker=N, one
 *	worker's own, and a worker it has not or no number refused), check (the
 *	engine's real answer for an address) and malformed requests, with
 *	the request counters. The telemetry handlers answer while a daemon
 *	is attached, refuse an unknown counter, and answer -ENODEV after
 *	dp_telemetry_unregister() (the first step of the shutdown).
 * DIAGNOSTICS
 *	cmocka failures.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_telemetry.h>

#include <rcptgate/counters.h>

#include "ctl/ctl_daemon.h"
#include "daemon.h"
#include "table/tbl.h"

struct fixture {
	struct dp_daemon *d;
	struct dp_lcore lc[2];
	void *image;
	struct tbl *tbl;
};

static int
setup(void **state)
{
	static const char conf[] = "port_mode = af_packet\ninterface = veth0\nlisten = 10.0.0.1\n"
				   "myhostname = mx.test.example\nrelay_domains = example.com\n";
	static const char src[] = "alice@example.com\n";
	struct fixture *f = calloc(1, sizeof(*f));
	char err[CFG_ERR_MAX];
	size_t len;

	assert_non_null(f);
	f->d = calloc(1, sizeof(*f->d));
	assert_non_null(f->d);
	assert_int_equal(cfg_load_string(&f->d->cfg, "test.conf", conf, sizeof(conf) - 1, err, sizeof(err)),
			 0);
	f->d->n_workers = 2;
	f->d->counters = aligned_alloc(64, 2 * sizeof(struct dp_counters));
	assert_non_null(f->d->counters);
	memset(f->d->counters, 0, 2 * sizeof(struct dp_counters));
	f->lc[0].lcore_id = 5;
	f->lc[1].lcore_id = 7;
	f->d->lcores[0] = &f->lc[0];
	f->d->lcores[1] = &f->lc[1];
	f->d->xdp.stats_fd = -1;
	f->d->started = time(NULL) - 10;

	struct tbl_builder *b = tbl_builder_new(0);
	assert_non_null(b);
	assert_int_equal(tbl_builder_add_line(b, src, sizeof(src) - 2, err, sizeof(err)), 0);
	assert_int_equal(tbl_builder_finish(b, &f->image, &len, err, sizeof(err)), 0);
	tbl_builder_free(b);
	assert_int_equal(tbl_open_buffer(f->image, len, &f->tbl, err, sizeof(err)), 0);
	f->d->table = f->tbl;
	f->d->tables.cur = f->tbl;
	f->d->tables.generation = 3;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	dp_telemetry_unregister();
	tbl_close(f->tbl);
	free(f->image);
	free(f->d->counters);
	free(f->d);
	free(f);
	return 0;
}

/* The value of KEY in the response body, or NULL. */
static const char *
value(const struct ctl_resp *r, const char *key, char *buf, size_t cap)
{
	size_t kl = strlen(key);
	const char *p = r->body, *end = r->body + r->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			snprintf(buf, cap, "%.*s", (int)(n - kl - 1), p + kl + 1);
			return buf;
		}
		p += n + 1;
	}
	return NULL;
}

static void
request(struct dp_daemon *d, const char *line, struct ctl_resp *r)
{
	ctl_handle(d, line, strlen(line), true, r);
}

static void
test_ping_status(void **state)
{
	struct fixture *f = *state;
	struct ctl_resp r;
	char v[256];

	request(f->d, "ping", &r);
	assert_false(r.error);
	assert_string_equal(value(&r, "version", v, sizeof(v)), RG_VERSION);

	request(f->d, "status", &r);
	assert_false(r.error);
	assert_string_equal(value(&r, "workers", v, sizeof(v)), "2");
	assert_string_equal(value(&r, "worker_lcores", v, sizeof(v)), "5,7");
	assert_string_equal(value(&r, "port_mode", v, sizeof(v)), "af_packet");
	assert_string_equal(value(&r, "port_device", v, sizeof(v)), "veth0");
	assert_string_equal(value(&r, "listen", v, sizeof(v)), "10.0.0.1:25");
	assert_string_equal(value(&r, "table", v, sizeof(v)), "loaded");
	assert_string_equal(value(&r, "table_entries", v, sizeof(v)), "1");
	assert_string_equal(value(&r, "table_generation", v, sizeof(v)), "3");
	assert_true(atoi(value(&r, "uptime_seconds", v, sizeof(v))) >= 10);
}

/* Sessions on both workers, unknown recipients on the second, a reload
 * counted by the control thread. */
static void
count_some(struct dp_daemon *d)
{
	d->counters[0].c[RG_C_SMTP_SESSIONS] = 3;
	d->counters[1].c[RG_C_SMTP_SESSIONS] = 4;
	d->counters[1].c[RG_C_SMTP_RCPT_UNKNOWN] = 9;
	d->ctl_ctr[RG_C_TABLE_RELOADS_OK] = 2;
}

/* R, a stats answer, holds every counter, and count_some()'s three with
 * these values. */
static void
assert_some(const struct ctl_resp *r, const char *sessions, const char *unknown, const char *reloads)
{
	char v[64];

	assert_false(r->error);
	assert_string_equal(value(r, rg_counter_info[RG_C_SMTP_SESSIONS].name, v, sizeof(v)), sessions);
	assert_string_equal(value(r, rg_counter_info[RG_C_SMTP_RCPT_UNKNOWN].name, v, sizeof(v)), unknown);
	assert_string_equal(value(r, rg_counter_info[RG_C_TABLE_RELOADS_OK].name, v, sizeof(v)), reloads);
	assert_int_equal(r->lines, RG_C_MAX);
}

/* stats is the sum of every worker's counters and the control thread's. */
static void
test_stats_sum(void **state)
{
	struct fixture *f = *state;
	struct ctl_resp r;

	count_some(f->d);
	uint64_t before = f->d->ctl_ctr[RG_C_CTL_REQUESTS];
	request(f->d, "stats", &r);
	assert_some(&r, "7", "9", "2");
	assert_int_equal(f->d->ctl_ctr[RG_C_CTL_REQUESTS], before + 1);
}

/* stats worker=N is that worker's own counters, without the control
 * thread's; a worker the daemon does not have, or no number, is an error. */
static void
test_stats_worker(void **state)
{
	struct fixture *f = *state;
	struct ctl_resp r;

	count_some(f->d);
	request(f->d, "stats worker=0", &r);
	assert_some(&r, "3", "0", "0");
	request(f->d, "stats worker=1", &r);
	assert_some(&r, "4", "9", "0");

	uint64_t errors = f->d->ctl_ctr[RG_C_CTL_ERRORS];
	static const char *const bad[] = { "stats worker=2", "stats worker=x", "stats worker=1x",
					   "stats worker=-1", "stats worker=" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		request(f->d, bad[i], &r);
		assert_true(r.error);
	}
	assert_int_equal(f->d->ctl_ctr[RG_C_CTL_ERRORS], errors + sizeof(bad) / sizeof(bad[0]));
}

/* check answers what the wire would answer, from the same engine. */
static void
test_check(void **state)
{
	struct fixture *f = *state;
	struct ctl_resp r;
	char v[256];

	request(f->d, "check rcpt=alice@example.com", &r);
	assert_false(r.error);
	assert_string_equal(value(&r, "rcpt_code", v, sizeof(v)), "250");
	request(f->d, "check rcpt=nobody@example.com", &r);
	assert_string_equal(value(&r, "rcpt_code", v, sizeof(v)), "550");
	assert_non_null(strstr(value(&r, "rcpt_reply", v, sizeof(v)), "5.1.1 <nobody@example.com>"));
	request(f->d, "check rcpt=x@elsewhere.example", &r);
	assert_string_equal(value(&r, "rcpt_code", v, sizeof(v)), "554");
	/* a check is not counted as SMTP traffic */
	assert_int_equal(f->d->counters[0].c[RG_C_SMTP_RCPT_UNKNOWN], 0);
	f->d->table = NULL; /* no table: 451, never a 5xx by mistake */
	request(f->d, "check rcpt=alice@example.com", &r);
	assert_string_equal(value(&r, "rcpt_code", v, sizeof(v)), "451");
	f->d->table = f->tbl;
}

static void
test_bad_requests(void **state)
{
	struct fixture *f = *state;
	struct ctl_resp r;
	uint64_t errors = f->d->ctl_ctr[RG_C_CTL_ERRORS];

	request(f->d, "frobnicate", &r);
	assert_true(r.error);
	request(f->d, "check", &r); /* rcpt= missing */
	assert_true(r.error);
	ctl_handle(f->d, "ping", 4, false, &r); /* no LF */
	assert_true(r.error);
	assert_int_equal(f->d->ctl_ctr[RG_C_CTL_ERRORS], errors + 3);
}

static void
test_telemetry(void **state)
{
	struct fixture *f = *state;
	const struct dp_telemetry_cmd *stats = dp_telemetry_cmd("/rcptgate/stats");
	const struct dp_telemetry_cmd *counter = dp_telemetry_cmd("/rcptgate/counter");
	const struct dp_telemetry_cmd *status = dp_telemetry_cmd("/rcptgate/status");
	struct rte_tel_data *info = rte_tel_data_alloc();

	assert_non_null(stats);
	assert_non_null(counter);
	assert_non_null(status);
	assert_null(dp_telemetry_cmd("/rcptgate/nothing"));
	assert_non_null(info);
	/* nothing attached yet: no daemon to read */
	assert_int_equal(stats->fn(stats->name, NULL, info), -ENODEV);
	dp_telemetry_attach(f->d);
	assert_int_equal(stats->fn(stats->name, NULL, info), 0);
	assert_int_equal(status->fn(status->name, NULL, info), 0);
	assert_int_equal(counter->fn(counter->name, "smtp_sessions", info), 0);
	assert_int_equal(counter->fn(counter->name, "no_such_counter", info), -EINVAL);
	assert_int_equal(counter->fn(counter->name, NULL, info), -EINVAL);
	/* the first step of the shutdown: handlers stop reading the daemon */
	dp_telemetry_unregister();
	assert_int_equal(stats->fn(stats->name, NULL, info), -ENODEV);
	assert_int_equal(counter->fn(counter->name, "smtp_sessions", info), -ENODEV);
	assert_int_equal(status->fn(status->name, NULL, info), -ENODEV);
	rte_tel_data_free(info);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ping_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_sum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_telemetry, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
