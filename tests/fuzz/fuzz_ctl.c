/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	fuzz_ctl - libFuzzer target for the control protocol
 * DESCRIPTION
 *	The first input byte picks what the rest is fed to:
 *
 *	0: the request parser. A request it accepts must have a known verb
 *	   and values without control octets; written back with
 *	   ctl_value_encode it must parse again to the same request. A
 *	   request it refuses must leave no argument behind (the daemon then
 *	   answers ERR and runs nothing).
 *	1: the response reader (what rcptgatectl parses). It may accept,
 *	   ask for more, or refuse; what it accepts never claims more bytes
 *	   than it was given, and every key and value is printable.
 *	2: the response writer: the input, cut into values, goes through
 *	   ctl_resp_add and ctl_resp_render and must come back through the
 *	   reader as the same lines (octets outside printable ASCII as '?').
 * DIAGNOSTICS
 *	abort() (a crash for libFuzzer) on a broken invariant.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/ctl_proto.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctl_req req, req2;
static struct ctl_resp resp;
static struct ctl_reply reply;
static char wire[CTL_RESP_MAX];

static void
fuzz_request(const char *p, size_t n)
{
	char err[CTL_ERR_MAX], line[4 * CTL_REQ_MAX], enc[3 * CTL_VALUE_MAX];

	if (ctl_req_parse(p, n, &req, err, sizeof(err)) != 0) {
		for (int k = 0; k < CTL_K_MAX; k++)
			if (req.arg[k] != NULL)
				abort();
		return;
	}
	if ((unsigned)req.verb >= CTL_V_MAX)
		abort();
	size_t len = (size_t)snprintf(line, sizeof(line), "%s", ctl_verb_name(req.verb));
	for (int k = 0; k < CTL_K_MAX; k++) {
		const char *v = req.arg[k];
		if (v == NULL)
			continue;
		for (const char *c = v; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				abort();
		if (ctl_value_encode(v, strlen(v), enc, sizeof(enc)) < 0)
			abort();
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s=%s", ctl_key_name(k), enc);
	}
	if (len < CTL_REQ_MAX) { /* encoding may lengthen a request past the limit */
		if (ctl_req_parse(line, len, &req2, err, sizeof(err)) != 0 || req2.verb != req.verb)
			abort();
		for (int k = 0; k < CTL_K_MAX; k++)
			if ((req.arg[k] == NULL) != (req2.arg[k] == NULL) ||
			    (req.arg[k] && strcmp(req.arg[k], req2.arg[k]) != 0))
				abort();
	}
}

static void
fuzz_reply(const char *p, size_t n)
{
	long used = ctl_reply_parse(p, n, &reply);
	if (used > (long)n)
		abort();
	if (used <= 0 || !reply.ok)
		return;
	for (unsigned i = 0; i < reply.n; i++) {
		if (reply.kv[i].key[0] == '\0')
			abort();
		for (const char *c = reply.kv[i].value; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				abort();
	}
}

static void
fuzz_writer(const char *p, size_t n)
{
	static char values[CTL_RESP_LINES_MAX][CTL_LINE_MAX];
	unsigned lines = 0;

	ctl_resp_init(&resp);
	/* values are the input's pieces between 0xff octets */
	while (lines < CTL_RESP_LINES_MAX) {
		const char *end = memchr(p, 0xff, n);
		size_t len = end ? (size_t)(end - p) : n;
		if (len > CTL_LINE_MAX - 4)
			len = CTL_LINE_MAX - 4;
		snprintf(values[lines], sizeof(values[lines]), "%.*s", (int)len, p);
		if (ctl_resp_add(&resp, "k", "%s", values[lines]) != 0)
			abort();
		lines++;
		if (end == NULL)
			break;
		n -= (size_t)(end - p) + 1;
		p = end + 1;
	}
	int w = ctl_resp_render(&resp, wire, sizeof(wire));
	if (w <= 0 || ctl_reply_parse(wire, (size_t)w, &reply) != w || !reply.ok || reply.n != lines)
		abort();
	for (unsigned i = 0; i < lines; i++) {
		const char *a = values[i], *b = reply.kv[i].value;
		/* what the writer kept: up to a NUL, control octets as '?' */
		for (; *a; a++, b++) {
			char want = ((unsigned char)*a < 0x20 || (unsigned char)*a > 0x7e) ? '?' : *a;
			if (*b != want)
				abort();
		}
		if (*b != '\0')
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *p = (const char *)data + 1;
	switch (data[0] % 3) {
	case 0:
		fuzz_request(p, size - 1);
		break;
	case 1:
		fuzz_reply(p, size - 1);
		break;
	default:
		fuzz_writer(p, size - 1);
		break;
	}
	return 0;
}
