// SPDX-License-Identifier: BSD-3-Clause
/*
 * NAME
 *	tcp_loss.bpf.c - random packet loss for integration tests (tc clsact)
 * DESCRIPTION
 *	Attached to the client's veth on ingress and egress, it drops each
 *	IPv4 packet with probability loss_pct / 100 (a constant set at
 *	compile time with -DLOSS_PCT=N, default 5) and passes everything
 *	else, ARP included. tc netem is not available on these machines;
 *	this is the stand-in.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef LOSS_PCT
#define LOSS_PCT 5
#endif

SEC("tc")
int
tcp_loss(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	return bpf_get_prandom_u32() % 100 < LOSS_PCT ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
