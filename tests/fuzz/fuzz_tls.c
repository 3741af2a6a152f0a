/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	fuzz_tls - libFuzzer target: the TLS layer as a server
 * DESCRIPTION
 *	LLVMFuzzerInitialize makes an ECDSA P-256 and an RSA 2048 key with
 *	self-signed certificates in a temporary directory, builds one
 *	context from them (then removes the files), and has an OpenSSL
 *	client write a real ClientHello for TLS 1.3 and one for TLS 1.2.
 *	Each input drives a fresh connection:
 *	    byte 0   bits 0-5: chunk size - 1 (x 16); bit 7: a ClientHello
 *	             goes first (bit 6: the TLS 1.2 one), so the rest meets
 *	             a handshake past its first flight
 *	    rest     the client's bytes, fed in chunks; after each the
 *	             handshake is stepped, plaintext read, output taken
 *	At the end the peer's EOF is fed, and an established connection is
 *	shut down. Checked: a failure always has a reason, taking output
 *	never gives more than asked nor leaves any behind, and the
 *	sanitizers see every buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls/tls.h"

static struct tls_ctx *ctx;
static unsigned char hello[2][2048];
static size_t hello_len[2];

/* PATH holding a new KEY and its self-signed certificate, as a Postfix chain file. */
static void
write_chain(const char *path, EVP_PKEY *key)
{
	X509 *x = X509_new();
	FILE *f = fopen(path, "w");

	if (key == NULL || x == NULL || f == NULL)
		abort();
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"mx.test.example", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	if (!X509_sign(x, key, EVP_sha256()) || !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_X509(f, x) || fclose(f) != 0)
		abort();
	X509_free(x);
	EVP_PKEY_free(key);
}

/* A client's first flight, up to MAX_V. */
static size_t
client_hello(int max_v, unsigned char *buf, size_t cap)
{
	SSL_CTX *cc = SSL_CTX_new(TLS_client_method());
	SSL *c = cc ? SSL_new(cc) : NULL;
	BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
	int n;

	if (c == NULL || in == NULL || out == NULL || !SSL_set_max_proto_version(c, max_v))
		abort();
	SSL_set_bio(c, in, out);
	SSL_set_connect_state(c);
	(void)SSL_do_handshake(c);
	n = BIO_read(out, buf, (int)cap);
	if (n <= 0)
		abort();
	SSL_free(c);
	SSL_CTX_free(cc);
	return (size_t)n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fuzz_tls.XXXXXX", ec[64], rsa[64], err[256];
	struct tls_params p = { .n_chain_files = 2 };

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(ec, sizeof(ec), "%s/ec.pem", dir);
	snprintf(rsa, sizeof(rsa), "%s/rsa.pem", dir);
	write_chain(ec, EVP_EC_gen("P-256"));
	write_chain(rsa, EVP_RSA_gen(2048));
	p.chain_files[0] = ec;
	p.chain_files[1] = rsa;
	if (tls_ctx_new(&p, &ctx, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_tls: %s\n", err);
		abort();
	}
	unlink(ec);
	unlink(rsa);
	rmdir(dir);
	hello_len[0] = client_hello(TLS1_3_VERSION, hello[0], sizeof(hello[0]));
	hello_len[1] = client_hello(TLS1_2_VERSION, hello[1], sizeof(hello[1]));
	return 0;
}

/* Take all pending output in pieces, as a TCP send buffer would. */
static void
drain(struct tls_conn *t)
{
	unsigned char buf[700];

	while (tls_conn_pending(t) > 0) {
		size_t before = tls_conn_pending(t), n = tls_conn_take(t, buf, sizeof(buf));
		if (n == 0 || n > sizeof(buf) || tls_conn_pending(t) != before - n)
			abort();
	}
	if (tls_conn_take(t, buf, sizeof(buf)) != 0)
		abort();
}

/* Step and read until nothing moves. Return: 1 established, 0 not yet, -1 failed or closed. */
static int
run(struct tls_conn *t)
{
	char buf[1024];
	int r = tls_conn_step(t);

	if (r < 0) {
		if (tls_conn_error(t)[0] == '\0')
			abort();
		drain(t);
		return -1;
	}
	if (r == TLS_WANT_INPUT) {
		drain(t);
		return 0;
	}
	while ((r = tls_conn_read(t, buf, sizeof(buf))) > 0)
		if (r > (int)sizeof(buf))
			abort();
	drain(t);
	if (r == -EPROTO && tls_conn_error(t)[0] == '\0')
		abort();
	return r < 0 ? -1 : 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_conn *t;
	struct tls_info info;
	size_t chunk;
	int state = 0;

	if (size < 1)
		return 0;
	chunk = 16 * ((size_t)(data[0] & 0x3f) + 1);
	if (tls_conn_new(ctx, &t) != 0)
		abort();
	if (data[0] & 0x80) {
		unsigned h = (data[0] >> 6) & 1;
		if (tls_conn_feed(t, hello[h], hello_len[h]) != (int)hello_len[h])
			abort();
		state = run(t);
	}
	data++;
	size--;
	while (size > 0 && state >= 0) {
		size_t n = size < chunk ? size : chunk;
		if (tls_conn_feed(t, data, n) != (int)n)
			abort();
		data += n;
		size -= n;
		state = run(t);
	}
	tls_conn_feed_eof(t);
	if (state >= 0)
		state = run(t);
	if (tls_conn_info(t, &info) == 0 && (info.protocol == NULL || info.cipher == NULL))
		abort();
	if (state > 0 && tls_conn_shutdown(t) == 0)
		drain(t);
	tls_conn_free(t);
	return 0;
}
