/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tcp_tls.h - the workers' TLS contexts: built, published, retired
 * DESCRIPTION
 *	Each worker lcore reads its TLS context from a slot of its own
 *	(tcp_tls_slot()) when a session starts TLS. At start-up the main
 *	lcore builds one context per worker into the slots; a certificate
 *	reload (ctl_tls.c) builds a new set, publishes it with one release
 *	store per slot, waits for the workers' quiescent states (no worker
 *	can then start a connection on an old context) and retires the old
 *	ones. A retired context keeps serving the sessions that started on
 *	it (their handshakes finish on it); once its last connection is
 *	gone, its worker releases its thread's OpenSSL state of it
 *	(tcp_smtp_tls_run()) and the main lcore frees it (tcp_tls_reap()).
 *
 *	Every context is built and freed on the main lcore: OpenSSL 3.0
 *	keeps per-thread state for each library context in every thread
 *	that used it, and freeing a context cleans only the freeing
 *	thread's; freed anywhere else, the main lcore's state would outlive
 *	its context and OPENSSL_cleanup() at exit would read freed memory.
 * DIAGNOSTICS
 *	Errors are negative errno values with a one-line reason
 *	"FILE: KEY: WHY" for the operator.
 * TRUST
 *	The configuration is checked; certificate files are read by the TLS
 *	layer, which trusts them to be the operator's, not well formed.
 */
#ifndef RG_TCP_TLS_H
#define RG_TCP_TLS_H

#include <stddef.h>

#include "config.h"

struct tls_ctx;

/* Retired contexts that may wait for their sessions at once. */
#define TCP_TLS_RETIRED_MAX 256

/*
 * tcp_tls_build - a context from CFG's smtpd_tls_* keys (the files read
 * now). An expired certificate builds, with the warning in WARN (WN
 * bytes; "" when none).
 *
 * Return: 0; -errno with "FILE: KEY: WHY" in ERR.
 */
int tcp_tls_build(const struct rg_config *cfg, struct tls_ctx **out, char *err, size_t errlen, char *warn,
		  size_t wn);

/* tcp_tls_slot - the slot lcore LCORE_ID's worker reads its context from. */
struct tls_ctx *const *tcp_tls_slot(unsigned lcore_id);

/*
 * tcp_tls_publish - put C in LCORE_ID's slot (a release store).
 *
 * Return: the context it held (NULL at start-up).
 */
struct tls_ctx *tcp_tls_publish(unsigned lcore_id, struct tls_ctx *c);

/* tcp_tls_retire_room - contexts tcp_tls_retire() can still take. */
unsigned tcp_tls_retire_room(void);

/*
 * tcp_tls_retire - C (published no more, and no worker can still start a
 * connection on it) is freed once its connections are; NULL is fine.
 *
 * Return: 0; -ENOSPC when TCP_TLS_RETIRED_MAX contexts wait already
 * (check tcp_tls_retire_room() first).
 */
int tcp_tls_retire(struct tls_ctx *c);

/*
 * tcp_tls_reap - free the retired contexts whose connections are gone.
 * On the main lcore.
 *
 * Return: the retired contexts still serving sessions.
 */
unsigned tcp_tls_reap(void);

/*
 * tcp_tls_free - free every context, published or retired, on the main
 * lcore after every worker's tcp_lcore_fini().
 */
void tcp_tls_free(void);

#endif /* RG_TCP_TLS_H */
