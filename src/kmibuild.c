/*
 * kmibuild.c
 *		Building a kmer index, and writing a segment (by a build, or by a
 *		flush of the pending rows).
 *
 * A build scans the table, takes each row's keys and gives the row the
 * next row number of the current segment; the (key, row number) pairs are
 * held in memory until the segment has KMI_SEGMENT_ROWS rows or the pairs
 * fill maintenance_work_mem, then sorted by key (a stable radix sort, so
 * each list stays in row order) and written as a segment.  The pages are
 * written through shared buffers and WAL-logged whole at the end, as
 * PostgreSQL's own index builds do.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "access/tableam.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/indexfsm.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "kmi.h"
#include "kmersearch.h"

/* Appends pages to an index: in a build, unlogged (the build logs them after); else each by generic WAL. */
typedef struct PageWriter
{
	Relation	index;
	ForkNumber	fork;
	bool		bulk;
	Buffer		buf;
	Page		page;
	GenericXLogState *state;
	Size		used;			/* content bytes of the current page */
} PageWriter;

static void
WriterFinishPage(PageWriter *w)
{
	if (w->buf == InvalidBuffer)
		return;
	((PageHeader) w->page)->pd_lower = MAXALIGN(SizeOfPageHeaderData) + w->used;
	if (w->bulk)
		MarkBufferDirty(w->buf);
	else
		GenericXLogFinish(w->state);
	UnlockReleaseBuffer(w->buf);
	w->buf = InvalidBuffer;
	w->page = NULL;
}

/* A new page at the end of the index; returns its content area. */
static char *
WriterNewPage(PageWriter *w, uint16 type)
{
	WriterFinishPage(w);
	w->buf = ReadBufferExtended(w->index, w->fork, P_NEW, RBM_NORMAL, NULL);
	LockBuffer(w->buf, BUFFER_LOCK_EXCLUSIVE);
	if (w->bulk)
		w->page = BufferGetPage(w->buf);
	else
	{
		w->state = GenericXLogStart(w->index);
		w->page = GenericXLogRegisterBuffer(w->state, w->buf, GENERIC_XLOG_FULL_IMAGE);
	}
	KmiInitPage(w->page, type);
	w->used = 0;
	return PageGetContents(w->page);
}

/*
 * Sort pairs by key, as unsigned after flipping the sign bit (int8 order),
 * by LSD radix on the bytes that differ among the keys; stable, so equal
 * keys keep their rows' order.
 */
static void
SortPairs(int64 *keys, uint16 *rows, Size n)
{
	uint64		differ = 0;
	int64	   *k2;
	uint16	   *r2;
	Size		i;
	int			byte;

	if (n < 2)
		return;
	for (i = 1; i < n; i++)
		differ |= (uint64) (keys[i] ^ keys[0]);
	if (differ == 0)
		return;
	k2 = palloc_extended(n * sizeof(int64), MCXT_ALLOC_HUGE);
	r2 = palloc_extended(n * sizeof(uint16), MCXT_ALLOC_HUGE);
	for (byte = 0; byte < 8; byte++)
	{
		Size		count[257];
		int			shift = byte * 8;

		if (((differ >> shift) & 0xFF) == 0)
			continue;
		CHECK_FOR_INTERRUPTS();
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[((((uint64) keys[i]) ^ (UINT64CONST(1) << 63)) >> shift & 0xFF) + 1]++;
		for (i = 0; i < 256; i++)
			count[i + 1] += count[i];
		for (i = 0; i < n; i++)
		{
			Size		d = count[(((uint64) keys[i]) ^ (UINT64CONST(1) << 63)) >> shift & 0xFF]++;

			k2[d] = keys[i];
			r2[d] = rows[i];
		}
		memcpy(keys, k2, n * sizeof(int64));
		memcpy(rows, r2, n * sizeof(uint16));
	}
	pfree(k2);
	pfree(r2);
}

/*
 * Append a segment to the directory (and the metapage's counts), the
 * metapage locked by the caller.  In a build the pages are logged later;
 * otherwise one generic WAL record covers the metapage and the directory
 * pages it changes.
 */
