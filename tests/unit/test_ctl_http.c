/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_ctl_http.c - unit tests of the metrics endpoint's HTTP parser
 *	and of the Prometheus exposition
 * DESCRIPTION
 *	ctl_http_parse: a table of request heads with the status each must
 *	get: GET and HEAD of /metrics (query string, absolute form, bare
 *	LF, leading empty lines), and every refusal: 400 (malformed
 *	request line, target, version, field lines, Host missing or twice
 *	in 1.1), 404, 405, 431, 505; a head fed one octet at a time asks for
 *	more until its last octet. ctl_http_header: status line, Allow on
 *	405, Content-Length.
 *	ctl_prom: every counter has HELP, TYPE and one sample with its
 *	value, counters end in _total and gauges do not; HELP and label
 *	values are escaped; untyped keys; per-worker families; the bound.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rcptgate/counters.h>

#include "ctl/ctl_http.h"
#include "ctl/ctl_prom.h"

#define H11 " HTTP/1.1\r\nHost: 127.0.0.1:9125\r\n"

static const struct {
	const char *req;
	enum ctl_http_status want;
	bool head;
} http_cases[] = {
	{ "GET /metrics" H11 "\r\n", CTL_HTTP_OK, false },
	{ "HEAD /metrics" H11 "\r\n", CTL_HTTP_OK, true },
	{ "GET /metrics?name[]=x&y" H11 "Accept: text/plain;version=0.0.4;q=0.3,*/*;q=0.1\r\n\r\n",
	  CTL_HTTP_OK, false },
	{ "GET /metrics HTTP/1.0\r\n\r\n", CTL_HTTP_OK, false },
	{ "GET /metrics HTTP/1.1\nHost: x\n\n", CTL_HTTP_OK, false },
	{ "\r\n\r\nGET /metrics" H11 "\r\n", CTL_HTTP_OK, false },
	{ "GET http://127.0.0.1:9125/metrics" H11 "\r\n", CTL_HTTP_OK, false },
	{ "GET /metrics" H11 "X-Empty:\r\nX-Tab:\ta\tb\r\nX-8bit: \xc3\xa9\r\n\r\n", CTL_HTTP_OK, false },
	/* 404: other paths, the path compared exactly */
	{ "GET /" H11 "\r\n", CTL_HTTP_NOT_FOUND, false },
	{ "GET /other" H11 "\r\n", CTL_HTTP_NOT_FOUND, false },
	{ "GET /metrics/" H11 "\r\n", CTL_HTTP_NOT_FOUND, false },
	{ "GET /Metrics" H11 "\r\n", CTL_HTTP_NOT_FOUND, false },
	{ "GET /metricsx" H11 "\r\n", CTL_HTTP_NOT_FOUND, false },
	{ "GET http://h" H11 "\r\n", CTL_HTTP_NOT_FOUND, false },
	{ "POST /other" H11 "\r\n", CTL_HTTP_NOT_FOUND, false },
	/* 405: other methods, methods are case-sensitive */
	{ "POST /metrics" H11 "Content-Length: 3\r\n\r\nabc", CTL_HTTP_NOT_ALLOWED, false },
	{ "PUT /metrics" H11 "\r\n", CTL_HTTP_NOT_ALLOWED, false },
	{ "DELETE /metrics" H11 "\r\n", CTL_HTTP_NOT_ALLOWED, false },
	{ "OPTIONS /metrics" H11 "\r\n", CTL_HTTP_NOT_ALLOWED, false },
	{ "get /metrics" H11 "\r\n", CTL_HTTP_NOT_ALLOWED, false },
	{ "GETS /metrics" H11 "\r\n", CTL_HTTP_NOT_ALLOWED, false },
	/* 400: request line */
	{ "garbage\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET  /metrics" H11 "\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics  HTTP/1.1\r\nHost: x\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ " GET /metrics" H11 "\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "G(T /metrics" H11 "\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET metrics" H11 "\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET *" H11 "\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /met\x01rics" H11 "\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /met\xffrics" H11 "\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET http://" H11 "\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics HTTP/1.1 \r\nHost: x\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics http/1.1\r\nHost: x\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics HTTP/1\r\nHost: x\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics HTTP/0.9\r\nHost: x\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics HTTP/1.1\rHost: x\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", CTL_HTTP_BAD_VERSION, false },
	{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", CTL_HTTP_BAD_VERSION, false },
	/* 400: field lines, Host */
	{ "GET /metrics HTTP/1.1\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics" H11 "Host: again\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics" H11 "NoColon\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics" H11 "Bad Name: x\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics" H11 "Space : x\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics" H11 ": x\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics" H11 "X: a\r\n folded\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics" H11 "X: a\x01"
	  "b\r\n\r\n",
	  CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics" H11 "X: a\x7f\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	{ "GET /metrics" H11 "X: a\rb\r\n\r\n", CTL_HTTP_BAD_REQUEST, false },
	/* incomplete: read more */
	{ "", CTL_HTTP_MORE, false },
	{ "\r\n", CTL_HTTP_MORE, false },
	{ "GET /metrics HTTP/1.1", CTL_HTTP_MORE, false },
	{ "GET /metrics" H11, CTL_HTTP_MORE, false },
	{ "GET /metrics" H11 "\r", CTL_HTTP_MORE, false },
	{ "garbage", CTL_HTTP_MORE, false },
};

static void
test_http_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(http_cases) / sizeof(http_cases[0]); i++) {
		struct ctl_http_req r = { .head = !http_cases[i].head };
		enum ctl_http_status st = ctl_http_parse(http_cases[i].req, strlen(http_cases[i].req), &r);
		if (st != http_cases[i].want)
			fail_msg("case %zu %s: got %d, want %d", i, http_cases[i].req, (int)st,
				 (int)http_cases[i].want);
		if (st == CTL_HTTP_OK && r.head != http_cases[i].head)
			fail_msg("case %zu: head %d", i, r.head);
	}
}

