/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	relay_io.c - the relay thread's engine: requests in, backend sockets, replies out
 * DESCRIPTION
 *	See relay_io.h. Deadlines are checked by a scan of the open
 *	connections at each wake-up: there are at most as many as relayed
 *	sessions, and the thread wakes at most once per event, so a timer
 *	wheel would buy nothing measurable here.
 * DIAGNOSTICS
 *	Counters; nothing is logged per connection.
 * TRUST
 *	See relay_io.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <rcptgate/counters.h>

#include "relay/relay_io.h"

struct conn {
	struct relay_io *io;
	struct conn *all_next, *all_prev; /* every conn, for deadlines */
	struct conn *idle_next;		  /* the pool */
	struct relay_req *head, *tail;	  /* this session's requests */
	int fd;				  /* -1: no socket */
	bool connecting;
	bool have_be; /* be belongs to this session */
	bool idle;    /* in the pool */
	uint16_t worker;
	uint32_t slot;
	uint32_t off;	   /* octets of the head chunk written */
	uint32_t events;   /* registered with epoll */
	uint64_t deadline; /* ms; 0: none */
	struct relay_be be;
};

struct relay_io {
	struct relay_params p;
	int epfd, wakefd;
	struct conn **map; /* n_workers * slots */
	struct conn *all;
	struct conn *idle;
	uint32_t n_idle;
	uint64_t now;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
relay_backend_addr(struct relay_params *p, const char *host, uint16_t port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char serv[8];

	snprintf(serv, sizeof(serv), "%u", port);
	if (getaddrinfo(host, serv, &hints, &res) != 0 || res == NULL)
		return -EINVAL;
	if (res->ai_addrlen > sizeof(p->addr)) {
		freeaddrinfo(res);
		return -EINVAL;
	}
	memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
	p->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
relay_io_create(const struct relay_params *p, struct relay_io **out)
{
	struct relay_io *io;

	if (p->n_workers == 0 || p->slots == 0 || p->reply == NULL || p->free_req == NULL || p->ctr == NULL ||
	    p->myname == NULL || p->addr_len == 0)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (io == NULL)
		return -ENOMEM;
	io->p = *p;
	io->map = calloc((size_t)p->n_workers * p->slots, sizeof(*io->map));
	io->epfd = epoll_create1(EPOLL_CLOEXEC);
	io->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (io->map == NULL || io->epfd < 0 || io->wakefd < 0) {
		int err = io->map == NULL ? -ENOMEM : -errno;
		if (io->epfd >= 0)
			close(io->epfd);
		if (io->wakefd >= 0)
			close(io->wakefd);
		free(io->map);
		free(io);
		return err;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(io->epfd, EPOLL_CTL_ADD, io->wakefd, &ev);
	*out = io;
	return 0;
}

void
relay_io_wake(struct relay_io *io)
{
	uint64_t one = 1;
	ssize_t r = write(io->wakefd, &one, sizeof(one));
	(void)r; /* EAGAIN: a wake-up is pending already */
}

static void
close_fd(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(c->io->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->connecting = false;
	c->events = 0;
}

static void
want(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->fd < 0 || events == c->events)
		return;
	epoll_ctl(c->io->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->events = events;
}

static void
on_be_reply(void *arg, const char *text, size_t n)
{
	struct conn *c = arg;

	c->io->p.reply(c->io->p.arg, c->worker, c->slot, RELAY_RSP_REPLY, text, n);
}

static struct conn *
conn_new(struct relay_io *io)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->io = io;
	c->fd = -1;
	c->all_next = io->all;
	if (io->all != NULL)
		io->all->all_prev = c;
	io->all = c;
	return c;
}

static void
conn_free(struct conn *c)
{
	struct relay_io *io = c->io;

	close_fd(c);
	while (c->head != NULL) {
		struct relay_req *r = c->head;
		c->head = r->next;
		io->p.free_req(io->p.arg, r);
	}
	if (c->all_prev != NULL)
		c->all_prev->all_next = c->all_next;
	else
		io->all = c->all_next;
	if (c->all_next != NULL)
		c->all_next->all_prev = c->all_prev;
	free(c);
}

/* Give C a backend connection: one from the pool, or a new one. */
static void
attach_backend(struct conn *c)
{
	struct relay_io *io = c->io;

	c->have_be = true;
	if (io->idle != NULL) {
		struct conn *i = io->idle;
		io->idle = i->idle_next;
		io->n_idle--;
		c->be = i->be;
		c->be.reply_arg = c;
		c->fd = i->fd;
		c->events = 0;
		/* I may have an event pending in this epoll batch: freed by deadlines() */
		i->fd = -1;
		i->idle = false;
		i->deadline = 1;
		want(c, EPOLLIN);
		io->p.ctr[RG_C_RELAY_CONN_REUSED]++;
		return;
	}
	relay_be_init(&c->be, io->p.proto, io->p.myname, io->p.backend_host, on_be_reply, c, io->p.ctr);
	c->fd = socket(io->p.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		relay_be_fail(&c->be, false);
		return;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int r = connect(c->fd, (const struct sockaddr *)&io->p.addr, io->p.addr_len);
	if (r < 0 && errno != EINPROGRESS) {
		close_fd(c);
		relay_be_fail(&c->be, false);
		return;
	}
	c->connecting = r < 0;
	if (!c->connecting)
		io->p.ctr[RG_C_RELAY_CONN_OPENED]++;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
	epoll_ctl(io->epfd, EPOLL_CTL_ADD, c->fd, &ev);
	c->events = EPOLLIN | EPOLLOUT;
}

/* The connection broke or timed out: answer, close, go on with the queue. */
static void
broken(struct conn *c, bool timeout)
{
	close_fd(c);
	relay_be_fail(&c->be, timeout);
}

/* Write up to N bytes of P: the count, 0 when the socket is full, -1 when it broke. */
static ssize_t
send_some(struct conn *c, const void *p, size_t n)
{
	for (;;) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			c->deadline = 0; /* the backend takes bytes: alive */
			return w;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		broken(c, false);
		return -1;
	}
}

/* Write what the client queued; false while some is left (EPOLLOUT). */
static bool
flush_cmds(struct conn *c)
{
	while (c->be.out_len > 0 && c->fd >= 0 && !c->connecting) {
		ssize_t w = send_some(c, c->be.out, c->be.out_len);
		if (w == 0)
			return false;
		if (w > 0)
			relay_be_out_consume(&c->be, (size_t)w);
	}
	return !c->connecting || c->fd < 0;
}

/* Write the head chunk; true when it is all written (or dropped). */
static bool
write_chunk(struct conn *c, struct relay_req *r)
{
	while (c->off < r->len && c->fd >= 0) {
		ssize_t w = send_some(c, r->u.data + c->off, r->len - c->off);
		if (w == 0)
			return false;
		if (w > 0) {
			c->off += (uint32_t)w;
			c->io->p.ctr[RG_C_RELAY_BYTES] += (uint64_t)w;
		}
	}
	return true;
}

/* Close the session's side: pool the connection or end it. */
static void
session_close(struct conn *c)
{
	struct relay_io *io = c->io;
	uint32_t i = (uint32_t)c->worker * io->p.slots + c->slot;

	io->map[i] = NULL;
	io->p.reply(io->p.arg, c->worker, c->slot, RELAY_RSP_CLOSED, NULL, 0);
	if (c->have_be && c->fd >= 0 && relay_be_reusable(&c->be) && c->be.out_len == 0 &&
	    io->n_idle < io->p.pool_max) {
		c->idle = true;
		c->have_be = false;
		c->deadline = io->now + io->p.pool_idle_ms;
		c->idle_next = io->idle;
		io->idle = c;
		io->n_idle++;
		return;
	}
	if (c->have_be && c->fd >= 0 && !relay_be_dead(&c->be)) {
		relay_be_quit(&c->be);
		ssize_t w = send(c->fd, c->be.out, c->be.out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w; /* best effort: the backend ends the session on close anyway */
	}
	conn_free(c);
}

/* Do the head request if it can be done now; false to wait. */
static bool
step(struct conn *c, struct relay_req *r)
{
	struct relay_be *be = &c->be;
	int rc = 0;

	switch (r->type) {
	case RELAY_REQ_RCPT:
		if (!c->have_be)
			attach_backend(c);
		rc = relay_be_rcpt(be, r->u.rcpt.has_env ? &r->u.rcpt.env : NULL, r->u.rcpt.to, r->len);
		if (rc == -EINVAL) /* a request we cannot make sense of: a 4xx */
			relay_be_fail(be, false), rc = relay_be_rcpt(be, NULL, "", 0);
		break;
	case RELAY_REQ_DATA:
		rc = c->have_be ? relay_be_data(be) : 0;
		break;
	case RELAY_REQ_CHUNK:
		if (!c->have_be || (relay_be_body_settled(be) && !relay_be_body_open(be)))
			return true; /* no message is being sent: drop */
		if (!relay_be_body_open(be))
			return false;
		return write_chunk(c, r);
	case RELAY_REQ_END:
		if (!c->have_be)
			relay_be_init(be, c->io->p.proto, c->io->p.myname, NULL, on_be_reply, c,
				      c->io->p.ctr),
				c->have_be = true, relay_be_fail(be, false);
		if (!relay_be_body_settled(be))
			return false;
		rc = relay_be_end(be, r->u.ok);
		if (rc == -ECONNABORTED) {
			close_fd(c);
			rc = 0;
		}
		break;
	case RELAY_REQ_RSET:
		if (!c->have_be)
			return true;
		rc = relay_be_rset(be);
		if (rc == 0 && relay_be_dead(be)) {
			close_fd(c);
			c->have_be = false; /* the next transaction connects again */
		}
		break;
	default:
		return true;
	}
	return rc != -EBUSY;
}

/* Run C's queue as far as it goes. Return false when C was freed. */
static bool
process(struct conn *c)
{
	struct relay_io *io = c->io;

	for (;;) {
		if (!flush_cmds(c))
			break;
		struct relay_req *r = c->head;
		if (r == NULL)
			break;
		if (r->type == RELAY_REQ_CLOSE) {
			c->head = r->next;
			io->p.free_req(io->p.arg, r);
			session_close(c);
			return false;
		}
		if (!step(c, r))
			break;
		c->head = r->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->off = 0;
		io->p.free_req(io->p.arg, r);
	}
	bool out = c->be.out_len > 0 || c->connecting ||
		(c->head != NULL && c->head->type == RELAY_REQ_CHUNK && relay_be_body_open(&c->be));
	want(c, EPOLLIN | (out ? EPOLLOUT : 0));
	if (c->have_be && c->fd >= 0 && (relay_be_waiting(&c->be) || out)) {
		if (c->deadline == 0)
			c->deadline =
				io->now + (c->connecting ? io->p.connect_timeout_ms : io->p.reply_timeout_ms);
	} else {
		c->deadline = 0;
	}
	return true;
}

int
relay_io_submit(struct relay_io *io, struct relay_req *req)
{
	if (req->worker >= io->p.n_workers || req->slot >= io->p.slots) {
		io->p.free_req(io->p.arg, req);
		return -EINVAL;
	}
	uint32_t i = (uint32_t)req->worker * io->p.slots + req->slot;
	struct conn *c = io->map[i];

	if (c == NULL) {
		c = conn_new(io);
		if (c == NULL) {
			/*
			 * Nothing answers for it: the session waits for its
			 * client's next command or smtpd_timeout (the worker has
			 * no relay timeout). Only when a few hundred bytes cannot
			 * be allocated.
			 */
			io->p.free_req(io->p.arg, req);
			return -ENOMEM;
		}
		c->worker = req->worker;
		c->slot = req->slot;
		io->map[i] = c;
	}
	req->next = NULL;
	if (c->tail != NULL)
		c->tail->next = req;
	else
		c->head = req;
	c->tail = req;
	io->now = now_ms();
	process(c);
	return 0;
}

/* Socket events for C. */
static void
on_event(struct conn *c, uint32_t events)
{
	struct relay_io *io = c->io;
	uint8_t buf[4096];

	if (c->fd < 0)
		return;
	if (c->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t el = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err != 0) {
			broken(c, false);
			process(c);
			return;
		}
		c->connecting = false;
		io->p.ctr[RG_C_RELAY_CONN_OPENED]++;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		for (;;) {
			ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0) {
				if (c->idle) {
					c->idle = false; /* unlinked below */
					c->deadline = 1; /* expire now */
					close_fd(c);
					return;
				}
				broken(c, false);
				break;
			}
			c->deadline = 0; /* the backend is alive */
			if (relay_be_input(&c->be, buf, (size_t)n) < 0) {
				close_fd(c);
				break;
			}
			if (c->fd < 0)
				break;
		}
	}
	if (!c->idle)
		process(c);
}

/* Remove idle connection C from the pool and free it. */
static void
idle_drop(struct relay_io *io, struct conn *c)
{
	for (struct conn **pp = &io->idle; *pp != NULL; pp = &(*pp)->idle_next) {
		if (*pp == c) {
			*pp = c->idle_next;
			io->n_idle--;
			break;
		}
	}
	conn_free(c);
}

/* Expire deadlines; return ms to the next one, or -1. */
static int
deadlines(struct relay_io *io)
{
	uint64_t next = UINT64_MAX;
	struct conn *c = io->all, *n;

	for (; c != NULL; c = n) {
		n = c->all_next;
		if (c->deadline == 0)
			continue;
		if (c->deadline <= io->now) {
			if (c->idle || c->fd < 0) {
				if (c->idle || c->deadline == 1)
					idle_drop(io, c);
				continue;
			}
			c->deadline = 0;
			broken(c, true);
			process(c);
			continue;
		}
		if (c->deadline < next)
			next = c->deadline;
	}
	return next == UINT64_MAX ? -1 : (int)(next - io->now > 60000 ? 60000 : next - io->now);
}

int
relay_io_run(struct relay_io *io, int timeout_ms)
{
	struct epoll_event evs[64];

	io->now = now_ms();
	int dl = deadlines(io);
	if (dl >= 0 && (timeout_ms < 0 || dl < timeout_ms))
		timeout_ms = dl;
	int n = epoll_wait(io->epfd, evs, 64, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	io->now = now_ms();
	for (int i = 0; i < n; i++) {
		if (evs[i].data.ptr == NULL) {
			uint64_t v;
			ssize_t r = read(io->wakefd, &v, sizeof(v));
			(void)r;
			continue;
		}
		on_event(evs[i].data.ptr, evs[i].events);
	}
	deadlines(io);
	return n;
}

void
relay_io_destroy(struct relay_io *io)
{
	if (io == NULL)
		return;
	while (io->all != NULL)
		conn_free(io->all);
	close(io->epfd);
	close(io->wakefd);
	free(io->map);
	free(io);
}
