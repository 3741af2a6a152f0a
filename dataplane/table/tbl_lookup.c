/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tbl_lookup.c - recipient lookups, single and burst
 * DESCRIPTION
 *	A lookup is: exact key; on a miss, the domain key "@domain" (served?
 *	catch-all?); then, when the address has an extension, the base
 *	address. Domain keys are few and stay in cache, so under attack (all
 *	misses) the cost is the exact probe: one pilot byte and one slot.
 *
 *	tbl_lookup_burst() runs the exact probes of up to TBL_BURST_MAX keys
 *	in stages - hash all and prefetch their pilots, read pilots and
 *	prefetch the slots, read slots and prefetch the key bytes, compare -
 *	so the cache misses of the keys overlap instead of adding up.
 * TRUST
 *	The table was verified by tbl_open(); addresses come from
 *	rg_addr_normalize(). Nothing here can fail or log.
 */
#include <string.h>

#include "tbl_impl.h"

const char *
tbl_rule_name(enum tbl_rule rule)
{
	switch (rule) {
	case TBL_RULE_NONE:
		return "none";
	case TBL_RULE_EXACT:
		return "exact";
	case TBL_RULE_BASE:
		return "base";
	case TBL_RULE_CATCHALL:
		return "catchall";
	case TBL_RULE_NO_DOMAIN:
		return "no_domain";
	}
	return "?";
}

static inline uint64_t
tbl_hash(const struct tbl *t, const char *k, size_t len)
{
	return rg_hash64(k, len, t->seed);
}

/* Domain key "@domain" lookup: -1 not served, else its TBL_TAG_*. */
static int
tbl_domain_tag(const struct tbl *t, const char *k, size_t len)
{
	uint64_t e = tbl_probe(t, k, len, tbl_hash(t, k, len));

	if (e == 0)
		return -1;
	return (uint8_t)t->blob[tbl_fmt_slot_off(e) + len];
}

bool
tbl_domain_served(const struct tbl *t, const char *domain, size_t n)
{
	char k[RG_DOMAIN_MAX + 1];

	if (n == 0 || n > RG_DOMAIN_MAX)
		return false;
	k[0] = '@';
	memcpy(k + 1, domain, n);
	return tbl_domain_tag(t, k, n + 1) >= 0;
}

/* The rules after a missed exact probe. */
static enum tbl_rule
tbl_after_miss(const struct tbl *t, const struct rg_addr *a, const char *delims)
{
	struct rg_addr base;

	if (!rg_addr_has_domain(a))
		return TBL_RULE_NO_DOMAIN;
	int tag = tbl_domain_tag(t, a->buf + a->local_len, (size_t)a->len - a->local_len);
	if (tag < 0)
		return TBL_RULE_NO_DOMAIN;
	if (rg_addr_base(a, delims, &base) &&
	    tbl_probe(t, base.buf, base.len, tbl_hash(t, base.buf, base.len)) != 0)
		return TBL_RULE_BASE;
	return tag == TBL_TAG_CATCHALL ? TBL_RULE_CATCHALL : TBL_RULE_NONE;
}

enum tbl_rule
tbl_lookup(const struct tbl *t, const struct rg_addr *a, const char *delims)
{
	if (a->len == 0)
		return TBL_RULE_NO_DOMAIN;
	if (tbl_probe(t, a->buf, a->len, tbl_hash(t, a->buf, a->len)) != 0)
		return TBL_RULE_EXACT;
	return tbl_after_miss(t, a, delims);
}

static void
tbl_burst_step(const struct tbl *t, const struct rg_addr *const a[], unsigned n,
	       const char *delims, enum tbl_rule out[])
{
	uint64_t h[TBL_BURST_MAX], slot[TBL_BURST_MAX], e[TBL_BURST_MAX];
	uint64_t bucket[TBL_BURST_MAX];
	unsigned i;

	for (i = 0; i < n; i++) {
		h[i] = tbl_hash(t, a[i]->buf, a[i]->len);
		bucket[i] = tbl_fmt_bucket(h[i], &t->bp);
		__builtin_prefetch(&t->pilots[bucket[i]]);
	}
	for (i = 0; i < n; i++) {
		slot[i] = tbl_fmt_slot(h[i], t->pilots[bucket[i]], t->n_slots);
		__builtin_prefetch(&t->slots[slot[i]]);
	}
	for (i = 0; i < n; i++) {
		e[i] = t->slots[slot[i]];
		if (tbl_fmt_slot_fp(e[i]) == tbl_fmt_fp(h[i]))
			__builtin_prefetch(t->blob + tbl_fmt_slot_off(e[i]));
	}
	for (i = 0; i < n; i++) {
		size_t len = a[i]->len;
		if (len != 0 && tbl_fmt_slot_fp(e[i]) == tbl_fmt_fp(h[i]) && tbl_fmt_slot_len(e[i]) == len &&
		    memcmp(t->blob + tbl_fmt_slot_off(e[i]), a[i]->buf, len) == 0)
			out[i] = TBL_RULE_EXACT;
		else
			out[i] = tbl_after_miss(t, a[i], delims);
	}
}

unsigned
tbl_lookup_burst(const struct tbl *t, const struct rg_addr *const a[], unsigned n,
		 const char *delims, enum tbl_rule out[])
{
	for (unsigned done = 0; done < n; done += TBL_BURST_MAX) {
		unsigned k = n - done < TBL_BURST_MAX ? n - done : TBL_BURST_MAX;
		tbl_burst_step(t, a + done, k, delims, out + done);
	}
	return n;
}
