/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_table.c - unit tests of the recipient table
 * DESCRIPTION
 *	Builds tables with the builder, loads them with the verifying
 *	loader and checks: every member of a 100k random set is found
 *	(single and burst); a million random non-members are never
 *	accepted; catch-all and delimiter rules; duplicates; source line
 *	syntax; the file written atomically; that each kind of corrupt
 *	file is refused with its own reason; the served-domain set with
 *	thousands of domains; and that an open table is a private copy
 *	(rewriting its file changes nothing).
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
#include <cmocka.h>

#include <rcptgate/table_format.h>

#include <sys/mman.h>

#include "table/tbl.h"
#include "table/tbl_impl.h"
#include "xorshift.h"

/* A random address "xxxxxxxx.NNN@dN.example" into BUF; local part from 2 words. */
static size_t
random_addr(char *buf, size_t cap, unsigned n_domains)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t r = rng(), r2 = rng();
	char local[24];
	size_t ll = 4 + r % 12;

	for (size_t i = 0; i < ll; i++)
		local[i] = al[(r2 >> (i * 5 % 60)) % 36 ^ (i & 1)];
	local[ll] = '\0';
	return (size_t)snprintf(buf, cap, "%s.%llu@d%u.example", local, (unsigned long long)(rng() % 100000),
				(unsigned)(r % n_domains));
}

static int
add(struct tbl_builder *b, const char *line)
{
	char err[256];

	return tbl_builder_add_line(b, line, strlen(line), err, sizeof(err));
}

static struct tbl *
finish(struct tbl_builder *b, void **img, size_t *len)
{
	char err[256];
	struct tbl *t = NULL;

	if (tbl_builder_finish(b, img, len, err, sizeof(err)) != 0)
		fail_msg("finish: %s", err);
	if (tbl_open_buffer(*img, *len, &t, err, sizeof(err)) != 0)
		fail_msg("open: %s", err);
	return t;
}

static enum tbl_rule
look(const struct tbl *t, const char *s, const char *delims)
{
	struct rg_addr a;

	if (rg_addr_normalize(s, strlen(s), tbl_addr_flags(t), &a) != RG_ADDR_OK)
		fail_msg("cannot normalise '%s'", s);
	return tbl_lookup(t, &a, delims);
}

#define N_MEMBERS 100000
#define N_STRANGERS 1000000

