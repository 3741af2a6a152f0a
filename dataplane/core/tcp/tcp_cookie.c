/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_cookie.c - initial sequence numbers and SYN cookies
 * DESCRIPTION
 *	tcp_iss() follows RFC 6528: a 4-microsecond clock plus a keyed
 *	hash of the 4-tuple, so sequence numbers cannot be predicted
 *	across connections.
 *
 *	SYN cookies (RFC 4987) are used only when the SYN-RECEIVED table
 *	is under pressure. The cookie is our ISS:
 *	    bits 31-27  time counter (65.5 s units: ms >> 16) mod 32
 *	    bits 26-24  index of the client's MSS in tcp_cookie_mss[]
 *	    bits 23-0   keyed hash of 4-tuple, client ISN, counter, index
 *	It is accepted in its counter step and the next (65-131 s). Window
 *	scaling, SACK and timestamps are never offered, so nothing else
 *	needs encoding.
 *
 *	The keyed hash is SipHash-2-4 (Aumasson and Bernstein); DPDK's
 *	jhash and CRC hashes are unkeyed and not meant to resist forgery,
 *	and the core may not use DPDK.
 * TRUST
 *	The ACK carrying a cookie is attacker-made; forging one needs the
 *	per-start secret (24 bits of hash: about one in 16 million).
 */
#include <string.h>

#include "tcp/tcp_impl.h"

static const uint16_t tcp_cookie_mss[8] = { 536, 1024, 1200, 1300, 1380, 1420, 1440, 1460 };

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

uint64_t
tcp_siphash(const uint64_t key[2], const uint64_t *words, unsigned n)
{
	uint64_t v[4] = {
		key[0] ^ UINT64_C(0x736f6d6570736575),
		key[1] ^ UINT64_C(0x646f72616e646f6d),
		key[0] ^ UINT64_C(0x6c7967656e657261),
		key[1] ^ UINT64_C(0x7465646279746573),
	};

	for (unsigned i = 0; i < n; i++) {
		v[3] ^= words[i];
		sip_round(v);
		sip_round(v);
		v[0] ^= words[i];
	}
	uint64_t last = (uint64_t)(n * 8) << 56;
	v[3] ^= last;
	sip_round(v);
	sip_round(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/*
 * The words keying a connection's ISN and cookies: for IPv4 the two
 * addresses and ports as before; for IPv6 all 32 address bytes (a fold
 * would let a client forge a cookie for another address of its /64).
 * W has room for 4 + EXTRA words; returns how many were filled.
 */
static unsigned
tuple_words(const struct tcp_seg *seg, uint64_t *w)
{
	uint64_t ports = (uint64_t)seg->sport << 16 | seg->dport;

	if (tcp_addr_is_v4(&seg->saddr)) {
		w[0] = (uint64_t)tcp_addr_v4(&seg->saddr) << 32 ^ (uint64_t)tcp_addr_v4(&seg->daddr) ^
			ports << 8;
		w[1] = ports;
		return 2;
	}
	w[0] = seg->saddr.q[0];
	w[1] = seg->saddr.q[1];
	w[2] = seg->daddr.q[0] ^ ports << 8;
	w[3] = seg->daddr.q[1] ^ ports;
	return 4;
}

uint32_t
tcp_iss(const struct tcp_stack *ts, const struct tcp_seg *seg)
{
	uint64_t w[4];
	unsigned n = tuple_words(seg, w);

	return (uint32_t)tcp_siphash(ts->p.secret, w, n) + ts->now * 250u;
}

static uint32_t
cookie_hash(const struct tcp_stack *ts, const struct tcp_seg *seg, uint32_t client_isn, uint32_t count,
	    uint32_t mssidx)
{
	uint64_t w[5];
	unsigned n = tuple_words(seg, w);

	w[n++] = (uint64_t)client_isn << 32 | count << 3 | mssidx;
	return (uint32_t)tcp_siphash(ts->p.secret, w, n) & 0xffffff;
}

uint32_t
tcp_cookie_make(const struct tcp_stack *ts, const struct tcp_seg *syn, uint16_t *mss)
{
	uint32_t count = (ts->now >> 16) & 31; /* 65.5 s units */
	uint32_t idx = 0;
	uint16_t peer = syn->mss ? syn->mss : TCP_DEFAULT_MSS;

	for (uint32_t i = 0; i < 8; i++)
		if (tcp_cookie_mss[i] <= peer)
			idx = i;
	*mss = tcp_cookie_mss[idx];
	return count << 27 | idx << 24 | cookie_hash(ts, syn, syn->seq, count, idx);
}

int
tcp_cookie_check(const struct tcp_stack *ts, const struct tcp_seg *ack, uint16_t *mss)
{
	uint32_t cookie = ack->ack - 1;
	uint32_t count = cookie >> 27;
	uint32_t idx = (cookie >> 24) & 7;
	uint32_t age = (((ts->now >> 16) & 31) - count) & 31;

	if (age > 1)
		return -1;
	if (cookie_hash(ts, ack, ack->seq - 1, count, idx) != (cookie & 0xffffff))
		return -1;
	*mss = tcp_cookie_mss[idx];
	return 0;
}
