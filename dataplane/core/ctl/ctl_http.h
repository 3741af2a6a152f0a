/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_http.h - the HTTP/1.1 requests the metrics endpoint answers
 * DESCRIPTION
 *	metrics_listen serves one resource, GET (or HEAD) /metrics, to
 *	Prometheus and curl. ctl_http_parse() reads a request head (request
 *	line and header fields, RFC 9112) from the octets received so far
 *	and says what to answer: wait for more, 200, or a 4xx. Bodies are
 *	never read: the connection is closed after each response.
 *
 *	Plain C, no DPDK; unit-tested and fuzzed (tests/fuzz/fuzz_http.c).
 * DIAGNOSTICS
 *	The status to answer; nothing is logged.
 * TRUST
 *	Any octets, any length: nothing past LEN is read, and a head longer
 *	than CTL_HTTP_HEAD_MAX is refused (431) whatever follows.
 */
#ifndef RG_CTL_HTTP_H
#define RG_CTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_HTTP_HEAD_MAX 8192 /* octets of a request head, the empty line included */

/* What ctl_http_parse found (the HTTP status to answer, or 0). */
enum ctl_http_status {
	CTL_HTTP_MORE = 0,	     /* head not complete yet: read more */
	CTL_HTTP_OK = 200,	     /* GET or HEAD of /metrics */
	CTL_HTTP_BAD_REQUEST = 400,  /* malformed request line or field, no or two Host in 1.1 */
	CTL_HTTP_NOT_FOUND = 404,    /* a path other than /metrics */
	CTL_HTTP_NOT_ALLOWED = 405,  /* /metrics with a method other than GET and HEAD */
	CTL_HTTP_TOO_LARGE = 431,    /* no end of head within CTL_HTTP_HEAD_MAX octets */
	CTL_HTTP_SERVER_ERROR = 500, /* not the parser's: no memory for the response */
	CTL_HTTP_BAD_VERSION = 505,  /* HTTP/2 and later on this text protocol */
};

struct ctl_http_req {
	bool head;	 /* HEAD: the answer has no body */
	size_t head_len; /* octets of the head, the empty line included */
};

/*
 * ctl_http_parse - parse the request head at BUF[0..LEN).
 *
 * Checks, in this order: the head ends (an empty line) within
 * CTL_HTTP_HEAD_MAX octets, else 431 (or 0 while LEN is below it);
 * request line "METHOD SP TARGET SP HTTP/1.x", the method a token,
 * the target an origin-form path of visible ASCII, else 400 (HTTP/2+:
 * 505); each field line "NAME: VALUE" with a token name, no space
 * before the colon, no obsolete line folding, no control octet but
 * HTAB in the value, and for HTTP/1.1 exactly one Host field, else
 * 400; the path without its query string is /metrics, else 404; the
 * method is GET or HEAD, else 405. Lines end in CRLF; a bare LF is
 * taken as one (RFC 9112 2.2 allows it), a bare CR is 400.
 *
 * Return: the status; R is filled when it is CTL_HTTP_OK.
 */
enum ctl_http_status ctl_http_parse(const char *buf, size_t len, struct ctl_http_req *r);

/* ctl_http_reason - the reason phrase of STATUS ("OK", "Not Found", ...). */
const char *ctl_http_reason(enum ctl_http_status status);

/*
 * ctl_http_header - the response head for STATUS into BUF (CAP bytes):
 * status line, Content-Type CTYPE, Content-Length BODY_LEN, "Allow:
 * GET, HEAD" with 405, "Connection: close", the empty line.
 *
 * Return: its length, or -E2BIG when it does not fit.
 */
int ctl_http_header(char *buf, size_t cap, enum ctl_http_status status, const char *ctype, size_t body_len);

#endif /* RG_CTL_HTTP_H */
