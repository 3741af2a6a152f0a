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
 *	stages - check the domains, hash the addresses and prefetch their
 *	pilots; read the pilots and prefetch the slots; read the slots and
 *	prefetch the key bytes of fingerprint matches; compare - so the
 *	cache misses of the keys overlap instead of adding up.
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
	char k[RG_DOMAIN_MAX + 1];

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

static void
tbl_burst_step(const struct tbl *t, const struct rg_addr *const a[], unsigned n,
	       const char *delims, enum tbl_rule out[])
{
	uint64_t h[TBL_BURST_MAX], slot[TBL_BURST_MAX], e[TBL_BURST_MAX];
	uint32_t bucket[TBL_BURST_MAX];
	uint8_t idx[TBL_BURST_MAX];
	int8_t tag[TBL_BURST_MAX];
	unsigned i, k, m = 0;

	/* 1: domains (in cache); hash the served ones, prefetch their pilots */
	for (i = 0; i < n; i++) {
		int dt = tbl_addr_domain(t, a[i]);
		if (dt < 0) {
			out[i] = TBL_RULE_NO_DOMAIN;
			continue;
		}
		tag[m] = (int8_t)dt;
		idx[m] = (uint8_t)i;
		h[m] = tbl_hash(t, a[i]->buf, a[i]->len);
		bucket[m] = (uint32_t)tbl_fmt_bucket(h[m], &t->bp);
		__builtin_prefetch(&t->pilots[bucket[m]]);
		m++;
	}
	/* 2: pilots -> slots */
	for (k = 0; k < m; k++) {
		slot[k] = tbl_fmt_slot(h[k], t->pilots[bucket[k]], t->n_slots);
		__builtin_prefetch(&t->slots[slot[k]]);
	}
	/* 3: slots -> key bytes of the fingerprint matches */
	for (k = 0; k < m; k++) {
		e[k] = t->slots[slot[k]];
		if (tbl_fmt_slot_fp(e[k]) == tbl_fmt_fp(h[k]) && tbl_fmt_slot_len(e[k]) == a[idx[k]]->len)
			tbl_prefetch_key(t, tbl_fmt_slot_off(e[k]), a[idx[k]]->len);
		else
			e[k] = 0;
	}
	/* 4: compare */
	for (k = 0; k < m; k++) {
		const struct rg_addr *ak = a[idx[k]];
		if (e[k] != 0 && tbl_key_eq(t->blob + tbl_fmt_slot_off(e[k]), ak->buf, ak->len))
			out[idx[k]] = TBL_RULE_EXACT;
		else
			out[idx[k]] = tbl_after_miss(t, ak, delims, tag[k]);
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
