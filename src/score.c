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

#include "access/parallel.h"
#include "access/xact.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "align.h"
#include "cache.h"
#include "highfreq.h"
#include "kmersearch.h"
#include "score.h"

/* the scorer's table: a query k-mer, its capped count on each strand, and this sequence's count */
typedef struct ScoreEntry
{
	uint64		kmer;
	uint32		qcount[2];
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
	MemoryContext cxt;
	scoretab_hash *table;
	ScoreEntry **touched;		/* entries counted for the current sequence */
	size_t		ntouched;
	size_t		nentries;		/* entries in the table: touched has room for them */
	int			kmer_size;
};

/* a query k-mer in window order: its place there, for its occurrence number */
typedef struct QueryKmer
{
	uint64		kmer;
	size_t		idx;
} QueryKmer;

#define ST_SORT sort_query_kmers
#define ST_CHECK_FOR_INTERRUPTS
#define ST_ELEMENT_TYPE QueryKmer
#define ST_COMPARE(a, b) ((a)->kmer != (b)->kmer ? ((a)->kmer < (b)->kmer ? -1 : 1) : \
						  (a)->idx < (b)->idx ? -1 : (a)->idx > (b)->idx ? 1 : 0)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Parse a query (dna4 alphabet, either case) and count its k-mers.  The work
 * is done in the current context; only the result is put in mcxt, so an
 * error leaves nothing there.
 *
 * The j-th occurrence of a k-mer, in window order, gives a key when j <=
 * 2^occur_bitlen; a window counts toward nunits when it gives a key, once
 * however many of its expansions do.
 */
