/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_daemon.h - the daemon's control thread: control socket,
 *	recipient table loads and reloads, DPDK telemetry
 * DESCRIPTION
 *	The main lcore runs the control thread once the workers are
 *	launched: ctl_server_poll() sleeps in poll(2) on the control socket
 *	(never spins: the cores belong to the workers) and serves the
 *	requests of include/rcptgate/ctl_proto.h one at a time.
 *
 *	The recipient table is replaced, never edited: ctl_table_load()
 *	maps and fully verifies the new file, refuses one that shrank by
 *	more than reload_max_shrink unless forced, publishes it with one
 *	release store to dp_daemon.table, waits until every worker has
 *	passed a quiescent state (rte_rcu_qsbr) and only then unmaps the old
 *	one. A failed load leaves the serving table untouched.
 * DIAGNOSTICS
 *	Functions return 0 or a negative errno; reasons go to the caller's
 *	buffer (and to the control client). Start-up problems with the
 *	socket are the caller's to make fatal; a missing or bad table at
 *	start is logged loudly and the daemon serves without one (451).
 * TRUST
 *	Control requests are untrusted (ctl_req_parse checks them fully);
 *	table files are untrusted (tbl_open verifies them); the socket is
 *	mode 0600 (0660 with control_socket_group).
 */
#ifndef RG_CTL_DAEMON_H
#define RG_CTL_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <rcptgate/counters.h>
#include <rcptgate/ctl_proto.h>

#include "cidr.h"
#include "config.h"
#include "dictblock.h"

struct dp_daemon;
struct rte_ring;
struct ctl_server;
struct tbl;

/* What the control thread knows about the table serving. Written only
 * by the control thread; the telemetry thread reads the table counters
 * (dp_daemon.ctl_ctr), never this. */
struct ctl_table_state {
	struct tbl *cur;	      /* what dp_daemon.table points at (owned) */
	uint64_t generation;	      /* 0: nothing loaded yet; +1 per publication */
	char path[CFG_STR_MAX];	      /* file of cur, else the configured one */
	time_t loaded;		      /* wall clock of cur's publication */
	double last_ms;		      /* duration of the last successful load */
	char last_error[CFG_ERR_MAX]; /* reason of the last failed load, "" if none */
};

/* The dictionary-attack blocks (ctl_dict.c), the control thread's. */
struct ctl_dict_state {
	struct rte_ring *ring;	 /* workers -> control thread; NULL: dictionary_block_limit = 0 */
	struct dictblock blocks; /* the automatic entries and their expiry */
};

struct ctl_load_result {
	uint64_t generation;
	uint64_t entries;     /* addresses in the new table */
	uint64_t old_entries; /* in the table it replaced (0: none) */
	double ms;	      /* map + verify + publish + quiescence + unmap */
};

/*
 * ctl_table_start - load cfg.recipient_table (if set) before the workers
 * run. A missing, unreadable or corrupt table is logged as an error and
 * the daemon goes on with no table.
 *
 * Return: 0 when a table is serving, else the negative errno of the
 * failure (-ENOENT when none is configured); never fatal.
 */
int ctl_table_start(struct dp_daemon *d);

/*
 * ctl_table_load - replace the serving table with PATH (NULL: the path of
 * the serving table, else the configured one).
 *
 * @force: publish even when the table shrank by more than
 *	reload_max_shrink percent of its predecessor's addresses
 * @res: generation, entries and time taken, on success
 * @err: the reason on failure (ERRLEN bytes, always terminated)
 *
 * Return: 0; -ENOENT when no path is known; -ERANGE when the shrink
 * guard refused it; any error of tbl_open(). On failure the old table
 * keeps serving and table_reloads_failed counts it.
 */
int ctl_table_load(struct dp_daemon *d, const char *path, bool force, struct ctl_load_result *res, char *err,
		   size_t errlen);

/* ctl_table_fini - unmap the serving table; the workers must be stopped. */
void ctl_table_fini(struct dp_daemon *d);

