/*
 * gin.c
 *		GIN operator class support for dna2 and dna4 (=%).
 *
 * Keys are int8.  Key (x, j) is x << b | (j - 1) when 2k + b <= 64 bits:
 * exact, so an item's count of matched keys is its score and no heap
 * recheck is needed.  Longer keys are hashed to 64 bits: then matched keys
 * are an upper bound of the score (hashes may collide) and rows are
 * rechecked.
 *
 * The k-mer size and occurrence bits come from the index's operator class
 * options, never from the session: an option not given has a constant
 * default (16 and 8, as the settings' defaults), so an index's keys never
 * depend on the session that builds, writes or reads it.  CREATE INDEX gets
 * the session's settings written into its options before it runs
 * (index_meta.c); rows inserted from a session with other settings are
 * indexed as the index was built.  A search whose session
 * settings differ from the index's would answer a different question; the
 * planner leaves such indexes out (planner.c); should one be used anyway
 * (a join clause), extractQuery makes it return every row for a recheck
 * under the session's settings.
 *
 * A dna4 row's windows whose degenerate codes stand for too many k-mers
 * give no key, and a search by identity (kmersearch.min_identity) must
 * know how many a row has: a row with u of them gets marker keys j = 0, 1,
 * ... for each 2^j <= u (above every exact key; a hashed one may coincide
 * with a k-mer's, which only adds a candidate), and the search's query
 * has the markers with weights 2^j, which add up to at least u.  Indexes
 * get them when their unkeyed_windows option is on (CREATE INDEX writes
 * it; indexes of 1.0 have none and do not serve searches by identity).
 *
 * An index built with kmersearch.preclude_highfreq_kmer on leaves out the
 * k-mers of its column's high-frequency analysis (highfreq_source option,
 * written into CREATE INDEX like the others; no option, no exclusion).  It answers only sessions that
 * exclude the same set.  An index with every k-mer answers sessions with
 * or without exclusion: the query's entries then leave the set out, and
 * the count of matched entries is still the score.
 */
#include "postgres.h"

#include "access/gin.h"
#include "access/reloptions.h"
#include "access/stratnum.h"
#include "access/htup_details.h"
#include "catalog/pg_am.h"
#include "catalog/pg_opfamily.h"
#include "commands/defrem.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "cache.h"
#include "gin.h"
#include "highfreq.h"
#include "kmer.h"
#include "kmersearch.h"
#include "score.h"

/*
 * The key of the occurrence-th (0-based) occurrence of a k-mer.  Exact keys
 * have their top bit flipped, so that ascending (k-mer, occurrence) order is
 * ascending int8 order: the keys of a row then reach GIN already sorted,
 * which its sort notices at once.
 */
static inline int64
GinKey(uint64 kmer, uint32 occurrence, int k, int b)
{
	if (GIN_KEYS_EXACT(k, b))
		return (int64) (((kmer << b) | occurrence) ^ (UINT64CONST(1) << 63));
	return (int64) KmerHash64(kmer ^ KmerHash64((uint64) occurrence + UINT64CONST(0x9e3779b97f4a7c15)));
}

/*
 * Marker key j of rows with at least 2^j windows that give no k-mer: a
 * value above every exact key (those have their top bit set), or a hash
 * (which may coincide with a k-mer's: such keys are rechecked anyway).
 */
static inline int64
GinMarkerKey(int j, int k, int b)
{
	Assert(GIN_KEYS_SPARE(k, b));
	if (GIN_KEYS_EXACT(k, b))
		return PG_INT64_MAX - j;
	return (int64) KmerHash64(KmerHash64(UINT64CONST(0x756e6b65796564) + (uint64) j));
}

/* The markers a row with u windows without k-mers gets: j with 2^j <= u. */
static inline int
GinMarkerCount(uint64 u)
{
	int			m = 0;

	while (m < 63 && (u >> m) != 0)
		m++;
	return m;
}

