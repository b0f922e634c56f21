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

/* pg_attribute_noreturn() became pg_noreturn (placed first) in 18 */
#if PG_VERSION_NUM < 180000
#define pg_noreturn pg_attribute_noreturn()
#endif

#endif							/* KMERSEARCH_PG_COMPAT_H */
