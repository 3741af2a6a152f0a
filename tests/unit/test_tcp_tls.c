/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	test_tcp_tls.c - STARTTLS through the TCP core and the SMTP engine
 * DESCRIPTION
 *	The daemon's per-lcore pieces without DPDK: a TCP stack whose
 *	application is tcp_smtp with a TLS context, and clients of the
 *	test's own that speak TCP segment by segment and TLS with OpenSSL
 *	over memory BIOs. Checks: a whole STARTTLS session (EHLO, 220,
 *	handshake, EHLO, 550 5.1.1 inside TLS); the per-iteration handshake
 *	budget (steps past it wait for tcp_smtp_tls_run(), in arrival
 *	order, one iteration at a time); shedding (with
 *	TCP_SMTP_HS_QUEUE_SHED steps waiting EHLO stops offering STARTTLS
 *	and STARTTLS gets 454, until the queue has drained); a context
 *	published in the slot while sessions run (a reload): new sessions
 *	get it, older ones go on with theirs, which counts them until they
 *	end, and then the lcore releases its thread's state of the old one,
 *	which only then may be freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <rcptgate/counters.h>

#include "config.h"
#include "table/tbl.h"
#include "tcp/tcp.h"
#include "tcp/tcp_smtp.h"
#include "tls/tls.h"

#define SERVER 0x0100007fu
#define CLIENT 0x0200000au
#define NCLI (TCP_SMTP_HS_QUEUE_SHED + 8)

/* A client: TCP by hand, TLS by OpenSSL over memory BIOs. */
struct cli {
	uint16_t port;
	uint32_t snd, rcv; /* next sequence numbers, ours and the server's */
	char in[16384];	   /* plaintext (before TLS) or replies read from TLS */
	size_t in_len;
	SSL *ssl;
	BIO *rb, *wb; /* OpenSSL reads rb, writes wb */
	bool tls;     /* bytes from the server go to rb */
};

static struct cli clis[NCLI];
static uint64_t ctr[RG_C_MAX];
static uint64_t now_ms = 1000;
static struct rg_config cfg;
static struct tbl *table;
static void *table_image;
static char dir[64], chain_a[96], chain_b[96];
static SSL_CTX *cctx;

static struct cli *
cli_by_port(uint16_t port)
{
	for (unsigned i = 0; i < NCLI; i++)
		if (clis[i].port == port)
			return &clis[i];
	return NULL;
}

/* The server's segments: in order, they fill the client's input. */
static int
xmit(void *arg, const struct tcp_seg *s)
{
	(void)arg;
	struct cli *c = cli_by_port(s->dport);

	if (c == NULL)
		return 0;
	if (s->flags & TCP_SYN) {
		c->rcv = s->seq + 1;
		return 0;
	}
	if (s->seq != c->rcv)
		return 0; /* a retransmission */
	if (s->flags & TCP_FIN)
		c->rcv++;
	if (s->len == 0)
		return 0;
	c->rcv += s->len;
	if (c->tls) {
		assert_int_equal(BIO_write(c->rb, s->data, (int)s->len), (int)s->len);
	} else {
		assert_true(c->in_len + s->len <= sizeof(c->in));
		memcpy(c->in + c->in_len, s->data, s->len);
		c->in_len += s->len;
	}
	return 0;
}

static void
seg(struct tcp_stack *ts, struct cli *c, uint8_t flags, const void *data, size_t len)
{
	struct tcp_seg s = {
		.saddr = tcp_addr_from_v4(CLIENT),
		.daddr = tcp_addr_from_v4(SERVER),
		.sport = c->port,
		.dport = 25,
		.seq = c->snd,
		.ack = c->rcv,
		.flags = flags,
		.wnd = 65535,
		.mss = (flags & TCP_SYN) ? 1460 : 0,
		.data = data,
		.len = (uint32_t)len,
	};
	assert_int_equal(tcp_input(ts, &s, now_ms), 0);
	c->snd += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
}

/* Send bytes in segments of at most 1400, then acknowledge what came back. */
static void
cli_send(struct tcp_stack *ts, struct cli *c, const void *p, size_t n)
{
	for (size_t off = 0; off < n; off += 1400)
		seg(ts, c, TCP_ACK | TCP_PSH, (const char *)p + off, n - off < 1400 ? n - off : 1400);
	seg(ts, c, TCP_ACK, NULL, 0);
}

