/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	rcptgate-bench - SMTP load generator for rcptgate (and Postfix)
 * SYNOPSIS
 *	rcptgate-bench [options] --server ADDR[:PORT] [-- EAL args]
 *	rcptgate-bench --write-users FILE [--users N] [--domain D]
 * DESCRIPTION
 *	Plays many SMTP clients at once and checks every reply against
 *	what the server must answer: user<N>@domain (N < --users) are the
 *	valid recipients, nouser<N>@domain unknown ones. --write-users
 *	writes the valid list, one address a line, for `rcptgatectl
 *	compile` and `postmap`. See docs/bench.md for the scenarios and
 *	for how to run it against rcptgate and Postfix.
 * DIAGNOSTICS
 *	Exit status 0 when the run finished with no wrong reply, 1 when
 *	replies were wrong or sessions failed, 2 on bad usage or when the
 *	run could not be set up (message on stderr).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/resource.h>

#include "bench.h"

enum {
	OPT_SCENARIO = 256,
	OPT_RCPTS,
	OPT_VALID,
	OPT_DATA,
	OPT_SYN,
	OPT_TLS,
	OPT_FLOOD,
	OPT_FLOOD_RATE,
	OPT_PIPE,
	OPT_NOPIPE,
	OPT_USERS,
	OPT_DOMAIN,
	OPT_DATA_CODE,
	OPT_CONC,
	OPT_SESSIONS,
	OPT_DURATION,
	OPT_TIMEOUT,
	OPT_PROGRESS,
	OPT_JSON,
	OPT_QUIET,
	OPT_SEED,
	OPT_SERVER,
	OPT_SRC,
	OPT_SRC_COUNT,
	OPT_RST,
	OPT_RTO,
	OPT_HOLD,
	OPT_QUEUES,
	OPT_HOLD_PORT,
	OPT_MODE,
	OPT_WRITE_USERS,
	OPT_HELP
};

static const struct option rb_longopts[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "src", required_argument, NULL, OPT_SRC },
	{ "src-count", required_argument, NULL, OPT_SRC_COUNT },
	{ "scenario", required_argument, NULL, OPT_SCENARIO },
	{ "rcpts", required_argument, NULL, OPT_RCPTS },
	{ "valid", required_argument, NULL, OPT_VALID },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "syn-flood", required_argument, NULL, OPT_SYN },
	{ "tls", optional_argument, NULL, OPT_TLS },
	{ "tls-flood", required_argument, NULL, OPT_FLOOD },
	{ "tls-flood-rate", required_argument, NULL, OPT_FLOOD_RATE },
	{ "pipelining", no_argument, NULL, OPT_PIPE },
	{ "no-pipelining", no_argument, NULL, OPT_NOPIPE },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "data-code", required_argument, NULL, OPT_DATA_CODE },
	{ "concurrency", required_argument, NULL, OPT_CONC },
	{ "sessions", required_argument, NULL, OPT_SESSIONS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "progress", required_argument, NULL, OPT_PROGRESS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "rst-close", no_argument, NULL, OPT_RST },
	{ "rto-ms", required_argument, NULL, OPT_RTO },
	{ "hold-ms", required_argument, NULL, OPT_HOLD },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "hold-port", no_argument, NULL, OPT_HOLD_PORT },
	{ "write-users", required_argument, NULL, OPT_WRITE_USERS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char *
rb_optname(int c)
{
	for (const struct option *p = rb_longopts; p->name != NULL; p++)
		if (p->val == c)
			return p->name;
	return "?";
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: rcptgate-bench [options] --server ADDR[:PORT] [-- EAL args]\n"
		"       rcptgate-bench --write-users FILE [--users N] [--domain D]\n\n"
		"  --mode socket|dpdk    kernel sockets (epoll) or DPDK with its own TCP (socket)\n"
		"  --server ADDR[:PORT]  the SMTP server (port 25); [IPV6]:PORT or IPV6: over IPv6\n"
		"  --src ADDR            first client address (socket: bind; dpdk: source),\n"
		"                        of the server's family\n"
		"  --src-count N         rotate over N consecutive client addresses (1)\n"
		"  --scenario S          reject: 1 unknown RCPT, no pipelining\n"
		"                        dict: 100 pipelined RCPTs, 10%% valid\n"
		"                        mixed: 10 pipelined RCPTs, 50%% valid, 20%% sessions with DATA\n"
		"  --rcpts N             recipients per session (1..%d)\n"
		"  --valid PCT           share of valid recipients\n"
		"  --data PCT            share of sessions with DATA (mixed)\n"
		"  --syn-flood PCT       bare SYNs per 100 sessions\n"
		"  --tls[=PCT]           STARTTLS in PCT%% of the sessions (100): EHLO, STARTTLS,\n"
		"                        the handshake, then the scenario inside TLS\n"
		"  --tls-flood PCT       dpdk mode: PCT%% of the sessions send EHLO, STARTTLS, one\n"
		"                        replayed ClientHello, and reset once it is answered\n"
		"  --tls-flood-rate N    dpdk mode: besides the --concurrency sessions, open N\n"
		"                        connections/s that do the same, whatever became of the\n"
		"                        earlier ones (open loop); not counted as sessions, a\n"
		"                        ClientHello unanswered after 1 s is reset and counted lost\n"
		"  --pipelining, --no-pipelining\n"
		"  --users N             valid addresses user0..user<N-1>@DOMAIN (100000)\n"
		"  --domain D            recipient domain (example.com)\n"
		"  --data-code C         reply expected at the end of DATA (250)\n"
		"  --concurrency N       sessions in flight (64)\n"
		"  --sessions N          stop after N sessions\n"
		"  --duration S          stop after S seconds (10 unless --sessions)\n"
		"  --timeout S           a session longer than S seconds is an error (10)\n"
		"  --progress S          progress line every S seconds on stderr (1; 0 = none)\n"
		"  --json                summary as one JSON object\n"
		"  --quiet               no progress lines\n"
		"  --rst-close           socket mode: close with RST (no TIME_WAIT)\n"
		"  --rto-ms MS           dpdk mode: least retransmission timeout (200)\n"
		"  --hold-ms MS          dpdk mode: keep each session idle MS after the banner\n"
		"  --queues N            dpdk mode: N RX/TX queue pairs (1..%d); a session goes on\n"
		"                        queue (client port mod N) both ways; over memif that queue\n"
		"                        is rcptgate's worker of the same number: give it workers = N\n"
		"  --hold-port           dpdk mode: after the run, keep the port open (not polled)\n"
		"                        until standard input ends, then print the summary\n"
		"  --seed N              recipient draw (1)\n",
		RB_RCPT_MAX, RB_QUEUES_MAX);
}

