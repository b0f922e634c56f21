/*
 * module.c
 *		Module entry point: PG_MODULE_MAGIC, and _PG_init defining every
 *		setting (their variables are in settings.c).
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/plancache.h"
#include "utils/syscache.h"

#include "align.h"
#include "cache.h"
#include "cpu.h"
#include "kmer.h"
#include "highfreq.h"
#include "index_meta.h"
#include "kmersearch.h"
#include "kmi.h"
#include "scan_hint.h"
#include "score.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

/*
 * The library a function of this module is in, as its pg_proc row says:
 * what a ParallelContext loads in its workers.
 */
char *
KmersearchLibraryOf(Oid fn_oid)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	bool		isnull;
	Datum		d;
	char	   *lib;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn_oid);
	d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
	if (isnull)
		elog(ERROR, "function %u has no library", fn_oid);
	lib = TextDatumGetCString(d);
	ReleaseSysCache(tup);
	return lib;
}

/*
 * The =% functions cached plans may use, by their hash in the function
 * cache (PROCOID): a plan with =% depends on the settings, since the
 * planner keeps it away from kmersearch indexes built with others
 * (planner.c).  PostgreSQL records in each plan the functions it calls, so
 * invalidating these drops only the plans that use them.
 */
static uint32 match_function_hashes[8];
static int	n_match_function_hashes = 0;
static bool match_functions_overflow = false;

void
KmersearchPlanUsesSettings(Oid funcid)
{
	uint32		hash = GetSysCacheHashValue1(PROCOID, ObjectIdGetDatum(funcid));
	int			i;

	for (i = 0; i < n_match_function_hashes; i++)
		if (match_function_hashes[i] == hash)
			return;
	if (n_match_function_hashes < lengthof(match_function_hashes))
		match_function_hashes[n_match_function_hashes++] = hash;
	else
		match_functions_overflow = true;	/* extensions dropped and created again, many times */
}

/*
 * What k-mers, keys or scores depend on changed (a setting, or the
 * high-frequency k-mers in use): cached results are stale, and so are the
 * cached plans with =%, which may use an index that no longer answers the
 * session's question or leave out one that now does.  Only the backend's
 * own caches: nothing is sent to other sessions.
 */
void
KmersearchSettingsChanged(void)
{
	int			i;

	CacheInvalidateAll();
	if (match_functions_overflow)
		ResetPlanCache();
	else
		for (i = 0; i < n_match_function_hashes; i++)
			CallSyscacheCallbacks(PROCOID, match_function_hashes[i]);
}

/*
 * Assign hooks, which act only when the value changes: not on a SET to the
 * value it has, nor on the end of a SET LOCAL that changed nothing.  (The
 * variable still holds the old value when the hook runs.)
 */
#define ASSIGN_ON_CHANGE(hook, type, variable, action) \
static void \
hook(type newval, void *extra) \
{ \
	if (newval != (variable)) \
		action(); \
}

/* the settings keys, exclusion and cached plans depend on */
ASSIGN_ON_CHANGE(AssignKmerSize, int, kmersearch_kmer_size, KmersearchSettingsChanged)
ASSIGN_ON_CHANGE(AssignOccurBitlen, int, kmersearch_occur_bitlen, KmersearchSettingsChanged)
ASSIGN_ON_CHANGE(AssignMaxAppearanceRate, double, kmersearch_max_appearance_rate, KmersearchSettingsChanged)
ASSIGN_ON_CHANGE(AssignMaxAppearanceNrow, int, kmersearch_max_appearance_nrow, KmersearchSettingsChanged)
ASSIGN_ON_CHANGE(AssignPreclude, bool, kmersearch_preclude_highfreq_kmer, KmersearchSettingsChanged)
ASSIGN_ON_CHANGE(AssignForceParallelCache, bool, kmersearch_force_use_parallel_highfreq_kmer_cache,
				 KmersearchSettingsChanged)
/* thresholds: cached minimum scores are stale */
ASSIGN_ON_CHANGE(AssignMinScore, int, kmersearch_min_score, CacheInvalidateAll)
ASSIGN_ON_CHANGE(AssignMinSharedRate, double, kmersearch_min_shared_ngram_key_rate, CacheInvalidateAll)
/* whether indexes without marker keys serve =% changes with it: re-plan */
ASSIGN_ON_CHANGE(AssignMinIdentity, double, kmersearch_min_identity, KmersearchSettingsChanged)

