/*
 * harness.c
 *		A minimal backend for the libFuzzer targets: just enough of
 *		PostgreSQL's server interfaces for the extension's input, k-mer,
 *		query and GIN key code (src/dna.c, kmer.c, score.c, gin.c and the
 *		codecs) to run in one process without a server.
 *
 * What is here:
 *	- memory contexts: palloc and friends on malloc, each chunk on its
 *	  context's list, so that a context's deletion frees its chunks (ASan
 *	  then sees use after free) and HarnessEnd() can tell a context that
 *	  outlives its input; PostgreSQL's allocation size limits, as errors;
 *	- ereport/elog: recorded, and ERROR jumps to the innermost PG_TRY;
 *	- the few libpq/pqformat, fmgr and detoast entry points the code uses;
 *	- (the settings' variables come from src/settings.c, as in the module);
 *	- the session without high-frequency exclusion
 *	  (kmersearch.preclude_highfreq_kmer off): what HighfreqForSearch()
 *	  returns then;
 *	- the caches reduced to what they compute (no caching).
 * Every other server entry point the objects refer to is only reached by
 * code the targets do not call (catalog access, SQL-callable cache
 * functions); those abort, so reaching one is a loud harness bug, never a
 * silent pretence.
 *
 * hash_bytes*, pg_utf_mblen, StringInfo and snprintf come from
 * PostgreSQL's own libpgcommon and libpgport.
 */
#include "postgres.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "access/detoast.h"
#include "access/reloptions.h"
#include "access/xact.h"
#include "catalog/pg_namespace.h"
#include "commands/defrem.h"
#include "common/hashfn.h"
#include "lib/ilist.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/memnodes.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "align.h"
#include "cache.h"
#include "cpu.h"
#include "gin.h"
#include "highfreq.h"
#include "index_meta.h"
#include "kmersearch.h"
#include "score.h"

#include "harness.h"

/* ---------------------------------------------------------------------
 * Failure
 * --------------------------------------------------------------------- */