/* Ciphertext OpenSSL wrote: onto the wire. */
static void
cli_flush(struct tcp_stack *ts, struct cli *c)
{
	char buf[8192];
	int n;

	while ((n = BIO_read(c->wb, buf, sizeof(buf))) > 0)
		cli_send(ts, c, buf, (size_t)n);
}

static void
cli_connect(struct tcp_stack *ts, struct cli *c, uint16_t port)
{
	memset(c, 0, sizeof(*c));
	c->port = port;
	c->snd = 1000u * port;
	seg(ts, c, TCP_SYN, NULL, 0);
	seg(ts, c, TCP_ACK, NULL, 0);
	assert_non_null(strstr(c->in, "220 "));
	c->in_len = 0;
}

/* A command in plaintext; the reply must hold WANT. */
static void
cli_cmd(struct tcp_stack *ts, struct cli *c, const char *cmd, const char *want)
{
	c->in_len = 0;
	memset(c->in, 0, sizeof(c->in));
	cli_send(ts, c, cmd, strlen(cmd));
	if (strstr(c->in, want) == NULL)
		fail_msg("%s -> '%s', want '%s'", cmd, c->in, want);
}

/* STARTTLS accepted, and the client's first flight (ClientHello) sent. */
static void
cli_starttls(struct tcp_stack *ts, struct cli *c)
{
	cli_cmd(ts, c, "EHLO client.example\r\n", "250-STARTTLS");
	cli_cmd(ts, c, "STARTTLS\r\n", "220 2.0.0");
	c->ssl = SSL_new(cctx);
	c->rb = BIO_new(BIO_s_mem());
	c->wb = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(c->rb, -1);
	BIO_set_mem_eof_return(c->wb, -1);
	SSL_set_bio(c->ssl, c->rb, c->wb);
	SSL_set_connect_state(c->ssl);
	c->tls = true;
	assert_int_equal(SSL_do_handshake(c->ssl), -1);
	cli_flush(ts, c);
}

/* Whether the server's flight has come back (bytes for OpenSSL to read). */
static bool
cli_answered(const struct cli *c)
{
	return BIO_ctrl_pending(c->rb) > 0;
}

/* Finish the handshake with what the server sent. */
static void
cli_handshake_end(struct tcp_stack *ts, struct cli *c)
{
	assert_true(cli_answered(c));
	assert_int_equal(SSL_do_handshake(c->ssl), 1);
	cli_flush(ts, c); /* Finished */
}

/* A command over TLS; the reply must hold WANT. */
static void
cli_tls_cmd(struct tcp_stack *ts, struct cli *c, const char *cmd, const char *want)
{
	assert_int_equal(SSL_write(c->ssl, cmd, (int)strlen(cmd)), (int)strlen(cmd));
	cli_flush(ts, c);
	int n = SSL_read(c->ssl, c->in, sizeof(c->in) - 1);
	assert_true(n > 0);
	c->in[n] = '\0';
	if (strstr(c->in, want) == NULL)
		fail_msg("%s -> '%s', want '%s'", cmd, c->in, want);
}

/* The organisation of the certificate the server showed C. */
static const char *
cli_cert_org(const struct cli *c)
{
	static char org[64];
	X509 *x = SSL_get0_peer_certificate(c->ssl);

	assert_non_null(x);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName, org,
					      sizeof(org)) > 0);
	return org;
}

static void
cli_free(struct cli *c)
{
	SSL_free(c->ssl); /* and its BIOs */
	c->ssl = NULL;
}

