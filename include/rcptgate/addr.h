/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	addr.h - parse and normalise recipient addresses
 * DESCRIPTION
 *	The one normalisation of an address, used by rcptgatectl when it
 *	compiles a table and by the dataplane when it looks up RCPT TO, so
 *	the two cannot disagree. Static inline, plain C, no allocation.
 *
 *	rg_addr_normalize() takes the mailbox as found between '<' and '>'
 *	of an SMTP path and produces "local@domain":
 *	- a source route ("@a,@b:") is checked and dropped;
 *	- a quoted local part is unquoted; quotes are kept (in a canonical
 *	  form, escaping only '"' and '\\') only when the content needs them;
 *	- the local part is folded to lower case (ASCII only) unless
 *	  RG_ADDR_F_CASE_EXACT; the domain is always folded; bytes >= 0x80
 *	  (UTF-8, SMTPUTF8) are kept as they are;
 *	- one trailing dot of the domain is dropped;
 *	- limits: local part 64 octets, domain 255, and the whole path 256
 *	  octets counting its angle brackets (RFC 5321 4.5.3.1.3), so the
 *	  mailbox is at most RG_PATH_MAX - 2 octets;
 *	- a bare local part (no domain) is accepted only for "postmaster"
 *	  (any case), as RFC 5321 allows.
 *	It runs for every RCPT TO, so the common form (unquoted local part,
 *	plain domain name) takes a one-pass fast path - AVX-512BW when the
 *	CPU has it (chosen at run time), else SSE2 when the compiler targets
 *	it, then a table-driven byte loop - and only other forms reach the
 *	full parser, rg_addr_normalize_full(). The paths give identical
 *	results; test_addr compares them on random inputs.
 *
 *	The full parser stays here, inline, although only rare forms reach
 *	it: compiled once in a .c file instead, the RCPT path of the SMTP
 *	engine got 4-6% slower with a table in cache (bench_smtp 1000,
 *	old/new alternating, medians of 8: 83.7 -> 88-92 ns a listed
 *	recipient), and restoring the inline parser restored the figure
 *	(docs/benchmarks.md, "Layout of the tree").
 *
 *	rg_addr_base() gives the address without its extension: the local
 *	part cut at the first of the recipient_delimiter characters (not
 *	when that is its first character, and never inside a quoted local
 *	part), as Postfix does.
 * DIAGNOSTICS
 *	RG_ADDR_ESYNTAX for anything that is not an address, RG_ADDR_ETOOLONG
 *	when a limit is exceeded. rg_addr_strerror() names them.
 * TRUST
 *	The input is network data: every byte is checked, every write into
 *	the output buffer is bounded by the limits above.
 */
#ifndef RCPTGATE_ADDR_H
#define RCPTGATE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RG_LOCAL_MAX 64
#define RG_DOMAIN_MAX 255
#define RG_PATH_MAX 256
#define RG_MAILBOX_MAX (RG_PATH_MAX - 2) /* path minus '<' and '>' */

#define RG_ADDR_F_CASE_EXACT 0x1 /* do not fold the local part */

struct rg_addr {
	uint16_t len;	    /* bytes used in buf (normalised "local@domain", or bare "postmaster") */
	uint16_t local_len; /* length of the local part; buf[local_len]=='@' when a domain is present */
	char buf[RG_PATH_MAX + 1]; /* NUL-terminated */
};

enum { RG_ADDR_OK = 0, RG_ADDR_ESYNTAX = -1, RG_ADDR_ETOOLONG = -2 };

static inline const char *
rg_addr_strerror(int rc)
{
	switch (rc) {
	case RG_ADDR_OK:
		return "ok";
	case RG_ADDR_ETOOLONG:
		return "address too long";
	default:
		return "bad address syntax";
	}
}

static inline char
rg_addr__lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/*
 * RFC 5322 atext (letters, digits and !#$%&'*+-/=?^_`{|}~), plus UTF-8
 * bytes (RFC 6531). A 128-bit map of the ASCII set: this runs for every
 * byte of every RCPT TO. test_addr checks it against the list above.
 */
static inline bool
rg_addr__atext(unsigned char c)
{
	static const uint64_t map[2] = { UINT64_C(0xa3ffacfa00000000), UINT64_C(0x7fffffffc7fffffe) };

	return c >= 0x80 || ((map[c >> 6] >> (c & 63)) & 1);
}

/*
 * Is the (unquoted) local part S[0..N) a dot-string, so that it needs no
 * quotes? Dots may not lead, trail or repeat.
 */
