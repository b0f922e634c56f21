/*
 * index_meta.c
 *		What kmersearch GIN indexes remember: the session's settings written
 *		into CREATE INDEX before it runs, and the work of the event triggers
 *		(src/ddl_triggers.sql.in) that record indexes in
 *		kmersearch_gin_index_meta and kmersearch_index_info.
 *
 * An index's keys depend only on its operator class options, whose defaults
 * are constants (gin.c); so whatever path creates an index, and whether or
 * not an event trigger fires, it is built and kept with what its definition
 * says.  For convenience CREATE INDEX takes the session's settings: a
 * ProcessUtility hook writes them into the statement while the module is
 * loaded.  At ddl_command_end, the options a new index left to their
 * defaults are written out, so that definitions and dumps show them; an
 * index whose statement loaded the module (too late for the hook) gets the
 * session's settings then, and is built again.  The metadata rows are
 * written as the extension's owner (the tables are not writable by others),
 * as PostgreSQL's foreign key triggers act as the table owner; the rows only
 * describe the index just created by the user.
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
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "tcop/deparse_utility.h"
#include "catalog/index.h"
#include "commands/tablecmds.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/dependency.h"
#include "catalog/partition.h"
#include "catalog/pg_opclass.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_utilcmd.h"
#include "tcop/utility.h"

#include "gin.h"
#include "highfreq.h"
#include "index_meta.h"
#include "kmersearch.h"

/* Whether key column c of an index uses one of our k-mer families (GIN or kmer). */
static bool
IsKmerGinColumn(Relation index, int c, Oid extschema)
{
	return KmerIndexMethod(index->rd_rel->relam) &&
		GinIsKmerFamily(index->rd_opfamily[c], extschema);
}

/* The element of a list of operator class options (DefElems) naming one, or NULL. */
static DefElem *
OptionElem(List *opts, const char *name)
{
	ListCell   *lc;

	foreach(lc, opts)
		if (strcmp(((DefElem *) lfirst(lc))->defname, name) == 0)
			return (DefElem *) lfirst(lc);
	return NULL;
}

static bool
HasOption(List *opts, const char *name)
{
	return OptionElem(opts, name) != NULL;
}

/* The value of an option in such a list, or NULL. */
static char *
OptionValue(List *opts, const char *name)
{
	DefElem    *e = OptionElem(opts, name);

	return e != NULL ? defGetString(e) : NULL;
}

/* opts with name = value added, unless it names that option already */
static List *
WithOption(List *opts, const char *name, char *value)
{
	if (HasOption(opts, name))
		return opts;
	return lappend(opts, makeDefElem(pstrdup(name), (Node *) makeString(value), -1));
}

/*
 * Write settings into an index column's options, each unless it is already
 * explicit there: the definition then shows them, and pg_dump restores them
 * as they are whatever the restoring session's settings.  source "" is no
 * exclusion; unkeyed writes unkeyed_windows 'true' (the caller builds the
 * index again where that asks for markers it lacks).  Returns whether the
 * options changed.
 */
static bool
FixIndexOptions(Relation index, int column, int kmer_size, int occur_bitlen, const char *source,
				bool unkeyed)
{
	Relation	attrel;
	HeapTuple	tup,
				newtup;
	Datum		oldopts;
	bool		isnull;
	List	   *defs = NIL;
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
	if (HasOption(defs, "kmer_size") && HasOption(defs, "occur_bitlen") && HasOption(defs, "highfreq_source") &&
		(!unkeyed || HasOption(defs, "unkeyed_windows")))
	{
		heap_freetuple(tup);
		table_close(attrel, RowExclusiveLock);
		return false;
	}
	defs = WithOption(defs, "kmer_size", psprintf("%d", kmer_size));
	defs = WithOption(defs, "occur_bitlen", psprintf("%d", occur_bitlen));
	defs = WithOption(defs, "highfreq_source", pstrdup(source));
	if (unkeyed)
		defs = WithOption(defs, "unkeyed_windows", pstrdup("true"));
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
	return true;
}

/*
 * Run SQL as the extension's owner, with search_path pinned to pg_catalog
 * (and the SQL itself schema-qualified), so that nothing the calling user
 * defines can run with the owner's rights.  nulls is SPI's: 'n' marks a
 * null parameter.
 */
uint64
MetaExecuteAsOwner(Oid extschema, const char *sql, int nargs, Oid *argtypes, Datum *args,
				   const char *nulls)
{
	Oid			metarel = get_relname_relid("kmersearch_gin_index_meta", extschema);
	HeapTuple	tup;
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	int			rc;

	if (!OidIsValid(metarel))
		return 0;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(metarel));
	if (!HeapTupleIsValid(tup))
		return 0;
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_with_args(sql, nargs, argtypes, args, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	return SPI_processed;
}

/*
 * Read from the catalogue, which is always current (under any isolation
 * level): the indexes of the table whose highfreq_source names this
 * column's analysis.
 */
