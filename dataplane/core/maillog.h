/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	maillog.h - log lines the way Postfix writes them: syslog, or
 *	maillog_file
 * DESCRIPTION
 *	A line from msg.h (its source, level and text) becomes
 *
 *	  to syslog (syslog_socket, default /dev/log), one datagram:
 *	    <PRI>Mmm dd hh:mm:ss SYSLOG_NAME/PROG[PID]: TEXT
 *	  to maillog_file (a file, or /dev/stdout), one line:
 *	    Mmm dd hh:mm:ss HOST SYSLOG_NAME/PROG[PID]: TEXT
 *
 *	PROG is "smtpd" for the SMTP service's lines (the reject log) and
 *	"rcptgate" for the daemon's own; PRI is syslog_facility with the
 *	level's priority (info, warning, err, crit for fatal and panic, as
 *	Postfix maps them); HOST is myhostname up to its first dot and the
 *	file's time stamp has a two-digit day, as Postfix's maillog_file
 *	lines have; the syslog time stamp is the one syslog(3) sends. So
 *	fail2ban's postfix filter (with _daemon = SYSLOG_NAME/smtpd, or
 *	nothing when syslog_name is postfix-NAME) and pflogsumm
 *	(--syslog-name=SYSLOG_NAME) read the lines as Postfix's own.
 *
 *	A struct maillog is used by one thread at a time (the daemon's
 *	writer holds a lock). Plain C, no DPDK.
 * DIAGNOSTICS
 *	maillog_open fails only for a file that cannot be opened; a syslog
 *	socket nobody listens on is retried for every line. A line the
 *	socket or the file refuses is written to stderr instead and counted
 *	in maillog.errors.
 * TRUST
 *	The text is the daemon's (client data in it was made printable by
 *	the SMTP engine); it is cut, never overflowed.
 */
#ifndef RG_MAILLOG_H
#define RG_MAILLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "msg.h"

#define MAILLOG_LINE_MAX (MSG_TEXT_MAX + 2 * CFG_STR_MAX + 64) /* one formatted line */

struct maillog {
	int fd;		/* the file, the connected socket, or -1 */
	bool to_syslog; /* syslog_socket, else maillog_file */
	bool own_fd;	/* false for standard output (not ours to close) */
	int facility;	/* syslog_facility, a <syslog.h> LOG_xxx value */
	pid_t pid;
	dev_t dev; /* of the open file, to see it rotated */
	ino_t ino;
	char name[CFG_STR_MAX]; /* syslog_name */
	char host[CFG_STR_MAX]; /* myhostname up to its first dot */
	char path[CFG_STR_MAX]; /* the file or the socket */
	uint64_t errors;	/* lines not written where they should go */
};

/*
 * maillog_facility - the <syslog.h> value of the facility NAME ("mail",
 * "local0", ...), or -1 when NAME is none of those Postfix accepts.
 */
int maillog_facility(const char *name);

/* maillog_facility_name - the name of FACILITY, "?" when unknown. */
const char *maillog_facility_name(int facility);

/* maillog_priority - the syslog priority of LEVEL (LOG_INFO ... LOG_CRIT). */
int maillog_priority(enum msg_level level);

/*
 * maillog_open - set ML up from CFG (syslog_name, syslog_facility,
 * maillog_file or syslog_socket, myhostname) for process PID: open the
 * file (created mode 0640, appended to; /dev/stdout is standard
 * output), or try to connect the syslog socket.
 *
 * Return: 0; -errno with ERR set when the file cannot be opened.
 */
int maillog_open(struct maillog *ml, const struct rg_config *cfg, pid_t pid, char *err, size_t errlen);

/*
 * maillog_format - write the line for (SRC, LEVEL, TEXT[0..LEN)) at
 * time WHEN into BUF (CAP octets; MAILLOG_LINE_MAX always fits), in the
 * form ML writes: a syslog datagram, or a file line ending in a newline.
 *
 * Return: its length (TEXT is cut to fit; BUF is NUL-terminated).
 */
size_t maillog_format(const struct maillog *ml, char *buf, size_t cap, enum msg_source src,
		      enum msg_level level, time_t when, const char *text, size_t len);

/*
 * maillog_write - format and write one line (see maillog_format). A
 * syslog socket is (re)connected as needed; when the socket or file
 * refuses the line, it goes to stderr in the file form instead and
 * ML->errors counts it.
 *
 * Return: true when the line went to stderr instead.
 */
bool maillog_write(struct maillog *ml, enum msg_source src, enum msg_level level, time_t when,
		   const char *text, size_t len);

/*
 * maillog_reopen - open maillog_file again when the path now names
 * another file, or none (log rotation moved it away). Nothing for
 * syslog or standard output.
 *
 * Return: true when it reopened the file.
 */
bool maillog_reopen(struct maillog *ml);

/* maillog_to_stdout - whether ML writes to standard output. */
bool maillog_to_stdout(const struct maillog *ml);

/* maillog_close - close what maillog_open opened. */
void maillog_close(struct maillog *ml);

#endif /* RG_MAILLOG_H */
