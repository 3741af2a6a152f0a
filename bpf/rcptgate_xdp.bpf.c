/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	rcptgate_xdp.bpf.c - steer SMTP to the fast path, drop blocked clients
 * DESCRIPTION
 *	Attached to the kernel interface rcptgate shares in port_mode =
 *	af_xdp (loaded by net_af_xdp through its xdp_prog= argument).
 *	A frame is sent to the AF_XDP socket of its RX queue when it is an
 *	untagged IPv4 or IPv6 TCP segment, not a fragment, addressed to one
 *	of the listen addresses and the listen port in RG_XDP_MAP_CONFIG.
 *	Such a segment whose source is in the blocklist (RG_XDP_MAP_BLOCK4 /
 *	RG_XDP_MAP_BLOCK6) is dropped instead. Everything else - ARP, ICMP,
 *	ssh, other addresses and ports, VLAN-tagged frames (owned by the
 *	kernel's VLAN interfaces), IPv6 with extension headers - is left to
 *	the kernel with XDP_PASS. The blocklist applies to SMTP only, so a
 *	blocked address can never lock an operator out of ssh.
 *
 *	Until the daemon fills the configuration map (port 0, no address)
 *	nothing is steered: the program is safe to attach at any time.
 *
 *	Map layouts and counter names: <rcptgate/bpf_maps.h>.
 * DIAGNOSTICS
 *	None at run time: each verdict is counted in RG_XDP_MAP_STATS
 *	(steered, passed, dropped as blocked, malformed, no socket).
 *	Malformed frames are passed, since the kernel owns them and
 *	validates them itself.
 * TRUST
 *	Frames are untrusted; every header access goes through parse.h.
 *	The maps are written only by root (the daemon, rcptgatectl).
 */
#include <linux/bpf.h>
#include <linux/in.h>

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <rcptgate/bpf_maps.h>

#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, RG_XDP_XSK_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_xdp_config);
} rg_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, RG_XDP_BLOCK_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rg_xdp_lpm4);
	__type(value, __u32);
} rg_block4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, RG_XDP_BLOCK_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rg_xdp_lpm6);
	__type(value, __u32);
} rg_block6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RG_XDP_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} rg_xdp_stats SEC(".maps");

/* The verdicts before the redirect: what the headers say to do. */
enum rg_class { RG_PASS, RG_MALFORMED, RG_BLOCKED, RG_STEER };

static __always_inline void
rg_count(__u32 id)
{
	__u64 *v = bpf_map_lookup_elem(&rg_xdp_stats, &id);

	if (v)
		*v += 1; /* per-CPU slot: no atomics needed */
}

static __always_inline int
rg_listen4(const struct rg_xdp_config *cfg, __be32 daddr)
{
	int i;

#pragma unroll
	for (i = 0; i < RG_XDP_ADDR_MAX; i++)
		if (i < cfg->n_addr4 && cfg->addr4[i] == daddr)
			return 1;
	return 0;
}

static __always_inline int
rg_in6_eq(const struct rg_xdp_in6 *a, const struct in6_addr *b)
{
	const __be32 *x = a->w;
	const __be32 *y = b->in6_u.u6_addr32;

	/* no memcmp in BPF: four word compares */
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
}

static __always_inline int
rg_listen6(const struct rg_xdp_config *cfg, const struct in6_addr *daddr)
{
	int i;

#pragma unroll
	for (i = 0; i < RG_XDP_ADDR_MAX; i++)
		if (i < cfg->n_addr6 && rg_in6_eq(&cfg->addr6[i], daddr))
			return 1;
	return 0;
}

static __always_inline enum rg_class
rg_classify_ipv4(struct rg_cursor *c, const struct rg_xdp_config *cfg)
{
	struct rg_xdp_lpm4 key = { .prefixlen = 32 };
	struct iphdr *ip;
	struct tcphdr *th;

	if (rg_parse_ipv4(c, &ip) < 0)
		return RG_MALFORMED;
	if (ip->protocol != IPPROTO_TCP || rg_ipv4_is_fragment(ip) || !rg_listen4(cfg, ip->daddr))
		return RG_PASS;
	if (rg_parse_tcp(c, &th) < 0)
		return RG_MALFORMED;
	if (th->dest != cfg->port)
		return RG_PASS;
	__builtin_memcpy(key.addr, &ip->saddr, sizeof(key.addr));
	if (bpf_map_lookup_elem(&rg_block4, &key))
		return RG_BLOCKED;
	return RG_STEER;
}

static __always_inline enum rg_class
rg_classify_ipv6(struct rg_cursor *c, const struct rg_xdp_config *cfg)
{
	struct rg_xdp_lpm6 key = { .prefixlen = 128 };
	struct ipv6hdr *ip6;
	struct tcphdr *th;

	if (rg_parse_ipv6(c, &ip6) < 0)
		return RG_MALFORMED;
	if (ip6->nexthdr != IPPROTO_TCP || !rg_listen6(cfg, &ip6->daddr))
		return RG_PASS;
	if (rg_parse_tcp(c, &th) < 0)
		return RG_MALFORMED;
	if (th->dest != cfg->port)
		return RG_PASS;
	__builtin_memcpy(key.addr, ip6->saddr.in6_u.u6_addr8, sizeof(key.addr));
	if (bpf_map_lookup_elem(&rg_block6, &key))
		return RG_BLOCKED;
	return RG_STEER;
}

static __always_inline enum rg_class
rg_classify(struct xdp_md *ctx, const struct rg_xdp_config *cfg)
{
	struct rg_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	__u16 proto;
	int tags;

	if (rg_parse_eth(&c, &proto, &tags) < 0)
		return RG_MALFORMED;
	if (tags != 0 || cfg->port == 0)
		return RG_PASS;
	if (proto == ETH_P_IP)
		return rg_classify_ipv4(&c, cfg);
	if (proto == ETH_P_IPV6)
		return rg_classify_ipv6(&c, cfg);
	return RG_PASS;
}

SEC("xdp")
int
rg_xdp_steer(struct xdp_md *ctx)
{
	__u32 zero = 0;
	const struct rg_xdp_config *cfg = bpf_map_lookup_elem(&rg_config, &zero);
	int act;

	if (!cfg) {
		rg_count(RG_XDP_C_XDP_PASSED);
		return XDP_PASS;
	}
	switch (rg_classify(ctx, cfg)) {
	case RG_STEER:
		act = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
		rg_count(act == XDP_REDIRECT ? RG_XDP_C_XDP_STEERED : RG_XDP_C_XDP_NO_XSK);
		return act;
	case RG_BLOCKED:
		rg_count(RG_XDP_C_XDP_DROP_BLOCKED);
		return XDP_DROP;
	case RG_MALFORMED:
		rg_count(RG_XDP_C_XDP_MALFORMED);
		return XDP_PASS;
	default:
		rg_count(RG_XDP_C_XDP_PASSED);
		return XDP_PASS;
	}
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
