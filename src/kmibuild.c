/*
 * kmibuild.c
 *		Building a kmer index, and writing a segment (by a build, or by a
 *		flush of the pending rows).
 *
 * A build scans the table, takes each row's keys and gives the row the
 * next row number of the current segment; the (key, row number) pairs are
 * held in memory until the run has KMI_BLOCK_ROWS rows or the pairs fill
 * maintenance_work_mem, then sorted by key (a stable radix sort, so each
 * list stays in row order) and spilled to a temporary file.  A segment's
 * runs (KMI_SEGMENT_ROWS rows or KMI_MERGE_RUNS runs at most) are merged by
 * key into its lists, so that a search finds each of its keys once in the
 * segment's one dictionary.  The pages are written through shared buffers
 * and WAL-logged whole at the end, as PostgreSQL's own index builds do; a
 * flush of the pending rows writes its segment the same way, each page a
 * generic WAL record.
 *
 * In parallel (when the planner gives the build workers, as for B-tree:
 * plan_create_index_workers), the leader and each worker scan the table
 * together (a parallel table scan) and spill their runs, and each run's
 * TIDs, to files of one SharedFileSet; then the leader groups the runs,
 * participant by participant, into segments and merges each as above.
 * The rows of a participant are numbered in the order it met them: no
 * part of the index needs a segment's rows in TID order.
 */
#include "postgres.h"

#include "access/generic_xlog.h"
#include "access/parallel.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xloginsert.h"
#include "catalog/index.h"
#include "commands/tablespace.h"
#include "executor/instrument.h"
#include "lib/binaryheap.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "storage/buffile.h"
#include "storage/bufmgr.h"
#include "storage/indexfsm.h"
#include "storage/lmgr.h"
#include "storage/sharedfileset.h"
#include "storage/shm_toc.h"
#include "storage/spin.h"
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
	/* no buffer is locked here (the head of a segment being written is only pinned) */
	CHECK_FOR_INTERRUPTS();
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
 * A sorted run spilled to a temporary file: per key (ascending), the key,
 * its row count and its rows (the run's row numbers, ascending).
 */
typedef struct KmiRun
{
	BufFile    *file;
	uint32		first;			/* the segment's row number of the run's row 0 */
	int			participant;	/* a parallel build's: the file's name */
	uint32		number;
} KmiRun;

/*
 * Rows on their way into segments: the (key, row) pairs of the current run
 * in memory, the runs spilled before it, and the segment's TIDs.  A run
 * ends at KMI_BLOCK_ROWS rows (its row numbers are uint16) or when its
 * pairs fill the memory; a segment when it has KMI_SEGMENT_ROWS rows or
 * KMI_MERGE_RUNS spilled runs.
 *
 * A participant of a parallel build (fileset set) only spills: each run to
 * a file of its own in the build's set, and its row count and TIDs to the
 * participant's file of TIDs; its tids hold the current run's.
 */
typedef struct SegmentBuilder
{
	Relation	index;
	MemoryContext mcx;			/* of its arrays */
	bool		bulk;			/* a build: the pages are WAL-logged when it ends */
	Buffer		metabuf;		/* locked by the caller, or invalid: locked per segment */
	Size		cap;			/* pairs the memory holds */
	Size		alloc;			/* pairs allocated */
	int64	   *keys;
	uint16	   *rows;			/* row numbers within the run */
	Size		npairs;
	uint32		runrows;		/* rows of the run in memory */
	KmiRun		runs[KMI_MERGE_RUNS];
	int			nruns;
	ItemPointerData *tids;		/* the segment's rows, by row number */
	uint32		tidcap;
	uint32		nrows;
	SharedFileSet *fileset;		/* a participant's: the build's set */
	int			participant;
	uint32		spilled;		/* a participant's runs so far */
	BufFile    *tidfile;		/* per run: its row count, then its TIDs */
} SegmentBuilder;

/* A run read back, key by key, from its file or (the last run) from memory. */
typedef struct RunReader
{
	int64		key;
	uint32		count;
	const uint16 *rows;
	uint32		first;
	BufFile    *file;
	uint16	   *buf;			/* a spilled run's rows of the key */
	uint32		bufcap;
	const int64 *mkeys;			/* the run in memory */
	const uint16 *mrows;
	Size		pos;
	Size		npairs;
} RunReader;

static void
BuilderInit(SegmentBuilder *sb, Relation index, bool bulk, Buffer metabuf, Size budget)
{
	memset(sb, 0, sizeof(*sb));
	sb->index = index;
	sb->mcx = CurrentMemoryContext;
	sb->bulk = bulk;
	sb->metabuf = metabuf;
	/* a pair is a key and a row number, twice while sorting; the TIDs aside */
	sb->cap = Max(budget / (2 * (sizeof(int64) + sizeof(uint16))), (Size) KMI_BLOCK_ROWS);
}

static void
RunRead(BufFile *file, void *ptr, size_t size)
{
	size_t		got = BufFileRead(file, ptr, size);

	if (got != size)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read from a kmer index build's temporary file: read only %zu of %zu bytes",
						got, size)));
}

