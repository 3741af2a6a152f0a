/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_anvil - unit tests of the per-client limits (anvil.c)
 * DESCRIPTION
 *	Concurrency, connection and recipient rates with their windows,
 *	the dictionary count and its block hook, and the fixed table: a
 *	full table evicts (counted), prefers clients without sessions, and
 *	an evicted client's sessions never touch the entry's next owner.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include <rcptgate/counters.h>

#include "anvil.h"

static uint64_t ctr[RG_C_MAX];

struct blocked {
	unsigned calls;
	struct anvil_key key;
	uint32_t rejects;
};

static void
on_block(void *arg, const struct anvil_key *k, uint32_t rejects)
{
	struct blocked *b = arg;

	b->calls++;
	b->key = *k;
	b->rejects = rejects;
}

static struct anvil *
make(uint32_t conn_rate, uint32_t rcpt_rate, uint32_t dict, struct blocked *b)
{
	struct anvil_params p = {
		.slots = ANVIL_SLOTS_MIN,
		.conn_rate_limit = conn_rate,
		.rcpt_rate_limit = rcpt_rate,
		.rate_unit = 60,
		.dict_limit = dict,
		.dict_window = 60,
		.block = b ? on_block : NULL,
		.block_arg = b,
		.hkey = 42,
	};
	struct anvil *a = NULL;

	memset(ctr, 0, sizeof(ctr));
	assert_int_equal(anvil_create(&p, ctr, &a), 0);
	return a;
}

static struct anvil_key
client(uint32_t host_order)
{
	return anvil_key_v4(htonl(host_order));
}

/*
 * The sessions a client holds (the count limit itself is the TCP
 * stack's: tcp_app.open): counted per client, down at disconnect, once.
 */
static void
test_sessions_held(void **state)
{
	struct anvil *a = make(0, 0, 0, NULL);
	struct anvil_key c = client(0xc0000201), other = client(0xc0000202);
	struct anvil_ref r[3], x;
	uint32_t n;
	(void)state;

	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(anvil_connect(a, &c, 0, &r[i], &n), ANVIL_OK);
		assert_int_equal(n, i + 1);
		assert_int_not_equal(r[i].slot, 0);
	}
	assert_int_equal(anvil_connect(a, &other, 0, &x, &n), ANVIL_OK); /* per client */
	assert_int_equal(n, 1);
	anvil_disconnect(a, &r[1]);
	assert_int_equal(r[1].slot, 0);
	anvil_disconnect(a, &r[1]); /* twice: no effect */
	assert_int_equal(anvil_connect(a, &c, 0, &r[1], &n), ANVIL_OK);
	assert_int_equal(n, 3);
	anvil_destroy(a);
}

/* An IPv6 address in a 16-byte array. */
static struct anvil_key
client6(const char *s)
{
	uint8_t b[16];

	assert_int_equal(inet_pton(AF_INET6, s, b), 1);
	return anvil_key_v6(b);
}

/*
 * IPv6 clients are counted per /64: two addresses of one /64 share the
 * count limit, another /64 has its own; the dictionary count and the
 * exempt list (2001:db8::/32 holds the first /64, not the second) too.
 */
