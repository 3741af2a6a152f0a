/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	xdp_block.c - the source blocklist of the XDP program
 * DESCRIPTION
 *	Add/delete/list prefixes (struct rg_cidr, core/cidr.h) on the
 *	two LPM tries (IPv4, IPv6) the XDP program looks sources up in.
 *	The maps are reached by path under the bpffs pin directory, so the
 *	daemon and rcptgatectl work on the same list; they can also be
 *	created here before the daemon ever ran.
 *
 *	Plain C over libbpf's syscall wrappers, no DPDK: linked by the
 *	daemon, rcptgatectl and the tests. Callers link libbpf.
 * DIAGNOSTICS
 *	Functions return 0 (or a count) and a negative errno; they print
 *	nothing, the caller says what failed and why.
 * TRUST
 *	CIDR text is operator input and fully checked. A pinned object is
 *	used only after its map type, key and value sizes match ours.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <rcptgate/bpf_opts.h>

#include "xdp.h"

#define BLOCK_PATH_MAX (CFG_STR_MAX + 32)

/* Key size, value size and pin name of the blocklist of FAMILY. */
static size_t
block_key_size(int family)
{
	return family == AF_INET ? sizeof(struct rg_xdp_lpm4) : sizeof(struct rg_xdp_lpm6);
}

static int
block_fd(const struct xdp_block *b, int family)
{
	return family == AF_INET ? b->fd4 : b->fd6;
}

/* Check that FD is an LPM trie with our key and value sizes. */
static int
block_check(int fd, int family)
{
	struct bpf_map_info info;
	__u32 ilen = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) < 0)
		return -errno;
	if (info.type != BPF_MAP_TYPE_LPM_TRIE || info.key_size != block_key_size(family) ||
	    info.value_size != sizeof(__u32))
		return -EINVAL;
	return 0;
}

