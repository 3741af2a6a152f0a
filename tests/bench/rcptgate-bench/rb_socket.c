/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	rb_socket.c - the kernel-socket transport (epoll)
 * DESCRIPTION
 *	One thread keeps o->concurrency non-blocking connections open to
 *	the server; each runs one session script (rb_script.c) and is
 *	replaced by a new one when it ends, over IPv4 or IPv6 (o->v6).
 *	Client addresses rotate over o->src_count consecutive addresses
 *	(the last 32 bits of an IPv6 one step; IP_BIND_ADDRESS_NO_PORT, so the
 *	kernel picks the port at connect time per address), which keeps
 *	TIME_WAIT from exhausting the ports of a single address; or the
 *	client closes with RST (--rst-close) and holds no TIME_WAIT.
 *
 *	Against rcptgate this client is the bottleneck (a Linux client
 *	costs ~85 us of CPU per short session here): its CPU time is part
 *	of the summary so that shows.
 *
 *	STARTTLS (--tls): on the 220 the session's SSL object goes on its
 *	socket, the handshake runs as the socket becomes readable or
 *	writable, and the rest of the session is read and written through
 *	OpenSSL over the same non-blocking socket.
 *
 *	SYN flood: the kernel owns the handshake, so the socket mode opens
 *	o->syn_pct extra connections per 100 sessions and closes them with
 *	RST as soon as they are established, without a word of SMTP.
 * DIAGNOSTICS
 *	Refused/reset/timed-out sessions are counted as errors. Set-up
 *	failures (socket, epoll) return a negative errno.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "bench.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

struct rb_conn {
	int fd;
	bool flood; /* bare connection of the SYN flood */
	struct rb_sess s;
	uint64_t start_ns;
	uint32_t out_len, out_off;
	char *out; /* pending bytes (partial write) */
	SSL *ssl;  /* after STARTTLS */
	bool hs;   /* the TLS handshake is not done */
};

struct rb_sock {
	const struct rb_opts *o;
	struct rb_stats *st;
	int ep;
	struct rb_conn *conns;
	unsigned n_open;
	unsigned *free_slots; /* stack of closed slots: no scan per loop */
	unsigned n_free;
	uint32_t next_id;
	unsigned next_src;
	uint64_t flood_credit; /* in 1/100 SYNs */
	char *scratch;
	SSL_CTX *tls; /* --tls */
};

static void
rb_conn_close(struct rb_sock *k, struct rb_conn *c, bool rst)
{
	if (rst) {
		struct linger l = { 1, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	epoll_ctl(k->ep, EPOLL_CTL_DEL, c->fd, NULL);
	SSL_free(c->ssl);
	c->ssl = NULL;
	c->hs = false;
	close(c->fd);
	c->fd = -1;
	k->n_open--;
	k->free_slots[k->n_free++] = (unsigned)(c - k->conns);
}

static int
rb_conn_open(struct rb_sock *k, struct rb_conn *c, bool flood)
{
	const struct rb_opts *o = k->o;
	int fd = socket(o->v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	int one = 1;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} src, dst;
	socklen_t len = o->v6 ? sizeof(dst.in6) : sizeof(dst.in);

	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (o->src_set) {
		memset(&src, 0, sizeof(src));
		if (o->v6) {
			/* the next address: the last 32 bits step */
			uint32_t low;
			src.in6.sin6_family = AF_INET6;
			src.in6.sin6_addr = o->src6;
			memcpy(&low, &o->src6.s6_addr[12], 4);
			low = htonl(ntohl(low) + k->next_src);
			memcpy(&src.in6.sin6_addr.s6_addr[12], &low, 4);
		} else {
			src.in.sin_family = AF_INET;
			src.in.sin_addr.s_addr = htonl(ntohl(o->src.s_addr) + k->next_src);
		}
		k->next_src = (k->next_src + 1) % (o->src_count ? o->src_count : 1);
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, &src.sa, len) != 0) {
			int e = errno;
			close(fd);
			return -e;
		}
	}
	memset(&dst, 0, sizeof(dst));
	if (o->v6) {
		dst.in6.sin6_family = AF_INET6;
		dst.in6.sin6_port = htons(o->port);
		dst.in6.sin6_addr = o->server6;
	} else {
		dst.in.sin_family = AF_INET;
		dst.in.sin_port = htons(o->port);
		dst.in.sin_addr = o->server;
	}
	if (connect(fd, &dst.sa, len) != 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		return -e;
	}
	c->fd = fd;
	c->flood = flood;
	c->out_len = c->out_off = 0;
	c->start_ns = rb_now_ns();
	if (!flood) {
		rb_sess_start(o, &c->s, k->next_id++);
		k->st->started++;
	} else {
		k->st->syns++;
	}
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (flood ? EPOLLOUT : 0), .data.ptr = c };
	if (epoll_ctl(k->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		int e = errno;
		close(fd);
		c->fd = -1;
		return -e;
	}
	k->n_open++;
	return 0;
}

