/*
 * score.c
 *		Query patterns, scoring sequences against them, the =% threshold, and
 *		the SQL score functions and operator.
 *
 * Two sequences share sum over k-mers x of min(c1(x), c2(x), 2^b) keys (see
 * kmer.h), so scoring needs no key numbering: the query's distinct k-mers go
 * in a hash table with their capped counts, the sequence's windows are
 * looked up in it and counted, and the minima are summed.  This works on the
 * packed sequence; nothing is decoded to text.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "cache.h"
#include "highfreq.h"
#include "kmersearch.h"
#include "score.h"

/* the scorer's table: a query k-mer, its capped count, and this sequence's count */
typedef struct ScoreEntry
{
	uint64		kmer;
	uint32		qcount;
	uint32		scount;
	char		status;
} ScoreEntry;

#define SH_PREFIX scoretab
#define SH_ELEMENT_TYPE ScoreEntry
#define SH_KEY_TYPE uint64
#define SH_KEY kmer
#define SH_HASH_KEY(tb, key) ((uint32) KmerHash64(key))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

struct Scorer
{
	scoretab_hash *table;
	ScoreEntry **touched;		/* entries counted for the current sequence */
	size_t		ntouched;
	int			kmer_size;
};

/*
 * Parse a query (dna4 alphabet, either case) and count its k-mers.  The work
 * is done in the current context; only the result is put in mcxt, so an
 * error leaves nothing there.
 */
QueryPattern *
QueryPatternBuild(text *query, int kmer_size, int occur_bitlen, MemoryContext mcxt)
{
	size_t		len = VARSIZE_ANY_EXHDR(query);
	struct varlena *packed;
	uint64	   *kmers;
	size_t		nkmers,
				ndistinct,
				i;
	KmerCount  *counts;
	QueryPattern *qp;
	int64		nkeys = 0;

	if (len < (size_t) kmer_size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("query sequence is shorter than the k-mer size"),
				 errdetail("The query has %zu bases; kmersearch.kmer_size is %d.", len, kmer_size),
				 errhint("Use a query of at least %d bases, or SET kmersearch.kmer_size to a smaller value.",
						 kmer_size)));
	packed = DnaFromText(VARDATA_ANY(query), len, DNA_KIND_4);
	kmers = KmerCollect(DnaData(packed), len, DNA_KIND_4, kmer_size, &nkmers);
	counts = KmerCountDistinct(kmers, nkmers, &ndistinct);
	if (kmers != NULL)
		pfree(kmers);
	for (i = 0; i < ndistinct; i++)
	{
		counts[i].count = KmerKeysFor(counts[i].count, occur_bitlen);
		nkeys += counts[i].count;
	}

	qp = MemoryContextAlloc(mcxt, sizeof(QueryPattern));
	qp->kmer_size = kmer_size;
	qp->occur_bitlen = occur_bitlen;
	qp->nkeys = nkeys;
	qp->ndistinct = ndistinct;
	qp->kmers = NULL;
	if (ndistinct > 0)
	{
		Size		bytes = KmersearchArrayBytes(ndistinct, sizeof(KmerCount), MaxAllocHugeSize,
												 "distinct k-mers");

		qp->kmers = MemoryContextAllocHuge(mcxt, bytes);
		memcpy(qp->kmers, counts, bytes);
	}
	return qp;
}

/* A scorer for a pattern, allocated in mcxt. */
Scorer *
ScorerCreate(const QueryPattern *qp, MemoryContext mcxt)
{
	Scorer	   *sc = MemoryContextAlloc(mcxt, sizeof(Scorer));
	size_t		i;

	sc->kmer_size = qp->kmer_size;
	/* simplehash sizes from a uint32 and grows as needed */
	sc->table = scoretab_create(mcxt, (uint32) Min(Max(qp->ndistinct, 16), PG_UINT32_MAX), NULL);
	sc->touched = MemoryContextAllocHuge(mcxt,
										 KmersearchArrayBytes(Max(qp->ndistinct, 1), sizeof(ScoreEntry *),
															  MaxAllocHugeSize, "distinct k-mers"));
	sc->ntouched = 0;
	for (i = 0; i < qp->ndistinct; i++)
	{
		bool		found;
		ScoreEntry *e = scoretab_insert(sc->table, qp->kmers[i].kmer, &found);

		e->qcount = qp->kmers[i].count;
		e->scount = 0;
	}
	return sc;
}

