/*
 * kmiinsert.c
 *		Rows inserted into a kmer index after its build: appended to the
 *		pending stream (its TID, its key count, its sorted keys), which
 *		searches read row by row.
 *
 * Appending holds the metapage's lock, so appends are serial; each page
 * change is a generic WAL record, and the metapage's word count moves in
 * the last (AppendPending).  Past the index's pending_list_limit the inserting
 * backend moves the pending rows into a segment, as VACUUM does.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "kmi.h"
#include "kmersearch.h"

/* A new pending page of the stream's epoch, registered in state; *buf pinned and locked. */
static Page
NewPendingPage(Relation index, GenericXLogState *state, Buffer *buf, uint32 epoch)
{
	Page		page;

	*buf = KmiNewBuffer(index);
	page = GenericXLogRegisterBuffer(state, *buf, GENERIC_XLOG_FULL_IMAGE);
	KmiInitPage(page, KMI_PAGE_PENDING);
	KmiPageGetOpaque(page)->epoch = epoch;
	return page;
}

/*
 * Append a row's words to the pending stream, the metapage locked by the
 * caller.  The words past the metapage's count are no one's until the last
 * record moves the count (and the tail) over them, with the row's
 * counts; a page linked after the tail by an append that did not finish
 * is taken again by the next one.
 */
static void
AppendPending(Relation index, Buffer metabuf, const int64 *words, uint64 nwords)
{
	KmiMetaPageData *meta = KmiPageMeta(BufferGetPage(metabuf));
	BlockNumber blk = meta->pending_tail;
	uint64		used = meta->pending_tail_used;
	uint64		done = 0;

	if (blk == InvalidBlockNumber)
	{
		/* the stream's first page */
		GenericXLogState *state = GenericXLogStart(index);
		Page		metapage = GenericXLogRegisterBuffer(state, metabuf, 0);
		Buffer		buf;

		NewPendingPage(index, state, &buf, meta->pending_epoch);
		blk = BufferGetBlockNumber(buf);
		KmiPageMeta(metapage)->pending_head = KmiPageMeta(metapage)->pending_tail = blk;
		KmiPageMeta(metapage)->pending_tail_used = 0;
		KmiPageMeta(metapage)->pending_words = 0;
		GenericXLogFinish(state);
		UnlockReleaseBuffer(buf);
		used = 0;
	}
	while (done < nwords)
	{
		GenericXLogState *state = GenericXLogStart(index);
		Buffer		curbuf = ReadBuffer(index, blk);
		Buffer		newbuf = InvalidBuffer;
		Page		page;
		uint64		n;

		CHECK_FOR_INTERRUPTS();
		LockBuffer(curbuf, BUFFER_LOCK_EXCLUSIVE);
		page = GenericXLogRegisterBuffer(state, curbuf, 0);
		if (used == KMI_PENDING_PER_PAGE)
		{
			BlockNumber next = KmiPageGetOpaque(page)->next;

			if (next != InvalidBlockNumber)
			{
				newbuf = ReadBuffer(index, next);
				LockBuffer(newbuf, BUFFER_LOCK_EXCLUSIVE);
				page = GenericXLogRegisterBuffer(state, newbuf, GENERIC_XLOG_FULL_IMAGE);
				KmiInitPage(page, KMI_PAGE_PENDING);
				KmiPageGetOpaque(page)->epoch = meta->pending_epoch;
			}
			else
			{
				Page		cur = page;

				page = NewPendingPage(index, state, &newbuf, meta->pending_epoch);
				KmiPageGetOpaque(cur)->next = BufferGetBlockNumber(newbuf);
			}
			blk = BufferGetBlockNumber(newbuf);
			used = 0;
		}
		n = Min(nwords - done, KMI_PENDING_PER_PAGE - used);
		memcpy((int64 *) PageGetContents(page) + used, words + done, n * sizeof(int64));
		used += n;
		done += n;
		((PageHeader) page)->pd_lower = MAXALIGN(SizeOfPageHeaderData) + used * sizeof(int64);
		if (done == nwords)
		{
			Page		metapage = GenericXLogRegisterBuffer(state, metabuf, 0);

			KmiPageMeta(metapage)->pending_words += nwords;
			KmiPageMeta(metapage)->pending_tail = blk;
			KmiPageMeta(metapage)->pending_tail_used = used;
			KmiPageMeta(metapage)->pending_rows++;
			KmiPageMeta(metapage)->indexed_rows++;
		}
		GenericXLogFinish(state);
		if (newbuf != InvalidBuffer)
			UnlockReleaseBuffer(newbuf);
		UnlockReleaseBuffer(curbuf);
	}
}

bool
kmiinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
		  Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
		  IndexInfo *indexInfo)
{
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "kmer index insert",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	int64	   *keys;
	int64	   *words;
	int32		nkeys;
	Buffer		metabuf;

	if (isnull[0])
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(ctx);
		return false;
	}
	keys = KmiRowKeys(index, values[0], &nkeys);
	words = palloc_extended(KmersearchArrayBytes((uint64) nkeys + 2, sizeof(int64), MaxAllocHugeSize,
												 "k-mer keys"), MCXT_ALLOC_HUGE);
	words[0] = KmiTidWord(heap_tid);
	words[1] = nkeys;
	if (nkeys > 0)
		memcpy(words + 2, keys, nkeys * sizeof(int64));

	metabuf = ReadBuffer(index, KMI_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	KmiCheckMeta(index, BufferGetPage(metabuf));
	AppendPending(index, metabuf, words, (uint64) nkeys + 2);
	if (KmiPageMeta(BufferGetPage(metabuf))->pending_words * sizeof(int64) >=
		(uint64) KmiPendingListLimit(index) * 1024)
		KmiFlushPending(index, metabuf);
	UnlockReleaseBuffer(metabuf);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
	return false;
}
