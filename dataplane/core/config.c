/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	config.c - parse and check the rcptgate configuration file
 * DESCRIPTION
 *	One table lists every key: its type, bounds, default and where its
 *	value is stored. Parsing a line is: strip the comment, split at the
 *	first "=", trim both sides, find the key, convert the value with the
 *	type's parser. Cross-key checks (interface given for af_xdp, ...)
 *	run once the whole file is read.
 * DIAGNOSTICS
 *	Unknown keys, duplicate keys, bad values, lines without "=", lines
 *	longer than CFG_LINE_MAX and missing required keys are errors with
 *	"FILE:LINE: message". Nothing is silently defaulted.
 * TRUST
 *	The file is written by the operator but is still checked fully: no
 *	value can overflow its field.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <rcptgate/limits.h>

#include "config.h"
#include "maillog.h"

#define CFG_LINE_MAX 1024

enum cfg_type {
	CT_STR,	     /* string, at most CFG_STR_MAX-1 bytes */
	CT_SOCKET,   /* a Unix socket's name, at most max bytes (what its address holds) */
	CT_UINT,     /* unsigned integer within [min, max] */
	CT_BOOL,     /* yes/no/true/false/on/off/1/0 */
	CT_CODE,     /* SMTP reply code within [min, max] */
	CT_DURATION, /* seconds; suffix s, m, h, d */
	CT_SIZE,     /* bytes; suffix k, m, g (powers of 1024) */
	CT_PERCENT,  /* 0-100, optional % */
	CT_DOMAINS,  /* list of domains, comma or space separated */
	CT_DELIM,    /* recipient_delimiter: set of characters */
	CT_PORT_MODE,
	CT_MEMIF_ROLE,
	CT_LISTEN,  /* ADDR[:PORT] list, IPv6 in brackets */
	CT_INET,    /* inet_protocols: ipv4, ipv6, all */
	CT_BACKEND, /* smtp:HOST:PORT or lmtp:HOST:PORT */
	CT_TLS_LEVEL,
	CT_FACILITY, /* syslog facility name (maillog.c) */
	CT_CIDRS,    /* list of IPv4/IPv6 prefixes, comma or space separated */
	CT_HOSTPORT, /* one IPV4-ADDRESS:PORT or [IPV6-ADDRESS]:PORT */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t offset;
	uint64_t min, max;
	bool required;
};

#define OFF(field) offsetof(struct rg_config, field)

