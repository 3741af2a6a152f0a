/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	bpf_maps.h - map layouts shared by the XDP program and user space
 * DESCRIPTION
 *	The XDP steering program (bpf/rcptgate_xdp.bpf.c), the daemon
 *	(dataplane/xdp/xdp.c) and rcptgatectl all include this header, so the
 *	map names, key and value layouts and the counter list exist once.
 *	It uses only <linux/types.h>, so it compiles both with
 *	"clang -target bpf" and in ordinary user space.
 *
 *	Maps (each pinned by name under the bpffs directory "bpf_pin_dir"
 *	by the daemon once the program is attached):
 *
 *	RG_XDP_MAP_CONFIG (array, one struct rg_xdp_config at index 0):
 *	    the listen addresses and port. All zero (as loaded) means
 *	    "steer nothing": every packet goes to the kernel until the
 *	    daemon has filled it.
 *	RG_XDP_MAP_BLOCK4 / RG_XDP_MAP_BLOCK6 (LPM tries, key struct
 *	    rg_xdp_lpm4 / rg_xdp_lpm6, value __u32 reason: RG_XDP_BLOCK_*):
 *	    source prefixes whose SMTP traffic is dropped. The program
 *	    only asks whether a prefix holds the source; the reason is
 *	    for the daemon (which entries expire).
 *	RG_XDP_MAP_STATS (per-CPU array of __u64, index enum rg_xdp_counter).
 *	RG_XDP_MAP_XSKS (XSKMAP "xsks_map", the name net_af_xdp requires):
 *	    never pinned; filled by the PMD, one socket per RX queue.
 *
 *	Byte order: addresses and the port are stored in network order, as
 *	they appear on the wire, so the program compares without swapping.
 * TRUST
 *	Nothing here reads input; it only describes layouts.
 */
#ifndef RCPTGATE_BPF_MAPS_H
#define RCPTGATE_BPF_MAPS_H

#include <linux/types.h>

#include <rcptgate/limits.h>

/* Map and program names (BPF object names are at most 15 characters). */
#define RG_XDP_PROG_NAME "rg_xdp_steer"
#define RG_XDP_MAP_CONFIG "rg_config"
#define RG_XDP_MAP_BLOCK4 "rg_block4"
#define RG_XDP_MAP_BLOCK6 "rg_block6"
#define RG_XDP_MAP_STATS "rg_xdp_stats"
#define RG_XDP_MAP_XSKS "xsks_map"

#define RG_XDP_ADDR_MAX 4	      /* listen addresses per family */
#define RG_XDP_BLOCK_MAX 65536	      /* prefixes per blocklist family */
#define RG_XDP_BLOCK_MANUAL 0	      /* rcptgatectl block add: until deleted */
#define RG_XDP_BLOCK_DICTIONARY 1     /* dictionary_block_limit: for dictionary_block_time */
#define RG_XDP_XSK_MAX RG_MAX_WORKERS /* one AF_XDP socket per worker's RX queue */

struct rg_xdp_in6 {
	union {
		__u8 b[16];
		__be32 w[4]; /* word view for compares in BPF */
	};
};

struct rg_xdp_config {
	__u32 owner_pid; /* daemon that filled this in (stale program check) */
	__be16 port;	 /* TCP port steered to the fast path; 0 = none */
	__u8 n_addr4;	 /* used entries of addr4 (<= RG_XDP_ADDR_MAX) */
	__u8 n_addr6;	 /* used entries of addr6 (<= RG_XDP_ADDR_MAX) */
	__be32 addr4[RG_XDP_ADDR_MAX];
	struct rg_xdp_in6 addr6[RG_XDP_ADDR_MAX];
};

/* LPM trie keys: prefix length in bits, then the address. */
struct rg_xdp_lpm4 {
	__u32 prefixlen; /* 0..32 */
	__u8 addr[4];
};

struct rg_xdp_lpm6 {
	__u32 prefixlen; /* 0..128 */
	__u8 addr[16];
};

/*
 * The program's counters, X(ID, name, kind, help) in the shape of
 * RG_COUNTERS in <rcptgate/counters.h>, which includes this list so the
 * daemon's stats show them under the same names.
 */
#define RG_XDP_COUNTERS(X) \
	X(XDP_STEERED, "xdp_steered", RG_CK_COUNTER, "Packets the XDP program sent to the fast path") \
	X(XDP_PASSED, "xdp_passed", RG_CK_COUNTER, "Packets the XDP program left to the kernel") \
	X(XDP_DROP_BLOCKED, "xdp_drop_blocked", RG_CK_COUNTER, \
	  "SMTP packets the XDP program dropped: source on the blocklist") \
	X(XDP_MALFORMED, "xdp_malformed", RG_CK_COUNTER, \
	  "Packets with truncated or malformed headers (left to the kernel)") \
	X(XDP_NO_XSK, "xdp_no_xsk", RG_CK_COUNTER, \
	  "SMTP packets left to the kernel: no socket on their RX queue")

enum rg_xdp_counter {
#define RG_XDP_COUNTER_ENUM(id, name, kind, help) RG_XDP_C_##id,
	RG_XDP_COUNTERS(RG_XDP_COUNTER_ENUM)
#undef RG_XDP_COUNTER_ENUM
		RG_XDP_C_MAX
};

#endif /* RCPTGATE_BPF_MAPS_H */
