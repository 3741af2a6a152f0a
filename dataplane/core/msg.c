/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	msg.c - diagnostics in levels (see msg.h)
 * DESCRIPTION
 *	Each call formats one line and writes it with a single write(2), so
 *	lines from several threads do not interleave.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

static const char *msg_progname = "rcptgate";
static int msg_verbose = 1;

void
msg_set_progname(const char *name)
{
	msg_progname = name;
}

void
msg_set_verbose(int verbose)
{
	msg_verbose = verbose;
}

static void
msg_vprint(const char *level, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s: %s%s", msg_progname, level, level[0] ? ": " : "");
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	size_t len = strnlen(line, sizeof(line) - 2);
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

#define MSG_BODY(level) \
	do { \
		va_list ap; \
		va_start(ap, fmt); \
		msg_vprint(level, fmt, ap); \
		va_end(ap); \
	} while (0)

void
msg_mail(const char *fmt, ...)
{
	MSG_BODY("");
}

void
msg_info(const char *fmt, ...)
{
	if (msg_verbose)
		MSG_BODY("");
}

void
msg_warn(const char *fmt, ...)
{
	MSG_BODY("warning");
}

void
msg_error(const char *fmt, ...)
{
	MSG_BODY("error");
}

void
msg_fatal(const char *fmt, ...)
{
	MSG_BODY("fatal");
	exit(1);
}

void
msg_panic(const char *fmt, ...)
{
	MSG_BODY("panic");
	abort();
}
