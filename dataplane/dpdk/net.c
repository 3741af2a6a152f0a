/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	net.c - Ethernet, ARP, IPv4 and ICMP on the fast path (see net.h;
 *	IPv6 is in net6.c)
 * DESCRIPTION
 *	ARP: a request for the listen address is answered when the port
 *	mode says rcptgate owns the address (pci, af_packet, memif, and
 *	af_xdp when the port's program hands ARP to us); anything else ARP
 *	is dropped and counted.
 *	IPv4: version, header length, total length against the frame,
 *	header checksum (hardware verdict when the port gives one, software
 *	otherwise), no fragments, destination = listen address. ICMP echo
 *	requests are answered; TCP goes to the TCP module.
 * DIAGNOSTICS
 *	None: every drop increments the counter of its reason.
 * TRUST
 *	The frame is untrusted; lengths are checked before each header is
 *	read.
 */
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "csum.h"
#include "net.h"
#include "tcp/tcp_lcore.h"

static void
net_arp(struct dp_lcore *lc, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(struct rte_arp_hdr)) {
		dp_count(lc, RG_C_DROP_RUNT);
		rte_pktmbuf_free(m);
		return;
	}
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	if (!lc->answer_arp || arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4 ||
	    arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	    arp->arp_data.arp_tip != lc->listen_addr) {
		dp_count(lc, RG_C_DROP_ARP_OTHER);
		rte_pktmbuf_free(m);
		return;
	}
	/* Turn the request into the reply in place. */
	struct rte_arp_ipv4 *d = &arp->arp_data;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	d->arp_tha = d->arp_sha;
	d->arp_tip = d->arp_sip;
	d->arp_sha = lc->mac;
	d->arp_sip = lc->listen_addr;
	eth->dst_addr = d->arp_tha;
	eth->src_addr = lc->mac;
	dp_count(lc, RG_C_ARP_REQUESTS);
	dp_tx(lc, m);
}

static void
net_icmp(struct dp_lcore *lc, struct rte_mbuf *m, struct rte_ether_hdr *eth, struct rte_ipv4_hdr *ip,
	 uint16_t ihl, uint16_t ip_len)
{
	uint16_t icmp_len = ip_len - ihl;
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);

	if (icmp_len < sizeof(*icmp) || icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0 ||
	    rg_csum_fold(rg_csum_add(0, icmp, icmp_len)) != 0xffff) {
		dp_count(lc, RG_C_DROP_ICMP_OTHER);
		rte_pktmbuf_free(m);
		return;
	}
	/* Echo reply: type 0; the checksum changes by exactly the type
	 * difference (RFC 1624 incremental update). */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	uint32_t sum = (uint16_t)~rte_be_to_cpu_16(icmp->icmp_cksum);
	sum += (uint16_t) ~(RTE_IP_ICMP_ECHO_REQUEST << 8) + (RTE_IP_ICMP_ECHO_REPLY << 8);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	icmp->icmp_cksum = rte_cpu_to_be_16((uint16_t)~sum);

	ip->dst_addr = ip->src_addr;
	ip->src_addr = lc->listen_addr;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rg_ipv4_hdr_cksum(ip);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = lc->mac;
	/* Trim any Ethernet padding so the reply is exactly the packet. */
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - (uint32_t)(sizeof(*eth) + ip_len));
	m->ol_flags = 0;
	dp_count(lc, RG_C_ICMP_ECHO);
	dp_tx(lc, m);
}

static bool
net_ip_csum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
		return true;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		return false;
	default:
		return rg_csum_fold(rg_ipv4_hdr_sum(ip)) == 0xffff;
	}
}

/* Source on the blocklist (modes without our XDP program; see xdp_lpm.c). */
static inline bool
net_blocked(const struct dp_lcore *lc, rte_be32_t src)
{
	return xdp_lpm_blocked4(net_block(lc), rte_be_to_cpu_32(src));
}

static void
net_ipv4(struct dp_lcore *lc, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	uint32_t frame = rte_pktmbuf_data_len(m);

	if (frame < sizeof(*eth) + sizeof(struct rte_ipv4_hdr)) {
		dp_count(lc, RG_C_DROP_RUNT);
		goto drop;
	}
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint16_t ihl = rte_ipv4_hdr_len(ip);
	uint16_t ip_len = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || ip_len < ihl) {
		dp_count(lc, RG_C_DROP_IP_HDR);
		goto drop;
	}
	if (frame < sizeof(*eth) + (uint32_t)ip_len) {
		dp_count(lc, RG_C_DROP_RUNT);
		goto drop;
	}
	if (!net_ip_csum_ok(m, ip)) {
		dp_count(lc, RG_C_DROP_IP_CSUM);
		goto drop;
	}
	if (ip->dst_addr != lc->listen_addr) {
		dp_count(lc, RG_C_DROP_NOT_OURS);
		goto drop;
	}
	if ((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) {
		dp_count(lc, RG_C_DROP_IP_FRAG);
		goto drop;
	}
	switch (ip->next_proto_id) {
	case IPPROTO_ICMP:
		net_icmp(lc, m, eth, ip, ihl, ip_len);
		return;
	case IPPROTO_TCP:
		if (net_blocked(lc, ip->src_addr)) {
			dp_count(lc, RG_C_DROP_BLOCKED);
			goto drop;
		}
		if (unlikely(lc->tcp == NULL)) {
			dp_count(lc, RG_C_DROP_TCP_NO_STACK);
			goto drop;
		}
		tcp_lcore_input(lc, m, eth, ip, ihl, ip_len);
		return;
	default:
		dp_count(lc, RG_C_DROP_IP_PROTO);
		goto drop;
	}
drop:
	rte_pktmbuf_free(m);
}

void
net_input(struct dp_lcore *lc, struct rte_mbuf *m)
{
	dp_count(lc, RG_C_RX_PACKETS);
	dp_count_n(lc, RG_C_RX_BYTES, rte_pktmbuf_pkt_len(m));
	net_frame(lc, m);
}

void
net_frame(struct dp_lcore *lc, struct rte_mbuf *m)
{
	/* Headers are read from the first segment only; a chained frame
	 * whose headers straddle segments is a runt to us. */
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr)) {
		dp_count(lc, RG_C_DROP_RUNT);
		rte_pktmbuf_free(m);
		return;
	}
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		if (!lc->serve4)
			break;
		net_ipv4(lc, m, eth);
		return;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		if (!lc->serve4)
			break;
		net_arp(lc, m, eth);
		return;
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		if (!lc->serve6)
			break;
		net_ipv6(lc, m, eth);
		return;
	default:
		break;
	}
	dp_count(lc, RG_C_DROP_ETHERTYPE);
	rte_pktmbuf_free(m);
}
