/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	net.h - Ethernet, ARP, IPv4 and ICMP on the fast path
 * DESCRIPTION
 *	net_input takes one received frame and either answers it (ARP
 *	request for the listen address where rcptgate owns it, ICMP echo
 *	request to the listen address), hands it to TCP, or drops it and
 *	counts the reason. Frames are turned into replies in place, so an
 *	answer costs no allocation.
 * TRUST
 *	Everything in the frame is untrusted: every length is checked
 *	against the mbuf before a header is read.
 */
#ifndef RG_NET_H
#define RG_NET_H

#include "worker.h"

/* net_input - process one frame; always consumes M (sent or freed). */
void net_input(struct dp_lcore *lc, struct rte_mbuf *m);

#endif /* RG_NET_H */
