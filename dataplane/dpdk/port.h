/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	port.h - the one port rcptgate serves on, in any of its modes
 * DESCRIPTION
 *	One binary, four port modes chosen in the configuration:
 *	pci (a NIC owned through a PCI PMD), af_xdp and af_packet (a kernel
 *	interface, through DPDK's net_af_xdp / net_af_packet vdevs) and
 *	memif (shared memory to another DPDK process, e.g. the bench).
 *	Everything after port_init is the same code path for all modes.
 */
#ifndef RG_PORT_H
#define RG_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include <rcptgate/limits.h>

#include "config.h"

/* the operator's dpdk_args and ours, with a --vdev pair for each worker */
#define DP_EAL_ARGS_MAX (32 + 2 * RG_MAX_WORKERS)
/* how long a memif client waits at start for the server to take it
 * (whole seconds: the message gives it in seconds) */
#define DP_MEMIF_LINK_WAIT_MS 5000u
_Static_assert(DP_MEMIF_LINK_WAIT_MS % 1000 == 0, "DP_MEMIF_LINK_WAIT_MS in whole seconds");

struct dp_port {
	/* one port; in af_xdp mode on an interface without combined
	 * channels, one for each worker (dp_port_count()) */
	uint16_t port_ids[RG_MAX_WORKERS];
	unsigned n_ports;
	uint16_t n_queues; /* RX/TX queue pairs a port: the workers over the ports */
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
	unsigned started; /* of port_ids, the first this many */
	/* the ports compute IPv4 header and TCP checksums on send (TX
	 * offload, a NIC's): the workers leave them to them */
	bool tx_csum;
	/* af_packet and af_xdp: the PMD's kernel sockets, whose RX ring
	 * drops DPDK 22.11 does not count (dp_port_ring_drops()) */
	int ksock[RG_MAX_WORKERS];
	unsigned n_ksock;
	int ksock_family;
	uint64_t *ksock_sum; /* af_packet: its counts reset on each read; their sum */
};

/*
 * dp_port_eal_args - build the EAL argument vector for CFG: the program
 * name, the operator's dpdk_args, then what the port mode needs (the
 * vdev, --no-pci for vdev modes, lcores and --in-memory unless dpdk_args
 * chose otherwise). Strings live in BUF.
 *
 * Return: argc (>= 1), or -ENOSPC when ARGV or BUF is too small.
 */
int dp_port_eal_args(const struct rg_config *cfg, const char *progname, char **argv, int max, char *buf,
		     size_t buflen);

/*
 * dp_port_count - the ports CFG opens: 1; workers in af_xdp mode on an
 * interface that reports separate RX and TX channels, exactly as many RX
 * channels as workers, and no combined ones (a veth), where DPDK 22.11's
 * net_af_xdp takes one port for each queue but not several queues on one
 * port; not with xdp_object.
 */
unsigned dp_port_count(const struct rg_config *cfg);

/*
 * dp_port_rss_key - fill KEY[0..LEN-1] with the RSS key rcptgate gives a
 * port with several queues: the 16-bit pattern 0x6d5a repeated, whose
 * Toeplitz hash of (src, dst, sport, dport) equals that of (dst, src,
 * dport, sport) (Woo and Park, "Scalable TCP Session Monitoring with
 * Symmetric Receive-side Scaling", 2012). rcptgate receives only the
 * client's direction of a connection, so the NIC's own key would place
 * each flow on one worker as well; the symmetric key keeps that true
 * where the other direction comes in too (a mirror port, or replies
 * looped back for a test).
 */
void dp_port_rss_key(uint8_t *key, size_t len);

/*
 * dp_port_queue - the port and queue of worker W: queue W of the one
 * port, or queue 0 of port W (n_queues workers a port).
 */
static inline void
dp_port_queue(const struct dp_port *p, unsigned w, uint16_t *port, uint16_t *queue)
{
	*port = p->port_ids[w / p->n_queues];
	*queue = (uint16_t)(w % p->n_queues);
}

/*
 * dp_port_init - find the ports EAL probed (dp_port_count()), create the
 * mbuf pool, configure each with its share of the workers' RX/TX queue
 * pairs and start it.
 *
 * Return: 0, or a negative errno with the reason in ERR.
 */
int dp_port_init(const struct rg_config *cfg, struct dp_port *p, char *err, size_t errlen);

/*
 * dp_port_ring_drops - frames the kernel dropped because the RX ring of
 * one of the port's sockets was full, where the PMD does not count them
 * in imissed: af_packet (PACKET_STATISTICS, tp_drops) and af_xdp
 * (XDP_STATISTICS, rx_ring_full; the PMD counts rx_dropped). 0 in the
 * other modes. Safe from several threads while the port is started.
 */
uint64_t dp_port_ring_drops(const struct dp_port *p);

/* dp_port_fini - stop the ports, all of them before any is closed, then
 * close them (which detaches an AF_XDP program). */
void dp_port_fini(struct dp_port *p);

#endif /* RG_PORT_H */
