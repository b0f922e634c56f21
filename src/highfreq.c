/*
 * highfreq.c
 *		High-frequency k-mers: the parallel analysis, its undo, the sets it
 *		leaves and the caches they are read through.
 *
 * The analysis counts, for every k-mer of a column under the session's
 * kmer_size, the rows that contain it.  It runs in a ParallelContext: the
 * workers share one parallel heap scan; each counts the distinct k-mers of
 * its rows in a hash table of its own, bounded by its share of
 * maintenance_work_mem, and whenever that is full writes the counts, sorted
 * by k-mer, as a run to a file of a SharedFileSet.  The leader reports
 * progress while they work (and scans itself when no worker could be
 * launched), then merges the runs, adding the counts of each k-mer, and keeps
 * those over the limits in a temporary file.  Only after leaving parallel
 * mode does it write the result to the tables, in one transaction with the
 * removal of the previous one: a cancel or an error at any point leaves the
 * previous analysis as it was.
 *
 * Sets are read through a hierarchy (SPEC §5): the global cache (this
 * backend's, loaded by kmersearch_highfreq_kmer_cache_load), the parallel
 * cache (a dshash table in a DSA area created by the leader and attached by
 * parallel workers), and the tables themselves, read with plain index scans
 * (no SQL, so that parallel workers can do it too).  Parallel workers learn
 * what their leader loaded through two internal settings, which PostgreSQL
 * copies to every worker.
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/binaryheap.h"
#include "lib/dshash.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/buffile.h"
#include "storage/bufmgr.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lwlock.h"
#include "storage/sharedfileset.h"
#include "storage/shm_toc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/dsa.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "dna.h"
#include "highfreq.h"
#include "index_meta.h"
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

struct HighfreqSet
{
	HighfreqId	id;
	HighfreqParams params;
	int64		count;
	MemoryContext cxt;			/* holds the set (backend sets) */
	kmerset_hash *local;		/* a backend set, or */
	dshash_table *shared;		/* the parallel cache */
};

/* the internal settings that tell parallel workers what their leader loaded */
static char *global_cache_setting = NULL;
static char *parallel_cache_setting = NULL;

#define GLOBAL_CACHE_GUC "kmersearch.internal_highfreq_global_cache"
#define PARALLEL_CACHE_GUC "kmersearch.internal_highfreq_parallel_cache"

/* the global cache (kmersearch_highfreq_kmer_cache_load) */
static HighfreqSet *global_set = NULL;

/* sets read from the tables for indexes and the fallback, a few at most */
#define TABLE_SETS_MAX 4
static HighfreqSet *table_sets[TABLE_SETS_MAX];

/*
 * Parallel caches this backend created (a leader) or attached to (a
 * parallel worker), each under the internal setting's value that names it.
 * The setting is transactional and a cache is not: a leader keeps every
 * cache the setting may still return to until its transaction ends, then
 * keeps only the one the setting names (see PCacheXactCallback).
 */
typedef struct ParallelCache
{
	char	   *setting;
	dsa_area   *area;
	HighfreqSet *set;
} ParallelCache;

#define PCACHE_MAX 8
static ParallelCache pcaches[PCACHE_MAX];
static int	npcaches = 0;
static char *pcache_xact_start = NULL;	/* the setting when this transaction first changed it */
static bool pcache_callback = false;

static MemoryContext
HighfreqContext(void)
{
	static MemoryContext cxt = NULL;

	if (cxt == NULL)
		cxt = AllocSetContextCreate(TopMemoryContext, "kmersearch high-frequency k-mer sets",
									ALLOCSET_DEFAULT_SIZES);
	return cxt;
}

static void
SetFree(HighfreqSet *set)
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

bool
HighfreqSameSet(const HighfreqSet *a, const HighfreqSet *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return HighfreqSameId(&a->id, &b->id);
}

char *
HighfreqSourceString(const HighfreqId *id)
{
	return psprintf("%u.%d.%lld", id->table_oid, (int) id->attnum, (long long) id->analyzed_at);
}

bool
HighfreqParseSource(const char *source, HighfreqId *id)
{
	unsigned int oid;
	int			attnum;
	long long	ts;
	char		tail;

	if (source == NULL || sscanf(source, "%u.%d.%lld%c", &oid, &attnum, &ts, &tail) != 3 ||
		oid == InvalidOid || attnum <= 0 || attnum > MaxAttrNumber)
		return false;
	id->table_oid = oid;
	id->attnum = (AttrNumber) attnum;
	id->analyzed_at = (TimestampTz) ts;
	return true;
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
 * Every analysis matching the session's settings: how many, and the first.
 * The fallback when no cache is loaded.
 */
static int
FindSessionAnalyses(Oid extschema, HighfreqId *first, HighfreqParams *params)
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
		if (p.kmer_size != kmersearch_kmer_size || p.occur_bitlen != kmersearch_occur_bitlen ||
			(float4) p.max_appearance_rate != (float4) kmersearch_max_appearance_rate ||
			p.max_appearance_nrow != kmersearch_max_appearance_nrow)
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
static HighfreqSet *
LoadSet(Oid extschema, const HighfreqId *id, const HighfreqParams *params, bool latest)
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

/* A backend set of an analysis, from the few kept or read afresh. */
static const HighfreqSet *
TableSet(Oid extschema, const HighfreqId *id, const HighfreqParams *params, bool latest)
{
	int			i;
	HighfreqSet *set;

	if (global_set != NULL && HighfreqSameId(&global_set->id, id))
		return global_set;
	for (i = 0; i < TABLE_SETS_MAX; i++)
		if (table_sets[i] != NULL && HighfreqSameId(&table_sets[i]->id, id))
			return table_sets[i];
	set = LoadSet(extschema, id, params, latest);
	SetFree(table_sets[TABLE_SETS_MAX - 1]);
	memmove(&table_sets[1], &table_sets[0], (TABLE_SETS_MAX - 1) * sizeof(HighfreqSet *));
	table_sets[0] = set;
	return set;
}

const HighfreqSet *
HighfreqForIndex(Oid extschema, const char *source, int kmer_size)
{
	HighfreqId	id,
				found;
	HighfreqParams params;
	int			i;

	if (!HighfreqParseSource(source, &id))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid highfreq_source \"%s\" in a kmersearch index", source)));
	if (global_set != NULL && HighfreqSameId(&global_set->id, &id))
		return global_set;
	for (i = 0; i < TABLE_SETS_MAX; i++)
		if (table_sets[i] != NULL && HighfreqSameId(&table_sets[i]->id, &id))
			return table_sets[i];
	if (!HighfreqFindAnalysis(extschema, id.table_oid, id.attnum, &found, &params, true) ||
		found.analyzed_at != id.analyzed_at)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the high-frequency k-mer analysis this index was built with no longer exists"),
				 errdetail("The index excludes the k-mers of the analysis of %s made at %s.",
						   get_rel_name(id.table_oid) ? quote_identifier(get_rel_name(id.table_oid)) : "a dropped table",
						   timestamptz_to_str(id.analyzed_at)),
				 errhint("Drop the index, or create it again after a new analysis.")));
	if (params.kmer_size != kmer_size)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the high-frequency k-mer analysis of this index was made with kmer_size %d, the index uses %d",
						params.kmer_size, kmer_size)));
	return TableSet(extschema, &id, &params, true);
}

/* ---------------------------------------------------------------- parallel cache */

typedef struct ParallelCacheEntry
{
	uint64		kmer;
} ParallelCacheEntry;

static dshash_parameters
ParallelCacheParams(int tranche)
{
	dshash_parameters p = {0};

	p.key_size = sizeof(uint64);
	p.entry_size = sizeof(ParallelCacheEntry);
	p.compare_function = dshash_memcmp;
	p.hash_function = dshash_memhash;
#if PG_VERSION_NUM >= 170000
	/* 17 copies keys through a function of the caller's */
	p.copy_function = dshash_memcpy;
#endif
	p.tranche_id = tranche;
	return p;
}

