/*
 * kmiscan.c
 *		Searching a kmer index: per segment, the query's keys a row has are
 *		counted into one counter a row and strand; the rows whose count
 *		reaches the strand's threshold match.
 */
#include "postgres.h"

#include "access/relscan.h"
#include "miscadmin.h"
#include "nodes/tidbitmap.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "kmi.h"
#include "kmersearch.h"

typedef struct KmiScanOpaqueData
{
	MemoryContext ctx;			/* a search's memory, reset by each */
	uint32	   *counts[2];		/* a counter a row of a segment, a strand */
	uint32		ncounts;		/* rows they hold */
} KmiScanOpaqueData;

typedef KmiScanOpaqueData *KmiScanOpaque;

/* A query key's list in a segment. */
typedef struct SegmentList
{
	uint64		start;			/* its first word */
	uint32		words;
	uint32		count;			/* its rows */
	int32		qkey;			/* its query key */
} SegmentList;

IndexScanDesc
kmibeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	KmiScanOpaque so = palloc0(sizeof(KmiScanOpaqueData));

	so->ctx = AllocSetContextCreate(CurrentMemoryContext, "kmer index scan", ALLOCSET_DEFAULT_SIZES);
	scan->opaque = so;
	return scan;
}

void
kmirescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys)
{
	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
}

void
kmiendscan(IndexScanDesc scan)
{
	KmiScanOpaque so = (KmiScanOpaque) scan->opaque;

	MemoryContextDelete(so->ctx);
	pfree(so);
	scan->opaque = NULL;
}

/* Add the TIDs of a segment's rows (ascending row numbers) that are not removed. */
static int64
AddRows(Relation index, BlockNumber head, const uint32 *rows, uint32 n, TIDBitmap *tbm, bool recheck)
{
	Buffer		buf = InvalidBuffer;
	BlockNumber have = InvalidBlockNumber;
	ItemPointerData tids[64];
	int			ntids = 0;
	int64		added = 0;
	uint32		i;

	for (i = 0; i < n; i++)
	{
		BlockNumber blk = KmiRowmapStart(head) + rows[i] / KMI_ROWMAP_PER_PAGE;
		ItemPointer tid;

		if (blk != have)
		{
			if (ntids > 0)
				tbm_add_tuples(tbm, tids, ntids, recheck);
			ntids = 0;
			if (buf != InvalidBuffer)
				UnlockReleaseBuffer(buf);
			buf = ReadBuffer(index, blk);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			have = blk;
		}
		tid = (ItemPointer) PageGetContents(BufferGetPage(buf)) + rows[i] % KMI_ROWMAP_PER_PAGE;
		if (!ItemPointerIsValid(tid))
			continue;
		tids[ntids++] = *tid;
		added++;
		if (ntids == lengthof(tids))
		{
			tbm_add_tuples(tbm, tids, ntids, recheck);
			ntids = 0;
		}
	}
	if (ntids > 0)
		tbm_add_tuples(tbm, tids, ntids, recheck);
	if (buf != InvalidBuffer)
		UnlockReleaseBuffer(buf);
	return added;
}

