/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_cmds.c - what the daemon does for each control request
 * DESCRIPTION
 *	One handler per verb of include/rcptgate/ctl_proto.h, in a table
 *	indexed by the verb. The request is already fully checked by
 *	ctl_req_parse(); a handler fills an OK response with "key value"
 *	lines, or turns it into ERR.
 *
 *	check runs a real SMTP session of the engine (dataplane/core/smtp) on
 *	the current table: EHLO, MAIL FROM, RCPT TO, so its answer is the
 *	one the wire would give now, from the same code. Its counters go
 *	to a scratch array and its reject log line is dropped, so a check
 *	never shows in the statistics or in fail2ban's log.
 * DIAGNOSTICS
 *	Errors are replies to the client; reloads also log (ctl_table.c).
 * TRUST
 *	Requests come checked by ctl_req_parse (bounded, no control octets).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rcptgate/counters.h>

#include "ctl/ctl_daemon.h"
#include "daemon.h"
#include "smtp/smtp.h"
#include "table/tbl.h"

typedef void (*ctl_handler)(struct dp_daemon *d, const struct ctl_req *req, struct ctl_resp *r);

static void
ctl_do_ping(struct dp_daemon *d, const struct ctl_req *req, struct ctl_resp *r)
{
	(void)d;
	(void)req;
	ctl_resp_add(r, "version", "%s", RG_VERSION);
}

static const char *
ctl_port_device(const struct rg_config *cfg)
{
	switch (cfg->port_mode) {
	case CFG_PORT_PCI:
		return cfg->pci_address;
	case CFG_PORT_MEMIF:
		return cfg->memif_socket;
	default:
		return cfg->interface;
	}
}

static void
ctl_do_status(struct dp_daemon *d, const struct ctl_req *req, struct ctl_resp *r)
{
	const struct ctl_table_state *ts = &d->tables;
	time_t now = time(NULL);
	char listen[CFG_LISTEN_STR_MAX], lcores[RG_MAX_WORKERS * 6 + 1];
	size_t off = 0;

	(void)req;
	lcores[0] = '\0';
	for (unsigned w = 0; w < d->n_workers && off < sizeof(lcores); w++)
		off += (size_t)snprintf(lcores + off, sizeof(lcores) - off, "%s%u", w ? "," : "",
					d->lcores[w]->lcore_id);
	ctl_resp_add(r, "version", "%s", RG_VERSION);
	ctl_resp_add(r, "pid", "%ld", (long)getpid());
	ctl_resp_add(r, "started", "%lld", (long long)d->started);
	ctl_resp_add(r, "uptime_seconds", "%lld", (long long)(now - d->started));
	ctl_resp_add(r, "config", "%s", d->cfg.path);
	ctl_resp_add(r, "port_mode", "%s", cfg_port_mode_name(d->cfg.port_mode));
	ctl_resp_add(r, "port_device", "%s", ctl_port_device(&d->cfg));
	ctl_resp_add(r, "listen", "%s", cfg_listen_str(&d->cfg, listen, sizeof(listen)));
	ctl_resp_add(r, "workers", "%u", d->n_workers);
	ctl_resp_add(r, "worker_lcores", "%s", lcores);
	ctl_resp_add(r, "table", "%s", ts->cur ? "loaded" : "none");
	ctl_resp_add(r, "table_path", "%s", ts->path[0] ? ts->path : "-");
	ctl_resp_add(r, "table_generation", "%" PRIu64, ts->generation);
	if (ts->cur != NULL) {
		ctl_resp_add(r, "table_entries", "%" PRIu64, tbl_n_addresses(ts->cur));
		ctl_resp_add(r, "table_domains", "%" PRIu64, tbl_n_domains(ts->cur));
		ctl_resp_add(r, "table_catchall", "%" PRIu64, tbl_n_catchall(ts->cur));
		ctl_resp_add(r, "table_bytes", "%" PRIu64, tbl_size(ts->cur));
		ctl_resp_add(r, "table_loaded", "%lld", (long long)ts->loaded);
		ctl_resp_add(r, "table_age_seconds", "%lld", (long long)(now - ts->loaded));
		ctl_resp_add(r, "table_load_ms", "%.3f", ts->last_ms);
	}
	if (ts->last_error[0] != '\0')
		ctl_resp_add(r, "table_last_error", "%s", ts->last_error);
}

static void
ctl_do_stats(struct dp_daemon *d, const struct ctl_req *req, struct ctl_resp *r)
{
	const char *worker = req->arg[CTL_K_WORKER];
	uint64_t sum[RG_C_MAX];

	if (worker == NULL) {
		dp_counters_sum(d, sum);
	} else {
		/* one worker's own counters: what the control, relay and XDP
		 * sides count is in the sum only */
		uint64_t w;
		const char *end;
		if (cfg_parse_u64(worker, &w, &end) != 0 || *end != '\0') {
			ctl_resp_error(r, -EINVAL, "worker=%s: not a worker number", worker);
			return;
		}
		if (w >= d->n_workers) {
			ctl_resp_error(r, -ENOENT, "no worker %" PRIu64 " (the daemon has %u)", w,
				       d->n_workers);
			return;
		}
		dp_counters_worker(d, (unsigned)w, sum);
	}
	for (unsigned c = 0; c < RG_C_MAX; c++)
		ctl_resp_add(r, rg_counter_info[c].name, "%" PRIu64, sum[c]);
}

