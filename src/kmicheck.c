/*
 * kmicheck.c
 *		kmersearch_kmer_index_check(index, heapallindexed): a kmer index
 *		checked page by page against the layout of kmi.h, and, with
 *		heapallindexed, every row of the table that an MVCC snapshot sees
 *		looked for in it with exactly its keys, as contrib/amcheck's
 *		bt_index_check does for B-trees: a Bloom filter holds each indexed
 *		row's TID, and its TID with a fingerprint of its keys (a sum of
 *		their 64-bit mixes, added up posting by posting), and is probed with
 *		each table row's.  A problem is an error
 *		(SQLSTATE XX002) that names the block or row; the function returns
 *		nothing when it finds none.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "common/pg_prng.h"
#include "fmgr.h"
#include "lib/bloomfilter.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "gin.h"
#include "kmi.h"
#include "kmersearch.h"

typedef struct CheckState
{
	Relation	index;
	BufferAccessStrategy strategy;
	char	   *page;			/* a copy of the page being checked */
	bloom_filter *filter;		/* with heapallindexed: TID, and (TID, fingerprint) */
	MemoryContext rowctx;
	int64		rows;			/* of the table, checked */
	bool		superset;		/* rows may have more keys in the index than now */
} CheckState;

#define CORRUPT(cs, ...) \
	ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED), \
					errmsg("kmer index \"%s\" is damaged", RelationGetRelationName((cs)->index)), \
					errdetail(__VA_ARGS__)))

/* A copy of block blk, which must be a kmer index page of type type (0: any type). */
static Page
CheckedPage(CheckState *cs, BlockNumber blk, uint16 type)
{
	Buffer		buf;
	Page		page;
	bool		ok;

	CHECK_FOR_INTERRUPTS();
	buf = ReadBufferExtended(cs->index, MAIN_FORKNUM, blk, RBM_NORMAL, cs->strategy);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	memcpy(cs->page, BufferGetPage(buf), BLCKSZ);
	UnlockReleaseBuffer(buf);
	page = (Page) cs->page;
	ok = !PageIsNew(page) && PageGetSpecialSize(page) == MAXALIGN(sizeof(KmiPageOpaqueData)) &&
		KmiPageGetOpaque(page)->page_id == KMI_PAGE_ID;
	if (!ok || (type != 0 && KmiPageGetOpaque(page)->type != type))
		CORRUPT(cs, "Block %u is not a page of type %u (it is %s).", blk, type,
				ok ? psprintf("of type %u", KmiPageGetOpaque(page)->type) : "not a kmer index page");
	return page;
}

/* The items of a page, which must be n. */
static void
CheckItems(CheckState *cs, Page page, BlockNumber blk, Size itemsize, Size max, Size n)
{
	int			have = KmiPageItems(page, itemsize, max);

	if ((Size) have != n || ((PageHeader) page)->pd_lower != MAXALIGN(SizeOfPageHeaderData) + n * itemsize)
		CORRUPT(cs, "Block %u holds %d items where %zu are expected.", blk, have, n);
}

