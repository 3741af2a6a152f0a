/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	hash.h - the seeded 64-bit hash of recipient keys
 * DESCRIPTION
 *	rg_hash64() is XXH3-64 with a seed, from Debian's libxxhash-dev,
 *	inlined (XXH_INLINE_ALL) so rcptgatectl and the dataplane hash with
 *	the same code and no library call. XXH3 is in the rapidhash/xxh3
 *	class the design asks for: a few ns for email-sized keys and keyed
 *	by a per-table seed. CRC32C (rte_hash_crc) is not used on purpose:
 *	it is linear and unkeyed, so an attacker can make addresses collide
 *	at will.
 *
 *	rg_mulhi64() maps a 64-bit hash into [0, n) without a division.
 * TRUST
 *	Any bytes; no bound beyond size_t.
 */
#ifndef RCPTGATE_HASH_H
#define RCPTGATE_HASH_H

#include <stddef.h>
#include <stdint.h>

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

/*
 * rg_hash64 - seeded 64-bit hash of P[0..N).
 *
 * Return: the hash; the same bytes and seed always give the same value
 * on every machine (XXH3 is defined on bytes, not on host words).
 */
static inline uint64_t
rg_hash64(const void *p, size_t n, uint64_t seed)
{
	return (uint64_t)XXH3_64bits_withSeed(p, n, (XXH64_hash_t)seed);
}

/*
 * rg_mix64 - the splitmix64 finaliser: a cheap bijective mixer of one
 * word, for keyed in-memory hash tables (XOR the key in first).
 */
static inline uint64_t
rg_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* rg_mulhi64 - the high 64 bits of A * B: maps A uniformly into [0, B). */
static inline uint64_t
rg_mulhi64(uint64_t a, uint64_t b)
{
	__extension__ typedef unsigned __int128 rg_u128;

	return (uint64_t)(((rg_u128)a * b) >> 64);
}

#endif /* RCPTGATE_HASH_H */
