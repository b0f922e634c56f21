/*
 * kmi.h
 *		The kmer index access method: k-mer keys with posting lists of dense
 *		row numbers, counted at memory speed.
 *
 * GIN keeps a posting list of heap item pointers per key and visits each
 * candidate once per query key; at 10^5 rows and more that loop, and
 * decoding the lists, is the search's time (bench/README.md, "Where the
 * time goes on the full set").  This method numbers rows densely within
 * segments of up to KMI_SEGMENT_ROWS rows, keeps each key's list as 16-bit
 * row numbers grouped by block of KMI_BLOCK_ROWS rows, and answers a search
 * by counting, per segment, the query's keys a row has: the count is the
 * score.  One dictionary serves a whole segment, so a query looks each key
 * up once a segment.
 *
 * The relation:
 *   block 0     the metapage
 *   segments    each a run of contiguous blocks, written once by a build
 *               (or a flush of the pending rows) and never changed after,
 *               except that VACUUM clears the row map entries of dead rows:
 *                 head      KmiSegmentHead: counts
 *                 rowmap    row number -> heap TID (invalid: removed)
 *                 postings  the lists, one after another: a list is, for
 *                           each block that has rows of it (ascending), the
 *                           block's number, its row count less one, and the
 *                           rows' numbers within the block (ascending), all
 *                           uint16 words
 *                 fences    the first key of each dictionary page
 *                 dict      KmiDictEntry: key, where its list starts, its
 *                           words and rows
 *               A build sorts its pairs in runs that fit its memory and
 *               merges up to KMI_MERGE_RUNS runs into a segment.
 *   directory   pages listing the segments (KmiSegmentRef), chained from
 *               the metapage
 *   pending     rows inserted since: a stream of int64 words over chained
 *               pages, per row its TID, its key count and its keys (sorted)
 *
 * The keys are those of the GIN operator classes (gin.c: GinKey), made by
 * the same support functions, so both methods answer alike.
 */
#ifndef KMERSEARCH_KMI_H
#define KMERSEARCH_KMI_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/genam.h"
#include "access/transam.h"
#include "storage/block.h"
#include "storage/bufpage.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"

#define KMI_MAGIC			0x4B4D4931	/* "KMI1" */
#define KMI_VERSION			2
#define KMI_METAPAGE_BLKNO	0
#define KMI_PAGE_ID			0xFF86	/* in the opaque area, as GIN's and others' */

/* support functions: GIN's extractValue and extractQuery, and the options */
#define KMI_EXTRACTVALUE_PROC	1
#define KMI_EXTRACTQUERY_PROC	2
#define KMI_OPTIONS_PROC		3
#define KMI_NPROCS				3

/* the =% operator */
#define KMI_MATCH_STRATEGY		1
#define KMI_NSTRATEGIES			1

/*
 * Rows a block numbers, so that a row number within it is a uint16; blocks
 * a segment has; sorted runs a segment is merged from, at most.
 */
#define KMI_BLOCK_ROWS			65536
#define KMI_SEGMENT_BLOCKS		16
#define KMI_SEGMENT_ROWS		(KMI_BLOCK_ROWS * KMI_SEGMENT_BLOCKS)
#define KMI_MERGE_RUNS			64

/*
 * The largest pending_list_limit, in kB (512 MB): a flush reads the pending
 * words into memory, and holds the metapage while it writes their segment.
 */
#define KMI_MAX_PENDING_KB		(512 * 1024)

/* page types */
#define KMI_PAGE_META			1
#define KMI_PAGE_SEGHEAD		2
#define KMI_PAGE_ROWMAP			3
#define KMI_PAGE_FENCE			4
#define KMI_PAGE_DICT			5
#define KMI_PAGE_POSTING		6
#define KMI_PAGE_DIRECTORY		7
#define KMI_PAGE_PENDING		8
#define KMI_PAGE_DELETED		9	/* a pending page moved into a segment, free:
									 * its words, epoch and link stay until it is
									 * reused (a scan that meets it reused
									 * searches the new segments) */



