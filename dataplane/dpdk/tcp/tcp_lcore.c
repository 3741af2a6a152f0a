/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_lcore.c - TCP frames in and out of a DPDK worker lcore
 * DESCRIPTION
 *	See tcp_lcore.h. Replies are new mbufs (the received one is freed
 *	after the core has run: its payload has been handed to the SMTP
 *	engine and nothing points into it). The checksums of frames we
 *	send are computed in software (tcp_frame.h; MSS 1440 announced
 *	over IPv6): the frames are a few hundred bytes at most, the port
 *	modes used in tests (af_xdp, af_packet, memif) offer no TX checksum
 *	offload, and one path for every mode keeps the frames identical.
 *	With STARTTLS configured each worker gets its own TLS context
 *	(tcp_tls.c), built here on the main lcore before the daemon serves.
 * DIAGNOSTICS
 *	Counters only on the fast path; tcp_lcore_init() reports errors.
 * TRUST
 *	Received frames are untrusted: the TCP header length and options
 *	are checked by tcp_parse() against the IP payload length.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "csum.h"
#include "relay/relay_thread.h"
#include "net.h"
#include "tcp/tcp.h"
#include "tcp/tcp_frame.h"
#include "tcp/tcp_lcore.h"
#include "tcp/tcp_smtp.h"
#include "tcp/tcp_tls.h"
#include "tls/tls.h"
#include "msg.h"

struct tcp_lcore {
	struct tcp_stack *stack;
	struct tcp_smtp smtp;
	struct dp_lcore *lc;
	uint64_t tsc_per_ms;
	uint64_t now_ms;
	uint64_t seg_tsc, seg_ms; /* the last now_tsc converted, and its ms */
};

/*
 * The loop iteration's time in ms. Every segment of a burst asks it, and
 * a 64-bit division costs tens of cycles: it is done once per iteration.
 */
static uint64_t
tcp_lcore_now(const struct dp_lcore *lc)
{
	struct tcp_lcore *t = lc->tcp;

	if (t->seg_tsc != lc->now_tsc) {
		t->seg_tsc = lc->now_tsc;
		t->seg_ms = lc->now_tsc / t->tsc_per_ms;
	}
	return t->seg_ms;
}

static int
tcp_lcore_xmit(void *arg, const struct tcp_seg *seg)
{
	struct dp_lcore *lc = arg;
	uint16_t frame = tcp_frame_len(seg);

	struct rte_mbuf *m = dp_tx_mbuf(lc);
	if (unlikely(m == NULL)) {
		dp_count(lc, RG_C_MBUF_ALLOC_FAIL);
		return -ENOBUFS;
	}
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, frame);
	if (unlikely(p == NULL)) {
		rte_pktmbuf_free(m);
		dp_count(lc, RG_C_MBUF_ALLOC_FAIL);
		return -ENOBUFS;
	}
	tcp_frame_write(p, seg, &lc->mac, lc->tx_csum);
	if (lc->tx_csum) {
		bool v4 = tcp_addr_is_v4(&seg->daddr);
		m->l2_len = sizeof(struct rte_ether_hdr);
		m->l3_len = v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
		m->l4_len = sizeof(struct rte_tcp_hdr) + (seg->mss ? 4 : 0); /* some PMDs read it */
		m->ol_flags |= v4 ? RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM
				  : RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM;
	}
	dp_tx(lc, m);
	return 0;
}

/* Software check: pseudo header plus segment (its checksum field
 * included) must sum to 0xffff. */
static int
tcp_lcore_csum_sw(const struct rte_ipv4_hdr *ip, const void *l4, uint16_t l4len)
{
	return rg_csum_fold(rg_csum_add(rg_ipv4_phdr_sum(ip, IPPROTO_TCP, l4len), l4, l4len)) == 0xffff;
}