static void
test_members_and_strangers(void **state)
{
	struct tbl_builder *b = tbl_builder_new(0);
	char(*m)[64] = malloc(N_MEMBERS * sizeof(*m));
	void *img;
	size_t len;

	(void)state;
	assert_non_null(b);
	assert_non_null(m);
	for (size_t i = 0; i < N_MEMBERS; i++) {
		random_addr(m[i], sizeof(m[i]), 20);
		assert_int_equal(add(b, m[i]), 0);
		/* duplicates all along the source: the keys after them move in the blob */
		if (i % 37 == 0)
			assert_int_equal(add(b, m[i / 2]), 0);
	}
	struct tbl *t = finish(b, &img, &len);
	struct tbl_build_stats st;
	tbl_builder_stats(b, &st);
	assert_true(st.duplicates >= N_MEMBERS / 37);
	assert_int_equal(tbl_n_addresses(t) + st.duplicates, N_MEMBERS + (N_MEMBERS + 36) / 37);
	assert_int_equal(tbl_n_domains(t), 20);
	assert_true(tbl_n_addresses(t) > N_MEMBERS * 99 / 100);

	/* every member, single */
	for (size_t i = 0; i < N_MEMBERS; i++)
		if (look(t, m[i], "+") != TBL_RULE_EXACT)
			fail_msg("member %zu '%s' not found", i, m[i]);
	/* every member, burst, upper-cased (folding) */
	static struct rg_addr a[100];
	const struct rg_addr *pa[100];
	enum tbl_rule out[100];
	for (size_t i = 0; i < N_MEMBERS; i += 100) {
		for (size_t j = 0; j < 100; j++) {
			char up[64];
			size_t l = strlen(m[i + j]);
			for (size_t k = 0; k <= l; k++)
				up[k] = (m[i + j][k] >= 'a' && m[i + j][k] <= 'z') ? m[i + j][k] - 32
										   : m[i + j][k];
			assert_int_equal(rg_addr_normalize(up, l, 0, &a[j]), RG_ADDR_OK);
			pa[j] = &a[j];
		}
		assert_int_equal(tbl_lookup_burst(t, pa, 100, "+", out), 100);
		for (size_t j = 0; j < 100; j++)
			if (out[j] != TBL_RULE_EXACT)
				fail_msg("burst: member '%s' got %s", m[i + j], tbl_rule_name(out[j]));
	}

	/* strangers in served domains: never accepted (burst of 32 and single) */
	char s[64];
	uint64_t none = 0;
	for (size_t i = 0; i < N_STRANGERS; i += 32) {
		for (size_t j = 0; j < 32; j++) {
			size_t l = random_addr(s, sizeof(s), 20);
			s[0] = '_'; /* members start with a letter or digit */
			assert_int_equal(rg_addr_normalize(s, l, 0, &a[j]), RG_ADDR_OK);
			pa[j] = &a[j];
		}
		tbl_lookup_burst(t, pa, 32, "+", out);
		for (size_t j = 0; j < 32; j++) {
			if (out[j] != TBL_RULE_NONE)
				fail_msg("stranger '%s' got %s", a[j].buf, tbl_rule_name(out[j]));
			none++;
		}
		if (tbl_lookup(t, &a[0], "+") != TBL_RULE_NONE)
			fail_msg("stranger '%s' accepted by single lookup", a[0].buf);
	}
	assert_true(none >= N_STRANGERS);
	/* strangers in other domains */
	assert_int_equal(look(t, "x@d20.example", "+"), TBL_RULE_NO_DOMAIN);
	assert_int_equal(look(t, "postmaster", "+"), TBL_RULE_NO_DOMAIN);

	tbl_close(t);
	free(img);
	free(m);
	tbl_builder_free(b);
}

static struct tbl *
small_table(unsigned flags, void **img, size_t *len, struct tbl_builder **bp)
{
	static const char *const lines[] = {
		"# recipients",
		"",
		"   alice@example.com  ",
		"Bob@Example.com OK",
		"<carol@example.com>",
		"\"dave\"@example.com\tOK",
		"alice@example.com", /* duplicate */
		"ALICE@EXAMPLE.COM", /* duplicate after folding */
		"@catchall.example",
		"@catchall.example", /* duplicate catch-all */
		"info@catchall.example",
		"joe@plus.example",
		"joe-list@plus.example",
		"MixedCase@exact.example",
		"line-with-cr@example.com\r",
	};
	struct tbl_builder *b = tbl_builder_new(flags);

	assert_non_null(b);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (add(b, lines[i]) != 0)
			fail_msg("line '%s' refused", lines[i]);
	struct tbl *t = finish(b, img, len);
	*bp = b;
	return t;
}