/* A NUL is an octet like the others: in a value it is a control octet. */
static void
test_http_nul(void **state)
{
	static const char req[] = "GET /metrics" H11 "X: a\0b\r\n\r\n";
	struct ctl_http_req r;
	(void)state;
	assert_int_equal(ctl_http_parse(req, sizeof(req) - 1, &r), CTL_HTTP_BAD_REQUEST);
	static const char req2[] = "GET /met\0rics" H11 "\r\n";
	assert_int_equal(ctl_http_parse(req2, sizeof(req2) - 1, &r), CTL_HTTP_BAD_REQUEST);
}

/* Fed octet by octet, the head asks for more until its empty line. */
static void
test_http_partial(void **state)
{
	static const char req[] = "GET /metrics" H11 "User-Agent: Prometheus/2.42.0\r\n\r\n";
	struct ctl_http_req r;
	(void)state;
	for (size_t n = 0; n < sizeof(req) - 1; n++)
		assert_int_equal(ctl_http_parse(req, n, &r), CTL_HTTP_MORE);
	assert_int_equal(ctl_http_parse(req, sizeof(req) - 1, &r), CTL_HTTP_OK);
	assert_int_equal(r.head_len, sizeof(req) - 1);
}

/* The head's bound: 8 KiB with no end is 431; a head that ends at the bound is read. */
static void
test_http_too_large(void **state)
{
	char *buf = malloc(2 * CTL_HTTP_HEAD_MAX);
	struct ctl_http_req r;
	(void)state;
	assert_non_null(buf);

	int n = snprintf(buf, 2 * CTL_HTTP_HEAD_MAX, "GET /metrics" H11 "X: ");
	memset(buf + n, 'a', 2 * CTL_HTTP_HEAD_MAX - (size_t)n);
	assert_int_equal(ctl_http_parse(buf, CTL_HTTP_HEAD_MAX - 1, &r), CTL_HTTP_MORE);
	assert_int_equal(ctl_http_parse(buf, CTL_HTTP_HEAD_MAX, &r), CTL_HTTP_TOO_LARGE);
	assert_int_equal(ctl_http_parse(buf, 2 * CTL_HTTP_HEAD_MAX, &r), CTL_HTTP_TOO_LARGE);
	/* the end just past the bound does not count either */
	memcpy(buf + CTL_HTTP_HEAD_MAX - 3, "\r\n\r\n", 4);
	assert_int_equal(ctl_http_parse(buf, CTL_HTTP_HEAD_MAX + 1, &r), CTL_HTTP_TOO_LARGE);
	/* ending exactly at the bound: served */
	memcpy(buf + CTL_HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(ctl_http_parse(buf, CTL_HTTP_HEAD_MAX, &r), CTL_HTTP_OK);
	/* a long garbage line is 431 too, not a wait without end */
	memset(buf, 'x', CTL_HTTP_HEAD_MAX);
	assert_int_equal(ctl_http_parse(buf, CTL_HTTP_HEAD_MAX, &r), CTL_HTTP_TOO_LARGE);
	free(buf);
}

static void
test_http_header(void **state)
{
	char buf[256];
	(void)state;

	int n = ctl_http_header(buf, sizeof(buf), CTL_HTTP_OK, CTL_PROM_CONTENT_TYPE, 1234);
	assert_true(n > 0 && (size_t)n == strlen(buf));
	assert_string_equal(buf,
			    "HTTP/1.1 200 OK\r\n"
			    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			    "Content-Length: 1234\r\n"
			    "Connection: close\r\n\r\n");
	n = ctl_http_header(buf, sizeof(buf), CTL_HTTP_NOT_ALLOWED, "text/plain", 0);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 405 Method Not Allowed\r\n"));
	assert_non_null(strstr(buf, "\r\nAllow: GET, HEAD\r\n"));
	n = ctl_http_header(buf, sizeof(buf), CTL_HTTP_NOT_FOUND, "text/plain", 0);
	assert_non_null(strstr(buf, "HTTP/1.1 404 Not Found\r\n"));
	assert_null(strstr(buf, "Allow:"));
	ctl_http_header(buf, sizeof(buf), CTL_HTTP_TOO_LARGE, "text/plain", 0);
	assert_non_null(strstr(buf, "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
	ctl_http_header(buf, sizeof(buf), CTL_HTTP_BAD_REQUEST, "text/plain", 0);
	assert_non_null(strstr(buf, "HTTP/1.1 400 Bad Request\r\n"));
	assert_int_equal(ctl_http_header(buf, 20, CTL_HTTP_OK, "text/plain", 0), -E2BIG);
}

/* A counter kept in nanoseconds is exported in seconds, exactly. */
static void
test_prom_ns(void **state)
{
	struct ctl_prom p;
	char name[160];
	(void)state;

	assert_int_equal(ctl_prom_name(RG_C_TLS_HANDSHAKE_CPU_NS, name, sizeof(name)), 0);
	assert_string_equal(name, "rcptgate_tls_handshake_cpu_seconds_total");
	ctl_prom_init(&p);
	ctl_prom_counter(&p, RG_C_TLS_WALL_NS, "12000000007");
	ctl_prom_counter(&p, RG_C_TLS_WALL_NS, "5");
	assert_int_equal(ctl_prom_done(&p), 0);
	assert_non_null(strstr(p.buf, "\nrcptgate_tls_wall_seconds_total 12.000000007\n"));
	assert_non_null(strstr(p.buf, "\nrcptgate_tls_wall_seconds_total 0.000000005\n"));
	assert_non_null(strstr(p.buf, "# TYPE rcptgate_tls_wall_seconds_total counter\n"));
	assert_null(strstr(p.buf, "_ns"));
	ctl_prom_free(&p);
}

/* Every counter: HELP, TYPE, then its sample, in list order. */
static void
test_prom_counters(void **state)
{
	uint64_t v[RG_C_MAX];
	struct ctl_prom p;
	(void)state;

	for (unsigned c = 0; c < RG_C_MAX; c++)
		v[c] = (uint64_t)c * 1000003u + (c == 0 ? UINT64_MAX - 1000 : 0);
	ctl_prom_init(&p);
	ctl_prom_counters(&p, v);
	assert_int_equal(ctl_prom_done(&p), 0);
	assert_int_equal(strlen(p.buf), p.len);

	char *save = NULL, *line = strtok_r(p.buf, "\n", &save);
	for (unsigned c = 0; c < RG_C_MAX; c++) {
		char name[160], want[512];
		bool counter = rg_counter_info[c].kind == RG_CK_COUNTER;
		assert_int_equal(ctl_prom_name(c, name, sizeof(name)), 0);
		size_t nl = strlen(name);
		assert_true(counter == (nl > 6 && strcmp(name + nl - 6, "_total") == 0));
		bool ns = nl > 14 && strcmp(name + nl - 14, "_seconds_total") == 0;
		assert_non_null(line);
		snprintf(want, sizeof(want), "# HELP %s %s%s", name, rg_counter_info[c].help,
			 ns ? " (here in seconds)" : "");
		assert_string_equal(line, want);
		line = strtok_r(NULL, "\n", &save);
		snprintf(want, sizeof(want), "# TYPE %s %s", name, counter ? "counter" : "gauge");
		assert_string_equal(line, want);
		line = strtok_r(NULL, "\n", &save);
		if (ns)
			snprintf(want, sizeof(want), "%s %" PRIu64 ".%09" PRIu64, name, v[c] / 1000000000u,
				 v[c] % 1000000000u);
		else
			snprintf(want, sizeof(want), "%s %" PRIu64, name, v[c]);
		assert_string_equal(line, want);
		line = strtok_r(NULL, "\n", &save);
	}
	assert_null(line);
	ctl_prom_free(&p);
	assert_null(p.buf);
}

static void
test_prom_escape_and_untyped(void **state)
{
	struct ctl_prom p;
	char labels[64] = "";
	(void)state;

	ctl_prom_init(&p);
	ctl_prom_family(&p, "m", "gauge", "a\\b\nc \"q\"");
	assert_int_equal(ctl_prom_label(labels, sizeof(labels), "worker", "0"), 0);
	assert_int_equal(ctl_prom_label(labels, sizeof(labels), "v", "x\"y\\z\n"), 0);
	ctl_prom_sample(&p, "m", labels, "7");
	ctl_prom_untyped(&p, "new.thing", "42");
	assert_int_equal(ctl_prom_done(&p), 0);
	assert_string_equal(
		p.buf,
		"# HELP m a\\\\b\\nc \"q\"\n"
		"# TYPE m gauge\n"
		"m{worker=\"0\",v=\"x\\\"y\\\\z\\n\"} 7\n"
		"# HELP rcptgate_new_thing rcptgate counter new.thing (unknown to this rcptgatectl)\n"
		"# TYPE rcptgate_new_thing untyped\n"
		"rcptgate_new_thing 42\n");
	/* a label that does not fit leaves the list as it was */
	char small[16] = "a=\"1\"";
	assert_int_equal(ctl_prom_label(small, sizeof(small), "name", "toolongvalue"), -E2BIG);
	assert_string_equal(small, "a=\"1\"");
	ctl_prom_free(&p);
}

static void
test_prom_workers(void **state)
{
	struct ctl_prom p;
	const unsigned lcore[] = { 1, 3 };
	const uint64_t v[] = { 5, 7 };
	char want[1024];
	(void)state;

	ctl_prom_init(&p);
	ctl_prom_workers(&p, RG_C_RX_PACKETS, 2, lcore, v);
	ctl_prom_workers(&p, RG_C_TCP_CONNS, 0, lcore, v); /* no workers: nothing */
	ctl_prom_workers(&p, RG_C_MAX, 2, lcore, v);	   /* no such counter: nothing */
	assert_int_equal(ctl_prom_done(&p), 0);
	snprintf(want, sizeof(want),
		 "# HELP rcptgate_lcore_rx_packets_total %s, per worker lcore\n"
		 "# TYPE rcptgate_lcore_rx_packets_total counter\n"
		 "rcptgate_lcore_rx_packets_total{worker=\"0\",lcore=\"1\"} 5\n"
		 "rcptgate_lcore_rx_packets_total{worker=\"1\",lcore=\"3\"} 7\n",
		 rg_counter_info[RG_C_RX_PACKETS].help);
	assert_string_equal(p.buf, want);
	ctl_prom_free(&p);
	ctl_prom_init(&p);
	ctl_prom_workers(&p, RG_C_TCP_CONNS, 1, lcore, v);
	assert_non_null(strstr(p.buf, "# TYPE rcptgate_lcore_tcp_connections gauge\n"));
	ctl_prom_free(&p);
}

/* Past CTL_PROM_MAX the exposition fails as a whole, and stays failed. */
static void
test_prom_bound(void **state)
{
	struct ctl_prom p;
	char big[4096];
	(void)state;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ctl_prom_init(&p);
	for (size_t i = 0; i <= CTL_PROM_MAX / (sizeof(big) - 1); i++)
		ctl_prom_printf(&p, "%s", big);
	assert_int_equal(ctl_prom_done(&p), -E2BIG);
	assert_true(p.len < CTL_PROM_MAX);
	ctl_prom_printf(&p, "x");
	assert_int_equal(ctl_prom_done(&p), -E2BIG);
	ctl_prom_free(&p);
	assert_int_equal(ctl_prom_done(&p), 0);
	assert_int_equal(ctl_prom_name(RG_C_MAX, big, sizeof(big)), -EINVAL);
	assert_int_equal(ctl_prom_name(0, big, 5), -E2BIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_cases),
		cmocka_unit_test(test_http_nul),
		cmocka_unit_test(test_http_partial),
		cmocka_unit_test(test_http_too_large),
		cmocka_unit_test(test_http_header),
		cmocka_unit_test(test_prom_counters),
		cmocka_unit_test(test_prom_escape_and_untyped),
		cmocka_unit_test(test_prom_workers),
		cmocka_unit_test(test_prom_bound),
		cmocka_unit_test(test_prom_ns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
