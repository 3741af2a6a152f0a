/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_proto.c - control protocol: request parser, response writer
 *	and reader (see include/rcptgate/ctl_proto.h)
 * DESCRIPTION
 *	The grammar of every verb is one row of ctl_verbs[]: which keys it
 *	allows and which it requires. A request is checked completely
 *	(octets, escapes, keys, values) before the caller sees it, so a
 *	handler only ever runs on a well-formed request.
 * DIAGNOSTICS
 *	Negative errno and a one-line reason; nothing is logged here.
 * TRUST
 *	Requests and responses are untrusted; every length is checked
 *	before memory is touched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rcptgate/ctl_proto.h>

#define KEY_BIT(k) (1u << (k))

struct ctl_verb_def {
	const char *name;
	unsigned allowed; /* KEY_BIT()s */
	unsigned required;
};

static const struct ctl_verb_def ctl_verbs[CTL_V_MAX] = {
	[CTL_V_PING] = { "ping", 0, 0 },
	[CTL_V_STATUS] = { "status", 0, 0 },
	[CTL_V_STATS] = { "stats", KEY_BIT(CTL_K_WORKER), 0 },
	[CTL_V_RELOAD] = { "reload", KEY_BIT(CTL_K_PATH) | KEY_BIT(CTL_K_FORCE), 0 },
	[CTL_V_CHECK] = { "check",
			  KEY_BIT(CTL_K_RCPT) | KEY_BIT(CTL_K_CLIENT) | KEY_BIT(CTL_K_HELO) |
				  KEY_BIT(CTL_K_FROM),
			  KEY_BIT(CTL_K_RCPT) },
	[CTL_V_BLOCK] = { "block", KEY_BIT(CTL_K_OP) | KEY_BIT(CTL_K_CIDR), KEY_BIT(CTL_K_OP) },
	[CTL_V_TLS] = { "tls", KEY_BIT(CTL_K_OP), KEY_BIT(CTL_K_OP) },
};

static const char *const ctl_keys[CTL_K_MAX] = {
	[CTL_K_PATH] = "path",	   [CTL_K_FORCE] = "force", [CTL_K_RCPT] = "rcpt",
	[CTL_K_CLIENT] = "client", [CTL_K_HELO] = "helo",   [CTL_K_FROM] = "from",
	[CTL_K_OP] = "op",	   [CTL_K_CIDR] = "cidr",   [CTL_K_WORKER] = "worker",
};

_Static_assert(CTL_K_MAX <= 32, "key bits fit an unsigned");

const char *
ctl_verb_name(enum ctl_verb verb)
{
	return (unsigned)verb < CTL_V_MAX ? ctl_verbs[verb].name : "?";
}

const char *
ctl_key_name(enum ctl_key key)
{
	return (unsigned)key < CTL_K_MAX ? ctl_keys[key] : "?";
}

