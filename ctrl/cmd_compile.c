/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cmd_compile.c - rcptgatectl compile: source list to table file
 * DESCRIPTION
 *	rcptgatectl compile [--skip-invalid] [--progress] [--case-sensitive]
 *	    SRC OUT
 *
 *	Reads SRC ("-" = stdin): one address per line, "@domain" for a
 *	catch-all, "#" comments, Postfix map lines ("addr OK"). Every line
 *	is validated with the dataplane's own normalisation; bad lines are
 *	reported as "FILE:LINE: reason" and make the command fail unless
 *	--skip-invalid. Duplicates are dropped and counted. OUT is written
 *	atomically (temporary file, fsync, rename), then a summary is
 *	printed. Progress goes to stderr when it is a terminal or with
 *	--progress.
 *
 *	Local parts are folded to lower case unless --case-sensitive or
 *	the configuration (-c) says local_part_case_sensitive = yes; the
 *	choice is recorded in the table and used by every lookup.
 * DIAGNOSTICS
 *	Exit 0 on success, 1 on bad lines or I/O errors, 2 on usage errors.
 * TRUST
 *	SRC is operator input, checked line by line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "cli.h"
#include "table/tbl.h"

#define COMPILE_PROGRESS_EVERY 1000000 /* lines */
#define COMPILE_MAX_REPORTED 100       /* bad lines printed before "..." */

static double
compile_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Case flag from -c CONFIG, if given. Return 0 or -1 (reported). */
static int
compile_config_flags(unsigned *flags)
{
	struct rg_config cfg;
	char err[CFG_ERR_MAX];

	if (cli_config_path == NULL)
		return 0;
	if (cfg_load(&cfg, cli_config_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "rcptgatectl: %s\n", err);
		return -1;
	}
	if (cfg.local_part_case_sensitive)
		*flags |= RG_ADDR_F_CASE_EXACT;
	return 0;
}

int
cli_cmd_compile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "skip-invalid", no_argument, NULL, 's' },
		{ "progress", no_argument, NULL, 'p' },
		{ "case-sensitive", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	bool skip = false, progress = isatty(STDERR_FILENO);
	unsigned flags = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			skip = true;
			break;
		case 'p':
			progress = true;
			break;
		case 'c':
			flags |= RG_ADDR_F_CASE_EXACT;
			break;
		default:
			cli_usage("compile", 1);
			return 2;
		}
	}
	if (argc - optind != 2) {
		cli_usage("compile", 1);
		return 2;
	}
	const char *src = argv[optind], *out = argv[optind + 1];
	if (compile_config_flags(&flags) != 0)
		return 1;

	FILE *in = strcmp(src, "-") == 0 ? stdin : fopen(src, "r");
	if (in == NULL) {
		fprintf(stderr, "rcptgatectl: %s: %s\n", src, strerror(errno));
		return 1;
	}
	const char *name = in == stdin ? "stdin" : src;
	struct tbl_builder *b = tbl_builder_new(flags);
	if (b == NULL) {
		fprintf(stderr, "rcptgatectl: out of memory\n");
		if (in != stdin)
			fclose(in);
		return 1;
	}

	double t0 = compile_now();
	char *line = NULL, err[256];
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0, bad = 0;
	int rc = 0;
	while ((n = getline(&line, &cap, in)) >= 0) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		int r = tbl_builder_add_line(b, line, (size_t)n, err, sizeof(err));
		if (r == -EINVAL) {
			if (++bad <= COMPILE_MAX_REPORTED)
				fprintf(stderr, "rcptgatectl: %s:%llu: %s\n", name,
					(unsigned long long)lineno, err);
			if (skip)
				tbl_builder_count_invalid(b);
		} else if (r < 0) {
			fprintf(stderr, "rcptgatectl: %s:%llu: %s\n", name, (unsigned long long)lineno, err);
			rc = 1;
			break;
		}
		if (progress && lineno % COMPILE_PROGRESS_EVERY == 0)
			fprintf(stderr, "\rrcptgatectl: %llu lines read", (unsigned long long)lineno);
	}
	if (rc == 0 && ferror(in)) {
		fprintf(stderr, "rcptgatectl: %s: read error: %s\n", name, strerror(errno));
		rc = 1;
	}
	free(line);
	if (in != stdin)
		fclose(in);
	if (progress && lineno >= COMPILE_PROGRESS_EVERY)
		fprintf(stderr, "\rrcptgatectl: %llu lines read, building\n", (unsigned long long)lineno);
	if (bad > COMPILE_MAX_REPORTED)
		fprintf(stderr, "rcptgatectl: %s: ... %llu bad lines in all\n", name,
			(unsigned long long)bad);
	if (rc == 0 && bad > 0 && !skip) {
		fprintf(stderr,
			"rcptgatectl: %llu bad lines, %s not written (use --skip-invalid to drop them)\n",
			(unsigned long long)bad, out);
		rc = 1;
	}
	if (rc == 0 && tbl_builder_write(b, out, err, sizeof(err)) != 0) {
		fprintf(stderr, "rcptgatectl: %s\n", err);
		rc = 1;
	}
	if (rc == 0) {
		struct tbl_build_stats st;
		tbl_builder_stats(b, &st);
		printf("%s: %llu addresses, %llu domains (%llu catch-all), %llu duplicates, "
		       "%llu invalid skipped, %.2f s, %llu bytes\n",
		       out, (unsigned long long)st.addresses, (unsigned long long)st.domains,
		       (unsigned long long)st.catchall, (unsigned long long)st.duplicates,
		       (unsigned long long)st.invalid, compile_now() - t0, (unsigned long long)st.bytes);
	}
	tbl_builder_free(b);
	return rc;
}