static int
rb_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max || *s == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int
rb_double(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return end == s || *end != '\0' || *out < 0 ? -EINVAL : 0;
}

/* ADDR[:PORT], [IPV6][:PORT] or a bare IPV6 (port 25): sets the family. */
static int
rb_server(const char *arg, struct rb_opts *o)
{
	char host[64];
	const char *h = arg, *colon = strchr(arg, ':');
	unsigned long port = 25;

	if (arg[0] == '[') {
		h = arg + 1;
		const char *close = strchr(h, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -EINVAL;
		colon = close[1] == ':' ? close + 1 : NULL;
		o->v6 = true;
		if ((size_t)(close - h) >= sizeof(host))
			return -EINVAL;
		memcpy(host, h, (size_t)(close - h));
		host[close - h] = '\0';
	} else if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		o->v6 = true; /* a bare IPv6 address: no port */
		colon = NULL;
		if (strlen(arg) >= sizeof(host))
			return -EINVAL;
		strcpy(host, arg);
	} else {
		size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, arg, n);
		host[n] = '\0';
		o->v6 = false;
	}
	if (colon && (rb_uint(colon + 1, 65535, &port) != 0 || port == 0))
		return -EINVAL;
	if (o->v6 ? inet_pton(AF_INET6, host, &o->server6) != 1 : inet_pton(AF_INET, host, &o->server) != 1)
		return -EINVAL;
	o->port = (uint16_t)port;
	return 0;
}

static void
rb_defaults(struct rb_opts *o, enum rb_scenario sc)
{
	o->scenario = sc;
	switch (sc) {
	case RB_SC_REJECT:
		o->rcpts = 1, o->valid_pct = 0, o->data_pct = 0, o->pipelining = false;
		break;
	case RB_SC_DICT:
		o->rcpts = 100, o->valid_pct = 10, o->data_pct = 0, o->pipelining = true;
		break;
	case RB_SC_MIXED:
		o->rcpts = 10, o->valid_pct = 50, o->data_pct = 20, o->pipelining = true;
		break;
	}
}

