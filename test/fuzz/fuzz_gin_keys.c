/*
 * fuzz_gin_keys.c
 *		libFuzzer target: GIN key extraction (extractValue of dna2 and dna4,
 *		extractQuery) and the consistent functions, for every k-mer size
 *		and occurrence bits, exact and hashed keys.
 *
 * Input: byte 0 picks k (4..32), byte 1 occur_bitlen (0..16), byte 2 the
 * type (bit 0) and kmersearch.min_score, byte 3
 * kmersearch.min_shared_ngram_key_rate (0.00..1.00); every further byte is
 * one letter (mostly A/C/G/T, some degenerate codes for dna4).
 *
 * Checked: KmerUnkeyedWindows counts the windows with more than
 * KMER_MAX_EXPANSION k-mers; extractValue gives sum over distinct k-mers of min(count, 2^b)
 * keys (reference k-mers of harness.c); exact keys are the (k-mer,
 * occurrence) pairs in ascending order, hashed keys are as many and all
 * different (a 64-bit hash of distinct pairs);
 * extractQuery of the same letters gives the same keys (once each, with
 * multiplicities adding up to the count); consistent and triConsistent
 * agree with a plain count of the matched keys against the threshold, for
 * a check pattern drawn from the input.
 */
#include "postgres.h"

#include <math.h>

#include "access/gin.h"
#include "access/stratnum.h"
#include "common/hashfn.h"

#include "gin.h"
#include "harness.h"
#include "kmer.h"
#include "kmersearch.h"
#include "score.h"

