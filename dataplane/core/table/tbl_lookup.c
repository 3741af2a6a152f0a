/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tbl_lookup.c - recipient lookups, single and burst
 * DESCRIPTION
 *	A lookup hashes the domain once (tbl_fmt_hash_domain) and uses the
 *	hash for the served-domain set (small, in cache: an unserved domain
 *	never touches the big table) and as the seed of the address hash;
 *	then the exact key (one pilot byte, one slot, on a fingerprint match
 *	one compare); on a miss, when the address has an extension, the base
 *	address; else the domain's catch-all tag. Under attack (all misses)
 *	the cost is one probe of the big table.
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

/* Domain key of A ("@domain"; empty without a domain) and its length. */
static inline const char *
tbl_dom_key(const struct rg_addr *a, size_t *len)
{
	*len = (size_t)a->len - a->local_len;
	return a->buf + a->local_len;
}

bool
tbl_domain_served(const struct tbl *t, const char *domain, size_t n)
{
	char k[RG_DOMAIN_MAX + 1] = { 0 }; /* read in 16-byte steps by tbl_blob_eq */

	if (n == 0 || n > RG_DOMAIN_MAX)
		return false;
	k[0] = '@';
	memcpy(k + 1, domain, n);
	return tbl_domain_tag(t, k, n + 1, tbl_fmt_hash_domain(k, n + 1, t->seed)) >= 0;
}

/*
 * The rules after a missed exact probe of A, whose domain has tag TAG
 * and hash HD: the base address (seeded by the same HD), then the
 * catch-all.
 */
static enum tbl_rule
tbl_after_miss(const struct tbl *t, const struct rg_addr *a, const char *delims, int tag, uint64_t hd)
{
	struct rg_addr base;

	if (rg_addr_base(a, delims, &base) &&
	    tbl_probe(t, base.buf, base.len, tbl_fmt_hash_addr(base.buf, base.local_len, hd)) != 0)
		return TBL_RULE_BASE;
	return tag == TBL_TAG_CATCHALL ? TBL_RULE_CATCHALL : TBL_RULE_NONE;
}

enum tbl_rule
tbl_lookup(const struct tbl *t, const struct rg_addr *a, const char *delims)
{
	size_t dl;
	const char *dk = tbl_dom_key(a, &dl);

	if (!rg_addr_has_domain(a))
		return TBL_RULE_NO_DOMAIN;
	uint64_t hd = tbl_fmt_hash_domain(dk, dl, t->seed);
	int tag = tbl_domain_tag(t, dk, dl, hd);
	if (tag < 0)
		return TBL_RULE_NO_DOMAIN;
	if (tbl_probe(t, a->buf, a->len, tbl_fmt_hash_addr(a->buf, a->local_len, hd)) != 0)
		return TBL_RULE_EXACT;
	return tbl_after_miss(t, a, delims, tag, hd);
}

/* Prefetch the cache lines of blob bytes [off, off + len). */
static inline void
tbl_prefetch_key(const struct tbl *t, uint64_t off, unsigned len)
{
	const char *p = t->blob + off;

	__builtin_prefetch(p);
	if ((((uintptr_t)p & 63) + len) > 64)
		__builtin_prefetch(p + len - 1); /* a key over two lines */
}

/* The rules for A (domain hash HD), whose exact probe missed. */
static enum tbl_rule
tbl_missed(const struct tbl *t, const struct rg_addr *a, const char *delims, uint64_t hd)
{
	size_t dl;
	const char *dk = tbl_dom_key(a, &dl);
	int tag = rg_addr_has_domain(a) ? tbl_domain_tag(t, dk, dl, hd) : -1;

	return tag < 0 ? TBL_RULE_NO_DOMAIN : tbl_after_miss(t, a, delims, tag, hd);
}

/*
 * Unlike tbl_lookup(), the burst probes the big table first and checks
 * the domain only for keys that missed, with the domain hash it already
 * has (the seed of the address hash): a hit never probes the domain set,
 * and a miss known from its slot (fingerprint or length differs, nearly
 * every miss) gets its domain check in stage 3, while the key bytes of
 * the candidate hits are on their way. An unserved domain costs one
 * probe, overlapped with the others.
 */
static void
tbl_burst_step(const struct tbl *t, const struct rg_addr *const a[], unsigned n, const char *delims,
	       enum tbl_rule out[])
{
	uint64_t h[TBL_BURST_MAX], hd[TBL_BURST_MAX], slot[TBL_BURST_MAX], e[TBL_BURST_MAX];
	uint32_t bucket[TBL_BURST_MAX];
	unsigned i;

	/* 1: hash (the domain, then the local part seeded by it), prefetch the pilots */
	for (i = 0; i < n; i++) {
		size_t dl;
		const char *dk = tbl_dom_key(a[i], &dl);
		hd[i] = tbl_fmt_hash_domain(dk, dl, t->seed);
		h[i] = tbl_fmt_hash_addr(a[i]->buf, a[i]->local_len, hd[i]);
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
			out[i] = tbl_missed(t, a[i], delims, hd[i]);
		}
	}
	/* 4: compare the candidates */
	for (i = 0; i < n; i++) {
		if (e[i] == 0)
			continue;
		if (tbl_blob_eq(t, tbl_fmt_slot_off(e[i]), a[i]->buf, a[i]->len))
			out[i] = TBL_RULE_EXACT;
		else
			out[i] = tbl_missed(t, a[i], delims, hd[i]);
	}
}

unsigned
tbl_lookup_burst(const struct tbl *t, const struct rg_addr *const a[], unsigned n, const char *delims,
		 enum tbl_rule out[])
{
	for (unsigned done = 0; done < n; done += TBL_BURST_MAX) {
		unsigned k = n - done < TBL_BURST_MAX ? n - done : TBL_BURST_MAX;
		tbl_burst_step(t, a + done, k, delims, out + done);
	}
	return n;
}
