/*
 * codec.h
 *		Encoding of nucleotide text into the packed dna2/dna4 formats and back.
 *
 * The kernels here are plain C with no PostgreSQL dependency, so that they can
 * be tested and fuzzed on their own.  Every instruction-set variant must give
 * results bit-identical to the scalar reference kernel.
 *
 * Packed formats (first base in the most significant bits of a byte, unused
 * trailing bits zero):
 *	dna2: 2 bits a base, A=00 C=01 G=10 T=11, four bases a byte
 *	dna4: 4 bits a base, one bit per base it may be (A=1 C=2 G=4 T=8, M=AC ...
 *		  N=ACGT), two bases a byte; a nibble of 0 never stands for a base
 */
#ifndef KMERSEARCH_CODEC_H
#define KMERSEARCH_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* A kernel set: one per instruction set. */
typedef struct CodecKernels
{
	const char *name;

	/*
	 * Encode n characters; returns the 0-based offset of the first character
	 * that is not in the alphabet, or -1 when all are valid.  out must have
	 * room for the packed bytes; its contents are unspecified on failure.
	 */
	int64_t		(*dna2_encode) (const char *in, size_t n, uint8_t *out);
	int64_t		(*dna4_encode) (const char *in, size_t n, uint8_t *out);

	/* Decode nbases bases to upper-case letters (no terminator written). */
	void		(*dna2_decode) (const uint8_t *in, size_t nbases, char *out);
	void		(*dna4_decode) (const uint8_t *in, size_t nbases, char *out);
} CodecKernels;

/* Bytes needed for n bases. */
#define CODEC_DNA2_BYTES(n) (((n) + 3) / 4)
#define CODEC_DNA4_BYTES(n) (((n) + 1) / 2)

extern const CodecKernels CodecScalar;
#ifdef HAVE_AVX2_TARGET
extern const CodecKernels CodecAvx2;
#endif
#ifdef HAVE_AVX512BW_TARGET
extern const CodecKernels CodecAvx512;
#endif
#ifdef HAVE_NEON_TARGET
extern const CodecKernels CodecNeon;
#endif

/* Scalar tables shared with the vector kernels' tail loops. */
extern const int8_t CodecDna2Code[256];		/* -1: not in the alphabet */
extern const uint8_t CodecDna4Code[256];	/* 0: not in the alphabet */
extern const char CodecDna4Letter[16];		/* nibble to letter */

/* Scalar entry points, used by the vector kernels for their tails. */
extern int64_t CodecDna2EncodeScalar(const char *in, size_t n, uint8_t *out);
extern int64_t CodecDna4EncodeScalar(const char *in, size_t n, uint8_t *out);
extern void CodecDna2DecodeScalar(const uint8_t *in, size_t nbases, char *out);
extern void CodecDna4DecodeScalar(const uint8_t *in, size_t nbases, char *out);

/* dna2 <-> dna4 conversion (scalar; not a hot path) */
extern void CodecDna2ToDna4(const uint8_t *in, size_t nbases, uint8_t *out);
extern int64_t CodecDna4ToDna2(const uint8_t *in, size_t nbases, uint8_t *out);

#endif							/* KMERSEARCH_CODEC_H */
