/*
 * highfreq_target.c
 *		The table column a high-frequency k-mer function is called on: found
 *		by name or number, and checked against what the caller may do with it
 *		before it is locked.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "highfreq_target.h"
#include "index_meta.h"
#include "kmersearch.h"

static bool
AllDigits(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/*
 * Refuse a role the access to a table before anything is locked, so that
 * a role that could not lock the table by hand cannot hold or wait for its
 * lock through these functions.  For TARGET_READ the column is checked
 * again, exactly, once it is known (RequireSelect).
 */
static void
CheckTargetAccess(Oid relid, TargetAccess access)
{
	char		relkind = get_rel_relkind(relid);
	AclResult	r = ACLCHECK_OK;

	if (relkind == '\0')
		return;					/* dropped meanwhile: the lookup will say so */
	if (access == TARGET_OWNER && !object_ownercheck(RelationRelationId, relid, GetUserId()))
		r = ACLCHECK_NOT_OWNER;
	else if (access == TARGET_READ &&
			 pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
			 pg_attribute_aclcheck_all(relid, GetUserId(), ACL_SELECT, ACLMASK_ANY) != ACLCHECK_OK)
		r = ACLCHECK_NO_PRIV;
	if (r != ACLCHECK_OK)
		aclcheck_error(r, get_relkind_objtype(relkind), get_rel_name(relid));
}

/* RangeVarGetRelidExtended's callback: the check before the lock */
static void
TargetAccessCallback(const RangeVar *relation, Oid relid, Oid oldrelid, void *arg)
{
	if (OidIsValid(relid))
		CheckTargetAccess(relid, *(TargetAccess *) arg);
}

/*
 * A table given by (schema-qualified) name or OID, and one of its dna2/dna4
 * columns by name or number.  The table is locked in lockmode once the
 * current role is found to have the access (TARGET_NAME_ONLY: give NoLock).
 */
void
HighfreqResolveTarget(text *table, text *column, Oid extschema, TargetAccess access, LOCKMODE lockmode,
			  Target *t)
{
	char	   *tname = text_to_cstring(table);
	char	   *cname = text_to_cstring(column);
	char	   *nspname,
			   *relname,
			   *shown;
	char		relkind;
	Oid			typid;

	Assert(access != TARGET_NAME_ONLY || lockmode == NoLock);
	if (AllDigits(tname))
	{
		/* unsigned long long: an unsigned long saturates at 2^32 - 1 on 32-bit */
		unsigned long long v = strtoull(tname, NULL, 10);

		t->relid = (Oid) v;
		if (v > PG_UINT32_MAX || !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(t->relid)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation with OID %s does not exist", tname)));
		CheckTargetAccess(t->relid, access);
		if (lockmode != NoLock)
			LockRelationOid(t->relid, lockmode);
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(t->relid)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation with OID %s does not exist", tname)));
		/* again under the lock: the owner or the grants may have changed */
		CheckTargetAccess(t->relid, access);
	}
	else
		t->relid = RangeVarGetRelidExtended(makeRangeVarFromNameList(textToQualifiedNameList(table)),
											lockmode, 0, TargetAccessCallback, &access);

	/*
	 * Without a lock (cache frees) the table may be dropped meanwhile: its
	 * names are read once, and a missing one means it is gone.
	 */
	nspname = get_namespace_name(get_rel_namespace(t->relid));
	relname = get_rel_name(t->relid);
	if (nspname == NULL || relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", tname)));
	t->relname = quote_qualified_identifier(nspname, relname);
	/* in double quotes, as PostgreSQL's own messages name relations */
	shown = psprintf("%s.%s", nspname, relname);
	relkind = get_rel_relkind(t->relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW &&
		relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or materialized view", shown)));

	if (AllDigits(cname))
	{
		long		v = strtol(cname, NULL, 10);

		t->attnum = (v >= 1 && v <= MaxAttrNumber) ? (AttrNumber) v : InvalidAttrNumber;
		t->column = t->attnum != InvalidAttrNumber ? get_attname(t->relid, t->attnum, true) : NULL;
		if (t->column == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column number %s of relation \"%s\" does not exist", cname, shown)));
	}
	else
	{
		t->attnum = get_attnum(t->relid, cname);
		if (t->attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist", cname, shown)));
		if (t->attnum < 0)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("column \"%s\" is a system column", cname)));
		t->column = pstrdup(cname);
	}
	typid = get_atttype(t->relid, t->attnum);
	if (typid == GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("dna2"),
								 ObjectIdGetDatum(extschema)))
		t->kind = DNA_KIND_2;
	else if (typid == GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("dna4"),
									  ObjectIdGetDatum(extschema)))
		t->kind = DNA_KIND_4;
	else
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of relation \"%s\" is of type %s, not dna2 or dna4",
						t->column, shown, format_type_be(typid))));
}

void
HighfreqRequireSelect(const Target *t)
{
	AclResult	r = pg_attribute_aclcheck(t->relid, t->attnum, GetUserId(), ACL_SELECT);

	if (r != ACLCHECK_OK)
		r = pg_class_aclcheck(t->relid, GetUserId(), ACL_SELECT);
	if (r != ACLCHECK_OK)
		aclcheck_error(r, get_relkind_objtype(get_rel_relkind(t->relid)), get_rel_name(t->relid));
}

/*
 * An analysis must not change under an index built without its k-mers:
 * such indexes are named, to be dropped first.
 */
void
HighfreqRefuseIfIndexed(Oid extschema, const Target *t, const char *action)
{
	char	   *names = MetaFilteredIndexes(extschema, t->relid, t->attnum);

	if (names != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot %s the high-frequency k-mer analysis of %s.%s", action, t->relname,
						quote_identifier(t->column)),
				 errdetail("These indexes were built without its k-mers: %s.", names),
				 errhint("Drop them first; create them again afterwards.")));
}