void
HarnessFail(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "harness: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

#define UNREACHABLE(what) HarnessFail("%s is not part of the fuzzed code, but was called", what)

/* ---------------------------------------------------------------------
 * Memory contexts
 * --------------------------------------------------------------------- */
typedef struct HContext
{
	MemoryContextData pg;		/* what the extension's code sees */
	dlist_head	chunks;
	dlist_head	children;
	dlist_node	sibling;
	struct HContext *parent;
} HContext;

typedef struct HChunk
{
	dlist_node	node;
	HContext   *ctx;
	size_t		size;
} HChunk;

StaticAssertDecl(sizeof(HChunk) % MAXIMUM_ALIGNOF == 0, "chunk header keeps alignment");

static HContext top_context;
static HContext *input_context;
MemoryContext TopMemoryContext = NULL;
MemoryContext CurrentMemoryContext = NULL;

static HContext *
HContextNew(HContext *parent, const char *name)
{
	HContext   *c = calloc(1, sizeof(HContext));

	if (c == NULL)
		HarnessFail("out of memory creating a context");
	c->pg.type = T_AllocSetContext;
	c->pg.name = name;
	c->parent = parent;
	dlist_init(&c->chunks);
	dlist_init(&c->children);
	if (parent != NULL)
		dlist_push_tail(&parent->children, &c->sibling);
	return c;
}

static void
HContextFreeAll(HContext *c)
{
	while (!dlist_is_empty(&c->children))
	{
		HContext   *child = dlist_container(HContext, sibling, dlist_pop_head_node(&c->children));

		HContextFreeAll(child);
		free(child);
	}
	while (!dlist_is_empty(&c->chunks))
		free(dlist_container(HChunk, node, dlist_pop_head_node(&c->chunks)));
}

static void
HarnessInit(void)
{
	if (TopMemoryContext != NULL)
		return;
	dlist_init(&top_context.chunks);
	dlist_init(&top_context.children);
	top_context.pg.type = T_AllocSetContext;
	top_context.pg.name = "TopMemoryContext";
	TopMemoryContext = &top_context.pg;
	CurrentMemoryContext = TopMemoryContext;
	/* what _PG_init does: without it only the scalar kernels would run */
	CpuDetect();
}

static void *
HAlloc(MemoryContext context, Size size, int flags)
{
	HContext   *c = (HContext *) context;
	HChunk	   *h;

	if (c == NULL)
		HarnessFail("palloc with no current memory context");
	if ((flags & MCXT_ALLOC_HUGE) ? !AllocHugeSizeIsValid(size) : !AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	h = malloc(sizeof(HChunk) + size);
	if (h == NULL)
	{
		if (flags & MCXT_ALLOC_NO_OOM)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu.", size)));
	}
	h->ctx = c;
	h->size = size;
	dlist_push_tail(&c->chunks, &h->node);
	if (flags & MCXT_ALLOC_ZERO)
		memset(h + 1, 0, size);
	return h + 1;
}

static HChunk *
HChunkOf(void *pointer)
{
	if (pointer == NULL)
		HarnessFail("pfree or repalloc of a null pointer");
	return ((HChunk *) pointer) - 1;
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return HAlloc(context, size, 0);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return HAlloc(context, size, MCXT_ALLOC_ZERO);
}

void *
MemoryContextAllocZeroAligned(MemoryContext context, Size size)
{
	return HAlloc(context, size, MCXT_ALLOC_ZERO);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return HAlloc(context, size, flags);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return HAlloc(context, size, MCXT_ALLOC_HUGE);
}

void *
palloc(Size size)
{
	return HAlloc(CurrentMemoryContext, size, 0);
}

void *
palloc0(Size size)
{
	return HAlloc(CurrentMemoryContext, size, MCXT_ALLOC_ZERO);
}

void *
palloc_extended(Size size, int flags)
{
	return HAlloc(CurrentMemoryContext, size, flags);
}

void
pfree(void *pointer)
{
	HChunk	   *h = HChunkOf(pointer);

	dlist_delete(&h->node);
	free(h);
}

static void *
HRealloc(void *pointer, Size size, int flags)
{
	HChunk	   *h = HChunkOf(pointer);
	void	   *p = HAlloc(&h->ctx->pg, size, flags);

	memcpy(p, pointer, Min(size, h->size));
	pfree(pointer);
	return p;
}

void *
repalloc(void *pointer, Size size)
{
	return HRealloc(pointer, size, 0);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return HRealloc(pointer, size, MCXT_ALLOC_HUGE);
}

char *
pstrdup(const char *in)
{
	return pnstrdup(in, strlen(in));
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name,
							  Size minContextSize, Size initBlockSize, Size maxBlockSize)
{
	return &HContextNew((HContext *) parent, name)->pg;
}

void
MemoryContextDelete(MemoryContext context)
{
	HContext   *c = (HContext *) context;

	if (c == &top_context)
		HarnessFail("deleting TopMemoryContext");
	if (CurrentMemoryContext == context)
		HarnessFail("deleting the current memory context \"%s\"", c->pg.name);
	HContextFreeAll(c);
	if (c->parent != NULL)
		dlist_delete(&c->sibling);
	free(c);
}

/* ---------------------------------------------------------------------
 * Inputs: each runs in a context of its own, deleted at its end
 * --------------------------------------------------------------------- */
void
HarnessBegin(void)
{
	HarnessInit();
	input_context = HContextNew(&top_context, "fuzz input");
	CurrentMemoryContext = &input_context->pg;
}

void
HarnessEnd(void)
{
	if (CurrentMemoryContext != &input_context->pg)
		HarnessFail("the extension's code left CurrentMemoryContext switched to \"%s\"",
					CurrentMemoryContext->name);
	CurrentMemoryContext = TopMemoryContext;
	MemoryContextDelete(&input_context->pg);
	input_context = NULL;
	/* nothing an input did may stay behind in longer-lived memory */
	if (!dlist_is_empty(&top_context.chunks))
		HarnessFail("memory was left in TopMemoryContext after an input");
	if (!dlist_is_empty(&top_context.children))
		HarnessFail("context \"%s\" was left under TopMemoryContext after an input",
					dlist_container(HContext, sibling, dlist_head_node(&top_context.children))->pg.name);
}

/* ---------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------- */
sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;
HarnessError harness_error;
static int	current_elevel;

bool
errstart(int elevel, const char *domain)
{
	current_elevel = elevel;
	if (elevel < ERROR)
		return false;			/* notices and warnings: not looked at */
	memset(&harness_error, 0, sizeof(harness_error));
	harness_error.elevel = elevel;
	harness_error.sqlerrcode = ERRCODE_INTERNAL_ERROR;	/* elog's */
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	harness_error.filename = filename;
	harness_error.lineno = lineno;
	if (current_elevel > ERROR)
		HarnessFail("%s at %s:%d: %s", current_elevel == FATAL ? "FATAL" : "PANIC",
					filename, lineno, harness_error.message);
	if (PG_exception_stack == NULL)
		HarnessFail("ERROR outside PG_TRY at %s:%d: %s", filename, lineno, harness_error.message);
	siglongjmp(*PG_exception_stack, 1);
}

int
errcode(int sqlerrcode)
{
	harness_error.sqlerrcode = sqlerrcode;
	return 0;
}

#define FORMAT_INTO(field, fmt) \
	do { \
		va_list		ap_; \
		va_start(ap_, fmt); \
		vsnprintf(harness_error.field, sizeof(harness_error.field), fmt, ap_); \
		va_end(ap_); \
	} while (0)

int
errmsg(const char *fmt,...)
{
	FORMAT_INTO(message, fmt);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	FORMAT_INTO(message, fmt);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	FORMAT_INTO(detail, fmt);
	return 0;
}

int
errdetail_internal(const char *fmt,...)
{
	FORMAT_INTO(detail, fmt);
	return 0;
}

int
errhint(const char *fmt,...)
{
	FORMAT_INTO(hint, fmt);
	return 0;
}

void
pg_re_throw(void)
{
	UNREACHABLE("pg_re_throw");
}

static const char *
SqlState(int code)
{
	static char s[6];
	int			i;

	for (i = 0; i < 5; i++)
	{
		s[i] = PGUNSIXBIT(code);
		code >>= 6;
	}
	s[5] = '\0';
	return s;
}

/*
 * Detail and hint are sentences: they end with a period.  (The first word
 * may be a type name or a number, so its case is not checked.)
 */
static bool
IsSentence(const char *s)
{
	size_t		n = strlen(s);

	return n == 0 || (s[0] != ' ' && s[n - 1] == '.' && strchr(s, '\n') == NULL);
}

void
HarnessCheckError(const int *allowed, int n)
{
	const HarnessError *e = &harness_error;
	size_t		len = strlen(e->message);
	int			i;
	bool		ok = false;

	for (i = 0; i < n; i++)
		ok |= e->sqlerrcode == allowed[i];
	if (!ok)
		HarnessFail("unexpected error %s at %s:%d: %s", SqlState(e->sqlerrcode),
					e->filename, e->lineno, e->message);
	/* PostgreSQL's message style: lower-case first letter, no period, one line */
	if (len == 0 || (e->message[0] >= 'A' && e->message[0] <= 'Z') ||
		e->message[len - 1] == '.' || strchr(e->message, '\n') != NULL)
		HarnessFail("error message not in PostgreSQL's style at %s:%d: \"%s\"",
					e->filename, e->lineno, e->message);
	if (!IsSentence(e->detail) || !IsSentence(e->hint))
		HarnessFail("detail or hint not a sentence at %s:%d: \"%s\" / \"%s\"",
					e->filename, e->lineno, e->detail, e->hint);
}

/* ---------------------------------------------------------------------
 * Interrupts: never pending here
 * --------------------------------------------------------------------- */
volatile sig_atomic_t InterruptPending = false;
int			ParallelWorkerNumber = -1;	/* the leader (IsParallelWorker) */

void
ProcessInterrupts(void)
{
	UNREACHABLE("ProcessInterrupts");
}

/* ---------------------------------------------------------------------
 * fmgr
 * --------------------------------------------------------------------- */
static FmgrInfo opclass_flinfo;
static FmgrInfo plain_flinfo;
static KmerGinOptions opclass_options;

FmgrInfo *
HarnessOpclassFlinfo(int kmer_size, int occur_bitlen)
{
	memset(&opclass_flinfo, 0, sizeof(opclass_flinfo));
	opclass_flinfo.fn_oid = FirstNormalObjectId;
	opclass_flinfo.fn_mcxt = CurrentMemoryContext;
	memset(&opclass_options, 0, sizeof(opclass_options));
	SET_VARSIZE(&opclass_options, sizeof(opclass_options));
	opclass_options.kmer_size = kmer_size;
	opclass_options.occur_bitlen = occur_bitlen;
	opclass_options.highfreq_source = 0;
	return &opclass_flinfo;
}

FmgrInfo *
HarnessPlainFlinfo(void)
{
	memset(&plain_flinfo, 0, sizeof(plain_flinfo));
	plain_flinfo.fn_oid = FirstNormalObjectId + 1;
	plain_flinfo.fn_mcxt = CurrentMemoryContext;
	return &plain_flinfo;
}

bool
has_fn_opclass_options(FmgrInfo *flinfo)
{
	return flinfo == &opclass_flinfo;
}

bytea *
get_fn_opclass_options(FmgrInfo *flinfo)
{
	if (flinfo != &opclass_flinfo)
		HarnessFail("opclass options asked of a function called without them");
	return (bytea *) &opclass_options;
}

Datum
HarnessCall(PGFunction fn, FmgrInfo *flinfo, int nargs, const Datum *args)
{
	LOCAL_FCINFO(fcinfo, 8);
	Datum		result;
	int			i;

	Assert(nargs <= 8);
	InitFunctionCallInfoData(*fcinfo, flinfo, nargs, InvalidOid, NULL, NULL);
	for (i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = args[i];
		fcinfo->args[i].isnull = false;
	}
	result = fn(fcinfo);
	if (fcinfo->isnull)
		HarnessFail("a function returned null");
	return result;
}

/* the extension's schema, as far as the fuzzed code asks */
Oid
get_func_namespace(Oid funcid)
{
	return PG_PUBLIC_NAMESPACE;
}

/* ---------------------------------------------------------------------
 * Values: the harness makes only plain (in-line, uncompressed) ones
 * --------------------------------------------------------------------- */
struct varlena *
pg_detoast_datum_packed(struct varlena *datum)
{
	if (VARATT_IS_EXTENDED(datum) && !VARATT_IS_SHORT(datum))
		HarnessFail("a compressed or external value reached the harness");
	return datum;
}

/*
 * From 17 on, backend code calls pg_utf_mblen by the name the server's own
 * libpgcommon exports (pg_utf_mblen_private); the libpgcommon_shlib.a the
 * harness links has it under its plain name.
 */
#ifdef pg_utf_mblen
#undef pg_utf_mblen
extern int	pg_utf_mblen(const unsigned char *s);
#endif

int
pg_mblen(const char *mbstr)
{
	/* the harness's database encoding is UTF-8 */
	return pg_utf_mblen((const unsigned char *) mbstr);
}

char *
HarnessServerString(const uint8 *data, size_t size, size_t *len)
{
	size_t		n = strnlen((const char *) data, size);
	char	   *s;

	n = (size_t) pg_encoding_verifymbstr(PG_UTF8, (const char *) data, (int) n);
	s = palloc(n + 1);
	memcpy(s, data, n);
	s[n] = '\0';
	*len = n;
	return s;
}

struct varlena *
HarnessShortHeader(const struct varlena *v)
{
	size_t		n = VARSIZE_ANY_EXHDR(v);
	char	   *buf;

	if (VARATT_IS_SHORT(v) || n + VARHDRSZ_SHORT > VARATT_SHORT_MAX)
		return (struct varlena *) v;
	/* at an odd address, as a short value inside a tuple may be */
	buf = palloc(n + VARHDRSZ_SHORT + 1) + 1;
	SET_VARSIZE_SHORT(buf, n + VARHDRSZ_SHORT);
	memcpy(buf + VARHDRSZ_SHORT, VARDATA_ANY(v), n);
	return (struct varlena *) buf;
}

text *
HarnessText(const char *s, size_t len)
{
	text	   *t = palloc(VARHDRSZ + len);

	SET_VARSIZE(t, VARHDRSZ + len);
	memcpy(VARDATA(t), s, len);
	return t;
}

/* ---------------------------------------------------------------------
 * libpq/pqformat: type send and receive
 * --------------------------------------------------------------------- */
static void
InsufficientData(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("insufficient data left in message")));
}

