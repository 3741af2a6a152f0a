/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	xdp.c - life cycle of the XDP steering program in port_mode = af_xdp
 * DESCRIPTION
 *	net_af_xdp (DPDK 22.11) loads the object given as xdp_prog= with
 *	libbpf's default options and attaches it itself; it offers no way to
 *	set a pin directory or to reuse maps. So the daemon takes the
 *	program over once the PMD has attached it: it finds it on the
 *	interface by id, finds its maps by name, pins them by name under
 *	bpf_pin_dir (where rcptgatectl finds them), moves the previous
 *	blocklist into it and fills the configuration. The object declares
 *	no pinning of its own, so the PMD's load never touches bpffs.
 *
 *	Stale program: a daemon that crashed leaves its program attached,
 *	and the PMD refuses to attach over it. xdp_prepare() detaches it
 *	when it is ours (by program name) and its owner (the pid stored in
 *	the configuration map) is no longer a running copy of this program.
 *
 *	See xdp.h for the order of calls.
 * DIAGNOSTICS
 *	Each failure is logged with msg_error/msg_warn naming the interface
 *	or pin and returned as a negative errno; the caller decides whether
 *	start-up goes on. Nothing here runs on the fast path.
 * TRUST
 *	The program attached to the interface is identified by name only
 *	after its maps have the layouts of <rcptgate/bpf_maps.h>; anything
 *	else is reported and left alone.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include <rcptgate/bpf_opts.h>
#include <rcptgate/limits.h>

#include "msg.h"
#include "xdp.h"

/* One AF_XDP socket per worker queue: the map must hold every worker. */
_Static_assert(RG_XDP_XSK_MAX >= RG_MAX_WORKERS, "xsks_map smaller than the worker cap");

#define XDP_PATH_MAX (CFG_STR_MAX + 32)
#define XDP_PROG_MAPS_MAX 16 /* our object has 5 maps */

int
xdp_attached_id(int ifindex, uint32_t *id, uint32_t *flags)
{
	RG_BPF_OPTS(bpf_xdp_query_opts, q);

	*id = 0;
	*flags = 0;
	if (bpf_xdp_query(ifindex, 0, &q) < 0)
		return -errno;
	/* one program per interface is all we attach; prefer the driver's */
	if (q.drv_prog_id) {
		*id = q.drv_prog_id;
		*flags = XDP_FLAGS_DRV_MODE;
	} else if (q.skb_prog_id) {
		*id = q.skb_prog_id;
		*flags = XDP_FLAGS_SKB_MODE;
	} else if (q.hw_prog_id) {
		*id = q.hw_prog_id;
		*flags = XDP_FLAGS_HW_MODE;
	}
	return 0;
}

/* Open program ID; fill INFO (with up to XDP_PROG_MAPS_MAX map ids). */
static int
xdp_prog_open(uint32_t id, struct bpf_prog_info *info, uint32_t *map_ids)
{
	__u32 ilen = sizeof(*info);
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	info->nr_map_ids = XDP_PROG_MAPS_MAX;
	info->map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, info, &ilen) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (info->nr_map_ids > XDP_PROG_MAPS_MAX)
		info->nr_map_ids = XDP_PROG_MAPS_MAX; /* not ours anyway */
	return fd;
}

/* Find the map called NAME among MAP_IDS; check its sizes. */
static int
xdp_map_by_name(const uint32_t *map_ids, uint32_t n, const char *name, uint32_t key_size, uint32_t value_size)
{
	for (uint32_t i = 0; i < n; i++) {
		struct bpf_map_info mi;
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(map_ids[i]);

		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen) == 0 && strcmp(mi.name, name) == 0) {
			if (mi.key_size == key_size && mi.value_size == value_size)
				return fd;
			close(fd);
			return -EINVAL;
		}
		close(fd);
	}
	return -ENOENT;
}

