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
 */
typedef struct QueryPattern
{
	int			kmer_size;
	int			occur_bitlen;
	int64		nkeys;			/* |K(query)| */
	size_t		ndistinct;
	KmerCount  *kmers;			/* ascending k-mer order */
} QueryPattern;

/* A scorer: a pattern with the look-up table scoring uses (mutable). */
typedef struct Scorer Scorer;

extern QueryPattern *QueryPatternBuild(text *query, int kmer_size, int occur_bitlen,
									   MemoryContext mcxt);
extern Scorer *ScorerCreate(const QueryPattern *qp, MemoryContext mcxt);
extern int64 ScorerScore(Scorer *sc, const struct varlena *seq, DnaKind kind);
extern int64 ScoreThreshold(int64 nkeys, int64 excluded);

/*
 * Per call site state of the score functions and =% (kept in fn_extra):
 * the scorer of the current query under the current settings.
 */
typedef struct ScoreCallState ScoreCallState;
extern Scorer *ScoreCallScorer(FmgrInfo *flinfo, text *query, bool exclude, int64 *threshold);

/*
 * The table and column the rows of a score call come from, told before its
 * first call (scan_hint.c); and whether a function is one of the score
 * functions that leave out high-frequency k-mers.
 */
extern void ScoreCallSetTable(FmgrInfo *flinfo, Oid table, AttrNumber attnum);
extern bool ScoreFunctionExcludes(PGFunction fn);

#endif							/* KMERSEARCH_SCORE_H */
