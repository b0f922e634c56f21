/*
 * codec_test.c
 *		Standalone cross-check of the dna2/dna4 codec kernels (src/codec*.c).
 *
 * The scalar kernels define the formats.  Every vector kernel that is
 * compiled in (HAVE_AVX2_TARGET, HAVE_AVX512BW_TARGET, HAVE_NEON_TARGET) and
 * that the CPU can run must give bit-identical results: the same packed
 * bytes, the same letters, and the same first-invalid position.  The scalar
 * kernels themselves are also checked against naive table-driven encoders and
 * against the letter set the formats are defined by.
 *
 * Buffers are sized exactly (malloc of exactly n bytes, placed against a
 * PROT_NONE guard page, or surrounded by canary bytes), so an over-read or
 * over-write shows up natively, under qemu, under valgrind and under ASan.
 * A fault inside a kernel is caught and reported as a failure of that check.
 *
 * Build (x86-64; see test/codec_cross_check.sh):
 *	gcc -O2 -Wall -Werror -DHAVE_AVX2_TARGET -DHAVE_AVX512BW_TARGET -I src \
 *		src/codec_scalar.c src/codec_avx2.c src/codec_avx512.c \
 *		test/codec_test.c -o codec_test
 * Build (aarch64):
 *	aarch64-linux-gnu-gcc -O2 -static -Wall -Werror -DHAVE_NEON_TARGET -I src \
 *		src/codec_scalar.c src/codec_neon.c test/codec_test.c -o codec_test
 *
 * Output: failures (the first few per kernel), one summary line per kernel,
 * then "N passed, M failed" counting check groups.  Exit status 1 on any
 * failure.  Option -q (or CODEC_TEST_QUICK=1 in the environment) trims the
 * long-length invalid-position sampling, for slow emulators.
 */
#include <ctype.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "codec.h"

#if defined(HAVE_NEON_TARGET) && defined(__aarch64__)
#define TEST_NEON 1
#endif

/* ------------------------------------------------------------------------
 * Kernels under test
 * ------------------------------------------------------------------------ */

typedef struct KState
{
	const CodecKernels *k;
	long		pass;
	long		fail;
	long		nmsg;
} KState;

#define MAX_KERNELS 4
static KState kernels[MAX_KERNELS];
static int	nkernels;

#define MAX_MSG_PER_KERNEL 25

/* ------------------------------------------------------------------------
 * Check groups
 * ------------------------------------------------------------------------ */

static KState *cur;
static int	cur_failed;
static char cur_name[160];