static void
test_ipv6_per_64(void **state)
{
	struct blocked b = { 0 };
	struct anvil *a = make(0, 0, 2, &b);
	struct anvil_key x1 = client6("2001:db9:0:1::1"), x2 = client6("2001:db9:0:1:ffff::2");
	struct anvil_key x3 = client6("2001:db9:0:1::3"), y = client6("2001:db9:0:2::1");
	struct anvil_ref r[3], ry;
	uint32_t n;
	(void)state;

	assert_int_equal(anvil_connect(a, &x1, 0, &r[0], &n), ANVIL_OK);
	assert_int_equal(anvil_connect(a, &x2, 0, &r[1], &n), ANVIL_OK);
	assert_int_equal(n, 2);
	assert_int_equal(anvil_connect(a, &x3, 0, &r[2], &n), ANVIL_OK);
	assert_int_equal(n, 3);
	assert_int_equal(anvil_connect(a, &y, 0, &ry, &n), ANVIL_OK);
	assert_int_equal(n, 1);
	/* the dictionary count is the /64's: two addresses reach the limit of 2 */
	assert_int_equal(anvil_unknown_rcpt(a, &r[0], 0, &n), ANVIL_OK);
	assert_int_equal(anvil_unknown_rcpt(a, &r[1], 0, &n), ANVIL_BLOCK);
	assert_int_equal(b.calls, 1);
	struct rg_cidr k = anvil_key_cidr(&b.key);
	assert_int_equal(k.family, AF_INET6);
	assert_int_equal(k.prefixlen, 64);
	anvil_destroy(a);

	/* exempt 2001:db8::/32: its /64s are never counted, others are */
	struct anvil_params p = { .slots = ANVIL_SLOTS_MIN,
				  .rate_unit = 60,
				  .dict_limit = 1,
				  .dict_window = 60,
				  .block = on_block,
				  .block_arg = &b,
				  .hkey = 1 };
	struct rg_cidr ex;
	assert_int_equal(rg_cidr_parse("2001:db8::/32", &ex), 0);
	p.exempt = &ex;
	p.n_exempt = 1;
	assert_int_equal(anvil_create(&p, ctr, &a), 0);
	struct anvil_key in = client6("2001:db8:5:6::7"), out = client6("2001:db9:5:6::7");
	assert_int_equal(anvil_connect(a, &in, 0, &r[0], &n), ANVIL_OK);
	assert_int_equal(anvil_unknown_rcpt(a, &r[0], 0, &n), ANVIL_OK);
	assert_int_equal(anvil_connect(a, &out, 0, &r[1], &n), ANVIL_OK);
	assert_int_equal(anvil_unknown_rcpt(a, &r[1], 0, &n), ANVIL_BLOCK);
	anvil_destroy(a);
}

static void
test_conn_rate(void **state)
{
	struct anvil *a = make(2, 0, 0, NULL);
	struct anvil_key c = client(0xc0000201);
	struct anvil_ref r;
	uint32_t n;
	(void)state;

	assert_int_equal(anvil_connect(a, &c, 100, &r, &n), ANVIL_OK);
	anvil_disconnect(a, &r);
	assert_int_equal(anvil_connect(a, &c, 130, &r, &n), ANVIL_OK);
	anvil_disconnect(a, &r);
	assert_int_equal(anvil_connect(a, &c, 159, &r, &n), ANVIL_CONN_RATE);
	assert_int_equal(n, 3);
	/* refused connections count too */
	assert_int_equal(anvil_connect(a, &c, 159, &r, &n), ANVIL_CONN_RATE);
	assert_int_equal(n, 4);
	/* a whole unit after the window began: a new one */
	assert_int_equal(anvil_connect(a, &c, 160, &r, &n), ANVIL_OK);
	anvil_destroy(a);
}

