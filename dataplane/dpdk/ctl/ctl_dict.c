/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_dict.c - dictionary attackers on the blocklist, for a time
 * DESCRIPTION
 *	A worker's anvil calls its block hook when a client collects
 *	dictionary_block_limit unknown-recipient rejects (non-null sender,
 *	not in dictionary_block_exempt). A worker makes no system call and
 *	never touches a BPF map, so dp_dict_report only puts the client and
 *	its count into an rte_ring (many workers in, the control thread
 *	out). The control thread drains it between polls of the control
 *	socket (ctl_dict_run) and adds the client's prefix, /32 for IPv4,
 *	/64 for IPv6 (what the anvil counts), to the blocklist through the
 *	path "rcptgatectl block add" takes (ctl_block_store, then one
 *	ctl_block_sync for all the changes of a round: the XDP map in
 *	af_xdp mode, the workers' table otherwise), marked as a dictionary
 *	entry. dictblock.h remembers when each one expires; ctl_dict_run
 *	releases those whose dictionary_block_time is up and tells the
 *	caller how long it may sleep until the next one. Workers are never
 *	involved in a release.
 *
 *	Bounded: at most DICTBLOCK_MAX automatic entries. Past that a new
 *	attacker is not blocked (dictionary_blocks_failed, logged); the ones
 *	there keep their time. A ring that is full drops the report on the
 *	worker (dictionary_ring_full): the anvil reports the client again
 *	at its next dictionary_block_limit rejects.
 *
 *	Entries marked as dictionary entries that a previous run left
 *	pinned are taken over at start for a whole dictionary_block_time
 *	(their old expiry died with that process).
 *
 *	Log lines (msg.h, the daemon's log path):
 *	  warning: dictionary attack from unknown[IP]: N unknown recipients in Ws; blocked for Ts
 *	  dictionary attack block of unknown[IP] released after Ts
 *	  dictionary attack block of unknown[IP] released by rcptgatectl
 * DIAGNOSTICS
 *	Counters dictionary_blocks, dictionary_releases,
 *	dictionary_blocks_failed, dictionary_blocks_active (control
 *	thread), dictionary_ring_full (workers). A failed add or release is
 *	logged with its reason.
 * TRUST
 *	The reports come from the workers' own anvil tables.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "anvil.h"
#include "ctl/ctl_daemon.h"
#include "daemon.h"
#include "msg.h"

#define DICT_RING_SIZE 1024 /* reports in flight; a burst of attackers within one poll */
#define DICT_BURST 32

/* One report: a client at dictionary_block_limit. */
struct dict_report {
	struct anvil_key key;
	uint32_t rejects;
	uint32_t pad;
};

_Static_assert(sizeof(struct dict_report) % 4 == 0, "rte_ring elements are a multiple of 4 octets");

void
dp_dict_report(void *arg, const struct anvil_key *k, uint32_t rejects)
{
	struct dp_lcore *lc = arg;
	struct dict_report r = { .key = *k, .rejects = rejects, .pad = 0 };

	if (rte_ring_mp_enqueue_elem(lc->dict_ring, &r, sizeof(r)) != 0)
		dp_count(lc, RG_C_DICT_RING_FULL);
}

static uint64_t
dict_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "unknown[IP]" as Postfix names a client: the address of a /32, else the prefix. */
static const char *
dict_client(const struct rg_cidr *c, char *buf, size_t len)
{
	char text[RG_CIDR_STR_MAX];

	if (rg_cidr_format(c, text, sizeof(text)) < 0)
		snprintf(text, sizeof(text), "?");
	else if (c->family == AF_INET && c->prefixlen == 32)
		*strchr(text, '/') = '\0';
	snprintf(buf, len, "unknown[%s]", text);
	return buf;
}

static void
dict_active(struct dp_daemon *d)
{
	ctl_count_set(d, RG_C_DICT_BLOCKS_ACTIVE, d->dict.blocks.n);
}

/* Take over the dictionary entries left pinned by an earlier run. */
static void
dict_take_over(struct dp_daemon *d, uint64_t now)
{
	struct xdp_block b;
	struct rg_cidr *list;
	unsigned dirty = 0;
	int n, kept = 0;

	if (xdp_block_open(d->cfg.bpf_pin_dir, 0, &b) < 0)
		return; /* nothing pinned */
	n = xdp_block_snapshot(&b, &list);
	for (int i = 0; i < n; i++) {
		uint32_t reason;

		if (xdp_block_reason(&b, &list[i], &reason) < 0 || reason != RG_XDP_BLOCK_DICTIONARY)
			continue;
		if (dictblock_add(&d->dict.blocks, &list[i], now, d->cfg.dict_block_time * UINT64_C(1000),
				  0) == 0)
			kept++;
		else if (ctl_block_store(d, false, &list[i], 0) == 0) /* no room: released */
			dirty |= ctl_block_family(&list[i]);
	}
	free(list);
	xdp_block_close(&b);
	(void)ctl_block_sync(d, dirty); /* the entries released for want of room */
	if (kept > 0)
		msg_info("%d dictionary attack blocks taken over from %s: released in %us", kept,
			 d->cfg.bpf_pin_dir, d->cfg.dict_block_time);
	dict_active(d);
}

int
ctl_dict_start(struct dp_daemon *d)
{
	if (dictblock_init(&d->dict.blocks, DICTBLOCK_MAX) < 0)
		return -ENOMEM;
	if (d->cfg.dict_block_limit > 0) {
		/* an rte_ring in ordinary memory (as the log rings): no memzone, so no EAL needed to test it */
		ssize_t size = rte_ring_get_memsize_elem(sizeof(struct dict_report), DICT_RING_SIZE);
		void *mem = NULL;

		if (size < 0 || posix_memalign(&mem, RTE_CACHE_LINE_SIZE, (size_t)size) != 0)
			return -ENOMEM;
		if (rte_ring_init(mem, "rg_dict", DICT_RING_SIZE, RING_F_SC_DEQ) != 0) {
			free(mem);
			return -EINVAL;
		}
		d->dict.ring = mem;
		for (unsigned w = 0; w < d->n_workers; w++)
			d->lcores[w]->dict_ring = d->dict.ring;
	}
	dict_take_over(d, dict_now_ms());
	return 0;
}

/* Put the client of report R on the pinned blocklist; *DIRTY gets its family. */
static void
dict_block(struct dp_daemon *d, const struct dict_report *r, uint64_t now, unsigned *dirty)
{
	struct rg_cidr c = anvil_key_cidr(&r->key);
	char who[RG_CIDR_STR_MAX + 16];
	struct xdp_block b;
	bool held = false;
	uint32_t why;
	int err;

	if (dictblock_find(&d->dict.blocks, &c) != NULL)
		return; /* another worker reported it first */
	if (xdp_block_open(d->cfg.bpf_pin_dir, 0, &b) == 0) {
		held = xdp_block_reason(&b, &c, &why) == 0;
		xdp_block_close(&b);
	}
	if (held)
		return; /* inside a prefix blocked already (a manual one stays as it is) */
	err = dictblock_add(&d->dict.blocks, &c, now, d->cfg.dict_block_time * UINT64_C(1000), r->rejects);
	if (err == 0)
		err = ctl_block_store(d, true, &c, RG_XDP_BLOCK_DICTIONARY);
	if (err < 0) {
		dictblock_del(&d->dict.blocks, &c);
		ctl_count_inc(d, RG_C_DICT_BLOCKS_FAILED);
		msg_warn("dictionary attack from %s: %u unknown recipients in %us; not blocked: %s",
			 dict_client(&c, who, sizeof(who)), r->rejects, d->cfg.dict_block_window,
			 err == -ENOSPC ? "too many blocked" : strerror(-err));
		return;
	}
	*dirty |= ctl_block_family(&c);
	ctl_count_inc(d, RG_C_DICT_BLOCKS);
	msg_warn("dictionary attack from %s: %u unknown recipients in %us; blocked for %us",
		 dict_client(&c, who, sizeof(who)), r->rejects, d->cfg.dict_block_window,
		 d->cfg.dict_block_time);
}

/* Take E, whose time is up, off the pinned blocklist; *DIRTY gets its family. */
static void
dict_release(struct dp_daemon *d, const struct dictblock_entry *e, uint64_t now, unsigned *dirty)
{
	char who[RG_CIDR_STR_MAX + 16];
	int err = ctl_block_store(d, false, &e->cidr, 0);

	dict_client(&e->cidr, who, sizeof(who));
	if (err < 0 && err != -ENOENT) { /* ENOENT: deleted behind our back */
		/* still tracked, so it is tried again in a second and stays
		 * listed as a dictionary block, not a manual one */
		msg_error("dictionary attack block of %s not released: %s; trying again", who,
			  strerror(-err));
		(void)dictblock_add(&d->dict.blocks, &e->cidr, now, 1000, e->rejects);
		return;
	}
	*dirty |= ctl_block_family(&e->cidr);
	ctl_count_inc(d, RG_C_DICT_RELEASES);
	msg_info("dictionary attack block of %s released after %us", who, d->cfg.dict_block_time);
}

int
ctl_dict_run(struct dp_daemon *d, int max_ms)
{
	struct dict_report r[DICT_BURST];
	struct dictblock_entry e;
	unsigned n, dirty = 0;
	uint64_t now = dict_now_ms();
	int64_t next;
	int err;

	if (d->dict.blocks.e == NULL)
		return max_ms; /* not started */
	do {
		n = d->dict.ring
			? rte_ring_sc_dequeue_burst_elem(d->dict.ring, r, sizeof(r[0]), DICT_BURST, NULL)
			: 0;
		for (unsigned i = 0; i < n; i++)
			dict_block(d, &r[i], now, &dirty);
	} while (n == DICT_BURST);
	while (dictblock_pop_expired(&d->dict.blocks, now, &e))
		dict_release(d, &e, now, &dirty);
	err = ctl_block_sync(d, dirty); /* one rebuild for all of them */
	if (err < 0)
		msg_error("dictionary attack blocks changed, but the workers keep their old table: %s",
			  strerror(-err));
	dict_active(d);
	next = dictblock_next_ms(&d->dict.blocks, now);
	return next < 0 || next >= max_ms ? max_ms : (int)next;
}

int64_t
ctl_dict_left(const struct dp_daemon *d, const struct rg_cidr *c)
{
	const struct dictblock_entry *e = d->dict.blocks.e ? dictblock_find(&d->dict.blocks, c) : NULL;

	return e == NULL ? -1 : (int64_t)dictblock_left_s(e, dict_now_ms());
}

void
ctl_dict_forget(struct dp_daemon *d, const struct rg_cidr *c, bool released)
{
	char who[RG_CIDR_STR_MAX + 16];

	if (d->dict.blocks.e == NULL || !dictblock_del(&d->dict.blocks, c))
		return;
	dict_active(d);
	if (!released)
		return;
	ctl_count_inc(d, RG_C_DICT_RELEASES);
	msg_info("dictionary attack block of %s released by rcptgatectl", dict_client(c, who, sizeof(who)));
}

void
ctl_dict_fini(struct dp_daemon *d)
{
	free(d->dict.ring);
	d->dict.ring = NULL;
	dictblock_fini(&d->dict.blocks);
}
