/*
 * scan_hint.c
 *		Telling the score functions which table and column their rows come
 *		from.
 *
 * A search with kmersearch.preclude_highfreq_kmer on and no cache loaded
 * leaves out the high-frequency k-mers of the analysis of the table it
 * reads, and of no other.  The score functions (=% and kmersearch_rawscore)
 * are given only values; so when a query starts, each call of theirs whose
 * first argument is a column of a table is told the table and the column
 * before its first call (score.c, ScoreCallSetTable): in a scan of that
 * table (its filter, its index recheck, its output), and above it (a join's
 * condition or output, an aggregate's arguments and filters, any node's
 * output or filter), following the column down through the outputs of the
 * nodes below to the scan.  A call on values that are no table's
 * column (a constant, an expression, a column of a subquery or of an
 * append of partitions) keeps the rule of a session without a table: the
 * single analysis that matches its settings.
 */
#include "postgres.h"

#include "executor/execExpr.h"
#include "executor/executor.h"
#include "executor/nodeAgg.h"
#include "nodes/execnodes.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "utils/rel.h"

#include "kmersearch.h"
#include "scan_hint.h"
#include "score.h"

static ExecutorStart_hook_type prev_ExecutorStart = NULL;

/* Whether plan is a scan of one relation (scanrelid). */
static bool
IsScanOfRelation(Plan *plan)
{
	switch (nodeTag(plan))
	{
		case T_SeqScan:
		case T_SampleScan:
		case T_IndexScan:
		case T_IndexOnlyScan:
		case T_BitmapHeapScan:
		case T_TidScan:
		case T_TidRangeScan:
			return true;
		default:
			return false;
	}
}

/*
 * The table and column var (in an expression of plan) comes from: a column
 * of the table plan scans, or, above a join or another node that passes
 * rows up, a column of its input's output, followed down to a scan.
 */
static bool
ResolveVar(Plan *plan, Var *var, List *rtable, Oid *table, AttrNumber *attnum)
{
	while (plan != NULL && var->varlevelsup == 0)
	{
		TargetEntry *tle;

		if (IsScanOfRelation(plan))
		{
			RangeTblEntry *rte;

			if (var->varno != ((Scan *) plan)->scanrelid || var->varattno <= 0)
				return false;
			rte = rt_fetch(var->varno, rtable);
			if (rte->rtekind != RTE_RELATION)
				return false;
			*table = rte->relid;
			*attnum = var->varattno;
			return true;
		}
		if (var->varno == OUTER_VAR)
			plan = outerPlan(plan);
		else if (var->varno == INNER_VAR)
			plan = innerPlan(plan);
		else
			return false;
		if (plan == NULL || IsA(plan, Append) || IsA(plan, MergeAppend) ||
			var->varattno <= 0 || var->varattno > list_length(plan->targetlist))
			return false;
		tle = list_nth_node(TargetEntry, plan->targetlist, var->varattno - 1);
		if (!IsA(tle->expr, Var))
			return false;
		var = (Var *) tle->expr;
	}
	return false;
}

/* The score calls in state (an expression of plan) whose first argument is a table's column. */
static void
HintExpr(ExprState *state, Plan *plan, List *rtable)
{
	int			i;

	if (state == NULL)
		return;
	for (i = 0; i < state->steps_len; i++)
	{
		ExprEvalStep *op = &state->steps[i];
		FmgrInfo   *finfo;
		List	   *args;
		Node	   *arg;
		Oid			table;
		AttrNumber	attnum;

		switch (ExecEvalStepOp(state, op))
		{
			case EEOP_FUNCEXPR:
			case EEOP_FUNCEXPR_STRICT:
#if PG_VERSION_NUM >= 180000
			case EEOP_FUNCEXPR_STRICT_1:
			case EEOP_FUNCEXPR_STRICT_2:
#endif
			case EEOP_FUNCEXPR_FUSAGE:
			case EEOP_FUNCEXPR_STRICT_FUSAGE:
				break;
			default:
				continue;
		}
		finfo = op->d.func.finfo;
		if (!ScoreFunctionExcludes(finfo->fn_addr) || finfo->fn_expr == NULL)
			continue;
		if (IsA(finfo->fn_expr, OpExpr))
			args = ((OpExpr *) finfo->fn_expr)->args;
		else if (IsA(finfo->fn_expr, FuncExpr))
			args = ((FuncExpr *) finfo->fn_expr)->args;
		else
			continue;
		arg = (Node *) linitial(args);
		while (IsA(arg, RelabelType))
			arg = (Node *) ((RelabelType *) arg)->arg;
		if (IsA(arg, Var) && ResolveVar(plan, (Var *) arg, rtable, &table, &attnum))
			ScoreCallSetTable(finfo, table, attnum);
	}
}

static bool
HintPlanState(PlanState *ps, void *context)
{
	List	   *rtable = (List *) context;

	if (ps == NULL)
		return false;
	HintExpr(ps->qual, ps->plan, rtable);
	if (ps->ps_ProjInfo != NULL)
		HintExpr(&ps->ps_ProjInfo->pi_state, ps->plan, rtable);
	if (IsA(ps, IndexScanState))
		HintExpr(((IndexScanState *) ps)->indexqualorig, ps->plan, rtable);
	else if (IsA(ps, IndexOnlyScanState))
		HintExpr(((IndexOnlyScanState *) ps)->recheckqual, ps->plan, rtable);
	else if (IsA(ps, BitmapHeapScanState))
		HintExpr(((BitmapHeapScanState *) ps)->bitmapqualorig, ps->plan, rtable);
	else if (IsA(ps, NestLoopState) || IsA(ps, MergeJoinState) || IsA(ps, HashJoinState))
		HintExpr(((JoinState *) ps)->joinqual, ps->plan, rtable);
	else if (IsA(ps, AggState))
	{
		/* aggregates' arguments and filters */
		AggState   *agg = (AggState *) ps;
		int			i;

		for (i = 0; i < agg->numphases; i++)
			HintExpr(agg->phases[i].evaltrans, ps->plan, rtable);
	}
	return planstate_tree_walker(ps, HintPlanState, context);
}

static void
ScanHintExecutorStart(QueryDesc *queryDesc, int eflags)
{
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
	if (queryDesc->planstate != NULL)
		(void) HintPlanState(queryDesc->planstate, queryDesc->plannedstmt->rtable);
}

void
ScanHintInstallHook(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = ScanHintExecutorStart;
}
