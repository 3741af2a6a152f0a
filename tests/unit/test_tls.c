/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_tls.c - unit tests of the TLS layer
 * DESCRIPTION
 *	Makes its own keys and self-signed certificates for
 *	mx.test.example (ECDSA P-256, RSA 2048, an expired one and broken
 *	files) in a temporary directory, and runs the layer against an
 *	OpenSSL client of its own over memory BIOs, moving the bytes in
 *	random chunk sizes (fixed seed). Checks: TLS 1.2 and 1.3
 *	handshakes; the ECDSA or the RSA chain chosen by the client's
 *	signature algorithms; data both ways; close_notify; garbage, a
 *	tampered and a truncated record, a TLS 1.1 client refused; the
 *	protocol and cipher settings; each configuration error named with
 *	its file; an expired certificate served but reported. Counts the
 *	heap the layer holds per session (OpenSSL's allocations through
 *	CRYPTO_set_mem_functions: an idle session, the peak of a
 *	handshake) and the server's CPU time per handshake, prints both
 *	and holds the memory under its bounds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls/tls.h"
#include "xorshift.h"

#define IDLE_MAX (16 * 1024)	  /* bytes an idle established session may hold */
#define HANDSHAKE_MAX (64 * 1024) /* bytes a session may hold mid-handshake */
#define ERRQ_SLACK 256		  /* the text OpenSSL's per-thread error queue keeps */

/*
 * The heap the server side holds: every OpenSSL allocation made while
 * `serving` is set is tagged, and stays counted until freed.
 */
struct mem_hdr {
	size_t size;
	size_t tagged;
};
_Static_assert(sizeof(struct mem_hdr) == 16, "allocations stay 16-byte aligned");

static int serving;
static size_t srv_live, srv_peak;
static uint64_t srv_ns; /* CPU time in the server's calls */

static void *
mem_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	struct mem_hdr *h = malloc(sizeof(*h) + n);
	if (h == NULL)
		return NULL;
	h->size = n;
	h->tagged = (size_t)serving;
	if (serving) {
		srv_live += n;
		if (srv_live > srv_peak)
			srv_peak = srv_live;
	}
	return h + 1;
}

static void
mem_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	if (p == NULL)
		return;
	struct mem_hdr *h = (struct mem_hdr *)p - 1;
	if (h->tagged)
		srv_live -= h->size;
	free(h);
}

static void *
mem_realloc(void *p, size_t n, const char *file, int line)
{
	if (p == NULL)
		return mem_malloc(n, file, line);
	if (n == 0) {
		mem_free(p, file, line);
		return NULL;
	}
	struct mem_hdr *old = (struct mem_hdr *)p - 1;
	int tag = serving;
	serving |= (int)old->tagged;
	void *np = mem_malloc(n, file, line);
	serving = tag;
	if (np != NULL) {
		memcpy(np, p, old->size < n ? old->size : n);
		mem_free(p, file, line);
	}
	return np;
}

static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
srv_begin(void)
{
	serving = 1;
	srv_ns -= cpu_ns();
}

static void
srv_end(void)
{
	srv_ns += cpu_ns();
	serving = 0;
}

/* The files. */

static char dir[64];
static char f_ec[96], f_rsa[96], f_expired[96], f_mismatch[96], f_nokey[96], f_nocert[96], f_crt[96],
	f_key[96];

static X509 *
make_cert(EVP_PKEY *k, long from_days, long to_days)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(x);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400));
	assert_true(X509_set_pubkey(x, k));
	n = X509_get_subject_name(x);
	assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					       (const unsigned char *)"mx.test.example", -1, -1, 0));
	assert_true(X509_set_issuer_name(x, n));
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	return x;
}

