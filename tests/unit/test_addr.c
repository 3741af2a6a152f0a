/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_addr.c - unit tests of address normalisation and hashing
 * DESCRIPTION
 *	A table of normalisation cases (input, flags, expected result and
 *	output), the extension cut, the limits, the fast paths held to the
 *	full parser on random and edge inputs, and the seeded hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rcptgate/addr.h>
#include <rcptgate/hash.h>

#include "xorshift.h"

struct norm_case {
	const char *in;
	unsigned flags;
	int rc;
	const char *out; /* when rc == RG_ADDR_OK */
	unsigned local_len;
};

#define EXACT RG_ADDR_F_CASE_EXACT

static const struct norm_case norm_cases[] = {
	{ "user@example.com", 0, RG_ADDR_OK, "user@example.com", 4 },
	{ "User@Example.COM", 0, RG_ADDR_OK, "user@example.com", 4 },
	{ "User@Example.COM", EXACT, RG_ADDR_OK, "User@example.com", 4 },
	{ "\"user\"@example.com", 0, RG_ADDR_OK, "user@example.com", 4 }, /* needless quotes */
	{ "\"first.last\"@example.com", 0, RG_ADDR_OK, "first.last@example.com", 10 },
	{ "\"us\\er\"@example.com", 0, RG_ADDR_OK, "user@example.com", 4 }, /* quoted pair */
	{ "\"john doe\"@example.com", 0, RG_ADDR_OK, "\"john doe\"@example.com", 10 },
	{ "\"a\\\"b\"@example.com", 0, RG_ADDR_OK, "\"a\\\"b\"@example.com", 6 },
	{ "\"a..b\"@example.com", 0, RG_ADDR_OK, "\"a..b\"@example.com", 6 },
	{ "\"\"@example.com", 0, RG_ADDR_OK, "\"\"@example.com", 2 },
	{ "@relay.example,@b.example:user@example.com", 0, RG_ADDR_OK, "user@example.com", 4 },
	{ "@relay.example:User@EXAMPLE.com", 0, RG_ADDR_OK, "user@example.com", 4 },
	{ "user@example.com.", 0, RG_ADDR_OK, "user@example.com", 4 }, /* trailing dot */
	{ "user+ext@example.com", 0, RG_ADDR_OK, "user+ext@example.com", 8 },
	{ "o'brien@example.com", 0, RG_ADDR_OK, "o'brien@example.com", 7 },
	{ "user@[192.0.2.1]", 0, RG_ADDR_OK, "user@[192.0.2.1]", 4 },
	{ "user@[IPv6:2001:db8::1]", 0, RG_ADDR_OK, "user@[ipv6:2001:db8::1]", 4 },
	{ "J\xc3\xb6rg@B\xc3\xbc"
	  "cher.example",
	  0, RG_ADDR_OK,
	  "j\xc3\xb6rg@b\xc3\xbc"
	  "cher.example",
	  5 },
	{ "postmaster", 0, RG_ADDR_OK, "postmaster", 10 },
	{ "PostMaster", EXACT, RG_ADDR_OK, "postmaster", 10 },
	{ "john..doe@example.com", 0, RG_ADDR_OK, "john..doe@example.com", 9 }, /* seen in the wild */
	{ "under_score@sub-domain.example_x.com", 0, RG_ADDR_OK, "under_score@sub-domain.example_x.com", 11 },
	/* syntax errors */
	{ "", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "user", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "@example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "user@", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "user@@example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "us@er@example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "us er@example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "user@exa mple.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "user@example..com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "user@.example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "user@example.com..", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "user@exa(mple.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "<user@example.com>", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "\"unterminated@example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "\"a\"b@example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "\"a\rb\"@example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "us\ner@example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "@relay.example user@example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "@relay.example,:user@example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "@:user@example.com", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "user@[192.0.2.1", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "user@[]", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "postmaster@", 0, RG_ADDR_ESYNTAX, NULL, 0 },
	{ "postmasters", 0, RG_ADDR_ESYNTAX, NULL, 0 },
};

static void
test_normalize_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const struct norm_case *c = &norm_cases[i];
		struct rg_addr a;
		int rc = rg_addr_normalize(c->in, strlen(c->in), c->flags, &a);
		if (rc != c->rc)
			fail_msg("case %zu '%s': rc %d, want %d", i, c->in, rc, c->rc);
		if (c->rc != RG_ADDR_OK)
			continue;
		if (strcmp(a.buf, c->out) != 0 || a.len != strlen(c->out) || a.local_len != c->local_len)
			fail_msg("case %zu '%s': got '%s' (len %u local %u), want '%s' (local %u)", i, c->in,
				 a.buf, a.len, a.local_len, c->out, c->local_len);
	}
}

