/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_config - unit tests of the configuration parser
 * DESCRIPTION
 *	Every error path must name the file and the line it found the
 *	problem on; good files must give the values they say.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "config.h"

#define BASE "port_mode = af_packet\ninterface = veth0\nlisten = 10.0.0.1\n"

static int
load(struct rg_config *cfg, const char *text, char *err)
{
	return cfg_load_string(cfg, "test.conf", text, strlen(text), err, CFG_ERR_MAX);
}

static void
test_minimal(void **state)
{
	struct rg_config cfg;
	char err[CFG_ERR_MAX] = "";
	(void)state;

	assert_int_equal(load(&cfg, BASE, err), 0);
	assert_int_equal(cfg.port_mode, CFG_PORT_AF_PACKET);
	assert_string_equal(cfg.interface, "veth0");
	assert_int_equal(cfg.listen_addr.s_addr, inet_addr("10.0.0.1"));
	assert_int_equal(cfg.listen_port, 25);
	assert_int_equal(cfg.unknown_recipient_reject_code, 550);
	assert_int_equal(cfg.relay_domains_reject_code, 554);
	assert_int_equal(cfg.smtpd_recipient_limit, 1000);
	assert_int_equal(cfg.smtpd_hard_error_limit, 20);
	assert_int_equal(cfg.smtpd_timeout, 300);
	assert_false(cfg.soft_bounce);
	assert_int_equal(cfg.workers, 1);
	assert_int_equal(cfg.memif_role, CFG_MEMIF_SERVER);
	assert_false(cfg.memif_zero_copy);
	assert_int_equal(load(&cfg, BASE "memif_role = client\nmemif_zero_copy = yes\n", err), 0);
	assert_int_equal(cfg.memif_role, CFG_MEMIF_CLIENT);
	assert_true(cfg.memif_zero_copy);
	/* memif_zero_copy is not checked against memif_role outside memif mode */
	assert_int_equal(load(&cfg, BASE "memif_zero_copy = yes\n", err), 0);
	/* the longest name the kernel takes (IFNAMSIZ - 1); one more is an error (test_errors) */
	assert_int_equal(
		load(&cfg, "port_mode = af_xdp\ninterface = veth-0123456789\nlisten = 10.0.0.1\n", err), 0);
	assert_string_equal(cfg.interface, "veth-0123456789");
}

/*
 * The socket keys: as long as a socket address holds (107 octets; 106 for
 * memif_socket, which DPDK makes an abstract name after a NUL), not one
 * more, refused with file:line whatever the port mode.
 */
static void
test_socket_length(void **state)
{
	static const char *const keys[] = { "memif_socket", "control_socket", "syslog_socket" };
	struct rg_config cfg;
	char err[CFG_ERR_MAX] = "";
	char path[CFG_SOCKET_PATH_MAX + 1], text[CFG_SOCKET_PATH_MAX + 128], want[64];
	(void)state;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		for (size_t max = CFG_SOCKET_PATH_MAX - (k == 0 ? 2 : 1), len = max; len <= max + 1; len++) {
			memset(path, 'r', len);
			path[0] = '/';
			path[len] = '\0';
			snprintf(text, sizeof(text), "port_mode = %s\nlisten = 10.0.0.1\n%s = %s\n",
				 k == 0 ? "memif" : "af_packet\ninterface = eth0", keys[k], path);
			int rc = load(&cfg, text, err);
			const char *got = k == 0 ? cfg.memif_socket
				: k == 1	 ? cfg.control_socket
						 : cfg.syslog_socket;
			if (len <= max) {
				assert_int_equal(rc, 0);
				assert_string_equal(got, path);
			} else {
				assert_int_not_equal(rc, 0);
				snprintf(want, sizeof(want), "test.conf:%d: %s: ", k == 0 ? 3 : 4, keys[k]);
				assert_non_null(strstr(err, want));
				snprintf(want, sizeof(want), "is longer than %zu octets", max);
				assert_non_null(strstr(err, want));
			}
		}
}

