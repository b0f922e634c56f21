/*
 * kmer.c
 *		Collecting and counting the k-mers of packed sequences.
 *
 * The window walk itself is KmerForEach in kmer.h, inlined into its callers.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "kmer.h"
#include "kmersearch.h"

const int8	KmerDna4Code[16] = {-1, 0, 1, -1, 2, -1, -1, -1, 3, -1, -1, -1, -1, -1, -1, -1};

#define ST_SORT sort_kmers
#define ST_CHECK_FOR_INTERRUPTS
#define ST_ELEMENT_TYPE uint64
#define ST_COMPARE(a, b) (*(a) < *(b) ? -1 : *(a) > *(b) ? 1 : 0)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

typedef struct KmerBuffer
{
	uint64	   *items;
	size_t	   *ends;			/* each k-mer's window (KmerCollectWindows), or NULL */
	size_t		n;
	size_t		cap;
} KmerBuffer;

/* the most k-mers one array can hold */
#define KMER_BUFFER_MAX (MaxAllocHugeSize / sizeof(uint64))

/*
 * Make room for more k-mers: twice as many, up to the most one allocation
 * holds; past that, an error.  The new capacity is worked out in uint64, so
 * that doubling cannot wrap a 32-bit size_t.
 */
static pg_noinline void
KmerBufferGrow(KmerBuffer *buf)
{
	uint64		cap = Min((uint64) buf->cap * 2, (uint64) KMER_BUFFER_MAX);

	if (cap <= buf->cap)
		cap = (uint64) buf->cap + 1;	/* over the limit: an error below */
	buf->items = repalloc_huge(buf->items,
							   KmersearchArrayBytes(cap, sizeof(uint64), MaxAllocHugeSize, "k-mers"));
	if (buf->ends != NULL)
		buf->ends = repalloc_huge(buf->ends,
								  KmersearchArrayBytes(cap, sizeof(size_t), MaxAllocHugeSize, "k-mers"));
	buf->cap = (size_t) cap;
}

static inline void
KmerBufferAdd(uint64 kmer, size_t end, void *arg)
{
	KmerBuffer *buf = (KmerBuffer *) arg;

	if (unlikely(buf->n == buf->cap))
		KmerBufferGrow(buf);
	buf->items[buf->n++] = kmer;
}

static inline void
KmerBufferAddWithEnd(uint64 kmer, size_t end, void *arg)
{
	KmerBuffer *buf = (KmerBuffer *) arg;

	if (unlikely(buf->n == buf->cap))
		KmerBufferGrow(buf);
	buf->ends[buf->n] = end;
	buf->items[buf->n++] = kmer;
}

/*
 * Every k-mer of a sequence, in window order, expansions included, in a
 * palloc'd array of *nkmers entries (NULL when there are none); with ends,
 * also each one's window (KmerSink's end) in *ends.
 */
static uint64 *
KmerCollectInternal(const uint8 *data, size_t nbases, DnaKind kind, int k, size_t *nkmers,
					size_t **ends)
{
	KmerBuffer	buf;

	*nkmers = 0;
	if (ends != NULL)
		*ends = NULL;
	if (nbases < (size_t) k)
		return NULL;

	/*
	 * One k-mer a window, more with dna4 expansions, fewer where windows have
	 * too many.  A sequence with more windows than one array can hold starts
	 * with the most it can hold (so the product below cannot wrap a 32-bit
	 * size_t), and errors in KmerBufferGrow only if its k-mers need more.
	 */
	buf.n = 0;
	buf.cap = Min(nbases - k + 1, KMER_BUFFER_MAX);
	buf.items = MemoryContextAllocHuge(CurrentMemoryContext, buf.cap * sizeof(uint64));
	buf.ends = NULL;
	if (ends != NULL)
	{
		buf.ends = MemoryContextAllocHuge(CurrentMemoryContext,
										  KmersearchArrayBytes(buf.cap, sizeof(size_t),
															   MaxAllocHugeSize, "k-mers"));
		KmerForEach(data, nbases, kind, k, KmerBufferAddWithEnd, &buf);
		*ends = buf.ends;
	}
	else
		KmerForEach(data, nbases, kind, k, KmerBufferAdd, &buf);
	*nkmers = buf.n;
	return buf.items;
}

uint64 *
KmerCollect(const uint8 *data, size_t nbases, DnaKind kind, int k, size_t *nkmers)
{
	return KmerCollectInternal(data, nbases, kind, k, nkmers, NULL);
}

