--
-- Strands: reverse complements, searches on both strands, degenerate queries
-- counted by window, and queries with nothing to search with.
--

-- reverse complements: every IUPAC code, U read as T, either case
SELECT kmersearch_revcomp('ACGTRYKMBVDHSWN'::dna4) AS dna4,
       kmersearch_revcomp('ACGTTGCAA'::dna2) AS dna2,
       kmersearch_revcomp('acgtuRYkmbvdhswn'::text) AS text;
-- every length up to 9 (the padding of both types), and the empty sequence
SELECT n, kmersearch_revcomp(substr('ACGGTCATG', 1, n)::dna2)::text AS dna2,
       kmersearch_revcomp(substr('ACGGTCANR', 1, n)::dna4)::text AS dna4
  FROM generate_series(0, 9) AS n ORDER BY n;
-- the complement of each base against an independent rule, twice is the identity
WITH s AS (
    SELECT i, (SELECT string_agg(substr('ACGTMRWSYKVHDBN', 1 + (hashint4(i * 1000 + j) & 1023) % 15, 1), '' ORDER BY j)
                 FROM generate_series(1, 1 + i % 300) AS j) AS t
      FROM generate_series(1, 300) AS i
)
SELECT count(*) AS sequences,
       count(*) FILTER (WHERE kmersearch_revcomp(t::dna4)::text = reverse(translate(t, 'ACGTMRWSYKVHDBN', 'TGCAKYWSRMBDHVN'))) AS dna4_right,
       count(*) FILTER (WHERE kmersearch_revcomp(kmersearch_revcomp(t::dna4)) = t::dna4) AS dna4_twice,
       count(*) FILTER (WHERE kmersearch_revcomp(t) = reverse(translate(t, 'ACGTMRWSYKVHDBN', 'TGCAKYWSRMBDHVN'))) AS text_right,
       count(*) FILTER (WHERE kmersearch_revcomp(translate(t, 'MRWSYKVHDBN', 'ACGTACGTACG')::dna2)::text
                              = reverse(translate(t, 'ACGTMRWSYKVHDBN', 'TGCATGCATGCATGC'))) AS dna2_right
  FROM s;
SELECT kmersearch_revcomp('ACGT-ACGT'::text);
SELECT kmersearch_revcomp(NULL::dna2) IS NULL AS strict;

-- a bad query names its bad letter, whatever its length
SELECT kmersearch_rawscore('ACGTACGTACGTACGTACGT'::dna4, 'ACGT...');
SELECT 'ACGTACGTACGTACGTACGT'::dna4 =% 'ACGTACGTACGTACGTACGTAC.GT';
SELECT 'ACGTACGTACGTACGTACGT'::dna4 =% 'ACGTACGT';

-- the reference: 500 pseudo-random 150-base sequences; rows 1001-1100
-- hold the reverse complements of rows 1-100
CREATE TABLE strand_ref (id integer PRIMARY KEY, seq dna4);
INSERT INTO strand_ref
SELECT i, (SELECT string_agg(substr('ACGT', 1 + (hashint4(i * 7919 + j) & 3), 1), '' ORDER BY j)
             FROM generate_series(1, 150) AS j)
  FROM generate_series(1, 500) AS i;
INSERT INTO strand_ref SELECT id + 1000, kmersearch_revcomp(seq) FROM strand_ref WHERE id <= 100;
CREATE INDEX strand_ref_gin ON strand_ref USING gin (seq);
ANALYZE strand_ref;
-- queries: 100-base pieces of rows 1-100 with two substitutions, every
-- other one reverse complemented (reads come from either strand)
CREATE TABLE reads (rid integer PRIMARY KEY, q text, minus boolean);
INSERT INTO reads
SELECT id, CASE WHEN id % 2 = 0 THEN kmersearch_revcomp(r) ELSE r END, id % 2 = 0
  FROM (SELECT id, overlay(overlay(substr(seq::text, 21, 100) PLACING 'A' FROM 30) PLACING 'C' FROM 70) AS r
          FROM strand_ref WHERE id <= 100) s;
SET kmersearch.min_shared_ngram_key_rate = 0.5;

