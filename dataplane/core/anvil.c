/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	anvil.c - client limits: connections, rates and unknown recipients per client
 * DESCRIPTION
 *	See anvil.h. Rates are counted as Postfix's anvil counts them: one
 *	window per client that starts at its first event and is reset when
 *	a whole rate unit has passed since, shared by the connection and
 *	recipient rates; a limit is exceeded when the count, this event
 *	included, is above it. The dictionary window works the same way on
 *	its own clock.
 *
 *	A set-associative table instead of rte_hash: the core runs without
 *	EAL (cmocka, libFuzzer), and a bounded table that evicts is what
 *	is wanted here; rte_hash refuses an insert when full.
 * DIAGNOSTICS
 *	Counters: client_table_evictions; the verdicts are counted by the
 *	SMTP engine, which replies.
 * TRUST
 *	See anvil.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rcptgate/counters.h>
#include <rcptgate/hash.h>

#include "anvil.h"

struct anvil_client {
	struct anvil_key key; /* family 0: free */
	uint32_t gen;	      /* bumped when the entry changes owner */
	uint32_t last;	      /* second of the last event: eviction order */
	uint32_t conns;	      /* sessions open now */
	uint32_t rate_start;  /* second the rate window began */
	uint32_t conn_rate;   /* connections in the rate window */
	uint32_t rcpt_rate;   /* recipients in the rate window */
	uint32_t dict_start;  /* second the dictionary window began */
	uint32_t dict_count;  /* unknown-recipient rejects in it */
	int8_t exempt;	      /* in dictionary_block_exempt: -1 not yet known, 0, 1 */
};

struct anvil {
	struct anvil_params p;
	uint64_t *ctr;
	uint32_t set_mask; /* sets - 1 */
	struct anvil_client *e;
};

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < ANVIL_SLOTS_MAX)
		p <<= 1;
	return p;
}

struct rg_cidr
anvil_key_cidr(const struct anvil_key *k)
{
	struct rg_cidr c = { .family = (int)k->family };

	if (k->family == AF_INET) {
		uint32_t a = (uint32_t)k->addr; /* network order */

		c.prefixlen = 32;
		memcpy(c.addr, &a, sizeof(a));
		return c;
	}
	c.prefixlen = 64;
	for (unsigned i = 0; i < 8; i++)
		c.addr[i] = (uint8_t)(k->addr >> (56 - 8 * i));
	return c;
}

bool
anvil_wanted(const struct rg_config *cfg)
{
	return cfg->client_conn_rate_limit != 0 || cfg->client_rcpt_rate_limit != 0 ||
		cfg->dict_block_limit != 0;
}

void
anvil_params_from_config(struct anvil_params *p, const struct rg_config *cfg, unsigned workers, uint64_t hkey)
{
	uint64_t per_worker = (cfg->max_connections + (workers ? workers : 1) - 1) / (workers ? workers : 1);

	memset(p, 0, sizeof(*p));
	/* twice the sessions a worker can hold: clients with open sessions
	 * and as many recently seen ones */
	p->slots = per_worker * 2 > ANVIL_SLOTS_MAX ? ANVIL_SLOTS_MAX : (uint32_t)(per_worker * 2);
	p->conn_rate_limit = cfg->client_conn_rate_limit;
	p->rcpt_rate_limit = cfg->client_rcpt_rate_limit;
	p->rate_unit = cfg->anvil_rate_time_unit;
	p->dict_limit = cfg->dict_block_limit;
	p->dict_window = cfg->dict_block_window;
	p->exempt = cfg->dict_exempt;
	p->n_exempt = cfg->n_dict_exempt;
	p->hkey = hkey;
}

int
anvil_create(const struct anvil_params *p, uint64_t *ctr, struct anvil **out)
{
	if (p->rate_unit == 0 || p->dict_window == 0 || ctr == NULL)
		return -EINVAL;
	struct anvil *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	uint32_t n = pow2_at_least(p->slots < ANVIL_SLOTS_MIN ? ANVIL_SLOTS_MIN : p->slots);
	a->e = calloc(n, sizeof(*a->e));
	if (a->e == NULL) {
		free(a);
		return -ENOMEM;
	}
	a->p = *p;
	a->p.slots = n;
	a->ctr = ctr;
	a->set_mask = n / ANVIL_WAYS - 1;
	*out = a;
	return 0;
}

void
anvil_destroy(struct anvil *a)
{
	if (a == NULL)
		return;
	free(a->e);
	free(a);
}

/* Keyed, as the TCP tables are. */
static uint32_t
anvil_hash(const struct anvil *a, const struct anvil_key *k)
{
	return (uint32_t)rg_mix64((k->addr ^ ((uint64_t)k->family << 56)) ^ a->p.hkey);
}

static bool
key_eq(const struct anvil_key *a, const struct anvil_key *b)
{
	return a->addr == b->addr && a->family == b->family;
}

