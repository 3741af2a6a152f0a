/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	policy.h - the recipient policy: what RCPT TO gets as a reply
 * DESCRIPTION
 *	policy_rcpt() applies the decision order of the design ("SMTP and
 *	the recipient policy") to one RCPT TO mailbox and writes the
 *	complete reply line. The SMTP engine calls it for every RCPT and
 *	"rcptgatectl check" calls it too, so check prints exactly what the
 *	wire would say.
 *
 *	1. no table              -> 451 4.3.0 <addr>: Temporary lookup failure
 *	2. bad address           -> 501 5.1.3 Bad recipient address syntax
 *	3. bare <postmaster>     -> 250 2.1.5 Ok
 *	4. domain not served     -> 554 5.7.1 <addr>: Relay access denied
 *	   (served = in the table or in relay_domains; code relay_code)
 *	5. postmaster@, abuse@   -> 250 2.1.5 Ok
 *	6. exact, base (without extension), catch-all -> 250 2.1.5 Ok
 *	7. otherwise             -> 550 5.1.1 <addr>: Recipient address
 *	   rejected: User unknown (unknown_code; 4.1.1 when it is 4xx)
 *	soft_bounce is not applied here: the SMTP engine applies it to
 *	every reply it sends (smtp_soft_bounce() in smtp/smtp.h), so the
 *	policy's replies, the engine's own and the backend's are treated
 *	alike.
 *
 *	<addr> is the mailbox as the client gave it, bounded to RG_PATH_MAX
 *	bytes, with control characters replaced by '?'. Replies never name
 *	tables or hosts.
 *
 *	Plain C, no DPDK, no allocation; safe to call from any lcore.
 * TRUST
 *	The mailbox is network data (any bytes, any length).
 */
#ifndef RG_POLICY_H
#define RG_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <rcptgate/addr.h>

#include "config.h"
#include "table/tbl.h"

struct policy_conf {			  /* filled from struct rg_config with policy_conf_from_config() */
	const char *delims;		  /* recipient_delimiter, "" for none */
	unsigned unknown_code;		  /* 550 */
	unsigned relay_code;		  /* 554 */
	const char (*relay_domains)[256]; /* extra served domains (lower case) */
	unsigned n_relay_domains;
};

/*
 * policy_conf_from_config - point PC at CFG's policy settings (CFG must
 * outlive PC).
 */
void policy_conf_from_config(struct policy_conf *pc, const struct rg_config *cfg);

enum policy_verdict {
	POLICY_ACCEPT,
	POLICY_REJECT_UNKNOWN,
	POLICY_REJECT_RELAY,
	POLICY_TEMPFAIL_NO_TABLE,
	POLICY_BAD_ADDRESS,
};

struct policy_result {
	enum policy_verdict verdict;
	enum tbl_rule rule;	       /* which rule matched, for counters */
	unsigned code;		       /* 250, 550, 554, 451, 501, ... (the configured codes) */
	size_t len;		       /* reply length */
	char reply[RG_PATH_MAX + 128]; /* the complete reply line ending in CRLF */
};

/*
 * policy_rcpt - decide on MAILBOX[0..N), the text between < and > of
 * RCPT TO, and fill RES.
 *
 * @t: the table, or NULL when none is loaded (-> 451 4.3.0)
 */
void policy_rcpt(const struct policy_conf *pc, const struct tbl *t, const char *mailbox, size_t n,
		 struct policy_result *res);

/*
 * policy_rcpt_ruled - the verdict policy_rcpt() gives once MAILBOX is
 * normalised for the table (A, with a domain) and the table's RULE for
 * it is known: policy_rcpt() ends in it, and the RCPTs looked up ahead
 * in a burst (tbl_lookup_burst()) come to it directly.
 */
void policy_rcpt_ruled(const struct policy_conf *pc, const char *mailbox, size_t n, const struct rg_addr *a,
		       enum tbl_rule rule, struct policy_result *res);

/* A short name of VERDICT ("accept", "reject_unknown", ...). */
const char *policy_verdict_name(enum policy_verdict verdict);

#endif /* RG_POLICY_H */
