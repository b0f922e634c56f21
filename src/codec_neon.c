/*
 * codec_neon.c
 *		NEON (AArch64 Advanced SIMD) kernels for the dna2/dna4 codecs.
 *
 * NEON is part of every AArch64 CPU, so these are used whenever built for
 * arm64 (unless kmersearch.force_simd_capability asks for the scalar path).
 * Whole 16-byte vectors are done here; on an invalid letter, and for the
 * remainder, the scalar kernels take over from the vector's start, so the
 * reported position is theirs.
 */
#include <string.h>

#include "codec.h"

#if defined(HAVE_NEON_TARGET) && defined(__aarch64__)

#include <arm_neon.h>

static const uint8_t dna2_hi_by_lo[16] = {0xFF, 4, 0xFF, 4, 5, 5, 0xFF, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
static const uint8_t dna2_code_by_lo[16] = {0, 0, 0, 1, 3, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t dna4_code_4x[16] = {0, 1, 14, 2, 13, 0, 0, 4, 11, 0, 0, 12, 0, 3, 15, 0};
static const uint8_t dna4_code_5x[16] = {0, 0, 5, 6, 8, 8, 7, 9, 0, 10, 0, 0, 0, 0, 0, 0};
static const int8_t dna2_pack_shift[16] = {6, 4, 2, 0, 6, 4, 2, 0, 6, 4, 2, 0, 6, 4, 2, 0};
static const int8_t dna4_pack_shift[16] = {4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0};
static const uint8_t dna2_spread[16] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
static const uint8_t dna2_base_mask[16] = {0xC0, 0x30, 0x0C, 0x03, 0xC0, 0x30, 0x0C, 0x03,
0xC0, 0x30, 0x0C, 0x03, 0xC0, 0x30, 0x0C, 0x03};
static const int8_t dna2_unpack_shift[16] = {-6, -4, -2, 0, -6, -4, -2, 0, -6, -4, -2, 0, -6, -4, -2, 0};
static const uint8_t dna2_letter[16] = {'A', 'C', 'G', 'T', '?', '?', '?', '?', '?', '?', '?', '?', '?', '?', '?', '?'};

/* 16 letters to 4 bytes of dna2. */
static int64_t
Dna2EncodeNeon(const char *in, size_t n, uint8_t *out)
{
	const uint8x16_t nib = vdupq_n_u8(0x0F);
	const uint8x16_t hi_by_lo = vld1q_u8(dna2_hi_by_lo);
	const uint8x16_t code_by_lo = vld1q_u8(dna2_code_by_lo);
	const int8x16_t shift = vld1q_s8(dna2_pack_shift);
	size_t		i;
	int64_t		r;

	for (i = 0; i + 16 <= n; i += 16)
	{
		uint8x16_t	v = vld1q_u8((const uint8_t *) in + i);
		uint8x16_t	lo = vandq_u8(v, nib);
		uint8x16_t	hi = vshrq_n_u8(vandq_u8(v, vdupq_n_u8(0xDF)), 4);
		uint8x16_t	ok = vceqq_u8(vqtbl1q_u8(hi_by_lo, lo), hi);
		uint8x16_t	p;
		uint32_t	word;

		if (vminvq_u8(ok) != 0xFF)
			break;
		/* disjoint bit fields: pairwise adds act as ORs */
		p = vshlq_u8(vqtbl1q_u8(code_by_lo, lo), shift);
		p = vpaddq_u8(p, p);
		p = vpaddq_u8(p, p);
		word = vgetq_lane_u32(vreinterpretq_u32_u8(p), 0);
		memcpy(out + i / 4, &word, 4);
	}
	r = CodecDna2EncodeScalar(in + i, n - i, out + i / 4);
	return r < 0 ? -1 : (int64_t) i + r;
}

/* 16 letters to 8 bytes of dna4. */
static int64_t
Dna4EncodeNeon(const char *in, size_t n, uint8_t *out)
{
	const uint8x16_t nib = vdupq_n_u8(0x0F);
	const uint8x16_t tab4 = vld1q_u8(dna4_code_4x);
	const uint8x16_t tab5 = vld1q_u8(dna4_code_5x);
	const int8x16_t shift = vld1q_s8(dna4_pack_shift);
	size_t		i;
	int64_t		r;

	for (i = 0; i + 16 <= n; i += 16)
	{
		uint8x16_t	v = vld1q_u8((const uint8_t *) in + i);
		uint8x16_t	up = vandq_u8(v, vdupq_n_u8(0xDF));
		uint8x16_t	lo = vandq_u8(up, nib);
		uint8x16_t	hi = vshrq_n_u8(up, 4);
		uint8x16_t	code = vorrq_u8(vandq_u8(vceqq_u8(hi, vdupq_n_u8(4)), vqtbl1q_u8(tab4, lo)),
									vandq_u8(vceqq_u8(hi, vdupq_n_u8(5)), vqtbl1q_u8(tab5, lo)));
		uint8x16_t	p;

		if (vminvq_u8(code) == 0)
			break;
		p = vshlq_u8(code, shift);
		p = vpaddq_u8(p, p);
		vst1_u8(out + i / 2, vget_low_u8(p));
	}
	r = CodecDna4EncodeScalar(in + i, n - i, out + i / 2);
	return r < 0 ? -1 : (int64_t) i + r;
}

/* 4 bytes of dna2 to 16 letters. */
static void
Dna2DecodeNeon(const uint8_t *in, size_t nbases, char *out)
{
	const uint8x16_t spread = vld1q_u8(dna2_spread);
	const uint8x16_t mask = vld1q_u8(dna2_base_mask);
	const int8x16_t shift = vld1q_s8(dna2_unpack_shift);
	const uint8x16_t letters = vld1q_u8(dna2_letter);
	size_t		i;

	for (i = 0; i + 16 <= nbases; i += 16)
	{
		uint32_t	word;
		uint8x16_t	x;

		memcpy(&word, in + i / 4, 4);
		x = vqtbl1q_u8(vreinterpretq_u8_u32(vdupq_n_u32(word)), spread);
		x = vshlq_u8(vandq_u8(x, mask), shift);
		vst1q_u8((uint8_t *) out + i, vqtbl1q_u8(letters, x));
	}
	CodecDna2DecodeScalar(in + i / 4, nbases - i, out + i);
}

/* 8 bytes of dna4 to 16 letters. */
static void
Dna4DecodeNeon(const uint8_t *in, size_t nbases, char *out)
{
	const uint8x16_t letters = vld1q_u8((const uint8_t *) CodecDna4Letter);
	size_t		i;

	for (i = 0; i + 16 <= nbases; i += 16)
	{
		uint8x8_t	b = vld1_u8(in + i / 2);
		uint8x8x2_t z = vzip_u8(vshr_n_u8(b, 4), vand_u8(b, vdup_n_u8(0x0F)));

		vst1q_u8((uint8_t *) out + i, vqtbl1q_u8(letters, vcombine_u8(z.val[0], z.val[1])));
	}
	CodecDna4DecodeScalar(in + i / 2, nbases - i, out + i);
}

const CodecKernels CodecNeon = {
	"NEON",
	Dna2EncodeNeon,
	Dna4EncodeNeon,
	Dna2DecodeNeon,
	Dna4DecodeNeon,
};

#endif							/* HAVE_NEON_TARGET && __aarch64__ */
