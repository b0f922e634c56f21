/*
 * cache.c
 *		Backend-local caches of query patterns, minimum scores and raw
 *		scores, with their statistics and SQL functions.
 *
 * Each cache is a dynahash table in one memory context under
 * TopMemoryContext, with its entries on an LRU list: a hit moves an entry to
 * the front, an insert into a full cache evicts from the back.  Settings the
 * entries depend on (k-mer size, occurrence bits, thresholds) empty all of
 * them when they change (CacheInvalidateAll, from the settings' assign
 * hooks); hit and miss counts are kept for the session.
 *
 * Sequences are identified by a 128-bit digest of their packed bytes, not
 * kept: a wrong score would need two sequences with equal 128-bit digests.
 * Query texts are kept in the pattern cache and compared.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "lib/ilist.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "cache.h"
#include "kmersearch.h"

typedef struct LruCache
{
	const char *name;
	HTAB	   *htab;			/* NULL until first use */
	dlist_head	lru;			/* most recently used first */
	Size		keysize;
	Size		entrysize;
	Size		nodeoff;		/* offset of the dlist_node in an entry */
	void		(*release) (void *entry);	/* frees what an entry owns */
	int64		hits;
	int64		misses;
} LruCache;

typedef struct PatternKey
{
	CacheDigest text;
	int32		kmer_size;
	int32		occur_bitlen;
} PatternKey;

typedef struct PatternEntry
{
	PatternKey	key;
	dlist_node	node;
	text	   *query;			/* the query text, to rule out collisions */
	QueryPattern *pattern;
} PatternEntry;

typedef struct MinScoreKey
{
	CacheDigest query;
	int64		nkeys;
	int64		excluded;
} MinScoreKey;

typedef struct MinScoreEntry
{
	MinScoreKey key;
	dlist_node	node;
	int64		min_score;
} MinScoreEntry;

typedef struct RawscoreKey
{
	CacheDigest query;
	CacheDigest seq;
} RawscoreKey;

typedef struct RawscoreEntry
{
	RawscoreKey key;
	dlist_node	node;
	int64		scores[2];		/* plus and minus strand */
} RawscoreEntry;

/*
 * An alignment (without its CIGAR) of a sequence with a query: =% by
 * identity stores what it aligns, so that kmersearch_identity in the same
 * statement (ORDER BY ... LIMIT) finds it.  mode: what else it depends on
 * (the strands searched, the identity definition that breaks a tie).
 */
typedef struct AlignKey
{
	CacheDigest query;
	CacheDigest seq;
	int32		kind;
	int32		mode;
} AlignKey;

typedef struct AlignEntry
{
	AlignKey	key;
	dlist_node	node;
	Alignment	a;
	int			strand;
} AlignEntry;

static MemoryContext cache_context = NULL;
static uint64 cache_generation = 0;

/*
 * Query patterns are bounded by bytes too: a full-length query's pattern
 * takes ~25 kB, so the entry limit alone could let the cache grow to
 * gigabytes.  A pattern that does not fit is kept only until the next call.
 */
#define PATTERN_CACHE_MAX_BYTES ((Size) 64 * 1024 * 1024)
static Size pattern_bytes = 0;
static QueryPattern *uncached_pattern = NULL;

static Size
PatternBytes(const QueryPattern *qp, Size textlen)
{
	return QueryPatternBytes(qp) + textlen + VARHDRSZ;
}

static void PatternRelease(void *entry);

static LruCache pattern_cache = {
	"kmersearch query pattern cache", NULL, {{0}}, sizeof(PatternKey), sizeof(PatternEntry),
	offsetof(PatternEntry, node), PatternRelease, 0, 0
};
static LruCache min_score_cache = {
	"kmersearch actual min score cache", NULL, {{0}}, sizeof(MinScoreKey), sizeof(MinScoreEntry),
	offsetof(MinScoreEntry, node), NULL, 0, 0
};
static LruCache rawscore_cache[2] = {
	{"kmersearch dna2 rawscore cache", NULL, {{0}}, sizeof(RawscoreKey), sizeof(RawscoreEntry),
	offsetof(RawscoreEntry, node), NULL, 0, 0},
	{"kmersearch dna4 rawscore cache", NULL, {{0}}, sizeof(RawscoreKey), sizeof(RawscoreEntry),
	offsetof(RawscoreEntry, node), NULL, 0, 0},
};
static LruCache align_cache = {
	"kmersearch alignment cache", NULL, {{0}}, sizeof(AlignKey), sizeof(AlignEntry),
	offsetof(AlignEntry, node), NULL, 0, 0
};

