/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cli_table.c - rcptgatectl's command table: grammar and help
 * DESCRIPTION
 *	One row per command with its synopsis and help, so "help",
 *	"COMMAND --help" and the man page come from one place; the global
 *	options -s and -c that main() sets.
 * DIAGNOSTICS
 *	Usage text on stdout or stderr; "help" of an unknown command is a
 *	usage error (2).
 * TRUST
 *	Command names come from the command line and are only compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_socket_path = NULL;
const char *cli_config_path = NULL;

static int cli_cmd_help(int argc, char **argv);

static const struct cli_command cli_commands[] = {
	{ "help", cli_cmd_help, "[COMMAND]", "show the commands, or one command's help", NULL },
	{ "compile", cli_cmd_compile, "[--skip-invalid] [--progress] [--case-sensitive] SRC OUT",
	  "compile a recipient list into a table file",
	  "SRC (\"-\" = stdin) holds one address per line, \"@domain\" for a catch-all,\n"
	  "\"#\" comments and Postfix map lines (\"addr OK\"). Bad lines are reported as\n"
	  "FILE:LINE: reason and fail the command unless --skip-invalid. OUT is written\n"
	  "atomically. --progress shows progress even when stderr is not a terminal;\n"
	  "--case-sensitive keeps local parts as written (also local_part_case_sensitive\n"
	  "in the -c configuration).\n" },
	{ "check", cli_cmd_check, "[--table FILE | [--client IP] [--helo NAME] [--from ADDR]] ADDR...",
	  "show the reply RCPT TO:<ADDR> would get",
	  "Prints the reply line rcptgate would send. Without --table the running\n"
	  "daemon answers: it runs EHLO NAME (default localhost), MAIL FROM:<ADDR>\n"
	  "(default <>) and RCPT TO through its SMTP engine on the table serving now,\n"
	  "as a client at IP (default 127.0.0.1); the check is not counted or logged.\n"
	  "With --table FILE the reply is computed here from FILE and the reply codes,\n"
	  "recipient_delimiter, relay_domains and soft_bounce of the -c configuration\n"
	  "(else the defaults).\n"
	  "Exit status 0 when every address is accepted, 1 otherwise.\n" },
	{ "reload", cli_cmd_reload, "[--force] [TABLE]", "load a new recipient table into the daemon",
	  "The daemon maps TABLE (default: the file of the table serving, else its\n"
	  "recipient_table) and verifies all of it, refuses it when it has fewer\n"
	  "addresses than the serving one by more than reload_max_shrink percent\n"
	  "(unless --force), publishes it and frees the old one once no worker can\n"
	  "still read it. Prints the new generation, its entries and the time taken.\n"
	  "On failure prints the reason and exits 1: the old table keeps serving.\n" },
	{ "stats", cli_cmd_stats, "[--all | --json | --prometheus | --doc] | --per-worker [--all | --json]",
	  "show the daemon's counters",
	  "Without options: the non-zero counters with their help text (--all: every\n"
	  "one). --json: one JSON object name -> value. --prometheus: the Prometheus\n"
	  "text format (rcptgate_NAME_total for counters, rcptgate_NAME for gauges).\n"
	  "--doc: the counter reference (docs/counters.md), without the daemon.\n"
	  "--per-worker: each worker's own counters, a column each (with --all or\n"
	  "--json: one object per worker); the sum alone has the control thread's,\n"
	  "the relay thread's and the XDP program's.\n" },
	{ "top", cli_cmd_top, "[-i SECONDS] [-n COUNT]", "show live per-second rates",
	  "Every SECONDS (default 1) shows the rate of every counter that moved and\n"
	  "the level of every non-zero gauge. On a terminal the screen is redrawn;\n"
	  "otherwise one sample per interval is printed (\"# time interval\", then\n"
	  "\"name rate total\" lines, then an empty line). -n COUNT stops after COUNT\n"
	  "samples.\n" },
	{ "status", cli_cmd_status, "", "show uptime, port, lcores and the recipient table",
	  "Prints the daemon's version, pid, uptime, configuration file, port mode\n"
	  "and device, listen address, worker lcores, and the recipient table's\n"
	  "file, generation, entries, size, age and last load error.\n" },
	{ "block", cli_cmd_block, "add CIDR... | del CIDR... | list [--json]",
	  "drop SMTP from client addresses, or list them",
	  "CIDR is an IPv4 or IPv6 address or prefix (192.0.2.7, 198.51.100.0/24,\n"
	  "2001:db8::/32). The daemon drops SMTP from those sources at once: in its\n"
	  "XDP program when it shares an interface (af_xdp with xdp_object), else in\n"
	  "its workers; ping, ssh and other services are not affected. del takes the\n"
	  "prefix exactly as added. The list is pinned under bpf_pin_dir and kept\n"
	  "across restarts. list prints each prefix with its reason: manual (block\n"
	  "add, until deleted) or dictionary and the seconds left (blocked at\n"
	  "dictionary_block_limit for dictionary_block_time; del releases it early).\n"
	  "--json: one JSON array of {cidr, reason[, expires_in]} objects.\n" },
	{ "tls", cli_cmd_tls, "reload [--if-configured]", "load new TLS certificates into the daemon",
	  "The daemon re-reads the files of its smtpd_tls_chain_files (or\n"
	  "smtpd_tls_cert_file and smtpd_tls_key_file), checks them as at start-up\n"
	  "(each parsed, each key matching its certificate) and publishes them to\n"
	  "every worker: new TLS sessions get the new certificates, sessions that\n"
	  "started before finish on the old ones. The configuration file itself is\n"
	  "not re-read. On failure prints the reason and exits 1: the old\n"
	  "certificates keep serving. An expired certificate is loaded with a\n"
	  "warning, as at start-up. --if-configured: a daemon without STARTTLS is\n"
	  "not an error (exit 0), for a systemd ExecReload line.\n" },
};

#define N_COMMANDS (sizeof(cli_commands) / sizeof(cli_commands[0]))

const struct cli_command *
cli_find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

void
cli_overview(FILE *f)
{
	fprintf(f,
		"usage: rcptgatectl [-s SOCKET] [-c CONFIG] COMMAND [ARGS]\n\n"
		"Options:\n"
		"  -s SOCKET  control socket of the daemon (default: the -c\n"
		"             configuration's control_socket, else %s)\n"
		"  -c CONFIG  read defaults (reply codes, delimiter, socket) from the\n"
		"             daemon's configuration file\n"
		"  -h, --help this help\n\n"
		"Commands:\n",
		cli_client_default_socket());
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
	fprintf(f, "\n\"rcptgatectl COMMAND --help\" shows a command's arguments.\n");
}

void
cli_usage(const char *name, int to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	const struct cli_command *c = cli_find(name);

	if (c == NULL) {
		cli_overview(f);
		return;
	}
	fprintf(f, "usage: rcptgatectl %s %s\n\n%s\n", c->name, c->synopsis, c->summary);
	if (c->help)
		fprintf(f, "\n%s", c->help);
}

int
cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

static int
cli_cmd_help(int argc, char **argv)
{
	if (argc > 1 && cli_find(argv[1]) == NULL) {
		fprintf(stderr, "rcptgatectl: unknown command '%s'\n", argv[1]);
		return 2;
	}
	cli_usage(argc > 1 ? argv[1] : "", 0);
	return 0;
}