/* The reader's next key, false at the run's end. */
static bool
ReaderNext(RunReader *r)
{
	if (r->file != NULL)
	{
		size_t		got = BufFileRead(r->file, &r->key, sizeof(int64));

		if (got == 0)
			return false;
		if (got != sizeof(int64))
			RunRead(r->file, &r->key, sizeof(int64));	/* reports the short read */
		RunRead(r->file, &r->count, sizeof(uint32));
		if (r->count == 0 || r->count > KMI_BLOCK_ROWS)
			elog(ERROR, "kmer index build's temporary file has a list of %u rows", r->count);
		if (r->count > r->bufcap)
		{
			r->bufcap = Max(r->count, Min(r->bufcap * 2, KMI_BLOCK_ROWS));
			r->buf = r->buf == NULL ? palloc(r->bufcap * sizeof(uint16))
				: repalloc(r->buf, r->bufcap * sizeof(uint16));
		}
		RunRead(r->file, r->buf, r->count * sizeof(uint16));
		r->rows = r->buf;
		return true;
	}
	else
	{
		Size		end = r->pos + 1;

		if (r->pos >= r->npairs)
			return false;
		while (end < r->npairs && r->mkeys[end] == r->mkeys[r->pos])
			end++;
		r->key = r->mkeys[r->pos];
		r->count = (uint32) (end - r->pos);
		r->rows = r->mrows + r->pos;
		r->pos = end;
		return true;
	}
}

/* The smallest key first; of equal keys, the earlier run's (its rows are lower). */
static int
CompareReaders(Datum a, Datum b, void *arg)
{
	RunReader  *readers = (RunReader *) arg;
	const RunReader *x = &readers[DatumGetInt32(a)];
	const RunReader *y = &readers[DatumGetInt32(b)];

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return DatumGetInt32(a) < DatumGetInt32(b) ? 1 : -1;
}

/* The names of a parallel build's files in its SharedFileSet. */
static void
RunFileName(char *buf, int participant, uint32 run)
{
	snprintf(buf, MAXPGPATH, "kmi-%d-run-%u", participant, run);
}

static void
TidFileName(char *buf, int participant)
{
	snprintf(buf, MAXPGPATH, "kmi-%d-tids", participant);
}

/*
 * Sort the run in memory and write it to a file of its own: a temporary
 * file the builder merges later, or a participant's file in the build's set.
 */
