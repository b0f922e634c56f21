/*
 * align.c
 *		Identity and alignment of a sequence against a query, as vsearch
 *		computes them, with the parasail library.
 *
 * vsearch aligns globally with match +2, mismatch -4, and gaps that cost
 * 20 to open and 2 a further column inside the alignment but 2 and 1 at its
 * ends (terminal gaps); a pair with an ambiguous IUPAC code scores 0, and
 * counts as a match when the two codes share a base.  parasail has no such
 * terminal gap costs.  Its semi-global alignment (sg: terminal gaps free)
 * with the same scores and interior gap costs is vsearch's alignment
 * whenever the sequences are related; when it leaves out the beginning of
 * one sequence and the end of the other (the way unrelated sequences "align"
 * on a few columns between free overhangs), the alignments that keep the
 * whole query, the whole target or both are computed too, and the one
 * vsearch would score highest is kept (the overlap only when that score is
 * positive: see AlignSequences).  The identities are counted from its columns
 * exactly as vsearch counts them (its --iddef definitions).
 *
 * parasail allocates with malloc: its result and CIGAR are freed whatever
 * happens in between (PG_FINALLY), and an alignment's size is bounded by
 * kmersearch.align_max_cells, since it cannot be interrupted while it runs.
 */
#include "postgres.h"

#include <math.h>

#include <parasail.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "align.h"
#include "cache.h"
#include "codec.h"
#include "dna.h"
#include "kmer.h"
#include "kmersearch.h"
#include "score.h"

#define ALIGN_MATCH			2
#define ALIGN_MISMATCH		(-4)
#define ALIGN_GAP_OPEN		20	/* a gap's first column, inside the alignment */
#define ALIGN_GAP_EXTEND	2	/* each further column */
#define ALIGN_TERM_OPEN		2	/* the same at either end (vsearch only) */
#define ALIGN_TERM_EXTEND	1
#define ALIGN_LANES			16	/* parasail's widest vector of 16-bit scores */

/* the letters a decoded sequence or a normalized query can hold */
static const char AlignAlphabet[] = "ACGTMRWSYKVHDBN";

/* the scoring matrix, made once per backend (parasail's malloc) */
static parasail_matrix_t *AlignMatrix = NULL;

static bool
AlignAmbiguous(uint8 code)
{
	return (code & (code - 1)) != 0;
}

/* a pair's score: 0 with an ambiguous code, as vsearch scores it */
static int
AlignPairScore(uint8 a, uint8 b)
{
	if (AlignAmbiguous(a) || AlignAmbiguous(b))
		return 0;
	return a == b ? ALIGN_MATCH : ALIGN_MISMATCH;
}

static const parasail_matrix_t *
AlignGetMatrix(void)
{
	if (AlignMatrix == NULL)
	{
		parasail_matrix_t *m = parasail_matrix_create(AlignAlphabet, ALIGN_MATCH, ALIGN_MISMATCH);
		int			n = (int) strlen(AlignAlphabet);
		int			i,
					j;

		if (m == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("The alignment library could not make its scoring matrix.")));
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				parasail_matrix_set_value(m, i, j,
										  AlignPairScore(CodecDna4Code[(unsigned char) AlignAlphabet[i]],
														 CodecDna4Code[(unsigned char) AlignAlphabet[j]]));
		AlignMatrix = m;
	}
	return AlignMatrix;
}

/* a run of one operation: 'M' (both), 'I' (query only) or 'D' (target only) */
typedef struct AlignRun
{
	char		op;
	int32		len;
} AlignRun;

static void
AlignAddRun(AlignRun *runs, int *nruns, char op, int32 len)
{
	if (len <= 0)
		return;
	if (*nruns > 0 && runs[*nruns - 1].op == op)
		runs[*nruns - 1].len += len;
	else
	{
		runs[*nruns].op = op;
		runs[*nruns].len = len;
		(*nruns)++;
	}
}

/*
 * The counts and vsearch's score of an alignment given as parasail's CIGAR
 * (which may start at beg_query and beg_ref, and stop before the ends).
 */