static void
PCacheDrop(int i)
{
	ParallelCache *pc = &pcaches[i];

	if (pc->set->shared != NULL)
	{
		if (IsParallelWorker())
			dshash_detach(pc->set->shared);
		else
			dshash_destroy(pc->set->shared);
	}
	dsa_detach(pc->area);
	pfree(pc->set);
	pfree(pc->setting);
	pcaches[i] = pcaches[--npcaches];
}

static ParallelCache *
PCacheFind(const char *setting)
{
	int			i;

	for (i = 0; i < npcaches; i++)
		if (strcmp(pcaches[i].setting, setting) == 0)
			return &pcaches[i];
	return NULL;
}

/* At the end of a transaction that changed the setting: keep what it names. */
static void
PCacheXactCallback(XactEvent event, void *arg)
{
	const char *keep;
	int			i;

	if (pcache_xact_start == NULL)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE)
		keep = parallel_cache_setting ? parallel_cache_setting : "";
	else if (event == XACT_EVENT_ABORT)
		keep = pcache_xact_start;
	else
		return;
	for (i = npcaches - 1; i >= 0; i--)
		if (strcmp(pcaches[i].setting, keep) != 0)
			PCacheDrop(i);
	pfree(pcache_xact_start);
	pcache_xact_start = NULL;
}

/* Before this transaction changes the setting: remember what it was. */
static void
PCacheTouch(void)
{
	if (!pcache_callback)
	{
		RegisterXactCallback(PCacheXactCallback, NULL);
		pcache_callback = true;
	}
	if (pcache_xact_start == NULL)
		pcache_xact_start = MemoryContextStrdup(HighfreqContext(),
												parallel_cache_setting ? parallel_cache_setting : "");
}

/*
 * The parallel cache the internal setting names: one this backend created,
 * or (in a parallel worker) its leader's, attached on first use.
 */
static const HighfreqSet *
ParallelCacheSet(void)
{
	unsigned int dsah,
				tranche,
				oid;
	unsigned long long tabh;
	int			attnum;
	long long	ts;
	long long	count;
	HighfreqSet *set;
	dshash_parameters params;
	MemoryContext old;
	ParallelCache *pc;

	if (parallel_cache_setting == NULL || parallel_cache_setting[0] == '\0')
		return NULL;
	pc = PCacheFind(parallel_cache_setting);
	if (pc != NULL)
		return pc->set;
	if (sscanf(parallel_cache_setting, "%u:%llu:%u:%u.%d.%lld:%lld", &dsah, &tabh, &tranche,
			   &oid, &attnum, &ts, &count) != 7 || !IsParallelWorker())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the parallel high-frequency k-mer cache is not loaded in this session"),
				 errdetail("%s is \"%s\".", PARALLEL_CACHE_GUC, parallel_cache_setting),
				 errhint("Call kmersearch_parallel_highfreq_kmer_cache_load(table, column).")));

	/* a parallel worker: attach to the leader's cache, the only one it needs */
	while (npcaches > 0)
		PCacheDrop(npcaches - 1);
	old = MemoryContextSwitchTo(HighfreqContext());
	pc = &pcaches[npcaches];
	pc->area = dsa_attach((dsa_handle) dsah);
	dsa_pin_mapping(pc->area);
	params = ParallelCacheParams((int) tranche);
	set = palloc0(sizeof(HighfreqSet));
	set->shared = dshash_attach(pc->area, &params, (dshash_table_handle) tabh, NULL);
	set->id.table_oid = oid;
	set->id.attnum = (AttrNumber) attnum;
	set->id.analyzed_at = (TimestampTz) ts;
	set->count = count;
	pc->set = set;
	pc->setting = pstrdup(parallel_cache_setting);
	npcaches++;
	MemoryContextSwitchTo(old);
	return set;
}

static void
SetInternalSetting(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
}

/* ---------------------------------------------------------------- the session's set */

static const char *
GlobalCacheString(const HighfreqSet *set)
{
	return HighfreqSourceString(&set->id);
}

/*
 * Errors unless the analysis a cache holds is still its column's current
 * one, made with the session's settings, and the current role may read the
 * column; returns its parameters.
 */
static HighfreqParams
CheckCacheCurrent(Oid extschema, const HighfreqId *id, const char *which)
{
	HighfreqId	found;
	HighfreqParams params;
	bool		missing = false;

	/*
	 * A cache belongs to the session, not to the role that loaded it: after
	 * SET ROLE (or a pooler's role switch) the current role may use it only
	 * if it could read the analysed column itself, as the table fallback
	 * (FindSessionAnalyses) requires.  Checked first, so that such a role
	 * learns nothing of the analysis from the errors below.
	 */
	if (pg_attribute_aclcheck_ext(id->table_oid, id->attnum, GetUserId(), ACL_SELECT, &missing) != ACLCHECK_OK &&
		!missing &&
		pg_class_aclcheck_ext(id->table_oid, GetUserId(), ACL_SELECT, &missing) != ACLCHECK_OK &&
		!missing)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to use the %s high-frequency k-mer cache", which),
				 errdetail("The cache holds the analysis of a column of a table (OID %u) that the current role may not read.",
						   id->table_oid),
				 errhint("Free the cache, or load one of a table the current role may read.")));

	/* a dropped table or column: its analysis is gone too */
	if (missing ||
		!HighfreqFindAnalysis(extschema, id->table_oid, id->attnum, &found, &params, false) ||
		found.analyzed_at != id->analyzed_at)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the analysis in the %s high-frequency k-mer cache has been replaced or removed", which),
				 errhint("Load the cache again, or free it.")));
	HighfreqCheckParams(&params, psprintf("in the %s high-frequency k-mer cache", which));
	return params;
}

/*
 * Which set the session excludes: the global cache if loaded, then the
 * parallel cache, then the single analysis that matches the settings.
 * kmersearch.force_use_parallel_highfreq_kmer_cache goes to the parallel
 * cache directly.
 */
const HighfreqSet *
HighfreqForSession(Oid extschema)
{
	const HighfreqSet *set;
	HighfreqId	id;
	HighfreqParams params;
	int			n;

	if (!kmersearch_preclude_highfreq_kmer)
		return NULL;

	if (kmersearch_force_use_parallel_highfreq_kmer_cache)
	{
		set = ParallelCacheSet();
		if (set == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("kmersearch.force_use_parallel_highfreq_kmer_cache is on, but no parallel high-frequency k-mer cache is loaded"),
					 errhint("Call kmersearch_parallel_highfreq_kmer_cache_load(table, column) first.")));
		CheckCacheCurrent(extschema, &set->id, "parallel");
		return set;
	}

	/*
	 * The global cache: the leader has it in memory, its parallel workers
	 * read the same analysis from the tables.  Both check first that it is
	 * still the column's analysis and fits the settings, so that they never
	 * go different ways.
	 */
	if (global_cache_setting != NULL && global_cache_setting[0] != '\0')
	{
		if (!HighfreqParseSource(global_cache_setting, &id))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value \"%s\" for %s", global_cache_setting, GLOBAL_CACHE_GUC)));
		params = CheckCacheCurrent(extschema, &id, "global");
		if (global_set != NULL && HighfreqSameId(&global_set->id, &id))
			return global_set;
		return TableSet(extschema, &id, &params, false);
	}

	set = ParallelCacheSet();
	if (set != NULL)
	{
		CheckCacheCurrent(extschema, &set->id, "parallel");
		return set;
	}

	n = FindSessionAnalyses(extschema, &id, &params);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("kmersearch.preclude_highfreq_kmer is on, but no high-frequency k-mer analysis matches the current settings"),
				 errdetail("Settings: kmer_size %d, occur_bitlen %d, max_appearance_rate %g, max_appearance_nrow %d.",
						   kmersearch_kmer_size, kmersearch_occur_bitlen,
						   kmersearch_max_appearance_rate, kmersearch_max_appearance_nrow),
				 errhint("Run kmersearch_perform_highfreq_analysis(table, column) with these settings, or SET kmersearch.preclude_highfreq_kmer = off.")));
	if (n > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				 errmsg("%d high-frequency k-mer analyses match the current settings", n),
				 errhint("Load the one to use with kmersearch_highfreq_kmer_cache_load(table, column).")));
	return TableSet(extschema, &id, &params, false);
}