char *
MetaFilteredIndexes(Oid extschema, Oid table_oid, AttrNumber attnum)
{
	Relation	rel;
	List	   *indexes;
	ListCell   *lc;
	StringInfoData names;
	HighfreqId	id;
	HighfreqParams params;

	if (!HighfreqFindAnalysis(extschema, table_oid, attnum, &id, &params, true))
		return NULL;
	rel = table_open(table_oid, AccessShareLock);
	indexes = RelationGetIndexList(rel);
	initStringInfo(&names);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		int			c;

		for (c = 0; c < IndexRelationGetNumberOfKeyAttributes(index); c++)
		{
			const char *source;
			HighfreqId	src;

			if (!IsKmerGinColumn(index, c, extschema))
				continue;
			source = GinOptionsSource((KmerGinOptions *) RelationGetIndexAttOptions(index, false)[c]);
			if (source != NULL && HighfreqParseSource(source, &src) && HighfreqSourceMatches(&src, &id))
			{
				appendStringInfo(&names, "%s%s", names.len ? ", " : "",
								 quote_identifier(RelationGetRelationName(index)));
				break;
			}
		}
		index_close(index, AccessShareLock);
	}
	table_close(rel, AccessShareLock);
	return names.len ? names.data : NULL;
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

/*
 * Check the high-frequency analysis an index leaves out: that of its own
 * table (or of a table it is a partition of).  An index naming another
 * table's analysis is refused rather than kept with the wrong k-mers.  One
 * naming an analysis that does not exist yet (a dump restored without its
 * data, which brings the analysis later) is kept with a warning: until the
 * analysis is there, rows are indexed with every k-mer, and searches do not
 * use the index.  Returns whether the analysis was found.
 */
static bool
CheckIndexSource(Oid extschema, Oid indexoid, Oid table, const char *source, int kmer_size,
				 HighfreqId *found, HighfreqParams *params)
{
	HighfreqId	src;
	int			n;

	if (!HighfreqParseSource(source, &src))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid highfreq_source \"%s\" for index \"%s\"", source, get_rel_name(indexoid))));
	n = HighfreqFindSource(extschema, &src, kmer_size, found, params);
	if (n == 0)
	{
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index \"%s\" leaves out the k-mers of a high-frequency k-mer analysis that does not exist",
						get_rel_name(indexoid)),
				 errdetail("highfreq_source is \"%s\", the analysis with kmer_size %d made at %s.",
						   source, kmer_size, timestamptz_to_str(src.analyzed_at)),
				 errhint("Until it is restored, rows are indexed with every k-mer and searches do not use the index.")));
		return false;
	}
	if (n > 1 || !(found->table_oid == table ||
				   (get_rel_relispartition(table) &&
					list_member_oid(get_partition_ancestors(table), found->table_oid))))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index \"%s\" names a high-frequency k-mer analysis that is not its table's current one",
						get_rel_name(indexoid)),
				 errdetail("highfreq_source is \"%s\".", source),
				 errhint("Run kmersearch_perform_highfreq_analysis() on the table, then create the index "
						 "without highfreq_source and with kmersearch.preclude_highfreq_kmer on.")));
	return true;
}

/*
 * Record one index: fix the options of each of its kmersearch columns, and
 * write its metadata rows (for the first such column).
 */
