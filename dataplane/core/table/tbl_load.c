/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tbl_load.c - read and verify a compiled recipient table
 * DESCRIPTION
 *	tbl_open() reads the file into private anonymous memory and verifies
 *	everything before a lookup can see it: magic, version, header
 *	checksum, section layout, payload checksum, then every slot (offset
 *	and length inside the blob, a tag byte after each domain key) and
 *	the key counts; the domain keys go into the served-domain set on the
 *	way (tbl_impl.h). Only then does it return the table.
 *
 *	Why a copy and not a mapping of the file: the lookups of a large
 *	table miss the TLB on nearly every probe with 4 KiB pages; the copy
 *	is asked to use transparent huge pages (rg_huge_alloc(): 2 MiB
 *	aligned, madvise MADV_HUGEPAGE, no reservation), which
 *	docs/benchmarks.md measures. The
 *	checksum reads every byte anyway, so the copy costs little. And a
 *	private copy cannot change after it was verified, which a shared
 *	mapping of a file someone rewrites in place could. MAP_HUGETLB is
 *	not used: it would take pages from the reserved pool DPDK's mbufs
 *	need.
 * DIAGNOSTICS
 *	-errno with a one-line reason in the caller's buffer; nothing is
 *	logged here (the caller decides: reload reports it, check prints it).
 * TRUST
 *	None: the file may be truncated, corrupt, hostile or of another
 *	version. All length arithmetic is checked before memory is touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <rcptgate/huge.h>

#include "tbl_impl.h"

int
tbl_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Section [off, off+size) inside [hdr_end, file_size), aligned; no overflow. */
static bool
tbl_section_ok(uint64_t off, uint64_t size, uint64_t hdr_end, uint64_t file_size)
{
	return off >= hdr_end && off % TBL_ALIGN == 0 && off <= file_size && size <= file_size - off;
}

/*
 * Every address's domain is in the domain set: rcptgatectl writes the
 * domain of every address it compiles, and the lookups rely on it
 * (tbl_lookup() asks the set before the address, tbl_lookup_burst()
 * only after a miss, so that they agree only on such tables). A table
 * without is refused as corrupt. One hash and one probe of the small set
 * per address, at load.
 */
static int
tbl_verify_domains(const struct tbl *t, char *err, size_t errlen)
{
	char k[RG_DOMAIN_MAX + 1 + TBL_KEY_READ]; /* "@domain", readable past its end */

	for (uint64_t i = 0; i < t->n_slots; i++) {
		uint64_t e = t->slots[i];
		unsigned len = tbl_fmt_slot_len(e);
		const char *key = t->blob + tbl_fmt_slot_off(e);
		/* keys are read at random (slots are in hash order): ask early */
		if (i + 16 < t->n_slots)
			__builtin_prefetch(t->blob + tbl_fmt_slot_off(t->slots[i + 16]));
		if (len == 0 || key[0] == '@')
			continue;
		const char *at = memrchr(key, '@', len);
		size_t dl = at != NULL ? len - (size_t)(at - key) : 0;
		if (dl < 2 || dl > RG_DOMAIN_MAX + 1)
			return tbl_fail(-EINVAL, err, errlen,
					"corrupt table: address slot %" PRIu64 " has no domain", i);
		memcpy(k, at, dl);
		if (tbl_domain_tag(t, k, dl, tbl_fmt_hash_domain(k, dl, t->seed)) < 0)
			return tbl_fail(-EINVAL, err, errlen,
					"corrupt table: the domain of address slot %" PRIu64
					" is not in the table",
					i);
	}
	return 0;
}