void
HighfreqCheckParams(const HighfreqParams *p, const char *what)
{
	StringInfoData d;
	StringInfoData h;

	initStringInfo(&d);
	initStringInfo(&h);
	if (p->kmer_size != kmersearch_kmer_size)
	{
		appendStringInfo(&d, "%skmer_size is %d in the analysis, %d in this session.", d.len ? " " : "",
						 p->kmer_size, kmersearch_kmer_size);
		appendStringInfo(&h, "%sSET kmersearch.kmer_size = %d;", h.len ? " " : "", p->kmer_size);
	}
	if (p->occur_bitlen != kmersearch_occur_bitlen)
	{
		appendStringInfo(&d, "%soccur_bitlen is %d in the analysis, %d in this session.", d.len ? " " : "",
						 p->occur_bitlen, kmersearch_occur_bitlen);
		appendStringInfo(&h, "%sSET kmersearch.occur_bitlen = %d;", h.len ? " " : "", p->occur_bitlen);
	}
	if ((float4) p->max_appearance_rate != (float4) kmersearch_max_appearance_rate)
	{
		appendStringInfo(&d, "%smax_appearance_rate is %g in the analysis, %g in this session.", d.len ? " " : "",
						 (double) (float4) p->max_appearance_rate, kmersearch_max_appearance_rate);
		appendStringInfo(&h, "%sSET kmersearch.max_appearance_rate = %g;", h.len ? " " : "",
						 (double) (float4) p->max_appearance_rate);
	}
	if (p->max_appearance_nrow != kmersearch_max_appearance_nrow)
	{
		appendStringInfo(&d, "%smax_appearance_nrow is %d in the analysis, %d in this session.", d.len ? " " : "",
						 p->max_appearance_nrow, kmersearch_max_appearance_nrow);
		appendStringInfo(&h, "%sSET kmersearch.max_appearance_nrow = %d;", h.len ? " " : "",
						 p->max_appearance_nrow);
	}
	if (d.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the session's settings differ from those of the high-frequency k-mer analysis %s", what),
				 errdetail_internal("%s", d.data),
				 errhint("%s Or run the analysis again with the current settings.", h.data)));
}

/* ---------------------------------------------------------------- targets */

typedef struct Target
{
	Oid			relid;
	AttrNumber	attnum;
	char	   *relname;		/* for messages, qualified when needed */
	char	   *column;
	DnaKind		kind;
} Target;

static bool
AllDigits(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* What a caller must be allowed to do with a target table. */
typedef enum TargetAccess
{
	TARGET_OWNER,				/* own it: analyses */
	TARGET_READ,				/* read it, or some of its columns: caches */
	TARGET_NAME_ONLY,			/* nothing: it is only named (cache frees) */
} TargetAccess;

/*
 * Refuse a role the access to a table before anything is locked, so that
 * a role that could not lock the table by hand cannot hold or wait for its
 * lock through these functions.  For TARGET_READ the column is checked
 * again, exactly, once it is known (RequireSelect).
 */
static void
CheckTargetAccess(Oid relid, TargetAccess access)
{
	char		relkind = get_rel_relkind(relid);
	AclResult	r = ACLCHECK_OK;

	if (relkind == '\0')
		return;					/* dropped meanwhile: the lookup will say so */
	if (access == TARGET_OWNER && !object_ownercheck(RelationRelationId, relid, GetUserId()))
		r = ACLCHECK_NOT_OWNER;
	else if (access == TARGET_READ &&
			 pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
			 pg_attribute_aclcheck_all(relid, GetUserId(), ACL_SELECT, ACLMASK_ANY) != ACLCHECK_OK)
		r = ACLCHECK_NO_PRIV;
	if (r != ACLCHECK_OK)
		aclcheck_error(r, get_relkind_objtype(relkind), get_rel_name(relid));
}

/* RangeVarGetRelidExtended's callback: the check before the lock */
static void
TargetAccessCallback(const RangeVar *relation, Oid relid, Oid oldrelid, void *arg)
{
	if (OidIsValid(relid))
		CheckTargetAccess(relid, *(TargetAccess *) arg);
}

/*
 * A table given by (schema-qualified) name or OID, and one of its dna2/dna4
 * columns by name or number.  The table is locked in lockmode once the
 * current role is found to have the access (TARGET_NAME_ONLY: give NoLock).
 */
static void
ResolveTarget(text *table, text *column, Oid extschema, TargetAccess access, LOCKMODE lockmode,
			  Target *t)
{
	char	   *tname = text_to_cstring(table);
	char	   *cname = text_to_cstring(column);
	char	   *nspname,
			   *relname,
			   *shown;
	char		relkind;
	Oid			typid;

	Assert(access != TARGET_NAME_ONLY || lockmode == NoLock);
	if (AllDigits(tname))
	{
		/* unsigned long long: an unsigned long saturates at 2^32 - 1 on 32-bit */
		unsigned long long v = strtoull(tname, NULL, 10);

		t->relid = (Oid) v;
		if (v > PG_UINT32_MAX || !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(t->relid)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation with OID %s does not exist", tname)));
		CheckTargetAccess(t->relid, access);
		if (lockmode != NoLock)
			LockRelationOid(t->relid, lockmode);
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(t->relid)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation with OID %s does not exist", tname)));
		/* again under the lock: the owner or the grants may have changed */
		CheckTargetAccess(t->relid, access);
	}
	else
		t->relid = RangeVarGetRelidExtended(makeRangeVarFromNameList(textToQualifiedNameList(table)),
											lockmode, 0, TargetAccessCallback, &access);

	/*
	 * Without a lock (cache frees) the table may be dropped meanwhile: its
	 * names are read once, and a missing one means it is gone.
	 */
	nspname = get_namespace_name(get_rel_namespace(t->relid));
	relname = get_rel_name(t->relid);
	if (nspname == NULL || relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", tname)));
	t->relname = quote_qualified_identifier(nspname, relname);
	/* in double quotes, as PostgreSQL's own messages name relations */
	shown = psprintf("%s.%s", nspname, relname);
	relkind = get_rel_relkind(t->relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW &&
		relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or materialized view", shown)));

	if (AllDigits(cname))
	{
		long		v = strtol(cname, NULL, 10);

		t->attnum = (v >= 1 && v <= MaxAttrNumber) ? (AttrNumber) v : InvalidAttrNumber;
		t->column = t->attnum != InvalidAttrNumber ? get_attname(t->relid, t->attnum, true) : NULL;
		if (t->column == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column number %s of relation \"%s\" does not exist", cname, shown)));
	}
	else
	{
		t->attnum = get_attnum(t->relid, cname);
		if (t->attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist", cname, shown)));
		if (t->attnum < 0)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("column \"%s\" is a system column", cname)));
		t->column = pstrdup(cname);
	}
	typid = get_atttype(t->relid, t->attnum);
	if (typid == GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("dna2"),
								 ObjectIdGetDatum(extschema)))
		t->kind = DNA_KIND_2;
	else if (typid == GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("dna4"),
									  ObjectIdGetDatum(extschema)))
		t->kind = DNA_KIND_4;
	else
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of relation \"%s\" is of type %s, not dna2 or dna4",
						t->column, shown, format_type_be(typid))));
}

static void
RequireSelect(const Target *t)
{
	AclResult	r = pg_attribute_aclcheck(t->relid, t->attnum, GetUserId(), ACL_SELECT);

	if (r != ACLCHECK_OK)
		r = pg_class_aclcheck(t->relid, GetUserId(), ACL_SELECT);
	if (r != ACLCHECK_OK)
		aclcheck_error(r, get_relkind_objtype(get_rel_relkind(t->relid)), get_rel_name(t->relid));
}