static inline bool
rg_addr__dot_string(const char *s, size_t n)
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
static inline int
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
static inline int
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
	if (!quoted || rg_addr__dot_string(local, ll)) {
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

/*
 * Byte classes of the fast paths: RG_AC_LOCAL, may appear in an unquoted
 * local part (atext and '.'); RG_AC_DOMAIN, in a domain label (letters,
 * digits, '-', '_', UTF-8 bytes); RG_AC_UPPER, 'A'..'Z' (folded by
 * OR-ing 0x20, i.e. (class & RG_AC_UPPER) << 3). test_addr checks the
 * table against rg_addr__atext() and the label rule of rg_addr_domain().
 */
enum { RG_AC_LOCAL = 0x1, RG_AC_DOMAIN = 0x2, RG_AC_UPPER = 0x4 };

static inline unsigned
rg_addr__class(unsigned char c)
{
	static const uint8_t cls[256] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 3, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
		0, 0, 0, 1, 0, 1, 0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
		7, 7, 7, 7, 0, 0, 0, 1, 3, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
		3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
		3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
		3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
		3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
		3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	};

	return cls[c];
}

/*
 * rg_addr__fast - one table-driven pass for the common form "local@domain"
 * (unquoted local part, no source route, a domain name without a trailing
 * dot): copy and fold into OUT while checking every byte.
 *
 * Return: RG_ADDR_OK when OUT is the same result rg_addr_normalize_full()
 * gives; 1 when the input is not of that form (the caller then runs the
 * full parser, which also produces the error code).
 */
static inline int
rg_addr__fast(const char *s, size_t n, unsigned flags, struct rg_addr *out)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned fold = (flags & RG_ADDR_F_CASE_EXACT) ? 0 : RG_AC_UPPER;
	size_t i, label = 0;

	if (n > RG_MAILBOX_MAX)
		return 1;
	for (i = 0; i < n; i++) {
		unsigned k = rg_addr__class(u[i]);
		if (!(k & RG_AC_LOCAL))
			break;
		out->buf[i] = (char)(u[i] | ((k & fold) << 3));
	}
	if (i == 0 || i > RG_LOCAL_MAX || i >= n || u[i] != '@')
		return 1;
	out->buf[i] = '@';
	for (size_t j = i + 1; j < n; j++) {
		unsigned k = rg_addr__class(u[j]);
		if (k & RG_AC_DOMAIN) {
			out->buf[j] = (char)(u[j] | ((k & RG_AC_UPPER) << 3));
			label++;
		} else if (u[j] == '.' && label > 0) {
			out->buf[j] = '.';
			label = 0;
		} else {
			return 1;
		}
	}
	if (label == 0)
		return 1; /* no domain, empty label or trailing dot */
	/* n <= RG_MAILBOX_MAX, so the domain is within RG_DOMAIN_MAX */
	out->buf[n] = '\0';
	out->len = (uint16_t)n;
	out->local_len = (uint16_t)i;
	return RG_ADDR_OK;
}

#define RG_ADDR_SIMD_MAX 64 /* mailboxes up to this long take a SIMD path */

/*
 * rg_addr__fast_masks - the structure checks shared by the SIMD paths,
 * on bit masks over the N (<= RG_ADDR_SIMD_MAX) input bytes: COMMON
 * (letters, digits, '.', '-', '_', '+', '@'), AT, DOT and PLUS. OUT->buf
 * already holds the folded bytes. One '@', not first or last; no '+' in
 * the domain; no empty label or trailing dot in the domain.
 *
 * Return: RG_ADDR_OK with OUT completed, or 1 (not of this form).
 */
static inline int
rg_addr__fast_masks(size_t n, uint64_t common, uint64_t at, uint64_t dot, uint64_t plus, struct rg_addr *out)
{
	uint64_t valid = n == 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;

	at &= valid;
	if ((common & valid) != valid || at == 0 || (at & (at - 1)) != 0)
		return 1;
	unsigned p = (unsigned)__builtin_ctzll(at); /* the '@' */
	if (p == 0 || p + 2 > n)
		return 1; /* empty local part or domain */
	unsigned dl = (unsigned)n - p - 1;
	uint64_t dmask = (valid >> (p + 1)); /* dl bits: the domain */
	uint64_t d = (dot >> (p + 1)) & dmask;
	if (((plus >> (p + 1)) & dmask) != 0 || (d & 1) != 0 || ((d >> (dl - 1)) & 1) != 0 ||
	    (d & (d >> 1)) != 0)
		return 1; /* '+' in the domain, empty label, trailing dot */
	out->buf[n] = '\0';
	out->len = (uint16_t)n;
	out->local_len = (uint16_t)p;
	return RG_ADDR_OK;
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* 0xff in each byte of X within [LO, HI] (unsigned), else 0. */
static inline __m128i
rg_addr__in_range(__m128i x, unsigned char lo, unsigned char hi)
{
	__m128i t = _mm_sub_epi8(x, _mm_set1_epi8((char)lo));

	return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8((char)(hi - lo))), t);
}

