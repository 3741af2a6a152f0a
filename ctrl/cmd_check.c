/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cmd_check.c - rcptgatectl check: what the wire would answer
 * DESCRIPTION
 *	rcptgatectl [-c CONFIG] check [--table FILE] ADDR...
 *
 *	For each ADDR (with or without its angle brackets) prints the reply
 *	rcptgate gives to "RCPT TO:<ADDR>", computed by the dataplane's own
 *	policy_rcpt() on the table FILE (default: recipient_table of the
 *	configuration). Reply codes, recipient_delimiter, relay_domains and
 *	soft_bounce come from the configuration when -c is given, else from
 *	the built-in defaults.
 * DIAGNOSTICS
 *	Exit 0 when every address was accepted, 1 when any was refused or
 *	the table could not be opened (its reason on stderr; the replies
 *	then show the 451 the daemon would give), 2 on usage errors.
 * TRUST
 *	Addresses are treated like network input.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "policy.h"
#include "table/tbl.h"

int
ctl_cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "table", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct rg_config cfg;
	struct policy_conf pc;
	const char *table = NULL;
	char err[CFG_ERR_MAX];
	int opt;

	while ((opt = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
		if (opt != 't') {
			ctl_usage("check", 1);
			return 2;
		}
		table = optarg;
	}
	if (optind >= argc) {
		ctl_usage("check", 1);
		return 2;
	}
	cfg_defaults(&cfg);
	if (ctl_config_path != NULL && cfg_load(&cfg, ctl_config_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "rcptgatectl: %s\n", err);
		return 1;
	}
	if (table == NULL)
		table = cfg.recipient_table[0] ? cfg.recipient_table : NULL;
	if (table == NULL) {
		fprintf(stderr, "rcptgatectl: check: no table (use --table FILE or -c CONFIG with recipient_table)\n");
		return 2;
	}
	policy_conf_from_config(&pc, &cfg);

	struct tbl *t = NULL;
	int rc = 0;
	if (tbl_open(table, &t, err, sizeof(err)) != 0) {
		fprintf(stderr, "rcptgatectl: %s\n", err);
		rc = 1;
	}
	for (int i = optind; i < argc; i++) {
		const char *a = argv[i];
		size_t n = strlen(a);
		struct policy_result res;
		if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
			a++;
			n -= 2;
		}
		policy_rcpt(&pc, t, a, n, &res);
		/* the reply without its CRLF */
		printf("%.*s\n", (int)(res.len >= 2 ? res.len - 2 : res.len), res.reply);
		if (res.verdict != POLICY_ACCEPT)
			rc = 1;
	}
	tbl_close(t);
	return rc;
}
