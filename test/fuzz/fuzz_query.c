/*
 * fuzz_query.c
 *		libFuzzer target: query parsing (QueryPatternBuild, what =%,
 *		kmersearch_rawscore and GIN's extractQuery parse a query text with)
 *		for every k-mer size and occurrence bits.
 *
 * Input: byte 0 picks k (4..32), byte 1 occur_bitlen (0..16), the rest is
 * the query text (any text the server could hold).  A query is refused
 * exactly when it is shorter than k (invalid_parameter_value) or has a
 * letter outside dna4's alphabet (invalid_text_representation).  An
 * accepted query's distinct k-mers and capped counts equal the reference's
 * (kmer.h's definition, computed letter by letter in harness.c), and the
 * query scored against itself, as dna4 and (when it has only A/C/G/T/U)
 * as dna2, scores all its keys.
 */
#include "postgres.h"

#include "dna.h"
#include "harness.h"
#include "kmer.h"
#include "score.h"

static const int query_errors[] = {
	ERRCODE_INVALID_PARAMETER_VALUE,
	ERRCODE_INVALID_TEXT_REPRESENTATION,
};

static bool
InDna4(char c)
{
	return c != '\0' && strchr("ACGTUMRWSYKVHDBNacgtumrwsykvhdbn", c) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int			k,
				b;
	char	   *s;
	size_t		len,
				i,
				nref;
	bool		valid = true,
				acgt = true;
	text	   *query;
	QueryPattern *volatile qp = NULL;
	HarnessKmer *ref;
	int64		refkeys = 0;
	Scorer	   *sc;

	if (size < 2)
		return 0;
	k = KMER_SIZE_MIN + data[0] % (KMER_SIZE_MAX - KMER_SIZE_MIN + 1);
	b = OCCUR_BITLEN_MIN + data[1] % (OCCUR_BITLEN_MAX - OCCUR_BITLEN_MIN + 1);

	HarnessBegin();
	s = HarnessServerString(data + 2, size - 2, &len);
	for (i = 0; i < len; i++)
	{
		valid &= InDna4(s[i]);
		acgt &= s[i] != '\0' && strchr("ACGTUacgtu", s[i]) != NULL;
	}
	query = HarnessText(s, len);
	if (data[0] & 0x80)
		query = (text *) HarnessShortHeader((struct varlena *) query);

	PG_TRY();
	{
		qp = QueryPatternBuild(query, k, b, CurrentMemoryContext);
	}
	PG_CATCH();
	{
		HarnessCheckError(query_errors, lengthof(query_errors));
		if (harness_error.sqlerrcode == ERRCODE_INVALID_PARAMETER_VALUE && len >= (size_t) k)
			HarnessFail("query of %zu letters refused as shorter than k = %d", len, k);
		if (harness_error.sqlerrcode == ERRCODE_INVALID_TEXT_REPRESENTATION && valid)
			HarnessFail("valid query refused: %s", harness_error.message);
		HarnessEnd();
		return 0;
	}
	PG_END_TRY();

	if (len < (size_t) k || !valid)
		HarnessFail("query accepted: %zu letters, k = %d, valid = %d", len, k, valid);
	if (qp->kmer_size != k || qp->occur_bitlen != b)
		HarnessFail("pattern for k = %d, b = %d built for k = %d, b = %d",
					k, b, qp->kmer_size, qp->occur_bitlen);

	ref = HarnessReferenceKmers(s, len, true, k, &nref);
	if (qp->ndistinct != nref)
		HarnessFail("%zu distinct k-mers, the reference has %zu", qp->ndistinct, nref);
	for (i = 0; i < nref; i++)
	{
		uint32		cap = KmerKeysFor(ref[i].count, b);

		if (qp->kmers[i].kmer != ref[i].kmer || qp->kmers[i].count != cap)
			HarnessFail("k-mer %zu: %016llx x %u, reference %016llx x %u (k = %d, b = %d)", i,
						(unsigned long long) qp->kmers[i].kmer, qp->kmers[i].count,
						(unsigned long long) ref[i].kmer, cap, k, b);
		refkeys += cap;
	}
	free(ref);
	if (qp->nkeys != refkeys)
		HarnessFail("pattern says %lld keys, its k-mers %lld", (long long) qp->nkeys, (long long) refkeys);

	/* a window counts once: at most as many units as keys, as many without degenerate codes */
	if (qp->nunits != HarnessReferenceUnits(s, len, true, k, b) || qp->nunits > qp->nkeys ||
		(acgt && qp->nunits != qp->nkeys))
		HarnessFail("%lld units for %lld keys, the reference %lld", (long long) qp->nunits,
					(long long) qp->nkeys, (long long) HarnessReferenceUnits(s, len, true, k, b));

	/*
	 * A query shares all its keys with itself, and its reverse complement
	 * (strand 1) with the reverse complement of itself.
	 */
	{
		int64		scores[2];
		text	   *rc = QueryRevcomp(query);
		QueryPattern *rqp = QueryPatternBuild(rc, k, b, CurrentMemoryContext);
		struct varlena *seq4 = DnaFromText(s, len, DNA_KIND_4);

		sc = ScorerCreate(k, qp->ndistinct, CurrentMemoryContext);
		ScorerAddPattern(sc, qp, 0, NULL);
		ScorerAddPattern(sc, rqp, 1, NULL);
		if (rqp->nkeys != qp->nkeys)
			HarnessFail("reverse complement has %lld keys, the query %lld",
						(long long) rqp->nkeys, (long long) qp->nkeys);
		ScorerScore(sc, seq4, DNA_KIND_4, scores);
		if (scores[0] != qp->nkeys)
			HarnessFail("dna4 self-score differs from the key count");
		ScorerScore(sc, DnaRevcomp(seq4, DNA_KIND_4), DNA_KIND_4, scores);
		if (scores[1] != rqp->nkeys)
			HarnessFail("dna4 reverse complement self-score differs from its key count");
		if (acgt)
		{
			struct varlena *seq2 = DnaFromText(s, len, DNA_KIND_2);

			ScorerScore(sc, seq2, DNA_KIND_2, scores);
			if (scores[0] != qp->nkeys)
				HarnessFail("dna2 self-score differs from the key count");
			ScorerScore(sc, DnaRevcomp(seq2, DNA_KIND_2), DNA_KIND_2, scores);
			if (scores[1] != rqp->nkeys)
				HarnessFail("dna2 reverse complement self-score differs from its key count");
		}
	}

	HarnessEnd();
	return 0;
}