/* The mailbox need not be NUL-terminated: bytes after N are not read. */
static void
test_normalize_not_terminated(void **state)
{
	struct rg_addr a;
	const char in[] = "user@example.comXXXX";

	(void)state;
	assert_int_equal(rg_addr_normalize(in, 16, 0, &a), RG_ADDR_OK);
	assert_string_equal(a.buf, "user@example.com");
	assert_int_equal(rg_addr_normalize(in, 5, 0, &a), RG_ADDR_ESYNTAX);
}

static void
fill(char *p, size_t n, char c)
{
	memset(p, c, n);
}

static void
test_limits(void **state)
{
	char buf[600];
	struct rg_addr a;

	(void)state;
	/* local part: 64 ok, 65 too long */
	fill(buf, 64, 'a');
	memcpy(buf + 64, "@example.com", 12);
	assert_int_equal(rg_addr_normalize(buf, 76, 0, &a), RG_ADDR_OK);
	assert_int_equal(a.local_len, 64);
	fill(buf, 65, 'a');
	memcpy(buf + 65, "@example.com", 12);
	assert_int_equal(rg_addr_normalize(buf, 77, 0, &a), RG_ADDR_ETOOLONG);
	/* a quoted local part counts after unquoting needless quotes */
	buf[0] = '"';
	fill(buf + 1, 64, 'b');
	memcpy(buf + 65, "\"@example.com", 13);
	assert_int_equal(rg_addr_normalize(buf, 78, 0, &a), RG_ADDR_OK);
	assert_int_equal(a.local_len, 64);
	/* whole mailbox: 254 ok (256 with the brackets), 255 too long */
	buf[0] = 'u';
	buf[1] = '@';
	for (size_t i = 2; i < 254; i++)
		buf[i] = (i % 60 == 0) ? '.' : 'd';
	assert_int_equal(rg_addr_normalize(buf, 254, 0, &a), RG_ADDR_OK);
	assert_int_equal(a.len, 254);
	buf[254] = 'd';
	assert_int_equal(rg_addr_normalize(buf, 255, 0, &a), RG_ADDR_ETOOLONG);
	/* domain: more than 255 (with a long source route allowed by nothing) */
	fill(buf, 500, 'x');
	assert_int_equal(rg_addr_normalize(buf, 500, 0, &a), RG_ADDR_ETOOLONG);
	char dom[300];
	fill(dom, 256, 'd');
	assert_int_equal(rg_addr_domain(dom, 256, buf), RG_ADDR_ETOOLONG);
	assert_int_equal(rg_addr_domain(dom, 255, buf), 255);
}

struct base_case {
	const char *in, *delims, *out; /* out NULL: no extension */
};

