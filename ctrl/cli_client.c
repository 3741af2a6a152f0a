/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cli_client.c - rcptgatectl's side of the control socket
 * DESCRIPTION
 *	Connects to the daemon's control socket (-s SOCKET; else the
 *	control_socket of the -c configuration; else the default), sends
 *	one request line and reads its response with ctl_reply_parse(), the
 *	parser of include/rcptgate/ctl_proto.h. Values are %XX-encoded with
 *	ctl_value_encode() by cli_client_arg().
 * DIAGNOSTICS
 *	Every failure is reported on stderr as "rcptgatectl: ..." and
 *	returned as a negative errno; an ERR response is not a failure of
 *	the call (the caller prints it with cli_client_print_err()).
 * TRUST
 *	Responses are parsed with the protocol's bounds; a response that
 *	breaks them is an error (-EPROTO), never a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <rcptgate/ctl_proto.h>

#include "config.h"
#include "cli.h"

const char *
cli_client_default_socket(void)
{
	static struct rg_config cfg;

	if (cfg.control_socket[0] == '\0')
		cfg_defaults(&cfg);
	return cfg.control_socket;
}

/* The socket to use: -s, else the -c configuration's, else the default. */
static const char *
cli_client_path(void)
{
	static struct rg_config cfg;
	char err[CFG_ERR_MAX];

	if (cli_socket_path != NULL)
		return cli_socket_path;
	if (cli_config_path == NULL)
		return cli_client_default_socket();
	if (cfg_load(&cfg, cli_config_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "rcptgatectl: %s\n", err);
		return NULL;
	}
	return cfg.control_socket;
}

int
cli_client_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = cli_client_path();

	if (path == NULL)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "rcptgatectl: control socket %s: path too long\n", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		fprintf(stderr, "rcptgatectl: cannot reach rcptgate on %s: %s%s\n", path, strerror(e),
			e == ENOENT || e == ECONNREFUSED ? " (is the daemon running? -s SOCKET?)" : "");
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

int
cli_client_call(int fd, const char *req, struct ctl_reply *rep)
{
	static char buf[CTL_RESP_MAX];
	size_t len = strlen(req), have = 0;

	if (len + 1 >= CTL_REQ_MAX) {
		fprintf(stderr, "rcptgatectl: request too long (%zu octets)\n", len);
		return -E2BIG;
	}
	memcpy(buf, req, len);
	buf[len] = '\n';
	for (size_t off = 0; off <= len;) {
		ssize_t n = send(fd, buf + off, len + 1 - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "rcptgatectl: control socket: send: %s\n", strerror(errno));
			return -errno;
		}
		off += (size_t)n;
	}
	for (;;) {
		long used = ctl_reply_parse(buf, have, rep);
		if (used > 0)
			return 0;
		if (used < 0 || have == sizeof(buf)) {
			fprintf(stderr, "rcptgatectl: malformed response from rcptgate\n");
			return -EPROTO;
		}
		ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "rcptgatectl: control socket: %s\n",
				n == 0 ? "connection closed before the response ended" : strerror(errno));
			return n == 0 ? -ECONNRESET : -errno;
		}
		have += (size_t)n;
	}
}

int
cli_client_arg(char *req, size_t cap, const char *key, const char *value)
{
	char enc[CTL_REQ_MAX];
	size_t len = strlen(req);

	if (ctl_value_encode(value, strlen(value), enc, sizeof(enc)) < 0)
		goto toolong;
	int n = snprintf(req + len, cap - len, " %s=%s", key, enc);
	if (n < 0 || (size_t)n >= cap - len)
		goto toolong;
	return 0;
toolong:
	fprintf(stderr, "rcptgatectl: %s too long\n", key);
	return -E2BIG;
}

struct ctl_reply *
cli_client_reply_new(void)
{
	struct ctl_reply *rep = malloc(sizeof(*rep));
	if (rep == NULL)
		fprintf(stderr, "rcptgatectl: out of memory\n");
	return rep;
}

void
cli_client_print_err(const char *cmd, const struct ctl_reply *rep)
{
	fprintf(stderr, "rcptgatectl: %s: %s (%s)\n", cmd, rep->err_text, rep->err_name);
}

int
cli_client_request(const char *cmd, const char *req, struct ctl_reply *rep)
{
	int fd = cli_client_connect();
	if (fd < 0)
		return 1;
	int rc = cli_client_call(fd, req, rep);
	close(fd);
	if (rc < 0)
		return 1;
	if (!rep->ok) {
		cli_client_print_err(cmd, rep);
		return 1;
	}
	return 0;
}
