/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	clean.h - client text copied into replies and logs, control bytes
 *	made visible
 * DESCRIPTION
 *	A mailbox echoed in a reply, the HELO and MAIL FROM kept for the
 *	logs: client bytes below 0x20 and 0x7f become '?', so that a reply
 *	stays one line and a log line cannot be split or coloured. Every
 *	rejected session copies two or three such strings, so the copy
 *	tests eight bytes at a time for a byte to replace (the usual case:
 *	none) and moves them whole; the last 1-7 bytes of a clean run of 8
 *	or more go as one word overlapping bytes already copied. Only a
 *	word that has one, and what follows it, is done byte by byte.
 * TRUST
 *	Any bytes; DST has room for N.
 */
#ifndef RCPTGATE_CLEAN_H
#define RCPTGATE_CLEAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Whether one of the 8 bytes of X is below N, 1 <= N <= 0x80 (the "has
 * less than" word test: a borrow starts only at such a byte, and bytes
 * of 0x80 and up are masked out, so it is exact for whether any is). */
static inline int
rg_word_has_below(uint64_t x, unsigned n)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);

	return ((x - ones * n) & ~x & high) ? 1 : 0;
}

/* Whether the 8 bytes of X hold one below 0x20 or one equal to 0x7f
 * (0x7f is the one byte of X ^ 0x7f...7f below 1). */
static inline int
rg_word_has_ctl(uint64_t x)
{
	return rg_word_has_below(x, 0x20) | rg_word_has_below(x ^ (UINT64_C(0x0101010101010101) * 0x7f), 1);
}

/* rg_copy_clean - SRC[0..N) to DST, bytes below 0x20 and 0x7f as '?'. */
static inline void
rg_copy_clean(char *dst, const char *src, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		memcpy(&x, src + i, 8);
		if (rg_word_has_ctl(x))
			break;
		memcpy(dst + i, &x, 8);
	}
	/* the last 1-7 bytes of a clean run of 8 or more as one word that
	 * overlaps bytes already copied (copied again, the same) */
	if (i < n && n >= 8 && i == (n & ~(size_t)7)) {
		uint64_t x;
		memcpy(&x, src + n - 8, 8);
		if (!rg_word_has_ctl(x)) {
			memcpy(dst + n - 8, &x, 8);
			return;
		}
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
	}
}

#endif