/* metrics_listen: off by default; IPv4 and bracketed IPv6 with a port. */
static void
test_metrics_listen(void **state)
{
	struct rg_config cfg;
	char err[CFG_ERR_MAX];
	struct in6_addr a6;
	(void)state;

	assert_int_equal(load(&cfg, BASE, err), 0);
	assert_int_equal(cfg.metrics_listen.family, 0);
	assert_int_equal(load(&cfg, BASE "metrics_listen = 127.0.0.1:9125\n", err), 0);
	assert_int_equal(cfg.metrics_listen.family, AF_INET);
	assert_int_equal(cfg.metrics_listen.a4.s_addr, inet_addr("127.0.0.1"));
	assert_int_equal(cfg.metrics_listen.port, 9125);
	assert_int_equal(load(&cfg, BASE "metrics_listen = [::1]:65535\n", err), 0);
	assert_int_equal(cfg.metrics_listen.family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "::1", &a6), 1);
	assert_memory_equal(&cfg.metrics_listen.a6, &a6, sizeof(a6));
	assert_int_equal(cfg.metrics_listen.port, 65535);
}

/* listen: a dual-stack list in Postfix's shape, and inet_protocols narrowing it. */
static void
test_listen_dual(void **state)
{
	struct rg_config cfg;
	char err[CFG_ERR_MAX] = "";
	struct in6_addr a6;
	(void)state;

	inet_pton(AF_INET6, "2001:db8::25", &a6);
	const char *lists[] = { "192.0.2.25:2525, [2001:db8::25]:2525", "[2001:db8::25]:2525 192.0.2.25:2525",
				"192.0.2.25:2525,[2001:db8::25]:2525" };
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "port_mode = af_packet\ninterface = v\nlisten = %s\n", lists[i]);
		assert_int_equal(load(&cfg, text, err), 0);
		assert_int_equal(cfg.listen_addr.s_addr, inet_addr("192.0.2.25"));
		assert_memory_equal(&cfg.listen_addr6, &a6, sizeof(a6));
		assert_int_equal(cfg.listen_port, 2525);
		assert_true(cfg_listen4(&cfg));
		assert_true(cfg_listen6(&cfg));
	}
	assert_int_equal(load(&cfg, "port_mode = af_packet\ninterface = v\nlisten = [2001:db8::25]\n", err),
			 0);
	assert_false(cfg_listen4(&cfg));
	assert_true(cfg_listen6(&cfg));
	assert_int_equal(cfg.listen_port, 25);
	assert_int_equal(load(&cfg,
			      "port_mode = af_packet\ninterface = v\nlisten = 192.0.2.25 [2001:db8::25]\n"
			      "inet_protocols = ipv4\n",
			      err),
			 0);
	assert_true(cfg_listen4(&cfg));
	assert_false(cfg_listen6(&cfg));
	assert_int_equal(load(&cfg, BASE "inet_protocols = ipv4, ipv6\n", err), 0);
	assert_int_equal(cfg.inet_protocols, CFG_INET_ALL);
}

static void
test_values(void **state)
{
	struct rg_config cfg;
	char err[CFG_ERR_MAX] = "";
	(void)state;

	const char *text = BASE "# a comment line\n"
				"\n"
				"myhostname = mx.example.org   # trailing comment\n"
				"relay_domains = Example.COM, example.net other.org\n"
				"recipient_delimiter = +-\n"
				"soft_bounce = yes\n"
				"unknown_recipient_reject_code = 450\n"
				"smtpd_timeout = 5m\n"
				"message_size_limit = 20m\n"
				"backend = lmtp:127.0.0.1:24\n"
				"reload_max_shrink = 25%\n"
				"workers = 2\n";
	assert_int_equal(load(&cfg, text, err), 0);
	assert_string_equal(cfg.myhostname, "mx.example.org");
	assert_int_equal(cfg.n_relay_domains, 3);
	assert_string_equal(cfg.relay_domains[0], "example.com");
	assert_string_equal(cfg.relay_domains[2], "other.org");
	assert_string_equal(cfg.recipient_delimiter, "+-");
	assert_true(cfg.soft_bounce);
	assert_int_equal(cfg.unknown_recipient_reject_code, 450);
	assert_int_equal(cfg.smtpd_timeout, 300);
	assert_int_equal(cfg.message_size_limit, 20u << 20);
	assert_int_equal(cfg.backend.proto, CFG_BACKEND_LMTP);
	assert_string_equal(cfg.backend.host, "127.0.0.1");
	assert_int_equal(cfg.backend.port, 24);
	assert_int_equal(cfg.reload_max_shrink, 25);
	assert_int_equal(cfg.workers, 2);
}

