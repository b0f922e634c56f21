/*
 * settings.c
 *		The variables of the kmersearch.* settings, at their defaults.
 *
 * module.c's _PG_init defines the settings on them.  They are in a file of
 * their own so that code built without the module (test/fuzz) has the same
 * variables and defaults.
 */
#include "postgres.h"

#include "align.h"
#include "kmer.h"
#include "kmersearch.h"

int			kmersearch_kmer_size = KMER_SIZE_DEFAULT;
int			kmersearch_occur_bitlen = OCCUR_BITLEN_DEFAULT;
double		kmersearch_max_appearance_rate = 0.5;
int			kmersearch_max_appearance_nrow = 0;
int			kmersearch_min_score = 1;
double		kmersearch_min_shared_ngram_key_rate = 0.9;
int			kmersearch_rawscore_cache_max_entries = KMERSEARCH_CACHE_ENTRIES_DEFAULT;
int			kmersearch_query_pattern_cache_max_entries = KMERSEARCH_CACHE_ENTRIES_DEFAULT;
int			kmersearch_actual_min_score_cache_max_entries = KMERSEARCH_CACHE_ENTRIES_DEFAULT;
bool		kmersearch_preclude_highfreq_kmer = false;
bool		kmersearch_force_use_parallel_highfreq_kmer_cache = false;
int			kmersearch_highfreq_kmer_cache_load_batch_size = KMERSEARCH_BATCH_SIZE_DEFAULT;
int			kmersearch_highfreq_analysis_batch_size = KMERSEARCH_BATCH_SIZE_DEFAULT;
int			kmersearch_force_simd_capability = KMERSEARCH_FORCE_SIMD_DEFAULT;
int			kmersearch_strand = 0;		/* KMER_STRAND_PLUS */
int			kmersearch_identity_definition = ALIGN_IDDEF_INTERNAL;
int			kmersearch_align_max_cells = ALIGN_MAX_CELLS_DEFAULT;
double		kmersearch_min_identity = 0.0;
double		kmersearch_min_query_coverage = 0.5;
