/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	net6.c - IPv6, NDP and ICMPv6 on the fast path (see net.h)
 * DESCRIPTION
 *	IPv6: version, payload length against the frame, destination = the
 *	listen address, or its solicited-node multicast group (RFC 4291
 *	2.7.1) for neighbour solicitations. Extension headers (RFC 8200 4):
 *	hop-by-hop (first only) and destination options are skipped, a
 *	routing header is skipped when no segments are left and dropped
 *	otherwise (we are not the final destination), a fragment header is
 *	dropped (no reassembly), and a chain longer than NET6_EXT_MAX is
 *	dropped; each drop has its own counter.
 *	ICMPv6 (checksum over the pseudo-header, RFC 8200 8.1): echo
 *	requests are answered; neighbour solicitations for the listen
 *	address are answered with an advertisement (RFC 4861 7.2.4) where
 *	rcptgate owns the address (the modes that answer ARP); the rest is
 *	dropped and counted. TCP from a source on the workers' blocklist
 *	(xdp_lpm.h: modes without our XDP program) is dropped as
 *	drop_blocked, as over IPv4; other TCP goes to the TCP module.
 * DIAGNOSTICS
 *	None: every drop increments the counter of its reason.
 * TRUST
 *	The frame is untrusted; every extension header's length is checked
 *	against the payload before it is read.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "csum.h"
#include "net.h"
#include "tcp/tcp_lcore.h"

#define NET6_EXT_MAX 4 /* extension headers skipped before the upper layer */
#define NET6_HOP_LIMIT 64

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_OPT_SOURCE_LL 1
#define ND_OPT_TARGET_LL 2
#define ND_NA_FLAG_SOLICITED 0x40
#define ND_NA_FLAG_OVERRIDE 0x20

/* Neighbour solicitation and advertisement: type, code, sum, flags, target. */
struct net6_nd {
	uint8_t type;
	uint8_t code;
	rte_be16_t cksum;
	uint8_t flags; /* NA: R, S, O; NS: reserved */
	uint8_t reserved[3];
	uint8_t target[16];
} __rte_packed;

/* The advertisement we send: the header and one target link-layer address option. */
struct net6_na {
	struct net6_nd nd;
	uint8_t opt_type;
	uint8_t opt_len;		 /* in 8-byte units */
	uint8_t mac[RTE_ETHER_ADDR_LEN]; /* bytes: rte_ether_addr's 2-byte alignment is not the option's */
} __rte_packed;

uint16_t
net6_l4_sum(const struct rte_ipv6_hdr *ip6, uint8_t proto, const void *l4, uint32_t len)
{
	/* The pseudo-header of RFC 8200 8.1 with the upper-layer length and
	 * next header, not those of the IPv6 header (extension headers may
	 * sit between). */
	return rg_csum_fold(rg_csum_add(rg_ipv6_phdr_sum(ip6, proto, len), l4, len));
}

static bool
net6_is_ours(const struct dp_lcore *lc, const uint8_t *a)
{
	return memcmp(a, lc->listen_addr6, 16) == 0;
}

/* ff02::1:ffXX:XXXX, XX:XXXX the low 24 bits of the listen address. */
static bool
net6_is_our_snm(const struct dp_lcore *lc, const uint8_t *a)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0 && memcmp(a + 13, lc->listen_addr6 + 13, 3) == 0;
}

/*
 * The neighbour advertisement answering SOL (its ICMPv6 body of LEN
 * bytes, checksum checked), from the frame ETH/IP6, in a new mbuf.
 */
