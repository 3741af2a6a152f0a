/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_ctl_proto.c - unit tests of the control protocol
 * DESCRIPTION
 *	Request parser: every verb with its arguments, and a table of
 *	malformed, oversized and unknown requests with the errno each must
 *	get (a failed parse leaves no argument behind). A property test
 *	round-trips random values through ctl_value_encode and the parser.
 *	Responses: writer -> reader round trip, ERR responses, control
 *	octets, overflow, truncated and malformed input to the reader.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rcptgate/ctl_proto.h>

static struct ctl_req req;
static struct ctl_resp resp;
static struct ctl_reply reply;
static char wire[CTL_RESP_MAX];

static int
parse(const char *line)
{
	char err[CTL_ERR_MAX];
	return ctl_req_parse(line, strlen(line), &req, err, sizeof(err));
}

static void
test_valid_requests(void **state)
{
	(void)state;
	assert_int_equal(parse("ping"), 0);
	assert_int_equal(req.verb, CTL_V_PING);
	assert_int_equal(parse("status\r"), 0);
	assert_int_equal(req.verb, CTL_V_STATUS);
	assert_int_equal(parse("stats"), 0);
	assert_int_equal(req.verb, CTL_V_STATS);
	assert_null(req.arg[CTL_K_WORKER]);
	assert_int_equal(parse("stats worker=12"), 0);
	assert_string_equal(req.arg[CTL_K_WORKER], "12");
	assert_int_equal(parse("reload"), 0);
	assert_int_equal(req.verb, CTL_V_RELOAD);
	assert_null(req.arg[CTL_K_PATH]);
	assert_null(req.arg[CTL_K_FORCE]);
	assert_int_equal(parse("reload force=1 path=/var/lib/rcptgate/users%20new.tbl"), 0);
	assert_string_equal(req.arg[CTL_K_PATH], "/var/lib/rcptgate/users new.tbl");
	assert_string_equal(req.arg[CTL_K_FORCE], "1");
	assert_int_equal(parse("check rcpt=%22a%20b%22@example.com client=2001:db8::1 helo=mx.example "
			       "from=%25x@y"),
			 0);
	assert_int_equal(req.verb, CTL_V_CHECK);
	assert_string_equal(req.arg[CTL_K_RCPT], "\"a b\"@example.com");
	assert_string_equal(req.arg[CTL_K_CLIENT], "2001:db8::1");
	assert_string_equal(req.arg[CTL_K_HELO], "mx.example");
	assert_string_equal(req.arg[CTL_K_FROM], "%x@y");
	assert_int_equal(parse("check rcpt=a@b from="), 0); /* null sender */
	assert_string_equal(req.arg[CTL_K_FROM], "");
	assert_int_equal(parse("block op=list"), 0);
	assert_int_equal(req.verb, CTL_V_BLOCK);
	assert_string_equal(req.arg[CTL_K_OP], "list");
	assert_null(req.arg[CTL_K_CIDR]);
	assert_int_equal(parse("block op=del cidr=2001:db8::/32"), 0);
	assert_string_equal(req.arg[CTL_K_OP], "del");
	assert_string_equal(req.arg[CTL_K_CIDR], "2001:db8::/32");
	assert_int_equal(parse("tls op=reload"), 0);
	assert_int_equal(req.verb, CTL_V_TLS);
	assert_string_equal(req.arg[CTL_K_OP], "reload");
}

