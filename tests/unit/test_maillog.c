/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_maillog - unit tests of the log line formats and writers
 * DESCRIPTION
 *	The syslog datagram and the maillog_file line, byte for byte, as
 *	Postfix and syslog(3) write them (fail2ban's postfix filter and
 *	pflogsumm read exactly this: tests/integration/logs_tools.sh runs
 *	them); the facility and priority tables; cutting long text; a file
 *	reopened after rotation; a syslog socket that goes away (stderr
 *	instead, counted) and comes back; msg.h's sink and its stderr copy.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "config.h"
#include "maillog.h"
#include "msg.h"

#define WHEN 1699240000 /* 2023-11-06 03:06:40 UTC: a one-digit day */
#define REJECT \
	"NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 550 5.1.1 <x@example.com>: Recipient " \
	"address rejected: User unknown; from=<> to=<x@example.com> proto=ESMTP helo=<c>"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rg-maillog.XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
conf(struct rg_config *cfg, const char *extra)
{
	char text[1024], err[CFG_ERR_MAX];

	snprintf(text, sizeof(text),
		 "port_mode = af_packet\ninterface = v\nlisten = 10.0.0.1\n"
		 "myhostname = mx.example.org\n%s",
		 extra);
	if (cfg_load_string(cfg, "t.conf", text, strlen(text), err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* Read the whole file PATH into BUF. */
static size_t
slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

static void
test_tables(void **state)
{
	(void)state;
	assert_int_equal(maillog_facility("mail"), LOG_MAIL);
	assert_int_equal(maillog_facility("daemon"), LOG_DAEMON);
	assert_int_equal(maillog_facility("local7"), LOG_LOCAL7);
	assert_int_equal(maillog_facility("Mail"), -1);
	assert_int_equal(maillog_facility(""), -1);
	assert_string_equal(maillog_facility_name(LOG_LOCAL0), "local0");
	assert_string_equal(maillog_facility_name(LOG_MAIL), "mail");
	assert_int_equal(maillog_priority(MSG_INFO), LOG_INFO);
	assert_int_equal(maillog_priority(MSG_WARN), LOG_WARNING);
	assert_int_equal(maillog_priority(MSG_ERROR), LOG_ERR);
	assert_int_equal(maillog_priority(MSG_FATAL), LOG_CRIT);
	assert_int_equal(maillog_priority(MSG_PANIC), LOG_CRIT);
	assert_string_equal(msg_level_word(MSG_WARN), "warning");
	assert_string_equal(msg_level_word(MSG_INFO), "");
}

static void
test_format(void **state)
{
	struct rg_config cfg;
	struct maillog ml;
	char buf[MAILLOG_LINE_MAX], err[256], extra[256];
	(void)state;

	/* syslog: the datagram syslog(3) sends, no host, space-padded day */
	snprintf(extra, sizeof(extra), "syslog_socket = %s/none\n", tmpdir);
	conf(&cfg, extra);
	assert_int_equal(maillog_open(&ml, &cfg, 4242, err, sizeof(err)), 0);
	size_t n =
		maillog_format(&ml, buf, sizeof(buf), MSG_SRC_SMTPD, MSG_INFO, WHEN, REJECT, strlen(REJECT));
	assert_string_equal(buf, "<22>Nov  6 03:06:40 rcptgate/smtpd[4242]: " REJECT);
	assert_int_equal(n, strlen(buf));
	maillog_format(&ml, buf, sizeof(buf), MSG_SRC_DAEMON, MSG_WARN, WHEN, "warning: w", 10);
	assert_string_equal(buf, "<20>Nov  6 03:06:40 rcptgate/rcptgate[4242]: warning: w");
	maillog_close(&ml);

	/* another name and facility: Postfix's multi-instance convention */
	snprintf(extra, sizeof(extra),
		 "syslog_socket = %s/none\nsyslog_name = postfix-mx1\n"
		 "syslog_facility = local3\n",
		 tmpdir);
	conf(&cfg, extra);
	assert_int_equal(maillog_open(&ml, &cfg, 7, err, sizeof(err)), 0);
	maillog_format(&ml, buf, sizeof(buf), MSG_SRC_DAEMON, MSG_FATAL, WHEN, "fatal: f", 8);
	assert_string_equal(buf, "<154>Nov  6 03:06:40 postfix-mx1/rcptgate[7]: fatal: f");
	maillog_close(&ml);

	/* maillog_file: Postfix's line, host and two-digit day */
	conf(&cfg, "maillog_file = /dev/stdout\n");
	assert_int_equal(maillog_open(&ml, &cfg, 4242, err, sizeof(err)), 0);
	assert_true(maillog_to_stdout(&ml));
	maillog_format(&ml, buf, sizeof(buf), MSG_SRC_SMTPD, MSG_INFO, WHEN, REJECT, strlen(REJECT));
	assert_string_equal(buf, "Nov 06 03:06:40 mx rcptgate/smtpd[4242]: " REJECT "\n");

	/* cut to fit, still one line with its newline */
	n = maillog_format(&ml, buf, 48, MSG_SRC_SMTPD, MSG_INFO, WHEN, REJECT, strlen(REJECT));
	assert_int_equal(n, 47);
	assert_int_equal(strlen(buf), 47);
	assert_int_equal(buf[46], '\n');
	assert_memory_equal(buf, "Nov 06 03:06:40 mx rcptgate/smtpd[4242]: NOQUE", 46);
	/* a buffer too small for the head: terminated, nothing overrun */
	n = maillog_format(&ml, buf, 8, MSG_SRC_SMTPD, MSG_INFO, WHEN, REJECT, strlen(REJECT));
	assert_int_equal(n, strlen(buf));
	assert_true(n < 8);
	maillog_close(&ml);
}

static void
test_file_and_rotation(void **state)
{
	struct rg_config cfg;
	struct maillog ml;
	char path[128], moved[128], extra[192], err[256], got[4096];
	(void)state;

	snprintf(path, sizeof(path), "%s/mail.log", tmpdir);
	snprintf(moved, sizeof(moved), "%s/mail.log.1", tmpdir);
	snprintf(extra, sizeof(extra), "maillog_file = %s\n", path);
	conf(&cfg, extra);
	assert_int_equal(maillog_open(&ml, &cfg, 99, err, sizeof(err)), 0);
	assert_false(maillog_to_stdout(&ml));
	assert_false(maillog_write(&ml, MSG_SRC_SMTPD, MSG_INFO, WHEN, "one", 3));
	assert_false(maillog_reopen(&ml)); /* still the same file */
	assert_int_equal(rename(path, moved), 0);
	assert_true(maillog_reopen(&ml));
	assert_false(maillog_write(&ml, MSG_SRC_DAEMON, MSG_ERROR, WHEN, "error: two", 10));
	maillog_close(&ml);
	slurp(moved, got, sizeof(got));
	assert_string_equal(got, "Nov 06 03:06:40 mx rcptgate/smtpd[99]: one\n");
	slurp(path, got, sizeof(got));
	assert_string_equal(got, "Nov 06 03:06:40 mx rcptgate/rcptgate[99]: error: two\n");
	assert_int_equal(ml.errors, 0);

	/* a file that cannot be opened: FILE:LINE and the reason */
	snprintf(extra, sizeof(extra), "maillog_file = %s/no/such/dir/log\n", tmpdir);
	conf(&cfg, extra);
	assert_true(maillog_open(&ml, &cfg, 99, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "t.conf:5: maillog_file: "));
	assert_non_null(strstr(err, "No such file or directory"));
}

static int
dgram_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
test_syslog_socket(void **state)
{
	struct rg_config cfg;
	struct maillog ml;
	char path[128], extra[192], err[256], got[4096];
	(void)state;

	snprintf(path, sizeof(path), "%s/log", tmpdir);
	snprintf(extra, sizeof(extra), "syslog_socket = %s\n", path);
	conf(&cfg, extra);
	int srv = dgram_listen(path);
	assert_int_equal(maillog_open(&ml, &cfg, 5, err, sizeof(err)), 0);
	assert_false(maillog_write(&ml, MSG_SRC_SMTPD, MSG_INFO, WHEN, REJECT, strlen(REJECT)));
	ssize_t n = recv(srv, got, sizeof(got) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "<22>Nov  6 03:06:40 rcptgate/smtpd[5]: " REJECT);

	/* the syslog daemon goes away: the line goes to stderr, counted */
	close(srv);
	unlink(path);
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	bool to_stderr = maillog_write(&ml, MSG_SRC_SMTPD, MSG_INFO, WHEN, "lost", 4);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_true(to_stderr);
	assert_int_equal(ml.errors, 1);
	rewind(f);
	size_t r = fread(got, 1, sizeof(got) - 1, f);
	got[r] = '\0';
	fclose(f);
	assert_string_equal(got, "Nov 06 03:06:40 mx rcptgate/smtpd[5]: lost\n");

	/* and comes back: connected again for the next line */
	srv = dgram_listen(path);
	assert_false(maillog_write(&ml, MSG_SRC_DAEMON, MSG_INFO, WHEN, "back", 4));
	n = recv(srv, got, sizeof(got) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "<22>Nov  6 03:06:40 rcptgate/rcptgate[5]: back");
	assert_int_equal(ml.errors, 1);
	maillog_close(&ml);
	close(srv);
}

/* msg.h's sink: what it receives, and what still reaches stderr. */
struct seen {
	unsigned n;
	enum msg_source src[4];
	enum msg_level level[4];
	char text[4][64];
};

static bool
sink(void *arg, enum msg_source src, enum msg_level level, const char *text, size_t len)
{
	struct seen *s = arg;
	if (s->n < 4) {
		s->src[s->n] = src;
		s->level[s->n] = level;
		snprintf(s->text[s->n], sizeof(s->text[0]), "%.*s", (int)len, text);
	}
	s->n++;
	return false;
}

static void
test_msg_sink(void **state)
{
	struct seen s = { 0 };
	char got[512];
	(void)state;

	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	msg_set_sink(sink, &s);
	msg_set_stderr(MSG_STDERR_ALL);
	msg_mail("NOQUEUE: reject: %d", 1);
	msg_set_stderr(MSG_STDERR_FATAL);
	msg_warn("w %s", "x");
	msg_set_stderr(MSG_STDERR_NONE);
	msg_error("e");
	msg_set_sink(NULL, NULL);
	msg_set_stderr(MSG_STDERR_ALL);
	msg_info("no sink");
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	size_t r = fread(got, 1, sizeof(got) - 1, f);
	got[r] = '\0';
	fclose(f);

	assert_int_equal(s.n, 3);
	assert_int_equal(s.src[0], MSG_SRC_SMTPD);
	assert_int_equal(s.level[0], MSG_INFO);
	assert_string_equal(s.text[0], "NOQUEUE: reject: 1");
	assert_int_equal(s.src[1], MSG_SRC_DAEMON);
	assert_int_equal(s.level[1], MSG_WARN);
	assert_string_equal(s.text[1], "warning: w x");
	assert_int_equal(s.level[2], MSG_ERROR);
	assert_string_equal(s.text[2], "error: e");
	/* stderr: the first (all), not the warning (fatal only) nor the error (none); no sink: all */
	assert_string_equal(got, "rcptgate: NOQUEUE: reject: 1\nrcptgate: no sink\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_file_and_rotation),
		cmocka_unit_test(test_syslog_socket),
		cmocka_unit_test(test_msg_sink),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
