/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	xdp_lpm.c - the blocklist applied by the dataplane itself
 * DESCRIPTION
 *	Where no XDP program of ours filters the traffic (pci mode, and the
 *	vdev modes without xdp_object), the workers check the source of each
 *	TCP segment to the listen address against the same blocklist that
 *	rcptgatectl keeps pinned under bpf_pin_dir. Looking the BPF LPM trie
 *	up would cost a system call per segment, so the list is copied into
 *	a DPDK rte_lpm table, which workers read without locks.
 *
 *	The table is built at start; "block add|del" on the control socket
 *	publishes a new one (ctl/ctl_block.c; the workers reach it through a
 *	pointer they load with acquire semantics). A list without IPv4
 *	prefixes builds no table: the workers then look nothing up.
 * DIAGNOSTICS
 *	A missing list is normal (nothing is blocked); a list that cannot be
 *	read or a table that cannot be built is logged and returned as a
 *	negative errno; the daemon then runs without a blocklist.
 * TRUST
 *	The pins are checked by xdp_block_open; every prefix length is
 *	within 0..32 (the kernel's LPM trie refuses others).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_memory.h>

#include "msg.h"
#include "xdp_lpm.h"

#define XDP_LPM_TBL8_MIN 16

/* Add one IPv4 prefix; rte_lpm has no depth 0, so /0 is two /1s. */
static int
xdp_lpm_add(struct rte_lpm *lpm, const struct rg_cidr *c)
{
	uint32_t a;

	memcpy(&a, c->addr, sizeof(a));
	if (c->prefixlen == 0) {
		int rc = rte_lpm_add(lpm, 0, 1, 0);

		return rc < 0 ? rc : rte_lpm_add(lpm, UINT32_C(1) << 31, 1, 0);
	}
	return rte_lpm_add(lpm, ntohl(a), (uint8_t)c->prefixlen, 0);
}

int
xdp_lpm_build(const struct xdp_block *b, const char *name, struct rte_lpm **out)
{
	struct rte_lpm_config lc = { .max_rules = 2, .number_tbl8s = XDP_LPM_TBL8_MIN };
	struct rg_cidr *list;
	struct rte_lpm *lpm;
	int n, n4 = 0, err = 0;

	*out = NULL;
	n = xdp_block_snapshot(b, &list);
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (list[i].family != AF_INET)
			continue; /* the fast path serves IPv4 only */
		n4++;
		lc.max_rules++;
		if (list[i].prefixlen > 24)
			lc.number_tbl8s++; /* one 256-entry group per long prefix */
	}
	if (n4 == 0) {
		free(list); /* IPv6 only: no 64 MiB table to look nothing up in */
		return 0;
	}
	lpm = rte_lpm_create(name, SOCKET_ID_ANY, &lc);
	if (lpm == NULL) {
		free(list);
		return -(rte_errno ? rte_errno : ENOMEM);
	}
	for (int i = 0; i < n && err == 0; i++)
		if (list[i].family == AF_INET)
			err = xdp_lpm_add(lpm, &list[i]);
	free(list);
	if (err < 0) {
		rte_lpm_free(lpm);
		return err;
	}
	*out = lpm;
	return n4;
}

int
xdp_lpm_load(const struct rg_config *cfg, struct rte_lpm **out)
{
	struct xdp_block b;
	int n = xdp_block_open(cfg->bpf_pin_dir, 0, &b);

	*out = NULL;
	if (n == -ENOENT)
		return 0; /* no list made: nothing blocked */
	if (n == 0) {
		n = xdp_lpm_build(&b, "rg_block4", out);
		xdp_block_close(&b);
	}
	if (n < 0)
		msg_error("blocklist in %s not applied: %s", cfg->bpf_pin_dir, strerror(-n));
	else
		msg_info("blocklist: %d IPv4 prefixes from %s", n, cfg->bpf_pin_dir);
	return n;
}
