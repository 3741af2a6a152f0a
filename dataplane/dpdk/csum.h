/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	csum.h - the Internet checksum (RFC 1071) of the frames a worker
 *	sends and checks
 * DESCRIPTION
 *	The same sums as rte_raw_cksum(), rte_ipv4_cksum(),
 *	rte_ipv4_udptcp_cksum() and rte_ipv6_udptcp_cksum(), eight bytes at
 *	a time. DPDK 22.11 adds 16-bit words one by one; over a rejected
 *	session's headers and short replies that was about a fifth of the
 *	worker's instructions (callgrind, docs/benchmarks.md), when the
 *	port offers no checksum offload (memif, af_packet, af_xdp). One's
 *	complement addition is commutative and byte-order independent
 *	(RFC 1071 2), so 64-bit words with end-around carry, folded at the
 *	end, give the 16-bit sum of the words in memory order.
 *
 *	rg_csum_add() returns the unfolded sum; rg_csum_fold() folds it to
 *	16 bits (not complemented: 0xffff over data whose checksum is
 *	right).
 * TRUST
 *	The caller checks that LEN bytes are there.
 */
#ifndef RG_CSUM_H
#define RG_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

static inline uint64_t
rg_csum_add64(uint64_t sum, uint64_t v)
{
	sum += v;
	return sum + (sum < v); /* end-around carry */
}

/* The one's complement sum of LEN bytes at BUF added to SUM (unfolded). */
static inline uint64_t
rg_csum_add(uint64_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;
		memcpy(&v, p, sizeof(v));
		sum = rg_csum_add64(sum, v);
	}
	/* the tail starts at an even offset, so each piece keeps its
	 * 16-bit words' places */
	if (len & 4) {
		uint32_t v;
		memcpy(&v, p, sizeof(v));
		sum = rg_csum_add64(sum, v);
		p += 4;
	}
	if (len & 2) {
		uint16_t v;
		memcpy(&v, p, sizeof(v));
		sum = rg_csum_add64(sum, v);
		p += 2;
	}
	if (len & 1) {
		uint16_t v = 0;
		memcpy(&v, p, 1); /* the odd byte, padded with zero (RFC 1071) */
		sum = rg_csum_add64(sum, v);
	}
	return sum;
}

/*
 * SUM folded to 16 bits, not complemented. A word plus itself rotated by
 * half its width has in its high half the sum of the two halves with
 * the end-around carry (the low half's carry lands there): two rotations
 * instead of four masked adds, twice for every IPv4 frame sent or
 * checked.
 */
static inline uint16_t
rg_csum_fold(uint64_t sum)
{
	sum += sum << 32 | sum >> 32;
	uint32_t s = (uint32_t)(sum >> 32);
	s += s << 16 | s >> 16;
	return (uint16_t)(s >> 16);
}

/* The sum of the IPv4 header IP (unfolded). A header without options,
 * nearly every one, is summed with its length a constant: three loads
 * and no loop. */
static inline uint64_t
rg_ipv4_hdr_sum(const struct rte_ipv4_hdr *ip)
{
	if (rte_ipv4_hdr_len(ip) == sizeof(*ip))
		return rg_csum_add(0, ip, sizeof(*ip));
	return rg_csum_add(0, ip, rte_ipv4_hdr_len(ip));
}

/* The IPv4 header checksum to store (its field zero while computed). */
static inline uint16_t
rg_ipv4_hdr_cksum(const struct rte_ipv4_hdr *ip)
{
	return (uint16_t)~rg_csum_fold(rg_ipv4_hdr_sum(ip));
}

/* The IPv4 pseudo-header of an upper-layer packet of LEN bytes (RFC 793 3.1). */
static inline uint64_t
rg_ipv4_phdr_sum(const struct rte_ipv4_hdr *ip, uint8_t proto, uint32_t len)
{
	return (uint64_t)ip->src_addr + ip->dst_addr + rte_cpu_to_be_16((uint16_t)proto) +
		rte_cpu_to_be_16((uint16_t)len);
}

/* The IPv6 pseudo-header (RFC 8200 8.1): addresses of IP6, upper-layer
 * LEN and next header PROTO. */
static inline uint64_t
rg_ipv6_phdr_sum(const struct rte_ipv6_hdr *ip6, uint8_t proto, uint32_t len)
{
	uint64_t sum = rg_csum_add(0, ip6->src_addr, 32); /* source, then destination */
	return rg_csum_add64(sum, (uint64_t)rte_cpu_to_be_32(len) + rte_cpu_to_be_32(proto));
}

#endif /* RG_CSUM_H */