static void
write_chain(const char *path, const char *org)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	FILE *f = fopen(path, "w");

	assert_non_null(k);
	assert_non_null(f);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"mx.example.test", -1, -1,
				   0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_true(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
	assert_true(PEM_write_X509(f, x));
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static struct tls_ctx *
ctx_from(const char *chain)
{
	struct tls_params p = { .n_chain_files = 1 };
	struct tls_ctx *c;
	char err[256];

	p.chain_files[0] = chain;
	if (tls_ctx_new(&p, &c, err, sizeof(err)) != 0)
		fail_msg("tls_ctx_new: %s", err);
	return c;
}

static int
setup(void **state)
{
	static const char rcpts[] = "bob@example.com";
	char err[CFG_ERR_MAX], conf[512];
	size_t len;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_tcp_tls.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(chain_a, sizeof(chain_a), "%s/a.pem", dir);
	snprintf(chain_b, sizeof(chain_b), "%s/b.pem", dir);
	write_chain(chain_a, "cert A");
	write_chain(chain_b, "cert B");
	snprintf(conf, sizeof(conf),
		 "port_mode = af_packet\ninterface = lo\nlisten = 127.0.0.1\nmyhostname = mx.example.test\n"
		 "smtpd_tls_security_level = may\nsmtpd_tls_chain_files = %s\n"
		 "max_connections_per_source = 1000\nsmtpd_client_connection_count_limit = 0\n",
		 chain_a);
	if (cfg_load_string(&cfg, "test.conf", conf, strlen(conf), err, sizeof(err)) < 0)
		fail_msg("config: %s", err);
	struct tbl_builder *b = tbl_builder_new(0);
	assert_non_null(b);
	assert_int_equal(tbl_builder_add_line(b, rcpts, strlen(rcpts), err, sizeof(err)), 0);
	assert_int_equal(tbl_builder_finish(b, &table_image, &len, err, sizeof(err)), 0);
	assert_int_equal(tbl_open_buffer(table_image, len, &table, err, sizeof(err)), 0);
	tbl_builder_free(b);
	cctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(cctx);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL); /* the test looks at the certificate itself */
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	SSL_CTX_free(cctx);
	tbl_close(table);
	free(table_image);
	unlink(chain_a);
	unlink(chain_b);
	rmdir(dir);
	return 0;
}

/* One lcore: the stack and its SMTP application, TLS from *SLOT. */
struct lcore {
	struct tcp_smtp sm;
	struct tcp_stack *ts;
	const struct tbl *cur;
};

static void
lcore_open(struct lcore *l, struct tls_ctx *const *slot)
{
	struct tcp_params p;
	struct tcp_app app;
	struct tcp_tx tx = { .xmit = xmit };
	const uint64_t secret[2] = { 7, 9 };

	memset(ctr, 0, sizeof(ctr));
	l->cur = table;
	assert_int_equal(tcp_params_from_config(&p, &cfg, 1, secret), 0);
	p.max_conns = 2 * NCLI;
	p.n_buffers = 4 * NCLI;
	assert_int_equal(tcp_smtp_init_tls(&l->sm, &cfg, &l->cur, ctr, 2 * NCLI, slot, NCLI * 2, &app), 0);
	assert_int_equal(tcp_stack_create(&p, &app, &tx, ctr, &l->ts), 0);
	tcp_smtp_bind(&l->sm, l->ts);
	tcp_timer_run(l->ts, now_ms);
	/* no loop runs tcp_smtp_tls_run() here: no budget unless a test sets one */
	l->sm.hs_budget_ns = UINT64_MAX;
}

static void
lcore_close(struct lcore *l)
{
	tcp_stack_destroy(l->ts);
	tcp_smtp_fini(&l->sm);
	for (unsigned i = 0; i < NCLI; i++)
		cli_free(&clis[i]);
}

static void
test_starttls_session(void **state)
{
	struct tls_ctx *a = ctx_from(chain_a);
	struct lcore l;

	(void)state;
	lcore_open(&l, &a);
	cli_connect(l.ts, &clis[0], 40000);
	cli_starttls(l.ts, &clis[0]);
	cli_handshake_end(l.ts, &clis[0]);
	assert_int_equal(ctr[RG_C_TLS_HANDSHAKES_COMPLETED], 1);
	cli_tls_cmd(l.ts, &clis[0], "EHLO client.example\r\n", "250");
	assert_null(strstr(clis[0].in, "STARTTLS"));
	cli_tls_cmd(l.ts, &clis[0], "MAIL FROM:<s@elsewhere.example>\r\n", "250");
	cli_tls_cmd(l.ts, &clis[0], "RCPT TO:<nobody@example.com>\r\n", "550 5.1.1");
	cli_tls_cmd(l.ts, &clis[0], "RCPT TO:<bob@example.com>\r\n", "250");
	assert_int_equal(ctr[RG_C_TLS_HANDSHAKES_DEFERRED], 0);
	assert_int_equal(tls_ctx_conns(a), 1);
	/* the handshake steps' CPU time: a P-256 handshake is tens of microseconds
	 * at least; their elapsed time is at least as long */
	print_message("TLS handshake steps: CPU %" PRIu64 " ns, elapsed %" PRIu64 " ns\n",
		      ctr[RG_C_TLS_HANDSHAKE_CPU_NS], ctr[RG_C_TLS_WALL_NS]);
	assert_true(ctr[RG_C_TLS_HANDSHAKE_CPU_NS] > 10000);
	assert_true(ctr[RG_C_TLS_WALL_NS] + 1000000 >= ctr[RG_C_TLS_HANDSHAKE_CPU_NS]);
	lcore_close(&l);
	assert_int_equal(tls_ctx_conns(a), 0);
	tls_ctx_free(a);
}