static void
RecordIndex(Oid indexoid, Oid extschema, bool created)
{
	Relation	index = index_open(indexoid, AccessShareLock);
	int			column = -1;
	int			c;
	KmerGinOptions *opts = NULL;
	Oid			table;
	AttrNumber	attnum;
	char	   *colname;
	const char *schema = quote_identifier(get_namespace_name(extschema));
	Oid			argtypes[10] = {OIDOID, OIDOID, NAMEOID, INT4OID, INT4OID, BOOLOID, NAMEOID,
	FLOAT4OID, INT4OID, INT4OID};
	Datum		args[10];
	char		nulls[11] = "          ";
	int64		reltuples;
	const char *source = NULL;
	bool		found = false;
	HighfreqId	id;
	HighfreqParams params = {0};
	int64		nhigh = 0;

	table = index->rd_index->indrelid;
	for (c = 0; c < IndexRelationGetNumberOfKeyAttributes(index); c++)
	{
		KmerGinOptions *o;
		const char *s;
		HighfreqId	sid = {0};
		HighfreqParams sparams = {0};
		bool		sfound = false;

		if (!IsKmerGinColumn(index, c, extschema))
			continue;
		o = (KmerGinOptions *) RelationGetIndexAttOptions(index, true)[c];
		s = GinOptionsSource(o);
		if (s != NULL)
			sfound = CheckIndexSource(extschema, indexoid, table, s, o->kmer_size, &sid, &sparams);
		/*
		 * Only an index this command created: an older one may be a 1.0
		 * index whose settings were never recorded (the update to 1.1 names
		 * those; writing the defaults into them would hide them).
		 */
		if (created)
			(void) FixIndexOptions(index, c, o->kmer_size, o->occur_bitlen, "", false);
		if (column < 0)
		{
			column = c;
			opts = o;
			source = s ? pstrdup(s) : NULL;
			found = sfound;
			id = sid;
			params = sparams;
		}
	}
	if (column < 0)
	{
		index_close(index, AccessShareLock);
		return;
	}

	attnum = index->rd_index->indkey.values[column];
	colname = attnum != 0 ? get_attname(table, attnum, false) : NULL;
	reltuples = TableRowEstimate(table);
	index_close(index, AccessShareLock);
	if (found)
	{
		nhigh = HighfreqSetCount(HighfreqForIndex(extschema, source, opts->kmer_size, false));
		args[6] = DirectFunctionCall1(namein, CStringGetDatum(get_rel_name(id.table_oid)));
	}
	else
		nulls[6] = 'n';

	args[0] = ObjectIdGetDatum(indexoid);
	args[1] = ObjectIdGetDatum(table);
	args[2] = colname ? DirectFunctionCall1(namein, CStringGetDatum(colname)) : (Datum) 0;
	if (colname == NULL)
		nulls[2] = 'n';			/* an expression column */
	args[3] = Int32GetDatum(opts->kmer_size);
	args[4] = Int32GetDatum(opts->occur_bitlen);
	args[5] = BoolGetDatum(source != NULL);
	args[7] = Float4GetDatum((float4) params.max_appearance_rate);
	args[8] = Int32GetDatum(params.max_appearance_nrow);
	args[9] = Int32GetDatum((int32) Min(nhigh, (int64) PG_INT32_MAX));
	MetaExecuteAsOwner(extschema,
					   psprintf("INSERT INTO %s.kmersearch_gin_index_meta AS m "
								"(index_oid, table_oid, column_name, highfreq_filtered, highfreq_source_table, "
								" kmer_size, occur_bitlen, max_appearance_rate, max_appearance_nrow, created_at) "
								"VALUES ($1, $2, $3, $6, $7, $4, $5, $8, $9, pg_catalog.now()) "
								"ON CONFLICT (index_oid) DO UPDATE SET table_oid = EXCLUDED.table_oid, "
								"column_name = EXCLUDED.column_name, kmer_size = EXCLUDED.kmer_size, "
								"occur_bitlen = EXCLUDED.occur_bitlen, highfreq_filtered = EXCLUDED.highfreq_filtered, "
								"highfreq_source_table = EXCLUDED.highfreq_source_table, "
								"max_appearance_rate = EXCLUDED.max_appearance_rate, "
								"max_appearance_nrow = EXCLUDED.max_appearance_nrow, created_at = EXCLUDED.created_at "
								"WHERE m.kmer_size OPERATOR(pg_catalog.<>) EXCLUDED.kmer_size "
								"OR m.occur_bitlen OPERATOR(pg_catalog.<>) EXCLUDED.occur_bitlen "
								"OR m.highfreq_filtered OPERATOR(pg_catalog.<>) EXCLUDED.highfreq_filtered "
								"OR m.highfreq_source_table IS DISTINCT FROM EXCLUDED.highfreq_source_table "
								"OR m.table_oid OPERATOR(pg_catalog.<>) EXCLUDED.table_oid", schema),
					   10, argtypes, args, nulls);
	MetaExecuteAsOwner(extschema,
					   psprintf("INSERT INTO %s.kmersearch_index_info AS i "
								"(index_oid, table_oid, column_name, kmer_size, occur_bitlen, total_nrow, "
								" highfreq_kmer_count, max_appearance_rate, max_appearance_nrow, created_at) "
								"VALUES ($1, $2, $3, $4, $5, %lld, $10, $8, $9, pg_catalog.now()) "
								"ON CONFLICT (index_oid) DO UPDATE SET table_oid = EXCLUDED.table_oid, "
								"column_name = EXCLUDED.column_name, kmer_size = EXCLUDED.kmer_size, "
								"occur_bitlen = EXCLUDED.occur_bitlen, total_nrow = EXCLUDED.total_nrow, "
								"highfreq_kmer_count = EXCLUDED.highfreq_kmer_count, "
								"max_appearance_rate = EXCLUDED.max_appearance_rate, "
								"max_appearance_nrow = EXCLUDED.max_appearance_nrow, created_at = EXCLUDED.created_at "
								"WHERE i.kmer_size OPERATOR(pg_catalog.<>) EXCLUDED.kmer_size "
								"OR i.occur_bitlen OPERATOR(pg_catalog.<>) EXCLUDED.occur_bitlen "
								"OR i.highfreq_kmer_count OPERATOR(pg_catalog.<>) EXCLUDED.highfreq_kmer_count "
								"OR i.table_oid OPERATOR(pg_catalog.<>) EXCLUDED.table_oid",
								schema, (long long) reltuples),
					   10, argtypes, args, nulls);
}

/*
 * The operator class an index column of relation relid will use when it is
 * one of the GIN classes of the extension ext (pg_kmersearch), with its schema in
 * *extschema; InvalidOid for any other.  An expression's type is known only
 * once the statement is transformed.
 */