/* Whether an index's keys answer searches by identity. */
bool
GinServesIdentity(const KmerGinOptions *opts)
{
	return opts->unkeyed_windows && GIN_KEYS_SPARE(opts->kmer_size, opts->occur_bitlen);
}

/*
 * The index's settings, or the session's when called outside an index, and
 * the analysis whose high-frequency k-mers the index leaves out (its
 * highfreq_source option; NULL: none).
 */
static const char *
GinSettings(FunctionCallInfo fcinfo, int *k, int *b)
{
	if (PG_HAS_OPCLASS_OPTIONS())
	{
		KmerGinOptions *opts = (KmerGinOptions *) PG_GET_OPCLASS_OPTIONS();

		*k = opts->kmer_size;
		*b = opts->occur_bitlen;
		return GinOptionsSource(opts);
	}
	*k = kmersearch_kmer_size;
	*b = kmersearch_occur_bitlen;
	return NULL;
}

/* Whether the session excludes the analysis an index's source names. */
static bool
SessionExcludesSource(const HighfreqSet *session, const char *source)
{
	HighfreqId	src;

	if (source == NULL)
		return true;
	return session != NULL && HighfreqParseSource(source, &src) &&
		HighfreqSourceMatches(&src, HighfreqSetId(session));
}

/*
 * Whether an index on column attnum of table answers the session's =%
 * exactly: the same k-mer size and occurrence bits, and the same
 * high-frequency k-mers left out as a search of that column leaves out (a
 * loaded cache's, else the table's analysis).  With no cache loaded, an
 * index with every k-mer does not, under exclusion: the search's
 * extractQuery, which is not told the table, could not leave out its
 * analysis from the query.
 */
bool
GinOptionsMatchSession(const KmerGinOptions *opts, Oid extschema, Oid table, AttrNumber attnum)
{
	const char *source = GinOptionsSource(opts);
	const HighfreqSet *set;

	if (opts->kmer_size != kmersearch_kmer_size || opts->occur_bitlen != kmersearch_occur_bitlen)
		return false;
	if (kmersearch_min_identity > 0.0 && !GinServesIdentity(opts))
		return false;
	if (!kmersearch_preclude_highfreq_kmer)
		return source == NULL;
	set = HighfreqCacheForSession(extschema);
	if (set == NULL && source != NULL)
		set = HighfreqForTable(extschema, table, attnum, true);
	return set != NULL && SessionExcludesSource(set, source);
}

/*
 * Whether an access method keeps this extension's k-mer keys: GIN, or the
 * kmer method (whose name the extension's access method has).
 */
bool
KmerIndexMethod(Oid amoid)
{
	return amoid == GIN_AM_OID || (OidIsValid(amoid) && amoid == get_index_am_oid(KMI_AM_NAME, true));
}

/* Whether an operator class name is one of this extension's k-mer classes (GIN's or kmer's). */
bool
GinIsKmerOpclassName(const char *name)
{
	return strcmp(name, GIN_OPCLASS_DNA2) == 0 || strcmp(name, GIN_OPCLASS_DNA4) == 0 ||
		strcmp(name, KMI_OPCLASS_DNA2) == 0 || strcmp(name, KMI_OPCLASS_DNA4) == 0;
}

/* Whether an operator family is one of this extension's k-mer families (of GIN or kmer). */
bool
GinIsKmerFamily(Oid opfamily, Oid extschema)
{
	HeapTuple	tup = SearchSysCache1(OPFAMILYOID, ObjectIdGetDatum(opfamily));
	bool		ours = false;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_opfamily f = (Form_pg_opfamily) GETSTRUCT(tup);

		ours = KmerIndexMethod(f->opfmethod) && f->opfnamespace == extschema &&
			GinIsKmerOpclassName(NameStr(f->opfname));
		ReleaseSysCache(tup);
	}
	return ours;
}

/*
 * The keys of distinct k-mers with counts: (x, 1) ... (x, min(count, 2^b)),
 * in a palloc'd Datum array; none for the k-mers of the set excl.
 */
