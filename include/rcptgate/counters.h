/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	counters.h - the one list of rcptgate's counters
 * DESCRIPTION
 *	Every counter the dataplane keeps is named here once, with its
 *	exported name, its kind and its help text. The daemon (per-lcore
 *	arrays summed by the control thread), rcptgatectl (stats, --json,
 *	--prometheus), DPDK telemetry and docs/counters.md are all generated
 *	from this list, so they cannot drift apart.
 *
 *	Kinds: RG_CK_COUNTER only ever grows; RG_CK_GAUGE is a level (it
 *	may go down); both are summed over lcores.
 *
 *	To add a counter: add one X() line in the right group. Nothing else
 *	needs to change.
 */
#ifndef RCPTGATE_COUNTERS_H
#define RCPTGATE_COUNTERS_H

#include <rcptgate/bpf_maps.h>	/* RG_XDP_COUNTERS */

enum rg_counter_kind { RG_CK_COUNTER, RG_CK_GAUGE };

/* X(ID, name, kind, help) */
#define RG_COUNTERS(X) \
	/* ports and the network layer */ \
	X(RX_PACKETS, "rx_packets", RG_CK_COUNTER, "Packets received from the port") \
	X(RX_BYTES, "rx_bytes", RG_CK_COUNTER, "Bytes received from the port") \
	X(TX_PACKETS, "tx_packets", RG_CK_COUNTER, "Packets sent to the port") \
	X(TX_BYTES, "tx_bytes", RG_CK_COUNTER, "Bytes sent to the port") \
	X(TX_FULL, "tx_full_drops", RG_CK_COUNTER, "Packets dropped because the TX queue was full") \
	X(MBUF_ALLOC_FAIL, "mbuf_alloc_failures", RG_CK_COUNTER, "Replies not sent because no mbuf was free") \
	X(ARP_REQUESTS, "arp_requests", RG_CK_COUNTER, "ARP requests for the listen address answered") \
	X(ICMP_ECHO, "icmp_echo_replies", RG_CK_COUNTER, "ICMP echo requests to the listen address answered") \
	X(DROP_RUNT, "drop_runt", RG_CK_COUNTER, "Frames dropped: shorter than their headers say") \
	X(DROP_ETHERTYPE, "drop_ethertype", RG_CK_COUNTER, "Frames dropped: ethertype neither IPv4 nor ARP") \
	X(DROP_ARP_OTHER, "drop_arp_other", RG_CK_COUNTER, "ARP frames dropped: not a request for the listen address") \
	X(DROP_NOT_OURS, "drop_not_ours", RG_CK_COUNTER, "IPv4 packets dropped: destination is not the listen address") \
	X(DROP_IP_HDR, "drop_ip_header", RG_CK_COUNTER, "IPv4 packets dropped: bad version, header length or total length") \
	X(DROP_IP_CSUM, "drop_ip_checksum", RG_CK_COUNTER, "IPv4 packets dropped: bad header checksum") \
	X(DROP_IP_FRAG, "drop_ip_fragment", RG_CK_COUNTER, "IPv4 fragments dropped (not reassembled)") \
	X(DROP_IP_PROTO, "drop_ip_proto", RG_CK_COUNTER, "IPv4 packets dropped: protocol neither ICMP nor TCP") \
	X(DROP_ICMP_OTHER, "drop_icmp_other", RG_CK_COUNTER, "ICMP packets dropped: not an echo request, or bad checksum") \
	X(DROP_TCP_NO_STACK, "drop_tcp_no_stack", RG_CK_COUNTER, "TCP segments dropped: no TCP handler on this lcore") \
	X(DROP_BLOCKED, "drop_blocked", RG_CK_COUNTER, "Packets dropped: source address on the blocklist") \
	/* XDP steering program (bpf/): read from its per-CPU map, not counted by lcores */ \
	RG_XDP_COUNTERS(X)

enum rg_counter {
#define RG_COUNTER_ENUM(id, name, kind, help) RG_C_##id,
	RG_COUNTERS(RG_COUNTER_ENUM)
#undef RG_COUNTER_ENUM
	RG_C_MAX
};

struct rg_counter_info {
	const char *name;
	enum rg_counter_kind kind;
	const char *help;
};

static const struct rg_counter_info rg_counter_info[] = {
#define RG_COUNTER_INFO(id, name, kind, help) [RG_C_##id] = { name, kind, help },
	RG_COUNTERS(RG_COUNTER_INFO)
#undef RG_COUNTER_INFO
};

_Static_assert(sizeof(rg_counter_info) / sizeof(rg_counter_info[0]) == RG_C_MAX,
	       "counter name table out of step with enum rg_counter");

#endif /* RCPTGATE_COUNTERS_H */