unsigned int
pq_getmsgint(StringInfo msg, int b)
{
	unsigned int result = 0;
	int			i;

	if (b != 1 && b != 2 && b != 4)
		elog(ERROR, "unsupported integer size %d", b);
	if (msg->cursor < 0 || b > msg->len - msg->cursor)
		InsufficientData();
	for (i = 0; i < b; i++)
		result = (result << 8) | (unsigned char) msg->data[msg->cursor++];
	return result;
}

void
#if PG_VERSION_NUM >= 180000
pq_copymsgbytes(StringInfo msg, void *buf, int datalen)
#else
pq_copymsgbytes(StringInfo msg, char *buf, int datalen)
#endif
{
	if (datalen < 0 || datalen > msg->len - msg->cursor)
		InsufficientData();
	memcpy(buf, msg->data + msg->cursor, datalen);
	msg->cursor += datalen;
}

void
pq_begintypsend(StringInfo buf)
{
	initStringInfo(buf);
	/* room for the varlena header, set by pq_endtypsend */
	appendStringInfoSpaces(buf, VARHDRSZ);
}

bytea *
pq_endtypsend(StringInfo buf)
{
	bytea	   *result = (bytea *) buf->data;

	SET_VARSIZE(result, buf->len);
	return result;
}

void
#if PG_VERSION_NUM >= 160000
pq_sendbytes(StringInfo buf, const void *data, int datalen)
#else
pq_sendbytes(StringInfo buf, const char *data, int datalen)
#endif
{
	appendBinaryStringInfo(buf, data, datalen);
}