static Oid
KmerOpclassOf(const IndexElem *elem, Oid amoid, Oid relid, bool transformed, Oid ext, Oid *extschema,
			  char **name)
{
	Oid			opclass = InvalidOid;
	HeapTuple	tup;
	bool		ours = false;

	if (elem->opclass != NIL)
		opclass = get_opclass_oid(amoid, elem->opclass, true);
	else
	{
		Oid			typid = InvalidOid;

		if (elem->name != NULL)
		{
			AttrNumber	attnum = get_attnum(relid, elem->name);

			if (attnum != InvalidAttrNumber)
				typid = get_atttype(relid, attnum);
		}
		else if (elem->expr != NULL && transformed)
			typid = exprType(elem->expr);
		if (OidIsValid(typid))
			opclass = GetDefaultOpClass(typid, amoid);
	}
	if (!OidIsValid(opclass))
		return InvalidOid;
	tup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclass));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_opclass f = (Form_pg_opclass) GETSTRUCT(tup);

		ours = GinIsKmerOpclassName(NameStr(f->opcname)) &&
			getExtensionOfObject(OperatorClassRelationId, opclass) == ext;
		*extschema = f->opcnamespace;
		*name = pstrdup(NameStr(f->opcname));
		ReleaseSysCache(tup);
	}
	return ours ? opclass : InvalidOid;
}

/*
 * The highfreq_source of the analysis a new index on column attnum of
 * relid leaves out: that analysis must exist and match the session's
 * settings.
 */
static char *
SourceForNewIndex(Oid extschema, Oid relid, const IndexElem *elem, AttrNumber attnum)
{
	HighfreqId	id;
	HighfreqParams params;
	const char *what;

	if (elem->name == NULL || attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("an index on an expression cannot leave out high-frequency k-mers"),
				 errhint("SET kmersearch.preclude_highfreq_kmer = off.")));
	what = psprintf("of %s.%s", quote_identifier(get_rel_name(relid)), quote_identifier(elem->name));
	if (!HighfreqFindAnalysis(extschema, relid, attnum, &id, &params, true))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("kmersearch.preclude_highfreq_kmer is on, but there is no high-frequency k-mer analysis %s", what),
				 errhint("Run SELECT kmersearch_perform_highfreq_analysis(%s, %s) first, "
						 "or SET kmersearch.preclude_highfreq_kmer = off.",
						 quote_literal_cstr(quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
																	   get_rel_name(relid))),
						 quote_literal_cstr(elem->name))));
	HighfreqCheckParams(&params, what);
	return HighfreqSourceString(&id);
}

static void CompleteIndexColumns(IndexStmt *stmt, Oid relid, Oid ext, const char *queryString);

/*
 * Complete a CREATE INDEX before it runs: every column indexed with one of
 * this extension's GIN operator classes gets that class by its qualified
 * name, and explicit kmer_size and occur_bitlen options (the session's
 * settings, where the statement gives none); with
 * kmersearch.preclude_highfreq_kmer on, it also gets the highfreq_source of
 * its column's analysis.  The index is then built, and kept, with exactly
 * what its definition says, whichever session writes to it later and
 * whether or not event triggers fire.  Changes stmt in place.
 */
void
MetaCompleteIndexStmt(IndexStmt *stmt, const char *queryString)
{
	Oid			relid;
	Oid			ext;

	/*
	 * Statements PostgreSQL makes itself (CREATE TABLE ... LIKE, partitions)
	 * arrive transformed, copying an index's definition: kept as they are.
	 */
	if (IsBinaryUpgrade || RecoveryInProgress() || stmt->transformed ||
		stmt->accessMethod == NULL ||
		(strcmp(stmt->accessMethod, "gin") != 0 && strcmp(stmt->accessMethod, KMI_AM_NAME) != 0))
		return;
	ext = get_extension_oid("pg_kmersearch", true);
	if (!OidIsValid(ext))
		return;
	/* the lock CREATE INDEX takes anyway, taken now: an analysis being replaced commits first */
	relid = RangeVarGetRelidExtended(stmt->relation,
									 stmt->concurrent ? ShareUpdateExclusiveLock : ShareLock,
									 RVR_MISSING_OK, RangeVarCallbackOwnsRelation, NULL);
	if (!OidIsValid(relid))
		return;
	/* CREATE INDEX IF NOT EXISTS of an index that exists does nothing */
	if (stmt->if_not_exists && stmt->idxname != NULL &&
		OidIsValid(get_relname_relid(stmt->idxname, get_rel_namespace(relid))))
		return;
	CompleteIndexColumns(stmt, relid, ext, queryString);
}

/*
 * The columns of MetaCompleteIndexStmt's statement, on table relid, for the
 * extension ext.
 */