static pg_attribute_always_inline void
ScorerCount(uint64 kmer, void *arg)
{
	Scorer	   *sc = (Scorer *) arg;
	ScoreEntry *e = scoretab_lookup(sc->table, kmer);

	if (e != NULL && e->scount++ == 0)
		sc->touched[sc->ntouched++] = e;
}

/* |K(seq) ∩ K(query)|: the sum over shared k-mers of the smaller count. */
int64
ScorerScore(Scorer *sc, const struct varlena *seq, DnaKind kind)
{
	int64		score = 0;
	size_t		i;

	sc->ntouched = 0;
	KmerForEach(DnaData(seq), DnaLength(seq, kind), kind, sc->kmer_size, ScorerCount, sc);
	for (i = 0; i < sc->ntouched; i++)
	{
		ScoreEntry *e = sc->touched[i];

		score += Min(e->scount, e->qcount);
		e->scount = 0;
	}
	return score;
}

/*
 * The =% threshold for a query of nkeys keys, excluded of them
 * high-frequency: max(1, max(min_score - e, ceil(rate * (n - e)))).  The
 * product is taken a hair low before rounding up, so that a rate typed as a
 * decimal (0.9) is not pushed over an integer by its binary approximation.
 */
int64
ScoreThreshold(int64 nkeys, int64 excluded)
{
	double		v = kmersearch_min_shared_ngram_key_rate * (double) (nkeys - excluded);
	int64		by_rate = (int64) ceil(v - fabs(v) * 1e-12);
	int64		by_score = (int64) kmersearch_min_score - excluded;

	return Max(1, Max(by_score, by_rate));
}

/*
 * The pattern without the k-mers of a high-frequency set, in mcxt; its
 * nkeys stays the query's, *excluded says how many of them were left out.
 */
static QueryPattern *
QueryPatternExclude(const QueryPattern *qp, const HighfreqSet *set, MemoryContext mcxt,
					int64 *excluded)
{
	QueryPattern *out = MemoryContextAlloc(mcxt, sizeof(QueryPattern));
	size_t		i,
				n = 0;

	*out = *qp;
	out->kmers = NULL;
	*excluded = 0;
	if (qp->ndistinct > 0)
		out->kmers = MemoryContextAllocHuge(mcxt,
											KmersearchArrayBytes(qp->ndistinct, sizeof(KmerCount),
																 MaxAllocHugeSize, "distinct k-mers"));
	for (i = 0; i < qp->ndistinct; i++)
	{
		if (HighfreqContains(set, qp->kmers[i].kmer))
			*excluded += qp->kmers[i].count;
		else
			out->kmers[n++] = qp->kmers[i];
	}
	out->ndistinct = n;
	return out;
}

/*
 * Transactions this backend has ended.  With the statement's start time it
 * tells one statement from the next, through a stable API (PGPROC's local
 * transaction id moved between PostgreSQL versions).
 */
static uint64 xacts_ended = 0;
static bool xact_callback = false;

static void
CountXactEnd(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
		xacts_ended++;
}

/* A number that stays the same for the current transaction only. */
static uint64
XactSerial(void)
{
	if (!xact_callback)
	{
		RegisterXactCallback(CountXactEnd, NULL);
		xact_callback = true;
	}
	return xacts_ended;
}

/* The state kept in fn_extra by the score functions and =%. */
struct ScoreCallState
{
	MemoryContext cxt;			/* holds this state */
	Oid			table;			/* the table and column the scores are of, */
	AttrNumber	attnum;			/* if known (ScoreCallSetTable) */
	text	   *query;			/* copy of the query text (NULL: none yet) */
	int			kmer_size;
	int			occur_bitlen;
	bool		exclude;		/* rawscore and =%: leave out high-frequency k-mers */
	bool		excluding;		/* and a set is left out: */
	HighfreqId	set_id;			/* this one, */
	uint64		xact;			/* as found in this statement */
	TimestampTz stmt_start;
	uint64		generation;
	CacheDigest digest;
	int64		threshold;
	Scorer	   *scorer;
};