static void
AddToDirectory(Relation index, ForkNumber fork, Buffer metabuf, BlockNumber head, uint32 nrows, bool bulk,
			   bool reset_pending)
{
	Buffer		tailbuf = InvalidBuffer,
				newbuf = InvalidBuffer;
	GenericXLogState *state = NULL;
	Page		metapage,
				tailpage = NULL,
				page;
	KmiMetaPageData *meta;
	KmiSegmentRef *ref;

	if (!bulk)
		state = GenericXLogStart(index);
	metapage = bulk ? BufferGetPage(metabuf) : GenericXLogRegisterBuffer(state, metabuf, 0);
	KmiCheckMeta(index, metapage);
	meta = KmiPageMeta(metapage);
	if (meta->directory_tail != InvalidBlockNumber)
	{
		tailbuf = ReadBufferExtended(index, fork, meta->directory_tail, RBM_NORMAL, NULL);
		LockBuffer(tailbuf, BUFFER_LOCK_EXCLUSIVE);
		tailpage = bulk ? BufferGetPage(tailbuf) : GenericXLogRegisterBuffer(state, tailbuf, 0);
	}
	page = tailpage;
	if (tailpage == NULL ||
		((PageHeader) tailpage)->pd_lower + sizeof(KmiSegmentRef) >
		MAXALIGN(SizeOfPageHeaderData) + KMI_PAGE_CONTENT)
	{
		if (bulk)
		{
			newbuf = ReadBufferExtended(index, fork, P_NEW, RBM_NORMAL, NULL);
			LockBuffer(newbuf, BUFFER_LOCK_EXCLUSIVE);
		}
		else
			newbuf = KmiNewBuffer(index);
		page = bulk ? BufferGetPage(newbuf) : GenericXLogRegisterBuffer(state, newbuf, GENERIC_XLOG_FULL_IMAGE);
		KmiInitPage(page, KMI_PAGE_DIRECTORY);
		((PageHeader) page)->pd_lower = MAXALIGN(SizeOfPageHeaderData);
		if (tailpage != NULL)
			KmiPageGetOpaque(tailpage)->next = BufferGetBlockNumber(newbuf);
		else
			meta->directory_head = BufferGetBlockNumber(newbuf);
		meta->directory_tail = BufferGetBlockNumber(newbuf);
	}
	ref = (KmiSegmentRef *) ((char *) page + ((PageHeader) page)->pd_lower);
	ref->head = head;
	ref->nrows = nrows;
	((PageHeader) page)->pd_lower += sizeof(KmiSegmentRef);
	meta->nsegments++;
	if (reset_pending)
	{
		/* the segment holds the pending rows (KmiFlushPending) */
		meta->pending_head = meta->pending_tail = InvalidBlockNumber;
		meta->pending_tail_used = 0;
		meta->pending_words = 0;
		meta->pending_rows = 0;
		meta->pending_epoch++;
	}
	else if (bulk)
		meta->indexed_rows += nrows;	/* a flush's rows counted when inserted */
	if (bulk)
	{
		MarkBufferDirty(metabuf);
		if (tailbuf != InvalidBuffer)
			MarkBufferDirty(tailbuf);
		if (newbuf != InvalidBuffer)
			MarkBufferDirty(newbuf);
	}
	else
		GenericXLogFinish(state);
	if (newbuf != InvalidBuffer)
		UnlockReleaseBuffer(newbuf);
	if (tailbuf != InvalidBuffer)
		UnlockReleaseBuffer(tailbuf);
}

/*
 * Write a segment of nrows rows (tids, by row number) whose pairs (keys,
 * rows: npairs of them) are sorted by key and, within a key, by row; link
 * it into the directory (the metapage metabuf locked by the caller; with
 * reset_pending, the same record empties the pending stream).
 * Returns its head block.  bulk: in a build (the pages are WAL-logged by the
 * build when it ends).
 */
