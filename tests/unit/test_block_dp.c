/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_block_dp - the workers' blocklist and the dictionary-attack blocks
 * DESCRIPTION
 *	1. The bookkeeping of automatic entries (dictblock.c): add, find,
 *	   delete, expiry in order, the bound, the time left; the prefix an
 *	   anvil client stands for (/32, /64). No privileges needed.
 *	2. The workers' copy of the pinned blocklist (xdp_lpm.c): rte_lpm
 *	   for IPv4 and rte_lpm6 for IPv6, each family rebuilt alone and the
 *	   other carried over; the reason stored with each entry.
 *	3. The hand-off (ctl_dict.c) on a daemon state built by hand with
 *	   one worker: reports through the ring become blocklist entries the
 *	   workers' table holds, with their expiry; a second report of the
 *	   same client, a client inside a manual prefix and a full table are
 *	   not blocked again; a full ring is counted; expired entries are
 *	   released; "block list" shows reason and seconds left; "block del"
 *	   releases an automatic entry.
 *
 *	Parts 2 and 3 need root (pins under /sys/fs/bpf) and EAL without
 *	hugepages; otherwise they are skipped.
 * DIAGNOSTICS
 *	cmocka failures.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <rte_eal.h>

#include <rcptgate/ctl_proto.h>

#include "anvil.h"
#include "cidr.h"
#include "ctl/ctl_daemon.h"
#include "daemon.h"
#include "dictblock.h"
#include "bpf_pins.h"
#include "msg.h"
#include "xdp.h"
#include "xdp_lpm.h"
#include "eal_nohuge.h"

static int eal_ready;

static void
need_bpf(void)
{
	if (!eal_ready || geteuid() != 0) {
		print_message("needs root and EAL: not checked\n");
		skip();
	}
}

static void
block_cfg(struct rg_config *cfg)
{
	cfg_defaults(cfg);
	snprintf(cfg->bpf_pin_dir, sizeof(cfg->bpf_pin_dir), "/sys/fs/bpf/rgblk_test_%d", (int)getpid());
}

static struct rg_cidr
cidr(const char *text)
{
	struct rg_cidr c;

	assert_int_equal(rg_cidr_parse(text, &c), 0);
	return c;
}

/* ------------------------------------------------ automatic entries */

static void
test_dictblock(void **state)
{
	struct dictblock t;
	struct dictblock_entry e;
	struct rg_cidr a = cidr("192.0.2.7"), b = cidr("2001:db8:1::/64"), c = cidr("192.0.2.8");
	(void)state;

	assert_int_equal(dictblock_init(&t, 2), 0);
	assert_int_equal(dictblock_next_ms(&t, 0), -1);
	assert_int_equal(dictblock_add(&t, &a, 1000, 5000, 20), 0);
	assert_int_equal(dictblock_add(&t, &a, 2000, 5000, 20), -EEXIST); /* its time unchanged */
	assert_int_equal(dictblock_add(&t, &b, 2000, 1000, 30), 0);
	assert_int_equal(dictblock_add(&t, &c, 2000, 1000, 30), -ENOSPC); /* the bound */
	assert_null(dictblock_find(&t, &c));
	assert_non_null(dictblock_find(&t, &a));
	assert_int_equal(dictblock_find(&t, &a)->expires_ms, 6000);
	assert_int_equal(dictblock_find(&t, &a)->rejects, 20);
	assert_int_equal(dictblock_left_s(dictblock_find(&t, &a), 1001), 5); /* rounded up */
	assert_int_equal(dictblock_left_s(dictblock_find(&t, &a), 7000), 0);
	assert_int_equal(dictblock_next_ms(&t, 2500), 500); /* b first */
	assert_false(dictblock_pop_expired(&t, 2999, &e));
	assert_true(dictblock_pop_expired(&t, 3000, &e));
	assert_int_equal(e.cidr.prefixlen, 64);
	assert_false(dictblock_pop_expired(&t, 3000, &e));
	assert_int_equal(dictblock_next_ms(&t, 3000), 3000);
	assert_int_equal(dictblock_next_ms(&t, 9000), 0);	   /* overdue */
	assert_int_equal(dictblock_add(&t, &c, 3000, 1000, 1), 0); /* room again */
	assert_true(dictblock_del(&t, &a));
	assert_false(dictblock_del(&t, &a));
	assert_true(dictblock_pop_expired(&t, 4000, &e));
	assert_int_equal(memcmp(e.cidr.addr, c.addr, 4), 0);
	assert_int_equal(t.n, 0);
	dictblock_fini(&t);
	dictblock_fini(&t);
}

