/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_server.c - the control socket: accept, read, answer, write
 * DESCRIPTION
 *	A non-blocking unix stream socket served by poll(2) from the
 *	control thread (the main lcore), which sleeps in poll between
 *	requests. At most CTL_CLIENTS clients at once; each has an input
 *	buffer of one request line (CTL_REQ_MAX) and an output buffer of
 *	one response (CTL_RESP_MAX). A client's next request is read only
 *	once the previous response is written, so pipelined requests are
 *	answered in order and no client can make the daemon buffer more.
 *
 *	A line that does not fit the input buffer is answered ERR E2BIG
 *	and the connection is closed (the rest of it cannot be told from a
 *	new request). A partial request at end of input is answered ERR
 *	EINVAL; one still partial CTL_REQ_TIMEOUT_MS after its first octet
 *	is answered ERR ETIMEDOUT and closed, so a stalled client cannot
 *	hold a slot (an idle connection between requests may stay).
 *
 *	The same poll serves metrics_listen's connections (ctl_metrics.c),
 *	so a scrape waits for no control request and the reverse.
 * DIAGNOSTICS
 *	ctl_server_open fails with -errno and a reason; afterwards client
 *	errors only close that client. Nothing here is fatal.
 * TRUST
 *	Whatever a client sends (ctl_handle parses it).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ctl/ctl_daemon.h"
#include "daemon.h"
#include "msg.h"

#define CTL_CLIENTS 16
#define CTL_REQ_TIMEOUT_MS 10000 /* to complete a request once started */

struct ctl_client {
	int fd;	      /* -1: free slot */
	bool eof;     /* the client shut down its side */
	bool closing; /* close once out is written */
	size_t in_len;
	int64_t started_ms; /* when the partial request in "in" began */
	size_t out_off, out_len;
	char in[CTL_REQ_MAX];
	char *out; /* CTL_RESP_MAX bytes while connected */
};

struct ctl_server {
	struct dp_daemon *d;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client clients[CTL_CLIENTS];
	struct ctl_resp resp;	     /* the response being built */
	struct ctl_metrics *metrics; /* metrics_listen, polled here too; NULL: off */
};

static int
ctl_fail(char *err, size_t errlen, int rc, const char *what, const char *path)
{
	snprintf(err, errlen, "control socket %s: %s: %s", path, what, strerror(-rc));
	return rc;
}

/* Make the socket's directory when it is missing (one level). */
static void
ctl_mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0750) == 0)
		msg_info("created %s", dir);
}