static const struct cfg_key cfg_keys[] = {
	{ "myhostname", CT_STR, OFF(myhostname), 0, 0, false },
	{ "relay_domains", CT_DOMAINS, OFF(relay_domains), 0, 0, false },
	{ "recipient_table", CT_STR, OFF(recipient_table), 0, 0, false },
	{ "recipient_delimiter", CT_DELIM, OFF(recipient_delimiter), 0, 0, false },
	{ "local_part_case_sensitive", CT_BOOL, OFF(local_part_case_sensitive), 0, 0, false },
	{ "soft_bounce", CT_BOOL, OFF(soft_bounce), 0, 0, false },
	{ "unknown_recipient_reject_code", CT_CODE, OFF(unknown_recipient_reject_code), 400, 599, false },
	{ "relay_domains_reject_code", CT_CODE, OFF(relay_domains_reject_code), 400, 599, false },
	{ "smtpd_recipient_limit", CT_UINT, OFF(smtpd_recipient_limit), 1, 100000, false },
	{ "smtpd_hard_error_limit", CT_UINT, OFF(smtpd_hard_error_limit), 1, 100000, false },
	{ "smtpd_timeout", CT_DURATION, OFF(smtpd_timeout), 1, 3600, false },
	{ "message_size_limit", CT_SIZE, OFF(message_size_limit), 0, UINT64_C(1) << 40, false },
	{ "backend", CT_BACKEND, OFF(backend), 0, 0, false },
	{ "smtpd_client_connection_count_limit", CT_UINT, OFF(client_conn_limit), 0, 1000000, false },
	{ "smtpd_client_connection_rate_limit", CT_UINT, OFF(client_conn_rate_limit), 0, 1000000, false },
	{ "smtpd_client_recipient_rate_limit", CT_UINT, OFF(client_rcpt_rate_limit), 0, 1000000, false },
	{ "anvil_rate_time_unit", CT_DURATION, OFF(anvil_rate_time_unit), 1, 3600, false },
	{ "dictionary_block_limit", CT_UINT, OFF(dict_block_limit), 0, 1000000, false },
	{ "dictionary_block_window", CT_DURATION, OFF(dict_block_window), 1, 3600, false },
	{ "dictionary_block_time", CT_DURATION, OFF(dict_block_time), 1, 720 * 3600, false },
	{ "dictionary_block_exempt", CT_CIDRS, OFF(dict_exempt), 0, 0, false },
	{ "smtpd_tls_security_level", CT_TLS_LEVEL, OFF(tls_level), 0, 0, false },
	{ "smtpd_tls_chain_files", CT_STR, OFF(tls_chain_files), 0, 0, false },
	{ "smtpd_tls_cert_file", CT_STR, OFF(tls_cert_file), 0, 0, false },
	{ "smtpd_tls_key_file", CT_STR, OFF(tls_key_file), 0, 0, false },
	{ "smtpd_tls_protocols", CT_STR, OFF(tls_protocols), 0, 0, false },
	{ "smtpd_tls_ciphers", CT_STR, OFF(tls_ciphers), 0, 0, false },
	{ "tls_preempt_cipherlist", CT_BOOL, OFF(tls_preempt_cipherlist), 0, 0, false },
	{ "smtpd_starttls_timeout", CT_DURATION, OFF(starttls_timeout), 1, 3600, false },
	{ "smtpd_tls_loglevel", CT_UINT, OFF(tls_loglevel), 0, 1, false },
	{ "smtpd_tls_session_limit", CT_UINT, OFF(tls_session_limit), 1, 1u << 24, false },
	{ "control_socket", CT_SOCKET, OFF(control_socket), 0, CFG_SOCKET_PATH_MAX - 1, false },
	{ "control_socket_group", CT_STR, OFF(control_socket_group), 0, 0, false },
	{ "reload_max_shrink", CT_PERCENT, OFF(reload_max_shrink), 0, 100, false },
	{ "metrics_listen", CT_HOSTPORT, OFF(metrics_listen), 0, 0, false },
	{ "port_mode", CT_PORT_MODE, OFF(port_mode), 0, 0, true },
	{ "interface", CT_STR, OFF(interface), 0, 0, false },
	{ "pci_address", CT_STR, OFF(pci_address), 0, 0, false },
	/* DPDK 22.11's memif socket is abstract: its name starts after a NUL */
	{ "memif_socket", CT_SOCKET, OFF(memif_socket), 0, CFG_SOCKET_PATH_MAX - 2, false },
	{ "memif_role", CT_MEMIF_ROLE, OFF(memif_role), 0, 0, false },
	{ "memif_zero_copy", CT_BOOL, OFF(memif_zero_copy), 0, 0, false },
	{ "listen", CT_LISTEN, OFF(listen_addr), 0, 0, true },
	{ "inet_protocols", CT_INET, OFF(inet_protocols), 0, 0, false },
	{ "workers", CT_UINT, OFF(workers), 1, RG_MAX_WORKERS, false },
	{ "dpdk_args", CT_STR, OFF(dpdk_args), 0, 0, false },
	{ "bpf_pin_dir", CT_STR, OFF(bpf_pin_dir), 0, 0, false },
	{ "xdp_object", CT_STR, OFF(xdp_object), 0, 0, false },
	{ "max_connections", CT_UINT, OFF(max_connections), 16, 1u << 24, false },
	{ "max_connections_per_source", CT_UINT, OFF(max_connections_per_source), 1, 1u << 24, false },
	{ "tcp_syn_backlog", CT_UINT, OFF(tcp_syn_backlog), 1, 1u << 24, false },
	{ "tcp_buffer_limit", CT_SIZE, OFF(tcp_buffer_limit), 1u << 20, UINT64_C(1) << 36, false },
	{ "syslog_name", CT_STR, OFF(syslog_name), 0, 0, false },
	{ "syslog_facility", CT_FACILITY, OFF(syslog_facility), 0, 0, false },
	{ "maillog_file", CT_STR, OFF(maillog_file), 0, 0, false },
	{ "syslog_socket", CT_SOCKET, OFF(syslog_socket), 0, CFG_SOCKET_PATH_MAX - 1, false },
};

#define N_KEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))
_Static_assert(N_KEYS <= CFG_KEYS_MAX, "raise CFG_KEYS_MAX");

static const char *port_mode_names[] = {
	[CFG_PORT_NONE] = "none",   [CFG_PORT_AF_XDP] = "af_xdp", [CFG_PORT_AF_PACKET] = "af_packet",
	[CFG_PORT_MEMIF] = "memif", [CFG_PORT_PCI] = "pci",
};

static const char *tls_level_names[] = {
	[CFG_TLS_NONE] = "none",
	[CFG_TLS_MAY] = "may",
	[CFG_TLS_ENCRYPT] = "encrypt",
};

const char *
cfg_tls_level_name(enum cfg_tls_level level)
{
	if ((unsigned)level >= sizeof(tls_level_names) / sizeof(tls_level_names[0]))
		return "?";
	return tls_level_names[level];
}