#define ENTRY_NODE(c, e) ((dlist_node *) ((char *) (e) + (c)->nodeoff))
#define NODE_ENTRY(c, n) ((void *) ((char *) (n) - (c)->nodeoff))

CacheDigest
CacheDigestBytes(const void *data, size_t len)
{
	CacheDigest d;

	/* hash_any_extended's values, without a Datum (palloc'd on 32-bit builds) */
	d.h1 = hash_bytes_extended(data, (int) len, UINT64CONST(0x9e3779b97f4a7c15));
	d.h2 = hash_bytes_extended(data, (int) len, UINT64CONST(0xc2b2ae3d27d4eb4f));
	return d;
}

static void
LruEnsure(LruCache *c)
{
	HASHCTL		ctl;

	if (c->htab != NULL)
		return;
	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(TopMemoryContext, "kmersearch caches",
											  ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = c->keysize;
	ctl.entrysize = c->entrysize;
	ctl.hcxt = cache_context;
	c->htab = hash_create(c->name, 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	dlist_init(&c->lru);
}

static int
LruCount(LruCache *c)
{
	return c->htab ? (int) hash_get_num_entries(c->htab) : 0;
}

/* The entry for key, made most recent, or NULL; counts a hit or a miss. */
static void *
LruLookup(LruCache *c, const void *key)
{
	void	   *e;

	LruEnsure(c);
	e = hash_search(c->htab, key, HASH_FIND, NULL);
	if (e == NULL)
	{
		c->misses++;
		return NULL;
	}
	c->hits++;
	dlist_move_head(&c->lru, ENTRY_NODE(c, e));
	return e;
}

/* A new entry for key (not present), evicting to stay within max_entries. */
static void *
LruInsert(LruCache *c, const void *key, int max_entries)
{
	void	   *e;
	bool		found;

	LruEnsure(c);
	while (LruCount(c) >= max_entries && !dlist_is_empty(&c->lru))
	{
		void	   *victim = NODE_ENTRY(c, dlist_tail_node(&c->lru));

		dlist_delete(ENTRY_NODE(c, victim));
		if (c->release)
			c->release(victim);
		hash_search(c->htab, victim, HASH_REMOVE, NULL);
	}
	e = hash_search(c->htab, key, HASH_ENTER, &found);
	Assert(!found);
	dlist_push_head(&c->lru, ENTRY_NODE(c, e));
	return e;
}

/* Empty a cache; returns how many entries it had. */
static int
LruClear(LruCache *c)
{
	int			n = LruCount(c);
	dlist_mutable_iter it;

	if (c->htab == NULL)
		return 0;
	dlist_foreach_modify(it, &c->lru)
	{
		void	   *e = NODE_ENTRY(c, it.cur);

		if (c->release)
			c->release(e);
	}
	hash_destroy(c->htab);
	c->htab = NULL;
	return n;
}

static void
PatternRelease(void *entry)
{
	PatternEntry *pe = (PatternEntry *) entry;

	pattern_bytes -= PatternBytes(pe->pattern, VARSIZE_ANY_EXHDR(pe->query));
	pfree(pe->query);
	QueryPatternFree(pe->pattern);
}

/* Every cache is stale: empty them all. */
void
CacheInvalidateAll(void)
{
	LruClear(&pattern_cache);
	LruClear(&min_score_cache);
	LruClear(&rawscore_cache[0]);
	LruClear(&rawscore_cache[1]);
	LruClear(&align_cache);
	cache_generation++;
}

/* Changes whenever the caches are invalidated; callers' own copies compare it. */
uint64
CacheGeneration(void)
{
	return cache_generation;
}

/*
 * The pattern of a query under (kmer_size, occur_bitlen), built on a miss.
 * Valid until the next call into the pattern cache.
 */
const QueryPattern *
CacheGetQueryPattern(text *query, int kmer_size, int occur_bitlen)
{
	PatternKey	key;
	PatternEntry *e;
	QueryPattern *qp;
	text	   *querycopy;
	Size		bytes;

	memset(&key, 0, sizeof(key));
	key.text = CacheDigestBytes(VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query));
	key.kmer_size = kmer_size;
	key.occur_bitlen = occur_bitlen;
	e = LruLookup(&pattern_cache, &key);
	if (e != NULL &&
		VARSIZE_ANY_EXHDR(e->query) == VARSIZE_ANY_EXHDR(query) &&
		memcmp(VARDATA_ANY(e->query), VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query)) == 0)
		return e->pattern;
	if (e != NULL)
	{
		/* a digest collision: count it as a miss and replace the entry */
		pattern_cache.hits--;
		pattern_cache.misses++;
		dlist_delete(&e->node);
		PatternRelease(e);
		hash_search(pattern_cache.htab, &key, HASH_REMOVE, NULL);
	}

	if (uncached_pattern != NULL)
	{
		QueryPatternFree(uncached_pattern);
		uncached_pattern = NULL;
	}

	/* QueryPatternBuild works elsewhere: an error leaves nothing behind */
	qp = QueryPatternBuild(query, kmer_size, occur_bitlen, cache_context);
	bytes = PatternBytes(qp, VARSIZE_ANY_EXHDR(query));
	if (bytes > PATTERN_CACHE_MAX_BYTES / 4)
	{
		uncached_pattern = qp;
		return qp;
	}
	while (pattern_bytes + bytes > PATTERN_CACHE_MAX_BYTES && !dlist_is_empty(&pattern_cache.lru))
	{
		PatternEntry *victim = dlist_container(PatternEntry, node, dlist_tail_node(&pattern_cache.lru));

		dlist_delete(&victim->node);
		PatternRelease(victim);
		hash_search(pattern_cache.htab, &victim->key, HASH_REMOVE, NULL);
	}
	querycopy = (text *) MemoryContextAlloc(cache_context, VARSIZE_ANY_EXHDR(query) + VARHDRSZ);
	SET_VARSIZE(querycopy, VARSIZE_ANY_EXHDR(query) + VARHDRSZ);
	memcpy(VARDATA(querycopy), VARDATA_ANY(query), VARSIZE_ANY_EXHDR(query));
	e = LruInsert(&pattern_cache, &key, kmersearch_query_pattern_cache_max_entries);
	e->query = querycopy;
	e->pattern = qp;
	pattern_bytes += bytes;
	return qp;
}