/*
 * An analysis must not change under an index built without its k-mers:
 * such indexes are named, to be dropped first.
 */
static void
RefuseIfIndexed(Oid extschema, const Target *t, const char *action)
{
	char	   *names = MetaFilteredIndexes(extschema, t->relid, t->attnum);

	if (names != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot %s the high-frequency k-mer analysis of %s.%s", action, t->relname,
						quote_identifier(t->column)),
				 errdetail("These indexes were built without its k-mers: %s.", names),
				 errhint("Drop them first; create them again afterwards.")));
}

/* ---------------------------------------------------------------- analysis: counting */

/*
 * a k-mer and the rows counted for it since the table was last spilled
 * (at most PG_UINT32_MAX rows: see CountKmers)
 */
typedef struct CountEntry
{
	uint64		kmer;
	uint32		nrow;
	char		status;
} CountEntry;

#define SH_PREFIX counttab
#define SH_ELEMENT_TYPE CountEntry
#define SH_KEY_TYPE uint64
#define SH_KEY kmer
#define SH_HASH_KEY(tb, key) ((uint32) KmerHash64(key))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#define ST_SORT sort_count_entries
#define ST_ELEMENT_TYPE CountEntry
#define ST_COMPARE(a, b) ((a)->kmer < (b)->kmer ? -1 : (a)->kmer > (b)->kmer ? 1 : 0)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * a run record: a k-mer and the rows counted for it; 64 bits, since runs
 * merged add up counts of any number of rows
 */
typedef struct RunRecord
{
	uint64		kmer;
	uint64		nrow;
} RunRecord;

/*
 * The analysis's shared state.  The scan covers the table, or every leaf
 * partition of a partitioned one, one after the other (all participants
 * share each partition's parallel scan, whose descriptor is under
 * ANALYSIS_KEY_SCAN + i); the column is found by name in each.
 */
typedef struct AnalysisShared
{
	NameData	column;
	int			nleaves;
	int			kmer_size;
	DnaKind		kind;
	Size		budget;			/* bytes of counting table a participant */
	int			batch_rows;
	pg_atomic_uint64 rows;		/* non-null rows counted */
	pg_atomic_uint32 nruns;		/* runs written */
	pg_atomic_uint32 ndone;		/* participants finished */
	SharedFileSet fileset;
	Oid			leaves[FLEXIBLE_ARRAY_MEMBER];
} AnalysisShared;

#define ANALYSIS_KEY_SHARED UINT64CONST(0x4B4D455253450001)
#define ANALYSIS_KEY_SCAN UINT64CONST(0x4B4D455253450002)

static void
RunName(char *buf, uint32 n)
{
	snprintf(buf, MAXPGPATH, "kmersearch-run-%u", n);
}

/*
 * Write the counts as a sorted run and empty the table.  The entries are
 * gathered at the front of the table's own array and sorted there: spilling
 * takes no memory beyond the table.
 */
static void
SpillCounts(AnalysisShared *sh, counttab_hash *tab)
{
	uint64		i,
				n = 0;
	char		name[MAXPGPATH];
	BufFile    *f;

	if (tab->members == 0)
		return;
	for (i = 0; i < tab->size; i++)
		if (tab->data[i].status == counttab_SH_IN_USE)
			tab->data[n++] = tab->data[i];
	sort_count_entries(tab->data, n);
	RunName(name, pg_atomic_fetch_add_u32(&sh->nruns, 1));
	f = BufFileCreateFileSet(&sh->fileset.fs, name);
	for (i = 0; i < n; i++)
	{
		uint64		nrow = tab->data[i].nrow;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		BufFileWrite(f, &tab->data[i].kmer, sizeof(uint64));
		BufFileWrite(f, &nrow, sizeof(uint64));
	}
	BufFileClose(f);
	counttab_reset(tab);
}

/*
 * The largest table a budget allows: growing to it from half its size holds
 * both arrays, and simplehash may still double it once when its probes get
 * long (three times its size in all); at least 1024 entries, and at most
 * 2^31, so that doubling stays within simplehash's largest size (2^32).
 */
#define TABLE_MAX_SIZE_LIMIT (UINT64CONST(1) << 31)

static uint64
TableMaxSize(Size budget)
{
	uint64		size = 1024;

	while (size < TABLE_MAX_SIZE_LIMIT && (size * 2) * 3 * sizeof(CountEntry) <= budget)
		size *= 2;
	return size;
}

/*
 * Whether to spill before adding a k-mer: the table holds as many k-mers as
 * its largest size should (3/4 of it, below simplehash's own growth point),
 * or simplehash grew it past that size.
 */
static inline bool
TableFull(const counttab_hash *tab, uint64 maxsize)
{
	return tab->members >= maxsize / 4 * 3 || tab->size > maxsize;
}

/* A participant's counts: the table, and what bounds it. */
typedef struct Counter
{
	AnalysisShared *sh;
	MemoryContext tabcxt;
	counttab_hash *tab;
	uint64		maxsize;
	uint64		tabrows;		/* rows counted in the table since it was spilled */
	uint64		pending;		/* rows not yet added to sh->rows */
} Counter;

/* Write the table's counts as a run and start it afresh. */
static void
CounterSpill(Counter *c)
{
	SpillCounts(c->sh, c->tab);
	c->tabrows = 0;
	if (c->tab->size > c->maxsize)
	{
		/* give back what simplehash took beyond the budget */
		counttab_destroy(c->tab);
		MemoryContextReset(c->tabcxt);
		c->tab = counttab_create(c->tabcxt, 1024, NULL);
	}
}

/*
 * Count a row's distinct k-mers, spilling first when the table is full,
 * or when it has counted PG_UINT32_MAX rows: an entry's count then cannot
 * wrap, however many rows a participant scans without filling its table.
 */
static void
CountKmers(Counter *c, const KmerCount *counts, size_t nd)
{
	size_t		i;

	if (c->tabrows >= PG_UINT32_MAX)
		CounterSpill(c);
	c->tabrows++;
	for (i = 0; i < nd; i++)
	{
		bool		found;
		CountEntry *e;

		if (TableFull(c->tab, c->maxsize))
			CounterSpill(c);
		e = counttab_insert(c->tab, counts[i].kmer, &found);
		e->nrow = found ? e->nrow + 1 : 1;
	}
}