static int
rb_write_users(const struct rb_opts *o, const char *path)
{
	FILE *f = fopen(path, "w");
	char line[256];

	if (f == NULL) {
		fprintf(stderr, "rcptgate-bench: %s: %s\n", path, strerror(errno));
		return 2;
	}
	for (unsigned i = 0; i < o->users; i++) {
		if (rb_user_line(o, i, line, sizeof(line)) < 0)
			break;
		fputs(line, f);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "rcptgate-bench: %s: %s\n", path, strerror(errno));
		return 2;
	}
	return 0;
}

static double
rb_cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		(double)ru.ru_stime.tv_usec / 1e6;
}

/* Apply option C with argument ARG to O (the scenario was applied first). */
static int
rb_option(struct rb_opts *o, int c, const char *arg, const char **mode, const char **users_file)
{
	unsigned long v;
	double d;

	switch (c) {
	case OPT_MODE:
		*mode = arg;
		return strcmp(arg, "socket") == 0 || strcmp(arg, "dpdk") == 0 ? 0 : -EINVAL;
	case OPT_SERVER:
		return rb_server(arg, o);
	case OPT_SRC:
		o->src_set = true;
		return inet_pton(AF_INET, arg, &o->src) == 1 || inet_pton(AF_INET6, arg, &o->src6) == 1
			? 0
			: -EINVAL;
	case OPT_SRC_COUNT:
	case OPT_QUEUES:
		if (rb_uint(arg, c == OPT_QUEUES ? RB_QUEUES_MAX : 1u << 24, &v) != 0 || v == 0)
			return -EINVAL;
		*(c == OPT_QUEUES ? &o->queues : &o->src_count) = (unsigned)v;
		return 0;
	case OPT_RCPTS:
		if (rb_uint(arg, RB_RCPT_MAX, &v) != 0 || v == 0)
			return -EINVAL;
		o->rcpts = (unsigned)v;
		return 0;
	case OPT_VALID:
	case OPT_DATA:
	case OPT_SYN:
		if (rb_uint(arg, c == OPT_SYN ? 10000 : 100, &v) != 0)
			return -EINVAL;
		*(c == OPT_VALID ? &o->valid_pct : c == OPT_DATA ? &o->data_pct : &o->syn_pct) = (unsigned)v;
		return 0;
	case OPT_TLS:
		if (arg == NULL) {
			o->tls_pct = 100;
			return 0;
		}
		if (rb_uint(arg, 100, &v) != 0 || v == 0)
			return -EINVAL;
		o->tls_pct = (unsigned)v;
		return 0;
	case OPT_FLOOD:
		if (rb_uint(arg, 100, &v) != 0 || v == 0)
			return -EINVAL;
		o->flood_pct = (unsigned)v;
		return 0;
	case OPT_FLOOD_RATE:
		if (rb_uint(arg, 1000000, &v) != 0 || v == 0)
			return -EINVAL;
		o->flood_rate = (unsigned)v;
		return 0;
	case OPT_PIPE:
	case OPT_NOPIPE:
		o->pipelining = c == OPT_PIPE;
		return 0;
	case OPT_USERS:
		if (rb_uint(arg, 1u << 30, &v) != 0)
			return -EINVAL;
		o->users = (unsigned)v;
		return 0;
	case OPT_DOMAIN:
		if (strlen(arg) >= sizeof(o->domain) || strpbrk(arg, "<>@ \r\n") != NULL)
			return -EINVAL;
		strcpy(o->domain, arg);
		return 0;
	case OPT_DATA_CODE:
		if (rb_uint(arg, 599, &v) != 0 || v < 200)
			return -EINVAL;
		o->data_code = (unsigned)v;
		return 0;
	case OPT_CONC:
		if (rb_uint(arg, 1u << 22, &v) != 0 || v == 0)
			return -EINVAL;
		o->concurrency = (unsigned)v;
		return 0;
	case OPT_SESSIONS:
		if (rb_uint(arg, ~0ul, &v) != 0)
			return -EINVAL;
		o->sessions = v;
		return 0;
	case OPT_DURATION:
	case OPT_TIMEOUT:
	case OPT_PROGRESS:
	case OPT_RTO:
	case OPT_HOLD:
		if (rb_double(arg, &d) != 0 || (c == OPT_RTO && d < 0.01))
			return -EINVAL;
		*(c == OPT_DURATION	     ? &o->duration
			  : c == OPT_TIMEOUT ? &o->timeout
			  : c == OPT_RTO     ? &o->rto_ms
			  : c == OPT_HOLD    ? &o->hold_ms
					     : &o->progress) = d;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_QUIET:
		o->quiet = true;
		return 0;
	case OPT_SEED:
		if (rb_uint(arg, ~0ul, &v) != 0)
			return -EINVAL;
		o->seed = v;
		return 0;
	case OPT_RST:
		o->rst_close = true;
		return 0;
	case OPT_HOLD_PORT:
		o->hold_port = true;
		return 0;
	case OPT_WRITE_USERS:
		*users_file = arg;
		return 0;
	default:
		return -EINVAL;
	}
}