/* Wait for the socket to become writable (and readable). */
static void
rb_conn_want_out(struct rb_sock *k, struct rb_conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = c };
	epoll_ctl(k->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/*
 * send() or SSL_write(), with recv()'s and send()'s conventions: -1 with
 * errno EAGAIN when it must wait (for either direction: the socket is
 * polled for both then), another errno when the session failed.
 */
static ssize_t
rb_conn_io(struct rb_sock *k, struct rb_conn *c, void *buf, size_t len, bool write)
{
	if (c->ssl == NULL)
		return write ? send(c->fd, buf, len, MSG_NOSIGNAL) : recv(c->fd, buf, len, 0);
	int n = write ? SSL_write(c->ssl, buf, (int)len) : SSL_read(c->ssl, buf, (int)len);
	if (n > 0)
		return n;
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_WRITE:
		rb_conn_want_out(k, c);
		/* fall through */
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN: /* close_notify */
		return 0;
	default:
		errno = EPROTO;
		return -1;
	}
}

/* Send pending output; false when the connection failed. */
static bool
rb_conn_flush(struct rb_sock *k, struct rb_conn *c)
{
	while (c->out_off < c->out_len && !c->hs) {
		ssize_t n = rb_conn_io(k, c, c->out + c->out_off, c->out_len - c->out_off, true);
		if (n < 0) {
			if (errno == EAGAIN) {
				rb_conn_want_out(k, c);
				return true;
			}
			return false;
		}
		k->st->bytes_tx += (uint64_t)n;
		c->out_off += (uint32_t)n;
	}
	if (!c->hs)
		c->out_off = c->out_len = 0;
	return true;
}

/* Queue W bytes of the script's output and send what the socket takes. */
static bool
rb_conn_send(struct rb_sock *k, struct rb_conn *c, int w)
{
	if (w <= 0)
		return true;
	if (c->out_len + (uint32_t)w > RB_OUT_MAX)
		return false;
	memcpy(c->out + c->out_len, k->scratch, (size_t)w);
	c->out_len += (uint32_t)w;
	return rb_conn_flush(k, c);
}

/*
 * Run the TLS handshake as far as it goes; when it is done, the script's
 * next commands go out inside TLS. False when the session failed.
 */
static bool
rb_conn_handshake(struct rb_sock *k, struct rb_conn *c)
{
	if (c->ssl == NULL) {
		c->ssl = SSL_new(k->tls);
		if (c->ssl == NULL || !SSL_set_fd(c->ssl, c->fd))
			return false;
		SSL_set_connect_state(c->ssl);
		c->hs = true;
	}
	int rc = SSL_do_handshake(c->ssl);
	if (rc != 1) {
		int e = SSL_get_error(c->ssl, rc);
		if (e == SSL_ERROR_WANT_WRITE)
			rb_conn_want_out(k, c);
		return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
	}
	c->hs = false;
	k->st->tls_handshakes++;
	return rb_conn_send(k, c, rb_sess_tls_done(k->o, &c->s, k->scratch, RB_OUT_MAX));
}

static void
rb_conn_fail(struct rb_sock *k, struct rb_conn *c, enum rb_err why)
{
	if (!c->flood) {
		k->st->errors++;
		k->st->err[why]++;
	}
	rb_conn_close(k, c, true);
}

static void
rb_conn_event(struct rb_sock *k, struct rb_conn *c, uint32_t events)
{
	if (c->flood) {
		/* Established (or failed): reset it at once, no SMTP. */
		rb_conn_close(k, c, true);
		return;
	}
	if (c->hs) {
		if (!rb_conn_handshake(k, c)) {
			rb_conn_fail(k, c, RB_ERR_TLS);
			return;
		}
		if (c->hs)
			return;
	}
	if ((events & EPOLLOUT) && c->out_len > 0 && !rb_conn_flush(k, c)) {
		rb_conn_fail(k, c, RB_ERR_RESET);
		return;
	}
	if ((events & EPOLLOUT) && c->out_len == 0) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
		epoll_ctl(k->ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
	if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)))
		return;
	for (;;) {
		uint8_t buf[16384];
		ssize_t n = rb_conn_io(k, c, buf, sizeof(buf), false);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* closed or reset before 221; a connect that failed */
			rb_conn_fail(k, c,
				     n == 0					     ? RB_ERR_CLOSED
					     : errno == EPROTO			     ? RB_ERR_TLS
					     : c->s.next_reply == 0 && c->s.col == 0 ? RB_ERR_CONNECT
										     : RB_ERR_RESET);
			return;
		}
		k->st->bytes_rx += (uint64_t)n;
		int w = rb_sess_input(k->o, &c->s, buf, (size_t)n, k->st, k->scratch, RB_OUT_MAX);
		if (w < 0) {
			rb_conn_fail(k, c, RB_ERR_PROTO);
			return;
		}
		if (c->s.flags & RB_SF_DONE) {
			k->st->sessions++;
			rb_hist_add(&k->st->lat, rb_now_ns() - c->start_ns);
			rb_conn_close(k, c, k->o->rst_close);
			return;
		}
		if (!rb_conn_send(k, c, w)) {
			rb_conn_fail(k, c, RB_ERR_RESET);
			return;
		}
		if ((c->s.flags & RB_SF_TLS) && c->ssl == NULL) {
			/* The 220 to STARTTLS: the handshake, then the rest. */
			if (!rb_conn_handshake(k, c)) {
				rb_conn_fail(k, c, RB_ERR_TLS);
				return;
			}
			if (c->hs)
				return;
		}
	}
}