static void
test_base(void **state)
{
	static const struct base_case cases[] = {
		{ "user+ext@example.com", "+", "user@example.com" },
		{ "user-ext@example.com", "+-", "user@example.com" },
		{ "user+a-b@example.com", "-+", "user@example.com" }, /* first of the set */
		{ "user-a+b@example.com", "+", "user-a@example.com" },
		{ "user@example.com", "+", NULL },
		{ "+ext@example.com", "+", NULL }, /* not at the start */
		{ "user+@example.com", "+", "user@example.com" },
		{ "user+ext@example.com", "", NULL },
		{ "user+ext@example.com", NULL, NULL },
		{ "\"a b+c\"@example.com", "+", NULL }, /* not in quotes */
		{ "postmaster", "+", NULL },
		/* delimiters that are letters, digits or dots */
		{ "user.ext@example.com", ".", "user@example.com" },
		{ "userxext@example.com", "-x", "user@example.com" },
		{ "ab1cd@example.com", "1", "ab@example.com" },
		{ "AbXcd@example.com", "x", "ab@example.com" }, /* folded before the cut */
		{ "abcd@example.com", "-x+", NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rg_addr a, b;
		assert_int_equal(rg_addr_normalize(cases[i].in, strlen(cases[i].in), 0, &a), RG_ADDR_OK);
		bool got = rg_addr_base(&a, cases[i].delims, &b);
		if (got != (cases[i].out != NULL))
			fail_msg("base case %zu '%s': extension %d", i, cases[i].in, got);
		if (got &&
		    (strcmp(b.buf, cases[i].out) != 0 || b.len != strlen(b.buf) || b.buf[b.local_len] != '@'))
			fail_msg("base case %zu '%s': got '%s', want '%s'", i, cases[i].in, b.buf,
				 cases[i].out);
	}
}

/*
 * rg_addr_base agrees with a plain search for random addresses and
 * random delimiter sets, letters and dots among them.
 */
static void
test_base_random(void **state)
{
	static const char pool[] = "ab.+-x1";
	char in[40], delims[4];
	unsigned cut_seen = 0;

	(void)state;
	for (unsigned iter = 0; iter < 200000; iter++) {
		size_t ll = 1 + rng() % 20, n = 0;
		for (size_t i = 0; i < ll; i++)
			in[n++] = pool[rng() % (sizeof(pool) - 1)];
		memcpy(in + n, "@ex.com", 7);
		n += 7;
		size_t nd = rng() % 3;
		for (size_t i = 0; i < nd; i++)
			delims[i] = pool[rng() % (sizeof(pool) - 1)];
		delims[nd] = '\0';
		struct rg_addr a, b;
		if (rg_addr_normalize(in, n, 0, &a) != RG_ADDR_OK)
			continue; /* dots that lead or repeat still normalise; anything else is not the point */
		size_t cut = a.local_len;
		for (size_t i = 1; i < a.local_len && cut == a.local_len; i++)
			if (nd > 0 && strchr(delims, a.buf[i]) != NULL)
				cut = i;
		bool got = rg_addr_base(&a, delims, &b);
		if (got != (cut < a.local_len) ||
		    (got &&
		     (b.local_len != cut || memcmp(b.buf, a.buf, cut) != 0 ||
		      strcmp(b.buf + cut, a.buf + a.local_len) != 0)))
			fail_msg("'%s' delimiters '%s': extension %d, want cut at %zu", a.buf, delims, got,
				 cut);
		cut_seen += got;
	}
	assert_true(cut_seen > 10000);
}

/* The atext bitmap agrees with RFC 5322's list, byte by byte. */
static void
test_atext_map(void **state)
{
	static const char specials[] = "!#$%&'*+-/=?^_`{|}~";

	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		bool want = c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || (c != 0 && strchr(specials, (int)c) != NULL);
		if (rg_addr__atext((unsigned char)c) != want)
			fail_msg("atext map wrong for byte 0x%02x", c);
	}
}

/* The fast paths' class table agrees with atext and the domain label rule. */
static void
test_class_table(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		unsigned k = rg_addr__class((unsigned char)c);
		bool local = c == '.' || rg_addr__atext((unsigned char)c);
		bool label = c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_';
		bool upper = c >= 'A' && c <= 'Z';
		if (((k & RG_AC_LOCAL) != 0) != local || ((k & RG_AC_DOMAIN) != 0) != label ||
		    ((k & RG_AC_UPPER) != 0) != upper)
			fail_msg("class table wrong for byte 0x%02x", c);
	}
}