static void
CompleteIndexColumns(IndexStmt *stmt, Oid relid, Oid ext, const char *queryString)
{
	ListCell   *lc;
	ListCell   *tc;
	bool		need_transform = false;
	int			nours = 0;
	bool		source = false;
	IndexStmt  *typed = stmt;
	Oid			amoid = get_index_am_oid(stmt->accessMethod, false);

	foreach(lc, stmt->indexParams)
	{
		IndexElem  *elem = (IndexElem *) lfirst(lc);

		need_transform |= elem->expr != NULL && elem->opclass == NIL;
	}
	/*
	 * An expression's type, and so its operator class, is known once
	 * transformed: a copy is, the statement itself is left to the command.
	 */
	if (need_transform)
		typed = transformIndexStmt(relid, copyObject(stmt), queryString);

	forboth(lc, stmt->indexParams, tc, typed->indexParams)
	{
		IndexElem  *elem = (IndexElem *) lfirst(lc);
		Oid			extschema = InvalidOid;
		char	   *opcname = NULL;
		Oid			opclass = KmerOpclassOf((IndexElem *) lfirst(tc), amoid, relid, typed->transformed, ext,
											&extschema, &opcname);
		AttrNumber	attnum = elem->name != NULL ? get_attnum(relid, elem->name) : InvalidAttrNumber;
		char	   *value;
		HighfreqId	src;

		if (!OidIsValid(opclass))
			continue;
		nours++;
		if (elem->opclass == NIL)
			elem->opclass = list_make2(makeString(get_namespace_name(extschema)), makeString(opcname));
		elem->opclassopts = WithOption(elem->opclassopts, "kmer_size", psprintf("%d", kmersearch_kmer_size));
		elem->opclassopts = WithOption(elem->opclassopts, "occur_bitlen", psprintf("%d", kmersearch_occur_bitlen));
		/* dna4 rows get their marker keys for searches by identity (gin.c) */
		elem->opclassopts = WithOption(elem->opclassopts, "unkeyed_windows", pstrdup("true"));
		value = OptionValue(elem->opclassopts, "highfreq_source");
		if (value == NULL)
		{
			/* explicit either way: a restore's settings must not add exclusion */
			value = kmersearch_preclude_highfreq_kmer ? SourceForNewIndex(extschema, relid, elem, attnum) : "";
			elem->opclassopts = WithOption(elem->opclassopts, "highfreq_source", value);
		}
		else if (HighfreqParseSource(value, &src) && OidIsValid(src.table_oid))
		{
			/* 1.0's table.attnum.time: the table's OID is not kept by a dump */
			elem->opclassopts = list_delete_ptr(elem->opclassopts, OptionElem(elem->opclassopts, "highfreq_source"));
			value = HighfreqSourceString(&src);
			elem->opclassopts = WithOption(elem->opclassopts, "highfreq_source", value);
		}
		source |= value[0] != '\0';
	}
	if (source && nours > 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("an index that leaves out high-frequency k-mers can have only one dna2/dna4 column"),
				 errhint("Create one index per column, or SET kmersearch.preclude_highfreq_kmer = off.")));
}

/*
 * ALTER TABLE ... RENAME COLUMN on table relid: the analyses and index rows
 * of the column (of the table and the tables that inherit the rename)
 * follow its new name.
 */
static void
RenameColumnMeta(RenameStmt *stmt, Oid relid, Oid extschema)
{
	List	   *rels;
	ListCell   *lc;
	const char *schema = quote_identifier(get_namespace_name(extschema));
	static const char *const tables[] = {
		"kmersearch_highfreq_kmer", "kmersearch_highfreq_kmer_meta",
		"kmersearch_gin_index_meta", "kmersearch_index_info"
	};

	if (stmt->renameType != OBJECT_COLUMN || stmt->relation == NULL || !OidIsValid(relid))
		return;
	rels = stmt->relation->inh ? find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);
	foreach(lc, rels)
	{
		Oid			types[3] = {OIDOID, NAMEOID, NAMEOID};
		Datum		args[3];
		int			i;

		args[0] = ObjectIdGetDatum(lfirst_oid(lc));
		args[1] = DirectFunctionCall1(namein, CStringGetDatum(stmt->subname));
		args[2] = DirectFunctionCall1(namein, CStringGetDatum(stmt->newname));
		for (i = 0; i < lengthof(tables); i++)
			MetaExecuteAsOwner(extschema,
							   psprintf("UPDATE %s.%s SET column_name = $3 "
										"WHERE table_oid OPERATOR(pg_catalog.=) $1 "
										"AND column_name OPERATOR(pg_catalog.=) $2", schema, tables[i]),
							   3, types, args, NULL);
	}
}

/*
 * An index's relcache entry keeps its operator class options, and the
 * support functions it has looked up with them, when the entry is rebuilt
 * (for an index only pg_class and pg_index are read again): after its
 * options change, both are dropped, so that the next use (the build) reads
 * them again.
 */
static void
ForgetCachedOptions(Relation index)
{
	index->rd_opcoptions = NULL;	/* in rd_indexcxt, freed with the entry */
	if (index->rd_supportinfo != NULL)
		MemSet(index->rd_supportinfo, 0,
			   sizeof(FmgrInfo) * index->rd_indam->amsupport * RelationGetNumberOfAttributes(index));
}

/*
 * Whether the ProcessUtility hook has seen no CREATE INDEX since the module
 * was loaded: the statement that loaded it (its build) was not completed.
 * A statement the hook sees (one it completed, or a copy of an index it
 * left as it is) ends that.
 */
static bool hook_missed = true;

/*
 * A CREATE INDEX that the ProcessUtility hook did not complete, because the
 * statement itself loaded the module (a session that had used nothing of
 * the extension yet): its kmersearch columns were built with the options'
 * constant defaults.  Where the session asks for other settings, the index
 * (with its partitions' indexes) takes them and is built again, so that
 * the first CREATE INDEX of a session follows its settings as every other
 * one does: unkeyed_windows among them, without which a dna4 index does not
 * serve searches by identity (a dna2 index, or one whose keys leave no
 * room for the markers, has none to add: it only takes the option).
 * CREATE INDEX CONCURRENTLY, which cannot be built again here, is refused.
 */