/* A key's part of a row's fingerprint (splitmix64's finalizer). */
static inline uint64
KeyMix(int64 key)
{
	uint64		z = (uint64) key + UINT64CONST(0x9E3779B97F4A7C15);

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* A row in the filter: its TID, and its TID with the fingerprint of its keys. */
static void
AddRow(CheckState *cs, const ItemPointerData *tid, uint64 fp)
{
	unsigned char elem[sizeof(ItemPointerData) + sizeof(uint64)];

	memcpy(elem, tid, sizeof(ItemPointerData));
	memcpy(elem + sizeof(ItemPointerData), &fp, sizeof(uint64));
	bloom_add_element(cs->filter, (unsigned char *) tid, sizeof(ItemPointerData));
	bloom_add_element(cs->filter, elem, sizeof(elem));
}

/* A (key, TID) pair in the filter (superset mode). */
static void
AddPair(CheckState *cs, int64 key, const ItemPointerData *tid)
{
	unsigned char elem[sizeof(int64) + sizeof(ItemPointerData)];

	memcpy(elem, &key, sizeof(int64));
	memcpy(elem + sizeof(int64), tid, sizeof(ItemPointerData));
	bloom_add_element(cs->filter, elem, sizeof(elem));
}

/* The posting stream of a segment, read word by word. */
typedef struct StreamReader
{
	BlockNumber first;
	uint64		nwords;
	uint64		pos;
	uint64		page;			/* of cs->page, or PG_UINT64_MAX */
} StreamReader;

static uint16
StreamNext(CheckState *cs, StreamReader *sr)
{
	uint64		p = sr->pos / KMI_POSTINGS_PER_PAGE;

	if (sr->pos >= sr->nwords)
		CORRUPT(cs, "A list of the segment's dictionary runs past its %llu posting words.",
				(unsigned long long) sr->nwords);
	if (p != sr->page)
	{
		Page		page = CheckedPage(cs, sr->first + (BlockNumber) p, KMI_PAGE_POSTING);

		CheckItems(cs, page, sr->first + (BlockNumber) p, sizeof(uint16), KMI_POSTINGS_PER_PAGE,
				   (Size) Min((uint64) KMI_POSTINGS_PER_PAGE, sr->nwords - p * KMI_POSTINGS_PER_PAGE));
		sr->page = p;
	}
	return ((const uint16 *) PageGetContents((Page) cs->page))[sr->pos++ % KMI_POSTINGS_PER_PAGE];
}

/*
 * A segment: its head's counts, its row map, its fences against its
 * dictionary, the dictionary's keys ascending and its lists one after
 * another, each list's blocks and rows ascending and within the segment.
 * used marks its blocks: segments must not share one.
 */
static void
CheckSegment(CheckState *cs, const KmiSegmentRef *ref, BlockNumber nblocks, bool *used)
{
	KmiSegmentHead h;
	ItemPointerData *tids;
	uint64	   *fps;			/* with heapallindexed: each row's fingerprint */
	int64	   *fences;
	uint64		i,
				nkeys = 0,
				npostings = 0,
				blk;
	uint32		blocks;
	StreamReader sr;
	int64		prevkey = 0;
	Page		page;

	KmiReadSegmentHead(cs->index, ref->head, nblocks, &h);
	if (h.nrows != ref->nrows)
		CORRUPT(cs, "The directory gives the segment at block %u %u rows, its head %u.",
				ref->head, ref->nrows, h.nrows);
	for (blk = ref->head; blk < KmiSegmentEnd(ref->head, &h); blk++)
	{
		if (used[blk])
			CORRUPT(cs, "Block %llu is in two segments.", (unsigned long long) blk);
		used[blk] = true;
	}
	blocks = (h.nrows + KMI_BLOCK_ROWS - 1) / KMI_BLOCK_ROWS;

	/* the row map: a TID a row, or invalid for a removed row */
	tids = palloc(sizeof(ItemPointerData) * h.nrows);
	for (i = 0; i < h.rowmap_pages; i++)
	{
		Size		n = Min((Size) h.nrows - i * KMI_ROWMAP_PER_PAGE, KMI_ROWMAP_PER_PAGE);

		page = CheckedPage(cs, KmiRowmapStart(ref->head) + (BlockNumber) i, KMI_PAGE_ROWMAP);
		CheckItems(cs, page, KmiRowmapStart(ref->head) + (BlockNumber) i, sizeof(ItemPointerData),
				   KMI_ROWMAP_PER_PAGE, n);
		memcpy(tids + i * KMI_ROWMAP_PER_PAGE, PageGetContents(page), n * sizeof(ItemPointerData));
	}
	fps = cs->filter != NULL ? palloc0(sizeof(uint64) * h.nrows) : NULL;

	/* the fences: the first key of each dictionary page */
	fences = palloc(sizeof(int64) * Max(h.dict_pages, 1));
	for (i = 0; i < h.fence_pages; i++)
	{
		Size		n = Min((Size) h.dict_pages - i * KMI_FENCES_PER_PAGE, KMI_FENCES_PER_PAGE);

		page = CheckedPage(cs, KmiFenceStart(ref->head, &h) + (BlockNumber) i, KMI_PAGE_FENCE);
		CheckItems(cs, page, KmiFenceStart(ref->head, &h) + (BlockNumber) i, sizeof(int64),
				   KMI_FENCES_PER_PAGE, n);
		memcpy(fences + i * KMI_FENCES_PER_PAGE, PageGetContents(page), n * sizeof(int64));
	}

	/* the dictionary and the lists */
	sr.first = KmiPostingStart(ref->head, &h);
	sr.nwords = h.nwords;
	sr.pos = 0;
	sr.page = PG_UINT64_MAX;
	for (i = 0; i < h.dict_pages; i++)
	{
		BlockNumber dblk = KmiDictStart(ref->head, &h) + (BlockNumber) i;
		Size		n = (Size) Min(h.nkeys - i * KMI_DICT_PER_PAGE, (uint64) KMI_DICT_PER_PAGE);
		KmiDictEntry *e;
		Size		j;

		/* the stream reader shares cs->page: the entries are copied */
		page = CheckedPage(cs, dblk, KMI_PAGE_DICT);
		CheckItems(cs, page, dblk, sizeof(KmiDictEntry), KMI_DICT_PER_PAGE, n);
		e = palloc(n * sizeof(KmiDictEntry));
		memcpy(e, PageGetContents(page), n * sizeof(KmiDictEntry));
		sr.page = PG_UINT64_MAX;
		if (e[0].key != fences[i])
			CORRUPT(cs, "Dictionary block %u begins with key " INT64_FORMAT ", its fence says " INT64_FORMAT ".",
					dblk, e[0].key, fences[i]);
		for (j = 0; j < n; j++)
		{
			uint32		rows = 0;
			int64		prevblock = -1;
			uint64		mix = KeyMix(e[j].key);

			if (nkeys > 0 && e[j].key <= prevkey)
				CORRUPT(cs, "Dictionary block %u has key " INT64_FORMAT " after " INT64_FORMAT ".",
						dblk, e[j].key, prevkey);
			if (e[j].start != sr.pos)
				CORRUPT(cs, "The list of key " INT64_FORMAT " (block %u) starts at word %llu, not %llu.",
						e[j].key, dblk, (unsigned long long) e[j].start, (unsigned long long) sr.pos);
			while (sr.pos < e[j].start + e[j].words)
			{
				uint32		block = StreamNext(cs, &sr),
							n_in = (uint32) StreamNext(cs, &sr) + 1,
							k;
				int64		prevrow = -1;

				if ((int64) block <= prevblock || block >= blocks)
					CORRUPT(cs, "The list of key " INT64_FORMAT " (block %u) has block %u after %lld in a segment of %u blocks.",
							e[j].key, dblk, block, (long long) prevblock, blocks);
				prevblock = block;
				for (k = 0; k < n_in; k++)
				{
					uint32		r = StreamNext(cs, &sr);
					uint32		row = block * KMI_BLOCK_ROWS + r;

					if ((int64) r <= prevrow || row >= h.nrows)
						CORRUPT(cs, "The list of key " INT64_FORMAT " (block %u) has row %u after %lld in a segment of %u rows.",
								e[j].key, dblk, row, (long long) prevrow, h.nrows);
					prevrow = r;
					if (fps != NULL)
					{
						if (cs->superset)
						{
							if (ItemPointerIsValid(&tids[row]))
								AddPair(cs, e[j].key, &tids[row]);
						}
						else
							fps[row] += mix;
					}
				}
				rows += n_in;
			}
			if (sr.pos != e[j].start + e[j].words || rows != e[j].count)
				CORRUPT(cs, "The list of key " INT64_FORMAT " (block %u) has %u rows in %llu words; its entry says %u in %u.",
						e[j].key, dblk, rows, (unsigned long long) (sr.pos - e[j].start), e[j].count, e[j].words);
			prevkey = e[j].key;
			nkeys++;
			npostings += rows;
		}
		pfree(e);
	}
	if (nkeys != h.nkeys || sr.pos != h.nwords || npostings != h.npostings)
		CORRUPT(cs, "The segment at block %u has %llu keys, %llu words and %llu rows in its lists; its head says %llu, %llu and %llu.",
				ref->head, (unsigned long long) nkeys, (unsigned long long) sr.pos,
				(unsigned long long) npostings, (unsigned long long) h.nkeys,
				(unsigned long long) h.nwords, (unsigned long long) h.npostings);
	if (fps != NULL)
	{
		for (i = 0; i < h.nrows; i++)
			if (ItemPointerIsValid(&tids[i]))
				AddRow(cs, &tids[i], fps[i]);
		pfree(fps);
	}
	pfree(fences);
	pfree(tids);
}

/*
 * The pending rows: words words over the chain from head, each row its
 * TID, its key count and its keys, ascending; rows of them.  False when a
 * flush moved them into segments meanwhile and reused a page of the stream
 * (as a search, the caller checks the new segments instead).
 */
static bool
CheckPending(CheckState *cs, BlockNumber head, uint64 words, uint32 rows, uint32 epoch, BlockNumber nblocks)
{
	BlockNumber blk = head;
	uint64		read = 0,
				pages = 0;
	uint32		nrows = 0;
	int64		need = 0,			/* words left of the current row: 0 before its TID */
				nkeys = 0,
				prevkey = 0;
	int			part = 0;		/* 0: TID next, 1: key count next, 2: keys */
	uint64		fp = 0;			/* of the row's keys so far */
	ItemPointerData tid;

	ItemPointerSetInvalid(&tid);
	while (read < words)
	{
		Page		page;
		const int64 *w;
		uint64		n,
					i;
		uint16		type;

		if (blk == InvalidBlockNumber || blk >= nblocks || ++pages > nblocks)
			CORRUPT(cs, "The pending rows' chain ends at block %u after %llu of its %llu words.",
					blk, (unsigned long long) read, (unsigned long long) words);
		/* a flush since marks the pages deleted, their words kept until reused */
		page = CheckedPage(cs, blk, 0);
		type = KmiPageGetOpaque(page)->type;
		if (!KmiPendingPageOf(page, epoch))
		{
			if (KmiPendingMoved(cs->index, epoch))
				return false;
			CORRUPT(cs, "Pending block %u is of type %u and epoch %u, the metapage's pending rows of epoch %u.",
					blk, type, KmiPageGetOpaque(page)->epoch, epoch);
		}
		w = (const int64 *) PageGetContents(page);
		n = Min((uint64) KMI_PENDING_PER_PAGE, words - read);
		if ((uint64) KmiPageItems(page, sizeof(int64), KMI_PENDING_PER_PAGE) < n)
			CORRUPT(cs, "Pending block %u holds fewer words than the stream needs.", blk);
		for (i = 0; i < n; i++)
		{
			int64		x = w[i];

			if (part == 0)
			{
				if (x < 0 || (x & 0xFFFF) == 0)
					CORRUPT(cs, "Pending block %u has a row whose TID word is " INT64_FORMAT ".", blk, x);
				KmiWordTid(x, &tid);
				part = 1;
			}
			else if (part == 1)
			{
				if (x < 0 || x > PG_INT32_MAX)
					CORRUPT(cs, "Pending block %u has a row of " INT64_FORMAT " keys.", blk, x);
				nkeys = need = x;
				nrows++;
				fp = 0;
				if (need == 0 && cs->filter != NULL)
					AddRow(cs, &tid, fp);
				part = need > 0 ? 2 : 0;
			}
			else
			{
				if (need < nkeys && x <= prevkey)
					CORRUPT(cs, "Pending block %u has a row with key " INT64_FORMAT " after " INT64_FORMAT ".",
							blk, x, prevkey);
				prevkey = x;
				fp += KeyMix(x);
				if (cs->filter != NULL && cs->superset)
					AddPair(cs, x, &tid);
				if (--need == 0)
				{
					if (cs->filter != NULL)
						AddRow(cs, &tid, fp);
					part = 0;
				}
			}
		}
		read += n;
		blk = KmiPageGetOpaque(page)->next;
	}
	if (part != 0 || nrows != rows)
		CORRUPT(cs, "The pending stream holds %u rows%s; the metapage says %u.", nrows,
				part != 0 ? " and ends inside a row" : "", rows);
	return true;
}

static void
CheckRowCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull, bool tupleIsAlive,
				 void *state)
{
	CheckState *cs = (CheckState *) state;
	MemoryContext old;
	int64	   *keys;
	int32		nkeys,
				i;
	uint64		fp = 0;
	unsigned char elem[sizeof(ItemPointerData) + sizeof(uint64)];

	/* =% is strict: nulls are not indexed */
	if (isnull[0])
		return;
	old = MemoryContextSwitchTo(cs->rowctx);
	keys = KmiRowKeys(index, values[0], &nkeys);
	if (bloom_lacks_element(cs->filter, (unsigned char *) tid, sizeof(ItemPointerData)))
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("kmer index \"%s\" lacks row (%u,%u) of its table",
						RelationGetRelationName(index), ItemPointerGetBlockNumber(tid),
						ItemPointerGetOffsetNumber(tid))));
	if (cs->superset)
	{
		/* each of its keys now (the index may have more: gin.c, GinExtractValue) */
		for (i = 0; i < nkeys; i++)
		{
			unsigned char pair[sizeof(int64) + sizeof(ItemPointerData)];

			memcpy(pair, &keys[i], sizeof(int64));
			memcpy(pair + sizeof(int64), tid, sizeof(ItemPointerData));
			if (bloom_lacks_element(cs->filter, pair, sizeof(pair)))
				ereport(ERROR,
						(errcode(ERRCODE_INDEX_CORRUPTED),
						 errmsg("kmer index \"%s\" lacks key " INT64_FORMAT " of row (%u,%u) of its table",
								RelationGetRelationName(index), keys[i], ItemPointerGetBlockNumber(tid),
								ItemPointerGetOffsetNumber(tid))));
		}
		cs->rows++;
		MemoryContextSwitchTo(old);
		MemoryContextReset(cs->rowctx);
		return;
	}
	for (i = 0; i < nkeys; i++)
		fp += KeyMix(keys[i]);
	memcpy(elem, tid, sizeof(ItemPointerData));
	memcpy(elem + sizeof(ItemPointerData), &fp, sizeof(uint64));
	if (bloom_lacks_element(cs->filter, elem, sizeof(elem)))
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("kmer index \"%s\" has row (%u,%u) of its table with other keys than the row's %d",
						RelationGetRelationName(index), ItemPointerGetBlockNumber(tid),
						ItemPointerGetOffsetNumber(tid), nkeys)));
	cs->rows++;
	MemoryContextSwitchTo(old);
	MemoryContextReset(cs->rowctx);
}

