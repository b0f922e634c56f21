/*
 * highfreq_set.h
 *		Inside the high-frequency k-mer code (highfreq*.c only): what a set
 *		is, and reading analyses from the extension's tables into sets.
 */
#ifndef KMERSEARCH_HIGHFREQ_SET_H
#define KMERSEARCH_HIGHFREQ_SET_H

#include "postgres.h"

#include "lib/dshash.h"

#include "highfreq.h"

struct kmerset_hash;				/* highfreq.c's simplehash of k-mers */

/* An analysis's k-mers: in backend memory, or in a parallel cache. */
struct HighfreqSet
{
	HighfreqId	id;
	HighfreqParams params;
	int64		count;
	MemoryContext cxt;			/* holds the set (backend sets) */
	struct kmerset_hash *local; /* a backend set, or */
	dshash_table *shared;		/* the parallel cache */
};

/* the memory context the sets and caches of this backend live under */
extern MemoryContext HighfreqContext(void);

/* Read an analysis's k-mers into a backend set (in its own context). */
extern HighfreqSet *HighfreqLoadSet(Oid extschema, const HighfreqId *id,
									const HighfreqParams *params, bool latest);

/* Free a backend set (NULL: nothing). */
extern void HighfreqSetFree(HighfreqSet *set);

/*
 * Call fn for each k-mer of a backend set, checking for interrupts every
 * kmersearch.highfreq_kmer_cache_load_batch_size k-mers; returns how many.
 */
extern int64 HighfreqSetIterate(const HighfreqSet *set, void (*fn) (uint64 kmer, void *arg),
								void *arg);

/*
 * Every analysis matching the session's settings that the current role may
 * read: how many, and the first.
 */
extern int	HighfreqFindSessionAnalyses(Oid extschema, HighfreqId *first, HighfreqParams *params);

#endif							/* KMERSEARCH_HIGHFREQ_SET_H */