/* True when PID is a running process of the same program as us. */
static int
xdp_owner_alive(uint32_t pid)
{
	char path[64], theirs[32] = "", ours[32] = "";
	FILE *f;

	if (pid == 0 || pid == (uint32_t)getpid())
		return 0;
	if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(theirs, sizeof(theirs), f) == NULL)
			theirs[0] = '\0';
		fclose(f);
	}
	if ((f = fopen("/proc/self/comm", "r")) != NULL) {
		if (fgets(ours, sizeof(ours), f) == NULL)
			ours[0] = '\0';
		fclose(f);
	}
	/* a recycled pid running something else does not own the program */
	return theirs[0] != '\0' && strcmp(theirs, ours) == 0;
}

static void
xdp_state_init(struct xdp_state *st, const struct rg_config *cfg)
{
	memset(st, 0, sizeof(*st));
	st->config_fd = st->stats_fd = -1;
	st->block.fd4 = st->block.fd6 = -1;
	snprintf(st->ifname, sizeof(st->ifname), "%s", cfg->interface);
	snprintf(st->pin_dir, sizeof(st->pin_dir), "%s", cfg->bpf_pin_dir);
}

int
xdp_prepare(const struct rg_config *cfg, struct xdp_state *st)
{
	uint32_t map_ids[XDP_PROG_MAPS_MAX], id, flags;
	struct bpf_prog_info info;
	struct rg_xdp_config old;
	__u32 zero = 0;
	int err, pfd, cfd;

	xdp_state_init(st, cfg);
	st->ifindex = (int)if_nametoindex(cfg->interface);
	if (st->ifindex == 0) {
		msg_error("xdp: no interface '%s'", cfg->interface);
		return -ENODEV;
	}
	if (mkdir(cfg->bpf_pin_dir, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		msg_error("xdp: cannot create pin directory %s: %s", cfg->bpf_pin_dir, strerror(-err));
		return err;
	}
	err = xdp_attached_id(st->ifindex, &id, &flags);
	if (err < 0) {
		msg_error("xdp: cannot query XDP on %s: %s", cfg->interface, strerror(-err));
		return err;
	}
	if (id == 0)
		return 0;
	pfd = xdp_prog_open(id, &info, map_ids);
	if (pfd < 0) {
		msg_error("xdp: cannot open XDP program %u on %s: %s", id, cfg->interface, strerror(-pfd));
		return pfd;
	}
	cfd = -ENOENT;
	if (strcmp(info.name, RG_XDP_PROG_NAME) == 0)
		cfd = xdp_map_by_name(map_ids, info.nr_map_ids, RG_XDP_MAP_CONFIG, sizeof(__u32),
				      sizeof(struct rg_xdp_config));
	if (cfd < 0) {
		msg_error("xdp: %s already has XDP program '%s' (id %u), which is not rcptgate's;"
			  " remove it (ip link set dev %s xdp off) or choose another interface",
			  cfg->interface, info.name, id, cfg->interface);
		close(pfd);
		return -EEXIST;
	}
	memset(&old, 0, sizeof(old));
	err = bpf_map_lookup_elem(cfd, &zero, &old) < 0 ? -errno : 0;
	close(cfd);
	if (err == 0 && xdp_owner_alive(old.owner_pid)) {
		msg_error("xdp: %s is in use by rcptgate pid %u", cfg->interface, old.owner_pid);
		close(pfd);
		return -EBUSY;
	}
	RG_BPF_OPTS(bpf_xdp_attach_opts, opts);
	opts.old_prog_fd = pfd;
	err = bpf_xdp_detach(st->ifindex, flags, &opts) < 0 ? -errno : 0;
	close(pfd);
	if (err < 0) {
		msg_error("xdp: cannot detach stale program %u from %s: %s", id, cfg->interface,
			  strerror(-err));
		return err;
	}
	msg_warn("xdp: detached stale rcptgate XDP program %u from %s (owner pid %u is gone)", id,
		 cfg->interface, old.owner_pid);
	return 0;
}

/* Replace the pin DIR/NAME with FD. */
static int
xdp_repin(const char *dir, const char *name, int fd)
{
	char path[XDP_PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return bpf_obj_pin(fd, path) < 0 ? -errno : 0;
}

static uint32_t
xdp_map_id(int fd)
{
	struct bpf_map_info mi;
	__u32 mlen = sizeof(mi);

	memset(&mi, 0, sizeof(mi));
	return bpf_obj_get_info_by_fd(fd, &mi, &mlen) == 0 ? mi.id : 0;
}

/* Move the blocklist pinned by an earlier run into the new maps. */
static void
xdp_take_over_blocklist(struct xdp_state *st)
{
	struct xdp_block old;
	int n;

	if (xdp_block_open(st->pin_dir, 0, &old) < 0)
		return; /* nothing pinned yet: start empty */
	if (xdp_map_id(old.fd4) != xdp_map_id(st->block.fd4)) {
		n = xdp_block_copy(&old, &st->block);
		if (n < 0)
			msg_warn("xdp: blocklist in %s only partly taken over: %s", st->pin_dir,
				 strerror(-n));
		else if (n > 0)
			msg_info("xdp: %d blocked prefixes taken over from %s", n, st->pin_dir);
	}
	xdp_block_close(&old);
}

static int
xdp_fill_config(struct xdp_state *st, const struct rg_config *cfg, uint32_t owner)
{
	struct rg_xdp_config c;
	__u32 zero = 0;

	memset(&c, 0, sizeof(c));
	c.owner_pid = owner ? owner : (uint32_t)getpid();
	c.port = htons(cfg->listen_port);
	if (cfg_listen4(cfg)) {
		c.addr4[0] = cfg->listen_addr.s_addr;
		c.n_addr4 = 1;
	}
	if (cfg_listen6(cfg)) {
		memcpy(c.addr6[0].b, &cfg->listen_addr6, sizeof(c.addr6[0].b));
		c.n_addr6 = 1;
	}
	return bpf_map_update_elem(st->config_fd, &zero, &c, BPF_ANY) < 0 ? -errno : 0;
}

int
xdp_setup(const struct rg_config *cfg, struct xdp_state *st, uint32_t owner)
{
	uint32_t map_ids[XDP_PROG_MAPS_MAX], id, flags;
	struct bpf_prog_info info;
	int err, pfd;

	if (st->ifindex == 0)
		xdp_state_init(st, cfg);
	st->ifindex = (int)if_nametoindex(cfg->interface);
	err = st->ifindex ? xdp_attached_id(st->ifindex, &id, &flags) : -ENODEV;
	if (err == 0 && id == 0)
		err = -ENOENT;
	if (err < 0) {
		msg_error("xdp: no XDP program on %s: %s", cfg->interface, strerror(-err));
		return err;
	}
	pfd = xdp_prog_open(id, &info, map_ids);
	if (pfd < 0) {
		msg_error("xdp: cannot open XDP program %u on %s: %s", id, cfg->interface, strerror(-pfd));
		return pfd;
	}
	close(pfd);
	if (strcmp(info.name, RG_XDP_PROG_NAME) != 0) {
		msg_error("xdp: %s runs XDP program '%s', not %s (check xdp_object)", cfg->interface,
			  info.name, RG_XDP_PROG_NAME);
		return -ENOENT;
	}
	st->config_fd = xdp_map_by_name(map_ids, info.nr_map_ids, RG_XDP_MAP_CONFIG, sizeof(__u32),
					sizeof(struct rg_xdp_config));
	st->stats_fd =
		xdp_map_by_name(map_ids, info.nr_map_ids, RG_XDP_MAP_STATS, sizeof(__u32), sizeof(__u64));
	st->block.fd4 = xdp_map_by_name(map_ids, info.nr_map_ids, RG_XDP_MAP_BLOCK4,
					sizeof(struct rg_xdp_lpm4), sizeof(__u32));
	st->block.fd6 = xdp_map_by_name(map_ids, info.nr_map_ids, RG_XDP_MAP_BLOCK6,
					sizeof(struct rg_xdp_lpm6), sizeof(__u32));
	if (st->config_fd < 0 || st->stats_fd < 0 || st->block.fd4 < 0 || st->block.fd6 < 0) {
		msg_error("xdp: program %u on %s lacks the maps of this rcptgate version (rebuild %s)", id,
			  cfg->interface, cfg->xdp_object);
		xdp_shutdown(st);
		return -EINVAL;
	}
	st->prog_id = id; /* from here on xdp_shutdown detaches it */
	st->attach_flags = flags;
	/* blocklist before configuration: nothing is steered until the latter */
	xdp_take_over_blocklist(st);
	err = xdp_repin(st->pin_dir, RG_XDP_MAP_BLOCK4, st->block.fd4);
	if (err == 0)
		err = xdp_repin(st->pin_dir, RG_XDP_MAP_BLOCK6, st->block.fd6);
	if (err == 0)
		err = xdp_repin(st->pin_dir, RG_XDP_MAP_CONFIG, st->config_fd);
	if (err == 0)
		err = xdp_repin(st->pin_dir, RG_XDP_MAP_STATS, st->stats_fd);
	if (err < 0) {
		msg_error("xdp: cannot pin maps under %s: %s", st->pin_dir, strerror(-err));
		return err;
	}
	err = xdp_fill_config(st, cfg, owner);
	if (err < 0) {
		msg_error("xdp: cannot write %s: %s", RG_XDP_MAP_CONFIG, strerror(-err));
		return err;
	}
	char listen[CFG_LISTEN_STR_MAX];
	msg_info("xdp: program %u on %s steers tcp to %s; maps pinned under %s", id, cfg->interface,
		 cfg_listen_str(cfg, listen, sizeof(listen)), st->pin_dir);
	return 0;
}

int
xdp_stats_read(int stats_fd, uint64_t out[RG_XDP_C_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;
	int err = 0;

	memset(out, 0, sizeof(uint64_t) * RG_XDP_C_MAX);
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (__u32 i = 0; i < RG_XDP_C_MAX && err == 0; i++) {
		if (bpf_map_lookup_elem(stats_fd, &i, v) < 0) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			out[i] += v[c];
	}
	free(v);
	if (err < 0)
		memset(out, 0, sizeof(uint64_t) * RG_XDP_C_MAX);
	return err;
}

/* The program's counters sit in the daemon's list in the same order. */
_Static_assert(RG_C_XDP_STEERED + RG_XDP_C_MAX - 1 == RG_C_XDP_NO_XSK &&
		       RG_XDP_C_XDP_NO_XSK == RG_XDP_C_MAX - 1,
	       "RG_XDP_COUNTERS must stand in RG_COUNTERS as one block");

int
xdp_stats_add(int stats_fd, uint64_t ctr[RG_C_MAX])
{
	uint64_t v[RG_XDP_C_MAX];
	int err = xdp_stats_read(stats_fd, v);

	if (err < 0)
		return err;
	for (int i = 0; i < RG_XDP_C_MAX; i++)
		ctr[RG_C_XDP_STEERED + i] += v[i];
	return 0;
}

static void
xdp_unpin(const char *dir, const char *name)
{
	char path[XDP_PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path))
		(void)unlink(path);
}

void
xdp_shutdown(struct xdp_state *st)
{
	uint32_t id, flags;

	if (st->ifindex > 0 && st->prog_id != 0 && xdp_attached_id(st->ifindex, &id, &flags) == 0 &&
	    id == st->prog_id) {
		int pfd = bpf_prog_get_fd_by_id(id);
		RG_BPF_OPTS(bpf_xdp_attach_opts, opts);
		opts.old_prog_fd = pfd;

		if (pfd < 0 || bpf_xdp_detach(st->ifindex, flags, &opts) < 0)
			msg_warn("xdp: cannot detach program %u from %s: %s", id, st->ifname,
				 strerror(errno));
		if (pfd >= 0)
			close(pfd);
	}
	if (st->config_fd >= 0 && st->pin_dir[0] != '\0') {
		xdp_unpin(st->pin_dir, RG_XDP_MAP_CONFIG);
		xdp_unpin(st->pin_dir, RG_XDP_MAP_STATS);
	}
	if (st->config_fd >= 0)
		close(st->config_fd);
	if (st->stats_fd >= 0)
		close(st->stats_fd);
	xdp_block_close(&st->block);
	st->config_fd = st->stats_fd = -1;
	st->prog_id = 0;
}