/* ---------------------------------------------------------------------
 * The caches, reduced to what they compute
 * --------------------------------------------------------------------- */
CacheDigest
CacheDigestBytes(const void *data, size_t len)
{
	CacheDigest d;

	d.h1 = hash_bytes_extended(data, (int) len, UINT64CONST(0x9e3779b97f4a7c15));
	d.h2 = hash_bytes_extended(data, (int) len, UINT64CONST(0xc2b2ae3d27d4eb4f));
	return d;
}

const QueryPattern *
CacheGetQueryPattern(text *query, int kmer_size, int occur_bitlen)
{
	return QueryPatternBuild(query, kmer_size, occur_bitlen, CurrentMemoryContext);
}

int64
CacheGetActualMinScore(CacheDigest query, int64 nkeys, int64 excluded)
{
	return ScoreThreshold(nkeys, excluded);
}

/* ---------------------------------------------------------------------
 * A session without high-frequency exclusion
 * --------------------------------------------------------------------- */
const HighfreqSet *
HighfreqForSearch(Oid extschema, Oid table, AttrNumber attnum)
{
	if (kmersearch_preclude_highfreq_kmer)
		UNREACHABLE("high-frequency exclusion");
	return NULL;
}

/* one statement in one transaction: the notice of a query without k-mers keys on them */
void
RegisterXactCallback(XactCallback callback, void *arg)
{
}