static void
test_rules(void **state)
{
	struct tbl_builder *b;
	void *img;
	size_t len;
	struct tbl *t = small_table(0, &img, &len, &b);
	struct tbl_build_stats st;

	(void)state;
	tbl_builder_stats(b, &st);
	assert_int_equal(st.duplicates, 3);
	assert_int_equal(tbl_n_addresses(t), 9);
	assert_int_equal(tbl_n_domains(t), 4);
	assert_int_equal(tbl_n_catchall(t), 1);
	assert_int_equal(st.catchall, 1);

	assert_int_equal(look(t, "alice@example.com", "+"), TBL_RULE_EXACT);
	assert_int_equal(look(t, "bob@example.com", "+"), TBL_RULE_EXACT);
	assert_int_equal(look(t, "carol@EXAMPLE.com", "+"), TBL_RULE_EXACT);
	assert_int_equal(look(t, "dave@example.com", "+"), TBL_RULE_EXACT);
	assert_int_equal(look(t, "line-with-cr@example.com", "+"), TBL_RULE_EXACT);
	assert_int_equal(look(t, "mixedcase@exact.example", "+"), TBL_RULE_EXACT);
	assert_int_equal(look(t, "eve@example.com", "+"), TBL_RULE_NONE);
	/* delimiter: base address */
	assert_int_equal(look(t, "alice+news@example.com", "+"), TBL_RULE_BASE);
	assert_int_equal(look(t, "alice+news@example.com", ""), TBL_RULE_NONE);
	assert_int_equal(look(t, "alice-news@example.com", "+"), TBL_RULE_NONE);
	assert_int_equal(look(t, "alice-news@example.com", "+-"), TBL_RULE_BASE);
	assert_int_equal(look(t, "eve+x@example.com", "+"), TBL_RULE_NONE);
	/* exact beats the base address */
	assert_int_equal(look(t, "joe-list@plus.example", "-"), TBL_RULE_EXACT);
	assert_int_equal(look(t, "joe-other@plus.example", "-"), TBL_RULE_BASE);
	/* catch-all: exact first, then base, then catch-all */
	assert_int_equal(look(t, "info@catchall.example", "+"), TBL_RULE_EXACT);
	assert_int_equal(look(t, "info+x@catchall.example", "+"), TBL_RULE_BASE);
	assert_int_equal(look(t, "anyone@catchall.example", "+"), TBL_RULE_CATCHALL);
	assert_int_equal(look(t, "anyone@sub.catchall.example", "+"), TBL_RULE_NO_DOMAIN);
	assert_int_equal(look(t, "alice@example.org", "+"), TBL_RULE_NO_DOMAIN);
	assert_true(tbl_domain_served(t, "plus.example", 12));
	assert_false(tbl_domain_served(t, "plus.exampl", 11));

	/* burst agrees with single on a mix, including more than TBL_BURST_MAX */
	static const char *const mix[] = { "alice@example.com",	 "alice+x@example.com", "zed@example.com",
					   "q@catchall.example", "q@nowhere.example",	"postmaster" };
	struct rg_addr a[70];
	const struct rg_addr *pa[70];
	enum tbl_rule out[70];
	for (size_t i = 0; i < 70; i++) {
		const char *s = mix[i % 6];
		assert_int_equal(rg_addr_normalize(s, strlen(s), 0, &a[i]), RG_ADDR_OK);
		pa[i] = &a[i];
	}
	assert_int_equal(tbl_lookup_burst(t, pa, 70, "+", out), 70);
	for (size_t i = 0; i < 70; i++)
		assert_int_equal(out[i], tbl_lookup(t, &a[i], "+"));
	assert_int_equal(out[1], TBL_RULE_BASE);
	assert_int_equal(out[3], TBL_RULE_CATCHALL);
	assert_int_equal(out[4], TBL_RULE_NO_DOMAIN);

	tbl_close(t);
	free(img);
	tbl_builder_free(b);
}

static void
test_case_exact(void **state)
{
	struct tbl_builder *b;
	void *img;
	size_t len;
	struct tbl *t = small_table(RG_ADDR_F_CASE_EXACT, &img, &len, &b);

	(void)state;
	assert_int_equal(tbl_addr_flags(t), RG_ADDR_F_CASE_EXACT);
	assert_int_equal(look(t, "MixedCase@EXACT.example", "+"), TBL_RULE_EXACT);
	assert_int_equal(look(t, "mixedcase@exact.example", "+"), TBL_RULE_NONE);
	assert_int_equal(look(t, "Bob@example.com", "+"), TBL_RULE_EXACT);
	assert_int_equal(look(t, "bob@example.com", "+"), TBL_RULE_NONE);
	tbl_close(t);
	free(img);
	tbl_builder_free(b);
}