/* A socket file at PATH: in use by a live daemon, or stale (removed). */
static int
ctl_clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;

	if (lstat(sa->sun_path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	if (live)
		return -EADDRINUSE;
	return unlink(sa->sun_path) == 0 ? 0 : -errno;
}

static int
ctl_set_owner(const char *path, const char *group, char *err, size_t errlen)
{
	if (group[0] == '\0')
		return chmod(path, 0600) == 0 ? 0 : ctl_fail(err, errlen, -errno, "chmod", path);
	errno = 0;
	struct group *g = getgrnam(group);
	if (g == NULL) {
		snprintf(err, errlen, "control_socket_group %s: no such group", group);
		return -ENOENT;
	}
	if (chown(path, 0, g->gr_gid) != 0)
		return ctl_fail(err, errlen, -errno, "chown", path);
	return chmod(path, 0660) == 0 ? 0 : ctl_fail(err, errlen, -errno, "chmod", path);
}

int
ctl_server_open(struct dp_daemon *d, struct ctl_server **out, char *err, size_t errlen)
{
	const char *path = d->cfg.control_socket;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *cs;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket %s: path longer than %zu octets", path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	cs = calloc(1, sizeof(*cs));
	if (cs == NULL)
		return ctl_fail(err, errlen, -ENOMEM, "allocate", path);
	cs->d = d;
	snprintf(cs->path, sizeof(cs->path), "%s", path);
	for (unsigned i = 0; i < CTL_CLIENTS; i++)
		cs->clients[i].fd = -1;

	ctl_mkdir_parent(path);
	rc = ctl_clear_stale(&sa);
	if (rc < 0) {
		ctl_fail(err, errlen, rc,
			 rc == -EADDRINUSE ? "another rcptgate answers on it" : "cannot replace it", path);
		free(cs);
		return rc;
	}
	cs->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cs->fd < 0) {
		rc = ctl_fail(err, errlen, -errno, "socket", path);
		free(cs);
		return rc;
	}
	mode_t old = umask(0177); /* no moment with wider permissions */
	rc = bind(cs->fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	umask(old);
	if (rc < 0) {
		ctl_fail(err, errlen, rc, "bind", path);
		goto fail;
	}
	rc = ctl_set_owner(path, d->cfg.control_socket_group, err, errlen);
	if (rc < 0)
		goto fail_unlink;
	if (listen(cs->fd, CTL_CLIENTS) != 0) {
		rc = ctl_fail(err, errlen, -errno, "listen", path);
		goto fail_unlink;
	}
	rc = ctl_metrics_open(d, &cs->metrics, err, errlen);
	if (rc < 0)
		goto fail_unlink;
	*out = cs;
	return 0;

fail_unlink:
	unlink(path);
fail:
	close(cs->fd);
	free(cs);
	return rc;
}

int64_t
ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
ctl_client_close(struct ctl_client *c)
{
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
}

static void
ctl_accept(struct ctl_server *cs)
{
	for (;;) {
		int fd = accept4(cs->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a client gone before we got to it */
		struct ctl_client *c = NULL;
		for (unsigned i = 0; i < CTL_CLIENTS && c == NULL; i++)
			if (cs->clients[i].fd < 0)
				c = &cs->clients[i];
		char *buf = c ? malloc(CTL_RESP_MAX) : NULL;
		if (buf == NULL) {
			static const char busy[] = "ERR EBUSY too many control clients\n";
			(void)!write(fd, busy, sizeof(busy) - 1);
			close(fd);
			continue;
		}
		memset(c, 0, offsetof(struct ctl_client, in));
		c->fd = fd;
		c->out = buf;
	}
}

bool
ctl_send_pending(int fd, const char *buf, size_t *off, size_t len)
{
	while (*off < len) {
		ssize_t n = send(fd, buf + *off, len - *off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		*off += (size_t)n;
	}
	return true;
}

/* Write what is pending. Return false when the client is gone. */
static bool
ctl_flush(struct ctl_client *c)
{
	if (!ctl_send_pending(c->fd, c->out, &c->out_off, c->out_len))
		return false;
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	return true;
}

static void
ctl_answer(struct ctl_server *cs, struct ctl_client *c)
{
	int n = ctl_resp_render(&cs->resp, c->out, CTL_RESP_MAX);
	if (n < 0) { /* cannot happen: a response fits CTL_RESP_MAX by construction */
		ctl_resp_error(&cs->resp, n, "response too long");
		n = ctl_resp_render(&cs->resp, c->out, CTL_RESP_MAX);
	}
	c->out_off = 0;
	c->out_len = n < 0 ? 0 : (size_t)n;
}

/* Answer complete requests while nothing is pending for C. */
static void
ctl_serve(struct ctl_server *cs, struct ctl_client *c)
{
	while (c->out_len == 0 && !c->closing) {
		char *lf = memchr(c->in, '\n', c->in_len);
		if (lf != NULL) {
			size_t n = (size_t)(lf - c->in);
			ctl_handle(cs->d, c->in, n, true, &cs->resp);
			memmove(c->in, lf + 1, c->in_len - n - 1);
			c->in_len -= n + 1;
			c->started_ms = ctl_now_ms(); /* the next request's clock */
		} else if (c->in_len == sizeof(c->in) || (c->eof && c->in_len > 0)) {
			ctl_handle(cs->d, c->in, c->in_len, false, &cs->resp);
			c->closing = true;
		} else if (c->eof) {
			c->closing = true;
			break;
		} else {
			break;
		}
		ctl_answer(cs, c);
		if (!ctl_flush(c)) {
			c->closing = true;
			c->out_len = 0;
		}
	}
}

static void
ctl_client_event(struct ctl_server *cs, struct ctl_client *c, short revents)
{
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && c->out_len == 0 && !c->closing) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n == 0)
			c->eof = true;
		else if (n > 0 && c->in_len == 0)
			c->in_len = (size_t)n, c->started_ms = ctl_now_ms();
		else if (n > 0)
			c->in_len += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR)
			c->closing = true, c->out_len = 0;
	}
	if (c->out_len > 0 && !ctl_flush(c)) {
		ctl_client_close(c);
		return;
	}
	ctl_serve(cs, c);
	if (c->closing && c->out_len == 0)
		ctl_client_close(c);
}

/* Answer ERR ETIMEDOUT to a request that has been partial too long. */
static void
ctl_expire(struct ctl_server *cs, struct ctl_client *c, int64_t now)
{
	if (c->in_len == 0 || c->out_len != 0 || c->closing || now - c->started_ms < CTL_REQ_TIMEOUT_MS)
		return;
	ctl_resp_init(&cs->resp);
	ctl_resp_error(&cs->resp, ETIMEDOUT, "request not completed within %d s", CTL_REQ_TIMEOUT_MS / 1000);
	ctl_answer(cs, c);
	c->closing = true;
	if (!ctl_flush(c) || c->out_len == 0)
		ctl_client_close(c);
}

int
ctl_server_poll(struct ctl_server *cs, int timeout_ms)
{
	struct pollfd pfd[CTL_CLIENTS + 1 + 1 + CTL_METRICS_CLIENTS];
	struct ctl_client *who[CTL_CLIENTS + 1];
	int64_t now = ctl_now_ms();
	nfds_t n = 0;

	pfd[n++] = (struct pollfd){ .fd = cs->fd, .events = POLLIN };
	for (unsigned i = 0; i < CTL_CLIENTS; i++) {
		struct ctl_client *c = &cs->clients[i];
		if (c->fd >= 0)
			ctl_expire(cs, c, now);
		if (c->fd < 0)
			continue;
		who[n] = c;
		pfd[n++] = (struct pollfd){ .fd = c->fd, .events = c->out_len ? POLLOUT : POLLIN };
	}
	nfds_t n_ctl = n;
	n += ctl_metrics_pollfds(cs->metrics, pfd + n_ctl);
	int rc = poll(pfd, n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	ctl_metrics_events(cs->metrics, pfd + n_ctl);
	for (nfds_t i = 1; i < n_ctl; i++)
		if (pfd[i].revents != 0)
			ctl_client_event(cs, who[i], pfd[i].revents);
	if (pfd[0].revents & POLLIN)
		ctl_accept(cs);
	return 0;
}

void
ctl_server_close(struct ctl_server *cs)
{
	if (cs == NULL)
		return;
	for (unsigned i = 0; i < CTL_CLIENTS; i++)
		if (cs->clients[i].fd >= 0)
			ctl_client_close(&cs->clients[i]);
	ctl_metrics_close(cs->metrics);
	close(cs->fd);
	unlink(cs->path);
	free(cs);
}
