/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	xdp.h - the XDP steering program seen from user space
 * DESCRIPTION
 *	Two groups of functions, both plain C over libbpf (no DPDK types;
 *	the workers' copy of the blocklist is dpdk/xdp_lpm.h):
 *
 *	Blocklist (xdp_block.c): add, delete and list CIDRs (core/cidr.h)
 *	in the LPM tries the program reads, opened by path under the bpffs directory bpf_pin_dir.
 *
 *	Program life cycle (xdp.c, the daemon in port_mode = af_xdp):
 *	net_af_xdp loads and attaches the object itself (xdp_prog=), so
 *	the daemon works around it:
 *	  1. xdp_prepare() before the port starts: a program left on the
 *	     interface by a daemon that died is detached (a live owner or a
 *	     foreign program is an error), the pin directory is created.
 *	  2. the PMD loads and attaches the object.
 *	  3. xdp_setup() finds that program's maps, copies the blocklist
 *	     pinned by the previous run (or by rcptgatectl) into it, pins
 *	     the maps by name under bpf_pin_dir and fills the configuration
 *	     map last; until then the program steers nothing.
 *	  4. xdp_stats_read() while running.
 *	  5. xdp_shutdown() after the port is closed: detaches the program
 *	     if the PMD left it, unpins the configuration and counters and
 *	     keeps the blocklist pinned for the next run.
 *
 *	All functions return 0 (or a count) on success and a negative errno
 *	on failure; the daemon's functions also log the reason.
 * TRUST
 *	CIDR text comes from the operator (command line, control socket)
 *	and is checked fully. Pinned maps are trusted only as far as their
 *	type, key and value sizes, which are checked before use.
 */
#ifndef RG_XDP_H
#define RG_XDP_H

#include <stddef.h>
#include <stdint.h>

#include <rcptgate/bpf_maps.h>
#include <rcptgate/counters.h>

#include "cidr.h"
#include "config.h"

/* The two blocklist maps, as file descriptors (-1 = not open). */
struct xdp_block {
	int fd4;
	int fd6;
};

/*
 * xdp_block_open - open the pinned blocklists DIR/rg_block4, rg_block6.
 * @create: when the pins do not exist, create empty maps of the
 * program's layout and pin them (so a list can be prepared before the
 * daemon starts; it takes them over at start).
 * Return: 0; -ENOENT if not pinned and !create; -EINVAL if a pin is not
 * an LPM trie of our key and value sizes; another -errno from bpffs.
 */
int xdp_block_open(const char *dir, int create, struct xdp_block *b);

/* xdp_block_close - close both descriptors (safe on a closed one). */
void xdp_block_close(struct xdp_block *b);

/*
 * xdp_block_add - block prefix C (idempotent), as a manual entry.
 * Return: 0; -ENOSPC when the list is full; -EBADF if the family's map
 * is not open; another -errno from the kernel.
 */
int xdp_block_add(const struct xdp_block *b, const struct rg_cidr *c);

/*
 * xdp_block_add_as - block prefix C for REASON (RG_XDP_BLOCK_MANUAL,
 * RG_XDP_BLOCK_DICTIONARY: the map's value), replacing the reason of an
 * entry already there. Return: as xdp_block_add.
 */
int xdp_block_add_as(const struct xdp_block *b, const struct rg_cidr *c, uint32_t reason);

/*
 * xdp_block_reason - the reason stored with C, or with the longest
 * prefix in the list that holds C (the LPM trie's lookup).
 * Return: 0 and *REASON; -ENOENT if no prefix holds C; -EBADF, -errno.
 */
int xdp_block_reason(const struct xdp_block *b, const struct rg_cidr *c, uint32_t *reason);

/*
 * xdp_block_del - unblock exactly prefix C (not the addresses inside it).
 * Return: 0; -ENOENT if C is not in the list; -EBADF, -errno as above.
 */
int xdp_block_del(const struct xdp_block *b, const struct rg_cidr *c);

/*
 * xdp_block_list - the blocked prefixes, IPv4 first, in map order.
 * @out: room for MAX entries; more are counted but not stored.
 * Return: the number of prefixes in the lists (may exceed MAX), or a
 * negative errno.
 */
int xdp_block_list(const struct xdp_block *b, struct rg_cidr *out, size_t max);

/*
 * xdp_block_snapshot - the blocked prefixes in a new array *OUT (free it;
 * NULL when there are none).
 * Return: the number of entries in *OUT, or a negative errno.
 */
int xdp_block_snapshot(const struct xdp_block *b, struct rg_cidr **out);

/*
 * xdp_block_copy - add every prefix of FROM to TO with its reason (used
 * at start to take over the previous run's list).
 * Return: the number copied, or a negative errno (partial copy).
 */
int xdp_block_copy(const struct xdp_block *from, const struct xdp_block *to);

/* The daemon's handle on the attached program. */
struct xdp_state {
	int ifindex;
	uint32_t prog_id;      /* program found attached by xdp_setup */
	uint32_t attach_flags; /* XDP_FLAGS_*_MODE it is attached with */
	int config_fd;
	int stats_fd;
	struct xdp_block block;
	char ifname[CFG_STR_MAX];
	char pin_dir[CFG_STR_MAX];
};

/*
 * xdp_prepare - before the PMD starts: check the interface exists,
 * detach a stale rcptgate program from it, create the pin directory.
 * A program whose owner (RG_XDP_MAP_CONFIG owner_pid) is a live
 * process is not stale.
 * Return: 0; -ENODEV (no such interface), -EBUSY (a live rcptgate owns
 * it), -EEXIST (a program that is not ours is attached), -errno.
 */
int xdp_prepare(const struct rg_config *cfg, struct xdp_state *st);

/*
 * xdp_setup - after the PMD attached the object: find our program on
 * the interface and its maps, take over the pinned blocklist, pin the
 * maps under cfg->bpf_pin_dir, fill the configuration from cfg->listen
 * with owner_pid = OWNER (0 = the calling process).
 * Return: 0; -ENOENT (our program is not attached), -errno.
 */
int xdp_setup(const struct rg_config *cfg, struct xdp_state *st, uint32_t owner);

/*
 * xdp_stats_read - sum the program's per-CPU counters into
 * OUT[RG_XDP_C_MAX].
 * Return: 0 or -errno (OUT then holds zeros).
 */
int xdp_stats_read(int stats_fd, uint64_t out[RG_XDP_C_MAX]);

/*
 * xdp_stats_add - add the program's counters into the daemon's sums
 * CTR[RG_C_MAX] (where <rcptgate/counters.h> lists them after the
 * lcores' own). Return: 0 or -errno (CTR unchanged).
 */
int xdp_stats_add(int stats_fd, uint64_t ctr[RG_C_MAX]);

/*
 * xdp_shutdown - after the port is closed: detach our program if it is
 * still attached, unpin the configuration and counter maps, close
 * everything. The blocklist stays pinned. Safe to call twice.
 */
void xdp_shutdown(struct xdp_state *st);

/*
 * xdp_attached_id - the id of the XDP program on IFINDEX (any mode).
 * Return: 0 with *ID (0 = none) and *FLAGS (the XDP_FLAGS_*_MODE bit),
 * or -errno.
 */
int xdp_attached_id(int ifindex, uint32_t *id, uint32_t *flags);

#endif /* RG_XDP_H */