/* PATH := "DIR/NAME" holding K (if any) then X (if any). */
static void
write_pem(char *path, const char *name, EVP_PKEY *k, X509 *x)
{
	FILE *f;

	snprintf(path, 96, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	if (k != NULL)
		assert_true(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
	if (x != NULL)
		assert_true(PEM_write_X509(f, x));
	assert_int_equal(fclose(f), 0);
}

static int
files_setup(void **state)
{
	(void)state;
	EVP_PKEY *ec = EVP_EC_gen("P-256"), *rsa = EVP_RSA_gen(2048);
	X509 *ec_x, *rsa_x, *old_x;

	strcpy(dir, "/tmp/test_tls.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_non_null(ec);
	assert_non_null(rsa);
	ec_x = make_cert(ec, -1, 365);
	rsa_x = make_cert(rsa, -1, 365);
	old_x = make_cert(ec, -400, -35);
	write_pem(f_ec, "ec.pem", ec, ec_x);
	write_pem(f_rsa, "rsa.pem", rsa, rsa_x);
	write_pem(f_expired, "expired.pem", ec, old_x);
	write_pem(f_mismatch, "mismatch.pem", ec, rsa_x);
	write_pem(f_nokey, "nokey.pem", NULL, ec_x);
	write_pem(f_nocert, "nocert.pem", ec, NULL);
	write_pem(f_crt, "ec.crt", NULL, ec_x);
	write_pem(f_key, "ec.key", ec, NULL);
	X509_free(ec_x);
	X509_free(rsa_x);
	X509_free(old_x);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	return 0;
}

static int
files_teardown(void **state)
{
	(void)state;
	const char *all[] = { f_ec, f_rsa, f_expired, f_mismatch, f_nokey, f_nocert, f_crt, f_key };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		unlink(all[i]);
	rmdir(dir);
	return 0;
}

static struct tls_ctx *
ctx_new(const char *protocols, const char *ciphers, const char *f1, const char *f2)
{
	struct tls_params p = { .protocols = protocols, .ciphers = ciphers };
	struct tls_ctx *c;
	char err[256];

	p.chain_files[p.n_chain_files++] = f1;
	if (f2 != NULL)
		p.chain_files[p.n_chain_files++] = f2;
	int rc = tls_ctx_new(&p, &c, err, sizeof(err));
	if (rc != 0)
		fail_msg("tls_ctx_new: %s", err);
	return c;
}

/* The client: an OpenSSL SSL over two memory BIOs, and the server's connection. */
struct pair {
	struct tls_conn *s;
	SSL_CTX *cctx;
	SSL *c;
	BIO *c_in, *c_out; /* the client reads c_in, writes c_out */
};

static void
pair_open(struct pair *p, struct tls_ctx *ctx, int min_v, int max_v, const char *sigalgs)
{
	memset(p, 0, sizeof(*p));
	p->cctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(p->cctx);
	if (max_v < TLS1_2_VERSION) {
		SSL_CTX_set_security_level(p->cctx, 0);
		assert_true(SSL_CTX_set_cipher_list(p->cctx, "DEFAULT@SECLEVEL=0"));
	}
	assert_true(SSL_CTX_set_min_proto_version(p->cctx, min_v));
	assert_true(SSL_CTX_set_max_proto_version(p->cctx, max_v));
	if (sigalgs != NULL)
		assert_true(SSL_CTX_set1_sigalgs_list(p->cctx, sigalgs));
	p->c = SSL_new(p->cctx);
	p->c_in = BIO_new(BIO_s_mem());
	p->c_out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(p->c_in, -1);
	BIO_set_mem_eof_return(p->c_out, -1);
	SSL_set_bio(p->c, p->c_in, p->c_out);
	SSL_set_connect_state(p->c);
	srv_begin();
	int rc = tls_conn_new(ctx, &p->s);
	srv_end();
	assert_int_equal(rc, 0);
}

static void
pair_close(struct pair *p)
{
	srv_begin();
	tls_conn_free(p->s);
	srv_end();
	SSL_free(p->c);
	SSL_CTX_free(p->cctx);
}

/* Client to server, in random chunks. */
static void
c2s(struct pair *p)
{
	unsigned char buf[4096];
	int n;

	while ((n = BIO_read(p->c_out, buf, (int)(1 + rng() % sizeof(buf)))) > 0) {
		srv_begin();
		int rc = tls_conn_feed(p->s, buf, (size_t)n);
		srv_end();
		assert_int_equal(rc, n);
	}
}

/* Server to client, taken in random chunks. */
static void
s2c(struct pair *p)
{
	unsigned char buf[4096];
	size_t n;

	for (;;) {
		srv_begin();
		n = tls_conn_take(p->s, buf, 1 + rng() % sizeof(buf));
		srv_end();
		if (n == 0)
			break;
		assert_int_equal(BIO_write(p->c_in, buf, (int)n), (int)n);
	}
}

static int
srv_step(struct pair *p)
{
	srv_begin();
	int rc = tls_conn_step(p->s);
	srv_end();
	return rc;
}

/* Run the handshake. Return: 0, the server's negative result, or 1 when the client failed alone. */
static int
handshake(struct pair *p)
{
	int srv = TLS_WANT_INPUT, cli = 0;

	for (int i = 0; i < 20; i++) {
		if (cli == 0) {
			ERR_clear_error();
			int r = SSL_do_handshake(p->c);
			if (r == 1)
				cli = 1;
			else if (SSL_get_error(p->c, r) != SSL_ERROR_WANT_READ)
				cli = -1;
		}
		c2s(p);
		if (srv == TLS_WANT_INPUT)
			srv = srv_step(p);
		s2c(p);
		if (srv < 0)
			return srv;
		if (cli < 0)
			return 1;
		if (srv == TLS_ESTABLISHED && cli == 1)
			return 0;
	}
	return 1;
}

static int
peer_key_type(const struct pair *p)
{
	X509 *x = SSL_get0_peer_certificate(p->c);

	assert_non_null(x);
	return EVP_PKEY_get_base_id(X509_get0_pubkey(x));
}

static void
expect_info(struct pair *p, const char *protocol)
{
	struct tls_info i;

	assert_int_equal(tls_conn_info(p->s, &i), 0);
	assert_string_equal(i.protocol, protocol);
	assert_string_equal(i.cipher, SSL_CIPHER_get_name(SSL_get_current_cipher(p->c)));
	assert_true(i.secret_bits >= 128 && i.alg_bits >= i.secret_bits);
	print_message("%s with cipher %s (%d/%d bits)\n", i.protocol, i.cipher, i.secret_bits, i.alg_bits);
}

static void
test_handshake_sigalgs(void **state)
{
	(void)state;
	static const struct {
		int version;
		const char *sigalgs;
		int key;
		const char *protocol;
	} cases[] = {
		{ TLS1_3_VERSION, "ECDSA+SHA256", EVP_PKEY_EC, "TLSv1.3" },
		{ TLS1_3_VERSION, "RSA-PSS+SHA256", EVP_PKEY_RSA, "TLSv1.3" },
		{ TLS1_2_VERSION, "ECDSA+SHA256", EVP_PKEY_EC, "TLSv1.2" },
		{ TLS1_2_VERSION, "RSA+SHA256:RSA-PSS+SHA256", EVP_PKEY_RSA, "TLSv1.2" },
	};
	struct tls_ctx *ctx = ctx_new(NULL, NULL, f_ec, f_rsa);
	struct pair p;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		pair_open(&p, ctx, TLS1_2_VERSION, cases[k].version, cases[k].sigalgs);
		assert_int_equal(tls_conn_info(p.s, &(struct tls_info){ 0 }), -ENOTCONN);
		assert_int_equal(tls_conn_write(p.s, "x", 1), -ENOTCONN);
		assert_int_equal(tls_conn_read(p.s, (char[8]){ 0 }, 8), -ENOTCONN);
		assert_int_equal(handshake(&p), 0);
		assert_int_equal(tls_conn_step(p.s), TLS_OK); /* ESTABLISHED only once */
		assert_int_equal(peer_key_type(&p), cases[k].key);
		expect_info(&p, cases[k].protocol);
		assert_string_equal(tls_conn_error(p.s), "");
		pair_close(&p);
	}
	tls_ctx_free(ctx);
}

/* Client to server and back, LEN bytes each way in random chunks. */
static void
exchange(struct pair *p, size_t len)
{
	unsigned char *sent = malloc(len), *got = malloc(len), buf[20000];
	size_t n_got = 0;

	assert_non_null(sent);
	assert_non_null(got);
	for (size_t i = 0; i < len; i++)
		sent[i] = (unsigned char)rng();
	for (size_t off = 0; off < len;) {
		size_t n = 1 + rng() % 20000;
		if (n > len - off)
			n = len - off;
		assert_int_equal(SSL_write(p->c, sent + off, (int)n), (int)n);
		off += n;
		c2s(p);
		for (;;) {
			srv_begin();
			int r = tls_conn_read(p->s, buf, 1 + rng() % sizeof(buf));
			srv_end();
			assert_true(r >= 0);
			if (r == 0)
				break;
			assert_true((size_t)r <= len - n_got);
			memcpy(got + n_got, buf, (size_t)r);
			n_got += (size_t)r;
		}
	}
	assert_int_equal(n_got, len);
	assert_memory_equal(sent, got, len);

	for (size_t i = 0; i < len; i++)
		sent[i] = (unsigned char)rng();
	n_got = 0;
	for (size_t off = 0; off < len;) {
		size_t n = 1 + rng() % 3000;
		if (n > len - off)
			n = len - off;
		srv_begin();
		int r = tls_conn_write(p->s, sent + off, n);
		srv_end();
		assert_int_equal(r, (int)n);
		off += n;
		s2c(p);
		while ((r = SSL_read(p->c, buf, (int)(1 + rng() % sizeof(buf)))) > 0) {
			memcpy(got + n_got, buf, (size_t)r);
			n_got += (size_t)r;
		}
	}
	assert_int_equal(n_got, len);
	assert_memory_equal(sent, got, len);
	free(sent);
	free(got);
}

static void
test_data_and_close(void **state)
{
	(void)state;
	struct tls_ctx *ctx = ctx_new(NULL, NULL, f_ec, NULL);
	struct pair p;
	char buf[64];

	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		pair_open(&p, ctx, v, v, NULL);
		assert_int_equal(handshake(&p), 0);
		exchange(&p, 300000);
		assert_int_equal(tls_conn_read(p.s, buf, sizeof(buf)), 0);
		/* the client's close_notify, then ours */
		assert_true(SSL_shutdown(p.c) >= 0);
		c2s(&p);
		assert_int_equal(tls_conn_read(p.s, buf, sizeof(buf)), TLS_CLOSED);
		assert_int_equal(tls_conn_read(p.s, buf, sizeof(buf)), TLS_CLOSED);
		assert_int_equal(tls_conn_write(p.s, "x", 1), -EPIPE);
		assert_int_equal(tls_conn_shutdown(p.s), 0);
		assert_true(tls_conn_pending(p.s) > 0);
		s2c(&p);
		assert_int_equal(SSL_read(p.c, buf, sizeof(buf)), 0);
		assert_int_equal(SSL_get_error(p.c, 0), SSL_ERROR_ZERO_RETURN);
		pair_close(&p);
	}
	tls_ctx_free(ctx);
}

static void
test_garbage_hello(void **state)
{
	(void)state;
	/* a command, HTTP, a handshake record holding a ClientHello of one byte */
	static const struct {
		const char *bytes;
		size_t len;
	} junk[] = {
		{ "EHLO client.example\r\n", 21 },
		{ "GET / HTTP/1.0\r\n\r\n", 18 },
		{ "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10 },
	};
	struct tls_ctx *ctx = ctx_new(NULL, NULL, f_ec, NULL);
	struct pair p;

	for (size_t k = 0; k < sizeof(junk) / sizeof(junk[0]); k++) {
		pair_open(&p, ctx, TLS1_2_VERSION, TLS1_3_VERSION, NULL);
		assert_int_equal(tls_conn_feed(p.s, junk[k].bytes, junk[k].len), (int)junk[k].len);
		assert_int_equal(tls_conn_step(p.s), -EPROTO);
		assert_int_equal(tls_conn_step(p.s), -EPROTO);
		assert_true(strlen(tls_conn_error(p.s)) > 0);
		print_message("garbage %zu: %s\n", k, tls_conn_error(p.s));
		if (k == 2) /* a TLS record: answered with an alert */
			assert_true(tls_conn_pending(p.s) > 0);
		assert_int_equal(tls_conn_read(p.s, (char[8]){ 0 }, 8), -EPROTO);
		pair_close(&p);
	}
	/* a ClientHello cut short waits for more; at EOF it is an error */
	pair_open(&p, ctx, TLS1_2_VERSION, TLS1_3_VERSION, NULL);
	assert_int_equal(SSL_do_handshake(p.c), -1);
	unsigned char hello[4096];
	int n = BIO_read(p.c_out, hello, sizeof(hello));
	assert_true(n > 20);
	assert_int_equal(tls_conn_feed(p.s, hello, (size_t)n - 10), n - 10);
	assert_int_equal(tls_conn_step(p.s), TLS_WANT_INPUT);
	tls_conn_feed_eof(p.s);
	assert_int_equal(tls_conn_step(p.s), -EPROTO);
	print_message("hello cut short: %s\n", tls_conn_error(p.s));
	pair_close(&p);
	tls_ctx_free(ctx);
}

/* One record from the client, damaged by DAMAGE before the server sees it. */
static void
bad_record(struct tls_ctx *ctx, int version, int damage)
{
	struct pair p;
	unsigned char rec[256];
	char buf[256];

	pair_open(&p, ctx, version, version, NULL);
	assert_int_equal(handshake(&p), 0);
	assert_int_equal(SSL_write(p.c, "QUIT\r\n", 6), 6);
	int n = BIO_read(p.c_out, rec, sizeof(rec));
	assert_true(n > 20);
	if (damage == 0) { /* one bit of the ciphertext */
		rec[n - 20] ^= 0x01;
		assert_int_equal(tls_conn_feed(p.s, rec, (size_t)n), n);
	} else if (damage == 1) { /* cut short, then the peer's FIN */
		assert_int_equal(tls_conn_feed(p.s, rec, (size_t)n - 7), n - 7);
		assert_int_equal(tls_conn_read(p.s, buf, sizeof(buf)), 0);
		tls_conn_feed_eof(p.s);
	} else { /* cut short, and the next record behind it */
		assert_int_equal(tls_conn_feed(p.s, rec, (size_t)n - 7), n - 7);
		assert_int_equal(SSL_write(p.c, "NOOP\r\n", 6), 6);
		c2s(&p);
	}
	assert_int_equal(tls_conn_read(p.s, buf, sizeof(buf)), -EPROTO);
	assert_int_equal(tls_conn_read(p.s, buf, sizeof(buf)), -EPROTO);
	assert_true(strlen(tls_conn_error(p.s)) > 0);
	print_message("%s, damage %d: %s\n", version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2", damage,
		      tls_conn_error(p.s));
	assert_int_equal(tls_conn_write(p.s, "x", 1), -EPIPE);
	assert_int_equal(tls_conn_shutdown(p.s), -EPROTO);
	pair_close(&p);
}

static void
test_bad_records(void **state)
{
	(void)state;
	struct tls_ctx *ctx = ctx_new(NULL, NULL, f_ec, NULL);

	for (int damage = 0; damage < 3; damage++) {
		bad_record(ctx, TLS1_3_VERSION, damage);
		bad_record(ctx, TLS1_2_VERSION, damage);
	}
	tls_ctx_free(ctx);
}

static void
test_protocols(void **state)
{
	(void)state;
	static const struct {
		const char *protocols;
		int client_max;
		int ok;
	} cases[] = {
		{ NULL, TLS1_1_VERSION, 0 },
		{ "", TLS1_2_VERSION, 1 },
		{ "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", TLS1_1_VERSION, 0 },
		{ "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", TLS1_2_VERSION, 1 },
		{ ">=TLSv1.3", TLS1_2_VERSION, 0 },
		{ ">=TLSv1.3", TLS1_3_VERSION, 1 },
		{ "!TLSv1.2", TLS1_2_VERSION, 0 },
		{ "TLSv1.2:TLSv1.3", TLS1_2_VERSION, 1 },
		{ "<=TLSv1.2", TLS1_2_VERSION, 1 },
	};
	struct pair p;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct tls_ctx *ctx = ctx_new(cases[k].protocols, "high", f_ec, NULL);
		int min_v = cases[k].client_max < TLS1_2_VERSION ? TLS1_VERSION : TLS1_2_VERSION;
		pair_open(&p, ctx, min_v, cases[k].client_max, NULL);
		int rc = handshake(&p);
		if (cases[k].ok) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -EPROTO);
			print_message("'%s', client up to %#x: %s\n",
				      cases[k].protocols ? cases[k].protocols : "",
				      (unsigned)cases[k].client_max, tls_conn_error(p.s));
			/* the client got the alert */
			assert_true(SSL_do_handshake(p.c) <= 0);
			assert_int_equal(SSL_get_error(p.c, -1), SSL_ERROR_SSL);
		}
		pair_close(&p);
		tls_ctx_free(ctx);
	}
	/* "<=TLSv1.2" really stops at 1.2 */
	struct tls_ctx *ctx = ctx_new("<=TLSv1.2", NULL, f_ec, NULL);
	pair_open(&p, ctx, TLS1_2_VERSION, TLS1_3_VERSION, NULL);
	assert_int_equal(handshake(&p), 0);
	expect_info(&p, "TLSv1.2");
	pair_close(&p);
	tls_ctx_free(ctx);
}

