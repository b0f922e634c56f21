/*
 * index_meta.h
 *		What kmersearch GIN indexes remember (index_meta.c).
 */
#ifndef KMERSEARCH_INDEX_META_H
#define KMERSEARCH_INDEX_META_H

#include "postgres.h"

/*
 * Run SQL as the extension's owner with search_path pinned (the caller has
 * connected to SPI); returns SPI_processed, with SPI_tuptable set.
 */
extern uint64 MetaExecuteAsOwner(Oid extschema, const char *sql, int nargs, Oid *argtypes,
								 Datum *args, const char *nulls);

/*
 * The highfreq_source of the index the current CREATE INDEX builds without
 * high-frequency k-mers (kmersearch.preclude_highfreq_kmer was on), or NULL.
 */
extern const char *MetaBuildSource(void);

/* The indexes built without the k-mers of a column's analysis, or NULL. */
extern char *MetaFilteredIndexes(Oid extschema, Oid table_oid, AttrNumber attnum);

#endif							/* KMERSEARCH_INDEX_META_H */