static void
net6_ns(struct dp_lcore *lc, const struct rte_ether_hdr *eth, const struct rte_ipv6_hdr *ip6,
	const struct net6_nd *sol, uint32_t len)
{
	static const uint8_t unspec[16];
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };

	/* RFC 4861 7.1.1: hop limit 255, code 0, a unicast target; then ours */
	if (!lc->answer_arp || ip6->hop_limits != 255 || sol->code != 0 || sol->target[0] == 0xff ||
	    !net6_is_ours(lc, sol->target)) {
		dp_count(lc, RG_C_DROP_NDP_OTHER);
		return;
	}
	/* options are 8-byte multiples and none may have length 0 */
	for (uint32_t off = sizeof(*sol); off < len;) {
		const uint8_t *o = (const uint8_t *)sol + off;
		if (len - off < 8 || o[1] == 0 || o[1] * 8u > len - off) {
			dp_count(lc, RG_C_DROP_NDP_OTHER);
			return;
		}
		off += o[1] * 8u;
	}
	bool dad = memcmp(ip6->src_addr, unspec, 16) == 0;
	struct rte_mbuf *m = rte_pktmbuf_alloc(lc->pool);
	uint16_t frame = (uint16_t)(sizeof(*eth) + sizeof(*ip6) + sizeof(struct net6_na));
	uint8_t *p = m ? (uint8_t *)rte_pktmbuf_append(m, frame) : NULL;
	if (p == NULL) {
		rte_pktmbuf_free(m);
		dp_count(lc, RG_C_MBUF_ALLOC_FAIL);
		return;
	}
	struct rte_ether_hdr *re = (struct rte_ether_hdr *)p;
	struct rte_ipv6_hdr *rip = (struct rte_ipv6_hdr *)(re + 1);
	struct net6_na *na = (struct net6_na *)(rip + 1);
	re->src_addr = lc->mac;
	re->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	rip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	rip->payload_len = rte_cpu_to_be_16(sizeof(*na));
	rip->proto = IPPROTO_ICMPV6;
	rip->hop_limits = 255;
	memcpy(rip->src_addr, lc->listen_addr6, 16);
	if (dad) {
		/* a duplicate address probe: tell all nodes (RFC 4861 7.2.4) */
		memcpy(rip->dst_addr, all_nodes, 16);
		struct rte_ether_addr mc = { { 0x33, 0x33, 0, 0, 0, 1 } };
		re->dst_addr = mc;
	} else {
		memcpy(rip->dst_addr, ip6->src_addr, 16);
		re->dst_addr = eth->src_addr;
	}
	memset(&na->nd, 0, sizeof(na->nd));
	na->nd.type = ND_NEIGHBOR_ADVERT;
	na->nd.flags = (uint8_t)(ND_NA_FLAG_OVERRIDE | (dad ? 0 : ND_NA_FLAG_SOLICITED));
	memcpy(na->nd.target, lc->listen_addr6, 16);
	na->opt_type = ND_OPT_TARGET_LL;
	na->opt_len = 1;
	memcpy(na->mac, &lc->mac, sizeof(na->mac));
	na->nd.cksum = rte_ipv6_udptcp_cksum(rip, na);
	dp_count(lc, RG_C_NDP_SOLICITS);
	dp_tx(lc, m);
}

/* Echo reply in place: extension headers removed, addresses swapped. */
static void
net6_echo(struct dp_lcore *lc, struct rte_mbuf *m, struct rte_ether_hdr *eth, struct rte_ipv6_hdr *ip6,
	  uint8_t *l4, uint32_t len)
{
	uint8_t *body = (uint8_t *)(ip6 + 1);

	if (l4 != body)
		memmove(body, l4, len);
	body[0] = ICMP6_ECHO_REPLY;
	ip6->proto = IPPROTO_ICMPV6;
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)len);
	ip6->hop_limits = NET6_HOP_LIMIT;
	memcpy(ip6->dst_addr, ip6->src_addr, 16);
	memcpy(ip6->src_addr, lc->listen_addr6, 16);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)body;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = rte_ipv6_udptcp_cksum(ip6, icmp);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = lc->mac;
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - (uint32_t)(sizeof(*eth) + sizeof(*ip6) + len));
	m->ol_flags = 0;
	dp_count(lc, RG_C_ICMP6_ECHO);
	dp_tx(lc, m);
}

