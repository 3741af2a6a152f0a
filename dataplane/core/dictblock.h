/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	dictblock.h - the automatic blocklist entries and their expiry
 * DESCRIPTION
 *	A client that reaches dictionary_block_limit (anvil.h) is put on the
 *	blocklist for dictionary_block_time. The blocklist itself (pinned
 *	LPM tries, xdp/xdp.h) holds no time; this table, kept by the
 *	control thread alone, holds each automatic entry with the moment it
 *	expires, so the thread can release it and "block list" can say how
 *	long it has left. Manual entries are never in it: they never expire.
 *
 *	The table is fixed in size (dictblock_init): at most MAX automatic
 *	entries at once. Past that a new attacker is not blocked (the caller
 *	counts and logs it); the entries already there run their time. A
 *	linear array: the control thread scans it a few times a second at
 *	most, and MAX is a few thousand.
 *
 *	Times are milliseconds of a monotonic clock the caller reads.
 *	Plain C, no DPDK, no allocation after dictblock_init.
 * DIAGNOSTICS
 *	Negative errno values; nothing is logged here.
 * TRUST
 *	Prefixes come from the anvil's keys (anvil_key_cidr) and the pinned
 *	list, both already checked.
 */
#ifndef RG_DICTBLOCK_H
#define RG_DICTBLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "cidr.h"

#define DICTBLOCK_MAX 4096 /* automatic entries the daemon keeps at once */

struct dictblock_entry {
	struct rg_cidr cidr;
	uint64_t expires_ms; /* monotonic clock */
	uint32_t rejects;    /* unknown recipients that led to it (0: taken over) */
};

struct dictblock {
	unsigned n, max;
	struct dictblock_entry *e; /* MAX entries, the first N in use */
};

/* dictblock_init - an empty table of MAX entries. Return: 0 or -ENOMEM. */
int dictblock_init(struct dictblock *t, unsigned max);

/* dictblock_fini - free T's entries (safe twice). */
void dictblock_fini(struct dictblock *t);

/*
 * dictblock_add - remember C as blocked from NOW_MS for TTL_MS.
 * Return: 0; -EEXIST when C is there already (its time is not
 * changed); -ENOSPC when the table is full.
 */
int dictblock_add(struct dictblock *t, const struct rg_cidr *c, uint64_t now_ms, uint64_t ttl_ms,
		  uint32_t rejects);

/* dictblock_find - the entry of exactly C, or NULL (a manual entry). */
const struct dictblock_entry *dictblock_find(const struct dictblock *t, const struct rg_cidr *c);

/* dictblock_del - forget C. Return: true if it was there. */
bool dictblock_del(struct dictblock *t, const struct rg_cidr *c);

/*
 * dictblock_pop_expired - take one entry whose time is up at NOW_MS out
 * of T into *OUT. Return: true if there was one (call again for more).
 */
bool dictblock_pop_expired(struct dictblock *t, uint64_t now_ms, struct dictblock_entry *out);

/*
 * dictblock_next_ms - milliseconds from NOW_MS until the next entry
 * expires (0: one is due), or -1 when T is empty.
 */
int64_t dictblock_next_ms(const struct dictblock *t, uint64_t now_ms);

/* dictblock_left_s - whole seconds E has left at NOW_MS, rounded up. */
uint64_t dictblock_left_s(const struct dictblock_entry *e, uint64_t now_ms);

#endif /* RG_DICTBLOCK_H */
