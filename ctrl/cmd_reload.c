/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cmd_reload.c - rcptgatectl reload: replace the daemon's recipient table
 * DESCRIPTION
 *	rcptgatectl reload [--force] [TABLE]
 *
 *	Asks the daemon to map and verify TABLE (default: the file of the
 *	table serving, else its recipient_table), refuse it when it shrank
 *	by more than reload_max_shrink unless --force, publish it and free
 *	the old one once no worker can still read it. Prints the new
 *	generation, its entries and the time taken.
 * DIAGNOSTICS
 *	Exit 0 when the table was published; 1 with the daemon's reason on
 *	stderr when it was refused (the old table keeps serving) or the
 *	daemon could not be reached; 2 on usage errors.
 * TRUST
 *	The daemon's response is parsed with the protocol's bounds.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/ctl_proto.h>

#include "cli.h"

int
cli_cmd_reload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	char req[CTL_REQ_MAX] = "reload";
	bool force = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (opt != 'f') {
			cli_usage("reload", 1);
			return 2;
		}
		force = true;
	}
	if (argc - optind > 1) {
		cli_usage("reload", 1);
		return 2;
	}
	if (optind < argc) {
		/* the daemon has its own working directory: send an absolute path */
		char abs[PATH_MAX];
		if (realpath(argv[optind], abs) == NULL) {
			fprintf(stderr, "rcptgatectl: %s: %s\n", argv[optind], strerror(errno));
			return 1;
		}
		if (cli_client_arg(req, sizeof(req), "path", abs) < 0)
			return 1;
	}
	if (force)
		strcat(req, " force=1");

	struct ctl_reply *rep = cli_client_reply_new();
	if (rep == NULL)
		return 1;
	int rc = cli_client_request("reload", req, rep);
	if (rc == 0) {
		const char *g = ctl_reply_get(rep, "generation");
		const char *e = ctl_reply_get(rep, "entries");
		const char *p = ctl_reply_get(rep, "previous_entries");
		const char *ms = ctl_reply_get(rep, "ms");
		const char *path = ctl_reply_get(rep, "path");
		printf("reloaded %s: generation %s, %s entries (was %s), %s ms\n", path ? path : "?",
		       g ? g : "?", e ? e : "?", p ? p : "?", ms ? ms : "?");
	}
	free(rep);
	return rc;
}