/* The lists of the query's keys in a segment. */
static int
FindLists(Relation index, BlockNumber head, const KmiSegmentHead *h, const KmiQuery *q,
		  SegmentList *lists)
{
	int64	   *fences = palloc(sizeof(int64) * Max(h->dict_pages, 1));
	uint32		i;
	int			nl = 0;
	int32		qi;
	Buffer		buf = InvalidBuffer;
	uint32		have = PG_UINT32_MAX;

	for (i = 0; i < h->fence_pages; i++)
	{
		Buffer		fb = ReadBuffer(index, KmiFenceStart(head, h) + i);
		uint32		n = Min(h->dict_pages - i * KMI_FENCES_PER_PAGE, KMI_FENCES_PER_PAGE);

		LockBuffer(fb, BUFFER_LOCK_SHARE);
		memcpy(fences + i * KMI_FENCES_PER_PAGE, PageGetContents(BufferGetPage(fb)), n * sizeof(int64));
		UnlockReleaseBuffer(fb);
	}
	for (qi = 0; qi < q->nkeys; qi++)
	{
		int64		key = q->keys[qi];
		uint32		lo = 0,
					hi = h->dict_pages,
					p;
		KmiDictEntry *e;
		uint32		ne;

		/* the last dictionary page whose first key is at most key */
		while (lo < hi)
		{
			uint32		mid = lo + (hi - lo) / 2;

			if (fences[mid] <= key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0)
			continue;
		p = lo - 1;
		if (p != have)
		{
			if (buf != InvalidBuffer)
				UnlockReleaseBuffer(buf);
			buf = ReadBuffer(index, KmiDictStart(head, h) + p);
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			have = p;
		}
		e = (KmiDictEntry *) PageGetContents(BufferGetPage(buf));
		ne = KmiPageItems(BufferGetPage(buf), sizeof(KmiDictEntry), KMI_DICT_PER_PAGE);
		lo = 0;
		hi = ne;
		while (lo < hi)
		{
			uint32		mid = lo + (hi - lo) / 2;

			if (e[mid].key < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < ne && e[lo].key == key && (q->mult[0][qi] > 0 || q->mult[1][qi] > 0))
		{
			if (e[lo].start > h->nwords || e[lo].words > h->nwords - e[lo].start ||
				e[lo].count == 0 || e[lo].count > e[lo].words || e[lo].count > h->nrows)
				ereport(ERROR,
						(errcode(ERRCODE_INDEX_CORRUPTED),
						 errmsg("kmer index \"%s\" has a list past its segment's end at block %u",
								RelationGetRelationName(index), head)));
			lists[nl].start = e[lo].start;
			lists[nl].words = e[lo].words;
			lists[nl].count = e[lo].count;
			lists[nl++].qkey = qi;
		}
	}
	if (buf != InvalidBuffer)
		UnlockReleaseBuffer(buf);
	pfree(fences);
	return nl;
}

/* A pinned page of a segment's posting stream, kept while the next read is on it. */
typedef struct PostingCursor
{
	Relation	index;
	BlockNumber first;			/* the stream's first block */
	uint32		nrows;			/* the segment's, to check row numbers */
	BlockNumber head;			/* for errors */
	Buffer		buf;
	uint64		p;				/* the pinned page's number in the stream */
	const uint16 *words;		/* its words */
} PostingCursor;

/* Pin and share-lock stream page p in place of the cursor's page. */
static pg_noinline void
CursorMove(PostingCursor *c, uint64 p)
{
	if (c->buf != InvalidBuffer)
		UnlockReleaseBuffer(c->buf);
	c->buf = ReadBuffer(c->index, c->first + (BlockNumber) p);
	LockBuffer(c->buf, BUFFER_LOCK_SHARE);
	c->p = p;
	c->words = (const uint16 *) PageGetContents(BufferGetPage(c->buf));
}

/* The words of stream page p (the page stays pinned and share-locked). */
static inline const uint16 *
CursorPage(PostingCursor *c, uint64 p)
{
	if (unlikely(c->buf == InvalidBuffer || c->p != p))
		CursorMove(c, p);
	return c->words;
}

static inline uint16
CursorWord(PostingCursor *c, uint64 pos)
{
	return CursorPage(c, pos / KMI_POSTINGS_PER_PAGE)[pos % KMI_POSTINGS_PER_PAGE];
}

static void
CursorRelease(PostingCursor *c)
{
	if (c->buf != InvalidBuffer)
		UnlockReleaseBuffer(c->buf);
	c->buf = InvalidBuffer;
}

static pg_noinline void
BadRow(PostingCursor *c, uint32 row)
{
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("kmer index \"%s\" has row %u in a segment of %u rows at block %u",
					RelationGetRelationName(c->index), row, c->nrows, c->head)));
}

static pg_noinline void
BadList(PostingCursor *c)
{
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("kmer index \"%s\" has a damaged list in the segment at block %u",
					RelationGetRelationName(c->index), c->head)));
}

/* A list's run of rows in one block: its first row's word and its length. */
typedef struct BlockRun
{
	uint64		pos;
	uint32		base;			/* the block's first row number */
	uint32		n;
} BlockRun;

/*
 * The block runs of a list, from its block headers (the runs' rows are not
 * read); checked against the list's words and rows.
 */
