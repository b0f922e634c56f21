/*
 * kmivacuum.c
 *		VACUUM of a kmer index: the pending rows are moved into a segment,
 *		then the row map entries of removed rows are cleared (searches skip
 *		them), each page's change a generic WAL record; the pages of moved
 *		pending rows (and pages a crash left new) go to the free space map.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/indexfsm.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "kmi.h"
#include "kmersearch.h"

typedef struct VacuumCounts
{
	double		live;
	double		removed;
} VacuumCounts;

/* Clear the removed rows of a segment's row map. */
static void
VacuumSegment(Relation index, const KmiSegmentRef *ref, BlockNumber nblocks, IndexBulkDeleteCallback callback,
			  void *callback_state, VacuumCounts *vc, BufferAccessStrategy strategy)
{
	Buffer		buf;
	KmiSegmentHead h;
	uint32		p;

	KmiReadSegmentHead(index, ref->head, nblocks, &h);

	for (p = 0; p < h.rowmap_pages; p++)
	{
		uint32		n = Min(h.nrows - p * KMI_ROWMAP_PER_PAGE, KMI_ROWMAP_PER_PAGE);
		GenericXLogState *state;
		Page		page;
		ItemPointer tids;
		uint32		i;
		bool		changed = false;

		KmerVacuumDelayPoint();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, KmiRowmapStart(ref->head) + p, RBM_NORMAL, strategy);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		state = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(state, buf, 0);
		tids = (ItemPointer) PageGetContents(page);
		for (i = 0; i < n; i++)
		{
			if (!ItemPointerIsValid(&tids[i]))
				continue;
			if (callback(&tids[i], callback_state))
			{
				ItemPointerSetInvalid(&tids[i]);
				vc->removed += 1;
				changed = true;
			}
			else
				vc->live += 1;
		}
		if (changed)
			GenericXLogFinish(state);
		else
			GenericXLogAbort(state);
		UnlockReleaseBuffer(buf);
	}
}

/* The segments now, from the directory. */
IndexBulkDeleteResult *
kmibulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
			  IndexBulkDeleteCallback callback, void *callback_state)
{
	Relation	index = info->index;
	VacuumCounts vc = {0, 0};
	KmiState	st;
	Buffer		metabuf;
	int			i;

	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));

	/*
	 * The pending rows go into a segment first: then every row whose TID
	 * VACUUM removes is in a segment of the directory read next.  Rows
	 * inserted (and segments written) from now on are not among them: the
	 * TIDs being removed are not reused before VACUUM is done with the
	 * indexes.
	 */
	metabuf = ReadBuffer(index, KMI_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	KmiCheckMeta(index, BufferGetPage(metabuf));
	KmiFlushPending(index, metabuf);
	UnlockReleaseBuffer(metabuf);

	KmiReadState(index, &st);
	for (i = 0; i < (int) st.meta.nsegments; i++)
		VacuumSegment(index, &st.segments[i], st.nblocks, callback, callback_state, &vc, info->strategy);
	pfree(st.segments);
	stats->tuples_removed += vc.removed;
	stats->num_index_tuples = vc.live;
	stats->num_pages = RelationGetNumberOfBlocks(index);
	return stats;
}

/*
 * After VACUUM: the pending rows moved into a segment, the deleted pages
 * no scan can read any more given to the free space map (the pages of
 * segments are not read: they are never deleted), and the index's size
 * and rows.
 */
IndexBulkDeleteResult *
kmivacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	Relation	index = info->index;
	Buffer		metabuf;
	KmiState	st;
	int			i;
	BlockNumber nblocks,
				blk;
	bool	   *in_segment;
	BlockNumber *free_blocks;
	BlockNumber nfree = 0;

	if (info->analyze_only)
		return stats;

	metabuf = ReadBuffer(index, KMI_METAPAGE_BLKNO);
	LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	KmiCheckMeta(index, BufferGetPage(metabuf));
	KmiFlushPending(index, metabuf);
	if (stats == NULL)
	{
		stats = palloc0(sizeof(IndexBulkDeleteResult));
		stats->num_index_tuples = (double) KmiPageMeta(BufferGetPage(metabuf))->indexed_rows;
		stats->estimated_count = true;
	}
	UnlockReleaseBuffer(metabuf);

	/*
	 * The segments, then the blocks now (so that every segment listed is
	 * inside them): a segment being written holds the extension lock until
	 * its pages are.
	 */
	KmiReadState(index, &st);
	LockRelationForExtension(index, ExclusiveLock);
	nblocks = RelationGetNumberOfBlocks(index);
	UnlockRelationForExtension(index, ExclusiveLock);
	in_segment = palloc0(sizeof(bool) * Max(nblocks, 1));
	free_blocks = palloc(sizeof(BlockNumber) * Max(nblocks, 1));
	for (i = 0; i < (int) st.meta.nsegments; i++)
	{
		KmiSegmentHead h;
		BlockNumber end;

		KmiReadSegmentHead(index, st.segments[i].head, nblocks, &h);
		end = (BlockNumber) KmiSegmentEnd(st.segments[i].head, &h);
		for (blk = st.segments[i].head; blk < end; blk++)
			in_segment[blk] = true;
	}
	for (blk = KMI_METAPAGE_BLKNO + 1; blk < nblocks; blk++)
	{
		Buffer		buf;
		Page		page;

		if (in_segment[blk])
			continue;
		KmerVacuumDelayPoint();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL, info->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		/*
		 * Free: new pages (a crash left them), deleted ones, and pending
		 * pages of an older stream than the metapage's, which an error
		 * between a flush's directory record and its deleting left
		 */
		if (PageIsNew(page) || KmiPageGetOpaque(page)->type == KMI_PAGE_DELETED ||
			(KmiPageGetOpaque(page)->type == KMI_PAGE_PENDING &&
			 (int32) (KmiPageGetOpaque(page)->epoch - st.meta.pending_epoch) < 0))
			free_blocks[nfree++] = blk;
		UnlockReleaseBuffer(buf);
	}
	/* recorded with no buffer locked: the free space map may need the extension lock */
	for (i = 0; i < (int) nfree; i++)
		RecordFreeIndexPage(index, free_blocks[i]);
	IndexFreeSpaceMapVacuum(index);
	pfree(in_segment);
	pfree(free_blocks);
	pfree(st.segments);
	stats->num_pages = nblocks;
	stats->pages_free = nfree;
	return stats;
}