/*
 * tls_preempt_cipherlist: a TLS 1.2 client that lists a CBC suite with
 * SHA-1 first gets the AEAD suite it also offers when the server's order
 * counts, and its own first choice when it does not. A TLS 1.3 client
 * that lists AES-256-GCM first (OpenSSL's order) gets AES-128-GCM, whose
 * SHA-256 makes the handshake cheaper, when the server's order counts.
 */
static void
test_cipher_order(void **state)
{
	(void)state;
	static const char *client12 = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:"
				      "ECDHE-ECDSA-AES128-GCM-SHA256";
	static const char *client13 = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
				      "TLS_AES_128_GCM_SHA256";
	static const struct {
		int version;
		bool server_order;
		const char *want;
	} cases[] = {
		{ TLS1_2_VERSION, true, "ECDHE-ECDSA-AES128-GCM-SHA256" },
		{ TLS1_2_VERSION, false, "ECDHE-ECDSA-AES128-SHA" },
		{ TLS1_3_VERSION, true, "TLS_AES_128_GCM_SHA256" },
		{ TLS1_3_VERSION, false, "TLS_AES_256_GCM_SHA384" },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct tls_params tp = { .server_order = cases[k].server_order };
		struct tls_ctx *ctx;
		struct pair p;
		char err[256];
		int v = cases[k].version;

		tp.chain_files[tp.n_chain_files++] = f_ec;
		if (tls_ctx_new(&tp, &ctx, err, sizeof(err)) != 0)
			fail_msg("tls_ctx_new: %s", err);
		pair_open(&p, ctx, v, v, NULL);
		if (v == TLS1_2_VERSION)
			assert_true(SSL_set_cipher_list(p.c, client12));
		else
			assert_true(SSL_set_ciphersuites(p.c, client13));
		assert_int_equal(handshake(&p), 0);
		expect_info(&p, v == TLS1_2_VERSION ? "TLSv1.2" : "TLSv1.3");
		assert_string_equal(SSL_CIPHER_get_name(SSL_get_current_cipher(p.c)), cases[k].want);
		pair_close(&p);
		tls_ctx_free(ctx);
	}
}