static void
AlignCount(const parasail_cigar_t *cig, const char *query, int32 qlen,
		   const char *target, int32 tlen, bool want_cigar, Alignment *out)
{
	AlignRun   *runs = palloc((cig->len + 4) * sizeof(AlignRun));
	int			nruns = 0;
	int			first,
				last,
				r;
	int32		qi,
				ti;

	/* the whole alignment as runs: unaligned beginnings, CIGAR, unaligned ends */
	AlignAddRun(runs, &nruns, 'I', cig->beg_query);
	AlignAddRun(runs, &nruns, 'D', cig->beg_ref);
	qi = cig->beg_query;
	ti = cig->beg_ref;
	for (r = 0; r < cig->len; r++)
	{
		char		op = parasail_cigar_decode_op(cig->seq[r]);
		int32		len = (int32) parasail_cigar_decode_len(cig->seq[r]);

		if (op == '=' || op == 'X' || op == 'M')
		{
			op = 'M';
			qi += len;
			ti += len;
		}
		else if (op == 'I')
			qi += len;
		else if (op == 'D')
			ti += len;
		else
			elog(ERROR, "unexpected CIGAR operation \"%c\" from the alignment library", op);
		AlignAddRun(runs, &nruns, op, len);
	}
	if (qi > qlen || ti > tlen)
		elog(ERROR, "the alignment library's CIGAR covers %d and %d bases of sequences of %d and %d",
			 qi, ti, qlen, tlen);
	AlignAddRun(runs, &nruns, 'I', qlen - qi);
	AlignAddRun(runs, &nruns, 'D', tlen - ti);

	/* terminal gaps: the first and the last run, when they are gaps */
	memset(out, 0, sizeof(*out));
	out->qlen = qlen;
	out->tlen = tlen;
	first = 0;
	last = nruns - 1;
	qi = ti = 0;
	out->first_gap = runs[first].op;
	out->last_gap = last > first ? runs[last].op : 'M';
	if (runs[first].op != 'M')
	{
		out->term_gaps += runs[first].len;
		out->term_gap_opens++;
		out->score -= ALIGN_TERM_OPEN + (int64) ALIGN_TERM_EXTEND * (runs[first].len - 1);
		if (runs[first].op == 'I')
			qi += runs[first].len;
		else
			ti += runs[first].len;
		first++;
	}
	if (last >= first && runs[last].op != 'M')
	{
		out->term_gaps += runs[last].len;
		out->term_gap_opens++;
		out->score -= ALIGN_TERM_OPEN + (int64) ALIGN_TERM_EXTEND * (runs[last].len - 1);
		last--;
	}

	for (r = first; r <= last; r++)
	{
		const AlignRun *run = &runs[r];

		/* a cancel that came during the alignment is served here (PG_FINALLY frees) */
		CHECK_FOR_INTERRUPTS();
		if (r == first)
		{
			/* the aligned part: all but the terminal gaps (vsearch's qilo, tilo) */
			out->qstart = qi + 1;
			out->tstart = ti + 1;
		}
		if (run->op == 'M')
		{
			int32		i;

			for (i = 0; i < run->len; i++)
			{
				uint8		a = CodecDna4Code[(unsigned char) query[qi + i]];
				uint8		b = CodecDna4Code[(unsigned char) target[ti + i]];

				if (a & b)
					out->matches++;
				else
					out->mismatches++;
				out->score += AlignPairScore(a, b);
			}
			qi += run->len;
			ti += run->len;
		}
		else
		{
			out->gaps += run->len;
			out->gap_opens++;
			out->score -= ALIGN_GAP_OPEN + (int64) ALIGN_GAP_EXTEND * (run->len - 1);
			if (run->op == 'I')
				qi += run->len;
			else
				ti += run->len;
		}
		out->qend = qi;
		out->tend = ti;
	}

	if (want_cigar)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		for (r = first; r <= last; r++)
			appendStringInfo(&buf, "%d%c", runs[r].len, runs[r].op);
		out->cigar = buf.data;
	}
	pfree(runs);
}

typedef parasail_result_t *(*AlignFunction) (const char *s1, int s1Len, const char *s2, int s2Len,
											 int open, int gap, const parasail_matrix_t *matrix);

/* One alignment with parasail: fn16, and fn32 when 16-bit scores saturate. */
static void
AlignWith(AlignFunction fn16, AlignFunction fn32, const char *query, int32 qlen,
		  const char *target, int32 tlen, bool want_cigar, Alignment *out)
{
	const parasail_matrix_t *matrix = AlignGetMatrix();
	parasail_result_t *volatile res = NULL;
	parasail_cigar_t *volatile cig = NULL;

	CHECK_FOR_INTERRUPTS();
	PG_TRY();
	{
		res = fn16(query, qlen, target, tlen, ALIGN_GAP_OPEN, ALIGN_GAP_EXTEND, matrix);
		if (res != NULL && parasail_result_is_saturated(res))
		{
			parasail_result_free(res);
			res = NULL;
			res = fn32(query, qlen, target, tlen, ALIGN_GAP_OPEN, ALIGN_GAP_EXTEND, matrix);
		}
		if (res != NULL)
			cig = parasail_result_get_cigar(res, query, qlen, target, tlen, matrix);
		if (res == NULL || cig == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("The alignment library could not align a %d-base query with a %d-base sequence.",
							   qlen, tlen)));
		AlignCount(cig, query, qlen, target, tlen, want_cigar, out);
		out->bound = parasail_result_get_score(res);
	}
	PG_FINALLY();
	{
		if (cig != NULL)
			parasail_cigar_free(cig);
		if (res != NULL)
			parasail_result_free(res);
	}
	PG_END_TRY();
}

/* Whether the alignment leaves out one sequence's beginning and the other's end. */
static bool
AlignIsOverlap(const Alignment *a)
{
	return a->first_gap != a->last_gap && a->first_gap != 'M' && a->last_gap != 'M';
}

/*
 * The semi-global alignment of query (qlen letters of AlignAlphabet) with
 * target; AlignResolve completes it.  Its bound (parasail's score, terminal
 * gaps free) is at least vsearch's score of any alignment of the two.
 */
