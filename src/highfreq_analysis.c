/*
 * highfreq_analysis.c
 *		The high-frequency k-mer analysis (kmersearch_perform_highfreq_analysis).
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
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/buffile.h"
#include "storage/latch.h"
#include "storage/sharedfileset.h"
#include "storage/shm_toc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "dna.h"
#include "highfreq_runs.h"
#include "highfreq_target.h"
#include "index_meta.h"
#include "kmer.h"
#include "kmersearch.h"

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
	pg_atomic_uint32 ndone;		/* participants finished */
	KmerRuns	runs;			/* the counts written so far */
	Oid			leaves[FLEXIBLE_ARRAY_MEMBER];
} AnalysisShared;

#define ANALYSIS_KEY_SHARED UINT64CONST(0x4B4D455253450001)
#define ANALYSIS_KEY_SCAN UINT64CONST(0x4B4D455253450002)

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
	BufFile    *f;

	if (tab->members == 0)
		return;
	for (i = 0; i < tab->size; i++)
		if (tab->data[i].status == counttab_SH_IN_USE)
			tab->data[n++] = tab->data[i];
	sort_count_entries(tab->data, n);
	f = KmerRunCreate(&sh->runs);
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		KmerRunWrite(f, tab->data[i].kmer, tab->data[i].nrow);
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

	KmerRunsAttach(&sh->runs, seg);
	AnalysisParticipate(sh, toc);
}

/* ---------------------------------------------------------------- analysis: the function */

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
	HighfreqResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_OWNER,
				  ShareUpdateExclusiveLock, &t);
	HighfreqRefuseIfIndexed(extschema, &t, "replace");

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
	pcxt = CreateParallelContext(KmersearchLibraryOf(fcinfo->flinfo->fn_oid), "kmersearch_analysis_worker",
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
	pg_atomic_init_u32(&sh->ndone, 0);
	KmerRunsInit(&sh->runs, pcxt->seg);
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
							(unsigned long long) total_rows, KmerRunsCount(&sh->runs))));
		nhigh = total_rows == 0 ? 0 :
			KmerRunsMerge(&sh->runs, rate, nrow_limit, total_rows, result);
	}
	PG_CATCH();
	{
		/* without a DSM segment nothing else would remove the run files */
		if (pcxt->seg == NULL)
			KmerRunsDeleteAll(&sh->runs);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (pcxt->seg == NULL)
		KmerRunsDeleteAll(&sh->runs);
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
		/*
		 * The time names the analysis in index definitions (it survives a
		 * dump, table OIDs do not): one no other analysis has.  The lock
		 * keeps two analyses (of other tables) from taking the same time
		 * until this transaction ends.
		 */
		OwnerSql(extschema, psprintf("LOCK TABLE %s.kmersearch_highfreq_kmer_meta IN SHARE ROW EXCLUSIVE MODE",
									 schema), 0, NULL, NULL);
		for (;;)
		{
			args[6] = TimestampTzGetDatum(now);
			if (OwnerSql(extschema, psprintf("SELECT FROM %s.kmersearch_highfreq_kmer_meta "
											 "WHERE analysis_timestamp OPERATOR(pg_catalog.=) $7", schema),
						 7, types, args) == 0)
				break;
			now++;
		}
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
				uint64		kmer,
							nrow;

				if (!KmerRunRead(result, &kmer, &nrow))
					ereport(ERROR, (errcode_for_file_access(),
									errmsg("could not read a k-mer from a temporary file")));
				kmers[n++] = Int64GetDatum((int64) kmer);
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
