/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_huge - large arrays on transparent huge pages (rcptgate/huge.h)
 * DESCRIPTION
 *	rg_huge_alloc() from 1 MiB up: 2 MiB aligned, exactly the rounded
 *	length mapped (the over-allocation's ends given back), marked for
 *	huge pages (the "hg" flag in /proc/self/smaps), zeroed and writable
 *	to its end; below 1 MiB a plain mapping. rg_huge_free() unmaps all
 *	of it. rg_hint_huge() marks only the aligned inside of a range.
 * DIAGNOSTICS
 *	cmocka failures.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rcptgate/huge.h>

/* The mapping holding P: its bounds, and whether it has VM flag FLAG. */
static bool
vma_of(const void *p, uintptr_t *lo, uintptr_t *hi, const char *flag, bool *has)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false, found = false;

	assert_non_null(f);
	*has = false;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
			if (found && in)
				break;
			in = (uintptr_t)p >= a && (uintptr_t)p < b;
			if (in) {
				*lo = a;
				*hi = b;
				found = true;
			}
		} else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			char want[8];
			snprintf(want, sizeof(want), " %s", flag);
			*has = strstr(line, want) != NULL;
		}
	}
	fclose(f);
	return found;
}

/* Whether the page at P is mapped (mincore says ENOMEM when not). */
static bool
mapped(const void *p)
{
	unsigned char v;
	uintptr_t pg = (uintptr_t)p & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);

	return mincore((void *)pg, 1, &v) == 0 || errno != ENOMEM;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 4096)
		if (p[i] != 0)
			return false;
	return p[n - 1] == 0;
}

/* Transparent huge pages are in this kernel (else madvise refuses the hint). */
static bool
thp_present(void)
{
	return access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
}

static void
test_large(void **state)
{
	(void)state;
	if (!thp_present())
		skip(); /* no transparent huge pages: the hint cannot be checked */
	const size_t lens[] = { RG_HUGE_PAGE / 2, RG_HUGE_PAGE, 3 * RG_HUGE_PAGE + 1 };

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len = lens[k], n = rg_huge_len(len);
		uint8_t *p = rg_huge_alloc(len);
		uintptr_t lo, hi;
		bool hg;

		assert_non_null(p);
		assert_int_equal(n % RG_HUGE_PAGE, 0);
		assert_true(n >= len && n - len < RG_HUGE_PAGE);
		assert_int_equal((uintptr_t)p % RG_HUGE_PAGE, 0);
		assert_true(vma_of(p, &lo, &hi, "hg", &hg));
		/* the hint covers exactly the array (the ends given back
		 * are checked after the free, below) */
		assert_int_equal(lo, (uintptr_t)p);
		assert_int_equal(hi, (uintptr_t)p + n);
		assert_true(hg);
		assert_true(all_zero(p, n));
		memset(p, 0xa5, n);
		rg_huge_free(p, len);
		assert_false(mapped(p));
		assert_false(mapped(p + n - 1));
		/* nor the ends of the over-allocation (nothing else maps
		 * memory in this test, so nothing else can be there) */
		assert_false(mapped(p - 1));
		assert_false(mapped(p + n));
	}
}

static void
test_small(void **state)
{
	(void)state;
	uint8_t *p = rg_huge_alloc(1000);
	uintptr_t lo, hi;
	bool hg;

	assert_non_null(p);
	assert_int_equal(rg_huge_len(1000), 1000);
	assert_true(vma_of(p, &lo, &hi, "hg", &hg));
	assert_false(hg);
	assert_true(all_zero(p, 1000));
	memset(p, 1, 1000);
	rg_huge_free(p, 1000);
	assert_false(mapped(p));
	rg_huge_free(NULL, 1000);
	/* a length that cannot be rounded up is refused as out of memory
	 * (mmap would say EINVAL for the length 0 it wraps to) */
	errno = 0;
	assert_null(rg_huge_alloc(SIZE_MAX - 10));
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_null(rg_huge_alloc(SIZE_MAX - RG_HUGE_PAGE - 10)); /* rounds, then cannot add a page */
	assert_int_equal(errno, ENOMEM);
}

static void
test_hint_inside(void **state)
{
	(void)state;
	if (!thp_present())
		skip();
	/* a plain mapping, and in it a range from half a huge page past an
	 * aligned address to two and a half: only [base + 1, base + 2) huge
	 * pages is marked */
	uint8_t *q = mmap(NULL, 6 * RG_HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t lo, hi;
	bool hg;

	assert_ptr_not_equal(q, MAP_FAILED);
	uint8_t *base = (uint8_t *)(((uintptr_t)q + RG_HUGE_PAGE - 1) & ~(uintptr_t)(RG_HUGE_PAGE - 1));
	rg_hint_huge(base + RG_HUGE_PAGE / 2, 2 * RG_HUGE_PAGE);
	assert_true(vma_of(base + RG_HUGE_PAGE, &lo, &hi, "hg", &hg));
	assert_true(hg);
	assert_int_equal(lo, (uintptr_t)base + RG_HUGE_PAGE);
	assert_int_equal(hi, (uintptr_t)base + 2 * RG_HUGE_PAGE);
	assert_true(vma_of(base + RG_HUGE_PAGE / 2, &lo, &hi, "hg", &hg));
	assert_false(hg);
	assert_true(vma_of(base + 2 * RG_HUGE_PAGE, &lo, &hi, "hg", &hg));
	assert_false(hg);
	munmap(q, 6 * RG_HUGE_PAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_hint_inside),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
