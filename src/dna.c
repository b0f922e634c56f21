/*
 * dna.c
 *		The dna2 and dna4 types: text and binary I/O, comparison, hashing,
 *		casts and length functions.
 *
 * Both types share one implementation parameterised by DnaKind; the
 * SQL-callable entry points at the end are thin wrappers.  Encoding and
 * decoding go through the SIMD-dispatched kernels of codec.h, in chunks so
 * that a very long sequence can be cancelled.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "codec.h"
#include "cpu.h"
#include "dna.h"

/* bases encoded or decoded between interrupt checks; a multiple of 4 */
#define DNA_CHUNK_BASES ((size_t) 1 << 22)

const char *
DnaTypeName(DnaKind kind)
{
	return kind == DNA_KIND_2 ? "dna2" : "dna4";
}

/* A new value of nbases bases, unused bits zeroed; the caller fills the data. */
static struct varlena *
DnaAlloc(size_t nbases, DnaKind kind)
{
	size_t		nbytes = DNA_BYTES(kind, nbases);
	struct varlena *v = (struct varlena *) palloc(VARHDRSZ + 1 + nbytes);
	uint8	   *p = (uint8 *) VARDATA(v);

	SET_VARSIZE(v, VARHDRSZ + 1 + nbytes);
	p[0] = (uint8) (nbytes * DNA_BASES_PER_BYTE(kind) - nbases);
	if (nbytes > 0)
		p[nbytes] = 0;
	return v;
}

static void
DnaCheckLength(size_t nbases, DnaKind kind)
{
	if (nbases > DNA_MAX_BASES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s sequence too long", DnaTypeName(kind)),
				 errdetail("The sequence has %zu bases; the maximum is %zu.",
						   nbases, DNA_MAX_BASES)));
}

/*
 * Report the character at byte offset pos of s (all bytes before it are
 * valid letters, so the byte offset is also the character position).
 */
pg_noreturn static void
DnaReportInvalid(const char *s, size_t len, size_t pos, DnaKind kind)
{
	unsigned char c = (unsigned char) s[pos];
	char	   *shown;

	if (IS_HIGHBIT_SET(c))
		shown = psprintf("\"%s\"", pnstrdup(s + pos, Min((size_t) pg_mblen(s + pos), len - pos)));
	else if (c < 0x20 || c == 0x7F)
		shown = psprintf("0x%02X", c);
	else
		shown = psprintf("\"%c\"", c);

	if (kind == DNA_KIND_2 && CodecDna4Code[c] != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid character %s at position %zu for type dna2", shown, pos + 1),
				 errdetail("dna2 accepts A, C, G, T and U (read as T), in upper or lower case."),
				 errhint("Use type dna4 for sequences with IUPAC degenerate codes.")));
	if (kind == DNA_KIND_2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid character %s at position %zu for type dna2", shown, pos + 1),
				 errdetail("dna2 accepts A, C, G, T and U (read as T), in upper or lower case.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid character %s at position %zu for type dna4", shown, pos + 1),
			 errdetail("dna4 accepts A, C, G, T, U (read as T) and the IUPAC codes M, R, W, S, Y, K, V, H, D, B and N, in upper or lower case.")));
}

/* Encode len letters into a new value; errors name the first invalid one. */
struct varlena *
DnaFromText(const char *s, size_t len, DnaKind kind)
{
	const CodecKernels *codec = CpuCodec();
	int64_t		(*encode) (const char *, size_t, uint8_t *) =
		kind == DNA_KIND_2 ? codec->dna2_encode : codec->dna4_encode;
	struct varlena *v;
	uint8	   *data;
	size_t		off;

	DnaCheckLength(len, kind);
	v = DnaAlloc(len, kind);
	data = (uint8 *) VARDATA(v) + 1;
	for (off = 0; off < len; off += DNA_CHUNK_BASES)
	{
		size_t		n = Min(DNA_CHUNK_BASES, len - off);
		int64_t		bad;

		CHECK_FOR_INTERRUPTS();
		bad = encode(s + off, n, data + off / DNA_BASES_PER_BYTE(kind));
		if (bad >= 0)
			DnaReportInvalid(s, len, off + (size_t) bad, kind);
	}
	return v;
}

/* Decode a value's letters into out (no terminator). */
static void
DnaDecode(const struct varlena *v, DnaKind kind, char *out)
{
	const CodecKernels *codec = CpuCodec();
	void		(*decode) (const uint8_t *, size_t, char *) =
		kind == DNA_KIND_2 ? codec->dna2_decode : codec->dna4_decode;
	const uint8 *data = DnaData(v);
	size_t		len = DnaLength(v, kind);
	size_t		off;

	for (off = 0; off < len; off += DNA_CHUNK_BASES)
	{
		CHECK_FOR_INTERRUPTS();
		decode(data + off / DNA_BASES_PER_BYTE(kind), Min(DNA_CHUNK_BASES, len - off), out + off);
	}
}