/* The thread clock (a system call) is read around the steps of one
 * handshake in 8, the first included: the 2nd to 8th leave the CPU
 * counters alone, the 9th adds to them again. */
static void
test_handshake_cpu_sampled(void **state)
{
	struct tls_ctx *a = ctx_from(chain_a);
	struct lcore l;
	uint64_t cpu[10] = { 0 }, wall[10] = { 0 };

	(void)state;
	assert_true(NCLI >= 9);
	lcore_open(&l, &a);
	for (unsigned i = 0; i < 9; i++) {
		cli_connect(l.ts, &clis[i], (uint16_t)(41000 + i));
		cli_starttls(l.ts, &clis[i]);
		cli_handshake_end(l.ts, &clis[i]);
		cpu[i + 1] = ctr[RG_C_TLS_HANDSHAKE_CPU_NS];
		wall[i + 1] = ctr[RG_C_TLS_WALL_NS];
	}
	assert_int_equal(ctr[RG_C_TLS_HANDSHAKES_COMPLETED], 9);
	assert_true(cpu[1] > 8 * 10000); /* tens of microseconds, times 8 */
	assert_true(wall[1] > 0);
	for (unsigned i = 2; i <= 8; i++) {
		assert_int_equal(cpu[i], cpu[1]);
		assert_int_equal(wall[i], wall[1]);
	}
	assert_true(cpu[9] > cpu[8]);
	assert_true(wall[9] > wall[8]);
	lcore_close(&l);
	tls_ctx_free(a);
}

/* N clients send STARTTLS and a ClientHello: a budget of 1 ns runs the
 * first one's step, the others wait in the queue. */
static void
starttls_queued(struct lcore *l, unsigned n)
{
	l->sm.hs_budget_ns = 1;
	for (unsigned i = 0; i < n; i++) {
		cli_connect(l->ts, &clis[i], (uint16_t)(40000 + i));
		cli_starttls(l->ts, &clis[i]);
	}
}

/*
 * Other work charged to the handshake budget (the worker's extra RX
 * bursts) leaves room for one waiting step, never none; a budget the
 * steps spent themselves stays spent.
 */
static void
test_handshake_charge(void **state)
{
	struct tls_ctx *a = ctx_from(chain_a);
	struct lcore l;

	(void)state;
	lcore_open(&l, &a);
	starttls_queued(&l, 3);
	assert_int_equal(ctr[RG_C_TLS_HANDSHAKES_DEFERRED], 2);
	tcp_smtp_hs_charge(&l.sm, 1000);
	assert_int_equal(tcp_smtp_tls_run(&l.sm), 0); /* spent by the step itself */
	l.sm.hs_budget_ns = 1000000000;		      /* 1 s: room for both */
	tcp_smtp_hs_charge(&l.sm, 5000000000u);	      /* 5 s of RX: more than all of it */
	assert_int_equal(tcp_smtp_tls_run(&l.sm), 1);
	assert_true(cli_answered(&clis[1]));
	assert_false(cli_answered(&clis[2]));
	assert_int_equal(tcp_smtp_tls_run(&l.sm), 1); /* nothing charged: the last one */
	assert_true(cli_answered(&clis[2]));
	lcore_close(&l);
	tls_ctx_free(a);
}

/*
 * While other work is charged (the worker's RX backed up), deferred
 * steps run on the credit that work earned, though the budget has room
 * for all of them: a little charged work earns one step, which leaves
 * the credit below zero, and the same again earns none; an iteration
 * with nothing charged runs steps again and starts the credit anew.
 */