static void
AlignFirst(const char *query, int32 qlen, const char *target, int32 tlen,
		   bool want_cigar, Alignment *out)
{
	/*
	 * parasail's trace takes 2 bytes (4 past 16-bit scores) for each cell of
	 * the query padded to its vector's lanes (up to 16) by the target
	 */
	int64		cells = (int64) TYPEALIGN(ALIGN_LANES, qlen) * tlen;

	if (qlen == 0 || tlen == 0)
	{
		/* no aligned column: the other sequence is one terminal gap */
		memset(out, 0, sizeof(*out));
		out->qlen = qlen;
		out->tlen = tlen;
		out->term_gaps = qlen + tlen;
		out->term_gap_opens = qlen + tlen > 0 ? 1 : 0;
		out->first_gap = out->last_gap = 'M';
		if (want_cigar)
			out->cigar = pstrdup("");
		return;
	}
	if (cells > kmersearch_align_max_cells)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("alignment of a %d-base query with a %d-base sequence is too large", qlen, tlen),
				 errdetail("It has %lld cells (the query's length rounded up to a multiple of %d, times the sequence's); "
						   "kmersearch.align_max_cells is %d.",
						   (long long) cells, ALIGN_LANES, kmersearch_align_max_cells),
				 errhint("Raise kmersearch.align_max_cells (an alignment takes 2 to 4 bytes a cell), "
						 "or align shorter pieces.")));
	AlignWith(parasail_sg_trace_scan_16, parasail_sg_trace_scan_32,
			  query, qlen, target, tlen, want_cigar, out);
}

/*
 * When the semi-global alignment is an overlap (one sequence's beginning
 * and the other's end left out), the alternatives.  Free end gaps "align"
 * unrelated sequences this way, on a few columns between overhangs, with an
 * identity near 1; vsearch, whose terminal gaps cost, aligns them end to end
 * with a low one.  Such an overlap is kept only when vsearch would score it
 * above 0 (more matching than it costs) and above the alignments that keep
 * the whole query (free target ends: dx), the whole target (free query
 * ends: qx) or both (global: nw, end gaps costed as inside).
 */
static void
AlignResolve(const char *query, int32 qlen, const char *target, int32 tlen,
			 bool want_cigar, Alignment *out)
{
	static const AlignFunction others[][2] = {
		{parasail_sg_dx_trace_scan_16, parasail_sg_dx_trace_scan_32},
		{parasail_sg_qx_trace_scan_16, parasail_sg_qx_trace_scan_32},
		{parasail_nw_trace_scan_16, parasail_nw_trace_scan_32},
	};
	bool		have;
	int			i;

	if (!AlignIsOverlap(out))
		return;
	have = out->score > 0;
	for (i = 0; i < lengthof(others); i++)
	{
		Alignment	other;

		AlignWith(others[i][0], others[i][1], query, qlen, target, tlen, want_cigar, &other);
		if (!have || other.score > out->score)
			*out = other;
		have = true;
	}
}

/*
 * Align query (qlen letters of AlignAlphabet) with target: the counts, and
 * the CIGAR when want_cigar.
 */
void
AlignSequences(const char *query, int32 qlen, const char *target, int32 tlen,
			   bool want_cigar, Alignment *out)
{
	AlignFirst(query, qlen, target, tlen, want_cigar, out);
	AlignResolve(query, qlen, target, tlen, want_cigar, out);
}

/* The identity (0 to 1) of an alignment under a definition (AlignIdentityDef). */
double
AlignIdentity(const Alignment *a, int definition)
{
	int64		columns = (int64) a->matches + a->mismatches + a->gaps;

	if (columns == 0)
		return 0.0;				/* nothing aligned (an empty sequence) */
	switch ((AlignIdentityDef) definition)
	{
		case ALIGN_IDDEF_SHORTEST:
			return (double) a->matches / Min(a->qlen, a->tlen);
		case ALIGN_IDDEF_ALIGNMENT:
			return (double) a->matches / (columns + a->term_gaps);
		case ALIGN_IDDEF_INTERNAL:
			return (double) a->matches / columns;
		case ALIGN_IDDEF_MBL:
			return Max(0.0, 1.0 - (double) (a->mismatches + a->gap_opens + a->term_gap_opens) /
					   Max(a->qlen, a->tlen));
	}
	elog(ERROR, "unknown identity definition %d", definition);
	return 0.0;					/* keep the compiler quiet */
}

/*
 * The SQL functions.  Per call site (fn_extra): the query as given, and its
 * strands in the alignment alphabet (upper case, U as T).
 */
typedef struct AlignBand AlignBand;

typedef struct AlignCallState
{
	MemoryContext cxt;
	text	   *query;			/* as given */
	CacheDigest digest;			/* of the query as given */
	text	   *strand[2];		/* the query, its reverse complement (when asked) */
	int8		acgt[2];		/* each strand A, C, G and T only: 1, or 2 not; 0 unknown */
	AlignBand  *band[2];		/* each strand's for AlignCanQualify, when asked */
	int32	   *diagonals;		/* AlignCanQualify's, kept between rows */
	Size		ndiagonals;
} AlignCallState;