const char *
cfg_port_mode_name(enum cfg_port_mode mode)
{
	if ((unsigned)mode >= sizeof(port_mode_names) / sizeof(port_mode_names[0]))
		return "?";
	return port_mode_names[mode];
}

const char *const *
cfg_key_names(void)
{
	static const char *names[N_KEYS + 1];

	for (size_t i = 0; i < N_KEYS; i++)
		names[i] = cfg_keys[i].name;
	names[N_KEYS] = NULL;
	return names;
}

unsigned
cfg_key_line(const struct rg_config *cfg, const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(cfg_keys[i].name, key) == 0)
			return cfg->key_line[i];
	return 0;
}

void
cfg_defaults(struct rg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	if (gethostname(cfg->myhostname, sizeof(cfg->myhostname) - 1) != 0 || cfg->myhostname[0] == '\0')
		snprintf(cfg->myhostname, sizeof(cfg->myhostname), "localhost");
	cfg->unknown_recipient_reject_code = 550;
	cfg->relay_domains_reject_code = 554;
	cfg->smtpd_recipient_limit = 1000;
	cfg->smtpd_hard_error_limit = 20;
	cfg->smtpd_timeout = 300;
	cfg->message_size_limit = 10240000;
	cfg->client_conn_limit = 50;
	cfg->anvil_rate_time_unit = 60;
	cfg->dict_block_window = 60;
	cfg->dict_block_time = 3600;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "/run/rcptgate/control.sock");
	snprintf(cfg->memif_socket, sizeof(cfg->memif_socket), "/run/rcptgate/memif.sock");
	snprintf(cfg->bpf_pin_dir, sizeof(cfg->bpf_pin_dir), "/sys/fs/bpf/rcptgate");
	cfg->reload_max_shrink = 50;
	cfg->listen_port = 25;
	cfg->inet_protocols = CFG_INET_ALL;
	cfg->workers = 1;
	cfg->max_connections = 65536;
	cfg->max_connections_per_source = 1000;
	cfg->tcp_syn_backlog = 1024;
	cfg->tcp_buffer_limit = UINT64_C(64) << 20;
	snprintf(cfg->tls_protocols, sizeof(cfg->tls_protocols), ">=TLSv1.2");
	snprintf(cfg->tls_ciphers, sizeof(cfg->tls_ciphers), "medium");
	cfg->tls_preempt_cipherlist = true;
	cfg->tls_session_limit = 4096;
	cfg->starttls_timeout = 300;
	snprintf(cfg->syslog_name, sizeof(cfg->syslog_name), "rcptgate");
	cfg->syslog_facility = maillog_facility("mail");
	snprintf(cfg->syslog_socket, sizeof(cfg->syslog_socket), "/dev/log");
}

