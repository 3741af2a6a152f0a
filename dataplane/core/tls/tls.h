/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tls.h - the TLS layer under STARTTLS
 * DESCRIPTION
 *	A layer between the user-space TCP byte stream and the SMTP engine:
 *	ciphertext from TCP goes in with tls_conn_feed(), plaintext for the
 *	engine comes out of tls_conn_read(); the engine's replies go in with
 *	tls_conn_write() and the records for TCP come out of
 *	tls_conn_take(). There are no sockets and no system calls on the data
 *	path: OpenSSL 3 reads and writes two byte queues of the connection
 *	through a BIO of our own. The layer knows nothing of SMTP, and this
 *	header shows no OpenSSL type, so the TCP and SMTP code never include
 *	OpenSSL and another library could take its place.
 *
 *	One struct tls_ctx per worker lcore, built by the control thread
 *	from the certificate files (every file is decoded there, never on
 *	the data path): it holds its own OpenSSL library context, because
 *	threads that share OpenSSL 3.0's default context contend on its
 *	global locks. Server side only; TLS 1.2 is the floor; no session
 *	cache and no session tickets: every handshake is a full one. A
 *	ticket issued by one lcore would come back, on the client's next
 *	connection, to whichever lcore RSS picks, which holds other ticket
 *	keys, so tickets would cost their encryption and their bytes and
 *	resume almost nothing until the keys are shared by all lcores and
 *	rotated by the control thread.
 *
 *	Memory (OpenSSL 3.0.19, x86-64, counted by test_tls through
 *	CRYPTO_set_mem_functions: every byte OpenSSL and this layer
 *	allocate for the session, without malloc's own overhead): an idle
 *	established session holds 13,518 bytes with TLS 1.3 and 12,631 with
 *	TLS 1.2 (AES-256-GCM), the same after 100 kB each way:
 *	SSL_MODE_RELEASE_BUFFERS frees the record buffers between records
 *	and the byte queues are freed when drained; 7.6 KiB of it is the
 *	SSL object itself. The peak of a handshake is 61,392 bytes (ECDSA
 *	P-256) and 62,294 (RSA 2048): OpenSSL's handshake message buffer
 *	(21 KiB), the read buffer for a full-size record (16 KiB), the
 *	buffering BIO OpenSSL puts on the output during the handshake
 *	(8 KiB), the write buffer (4 KiB: records we send carry at most
 *	4 KiB, see tls_ctx.c). A context holds about 240 KiB (its library
 *	context, providers, keys). A full handshake costs the server about
 *	0.17 ms of CPU with TLS 1.3 and ECDSA (0.20 ms with AES-256-GCM and
 *	SHA-384, OpenSSL's first TLS 1.3 suite, which tls_ctx.c puts second),
 *	0.42 ms with RSA 2048, 0.16 ms with TLS 1.2 and ECDSA, on the 2-core
 *	test VM; docs/benchmarks.md says where it goes.
 *
 *	OpenSSL allocates with malloc as records come and go; the data
 *	path's no-malloc rule does not hold under this layer.
 * DIAGNOSTICS
 *	Context functions return 0 or a negative errno and put a one-line
 *	reason naming the file in the caller's ERR buffer. Connection
 *	functions return negative errno values; -EPROTO (a failed
 *	handshake, an alert, garbage, a bad or truncated record) leaves a
 *	reason in tls_conn_error().
 * TRUST
 *	Everything the peer sends is untrusted and bounded: at most
 *	TLS_FEED_MAX bytes wait in a connection's input. The certificate
 *	and key files are trusted to be the operator's, not to be well
 *	formed.
 */
#ifndef RG_TLS_H
#define RG_TLS_H

#include <stdbool.h>
#include <stddef.h>

#define TLS_CHAIN_FILES_MAX 4	/* chain files in one context (ECDSA, RSA, ...) */
#define TLS_FEED_MAX (1u << 16) /* ciphertext a connection buffers unread */

/* Return values of tls_conn_step() and tls_conn_read() besides counts and -errno. */
#define TLS_OK 0
#define TLS_WANT_INPUT 1   /* the handshake needs more bytes from the peer */
#define TLS_ESTABLISHED 2  /* the handshake just completed (returned once) */
#define TLS_CLOSED (-4096) /* the peer sent close_notify; below every errno */

struct tls_ctx;	 /* opaque: one per worker lcore */
struct tls_conn; /* opaque: one per session after STARTTLS */

/*
 * The certificates and the policy of a context, in Postfix's terms.
 *
 * chain_files: PEM files, each holding a private key and its certificate
 * chain, leaf first (Postfix's smtpd_tls_chain_files); an ECDSA and an
 * RSA chain may both be given, and OpenSSL picks one by the client's
 * signature algorithms. Or, when no chain file is given (as in
 * Postfix, chain files win), cert_file (leaf then chain) and key_file
 * (Postfix's smtpd_tls_cert_file and smtpd_tls_key_file; key_file NULL
 * or empty means the key is in cert_file).
 *
 * protocols: Postfix's syntax, tokens separated by commas, colons or
 * spaces: ">=TLSv1.2" (the default when NULL or empty), ">=TLSv1.3",
 * "<=TLSv1.2", a list of exclusions "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1",
 * or a list of protocols "TLSv1.2 TLSv1.3". SSLv2, SSLv3, TLSv1 and
 * TLSv1.1 are known names but never enabled; a setting that leaves
 * neither TLS 1.2 nor TLS 1.3 is an error.
 *
 * ciphers (TLS 1.2; TLS 1.3 offers OpenSSL's three suites, in the order
 * AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305, see tls_ctx.c): NULL,
 * empty or "medium" is Postfix's medium list "aNULL:-aNULL:HIGH:MEDIUM:
 * +RC4:@STRENGTH"; "high" is "aNULL:-aNULL:HIGH:@STRENGTH"; "low",
 * "export" and "null" are refused, anything else is an error too.
 */
struct tls_params {
	const char *chain_files[TLS_CHAIN_FILES_MAX];
	unsigned n_chain_files;
	const char *cert_file;
	const char *key_file;
	const char *protocols;
	const char *ciphers;
	bool server_order; /* tls_preempt_cipherlist: our order, not the client's */
};

/* What was negotiated, for the log line "TLSv1.3 with cipher X (256/256 bits)". */
struct tls_info {
	const char *protocol; /* "TLSv1.3"; static strings, valid for ever */
	const char *cipher;   /* "TLS_AES_256_GCM_SHA384" */
	int secret_bits;      /* bits of the key in use */
	int alg_bits;	      /* bits the algorithm could use */
};

/*
 * tls_ctx_new - build a server context from P: its own OpenSSL library
 * context, the keys and certificates read and checked, the protocols
 * and ciphers set. Not for the data path: it reads files. An expired
 * certificate is accepted; see tls_ctx_cert_expired().
 *
 * @p: the files and the policy
 * @out: the context, on success
 * @err: a one-line reason on failure, naming the file (ERRLEN bytes,
 *       always terminated)
 *
 * Return: 0, or -errno: -EINVAL for a bad protocols or ciphers setting,
 * no file given, a file with no key or no certificate, a key that does
 * not match its certificate, a certificate OpenSSL refuses (too weak
 * for its security level); -ENOENT, -EACCES, ... when a file cannot be
 * read; -ENOMEM.
 */
int tls_ctx_new(const struct tls_params *p, struct tls_ctx **out, char *err, size_t errlen);

/*
 * tls_ctx_free - free C (NULL is fine). Every connection of C must have
 * been freed first (tls_ctx_conns() is 0).
 *
 * @c: the context
 */
void tls_ctx_free(struct tls_ctx *c);

/*
 * tls_ctx_conns - connections of C not yet freed. A worker creates and
 * frees C's connections; another thread (the one that retires C after a
 * certificate reload) may ask, and may free C once it reads 0 and no
 * new connection can be made on C.
 *
 * @c: the context
 *
 * Return: the count.
 */
unsigned long tls_ctx_conns(const struct tls_ctx *c);

/*
 * tls_ctx_thread_release - on the worker thread that used C, once C is
 * replaced and its last connection freed: free that thread's OpenSSL
 * state of C's library context (its random generators and the like,
 * about 10 KiB), which freeing C on another thread would leave behind.
 *
 * @c: the context
 */
void tls_ctx_thread_release(struct tls_ctx *c);

/*
 * tls_ctx_freeable - whether another thread may free C now: it has no
 * connection and its worker has released its thread's state of it (or
 * never used it). Once true, stays true while no connection is made.
 *
 * @c: the context
 *
 * Return: true or false.
 */
bool tls_ctx_freeable(const struct tls_ctx *c);

/*
 * tls_ctx_cert_expired - whether a leaf certificate of C has expired (or
 * is not valid yet), so the daemon can warn loudly while it still
 * serves it.
 *
 * @c: the context
 * @what: "FILE: certificate expired on DATE" for the first such
 *        certificate (N bytes, always terminated; untouched when none)
 * @n: size of WHAT
 *
 * Return: the number of leaf certificates out of their validity period
 * at the time tls_ctx_new() ran; 0 when all are valid.
 */
int tls_ctx_cert_expired(const struct tls_ctx *c, char *what, size_t n);

/*
 * tls_check_files - build a context from P and free it: the check of
 * rcptgate -t.
 *
 * @p: the files and the policy
 * @err: a one-line reason on failure (see tls_ctx_new)
 *
 * Return: as tls_ctx_new().
 */
int tls_check_files(const struct tls_params *p, char *err, size_t errlen);

/*
 * tls_conn_new - a server connection of C, waiting for the ClientHello.
 *
 * @c: the context; it must outlive the connection
 * @out: the connection, on success
 *
 * Return: 0, or -ENOMEM.
 */
int tls_conn_new(struct tls_ctx *c, struct tls_conn **out);

/*
 * tls_conn_free - free T and whatever it still buffers (NULL is fine).
 * Nothing is sent: call tls_conn_shutdown() and take its output first
 * for an orderly close.
 *
 * @t: the connection
 */
void tls_conn_free(struct tls_conn *t);

/*
 * tls_conn_feed - hand in ciphertext received from the peer. All of it
 * is taken (copied) or none.
 *
 * @t: the connection
 * @p: the bytes
 * @n: their number
 *
 * Return: N, or -ENOBUFS when more than TLS_FEED_MAX bytes would wait
 * unread (nothing is taken), -ENOMEM.
 */
int tls_conn_feed(struct tls_conn *t, const void *p, size_t n);

/*
 * tls_conn_feed_eof - the peer will send nothing more (TCP FIN). A
 * record cut short or a missing close_notify then reads as -EPROTO.
 *
 * @t: the connection
 */
void tls_conn_feed_eof(struct tls_conn *t);

/*
 * tls_conn_step - drive the handshake with what has been fed; its
 * flights, or an alert, are then in the pending output.
 *
 * @t: the connection
 *
 * Return: TLS_WANT_INPUT while the handshake needs more bytes;
 * TLS_ESTABLISHED once, when it completes; TLS_OK on every call after
 * that; -EPROTO for a failed handshake (an alert from either side, a
 * protocol the policy refuses, garbage instead of a ClientHello), with
 * the reason in tls_conn_error(), and on every call after that.
 */
int tls_conn_step(struct tls_conn *t);

/*
 * tls_conn_pending - bytes of ciphertext waiting to be sent.
 *
 * @t: the connection
 *
 * Return: the count.
 */
size_t tls_conn_pending(const struct tls_conn *t);

/*
 * tls_conn_take - copy out, and drop, up to CAP bytes of the pending
 * ciphertext (handshake flights, records, alerts, close_notify), in
 * order, so the caller can take it in pieces that fit its send buffer.
 *
 * @t: the connection
 * @buf: where to copy
 * @cap: room in BUF
 *
 * Return: the bytes copied; 0 when nothing is pending.
 */
size_t tls_conn_take(struct tls_conn *t, void *buf, size_t cap);

/*
 * tls_conn_read - plaintext from the peer, once established.
 *
 * @t: the connection
 * @buf: where to copy
 * @cap: room in BUF
 *
 * The peer's TLS 1.3 KeyUpdate is answered here: look at
 * tls_conn_pending() after reading too.
 *
 * Return: the bytes read (> 0); 0 when none are ready (more input is
 * needed); TLS_CLOSED when the peer sent close_notify; -ENOTCONN before
 * the handshake completed; -EPROTO for a bad record (tampered, cut
 * short at EOF, an alert), with the reason in tls_conn_error().
 */
int tls_conn_read(struct tls_conn *t, void *buf, size_t cap);

/*
 * tls_conn_write - encrypt N bytes of plaintext into the pending
 * output, all of them.
 *
 * @t: the connection
 * @p: the bytes
 * @n: their number (at most INT_MAX)
 *
 * Return: N; -ENOTCONN before the handshake completed; -EPIPE after a
 * close (either side's) or an error; -EINVAL for N > INT_MAX; -ENOMEM
 * (the connection has then failed).
 */
int tls_conn_write(struct tls_conn *t, const void *p, size_t n);

/*
 * tls_conn_shutdown - queue our close_notify in the pending output.
 *
 * @t: the connection
 *
 * Return: 0; -ENOTCONN before the handshake completed; -EPROTO after
 * an error.
 */
int tls_conn_shutdown(struct tls_conn *t);

/*
 * tls_conn_info - what the handshake negotiated.
 *
 * @t: the connection
 * @i: filled on success
 *
 * Return: 0, or -ENOTCONN before the handshake completed.
 */
int tls_conn_info(const struct tls_conn *t, struct tls_info *i);

/*
 * tls_conn_error - why the connection failed.
 *
 * @t: the connection
 *
 * Return: a short static text (OpenSSL's reason, "tlsv1 alert
 * protocol version", "decryption failed or bad record mac", ...); ""
 * when nothing failed.
 */
const char *tls_conn_error(const struct tls_conn *t);

#endif /* RG_TLS_H */
