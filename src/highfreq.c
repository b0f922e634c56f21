/*
 * highfreq.c
 *		High-frequency k-mer sets: what a set is, and reading analyses from
 *		the extension's tables (as the statement sees them, or as they are
 *		now for index builds) into sets in backend memory.
 *
 * The rest of the high-frequency k-mer code: the analysis
 * (highfreq_analysis.c) and the runs of counts it spills and merges
 * (highfreq_runs.c), its undo (highfreq_undo.c), the caches and where the
 * set to exclude comes from (highfreq_cache.c), and the table column a
 * function is called on (highfreq_target.c).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "lib/dshash.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "highfreq_set.h"
#include "kmer.h"
#include "kmersearch.h"

/* ---------------------------------------------------------------- sets */

/* a set of k-mers in backend memory */
typedef struct KmerSetEntry
{
	uint64		kmer;
	char		status;
} KmerSetEntry;

#define SH_PREFIX kmerset
#define SH_ELEMENT_TYPE KmerSetEntry
#define SH_KEY_TYPE uint64
#define SH_KEY kmer
#define SH_HASH_KEY(tb, key) ((uint32) KmerHash64(key))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

MemoryContext
HighfreqContext(void)
{
	static MemoryContext cxt = NULL;

	if (cxt == NULL)
		cxt = AllocSetContextCreate(TopMemoryContext, "kmersearch high-frequency k-mer sets",
									ALLOCSET_DEFAULT_SIZES);
	return cxt;
}

void
HighfreqSetFree(HighfreqSet *set)
{
	if (set != NULL && set->cxt != NULL)
		MemoryContextDelete(set->cxt);
}

bool
HighfreqContains(const HighfreqSet *set, uint64 kmer)
{
	if (set->local != NULL)
		return kmerset_lookup(set->local, kmer) != NULL;
	else
	{
		void	   *e = dshash_find(set->shared, &kmer, false);

		if (e == NULL)
			return false;
		dshash_release_lock(set->shared, e);
		return true;
	}
}

const HighfreqId *
HighfreqSetId(const HighfreqSet *set)
{
	return &set->id;
}

int64
HighfreqSetCount(const HighfreqSet *set)
{
	return set->count;
}

bool
HighfreqSameId(const HighfreqId *a, const HighfreqId *b)
{
	return a->table_oid == b->table_oid && a->attnum == b->attnum &&
		a->analyzed_at == b->analyzed_at;
}

char *
HighfreqIdString(const HighfreqId *id)
{
	return psprintf("%u.%d.%lld", id->table_oid, (int) id->attnum, (long long) id->analyzed_at);
}

bool
HighfreqParseId(const char *s, HighfreqId *id)
{
	unsigned int oid;
	int			attnum;
	long long	ts;
	char		tail;

	if (s == NULL || sscanf(s, "%u.%d.%lld%c", &oid, &attnum, &ts, &tail) != 3 ||
		oid == InvalidOid || attnum <= 0 || attnum > MaxAttrNumber)
		return false;
	id->table_oid = oid;
	id->attnum = (AttrNumber) attnum;
	id->analyzed_at = (TimestampTz) ts;
	return true;
}

/*
 * An index names its analysis by the time it was made (microseconds since
 * 2000), which pg_dump keeps with the analysis: table OIDs change when a
 * dump is restored.  1.0 wrote "table.attnum.time"; such options still
 * name the analysis of that table made then.
 */
char *
HighfreqSourceString(const HighfreqId *id)
{
	return psprintf("%lld", (long long) id->analyzed_at);
}

bool
HighfreqParseSource(const char *source, HighfreqId *src)
{
	size_t		len = source ? strlen(source) : 0;

	if (len > 0 && len <= 18 && strspn(source, "0123456789") == len)
	{
		src->table_oid = InvalidOid;
		src->attnum = InvalidAttrNumber;
		src->analyzed_at = (TimestampTz) strtoll(source, NULL, 10);
		return true;
	}
	return HighfreqParseId(source, src);
}

bool
HighfreqSourceMatches(const HighfreqId *src, const HighfreqId *id)
{
	return src->analyzed_at == id->analyzed_at &&
		(!OidIsValid(src->table_oid) || (src->table_oid == id->table_oid && src->attnum == id->attnum));
}