QueryPattern *
QueryPatternBuild(text *query, int kmer_size, int occur_bitlen, MemoryContext mcxt)
{
	size_t		len = VARSIZE_ANY_EXHDR(query);
	uint32		cap = (uint32) 1 << occur_bitlen;
	struct varlena *packed;
	uint64	   *kmers;
	size_t	   *ends;
	size_t		nkmers,
				ndistinct = 0,
				ndegkeys = 0,
				i,
				j;
	QueryKmer  *order;
	bool	   *keyed;
	KmerCount  *counts;
	uint32	   *degstart;
	uint64	   *degkmers;
	uint32		ndegwin = 0;
	QueryPattern *qp;
	int64		nkeys = 0,
				nunits = 0,
				nwindows = 0,
				overcap = 0;

	/* an invalid letter is named wherever it is, before the length is judged */
	packed = DnaFromText(VARDATA_ANY(query), len, DNA_KIND_4);
	if (len < (size_t) kmer_size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("query sequence is shorter than the k-mer size"),
				 errdetail("The query has %zu bases; kmersearch.kmer_size is %d.", len, kmer_size),
				 errhint("Use a query of at least %d bases, or SET kmersearch.kmer_size to a smaller value.",
						 kmer_size)));
	kmers = KmerCollectWindows(DnaData(packed), len, DNA_KIND_4, kmer_size, &nkmers, &ends);

	/* occurrence numbers: sort by (k-mer, place) */
	order = MemoryContextAllocHuge(CurrentMemoryContext,
								   KmersearchArrayBytes(Max(nkmers, 1), sizeof(QueryKmer),
														MaxAllocHugeSize, "k-mers"));
	keyed = MemoryContextAllocHuge(CurrentMemoryContext, Max(nkmers, 1));
	for (i = 0; i < nkmers; i++)
	{
		order[i].kmer = kmers[i];
		order[i].idx = i;
	}
	sort_query_kmers(order, nkmers);
	counts = MemoryContextAllocHuge(CurrentMemoryContext,
									KmersearchArrayBytes(Max(nkmers, 1), sizeof(KmerCount),
														 MaxAllocHugeSize, "distinct k-mers"));
	for (i = 0; i < nkmers; i = j)
	{
		CHECK_FOR_INTERRUPTS();
		for (j = i; j < nkmers && order[j].kmer == order[i].kmer; j++)
			keyed[order[j].idx] = j - i < cap;
		counts[ndistinct].kmer = order[i].kmer;
		counts[ndistinct].count = KmerKeysFor((uint32) Min(j - i, (size_t) PG_UINT32_MAX), occur_bitlen);
		if (j - i > cap)
			overcap += (int64) (j - i - cap);
		nkeys += counts[ndistinct].count;
		ndistinct++;
	}
	pfree(order);

	/*
	 * windows: one k-mer is a plain window, more are a degenerate one's
	 * expansions.  A first pass counts, a second (only for a query with
	 * degenerate windows) lists their keys.
	 */
	for (i = 0; i < nkmers; i = j)
	{
		size_t		nk = 0;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (j = i; j < nkmers && ends[j] == ends[i]; j++)
			nk += keyed[j];
		nwindows++;
		if (nk == 0)
			continue;
		nunits++;
		if (j - i > 1)
		{
			ndegwin++;
			ndegkeys += nk;
		}
	}
	if (ndegkeys > PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("query has too many k-mers (%zu)", nkmers)));
	degstart = NULL;
	degkmers = NULL;
	if (ndegwin > 0)
	{
		uint32		w = 0;

		degstart = MemoryContextAllocHuge(CurrentMemoryContext,
										  KmersearchArrayBytes((uint64) ndegwin + 1, sizeof(uint32),
															   MaxAllocHugeSize, "k-mers"));
		degkmers = MemoryContextAllocHuge(CurrentMemoryContext,
										  KmersearchArrayBytes(ndegkeys, sizeof(uint64),
															   MaxAllocHugeSize, "k-mers"));
		degstart[0] = 0;
		ndegkeys = 0;
		for (i = 0; i < nkmers; i = j)
		{
			size_t		before = ndegkeys;

			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			for (j = i; j < nkmers && ends[j] == ends[i]; j++)
				;
			if (j - i == 1)
				continue;
			for (; i < j; i++)
				if (keyed[i])
					degkmers[ndegkeys++] = kmers[i];
			if (ndegkeys > before)
				degstart[++w] = (uint32) ndegkeys;
		}
		Assert(w == ndegwin);
	}
	if (kmers != NULL)
	{
		pfree(kmers);
		pfree(ends);
	}
	pfree(keyed);

	qp = MemoryContextAllocZero(mcxt, sizeof(QueryPattern));
	qp->kmer_size = kmer_size;
	qp->occur_bitlen = occur_bitlen;
	qp->nkeys = nkeys;
	qp->nunits = nunits;
	qp->nbases = (int64) len;
	qp->nwindows = nwindows;
	qp->overcap = overcap;
	qp->ndistinct = ndistinct;
	qp->ndegwin = ndegwin;
	PG_TRY();
	{
		if (ndistinct > 0)
		{
			Size		bytes = KmersearchArrayBytes(ndistinct, sizeof(KmerCount), MaxAllocHugeSize,
													 "distinct k-mers");

			qp->kmers = MemoryContextAllocHuge(mcxt, bytes);
			memcpy(qp->kmers, counts, bytes);
		}
		if (ndegwin > 0)
		{
			qp->degstart = MemoryContextAllocHuge(mcxt, ((Size) ndegwin + 1) * sizeof(uint32));
			memcpy(qp->degstart, degstart, ((Size) ndegwin + 1) * sizeof(uint32));
			qp->degkmers = MemoryContextAllocHuge(mcxt, ndegkeys * sizeof(uint64));
			memcpy(qp->degkmers, degkmers, ndegkeys * sizeof(uint64));
		}
	}
	PG_CATCH();
	{
		QueryPatternFree(qp);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pfree(counts);
	if (degstart != NULL)
	{
		pfree(degstart);
		pfree(degkmers);
	}
	return qp;
}

