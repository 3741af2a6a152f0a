/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	eal_nohuge.h - EAL for a unit test: no hugepages, no PCI, one lcore
 * DESCRIPTION
 *	eal_nohuge_init starts EAL as PROG with MEGS MiB of ordinary memory,
 *	no shared files and no telemetry, so a test needs neither hugepages
 *	nor a NIC. Returns true when EAL is up (the test calls
 *	rte_eal_cleanup() at its end); false when it could not start, and
 *	the tests that need it skip.
 */
#ifndef RG_TEST_EAL_NOHUGE_H
#define RG_TEST_EAL_NOHUGE_H

#include <stdbool.h>
#include <stdio.h>

#include <rte_eal.h>

static inline bool
eal_nohuge_init(const char *prog, unsigned megs)
{
	char mem[16];
	snprintf(mem, sizeof(mem), "%u", megs);
	char *argv[] = { (char *)prog, "--no-huge",	 "-m", mem, "--no-shconf",
			 "--no-pci",   "--no-telemetry", "-l", "0", "--log-level=*:error",
			 NULL };

	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) >= 0;
}

#endif /* RG_TEST_EAL_NOHUGE_H */
