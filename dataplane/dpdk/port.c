/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	port.c - bring up the port (or ports, dp_port_count()) in the
 *	configured mode (see port.h)
 * DESCRIPTION
 *	The vdev modes are plain DPDK PMDs given on the EAL command line:
 *	  af_xdp     net_af_xdp0,iface=IF,start_queue=0,queue_count=N, or
 *	             net_af_xdpW,iface=IF,start_queue=W,queue_count=1 for W
 *	             in 0..N-1 where IF has no combined channels (dp_port_count())
 *	  af_packet  net_af_packet0,iface=IF,qpairs=N
 *	  memif      net_memif0,role=server,socket=PATH,id=0, or
 *	             role=client (memif_role) with zero-copy=yes
 *	             (memif_zero_copy) and EAL's --single-file-segments
 *	pci mode allow-lists pci_address and uses RSS over the 4-tuple to
 *	spread sessions over the worker queues.
 *
 *	Every mode opens one RX/TX queue pair per worker. Where the port has
 *	no RSS, something else places the flows: PACKET_FANOUT in af_packet
 *	mode; in memif mode the peer, which opens as many queue pairs (the
 *	memif client announces its rings; the server takes at most its
 *	own) and sends each connection on one queue, the worker answering on
 *	the queue it received on.
 *
 *	rx_missed is the port's imissed; in af_packet and af_xdp mode,
 *	where DPDK 22.11 leaves out the frames the kernel dropped on a full
 *	socket RX ring, the kernel's own count of the PMD's sockets is added
 *	(dp_port_ring_drops()).
 *
 *	memif ring size: the memif client chooses it for both directions
 *	(its rsize devarg; DPDK 22.11's server offers the largest, 2^14, in
 *	its hello and takes the ring size the client announces), so
 *	rcptgate as server has no setting for it; a peer that needs
 *	deeper rings sets rsize on its own vdev. As client rcptgate
 *	announces net_memif's default, 2^10.
 *
 *	memif zero-copy (a client only): the driver gives the peer every
 *	hugepage segment of rcptgate's memory, and the peer copies frames
 *	into and out of rcptgate's mbufs; rcptgate's own receive and send
 *	calls only move descriptors, as a NIC's driver does. The peer can
 *	read and write all of that memory (the mbufs with every session's
 *	data, the counters, each worker's state block): only for a peer
 *	trusted as much as rcptgate itself.
 * DIAGNOSTICS
 *	Start-up errors come back as negative errno with a message; the
 *	daemon reports them and exits.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "msg.h"
#include "port.h"

#define DP_RX_DESC 1024
#define DP_TX_DESC 1024
#define DP_MBUFS_PER_WORKER 32767
#define DP_MBUF_CACHE 256

struct argbuf {
	char **argv;
	int argc, max;
	char *buf;
	size_t len, cap;
};

static int
arg_add(struct argbuf *a, const char *s)
{
	size_t n = strlen(s) + 1;

	if (a->argc >= a->max - 1 || a->len + n > a->cap)
		return -ENOSPC;
	memcpy(a->buf + a->len, s, n);
	a->argv[a->argc++] = a->buf + a->len;
	a->argv[a->argc] = NULL;
	a->len += n;
	return 0;
}

static bool
has_arg(const struct argbuf *a, const char *prefix)
{
	for (int i = 1; i < a->argc; i++)
		if (strncmp(a->argv[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/*
 * af_xdp with several workers on an interface that reports separate RX
 * and TX channels and no combined ones (a veth): DPDK 22.11's
 * net_af_xdp counts its queues by the combined channels and refuses a
 * second one ("Specified queue count 2 is larger than combined queue
 * count 1"), but takes one port for each queue (start_queue=W,
 * queue_count=1). The ports' XSKs go into the one default XDP program
 * the PMD loads, which redirects a frame by its RX queue. Not with
 * xdp_object: each port would attach its own copy of the program, and
 * the second attach fails.
 */
unsigned
dp_port_count(const struct rg_config *cfg)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr;
	unsigned n = 1;

	if (cfg->port_mode != CFG_PORT_AF_XDP || cfg->workers < 2 || cfg->xdp_object[0] != '\0')
		return 1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	memset(&ifr, 0, sizeof(ifr));
	if ((size_t)snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->interface) >=
	    sizeof(ifr.ifr_name)) {
		close(fd);
		return 1; /* not a name the kernel knows (the configuration refuses it) */
	}
	ifr.ifr_data = (char *)&ch;
	/* exactly as many RX queues as workers: the default program passes
	 * a frame of a queue without a socket to the kernel, its flow lost
	 * to rcptgate; at most RTE_MAX_ETHPORTS ports */
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && ch.max_combined == 0 && ch.rx_count == cfg->workers &&
	    ch.tx_count >= cfg->workers && cfg->workers <= RTE_MAX_ETHPORTS)
		n = cfg->workers;
	close(fd);
	return n;
}

int
dp_port_eal_args(const struct rg_config *cfg, const char *progname, char **argv, int max, char *buf,
		 size_t buflen)
{
	struct argbuf a = { argv, 0, max, buf, 0, buflen };
	char tmp[CFG_STR_MAX * 2];
	int rc = arg_add(&a, progname);

	/* The operator's dpdk_args, split on white space. */
	const char *s = cfg->dpdk_args;
	while (rc == 0 && *s) {
		size_t n = strcspn(s, " \t");
		if (n > 0) {
			if (n >= sizeof(tmp))
				return -ENOSPC;
			memcpy(tmp, s, n);
			tmp[n] = '\0';
			rc = arg_add(&a, tmp);
		}
		s += n;
		s += strspn(s, " \t");
	}
	if (rc == 0 && !has_arg(&a, "-l") && !has_arg(&a, "--lcores") && !has_arg(&a, "-c")) {
		/* Main lcore (control, sleeps) on CPU 0, worker i on CPU i+1. */
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		int n = snprintf(tmp, sizeof(tmp), "--lcores=0@0");
		if (ncpu < 1)
			ncpu = 1;
		for (unsigned w = 1; w <= cfg->workers && n > 0 && (size_t)n < sizeof(tmp); w++)
			n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, ",%u@%ld", w, (long)w % ncpu);
		rc = arg_add(&a, tmp);
	}
	if (rc == 0 && !has_arg(&a, "--file-prefix") && !has_arg(&a, "--in-memory"))
		rc = arg_add(&a, "--in-memory");
	/* net_memif's zero-copy client shares its hugepage memory with the
	 * peer through the segments' files, and needs EAL's one file a
	 * segment list for it (DPDK's memif guide) */
	if (rc == 0 && cfg->port_mode == CFG_PORT_MEMIF && cfg->memif_zero_copy &&
	    !has_arg(&a, "--single-file-segments"))
		rc = arg_add(&a, "--single-file-segments");
	if (rc != 0)
		return rc;

	/* a device string cut short would name another interface or file */
	int len;
	switch (cfg->port_mode) {
	case CFG_PORT_AF_XDP:
		if (dp_port_count(cfg) > 1) { /* a port a queue: see dp_port_count() */
			if ((rc = arg_add(&a, "--no-pci")) != 0)
				return rc;
			for (unsigned w = 0; w < cfg->workers && rc == 0; w++) {
				len = snprintf(tmp, sizeof(tmp),
					       "net_af_xdp%u,iface=%s,start_queue=%u,queue_count=1", w,
					       cfg->interface, w);
				if (len < 0 || (size_t)len >= sizeof(tmp))
					return -ENOSPC;
				if ((rc = arg_add(&a, "--vdev")) == 0)
					rc = arg_add(&a, tmp);
			}
			return rc != 0 ? rc : a.argc;
		}
		len = snprintf(tmp, sizeof(tmp), "net_af_xdp0,iface=%s,start_queue=0,queue_count=%u%s%s",
			       cfg->interface, cfg->workers, cfg->xdp_object[0] ? ",xdp_prog=" : "",
			       cfg->xdp_object);
		break;
	case CFG_PORT_AF_PACKET:
		len = snprintf(tmp, sizeof(tmp), "net_af_packet0,iface=%s,qpairs=%u", cfg->interface,
			       cfg->workers);
		break;
	case CFG_PORT_MEMIF:
		len = snprintf(tmp, sizeof(tmp), "net_memif0,role=%s,%ssocket=%s,id=0",
			       cfg->memif_role == CFG_MEMIF_CLIENT ? "client" : "server",
			       cfg->memif_zero_copy ? "zero-copy=yes," : "", cfg->memif_socket);
		break;
	case CFG_PORT_PCI:
		if ((rc = arg_add(&a, "-a")) != 0 || (rc = arg_add(&a, cfg->pci_address)) != 0)
			return rc;
		return a.argc;
	default:
		return -EINVAL;
	}
	if (len < 0 || (size_t)len >= sizeof(tmp))
		return -ENOSPC;
	if ((rc = arg_add(&a, "--no-pci")) != 0 || (rc = arg_add(&a, "--vdev")) != 0 ||
	    (rc = arg_add(&a, tmp)) != 0)
		return rc;
	return a.argc;
}

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
_Static_assert(sizeof(struct xdp_statistics) == 48, "XDP_STATISTICS as DPDK 22.11's net_af_xdp reads it");

/*
 * The PMD's sockets of FAMILY (AF_PACKET bound to IFINDEX, or AF_XDP),
 * found among this process's descriptors: DPDK 22.11 gives no access to
 * them, and its net_af_packet and net_af_xdp leave the kernel's count of
 * frames dropped on a full RX ring out of imissed. The daemon opens no
 * such socket of its own; an AF_XDP socket has no address to check.
 */
static void
dp_port_find_ksocks(struct dp_port *p, int family, unsigned ifindex)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;

	if (dir == NULL)
		return;
	while ((e = readdir(dir)) != NULL && p->n_ksock < RG_MAX_WORKERS) {
		int fd = atoi(e->d_name), dom;
		socklen_t len = sizeof(dom);
		/* "." and "..", the directory's own: skipped; not a socket: ENOTSOCK */
		if (e->d_name[0] == '.' || fd == dirfd(dir) ||
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) != 0 || dom != family)
			continue;
		if (family == AF_PACKET) {
			struct sockaddr_ll sll;
			socklen_t sl = sizeof(sll);
			if (getsockname(fd, (struct sockaddr *)&sll, &sl) != 0 ||
			    (unsigned)sll.sll_ifindex != ifindex)
				continue;
		}
		p->ksock[p->n_ksock++] = fd;
	}
	closedir(dir);
	p->ksock_family = family;
}