static void
test_rcpt_rate(void **state)
{
	struct anvil *a = make(0, 2, 0, NULL);
	struct anvil_key c = client(0xc0000201);
	struct anvil_ref r1, r2, none = { 0, 0 };
	uint32_t n;
	(void)state;

	assert_int_equal(anvil_connect(a, &c, 10, &r1, &n), ANVIL_OK);
	assert_int_equal(anvil_connect(a, &c, 10, &r2, &n), ANVIL_OK);
	assert_int_equal(anvil_rcpt(a, &r1, 10, &n), ANVIL_OK);
	assert_int_equal(anvil_rcpt(a, &r2, 11, &n), ANVIL_OK); /* per client, not session */
	assert_int_equal(anvil_rcpt(a, &r1, 12, &n), ANVIL_RCPT_RATE);
	assert_int_equal(n, 3);
	assert_int_equal(anvil_rcpt(a, &r1, 70, &n), ANVIL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(anvil_rcpt(a, &none, 70, &n), ANVIL_OK); /* no session: nothing counted */
	anvil_destroy(a);
}

static void
test_dictionary(void **state)
{
	struct blocked b = { 0 };
	struct anvil *a = make(0, 0, 3, &b);
	struct anvil_key c = client(0xc0000201);
	struct anvil_ref r;
	uint32_t n;
	(void)state;

	assert_int_equal(anvil_connect(a, &c, 0, &r, &n), ANVIL_OK);
	assert_int_equal(anvil_unknown_rcpt(a, &r, 0, &n), ANVIL_OK);
	assert_int_equal(anvil_unknown_rcpt(a, &r, 10, &n), ANVIL_OK);
	assert_int_equal(b.calls, 0);
	/* the window (60s) ran out: counted afresh */
	assert_int_equal(anvil_unknown_rcpt(a, &r, 60, &n), ANVIL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(anvil_unknown_rcpt(a, &r, 61, &n), ANVIL_OK);
	assert_int_equal(anvil_unknown_rcpt(a, &r, 62, &n), ANVIL_BLOCK);
	assert_int_equal(n, 3);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.rejects, 3);
	assert_memory_equal(&b.key, &c, sizeof(c));
	/* blocked once; the count starts again for when it is let back */
	assert_int_equal(anvil_unknown_rcpt(a, &r, 63, &n), ANVIL_OK);
	assert_int_equal(n, 1);
	assert_int_equal(b.calls, 1);
	anvil_destroy(a);

	/* dictionary_block_limit = 0: off */
	a = make(0, 0, 0, &b);
	assert_int_equal(anvil_connect(a, &c, 0, &r, &n), ANVIL_OK);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(anvil_unknown_rcpt(a, &r, 0, &n), ANVIL_OK);
	assert_int_equal(b.calls, 1);
	anvil_destroy(a);
}

static void
test_eviction(void **state)
{
	struct anvil *a = make(0, 0, 0, NULL);
	struct anvil_ref held[ANVIL_SLOTS_MIN / 2], r;
	uint32_t n;
	(void)state;

	/* half the table holds sessions, then many more clients pass by */
	for (uint32_t i = 0; i < ANVIL_SLOTS_MIN / 2; i++) {
		struct anvil_key k = client(0x0a000000 + i);
		assert_int_equal(anvil_connect(a, &k, 1, &held[i], &n), ANVIL_OK);
	}
	uint64_t first = ctr[RG_C_ANVIL_EVICTIONS]; /* sets that overflowed already */
	assert_true(first < ANVIL_SLOTS_MIN / 2 / 10);
	for (uint32_t i = 0; i < 4 * ANVIL_SLOTS_MIN; i++) {
		struct anvil_key k = client(0x0b000000 + i);
		assert_int_equal(anvil_connect(a, &k, 2, &r, &n), ANVIL_OK);
		anvil_disconnect(a, &r);
	}
	assert_true(ctr[RG_C_ANVIL_EVICTIONS] - first >= 3 * ANVIL_SLOTS_MIN);
	/* idle clients made room for idle ones: those with a session were
	 * kept wherever their set had room for them */
	unsigned kept = 0;
	for (uint32_t i = 0; i < ANVIL_SLOTS_MIN / 2; i++) {
		struct anvil_key k = client(0x0a000000 + i);
		struct anvil_ref again;
		assert_int_equal(anvil_connect(a, &k, 3, &again, &n), ANVIL_OK);
		kept += n == 2; /* its entry, with the session it held */
	}
	/* (without the preference the passing clients, each newer than
	 * them, would have evicted nearly all; with it only those of sets
	 * that sessions filled are lost) */
	assert_true(kept >= ANVIL_SLOTS_MIN / 2 * 3 / 4);
	anvil_destroy(a);
}

static void
test_stale_ref(void **state)
{
	struct anvil *a = make(0, 0, 0, NULL);
	struct anvil_ref old, fresh, r;
	struct anvil_key victim = client(0x0a000001);
	uint32_t n;
	(void)state;

	assert_int_equal(anvil_connect(a, &victim, 1, &old, &n), ANVIL_OK);
	/* crowd every set until the victim's entry has a new owner */
	uint32_t i = 0;
	for (; i < 64 * ANVIL_SLOTS_MIN; i++) {
		struct anvil_key k = client(0x0c000000 + i);
		assert_int_equal(anvil_connect(a, &k, 2 + i, &fresh, &n), ANVIL_OK);
		if (fresh.slot == old.slot)
			break;
	}
	assert_int_equal(fresh.slot, old.slot);
	assert_int_not_equal(fresh.gen, old.gen);
	/* the victim's session ends: the new owner's session still counts */
	anvil_disconnect(a, &old);
	struct anvil_key owner = client(0x0c000000 + i);
	assert_int_equal(anvil_connect(a, &owner, 3 + i, &r, &n), ANVIL_OK);
	assert_int_equal(n, 2);
	anvil_destroy(a);
}

/* dictionary_block_exempt: parsed from the configuration, never counted. */
static void
test_exempt(void **state)
{
	static const char base[] = "port_mode = af_packet\ninterface = lo\nlisten = 127.0.0.1\n"
				   "dictionary_block_limit = 2\n";
	struct rg_config cfg;
	struct anvil_params p;
	struct anvil *a;
	struct blocked b = { 0 };
	struct anvil_ref r;
	char text[512], err[CFG_ERR_MAX];
	uint32_t n;
	(void)state;

	snprintf(text, sizeof(text), "%sdictionary_block_exempt = 192.0.2.0/24, 2001:db8::/32 198.51.100.7\n",
		 base);
	assert_int_equal(cfg_load_string(&cfg, "t.conf", text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(cfg.n_dict_exempt, 3);
	anvil_params_from_config(&p, &cfg, 1, 9);
	p.block = on_block;
	p.block_arg = &b;
	assert_int_equal(anvil_create(&p, ctr, &a), 0);
	const uint32_t in[] = { 0xc0000201, 0xc00002fe, 0xc6336407 }, out[] = { 0xc0000301, 0xc6336408 };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct anvil_key k = client(in[i]);
		assert_int_equal(anvil_connect(a, &k, 0, &r, &n), ANVIL_OK);
		for (unsigned j = 0; j < 10; j++)
			assert_int_equal(anvil_unknown_rcpt(a, &r, 0, &n), ANVIL_OK);
	}
	assert_int_equal(b.calls, 0);
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		struct anvil_key k = client(out[i]);
		assert_int_equal(anvil_connect(a, &k, 0, &r, &n), ANVIL_OK);
		assert_int_equal(anvil_unknown_rcpt(a, &r, 0, &n), ANVIL_OK);
		assert_int_equal(anvil_unknown_rcpt(a, &r, 0, &n), ANVIL_BLOCK);
	}
	assert_int_equal(b.calls, 2);
	anvil_destroy(a);

	static const char *const bad[] = { "192.0.2.0/33", "example.com", "10.0.0.1/", "1.2.3.4/08" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%sdictionary_block_exempt = 10.0.0.0/8 %s\n", base, bad[i]);
		assert_int_equal(cfg_load_string(&cfg, "t.conf", text, strlen(text), err, sizeof(err)), -1);
		assert_non_null(strstr(err, "t.conf:5: dictionary_block_exempt: '"));
	}
}

static void
test_params(void **state)
{
	struct anvil_params p = { .slots = 1, .rate_unit = 0, .dict_window = 60 };
	struct anvil *a;
	struct rg_config cfg;
	(void)state;

	assert_int_equal(anvil_create(&p, ctr, &a), -EINVAL);
	p.rate_unit = 60;
	p.dict_window = 0;
	assert_int_equal(anvil_create(&p, ctr, &a), -EINVAL);
	cfg_defaults(&cfg);
	anvil_params_from_config(&p, &cfg, 4, 7);
	assert_false(anvil_wanted(&cfg)); /* the defaults need no table */
	cfg.client_rcpt_rate_limit = 10;
	assert_true(anvil_wanted(&cfg));
	assert_int_equal(p.rate_unit, 60);
	assert_int_equal(p.slots, 2 * 65536 / 4);
	assert_int_equal(p.dict_limit, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sessions_held), cmocka_unit_test(test_ipv6_per_64),
		cmocka_unit_test(test_conn_rate),     cmocka_unit_test(test_rcpt_rate),
		cmocka_unit_test(test_dictionary),    cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_stale_ref),     cmocka_unit_test(test_exempt),
		cmocka_unit_test(test_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