/* Parse context: where we are, for messages. */
struct cfg_parse {
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3))) cfg_error(struct cfg_parse *p, const char *fmt, ...)
{
	char msg[CFG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	return -1;
}

int
cfg_parse_u64(const char *s, uint64_t *out, const char **end)
{
	char *e;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno != 0)
		return -1;
	*out = v;
	*end = e;
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* A DNS name: labels of letters, digits, '-' and '_', dot separated. */
static bool
valid_domain(const char *d, size_t len)
{
	if (len == 0 || len > 253 || d[0] == '.' || d[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];
		if (!(isalnum(c) || c == '-' || c == '.' || c == '_'))
			return false;
		if (c == '.' && i + 1 < len && d[i + 1] == '.')
			return false;
	}
	return true;
}

static int
parse_domains(struct cfg_parse *p, struct rg_config *cfg, const char *v)
{
	cfg->n_relay_domains = 0;
	while (*v) {
		size_t n = strcspn(v, ", \t");
		if (n > 0) {
			if (!valid_domain(v, n))
				return cfg_error(p, "relay_domains: '%.*s' is not a domain name", (int)n, v);
			if (cfg->n_relay_domains == CFG_DOMAINS_MAX)
				return cfg_error(p, "relay_domains: more than %d domains", CFG_DOMAINS_MAX);
			char *dst = cfg->relay_domains[cfg->n_relay_domains++];
			for (size_t i = 0; i < n; i++)
				dst[i] = (char)tolower((unsigned char)v[i]);
			dst[n] = '\0';
		}
		v += n;
		v += strspn(v, ", \t");
	}
	return 0;
}

/* dictionary_block_exempt: prefixes, comma or space separated. */
static int
parse_cidrs(struct cfg_parse *p, struct rg_config *cfg, const char *name, const char *v)
{
	char one[RG_CIDR_STR_MAX];

	cfg->n_dict_exempt = 0;
	while (*v) {
		size_t n = strcspn(v, ", \t");
		if (n > 0) {
			if (cfg->n_dict_exempt == CFG_CIDRS_MAX)
				return cfg_error(p, "%s: more than %d prefixes", name, CFG_CIDRS_MAX);
			bool ok = n < sizeof(one);
			if (ok) {
				memcpy(one, v, n);
				one[n] = '\0';
				ok = rg_cidr_parse(one, &cfg->dict_exempt[cfg->n_dict_exempt]) == 0;
			}
			if (!ok)
				return cfg_error(p, "%s: '%.*s' is not an IPv4 or IPv6 address or prefix",
						 name, (int)n, v);
			/* IPv6 clients are counted per /64 (anvil.c): a longer
			 * prefix could never match one */
			if (cfg->dict_exempt[cfg->n_dict_exempt].family == AF_INET6 &&
			    cfg->dict_exempt[cfg->n_dict_exempt].prefixlen > 64)
				return cfg_error(
					p,
					"%s: '%.*s': IPv6 clients are counted per /64, give a /64 or shorter",
					name, (int)n, v);
			cfg->n_dict_exempt++;
		}
		v += n;
		v += strspn(v, ", \t");
	}
	return 0;
}

/*
 * ADDR[:PORT] or [ADDR6][:PORT], LEN bytes at V, for KEY (listen and
 * metrics_listen read addresses alike) into *HP; port 0 when absent.
 */
static int
parse_hostport(struct cfg_parse *p, const char *key, const char *v, size_t len, struct cfg_hostport *hp)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *h = v, *end = v + len, *port = NULL;
	size_t hlen;
	bool v6 = v[0] == '[';

	if (v6) {
		const char *close = memchr(v, ']', len);
		if (close == NULL || (close + 1 != end && close[1] != ':'))
			return cfg_error(p, "%s: expected [IPV6-ADDRESS][:PORT], got '%.*s'", key, (int)len,
					 v);
		h = v + 1;
		hlen = (size_t)(close - h);
		port = close + 1 != end ? close + 2 : NULL;
	} else {
		const char *colon = memchr(v, ':', len);
		hlen = colon ? (size_t)(colon - v) : len;
		port = colon ? colon + 1 : NULL;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return cfg_error(p, "%s: expected IPV4-ADDRESS[:PORT] or [IPV6-ADDRESS][:PORT], got '%.*s'",
				 key, (int)len, v);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(hp, 0, sizeof(*hp));
	hp->family = v6 ? AF_INET6 : AF_INET;
	if (inet_pton(hp->family, host, v6 ? (void *)&hp->a6 : (void *)&hp->a4) != 1)
		return cfg_error(p, "%s: '%s' is not an IPv%c address", key, host, v6 ? '6' : '4');
	uint64_t n = 0;
	if (port != NULL) {
		const char *pend;
		if (cfg_parse_u64(port, &n, &pend) != 0 || pend != end || n == 0 || n > 65535)
			return cfg_error(p, "%s: bad port '%.*s'", key, (int)(end - port), port);
	}
	hp->port = (uint16_t)n;
	return 0;
}

/*
 * One listen address, ADDR[:PORT] or [ADDR6][:PORT], LEN bytes at V.
 * Every address names the same port: the XDP program and the TCP stack
 * serve one port.
 */
static int
parse_listen_one(struct cfg_parse *p, struct rg_config *cfg, const char *v, size_t len, bool *port_seen)
{
	struct cfg_hostport hp;
	char host[INET6_ADDRSTRLEN];

	if (parse_hostport(p, "listen", v, len, &hp) != 0)
		return -1;
	if (hp.family == AF_INET6) {
		struct in6_addr a = hp.a6;
		if (IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_MULTICAST(&a) || IN6_IS_ADDR_V4MAPPED(&a))
			return cfg_error(p, "listen: '%s' cannot be a listen address",
					 inet_ntop(AF_INET6, &a, host, sizeof(host)));
		if (!IN6_IS_ADDR_UNSPECIFIED(&cfg->listen_addr6))
			return cfg_error(p, "listen: more than one IPv6 address");
		cfg->listen_addr6 = a;
	} else {
		if (hp.a4.s_addr == 0)
			return cfg_error(p, "listen: the address must not be 0.0.0.0");
		if (cfg->listen_addr.s_addr != 0)
			return cfg_error(p, "listen: more than one IPv4 address");
		cfg->listen_addr = hp.a4;
	}
	uint64_t n = hp.port ? hp.port : 25;
	if (*port_seen && n != cfg->listen_port)
		return cfg_error(p, "listen: every address must use the same port");
	*port_seen = true;
	cfg->listen_port = (uint16_t)n;
	return 0;
}

/* metrics_listen: one address with its port (a kernel socket's). */
static int
parse_metrics_listen(struct cfg_parse *p, struct cfg_hostport *hp, const char *v)
{
	if (parse_hostport(p, "metrics_listen", v, strlen(v), hp) != 0)
		return -1;
	if (hp->port == 0)
		return cfg_error(
			p, "metrics_listen: expected IPV4-ADDRESS:PORT or [IPV6-ADDRESS]:PORT, got '%s'", v);
	if ((hp->family == AF_INET6 && IN6_IS_ADDR_MULTICAST(&hp->a6)) ||
	    (hp->family == AF_INET && IN_MULTICAST(ntohl(hp->a4.s_addr))))
		return cfg_error(p, "metrics_listen: '%s': a multicast address", v);
	return 0;
}

/* listen: addresses separated by commas or spaces, as Postfix's lists. */
static int
parse_listen(struct cfg_parse *p, struct rg_config *cfg, const char *v)
{
	bool port_seen = false;

	cfg->listen_addr.s_addr = 0;
	cfg->listen_addr6 = in6addr_any;
	while (*v) {
		size_t n = strcspn(v, ", \t");
		if (n > 0 && parse_listen_one(p, cfg, v, n, &port_seen) != 0)
			return -1;
		v += n;
		v += strspn(v, ", \t");
	}
	if (!port_seen)
		return cfg_error(p, "listen: no address");
	return 0;
}

/* inet_protocols: ipv4, ipv6, all, or "ipv4, ipv6" (Postfix's values). */
static int
parse_inet(struct cfg_parse *p, struct rg_config *cfg, const char *v)
{
	cfg->inet_protocols = 0;
	while (*v) {
		size_t n = strcspn(v, ", \t");
		if (n == 4 && strncmp(v, "ipv4", 4) == 0)
			cfg->inet_protocols |= CFG_INET_IPV4;
		else if (n == 4 && strncmp(v, "ipv6", 4) == 0)
			cfg->inet_protocols |= CFG_INET_IPV6;
		else if (n == 3 && strncmp(v, "all", 3) == 0)
			cfg->inet_protocols |= CFG_INET_ALL;
		else
			return cfg_error(p, "inet_protocols: expected ipv4, ipv6 or all, got '%.*s'", (int)n,
					 v);
		v += n;
		v += strspn(v, ", \t");
	}
	return 0;
}

bool
cfg_listen4(const struct rg_config *cfg)
{
	return cfg->listen_addr.s_addr != 0 && (cfg->inet_protocols & CFG_INET_IPV4);
}

bool
cfg_listen6(const struct rg_config *cfg)
{
	return !IN6_IS_ADDR_UNSPECIFIED(&cfg->listen_addr6) && (cfg->inet_protocols & CFG_INET_IPV6);
}

char *
cfg_listen_str(const struct rg_config *cfg, char *buf, size_t len)
{
	char a4[INET_ADDRSTRLEN] = "", a6[INET6_ADDRSTRLEN] = "";
	bool v4 = cfg_listen4(cfg), v6 = cfg_listen6(cfg);

	if (v4)
		inet_ntop(AF_INET, &cfg->listen_addr, a4, sizeof(a4));
	if (v6)
		inet_ntop(AF_INET6, &cfg->listen_addr6, a6, sizeof(a6));
	if (v4 && v6)
		snprintf(buf, len, "%s:%u, [%s]:%u", a4, cfg->listen_port, a6, cfg->listen_port);
	else if (v6)
		snprintf(buf, len, "[%s]:%u", a6, cfg->listen_port);
	else
		snprintf(buf, len, "%s:%u", a4, cfg->listen_port);
	return buf;
}

static int
parse_backend(struct cfg_parse *p, struct cfg_backend *b, const char *v)
{
	const char *rest;

	if (strncmp(v, "smtp:", 5) == 0) {
		b->proto = CFG_BACKEND_SMTP;
		rest = v + 5;
	} else if (strncmp(v, "lmtp:", 5) == 0) {
		b->proto = CFG_BACKEND_LMTP;
		rest = v + 5;
	} else {
		return cfg_error(p, "backend: expected smtp:HOST:PORT or lmtp:HOST:PORT, got '%s'", v);
	}
	const char *colon = strrchr(rest, ':');
	size_t hlen = colon ? (size_t)(colon - rest) : 0;
	/* [HOST] as in Postfix: [192.0.2.1], [::1], [mx.example.com] */
	if (hlen >= 2 && rest[0] == '[' && rest[hlen - 1] == ']') {
		rest++;
		hlen -= 2;
	}
	if (colon == NULL || hlen == 0 || hlen >= sizeof(b->host) || memchr(rest, '[', hlen) ||
	    memchr(rest, ']', hlen))
		return cfg_error(p, "backend: expected smtp:HOST:PORT or lmtp:HOST:PORT, got '%s'", v);
	memcpy(b->host, rest, hlen);
	b->host[hlen] = '\0';
	uint64_t port;
	const char *end;
	if (cfg_parse_u64(colon + 1, &port, &end) != 0 || *end != '\0' || port == 0 || port > 65535)
		return cfg_error(p, "backend: bad port '%s'", colon + 1);
	b->port = (uint16_t)port;
	return 0;
}

static int
parse_value(struct cfg_parse *p, struct rg_config *cfg, const struct cfg_key *k, const char *v)
{
	void *field = (char *)cfg + k->offset;
	uint64_t n = 0;
	const char *end;

	switch (k->type) {
	case CT_SOCKET:
		/* what a socket address holds: longer is an error, not cut short */
		if (strlen(v) > k->max)
			return cfg_error(p, "%s: '%s' is longer than %u octets", k->name, v,
					 (unsigned)k->max);
		/* fall through */
	case CT_STR:
		if (strlen(v) >= CFG_STR_MAX)
			return cfg_error(p, "%s: value longer than %d bytes", k->name, CFG_STR_MAX - 1);
		if (*v == '\0')
			return cfg_error(p, "%s: empty value", k->name);
		snprintf(field, CFG_STR_MAX, "%s", v);
		return 0;
	case CT_DELIM:
		if (strlen(v) >= sizeof(cfg->recipient_delimiter))
			return cfg_error(p, "%s: at most %zu characters", k->name,
					 sizeof(cfg->recipient_delimiter) - 1);
		for (const char *c = v; *c; c++)
			if (*c == '@' || isspace((unsigned char)*c) || !isprint((unsigned char)*c))
				return cfg_error(p, "%s: '%c' cannot be a delimiter", k->name, *c);
		snprintf(field, sizeof(cfg->recipient_delimiter), "%s", v);
		return 0;
	case CT_BOOL:
		if (parse_bool(v, field) != 0)
			return cfg_error(p, "%s: expected yes or no, got '%s'", k->name, v);
		return 0;
	case CT_UINT:
		if (cfg_parse_u64(v, &n, &end) != 0 || *end != '\0' || n < k->min || n > k->max)
			return cfg_error(p, "%s: expected a number from %" PRIu64 " to %" PRIu64 ", got '%s'",
					 k->name, k->min, k->max, v);
		*(unsigned *)field = (unsigned)n;
		return 0;
	case CT_CODE:
		if (cfg_parse_u64(v, &n, &end) != 0 || *end != '\0' || n < k->min || n > k->max)
			return cfg_error(p, "%s: expected a 4xx or 5xx reply code, got '%s'", k->name, v);
		*(unsigned *)field = (unsigned)n;
		return 0;
	case CT_PERCENT:
		if (cfg_parse_u64(v, &n, &end) != 0 || (*end != '\0' && strcmp(end, "%") != 0) || n > 100)
			return cfg_error(p, "%s: expected a percentage from 0 to 100, got '%s'", k->name, v);
		*(unsigned *)field = (unsigned)n;
		return 0;
	case CT_DURATION: {
		if (cfg_parse_u64(v, &n, &end) != 0)
			return cfg_error(p, "%s: expected a duration (e.g. 300s, 5m), got '%s'", k->name, v);
		uint64_t mul = 1;
		if (*end == '\0' || strcmp(end, "s") == 0)
			mul = 1;
		else if (strcmp(end, "m") == 0)
			mul = 60;
		else if (strcmp(end, "h") == 0)
			mul = 3600;
		else
			return cfg_error(p, "%s: unknown time unit '%s' (use s, m or h)", k->name, end);
		if (n > k->max / mul || n * mul < k->min)
			return cfg_error(p, "%s: expected %" PRIu64 "s to %" PRIu64 "s, got '%s'", k->name,
					 k->min, k->max, v);
		*(unsigned *)field = (unsigned)(n * mul);
		return 0;
	}
	case CT_SIZE: {
		if (cfg_parse_u64(v, &n, &end) != 0)
			return cfg_error(p,
					 "%s: expected a size in bytes (suffix k, m or g allowed), got '%s'",
					 k->name, v);
		unsigned shift;
		if (*end == '\0')
			shift = 0;
		else if (strcasecmp(end, "k") == 0)
			shift = 10;
		else if (strcasecmp(end, "m") == 0)
			shift = 20;
		else if (strcasecmp(end, "g") == 0)
			shift = 30;
		else
			return cfg_error(p, "%s: unknown size unit '%s' (use k, m or g)", k->name, end);
		if (n > (k->max >> shift) || (n << shift) < k->min)
			return cfg_error(p, "%s: expected %" PRIu64 " to %" PRIu64 " bytes, got '%s'",
					 k->name, k->min, k->max, v);
		*(uint64_t *)field = n << shift;
		return 0;
	}
	case CT_DOMAINS:
		return parse_domains(p, cfg, v);
	case CT_CIDRS:
		return parse_cidrs(p, cfg, k->name, v);
	case CT_PORT_MODE:
		for (unsigned m = CFG_PORT_AF_XDP; m <= CFG_PORT_PCI; m++) {
			if (strcmp(v, port_mode_names[m]) == 0) {
				cfg->port_mode = (enum cfg_port_mode)m;
				return 0;
			}
		}
		return cfg_error(p, "port_mode: expected af_xdp, af_packet, memif or pci, got '%s'", v);
	case CT_MEMIF_ROLE:
		if (strcmp(v, "server") == 0 || strcmp(v, "client") == 0) {
			cfg->memif_role = v[0] == 's' ? CFG_MEMIF_SERVER : CFG_MEMIF_CLIENT;
			return 0;
		}
		return cfg_error(p, "memif_role: expected server or client, got '%s'", v);
	case CT_TLS_LEVEL:
		for (unsigned l = CFG_TLS_NONE; l <= CFG_TLS_ENCRYPT; l++) {
			if (strcmp(v, tls_level_names[l]) == 0) {
				cfg->tls_level = (enum cfg_tls_level)l;
				return 0;
			}
		}
		return cfg_error(p, "smtpd_tls_security_level: expected none, may or encrypt, got '%s'", v);
	case CT_FACILITY: {
		int f = maillog_facility(v);
		if (f < 0)
			return cfg_error(p,
					 "%s: expected a syslog facility (mail, daemon, local0 to local7, "
					 "...), got '%s'",
					 k->name, v);
		*(int *)field = f;
		return 0;
	}
	case CT_LISTEN:
		return parse_listen(p, cfg, v);
	case CT_HOSTPORT:
		return parse_metrics_listen(p, field, v);
	case CT_INET:
		return parse_inet(p, cfg, v);
	case CT_BACKEND:
		return parse_backend(p, field, v);
	}
	return cfg_error(p, "%s: internal error: unknown key type", k->name);
}

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
parse_line(struct cfg_parse *p, struct rg_config *cfg, char *line, bool *seen)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	char *s = trim(line);
	if (*s == '\0')
		return 0;
	char *eq = strchr(s, '=');
	if (eq == NULL)
		return cfg_error(p, "expected 'key = value', got '%s'", s);
	*eq = '\0';
	char *key = trim(s);
	char *val = trim(eq + 1);
	if (*key == '\0')
		return cfg_error(p, "missing key before '='");
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(cfg_keys[i].name, key) != 0)
			continue;
		if (seen[i])
			return cfg_error(p, "%s: given twice", key);
		seen[i] = true;
		cfg->key_line[i] = p->line;
		if (*val == '\0' && cfg_keys[i].type != CT_DOMAINS && cfg_keys[i].type != CT_DELIM &&
		    cfg_keys[i].type != CT_CIDRS)
			return cfg_error(p, "%s: empty value", key);
		return parse_value(p, cfg, &cfg_keys[i], val);
	}
	return cfg_error(p, "unknown key '%s'", key);
}