static char
Letter(uint8 c, bool dna4)
{
	static const char acgt[] = "ACGTacgt";
	static const char degenerate[] = "MRWSYKVHDBNUmrwsykvhdbnu";

	if (!dna4)
		return "ACGTUacgtu"[c % 10];
	if (c < 224)
		return acgt[c % 8];
	return degenerate[c % 24];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int			k,
				b;
	bool		dna4,
				exact;
	size_t		len,
				i,
				nref,
				j;
	char	   *s;
	struct varlena *value;
	Datum	   *vkeys,
			   *qkeys;
	int32		nvkeys = -1,
				nentries = -1,
				searchmode = -1;
	bool	   *nullflags = NULL,
			   *pmatch = NULL;
	Pointer    *extra = NULL;
	HarnessKmer *ref;
	int64		refkeys = 0,
				threshold,
				matched = 0,
				maybe = 0;
	bool	   *check;
	GinTernaryValue *tcheck;
	bool		recheck = false,
				result;
	GinTernaryValue tresult;
	uint64		rnd;

	if (size < 4)
		return 0;
	k = KMER_SIZE_MIN + data[0] % (KMER_SIZE_MAX - KMER_SIZE_MIN + 1);
	b = OCCUR_BITLEN_MIN + data[1] % (OCCUR_BITLEN_MAX - OCCUR_BITLEN_MIN + 1);
	dna4 = data[2] & 1;
	exact = GIN_KEYS_EXACT(k, b);
	len = size - 4;

	HarnessBegin();
	s = palloc(len + 1);
	for (i = 0; i < len; i++)
		s[i] = Letter(data[4 + i], dna4);
	s[len] = '\0';
	{
		Datum		args[3] = {CStringGetDatum(s), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)};

		value = (struct varlena *) DatumGetPointer(HarnessCall(dna4 ? dna4_in : dna2_in,
															   HarnessPlainFlinfo(), 3, args));
	}

	/* from a heap tuple, a short value has a 1-byte header */
	if (data[2] & 0x80)
		value = HarnessShortHeader(value);

	/* extractValue, as an index built with (k, b) calls it */
	{
		Datum		args[3] = {PointerGetDatum(value), PointerGetDatum(&nvkeys), PointerGetDatum(&nullflags)};

		vkeys = (Datum *) DatumGetPointer(HarnessCall(dna4 ? kmersearch_gin_extract_value_dna4 :
													  kmersearch_gin_extract_value_dna2,
													  HarnessOpclassFlinfo(k, b), 3, args));
	}
	/* the windows a search by identity counts as markers */
	{
		size_t		got = KmerUnkeyedWindows(DnaData(value), DnaLength(value, dna4 ? DNA_KIND_4 : DNA_KIND_2),
											 dna4 ? DNA_KIND_4 : DNA_KIND_2, k);
		size_t		want = HarnessReferenceUnkeyed(s, len, dna4, k);

		if (got != want)
			HarnessFail("KmerUnkeyedWindows gave %zu, expected %zu (k = %d)", got, want, k);
	}
	ref = HarnessReferenceKmers(s, len, dna4, k, &nref);
	for (i = 0; i < nref; i++)
		refkeys += KmerKeysFor(ref[i].count, b);
	if (nvkeys != refkeys)
		HarnessFail("extractValue gave %d keys, expected %lld (k = %d, b = %d)",
					nvkeys, (long long) refkeys, k, b);
	if ((nvkeys == 0) != (vkeys == NULL))
		HarnessFail("extractValue: %d keys, array %p", nvkeys, (void *) vkeys);
	if (exact)
	{
		/* key (x, j) is x << b | j with the top bit flipped, ascending */
		size_t		n = 0;

		for (i = 0; i < nref; i++)
			for (j = 0; j < KmerKeysFor(ref[i].count, b); j++, n++)
			{
				uint64		want = ((ref[i].kmer << b) | j) ^ (UINT64CONST(1) << 63);

				if ((uint64) DatumGetInt64(vkeys[n]) != want)
					HarnessFail("key %zu is %016llx, expected %016llx (k = %d, b = %d)", n,
								(unsigned long long) DatumGetInt64(vkeys[n]),
								(unsigned long long) want, k, b);
			}
	}
	free(ref);

	/* extractQuery of the same letters, with the session at (k, b) */
	kmersearch_kmer_size = k;
	kmersearch_occur_bitlen = b;
	kmersearch_min_score = 1 + (data[2] >> 1) % 64;
	kmersearch_min_shared_ngram_key_rate = (data[3] % 101) / 100.0;
	if (len < (size_t) k)
		goto done;				/* a too-short query: fuzz_query covers its error */
	{
		Datum		args[7] = {
			PointerGetDatum((data[3] & 0x80) ? HarnessShortHeader((struct varlena *) HarnessText(s, len)) :
							HarnessText(s, len)), PointerGetDatum(&nentries),
			UInt16GetDatum(1), PointerGetDatum(&pmatch), PointerGetDatum(&extra),
			PointerGetDatum(&nullflags), PointerGetDatum(&searchmode)
		};

		qkeys = (Datum *) DatumGetPointer(HarnessCall(kmersearch_gin_extract_query,
													  HarnessPlainFlinfo(), 7, args));
	}
	if (searchmode != GIN_SEARCH_MODE_DEFAULT)
		HarnessFail("extractQuery search mode %d", searchmode);
	/*
	 * the =% threshold, by its definition: max(1, min_score, ceil(rate * n)),
	 * n the windows that give keys
	 */
	threshold = Max(1, Max(kmersearch_min_score,
						   (int64) ceil(kmersearch_min_shared_ngram_key_rate *
										HarnessReferenceUnits(s, len, dna4, k, b) - 1e-9)));

	/* the query's entries: the value's keys, once each */
	if (nvkeys > 0)
		qsort(vkeys, nvkeys, sizeof(Datum), HarnessCompareInt64Datum);
	{
		int32		n = 0;

		for (i = 0; i < (size_t) nvkeys; i++)
			if (i == 0 || DatumGetInt64(vkeys[i]) != DatumGetInt64(vkeys[i - 1]))
				vkeys[n++] = vkeys[i];
		if (nentries != n)
			HarnessFail("extractQuery gave %d entries, the value %d distinct keys", nentries, n);
		if (n > 0 && memcmp(vkeys, qkeys, n * sizeof(Datum)) != 0)
			HarnessFail("extractQuery's entries differ from extractValue's keys");
		if (exact && n != nvkeys)
			HarnessFail("exact keys repeated");
		/* distinct (k-mer, occurrence) pairs hash to distinct 64-bit keys */
		if (!exact && n != nvkeys)
			HarnessFail("%d hashed keys of distinct pairs collide into %d", nvkeys, n);
	}
	if (nentries == 0)
		goto done;

	/* consistent and triConsistent on a check pattern drawn from the input */
	check = palloc(nentries * sizeof(bool));
	tcheck = palloc(nentries * sizeof(GinTernaryValue));
	rnd = hash_bytes_extended(data, (int) size, 0) | 1;
	for (i = 0; i < (size_t) nentries; i++)
	{
		int			r;

		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		r = (int) (rnd % 4);
		check[i] = r == 0 || r == 1;	/* true */
		tcheck[i] = r == 0 ? GIN_TRUE : r == 1 ? GIN_MAYBE : GIN_FALSE;
	}
	{
		/* how many keys the query entries stand for: count in the value */
		Datum		args[3] = {PointerGetDatum(value), PointerGetDatum(&nvkeys), PointerGetDatum(&nullflags)};
		Datum	   *all = (Datum *) DatumGetPointer(HarnessCall(dna4 ? kmersearch_gin_extract_value_dna4 :
																kmersearch_gin_extract_value_dna2,
																HarnessOpclassFlinfo(k, b), 3, args));

		for (i = 0; i < (size_t) nvkeys; i++)
		{
			Datum	   *e = bsearch(&all[i], qkeys, nentries, sizeof(Datum), HarnessCompareInt64Datum);
			size_t		at;

			if (e == NULL)
				HarnessFail("a key of the value is not among the query's entries");
			at = e - qkeys;
			if (check[at])
				matched++;
			if (tcheck[at] == GIN_MAYBE)
				maybe++;
		}
	}
	{
		Datum		args[8] = {
			PointerGetDatum(check), UInt16GetDatum(1), PointerGetDatum(NULL), Int32GetDatum(nentries),
			PointerGetDatum(extra), PointerGetDatum(&recheck), PointerGetDatum(qkeys), PointerGetDatum(NULL)
		};

		result = DatumGetBool(HarnessCall(kmersearch_gin_consistent, HarnessPlainFlinfo(), 8, args));
		if (result != (matched >= threshold))
			HarnessFail("consistent: %d for %lld matched keys, threshold %lld",
						result, (long long) matched, (long long) threshold);
		if (recheck != !exact)
			HarnessFail("consistent: recheck %d for %s keys", recheck, exact ? "exact" : "hashed");
		args[0] = PointerGetDatum(tcheck);
		args[5] = PointerGetDatum(qkeys);
		args[6] = PointerGetDatum(NULL);
		tresult = DatumGetGinTernaryValue(HarnessCall(kmersearch_gin_tri_consistent,
													  HarnessPlainFlinfo(), 7, args));
	}
	{
		/* true keys are those of check minus the maybes */
		int64		ntrue = matched - maybe;
		GinTernaryValue want = ntrue + maybe < threshold ? GIN_FALSE :
			(ntrue >= threshold && exact) ? GIN_TRUE : GIN_MAYBE;

		if (tresult != want)
			HarnessFail("triConsistent: %d for %lld true and %lld maybe keys, threshold %lld",
						tresult, (long long) ntrue, (long long) maybe, (long long) threshold);
	}

done:
	kmersearch_kmer_size = KMER_SIZE_DEFAULT;
	kmersearch_occur_bitlen = OCCUR_BITLEN_DEFAULT;
	kmersearch_min_score = 1;
	kmersearch_min_shared_ngram_key_rate = 0.9;
	HarnessEnd();
	return 0;
}