void
QueryPatternFree(QueryPattern *qp)
{
	if (qp->kmers)
		pfree(qp->kmers);
	if (qp->degstart)
		pfree(qp->degstart);
	if (qp->degkmers)
		pfree(qp->degkmers);
	pfree(qp);
}

/* The memory a pattern holds. */
Size
QueryPatternBytes(const QueryPattern *qp)
{
	Size		b = sizeof(QueryPattern) + qp->ndistinct * sizeof(KmerCount);

	if (qp->ndegwin > 0)
		b += ((Size) qp->ndegwin + 1) * sizeof(uint32) + (Size) qp->degstart[qp->ndegwin] * sizeof(uint64);
	return b;
}

/*
 * n and e of the threshold: the windows of the query that give keys, and
 * those of them whose every key is of a k-mer in set (high-frequency, left
 * out of the search).  Without degenerate windows, the query's keys and
 * those left out.
 */
void
QueryPatternUnits(const QueryPattern *qp, const HighfreqSet *set, int64 *nunits, int64 *excluded)
{
	int64		e = 0;
	size_t		i;
	uint32		w;

	*nunits = qp->nunits;
	*excluded = 0;
	if (set == NULL)
		return;
	/* every key of a high-frequency k-mer, then those of degenerate windows the other way */
	for (i = 0; i < qp->ndistinct; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (HighfreqContains(set, qp->kmers[i].kmer))
			e += qp->kmers[i].count;
	}
	for (w = 0; w < qp->ndegwin; w++)
	{
		bool		all = true;
		uint32		x;

		if ((w & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (x = qp->degstart[w]; x < qp->degstart[w + 1]; x++)
		{
			if (HighfreqContains(set, qp->degkmers[x]))
				e--;
			else
				all = false;
		}
		e += all;
	}
	Assert(e >= 0 && e <= qp->nunits);
	*excluded = e;
}

/*
 * A query that gives no k-mer to search with matches no row: =% says so
 * rather than return nothing silently, once a statement for each query (up
 * to NOTICED_MAX queries a statement).  The planner's GIN cost estimate
 * calls extractQuery, so EXPLAIN says it too.
 */
#define NOTICED_MAX 32

static uint64 XactSerial(void);

/* Whether query is the first of the statement to get a notice (up to NOTICED_MAX). */
static bool
QueryNoticeFirst(text *query)
{
	static CacheDigest noticed[NOTICED_MAX];
	static int	nnoticed = 0;
	static uint64 noticed_xact = 0;
	static TimestampTz noticed_stmt = 0;
	CacheDigest d;
	int			i;

	/* the leader says it: a worker's notice would be one more for the client */
	if (IsParallelWorker())
		return false;
	if (noticed_xact != XactSerial() || noticed_stmt != GetCurrentStatementStartTimestamp())
	{
		nnoticed = 0;
		noticed_xact = XactSerial();
		noticed_stmt = GetCurrentStatementStartTimestamp();
	}
	d = CacheDigestBytes(VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query));
	for (i = 0; i < nnoticed; i++)
		if (noticed[i].h1 == d.h1 && noticed[i].h2 == d.h2)
			return false;
	if (nnoticed == NOTICED_MAX)
		return false;
	noticed[nnoticed++] = d;
	return true;
}

void
QueryNoKmersNotice(text *query, const QueryPattern *qp, int64 nunits, int64 excluded)
{
	if (nunits - excluded > 0 || !QueryNoticeFirst(query))
		return;
	if (nunits == 0)
		ereport(NOTICE,
				(errmsg("query has no k-mers to search with, so it matches no row"),
				 errdetail("Every window of %d bases of the query has degenerate codes standing for more than %d k-mers.",
						   qp->kmer_size, KMER_MAX_EXPANSION),
				 errhint("Resolve the degenerate codes (N, R, Y, ...), or SET kmersearch.kmer_size to a smaller value.")));
	else
		ereport(NOTICE,
				(errmsg("query has no k-mers to search with, so it matches no row"),
				 errdetail("All of its k-mers are high-frequency k-mers, left out of the search by kmersearch.preclude_highfreq_kmer.")));
}

/*
 * A search by identity whose threshold (on a strand it searches) is 0 or
 * less cannot leave out any row by its k-mers: every row is aligned.
 */
void
QueryNoThresholdNotice(text *query, int64 threshold)
{
	if (threshold > 0 || !QueryNoticeFirst(query))
		return;
	ereport(NOTICE,
			(errmsg("minimum identity %g leaves no k-mer threshold for this query, so every row is aligned",
					kmersearch_min_identity),
			 errdetail("A row at that identity and query coverage %g may share no %d-mer with the query.",
					   kmersearch_min_query_coverage, kmersearch_kmer_size),
			 errhint("Raise kmersearch.min_identity or kmersearch.min_query_coverage, or SET kmersearch.kmer_size to a smaller value.")));
}

/* The reverse complement of a query text (dna4 alphabet), in upper case. */
text *
QueryRevcomp(text *query)
{
	return DnaToText(DnaRevcomp(DnaFromText(VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query), DNA_KIND_4),
								DNA_KIND_4),
					 DNA_KIND_4);
}

