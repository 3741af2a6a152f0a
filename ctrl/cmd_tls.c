/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cmd_tls.c - rcptgatectl tls reload: new certificates without a restart
 * DESCRIPTION
 *	rcptgatectl tls reload [--if-configured]
 *
 *	Asks the daemon to re-read the files of its smtpd_tls_* keys, check
 *	them as at start-up and publish them to every worker; sessions that
 *	started before finish on the old certificates. Prints the workers,
 *	the old contexts still serving sessions and the time taken, and the
 *	daemon's warning (an expired certificate) when there is one. With
 *	--if-configured a daemon without STARTTLS is not an error (for a
 *	systemd ExecReload line that serves every configuration).
 * DIAGNOSTICS
 *	Exit 0 when the certificates were published (or, with
 *	--if-configured, STARTTLS is off); 1 with the daemon's reason on
 *	stderr when they were refused (the old ones keep serving) or the
 *	daemon could not be reached; 2 on usage errors.
 * TRUST
 *	The daemon's response is parsed with the protocol's bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rcptgate/ctl_proto.h>

#include "cli.h"

static void
tls_print(const struct ctl_reply *rep)
{
	const char *w = ctl_reply_get(rep, "workers");
	const char *old = ctl_reply_get(rep, "retired_serving");
	const char *ms = ctl_reply_get(rep, "ms");
	const char *warn = ctl_reply_get(rep, "warning");

	printf("certificates reloaded: %s workers, %s old contexts still serving sessions, %s ms\n",
	       w ? w : "?", old ? old : "?", ms ? ms : "?");
	if (warn != NULL)
		fprintf(stderr, "rcptgatectl: warning: %s\n", warn);
}

int
cli_cmd_tls(int argc, char **argv)
{
	bool if_configured = argc == 3 && strcmp(argv[2], "--if-configured") == 0;

	if ((argc != 2 && !if_configured) || strcmp(argv[1], "reload") != 0) {
		cli_usage("tls", 1);
		return 2;
	}
	struct ctl_reply *rep = cli_client_reply_new();
	if (rep == NULL)
		return 1;
	int fd = cli_client_connect();
	int rc = fd < 0 ? -1 : cli_client_call(fd, "tls op=reload", rep);
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		rc = 1;
	} else if (rep->ok) {
		tls_print(rep);
	} else if (if_configured &&
		   (strcmp(rep->err_name, "EOPNOTSUPP") == 0 || strcmp(rep->err_name, "ENOTSUP") == 0)) {
		printf("STARTTLS is not configured: no certificates to reload\n");
	} else {
		cli_client_print_err("tls", rep);
		rc = 1;
	}
	free(rep);
	return rc;
}
