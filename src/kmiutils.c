/*
 * kmiutils.c
 *		The kmer access method's pages, and the keys of rows and queries
 *		through the operator class's support functions (GIN's).
 */
#include "postgres.h"

#include "access/gin.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "gin.h"
#include "kmi.h"
#include "kmersearch.h"

/* A new page of a type, its content empty. */
void
KmiInitPage(Page page, uint16 type)
{
	KmiPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(KmiPageOpaqueData));
	opaque = KmiPageGetOpaque(page);
	opaque->stamp = InvalidFullTransactionId;
	opaque->next = InvalidBlockNumber;
	opaque->epoch = 0;
	opaque->type = type;
	opaque->page_id = KMI_PAGE_ID;
}

/* The items of size itemsize a page holds up to pd_lower, at most max (a damaged pd_lower gives no more). */
int
KmiPageItems(Page page, Size itemsize, Size max)
{
	Size		lower = ((PageHeader) page)->pd_lower;
	Size		n = lower > MAXALIGN(SizeOfPageHeaderData) ?
		(lower - MAXALIGN(SizeOfPageHeaderData)) / itemsize : 0;

	return (int) Min(n, max);
}

/*
 * The head of the segment at block head, checked: an error, not a crash or
 * a read elsewhere, when the page is not a segment head or its counts do
 * not fit together or in the index's nblocks blocks.
 */
void
KmiReadSegmentHead(Relation index, BlockNumber head, BlockNumber nblocks, KmiSegmentHead *h)
{
	Buffer		buf;
	Page		page;
	bool		ok;

	if (head == KMI_METAPAGE_BLKNO || head >= nblocks)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("kmer index \"%s\" lists a segment at block %u of %u",
						RelationGetRelationName(index), head, nblocks)));
	buf = ReadBuffer(index, head);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	ok = !PageIsNew(page) && KmiPageGetOpaque(page)->type == KMI_PAGE_SEGHEAD;
	if (ok)
		memcpy(h, PageGetContents(page), sizeof(KmiSegmentHead));
	UnlockReleaseBuffer(buf);
	ok = ok && h->nrows >= 1 && h->nrows <= KMI_SEGMENT_ROWS &&
		h->rowmap_pages == (h->nrows + KMI_ROWMAP_PER_PAGE - 1) / KMI_ROWMAP_PER_PAGE &&
		h->nkeys <= h->npostings && h->npostings <= h->nwords &&
		h->nwords <= (uint64) h->posting_pages * KMI_POSTINGS_PER_PAGE &&
		h->nkeys <= (uint64) h->dict_pages * KMI_DICT_PER_PAGE &&
		(uint64) h->dict_pages == (h->nkeys + KMI_DICT_PER_PAGE - 1) / KMI_DICT_PER_PAGE &&
		h->fence_pages == (h->dict_pages + KMI_FENCES_PER_PAGE - 1) / KMI_FENCES_PER_PAGE &&
		(uint64) h->posting_pages == (h->nwords + KMI_POSTINGS_PER_PAGE - 1) / KMI_POSTINGS_PER_PAGE &&
		KmiSegmentEnd(head, h) <= nblocks;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("kmer index \"%s\" has a damaged segment at block %u",
						RelationGetRelationName(index), head)));
}

/*
 * The nsegments segments the directory from block head lists, in a
 * palloc'd array; an error when the chain lists fewer or has another page.
 */
KmiSegmentRef *
KmiReadDirectory(Relation index, BlockNumber head, uint32 nsegments)
{
	KmiSegmentRef *refs = palloc(sizeof(KmiSegmentRef) * Max(nsegments, 1));
	BlockNumber blk = head;
	uint32		n = 0;

	while (blk != InvalidBlockNumber && n < nsegments)
	{
		Buffer		buf;
		Page		page;
		int			m,
					i;

		CHECK_FOR_INTERRUPTS();
		buf = ReadBuffer(index, blk);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (PageIsNew(page) || KmiPageGetOpaque(page)->type != KMI_PAGE_DIRECTORY)
			ereport(ERROR,
					(errcode(ERRCODE_INDEX_CORRUPTED),
					 errmsg("kmer index \"%s\" has no directory page at block %u",
							RelationGetRelationName(index), blk)));
		m = KmiPageItems(page, sizeof(KmiSegmentRef), KMI_SEGREFS_PER_PAGE);
		for (i = 0; i < m && n < nsegments; i++)
			refs[n++] = ((KmiSegmentRef *) PageGetContents(page))[i];
		blk = KmiPageGetOpaque(page)->next;
		UnlockReleaseBuffer(buf);
	}
	if (n != nsegments)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("kmer index \"%s\" lists %u of its %u segments",
						RelationGetRelationName(index), n, nsegments)));
	return refs;
}

