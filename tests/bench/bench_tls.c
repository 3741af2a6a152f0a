/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	bench_tls - bare OpenSSL handshakes in memory: the ceiling on this machine
 * SYNOPSIS
 *	bench_tls [HANDSHAKES [ROUNDS]]
 * DESCRIPTION
 *	Runs HANDSHAKES (default 2,000) full handshakes between a server
 *	and a client SSL object joined by an in-memory BIO pair, on one
 *	core, ROUNDS times (default 5), for each case: TLS 1.3 with an
 *	ECDSA P-256 certificate, TLS 1.3 with RSA 2048, TLS 1.2 with ECDSA
 *	P-256. No TCP, no SMTP, no session resumption (no cache, no
 *	tickets): every handshake is a full one, as a sending MTA that
 *	does not resume makes them.
 *
 *	The server context is set up as the daemon's TLS layer sets up its
 *	own (tls_ctx.c): its own OSSL_LIB_CTX, session cache off, no
 *	tickets, SSL_MODE_RELEASE_BUFFERS, a new SSL object per handshake.
 *	The client has a library context of its own and verifies nothing.
 *	Key exchange is the client's default (X25519 first).
 *
 *	The server's and the client's work are timed apart, with
 *	CLOCK_THREAD_CPUTIME_ID around every call each side makes (SSL_new
 *	to SSL_free); the timer's own cost, measured first, is subtracted.
 *	Printed per case, the median round: handshakes/s of the loop (both
 *	sides on the one core), server and client CPU per handshake, and
 *	the server-only rate 1/(server CPU per handshake): what one core
 *	doing nothing but the server side of handshakes could reach with
 *	this library, the ceiling a worker lcore is measured against.
 *
 *	This benchmarks OpenSSL itself, not rcptgate's TLS layer: the
 *	layer's own cost is part of the daemon's figures (docs/benchmarks.md).
 * DIAGNOSTICS
 *	Exits 1 when a handshake fails (with OpenSSL's reason), 2 on bad
 *	arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define ROUNDS_MAX 99

struct bt_case {
	const char *name;
	const char *alg; /* "P-256" or "RSA" */
	int version;
};

static const struct bt_case bt_cases[] = {
	{ "TLS 1.3, ECDSA P-256", "P-256", TLS1_3_VERSION },
	{ "TLS 1.3, RSA 2048", "RSA", TLS1_3_VERSION },
	{ "TLS 1.2, ECDSA P-256", "P-256", TLS1_2_VERSION },
};

struct bt_round {
	double loop_per_s; /* handshakes/s of the loop, both sides */
	double srv_us;	   /* server CPU per handshake */
	double cli_us;	   /* client CPU per handshake */
};

static double timer_ns; /* cost of one thread_ns() call */

static double
thread_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double
wall_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_tls: %s: ", what);
	ERR_print_errors_fp(stderr);
	fputc('\n', stderr);
	exit(1);
}

/* A self-signed certificate for K, valid for a year. */
static X509 *
self_signed(OSSL_LIB_CTX *lib, EVP_PKEY *k)
{
	X509 *x = X509_new_ex(lib, NULL);
	X509_NAME *n;

	if (x == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 365 * 86400L) == NULL || !X509_set_pubkey(x, k))
		die("certificate");
	n = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"mx.bench.example", -1,
					-1, 0) ||
	    !X509_set_issuer_name(x, n) || X509_sign(x, k, EVP_sha256()) <= 0)
		die("certificate");
	return x;
}

static SSL_CTX *
server_ctx(OSSL_LIB_CTX *lib, const struct bt_case *c)
{
	SSL_CTX *s = SSL_CTX_new_ex(lib, NULL, TLS_server_method());
	EVP_PKEY *k = strcmp(c->alg, "RSA") == 0 ? EVP_PKEY_Q_keygen(lib, NULL, "RSA", (size_t)2048)
						 : EVP_PKEY_Q_keygen(lib, NULL, "EC", c->alg);
	X509 *x;

	if (s == NULL || k == NULL)
		die("server context");
	x = self_signed(lib, k);
	/* As tls_ctx_new() sets up a worker's context. */
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(s, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_num_tickets(s, 0);
	SSL_CTX_set_mode(s, SSL_MODE_RELEASE_BUFFERS);
	if (!SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION) || !SSL_CTX_use_certificate(s, x) ||
	    !SSL_CTX_use_PrivateKey(s, k) || !SSL_CTX_check_private_key(s))
		die("server certificate");
	X509_free(x);
	EVP_PKEY_free(k);
	return s;
}

