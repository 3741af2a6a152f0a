/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	bench_tls - bare OpenSSL handshakes in memory: the ceiling on this machine
 * SYNOPSIS
 *	bench_tls [HANDSHAKES [ROUNDS [CASES]]]
 * DESCRIPTION
 *	Runs HANDSHAKES (default 2,000) full handshakes between a server
 *	and a client SSL object joined by an in-memory BIO pair, on one
 *	core, ROUNDS times (default 5), for each case (CASES: their
 *	numbers, "14"; default all): 1, TLS 1.3 with an ECDSA P-256
 *	certificate and OpenSSL's order of TLS 1.3 suites (AES-256-GCM with
 *	SHA-384 chosen); 2, TLS 1.3 with RSA 2048; 3, TLS 1.2 with ECDSA
 *	P-256; 4, as 1 with the daemon's order (AES-128-GCM with SHA-256
 *	chosen). No TCP, no SMTP, no session resumption (no cache, no
 *	tickets): every handshake is a full one, as a sending MTA that
 *	does not resume makes them.
 *
 *	The server context is set up as the daemon's TLS layer sets up its
 *	own (tls_ctx.c): its own OSSL_LIB_CTX, session cache off, no
 *	tickets, SSL_MODE_RELEASE_BUFFERS, the server's order of suites.
 *	Each case runs two ways: a new server SSL object per handshake
 *	(SSL_new ... SSL_free, as the daemon does), and one object reused
 *	(SSL_clear between handshakes). Rounds of every case and way run in
 *	turns, so that the machine's noise falls on all of them. The
 *	client has a library context of its own and verifies nothing. Key
 *	exchange is the client's default (X25519 first).
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
 *	Then the crypto floor: the operations a TLS 1.3 server must do once
 *	per full handshake, each timed alone in a loop on objects set up
 *	once (an X25519 key generation, an X25519 derivation, an ECDSA
 *	P-256 signature of a digest), and one HMAC of 64 bytes with SHA-384
 *	and with SHA-256 (the handshake's key schedule is some forty of
 *	them), in the server's library context.
 *
 *	This benchmarks OpenSSL itself, not rcptgate's TLS layer: the
 *	layer's own cost is part of the daemon's figures (docs/benchmarks.md).
 *	The server's calls are functions of their own (srv_*) so that a
 *	profiler can count them alone:
 *	valgrind --tool=callgrind --toggle-collect='srv_*' bench_tls 200 1 1
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
#include <openssl/core_names.h>
#include <openssl/x509.h>

#define ROUNDS_MAX 99

/* tls_ctx.c's TLS13_SUITES */
#define DAEMON_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

struct bt_case {
	const char *name;
	const char *alg; /* "P-256" or "RSA" */
	int version;
	const char *suites; /* the server's TLS 1.3 suites; NULL: OpenSSL's default */
};

static const struct bt_case bt_cases[] = {
	{ "TLS 1.3, ECDSA P-256, OpenSSL's suites", "P-256", TLS1_3_VERSION, NULL },
	{ "TLS 1.3, RSA 2048", "RSA", TLS1_3_VERSION, DAEMON_SUITES },
	{ "TLS 1.2, ECDSA P-256", "P-256", TLS1_2_VERSION, DAEMON_SUITES },
	{ "TLS 1.3, ECDSA P-256, rcptgate's suites", "P-256", TLS1_3_VERSION, DAEMON_SUITES },
};
#define NCASES (sizeof(bt_cases) / sizeof(bt_cases[0]))

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
	SSL_CTX_set_options(s, SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (c->suites != NULL && !SSL_CTX_set_ciphersuites(s, c->suites))
		die("server suites");
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

/*
 * The server's calls, apart and never inlined, so that a profiler can
 * count them alone (valgrind --tool=callgrind --toggle-collect='srv_*').
 */
static __attribute__((noinline)) SSL *
srv_new(SSL_CTX *sctx, SSL *old, BIO *sb)
{
	SSL *s = old;

	if (s == NULL) {
		s = SSL_new(sctx);
		if (s == NULL)
			die("server SSL_new");
	} else if (!SSL_set_session(s, NULL) || !SSL_clear(s)) {
		die("server SSL_clear");
	}
	SSL_set_bio(s, sb, sb); /* frees the last handshake's BIO, if any */
	SSL_set_accept_state(s);
	return s;
}

static __attribute__((noinline)) int
srv_step(SSL *s)
{
	return step(s, "server handshake");
}

static __attribute__((noinline)) void
srv_free(SSL *s)
{
	SSL_free(s);
}

/* N full handshakes; the CPU of each side in R. REUSE: one server SSL object, cleared between them. */
static void
run_round(SSL_CTX *sctx, SSL_CTX *cctx, unsigned n, int reuse, struct bt_round *r)
{
	double srv = 0, cli = 0, spans = 0, w0 = wall_ns();
	SSL *kept = NULL;

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
		s = srv_new(sctx, kept, sb);
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
				s_done = srv_step(s);
			srv += thread_ns() - t;
			spans += 2;
		}
		t = thread_ns();
		if (reuse)
			kept = s;
		else
			srv_free(s);
		srv += thread_ns() - t;
		t = thread_ns();
		SSL_free(c);
		cli += thread_ns() - t;
		spans += 2;
	}
	SSL_free(kept);
	r->loop_per_s = n / ((wall_ns() - w0) / 1e9);
	/* Each span's two reads cost one timer call's time inside it. */
	r->srv_us = (srv - spans / 2 * timer_ns) / n / 1e3;
	r->cli_us = (cli - spans / 2 * timer_ns) / n / 1e3;
}

