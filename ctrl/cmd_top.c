/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cmd_top.c - rcptgatectl top: live per-second rates
 * DESCRIPTION
 *	rcptgatectl top [-i SECONDS] [-n COUNT]
 *
 *	Reads the daemon's counters every SECONDS (default 1, at least
 *	0.1) over one control connection and shows, for every counter that
 *	moved, its rate per second over the last interval and its total,
 *	and every non-zero gauge's level. On a terminal the screen is
 *	redrawn in place; otherwise one sample is printed per interval, a
 *	"# time interval" line, then "name rate total" lines and an empty
 *	line, so the output can be logged or parsed. -n COUNT stops after
 *	COUNT samples (default: until interrupted).
 * DIAGNOSTICS
 *	Exit 0 after COUNT samples; 1 when the daemon cannot be reached or
 *	goes away; 2 on usage errors.
 * TRUST
 *	The daemon's response is parsed with the protocol's bounds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rcptgate/counters.h>
#include <rcptgate/ctl_proto.h>

#include "cli.h"
#include "cli_doc.h"

struct top_sample {
	unsigned n;
	double t; /* CLOCK_MONOTONIC seconds */
	char name[CTL_RESP_LINES_MAX][64];
	uint64_t v[CTL_RESP_LINES_MAX];
};

static double
top_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
top_fetch(int fd, struct ctl_reply *rep, struct top_sample *s)
{
	if (cli_client_call(fd, "stats", rep) < 0)
		return -1;
	if (!rep->ok) {
		cli_client_print_err("top", rep);
		return -1;
	}
	s->t = top_now();
	s->n = rep->n;
	for (unsigned i = 0; i < rep->n; i++) {
		snprintf(s->name[i], sizeof(s->name[i]), "%s", rep->kv[i].key);
		s->v[i] = strtoull(rep->kv[i].value, NULL, 10);
	}
	return 0;
}

static void
top_show(const struct top_sample *prev, const struct top_sample *cur, bool tty)
{
	double dt = cur->t - prev->t;
	char when[32];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime(&now));
	if (tty)
		printf("\033[H\033[Jrcptgate top  %s  every %.1f s  (q: Ctrl-C)\n\n%-34s %14s %20s\n", when,
		       dt, "counter", "per second", "total");
	else
		printf("# %s interval %.3f\n", when, dt);
	for (unsigned i = 0; i < cur->n; i++) {
		int c = cli_counter_find(cur->name[i]);
		bool gauge = c >= 0 && rg_counter_info[c].kind == RG_CK_GAUGE;
		bool same = i < prev->n && strcmp(prev->name[i], cur->name[i]) == 0;
		uint64_t delta = same && cur->v[i] >= prev->v[i] ? cur->v[i] - prev->v[i] : 0;
		if (gauge ? cur->v[i] == 0 : delta == 0)
			continue;
		if (gauge)
			printf(tty ? "%-34s %14s %20" PRIu64 "\n" : "%s %s %" PRIu64 "\n", cur->name[i], "-",
			       cur->v[i]);
		else
			printf(tty ? "%-34s %14.1f %20" PRIu64 "\n" : "%s %.1f %" PRIu64 "\n", cur->name[i],
			       (double)delta / dt, cur->v[i]);
	}
	if (!tty)
		putchar('\n');
	fflush(stdout);
}

int
cli_cmd_top(int argc, char **argv)
{
	double interval = 1.0;
	long count = -1;
	int opt;
	char *end;

	while ((opt = getopt(argc, argv, "+i:n:")) != -1) {
		switch (opt) {
		case 'i':
			interval = strtod(optarg, &end);
			if (*end != '\0' || !(interval >= 0.1 && interval <= 3600)) {
				fprintf(stderr, "rcptgatectl: top: -i wants seconds from 0.1 to 3600\n");
				return 2;
			}
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end != '\0' || count < 1) {
				fprintf(stderr, "rcptgatectl: top: -n wants a count of at least 1\n");
				return 2;
			}
			break;
		default:
			cli_usage("top", 1);
			return 2;
		}
	}
	if (optind != argc) {
		cli_usage("top", 1);
		return 2;
	}
	struct ctl_reply *rep = cli_client_reply_new();
	struct top_sample *s = calloc(2, sizeof(*s));
	int fd = rep && s ? cli_client_connect() : -1;
	int rc = 1;
	if (fd < 0)
		goto out;
	bool tty = isatty(STDOUT_FILENO);
	if (top_fetch(fd, rep, &s[0]) < 0)
		goto out;
	for (long k = 0; count < 0 || k < count; k++) {
		struct timespec ts = { (time_t)interval,
				       (long)((interval - (double)(time_t)interval) * 1e9) };
		nanosleep(&ts, NULL);
		struct top_sample *prev = &s[k % 2], *cur = &s[(k + 1) % 2];
		if (top_fetch(fd, rep, cur) < 0)
			goto out;
		top_show(prev, cur, tty);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(s);
	free(rep);
	return rc;
}