static AlignCallState *
AlignCallGet(void **slot, MemoryContext parent, text *query, bool both)
{
	AlignCallState *st = *slot;
	Size		len = VARSIZE_ANY_EXHDR(query);
	MemoryContext old;

	if (st == NULL || VARSIZE_ANY_EXHDR(st->query) != len ||
		memcmp(VARDATA_ANY(st->query), VARDATA_ANY(query), len) != 0)
	{
		MemoryContext cxt;

		if (st != NULL)
			MemoryContextDelete(st->cxt);
		*slot = NULL;
		cxt = AllocSetContextCreate(parent, "kmersearch alignment query", ALLOCSET_SMALL_SIZES);
		old = MemoryContextSwitchTo(cxt);
		st = palloc0(sizeof(*st));
		st->cxt = cxt;
		st->query = (text *) palloc(len + VARHDRSZ);
		SET_VARSIZE(st->query, len + VARHDRSZ);
		memcpy(VARDATA(st->query), VARDATA_ANY(query), len);
		st->digest = CacheDigestBytes(VARDATA_ANY(query), len);
		/* an invalid letter is an error here, named by position */
		st->strand[0] = DnaToText(DnaFromText(VARDATA_ANY(query), len, DNA_KIND_4), DNA_KIND_4);
		MemoryContextSwitchTo(old);
		*slot = st;
	}
	if (both && st->strand[1] == NULL)
	{
		old = MemoryContextSwitchTo(st->cxt);
		st->strand[1] = QueryRevcomp(st->strand[0]);
		MemoryContextSwitchTo(old);
	}
	return st;
}

static int	AlignStrands(AlignCallState *st, const struct varlena *seq, DnaKind kind, CacheDigest sd,
						 int strand, bool want_cigar, Alignment *out);

/*
 * The strands AlignRow's strand asks for: ALIGN_STRAND_SETTING only under
 * kmersearch.strand = both, else the query's (0); 0 or 1 as they are.
 */
static int
AlignStrandAsked(int strand)
{
	if (strand != ALIGN_STRAND_SETTING)
		return strand;
	return kmersearch_strand == KMER_STRAND_BOTH ? ALIGN_STRAND_SETTING : 0;
}

/* the alignment cache's mode of AlignRow's strand (ALIGN_STRAND_SETTING: the better of both) */
static int32
AlignCacheMode(int strand)
{
	return (strand == ALIGN_STRAND_SETTING ? 8 : strand == 1 ? 16 : 0) | kmersearch_identity_definition;
}

/*
 * The alignment of seq with query.  strand ALIGN_STRAND_SETTING: on the
 * query's strand, or under kmersearch.strand = both on the strand vsearch
 * would score higher (on a tie, the one with the higher identity, then the
 * query's); strand 0 or 1: on the query (0) or its reverse complement (1)
 * whatever the setting.  *state keeps the query's strands between calls (a
 * context under parent; NULL at first).  Returns the strand, 0 or 1.
 */
int
AlignRow(void **state, MemoryContext parent, const struct varlena *seq, DnaKind kind, text *query,
		 int strand, bool want_cigar, Alignment *out)
{
	int			which = AlignStrandAsked(strand);
	AlignCallState *st = AlignCallGet(state, parent, query, which != 0);
	CacheDigest sd = CacheDigestBytes(VARDATA_ANY(seq), VARSIZE_ANY_EXHDR(seq));
	int32		mode = AlignCacheMode(which);
	int			s;

	Assert(strand == ALIGN_STRAND_SETTING || strand == 0 || strand == 1);
	/* an alignment without its CIGAR may be in the cache (=% by identity) */
	if (!want_cigar && CacheLookupAlignment(kind, st->digest, sd, mode, out, &s))
		return s;
	s = AlignStrands(st, seq, kind, sd, which, want_cigar, out);
	CacheStoreAlignment(kind, st->digest, sd, mode, out, s);
	return s;
}

/*
 * AlignRow's work: strand 0 or 1, or ALIGN_STRAND_SETTING for the better of
 * both, which also leaves in the cache each strand it completed (=% by
 * identity may ask for the other strand alone next).
 */