static int
by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median of each column of the N rounds R, apart. */
static struct bt_round
median(const struct bt_round *r, unsigned n)
{
	double v[3][ROUNDS_MAX];
	struct bt_round m;

	for (unsigned k = 0; k < n; k++) {
		v[0][k] = r[k].loop_per_s;
		v[1][k] = r[k].srv_us;
		v[2][k] = r[k].cli_us;
	}
	for (int j = 0; j < 3; j++)
		qsort(v[j], n, sizeof(double), by_double);
	m.loop_per_s = v[0][n / 2];
	m.srv_us = v[1][n / 2];
	m.cli_us = v[2][n / 2];
	return m;
}

static unsigned long
arg(const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "usage: bench_tls [HANDSHAKES [ROUNDS [CASES]]] (1-10000000, 1-%d)\n",
			ROUNDS_MAX);
		exit(2);
	}
	return v;
}

#define FLOOR_OPS 2000

/* CPU per call of OP(ARG) in us, over FLOOR_OPS calls. */
static double
per_op(void (*op)(void *), void *arg)
{
	double t = thread_ns();

	for (int i = 0; i < FLOOR_OPS; i++)
		op(arg);
	return (thread_ns() - t - timer_ns) / FLOOR_OPS / 1e3;
}

struct floor {
	EVP_PKEY_CTX *gen, *derive, *sign;
	EVP_MAC_CTX *hmac;
	const char *hmac_md;
};

static void
op_keygen(void *arg)
{
	struct floor *f = arg;
	EVP_PKEY *k = NULL;

	if (EVP_PKEY_keygen(f->gen, &k) <= 0)
		die("X25519 keygen");
	EVP_PKEY_free(k);
}

static void
op_derive(void *arg)
{
	struct floor *f = arg;
	unsigned char out[32];
	size_t n = sizeof(out);

	if (EVP_PKEY_derive(f->derive, out, &n) <= 0)
		die("X25519 derive");
}

static void
op_sign(void *arg)
{
	struct floor *f = arg;
	unsigned char dgst[32] = { 1 }, sig[80];
	size_t n = sizeof(sig);

	if (EVP_PKEY_sign(f->sign, sig, &n, dgst, sizeof(dgst)) <= 0)
		die("ECDSA sign");
}

static void
op_hmac(void *arg)
{
	struct floor *f = arg;
	static const unsigned char key[48], msg[64];
	unsigned char out[EVP_MAX_MD_SIZE];
	size_t n;
	OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)f->hmac_md, 0),
			   OSSL_PARAM_construct_end() };

	if (!EVP_MAC_init(f->hmac, key, sizeof(key), p) || !EVP_MAC_update(f->hmac, msg, sizeof(msg)) ||
	    !EVP_MAC_final(f->hmac, out, &n, sizeof(out)))
		die("HMAC");
}

