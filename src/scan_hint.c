/*
 * scan_hint.c
 *		Telling the score functions which table and column their rows come
 *		from.
 *
 * A search with kmersearch.preclude_highfreq_kmer on and no cache loaded
 * leaves out the high-frequency k-mers of the analysis of the table it
 * reads, and of no other.  The score functions (=% and kmersearch_rawscore)
 * are given only values; so when a query starts, each call of theirs in a
 * scan of a table (its filter, its index recheck, its output) whose first
 * argument is a column of that table is told the table and the column,
 * before its first call (score.c, ScoreCallSetTable).  A call elsewhere (on
 * values that are no table's column) keeps the rule of a session without a
 * table: the single analysis that matches its settings.
 */
#include "postgres.h"

#include "executor/execExpr.h"
#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "nodes/nodeFuncs.h"
#include "utils/rel.h"

#include "kmersearch.h"
#include "scan_hint.h"
#include "score.h"

static ExecutorStart_hook_type prev_ExecutorStart = NULL;

/* The score calls in state whose first argument is column of scan relid. */
static void
HintExpr(ExprState *state, Index scanrelid, Oid table)
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
		if (IsA(arg, Var) && ((Var *) arg)->varno == scanrelid &&
			((Var *) arg)->varlevelsup == 0 && ((Var *) arg)->varattno > 0)
			ScoreCallSetTable(finfo, table, ((Var *) arg)->varattno);
	}
}

static bool
HintPlanState(PlanState *ps, void *context)
{
	if (ps == NULL)
		return false;
	switch (nodeTag(ps->plan))
	{
		case T_SeqScan:
		case T_SampleScan:
		case T_IndexScan:
		case T_IndexOnlyScan:
		case T_BitmapHeapScan:
		case T_TidScan:
		case T_TidRangeScan:
			{
				ScanState  *ss = (ScanState *) ps;
				Index		scanrelid = ((Scan *) ps->plan)->scanrelid;
				Oid			table;

				if (ss->ss_currentRelation == NULL)
					break;
				table = RelationGetRelid(ss->ss_currentRelation);
				HintExpr(ps->qual, scanrelid, table);
				if (ps->ps_ProjInfo != NULL)
					HintExpr(&ps->ps_ProjInfo->pi_state, scanrelid, table);
				if (IsA(ps, IndexScanState))
					HintExpr(((IndexScanState *) ps)->indexqualorig, scanrelid, table);
				else if (IsA(ps, IndexOnlyScanState))
					HintExpr(((IndexOnlyScanState *) ps)->recheckqual, scanrelid, table);
				else if (IsA(ps, BitmapHeapScanState))
					HintExpr(((BitmapHeapScanState *) ps)->bitmapqualorig, scanrelid, table);
			}
			break;
		default:
			break;
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
		(void) HintPlanState(queryDesc->planstate, NULL);
}

void
ScanHintInstallHook(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = ScanHintExecutorStart;
}