/*
 * A random mailbox: mostly address-like (letters, digits, dots, '@',
 * '+', '-', '_') with now and then a byte the fast paths must refuse, of
 * lengths around the 16-byte steps and the SSE2 and local-part limits.
 */
static size_t
random_mailbox(char *buf, size_t cap)
{
	static const char common[] = "abcxyzABCXYZ0189.@+-_";
	static const char rare[] = "\"\\[]():;, <>'=/\x01\x7f\x80\xc3\xff";
	size_t n = rng() % 8 == 0 ? rng() % cap : rng() % 80;

	for (size_t i = 0; i < n; i++) {
		uint64_t r = rng();
		if (r % 61 == 0)
			buf[i] = rare[(r >> 8) % (sizeof(rare) - 1)];
		else if (r % 7 == 0)
			buf[i] = common[12 + (r >> 8) % 9]; /* punctuation */
		else
			buf[i] = common[(r >> 8) % 12];
	}
	return n;
}

static void
expect_same(const char *in, size_t n, unsigned flags, int rc, const struct rg_addr *got)
{
	struct rg_addr want;
	int wrc = rg_addr_normalize_full(in, n, flags, &want);

	if (rc != wrc ||
	    (rc == RG_ADDR_OK &&
	     (got->len != want.len || got->local_len != want.local_len ||
	      memcmp(got->buf, want.buf, want.len + 1) != 0)))
		fail_msg("'%.*s' (flags %u): rc %d '%s' local %u, full parser rc %d '%s' local %u", (int)n,
			 in, flags, rc, got->buf, got->local_len, wrc, want.buf, want.local_len);
}

/* Every fast path gives exactly what the full parser gives, or defers to it. */
static void
test_fast_paths_agree(void **state)
{
	char buf[300];
	unsigned fast = 0, fast_sse2 = 0, fast_avx512 = 0;
#if defined(RG_ADDR_HAVE_AVX512)
	bool avx512 = rg_addr__avx512_ok();
#else
	bool avx512 = false;
#endif

	(void)state;
	for (unsigned iter = 0; iter < 400000; iter++) {
		size_t n = random_mailbox(buf, sizeof(buf));
		unsigned flags = iter % 5 == 0 ? RG_ADDR_F_CASE_EXACT : 0;
		struct rg_addr a;
		/* a '@' somewhere in the middle most of the time */
		if (n > 2 && iter % 3 != 0)
			buf[1 + rng() % (n - 2)] = '@';
		expect_same(buf, n, flags, rg_addr_normalize(buf, n, flags, &a), &a);
		if (rg_addr__fast(buf, n, flags, &a) == RG_ADDR_OK) {
			fast++;
			expect_same(buf, n, flags, RG_ADDR_OK, &a);
		}
#if defined(__SSE2__)
		if (rg_addr__fast_sse2(buf, n, flags, &a) == RG_ADDR_OK) {
			fast_sse2++;
			expect_same(buf, n, flags, RG_ADDR_OK, &a);
		}
#else
		fast_sse2 = 1000;
#endif
#if defined(RG_ADDR_HAVE_AVX512)
		if (avx512 && rg_addr__fast_avx512(buf, n, flags, &a) == RG_ADDR_OK) {
			fast_avx512++;
			expect_same(buf, n, flags, RG_ADDR_OK, &a);
		}
#endif
	}
	/* the generator does reach the fast paths (else this test proves nothing) */
	assert_true(fast > 1000);
	assert_true(fast_sse2 > 1000);
	if (avx512)
		assert_true(fast_avx512 > 1000);
	else
		print_message("AVX-512BW not on this CPU: its fast path not run here\n");
}

