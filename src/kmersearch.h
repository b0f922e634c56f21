/*
 * kmersearch.h
 *		Settings and declarations shared across pg_kmersearch.
 *
 * The GUC variables are defined in module.c.  Read them where they are
 * needed; never keep copies (a SET must take effect at once).
 */
#ifndef KMERSEARCH_H
#define KMERSEARCH_H

#include "postgres.h"

#include "pg_compat.h"

/* kmersearch.force_simd_capability: -1 automatic, else the highest level used */
#define KMERSEARCH_FORCE_SIMD_DEFAULT	(-1)
#define KMERSEARCH_FORCE_SIMD_MIN		(-1)
#define KMERSEARCH_FORCE_SIMD_MAX		2

/* cache sizes */
#define KMERSEARCH_CACHE_ENTRIES_DEFAULT	50000
#define KMERSEARCH_CACHE_ENTRIES_MIN		1000
#define KMERSEARCH_CACHE_ENTRIES_MAX		10000000

/* rows a batch in high-frequency k-mer work */
#define KMERSEARCH_BATCH_SIZE_DEFAULT	10000
#define KMERSEARCH_BATCH_SIZE_MIN		1000
#define KMERSEARCH_BATCH_SIZE_MAX		1000000

extern PGDLLIMPORT int kmersearch_kmer_size;
extern PGDLLIMPORT int kmersearch_occur_bitlen;
extern PGDLLIMPORT double kmersearch_max_appearance_rate;
extern PGDLLIMPORT int kmersearch_max_appearance_nrow;
extern PGDLLIMPORT int kmersearch_min_score;
extern PGDLLIMPORT double kmersearch_min_shared_ngram_key_rate;
extern PGDLLIMPORT int kmersearch_rawscore_cache_max_entries;
extern PGDLLIMPORT int kmersearch_query_pattern_cache_max_entries;
extern PGDLLIMPORT int kmersearch_actual_min_score_cache_max_entries;
extern PGDLLIMPORT bool kmersearch_preclude_highfreq_kmer;
extern PGDLLIMPORT bool kmersearch_force_use_parallel_highfreq_kmer_cache;
extern PGDLLIMPORT int kmersearch_highfreq_kmer_cache_load_batch_size;
extern PGDLLIMPORT int kmersearch_highfreq_analysis_batch_size;
extern PGDLLIMPORT int kmersearch_force_simd_capability;
extern PGDLLIMPORT int kmersearch_strand;	/* a KmerStrand (score.h) */
extern PGDLLIMPORT int kmersearch_identity_definition;	/* an AlignIdentityDef (align.h) */
extern PGDLLIMPORT int kmersearch_align_max_cells;
extern PGDLLIMPORT double kmersearch_min_identity;
extern PGDLLIMPORT double kmersearch_min_query_coverage;

/* module.c: empty the caches and re-plan the cached plans with =% */
extern void KmersearchSettingsChanged(void);

/* module.c: the library a function of this module is in (its pg_proc probin) */
extern char *KmersearchLibraryOf(Oid fn_oid);

/* module.c: the planner met the =% function funcid (planner.c) */
extern void KmersearchPlanUsesSettings(Oid funcid);

/*
 * The bytes of an array of n elements of elsize bytes each, or an error when
 * they would exceed limit (MaxAllocSize for palloc, MaxAllocHugeSize for the
 * huge allocators).  Counts here derive from sequence lengths and can exceed
 * what the product n * elsize holds in a 32-bit size_t; checking the count
 * against limit / elsize first means the product is only formed when it
 * cannot wrap.  what names the elements in the message ("k-mers").
 */
static inline Size
KmersearchArrayBytes(uint64 n, Size elsize, Size limit, const char *what)
{
	if (unlikely(n > (uint64) (limit / elsize)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot allocate memory for %llu %s", (unsigned long long) n, what),
				 errdetail("At %zu bytes each they exceed the limit of %zu bytes for one allocation.",
						   elsize, limit)));
	return (Size) n * elsize;
}

#endif							/* KMERSEARCH_H */
