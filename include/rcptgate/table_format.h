/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	table_format.h - the compiled recipient table file (format 2)
 * DESCRIPTION
 *	Written by "rcptgatectl compile", mapped read-only by the dataplane.
 *	All integers are little-endian; sections start on 64-byte
 *	boundaries. docs/table-format.md describes the same layout in prose.
 *
 *	  header (struct tbl_file_header, 192 bytes)
 *	  pilots: n_buckets bytes, one 8-bit pilot per bucket
 *	  slots:  n_slots 64-bit words, fingerprint16 | len8 | offset40;
 *	          len 0 marks an empty slot (~8% slack)
 *	  blob:   the normalised keys, back to back; a domain key "@domain"
 *	          is followed by one tag byte (TBL_TAG_*)
 *
 *	A key K (normalised "local@domain", or "@domain" for a domain) with
 *	hash h (tbl_fmt_hash_*) goes to bucket tbl_fmt_bucket(h), whose pilot
 *	p gives slot tbl_fmt_slot(h, p, n_slots) (PtrHash). A lookup reads
 *	one pilot byte, one slot and, when fingerprint and length match,
 *	compares the key bytes in the blob.
 *
 *	The inline functions below are the only definition of that mapping;
 *	the builder and the lookup both call them.
 * TRUST
 *	Nothing in a file is trusted until tbl_open() has verified the
 *	header checksum, the payload checksum and every slot's bounds.
 */
#ifndef RCPTGATE_TABLE_FORMAT_H
#define RCPTGATE_TABLE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rcptgate/hash.h>

#define TBL_MAGIC "RCPTGTBL" /* 8 bytes, no NUL */
#define TBL_VERSION 2u
#define TBL_ALIGN 64u

#define TBL_F_CASE_EXACT 0x1u /* local parts were not folded */
#define TBL_F_KNOWN TBL_F_CASE_EXACT

#define TBL_TAG_SERVED 0u   /* domain served, no catch-all */
#define TBL_TAG_CATCHALL 1u /* domain has a catch-all "@domain" line */

struct tbl_file_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size; /* sizeof(struct tbl_file_header) */
	uint32_t flags;	      /* TBL_F_* */
	uint32_t reserved;
	uint64_t n_addresses; /* address keys */
	uint64_t n_domains;   /* domain keys ("@domain") */
	uint64_t n_catchall;  /* domains with a catch-all */
	uint64_t seed;
	uint64_t n_buckets;
	uint64_t n_slots;
	uint64_t pilots_off, pilots_size;
	uint64_t slots_off, slots_size;
	uint64_t blob_off, blob_size;
	uint64_t payload_sum; /* rg_hash64 of bytes [header_size, file end), seed 0 */
	uint64_t header_sum;  /* rg_hash64 of this header with header_sum = 0, seed 0 */
	uint64_t spare[7];    /* zero */
};

_Static_assert(sizeof(struct tbl_file_header) == 192, "table header is 192 bytes");

/*
 * Key hashes. A domain key "@domain" hashes as rg_hash64("@domain",
 * seed); an address key "local@domain" as rg_hash64(local, hd), hd being
 * its domain key's hash. A lookup hashes the domain once and uses it
 * twice: as the seed of the address hash, and, after a miss, for the
 * served-domain check - one hash of the whole address less than format 1,
 * whose address keys hashed as a whole. The split is the normaliser's
 * local_len (a quoted local part may hold an '@').
 */
static inline uint64_t
tbl_fmt_hash_domain(const char *dk, size_t n, uint64_t seed)
{
	return rg_hash64(dk, n, seed);
}

static inline uint64_t
tbl_fmt_hash_addr(const char *local, size_t n, uint64_t hd)
{
	return rg_hash64(local, n, hd);
}

/* Slot word. */
#define TBL_SLOT_OFF_BITS 40
#define TBL_SLOT_OFF_MAX ((UINT64_C(1) << TBL_SLOT_OFF_BITS) - 1)