/*
 * syslog_name becomes the tag "NAME/smtpd[PID]:", which log readers
 * split at '[', ':' and white space: letters, digits, '.', '_', '-' and
 * '/' only (Postfix's multi-instance names, postfix-NAME, fit). The log
 * paths are absolute.
 */
static int
check_logs(struct cfg_parse *p, struct rg_config *cfg)
{
	const char *n = cfg->syslog_name;
	size_t len = strlen(n);

	if (len > CFG_SYSLOG_NAME_MAX ||
	    strspn(n,
		   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789._-/") != len) {
		p->line = cfg_key_line(cfg, "syslog_name");
		return cfg_error(p, "syslog_name: '%s': at most %d letters, digits, '.', '_', '-' or '/'", n,
				 CFG_SYSLOG_NAME_MAX);
	}
	if (cfg->maillog_file[0] != '\0' && cfg->maillog_file[0] != '/') {
		p->line = cfg_key_line(cfg, "maillog_file");
		return cfg_error(p, "maillog_file: '%s' is not an absolute path", cfg->maillog_file);
	}
	if (cfg->syslog_socket[0] != '/') { /* its length: CT_SOCKET */
		p->line = cfg_key_line(cfg, "syslog_socket");
		return cfg_error(p, "syslog_socket: '%s' is not an absolute path", cfg->syslog_socket);
	}
	return 0;
}

static int
check_whole(struct cfg_parse *p, struct rg_config *cfg, const bool *seen)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (cfg_keys[i].required && !seen[i])
			return cfg_error(p, "missing required key '%s'", cfg_keys[i].name);
	if (cfg->tls_cert_file[0] != '\0' && cfg->tls_key_file[0] == '\0') {
		p->line = cfg_key_line(cfg, "smtpd_tls_cert_file");
		return cfg_error(p, "smtpd_tls_cert_file needs smtpd_tls_key_file");
	}
	if (cfg->tls_key_file[0] != '\0' && cfg->tls_cert_file[0] == '\0') {
		p->line = cfg_key_line(cfg, "smtpd_tls_key_file");
		return cfg_error(p, "smtpd_tls_key_file needs smtpd_tls_cert_file");
	}
	if (cfg->tls_level != CFG_TLS_NONE && cfg->tls_chain_files[0] == '\0' &&
	    cfg->tls_cert_file[0] == '\0') {
		p->line = cfg_key_line(cfg, "smtpd_tls_security_level");
		return cfg_error(p,
				 "smtpd_tls_security_level = %s needs a certificate: smtpd_tls_chain_files, "
				 "or smtpd_tls_cert_file and smtpd_tls_key_file",
				 cfg_tls_level_name(cfg->tls_level));
	}
	if (!cfg_listen4(cfg) && !cfg_listen6(cfg)) {
		p->line = cfg_key_line(cfg, "inet_protocols") ? cfg_key_line(cfg, "inet_protocols")
							      : cfg_key_line(cfg, "listen");
		return cfg_error(p, "inet_protocols = %s leaves no address of 'listen' to serve",
				 cfg->inet_protocols == CFG_INET_IPV4 ? "ipv4" : "ipv6");
	}
	if (check_logs(p, cfg) != 0)
		return -1;
	if (cfg->port_mode == CFG_PORT_MEMIF && cfg->memif_zero_copy && cfg->memif_role != CFG_MEMIF_CLIENT) {
		/* DPDK's memif server copies; only a client lends its buffers */
		p->line = cfg_key_line(cfg, "memif_zero_copy");
		return cfg_error(p, "memif_zero_copy = yes needs memif_role = client");
	}
	switch (cfg->port_mode) {
	case CFG_PORT_AF_XDP:
	case CFG_PORT_AF_PACKET:
		if (cfg->interface[0] == '\0')
			return cfg_error(p, "port_mode %s needs 'interface'",
					 cfg_port_mode_name(cfg->port_mode));
		if (strlen(cfg->interface) >= IFNAMSIZ) { /* the kernel's limit: not cut short */
			p->line = cfg_key_line(cfg, "interface");
			return cfg_error(p, "interface: '%s' is longer than %d octets", cfg->interface,
					 IFNAMSIZ - 1);
		}
		break;
	case CFG_PORT_PCI:
		if (cfg->pci_address[0] == '\0')
			return cfg_error(p, "port_mode pci needs 'pci_address'");
		break;
	default:
		break;
	}
	return 0;
}