/* tls_ctx_new must fail with RC and an ERR holding every one of the WANT strings. */
static void
expect_error(const struct tls_params *p, int rc, const char *want1, const char *want2)
{
	struct tls_ctx *c = (struct tls_ctx *)&c;
	char err[256];

	assert_int_equal(tls_ctx_new(p, &c, err, sizeof(err)), rc);
	assert_null(c);
	print_message("%s\n", err);
	assert_non_null(strstr(err, want1));
	if (want2 != NULL)
		assert_non_null(strstr(err, want2));
	assert_int_equal(tls_check_files(p, err, sizeof(err)), rc);
}

static void
test_config_errors(void **state)
{
	(void)state;
	char missing[128];
	struct tls_params p;
	char err[256];

	snprintf(missing, sizeof(missing), "%s/missing.pem", dir);
	p = (struct tls_params){ .chain_files = { missing }, .n_chain_files = 1 };
	expect_error(&p, -ENOENT, missing, "No such file");
	p = (struct tls_params){ .chain_files = { f_ec, f_mismatch }, .n_chain_files = 2 };
	expect_error(&p, -EINVAL, f_mismatch, "does not match");
	p = (struct tls_params){ .chain_files = { f_nokey }, .n_chain_files = 1 };
	expect_error(&p, -EINVAL, f_nokey, "no private key");
	p = (struct tls_params){ .chain_files = { f_nocert }, .n_chain_files = 1 };
	expect_error(&p, -EINVAL, f_nocert, "no certificate");
	p = (struct tls_params){ .chain_files = { f_ec, f_expired }, .n_chain_files = 2 };
	expect_error(&p, -EINVAL, f_expired, "same key type");
	p = (struct tls_params){ .cert_file = f_crt, .key_file = f_rsa };
	expect_error(&p, -EINVAL, f_rsa, "does not match");
	p = (struct tls_params){ .cert_file = f_crt };
	expect_error(&p, -EINVAL, f_crt, "no private key");
	p = (struct tls_params){ 0 };
	expect_error(&p, -EINVAL, "no certificate file", NULL);
	p = (struct tls_params){ .chain_files = { f_ec }, .n_chain_files = 1, .protocols = "TLSv1.1" };
	expect_error(&p, -EINVAL, "TLSv1.1", "neither");
	p = (struct tls_params){ .chain_files = { f_ec }, .n_chain_files = 1, .protocols = ">=TLSv1.4" };
	expect_error(&p, -EINVAL, "unknown protocol", ">=TLSv1.4");
	p = (struct tls_params){ .chain_files = { f_ec }, .n_chain_files = 1, .ciphers = "low" };
	expect_error(&p, -EINVAL, "ciphers 'low'", NULL);

	/* the older pair of files, and a key file of its own */
	p = (struct tls_params){ .cert_file = f_crt, .key_file = f_key };
	assert_int_equal(tls_check_files(&p, err, sizeof(err)), 0);
	p = (struct tls_params){ .cert_file = f_ec };
	assert_int_equal(tls_check_files(&p, err, sizeof(err)), 0);
}

