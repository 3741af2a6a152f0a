/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	msg.h - diagnostics in levels
 * DESCRIPTION
 *	msg_info, msg_warn and msg_error report and return; msg_fatal is
 *	for start-up only (bad configuration, missing resources) and exits
 *	with status 1; msg_panic is for a broken invariant and aborts.
 *	Never call any of them per packet on the fast path: count instead.
 *	msg_mail is the mail log (the SMTP engine's reject and event lines).
 *
 *	Each call formats one line of text, "warning: TEXT" (info and mail
 *	lines have no level word), and hands it to the sink the daemon
 *	installed (msg_set_sink: its syslog or maillog_file writer, with a
 *	ring per worker lcore), with its source (the daemon, or smtpd for
 *	mail lines) and its level. Lines also go to stderr as
 *	"rcptgate: warning: TEXT" while msg_set_stderr allows: every line
 *	by default and whenever no sink is installed (tests, rcptgatectl),
 *	only fatal and panic ones once the daemon serves. Plain C, no DPDK.
 */
#ifndef RG_MSG_H
#define RG_MSG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define RG_PRINTF(a, b) __attribute__((format(printf, a, b)))

#define MSG_TEXT_MAX 1536 /* octets of one line's text, NUL included */

/* The level of a line (msg_info ... msg_panic; msg_mail is MSG_INFO). */
enum msg_level { MSG_INFO, MSG_WARN, MSG_ERROR, MSG_FATAL, MSG_PANIC, MSG_LEVEL_MAX };

/* Who speaks: the daemon itself, or its SMTP service (msg_mail). */
enum msg_source { MSG_SRC_DAEMON, MSG_SRC_SMTPD, MSG_SRC_MAX };

/* What goes to stderr besides the sink (msg_set_stderr). */
enum msg_stderr { MSG_STDERR_ALL, MSG_STDERR_FATAL, MSG_STDERR_NONE };

/*
 * msg_sink_fn - where lines go: TEXT[0..LEN) is one line without its
 * newline (LEN < MSG_TEXT_MAX, TEXT is NUL-terminated), its level word
 * included. Called on the thread that logs, worker lcores included; a
 * fatal or panic line is followed by exit or abort on return. Returns
 * true when it wrote the line to stderr itself (then no copy is).
 */
typedef bool msg_sink_fn(void *arg, enum msg_source src, enum msg_level level, const char *text, size_t len);

/* Set the program name shown before each stderr line (default "rcptgate"). */
void msg_set_progname(const char *name);

/* Quieten msg_info (used by tests and -q); msg_mail is not affected. */
void msg_set_verbose(int verbose);

/*
 * msg_set_sink - send every line to FN(ARG, ...) from now on (NULL: to
 * stderr only). Set before other threads log: the pointer is not
 * synchronised.
 */
void msg_set_sink(msg_sink_fn *fn, void *arg);

/*
 * msg_set_stderr - which lines also go to stderr while a sink is
 * installed: all (the default), only fatal and panic, or none (the
 * sink writes to standard output or error itself).
 */
void msg_set_stderr(enum msg_stderr which);

/* msg_level_word - "warning", "error", "fatal", "panic"; "" for info. */
const char *msg_level_word(enum msg_level level);

/*
 * msg_mail - the mail log: a line about a client's session (a refused
 * recipient, "too many errors", ...), at level info from the smtpd
 * source, never quietened: it is the operator's record of what was
 * refused.
 */
void msg_mail(const char *fmt, ...) RG_PRINTF(1, 2);
void msg_info(const char *fmt, ...) RG_PRINTF(1, 2);
void msg_warn(const char *fmt, ...) RG_PRINTF(1, 2);
void msg_error(const char *fmt, ...) RG_PRINTF(1, 2);
_Noreturn void msg_fatal(const char *fmt, ...) RG_PRINTF(1, 2);
_Noreturn void msg_panic(const char *fmt, ...) RG_PRINTF(1, 2);

#endif /* RG_MSG_H */