static int
ListRuns(PostingCursor *c, const SegmentList *l, BlockRun *runs)
{
	uint64		pos = l->start,
				end = l->start + l->words;
	int			nr = 0;
	uint32		rows = 0;
	int64		prev = -1;

	while (pos < end)
	{
		uint32		block,
					n;

		if (end - pos < 2 || nr == KMI_SEGMENT_BLOCKS)
			BadList(c);
		block = CursorWord(c, pos);
		n = (uint32) CursorWord(c, pos + 1) + 1;
		if ((int64) block <= prev || block >= KMI_SEGMENT_BLOCKS || n > end - pos - 2)
			BadList(c);
		prev = block;
		runs[nr].pos = pos + 2;
		runs[nr].base = block * KMI_BLOCK_ROWS;
		runs[nr++].n = n;
		rows += n;
		pos += 2 + n;
	}
	if (rows != l->count)
		BadList(c);
	return nr;
}

/*
 * Add a list's weights to the counters of its rows.  With cand, a row whose
 * counters were all zero is appended to it (*ncand): the candidates.
 */
static void
CountList(PostingCursor *c, const SegmentList *l, uint32 m0, uint32 m1, uint32 *c0, uint32 *c1,
		  uint32 *cand, uint32 *ncand)
{
	BlockRun	runs[KMI_SEGMENT_BLOCKS];
	int			nr = ListRuns(c, l, runs),
				k;

	for (k = 0; k < nr; k++)
	{
		uint64		pos = runs[k].pos,
					end = runs[k].pos + runs[k].n;
		uint32		base = runs[k].base;

		while (pos < end)
		{
			const uint16 *rows = CursorPage(c, pos / KMI_POSTINGS_PER_PAGE);
			uint32		from = pos % KMI_POSTINGS_PER_PAGE,
						to = (uint32) Min((uint64) KMI_POSTINGS_PER_PAGE, from + (end - pos)),
						i;

			for (i = from; i < to; i++)
			{
				uint32		r = base + rows[i];

				if (unlikely(r >= c->nrows))
					BadRow(c, r);
				if (cand != NULL && c0[r] == 0 && (c1 == NULL || c1[r] == 0))
					cand[(*ncand)++] = r;
				c0[r] += m0;
				if (c1 != NULL)
					c1[r] += m1;
			}
			pos += to - from;
		}
	}
}

/*
 * Add a list's weights to the counters of the candidates (ascending) it
 * has: per block run, each candidate searched for from where the last was
 * found, by galloping, so that few candidates read few words and many read
 * the run about once.
 */
static void
CountCandidates(PostingCursor *c, const SegmentList *l, uint32 m0, uint32 m1, uint32 *c0, uint32 *c1,
				const uint32 *cand, uint32 ncand)
{
	BlockRun	runs[KMI_SEGMENT_BLOCKS];
	int			nr = ListRuns(c, l, runs),
				k;
	uint32		j = 0;

	for (k = 0; k < nr && j < ncand; k++)
	{
		uint64		lo = runs[k].pos,
					end = runs[k].pos + runs[k].n;
		uint32		base = runs[k].base;

		while (j < ncand && cand[j] < base)
			j++;
		for (; j < ncand && cand[j] < base + KMI_BLOCK_ROWS && lo < end; j++)
		{
			uint32		want = cand[j] - base;
			uint64		step = 1,
						hi;

			/* gallop to a word at least want, then search the last step */
			hi = lo;
			while (hi < end && CursorWord(c, hi) < want)
			{
				lo = hi + 1;
				hi = lo + step;
				step *= 2;
			}
			if (hi > end)
				hi = end;
			while (lo < hi)
			{
				uint64		mid = lo + (hi - lo) / 2;

				if (CursorWord(c, mid) < want)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < end && CursorWord(c, lo) == want)
			{
				c0[cand[j]] += m0;
				if (c1 != NULL)
					c1[cand[j]] += m1;
				lo++;
			}
		}
	}
}

static int
CompareListLength(const void *a, const void *b)
{
	uint32		x = ((const SegmentList *) a)->count;
	uint32		y = ((const SegmentList *) b)->count;

	return x < y ? -1 : x > y;
}

static int
CompareUint32(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return x < y ? -1 : x > y;
}