static void
test_expired(void **state)
{
	(void)state;
	struct tls_ctx *ctx = ctx_new(NULL, NULL, f_expired, f_rsa);
	char what[256] = "";
	struct pair p;

	assert_int_equal(tls_ctx_cert_expired(ctx, what, sizeof(what)), 1);
	print_message("%s\n", what);
	assert_non_null(strstr(what, f_expired));
	assert_non_null(strstr(what, "expired on"));
	/* still served */
	pair_open(&p, ctx, TLS1_3_VERSION, TLS1_3_VERSION, "ECDSA+SHA256");
	assert_int_equal(handshake(&p), 0);
	assert_int_equal(peer_key_type(&p), EVP_PKEY_EC);
	pair_close(&p);
	tls_ctx_free(ctx);

	ctx = ctx_new(NULL, NULL, f_ec, f_rsa);
	strcpy(what, "untouched");
	assert_int_equal(tls_ctx_cert_expired(ctx, what, sizeof(what)), 0);
	assert_string_equal(what, "untouched");
	tls_ctx_free(ctx);
}

static void
test_feed_bound(void **state)
{
	(void)state;
	struct tls_ctx *ctx = ctx_new(NULL, NULL, f_ec, NULL);
	static char big[TLS_FEED_MAX];
	struct tls_conn *t;

	assert_int_equal(tls_conn_new(ctx, &t), 0);
	assert_int_equal(tls_conn_feed(t, big, TLS_FEED_MAX - 1), TLS_FEED_MAX - 1);
	assert_int_equal(tls_conn_feed(t, big, 2), -ENOBUFS);
	assert_int_equal(tls_conn_feed(t, big, 1), 1);
	assert_int_equal(tls_conn_feed(t, big, 0), 0);
	tls_conn_free(t);
	tls_ctx_free(ctx);
}