/* The port's L4 checksum verdict: 1 good, 0 bad, -1 not checked. */
static int
tcp_lcore_csum_hw(const struct rte_mbuf *m)
{
	switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
	case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
	case RTE_MBUF_F_RX_L4_CKSUM_NONE: /* data verified, sum field not filled in */
		return 1;
	case RTE_MBUF_F_RX_L4_CKSUM_BAD:
		return 0;
	default:
		return -1;
	}
}

/* Parse the checked segment into SEG (its addresses set: tcp_parse()
 * leaves them) and run the core on it. Return true when the core left it
 * to be handed on (dp_pass()). */
static bool
tcp_lcore_deliver(struct dp_lcore *lc, struct tcp_seg *seg, const struct rte_ether_hdr *eth,
		  const uint8_t *l4, uint16_t l4len)
{
	if (unlikely(tcp_parse(l4, l4len, seg) != 0)) {
		dp_count(lc, RG_C_TCP_DROP_HDR);
		return false;
	}
	memcpy(seg->link, &eth->src_addr, RTE_ETHER_ADDR_LEN);
	seg->may_pass = lc->pass_hops < lc->pass_max;
	return tcp_input(lc->tcp->stack, seg, tcp_lcore_now(lc)) == TCP_INPUT_PASS;
}

void
tcp_lcore_input(struct dp_lcore *lc, struct rte_mbuf *m, const struct rte_ether_hdr *eth,
		const struct rte_ipv4_hdr *ip, uint16_t ihl, uint16_t ip_len)
{
	const uint8_t *l4 = (const uint8_t *)ip + ihl;
	uint16_t l4len = (uint16_t)(ip_len - ihl);
	struct tcp_seg seg;
	int hw = tcp_lcore_csum_hw(m);

	if (unlikely(hw == 0 || (hw < 0 && !tcp_lcore_csum_sw(ip, l4, l4len)))) {
		dp_count(lc, RG_C_TCP_DROP_CSUM);
		goto done;
	}
	seg.saddr = tcp_addr_from_v4(ip->src_addr);
	seg.daddr = tcp_addr_from_v4(ip->dst_addr);
	if (unlikely(tcp_lcore_deliver(lc, &seg, eth, l4, l4len))) {
		dp_pass(lc, m);
		return;
	}
done:
	dp_rx_done(lc, m);
}

void
tcp_lcore_input6(struct dp_lcore *lc, struct rte_mbuf *m, const struct rte_ether_hdr *eth,
		 const struct rte_ipv6_hdr *ip6, const uint8_t *l4, uint16_t l4len)
{
	struct tcp_seg seg;
	int hw = tcp_lcore_csum_hw(m);

	if (unlikely(hw == 0 || (hw < 0 && net6_l4_sum(ip6, IPPROTO_TCP, l4, l4len) != 0xffff))) {
		dp_count(lc, RG_C_TCP_DROP_CSUM);
		goto done;
	}
	memcpy(seg.saddr.b, ip6->src_addr, 16);
	memcpy(seg.daddr.b, ip6->dst_addr, 16);
	if (unlikely(tcp_lcore_deliver(lc, &seg, eth, l4, l4len))) {
		dp_pass(lc, m);
		return;
	}
done:
	dp_rx_done(lc, m);
}

