/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	table_reseal.h - make a table image's checksums right again
 * DESCRIPTION
 *	Tests and the table fuzzer change table images by hand; without new
 *	checksums the loader would stop every change at its first check.
 *	table_reseal() recomputes the payload checksum, then the header's.
 */
#ifndef RG_TABLE_RESEAL_H
#define RG_TABLE_RESEAL_H

#include <stddef.h>
#include <string.h>

#include <rcptgate/hash.h>
#include <rcptgate/table_format.h>

/* IMG[0..LEN) starts with a table header: seal it as the builder would. */
static inline void
table_reseal(void *img, size_t len)
{
	struct tbl_file_header h;

	memcpy(&h, img, sizeof(h));
	h.payload_sum = rg_hash64((const char *)img + sizeof(h), len - sizeof(h), 0);
	h.header_sum = 0;
	h.header_sum = rg_hash64(&h, sizeof(h), 0);
	memcpy(img, &h, sizeof(h));
}

#endif
