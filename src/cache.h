/*
 * cache.h
 *		Backend-local caches: query patterns, minimum scores, raw scores,
 *		alignments.
 *
 * Each is bounded by its *_max_entries setting, evicting the least recently
 * used entry, and is emptied when a setting its entries depend on changes.
 * Pointers returned into a cache are valid only until the next call into it:
 * callers copy what they keep.
 */
#ifndef KMERSEARCH_CACHE_H
#define KMERSEARCH_CACHE_H

#include "postgres.h"

#include "align.h"
#include "dna.h"
#include "score.h"

/* a 128-bit digest of a query text or a sequence */
typedef struct CacheDigest
{
	uint64		h1;
	uint64		h2;
} CacheDigest;

extern CacheDigest CacheDigestBytes(const void *data, size_t len);

extern void CacheInvalidateAll(void);
extern uint64 CacheGeneration(void);

extern const QueryPattern *CacheGetQueryPattern(text *query, int kmer_size, int occur_bitlen);
extern int64 CacheGetActualMinScore(CacheDigest query, int64 nkeys, int64 excluded);
extern bool CacheLookupRawscore(DnaKind kind, CacheDigest query, CacheDigest seq, int64 scores[2]);
extern void CacheStoreRawscore(DnaKind kind, CacheDigest query, CacheDigest seq, const int64 scores[2]);
extern bool CacheLookupAlignment(DnaKind kind, CacheDigest query, CacheDigest seq, int32 mode,
								 Alignment *a, int *strand);
extern void CacheStoreAlignment(DnaKind kind, CacheDigest query, CacheDigest seq, int32 mode,
								const Alignment *a, int strand);

#endif							/* KMERSEARCH_CACHE_H */