TimestampTz
GetCurrentStatementStartTimestamp(void)
{
	return 0;
}

/* ---------------------------------------------------------------------
 * Reached only from code the targets do not call
 * --------------------------------------------------------------------- */

const HighfreqSet *
HighfreqCacheForSession(Oid extschema)
{
	UNREACHABLE("HighfreqCacheForSession");
}

const HighfreqSet *
HighfreqForTable(Oid extschema, Oid table, AttrNumber attnum, bool missing_ok)
{
	UNREACHABLE("HighfreqForTable");
}

const HighfreqSet *
HighfreqForIndex(Oid extschema, const char *source, int kmer_size, bool missing_ok)
{
	UNREACHABLE("HighfreqForIndex");
}

bool
HighfreqContains(const HighfreqSet *set, uint64 kmer)
{
	UNREACHABLE("HighfreqContains");
}

bool
HighfreqSameId(const HighfreqId *a, const HighfreqId *b)
{
	UNREACHABLE("HighfreqSameId");
}

const HighfreqId *
HighfreqSetId(const HighfreqSet *set)
{
	UNREACHABLE("HighfreqSetId");
}

bool
HighfreqParseSource(const char *source, HighfreqId *id)
{
	UNREACHABLE("HighfreqParseSource");
}

bool
HighfreqSourceMatches(const HighfreqId *src, const HighfreqId *id)
{
	UNREACHABLE("HighfreqSourceMatches");
}

