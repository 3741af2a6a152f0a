/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tbl_place.c - place the buckets of a recipient table (PtrHash)
 * DESCRIPTION
 *	tbl_group() sorts the hashed keys by bucket; tbl_place_bucket()
 *	finds a bucket's pilot: the first pilot (0..255) whose slots are
 *	all free and distinct wins, free slots looked up in a bitmap (1 bit
 *	a slot, in cache far longer than the 4-byte owner array that
 *	eviction needs). When no pilot fits, the pilot whose collisions
 *	are cheapest (sum of the squared sizes of the buckets it would
 *	displace) is taken and those buckets are evicted and queued to be
 *	placed again, as in PtrHash; a bound on evictions makes a bad seed
 *	fail, and the builder (tbl_build.c) retries with another.
 * DIAGNOSTICS
 *	false from tbl_place_bucket: give up on this seed.
 * TRUST
 *	Hashes of checked keys, from the builder.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rcptgate/table_format.h>

#include "tbl_impl.h"

/*
 * Group E[0..N) by bucket into OUT (counting sort; START[b] is where
 * bucket b begins, START[n_buckets] = N), then sort each bucket by hash
 * (insertion sort: buckets hold ~3 keys).
 */
void
tbl_group(const struct tbl_ent *e, struct tbl_ent *out, size_t n, uint32_t *start, uint64_t n_buckets,
	  const struct tbl_fmt_buckets *bp)
{
	memset(start, 0, (n_buckets + 1) * sizeof(*start));
	for (size_t i = 0; i < n; i++)
		start[tbl_fmt_bucket(e[i].h, bp) + 1]++;
	for (uint64_t i = 0; i < n_buckets; i++)
		start[i + 1] += start[i];
	for (size_t i = 0; i < n; i++) {
		uint64_t bk = tbl_fmt_bucket(e[i].h, bp);
		out[start[bk]++] = e[i];
	}
	/* start[b] now holds the end of b: shift back */
	for (uint64_t i = n_buckets; i > 0; i--)
		start[i] = start[i - 1];
	start[0] = 0;
	for (uint64_t bk = 0; bk < n_buckets; bk++) {
		for (uint32_t i = start[bk] + 1; i < start[bk + 1]; i++) {
			struct tbl_ent x = out[i];
			uint32_t j = i;
			for (; j > start[bk] && out[j - 1].h > x.h; j--)
				out[j] = out[j - 1];
			out[j] = x;
		}
	}
}

static uint64_t
tbl_rand(struct tbl_place *pl)
{
	/* xorshift64*: only picks where the pilot search starts */
	pl->rng ^= pl->rng >> 12;
	pl->rng ^= pl->rng << 25;
	pl->rng ^= pl->rng >> 27;
	return pl->rng * UINT64_C(2685821657736338717);
}

static bool
tbl_taken(const struct tbl_place *pl, uint64_t slot)
{
	return (pl->taken[slot >> 6] >> (slot & 63)) & 1;
}

static void
tbl_set_owner(struct tbl_place *pl, uint64_t slot, uint32_t b)
{
	pl->owner[slot] = b;
	if (b == TBL_SLOT_FREE)
		pl->taken[slot >> 6] &= ~(UINT64_C(1) << (slot & 63));
	else
		pl->taken[slot >> 6] |= UINT64_C(1) << (slot & 63);
}

/*
 * Slots of bucket B under pilot P in S[]: false when two keys collide,
 * or, with FREE_ONLY, when a slot is taken. That test stops at the first
 * taken slot: when the table fills up, most pilots fail on the first
 * key, after one bitmap read.
 */
static bool
tbl_bucket_slots(const struct tbl_place *pl, uint32_t b, uint8_t p, uint64_t *s, bool free_only)
{
	uint32_t k = pl->start[b + 1] - pl->start[b];
	const struct tbl_ent *e = pl->e + pl->start[b];

	for (uint32_t i = 0; i < k; i++) {
		s[i] = tbl_fmt_slot(e[i].h, p, pl->n_slots);
		if (free_only && tbl_taken(pl, s[i]))
			return false;
		for (uint32_t j = 0; j < i; j++)
			if (s[j] == s[i])
				return false;
	}
	return true;
}

static bool
tbl_recent(const struct tbl_place *pl, uint32_t b)
{
	for (unsigned i = 0; i < 16; i++)
		if (pl->recent[i] == b)
			return true;
	return false;
}

/* Place bucket B, evicting others when it must. False: give up (bad seed). */
bool
tbl_place_bucket(struct tbl_place *pl, uint32_t b, uint64_t *s)
{
	uint32_t k = pl->start[b + 1] - pl->start[b];

	for (unsigned p = 0; p < 256; p++) {
		if (tbl_bucket_slots(pl, b, (uint8_t)p, s, true)) {
			pl->pilot[b] = (uint8_t)p;
			for (uint32_t i = 0; i < k; i++)
				tbl_set_owner(pl, s[i], b);
			return true;
		}
	}

	/* no free pilot: take the one that displaces the least */
	uint64_t best_cost = UINT64_MAX;
	unsigned best = 0, off = (unsigned)tbl_rand(pl);
	for (unsigned q = 0; q < 256; q++) {
		unsigned p = (q + off) & 0xff;
		if (!tbl_bucket_slots(pl, b, (uint8_t)p, s, false))
			continue;
		uint64_t cost = 0;
		for (uint32_t i = 0; i < k && cost < best_cost; i++) {
			uint32_t o = pl->owner[s[i]];
			if (o == TBL_SLOT_FREE)
				continue;
			if (tbl_recent(pl, o)) {
				cost = UINT64_MAX;
				break;
			}
			uint64_t sz = pl->start[o + 1] - pl->start[o];
			cost += sz * sz;
		}
		if (cost < best_cost) {
			best_cost = cost;
			best = p;
		}
	}
	if (best_cost == UINT64_MAX)
		return false;
	tbl_bucket_slots(pl, b, (uint8_t)best, s, false);
	for (uint32_t i = 0; i < k; i++) {
		uint32_t o = pl->owner[s[i]];
		if (o == TBL_SLOT_FREE)
			continue;
		/* evict O: free all its slots, queue it again */
		const struct tbl_ent *eo = pl->e + pl->start[o];
		for (uint32_t j = 0; j < pl->start[o + 1] - pl->start[o]; j++)
			tbl_set_owner(pl, tbl_fmt_slot(eo[j].h, pl->pilot[o], pl->n_slots), TBL_SLOT_FREE);
		pl->stack[pl->sp++] = o;
		pl->evictions++;
	}
	pl->pilot[b] = (uint8_t)best;
	for (uint32_t i = 0; i < k; i++)
		tbl_set_owner(pl, s[i], b);
	pl->recent[pl->recent_i++ & 15] = b;
	return pl->evictions <= pl->max_evictions;
}
