/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	config.h - rcptgate configuration file
 * DESCRIPTION
 *	The configuration is a file of "key = value" lines; "#" starts a
 *	comment, blank lines are ignored. Key names follow Postfix where the
 *	meaning is the same. Every key is listed once in the table in
 *	config.c (name, type, bounds, default, where it is stored);
 *	docs/configuration.md documents each one and a test checks the two
 *	agree.
 *
 *	Plain C, no DPDK: used by the daemon, by rcptgatectl (check) and by
 *	the tests.
 * DIAGNOSTICS
 *	Every problem (unknown key, bad value, duplicate key, missing
 *	required key, inconsistent keys) is reported as "FILE:LINE: message"
 *	in the caller's error buffer; the configuration is then unusable.
 */
#ifndef RG_CONFIG_H
#define RG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "cidr.h"

#define CFG_STR_MAX 256		/* longest string value */
#define CFG_DOMAINS_MAX 64	/* relay_domains entries */
#define CFG_ERR_MAX 512		/* size of an error message buffer */
#define CFG_KEYS_MAX 64		/* keys the parser knows, at most */
#define CFG_SYSLOG_NAME_MAX 64	/* octets of syslog_name */
#define CFG_SOCKET_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path), checked in maillog.c */
#define CFG_CIDRS_MAX 64	/* prefixes of a list of them */

enum cfg_port_mode { CFG_PORT_NONE, CFG_PORT_AF_XDP, CFG_PORT_AF_PACKET, CFG_PORT_MEMIF, CFG_PORT_PCI };

/* Which end of the memif link rcptgate is (memif_role). */
enum cfg_memif_role { CFG_MEMIF_SERVER, CFG_MEMIF_CLIENT };

/* An address and port of a kernel socket (metrics_listen). */
struct cfg_hostport {
	int family; /* 0: not set; AF_INET or AF_INET6 */
	struct in_addr a4;
	struct in6_addr a6;
	uint16_t port; /* host order */
};

enum cfg_backend_proto { CFG_BACKEND_NONE, CFG_BACKEND_SMTP, CFG_BACKEND_LMTP };

/* smtpd_tls_security_level, as Postfix: none, may (offer STARTTLS),
 * encrypt (and require it before MAIL). */
enum cfg_tls_level { CFG_TLS_NONE, CFG_TLS_MAY, CFG_TLS_ENCRYPT };

/* inet_protocols, as Postfix: a set of address families served. */
enum { CFG_INET_IPV4 = 1, CFG_INET_IPV6 = 2, CFG_INET_ALL = 3 };

struct cfg_backend {
	enum cfg_backend_proto proto;
	char host[CFG_STR_MAX];
	uint16_t port;
};

struct rg_config {
	char path[CFG_STR_MAX]; /* file it was read from */

	/* SMTP and policy */
	char myhostname[CFG_STR_MAX];
	char relay_domains[CFG_DOMAINS_MAX][CFG_STR_MAX];
	unsigned n_relay_domains;
	char recipient_table[CFG_STR_MAX];
	char recipient_delimiter[32]; /* a set of characters; "" = none */
	bool local_part_case_sensitive;
	bool soft_bounce;
	unsigned unknown_recipient_reject_code; /* 4xx or 5xx, default 550 */
	unsigned relay_domains_reject_code;	/* default 554 */
	unsigned smtpd_recipient_limit;
	unsigned smtpd_hard_error_limit;
	unsigned smtpd_timeout;	     /* seconds */
	uint64_t message_size_limit; /* bytes, 0 = no limit */
	struct cfg_backend backend;

	/* client limits (dataplane/core/anvil.c), Postfix's anvil; per worker */
	unsigned client_conn_limit;		   /* smtpd_client_connection_count_limit, 0 = none */
	unsigned client_conn_rate_limit;	   /* smtpd_client_connection_rate_limit, 0 = none */
	unsigned client_rcpt_rate_limit;	   /* smtpd_client_recipient_rate_limit, 0 = none */
	unsigned anvil_rate_time_unit;		   /* seconds */
	unsigned dict_block_limit;		   /* dictionary_block_limit, 0 = off */
	unsigned dict_block_window;		   /* seconds */
	unsigned dict_block_time;		   /* seconds on the blocklist */
	struct rg_cidr dict_exempt[CFG_CIDRS_MAX]; /* dictionary_block_exempt */
	unsigned n_dict_exempt;

	/* STARTTLS (dataplane/core/tls) */
	enum cfg_tls_level tls_level;
	char tls_chain_files[CFG_STR_MAX]; /* PEM files, key then chain; space/comma separated */
	char tls_cert_file[CFG_STR_MAX];
	char tls_key_file[CFG_STR_MAX];
	char tls_protocols[CFG_STR_MAX]; /* Postfix syntax, default ">=TLSv1.2" */
	char tls_ciphers[CFG_STR_MAX];	 /* medium or high */
	bool tls_preempt_cipherlist;	 /* choose by our order (default yes) */
	unsigned tls_loglevel;		 /* 0 or 1 */
	unsigned starttls_timeout;	 /* seconds the handshake may take */
	unsigned tls_session_limit;	 /* TLS sessions at once, whole daemon */

