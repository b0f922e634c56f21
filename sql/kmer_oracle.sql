--
-- Scores against an oracle written in plain SQL, for k in {4, 5, 8, 16, 31,
-- 32} and occur_bitlen in {0, 1, 8, 16}, dna2 and dna4.
--
-- The oracle (oracle_kmers and oracle_keys, in setup.sql) follows the
-- definition literally; the score is the number of keys two sequences share.
-- The threshold's n counts the query's windows that give keys: a window
-- with degenerate codes once, however many of its expansions give keys.

-- sequences: random ACGT, degenerate windows just under and over the
-- 10-expansion limit, repeats longer than the occurrence caps
CREATE TABLE seqs (id integer PRIMARY KEY, s text, pure boolean);
INSERT INTO seqs
SELECT i, translate(substr(md5(i::text) || md5((i + 100)::text) || md5((i + 200)::text), 1, 40 + i * 7 % 60),
                    '0123456789abcdef', 'ACGTACGTACGTACGT'), true
  FROM generate_series(1, 12) AS i;
INSERT INTO seqs VALUES
  (20, 'ACGTTGCANRACGTTGCATTGACCANBGTACCGTTAGCAGT', false),          -- N+R = 8 kept, N+B = 12 dropped
  (21, 'TTGACCGATRYKACGGTTCATGCARYKMGGTTACCAGTTGAC', false),         -- R*Y*K = 8 kept, R*Y*K*M = 16 dropped
  (22, 'GGCATBDCCATGGTACCAGTTNNGACCATGGTAGCAVHGTTAC', false),        -- B*D = 9 kept, N*N = 16, V*H = 9
  (23, repeat('A', 300), true),                                      -- one k-mer, 297+ times
  (24, repeat('ACGT', 80), true),                                    -- period 4
  (25, repeat('ACGTTGCAAG', 12) || 'NACGTTGCAAGRYACGTTGCAAG', false),
  (26, 'acgtuacgtuACGTUTTGACCGGTAGGCATTACGACGGATCCA', true),         -- lower case and U
  (27, 'ACGTNNACGTACGTRRRACGTWSACGTMKACGTHDBVACGTAC', false);
-- queries: pieces and mutated copies of the sequences, and repeats
CREATE TABLE queries (qid integer PRIMARY KEY, q text);
INSERT INTO queries
SELECT id, substr(s, 3, length(s) - 5) FROM seqs WHERE id IN (1, 5, 9, 20, 21, 22, 25, 27);
INSERT INTO queries
SELECT 100 + id, overlay(s PLACING 'TTT' FROM 12) FROM seqs WHERE id IN (2, 3, 24, 26);
INSERT INTO queries VALUES
  (200, repeat('A', 280)), (201, repeat('ACGT', 70) || 'ACG'),
  (202, 'ACGTTGCANNACGTTGCATTGACCRRGTACCGTTAGCAGTAC'),
  (203, 'NACGTTGCAAGRYACGTTGCAAGACGTTGCAAGACGTTGCAAGACGTTGCAAG'),
  (204, 'ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTMMMM');
-- and the reverse complement of each, by the oracle's own rule (qid + 1000),
-- for searches on both strands
INSERT INTO queries
SELECT qid + 1000, reverse(translate(upper(q), 'ACGTURYKMBVDHSWN', 'TGCAAYRMKVBHDSWN')) FROM queries;

-- the oracle's keys of every sequence and query, for every (k, b)
CREATE TABLE settings AS
SELECT k, b FROM unnest(ARRAY[4, 5, 8, 16, 31, 32]) AS k, unnest(ARRAY[0, 1, 8, 16]) AS b;
CREATE TABLE seq_keys AS
SELECT st.k, st.b, s.id, o.kmer, o.j FROM settings st, seqs s, LATERAL oracle_keys(s.s, st.k, st.b) o
 WHERE length(s.s) >= st.k;
CREATE TABLE query_keys AS
SELECT st.k, st.b, q.qid, o.kmer, o.j, o.p FROM settings st, queries q, LATERAL oracle_keys(q.q, st.k, st.b) o
 WHERE length(q.q) >= st.k;
