/*
 * score.h
 *		Query patterns, scores and the =% threshold.
 */
#ifndef KMERSEARCH_SCORE_H
#define KMERSEARCH_SCORE_H

#include "postgres.h"

#include "access/attnum.h"

#include "fmgr.h"

#include "dna.h"
#include "kmer.h"

/*
 * The keys of a query under one (kmer_size, occur_bitlen): its distinct
 * k-mers with their counts already capped at 2^occur_bitlen, so that nkeys
 * is the sum of the counts.  Immutable once built.
 *
 * The threshold counts windows, not keys: a window with degenerate codes
 * gives a key for each of its expansions, but a row can share at most one
 * of them at that place, so the window counts once (nunits).  The keys of
 * such windows are listed by window, so that the count can leave out the
 * windows whose every key is high-frequency (QueryPatternUnits).
 */
typedef struct QueryPattern
{
	int			kmer_size;
	int			occur_bitlen;
	int64		nkeys;			/* |K(query)| */
	int64		nunits;			/* windows that give at least one key */
	int64		nbases;			/* the query's length */
	int64		nwindows;		/* windows with k-mers (at most KMER_MAX_EXPANSION) */
	int64		overcap;		/* sum over k-mers of occurrences past 2^occur_bitlen */
	size_t		ndistinct;
	KmerCount  *kmers;			/* ascending k-mer order */
	uint32		ndegwin;		/* degenerate windows that give keys */
	uint32	   *degstart;		/* window w's keys: degkmers[degstart[w] .. degstart[w + 1]) */
	uint64	   *degkmers;
} QueryPattern;

/* The strands a search looks at (kmersearch.strand). */
typedef enum KmerStrand
{
	KMER_STRAND_PLUS,
	KMER_STRAND_BOTH,
} KmerStrand;

/* A scorer: the k-mers of a query's strands, and the table scoring uses. */
typedef struct Scorer Scorer;

struct HighfreqSet;

extern QueryPattern *QueryPatternBuild(text *query, int kmer_size, int occur_bitlen,
									   MemoryContext mcxt);
extern void QueryPatternFree(QueryPattern *qp);
extern Size QueryPatternBytes(const QueryPattern *qp);
extern void QueryPatternUnits(const QueryPattern *qp, const struct HighfreqSet *set,
							  int64 *nunits, int64 *excluded);
extern void QueryNoKmersNotice(text *query, const QueryPattern *qp, int64 nunits, int64 excluded);
extern void QueryNoThresholdNotice(text *query, int64 threshold);
extern text *QueryRevcomp(text *query);
extern Scorer *ScorerCreate(int kmer_size, size_t nhint, MemoryContext mcxt);
extern void ScorerAddPattern(Scorer *sc, const QueryPattern *qp, int strand,
							 const struct HighfreqSet *excl);
extern void ScorerScore(Scorer *sc, const struct varlena *seq, DnaKind kind, int64 scores[2]);
extern int64 ScoreThreshold(int64 nkeys, int64 excluded);
extern bool IdentitySearch(void);
extern int64 IdentityThreshold(const QueryPattern *qp, const struct HighfreqSet *set);

/*
 * Per call site state of the score functions and =% (kept in fn_extra):
 * the scorer of the current query under the current settings.
 */
typedef struct ScoreCallState ScoreCallState;

/*
 * The table and column the rows of a score call come from, told before its
 * first call (scan_hint.c); and whether a function is one of the score
 * functions that leave out high-frequency k-mers.
 */
extern void ScoreCallSetTable(FmgrInfo *flinfo, Oid table, AttrNumber attnum);
extern bool ScoreFunctionExcludes(PGFunction fn);

#endif							/* KMERSEARCH_SCORE_H */