static void
test_bad_lines(void **state)
{
	static const char *const bad[] = {
		"not an address",
		"user",
		"user@",
		"@",
		"@bad..domain",
		"a@b@c",
		"user@example.com REJECT",
		"user@example.com 550 no",
		"postmaster",
		"x@exa(mple.com",
	};
	struct tbl_builder *b = tbl_builder_new(0);
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (tbl_builder_add_line(b, bad[i], strlen(bad[i]), err, sizeof(err)) != -EINVAL)
			fail_msg("bad line '%s' accepted", bad[i]);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(tbl_builder_add_line(b, "a\0b@x.com", 9, err, sizeof(err)), -EINVAL);
	tbl_builder_free(b);
}

/* Empty source: a valid table that serves no domain. */
static void
test_empty(void **state)
{
	struct tbl_builder *b = tbl_builder_new(0);
	void *img;
	size_t len;

	(void)state;
	assert_int_equal(add(b, "# nothing"), 0);
	struct tbl *t = finish(b, &img, &len);
	assert_int_equal(tbl_n_addresses(t), 0);
	assert_int_equal(look(t, "a@b.example", "+"), TBL_RULE_NO_DOMAIN);
	tbl_close(t);
	free(img);
	tbl_builder_free(b);
}

static void
test_write_and_open(void **state)
{
	char dir[] = "/tmp/rgtblXXXXXX", path[64], err[256];
	struct tbl_builder *b = tbl_builder_new(0);
	struct tbl *t;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.tbl", dir);
	assert_int_equal(add(b, "user@example.com"), 0);
	for (unsigned i = 0; i < 1000; i++) {
		char line[64];
		snprintf(line, sizeof(line), "user%u@example.com", i);
		assert_int_equal(add(b, line), 0);
	}
	assert_int_equal(tbl_builder_write(b, path, err, sizeof(err)), 0);
	assert_int_equal(tbl_open(path, &t, err, sizeof(err)), 0);
	assert_int_equal(look(t, "user@example.com", ""), TBL_RULE_EXACT);
	/*
	 * tbl_open keeps a private copy of what it verified: rewriting the
	 * file in place (here with zeros) changes nothing for lookups.
	 */
	FILE *f = fopen(path, "r+");
	assert_non_null(f);
	static char zeros[1 << 16];
	assert_int_equal(fwrite(zeros, 1, sizeof(zeros), f), sizeof(zeros));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(look(t, "user999@example.com", ""), TBL_RULE_EXACT);
	assert_int_equal(look(t, "user1000@example.com", ""), TBL_RULE_NONE);
	tbl_close(t);
	assert_int_equal(tbl_open(path, &t, err, sizeof(err)), -EINVAL); /* the zeroed file */
	unlink(path);
	assert_int_equal(tbl_open(path, &t, err, sizeof(err)), -ENOENT);
	assert_null(t);
	assert_non_null(strstr(err, path));
	/* the temporary file is gone: the directory is empty again */
	assert_int_equal(rmdir(dir), 0);
	tbl_builder_free(b);
}

/*
 * Every member whose key is 5 to 74 bytes long is found, and no address
 * one byte away from a member (at any position) is taken for it, with
 * the shortest key at the very end of the blob, both in a buffer
 * (nothing readable past the blob) and in tbl_open's padded copy. (A
 * near miss seldom gets past the fingerprint: test_blob_eq holds the
 * key compare itself to every length and position.)
 */
static void
check_lengths(const struct tbl *t, char (*m)[96], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char near[96];
		size_t l = strlen(m[i]);
		if (look(t, m[i], "") != TBL_RULE_EXACT)
			fail_msg("'%s' (%zu bytes) not found", m[i], l);
		for (size_t p = 0; p < l; p++) {
			if (m[i][p] == '@' || m[i][p] == '.')
				continue;
			memcpy(near, m[i], l + 1);
			near[p] = m[i][p] == 'q' ? 'r' : 'q';
			if (look(t, near, "") == TBL_RULE_EXACT)
				fail_msg("'%s' taken for member '%s'", near, m[i]);
		}
	}
}

