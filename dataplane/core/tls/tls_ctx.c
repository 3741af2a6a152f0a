/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tls_ctx.c - the TLS layer's server context: files, protocols, ciphers
 * DESCRIPTION
 *	tls_ctx_new() builds one server context for one worker lcore: its
 *	own OSSL_LIB_CTX (OpenSSL 3.0's default context serialises the
 *	threads that share it on global locks), an SSL_CTX on it with TLS
 *	1.2 as the floor, no session cache, no tickets, no renegotiation,
 *	SSL_MODE_RELEASE_BUFFERS, and the keys and certificates read from
 *	the files. Each file is decoded here, once; a chain file's key is
 *	matched against the first certificate of the file (the leaf) and the
 *	rest is its chain. OpenSSL keeps one certificate per key type, so an
 *	ECDSA and an RSA chain can be served side by side and the client's
 *	signature algorithms choose between them.
 *
 *	Protocols follow Postfix's smtpd_tls_protocols syntax, ciphers its
 *	smtpd_tls_ciphers grades (see tls.h for the mapping).
 * DIAGNOSTICS
 *	0 or a negative errno, with a one-line reason naming the file or
 *	the setting in the caller's ERR buffer. An expired certificate is
 *	not an error: tls_ctx_cert_expired() reports it.
 * TRUST
 *	The files are the operator's but may be malformed, truncated,
 *	encrypted or mismatched: each of these is an error, never a crash.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls/tls_impl.h"

/*
 * Postfix's cipher grades (tls_medium_cipherlist, tls_high_cipherlist),
 * then the TLS 1.2 suites with a separate MAC (CBC) moved behind the
 * AEAD ones, SHA-1 last: the order that counts when we choose
 * (tls_preempt_cipherlist). The set offered is Postfix's.
 */
#define TLS_CIPHERS_ORDER ":+SHA384:+SHA256:+SHA1"
#define TLS_CIPHERS_MEDIUM "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH" TLS_CIPHERS_ORDER
#define TLS_CIPHERS_HIGH "aNULL:-aNULL:HIGH:@STRENGTH" TLS_CIPHERS_ORDER

/*
 * TLS 1.3's suites: OpenSSL's three, AES-128-GCM first (OpenSSL puts
 * AES-256-GCM first). The suite's hash is the handshake's: its transcript
 * and its forty-odd HMACs of key derivation. SHA-256 has instructions of
 * its own on current x86 and ARM cores, SHA-384 does not, and that cuts
 * the server's CPU per full handshake by 8-15% (docs/benchmarks.md);
 * AES-128 matches the 128-bit strength of X25519 and P-256, which the
 * key exchange has anyway. Chosen when we choose (tls_preempt_cipherlist).
 */
#define TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

/*
 * Plaintext bytes per record we send. The server's side of SMTP is short
 * replies; records of 4 KiB keep OpenSSL's write buffer at a quarter of
 * its default size (and a handshake under 64 KiB), for a few bytes more
 * per certificate flight. Records from the client may still be 16 KiB.
 */
#define TLS_SEND_FRAGMENT 4096

/* Protocols by Postfix's names, oldest first; only the last two can be enabled. */
static const struct {
	const char *name;
	int version;
} tls_protos[] = {
	{ "SSLv2", 0x0200 },	       { "SSLv3", SSL3_VERSION },     { "TLSv1", TLS1_VERSION },
	{ "TLSv1.1", TLS1_1_VERSION }, { "TLSv1.2", TLS1_2_VERSION }, { "TLSv1.3", TLS1_3_VERSION },
};
#define TLS_NPROTOS (sizeof(tls_protos) / sizeof(tls_protos[0]))
#define TLS_PROTO_ALL ((1u << TLS_NPROTOS) - 1)
#define TLS_PROTO_USABLE (3u << (TLS_NPROTOS - 2)) /* TLSv1.2 and TLSv1.3 */

static int
tls_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
	return rc;
}

/* OpenSSL's reason for the last error on this thread's queue. */
static const char *
tls_ossl_reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	return r ? r : "unknown error";
}

