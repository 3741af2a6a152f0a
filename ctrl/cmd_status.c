/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cmd_status.c - rcptgatectl status: what the daemon is doing
 * DESCRIPTION
 *	rcptgatectl status
 *
 *	Prints the daemon's status lines (uptime, port mode, worker lcores,
 *	recipient table generation, entries and age, configuration path) as
 *	aligned "key value" lines, durations also as days and h:m:s. "table: none" means
 *	every RCPT gets 451 4.3.0 until a reload succeeds.
 * DIAGNOSTICS
 *	Exit 0; 1 when the daemon cannot be reached; 2 on usage errors.
 * TRUST
 *	The daemon's response is parsed with the protocol's bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/ctl_proto.h>

#include "cli.h"

/* "3d 04:05:06" for S seconds. */
static void
cli_human_age(const char *s, char *buf, size_t cap)
{
	long long v = strtoll(s, NULL, 10);
	snprintf(buf, cap, "%lldd %02lld:%02lld:%02lld", v / 86400, v / 3600 % 24, v / 60 % 60, v % 60);
}

int
cli_cmd_status(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		cli_usage("status", 1);
		return 2;
	}
	struct ctl_reply *rep = cli_client_reply_new();
	if (rep == NULL)
		return 1;
	int rc = cli_client_request("status", "status", rep);
	for (unsigned i = 0; rc == 0 && i < rep->n; i++) {
		const char *k = rep->kv[i].key, *v = rep->kv[i].value;
		size_t kl = strlen(k);
		char human[64];
		if (kl > 8 && strcmp(k + kl - 8, "_seconds") == 0) {
			cli_human_age(v, human, sizeof(human));
			printf("%-20s %s (%s)\n", k, v, human);
		} else if (strcmp(k, "table") == 0 && strcmp(v, "none") == 0) {
			printf("%-20s none: every RCPT gets 451 4.3.0 until a reload succeeds\n", k);
		} else {
			printf("%-20s %s\n", k, v);
		}
	}
	free(rep);
	return rc;
}