/* The =% threshold of a query with nkeys units (windows) of which excluded are left out. */
int64
CacheGetActualMinScore(CacheDigest query, int64 nkeys, int64 excluded)
{
	MinScoreKey key;
	MinScoreEntry *e;
	int64		score;

	memset(&key, 0, sizeof(key));
	key.query = query;
	key.nkeys = nkeys;
	key.excluded = excluded;
	e = LruLookup(&min_score_cache, &key);
	if (e != NULL)
		return e->min_score;
	score = ScoreThreshold(nkeys, excluded);
	e = LruInsert(&min_score_cache, &key, kmersearch_actual_min_score_cache_max_entries);
	e->min_score = score;
	return score;
}

bool
CacheLookupRawscore(DnaKind kind, CacheDigest query, CacheDigest seq, int64 scores[2])
{
	RawscoreKey key;
	RawscoreEntry *e;

	memset(&key, 0, sizeof(key));
	key.query = query;
	key.seq = seq;
	e = LruLookup(&rawscore_cache[kind == DNA_KIND_2 ? 0 : 1], &key);
	if (e == NULL)
		return false;
	scores[0] = e->scores[0];
	scores[1] = e->scores[1];
	return true;
}

void
CacheStoreRawscore(DnaKind kind, CacheDigest query, CacheDigest seq, const int64 scores[2])
{
	LruCache   *c = &rawscore_cache[kind == DNA_KIND_2 ? 0 : 1];
	RawscoreKey key;
	RawscoreEntry *e;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.query = query;
	key.seq = seq;
	LruEnsure(c);
	e = hash_search(c->htab, &key, HASH_FIND, &found);
	if (e == NULL)
		e = LruInsert(c, &key, kmersearch_rawscore_cache_max_entries);
	e->scores[0] = scores[0];
	e->scores[1] = scores[1];
}