CREATE TABLE oracle AS
WITH shared AS (
    SELECT sk.k, sk.b, sk.id, qk.qid, count(*) AS score
      FROM seq_keys sk JOIN query_keys qk USING (k, b, kmer, j)
     GROUP BY sk.k, sk.b, sk.id, qk.qid
), n AS (
    SELECT k, b, qid, count(*) AS nkeys, count(DISTINCT p) AS nunits FROM query_keys GROUP BY k, b, qid
)
SELECT st.k, st.b, s.id, q.qid, coalesce(sh.score, 0) AS score, coalesce(n.nkeys, 0) AS nkeys,
       coalesce(n.nunits, 0) AS nunits
  FROM settings st CROSS JOIN seqs s CROSS JOIN queries q
  LEFT JOIN shared sh ON sh.k = st.k AND sh.b = st.b AND sh.id = s.id AND sh.qid = q.qid
  LEFT JOIN n ON n.k = st.k AND n.b = st.b AND n.qid = q.qid
 WHERE length(q.q) >= st.k;
-- the oracle itself: degenerate windows and repeats do what they should
SELECT count(*) AS windows_kept FROM oracle_kmers('ACGTNRACGT', 8);
SELECT count(*) AS windows_dropped FROM oracle_kmers('ACGTNBACGT', 10);
SELECT max(j) AS polya_occurrences FROM oracle_keys(repeat('A', 300), 4, 16);
SELECT k, b, count(*) AS pairs, sum(score) AS total_score, count(*) FILTER (WHERE score > 0) AS pairs_sharing
  FROM oracle GROUP BY k, b ORDER BY k, b;

-- windows with degenerate codes count once in n: queries where n < keys
SELECT count(DISTINCT qid) AS queries, count(*) FILTER (WHERE nunits < nkeys) AS settings_n_below_keys
  FROM (SELECT DISTINCT k, b, qid, nkeys, nunits FROM oracle) o;

-- the C scores at every setting: dna4 for all, dna2 for pure ACGT sequences;
-- and with kmersearch.strand = both, the better strand's score and which
CREATE TABLE c_scores (k integer, b integer, id integer, qid integer, s4 integer, s2 integer, raw4 integer);
CREATE TABLE c_both (k integer, b integer, id integer, qid integer, raw4 integer, raw2 integer,
                     corr4 integer, strand4 text, strand2 text);
DO $$
DECLARE
    st record;
BEGIN
    FOR st IN SELECT k, b FROM settings ORDER BY k, b LOOP
        PERFORM set_config('kmersearch.kmer_size', st.k::text, true);
        PERFORM set_config('kmersearch.occur_bitlen', st.b::text, true);
        INSERT INTO c_scores
        SELECT st.k, st.b, s.id, q.qid,
               kmersearch_correctedscore(s.s::dna4, q.q),
               CASE WHEN s.pure THEN kmersearch_correctedscore(s.s::dna2, q.q) END,
               kmersearch_rawscore(s.s::dna4, q.q)
          FROM seqs s, queries q WHERE length(q.q) >= st.k;
        PERFORM set_config('kmersearch.strand', 'both', true);
        INSERT INTO c_both
        SELECT st.k, st.b, s.id, q.qid,
               kmersearch_rawscore(s.s::dna4, q.q),
               CASE WHEN s.pure THEN kmersearch_rawscore(s.s::dna2, q.q) END,
               kmersearch_correctedscore(s.s::dna4, q.q),
               kmersearch_strand(s.s::dna4, q.q),
               CASE WHEN s.pure THEN kmersearch_strand(s.s::dna2, q.q) END
          FROM seqs s, queries q WHERE length(q.q) >= st.k AND q.qid < 1000;
        PERFORM set_config('kmersearch.strand', 'plus', true);
    END LOOP;
