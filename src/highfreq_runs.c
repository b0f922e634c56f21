/*
 * highfreq_runs.c
 *		Runs of k-mer counts: written sorted by the participants of an
 *		analysis into one SharedFileSet, merged by the leader a group of at
 *		most MERGE_FANIN at a time.
 */
#include "postgres.h"

#include <fcntl.h>

#include "lib/binaryheap.h"
#include "miscadmin.h"

#include "highfreq_runs.h"

/*
 * a run record: a k-mer and the rows counted for it; 64 bits, since runs
 * merged add up counts of any number of rows
 */
typedef struct RunRecord
{
	uint64		kmer;
	uint64		nrow;
} RunRecord;

static void
RunName(char *buf, uint32 n)
{
	snprintf(buf, MAXPGPATH, "kmersearch-run-%u", n);
}

void
KmerRunsInit(KmerRuns *runs, dsm_segment *seg)
{
	pg_atomic_init_u32(&runs->nruns, 0);
	SharedFileSetInit(&runs->fileset, seg);
}

void
KmerRunsAttach(KmerRuns *runs, dsm_segment *seg)
{
	SharedFileSetAttach(&runs->fileset, seg);
}

uint32
KmerRunsCount(KmerRuns *runs)
{
	return pg_atomic_read_u32(&runs->nruns);
}

BufFile *
KmerRunCreate(KmerRuns *runs)
{
	char		name[MAXPGPATH];

	RunName(name, pg_atomic_fetch_add_u32(&runs->nruns, 1));
	return BufFileCreateFileSet(&runs->fileset.fs, name);
}

void
KmerRunWrite(BufFile *f, uint64 kmer, uint64 nrow)
{
	BufFileWrite(f, &kmer, sizeof(uint64));
	BufFileWrite(f, &nrow, sizeof(uint64));
}

bool
KmerRunRead(BufFile *f, uint64 *kmer, uint64 *nrow)
{
	size_t		a = BufFileRead(f, kmer, sizeof(uint64));

	if (a == 0)
		return false;
	if (a != sizeof(uint64) || BufFileRead(f, nrow, sizeof(uint64)) != sizeof(uint64))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read a k-mer count from a temporary file")));
	return true;
}

void
KmerRunsDeleteAll(KmerRuns *runs)
{
	SharedFileSetDeleteAll(&runs->fileset);
}

typedef struct RunReader
{
	BufFile    *file;
	RunRecord	cur;
} RunReader;

static bool
RunNext(RunReader *r)
{
	return KmerRunRead(r->file, &r->cur.kmer, &r->cur.nrow);
}

/* binaryheap keeps the greatest first: order readers by descending k-mer */
static int
RunCompare(Datum a, Datum b, void *arg)
{
	RunReader  *readers = (RunReader *) arg;
	uint64		x = readers[DatumGetInt32(a)].cur.kmer;
	uint64		y = readers[DatumGetInt32(b)].cur.kmer;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* runs merged at once: each open run holds a buffer (BLCKSZ) and a file */
#define MERGE_FANIN 64

/*
 * The fewest rows a k-mer is in to be over the limits: in more than rate of
 * total_rows (more than 0) rows, or in more than nrow_limit rows when that is
 * above 0; PG_UINT64_MAX when no count is.
 *
 * The fraction n / total_rows grows with n, also as the division in doubles
 * rounds it, so the least n over the rate is found by bisection, once: the
 * merge then compares integers, and has no floating point in its loop.  Each
 * fraction is stored as a double before the comparison, so that x87 (32-bit
 * x86) extended precision cannot count a k-mer in exactly 30% of the rows as
 * over a rate of 0.3 when SSE2 does not.
 */
static uint64
MinRowsOverLimits(double rate, int nrow_limit, uint64 total_rows)
{
	uint64		lo = 0,
				hi = total_rows + 1;	/* total_rows + 1: no count is */

	while (lo < hi)
	{
		uint64		mid = lo + (hi - lo) / 2;
		volatile double frac = (double) mid / (double) total_rows;

		if (frac > rate)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo > total_rows)
		lo = PG_UINT64_MAX;
	if (nrow_limit > 0)
		lo = Min(lo, (uint64) nrow_limit + 1);
	return lo;
}

/*
 * Merge runs first .. first + n - 1, adding each k-mer's counts, into out
 * (as run records): every k-mer, or with final only those in min_nrow rows
 * or more.  Returns how many k-mers it wrote.
 */
static int64
MergeGroup(KmerRuns *runs, uint32 first, uint32 n, BufFile *out, bool final,
		   uint64 min_nrow)
{
	RunReader  *readers = palloc0(Max(n, 1) * sizeof(RunReader));
	binaryheap *heap = binaryheap_allocate(Max(n, 1), RunCompare, readers);
	uint32		i;
	int64		nout = 0;
	uint64		steps = 0;
	bool		have = false;
	RunRecord	acc = {0, 0};

	for (i = 0; i < n; i++)
	{
		char		name[MAXPGPATH];

		RunName(name, first + i);
		readers[i].file = BufFileOpenFileSet(&runs->fileset.fs, name, O_RDONLY, false);
		if (RunNext(&readers[i]))
			binaryheap_add_unordered(heap, Int32GetDatum((int32) i));
	}
	binaryheap_build(heap);

	for (;;)
	{
		bool		more = !binaryheap_empty(heap);
		RunReader  *r = more ? &readers[DatumGetInt32(binaryheap_first(heap))] : NULL;

		if ((++steps & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (have && (!more || r->cur.kmer != acc.kmer))
		{
			/* acc is complete */
			if (!final || acc.nrow >= min_nrow)
			{
				KmerRunWrite(out, acc.kmer, acc.nrow);
				nout++;
			}
			have = false;
		}
		if (!more)
			break;
		if (!have)
		{
			acc.kmer = r->cur.kmer;
			acc.nrow = 0;
			have = true;
		}
		acc.nrow += r->cur.nrow;
		if (RunNext(r))
			binaryheap_replace_first(heap, binaryheap_first(heap));
		else
			(void) binaryheap_remove_first(heap);
	}
	for (i = 0; i < n; i++)
	{
		char		name[MAXPGPATH];

		BufFileClose(readers[i].file);
		RunName(name, first + i);
		BufFileDeleteFileSet(&runs->fileset.fs, name, false);
	}
	binaryheap_free(heap);
	pfree(readers);
	return nout;
}

int64
KmerRunsMerge(KmerRuns *runs, double rate, int nrow_limit, uint64 total_rows, BufFile *out)
{
	uint32		lo = 0,
				hi = pg_atomic_read_u32(&runs->nruns);
	uint64		min_nrow = MinRowsOverLimits(rate, nrow_limit, total_rows);

	/*
	 * With more than MERGE_FANIN runs, groups of them are first merged into
	 * new runs, so that memory and open files stay bounded.
	 */
	while (hi - lo > MERGE_FANIN)
	{
		BufFile    *f = KmerRunCreate(runs);

		(void) MergeGroup(runs, lo, MERGE_FANIN, f, false, min_nrow);
		BufFileClose(f);
		lo += MERGE_FANIN;
		hi = pg_atomic_read_u32(&runs->nruns);
	}
	return MergeGroup(runs, lo, hi - lo, out, true, min_nrow);
}
