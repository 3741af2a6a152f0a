/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_xdp - the XDP steering program, its blocklist and life cycle
 * DESCRIPTION
 *	1. CIDR parsing and printing (no privileges needed).
 *	2. A fixture table (description, frame in, expected verdict) run
 *	   through the program with bpf_prog_test_run_opts: each frame must
 *	   come back unchanged, with the expected XDP action and exactly one
 *	   counter moved, the expected one. "Steer" frames are checked twice:
 *	   without a socket on the queue (XDP_PASS, xdp_no_xsk) and, where an
 *	   AF_XDP socket can be bound to lo, with one (XDP_REDIRECT).
 *	3. The blocklist functions on the program's maps and on pins.
 *	4. xdp_prepare/xdp_setup/xdp_shutdown on lo in a private network
 *	   namespace: pinning, blocklist take-over, stale, live and foreign
 *	   programs.
 *	(The workers' copy of the blocklist: test_block_dp.)
 *
 *	Parts 2-4 need root and a kernel that loads BPF; otherwise the test
 *	prints "SKIP: reason" and exits 77 after part 1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <xdp/xsk.h>

#include <rcptgate/bpf_opts.h>

#include "bpf_pins.h"
#include "msg.h"
#include "xdp.h"
#include "rcptgate_xdp.skel.h"

#define LISTEN4 "10.77.52.1"
#define LISTEN6 "fd00:77:52::1"
#define PKT_MAX 256

/* ---------------------------------------------------------------- CIDR */

static void
test_cidr_parse(void **state)
{
	struct rg_cidr c;
	char buf[RG_CIDR_STR_MAX];
	static const struct {
		const char *in;
		const char *out; /* NULL: must be refused */
	} cases[] = {
		{ "10.77.50.2", "10.77.50.2/32" },
		{ "10.77.50.2/24", "10.77.50.0/24" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "192.0.2.255/31", "192.0.2.254/31" },
		{ "fd00:77:50::2", "fd00:77:50::2/128" },
		{ "fd00:77:50::2/48", "fd00:77:50::/48" },
		{ "2001:db8::ffff/127", "2001:db8::fffe/127" },
		{ "::/0", "::/0" },
		{ "", NULL },
		{ "/24", NULL },
		{ "10.77.50.2/", NULL },
		{ "10.77.50.2/33", NULL },
		{ "10.77.50.2/024", NULL },
		{ "10.77.50.2/+8", NULL },
		{ "10.77.50.2/8x", NULL },
		{ "10.77.50.2/-1", NULL },
		{ "10.77.50/24", NULL },
		{ "fd00::1/129", NULL },
		{ "fd00::1/1000", NULL },
		{ "example.org", NULL },
		{ "10.77.50.2 ", NULL },
		{ "fd00:0000:0000:0000:0000:0000:0000:0000:1/64", NULL },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = rg_cidr_parse(cases[i].in, &c);

		if (cases[i].out == NULL) {
			if (rc != -EINVAL)
				fail_msg("'%s' accepted", cases[i].in);
			continue;
		}
		if (rc != 0)
			fail_msg("'%s' refused", cases[i].in);
		assert_int_equal(rg_cidr_format(&c, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].out);
	}
	assert_int_equal(rg_cidr_parse("10.77.50.2/24", &c), 0);
	assert_int_equal(rg_cidr_format(&c, buf, 8), -ENOSPC);
	c.family = 99;
	assert_int_equal(rg_cidr_format(&c, buf, sizeof(buf)), -EINVAL);
}

/* ------------------------------------------------------------- frames */

enum expect { X_STEER, X_PASS, X_DROP, X_MALFORMED };

struct fixture {
	const char *desc;
	int family;	    /* 4, 6, or 0 for the raw ethertype below */
	uint16_t ethertype; /* family 0 only (ARP, ...) */
	int vlans;	    /* tags before the IP header */
	const char *src, *dst;
	uint8_t proto;	   /* default TCP */
	uint16_t dport;	   /* default 25 */
	uint16_t frag_off; /* IPv4 flags+offset, host order */
	int ihl;	   /* IPv4 IHL field; 0 = right value */
	int ip_opts;	   /* IPv4 option words really present */
	int ip_version;	   /* 0 = right value */
	int tot_len_short; /* IPv4 total length set below the header */
	int hbh;	   /* IPv6: hop-by-hop header before TCP */
	int doff;	   /* TCP data offset field; 0 = right value */
	int tcp_opts;	   /* TCP option words really present */
	size_t cut;	   /* truncate the frame to this many bytes */
	enum expect expect;
};

static const struct fixture fixtures[] = {
	{ "IPv4 SYN to listen:25", 4, .src = "10.77.52.2", .dst = LISTEN4, .expect = X_STEER },
	{ "IPv4 with options and TCP options", 4, .src = "10.77.52.2", .dst = LISTEN4, .ip_opts = 2,
	  .tcp_opts = 3, .expect = X_STEER },
	{ "IPv4 to listen:22 (ssh)", 4, .src = "10.77.52.2", .dst = LISTEN4, .dport = 22, .expect = X_PASS },
	{ "IPv4 to another address:25", 4, .src = "10.77.52.2", .dst = "10.77.52.9", .expect = X_PASS },
	{ "IPv4 UDP to listen:25", 4, .src = "10.77.52.2", .dst = LISTEN4, .proto = 17, .expect = X_PASS },
	{ "IPv4 ICMP to listen", 4, .src = "10.77.52.2", .dst = LISTEN4, .proto = 1, .expect = X_PASS },
	{ "IPv4 first fragment", 4, .src = "10.77.52.2", .dst = LISTEN4, .frag_off = 0x2000,
	  .expect = X_PASS },
	{ "IPv4 later fragment", 4, .src = "10.77.52.2", .dst = LISTEN4, .frag_off = 0x00b9,
	  .expect = X_PASS },
	{ "IPv4 DF is not a fragment", 4, .src = "10.77.52.2", .dst = LISTEN4, .frag_off = 0x4000,
	  .expect = X_STEER },
	{ "ARP request", 0, .ethertype = 0x0806, .expect = X_PASS },
	{ "LLDP frame", 0, .ethertype = 0x88cc, .expect = X_PASS },
	{ "IPv6 SYN to listen:25", 6, .src = "fd00:77:52::2", .dst = LISTEN6, .expect = X_STEER },
	{ "IPv6 to listen:22", 6, .src = "fd00:77:52::2", .dst = LISTEN6, .dport = 22, .expect = X_PASS },
	{ "IPv6 to another address", 6, .src = "fd00:77:52::2", .dst = "fd00:77:52::9", .expect = X_PASS },
	{ "IPv6 UDP", 6, .src = "fd00:77:52::2", .dst = LISTEN6, .proto = 17, .expect = X_PASS },
	{ "IPv6 hop-by-hop then TCP", 6, .src = "fd00:77:52::2", .dst = LISTEN6, .hbh = 1, .expect = X_PASS },
	{ "VLAN IPv4 SYN to listen:25", 4, .vlans = 1, .src = "10.77.52.2", .dst = LISTEN4,
	  .expect = X_PASS },
	{ "QinQ IPv6 SYN to listen:25", 6, .vlans = 2, .src = "fd00:77:52::2", .dst = LISTEN6,
	  .expect = X_PASS },
	{ "three VLAN tags", 4, .vlans = 3, .src = "10.77.52.2", .dst = LISTEN4, .expect = X_MALFORMED },
	{ "VLAN tag cut short", 4, .vlans = 1, .src = "10.77.52.2", .dst = LISTEN4, .cut = 16,
	  .expect = X_MALFORMED },
	{ "bare Ethernet header", 4, .src = "10.77.52.2", .dst = LISTEN4, .cut = 14, .expect = X_MALFORMED },
	{ "IPv4 header cut short", 4, .src = "10.77.52.2", .dst = LISTEN4, .cut = 14 + 19,
	  .expect = X_MALFORMED },
	{ "IPv4 IHL 4", 4, .src = "10.77.52.2", .dst = LISTEN4, .ihl = 4, .expect = X_MALFORMED },
	{ "IPv4 IHL 15 past the frame", 4, .src = "10.77.52.2", .dst = LISTEN4, .ihl = 15, .cut = 14 + 40,
	  .expect = X_MALFORMED },
	{ "IPv4 options cut short", 4, .src = "10.77.52.2", .dst = LISTEN4, .ip_opts = 4, .cut = 14 + 30,
	  .expect = X_MALFORMED },
	{ "IPv4 version 5", 4, .src = "10.77.52.2", .dst = LISTEN4, .ip_version = 5, .expect = X_MALFORMED },
	{ "IPv4 total length below header", 4, .src = "10.77.52.2", .dst = LISTEN4, .tot_len_short = 1,
	  .expect = X_MALFORMED },
	{ "TCP header cut short", 4, .src = "10.77.52.2", .dst = LISTEN4, .cut = 14 + 20 + 19,
	  .expect = X_MALFORMED },
	{ "TCP data offset 4", 4, .src = "10.77.52.2", .dst = LISTEN4, .doff = 4, .expect = X_MALFORMED },
	{ "TCP options past the frame", 4, .src = "10.77.52.2", .dst = LISTEN4, .doff = 15,
	  .expect = X_MALFORMED },
	{ "TCP to other address cut short", 4, .src = "10.77.52.2", .dst = "10.77.52.9", .cut = 14 + 20 + 4,
	  .expect = X_PASS },
	{ "IPv6 header cut short", 6, .src = "fd00:77:52::2", .dst = LISTEN6, .cut = 14 + 39,
	  .expect = X_MALFORMED },
	{ "IPv6 version 4", 6, .src = "fd00:77:52::2", .dst = LISTEN6, .ip_version = 4,
	  .expect = X_MALFORMED },
	{ "IPv6 TCP cut short", 6, .src = "fd00:77:52::2", .dst = LISTEN6, .cut = 14 + 40 + 12,
	  .expect = X_MALFORMED },
	{ "blocked IPv4 /32 to listen:25", 4, .src = "10.77.53.5", .dst = LISTEN4, .expect = X_DROP },
	{ "blocked IPv4 in /24 to listen:25", 4, .src = "10.77.54.200", .dst = LISTEN4, .expect = X_DROP },
	{ "blocked IPv4 to listen:22 (ssh stays)", 4, .src = "10.77.53.5", .dst = LISTEN4, .dport = 22,
	  .expect = X_PASS },
	{ "neighbour of a blocked /32", 4, .src = "10.77.53.6", .dst = LISTEN4, .expect = X_STEER },
	{ "blocked IPv6 in /64 to listen:25", 6, .src = "fd00:77:53::abcd", .dst = LISTEN6,
	  .expect = X_DROP },
	{ "IPv6 outside the blocked /64", 6, .src = "fd00:77:53:1::1", .dst = LISTEN6, .expect = X_STEER },
};

static const char *const blocked[] = { "10.77.53.5", "10.77.54.0/24", "fd00:77:53::/64" };

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One's complement sum, so the frames are valid where they should be. */
static uint16_t
csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static size_t
build_tcp(const struct fixture *f, uint8_t *p)
{
	int words = 5 + f->tcp_opts;

	memset(p, 0, (size_t)words * 4);
	put16(p, 40000);
	put16(p + 2, f->dport ? f->dport : 25);
	p[12] = (uint8_t)((f->doff ? f->doff : words) << 4);
	p[13] = 0x02; /* SYN */
	put16(p + 14, 65535);
	for (int i = 20; i < words * 4; i++)
		p[i] = 1; /* NOP options */
	return (size_t)words * 4;
}

static size_t
build(const struct fixture *f, uint8_t *p)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0x77, 0x52, 1, 2, 0, 0, 0x77, 0x52, 2 };
	uint16_t inner = f->family == 4 ? 0x0800 : f->family == 6 ? 0x86dd : f->ethertype;
	uint8_t proto = f->proto ? f->proto : 6;
	size_t off = 12, ip, len;

	memset(p, 0, PKT_MAX);
	memcpy(p, macs, sizeof(macs));
	for (int v = 0; v < f->vlans; v++, off += 4) {
		put16(p + off, v == 0 && f->vlans > 1 ? 0x88a8 : 0x8100);
		put16(p + off + 2, (uint16_t)(100 + v));
	}
	put16(p + off, inner);
	ip = off + 2;
	if (f->family == 4) {
		size_t hlen = 20 + (size_t)f->ip_opts * 4;

		p[ip] = (uint8_t)((f->ip_version ? f->ip_version : 4) << 4 |
				  (f->ihl ? f->ihl : (int)hlen / 4));
		put16(p + ip + 6, f->frag_off);
		p[ip + 8] = 64;
		p[ip + 9] = proto;
		inet_pton(AF_INET, f->src, p + ip + 12);
		inet_pton(AF_INET, f->dst, p + ip + 16);
		memset(p + ip + 20, 1, hlen - 20);
		len = ip + hlen + (proto == 6 ? build_tcp(f, p + ip + hlen) : 8);
		put16(p + ip + 2, f->tot_len_short ? 16 : (uint16_t)(len - ip));
		put16(p + ip + 10, csum(p + ip, hlen));
	} else if (f->family == 6) {
		size_t th = ip + 40 + (f->hbh ? 8 : 0);

		p[ip] = (uint8_t)((f->ip_version ? f->ip_version : 6) << 4);
		p[ip + 6] = f->hbh ? 0 : proto;
		p[ip + 7] = 64;
		inet_pton(AF_INET6, f->src, p + ip + 8);
		inet_pton(AF_INET6, f->dst, p + ip + 24);
		if (f->hbh)
			p[ip + 40] = proto; /* then length 0 and PadN */
		len = th + (proto == 6 ? build_tcp(f, p + th) : 8);
		put16(p + ip + 4, (uint16_t)(len - ip - 40));
	} else {
		len = ip + 28; /* an ARP-sized payload */
		put16(p + ip, 1);
		put16(p + ip + 2, 0x0800);
		p[ip + 4] = 6;
		p[ip + 5] = 4;
		put16(p + ip + 6, 1);
		inet_pton(AF_INET, LISTEN4, p + ip + 24);
	}
	if (len < 60)
		len = 60; /* Ethernet minimum, zero padded */
	return f->cut ? f->cut : len;
}

