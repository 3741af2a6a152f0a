/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	ctl_prom.c - the Prometheus text exposition format, written once
 * DESCRIPTION
 *	See ctl_prom.h. The format (Prometheus' "text-based format",
 *	version 0.0.4): "# HELP NAME TEXT" with backslash and newline
 *	escaped, "# TYPE NAME counter|gauge|untyped", then the family's
 *	samples "NAME{LABEL=\"VALUE\",...} VALUE", label values with
 *	backslash, double quote and newline escaped; lines end in LF.
 *
 *	A few printf-style appends into a buffer doubled as it fills: no
 *	library is needed for this little text.
 * DIAGNOSTICS
 *	Sticky error in struct ctl_prom (ctl_prom_done).
 * TRUST
 *	See ctl_prom.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rcptgate/counters.h>

#include "ctl/ctl_prom.h"

void
ctl_prom_init(struct ctl_prom *p)
{
	memset(p, 0, sizeof(*p));
}

void
ctl_prom_free(struct ctl_prom *p)
{
	free(p->buf);
	ctl_prom_init(p);
}

int
ctl_prom_done(const struct ctl_prom *p)
{
	return p->err;
}

/* Room for N more octets and a NUL. */
static int
prom_reserve(struct ctl_prom *p, size_t n)
{
	if (p->err != 0)
		return p->err;
	if (n >= CTL_PROM_MAX - p->len)
		return p->err = -E2BIG;
	if (p->len + n + 1 <= p->cap)
		return 0;
	size_t cap = p->cap ? p->cap : 16384;
	while (cap < p->len + n + 1)
		cap *= 2;
	char *b = realloc(p->buf, cap);
	if (b == NULL)
		return p->err = -ENOMEM;
	p->buf = b;
	p->cap = cap;
	return 0;
}

static void
prom_vprintf(struct ctl_prom *p, const char *fmt, va_list ap)
{
	va_list again;

	va_copy(again, ap);
	int n = vsnprintf(p->buf ? p->buf + p->len : NULL, p->buf ? p->cap - p->len : 0, fmt, ap);
	if (n >= 0 && p->buf != NULL && (size_t)n < p->cap - p->len) {
		p->len += (size_t)n;
	} else if (n < 0) {
		p->err = p->err ? p->err : -EINVAL;
	} else if (prom_reserve(p, (size_t)n) == 0) {
		vsnprintf(p->buf + p->len, p->cap - p->len, fmt, again);
		p->len += (size_t)n;
	}
	va_end(again);
}

void
ctl_prom_printf(struct ctl_prom *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err != 0)
		return;
	va_start(ap, fmt);
	prom_vprintf(p, fmt, ap);
	va_end(ap);
}

/* S with the octets in ESC ('\\', '\n' and perhaps '"') escaped. */
static void
prom_escaped(struct ctl_prom *p, const char *s, const char *esc)
{
	char stop[8];

	snprintf(stop, sizeof(stop), "\n%s", esc);
	while (*s) {
		size_t n = strcspn(s, stop);
		ctl_prom_printf(p, "%.*s", (int)n, s);
		s += n;
		if (*s != '\0') {
			ctl_prom_printf(p, "\\%c", *s == '\n' ? 'n' : *s);
			s++;
		}
	}
}

/*
 * A counter kept in nanoseconds (NAME_ns) is exported in seconds, the
 * base unit Prometheus' naming asks for (promtool refuses "_ns"):
 * rcptgate_STEM_seconds_total, its value NS / 10^9 written exactly.
 */
static bool
prom_in_ns(unsigned c)
{
	size_t n = strlen(rg_counter_info[c].name);
	return n > 3 && strcmp(rg_counter_info[c].name + n - 3, "_ns") == 0;
}

int
ctl_prom_name(unsigned c, char *buf, size_t cap)
{
	if (c >= RG_C_MAX)
		return -EINVAL;
	const char *name = rg_counter_info[c].name;
	int len = (int)strlen(name) - (prom_in_ns(c) ? 3 : 0);
	int n = snprintf(buf, cap, "rcptgate_%.*s%s%s", len, name, prom_in_ns(c) ? "_seconds" : "",
			 rg_counter_info[c].kind == RG_CK_COUNTER ? "_total" : "");
	return n < 0 || (size_t)n >= cap ? -E2BIG : 0;
}

