/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	anvil.h - client limits: connections, rates and unknown recipients per client
 * DESCRIPTION
 *	What Postfix's anvil server counts for smtpd, kept by each worker
 *	lcore for the sessions it serves: connections and recipients per
 *	anvil_rate_time_unit (smtpd_client_connection_rate_limit,
 *	smtpd_client_recipient_rate_limit), and unknown-recipient rejects
 *	within dictionary_block_window (dictionary_block_limit). The SMTP
 *	engine asks at each new session and each RCPT; the answer says
 *	which limit the client is past, and the engine replies as Postfix.
 *	A daemon with none of these limits set has no table at all
 *	(anvil_wanted()).
 *
 *	Concurrent sessions per client (smtpd_client_connection_count_limit)
 *	are not counted here: the TCP stack counts connections per source
 *	for max_connections_per_source anyway and hands the engine the
 *	client's open sessions with each new one (tcp_app.open), exactly,
 *	without a lookup of its own. The table still counts the sessions a
 *	client holds, to keep such clients at eviction.
 *
 *	A client is an IPv4 address or an IPv6 /64 (one host's addresses).
 *
 *	The table is fixed in size (anvil_create): a set-associative
 *	array of ANVIL_WAYS entries per set, found by a keyed hash. A new
 *	client takes a free way of its set, else the one least recently
 *	seen, preferring clients without open sessions; that eviction is
 *	counted (client_table_evictions). A session holds a reference to
 *	its client's entry with the entry's generation, so an evicted
 *	client's sessions never touch the entry's next owner.
 *
 *	Plain C, no DPDK, no allocation after anvil_create(); one table per
 *	lcore, never shared.
 * DIAGNOSTICS
 *	Verdicts and counters (the client limit group of
 *	include/rcptgate/counters.h); nothing is logged here.
 * TRUST
 *	Client addresses are network data: the hash is keyed with a value
 *	the caller draws at random, so sets cannot be aimed at. The
 *	parameters come from the checked configuration.
 */
#ifndef RG_ANVIL_H
#define RG_ANVIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"

#define ANVIL_WAYS 4	     /* entries per set */
#define ANVIL_SLOTS_MIN 1024 /* entries of the smallest table */
#define ANVIL_SLOTS_MAX (1u << 22)

/* A client: an IPv4 address, or an IPv6 /64. */
struct anvil_key {
	uint64_t
		addr; /* IPv4: the address in network order in the low 32 bits; IPv6: the /64, first byte highest */
	uint32_t family; /* AF_INET or AF_INET6 */
	uint32_t zero;	 /* always 0: keys compare as two words */
};

/* A session's hold on its client's entry (slot 0: none). */
struct anvil_ref {
	uint32_t slot; /* entry index + 1 */
	uint32_t gen;  /* the entry's generation when taken */
};

/* Called when a client reaches dictionary_block_limit: the daemon's workers hand it to the
 * control thread, which puts the client on the blocklist (dataplane/dpdk/ctl/ctl_dict.c). */
typedef void (*anvil_block_fn)(void *arg, const struct anvil_key *k, uint32_t rejects);

struct anvil_params {
	uint32_t slots;		      /* entries; rounded up to a power of two within the bounds above */
	uint32_t conn_rate_limit;     /* connections per rate_unit; 0 = no limit */
	uint32_t rcpt_rate_limit;     /* RCPT commands per rate_unit; 0 = no limit */
	uint32_t rate_unit;	      /* seconds, >= 1 */
	uint32_t dict_limit;	      /* unknown-recipient rejects per dict_window; 0 = off */
	uint32_t dict_window;	      /* seconds, >= 1 */
	const struct rg_cidr *exempt; /* dictionary_block_exempt: never counted */
	unsigned n_exempt;
	anvil_block_fn block; /* may be NULL */
	void *block_arg;
	uint64_t hkey; /* keys the hash; random per start */
};

enum anvil_verdict {
	ANVIL_OK = 0,
	ANVIL_CONN_RATE, /* past smtpd_client_connection_rate_limit */
	ANVIL_RCPT_RATE, /* past smtpd_client_recipient_rate_limit */
	ANVIL_BLOCK,	 /* dictionary_block_limit reached: the client is being blocked */
};

struct anvil;

/* anvil_key_v4 - the key of IPv4 address ADDR (network order). */
static inline struct anvil_key
anvil_key_v4(uint32_t addr)
{
	struct anvil_key k = { .addr = addr, .family = AF_INET, .zero = 0 };

	return k;
}

/* anvil_key_v6 - the key of IPv6 address ADDR (16 bytes): its /64. */
static inline struct anvil_key
anvil_key_v6(const uint8_t *addr)
{
	struct anvil_key k = { .addr = 0, .family = AF_INET6, .zero = 0 };

	for (unsigned i = 0; i < 8; i++)
		k.addr = k.addr << 8 | addr[i];
	return k;
}

/* anvil_key_cidr - the prefix client K stands for: IPv4 /32, IPv6 /64. */
struct rg_cidr anvil_key_cidr(const struct anvil_key *k);

/*
 * anvil_params_from_config - the limits of CFG for one of WORKERS
 * workers (each counts the sessions it serves: the limits apply per
 * worker), a table sized for the worker's share of max_connections, the
 * hash keyed with HKEY.
 */
void anvil_params_from_config(struct anvil_params *p, const struct rg_config *cfg, unsigned workers,
			      uint64_t hkey);

/* anvil_wanted - does CFG set a limit counted here (a rate or dictionary_block_limit)? */
bool anvil_wanted(const struct rg_config *cfg);

/*
 * anvil_create - allocate a table for P (copied) counting into CTR
 * (RG_C_MAX entries, kept by pointer).
 *
 * Return: 0; -EINVAL for a zero rate_unit or dict_window; -ENOMEM.
 */
int anvil_create(const struct anvil_params *p, uint64_t *ctr, struct anvil **out);

/* anvil_destroy - free A (NULL is fine). */
void anvil_destroy(struct anvil *a);

/*
 * anvil_connect - client K opens a session at NOW (seconds). The
 * connection counts toward the rate whatever the verdict, as Postfix's
 * anvil counts it; it holds a session in the client's entry only when
 * admitted.
 * @count: the client's sessions held here (ANVIL_OK) or connections in
 *	this rate unit (ANVIL_CONN_RATE), this one included, for the log.
 * @ref: the session's hold (released by anvil_disconnect); zeroed when
 *	the connection is refused.
 *
 * Return: ANVIL_OK or ANVIL_CONN_RATE.
 */
enum anvil_verdict anvil_connect(struct anvil *a, const struct anvil_key *k, uint32_t now,
				 struct anvil_ref *ref, uint32_t *count);

/* anvil_disconnect - the session holding REF has ended; REF is zeroed. */
void anvil_disconnect(struct anvil *a, struct anvil_ref *ref);

/*
 * anvil_rcpt - the session holding REF sends a RCPT at NOW.
 * @count: the client's recipients in this rate unit, this one included.
 *
 * Return: ANVIL_OK, or ANVIL_RCPT_RATE when past the limit.
 */
enum anvil_verdict anvil_rcpt(struct anvil *a, const struct anvil_ref *ref, uint32_t now, uint32_t *count);

/*
 * anvil_unknown_rcpt - the session holding REF had a recipient rejected
 * as unknown at NOW, with a non-null sender (the caller does not call it
 * for null-sender sessions). Clients inside a prefix of P->exempt are
 * not counted. At dictionary_block_limit rejects within the window the
 * block hook is called once and the count starts again.
 * @count: the rejects in the window, this one included.
 *
 * Return: ANVIL_OK, or ANVIL_BLOCK when the limit was reached now.
 */
enum anvil_verdict
anvil_unknown_rcpt(struct anvil *a, const struct anvil_ref *ref, uint32_t now, uint32_t *count);

#endif /* RG_ANVIL_H */