/* ---------------------------------------------------------------- tables */

static Oid
ExtRelation(Oid extschema, const char *name)
{
	Oid			relid = get_relname_relid(name, extschema);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("pg_kmersearch table %s is missing", name),
				 errhint("Drop and create the extension pg_kmersearch again.")));
	return relid;
}

/*
 * The snapshot to read the extension's tables with.  Searches read them as
 * the statement sees the data (the snapshot a leader and its parallel
 * workers share), so that every plan of a statement finds the same
 * analysis.  Index builds and index maintenance read the latest state (what
 * was committed before their lock was granted, and this transaction's own
 * work): an index must have the analysis that is current.
 */
static Snapshot
ReadSnapshot(bool latest)
{
	if (latest && !IsInParallelMode())
		return GetLatestSnapshot();
	if (ActiveSnapshotSet())
		return GetActiveSnapshot();
	return GetTransactionSnapshot();
}

/* An index scan of an extension table by its primary key's first columns. */
static SysScanDesc
BeginTableScan(Relation rel, Oid table_oid, const char *column, int nkeys, ScanKey keys, bool latest)
{
	Oid			pk = KmerPrimaryKeyIndex(rel);

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(table_oid));
	if (nkeys > 1)
		ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_NAMEEQ, CStringGetDatum(column));
	return systable_beginscan(rel, pk, OidIsValid(pk), ReadSnapshot(latest), nkeys, keys);
}

/* kmersearch_highfreq_kmer_meta's columns */
enum
{
	META_TABLE_OID = 1, META_COLUMN_NAME, META_KMER_SIZE, META_OCCUR_BITLEN,
	META_RATE, META_NROW, META_TIMESTAMP, META_NATTS = META_TIMESTAMP
};

static void
MetaFromTuple(HeapTuple tup, TupleDesc desc, HighfreqId *id, HighfreqParams *params,
			  NameData *column)
{
	Datum		v[META_NATTS];
	bool		n[META_NATTS];

	heap_deform_tuple(tup, desc, v, n);
	id->table_oid = DatumGetObjectId(v[META_TABLE_OID - 1]);
	if (column)
		namestrcpy(column, NameStr(*DatumGetName(v[META_COLUMN_NAME - 1])));
	params->kmer_size = n[META_KMER_SIZE - 1] ? 0 : DatumGetInt32(v[META_KMER_SIZE - 1]);
	params->occur_bitlen = n[META_OCCUR_BITLEN - 1] ? 0 : DatumGetInt32(v[META_OCCUR_BITLEN - 1]);
	params->max_appearance_rate = n[META_RATE - 1] ? 0 : DatumGetFloat4(v[META_RATE - 1]);
	params->max_appearance_nrow = n[META_NROW - 1] ? 0 : DatumGetInt32(v[META_NROW - 1]);
	id->analyzed_at = n[META_TIMESTAMP - 1] ? 0 : DatumGetTimestampTz(v[META_TIMESTAMP - 1]);
}