static SSL_CTX *
client_ctx(OSSL_LIB_CTX *lib, const struct bt_case *c)
{
	SSL_CTX *s = SSL_CTX_new_ex(lib, NULL, TLS_client_method());

	if (s == NULL || !SSL_CTX_set_min_proto_version(s, c->version) ||
	    !SSL_CTX_set_max_proto_version(s, c->version))
		die("client context");
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(s, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(s, SSL_VERIFY_NONE, NULL);
	return s;
}

/* One handshake step of SSL; 1 when done, 0 when it waits for the peer. */
static int
step(SSL *ssl, const char *who)
{
	int rc = SSL_do_handshake(ssl);

	if (rc == 1)
		return 1;
	if (SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ)
		die(who);
	return 0;
}

/* N full handshakes; the CPU of each side in R. */
static void
run_round(SSL_CTX *sctx, SSL_CTX *cctx, unsigned n, struct bt_round *r)
{
	double srv = 0, cli = 0, spans = 0, w0 = wall_ns();

	for (unsigned i = 0; i < n; i++) {
		BIO *sb, *cb;
		SSL *s, *c;
		int s_done = 0, c_done = 0;
		double t;

		if (!BIO_new_bio_pair(&sb, 0, &cb, 0))
			die("BIO pair");
		t = thread_ns();
		c = SSL_new(cctx);
		if (c == NULL)
			die("client SSL_new");
		SSL_set_bio(c, cb, cb);
		SSL_set_connect_state(c);
		cli += thread_ns() - t;
		t = thread_ns();
		s = SSL_new(sctx);
		if (s == NULL)
			die("server SSL_new");
		SSL_set_bio(s, sb, sb);
		SSL_set_accept_state(s);
		srv += thread_ns() - t;
		spans += 2;
		/* ClientHello; the server's flight; Finished; the server done. */
		for (int turn = 0; !(s_done && c_done); turn++) {
			if (turn > 8)
				die("handshake does not finish");
			t = thread_ns();
			if (!c_done)
				c_done = step(c, "client handshake");
			cli += thread_ns() - t;
			t = thread_ns();
			if (!s_done)
				s_done = step(s, "server handshake");
			srv += thread_ns() - t;
			spans += 2;
		}
		t = thread_ns();
		SSL_free(s);
		srv += thread_ns() - t;
		t = thread_ns();
		SSL_free(c);
		cli += thread_ns() - t;
		spans += 2;
	}
	r->loop_per_s = n / ((wall_ns() - w0) / 1e9);
	/* Each span's two reads cost one timer call's time inside it. */
	r->srv_us = (srv - spans / 2 * timer_ns) / n / 1e3;
	r->cli_us = (cli - spans / 2 * timer_ns) / n / 1e3;
}

static int
by_rate(const void *a, const void *b)
{
	double x = ((const struct bt_round *)a)->loop_per_s, y = ((const struct bt_round *)b)->loop_per_s;
	return x < y ? -1 : x > y;
}

static unsigned long
arg(const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "usage: bench_tls [HANDSHAKES [ROUNDS]] (1-10000000, 1-%d)\n", ROUNDS_MAX);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)arg(argv[1], 1, 10000000) : 2000;
	unsigned rounds = argc > 2 ? (unsigned)arg(argv[2], 1, ROUNDS_MAX) : 5;
	struct bt_round r[ROUNDS_MAX];
	double t0 = thread_ns();

	for (int i = 0; i < 100000; i++)
		(void)thread_ns();
	timer_ns = (thread_ns() - t0) / 100000;

	printf("%s; %u handshakes x %u rounds, median round; timer %.0f ns/read subtracted\n",
	       OpenSSL_version(OPENSSL_VERSION), n, rounds, timer_ns);
	printf("| case | loop handshakes/s (both sides) | server CPU/handshake | client CPU/handshake | "
	       "server-only ceiling |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(bt_cases) / sizeof(bt_cases[0]); i++) {
		const struct bt_case *c = &bt_cases[i];
		OSSL_LIB_CTX *slib = OSSL_LIB_CTX_new(), *clib = OSSL_LIB_CTX_new();
		SSL_CTX *sctx, *cctx;

		if (slib == NULL || clib == NULL)
			die("library context");
		sctx = server_ctx(slib, c);
		cctx = client_ctx(clib, c);
		run_round(sctx, cctx, n < 50 ? n : 50, &r[0]); /* warm up */
		for (unsigned k = 0; k < rounds; k++)
			run_round(sctx, cctx, n, &r[k]);
		qsort(r, rounds, sizeof(r[0]), by_rate);
		const struct bt_round *m = &r[rounds / 2];
		printf("| %s | %.0f | %.1f us | %.1f us | %.0f handshakes/s |\n", c->name, m->loop_per_s,
		       m->srv_us, m->cli_us, 1e6 / m->srv_us);
		SSL_CTX_free(sctx);
		SSL_CTX_free(cctx);
		OSSL_LIB_CTX_free(slib);
		OSSL_LIB_CTX_free(clib);
	}
	return 0;
}