static char *
DnaToCString(const struct varlena *v, DnaKind kind)
{
	size_t		len = DnaLength(v, kind);
	char	   *out = palloc(len + 1);

	DnaDecode(v, kind, out);
	out[len] = '\0';
	return out;
}

text *
DnaToText(const struct varlena *v, DnaKind kind)
{
	size_t		len = DnaLength(v, kind);
	text	   *t = (text *) palloc(VARHDRSZ + len);

	SET_VARSIZE(t, VARHDRSZ + len);
	DnaDecode(v, kind, VARDATA(t));
	return t;
}

/*
 * Binary input.  Format: int32 number of bases (network order), then the
 * packed bases exactly as stored (codec.h), unused trailing bits zero.
 * Everything is checked: the count, that the bytes are there, the padding,
 * and for dna4 that no base has the empty code 0.
 */
static struct varlena *
DnaRecv(StringInfo buf, DnaKind kind)
{
	int32		n;
	size_t		nbytes;
	size_t		avail;
	struct varlena *v;
	uint8	   *data;
	size_t		i;

	if (buf->len - buf->cursor < 4)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external %s value", DnaTypeName(kind)),
				 errdetail("The value is shorter than its 4-byte base count.")));
	n = pq_getmsgint(buf, 4);
	avail = (size_t) (buf->len - buf->cursor);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external %s value", DnaTypeName(kind)),
				 errdetail("The number of bases is negative (%d).", n)));
	DnaCheckLength((size_t) n, kind);
	nbytes = DNA_BYTES(kind, n);
	if (avail < nbytes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external %s value", DnaTypeName(kind)),
				 errdetail("%d bases need %zu bytes of data, but only %zu are present.",
						   n, nbytes, avail)));

	v = DnaAlloc((size_t) n, kind);
	data = (uint8 *) VARDATA(v) + 1;
	pq_copymsgbytes(buf, (char *) data, (int) nbytes);

	if (nbytes > 0)
	{
		int			unused_bits = (int) (nbytes * 8 - (size_t) n * DNA_BITS_PER_BASE(kind));

		if ((data[nbytes - 1] & ((1 << unused_bits) - 1)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid external %s value", DnaTypeName(kind)),
					 errdetail("The unused bits after the last base are not zero.")));
	}
	if (kind == DNA_KIND_4)
	{
		for (i = 0; i < (size_t) n; i++)
		{
			if (i % DNA_CHUNK_BASES == 0)
				CHECK_FOR_INTERRUPTS();
			if (((data[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0x0F) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						 errmsg("invalid external dna4 value"),
						 errdetail("Base %zu has the code 0, which stands for no base.", i + 1)));
		}
	}
	return v;
}

static bytea *
DnaSend(const struct varlena *v, DnaKind kind)
{
	StringInfoData buf;
	size_t		len = DnaLength(v, kind);

	pq_begintypsend(&buf);
	pq_sendint32(&buf, (uint32) len);
	pq_sendbytes(&buf, (const char *) DnaData(v), (int) DNA_BYTES(kind, len));
	return pq_endtypsend(&buf);
}

/*
 * Order: base by base on the codes (dna2: A < C < G < T; dna4: by the 4-bit
 * code, so A < C < M < G < R < S < V < T < W < Y < H < K < D < B < N), a
 * proper prefix first.  Since padding is zero, comparing the packed bytes and
 * then the lengths gives exactly that.
 */
static int
DnaCmp(const struct varlena *a, const struct varlena *b, DnaKind kind)
{
	size_t		la = DnaLength(a, kind);
	size_t		lb = DnaLength(b, kind);
	size_t		nbytes = Min(DNA_BYTES(kind, la), DNA_BYTES(kind, lb));
	int			r = memcmp(DnaData(a), DnaData(b), nbytes);

	if (r != 0)
		return r < 0 ? -1 : 1;
	return la < lb ? -1 : (la > lb ? 1 : 0);
}