uint64_t
dp_port_ring_drops(const struct dp_port *p)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < p->n_ksock; i++) {
		if (p->ksock_family == AF_PACKET) {
			struct tpacket_stats st;
			socklen_t len = sizeof(st);
			/* the kernel resets these at each read: the deltas are summed */
			if (getsockopt(p->ksock[i], SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
				__atomic_fetch_add(p->ksock_sum, st.tp_drops, __ATOMIC_RELAXED);
		} else {
			/* the length DPDK 22.11's PMD asks with: the kernel then
			 * counts a full ring in rx_ring_full alone, and the PMD
			 * puts only rx_dropped in imissed */
			struct xdp_statistics st;
			socklen_t len = sizeof(st);
			if (getsockopt(p->ksock[i], SOL_XDP, XDP_STATISTICS, &st, &len) == 0 &&
			    len >= offsetof(struct xdp_statistics, rx_ring_full) + sizeof(st.rx_ring_full))
				sum += st.rx_ring_full;
		}
	}
	if (p->ksock_sum != NULL)
		sum += __atomic_load_n(p->ksock_sum, __ATOMIC_RELAXED);
	return sum;
}

void
dp_port_rss_key(uint8_t *key, size_t len)
{
	for (size_t i = 0; i < len; i++)
		key[i] = (i & 1) ? 0x5a : 0x6d;
}

/* Configure port PID with NQ RX/TX queue pairs on POOL and start it;
 * *TX_CSUM: whether it takes IPv4 header and TCP checksums on send.
 * START_HINT ends the message of a failed start. */
static int
dp_port_setup(uint16_t pid, uint16_t nq, struct rte_mempool *pool, const char *start_hint, bool *tx_csum,
	      char *err, size_t errlen)
{
	const uint64_t csum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int rc = rte_eth_dev_info_get(pid, &info);

	if (rc != 0) {
		snprintf(err, errlen, "port %u: cannot get device info: %s", pid, rte_strerror(-rc));
		return rc;
	}
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		snprintf(err, errlen, "port %u (%s): %u workers but the port has %u RX / %u TX queues", pid,
			 info.driver_name, nq, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	/* static: the PMD keeps the pointer and may read it at each start;
	 * the same for every port (hash_key_size is a uint8_t) */
	static uint8_t key[256];
	memset(&conf, 0, sizeof(conf));
	if (nq > 1) {
		/* Spread sessions over the workers by their 4-tuple, with a
		 * symmetric key where the port takes one (memif, af_packet and
		 * af_xdp do not) */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP) & info.flow_type_rss_offloads;
		if (info.hash_key_size > 0 && conf.rx_adv_conf.rss_conf.rss_hf != 0) {
			dp_port_rss_key(key, info.hash_key_size);
			conf.rx_adv_conf.rss_conf.rss_key = key;
			conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
		}
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	/* a NIC's checksum on send: one pass over each frame fewer for the
	 * worker (tcp_frame_write()); the vdev modes have none */
	*tx_csum = (info.tx_offload_capa & csum) == csum;
	if (*tx_csum)
		conf.txmode.offloads |= csum;

	rc = rte_eth_dev_configure(pid, nq, nq, &conf);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: configure failed: %s", pid, rte_strerror(-rc));
		return rc;
	}
	uint16_t nb_rx = DP_RX_DESC, nb_tx = DP_TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rx, &nb_tx);
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nb_rx, rte_eth_dev_socket_id(pid), NULL, pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, q, nb_tx, rte_eth_dev_socket_id(pid), NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port %u: queue %u setup failed: %s", pid, q,
				 rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: start failed: %s%s", pid, rte_strerror(-rc), start_hint);
		return rc;
	}
	/* We answer for our own address only, but the PMD may filter on the
	 * MAC; accept what reaches the interface. */
	rte_eth_promiscuous_enable(pid);
	return 0;
}