/* ----------------------------------------------------------- program */

struct ctx {
	struct rcptgate_xdp *skel;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	void *umem_area;
};

static struct ctx ctx;

static const char *
counter_name(enum rg_xdp_counter c)
{
	static const char *const names[] = {
#define NAME(id, name, kind, help) name,
		RG_XDP_COUNTERS(NAME)
#undef NAME
	};
	return names[c];
}

static void
set_config(uint16_t port)
{
	struct rg_xdp_config c;
	__u32 zero = 0;

	memset(&c, 0, sizeof(c));
	c.port = htons(port);
	c.n_addr4 = 1;
	inet_pton(AF_INET, LISTEN4, &c.addr4[0]);
	c.n_addr6 = 1;
	inet_pton(AF_INET6, LISTEN6, c.addr6[0].b);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(ctx.skel->maps.rg_config), &zero, &c, BPF_ANY), 0);
}

static struct xdp_block
skel_block(void)
{
	struct xdp_block b = {
		.fd4 = bpf_map__fd(ctx.skel->maps.rg_block4),
		.fd6 = bpf_map__fd(ctx.skel->maps.rg_block6),
	};
	return b;
}

/*
 * Run FRAME through the program; check it comes back unchanged and
 * that exactly one counter moved. Return the action; *MOVED is the
 * counter that moved.
 */