uint64
CacheGeneration(void)
{
	UNREACHABLE("CacheGeneration");
}

bool
CacheLookupRawscore(DnaKind kind, CacheDigest query, CacheDigest seq, int64 scores[2])
{
	UNREACHABLE("CacheLookupRawscore");
}

void
CacheStoreRawscore(DnaKind kind, CacheDigest query, CacheDigest seq, const int64 scores[2])
{
	UNREACHABLE("CacheStoreRawscore");
}


HeapTuple
SearchSysCache1(int cacheId, Datum key1)
{
	UNREACHABLE("SearchSysCache1");
}

void
ReleaseSysCache(HeapTuple tuple)
{
	UNREACHABLE("ReleaseSysCache");
}

Oid
get_index_am_oid(const char *amname, bool missing_ok)
{
	UNREACHABLE("get_index_am_oid");
}

void
init_local_reloptions(local_relopts *relopts, Size relopt_struct_size)
{
	UNREACHABLE("init_local_reloptions");
}

void
add_local_int_reloption(local_relopts *relopts, const char *name, const char *desc,
						int default_val, int min_val, int max_val, int offset)
{
	UNREACHABLE("add_local_int_reloption");
}

void
add_local_bool_reloption(local_relopts *relopts, const char *name, const char *desc,
						 bool default_val, int offset)
{
	UNREACHABLE("add_local_bool_reloption");
}

/* a search by identity (kmersearch.min_identity, 0 here) aligns */
int
AlignRow(void **state, MemoryContext parent, const struct varlena *seq, DnaKind kind, text *query,
		 int strand, bool want_cigar, Alignment *out)
{
	UNREACHABLE("AlignRow");
}

double
AlignIdentity(const Alignment *a, int definition)
{
	UNREACHABLE("AlignIdentity");
}

bool
AlignCanQualify(void **state, MemoryContext parent, const struct varlena *seq, DnaKind kind, text *query,
				int strand)
{
	UNREACHABLE("AlignCanQualify");
}

