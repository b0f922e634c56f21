/*
 * highfreq_target.h
 *		The table column a high-frequency k-mer function is called on, and
 *		what the caller must be allowed to do with it (highfreq*.c only).
 */
#ifndef KMERSEARCH_HIGHFREQ_TARGET_H
#define KMERSEARCH_HIGHFREQ_TARGET_H

#include "postgres.h"

#include "storage/lockdefs.h"

#include "dna.h"

typedef struct Target
{
	Oid			relid;
	AttrNumber	attnum;
	char	   *relname;		/* for messages, qualified when needed */
	char	   *column;
	DnaKind		kind;
} Target;

/* What a caller must be allowed to do with a target table. */
typedef enum TargetAccess
{
	TARGET_OWNER,				/* own it: analyses */
	TARGET_READ,				/* read it, or some of its columns: caches */
	TARGET_NAME_ONLY,			/* nothing: it is only named (cache frees) */
} TargetAccess;

/*
 * A table given by (schema-qualified) name or OID, and one of its dna2/dna4
 * columns by name or number.  The table is locked in lockmode once the
 * current role is found to have the access (TARGET_NAME_ONLY: give NoLock).
 */
extern void HighfreqResolveTarget(text *table, text *column, Oid extschema, TargetAccess access,
								  LOCKMODE lockmode, Target *t);

/* Errors unless the current role may read the target column. */
extern void HighfreqRequireSelect(const Target *t);

/*
 * An analysis must not change under an index built without its k-mers:
 * errors naming such indexes, to be dropped first.
 */
extern void HighfreqRefuseIfIndexed(Oid extschema, const Target *t, const char *action);

#endif							/* KMERSEARCH_HIGHFREQ_TARGET_H */
