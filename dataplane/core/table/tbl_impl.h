/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tbl_impl.h - inside struct tbl (private to dataplane/core/table)
 * DESCRIPTION
 *	The loaded table: pointers into the verified file image, the values
 *	derived from its header, and the served-domain set. tbl_probe() is
 *	the one probe of the perfect hash and tbl_domain_tag() the one probe
 *	of the domain set, shared by single and burst lookups.
 *
 *	The domain set is built by the loader from the table's "@domain"
 *	keys: open addressing (linear probing, at most half full, a power of
 *	two) of 8-byte words in the slot format (fingerprint16 | len8 |
 *	offset40 of the "@domain" key in the blob), fingerprint = top 16 bits
 *	of the key's hash. Served domains are few (hundreds, thousands), so
 *	the set stays in cache and a lookup for an unserved domain never
 *	touches the big table. Its probe length is bounded by the longest
 *	run of the set, fixed at load time, whatever an attacker sends.
 * TRUST
 *	Only tables that passed tbl_open's verification get here, so every
 *	slot's offset + length (+ tag byte) lies inside the blob.
 */
#ifndef RG_TBL_IMPL_H
#define RG_TBL_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <rcptgate/table_format.h>

#include "tbl.h"

struct tbl {
	uint64_t serial;     /* tables opened before this one, plus one (tbl_serial()) */
	const uint8_t *base; /* file image */
	size_t size;
	size_t map_len;	   /* munmap(base, map_len) on close when not 0 */
	uint64_t *dom_set; /* served domains, see above; malloc'd */
	uint64_t dom_mask; /* capacity - 1 */
	const uint8_t *pilots;
	const uint64_t *slots;
	const char *blob;
	uint64_t blob_readable; /* bytes readable at blob: blob_size, or more (tbl_open's padding) */
	uint64_t n_buckets, n_slots, blob_size, seed;
	struct tbl_fmt_buckets bp;
	uint64_t n_addresses, n_domains, n_catchall;
	unsigned flags; /* TBL_F_* */
};

/*
 * tbl_fail - format a reason into ERR (ERRLEN bytes; ERR may be NULL)
 * and return RC: "return tbl_fail(-EINVAL, err, errlen, ...)".
 */
int tbl_fail(int rc, char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * tbl_key_eq - are A[0..LEN) and B[0..LEN) equal? Keys are short (an
 * address averages ~33 bytes), where a libc memcmp call costs more than
 * the comparison: 8-byte words, the last one overlapping, never reading
 * outside either key.
 */
static inline bool
tbl_key_eq(const char *a, const char *b, size_t len)
{
	uint64_t x, y;

	if (len < 8)
		return memcmp(a, b, len) == 0;
	for (size_t i = 0; i + 8 < len; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	memcpy(&x, a + len - 8, 8);
	memcpy(&y, b + len - 8, 8);
	return x == y;
}

#define TBL_KEY_READ 16 /* bytes tbl_blob_eq may read at K and at a short key */

/*
 * tbl_blob_eq - is the key at blob offset OFF equal to K[0..LEN)? K must
 * be readable for TBL_KEY_READ bytes (an rg_addr's buf, a domain key in
 * it, always is). A key of 16 to 64 bytes - nearly every address - is
 * compared with four 16-byte compares whose starts are clamped to
 * LEN - 16, so they cover the key exactly, read no cache line outside
 * it, and have no branch on LEN (tbl_key_eq's loop exit mispredicts
 * with every other key length). A shorter key takes one 16-byte compare
 * cut to LEN where 16 bytes are readable at OFF (always inside the copy
 * tbl_open pads).
 */
static inline bool
tbl_blob_eq(const struct tbl *t, uint64_t off, const char *k, size_t len)
{
	const char *b = t->blob + off;

#if defined(__SSE2__)
	if (len >= 16 && len <= 64) {
		unsigned ok = 0xffff;
		for (size_t c = 0; c < 64; c += 16) {
			size_t at = c < len - 16 ? c : len - 16;
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + at));
			__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(k + at));
			ok &= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
		}
		return ok == 0xffff;
	}
	if (len < 16 && off + 16 <= t->blob_readable) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)b);
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)k);
		unsigned ne = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
		return (ne & ((1u << len) - 1)) == 0;
	}
