/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	parse.h - bounds-checked header parsing for the XDP program
 * DESCRIPTION
 *	A cursor walks the frame from the Ethernet header inwards. Every
 *	function checks that the whole header it returns lies before the
 *	end of the frame (data_end) before anything in it is read, and
 *	advances the cursor past it. Variable lengths (IPv4 IHL, TCP data
 *	offset) are bounded by their field width before they are used, so
 *	the verifier can prove each access and a crafted length can never
 *	reach past the frame.
 *
 *	These helpers only parse: they make no policy decision.
 * DIAGNOSTICS
 *	Each function returns 0 on success and RG_PARSE_BAD when the frame
 *	is too short for the header or a length/version field is
 *	impossible; the caller counts that as malformed.
 * TRUST
 *	The frame is untrusted network input of any length, including
 *	zero bytes.
 */
#ifndef RG_BPF_PARSE_H
#define RG_BPF_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define RG_PARSE_BAD (-1)
#define RG_VLAN_MAX 2 /* 802.1ad outer tag + 802.1Q inner tag */

struct rg_cursor {
	void *pos;
	void *end;
};

struct rg_vlan_hdr {
	__be16 tci;
	__be16 proto; /* ethertype of what follows */
};

static __always_inline int
rg_is_vlan(__u16 proto_host)
{
	return proto_host == ETH_P_8021Q || proto_host == ETH_P_8021AD;
}

/*
 * rg_parse_eth - the Ethernet header and up to RG_VLAN_MAX VLAN tags.
 * Sets *proto to the innermost ethertype (host order) and *tags to the
 * number of tags crossed. A frame with more tags than RG_VLAN_MAX is
 * bad.
 */
static __always_inline int
rg_parse_eth(struct rg_cursor *c, __u16 *proto, int *tags)
{
	struct ethhdr *eth = c->pos;
	__u16 p;
	int i;

	if ((void *)(eth + 1) > c->end)
		return RG_PARSE_BAD;
	c->pos = eth + 1;
	p = bpf_ntohs(eth->h_proto);
	*tags = 0;
#pragma unroll
	for (i = 0; i < RG_VLAN_MAX; i++) {
		struct rg_vlan_hdr *vh = c->pos;

		if (!rg_is_vlan(p))
			break;
		if ((void *)(vh + 1) > c->end)
			return RG_PARSE_BAD;
		c->pos = vh + 1;
		p = bpf_ntohs(vh->proto);
		*tags = i + 1;
	}
	if (rg_is_vlan(p))
		return RG_PARSE_BAD;
	*proto = p;
	return 0;
}

/*
 * rg_parse_ipv4 - an IPv4 header with its options. Bad: version not 4,
 * IHL below 5, header longer than the frame, or a total length shorter
 * than the header.
 */
static __always_inline int
rg_parse_ipv4(struct rg_cursor *c, struct iphdr **out)
{
	struct iphdr *ip = c->pos;
	__u32 hlen;

	if ((void *)(ip + 1) > c->end)
		return RG_PARSE_BAD;
	if (ip->version != 4 || ip->ihl < 5)
		return RG_PARSE_BAD;
	hlen = (__u32)ip->ihl * 4; /* 20..60: ihl is a 4-bit field */
	if (c->pos + hlen > c->end)
		return RG_PARSE_BAD;
	if (bpf_ntohs(ip->tot_len) < hlen)
		return RG_PARSE_BAD;
	c->pos += hlen;
	*out = ip;
	return 0;
}

/* True for any fragment: more-fragments set or a non-zero offset. */
static __always_inline int
rg_ipv4_is_fragment(const struct iphdr *ip)
{
	return (ip->frag_off & bpf_htons(0x3fff)) != 0;
}

/*
 * rg_parse_ipv6 - the fixed IPv6 header (extension headers are not
 * crossed: the caller sees them as nexthdr). Bad: version not 6 or a
 * frame shorter than 40 bytes after the link header.
 */
static __always_inline int
rg_parse_ipv6(struct rg_cursor *c, struct ipv6hdr **out)
{
	struct ipv6hdr *ip6 = c->pos;

	if ((void *)(ip6 + 1) > c->end)
		return RG_PARSE_BAD;
	if (ip6->version != 6)
		return RG_PARSE_BAD;
	c->pos = ip6 + 1;
	*out = ip6;
	return 0;
}

/*
 * rg_parse_tcp - a TCP header with its options. Bad: data offset below
 * 5 or options running past the frame.
 */
static __always_inline int
rg_parse_tcp(struct rg_cursor *c, struct tcphdr **out)
{
	struct tcphdr *th = c->pos;
	__u32 hlen;

	if ((void *)(th + 1) > c->end)
		return RG_PARSE_BAD;
	if (th->doff < 5)
		return RG_PARSE_BAD;
	hlen = (__u32)th->doff * 4; /* 20..60: doff is a 4-bit field */
	if (c->pos + hlen > c->end)
		return RG_PARSE_BAD;
	c->pos += hlen;
	*out = th;
	return 0;
}

#endif /* RG_BPF_PARSE_H */