static void
CompleteAfterBuild(Oid indexoid, IndexStmt *stmt, Oid extschema)
{
	Oid			ext = get_extension_oid("pg_kmersearch", true);
	Oid			relid = IndexGetRelation(indexoid, true);
	IndexStmt  *full;
	Relation	index;
	ListCell   *lc;
	ListCell   *fc;
	int			c = 0;
	int			ncols;
	int		   *kmer_size;
	int		   *occur_bitlen;
	char	  **source;
	bool	   *unkeyed;
	bool		rebuild = false;
	bool		fix = false;
	Oid			dna4 = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("dna4"),
									   ObjectIdGetDatum(extschema));
	const char *built = NULL;
	List	   *all;
	List	   *rebuilt = NIL;
	oidvector  *indclass;
	bool		isnull;

	if (!hook_missed || !OidIsValid(ext) || !OidIsValid(relid) || IsBinaryUpgrade)
		return;
	index = index_open(indexoid, AccessShareLock);
	ncols = IndexRelationGetNumberOfKeyAttributes(index);

	/*
	 * The statement as the hook would have completed it.  Its kmersearch
	 * columns name their operator class as the index has it, qualified: the
	 * name the statement gave is looked up here with search_path pinned.
	 */
	full = copyObject(stmt);
	indclass = (oidvector *) DatumGetPointer(SysCacheGetAttr(INDEXRELID, index->rd_indextuple,
															 Anum_pg_index_indclass, &isnull));
	foreach(fc, full->indexParams)
	{
		IndexElem  *elem = (IndexElem *) lfirst(fc);

		if (c < ncols && IsKmerGinColumn(index, c, extschema))
		{
			HeapTuple	tup = SearchSysCache1(CLAOID, ObjectIdGetDatum(indclass->values[c]));

			if (!HeapTupleIsValid(tup))
				elog(ERROR, "cache lookup failed for operator class %u", indclass->values[c]);
			elem->opclass = list_make2(makeString(get_namespace_name(((Form_pg_opclass) GETSTRUCT(tup))->opcnamespace)),
									   makeString(pstrdup(NameStr(((Form_pg_opclass) GETSTRUCT(tup))->opcname))));
			ReleaseSysCache(tup);
		}
		c++;
	}
	c = 0;
	CompleteIndexColumns(full, relid, ext, NULL);

	kmer_size = palloc0(sizeof(int) * ncols);
	occur_bitlen = palloc0(sizeof(int) * ncols);
	source = palloc0(sizeof(char *) * ncols);
	unkeyed = palloc0(sizeof(bool) * ncols);
	forboth(lc, stmt->indexParams, fc, full->indexParams)
	{
		List	   *given = ((IndexElem *) lfirst(lc))->opclassopts;
		List	   *wanted = ((IndexElem *) lfirst(fc))->opclassopts;
		KmerGinOptions *o;
		const char *s;

		if (c >= ncols)
			break;
		if (IsKmerGinColumn(index, c, extschema) && list_length(wanted) != list_length(given))
		{
			o = (KmerGinOptions *) RelationGetIndexAttOptions(index, false)[c];
			s = GinOptionsSource(o);
			kmer_size[c] = pg_strtoint32(OptionValue(wanted, "kmer_size"));
			occur_bitlen[c] = pg_strtoint32(OptionValue(wanted, "occur_bitlen"));
			source[c] = OptionValue(wanted, "highfreq_source");
			unkeyed[c] = !o->unkeyed_windows && OptionValue(wanted, "unkeyed_windows") != NULL &&
				strcmp(OptionValue(wanted, "unkeyed_windows"), "true") == 0;
			fix = true;
			if (kmer_size[c] != o->kmer_size || occur_bitlen[c] != o->occur_bitlen ||
				strcmp(source[c], s ? s : "") != 0 ||
				(unkeyed[c] && index->rd_opcintype[c] == dna4 &&
				 GIN_KEYS_SPARE(kmer_size[c], occur_bitlen[c])))
			{
				rebuild = true;
				built = psprintf("kmer_size %d, occur_bitlen %d, highfreq_source '%s' and unkeyed_windows %s",
								 o->kmer_size, o->occur_bitlen, s ? s : "",
								 o->unkeyed_windows ? "on" : "off");
			}
		}
		c++;
	}
	index_close(index, AccessShareLock);
	if (!fix)
		return;
	if (rebuild && stmt->concurrent)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index \"%s\" was built without this session's kmersearch settings",
						get_rel_name(indexoid)),
				 errdetail("The statement loaded the pg_kmersearch module after the point where the session's "
						   "settings are written into CREATE INDEX, and the index got %s.", built),
				 errhint("Drop the index and run CREATE INDEX CONCURRENTLY again: the module is loaded now "
						 "(LOAD 'pg_kmersearch' loads it beforehand).")));

	/*
	 * The index and its partitions' indexes, made by this command with the
	 * same missing options; a partition's index that existed and was
	 * attached has its own (only those it lacks are written).  Each one
	 * whose definition then says other than what it was built with is
	 * built again: other settings, or unkeyed_windows where a dna4 column's
	 * keys have room for the markers.
	 */
	all = find_all_inheritors(indexoid, AccessShareLock, NULL);
	foreach(lc, all)
	{
		Relation	ix = index_open(lfirst_oid(lc), AccessShareLock);
		bool		again = false;

		for (c = 0; c < ncols && c < IndexRelationGetNumberOfKeyAttributes(ix); c++)
		{
			KmerGinOptions *o;
			int			was_k,
						was_b;
			bool		was_unkeyed;
			const char *was_source;

			if (source[c] == NULL)
				continue;
			o = (KmerGinOptions *) RelationGetIndexAttOptions(ix, false)[c];
			was_k = o->kmer_size;
			was_b = o->occur_bitlen;
			was_unkeyed = o->unkeyed_windows;
			was_source = pstrdup(GinOptionsSource(o) ? GinOptionsSource(o) : "");
			if (!FixIndexOptions(ix, c, kmer_size[c], occur_bitlen[c], source[c], unkeyed[c]))
				continue;
			ForgetCachedOptions(ix);
			o = (KmerGinOptions *) RelationGetIndexAttOptions(ix, false)[c];
			again |= o->kmer_size != was_k || o->occur_bitlen != was_b ||
				strcmp(GinOptionsSource(o) ? GinOptionsSource(o) : "", was_source) != 0 ||
				(o->unkeyed_windows && !was_unkeyed && ix->rd_opcintype[c] == dna4 &&
				 GIN_KEYS_SPARE(o->kmer_size, o->occur_bitlen));
		}
		if (again && ix->rd_rel->relkind == RELKIND_INDEX)
			rebuilt = lappend_oid(rebuilt, RelationGetRelid(ix));
		index_close(ix, AccessShareLock);
	}
	foreach(lc, rebuilt)
	{
		ReindexParams params = {0};

		KmerReindexIndex(lfirst_oid(lc), get_rel_persistence(lfirst_oid(lc)), &params);
	}
	CommandCounterIncrement();
}