/*
 * The rows of a segment that match q (every row when q->all).
 *
 * The T-occurrence filter: the lists are taken shortest first, and while
 * the weights of the lists not yet read still reach a strand's threshold a
 * row in none of the lists read could match, so those are counted whole
 * and their rows are the candidates.  Once they cannot, no other row can
 * match: each further list only adds to the candidates' counters (read
 * whole, or searched for each candidate when that reads fewer pages), and
 * a candidate whose counters plus the weights left cannot reach a
 * threshold is dropped.
 */
static int64
SearchSegment(Relation index, KmiScanOpaque so, const KmiState *st, const KmiSegmentRef *ref,
			  const KmiQuery *q, TIDBitmap *tbm)
{
	KmiSegmentHead h;
	SegmentList *lists;
	uint32	   *cand;
	uint32		ncand = 0,
				r;
	int			nl,
				i;
	bool		both = q->threshold[1] != PG_INT64_MAX;
	int64		left[2] = {0, 0};
	uint32	   *c0 = so->counts[0],
			   *c1 = both ? so->counts[1] : NULL;
	PostingCursor cur;
	int64		added;

	KmiReadSegmentHead(index, ref->head, st->nblocks, &h);
	if (h.nrows > so->ncounts)
	{
		MemoryContext mcx = GetMemoryChunkContext(so);

		if (so->counts[0] != NULL)
		{
			pfree(so->counts[0]);
			pfree(so->counts[1]);
		}
		so->counts[0] = MemoryContextAlloc(mcx, sizeof(uint32) * h.nrows);
		so->counts[1] = MemoryContextAlloc(mcx, sizeof(uint32) * h.nrows);
		so->ncounts = h.nrows;
		c0 = so->counts[0];
		c1 = both ? so->counts[1] : NULL;
	}
	cand = palloc(sizeof(uint32) * h.nrows);
	if (q->all)
	{
		for (r = 0; r < h.nrows; r++)
			cand[r] = r;
		added = AddRows(index, ref->head, cand, h.nrows, tbm, true);
		pfree(cand);
		return added;
	}

	lists = palloc(sizeof(SegmentList) * Max(q->nkeys, 1));
	nl = FindLists(index, ref->head, &h, q, lists);
	qsort(lists, nl, sizeof(SegmentList), CompareListLength);
	for (i = 0; i < nl; i++)
	{
		left[0] += q->mult[0][lists[i].qkey];
		left[1] += q->mult[1][lists[i].qkey];
	}
	memset(c0, 0, sizeof(uint32) * h.nrows);
	if (both)
		memset(c1, 0, sizeof(uint32) * h.nrows);
	cur.index = index;
	cur.first = KmiPostingStart(ref->head, &h);
	cur.nrows = h.nrows;
	cur.head = ref->head;
	cur.buf = InvalidBuffer;

	/* the lists that bring candidates */
	for (i = 0; i < nl && (left[0] >= q->threshold[0] || (both && left[1] >= q->threshold[1])); i++)
	{
		uint32		m0 = (uint32) q->mult[0][lists[i].qkey],
					m1 = (uint32) q->mult[1][lists[i].qkey];

		CHECK_FOR_INTERRUPTS();
		CountList(&cur, &lists[i], m0, m1, c0, c1, cand, &ncand);
		left[0] -= m0;
		left[1] -= m1;
	}
	/*
	 * the others, for the candidates that can still match (ascending): a
	 * list read whole when that reads less than searching it for each
	 */
	if (i < nl && ncand > 0)
	{
		if ((uint64) ncand * 16 > h.nrows)
		{
			/* many: in row order from the counters, which only they have set */
			ncand = 0;
			for (r = 0; r < h.nrows; r++)
				if (c0[r] != 0 || (both && c1[r] != 0))
					cand[ncand++] = r;
		}
		else
			qsort(cand, ncand, sizeof(uint32), CompareUint32);
	}
	for (; i < nl && ncand > 0; i++)
	{
		uint32		m0 = (uint32) q->mult[0][lists[i].qkey],
					m1 = (uint32) q->mult[1][lists[i].qkey];
		uint32		j,
					kept = 0;

		CHECK_FOR_INTERRUPTS();
		left[0] -= m0;
		left[1] -= m1;
		if ((uint64) ncand * 8 < lists[i].count)
			CountCandidates(&cur, &lists[i], m0, m1, c0, c1, cand, ncand);
		else
			CountList(&cur, &lists[i], m0, m1, c0, c1, NULL, NULL);
		for (j = 0; j < ncand; j++)
		{
			r = cand[j];
			if ((int64) c0[r] + left[0] >= q->threshold[0] ||
				(both && (int64) c1[r] + left[1] >= q->threshold[1]))
				cand[kept++] = r;
		}
		ncand = kept;
	}
	CursorRelease(&cur);

	/* the candidates that reach a threshold, in row order */
	{
		uint32		kept = 0;

		for (i = 0; i < (int) ncand; i++)
		{
			r = cand[i];
			if ((int64) c0[r] >= q->threshold[0] || (both && (int64) c1[r] >= q->threshold[1]))
				cand[kept++] = r;
		}
		ncand = kept;
	}
	added = ncand > 0 ? AddRows(index, ref->head, cand, ncand, tbm, q->lossy) : 0;
	pfree(lists);
	pfree(cand);
	return added;
}

