/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_parse.c - TCP header and options into a segment descriptor
 * DESCRIPTION
 *	Reads the fixed header, walks the options for MSS (kind 2) and
 *	skips every other option by its length, and points the descriptor
 *	at the payload. The checksum is the caller's (hardware flag or a
 *	software sum in the DPDK glue, tcp_lcore.c).
 * DIAGNOSTICS
 *	-EINVAL for a data offset below 5 words or beyond the bytes given,
 *	and for an option whose length is below 2 or runs past the header.
 * TRUST
 *	The bytes are straight from the network; every read is checked
 *	against LEN and the header length first.
 */
#include <errno.h>
#include <string.h>

#include "tcp/tcp.h"

#define TCP_HDR_MIN 20
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2

int
tcp_parse(const uint8_t *l4, size_t len, struct tcp_seg *seg)
{
	if (len < TCP_HDR_MIN)
		return -EINVAL;
	size_t hlen = (size_t)(l4[12] >> 4) * 4;
	if (hlen < TCP_HDR_MIN || hlen > len)
		return -EINVAL;

	seg->sport = tcp_rd16(l4);
	seg->dport = tcp_rd16(l4 + 2);
	seg->seq = tcp_rd32(l4 + 4);
	seg->ack = tcp_rd32(l4 + 8);
	seg->flags = l4[13] & 0x3f;
	seg->wnd = tcp_rd16(l4 + 14);
	seg->mss = 0;
	seg->may_pass = false;

	const uint8_t *o = l4 + TCP_HDR_MIN;
	size_t olen = hlen - TCP_HDR_MIN;
	while (olen > 0) {
		uint8_t kind = o[0];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			o++;
			olen--;
			continue;
		}
		if (olen < 2 || o[1] < 2 || o[1] > olen)
			return -EINVAL;
		if (kind == TCPOPT_MSS && o[1] == 4)
			seg->mss = tcp_rd16(o + 2);
		olen -= o[1];
		o += o[1];
	}
	seg->data = l4 + hlen;
	seg->len = (uint32_t)(len - hlen);
	return 0;
}