static inline uint64_t
tbl_fmt_slot_make(uint16_t fp, unsigned len, uint64_t off)
{
	return (uint64_t)fp << 48 | (uint64_t)(len & 0xff) << 40 | (off & TBL_SLOT_OFF_MAX);
}

static inline unsigned
tbl_fmt_slot_len(uint64_t e)
{
	return (unsigned)(e >> 40) & 0xff;
}
static inline uint64_t
tbl_fmt_slot_off(uint64_t e)
{
	return e & TBL_SLOT_OFF_MAX;
}
static inline uint16_t
tbl_fmt_slot_fp(uint64_t e)
{
	return (uint16_t)(e >> 48);
}

/* Fingerprint: low 16 bits of the hash (the bucket uses the high 32). */
static inline uint16_t
tbl_fmt_fp(uint64_t h)
{
	return (uint16_t)h;
}

/*
 * Buckets (PtrHash's skew): 60% of the keys go to the first 30% of the
 * buckets, so big buckets are placed first while the table is empty.
 * Computed from the high 32 bits of h with two multipliers derived from
 * n_buckets by tbl_fmt_bucket_params(); no division on the lookup path.
 */
#define TBL_SKEW_T32 UINT64_C(2576980377) /* 0.6 * 2^32 */

struct tbl_fmt_buckets {
	uint64_t b1;	 /* number of "large" buckets */
	uint64_t m1, m2; /* multipliers */
};

static inline void
tbl_fmt_bucket_params(uint64_t n_buckets, struct tbl_fmt_buckets *bp)
{
	/* n_buckets < 2^32 (checked by the loader) keeps all products < 2^64 */
	bp->b1 = n_buckets * 3 / 10;
	if (bp->b1 == 0)
		bp->b1 = 1;
	if (bp->b1 >= n_buckets)
		bp->b1 = n_buckets - 1;
	bp->m1 = (bp->b1 << 32) / TBL_SKEW_T32;
	bp->m2 = ((n_buckets - bp->b1) << 32) / ((UINT64_C(1) << 32) - TBL_SKEW_T32);
}

/*
 * Always < n_buckets when n_buckets >= 2 and bp came from
 * tbl_fmt_bucket_params. Both halves are computed and one is chosen by a
 * mask: which half a hash falls in is a coin toss (60/40) a branch would
 * mispredict on every other lookup.
 */
static inline uint64_t
tbl_fmt_bucket(uint64_t h, const struct tbl_fmt_buckets *bp)
{
	uint64_t u = h >> 32;
	uint64_t lo = (u * bp->m1) >> 32;
	uint64_t hi = bp->b1 + (((u - TBL_SKEW_T32) * bp->m2) >> 32); /* unused (wrapped) when u < T */
	uint64_t first = 0 - (uint64_t)(u < TBL_SKEW_T32);

	return (lo & first) | (hi & ~first);
}

/* Slot of hash H under pilot P: always < n_slots. */
static inline uint64_t
tbl_fmt_slot(uint64_t h, uint8_t p, uint64_t n_slots)
{
	uint64_t x = (h ^ ((uint64_t)p * UINT64_C(0x9e3779b97f4a7c15))) * UINT64_C(0xd6e8feb86659fd93);

	return rg_mulhi64(x ^ (x >> 29), n_slots);
}

/*
 * tbl_fmt_seal - set the two checksums of the table image IMG[0..LEN),
 * whose header's other fields are set: the payload's, then the
 * header's. The builder seals every image it writes; tests and the
 * table fuzzer reseal images they changed by hand, so that the loader's
 * later checks see the change.
 */
static inline void
tbl_fmt_seal(void *img, size_t len)
{
	struct tbl_file_header h;

	memcpy(&h, img, sizeof(h));
	h.payload_sum = rg_hash64((const char *)img + sizeof(h), len - sizeof(h), 0);
	h.header_sum = 0;
	h.header_sum = rg_hash64(&h, sizeof(h), 0);
	memcpy(img, &h, sizeof(h));
}

#endif /* RCPTGATE_TABLE_FORMAT_H */