static void
SpillRun(SegmentBuilder *sb)
{
	BufFile    *file;
	Size		i;

	Assert(sb->runrows > 0);
	SortPairs(sb->keys, sb->rows, sb->npairs);
	if (sb->fileset != NULL)
	{
		char		name[MAXPGPATH];

		RunFileName(name, sb->participant, sb->spilled);
		file = BufFileCreateFileSet(&sb->fileset->fs, name);
	}
	else
	{
		Assert(sb->nruns < KMI_MERGE_RUNS);
		file = BufFileCreateTemp(false);
	}
	for (i = 0; i < sb->npairs;)
	{
		Size		end = i + 1;
		uint32		n;

		while (end < sb->npairs && sb->keys[end] == sb->keys[i])
			end++;
		n = (uint32) (end - i);
		BufFileWrite(file, &sb->keys[i], sizeof(int64));
		BufFileWrite(file, &n, sizeof(uint32));
		BufFileWrite(file, &sb->rows[i], n * sizeof(uint16));
		i = end;
	}
	if (sb->fileset != NULL)
	{
		uint32		n = sb->runrows;

		Assert(sb->nrows == sb->runrows);
		BufFileClose(file);
		BufFileWrite(sb->tidfile, &n, sizeof(uint32));
		BufFileWrite(sb->tidfile, sb->tids, n * sizeof(ItemPointerData));
		sb->spilled++;
		sb->nrows = 0;
	}
	else
	{
		if (BufFileSeek(file, 0, 0, SEEK_SET) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not rewind a kmer index build's temporary file: %m")));
		sb->runs[sb->nruns].file = file;
		sb->runs[sb->nruns].first = sb->nrows - sb->runrows;
		sb->nruns++;
	}
	sb->npairs = 0;
	sb->runrows = 0;
}

/* The posting pages of a segment being written, filled word by word. */
typedef struct PostingWriter
{
	PageWriter *w;
	uint16	   *words;			/* the current page's */
	uint32		used;			/* of its words */
	uint64		nwords;
	uint32		pages;
} PostingWriter;

static void
PutWords(PostingWriter *pw, const uint16 *src, uint32 n)
{
	while (n > 0)
	{
		uint32		k;

		if (pw->words == NULL || pw->used == KMI_POSTINGS_PER_PAGE)
		{
			pw->words = (uint16 *) WriterNewPage(pw->w, KMI_PAGE_POSTING);
			pw->used = 0;
			pw->pages++;
		}
		k = Min(n, (uint32) KMI_POSTINGS_PER_PAGE - pw->used);
		memcpy(pw->words + pw->used, src, k * sizeof(uint16));
		pw->used += k;
		pw->w->used = pw->used * sizeof(uint16);
		pw->nwords += k;
		src += k;
		n -= k;
	}
}

/*
 * Write the builder's rows as a segment: the spilled runs and the one in
 * memory merged by key, each key's rows grouped by block; link it into the
 * directory (with reset_pending, the same record empties the pending
 * stream).  The segment's blocks are contiguous: the relation extension
 * lock is held while they are written.
 */
static void
BuilderFinishSegment(SegmentBuilder *sb, bool reset_pending)
{
	PageWriter	w = {sb->index, MAIN_FORKNUM, sb->bulk, InvalidBuffer, NULL, NULL, 0};
	PostingWriter pw = {&w, NULL, 0, 0, 0};
	int			nreaders = sb->nruns + (sb->runrows > 0 ? 1 : 0);
	RunReader  *readers = palloc0(sizeof(RunReader) * Max(nreaders, 1));
	binaryheap *heap = binaryheap_allocate(Max(nreaders, 1), CompareReaders, readers);
	uint32	   *keyrows = palloc(sizeof(uint32) * sb->nrows);
	uint16	   *words = palloc(sizeof(uint16) * sb->nrows);
	uint32		nkeyrows = 0;
	int64		curkey = 0;
	KmiSegmentHead h;
	BufFile    *dict = BufFileCreateTemp(false);
	int64	   *fences = NULL;
	uint32		nfences = 0,
				fencecap = 0;
	Buffer		headbuf,
				metabuf;
	BlockNumber head;
	Page		page;
	uint64		i;
	int			r;

	Assert(sb->nrows > 0 && sb->nrows <= KMI_SEGMENT_ROWS);
	if (sb->runrows > 0)
		SortPairs(sb->keys, sb->rows, sb->npairs);
	for (r = 0; r < nreaders; r++)
	{
		RunReader  *rd = &readers[r];

		if (r < sb->nruns)
		{
			rd->file = sb->runs[r].file;
			rd->first = sb->runs[r].first;
		}
		else
		{
			rd->mkeys = sb->keys;
			rd->mrows = sb->rows;
			rd->npairs = sb->npairs;
			rd->first = sb->nrows - sb->runrows;
		}
		if (ReaderNext(rd))
			binaryheap_add_unordered(heap, Int32GetDatum(r));
	}
	binaryheap_build(heap);

	memset(&h, 0, sizeof(h));
	h.nrows = sb->nrows;
	h.rowmap_pages = (sb->nrows + KMI_ROWMAP_PER_PAGE - 1) / KMI_ROWMAP_PER_PAGE;

	LockRelationForExtension(sb->index, ExclusiveLock);

	/*
	 * The head first, written last with the counts; then the row map.  The
	 * head is only pinned meanwhile, so that a cancel is seen between pages:
	 * no other backend reaches the block, which no directory or free space
	 * map lists, and VACUUM counts the blocks under the extension lock.
	 */
	headbuf = ReadBufferExtended(sb->index, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);
	head = BufferGetBlockNumber(headbuf);
	for (i = 0; i < sb->nrows; i++)
	{
		char	   *content;

		if (i % KMI_ROWMAP_PER_PAGE == 0)
			(void) WriterNewPage(&w, KMI_PAGE_ROWMAP);
		content = PageGetContents(w.page);
		memcpy(content + w.used, &sb->tids[i], sizeof(ItemPointerData));
		w.used += sizeof(ItemPointerData);
	}
	WriterFinishPage(&w);

	/* the lists, key by key; their dictionary entries to a file meanwhile */
	for (;;)
	{
		bool		done = binaryheap_empty(heap);
		RunReader  *rd = done ? NULL : &readers[DatumGetInt32(binaryheap_first(heap))];

		if (nkeyrows > 0 && (done || rd->key != curkey))
		{
			KmiDictEntry e;
			uint32		j = 0;

			memset(&e, 0, sizeof(e));
			e.key = curkey;
			e.start = pw.nwords;
			e.count = nkeyrows;
			while (j < nkeyrows)
			{
				uint32		block = keyrows[j] / KMI_BLOCK_ROWS,
							k = j;
				uint16		hdr[2];

				while (k < nkeyrows && keyrows[k] / KMI_BLOCK_ROWS == block)
				{
					words[k - j] = (uint16) (keyrows[k] % KMI_BLOCK_ROWS);
					k++;
				}
				hdr[0] = (uint16) block;
				hdr[1] = (uint16) (k - j - 1);
				PutWords(&pw, hdr, 2);
				PutWords(&pw, words, k - j);
				j = k;
			}
			e.words = (uint32) (pw.nwords - e.start);
			if (h.nkeys % KMI_DICT_PER_PAGE == 0)
			{
				if (nfences == fencecap)
				{
					fencecap = Max(fencecap * 2, 1024);
					fences = fences == NULL ? palloc(sizeof(int64) * fencecap)
						: repalloc_huge(fences, sizeof(int64) * fencecap);
				}
				fences[nfences++] = curkey;
			}
			BufFileWrite(dict, &e, sizeof(e));
			h.nkeys++;
			h.npostings += nkeyrows;
			nkeyrows = 0;
		}
		if (done)
			break;
		curkey = rd->key;
		if (nkeyrows + rd->count > sb->nrows)
			elog(ERROR, "kmer index build has more rows of a key than rows");
		for (i = 0; i < rd->count; i++)
			keyrows[nkeyrows++] = rd->first + rd->rows[i];
		if (ReaderNext(rd))
			binaryheap_replace_first(heap, binaryheap_first(heap));
		else
			(void) binaryheap_remove_first(heap);
	}
	WriterFinishPage(&w);
	h.nwords = pw.nwords;
	h.posting_pages = pw.pages;
	h.dict_pages = (h.nkeys + KMI_DICT_PER_PAGE - 1) / KMI_DICT_PER_PAGE;
	h.fence_pages = (h.dict_pages + KMI_FENCES_PER_PAGE - 1) / KMI_FENCES_PER_PAGE;
	Assert(nfences == h.dict_pages);

	for (i = 0; i < nfences; i++)
	{
		char	   *content;

		if (i % KMI_FENCES_PER_PAGE == 0)
			(void) WriterNewPage(&w, KMI_PAGE_FENCE);
		content = PageGetContents(w.page);
		memcpy(content + w.used, &fences[i], sizeof(int64));
		w.used += sizeof(int64);
	}
	if (BufFileSeek(dict, 0, 0, SEEK_SET) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not rewind a kmer index build's temporary file: %m")));
	for (i = 0; i < h.nkeys; i += KMI_DICT_PER_PAGE)
	{
		uint32		n = (uint32) Min(h.nkeys - i, (uint64) KMI_DICT_PER_PAGE);
		char	   *content;

		content = WriterNewPage(&w, KMI_PAGE_DICT);
		RunRead(dict, content, n * sizeof(KmiDictEntry));
		w.used = n * sizeof(KmiDictEntry);
	}
	WriterFinishPage(&w);

	/* the head, with the counts */
	LockBuffer(headbuf, BUFFER_LOCK_EXCLUSIVE);
	if (sb->bulk)
		page = BufferGetPage(headbuf);
	else
	{
		w.state = GenericXLogStart(sb->index);
		page = GenericXLogRegisterBuffer(w.state, headbuf, GENERIC_XLOG_FULL_IMAGE);
	}
	KmiInitPage(page, KMI_PAGE_SEGHEAD);
	memcpy(PageGetContents(page), &h, sizeof(h));
	((PageHeader) page)->pd_lower = MAXALIGN(SizeOfPageHeaderData) + sizeof(h);
	if (sb->bulk)
		MarkBufferDirty(headbuf);
	else
		GenericXLogFinish(w.state);
	UnlockReleaseBuffer(headbuf);
	Assert(RelationGetNumberOfBlocksInFork(sb->index, MAIN_FORKNUM) == KmiSegmentEnd(head, &h));
	UnlockRelationForExtension(sb->index, ExclusiveLock);

	metabuf = sb->metabuf;
	if (metabuf == InvalidBuffer)
	{
		metabuf = ReadBuffer(sb->index, KMI_METAPAGE_BLKNO);
		LockBuffer(metabuf, BUFFER_LOCK_EXCLUSIVE);
	}
	AddToDirectory(sb->index, MAIN_FORKNUM, metabuf, head, sb->nrows, sb->bulk, reset_pending);
	if (sb->metabuf == InvalidBuffer)
		UnlockReleaseBuffer(metabuf);

	for (r = 0; r < sb->nruns; r++)
		BufFileClose(sb->runs[r].file);
	BufFileClose(dict);
	for (r = 0; r < nreaders; r++)
		if (readers[r].buf != NULL)
			pfree(readers[r].buf);
	binaryheap_free(heap);
	pfree(readers);
	pfree(keyrows);
	pfree(words);
	if (fences != NULL)
		pfree(fences);
	sb->nruns = 0;
	sb->npairs = 0;
	sb->runrows = 0;
	sb->nrows = 0;
}

/* Room for n more TIDs in the segment (KMI_SEGMENT_ROWS at most). */
static void
BuilderReserveTids(SegmentBuilder *sb, uint32 n)
{
	if (sb->nrows + n <= sb->tidcap)
		return;
	sb->tidcap = Min(Max(sb->nrows + n, Max(sb->tidcap * 2, 1024)), KMI_SEGMENT_ROWS);
	sb->tids = sb->tids == NULL ? MemoryContextAlloc(sb->mcx, sizeof(ItemPointerData) * sb->tidcap)
		: repalloc(sb->tids, sizeof(ItemPointerData) * sb->tidcap);
}

/* Add a row and its keys (distinct), starting a run or a segment first when the current one is full. */
static void
BuilderAddRow(SegmentBuilder *sb, ItemPointer tid, const int64 *keys, int32 nkeys)
{
	if (sb->nrows == KMI_SEGMENT_ROWS)
		BuilderFinishSegment(sb, false);
	if (sb->runrows == KMI_BLOCK_ROWS || (sb->npairs + nkeys > sb->cap && sb->runrows > 0))
	{
		SpillRun(sb);
		if (sb->fileset == NULL && sb->nruns == KMI_MERGE_RUNS)
			BuilderFinishSegment(sb, false);
	}
	if (sb->npairs + nkeys > sb->alloc)
	{
		/* grown as the rows come, up to the memory; one row with more keys gets a run of its own */
		Size		alloc = Max(Min(Max(sb->alloc * 2, (Size) 65536), sb->cap), sb->npairs + nkeys);

		sb->keys = sb->keys == NULL
			? MemoryContextAllocExtended(sb->mcx, KmersearchArrayBytes(alloc, sizeof(int64), MaxAllocHugeSize,
																	   "k-mer keys"), MCXT_ALLOC_HUGE)
			: repalloc_huge(sb->keys, KmersearchArrayBytes(alloc, sizeof(int64), MaxAllocHugeSize, "k-mer keys"));
		sb->rows = sb->rows == NULL
			? MemoryContextAllocExtended(sb->mcx, KmersearchArrayBytes(alloc, sizeof(uint16), MaxAllocHugeSize,
																	   "k-mer keys"), MCXT_ALLOC_HUGE)
			: repalloc_huge(sb->rows, KmersearchArrayBytes(alloc, sizeof(uint16), MaxAllocHugeSize, "k-mer keys"));
		sb->alloc = alloc;
	}
	BuilderReserveTids(sb, 1);
	if (nkeys > 0)
		memcpy(sb->keys + sb->npairs, keys, nkeys * sizeof(int64));
	{
		int32		i;

		for (i = 0; i < nkeys; i++)
			sb->rows[sb->npairs + i] = (uint16) sb->runrows;
	}
	sb->npairs += nkeys;
	sb->tids[sb->nrows++] = *tid;
	sb->runrows++;
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
	Buffer		buf = InvalidBuffer;
	BlockNumber busy[8];		/* free pages a search held: back in the map after */
	int			nbusy = 0,
				i;

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
			if (PageIsNew(page) || KmiPageGetOpaque(page)->type == KMI_PAGE_DELETED)
				break;
			LockBuffer(buf, BUFFER_LOCK_UNLOCK);
		}
		else if (nbusy < lengthof(busy))
			busy[nbusy++] = blk;
		ReleaseBuffer(buf);
		buf = InvalidBuffer;
	}
	if (nbusy > 0)
	{
		for (i = 0; i < nbusy; i++)
			RecordFreeIndexPage(index, busy[i]);
		IndexFreeSpaceMapVacuum(index);
	}
	if (buf != InvalidBuffer)
		return buf;
	/* locked before others can see it: an unlocked new page is one a crash left */
	LockRelationForExtension(index, ExclusiveLock);
	buf = ReadBuffer(index, P_NEW);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	UnlockRelationForExtension(index, ExclusiveLock);
	return buf;
}