typedef struct KmiPageOpaqueData
{
	FullTransactionId stamp;	/* a deleted page's: the next transaction id when it was */
	BlockNumber next;			/* directory and pending chains; else invalid */
	uint32		epoch;			/* a pending page's: the metapage's pending_epoch when made */
	uint16		type;			/* KMI_PAGE_* */
	uint16		page_id;		/* KMI_PAGE_ID */
} KmiPageOpaqueData;

typedef KmiPageOpaqueData *KmiPageOpaque;

#define KmiPageGetOpaque(page) ((KmiPageOpaque) PageGetSpecialPointer(page))

/* bytes of content a page holds: between its header and its opaque area */
#define KMI_PAGE_CONTENT \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(KmiPageOpaqueData)))

typedef struct KmiMetaPageData
{
	uint32		magic;
	uint32		version;
	BlockNumber directory_head; /* first directory page, or invalid */
	BlockNumber directory_tail;
	uint32		nsegments;
	BlockNumber pending_head;	/* first pending page, or invalid */
	BlockNumber pending_tail;
	uint32		pending_tail_used;	/* words of the tail page in the stream */
	uint32		pending_rows;	/* rows in the pending pages */
	uint32		pending_epoch;	/* flushes so far: a pending page made since has it */
	uint64		pending_words;	/* int64 words used in the pending pages */
	uint64		indexed_rows;	/* rows in segments and pending, removed ones included */
} KmiMetaPageData;

/* A segment in the directory. */
typedef struct KmiSegmentRef
{
	BlockNumber head;			/* its head page; the others follow */
	uint32		nrows;
} KmiSegmentRef;

/* The head page's content. */
typedef struct KmiSegmentHead
{
	uint32		nrows;			/* 1 .. KMI_SEGMENT_ROWS */
	uint32		rowmap_pages;
	uint32		posting_pages;
	uint32		fence_pages;
	uint32		dict_pages;
	uint32		pad;
	uint64		nkeys;			/* dictionary entries */
	uint64		nwords;			/* uint16 words of the posting stream */
	uint64		npostings;		/* rows of all lists */
} KmiSegmentHead;

/* A dictionary entry: a key and its list in the segment's posting stream. */
typedef struct KmiDictEntry
{
	int64		key;
	uint64		start;			/* index of its first word in the stream */
	uint32		words;			/* its words, block headers included */
	uint32		count;			/* rows that have the key */
} KmiDictEntry;

#define KMI_ROWMAP_PER_PAGE		(KMI_PAGE_CONTENT / sizeof(ItemPointerData))
#define KMI_FENCES_PER_PAGE		(KMI_PAGE_CONTENT / sizeof(int64))
#define KMI_DICT_PER_PAGE		(KMI_PAGE_CONTENT / sizeof(KmiDictEntry))
#define KMI_POSTINGS_PER_PAGE	(KMI_PAGE_CONTENT / sizeof(uint16))
#define KMI_SEGREFS_PER_PAGE	(KMI_PAGE_CONTENT / sizeof(KmiSegmentRef))
#define KMI_PENDING_PER_PAGE	(KMI_PAGE_CONTENT / sizeof(int64))

/* the blocks of a segment's parts, from its head */
static inline BlockNumber
KmiRowmapStart(BlockNumber head)
{
	return head + 1;
}
static inline BlockNumber
KmiPostingStart(BlockNumber head, const KmiSegmentHead *h)
{
	return head + 1 + h->rowmap_pages;
}
static inline BlockNumber
KmiFenceStart(BlockNumber head, const KmiSegmentHead *h)
{
	return head + 1 + h->rowmap_pages + h->posting_pages;
}
static inline BlockNumber
KmiDictStart(BlockNumber head, const KmiSegmentHead *h)
{
	return head + 1 + h->rowmap_pages + h->posting_pages + h->fence_pages;
}
/* the block after the segment's last */
static inline uint64
KmiSegmentEnd(BlockNumber head, const KmiSegmentHead *h)
{
	return (uint64) head + 1 + h->rowmap_pages + h->posting_pages + h->fence_pages + h->dict_pages;
}