static int
run(const uint8_t *frame, size_t len, enum rg_xdp_counter *moved)
{
	uint64_t before[RG_XDP_C_MAX], after[RG_XDP_C_MAX];
	uint8_t out[PKT_MAX + 64];
	RG_BPF_OPTS(bpf_test_run_opts, o);
	o.data_in = frame;
	o.data_size_in = (__u32)len;
	o.data_out = out;
	o.data_size_out = sizeof(out);
	o.repeat = 1;
	int fd = bpf_map__fd(ctx.skel->maps.rg_xdp_stats);
	unsigned n_moved = 0;

	assert_int_equal(xdp_stats_read(fd, before), 0);
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(ctx.skel->progs.rg_xdp_steer), &o), 0);
	assert_int_equal(xdp_stats_read(fd, after), 0);
	assert_int_equal(o.data_size_out, len);
	assert_memory_equal(out, frame, len);
	for (int c = 0; c < RG_XDP_C_MAX; c++) {
		if (after[c] == before[c])
			continue;
		assert_int_equal(after[c] - before[c], 1);
		*moved = (enum rg_xdp_counter)c;
		n_moved++;
	}
	assert_int_equal(n_moved, 1);
	return (int)o.retval;
}

static void
block_fixture_list(void)
{
	struct xdp_block b = skel_block();
	struct rg_cidr c;

	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
		assert_int_equal(rg_cidr_parse(blocked[i], &c), 0);
		assert_int_equal(xdp_block_add(&b, &c), 0);
	}
}