/*
 * kmersearch_record_ddl(): called by the ddl_command_end event trigger
 * (kmersearch_ddl_command_end() in PL/pgSQL, which calls it only for
 * commands on kmersearch indexes, on tables having them, and on analysed
 * tables, so that no other DDL loads the module).  The indexes to record
 * are those the command created, and for commands on tables (ALTER TABLE
 * rebuilding indexes, CREATE TABLE ... LIKE, PARTITION OF) every index of
 * those tables; partitioned indexes bring their partitions' indexes.  An
 * index already recorded keeps its rows (an ALTER TABLE that rebuilds an
 * index makes a new one, with a new OID).  Outside an event trigger,
 * pg_event_trigger_ddl_commands() refuses.
 */
static void
RecordDdl(Oid extschema)
{
	List	   *indexes = NIL;
	List	   *created = NIL;
	ListCell   *lc;
	uint64		i;
	uint64		ncmds;
	SPITupleTable *cmds;
	int			save_nestlevel;

	/* nothing the user defines is looked up along the way */
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	SPI_connect();
	if (SPI_execute("SELECT c.objid, c.object_type, c.command "
					"FROM pg_catalog.pg_event_trigger_ddl_commands() c "
					"WHERE c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the event trigger's commands");
	cmds = SPI_tuptable;
	ncmds = SPI_processed;
	for (i = 0; i < ncmds; i++)
	{
		bool		isnull;
		Oid			objid = DatumGetObjectId(SPI_getbinval(cmds->vals[i], cmds->tupdesc, 1, &isnull));
		char	   *type = SPI_getvalue(cmds->vals[i], cmds->tupdesc, 2);
		CollectedCommand *cmd = (CollectedCommand *) DatumGetPointer(SPI_getbinval(cmds->vals[i], cmds->tupdesc, 3, &isnull));
		Node	   *parsetree = cmd != NULL ? cmd->parsetree : NULL;

		CHECK_FOR_INTERRUPTS();
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(objid)))
			continue;
		if (strcmp(type, "index") == 0)
		{
			List	   *these;

			these = find_all_inheritors(objid, AccessShareLock, NULL);
			indexes = list_concat(indexes, these);
			/* an index this command made (not ALTER INDEX) */
			if (parsetree != NULL && IsA(parsetree, IndexStmt))
			{
				CompleteAfterBuild(objid, (IndexStmt *) parsetree, extschema);
				created = list_concat(created, these);
			}
		}
		else if (strcmp(type, "table") == 0 || strcmp(type, "materialized view") == 0)
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
		else if (parsetree != NULL && IsA(parsetree, RenameStmt))
			RenameColumnMeta((RenameStmt *) parsetree, objid, extschema);
	}
	indexes = list_concat_unique_oid(NIL, indexes);
	foreach(lc, indexes)
	{
		CHECK_FOR_INTERRUPTS();
		RecordIndex(lfirst_oid(lc), extschema, list_member_oid(created, lfirst_oid(lc)));
	}
	SPI_finish();
	AtEOXact_GUC(false, save_nestlevel);
}

