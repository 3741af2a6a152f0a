/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	huge.h - large arrays on transparent huge pages
 * DESCRIPTION
 *	Arrays read at random, one entry per packet or per key (the
 *	connection table's records and buckets, the recipient table), miss
 *	the TLB on nearly every access with 4 KiB pages; a 2 MiB page covers
 *	512 times as much. rg_huge_alloc() maps an array of its own, aligned
 *	to 2 MiB so that the kernel can back all of it with huge pages,
 *	and asks for them (madvise MADV_HUGEPAGE): a hint, everything works
 *	on small pages when transparent huge pages are off.
 *	MAP_HUGETLB is not used: it would take pages from the reserved pool
 *	DPDK's mbufs need. Arrays under 1 MiB are mapped without the hint
 *	and the rounding, which would cost more memory than the TLB saves.
 * TRUST
 *	Sizes come from the configuration's caps, checked before the call.
 */
#ifndef RCPTGATE_HUGE_H
#define RCPTGATE_HUGE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#define RG_HUGE_PAGE ((size_t)2 << 20)

/*
 * rg_hint_huge - ask for huge pages on the 2 MiB-aligned inside of a
 * large fresh allocation [P, P+LEN), before it is touched.
 */
static inline void
rg_hint_huge(void *p, size_t len)
{
	uintptr_t a = ((uintptr_t)p + RG_HUGE_PAGE - 1) & ~(uintptr_t)(RG_HUGE_PAGE - 1);
	uintptr_t z = ((uintptr_t)p + len) & ~(uintptr_t)(RG_HUGE_PAGE - 1);

	if (p != NULL && z > a)
		(void)madvise((void *)a, z - a, MADV_HUGEPAGE);
}

/* The length rg_huge_alloc() maps for LEN bytes. */
static inline size_t
rg_huge_len(size_t len)
{
	if (len < RG_HUGE_PAGE / 2)
		return len == 0 ? 1 : len;
	return (len + RG_HUGE_PAGE - 1) & ~(RG_HUGE_PAGE - 1);
}

/*
 * rg_huge_alloc - LEN zeroed bytes of their own mapping; from 1 MiB up,
 * 2 MiB aligned and asked to be backed by transparent huge pages.
 *
 * Return: the array, or NULL (errno set). Free with rg_huge_free() and
 * the same LEN.
 */
static inline void *
rg_huge_alloc(size_t len)
{
	size_t n = rg_huge_len(len);

	if (n < len) {
		errno = ENOMEM;
		return NULL;
	}
	if (n < RG_HUGE_PAGE) {
		void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	if (n > SIZE_MAX - RG_HUGE_PAGE) {
		errno = ENOMEM;
		return NULL;
	}
	/* one huge page more than needed, then the unaligned ends cut off */
	uint8_t *m = mmap(NULL, n + RG_HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	uintptr_t a = ((uintptr_t)m + RG_HUGE_PAGE - 1) & ~(uintptr_t)(RG_HUGE_PAGE - 1);
	size_t head = a - (uintptr_t)m;
	if (head > 0)
		(void)munmap(m, head);
	if (RG_HUGE_PAGE - head > 0)
		(void)munmap((void *)(a + n), RG_HUGE_PAGE - head);
	rg_hint_huge((void *)a, n);
	return (void *)a;
}

/* Free what rg_huge_alloc(LEN) returned (NULL is fine). */
static inline void
rg_huge_free(void *p, size_t len)
{
	if (p != NULL)
		(void)munmap(p, rg_huge_len(len));
}

#endif