/* An empty scorer, allocated in mcxt; nhint: the k-mers it will likely hold. */
Scorer *
ScorerCreate(int kmer_size, size_t nhint, MemoryContext mcxt)
{
	Scorer	   *sc = MemoryContextAllocZero(mcxt, sizeof(Scorer));

	sc->cxt = mcxt;
	sc->kmer_size = kmer_size;
	/* simplehash sizes from a uint32 and grows as needed */
	sc->table = scoretab_create(mcxt, (uint32) Min(Max(nhint, 16), PG_UINT32_MAX), NULL);
	return sc;
}

/*
 * Add a pattern's k-mers as those of strand (0 plus, 1 minus), without the
 * k-mers of excl.
 */
void
ScorerAddPattern(Scorer *sc, const QueryPattern *qp, int strand, const HighfreqSet *excl)
{
	size_t		i;

	Assert(qp->kmer_size == sc->kmer_size);
	for (i = 0; i < qp->ndistinct; i++)
	{
		bool		found;
		ScoreEntry *e;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (excl != NULL && HighfreqContains(excl, qp->kmers[i].kmer))
			continue;
		e = scoretab_insert(sc->table, qp->kmers[i].kmer, &found);
		if (!found)
		{
			e->qcount[0] = e->qcount[1] = 0;
			e->scount = 0;
			sc->nentries++;
		}
		e->qcount[strand] = qp->kmers[i].count;
	}
	if (sc->touched != NULL)
		pfree(sc->touched);
	sc->touched = MemoryContextAllocHuge(sc->cxt,
										 KmersearchArrayBytes(Max(sc->nentries, 1), sizeof(ScoreEntry *),
															  MaxAllocHugeSize, "distinct k-mers"));
}

static pg_attribute_always_inline void
ScorerCount(uint64 kmer, size_t end, void *arg)
{
	Scorer	   *sc = (Scorer *) arg;
	ScoreEntry *e = scoretab_lookup(sc->table, kmer);

	if (e != NULL && e->scount++ == 0)
		sc->touched[sc->ntouched++] = e;
}

/*
 * |K(seq) ∩ K(query)| for each strand: the sum over shared k-mers of the
 * smaller count.  One pass over the sequence serves both.
 */
