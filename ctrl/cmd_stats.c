/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cmd_stats.c - rcptgatectl stats: the daemon's counters
 * DESCRIPTION
 *	rcptgatectl stats [--all | --json | --prometheus | --doc]
 *
 *	Asks the daemon for every counter (the list of
 *	include/rcptgate/counters.h, summed over its lcores) and prints
 *	them as a table (non-zero ones; --all: every one), as one JSON
 *	object, or in the Prometheus text exposition format (HELP and TYPE
 *	lines, counters named rcptgate_NAME_total, gauges rcptgate_NAME,
 *	no labels). --doc prints docs/counters.md without asking the daemon.
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

#include "cli.h"
#include "cli_doc.h"

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

/* Prometheus HELP text: backslash and newline escaped. */
static void
stats_prom_help(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", stdout);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
}

static void
stats_prom(const struct ctl_kv *kv)
{
	int c = cli_counter_find(kv->key);
	char name[160];

	if (c >= 0) {
		(void)cli_prom_name((unsigned)c, name, sizeof(name));
		printf("# HELP %s ", name);
		stats_prom_help(rg_counter_info[c].help);
		printf("\n# TYPE %s %s\n", name,
		       rg_counter_info[c].kind == RG_CK_COUNTER ? "counter" : "gauge");
	} else {
		/* protocol keys may hold '.', metric names may not */
		snprintf(name, sizeof(name), "rcptgate_%s", kv->key);
		for (char *p = name; *p; p++)
			if (*p == '.')
				*p = '_';
		printf("# HELP %s rcptgate counter %s (unknown to this rcptgatectl)\n# TYPE %s untyped\n",
		       name, kv->key, name);
	}
	printf("%s %s\n", name, kv->value);
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
		case SF_PROM:
			stats_prom(kv);
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

int
cli_cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "doc", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	enum stats_format fmt = SF_TABLE;
	int opt, n_fmt = 0;

	while ((opt = getopt_long(argc, argv, "+ajpd", opts, NULL)) != -1) {
		switch (opt) {
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
	if (optind != argc || n_fmt > 1) {
		cli_usage("stats", 1);
		return 2;
	}
	if (fmt == SF_DOC)
		return cli_counters_doc(stdout) == 0 ? 0 : 1;

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
	if (rc == 0)
		stats_print(rep, fmt);
	free(rep);
	return rc;
}