/* The cases of the fast path's edges, each compared with the full parser. */
static void
test_fast_path_edges(void **state)
{
	static const char *const cases[] = {
		"a@b",
		"A@B",
		"a.@b",
		".a@b",
		"a@b.",
		"a@.b",
		"a@b..c",
		"a@b-.c",
		"a@-b",
		"a+b@c",
		"a@b+c",
		"a@b@c",
		"@a",
		"a@",
		"a_b@c_d.e-f",
		"\xc3\xa9@b",
		"a@\xc3\xa9",
		"0123456789012345678901234567890123456789012345678901234567890123@x",
		"01234567890123456789012345678901234567890123456789012345678901234@x",
		"abcdefghijklmno@abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz.com",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnop@abcdefghijklmnopqrstu.v",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnop@abcdefghijklmnopqrstu.",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnop@abcdefghijklmnopqrst.v",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (unsigned flags = 0; flags <= RG_ADDR_F_CASE_EXACT; flags++) {
			struct rg_addr a;
			size_t n = strlen(cases[i]);
			expect_same(cases[i], n, flags, rg_addr_normalize(cases[i], n, flags, &a), &a);
			/* each fast path on its own: right, or deferring */
			if (rg_addr__fast(cases[i], n, flags, &a) == RG_ADDR_OK)
				expect_same(cases[i], n, flags, RG_ADDR_OK, &a);
#if defined(__SSE2__)
			if (rg_addr__fast_sse2(cases[i], n, flags, &a) == RG_ADDR_OK)
				expect_same(cases[i], n, flags, RG_ADDR_OK, &a);
#endif
#if defined(RG_ADDR_HAVE_AVX512)
			if (rg_addr__avx512_ok() &&
			    rg_addr__fast_avx512(cases[i], n, flags, &a) == RG_ADDR_OK)
				expect_same(cases[i], n, flags, RG_ADDR_OK, &a);
#endif
		}
	}
}

/* rg_addr__find agrees with memchr at every length up to 64 and position, for any byte. */
static void
test_find(void **state)
{
	char buf[RG_LOCAL_MAX];

	(void)state;
	for (unsigned iter = 0; iter < 200000; iter++) {
		/* what lies past N (readable, per the contract) must not be found */
		memset(buf, (int)"+-z"[rng() % 3], sizeof(buf));
		size_t n = rng() % (RG_LOCAL_MAX + 1);
		for (size_t i = 0; i < n; i++)
			buf[i] = "ab+-\x80\xff\x00"[rng() % 7];
		char c = "+-\x80\xff\x00z"[rng() % 6];
		const char *m = memchr(buf, c, n);
		size_t want = m != NULL ? (size_t)(m - buf) : n;
		if (rg_addr__find(buf, n, c) != want)
			fail_msg("find 0x%02x in %zu bytes: %zu, memchr %zu", (unsigned char)c, n,
				 rg_addr__find(buf, n, c), want);
	}
}

static void
test_hash(void **state)
{
	const char *k = "user@example.com";

	(void)state;
	uint64_t h1 = rg_hash64(k, strlen(k), 1);
	assert_int_equal(h1, rg_hash64(k, strlen(k), 1));
	assert_int_not_equal(h1, rg_hash64(k, strlen(k), 2));
	assert_int_not_equal(h1, rg_hash64("user@example.con", 16, 1));
	/* known value: XXH3-64 of "" with seed 0, so the format cannot drift */
	assert_int_equal(rg_hash64("", 0, 0), UINT64_C(0x2d06800538d394c2));
	assert_int_equal(rg_mulhi64(UINT64_MAX, 10), 9);
	assert_int_equal(rg_mulhi64(0, 10), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_table),
		cmocka_unit_test(test_normalize_not_terminated),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_base),
		cmocka_unit_test(test_base_random),
		cmocka_unit_test(test_atext_map),
		cmocka_unit_test(test_class_table),
		cmocka_unit_test(test_fast_paths_agree),
		cmocka_unit_test(test_fast_path_edges),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