static int
tbl_verify(struct tbl *t, char *err, size_t errlen)
{
	struct tbl_file_header h;
	uint64_t sz = t->size;

	if (sz < sizeof(h))
		return tbl_fail(-EINVAL, err, errlen, "truncated table: %zu bytes, header alone is %zu",
				t->size, sizeof(h));
	memcpy(&h, t->base, sizeof(h));
	if (memcmp(h.magic, TBL_MAGIC, sizeof(h.magic)) != 0)
		return tbl_fail(-EINVAL, err, errlen, "not a recipient table (bad magic)");
	if (h.version != TBL_VERSION)
		return tbl_fail(-EPROTONOSUPPORT, err, errlen,
				"table format version %u not supported (this rcptgate reads version %u)",
				h.version, TBL_VERSION);
	uint64_t want = h.header_sum;
	h.header_sum = 0;
	if (rg_hash64(&h, sizeof(h), 0) != want)
		return tbl_fail(-EINVAL, err, errlen, "corrupt table: header checksum mismatch");
	if (h.header_size != sizeof(h) || (h.flags & ~TBL_F_KNOWN) != 0 || h.reserved != 0)
		return tbl_fail(-EINVAL, err, errlen, "corrupt table: bad header size or flags");
	for (size_t i = 0; i < sizeof(h.spare) / sizeof(h.spare[0]); i++)
		if (h.spare[i] != 0)
			return tbl_fail(-EINVAL, err, errlen, "corrupt table: spare header field set");
	if (!tbl_section_ok(h.pilots_off, h.pilots_size, sizeof(h), sz) ||
	    !tbl_section_ok(h.slots_off, h.slots_size, sizeof(h), sz) ||
	    !tbl_section_ok(h.blob_off, h.blob_size, sizeof(h), sz))
		return tbl_fail(
			-EINVAL, err, errlen,
			"truncated or corrupt table: a section lies outside the %" PRIu64 "-byte file", sz);
	if (h.pilots_off + h.pilots_size > h.slots_off || h.slots_off + h.slots_size > h.blob_off)
		return tbl_fail(-EINVAL, err, errlen, "corrupt table: sections overlap");
	if (h.n_buckets < 2 || h.n_buckets > UINT32_MAX || h.pilots_size != h.n_buckets || h.n_slots == 0 ||
	    h.n_slots > h.slots_size / 8 || h.slots_size != h.n_slots * 8)
		return tbl_fail(-EINVAL, err, errlen, "corrupt table: bucket or slot counts");
	if (h.n_addresses > h.n_slots || h.n_domains > h.n_slots - h.n_addresses ||
	    h.n_catchall > h.n_domains || h.blob_size > TBL_SLOT_OFF_MAX)
		return tbl_fail(-EINVAL, err, errlen, "corrupt table: key counts");
	if (rg_hash64(t->base + sizeof(h), sz - sizeof(h), 0) != h.payload_sum)
		return tbl_fail(-EINVAL, err, errlen, "corrupt table: payload checksum mismatch");

	t->pilots = t->base + h.pilots_off;
	t->slots = (const uint64_t *)(const void *)(t->base + h.slots_off);
	t->blob = (const char *)t->base + h.blob_off;
	t->blob_readable = h.blob_size;
	t->n_buckets = h.n_buckets;
	t->n_slots = h.n_slots;
	t->blob_size = h.blob_size;
	t->seed = h.seed;
	t->n_addresses = h.n_addresses;
	t->n_domains = h.n_domains;
	t->n_catchall = h.n_catchall;
	t->flags = h.flags;
	tbl_fmt_bucket_params(h.n_buckets, &t->bp);

	/* the domain set: a power of two at least twice the header's count */
	uint64_t cap = 16;
	while (cap < 2 * h.n_domains + 2)
		cap *= 2;
	t->dom_set = calloc(cap, sizeof(*t->dom_set));
	if (t->dom_set == NULL)
		return tbl_fail(-ENOMEM, err, errlen, "out of memory for %" PRIu64 " domains", h.n_domains);
	t->dom_mask = cap - 1;

	/* every slot: in bounds; count keys of each kind */
	uint64_t n_addr = 0, n_dom = 0, n_ca = 0;
	for (uint64_t i = 0; i < t->n_slots; i++) {
		uint64_t e = t->slots[i];
		/* the first key byte of each slot is read at random: ask early */
		if (i + 16 < t->n_slots && tbl_fmt_slot_off(t->slots[i + 16]) < t->blob_size)
			__builtin_prefetch(t->blob + tbl_fmt_slot_off(t->slots[i + 16]));
		unsigned len = tbl_fmt_slot_len(e);
		uint64_t off = tbl_fmt_slot_off(e);
		if (len == 0) {
			if (e != 0)
				return tbl_fail(-EINVAL, err, errlen,
						"corrupt table: slot %" PRIu64 " not clean", i);
			continue;
		}
		if (off > t->blob_size || len > t->blob_size - off)
			return tbl_fail(-EINVAL, err, errlen,
					"corrupt table: slot %" PRIu64 " points outside the key blob", i);
		if (t->blob[off] != '@') {
			n_addr++;
			continue;
		}
		if (len < 2 || len + 1 > t->blob_size - off)
			return tbl_fail(-EINVAL, err, errlen,
					"corrupt table: domain slot %" PRIu64 " out of bounds", i);
		uint8_t tag = (uint8_t)t->blob[off + len];
		if (tag != TBL_TAG_SERVED && tag != TBL_TAG_CATCHALL)
			return tbl_fail(-EINVAL, err, errlen,
					"corrupt table: bad domain tag in slot %" PRIu64, i);
		if (++n_dom > h.n_domains)
			return tbl_fail(-EINVAL, err, errlen,
					"corrupt table: key counts do not match the header");
		n_ca += tag == TBL_TAG_CATCHALL;
		uint64_t dh = tbl_fmt_hash_domain(t->blob + off, len, t->seed);
		uint64_t j = dh & t->dom_mask;
		while (t->dom_set[j] != 0)
			j = (j + 1) & t->dom_mask;
		t->dom_set[j] = tbl_fmt_slot_make(tbl_dom_fp(dh), len, off);
	}
	if (n_addr != t->n_addresses || n_dom != t->n_domains || n_ca != t->n_catchall)
		return tbl_fail(-EINVAL, err, errlen, "corrupt table: key counts do not match the header");
	return tbl_verify_domains(t, err, errlen);
}