static void
test_anvil_key_cidr(void **state)
{
	uint8_t a6[16];
	char buf[RG_CIDR_STR_MAX];
	struct anvil_key k = anvil_key_v4(inet_addr("198.51.100.23"));
	struct rg_cidr c = anvil_key_cidr(&k);
	(void)state;

	assert_int_equal(rg_cidr_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "198.51.100.23/32");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:aa:bb:1:2:3:4", a6), 1);
	k = anvil_key_v6(a6);
	c = anvil_key_cidr(&k);
	assert_int_equal(rg_cidr_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8:aa:bb::/64");
}

/* ------------------------------------------------ workers' blocklist */

static bool
lpm_hit(const struct xdp_lpm *t, const char *addr)
{
	uint8_t a6[16];
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return xdp_lpm_blocked4(t, ntohl(a4.s_addr));
	assert_int_equal(inet_pton(AF_INET6, addr, a6), 1);
	return xdp_lpm_blocked6(t, a6);
}

static void
block_add_text(const struct xdp_block *p, const char *text)
{
	struct rg_cidr c;

	assert_int_equal(rg_cidr_parse(text, &c), 0);
	assert_int_equal(xdp_block_add(p, &c), 0);
}

static void
test_lpm_build(void **state)
{
	static const char *const list[] = { "10.77.51.0/24", "10.77.52.7", "10.77.53.128/25" };
	static const char *const list6[] = { "fd00:77::/32", "2001:db8:1:2::/64", "2001:db8::7" };
	struct rg_config cfg;
	struct xdp_block p;
	struct xdp_lpm *lpm, *next;
	(void)state;

	need_bpf();
	block_cfg(&cfg);
	pin_dir_remove(cfg.bpf_pin_dir);
	assert_int_equal(xdp_lpm_load(&cfg, &lpm), 0); /* nothing pinned */
	assert_null(lpm);
	assert_int_equal(xdp_block_open(cfg.bpf_pin_dir, 1, &p), 0);
	assert_int_equal(xdp_lpm_build(&p, XDP_LPM_ALL, NULL, &lpm), 0); /* empty list */
	assert_null(lpm);

	/* IPv6 only: an rte_lpm6 table, no IPv4 one */
	for (size_t i = 0; i < sizeof(list6) / sizeof(list6[0]); i++)
		block_add_text(&p, list6[i]);
	assert_int_equal(xdp_lpm_build(&p, XDP_LPM_ALL, NULL, &lpm), 3);
	assert_non_null(lpm);
	assert_null(lpm->v4);
	assert_non_null(lpm->v6);
	assert_true(lpm_hit(lpm, "fd00:77:ffff::1"));
	assert_false(lpm_hit(lpm, "fd00:78::1"));
	assert_true(lpm_hit(lpm, "2001:db8:1:2:aaaa:bbbb:cccc:dddd")); /* a /64: any host in it */
	assert_false(lpm_hit(lpm, "2001:db8:1:3::1"));
	assert_true(lpm_hit(lpm, "2001:db8::7")); /* a /128 */
	assert_false(lpm_hit(lpm, "2001:db8::8"));
	assert_false(lpm_hit(lpm, "10.77.51.1"));

	/* IPv4 added: only the IPv4 table is built, the IPv6 one carried over */
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		block_add_text(&p, list[i]);
	assert_int_equal(xdp_lpm_build(&p, XDP_LPM_V4, lpm, &next), 3);
	assert_ptr_equal(next->v6, lpm->v6);
	assert_int_equal(next->gen, lpm->gen + 1);
	xdp_lpm_free(lpm, next); /* retires the old struct, not the shared IPv6 table */
	lpm = next;
	assert_true(lpm_hit(lpm, "10.77.51.200"));
	assert_true(lpm_hit(lpm, "10.77.52.7"));
	assert_false(lpm_hit(lpm, "10.77.52.8"));
	assert_true(lpm_hit(lpm, "10.77.53.129"));
	assert_false(lpm_hit(lpm, "10.77.53.127"));
	assert_false(lpm_hit(lpm, "10.77.50.1"));
	assert_true(lpm_hit(lpm, "fd00:77::9")); /* still served from the carried table */

	/* IPv6 rebuilt after a delete; IPv4 carried over */
	struct rg_cidr c;
	assert_int_equal(rg_cidr_parse("2001:db8:1:2::/64", &c), 0);
	assert_int_equal(xdp_block_del(&p, &c), 0);
	assert_int_equal(xdp_lpm_build(&p, XDP_LPM_V6, lpm, &next), 2);
	assert_ptr_equal(next->v4, lpm->v4);
	assert_ptr_not_equal(next->v6, lpm->v6);
	xdp_lpm_free(lpm, next);
	lpm = next;
	assert_false(lpm_hit(lpm, "2001:db8:1:2::1"));
	assert_true(lpm_hit(lpm, "2001:db8::7"));
	assert_true(lpm_hit(lpm, "10.77.52.7"));
	xdp_lpm_free(lpm, NULL);

	assert_int_equal(xdp_lpm_load(&cfg, &lpm), 5); /* from the pins */
	assert_true(lpm_hit(lpm, "10.77.52.7"));
	assert_true(lpm_hit(lpm, "fd00:77::1"));
	xdp_lpm_free(lpm, NULL);

	block_add_text(&p, "0.0.0.0/0"); /* neither table has depth 0 */
	block_add_text(&p, "::/0");
	assert_int_equal(xdp_lpm_build(&p, XDP_LPM_ALL, NULL, &lpm), 7);
	assert_true(lpm_hit(lpm, "192.0.2.1"));
	assert_true(lpm_hit(lpm, "203.0.113.1"));
	assert_true(lpm_hit(lpm, "::1"));
	assert_true(lpm_hit(lpm, "ff02::1"));
	xdp_lpm_free(lpm, NULL);
	xdp_block_close(&p);
	pin_dir_remove(cfg.bpf_pin_dir);
}

/* The reason stored with an entry, and kept by xdp_block_copy. */
static void
test_block_reason(void **state)
{
	struct rg_config cfg;
	struct xdp_block p, q;
	struct rg_cidr c, host;
	uint32_t why = 99;
	char dir2[CFG_STR_MAX + 8];
	(void)state;

	need_bpf();
	block_cfg(&cfg);
	pin_dir_remove(cfg.bpf_pin_dir);
	assert_int_equal(xdp_block_open(cfg.bpf_pin_dir, 1, &p), 0);
	assert_int_equal(rg_cidr_parse("192.0.2.7", &c), 0);
	assert_int_equal(xdp_block_reason(&p, &c, &why), -ENOENT);
	assert_int_equal(xdp_block_add_as(&p, &c, RG_XDP_BLOCK_DICTIONARY), 0);
	assert_int_equal(xdp_block_reason(&p, &c, &why), 0);
	assert_int_equal(why, RG_XDP_BLOCK_DICTIONARY);
	assert_int_equal(rg_cidr_parse("2001:db8::/64", &c), 0);
	assert_int_equal(xdp_block_add(&p, &c), 0);
	assert_int_equal(rg_cidr_parse("2001:db8::5", &host), 0); /* held by the /64 */
	assert_int_equal(xdp_block_reason(&p, &host, &why), 0);
	assert_int_equal(why, RG_XDP_BLOCK_MANUAL);

	snprintf(dir2, sizeof(dir2), "%s2", cfg.bpf_pin_dir);
	pin_dir_remove(dir2);
	assert_int_equal(xdp_block_open(dir2, 1, &q), 0);
	assert_int_equal(xdp_block_copy(&p, &q), 2);
	assert_int_equal(rg_cidr_parse("192.0.2.7", &c), 0);
	assert_int_equal(xdp_block_reason(&q, &c, &why), 0);
	assert_int_equal(why, RG_XDP_BLOCK_DICTIONARY);
	assert_int_equal(xdp_block_add(&q, &c), 0); /* a manual add makes it manual */
	assert_int_equal(xdp_block_reason(&q, &c, &why), 0);
	assert_int_equal(why, RG_XDP_BLOCK_MANUAL);
	xdp_block_close(&q);
	xdp_block_close(&p);
	pin_dir_remove(dir2);
	pin_dir_remove(cfg.bpf_pin_dir);
}

/* ------------------------------------------------ the hand-off */

struct dict_fixture {
	struct dp_daemon *d;
	struct dp_lcore lc;
	struct dp_counters ctr __attribute__((aligned(64)));
};

static struct dict_fixture *
dict_setup(unsigned limit)
{
	struct dict_fixture *f = aligned_alloc(64, sizeof(*f));

	assert_non_null(f);
	memset(f, 0, sizeof(*f));
	f->d = calloc(1, sizeof(*f->d));
	assert_non_null(f->d);
	block_cfg(&f->d->cfg);
	pin_dir_remove(f->d->cfg.bpf_pin_dir);
	f->d->cfg.dict_block_limit = limit;
	f->d->cfg.dict_block_time = 2;
	f->d->n_workers = 1;
	f->d->xdp.stats_fd = -1;
	f->lc.ctr = &f->ctr;
	f->d->lcores[0] = &f->lc;
	assert_int_equal(ctl_dict_start(f->d), 0);
	return f;
}

static void
dict_teardown(struct dict_fixture *f)
{
	ctl_dict_fini(f->d);
	xdp_lpm_free(f->d->block, NULL);
	pin_dir_remove(f->d->cfg.bpf_pin_dir);
	free(f->d);
	free(f);
}

static bool
dict_hit(const struct dict_fixture *f, const char *addr)
{
	return lpm_hit(f->d->block, addr);
}

static void
report(struct dict_fixture *f, const char *addr, uint32_t rejects)
{
	uint8_t a6[16];
	struct anvil_key k;

	if (inet_pton(AF_INET6, addr, a6) == 1)
		k = anvil_key_v6(a6);
	else
		k = anvil_key_v4(inet_addr(addr));
	dp_dict_report(&f->lc, &k, rejects);
}

/* The response to LINE, rendered. */
static const char *
ask(struct dict_fixture *f, const char *line, char *out, size_t cap)
{
	static struct ctl_resp r;

	ctl_handle(f->d, line, strlen(line), true, &r);
	assert_true(ctl_resp_render(&r, out, cap) > 0);
	return out;
}

static void
test_dict_handoff(void **state)
{
	static char out[CTL_RESP_MAX];
	struct dict_fixture *f;
	struct xdp_block b;
	struct rg_cidr c = cidr("192.0.2.7");
	uint32_t why;
	bool stored;
	int ms;
	(void)state;

	need_bpf();
	f = dict_setup(20);
	assert_non_null(f->lc.dict_ring);
	assert_int_equal(ctl_dict_run(f->d, 200), 200); /* nothing blocked: the longest sleep */

	report(f, "192.0.2.7", 20);
	report(f, "192.0.2.7", 20); /* the same client again (another worker) */
	report(f, "2001:db8:5:6:7::1", 25);
	assert_false(dict_hit(f, "192.0.2.7")); /* nothing until the control thread ran */
	ms = ctl_dict_run(f->d, 5000);
	assert_true(ms > 1000 && ms <= 2000); /* sleeps until the first expiry */
	assert_int_equal(f->d->ctl_ctr[RG_C_DICT_BLOCKS], 2);
	assert_int_equal(f->d->ctl_ctr[RG_C_DICT_BLOCKS_ACTIVE], 2);
	assert_true(dict_hit(f, "192.0.2.7"));
	assert_false(dict_hit(f, "192.0.2.8"));
	assert_true(dict_hit(f, "2001:db8:5:6:ffff::9")); /* its /64 */
	assert_false(dict_hit(f, "2001:db8:5:7::1"));
	assert_int_equal(xdp_block_open(f->d->cfg.bpf_pin_dir, 0, &b), 0);
	assert_int_equal(xdp_block_reason(&b, &c, &why), 0);
	assert_int_equal(why, RG_XDP_BLOCK_DICTIONARY);
	assert_int_equal(ctl_dict_left(f->d, &c), 2);

	/* list: reason and seconds left; a manual entry has no expiry */
	c = cidr("198.51.100.0/24");
	assert_int_equal(ctl_block_apply(f->d, true, &c, RG_XDP_BLOCK_MANUAL, &stored), 0);
	ask(f, "block op=list", out, sizeof(out));
	assert_non_null(strstr(out, "prefixes 3\n"));
	assert_non_null(strstr(out, "cidr 192.0.2.7/32 dictionary 2\n"));
	assert_non_null(strstr(out, "cidr 2001:db8:5:6::/64 dictionary 2\n"));
	assert_non_null(strstr(out, "cidr 198.51.100.0/24 manual\n"));

	/* inside a manual prefix: left as it is (not made to expire) */
	report(f, "198.51.100.9", 20);
	ctl_dict_run(f->d, 200);
	assert_int_equal(f->d->ctl_ctr[RG_C_DICT_BLOCKS], 2);
	assert_int_equal(ctl_dict_left(f->d, &c), -1);

	/* a full table: not blocked, counted */
	f->d->dict.blocks.max = 2;
	report(f, "203.0.113.5", 20);
	ctl_dict_run(f->d, 200);
	assert_int_equal(f->d->ctl_ctr[RG_C_DICT_BLOCKS_FAILED], 1);
	assert_false(dict_hit(f, "203.0.113.5"));

	/* block del releases an automatic entry */
	ask(f, "block op=del cidr=2001:db8:5:6::/64", out, sizeof(out));
	assert_non_null(strstr(out, "OK"));
	assert_int_equal(f->d->ctl_ctr[RG_C_DICT_RELEASES], 1);
	assert_false(dict_hit(f, "2001:db8:5:6::1"));

	/* expiry: the control thread releases, the workers see it gone */
	for (unsigned i = 0; i < f->d->dict.blocks.n; i++)
		f->d->dict.blocks.e[i].expires_ms = 0;
	ctl_dict_run(f->d, 200);
	assert_int_equal(f->d->ctl_ctr[RG_C_DICT_RELEASES], 2);
	assert_int_equal(f->d->ctl_ctr[RG_C_DICT_BLOCKS_ACTIVE], 0);
	assert_false(dict_hit(f, "192.0.2.7"));
	assert_true(dict_hit(f, "198.51.100.1")); /* the manual one stays */
	c = cidr("192.0.2.7");
	assert_int_equal(xdp_block_reason(&b, &c, &why), -ENOENT);
	xdp_block_close(&b);
	dict_teardown(f);
}

/* A full ring drops reports on the worker, counted; the rest get through. */
static void
test_dict_ring_full(void **state)
{
	struct dict_fixture *f;
	unsigned n = 0;
	(void)state;

	need_bpf();
	f = dict_setup(20);
	while (f->ctr.c[RG_C_DICT_RING_FULL] == 0 && n < 100000) {
		report(f, "192.0.2.99", 20);
		n++;
	}
	assert_int_equal(f->ctr.c[RG_C_DICT_RING_FULL], 1);
	assert_true(n > 500); /* a ring of its documented size, not a tiny one */
	ctl_dict_run(f->d, 200);
	assert_int_equal(f->d->ctl_ctr[RG_C_DICT_BLOCKS], 1);
	assert_true(dict_hit(f, "192.0.2.99"));
	report(f, "192.0.2.98", 20); /* room again */
	ctl_dict_run(f->d, 200);
	assert_int_equal(f->d->ctl_ctr[RG_C_DICT_BLOCKS], 2);
	dict_teardown(f);
}

/* Without dictionary_block_limit: no ring, nothing reported. */
static void
test_dict_off(void **state)
{
	struct dict_fixture *f;
	(void)state;

	need_bpf();
	f = dict_setup(0);
	assert_null(f->lc.dict_ring);
	assert_int_equal(ctl_dict_run(f->d, 200), 200);
	dict_teardown(f);
}

/* Automatic entries a previous run left pinned are taken over with a full time. */
static void
test_dict_take_over(void **state)
{
	struct dict_fixture *f;
	struct rg_config cfg;
	struct xdp_block b;
	struct rg_cidr c = cidr("192.0.2.50"), m = cidr("192.0.2.51");
	(void)state;

	need_bpf();
	block_cfg(&cfg);
	pin_dir_remove(cfg.bpf_pin_dir);
	assert_int_equal(xdp_block_open(cfg.bpf_pin_dir, 1, &b), 0);
	assert_int_equal(xdp_block_add_as(&b, &c, RG_XDP_BLOCK_DICTIONARY), 0);
	assert_int_equal(xdp_block_add(&b, &m), 0);
	xdp_block_close(&b);
	f = aligned_alloc(64, sizeof(*f)); /* dict_setup without removing the pins */
	assert_non_null(f);
	memset(f, 0, sizeof(*f));
	f->d = calloc(1, sizeof(*f->d));
	assert_non_null(f->d);
	f->d->cfg = cfg;
	f->d->cfg.dict_block_time = 2;
	f->d->n_workers = 1;
	f->lc.ctr = &f->ctr;
	f->d->lcores[0] = &f->lc;
	assert_int_equal(ctl_dict_start(f->d), 0);
	assert_int_equal(ctl_dict_left(f->d, &c), 2);
	assert_int_equal(ctl_dict_left(f->d, &m), -1);
	assert_int_equal(f->d->ctl_ctr[RG_C_DICT_BLOCKS_ACTIVE], 1);
	dict_teardown(f);
}

/* rg_ipv4_str writes what inet_ntop writes, for edge and random addresses. */
static void
test_ipv4_str(void **state)
{
	static const uint32_t fixed[] = { 0, 0xffffffff, 0x0a000001, 0x64140300, 0xc0000207, 0x09630a01 };
	char want[INET_ADDRSTRLEN], got[RG_IPV4_STR_MAX];
	uint32_t x = 0x2545f491;
	(void)state;

	for (unsigned i = 0; i < 100000; i++) {
		uint32_t a;
		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			a = htonl(fixed[i]);
		} else {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			a = x;
		}
		assert_non_null(inet_ntop(AF_INET, &a, want, sizeof(want)));
		memset(got, 'x', sizeof(got));
		assert_int_equal(rg_ipv4_str(a, got), strlen(want));
		assert_string_equal(got, want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_str),       cmocka_unit_test(test_dictblock),
		cmocka_unit_test(test_anvil_key_cidr), cmocka_unit_test(test_lpm_build),
		cmocka_unit_test(test_block_reason),   cmocka_unit_test(test_dict_handoff),
		cmocka_unit_test(test_dict_ring_full), cmocka_unit_test(test_dict_off),
		cmocka_unit_test(test_dict_take_over),
	};
	int rc;

	msg_set_verbose(0);
	eal_ready = eal_nohuge_init("test_block_dp", 512);
	rc = cmocka_run_group_tests_name("block_dp", tests, NULL, NULL);
	if (eal_ready)
		rte_eal_cleanup();
	return rc;
}