/* Consumes M when it returns true (answered); the caller frees it otherwise. */
static bool
net6_icmp(struct dp_lcore *lc, struct rte_mbuf *m, struct rte_ether_hdr *eth, struct rte_ipv6_hdr *ip6,
	  uint8_t *l4, uint32_t len, bool to_snm)
{
	if (len < 8 || net6_l4_sum(ip6, IPPROTO_ICMPV6, l4, len) != 0xffff) {
		dp_count(lc, RG_C_DROP_ICMP6_OTHER);
		return false;
	}
	if (l4[0] == ND_NEIGHBOR_SOLICIT && len >= sizeof(struct net6_nd)) {
		net6_ns(lc, eth, ip6, (const struct net6_nd *)l4, len);
		return false;
	}
	if (l4[0] == ICMP6_ECHO_REQUEST && l4[1] == 0 && !to_snm) {
		net6_echo(lc, m, eth, ip6, l4, len);
		return true;
	}
	dp_count(lc, RG_C_DROP_ICMP6_OTHER);
	return false;
}

void
net_ipv6(struct dp_lcore *lc, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	uint32_t frame = rte_pktmbuf_data_len(m);

	if (frame < sizeof(*eth) + sizeof(struct rte_ipv6_hdr)) {
		dp_count(lc, RG_C_DROP_RUNT);
		goto drop;
	}
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	uint32_t plen = rte_be_to_cpu_16(ip6->payload_len);
	if ((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6) {
		dp_count(lc, RG_C_DROP_IP6_HDR);
		goto drop;
	}
	if (frame < sizeof(*eth) + sizeof(*ip6) + plen) {
		dp_count(lc, RG_C_DROP_RUNT);
		goto drop;
	}
	bool to_snm = false;
	if (!net6_is_ours(lc, ip6->dst_addr) && !(to_snm = net6_is_our_snm(lc, ip6->dst_addr))) {
		dp_count(lc, RG_C_DROP_NOT_OURS);
		goto drop;
	}
	uint8_t *pl = (uint8_t *)(ip6 + 1);
	uint8_t nh = ip6->proto;
	uint32_t off = 0;
	for (unsigned n = 0;; n++) {
		if (nh == IPPROTO_FRAGMENT) {
			dp_count(lc, RG_C_DROP_IP6_FRAG);
			goto drop;
		}
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_DSTOPTS && nh != IPPROTO_ROUTING)
			break;
		if (n == NET6_EXT_MAX) {
			dp_count(lc, RG_C_DROP_IP6_EXT);
			goto drop;
		}
		/* hop-by-hop only right after the header (RFC 8200 4.1) */
		if (plen - off < 8 || (pl[off + 1] + 1u) * 8 > plen - off ||
		    (nh == IPPROTO_HOPOPTS && n > 0)) {
			dp_count(lc, RG_C_DROP_IP6_HDR);
			goto drop;
		}
		if (nh == IPPROTO_ROUTING && pl[off + 3] != 0) { /* segments left */
			dp_count(lc, RG_C_DROP_IP6_ROUTING);
			goto drop;
		}
		dp_count(lc, RG_C_IP6_EXT_SKIPPED);
		nh = pl[off];
		off += (pl[off + 1] + 1u) * 8;
	}
	switch (nh) {
	case IPPROTO_ICMPV6:
		if (net6_icmp(lc, m, eth, ip6, pl + off, plen - off, to_snm))
			return;
		goto drop;
	case IPPROTO_TCP:
		if (to_snm) {
			dp_count(lc, RG_C_DROP_NOT_OURS);
			goto drop;
		}
		if (xdp_lpm_blocked6(net_block(lc), ip6->src_addr)) {
			dp_count(lc, RG_C_DROP_BLOCKED);
			goto drop;
		}
		if (unlikely(lc->tcp == NULL)) {
			dp_count(lc, RG_C_DROP_TCP_NO_STACK);
			goto drop;
		}
		tcp_lcore_input6(lc, m, eth, ip6, pl + off, (uint16_t)(plen - off));
		return;
	default:
		dp_count(lc, RG_C_DROP_IP6_PROTO);
		goto drop;
	}
drop:
	rte_pktmbuf_free(m);
}
