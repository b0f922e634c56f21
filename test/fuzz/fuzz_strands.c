/*
 * fuzz_strands.c
 *		libFuzzer target: searches on both strands (kmersearch.strand =
 *		both) through the GIN functions against the scorer, for exact and
 *		hashed keys.
 *
 * Input: byte 0 picks k (4..12 or 24..32, so that both exact and hashed
 * keys occur), byte 1 occur_bitlen (0..4, or 16), byte 2
 * kmersearch.min_score and what the row holds, byte 3
 * kmersearch.min_shared_ngram_key_rate (0.00..1.00), byte 4 the query's
 * length; then the query's letters (mostly A/C/G/T, some degenerate codes),
 * then the row's (A/C/G/T).  The row may end with the query's reverse
 * complement and with part of the query (their degenerate codes resolved),
 * so that both strands match.
 *
 * Checked: the row matches through the index's functions exactly when the
 * scorer (one pass, both strands) says either strand reaches its own
 * threshold (the threshold of its pattern's windows): extractQuery's
 * entries, with the row's extractValue keys as the check pattern, make
 * consistent give that answer and triConsistent TRUE for exact keys, and
 * never a false negative for hashed ones (which are rechecked).
 */
#include "postgres.h"

#include "access/gin.h"

#include "dna.h"
#include "gin.h"
#include "harness.h"
#include "kmer.h"
#include "kmersearch.h"
#include "score.h"

static char
QueryLetter(uint8 c)
{
	if (c < 232)
		return "ACGTacgt"[c % 8];
	return "MRWSYKVHDBNUmrwsykvhdbnu"[c % 24];
}