static int
block_open_one(const char *dir, const char *name, int family, int create, int *fdp)
{
	char path[BLOCK_PATH_MAX];
	int fd, err;
	RG_BPF_OPTS(bpf_map_create_opts, opts);
	opts.map_flags = BPF_F_NO_PREALLOC;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		if (err != -ENOENT || !create)
			return err;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, name, (__u32)block_key_size(family), sizeof(__u32),
				    RG_XDP_BLOCK_MAX, &opts);
		if (fd < 0)
			return -errno;
		if (bpf_obj_pin(fd, path) < 0) {
			err = -errno;
			close(fd);
			return err;
		}
	}
	err = block_check(fd, family);
	if (err < 0) {
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

int
xdp_block_open(const char *dir, int create, struct xdp_block *b)
{
	int err;

	b->fd4 = b->fd6 = -1;
	err = block_open_one(dir, RG_XDP_MAP_BLOCK4, AF_INET, create, &b->fd4);
	if (err == 0)
		err = block_open_one(dir, RG_XDP_MAP_BLOCK6, AF_INET6, create, &b->fd6);
	if (err < 0)
		xdp_block_close(b);
	return err;
}

void
xdp_block_close(struct xdp_block *b)
{
	if (b->fd4 >= 0)
		close(b->fd4);
	if (b->fd6 >= 0)
		close(b->fd6);
	b->fd4 = b->fd6 = -1;
}

/* Fill the LPM key of C into KEY (room for the IPv6 layout). */
static void
block_key(const struct rg_cidr *c, struct rg_xdp_lpm6 *key)
{
	memset(key, 0, sizeof(*key));
	key->prefixlen = c->prefixlen;
	memcpy(key->addr, c->addr, c->family == AF_INET ? 4 : 16);
}

/* The IPv4 key is a prefix of the IPv6 layout: same prefixlen field. */
_Static_assert(offsetof(struct rg_xdp_lpm4, addr) == offsetof(struct rg_xdp_lpm6, addr),
	       "LPM key layouts differ");

static int
block_valid(const struct xdp_block *b, const struct rg_cidr *c)
{
	if (c->family != AF_INET && c->family != AF_INET6)
		return -EINVAL;
	if (c->prefixlen > (c->family == AF_INET ? 32u : 128u))
		return -EINVAL;
	return block_fd(b, c->family) < 0 ? -EBADF : 0;
}

int
xdp_block_add_as(const struct xdp_block *b, const struct rg_cidr *c, uint32_t reason)
{
	struct rg_xdp_lpm6 key;
	__u32 val = reason;
	int err = block_valid(b, c);

	if (err < 0)
		return err;
	block_key(c, &key);
	if (bpf_map_update_elem(block_fd(b, c->family), &key, &val, BPF_ANY) < 0)
		return errno == E2BIG ? -ENOSPC : -errno;
	return 0;
}

int
xdp_block_add(const struct xdp_block *b, const struct rg_cidr *c)
{
	return xdp_block_add_as(b, c, RG_XDP_BLOCK_MANUAL);
}

int
xdp_block_reason(const struct xdp_block *b, const struct rg_cidr *c, uint32_t *reason)
{
	struct rg_xdp_lpm6 key;
	__u32 val;
	int err = block_valid(b, c);

	if (err < 0)
		return err;
	block_key(c, &key);
	if (bpf_map_lookup_elem(block_fd(b, c->family), &key, &val) < 0)
		return -errno;
	*reason = val;
	return 0;
}

int
xdp_block_del(const struct xdp_block *b, const struct rg_cidr *c)
{
	struct rg_xdp_lpm6 key;
	int err = block_valid(b, c);

	if (err < 0)
		return err;
	block_key(c, &key);
	if (bpf_map_delete_elem(block_fd(b, c->family), &key) < 0)
		return -errno;
	return 0;
}

/* Walk the map of FAMILY, storing into OUT from index *N on. */
static int
block_walk(int fd, int family, struct rg_cidr *out, size_t max, size_t *n)
{
	struct rg_xdp_lpm6 key, next;
	void *prev = NULL;
	size_t alen = family == AF_INET ? 4 : 16;

	if (fd < 0)
		return 0;
	memset(&next, 0, sizeof(next));
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (*n < max) {
			struct rg_cidr *c = &out[*n];

			memset(c, 0, sizeof(*c));
			c->family = family;
			c->prefixlen = next.prefixlen;
			memcpy(c->addr, next.addr, alen);
		}
		if (*n == (size_t)RG_XDP_BLOCK_MAX * 2)
			return -EOVERFLOW; /* a map changing under us without end */
		(*n)++;
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

int
xdp_block_list(const struct xdp_block *b, struct rg_cidr *out, size_t max)
{
	size_t n = 0;
	int err = block_walk(b->fd4, AF_INET, out, max, &n);

	if (err == 0)
		err = block_walk(b->fd6, AF_INET6, out, max, &n);
	return err < 0 ? err : (int)n;
}

int
xdp_block_snapshot(const struct xdp_block *b, struct rg_cidr **out)
{
	int n, room = xdp_block_list(b, NULL, 0);

	*out = NULL;
	if (room <= 0)
		return room;
	*out = calloc((size_t)room, sizeof(**out));
	if (*out == NULL)
		return -ENOMEM;
	n = xdp_block_list(b, *out, (size_t)room);
	if (n <= 0) {
		free(*out);
		*out = NULL;
	}
	return n > room ? room : n; /* grew meanwhile: the next snapshot has the rest */
}

int
xdp_block_copy(const struct xdp_block *from, const struct xdp_block *to)
{
	struct rg_cidr *list;
	int n = xdp_block_snapshot(from, &list), err = 0;

	for (int i = 0; i < n && err == 0; i++) {
		uint32_t reason = RG_XDP_BLOCK_MANUAL;

		err = xdp_block_reason(from, &list[i], &reason);
		if (err == 0)
			err = xdp_block_add_as(to, &list[i], reason);
	}
	free(list);
	return err < 0 ? err : n;
}