bool
tcp_lcore_peek(const struct dp_lcore *lc, const struct rte_mbuf *m, struct tcp_lcore_peek *pk)
{
	/* Fields read at their offsets, not through header structs: the
	 * frame may start at any address (test_frame_peek ends frames at an
	 * unreadable page), and rte_ether_hdr is two-byte aligned. */
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *l3 = f + RTE_ETHER_HDR_LEN;
	uint32_t len = rte_pktmbuf_data_len(m);
	const uint8_t *l4;
	uint32_t l4len;

	if (len < RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + 20)
		return false;
	uint16_t type = tcp_rd16(f + 12);
	if (type == RTE_ETHER_TYPE_IPV4) {
		uint32_t ihl = (uint32_t)(l3[0] & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
		uint32_t ip_len = tcp_rd16(l3 + 2);
		uint32_t src, dst; /* network order, as listen_addr */
		memcpy(&src, l3 + offsetof(struct rte_ipv4_hdr, src_addr), sizeof(src));
		memcpy(&dst, l3 + offsetof(struct rte_ipv4_hdr, dst_addr), sizeof(dst));
		if (l3[offsetof(struct rte_ipv4_hdr, next_proto_id)] != IPPROTO_TCP ||
		    dst != lc->listen_addr || !lc->serve4 || ihl < sizeof(struct rte_ipv4_hdr) ||
		    ip_len < ihl + 20 || len < RTE_ETHER_HDR_LEN + ip_len)
			return false;
		pk->src = tcp_addr_from_v4(src);
		l4 = l3 + ihl;
		l4len = ip_len - ihl;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		l4len = tcp_rd16(l3 + 4); /* payload_len */
		if (l3[offsetof(struct rte_ipv6_hdr, proto)] != IPPROTO_TCP || !lc->serve6 ||
		    memcmp(l3 + offsetof(struct rte_ipv6_hdr, dst_addr), lc->listen_addr6, 16) != 0 ||
		    l4len < 20 || len < RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv6_hdr) + l4len)
			return false;
		memcpy(pk->src.b, l3 + offsetof(struct rte_ipv6_hdr, src_addr), sizeof(pk->src.b));
		l4 = l3 + sizeof(struct rte_ipv6_hdr);
	} else {
		return false;
	}
	uint32_t thl = (uint32_t)(l4[12] >> 4) * 4;
	pk->sport = tcp_rd16(l4);
	pk->dport = tcp_rd16(l4 + 2);
	pk->data = l4 + thl;
	pk->len = thl >= 20 && l4len > thl ? l4len - thl : 0;
	return true;
}

/*
 * Before a received burst is processed: the connection buckets of its
 * segments are loaded and the RCPT lines among their payloads looked up
 * in one table burst. A SYN's bucket is a cache miss (the buckets are 4
 * bytes a connection slot, 1 MiB at 262,144), and so is a RCPT's slot
 * in a table of a few MB; one after another they were the worker's
 * costliest loads (docs/benchmarks.md). Only the addresses, ports and
 * payload bounds are read, within the frame; frames not to our address
 * and anything odd are skipped (net_input() checks every frame in full,
 * and drops those), so that junk costs no lookups.
 */
void
tcp_lcore_prefetch(struct dp_lcore *lc, struct rte_mbuf *const *rx, uint16_t n)
{
	if (lc->tcp == NULL || n == 0) /* an empty poll: nothing to do */
		return;
	const struct tcp_stack *ts = lc->tcp->stack;
	const uint8_t *pay[DP_BURST];
	size_t pay_len[DP_BURST];
	unsigned np = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct tcp_lcore_peek pk;
		if (!tcp_lcore_peek(lc, rx[i], &pk))
			continue;
		tcp_input_prefetch(ts, &pk.src, pk.sport, pk.dport);
		if (pk.len > 0) {
			pay[np] = pk.data;
			pay_len[np++] = pk.len;
		}
	}
	if (np > 0)
		smtp_rcpt_prefetch(&lc->tcp->smtp.ctx, pay, pay_len, np);
}

unsigned
tcp_lcore_poll(struct dp_lcore *lc)
{
	struct tcp_lcore *t = lc->tcp;
	uint64_t now = tcp_lcore_now(lc);
	/* handshake steps the received segments could not run (their budget) */
	unsigned ran = t->smtp.hs_q != NULL ? tcp_smtp_tls_run(&t->smtp) : 0;

	if (now == t->now_ms)
		return ran;
	t->now_ms = now;
	if (t->smtp.ctx.now != now / 1000) {
		t->smtp.ctx.now = now / 1000;
		/* A new second: write the "N reject lines suppressed" line of
		 * the last one now, not only at the next reject. */
		smtp_log_flush(&t->smtp.ctx);
	}
	return ran + tcp_timer_run(t->stack, now);
}

