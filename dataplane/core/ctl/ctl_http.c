/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_http.c - the request head parser of the metrics endpoint
 * DESCRIPTION
 *	See ctl_http.h. Written here rather than taken from a library: the
 *	endpoint needs a tiny subset of HTTP/1.1 (one resource, no body, no
 *	persistent connection, no chunking), and a few checks of a bounded
 *	buffer are easier to audit and fuzz than an HTTP library linked into
 *	the daemon. The grammar is RFC 9112's (request-line, field-line)
 *	with RFC 9110's token; what the endpoint does not need (absolute-form
 *	targets other than http://, trailers, upgrades) is refused or ignored.
 * DIAGNOSTICS
 *	The status to answer.
 * TRUST
 *	Untrusted octets, bounded by LEN and CTL_HTTP_HEAD_MAX.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctl/ctl_http.h"

#define HTTP_PATH "/metrics"

/* RFC 9110 5.6.2: tchar. */
static bool
http_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static size_t
http_token(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && http_tchar((unsigned char)s[i]))
		i++;
	return i;
}

/*
 * The next line of BUF[*POS..LIMIT): its start and length without the
 * CR LF (or bare LF), *POS moved past it. False when no LF is there yet.
 */
static bool
http_line(const char *buf, size_t limit, size_t *pos, const char **line, size_t *n)
{
	const char *lf = memchr(buf + *pos, '\n', limit - *pos);
	if (lf == NULL)
		return false;
	*line = buf + *pos;
	*n = (size_t)(lf - *line);
	if (*n > 0 && (*line)[*n - 1] == '\r')
		(*n)--;
	*pos = (size_t)(lf - buf) + 1;
	return true;
}

/* Where the head starts: RFC 9112 2.2 lets empty lines come before it. */
static size_t
http_start(const char *buf, size_t len)
{
	size_t i = 0;
	while (i < len && i < CTL_HTTP_HEAD_MAX && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i;
}

/* The offset just past the empty line ending the head, or 0. */
static size_t
http_head_end(const char *buf, size_t len)
{
	size_t limit = len < CTL_HTTP_HEAD_MAX ? len : CTL_HTTP_HEAD_MAX;
	size_t pos = http_start(buf, limit);
	const char *line;
	size_t n;
	bool first = true;

	while (http_line(buf, limit, &pos, &line, &n)) {
		if (n == 0 && !first)
			return pos;
		first = false;
	}
	return 0;
}

/* HTTP-version: "HTTP/1.0" or "HTTP/1.1" (200), "HTTP/2.0" and up (505), else 400. */
static enum ctl_http_status
http_version(const char *v, size_t n, bool *v11)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' ||
	    v[7] > '9')
		return CTL_HTTP_BAD_REQUEST;
	if (v[5] != '1')
		return v[5] == '0' ? CTL_HTTP_BAD_REQUEST : CTL_HTTP_BAD_VERSION;
	*v11 = v[7] != '0';
	return CTL_HTTP_OK;
}

/*
 * The path of an origin-form target ("/p?q"), or of an absolute-form
 * one "http://authority/p?q" (RFC 9112 3.2.2), without the query.
 */
static bool
http_path(const char *t, size_t n, const char **path, size_t *plen)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return false;
	if (n >= 7 && strncasecmp(t, "http://", 7) == 0) {
		const char *slash = memchr(t + 7, '/', n - 7);
		if (slash == NULL) { /* empty path: "/" */
			*path = "/";
			*plen = 1;
			return n > 7;
		}
		n -= (size_t)(slash - t);
		t = slash;
	}
	if (n == 0 || t[0] != '/')
		return false;
	const char *q = memchr(t, '?', n);
	*path = t;
	*plen = q ? (size_t)(q - t) : n;
	return true;
}

