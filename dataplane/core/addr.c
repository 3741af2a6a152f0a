/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	addr.c - the full address parser behind rg_addr_normalize()
 * DESCRIPTION
 *	rg_addr_normalize() (include/rcptgate/addr.h) handles the common
 *	form of an address on an inline fast path; every other form (a
 *	source route, a quoted local part, an address literal, a bare
 *	postmaster, anything that is not an address at all) comes here.
 *	The contract is the header's; test_addr holds the fast paths to
 *	this parser on random inputs.
 * DIAGNOSTICS
 *	RG_ADDR_ESYNTAX, RG_ADDR_ETOOLONG.
 * TRUST
 *	Network data: every byte is checked, every write bounded.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rcptgate/addr.h>

/*
 * Is the (unquoted) local part S[0..N) a dot-string, so that it needs no
 * quotes? Dots may not lead, trail or repeat.
 */
static bool
rg_addr_dot_string(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!rg_addr__atext((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/*
 * rg_addr_domain - check and fold the domain S[0..N) into OUT (room for
 * RG_DOMAIN_MAX bytes). A domain is dot-separated labels of letters,
 * digits, '-', '_' and UTF-8 bytes, or an address literal "[...]".
 * One trailing dot is dropped.
 *
 * Return: the domain's length (> 0), or RG_ADDR_ESYNTAX / RG_ADDR_ETOOLONG.
 */
int
rg_addr_domain(const char *s, size_t n, char *out)
{
	if (n > 0 && s[0] != '[' && s[n - 1] == '.')
		n--;
	if (n == 0)
		return RG_ADDR_ESYNTAX;
	if (n > RG_DOMAIN_MAX)
		return RG_ADDR_ETOOLONG;
	if (s[0] == '[') {
		/* address literal: printable ASCII except [ ] \ inside */
		if (n < 3 || s[n - 1] != ']')
			return RG_ADDR_ESYNTAX;
		for (size_t i = 1; i + 1 < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\')
				return RG_ADDR_ESYNTAX;
		}
	} else {
		size_t label = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == '.') {
				if (label == 0)
					return RG_ADDR_ESYNTAX;
				label = 0;
				continue;
			}
			if (!(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return RG_ADDR_ESYNTAX;
			label++;
		}
		if (label == 0)
			return RG_ADDR_ESYNTAX;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = rg_addr__lower(s[i]);
	return (int)n;
}

/*
 * rg_addr_normalize_full - the complete parser behind rg_addr_normalize()
 * (same contract). It handles every form the grammar allows; the fast
 * paths below handle the common form and defer to it for anything else.
 * Called directly only by the tests that hold the fast paths to it.
 */
int
rg_addr_normalize_full(const char *s, size_t n, unsigned flags, struct rg_addr *out)
{
	char local[RG_LOCAL_MAX];
	size_t ll = 0, i = 0;
	bool quoted = false;

	out->len = 0;
	out->local_len = 0;
	out->buf[0] = '\0';
	if (n > RG_MAILBOX_MAX)
		return RG_ADDR_ETOOLONG;

	/* source route: "@dom,@dom:" ; each route domain must be a domain */
	if (n > 0 && s[0] == '@') {
		const char *colon = memchr(s, ':', n);
		char tmp[RG_DOMAIN_MAX];
		if (colon == NULL)
			return RG_ADDR_ESYNTAX;
		size_t end = (size_t)(colon - s);
		while (i < end) {
			if (s[i] != '@')
				return RG_ADDR_ESYNTAX;
			i++;
			const char *comma = memchr(s + i, ',', end - i);
			size_t dl = comma ? (size_t)(comma - (s + i)) : end - i;
			if (rg_addr_domain(s + i, dl, tmp) < 0)
				return RG_ADDR_ESYNTAX;
			i += dl;
			if (comma)
				i++; /* after ',' another "@dom" must follow */
			if (comma && i >= end)
				return RG_ADDR_ESYNTAX;
		}
		i = end + 1;
	}

	/* local part into LOCAL (unquoted content) */
	if (i < n && s[i] == '"') {
		quoted = true;
		for (i++;; i++) {
			if (i >= n)
				return RG_ADDR_ESYNTAX; /* no closing quote */
			unsigned char c = (unsigned char)s[i];
			if (c == '"')
				break;
			if (c == '\\') {
				if (++i >= n)
					return RG_ADDR_ESYNTAX;
				c = (unsigned char)s[i];
				if (c < 32 || c == 127)
					return RG_ADDR_ESYNTAX;
			} else if (c < 32 || c == 127) {
				return RG_ADDR_ESYNTAX;
			}
			if (ll == RG_LOCAL_MAX)
				return RG_ADDR_ETOOLONG;
			local[ll++] = (char)c;
		}
		i++; /* closing quote */
		if (i < n && s[i] != '@')
			return RG_ADDR_ESYNTAX;
	} else {
		for (; i < n && s[i] != '@'; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c != '.' && !rg_addr__atext(c))
				return RG_ADDR_ESYNTAX;
			if (ll == RG_LOCAL_MAX)
				return RG_ADDR_ETOOLONG;
			local[ll++] = (char)c;
		}
		/*
		 * Dots that lead, trail or repeat are not RFC 5321 but are
		 * seen in real mail; Postfix accepts them, and so do we.
		 */
	}
	if (ll == 0 && !quoted)
		return RG_ADDR_ESYNTAX;

	if (!(flags & RG_ADDR_F_CASE_EXACT))
		for (size_t k = 0; k < ll; k++)
			local[k] = rg_addr__lower(local[k]);

	/* write the local part, quoted only if it must be */
	size_t o = 0;
	if (!quoted || rg_addr_dot_string(local, ll)) {
		memcpy(out->buf, local, ll);
		o = ll;
	} else {
		out->buf[o++] = '"';
		for (size_t k = 0; k < ll; k++) {
			if (local[k] == '"' || local[k] == '\\')
				out->buf[o++] = '\\';
			out->buf[o++] = local[k];
		}
		out->buf[o++] = '"';
	}
	if (o > RG_LOCAL_MAX)
		return RG_ADDR_ETOOLONG;
	out->local_len = (uint16_t)o;

	if (i >= n) {
		/* no domain: only <postmaster> (RFC 5321 4.1.1.3) */
		static const char pm[] = "postmaster";
		if (o != sizeof(pm) - 1)
			return RG_ADDR_ESYNTAX;
		for (size_t k = 0; k < o; k++)
			if (rg_addr__lower(out->buf[k]) != pm[k])
				return RG_ADDR_ESYNTAX;
		memcpy(out->buf, pm, o);
		out->len = (uint16_t)o;
		out->buf[o] = '\0';
		return RG_ADDR_OK;
	}

	/* s[i] == '@' */
	i++;
	out->buf[o] = '@';
	if (memchr(s + i, '@', n - i) != NULL)
		return RG_ADDR_ESYNTAX;
	int dl = rg_addr_domain(s + i, n - i, out->buf + o + 1);
	if (dl < 0) {
		out->local_len = 0;
		out->buf[0] = '\0';
		return dl;
	}
	o += 1 + (size_t)dl;
	if (o > RG_MAILBOX_MAX)
		return RG_ADDR_ETOOLONG;
	out->len = (uint16_t)o;
	out->buf[o] = '\0';
	return RG_ADDR_OK;
}
