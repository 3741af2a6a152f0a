/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cmd_block.c - rcptgatectl block: the source blocklist
 * DESCRIPTION
 *	rcptgatectl block add CIDR...
 *	rcptgatectl block del CIDR...
 *	rcptgatectl block list [--json]
 *
 *	CIDR is an IPv4 or IPv6 address (a host) or prefix. The daemon
 *	keeps the list pinned under its bpf_pin_dir and applies it at once:
 *	in its XDP program (af_xdp with xdp_object), else in the workers.
 *	SMTP from a blocked source is dropped; other services are not
 *	affected. add and del send one request per CIDR and print the
 *	prefix as stored (host bits cleared); list prints one per line
 *	with its reason: "manual" (block add, until deleted) or
 *	"dictionary Ns left" (dictionary_block_limit; released after
 *	dictionary_block_time, or by del). --json prints the list as one
 *	JSON array of {"cidr", "reason"[, "expires_in" seconds]} objects.
 * DIAGNOSTICS
 *	Exit 0 when every request succeeded; 1 with the daemon's reason on
 *	stderr for each one that did not (bad CIDR, del of a prefix not in
 *	the list, list full) or when the daemon cannot be reached; 2 on
 *	usage errors.
 * TRUST
 *	The daemon checks each CIDR; its response is parsed with the
 *	protocol's bounds.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/ctl_proto.h>

#include "cli.h"

/* Print V as a JSON string: the daemon's values are printable ASCII. */
static void
block_json_str(const char *v)
{
	putchar('"');
	for (; *v; v++)
		printf(*v == '"' || *v == '\\' ? "\\%c" : "%c", *v);
	putchar('"');
}

/* One "PREFIX REASON [SECONDS]" of the list, for people or as JSON (FIRST: the first entry). */
static void
block_print_entry(const char *v, bool json, bool first)
{
	char prefix[64], reason[32];
	unsigned long long left;
	int n = sscanf(v, "%63s %31s %llu", prefix, reason, &left);

	if (!json) {
		if (n == 3)
			printf("%s %s %llus left\n", prefix, reason, left);
		else
			printf("%s\n", v); /* as the daemon said it */
		return;
	}
	printf("%s\n  {\"cidr\": ", first ? "" : ",");
	block_json_str(n >= 1 ? prefix : v);
	if (n >= 2) {
		printf(", \"reason\": ");
		block_json_str(reason);
	}
	if (n == 3)
		printf(", \"expires_in\": %llu", left);
	putchar('}');
}

static int
block_one(struct ctl_reply *rep, const char *op, const char *cidr, bool json)
{
	char req[CTL_REQ_MAX];
	unsigned listed = 0;

	snprintf(req, sizeof(req), "block op=%s", op);
	if (cidr != NULL && cli_client_arg(req, sizeof(req), "cidr", cidr) < 0) {
		fprintf(stderr, "rcptgatectl: block: '%.64s...' is too long\n", cidr);
		return 1;
	}
	int rc = cli_client_request("block", req, rep);
	if (rc == 0 && json)
		putchar('[');
	for (unsigned i = 0; rc == 0 && i < rep->n; i++) {
		if (strcmp(rep->kv[i].key, "cidr") != 0)
			continue;
		if (cidr == NULL)
			block_print_entry(rep->kv[i].value, json, listed++ == 0);
		else
			printf("%s %s\n", strcmp(op, "add") == 0 ? "blocked" : "unblocked", rep->kv[i].value);
	}
	if (rc == 0 && json)
		printf("%s]\n", listed ? "\n" : "");
	return rc;
}

int
cli_cmd_block(int argc, char **argv)
{
	bool json = argc == 3 && strcmp(argv[2], "--json") == 0;
	int list = (argc == 2 || json) && strcmp(argv[1], "list") == 0;
	int change = argc >= 3 && (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0);

	if (!list && !change) {
		cli_usage("block", 1);
		return 2;
	}
	struct ctl_reply *rep = cli_client_reply_new();
	if (rep == NULL)
		return 1;
	int rc = 0;
	if (list)
		rc = block_one(rep, "list", NULL, json);
	for (int i = 2; change && i < argc; i++)
		rc |= block_one(rep, argv[1], argv[i], false);
	free(rep);
	return rc;
}
