/*
 * highfreq_cache.c
 *		Where the set to exclude comes from: the caches, and the session's
 *		and an index's set.
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

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "fmgr.h"
#include "lib/dshash.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/dsa.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "highfreq_set.h"
#include "highfreq_target.h"
#include "kmersearch.h"

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

/* ---------------------------------------------------------------- sets read from the tables */

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
	set = HighfreqLoadSet(extschema, id, params, latest);
	HighfreqSetFree(table_sets[TABLE_SETS_MAX - 1]);
	memmove(&table_sets[1], &table_sets[0], (TABLE_SETS_MAX - 1) * sizeof(HighfreqSet *));
	table_sets[0] = set;
	return set;
}

const HighfreqSet *
HighfreqForIndex(Oid extschema, const char *source, int kmer_size, bool missing_ok)
{
	HighfreqId	src,
				id;
	HighfreqParams params;
	int			i,
				n;

	if (!HighfreqParseSource(source, &src))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid highfreq_source \"%s\" in a kmersearch index", source)));
	if (global_set != NULL && HighfreqSourceMatches(&src, &global_set->id) &&
		global_set->params.kmer_size == kmer_size)
		return global_set;
	for (i = 0; i < TABLE_SETS_MAX; i++)
		if (table_sets[i] != NULL && HighfreqSourceMatches(&src, &table_sets[i]->id) &&
			table_sets[i]->params.kmer_size == kmer_size)
			return table_sets[i];
	n = HighfreqFindSource(extschema, &src, kmer_size, &id, &params);
	if (n == 0 && missing_ok)
		return NULL;
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the high-frequency k-mer analysis this index was built with does not exist"),
				 errdetail("The index leaves out the k-mers of the analysis with kmer_size %d made at %s.",
						   kmer_size, timestamptz_to_str(src.analyzed_at)),
				 errhint("Restore that analysis, or drop the index and create it again after a new analysis.")));
	if (n > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				 errmsg("%d high-frequency k-mer analyses were made at %s, the time this index's highfreq_source names",
						n, timestamptz_to_str(src.analyzed_at)),
				 errhint("Run kmersearch_perform_highfreq_analysis() again on its table, then create the index again.")));
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
	return HighfreqIdString(&set->id);
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
 * The set loaded into a cache for the session to exclude, or NULL when none
 * is: the global cache, then the parallel cache.
 * kmersearch.force_use_parallel_highfreq_kmer_cache goes to the parallel
 * cache directly (an error when none is loaded).
 */
const HighfreqSet *
HighfreqCacheForSession(Oid extschema)
{
	const HighfreqSet *set;
	HighfreqId	id;
	HighfreqParams params;

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
		if (!HighfreqParseId(global_cache_setting, &id))
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
		CheckCacheCurrent(extschema, &set->id, "parallel");
	return set;
}

/*
 * The analysis of column attnum of table (or, for a partition, of the same
 * column of the table it is a partition of), when it fits the session's
 * settings.  Otherwise NULL with missing_ok, an error without.
 */
const HighfreqSet *
HighfreqForTable(Oid extschema, Oid table, AttrNumber attnum, bool missing_ok)
{
	char	   *column = attnum > 0 ? get_attname(table, attnum, true) : NULL;
	List	   *tables;
	ListCell   *lc;
	HighfreqId	id;
	HighfreqParams params;

	if (column == NULL)
	{
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("kmersearch.preclude_highfreq_kmer is on, but the search is not on a column of a table"),
				 errhint("Load the analysis to leave out with kmersearch_highfreq_kmer_cache_load(table, column), "
						 "or SET kmersearch.preclude_highfreq_kmer = off.")));
	}
	tables = list_make1_oid(table);
	if (get_rel_relispartition(table))
		tables = list_concat(tables, get_partition_ancestors(table));
	foreach(lc, tables)
	{
		AttrNumber	a = get_attnum(lfirst_oid(lc), column);

		if (a == InvalidAttrNumber ||
			!HighfreqFindAnalysis(extschema, lfirst_oid(lc), a, &id, &params, false))
			continue;
		if (!HighfreqParamsMatchSession(&params))
		{
			if (missing_ok)
				return NULL;
			HighfreqCheckParams(&params, psprintf("of %s.%s", quote_identifier(get_rel_name(lfirst_oid(lc))),
												  quote_identifier(column)));
		}
		return TableSet(extschema, &id, &params, false);
	}
	if (missing_ok)
		return NULL;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("kmersearch.preclude_highfreq_kmer is on, but there is no high-frequency k-mer analysis of %s.%s",
					quote_identifier(get_rel_name(table)), quote_identifier(column)),
			 errhint("Run kmersearch_perform_highfreq_analysis() on it, or SET kmersearch.preclude_highfreq_kmer = off.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * Which set a search of column attnum of table excludes: a loaded cache's,
 * else the analysis of that table and column.  Where the column is not
 * known (table InvalidOid: a score of values that are no table's), the
 * single analysis that matches the settings.  NULL when exclusion is off.
 */
const HighfreqSet *
HighfreqForSearch(Oid extschema, Oid table, AttrNumber attnum)
{
	const HighfreqSet *set;
	HighfreqId	id;
	HighfreqParams params;
	int			n;

	if (!kmersearch_preclude_highfreq_kmer)
		return NULL;
	set = HighfreqCacheForSession(extschema);
	if (set != NULL)
		return set;
	if (OidIsValid(table))
		return HighfreqForTable(extschema, table, attnum, false);

	n = HighfreqFindSessionAnalyses(extschema, &id, &params);
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
		HighfreqSetFree(global_set);
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

	HighfreqResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_READ,
				  AccessShareLock, &t);
	HighfreqRequireSelect(&t);
	TargetAnalysis(extschema, &t, &id, &params);
	set = HighfreqLoadSet(extschema, &id, &params, true);
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

	HighfreqResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_NAME_ONLY,
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
		HighfreqSetFree(table_sets[i]);
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

/* HighfreqSetIterate's callback: a k-mer into a parallel cache's table */
static void
PCacheInsert(uint64 kmer, void *arg)
{
	dshash_table *table = (dshash_table *) arg;
	bool		found;
	ParallelCacheEntry *pe = dshash_find_or_insert(table, &kmer, &found);

	dshash_release_lock(table, pe);
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
	int64		n = 0;

	if (IsInParallelMode())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("cannot load the parallel high-frequency k-mer cache during a parallel operation")));
	HighfreqResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_READ,
				  AccessShareLock, &t);
	HighfreqRequireSelect(&t);
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
		n = HighfreqSetIterate(src, PCacheInsert, set->shared);
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
											   tranche, HighfreqIdString(&id), (long long) n));
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

	HighfreqResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_NAME_ONLY,
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