/*
 * Mark a pending page deleted, free to reuse.  Its words, epoch and link
 * stay: a scan that read the metapage before the flush reads the rows it
 * expects, or, once the page is reused, sees its new type or epoch and
 * searches the flush's segments instead (SearchPending).
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
	SegmentBuilder sb;
	FullTransactionId stamp;
	ItemPointerData tid;
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

	/* the rows, into segments */
	BuilderInit(&sb, index, false, metabuf, (Size) maintenance_work_mem * 1024);
	for (pos = 0; pos < nwords;)
	{
		int64		nk;

		CHECK_FOR_INTERRUPTS();
		if (pos + 2 > nwords || words[pos + 1] < 0 || words[pos + 1] > PG_INT32_MAX ||
			(uint64) words[pos + 1] > nwords - pos - 2)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("kmer index \"%s\" has a pending row past the stream's end",
							RelationGetRelationName(index))));
		nk = words[pos + 1];
		if (words[pos] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("kmer index \"%s\" has a pending row without a heap TID",
							RelationGetRelationName(index))));
		KmiWordTid(words[pos], &tid);
		BuilderAddRow(&sb, &tid, words + pos + 2, (int32) nk);
		pos += 2 + nk;
	}
	stamp = ReadNextFullTransactionId();
	if (sb.nrows > 0)
		BuilderFinishSegment(&sb, true);
	else
	{
		/* no row: the stream is just emptied */
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

	/* the stream's pages, free at once (the free space map may need the extension lock: taken after the metapage's, as everywhere) */
	for (i = 0; i < npages; i++)
		DeletePage(index, pages[i], stamp);
	for (i = 0; i < npages; i++)
		RecordFreeIndexPage(index, pages[i]);
	/* the map's upper levels, which GetFreeIndexPage searches from */
	if (npages > 0)
		IndexFreeSpaceMapVacuum(index);

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
	MemoryContext rowctx;		/* a row's keys */
	SegmentBuilder sb;
	double		indtuples;
} BuildState;

