/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_lcore.h - the TCP core on a DPDK worker lcore
 * DESCRIPTION
 *	Glue between the fast path and the plain-C TCP core: TCP frames
 *	from net_input() are checksum-checked (offload flag or software)
 *	and parsed into segments; segments the core sends become frames
 *	(Ethernet and IPv4 built here, TCP checksum in software) queued
 *	with dp_tx(). Each loop iteration calls tcp_lcore_poll() to run the
 *	timers and the TLS handshake steps put off to it. The SMTP engine is
 *	the application.
 * DIAGNOSTICS
 *	tcp_lcore_init() returns a negative errno at start-up. On the fast
 *	path every drop is counted (tcp_drop_checksum, tcp_drop_header,
 *	mbuf_alloc_failures and the core's own counters).
 * TRUST
 *	Frames are untrusted; net_input() has checked the Ethernet and IPv4
 *	headers and that IP_LEN bytes are present.
 */
#ifndef RG_TCP_LCORE_H
#define RG_TCP_LCORE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "tcp/tcp.h"
#include "worker.h"

/*
 * tcp_lcore_init - create LC's TCP stack and SMTP context (sized from
 * LC->cfg for WORKERS workers) and hang it on LC->tcp. Call on start-up,
 * before the loop. SECRET keys the SYN cookies and the hashes; every
 * worker gets the same one, so a cookie is good on whichever worker the
 * ACK reaches (RSS sends it to the SYN's worker unless the indirection
 * table or the fanout group changed between the two).
 *
 * Return: 0; -ENOMEM; -EINVAL for an unusable configuration.
 */
int tcp_lcore_init(struct dp_lcore *lc, unsigned workers, const uint64_t secret[2]);

/* tcp_lcore_fini - close every connection and free LC->tcp. */
void tcp_lcore_fini(struct dp_lcore *lc);

/* What tcp_lcore_peek() reads of a frame. */
struct tcp_lcore_peek {
	struct tcp_addr src;
	uint16_t sport, dport; /* host order */
	const uint8_t *data;   /* the TCP payload, LEN bytes (0: none) */
	uint32_t len;
};

/*
 * tcp_lcore_peek - the source, ports and payload of frame M when it is
 * TCP over IPv4 or IPv6 (no extension headers) to LC's listen address
 * of a family LC serves, for the look-ahead pass. Reads only within the
 * frame's first segment, and only what the lengths in its headers allow;
 * checks no checksum (net_input() checks the frame in full).
 *
 * Return: true and *PK filled, or false.
 */
bool tcp_lcore_peek(const struct dp_lcore *lc, const struct rte_mbuf *m, struct tcp_lcore_peek *pk);

/*
 * tcp_lcore_prefetch - before a received burst RX[0..N) is processed,
 * start loading the connection-table buckets of its TCP segments to our
 * address (tcp_input_prefetch()), and look up the RCPT lines among their
 * payloads in one table burst (smtp_rcpt_prefetch()). Reads headers and
 * payload bounds within each frame only; the frames are checked in full
 * later by net_input().
 */
void tcp_lcore_prefetch(struct dp_lcore *lc, struct rte_mbuf *const *rx, uint16_t n);

/*
 * tcp_lcore_input - one TCP/IPv4 frame for the listen address. Consumes M.
 * IP is the IPv4 header inside M, IHL its length, IP_LEN the total
 * length (both checked by the caller against the frame).
 */
void tcp_lcore_input(struct dp_lcore *lc, struct rte_mbuf *m, const struct rte_ether_hdr *eth,
		     const struct rte_ipv4_hdr *ip, uint16_t ihl, uint16_t ip_len);

/*
 * tcp_lcore_input6 - one TCP/IPv6 segment for the listen address.
 * Consumes M. IP6 is the IPv6 header inside M, L4 the TCP header after
 * any extension headers, L4LEN the upper-layer length (checked by the
 * caller against the frame).
 */
void tcp_lcore_input6(struct dp_lcore *lc, struct rte_mbuf *m, const struct rte_ether_hdr *eth,
		      const struct rte_ipv6_hdr *ip6, const uint8_t *l4, uint16_t l4len);

/*
 * tcp_lcore_poll - run the deferred TLS handshake steps the iteration's
 * budget allows (tcp_smtp_tls_run()) and the TCP timers due at
 * LC->now_tsc.
 *
 * Return: the steps run plus the connection timers that fired (work done).
 */
unsigned tcp_lcore_poll(struct dp_lcore *lc);

/*
 * tcp_lcore_hs_waiting - TLS handshake steps wait for tcp_lcore_poll()
 * (a TLS flood is using the iteration's handshake budget).
 */
bool tcp_lcore_hs_waiting(const struct dp_lcore *lc);

/*
 * tcp_lcore_hs_charge - count CYCLES of other work against this
 * iteration's handshake budget (tcp_smtp_hs_charge()): the iteration
 * stays near it, and one waiting step still runs.
 */
void tcp_lcore_hs_charge(struct dp_lcore *lc, uint64_t cycles);

#endif /* RG_TCP_LCORE_H */
