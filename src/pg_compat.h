/*
 * pg_compat.h
 *		Small shims over differences between supported PostgreSQL versions.
 */
#ifndef KMERSEARCH_PG_COMPAT_H
#define KMERSEARCH_PG_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "pg_kmersearch requires PostgreSQL 15 or later"
#endif

/*
 * The module is built with hidden symbol visibility: only what PostgreSQL
 * looks up by name (the SQL functions and their pg_finfo_ records, the
 * magic block, _PG_init, the parallel worker's entry) is exported, marked
 * PGDLLEXPORT.  From 16 on c.h makes that mark visibility("default") and
 * PG_FUNCTION_INFO_V1 puts it on the function too; before, the mark is
 * empty on ELF platforms and only the pg_finfo_ record gets it, and both
 * are done here as 16 does them.
 */
#if PG_VERSION_NUM < 160000 && !defined(WIN32) && defined(__GNUC__)
#include "fmgr.h"
#undef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#undef PG_FUNCTION_INFO_V1
#define PG_FUNCTION_INFO_V1(funcname) \
extern PGDLLEXPORT Datum funcname(PG_FUNCTION_ARGS); \
extern PGDLLEXPORT const Pg_finfo_record * CppConcat(pg_finfo_,funcname)(void); \
const Pg_finfo_record * \
CppConcat(pg_finfo_,funcname) (void) \
{ \
	static const Pg_finfo_record my_finfo = { 1 }; \
	return &my_finfo; \
} \
extern int no_such_variable
#endif

/* varatt.h split out of postgres.h in 16 */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * pg_class_ownercheck() went away in 16 for object_ownercheck(classid, ...);
 * the code uses the new name, with pg_class's OID only.
 */
#if PG_VERSION_NUM < 160000
#include "catalog/pg_class.h"
#include "utils/acl.h"
static inline bool
object_ownercheck(Oid classid, Oid objectid, Oid roleid)
{
	Assert(classid == RelationRelationId);
	return pg_class_ownercheck(objectid, roleid);
}
#endif

/* RelationGetPrimaryKeyIndex() takes deferrable_ok from 18 on */
#if PG_VERSION_NUM >= 180000
#define KmerPrimaryKeyIndex(rel) RelationGetPrimaryKeyIndex((rel), false)
#else
#define KmerPrimaryKeyIndex(rel) RelationGetPrimaryKeyIndex(rel)
#endif

/* vacuum_delay_point() tells whether it is ANALYZE's from 18 on */
#if PG_VERSION_NUM >= 180000
#define KmerVacuumDelayPoint() vacuum_delay_point(false)
#else
#define KmerVacuumDelayPoint() vacuum_delay_point()
#endif

/* pg_attribute_noreturn() became pg_noreturn (placed first) in 18 */
#if PG_VERSION_NUM < 180000
#define pg_noreturn pg_attribute_noreturn()
#endif

/* reindex_index() takes the REINDEX statement first from 17 on (NULL: none) */
#if PG_VERSION_NUM >= 170000
#define KmerReindexIndex(indexId, persistence, params) \
	reindex_index(NULL, (indexId), false, (persistence), (params))
#else
#define KmerReindexIndex(indexId, persistence, params) \
	reindex_index((indexId), false, (persistence), (params))
#endif

#endif							/* KMERSEARCH_PG_COMPAT_H */