static void
test_handshake_credit(void **state)
{
	struct tls_ctx *a = ctx_from(chain_a);
	struct lcore l;

	(void)state;
	lcore_open(&l, &a);
	starttls_queued(&l, 5);
	assert_int_equal(ctr[RG_C_TLS_HANDSHAKES_DEFERRED], 4);
	assert_int_equal(tcp_smtp_tls_run(&l.sm), 0); /* the budget spent */
	l.sm.hs_budget_ns = 1000000000;		      /* 1 s: room for all, the credit decides */
	tcp_smtp_hs_charge(&l.sm, 2000);
	assert_int_equal(tcp_smtp_tls_run(&l.sm), 1); /* a little credit: one step */
	assert_true(cli_answered(&clis[1]));
	assert_true(l.sm.hs_credit_ns < 0); /* a ClientHello's step takes far more */
	tcp_smtp_hs_charge(&l.sm, 2000);
	assert_int_equal(tcp_smtp_tls_run(&l.sm), 0); /* still in debt: the other work first */
	assert_false(cli_answered(&clis[2]));
	assert_int_equal(tcp_smtp_tls_run(&l.sm), 3); /* nothing charged: the budget alone */
	for (unsigned i = 2; i < 5; i++)
		assert_true(cli_answered(&clis[i]));
	assert_int_equal(l.sm.hs_credit_ns, 0);
	lcore_close(&l);
	tls_ctx_free(a);
}

static void
test_handshake_budget(void **state)
{
	struct tls_ctx *a = ctx_from(chain_a);
	struct lcore l;

	(void)state;
	lcore_open(&l, &a);
	starttls_queued(&l, 3); /* one step per iteration */
	/* the first ClientHello spent the iteration's budget: the others wait */
	assert_true(cli_answered(&clis[0]));
	assert_false(cli_answered(&clis[1]));
	assert_false(cli_answered(&clis[2]));
	assert_int_equal(ctr[RG_C_TLS_HANDSHAKES_DEFERRED], 2);
	assert_int_equal(tcp_smtp_tls_run(&l.sm), 0); /* this iteration's budget is spent */
	assert_false(cli_answered(&clis[1]));
	assert_int_equal(tcp_smtp_tls_run(&l.sm), 1); /* the next: one step, in order */
	assert_true(cli_answered(&clis[1]));
	assert_false(cli_answered(&clis[2]));
	/* the first client's Finished arrives while one still waits: it queues behind */
	cli_handshake_end(l.ts, &clis[0]);
	assert_int_equal(ctr[RG_C_TLS_HANDSHAKES_COMPLETED], 0);
	assert_int_equal(tcp_smtp_tls_run(&l.sm), 1);
	assert_true(cli_answered(&clis[2]));
	assert_int_equal(tcp_smtp_tls_run(&l.sm), 1);
	assert_int_equal(ctr[RG_C_TLS_HANDSHAKES_COMPLETED], 1);
	for (unsigned i = 1; i < 3; i++) {
		cli_handshake_end(l.ts, &clis[i]);
		for (int k = 0; k < 3 && ctr[RG_C_TLS_HANDSHAKES_COMPLETED] < i + 1; k++)
			(void)tcp_smtp_tls_run(&l.sm);
		assert_int_equal(ctr[RG_C_TLS_HANDSHAKES_COMPLETED], i + 1);
	}
	for (unsigned i = 0; i < 3; i++) {
		cli_tls_cmd(l.ts, &clis[i], "EHLO client.example\r\n", "250");
		cli_tls_cmd(l.ts, &clis[i], "MAIL FROM:<s@elsewhere.example>\r\n", "250");
		cli_tls_cmd(l.ts, &clis[i], "RCPT TO:<nobody@example.com>\r\n", "550 5.1.1");
	}
	assert_int_equal(ctr[RG_C_TLS_HANDSHAKES_FAILED], 0);
	assert_int_equal(ctr[RG_C_TLS_HANDSHAKE_QUEUE_FULL], 0);
	lcore_close(&l);
	tls_ctx_free(a);
}

