/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	xdp_lpm.h - the blocklist applied by the workers
 * DESCRIPTION
 *	For the port modes where no XDP program of ours filters, the
 *	workers apply the pinned blocklist (xdp/xdp.h) themselves: its
 *	IPv4 prefixes in a DPDK rte_lpm table, its IPv6 prefixes in an
 *	rte_lpm6 table (next hops unused). Both hang off one struct
 *	xdp_lpm, which the control thread publishes with one pointer store
 *	and retires after an RCU quiescent state (ctl/ctl_block.c).
 * DIAGNOSTICS
 *	Negative errno values; xdp_lpm_load also logs.
 * TRUST
 *	The pinned maps, checked by xdp_block_open.
 */
#ifndef RG_XDP_LPM_H
#define RG_XDP_LPM_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "config.h"
#include "xdp.h"

/* Which family xdp_lpm_build builds anew (the other is kept). */
#define XDP_LPM_V4 1u
#define XDP_LPM_V6 2u
#define XDP_LPM_ALL (XDP_LPM_V4 | XDP_LPM_V6)

/* The workers' blocklist: a table per family, NULL when the family has
 * no prefix (then nothing is looked up: each empty table would cost
 * 64 MiB of hugepages for its first level). */
struct xdp_lpm {
	struct rte_lpm *v4;
	struct rte_lpm6 *v6;
	unsigned gen; /* names the DPDK tables: rg_block4_GEN, rg_block6_GEN */
};

/*
 * xdp_lpm_build - the tables of B's prefixes: the families in WHICH
 * (XDP_LPM_V4, XDP_LPM_V6) built anew from B, the others taken from OLD.
 * @old: the serving tables, or NULL (then every family is built); the
 *	new tables are named after OLD's generation plus one, so both can
 *	exist until OLD is retired.
 * @out: the new tables (free with xdp_lpm_free), or NULL when no family
 *	has a prefix.
 *
 * Return: the number of prefixes in the families built, or a negative
 * errno (-ENOMEM, -EEXIST for a name in use, -errno from reading B).
 */
int xdp_lpm_build(const struct xdp_block *b, unsigned which, const struct xdp_lpm *old, struct xdp_lpm **out);

/*
 * xdp_lpm_free - free T and those of its tables KEEP does not share
 * (KEEP: the tables that replaced T, or NULL). NULL T is fine.
 */
void xdp_lpm_free(struct xdp_lpm *t, const struct xdp_lpm *keep);

/*
 * xdp_lpm_load - xdp_lpm_build of both families from the list pinned
 * under cfg->bpf_pin_dir, logging the result. No list pinned is not an
 * error.
 *
 * Return: the number of prefixes (0 and *OUT = NULL when there is no
 * list), or a negative errno (logged).
 */
int xdp_lpm_load(const struct rg_config *cfg, struct xdp_lpm **out);

/* xdp_lpm_blocked4 - is IPv4 ADDR (host order) in T? NULL T: no. */
static inline bool
xdp_lpm_blocked4(const struct xdp_lpm *t, uint32_t addr)
{
	uint32_t hop;

	return t != NULL && t->v4 != NULL && rte_lpm_lookup(t->v4, addr, &hop) == 0;
}

/* xdp_lpm_blocked6 - is IPv6 ADDR (16 bytes) in T? NULL T: no. */
static inline bool
xdp_lpm_blocked6(const struct xdp_lpm *t, const uint8_t *addr)
{
	uint32_t hop;

	return t != NULL && t->v6 != NULL && rte_lpm6_lookup(t->v6, addr, &hop) == 0;
}

#endif /* RG_XDP_LPM_H */