bool
CacheLookupAlignment(DnaKind kind, CacheDigest query, CacheDigest seq, int32 mode, Alignment *a, int *strand)
{
	AlignKey	key;
	AlignEntry *e;

	memset(&key, 0, sizeof(key));
	key.query = query;
	key.seq = seq;
	key.kind = (int32) kind;
	key.mode = mode;
	e = LruLookup(&align_cache, &key);
	if (e == NULL)
		return false;
	*a = e->a;
	*strand = e->strand;
	return true;
}

/* bounded by kmersearch.rawscore_cache_max_entries too */
void
CacheStoreAlignment(DnaKind kind, CacheDigest query, CacheDigest seq, int32 mode, const Alignment *a, int strand)
{
	AlignKey	key;
	AlignEntry *e;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.query = query;
	key.seq = seq;
	key.kind = (int32) kind;
	key.mode = mode;
	LruEnsure(&align_cache);
	e = hash_search(align_cache.htab, &key, HASH_FIND, &found);
	if (e == NULL)
		e = LruInsert(&align_cache, &key, kmersearch_rawscore_cache_max_entries);
	e->a = *a;
	e->a.cigar = NULL;
	e->strand = strand;
}

/* SQL: statistics and freeing */

static Datum
StatsTuple(FunctionCallInfo fcinfo, Datum *values, int natts)
{
	TupleDesc	tupdesc;
	bool		nulls[8] = {false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	Assert(tupdesc->natts == natts);
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls));
}

PG_FUNCTION_INFO_V1(kmersearch_rawscore_cache_stats);
Datum
kmersearch_rawscore_cache_stats(PG_FUNCTION_ARGS)
{
	Datum		v[8];

	v[0] = Int64GetDatum(rawscore_cache[0].hits);
	v[1] = Int64GetDatum(rawscore_cache[0].misses);
	v[2] = Int32GetDatum(LruCount(&rawscore_cache[0]));
	v[3] = Int32GetDatum(kmersearch_rawscore_cache_max_entries);
	v[4] = Int64GetDatum(rawscore_cache[1].hits);
	v[5] = Int64GetDatum(rawscore_cache[1].misses);
	v[6] = Int32GetDatum(LruCount(&rawscore_cache[1]));
	v[7] = Int32GetDatum(kmersearch_rawscore_cache_max_entries);
	PG_RETURN_DATUM(StatsTuple(fcinfo, v, 8));
}

PG_FUNCTION_INFO_V1(kmersearch_rawscore_cache_free);
Datum
kmersearch_rawscore_cache_free(PG_FUNCTION_ARGS)
{
	/* the alignments =% by identity kept go with the scores */
	LruClear(&align_cache);
	PG_RETURN_INT32(LruClear(&rawscore_cache[0]) + LruClear(&rawscore_cache[1]));
}

PG_FUNCTION_INFO_V1(kmersearch_query_pattern_cache_stats);
Datum
kmersearch_query_pattern_cache_stats(PG_FUNCTION_ARGS)
{
	Datum		v[4];

	v[0] = Int64GetDatum(pattern_cache.hits);
	v[1] = Int64GetDatum(pattern_cache.misses);
	v[2] = Int32GetDatum(LruCount(&pattern_cache));
	v[3] = Int32GetDatum(kmersearch_query_pattern_cache_max_entries);
	PG_RETURN_DATUM(StatsTuple(fcinfo, v, 4));
}

PG_FUNCTION_INFO_V1(kmersearch_query_pattern_cache_free);
Datum
kmersearch_query_pattern_cache_free(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(LruClear(&pattern_cache));
}

PG_FUNCTION_INFO_V1(kmersearch_actual_min_score_cache_stats);
Datum
kmersearch_actual_min_score_cache_stats(PG_FUNCTION_ARGS)
{
	Datum		v[4];

	v[0] = Int64GetDatum(min_score_cache.hits);
	v[1] = Int64GetDatum(min_score_cache.misses);
	v[2] = Int32GetDatum(LruCount(&min_score_cache));
	v[3] = Int32GetDatum(kmersearch_actual_min_score_cache_max_entries);
	PG_RETURN_DATUM(StatsTuple(fcinfo, v, 4));
}

PG_FUNCTION_INFO_V1(kmersearch_actual_min_score_cache_free);
Datum
kmersearch_actual_min_score_cache_free(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(LruClear(&min_score_cache));
}