/* The metapage, then the segments it lists and the index's blocks now. */
void
KmiReadState(Relation index, KmiState *st)
{
	Buffer		buf = ReadBuffer(index, KMI_METAPAGE_BLKNO);

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	KmiCheckMeta(index, BufferGetPage(buf));
	st->meta = *KmiPageMeta(BufferGetPage(buf));
	UnlockReleaseBuffer(buf);
	st->nblocks = RelationGetNumberOfBlocks(index);
	st->segments = KmiReadDirectory(index, st->meta.directory_head, st->meta.nsegments);
}

/*
 * Whether a flush moved the pending rows of epoch epoch since (the
 * metapage's epoch has moved on): a scan that finds a page of their stream
 * reused reads the new segments; if not, the page is damaged.
 */
bool
KmiPendingMoved(Relation index, uint32 epoch)
{
	Buffer		buf = ReadBuffer(index, KMI_METAPAGE_BLKNO);
	bool		moved;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	KmiCheckMeta(index, BufferGetPage(buf));
	moved = KmiPageMeta(BufferGetPage(buf))->pending_epoch != epoch;
	UnlockReleaseBuffer(buf);
	return moved;
}

KmiMetaPageData *
KmiPageMeta(Page page)
{
	return (KmiMetaPageData *) PageGetContents(page);
}

/* An error unless page is the metapage of a kmer index of this version. */
void
KmiCheckMeta(Relation index, Page page)
{
	KmiMetaPageData *meta = KmiPageMeta(page);

	if (PageIsNew(page) || KmiPageGetOpaque(page)->type != KMI_PAGE_META || meta->magic != KMI_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("index \"%s\" is not a kmer index", RelationGetRelationName(index))));
	if (meta->version != KMI_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("kmer index \"%s\" has version %u, this module reads version %d",
						RelationGetRelationName(index), meta->version, KMI_VERSION),
				 errhint("REINDEX the index.")));
}

static int
CompareInt64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

/*
 * A row's keys, sorted and distinct (GIN's extractValue gives each key of
 * a row once), in a palloc'd array; NULL when it has none.
 */
int64 *
KmiRowKeys(Relation index, Datum value, int32 *nkeys)
{
	FmgrInfo   *proc = index_getprocinfo(index, 1, KMI_EXTRACTVALUE_PROC);
	bool	   *nulls = NULL;
	Datum	   *keys;
	int64	   *out;
	int32		i,
				m;

	*nkeys = 0;
	keys = (Datum *) DatumGetPointer(FunctionCall3Coll(proc, index->rd_indcollation[0], value,
													   PointerGetDatum(nkeys),
													   PointerGetDatum(&nulls)));
	if (*nkeys <= 0 || keys == NULL)
	{
		*nkeys = 0;
		return NULL;
	}
	out = palloc_extended(KmersearchArrayBytes(*nkeys, sizeof(int64), MaxAllocHugeSize, "k-mer keys"),
						  MCXT_ALLOC_HUGE);
	for (i = 0; i < *nkeys; i++)
		out[i] = DatumGetInt64(keys[i]);
	pfree(keys);
	qsort(out, *nkeys, sizeof(int64), CompareInt64);
	/* hashed keys may coincide: a row has each key once, as in GIN */
	for (i = 1, m = 1; i < *nkeys; i++)
		if (out[i] != out[m - 1])
			out[m++] = out[i];
	*nkeys = m;
	return out;
}

typedef struct QueryEntry
{
	int64		key;
	int32		mult[2];
} QueryEntry;

static int
CompareEntries(const void *a, const void *b)
{
	return CompareInt64(&((const QueryEntry *) a)->key, &((const QueryEntry *) b)->key);
}

/*
 * A query's keys, sorted, with each strand's weights and threshold, from
 * the operator class's extractQuery (GIN's: the same strands, thresholds,
 * identity markers and exclusions as a GIN search).
 */