void
ScorerScore(Scorer *sc, const struct varlena *seq, DnaKind kind, int64 scores[2])
{
	int64		plus = 0,
				minus = 0;
	size_t		i;

	sc->ntouched = 0;
	KmerForEach(DnaData(seq), DnaLength(seq, kind), kind, sc->kmer_size, ScorerCount, sc);
	for (i = 0; i < sc->ntouched; i++)
	{
		ScoreEntry *e = sc->touched[i];

		plus += Min(e->scount, e->qcount[0]);
		minus += Min(e->scount, e->qcount[1]);
		e->scount = 0;
	}
	scores[0] = plus;
	scores[1] = minus;
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

/* Whether =% searches by identity (kmersearch.min_identity above 0). */
bool
IdentitySearch(void)
{
	if (kmersearch_min_identity <= 0.0)
		return false;
	if (kmersearch_identity_definition != ALIGN_IDDEF_INTERNAL &&
		kmersearch_identity_definition != ALIGN_IDDEF_ALIGNMENT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("kmersearch.min_identity cannot search by identity definition \"%s\"",
						GetConfigOption("kmersearch.identity_definition", false, false)),
				 errdetail("Under that definition a sequence at the minimum identity can have gaps of any length, "
						   "so no number of shared k-mers is sure to be reached."),
				 errhint("SET kmersearch.identity_definition to internal or alignment, or kmersearch.min_identity to 0.")));
	return true;
}

/*
 * The =% threshold of a search by identity: the fewest keys a row whose
 * identity with the query reaches t = kmersearch.min_identity (and whose
 * alignment covers c = kmersearch.min_query_coverage of the query) shares
 * with this strand of it, not counting the row's windows that give no
 * k-mer (added per row: see the operator and gin.c).  The q-gram lemma made
 * exact for keys, as the manual derives it:
 *
 * - Of the query's L - k + 1 windows, those with k-mers (nwindows) may keep
 *   their k-mer in the row.  A window is kept when the alignment pairs its
 *   k bases with k consecutive bases of the row, each pair equal or
 *   IUPAC-compatible (a match).
 * - With A query bases between the alignment's terminal gaps, L - A
 *   windows reach outside them.  Inside, a mismatch (X) or a query base
 *   facing a gap (I) breaks at most k windows, a row base facing none (D)
 *   at most k - 1 (a run of them, k - 1 in all).
 * - Internal identity M / (M + X + I + D) >= t with M = A - X - I gives
 *   X + I + t D <= A (1 - t): at most beta A windows are broken inside,
 *   beta = max(k (1 - t), (k - 1) (1 - t) / t) (the linear bound's best
 *   corner).  Coverage (M + X) / L >= c gives A >= c L.  So at most
 *   D = max over A in [c L, L] of (L - A) + floor(beta A) windows are lost:
 *   at A = c L when beta < 1, else all of them.  Under alignment identity
 *   (terminal gaps counted) the L - A query bases outside count in the
 *   same budget, so floor(beta L) bounds it too.
 * - A kept window shares its k-mer x with the row, counted once per place:
 *   x's keys are shared up to min(places, 2^b), so occurrences of x in the
 *   query beyond 2^b (overcap) may count nothing; windows whose k-mer is
 *   high-frequency (left out of the search) count nothing, at most the
 *   keys those k-mers have in the query plus their overcap.
 *
 * Threshold = nwindows - D - overcap - (keys of left-out k-mers), or 0
 * when that is 0 or less (low identities, short queries, small coverage):
 * then no k-mer count can tell, and every row is aligned.  The products are
 * rounded toward the larger loss, so that a row at exactly t counts.
 */
