/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	rg-xdp-block - blocklist and counters of a running XDP program (tests)
 * SYNOPSIS
 *	rg-xdp-block PIN_DIR add CIDR...
 *	rg-xdp-block PIN_DIR del CIDR...
 *	rg-xdp-block PIN_DIR list
 *	rg-xdp-block PIN_DIR stats
 * DESCRIPTION
 *	Drives the blocklist functions of dataplane/xdp/xdp_block.c on the maps
 *	rcptgate pinned under PIN_DIR (its bpf_pin_dir), and prints the XDP
 *	program's counters as "name value" lines. The integration tests use
 *	it where rcptgatectl cannot serve: to fill the pinned blocklist
 *	before the daemon starts, and to read the XDP program's own
 *	counters; it is not installed.
 * DIAGNOSTICS
 *	Exit 0 on success, 1 on failure (reason on stderr), 2 on bad usage.
 * TRUST
 *	Arguments are checked by rg_cidr_parse.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "xdp.h"

static int
usage(void)
{
	fprintf(stderr, "usage: rg-xdp-block PIN_DIR add|del CIDR... | list | stats\n");
	return 2;
}

static int
blk_change(const char *dir, int add, int argc, char **argv)
{
	struct xdp_block b;
	struct rg_cidr c;
	int err = xdp_block_open(dir, add, &b), rc = 0;

	if (err < 0) {
		fprintf(stderr, "rg-xdp-block: %s: %s\n", dir, strerror(-err));
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		if (rg_cidr_parse(argv[i], &c) < 0) {
			fprintf(stderr, "rg-xdp-block: '%s' is not an address or CIDR\n", argv[i]);
			rc = 1;
			continue;
		}
		err = add ? xdp_block_add(&b, &c) : xdp_block_del(&b, &c);
		if (err < 0) {
			fprintf(stderr, "rg-xdp-block: %s %s: %s\n", add ? "add" : "del", argv[i],
				err == -ENOENT ? "not in the blocklist" : strerror(-err));
			rc = 1;
		}
	}
	xdp_block_close(&b);
	return rc;
}

static int
blk_list(const char *dir)
{
	struct rg_cidr list[256];
	char buf[RG_CIDR_STR_MAX];
	struct xdp_block b;
	int n = xdp_block_open(dir, 0, &b);

	if (n == 0)
		n = xdp_block_list(&b, list, sizeof(list) / sizeof(list[0]));
	xdp_block_close(&b);
	if (n < 0) {
		fprintf(stderr, "rg-xdp-block: %s: %s\n", dir, strerror(-n));
		return 1;
	}
	for (int i = 0; i < n && (size_t)i < sizeof(list) / sizeof(list[0]); i++)
		if (rg_cidr_format(&list[i], buf, sizeof(buf)) == 0)
			printf("%s\n", buf);
	return 0;
}

static int
blk_stats(const char *dir)
{
	static const char *const names[] = {
#define RG_XDP_NAME(id, name, kind, help) name,
		RG_XDP_COUNTERS(RG_XDP_NAME)
#undef RG_XDP_NAME
	};
	uint64_t v[RG_XDP_C_MAX];
	char path[CFG_STR_MAX + 32];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, RG_XDP_MAP_STATS);
	fd = bpf_obj_get(path);
	err = fd < 0 ? -errno : xdp_stats_read(fd, v);
	if (fd >= 0)
		close(fd);
	if (err < 0) {
		fprintf(stderr, "rg-xdp-block: %s: %s\n", path, strerror(-err));
		return 1;
	}
	for (int i = 0; i < RG_XDP_C_MAX; i++)
		printf("%s %llu\n", names[i], (unsigned long long)v[i]);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	if (strcmp(argv[2], "add") == 0 && argc > 3)
		return blk_change(argv[1], 1, argc - 3, argv + 3);
	if (strcmp(argv[2], "del") == 0 && argc > 3)
		return blk_change(argv[1], 0, argc - 3, argv + 3);
	if (strcmp(argv[2], "list") == 0 && argc == 3)
		return blk_list(argv[1]);
	if (strcmp(argv[2], "stats") == 0 && argc == 3)
		return blk_stats(argv[1]);
	return usage();
}