static int
tls_proto_index(const char *name, size_t len)
{
	for (unsigned i = 0; i < TLS_NPROTOS; i++)
		if (strlen(tls_protos[i].name) == len && strncmp(tls_protos[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* Postfix's protocol list to a set of tls_protos indexes; -EINVAL for a bad token or nothing left. */
static int
tls_parse_protocols(const char *s, unsigned *set, char *err, size_t errlen)
{
	unsigned incl = 0, excl = 0, lo = 0, hi = TLS_NPROTOS - 1;
	const char *all = s;

	if (s == NULL)
		s = all = "";
	while (*s) {
		size_t len = strcspn(s, ", :\t");
		if (len == 0) {
			s++;
			continue;
		}
		const char *tok = s;
		size_t skip = 0;
		if (*tok == '!')
			skip = 1;
		else if (len >= 2 && (strncmp(tok, ">=", 2) == 0 || strncmp(tok, "<=", 2) == 0))
			skip = 2;
		int i = tls_proto_index(tok + skip, len - skip);
		if (i < 0)
			return tls_err(err, errlen, -EINVAL, "protocols: unknown protocol '%.*s'", (int)len,
				       tok);
		if (skip == 1)
			excl |= 1u << i;
		else if (skip == 0)
			incl |= 1u << i;
		else if (*tok == '>')
			lo = (unsigned)i;
		else
			hi = (unsigned)i;
		s += len;
	}
	unsigned range = lo > hi ? 0 : ((2u << hi) - 1) & ~((1u << lo) - 1);
	*set = (incl ? incl : TLS_PROTO_ALL) & ~excl & range & TLS_PROTO_USABLE;
	if (*set == 0)
		return tls_err(err, errlen, -EINVAL, "protocols '%s': neither TLSv1.2 nor TLSv1.3 is left",
			       all);
	return 0;
}

static int
tls_set_protocols(SSL_CTX *ssl, const char *protocols, char *err, size_t errlen)
{
	unsigned set = 0;
	int rc = tls_parse_protocols(protocols, &set, err, errlen);
	if (rc != 0)
		return rc;
	int lo = TLS_NPROTOS - 2, hi = TLS_NPROTOS - 1;
	if (!(set & (1u << lo)))
		lo = hi;
	if (!(set & (1u << hi)))
		hi = lo;
	if (!SSL_CTX_set_min_proto_version(ssl, tls_protos[lo].version) ||
	    !SSL_CTX_set_max_proto_version(ssl, tls_protos[hi].version))
		return tls_err(err, errlen, -EINVAL, "protocols: %s", tls_ossl_reason());
	return 0;
}

static int
tls_set_ciphers(SSL_CTX *ssl, const char *grade, char *err, size_t errlen)
{
	const char *list;

	if (grade == NULL || grade[0] == '\0' || strcmp(grade, "medium") == 0)
		list = TLS_CIPHERS_MEDIUM;
	else if (strcmp(grade, "high") == 0)
		list = TLS_CIPHERS_HIGH;
	else
		return tls_err(err, errlen, -EINVAL, "ciphers '%s': not medium or high", grade);
	if (!SSL_CTX_set_cipher_list(ssl, list))
		return tls_err(err, errlen, -EINVAL, "ciphers '%s': %s", grade, tls_ossl_reason());
	if (!SSL_CTX_set_ciphersuites(ssl, TLS13_SUITES))
		return tls_err(err, errlen, -EINVAL, "TLS 1.3 suites: %s", tls_ossl_reason());
	return 0;
}

/* Never prompt for a pass phrase on the terminal: encrypted keys are refused. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static BIO *
tls_open(const char *path, char *err, size_t errlen, int *rc)
{
	FILE *f = fopen(path, "r");
	BIO *b;

	if (f == NULL) {
		*rc = tls_err(err, errlen, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	b = BIO_new_fp(f, BIO_CLOSE);
	if (b == NULL) {
		fclose(f);
		*rc = tls_err(err, errlen, -ENOMEM, "%s: out of memory", path);
	}
	return b;
}

/* Whether the PEM file behind B holds a "... PRIVATE KEY" block at all, well formed or not. */
static int
tls_has_key_block(BIO *b)
{
	static const char suffix[] = "PRIVATE KEY";
	char *name, *header;
	unsigned char *data;
	long len;
	int found = 0;

	if (BIO_reset(b) != 0)
		return 1; /* cannot tell: say "bad key", not "no key" */
	while (!found && PEM_read_bio(b, &name, &header, &data, &len)) {
		size_t n = strlen(name);
		found = n >= sizeof(suffix) - 1 && strcmp(name + n - (sizeof(suffix) - 1), suffix) == 0;
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
	}
	ERR_clear_error();
	return found;
}

static EVP_PKEY *
tls_read_key(struct tls_ctx *c, const char *path, char *err, size_t errlen, int *rc)
{
	BIO *b = tls_open(path, err, errlen, rc);
	EVP_PKEY *key;

	if (b == NULL)
		return NULL;
	key = PEM_read_bio_PrivateKey_ex(b, NULL, tls_no_passphrase, NULL, c->libctx, NULL);
	if (key == NULL) {
		const char *why = tls_ossl_reason();
		if (!tls_has_key_block(b))
			*rc = tls_err(err, errlen, -EINVAL, "%s: no private key", path);
		else
			*rc = tls_err(err, errlen, -EINVAL, "%s: bad private key: %s", path, why);
	}
	BIO_free(b);
	return key;
}

/* The certificates of PATH: the first into *LEAF, the rest into *CHAIN. */
static int
tls_read_certs(struct tls_ctx *c, const char *path, X509 **leaf, STACK_OF(X509) * *chain, char *err,
	       size_t errlen)
{
	int rc = 0;
	BIO *b = tls_open(path, err, errlen, &rc);

	if (b == NULL)
		return rc;
	*leaf = NULL;
	*chain = sk_X509_new_null();
	if (*chain == NULL)
		rc = tls_err(err, errlen, -ENOMEM, "%s: out of memory", path);
	while (rc == 0) {
		X509 *x = X509_new_ex(c->libctx, NULL);
		if (x == NULL) {
			rc = tls_err(err, errlen, -ENOMEM, "%s: out of memory", path);
			break;
		}
		if (PEM_read_bio_X509(b, &x, NULL, NULL) == NULL) {
			unsigned long e = ERR_peek_last_error();
			X509_free(x);
			if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				ERR_clear_error(); /* the end of the file */
			else
				rc = tls_err(err, errlen, -EINVAL, "%s: bad certificate: %s", path,
					     tls_ossl_reason());
			break;
		}
		if (*leaf == NULL)
			*leaf = x;
		else if (!sk_X509_push(*chain, x)) {
			X509_free(x);
			rc = tls_err(err, errlen, -ENOMEM, "%s: out of memory", path);
		}
	}
	BIO_free(b);
	if (rc == 0 && *leaf == NULL)
		rc = tls_err(err, errlen, -EINVAL, "%s: no certificate", path);
	if (rc != 0) {
		X509_free(*leaf);
		sk_X509_pop_free(*chain, X509_free);
		*leaf = NULL;
		*chain = NULL;
	}
	return rc;
}

/* Note LEAF of PATH when it is outside its validity period now. */
static void
tls_note_validity(struct tls_ctx *c, const char *path, X509 *leaf)
{
	const ASN1_TIME *after = X509_get0_notAfter(leaf), *before = X509_get0_notBefore(leaf);
	const ASN1_TIME *t = NULL;
	const char *what = NULL;
	struct tm tm;
	char date[32] = "an unreadable date";

	if (X509_cmp_current_time(after) < 0) {
		t = after;
		what = "expired on";
	} else if (X509_cmp_current_time(before) > 0) {
		t = before;
		what = "not valid before";
	}
	if (t == NULL)
		return;
	if (c->n_expired++ > 0)
		return;
	if (ASN1_TIME_to_tm(t, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(c->expired, sizeof(c->expired), "%s: certificate %s %s", path, what, date);
}

/* One key and its chain: KEY_PATH holds the key, CERT_PATH the leaf and its chain. */
static int
tls_load_pair(struct tls_ctx *c, const char *cert_path, const char *key_path, char *err, size_t errlen)
{
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	int rc = 0;

	key = tls_read_key(c, key_path, err, errlen, &rc);
	if (key == NULL)
		return rc;
	rc = tls_read_certs(c, cert_path, &leaf, &chain, err, errlen);
	if (rc != 0)
		goto out;
	if (X509_check_private_key(leaf, key) != 1) {
		rc = tls_err(err, errlen, -EINVAL, "%s: key does not match certificate%s%s", key_path,
			     strcmp(cert_path, key_path) ? " in " : "",
			     strcmp(cert_path, key_path) ? cert_path : "");
		goto out;
	}
	if (!SSL_CTX_use_cert_and_key(c->ssl, leaf, key, chain, 0)) {
		unsigned long e = ERR_peek_last_error();
		if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_NOT_REPLACING_CERTIFICATE)
			rc = tls_err(err, errlen, -EINVAL,
				     "%s: a certificate of the same key type came first", cert_path);
		else
			rc = tls_err(err, errlen, -EINVAL, "%s: %s", cert_path, tls_ossl_reason());
		goto out;
	}
	tls_note_validity(c, cert_path, leaf);
out:
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	return rc;
}

static int
tls_load_files(struct tls_ctx *c, const struct tls_params *p, char *err, size_t errlen)
{
	int rc;

	if (p->n_chain_files > TLS_CHAIN_FILES_MAX)
		return tls_err(err, errlen, -EINVAL, "more than %d chain files", TLS_CHAIN_FILES_MAX);
	if (p->n_chain_files == 0) {
		if (p->cert_file == NULL || p->cert_file[0] == '\0')
			return tls_err(err, errlen, -EINVAL, "no certificate file given");
		const char *key = p->key_file && p->key_file[0] ? p->key_file : p->cert_file;
		return tls_load_pair(c, p->cert_file, key, err, errlen);
	}
	for (unsigned i = 0; i < p->n_chain_files; i++) {
		if (p->chain_files[i] == NULL || p->chain_files[i][0] == '\0')
			return tls_err(err, errlen, -EINVAL, "chain file %u: no name", i + 1);
		rc = tls_load_pair(c, p->chain_files[i], p->chain_files[i], err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
tls_ctx_new(const struct tls_params *p, struct tls_ctx **out, char *err, size_t errlen)
{
	struct tls_ctx *c;
	int rc;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	c = OPENSSL_zalloc(sizeof(*c));
	if (c == NULL)
		return tls_err(err, errlen, -ENOMEM, "out of memory");
	c->libctx = OSSL_LIB_CTX_new();
	c->ssl = c->libctx ? SSL_CTX_new_ex(c->libctx, NULL, TLS_server_method()) : NULL;
	c->bio_meth = tls_bio_method_new();
	if (c->ssl == NULL || c->bio_meth == NULL) {
		rc = tls_err(err, errlen, -ENOMEM, "cannot create a TLS context: %s", tls_ossl_reason());
		goto fail;
	}
	SSL_CTX_set_session_cache_mode(c->ssl, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(c->ssl, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	if (p->server_order)
		SSL_CTX_set_options(c->ssl, SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_num_tickets(c->ssl, 0);
	SSL_CTX_set_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_max_send_fragment(c->ssl, TLS_SEND_FRAGMENT);
	rc = tls_set_protocols(c->ssl, p->protocols, err, errlen);
	if (rc == 0)
		rc = tls_set_ciphers(c->ssl, p->ciphers, err, errlen);
	if (rc == 0)
		rc = tls_load_files(c, p, err, errlen);
	if (rc != 0)
		goto fail;
	ERR_clear_error();
	*out = c;
	return 0;
fail:
	tls_ctx_free(c);
	return rc;
}

void
tls_ctx_free(struct tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ssl);
	BIO_meth_free(c->bio_meth);
	OSSL_LIB_CTX_free(c->libctx);
	OPENSSL_free(c);
}

unsigned long
tls_ctx_conns(const struct tls_ctx *c)
{
	return __atomic_load_n(&c->conns, __ATOMIC_ACQUIRE);
}

void
tls_ctx_thread_release(struct tls_ctx *c)
{
	if (c->worker != TLS_WORKER_USED)
		return;
	OPENSSL_thread_stop_ex(c->libctx);
	__atomic_store_n(&c->worker, TLS_WORKER_RELEASED, __ATOMIC_RELEASE);
}

bool
tls_ctx_freeable(const struct tls_ctx *c)
{
	/* the worker's last connection freed, and its thread's state of C */
	return tls_ctx_conns(c) == 0 && __atomic_load_n(&c->worker, __ATOMIC_ACQUIRE) != TLS_WORKER_USED;
}

int
tls_ctx_cert_expired(const struct tls_ctx *c, char *what, size_t n)
{
	if (c->n_expired > 0 && n > 0)
		snprintf(what, n, "%s", c->expired);
	return c->n_expired;
}

int
tls_check_files(const struct tls_params *p, char *err, size_t errlen)
{
	struct tls_ctx *c;
	int rc = tls_ctx_new(p, &c, err, errlen);

	tls_ctx_free(c);
	return rc;
}