/* This participant's share of one table's (or partition's) parallel scan. */
static void
CountLeaf(Counter *c, shm_toc *toc, int leaf, MemoryContext rowcxt)
{
	AnalysisShared *sh = c->sh;
	Relation	rel = table_open(sh->leaves[leaf], AccessShareLock);
	AttrNumber	attnum = get_attnum(sh->leaves[leaf], NameStr(sh->column));
	TableScanDesc scan;
	TupleTableSlot *slot;

	if (attnum == InvalidAttrNumber)
		elog(ERROR, "column \"%s\" of relation %u disappeared", NameStr(sh->column), sh->leaves[leaf]);
	scan = table_beginscan_parallel(rel, shm_toc_lookup(toc, ANALYSIS_KEY_SCAN + leaf, false));
	slot = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		d;
		struct varlena *v;
		uint64	   *kmers;
		KmerCount  *counts;
		size_t		n,
					nd;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		d = slot_getattr(slot, attnum, &isnull);
		if (isnull)
			continue;
		old = MemoryContextSwitchTo(rowcxt);
		v = (struct varlena *) PG_DETOAST_DATUM_PACKED(d);
		kmers = KmerCollect(DnaData(v), DnaLength(v, sh->kind), sh->kind, sh->kmer_size, &n);
		counts = KmerCountDistinct(kmers, n, &nd);
		MemoryContextSwitchTo(old);
		CountKmers(c, counts, nd);
		MemoryContextReset(rowcxt);
		if (++c->pending >= (uint64) sh->batch_rows)
		{
			pg_atomic_fetch_add_u64(&sh->rows, c->pending);
			c->pending = 0;
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* One participant's share of the scans: count, spilling when full. */
static void
AnalysisParticipate(AnalysisShared *sh, shm_toc *toc)
{
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "kmersearch analysis row",
												 ALLOCSET_DEFAULT_SIZES);
	Counter		c;
	int			leaf;

	c.sh = sh;
	c.tabcxt = AllocSetContextCreate(CurrentMemoryContext, "kmersearch analysis counts",
									 ALLOCSET_DEFAULT_SIZES);
	c.tab = counttab_create(c.tabcxt, 1024, NULL);
	c.maxsize = TableMaxSize(sh->budget);
	c.tabrows = 0;
	c.pending = 0;
	for (leaf = 0; leaf < sh->nleaves; leaf++)
		CountLeaf(&c, toc, leaf, rowcxt);
	pg_atomic_fetch_add_u64(&sh->rows, c.pending);
	SpillCounts(sh, c.tab);
	MemoryContextDelete(c.tabcxt);
	MemoryContextDelete(rowcxt);
	pg_atomic_fetch_add_u32(&sh->ndone, 1);
}

/* the worker's entry point, found by name from the leader's library */
PGDLLEXPORT void kmersearch_analysis_worker(dsm_segment *seg, shm_toc *toc);

void
kmersearch_analysis_worker(dsm_segment *seg, shm_toc *toc)
{
	AnalysisShared *sh = shm_toc_lookup(toc, ANALYSIS_KEY_SHARED, false);

	SharedFileSetAttach(&sh->fileset, seg);
	AnalysisParticipate(sh, toc);
}

/* ---------------------------------------------------------------- analysis: merging */

typedef struct RunReader
{
	BufFile    *file;
	RunRecord	cur;
} RunReader;

static bool
RunNext(RunReader *r)
{
	size_t		a = BufFileRead(r->file, &r->cur.kmer, sizeof(uint64));

	if (a == 0)
		return false;
	if (a != sizeof(uint64) || BufFileRead(r->file, &r->cur.nrow, sizeof(uint64)) != sizeof(uint64))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read a k-mer count from a temporary file")));
	return true;
}

/* binaryheap keeps the greatest first: order readers by descending k-mer */
static int
RunCompare(Datum a, Datum b, void *arg)
{
	RunReader  *readers = (RunReader *) arg;
	uint64		x = readers[DatumGetInt32(a)].cur.kmer;
	uint64		y = readers[DatumGetInt32(b)].cur.kmer;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* runs merged at once: each open run holds a buffer (BLCKSZ) and a file */
#define MERGE_FANIN 64

/*
 * The fewest rows a k-mer is in to be over the limits: in more than rate of
 * total_rows (more than 0) rows, or in more than nrow_limit rows when that is
 * above 0; PG_UINT64_MAX when no count is.
 *
 * The fraction n / total_rows grows with n, also as the division in doubles
 * rounds it, so the least n over the rate is found by bisection, once: the
 * merge then compares integers, and has no floating point in its loop.  Each
 * fraction is stored as a double before the comparison, so that x87 (32-bit
 * x86) extended precision cannot count a k-mer in exactly 30% of the rows as
 * over a rate of 0.3 when SSE2 does not.
 */
static uint64
MinRowsOverLimits(double rate, int nrow_limit, uint64 total_rows)
{
	uint64		lo = 0,
				hi = total_rows + 1;	/* total_rows + 1: no count is */

	while (lo < hi)
	{
		uint64		mid = lo + (hi - lo) / 2;
		volatile double frac = (double) mid / (double) total_rows;

		if (frac > rate)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo > total_rows)
		lo = PG_UINT64_MAX;
	if (nrow_limit > 0)
		lo = Min(lo, (uint64) nrow_limit + 1);
	return lo;
}

/*
 * Merge runs first .. first + n - 1, adding each k-mer's counts, into out
 * (as run records): every k-mer, or with final only those in min_nrow rows
 * or more.  Returns how many k-mers it wrote.
 */
static int64
MergeGroup(AnalysisShared *sh, uint32 first, uint32 n, BufFile *out, bool final,
		   uint64 min_nrow)
{
	RunReader  *readers = palloc0(Max(n, 1) * sizeof(RunReader));
	binaryheap *heap = binaryheap_allocate(Max(n, 1), RunCompare, readers);
	uint32		i;
	int64		nout = 0;
	uint64		steps = 0;
	bool		have = false;
	RunRecord	acc = {0, 0};

	for (i = 0; i < n; i++)
	{
		char		name[MAXPGPATH];

		RunName(name, first + i);
		readers[i].file = BufFileOpenFileSet(&sh->fileset.fs, name, O_RDONLY, false);
		if (RunNext(&readers[i]))
			binaryheap_add_unordered(heap, Int32GetDatum((int32) i));
	}
	binaryheap_build(heap);

	for (;;)
	{
		bool		more = !binaryheap_empty(heap);
		RunReader  *r = more ? &readers[DatumGetInt32(binaryheap_first(heap))] : NULL;

		if ((++steps & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (have && (!more || r->cur.kmer != acc.kmer))
		{
			/* acc is complete */
			if (!final || acc.nrow >= min_nrow)
			{
				BufFileWrite(out, &acc.kmer, sizeof(uint64));
				BufFileWrite(out, &acc.nrow, sizeof(uint64));
				nout++;
			}
			have = false;
		}
		if (!more)
			break;
		if (!have)
		{
			acc.kmer = r->cur.kmer;
			acc.nrow = 0;
			have = true;
		}
		acc.nrow += r->cur.nrow;
		if (RunNext(r))
			binaryheap_replace_first(heap, binaryheap_first(heap));
		else
			(void) binaryheap_remove_first(heap);
	}
	for (i = 0; i < n; i++)
	{
		char		name[MAXPGPATH];

		BufFileClose(readers[i].file);
		RunName(name, first + i);
		BufFileDeleteFileSet(&sh->fileset.fs, name, false);
	}
	binaryheap_free(heap);
	pfree(readers);
	return nout;
}

/*
 * Merge all runs and write the k-mers over the limits to out; returns how
 * many there are.  With more than MERGE_FANIN runs, groups of them are
 * first merged into new runs, so that memory and open files stay bounded.
 */
static int64
MergeRuns(AnalysisShared *sh, uint32 nruns, double rate, int nrow_limit, uint64 total_rows,
		  BufFile *out)
{
	uint32		lo = 0,
				hi = nruns;
	uint64		min_nrow = MinRowsOverLimits(rate, nrow_limit, total_rows);

	while (hi - lo > MERGE_FANIN)
	{
		uint32		id = pg_atomic_fetch_add_u32(&sh->nruns, 1);
		char		name[MAXPGPATH];
		BufFile    *f;

		Assert(id == hi);
		RunName(name, id);
		f = BufFileCreateFileSet(&sh->fileset.fs, name);
		(void) MergeGroup(sh, lo, MERGE_FANIN, f, false, min_nrow);
		BufFileClose(f);
		lo += MERGE_FANIN;
		hi = id + 1;
	}
	return MergeGroup(sh, lo, hi - lo, out, true, min_nrow);
}

/* ---------------------------------------------------------------- analysis: the function */

/* The library this module was loaded from, as the function's pg_proc says. */
static char *
ModuleLibrary(Oid fn_oid)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	bool		isnull;
	Datum		d;
	char	   *lib;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn_oid);
	d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
	if (isnull)
		elog(ERROR, "function %u has no library", fn_oid);
	lib = TextDatumGetCString(d);
	ReleaseSysCache(tup);
	return lib;
}

/*
 * Wait for the workers, saying how far the scan has got every few seconds.
 * A worker's error is raised here by CHECK_FOR_INTERRUPTS; a worker that
 * stopped without one makes WaitForParallelWorkersToFinish complain.
 */
static void
WaitForAnalysisWorkers(ParallelContext *pcxt, AnalysisShared *sh, double reltuples)
{
	TimestampTz last = GetCurrentTimestamp();

	while (pg_atomic_read_u32(&sh->ndone) < (uint32) pcxt->nworkers_launched)
	{
		int			i;
		bool		stopped = false;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < pcxt->nworkers_launched; i++)
		{
			pid_t		pid;

			if (pcxt->worker[i].bgwhandle != NULL &&
				GetBackgroundWorkerPid(pcxt->worker[i].bgwhandle, &pid) == BGWH_STOPPED)
				stopped = true;
		}
		if (stopped)
			break;
		if (TimestampDifferenceExceeds(last, GetCurrentTimestamp(), 5000))
		{
			uint64		rows = pg_atomic_read_u64(&sh->rows);

			if (reltuples > 0)
				ereport(NOTICE,
						(errmsg("high-frequency k-mer analysis: %llu of about %.0f rows counted",
								(unsigned long long) rows, reltuples)));
			else
				ereport(NOTICE,
						(errmsg("high-frequency k-mer analysis: %llu rows counted",
								(unsigned long long) rows)));
			last = GetCurrentTimestamp();
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	WaitForParallelWorkersToFinish(pcxt);
}

/* Run SQL as the extension's owner (index_meta.c), checking the result. */
static uint64
OwnerSql(Oid extschema, const char *sql, int nargs, Oid *types, Datum *args)
{
	return MetaExecuteAsOwner(extschema, sql, nargs, types, args, NULL);
}

/*
 * kmersearch_perform_highfreq_analysis(table_name text, column_name text)
 *		returns kmersearch_analysis_result
 */
PG_FUNCTION_INFO_V1(kmersearch_perform_highfreq_analysis);
Datum
kmersearch_perform_highfreq_analysis(PG_FUNCTION_ARGS)
{
	Oid			extschema = get_func_namespace(fcinfo->flinfo->fn_oid);
	const char *schema = quote_identifier(get_namespace_name(extschema));
	Target		t;
	ParallelContext *pcxt;
	AnalysisShared *sh;
	Snapshot	snapshot;
	List	   *leaves = NIL;
	ListCell   *lc;
	int			nleaves;
	int			i;
	int			nworkers = max_parallel_maintenance_workers;
	int			launched;
	int			participants;
	uint64		total_rows;
	int64		nhigh;
	BufFile    *result;
	double		rate = kmersearch_max_appearance_rate;
	int			nrow_limit = kmersearch_max_appearance_nrow;
	double		reltuples;
	TimestampTz now;
	TimestampTz started;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (IsInParallelMode())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("cannot run a high-frequency k-mer analysis during a parallel operation")));
	/* self-exclusive, and CREATE INDEX waits: no index is built meanwhile */
	ResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_OWNER,
				  ShareUpdateExclusiveLock, &t);
	RefuseIfIndexed(extschema, &t, "replace");

	/* the tables to scan: this one, or the leaf partitions of this one */
	reltuples = 0;
	foreach(lc, find_all_inheritors(t.relid, AccessShareLock, NULL))
	{
		char		kind = get_rel_relkind(lfirst_oid(lc));

		if (kind != RELKIND_RELATION && kind != RELKIND_MATVIEW)
			continue;
		if (lfirst_oid(lc) != t.relid && !get_rel_relispartition(lfirst_oid(lc)))
			continue;			/* an inheritance child is a table of its own */
		leaves = lappend_oid(leaves, lfirst_oid(lc));
	}
	nleaves = list_length(leaves);
	snapshot = RegisterSnapshot(GetTransactionSnapshot());

	/* the shared state and the parallel scans */
	EnterParallelMode();
	pcxt = CreateParallelContext(ModuleLibrary(fcinfo->flinfo->fn_oid), "kmersearch_analysis_worker",
								 nworkers);
	shm_toc_estimate_chunk(&pcxt->estimator, offsetof(AnalysisShared, leaves) + Max(nleaves, 1) * sizeof(Oid));
	foreach(lc, leaves)
	{
		Relation	rel = table_open(lfirst_oid(lc), NoLock);

		shm_toc_estimate_chunk(&pcxt->estimator, table_parallelscan_estimate(rel, snapshot));
		reltuples += Max(rel->rd_rel->reltuples, 0);
		table_close(rel, NoLock);
	}
	shm_toc_estimate_keys(&pcxt->estimator, 1 + nleaves);
	InitializeParallelDSM(pcxt);

	sh = shm_toc_allocate(pcxt->toc, offsetof(AnalysisShared, leaves) + Max(nleaves, 1) * sizeof(Oid));
	namestrcpy(&sh->column, t.column);
	sh->nleaves = nleaves;
	i = 0;
	foreach(lc, leaves)
		sh->leaves[i++] = lfirst_oid(lc);
	sh->kmer_size = kmersearch_kmer_size;
	sh->kind = t.kind;
	participants = pcxt->nworkers > 0 ? pcxt->nworkers : 1;
	sh->budget = (Size) maintenance_work_mem * 1024 / participants;
	sh->batch_rows = kmersearch_highfreq_analysis_batch_size;
	pg_atomic_init_u64(&sh->rows, 0);
	pg_atomic_init_u32(&sh->nruns, 0);
	pg_atomic_init_u32(&sh->ndone, 0);
	SharedFileSetInit(&sh->fileset, pcxt->seg);
	shm_toc_insert(pcxt->toc, ANALYSIS_KEY_SHARED, sh);
	for (i = 0; i < nleaves; i++)
	{
		Relation	rel = table_open(sh->leaves[i], NoLock);
		Size		size = table_parallelscan_estimate(rel, snapshot);
		ParallelTableScanDesc pscan = shm_toc_allocate(pcxt->toc, size);

		table_parallelscan_initialize(rel, pscan, snapshot);
		shm_toc_insert(pcxt->toc, ANALYSIS_KEY_SCAN + i, pscan);
		table_close(rel, NoLock);
	}

	result = BufFileCreateTemp(false);
	started = GetCurrentTimestamp();
	PG_TRY();
	{
		LaunchParallelWorkers(pcxt);
		launched = pcxt->nworkers_launched;
		if (launched == 0)
		{
			/* no worker: the leader scans, with the whole budget */
			sh->budget = (Size) maintenance_work_mem * 1024;
			AnalysisParticipate(sh, pcxt->toc);
		}
		else
			WaitForAnalysisWorkers(pcxt, sh, reltuples);
		total_rows = pg_atomic_read_u64(&sh->rows);
		if (TimestampDifferenceExceeds(started, GetCurrentTimestamp(), 5000))
			ereport(NOTICE,
					(errmsg("high-frequency k-mer analysis: %llu rows counted, merging %u runs of counts",
							(unsigned long long) total_rows, pg_atomic_read_u32(&sh->nruns))));
		nhigh = total_rows == 0 ? 0 :
			MergeRuns(sh, pg_atomic_read_u32(&sh->nruns), rate, nrow_limit, total_rows, result);
	}
	PG_CATCH();
	{
		/* without a DSM segment nothing else would remove the run files */
		if (pcxt->seg == NULL)
			SharedFileSetDeleteAll(&sh->fileset);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (pcxt->seg == NULL)
		SharedFileSetDeleteAll(&sh->fileset);
	DestroyParallelContext(pcxt);
	ExitParallelMode();
	UnregisterSnapshot(snapshot);

	/* out of parallel mode: replace the previous result */
	now = GetCurrentTimestamp();
	SPI_connect();
	{
		Oid			types[7] = {OIDOID, NAMEOID, INT4OID, INT4OID, FLOAT4OID, INT4OID, TIMESTAMPTZOID};
		Datum		args[7];
		int			batch = kmersearch_highfreq_analysis_batch_size;
		Datum	   *kmers = palloc(batch * sizeof(Datum));
		int64		done = 0;

		/*
		 * What a batch builds is freed after it: with int8 passed by
		 * reference (32-bit builds) each k-mer's Datum is an allocation too.
		 */
		MemoryContext batchcxt = AllocSetContextCreate(CurrentMemoryContext,
													   "kmersearch analysis batch",
													   ALLOCSET_DEFAULT_SIZES);

		args[0] = ObjectIdGetDatum(t.relid);
		args[1] = DirectFunctionCall1(namein, CStringGetDatum(t.column));
		OwnerSql(extschema, psprintf("DELETE FROM %s.kmersearch_highfreq_kmer "
									 "WHERE table_oid OPERATOR(pg_catalog.=) $1 AND column_name OPERATOR(pg_catalog.=) $2",
									 schema), 2, types, args);
		OwnerSql(extschema, psprintf("DELETE FROM %s.kmersearch_highfreq_kmer_meta "
									 "WHERE table_oid OPERATOR(pg_catalog.=) $1 AND column_name OPERATOR(pg_catalog.=) $2",
									 schema), 2, types, args);
		args[2] = Int32GetDatum(kmersearch_kmer_size);
		args[3] = Int32GetDatum(kmersearch_occur_bitlen);
		args[4] = Float4GetDatum((float4) rate);
		args[5] = Int32GetDatum(nrow_limit);
		args[6] = TimestampTzGetDatum(now);
		OwnerSql(extschema, psprintf("INSERT INTO %s.kmersearch_highfreq_kmer_meta (table_oid, column_name, kmer_size, "
									 "occur_bitlen, max_appearance_rate, max_appearance_nrow, analysis_timestamp) "
									 "VALUES ($1, $2, $3, $4, $5, $6, $7)", schema), 7, types, args);

		if (BufFileSeek(result, 0, 0, SEEK_SET) != 0)
			ereport(ERROR, (errcode_for_file_access(), errmsg("could not rewind a temporary file")));
		while (done < nhigh)
		{
			int			n = 0;
			Oid			itypes[5] = {OIDOID, NAMEOID, INT8ARRAYOID, TEXTOID, TIMESTAMPTZOID};
			Datum		iargs[5];
			StringInfoData reason;
			char	   *sql;
			MemoryContext old;

			CHECK_FOR_INTERRUPTS();
			old = MemoryContextSwitchTo(batchcxt);
			while (n < batch && done < nhigh)
			{
				RunRecord	r;

				if (BufFileRead(result, &r.kmer, sizeof(uint64)) != sizeof(uint64) ||
					BufFileRead(result, &r.nrow, sizeof(uint64)) != sizeof(uint64))
					ereport(ERROR, (errcode_for_file_access(),
									errmsg("could not read a k-mer from a temporary file")));
				kmers[n++] = Int64GetDatum((int64) r.kmer);
				done++;
			}
			initStringInfo(&reason);
			if (nrow_limit > 0)
				appendStringInfo(&reason, "in more than %g of %llu rows or more than %d rows",
								 rate, (unsigned long long) total_rows, nrow_limit);
			else
				appendStringInfo(&reason, "in more than %g of %llu rows", rate,
								 (unsigned long long) total_rows);
			iargs[0] = args[0];
			iargs[1] = args[1];
			iargs[2] = PointerGetDatum(construct_array(kmers, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
			iargs[3] = CStringGetTextDatum(reason.data);
			iargs[4] = TimestampTzGetDatum(now);
			sql = psprintf("INSERT INTO %s.kmersearch_highfreq_kmer (table_oid, column_name, kmer2_as_uint, "
						   "detection_reason, created_at) "
						   "SELECT $1, $2, k, $4, $5 FROM pg_catalog.unnest($3) AS k", schema);
			MemoryContextSwitchTo(old);
			OwnerSql(extschema, sql, 5, itypes, iargs);
			MemoryContextReset(batchcxt);
		}
	}
	SPI_finish();
	BufFileClose(result);

	/* what the caches and plans derived from the old result is stale */
	KmersearchSettingsChanged();

	values[0] = Int64GetDatum((int64) total_rows);
	values[1] = Int32GetDatum((int32) Min(nhigh, (int64) PG_INT32_MAX));
	values[2] = Int32GetDatum(launched);
	values[3] = Float4GetDatum((float4) rate);
	values[4] = Int32GetDatum(nrow_limit);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * kmersearch_undo_highfreq_analysis(table_name text, column_name text)
 *		returns kmersearch_drop_result
 */
PG_FUNCTION_INFO_V1(kmersearch_undo_highfreq_analysis);
Datum
kmersearch_undo_highfreq_analysis(PG_FUNCTION_ARGS)
{
	Oid			extschema = get_func_namespace(fcinfo->flinfo->fn_oid);
	const char *schema = quote_identifier(get_namespace_name(extschema));
	Target		t;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false};
	Oid			types[2] = {OIDOID, NAMEOID};
	Datum		args[2];
	int64		nkmers = 0,
				nmeta = 0,
				bytes = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	ResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_OWNER,
				  ShareUpdateExclusiveLock, &t);
	RefuseIfIndexed(extschema, &t, "undo");

	args[0] = ObjectIdGetDatum(t.relid);
	args[1] = DirectFunctionCall1(namein, CStringGetDatum(t.column));
	SPI_connect();
	(void) MetaExecuteAsOwner(extschema,
							  psprintf("WITH k AS (DELETE FROM %s.kmersearch_highfreq_kmer AS h "
									   "WHERE table_oid OPERATOR(pg_catalog.=) $1 AND column_name OPERATOR(pg_catalog.=) $2 "
									   "RETURNING pg_catalog.pg_column_size(h.*) AS b), "
									   "m AS (DELETE FROM %s.kmersearch_highfreq_kmer_meta AS x "
									   "WHERE table_oid OPERATOR(pg_catalog.=) $1 AND column_name OPERATOR(pg_catalog.=) $2 "
									   "RETURNING pg_catalog.pg_column_size(x.*) AS b) "
									   "SELECT (SELECT pg_catalog.count(*) FROM k), (SELECT pg_catalog.count(*) FROM m), "
									   "(SELECT COALESCE(pg_catalog.sum(b), 0) FROM k)::pg_catalog.int8 "
									   "OPERATOR(pg_catalog.+) (SELECT COALESCE(pg_catalog.sum(b), 0) FROM m)::pg_catalog.int8",
									   schema, schema),
							  2, types, args, NULL);
	if (SPI_processed == 1)
	{
		bool		isnull;

		nkmers = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		nmeta = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		bytes = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	}
	SPI_finish();
	KmersearchSettingsChanged();

	values[0] = Int32GetDatum((int32) nmeta);
	values[1] = Int32GetDatum((int32) Min(nkmers, (int64) PG_INT32_MAX));
	values[2] = Int64GetDatum(bytes);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * kmersearch_move_highfreq_analysis(from_table regclass, to_table regclass)
 *		returns integer
 * For kmersearch_partition_table and kmersearch_unpartition_table: the
 * analyses of one table become another's (the same columns, by name).
 * Both tables must be the caller's.  Returns the analyses moved.
 */
PG_FUNCTION_INFO_V1(kmersearch_move_highfreq_analysis);
Datum
kmersearch_move_highfreq_analysis(PG_FUNCTION_ARGS)
{
	Oid			extschema = get_func_namespace(fcinfo->flinfo->fn_oid);
	const char *schema = quote_identifier(get_namespace_name(extschema));
	Oid			from = PG_GETARG_OID(0);
	Oid			to = PG_GETARG_OID(1);
	Oid			types[2] = {OIDOID, OIDOID};
	Datum		args[2];
	uint64		n;

	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(from)) ||
		!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(to)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation does not exist")));
	if (!object_ownercheck(RelationRelationId, from, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(get_rel_relkind(from)), get_rel_name(from));
	if (!object_ownercheck(RelationRelationId, to, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(get_rel_relkind(to)), get_rel_name(to));
	args[0] = ObjectIdGetDatum(from);
	args[1] = ObjectIdGetDatum(to);
	SPI_connect();
	(void) MetaExecuteAsOwner(extschema,
							  psprintf("UPDATE %s.kmersearch_highfreq_kmer SET table_oid = $2 "
									   "WHERE table_oid OPERATOR(pg_catalog.=) $1", schema),
							  2, types, args, NULL);
	n = MetaExecuteAsOwner(extschema,
						   psprintf("UPDATE %s.kmersearch_highfreq_kmer_meta SET table_oid = $2 "
									"WHERE table_oid OPERATOR(pg_catalog.=) $1", schema),
						   2, types, args, NULL);
	SPI_finish();
	KmersearchSettingsChanged();
	PG_RETURN_INT32((int32) n);
}

/* ---------------------------------------------------------------- cache functions */

/* The analysis of a target, checked against the session's settings. */
static void
TargetAnalysis(Oid extschema, const Target *t, HighfreqId *id, HighfreqParams *params)
{
	if (!HighfreqFindAnalysis(extschema, t->relid, t->attnum, id, params, true))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no high-frequency k-mer analysis of %s.%s", t->relname, quote_identifier(t->column)),
				 errhint("Run kmersearch_perform_highfreq_analysis() first.")));
	HighfreqCheckParams(params, psprintf("of %s.%s", t->relname, quote_identifier(t->column)));
}

static int32
GlobalCacheFree(void)
{
	int32		n = 0;

	if (global_set != NULL)
	{
		n = (int32) Min(global_set->count, (int64) PG_INT32_MAX);
		SetFree(global_set);
		global_set = NULL;
	}
	SetInternalSetting(GLOBAL_CACHE_GUC, "");
	KmersearchSettingsChanged();
	return n;
}

PG_FUNCTION_INFO_V1(kmersearch_highfreq_kmer_cache_load);
Datum
kmersearch_highfreq_kmer_cache_load(PG_FUNCTION_ARGS)
{
	Oid			extschema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Target		t;
	HighfreqId	id;
	HighfreqParams params;
	HighfreqSet *set;

	ResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_READ,
				  AccessShareLock, &t);
	RequireSelect(&t);
	TargetAnalysis(extschema, &t, &id, &params);
	set = LoadSet(extschema, &id, &params, true);
	(void) GlobalCacheFree();
	global_set = set;
	SetInternalSetting(GLOBAL_CACHE_GUC, GlobalCacheString(set));
	KmersearchSettingsChanged();
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(kmersearch_highfreq_kmer_cache_free);
Datum
kmersearch_highfreq_kmer_cache_free(PG_FUNCTION_ARGS)
{
	Oid			extschema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Target		t;

	ResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_NAME_ONLY,
				  NoLock, &t);
	if (global_set == NULL || global_set->id.table_oid != t.relid || global_set->id.attnum != t.attnum)
		PG_RETURN_INT32(0);
	PG_RETURN_INT32(GlobalCacheFree());
}

PG_FUNCTION_INFO_V1(kmersearch_highfreq_kmer_cache_free_all);
Datum
kmersearch_highfreq_kmer_cache_free_all(PG_FUNCTION_ARGS)
{
	int			i;

	for (i = 0; i < TABLE_SETS_MAX; i++)
	{
		SetFree(table_sets[i]);
		table_sets[i] = NULL;
	}
	PG_RETURN_INT32(GlobalCacheFree());
}

/* Unset the parallel cache (freed when the transaction commits). */
static int32
ParallelCacheFree(void)
{
	ParallelCache *pc = parallel_cache_setting ? PCacheFind(parallel_cache_setting) : NULL;
	int32		n = pc ? (int32) Min(pc->set->count, (int64) PG_INT32_MAX) : 0;

	PCacheTouch();
	SetInternalSetting(PARALLEL_CACHE_GUC, "");
	KmersearchSettingsChanged();
	return n;
}

PG_FUNCTION_INFO_V1(kmersearch_parallel_highfreq_kmer_cache_load);
Datum
kmersearch_parallel_highfreq_kmer_cache_load(PG_FUNCTION_ARGS)
{
	Oid			extschema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Target		t;
	HighfreqId	id;
	HighfreqParams params;
	const HighfreqSet *src;
	int			tranche;
	dshash_parameters dp;
	MemoryContext old;
	HighfreqSet *set;
	ParallelCache *pc;
	kmerset_iterator it;
	KmerSetEntry *e;
	int64		n = 0;

	if (IsInParallelMode())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("cannot load the parallel high-frequency k-mer cache during a parallel operation")));
	ResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_READ,
				  AccessShareLock, &t);
	RequireSelect(&t);
	TargetAnalysis(extschema, &t, &id, &params);
	src = TableSet(extschema, &id, &params, true);
	if (npcaches >= PCACHE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many parallel high-frequency k-mer caches loaded in one transaction"),
				 errhint("Commit, then load the one to use.")));
	PCacheTouch();

	/* created by this backend, outside parallel mode; workers attach */
	tranche = LWLockNewTrancheId();
	LWLockRegisterTranche(tranche, "kmersearch_highfreq_cache");
	old = MemoryContextSwitchTo(HighfreqContext());
	pc = &pcaches[npcaches];
	pc->area = dsa_create(tranche);
	dsa_pin_mapping(pc->area);
	dp = ParallelCacheParams(tranche);
	set = palloc0(sizeof(HighfreqSet));
	set->id = id;
	set->params = params;
	set->shared = dshash_create(pc->area, &dp, NULL);
	pc->set = set;
	pc->setting = pstrdup("(loading)");	/* names no setting until complete */
	npcaches++;
	MemoryContextSwitchTo(old);

	PG_TRY();
	{
		kmerset_start_iterate(src->local, &it);
		while ((e = kmerset_iterate(src->local, &it)) != NULL)
		{
			bool		found;
			ParallelCacheEntry *pe;

			if ((++n % kmersearch_highfreq_kmer_cache_load_batch_size) == 0)
				CHECK_FOR_INTERRUPTS();
			pe = dshash_find_or_insert(set->shared, &e->kmer, &found);
			dshash_release_lock(set->shared, pe);
		}
	}
	PG_CATCH();
	{
		/* a cache half loaded is never used: give it back at once */
		PCacheDrop(npcaches - 1);
		PG_RE_THROW();
	}
	PG_END_TRY();
	set->count = n;
	pfree(pc->setting);
	pc->setting = MemoryContextStrdup(HighfreqContext(),
									  psprintf("%u:%llu:%d:%s:%lld", (unsigned int) dsa_get_handle(pc->area),
											   (unsigned long long) dshash_get_hash_table_handle(set->shared),
											   tranche, HighfreqSourceString(&id), (long long) n));
	SetInternalSetting(PARALLEL_CACHE_GUC, pc->setting);
	KmersearchSettingsChanged();
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(kmersearch_parallel_highfreq_kmer_cache_free);
Datum
kmersearch_parallel_highfreq_kmer_cache_free(PG_FUNCTION_ARGS)
{
	Oid			extschema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Target		t;
	ParallelCache *pc;

	ResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_NAME_ONLY,
				  NoLock, &t);
	pc = parallel_cache_setting ? PCacheFind(parallel_cache_setting) : NULL;
	if (pc == NULL || pc->set->id.table_oid != t.relid || pc->set->id.attnum != t.attnum)
		PG_RETURN_INT32(0);
	PG_RETURN_INT32(ParallelCacheFree());
}

PG_FUNCTION_INFO_V1(kmersearch_parallel_highfreq_kmer_cache_free_all);
Datum
kmersearch_parallel_highfreq_kmer_cache_free_all(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(ParallelCacheFree());
}

/* ---------------------------------------------------------------- settings */

void
HighfreqDefineSettings(void)
{
	DefineCustomStringVariable(GLOBAL_CACHE_GUC,
							   "Internal: the analysis in this session's global high-frequency k-mer cache.",
							   NULL, &global_cache_setting, "",
							   PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE | GUC_NO_RESET_ALL,
							   NULL, NULL, NULL);
	DefineCustomStringVariable(PARALLEL_CACHE_GUC,
							   "Internal: the session's parallel high-frequency k-mer cache.",
							   NULL, &parallel_cache_setting, "",
							   PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE | GUC_NO_RESET_ALL,
							   NULL, NULL, NULL);
}
