/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	fuzz_table_load.c - libFuzzer target for the table loader
 * DESCRIPTION
 *	Feeds arbitrary bytes to tbl_open_buffer(). Whatever it accepts must
 *	be safe to query, so every accepted table gets single and burst
 *	lookups, which must give the same rules. Mutating a real table is
 *	far more productive than random bytes, but the checksums would stop
 *	the mutations at the door: when the input starts with a valid header
 *	the target also tries the same bytes with both checksums recomputed
 *	(tbl_fmt_seal()), so the structural checks
 *	behind them are exercised too.
 *
 *	Run by hand: fuzz_table_load -max_total_time=600 CORPUS
 *	(a seed: rcptgatectl compile of any small list).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/table_format.h>

#include "table/tbl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Single and burst lookups of the same addresses must agree on any
 * table that loads: the RCPT bursts take the burst's rule. */
static void
fuzz_query(const struct tbl *t)
{
	static const char *const addrs[] = { "a@b.c",	   "user+x@example.com", "x@catchall.example",
					     "postmaster", "user@example.com",	 "a@example.com" };
	enum { N = sizeof(addrs) / sizeof(addrs[0]) };
	struct rg_addr a[N];
	const struct rg_addr *pa[N];
	enum tbl_rule out[N];

	for (unsigned i = 0; i < N; i++) {
		rg_addr_normalize(addrs[i], strlen(addrs[i]), tbl_addr_flags(t), &a[i]);
		pa[i] = &a[i];
	}
	for (unsigned d = 0; d < 2; d++) {
		const char *delims = d ? "+-" : "+";
		tbl_lookup_burst(t, pa, N, delims, out);
		for (unsigned i = 0; i < N; i++)
			if (tbl_lookup(t, &a[i], delims) != out[i])
				abort();
	}
}

static void
fuzz_load(const void *buf, size_t size)
{
	struct tbl *t;
	char err[256];

	if (tbl_open_buffer(buf, size, &t, err, sizeof(err)) == 0) {
		fuzz_query(t);
		tbl_close(t);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the loader wants 8-byte alignment, as mmap gives */
	uint64_t *buf = malloc(size + 8);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	fuzz_load(buf, size);
	if (size >= sizeof(struct tbl_file_header) && memcmp(data, TBL_MAGIC, 8) == 0) {
		tbl_fmt_seal(buf, size);
		fuzz_load(buf, size);
	}
	free(buf);
	return 0;
}