/*
 * Forget dropped indexes, and the analyses of dropped tables and columns
 * (in a sql_drop event trigger).
 */
static void
ForgetDropped(Oid extschema)
{
	const char *schema;

	if (!OidIsValid(get_relname_relid("kmersearch_gin_index_meta", extschema)))
		return;					/* DROP EXTENSION */
	schema = quote_identifier(get_namespace_name(extschema));
	SPI_connect();
	MetaExecuteAsOwner(extschema,
				   psprintf("WITH d AS (SELECT objid FROM pg_catalog.pg_event_trigger_dropped_objects() "
							"WHERE classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
							"AND object_type OPERATOR(pg_catalog.=) 'index'), "
							"x AS (DELETE FROM %s.kmersearch_gin_index_meta WHERE index_oid IN (SELECT objid FROM d)), "
							"y AS (DELETE FROM %s.kmersearch_index_info WHERE index_oid IN (SELECT objid FROM d)), "
							/* analyses of dropped tables and columns */
							"t AS (SELECT objid, objsubid, address_names FROM pg_catalog.pg_event_trigger_dropped_objects() "
							"WHERE classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
							"AND object_type OPERATOR(pg_catalog.=) ANY ('{table,\"materialized view\",\"table column\",\"materialized view column\"}')), "
							"z AS (DELETE FROM %s.kmersearch_highfreq_kmer_meta m USING t "
							"WHERE m.table_oid OPERATOR(pg_catalog.=) t.objid AND (t.objsubid OPERATOR(pg_catalog.=) 0 "
							"OR m.column_name::pg_catalog.text OPERATOR(pg_catalog.=) t.address_names[3])) "
							"DELETE FROM %s.kmersearch_highfreq_kmer h USING t "
							"WHERE h.table_oid OPERATOR(pg_catalog.=) t.objid AND (t.objsubid OPERATOR(pg_catalog.=) 0 "
							"OR h.column_name::pg_catalog.text OPERATOR(pg_catalog.=) t.address_names[3])",
							schema, schema, schema, schema),
				   0, NULL, NULL, NULL);
	SPI_finish();
}

/*
 * kmersearch_forget_dropped(): called by the sql_drop event trigger
 * (kmersearch_sql_drop() in PL/pgSQL, which calls it only when a dropped
 * object is a recorded index or an analysed table).  Outside a sql_drop
 * trigger, pg_event_trigger_dropped_objects() refuses.
 */
PG_FUNCTION_INFO_V1(kmersearch_forget_dropped);
Datum
kmersearch_forget_dropped(PG_FUNCTION_ARGS)
{
	ForgetDropped(get_func_namespace(fcinfo->flinfo->fn_oid));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(kmersearch_record_ddl);
Datum
kmersearch_record_ddl(PG_FUNCTION_ARGS)
{
	/* the extension's schema is where this function lives */
	RecordDdl(get_func_namespace(fcinfo->flinfo->fn_oid));
	PG_RETURN_VOID();
}

/*
 * The event trigger functions of 1.0, which a 1.0 database calls from the
 * time this module is installed until ALTER EXTENSION pg_kmersearch UPDATE
 * replaces them (and its triggers) with those of 1.1.  ddl_command_start
 * completes a CREATE INDEX as the hook does; the other two do what 1.1's
 * do, for every command.
 */
PG_FUNCTION_INFO_V1(kmersearch_ddl_command_start);
Datum
kmersearch_ddl_command_start(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("kmersearch_ddl_command_start() must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (IsA(trigdata->parsetree, IndexStmt))
	{
		/* what is added to the statement must outlive the trigger's own context */
		MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(trigdata->parsetree));

		MetaCompleteIndexStmt((IndexStmt *) trigdata->parsetree, NULL);
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(kmersearch_ddl_command_end);
Datum
kmersearch_ddl_command_end(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("kmersearch_ddl_command_end() must be called as an event trigger")));
	RecordDdl(get_func_namespace(fcinfo->flinfo->fn_oid));
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(kmersearch_sql_drop);
Datum
kmersearch_sql_drop(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("kmersearch_sql_drop() must be called as an event trigger")));
	ForgetDropped(get_func_namespace(fcinfo->flinfo->fn_oid));
	PG_RETURN_NULL();
}

/*
 * Every CREATE INDEX, at any level (a function's EXECUTE too), is completed
 * here while the module is loaded, whether or not event triggers fire
 * (session_replication_role = replica, a disabled trigger, event_triggers =
 * off, single-user mode).
 */
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

static void
MetaProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
				   ProcessUtilityContext context, ParamListInfo params,
				   QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (IsA(pstmt->utilityStmt, IndexStmt))
	{
		hook_missed = false;
		if (readOnlyTree)
		{
			pstmt = copyObject(pstmt);
			readOnlyTree = false;
		}
		MetaCompleteIndexStmt((IndexStmt *) pstmt->utilityStmt, queryString);
	}
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

void
MetaInstallHooks(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = MetaProcessUtility;
}