static void
block_clear(void)
{
	struct xdp_block b = skel_block();
	struct rg_cidr list[8];
	int n = xdp_block_list(&b, list, 8);

	assert_in_range(n, 0, 8);
	for (int i = 0; i < n; i++)
		assert_int_equal(xdp_block_del(&b, &list[i]), 0);
}

static void
test_fixtures(void **state)
{
	uint8_t frame[PKT_MAX];
	(void)state;

	set_config(25);
	block_fixture_list();
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *f = &fixtures[i];
		static const struct {
			int act;
			enum rg_xdp_counter ctr;
		} want[] = {
			/* no socket on queue 0 here: a steered frame falls back to the kernel */
			[X_STEER] = { XDP_PASS, RG_XDP_C_XDP_NO_XSK },
			[X_PASS] = { XDP_PASS, RG_XDP_C_XDP_PASSED },
			[X_DROP] = { XDP_DROP, RG_XDP_C_XDP_DROP_BLOCKED },
			[X_MALFORMED] = { XDP_PASS, RG_XDP_C_XDP_MALFORMED },
		};
		size_t len = build(f, frame);
		enum rg_xdp_counter moved = RG_XDP_C_MAX;
		int act = run(frame, len, &moved);

		if (act != want[f->expect].act || moved != want[f->expect].ctr)
			fail_msg("%s: action %d counter %s, want %d %s", f->desc, act, counter_name(moved),
				 want[f->expect].act, counter_name(want[f->expect].ctr));
	}
	block_clear();
}