/* Equality without full comparison: the stored bytes are canonical. */
static bool
DnaEq(const struct varlena *a, const struct varlena *b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/* Number of bases, reading only the size and the first stored byte. */
static size_t
DnaDatumLength(Datum d, DnaKind kind)
{
	Size		raw = toast_raw_datum_size(d) - VARHDRSZ;
	struct varlena *head = PG_DETOAST_DATUM_SLICE(d, 0, 1);
	uint8		pad = *(const uint8 *) VARDATA_ANY(head);

	return (raw - 1) * DNA_BASES_PER_BYTE(kind) - pad;
}

/* dna2 to dna4: always possible. */
static struct varlena *
Dna2ToDna4(const struct varlena *v)
{
	size_t		len = DnaLength(v, DNA_KIND_2);
	struct varlena *r = DnaAlloc(len, DNA_KIND_4);
	uint8	   *out = (uint8 *) VARDATA(r) + 1;
	size_t		off;

	for (off = 0; off < len; off += DNA_CHUNK_BASES)
	{
		CHECK_FOR_INTERRUPTS();
		CodecDna2ToDna4(DnaData(v) + off / 4, Min(DNA_CHUNK_BASES, len - off), out + off / 2);
	}
	return r;
}

/* dna4 to dna2: an error names the first degenerate code. */
static struct varlena *
Dna4ToDna2(const struct varlena *v)
{
	size_t		len = DnaLength(v, DNA_KIND_4);
	struct varlena *r = DnaAlloc(len, DNA_KIND_2);
	uint8	   *out = (uint8 *) VARDATA(r) + 1;
	size_t		off;

	for (off = 0; off < len; off += DNA_CHUNK_BASES)
	{
		int64_t		bad;
		size_t		pos;

		CHECK_FOR_INTERRUPTS();
		bad = CodecDna4ToDna2(DnaData(v) + off / 2, Min(DNA_CHUNK_BASES, len - off), out + off / 4);
		if (bad < 0)
			continue;
		pos = off + (size_t) bad;
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("cannot convert dna4 to dna2: degenerate code \"%c\" at position %zu",
						CodecDna4Letter[(DnaData(v)[pos / 2] >> (pos % 2 == 0 ? 4 : 0)) & 0x0F],
						pos + 1),
				 errdetail("dna2 holds only A, C, G and T.")));
	}
	return r;
}

/*
 * The reverse complement.  In both codes complementing is a bit reversal
 * within a base: dna2's A=00 T=11 C=01 G=10 by inverting both bits, dna4's
 * one bit a base (A=1 C=2 G=4 T=8) by reversing the four, which also maps
 * each IUPAC code to its complement (R=AG to Y=CT, K=GT to M=AC, B=CGT to
 * V=ACG, D=AGT to H=ACT; S, W and N to themselves).
 */