static void
test_shed_while_queued(void **state)
{
	struct tls_ctx *a = ctx_from(chain_a);
	struct cli *late = &clis[NCLI - 1];
	struct lcore l;

	(void)state;
	lcore_open(&l, &a);
	l.sm.hs_budget_ns = 1;
	/* the first runs at once; TCP_SMTP_HS_QUEUE_SHED wait behind it */
	for (unsigned i = 0; i <= TCP_SMTP_HS_QUEUE_SHED; i++) {
		cli_connect(l.ts, &clis[i], (uint16_t)(40000 + i));
		cli_starttls(l.ts, &clis[i]);
	}
	assert_int_equal(ctr[RG_C_TLS_HANDSHAKE_QUEUE_FULL], 1);
	cli_connect(l.ts, late, 50000);
	cli_cmd(l.ts, late, "EHLO client.example\r\n", "250 ");
	assert_null(strstr(late->in, "STARTTLS"));
	cli_cmd(l.ts, late, "STARTTLS\r\n", "454 4.7.0");
	cli_cmd(l.ts, late, "MAIL FROM:<s@elsewhere.example>\r\n", "250");
	cli_cmd(l.ts, late, "RCPT TO:<nobody@example.com>\r\n", "550 5.1.1");
	unsigned ran = 0;
	for (unsigned i = 0; i < 4 * TCP_SMTP_HS_QUEUE_SHED && l.sm.hs_len > 0; i++)
		ran += tcp_smtp_tls_run(&l.sm);
	assert_int_equal(ran, TCP_SMTP_HS_QUEUE_SHED);
	for (unsigned i = 0; i <= TCP_SMTP_HS_QUEUE_SHED; i++)
		assert_true(cli_answered(&clis[i]));
	/* drained: STARTTLS is offered again */
	cli_cmd(l.ts, late, "EHLO client.example\r\n", "250-STARTTLS");
	lcore_close(&l);
	tls_ctx_free(a);
}

static void
test_reload_slot(void **state)
{
	struct tls_ctx *a = ctx_from(chain_a), *b = ctx_from(chain_b);
	struct tls_ctx *slot = a;
	struct lcore l;

	(void)state;
	lcore_open(&l, &slot);
	cli_connect(l.ts, &clis[0], 40000);
	cli_starttls(l.ts, &clis[0]);
	/* a reload publishes B while the first handshake is half done */
	__atomic_store_n(&slot, b, __ATOMIC_RELEASE);
	cli_connect(l.ts, &clis[1], 40001);
	cli_starttls(l.ts, &clis[1]);
	cli_handshake_end(l.ts, &clis[0]);
	cli_handshake_end(l.ts, &clis[1]);
	assert_string_equal(cli_cert_org(&clis[0]), "cert A");
	assert_string_equal(cli_cert_org(&clis[1]), "cert B");
	assert_int_equal(tls_ctx_conns(a), 1);
	assert_int_equal(tls_ctx_conns(b), 1);
	cli_tls_cmd(l.ts, &clis[0], "EHLO client.example\r\n", "250");
	cli_tls_cmd(l.ts, &clis[0], "QUIT\r\n", "221");
	seg(l.ts, &clis[0], TCP_ACK | TCP_FIN, NULL, 0);
	assert_int_equal(tls_ctx_conns(a), 1); /* its close_notify and FIN not yet acknowledged */
	seg(l.ts, &clis[0], TCP_ACK, NULL, 0);
	assert_int_equal(tls_ctx_conns(a), 0);
	assert_false(tls_ctx_freeable(a)); /* this thread still holds its state of A */
	(void)tcp_smtp_tls_run(&l.sm);	   /* the next iteration notices and releases it */
	assert_true(tls_ctx_freeable(a));
	assert_false(tls_ctx_freeable(b));
	tls_ctx_free(a);
	cli_tls_cmd(l.ts, &clis[1], "EHLO client.example\r\n", "250");
	lcore_close(&l);
	assert_int_equal(tls_ctx_conns(b), 0);
	tls_ctx_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starttls_session), cmocka_unit_test(test_handshake_cpu_sampled),
		cmocka_unit_test(test_handshake_budget), cmocka_unit_test(test_handshake_charge),
		cmocka_unit_test(test_handshake_credit), cmocka_unit_test(test_shed_while_queued),
		cmocka_unit_test(test_reload_slot),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
