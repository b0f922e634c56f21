/*
 * codec_avx2.c
 *		AVX2 kernels for the dna2/dna4 codecs.
 *
 * Built only when the compiler can emit AVX2; used only when the CPU and the
 * operating system support it (src/cpu.c).  Whole vectors are done here and
 * the remainder by the scalar kernels, which define the formats.
 */
#include "codec.h"

#ifdef HAVE_AVX2_TARGET

#include <immintrin.h>

#define TARGET_AVX2 __attribute__((target("avx2")))

/*
 * Per byte: the high nibble an upper-cased valid dna2 letter must have, by its
 * low nibble (A=41 C=43 G=47 T=54 U=55); 0xFF where no letter has that low
 * nibble, which no masked nibble can equal.
 */
#define DNA2_HI_BY_LO \
	_mm256_setr_epi8(-1, 4, -1, 4, 5, 5, -1, 4, -1, -1, -1, -1, -1, -1, -1, -1, \
					 -1, 4, -1, 4, 5, 5, -1, 4, -1, -1, -1, -1, -1, -1, -1, -1)
/* The 2-bit code by low nibble: A(1)=0 C(3)=1 G(7)=2 T(4)=3 U(5)=3. */
#define DNA2_CODE_BY_LO \
	_mm256_setr_epi8(0, 0, 0, 1, 3, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, \
					 0, 0, 0, 1, 3, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0)

/* Low nibble to 4-bit code for 0x40..0x4F (@ A B C D E F G H I J K L M N O) */
#define DNA4_CODE_4X \
	_mm256_setr_epi8(0, 1, 14, 2, 13, 0, 0, 4, 11, 0, 0, 12, 0, 3, 15, 0, \
					 0, 1, 14, 2, 13, 0, 0, 4, 11, 0, 0, 12, 0, 3, 15, 0)
/* ... and for 0x50..0x5F (P Q R S T U V W X Y Z ...) */
#define DNA4_CODE_5X \
	_mm256_setr_epi8(0, 0, 5, 6, 8, 8, 7, 9, 0, 10, 0, 0, 0, 0, 0, 0, \
					 0, 0, 5, 6, 8, 8, 7, 9, 0, 10, 0, 0, 0, 0, 0, 0)

/*
 * Index built in dna2 decoding to letter: indices 0-3 are codes, 4, 8 and 12
 * are codes 1-3 shifted left by two (see Dna2DecodeAvx2).
 */
#define DNA2_LETTER_BY_INDEX \
	_mm256_setr_epi8('A', 'C', 'G', 'T', 'C', '?', '?', '?', 'G', '?', '?', '?', 'T', '?', '?', '?', \
					 'A', 'C', 'G', 'T', 'C', '?', '?', '?', 'G', '?', '?', '?', 'T', '?', '?', '?')
#define DNA4_LETTER \
	_mm256_setr_epi8('?', 'A', 'C', 'M', 'G', 'R', 'S', 'V', 'T', 'W', 'Y', 'H', 'K', 'D', 'B', 'N', \
					 '?', 'A', 'C', 'M', 'G', 'R', 'S', 'V', 'T', 'W', 'Y', 'H', 'K', 'D', 'B', 'N')

/* 32 letters to 8 bytes of dna2. */
TARGET_AVX2
static int64_t
Dna2EncodeAvx2(const char *in, size_t n, uint8_t *out)
{
	const __m256i nib = _mm256_set1_epi8(0x0F);
	const __m256i hi_by_lo = DNA2_HI_BY_LO;
	const __m256i code_by_lo = DNA2_CODE_BY_LO;
	const __m256i gather = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
											0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
	size_t		i;
	int64_t		r;

	for (i = 0; i + 32 <= n; i += 32)
	{
		__m256i		v = _mm256_loadu_si256((const __m256i *) (in + i));
		__m256i		up = _mm256_and_si256(v, _mm256_set1_epi8((char) 0xDF));
		__m256i		lo = _mm256_and_si256(v, nib);
		__m256i		hi = _mm256_and_si256(_mm256_srli_epi16(up, 4), nib);
		__m256i		ok = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(hi_by_lo, lo), hi);
		uint32_t	okmask = (uint32_t) _mm256_movemask_epi8(ok);
		__m256i		code,
					p;

		if (okmask != 0xFFFFFFFFu)
			return (int64_t) (i + (size_t) __builtin_ctz(~okmask));
		code = _mm256_shuffle_epi8(code_by_lo, lo);
		/* pairs: first*4 + second; then pairs of pairs: first*16 + second */
		p = _mm256_maddubs_epi16(code, _mm256_set1_epi16(0x0104));
		p = _mm256_madd_epi16(p, _mm256_set1_epi32(0x00010010));
		/* one byte per dword: gather within lanes, then the two lanes */
		p = _mm256_shuffle_epi8(p, gather);
		p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0));
		_mm_storel_epi64((__m128i *) (out + i / 4), _mm256_castsi256_si128(p));
	}
	r = CodecDna2EncodeScalar(in + i, n - i, out + i / 4);
	return r < 0 ? -1 : (int64_t) i + r;
}