END $$;
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE c.raw4 = greatest(p.score, m.score)) AS dna4_right,
       count(*) FILTER (WHERE c.corr4 = greatest(p.score, m.score)) AS corrected_right,
       count(*) FILTER (WHERE s.pure AND c.raw2 = greatest(p.score, m.score)) AS dna2_right,
       count(*) FILTER (WHERE s.pure) AS dna2_pairs,
       count(*) FILTER (WHERE c.strand4 = CASE WHEN m.score > p.score THEN '-' ELSE '+' END
                          AND (NOT s.pure OR c.strand2 = c.strand4)) AS strand_right,
       count(*) FILTER (WHERE m.score > p.score) AS minus_better
  FROM c_both c JOIN seqs s USING (id)
  JOIN oracle p ON p.k = c.k AND p.b = c.b AND p.id = c.id AND p.qid = c.qid
  JOIN oracle m ON m.k = c.k AND m.b = c.b AND m.id = c.id AND m.qid = c.qid + 1000;
SELECT o.k, o.b, count(*) AS pairs,
       count(*) FILTER (WHERE c.s4 = o.score) AS dna4_right,
       count(*) FILTER (WHERE s.pure AND c.s2 = o.score) AS dna2_right,
       count(*) FILTER (WHERE s.pure) AS dna2_pairs,
       count(*) FILTER (WHERE c.raw4 = o.score) AS rawscore_right
  FROM oracle o JOIN c_scores c USING (k, b, id, qid) JOIN seqs s USING (id)
 GROUP BY o.k, o.b ORDER BY o.k, o.b;
-- any disagreement, in full
SELECT o.k, o.b, o.id, o.qid, o.score AS oracle, c.s4, c.s2
  FROM oracle o JOIN c_scores c USING (k, b, id, qid) JOIN seqs s USING (id)
 WHERE c.s4 <> o.score OR (s.pure AND c.s2 <> o.score) OR c.raw4 <> o.score
 ORDER BY 1, 2, 3, 4 LIMIT 20;

