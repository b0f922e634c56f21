/*
 * cpu.c
 *		Detect what the CPU can run, once at load time, and hand out the
 *		kernels of the level in use.
 *
 * The level in use is the detected one, capped by
 * kmersearch.force_simd_capability when that is set; it is worked out on
 * every call from the setting itself, so a SET takes effect at once.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "cpu.h"
#include "kmersearch.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* the highest level both the CPU and this build support */
static int	cpu_detected_level = SIMD_NONE;

#if defined(__x86_64__) || defined(__i386__)
/* XCR0: which register states the operating system saves */
static uint64
ReadXcr0(void)
{
	uint32		eax,
				edx;

	__asm__ __volatile__("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
	return ((uint64) edx << 32) | eax;
}

static int
DetectX86(void)
{
	unsigned int eax,
				ebx,
				ecx,
				edx;
	uint64		xcr0;
	bool		avx2,
				avx512bw;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return SIMD_NONE;
	/* OSXSAVE and AVX: the OS must save YMM state */
	if (!(ecx & (1u << 27)) || !(ecx & (1u << 28)))
		return SIMD_NONE;
	xcr0 = ReadXcr0();
	if ((xcr0 & 0x6) != 0x6)
		return SIMD_NONE;
	if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
		return SIMD_NONE;
	avx2 = (ebx & (1u << 5)) != 0;
	/* AVX-512F and BW, with opmask and ZMM state saved by the OS */
	avx512bw = (ebx & (1u << 16)) != 0 && (ebx & (1u << 30)) != 0 &&
		(xcr0 & 0xE6) == 0xE6;

#ifdef HAVE_AVX512BW_TARGET
	if (avx512bw && avx2)
		return SIMD_AVX512BW;
#endif
#ifdef HAVE_AVX2_TARGET
	if (avx2)
		return SIMD_AVX2;
#endif
	return SIMD_NONE;
}
#endif

/* Called once from _PG_init. */
void
CpuDetect(void)
{
#if defined(__x86_64__) || defined(__i386__)
	cpu_detected_level = DetectX86();
#elif defined(__aarch64__) && defined(HAVE_NEON_TARGET)
	/* Advanced SIMD is mandatory on AArch64 */
	cpu_detected_level = SIMD_NEON;
#else
	cpu_detected_level = SIMD_NONE;
#endif
}

/* The level in use: the detected one, capped by the setting. */
int
CpuEffectiveLevel(void)
{
	int			level = cpu_detected_level;

	if (kmersearch_force_simd_capability >= 0 &&
		kmersearch_force_simd_capability < level)
		level = kmersearch_force_simd_capability;
	return level;
}

/* The codec kernels of the level in use. */
const CodecKernels *
CpuCodec(void)
{
	switch (CpuEffectiveLevel())
	{
#if defined(__aarch64__) && defined(HAVE_NEON_TARGET)
		case SIMD_NEON:
			return &CodecNeon;
#endif
#if !defined(__aarch64__) && defined(HAVE_AVX512BW_TARGET)
		case SIMD_AVX512BW:
			return &CodecAvx512;
#endif
#if !defined(__aarch64__) && defined(HAVE_AVX2_TARGET)
		case SIMD_AVX2:
			return &CodecAvx2;
#endif
		default:
			return &CodecScalar;
	}
}

const char *
CpuLevelName(int level)
{
	switch (level)
	{
#if defined(__aarch64__)
		case SIMD_NEON:
			return "NEON";
#else
		case SIMD_AVX2:
			return "AVX2";
		case SIMD_AVX512BW:
			return "AVX512BW";
#endif
		default:
			return "None";
	}
}

PG_FUNCTION_INFO_V1(kmersearch_simd_capability);

/* kmersearch_simd_capability() -> text: the SIMD level in use */
Datum
kmersearch_simd_capability(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(CpuLevelName(CpuEffectiveLevel())));
}
