/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_frame.h - the frame of a TCP segment a worker sends, its
 *	checksums summed from the values it writes
 * SYNOPSIS
 *	#include "tcp/tcp_frame.h"
 *
 *	uint16_t tcp_frame_len(const struct tcp_seg *seg);
 *	void tcp_frame_write(uint8_t *p, const struct tcp_seg *seg,
 *			     const struct rte_ether_addr *src, bool offload);
 * DESCRIPTION
 *	tcp_frame_len() is the length of SEG's frame: Ethernet, IPv4 or
 *	IPv6 (as SEG's destination), TCP header with the MSS option when
 *	SEG->mss is set, SEG->len bytes of payload.
 *
 *	tcp_frame_write() writes that frame at P with link source SRC and
 *	destination SEG->link: IPv4 with DF, TTL 64, id 0 and no options;
 *	IPv6 with hop limit 64 and no extension headers; both checksums
 *	(IPv4 header, TCP) set. With OFFLOAD the port computes them (TX
 *	checksum offload): the IPv4 header's is 0 and the TCP field holds
 *	the pseudo-header's sum, as DPDK's rte_ipv4_phdr_cksum() and
 *	rte_ipv6_phdr_cksum() give it, and the payload is not summed.
 *
 *	The checksums are summed from the values being written and the
 *	payload from SEG->data, not read back from the frame: the headers
 *	are stored a field at a time, and a load of eight bytes spanning
 *	several smaller stores still in flight cannot be forwarded from
 *	them; it waits until they have reached the cache. Read back, the
 *	IPv4 and TCP header sums were the largest part of the samples in
 *	the worker's send path (docs/benchmarks.md).
 * TRUST
 *	The caller gives P room for tcp_frame_len() bytes and SEG->data
 *	SEG->len readable bytes.
 */
#ifndef RG_TCP_FRAME_H
#define RG_TCP_FRAME_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "csum.h"
#include "tcp/tcp.h"

#define TCP_FRAME_TTL 64

static inline uint16_t
tcp_frame_len(const struct tcp_seg *seg)
{
	size_t ip = tcp_addr_is_v4(&seg->daddr) ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);

	return (uint16_t)(sizeof(struct rte_ether_hdr) + ip + sizeof(struct rte_tcp_hdr) +
			  (seg->mss ? 4u : 0u) + seg->len);
}

/* The IPv4 header for L4 bytes of TCP; returns the pseudo-header's sum
 * (below 2^35: the caller adds to it without carries). */
static inline uint64_t
tcp_frame_ip4(struct rte_ipv4_hdr *ip, const struct tcp_seg *seg, uint16_t l4, bool offload)
{
	uint32_t src = tcp_addr_v4(&seg->saddr), dst = tcp_addr_v4(&seg->daddr);
	uint16_t total = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4));
	/* the words in memory order: version and header length with TOS,
	 * total length, id 0, DF, TTL with protocol, the addresses */
	uint64_t sum = (uint64_t)src + dst + total + rte_cpu_to_be_16(RTE_IPV4_VHL_DEF << 8) +
		rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) + rte_cpu_to_be_16(TCP_FRAME_TTL << 8 | IPPROTO_TCP);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = total;
	ip->packet_id = 0;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = TCP_FRAME_TTL;
	ip->next_proto_id = IPPROTO_TCP;
	ip->hdr_checksum = offload ? 0 : (uint16_t)~rg_csum_fold(sum);
	ip->src_addr = src;
	ip->dst_addr = dst;
	/* read back as stored (each a whole 4-byte store: forwarded) */
	return rg_ipv4_phdr_sum(ip, IPPROTO_TCP, l4);
}

/* The same for IPv6 (RFC 8200 8.1 pseudo-header). */
static inline uint64_t
tcp_frame_ip6(struct rte_ipv6_hdr *ip6, const struct tcp_seg *seg, uint16_t l4)
{
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(l4);
	ip6->proto = IPPROTO_TCP;
	ip6->hop_limits = TCP_FRAME_TTL;
	memcpy(ip6->src_addr, seg->saddr.b, 16);
	memcpy(ip6->dst_addr, seg->daddr.b, 16);
	/* the addresses read back from whole 16-byte stores (forwarded);
	 * folded: the caller adds the TCP header's words without carries,
	 * which a sum of 64 bits from the addresses could overflow */
	return rg_csum_fold(rg_ipv6_phdr_sum(ip6, IPPROTO_TCP, l4));
}

static inline void
tcp_frame_write(uint8_t *p, const struct tcp_seg *seg, const struct rte_ether_addr *src, bool offload)
{
	bool v4 = tcp_addr_is_v4(&seg->daddr);
	uint16_t optlen = seg->mss ? 4 : 0;
	uint16_t l4 = (uint16_t)(sizeof(struct rte_tcp_hdr) + optlen + seg->len);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_tcp_hdr *th;
	uint64_t sum;

	memcpy(&eth->dst_addr, seg->link, RTE_ETHER_ADDR_LEN);
	eth->src_addr = *src;
	if (v4) {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		sum = tcp_frame_ip4((struct rte_ipv4_hdr *)(eth + 1), seg, l4, offload);
		th = (struct rte_tcp_hdr *)((struct rte_ipv4_hdr *)(eth + 1) + 1);
	} else {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		sum = tcp_frame_ip6((struct rte_ipv6_hdr *)(eth + 1), seg, l4);
		th = (struct rte_tcp_hdr *)((struct rte_ipv6_hdr *)(eth + 1) + 1);
	}

	uint64_t phdr = sum;
	uint8_t data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	uint16_t sport = rte_cpu_to_be_16(seg->sport), dport = rte_cpu_to_be_16(seg->dport);
	uint16_t wnd = rte_cpu_to_be_16(seg->wnd);
	uint32_t seq = rte_cpu_to_be_32(seg->seq), ack = rte_cpu_to_be_32(seg->ack);
	th->src_port = sport;
	th->dst_port = dport;
	th->sent_seq = seq;
	th->recv_ack = ack;
	th->data_off = data_off;
	th->tcp_flags = seg->flags;
	th->rx_win = wnd;
	th->tcp_urp = 0;
	sum += (uint64_t)sport + dport + seq + ack + wnd +
		rte_cpu_to_be_16((uint16_t)(data_off << 8 | seg->flags));

	uint8_t *o = (uint8_t *)(th + 1);
	if (optlen) {
		o[0] = 2; /* MSS */
		o[1] = 4;
		o[2] = (uint8_t)(seg->mss >> 8);
		o[3] = (uint8_t)seg->mss;
		sum += rte_cpu_to_be_16(2 << 8 | 4) + rte_cpu_to_be_16(seg->mss);
		o += 4;
	}
	if (offload) {
		if (seg->len)
			memcpy(o, seg->data, seg->len);
		th->cksum = (uint16_t)rg_csum_fold(phdr);
		return;
	}
	if (seg->len) {
		memcpy(o, seg->data, seg->len);
		/* the payload starts at an even offset of the segment */
		sum = rg_csum_add(sum, seg->data, seg->len);
	}
	th->cksum = (uint16_t)~rg_csum_fold(sum);
}

#endif /* RG_TCP_FRAME_H */
