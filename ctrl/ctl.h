/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl.h - rcptgatectl commands
 * DESCRIPTION
 *	Each command is one function "int ctl_cmd_NAME(int argc, char **argv)"
 *	in its own file, called with argv[0] = the command name. It returns
 *	the process exit status: 0 success, 1 failure (reason on stderr),
 *	2 usage error. The table in main.c lists every command once, with
 *	its synopsis and help text; "rcptgatectl help" and "CMD --help"
 *	print from that table.
 */
#ifndef RG_CTL_H
#define RG_CTL_H

struct ctl_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;	/* arguments after the command name */
	const char *summary;	/* one line */
	const char *help;	/* the rest of "CMD --help", may be NULL */
};

/* Global options, set by main before the command runs. */
extern const char *ctl_socket_path;	/* -s SOCKET */
extern const char *ctl_config_path;	/* -c CONFIG */

/* Print "usage: rcptgatectl NAME SYNOPSIS" and the help of command NAME. */
void ctl_usage(const char *name, int to_stderr);

/* True when argv holds -h or --help (the command then prints its help). */
int ctl_wants_help(int argc, char **argv);

/* Recipient table: cmd_compile.c, cmd_check.c */
int ctl_cmd_compile(int argc, char **argv);
int ctl_cmd_check(int argc, char **argv);

#endif /* RG_CTL_H */