/* Each bad file, and the "test.conf:LINE: " prefix its error must start with. */
static const struct {
	const char *text;
	const char *prefix;
	const char *words; /* must appear in the message */
} bad_cases[] = {
	{ BASE "bogus_key = 1\n", "test.conf:4: ", "unknown key 'bogus_key'" },
	{ BASE "\n\nsoft_bounce = maybe\n", "test.conf:6: ", "expected yes or no" },
	{ BASE "just words\n", "test.conf:4: ", "expected 'key = value'" },
	{ BASE "= 5\n", "test.conf:4: ", "missing key" },
	{ BASE "workers = 0\n", "test.conf:4: ", "workers" },
	{ BASE "workers = 12x\n", "test.conf:4: ", "workers" },
	{ BASE "unknown_recipient_reject_code = 250\n", "test.conf:4: ", "4xx or 5xx" },
	{ BASE "unknown_recipient_reject_code = 650\n", "test.conf:4: ", "unknown_recipient_reject_code" },
	{ BASE "smtpd_timeout = 5y\n", "test.conf:4: ", "unknown time unit" },
	{ BASE "smtpd_timeout = 0\n", "test.conf:4: ", "smtpd_timeout" },
	{ BASE "message_size_limit = 10q\n", "test.conf:4: ", "unknown size unit" },
	{ BASE "tcp_buffer_limit = 64k\n", "test.conf:4: ", "tcp_buffer_limit: expected 1048576 to" },
	{ BASE "tcp_buffer_limit = 0\n", "test.conf:4: ", "tcp_buffer_limit: expected 1048576 to" },
	{ BASE "reload_max_shrink = 101\n", "test.conf:4: ", "percentage" },
	{ BASE "relay_domains = exa mple..com\n", "test.conf:4: ", "not a domain name" },
	{ BASE "recipient_delimiter = @\n", "test.conf:4: ", "cannot be a delimiter" },
	{ BASE "backend = smtp:host\n", "test.conf:4: ", "smtp:HOST:PORT" },
	{ BASE "backend = http:host:80\n", "test.conf:4: ", "smtp:HOST:PORT" },
	{ BASE "backend = smtp:host:99999\n", "test.conf:4: ", "bad port" },
	{ BASE "soft_bounce = yes\nsoft_bounce = no\n", "test.conf:5: ", "given twice" },
	{ BASE "myhostname =\n", "test.conf:4: ", "empty value" },
	{ "port_mode = token_ring\n", "test.conf:1: ", "expected af_xdp" },
	{ "port_mode = af_packet\ninterface = v\nlisten = 10.0.0.300\n", "test.conf:3: ", "not an IPv4" },
	{ "port_mode = af_packet\ninterface = v\nlisten = 10.0.0.1:0\n", "test.conf:3: ", "bad port" },
	{ "port_mode = af_packet\ninterface = v\nlisten = 0.0.0.0\n", "test.conf:3: ", "0.0.0.0" },
	{ "port_mode = af_packet\ninterface = v\nlisten = [2001:db8::x]\n", "test.conf:3: ", "not an IPv6" },
	{ "port_mode = af_packet\ninterface = v\nlisten = [2001:db8::1\n",
	  "test.conf:3: ", "[IPV6-ADDRESS]" },
	{ "port_mode = af_packet\ninterface = v\nlisten = [2001:db8::1]25\n",
	  "test.conf:3: ", "[IPV6-ADDRESS]" },
	{ "port_mode = af_packet\ninterface = v\nlisten = [2001:db8::1]:0\n", "test.conf:3: ", "bad port" },
	{ "port_mode = af_packet\ninterface = v\nlisten = [::]\n", "test.conf:3: ", "cannot be a listen" },
	{ "port_mode = af_packet\ninterface = v\nlisten = [ff02::1]\n",
	  "test.conf:3: ", "cannot be a listen" },
	{ "port_mode = af_packet\ninterface = v\nlisten = [::ffff:10.0.0.1]\n",
	  "test.conf:3: ", "cannot be a listen" },
	{ "port_mode = af_packet\ninterface = v\nlisten = 2001:db8::1\n", "test.conf:3: ", "not an IPv4" },
	{ "port_mode = af_packet\ninterface = v\nlisten = 10.0.0.1, 10.0.0.2\n",
	  "test.conf:3: ", "more than one IPv4" },
	{ "port_mode = af_packet\ninterface = v\nlisten = [2001:db8::1] [2001:db8::2]\n",
	  "test.conf:3: ", "more than one IPv6" },
	{ "port_mode = af_packet\ninterface = v\nlisten = 10.0.0.1:25, [2001:db8::1]:26\n",
	  "test.conf:3: ", "same port" },
	{ "port_mode = af_packet\ninterface = v\nlisten = 10.0.0.1:25:25\n", "test.conf:3: ", "bad port" },
	{ "port_mode = af_packet\ninterface = v\nlisten = ,\n", "test.conf:3: ", "listen: no address" },
	{ BASE "inet_protocols = ipv5\n", "test.conf:4: ", "inet_protocols: expected ipv4, ipv6 or all" },
	{ BASE "inet_protocols = ipv6\n", "test.conf:4: ", "leaves no address" },
	{ "port_mode = af_packet\ninterface = v\nlisten = [2001:db8::1]\ninet_protocols = ipv4\n",
	  "test.conf:4: ", "leaves no address" },
	{ "port_mode = af_packet\ninterface = v\n", "test.conf:2: ", "missing required key 'listen'" },
	{ "listen = 10.0.0.1\n", "test.conf:1: ", "missing required key 'port_mode'" },
	{ "port_mode = af_xdp\nlisten = 10.0.0.1\n", "test.conf:2: ", "needs 'interface'" },
	{ "port_mode = pci\nlisten = 10.0.0.1\n", "test.conf:2: ", "needs 'pci_address'" },
	{ "port_mode = af_xdp\nlisten = 10.0.0.1\n\ninterface = veth-0123456789a\n",
	  "test.conf:4: ", "interface: 'veth-0123456789a' is longer than 15 octets" },
	{ BASE "memif_role = slave\n",
	  "test.conf:4: ", "memif_role: expected server or client, got 'slave'" },
	{ "port_mode = memif\nlisten = 10.0.0.1\nmemif_zero_copy = yes\n",
	  "test.conf:3: ", "memif_zero_copy = yes needs memif_role = client" },
	{ "port_mode = memif\nlisten = 10.0.0.1\nmemif_role = server\nmemif_zero_copy = yes\n",
	  "test.conf:4: ", "needs memif_role = client" },
	{ "", "test.conf:1: ", "missing required key" },
	{ BASE "syslog_facility = mailer\n", "test.conf:4: ", "expected a syslog facility" },
	{ BASE "syslog_name = rcpt gate\n", "test.conf:4: ", "syslog_name: 'rcpt gate'" },
	{ BASE "syslog_name = a[1]\n", "test.conf:4: ", "syslog_name: 'a[1]'" },
	{ BASE "syslog_name = a:b\n", "test.conf:4: ", "syslog_name: 'a:b'" },
	{ BASE "\nmaillog_file = var/log/rcptgate.log\n", "test.conf:5: ", "not an absolute path" },
	{ BASE "syslog_socket = dev/log\n", "test.conf:4: ", "syslog_socket" },
	{ BASE "metrics_listen = 127.0.0.1\n",
	  "test.conf:4: ", "metrics_listen: expected IPV4-ADDRESS:PORT" },
	{ BASE "metrics_listen = [::1]\n", "test.conf:4: ", "metrics_listen: expected IPV4-ADDRESS:PORT" },
	{ BASE "metrics_listen = 127.0.0.1:0\n", "test.conf:4: ", "metrics_listen: bad port" },
	{ BASE "metrics_listen = 127.0.0.1:65536\n", "test.conf:4: ", "metrics_listen: bad port" },
	{ BASE "metrics_listen = localhost:9125\n",
	  "test.conf:4: ", "metrics_listen: 'localhost' is not an IPv4" },
	{ BASE "metrics_listen = [::1:9125\n", "test.conf:4: ", "metrics_listen: expected [IPV6-ADDRESS]" },
	{ BASE "metrics_listen = [::g]:9125\n", "test.conf:4: ", "not an IPv6" },
	{ BASE "metrics_listen = 224.0.0.1:9125\n", "test.conf:4: ", "multicast" },
	{ BASE "metrics_listen = [ff02::1]:9125\n", "test.conf:4: ", "multicast" },
	{ BASE "metrics_listen = 127.0.0.1:9125, 127.0.0.2:9125\n", "test.conf:4: ", "bad port" },
	{ BASE "dictionary_block_exempt = 192.0.2.0/24, 2001:db8::7\n",
	  "test.conf:4: ", "'2001:db8::7': IPv6 clients are counted per /64" },
};