int64
IdentityThreshold(const QueryPattern *qp, const HighfreqSet *set)
{
	double		t = kmersearch_min_identity;
	double		k = qp->kmer_size;
	double		beta = Max(k * (1.0 - t), (k - 1.0) * (1.0 - t) / t) * (1.0 + 1e-9) + 1e-9;
	int64		L = qp->nbases;
	int64		A,
				D,
				lost = 0;
	size_t		i;

	if (beta >= 1.0)
		return 0;				/* every window may be lost */
	A = (int64) ceil(kmersearch_min_query_coverage * (double) L - 1e-9 * (double) L - 1e-9);
	A = Min(Max(A, 0), L);
	D = (L - A) + (int64) floor(beta * (double) A);
	if (kmersearch_identity_definition == ALIGN_IDDEF_ALIGNMENT)
		D = Min(D, (int64) floor(beta * (double) L));
	if (set != NULL)
		for (i = 0; i < qp->ndistinct; i++)
		{
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (HighfreqContains(set, qp->kmers[i].kmer))
				lost += qp->kmers[i].count;
		}
	return Max(qp->nwindows - D - qp->overcap - lost, 0);
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
	bool		both;			/* the reverse complement too */
	bool		excluding;		/* and a set is left out: */
	HighfreqId	set_id;			/* this one, */
	uint64		xact;			/* as found in this statement */
	TimestampTz stmt_start;
	uint64		generation;
	CacheDigest digest;
	bool		identity;		/* =% by identity (IdentityThreshold) under: */
	double		min_identity;
	double		min_coverage;
	int			iddef;
	int64		threshold[2];	/* per strand */
	Scorer	   *scorer;
	void	   *align;			/* AlignRow's state (=% by identity) */
};

/*
 * The scorer for query under the current settings, kept in fn_extra while
 * the query text and the settings stay the same (the common case: one query
 * against many rows).  Also gives the =% thresholds.  With exclude, the
 * session's high-frequency k-mers (if kmersearch.preclude_highfreq_kmer is
 * on) are left out and the thresholds adjusted for them.  With both, the
 * query's reverse complement is scored too, as strand 1.
 */