static void
BuildCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			  bool tupleIsAlive, void *state)
{
	BuildState *bs = (BuildState *) state;
	MemoryContext old;
	int64	   *keys;
	int32		nkeys;

	/* =% is strict: a null never matches */
	if (isnull[0])
		return;
	old = MemoryContextSwitchTo(bs->rowctx);
	keys = KmiRowKeys(index, values[0], &nkeys);
	MemoryContextSwitchTo(old);
	BuilderAddRow(&bs->sb, tid, keys, nkeys);
	bs->indtuples += 1;
	MemoryContextReset(bs->rowctx);
}

/* ---------------------------------------------------------------- parallel build */

#define KMI_BUILD_KEY_SHARED		UINT64CONST(0xB1D0000000000001)
#define KMI_BUILD_KEY_SCAN			UINT64CONST(0xB1D0000000000002)
#define KMI_BUILD_KEY_BUFFER_USAGE	UINT64CONST(0xB1D0000000000003)
#define KMI_BUILD_KEY_WAL_USAGE		UINT64CONST(0xB1D0000000000004)

/* What the participants of a parallel build share (participant 0 is the leader). */
typedef struct KmiBuildShared
{
	Oid			heaprelid;
	Oid			indexrelid;
	bool		isconcurrent;
	Size		budget;			/* memory of each participant's runs */
	SharedFileSet fileset;		/* the runs and the TIDs */
	slock_t		mutex;			/* protects what follows */
	double		reltuples;
	bool		brokenhotchain; /* a participant's scan met one (index_build needs to know) */
	struct
	{
		bool		done;		/* its files are complete */
		double		indtuples;	/* rows it indexed */
	}			participants[FLEXIBLE_ARRAY_MEMBER];
} KmiBuildShared;

