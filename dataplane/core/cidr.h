/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cidr.h - IPv4 and IPv6 prefixes: parse, print, match
 * DESCRIPTION
 *	One prefix type for everything that names client addresses: the
 *	blocklist (dataplane/xdp, rcptgatectl block) and the configuration
 *	(dictionary_block_exempt). Plain C, no DPDK, no libbpf.
 * DIAGNOSTICS
 *	Functions return 0 or a negative errno; they print nothing.
 * TRUST
 *	CIDR text comes from the operator (configuration, command line,
 *	control socket) and is checked fully.
 */
#ifndef RG_CIDR_H
#define RG_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest CIDR text: a full IPv6 address, "/128" and the NUL. */
#define RG_CIDR_STR_MAX 48

struct rg_cidr {
	int family;	    /* AF_INET or AF_INET6 */
	unsigned prefixlen; /* 0..32 or 0..128 */
	uint8_t addr[16];   /* network order; bits past prefixlen are 0 */
};

/*
 * rg_cidr_parse - parse "ADDR" or "ADDR/LEN", IPv4 or IPv6.
 * @text: NUL-terminated text; a missing /LEN means a host (/32, /128).
 * @out: the prefix, host bits cleared (10.1.2.3/8 becomes 10.0.0.0/8).
 * Return: 0, or -EINVAL for anything else (empty, junk after the
 * length, a length out of range, a leading zero or sign in it).
 */
int rg_cidr_parse(const char *text, struct rg_cidr *out);

/*
 * rg_cidr_format - print C as "ADDR/LEN" into BUF of LEN bytes.
 * Return: 0, -ENOSPC if BUF is too small, -EINVAL for a bad family.
 */
int rg_cidr_format(const struct rg_cidr *c, char *buf, size_t len);

/*
 * rg_ipv4_str - ADDR (network order) in dotted decimal into OUT, NUL
 * terminated, the way inet_ntop() writes it.
 * @out: at least RG_IPV4_STR_MAX bytes.
 * Return: the length written, NUL not counted.
 */
#define RG_IPV4_STR_MAX 16
size_t rg_ipv4_str(uint32_t addr, char *out);

/*
 * rg_cidr_match - is ADDR (FAMILY AF_INET or AF_INET6, network order:
 * 4 or 16 bytes) inside C?
 */
bool rg_cidr_match(const struct rg_cidr *c, int family, const uint8_t *addr);

#endif /* RG_CIDR_H */
