/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	xdp_lpm.c - the blocklist applied by the dataplane itself
 * DESCRIPTION
 *	Where no XDP program of ours filters the traffic (pci mode, and the
 *	vdev modes without xdp_object), the workers check the source of each
 *	TCP segment to a listen address against the same blocklist that
 *	rcptgatectl keeps pinned under bpf_pin_dir. Looking the BPF LPM trie
 *	up would cost a system call per segment, so the list is copied into
 *	DPDK tables the workers read without locks: rte_lpm for the IPv4
 *	prefixes, rte_lpm6 for the IPv6 ones, built by one routine over a
 *	small table of each family's calls.
 *
 *	The tables are built at start; "block add|del" on the control socket
 *	and the dictionary-attack blocks publish new ones (ctl/ctl_block.c;
 *	the workers reach them through a pointer they load with acquire
 *	semantics). Only the family that changed is built again; the other
 *	table is carried over. A family without prefixes builds no table:
 *	the workers then look nothing up.
 * DIAGNOSTICS
 *	A missing list is normal (nothing is blocked); a list that cannot be
 *	read or a table that cannot be built is logged and returned as a
 *	negative errno; the daemon then runs without a blocklist.
 * TRUST
 *	The pins are checked by xdp_block_open; every prefix length is
 *	within the family's bounds (the kernel's LPM trie refuses others).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_errno.h>
#include <rte_memory.h>

#include "msg.h"
#include "xdp_lpm.h"

#define XDP_LPM_TBL8_MIN 16

/* One family's DPDK table, seen through the calls both have. */
struct lpm_family {
	int family;
	char tag; /* '4' or '6' in the table's name */
	void *(*create)(const char *name, uint32_t rules, uint32_t tbl8s);
	int (*add)(void *t, const uint8_t *addr, uint8_t depth);
	void (*free)(void *t);
};

static void *
lpm4_create(const char *name, uint32_t rules, uint32_t tbl8s)
{
	struct rte_lpm_config lc = { .max_rules = rules, .number_tbl8s = tbl8s };

	return rte_lpm_create(name, SOCKET_ID_ANY, &lc);
}

static int
lpm4_add(void *t, const uint8_t *addr, uint8_t depth)
{
	uint32_t a;

	memcpy(&a, addr, sizeof(a));
	return rte_lpm_add(t, ntohl(a), depth, 0);
}

static void
lpm4_free(void *t)
{
	rte_lpm_free(t);
}

static void *
lpm6_create(const char *name, uint32_t rules, uint32_t tbl8s)
{
	struct rte_lpm6_config lc = { .max_rules = rules, .number_tbl8s = tbl8s };

	return rte_lpm6_create(name, SOCKET_ID_ANY, &lc);
}

static int
lpm6_add(void *t, const uint8_t *addr, uint8_t depth)
{
	return rte_lpm6_add(t, addr, depth, 0);
}

static void
lpm6_free(void *t)
{
	rte_lpm6_free(t);
}

static const struct lpm_family lpm_v4 = { AF_INET, '4', lpm4_create, lpm4_add, lpm4_free };
static const struct lpm_family lpm_v6 = { AF_INET6, '6', lpm6_create, lpm6_add, lpm6_free };

/* Add one prefix; neither table has depth 0, so /0 is two /1s. */
static int
lpm_add(const struct lpm_family *f, void *t, const struct rg_cidr *c)
{
	uint8_t upper[16] = { 0x80 };
	int rc;

	if (c->prefixlen > 0)
		return f->add(t, c->addr, (uint8_t)c->prefixlen);
	rc = f->add(t, c->addr, 1);
	return rc < 0 ? rc : f->add(t, upper, 1);
}

/*
 * The table of F's prefixes in LIST[0..N), named for GEN, in *OUT (NULL
 * when F has none). Return: the prefixes of F, or a negative errno.
 */
static int
lpm_build_one(const struct lpm_family *f, const struct rg_cidr *list, int n, unsigned gen, void **out)
{
	uint32_t rules = 2, tbl8s = XDP_LPM_TBL8_MIN;
	char name[32];
	int nf = 0, err = 0;
	void *t;

	*out = NULL;
	for (int i = 0; i < n; i++) {
		if (list[i].family != f->family)
			continue;
		nf++;
		rules++;
		/* a group of 256 entries per 8 bits past the first level's 24 */
		if (list[i].prefixlen > 24)
			tbl8s += (list[i].prefixlen - 24 + 7) / 8;
	}
	if (nf == 0)
		return 0;
	snprintf(name, sizeof(name), "rg_block%c_%u", f->tag, gen);
	t = f->create(name, rules, tbl8s);
	if (t == NULL)
		return -(rte_errno ? rte_errno : ENOMEM);
	for (int i = 0; i < n && err == 0; i++)
		if (list[i].family == f->family)
			err = lpm_add(f, t, &list[i]);
	if (err < 0) {
		f->free(t);
		return err;
	}
	*out = t;
	return nf;
}

void
xdp_lpm_free(struct xdp_lpm *t, const struct xdp_lpm *keep)
{
	if (t == NULL)
		return;
	if (keep == NULL || keep->v4 != t->v4)
		rte_lpm_free(t->v4);
	if (keep == NULL || keep->v6 != t->v6)
		rte_lpm6_free(t->v6);
	free(t);
}

int
xdp_lpm_build(const struct xdp_block *b, unsigned which, const struct xdp_lpm *old, struct xdp_lpm **out)
{
	struct xdp_lpm *t;
	struct rg_cidr *list;
	void *v4 = NULL, *v6 = NULL;
	int n, n4 = 0, n6 = 0;

	*out = NULL;
	if (old == NULL)
		which = XDP_LPM_ALL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->gen = old ? old->gen + 1 : 0;
	n = xdp_block_snapshot(b, &list);
	if (n >= 0 && (which & XDP_LPM_V4))
		n4 = lpm_build_one(&lpm_v4, list, n, t->gen, &v4);
	if (n >= 0 && n4 >= 0 && (which & XDP_LPM_V6))
		n6 = lpm_build_one(&lpm_v6, list, n, t->gen, &v6);
	free(list);
	if (n < 0 || n4 < 0 || n6 < 0) {
		rte_lpm_free(v4);
		free(t);
		return n < 0 ? n : n4 < 0 ? n4 : n6;
	}
	t->v4 = (which & XDP_LPM_V4) ? v4 : old->v4;
	t->v6 = (which & XDP_LPM_V6) ? v6 : old->v6;
	if (t->v4 == NULL && t->v6 == NULL) {
		free(t); /* nothing to look up */
		return 0;
	}
	*out = t;
	return n4 + n6;
}

int
xdp_lpm_load(const struct rg_config *cfg, struct xdp_lpm **out)
{
	struct xdp_block b;
	int n = xdp_block_open(cfg->bpf_pin_dir, 0, &b);

	*out = NULL;
	if (n == -ENOENT)
		return 0; /* no list made: nothing blocked */
	if (n == 0) {
		n = xdp_lpm_build(&b, XDP_LPM_ALL, NULL, out);
		xdp_block_close(&b);
	}
	if (n < 0)
		msg_error("blocklist in %s not applied: %s", cfg->bpf_pin_dir, strerror(-n));
	else
		msg_info("blocklist: %d prefixes from %s", n, cfg->bpf_pin_dir);
	return n;
}
