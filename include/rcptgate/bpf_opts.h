/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	bpf_opts.h - libbpf's option structs declared with every byte zero
 * SYNOPSIS
 *	RG_BPF_OPTS(bpf_xdp_attach_opts, opts);
 *	opts.old_prog_fd = fd;
 * DESCRIPTION
 *	libbpf refuses an options struct (-EINVAL, "has non-zero extra
 *	bytes") when a byte past the fields it knows is not zero, and the
 *	padding after the last field is such a byte. An initializer such as
 *	{ .sz = sizeof(o), .old_prog_fd = fd } need not zero padding, and
 *	with link-time optimisation clang left it holding stack garbage: a
 *	stale XDP program could then not be detached. libbpf's own
 *	LIBBPF_OPTS() zeroes through a statement expression, which is not
 *	ISO C; this declares NAME, zeroes all of it and sets its sz.
 *	scripts/check-format fails on an opts struct declared otherwise.
 */
#ifndef RCPTGATE_BPF_OPTS_H
#define RCPTGATE_BPF_OPTS_H

#include <string.h>

#define RG_BPF_OPTS(type, name) \
	struct type name; \
	memset(&name, 0, sizeof(name)); \
	name.sz = sizeof(name)

#endif