/*
 * The scorer for query under the current settings, kept in fn_extra while
 * the query text and the settings stay the same (the common case: one query
 * against many rows).  Also gives the =% threshold.  With exclude, the
 * session's high-frequency k-mers (if kmersearch.preclude_highfreq_kmer is
 * on) are left out and the threshold adjusted for them.
 */
static struct ScoreCallState *
ScoreCallGet(FmgrInfo *flinfo, text *query, bool exclude)
{
	struct ScoreCallState *st = (struct ScoreCallState *) flinfo->fn_extra;
	size_t		len = VARSIZE_ANY_EXHDR(query);
	const QueryPattern *qp;

	if (st != NULL && st->query != NULL &&
		st->kmer_size == kmersearch_kmer_size &&
		st->occur_bitlen == kmersearch_occur_bitlen &&
		st->exclude == exclude &&
		st->generation == CacheGeneration() &&
		VARSIZE_ANY_EXHDR(st->query) == len &&
		memcmp(VARDATA_ANY(st->query), VARDATA_ANY(query), len) == 0)
	{
		const HighfreqSet *set;

		if (!st->excluding ||
			(st->xact == XactSerial() && st->stmt_start == GetCurrentStatementStartTimestamp()))
			return st;
		/* a new statement: another session may have replaced the analysis */
		set = HighfreqForSearch(get_func_namespace(flinfo->fn_oid), st->table, st->attnum);
		if (set != NULL && HighfreqSameId(HighfreqSetId(set), &st->set_id))
		{
			st->xact = XactSerial();
			st->stmt_start = GetCurrentStatementStartTimestamp();
			return st;
		}
	}

	/* start afresh in a context of its own under fn_mcxt */
	{
		Oid			table = st != NULL ? st->table : InvalidOid;
		AttrNumber	attnum = st != NULL ? st->attnum : InvalidAttrNumber;
		MemoryContext cxt;
		MemoryContext old;
		const HighfreqSet *set;
		int64		excluded = 0;

		if (st != NULL)
		{
			MemoryContextDelete(st->cxt);
			flinfo->fn_extra = NULL;
		}
		cxt = AllocSetContextCreate(flinfo->fn_mcxt, "kmersearch query state", ALLOCSET_SMALL_SIZES);
		set = exclude ? HighfreqForSearch(get_func_namespace(flinfo->fn_oid), table, attnum) : NULL;

		qp = CacheGetQueryPattern(query, kmersearch_kmer_size, kmersearch_occur_bitlen);
		if (set != NULL)
			qp = QueryPatternExclude(qp, set, cxt, &excluded);
		old = MemoryContextSwitchTo(cxt);
		st = palloc(sizeof(*st));
		st->cxt = cxt;
		st->table = table;
		st->attnum = attnum;
		st->query = (text *) palloc(len + VARHDRSZ);
		SET_VARSIZE(st->query, len + VARHDRSZ);
		memcpy(VARDATA(st->query), VARDATA_ANY(query), len);
		st->kmer_size = kmersearch_kmer_size;
		st->occur_bitlen = kmersearch_occur_bitlen;
		st->exclude = exclude;
		st->excluding = set != NULL;
		if (set != NULL)
			st->set_id = *HighfreqSetId(set);
		st->xact = XactSerial();
		st->stmt_start = GetCurrentStatementStartTimestamp();
		st->generation = CacheGeneration();
		st->digest = CacheDigestBytes(VARDATA_ANY(query), len);
		if (set != NULL)
		{
			/* scores cached under this digest are those without this set */
			st->digest.h1 ^= KmerHash64(((uint64) st->set_id.table_oid << 16) ^ (uint64) st->set_id.attnum);
			st->digest.h2 ^= KmerHash64((uint64) st->set_id.analyzed_at);
		}
		st->scorer = ScorerCreate(qp, cxt);
		MemoryContextSwitchTo(old);
		st->threshold = CacheGetActualMinScore(st->digest, qp->nkeys, excluded);
		flinfo->fn_extra = st;
	}
	return st;
}

