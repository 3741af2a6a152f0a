/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tbl_lookup.c - recipient lookups, single and burst
 * DESCRIPTION
 *	A lookup is: the domain in the served-domain set (small, in cache:
 *	an unserved domain never touches the big table); then the exact key
 *	(one pilot byte, one slot, on a fingerprint match one memcmp); on a
 *	miss, when the address has an extension, the base address; else the
 *	domain's catch-all tag. Under attack (all misses) the cost is one
 *	probe of the big table.
 *
 *	tbl_lookup_burst() runs the probes of up to TBL_BURST_MAX keys in
 *	stages - hash the addresses and prefetch their pilots; read the
 *	pilots and prefetch the slots; read the slots, prefetch the key
 *	bytes of fingerprint matches and settle the misses; compare - so the
 *	cache misses of the keys overlap instead of adding up. It asks the
 *	domain set only after a miss (see tbl_burst_step).
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

/* Tag of A's domain (TBL_TAG_*), or -1: no domain, or not served. */
static inline int
tbl_addr_domain(const struct tbl *t, const struct rg_addr *a)
{
	if (!rg_addr_has_domain(a))
		return -1;
	const char *k = a->buf + a->local_len;	/* "@domain" */
	size_t len = (size_t)a->len - a->local_len;
	return tbl_domain_tag(t, k, len, tbl_hash(t, k, len));
}

bool
tbl_domain_served(const struct tbl *t, const char *domain, size_t n)
{
	char k[RG_DOMAIN_MAX + 1] = { 0 };	/* read in 16-byte steps by tbl_blob_eq */

	if (n == 0 || n > RG_DOMAIN_MAX)
		return false;
	k[0] = '@';
	memcpy(k + 1, domain, n);
	return tbl_domain_tag(t, k, n + 1, tbl_hash(t, k, n + 1)) >= 0;
}

/* The rules after a missed exact probe of A, whose domain has tag TAG. */
static enum tbl_rule
tbl_after_miss(const struct tbl *t, const struct rg_addr *a, const char *delims, int tag)
{
	struct rg_addr base;

	if (rg_addr_base(a, delims, &base) &&
	    tbl_probe(t, base.buf, base.len, tbl_hash(t, base.buf, base.len)) != 0)
		return TBL_RULE_BASE;
	return tag == TBL_TAG_CATCHALL ? TBL_RULE_CATCHALL : TBL_RULE_NONE;
}

enum tbl_rule
tbl_lookup(const struct tbl *t, const struct rg_addr *a, const char *delims)
{
	int tag = tbl_addr_domain(t, a);

	if (tag < 0)
		return TBL_RULE_NO_DOMAIN;
	if (tbl_probe(t, a->buf, a->len, tbl_hash(t, a->buf, a->len)) != 0)
		return TBL_RULE_EXACT;
	return tbl_after_miss(t, a, delims, tag);
}

/* Prefetch the cache lines of blob bytes [off, off + len). */
static inline void
tbl_prefetch_key(const struct tbl *t, uint64_t off, unsigned len)
{
	const char *p = t->blob + off;

	__builtin_prefetch(p);
	if ((((uintptr_t)p & 63) + len) > 64)
		__builtin_prefetch(p + len - 1);	/* a key over two lines */
}

/* The rules for A, whose exact probe missed: domain first, then base and catch-all. */
static enum tbl_rule
tbl_missed(const struct tbl *t, const struct rg_addr *a, const char *delims)
{
	int tag = tbl_addr_domain(t, a);

	return tag < 0 ? TBL_RULE_NO_DOMAIN : tbl_after_miss(t, a, delims, tag);
}

/*
 * Unlike tbl_lookup(), the burst probes the big table first and checks
 * the domain only for keys that missed: a hit then never pays the domain
 * hash, and a miss known from its slot (fingerprint or length differs,
 * nearly every miss) gets its domain check in stage 3, while the key
 * bytes of the candidate hits are on their way. An unserved domain costs
 * one probe, overlapped with the others. Measured against domain-first:
 * docs/benchmarks.md.
 */
static void
tbl_burst_step(const struct tbl *t, const struct rg_addr *const a[], unsigned n,
	       const char *delims, enum tbl_rule out[])
{
	uint64_t h[TBL_BURST_MAX], slot[TBL_BURST_MAX], e[TBL_BURST_MAX];
	uint32_t bucket[TBL_BURST_MAX];
	unsigned i;

	/* 1: hash, prefetch the pilots */
	for (i = 0; i < n; i++) {
		h[i] = tbl_hash(t, a[i]->buf, a[i]->len);
		bucket[i] = (uint32_t)tbl_fmt_bucket(h[i], &t->bp);
		__builtin_prefetch(&t->pilots[bucket[i]]);
	}
	/* 2: pilots -> slots */
	for (i = 0; i < n; i++) {
		slot[i] = tbl_fmt_slot(h[i], t->pilots[bucket[i]], t->n_slots);
		__builtin_prefetch(&t->slots[slot[i]]);
	}
	/* 3: slots: prefetch the key bytes of candidates, settle the sure misses */
	for (i = 0; i < n; i++) {
		e[i] = t->slots[slot[i]];
		if (a[i]->len != 0 && tbl_fmt_slot_fp(e[i]) == tbl_fmt_fp(h[i]) &&
		    tbl_fmt_slot_len(e[i]) == a[i]->len) {
			tbl_prefetch_key(t, tbl_fmt_slot_off(e[i]), a[i]->len);
		} else {
			e[i] = 0;
			out[i] = tbl_missed(t, a[i], delims);
		}
	}
	/* 4: compare the candidates */
	for (i = 0; i < n; i++) {
		if (e[i] == 0)
			continue;
		if (tbl_blob_eq(t, tbl_fmt_slot_off(e[i]), a[i]->buf, a[i]->len))
			out[i] = TBL_RULE_EXACT;
		else
			out[i] = tbl_missed(t, a[i], delims);
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