static void
test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct rg_config cfg;
		char err[CFG_ERR_MAX] = "";

		assert_int_equal(load(&cfg, bad_cases[i].text, err), -1);
		if (strncmp(err, bad_cases[i].prefix, strlen(bad_cases[i].prefix)) != 0 ||
		    strstr(err, bad_cases[i].words) == NULL)
			fail_msg("case %zu: got '%s', want prefix '%s' and '%s'", i, err, bad_cases[i].prefix,
				 bad_cases[i].words);
	}
}

static void
test_long_line(void **state)
{
	struct rg_config cfg;
	char err[CFG_ERR_MAX] = "";
	char text[4096];
	(void)state;

	int n = snprintf(text, sizeof(text), BASE "myhostname = ");
	memset(text + n, 'a', 2000);
	text[n + 2000] = '\n';
	text[n + 2001] = '\0';
	assert_int_equal(load(&cfg, text, err), -1);
	assert_non_null(strstr(err, "test.conf:4: line longer than"));
}

static void
test_missing_file(void **state)
{
	struct rg_config cfg;
	char err[CFG_ERR_MAX] = "";
	(void)state;

	assert_int_equal(cfg_load(&cfg, "/nonexistent/rcptgate.conf", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/rcptgate.conf: cannot open"));
}

/*
 * docs/configuration.md must document exactly the keys the parser knows:
 * one "### `key`" heading per key, no heading for a key that does not
 * exist. The example configuration must load.
 */
static void
test_docs_match_parser(void **state)
{
	(void)state;
	FILE *f = fopen("docs/configuration.md", "r");
	assert_non_null(f);
	char line[512], documented[128][64];
	size_t n_doc = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char key[64];
		if (sscanf(line, "### `%63[^`]`", key) == 1) {
			assert_true(n_doc < 128);
			snprintf(documented[n_doc++], sizeof(documented[0]), "%s", key);
		}
	}
	fclose(f);

	const char *const *keys = cfg_key_names();
	size_t n_keys = 0;
	for (; keys[n_keys] != NULL; n_keys++) {
		bool found = false;
		for (size_t i = 0; i < n_doc; i++)
			found = found || strcmp(documented[i], keys[n_keys]) == 0;
		if (!found)
			fail_msg("key '%s' is not documented in docs/configuration.md", keys[n_keys]);
	}
	for (size_t i = 0; i < n_doc; i++) {
		bool found = false;
		for (size_t k = 0; keys[k] != NULL; k++)
			found = found || strcmp(documented[i], keys[k]) == 0;
		if (!found)
			fail_msg("docs/configuration.md documents '%s', which the parser does not know",
				 documented[i]);
	}
	assert_int_equal(n_doc, n_keys);

	struct rg_config cfg;
	char err[CFG_ERR_MAX] = "";
	if (cfg_load(&cfg, "docs/examples/rcptgate.conf", err, sizeof(err)) != 0)
		fail_msg("example configuration: %s", err);
}

/* backend in Postfix's [HOST] form; the line each key was given on. */
static void
test_backend_brackets(void **state)
{
	static const struct {
		const char *value, *host;
		uint16_t port;
	} cases[] = {
		{ "smtp:[::1]:2526", "::1", 2526 },
		{ "lmtp:[192.0.2.10]:24", "192.0.2.10", 24 },
		{ "smtp:[mx.example.com]:25", "mx.example.com", 25 },
		{ "smtp:::1:25", "::1", 25 },
	};
	struct rg_config cfg;
	char text[256], err[CFG_ERR_MAX] = "";
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), BASE "\nbackend = %s\n", cases[i].value);
		if (load(&cfg, text, err) != 0)
			fail_msg("backend = %s: %s", cases[i].value, err);
		assert_string_equal(cfg.backend.host, cases[i].host);
		assert_int_equal(cfg.backend.port, cases[i].port);
		assert_int_equal(cfg_key_line(&cfg, "backend"), 5);
		assert_int_equal(cfg_key_line(&cfg, "listen"), 3);
		assert_int_equal(cfg_key_line(&cfg, "workers"), 0);
	}
	const char *bad[] = { "smtp:[::1:25", "smtp:[]:25", "smtp:[a]b]:25" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), BASE "backend = %s\n", bad[i]);
		assert_int_equal(load(&cfg, text, err), -1);
		assert_non_null(strstr(err, "test.conf:4: backend: expected smtp:HOST:PORT"));
	}
}

