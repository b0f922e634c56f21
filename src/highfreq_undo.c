/*
 * highfreq_undo.c
 *		Removing an analysis (kmersearch_undo_highfreq_analysis), and moving
 *		analyses from one table to another (for the table conversion,
 *		partition.c).
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "highfreq.h"
#include "highfreq_target.h"
#include "index_meta.h"
#include "kmersearch.h"

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
	HighfreqResolveTarget(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), extschema, TARGET_OWNER,
				  ShareUpdateExclusiveLock, &t);
	HighfreqRefuseIfIndexed(extschema, &t, "undo");

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
 * The analyses of table from become table to's (the same columns, by name),
 * for the table conversion (partition.c).  Both tables must be the
 * caller's.  Returns the analyses moved.
 */
int
HighfreqMoveAnalyses(Oid extschema, Oid from, Oid to)
{
	const char *schema = quote_identifier(get_namespace_name(extschema));
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
	return (int) n;
}
