/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	maillog.c - log lines the way Postfix writes them (see maillog.h)
 * DESCRIPTION
 *	Not syslog(3): its identity ("ident") is one per process, and the
 *	daemon speaks as two programs (SYSLOG_NAME/smtpd and
 *	SYSLOG_NAME/rcptgate) and may use another socket than /dev/log;
 *	the datagram it sends is the same as syslog(3)'s (RFC 3164 with
 *	no host name: the syslog daemon adds its own).
 * DIAGNOSTICS
 *	Counted in maillog.errors; a refused line goes to stderr.
 * TRUST
 *	The daemon's own text, cut to fit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include "maillog.h"

static const struct {
	const char *name;
	int value;
} maillog_facilities[] = {
	{ "auth", LOG_AUTH },	  { "authpriv", LOG_AUTHPRIV }, { "cron", LOG_CRON },
	{ "daemon", LOG_DAEMON }, { "ftp", LOG_FTP },		{ "kern", LOG_KERN },
	{ "lpr", LOG_LPR },	  { "mail", LOG_MAIL },		{ "news", LOG_NEWS },
	{ "syslog", LOG_SYSLOG }, { "user", LOG_USER },		{ "uucp", LOG_UUCP },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },	{ "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },	{ "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

_Static_assert(sizeof(((struct sockaddr_un *)0)->sun_path) == CFG_SOCKET_PATH_MAX,
	       "CFG_SOCKET_PATH_MAX is not the size of sun_path");

#define N_FACILITIES (sizeof(maillog_facilities) / sizeof(maillog_facilities[0]))

/* The program part of the tag, by source. */
static const char *const maillog_progs[MSG_SRC_MAX] = {
	[MSG_SRC_DAEMON] = "rcptgate",
	[MSG_SRC_SMTPD] = "smtpd",
};

int
maillog_facility(const char *name)
{
	for (size_t i = 0; i < N_FACILITIES; i++)
		if (strcmp(maillog_facilities[i].name, name) == 0)
			return maillog_facilities[i].value;
	return -1;
}

const char *
maillog_facility_name(int facility)
{
	for (size_t i = 0; i < N_FACILITIES; i++)
		if (maillog_facilities[i].value == facility)
			return maillog_facilities[i].name;
	return "?";
}

int
maillog_priority(enum msg_level level)
{
	switch (level) {
	case MSG_INFO:
		return LOG_INFO;
	case MSG_WARN:
		return LOG_WARNING;
	case MSG_ERROR:
		return LOG_ERR;
	default:
		return LOG_CRIT; /* fatal and panic, as Postfix */
	}
}

bool
maillog_to_stdout(const struct maillog *ml)
{
	return !ml->to_syslog && !ml->own_fd;
}

static int
maillog_open_file(struct maillog *ml)
{
	struct stat st;

	if (strcmp(ml->path, "/dev/stdout") == 0) {
		ml->fd = STDOUT_FILENO;
		ml->own_fd = false;
		return 0;
	}
	int fd = open(ml->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0) {
		ml->dev = st.st_dev;
		ml->ino = st.st_ino;
	}
	ml->fd = fd;
	ml->own_fd = true;
	return 0;
}

/* Connect the syslog socket; ML->fd stays -1 when nobody listens. */
static void
maillog_connect(struct maillog *ml)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 1 }; /* a stuck syslog daemon costs a line, not the writer */

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ml->path) >= sizeof(sa.sun_path))
		return; /* cut short, it would name another socket (the configuration refuses it) */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return;
	}
	ml->fd = fd;
	ml->own_fd = true;
}

