/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tbl_build.c - build a recipient table (PtrHash-style perfect hash)
 * DESCRIPTION
 *	Source lines are normalised with rg_addr_normalize() (the same code
 *	the dataplane uses) and kept in one arena. Every domain seen becomes
 *	a key "@domain" with a tag byte (served, or catch-all when a
 *	"@domain" line exists). At finish:
 *	 1. hash every key with a random seed (tbl_fmt_hash_*: an address
 *	    with its domain's hash as the seed) and group the keys by bucket
 *	    (one counting sort, then a small sort by hash inside each bucket
 *	    of ~3 keys); equal hashes are duplicates (dropped, counted) or,
 *	    for distinct keys, a reason to start again with another seed;
 *	 2. buckets are placed largest first: the first pilot (0..255) whose
 *	    slots are all free and distinct wins. Free slots are looked up in
 *	    a bitmap (1 bit a slot, in cache far longer than the 4-byte owner
 *	    array that eviction needs);
 *	 3. when no pilot fits, the pilot whose collisions are cheapest
 *	    (sum of the squared sizes of the buckets it would displace) is
 *	    taken and those buckets are evicted and placed again, as in
 *	    PtrHash; a bound on evictions makes a bad seed fail and retry;
 *	 4. the blob is the arena copied in order less the duplicates (no
 *	    key is read at random), the slots are written; checksums last.
 *	Steps 1 to 3 are tbl_place.c.
 *	Large arrays ask for transparent huge pages (rg_hint_huge, rcptgate/huge.h).
 *	DPDK has no minimal perfect hash and cmph's CHD stores no keys and
 *	is slower to query (see docs/benchmarks.md), hence our own.
 * DIAGNOSTICS
 *	Bad lines: -EINVAL with the reason; resources: -ENOMEM, -E2BIG;
 *	file errors: -errno with the path.
 * TRUST
 *	Source lines are operator input but checked fully (any bytes, any
 *	length).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <rcptgate/huge.h>
#include <rcptgate/table_format.h>

#include "tbl_impl.h"

/*
 * n_slots = n * 100 / 92: 8% empty slots. With 3% the last buckets need
 * far more pilot tries and evictions (placement at 1e7 keys was slower at
 * each step 8% -> 5% -> 3% when this was chosen), for 0.5 bytes a key;
 * the file stays within key bytes + 10 a key (docs/benchmarks.md).
 */
#define TBL_SLACK_NUM 100
#define TBL_SLACK_DEN 92
#define TBL_LAMBDA 3 /* average keys per bucket */
#define TBL_SEED_TRIES 8

struct tbl_builder {
	unsigned flags;
	char *arena; /* keys; a domain key is followed by its tag byte */
	size_t arena_len, arena_cap;
	uint64_t *addr; /* refs: slot words, the local part's length in the fingerprint field */
	size_t n_addr, cap_addr;
	uint64_t *dom;		/* open-addressing set of domain refs, 0 = empty */
	size_t n_dom, cap_dom;	/* cap is a power of two */
	uint64_t catchall_dups; /* repeated "@domain" lines (address repeats are found at finish) */
	struct tbl_build_stats st;
};

static void tbl_unmap(void *p, size_t cap, size_t size);

struct tbl_builder *
tbl_builder_new(unsigned flags)
{
	struct tbl_builder *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->flags = flags & RG_ADDR_F_CASE_EXACT;
	b->cap_dom = 64;
	b->dom = calloc(b->cap_dom, sizeof(*b->dom));
	if (b->dom == NULL) {
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	return b;
}

void
tbl_builder_free(struct tbl_builder *b)
{
	if (b == NULL)
		return;
	tbl_unmap(b->arena, b->arena_cap, 1);
	tbl_unmap(b->addr, b->cap_addr, sizeof(*b->addr));
	free(b->dom);
	free(b);
}

void
tbl_builder_count_invalid(struct tbl_builder *b)
{
	b->st.invalid++;
}

void
tbl_builder_stats(const struct tbl_builder *b, struct tbl_build_stats *st)
{
	*st = b->st;
}

/*
 * Grow *P (of *CAP elements of SIZE bytes) to hold at least NEED. The
 * arena and the address refs reach hundreds of MB, so they are anonymous
 * mappings of their own: all of each asks for huge pages (4 KiB page
 * faults were the largest part of a build at 1e7 addresses on the
 * machine this was measured on), and growing is an mremap (page tables
 * move, nothing is copied or zeroed again). Free with tbl_unmap().
 */
static int
tbl_grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap : 65536;
	while (nc < need) {
		if (nc > SIZE_MAX / 2 / size)
			return -ENOMEM;
		nc *= 2;
	}
	void *q;
	if (*p == NULL)
		q = mmap(NULL, nc * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		q = mremap(*p, *cap * size, nc * size, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return -ENOMEM;
	rg_hint_huge(q, nc * size);
	*p = q;
	*cap = nc;
	return 0;
}

/* Free what tbl_grow allocated: CAP elements of SIZE bytes at P (NULL is fine). */
static void
tbl_unmap(void *p, size_t cap, size_t size)
{
	if (p != NULL)
		munmap(p, cap * size);
}

/* Append K[0..LEN) (+ a tag byte when TAGGED) to the arena; ref in *REF. */
static int
tbl_arena_put(struct tbl_builder *b, const char *k, size_t len, bool tagged, uint64_t *ref)
{
	size_t need = b->arena_len + len + tagged;

	if (need > TBL_SLOT_OFF_MAX)
		return -E2BIG;
	if (tbl_grow((void **)&b->arena, &b->arena_cap, need, 1) != 0)
		return -ENOMEM;
	memcpy(b->arena + b->arena_len, k, len);
	if (tagged)
		b->arena[b->arena_len + len] = TBL_TAG_SERVED;
	*ref = tbl_fmt_slot_make(0, (unsigned)len, b->arena_len);
	b->arena_len = need;
	return 0;
}

static const char *
tbl_ref_key(const struct tbl_builder *b, uint64_t ref)
{
	return b->arena + tbl_fmt_slot_off(ref);
}

/* Find or add the domain key K ("@domain"); its tag byte in *TAG. */
static int
tbl_domain_add(struct tbl_builder *b, const char *k, size_t len, char **tag)
{
	if ((b->n_dom + 1) * 2 > b->cap_dom) {
		size_t nc = b->cap_dom * 2;
		uint64_t *nd = calloc(nc, sizeof(*nd));
		if (nd == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < b->cap_dom; i++) {
			uint64_t r = b->dom[i];
			if (r == 0)
				continue;
			size_t j = rg_hash64(tbl_ref_key(b, r), tbl_fmt_slot_len(r), 0) & (nc - 1);
			while (nd[j] != 0)
				j = (j + 1) & (nc - 1);
			nd[j] = r;
		}
		free(b->dom);
		b->dom = nd;
		b->cap_dom = nc;
	}
	size_t j = rg_hash64(k, len, 0) & (b->cap_dom - 1);
	for (; b->dom[j] != 0; j = (j + 1) & (b->cap_dom - 1)) {
		uint64_t r = b->dom[j];
		if (tbl_fmt_slot_len(r) == len && memcmp(tbl_ref_key(b, r), k, len) == 0) {
			*tag = b->arena + tbl_fmt_slot_off(r) + len;
			return 1;
		}
	}
	uint64_t ref;
	int rc = tbl_arena_put(b, k, len, true, &ref);
	if (rc != 0)
		return rc;
	b->dom[j] = ref;
	b->n_dom++;
	*tag = b->arena + tbl_fmt_slot_off(ref) + len;
	return 0;
}

/*
 * A Postfix map value after the address: "OK" or any other word that
 * marks a valid recipient (relay_recipient_maps ignore the value), but
 * not an access-map rejection.
 */
static bool
tbl_value_rejects(const char *v, size_t n)
{
	static const char *const no[] = { "REJECT", "DEFER", "DISCARD", "HOLD", "DEFER_IF_PERMIT" };

	if (n >= 3 && (v[0] == '4' || v[0] == '5'))
		return true;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		size_t l = strlen(no[i]);
		if (n >= l && strncasecmp(v, no[i], l) == 0 && (n == l || v[l] == ' ' || v[l] == '\t'))
			return true;
	}
	return false;
}

int
tbl_builder_add_line(struct tbl_builder *b, const char *line, size_t n, char *err, size_t errlen)
{
	struct rg_addr a;
	char key[RG_PATH_MAX + 1];
	char *tag;
	int rc;

	b->st.lines++;
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	while (n > 0 && (line[0] == ' ' || line[0] == '\t')) {
		line++;
		n--;
	}
	if (n == 0 || line[0] == '#')
		return 0;
	if (memchr(line, '\0', n) != NULL)
		return tbl_fail(-EINVAL, err, errlen, "NUL byte in line");

	/* "addr VALUE" (Postfix map): split at the first blank */
	const char *sp = memchr(line, ' ', n);
	size_t al = sp != NULL ? (size_t)(sp - line) : n;
	const char *tab = memchr(line, '\t', al);
	if (tab != NULL)
		al = (size_t)(tab - line);
	if (al < n) {
		const char *v = line + al;
		size_t vn = n - al;
		while (vn > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vn--;
		}
		if (tbl_value_rejects(v, vn))
			return tbl_fail(-EINVAL, err, errlen,
					"map value '%.*s' does not mark a valid recipient",
					(int)(vn > 40 ? 40 : vn), v);
	}
	if (al >= 2 && line[0] == '<' && line[al - 1] == '>') {
		line++;
		al -= 2;
	}

	if (al > 0 && line[0] == '@' && memchr(line, ':', al) == NULL) {
		/* "@domain": catch-all */
		rc = rg_addr_domain(line + 1, al - 1, key + 1);
		if (rc < 0)
			return tbl_fail(-EINVAL, err, errlen, "bad catch-all domain: %s",
					rg_addr_strerror(rc));
		if ((size_t)rc + 1 > RG_MAILBOX_MAX)
			return tbl_fail(-EINVAL, err, errlen, "catch-all domain too long");
		key[0] = '@';
		rc = tbl_domain_add(b, key, (size_t)rc + 1, &tag);
		if (rc < 0)
			return tbl_fail(rc, err, errlen, "%s", strerror(-rc));
		if (*tag == TBL_TAG_CATCHALL) {
			b->st.duplicates = ++b->catchall_dups;
		} else {
			*tag = TBL_TAG_CATCHALL;
			b->st.catchall++;
		}
		b->st.domains = b->n_dom;
		return 0;
	}

	rc = rg_addr_normalize(line, al, b->flags, &a);
	if (rc != RG_ADDR_OK)
		return tbl_fail(-EINVAL, err, errlen, "%s", rg_addr_strerror(rc));
	if (!rg_addr_has_domain(&a))
		return tbl_fail(-EINVAL, err, errlen, "address without a domain");
	rc = tbl_domain_add(b, a.buf + a.local_len, (size_t)a.len - a.local_len, &tag);
	if (rc >= 0) {
		uint64_t ref;
		rc = tbl_grow((void **)&b->addr, &b->cap_addr, b->n_addr + 1, sizeof(*b->addr));
		if (rc == 0)
			rc = tbl_arena_put(b, a.buf, a.len, false, &ref);
		if (rc == 0)
			b->addr[b->n_addr++] = ref | tbl_fmt_slot_make(a.local_len, 0, 0);
	}
	if (rc < 0)
		return tbl_fail(rc, err, errlen, "%s", strerror(-rc));
	b->st.domains = b->n_dom;
	return 0;
}

/* ---- construction ---- */

static uint64_t
tbl_align(uint64_t x)
{
	return (x + TBL_ALIGN - 1) / TBL_ALIGN * TBL_ALIGN;
}

static double
tbl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
tbl_cmp_ref(const void *x, const void *y)
{
	uint64_t a = tbl_fmt_slot_off(*(const uint64_t *)x), b = tbl_fmt_slot_off(*(const uint64_t *)y);

	return (a > b) - (a < b);
}

/*
 * The blob is the arena without the duplicates DUP[0..N_DUP) (refs of
 * address keys, sorted by offset): copied in arena order, so building
 * the image never reads keys at random. tbl_blob_off() maps an arena
 * offset to its blob offset.
 */
static void
tbl_blob_fill(const struct tbl_builder *b, const uint64_t *dup, size_t n_dup, char *blob)
{
	uint64_t from = 0, o = 0;

	for (size_t i = 0; i < n_dup; i++) {
		uint64_t at = tbl_fmt_slot_off(dup[i]);
		memcpy(blob + o, b->arena + from, at - from);
		o += at - from;
		from = at + tbl_fmt_slot_len(dup[i]);
	}
	/* An empty table has no arena (NULL) and nothing to copy; memcpy
	 * must not be handed a NULL pointer even for 0 bytes. */
	if (b->arena_len > from)
		memcpy(blob + o, b->arena + from, b->arena_len - from);
}

/* CUT[i]: bytes of DUP[0..i); the offset moves back by the dups before it. */
static uint64_t
tbl_blob_off(const uint64_t *dup, const uint64_t *cut, size_t n_dup, uint64_t arena_off)
{
	size_t lo = 0, hi = n_dup; /* dups before arena_off: dup[0..lo) */

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tbl_fmt_slot_off(dup[mid]) < arena_off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return arena_off - cut[lo];
}

/*
 * One attempt with SEED over E[0..N_IN) (hashed by the caller). Returns
 * 0 with the image, 1 when the seed failed (collision or placement),
 * or -errno.
 */
static int
tbl_try_seed(struct tbl_builder *b, uint64_t seed, struct tbl_ent *e, struct tbl_ent *tmp, size_t n_in,
	     void **image, size_t *len)
{
	int rc = -ENOMEM;

	uint64_t n_buckets = n_in / TBL_LAMBDA + 2;
	if (n_buckets > UINT32_MAX - 1)
		return -E2BIG;
	struct tbl_fmt_buckets bp;
	tbl_fmt_bucket_params(n_buckets, &bp);
	uint32_t *start = malloc((n_buckets + 1) * sizeof(*start));
	if (start == NULL)
		return -ENOMEM;
	rg_hint_huge(start, (n_buckets + 1) * sizeof(*start));
	tbl_group(e, tmp, n_in, start, n_buckets, &bp);

	/* back into E without duplicates; hash collisions of distinct keys */
	size_t n = 0;
	uint64_t dups = 0, dup_bytes = 0;
	uint64_t *dup = NULL; /* refs of the dropped duplicates */
	uint64_t *cut = NULL; /* cut[i]: bytes of dup[0..i) */
	size_t cap_dup = 0;
	for (uint64_t bk = 0; bk < n_buckets; bk++) {
		uint32_t first = (uint32_t)n;
		for (uint32_t i = start[bk]; i < start[bk + 1]; i++) {
			if (n > first && e[n - 1].h == tmp[i].h) {
				unsigned l = tbl_fmt_slot_len(tmp[i].ref);
				if (l == tbl_fmt_slot_len(e[n - 1].ref) &&
				    memcmp(tbl_ref_key(b, tmp[i].ref), tbl_ref_key(b, e[n - 1].ref), l) ==
					    0) {
					if (tbl_grow((void **)&dup, &cap_dup, dups + 1, sizeof(*dup)) != 0) {
						tbl_unmap(dup, cap_dup, sizeof(*dup));
						free(start);
						return -ENOMEM;
					}
					dup[dups++] = tmp[i].ref;
					dup_bytes += l;
					continue;
				}
				tbl_unmap(dup, cap_dup, sizeof(*dup));
				free(start);
				return 1; /* two keys, one hash: another seed */
			}
			e[n++] = tmp[i];
		}
		start[bk] = first;
	}
	start[n_buckets] = (uint32_t)n;

	uint64_t n_slots = n * TBL_SLACK_NUM / TBL_SLACK_DEN + 1;
	cut = malloc((dups + 1) * sizeof(*cut));
	if (n_slots >= TBL_SLOT_FREE || cut == NULL) {
		free(cut);
		tbl_unmap(dup, cap_dup, sizeof(*dup));
		free(start);
		return n_slots >= TBL_SLOT_FREE ? -E2BIG : -ENOMEM;
	}
	if (dups > 0)
		qsort(dup, dups, sizeof(*dup), tbl_cmp_ref);
	cut[0] = 0;
	for (size_t i = 0; i < dups; i++)
		cut[i + 1] = cut[i] + tbl_fmt_slot_len(dup[i]);

	struct tbl_place pl = { .e = e,
				.start = start,
				.n_slots = n_slots,
				.rng = seed | 1,
				.max_evictions = 64 * (uint64_t)n + 1024 };
	uint32_t *order = malloc(n_buckets * sizeof(*order));
	uint32_t *bysize = calloc(257, sizeof(*bysize));
	pl.pilot = calloc(n_buckets, 1);
	pl.owner = malloc(n_slots * sizeof(*pl.owner));
	rg_hint_huge(pl.owner, n_slots * sizeof(*pl.owner));
	pl.taken = calloc(n_slots / 64 + 1, sizeof(*pl.taken));
	pl.stack = malloc((n_buckets + 1) * sizeof(*pl.stack));
	uint64_t *s = malloc((n + 1) * sizeof(*s));
	char *img = NULL;
	if (order == NULL || bysize == NULL || pl.pilot == NULL || pl.owner == NULL || pl.taken == NULL ||
	    pl.stack == NULL || s == NULL)
		goto out;
	memset(pl.recent, 0xff, sizeof(pl.recent));
	for (uint64_t i = 0; i < n_slots; i++)
		pl.owner[i] = TBL_SLOT_FREE;

	/* buckets by size, largest first (sizes above 255 share the top class) */
	for (uint64_t i = 0; i < n_buckets; i++) {
		uint32_t sz = start[i + 1] - start[i];
		bysize[sz > 255 ? 0 : 255 - sz]++;
	}
	uint32_t sum = 0;
	for (unsigned i = 0; i < 257; i++) {
		uint32_t c = bysize[i];
		bysize[i] = sum;
		sum += c;
	}
	for (uint64_t i = 0; i < n_buckets; i++) {
		uint32_t sz = start[i + 1] - start[i];
		order[bysize[sz > 255 ? 0 : 255 - sz]++] = (uint32_t)i;
	}

	double t0 = tbl_now();
	for (uint64_t i = 0; i < n_buckets; i++) {
		if (start[order[i] + 1] == start[order[i]])
			break; /* empty buckets need no pilot */
		pl.stack[pl.sp++] = order[i];
		while (pl.sp > 0) {
			uint32_t bk = pl.stack[--pl.sp];
			if (!tbl_place_bucket(&pl, bk, s)) {
				rc = 1;
				goto out;
			}
		}
	}
	b->st.build_seconds = tbl_now() - t0;

	/* the image: the blob holds the arena's keys less the duplicates (addresses) */
	uint64_t blob_size = b->arena_len - dup_bytes;
	struct tbl_file_header h = { .version = TBL_VERSION, .header_size = sizeof(h) };
	memcpy(h.magic, TBL_MAGIC, sizeof(h.magic));
	h.flags = (b->flags & RG_ADDR_F_CASE_EXACT) ? TBL_F_CASE_EXACT : 0;
	h.seed = seed;
	h.n_buckets = n_buckets;
	h.n_slots = n_slots;
	h.pilots_off = tbl_align(sizeof(h));
	h.pilots_size = n_buckets;
	h.slots_off = tbl_align(h.pilots_off + h.pilots_size);
	h.slots_size = n_slots * 8;
	h.blob_off = tbl_align(h.slots_off + h.slots_size);
	h.blob_size = blob_size;
	if (blob_size > TBL_SLOT_OFF_MAX) {
		rc = -E2BIG;
		goto out;
	}
	size_t total = h.blob_off + blob_size;
	img = calloc(1, total);
	if (img == NULL)
		goto out;
	rg_hint_huge(img, total);
	memcpy(img + h.pilots_off, pl.pilot, n_buckets);
	tbl_blob_fill(b, dup, dups, img + h.blob_off);
	uint64_t *slots = (uint64_t *)(void *)(img + h.slots_off);
	for (uint64_t bk = 0; bk < n_buckets; bk++) {
		for (uint32_t i = start[bk]; i < start[bk + 1]; i++) {
			uint64_t r = e[i].ref;
			slots[tbl_fmt_slot(e[i].h, pl.pilot[bk], n_slots)] =
				tbl_fmt_slot_make(tbl_fmt_fp(e[i].h), tbl_fmt_slot_len(r),
						  tbl_blob_off(dup, cut, dups, tbl_fmt_slot_off(r)));
		}
	}
	h.n_domains = b->n_dom;
	h.n_catchall = b->st.catchall;
	h.n_addresses = n - b->n_dom;
	memcpy(img, &h, sizeof(h));
	tbl_fmt_seal(img, total);

	b->st.addresses = h.n_addresses;
	b->st.domains = h.n_domains;
	b->st.catchall = h.n_catchall;
	b->st.duplicates = b->catchall_dups + dups; /* finish may run more than once */
	b->st.bytes = total;
	*image = img;
	*len = total;
	img = NULL;
	rc = 0;
out:
	free(img);
	tbl_unmap(dup, cap_dup, sizeof(*dup));
	free(cut);
	free(start);
	free(order);
	free(bysize);
	free(pl.pilot);
	free(pl.owner);
	free(pl.taken);
	free(pl.stack);
	free(s);
	return rc;
}

int
tbl_builder_finish(struct tbl_builder *b, void **image, size_t *len, char *err, size_t errlen)
{
	size_t n = b->n_addr + b->n_dom;
	struct tbl_ent *e = malloc((n + 1) * sizeof(*e));
	struct tbl_ent *tmp = malloc((n + 1) * sizeof(*tmp));
	int rc = -ENOMEM;

	*image = NULL;
	*len = 0;
	if (e == NULL || tmp == NULL)
		goto out;
	rg_hint_huge(e, (n + 1) * sizeof(*e));
	rg_hint_huge(tmp, (n + 1) * sizeof(*tmp));
	for (unsigned attempt = 0; attempt < TBL_SEED_TRIES; attempt++) {
		uint64_t seed;
		if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
			seed = (uint64_t)tbl_now() * UINT64_C(0x9e3779b97f4a7c15) + attempt;
		size_t k = 0;
		for (size_t i = 0; i < b->n_addr; i++) {
			/* the arena is read in order: the hardware prefetcher keeps up */
			uint64_t r = b->addr[i];
			const char *key = tbl_ref_key(b, r);
			unsigned ll = tbl_fmt_slot_fp(r), kl = tbl_fmt_slot_len(r);
			e[k].ref = r;
			e[k++].h = tbl_fmt_hash_addr(key, ll, tbl_fmt_hash_domain(key + ll, kl - ll, seed));
		}
		for (size_t i = 0; i < b->cap_dom; i++)
			if (b->dom[i] != 0) {
				e[k].ref = b->dom[i];
				e[k++].h = tbl_fmt_hash_domain(tbl_ref_key(b, b->dom[i]),
							       tbl_fmt_slot_len(b->dom[i]), seed);
			}
		rc = tbl_try_seed(b, seed, e, tmp, n, image, len);
		if (rc <= 0)
			break;
	}
out:
	free(e);
	free(tmp);
	if (rc == 1)
		return tbl_fail(-EDEADLK, err, errlen, "no perfect hash found after %d seeds",
				TBL_SEED_TRIES);
	if (rc < 0)
		return tbl_fail(rc, err, errlen, "building the table: %s", strerror(-rc));
	return 0;
}

int
tbl_builder_write(struct tbl_builder *b, const char *path, char *err, size_t errlen)
{
	void *img;
	size_t len;
	int rc = tbl_builder_finish(b, &img, &len, err, errlen);

	if (rc != 0)
		return rc;

	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16);
	char *dir = strdup(path);
	if (tmp == NULL || dir == NULL) {
		rc = tbl_fail(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	snprintf(tmp, pl + 16, "%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		rc = tbl_fail(-errno, err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	const char *p = img;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = tbl_fail(w < 0 ? -errno : -EIO, err, errlen, "%s: write: %s", tmp,
				      strerror(w < 0 ? errno : EIO));
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	if (rc == 0 && fchmod(fd, 0644) != 0)
		rc = tbl_fail(-errno, err, errlen, "%s: chmod: %s", tmp, strerror(errno));
	if (rc == 0 && fsync(fd) != 0)
		rc = tbl_fail(-errno, err, errlen, "%s: fsync: %s", tmp, strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = tbl_fail(-errno, err, errlen, "%s: close: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = tbl_fail(-errno, err, errlen, "rename %s to %s: %s", tmp, path, strerror(errno));
	if (rc != 0) {
		unlink(tmp);
		goto out;
	}
	/* make the rename itself durable */
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	free(tmp);
	free(dir);
	free(img);
	return rc;
}
