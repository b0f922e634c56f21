/*
 * codec_scalar.c
 *		Scalar reference kernels for the dna2/dna4 codecs.
 *
 * These define the formats: every vector kernel is tested against them, and
 * they handle the vector kernels' tails.  Plain C, no PostgreSQL headers.
 */
#include <string.h>

#include "codec.h"

/* Letter to 2-bit code; U is read as T; -1 for anything else. */
const int8_t CodecDna2Code[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1,  0, -1,  1, -1, -1, -1,  2, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1,  3,  3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1,  0, -1,  1, -1, -1, -1,  2, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1,  3,  3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* Letter to 4-bit code (one bit per possible base); 0 for anything else. */
const uint8_t CodecDna4Code[256] = {
	['A'] = 1, ['C'] = 2, ['G'] = 4, ['T'] = 8, ['U'] = 8,
	['M'] = 3, ['R'] = 5, ['W'] = 9, ['S'] = 6, ['Y'] = 10, ['K'] = 12,
	['V'] = 7, ['H'] = 11, ['D'] = 13, ['B'] = 14, ['N'] = 15,
	['a'] = 1, ['c'] = 2, ['g'] = 4, ['t'] = 8, ['u'] = 8,
	['m'] = 3, ['r'] = 5, ['w'] = 9, ['s'] = 6, ['y'] = 10, ['k'] = 12,
	['v'] = 7, ['h'] = 11, ['d'] = 13, ['b'] = 14, ['n'] = 15,
};

/* 4-bit code to letter; code 0 only ever appears as padding. */
const char	CodecDna4Letter[16] = {
	'?', 'A', 'C', 'M', 'G', 'R', 'S', 'V', 'T', 'W', 'Y', 'H', 'K', 'D', 'B', 'N'
};

static const char dna2_letter[4] = {'A', 'C', 'G', 'T'};

/*
 * Encode to dna2.  Works a byte (four bases) at a time; the validity of a
 * whole byte's letters is checked with one OR of their table entries.
 */
int64_t
CodecDna2EncodeScalar(const char *in, size_t n, uint8_t *out)
{
	const uint8_t *s = (const uint8_t *) in;
	size_t		full = n / 4;
	size_t		i;

	for (i = 0; i < full; i++)
	{
		int8_t		c0 = CodecDna2Code[s[4 * i]];
		int8_t		c1 = CodecDna2Code[s[4 * i + 1]];
		int8_t		c2 = CodecDna2Code[s[4 * i + 2]];
		int8_t		c3 = CodecDna2Code[s[4 * i + 3]];

		if ((c0 | c1 | c2 | c3) < 0)
		{
			size_t		j;

			for (j = 4 * i;; j++)
				if (CodecDna2Code[s[j]] < 0)
					return (int64_t) j;
		}
		out[i] = (uint8_t) ((c0 << 6) | (c1 << 4) | (c2 << 2) | c3);
	}
	if (n % 4 != 0)
	{
		uint8_t		b = 0;
		size_t		j;

		for (j = 4 * full; j < n; j++)
		{
			int8_t		c = CodecDna2Code[s[j]];

			if (c < 0)
				return (int64_t) j;
			b |= (uint8_t) (c << (6 - 2 * (j % 4)));
		}
		out[full] = b;
	}
	return -1;
}

/* Encode to dna4, a byte (two bases) at a time. */
int64_t
CodecDna4EncodeScalar(const char *in, size_t n, uint8_t *out)
{
	const uint8_t *s = (const uint8_t *) in;
	size_t		full = n / 2;
	size_t		i;

	for (i = 0; i < full; i++)
	{
		uint8_t		hi = CodecDna4Code[s[2 * i]];
		uint8_t		lo = CodecDna4Code[s[2 * i + 1]];

		if (hi == 0)
			return (int64_t) (2 * i);
		if (lo == 0)
			return (int64_t) (2 * i + 1);
		out[i] = (uint8_t) ((hi << 4) | lo);
	}
	if (n % 2 != 0)
	{
		uint8_t		hi = CodecDna4Code[s[n - 1]];

		if (hi == 0)
			return (int64_t) (n - 1);
		out[full] = (uint8_t) (hi << 4);
	}
	return -1;
}

/* Decode dna2 a byte (four bases) at a time, then the partial last byte. */
void
CodecDna2DecodeScalar(const uint8_t *in, size_t nbases, char *out)
{
	size_t		full = nbases / 4;
	size_t		i;

	for (i = 0; i < full; i++)
	{
		uint8_t		b = in[i];

		out[4 * i] = dna2_letter[b >> 6];
		out[4 * i + 1] = dna2_letter[(b >> 4) & 3];
		out[4 * i + 2] = dna2_letter[(b >> 2) & 3];
		out[4 * i + 3] = dna2_letter[b & 3];
	}
	for (i = 4 * full; i < nbases; i++)
		out[i] = dna2_letter[(in[full] >> (6 - 2 * (i % 4))) & 3];
}

/* Decode dna4 a byte (two bases) at a time. */
void
CodecDna4DecodeScalar(const uint8_t *in, size_t nbases, char *out)
{
	size_t		full = nbases / 2;
	size_t		i;

	for (i = 0; i < full; i++)
	{
		out[2 * i] = CodecDna4Letter[in[i] >> 4];
		out[2 * i + 1] = CodecDna4Letter[in[i] & 15];
	}
	if (nbases % 2 != 0)
		out[nbases - 1] = CodecDna4Letter[in[full] >> 4];
}

/* dna2 to dna4: each 2-bit code c becomes the nibble 1 << c. */
void
CodecDna2ToDna4(const uint8_t *in, size_t nbases, uint8_t *out)
{
	size_t		i;

	memset(out, 0, CODEC_DNA4_BYTES(nbases));
	for (i = 0; i < nbases; i++)
	{
		unsigned	c = (in[i / 4] >> (6 - 2 * (i % 4))) & 3;

		out[i / 2] |= (uint8_t) ((1u << c) << (4 - 4 * (i % 2)));
	}
}

/*
 * dna4 to dna2; returns the 0-based position of the first degenerate code,
 * or -1 when every base is one of A, C, G, T.
 */
int64_t
CodecDna4ToDna2(const uint8_t *in, size_t nbases, uint8_t *out)
{
	/* nibble to 2-bit code, -1 for degenerate codes */
	static const int8_t code[16] = {-1, 0, 1, -1, 2, -1, -1, -1, 3, -1, -1, -1, -1, -1, -1, -1};
	size_t		i;

	memset(out, 0, CODEC_DNA2_BYTES(nbases));
	for (i = 0; i < nbases; i++)
	{
		int8_t		c = code[(in[i / 2] >> (4 - 4 * (i % 2))) & 15];

		if (c < 0)
			return (int64_t) i;
		out[i / 4] |= (uint8_t) (c << (6 - 2 * (i % 4)));
	}
	return -1;
}

const CodecKernels CodecScalar = {
	"None",
	CodecDna2EncodeScalar,
	CodecDna4EncodeScalar,
	CodecDna2DecodeScalar,
	CodecDna4DecodeScalar,
};