static BlockNumber
WriteSegment(Relation index, ForkNumber fork, Buffer metabuf, int64 *keys, uint16 *rows, Size npairs,
			 ItemPointerData *tids, uint32 nrows, bool bulk, bool reset_pending)
{
	PageWriter	w = {index, fork, bulk, InvalidBuffer, NULL, NULL, 0};
	KmiSegmentHead h;
	uint64		nkeys = 0;
	uint64		i,
				j;
	int64	   *fences;
	BlockNumber head;
	char	   *content;

	Assert(nrows > 0 && nrows <= KMI_SEGMENT_ROWS);
	for (i = 0; i < npairs; i++)
		if (i == 0 || keys[i] != keys[i - 1])
			nkeys++;
	memset(&h, 0, sizeof(h));
	h.nrows = nrows;
	h.nkeys = nkeys;
	h.npostings = npairs;
	h.rowmap_pages = (nrows + KMI_ROWMAP_PER_PAGE - 1) / KMI_ROWMAP_PER_PAGE;
	h.dict_pages = (nkeys + KMI_DICT_PER_PAGE - 1) / KMI_DICT_PER_PAGE;
	h.fence_pages = (h.dict_pages + KMI_FENCES_PER_PAGE - 1) / KMI_FENCES_PER_PAGE;
	h.posting_pages = (npairs + KMI_POSTINGS_PER_PAGE - 1) / KMI_POSTINGS_PER_PAGE;
	fences = palloc_extended(Max(h.dict_pages, 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	for (i = 0, j = 0; i < npairs; i++)
		if (i == 0 || keys[i] != keys[i - 1])
		{
			if (j % KMI_DICT_PER_PAGE == 0)
				fences[j / KMI_DICT_PER_PAGE] = keys[i];
			j++;
		}

	/* contiguous: no other backend extends the index meanwhile */
	LockRelationForExtension(index, ExclusiveLock);
	content = WriterNewPage(&w, KMI_PAGE_SEGHEAD);
	head = BufferGetBlockNumber(w.buf);
	memcpy(content, &h, sizeof(h));
	w.used = sizeof(h);

	for (i = 0; i < nrows; i++)
	{
		if (i % KMI_ROWMAP_PER_PAGE == 0)
			content = WriterNewPage(&w, KMI_PAGE_ROWMAP);
		memcpy(content + w.used, &tids[i], sizeof(ItemPointerData));
		w.used += sizeof(ItemPointerData);
	}
	for (i = 0; i < h.dict_pages; i++)
	{
		if (i % KMI_FENCES_PER_PAGE == 0)
			content = WriterNewPage(&w, KMI_PAGE_FENCE);
		memcpy(content + w.used, &fences[i], sizeof(int64));
		w.used += sizeof(int64);
	}
	for (i = 0, j = 0; i < npairs;)
	{
		KmiDictEntry e;
		uint64		end = i + 1;

		while (end < npairs && keys[end] == keys[i])
			end++;
		if (j % KMI_DICT_PER_PAGE == 0)
		{
			CHECK_FOR_INTERRUPTS();
			content = WriterNewPage(&w, KMI_PAGE_DICT);
		}
		memset(&e, 0, sizeof(e));
		e.key = keys[i];
		e.start = i;
		e.count = (uint32) (end - i);
		memcpy(content + w.used, &e, sizeof(e));
		w.used += sizeof(e);
		j++;
		i = end;
	}
	for (i = 0; i < npairs; i += KMI_POSTINGS_PER_PAGE)
	{
		Size		n = Min(npairs - i, KMI_POSTINGS_PER_PAGE);

		CHECK_FOR_INTERRUPTS();
		content = WriterNewPage(&w, KMI_PAGE_POSTING);
		memcpy(content, rows + i, n * sizeof(uint16));
		w.used = n * sizeof(uint16);
	}
	WriterFinishPage(&w);
	Assert(RelationGetNumberOfBlocksInFork(index, fork) ==
		   head + 1 + h.rowmap_pages + h.fence_pages + h.dict_pages + h.posting_pages);
	UnlockRelationForExtension(index, ExclusiveLock);
	pfree(fences);

	AddToDirectory(index, fork, metabuf, head, nrows, bulk, reset_pending);
	return head;
}

/*
 * A page for a pending or directory page: a deleted one no scan can read
 * any more, or one a crash left new (from the free space map), else a new
 * one at the end.  Pinned
 * and locked; the caller initializes it (with a full-image WAL record).
 */
Buffer
KmiNewBuffer(Relation index)
{
	Buffer		buf;

	for (;;)
	{
		BlockNumber blk = GetFreeIndexPage(index);
		Page		page;

		if (blk == InvalidBlockNumber)
			break;
		buf = ReadBuffer(index, blk);
		if (ConditionalLockBuffer(buf))
		{
			page = BufferGetPage(buf);
			if (PageIsNew(page) ||
				(KmiPageGetOpaque(page)->type == KMI_PAGE_DELETED &&
				 GlobalVisCheckRemovableFullXid(NULL, KmiPageGetOpaque(page)->stamp)))
				return buf;
			LockBuffer(buf, BUFFER_LOCK_UNLOCK);
		}
		ReleaseBuffer(buf);
	}
	/* locked before others can see it: an unlocked new page is one a crash left */
	LockRelationForExtension(index, ExclusiveLock);
	buf = ReadBuffer(index, P_NEW);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	UnlockRelationForExtension(index, ExclusiveLock);
	return buf;
}

/*
 * Mark a pending page deleted: free once every scan that could read it has
 * ended.  Its words, epoch and link stay: a scan that read the metapage
 * before the flush still reads the rows it expects.
 */
static void
DeletePage(Relation index, BlockNumber blk, FullTransactionId stamp)
{
	Buffer		buf = ReadBuffer(index, blk);
	GenericXLogState *state;
	Page		page;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(state, buf, 0);
	KmiPageGetOpaque(page)->type = KMI_PAGE_DELETED;
	KmiPageGetOpaque(page)->stamp = stamp;
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

/*
 * Move the pending rows into segments, the metapage metabuf locked
 * (exclusively) by the caller: their keys become (key, row) pairs, sorted
 * and written as segments of up to KMI_SEGMENT_ROWS rows; the record that
 * links the last segment also empties the stream, whose pages are then
 * marked deleted.  Every pending row goes in, removed or not: VACUUM
 * flushes before it clears removed rows from the segments.  A crash between two
 * segments of one flush (more than KMI_SEGMENT_ROWS pending rows) leaves
 * the first segments' rows pending too: a bitmap has each TID once, so
 * searches do not change, and the next flush writes them again.
 */
void
KmiFlushPending(Relation index, Buffer metabuf)
{
	KmiMetaPageData meta = *KmiPageMeta(BufferGetPage(metabuf));
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "kmer index flush",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	int64	   *words;
	uint64		nwords = meta.pending_words,
				got = 0,
				pos;
	BlockNumber blk = meta.pending_head;
	BlockNumber *pages;
	uint64		npages = 0;
	int64	   *keys = NULL;
	uint16	   *rows = NULL;
	Size		npairs = 0,
				cap = 0;
	ItemPointerData *tids = palloc(sizeof(ItemPointerData) * KMI_SEGMENT_ROWS);
	uint32		nrows = 0;
	FullTransactionId stamp;
	GenericXLogState *state;
	Page		metapage;
	uint64		i;

	if (meta.pending_head == InvalidBlockNumber)
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(ctx);
		return;
	}

	/* the stream, and its pages (the tail page too, though it may be short) */
	words = palloc_extended(KmersearchArrayBytes(Max(nwords, 1), sizeof(int64), MaxAllocHugeSize,
												 "pending rows"), MCXT_ALLOC_HUGE);
	pages = palloc_extended(KmersearchArrayBytes(nwords / KMI_PENDING_PER_PAGE + 2, sizeof(BlockNumber),
												 MaxAllocHugeSize, "pending rows"), MCXT_ALLOC_HUGE);
	while (blk != InvalidBlockNumber && npages < nwords / KMI_PENDING_PER_PAGE + 1)
	{
		Buffer		buf = ReadBuffer(index, blk);
		uint64		n = Min(KMI_PENDING_PER_PAGE, nwords - got);

		CHECK_FOR_INTERRUPTS();
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		if (PageIsNew(BufferGetPage(buf)) || KmiPageGetOpaque(BufferGetPage(buf))->type != KMI_PAGE_PENDING)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("kmer index \"%s\" has a pending row list through block %u, which is not pending",
							RelationGetRelationName(index), blk)));
		memcpy(words + got, PageGetContents(BufferGetPage(buf)), n * sizeof(int64));
		got += n;
		pages[npages++] = blk;
		blk = KmiPageGetOpaque(BufferGetPage(buf))->next;
		UnlockReleaseBuffer(buf);
		if (got == nwords)
			break;
	}
	if (got != nwords)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("kmer index \"%s\" has fewer pending words than its metapage says",
						RelationGetRelationName(index))));

	/* the live rows, into segments */
	for (pos = 0; pos < nwords;)
	{
		int64		nk;

		CHECK_FOR_INTERRUPTS();
		if (pos + 2 > nwords || words[pos + 1] < 0 || (uint64) words[pos + 1] > nwords - pos - 2)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("kmer index \"%s\" has a pending row past the stream's end",
							RelationGetRelationName(index))));
		nk = words[pos + 1];
		if (words[pos] >= 0)
		{
			if (nrows == KMI_SEGMENT_ROWS)
			{
				SortPairs(keys, rows, npairs);
				WriteSegment(index, MAIN_FORKNUM, metabuf, keys, rows, npairs, tids, nrows, false, false);
				npairs = 0;
				nrows = 0;
			}
			if (npairs + nk > cap)
			{
				cap = Max(cap * 2, npairs + nk);
				keys = keys == NULL
					? palloc_extended(KmersearchArrayBytes(cap, sizeof(int64), MaxAllocHugeSize, "k-mer keys"),
									  MCXT_ALLOC_HUGE)
					: repalloc_huge(keys, KmersearchArrayBytes(cap, sizeof(int64), MaxAllocHugeSize, "k-mer keys"));
				rows = rows == NULL
					? palloc_extended(KmersearchArrayBytes(cap, sizeof(uint16), MaxAllocHugeSize, "k-mer keys"),
									  MCXT_ALLOC_HUGE)
					: repalloc_huge(rows, KmersearchArrayBytes(cap, sizeof(uint16), MaxAllocHugeSize, "k-mer keys"));
			}
			for (i = 0; i < (uint64) nk; i++)
			{
				keys[npairs] = words[pos + 2 + i];
				rows[npairs++] = (uint16) nrows;
			}
			KmiWordTid(words[pos], &tids[nrows++]);
		}
		pos += 2 + nk;
	}
	stamp = ReadNextFullTransactionId();
	if (nrows > 0)
	{
		SortPairs(keys, rows, npairs);
		WriteSegment(index, MAIN_FORKNUM, metabuf, keys, rows, npairs, tids, nrows, false, true);
	}
	else
	{
		/* no live row: the stream is just emptied */
		state = GenericXLogStart(index);
		metapage = GenericXLogRegisterBuffer(state, metabuf, 0);
		KmiPageMeta(metapage)->pending_head = InvalidBlockNumber;
		KmiPageMeta(metapage)->pending_tail = InvalidBlockNumber;
		KmiPageMeta(metapage)->pending_tail_used = 0;
		KmiPageMeta(metapage)->pending_words = 0;
		KmiPageMeta(metapage)->pending_rows = 0;
		KmiPageMeta(metapage)->pending_epoch++;
		GenericXLogFinish(state);
	}

	/* the stream's pages go once no scan that began before can read them */
	for (i = 0; i < npages; i++)
		DeletePage(index, pages[i], stamp);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
}