/* kmersearch.strand */
static const struct config_enum_entry strand_options[] = {
	{"plus", KMER_STRAND_PLUS, false},
	{"both", KMER_STRAND_BOTH, false},
	{NULL, 0, false}
};

/* vsearch's --iddef definitions, also by their numbers (4 is 1 for a global alignment) */
static const struct config_enum_entry identity_definition_options[] = {
	{"internal", ALIGN_IDDEF_INTERNAL, false},
	{"alignment", ALIGN_IDDEF_ALIGNMENT, false},
	{"shortest", ALIGN_IDDEF_SHORTEST, false},
	{"mbl", ALIGN_IDDEF_MBL, false},
	{"0", ALIGN_IDDEF_SHORTEST, true},
	{"1", ALIGN_IDDEF_ALIGNMENT, true},
	{"2", ALIGN_IDDEF_INTERNAL, true},
	{"3", ALIGN_IDDEF_MBL, true},
	{"4", ALIGN_IDDEF_ALIGNMENT, true},
	{NULL, 0, false}
};

/*
 * Detect the CPU once, then define the settings.  Nothing here needs
 * shared_preload_libraries: the module is loaded by its first function call,
 * and a value SET before that is checked then.
 */
void
_PG_init(void)
{
	CpuDetect();

	DefineCustomIntVariable("kmersearch.kmer_size",
							"Length k of the k-mers used for indexing and search.",
							NULL,
							&kmersearch_kmer_size, KMER_SIZE_DEFAULT,
							KMER_SIZE_MIN, KMER_SIZE_MAX,
							PGC_USERSET, 0, NULL, AssignKmerSize, NULL);
	DefineCustomIntVariable("kmersearch.occur_bitlen",
							"Bits for the occurrence number in a key: up to 2^occur_bitlen occurrences of a k-mer count.",
							NULL,
							&kmersearch_occur_bitlen, OCCUR_BITLEN_DEFAULT,
							OCCUR_BITLEN_MIN, OCCUR_BITLEN_MAX,
							PGC_USERSET, 0, NULL, AssignOccurBitlen, NULL);
	DefineCustomRealVariable("kmersearch.max_appearance_rate",
							 "A k-mer in more than this fraction of rows is high-frequency.",
							 NULL,
							 &kmersearch_max_appearance_rate, 0.5, 0.0, 1.0,
							 PGC_USERSET, 0, NULL, AssignMaxAppearanceRate, NULL);
	DefineCustomIntVariable("kmersearch.max_appearance_nrow",
							"A k-mer in more than this many rows is high-frequency (0: no limit).",
							NULL,
							&kmersearch_max_appearance_nrow, 0, 0, INT_MAX,
							PGC_USERSET, 0, NULL, AssignMaxAppearanceNrow, NULL);
	DefineCustomIntVariable("kmersearch.min_score",
							"Minimum number of shared keys for =%.",
							NULL,
							&kmersearch_min_score, 1, 0, INT_MAX,
							PGC_USERSET, 0, NULL, AssignMinScore, NULL);
	DefineCustomRealVariable("kmersearch.min_shared_ngram_key_rate",
							 "Minimum fraction of the query's keys a row must share for =%.",
							 NULL,
							 &kmersearch_min_shared_ngram_key_rate, 0.9, 0.0, 1.0,
							 PGC_USERSET, 0, NULL, AssignMinSharedRate, NULL);
	DefineCustomIntVariable("kmersearch.rawscore_cache_max_entries",
							"Entries kept in the backend's cache of computed scores.",
							NULL,
							&kmersearch_rawscore_cache_max_entries, KMERSEARCH_CACHE_ENTRIES_DEFAULT,
							KMERSEARCH_CACHE_ENTRIES_MIN, KMERSEARCH_CACHE_ENTRIES_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("kmersearch.query_pattern_cache_max_entries",
							"Entries kept in the backend's cache of query keys.",
							NULL,
							&kmersearch_query_pattern_cache_max_entries, KMERSEARCH_CACHE_ENTRIES_DEFAULT,
							KMERSEARCH_CACHE_ENTRIES_MIN, KMERSEARCH_CACHE_ENTRIES_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("kmersearch.actual_min_score_cache_max_entries",
							"Entries kept in the backend's cache of query thresholds.",
							NULL,
							&kmersearch_actual_min_score_cache_max_entries, KMERSEARCH_CACHE_ENTRIES_DEFAULT,
							KMERSEARCH_CACHE_ENTRIES_MIN, KMERSEARCH_CACHE_ENTRIES_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("kmersearch.preclude_highfreq_kmer",
							 "Leave high-frequency k-mers out of GIN indexes built now and out of scoring.",
							 NULL,
							 &kmersearch_preclude_highfreq_kmer, false,
							 PGC_USERSET, 0, NULL, AssignPreclude, NULL);
	DefineCustomBoolVariable("kmersearch.force_use_parallel_highfreq_kmer_cache",
							 "Look high-frequency k-mers up in the shared (parallel) cache.",
							 NULL,
							 &kmersearch_force_use_parallel_highfreq_kmer_cache, false,
							 PGC_USERSET, 0, NULL, AssignForceParallelCache, NULL);
	DefineCustomIntVariable("kmersearch.highfreq_kmer_cache_load_batch_size",
							"Rows a batch when loading a high-frequency k-mer cache.",
							NULL,
							&kmersearch_highfreq_kmer_cache_load_batch_size, KMERSEARCH_BATCH_SIZE_DEFAULT,
							KMERSEARCH_BATCH_SIZE_MIN, KMERSEARCH_BATCH_SIZE_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("kmersearch.highfreq_analysis_batch_size",
							"Rows a batch in the high-frequency k-mer analysis.",
							NULL,
							&kmersearch_highfreq_analysis_batch_size, KMERSEARCH_BATCH_SIZE_DEFAULT,
							KMERSEARCH_BATCH_SIZE_MIN, KMERSEARCH_BATCH_SIZE_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("kmersearch.force_simd_capability",
							"Caps the SIMD level used by pg_kmersearch.",
							"-1 uses the best level the CPU supports; 0 forces the scalar code; "
							"1 allows at most AVX2 (x86-64) or NEON (arm64); 2 allows at most AVX-512BW.",
							&kmersearch_force_simd_capability,
							KMERSEARCH_FORCE_SIMD_DEFAULT,
							KMERSEARCH_FORCE_SIMD_MIN,
							KMERSEARCH_FORCE_SIMD_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomEnumVariable("kmersearch.strand",
							 "Strands of the query =% and the score functions look at.",
							 "plus: the query as given; both: also its reverse complement, a row "
							 "matching when either strand reaches the threshold.",
							 &kmersearch_strand, KMER_STRAND_PLUS, strand_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomEnumVariable("kmersearch.identity_definition",
							 "Definition of the identity kmersearch_identity and kmersearch_align give.",
							 "vsearch's --iddef: internal (2, its default): matching columns over the "
							 "alignment's columns without terminal gaps; alignment (1, 4): over all columns; "
							 "shortest (0): over the shorter sequence's length; mbl (3): one minus "
							 "mismatches and gap openings over the longer sequence's length.",
							 &kmersearch_identity_definition, ALIGN_IDDEF_INTERNAL,
							 identity_definition_options, PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomIntVariable("kmersearch.align_max_cells",
							"Largest alignment (query bases, rounded up to a multiple of 16, times sequence bases) computed.",
							"An alignment takes 2 to 4 bytes a cell, outside PostgreSQL's memory contexts, "
							"and cannot be canceled while it runs.",
							&kmersearch_align_max_cells, ALIGN_MAX_CELLS_DEFAULT,
							ALIGN_MAX_CELLS_MIN, INT_MAX, PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomRealVariable("kmersearch.min_identity",
							 "Minimum identity of the rows =% finds (0: =% counts shared k-mers instead).",
							 "Above 0, =% is true when the row's alignment with the query (kmersearch_align, "
							 "under kmersearch.strand and kmersearch.identity_definition) reaches this identity and "
							 "covers kmersearch.min_query_coverage of the query; the k-mer threshold that finds every "
							 "such row follows from the q-gram lemma.",
							 &kmersearch_min_identity, 0.0, 0.0, 1.0, PGC_USERSET, 0, NULL, AssignMinIdentity, NULL);

	DefineCustomRealVariable("kmersearch.min_query_coverage",
							 "Fraction of the query the alignment of a row =% finds must cover, under kmersearch.min_identity.",
							 "As vsearch's --query_cov: (matches + mismatches) / query length.  The smaller, the "
							 "lower the k-mer threshold and the more rows are aligned.",
							 &kmersearch_min_query_coverage, 0.5, 0.0, 1.0, PGC_USERSET, 0, NULL, NULL, NULL);

	HighfreqDefineSettings();
	KmiDefineOptions();
	MarkGUCPrefixReserved("kmersearch");
	MetaInstallHooks();
	ScanHintInstallHook();
}