/* A documented bound ("64", "1m", "1h") of a key of TYPE, in bytes or seconds. */
static uint64_t
bound_value(const char *type, const char *b)
{
	char *end;
	uint64_t v = strtoull(b, &end, 10), mul = 1;

	if (strcmp(type, "size") == 0 && *end != '\0')
		mul = *end == 'k'     ? UINT64_C(1) << 10
			: *end == 'm' ? UINT64_C(1) << 20
			: *end == 'g' ? UINT64_C(1) << 30
				      : 0;
	else if (strcmp(type, "duration") == 0 && *end != '\0')
		mul = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 0;
	else if (*end != '\0')
		mul = 0;
	if (mul == 0 || end == b || (*end != '\0' && end[1] != '\0'))
		fail_msg("bad bound '%s' for *%s* in docs/configuration.md", b, type);
	return v * mul;
}

/*
 * "KEY = VALUE" after BASE: 0 when it loads. A refusal must say where
 * and what: "test.conf:4: KEY: ...".
 */
static int
try_value(const char *key, const char *value)
{
	char text[512], err[CFG_ERR_MAX] = "", want[128];
	struct rg_config cfg;

	snprintf(text, sizeof(text), BASE "%s = %s\n", key, value);
	if (load(&cfg, text, err) == 0)
		return 0;
	snprintf(want, sizeof(want), "test.conf:4: %s: ", key);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("%s = %s: error '%s' does not start with '%s'", key, value, err, want);
	return -1;
}

