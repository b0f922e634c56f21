/*
 * harness.h
 *		The minimal backend the libFuzzer targets run the extension's C code
 *		against (see harness.c and test/README.md).
 *
 * Each target calls HarnessBegin() at the start of an input and
 * HarnessEnd() at the end: every palloc'd byte of the input is freed then,
 * so LeakSanitizer sees only leaks of memory that did not come from
 * palloc.  An ereport(ERROR) from the extension's code jumps to the
 * innermost PG_TRY's PG_CATCH, as in the server (no PG_RE_THROW, no
 * FlushErrorState: harness_error holds the error); HarnessCheckError()
 * then aborts (a finding) unless
 * the error is one a user may see: an allowed SQLSTATE and a message in
 * PostgreSQL's style.
 */
#ifndef KMERSEARCH_FUZZ_HARNESS_H
#define KMERSEARCH_FUZZ_HARNESS_H

#include "postgres.h"

#include "fmgr.h"

#include "pg_compat.h"

/* the last error reported, as errstart/errfinish saw it */
typedef struct HarnessError
{
	int			elevel;
	int			sqlerrcode;
	char		message[1024];
	char		detail[1024];
	char		hint[1024];
	const char *filename;
	int			lineno;
} HarnessError;

extern HarnessError harness_error;

extern void HarnessBegin(void);
extern void HarnessEnd(void);

/*
 * Abort (a finding) unless the last error has one of the n SQLSTATEs given
 * (ERRCODE_ values) and a message in PostgreSQL's style.
 */
extern void HarnessCheckError(const int *allowed, int n);

/* Abort with a message: what the target found is wrong. */
pg_noreturn extern void HarnessFail(const char *fmt,...) pg_attribute_printf(1, 2);

/*
 * The operator class options extension code sees through
 * PG_GET_OPCLASS_OPTIONS() when called with HarnessOpclassFlinfo().
 */
extern FmgrInfo *HarnessOpclassFlinfo(int kmer_size, int occur_bitlen);
extern FmgrInfo *HarnessPlainFlinfo(void);

/*
 * Call a V1 function with nargs Datum arguments (none null), as fmgr would
 * with flinfo.
 */
extern Datum HarnessCall(PGFunction fn, FmgrInfo *flinfo, int nargs, const Datum *args);

/*
 * Run the k-mer reference: the k-mers of n letters of text (dna2 or dna4
 * alphabet, already validated), by the definition in kmer.h, counted per
 * distinct k-mer in ascending order.  Written from the definition, not
 * from kmer.h's rolling code, so that the two check each other.
 */
typedef struct HarnessKmer
{
	uint64		kmer;
	uint32		count;
} HarnessKmer;

extern int	HarnessCompareInt64Datum(const void *a, const void *b);
extern size_t HarnessReferenceUnkeyed(const char *text, size_t n, bool dna4, int k);
extern int64 HarnessReferenceUnits(const char *text, size_t n, bool dna4, int k, int b);
extern HarnessKmer *HarnessReferenceKmers(const char *text, size_t n, bool dna4, int k,
										  size_t *ndistinct);

/*
 * A server string from fuzzer bytes: up to the first NUL, cut at the first
 * byte that is not valid UTF-8 (what the server lets reach a type's input
 * function or a text value), palloc'd and NUL-terminated; *len its length.
 */
extern char *HarnessServerString(const uint8 *data, size_t size, size_t *len);

/* a text value of len bytes */
extern text *HarnessText(const char *s, size_t len);

/*
 * The same value with a 1-byte header at an odd address, as short values
 * reach functions from a heap tuple (unchanged when too long for one).
 */
extern struct varlena *HarnessShortHeader(const struct varlena *v);

/* the SQL-callable functions of the extension the targets call */
extern Datum dna2_in(PG_FUNCTION_ARGS);
extern Datum dna4_in(PG_FUNCTION_ARGS);
extern Datum dna2_out(PG_FUNCTION_ARGS);
extern Datum dna4_out(PG_FUNCTION_ARGS);
extern Datum dna2_recv(PG_FUNCTION_ARGS);
extern Datum dna4_recv(PG_FUNCTION_ARGS);
extern Datum dna2_send(PG_FUNCTION_ARGS);
extern Datum dna4_send(PG_FUNCTION_ARGS);
extern Datum dna2_to_dna4(PG_FUNCTION_ARGS);
extern Datum dna4_to_dna2(PG_FUNCTION_ARGS);
extern Datum kmersearch_gin_extract_value_dna2(PG_FUNCTION_ARGS);
extern Datum kmersearch_gin_extract_value_dna4(PG_FUNCTION_ARGS);
extern Datum kmersearch_gin_extract_query(PG_FUNCTION_ARGS);
extern Datum kmersearch_gin_consistent(PG_FUNCTION_ARGS);
extern Datum kmersearch_gin_tri_consistent(PG_FUNCTION_ARGS);

#endif							/* KMERSEARCH_FUZZ_HARNESS_H */
