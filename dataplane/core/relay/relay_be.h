/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	relay_be.h - the backend SMTP/LMTP client of one relayed session
 * DESCRIPTION
 *	A plain-C state machine with no I/O of its own: the caller feeds
 *	the bytes the backend sent to relay_be_input(), writes what the
 *	machine queued in be->out to the backend, streams the message body
 *	itself while relay_be_body_open() says so, and calls relay_be_fail()
 *	when the connection broke or a reply did not come in time (the
 *	caller owns the clock).
 *
 *	It replays the client's envelope on the backend: greeting, EHLO
 *	(LHLO for LMTP), XCLIENT with the client's address and HELO name
 *	when the backend advertises it (then EHLO again), MAIL with the
 *	client's parameters, then one RCPT per recipient the policy
 *	accepted, DATA, the message and the end marker, RSET and QUIT.
 *	Each client-visible step - a RCPT, the end of a message - gets
 *	exactly one reply through the reply callback: the backend's own
 *	reply (its last line, host name scrubbed) or, when the backend
 *	cannot be reached or answered nothing usable, one of ours:
 *	"451 4.4.1" before the message, "421 4.4.2" after it began.
 *	It never makes up a 2xx or a 5xx.
 *
 *	LMTP answers the end of a message once per recipient. A client
 *	speaking SMTP can take only one reply, so an LMTP transaction is
 *	held to one recipient: a second RCPT gets "452 4.5.3" (RFC 5321
 *	says to send that recipient in a later transaction) and the one
 *	per-recipient reply is the client's reply - exact, never a 250 for
 *	a recipient the backend refused.
 * DIAGNOSTICS
 *	Functions return 0 or a negative errno; a protocol error of the
 *	backend makes relay_be_input() return -EPROTO after answering the
 *	pending step (the caller closes the connection). Counts into the
 *	RELAY group of include/rcptgate/counters.h.
 * TRUST
 *	Backend bytes are untrusted: reply lines are bounded
 *	(RELAY_LINE_MAX, longer ones truncated), codes checked, control
 *	characters replaced before a reply reaches a client. Envelope
 *	strings come from the SMTP engine, already checked and bounded.
 */
#ifndef RG_RELAY_BE_H
#define RG_RELAY_BE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RELAY_LINE_MAX 1000  /* reply line octets kept (RFC 5321 4.5.3.1.5: 512) */
#define RELAY_REPLY_MAX 512  /* a reply handed to a client, CRLF included */
#define RELAY_OUT_MAX 1536   /* queued command octets (the longest is XCLIENT) */
#define RELAY_PATH_MAX 300   /* a path, NUL included */
#define RELAY_PARAMS_MAX 128 /* MAIL parameters, NUL included */
#define RELAY_NAME_MAX 256   /* host names, NUL included */
#define RELAY_IP_MAX 46

enum relay_proto { RELAY_SMTP, RELAY_LMTP };

/* The client's side of a transaction, as the SMTP engine accepted it. */
struct relay_env {
	char client_ip[RELAY_IP_MAX];
	char helo[RELAY_NAME_MAX];
	bool esmtp;		       /* the client greeted with EHLO */
	char from[RELAY_PATH_MAX];     /* MAIL path without <>, "" = null sender */
	char params[RELAY_PARAMS_MAX]; /* MAIL parameters (SIZE=, BODY=, SMTPUTF8) */
};

/* Called once per answered step; TEXT is one reply line ending CRLF. */
typedef void (*relay_reply_fn)(void *arg, const char *text, size_t n);

struct relay_be {
	uint8_t proto;	   /* enum relay_proto */
	uint8_t state;	   /* private (relay_be.c) */
	uint8_t op;	   /* the client step waiting for a reply */
	uint8_t xattrs;	   /* XCLIENT attributes the backend offers */
	bool xclient_sent; /* this connection speaks for one client */
	bool has_env;	   /* env is set for the current transaction */
	bool in_txn;	   /* MAIL accepted by the backend */
	bool long_line;	   /* discarding the rest of an over-long line */
	uint32_t n_rcpt;   /* RCPTs the backend accepted in this transaction */
	uint32_t n_final;  /* LMTP: final replies still to come */
	uint16_t line_len;
	uint16_t out_len;
	uint16_t fin_len;  /* the final reply held back so far */
	uint16_t name_len; /* backend host name from its greeting */
	relay_reply_fn reply;
	void *reply_arg;
	uint64_t *ctr;	      /* counters (enum rg_counter) */
	const char *myname;   /* our host name, put where the backend's was */
	const char *cfg_host; /* the backend as configured (also scrubbed) */
	struct relay_env env;
	char to[RELAY_PATH_MAX]; /* the recipient waiting for MAIL to finish */
	char name[RELAY_NAME_MAX];
	char fin[RELAY_REPLY_MAX]; /* reply to give at the end (DATA refused, LMTP) */
	char line[RELAY_LINE_MAX + 1];
	char out[RELAY_OUT_MAX]; /* commands to write to the backend */
};

