/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	dictblock.c - the automatic blocklist entries and their expiry
 * DESCRIPTION
 *	See dictblock.h. Entries are kept unordered in the first N slots;
 *	a removal moves the last entry into the hole.
 * DIAGNOSTICS
 *	Negative errno values.
 * TRUST
 *	Checked prefixes only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dictblock.h"

int
dictblock_init(struct dictblock *t, unsigned max)
{
	t->n = 0;
	t->max = max;
	t->e = calloc(max ? max : 1, sizeof(*t->e));
	return t->e == NULL ? -ENOMEM : 0;
}

void
dictblock_fini(struct dictblock *t)
{
	free(t->e);
	t->e = NULL;
	t->n = t->max = 0;
}

static bool
dictblock_same(const struct rg_cidr *a, const struct rg_cidr *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen &&
		memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

static int
dictblock_index(const struct dictblock *t, const struct rg_cidr *c)
{
	for (unsigned i = 0; i < t->n; i++)
		if (dictblock_same(&t->e[i].cidr, c))
			return (int)i;
	return -1;
}

int
dictblock_add(struct dictblock *t, const struct rg_cidr *c, uint64_t now_ms, uint64_t ttl_ms,
	      uint32_t rejects)
{
	if (dictblock_index(t, c) >= 0)
		return -EEXIST;
	if (t->n == t->max)
		return -ENOSPC;
	t->e[t->n++] =
		(struct dictblock_entry){ .cidr = *c, .expires_ms = now_ms + ttl_ms, .rejects = rejects };
	return 0;
}

const struct dictblock_entry *
dictblock_find(const struct dictblock *t, const struct rg_cidr *c)
{
	int i = dictblock_index(t, c);

	return i < 0 ? NULL : &t->e[i];
}

static void
dictblock_remove(struct dictblock *t, unsigned i)
{
	t->e[i] = t->e[--t->n];
}

bool
dictblock_del(struct dictblock *t, const struct rg_cidr *c)
{
	int i = dictblock_index(t, c);

	if (i < 0)
		return false;
	dictblock_remove(t, (unsigned)i);
	return true;
}

bool
dictblock_pop_expired(struct dictblock *t, uint64_t now_ms, struct dictblock_entry *out)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->e[i].expires_ms <= now_ms) {
			*out = t->e[i];
			dictblock_remove(t, i);
			return true;
		}
	return false;
}

int64_t
dictblock_next_ms(const struct dictblock *t, uint64_t now_ms)
{
	int64_t next = -1;

	for (unsigned i = 0; i < t->n; i++) {
		uint64_t e = t->e[i].expires_ms;
		int64_t left = e <= now_ms ? 0 : (int64_t)(e - now_ms);

		if (next < 0 || left < next)
			next = left;
	}
	return next;
}

uint64_t
dictblock_left_s(const struct dictblock_entry *e, uint64_t now_ms)
{
	return e->expires_ms <= now_ms ? 0 : (e->expires_ms - now_ms + 999) / 1000;
}
