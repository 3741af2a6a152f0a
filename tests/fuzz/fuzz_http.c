/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	fuzz_http - libFuzzer target for the metrics endpoint's request
 *	parser and the exposition's escaping
 * DESCRIPTION
 *	The first input byte picks what the rest is fed to:
 *
 *	0-127: ctl_http_parse, on the whole input and on a prefix cut where
 *	   the first byte says. The status is one of the enum; "read more"
 *	   only below CTL_HTTP_HEAD_MAX octets; a decision on the prefix is
 *	   the decision on the whole input (what follows the head never
 *	   changes it); 200 only for a head that starts with GET or HEAD
 *	   and names /metrics, and the head it reports parses alone to the
 *	   same answer.
 *	128-255: the input as HELP text and label value of a sample: the
 *	   exposition is exactly three lines (no newline escapes its
 *	   escaping) and the label value ends at the first unescaped quote.
 * DIAGNOSTICS
 *	abort() (a crash for libFuzzer) on a broken invariant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_http.h"
#include "ctl/ctl_prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
known(enum ctl_http_status st)
{
	switch (st) {
	case CTL_HTTP_MORE:
	case CTL_HTTP_OK:
	case CTL_HTTP_BAD_REQUEST:
	case CTL_HTTP_NOT_FOUND:
	case CTL_HTTP_NOT_ALLOWED:
	case CTL_HTTP_TOO_LARGE:
	case CTL_HTTP_BAD_VERSION:
		return true;
	case CTL_HTTP_SERVER_ERROR:
		break;
	}
	return false;
}

static void
fuzz_parse(const char *p, size_t n, size_t cut)
{
	struct ctl_http_req r, r2;
	enum ctl_http_status st = ctl_http_parse(p, n, &r);

	if (!known(st) || (st == CTL_HTTP_MORE && n >= CTL_HTTP_HEAD_MAX))
		abort();
	if (cut > n)
		cut = n;
	enum ctl_http_status pre = ctl_http_parse(p, cut, &r2);
	if (!known(pre) || (pre != CTL_HTTP_MORE && pre != st))
		abort();
	if (st != CTL_HTTP_OK)
		return;
	if (r.head_len == 0 || r.head_len > n || r.head_len > CTL_HTTP_HEAD_MAX ||
	    memmem(p, r.head_len, "/metrics", 8) == NULL)
		abort();
	size_t skip = 0;
	while (skip < r.head_len && (p[skip] == '\r' || p[skip] == '\n'))
		skip++;
	if (skip > r.head_len || (memcmp(p + skip, r.head ? "HEAD " : "GET ", r.head ? 5 : 4) != 0))
		abort();
	if (ctl_http_parse(p, r.head_len, &r2) != CTL_HTTP_OK || r2.head != r.head ||
	    r2.head_len != r.head_len)
		abort();
}

static void
fuzz_escape(const char *p, size_t n)
{
	char text[512], labels[2048] = "";
	struct ctl_prom pr;

	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	memcpy(text, p, n);
	text[n] = '\0';
	if (ctl_prom_label(labels, sizeof(labels), "v", text) != 0)
		abort(); /* 512 octets escaped fit in 2048 */
	ctl_prom_init(&pr);
	ctl_prom_family(&pr, "m", "gauge", text);
	ctl_prom_sample(&pr, "m", labels, "1");
	if (ctl_prom_done(&pr) != 0)
		abort();
	unsigned lines = 0;
	for (size_t i = 0; i < pr.len; i++)
		lines += pr.buf[i] == '\n';
	if (lines != 3 || pr.buf[pr.len - 1] != '\n')
		abort();
	/* the label value: from v=" to the first quote not escaped */
	const char *v = labels + 3, *q = v;
	while (*q != '\0' && *q != '"')
		q += *q == '\\' ? 2 : 1;
	if (*q != '"' || q[1] != '\0')
		abort();
	ctl_prom_free(&pr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	if (data[0] < 128)
		fuzz_parse(p, n, (size_t)data[0] * n / 127);
	else
		fuzz_escape(p, n);
	return 0;
}