/*
 * A participant's share of the scan: its runs and TIDs into the build's
 * files, its counts into the shared state.
 */
static void
BuildParticipate(KmiBuildShared *sh, ParallelTableScanDesc pscan, Relation heap, Relation index,
				 IndexInfo *indexInfo, int participant, Size budget, bool progress)
{
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "kmer index build",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	BuildState	bs;
	char		name[MAXPGPATH];
	double		reltuples;

	memset(&bs, 0, sizeof(bs));
	bs.rowctx = AllocSetContextCreate(ctx, "kmer index build row", ALLOCSET_DEFAULT_SIZES);
	BuilderInit(&bs.sb, index, true, InvalidBuffer, budget);
	bs.sb.fileset = &sh->fileset;
	bs.sb.participant = participant;
	TidFileName(name, participant);
	bs.sb.tidfile = BufFileCreateFileSet(&sh->fileset.fs, name);
	MemoryContextSwitchTo(old);

	reltuples = table_index_build_scan(heap, index, indexInfo, true, progress, BuildCallback, &bs,
									   table_beginscan_parallel(heap, pscan));
	old = MemoryContextSwitchTo(ctx);
	if (bs.sb.runrows > 0)
		SpillRun(&bs.sb);
	BufFileClose(bs.sb.tidfile);
	MemoryContextSwitchTo(old);

	SpinLockAcquire(&sh->mutex);
	sh->reltuples += reltuples;
	if (indexInfo->ii_BrokenHotChain)
		sh->brokenhotchain = true;
	sh->participants[participant].indtuples = bs.indtuples;
	sh->participants[participant].done = true;
	SpinLockRelease(&sh->mutex);
	MemoryContextDelete(ctx);
}

/* the worker's entry point, found by name in the library of the access method's handler */
PGDLLEXPORT void kmersearch_kmi_build_worker(dsm_segment *seg, shm_toc *toc);

void
kmersearch_kmi_build_worker(dsm_segment *seg, shm_toc *toc)
{
	KmiBuildShared *sh = shm_toc_lookup(toc, KMI_BUILD_KEY_SHARED, false);
	BufferUsage *bufferusage = shm_toc_lookup(toc, KMI_BUILD_KEY_BUFFER_USAGE, false);
	WalUsage   *walusage = shm_toc_lookup(toc, KMI_BUILD_KEY_WAL_USAGE, false);

	/* the locks index.c holds in the leader (granted: the same lock group) */
	LOCKMODE	heaplock = sh->isconcurrent ? ShareUpdateExclusiveLock : ShareLock;
	LOCKMODE	indexlock = sh->isconcurrent ? RowExclusiveLock : AccessExclusiveLock;
	Relation	heap;
	Relation	index;
	IndexInfo  *indexInfo;

	InstrStartParallelQuery();
	heap = table_open(sh->heaprelid, heaplock);
	index = index_open(sh->indexrelid, indexlock);
	indexInfo = BuildIndexInfo(index);
	indexInfo->ii_Concurrent = sh->isconcurrent;
	SharedFileSetAttach(&sh->fileset, seg);
	BuildParticipate(sh, shm_toc_lookup(toc, KMI_BUILD_KEY_SCAN, false), heap, index, indexInfo,
					 ParallelWorkerNumber + 1, sh->budget, false);
	InstrEndParallelQuery(&bufferusage[ParallelWorkerNumber], &walusage[ParallelWorkerNumber]);
	index_close(index, indexlock);
	table_close(heap, heaplock);
}

/* A segment of participants' runs, whose files go once it is written (not to hold the whole build on disk). */
static void
MergedSegment(SegmentBuilder *sb, KmiBuildShared *sh)
{
	int			nruns = sb->nruns,
				r;

	BuilderFinishSegment(sb, false);
	for (r = 0; r < nruns; r++)
	{
		char		name[MAXPGPATH];

		RunFileName(name, sb->runs[r].participant, sb->runs[r].number);
		BufFileDeleteFileSet(&sh->fileset.fs, name, false);
	}
}

