/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	rcptgatectl - control program for the rcptgate daemon
 * DESCRIPTION
 *	rcptgatectl [-s SOCKET] [-c CONFIG] COMMAND [ARGS]
 *
 *	Parses the global options and runs one command of the table in
 *	cli_table.c (grammar and help of every command).
 * DIAGNOSTICS
 *	Errors go to stderr; exit status 0 on success, 1 on failure, 2 on a
 *	usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "msg.h"

int
main(int argc, char **argv)
{
	int opt;

	msg_set_progname("rcptgatectl");
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	while ((opt = getopt_long(argc, argv, "+s:c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			cli_socket_path = optarg;
			break;
		case 'c':
			cli_config_path = optarg;
			break;
		case 'h':
			cli_overview(stdout);
			return 0;
		default:
			cli_overview(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		cli_overview(stderr);
		return 2;
	}
	const struct cli_command *c = cli_find(argv[optind]);
	if (c == NULL) {
		fprintf(stderr, "rcptgatectl: unknown command '%s' (try 'rcptgatectl help')\n", argv[optind]);
		return 2;
	}
	int cargc = argc - optind;
	char **cargv = argv + optind;
	if (cli_wants_help(cargc, cargv)) {
		cli_usage(c->name, 0);
		return 0;
	}
	optind = 1; /* commands parse their own options with getopt */
	return c->run(cargc, cargv);
}
