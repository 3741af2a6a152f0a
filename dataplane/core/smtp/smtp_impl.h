/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	smtp_impl.h - what the SMTP engine's source files share
 * DESCRIPTION
 *	Private to dataplane/core/smtp: session flags, the reply helper, the
 *	command dispatcher and the log functions. Callers use smtp.h.
 * TRUST
 *	As smtp.h: lines handed to smtp_command() are complete command
 *	lines without CRLF, at most SMTP_CMD_MAX - 2 octets, free of NUL,
 *	CR and LF (smtp_session.c checks that first).
 */
#ifndef RG_SMTP_IMPL_H
#define RG_SMTP_IMPL_H

#include <rcptgate/counters.h>

#include "smtp/smtp.h"

/* struct smtp_session.flags */
#define SMTP_F_ESMTP 0x0001	/* greeted with EHLO */
#define SMTP_F_DISCARD 0x0002	/* discarding an over-long command line */
#define SMTP_F_CR 0x0004	/* last discarded byte was CR */
#define SMTP_F_SPOKE 0x0008	/* a command line was read (HTTP check done) */
#define SMTP_F_UTF8 0x0010	/* MAIL FROM declared SMTPUTF8 */
#define SMTP_F_BARE 0x0020	/* DATA: bare CR or LF seen */
#define SMTP_F_BIG 0x0040	/* DATA: over message_size_limit */
#define SMTP_F_RELAY 0x0080	/* DATA: the relay takes this message */
#define SMTP_F_RCPT_WAIT 0x0100 /* RELAY_WAIT is for a RCPT, not a message */
#define SMTP_F_TLS 0x0200	/* the session runs over TLS (after STARTTLS) */

/* The HELO name and the sender, kept for log lines (struct smtp_session.env). */
#define SMTP_ENV_HELO 0
#define SMTP_ENV_FROM 320
#define SMTP_ENV_FIELD 300	/* bytes per field, NUL included */
#define SMTP_ENV_PARAMS 640	/* canonical MAIL parameters, for the relay */
#define SMTP_ENV_PARAMS_MAX 128 /* bytes of that field, NUL included */
_Static_assert(SMTP_ENV_FROM + SMTP_ENV_FIELD <= SMTP_ENV_PARAMS, "env fields overlap");
_Static_assert(SMTP_ENV_PARAMS + SMTP_ENV_PARAMS_MAX <= SMTP_LINEBUF_SIZE, "env fields exceed buffer");

/* Commands, for "... after CMD from ..." log lines (struct smtp_session.last_cmd). */
enum smtp_cmd_id {
	SMTP_CMD_CONNECT,
	SMTP_CMD_EHLO,
	SMTP_CMD_HELO,
	SMTP_CMD_MAIL,
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_RSET,
	SMTP_CMD_NOOP,
	SMTP_CMD_QUIT,
	SMTP_CMD_VRFY,
	SMTP_CMD_HELP,
	SMTP_CMD_STARTTLS,
	SMTP_CMD_UNKNOWN,
	SMTP_CMD_END_DATA,
	SMTP_CMD_ID_MAX
};

extern const char *const smtp_cmd_names[SMTP_CMD_ID_MAX];

/* "552 5.3.4 Message size exceeds fixed limit" (MAIL SIZE= and end of DATA). */
extern const char smtp_r_size[];

#define SMTP_COUNT(s, id) ((s)->ctx->ctr[RG_C_##id]++)

/*
 * smtp_ieq - are the N bytes at A and B equal, ASCII letters matched
 * without case? strncasecmp() also stops at a NUL and asks the locale;
 * command verbs and keywords are ASCII, and a call into libc for each
 * table entry was a twentieth of a rejected session.
 */
static inline bool
smtp_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		x = (unsigned char)(x >= 'A' && x <= 'Z' ? x + 32 : x);
		y = (unsigned char)(y >= 'A' && y <= 'Z' ? y + 32 : y);
		if (x != y)
			return false;
	}
	return true;
}

/* Bytes free in OUT. */
static inline size_t
smtp_out_room(const struct smtp_out *out)
{
	return out->cap > out->len ? out->cap - out->len : 0;
}

/*
 * smtp_reply - append the reply R[0..N) to OUT (the caller made sure of
 * SMTP_OUT_RESERVE free bytes); a 4xx or 5xx reply counts as an error
 * of the session (smtpd_hard_error_limit). Return the N bytes as the
 * client gets them (after soft_bounce), for the log line.
 */
const char *smtp_reply(struct smtp_session *s, struct smtp_out *out, const char *r, size_t n);
#define SMTP_REPLY(s, out, lit) smtp_reply((s), (out), (lit), sizeof(lit) - 1)

/* DATA was accepted (354 sent): read the message. */
void smtp_data_begin(struct smtp_session *s);

/* End the mail transaction (RSET, HELO/EHLO, end of DATA). */
void smtp_reset_transaction(struct smtp_session *s);

/* Copy P[0..N) into the env field at OFF, truncated, control bytes as '?'. */
void smtp_env_set(struct smtp_session *s, size_t off, const char *p, size_t n);

/* smtp_rcpt_lookahead - look the RCPTs pipelined in DATA[0..LEN) up in
 * one table burst, for cmd_rcpt() to take (smtp_cmd.c), unless those of
 * an earlier call still lie ahead in DATA. */
void smtp_rcpt_lookahead(struct smtp_session *s, const uint8_t *data, size_t len);

/* The env field at OFF, or "" when there is no env buffer. */
const char *smtp_env_get(const struct smtp_session *s, size_t off);

/*
 * smtp_command - run one command line LINE[0..N).
 *
 * Return: SMTP_OK, SMTP_CLOSE (QUIT) or SMTP_DROP (HTTP request).
 */
int smtp_command(struct smtp_session *s, const char *line, size_t n, struct smtp_out *out);

/*
 * smtp_log_reject - log a rejected RCPT in Postfix's shape: REPLY is the
 * reply line (CRLF ignored), TO[0..TN) the mailbox as given. Rate limited.
 */
void smtp_log_reject(struct smtp_session *s, const char *reply, size_t rn, const char *to, size_t tn);

/* smtp_log_event - log "WHAT after CMD from unknown[ip]". Rate limited. */
void smtp_log_event(struct smtp_session *s, const char *what);

/*
 * smtp_limit_rcpt - (smtp_limits.c) a RCPT under
 * smtpd_client_recipient_rate_limit: true when it is past the limit and
 * "450 4.7.1 Error: too many recipients from IP" was sent.
 */
bool smtp_limit_rcpt(struct smtp_session *s, struct smtp_out *out);

/*
 * smtp_limit_unknown - a recipient was rejected as unknown: counted
 * toward dictionary_block_limit when the sender is not null. At the
 * limit the client is blocked and the session ends with 421.
 *
 * Return: SMTP_OK, or SMTP_CLOSE.
 */
int smtp_limit_unknown(struct smtp_session *s, struct smtp_out *out);

/* smtp_limit_close - the session ends: release its client's session slot. */
void smtp_limit_close(struct smtp_session *s);

#endif /* RG_SMTP_IMPL_H */
