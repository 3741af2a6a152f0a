/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	xdp_lpm.h - the blocklist applied by the workers
 * DESCRIPTION
 *	For the port modes where no XDP program of ours filters, the
 *	workers apply the pinned blocklist (xdp/xdp.h) themselves: its
 *	IPv4 prefixes in a DPDK rte_lpm table (next hop unused), looked up
 *	with the source address in host order.
 * DIAGNOSTICS
 *	Negative errno values; xdp_lpm_load also logs.
 * TRUST
 *	The pinned maps, checked by xdp_block_open.
 */
#ifndef RG_XDP_LPM_H
#define RG_XDP_LPM_H

#include "config.h"
#include "xdp.h"

struct rte_lpm;

/*
 * xdp_lpm_build - a new rte_lpm table NAME holding the IPv4 prefixes of B.
 * @b: the open blocklist maps.
 * @name: the DPDK memzone name of the table.
 * @out: the table (rte_lpm_free it), or NULL when B holds no IPv4 prefix.
 *
 * Return: the number of IPv4 prefixes, or a negative errno (-ENOMEM,
 * -EEXIST for a NAME in use, -errno from reading B).
 */
int xdp_lpm_build(const struct xdp_block *b, const char *name, struct rte_lpm **out);

/*
 * xdp_lpm_load - xdp_lpm_build from the list pinned under
 * cfg->bpf_pin_dir, logging the result. No list pinned is not an error.
 * @cfg: the daemon's configuration.
 * @out: the table, as for xdp_lpm_build.
 *
 * Return: the number of IPv4 prefixes (0 and *OUT = NULL when there is
 * no list), or a negative errno (logged).
 */
int xdp_lpm_load(const struct rg_config *cfg, struct rte_lpm **out);

#endif /* RG_XDP_LPM_H */