uint64 *
KmerCollectWindows(const uint8 *data, size_t nbases, DnaKind kind, int k, size_t *nkmers,
				   size_t **ends)
{
	return KmerCollectInternal(data, nbases, kind, k, nkmers, ends);
}

/*
 * The distinct k-mers of an array (sorted in place) with their counts, in
 * ascending k-mer order.
 */
KmerCount *
KmerCountDistinct(uint64 *kmers, size_t n, size_t *ndistinct)
{
	KmerCount  *out;
	size_t		i,
				m = 0;

	*ndistinct = 0;
	if (n == 0)
		return NULL;
	sort_kmers(kmers, n);
	/* as many entries as distinct k-mers: few for a repetitive sequence */
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		m += i == 0 || kmers[i] != kmers[i - 1];
	}
	out = MemoryContextAllocHuge(CurrentMemoryContext,
								 KmersearchArrayBytes(m, sizeof(KmerCount), MaxAllocHugeSize,
													  "distinct k-mers"));
	m = 0;
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (m > 0 && out[m - 1].kmer == kmers[i])
			out[m - 1].count++;
		else
		{
			out[m].kmer = kmers[i];
			out[m].count = 1;
			m++;
		}
	}
	*ndistinct = m;
	return out;
}

/*
 * The windows of a sequence that give no k-mer: for dna4, those whose
 * degenerate codes stand for more than KMER_MAX_EXPANSION k-mers (none for
 * dna2), the product of their base counts (2^a 3^b 4^c for a two-, b
 * three- and c four-base codes).  One code stands for at most 4 <=
 * KMER_MAX_EXPANSION, so such a window holds two codes or more, the first
 * two of them consecutive among the sequence's codes: only the windows
 * around two consecutive codes less than k bases apart are looked at (most
 * rows have none).
 */
size_t
KmerUnkeyedWindows(const uint8 *data, size_t nbases, DnaKind kind, int k)
{
	static const int8 nbases_of[16] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
	size_t		unkeyed = 0,
				ncodes = 0,
				i,
				j,
				lo = 0;
	int64		last = PG_INT64_MIN / 2,
				next = 0;
	bool		close = false;
	int64	   *pos;
	int8	   *fold;

	StaticAssertStmt(KMER_MAX_EXPANSION >= 4, "one degenerate code must leave a window keyed");
	if (kind != DNA_KIND_4 || nbases < (size_t) k)
		return 0;
	/* the degenerate codes (a byte of two bases skipped at once), and whether two are close */
	for (i = 0; i < nbases; i += 2)
	{
		int			h;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (nbases_of[data[i >> 1] >> 4] < 2 && nbases_of[data[i >> 1] & 0x0F] < 2)
			continue;
		for (h = 0; h < 2 && i + h < nbases; h++)
			if (nbases_of[(data[i >> 1] >> (h ? 0 : 4)) & 0x0F] >= 2)
			{
				close |= (int64) (i + h) - last < k;
				last = (int64) (i + h);
				ncodes++;
			}
	}
	if (!close)
		return 0;
	pos = palloc_extended(KmersearchArrayBytes(ncodes, sizeof(int64), MaxAllocHugeSize, "degenerate codes"),
						  MCXT_ALLOC_HUGE);
	fold = palloc_extended(ncodes, MCXT_ALLOC_HUGE);
	for (i = 0, j = 0; i < nbases; i++)
	{
		int			f = nbases_of[(data[i >> 1] >> ((i & 1) ? 0 : 4)) & 0x0F];

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (f >= 2)
		{
			pos[j] = (int64) i;
			fold[j++] = (int8) f;
		}
	}
	Assert(j == ncodes);

	/*
	 * Windows s with codes j and j + 1 its first two: s in [pos[j + 1] - k
	 * + 1, pos[j]].  These ranges ascend with j; next is the first window
	 * not yet counted.
	 */
	for (j = 0; j + 1 < ncodes; j++)
	{
		int64		a,
					b,
					s;

		if (pos[j + 1] - pos[j] >= k)
			continue;
		a = Max(Max(pos[j + 1] - k + 1, next), 0);
		b = Min(pos[j], (int64) nbases - k);
		for (s = a; s <= b; s++)
		{
			int			product = 1;
			size_t		q;

			if ((s & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			while (pos[lo] < s)
				lo++;
			for (q = lo; q < ncodes && pos[q] < s + k && product <= KMER_MAX_EXPANSION; q++)
				product *= fold[q];
			unkeyed += product > KMER_MAX_EXPANSION;
		}
		next = Max(next, b + 1);
	}
	pfree(pos);
	pfree(fold);
	return unkeyed;
}
