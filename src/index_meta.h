/*
 * index_meta.h
 *		What kmersearch GIN indexes remember (index_meta.c).
 */
#ifndef KMERSEARCH_INDEX_META_H
#define KMERSEARCH_INDEX_META_H

#include "postgres.h"

#include "nodes/parsenodes.h"

/*
 * Run SQL as the extension's owner with search_path pinned (the caller has
 * connected to SPI); returns SPI_processed, with SPI_tuptable set.
 */
extern uint64 MetaExecuteAsOwner(Oid extschema, const char *sql, int nargs, Oid *argtypes,
								 Datum *args, const char *nulls);

/*
 * Write the session's settings (kmer_size, occur_bitlen, and with
 * kmersearch.preclude_highfreq_kmer on the analysis to leave out) into a
 * CREATE INDEX's kmersearch columns before it runs.
 */
extern void MetaCompleteIndexStmt(IndexStmt *stmt, const char *queryString);

/* module.c: install the ProcessUtility hook that calls it */
extern void MetaInstallHooks(void);

/* The indexes built without the k-mers of a column's analysis, or NULL. */
extern char *MetaFilteredIndexes(Oid extschema, Oid table_oid, AttrNumber attnum);

#endif							/* KMERSEARCH_INDEX_META_H */
