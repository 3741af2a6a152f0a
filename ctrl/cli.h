/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cli.h - rcptgatectl commands
 * DESCRIPTION
 *	Each command is one function "int cli_cmd_NAME(int argc, char **argv)"
 *	in its own file, called with argv[0] = the command name. It returns
 *	the process exit status: 0 success, 1 failure (reason on stderr),
 *	2 usage error. The table in cli_table.c lists every command once, with
 *	its synopsis and help text; "rcptgatectl help" and "CMD --help"
 *	print from that table.
 */
#ifndef RG_CLI_H
#define RG_CLI_H

#include <stddef.h>
#include <stdio.h>

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis; /* arguments after the command name */
	const char *summary;  /* one line */
	const char *help;     /* the rest of "CMD --help", may be NULL */
};

/* Global options, set by main before the command runs. */
extern const char *cli_socket_path; /* -s SOCKET, NULL when not given */
extern const char *cli_config_path; /* -c CONFIG */

/* cli_find - the row of command NAME in the table (cli_table.c), or NULL. */
const struct cli_command *cli_find(const char *name);

/* cli_overview - the global usage and the list of commands, to F. */
void cli_overview(FILE *f);

/* Print "usage: rcptgatectl NAME SYNOPSIS" and the help of command NAME. */
void cli_usage(const char *name, int to_stderr);

/* True when argv holds -h or --help (the command then prints its help). */
int cli_wants_help(int argc, char **argv);

/* Recipient table: cmd_compile.c, cmd_check.c */
int cli_cmd_compile(int argc, char **argv);
int cli_cmd_check(int argc, char **argv);

/* Daemon control: cmd_reload.c, cmd_stats.c, cmd_top.c, cmd_status.c */
int cli_cmd_reload(int argc, char **argv);
int cli_cmd_stats(int argc, char **argv);
int cli_cmd_top(int argc, char **argv);
int cli_cmd_status(int argc, char **argv);
int cli_cmd_block(int argc, char **argv); /* cmd_block.c */
int cli_cmd_tls(int argc, char **argv);	  /* cmd_tls.c */

/*
 * The control socket (cli_client.c; protocol in include/rcptgate/ctl_proto.h).
 * Failures are reported on stderr by these functions themselves.
 */
struct ctl_reply;

/* cli_client_default_socket - the daemon's default control_socket. */
const char *cli_client_default_socket(void);

/* cli_client_connect - connect to -s SOCKET, else the -c configuration's
 * control_socket, else the default. Return the fd or -errno. */
int cli_client_connect(void);

/* cli_client_call - send the request line REQ (no LF) on FD and read its
 * response into REP. Return 0 (REP may hold an ERR response), -E2BIG,
 * -EPROTO (malformed response), -ECONNRESET or another -errno. */
int cli_client_call(int fd, const char *req, struct ctl_reply *rep);

/* cli_client_request - connect, call, close. Return 0 for an OK response,
 * 1 otherwise (an ERR response is printed as "rcptgatectl: CMD: text"). */
int cli_client_request(const char *cmd, const char *req, struct ctl_reply *rep);

/* cli_client_arg - append " KEY=VALUE" (VALUE %XX-encoded) to the request
 * REQ of CAP bytes. Return 0 or -E2BIG. */
int cli_client_arg(char *req, size_t cap, const char *key, const char *value);

/* cli_client_reply_new - a reply buffer (free() it), or NULL (reported). */
struct ctl_reply *cli_client_reply_new(void);

/* cli_client_print_err - "rcptgatectl: CMD: TEXT (ERRNAME)" on stderr. */
void cli_client_print_err(const char *cmd, const struct ctl_reply *rep);

#endif /* RG_CLI_H */
