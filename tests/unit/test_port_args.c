/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_port_args - the EAL command line each port mode gets
 * DESCRIPTION
 *	dp_port_eal_args is the only place the four port modes differ: the
 *	vdev (or PCI allow-list) it adds, and the defaults (lcores,
 *	--in-memory) it adds unless dpdk_args chose otherwise. pci mode
 *	cannot run on a machine without a NIC, so this is where its
 *	command line is checked, and the RSS key it gives a NIC. No EAL
 *	is started. As root, one case
 *	makes a veth of its own (af_xdp, a port for each queue) and removes
 *	it.
 */
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_thash.h>

#include "config.h"
#include "port.h"
#include "xorshift.h"

/* The arguments of CONF (a configuration text) joined by single spaces. */
static const char *
args_of(const char *conf)
{
	static char joined[4096];
	static char buf[8192];
	struct rg_config cfg;
	char err[CFG_ERR_MAX];
	char *argv[DP_EAL_ARGS_MAX + 1];

	if (cfg_load_string(&cfg, "t.conf", conf, strlen(conf), err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	int argc = dp_port_eal_args(&cfg, "rcptgate", argv, DP_EAL_ARGS_MAX, buf, sizeof(buf));
	assert_true(argc > 0);
	assert_null(argv[argc]);
	size_t n = 0;
	for (int i = 0; i < argc; i++)
		n += (size_t)snprintf(joined + n, sizeof(joined) - n, "%s%s", i ? " " : "", argv[i]);
	return joined;
}

static void
test_af_xdp(void **state)
{
	(void)state;
	const char *a = args_of("port_mode = af_xdp\ninterface = eth1\nlisten = 192.0.2.1\n"
				"workers = 2\nxdp_object = /usr/share/rcptgate/x.o\n");
	/* default lcores: main on CPU 0, worker i on CPU i (modulo the CPUs) */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char want[512];
	snprintf(want, sizeof(want),
		 "rcptgate --lcores=0@0,1@%ld,2@%ld --in-memory --no-pci --vdev "
		 "net_af_xdp0,iface=eth1,start_queue=0,queue_count=2,xdp_prog=/usr/share/rcptgate/x.o",
		 1 % ncpu, 2 % ncpu);
	assert_string_equal(a, want);
}

/*
 * How many of N random IPv4 and IPv6 TCP tuples KEY hashes (DPDK's
 * software Toeplitz, rte_softrss()) differently from the reversed tuple.
 */
static unsigned
asymmetric(const uint8_t *key, unsigned n)
{
	unsigned differ = 0;

	for (unsigned i = 0; i < n; i++) {
		uint32_t a[4], b[4], ports = (uint32_t)rng();
		uint32_t swapped = ports << 16 | ports >> 16;
		for (unsigned j = 0; j < 4; j++) {
			a[j] = (uint32_t)rng();
			b[j] = (uint32_t)rng();
		}
		uint32_t v4[3] = { a[0], b[0], ports }, r4[3] = { b[0], a[0], swapped };
		uint32_t v6[9], r6[9];
		memcpy(v6, a, 16);
		memcpy(v6 + 4, b, 16);
		memcpy(r6, b, 16);
		memcpy(r6 + 4, a, 16);
		v6[8] = ports;
		r6[8] = swapped;
		differ += rte_softrss(v4, 3, key) != rte_softrss(r4, 3, key);
		differ += rte_softrss(v6, 9, key) != rte_softrss(r6, 9, key);
	}
	return differ;
}

/*
 * The RSS key of a port with several queues (pci mode) hashes both
 * directions of a connection alike, IPv4 and IPv6 (rte_softrss() reads
 * the first 40 bytes for an IPv6 tuple; longer keys repeat the
 * pattern); one byte changed and it does not.
 */
static void
test_rss_key_symmetric(void **state)
{
	(void)state;
	_Alignas(4) uint8_t key[40]; /* rte_softrss() reads it a word at a time */

	dp_port_rss_key(key, sizeof(key));
	assert_int_equal(key[0], 0x6d);
	assert_int_equal(key[39], 0x5a);
	assert_int_equal(asymmetric(key, 10000), 0);
	key[5] ^= 0x10;
	assert_true(asymmetric(key, 1000) > 0);
}

/* The veth test_af_xdp_port_a_queue makes; removed by its teardown,
 * also when the test fails. */
static char veth[32];

static int
veth_del(void **state)
{
	(void)state;
	char cmd[64];

	if (veth[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null", veth);
		(void)system(cmd);
		veth[0] = '\0';
	}
	return 0;
}

/*
 * True when IFNAME reports N RX and N TX channels and no combined ones,
 * asked of the kernel here (ETHTOOL_GCHANNELS), not through port.c.
 */
static bool
separate_channels(const char *ifname, unsigned n)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	if ((size_t)snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname) >= sizeof(ifr.ifr_name)) {
		close(fd);
		return false;
	}
	ifr.ifr_data = (void *)&ch;
	ok = ioctl(fd, SIOCETHTOOL, &ifr) == 0 && ch.max_combined == 0 && ch.rx_count == n &&
		ch.tx_count == n;
	close(fd);
	return ok;
}

/*
 * A device with separate RX and TX channels and no combined ones (a
 * veth with three queues each way): a net_af_xdp port for each worker
 * when there are as many RX channels as workers; one port when there
 * are more (a frame on a queue without a worker would go to the
 * kernel), with xdp_object, or on a device without channels (lo).
 * Needs root for the veth, and a kernel whose veth reports its queues
 * as RX and TX channels (Debian 12's does), else SKIP.
 */
static void
test_af_xdp_port_a_queue(void **state)
{
	(void)state;
	char cmd[256], conf[512], want[512];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	snprintf(cmd, sizeof(cmd),
		 "ip link add rgpa%ld numtxqueues 3 numrxqueues 3 type veth peer name rgpa%ldp "
		 "numtxqueues 3 numrxqueues 3 2>/dev/null",
		 (long)getpid() % 100000, (long)getpid() % 100000);
	if (geteuid() != 0 || system(cmd) != 0)
		skip(); /* needs root and veth */
	snprintf(veth, sizeof(veth), "rgpa%ld", (long)getpid() % 100000);
	if (!separate_channels(veth, 3)) {
		print_message("%s does not report 3 RX and 3 TX channels and no combined ones\n", veth);
		skip();
	}
	snprintf(conf, sizeof(conf), "port_mode = af_xdp\ninterface = %s\nlisten = 192.0.2.1\nworkers = 3\n",
		 veth);
	snprintf(want, sizeof(want),
		 "rcptgate --lcores=0@0,1@%ld,2@%ld,3@%ld --in-memory --no-pci --vdev "
		 "net_af_xdp0,iface=%s,start_queue=0,queue_count=1 --vdev "
		 "net_af_xdp1,iface=%s,start_queue=1,queue_count=1 --vdev "
		 "net_af_xdp2,iface=%s,start_queue=2,queue_count=1",
		 1 % ncpu, 2 % ncpu, 3 % ncpu, veth, veth, veth);
	assert_string_equal(args_of(conf), want);

	snprintf(conf + strlen(conf), sizeof(conf) - strlen(conf), "xdp_object = /x.o\n");
	snprintf(want, sizeof(want),
		 "rcptgate --lcores=0@0,1@%ld,2@%ld,3@%ld --in-memory --no-pci --vdev "
		 "net_af_xdp0,iface=%s,start_queue=0,queue_count=3,xdp_prog=/x.o",
		 1 % ncpu, 2 % ncpu, 3 % ncpu, veth);
	assert_string_equal(args_of(conf), want);

	snprintf(conf, sizeof(conf), "port_mode = af_xdp\ninterface = %s\nlisten = 192.0.2.1\nworkers = 2\n",
		 veth);
	snprintf(want, sizeof(want),
		 "rcptgate --lcores=0@0,1@%ld,2@%ld --in-memory --no-pci --vdev "
		 "net_af_xdp0,iface=%s,start_queue=0,queue_count=2",
		 1 % ncpu, 2 % ncpu, veth);
	assert_string_equal(args_of(conf), want);

	snprintf(want, sizeof(want),
		 "rcptgate --lcores=0@0,1@%ld,2@%ld --in-memory --no-pci --vdev "
		 "net_af_xdp0,iface=lo,start_queue=0,queue_count=2",
		 1 % ncpu, 2 % ncpu);
	assert_string_equal(args_of("port_mode = af_xdp\ninterface = lo\nlisten = 192.0.2.1\nworkers = 2\n"),
			    want);
}

static void
test_af_packet(void **state)
{
	(void)state;
	const char *a = args_of("port_mode = af_packet\ninterface = veth0\nlisten = 192.0.2.1\n"
				"dpdk_args = --lcores=(0,1)@1 --file-prefix=gate\n");
	/* the operator's lcores and file prefix win over the defaults */
	assert_string_equal(a,
			    "rcptgate --lcores=(0,1)@1 --file-prefix=gate --no-pci --vdev "
			    "net_af_packet0,iface=veth0,qpairs=1");
}

static void
test_memif(void **state)
{
	(void)state;
	const char *a = args_of("port_mode = memif\nlisten = 192.0.2.1\n"
				"memif_socket = /run/x/memif.sock\ndpdk_args = -l 0-1 --in-memory\n");
	assert_string_equal(a,
			    "rcptgate -l 0-1 --in-memory --no-pci --vdev "
			    "net_memif0,role=server,socket=/run/x/memif.sock,id=0");
}

static void
test_memif_client(void **state)
{
	(void)state;
	const char *a = args_of("port_mode = memif\nlisten = 192.0.2.1\nmemif_role = client\n"
				"memif_socket = /run/x/memif.sock\ndpdk_args = -l 0-1\n");
	assert_string_equal(a,
			    "rcptgate -l 0-1 --in-memory --no-pci --vdev "
			    "net_memif0,role=client,socket=/run/x/memif.sock,id=0");
	/* zero-copy: the devarg, and EAL's one file a segment, which the
	 * driver needs to share the segments; given already, not twice */
	a = args_of("port_mode = memif\nlisten = 192.0.2.1\nmemif_role = client\n"
		    "memif_zero_copy = yes\nmemif_socket = /run/x/memif.sock\ndpdk_args = -l 0-1\n");
	assert_string_equal(a,
			    "rcptgate -l 0-1 --in-memory --single-file-segments --no-pci --vdev "
			    "net_memif0,role=client,zero-copy=yes,socket=/run/x/memif.sock,id=0");
	a = args_of("port_mode = memif\nlisten = 192.0.2.1\nmemif_role = client\nmemif_zero_copy = yes\n"
		    "dpdk_args = -l 0-1 --single-file-segments --file-prefix=z\n");
	assert_string_equal(a,
			    "rcptgate -l 0-1 --single-file-segments --file-prefix=z --no-pci --vdev "
			    "net_memif0,role=client,zero-copy=yes,socket=/run/rcptgate/memif.sock,id=0");
	/* the memif keys change nothing in another mode */
	a = args_of("port_mode = af_packet\ninterface = veth0\nlisten = 192.0.2.1\nmemif_role = client\n"
		    "memif_zero_copy = yes\ndpdk_args = -l 0-1\n");
	assert_string_equal(
		a, "rcptgate -l 0-1 --in-memory --no-pci --vdev net_af_packet0,iface=veth0,qpairs=1");
}

static void
test_pci(void **state)
{
	(void)state;
	const char *a = args_of("port_mode = pci\npci_address = 0000:03:00.0\nlisten = 192.0.2.1\n"
				"dpdk_args = --lcores=0@0,1@2\n");
	/* a PCI port: allow-listed, no vdev, no --no-pci */
	assert_string_equal(a, "rcptgate --lcores=0@0,1@2 --in-memory -a 0000:03:00.0");
}

static void
test_too_small(void **state)
{
	(void)state;
	struct rg_config cfg;
	char err[CFG_ERR_MAX], buf[16];
	char *argv[DP_EAL_ARGS_MAX + 1];
	const char *conf = "port_mode = af_packet\ninterface = veth0\nlisten = 192.0.2.1\n";

	assert_int_equal(cfg_load_string(&cfg, "t.conf", conf, strlen(conf), err, sizeof(err)), 0);
	assert_true(dp_port_eal_args(&cfg, "rcptgate", argv, DP_EAL_ARGS_MAX, buf, sizeof(buf)) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_af_xdp),
		cmocka_unit_test_teardown(test_af_xdp_port_a_queue, veth_del),
		cmocka_unit_test(test_rss_key_symmetric),
		cmocka_unit_test(test_af_packet),
		cmocka_unit_test(test_memif),
		cmocka_unit_test(test_memif_client),
		cmocka_unit_test(test_pci),
		cmocka_unit_test(test_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