-- the rows of =%: GIN index (bitmap), sequential and parallel sequential
-- scans agree with the oracle, at rate 0.5 and min_score 3, for every setting
CREATE TABLE t4 (id integer PRIMARY KEY, seq dna4);
INSERT INTO t4 SELECT id, s FROM seqs;
CREATE TABLE t2 (id integer PRIMARY KEY, seq dna2);
INSERT INTO t2 SELECT id, s FROM seqs WHERE pure;
ALTER TABLE t4 SET (parallel_workers = 2);
ALTER TABLE t2 SET (parallel_workers = 2);
CREATE TABLE matches (k integer, b integer, method text, typ text, qid integer, ids integer[]);
-- methods ending in "both" search with kmersearch.strand = both (the queries only, not their reverse complements)
CREATE FUNCTION collect_matches(k integer, b integer, method text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO matches
    SELECT k, b, method, 'dna4', q.qid,
           ARRAY(SELECT id FROM t4 WHERE seq =% q.q ORDER BY id)
      FROM queries q WHERE length(q.q) >= k AND (q.qid < 1000 OR method NOT LIKE '%both');
    INSERT INTO matches
    SELECT k, b, method, 'dna2', q.qid,
           ARRAY(SELECT id FROM t2 WHERE seq =% q.q ORDER BY id)
      FROM queries q WHERE length(q.q) >= k AND (q.qid < 1000 OR method NOT LIKE '%both');
END $$;
SET kmersearch.min_shared_ngram_key_rate = 0.5;
SET kmersearch.min_score = 3;
-- (queries all of whose windows are too degenerate at large k get a NOTICE; strands.sql tests it)
SET client_min_messages = warning;
DO $$
DECLARE
    st record;
BEGIN
    FOR st IN SELECT k, b FROM settings ORDER BY k, b LOOP
        PERFORM set_config('kmersearch.kmer_size', st.k::text, true);
        PERFORM set_config('kmersearch.occur_bitlen', st.b::text, true);
        CREATE INDEX t4_gin ON t4 USING gin (seq);
        CREATE INDEX t2_gin ON t2 USING gin (seq);
        PERFORM set_config('enable_seqscan', 'off', true);
        PERFORM collect_matches(st.k, st.b, 'index');
        PERFORM set_config('kmersearch.strand', 'both', true);
        PERFORM collect_matches(st.k, st.b, 'index, both');
        PERFORM set_config('enable_seqscan', 'on', true);
        PERFORM set_config('enable_bitmapscan', 'off', true);
        PERFORM set_config('max_parallel_workers_per_gather', '0', true);
        PERFORM collect_matches(st.k, st.b, 'seqscan, both');
        PERFORM set_config('kmersearch.strand', 'plus', true);
        PERFORM collect_matches(st.k, st.b, 'seqscan');
        PERFORM set_config('max_parallel_workers_per_gather', '2', true);
        PERFORM set_config('parallel_setup_cost', '0', true);
        PERFORM set_config('parallel_tuple_cost', '0', true);
        PERFORM set_config('min_parallel_table_scan_size', '0', true);
        PERFORM set_config('parallel_leader_participation', 'off', true);
        PERFORM collect_matches(st.k, st.b, 'parallel');
        PERFORM set_config('enable_bitmapscan', 'on', true);
        PERFORM set_config('max_parallel_workers_per_gather', '0', true);
        DROP INDEX t4_gin;
        DROP INDEX t2_gin;
    END LOOP;
END $$;
RESET client_min_messages;
-- the oracle's rows: score >= max(1, min_score, ceil(rate * n)), n the windows that give keys
CREATE TABLE oracle_matches AS
SELECT o.k, o.b, o.qid, 'dna4'::text AS typ,
       array_agg(o.id ORDER BY o.id) FILTER (WHERE o.score >= greatest(1, 3, ceil(0.5 * o.nunits))) AS ids
  FROM oracle o GROUP BY o.k, o.b, o.qid
UNION ALL
SELECT o.k, o.b, o.qid, 'dna2',
       array_agg(o.id ORDER BY o.id) FILTER (WHERE o.score >= greatest(1, 3, ceil(0.5 * o.nunits)))
  FROM oracle o JOIN seqs s USING (id) WHERE s.pure GROUP BY o.k, o.b, o.qid;
-- on both strands: the query's rows or its reverse complement's
CREATE TABLE oracle_matches_both AS
SELECT p.k, p.b, p.qid, p.typ,
       ARRAY(SELECT DISTINCT i FROM unnest(coalesce(p.ids, '{}') || coalesce(m.ids, '{}')) AS i ORDER BY i) AS ids
  FROM oracle_matches p JOIN oracle_matches m ON m.k = p.k AND m.b = p.b AND m.typ = p.typ AND m.qid = p.qid + 1000;
SELECT m.method, count(*) AS searches,
       count(*) FILTER (WHERE m.ids = coalesce(om.ids, '{}')) AS same_rows_as_oracle,
       sum(cardinality(m.ids)) AS rows_found
  FROM matches m JOIN (SELECT *, false AS both FROM oracle_matches UNION ALL
                       SELECT *, true FROM oracle_matches_both) om
    ON om.k = m.k AND om.b = m.b AND om.qid = m.qid AND om.typ = m.typ AND om.both = (m.method LIKE '%both')
 GROUP BY m.method ORDER BY m.method;
SELECT m.k, m.b, m.method, m.typ, m.qid, m.ids, om.ids AS oracle_ids
  FROM matches m JOIN (SELECT *, false AS both FROM oracle_matches UNION ALL
                       SELECT *, true FROM oracle_matches_both) om
    ON om.k = m.k AND om.b = m.b AND om.qid = m.qid AND om.typ = m.typ AND om.both = (m.method LIKE '%both')
 WHERE m.ids <> coalesce(om.ids, '{}') ORDER BY 1, 2, 3, 4, 5 LIMIT 20;

-- the plans those searches used, at one setting
SET kmersearch.kmer_size = 8;
SET kmersearch.occur_bitlen = 8;
CREATE INDEX t4_gin ON t4 USING gin (seq);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM t4 WHERE seq =% 'ACGTTGCANRACGTTGCATTGACC';
RESET enable_seqscan;
SET enable_bitmapscan = off;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT id FROM t4 WHERE seq =% 'ACGTTGCANRACGTTGCATTGACC';
RESET ALL;
DROP INDEX t4_gin;

DROP TABLE seqs, queries, settings, seq_keys, query_keys, oracle, c_scores, c_both, t4, t2, matches, oracle_matches,
    oracle_matches_both;
DROP FUNCTION collect_matches;
