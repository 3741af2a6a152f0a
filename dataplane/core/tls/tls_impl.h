/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tls_impl.h - the TLS layer's context, shared by its two files
 * DESCRIPTION
 *	struct tls_ctx as tls_ctx.c builds it and tls.c uses it. Only the
 *	files of dataplane/core/tls include this header (and OpenSSL's).
 * TRUST
 *	Nothing to trust.
 */
#ifndef RG_TLS_IMPL_H
#define RG_TLS_IMPL_H

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "tls/tls.h"

struct tls_ctx {
	OSSL_LIB_CTX *libctx; /* this lcore's own: no lock shared with others */
	SSL_CTX *ssl;
	BIO_METHOD *bio_meth; /* the connections' byte queues (tls.c) */
	unsigned long conns;  /* connections not yet freed (atomic: a reload reads it) */
	int worker;	      /* TLS_WORKER_*: the worker thread's state of this context */
	int n_expired;	      /* leaf certificates out of their validity */
	char expired[256];    /* the first of them: "FILE: certificate expired on DATE" */
};

enum { TLS_WORKER_NONE, TLS_WORKER_USED, TLS_WORKER_RELEASED };

/* tls_bio_method_new - the BIO method of tls.c, for tls_ctx_new(). Return: it, or NULL. */
BIO_METHOD *tls_bio_method_new(void);

#endif /* RG_TLS_IMPL_H */