static void
test_unconfigured_steers_nothing(void **state)
{
	uint8_t frame[PKT_MAX];
	enum rg_xdp_counter moved;
	size_t len;
	(void)state;

	set_config(0);
	len = build(&fixtures[0], frame);
	assert_int_equal(run(frame, len, &moved), XDP_PASS);
	assert_int_equal(moved, RG_XDP_C_XDP_PASSED);
	set_config(25);
	assert_int_equal(run(frame, len, &moved), XDP_PASS);
	assert_int_equal(moved, RG_XDP_C_XDP_NO_XSK);
}

static void
test_stats_add(void **state)
{
	uint64_t ctr[RG_C_MAX], xdp[RG_XDP_C_MAX];
	int fd = bpf_map__fd(ctx.skel->maps.rg_xdp_stats);
	(void)state;

	for (int i = 0; i < RG_C_MAX; i++)
		ctr[i] = 7;
	assert_int_equal(xdp_stats_read(fd, xdp), 0);
	assert_int_equal(xdp_stats_add(fd, ctr), 0);
	assert_true(xdp[RG_XDP_C_XDP_PASSED] > 0);
	for (int i = 0; i < RG_XDP_C_MAX; i++)
		assert_int_equal(ctr[RG_C_XDP_STEERED + i], 7 + xdp[i]);
	assert_int_equal(ctr[RG_C_DROP_BLOCKED], 7);
	assert_string_equal(rg_counter_info[RG_C_XDP_DROP_BLOCKED].name, "xdp_drop_blocked");
	assert_int_equal(xdp_stats_read(-1, xdp), -EBADF);
	assert_int_equal(xdp[RG_XDP_C_XDP_PASSED], 0);
}