void
KmiQueryKeys(Relation index, Datum query, KmiQuery *q)
{
	FmgrInfo   *proc = index_getprocinfo(index, 1, KMI_EXTRACTQUERY_PROC);
	int32		nentries = 0;
	bool	   *partial = NULL;
	Pointer    *extra_data = NULL;
	bool	   *nulls = NULL;
	int32		mode = GIN_SEARCH_MODE_DEFAULT;
	Datum	   *keys;
	GinQueryExtra *extra;
	QueryEntry *e;
	int32		i;
	uint64		weight[2] = {0, 0};

	memset(q, 0, sizeof(KmiQuery));
	keys = (Datum *) DatumGetPointer(FunctionCall7Coll(proc, index->rd_indcollation[0], query,
													   PointerGetDatum(&nentries),
													   UInt16GetDatum(KMI_MATCH_STRATEGY),
													   PointerGetDatum(&partial),
													   PointerGetDatum(&extra_data),
													   PointerGetDatum(&nulls),
													   PointerGetDatum(&mode)));
	if (nentries <= 0 || mode != GIN_SEARCH_MODE_DEFAULT)
	{
		/* no key can tell: every row, rechecked */
		q->all = true;
		q->lossy = true;
		return;
	}
	extra = (GinQueryExtra *) extra_data[0];
	q->threshold[0] = extra->threshold[0];
	q->threshold[1] = extra->threshold[1];
	q->lossy = extra->lossy;
	e = palloc_extended(KmersearchArrayBytes(nentries, sizeof(QueryEntry), MaxAllocHugeSize, "query keys"),
						MCXT_ALLOC_HUGE);
	for (i = 0; i < nentries; i++)
	{
		e[i].key = DatumGetInt64(keys[i]);
		e[i].mult[0] = extra->mult[0][i];
		e[i].mult[1] = extra->mult[1][i];
		weight[0] += (uint32) e[i].mult[0];
		weight[1] += (uint32) e[i].mult[1];
	}

	/*
	 * Counters are uint32: a strand's weights (its keys, and identity
	 * markers of weight 2^j below 2^31) add up to less than 2^32 for any
	 * query text PostgreSQL can hold.
	 */
	if (weight[0] > PG_UINT32_MAX || weight[1] > PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("query has too many k-mer keys for a kmer index")));
	qsort(e, nentries, sizeof(QueryEntry), CompareEntries);
	q->nkeys = nentries;
	q->keys = palloc(sizeof(int64) * nentries);
	q->mult[0] = palloc(sizeof(int32) * nentries);
	q->mult[1] = palloc(sizeof(int32) * nentries);
	for (i = 0; i < nentries; i++)
	{
		q->keys[i] = e[i].key;
		q->mult[0][i] = e[i].mult[0];
		q->mult[1][i] = e[i].mult[1];
	}
	pfree(e);
}

/*
 * kmersearch_kmer_index_stats(regclass): a kmer index's segments and the
 * rows they number, its pending rows and their words, and its pages
 * (pgstatginindex's counterpart).  The reader needs SELECT on the table.
 */
PG_FUNCTION_INFO_V1(kmersearch_kmer_index_stats);
Datum
kmersearch_kmer_index_stats(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	Relation	index;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false};
	KmiState	st;
	uint64		segment_rows = 0;
	uint32		n;
	AclResult	acl;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	index = index_open(indexoid, AccessShareLock);
	if (index->rd_rel->relam != get_index_am_oid(KMI_AM_NAME, true))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a kmer index", RelationGetRelationName(index))));
	acl = pg_class_aclcheck(index->rd_index->indrelid, GetUserId(), ACL_SELECT);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, get_rel_name(index->rd_index->indrelid));

	KmiReadState(index, &st);
	for (n = 0; n < st.meta.nsegments; n++)
		segment_rows += st.segments[n].nrows;
	values[0] = Int32GetDatum((int32) st.meta.nsegments);
	values[1] = Int64GetDatum((int64) segment_rows);
	values[2] = Int64GetDatum((int64) st.meta.pending_rows);
	values[3] = Int64GetDatum((int64) (st.meta.pending_words * sizeof(int64)));
	values[4] = Int64GetDatum((int64) st.nblocks);
	index_close(index, AccessShareLock);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
