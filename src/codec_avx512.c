/*
 * codec_avx512.c
 *		AVX-512 (F + BW) kernels for the dna2/dna4 codecs.
 *
 * The same algorithms as codec_avx2.c on 64-byte vectors, with mask
 * registers for the validity checks and the AVX-512 down-converting moves
 * for packing.  Used only when the CPU and the operating system support
 * AVX-512F and AVX-512BW (src/cpu.c).
 */
#include "codec.h"

#ifdef HAVE_AVX512BW_TARGET

#include <immintrin.h>

#define TARGET_AVX512 __attribute__((target("avx512f,avx512bw")))

/* The same 16-entry tables as codec_avx2.c, in each 128-bit lane. */
#define LANES4(a) _mm512_broadcast_i32x4(a)

TARGET_AVX512
static int64_t
Dna2EncodeAvx512(const char *in, size_t n, uint8_t *out)
{
	const __m512i nib = _mm512_set1_epi8(0x0F);
	const __m512i hi_by_lo = LANES4(_mm_setr_epi8(-1, 4, -1, 4, 5, 5, -1, 4, -1, -1, -1, -1, -1, -1, -1, -1));
	const __m512i code_by_lo = LANES4(_mm_setr_epi8(0, 0, 0, 1, 3, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0));
	size_t		i;
	int64_t		r;

	for (i = 0; i + 64 <= n; i += 64)
	{
		__m512i		v = _mm512_loadu_si512((const void *) (in + i));
		__m512i		up = _mm512_and_si512(v, _mm512_set1_epi8((char) 0xDF));
		__m512i		lo = _mm512_and_si512(v, nib);
		__m512i		hi = _mm512_and_si512(_mm512_srli_epi16(up, 4), nib);
		__mmask64	ok = _mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(hi_by_lo, lo), hi);
		__m512i		p;

		if (ok != ~(__mmask64) 0)
			return (int64_t) (i + (size_t) __builtin_ctzll(~ok));
		p = _mm512_maddubs_epi16(_mm512_shuffle_epi8(code_by_lo, lo), _mm512_set1_epi16(0x0104));
		p = _mm512_madd_epi16(p, _mm512_set1_epi32(0x00010010));
		_mm_storeu_si128((__m128i *) (out + i / 4), _mm512_cvtepi32_epi8(p));
	}
	r = CodecDna2EncodeScalar(in + i, n - i, out + i / 4);
	return r < 0 ? -1 : (int64_t) i + r;
}

TARGET_AVX512
static int64_t
Dna4EncodeAvx512(const char *in, size_t n, uint8_t *out)
{
	const __m512i nib = _mm512_set1_epi8(0x0F);
	const __m512i tab4 = LANES4(_mm_setr_epi8(0, 1, 14, 2, 13, 0, 0, 4, 11, 0, 0, 12, 0, 3, 15, 0));
	const __m512i tab5 = LANES4(_mm_setr_epi8(0, 0, 5, 6, 8, 8, 7, 9, 0, 10, 0, 0, 0, 0, 0, 0));
	size_t		i;
	int64_t		r;

	for (i = 0; i + 64 <= n; i += 64)
	{
		__m512i		v = _mm512_loadu_si512((const void *) (in + i));
		__m512i		up = _mm512_and_si512(v, _mm512_set1_epi8((char) 0xDF));
		__m512i		lo = _mm512_and_si512(up, nib);
		__m512i		hi = _mm512_and_si512(_mm512_srli_epi16(up, 4), nib);
		__mmask64	is4 = _mm512_cmpeq_epi8_mask(hi, _mm512_set1_epi8(4));
		__mmask64	is5 = _mm512_cmpeq_epi8_mask(hi, _mm512_set1_epi8(5));
		__m512i		code = _mm512_or_si512(_mm512_maskz_shuffle_epi8(is4, tab4, lo),
										   _mm512_maskz_shuffle_epi8(is5, tab5, lo));
		__mmask64	bad = _mm512_testn_epi8_mask(code, code);
		__m512i		p;

		if (bad != 0)
			return (int64_t) (i + (size_t) __builtin_ctzll(bad));
		p = _mm512_maddubs_epi16(code, _mm512_set1_epi16(0x0110));
		_mm256_storeu_si256((__m256i *) (out + i / 2), _mm512_cvtepi16_epi8(p));
	}
	r = CodecDna4EncodeScalar(in + i, n - i, out + i / 2);
	return r < 0 ? -1 : (int64_t) i + r;
}

/* 16 bytes of dna2 to 64 letters; see Dna2DecodeAvx2 for the method. */
TARGET_AVX512
static void
Dna2DecodeAvx512(const uint8_t *in, size_t nbases, char *out)
{
	const __m512i nib = _mm512_set1_epi8(0x0F);
	const __m512i spread = _mm512_set_epi8(15, 15, 15, 15, 14, 14, 14, 14, 13, 13, 13, 13, 12, 12, 12, 12,
										   11, 11, 11, 11, 10, 10, 10, 10, 9, 9, 9, 9, 8, 8, 8, 8,
										   7, 7, 7, 7, 6, 6, 6, 6, 5, 5, 5, 5, 4, 4, 4, 4,
										   3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
	const __m512i letters = LANES4(_mm_setr_epi8('A', 'C', 'G', 'T', 'C', '?', '?', '?',
												 'G', '?', '?', '?', 'T', '?', '?', '?'));
	size_t		i;

	for (i = 0; i + 64 <= nbases; i += 64)
	{
		__m512i		b = LANES4(_mm_loadu_si128((const __m128i *) (in + i / 4)));
		__m512i		x = _mm512_shuffle_epi8(b, spread);
		__m512i		m = _mm512_and_si512(x, _mm512_set1_epi32(0x030C30C0));
		__m512i		idx = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(m, 4), nib),
										  _mm512_and_si512(m, nib));

		_mm512_storeu_si512((void *) (out + i), _mm512_shuffle_epi8(letters, idx));
	}
	CodecDna2DecodeScalar(in + i / 4, nbases - i, out + i);
}

/* 32 bytes of dna4 to 64 letters. */
TARGET_AVX512
static void
Dna4DecodeAvx512(const uint8_t *in, size_t nbases, char *out)
{
	const __m512i letters = LANES4(_mm_setr_epi8('?', 'A', 'C', 'M', 'G', 'R', 'S', 'V',
												 'T', 'W', 'Y', 'H', 'K', 'D', 'B', 'N'));
	size_t		i;

	for (i = 0; i + 64 <= nbases; i += 64)
	{
		__m512i		w = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *) (in + i / 2)));
		__m512i		idx = _mm512_or_si512(_mm512_srli_epi16(w, 4),
										  _mm512_slli_epi16(_mm512_and_si512(w, _mm512_set1_epi16(0x0F)), 8));

		_mm512_storeu_si512((void *) (out + i), _mm512_shuffle_epi8(letters, idx));
	}
	CodecDna4DecodeScalar(in + i / 2, nbases - i, out + i);
}

const CodecKernels CodecAvx512 = {
	"AVX512BW",
	Dna2EncodeAvx512,
	Dna4EncodeAvx512,
	Dna2DecodeAvx512,
	Dna4DecodeAvx512,
};

#endif							/* HAVE_AVX512BW_TARGET */