/* Bind an AF_XDP socket to lo queue 0 (copy mode) and put it in xsks_map. */
static int
xsk_on_lo(void)
{
	struct xsk_umem_config ucfg = {
		.fill_size = 64,
		.comp_size = 64,
		.frame_size = 4096,
		.frame_headroom = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = 64,
		.tx_size = 64,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = XDP_FLAGS_SKB_MODE,
		.bind_flags = XDP_COPY,
	};
	static struct xsk_ring_prod fq, tx;
	static struct xsk_ring_cons cq, rx;
	size_t size = 64 * 4096;
	__u32 q0 = 0;
	int fd;

	ctx.umem_area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ctx.umem_area == MAP_FAILED) {
		ctx.umem_area = NULL;
		return -errno;
	}
	if (xsk_umem__create(&ctx.umem, ctx.umem_area, size, &fq, &cq, &ucfg) < 0)
		return -1;
	if (xsk_socket__create(&ctx.xsk, "lo", 0, ctx.umem, &rx, &tx, &scfg) < 0)
		return -1;
	fd = xsk_socket__fd(ctx.xsk);
	return bpf_map_update_elem(bpf_map__fd(ctx.skel->maps.xsks_map), &q0, &fd, BPF_ANY);
}

static void
test_steer_redirects_to_socket(void **state)
{
	uint8_t frame[PKT_MAX];
	enum rg_xdp_counter moved;
	__u32 q0 = 0;
	(void)state;

	if (xsk_on_lo() != 0) {
		print_message("no AF_XDP socket on lo: redirect not checked\n");
		skip();
	}
	set_config(25);
	block_fixture_list();
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *f = &fixtures[i];
		size_t len = build(f, frame);
		int act = run(frame, len, &moved);

		if (f->expect != X_STEER)
			continue;
		if (act != XDP_REDIRECT || moved != RG_XDP_C_XDP_STEERED)
			fail_msg("%s: action %d counter %s, want redirect", f->desc, act,
				 counter_name(moved));
	}
	block_clear();
	assert_int_equal(bpf_map_delete_elem(bpf_map__fd(ctx.skel->maps.xsks_map), &q0), 0);
}

/* --------------------------------------------------------- blocklist */