struct varlena *
DnaRevcomp(const struct varlena *v, DnaKind kind)
{
	static const uint8 rev4[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
	size_t		len = DnaLength(v, kind);
	struct varlena *r = DnaAlloc(len, kind);
	const uint8 *in = DnaData(v);
	uint8	   *out = (uint8 *) VARDATA(r) + 1;
	size_t		i;

	memset(out, 0, DNA_BYTES(kind, len));
	for (i = 0; i < len; i++)
	{
		size_t		j = len - 1 - i;	/* the base that lands at i */

		if ((i & (DNA_CHUNK_BASES - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
		if (kind == DNA_KIND_2)
			out[i >> 2] |= (uint8) ((3 - ((in[j >> 2] >> (6 - 2 * (j & 3))) & 3)) << (6 - 2 * (i & 3)));
		else
			out[i >> 1] |= (uint8) (rev4[(in[j >> 1] >> ((j & 1) ? 0 : 4)) & 0x0F] << ((i & 1) ? 0 : 4));
	}
	return r;
}

/*
 * SQL-callable functions.  DNA_FUNCTIONS(dna2, DNA_KIND_2) defines
 * dna2_in, dna2_out, dna2_recv, dna2_send, the comparison functions,
 * the hash functions, the text casts and the length functions.
 */
#define DNA_FUNCTIONS(T, KIND) \
PG_FUNCTION_INFO_V1(T##_in); \
Datum T##_in(PG_FUNCTION_ARGS) \
{ \
	char	   *s = PG_GETARG_CSTRING(0); \
	PG_RETURN_POINTER(DnaFromText(s, strlen(s), KIND)); \
} \
PG_FUNCTION_INFO_V1(T##_out); \
Datum T##_out(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_CSTRING(DnaToCString(PG_GETARG_VARLENA_PP(0), KIND)); \
} \
PG_FUNCTION_INFO_V1(T##_recv); \
Datum T##_recv(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_POINTER(DnaRecv((StringInfo) PG_GETARG_POINTER(0), KIND)); \
} \
PG_FUNCTION_INFO_V1(T##_send); \
Datum T##_send(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BYTEA_P(DnaSend(PG_GETARG_VARLENA_PP(0), KIND)); \
} \
PG_FUNCTION_INFO_V1(T##_from_text); \
Datum T##_from_text(PG_FUNCTION_ARGS) \
{ \
	text	   *t = PG_GETARG_TEXT_PP(0); \
	PG_RETURN_POINTER(DnaFromText(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), KIND)); \
} \
PG_FUNCTION_INFO_V1(T##_to_text); \
Datum T##_to_text(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_TEXT_P(DnaToText(PG_GETARG_VARLENA_PP(0), KIND)); \
} \
PG_FUNCTION_INFO_V1(T##_cmp); \
Datum T##_cmp(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_INT32(DnaCmp(PG_GETARG_VARLENA_PP(0), PG_GETARG_VARLENA_PP(1), KIND)); \
} \
PG_FUNCTION_INFO_V1(T##_eq); \
Datum T##_eq(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(DnaEq(PG_GETARG_VARLENA_PP(0), PG_GETARG_VARLENA_PP(1))); \
} \
PG_FUNCTION_INFO_V1(T##_ne); \
Datum T##_ne(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(!DnaEq(PG_GETARG_VARLENA_PP(0), PG_GETARG_VARLENA_PP(1))); \
} \
PG_FUNCTION_INFO_V1(T##_lt); \
Datum T##_lt(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(DnaCmp(PG_GETARG_VARLENA_PP(0), PG_GETARG_VARLENA_PP(1), KIND) < 0); \
} \
PG_FUNCTION_INFO_V1(T##_le); \
Datum T##_le(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(DnaCmp(PG_GETARG_VARLENA_PP(0), PG_GETARG_VARLENA_PP(1), KIND) <= 0); \
} \
PG_FUNCTION_INFO_V1(T##_gt); \
Datum T##_gt(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(DnaCmp(PG_GETARG_VARLENA_PP(0), PG_GETARG_VARLENA_PP(1), KIND) > 0); \
} \
PG_FUNCTION_INFO_V1(T##_ge); \
Datum T##_ge(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(DnaCmp(PG_GETARG_VARLENA_PP(0), PG_GETARG_VARLENA_PP(1), KIND) >= 0); \
} \
PG_FUNCTION_INFO_V1(T##_hash); \
Datum T##_hash(PG_FUNCTION_ARGS) \
{ \
	struct varlena *v = PG_GETARG_VARLENA_PP(0); \
	return hash_any((const unsigned char *) VARDATA_ANY(v), (int) VARSIZE_ANY_EXHDR(v)); \
} \
PG_FUNCTION_INFO_V1(T##_hash_extended); \
Datum T##_hash_extended(PG_FUNCTION_ARGS) \
{ \
	struct varlena *v = PG_GETARG_VARLENA_PP(0); \
	return hash_any_extended((const unsigned char *) VARDATA_ANY(v), (int) VARSIZE_ANY_EXHDR(v), \
							 PG_GETARG_INT64(1)); \
} \
PG_FUNCTION_INFO_V1(T##_bit_length); \
Datum T##_bit_length(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_INT64((int64) DnaDatumLength(PG_GETARG_DATUM(0), KIND) * DNA_BITS_PER_BASE(KIND)); \
} \
PG_FUNCTION_INFO_V1(T##_revcomp); \
Datum T##_revcomp(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_POINTER(DnaRevcomp(PG_GETARG_VARLENA_PP(0), KIND)); \
} \
PG_FUNCTION_INFO_V1(T##_nuc_length); \
Datum T##_nuc_length(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_INT32((int32) DnaDatumLength(PG_GETARG_DATUM(0), KIND)); \
} \
extern int no_such_variable

DNA_FUNCTIONS(dna2, DNA_KIND_2);
DNA_FUNCTIONS(dna4, DNA_KIND_4);

PG_FUNCTION_INFO_V1(dna2_to_dna4);

Datum
dna2_to_dna4(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(Dna2ToDna4(PG_GETARG_VARLENA_PP(0)));
}

PG_FUNCTION_INFO_V1(dna4_to_dna2);

Datum
dna4_to_dna2(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(Dna4ToDna2(PG_GETARG_VARLENA_PP(0)));
}

/*
 * The reverse complement of a text in the dna4 alphabet (either case, U read
 * as T), in upper case.
 */
PG_FUNCTION_INFO_V1(kmersearch_revcomp_text);

Datum
kmersearch_revcomp_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_TEXT_P(DnaToText(DnaRevcomp(DnaFromText(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), DNA_KIND_4),
										  DNA_KIND_4),
							   DNA_KIND_4));
}