/*
 * The heap one session holds, idle and at the peak of its handshake,
 * and the server's CPU per handshake; for ECDSA and RSA, TLS 1.3 and 1.2.
 */
static void
measure(struct tls_ctx *ctx, int version, const char *sigalgs, const char *what)
{
	enum { ROUNDS = 50 };
	struct pair p;
	size_t base, idle = 0, peak = 0, after = 0;
	uint64_t ns = 0;

	for (int r = 0; r < ROUNDS + 1; r++) {
		base = srv_live;
		srv_peak = srv_live;
		pair_open(&p, ctx, version, version, sigalgs);
		uint64_t t0 = srv_ns;
		assert_int_equal(handshake(&p), 0);
		if (r == 0) { /* the first one fills the context's caches */
			pair_close(&p);
			continue;
		}
		ns += srv_ns - t0;
		if (srv_peak - base > peak)
			peak = srv_peak - base;
		if (srv_live - base > idle)
			idle = srv_live - base;
		if (r == 1) {
			exchange(&p, 100000);
			after = srv_live - base;
		}
		pair_close(&p);
		/* nothing left but the thread's error queue text, swapped for another */
		assert_true(srv_live <= base + ERRQ_SLACK);
	}
	print_message("%s: idle session %zu bytes (%zu after 100 kB each way), handshake peak %zu bytes, "
		      "server CPU %.0f us per handshake\n",
		      what, idle, after, peak, (double)ns / ROUNDS / 1000);
	assert_true(idle <= IDLE_MAX);
	assert_true(after <= IDLE_MAX);
	assert_true(peak <= HANDSHAKE_MAX);
}

