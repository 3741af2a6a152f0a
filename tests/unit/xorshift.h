/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	xorshift.h - the tests' deterministic random numbers
 * DESCRIPTION
 *	xorshift64* with a fixed start, so a failing random test fails the
 *	same way on every run. Not for anything but test data.
 * TRUST
 *	Nothing to trust.
 */
#ifndef RG_TEST_XORSHIFT_H
#define RG_TEST_XORSHIFT_H

#include <stdint.h>

static uint64_t rng_state = 0x243f6a8885a308d3;

static inline uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

#endif /* RG_TEST_XORSHIFT_H */
