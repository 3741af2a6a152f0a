/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	policy.c - the recipient policy (decision order and reply text)
 * DESCRIPTION
 *	See policy.h for the decision order. Replies are built into the
 *	caller's result with bounded formatting; the mailbox is echoed as
 *	the client gave it, cut to RG_PATH_MAX bytes, with bytes below 0x20
 *	and 0x7f replaced by '?' so a reply is always one clean line.
 * DIAGNOSTICS
 *	None: every input gets a reply.
 * TRUST
 *	The mailbox is network data. The configuration was checked by
 *	cfg_load (codes 400-599).
 */
#include <string.h>
#include <strings.h>

#include <rcptgate/clean.h>

#include "policy.h"

void
policy_conf_from_config(struct policy_conf *pc, const struct rg_config *cfg)
{
	_Static_assert(sizeof(cfg->relay_domains[0]) == 256, "relay_domains entries are char[256]");
	memset(pc, 0, sizeof(*pc));
	pc->delims = cfg->recipient_delimiter;
	pc->unknown_code = cfg->unknown_recipient_reject_code;
	pc->relay_code = cfg->relay_domains_reject_code;
	pc->relay_domains = cfg->relay_domains;
	pc->n_relay_domains = cfg->n_relay_domains;
}

const char *
policy_verdict_name(enum policy_verdict verdict)
{
	switch (verdict) {
	case POLICY_ACCEPT:
		return "accept";
	case POLICY_REJECT_UNKNOWN:
		return "reject_unknown";
	case POLICY_REJECT_RELAY:
		return "reject_relay";
	case POLICY_TEMPFAIL_NO_TABLE:
		return "tempfail_no_table";
	case POLICY_BAD_ADDRESS:
		return "bad_address";
	}
	return "?";
}

static size_t
policy_put(char *r, size_t o, const char *s)
{
	size_t n = strlen(s);

	memcpy(r + o, s, n);
	return o + n;
}

/*
 * Write "CODE X.Y.Z <mailbox>: TEXT\r\n" (the <mailbox> part only when
 * WITH_ADDR). The enhanced code's class follows the reply code's. Built
 * by hand, not with snprintf: this runs for every RCPT. Sizes: at most
 * 10 + 2 + RG_PATH_MAX + 3 + 41 + 2 bytes, within sizeof(res->reply).
 */
static void
policy_reply(struct policy_result *res, unsigned code, const char *enh_rest, bool with_addr,
	     const char *mailbox, size_t n, const char *text)
{
	char *r = res->reply;
	size_t o = 0;

	_Static_assert(sizeof(res->reply) >= 10 + 2 + RG_PATH_MAX + 3 + 48, "reply buffer too small");
	res->code = code;
	r[o++] = (char)('0' + code / 100 % 10);
	r[o++] = (char)('0' + code / 10 % 10);
	r[o++] = (char)('0' + code % 10);
	r[o++] = ' ';
	r[o++] = (char)('0' + code / 100 % 10);
	r[o++] = '.';
	o = policy_put(r, o, enh_rest); /* "1.1", "7.1", ...: 3 bytes */
	r[o++] = ' ';
	if (with_addr) {
		size_t m = n > RG_PATH_MAX ? RG_PATH_MAX : n;
		r[o++] = '<';
		rg_copy_clean(r + o, mailbox, m);
		o += m;
		o = policy_put(r, o, ">: ");
	}
	o = policy_put(r, o, text); /* at most 41 bytes */
	r[o++] = '\r';
	r[o++] = '\n';
	r[o] = '\0';
	res->len = o;
}

static bool
policy_relay_domain(const struct policy_conf *pc, const char *d, size_t n)
{
	for (unsigned i = 0; i < pc->n_relay_domains; i++)
		if (strncmp(pc->relay_domains[i], d, n) == 0 && pc->relay_domains[i][n] == '\0')
			return true;
	return false;
}

/* Local part is postmaster or abuse, in any case. */
static bool
policy_role_account(const struct rg_addr *a)
{
	return (a->local_len == 10 && strncasecmp(a->buf, "postmaster", 10) == 0) ||
		(a->local_len == 5 && strncasecmp(a->buf, "abuse", 5) == 0);
}

void
policy_rcpt_ruled(const struct policy_conf *pc, const char *mailbox, size_t n, const struct rg_addr *a,
		  enum tbl_rule rule, struct policy_result *res)
{
	res->rule = rule;
	if (rule == TBL_RULE_NO_DOMAIN &&
	    !policy_relay_domain(pc, a->buf + a->local_len + 1, (size_t)a->len - a->local_len - 1)) {
		res->verdict = POLICY_REJECT_RELAY;
		policy_reply(res, pc->relay_code, "7.1", true, mailbox, n, "Relay access denied");
		return;
	}
	if (rule == TBL_RULE_EXACT || rule == TBL_RULE_BASE || rule == TBL_RULE_CATCHALL ||
	    policy_role_account(a)) {
		res->verdict = POLICY_ACCEPT;
		policy_reply(res, 250, "1.5", false, NULL, 0, "Ok");
		return;
	}
	res->verdict = POLICY_REJECT_UNKNOWN;
	policy_reply(res, pc->unknown_code, "1.1", true, mailbox, n,
		     "Recipient address rejected: User unknown");
}

void
policy_rcpt(const struct policy_conf *pc, const struct tbl *t, const char *mailbox, size_t n,
	    struct policy_result *res)
{
	struct rg_addr a;

	res->rule = TBL_RULE_NONE;
	if (t == NULL) {
		res->verdict = POLICY_TEMPFAIL_NO_TABLE;
		policy_reply(res, 451, "3.0", true, mailbox, n, "Temporary lookup failure");
		return;
	}
	/* the table decides how local parts were folded when it was compiled */
	if (rg_addr_normalize(mailbox, n, tbl_addr_flags(t), &a) != RG_ADDR_OK) {
		res->verdict = POLICY_BAD_ADDRESS;
		policy_reply(res, 501, "1.3", false, NULL, 0, "Bad recipient address syntax");
		return;
	}
	if (!rg_addr_has_domain(&a)) {
		/* rg_addr_normalize accepts only <postmaster> without a domain */
		res->verdict = POLICY_ACCEPT;
		policy_reply(res, 250, "1.5", false, NULL, 0, "Ok");
		return;
	}
	policy_rcpt_ruled(pc, mailbox, n, &a, tbl_lookup(t, &a, pc->delims), res);
}