int
tbl_open_buffer(const void *buf, size_t len, struct tbl **out, char *err, size_t errlen)
{
	struct tbl *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL)
		return tbl_fail(-ENOMEM, err, errlen, "out of memory");
	t->base = buf;
	t->size = len;
	/* the slots are read as 64-bit words */
	if (((uintptr_t)buf & 7) != 0) {
		free(t);
		return tbl_fail(-EINVAL, err, errlen, "table buffer not 8-byte aligned");
	}
	int rc = tbl_verify(t, err, errlen);
	if (rc != 0) {
		free(t->dom_set);
		free(t);
		return rc;
	}
	static uint64_t opened;
	t->serial = __atomic_add_fetch(&opened, 1, __ATOMIC_RELAXED);
	*out = t;
	return 0;
}

/* Read all LEN bytes of FD into P. Return 0 or -errno (-EIO: file shrank). */
static int
tbl_read_all(int fd, uint8_t *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, p + done, len - done, (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

int
tbl_open(const char *path, struct tbl **out, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tbl_fail(-errno, err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		return tbl_fail(rc, err, errlen, "%s: %s", path, strerror(-rc));
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(struct tbl_file_header)) {
		close(fd);
		return tbl_fail(-EINVAL, err, errlen, "%s: truncated table: %jd bytes, header alone is %zu",
				path, (intmax_t)st.st_size, sizeof(struct tbl_file_header));
	}
	/* whole huge pages, so the kernel can back all of it with them */
	if ((uint64_t)st.st_size > SIZE_MAX - RG_HUGE_PAGE) {
		close(fd);
		return tbl_fail(-EFBIG, err, errlen, "%s: table too large", path);
	}
	size_t size = (size_t)st.st_size;
	size_t map_len = (size + RG_HUGE_PAGE - 1) / RG_HUGE_PAGE * RG_HUGE_PAGE;
	/* 2 MiB aligned (kernels before 6.7 do not align large mappings) and
	 * a hint: without transparent huge pages the table works on 4 KiB
	 * pages. map_len is whole huge pages, which rg_huge_alloc() maps as
	 * they are: tbl_close() unmaps the same. */
	void *m = rg_huge_alloc(map_len);
	if (m == NULL) {
		rc = -errno;
		close(fd);
		return tbl_fail(rc, err, errlen, "%s: mmap: %s", path, strerror(-rc));
	}
	rc = tbl_read_all(fd, m, size);
	close(fd);
	if (rc != 0) {
		munmap(m, map_len);
		return tbl_fail(rc, err, errlen, "%s: read: %s", path, strerror(-rc));
	}
	(void)mprotect(m, map_len, PROT_READ);
	char why[256];
	rc = tbl_open_buffer(m, size, out, why, sizeof(why));
	if (rc != 0) {
		munmap(m, map_len);
		return tbl_fail(rc, err, errlen, "%s: %s", path, why);
	}
	(*out)->map_len = map_len;
	/* the mapping's zero tail past the file may be read by tbl_blob_eq */
	(*out)->blob_readable = map_len - (size_t)((const char *)(*out)->blob - (const char *)m);
	return 0;
}

void
tbl_close(struct tbl *t)
{
	if (t == NULL)
		return;
	if (t->map_len != 0)
		munmap((void *)(uintptr_t)t->base, t->map_len);
	free(t->dom_set);
	free(t);
}

uint64_t
tbl_n_addresses(const struct tbl *t)
{
	return t->n_addresses;
}
uint64_t
tbl_n_domains(const struct tbl *t)
{
	return t->n_domains;
}
uint64_t
tbl_n_catchall(const struct tbl *t)
{
	return t->n_catchall;
}
uint64_t
tbl_size(const struct tbl *t)
{
	return t->size;
}

uint64_t
tbl_serial(const struct tbl *t)
{
	return t->serial;
}

unsigned
tbl_addr_flags(const struct tbl *t)
{
	return (t->flags & TBL_F_CASE_EXACT) ? RG_ADDR_F_CASE_EXACT : 0;
}