/* a letter of the row: A/C/G/T, a degenerate code resolved to one of its bases */
static char
Resolved(char c)
{
	c = (char) toupper((unsigned char) c);
	switch (c)
	{
		case 'A':
		case 'C':
		case 'G':
		case 'T':
			return c;
		case 'U':
			return 'T';
		case 'M':
		case 'R':
		case 'W':
		case 'V':
		case 'H':
		case 'D':
		case 'N':
			return 'A';
		default:				/* S, Y, K, B */
			return 'C' + (c == 'K') * ('G' - 'C');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int			k,
				b;
	bool		exact;
	size_t		qlen,
				rest,
				rlen = 0,
				i;
	char	   *q,
			   *r,
			   *rcs;
	text	   *query,
			   *rc;
	struct varlena *row;
	QueryPattern *qp,
			   *rqp;
	Scorer	   *sc;
	int64		scores[2],
				t0,
				t1;
	int32		nentries = -1,
				nvkeys = -1,
				searchmode = -1;
	bool	   *nullflags = NULL,
			   *pmatch = NULL,
				recheck = false,
				result,
				want;
	Pointer    *extra = NULL;
	Datum	   *qkeys,
			   *vkeys;
	bool	   *check;
	GinTernaryValue *tcheck;
	GinTernaryValue tresult;

	if (size < 6)
		return 0;
	k = (data[0] & 1) ? 24 + data[0] % 9 : 4 + data[0] % 9;
	b = (data[1] & 0x80) ? 16 : data[1] % 5;
	exact = GIN_KEYS_EXACT(k, b);
	qlen = Min((size_t) data[4], size - 5);
	if (qlen < (size_t) k)
		return 0;

	HarnessBegin();
	q = palloc(qlen + 1);
	for (i = 0; i < qlen; i++)
		q[i] = QueryLetter(data[5 + i]);
	q[qlen] = '\0';
	kmersearch_kmer_size = k;
	kmersearch_occur_bitlen = b;
	kmersearch_min_score = 1 + data[2] % 16;
	kmersearch_min_shared_ngram_key_rate = (data[3] % 101) / 100.0;
	kmersearch_strand = KMER_STRAND_BOTH;

	query = HarnessText(q, qlen);
	rc = QueryRevcomp(query);
	rcs = VARDATA(rc);
	rest = size - 5 - qlen;
	r = palloc(rest + 2 * qlen + 1);
	for (i = 0; i < rest; i++)
		r[rlen++] = "ACGT"[data[5 + qlen + i] % 4];
	if (data[2] & 0x40)
		for (i = 0; i < qlen; i++)
			r[rlen++] = Resolved(rcs[i]);
	if (data[2] & 0x80)
		for (i = 0; i < qlen / 2; i++)
			r[rlen++] = Resolved(q[i]);
	if (rlen == 0)
		goto done;
	row = DnaFromText(r, rlen, DNA_KIND_4);

	/* the scorer's answer: either strand at its own threshold */
	qp = QueryPatternBuild(query, k, b, CurrentMemoryContext);
	rqp = QueryPatternBuild(rc, k, b, CurrentMemoryContext);
	sc = ScorerCreate(k, qp->ndistinct, CurrentMemoryContext);
	ScorerAddPattern(sc, qp, 0, NULL);
	ScorerAddPattern(sc, rqp, 1, NULL);
	ScorerScore(sc, row, DNA_KIND_4, scores);
	t0 = ScoreThreshold(qp->nunits, 0);
	t1 = ScoreThreshold(rqp->nunits, 0);
	want = scores[0] >= t0 || scores[1] >= t1;

	/* the index's: extractQuery, the row's keys, consistent and triConsistent */
	{
		Datum		args[7] = {
			PointerGetDatum(query), PointerGetDatum(&nentries), UInt16GetDatum(1),
			PointerGetDatum(&pmatch), PointerGetDatum(&extra), PointerGetDatum(&nullflags),
			PointerGetDatum(&searchmode)
		};

		qkeys = (Datum *) DatumGetPointer(HarnessCall(kmersearch_gin_extract_query,
													  HarnessPlainFlinfo(), 7, args));
	}
	{
		Datum		args[3] = {PointerGetDatum(row), PointerGetDatum(&nvkeys), PointerGetDatum(&nullflags)};

		vkeys = (Datum *) DatumGetPointer(HarnessCall(kmersearch_gin_extract_value_dna4,
													  HarnessOpclassFlinfo(k, b), 3, args));
	}
	if (searchmode != GIN_SEARCH_MODE_DEFAULT)
		HarnessFail("extractQuery search mode %d", searchmode);
	if (nentries == 0)
	{
		if (want)
			HarnessFail("no query entries, but the scorer matches (scores %lld/%lld)",
						(long long) scores[0], (long long) scores[1]);
		goto done;
	}
	if (nvkeys > 0)
		qsort(vkeys, nvkeys, sizeof(Datum), HarnessCompareInt64Datum);
	check = palloc(nentries * sizeof(bool));
	tcheck = palloc(nentries * sizeof(GinTernaryValue));
	for (i = 0; i < (size_t) nentries; i++)
	{
		check[i] = nvkeys > 0 && bsearch(&qkeys[i], vkeys, nvkeys, sizeof(Datum), HarnessCompareInt64Datum) != NULL;
		tcheck[i] = check[i] ? GIN_TRUE : GIN_FALSE;
	}
	{
		Datum		args[8] = {
			PointerGetDatum(check), UInt16GetDatum(1), PointerGetDatum(query), Int32GetDatum(nentries),
			PointerGetDatum(extra), PointerGetDatum(&recheck), PointerGetDatum(qkeys), PointerGetDatum(nullflags)
		};

		result = DatumGetBool(HarnessCall(kmersearch_gin_consistent, HarnessPlainFlinfo(), 8, args));
		args[0] = PointerGetDatum(tcheck);
		args[5] = PointerGetDatum(qkeys);
		args[6] = PointerGetDatum(nullflags);
		tresult = DatumGetGinTernaryValue(HarnessCall(kmersearch_gin_tri_consistent,
													  HarnessPlainFlinfo(), 7, args));
	}
	if (exact)
	{
		if (result != want || recheck)
			HarnessFail("consistent %d (recheck %d), the scorer %d: scores %lld/%lld, thresholds %lld/%lld (k = %d, b = %d)",
						result, recheck, want, (long long) scores[0], (long long) scores[1],
						(long long) t0, (long long) t1, k, b);
		if ((tresult == GIN_TRUE) != want || tresult == GIN_MAYBE)
			HarnessFail("triConsistent %d, the scorer %d", tresult, want);
	}
	else
	{
		if (want && (!result || tresult == GIN_FALSE))
			HarnessFail("hashed keys: consistent %d, triConsistent %d miss a match", result, tresult);
		if (!recheck || tresult == GIN_TRUE)
			HarnessFail("hashed keys: no recheck (consistent recheck %d, triConsistent %d)", recheck, tresult);
	}
done:
	kmersearch_strand = KMER_STRAND_PLUS;
	HarnessEnd();
	return 0;
}
