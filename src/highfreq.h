/*
 * highfreq.h
 *		High-frequency k-mers: the analysis that finds them, the sets that
 *		exclude them from keys and scores, and where those sets come from.
 *
 * A set is the result of one analysis of one table column: the k-mers found
 * in more than max_appearance_rate of its rows (or more than
 * max_appearance_nrow rows).  It is identified by the table, the column and
 * the time of the analysis, so a set in memory is never mistaken for a
 * newer analysis of the same column.
 */
#ifndef KMERSEARCH_HIGHFREQ_H
#define KMERSEARCH_HIGHFREQ_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* Which analysis a set is: one per table column. */
typedef struct HighfreqId
{
	Oid			table_oid;
	AttrNumber	attnum;
	TimestampTz analyzed_at;
} HighfreqId;

/* The parameters an analysis was made with. */
typedef struct HighfreqParams
{
	int			kmer_size;
	int			occur_bitlen;
	double		max_appearance_rate;
	int			max_appearance_nrow;
} HighfreqParams;

typedef struct HighfreqSet HighfreqSet;

/*
 * The set a search of column attnum of table excludes
 * (kmersearch.preclude_highfreq_kmer), found through the cache hierarchy:
 * the global cache, the parallel cache, the analysis of that table and
 * column.  NULL when exclusion is off; an error when it is on and there is
 * no such analysis with the session's settings.  Where no table is known
 * (table InvalidOid), the single analysis with the session's settings.
 */
extern const HighfreqSet *HighfreqForSearch(Oid extschema, Oid table, AttrNumber attnum);

/* The set in a loaded cache (global, then parallel), or NULL. */
extern const HighfreqSet *HighfreqCacheForSession(Oid extschema);

/*
 * The analysis of a table's column (or of the partitioned table it is a
 * partition of) if it fits the session's settings; else NULL with
 * missing_ok, an error without.
 */
extern const HighfreqSet *HighfreqForTable(Oid extschema, Oid table, AttrNumber attnum, bool missing_ok);

/* Whether an analysis was made with the session's settings. */
extern bool HighfreqParamsMatchSession(const HighfreqParams *p);

/*
 * The set an index was built without (its highfreq_source option).  When
 * that analysis is not there (a dump being restored has not yet brought it
 * back), NULL with missing_ok, an error otherwise: an index holding every
 * k-mer of a row holds a superset of the keys it needs.
 */
extern const HighfreqSet *HighfreqForIndex(Oid extschema, const char *source, int kmer_size,
										   bool missing_ok);

extern bool HighfreqContains(const HighfreqSet *set, uint64 kmer);
extern const HighfreqId *HighfreqSetId(const HighfreqSet *set);
extern bool HighfreqSameId(const HighfreqId *a, const HighfreqId *b);
extern int64 HighfreqSetCount(const HighfreqSet *set);

/*
 * An analysis as an index option names it (its time, which survives dump
 * and restore), and back; parsing also reads 1.0's "table.attnum.time",
 * and leaves table_oid invalid for the time alone.
 */
extern char *HighfreqSourceString(const HighfreqId *id);
extern bool HighfreqParseSource(const char *source, HighfreqId *src);
/* whether a parsed source names an analysis */
extern bool HighfreqSourceMatches(const HighfreqId *src, const HighfreqId *id);

/* An analysis as the internal settings name it in one database: table.attnum.time */
extern char *HighfreqIdString(const HighfreqId *id);
extern bool HighfreqParseId(const char *s, HighfreqId *id);

/*
 * The analyses with kmer_size k that a parsed source names, as the tables
 * are now: how many, and the first.
 */
extern int	HighfreqFindSource(Oid extschema, const HighfreqId *src, int kmer_size,
							   HighfreqId *first, HighfreqParams *params);

/*
 * The analysis of a table column if there is one (false otherwise), with
 * the parameters it was made with; as the statement sees the tables, or
 * with latest, as they are now (for index builds).
 */
extern bool HighfreqFindAnalysis(Oid extschema, Oid table_oid, AttrNumber attnum,
								 HighfreqId *id, HighfreqParams *params, bool latest);

/* Errors (with a hint) unless params are the session's settings. */
extern void HighfreqCheckParams(const HighfreqParams *params, const char *what);

/* highfreq_undo.c: the analyses of table from become to's; returns how many */
extern int	HighfreqMoveAnalyses(Oid extschema, Oid from, Oid to);

/* module.c: define the internal settings */
extern void HighfreqDefineSettings(void);

#endif							/* KMERSEARCH_HIGHFREQ_H */
