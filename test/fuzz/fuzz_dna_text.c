/*
 * fuzz_dna_text.c
 *		libFuzzer target: the text input of dna2 and dna4 (dna2_in, dna4_in).
 *
 * For any string the server could pass: the value is accepted exactly when
 * every letter is in the type's alphabet, else the error is
 * invalid_text_representation naming the first bad letter's position.  An
 * accepted value prints as the upper-case letters (U as T), survives
 * send/recv byte for byte (and with a short header), encodes and decodes
 * identically with every SIMD level the CPU has, and converts between the
 * types as the alphabets allow.
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "cpu.h"
#include "harness.h"
#include "kmersearch.h"

static const int text_errors[] = {ERRCODE_INVALID_TEXT_REPRESENTATION};
static const int convert_errors[] = {ERRCODE_CHARACTER_NOT_IN_REPERTOIRE};

/* the letter a valid input letter prints as */
static char
Canonical(char c)
{
	c = (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
	return c == 'U' ? 'T' : c;
}

static bool
InAlphabet(char c, bool dna4)
{
	const char *a = dna4 ? "ACGTUMRWSYKVHDBNacgtumrwsykvhdbn" : "ACGTUacgtu";

	return c != '\0' && strchr(a, c) != NULL;
}

static struct varlena *
Input(PGFunction in, const char *s)
{
	Datum		args[3] = {CStringGetDatum(s), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)};

	return (struct varlena *) DatumGetPointer(HarnessCall(in, HarnessPlainFlinfo(), 3, args));
}

static bool
SameBytes(const struct varlena *a, const struct varlena *b)
{
	return VARSIZE_ANY(a) == VARSIZE_ANY(b) && memcmp(a, b, VARSIZE_ANY(a)) == 0;
}

static void
CheckKind(const char *s, size_t len, bool dna4)
{
	PGFunction	in = dna4 ? dna4_in : dna2_in;
	PGFunction	out = dna4 ? dna4_out : dna2_out;
	PGFunction	recv = dna4 ? dna4_recv : dna2_recv;
	PGFunction	send = dna4 ? dna4_send : dna2_send;
	size_t		bad = 0;
	struct varlena *volatile value = NULL;
	struct varlena *other;
	int			detected,
				level;
	char	   *printed;
	bytea	   *wire;
	StringInfoData buf;
	Datum		arg;
	size_t		i;

	while (bad < len && InAlphabet(s[bad], dna4))
		bad++;
	kmersearch_force_simd_capability = KMERSEARCH_FORCE_SIMD_DEFAULT;
	detected = CpuEffectiveLevel();

	PG_TRY();
	{
		value = Input(in, s);
	}
	PG_CATCH();
	{
		char		where[64];

		HarnessCheckError(text_errors, lengthof(text_errors));
		if (bad == len)
			HarnessFail("valid %s input refused: %s", dna4 ? "dna4" : "dna2", harness_error.message);
		snprintf(where, sizeof(where), "at position %zu for type", bad + 1);
		if (strstr(harness_error.message, where) == NULL)
			HarnessFail("error does not name position %zu: %s", bad + 1, harness_error.message);
		return;
	}
	PG_END_TRY();
	if (bad != len)
		HarnessFail("%s accepted a letter outside its alphabet at %zu", dna4 ? "dna4" : "dna2", bad + 1);

	/*
	 * Every SIMD level the CPU has (and this build) encodes to the same
	 * bytes and decodes to the same letters as the level in use.
	 */
	for (level = 0; level <= detected; level++)
	{
		kmersearch_force_simd_capability = level;
		other = Input(in, s);
		arg = PointerGetDatum(value);
		printed = DatumGetCString(HarnessCall(out, HarnessPlainFlinfo(), 1, &arg));
		kmersearch_force_simd_capability = KMERSEARCH_FORCE_SIMD_DEFAULT;
		if (!SameBytes(value, other))
			HarnessFail("%s and %s encodings differ", CpuLevelName(level), CpuLevelName(detected));
		if (strlen(printed) != len)
			HarnessFail("%s printed %zu letters for %zu", CpuLevelName(level), strlen(printed), len);
		for (i = 0; i < len; i++)
			if (printed[i] != Canonical(s[i]))
				HarnessFail("%s printed letter %zu as '%c' for input '%c'",
							CpuLevelName(level), i + 1, printed[i], s[i]);
	}

	/* functions taking the value get it with a short header when it fits */
	arg = PointerGetDatum(HarnessShortHeader(value));
	if (strcmp(DatumGetCString(HarnessCall(out, HarnessPlainFlinfo(), 1, &arg)), printed) != 0)
		HarnessFail("a value with a short header prints otherwise");

	/* send then recv gives the same value */
	wire = DatumGetByteaPP(HarnessCall(send, HarnessPlainFlinfo(), 1, &arg));
	buf.data = VARDATA_ANY(wire);
	buf.len = VARSIZE_ANY_EXHDR(wire);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	{
		Datum		rargs[3] = {PointerGetDatum(&buf), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)};

		if (!SameBytes(value, (struct varlena *) DatumGetPointer(HarnessCall(recv, HarnessPlainFlinfo(), 3, rargs))))
			HarnessFail("send/recv changed the value");
		if (buf.cursor != buf.len)
			HarnessFail("recv left %d of %d bytes", buf.len - buf.cursor, buf.len);
	}

	/* conversions: dna2 to dna4 always; dna4 to dna2 without degenerate codes */
	if (!dna4)
	{
		struct varlena *v4 = (struct varlena *) DatumGetPointer(HarnessCall(dna2_to_dna4, HarnessPlainFlinfo(), 1, &arg));

		if (!SameBytes(v4, Input(dna4_in, s)))
			HarnessFail("dna2 to dna4 differs from dna4 input");
	}
	else
	{
		bool		acgt = true;
		struct varlena *volatile v2 = NULL;

		for (i = 0; i < len; i++)
			acgt &= InAlphabet(s[i], false);
		PG_TRY();
		{
			v2 = (struct varlena *) DatumGetPointer(HarnessCall(dna4_to_dna2, HarnessPlainFlinfo(), 1, &arg));
		}
		PG_CATCH();
		{
			HarnessCheckError(convert_errors, lengthof(convert_errors));
			if (acgt)
				HarnessFail("dna4 of A/C/G/T not converted: %s", harness_error.message);
			return;
		}
		PG_END_TRY();
		if (!acgt)
			HarnessFail("dna4 with degenerate codes converted to dna2");
		if (!SameBytes(v2, Input(dna2_in, s)))
			HarnessFail("dna4 to dna2 differs from dna2 input");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		len;
	char	   *s;

	HarnessBegin();
	s = HarnessServerString(data, size, &len);
	CheckKind(s, len, false);
	CheckKind(s, len, true);
	HarnessEnd();
	return 0;
}