/*
 * A memif client's link comes up once the server has taken its hello.
 * A server that refuses it (another id, fewer queue pairs) leaves it
 * down, and DPDK 22.11's client does not try again: serving then would
 * answer nothing, so the start fails instead. A loop of its own with a
 * bound: whether rte_eth_link_get() waits, and how long, is each
 * driver's choice.
 */
static int
dp_port_memif_link(const struct rg_config *cfg, uint16_t pid, char *err, size_t errlen)
{
	struct rte_eth_link link;

	for (unsigned ms = 0;; ms += 10) {
		if (rte_eth_link_get_nowait(pid, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
			return 0;
		if (ms >= DP_MEMIF_LINK_WAIT_MS)
			break;
		rte_delay_us_sleep(10000);
	}
	snprintf(err, errlen,
		 "port %u: memif link not up within %u s (memif_role = client: does the server on %s "
		 "take id 0 and %u queue pairs?)",
		 pid, DP_MEMIF_LINK_WAIT_MS / 1000, cfg->memif_socket, cfg->workers);
	return -ENOTCONN;
}

int
dp_port_init(const struct rg_config *cfg, struct dp_port *p, char *err, size_t errlen)
{
	unsigned want = dp_port_count(cfg);
	bool memif_client = cfg->port_mode == CFG_PORT_MEMIF && cfg->memif_role == CFG_MEMIF_CLIENT;
	char hint[CFG_STR_MAX + 64] = "";
	uint16_t pid;
	int rc;

	memset(p, 0, sizeof(*p));
	if (rte_eth_dev_count_avail() != want) {
		snprintf(err, errlen, "expected %u port%s, EAL found %u (check %s)", want,
			 want == 1 ? "" : "s", rte_eth_dev_count_avail(),
			 cfg->port_mode == CFG_PORT_PCI ? "pci_address and the vfio-pci binding"
							: "interface and dpdk_args");
		return -ENODEV;
	}
	RTE_ETH_FOREACH_DEV(pid)
	{
		if (p->n_ports < want)
			p->port_ids[p->n_ports++] = pid;
	}
	p->n_queues = (uint16_t)(cfg->workers / p->n_ports);

	unsigned n_mbufs = DP_MBUFS_PER_WORKER * cfg->workers;
	p->pool = rte_pktmbuf_pool_create("rg_mbufs", n_mbufs, DP_MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  rte_eth_dev_socket_id(p->port_ids[0]));
	if (p->pool == NULL) {
		snprintf(err, errlen, "cannot create the mbuf pool (%u mbufs): %s (hugepages set up?)",
			 n_mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rc = rte_eth_macaddr_get(p->port_ids[0], &p->mac); /* one interface: the same on all */
	if (rc != 0) {
		snprintf(err, errlen, "port %u: no MAC address: %s", p->port_ids[0], rte_strerror(-rc));
		return rc;
	}
	/* a memif client connects at the start: the server must be up */
	if (memif_client)
		snprintf(hint, sizeof(hint), " (memif_role = client: no memif server answering on %s?)",
			 cfg->memif_socket);
	p->tx_csum = true;
	for (unsigned i = 0; i < p->n_ports; i++) {
		bool tx_csum;
		rc = dp_port_setup(p->port_ids[i], p->n_queues, p->pool, hint, &tx_csum, err, errlen);
		if (rc != 0)
			return rc;
		p->started = i + 1; /* dp_port_fini() stops those */
		p->tx_csum = p->tx_csum && tx_csum;
	}
	if (memif_client && (rc = dp_port_memif_link(cfg, p->port_ids[0], err, errlen)) != 0)
		return rc;
	if (p->tx_csum)
		msg_info("port %u: IPv4 and TCP checksums left to the port (TX offload)", p->port_ids[0]);
	if (cfg->port_mode == CFG_PORT_AF_PACKET) {
		p->ksock_sum = calloc(1, sizeof(*p->ksock_sum));
		if (p->ksock_sum != NULL)
			dp_port_find_ksocks(p, AF_PACKET, if_nametoindex(cfg->interface));
	} else if (cfg->port_mode == CFG_PORT_AF_XDP) {
		dp_port_find_ksocks(p, AF_XDP, 0);
	}
	if ((cfg->port_mode == CFG_PORT_AF_PACKET || cfg->port_mode == CFG_PORT_AF_XDP) &&
	    p->n_ksock != cfg->workers)
		msg_warn("port %u: %u sockets of the %s PMD found for %u queues: rx_missed may "
			 "miscount the frames their full RX rings drop",
			 p->port_ids[0], p->n_ksock, cfg_port_mode_name(cfg->port_mode), cfg->workers);
	return 0;
}

void
dp_port_fini(struct dp_port *p)
{
	p->n_ksock = 0; /* the PMD closes them */
	/* all stopped before any is closed: closing an af_xdp port detaches
	 * the XDP program the other ports' sockets are in */
	for (unsigned i = 0; i < p->started; i++)
		rte_eth_dev_stop(p->port_ids[i]);
	for (unsigned i = 0; i < p->n_ports; i++)
		rte_eth_dev_close(p->port_ids[i]);
	p->started = 0;
	p->n_ports = 0;
	free(p->ksock_sum);
	p->ksock_sum = NULL;
}
