/*
 * module.c
 *		Module entry point: PG_MODULE_MAGIC, _PG_init and every setting.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "cpu.h"
#include "kmersearch.h"

PG_MODULE_MAGIC;

int			kmersearch_force_simd_capability = KMERSEARCH_FORCE_SIMD_DEFAULT;

void		_PG_init(void);

/*
 * Detect the CPU once, then define the settings.  Nothing here needs
 * shared_preload_libraries: the module is loaded by its first function call.
 */
void
_PG_init(void)
{
	CpuDetect();

	DefineCustomIntVariable("kmersearch.force_simd_capability",
							"Caps the SIMD level used by pg_kmersearch.",
							"-1 uses the best level the CPU supports; 0 forces the scalar code; "
							"1 allows at most AVX2 (x86-64) or NEON (arm64); 2 allows at most AVX-512BW.",
							&kmersearch_force_simd_capability,
							KMERSEARCH_FORCE_SIMD_DEFAULT,
							KMERSEARCH_FORCE_SIMD_MIN,
							KMERSEARCH_FORCE_SIMD_MAX,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("kmersearch");
}
