/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_csum - the workers' Internet checksum against DPDK's
 * DESCRIPTION
 *	csum.h sums eight bytes at a time; DPDK's rte_raw_cksum(),
 *	rte_ipv4_cksum(), rte_ipv4_udptcp_cksum() and rte_ipv6_udptcp_cksum()
 *	are the reference. Random data of every length up to 1,600 bytes at
 *	every alignment; data of all ones (the most carries) up to 64 KiB;
 *	TCP segments over IPv4 and IPv6 with their pseudo-headers; a frame
 *	whose checksum is right sums to 0xffff, one flipped bit does not.
 *	The frames a worker sends (tcp_frame.h), whose checksums are summed
 *	from the values written: random segments over IPv4 and IPv6, with
 *	and without the MSS option, payloads of random length up to 1,460
 *	bytes (1,440 over IPv6), half the IPv6 ones from addresses whose sum
 *	is near 2^64 (the carries); DPDK's sums over the written frame must match them, and
 *	tcp_parse() must read back what was written.
 *	Inline DPDK functions only: no EAL.
 * DIAGNOSTICS
 *	cmocka failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "csum.h"
#include "tcp/tcp_frame.h"
#include "xorshift.h"

static uint8_t buf[65536 + 16];

static void
fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

static void
test_raw_every_length(void **state)
{
	(void)state;
	for (size_t len = 0; len <= 1600; len++)
		for (size_t off = 0; off < 8; off++) {
			fill_random(buf + off, len);
			assert_int_equal(rg_csum_fold(rg_csum_add(0, buf + off, len)),
					 rte_raw_cksum(buf + off, len));
		}
}

static void
test_raw_carries(void **state)
{
	(void)state;
	memset(buf, 0xff, sizeof(buf));
	static const size_t lens[] = { 1, 7, 8, 9, 15, 4095, 4096, 65535, 65536 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		assert_int_equal(rg_csum_fold(rg_csum_add(0, buf + 1, lens[i])),
				 rte_raw_cksum(buf + 1, lens[i]));
	/* a start sum near the top of 64 bits carries around too:
	 * UINT64_MAX - 1 folds to 0xfffe, 64 bytes of ones to 0xffff */
	assert_int_equal(rg_csum_fold(rg_csum_add(UINT64_MAX - 1, buf, 64)), 0xfffe);
	assert_int_equal(rg_csum_fold(rg_csum_add(0, buf, 64)), 0xffff);
}

/*
 * The fold against its definition: a sum of 16-bit words with end-around
 * carry is the value mod 0xffff, written 0xffff when that is 0, and 0
 * only for 0. Edge values where the halves' sum carries or just does
 * not, then random ones of every magnitude.
 */
static uint16_t
fold_ref(uint64_t x)
{
	if (x == 0)
		return 0;
	return x % 0xffff ? (uint16_t)(x % 0xffff) : 0xffff;
}

static void
test_fold(void **state)
{
	static const uint64_t edge[] = { 0,
					 1,
					 0xfffe,
					 0xffff,
					 0x10000,
					 0xffffffff,
					 UINT64_C(0x100000000),
					 UINT64_C(0x8000000080000000), /* halves sum to 2^32 */
					 UINT64_C(0x800000007fffffff), /* to 2^32 - 1 */
					 UINT64_C(0xffffffff00000001),
					 UINT64_C(0x0000ffff0000ffff),
					 UINT64_C(0xffff0000ffff0000),
					 UINT64_MAX - 1,
					 UINT64_MAX };
	(void)state;
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		assert_int_equal(rg_csum_fold(edge[i]), fold_ref(edge[i]));
	for (int i = 0; i < 1000000; i++) {
		uint64_t x = rng() >> (rng() % 64);
		assert_int_equal(rg_csum_fold(x), fold_ref(x));
	}
}

static void
test_ipv4_header(void **state)
{
	(void)state;
	for (int i = 0; i < 10000; i++) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + (i & 7));
		uint8_t ihl = (uint8_t)(5 + rng() % 11);
		fill_random((uint8_t *)ip, ihl * 4u);
		ip->version_ihl = (uint8_t)(0x40 | ihl);
		ip->hdr_checksum = 0;
		uint16_t want = rte_ipv4_cksum(ip);
		assert_int_equal(rg_ipv4_hdr_cksum(ip), want);
		ip->hdr_checksum = want;
		assert_int_equal(rg_csum_fold(rg_ipv4_hdr_sum(ip)), 0xffff);
		((uint8_t *)ip)[rng() % (ihl * 4u)] ^= (uint8_t)(1u << (rng() % 8));
		assert_int_not_equal(rg_csum_fold(rg_ipv4_hdr_sum(ip)), 0xffff);
	}
}

