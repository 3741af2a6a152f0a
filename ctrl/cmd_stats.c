/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cmd_stats.c - rcptgatectl stats: the daemon's counters
 * DESCRIPTION
 *	rcptgatectl stats [--all | --json | --prometheus | --doc]
 *	rcptgatectl stats --per-worker [--all | --json]
 *
 *	Asks the daemon for every counter (the list of
 *	include/rcptgate/counters.h, summed over its lcores) and prints
 *	them as a table (non-zero ones; --all: every one), as one JSON
 *	object, or in the Prometheus text exposition format (HELP and TYPE
 *	lines, counters named rcptgate_NAME_total, gauges rcptgate_NAME,
 *	no labels), written by the renderer the daemon's GET /metrics uses
 *	(dataplane/core/ctl/ctl_prom.c). --doc prints docs/counters.md without asking the daemon.
 *
 *	--per-worker asks for each worker's own counters (stats worker=N,
 *	N below the workers the status reply gives) and prints one column
 *	per worker, or a JSON object with one object per worker: an
 *	imbalance between workers shows there. What the control and relay
 *	threads and the XDP program count is in the sum only.
 *
 *	A counter the daemon sends but this rcptgatectl does not know (a
 *	newer daemon) is printed too: in Prometheus form as "untyped".
 * DIAGNOSTICS
 *	Exit 0; 1 when the daemon cannot be reached or answers an error;
 *	2 on usage errors.
 * TRUST
 *	The daemon's response is parsed with the protocol's bounds; names
 *	are [a-z0-9_.] by the protocol, values are checked to be numbers.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/counters.h>
#include <rcptgate/ctl_proto.h>
#include <rcptgate/limits.h>

#include "cli.h"
#include "cli_doc.h"
#include "ctl/ctl_prom.h"

enum stats_format { SF_TABLE, SF_ALL, SF_JSON, SF_PROM, SF_DOC };

static bool
stats_is_number(const char *v)
{
	if (*v == '\0')
		return false;
	for (; *v; v++)
		if (*v < '0' || *v > '9')
			return false;
	return true;
}

/* The exposition of the daemon's reply (the renderer GET /metrics uses too). */
static int
stats_prom(const struct ctl_reply *rep)
{
	struct ctl_prom p;

	ctl_prom_init(&p);
	for (unsigned i = 0; i < rep->n; i++) {
		int c = cli_counter_find(rep->kv[i].key);
		if (c >= 0)
			ctl_prom_counter(&p, (unsigned)c, rep->kv[i].value);
		else
			ctl_prom_untyped(&p, rep->kv[i].key, rep->kv[i].value);
	}
	int rc = ctl_prom_done(&p);
	if (rc == 0)
		fwrite(p.buf, 1, p.len, stdout);
	else
		fprintf(stderr, "rcptgatectl: stats: %s\n", strerror(-rc));
	ctl_prom_free(&p);
	return rc;
}

static void
stats_print(const struct ctl_reply *rep, enum stats_format fmt)
{
	if (fmt == SF_JSON)
		putchar('{');
	for (unsigned i = 0; i < rep->n; i++) {
		const struct ctl_kv *kv = &rep->kv[i];
		int c = cli_counter_find(kv->key);
		switch (fmt) {
		case SF_JSON:
			printf("%s\n  \"%s\": %s", i ? "," : "", kv->key, kv->value);
			break;
		case SF_TABLE:
			if (strcmp(kv->value, "0") == 0)
				break;
			/* fall through */
		default:
			printf("%-34s %20s  %s\n", kv->key, kv->value, c >= 0 ? rg_counter_info[c].help : "");
			break;
		}
	}
	if (fmt == SF_JSON)
		printf("%s}\n", rep->n ? "\n" : "");
}