#endif
	return tbl_key_eq(b, k, len);
}

/*
 * tbl_probe - is key K[0..LEN) with hash H in T? K is readable for
 * TBL_KEY_READ bytes. Return the slot word (its offset locates the key in
 * the blob), or 0 when absent.
 */
static inline uint64_t
tbl_probe(const struct tbl *t, const char *k, size_t len, uint64_t h)
{
	uint8_t p = t->pilots[tbl_fmt_bucket(h, &t->bp)];
	uint64_t e = t->slots[tbl_fmt_slot(h, p, t->n_slots)];

	if (tbl_fmt_slot_fp(e) != tbl_fmt_fp(h) || tbl_fmt_slot_len(e) != len)
		return 0;
	if (!tbl_blob_eq(t, tbl_fmt_slot_off(e), k, len))
		return 0;
	return e;
}

/* Domain set word: fingerprint from the top of the hash (the index uses the bottom). */
static inline uint16_t
tbl_dom_fp(uint64_t h)
{
	return (uint16_t)(h >> 48);
}

/*
 * tbl_domain_tag - the TBL_TAG_* of domain key K[0..LEN) ("@domain",
 * readable for TBL_KEY_READ bytes) with hash H =
 * tbl_fmt_hash_domain(K, LEN, t->seed), or -1 when the domain is not
 * served.
 */
static inline int
tbl_domain_tag(const struct tbl *t, const char *k, size_t len, uint64_t h)
{
	for (uint64_t i = h & t->dom_mask;; i = (i + 1) & t->dom_mask) {
		uint64_t e = t->dom_set[i];
		if (e == 0)
			return -1; /* the set is at most half full: always reached */
		if (tbl_fmt_slot_fp(e) == tbl_dom_fp(h) && tbl_fmt_slot_len(e) == len &&
		    tbl_blob_eq(t, tbl_fmt_slot_off(e), k, len))
			return (uint8_t)t->blob[tbl_fmt_slot_off(e) + len];
	}
}

/* ---- building (tbl_build.c) and bucket placement (tbl_place.c) ---- */

#define TBL_SLOT_FREE UINT32_MAX

/* A key being placed: its hash and its reference into the arena. */
struct tbl_ent {
	uint64_t h;
	uint64_t ref;
};

/* The placement of one seed's buckets. */
struct tbl_place {
	const struct tbl_ent *e; /* keys sorted by hash */
	const uint32_t *start;	 /* bucket b holds e[start[b] .. start[b+1]) */
	uint8_t *pilot;
	uint32_t *owner; /* bucket in each slot, TBL_SLOT_FREE */
	uint64_t *taken; /* bit per slot: owner != TBL_SLOT_FREE */
	uint64_t n_slots;
	uint32_t *stack;
	size_t sp;
	uint64_t evictions, max_evictions;
	uint32_t recent[16];
	unsigned recent_i;
	uint64_t rng;
};

/*
 * tbl_group - group E[0..N) by bucket into OUT (counting sort; START[b]
 * is where bucket b begins, START[n_buckets] = N), then sort each bucket
 * by hash (insertion sort: buckets hold ~3 keys).
 */
void tbl_group(const struct tbl_ent *e, struct tbl_ent *out, size_t n, uint32_t *start, uint64_t n_buckets,
	       const struct tbl_fmt_buckets *bp);

/*
 * tbl_place_bucket - place bucket B, evicting others (pushed on
 * pl->stack) when it must; S has room for the bucket's slots.
 * Return: false when the evictions pass pl->max_evictions (bad seed).
 */
bool tbl_place_bucket(struct tbl_place *pl, uint32_t b, uint64_t *s);

#endif /* RG_TBL_IMPL_H */
