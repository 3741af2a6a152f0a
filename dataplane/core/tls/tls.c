/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tls.c - the TLS layer's connections over two byte queues
 * DESCRIPTION
 *	A connection is an OpenSSL server SSL whose only BIO is ours: it
 *	reads the ciphertext tls_conn_feed() queued and writes records
 *	into the queue tls_conn_take() drains. Neither queue holds memory
 *	once empty, and SSL_MODE_RELEASE_BUFFERS frees OpenSSL's record
 *	buffers between records, so an idle session keeps only its keys
 *	and state. OpenSSL never sees a socket: when the input runs dry the
 *	BIO says "retry", which the calls here turn into TLS_WANT_INPUT or
 *	0; after tls_conn_feed_eof() it says end of file, which OpenSSL
 *	reports as a truncated stream.
 *
 *	The state is simple: handshake, open, closed by the peer, failed.
 *	A failure is final; its reason is OpenSSL's static text.
 * DIAGNOSTICS
 *	Negative errno values: -EPROTO (with tls_conn_error()), -ENOTCONN,
 *	-EPIPE, -ENOBUFS, -ENOMEM, -EINVAL. Nothing is logged here.
 * TRUST
 *	The peer's bytes are untrusted: OpenSSL parses them; the input
 *	queue is bounded by TLS_FEED_MAX.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/err.h>

#include "tls/tls_impl.h"

enum tls_state {
	TLS_S_HANDSHAKE,
	TLS_S_OPEN,
	TLS_S_CLOSED, /* the peer's close_notify was read */
	TLS_S_FAILED,
};

/* A byte queue: bytes [off, end) of P are waiting; P is freed when it empties. */
struct tls_buf {
	unsigned char *p;
	size_t off, end, cap;
};

struct tls_conn {
	SSL *ssl;
	struct tls_ctx *ctx; /* counts us: it is freed only when we are */
	struct tls_buf in;   /* ciphertext from the peer */
	struct tls_buf out;  /* ciphertext for the peer */
	const char *reason;  /* why it failed (static), or NULL */
	uint8_t state;	     /* enum tls_state */
	uint8_t eof;	     /* the peer sends nothing more */
};

static size_t
tls_buf_len(const struct tls_buf *b)
{
	return b->end - b->off;
}

static int
tls_buf_put(struct tls_buf *b, const void *p, size_t n)
{
	size_t len = tls_buf_len(b);

	if (b->off > 0 && len + n > b->cap - b->off) {
		memmove(b->p, b->p + b->off, len);
		b->off = 0;
		b->end = len;
	}
	if (n > b->cap - b->end) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		while (cap < len + n)
			cap *= 2;
		unsigned char *np = OPENSSL_realloc(b->p, cap);
		if (np == NULL)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->end, p, n);
	b->end += n;
	return 0;
}

static size_t
tls_buf_get(struct tls_buf *b, void *buf, size_t cap)
{
	size_t n = tls_buf_len(b);

	if (n > cap)
		n = cap;
	if (n > 0)
		memcpy(buf, b->p + b->off, n);
	b->off += n;
	if (b->off == b->end) {
		OPENSSL_free(b->p);
		memset(b, 0, sizeof(*b));
	}
	return n;
}

/* The BIO: reads from t->in, writes to t->out. */

static int
tls_bio_read(BIO *bio, char *buf, size_t len, size_t *got)
{
	struct tls_conn *t = BIO_get_data(bio);

	BIO_clear_retry_flags(bio);
	*got = tls_buf_get(&t->in, buf, len);
	if (*got > 0 || len == 0)
		return 1;
	if (!t->eof)
		BIO_set_retry_read(bio);
	return 0;
}

static int
tls_bio_write(BIO *bio, const char *buf, size_t len, size_t *put)
{
	struct tls_conn *t = BIO_get_data(bio);

	BIO_clear_retry_flags(bio);
	if (tls_buf_put(&t->out, buf, len) != 0)
		return 0;
	*put = len;
	return 1;
}

static long
tls_bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	struct tls_conn *t = BIO_get_data(bio);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return (long)tls_buf_len(&t->in);
	case BIO_CTRL_WPENDING:
		return (long)tls_buf_len(&t->out);
	case BIO_CTRL_EOF:
		return t->eof && tls_buf_len(&t->in) == 0;
	default:
		return 0;
	}
}

static int
tls_bio_create(BIO *bio)
{
	BIO_set_init(bio, 1);
	return 1;
}

BIO_METHOD *
tls_bio_method_new(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "rcptgate tls queue");

	if (m == NULL)
		return NULL;
	if (!BIO_meth_set_read_ex(m, tls_bio_read) || !BIO_meth_set_write_ex(m, tls_bio_write) ||
	    !BIO_meth_set_ctrl(m, tls_bio_ctrl) || !BIO_meth_set_create(m, tls_bio_create)) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

int
tls_conn_new(struct tls_ctx *c, struct tls_conn **out)
{
	struct tls_conn *t = OPENSSL_zalloc(sizeof(*t));
	BIO *bio;

	*out = NULL;
	if (t == NULL)
		return -ENOMEM;
	t->ssl = SSL_new(c->ssl);
	bio = BIO_new(c->bio_meth);
	if (t->ssl == NULL || bio == NULL) {
		BIO_free(bio);
		SSL_free(t->ssl);
		OPENSSL_free(t);
		ERR_clear_error();
		return -ENOMEM;
	}
	BIO_set_data(bio, t);
	SSL_set_bio(t->ssl, bio, bio); /* one reference for both directions */
	SSL_set_accept_state(t->ssl);
	t->ctx = c;
	__atomic_add_fetch(&c->conns, 1, __ATOMIC_RELAXED);
	if (c->worker == TLS_WORKER_NONE) /* only the worker's thread writes it */
		__atomic_store_n(&c->worker, TLS_WORKER_USED, __ATOMIC_RELAXED);
	*out = t;
	return 0;
}

