/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_frame_peek - the look-ahead pass's reading of received frames
 * DESCRIPTION
 *	tcp_lcore_peek() reads untrusted frames before net_input() has
 *	checked them. Each frame here ends at the last byte before a page
 *	that cannot be read, so a read past the frame is a crash, not a
 *	silent pass: IPv4 and IPv6 TCP frames with a payload, cut at every
 *	length; headers whose lengths claim more than the frame (IPv4 header
 *	length, total length, IPv6 payload length, TCP data offset); frames
 *	for another address, another protocol, a family not served; and
 *	100,000 frames of random bytes behind a valid Ethernet type. Frames
 *	are fake mbufs over the test's own memory: no EAL.
 * DIAGNOSTICS
 *	cmocka failures; a read past a frame is a segmentation fault.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "tcp/tcp_lcore.h"
#include "xorshift.h"

#define PAYLOAD "RCPT TO:<a@example.com>\r\n"
#define FRAME_MAX 256

static uint8_t *page; /* a readable page followed by one that is not */
static size_t page_sz;
static struct dp_lcore lc;

static int
setup(void **state)
{
	(void)state;
	page_sz = (size_t)sysconf(_SC_PAGESIZE);
	page = mmap(NULL, 2 * page_sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || mprotect(page + page_sz, page_sz, PROT_NONE) != 0)
		return -1;
	memset(&lc, 0, sizeof(lc));
	lc.listen_addr = htonl(0x0a4d5001); /* 10.77.80.1 */
	inet_pton(AF_INET6, "fd00:77:80::1", lc.listen_addr6);
	lc.serve4 = lc.serve6 = true;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	munmap(page, 2 * page_sz);
	return 0;
}

/* A payload of PK that lies within the frame (none is fine). */
static bool
payload_inside(const struct tcp_lcore_peek *pk, size_t frame_len)
{
	return pk->len == 0 ||
		(pk->data >= page + page_sz - frame_len && pk->data + pk->len <= page + page_sz);
}

/* FRAME[0..LEN) placed to end at the unreadable page, as mbuf M. */
static void
place(struct rte_mbuf *m, const uint8_t *frame, size_t len)
{
	uint8_t *p = page + page_sz - len;

	memcpy(p, frame, len);
	memset(m, 0, sizeof(*m));
	m->buf_addr = p;
	m->data_off = 0;
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	m->nb_segs = 1;
}

/* A TCP frame from port 40000 to 25 with PAYLOAD; its length. */
static size_t
build(uint8_t *f, bool v6)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	size_t l4len = sizeof(struct rte_tcp_hdr) + sizeof(PAYLOAD) - 1;
	struct rte_tcp_hdr *th;

	memset(f, 0, FRAME_MAX);
	if (!v6) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
		eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = htons((uint16_t)(sizeof(*ip) + l4len));
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = htonl(0x0a4d5064);
		ip->dst_addr = lc.listen_addr;
		th = (struct rte_tcp_hdr *)(ip + 1);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
		eth->ether_type = htons(RTE_ETHER_TYPE_IPV6);
		ip6->vtc_flow = htonl(6u << 28);
		ip6->payload_len = htons((uint16_t)l4len);
		ip6->proto = IPPROTO_TCP;
		inet_pton(AF_INET6, "fd00:77:80::100", ip6->src_addr);
		memcpy(ip6->dst_addr, lc.listen_addr6, 16);
		th = (struct rte_tcp_hdr *)(ip6 + 1);
	}
	th->src_port = htons(40000);
	th->dst_port = htons(25);
	th->data_off = 5 << 4;
	memcpy(th + 1, PAYLOAD, sizeof(PAYLOAD) - 1);
	return (size_t)((uint8_t *)(th + 1) - f) + sizeof(PAYLOAD) - 1;
}

static void
test_whole(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		uint8_t f[FRAME_MAX];
		size_t n = build(f, v6);
		struct rte_mbuf m;
		struct tcp_lcore_peek pk;

		place(&m, f, n);
		assert_true(tcp_lcore_peek(&lc, &m, &pk));
		assert_int_equal(pk.sport, 40000);
		assert_int_equal(pk.dport, 25);
		assert_int_equal(pk.len, sizeof(PAYLOAD) - 1);
		assert_memory_equal(pk.data, PAYLOAD, pk.len);
		assert_int_equal(tcp_addr_is_v4(&pk.src), !v6);
		if (!v6)
			assert_int_equal(tcp_addr_v4(&pk.src), htonl(0x0a4d5064));
		/* every shorter frame: refused (its headers claim more) */
		for (size_t len = 0; len < n; len++) {
			place(&m, f, len);
			assert_false(tcp_lcore_peek(&lc, &m, &pk));
		}
	}
}