bool
AlignRowContainsQuery(void **state, MemoryContext parent, const struct varlena *seq, DnaKind kind,
					  text *query, int strand)
{
	UNREACHABLE("AlignRowContainsQuery");
}

const char *
GetConfigOption(const char *name, bool missing_ok, bool restrict_privileged)
{
	UNREACHABLE("GetConfigOption");
}

void
add_local_string_reloption(local_relopts *relopts, const char *name, const char *desc,
						   const char *default_val, validate_string_relopt validator,
						   fill_string_relopt filler, int offset)
{
	UNREACHABLE("add_local_string_reloption");
}

text *
cstring_to_text(const char *s)
{
	UNREACHABLE("cstring_to_text");
}

Size
toast_raw_datum_size(Datum value)
{
	UNREACHABLE("toast_raw_datum_size");
}

struct varlena *
pg_detoast_datum_slice(struct varlena *datum, int32 first, int32 count)
{
	UNREACHABLE("pg_detoast_datum_slice");
}

/* ---------------------------------------------------------------------
 * The k-mer reference, from kmer.h's definition
 * --------------------------------------------------------------------- */

/* the bases (bit b: base b of A, C, G, T) a letter stands for; 0: none */
static int
LetterBases(char c, bool dna4)
{
	switch (c)
	{
		case 'A': case 'a': return 1;
		case 'C': case 'c': return 2;
		case 'G': case 'g': return 4;
		case 'T': case 't': case 'U': case 'u': return 8;
	}
	if (!dna4)
		return 0;
	switch (c)
	{
		case 'M': case 'm': return 1 | 2;
		case 'R': case 'r': return 1 | 4;
		case 'W': case 'w': return 1 | 8;
		case 'S': case 's': return 2 | 4;
		case 'Y': case 'y': return 2 | 8;
		case 'K': case 'k': return 4 | 8;
		case 'V': case 'v': return 1 | 2 | 4;
		case 'H': case 'h': return 1 | 2 | 8;
		case 'D': case 'd': return 1 | 4 | 8;
		case 'B': case 'b': return 2 | 4 | 8;
		case 'N': case 'n': return 1 | 2 | 4 | 8;
	}
	return 0;
}