static void group_begin(KState *ks, const char *fmt,...) __attribute__((format(printf, 2, 3)));
static void fail(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static void
group_begin(KState *ks, const char *fmt,...)
{
	va_list		ap;

	cur = ks;
	cur_failed = 0;
	va_start(ap, fmt);
	vsnprintf(cur_name, sizeof(cur_name), fmt, ap);
	va_end(ap);
}

static void
group_end(void)
{
	if (cur_failed)
		cur->fail++;
	else
		cur->pass++;
}

static void
fail(const char *fmt,...)
{
	va_list		ap;

	cur_failed = 1;
	if (cur->nmsg++ >= MAX_MSG_PER_KERNEL)
	{
		if (cur->nmsg == MAX_MSG_PER_KERNEL + 1)
			printf("FAIL [%s] (further failures of this kernel not shown)\n",
				   cur->k->name);
		return;
	}
	printf("FAIL [%s] ", cur->k->name);
	if (cur_name[0] != '\0')
		printf("%s: ", cur_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* ------------------------------------------------------------------------
 * PRNG (xorshift64*), fixed seeds
 * ------------------------------------------------------------------------ */

static uint64_t rng_state;

static void
rng_seed(uint64_t s)
{
	rng_state = s * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
	if (rng_state == 0)
		rng_state = 1;
}

static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint32_t
rng_below(uint32_t n)
{
	return (uint32_t) ((rng_next() >> 32) % n);
}

/* ------------------------------------------------------------------------
 * Guarded memory
 * ------------------------------------------------------------------------ */

/* A region with a PROT_NONE page on each side. */
typedef struct Arena
{
	uint8_t    *base;
	size_t		cap;
} Arena;

static size_t pagesz;

static Arena
arena_new(size_t cap)
{
	Arena		a;
	size_t		len = (cap + pagesz - 1) / pagesz * pagesz;
	uint8_t    *p;

	if (len == 0)
		len = pagesz;
	p = mmap(NULL, len + 2 * pagesz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
	{
		perror("mmap");
		exit(2);
	}
	if (mprotect(p, pagesz, PROT_NONE) != 0 ||
		mprotect(p + pagesz + len, pagesz, PROT_NONE) != 0)
	{
		perror("mprotect");
		exit(2);
	}
	a.base = p + pagesz;
	a.cap = len;
	return a;
}

/* n bytes ending exactly at the trailing guard page */
static uint8_t *
arena_end(Arena *a, size_t n)
{
	return a->base + a->cap - n;
}

/* n bytes starting exactly after the leading guard page */
static uint8_t *
arena_start(Arena *a)
{
	return a->base;
}

static void *
xmalloc(size_t n)
{
	void	   *p = malloc(n);

	if (p == NULL && n != 0)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

#define CANARY 64

static uint8_t
canary_byte(size_t i, int flip)
{
	return (uint8_t) ((0x5A ^ (i * 37)) ^ (flip ? 0xFF : 0));
}

/* ------------------------------------------------------------------------
 * Calls protected against faults (guard pages)
 * ------------------------------------------------------------------------ */

static sigjmp_buf fault_jb;
static volatile sig_atomic_t fault_armed;
static volatile sig_atomic_t fault_sig;

static void
fault_handler(int sig)
{
	if (fault_armed)
	{
		fault_armed = 0;
		fault_sig = sig;
		siglongjmp(fault_jb, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

enum Op
{
	ENC2, ENC4, DEC2, DEC4
};
static const char *const op_name[] = {"dna2 encode", "dna4 encode", "dna2 decode", "dna4 decode"};

static size_t
packed_bytes(int dna4, size_t n)
{
	return dna4 ? CODEC_DNA4_BYTES(n) : CODEC_DNA2_BYTES(n);
}

static size_t
op_insize(enum Op op, size_t n)
{
	return op == ENC2 || op == ENC4 ? n : packed_bytes(op == DEC4, n);
}

static size_t
op_outsize(enum Op op, size_t n)
{
	return op == ENC2 || op == ENC4 ? packed_bytes(op == ENC4, n) : n;
}

/* Returns 0, or the signal number when the kernel faulted. */
static int
call_op(const CodecKernels *k, enum Op op, const void *in, size_t n,
		void *out, int64_t *ret)
{
	fault_sig = 0;
	if (sigsetjmp(fault_jb, 1) != 0)
		return fault_sig ? (int) fault_sig : -1;
	fault_armed = 1;
	switch (op)
	{
		case ENC2:
			*ret = k->dna2_encode((const char *) in, n, (uint8_t *) out);
			break;
		case ENC4:
			*ret = k->dna4_encode((const char *) in, n, (uint8_t *) out);
			break;
		case DEC2:
			k->dna2_decode((const uint8_t *) in, n, (char *) out);
			*ret = -1;
			break;
		case DEC4:
			k->dna4_decode((const uint8_t *) in, n, (char *) out);
			*ret = -1;
			break;
	}
	fault_armed = 0;
	return 0;
}

/* ------------------------------------------------------------------------
 * Independent references (from the tables / the format definition)
 * ------------------------------------------------------------------------ */

static int64_t
naive_encode(int dna4, const uint8_t *s, size_t n, uint8_t *out)
{
	size_t		j;

	memset(out, 0, packed_bytes(dna4, n));
	for (j = 0; j < n; j++)
	{
		if (dna4)
		{
			uint8_t		c = CodecDna4Code[s[j]];

			if (c == 0)
				return (int64_t) j;
			out[j / 2] |= (uint8_t) (c << (j % 2 ? 0 : 4));
		}
		else
		{
			int			c = CodecDna2Code[s[j]];

			if (c < 0)
				return (int64_t) j;
			out[j / 4] |= (uint8_t) (c << (6 - 2 * (j % 4)));
		}
	}
	return -1;
}

/* Normal form of a valid letter: upper case, U read as T. */
static char
norm_letter(uint8_t c)
{
	int			u = toupper(c);

	return (char) (u == 'U' ? 'T' : u);
}

/* ------------------------------------------------------------------------
 * Shared state
 * ------------------------------------------------------------------------ */

static Arena arena_in,
			arena_out;
static size_t max_len;
static int	quick;

/* scratch: reference output, kernel output copy */
static uint8_t *ref_out,
		   *got_out,
		   *tmp_a;

/* Guarded placements first: an overrun of the malloc-exact buffers could
 * corrupt the heap, so that variant is skipped once one has been seen. */
enum Variant
{
	V_PAGE_END, V_PAGE_START, V_CANARY, V_CANARY_FLIP, V_MALLOC, NVARIANTS
};
static const char *const variant_name[] = {"page-end", "page-start", "canary",
"canary-flipped", "malloc-exact"};

/*
 * Run one op of one kernel on the given input with the given buffer placement;
 * copies the output to got (outsize bytes).  Reports faults and canary damage.
 * Returns 0 when the call faulted (got/ret invalid), -1 when it wrote outside
 * its output, else 1.
 */
static int
run_variant(const CodecKernels *k, enum Op op, int variant,
			const uint8_t *src, size_t n, uint8_t *got, int64_t *ret)
{
	size_t		insize = op_insize(op, n);
	size_t		outsize = op_outsize(op, n);
	uint8_t    *in,
			   *inbuf = NULL,
			   *out,
			   *outbuf = NULL;
	uint8_t		junk = (uint8_t) (0xC3 ^ (variant * 0x11));
	int			sig,
				ok = 1;
	size_t		i;

	switch (variant)
	{
		case V_PAGE_END:
			in = arena_end(&arena_in, insize);
			out = arena_end(&arena_out, outsize);
			break;
		case V_PAGE_START:
			in = arena_start(&arena_in);
			out = arena_start(&arena_out);
			break;
		case V_CANARY:
		case V_CANARY_FLIP:
			in = inbuf = xmalloc(insize);
			outbuf = xmalloc(outsize + 2 * CANARY);
			for (i = 0; i < CANARY; i++)
			{
				outbuf[i] = canary_byte(i, variant == V_CANARY_FLIP);
				outbuf[CANARY + outsize + i] = canary_byte(i + 1000, variant == V_CANARY_FLIP);
			}
			out = outbuf + CANARY;
			break;
		default:
			in = inbuf = xmalloc(insize);
			out = outbuf = xmalloc(outsize);
			break;
	}
	if (insize)
		memcpy(in, src, insize);
	if (outsize)
		memset(out, junk, outsize);

	sig = call_op(k, op, in, n, out, ret);
	if (sig != 0)
	{
		fail("%s n=%zu (%s buffers): kernel faulted (signal %d): out-of-bounds access",
			 op_name[op], n, variant_name[variant], sig);
		ok = 0;
	}
	else
	{
		if (outsize)
			memcpy(got, out, outsize);
		if (insize && memcmp(in, src, insize) != 0)
			fail("%s n=%zu (%s buffers): kernel modified its input",
				 op_name[op], n, variant_name[variant]);
		if (variant == V_CANARY || variant == V_CANARY_FLIP)
		{
			for (i = 0; i < CANARY; i++)
			{
				if (outbuf[i] != canary_byte(i, variant == V_CANARY_FLIP))
				{
					fail("%s n=%zu: wrote %zu bytes before the output",
						 op_name[op], n, CANARY - i);
					ok = -1;
					break;
				}
			}
			for (i = 0; i < CANARY; i++)
			{
				if (outbuf[CANARY + outsize + i] != canary_byte(i + 1000, variant == V_CANARY_FLIP))
				{
					fail("%s n=%zu: wrote past the output (byte %zu of %zu, i.e. +%zu)",
						 op_name[op], n, outsize + i, outsize, i);
					ok = -1;
					break;
				}
			}
		}
	}
	free(inbuf);
	free(outbuf);
	return ok;
}

static void
report_diff(const char *what, const uint8_t *got, const uint8_t *want, size_t len,
			int letters)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (got[i] != want[i])
			break;
	if (letters)
		fail("%s: output differs from scalar at index %zu: got 0x%02X '%c', want 0x%02X '%c'",
			 what, i, got[i], isprint(got[i]) ? got[i] : '.', want[i],
			 isprint(want[i]) ? want[i] : '.');
	else
		fail("%s: output differs from scalar at byte %zu (of %zu): got 0x%02X, want 0x%02X",
			 what, i, len, got[i], want[i]);
}

/*
 * Run op on every kernel in every buffer variant and compare with the scalar
 * kernel (which runs first, in a malloc-exact buffer, to make the reference).
 * One check group per kernel.
 */
static void
check_op_all(enum Op op, const uint8_t *src, size_t n, const char *label)
{
	size_t		outsize = op_outsize(op, n);
	int64_t		ref_ret,
				ret;
	int			ki,
				v;
	char		what[200];

	if (run_variant(&CodecScalar, op, V_PAGE_END, src, n, ref_out, &ref_ret) != 1)
	{
		/* the scalar kernel faulted: already reported?  cur is unset here */
		fprintf(stderr, "scalar %s faulted on n=%zu\n", op_name[op], n);
		exit(2);
	}

	for (ki = 0; ki < nkernels; ki++)
	{
		int			oob = 0;

		group_begin(&kernels[ki], "%s n=%zu %s", op_name[op], n, label);
		for (v = 0; v < NVARIANTS; v++)
		{
			int			rv;

			if (v == V_MALLOC && oob)
				continue;
			rv = run_variant(kernels[ki].k, op, v, src, n, got_out, &ret);
			if (rv != 1)
			{
				oob = 1;
				if (rv == 0)
					continue;
			}
			snprintf(what, sizeof(what), "%s n=%zu %s (%s buffers)",
					 op_name[op], n, label, variant_name[v]);
			if (ret != ref_ret)
			{
				fail("%s: returned %lld, scalar returned %lld", what,
					 (long long) ret, (long long) ref_ret);
				continue;
			}
			if (ref_ret < 0 && memcmp(got_out, ref_out, outsize) != 0)
				report_diff(what, got_out, ref_out, outsize, op == DEC2 || op == DEC4);
		}
		group_end();
	}
}

/* ------------------------------------------------------------------------
 * Input generators
 * ------------------------------------------------------------------------ */

static const char dna2_alpha_upper[] = "ACGT";
static const char dna2_alpha_mixed[] = "ACGTUacgtu";
static const char dna2_alpha_lower[] = "acgtu";
static const char dna4_alpha_upper[] = "ACGTUMRWSYKVHDBN";
static const char dna4_alpha_mixed[] = "ACGTUMRWSYKVHDBNacgtumrwsykvhdbn";
static const char dna4_alpha_lower[] = "acgtumrwsykvhdbn";

#define NMODES 4

/* Valid text of length n in one of several styles. */
static void
gen_text(int dna4, int mode, uint8_t *s, size_t n)
{
	const char *alpha;
	size_t		na,
				i;

	switch (mode)
	{
		case 0:
			alpha = dna4 ? dna4_alpha_upper : dna2_alpha_upper;
			break;
		case 2:
			alpha = dna4 ? dna4_alpha_lower : dna2_alpha_lower;
			break;
		default:
			alpha = dna4 ? dna4_alpha_mixed : dna2_alpha_mixed;
			break;
	}
	na = strlen(alpha);
	if (mode == 3)
	{
		/* runs of one letter, each in random case */
		char		c = alpha[rng_below((uint32_t) na)];

		for (i = 0; i < n; i++)
		{
			if (rng_below(8) == 0)
				c = alpha[rng_below((uint32_t) na)];
			s[i] = (uint8_t) (rng_below(2) ? toupper(c) : tolower(c));
		}
		return;
	}
	for (i = 0; i < n; i++)
		s[i] = (uint8_t) alpha[rng_below((uint32_t) na)];
}

/* Valid packed data for n bases: padding bits zero, dna4 nibbles 1..15. */
static void
gen_packed(int dna4, uint8_t *p, size_t n)
{
	size_t		nb = packed_bytes(dna4, n),
				i;

	for (i = 0; i < nb; i++)
	{
		if (dna4)
			p[i] = (uint8_t) (((1 + rng_below(15)) << 4) | (1 + rng_below(15)));
		else
			p[i] = (uint8_t) rng_next();
	}
	if (dna4 && n % 2)
		p[nb - 1] &= 0xF0;
	if (!dna4 && n % 4)
		p[nb - 1] &= (uint8_t) (0xFF << (8 - 2 * (n % 4)));
}

/* ------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------ */

static void
test_valid_roundtrip(int dna4, const uint8_t *s, size_t n, const char *label)
{
	int			ki;
	size_t		i;
	int64_t		r;

	for (ki = 0; ki < nkernels; ki++)
	{
		const CodecKernels *k = kernels[ki].k;

		/* both outputs against a guard page: an overrun faults, is caught */
		uint8_t    *enc = arena_end(&arena_in, packed_bytes(dna4, n));
		char	   *dec = (char *) arena_end(&arena_out, n);

		group_begin(&kernels[ki], "%s round trip n=%zu %s", dna4 ? "dna4" : "dna2", n, label);
		if (call_op(k, dna4 ? ENC4 : ENC2, s, n, enc, &r) != 0 ||
			call_op(k, dna4 ? DEC4 : DEC2, enc, n, dec, &r) != 0)
			fail("faulted");
		else
		{
			/* the encoding must also match the naive table-driven one */
			if (naive_encode(dna4, s, n, tmp_a) != -1)
				fail("test bug: generated text invalid");
			else if (memcmp(enc, tmp_a, packed_bytes(dna4, n)) != 0)
				report_diff("encode vs naive table encoder", enc, tmp_a,
							packed_bytes(dna4, n), 0);
			for (i = 0; i < n; i++)
			{
				if (dec[i] != norm_letter(s[i]))
				{
					fail("decode(encode(s))[%zu] = '%c', want '%c' (input '%c')",
						 i, dec[i], norm_letter(s[i]), s[i]);
					break;
				}
			}
		}
		group_end();
	}
}

static void
test_valid_length(size_t n, int nseeds, int modes_mask)
{
	int			dna4,
				seed,
				mode;
	char		label[64];
	uint8_t    *s = xmalloc(n ? n : 1);
	uint8_t    *p = xmalloc(n ? n : 1);

	for (dna4 = 0; dna4 <= 1; dna4++)
	{
		for (seed = 0; seed < nseeds; seed++)
		{
			for (mode = 0; mode < NMODES; mode++)
			{
				if (!(modes_mask & (1 << mode)))
					continue;
				rng_seed((uint64_t) n * 1000003u + (uint64_t) seed * 101 + (uint64_t) mode * 7 + (uint64_t) dna4);
				gen_text(dna4, mode, s, n);
				snprintf(label, sizeof(label), "seed=%d mode=%d", seed, mode);
				check_op_all(dna4 ? ENC4 : ENC2, s, n, label);
				test_valid_roundtrip(dna4, s, n, label);
			}
			rng_seed((uint64_t) n * 7919u + (uint64_t) seed * 13 + (uint64_t) dna4 + 99);
			gen_packed(dna4, p, n);
			snprintf(label, sizeof(label), "seed=%d", seed);
			check_op_all(dna4 ? DEC4 : DEC2, p, n, label);
		}
	}
	free(s);
	free(p);
}

/* Bytes that are not in the alphabet, chosen to hit the SIMD classifiers'
 * edge cases: the letters with bit 5 or bit 7 flipped, neighbours of valid
 * letters in the same nibble columns, NUL, DEL, 0xFF ... */
static const uint8_t tricky_bytes[] = {
	'X', 'N', '-', ' ', '\0', 0x80, 0xC1, 0xE1, '@', '`', 'a' - 1, 0x61 | 0x80,
	0xFF, 0x7F, 0x01, 0x03, 0x04, 0x05, 0x07, 0x11, 0x14, 0x21, 0x23, 0x24, 0x25, 0x27,
	'1', '3', '4', '5', '7', 'B', 'D', 'E', 'F', 'H', 'I', 'J', 'K', 'L', 'M', 'O',
	'P', 'Q', 'R', 'S', 'V', 'W', 'Y', 'Z', 'e', 'q', 'z', '[', '{', '~', '.', '*',
	0xC3, 0xC7, 0xD4, 0xD5, 0xE3, 0xE7, 0xF4, 0xF5, 0xCE, 0xEE, 0x0E, 0x2E, 0x4F, 0x5F,
	0x41 ^ 0x10, 0x41 ^ 0x40, 0x41 ^ 0x04, 0x54 ^ 0x40, 0x55 ^ 0x10, 0x47 ^ 0x80, 0x74 ^ 0x80,
	'\n', '\t', 0x9F, 0xA1,
};

static int
is_valid(int dna4, uint8_t c)
{
	return dna4 ? CodecDna4Code[c] != 0 : CodecDna2Code[c] >= 0;
}

static uint8_t bad_bytes[2][sizeof(tricky_bytes)];
static size_t nbad[2];

static void
init_bad_bytes(void)
{
	int			dna4;
	size_t		i;

	for (dna4 = 0; dna4 <= 1; dna4++)
		for (i = 0; i < sizeof(tricky_bytes); i++)
			if (!is_valid(dna4, tricky_bytes[i]))
				bad_bytes[dna4][nbad[dna4]++] = tricky_bytes[i];
}

/*
 * Return-value check of every kernel on the current input (src in two
 * placements: arena end and an exact malloc), with canaries on the output.
 */
static void
check_invalid_once(int dna4, const uint8_t *arena_src, const uint8_t *malloc_src,
				   size_t n, int64_t want, uint8_t *outbuf, int variant,
				   const char *desc)
{
	int			ki;
	size_t		outsize = packed_bytes(dna4, n),
				i;
	const uint8_t *src = variant ? malloc_src : arena_src;

	for (ki = 0; ki < nkernels; ki++)
	{
		int64_t		r = -2;
		int			sig;

		cur = &kernels[ki];
		cur_name[0] = '\0';
		for (i = 0; i < CANARY; i++)
		{
			outbuf[i] = canary_byte(i, 0);
			outbuf[CANARY + outsize + i] = canary_byte(i + 7, 0);
		}
		sig = call_op(kernels[ki].k, dna4 ? ENC4 : ENC2, src, n, outbuf + CANARY, &r);
		if (sig != 0)
		{
			fail("%s: kernel faulted (signal %d)", desc, sig);
			continue;
		}
		if (r != want)
			fail("%s: returned %lld, scalar returns %lld", desc, (long long) r, (long long) want);
		for (i = 0; i < CANARY; i++)
			if (outbuf[i] != canary_byte(i, 0) ||
				outbuf[CANARY + outsize + i] != canary_byte(i + 7, 0))
			{
				fail("%s: wrote outside the output buffer (canary %s +%zu)", desc,
					 outbuf[i] != canary_byte(i, 0) ? "before" : "after", i);
				break;
			}
	}
}

/* Positions to test for length n (all of them for short texts). */
static size_t
invalid_positions(size_t n, size_t *pos)
{
	size_t		np = 0,
				i;
	size_t		edge,
				nrand;

	if (n <= 600)
	{
		for (i = 0; i < n; i++)
			pos[np++] = i;
		return np;
	}
	edge = n > 100000 ? 16 : 150;
	nrand = n > 100000 ? 32 : 150;
	if (quick)
	{
		edge = n > 100000 ? 4 : 40;
		nrand = n > 100000 ? 8 : 24;
	}
	for (i = 0; i < edge; i++)
	{
		pos[np++] = i;
		pos[np++] = n - 1 - i;
	}
	for (i = 0; i < nrand; i++)
	{
		size_t		p = (size_t) (rng_next() % n);

		/* every other one near a 64-byte block boundary */
		if (i % 2 == 0)
		{
			static const size_t off[] = {0, 1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65};

			p = p / 64 * 64 + off[rng_below(12)];
			if (p >= n)
				p = n - 1;
		}
		pos[np++] = p;
	}
	return np;
}

/*
 * Invalid bytes at every position (or a dense sample), alone and in pairs:
 * every kernel must return the scalar kernel's first-invalid position, and
 * must not write outside the output.  One check group per kernel, alphabet
 * and length.
 */
static void
test_invalid_length(size_t n)
{
	static const size_t dq[] = {1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100};
	const size_t ndq = sizeof(dq) / sizeof(dq[0]);
	int			dna4,
				ki;
	size_t		np,
				ip,
				j;
	size_t	   *pos = xmalloc(1000 * sizeof(size_t));
	uint8_t    *ms = xmalloc(n);
	uint8_t    *outbuf,
			   *as;
	long		nmsg_before[MAX_KERNELS];
	char		desc[200];

	if (n == 0)
	{
		free(pos);
		free(ms);
		return;
	}
	for (dna4 = 0; dna4 <= 1; dna4++)
	{
		int64_t		(*scalar_enc) (const char *, size_t, uint8_t *) =
			dna4 ? CodecScalar.dna4_encode : CodecScalar.dna2_encode;
		size_t		nb,
					nq;

		/* how many bad bytes per position, how many second positions */
		if (n <= (quick ? 24 : 64))
			nb = nbad[dna4];
		else if (n <= 600)
			nb = quick ? 1 : 4;
		else
			nb = n > 100000 ? 1 : 2;
		nq = n <= 300 ? ndq : (n > 100000 ? 1 : 3);

		outbuf = xmalloc(packed_bytes(dna4, n) + 2 * CANARY);
		as = arena_end(&arena_in, n);
		rng_seed((uint64_t) n * 31 + (uint64_t) dna4 + 12345);
		gen_text(dna4, 1, ms, n);
		memcpy(as, ms, n);
		np = invalid_positions(n, pos);
		for (ki = 0; ki < nkernels; ki++)
			nmsg_before[ki] = kernels[ki].nmsg;

		/* a single invalid byte */
		for (ip = 0; ip < np; ip++)
		{
			size_t		p = pos[ip],
						b;

			for (b = 0; b < nb; b++)
			{
				uint8_t		bad = bad_bytes[dna4][(nb == nbad[dna4] ? b : b * 17 + p * 5 + n) % nbad[dna4]];
				uint8_t		save = ms[p];
				int64_t		want;

				ms[p] = as[p] = bad;
				snprintf(desc, sizeof(desc), "%s encode n=%zu invalid 0x%02X at %zu",
						 dna4 ? "dna4" : "dna2", n, bad, p);
				want = scalar_enc((const char *) ms, n, tmp_a);
				if (want != (int64_t) p)
				{
					cur = &kernels[0];
					cur_name[0] = '\0';
					fail("%s: scalar returned %lld", desc, (long long) want);
				}
				check_invalid_once(dna4, as, ms, n, (int64_t) p, outbuf, (int) ((p + b) & 1), desc);
				ms[p] = as[p] = save;
			}
		}

		/* two invalid bytes: the first one counts */
		for (ip = 0; ip < np; ip++)
		{
			size_t		p = pos[ip];

			for (j = 0; j <= nq; j++)
			{
				size_t		q = j < nq ? p + dq[(j + (nq < ndq ? p : 0)) % ndq] : n - 1;
				uint8_t		b1 = bad_bytes[dna4][(p + j) % nbad[dna4]];
				uint8_t		b2 = bad_bytes[dna4][(p * 3 + j + 1) % nbad[dna4]];
				uint8_t		s1,
							s2;

				if (q >= n || q <= p)
					continue;
				s1 = ms[p];
				s2 = ms[q];
				ms[p] = as[p] = b1;
				ms[q] = as[q] = b2;
				snprintf(desc, sizeof(desc), "%s encode n=%zu invalid 0x%02X at %zu and 0x%02X at %zu",
						 dna4 ? "dna4" : "dna2", n, b1, p, b2, q);
				check_invalid_once(dna4, as, ms, n, (int64_t) p, outbuf, (int) ((p + j) & 1), desc);
				ms[p] = as[p] = s1;
				ms[q] = as[q] = s2;
			}
		}

		for (ki = 0; ki < nkernels; ki++)
		{
			if (kernels[ki].nmsg != nmsg_before[ki])
				kernels[ki].fail++;
			else
				kernels[ki].pass++;
		}
		free(outbuf);
	}
	free(pos);
	free(ms);
}

/*
 * All 256 byte values at one position of otherwise valid text, against the
 * scalar tables (and the naive table-driven encoder for the output).
 */
static void
test_all_bytes_at(int dna4, size_t n, size_t p)
{
	uint8_t    *s = arena_end(&arena_in, n);
	size_t		outsize = packed_bytes(dna4, n);
	uint8_t    *out = arena_end(&arena_out, outsize);
	int			ki,
				c;

	rng_seed((uint64_t) n * 17 + p * 3 + (uint64_t) dna4);
	gen_text(dna4, 1, s, n);
	for (ki = 0; ki < nkernels; ki++)
	{
		group_begin(&kernels[ki], "%s encode all 256 byte values at %zu of n=%zu",
					dna4 ? "dna4" : "dna2", p, n);
		for (c = 0; c < 256; c++)
		{
			int64_t		want,
						r = -2;

			s[p] = (uint8_t) c;
			want = is_valid(dna4, (uint8_t) c) ? -1 : (int64_t) p;
			if (naive_encode(dna4, s, n, tmp_a) != want)
			{
				fail("test bug: naive encoder disagrees with tables");
				break;
			}
			memset(out, 0xEE, outsize);
			if (call_op(kernels[ki].k, dna4 ? ENC4 : ENC2, s, n, out, &r) != 0)
			{
				fail("byte 0x%02X: kernel faulted", c);
				continue;
			}
			if (r != want)
				fail("byte 0x%02X: returned %lld, table says %lld", c,
					 (long long) r, (long long) want);
			else if (want == -1 && memcmp(out, tmp_a, outsize) != 0)
			{
				char		what[80];

				snprintf(what, sizeof(what), "byte 0x%02X ('%c')", c, isprint(c) ? c : '.');
				report_diff(what, out, tmp_a, outsize, 0);
			}
		}
		group_end();
	}
}

/* Decode packed data holding every byte value, at several rotations. */
static void
test_decode_all_bytes(void)
{
	uint8_t		seq[256];
	size_t		nseq,
				rot,
				i,
				extra;
	uint8_t    *p = xmalloc(1100);
	char		label[64];
	int			dna4;

	for (dna4 = 0; dna4 <= 1; dna4++)
	{
		nseq = 0;
		for (i = 0; i < 256; i++)
			if (!dna4 || ((i >> 4) != 0 && (i & 15) != 0))
				seq[nseq++] = (uint8_t) i;
		for (rot = 0; rot < 40; rot += 3)
		{
			for (extra = 0; extra < 4; extra++)
			{
				size_t		nbytes = 4 * nseq;
				size_t		n = (dna4 ? 2 : 4) * nbytes - extra;

				for (i = 0; i < nbytes; i++)
					p[i] = seq[(i + rot) % nseq];
				/* zero the padding */
				if (dna4 && n % 2)
					p[nbytes - 1] &= 0xF0;
				if (!dna4 && n % 4)
					p[nbytes - 1] &= (uint8_t) (0xFF << (8 - 2 * (n % 4)));
				snprintf(label, sizeof(label), "every byte value, rotation %zu", rot);
				check_op_all(dna4 ? DEC4 : DEC2, p, n, label);
			}
		}
	}

	/*
	 * Not part of the format, but no kernel should behave differently from
	 * the scalar one on it: dna4 bytes with zero nibbles (decoded as '?').
	 */
	for (i = 0; i < 1024; i++)
		p[i] = (uint8_t) (i * 7 + i / 256);
	check_op_all(DEC4, p, 2048, "arbitrary bytes incl. zero nibbles (outside the format)");
	free(p);
}

/* The tables themselves against the format definition (scalar only). */
static void
test_tables(void)
{
	static const char dna4_letters[] = "?ACMGRSVTWYHKDBN";
	int			c;

	group_begin(&kernels[0], "scalar tables vs format definition");
	for (c = 0; c < 256; c++)
	{
		int			want2 = -1,
					want4 = 0,
					u = (c >= 'a' && c <= 'z') ? c - 32 : c;
		const char *q;

		switch (u)
		{
			case 'A':
				want2 = 0;
				break;
			case 'C':
				want2 = 1;
				break;
			case 'G':
				want2 = 2;
				break;
			case 'T':
			case 'U':
				want2 = 3;
				break;
		}
		if (u == 'U')
			want4 = 8;
		else if (u != '?' && u != 0 && (q = strchr(dna4_letters, u)) != NULL)
			want4 = (int) (q - dna4_letters);
		if (CodecDna2Code[c] != want2)
			fail("CodecDna2Code[0x%02X] = %d, want %d", c, CodecDna2Code[c], want2);
		if (CodecDna4Code[c] != want4)
			fail("CodecDna4Code[0x%02X] = %d, want %d", c, CodecDna4Code[c], want4);
	}
	for (c = 0; c < 16; c++)
		if (CodecDna4Letter[c] != dna4_letters[c])
			fail("CodecDna4Letter[%d] = '%c', want '%c'", c, CodecDna4Letter[c], dna4_letters[c]);
	/* degenerate codes: each letter's bits are the bases it stands for */
	{
		static const char *const iupac[][2] = {
			{"M", "AC"}, {"R", "AG"}, {"W", "AT"}, {"S", "CG"}, {"Y", "CT"}, {"K", "GT"},
			{"V", "ACG"}, {"H", "ACT"}, {"D", "AGT"}, {"B", "CGT"}, {"N", "ACGT"},
		};
		size_t		i;

		for (i = 0; i < 4; i++)
			if (CodecDna4Code[(uint8_t) "ACGT"[i]] != (1 << i))
				fail("base %c code %d", "ACGT"[i], CodecDna4Code[(uint8_t) "ACGT"[i]]);
		for (i = 0; i < sizeof(iupac) / sizeof(iupac[0]); i++)
		{
			int			m = 0;
			const char *b;

			for (b = iupac[i][1]; *b; b++)
				m |= CodecDna4Code[(uint8_t) *b];
			if (CodecDna4Code[(uint8_t) iupac[i][0][0]] != m)
				fail("IUPAC %s should be %s", iupac[i][0], iupac[i][1]);
		}
	}
	group_end();
}

/* ------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------ */

static void
add_kernel(const CodecKernels *k)
{
	kernels[nkernels].k = k;
	kernels[nkernels].pass = kernels[nkernels].fail = kernels[nkernels].nmsg = 0;
	nkernels++;
}

int
main(int argc, char **argv)
{
	static const size_t long_lengths[] = {
		301, 319, 320, 321, 383, 384, 385, 511, 512, 513, 1000, 1023, 1024, 1025,
		4095, 4096, 4097, 65535, 65536, 65537, 1000003
	};
	static const size_t all_bytes_n[] = {4, 203};
	static const size_t all_bytes_p203[] = {0, 1, 5, 15, 16, 31, 32, 47, 63, 64, 100, 127, 128,
	190, 191, 192, 193, 196, 200, 202};
	size_t		n,
				i;
	int			ki,
				dna4;
	long		tp = 0,
				tf = 0;
	struct sigaction sa;
	const char *e = getenv("CODEC_TEST_QUICK");

	if ((argc > 1 && strcmp(argv[1], "-q") == 0) || (e != NULL && *e != '\0' && *e != '0'))
		quick = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	pagesz = (size_t) sysconf(_SC_PAGESIZE);
	max_len = long_lengths[sizeof(long_lengths) / sizeof(long_lengths[0]) - 1];
	arena_in = arena_new(max_len + 16);
	arena_out = arena_new(max_len + 16);
	ref_out = xmalloc(max_len + 16);
	got_out = xmalloc(max_len + 16);
	tmp_a = xmalloc(max_len + 16);
	init_bad_bytes();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fault_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);

	add_kernel(&CodecScalar);
#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
#endif
#ifdef HAVE_AVX2_TARGET
	if (__builtin_cpu_supports("avx2"))
		add_kernel(&CodecAvx2);
	else
		printf("kernel %s: compiled in, skipped (CPU lacks AVX2)\n", CodecAvx2.name);
#endif
#ifdef HAVE_AVX512BW_TARGET
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
		add_kernel(&CodecAvx512);
	else
		printf("kernel %s: compiled in, skipped (CPU lacks AVX-512F/BW)\n", CodecAvx512.name);
#endif
#ifdef TEST_NEON
	add_kernel(&CodecNeon);
#elif defined(HAVE_NEON_TARGET)
	printf("HAVE_NEON_TARGET defined but not an aarch64 build: NEON kernels not tested\n");
#endif
	printf("testing kernels:");
	for (ki = 0; ki < nkernels; ki++)
		printf(" %s%s", kernels[ki].k->name, ki == 0 ? " (scalar reference)" : "");
	printf("%s\n", quick ? " [quick]" : "");

	test_tables();

	/* valid input, encode/decode/round trip */
	for (n = 0; n <= 300; n++)
		test_valid_length(n, 3, 0xF);
	for (i = 0; i < sizeof(long_lengths) / sizeof(long_lengths[0]); i++)
		test_valid_length(long_lengths[i], long_lengths[i] > 100000 ? 1 : 2,
						  long_lengths[i] > 100000 ? 0x3 : 0xF);
	test_decode_all_bytes();

	/* invalid input */
	for (n = 1; n <= 300; n++)
		test_invalid_length(n);
	for (i = 0; i < sizeof(long_lengths) / sizeof(long_lengths[0]); i++)
		test_invalid_length(long_lengths[i]);

	/* every byte value at chosen positions */
	for (dna4 = 0; dna4 <= 1; dna4++)
	{
		for (i = 0; i < sizeof(all_bytes_n) / sizeof(all_bytes_n[0]); i++)
		{
			size_t		nn = all_bytes_n[i];

			if (nn == 203)
			{
				size_t		j;

				for (j = 0; j < sizeof(all_bytes_p203) / sizeof(all_bytes_p203[0]); j++)
					test_all_bytes_at(dna4, nn, all_bytes_p203[j]);
			}
			else
			{
				size_t		p;

				for (p = 0; p < nn; p++)
					test_all_bytes_at(dna4, nn, p);
			}
		}
	}

	for (ki = 0; ki < nkernels; ki++)
	{
		printf("kernel %s: %ld passed, %ld failed\n", kernels[ki].k->name,
			   kernels[ki].pass, kernels[ki].fail);
		tp += kernels[ki].pass;
		tf += kernels[ki].fail;
	}
	printf("%ld passed, %ld failed\n", tp, tf);
	return tf != 0;
}
