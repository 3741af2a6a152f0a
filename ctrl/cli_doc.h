/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cli_doc.h - the counter list as documentation and Prometheus names
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
 * cli_prom_name - the Prometheus metric name of counter C:
 * "rcptgate_NAME_total" for a counter, "rcptgate_NAME" for a gauge.
 *
 * Return: 0, or -EINVAL when C is not a counter, -E2BIG when it does
 * not fit in CAP bytes.
 */
int cli_prom_name(unsigned c, char *buf, size_t cap);

/*
 * cli_counters_doc - write docs/counters.md (Markdown) to F.
 *
 * Return: 0, or -EIO when writing failed.
 */
int cli_counters_doc(FILE *f);

#endif /* RG_CLI_DOC_H */