/*
 * rg_addr__fast_sse2 - rg_addr__fast() for mailboxes of at most
 * RG_ADDR_SIMD_MAX bytes made only of letters, digits, '.', '-', '_',
 * '+' and one '@', folded (no RG_ADDR_F_CASE_EXACT): 16 bytes a step,
 * with the structure checked on bit masks (rg_addr__fast_masks). The
 * common RCPT TO is such an address; rg_addr__fast() is a byte loop of
 * about ten instructions a byte, this is about two. Hand-written
 * because neither libc nor DPDK has an address normaliser.
 *
 * Return: as rg_addr__fast() (1: not of this form, try the next path).
 */
static inline int
rg_addr__fast_sse2(const char *s, size_t n, unsigned flags, struct rg_addr *out)
{
	unsigned char in[RG_ADDR_SIMD_MAX] = { 0 };
	uint64_t common = 0, at = 0, dot = 0, plus = 0;

	if (n == 0 || n > RG_ADDR_SIMD_MAX || (flags & RG_ADDR_F_CASE_EXACT))
		return 1;
	memcpy(in, s, n); /* never read past S[N) */
	for (unsigned c = 0; c * 16 < n; c++) {
		unsigned at_off = c * 16;
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(in + at_off));
		/* x | 0x20 is in 'a'..'z' exactly for the ASCII letters of either case */
		__m128i letter = rg_addr__in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z');
		__m128i m_at = _mm_cmpeq_epi8(x, _mm_set1_epi8('@'));
		__m128i m_dot = _mm_cmpeq_epi8(x, _mm_set1_epi8('.'));
		__m128i m_plus = _mm_cmpeq_epi8(x, _mm_set1_epi8('+'));
		__m128i ok = _mm_or_si128(letter, rg_addr__in_range(x, '0', '9'));
		ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, _mm_set1_epi8('-')));
		ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));
		ok = _mm_or_si128(ok, _mm_or_si128(_mm_or_si128(m_at, m_dot), m_plus));
		common |= (uint64_t)(unsigned)_mm_movemask_epi8(ok) << at_off;
		at |= (uint64_t)(unsigned)_mm_movemask_epi8(m_at) << at_off;
		dot |= (uint64_t)(unsigned)_mm_movemask_epi8(m_dot) << at_off;
		plus |= (uint64_t)(unsigned)_mm_movemask_epi8(m_plus) << at_off;
		_mm_storeu_si128((__m128i *)(void *)(out->buf + at_off),
				 _mm_or_si128(x, _mm_and_si128(letter, _mm_set1_epi8(0x20))));
	}
	return rg_addr__fast_masks(n, common, at, dot, plus, out);
}
#endif

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define RG_ADDR_HAVE_AVX512 1

/*
 * rg_addr__fast_avx512 - the same as rg_addr__fast_sse2(), for
 * RG_ADDR_F_CASE_EXACT too, in one 64-byte step with AVX-512BW: the
 * byte classes come out as 64-bit masks directly and one masked store
 * writes the folded bytes. The input is copied into a zeroed 64-byte
 * buffer first, as in the SSE2 path: a masked load straight from S was
 * faster with the table in cache but slower with a large one, where the
 * lookups' cache misses are what counts. Built for
 * AVX-512BW by its target attribute whatever the compiler's baseline,
 * and called only when the CPU has it (rg_addr__avx512_ok), so one
 * binary runs anywhere.
 *
 * Return: as rg_addr__fast() (1: not of this form, try the next path).
 */
__attribute__((target("avx512f,avx512bw,bmi2"))) static inline int
rg_addr__fast_avx512(const char *s, size_t n, unsigned flags, struct rg_addr *out)
{
	if (n == 0 || n > RG_ADDR_SIMD_MAX)
		return 1;
	__mmask64 valid = _bzhi_u64(UINT64_MAX, (unsigned)n);
	unsigned char in[RG_ADDR_SIMD_MAX] = { 0 };

	memcpy(in, s, n); /* never read past S[N) */
	__m512i x = _mm512_loadu_si512(in);
	__m512i lower = _mm512_or_si512(x, _mm512_set1_epi8(0x20));
	__mmask64 letter = _mm512_cmple_epu8_mask(_mm512_sub_epi8(lower, _mm512_set1_epi8('a')),
						  _mm512_set1_epi8('z' - 'a'));
	__mmask64 digit =
		_mm512_cmple_epu8_mask(_mm512_sub_epi8(x, _mm512_set1_epi8('0')), _mm512_set1_epi8(9));
	__mmask64 at = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('@'));
	__mmask64 dot = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('.'));
	__mmask64 plus = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('+'));
	__mmask64 other = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('-')) |
		_mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('_'));

	__mmask64 fold = letter;
	if (flags & RG_ADDR_F_CASE_EXACT) {
		/* only the domain: the bits above the first '@' */
		uint64_t first = at & (0 - at);
		fold &= first == 0 ? 0 : ~((first << 1) - 1);
	}
	_mm512_mask_storeu_epi8(out->buf, valid, _mm512_mask_mov_epi8(x, fold, lower));
	return rg_addr__fast_masks(n, letter | digit | at | dot | plus | other, at, dot, plus, out);
}

