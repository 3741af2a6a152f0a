/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	net.h - Ethernet, ARP, IPv4, ICMP, IPv6, NDP and ICMPv6 on the fast path
 * DESCRIPTION
 *	net_input takes one received frame and either answers it (ARP
 *	request or neighbour solicitation for the listen address where
 *	rcptgate owns it, ICMP or ICMPv6 echo request to the listen address), hands it to TCP, or drops it and
 *	counts the reason. Frames are turned into replies in place, so an
 *	answer costs no allocation.
 * TRUST
 *	Everything in the frame is untrusted: every length is checked
 *	against the mbuf before a header is read.
 */
#ifndef RG_NET_H
#define RG_NET_H

#include <rte_ip.h>

#include "worker.h"
#include "xdp_lpm.h"

/*
 * net_block - the workers' blocklist as published now (modes without
 * our XDP program; xdp_lpm.h), or NULL: nothing blocked.
 */
static inline const struct xdp_lpm *
net_block(const struct dp_lcore *lc)
{
	return lc->block ? __atomic_load_n(lc->block, __ATOMIC_ACQUIRE) : NULL;
}

/* net_input - process one frame; always consumes M (sent or freed). */
void net_input(struct dp_lcore *lc, struct rte_mbuf *m);

/* net_frame - net_input() without counting M in rx_packets and rx_bytes:
 * a frame another worker handed on (dp_pass()). */
void net_frame(struct dp_lcore *lc, struct rte_mbuf *m);

/* net_ipv6 - the IPv6 part of net_input (net6.c); consumes M. */
void net_ipv6(struct dp_lcore *lc, struct rte_mbuf *m, struct rte_ether_hdr *eth);

/*
 * net6_l4_sum - ones' complement sum of the IPv6 pseudo-header (PROTO,
 * upper-layer length LEN) and the LEN bytes at L4, folded to 16 bits:
 * 0xffff when L4's checksum field is right.
 */
uint16_t net6_l4_sum(const struct rte_ipv6_hdr *ip6, uint8_t proto, const void *l4, uint32_t len);

#endif /* RG_NET_H */