/* Ask every worker for its counters into REPS (N of them); return 0 or 1. */
static int
stats_fetch_workers(struct ctl_reply **reps, unsigned *n)
{
	struct ctl_reply *st = cli_client_reply_new();
	const char *v;
	int rc;

	*n = 0;
	if (st == NULL)
		return 1;
	rc = cli_client_request("stats", "status", st);
	v = rc == 0 ? ctl_reply_get(st, "workers") : NULL;
	if (rc == 0 && (v == NULL || !stats_is_number(v) || atoi(v) < 1 || atoi(v) > RG_MAX_WORKERS)) {
		fprintf(stderr, "rcptgatectl: stats: the status reply gives no worker count\n");
		rc = 1;
	}
	unsigned want = rc == 0 ? (unsigned)atoi(v) : 0;
	free(st);
	for (unsigned w = 0; rc == 0 && w < want; w++) {
		char req[32];

		reps[w] = cli_client_reply_new();
		if (reps[w] == NULL)
			return 1;
		*n = w + 1;
		snprintf(req, sizeof(req), "stats worker=%u", w);
		rc = cli_client_request("stats", req, reps[w]);
		if (rc == 0 && reps[w]->n != reps[0]->n) {
			fprintf(stderr, "rcptgatectl: stats: worker %u: %u counters, worker 0: %u\n", w,
				reps[w]->n, reps[0]->n);
			rc = 1;
		}
		for (unsigned i = 0; rc == 0 && i < reps[w]->n; i++) {
			if (!stats_is_number(reps[w]->kv[i].value) ||
			    (w > 0 && strcmp(reps[w]->kv[i].key, reps[0]->kv[i].key) != 0)) {
				fprintf(stderr, "rcptgatectl: stats: worker %u: bad counter %s\n", w,
					reps[w]->kv[i].key);
				rc = 1;
			}
		}
	}
	return rc;
}

/* The counters of the N workers in REPS, a column or a JSON object each. */
static void
stats_print_workers(struct ctl_reply *const *reps, unsigned n, enum stats_format fmt)
{
	if (fmt == SF_JSON) {
		printf("{\n  \"workers\": [");
		for (unsigned w = 0; w < n; w++) {
			printf("%s\n    {", w ? "," : "");
			for (unsigned i = 0; i < reps[w]->n; i++)
				printf("%s \"%s\": %s", i ? "," : "", reps[w]->kv[i].key,
				       reps[w]->kv[i].value);
			printf(" }");
		}
		printf("\n  ]\n}\n");
		return;
	}
	if (n == 0)
		return;
	printf("%-34s", "counter");
	for (unsigned w = 0; w < n; w++)
		printf(" %14s%-2u", "worker ", w);
	putchar('\n');
	for (unsigned i = 0; i < reps[0]->n; i++) {
		bool any = fmt == SF_ALL;
		for (unsigned w = 0; w < n && !any; w++)
			any = strcmp(reps[w]->kv[i].value, "0") != 0;
		if (!any)
			continue;
		printf("%-34s", reps[0]->kv[i].key);
		for (unsigned w = 0; w < n; w++)
			printf(" %16s", reps[w]->kv[i].value);
		putchar('\n');
	}
}

static int
stats_per_worker(enum stats_format fmt)
{
	struct ctl_reply *reps[RG_MAX_WORKERS];
	unsigned n;
	int rc = stats_fetch_workers(reps, &n);

	if (rc == 0)
		stats_print_workers(reps, n, fmt);
	for (unsigned w = 0; w < n; w++)
		free(reps[w]);
	return rc;
}

int
cli_cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },	  { "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' }, { "doc", no_argument, NULL, 'd' },
		{ "per-worker", no_argument, NULL, 'w' }, { NULL, 0, NULL, 0 },
	};
	enum stats_format fmt = SF_TABLE;
	int opt, n_fmt = 0;
	bool per_worker = false;

	while ((opt = getopt_long(argc, argv, "+ajpdw", opts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			per_worker = true;
			continue;
		case 'a':
			fmt = SF_ALL;
			break;
		case 'j':
			fmt = SF_JSON;
			break;
		case 'p':
			fmt = SF_PROM;
			break;
		case 'd':
			fmt = SF_DOC;
			break;
		default:
			cli_usage("stats", 1);
			return 2;
		}
		n_fmt++;
	}
	if (optind != argc || n_fmt > 1 || (per_worker && (fmt == SF_PROM || fmt == SF_DOC))) {
		cli_usage("stats", 1);
		return 2;
	}
	if (fmt == SF_DOC)
		return cli_counters_doc(stdout) == 0 ? 0 : 1;
	if (per_worker)
		return stats_per_worker(fmt);

	struct ctl_reply *rep = cli_client_reply_new();
	if (rep == NULL)
		return 1;
	int rc = cli_client_request("stats", "stats", rep);
	for (unsigned i = 0; rc == 0 && i < rep->n; i++) {
		if (!stats_is_number(rep->kv[i].value)) {
			fprintf(stderr, "rcptgatectl: stats: counter %s is not a number\n", rep->kv[i].key);
			rc = 1;
		}
	}
	if (rc == 0 && fmt == SF_PROM)
		rc = stats_prom(rep) == 0 ? 0 : 1;
	else if (rc == 0)
		stats_print(rep, fmt);
	free(rep);
	return rc;
}