static void
ctl_do_reload(struct dp_daemon *d, const struct ctl_req *req, struct ctl_resp *r)
{
	const char *force = req->arg[CTL_K_FORCE];
	struct ctl_load_result res;
	char err[CFG_ERR_MAX];

	int rc = ctl_table_load(d, req->arg[CTL_K_PATH], force && force[0] == '1', &res, err, sizeof(err));
	if (rc < 0) {
		ctl_resp_error(r, rc, "%s", err);
		return;
	}
	ctl_resp_add(r, "path", "%s", d->tables.path);
	ctl_resp_add(r, "generation", "%" PRIu64, res.generation);
	ctl_resp_add(r, "entries", "%" PRIu64, res.entries);
	ctl_resp_add(r, "previous_entries", "%" PRIu64, res.old_entries);
	ctl_resp_add(r, "ms", "%.3f", res.ms);
}

/* Check: a private SMTP session of the engine. */

struct ctl_check {
	struct smtp_ctx ctx;
	struct smtp_session s;
	uint64_t scratch[RG_C_MAX]; /* its counters: not the daemon's */
	struct smtp_out out;
	char outbuf[4096];
};

static void
ctl_check_nolog(void *arg, const char *line)
{
	(void)arg;
	(void)line;
}

/*
 * Feed the command CMD (CRLF added) and put the first line of the reply,
 * without CRLF, in the response under KEY. Return the reply code.
 */
static unsigned
ctl_check_step(struct ctl_check *c, const char *key, const char *cmd, struct ctl_resp *r)
{
	char line[SMTP_CMD_MAX + CTL_VALUE_MAX + 16];
	size_t consumed = 0;
	int n = snprintf(line, sizeof(line), "%s\r\n", cmd);

	c->out.len = 0;
	if (n < 0 || (size_t)n >= sizeof(line))
		return 0;
	(void)smtp_session_input(&c->s, (const uint8_t *)line, (size_t)n, &consumed, &c->out);
	size_t len = 0;
	while (len < c->out.len && c->out.buf[len] != '\r' && c->out.buf[len] != '\n')
		len++;
	ctl_resp_add(r, key, "%.*s", (int)len, c->out.buf);
	if (len < 3)
		return 0;
	return (unsigned)(c->out.buf[0] - '0') * 100 + (unsigned)(c->out.buf[1] - '0') * 10 +
		(unsigned)(c->out.buf[2] - '0');
}

static void
ctl_do_check(struct dp_daemon *d, const struct ctl_req *req, struct ctl_resp *r)
{
	static struct ctl_check c; /* control thread only; 4 KiB off the stack */
	const char *helo = req->arg[CTL_K_HELO] ? req->arg[CTL_K_HELO] : "localhost";
	const char *from = req->arg[CTL_K_FROM] ? req->arg[CTL_K_FROM] : "";
	const char *client = req->arg[CTL_K_CLIENT] ? req->arg[CTL_K_CLIENT] : "127.0.0.1";
	char cmd[SMTP_CMD_MAX + CTL_VALUE_MAX];

	memset(&c, 0, sizeof(c));
	c.ctx.cfg = &d->cfg;
	policy_conf_from_config(&c.ctx.policy, &d->cfg);
	c.ctx.table = &d->table;
	c.ctx.ctr = c.scratch;
	c.ctx.now = (uint64_t)time(NULL);
	c.ctx.log = ctl_check_nolog;
	if (smtp_ctx_prepare(&c.ctx) < 0) {
		ctl_resp_error(r, EINVAL, "cannot prepare an SMTP session");
		return;
	}
	c.out.buf = c.outbuf;
	c.out.cap = sizeof(c.outbuf);
	smtp_session_init(&c.s, &c.ctx, client);
	(void)smtp_session_banner(&c.s, &c.out);

	ctl_resp_add(r, "client", "%s", client);
	ctl_resp_add(r, "table_generation", "%" PRIu64, d->tables.generation);
	snprintf(cmd, sizeof(cmd), "EHLO %s", helo);
	ctl_check_step(&c, "ehlo_reply", cmd, r);
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>", from);
	ctl_check_step(&c, "mail_reply", cmd, r);
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", req->arg[CTL_K_RCPT]);
	unsigned code = ctl_check_step(&c, "rcpt_reply", cmd, r);
	ctl_resp_add(r, "rcpt_code", "%u", code);
	smtp_session_fini(&c.s);
}

static const ctl_handler ctl_handlers[CTL_V_MAX] = {
	[CTL_V_PING] = ctl_do_ping,   [CTL_V_STATUS] = ctl_do_status,
	[CTL_V_STATS] = ctl_do_stats, [CTL_V_RELOAD] = ctl_do_reload,
	[CTL_V_CHECK] = ctl_do_check, [CTL_V_BLOCK] = ctl_do_block, /* ctl_block.c */
	[CTL_V_TLS] = ctl_do_tls,				    /* ctl_tls.c */
};

void
ctl_handle(struct dp_daemon *d, const char *line, size_t n, bool eol, struct ctl_resp *r)
{
	struct ctl_req req;
	char err[CTL_ERR_MAX];

	ctl_resp_init(r);
	int rc = ctl_req_parse(line, n, &req, err, sizeof(err));
	if (rc == 0 && !eol) {
		rc = -EINVAL;
		snprintf(err, sizeof(err), "request not ended by LF");
	}
	if (rc < 0)
		ctl_resp_error(r, rc, "%s", err);
	else
		ctl_handlers[req.verb](d, &req, r);
	__atomic_store_n(&d->ctl_ctr[RG_C_CTL_REQUESTS], d->ctl_ctr[RG_C_CTL_REQUESTS] + 1, __ATOMIC_RELAXED);
	if (r->error)
		__atomic_store_n(&d->ctl_ctr[RG_C_CTL_ERRORS], d->ctl_ctr[RG_C_CTL_ERRORS] + 1,
				 __ATOMIC_RELAXED);
}