/*
 * relay_be_init - start the client for a connection that was just
 * opened (it waits for the greeting).
 *
 * @proto: RELAY_SMTP or RELAY_LMTP.
 * @myname: our host name (EHLO argument, put in place of the
 * backend's name in relayed replies); kept by reference.
 * @cfg_host: the backend's host as configured (scrubbed too), or NULL.
 * @fn, @arg: the reply callback.
 * @ctr: counters, indexed by enum rg_counter.
 */
void relay_be_init(struct relay_be *be, enum relay_proto proto, const char *myname, const char *cfg_host,
		   relay_reply_fn fn, void *arg, uint64_t *ctr);

/*
 * relay_be_input - N bytes from the backend. Replies that complete a
 * client step are handed to the reply callback; new commands are queued
 * in be->out.
 *
 * Return: 0; -EPROTO when the backend spoke something that is not
 * SMTP, or refused the handshake or a command that must work
 * (the pending step was answered; close the connection).
 */
int relay_be_input(struct relay_be *be, const uint8_t *p, size_t n);

/*
 * relay_be_rcpt - a recipient the policy accepted. The first one of a
 * transaction (ENV given) sends MAIL first, as soon as the handshake is
 * done. The reply callback gives the backend's RCPT reply (or MAIL's,
 * when MAIL failed).
 *
 * @env: the transaction's envelope; copied. NULL after the first
 * recipient of a transaction.
 * Return: 0; -EBUSY when a step is still waiting for its reply;
 * -EINVAL when TO does not fit or ENV is missing (on a failed
 * connection neither matters: the reply is "451 4.4.1").
 */
int relay_be_rcpt(struct relay_be *be, const struct relay_env *env, const char *to, size_t n);

/*
 * relay_be_data - the client sent DATA (the engine answered 354). Sends
 * DATA; while relay_be_body_open() is false the caller holds the body.
 *
 * When the backend accepted no recipient the message is refused at its
 * end with "451 4.3.0" (never a 5xx of ours).
 *
 * Return: 0; -EBUSY when a step is waiting; -EINVAL while the
 * connection is busy with something else (RSET, QUIT).
 */
int relay_be_data(struct relay_be *be);

/*
 * relay_be_body_open - may message bytes be written to the backend now
 * (it answered 354)?
 */
bool relay_be_body_open(const struct relay_be *be);

/*
 * relay_be_body_settled - has DATA been answered (354 or a refusal), so
 * relay_be_end() may be called once the held body is written or dropped?
 */
bool relay_be_body_settled(const struct relay_be *be);

/*
 * relay_be_end - the end of the message. With OK the end marker is
 * queued (the caller has written every body byte before) and the reply
 * callback will give the client's reply; without OK (the engine
 * refused the message) the backend's transaction cannot be aborted
 * inside DATA: the connection is given up (return -ECONNABORTED, no
 * reply) unless the backend had refused DATA (then RSET, 0).
 *
 * Return: 0; -ECONNABORTED: close the connection; -EINVAL when no
 * DATA was sent (with OK the client still gets "421 4.4.2").
 */
int relay_be_end(struct relay_be *be, bool ok);

/*
 * relay_be_rset - the client's transaction ended without a message
 * (RSET, HELO/EHLO, failed step): RSET on the backend if it had one.
 *
 * Return: 0; -EBUSY when a step is waiting for its reply.
 */
int relay_be_rset(struct relay_be *be);

/* relay_be_quit - queue QUIT; the connection is to be closed after it. */
void relay_be_quit(struct relay_be *be);

/*
 * relay_be_fail - the connection broke, or the pending reply did not
 * come in time (TIMEOUT). The pending step is answered ("451 4.4.1"
 * before DATA, "421 4.4.2" in or after it) and every later step until
 * relay_be_rset() too. Counts a timeout.
 */
void relay_be_fail(struct relay_be *be, bool timeout);

/* relay_be_waiting - is a reply from the backend expected (timer on)? */
bool relay_be_waiting(const struct relay_be *be);

/*
 * relay_be_reusable - may this connection serve another session? Only
 * when it is idle (no transaction, nothing pending) and never told the
 * backend about a client (XCLIENT binds it to that client).
 */
bool relay_be_reusable(const struct relay_be *be);

/* relay_be_dead - has the connection failed (the caller closes it)? */
bool relay_be_dead(const struct relay_be *be);

/* relay_be_out_consume - N bytes of be->out were written. */
void relay_be_out_consume(struct relay_be *be, size_t n);

#endif /* RG_RELAY_BE_H */