static void
test_key_lengths(void **state)
{
	char dir[] = "/tmp/rgtblXXXXXX", path[64], err[256];
	static char m[90][96];
	struct tbl_builder *b = tbl_builder_new(0);
	struct tbl *t;
	void *img;
	size_t len, n = 0;

	(void)state;
	assert_int_equal(add(b, "a@k.example"), 0); /* brings the domain key first */
	for (size_t l = 1; l <= 64 && n < 90; l++) {
		/* local part of L bytes at domain k.example (10 bytes), and one at "k.x" */
		for (size_t k = 0; k < l; k++)
			m[n][k] = (char)('a' + (k * 7 + l) % 26);
		snprintf(m[n] + l, sizeof(m[n]) - l, "@k.example");
		n++;
		if (l <= 20) {
			memcpy(m[n], m[n - 1], l);
			snprintf(m[n] + l, sizeof(m[n]) - l, "@k.x");
			n++;
		}
	}
	/* the shortest key last: at the very end of the blob */
	snprintf(m[n++], sizeof(m[0]), "z@k.x");
	for (size_t i = 0; i < n; i++)
		assert_int_equal(add(b, m[i]), 0);
	t = finish(b, &img, &len);
	check_lengths(t, m, n);
	tbl_close(t);
	free(img);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.tbl", dir);
	assert_int_equal(tbl_builder_write(b, path, err, sizeof(err)), 0);
	assert_int_equal(tbl_open(path, &t, err, sizeof(err)), 0);
	check_lengths(t, m, n);
	tbl_close(t);
	unlink(path);
	rmdir(dir);
	tbl_builder_free(b);
}

/*
 * tbl_blob_eq against memcmp for every length 0..80 and every position
 * of a difference, with the blob key ending right before an unmapped
 * page (an over-read past the blob would fault) and with padding after
 * it, and at every alignment.
 */
static void
test_blob_eq(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char k[RG_PATH_MAX + 1];

	(void)state;
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
	for (size_t len = 0; len <= 80; len++) {
		for (size_t pad = 0; pad <= 20; pad += 20) {
			for (size_t align = 0; align < 16; align += 5) {
				/* the key at blob offset ALIGN; the blob ends PAD bytes after it, at the guard page */
				char *blob = map + pg - pad - len - align;
				struct tbl t = { .blob = blob, .blob_readable = align + len + pad };
				for (size_t i = 0; i < len; i++)
					blob[align + i] = k[i] = (char)('a' + (i * 7 + len) % 26);
				memset(k + len, 'x', sizeof(k) - len); /* past the key: must not count */
				if (!tbl_blob_eq(&t, align, k, len))
					fail_msg("length %zu, pad %zu, align %zu: equal keys differ", len,
						 pad, align);
				for (size_t p = 0; p < len; p++) {
					k[p] ^= 0x20;
					if (tbl_blob_eq(&t, align, k, len))
						fail_msg("length %zu: keys differing at byte %zu compare "
							 "equal",
							 len, p);
					k[p] ^= 0x20;
				}
			}
		}
	}
	munmap(map, (size_t)pg * 2);
}