/*
 * ctl_count_set, ctl_count_inc - the control thread's counters (the
 * workers read them with the rest: relaxed atomic stores).
 */
void ctl_count_set(struct dp_daemon *d, enum rg_counter c, uint64_t v);
void ctl_count_inc(struct dp_daemon *d, enum rg_counter c);

/*
 * ctl_rcu_wait - wait, sleeping, until every worker has passed a
 * quiescent state after now (then what they could read before may be
 * freed). Control thread only.
 */
void ctl_rcu_wait(struct dp_daemon *d);

/*
 * ctl_handle - parse the request line LINE[0..N) (without its LF), run it
 * against D and fill R: OK with lines, or ERR (a malformed, oversized or
 * unknown request is answered ERR and changes nothing). EOL is false for
 * input that ended, or filled the buffer, before an LF: never run, ERR
 * E2BIG when N >= CTL_REQ_MAX, else ERR EINVAL. Counts ctl_requests and
 * ctl_request_errors.
 */
void ctl_handle(struct dp_daemon *d, const char *line, size_t n, bool eol, struct ctl_resp *r);

/*
 * ctl_do_block - the control request "block op=add|del|list [cidr=]"
 * (ctl_block.c): change or list the pinned blocklist and, where the
 * workers apply it, rebuild their table. Fills R (OK or ERR).
 */
void ctl_do_block(struct dp_daemon *d, const struct ctl_req *req, struct ctl_resp *r);

/*
 * ctl_block_apply - add C (with REASON, RG_XDP_BLOCK_*) to, or delete it
 * from, the pinned blocklist, and where the workers apply it rebuild
 * their table of C's family (ctl_block.c).
 * @stored: set when the pinned list changed (even if the rebuild failed).
 *
 * Return: 0, or a negative errno: from the list (-ENOENT: del of a
 * prefix not there, -ENOSPC: full) or from the rebuild (*STORED true).
 */
int ctl_block_apply(struct dp_daemon *d, bool add, const struct rg_cidr *c, uint32_t reason, bool *stored);

/*
 * ctl_block_store, ctl_block_sync - ctl_block_apply in two steps, so that
 * many changes cost one rebuild: store changes the pinned list only
 * (return: 0 or its -errno); sync rebuilds and publishes the workers'
 * tables of the families in WHICH (XDP_LPM_V4, XDP_LPM_V6; see
 * ctl_block_family) where the workers apply the list (return: 0 or the
 * rebuild's -errno: the workers keep the old tables).
 */
int ctl_block_store(struct dp_daemon *d, bool add, const struct rg_cidr *c, uint32_t reason);
int ctl_block_sync(struct dp_daemon *d, unsigned which);

/* ctl_block_family - the XDP_LPM_V4 or XDP_LPM_V6 bit of C's family. */
unsigned ctl_block_family(const struct rg_cidr *c);

/*
 * ctl_dict_start - before the workers run: the ring they report clients
 * at dictionary_block_limit on (when the limit is set), the table of
 * automatic entries, and the automatic entries a previous run left
 * pinned, taken over for a whole dictionary_block_time (ctl_dict.c).
 *
 * Return: 0, -ENOMEM or -EINVAL.
 */
int ctl_dict_start(struct dp_daemon *d);

/*
 * ctl_dict_run - on the control thread, between polls: block the
 * clients the workers reported, release the entries whose time is up.
 *
 * Return: how long the thread may sleep, at most MAX_MS: until the next
 * entry expires.
 */
int ctl_dict_run(struct dp_daemon *d, int max_ms);

/*
 * ctl_dict_left - the seconds automatic entry C has left, or -1 when C
 * is not an automatic entry (a manual one).
 */
int64_t ctl_dict_left(const struct dp_daemon *d, const struct rg_cidr *c);

/*
 * ctl_dict_forget - C was deleted (RELEASED: logged and counted as a
 * release of an automatic entry) or made manual by rcptgatectl; no-op
 * when C is not an automatic entry.
 */
void ctl_dict_forget(struct dp_daemon *d, const struct rg_cidr *c, bool released);

