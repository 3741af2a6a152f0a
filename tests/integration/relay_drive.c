/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	relay_drive - play the workers' side of the relay against a real backend
 * SYNOPSIS
 *	relay_drive smtp|lmtp HOST PORT [REPLY_TIMEOUT_MS] < script
 * DESCRIPTION
 *	Feeds relay_io (the relay thread's engine) the requests the SMTP
 *	engine's relay hook would make, and prints every reply the clients
 *	would get, one line per step: "SLOT STEP REPLY". Script lines:
 *	  R SLOT FROM TO [HELO]  a recipient the policy accepted (the first
 *	                         of a transaction carries the envelope)
 *	  D SLOT FILE            DATA, FILE's bytes as message chunks (as
 *	                         received: dot-stuffed, CRLF, no end marker),
 *	                         then the end of the message
 *	  A SLOT FILE            the same, but the engine refuses it at the end
 *	  X SLOT                 RSET
 *	  C SLOT                 end of the session
 *	At most 32 chunks are in flight per session, as a worker bounds
 *	them: a slow backend stalls the sender, nothing piles up.
 *	Used by the relay_* integration tests.
 * DIAGNOSTICS
 *	Exit 0 when the script ran, 2 on usage or set-up errors, 3 when a
 *	reply did not come within 60 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/counters.h>

#include "relay/relay_io.h"

#define SLOTS 64
#define MAX_INFLIGHT 32

static struct relay_io *io;
static char last[SLOTS][RELAY_REPLY_MAX + 1];
static int got[SLOTS];
static int closed[SLOTS];
static unsigned inflight[SLOTS];
static bool in_txn[SLOTS];
static uint64_t ctr[RG_C_MAX];

static void
reply(void *arg, uint16_t worker, uint32_t slot, enum relay_rsp_type type, const char *text, size_t n)
{
	(void)arg;
	(void)worker;
	if (type == RELAY_RSP_CLOSED) {
		closed[slot] = 1;
		return;
	}
	if (n > RELAY_REPLY_MAX)
		n = RELAY_REPLY_MAX;
	memcpy(last[slot], text, n);
	last[slot][n] = '\0';
	got[slot]++;
}

static void
free_req(void *arg, struct relay_req *r)
{
	(void)arg;
	if (r->type == RELAY_REQ_CHUNK)
		inflight[r->slot]--;
	free(r);
}

static struct relay_req *
req(int type, unsigned slot)
{
	struct relay_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		exit(2);
	r->type = (uint8_t)type;
	r->slot = slot;
	return r;
}

/* Run until FLAG[slot] > BEFORE; print the reply as STEP. */
static void
wait_for(int *flag, int before, unsigned slot, const char *step)
{
	for (int i = 0; i < 600 && flag[slot] <= before; i++)
		relay_io_run(io, 100);
	if (flag[slot] <= before) {
		printf("%u %s TIMEOUT\n", slot, step);
		exit(3);
	}
	if (flag == got) {
		size_t n = strlen(last[slot]);
		while (n > 0 && (last[slot][n - 1] == '\n' || last[slot][n - 1] == '\r'))
			last[slot][--n] = '\0';
		printf("%u %s %s\n", slot, step, last[slot]);
		fflush(stdout);
	}
}

static void
message(unsigned slot, const char *path, bool ok)
{
	FILE *f = fopen(path, "rb");
	int before = got[slot];

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	relay_io_submit(io, req(RELAY_REQ_DATA, slot));
	for (;;) {
		while (inflight[slot] >= MAX_INFLIGHT)
			relay_io_run(io, 100);
		struct relay_req *r = req(RELAY_REQ_CHUNK, slot);
		size_t n = fread(r->u.data, 1, RELAY_CHUNK, f);
		if (n == 0) {
			free(r);
			break;
		}
		r->len = (uint32_t)n;
		inflight[slot]++;
		relay_io_submit(io, r);
	}
	fclose(f);
	struct relay_req *e = req(RELAY_REQ_END, slot);
	e->u.ok = ok;
	relay_io_submit(io, e);
	in_txn[slot] = false;
	if (ok)
		wait_for(got, before, slot, "END");
	else
		while (inflight[slot] > 0)
			relay_io_run(io, 100);
}

int
main(int argc, char **argv)
{
	struct relay_params p = {
		.myname = "gate.test.example",
		.n_workers = 1,
		.slots = SLOTS,
		.connect_timeout_ms = 5000,
		.reply_timeout_ms = 10000,
		.pool_max = 8,
		.pool_idle_ms = 10000,
		.reply = reply,
		.free_req = free_req,
		.ctr = ctr,
	};
	char line[1024];

	if (argc < 4) {
		fprintf(stderr, "usage: relay_drive smtp|lmtp HOST PORT [REPLY_TIMEOUT_MS] < script\n");
		return 2;
	}
	p.proto = strcmp(argv[1], "lmtp") == 0 ? RELAY_LMTP : RELAY_SMTP;
	p.backend_host = argv[2];
	if (argc > 4)
		p.reply_timeout_ms = (uint32_t)atoi(argv[4]);
	if (relay_backend_addr(&p, argv[2], (uint16_t)atoi(argv[3])) < 0 || relay_io_create(&p, &io) < 0) {
		fprintf(stderr, "relay_drive: bad backend or no epoll\n");
		return 2;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char op, a[400] = "", b[400] = "", c[300] = "";
		unsigned slot;
		if (sscanf(line, "%c %u %399s %399s %299s", &op, &slot, a, b, c) < 2 || slot >= SLOTS)
			continue;
		int before = got[slot];
		if (op == 'R') {
			struct relay_req *r = req(RELAY_REQ_RCPT, slot);
			if (!in_txn[slot]) {
				r->u.rcpt.has_env = true;
				strcpy(r->u.rcpt.env.client_ip, "192.0.2.7");
				snprintf(r->u.rcpt.env.helo, sizeof(r->u.rcpt.env.helo), "%s",
					 c[0] ? c : "client.test.example");
				r->u.rcpt.env.esmtp = true;
				snprintf(r->u.rcpt.env.from, sizeof(r->u.rcpt.env.from), "%s",
					 strcmp(a, "<>") == 0 ? "" : a);
				in_txn[slot] = true;
			}
			r->len = (uint32_t)snprintf(r->u.rcpt.to, sizeof(r->u.rcpt.to), "%s", b);
			relay_io_submit(io, r);
			wait_for(got, before, slot, "RCPT");
		} else if (op == 'D' || op == 'A') {
			message(slot, a, op == 'D');
		} else if (op == 'X') {
			relay_io_submit(io, req(RELAY_REQ_RSET, slot));
			in_txn[slot] = false;
		} else if (op == 'C') {
			closed[slot] = 0;
			relay_io_submit(io, req(RELAY_REQ_CLOSE, slot));
			in_txn[slot] = false;
			wait_for(closed, 0, slot, "CLOSE");
		}
	}
	for (int i = 0; i < 5; i++)
		relay_io_run(io, 20);
	relay_io_destroy(io);
	for (int i = 0; i < RG_C_MAX; i++)
		if (ctr[i] != 0 && strncmp(rg_counter_info[i].name, "relay_", 6) == 0)
			fprintf(stderr, "%s %llu\n", rg_counter_info[i].name, (unsigned long long)ctr[i]);
	return 0;
}