void
ctl_prom_family(struct ctl_prom *p, const char *name, const char *type, const char *help)
{
	ctl_prom_printf(p, "# HELP %s ", name);
	prom_escaped(p, help, "\\");
	ctl_prom_printf(p, "\n# TYPE %s %s\n", name, type);
}

void
ctl_prom_sample(struct ctl_prom *p, const char *name, const char *labels, const char *value)
{
	if (labels != NULL && labels[0] != '\0')
		ctl_prom_printf(p, "%s{%s} %s\n", name, labels, value);
	else
		ctl_prom_printf(p, "%s %s\n", name, value);
}

int
ctl_prom_label(char *buf, size_t cap, const char *name, const char *value)
{
	size_t len = strlen(buf), need = len + (len > 0) + strlen(name) + 4; /* ,name="" NUL */

	for (const char *v = value; *v; v++)
		need += strchr("\\\"\n", *v) != NULL ? 2 : 1;
	if (need > cap)
		return -E2BIG;
	char *o = buf + len;
	if (len > 0)
		*o++ = ',';
	o += sprintf(o, "%s=\"", name);
	for (const char *v = value; *v; v++) {
		if (strchr("\\\"\n", *v) != NULL) {
			*o++ = '\\';
			*o++ = *v == '\n' ? 'n' : *v;
		} else {
			*o++ = *v;
		}
	}
	*o++ = '"';
	*o = '\0';
	return 0;
}

void
ctl_prom_counter(struct ctl_prom *p, unsigned c, const char *value)
{
	char name[160], help[320], secs[32];

	if (ctl_prom_name(c, name, sizeof(name)) != 0)
		return;
	snprintf(help, sizeof(help), "%s%s", rg_counter_info[c].help,
		 prom_in_ns(c) ? " (here in seconds)" : "");
	ctl_prom_family(p, name, rg_counter_info[c].kind == RG_CK_COUNTER ? "counter" : "gauge", help);
	if (prom_in_ns(c) && value[0] != '\0' && strspn(value, "0123456789") == strlen(value)) {
		unsigned long long ns = strtoull(value, NULL, 10);
		snprintf(secs, sizeof(secs), "%llu.%09llu", ns / 1000000000ull, ns % 1000000000ull);
		value = secs;
	}
	ctl_prom_sample(p, name, NULL, value);
}

void
ctl_prom_untyped(struct ctl_prom *p, const char *key, const char *value)
{
	char name[160], help[200];

	/* protocol keys may hold '.', metric names may not */
	snprintf(name, sizeof(name), "rcptgate_%s", key);
	for (char *c = name; *c; c++)
		if (*c == '.')
			*c = '_';
	snprintf(help, sizeof(help), "rcptgate counter %s (unknown to this rcptgatectl)", key);
	ctl_prom_family(p, name, "untyped", help);
	ctl_prom_sample(p, name, NULL, value);
}

void
ctl_prom_counters(struct ctl_prom *p, const uint64_t *v)
{
	char value[24];

	for (unsigned c = 0; c < RG_C_MAX; c++) {
		snprintf(value, sizeof(value), "%" PRIu64, v[c]);
		ctl_prom_counter(p, c, value);
	}
}

void
ctl_prom_workers(struct ctl_prom *p, unsigned c, unsigned n, const unsigned *lcore, const uint64_t *v)
{
	char name[160], help[320], labels[64], num[24];

	if (c >= RG_C_MAX || n == 0)
		return;
	snprintf(name, sizeof(name), "rcptgate_lcore_%s%s", rg_counter_info[c].name,
		 rg_counter_info[c].kind == RG_CK_COUNTER ? "_total" : "");
	snprintf(help, sizeof(help), "%s, per worker lcore", rg_counter_info[c].help);
	ctl_prom_family(p, name, rg_counter_info[c].kind == RG_CK_COUNTER ? "counter" : "gauge", help);
	for (unsigned w = 0; w < n; w++) {
		labels[0] = '\0';
		snprintf(num, sizeof(num), "%u", w);
		(void)ctl_prom_label(labels, sizeof(labels), "worker", num);
		snprintf(num, sizeof(num), "%u", lcore[w]);
		(void)ctl_prom_label(labels, sizeof(labels), "lcore", num);
		snprintf(num, sizeof(num), "%" PRIu64, v[w]);
		ctl_prom_sample(p, name, labels, num);
	}
}
