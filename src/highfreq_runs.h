/*
 * highfreq_runs.h
 *		Runs of k-mer counts: files of (k-mer, rows) records sorted by k-mer,
 *		written by the participants of an analysis into one SharedFileSet and
 *		merged by its leader (highfreq*.c only).
 */
#ifndef KMERSEARCH_HIGHFREQ_RUNS_H
#define KMERSEARCH_HIGHFREQ_RUNS_H

#include "postgres.h"

#include "port/atomics.h"
#include "storage/buffile.h"
#include "storage/dsm.h"
#include "storage/sharedfileset.h"

/* The runs of an analysis, in its shared memory. */
typedef struct KmerRuns
{
	pg_atomic_uint32 nruns;		/* runs created */
	SharedFileSet fileset;
} KmerRuns;

/* The leader, in the segment it shares; a participant, once attached. */
extern void KmerRunsInit(KmerRuns *runs, dsm_segment *seg);
extern void KmerRunsAttach(KmerRuns *runs, dsm_segment *seg);
extern uint32 KmerRunsCount(KmerRuns *runs);

/* A new run, written in ascending k-mer order, then BufFileClose()d. */
extern BufFile *KmerRunCreate(KmerRuns *runs);
extern void KmerRunWrite(BufFile *f, uint64 kmer, uint64 nrow);

/*
 * The next record of a file of records (a run, or what KmerRunsMerge
 * writes); false at its end.  Errors on a record cut short.
 */
extern bool KmerRunRead(BufFile *f, uint64 *kmer, uint64 *nrow);

/*
 * Merge every run, adding each k-mer's counts, and write to out the
 * records of the k-mers over the limits: in more than rate of total_rows
 * rows, or (nrow_limit > 0) in more than nrow_limit rows.  Returns how many.
 * The runs merged are deleted.
 */
extern int64 KmerRunsMerge(KmerRuns *runs, double rate, int nrow_limit, uint64 total_rows,
						   BufFile *out);

/* Delete whatever runs are left (on error, when no DSM segment does it). */
extern void KmerRunsDeleteAll(KmerRuns *runs);

#endif							/* KMERSEARCH_HIGHFREQ_RUNS_H */