/*
 * kmersearch_kmer_index_check(index regclass, heapallindexed boolean):
 * errors for what it finds damaged, nothing else.  Locks as a search does
 * (AccessShareLock on the table and the index), so inserts and VACUUM go
 * on meanwhile; the reader needs SELECT on the table.
 */
PG_FUNCTION_INFO_V1(kmersearch_kmer_index_check);
Datum
kmersearch_kmer_index_check(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	bool		heapallindexed = PG_GETARG_BOOL(1);
	Oid			heapoid = IndexGetRelation(indexoid, true);
	Relation	heap = NULL,
				index;
	CheckState	cs;
	Snapshot	snapshot = InvalidSnapshot;
	KmiState	st;
	bool	   *used;
	uint32		i;
	AclResult	acl;

	/* the table first, as everything else that opens both */
	if (OidIsValid(heapoid))
		heap = table_open(heapoid, AccessShareLock);
	index = index_open(indexoid, AccessShareLock);
	if (heap == NULL || index->rd_index->indrelid != heapoid ||
		index->rd_rel->relam != get_index_am_oid(KMI_AM_NAME, true))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a kmer index", RelationGetRelationName(index))));
	acl = pg_class_aclcheck(heapoid, GetUserId(), ACL_SELECT);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, get_rel_name(heapoid));
	if (index->rd_rel->relkind != RELKIND_INDEX)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot check kmer index \"%s\": it is a partitioned index",
						RelationGetRelationName(index)),
				 errhint("Check the index of each partition.")));
	if (!index->rd_index->indisvalid)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot check kmer index \"%s\"", RelationGetRelationName(index)),
				 errdetail("Index is not valid.")));

	memset(&cs, 0, sizeof(cs));
	cs.index = index;
	cs.strategy = GetAccessStrategy(BAS_BULKREAD);
	cs.page = palloc(BLCKSZ);
	cs.rowctx = AllocSetContextCreate(CurrentMemoryContext, "kmer index check row", ALLOCSET_DEFAULT_SIZES);
	if (heapallindexed)
	{
		/*
		 * The snapshot before the index is read: every row it sees was
		 * inserted, with its keys, before.
		 */
		snapshot = RegisterSnapshot(GetTransactionSnapshot());
		if (IsolationUsesXactSnapshot() && index->rd_index->indcheckxmin &&
			!TransactionIdPrecedes(HeapTupleHeaderGetXmin(index->rd_indextuple->t_data), snapshot->xmin))
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("kmer index \"%s\" cannot be checked with this transaction's snapshot",
							RelationGetRelationName(index)),
					 errhint("Check it in a new transaction.")));
	}

	/* the metapage and what it lists, as a search reads them */
	KmiReadState(index, &st);

	if (heapallindexed)
	{
		uint64		elems = 2 * (uint64) st.meta.pending_rows;
		bytea	  **opts = RelationGetIndexAttOptions(index, false);

		/*
		 * With high-frequency exclusion a row indexed while its analysis was
		 * missing has every key (a restore brings the analysis later): its
		 * keys now need only be among them, pair by pair.
		 */
		cs.superset = opts != NULL && opts[0] != NULL &&
			GinOptionsSource((KmerGinOptions *) opts[0]) != NULL;
		for (i = 0; i < st.meta.nsegments; i++)
		{
			elems += 2 * (uint64) st.segments[i].nrows;
			if (cs.superset)
			{
				KmiSegmentHead h;

				KmiReadSegmentHead(index, st.segments[i].head, st.nblocks, &h);
				elems += h.npostings;
			}
		}
		if (cs.superset)
			elems += st.meta.pending_words;
		cs.filter = bloom_create((int64) Max(Min(elems, (uint64) PG_INT64_MAX), 1), maintenance_work_mem,
								 pg_prng_uint64(&pg_global_prng_state));
	}

	used = palloc0(sizeof(bool) * st.nblocks);
	used[KMI_METAPAGE_BLKNO] = true;
	for (i = 0; i < st.meta.nsegments; i++)
		CheckSegment(&cs, &st.segments[i], st.nblocks, used);
	if (!CheckPending(&cs, st.meta.pending_head, st.meta.pending_words, st.meta.pending_rows, st.meta.pending_epoch, st.nblocks))
	{
		/* the pending rows are in the segments flushes added since */
		KmiState	now;

		KmiReadState(index, &now);
		used = repalloc(used, sizeof(bool) * now.nblocks);
		memset(used + st.nblocks, 0, sizeof(bool) * (now.nblocks - st.nblocks));
		for (i = st.meta.nsegments; i < now.meta.nsegments; i++)
			CheckSegment(&cs, &now.segments[i], now.nblocks, used);
	}

	if (heapallindexed)
	{
		IndexInfo  *info = BuildIndexInfo(index);
		TableScanDesc scan = table_beginscan_strat(heap, snapshot, 0, NULL, true, true);

		/* the rows the snapshot sees, as the first scan of CREATE INDEX CONCURRENTLY */
		info->ii_Concurrent = true;
		table_index_build_scan(heap, index, info, true, false, CheckRowCallback, &cs, scan);
		UnregisterSnapshot(snapshot);
		bloom_free(cs.filter);
	}

	MemoryContextDelete(cs.rowctx);
	FreeAccessStrategy(cs.strategy);
	pfree(cs.page);
	pfree(used);
	index_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);
	PG_RETURN_VOID();
}