int
main(int argc, char **argv)
{
	struct rb_opts o = { .users = 100000,
			     .domain = "example.com",
			     .data_code = 250,
			     .concurrency = 64,
			     .timeout = 10,
			     .progress = 1,
			     .seed = 1,
			     .src_count = 1,
			     .queues = 1,
			     .rto_ms = 200 };
	const char *mode = "socket", *users_file = NULL;
	int c;

	rb_defaults(&o, RB_SC_REJECT);
	/* The scenario sets defaults the other options refine: read it first. */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *sc = NULL;
		if (strcmp(argv[i], "--scenario") == 0 && i + 1 < argc)
			sc = argv[i + 1];
		else if (strncmp(argv[i], "--scenario=", 11) == 0)
			sc = argv[i] + 11;
		if (sc == NULL)
			continue;
		if (strcmp(sc, "reject") == 0)
			rb_defaults(&o, RB_SC_REJECT);
		else if (strcmp(sc, "dict") == 0)
			rb_defaults(&o, RB_SC_DICT);
		else if (strcmp(sc, "mixed") == 0)
			rb_defaults(&o, RB_SC_MIXED);
		else {
			fprintf(stderr, "rcptgate-bench: unknown scenario '%s'\n", sc);
			return 2;
		}
	}
	while ((c = getopt_long(argc, argv, "h", rb_longopts, NULL)) != -1) {
		if (c == 'h' || c == OPT_HELP) {
			usage(stdout);
			return 0;
		}
		if (c == OPT_SCENARIO)
			continue;
		if (c == '?' || rb_option(&o, c, optarg, &mode, &users_file) != 0) {
			if (c != '?')
				fprintf(stderr, "rcptgate-bench: bad value for --%s: '%s'\n", rb_optname(c),
					optarg ? optarg : "");
			usage(stderr);
			return 2;
		}
	}
	if (users_file != NULL)
		return rb_write_users(&o, users_file);
	if (o.v6 ? IN6_IS_ADDR_UNSPECIFIED(&o.server6) : o.server.s_addr == 0) {
		fprintf(stderr, "rcptgate-bench: --server is required\n");
		usage(stderr);
		return 2;
	}
	if (o.src_set && (o.v6 ? IN6_IS_ADDR_UNSPECIFIED(&o.src6) : o.src.s_addr == 0)) {
		fprintf(stderr, "rcptgate-bench: --src and --server must be of one family\n");
		return 2;
	}
	if (o.flood_pct + o.tls_pct > 100) {
		fprintf(stderr, "rcptgate-bench: --tls-flood and --tls add up to more than 100%%\n");
		return 2;
	}
	if ((o.hold_ms > 0 || o.flood_pct > 0 || o.flood_rate > 0 || o.queues > 1 || o.hold_port) &&
	    strcmp(mode, "dpdk") != 0) {
		fprintf(stderr,
			"rcptgate-bench: --hold-ms, --tls-flood[-rate], --queues and --hold-port need --mode "
			"dpdk\n");
		return 2;
	}
	if (o.duration == 0 && o.sessions == 0)
		o.duration = 10;
	if (o.timeout == 0)
		o.timeout = 10;
	o.eal_argc = argc - optind + 1;
	o.eal_argv = argv + optind - 1;

	struct rb_stats *st = calloc(1, sizeof(*st));
	double seconds = 0, cpu0 = rb_cpu_seconds();
	if (st == NULL)
		return 2;
	int rc = strcmp(mode, "dpdk") == 0 ? rb_run_dpdk(&o, st, &seconds) : rb_run_socket(&o, st, &seconds);
	if (rc < 0) {
		fprintf(stderr, "rcptgate-bench: %s mode failed: %s\n", mode, strerror(-rc));
		free(st);
		return 2;
	}
	rb_summary(&o, mode, st, seconds, rb_cpu_seconds() - cpu0);
	rc = st->wrong == 0 && st->errors == 0 && st->sessions > 0 ? 0 : 1;
	free(st);
	return rc;
}
