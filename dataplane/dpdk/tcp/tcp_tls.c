/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_tls.c - the workers' TLS contexts: built, published, retired
 * DESCRIPTION
 *	See tcp_tls.h. The slots are indexed by lcore id; the retired list
 *	is a small array the main lcore alone touches. A worker only reads
 *	its slot (an acquire load in tcp_smtp.c) and counts connections on
 *	the context (tls_ctx_conns()), so nothing here is on the fast path.
 * DIAGNOSTICS
 *	Negative errno values with reasons (tcp_tls_build).
 * TRUST
 *	See tcp_tls.h.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_lcore.h>

#include "tcp/tcp_smtp.h"
#include "tcp/tcp_tls.h"
#include "tls/tls.h"

_Static_assert(TCP_TLS_RETIRED_MAX <= TCP_SMTP_TLS_OLD_MAX, "a worker tracks every context retired");

static struct tls_ctx *tcp_tls_slots[RTE_MAX_LCORE];
static struct tls_ctx *tcp_tls_retired[TCP_TLS_RETIRED_MAX];
static unsigned tcp_tls_n_retired;

int
tcp_tls_build(const struct rg_config *cfg, struct tls_ctx **out, char *err, size_t errlen, char *warn,
	      size_t wn)
{
	struct tls_params p;
	char files[CFG_STR_MAX], why[512];

	*out = NULL;
	if (wn > 0)
		warn[0] = '\0';
	if (tcp_smtp_tls_params(cfg, &p, files, sizeof(files)) != 0) {
		snprintf(err, errlen, "%s: smtpd_tls_chain_files: more than %d files", cfg->path,
			 TLS_CHAIN_FILES_MAX);
		return -E2BIG;
	}
	int rc = tls_ctx_new(&p, out, why, sizeof(why));
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s: %s", cfg->path, tcp_smtp_tls_key(cfg, why), why);
		return rc;
	}
	if (tls_ctx_cert_expired(*out, why, sizeof(why)) > 0)
		snprintf(warn, wn,
			 "%s: %s: STARTTLS offered with an expired or not yet valid certificate: %s",
			 cfg->path, tcp_smtp_tls_key(cfg, why), why);
	return 0;
}

struct tls_ctx *const *
tcp_tls_slot(unsigned lcore_id)
{
	return &tcp_tls_slots[lcore_id];
}

struct tls_ctx *
tcp_tls_publish(unsigned lcore_id, struct tls_ctx *c)
{
	struct tls_ctx *old = tcp_tls_slots[lcore_id];

	__atomic_store_n(&tcp_tls_slots[lcore_id], c, __ATOMIC_RELEASE);
	return old;
}

unsigned
tcp_tls_retire_room(void)
{
	return TCP_TLS_RETIRED_MAX - tcp_tls_n_retired;
}

int
tcp_tls_retire(struct tls_ctx *c)
{
	if (c == NULL)
		return 0;
	if (tcp_tls_n_retired == TCP_TLS_RETIRED_MAX)
		return -ENOSPC;
	tcp_tls_retired[tcp_tls_n_retired++] = c;
	return 0;
}

unsigned
tcp_tls_reap(void)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < tcp_tls_n_retired; i++) {
		struct tls_ctx *c = tcp_tls_retired[i];
		if (tls_ctx_freeable(c))
			tls_ctx_free(c);
		else
			tcp_tls_retired[kept++] = c;
	}
	tcp_tls_n_retired = kept;
	return kept;
}

void
tcp_tls_free(void)
{
	for (unsigned i = 0; i < RTE_MAX_LCORE; i++)
		tls_ctx_free(tcp_tls_publish(i, NULL));
	for (unsigned i = 0; i < tcp_tls_n_retired; i++)
		tls_ctx_free(tcp_tls_retired[i]);
	tcp_tls_n_retired = 0;
}