/*
 * The pending rows that match q: the stream of words from pending_head,
 * each row its TID, its key count and its sorted keys.  False when a flush
 * moved them into segments meanwhile and reused a page of the stream (the
 * caller searches the new segments instead).
 */
static bool
SearchPending(Relation index, const KmiState *st, const KmiQuery *q, TIDBitmap *tbm, int64 *added)
{
	int64		found = 0;		/* counted only when the stream is read whole: else the new segments count them */
	BlockNumber blk = st->meta.pending_head;
	uint64		read = 0;
	int64	   *row = NULL;
	uint64		rowcap = 0,
				rowlen = 0,
				need = 2;		/* words of the current row: TID and count first */

	while (read < st->meta.pending_words)
	{
		Buffer		buf;
		Page		page;
		const int64 *w;
		uint64		n,
					i;

		CHECK_FOR_INTERRUPTS();
		if (blk == InvalidBlockNumber)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("kmer index \"%s\" has fewer pending words than its metapage says",
							RelationGetRelationName(index))));
		buf = ReadBuffer(index, blk);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);

		/*
		 * A flush marks its pages deleted, their words and links kept, and
		 * they may be reused at once: a page of another type or epoch means
		 * the rows were moved into segments that the metapage lists now
		 * (every row this search can see was inserted before it read the
		 * metapage, so no row it needs is pending in the new stream).
		 */
		if (!KmiPendingPageOf(page, st->meta.pending_epoch))
		{
			UnlockReleaseBuffer(buf);
			if (KmiPendingMoved(index, st->meta.pending_epoch))
				return false;
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("kmer index \"%s\" has a pending row list through block %u, which is not pending",
							RelationGetRelationName(index), blk)));
		}
		w = (const int64 *) PageGetContents(page);
		n = Min(KMI_PENDING_PER_PAGE, st->meta.pending_words - read);
		for (i = 0; i < n; i++)
		{
			if (rowlen == rowcap)
			{
				rowcap = Max(rowcap * 2, 1024);
				row = row == NULL
					? palloc_extended(KmersearchArrayBytes(rowcap, sizeof(int64), MaxAllocHugeSize, "k-mer keys"),
									  MCXT_ALLOC_HUGE)
					: repalloc_huge(row, KmersearchArrayBytes(rowcap, sizeof(int64), MaxAllocHugeSize, "k-mer keys"));
			}
			row[rowlen++] = w[i];
			if (rowlen == 2)
			{
				if (row[1] < 0 || row[1] > MaxAllocHugeSize / sizeof(int64))
					ereport(ERROR,
							(errcode(ERRCODE_INDEX_CORRUPTED),
							 errmsg("kmer index \"%s\" has a pending row of %lld keys",
									RelationGetRelationName(index), (long long) row[1])));
				need = 2 + row[1];
			}
			if (rowlen >= 2 && rowlen == need)
			{
				/* a whole row: count the query's keys it has */
				int64		have[2] = {0, 0};
				int64		j = 2;
				int32		k = 0;

				if (row[0] < 0)
					ereport(ERROR,
							(errcode(ERRCODE_INDEX_CORRUPTED),
							 errmsg("kmer index \"%s\" has a pending row without a heap TID",
									RelationGetRelationName(index))));
				else
				{
					if (q->all)
						have[0] = PG_INT64_MAX;
					else
						while (j < (int64) rowlen && k < q->nkeys)
						{
							if (row[j] < q->keys[k])
								j++;
							else if (row[j] > q->keys[k])
								k++;
							else
							{
								have[0] += q->mult[0][k];
								have[1] += q->mult[1][k];
								k++;	/* a query key may repeat: the row's does not */
								if (k == q->nkeys || q->keys[k] != row[j])
									j++;
							}
						}
					if (have[0] >= q->threshold[0] || have[1] >= q->threshold[1])
					{
						ItemPointerData tid;

						KmiWordTid(row[0], &tid);
						tbm_add_tuples(tbm, &tid, 1, q->lossy || q->all);
						found++;
					}
				}
				rowlen = 0;
				need = 2;
			}
		}
		read += n;
		blk = KmiPageGetOpaque(page)->next;
		UnlockReleaseBuffer(buf);
	}
	if (rowlen != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("kmer index \"%s\" ends its pending rows inside a row",
						RelationGetRelationName(index))));
	*added += found;
	return true;
}