int
maillog_open(struct maillog *ml, const struct rg_config *cfg, pid_t pid, char *err, size_t errlen)
{
	memset(ml, 0, sizeof(*ml));
	ml->fd = -1;
	ml->pid = pid;
	ml->facility = cfg->syslog_facility;
	snprintf(ml->name, sizeof(ml->name), "%s", cfg->syslog_name);
	snprintf(ml->host, sizeof(ml->host), "%.*s", (int)strcspn(cfg->myhostname, "."), cfg->myhostname);
	ml->to_syslog = cfg->maillog_file[0] == '\0';
	snprintf(ml->path, sizeof(ml->path), "%s", ml->to_syslog ? cfg->syslog_socket : cfg->maillog_file);
	if (ml->to_syslog) {
		maillog_connect(ml);
		return 0;
	}
	int rc = maillog_open_file(ml);
	if (rc < 0)
		snprintf(err, errlen, "%s:%u: maillog_file: %s: %s", cfg->path,
			 cfg_key_line(cfg, "maillog_file"), ml->path, strerror(-rc));
	return rc;
}

size_t
maillog_format(const struct maillog *ml, char *buf, size_t cap, enum msg_source src, enum msg_level level,
	       time_t when, const char *text, size_t len)
{
	struct tm tm;
	char stamp[32];
	const char *prog = (unsigned)src < MSG_SRC_MAX ? maillog_progs[src] : "?";
	bool file = !ml->to_syslog;
	int n;

	if (cap == 0)
		return 0;
	localtime_r(&when, &tm);
	/* syslog(3)'s stamp has a space-padded day; Postfix's maillog_file a two-digit one */
	if (strftime(stamp, sizeof(stamp), file ? "%b %d %H:%M:%S" : "%b %e %H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	if (file)
		n = snprintf(buf, cap, "%s %s %s/%s[%ld]: ", stamp, ml->host, ml->name, prog, (long)ml->pid);
	else
		n = snprintf(buf, cap, "<%d>%s %s/%s[%ld]: ", ml->facility | maillog_priority(level), stamp,
			     ml->name, prog, (long)ml->pid);
	if (n < 0)
		n = 0;
	size_t o = (size_t)n < cap ? (size_t)n : cap - 1;
	size_t tail = file ? 1 : 0; /* the newline of a file line */
	size_t room = cap - 1 - o > tail ? cap - 1 - o - tail : 0;
	if (len > room)
		len = room;
	memcpy(buf + o, text, len);
	o += len;
	if (file && o < cap - 1)
		buf[o++] = '\n';
	buf[o] = '\0';
	return o;
}

/* Write all of BUF[0..N) to FD; false when it refused. */
static bool
maillog_put(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		n -= (size_t)w;
	}
	return true;
}

static bool
maillog_send(struct maillog *ml, const char *buf, size_t n)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (ml->fd < 0)
			maillog_connect(ml);
		if (ml->fd < 0)
			return false;
		if (send(ml->fd, buf, n, MSG_NOSIGNAL) == (ssize_t)n)
			return true;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EMSGSIZE)
			return false; /* the daemon is alive but stuck: do not wait again */
		close(ml->fd);	      /* restarted syslog daemon: connect anew */
		ml->fd = -1;
	}
	return false;
}

bool
maillog_write(struct maillog *ml, enum msg_source src, enum msg_level level, time_t when, const char *text,
	      size_t len)
{
	char line[MAILLOG_LINE_MAX];
	size_t n = maillog_format(ml, line, sizeof(line), src, level, when, text, len);

	if (ml->to_syslog ? maillog_send(ml, line, n) : ml->fd >= 0 && maillog_put(ml->fd, line, n))
		return false;
	ml->errors++;
	if (ml->to_syslog) { /* stderr gets the file form */
		ml->to_syslog = false;
		n = maillog_format(ml, line, sizeof(line), src, level, when, text, len);
		ml->to_syslog = true;
	}
	(void)maillog_put(STDERR_FILENO, line, n);
	return true;
}

bool
maillog_reopen(struct maillog *ml)
{
	struct stat st;

	if (ml->to_syslog || !ml->own_fd)
		return false;
	if (stat(ml->path, &st) == 0 && st.st_dev == ml->dev && st.st_ino == ml->ino)
		return false;
	int old = ml->fd;
	if (maillog_open_file(ml) != 0) {
		ml->fd = old; /* keep writing where we could */
		return false;
	}
	if (old >= 0)
		close(old);
	return true;
}

void
maillog_close(struct maillog *ml)
{
	if (ml->fd >= 0 && ml->own_fd)
		close(ml->fd);
	ml->fd = -1;
}