-- one strand: a minus-strand read finds only the reverse complement row
CREATE FUNCTION hits(method text) RETURNS TABLE (rid integer, ids integer[]) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('enable_seqscan', CASE WHEN method = 'index' THEN 'off' ELSE 'on' END, true);
    PERFORM set_config('enable_bitmapscan', CASE WHEN method = 'index' THEN 'on' ELSE 'off' END, true);
    RETURN QUERY SELECT r.rid, ARRAY(SELECT s.id FROM strand_ref s WHERE s.seq =% r.q ORDER BY s.id) FROM reads r;
END $$;
CREATE FUNCTION uses_index(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) SELECT id FROM strand_ref WHERE seq =% ' || quote_literal(q) LOOP
        IF line LIKE '%Bitmap Index Scan on strand_ref_gin%' THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END $$;
SELECT minus, count(*) AS reads,
       count(*) FILTER (WHERE ids = ARRAY[rid]) AS found_row,
       count(*) FILTER (WHERE ids = ARRAY[rid + 1000]) AS found_revcomp_row
  FROM hits('index') JOIN reads USING (rid) GROUP BY minus ORDER BY minus;
-- both strands: every read finds its row and that row's reverse complement,
-- through the index as through a scan
-- ('both' is an SQL key word: quote it)
SET kmersearch.strand = both;
SET kmersearch.strand = 'both';
SHOW kmersearch.strand;
SET enable_seqscan = off;
SELECT uses_index(q) AS index_used FROM reads WHERE rid = 2;
RESET enable_seqscan;
SELECT count(*) AS reads, count(*) FILTER (WHERE i.ids = ARRAY[i.rid, i.rid + 1000]) AS found_both,
       count(*) FILTER (WHERE i.ids = s.ids) AS index_equals_scan
  FROM hits('index') i JOIN hits('seqscan') s USING (rid);
-- the score is the better strand's, and kmersearch_strand says which
SELECT r.minus, count(*) AS pairs,
       count(*) FILTER (WHERE kmersearch_strand(s.seq, r.q) = CASE WHEN r.minus THEN '-' ELSE '+' END) AS strand_right,
       count(*) FILTER (WHERE kmersearch_rawscore(s.seq, r.q) = kmersearch_rawscore(s.seq, kmersearch_revcomp(r.q))) AS same_as_revcomp_query,
       min(kmersearch_rawscore(s.seq, r.q)) AS min_score, max(kmersearch_rawscore(s.seq, r.q)) AS max_score
  FROM reads r JOIN strand_ref s ON s.id = r.rid GROUP BY r.minus ORDER BY r.minus;
SET kmersearch.strand = plus;
SELECT r.minus, min(kmersearch_rawscore(s.seq, r.q)) AS min_plus_score, max(kmersearch_rawscore(s.seq, r.q)) AS max_plus_score,
       count(*) FILTER (WHERE kmersearch_strand(s.seq, r.q) = CASE WHEN r.minus THEN '-' ELSE '+' END) AS strand_right
  FROM reads r JOIN strand_ref s ON s.id = r.rid GROUP BY r.minus ORDER BY r.minus;
-- a table of reads joined against the references: dna4 =% dna4 and
-- dna2 =% dna4, through the index (a parameterized scan for each read) and
-- by a scan, the same rows as the text queries; with the best hit per read
-- and the reads without one
CREATE TABLE reads4 AS SELECT rid, q::dna4 AS seq, q::dna2 AS seq2 FROM reads;
INSERT INTO reads4 VALUES (999, repeat('ACGT', 30)::dna4, repeat('ACGT', 30)::dna2);
SET kmersearch.strand = 'both';
SET enable_seqscan = off;
DO $$
DECLARE
    line text;
    found boolean := false;
BEGIN
    FOR line IN EXPLAIN (COSTS OFF) SELECT r.rid, s.id FROM reads4 r JOIN strand_ref s ON s.seq =% r.seq LOOP
        found := found OR line LIKE '%Bitmap Index Scan on strand_ref_gin%';
    END LOOP;
    RAISE NOTICE 'join through the index: %', found;
END $$;
CREATE TABLE join_index AS SELECT r.rid, s.id FROM reads4 r JOIN strand_ref s ON s.seq =% r.seq;
RESET enable_seqscan;
SET enable_bitmapscan = off;
SET enable_indexscan = off;
CREATE TABLE join_scan AS SELECT r.rid, s.id FROM reads4 r JOIN strand_ref s ON s.seq =% r.seq2;
RESET enable_bitmapscan;
RESET enable_indexscan;
SELECT (SELECT count(*) FROM join_index) AS index_pairs,
       (SELECT count(*) FROM (SELECT * FROM join_index EXCEPT SELECT * FROM join_scan) d) AS index_not_scan,
       (SELECT count(*) FROM (SELECT * FROM join_scan EXCEPT SELECT * FROM join_index) d) AS scan_not_index,
       (SELECT count(*) FROM join_index j JOIN reads r USING (rid) JOIN strand_ref s USING (id)
         WHERE NOT (s.seq =% r.q)) AS not_as_text;