	/* control */
	char control_socket[CFG_STR_MAX];
	char control_socket_group[CFG_STR_MAX]; /* "" = root only */
	unsigned reload_max_shrink;		/* percent */
	struct cfg_hostport metrics_listen;	/* the Prometheus endpoint; family 0 = off */

	/* dataplane */
	enum cfg_port_mode port_mode;
	char interface[CFG_STR_MAX];
	char pci_address[CFG_STR_MAX];
	char memif_socket[CFG_STR_MAX];
	enum cfg_memif_role memif_role; /* default server */
	bool memif_zero_copy;		/* client only: the peer reads and writes our mbufs */
	/* listen: at most one address per family, one port for both */
	struct in_addr listen_addr;   /* network order; 0 = no IPv4 address */
	struct in6_addr listen_addr6; /* :: = no IPv6 address */
	uint16_t listen_port;	      /* host order */
	unsigned inet_protocols;      /* CFG_INET_* bits, default CFG_INET_ALL */
	unsigned workers;
	char dpdk_args[CFG_STR_MAX];
	char bpf_pin_dir[CFG_STR_MAX];
	char xdp_object[CFG_STR_MAX];

	/* TCP (dataplane/core/tcp) */
	unsigned max_connections;	     /* whole daemon, split over the workers */
	unsigned max_connections_per_source; /* per worker */
	unsigned tcp_syn_backlog;	     /* SYN-RECEIVED entries per worker before SYN cookies */
	uint64_t tcp_buffer_limit;	     /* bytes of TCP send and line buffers, whole daemon */

	/* logs (dataplane/core/maillog.c) */
	char syslog_name[CFG_STR_MAX];	 /* tag before "/smtpd[PID]:", default "rcptgate" */
	int syslog_facility;		 /* a <syslog.h> LOG_xxx value, default LOG_MAIL */
	char maillog_file[CFG_STR_MAX];	 /* "" = syslog; "/dev/stdout" = standard output */
	char syslog_socket[CFG_STR_MAX]; /* default "/dev/log" */

	uint32_t key_line[CFG_KEYS_MAX]; /* line of each key, table order; 0 = not given */
};

/*
 * cfg_parse_u64 - the decimal number at S (digits, no sign or space) into
 * *OUT, *END past it, as configuration values are read.
 * Return: 0, or -1 when S does not start with a digit or overflows.
 */
int cfg_parse_u64(const char *s, uint64_t *out, const char **end);

/* cfg_listen4 / cfg_listen6 - the daemon serves this family (listed and not excluded). */
bool cfg_listen4(const struct rg_config *cfg);
bool cfg_listen6(const struct rg_config *cfg);

#define CFG_LISTEN_STR_MAX (INET_ADDRSTRLEN + INET6_ADDRSTRLEN + 20)

/*
 * cfg_listen_str - the addresses served, as "192.0.2.25:25" or
 * "192.0.2.25:25, [2001:db8::25]:25", into BUF (CFG_LISTEN_STR_MAX bytes).
 *
 * Return: BUF.
 */
char *cfg_listen_str(const struct rg_config *cfg, char *buf, size_t len);

/*
 * cfg_defaults - fill in every default value. Required keys are left
 * unset (port_mode = CFG_PORT_NONE, listen address 0).
 */
void cfg_defaults(struct rg_config *cfg);

/*
 * cfg_load - read and check the configuration file PATH into CFG.
 *
 * Return: 0 on success; -1 with a "FILE:LINE: message" in ERR (at most
 * ERRLEN bytes, always terminated) on any problem. CFG is then only
 * partly filled and must not be used.
 */
int cfg_load(struct rg_config *cfg, const char *path, char *err, size_t errlen);

/*
 * cfg_load_string - as cfg_load, for a configuration held in memory;
 * NAME stands for the file name in messages.
 */
int cfg_load_string(struct rg_config *cfg, const char *name, const char *text, size_t len, char *err,
		    size_t errlen);

/* cfg_tls_level_name - "none", "may" or "encrypt". */
const char *cfg_tls_level_name(enum cfg_tls_level level);

/* Key names in table order, NULL-terminated (for docs and tests). */
const char *const *cfg_key_names(void);

/*
 * cfg_key_line - the line KEY was given on in the file CFG was read
 * from, for "FILE:LINE: key: message" about its value after loading;
 * 0 when KEY was not given (its default is in use) or is unknown.
 */
unsigned cfg_key_line(const struct rg_config *cfg, const char *key);

const char *cfg_port_mode_name(enum cfg_port_mode mode);

#endif /* RG_CONFIG_H */