/* The metapage of an empty index, as block 0 of a fork. */
static void
WriteMetapage(Relation index, ForkNumber fork)
{
	Buffer		buf = ReadBufferExtended(index, fork, P_NEW, RBM_NORMAL, NULL);
	Page		page;
	KmiMetaPageData *meta;

	Assert(BufferGetBlockNumber(buf) == KMI_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(buf);
	KmiInitPage(page, KMI_PAGE_META);
	meta = KmiPageMeta(page);
	memset(meta, 0, sizeof(KmiMetaPageData));
	meta->magic = KMI_MAGIC;
	meta->version = KMI_VERSION;
	meta->directory_head = meta->directory_tail = InvalidBlockNumber;
	meta->pending_head = meta->pending_tail = InvalidBlockNumber;
	((PageHeader) page)->pd_lower = MAXALIGN(SizeOfPageHeaderData) + sizeof(KmiMetaPageData);
	MarkBufferDirty(buf);
	UnlockReleaseBuffer(buf);
}

typedef struct BuildState
{
	Relation	index;
	MemoryContext rowctx;		/* a row's keys */
	int64	   *keys;
	uint16	   *rows;
	Size		npairs;
	Size		cap;
	ItemPointerData *tids;
	uint32		nrows;
	double		indtuples;
} BuildState;

static void
FlushSegment(BuildState *bs)
{
	Buffer		metabuf;

	if (bs->nrows == 0)
		return;
	metabuf = ReadBuffer(bs->index, KMI_METAPAGE_BLKNO);

	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	SortPairs(bs->keys, bs->rows, bs->npairs);
	WriteSegment(bs->index, MAIN_FORKNUM, metabuf, bs->keys, bs->rows, bs->npairs, bs->tids, bs->nrows, true, false);
	UnlockReleaseBuffer(metabuf);
	bs->npairs = 0;
	bs->nrows = 0;
}

static void
BuildCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			  bool tupleIsAlive, void *state)
{
	BuildState *bs = (BuildState *) state;
	MemoryContext old;
	int64	   *keys;
	int32		nkeys,
				i;

	/* =% is strict: a null never matches */
	if (isnull[0])
		return;
	old = MemoryContextSwitchTo(bs->rowctx);
	keys = KmiRowKeys(index, values[0], &nkeys);
	MemoryContextSwitchTo(old);
	if (bs->nrows == KMI_SEGMENT_ROWS || (bs->npairs + nkeys > bs->cap && bs->nrows > 0))
		FlushSegment(bs);
	if ((Size) nkeys > bs->cap)
	{
		/* one row with more keys than the memory holds: a segment of its own */
		bs->cap = nkeys;
		bs->keys = repalloc_huge(bs->keys, bs->cap * sizeof(int64));
		bs->rows = repalloc_huge(bs->rows, bs->cap * sizeof(uint16));
	}
	for (i = 0; i < nkeys; i++)
	{
		bs->keys[bs->npairs] = keys[i];
		bs->rows[bs->npairs++] = (uint16) bs->nrows;
	}
	bs->tids[bs->nrows++] = *tid;
	bs->indtuples += 1;
	MemoryContextReset(bs->rowctx);
}