static Datum *
GinKeysOf(const KmerCount *counts, size_t ndistinct, int k, int b, const HighfreqSet *excl,
		  int nmarkers, int32 *nkeys)
{
	size_t		total = 0,
				i,
				n = 0;
	Datum	   *keys;
	bool	   *skip = NULL;

	if (excl != NULL && ndistinct > 0)
	{
		skip = palloc_extended(ndistinct * sizeof(bool), MCXT_ALLOC_HUGE);
		for (i = 0; i < ndistinct; i++)
			skip[i] = HighfreqContains(excl, counts[i].kmer);
	}
	for (i = 0; i < ndistinct; i++)
		if (skip == NULL || !skip[i])
			total += KmerKeysFor(counts[i].count, b);
	total += nmarkers;
	if (total > (size_t) PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sequence has too many k-mer keys to index (%zu)", total)));
	*nkeys = (int32) total;
	if (total == 0)
		return NULL;
	keys = palloc_extended(KmersearchArrayBytes(total, sizeof(Datum), MaxAllocHugeSize, "k-mer keys"),
						   MCXT_ALLOC_HUGE);
	for (i = 0; i < ndistinct; i++)
	{
		uint32		m = KmerKeysFor(counts[i].count, b);
		uint32		j;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (skip != NULL && skip[i])
			continue;
		for (j = 0; j < m; j++)
			keys[n++] = Int64GetDatum(GinKey(counts[i].kmer, j, k, b));
	}
	/* in ascending order after the exact keys */
	while (nmarkers > 0)
		keys[n++] = Int64GetDatum(GinMarkerKey(--nmarkers, k, b));
	return keys;
}

/* extractValue(seq, internal nkeys, internal nullFlags): the keys of a row */
static Datum
GinExtractValue(FunctionCallInfo fcinfo, DnaKind kind)
{
	struct varlena *seq = PG_GETARG_VARLENA_PP(0);
	int32	   *nkeys = (int32 *) PG_GETARG_POINTER(1);
	int			k,
				b;
	size_t		nkmers,
				ndistinct;
	uint64	   *kmers;
	KmerCount  *counts;
	const char *source = GinSettings(fcinfo, &k, &b);
	int			nmarkers = 0;

	/*
	 * Without its analysis (a restore that brings it back later) the row
	 * gets every key: a superset of those searches through the index look
	 * up.
	 */
	const HighfreqSet *excl = source == NULL ? NULL :
		HighfreqForIndex(get_func_namespace(fcinfo->flinfo->fn_oid), source, k, true);

	if (kind == DNA_KIND_4 && PG_HAS_OPCLASS_OPTIONS() &&
		GinServesIdentity((KmerGinOptions *) PG_GET_OPCLASS_OPTIONS()))
		nmarkers = GinMarkerCount(KmerUnkeyedWindows(DnaData(seq), DnaLength(seq, kind), kind, k));
	kmers = KmerCollect(DnaData(seq), DnaLength(seq, kind), kind, k, &nkmers);
	counts = KmerCountDistinct(kmers, nkmers, &ndistinct);
	if (kmers != NULL)
		pfree(kmers);			/* before the keys: a long sequence has many */
	PG_RETURN_POINTER(GinKeysOf(counts, ndistinct, k, b, excl, nmarkers, nkeys));
}

#define ST_SORT sort_gin_keys
#define ST_CHECK_FOR_INTERRUPTS
#define ST_ELEMENT_TYPE Datum
#define ST_COMPARE(a, b) (DatumGetInt64(*(a)) < DatumGetInt64(*(b)) ? -1 : \
						  DatumGetInt64(*(a)) > DatumGetInt64(*(b)) ? 1 : 0)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/* Sort keys and fold equal ones into one with a multiplicity; returns how many remain. */
static int32
GinFoldKeys(Datum *keys, int32 n, int32 *mult)
{
	int32		i,
				m = 0;

	if (n > 0)
		sort_gin_keys(keys, n);
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (m > 0 && DatumGetInt64(keys[m - 1]) == DatumGetInt64(keys[i]))
		{
			mult[m - 1]++;
			continue;
		}
		keys[m] = keys[i];
		mult[m++] = 1;
	}
	return m;
}

