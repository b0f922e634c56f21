/*
 * kmihandler.c
 *		The kmer access method's handler, options, operator class check
 *		and cost estimate.
 */
#include "postgres.h"

#include "access/amvalidate.h"
#include "access/gin.h"
#include "access/htup_details.h"
#include "access/reloptions.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_opclass.h"
#include "commands/vacuum.h"
#include "fmgr.h"
#include "utils/catcache.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/selfuncs.h"
#include "utils/syscache.h"

#include "kmi.h"
#include "kmersearch.h"

static relopt_kind kmi_relopt_kind;

/* The method's own options (the operator class has the k-mer settings). */
typedef struct KmiOptions
{
	int32		vl_len_;		/* varlena header */
	int			pending_list_limit; /* kB, or -1: gin_pending_list_limit */
} KmiOptions;

/* At load (_PG_init): the options, before any index's are parsed. */
void
KmiDefineOptions(void)
{
	kmi_relopt_kind = add_reloption_kind();
	add_int_reloption(kmi_relopt_kind, "pending_list_limit",
					  "Kilobytes of pending keys past which an insert moves the pending rows of this kmer index "
					  "into a segment (default: gin_pending_list_limit).",
					  -1, 64, KMI_MAX_PENDING_KB, ShareUpdateExclusiveLock);
}

static bytea *
kmioptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"pending_list_limit", RELOPT_TYPE_INT, offsetof(KmiOptions, pending_list_limit)},
	};

	return (bytea *) build_reloptions(reloptions, validate, kmi_relopt_kind, sizeof(KmiOptions),
									  tab, lengthof(tab));
}

/* The index's pending_list_limit in kilobytes: its own, else GIN's setting. */
int
KmiPendingListLimit(Relation index)
{
	KmiOptions *opts = (KmiOptions *) index->rd_options;

	if (opts != NULL && opts->pending_list_limit >= 0)
		return opts->pending_list_limit;
	return Min(gin_pending_list_limit, KMI_MAX_PENDING_KB);
}

/*
 * The search reads the query's lists in every segment and the pending
 * rows, however few rows match: generic costs for the rows, the pages as
 * the index's share the query's keys touch is not known here.
 */
static void
kmicostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
				Cost *indexStartupCost, Cost *indexTotalCost,
				Selectivity *indexSelectivity, double *indexCorrelation,
				double *indexPages)
{
	GenericCosts costs;

	MemSet(&costs, 0, sizeof(costs));
	genericcostestimate(root, path, loop_count, &costs);
	/* all the work is done before the first row */
	*indexStartupCost = costs.indexTotalCost;
	*indexTotalCost = costs.indexTotalCost;
	*indexSelectivity = costs.indexSelectivity;
	*indexCorrelation = 0;
	*indexPages = costs.numIndexPages;
}

/* Whether an operator class has what the method calls: its three functions and =%. */
static bool
kmivalidate(Oid opclassoid)
{
	HeapTuple	tup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclassoid));
	Form_pg_opclass opc;
	Oid			family,
				intype;
	CatCList   *procs,
			   *oprs;
	bool		have[KMI_NPROCS + 1] = {false};
	bool		match = false;
	bool		ok = true;
	int			i;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator class %u", opclassoid);
	opc = (Form_pg_opclass) GETSTRUCT(tup);
	family = opc->opcfamily;
	intype = opc->opcintype;
	procs = SearchSysCacheList1(AMPROCNUM, ObjectIdGetDatum(family));
	for (i = 0; i < procs->n_members; i++)
	{
		Form_pg_amproc p = (Form_pg_amproc) GETSTRUCT(&procs->members[i]->tuple);

		if (p->amproclefttype != intype)
			continue;
		if (p->amprocnum < 1 || p->amprocnum > KMI_NPROCS)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("kmer operator class %s has support function number %d, not 1 to %d",
							NameStr(opc->opcname), p->amprocnum, KMI_NPROCS)));
			ok = false;
			continue;
		}
		have[p->amprocnum] = true;
	}
	for (i = 1; i <= KMI_NPROCS; i++)
		if (!have[i])
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("kmer operator class %s is missing support function %d",
							NameStr(opc->opcname), i)));
			ok = false;
		}
	oprs = SearchSysCacheList1(AMOPSTRATEGY, ObjectIdGetDatum(family));
	for (i = 0; i < oprs->n_members; i++)
	{
		Form_pg_amop o = (Form_pg_amop) GETSTRUCT(&oprs->members[i]->tuple);

		if (o->amopstrategy == KMI_MATCH_STRATEGY && o->amoplefttype == intype &&
			o->amoppurpose == AMOP_SEARCH)
			match = true;
		else
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("kmer operator class %s has operator strategy %d, the method has only %d (=%%)",
							NameStr(opc->opcname), o->amopstrategy, KMI_MATCH_STRATEGY)));
			ok = false;
		}
	}
	if (!match)
	{
		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("kmer operator class %s is missing operator =%%", NameStr(opc->opcname))));
		ok = false;
	}
	ReleaseCatCacheList(oprs);
	ReleaseCatCacheList(procs);
	ReleaseSysCache(tup);
	return ok;
}

PG_FUNCTION_INFO_V1(kmersearch_kmer_handler);
Datum
kmersearch_kmer_handler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *am = makeNode(IndexAmRoutine);

	am->amstrategies = KMI_NSTRATEGIES;
	am->amsupport = KMI_NPROCS;
	am->amoptsprocnum = KMI_OPTIONS_PROC;
	am->amcanorder = false;
	am->amcanorderbyop = false;
	am->amcanbackward = false;
	am->amcanunique = false;
	am->amcanmulticol = false;
	am->amoptionalkey = false;
	am->amsearcharray = false;
	am->amsearchnulls = false;
	am->amstorage = false;
	am->amclusterable = false;
	am->ampredlocks = false;
	am->amcanparallel = false;
#if PG_VERSION_NUM >= 170000
	/* index_build asks the planner for the workers (kmibuild.c: BuildWorkers) */
	am->amcanbuildparallel = true;
#endif
	am->amcaninclude = false;
	am->amusemaintenanceworkmem = true;
	am->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
	am->amkeytype = InvalidOid;

	am->ambuild = kmibuild;
	am->ambuildempty = kmibuildempty;
	am->aminsert = kmiinsert;
	am->ambulkdelete = kmibulkdelete;
	am->amvacuumcleanup = kmivacuumcleanup;
	am->amcanreturn = NULL;
	am->amcostestimate = kmicostestimate;
	am->amoptions = kmioptions;
	am->amproperty = NULL;
	am->ambuildphasename = NULL;
	am->amvalidate = kmivalidate;
	am->amadjustmembers = NULL;
	am->ambeginscan = kmibeginscan;
	am->amrescan = kmirescan;
	am->amgettuple = NULL;
	am->amgetbitmap = kmigetbitmap;
	am->amendscan = kmiendscan;
	am->ammarkpos = NULL;
	am->amrestrpos = NULL;
	am->amestimateparallelscan = NULL;
	am->aminitparallelscan = NULL;
	am->amparallelrescan = NULL;

	PG_RETURN_POINTER(am);
}