/* 32 letters to 16 bytes of dna4. */
TARGET_AVX2
static int64_t
Dna4EncodeAvx2(const char *in, size_t n, uint8_t *out)
{
	const __m256i nib = _mm256_set1_epi8(0x0F);
	const __m256i tab4 = DNA4_CODE_4X;
	const __m256i tab5 = DNA4_CODE_5X;
	size_t		i;
	int64_t		r;

	for (i = 0; i + 32 <= n; i += 32)
	{
		__m256i		v = _mm256_loadu_si256((const __m256i *) (in + i));
		__m256i		up = _mm256_and_si256(v, _mm256_set1_epi8((char) 0xDF));
		__m256i		lo = _mm256_and_si256(up, nib);
		__m256i		hi = _mm256_and_si256(_mm256_srli_epi16(up, 4), nib);
		__m256i		is4 = _mm256_cmpeq_epi8(hi, _mm256_set1_epi8(4));
		__m256i		is5 = _mm256_cmpeq_epi8(hi, _mm256_set1_epi8(5));
		__m256i		code = _mm256_or_si256(_mm256_and_si256(is4, _mm256_shuffle_epi8(tab4, lo)),
										   _mm256_and_si256(is5, _mm256_shuffle_epi8(tab5, lo)));
		uint32_t	bad = (uint32_t) _mm256_movemask_epi8(_mm256_cmpeq_epi8(code, _mm256_setzero_si256()));
		__m256i		p;

		if (bad != 0)
			return (int64_t) (i + (size_t) __builtin_ctz(bad));
		/* pairs: first*16 + second, then words to bytes */
		p = _mm256_maddubs_epi16(code, _mm256_set1_epi16(0x0110));
		p = _mm256_packus_epi16(p, p);
		p = _mm256_permute4x64_epi64(p, 0x08);
		_mm_storeu_si128((__m128i *) (out + i / 2), _mm256_castsi256_si128(p));
	}
	r = CodecDna4EncodeScalar(in + i, n - i, out + i / 2);
	return r < 0 ? -1 : (int64_t) i + r;
}

/*
 * 8 bytes of dna2 to 32 letters.  Each byte is repeated four times; copy j
 * keeps base j's two bits in place (mask C0, 30, 0C or 03), which leaves
 * either the high nibble (bases 0, 1) or the low nibble (bases 2, 3) nonzero;
 * their OR indexes a 16-entry letter table.
 */
TARGET_AVX2
static void
Dna2DecodeAvx2(const uint8_t *in, size_t nbases, char *out)
{
	const __m256i nib = _mm256_set1_epi8(0x0F);
	const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
											4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
	const __m256i letters = DNA2_LETTER_BY_INDEX;
	size_t		i;

	for (i = 0; i + 32 <= nbases; i += 32)
	{
		__m128i		b = _mm_loadl_epi64((const __m128i *) (in + i / 4));
		__m256i		x = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(b), spread);
		__m256i		m = _mm256_and_si256(x, _mm256_set1_epi32(0x030C30C0));
		__m256i		idx = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(m, 4), nib),
										  _mm256_and_si256(m, nib));

		_mm256_storeu_si256((__m256i *) (out + i), _mm256_shuffle_epi8(letters, idx));
	}
	CodecDna2DecodeScalar(in + i / 4, nbases - i, out + i);
}

/* 16 bytes of dna4 to 32 letters: each byte widened to (high, low) nibbles. */
TARGET_AVX2
static void
Dna4DecodeAvx2(const uint8_t *in, size_t nbases, char *out)
{
	const __m256i letters = DNA4_LETTER;
	size_t		i;

	for (i = 0; i + 32 <= nbases; i += 32)
	{
		__m256i		w = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *) (in + i / 2)));
		__m256i		idx = _mm256_or_si256(_mm256_srli_epi16(w, 4),
										  _mm256_slli_epi16(_mm256_and_si256(w, _mm256_set1_epi16(0x0F)), 8));

		_mm256_storeu_si256((__m256i *) (out + i), _mm256_shuffle_epi8(letters, idx));
	}
	CodecDna4DecodeScalar(in + i / 2, nbases - i, out + i);
}

const CodecKernels CodecAvx2 = {
	"AVX2",
	Dna2EncodeAvx2,
	Dna4EncodeAvx2,
	Dna2DecodeAvx2,
	Dna4DecodeAvx2,
};

#endif							/* HAVE_AVX2_TARGET */
