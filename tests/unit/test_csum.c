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
		assert_int_equal(rg_csum_fold(rg_csum_add(0, ip, ihl * 4u)), 0xffff);
		((uint8_t *)ip)[rng() % (ihl * 4u)] ^= (uint8_t)(1u << (rng() % 8));
		assert_int_not_equal(rg_csum_fold(rg_csum_add(0, ip, ihl * 4u)), 0xffff);
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
	uint16_t got = rg_tcp_cksum(ph, th, l4);

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_every_length), cmocka_unit_test(test_raw_carries),
		cmocka_unit_test(test_ipv4_header),	 cmocka_unit_test(test_tcp_ipv4),
		cmocka_unit_test(test_tcp_ipv6),
	};
	return cmocka_run_group_tests_name("csum", tests, NULL, NULL);
}