static void
test_block_add_del_list(void **state)
{
	struct xdp_block b = skel_block(), none = { -1, -1 };
	struct rg_cidr c, c6, list[4];
	char buf[RG_CIDR_STR_MAX];
	uint8_t frame[PKT_MAX];
	struct fixture f = fixtures[0];
	enum rg_xdp_counter moved;
	size_t len;
	(void)state;

	set_config(25);
	f.src = "10.77.55.9";
	len = build(&f, frame);
	assert_int_equal(xdp_block_list(&b, list, 4), 0);

	assert_int_equal(rg_cidr_parse("10.77.55.0/24", &c), 0);
	assert_int_equal(xdp_block_add(&b, &c), 0);
	assert_int_equal(xdp_block_add(&b, &c), 0); /* idempotent */
	assert_int_equal(rg_cidr_parse("fd00:77:55::/48", &c6), 0);
	assert_int_equal(xdp_block_add(&b, &c6), 0);
	assert_int_equal(xdp_block_list(&b, list, 4), 2);
	assert_int_equal(rg_cidr_format(&list[0], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "10.77.55.0/24");
	assert_int_equal(rg_cidr_format(&list[1], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "fd00:77:55::/48");
	assert_int_equal(xdp_block_list(&b, list, 1), 2); /* counts past MAX */
	assert_int_equal(run(frame, len, &moved), XDP_DROP);

	assert_int_equal(xdp_block_del(&b, &c), 0);
	assert_int_equal(xdp_block_del(&b, &c), -ENOENT);
	assert_int_equal(run(frame, len, &moved), XDP_PASS);
	assert_int_equal(moved, RG_XDP_C_XDP_NO_XSK);
	assert_int_equal(xdp_block_del(&b, &c6), 0);
	assert_int_equal(xdp_block_list(&b, list, 4), 0);

	assert_int_equal(xdp_block_add(&none, &c), -EBADF);
	c.prefixlen = 33;
	assert_int_equal(xdp_block_add(&b, &c), -EINVAL);
}

static void
pin_dir_path(char *buf, size_t len)
{
	snprintf(buf, len, "/sys/fs/bpf/rgxdp_test_%d", (int)getpid());
}

static void
test_block_pinned(void **state)
{
	struct xdp_block p, again, b = skel_block();
	struct rg_cidr c, list[4];
	char dir[64];
	(void)state;

	pin_dir_path(dir, sizeof(dir));
	pin_dir_remove(dir);
	assert_int_equal(xdp_block_open(dir, 0, &p), -ENOENT);
	assert_int_equal(xdp_block_open(dir, 1, &p), 0);
	assert_int_equal(rg_cidr_parse("10.77.56.0/25", &c), 0);
	assert_int_equal(xdp_block_add(&p, &c), 0);
	xdp_block_close(&p);
	xdp_block_close(&p); /* twice is safe */

	assert_int_equal(xdp_block_open(dir, 0, &again), 0);
	assert_int_equal(xdp_block_list(&again, list, 4), 1);
	assert_int_equal(xdp_block_copy(&again, &b), 1);
	assert_int_equal(xdp_block_list(&b, list, 4), 1);
	assert_int_equal(list[0].prefixlen, 25);
	xdp_block_close(&again);
	block_clear();
	pin_dir_remove(dir);

	/* a pin of the wrong layout is refused */
	assert_int_equal(mkdir(dir, 0700), 0);
	{
		char path[128];
		int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "wrong", 8, 4, 4, NULL);

		assert_true(fd >= 0);
		snprintf(path, sizeof(path), "%s/%s", dir, RG_XDP_MAP_BLOCK4);
		assert_int_equal(bpf_obj_pin(fd, path), 0);
		close(fd);
	}
	assert_int_equal(xdp_block_open(dir, 1, &p), -EINVAL);
	pin_dir_remove(dir);
}

/* --------------------------------------------------------- life cycle */

static int
lo_index(void)
{
	return (int)if_nametoindex("lo");
}

static void
lo_attach(int prog_fd)
{
	assert_int_equal(
		bpf_xdp_attach(lo_index(), prog_fd, XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL),
		0);
}

static uint32_t
lo_prog(void)
{
	uint32_t id, flags;

	assert_int_equal(xdp_attached_id(lo_index(), &id, &flags), 0);
	return id;
}

static void
set_owner(uint32_t pid)
{
	struct rg_xdp_config c;
	__u32 zero = 0;
	int fd = bpf_map__fd(ctx.skel->maps.rg_config);

	assert_int_equal(bpf_map_lookup_elem(fd, &zero, &c), 0);
	c.owner_pid = pid;
	assert_int_equal(bpf_map_update_elem(fd, &zero, &c, BPF_ANY), 0);
}

static void
lifecycle_cfg(struct rg_config *cfg)
{
	cfg_defaults(cfg);
	cfg->port_mode = CFG_PORT_AF_XDP;
	snprintf(cfg->interface, sizeof(cfg->interface), "lo");
	pin_dir_path(cfg->bpf_pin_dir, sizeof(cfg->bpf_pin_dir));
	inet_pton(AF_INET, "10.77.57.1", &cfg->listen_addr);
	inet_pton(AF_INET6, "fd00:77:57::1", &cfg->listen_addr6);
	cfg->listen_port = 2525;
}

static void
test_lifecycle(void **state)
{
	struct rg_config cfg;
	struct xdp_state st, st2;
	struct xdp_block pinned;
	struct rg_cidr c, list[4];
	struct rg_xdp_config got;
	struct bpf_insn pass[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char path[CFG_STR_MAX + 32];
	int prog = bpf_program__fd(ctx.skel->progs.rg_xdp_steer);
	int foreign;
	__u32 zero = 0;
	pid_t child;
	(void)state;

	lifecycle_cfg(&cfg);
	pin_dir_remove(cfg.bpf_pin_dir);
	assert_int_equal(lo_prog(), 0);

	/* a previous run left a blocklist pinned */
	assert_int_equal(xdp_block_open(cfg.bpf_pin_dir, 1, &pinned), 0);
	assert_int_equal(rg_cidr_parse("10.77.58.0/24", &c), 0);
	assert_int_equal(xdp_block_add(&pinned, &c), 0);
	xdp_block_close(&pinned);

	/* start: nothing on lo yet; then "the PMD" attaches the object */
	assert_int_equal(xdp_prepare(&cfg, &st), 0);
	lo_attach(prog);
	assert_int_equal(xdp_setup(&cfg, &st, 0), 0);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(ctx.skel->maps.rg_config), &zero, &got), 0);
	assert_int_equal(got.owner_pid, (uint32_t)getpid());
	assert_int_equal(got.port, htons(2525));
	assert_int_equal(got.n_addr4, 1);
	assert_int_equal(got.addr4[0], cfg.listen_addr.s_addr);
	assert_int_equal(got.n_addr6, 1); /* the IPv6 listen address is steered too */
	assert_memory_equal(got.addr6[0].b, &cfg.listen_addr6, 16);
	/* the blocklist was taken over and the pins are the program's maps */
	assert_int_equal(xdp_block_list(&st.block, list, 4), 1);
	assert_int_equal(xdp_block_open(cfg.bpf_pin_dir, 0, &pinned), 0);
	assert_int_equal(rg_cidr_parse("10.77.59.0/24", &c), 0);
	assert_int_equal(xdp_block_add(&pinned, &c), 0);
	xdp_block_close(&pinned);
	assert_int_equal(
		xdp_block_list(&(struct xdp_block){ bpf_map__fd(ctx.skel->maps.rg_block4), -1 }, list, 4), 2);
	snprintf(path, sizeof(path), "%s/%s", cfg.bpf_pin_dir, RG_XDP_MAP_STATS);
	assert_int_equal(access(path, F_OK), 0);

	/* a second daemon while this one lives: refused */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	set_owner((uint32_t)child);
	assert_int_equal(xdp_prepare(&cfg, &st2), -EBUSY);
	assert_int_equal(lo_prog(), st.prog_id);

	/* the owner dies: the program is stale and is detached */
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(xdp_prepare(&cfg, &st2), 0);
	assert_int_equal(lo_prog(), 0);

	/* shutdown after the PMD detached: pins of config and stats go, the blocklist stays */
	xdp_shutdown(&st);
	xdp_shutdown(&st);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(xdp_block_open(cfg.bpf_pin_dir, 0, &pinned), 0);
	xdp_block_close(&pinned);

	/* shutdown with the program still attached detaches it */
	lo_attach(prog);
	assert_int_equal(xdp_setup(&cfg, &st, 0), 0);
	xdp_shutdown(&st);
	assert_int_equal(lo_prog(), 0);

	/* a program that is not ours is left alone */
	foreign = bpf_prog_load(BPF_PROG_TYPE_XDP, "foreign", "GPL", pass, 2, NULL);
	assert_true(foreign >= 0);
	lo_attach(foreign);
	assert_int_equal(xdp_prepare(&cfg, &st2), -EEXIST);
	assert_int_equal(xdp_setup(&cfg, &st2, 0), -ENOENT);
	assert_int_not_equal(lo_prog(), 0);
	assert_int_equal(bpf_xdp_detach(lo_index(), XDP_FLAGS_SKB_MODE, NULL), 0);
	close(foreign);

	block_clear();
	pin_dir_remove(cfg.bpf_pin_dir);
}

