/*
 * partition.c
 *		The SQL entry points of the table conversion:
 *		kmersearch_partition_table and kmersearch_unpartition_table.
 *
 * The conversion itself is PL/pgSQL (partition.sql.in):
 * kmersearch_convert_table, which no user may call (EXECUTE is revoked);
 * these functions resolve the table's name with the caller's search_path
 * and call it directly, as the caller.  It moves the table's analyses to
 * the new table with kmersearch_move_highfreq_analysis, which refuses
 * unless a conversion of that very table is under way.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

#include "highfreq.h"
#include "kmersearch.h"

/* the table being converted in this backend, or InvalidOid */
static Oid	converting = InvalidOid;

/*
 * Convert table_name (as the caller's search_path names it): into
 * partitions hash partitions, or (partitions_null) back into one table.
 */
static void
Convert(FunctionCallInfo caller, text *table_name, int32 partitions, bool partitions_null,
		Datum tablespace, bool tablespace_null)
{
	Oid			extschema = get_func_namespace(caller->flinfo->fn_oid);
	Oid			argtypes[3] = {OIDOID, INT4OID, TEXTOID};
	Oid			converter;
	Oid			relid;
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 3);

	relid = DatumGetObjectId(DirectFunctionCall1(regclassin,
												 CStringGetDatum(text_to_cstring(table_name))));
	converter = LookupFuncName(list_make2(makeString(get_namespace_name(extschema)),
										  makeString("kmersearch_convert_table")),
							   3, argtypes, false);
	fmgr_info(converter, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 3, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = ObjectIdGetDatum(relid);
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = Int32GetDatum(partitions);
	fcinfo->args[1].isnull = partitions_null;
	fcinfo->args[2].value = tablespace;
	fcinfo->args[2].isnull = tablespace_null;
	if (OidIsValid(converting))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a table conversion is under way in this session")));
	converting = relid;
	PG_TRY();
	{
		(void) FunctionCallInvoke(fcinfo);
	}
	PG_FINALLY();
	{
		converting = InvalidOid;
	}
	PG_END_TRY();
}

/* kmersearch_partition_table(table_name text, partition_count integer, tablespace_name text) */
PG_FUNCTION_INFO_V1(kmersearch_partition_table);
Datum
kmersearch_partition_table(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table_name and partition_count must not be null")));
	Convert(fcinfo, PG_GETARG_TEXT_PP(0), PG_GETARG_INT32(1), false,
			PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2), PG_ARGISNULL(2));
	PG_RETURN_VOID();
}

/* kmersearch_unpartition_table(table_name text, tablespace_name text) */
PG_FUNCTION_INFO_V1(kmersearch_unpartition_table);
Datum
kmersearch_unpartition_table(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table_name must not be null")));
	Convert(fcinfo, PG_GETARG_TEXT_PP(0), 0, true,
			PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1), PG_ARGISNULL(1));
	PG_RETURN_VOID();
}

/*
 * kmersearch_move_highfreq_analysis(from_table regclass, to_table regclass)
 *		returns integer
 * Called by the conversion of from_table only: the analyses of the table
 * become those of the new one.
 */
PG_FUNCTION_INFO_V1(kmersearch_move_highfreq_analysis);
Datum
kmersearch_move_highfreq_analysis(PG_FUNCTION_ARGS)
{
	Oid			from = PG_GETARG_OID(0);

	if (!OidIsValid(converting) || from != converting)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("kmersearch_move_highfreq_analysis() is internal to kmersearch_partition_table() and kmersearch_unpartition_table()")));
	PG_RETURN_INT32(HighfreqMoveAnalyses(get_func_namespace(fcinfo->flinfo->fn_oid), from, PG_GETARG_OID(1)));
}
