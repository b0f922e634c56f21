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
static KmiSegmentRef *
Segments(Relation index, int *nsegments, uint32 *pending_epoch)
{
	Buffer		buf = ReadBuffer(index, KMI_METAPAGE_BLKNO);
	KmiMetaPageData *meta;
	BlockNumber blk;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	KmiCheckMeta(index, BufferGetPage(buf));
	meta = KmiPageMeta(BufferGetPage(buf));
	*nsegments = meta->nsegments;
	if (pending_epoch != NULL)
		*pending_epoch = meta->pending_epoch;
	blk = meta->directory_head;
	UnlockReleaseBuffer(buf);
	return KmiReadDirectory(index, blk, *nsegments);
}

IndexBulkDeleteResult *
kmibulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
			  IndexBulkDeleteCallback callback, void *callback_state)
{
	Relation	index = info->index;
	VacuumCounts vc = {0, 0};
	KmiSegmentRef *refs;
	Buffer		metabuf;
	BlockNumber nblocks;
	int			n,
				i;

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

	refs = Segments(index, &n, NULL);
	nblocks = RelationGetNumberOfBlocks(index);
	for (i = 0; i < n; i++)
		VacuumSegment(index, &refs[i], nblocks, callback, callback_state, &vc, info->strategy);
	pfree(refs);
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
	KmiSegmentRef *refs;
	int			nseg,
				i;
	BlockNumber nblocks,
				blk;
	bool	   *in_segment;
	BlockNumber *free_blocks;
	BlockNumber nfree = 0;
	uint32		epoch;

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
	refs = Segments(index, &nseg, &epoch);
	LockRelationForExtension(index, ExclusiveLock);
	nblocks = RelationGetNumberOfBlocks(index);
	UnlockRelationForExtension(index, ExclusiveLock);
	in_segment = palloc0(sizeof(bool) * Max(nblocks, 1));
	free_blocks = palloc(sizeof(BlockNumber) * Max(nblocks, 1));
	for (i = 0; i < nseg; i++)
	{
		KmiSegmentHead h;
		BlockNumber end;

		KmiReadSegmentHead(index, refs[i].head, nblocks, &h);
		end = (BlockNumber) KmiSegmentEnd(refs[i].head, &h);
		for (blk = refs[i].head; blk < end; blk++)
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
			 (int32) (KmiPageGetOpaque(page)->epoch - epoch) < 0))
			free_blocks[nfree++] = blk;
		UnlockReleaseBuffer(buf);
	}
	/* recorded with no buffer locked: the free space map may need the extension lock */
	for (i = 0; i < (int) nfree; i++)
		RecordFreeIndexPage(index, free_blocks[i]);
	IndexFreeSpaceMapVacuum(index);
	pfree(in_segment);
	pfree(free_blocks);
	pfree(refs);
	stats->num_pages = nblocks;
	stats->pages_free = nfree;
	return stats;
}