static struct ScoreCallState *
ScoreCallGet(FmgrInfo *flinfo, text *query, bool exclude, bool both, bool notice, bool identity)
{
	struct ScoreCallState *st = (struct ScoreCallState *) flinfo->fn_extra;
	size_t		len = VARSIZE_ANY_EXHDR(query);

	if (st != NULL && st->query != NULL &&
		st->kmer_size == kmersearch_kmer_size &&
		st->occur_bitlen == kmersearch_occur_bitlen &&
		st->exclude == exclude &&
		st->both == both &&
		st->identity == identity &&
		(!identity || (st->min_identity == kmersearch_min_identity &&
					   st->min_coverage == kmersearch_min_query_coverage &&
					   st->iddef == kmersearch_identity_definition)) &&
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
		text	   *strand_query[2];
		int64		nunits[2] = {0, 0},
					excluded[2] = {0, 0};
		int			s;

		if (st != NULL)
		{
			MemoryContextDelete(st->cxt);
			flinfo->fn_extra = NULL;
		}
		cxt = AllocSetContextCreate(flinfo->fn_mcxt, "kmersearch query state", ALLOCSET_SMALL_SIZES);
		set = exclude ? HighfreqForSearch(get_func_namespace(flinfo->fn_oid), table, attnum) : NULL;

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
		st->both = both;
		st->identity = identity;
		st->min_identity = kmersearch_min_identity;
		st->min_coverage = kmersearch_min_query_coverage;
		st->iddef = kmersearch_identity_definition;
		st->align = NULL;
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
		if (both)
			st->digest.h1 ^= UINT64CONST(0x5bd1e9955bd1e995);	/* and with the other strand's */
		MemoryContextSwitchTo(old);

		strand_query[0] = query;
		strand_query[1] = both ? QueryRevcomp(query) : NULL;
		st->scorer = ScorerCreate(kmersearch_kmer_size, 0, cxt);
		for (s = 0; s < (both ? 2 : 1); s++)
		{
			/* a pattern from the cache is used before the next call into it */
			const QueryPattern *qp = CacheGetQueryPattern(strand_query[s], kmersearch_kmer_size,
														  kmersearch_occur_bitlen);

			ScorerAddPattern(st->scorer, qp, s, set);
			if (identity)
			{
				st->threshold[s] = IdentityThreshold(qp, set);
				if (notice && s == (both ? 1 : 0))
					QueryNoThresholdNotice(query, Min(st->threshold[0], st->threshold[s]));
				continue;
			}
			QueryPatternUnits(qp, set, &nunits[s], &excluded[s]);
			if (notice && s == (both ? 1 : 0) && nunits[0] - excluded[0] <= 0)
				QueryNoKmersNotice(query, qp, nunits[s], excluded[s]);
		}
		if (!identity)
		{
			st->threshold[0] = CacheGetActualMinScore(st->digest, nunits[0], excluded[0]);
			st->threshold[1] = both ? CacheGetActualMinScore(st->digest, nunits[1], excluded[1]) : PG_INT64_MAX;
		}
		else if (!both)
			st->threshold[1] = PG_INT64_MAX;
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

/*
 * The raw scores of a row on each strand (the second 0 when only the plus
 * strand is searched), through the rawscore cache: =% stores what it
 * computes, so that ORDER BY kmersearch_rawscore(...) after =% finds it.
 */
static struct ScoreCallState *
RawScoresOf(FunctionCallInfo fcinfo, const struct varlena *seq, DnaKind kind, bool both, bool notice,
			bool identity, int64 scores[2])
{
	text	   *query = PG_GETARG_TEXT_PP(1);
	struct ScoreCallState *st = ScoreCallGet(fcinfo->flinfo, query, true, both, notice, identity);
	CacheDigest sd = CacheDigestBytes(VARDATA_ANY(seq), VARSIZE_ANY_EXHDR(seq));

	if (!CacheLookupRawscore(kind, st->digest, sd, scores))
	{
		ScorerScore(st->scorer, seq, kind, scores);
		CacheStoreRawscore(kind, st->digest, sd, scores);
	}
	return st;
}

static struct ScoreCallState *
RawScores(FunctionCallInfo fcinfo, DnaKind kind, bool both, bool notice, bool identity, int64 scores[2])
{
	return RawScoresOf(fcinfo, PG_GETARG_VARLENA_PP(0), kind, both, notice, identity, scores);
}

/* The corrected score counts every k-mer; it bypasses the rawscore cache. */
static int64
CorrectedScore(FunctionCallInfo fcinfo, DnaKind kind)
{
	struct varlena *seq = PG_GETARG_VARLENA_PP(0);
	text	   *query = PG_GETARG_TEXT_PP(1);
	struct ScoreCallState *st = ScoreCallGet(fcinfo->flinfo, query, false,
											 kmersearch_strand == KMER_STRAND_BOTH, false, false);
	int64		scores[2];

	ScorerScore(st->scorer, seq, kind, scores);
	return Max(scores[0], scores[1]);
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

/* An alignment at kmersearch.min_identity and kmersearch.min_query_coverage */
static bool
AlignmentQualifies(const Alignment *a)
{
	/* a double variable: x87 (i386) rounds it as SQL's float8 division does */
	double		coverage = (double) (a->matches + a->mismatches) / (double) a->qlen;

	return AlignIdentity(a, kmersearch_identity_definition) >= kmersearch_min_identity &&
		coverage >= kmersearch_min_query_coverage;
}

/*
 * =%: either strand's raw score reaches its threshold.  By identity
 * (kmersearch.min_identity), either strand's alignment reaches the identity
 * and the coverage.  Only a strand whose raw score, plus a dna4 row's windows
 * that give no k-mer (each may be a kept window the row cannot share),
 * reaches IdentityThreshold's threshold can, and only if AlignCanQualify
 * finds a band of diagonals that holds enough of its K-mers in common with
 * the row.  The alignment kmersearch_align
 * gives (the better strand's) is tried first and kept in the cache, for an
 * ORDER BY kmersearch_identity after =%; the other strand is aligned alone
 * only when that one falls short and the other one can match.
 */
static bool
Match(FunctionCallInfo fcinfo, DnaKind kind)
{
	bool		identity = IdentitySearch();
	struct varlena *seq = PG_GETARG_VARLENA_PP(0);
	int64		scores[2];
	struct ScoreCallState *st = RawScoresOf(fcinfo, seq, kind, kmersearch_strand == KMER_STRAND_BOTH, true,
											identity, scores);
	bool		can[2];
	int64		u = -1;
	int			s;
	Alignment	a;

	if (!identity)
		return scores[0] >= st->threshold[0] || scores[1] >= st->threshold[1];
	for (s = 0; s < 2; s++)
	{
		can[s] = scores[s] >= st->threshold[s];
		if (!can[s] && kind == DNA_KIND_4 && st->threshold[s] != PG_INT64_MAX)
		{
			if (u < 0)
				u = (int64) KmerUnkeyedWindows(DnaData(seq), DnaLength(seq, kind), kind, st->kmer_size);
			can[s] = scores[s] + u >= st->threshold[s];
		}
	}
	/* then by the diagonals an alignment can take (AlignCanQualify) */
	for (s = 0; s < 2; s++)
		if (can[s])
			can[s] = AlignCanQualify(&st->align, st->cxt, seq, kind, PG_GETARG_TEXT_PP(1), s);
	if (!can[0] && !can[1])
		return false;
	/* the query in the row (a strand that may match): identity 1, coverage 1 */
	if (kmersearch_identity_definition == ALIGN_IDDEF_INTERNAL &&
		AlignRowContainsQuery(&st->align, st->cxt, seq, kind, PG_GETARG_TEXT_PP(1),
							  can[0] && can[1] ? ALIGN_STRAND_SETTING : can[0] ? 0 : 1))
		return true;
	s = AlignRow(&st->align, st->cxt, seq, kind, PG_GETARG_TEXT_PP(1), ALIGN_STRAND_SETTING, false, &a);
	if (AlignmentQualifies(&a))
		return true;
	if (!can[1 - s])
		return false;
	AlignRow(&st->align, st->cxt, seq, kind, PG_GETARG_TEXT_PP(1), 1 - s, false, &a);
	return AlignmentQualifies(&a);
}

/*
 * rawscore: the better strand's; =%: either strand reaches its threshold;
 * strand: '-' when the reverse complement shares more keys, else '+'
 * (whatever kmersearch.strand says).
 */
#define SCORE_FUNCTIONS(T, KIND) \
PG_FUNCTION_INFO_V1(kmersearch_rawscore_##T); \
Datum kmersearch_rawscore_##T(PG_FUNCTION_ARGS) \
{ \
	int64		scores[2]; \
	RawScores(fcinfo, KIND, kmersearch_strand == KMER_STRAND_BOTH, false, false, scores); \
	PG_RETURN_INT32(ScoreToInt32(Max(scores[0], scores[1]))); \
} \
PG_FUNCTION_INFO_V1(kmersearch_correctedscore_##T); \
Datum kmersearch_correctedscore_##T(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_INT32(ScoreToInt32(CorrectedScore(fcinfo, KIND))); \
} \
PG_FUNCTION_INFO_V1(kmersearch_match_##T); \
Datum kmersearch_match_##T(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(Match(fcinfo, KIND)); \
} \
PG_FUNCTION_INFO_V1(kmersearch_strand_##T); \
Datum kmersearch_strand_##T(PG_FUNCTION_ARGS) \
{ \
	int64		scores[2]; \
	RawScores(fcinfo, KIND, true, false, false, scores); \
	PG_RETURN_TEXT_P(cstring_to_text(scores[1] > scores[0] ? "-" : "+")); \
} \
extern int no_such_variable

SCORE_FUNCTIONS(dna2, DNA_KIND_2);
SCORE_FUNCTIONS(dna4, DNA_KIND_4);

/* Whether fn is a score function that leaves out high-frequency k-mers. */
bool
ScoreFunctionExcludes(PGFunction fn)
{
	return fn == kmersearch_rawscore_dna2 || fn == kmersearch_rawscore_dna4 ||
		fn == kmersearch_match_dna2 || fn == kmersearch_match_dna4 ||
		fn == kmersearch_strand_dna2 || fn == kmersearch_strand_dna4;
}
