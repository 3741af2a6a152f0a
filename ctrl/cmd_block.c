/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	cmd_block.c - rcptgatectl block: the source blocklist
 * DESCRIPTION
 *	rcptgatectl block add CIDR...
 *	rcptgatectl block del CIDR...
 *	rcptgatectl block list
 *
 *	CIDR is an IPv4 or IPv6 address (a host) or prefix. The daemon
 *	keeps the list pinned under its bpf_pin_dir and applies it at once:
 *	in its XDP program (af_xdp with xdp_object), else in the workers.
 *	SMTP from a blocked source is dropped; other services are not
 *	affected. add and del send one request per CIDR and print the
 *	prefix as stored (host bits cleared); list prints one per line
 *	with its reason: "manual" (block add, until deleted) or
 *	"dictionary Ns left" (dictionary_block_limit; released after
 *	dictionary_block_time, or by del).
 * DIAGNOSTICS
 *	Exit 0 when every request succeeded; 1 with the daemon's reason on
 *	stderr for each one that did not (bad CIDR, del of a prefix not in
 *	the list, list full) or when the daemon cannot be reached; 2 on
 *	usage errors.
 * TRUST
 *	The daemon checks each CIDR; its response is parsed with the
 *	protocol's bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/ctl_proto.h>

#include "cli.h"

/* One "PREFIX REASON [SECONDS]" of the list, for people. */
static void
block_print_entry(const char *v)
{
	char prefix[64], reason[32];
	unsigned long long left;
	int n = sscanf(v, "%63s %31s %llu", prefix, reason, &left);

	if (n == 3)
		printf("%s %s %llus left\n", prefix, reason, left);
	else
		printf("%s\n", v); /* as the daemon said it */
}

static int
block_one(struct ctl_reply *rep, const char *op, const char *cidr)
{
	char req[CTL_REQ_MAX];

	snprintf(req, sizeof(req), "block op=%s", op);
	if (cidr != NULL && cli_client_arg(req, sizeof(req), "cidr", cidr) < 0) {
		fprintf(stderr, "rcptgatectl: block: '%.64s...' is too long\n", cidr);
		return 1;
	}
	int rc = cli_client_request("block", req, rep);
	for (unsigned i = 0; rc == 0 && i < rep->n; i++) {
		if (strcmp(rep->kv[i].key, "cidr") != 0)
			continue;
		if (cidr == NULL)
			block_print_entry(rep->kv[i].value);
		else
			printf("%s %s\n", strcmp(op, "add") == 0 ? "blocked" : "unblocked", rep->kv[i].value);
	}
	return rc;
}

int
cli_cmd_block(int argc, char **argv)
{
	int list = argc == 2 && strcmp(argv[1], "list") == 0;
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
		rc = block_one(rep, "list", NULL);
	for (int i = 2; change && i < argc; i++)
		rc |= block_one(rep, argv[1], argv[i]);
	free(rep);
	return rc;
}
