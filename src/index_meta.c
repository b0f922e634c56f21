/*
 * index_meta.c
 *		What kmersearch GIN indexes remember: event triggers that fix an
 *		index's settings in its definition and record it in
 *		kmersearch_gin_index_meta and kmersearch_index_info.
 *
 * An index built without explicit kmer_size / occur_bitlen options took the
 * session's settings as defaults (gin.c).  At the end of the command that
 * created it, the values it was built with are written into the index
 * column's options, so that every later session, REINDEX, pg_dump and
 * partition cloning see them.  The metadata rows are written as the
 * extension's owner (the tables are not writable by others), as PostgreSQL's
 * foreign key triggers act as the table owner; the rows only describe the
 * index just created by the user.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_am.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_opfamily.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "gin.h"
#include "kmersearch.h"


/* The key column of index that uses one of our GIN families, or -1. */
static int
KmerGinColumn(Relation index, Oid extschema)
{
	int			c;

	if (index->rd_rel->relam != GIN_AM_OID)
		return -1;
	for (c = 0; c < IndexRelationGetNumberOfKeyAttributes(index); c++)
	{
		HeapTuple	tup = SearchSysCache1(OPFAMILYOID, ObjectIdGetDatum(index->rd_opfamily[c]));
		bool		ours = false;

		if (HeapTupleIsValid(tup))
		{
			Form_pg_opfamily f = (Form_pg_opfamily) GETSTRUCT(tup);

			ours = f->opfnamespace == extschema &&
				(strcmp(NameStr(f->opfname), "kmersearch_dna2_gin_ops") == 0 ||
				 strcmp(NameStr(f->opfname), "kmersearch_dna4_gin_ops") == 0);
			ReleaseSysCache(tup);
		}
		if (ours)
			return c;
	}
	return -1;
}

/*
 * Write the settings an index column was built with into its options,
 * unless both are already explicit there.
 */
static void
FixIndexOptions(Relation index, int column, const KmerGinOptions *opts)
{
	Relation	attrel;
	HeapTuple	tup,
				newtup;
	Datum		oldopts;
	bool		isnull;
	List	   *defs = NIL;
	bool		has_k = false,
				has_b = false;
	ListCell   *lc;
	Datum		values[Natts_pg_attribute] = {0};
	bool		nulls[Natts_pg_attribute] = {false};
	bool		replace[Natts_pg_attribute] = {false};
	Datum		newopts;

	attrel = table_open(AttributeRelationId, RowExclusiveLock);
	tup = SearchSysCacheCopy2(ATTNUM, ObjectIdGetDatum(RelationGetRelid(index)),
							  Int16GetDatum(column + 1));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for attribute %d of index %u",
			 column + 1, RelationGetRelid(index));
	oldopts = SysCacheGetAttr(ATTNUM, tup, Anum_pg_attribute_attoptions, &isnull);
	if (!isnull)
		defs = untransformRelOptions(oldopts);
	foreach(lc, defs)
	{
		DefElem    *d = (DefElem *) lfirst(lc);

		has_k |= strcmp(d->defname, "kmer_size") == 0;
		has_b |= strcmp(d->defname, "occur_bitlen") == 0;
	}
	if (has_k && has_b)
	{
		heap_freetuple(tup);
		table_close(attrel, RowExclusiveLock);
		return;
	}
	if (!has_k)
		defs = lappend(defs, makeDefElem("kmer_size", (Node *) makeString(psprintf("%d", opts->kmer_size)), -1));
	if (!has_b)
		defs = lappend(defs, makeDefElem("occur_bitlen", (Node *) makeString(psprintf("%d", opts->occur_bitlen)), -1));
	newopts = transformRelOptions((Datum) 0, defs, NULL, NULL, false, false);

	values[Anum_pg_attribute_attoptions - 1] = newopts;
	replace[Anum_pg_attribute_attoptions - 1] = true;
	newtup = heap_modify_tuple(tup, RelationGetDescr(attrel), values, nulls, replace);
	CatalogTupleUpdate(attrel, &newtup->t_self, newtup);
	heap_freetuple(newtup);
	heap_freetuple(tup);
	table_close(attrel, RowExclusiveLock);
	CacheInvalidateRelcache(index);
	CommandCounterIncrement();
}

/* Run SQL with two oid parameters as the extension's owner. */
static void
ExecuteAsOwner(Oid extschema, const char *sql, int nargs, Oid *argtypes, Datum *args)
{
	Oid			metarel = get_relname_relid("kmersearch_gin_index_meta", extschema);
	HeapTuple	tup;
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;
	int			rc;

	if (!OidIsValid(metarel))
		return;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(metarel));
	if (!HeapTupleIsValid(tup))
		return;
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	rc = SPI_execute_with_args(sql, nargs, argtypes, args, NULL, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

/* The planner's row count of a table (0 when never counted). */
static int64
TableRowEstimate(Oid table)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(table));
	float4		reltuples = 0;

	if (HeapTupleIsValid(tup))
	{
		reltuples = ((Form_pg_class) GETSTRUCT(tup))->reltuples;
		ReleaseSysCache(tup);
	}
	return reltuples > 0 ? (int64) reltuples : 0;
}