/*
 * Every number, code, duration, size or percent key of
 * docs/configuration.md gives its bounds on the line after its heading
 * ("*number* 1-64, ..."), and the parser holds to them: both bounds are
 * accepted as written and in plain units, one below the lower and one
 * above the upper are refused with FILE:LINE.
 */
static void
test_documented_bounds(void **state)
{
	static const char *const ranged[] = { "number", "size", "duration", "code", "percent" };
	FILE *f = fopen("docs/configuration.md", "r");
	char line[512], key[64];
	bool after_heading = false;
	unsigned n_bounded = 0;
	(void)state;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char type[16], lo[32], hi[32], v[32];
		bool first = after_heading, is_ranged = false;

		after_heading = sscanf(line, "### `%63[^`]`", key) == 1;
		if (!first || sscanf(line, "*%15[a-z]*", type) != 1)
			continue;
		for (size_t i = 0; i < sizeof(ranged) / sizeof(ranged[0]); i++)
			is_ranged = is_ranged || strcmp(type, ranged[i]) == 0;
		if (!is_ranged)
			continue;
		if (sscanf(line, "*%15[a-z]* %31[0-9a-z]-%31[0-9a-z],", type, lo, hi) != 3)
			fail_msg("%s: *%s* without its bounds (MIN-MAX) in docs/configuration.md", key, type);
		uint64_t l = bound_value(type, lo), h = bound_value(type, hi);
		if (try_value(key, lo) != 0 || try_value(key, hi) != 0)
			fail_msg("%s: a documented bound (%s, %s) is refused", key, lo, hi);
		snprintf(v, sizeof(v), "%" PRIu64, l);
		assert_int_equal(try_value(key, v), 0);
		snprintf(v, sizeof(v), "%" PRIu64, h);
		assert_int_equal(try_value(key, v), 0);
		snprintf(v, sizeof(v), "%" PRIu64, l - 1);
		if (l > 0 && try_value(key, v) == 0)
			fail_msg("%s = %s accepted, below the documented %s", key, v, lo);
		snprintf(v, sizeof(v), "%" PRIu64, h + 1);
		if (try_value(key, v) == 0)
			fail_msg("%s = %s accepted, above the documented %s", key, v, hi);
		n_bounded++;
	}
	fclose(f);
	assert_true(n_bounded >= 12);
}

