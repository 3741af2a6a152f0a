/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	smtp_harness.h - drive the SMTP engine from tests, fuzzer and bench
 * DESCRIPTION
 *	A context with a test configuration, an in-memory table built from
 *	source lines, counters, a log sink that collects lines and a line
 *	buffer allocator that counts what is outstanding (so tests can check
 *	that every buffer came back). Header-only: each test program is a
 *	single file.
 * DIAGNOSTICS
 *	sh_init() returns -1 with a message on stderr when the configuration
 *	or the table cannot be built (a broken test, not a broken engine).
 * TRUST
 *	Test input only.
 */
#ifndef RG_SMTP_HARNESS_H
#define RG_SMTP_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/counters.h>

#include "anvil.h"
#include "config.h"
#include "msg.h"
#include "policy.h"
#include "smtp/smtp.h"
#include "table/tbl.h"

#define SH_BASE_CONFIG \
	"port_mode = af_packet\ninterface = lo\nlisten = 127.0.0.1\n" \
	"myhostname = mx.example.test\n"

struct sh {
	struct rg_config cfg;
	struct smtp_ctx ctx;
	struct tbl *tbl;
	const struct tbl *cur; /* what ctx.table points at */
	void *image;	       /* table file image */
	uint64_t ctr[RG_C_MAX];
	long bufs_out;	       /* line buffers not yet given back */
	long alloc_fail_after; /* allocations left before failing; < 0: never */
	char *log;	       /* collected log lines, "L: line\n" each */
	size_t log_len, log_cap;
};

static inline void *
sh_alloc(void *arg)
{
	struct sh *h = arg;

	if (h->alloc_fail_after == 0)
		return NULL;
	if (h->alloc_fail_after > 0)
		h->alloc_fail_after--;
	h->bufs_out++;
	return malloc(SMTP_LINEBUF_SIZE);
}

static inline void
sh_free(void *arg, void *buf)
{
	struct sh *h = arg;

	h->bufs_out--;
	free(buf);
}

static inline void
sh_append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = (*cap ? *cap : 256);
		while (c < *len + n + 1)
			c *= 2;
		char *nb = realloc(*buf, c);
		if (nb == NULL)
			abort();
		*buf = nb;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static inline void
sh_log(void *arg, const char *line)
{
	struct sh *h = arg;

	sh_append(&h->log, &h->log_len, &h->log_cap, "L: ", 3);
	sh_append(&h->log, &h->log_len, &h->log_cap, line, strlen(line));
	sh_append(&h->log, &h->log_len, &h->log_cap, "\n", 1);
}

/*
 * sh_init - context from CONFIG (extra "key = value" lines after the
 * base) and a table from TABLE (source lines; NULL: no table loaded).
 */
static inline int
sh_init(struct sh *h, const char *config, const char *table)
{
	char err[CFG_ERR_MAX];
	char text[8192];

	memset(h, 0, sizeof(*h));
	h->alloc_fail_after = -1;
	snprintf(text, sizeof(text), "%s%s", SH_BASE_CONFIG, config ? config : "");
	if (cfg_load_string(&h->cfg, "test.conf", text, strlen(text), err, sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	if (table != NULL) {
		struct tbl_builder *b =
			tbl_builder_new(h->cfg.local_part_case_sensitive ? RG_ADDR_F_CASE_EXACT : 0);
		size_t len;
		const char *p = table;
		while (b != NULL && *p != '\0') {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			if (tbl_builder_add_line(b, p, n, err, sizeof(err)) < 0) {
				fprintf(stderr, "table: %s\n", err);
				tbl_builder_free(b);
				return -1;
			}
			p += n + (nl != NULL);
		}
		if (b == NULL || tbl_builder_finish(b, &h->image, &len, err, sizeof(err)) < 0 ||
		    tbl_open_buffer(h->image, len, &h->tbl, err, sizeof(err)) < 0) {
			fprintf(stderr, "table: %s\n", b ? err : "no memory");
			tbl_builder_free(b);
			return -1;
		}
		tbl_builder_free(b);
	}
	h->cur = h->tbl;
	h->ctx.cfg = &h->cfg;
	policy_conf_from_config(&h->ctx.policy, &h->cfg);
	h->ctx.table = &h->cur;
	h->ctx.ctr = h->ctr;
	h->ctx.log = sh_log;
	h->ctx.log_arg = h;
	h->ctx.buf_alloc = sh_alloc;
	h->ctx.buf_free = sh_free;
	h->ctx.buf_arg = h;
	h->ctx.tls_ready = true; /* the transcripts say when it is not */
	/* client limits for sessions opened with smtp_session_open() */
	struct anvil_params ap;
	anvil_params_from_config(&ap, &h->cfg, 1, UINT64_C(0x5eed));
	if (anvil_wanted(&h->cfg) && anvil_create(&ap, h->ctr, &h->ctx.anvil) != 0)
		return -1;
	return smtp_ctx_prepare(&h->ctx);
}

static inline void
sh_fini(struct sh *h)
{
	anvil_destroy(h->ctx.anvil);
	h->ctx.anvil = NULL;
	tbl_close(h->tbl);
	free(h->image);
	free(h->log);
	h->tbl = NULL;
	h->image = NULL;
	h->log = NULL;
}

#endif /* RG_SMTP_HARNESS_H */
