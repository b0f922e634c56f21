/*
 * cpu.h
 *		CPU capability detection and SIMD kernel dispatch.
 */
#ifndef KMERSEARCH_CPU_H
#define KMERSEARCH_CPU_H

#include "codec.h"

/*
 * SIMD levels, ordered: a CPU at one level can run every lower one.  The
 * numbers are what kmersearch.force_simd_capability takes.
 */
typedef enum SimdLevel
{
	SIMD_NONE = 0,
#if defined(__aarch64__)
	SIMD_NEON = 1,
#else
	SIMD_AVX2 = 1,
	SIMD_AVX512BW = 2,
#endif
} SimdLevel;

extern void CpuDetect(void);
extern int	CpuEffectiveLevel(void);
extern const char *CpuLevelName(int level);
extern const CodecKernels *CpuCodec(void);

#endif							/* KMERSEARCH_CPU_H */