/*
 * Tell the score call of flinfo (before its first call) the table and
 * column its rows come from: a search with exclusion and no cache loaded
 * leaves out that table's analysis (scan_hint.c).
 */
void
ScoreCallSetTable(FmgrInfo *flinfo, Oid table, AttrNumber attnum)
{
	MemoryContext cxt;
	struct ScoreCallState *st;

	if (flinfo->fn_extra != NULL)
		return;
	cxt = AllocSetContextCreate(flinfo->fn_mcxt, "kmersearch query state", ALLOCSET_SMALL_SIZES);
	st = MemoryContextAllocZero(cxt, sizeof(*st));
	st->cxt = cxt;
	st->table = table;
	st->attnum = attnum;
	flinfo->fn_extra = st;
}

Scorer *
ScoreCallScorer(FmgrInfo *flinfo, text *query, bool exclude, int64 *threshold)
{
	struct ScoreCallState *st = ScoreCallGet(flinfo, query, exclude);

	if (threshold)
		*threshold = st->threshold;
	return st->scorer;
}

/*
 * The raw score of a row, through the rawscore cache: =% stores what it
 * computes, so that ORDER BY kmersearch_rawscore(...) after =% finds it.
 */
static int64
RawScore(FunctionCallInfo fcinfo, DnaKind kind, int64 *threshold)
{
	struct varlena *seq = PG_GETARG_VARLENA_PP(0);
	text	   *query = PG_GETARG_TEXT_PP(1);
	struct ScoreCallState *st = ScoreCallGet(fcinfo->flinfo, query, true);
	CacheDigest sd = CacheDigestBytes(VARDATA_ANY(seq), VARSIZE_ANY_EXHDR(seq));
	int64		score;

	if (threshold)
		*threshold = st->threshold;
	if (CacheLookupRawscore(kind, st->digest, sd, &score))
		return score;
	score = ScorerScore(st->scorer, seq, kind);
	CacheStoreRawscore(kind, st->digest, sd, score);
	return score;
}

/* The corrected score counts every k-mer; it bypasses the rawscore cache. */
static int64
CorrectedScore(FunctionCallInfo fcinfo, DnaKind kind)
{
	struct varlena *seq = PG_GETARG_VARLENA_PP(0);
	text	   *query = PG_GETARG_TEXT_PP(1);

	return ScorerScore(ScoreCallScorer(fcinfo->flinfo, query, false, NULL), seq, kind);
}

static int32
ScoreToInt32(int64 score)
{
	if (score > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("score %lld is out of range for type integer", (long long) score)));
	return (int32) score;
}

#define SCORE_FUNCTIONS(T, KIND) \
PG_FUNCTION_INFO_V1(kmersearch_rawscore_##T); \
Datum kmersearch_rawscore_##T(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_INT32(ScoreToInt32(RawScore(fcinfo, KIND, NULL))); \
} \
PG_FUNCTION_INFO_V1(kmersearch_correctedscore_##T); \
Datum kmersearch_correctedscore_##T(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_INT32(ScoreToInt32(CorrectedScore(fcinfo, KIND))); \
} \
PG_FUNCTION_INFO_V1(kmersearch_match_##T); \
Datum kmersearch_match_##T(PG_FUNCTION_ARGS) \
{ \
	int64		threshold; \
	int64		score = RawScore(fcinfo, KIND, &threshold); \
	PG_RETURN_BOOL(score >= threshold); \
} \
extern int no_such_variable

SCORE_FUNCTIONS(dna2, DNA_KIND_2);
SCORE_FUNCTIONS(dna4, DNA_KIND_4);

/* Whether fn is a score function that leaves out high-frequency k-mers. */
bool
ScoreFunctionExcludes(PGFunction fn)
{
	return fn == kmersearch_rawscore_dna2 || fn == kmersearch_rawscore_dna4 ||
		fn == kmersearch_match_dna2 || fn == kmersearch_match_dna4;
}