/* Open connections into free slots until the target is reached. */
static void
rb_fill(struct rb_sock *k, bool more)
{
	const struct rb_opts *o = k->o;

	if (!more)
		return;
	while (k->n_free > 0) {
		struct rb_conn *c = &k->conns[k->free_slots[k->n_free - 1]];
		if (o->sessions && k->st->started >= o->sessions)
			return;
		bool flood = false;
		if (o->syn_pct && k->flood_credit >= 100) {
			k->flood_credit -= 100;
			flood = true;
		} else {
			k->flood_credit += o->syn_pct;
		}
		int rc = rb_conn_open(k, c, flood);
		if (rc == 0)
			k->n_free--;
		if (rc < 0) {
			k->st->errors++;
			k->st->err[RB_ERR_CONNECT]++;
			if (rc == -EMFILE || rc == -ENFILE || rc == -EADDRNOTAVAIL)
				return; /* try again on the next tick */
		}
	}
}

int
rb_run_socket(const struct rb_opts *o, struct rb_stats *st, double *seconds)
{
	struct rb_sock k = { .o = o, .st = st, .ep = -1 };
	struct rb_stats prev;
	int rc = 0;

	k.ep = epoll_create1(EPOLL_CLOEXEC);
	k.conns = calloc(o->concurrency, sizeof(*k.conns));
	k.scratch = malloc(RB_OUT_MAX);
	k.free_slots = malloc(sizeof(unsigned) * o->concurrency);
	char *bufs = malloc((size_t)o->concurrency * RB_OUT_MAX);
	if (k.ep < 0 || k.conns == NULL || k.scratch == NULL || bufs == NULL || k.free_slots == NULL) {
		rc = k.ep < 0 ? -errno : -ENOMEM;
		goto out;
	}
	if (o->tls_pct > 0 && (k.tls = rb_tls_client_ctx()) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < o->concurrency; i++) {
		k.conns[i].fd = -1;
		k.conns[i].out = bufs + (size_t)i * RB_OUT_MAX;
		k.free_slots[k.n_free++] = o->concurrency - 1 - i;
	}

	uint64_t t0 = rb_now_ns(), last = t0, last_scan = t0;
	uint64_t end = o->duration > 0 ? t0 + (uint64_t)(o->duration * 1e9) : UINT64_MAX;
	uint64_t tmo = (uint64_t)(o->timeout * 1e9);
	prev = *st;
	for (;;) {
		uint64_t now = rb_now_ns();
		bool more = now < end && (!o->sessions || st->started < o->sessions);
		rb_fill(&k, more);
		if (!more && k.n_open == 0)
			break;
		struct epoll_event ev[256];
		int n = epoll_wait(k.ep, ev, 256, 10);
		for (int i = 0; i < n; i++)
			rb_conn_event(&k, ev[i].data.ptr, ev[i].events);
		now = rb_now_ns();
		if (now - last_scan >= 100000000ull) {
			for (unsigned i = 0; i < o->concurrency; i++)
				if (k.conns[i].fd >= 0 && now - k.conns[i].start_ns > tmo)
					rb_conn_fail(&k, &k.conns[i], RB_ERR_TIMEOUT);
			last_scan = now;
		}
		if (o->progress > 0 && now - last >= (uint64_t)(o->progress * 1e9)) {
			rb_progress(o, st, &prev, (double)(now - t0) / 1e9, (double)(now - last) / 1e9,
				    k.n_open);
			prev = *st;
			last = now;
		}
	}
	*seconds = (double)(rb_now_ns() - t0) / 1e9;
out:
	if (k.ep >= 0)
		close(k.ep);
	SSL_CTX_free(k.tls);
	free(k.conns);
	free(k.scratch);
	free(k.free_slots);
	free(bufs);
	return rc;
}