/* The entry of K, made (evicting one) when it is new. */
static struct anvil_client *
client_get(struct anvil *a, const struct anvil_key *k, uint32_t now)
{
	struct anvil_client *set = &a->e[(size_t)(anvil_hash(a, k) & a->set_mask) * ANVIL_WAYS];
	struct anvil_client *victim = NULL;

	/* the client is known, nearly always: look for it alone first */
	for (unsigned w = 0; w < ANVIL_WAYS; w++) {
		if (key_eq(&set[w].key, k)) { /* K's family is never 0 (free) */
			set[w].last = now;
			return &set[w];
		}
	}
	for (unsigned w = 0; w < ANVIL_WAYS; w++) {
		struct anvil_client *c = &set[w];
		/* a free way, else the idle client seen longest ago, else any */
		if (victim == NULL || c->key.family == 0 ||
		    (victim->key.family != 0 &&
		     ((c->conns == 0) != (victim->conns == 0) ? c->conns == 0
							      : (int32_t)(c->last - victim->last) < 0)))
			victim = c;
	}
	if (victim->key.family != 0)
		a->ctr[RG_C_ANVIL_EVICTIONS]++;
	uint32_t gen = victim->gen + 1;
	memset(victim, 0, sizeof(*victim));
	victim->key = *k;
	victim->gen = gen;
	victim->last = now;
	victim->rate_start = now;
	victim->dict_start = now;
	victim->exempt = -1;
	return victim;
}

/* The entry REF holds, or NULL when it has been evicted since. */
static struct anvil_client *
client_of(struct anvil *a, const struct anvil_ref *ref)
{
	if (ref->slot == 0 || ref->slot > a->p.slots)
		return NULL;
	struct anvil_client *c = &a->e[ref->slot - 1];
	return c->gen == ref->gen && c->key.family != 0 ? c : NULL;
}

/* Start a new rate window when a whole unit has passed. */
static void
rate_window(const struct anvil *a, struct anvil_client *c, uint32_t now)
{
	if (now - c->rate_start >= a->p.rate_unit) {
		c->rate_start = now;
		c->conn_rate = 0;
		c->rcpt_rate = 0;
	}
}

enum anvil_verdict
anvil_connect(struct anvil *a, const struct anvil_key *k, uint32_t now, struct anvil_ref *ref,
	      uint32_t *count)
{
	struct anvil_client *c = client_get(a, k, now);

	ref->slot = ref->gen = 0;
	if (a->p.conn_rate_limit != 0) { /* the window is counted only when it is asked */
		rate_window(a, c, now);
		if (c->conn_rate < UINT32_MAX)
			c->conn_rate++;
	}
	if (a->p.conn_rate_limit != 0 && c->conn_rate > a->p.conn_rate_limit) {
		*count = c->conn_rate;
		return ANVIL_CONN_RATE;
	}
	c->conns++;
	*count = c->conns;
	ref->slot = (uint32_t)(c - a->e) + 1;
	ref->gen = c->gen;
	return ANVIL_OK;
}

void
anvil_disconnect(struct anvil *a, struct anvil_ref *ref)
{
	struct anvil_client *c = client_of(a, ref);

	if (c != NULL && c->conns > 0)
		c->conns--;
	ref->slot = ref->gen = 0;
}

enum anvil_verdict
anvil_rcpt(struct anvil *a, const struct anvil_ref *ref, uint32_t now, uint32_t *count)
{
	*count = 0;
	if (a->p.rcpt_rate_limit == 0)
		return ANVIL_OK;
	struct anvil_client *c = client_of(a, ref);
	if (c == NULL)
		return ANVIL_OK;
	c->last = now;
	rate_window(a, c, now);
	if (c->rcpt_rate < UINT32_MAX)
		c->rcpt_rate++;
	*count = c->rcpt_rate;
	return c->rcpt_rate > a->p.rcpt_rate_limit ? ANVIL_RCPT_RATE : ANVIL_OK;
}

/* Is C in dictionary_block_exempt? Asked once per client entry. */
static bool
client_exempt(const struct anvil *a, const struct anvil_client *c)
{
	/* the address, or the /64; a longer prefix matches none of it */
	struct rg_cidr k = anvil_key_cidr(&c->key);

	for (unsigned i = 0; i < a->p.n_exempt; i++)
		if (rg_cidr_match(&a->p.exempt[i], k.family, k.addr) &&
		    (c->key.family == AF_INET || a->p.exempt[i].prefixlen <= 64))
			return true;
	return false;
}

enum anvil_verdict
anvil_unknown_rcpt(struct anvil *a, const struct anvil_ref *ref, uint32_t now, uint32_t *count)
{
	*count = 0;
	if (a->p.dict_limit == 0)
		return ANVIL_OK;
	struct anvil_client *c = client_of(a, ref);
	if (c == NULL)
		return ANVIL_OK;
	if (c->exempt < 0)
		c->exempt = client_exempt(a, c);
	if (c->exempt)
		return ANVIL_OK;
	c->last = now;
	if (now - c->dict_start >= a->p.dict_window) {
		c->dict_start = now;
		c->dict_count = 0;
	}
	*count = ++c->dict_count;
	if (c->dict_count < a->p.dict_limit)
		return ANVIL_OK;
	/* blocked from now on; counted afresh when it is let back */
	c->dict_count = 0;
	c->dict_start = now;
	if (a->p.block != NULL)
		a->p.block(a->p.block_arg, &c->key, *count);
	return ANVIL_BLOCK;
}