bool
tcp_lcore_hs_waiting(const struct dp_lcore *lc)
{
	return lc->tcp->smtp.hs_len > 0;
}

void
tcp_lcore_hs_charge(struct dp_lcore *lc, uint64_t cycles)
{
	tcp_smtp_hs_charge(&lc->tcp->smtp, cycles * 1000000 / (lc->tsc_hz / 1000 ? lc->tsc_hz / 1000 : 1));
}

/*
 * The lcore's TLS context from the smtpd_tls_* keys (rcptgate -t and
 * start-up checked them), published in its slot. An expired certificate
 * is served, with a loud warning, once: by the first worker.
 */
static int
tcp_lcore_tls(const struct dp_lcore *lc)
{
	static bool warned;
	struct tls_ctx *c;
	char err[1024], warn[1024];

	int rc = tcp_tls_build(lc->cfg, &c, err, sizeof(err), warn, sizeof(warn));
	if (rc != 0) {
		msg_error("%s", err);
		return rc;
	}
	tls_ctx_free(tcp_tls_publish(lc->lcore_id, c));
	if (!warned && warn[0] != '\0') {
		warned = true;
		msg_warn("%s", warn);
	}
	return 0;
}

int
tcp_lcore_init(struct dp_lcore *lc, unsigned workers, const uint64_t secret[2])
{
	struct tcp_params p;
	struct tcp_app app;
	struct tcp_tx tx = { .xmit = tcp_lcore_xmit, .arg = lc };

	int rc = tcp_params_from_config(&p, lc->cfg, workers, secret);
	if (rc != 0)
		return rc;
	struct tcp_lcore *t = rte_zmalloc_socket("rg_tcp", sizeof(*t), RTE_CACHE_LINE_SIZE,
						 (int)rte_lcore_to_socket_id(lc->lcore_id));
	if (t == NULL)
		return -ENOMEM;
	t->lc = lc;
	t->tsc_per_ms = lc->tsc_hz / 1000 ? lc->tsc_hz / 1000 : 1;
	bool tls = lc->cfg->tls_level != CFG_TLS_NONE;
	if (tls && (rc = tcp_lcore_tls(lc)) != 0) {
		rte_free(t);
		return rc;
	}
	rc = tcp_smtp_init_tls(&t->smtp, lc->cfg, lc->table, lc->ctr->c, tcp_smtp_lines(lc->cfg, workers),
			       tls ? tcp_tls_slot(lc->lcore_id) : NULL, tcp_smtp_tls_max(lc->cfg, workers),
			       &app);
	if (rc == 0) /* the client limits, keyed apart from the TCP hashes */
		rc = tcp_smtp_limits(&t->smtp, workers, secret[0] ^ secret[1],
				     lc->dict_ring != NULL ? dp_dict_report : NULL, lc);
	if (rc == 0)
		rc = tcp_stack_create(&p, &app, &tx, lc->ctr->c, &t->stack);
	if (rc != 0) {
		tcp_smtp_fini(&t->smtp);
		tls_ctx_free(tcp_tls_publish(lc->lcore_id, NULL));
		rte_free(t);
		return rc;
	}
	tcp_smtp_bind(&t->smtp, t->stack);
	if (lc->relay != NULL) /* relay: the SMTP engine's hooks to the relay thread */
		relay_worker_bind(lc->relay, &t->smtp.ctx, t->stack);
	lc->tcp = t;
	lc->now_tsc = rte_rdtsc();
	t->now_ms = tcp_lcore_now(lc);
	t->smtp.ctx.now = t->now_ms / 1000;
	tcp_timer_run(t->stack, t->now_ms);
	return 0;
}

void
tcp_lcore_fini(struct dp_lcore *lc)
{
	struct tcp_lcore *t = lc->tcp;

	if (t == NULL)
		return;
	tcp_stack_destroy(t->stack);
	tcp_smtp_fini(&t->smtp);
	rte_free(t);
	lc->tcp = NULL;
}
