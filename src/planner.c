/*
 * planner.c
 *		The =% selectivity estimator, which also keeps the planner away from
 *		kmersearch GIN indexes built with settings other than the session's.
 *
 * The estimator runs while the planner sizes the table (before it builds
 * index paths), whether or not the module was loaded before the query, so
 * it is where mismatched indexes are dropped from the table's index list:
 * the search then uses another index or a scan that computes with the
 * session's settings, never an index that would answer a different question.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_am.h"
#include "fmgr.h"
#include "nodes/pathnodes.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/selfuncs.h"

#include "cache.h"
#include "gin.h"
#include "kmersearch.h"
#include "score.h"

/*
 * Drop from rel's index list the kmersearch GIN indexes the session cannot
 * use.  The list is replaced, never changed in place: for a join clause the
 * estimator also runs while create_index_paths() is iterating over that very
 * list (costing a parameterized path), and deleting from it then (freeing
 * it, when its last index goes) broke that iteration.  An index still met by
 * such an iteration is correct, only slow: extractQuery makes it return
 * every row for a recheck.
 */
static void
DropMismatchedIndexes(PlannerInfo *root, RelOptInfo *rel, Oid extschema)
{
	Oid			table = InvalidOid;
	List	   *keep = NIL;
	bool		dropped = false;
	ListCell   *lc;

	if (rel->indexlist == NIL)
		return;
	if (rel->relid > 0 && planner_rt_fetch(rel->relid, root)->rtekind == RTE_RELATION)
		table = planner_rt_fetch(rel->relid, root)->relid;
	foreach(lc, rel->indexlist)
	{
		IndexOptInfo *index = (IndexOptInfo *) lfirst(lc);
		bool		usable = true;
		int			c;

		if (KmerIndexMethod(index->relam))
		{
			for (c = 0; c < index->nkeycolumns && usable; c++)
			{
				KmerGinOptions *opts;

				if (!GinIsKmerFamily(index->opfamily[c], extschema))
					continue;
				opts = index->opclassoptions ? (KmerGinOptions *) index->opclassoptions[c] : NULL;
				usable = opts != NULL && GinOptionsMatchSession(opts, extschema, table, index->indexkeys[c]);
			}
		}
		if (usable)
			keep = lappend(keep, index);
		else
			dropped = true;
	}
	if (dropped)
		rel->indexlist = keep;
	else
		list_free(keep);
}

/*
 * kmersearch_match_sel(internal, oid, internal, integer): restriction
 * selectivity of =%.  Rows pass when they share at least the threshold t of
 * the query's keys; the more keys a query demands, the fewer rows share
 * them.  Without statistics on k-mers, the estimate is 1 / (1 + t), at most
 * DEFAULT_MATCHING_SEL, and at least one row's worth.
 */
PG_FUNCTION_INFO_V1(kmersearch_match_sel);
Datum
kmersearch_match_sel(PG_FUNCTION_ARGS)
{
	PlannerInfo *root = (PlannerInfo *) PG_GETARG_POINTER(0);
	List	   *args = (List *) PG_GETARG_POINTER(2);
	int			varRelid = PG_GETARG_INT32(3);
	VariableStatData vardata;
	Node	   *other;
	bool		varonleft;
	Selectivity sel = DEFAULT_MATCHING_SEL;

	/* the plan being made depends on the settings */
	KmersearchPlanUsesSettings(get_opcode(PG_GETARG_OID(1)));
	if (!get_restriction_variable(root, args, varRelid, &vardata, &other, &varonleft))
		PG_RETURN_FLOAT8(sel);
	if (vardata.rel != NULL && vardata.rel->reloptkind != RELOPT_JOINREL)
		DropMismatchedIndexes(root, vardata.rel, get_func_namespace(fcinfo->flinfo->fn_oid));

	if (varonleft && IsA(other, Const) && !((Const *) other)->constisnull)
	{
		text	   *query = DatumGetTextPP(((Const *) other)->constvalue);

		if (VARSIZE_ANY_EXHDR(query) >= (Size) kmersearch_kmer_size)
		{
			const QueryPattern *qp = CacheGetQueryPattern(query, kmersearch_kmer_size,
														  kmersearch_occur_bitlen);
			int64		t = ScoreThreshold(qp->nunits, 0);
			double		strands = kmersearch_strand == KMER_STRAND_BOTH ? 2.0 : 1.0;

			sel = Min(DEFAULT_MATCHING_SEL, strands / (1.0 + (double) t));
		}
	}
	if (vardata.rel != NULL && vardata.rel->tuples > 0)
		sel = Max(sel, 1.0 / vardata.rel->tuples);
	ReleaseVariableStats(vardata);
	CLAMP_PROBABILITY(sel);
	PG_RETURN_FLOAT8(sel);
}
