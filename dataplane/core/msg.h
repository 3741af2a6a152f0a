/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	msg.h - diagnostics in levels
 * DESCRIPTION
 *	msg_info, msg_warn and msg_error report and return; msg_fatal is
 *	for start-up only (bad configuration, missing resources) and exits
 *	with status 1; msg_panic is for a broken invariant and aborts.
 *	Never call any of them per packet on the fast path: count instead.
 *
 *	Lines go to stderr as "rcptgate: warning: text"; the daemon's
 *	journal (systemd) or terminal keeps them. Plain C, no DPDK.
 */
#ifndef RG_MSG_H
#define RG_MSG_H

#include <stdarg.h>

#define RG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Set the program name shown before each line (default "rcptgate"). */
void msg_set_progname(const char *name);

/* Quieten msg_info (used by tests and -q); msg_mail is not affected. */
void msg_set_verbose(int verbose);

/*
 * msg_mail - the mail log: a line about a client's session (a refused
 * recipient, "too many errors", ...), written as msg_info writes, but
 * never quietened: it is the operator's record of what was refused.
 */
void msg_mail(const char *fmt, ...) RG_PRINTF(1, 2);
void msg_info(const char *fmt, ...) RG_PRINTF(1, 2);
void msg_warn(const char *fmt, ...) RG_PRINTF(1, 2);
void msg_error(const char *fmt, ...) RG_PRINTF(1, 2);
_Noreturn void msg_fatal(const char *fmt, ...) RG_PRINTF(1, 2);
_Noreturn void msg_panic(const char *fmt, ...) RG_PRINTF(1, 2);

#endif /* RG_MSG_H */