/* A field line: token ":" OWS value OWS, value without control octets but HTAB. */
static bool
http_field(const char *l, size_t n, bool *is_host)
{
	size_t name = http_token(l, n);
	if (name == 0 || name == n || l[name] != ':')
		return false;
	for (size_t i = name + 1; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	*is_host = name == 4 && strncasecmp(l, "host", 4) == 0;
	return true;
}

enum ctl_http_status
ctl_http_parse(const char *buf, size_t len, struct ctl_http_req *r)
{
	size_t end = http_head_end(buf, len);
	if (end == 0)
		return len >= CTL_HTTP_HEAD_MAX ? CTL_HTTP_TOO_LARGE : CTL_HTTP_MORE;

	size_t pos = http_start(buf, end);
	const char *line, *path;
	size_t n, plen;
	bool v11 = false;
	unsigned hosts = 0;

	/* request-line = method SP request-target SP HTTP-version */
	(void)http_line(buf, end, &pos, &line, &n);
	if (memchr(line, '\r', n) != NULL)
		return CTL_HTTP_BAD_REQUEST; /* a bare CR */
	size_t m = http_token(line, n);
	const char *sp2 = m < n ? memchr(line + m + 1, ' ', n - m - 1) : NULL;
	if (m == 0 || m == n || line[m] != ' ' || sp2 == NULL)
		return CTL_HTTP_BAD_REQUEST;
	const char *method = line, *target = line + m + 1, *ver = sp2 + 1;
	enum ctl_http_status st = http_version(ver, (size_t)(line + n - ver), &v11);
	if (st != CTL_HTTP_OK)
		return st;
	if (!http_path(target, (size_t)(sp2 - target), &path, &plen))
		return CTL_HTTP_BAD_REQUEST;

	/* field-lines, up to the empty line */
	while (http_line(buf, end, &pos, &line, &n) && n > 0) {
		bool is_host = false;
		if (memchr(line, '\r', n) != NULL || !http_field(line, n, &is_host))
			return CTL_HTTP_BAD_REQUEST; /* bare CR, obs-fold, bad name or value */
		hosts += is_host;
	}
	if (v11 && hosts != 1)
		return CTL_HTTP_BAD_REQUEST; /* RFC 9112 3.2 */

	if (plen != strlen(HTTP_PATH) || memcmp(path, HTTP_PATH, plen) != 0)
		return CTL_HTTP_NOT_FOUND;
	bool get = m == 3 && memcmp(method, "GET", 3) == 0;
	bool head = m == 4 && memcmp(method, "HEAD", 4) == 0;
	if (!get && !head)
		return CTL_HTTP_NOT_ALLOWED;
	r->head = head;
	r->head_len = end;
	return CTL_HTTP_OK;
}

const char *
ctl_http_reason(enum ctl_http_status status)
{
	switch (status) {
	case CTL_HTTP_OK:
		return "OK";
	case CTL_HTTP_BAD_REQUEST:
		return "Bad Request";
	case CTL_HTTP_NOT_FOUND:
		return "Not Found";
	case CTL_HTTP_NOT_ALLOWED:
		return "Method Not Allowed";
	case CTL_HTTP_TOO_LARGE:
		return "Request Header Fields Too Large";
	case CTL_HTTP_BAD_VERSION:
		return "HTTP Version Not Supported";
	case CTL_HTTP_SERVER_ERROR:
	case CTL_HTTP_MORE:
		break;
	}
	return "Internal Server Error";
}

int
ctl_http_header(char *buf, size_t cap, enum ctl_http_status status, const char *ctype, size_t body_len)
{
	int n = snprintf(buf, cap,
			 "HTTP/1.1 %d %s\r\n"
			 "%s"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "Connection: close\r\n"
			 "\r\n",
			 (int)status, ctl_http_reason(status),
			 status == CTL_HTTP_NOT_ALLOWED ? "Allow: GET, HEAD\r\n" : "", ctype, body_len);
	return n < 0 || (size_t)n >= cap ? -E2BIG : n;
}