/* -------------------------------------------------------------- main */

static int
lo_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0), rc;

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (rc == 0)
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return rc;
}

static int
libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Load the program in a private network namespace, or say why not. */
static const char *
bpf_unavailable(void)
{
	if (geteuid() != 0)
		return "loading BPF needs root";
	if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0)
		return "cannot make a private network namespace";
	ctx.skel = rcptgate_xdp__open_and_load();
	if (ctx.skel == NULL)
		return "the kernel refused to load the XDP program";
	return NULL;
}

int
main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_cidr_parse),
	};
	const struct CMUnitTest bpf[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_unconfigured_steers_nothing),
		cmocka_unit_test(test_stats_add),
		cmocka_unit_test(test_block_add_del_list),
		cmocka_unit_test(test_block_pinned),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_steer_redirects_to_socket),
	};
	const char *why;
	int rc;

	msg_set_verbose(0);
	rc = cmocka_run_group_tests_name("cidr", plain, NULL, NULL);
	if (rc != 0)
		return rc;
	libbpf_set_print(libbpf_quiet);
	why = bpf_unavailable();
	if (why != NULL) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	rc = cmocka_run_group_tests_name("xdp", bpf, NULL, NULL);
	{
		char dir[64];

		pin_dir_path(dir, sizeof(dir));
		pin_dir_remove(dir); /* a failed test leaves its pins */
	}
	if (ctx.xsk)
		xsk_socket__delete(ctx.xsk);
	if (ctx.umem)
		xsk_umem__delete(ctx.umem);
	rcptgate_xdp__destroy(ctx.skel);
	return rc;
}