/* Does this CPU run rg_addr__fast_avx512()? (One load and test after the first call.) */
static inline bool
rg_addr__avx512_ok(void)
{
	return __builtin_cpu_supports("avx512bw");
}
#endif

/* The SIMD fast path this CPU runs best: as rg_addr__fast(), 1 when none applies. */
static inline int
rg_addr__fast_simd(const char *s, size_t n, unsigned flags, struct rg_addr *out)
{
#if defined(RG_ADDR_HAVE_AVX512)
	if (rg_addr__avx512_ok())
		return rg_addr__fast_avx512(s, n, flags, out);
#endif
#if defined(__SSE2__)
	return rg_addr__fast_sse2(s, n, flags, out);
#else
	(void)s, (void)n, (void)flags, (void)out;
	return 1;
#endif
}

/*
 * rg_addr_normalize - normalise the mailbox S[0..N) as found between '<'
 * and '>' of an SMTP path (source route "@a,@b:" allowed and dropped,
 * quoted local part allowed). Also used by the compiler on source lines.
 * The common form takes a fast path (AVX-512BW or SSE2, else a
 * table-driven byte loop); anything else the full parser. All
 * paths give the same result (test_addr holds them to it).
 *
 * @s: the mailbox bytes (need not be NUL-terminated)
 * @n: their number
 * @flags: RG_ADDR_F_CASE_EXACT or 0
 * @out: the normalised address (always left NUL-terminated)
 *
 * Return: RG_ADDR_OK, or RG_ADDR_ESYNTAX / RG_ADDR_ETOOLONG.
 */
static inline int
rg_addr_normalize(const char *s, size_t n, unsigned flags, struct rg_addr *out)
{
	if (rg_addr__fast_simd(s, n, flags, out) == RG_ADDR_OK)
		return RG_ADDR_OK;
	if (rg_addr__fast(s, n, flags, out) == RG_ADDR_OK)
		return RG_ADDR_OK;
	return rg_addr_normalize_full(s, n, flags, out);
}

/* True when A has a domain part. */
static inline bool
rg_addr_has_domain(const struct rg_addr *a)
{
	return a->local_len < a->len && a->buf[a->local_len] == '@';
}

/*
 * rg_addr__find - index of the first byte C in P[0..N), or N, for
 * N <= RG_LOCAL_MAX; P must be readable up to P[RG_LOCAL_MAX) (an
 * rg_addr's buf, 257 bytes, always is). It runs for every missed lookup,
 * on local parts of about twenty bytes, where a memchr call and its
 * length-dependent branches cost more than the search: with SSE2, four
 * 16-byte compares make a 64-bit mask, cut to N, without a branch.
 */
static inline size_t
rg_addr__find(const char *p, size_t n, char c)
{
#if defined(__SSE2__)
	__m128i pat = _mm_set1_epi8(c);
	uint64_t m = 0;

	for (unsigned k = 0; k < RG_LOCAL_MAX / 16; k++)
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			     _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k)), pat))
			<< (16 * k);
	m &= n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
	return m != 0 ? (size_t)__builtin_ctzll(m) : n;
#else
	const char *q = memchr(p, c, n);

	return q != NULL ? (size_t)(q - p) : n;
#endif
}

/*
 * rg_addr_base - the address A without its extension, into OUT.
 *
 * @delims: the recipient_delimiter set ("" or NULL: none)
 *
 * Return: true and OUT filled when A has an extension; false otherwise
 * (OUT is then untouched).
 */
static inline bool
rg_addr_base(const struct rg_addr *a, const char *delims, struct rg_addr *out)
{
	if (delims == NULL || delims[0] == '\0' || !rg_addr_has_domain(a) || a->buf[0] == '"')
		return false;
	/* one search per delimiter (usually one): no per-byte set test */
	size_t cut = a->local_len;
	for (const char *d = delims; *d != '\0' && cut > 1; d++)
		cut = 1 + rg_addr__find(a->buf + 1, cut - 1, *d);
	if (cut >= a->local_len)
		return false;
	size_t dl = (size_t)a->len - a->local_len; /* "@domain" */
	memcpy(out->buf, a->buf, cut);
	memcpy(out->buf + cut, a->buf + a->local_len, dl);
	out->local_len = (uint16_t)cut;
	out->len = (uint16_t)(cut + dl);
	out->buf[out->len] = '\0';
	return true;
}

#endif /* RCPTGATE_ADDR_H */