/*
 * extractQuery(query text, internal nkeys, int2 strategy, internal pmatch,
 * internal extra_data, internal nullFlags, internal searchMode)
 */
PG_FUNCTION_INFO_V1(kmersearch_gin_extract_query);
Datum
kmersearch_gin_extract_query(PG_FUNCTION_ARGS)
{
	text	   *query = PG_GETARG_TEXT_PP(0);
	int32	   *nentries = (int32 *) PG_GETARG_POINTER(1);
	Pointer   **extra_data = (Pointer **) PG_GETARG_POINTER(4);
	int32	   *searchMode = (int32 *) PG_GETARG_POINTER(6);
	int			k,
				b;
	bool		both = kmersearch_strand == KMER_STRAND_BOTH;
	int			nstrands = both ? 2 : 1;
	text	   *strand_query[2];
	Datum	   *skeys[2] = {NULL, NULL};
	int32		snkeys[2] = {0, 0},
			   *smult[2] = {NULL, NULL};
	int64		nunits[2] = {0, 0},
				excluded[2] = {0, 0},
				threshold[2] = {0, 0};
	Datum	   *keys;
	int32		n,
				i,
				p,
				m,
				only[2],
				common;
	GinQueryExtra *extra;
	int			s;
	const char *source = GinSettings(fcinfo, &k, &b);
	const HighfreqSet *excl = NULL;
	bool		identity = IdentitySearch();
	int			nmarkers = 0;

	/*
	 * What the search leaves out: a loaded cache's k-mers, else (the planner
	 * having checked that it is the table's analysis) those the index left
	 * out.
	 */
	if (k == kmersearch_kmer_size && b == kmersearch_occur_bitlen && kmersearch_preclude_highfreq_kmer)
	{
		Oid			extschema = get_func_namespace(fcinfo->flinfo->fn_oid);

		excl = HighfreqCacheForSession(extschema);
		if (excl == NULL && source != NULL)
			excl = HighfreqForIndex(extschema, source, k, true);
	}
	if (k != kmersearch_kmer_size || b != kmersearch_occur_bitlen ||
		(kmersearch_preclude_highfreq_kmer ? excl == NULL || !SessionExcludesSource(excl, source)
		 : source != NULL) ||
		(identity && !(PG_HAS_OPCLASS_OPTIONS() &&
					   GinServesIdentity((KmerGinOptions *) PG_GET_OPCLASS_OPTIONS()))))
	{
		/*
		 * The index's keys answer another question.  The planner leaves such
		 * indexes out for restriction clauses, but a join clause or a plan
		 * made before a SET can still get here: then return every row and
		 * let the recheck compute =% with the session's settings.  Correct,
		 * and the planner, costing a full index scan, avoids it.
		 */
		*nentries = 0;
		*searchMode = GIN_SEARCH_MODE_ALL;
		PG_RETURN_POINTER(NULL);
	}

	/* each strand's keys, sorted and folded, and its threshold */
	strand_query[0] = query;
	strand_query[1] = both ? QueryRevcomp(query) : NULL;
	for (s = 0; s < nstrands; s++)
	{
		const QueryPattern *qp = CacheGetQueryPattern(strand_query[s], k, b);
		CacheDigest digest = CacheDigestBytes(VARDATA_ANY(strand_query[s]),
											  VARSIZE_ANY_EXHDR(strand_query[s]));

		skeys[s] = GinKeysOf(qp->kmers, qp->ndistinct, k, b, excl, 0, &snkeys[s]);
		smult[s] = palloc(KmersearchArrayBytes(Max(snkeys[s], 1), sizeof(int32), MaxAllocSize, "query keys"));
		snkeys[s] = GinFoldKeys(skeys[s], snkeys[s], smult[s]);
		if (identity)
		{
			threshold[s] = IdentityThreshold(qp, excl);
			continue;
		}
		QueryPatternUnits(qp, excl, &nunits[s], &excluded[s]);
		if (s == nstrands - 1 && nunits[0] - excluded[0] <= 0)
			QueryNoKmersNotice(query, qp, nunits[s], excluded[s]);
		threshold[s] = CacheGetActualMinScore(digest, nunits[s], excluded[s]);
	}

	/*
	 * By identity: the markers of rows' windows without k-mers, with weights
	 * 1, 2, 4, ... up to where they add up to the larger threshold.  When a
	 * strand's threshold is 0 or less, no k-mer can tell: every row.
	 */
	if (identity)
	{
		int64		most = Max(threshold[0], both ? threshold[1] : threshold[0]);
		int64		least = Min(threshold[0], both ? threshold[1] : threshold[0]);

		QueryNoThresholdNotice(query, least);
		if (least <= 0)
		{
			*nentries = 0;
			*searchMode = GIN_SEARCH_MODE_ALL;
			PG_RETURN_POINTER(NULL);
		}
		while (nmarkers < 31 && ((int64) 1 << nmarkers) - 1 < most)
			nmarkers++;
	}

	/* merge: the plus strand's only, both (then the markers), the minus strand's only */
	n = snkeys[0] + snkeys[1] + nmarkers;
	extra = palloc0(sizeof(GinQueryExtra));
	extra->threshold[0] = threshold[0];
	extra->threshold[1] = both ? threshold[1] : PG_INT64_MAX;
	extra->lossy = !GIN_KEYS_EXACT(k, b) || identity;
	keys = palloc(KmersearchArrayBytes(Max(n, 1), sizeof(Datum), MaxAllocSize, "query keys"));
	extra->mult[0] = palloc0(KmersearchArrayBytes(Max(n, 1), sizeof(int32), MaxAllocSize, "query keys"));
	extra->mult[1] = palloc0(KmersearchArrayBytes(Max(n, 1), sizeof(int32), MaxAllocSize, "query keys"));
	for (only[0] = only[1] = common = 0, p = m = 0; p < snkeys[0] || m < snkeys[1];)
	{
		int64		x = p < snkeys[0] ? DatumGetInt64(skeys[0][p]) : 0;
		int64		y = m < snkeys[1] ? DatumGetInt64(skeys[1][m]) : 0;

		if (((p + m) & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (m >= snkeys[1] || (p < snkeys[0] && x < y))
			p++, only[0]++;
		else if (p >= snkeys[0] || y < x)
			m++, only[1]++;
		else
			p++, m++, common++;
	}
	n = only[0] + common + nmarkers + only[1];
	{
		int32		at[3] = {0, only[0], only[0] + common + nmarkers};	/* next slot of each group */

		for (p = m = 0; p < snkeys[0] || m < snkeys[1];)
		{
			int64		x = p < snkeys[0] ? DatumGetInt64(skeys[0][p]) : 0;
			int64		y = m < snkeys[1] ? DatumGetInt64(skeys[1][m]) : 0;

			if (m >= snkeys[1] || (p < snkeys[0] && x < y))
			{
				keys[at[0]] = skeys[0][p];
				extra->mult[0][at[0]++] = smult[0][p++];
			}
			else if (p >= snkeys[0] || y < x)
			{
				keys[at[2]] = skeys[1][m];
				extra->mult[1][at[2]++] = smult[1][m++];
			}
			else
			{
				keys[at[1]] = skeys[0][p];
				extra->mult[0][at[1]] = smult[0][p++];
				extra->mult[1][at[1]++] = smult[1][m++];
			}
		}
	}
	for (i = 0; i < nmarkers; i++)
	{
		keys[only[0] + common + i] = Int64GetDatum(GinMarkerKey(i, k, b));
		extra->mult[0][only[0] + common + i] = extra->mult[1][only[0] + common + i] = (int32) 1 << i;
	}
	extra->nentries = n;
	extra->plus_end = only[0] + common + nmarkers;
	extra->minus_start = only[0];

	*nentries = n;
	*searchMode = GIN_SEARCH_MODE_DEFAULT;
	if (n > 0)
	{
		*extra_data = palloc(KmersearchArrayBytes(n, sizeof(Pointer), MaxAllocSize, "query keys"));
		for (i = 0; i < n; i++)
			(*extra_data)[i] = (Pointer) extra;
	}
	PG_RETURN_POINTER(keys);
}

/*
 * Count the bytes of check[0..n) that have bit 0 set (*ones) and bit 1 set
 * (*twos): for GinTernaryValue, GIN_TRUE and GIN_MAYBE; for bool, true.
 * Eight bytes at a time: each masked byte is 0 or 1, and multiplying by
 * 0x0101...01 sums the eight of them into the top byte.  This is the hot
 * loop of a search with many query keys, called for every candidate row.
 */
static inline void
CountCheckBytes(const char *check, int32 n, int64 *ones, int64 *twos)
{
	const uint64 lsb = UINT64CONST(0x0101010101010101);
	int64		o = 0,
				t = 0;
	int32		i = 0;

	for (; n - i >= 8; i += 8)
	{
		uint64		x;

		memcpy(&x, check + i, 8);
		o += (int64) (((x & lsb) * lsb) >> 56);
		t += (int64) ((((x >> 1) & lsb) * lsb) >> 56);
	}
	for (; i < n; i++)
	{
		o += check[i] & 1;
		t += (check[i] >> 1) & 1;
	}
	*ones = o;
	*twos = t;
}

/*
 * The query keys of each strand a row has (check: bool, or GinTernaryValue
 * with GIN_TRUE 1 and GIN_MAYBE 2): in have[s] those of bit 0 (true), in
 * maybe[s] those of bit 1.
 */
static inline void
GinCountStrands(const GinQueryExtra *extra, const char *check, int64 have[2], int64 maybe[2])
{
	int32		i;

	if (!extra->lossy)
	{
		CountCheckBytes(check, extra->plus_end, &have[0], &maybe[0]);
		if (extra->threshold[1] == PG_INT64_MAX)
			have[1] = maybe[1] = 0;
		else
			CountCheckBytes(check + extra->minus_start, extra->nentries - extra->minus_start,
							&have[1], &maybe[1]);
		return;
	}
	have[0] = have[1] = maybe[0] = maybe[1] = 0;
	for (i = 0; i < extra->nentries; i++)
	{
		if (check[i] & 1)
		{
			have[0] += extra->mult[0][i];
			have[1] += extra->mult[1][i];
		}
		if (check[i] & 2)
		{
			maybe[0] += extra->mult[0][i];
			maybe[1] += extra->mult[1][i];
		}
	}
}

/*
 * consistent(internal check, int2 strategy, text query, int4 nkeys,
 * internal extra_data, internal recheck, internal queryKeys, internal nullFlags):
 * whether either strand's matched keys reach its threshold.
 */
PG_FUNCTION_INFO_V1(kmersearch_gin_consistent);
Datum
kmersearch_gin_consistent(PG_FUNCTION_ARGS)
{
	bool	   *check = (bool *) PG_GETARG_POINTER(0);
	int32		nkeys = PG_GETARG_INT32(3);
	Pointer    *extra_data = (Pointer *) PG_GETARG_POINTER(4);
	bool	   *recheck = (bool *) PG_GETARG_POINTER(5);
	GinQueryExtra *extra;
	int64		have[2],
				unused[2];

	/* no keys: an index with other settings, read in full (extractQuery) */
	if (nkeys == 0)
	{
		*recheck = true;
		PG_RETURN_BOOL(true);
	}
	extra = (GinQueryExtra *) extra_data[0];
	StaticAssertStmt(sizeof(bool) == 1, "bool is a byte");
	GinCountStrands(extra, (const char *) check, have, unused);
	*recheck = extra->lossy;
	PG_RETURN_BOOL(have[0] >= extra->threshold[0] || have[1] >= extra->threshold[1]);
}

/*
 * triConsistent(internal check, int2 strategy, text query, int4 nkeys,
 * internal extra_data, internal queryKeys, internal nullFlags): false as soon
 * as the keys that may still match cannot reach the threshold on either
 * strand, which lets GIN skip rows without reading all their keys.
 */
PG_FUNCTION_INFO_V1(kmersearch_gin_tri_consistent);
Datum
kmersearch_gin_tri_consistent(PG_FUNCTION_ARGS)
{
	GinTernaryValue *check = (GinTernaryValue *) PG_GETARG_POINTER(0);
	int32		nkeys = PG_GETARG_INT32(3);
	Pointer    *extra_data = (Pointer *) PG_GETARG_POINTER(4);
	GinQueryExtra *extra;
	int64		ntrue[2],
				nmaybe[2];

	if (nkeys == 0)
		PG_RETURN_GIN_TERNARY_VALUE(GIN_MAYBE);
	extra = (GinQueryExtra *) extra_data[0];
	StaticAssertStmt(GIN_TRUE == 1 && GIN_MAYBE == 2 && sizeof(GinTernaryValue) == 1,
					 "GinTernaryValue bits");
	GinCountStrands(extra, (const char *) check, ntrue, nmaybe);
	if (ntrue[0] + nmaybe[0] < extra->threshold[0] && ntrue[1] + nmaybe[1] < extra->threshold[1])
		PG_RETURN_GIN_TERNARY_VALUE(GIN_FALSE);
	if (!extra->lossy && (ntrue[0] >= extra->threshold[0] || ntrue[1] >= extra->threshold[1]))
		PG_RETURN_GIN_TERNARY_VALUE(GIN_TRUE);
	PG_RETURN_GIN_TERNARY_VALUE(GIN_MAYBE);
}

/* highfreq_source: empty, or an analysis as highfreq.c writes it */
static void
ValidateSource(const char *value)
{
	HighfreqId	id;

	if (value != NULL && value[0] != '\0' && !HighfreqParseSource(value, &id))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for highfreq_source: \"%s\"", value),
				 errdetail("It is written by pg_kmersearch when an index is built with kmersearch.preclude_highfreq_kmer on.")));
}