static int
ctl_fail(int rc, char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
ctl_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool
ctl_is_word(char c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

static int
ctl_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The index of the word P[0..N) in NAMES[0..COUNT), or -1. */
static int
ctl_lookup(const char *p, size_t n, const char *(*name)(unsigned), unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		const char *s = name(i);
		if (strlen(s) == n && memcmp(s, p, n) == 0)
			return (int)i;
	}
	return -1;
}

static const char *
ctl_verb_at(unsigned i)
{
	return ctl_verbs[i].name;
}

static const char *
ctl_key_at(unsigned i)
{
	return ctl_keys[i];
}

/*
 * Decode the value P[0..N) into OUT (room for CAP bytes, NUL included).
 * Return its length or a negative errno.
 */
static int
ctl_value_decode(const char *p, size_t n, char *out, size_t cap, char *err, size_t errlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '%') {
			if (n - i < 3 || ctl_hex(p[i + 1]) < 0 || ctl_hex(p[i + 2]) < 0)
				return ctl_fail(-EINVAL, err, errlen, "bad %%XX escape");
			c = (unsigned char)(ctl_hex(p[i + 1]) * 16 + ctl_hex(p[i + 2]));
			i += 2;
			if (c < 0x20 || c == 0x7f)
				return ctl_fail(-EINVAL, err, errlen, "control octet in a value");
		} else if (c < 0x21 || c > 0x7e) {
			return ctl_fail(-EINVAL, err, errlen, "octet 0x%02x not allowed (use %%XX)", c);
		}
		if (o + 1 >= cap)
			return ctl_fail(-E2BIG, err, errlen, "value longer than %d octets",
					CTL_VALUE_MAX - 1);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

/* Check the values whose form the parser knows. */
static int
ctl_check_value(enum ctl_verb verb, enum ctl_key key, const char *v, char *err, size_t errlen)
{
	unsigned char buf[sizeof(struct in6_addr)];

	switch (key) {
	case CTL_K_FORCE:
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return ctl_fail(-EINVAL, err, errlen, "force must be 0 or 1");
		break;
	case CTL_K_CLIENT:
		if (inet_pton(AF_INET, v, buf) != 1 && inet_pton(AF_INET6, v, buf) != 1)
			return ctl_fail(-EINVAL, err, errlen, "client is not an IP address");
		break;
	case CTL_K_PATH:
		if (v[0] != '/')
			return ctl_fail(-EINVAL, err, errlen, "path must be absolute");
		break;
	case CTL_K_OP:
		if (verb == CTL_V_TLS) {
			if (strcmp(v, "reload") != 0)
				return ctl_fail(-EINVAL, err, errlen, "op must be reload");
			break;
		}
		if (strcmp(v, "add") != 0 && strcmp(v, "del") != 0 && strcmp(v, "list") != 0)
			return ctl_fail(-EINVAL, err, errlen, "op must be add, del or list");
		break;
	case CTL_K_WORKER:
		if (v[0] == '\0' || strlen(v) > 3 || strspn(v, "0123456789") != strlen(v))
			return ctl_fail(-EINVAL, err, errlen, "worker must be a number");
		break;
	case CTL_K_RCPT:
	case CTL_K_HELO:
	case CTL_K_CIDR:
		if (v[0] == '\0')
			return ctl_fail(-EINVAL, err, errlen, "%s is empty", ctl_keys[key]);
		break;
	default:
		break;
	}
	return 0;
}

static int
ctl_req_parse_line(const char *line, size_t n, struct ctl_req *req, char *err, size_t errlen)
{
	size_t i = 0, used = 0;
	unsigned seen = 0, nargs = 0;

	if (n >= CTL_REQ_MAX)
		return ctl_fail(-E2BIG, err, errlen, "request longer than %d octets", CTL_REQ_MAX - 1);
	if (n > 0 && line[n - 1] == '\r')
		n--;
	while (i < n && ctl_is_word(line[i]))
		i++;
	if (i == 0)
		return ctl_fail(-EINVAL, err, errlen, "a request starts with a verb");
	int v = ctl_lookup(line, i, ctl_verb_at, CTL_V_MAX);
	if (v < 0)
		return ctl_fail(-ENOSYS, err, errlen, "unknown verb '%.*s'", (int)(i > 32 ? 32 : i), line);
	req->verb = (enum ctl_verb)v;

	while (i < n) {
		if (line[i] != ' ')
			return ctl_fail(-EINVAL, err, errlen, "octet %zu: expected a space", i);
		i++;
		size_t k0 = i;
		while (i < n && ctl_is_word(line[i]))
			i++;
		if (i == k0 || i == n || line[i] != '=')
			return ctl_fail(-EINVAL, err, errlen, "octet %zu: expected KEY=VALUE", k0);
		int k = ctl_lookup(line + k0, i - k0, ctl_key_at, CTL_K_MAX);
		if (k < 0 || !(ctl_verbs[v].allowed & KEY_BIT(k)))
			return ctl_fail(-EINVAL, err, errlen, "%s takes no argument '%.*s'",
					ctl_verbs[v].name, (int)(i - k0 > 32 ? 32 : i - k0), line + k0);
		if (seen & KEY_BIT(k))
			return ctl_fail(-EINVAL, err, errlen, "'%s' given twice", ctl_keys[k]);
		if (++nargs > CTL_ARGS_MAX)
			return ctl_fail(-E2BIG, err, errlen, "more than %d arguments", CTL_ARGS_MAX);
		i++;
		size_t v0 = i;
		while (i < n && line[i] != ' ')
			i++;
		size_t room = sizeof(req->store) - used;
		if (room > CTL_VALUE_MAX)
			room = CTL_VALUE_MAX;
		int len = ctl_value_decode(line + v0, i - v0, req->store + used, room, err, errlen);
		if (len < 0)
			return len;
		if (ctl_check_value((enum ctl_verb)v, (enum ctl_key)k, req->store + used, err, errlen) < 0)
			return -EINVAL;
		req->arg[k] = req->store + used;
		used += (size_t)len + 1;
		seen |= KEY_BIT(k);
	}
	unsigned missing = ctl_verbs[v].required & ~seen;
	if (missing != 0) {
		for (unsigned k = 0; k < CTL_K_MAX; k++)
			if (missing & KEY_BIT(k))
				return ctl_fail(-EINVAL, err, errlen, "%s needs %s=", ctl_verbs[v].name,
						ctl_keys[k]);
	}
	return 0;
}

int
ctl_req_parse(const char *line, size_t n, struct ctl_req *req, char *err, size_t errlen)
{
	memset(req->arg, 0, sizeof(req->arg));
	int rc = ctl_req_parse_line(line, n, req, err, errlen);
	if (rc < 0) /* nothing of a bad request is left for anyone to use */
		memset(req->arg, 0, sizeof(req->arg));
	return rc;
}

int
ctl_value_encode(const char *in, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		bool plain = c >= 0x21 && c <= 0x7e && c != '%';
		size_t need = plain ? 1 : 3;
		if (cap - o <= need) /* keep one byte for the NUL */
			return -E2BIG;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (cap == 0)
		return -E2BIG;
	out[o] = '\0';
	return (int)o;
}

/* ---- responses: writer ---- */

void
ctl_resp_init(struct ctl_resp *r)
{
	r->error = false;
	r->overflow = false;
	r->lines = 0;
	r->len = 0;
}

static bool
ctl_is_keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

/* Replace octets that are not printable ASCII (they could break a line). */
static void
ctl_clean(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			p[i] = '?';
}

static void
ctl_resp_verror(struct ctl_resp *r, int errnum, const char *fmt, va_list ap)
{
	const char *name;

	if (errnum < 0)
		errnum = -errnum;
	name = strerrorname_np(errnum);
	int h = snprintf(r->body, CTL_LINE_MAX, "%s ", name ? name : "EIO");
	int t = vsnprintf(r->body + h, (size_t)(CTL_LINE_MAX - 1 - h), fmt, ap);
	size_t len = (size_t)h + (t < 0 ? 0 : (size_t)t);
	if (len > CTL_LINE_MAX - 2)
		len = CTL_LINE_MAX - 2;
	ctl_clean(r->body, len);
	r->len = len;
	r->lines = 0;
	r->error = true;
}

void
ctl_resp_error(struct ctl_resp *r, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_resp_verror(r, errnum, fmt, ap);
	va_end(ap);
}

int
ctl_resp_add(struct ctl_resp *r, const char *key, const char *fmt, ...)
{
	size_t klen = strlen(key);
	va_list ap;

	if (r->error)
		return r->overflow ? -E2BIG : -EINVAL;
	if (klen == 0 || klen > 64)
		goto badkey;
	for (size_t i = 0; i < klen; i++)
		if (!ctl_is_keychar(key[i]))
			goto badkey;
	size_t room = sizeof(r->body) - r->len;
	if (r->lines >= CTL_RESP_LINES_MAX || room < CTL_LINE_MAX) {
		r->overflow = true;
		ctl_resp_error(r, E2BIG, "response longer than the protocol allows");
		return -E2BIG;
	}
	char *p = r->body + r->len;
	memcpy(p, key, klen);
	p[klen] = ' ';
	va_start(ap, fmt);
	int t = vsnprintf(p + klen + 1, CTL_LINE_MAX - 1 - klen - 1, fmt, ap);
	va_end(ap);
	size_t vlen = t < 0 ? 0 : (size_t)t;
	if (vlen > CTL_LINE_MAX - 3 - klen)
		vlen = CTL_LINE_MAX - 3 - klen;
	ctl_clean(p + klen + 1, vlen);
	p[klen + 1 + vlen] = '\n';
	r->len += klen + 1 + vlen + 1;
	r->lines++;
	return 0;

badkey:
	ctl_resp_error(r, EINVAL, "internal error: bad response key");
	return -EINVAL;
}

int
ctl_resp_render(const struct ctl_resp *r, char *out, size_t cap)
{
	int h;

	if (r->error)
		h = snprintf(out, cap, "ERR ");
	else
		h = snprintf(out, cap, "OK %u\n", r->lines);
	if (h < 0 || (size_t)h >= cap || cap - (size_t)h < r->len + 1)
		return -E2BIG;
	memcpy(out + h, r->body, r->len);
	size_t len = (size_t)h + r->len;
	if (r->error)
		out[len++] = '\n';
	return (int)len;
}

/* ---- responses: reader ---- */

/* The line at BUF[0..N): its length without LF, or -1 when no LF. */
static long
ctl_line(const char *buf, size_t n)
{
	size_t lim = n < CTL_LINE_MAX ? n : CTL_LINE_MAX;
	const char *lf = memchr(buf, '\n', lim);

	if (lf == NULL)
		return n < CTL_LINE_MAX ? -1 : -2; /* -2: too long */
	return lf - buf;
}

static bool
ctl_printable(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return false;
	return true;
}

static long
ctl_reply_err(const char *buf, size_t len, struct ctl_reply *rep)
{
	/* "ERR NAME TEXT" */
	const char *p = buf + 4, *end = buf + len;
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	size_t nl = sp ? (size_t)(sp - p) : (size_t)(end - p);

	if (nl == 0 || nl >= sizeof(rep->err_name))
		return -EPROTO;
	memcpy(rep->err_name, p, nl);
	rep->err_name[nl] = '\0';
	size_t tl = sp ? (size_t)(end - sp - 1) : 0;
	if (tl >= sizeof(rep->err_text))
		return -EPROTO;
	memcpy(rep->err_text, sp ? sp + 1 : "", tl);
	rep->err_text[tl] = '\0';
	rep->ok = false;
	return (long)len + 1;
}

long
ctl_reply_parse(const char *buf, size_t n, struct ctl_reply *rep)
{
	long len = ctl_line(buf, n);

	rep->ok = false;
	rep->n = 0;
	rep->err_name[0] = rep->err_text[0] = '\0';
	if (len == -1)
		return 0;
	if (len < 0 || !ctl_printable(buf, (size_t)len))
		return -EPROTO;
	if (len >= 4 && memcmp(buf, "ERR ", 4) == 0)
		return ctl_reply_err(buf, (size_t)len, rep);
	if (len < 4 || memcmp(buf, "OK ", 3) != 0 || len > 8)
		return -EPROTO;
	unsigned count = 0;
	for (long i = 3; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EPROTO;
		count = count * 10 + (unsigned)(buf[i] - '0');
	}
	if (count > CTL_RESP_LINES_MAX)
		return -EPROTO;

	size_t off = (size_t)len + 1, used = 0;
	for (unsigned l = 0; l < count; l++) {
		if (off >= n)
			return off >= CTL_RESP_MAX ? -E2BIG : 0;
		long ll = ctl_line(buf + off, n - off);
		if (ll == -1)
			return n - off >= CTL_RESP_MAX ? -E2BIG : 0;
		if (ll < 0 || !ctl_printable(buf + off, (size_t)ll))
			return -EPROTO;
		const char *line = buf + off;
		const char *sp = memchr(line, ' ', (size_t)ll);
		if (sp == NULL || sp == line)
			return -EPROTO;
		for (const char *k = line; k < sp; k++)
			if (!ctl_is_keychar(*k))
				return -EPROTO;
		if (used + (size_t)ll + 1 > sizeof(rep->store))
			return -E2BIG;
		char *s = rep->store + used;
		memcpy(s, line, (size_t)ll);
		s[ll] = '\0';
		s[sp - line] = '\0';
		rep->kv[l].key = s;
		rep->kv[l].value = s + (sp - line) + 1;
		used += (size_t)ll + 1;
		off += (size_t)ll + 1;
	}
	rep->n = count;
	rep->ok = true;
	return (long)off;
}

const char *
ctl_reply_get(const struct ctl_reply *rep, const char *key)
{
	for (unsigned i = 0; i < rep->n; i++)
		if (strcmp(rep->kv[i].key, key) == 0)
			return rep->kv[i].value;
	return NULL;
}