static int
AlignStrands(AlignCallState *st, const struct varlena *seq, DnaKind kind, CacheDigest sd, int strand,
			 bool want_cigar, Alignment *out)
{
	text	   *target = DnaToText(seq, kind);
	const char *t = VARDATA(target);
	int32		tlen = VARSIZE(target) - VARHDRSZ;
	Alignment	a[2];
	int64		bound[2];
	int			first,
				second,
				s;

	if (strand != ALIGN_STRAND_SETTING)
	{
		AlignSequences(VARDATA(st->strand[strand]), VARSIZE(st->strand[strand]) - VARHDRSZ, t, tlen,
					   want_cigar, out);
		return strand;
	}
	for (s = 0; s < 2; s++)
	{
		AlignFirst(VARDATA(st->strand[s]), VARSIZE(st->strand[s]) - VARHDRSZ, t, tlen, want_cigar, &a[s]);
		/* what completing it can reach at most */
		bound[s] = AlignIsOverlap(&a[s]) ? a[s].bound : a[s].score;
	}
	first = bound[1] > bound[0] ? 1 : 0;
	second = 1 - first;
	AlignResolve(VARDATA(st->strand[first]), VARSIZE(st->strand[first]) - VARHDRSZ, t, tlen, want_cigar,
				 &a[first]);
	CacheStoreAlignment(kind, st->digest, sd, AlignCacheMode(first), &a[first], first);
	if (bound[second] < a[first].score)
	{
		/* the other strand cannot score as high: not completed, unless AlignFirst's is final */
		if (!AlignIsOverlap(&a[second]))
			CacheStoreAlignment(kind, st->digest, sd, AlignCacheMode(second), &a[second], second);
		*out = a[first];
		return first;
	}
	AlignResolve(VARDATA(st->strand[second]), VARSIZE(st->strand[second]) - VARHDRSZ, t, tlen, want_cigar,
				 &a[second]);
	CacheStoreAlignment(kind, st->digest, sd, AlignCacheMode(second), &a[second], second);
	if (a[1].score > a[0].score ||
		(a[1].score == a[0].score &&
		 AlignIdentity(&a[1], kmersearch_identity_definition) > AlignIdentity(&a[0], kmersearch_identity_definition)))
		s = 1;
	else
		s = 0;
	*out = a[s];
	return s;
}

/*
 * AlignCanQualify: whether an alignment of a row with a strand of the query
 * can reach kmersearch.min_identity and kmersearch.min_query_coverage, by
 * the q-gram lemma on the diagonals the alignment can take; false only when
 * none can, so that =% by identity aligns fewer rows and finds the same.
 *
 * Every alignment AlignSequences gives (semi-global, or one of the
 * alternatives AlignResolve takes: all of them begin at the start of one
 * sequence and end at the end of one) has an aligned part that begins at
 * query base qs = 0 or target base ts = 0 and ends at qe = N (the query's
 * length) or te = T (the target's).  With M matches, X mismatches and G gap
 * columns inside it, identity M / (M + X + G) >= t gives E = X + G <= r M,
 * r = (1 - t) / t, and M <= min(N, T): its diagonals (target base less
 * query base) span at most W = r min(N, T), so they all lie in a band
 * [d, d + W].  Its query part is l = qe - qs long, at least the coverage's
 * c N, and at least min(N, T - d - W) - max(0, -d) (qs = max(0, -ds) and
 * qe = min(N, T - de) for its first and last diagonals ds, de in the band).
 * Of the l - K + 1 query windows of K bases inside it, each edit breaks at
 * most K: at least l - K + 1 - K floor(r l) are intact, and an intact window
 * has its K-mer (or, IUPAC codes sharing a base, one of its expansions) at
 * the target window on its diagonal.  So some band must hold that many
 * pairs of query and target windows with a K-mer in common, besides the
 * windows of either sequence that give no K-mer (too many degenerate codes:
 * counted in every band).  The identities "internal" and "alignment" (the
 * latter never above the former) are bounded so; "shortest" and "mbl" are
 * not, and are not filtered.
 */
#define ALIGN_BAND_K	12			/* 24 bits: a chance hit in a 1,500-base target is rare */

struct AlignBand
{
	int32		n;				/* the strand's length */
	int32		unkeyed;		/* its windows that give no K-mer */
	int32	   *least;			/* [l], l = 0..n: the fewest intact windows of a part of l or more bases */
	double		identity;		/* the settings least was made for */
	double		coverage;
	int32		mincov;			/* the fewest query bases the coverage allows */
	uint64	   *kmers;			/* the strand's K-mers (expansions included), ascending */
	int32	   *ends;			/* each one's window (its last base) */
	Size		nkmers;
	uint32	   *slots;			/* open addressing on kmers: 1 + a K-mer's first place, 0 none */
	int			slotbits;		/* 2^slotbits slots, at least twice the K-mers */
};

/* a K-mer's first slot */
static inline Size
AlignBandSlot(uint64 kmer, int bits)
{
	return (Size) ((kmer * UINT64CONST(0x9E3779B97F4A7C15)) >> (64 - bits));
}

#define ST_SORT sort_align_kmers
#define ST_ELEMENT_TYPE uint64
#define ST_COMPARE(a, b) (*(a) < *(b) ? -1 : *(a) > *(b) ? 1 : 0)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