int
cfg_load_string(struct rg_config *cfg, const char *name, const char *text, size_t len, char *err,
		size_t errlen)
{
	struct cfg_parse p = { .name = name, .line = 0, .err = err, .errlen = errlen };
	bool seen[N_KEYS] = { false };
	char line[CFG_LINE_MAX + 1];
	size_t pos = 0;

	cfg_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		p.line++;
		if (n > CFG_LINE_MAX)
			return cfg_error(&p, "line longer than %d bytes", CFG_LINE_MAX);
		if (memchr(text + pos, '\0', n) != NULL)
			return cfg_error(&p, "NUL byte in line");
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (parse_line(&p, cfg, line, seen) != 0)
			return -1;
		pos += n + (nl ? 1 : 0);
	}
	/* Whole-file problems point at the last line. */
	if (p.line == 0)
		p.line = 1;
	return check_whole(&p, cfg, seen);
}

int
cfg_load(struct rg_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	/* A configuration file is small; read it whole (bounded). */
	size_t cap = 1 << 20, len;
	char *buf = malloc(cap + 1);
	if (buf == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	len = fread(buf, 1, cap + 1, f);
	int rerr = ferror(f);
	fclose(f);
	if (rerr) {
		free(buf);
		snprintf(err, errlen, "%s: read error", path);
		return -1;
	}
	if (len > cap) {
		free(buf);
		snprintf(err, errlen, "%s: larger than %zu bytes", path, cap);
		return -1;
	}
	int rc = cfg_load_string(cfg, path, buf, len, err, errlen);
	free(buf);
	return rc;
}
