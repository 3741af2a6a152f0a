/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	rb_tls.c - the client side of STARTTLS for both transports
 * DESCRIPTION
 *	One OpenSSL client context per run. The socket transport puts each
 *	session's SSL object on its socket; the DPDK transport on two
 *	memory BIOs between it and the harness's own TCP (rb_dpdk.c).
 *	Sessions are never resumed: every handshake is a full one, the
 *	worst case for the server and what a sending MTA that keeps no
 *	session makes.
 * DIAGNOSTICS
 *	A context that cannot be made is reported on stderr; per-session
 *	failures are counted by the transports (RB_ERR_TLS).
 * TRUST
 *	The server's certificate is not verified: the harness measures
 *	the server's work, and the integration tests check certificates.
 */
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench.h"

SSL_CTX *
rb_tls_client_ctx(void)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	if (c == NULL || !SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION)) {
		fprintf(stderr, "rcptgate-bench: TLS client context: ");
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(c);
		return NULL;
	}
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	return c;
}