/*
 * The leader, once every participant is done: their runs, participant by
 * participant and run by run, grouped into segments (KMI_SEGMENT_ROWS rows
 * and KMI_MERGE_RUNS runs at most) and merged.
 */
static void
MergeParticipants(SegmentBuilder *sb, KmiBuildShared *sh, int nparticipants, int expected)
{
	int			p,
				done = 0;

	for (p = 0; p < nparticipants; p++)
		if (sh->participants[p].done)
			done++;
	if (done != expected)
		elog(ERROR, "kmer index build: %d of %d parallel participants finished", done, expected);
	for (p = 0; p < nparticipants; p++)
	{
		char		name[MAXPGPATH];
		BufFile    *tidfile;
		uint32		run;

		if (!sh->participants[p].done)
			continue;			/* a worker not launched, or the leader that did not scan */
		TidFileName(name, p);
		tidfile = BufFileOpenFileSet(&sh->fileset.fs, name, O_RDONLY, false);
		for (run = 0;; run++)
		{
			uint32		n;
			size_t		got = BufFileRead(tidfile, &n, sizeof(uint32));

			CHECK_FOR_INTERRUPTS();
			if (got == 0)
				break;
			if (got != sizeof(uint32))
				RunRead(tidfile, &n, sizeof(uint32));	/* reports the short read */
			if (n == 0 || n > KMI_BLOCK_ROWS)
				elog(ERROR, "kmer index build's temporary file has a run of %u rows", n);
			if (sb->nruns == KMI_MERGE_RUNS || sb->nrows + n > KMI_SEGMENT_ROWS)
				MergedSegment(sb, sh);
			BuilderReserveTids(sb, n);
			RunRead(tidfile, sb->tids + sb->nrows, n * sizeof(ItemPointerData));
			RunFileName(name, p, run);
			sb->runs[sb->nruns].file = BufFileOpenFileSet(&sh->fileset.fs, name, O_RDONLY, false);
			sb->runs[sb->nruns].first = sb->nrows;
			sb->runs[sb->nruns].participant = p;
			sb->runs[sb->nruns].number = run;
			sb->nruns++;
			sb->nrows += n;
		}
		BufFileClose(tidfile);
		TidFileName(name, p);
		BufFileDeleteFileSet(&sh->fileset.fs, name, false);
	}
	if (sb->nrows > 0)
		MergedSegment(sb, sh);
}

/*
 * The workers the planner gives a build of index, as it gives a B-tree's
 * (workers read an index's high-frequency analysis as the leader does:
 * highfreq.c reads it by catalog scans, not SQL).  From PostgreSQL 17
 * index_build asks (amcanbuildparallel), and not where it builds serially
 * (TRUNCATE of a table made in the same transaction); before, the same
 * conditions here.
 */
static int
BuildWorkers(Relation heap, Relation index, IndexInfo *indexInfo)
{
#if PG_VERSION_NUM >= 170000
	return indexInfo->ii_ParallelWorkers;
#else
	if (IsInParallelMode() || !IsNormalProcessingMode() || RelationGetNumberOfBlocks(heap) == 0)
		return 0;
	return plan_create_index_workers(RelationGetRelid(heap), RelationGetRelid(index));
#endif
}

/*
 * Build with nworkers workers and the leader; false when no parallel
 * context could be made (then nothing was written: build serially).
 */
