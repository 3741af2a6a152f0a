/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	msg.c - diagnostics in levels (see msg.h)
 * DESCRIPTION
 *	Each call formats one line into a buffer on the stack and hands it
 *	to the sink, if one is installed; a stderr copy is written with a
 *	single write(2), so lines from several threads do not interleave.
 *	Nothing here allocates or takes a lock: a worker lcore's line costs
 *	a format and whatever its sink does (the daemon's copies it into a
 *	ring).
 * DIAGNOSTICS
 *	None: a line that cannot be written is lost (the sink counts its
 *	own losses). Text longer than MSG_TEXT_MAX - 1 octets is cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

static const char *msg_progname = "rcptgate";
static int msg_verbose = 1;
static msg_sink_fn *msg_sink;
static void *msg_sink_arg;
static enum msg_stderr msg_to_stderr = MSG_STDERR_ALL;

static const char *const msg_words[MSG_LEVEL_MAX] = {
	[MSG_INFO] = "",       [MSG_WARN] = "warning", [MSG_ERROR] = "error",
	[MSG_FATAL] = "fatal", [MSG_PANIC] = "panic",
};

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

void
msg_set_sink(msg_sink_fn *fn, void *arg)
{
	msg_sink = fn;
	msg_sink_arg = arg;
}

void
msg_set_stderr(enum msg_stderr which)
{
	msg_to_stderr = which;
}

const char *
msg_level_word(enum msg_level level)
{
	return (unsigned)level < MSG_LEVEL_MAX ? msg_words[level] : "?";
}

static void
msg_vprint(enum msg_source src, enum msg_level level, const char *fmt, va_list ap)
{
	char line[MSG_TEXT_MAX + 64]; /* "PROGNAME: " + text + "\n" */
	const char *word = msg_words[level];
	int head = snprintf(line, 64, "%s: ", msg_progname);
	if (head < 0 || head >= 64)
		head = 0;
	char *text = line + head;
	size_t room = MSG_TEXT_MAX; /* text and its NUL */
	int n = snprintf(text, room, "%s%s", word, word[0] ? ": " : "");
	if (n < 0)
		return;
	vsnprintf(text + n, room - (size_t)n, fmt, ap);
	size_t len = strnlen(text, room - 1);
	text[len] = '\0';

	bool done = msg_sink != NULL && msg_sink(msg_sink_arg, src, level, text, len);
	if (!done &&
	    (msg_sink == NULL || msg_to_stderr == MSG_STDERR_ALL ||
	     (msg_to_stderr == MSG_STDERR_FATAL && level >= MSG_FATAL))) {
		text[len] = '\n';
		ssize_t w = write(STDERR_FILENO, line, (size_t)head + len + 1);
		(void)w;
	}
}

#define MSG_BODY(src, level) \
	do { \
		va_list ap; \
		va_start(ap, fmt); \
		msg_vprint(src, level, fmt, ap); \
		va_end(ap); \
	} while (0)

void
msg_mail(const char *fmt, ...)
{
	MSG_BODY(MSG_SRC_SMTPD, MSG_INFO);
}

void
msg_info(const char *fmt, ...)
{
	if (msg_verbose)
		MSG_BODY(MSG_SRC_DAEMON, MSG_INFO);
}

void
msg_warn(const char *fmt, ...)
{
	MSG_BODY(MSG_SRC_DAEMON, MSG_WARN);
}

void
msg_error(const char *fmt, ...)
{
	MSG_BODY(MSG_SRC_DAEMON, MSG_ERROR);
}

void
msg_fatal(const char *fmt, ...)
{
	MSG_BODY(MSG_SRC_DAEMON, MSG_FATAL);
	exit(1);
}

void
msg_panic(const char *fmt, ...)
{
	MSG_BODY(MSG_SRC_DAEMON, MSG_PANIC);
	abort();
}
