/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_ctl_counters.c - docs/counters.md agrees with the counter list
 * DESCRIPTION
 *	Generates the counter reference from include/rcptgate/counters.h
 *	(cli_counters_doc, the code behind "rcptgatectl stats --doc") and
 *	compares it with docs/counters.md line by line; also checks the
 *	Prometheus names. Runs in the source root (meson workdir).
 *	When it fails: rcptgatectl stats --doc > docs/counters.md
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rcptgate/counters.h>

#include "cli_doc.h"
#include "ctl/ctl_prom.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;

	if (f == NULL)
		return NULL;
	FILE *m = open_memstream(&buf, &cap);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	*len = cap;
	return buf;
}

static void
test_doc_matches_list(void **state)
{
	char *gen = NULL, *doc;
	size_t gen_len = 0, doc_len = 0;
	(void)state;

	FILE *m = open_memstream(&gen, &gen_len);
	assert_int_equal(cli_counters_doc(m), 0);
	fclose(m);
	doc = slurp("docs/counters.md", &doc_len);
	if (doc == NULL)
		fail_msg("docs/counters.md: %s", strerror(errno));

	/* report the first line that differs */
	const char *g = gen, *d = doc;
	for (unsigned line = 1; *g || *d; line++) {
		size_t gl = strcspn(g, "\n"), dl = strcspn(d, "\n");
		if (gl != dl || memcmp(g, d, gl) != 0)
			fail_msg("docs/counters.md:%u differs from include/rcptgate/counters.h:\n"
				 "  file:     %.*s\n  expected: %.*s\n"
				 "regenerate it: rcptgatectl stats --doc > docs/counters.md",
				 line, (int)dl, d, (int)gl, g);
		g += gl + (g[gl] == '\n');
		d += dl + (d[dl] == '\n');
	}
	assert_int_equal(gen_len, doc_len);
	free(gen);
	free(doc);
}

static void
test_names(void **state)
{
	char name[160];
	(void)state;

	for (unsigned c = 0; c < RG_C_MAX; c++) {
		const char *n = rg_counter_info[c].name;
		assert_int_equal(cli_counter_find(n), (int)c);
		assert_int_equal(ctl_prom_name(c, name, sizeof(name)), 0);
		size_t len = strlen(name);
		bool total = len > 6 && strcmp(name + len - 6, "_total") == 0;
		assert_true(total == (rg_counter_info[c].kind == RG_CK_COUNTER));
		/* Prometheus metric names: [a-zA-Z_:][a-zA-Z0-9_:]* */
		assert_int_equal(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_"), len);
		assert_non_null(rg_counter_info[c].help);
		assert_null(strchr(rg_counter_info[c].help, '\n'));
	}
	assert_int_equal(cli_counter_find("no_such_counter"), -1);
	assert_int_equal(ctl_prom_name(RG_C_MAX, name, sizeof(name)), -EINVAL);
	assert_int_equal(ctl_prom_name(0, name, 5), -E2BIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc_matches_list),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