/* Every row that matches one =% qual. */
static int64
SearchIndex(IndexScanDesc scan, const KmiState *st, Datum query, TIDBitmap *tbm)
{
	KmiScanOpaque so = (KmiScanOpaque) scan->opaque;
	KmiQuery	q;
	int64		added = 0;
	int			i;

	KmiQueryKeys(scan->indexRelation, query, &q);
	for (i = 0; i < st->meta.nsegments; i++)
		added += SearchSegment(scan->indexRelation, so, st, &st->segments[i], &q, tbm);
	if (!SearchPending(scan->indexRelation, st, &q, tbm, &added))
	{
		/* the pending rows are in the segments flushes added since */
		KmiState	now;

		KmiReadState(scan->indexRelation, &now);
		for (i = st->meta.nsegments; i < now.meta.nsegments; i++)
			added += SearchSegment(scan->indexRelation, so, &now, &now.segments[i], &q, tbm);
	}
	return added;
}

int64
kmigetbitmap(IndexScanDesc scan, TIDBitmap *tbm)
{
	KmiScanOpaque so = (KmiScanOpaque) scan->opaque;
	MemoryContext old;
	KmiState	st;
	TIDBitmap  *mine = NULL;
	int64		ntids = 0;
	int			i;

	MemoryContextReset(so->ctx);
	old = MemoryContextSwitchTo(so->ctx);
	for (i = 0; i < scan->numberOfKeys; i++)
		if (scan->keyData[i].sk_flags & SK_ISNULL)
		{
			MemoryContextSwitchTo(old);
			return 0;
		}
	KmiReadState(scan->indexRelation, &st);
	MemoryContextSwitchTo(old);

	/*
	 * One qual adds its rows to tbm; several (seq =% a AND seq =% b) are
	 * intersected in a bitmap of their own first, since tbm may already
	 * hold another index's rows (under a BitmapOr).
	 */
	for (i = 0; i < scan->numberOfKeys; i++)
	{
		TIDBitmap  *into = scan->numberOfKeys == 1 ? tbm : tbm_create(work_mem * 1024L, NULL);

		old = MemoryContextSwitchTo(so->ctx);
		ntids = SearchIndex(scan, &st, scan->keyData[i].sk_argument, into);
		MemoryContextSwitchTo(old);
		if (scan->numberOfKeys == 1)
			break;
		if (mine == NULL)
			mine = into;
		else
		{
			tbm_intersect(mine, into);
			tbm_free(into);
		}
	}
	if (mine != NULL)
	{
		tbm_union(tbm, mine);
		tbm_free(mine);
	}
	pgstat_count_index_scan(scan->indexRelation);
#if PG_VERSION_NUM >= 180000
	/* EXPLAIN ANALYZE's "Index Searches": one search of the index */
	if (scan->instrument)
		scan->instrument->nsearches++;
#endif
	return ntids;
}