void
tls_conn_free(struct tls_conn *t)
{
	if (t == NULL)
		return;
	struct tls_ctx *c = t->ctx;

	SSL_free(t->ssl);
	OPENSSL_free(t->in.p);
	OPENSSL_free(t->out.p);
	OPENSSL_free(t);
	/* the last touch of C: whoever sees 0 may free it */
	__atomic_sub_fetch(&c->conns, 1, __ATOMIC_RELEASE);
}

/* The call R of the SSL function failed: map it, and keep the reason of a real failure. */
static int
tls_fail(struct tls_conn *t, int r)
{
	int e = SSL_get_error(t->ssl, r);
	unsigned long code;

	if (e == SSL_ERROR_WANT_READ)
		return 0;
	if (e == SSL_ERROR_ZERO_RETURN) {
		t->state = TLS_S_CLOSED;
		return TLS_CLOSED;
	}
	code = ERR_peek_error();
	t->reason = code ? ERR_reason_error_string(code) : NULL;
	if (t->reason == NULL)
		t->reason = e == SSL_ERROR_SYSCALL ? "unexpected end of input" : "TLS failure";
	t->state = TLS_S_FAILED;
	ERR_clear_error();
	return -EPROTO;
}

int
tls_conn_feed(struct tls_conn *t, const void *p, size_t n)
{
	if (n > TLS_FEED_MAX || tls_buf_len(&t->in) > TLS_FEED_MAX - n)
		return -ENOBUFS;
	if (n > 0 && tls_buf_put(&t->in, p, n) != 0)
		return -ENOMEM;
	return (int)n;
}

void
tls_conn_feed_eof(struct tls_conn *t)
{
	t->eof = 1;
}

int
tls_conn_step(struct tls_conn *t)
{
	int r;

	if (t->state == TLS_S_FAILED)
		return -EPROTO;
	if (t->state != TLS_S_HANDSHAKE)
		return TLS_OK;
	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		t->state = TLS_S_OPEN;
		return TLS_ESTABLISHED;
	}
	r = tls_fail(t, r);
	if (r == 0)
		return TLS_WANT_INPUT;
	if (r == TLS_CLOSED) { /* close_notify before the handshake ended */
		t->state = TLS_S_FAILED;
		t->reason = "closed during the handshake";
	}
	return -EPROTO;
}

size_t
tls_conn_pending(const struct tls_conn *t)
{
	return tls_buf_len(&t->out);
}

size_t
tls_conn_take(struct tls_conn *t, void *buf, size_t cap)
{
	return tls_buf_get(&t->out, buf, cap);
}

int
tls_conn_read(struct tls_conn *t, void *buf, size_t cap)
{
	size_t got;

	switch (t->state) {
	case TLS_S_HANDSHAKE:
		return -ENOTCONN;
	case TLS_S_CLOSED:
		return TLS_CLOSED;
	case TLS_S_FAILED:
		return -EPROTO;
	default:
		break;
	}
	if (cap == 0)
		return 0;
	if (cap > INT_MAX)
		cap = INT_MAX;
	ERR_clear_error();
	if (SSL_read_ex(t->ssl, buf, cap, &got) == 1)
		return (int)got;
	return tls_fail(t, 0);
}

int
tls_conn_write(struct tls_conn *t, const void *p, size_t n)
{
	size_t put;

	if (t->state == TLS_S_HANDSHAKE)
		return -ENOTCONN;
	if (t->state != TLS_S_OPEN || (SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN))
		return -EPIPE;
	if (n > INT_MAX)
		return -EINVAL;
	if (n == 0)
		return 0;
	ERR_clear_error();
	if (SSL_write_ex(t->ssl, p, n, &put) == 1 && put == n)
		return (int)n;
	t->state = TLS_S_FAILED;
	t->reason = "cannot encrypt (out of memory)";
	ERR_clear_error();
	return -ENOMEM;
}

int
tls_conn_shutdown(struct tls_conn *t)
{
	if (t->state == TLS_S_HANDSHAKE)
		return -ENOTCONN;
	if (t->state == TLS_S_FAILED)
		return -EPROTO;
	if (SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN)
		return 0;
	ERR_clear_error();
	if (SSL_shutdown(t->ssl) >= 0)
		return 0;
	return tls_fail(t, -1) == 0 ? 0 : -EPROTO;
}

int
tls_conn_info(const struct tls_conn *t, struct tls_info *i)
{
	const SSL_CIPHER *c;

	if (t->state != TLS_S_OPEN && t->state != TLS_S_CLOSED)
		return -ENOTCONN;
	c = SSL_get_current_cipher(t->ssl);
	i->protocol = SSL_get_version(t->ssl);
	i->cipher = SSL_CIPHER_get_name(c);
	i->secret_bits = SSL_CIPHER_get_bits(c, &i->alg_bits);
	return 0;
}

const char *
tls_conn_error(const struct tls_conn *t)
{
	return t->reason ? t->reason : "";
}
