/*
 * kmer.h
 *		k-mers of packed dna2/dna4 sequences, counted per distinct k-mer.
 *
 * A k-mer is held as its 2-bit code in a uint64 (first base most
 * significant), k up to 32.  For dna2 every window of k bases is one k-mer.
 * For dna4 a window of only A/C/G/T is one k-mer; a window with degenerate
 * codes stands for the product of its codes' base counts k-mers, all taken
 * when that product is at most KMER_MAX_EXPANSION, none above.
 *
 * Keys are (k-mer, occurrence) pairs; since the j-th occurrence of x gives
 * key (x, j) for j up to 2^occur_bitlen, the keys of a sequence follow from
 * how often each distinct k-mer occurs, and two sequences share
 * sum over x of min(count1(x), count2(x), 2^occur_bitlen) keys.
 */
#ifndef KMERSEARCH_KMER_H
#define KMERSEARCH_KMER_H

#include "postgres.h"

#include "miscadmin.h"

#include "dna.h"

#define KMER_SIZE_MIN			4
#define KMER_SIZE_MAX			32
#define KMER_SIZE_DEFAULT		16
#define OCCUR_BITLEN_MIN		0
#define OCCUR_BITLEN_MAX		16
#define OCCUR_BITLEN_DEFAULT	8

/* windows with more k-mers than this give none */
#define KMER_MAX_EXPANSION		10

/* A distinct k-mer and how many times it occurs. */
typedef struct KmerCount
{
	uint64		kmer;
	uint32		count;
} KmerCount;

/*
 * Callback for each k-mer, in window order, expansions included; end is the
 * position (0-based) of the window's last base, the same for all the
 * expansions of a window.
 */
typedef void (*KmerSink) (uint64 kmer, size_t end, void *arg);

extern uint64 *KmerCollect(const uint8 *data, size_t nbases, DnaKind kind, int k,
						   size_t *nkmers);
extern uint64 *KmerCollectWindows(const uint8 *data, size_t nbases, DnaKind kind, int k,
								  size_t *nkmers, size_t **ends);
extern KmerCount *KmerCountDistinct(uint64 *kmers, size_t n, size_t *ndistinct);
extern size_t KmerUnkeyedWindows(const uint8 *data, size_t nbases, DnaKind kind, int k);

/* nibble of a single base to its 2-bit code; -1 for degenerate codes */
extern const int8 KmerDna4Code[16];

/*
 * KmerForEach: call sink(kmer, end, arg) for every k-mer of a packed sequence, in
 * window order, expansions included.  Always inlined, so that a constant
 * sink is inlined into the caller's loop.
 */
static pg_attribute_always_inline void
KmerForEach(const uint8 *data, size_t nbases, DnaKind kind, int k,
			KmerSink sink, void *arg)
{
	uint64		mask = k == 32 ? ~UINT64CONST(0) : (UINT64CONST(1) << (2 * k)) - 1;
	uint64		x = 0;
	size_t		i;

	if (nbases < (size_t) k)
		return;

	if (kind == DNA_KIND_2)
	{
		for (i = 0; i < nbases; i++)
		{
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			x = ((x << 2) | ((data[i >> 2] >> (6 - 2 * (i & 3))) & 3)) & mask;
			if (i + 1 >= (size_t) k)
				sink(x, i, arg);
		}
		return;
	}

	/*
	 * dna4: degenerate bases enter the rolling code as 0 and are remembered
	 * (position and nibble) in a ring while they are in the window; a window
	 * with them is expanded by putting each possible base in their place.
	 * More than three of them always make more than KMER_MAX_EXPANSION.
	 */
	{
		size_t		degpos[KMER_SIZE_MAX];
		uint8		degnib[KMER_SIZE_MAX];
		int			head = 0,
					ndeg = 0;

		for (i = 0; i < nbases; i++)
		{
			uint8		nib = (data[i >> 1] >> ((i & 1) ? 0 : 4)) & 0x0F;
			int			c = KmerDna4Code[nib];

			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			x = ((x << 2) | (uint64) (c < 0 ? 0 : c)) & mask;
			/* the base at i - k leaves the window, then base i enters */
			if (ndeg > 0 && degpos[head] + (size_t) k <= i)
			{
				head = (head + 1) % KMER_SIZE_MAX;
				ndeg--;
			}
			if (c < 0)
			{
				int			tail = (head + ndeg) % KMER_SIZE_MAX;

				degpos[tail] = i;
				degnib[tail] = nib;
				ndeg++;
			}
			if (i + 1 < (size_t) k)
				continue;
			if (ndeg == 0)
				sink(x, i, arg);
			else if (ndeg <= 3)
			{
				int			nopt[3];
				uint8		opt[3][4];
				int			shift[3];
				int			product = 1;
				int			t;
				int			idx[3] = {0, 0, 0};

				for (t = 0; t < ndeg; t++)
				{
					int			slot = (head + t) % KMER_SIZE_MAX;
					int			b;

					nopt[t] = 0;
					for (b = 0; b < 4; b++)
						if (degnib[slot] & (1 << b))
							opt[t][nopt[t]++] = (uint8) b;
					shift[t] = 2 * (int) (i - degpos[slot]);
					product *= nopt[t];
				}
				if (product > KMER_MAX_EXPANSION)
					continue;
				/* odometer over the choices, first position slowest */
				for (;;)
				{
					uint64		v = x;

					for (t = 0; t < ndeg; t++)
						v |= (uint64) opt[t][idx[t]] << shift[t];
					sink(v, i, arg);
					for (t = ndeg - 1; t >= 0; t--)
					{
						if (++idx[t] < nopt[t])
							break;
						idx[t] = 0;
					}
					if (t < 0)
						break;
				}
			}
		}
	}
}

/* A 64-bit mix of a k-mer (the splitmix64 finalizer; a bijection). */
static inline uint64
KmerHash64(uint64 x)
{
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* The number of keys a k-mer occurring count times gives. */
static inline uint32
KmerKeysFor(uint32 count, int occur_bitlen)
{
	uint32		cap = (uint32) 1 << occur_bitlen;

	return count < cap ? count : cap;
}

#endif							/* KMERSEARCH_KMER_H */