/* The crypto floor of a TLS 1.3 server's full handshake, in the server's kind of library context. */
static void
crypto_floor(void)
{
	OSSL_LIB_CTX *lib = OSSL_LIB_CTX_new();
	EVP_PKEY *a = EVP_PKEY_Q_keygen(lib, NULL, "X25519"), *b = EVP_PKEY_Q_keygen(lib, NULL, "X25519");
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(lib, NULL, "EC", "P-256");
	EVP_MAC *mac = EVP_MAC_fetch(lib, "HMAC", NULL);
	struct floor f = {
		.gen = EVP_PKEY_CTX_new_from_name(lib, "X25519", NULL),
		.derive = EVP_PKEY_CTX_new_from_pkey(lib, a, NULL),
		.sign = EVP_PKEY_CTX_new_from_pkey(lib, ec, NULL),
		.hmac = mac ? EVP_MAC_CTX_new(mac) : NULL,
	};
	double us[5];

	if (a == NULL || b == NULL || ec == NULL || f.gen == NULL || f.derive == NULL || f.sign == NULL ||
	    f.hmac == NULL || EVP_PKEY_keygen_init(f.gen) <= 0 || EVP_PKEY_derive_init(f.derive) <= 0 ||
	    EVP_PKEY_derive_set_peer(f.derive, b) <= 0 || EVP_PKEY_sign_init(f.sign) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(f.sign, EVP_sha256()) <= 0)
		die("crypto floor set-up");
	us[0] = per_op(op_keygen, &f);
	us[1] = per_op(op_derive, &f);
	us[2] = per_op(op_sign, &f);
	f.hmac_md = "SHA384";
	us[3] = per_op(op_hmac, &f);
	f.hmac_md = "SHA256";
	us[4] = per_op(op_hmac, &f);
	printf("\ncrypto floor, %d calls each: X25519 keygen %.1f us, X25519 derive %.1f us, "
	       "ECDSA P-256 sign %.1f us (sum %.1f us); HMAC of 64 bytes: SHA-384 %.2f us, SHA-256 %.2f us\n",
	       FLOOR_OPS, us[0], us[1], us[2], us[0] + us[1] + us[2], us[3], us[4]);
	EVP_MAC_CTX_free(f.hmac);
	EVP_MAC_free(mac);
	EVP_PKEY_CTX_free(f.gen);
	EVP_PKEY_CTX_free(f.derive);
	EVP_PKEY_CTX_free(f.sign);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(ec);
	OSSL_LIB_CTX_free(lib);
}

/* CASES: the numbers of the cases to run, one digit each ("14"). */
static const char *
cases_arg(const char *s)
{
	if (*s == '\0') {
		fprintf(stderr, "bench_tls: no case given\n");
		exit(2);
	}
	for (const char *p = s; *p; p++)
		if (*p < '1' || (size_t)(*p - '1') >= NCASES) {
			fprintf(stderr, "bench_tls: no case '%c' (1-%zu)\n", *p, NCASES);
			exit(2);
		}
	return s;
}

int
main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)arg(argv[1], 1, 10000000) : 2000;
	unsigned rounds = argc > 2 ? (unsigned)arg(argv[2], 1, ROUNDS_MAX) : 5;
	const char *only = argc > 3 ? cases_arg(argv[3]) : NULL;
	static struct bt_round r[NCASES][2][ROUNDS_MAX];
	OSSL_LIB_CTX *slib[NCASES] = { 0 }, *clib[NCASES] = { 0 };
	SSL_CTX *sctx[NCASES] = { 0 }, *cctx[NCASES] = { 0 };
	double t0 = thread_ns();

	for (int i = 0; i < 100000; i++)
		(void)thread_ns();
	timer_ns = (thread_ns() - t0) / 100000;

	for (unsigned i = 0; i < NCASES; i++) {
		if (only != NULL && strchr(only, (int)('1' + i)) == NULL)
			continue;
		slib[i] = OSSL_LIB_CTX_new();
		clib[i] = OSSL_LIB_CTX_new();
		if (slib[i] == NULL || clib[i] == NULL)
			die("library context");
		sctx[i] = server_ctx(slib[i], &bt_cases[i]);
		cctx[i] = client_ctx(clib[i], &bt_cases[i]);
		run_round(sctx[i], cctx[i], n < 50 ? n : 50, 0, &r[i][0][0]); /* warm up */
	}
	/* Every case and both ways in turns, round by round, so that the machine's noise falls on all. */
	for (unsigned k = 0; k < rounds; k++)
		for (unsigned i = 0; i < NCASES; i++)
			for (int reuse = 0; sctx[i] != NULL && reuse < 2; reuse++)
				run_round(sctx[i], cctx[i], n, reuse, &r[i][reuse][k]);

	printf("%s; %u handshakes x %u rounds, median round; timer %.0f ns/read subtracted\n",
	       OpenSSL_version(OPENSSL_VERSION), n, rounds, timer_ns);
	printf("| case | server SSL | loop handshakes/s (both sides) | server CPU/handshake | "
	       "client CPU/handshake | server-only ceiling |\n|---|---|---|---|---|---|\n");
	for (unsigned i = 0; i < NCASES; i++) {
		for (int reuse = 0; sctx[i] != NULL && reuse < 2; reuse++) {
			struct bt_round m = median(r[i][reuse], rounds);
			printf("| %s | %s | %.0f | %.1f us | %.1f us | %.0f handshakes/s |\n",
			       bt_cases[i].name, reuse ? "SSL_clear" : "SSL_new", m.loop_per_s, m.srv_us,
			       m.cli_us, 1e6 / m.srv_us);
		}
		SSL_CTX_free(sctx[i]);
		SSL_CTX_free(cctx[i]);
		OSSL_LIB_CTX_free(slib[i]);
		OSSL_LIB_CTX_free(clib[i]);
	}
	crypto_floor();
	return 0;
}
