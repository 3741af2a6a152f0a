/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cmd_check.c - rcptgatectl check: what the wire would answer
 * DESCRIPTION
 *	rcptgatectl [-c CONFIG] check --table FILE ADDR...
 *	rcptgatectl [-s SOCKET] check [--client IP] [--helo NAME] [--from ADDR] ADDR...
 *
 *	For each ADDR (with or without its angle brackets) prints the reply
 *	rcptgate gives to "RCPT TO:<ADDR>".
 *
 *	With --table it is computed here by the dataplane's own
 *	policy_rcpt() on the table FILE; reply codes, recipient_delimiter,
 *	relay_domains and soft_bounce come from the configuration when -c is
 *	given, else from the built-in defaults.
 *
 *	Without --table the running daemon answers (control request
 *	"check"): it runs an SMTP session of its engine on the table
 *	serving now (EHLO NAME, MAIL FROM:<ADDR>, RCPT TO:<ADDR>, as client
 *	IP), so the reply is exactly what the wire would send.
 * DIAGNOSTICS
 *	Exit 0 when every address was accepted, 1 when any was refused or
 *	the table could not be opened (its reason on stderr; the replies
 *	then show the 451 the daemon would give), 2 on usage errors.
 * TRUST
 *	Addresses are treated like network input.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rcptgate/ctl_proto.h>

#include "config.h"
#include "cli.h"
#include "policy.h"
#include "smtp/smtp.h"
#include "table/tbl.h"

/*
 * Ask the daemon about each of ADDRS[0..N) over one connection; ARGS
 * holds the " client=... helo=... from=..." part of the request.
 */
static int
check_daemon(char **addrs, int n, const char *args)
{
	struct ctl_reply *rep = cli_client_reply_new();
	int fd = rep ? cli_client_connect() : -1;
	int rc = 0;

	for (int i = 0; fd >= 0 && i < n; i++) {
		const char *a = addrs[i];
		size_t len = strlen(a);
		char req[CTL_REQ_MAX], addr[CTL_VALUE_MAX];
		if (len >= 2 && a[0] == '<' && a[len - 1] == '>') {
			a++;
			len -= 2;
		}
		snprintf(addr, sizeof(addr), "%.*s", (int)len, a);
		snprintf(req, sizeof(req), "check%s", args);
		if (cli_client_arg(req, sizeof(req), "rcpt", addr) < 0 || cli_client_call(fd, req, rep) < 0) {
			rc = 1;
			break;
		}
		if (!rep->ok) {
			cli_client_print_err("check", rep);
			rc = 1;
			continue;
		}
		const char *mail = ctl_reply_get(rep, "mail_reply");
		const char *rcpt = ctl_reply_get(rep, "rcpt_reply");
		const char *code = ctl_reply_get(rep, "rcpt_code");
		if (mail != NULL && mail[0] != '2')
			fprintf(stderr, "rcptgatectl: check: MAIL FROM got: %s\n", mail);
		printf("%s\n", rcpt ? rcpt : "?");
		if (code == NULL || code[0] != '2')
			rc = 1;
	}
	if (fd >= 0)
		close(fd);
	else
		rc = 1;
	free(rep);
	return rc;
}

int
cli_cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "table", required_argument, NULL, 't' },
		{ "client", required_argument, NULL, 'C' },
		{ "helo", required_argument, NULL, 'H' },
		{ "from", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct rg_config cfg;
	struct policy_conf pc;
	const char *table = NULL;
	char err[CFG_ERR_MAX];
	char args[CTL_REQ_MAX] = "";
	int opt;

	while ((opt = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
		int rc = 0;
		switch (opt) {
		case 't':
			table = optarg;
			break;
		case 'C':
			rc = cli_client_arg(args, sizeof(args), "client", optarg);
			break;
		case 'H':
			rc = cli_client_arg(args, sizeof(args), "helo", optarg);
			break;
		case 'F':
			rc = cli_client_arg(args, sizeof(args), "from", optarg);
			break;
		default:
			cli_usage("check", 1);
			return 2;
		}
		if (rc < 0)
			return 2;
	}
	if (optind >= argc || (table != NULL && args[0] != '\0')) {
		cli_usage("check", 1);
		return 2;
	}
	if (table == NULL)
		return check_daemon(argv + optind, argc - optind, args);
	cfg_defaults(&cfg);
	if (cli_config_path != NULL && cfg_load(&cfg, cli_config_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "rcptgatectl: %s\n", err);
		return 1;
	}
	policy_conf_from_config(&pc, &cfg);

	struct tbl *t = NULL;
	int rc = 0;
	if (tbl_open(table, &t, err, sizeof(err)) != 0) {
		fprintf(stderr, "rcptgatectl: %s\n", err);
		rc = 1;
	}
	for (int i = optind; i < argc; i++) {
		const char *a = argv[i];
		size_t n = strlen(a);
		struct policy_result res;
		if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
			a++;
			n -= 2;
		}
		policy_rcpt(&pc, t, a, n, &res);
		if (cfg.soft_bounce)
			smtp_soft_bounce(res.reply, res.len); /* as the engine sends it */
		/* the reply without its CRLF */
		printf("%.*s\n", (int)(res.len >= 2 ? res.len - 2 : res.len), res.reply);
		if (res.verdict != POLICY_ACCEPT)
			rc = 1;
	}
	tbl_close(t);
	return rc;
}