/* STARTTLS keys: defaults, the level's names, and what a level needs. */
static void
test_tls(void **state)
{
	struct rg_config cfg;
	char err[CFG_ERR_MAX] = "";
	(void)state;

	assert_int_equal(load(&cfg, BASE, err), 0);
	assert_int_equal(cfg.tls_level, CFG_TLS_NONE);
	assert_string_equal(cfg.tls_protocols, ">=TLSv1.2");
	assert_string_equal(cfg.tls_ciphers, "medium");
	assert_int_equal(cfg.starttls_timeout, 300);
	assert_int_equal(cfg.tls_loglevel, 0);
	assert_true(cfg.tls_preempt_cipherlist); /* unlike Postfix: our order by default */
	assert_int_equal(load(&cfg, BASE "tls_preempt_cipherlist = no\n", err), 0);
	assert_false(cfg.tls_preempt_cipherlist);

	assert_int_equal(load(&cfg,
			      BASE "smtpd_tls_security_level = encrypt\n"
				   "smtpd_tls_chain_files = /a/ec.pem, /a/rsa.pem\n"
				   "smtpd_starttls_timeout = 1m\nsmtpd_tls_loglevel = 1\n",
			      err),
			 0);
	assert_int_equal(cfg.tls_level, CFG_TLS_ENCRYPT);
	assert_string_equal(cfg.tls_chain_files, "/a/ec.pem, /a/rsa.pem");
	assert_int_equal(cfg.tls_loglevel, 1);
	assert_int_equal(cfg.starttls_timeout, 60);
	assert_string_equal(cfg_tls_level_name(cfg.tls_level), "encrypt");

	assert_int_equal(load(&cfg,
			      BASE "smtpd_tls_security_level = may\nsmtpd_tls_cert_file = /a/c.pem\n"
				   "smtpd_tls_key_file = /a/k.pem\n",
			      err),
			 0);
	assert_int_equal(cfg.tls_level, CFG_TLS_MAY);

	/* the level's own line, not the end of the file */
	assert_int_equal(load(&cfg, BASE "smtpd_tls_security_level = may\n# end\n", err), -1);
	assert_non_null(strstr(err, "test.conf:4: smtpd_tls_security_level = may needs a certificate"));
	assert_int_equal(load(&cfg, BASE "smtpd_tls_security_level = maybe\n", err), -1);
	assert_non_null(strstr(err, "test.conf:4: smtpd_tls_security_level: expected none, may or encrypt"));
	assert_int_equal(load(&cfg, BASE "smtpd_tls_cert_file = /a/c.pem\n", err), -1);
	assert_non_null(strstr(err, "test.conf:4: smtpd_tls_cert_file needs smtpd_tls_key_file"));
	assert_int_equal(load(&cfg, BASE "\nsmtpd_tls_key_file = /a/k.pem\n", err), -1);
	assert_non_null(strstr(err, "test.conf:5: smtpd_tls_key_file needs smtpd_tls_cert_file"));
}

/* Logging keys: Postfix's defaults, the facility names, multi-instance names. */
static void
test_logs(void **state)
{
	struct rg_config cfg;
	char err[CFG_ERR_MAX] = "";
	(void)state;

	assert_int_equal(load(&cfg, BASE, err), 0);
	assert_string_equal(cfg.syslog_name, "rcptgate");
	assert_int_equal(cfg.syslog_facility, 2 << 3); /* LOG_MAIL */
	assert_string_equal(cfg.maillog_file, "");
	assert_string_equal(cfg.syslog_socket, "/dev/log");

	assert_int_equal(load(&cfg,
			      BASE "syslog_name = postfix-mx1\nsyslog_facility = local3\n"
				   "maillog_file = /dev/stdout\nsyslog_socket = /run/x/log\n",
			      err),
			 0);
	assert_string_equal(cfg.syslog_name, "postfix-mx1");
	assert_int_equal(cfg.syslog_facility, 19 << 3); /* LOG_LOCAL3 */
	assert_string_equal(cfg.maillog_file, "/dev/stdout");
	assert_string_equal(cfg.syslog_socket, "/run/x/log");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_listen_dual),
		cmocka_unit_test(test_socket_length),
		cmocka_unit_test(test_metrics_listen),
		cmocka_unit_test(test_docs_match_parser),
		cmocka_unit_test(test_documented_bounds),
		cmocka_unit_test(test_backend_brackets),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_logs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