#define ST_SORT sort_align_diagonals
#define ST_ELEMENT_TYPE int32
#define ST_COMPARE(a, b) (*(a) < *(b) ? -1 : *(a) > *(b) ? 1 : 0)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/* The band data of strand s of the query under the current settings. */
static AlignBand *
AlignBandGet(AlignCallState *st, int s)
{
	AlignBand  *b = st->band[s];
	double		t = kmersearch_min_identity,
				c = kmersearch_min_query_coverage;
	MemoryContext old;

	if (b != NULL && b->identity == t && b->coverage == c)
		return b;
	old = MemoryContextSwitchTo(st->cxt);
	if (b == NULL)
	{
		struct varlena *packed = DnaFromText(VARDATA(st->strand[s]), VARSIZE(st->strand[s]) - VARHDRSZ,
											 DNA_KIND_4);
		size_t		n,
				   *ends,
					i;
		uint64	   *kmers;
		uint64	   *pairs;

		b = palloc0(sizeof(AlignBand));
		b->n = (int32) DnaLength(packed, DNA_KIND_4);
		b->unkeyed = (int32) KmerUnkeyedWindows(DnaData(packed), b->n, DNA_KIND_4, ALIGN_BAND_K);
		kmers = KmerCollectWindows(DnaData(packed), b->n, DNA_KIND_4, ALIGN_BAND_K, &n, &ends);
		/* sorted by K-mer, then window: a K-mer in the high bits, its window in the low 32 */
		pairs = palloc(Max(n, 1) * sizeof(uint64));
		for (i = 0; i < n; i++)
			pairs[i] = (kmers[i] << 32) | (uint64) ends[i];
		sort_align_kmers(pairs, n);
		b->kmers = palloc(Max(n, 1) * sizeof(uint64));
		b->ends = palloc(Max(n, 1) * sizeof(int32));
		for (i = 0; i < n; i++)
		{
			b->kmers[i] = pairs[i] >> 32;
			b->ends[i] = (int32) (pairs[i] & 0xFFFFFFFF);
		}
		b->nkmers = n;
		b->slotbits = 6;
		while (((Size) 1 << b->slotbits) < 2 * n)
			b->slotbits++;
		b->slots = palloc_extended(sizeof(uint32) << b->slotbits, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		for (i = 0; i < n; i++)
			if (i == 0 || b->kmers[i] != b->kmers[i - 1])
			{
				Size		mask = ((Size) 1 << b->slotbits) - 1;
				Size		h = AlignBandSlot(b->kmers[i], b->slotbits);

				while (b->slots[h] != 0)
					h = (h + 1) & mask;
				b->slots[h] = (uint32) (i + 1);
			}
		b->least = palloc((b->n + 1) * sizeof(int32));
		pfree(pairs);
		if (kmers != NULL)
			pfree(kmers);
		if (ends != NULL)
			pfree(ends);
		pfree(packed);
		st->band[s] = b;
	}
	b->identity = t;
	b->coverage = c;
	/* the fewest query bases: M + X >= c n (rounded down a little: never more) */
	b->mincov = Max((int32) floor(c * b->n - 1e-6), 0);
	{
		/* AlignCanQualify asks only for t > 0.5: r < 1, r l < l */
		double		r = t > 0.5 ? (1.0 - t) / t : 1.0;
		int32		l,
					least = PG_INT32_MAX;

		/* r rounded up a little: E never more than floor(r l + 1e-6) */
		for (l = b->n; l >= 0; l--)
		{
			int64		g = (int64) l - ALIGN_BAND_K + 1 - (int64) ALIGN_BAND_K * (int64) floor(r * l + 1e-6);

			least = (int32) Min((int64) least, Max(g, (int64) PG_INT32_MIN + 1));
			b->least[l] = least;
		}
	}
	MemoryContextSwitchTo(old);
	return b;
}

/* the fewest intact windows an alignment in the band [d, d + w] can have */
static inline int32
AlignBandLeast(const AlignBand *b, int32 tlen, int64 d, int64 w)
{
	int64		lo = Min((int64) b->n, (int64) tlen - d - w) - Max((int64) 0, -d);

	lo = Max(lo, (int64) b->mincov);
	lo = Min(lo, (int64) b->n);
	return b->least[Max(lo, 0)];
}

typedef struct AlignBandScan
{
	const AlignBand *b;
	AlignCallState *st;
	Size		nhits;
	Size		maxhits;		/* past which the row is aligned unfiltered */
	int64		windows;		/* of the target with a K-mer */
	int64		lastend;
} AlignBandScan;

static pg_attribute_always_inline void
AlignBandHit(uint64 kmer, size_t end, void *arg)
{
	AlignBandScan *sc = (AlignBandScan *) arg;
	const AlignBand *b = sc->b;
	Size		mask = ((Size) 1 << b->slotbits) - 1;
	Size		h = AlignBandSlot(kmer, b->slotbits);
	Size		lo;

	if ((int64) end != sc->lastend)
	{
		sc->windows++;
		sc->lastend = (int64) end;
	}
	if (sc->nhits > sc->maxhits)
		return;
	/* the K-mer's first place in the query, if it has one */
	for (;;)
	{
		uint32		v = b->slots[h];

		if (v == 0)
			return;
		if (b->kmers[v - 1] == kmer)
		{
			lo = v - 1;
			break;
		}
		h = (h + 1) & mask;
	}
	for (; lo < b->nkmers && b->kmers[lo] == kmer; lo++)
	{
		AlignCallState *st = sc->st;

		if (sc->nhits > sc->maxhits)
			return;				/* repeats: more pairs than are worth sorting */
		if (sc->nhits == st->ndiagonals)
		{
			/* the size recorded once the memory is there (an error leaves both as they were) */
			Size		n = Max(st->ndiagonals * 2, 4096);

			st->diagonals = st->diagonals == NULL
				? MemoryContextAlloc(st->cxt, n * sizeof(int32))
				: repalloc_huge(st->diagonals,
								KmersearchArrayBytes(n, sizeof(int32), MaxAllocHugeSize, "diagonals"));
			st->ndiagonals = n;
		}
		st->diagonals[sc->nhits++] = (int32) end - b->ends[lo];
	}
}

bool
AlignCanQualify(void **state, MemoryContext parent, const struct varlena *seq, DnaKind kind, text *query,
				int strand)
{
	AlignCallState *st;
	AlignBand  *b;
	AlignBandScan sc;
	int32		tlen = (int32) DnaLength(seq, kind);
	int64		w,
				spare;
	int32	   *dg;
	Size		h,
				ia,
				ib;
	int64		c;

	if (kmersearch_identity_definition != ALIGN_IDDEF_INTERNAL &&
		kmersearch_identity_definition != ALIGN_IDDEF_ALIGNMENT)
		return true;
	/* at 0.5 and below r >= 1: no part needs an intact window (and r l could overflow) */
	if (kmersearch_min_identity <= 0.5)
		return true;
	st = AlignCallGet(state, parent, query, strand == 1);
	b = AlignBandGet(st, strand);
	/* r < 1 here: w < min(N, T) */
	w = (int64) floor((1.0 - b->identity) / b->identity * Min(b->n, tlen) + 1e-6);
	sc.b = b;
	sc.st = st;
	sc.nhits = 0;
	sc.maxhits = Min(16 * ((Size) b->n + (Size) tlen) + 4096, (Size) 1 << 24);
	sc.windows = 0;
	sc.lastend = -1;
	KmerForEach(DnaData(seq), tlen, kind, ALIGN_BAND_K, AlignBandHit, &sc);
	/* windows of either sequence that give no K-mer may be intact anywhere */
	spare = b->unkeyed + Max((int64) tlen - ALIGN_BAND_K + 1 - sc.windows, 0);
	/* no band at all: the alignment with the fewest intact windows needs */
	if (spare >= b->least[Min(b->mincov, b->n)])
		return true;
	h = sc.nhits;
	if (h == 0)
		return false;
	if (h > sc.maxhits)
		return true;			/* not filtered: aligned */
	dg = st->diagonals;
	sort_align_diagonals(dg, h);

	/*
	 * The bands [d, d + w] hold the diagonals in [d, d + w]: diagonal x is
	 * in those with d from x - w to x.  Between the points where one enters
	 * (x - w) or leaves (x + 1) the count is the same, and what it must
	 * reach is least at one end (AlignBandLeast is least where the part's
	 * bound is, which is concave in d).
	 */
	ia = ib = 0;
	c = 0;
	while (ib < h)
	{
		int64		p = ia < h ? Min((int64) dg[ia] - w, (int64) dg[ib] + 1) : (int64) dg[ib] + 1;
		int64		next;

		if ((ib & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();

		while (ia < h && (int64) dg[ia] - w == p)
		{
			c++;
			ia++;
		}
		while (ib < h && (int64) dg[ib] + 1 == p)
		{
			c--;
			ib++;
		}
		if (ib >= h)
			break;
		next = ia < h ? Min((int64) dg[ia] - w, (int64) dg[ib] + 1) : (int64) dg[ib] + 1;
		if (c + spare >= Min(AlignBandLeast(b, tlen, p, w), AlignBandLeast(b, tlen, next - 1, w)))
			return true;
	}
	return false;
}

/*
 * Whether the query occurs in seq as it is: on its strand, or under
 * kmersearch.strand = both on either (strand ALIGN_STRAND_SETTING; 0 or 1:
 * that strand), a strand of A, C, G and T only (no IUPAC code, which would
 * score 0 whatever faces it).  Then the alignment AlignRow gives has
 * internal identity 1 and covers the whole query: such a placement scores
 * 2 N semi-globally, the most any alignment can, and nothing else reaches
 * it (a mismatch, an interior gap or a query base left out costs more than
 * a placement's terminal gap openings, at most two, can save under
 * vsearch's score), so parasail's alignment is one such placement, kept
 * whole, and under both strands it outscores the other strand's alignment
 * unless that one is also such a placement.  Only where that alignment
 * would be computed (within kmersearch.align_max_cells, which also bounds
 * the search's comparisons); else false, and aligning raises the error.
 */
bool
AlignRowContainsQuery(void **state, MemoryContext parent, const struct varlena *seq, DnaKind kind,
					  text *query, int strand)
{
	int			which = AlignStrandAsked(strand);
	AlignCallState *st = AlignCallGet(state, parent, query, which != 0);
	text	   *target = NULL;
	bool		found = false;
	int			s;

	for (s = 0; s < 2 && !found; s++)
	{
		const char *q;
		const char *t;
		int32		n,
					tlen,
					i;

		if (which != ALIGN_STRAND_SETTING && which != s)
			continue;
		q = VARDATA(st->strand[s]);
		n = VARSIZE(st->strand[s]) - VARHDRSZ;
		if (st->acgt[s] == 0)
		{
			st->acgt[s] = 1;
			for (i = 0; i < n; i++)
				if (q[i] != 'A' && q[i] != 'C' && q[i] != 'G' && q[i] != 'T')
					st->acgt[s] = 2;
		}
		if (st->acgt[s] != 1 || n == 0 || (size_t) n > DnaLength(seq, kind) ||
			(int64) TYPEALIGN(ALIGN_LANES, n) * (int64) DnaLength(seq, kind) > kmersearch_align_max_cells)
			continue;
		if (target == NULL)
			target = DnaToText(seq, kind);
		t = VARDATA(target);
		tlen = VARSIZE(target) - VARHDRSZ;
		/* each place of the query's first letter, then the rest */
		for (i = 0; i + n <= tlen && !found; i++)
		{
			const char *p;

			CHECK_FOR_INTERRUPTS();
			p = memchr(t + i, q[0], tlen - n - i + 1);
			if (p == NULL)
				break;
			i = (int32) (p - t);
			found = memcmp(p + 1, q + 1, n - 1) == 0;
		}
	}
	if (target != NULL)
		pfree(target);
	return found;
}

/* AlignRow of the row (argument 0) and the query (argument 1) of an SQL call */
static int
AlignCall(FunctionCallInfo fcinfo, DnaKind kind, bool want_cigar, Alignment *out)
{
	return AlignRow(&fcinfo->flinfo->fn_extra, fcinfo->flinfo->fn_mcxt, PG_GETARG_VARLENA_PP(0), kind,
					PG_GETARG_TEXT_PP(1), ALIGN_STRAND_SETTING, want_cigar, out);
}

static Datum
AlignIdentityDatum(FunctionCallInfo fcinfo, DnaKind kind)
{
	Alignment	a;

	/* the query in the row: identity 1 without aligning (AlignRowContainsQuery) */
	if (kmersearch_identity_definition == ALIGN_IDDEF_INTERNAL &&
		AlignRowContainsQuery(&fcinfo->flinfo->fn_extra, fcinfo->flinfo->fn_mcxt, PG_GETARG_VARLENA_PP(0),
							  kind, PG_GETARG_TEXT_PP(1), ALIGN_STRAND_SETTING))
		PG_RETURN_FLOAT8(1.0);
	AlignCall(fcinfo, kind, false, &a);
	PG_RETURN_FLOAT8(AlignIdentity(&a, kmersearch_identity_definition));
}

static Datum
AlignRecordDatum(FunctionCallInfo fcinfo, DnaKind kind)
{
	TupleDesc	tupdesc;
	Alignment	a;
	int			strand;
	Datum		values[12];
	bool		nulls[12] = {false};
	bool		aligned;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));
	if (tupdesc->natts != lengthof(values))
		elog(ERROR, "kmersearch_alignment has %d attributes, expected %d",
			 tupdesc->natts, (int) lengthof(values));
	tupdesc = BlessTupleDesc(tupdesc);

	strand = AlignCall(fcinfo, kind, true, &a);
	aligned = a.qstart > 0;
	values[0] = CStringGetTextDatum(strand == 0 ? "+" : "-");
	values[1] = Float8GetDatum(AlignIdentity(&a, kmersearch_identity_definition));
	values[2] = Int32GetDatum(a.matches);
	values[3] = Int32GetDatum(a.mismatches);
	values[4] = Int32GetDatum(a.gap_opens);
	values[5] = Int32GetDatum(a.gaps);
	values[6] = Int32GetDatum(a.matches + a.mismatches + a.gaps);
	/* on strand -, places in the reverse complement (as vsearch's qilo, qihi) */
	values[7] = Int32GetDatum(a.qstart);
	values[8] = Int32GetDatum(a.qend);
	values[9] = Int32GetDatum(a.tstart);
	values[10] = Int32GetDatum(a.tend);
	values[11] = CStringGetTextDatum(a.cigar);
	nulls[7] = nulls[8] = nulls[9] = nulls[10] = !aligned;
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

PG_FUNCTION_INFO_V1(kmersearch_identity_dna2);
Datum
kmersearch_identity_dna2(PG_FUNCTION_ARGS)
{
	return AlignIdentityDatum(fcinfo, DNA_KIND_2);
}

PG_FUNCTION_INFO_V1(kmersearch_identity_dna4);
Datum
kmersearch_identity_dna4(PG_FUNCTION_ARGS)
{
	return AlignIdentityDatum(fcinfo, DNA_KIND_4);
}

PG_FUNCTION_INFO_V1(kmersearch_align_dna2);
Datum
kmersearch_align_dna2(PG_FUNCTION_ARGS)
{
	return AlignRecordDatum(fcinfo, DNA_KIND_2);
}

PG_FUNCTION_INFO_V1(kmersearch_align_dna4);
Datum
kmersearch_align_dna4(PG_FUNCTION_ARGS)
{
	return AlignRecordDatum(fcinfo, DNA_KIND_4);
}