static bool
BuildInParallel(Relation heap, Relation index, IndexInfo *indexInfo, int nworkers, SegmentBuilder *sb,
				double *reltuples, double *indtuples)
{
	ParallelContext *pcxt;
	Snapshot	snapshot;
	Size		shsize = add_size(offsetof(KmiBuildShared, participants),
								  mul_size(nworkers + 1, sizeof(((KmiBuildShared *) NULL)->participants[0])));
	Size		scansize;
	KmiBuildShared *sh;
	ParallelTableScanDesc pscan;
	BufferUsage *bufferusage;
	WalUsage   *walusage;
	int			i;
	bool		leader;

	EnterParallelMode();
	pcxt = CreateParallelContext(KmersearchLibraryOf(index->rd_amhandler), "kmersearch_kmi_build_worker",
								 nworkers);
	/* a concurrent build sees the rows of its snapshot; another, every row (as a serial build) */
	snapshot = indexInfo->ii_Concurrent ? RegisterSnapshot(GetTransactionSnapshot()) : SnapshotAny;
	scansize = table_parallelscan_estimate(heap, snapshot);
	shm_toc_estimate_chunk(&pcxt->estimator, shsize);
	shm_toc_estimate_chunk(&pcxt->estimator, scansize);
	shm_toc_estimate_chunk(&pcxt->estimator, mul_size(sizeof(BufferUsage), pcxt->nworkers));
	shm_toc_estimate_chunk(&pcxt->estimator, mul_size(sizeof(WalUsage), pcxt->nworkers));
	shm_toc_estimate_keys(&pcxt->estimator, 4);
	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL)
	{
		/* no dynamic shared memory */
		if (IsMVCCSnapshot(snapshot))
			UnregisterSnapshot(snapshot);
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		return false;
	}

	sh = shm_toc_allocate(pcxt->toc, shsize);
	memset(sh, 0, shsize);
	sh->heaprelid = RelationGetRelid(heap);
	sh->indexrelid = RelationGetRelid(index);
	sh->isconcurrent = indexInfo->ii_Concurrent;
	sh->budget = (Size) maintenance_work_mem * 1024 / (nworkers + 1);
	SpinLockInit(&sh->mutex);
	SharedFileSetInit(&sh->fileset, pcxt->seg);
	shm_toc_insert(pcxt->toc, KMI_BUILD_KEY_SHARED, sh);
	pscan = shm_toc_allocate(pcxt->toc, scansize);
	table_parallelscan_initialize(heap, pscan, snapshot);
	shm_toc_insert(pcxt->toc, KMI_BUILD_KEY_SCAN, pscan);
	bufferusage = shm_toc_allocate(pcxt->toc, mul_size(sizeof(BufferUsage), pcxt->nworkers));
	shm_toc_insert(pcxt->toc, KMI_BUILD_KEY_BUFFER_USAGE, bufferusage);
	walusage = shm_toc_allocate(pcxt->toc, mul_size(sizeof(WalUsage), pcxt->nworkers));
	shm_toc_insert(pcxt->toc, KMI_BUILD_KEY_WAL_USAGE, walusage);

	LaunchParallelWorkers(pcxt);
	if (pcxt->nworkers_launched == 0)
	{
		/* no worker: a serial build, with all the memory (as a B-tree's) */
		WaitForParallelWorkersToFinish(pcxt);
		DestroyParallelContext(pcxt);
		if (IsMVCCSnapshot(snapshot))
			UnregisterSnapshot(snapshot);
		ExitParallelMode();
		return false;
	}

	/*
	 * The leader scans too, as in a B-tree build, unless
	 * parallel_leader_participation is off, with the memory the workers not
	 * launched leave.
	 */
	leader = parallel_leader_participation;
	if (leader)
		BuildParticipate(sh, pscan, heap, index, indexInfo, 0,
						 (Size) maintenance_work_mem * 1024 - sh->budget * pcxt->nworkers_launched, true);
	WaitForParallelWorkersToFinish(pcxt);
	for (i = 0; i < pcxt->nworkers_launched; i++)
		InstrAccumParallelQuery(&bufferusage[i], &walusage[i]);
	if (sh->brokenhotchain)
		indexInfo->ii_BrokenHotChain = true;

	MergeParticipants(sb, sh, nworkers + 1, pcxt->nworkers_launched + (leader ? 1 : 0));
	*reltuples = sh->reltuples;
	*indtuples = 0;
	for (i = 0; i <= nworkers; i++)
		*indtuples += sh->participants[i].indtuples;
	ereport(DEBUG1,
			(errmsg_internal("kmer index build of \"%s\": %d of %d parallel workers launched; rows indexed: %.0f by the leader, %.0f by the workers",
							 RelationGetRelationName(index), pcxt->nworkers_launched, nworkers,
							 sh->participants[0].indtuples, *indtuples - sh->participants[0].indtuples)));

	DestroyParallelContext(pcxt);
	if (IsMVCCSnapshot(snapshot))
		UnregisterSnapshot(snapshot);
	ExitParallelMode();
	return true;
}

IndexBuildResult *
kmibuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	BuildState	bs;
	double		reltuples;
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "kmer index build",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	int			nworkers;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));
	WriteMetapage(index, MAIN_FORKNUM);

	/* the runs go to temp_tablespaces, as tuplesort's (not under a buffer lock: a catalog read) */
	PrepareTempTablespaces();
	old = MemoryContextSwitchTo(ctx);
	memset(&bs, 0, sizeof(bs));
	bs.rowctx = AllocSetContextCreate(ctx, "kmer index build row", ALLOCSET_DEFAULT_SIZES);
	BuilderInit(&bs.sb, index, true, InvalidBuffer, (Size) maintenance_work_mem * 1024);
	MemoryContextSwitchTo(old);

	nworkers = BuildWorkers(heap, index, indexInfo);
	old = MemoryContextSwitchTo(ctx);
	if (nworkers > 0 && BuildInParallel(heap, index, indexInfo, nworkers, &bs.sb, &reltuples, &bs.indtuples))
		MemoryContextSwitchTo(old);
	else
	{
		MemoryContextSwitchTo(old);
		reltuples = table_index_build_scan(heap, index, indexInfo, true, true, BuildCallback, &bs, NULL);
		old = MemoryContextSwitchTo(ctx);
		if (bs.sb.nrows > 0)
			BuilderFinishSegment(&bs.sb, false);
		MemoryContextSwitchTo(old);
	}

	if (RelationNeedsWAL(index))
		log_newpage_range(index, MAIN_FORKNUM, 0, RelationGetNumberOfBlocks(index), true);

	MemoryContextDelete(ctx);
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