IndexBuildResult *
kmibuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	BuildState	bs;
	double		reltuples;
	Size		budget = (Size) maintenance_work_mem * 1024;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));
	WriteMetapage(index, MAIN_FORKNUM);

	memset(&bs, 0, sizeof(bs));
	bs.index = index;
	bs.rowctx = AllocSetContextCreate(CurrentMemoryContext, "kmer index build row",
									  ALLOCSET_DEFAULT_SIZES);
	/* a pair is a key and a row number, twice while sorting; the TIDs aside */
	bs.cap = Max((budget - KMI_SEGMENT_ROWS * sizeof(ItemPointerData)) / (2 * (sizeof(int64) + sizeof(uint16))),
				 (Size) KMI_SEGMENT_ROWS);
	bs.keys = palloc_extended(bs.cap * sizeof(int64), MCXT_ALLOC_HUGE);
	bs.rows = palloc_extended(bs.cap * sizeof(uint16), MCXT_ALLOC_HUGE);
	bs.tids = palloc(KMI_SEGMENT_ROWS * sizeof(ItemPointerData));

	reltuples = table_index_build_scan(heap, index, indexInfo, true, true, BuildCallback, &bs, NULL);
	FlushSegment(&bs);

	if (RelationNeedsWAL(index))
		log_newpage_range(index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(index), true);

	MemoryContextDelete(bs.rowctx);
	pfree(bs.keys);
	pfree(bs.rows);
	pfree(bs.tids);
	result = palloc(sizeof(IndexBuildResult));
	result->heap_tuples = reltuples;
	result->index_tuples = bs.indtuples;
	return result;
}

/* An unlogged table's index: its init fork holds the metapage. */
void
kmibuildempty(Relation index)
{
	WriteMetapage(index, INIT_FORKNUM);
	log_newpage_range(index, INIT_FORKNUM, 0, RelationGetNumberOfBlocksInFork(index, INIT_FORKNUM), true);
}