/* The statistics describe the table, however often it is finished or written. */
static void
test_stats_repeatable(void **state)
{
	char dir[] = "/tmp/rgtblXXXXXX", path[64], err[256];
	struct tbl_builder *b = tbl_builder_new(0);
	struct tbl_build_stats st;
	void *img;
	size_t len;

	(void)state;
	for (const char *const *l = (const char *const[]){ "a@x.example", "A@x.example", "b@x.example",
							   "@y.example", "@y.example", NULL };
	     *l; l++)
		assert_int_equal(add(b, *l), 0);
	for (unsigned round = 0; round < 3; round++) {
		if (round < 2) {
			assert_int_equal(tbl_builder_finish(b, &img, &len, err, sizeof(err)), 0);
			free(img);
		} else {
			assert_non_null(mkdtemp(dir));
			snprintf(path, sizeof(path), "%s/t.tbl", dir);
			assert_int_equal(tbl_builder_write(b, path, err, sizeof(err)), 0);
			unlink(path);
			rmdir(dir);
		}
		tbl_builder_stats(b, &st);
		assert_int_equal(st.addresses, 2);
		assert_int_equal(st.domains, 2);
		assert_int_equal(st.catchall, 1);
		assert_int_equal(st.duplicates, 2); /* A@x (folded) and the second @y */
	}
	tbl_builder_free(b);
}

/* ---- corrupt files ---- */

enum corruption {
	C_TRUNC_HEADER,
	C_TRUNC_PAYLOAD,
	C_MAGIC,
	C_VERSION,
	C_VERSION_OLD,
	C_HEADER_SUM,
	C_PAYLOAD_BYTE,
	C_SLOT_OUT_OF_BLOB,
	C_SECTION_OUTSIDE,
	C_SECTIONS_OVERLAP,
	C_FLAGS,
	C_COUNTS,
	C_DOMAIN_TAG,
	C_BUCKETS,
	C_MAX
};

struct corrupt_case {
	enum corruption c;
	int rc;
	const char *why; /* substring of the reason */
};

static const struct corrupt_case corrupt_cases[] = {
	{ C_TRUNC_HEADER, -EINVAL, "truncated" },
	{ C_TRUNC_PAYLOAD, -EINVAL, "outside" },
	{ C_MAGIC, -EINVAL, "magic" },
	{ C_VERSION, -EPROTONOSUPPORT, "version 3" },
	{ C_VERSION_OLD, -EPROTONOSUPPORT, "version 1 not supported" }, /* format 1 hashed addresses whole */
	{ C_HEADER_SUM, -EINVAL, "header checksum" },
	{ C_PAYLOAD_BYTE, -EINVAL, "payload checksum" },
	{ C_SLOT_OUT_OF_BLOB, -EINVAL, "outside the key blob" },
	{ C_SECTION_OUTSIDE, -EINVAL, "outside" },
	{ C_SECTIONS_OVERLAP, -EINVAL, "overlap" },
	{ C_FLAGS, -EINVAL, "flags" },
	{ C_COUNTS, -EINVAL, "counts" },
	{ C_DOMAIN_TAG, -EINVAL, "tag" },
	{ C_BUCKETS, -EINVAL, "bucket" },
};

/* First non-empty slot whose key is an address (or a domain when DOM). */
static uint64_t *
find_slot(char *img, bool dom)
{
	struct tbl_file_header *h = (void *)img;
	uint64_t *slots = (uint64_t *)(void *)(img + h->slots_off);

	for (uint64_t i = 0; i < h->n_slots; i++)
		if (slots[i] != 0 && (img[h->blob_off + tbl_fmt_slot_off(slots[i])] == '@') == dom)
			return &slots[i];
	fail_msg("no slot found");
	return NULL;
}