static int
CompareU64(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a,
				y = *(const uint64 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* every k-mer of the window at text[s], appended at out[*n] (all if at most 10) */
static void
WindowKmers(const char *text, size_t s, bool dna4, int k, uint64 *out, size_t *n)
{
	int			options[KMER_SIZE_MAX][4];
	int			noptions[KMER_SIZE_MAX];
	int			pick[KMER_SIZE_MAX];
	long		product = 1;
	int			i;

	for (i = 0; i < k; i++)
	{
		int			bases = LetterBases(text[s + i], dna4);
		int			b;

		if (bases == 0)
			HarnessFail("reference k-mers of an invalid letter 0x%02X", (unsigned char) text[s + i]);
		noptions[i] = 0;
		for (b = 0; b < 4; b++)
			if (bases & (1 << b))
				options[i][noptions[i]++] = b;
		product = Min(product * noptions[i], KMER_MAX_EXPANSION + 1);
		pick[i] = 0;
	}
	if (product > KMER_MAX_EXPANSION)
		return;
	for (;;)
	{
		uint64		x = 0;

		for (i = 0; i < k; i++)
			x = (x << 2) | (uint64) options[i][pick[i]];
		out[(*n)++] = x;
		for (i = k - 1; i >= 0; i--)
		{
			if (++pick[i] < noptions[i])
				break;
			pick[i] = 0;
		}
		if (i < 0)
			return;
	}
}

HarnessKmer *
HarnessReferenceKmers(const char *text, size_t n, bool dna4, int k, size_t *ndistinct)
{
	size_t		nwin = n >= (size_t) k ? n - k + 1 : 0;
	uint64	   *all = malloc((nwin * KMER_MAX_EXPANSION + 1) * sizeof(uint64));
	HarnessKmer *out = malloc((nwin * KMER_MAX_EXPANSION + 1) * sizeof(HarnessKmer));
	size_t		nall = 0,
				nd = 0,
				s;

	if (all == NULL || out == NULL)
		HarnessFail("out of memory in the reference");
	for (s = 0; s < nwin; s++)
		WindowKmers(text, s, dna4, k, all, &nall);
	qsort(all, nall, sizeof(uint64), CompareU64);
	for (s = 0; s < nall; s++)
	{
		if (nd > 0 && out[nd - 1].kmer == all[s])
			out[nd - 1].count++;
		else
		{
			out[nd].kmer = all[s];
			out[nd].count = 1;
			nd++;
		}
	}
	free(all);
	*ndistinct = nd;
	return out;
}

/* The windows that give no k-mer, by kmer.h's definition (dna4 only). */
size_t
HarnessReferenceUnkeyed(const char *text, size_t n, bool dna4, int k)
{
	size_t		nwin = n >= (size_t) k ? n - k + 1 : 0;
	size_t		s,
				unkeyed = 0;

	if (!dna4)
		return 0;
	for (s = 0; s < nwin; s++)
	{
		int			product = 1;
		int			i;

		for (i = 0; i < k && product <= KMER_MAX_EXPANSION; i++)
		{
			int			bases = LetterBases(text[s + i], true);

			product *= (bases & 1) + ((bases >> 1) & 1) + ((bases >> 2) & 1) + ((bases >> 3) & 1);
		}
		unkeyed += product > KMER_MAX_EXPANSION;
	}
	return unkeyed;
}

/* a k-mer of the reference walk and its window */
typedef struct RefPlace
{
	uint64		kmer;
	size_t		window;
} RefPlace;

static int
CompareRefPlace(const void *a, const void *b)
{
	const RefPlace *x = a,
			   *y = b;

	if (x->kmer != y->kmer)
		return x->kmer < y->kmer ? -1 : 1;
	return x->window < y->window ? -1 : x->window > y->window ? 1 : 0;
}

/*
 * The threshold's n by its definition: the windows with at least one k-mer
 * whose occurrence number (in window order) is at most 2^b.
 */
int64
HarnessReferenceUnits(const char *text, size_t n, bool dna4, int k, int b)
{
	size_t		nwin = n >= (size_t) k ? n - k + 1 : 0;
	uint64	   *one = malloc((KMER_MAX_EXPANSION + 1) * sizeof(uint64));
	RefPlace   *all = malloc((nwin * KMER_MAX_EXPANSION + 1) * sizeof(RefPlace));
	bool	   *counts = calloc(nwin + 1, sizeof(bool));
	size_t		nall = 0,
				s,
				i,
				rank = 0;
	int64		units = 0;

	if (one == NULL || all == NULL || counts == NULL)
		HarnessFail("out of memory in the reference");
	for (s = 0; s < nwin; s++)
	{
		size_t		m = 0;

		WindowKmers(text, s, dna4, k, one, &m);
		for (i = 0; i < m; i++)
		{
			all[nall].kmer = one[i];
			all[nall++].window = s;
		}
	}
	qsort(all, nall, sizeof(RefPlace), CompareRefPlace);
	for (i = 0; i < nall; i++)
	{
		rank = (i > 0 && all[i].kmer == all[i - 1].kmer) ? rank + 1 : 0;
		if (rank < ((size_t) 1 << b))
			counts[all[i].window] = true;
	}
	for (s = 0; s < nwin; s++)
		units += counts[s];
	free(one);
	free(all);
	free(counts);
	return units;
}

/* qsort/bsearch order of int8 GIN keys */
int
HarnessCompareInt64Datum(const void *a, const void *b)
{
	int64		x = DatumGetInt64(*(const Datum *) a),
				y = DatumGetInt64(*(const Datum *) b);

	return x < y ? -1 : x > y ? 1 : 0;
}