static void
test_bad_requests(void **state)
{
	static const struct {
		const char *line;
		int rc;
	} cases[] = {
		{ "", -EINVAL },
		{ " ping", -EINVAL },
		{ "PING", -EINVAL },
		{ "ping ", -EINVAL },
		{ "ping\r\r", -EINVAL },
		{ "ping x=1", -EINVAL },
		{ "pingx", -ENOSYS },
		{ "shutdown", -ENOSYS },
		{ "stats all=1", -EINVAL },
		{ "stats worker=", -EINVAL },
		{ "stats worker=-1", -EINVAL },
		{ "stats worker=1x", -EINVAL },
		{ "stats worker=1000", -EINVAL },
		{ "status worker=0", -EINVAL },
		{ "reload path=relative.tbl", -EINVAL },
		{ "reload force=2", -EINVAL },
		{ "reload force=", -EINVAL },
		{ "reload path=/a path=/b", -EINVAL },
		{ "reload  path=/a", -EINVAL },
		{ "reload path", -EINVAL },
		{ "reload =/a", -EINVAL },
		{ "reload rcpt=a@b", -EINVAL },
		{ "check", -EINVAL },
		{ "check helo=x", -EINVAL },
		{ "check rcpt=", -EINVAL },
		{ "check rcpt=a%0D%0ARSET@b", -EINVAL },
		{ "check rcpt=a%00b", -EINVAL },
		{ "check rcpt=a%7fb", -EINVAL },
		{ "check rcpt=a%zzb", -EINVAL },
		{ "check rcpt=a%4", -EINVAL },
		{ "check rcpt=a\tb", -EINVAL },
		{ "check rcpt=a\x80"
		  "b",
		  -EINVAL },
		{ "check rcpt=a@b client=999.1.1.1", -EINVAL },
		{ "check rcpt=a@b helo=", -EINVAL },
		{ "block", -EINVAL },
		{ "block cidr=192.0.2.7", -EINVAL },
		{ "block op=drop cidr=192.0.2.7", -EINVAL },
		{ "block op=add cidr=", -EINVAL },
		{ "block op=list rcpt=a@b", -EINVAL },
		{ "tls", -EINVAL },
		{ "tls op=add", -EINVAL },
		{ "tls op=reload cidr=192.0.2.7", -EINVAL },
		{ "block op=reload", -EINVAL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].line);
		if (rc != cases[i].rc)
			fail_msg("\"%s\": %d, expected %d", cases[i].line, rc, cases[i].rc);
	}
	/* a line with a NUL in it */
	char err[CTL_ERR_MAX];
	assert_int_equal(ctl_req_parse("ping\0x", 6, &req, err, sizeof(err)), -EINVAL);
}

static void
test_limits(void **state)
{
	static char line[CTL_REQ_MAX + 16];
	char err[CTL_ERR_MAX];
	(void)state;

	/* the longest value that fits, and one octet more */
	int n = snprintf(line, sizeof(line), "check rcpt=");
	memset(line + n, 'a', CTL_VALUE_MAX - 1);
	line[n + CTL_VALUE_MAX - 1] = '\0';
	assert_int_equal(parse(line), 0);
	assert_int_equal(strlen(req.arg[CTL_K_RCPT]), CTL_VALUE_MAX - 1);
	line[n + CTL_VALUE_MAX - 1] = 'a';
	line[n + CTL_VALUE_MAX] = '\0';
	assert_int_equal(parse(line), -E2BIG);

	/* the whole line */
	memset(line, 'a', CTL_REQ_MAX);
	memcpy(line, "check rcpt=", 11);
	assert_int_equal(ctl_req_parse(line, CTL_REQ_MAX, &req, err, sizeof(err)), -E2BIG);
	assert_int_equal(ctl_req_parse(line, SIZE_MAX, &req, err, sizeof(err)), -E2BIG);

	/* too many arguments (each key once is already at most CTL_K_MAX) */
	assert_int_equal(parse("check rcpt=a client=1.2.3.4 helo=h from=f rcpt=b"), -EINVAL);
	/* a failed parse leaves no argument behind */
	for (int k = 0; k < CTL_K_MAX; k++)
		assert_null(req.arg[k]);
}

static void
test_encode_roundtrip(void **state)
{
	char value[300], enc[CTL_REQ_MAX], line[CTL_REQ_MAX];
	(void)state;

	srandom(7);
	for (int iter = 0; iter < 5000; iter++) {
		size_t n = 1 + (size_t)random() % (sizeof(value) - 1);
		for (size_t i = 0; i < n; i++) {
			int c;
			do
				c = (int)(random() % 256);
			while (c < 0x20 || c == 0x7f);
			value[i] = (char)c;
		}
		value[n] = '\0';
		int e = ctl_value_encode(value, n, enc, sizeof(enc));
		assert_true(e > 0);
		assert_int_equal((size_t)e, strlen(enc));
		assert_null(strpbrk(enc, " \r\n"));
		snprintf(line, sizeof(line), "check rcpt=%s", enc);
		assert_int_equal(parse(line), 0);
		assert_memory_equal(req.arg[CTL_K_RCPT], value, n + 1);
	}
	/* too small an output buffer */
	assert_int_equal(ctl_value_encode("abc", 3, enc, 3), -E2BIG);
	assert_int_equal(ctl_value_encode(" ", 1, enc, 3), -E2BIG);
	assert_int_equal(ctl_value_encode(" ", 1, enc, 4), 3);
	assert_string_equal(enc, "%20");
}