/*
 * The TCP segment TH of L4 bytes under pseudo-header sum PH, DPDK's
 * checksum WANT (computed with the field zero): ours is the same, the
 * segment with it sums to 0xffff, and with one bit flipped it does not.
 */
static void
check_tcp(uint64_t ph, struct rte_tcp_hdr *th, uint16_t l4, uint16_t want)
{
	uint16_t got = (uint16_t)~rg_csum_fold(rg_csum_add(ph, th, l4));

	assert_int_equal(got, want);
	th->cksum = got;
	assert_int_equal(rg_csum_fold(rg_csum_add(ph, th, l4)), 0xffff);
	((uint8_t *)th)[rng() % l4] ^= (uint8_t)(1u << (rng() % 8));
	assert_int_not_equal(rg_csum_fold(rg_csum_add(ph, th, l4)), 0xffff);
}

static void
test_tcp_ipv4(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + (i & 7));
		uint16_t l4 = (uint16_t)(20 + rng() % 1461);
		fill_random((uint8_t *)ip, sizeof(*ip) + l4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->next_proto_id = IPPROTO_TCP;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4));
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
		th->cksum = 0;
		check_tcp(rg_ipv4_phdr_sum(ip, IPPROTO_TCP, l4), th, l4, rte_ipv4_udptcp_cksum(ip, th));
	}
}

static void
test_tcp_ipv6(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(buf + (i & 7));
		uint16_t l4 = (uint16_t)(20 + rng() % 1441);
		fill_random((uint8_t *)ip6, sizeof(*ip6) + l4);
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->proto = IPPROTO_TCP;
		ip6->payload_len = rte_cpu_to_be_16(l4);
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip6 + 1);
		th->cksum = 0;
		check_tcp(rg_ipv6_phdr_sum(ip6, IPPROTO_TCP, l4), th, l4, rte_ipv6_udptcp_cksum(ip6, th));
	}
}

/* A random segment to send, IPv4 or IPv6, its payload in DATA. */
static void
random_seg(struct tcp_seg *seg, bool v4, uint8_t *data, uint32_t len)
{
	memset(seg, 0, sizeof(*seg));
	if (v4) {
		seg->saddr = tcp_addr_from_v4((uint32_t)rng());
		seg->daddr = tcp_addr_from_v4((uint32_t)rng());
	} else {
		fill_random(seg->saddr.b, 16);
		fill_random(seg->daddr.b, 16);
		seg->daddr.b[0] = 0x20; /* not a mapped IPv4 address */
	}
	seg->sport = (uint16_t)rng();
	seg->dport = (uint16_t)rng();
	seg->seq = (uint32_t)rng();
	seg->ack = (uint32_t)rng();
	seg->flags = (uint8_t)rng();
	seg->wnd = (uint16_t)rng();
	seg->mss = (rng() & 1) ? (uint16_t)(1 + rng() % 65535) : 0;
	fill_random(seg->link, sizeof(seg->link));
	fill_random(data, len);
	seg->data = len ? data : NULL;
	seg->len = len;
}

/* What tcp_parse() reads from the TCP header at TH is SEG. */
static void
check_parsed(const struct tcp_seg *seg, const uint8_t *th, uint16_t l4)
{
	struct tcp_seg got;

	assert_int_equal(tcp_parse(th, l4, &got), 0);
	assert_int_equal(got.sport, seg->sport);
	assert_int_equal(got.dport, seg->dport);
	assert_int_equal(got.seq, seg->seq);
	assert_int_equal(got.ack, seg->ack);
	assert_int_equal(th[13], seg->flags);
	assert_int_equal(got.flags, seg->flags & 0x3f); /* tcp_parse() keeps six */
	assert_int_equal(got.wnd, seg->wnd);
	assert_int_equal(got.mss, seg->mss);
	assert_int_equal(got.len, seg->len);
	if (seg->len)
		assert_memory_equal(got.data, seg->data, seg->len);
}

/*
 * Frame I: a random segment SEG (IPv4 or IPv6, payload up to MAXLEN
 * bytes) written over random bytes at one of four even alignments (a
 * frame starts at an mbuf's data offset, and its Ethernet header is
 * two-byte aligned; the sums' own tests above take every alignment);
 * checks its length and link header, returns the IP header and the
 * TCP length in *L4.
 */