/* ctl_dict_fini - free the ring and the table; the workers have stopped. */
void ctl_dict_fini(struct dp_daemon *d);

/*
 * ctl_do_tls - (tls op=reload) re-read the smtpd_tls_* files, build and
 * publish new contexts for every worker; a bad file is refused with its
 * reason and the old certificates keep serving (ctl_tls.c).
 */
void ctl_do_tls(struct dp_daemon *d, const struct ctl_req *req, struct ctl_resp *r);

/*
 * ctl_tls_reap - free the contexts a reload replaced whose sessions have
 * all ended; on the control thread, between polls of the socket.
 */
void ctl_tls_reap(struct dp_daemon *d);

/*
 * ctl_server_open - create the control socket cfg.control_socket (its
 * directory too, mode 0750, when missing), mode 0600 root, or 0660 with
 * group cfg.control_socket_group. A stale socket file is replaced; a
 * socket a live daemon answers on is not. With cfg.metrics_listen set,
 * also the metrics endpoint (ctl_metrics_open), polled with it.
 *
 * Return: 0 and *OUT, or -errno with ERR set: -ENAMETOOLONG (path),
 * -EADDRINUSE (another daemon), -ENOENT (unknown group), or what
 * socket/bind/listen/chown failed with (also metrics_listen's).
 */
int ctl_server_open(struct dp_daemon *d, struct ctl_server **out, char *err, size_t errlen);

/*
 * ctl_server_poll - sleep in poll(2) up to TIMEOUT_MS for control
 * clients and metrics_listen's, then serve what arrived: accept, read,
 * answer, write.
 *
 * Return: 0, also when a signal interrupted the sleep; -errno when
 * poll itself failed (not expected).
 */
int ctl_server_poll(struct ctl_server *cs, int timeout_ms);

/* ctl_server_close - close every client and the socket, remove the file. */
void ctl_server_close(struct ctl_server *cs);

/* ctl_now_ms - the control thread's clock: CLOCK_MONOTONIC in milliseconds. */
int64_t ctl_now_ms(void);

/*
 * ctl_send_pending - write BUF[*OFF..LEN) to the non-blocking socket FD
 * as far as it takes it, advancing *OFF.
 *
 * Return: true (all written, or the rest must wait for POLLOUT), false
 * when the peer is gone.
 */
bool ctl_send_pending(int fd, const char *buf, size_t *off, size_t len);

#define CTL_METRICS_CLIENTS 16 /* metrics_listen connections at once */

struct pollfd;
struct ctl_metrics;

/*
 * ctl_metrics_open - listen on cfg.metrics_listen for GET /metrics
 * (ctl_metrics.c); *OUT is NULL when it is not set. ctl_server_open
 * calls it: the control thread polls both.
 *
 * Return: 0, or -errno (bind, listen) with ERR set.
 */
int ctl_metrics_open(struct dp_daemon *d, struct ctl_metrics **out, char *err, size_t errlen);

/*
 * ctl_metrics_pollfds - close the connections past their time, then
 * fill PFD with the listener and each open connection (at most
 * 1 + CTL_METRICS_CLIENTS entries).
 *
 * Return: the entries filled (0 when M is NULL).
 */
unsigned ctl_metrics_pollfds(struct ctl_metrics *m, struct pollfd *pfd);

/* ctl_metrics_events - serve what poll reported on the entries ctl_metrics_pollfds filled. */
void ctl_metrics_events(struct ctl_metrics *m, const struct pollfd *pfd);

/* ctl_metrics_close - close every connection and the listener (NULL: nothing). */
void ctl_metrics_close(struct ctl_metrics *m);

/*
 * dp_telemetry_register - register the /rcptgate/... DPDK telemetry
 * commands (stats, status, counter) on D. Call after rte_eal_init.
 *
 * Return: 0, or the negative errno rte_telemetry_register_cmd gave.
 */
int dp_telemetry_register(struct dp_daemon *d);

#endif /* RG_CTL_DAEMON_H */
