/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_proto.h - the control socket protocol (rcptgate <-> rcptgatectl)
 * DESCRIPTION
 *	One request, one response, over a unix stream socket; a client may
 *	send several requests on one connection (the answers come back in
 *	order). docs/control-protocol.md is the user-facing description;
 *	this header is the contract both sides compile.
 *
 *	Request: one line, at most CTL_REQ_MAX octets with its LF (an
 *	optional CR right before the LF is allowed):
 *
 *		VERB [KEY=VALUE ...] LF
 *
 *	VERB and KEY are lower-case letters and '_'; VALUE is printable
 *	ASCII without space and '%', other octets written as %XX
 *	(ctl_value_encode); a decoded value holds no NUL and no control
 *	octet. At most CTL_ARGS_MAX arguments, each key once, only the keys
 *	the verb knows, every required key present.
 *
 *	Response, either
 *
 *		"OK" SP COUNT LF  then COUNT lines "KEY SP VALUE LF"
 *		"ERR" SP ERRNAME SP TEXT LF
 *
 *	ERRNAME is an errno name (EINVAL, E2BIG, ENOSYS, ...). Keys are
 *	[a-z0-9_.]; values are printable ASCII (the writer replaces other
 *	octets with '?'). A response never exceeds CTL_RESP_MAX
 *	octets, nor CTL_RESP_LINES_MAX lines of CTL_LINE_MAX octets.
 *
 *	Plain C, no DPDK: used by the daemon, rcptgatectl, the unit tests
 *	and the fuzzer.
 * DIAGNOSTICS
 *	Parsers return 0 (or a length) on success and a negative errno with
 *	a one-line reason in the caller's buffer otherwise; they never
 *	write outside the buffers they are given.
 * TRUST
 *	Requests are untrusted (any octets, any length). Responses are
 *	untrusted by the client too: it parses them with the same bounds.
 */
#ifndef RCPTGATE_CTL_PROTO_H
#define RCPTGATE_CTL_PROTO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define CTL_REQ_MAX 2048	  /* request line octets, LF included */
#define CTL_ARGS_MAX 8		  /* KEY=VALUE arguments per request */
#define CTL_VALUE_MAX 1024	  /* decoded value octets, NUL included */
#define CTL_LINE_MAX 1024	  /* response line octets, LF included */
#define CTL_RESP_LINES_MAX 1024	  /* body lines of one response */
#define CTL_RESP_MAX (256 * 1024) /* octets of one response */
#define CTL_ERR_MAX 256		  /* reason buffers */

/* Verbs, in the order of the parser's table. */
enum ctl_verb {
	CTL_V_PING,   /* ping -> version */
	CTL_V_STATUS, /* status -> uptime, port, lcores, table */
	CTL_V_STATS,  /* stats [worker=N] -> every counter, "name value" */
	CTL_V_RELOAD, /* reload [path=FILE] [force=0|1] */
	CTL_V_CHECK,  /* check rcpt=ADDR [client=IP] [helo=NAME] [from=ADDR] */
	CTL_V_BLOCK,  /* block op=add|del|list [cidr=CIDR] (dataplane/xdp_ctl.c) */
	CTL_V_TLS,    /* tls op=reload: re-read the certificate files */
	CTL_V_MAX
};

/* Argument keys (a verb allows a subset). */
enum ctl_key {
	CTL_K_PATH,
	CTL_K_FORCE,
	CTL_K_RCPT,
	CTL_K_CLIENT,
	CTL_K_HELO,
	CTL_K_FROM,
	CTL_K_OP,
	CTL_K_CIDR,
	CTL_K_WORKER,
	CTL_K_MAX
};

struct ctl_req {
	enum ctl_verb verb;
	const char *arg[CTL_K_MAX]; /* decoded value, NULL when absent */
	char store[CTL_REQ_MAX];    /* decoded values live here */
};

/*
 * ctl_req_parse - parse one request line LINE[0..N) (without its LF)
 * into REQ.
 *
 * Return: 0; -E2BIG when N >= CTL_REQ_MAX or a value is too long;
 * -ENOSYS for an unknown verb; -EINVAL for anything else malformed
 * (bad octet, bad escape, unknown, duplicate or missing key, bad value).
 * ERR gets a one-line reason (ERRLEN bytes, always terminated).
 */
int ctl_req_parse(const char *line, size_t n, struct ctl_req *req, char *err, size_t errlen);

/* The name of VERB / KEY as written in requests ("reload", "path"). */
const char *ctl_verb_name(enum ctl_verb verb);
const char *ctl_key_name(enum ctl_key key);

/*
 * ctl_value_encode - write IN[0..N) to OUT as a request value: octets
 * outside 0x21-0x7e and '%' become %XX. OUT gets a terminated string.
 *
 * Return: its length, or -E2BIG when it does not fit in CAP bytes.
 */
int ctl_value_encode(const char *in, size_t n, char *out, size_t cap);

/* ---- responses (writer side) ---- */

struct ctl_resp {
	bool error;    /* an ERR response */
	bool overflow; /* a line did not fit: turned into ERR E2BIG */
	unsigned lines;
	size_t len; /* octets in body */
	char body[CTL_RESP_MAX - 64];
};

/* ctl_resp_init - start an empty OK response. */
void ctl_resp_init(struct ctl_resp *r);

/*
 * ctl_resp_add - add the line "KEY VALUE" (VALUE from FMT). KEY must be
 * [a-z0-9_.]+ (a programming error otherwise: the line is refused and
 * the response becomes ERR EINVAL). Octets of VALUE outside printable
 * ASCII become '?';
 * a value is cut to fit CTL_LINE_MAX.
 *
 * Return: 0, or -E2BIG when the response is full (it becomes ERR E2BIG).
 */
int
ctl_resp_add(struct ctl_resp *r, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * ctl_resp_error - make R the response "ERR ERRNAME TEXT", ERRNAME the
 * name of ERRNUM (positive or negative), TEXT from FMT (octets outside
 * printable ASCII become '?', cut to fit one line). Replaces whatever R held.
 */
void
ctl_resp_error(struct ctl_resp *r, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * ctl_resp_render - the complete response, header first, into OUT.
 *
 * Return: octets written, or -E2BIG when CAP is too small (CTL_RESP_MAX
 * always suffices).
 */
int ctl_resp_render(const struct ctl_resp *r, char *out, size_t cap);

/* ---- responses (reader side) ---- */

struct ctl_kv {
	const char *key;
	const char *value;
};

struct ctl_reply {
	bool ok;
	char err_name[32];	     /* ERR: the errno name */
	char err_text[CTL_LINE_MAX]; /* ERR: the reason */
	unsigned n;		     /* OK: body lines */
	struct ctl_kv kv[CTL_RESP_LINES_MAX];
	char store[CTL_RESP_MAX];
};

/*
 * ctl_reply_parse - parse one complete response at the start of
 * BUF[0..N) into REP (pointers into REP->store).
 *
 * Return: the octets the response used (> 0); 0 when BUF holds only
 * the start of one (read more); -EPROTO when it is malformed or breaks
 * a limit; -E2BIG when it is longer than CTL_RESP_MAX.
 */
long ctl_reply_parse(const char *buf, size_t n, struct ctl_reply *rep);

/* ctl_reply_get - the value of the first line with KEY, or NULL. */
const char *ctl_reply_get(const struct ctl_reply *rep, const char *key);

#endif /* RCPTGATE_CTL_PROTO_H */