static long
roundtrip(void)
{
	int n = ctl_resp_render(&resp, wire, sizeof(wire));
	assert_true(n > 0);
	long used = ctl_reply_parse(wire, (size_t)n, &reply);
	assert_int_equal(used, n);
	/* any proper prefix is incomplete, never an error */
	for (int cut = 0; cut < n; cut += 1 + n / 50)
		assert_int_equal(ctl_reply_parse(wire, (size_t)cut, &reply), 0);
	return ctl_reply_parse(wire, (size_t)n, &reply);
}

static void
test_response_roundtrip(void **state)
{
	(void)state;
	ctl_resp_init(&resp);
	roundtrip();
	assert_true(reply.ok);
	assert_int_equal(reply.n, 0);

	ctl_resp_init(&resp);
	assert_int_equal(ctl_resp_add(&resp, "generation", "%d", 42), 0);
	assert_int_equal(ctl_resp_add(&resp, "rcpt_reply", "550 5.1.1 <a\r\nb>: x"), 0);
	assert_int_equal(ctl_resp_add(&resp, "path", "%s", ""), 0);
	roundtrip();
	assert_true(reply.ok);
	assert_int_equal(reply.n, 3);
	assert_string_equal(ctl_reply_get(&reply, "generation"), "42");
	assert_string_equal(ctl_reply_get(&reply, "rcpt_reply"), "550 5.1.1 <a??b>: x");
	assert_string_equal(ctl_reply_get(&reply, "path"), "");
	assert_null(ctl_reply_get(&reply, "missing"));

	ctl_resp_error(&resp, -ERANGE, "table shrank by %d%%\n", 60);
	roundtrip();
	assert_false(reply.ok);
	assert_string_equal(reply.err_name, "ERANGE");
	assert_string_equal(reply.err_text, "table shrank by 60%?");
	/* a response that became an error takes no more lines */
	assert_int_equal(ctl_resp_add(&resp, "x", "y"), -EINVAL);

	/* bad keys are refused */
	ctl_resp_init(&resp);
	assert_int_equal(ctl_resp_add(&resp, "Bad Key", "y"), -EINVAL);
	roundtrip();
	assert_string_equal(reply.err_name, "EINVAL");
}

static void
test_response_overflow(void **state)
{
	(void)state;
	ctl_resp_init(&resp);
	int rc = 0;
	unsigned i;
	for (i = 0; rc == 0 && i < 2 * CTL_RESP_LINES_MAX; i++)
		rc = ctl_resp_add(&resp, "k", "%u", i);
	assert_int_equal(rc, -E2BIG);
	assert_int_equal(i, CTL_RESP_LINES_MAX + 1);
	roundtrip();
	assert_string_equal(reply.err_name, "E2BIG");

	/* long values are cut to one line */
	static char big[4 * CTL_LINE_MAX];
	memset(big, 'v', sizeof(big) - 1);
	ctl_resp_init(&resp);
	for (rc = 0; rc == 0;)
		rc = ctl_resp_add(&resp, "k", "%s", big);
	assert_int_equal(rc, -E2BIG);
	assert_true(resp.len <= sizeof(resp.body));
	ctl_resp_init(&resp);
	assert_int_equal(ctl_resp_add(&resp, "k", "%s", big), 0);
	roundtrip();
	assert_int_equal(strlen(reply.kv[0].value), CTL_LINE_MAX - 3 - 1);
}

static void
test_reply_malformed(void **state)
{
	static const char *const bad[] = {
		"HELLO\n",	   "OK\n",
		"OK x\n",	   "OK 1025\n",
		"OK 123456789\n",  "OK 1\nnospace\n",
		"OK 1\n value\n",  "OK 1\nBad value\n",
		"OK 1\nk v\x01\n", "ERR\n",
		"ERR \n",	   "ERR EVERYLONGERRNONAMETHATDOESNOTFIT1234 x\n",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long rc = ctl_reply_parse(bad[i], strlen(bad[i]), &reply);
		if (rc != -EPROTO)
			fail_msg("\"%s\": %ld, expected -EPROTO", bad[i], rc);
	}
	/* incomplete */
	assert_int_equal(ctl_reply_parse("OK 2\na b\n", 9, &reply), 0);
	assert_int_equal(ctl_reply_parse("OK 2", 4, &reply), 0);
	/* a header line that never ends */
	static char noend[CTL_LINE_MAX + 8];
	memset(noend, 'O', sizeof(noend));
	assert_int_equal(ctl_reply_parse(noend, sizeof(noend), &reply), -EPROTO);
	/* what follows a complete response is left alone */
	assert_int_equal(ctl_reply_parse("OK 1\na b\nOK 0\n", 14, &reply), 9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_requests),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_response_roundtrip),
		cmocka_unit_test(test_response_overflow),
		cmocka_unit_test(test_reply_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