static void
test_lengths_lie(void **state)
{
	(void)state;
	uint8_t f[FRAME_MAX];
	struct rte_mbuf m;
	struct tcp_lcore_peek pk;
	size_t n;

	/* IPv4 header length past the total length, or under 20 */
	n = build(f, false);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + sizeof(struct rte_ether_hdr));
	for (unsigned ihl = 0; ihl < 16; ihl++) {
		ip->version_ihl = (uint8_t)(0x40 | ihl);
		place(&m, f, n);
		bool ok = tcp_lcore_peek(&lc, &m, &pk);
		assert_true(ok == (ihl >= 5 && ihl * 4 + 20 <= n - sizeof(struct rte_ether_hdr)));
		if (ok)
			assert_true(payload_inside(&pk, n));
	}
	/* total length past the frame, and every value */
	n = build(f, false);
	for (unsigned tl = 0; tl < 65536; tl += 7) {
		ip->total_length = htons((uint16_t)tl);
		place(&m, f, n);
		if (tcp_lcore_peek(&lc, &m, &pk))
			assert_true(payload_inside(&pk, n) && tl >= 40 &&
				    tl <= n - sizeof(struct rte_ether_hdr));
	}
	/* IPv6 payload length, every value */
	n = build(f, true);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(f + sizeof(struct rte_ether_hdr));
	for (unsigned pl = 0; pl < 65536; pl += 3) {
		ip6->payload_len = htons((uint16_t)pl);
		place(&m, f, n);
		if (tcp_lcore_peek(&lc, &m, &pk))
			assert_true(payload_inside(&pk, n) && pl >= 20);
	}
	/* TCP data offset, every value: the payload never starts past the end */
	for (int v6 = 0; v6 < 2; v6++) {
		n = build(f, v6);
		uint8_t *th = f + n - (sizeof(PAYLOAD) - 1) - sizeof(struct rte_tcp_hdr);
		for (unsigned off = 0; off < 16; off++) {
			th[12] = (uint8_t)(off << 4);
			place(&m, f, n);
			assert_true(tcp_lcore_peek(&lc, &m, &pk));
			if (off < 5 || off * 4 >= 20 + sizeof(PAYLOAD) - 1)
				assert_int_equal(pk.len, 0);
			else
				assert_true(pk.data + pk.len == page + page_sz);
		}
	}
}

static void
test_not_ours(void **state)
{
	(void)state;
	uint8_t f[FRAME_MAX];
	struct rte_mbuf m;
	struct tcp_lcore_peek pk;

	for (int v6 = 0; v6 < 2; v6++) {
		size_t n = build(f, v6);
		uint8_t *ip = f + sizeof(struct rte_ether_hdr);
		/* another destination */
		if (!v6)
			ip[19] ^= 1;
		else
			ip[39] ^= 1;
		place(&m, f, n);
		assert_false(tcp_lcore_peek(&lc, &m, &pk));
		/* another protocol */
		n = build(f, v6);
		ip[v6 ? 6 : 9] = IPPROTO_UDP;
		place(&m, f, n);
		assert_false(tcp_lcore_peek(&lc, &m, &pk));
		/* a family not served */
		n = build(f, v6);
		place(&m, f, n);
		if (!v6)
			lc.serve4 = false;
		else
			lc.serve6 = false;
		assert_false(tcp_lcore_peek(&lc, &m, &pk));
		lc.serve4 = lc.serve6 = true;
		assert_true(tcp_lcore_peek(&lc, &m, &pk));
		/* not IP */
		f[12] = 0x08;
		f[13] = 0x06; /* ARP */
		place(&m, f, n);
		assert_false(tcp_lcore_peek(&lc, &m, &pk));
	}
}

static void
test_random(void **state)
{
	(void)state;
	uint8_t f[FRAME_MAX];
	struct rte_mbuf m;
	struct tcp_lcore_peek pk;

	for (int i = 0; i < 100000; i++) {
		bool v6 = i & 1;
		size_t n = build(f, v6);
		size_t len = rng() % (n + 1);
		/* random bytes over everything after the Ethernet type */
		for (size_t k = 14; k < len; k++)
			f[k] = (uint8_t)rng();
		if (i & 2) { /* keep the headers that let the frame through */
			uint8_t g[FRAME_MAX];
			build(g, v6);
			memcpy(f + 14, g + 14, v6 ? 40 : 20);
			if (!v6)
				f[14] = (uint8_t)(0x40 | (5 + rng() % 11));
		}
		place(&m, f, len);
		if (tcp_lcore_peek(&lc, &m, &pk))
			assert_true(payload_inside(&pk, len));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_lengths_lie),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