bool
HighfreqFindAnalysis(Oid extschema, Oid table_oid, AttrNumber attnum,
					 HighfreqId *id, HighfreqParams *params, bool latest)
{
	char	   *column = get_attname(table_oid, attnum, true);
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData keys[2];
	HeapTuple	tup;
	bool		found = false;

	if (column == NULL)
		return false;
	rel = table_open(ExtRelation(extschema, "kmersearch_highfreq_kmer_meta"), AccessShareLock);
	scan = BeginTableScan(rel, table_oid, column, 2, keys, latest);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		MetaFromTuple(tup, RelationGetDescr(rel), id, params, NULL);
		id->attnum = attnum;
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * The analyses with kmer_size k that a highfreq_source names: how many
 * (more than one only for analyses made at the same microsecond), and the
 * first.  Read as they are now: only index builds and index maintenance ask.
 */
int
HighfreqFindSource(Oid extschema, const HighfreqId *src, int kmer_size, HighfreqId *first,
				   HighfreqParams *params)
{
	Relation	rel = table_open(ExtRelation(extschema, "kmersearch_highfreq_kmer_meta"), AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, ReadSnapshot(true), 0, NULL);
	HeapTuple	tup;
	int			n = 0;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		HighfreqId	id;
		HighfreqParams p;
		NameData	column;

		MetaFromTuple(tup, RelationGetDescr(rel), &id, &p, &column);
		if (id.analyzed_at != src->analyzed_at || p.kmer_size != kmer_size)
			continue;
		id.attnum = get_attnum(id.table_oid, NameStr(column));
		if (id.attnum == InvalidAttrNumber || !HighfreqSourceMatches(src, &id))
			continue;			/* a table or column dropped since, or another one's */
		if (n++ == 0)
		{
			*first = id;
			*params = p;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return n;
}

/* Whether an analysis was made with the session's settings. */
bool
HighfreqParamsMatchSession(const HighfreqParams *p)
{
	return p->kmer_size == kmersearch_kmer_size && p->occur_bitlen == kmersearch_occur_bitlen &&
		(float4) p->max_appearance_rate == (float4) kmersearch_max_appearance_rate &&
		p->max_appearance_nrow == kmersearch_max_appearance_nrow;
}

/*
 * Every analysis matching the session's settings: how many, and the first.
 * The fallback when no cache is loaded.
 */
int
HighfreqFindSessionAnalyses(Oid extschema, HighfreqId *first, HighfreqParams *params)
{
	Relation	rel = table_open(ExtRelation(extschema, "kmersearch_highfreq_kmer_meta"), AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, ReadSnapshot(false), 0, NULL);
	HeapTuple	tup;
	int			n = 0;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		HighfreqId	id;
		HighfreqParams p;
		NameData	column;
		AttrNumber	attnum;

		MetaFromTuple(tup, RelationGetDescr(rel), &id, &p, &column);
		if (!HighfreqParamsMatchSession(&p))
			continue;
		attnum = get_attnum(id.table_oid, NameStr(column));
		if (attnum == InvalidAttrNumber)
			continue;			/* a table or column dropped since */
		if (pg_attribute_aclcheck(id.table_oid, attnum, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
			pg_class_aclcheck(id.table_oid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
			continue;			/* not this user's to read */
		id.attnum = attnum;
		if (n++ == 0)
		{
			*first = id;
			*params = p;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return n;
}

/* Read an analysis's k-mers into a backend set. */
HighfreqSet *
HighfreqLoadSet(Oid extschema, const HighfreqId *id, const HighfreqParams *params, bool latest)
{
	MemoryContext cxt = AllocSetContextCreate(HighfreqContext(), "kmersearch high-frequency k-mer set",
											  ALLOCSET_DEFAULT_SIZES);
	HighfreqSet *set = MemoryContextAllocZero(cxt, sizeof(HighfreqSet));
	char	   *column = get_attname(id->table_oid, id->attnum, false);
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData keys[2];
	HeapTuple	tup;
	int64		n = 0;

	PG_TRY();
	{
		set->id = *id;
		set->params = *params;
		set->cxt = cxt;
		set->local = kmerset_create(cxt, 1024, NULL);
		rel = table_open(ExtRelation(extschema, "kmersearch_highfreq_kmer"), AccessShareLock);
		scan = BeginTableScan(rel, id->table_oid, column, 2, keys, latest);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			bool		isnull;
			Datum		k = heap_getattr(tup, 3, RelationGetDescr(rel), &isnull);
			bool		found;

			if ((++n % kmersearch_highfreq_kmer_cache_load_batch_size) == 0)
				CHECK_FOR_INTERRUPTS();
			if (!isnull)
				kmerset_insert(set->local, (uint64) DatumGetInt64(k), &found);
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
		set->count = set->local->members;
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return set;
}

int64
HighfreqSetIterate(const HighfreqSet *set, void (*fn) (uint64 kmer, void *arg), void *arg)
{
	kmerset_iterator it;
	KmerSetEntry *e;
	int64		n = 0;

	Assert(set->local != NULL);
	kmerset_start_iterate(set->local, &it);
	while ((e = kmerset_iterate(set->local, &it)) != NULL)
	{
		if ((++n % kmersearch_highfreq_kmer_cache_load_batch_size) == 0)
			CHECK_FOR_INTERRUPTS();
		fn(e->kmer, arg);
	}
	return n;
}
