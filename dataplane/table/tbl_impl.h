/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tbl_impl.h - inside struct tbl (private to dataplane/table)
 * DESCRIPTION
 *	The loaded table: pointers into the verified file image and the
 *	values derived from its header. tbl_probe() is the one probe of the
 *	perfect hash, shared by single and burst lookups.
 * TRUST
 *	Only tables that passed tbl_open's verification get here, so every
 *	slot's offset + length (+ tag byte) lies inside the blob.
 */
#ifndef RG_TBL_IMPL_H
#define RG_TBL_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rcptgate/table_format.h>

#include "tbl.h"

struct tbl {
	const uint8_t *base;		/* file image */
	size_t size;
	bool mapped;			/* munmap on close */
	const uint8_t *pilots;
	const uint64_t *slots;
	const char *blob;
	uint64_t n_buckets, n_slots, blob_size, seed;
	struct tbl_fmt_buckets bp;
	uint64_t n_addresses, n_domains, n_catchall;
	unsigned flags;			/* TBL_F_* */
};

/*
 * tbl_fail - format a reason into ERR (ERRLEN bytes; ERR may be NULL)
 * and return RC: "return tbl_fail(-EINVAL, err, errlen, ...)".
 */
int tbl_fail(int rc, char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * tbl_probe - is key K[0..LEN) with hash H in T? Return the slot word
 * (its offset locates the key in the blob), or 0 when absent.
 */
static inline uint64_t
tbl_probe(const struct tbl *t, const char *k, size_t len, uint64_t h)
{
	uint8_t p = t->pilots[tbl_fmt_bucket(h, &t->bp)];
	uint64_t e = t->slots[tbl_fmt_slot(h, p, t->n_slots)];

	if (tbl_fmt_slot_fp(e) != tbl_fmt_fp(h) || tbl_fmt_slot_len(e) != len)
		return 0;
	if (memcmp(t->blob + tbl_fmt_slot_off(e), k, len) != 0)
		return 0;
	return e;
}

#endif /* RG_TBL_IMPL_H */
