/*
 * module.c
 *		Module entry point: PG_MODULE_MAGIC, and _PG_init defining every
 *		setting (their variables are in settings.c).
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"
#include "utils/plancache.h"

#include "cache.h"
#include "cpu.h"
#include "kmer.h"
#include "highfreq.h"
#include "index_meta.h"
#include "kmersearch.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

/*
 * What k-mers, keys or scores depend on changed (a setting, or the
 * high-frequency k-mers in use): cached results are stale, and so are cached
 * plans, which may use an index that no longer answers the session's
 * question (the planner leaves such indexes out; see planner.c).
 */
void
KmersearchSettingsChanged(void)
{
	CacheInvalidateAll();
	ResetPlanCache();
}

static void
AssignKeySetting(int newval, void *extra)
{
	KmersearchSettingsChanged();
}

static void
AssignKeySettingBool(bool newval, void *extra)
{
	KmersearchSettingsChanged();
}

static void
AssignKeySettingReal(double newval, void *extra)
{
	KmersearchSettingsChanged();
}

/* A threshold setting changed: cached minimum scores are stale. */
static void
AssignThresholdInt(int newval, void *extra)
{
	CacheInvalidateAll();
}

static void
AssignThresholdReal(double newval, void *extra)
{
	CacheInvalidateAll();
}

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
							PGC_USERSET, 0, NULL, AssignKeySetting, NULL);
	DefineCustomIntVariable("kmersearch.occur_bitlen",
							"Bits for the occurrence number in a key: up to 2^occur_bitlen occurrences of a k-mer count.",
							NULL,
							&kmersearch_occur_bitlen, OCCUR_BITLEN_DEFAULT,
							OCCUR_BITLEN_MIN, OCCUR_BITLEN_MAX,
							PGC_USERSET, 0, NULL, AssignKeySetting, NULL);
	DefineCustomRealVariable("kmersearch.max_appearance_rate",
							 "A k-mer in more than this fraction of rows is high-frequency.",
							 NULL,
							 &kmersearch_max_appearance_rate, 0.5, 0.0, 1.0,
							 PGC_USERSET, 0, NULL, AssignKeySettingReal, NULL);
	DefineCustomIntVariable("kmersearch.max_appearance_nrow",
							"A k-mer in more than this many rows is high-frequency (0: no limit).",
							NULL,
							&kmersearch_max_appearance_nrow, 0, 0, INT_MAX,
							PGC_USERSET, 0, NULL, AssignKeySetting, NULL);
	DefineCustomIntVariable("kmersearch.min_score",
							"Minimum number of shared keys for =%.",
							NULL,
							&kmersearch_min_score, 1, 0, INT_MAX,
							PGC_USERSET, 0, NULL, AssignThresholdInt, NULL);
	DefineCustomRealVariable("kmersearch.min_shared_ngram_key_rate",
							 "Minimum fraction of the query's keys a row must share for =%.",
							 NULL,
							 &kmersearch_min_shared_ngram_key_rate, 0.9, 0.0, 1.0,
							 PGC_USERSET, 0, NULL, AssignThresholdReal, NULL);
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
							 PGC_USERSET, 0, NULL, AssignKeySettingBool, NULL);
	DefineCustomBoolVariable("kmersearch.force_use_parallel_highfreq_kmer_cache",
							 "Look high-frequency k-mers up in the shared (parallel) cache.",
							 NULL,
							 &kmersearch_force_use_parallel_highfreq_kmer_cache, false,
							 PGC_USERSET, 0, NULL, AssignKeySettingBool, NULL);
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

	HighfreqDefineSettings();
	MarkGUCPrefixReserved("kmersearch");
	MetaInstallHooks();
}
