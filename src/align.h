/*
 * align.h
 *		Global alignment of a sequence against a query (parasail), and the
 *		identities computed from it.
 */
#ifndef KMERSEARCH_ALIGN_H
#define KMERSEARCH_ALIGN_H

#include "postgres.h"

#include "dna.h"

/*
 * kmersearch.identity_definition: vsearch's --iddef definitions.
 * ALIGN_IDDEF_INTERNAL is vsearch's default.
 */
typedef enum AlignIdentityDef
{
	ALIGN_IDDEF_SHORTEST = 0,	/* matches / the shorter sequence's length (CD-HIT) */
	ALIGN_IDDEF_ALIGNMENT = 1,	/* matches / all columns (BLAST, vsearch 1 and 4) */
	ALIGN_IDDEF_INTERNAL = 2,	/* matches / columns without terminal gaps */
	ALIGN_IDDEF_MBL = 3,		/* 1 - (mismatches + gap opens) / the longer length */
} AlignIdentityDef;

/* kmersearch.align_max_cells */
#define ALIGN_MAX_CELLS_DEFAULT		32000000
#define ALIGN_MAX_CELLS_MIN			1000

/*
 * One alignment.  Counts but term_* leave out the terminal gaps (the first
 * and last run of the alignment when it is a gap), as vsearch's do; the
 * positions (1-based, inclusive) are those of the aligned part, and the
 * CIGAR (SAM's M, I and D, I a base of the query only) covers it.  With no
 * aligned pair of bases the positions are 0.
 */
typedef struct Alignment
{
	int32		qlen;
	int32		tlen;
	int32		matches;		/* equal bases, or IUPAC codes that share a base */
	int32		mismatches;
	int32		gaps;			/* gap columns */
	int32		gap_opens;		/* gap runs */
	int32		term_gaps;		/* terminal gap columns */
	int32		term_gap_opens; /* terminal gap runs: 0, 1 or 2 */
	int32		qstart;
	int32		qend;
	int32		tstart;
	int32		tend;
	int64		score;			/* vsearch's score of the alignment */
	int64		bound;			/* parasail's score of it (terminal gaps free or not) */
	char		first_gap;		/* the first run: M, or a terminal gap I or D */
	char		last_gap;		/* the same for the last run */
	char	   *cigar;			/* palloc'd, when asked for */
} Alignment;

extern void AlignSequences(const char *query, int32 qlen, const char *target, int32 tlen,
						   bool want_cigar, Alignment *out);
extern double AlignIdentity(const Alignment *a, int definition);
/* AlignRow's strand: kmersearch.strand's (the better of both under both) */
#define ALIGN_STRAND_SETTING (-1)
extern int	AlignRow(void **state, MemoryContext parent, const struct varlena *seq, DnaKind kind,
					 text *query, int strand, bool want_cigar, Alignment *out);

/*
 * Whether a strand of the query (as AlignRow's strand) of A, C, G and T
 * only occurs in seq as it is: then AlignRow's alignment has internal
 * identity 1 and covers the query.
 */
extern bool AlignRowContainsQuery(void **state, MemoryContext parent, const struct varlena *seq, DnaKind kind,
								  text *query, int strand);

/*
 * Whether an alignment of seq with strand 0 (the query) or 1 (its reverse
 * complement) can reach kmersearch.min_identity and
 * kmersearch.min_query_coverage; false only when none can (AlignRow's state).
 */
extern bool AlignCanQualify(void **state, MemoryContext parent, const struct varlena *seq, DnaKind kind,
							text *query, int strand);

#endif							/* KMERSEARCH_ALIGN_H */
