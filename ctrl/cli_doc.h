/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cli_doc.h - the counter list as documentation
 * DESCRIPTION
 *	docs/counters.md is the output of cli_counters_doc() ("rcptgatectl
 *	stats --doc"); a unit test fails when the file and the list in
 *	include/rcptgate/counters.h disagree. Plain C, no DPDK.
 * DIAGNOSTICS
 *	Return values only.
 * TRUST
 *	The counter list (compiled in).
 */
#ifndef RG_CLI_DOC_H
#define RG_CLI_DOC_H

#include <stddef.h>
#include <stdio.h>

/*
 * cli_counter_find - the index (enum rg_counter) of the counter named
 * NAME, or -1 when the list has none.
 */
int cli_counter_find(const char *name);

/*
 * cli_counters_doc - write docs/counters.md (Markdown) to F.
 *
 * Return: 0, or -EIO when writing failed.
 */
int cli_counters_doc(FILE *f);

#endif /* RG_CLI_DOC_H */
