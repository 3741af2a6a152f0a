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
 *	add, and the workers' copy (xdp_lpm.h: rte_lpm for IPv4, rte_lpm6
 *	for IPv6) of the family that changed is rebuilt after each change:
 *	published with one pointer store, the old one freed once every
 *	worker has passed a quiescent state. The dictionary-attack blocks
 *	(ctl_dict.c) change the list through the same ctl_block_apply.
 *
 *	Responses: add and del answer "cidr PREFIX" (as stored: host bits
 *	cleared) and "applied_by xdp|workers"; list answers "prefixes N"
 *	and one "cidr PREFIX REASON [SECONDS]" line per entry, IPv4 first:
 *	REASON "manual" (never expires) or "dictionary" with the seconds
 *	it has left. A manual add of an automatic entry makes it manual;
 *	del of an automatic one releases it (logged and counted).
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

#include <rcptgate/ctl_proto.h>

#include "ctl/ctl_daemon.h"
#include "daemon.h"
#include "msg.h"
#include "xdp_lpm.h"

unsigned
ctl_block_family(const struct rg_cidr *c)
{
	return c->family == AF_INET ? XDP_LPM_V4 : XDP_LPM_V6;
}

/* Rebuild the workers' table of WHICH families from B and publish it. */
static int
ctl_block_publish(struct dp_daemon *d, const struct xdp_block *b, unsigned which)
{
	struct xdp_lpm *fresh, *old = d->block;
	int n = xdp_lpm_build(b, which, old, &fresh);

	if (n < 0)
		return n;
	__atomic_store_n(&d->block, fresh, __ATOMIC_RELEASE);
	ctl_rcu_wait(d);
	xdp_lpm_free(old, fresh);
	return n;
}

int
ctl_block_store(struct dp_daemon *d, bool add, const struct rg_cidr *c, uint32_t reason)
{
	struct xdp_block b;
	int err = xdp_block_open(d->cfg.bpf_pin_dir, add, &b);

	if (err < 0)
		return err;
	err = add ? xdp_block_add_as(&b, c, reason) : xdp_block_del(&b, c);
	xdp_block_close(&b);
	return err;
}

int
ctl_block_sync(struct dp_daemon *d, unsigned which)
{
	struct xdp_block b;
	int err;

	if (d->xdp.prog_id != 0 || which == 0)
		return 0; /* our XDP program reads the pinned list itself */
	err = xdp_block_open(d->cfg.bpf_pin_dir, 0, &b);
	if (err < 0)
		return err;
	err = ctl_block_publish(d, &b, which);
	xdp_block_close(&b);
	return err < 0 ? err : 0;
}

int
ctl_block_apply(struct dp_daemon *d, bool add, const struct rg_cidr *c, uint32_t reason, bool *stored)
{
	int err = ctl_block_store(d, add, c, reason);

	*stored = err == 0;
	return err < 0 ? err : ctl_block_sync(d, ctl_block_family(c));
}

static void
ctl_block_list(struct dp_daemon *d, const struct xdp_block *b, struct ctl_resp *r)
{
	char buf[RG_CIDR_STR_MAX];
	struct rg_cidr *list;
	int n = xdp_block_snapshot(b, &list);

	if (n < 0) {
		ctl_resp_error(r, n, "cannot read the blocklist");
		return;
	}
	ctl_resp_add(r, "prefixes", "%d", n);
	for (int i = 0; i < n; i++) {
		int64_t left = ctl_dict_left(d, &list[i]);

		if (rg_cidr_format(&list[i], buf, sizeof(buf)) < 0 ||
		    (left < 0 ? ctl_resp_add(r, "cidr", "%s manual", buf)
			      : ctl_resp_add(r, "cidr", "%s dictionary %lld", buf, (long long)left)) < 0)
			break; /* E2BIG: the response is already ERR */
	}
	free(list);
}

void
ctl_do_block(struct dp_daemon *d, const struct ctl_req *req, struct ctl_resp *r)
{
	const char *op = req->arg[CTL_K_OP], *text = req->arg[CTL_K_CIDR];
	bool list = strcmp(op, "list") == 0, add = strcmp(op, "add") == 0, stored;
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
	if (list) {
		err = xdp_block_open(d->cfg.bpf_pin_dir, 0, &b);
		if (err == -ENOENT) {
			ctl_resp_add(r, "prefixes", "0"); /* nothing was ever blocked */
		} else if (err < 0) {
			ctl_resp_error(r, err, "blocklist under %s", d->cfg.bpf_pin_dir);
		} else {
			ctl_block_list(d, &b, r);
			xdp_block_close(&b);
		}
		return;
	}
	if (rg_cidr_parse(text, &c) < 0) {
		ctl_resp_error(r, EINVAL, "'%s' is not an IPv4 or IPv6 address or prefix", text);
		return;
	}
	(void)rg_cidr_format(&c, buf, sizeof(buf));
	err = ctl_block_apply(d, add, &c, RG_XDP_BLOCK_MANUAL, &stored);
	if (stored) /* an automatic entry deleted, or made manual */
		ctl_dict_forget(d, &c, !add);
	if (err < 0 && !stored) {
		ctl_resp_error(r, err, "%s %s%s", op, buf,
			       err == -ENOENT && !add ? ": not in the blocklist" : "");
	} else if (err < 0) {
		msg_error("blocklist changed (%s %s) but the workers keep the old one: %s", op, buf,
			  strerror(-err));
		ctl_resp_error(r, err, "%s %s: stored, but the workers' table was not rebuilt", op, buf);
	} else {
		ctl_resp_add(r, "cidr", "%s", buf);
		ctl_resp_add(r, "applied_by", "%s", d->xdp.prog_id != 0 ? "xdp" : "workers");
	}
}