static void
test_memory(void **state)
{
	(void)state;
	struct tls_ctx *ctx;
	size_t base;

	/* a first context leaves the thread's error queue its buffers: not ours to count */
	srv_begin();
	tls_ctx_free(ctx_new(NULL, NULL, f_ec, f_rsa));
	srv_end();
	base = srv_live;
	srv_begin(); /* the context is counted too, for the record */
	ctx = ctx_new(NULL, NULL, f_ec, f_rsa);
	srv_end();
	print_message("context: %zu bytes\n", srv_live - base);
	measure(ctx, TLS1_3_VERSION, "ECDSA+SHA256", "TLSv1.3 ECDSA P-256");
	measure(ctx, TLS1_3_VERSION, "RSA-PSS+SHA256", "TLSv1.3 RSA 2048");
	measure(ctx, TLS1_2_VERSION, "ECDSA+SHA256", "TLSv1.2 ECDSA P-256");
	srv_begin();
	tls_ctx_free(ctx);
	srv_end();
	assert_true(srv_live <= base + ERRQ_SLACK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_sigalgs), cmocka_unit_test(test_data_and_close),
		cmocka_unit_test(test_garbage_hello),	  cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_protocols),	  cmocka_unit_test(test_cipher_order),
		cmocka_unit_test(test_config_errors),	  cmocka_unit_test(test_expired),
		cmocka_unit_test(test_feed_bound),	  cmocka_unit_test(test_memory),
	};

	/* before OpenSSL allocates anything */
	if (!CRYPTO_set_mem_functions(mem_malloc, mem_realloc, mem_free))
		return 1;
	return cmocka_run_group_tests(tests, files_setup, files_teardown);
}