/*
 * options(internal): kmer_size and occur_bitlen, with constant defaults (never
 * the session's: an index's keys must not depend on who writes them), and
 * highfreq_source (none by default).  index_meta.c writes the session's
 * settings into CREATE INDEX before it runs.
 */
PG_FUNCTION_INFO_V1(kmersearch_gin_options);
Datum
kmersearch_gin_options(PG_FUNCTION_ARGS)
{
	local_relopts *relopts = (local_relopts *) PG_GETARG_POINTER(0);

	init_local_reloptions(relopts, sizeof(KmerGinOptions));
	add_local_int_reloption(relopts, "kmer_size", "k-mer size the index is built with",
							KMER_SIZE_DEFAULT, KMER_SIZE_MIN, KMER_SIZE_MAX,
							offsetof(KmerGinOptions, kmer_size));
	add_local_int_reloption(relopts, "occur_bitlen", "occurrence bits the index is built with",
							OCCUR_BITLEN_DEFAULT, OCCUR_BITLEN_MIN, OCCUR_BITLEN_MAX,
							offsetof(KmerGinOptions, occur_bitlen));
	add_local_bool_reloption(relopts, "unkeyed_windows",
							 "dna4 rows have keys that count their windows without k-mers",
							 false, offsetof(KmerGinOptions, unkeyed_windows));
	add_local_string_reloption(relopts, "highfreq_source",
							   "the high-frequency k-mer analysis the index leaves out",
							   NULL, ValidateSource, NULL,
							   offsetof(KmerGinOptions, highfreq_source));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(kmersearch_gin_extract_value_dna2);
Datum
kmersearch_gin_extract_value_dna2(PG_FUNCTION_ARGS)
{
	return GinExtractValue(fcinfo, DNA_KIND_2);
}

PG_FUNCTION_INFO_V1(kmersearch_gin_extract_value_dna4);
Datum
kmersearch_gin_extract_value_dna4(PG_FUNCTION_ARGS)
{
	return GinExtractValue(fcinfo, DNA_KIND_4);
}