static void
test_corrupt(void **state)
{
	struct tbl_builder *b;
	void *good;
	size_t len;
	struct tbl *t = small_table(0, &good, &len, &b);

	(void)state;
	tbl_close(t);
	_Static_assert(sizeof(corrupt_cases) / sizeof(corrupt_cases[0]) == C_MAX, "one case per corruption");
	for (size_t i = 0; i < C_MAX; i++) {
		const struct corrupt_case *cc = &corrupt_cases[i];
		char *img = aligned_alloc(64, (len + 63) / 64 * 64);
		struct tbl_file_header *h = (void *)img;
		size_t l = len;
		char err[256] = "";

		memcpy(img, good, len);
		switch (cc->c) {
		case C_TRUNC_HEADER:
			l = 100;
			break;
		case C_TRUNC_PAYLOAD:
			l = len - 1;
			break;
		case C_MAGIC:
			img[0] ^= 1;
			break;
		case C_VERSION:
			h->version = TBL_VERSION + 1;
			tbl_fmt_seal(img, l);
			break;
		case C_VERSION_OLD:
			h->version = 1;
			tbl_fmt_seal(img, l);
			break;
		case C_HEADER_SUM:
			h->n_slots++;
			break;
		case C_PAYLOAD_BYTE:
			img[len - 3] ^= 0x20;
			break;
		case C_SLOT_OUT_OF_BLOB: {
			uint64_t *s = find_slot(img, false);
			*s = tbl_fmt_slot_make(tbl_fmt_slot_fp(*s), tbl_fmt_slot_len(*s), h->blob_size - 2);
			tbl_fmt_seal(img, l);
			break;
		}
		case C_SECTION_OUTSIDE:
			h->blob_size += 64;
			tbl_fmt_seal(img, l);
			break;
		case C_SECTIONS_OVERLAP:
			h->slots_off -= 64;
			tbl_fmt_seal(img, l);
			break;
		case C_FLAGS:
			h->flags |= 0x80;
			tbl_fmt_seal(img, l);
			break;
		case C_COUNTS:
			h->n_addresses--;
			tbl_fmt_seal(img, l);
			break;
		case C_DOMAIN_TAG: {
			uint64_t *s = find_slot(img, true);
			img[h->blob_off + tbl_fmt_slot_off(*s) + tbl_fmt_slot_len(*s)] = 7;
			tbl_fmt_seal(img, l);
			break;
		}
		case C_BUCKETS:
			h->n_buckets = 1;
			tbl_fmt_seal(img, l);
			break;
		case C_MAX:
			break;
		}
		t = NULL;
		int rc = tbl_open_buffer(img, l, &t, err, sizeof(err));
		if (rc != cc->rc || t != NULL || strstr(err, cc->why) == NULL)
			fail_msg("corruption %zu: rc %d (want %d), reason '%s' (want '%s')", i, rc, cc->rc,
				 err, cc->why);
		free(img);
	}
	/* the good image still loads (the cases above are not vacuous) */
	assert_int_equal(tbl_open_buffer(good, len, &t, NULL, 0), 0);
	uint64_t serial = tbl_serial(t);
	tbl_close(t);
	/* opened again, most likely at the same address: another serial */
	assert_int_equal(tbl_open_buffer(good, len, &t, NULL, 0), 0);
	assert_true(tbl_serial(t) > serial);
	tbl_close(t);
	free(good);
	tbl_builder_free(b);
}

/*
 * The served-domain set with many domains (its probe runs cross many
 * collisions): every served domain is served, with its own tag (every
 * third has a catch-all), near misses and other domains are not;
 * single and burst lookups agree.
 */
#define N_DOMAINS 5000

