/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_policy.c - unit tests of the recipient policy
 * DESCRIPTION
 *	Golden replies for each step of the decision order, under default
 *	codes, configured codes, soft_bounce (not the policy's: the replies
 *	keep their codes) and relay_domains, built from
 *	a real configuration text through cfg_load_string and
 *	policy_conf_from_config.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rcptgate/clean.h>

#include "config.h"
#include "policy.h"
#include "table/tbl.h"
#include "xorshift.h"

static struct tbl *table;
static void *image;

static int
setup(void **state)
{
	static const char *const lines[] = {
		"alice@example.com",
		"bob@example.com",
		"@catchall.example",
		"Sales@case.example",
	};
	struct tbl_builder *b = tbl_builder_new(0);
	char err[256];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (tbl_builder_add_line(b, lines[i], strlen(lines[i]), err, sizeof(err)) != 0)
			return -1;
	if (tbl_builder_finish(b, &image, &len, err, sizeof(err)) != 0 ||
	    tbl_open_buffer(image, len, &table, err, sizeof(err)) != 0)
		return -1;
	tbl_builder_free(b);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tbl_close(table);
	free(image);
	return 0;
}

static void
conf(struct rg_config *cfg, struct policy_conf *pc, const char *extra)
{
	char text[1024], err[CFG_ERR_MAX];

	snprintf(text, sizeof(text), "port_mode = af_packet\ninterface = lo\nlisten = 192.0.2.1:25\n%s",
		 extra);
	cfg_defaults(cfg);
	if (cfg_load_string(cfg, "test.cf", text, strlen(text), err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	policy_conf_from_config(pc, cfg);
}

struct reply_case {
	const char *mailbox;
	enum policy_verdict verdict;
	unsigned code;
	const char *reply;
};

static void
check_cases(const struct policy_conf *pc, const struct tbl *t, const struct reply_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct policy_result res;
		memset(&res, 0x5a, sizeof(res));
		policy_rcpt(pc, t, c[i].mailbox, strlen(c[i].mailbox), &res);
		if (res.verdict != c[i].verdict || res.code != c[i].code || res.len != strlen(c[i].reply) ||
		    memcmp(res.reply, c[i].reply, res.len) != 0)
			fail_msg("'%s': verdict %s code %u reply '%.*s', want %s %u '%s'", c[i].mailbox,
				 policy_verdict_name(res.verdict), res.code, (int)res.len, res.reply,
				 policy_verdict_name(c[i].verdict), c[i].code, c[i].reply);
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
test_defaults(void **state)
{
	static const struct reply_case cases[] = {
		{ "alice@example.com", POLICY_ACCEPT, 250, "250 2.1.5 Ok\r\n" },
		{ "Alice@EXAMPLE.com", POLICY_ACCEPT, 250, "250 2.1.5 Ok\r\n" },
		{ "\"bob\"@example.com", POLICY_ACCEPT, 250, "250 2.1.5 Ok\r\n" },
		{ "anyone@catchall.example", POLICY_ACCEPT, 250, "250 2.1.5 Ok\r\n" },
		{ "postmaster", POLICY_ACCEPT, 250, "250 2.1.5 Ok\r\n" },
		{ "PostMaster@example.com", POLICY_ACCEPT, 250, "250 2.1.5 Ok\r\n" },
		{ "abuse@example.com", POLICY_ACCEPT, 250, "250 2.1.5 Ok\r\n" },
		{ "alice+x@example.com", POLICY_REJECT_UNKNOWN, 550,
		  "550 5.1.1 <alice+x@example.com>: Recipient address rejected: User unknown\r\n" },
		{ "Eve@Example.com", POLICY_REJECT_UNKNOWN, 550,
		  "550 5.1.1 <Eve@Example.com>: Recipient address rejected: User unknown\r\n" },
		{ "alice@example.org", POLICY_REJECT_RELAY, 554,
		  "554 5.7.1 <alice@example.org>: Relay access denied\r\n" },
		{ "postmaster@example.org", POLICY_REJECT_RELAY, 554,
		  "554 5.7.1 <postmaster@example.org>: Relay access denied\r\n" },
		{ "not an address", POLICY_BAD_ADDRESS, 501, "501 5.1.3 Bad recipient address syntax\r\n" },
		{ "", POLICY_BAD_ADDRESS, 501, "501 5.1.3 Bad recipient address syntax\r\n" },
		{ "eve", POLICY_BAD_ADDRESS, 501, "501 5.1.3 Bad recipient address syntax\r\n" },
	};
	struct rg_config cfg;
	struct policy_conf pc;

	(void)state;
	conf(&cfg, &pc, "");
	check_cases(&pc, table, cases, N(cases));
}

static void
test_no_table(void **state)
{
	static const struct reply_case cases[] = {
		{ "alice@example.com", POLICY_TEMPFAIL_NO_TABLE, 451,
		  "451 4.3.0 <alice@example.com>: Temporary lookup failure\r\n" },
		{ "postmaster", POLICY_TEMPFAIL_NO_TABLE, 451,
		  "451 4.3.0 <postmaster>: Temporary lookup failure\r\n" },
	};
	struct rg_config cfg;
	struct policy_conf pc;

	(void)state;
	conf(&cfg, &pc, "soft_bounce = yes\n");
	check_cases(&pc, NULL, cases, N(cases));
}

static void
test_configured(void **state)
{
	static const struct reply_case cases[] = {
		{ "alice+x@example.com", POLICY_ACCEPT, 250, "250 2.1.5 Ok\r\n" },
		{ "alice-x@example.com", POLICY_ACCEPT, 250, "250 2.1.5 Ok\r\n" },
		{ "carol@example.com", POLICY_REJECT_UNKNOWN, 450,
		  "450 4.1.1 <carol@example.com>: Recipient address rejected: User unknown\r\n" },
		{ "carol@relay.example", POLICY_REJECT_UNKNOWN, 450,
		  "450 4.1.1 <carol@relay.example>: Recipient address rejected: User unknown\r\n" },
		{ "abuse@relay.example", POLICY_ACCEPT, 250, "250 2.1.5 Ok\r\n" },
		{ "carol@other.example", POLICY_REJECT_RELAY, 550,
		  "550 5.7.1 <carol@other.example>: Relay access denied\r\n" },
	};
	struct rg_config cfg;
	struct policy_conf pc;

	(void)state;
	conf(&cfg, &pc,
	     "recipient_delimiter = +-\nunknown_recipient_reject_code = 450\n"
	     "relay_domains_reject_code = 550\nrelay_domains = Relay.example, second.example\n");
	check_cases(&pc, table, cases, N(cases));
}

/*
 * soft_bounce is the SMTP engine's, applied to every reply it sends
 * (test_smtp): the policy gives its configured codes either way.
 */
static void
test_soft_bounce(void **state)
{
	static const struct reply_case cases[] = {
		{ "carol@example.com", POLICY_REJECT_UNKNOWN, 550,
		  "550 5.1.1 <carol@example.com>: Recipient address rejected: User unknown\r\n" },
		{ "carol@other.example", POLICY_REJECT_RELAY, 554,
		  "554 5.7.1 <carol@other.example>: Relay access denied\r\n" },
		{ "alice@example.com", POLICY_ACCEPT, 250, "250 2.1.5 Ok\r\n" },
		{ "a b", POLICY_BAD_ADDRESS, 501, "501 5.1.3 Bad recipient address syntax\r\n" },
	};
	struct rg_config cfg;
	struct policy_conf pc;

	(void)state;
	conf(&cfg, &pc, "soft_bounce = yes\n");
	check_cases(&pc, table, cases, N(cases));
}

/* The echoed address is bounded and one clean line, whatever was sent. */
static void
test_reply_bounded(void **state)
{
	struct rg_config cfg;
	struct policy_conf pc;
	struct policy_result res;
	char big[2000];

	(void)state;
	conf(&cfg, &pc, "");
	memset(big, 'a', sizeof(big));
	big[5] = '\r';
	big[6] = '\n';
	big[7] = '\0';
	policy_rcpt(&pc, NULL, big, sizeof(big), &res);
	assert_int_equal(res.code, 451);
	assert_true(res.len < sizeof(res.reply));
	assert_int_equal(res.len,
			 strlen("451 4.3.0 <") + RG_PATH_MAX + strlen(">: Temporary lookup failure\r\n"));
	assert_non_null(memmem(res.reply, res.len, "aaaaa???aaa", 11));
	assert_ptr_equal(memchr(res.reply, '\n', res.len), res.reply + res.len - 1);
	/* with a table: too long is a syntax error */
	policy_rcpt(&pc, table, big, sizeof(big), &res);
	assert_int_equal(res.verdict, POLICY_BAD_ADDRESS);
}

/* A table compiled case-sensitive keeps its own rule, whatever the config says. */
static void
test_case_from_table(void **state)
{
	struct tbl_builder *b = tbl_builder_new(RG_ADDR_F_CASE_EXACT);
	struct rg_config cfg;
	struct policy_conf pc;
	struct policy_result res;
	struct tbl *t;
	void *img;
	size_t len;
	char err[256];

	(void)state;
	assert_int_equal(tbl_builder_add_line(b, "Sales@case.example", 18, err, sizeof(err)), 0);
	assert_int_equal(tbl_builder_finish(b, &img, &len, err, sizeof(err)), 0);
	assert_int_equal(tbl_open_buffer(img, len, &t, err, sizeof(err)), 0);
	conf(&cfg, &pc, "");
	policy_rcpt(&pc, t, "Sales@CASE.example", 18, &res);
	assert_int_equal(res.verdict, POLICY_ACCEPT);
	policy_rcpt(&pc, t, "sales@case.example", 18, &res);
	assert_int_equal(res.verdict, POLICY_REJECT_UNKNOWN);
	/* the folded table accepts both */
	policy_rcpt(&pc, table, "SALES@case.example", 18, &res);
	assert_int_equal(res.verdict, POLICY_ACCEPT);
	tbl_close(t);
	free(img);
	tbl_builder_free(b);
}

/*
 * rg_copy_clean() against the byte rule it implements (below 0x20 and
 * 0x7f become '?', every other byte stays), for every length up to 40
 * at every alignment: every byte value alone in printable text of whole
 * words and of each length of tail, at every place, and random bytes.
 * Nothing past N is written.
 */
static void
test_copy_clean(void **state)
{
	char src[64], dst[64], want[64];

	(void)state;
	/* 24: whole words; 25-31: a tail of 1-7, in the overlapping last word */
	for (size_t n = 24; n <= 31; n++)
		for (unsigned v = 0; v < 256; v++)
			for (size_t at = 0; at < n; at++) {
				memset(src, 'a', sizeof(src));
				src[at] = (char)v;
				memset(dst, 'Z', sizeof(dst));
				rg_copy_clean(dst, src, n);
				for (size_t i = 0; i < n; i++) {
					unsigned char c = (unsigned char)src[i];
					assert_int_equal((unsigned char)dst[i],
							 c < 0x20 || c == 0x7f ? '?' : c);
				}
				assert_int_equal(dst[n], 'Z');
			}
	for (int round = 0; round < 20000; round++) {
		size_t off = round % 8, n = (size_t)(round / 8) % 41;
		for (size_t i = 0; i < sizeof(src); i++) {
			uint64_t r = rng();
			/* mostly printable, now and then anything */
			src[i] = (char)(r % 7 == 0 ? (r >> 8) & 0xff : 0x21 + (r >> 16) % 94);
		}
		memset(dst, 'Z', sizeof(dst));
		memcpy(want, dst, sizeof(want));
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)src[off + i];
			want[off + i] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
		}
		rg_copy_clean(dst + off, src + off, n);
		assert_memory_equal(dst, want, sizeof(dst));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_clean),	cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_no_table),	cmocka_unit_test(test_configured),
		cmocka_unit_test(test_soft_bounce),	cmocka_unit_test(test_reply_bounded),
		cmocka_unit_test(test_case_from_table),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