/*
 * Whether page (locked) still holds words of the pending stream of epoch
 * epoch: pending, or deleted by a flush since but not reused.
 */
static inline bool
KmiPendingPageOf(Page page, uint32 epoch)
{
	return !PageIsNew(page) &&
		(KmiPageGetOpaque(page)->type == KMI_PAGE_PENDING ||
		 KmiPageGetOpaque(page)->type == KMI_PAGE_DELETED) &&
		KmiPageGetOpaque(page)->epoch == epoch;
}

/* A TID as a pending-stream word, and back: block in the high bits. */
static inline int64
KmiTidWord(ItemPointer tid)
{
	return ((int64) ItemPointerGetBlockNumberNoCheck(tid) << 16) | ItemPointerGetOffsetNumberNoCheck(tid);
}
static inline void
KmiWordTid(int64 w, ItemPointer tid)
{
	ItemPointerSet(tid, (BlockNumber) (w >> 16), (OffsetNumber) (w & 0xFFFF));
}

/* A query's keys and what a row needs (kmiutils.c) */
typedef struct KmiQuery
{
	int32		nkeys;			/* sorted, distinct */
	int64	   *keys;
	int32	   *mult[2];		/* per strand: query keys a key stands for */
	int64		threshold[2];	/* per strand; PG_INT64_MAX when not searched */
	bool		lossy;			/* rows are rechecked */
	bool		all;			/* no keys can tell: every row */
} KmiQuery;

/*
 * What a reader of the index goes by: the metapage, the segments its
 * directory lists, and the index's blocks after the metapage was read.
 */
typedef struct KmiState
{
	KmiMetaPageData meta;
	KmiSegmentRef *segments;	/* meta.nsegments of them */
	BlockNumber nblocks;
} KmiState;

/* kmiutils.c */
extern void KmiReadState(Relation index, KmiState *st);
extern void KmiInitPage(Page page, uint16 type);
extern void KmiReadSegmentHead(Relation index, BlockNumber head, BlockNumber nblocks,
							   KmiSegmentHead *h);
extern int	KmiPageItems(Page page, Size itemsize, Size max);
extern KmiSegmentRef *KmiReadDirectory(Relation index, BlockNumber head, uint32 nsegments);
extern void KmiCheckMeta(Relation index, Page meta);
extern bool KmiPendingMoved(Relation index, uint32 epoch);
extern KmiMetaPageData *KmiPageMeta(Page page);
extern int64 *KmiRowKeys(Relation index, Datum value, int32 *nkeys);
extern void KmiQueryKeys(Relation index, Datum query, KmiQuery *q);

/* kmibuild.c */
extern IndexBuildResult *kmibuild(Relation heap, Relation index, struct IndexInfo *indexInfo);
extern void kmibuildempty(Relation index);
extern void KmiFlushPending(Relation index, Buffer metabuf);
extern Buffer KmiNewBuffer(Relation index);

/* kmihandler.c */
extern void KmiDefineOptions(void);
extern int	KmiPendingListLimit(Relation index);

/* kmiinsert.c */
extern bool kmiinsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
					  Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
					  struct IndexInfo *indexInfo);

/* kmiscan.c */
extern IndexScanDesc kmibeginscan(Relation index, int nkeys, int norderbys);
extern void kmirescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys);
extern int64 kmigetbitmap(IndexScanDesc scan, TIDBitmap *tbm);
extern void kmiendscan(IndexScanDesc scan);

/* kmivacuum.c */
extern IndexBulkDeleteResult *kmibulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
											IndexBulkDeleteCallback callback, void *callback_state);
extern IndexBulkDeleteResult *kmivacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats);

#endif							/* KMERSEARCH_KMI_H */