static void
test_domain_set(void **state)
{
	struct tbl_builder *b = tbl_builder_new(0);
	char line[128];
	void *img;
	size_t len;

	(void)state;
	for (unsigned d = 0; d < N_DOMAINS; d++) {
		snprintf(line, sizeof(line), "%s@dom%u.example", d % 2 ? "user" : "other", d);
		assert_int_equal(add(b, line), 0);
		if (d % 3 == 0) {
			snprintf(line, sizeof(line), "@dom%u.example", d);
			assert_int_equal(add(b, line), 0);
		}
	}
	struct tbl *t = finish(b, &img, &len);
	assert_int_equal(tbl_n_domains(t), N_DOMAINS);
	assert_int_equal(tbl_n_catchall(t), (N_DOMAINS + 2) / 3);

	static struct rg_addr a[3 * N_DOMAINS];
	static const struct rg_addr *pa[3 * N_DOMAINS];
	static enum tbl_rule want[3 * N_DOMAINS], got[3 * N_DOMAINS];
	unsigned k = 0;
	for (unsigned d = 0; d < N_DOMAINS; d++) {
		int dl = snprintf(line, sizeof(line), "dom%u.example", d);
		assert_true(tbl_domain_served(t, line, (size_t)dl));
		assert_false(tbl_domain_served(t, line, (size_t)dl - 1));
		dl = snprintf(line, sizeof(line), "dom%u.example", d + N_DOMAINS);
		assert_false(tbl_domain_served(t, line, (size_t)dl));

		/* a member, a stranger of the same domain, a stranger elsewhere */
		const char *user = d % 2 ? "user" : "other";
		enum tbl_rule miss = d % 3 == 0 ? TBL_RULE_CATCHALL : TBL_RULE_NONE;
		snprintf(line, sizeof(line), "%s@DOM%u.example", user, d);
		assert_int_equal(rg_addr_normalize(line, strlen(line), 0, &a[k]), RG_ADDR_OK);
		want[k++] = TBL_RULE_EXACT;
		snprintf(line, sizeof(line), "%s@dom%u.example", d % 2 ? "other" : "user", d);
		assert_int_equal(rg_addr_normalize(line, strlen(line), 0, &a[k]), RG_ADDR_OK);
		want[k++] = miss;
		snprintf(line, sizeof(line), "%s@dom%u.example.org", user, d);
		assert_int_equal(rg_addr_normalize(line, strlen(line), 0, &a[k]), RG_ADDR_OK);
		want[k++] = TBL_RULE_NO_DOMAIN;
	}
	for (unsigned i = 0; i < k; i++) {
		pa[i] = &a[i];
		if (tbl_lookup(t, &a[i], "+") != want[i])
			fail_msg("'%s': %s, want %s", a[i].buf, tbl_rule_name(tbl_lookup(t, &a[i], "+")),
				 tbl_rule_name(want[i]));
	}
	assert_int_equal(tbl_lookup_burst(t, pa, k, "+", got), k);
	for (unsigned i = 0; i < k; i++)
		if (got[i] != want[i])
			fail_msg("burst '%s': %s, want %s", a[i].buf, tbl_rule_name(got[i]),
				 tbl_rule_name(want[i]));
	tbl_close(t);
	free(img);
	tbl_builder_free(b);
}

/*
 * A table made by hand whose address's domain is not in the domain set
 * (rcptgatectl never writes one: it adds every address's domain): the
 * domain key "@x.example" renamed to "@y.example" in the image, the
 * checksums made right again. It is refused as corrupt: single and
 * burst lookups (the RCPT bursts take the burst's rule) would disagree
 * on it, the one asking the domain set first, the other after a miss.
 */
static void
test_unserved_member_refused(void **state)
{
	struct tbl_builder *b = tbl_builder_new(0);
	void *img;
	size_t len;
	char err[256];
	struct tbl *t;

	(void)state;
	assert_int_equal(add(b, "alice@x.example"), 0);
	assert_int_equal(add(b, "bob@z.example"), 0);
	tbl_close(finish(b, &img, &len));
	tbl_builder_free(b);
	/* the domain key is the "@x.example" not preceded by "alice" */
	unsigned renamed = 0;
	for (uint8_t *p = img; p + 10 <= (uint8_t *)img + len; p++)
		if (memcmp(p, "@x.example", 10) == 0 && (p == img || p[-1] != 'e')) {
			p[1] = 'y';
			renamed++;
		}
	assert_int_equal(renamed, 1);
	tbl_fmt_seal(img, len);
	assert_int_equal(tbl_open_buffer(img, len, &t, err, sizeof(err)), -EINVAL);
	assert_null(t);
	assert_non_null(strstr(err, "is not in the table"));
	free(img);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_case_exact),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_write_and_open),
		cmocka_unit_test(test_key_lengths),
		cmocka_unit_test(test_stats_repeatable),
		cmocka_unit_test(test_blob_eq),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_members_and_strangers),
		cmocka_unit_test(test_domain_set),
		cmocka_unit_test(test_unserved_member_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