/* Record one index: fix its options, write its metadata rows. */
static void
RecordIndex(Oid indexoid, Oid extschema)
{
	Relation	index = index_open(indexoid, AccessShareLock);
	int			column = KmerGinColumn(index, extschema);
	KmerGinOptions *opts;
	Oid			table;
	AttrNumber	attnum;
	char	   *colname;
	const char *schema = quote_identifier(get_namespace_name(extschema));
	Oid			argtypes[5] = {OIDOID, OIDOID, NAMEOID, INT4OID, INT4OID};
	Datum		args[5];
	int64		reltuples;

	if (column < 0)
	{
		index_close(index, AccessShareLock);
		return;
	}
	opts = (KmerGinOptions *) RelationGetIndexAttOptions(index, true)[column];
	FixIndexOptions(index, column, opts);

	table = index->rd_index->indrelid;
	attnum = index->rd_index->indkey.values[column];
	colname = attnum != 0 ? get_attname(table, attnum, false) : NULL;
	reltuples = TableRowEstimate(table);
	index_close(index, AccessShareLock);

	args[0] = ObjectIdGetDatum(indexoid);
	args[1] = ObjectIdGetDatum(table);
	args[2] = colname ? DirectFunctionCall1(namein, CStringGetDatum(colname)) : (Datum) 0;
	args[3] = Int32GetDatum(opts->kmer_size);
	args[4] = Int32GetDatum(opts->occur_bitlen);
	ExecuteAsOwner(extschema,
				   psprintf("INSERT INTO %s.kmersearch_gin_index_meta AS m "
							"(index_oid, table_oid, column_name, highfreq_filtered, highfreq_source_table, "
							" kmer_size, occur_bitlen, max_appearance_rate, max_appearance_nrow, created_at) "
							"VALUES ($1, $2, $3, false, NULL, $4, $5, 0, 0, now()) "
							"ON CONFLICT (index_oid) DO NOTHING", schema),
				   5, argtypes, args);
	ExecuteAsOwner(extschema,
				   psprintf("INSERT INTO %s.kmersearch_index_info AS i "
							"(index_oid, table_oid, column_name, kmer_size, occur_bitlen, total_nrow, "
							" highfreq_kmer_count, max_appearance_rate, max_appearance_nrow, created_at) "
							"VALUES ($1, $2, $3, $4, $5, %lld, 0, 0, 0, now()) "
							"ON CONFLICT (index_oid) DO NOTHING",
							schema, (long long) reltuples),
				   5, argtypes, args);
}

/*
 * kmersearch_ddl_command_end(): event trigger at ddl_command_end.  The
 * indexes to record are those the command created, and for commands on
 * tables (ALTER TABLE rebuilding indexes, CREATE TABLE ... LIKE, PARTITION
 * OF) every index of those tables; partitioned indexes bring their
 * partitions' indexes.  An index already recorded keeps its rows (an
 * ALTER TABLE that rebuilds an index makes a new one, with a new OID).
 */
PG_FUNCTION_INFO_V1(kmersearch_ddl_command_end);
Datum
kmersearch_ddl_command_end(PG_FUNCTION_ARGS)
{
	Oid			extschema;
	List	   *indexes = NIL;
	ListCell   *lc;
	uint64		i;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("kmersearch_ddl_command_end() must be called as an event trigger")));
	/* the extension's schema is where this function lives */
	extschema = get_func_namespace(fcinfo->flinfo->fn_oid);

	SPI_connect();
	if (SPI_execute("SELECT c.objid, c.object_type = 'index' "
					"FROM pg_catalog.pg_event_trigger_ddl_commands() c "
					"WHERE c.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
					"AND c.object_type IN ('index', 'table')", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the event trigger's commands");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			objid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		bool		is_index = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));

		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(objid)))
			continue;
		if (is_index)
			indexes = list_concat(indexes, find_all_inheritors(objid, AccessShareLock, NULL));
		else
		{
			List	   *tables = find_all_inheritors(objid, AccessShareLock, NULL);
			ListCell   *tc;

			foreach(tc, tables)
			{
				Relation	rel = table_open(lfirst_oid(tc), AccessShareLock);

				indexes = list_concat(indexes, RelationGetIndexList(rel));
				table_close(rel, AccessShareLock);
			}
		}
	}
	indexes = list_concat_unique_oid(NIL, indexes);
	foreach(lc, indexes)
		RecordIndex(lfirst_oid(lc), extschema);
	SPI_finish();
	PG_RETURN_NULL();
}

/* kmersearch_sql_drop(): event trigger at sql_drop; forgets dropped indexes. */
PG_FUNCTION_INFO_V1(kmersearch_sql_drop);
Datum
kmersearch_sql_drop(PG_FUNCTION_ARGS)
{
	Oid			extschema;
	const char *schema;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("kmersearch_sql_drop() must be called as an event trigger")));
	extschema = get_func_namespace(fcinfo->flinfo->fn_oid);
	if (!OidIsValid(get_relname_relid("kmersearch_gin_index_meta", extschema)))
		PG_RETURN_NULL();
	schema = quote_identifier(get_namespace_name(extschema));

	SPI_connect();
	ExecuteAsOwner(extschema,
				   psprintf("WITH d AS (SELECT objid FROM pg_catalog.pg_event_trigger_dropped_objects() "
							"WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND object_type = 'index'), "
							"x AS (DELETE FROM %s.kmersearch_gin_index_meta WHERE index_oid IN (SELECT objid FROM d)) "
							"DELETE FROM %s.kmersearch_index_info WHERE index_oid IN (SELECT objid FROM d)",
							schema, schema),
				   0, NULL, NULL);
	SPI_finish();
	PG_RETURN_NULL();
}