SELECT r.rid, best.id, best.strand, best.score
  FROM reads4 r
  LEFT JOIN LATERAL (SELECT s.id, kmersearch_strand(s.seq, r.seq) AS strand, kmersearch_rawscore(s.seq, r.seq) AS score
                       FROM strand_ref s WHERE s.seq =% r.seq
                      ORDER BY score DESC, s.id LIMIT 1) best ON true
 WHERE r.rid IN (1, 2, 999) ORDER BY r.rid;
SELECT kmersearch_rawscore('ACGTACGTACGTACGTAC'::dna2, 'ACGTACGTACGTACGTAC'::dna4) AS dna2_dna4,
       kmersearch_correctedscore('ACGTACGTACGTACGTAC'::dna4, 'ACGTACGTACGTACGTAC'::dna2) AS dna4_dna2,
       'ACGTACGTACGTACGTAC'::dna4 =% 'ACGTACGTACGTACGTAC'::dna4 AS match;
RESET kmersearch.strand;
DROP TABLE reads4, join_index, join_scan;

SET kmersearch.strand = minus;
SET kmersearch.strand = '';
RESET kmersearch.strand;

-- a degenerate window counts once: a read with a few IUPAC codes reaches
-- the rate its resolved form reaches (at 0.9; 1.0 counted every expansion)
SET kmersearch.min_shared_ngram_key_rate = 0.9;
-- (an N, and an R or a Y, a K or an M, as the base they replace allows)
SELECT c AS clean,
       overlay(overlay(overlay(c PLACING 'N' FROM 20)
                       PLACING CASE WHEN substr(c, 60, 1) IN ('A', 'G') THEN 'R' ELSE 'Y' END FROM 60)
               PLACING CASE WHEN substr(c, 100, 1) IN ('G', 'T') THEN 'K' ELSE 'M' END FROM 100) AS degenerate
  FROM (SELECT substr(seq::text, 1, 120) AS c FROM strand_ref WHERE id = 7) s \gset
SELECT kmersearch_correctedscore(seq, :'clean') AS clean_score, kmersearch_correctedscore(seq, :'degenerate') AS degenerate_score
  FROM strand_ref WHERE id = 7;
SELECT ARRAY(SELECT id FROM strand_ref WHERE seq =% :'clean' ORDER BY id) AS clean_hits,
       ARRAY(SELECT id FROM strand_ref WHERE seq =% :'degenerate' ORDER BY id) AS degenerate_hits;
SET enable_seqscan = off;
SELECT uses_index(:'degenerate') AS index_used,
       ARRAY(SELECT id FROM strand_ref WHERE seq =% :'degenerate' ORDER BY id) AS degenerate_index_hits;
RESET enable_seqscan;

-- a query with no k-mers to search with says so (once a statement), through
-- a scan and through the index; the scores are 0, without a notice
SELECT count(*) FROM strand_ref WHERE seq =% repeat('N', 40);
SET enable_seqscan = off;
SELECT count(*) FROM strand_ref WHERE seq =% repeat('ACGTN', 10);
RESET enable_seqscan;
SET kmersearch.strand = 'both';
SELECT count(*) FROM strand_ref WHERE seq =% repeat('RYN', 30);
RESET kmersearch.strand;
SELECT max(kmersearch_rawscore(seq, repeat('N', 40))) AS rawscore FROM strand_ref;
-- at a smaller k the same query has k-mers: no notice
SET kmersearch.kmer_size = 4;
SELECT count(*) FROM strand_ref WHERE seq =% repeat('ACGTN', 10);
SELECT max(kmersearch_rawscore(seq, repeat('ACGTN', 10))) AS rawscore FROM strand_ref;
RESET kmersearch.kmer_size;

RESET kmersearch.min_shared_ngram_key_rate;
DROP TABLE strand_ref, reads;
DROP FUNCTION hits(text), uses_index(text);
