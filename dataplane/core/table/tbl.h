/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	tbl.h - the recipient table: load, look up, build
 * DESCRIPTION
 *	A compiled table (include/rcptgate/table_format.h) is read into
 *	private memory by tbl_open(), which verifies all of it before returning;
 *	the struct tbl it returns is then shared, unlocked, by every lcore
 *	until tbl_close(). Lookups take addresses already normalised by
 *	rg_addr_normalize() with the table's case flag (tbl_addr_flags()).
 *
 *	The builder (used by rcptgatectl compile and the tests) takes
 *	source lines, de-duplicates them, builds the perfect hash and
 *	writes the file atomically.
 *
 *	Plain C, no DPDK types.
 * DIAGNOSTICS
 *	Functions that can fail return 0 or a negative errno and put a
 *	one-line reason in the caller's ERR buffer. Lookups cannot fail.
 * TRUST
 *	Table files are not trusted (see tbl_open). Addresses passed to
 *	lookups must come from rg_addr_normalize().
 */
#ifndef RG_TBL_H
#define RG_TBL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rcptgate/addr.h>

#define TBL_BURST_MAX 32 /* keys per burst step; longer bursts are split */

struct tbl; /* opaque, read-only once loaded; shared by all lcores */

enum tbl_rule {
	TBL_RULE_NONE = 0,  /* domain served, address not found */
	TBL_RULE_EXACT,	    /* the address itself is listed */
	TBL_RULE_BASE,	    /* found without its extension */
	TBL_RULE_CATCHALL,  /* the domain has a catch-all */
	TBL_RULE_NO_DOMAIN, /* domain not served by the table */
};

/* A short name of RULE ("exact", "base", ...) for messages. */
const char *tbl_rule_name(enum tbl_rule rule);

/*
 * tbl_open - read the table file PATH into private memory (transparent
 * huge pages where the kernel gives them) and verify it completely
 * (magic, version, header and payload checksums, every section and every
 * slot's offset and length in bounds) before returning it.
 *
 * @out: the table, on success
 * @err: a one-line reason on failure (ERRLEN bytes, always terminated)
 *
 * Return: 0, or -errno: -ENOENT/-EACCES/... from open/read, -ENOMEM,
 * -EIO when the file shrank while read, -EFBIG, -EINVAL for a corrupt,
 * truncated or foreign file, -EPROTONOSUPPORT for another format version.
 */
int tbl_open(const char *path, struct tbl **out, char *err, size_t errlen);

/*
 * tbl_open_buffer - as tbl_open for a table held in memory (BUF stays
 * owned by the caller and must outlive the table). Used by the fuzzer
 * and tests.
 */
int tbl_open_buffer(const void *buf, size_t len, struct tbl **out, char *err, size_t errlen);

/* tbl_close - free T and its memory (NULL is fine). No lookup may still run on T. */
void tbl_close(struct tbl *t);

uint64_t tbl_n_addresses(const struct tbl *t);
uint64_t tbl_n_domains(const struct tbl *t);
uint64_t tbl_n_catchall(const struct tbl *t);
/* Bytes of the table file (the domain set adds 16-32 bytes per domain). */
uint64_t tbl_size(const struct tbl *t);
/* tbl_serial - a number no other table opened by this process has: a
 * table freed and another opened at the same address differ in it. */
uint64_t tbl_serial(const struct tbl *t);
/* RG_ADDR_F_CASE_EXACT when the table was compiled with exact local parts. */
unsigned tbl_addr_flags(const struct tbl *t);

/*
 * tbl_lookup - the rule that matches A: exact address, then A without
 * its extension (first of DELIMS), then the domain's catch-all.
 *
 * Return: TBL_RULE_EXACT/BASE/CATCHALL when found, TBL_RULE_NONE when
 * the domain is served but nothing matched, TBL_RULE_NO_DOMAIN when the
 * table does not list A's domain (or A has none).
 */
enum tbl_rule tbl_lookup(const struct tbl *t, const struct rg_addr *a, const char *delims);

/*
 * tbl_lookup_burst - tbl_lookup for A[0..N), results in OUT[0..N),
 * with the memory accesses of all keys overlapped (prefetch stages).
 *
 * Return: N (the number of results written).
 */
unsigned tbl_lookup_burst(const struct tbl *t, const struct rg_addr *const a[], unsigned n,
			  const char *delims, enum tbl_rule out[]);

/* tbl_domain_served - true when the table lists DOMAIN[0..N) (normalised). */
bool tbl_domain_served(const struct tbl *t, const char *domain, size_t n);

/* ---- building ---- */

struct tbl_builder;

struct tbl_build_stats {
	uint64_t lines;	      /* lines read */
	uint64_t addresses;   /* distinct addresses */
	uint64_t domains;     /* distinct domains */
	uint64_t catchall;    /* domains with a catch-all */
	uint64_t duplicates;  /* lines that repeated an earlier one */
	uint64_t invalid;     /* bad lines (skipped or fatal) */
	uint64_t bytes;	      /* size of the file written */
	double build_seconds; /* perfect hash construction */
};

/*
 * tbl_builder_new - an empty builder. FLAGS: RG_ADDR_F_CASE_EXACT to keep
 * the case of local parts (recorded in the file).
 *
 * Return: the builder, or NULL with errno = ENOMEM.
 */
struct tbl_builder *tbl_builder_new(unsigned flags);
void tbl_builder_free(struct tbl_builder *b);

/*
 * tbl_builder_add_line - add one source line LINE[0..N) (no newline):
 * "addr", "@domain", "addr OK" (Postfix map), "# comment" or blank.
 *
 * Return: 0 when taken or ignored (comment, blank, duplicate);
 * -EINVAL with the reason in ERR for a bad line; -ENOMEM; -E2BIG when
 * the table would exceed the format's limits.
 */
int tbl_builder_add_line(struct tbl_builder *b, const char *line, size_t n, char *err, size_t errlen);

/* Count a skipped bad line in the statistics (compile --skip-invalid). */
void tbl_builder_count_invalid(struct tbl_builder *b);

/*
 * tbl_builder_finish - build the perfect hash and return the complete
 * file image in *IMAGE (malloc'd, *LEN bytes; the caller frees it).
 *
 * Return: 0, -ENOMEM, or -EAGAIN-like failure -EDEADLK when no seed
 * gave a perfect hash (not expected in practice), with ERR set.
 */
int tbl_builder_finish(struct tbl_builder *b, void **image, size_t *len, char *err, size_t errlen);

/*
 * tbl_builder_write - tbl_builder_finish, then write the image to PATH
 * atomically: a temporary file in the same directory, fsync, rename,
 * fsync of the directory.
 *
 * Return: 0 or -errno with ERR set.
 */
int tbl_builder_write(struct tbl_builder *b, const char *path, char *err, size_t errlen);

/* Statistics so far (complete after finish/write). */
void tbl_builder_stats(const struct tbl_builder *b, struct tbl_build_stats *st);

#endif /* RG_TBL_H */
