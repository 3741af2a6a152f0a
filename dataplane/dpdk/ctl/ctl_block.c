/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_block.c - the "block" control request: the source blocklist
 * DESCRIPTION
 *	block op=add cidr=CIDR, block op=del cidr=CIDR, block op=list.
 *
 *	The list lives in the LPM tries pinned under bpf_pin_dir. With our
 *	XDP program on the interface those are its own maps, so a change
 *	applies to the next frame. Otherwise (pci mode, or no xdp_object)
 *	the pins are plain maps of the same layout, created on the first
 *	add, and the workers' rte_lpm copy is rebuilt after each change:
 *	published with one pointer store, the old one freed once every
 *	worker has passed a quiescent state.
 *
 *	Responses: add and del answer "cidr PREFIX" (as stored: host bits
 *	cleared) and "applied_by xdp|workers"; list answers "prefixes N"
 *	and one "cidr PREFIX" line per entry, IPv4 first.
 * DIAGNOSTICS
 *	ERR EINVAL (bad op or CIDR, cidr given to list or missing for add
 *	and del), ERR ENOENT (del of a prefix not in the list), ERR ENOSPC
 *	(list full), ERR E2BIG (list longer than a response), other errno
 *	from bpffs or the kernel. A failed rebuild of the workers' table
 *	keeps the old one and says so (the pinned list has changed).
 * TRUST
 *	Requests come checked by ctl_req_parse; the CIDR by rg_cidr_parse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lpm.h>

#include <rcptgate/ctl_proto.h>

#include "ctl/ctl_daemon.h"
#include "daemon.h"
#include "msg.h"
#include "xdp_lpm.h"

/* Two names in turn: the new table is built while the old one serves. */
static const char *
ctl_block_lpm_name(void)
{
	return rte_lpm_find_existing("rg_block4_a") ? "rg_block4_b" : "rg_block4_a";
}

/* Rebuild the workers' table from B and publish it. */
static int
ctl_block_publish(struct dp_daemon *d, const struct xdp_block *b)
{
	struct rte_lpm *fresh, *old = d->block4;
	int n = xdp_lpm_build(b, ctl_block_lpm_name(), &fresh);

	if (n < 0)
		return n;
	__atomic_store_n(&d->block4, fresh, __ATOMIC_RELEASE);
	ctl_rcu_wait(d);
	rte_lpm_free(old);
	return n;
}

static void
ctl_block_list(const struct xdp_block *b, struct ctl_resp *r)
{
	char buf[RG_CIDR_STR_MAX];
	struct rg_cidr *list;
	int n = xdp_block_snapshot(b, &list);

	if (n < 0) {
		ctl_resp_error(r, n, "cannot read the blocklist");
		return;
	}
	ctl_resp_add(r, "prefixes", "%d", n);
	for (int i = 0; i < n; i++)
		if (rg_cidr_format(&list[i], buf, sizeof(buf)) < 0 || ctl_resp_add(r, "cidr", "%s", buf) < 0)
			break; /* E2BIG: the response is already ERR */
	free(list);
}

void
ctl_do_block(struct dp_daemon *d, const struct ctl_req *req, struct ctl_resp *r)
{
	const char *op = req->arg[CTL_K_OP], *text = req->arg[CTL_K_CIDR];
	bool list = strcmp(op, "list") == 0, add = strcmp(op, "add") == 0;
	bool own_xdp = d->xdp.prog_id != 0;
	char buf[RG_CIDR_STR_MAX];
	struct xdp_block b;
	struct rg_cidr c;
	int err;

	if (!list && !add && strcmp(op, "del") != 0) {
		ctl_resp_error(r, EINVAL, "op must be add, del or list");
		return;
	}
	if (list != (text == NULL)) {
		ctl_resp_error(r, EINVAL, "%s", list ? "list takes no cidr" : "add and del need cidr=CIDR");
		return;
	}
	if (!list && rg_cidr_parse(text, &c) < 0) {
		ctl_resp_error(r, EINVAL, "'%s' is not an IPv4 or IPv6 address or prefix", text);
		return;
	}
	err = xdp_block_open(d->cfg.bpf_pin_dir, add, &b);
	if (err == -ENOENT && list) {
		ctl_resp_add(r, "prefixes", "0"); /* nothing was ever blocked */
		return;
	}
	if (err < 0) {
		ctl_resp_error(r, err, "blocklist under %s", d->cfg.bpf_pin_dir);
		return;
	}
	if (list) {
		ctl_block_list(&b, r);
		xdp_block_close(&b);
		return;
	}
	err = add ? xdp_block_add(&b, &c) : xdp_block_del(&b, &c);
	(void)rg_cidr_format(&c, buf, sizeof(buf));
	if (err < 0) {
		ctl_resp_error(r, err, "%s %s%s", op, buf, err == -ENOENT ? ": not in the blocklist" : "");
	} else if (!own_xdp && (err = ctl_block_publish(d, &b)) < 0) {
		msg_error("blocklist changed (%s %s) but the workers keep the old one: %s", op, buf,
			  strerror(-err));
		ctl_resp_error(r, err, "%s %s: stored, but the workers' table was not rebuilt", op, buf);
	} else {
		ctl_resp_add(r, "cidr", "%s", buf);
		ctl_resp_add(r, "applied_by", "%s", own_xdp ? "xdp" : "workers");
	}
	xdp_block_close(&b);
}