static uint8_t *
write_frame(int i, struct tcp_seg *seg, bool v4, bool offload, uint32_t maxlen, uint16_t *l4)
{
	static uint8_t data[1460];
	const struct rte_ether_addr mac = { { 2, 0, 0, 0, 0, 1 } };

	random_seg(seg, v4, data, (uint32_t)(rng() % (maxlen + 1)));
	if (!v4 && (i & 1)) {
		/* addresses whose 64-bit sum is within 2^36 of 2^64: the
		 * TCP header's words added to it must carry around */
		memset(seg->saddr.b, 0, 16);
		memset(seg->daddr.b, 0, 8);
		seg->daddr.b[0] = 0x20;
		uint64_t top = UINT64_MAX - (rng() >> 28);
		memcpy(seg->daddr.b + 8, &top, sizeof(top));
	}
	uint8_t *p = buf + (i & 6);
	fill_random(p, tcp_frame_len(seg));
	tcp_frame_write(p, seg, &mac, offload);

	*l4 = (uint16_t)(20 + (seg->mss ? 4 : 0) + seg->len);
	assert_int_equal(tcp_frame_len(seg), 14 + (v4 ? 20 : 40) + *l4);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	assert_memory_equal(&eth->dst_addr, seg->link, 6);
	assert_memory_equal(&eth->src_addr, &mac, 6);
	assert_int_equal(eth->ether_type, rte_cpu_to_be_16(v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6));
	return (uint8_t *)(eth + 1);
}

/* The checksum field at *FIELD is what DPDK's SUM gives with it zero. */
#define CHECK_SUM(field, sum) \
	do { \
		uint16_t set_ = (field); \
		(field) = 0; \
		assert_int_equal(set_, (sum)); \
		(field) = set_; \
	} while (0)

/*
 * As a NIC with TX checksum offload does: the TCP checksum over the
 * segment whose field holds the pseudo-header's sum, and (IPv4) the
 * header's. FIELD must hold what DPDK's rte_ipv4_phdr_cksum() or
 * rte_ipv6_phdr_cksum() gives, HDR 0; both are then set.
 */
static void
nic_offload(struct rte_ipv4_hdr *ip, struct rte_ipv6_hdr *ip6, struct rte_tcp_hdr *th, uint16_t l4)
{
	if (ip != NULL) {
		assert_int_equal(ip->hdr_checksum, 0);
		assert_int_equal(th->cksum, rte_ipv4_phdr_cksum(ip, 0));
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		assert_int_equal(th->cksum, rte_ipv6_phdr_cksum(ip6, 0));
	}
	th->cksum = (uint16_t)~rte_raw_cksum(th, l4);
}

/* 20,000 random frames of one family: lengths, addresses and
 * protocol as written, both checksums as DPDK computes them over the
 * frame (OFFLOAD: once the port has filled them in, nic_offload()), the
 * TCP header as tcp_parse() reads it. */
static void
check_frames(bool v4, bool offload)
{
	for (int i = 0; i < 20000; i++) {
		struct tcp_seg seg;
		uint16_t l4;
		uint8_t *l3 = write_frame(i, &seg, v4, offload, v4 ? 1460 : 1440, &l4);
		struct rte_tcp_hdr *th;

		if (v4) {
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
			assert_int_equal(ip->version_ihl, RTE_IPV4_VHL_DEF);
			assert_int_equal(rte_be_to_cpu_16(ip->total_length), 20 + l4);
			assert_int_equal(ip->src_addr, tcp_addr_v4(&seg.saddr));
			assert_int_equal(ip->dst_addr, tcp_addr_v4(&seg.daddr));
			assert_int_equal(ip->next_proto_id, IPPROTO_TCP);
			th = (struct rte_tcp_hdr *)(ip + 1);
			if (offload)
				nic_offload(ip, NULL, th, l4);
			CHECK_SUM(ip->hdr_checksum, rte_ipv4_cksum(ip));
			CHECK_SUM(th->cksum, rte_ipv4_udptcp_cksum(ip, th));
		} else {
			struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;
			assert_int_equal(rte_be_to_cpu_16(ip6->payload_len), l4);
			assert_memory_equal(ip6->src_addr, seg.saddr.b, 16);
			assert_memory_equal(ip6->dst_addr, seg.daddr.b, 16);
			assert_int_equal(ip6->proto, IPPROTO_TCP);
			th = (struct rte_tcp_hdr *)(ip6 + 1);
			if (offload)
				nic_offload(NULL, ip6, th, l4);
			CHECK_SUM(th->cksum, rte_ipv6_udptcp_cksum(ip6, th));
		}
		check_parsed(&seg, (const uint8_t *)th, l4);
	}
}

static void
test_frame_ipv4(void **state)
{
	(void)state;
	check_frames(true, false);
}

static void
test_frame_ipv6(void **state)
{
	(void)state;
	check_frames(false, false);
}

/* The same frames written for a port with TX checksum offload. */
static void
test_frame_offload(void **state)
{
	(void)state;
	check_frames(true, true);
	check_frames(false, true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_every_length),
		cmocka_unit_test(test_raw_carries),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_tcp_ipv4),
		cmocka_unit_test(test_tcp_ipv6),
		cmocka_unit_test(test_frame_ipv4),
		cmocka_unit_test(test_frame_ipv6),
		cmocka_unit_test(test_frame_offload),
	};
	return cmocka_run_group_tests_name("csum", tests, NULL, NULL);
}
