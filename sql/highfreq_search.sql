--
-- A search with kmersearch.preclude_highfreq_kmer on and no cache loaded
-- leaves out the analysis of the table it reads, never another table's,
-- and is not ambiguous when several tables have analyses with the
-- session's settings.
--
SET max_parallel_maintenance_workers = 0;
CREATE TABLE hs_a (id integer PRIMARY KEY, seq dna2);
CREATE TABLE hs_b (id integer PRIMARY KEY, seq dna2);
-- each table's rows share a region of their own: its high-frequency k-mers
INSERT INTO hs_a
SELECT i, 'ACGTTGCAGGATCCATGCAAGCTT' ||
          (SELECT string_agg(substr('ACGT', 1 + (hashint4(i * 1000 + j) & 3), 1), '' ORDER BY j)
             FROM generate_series(1, 60) AS j)
  FROM generate_series(1, 200) AS i;
INSERT INTO hs_b
SELECT i, 'TTTTGGGGCCCCAAAATTGGCCAA' ||
          (SELECT string_agg(substr('ACGT', 1 + (hashint4(i * 7919 + j) & 3), 1), '' ORDER BY j)
             FROM generate_series(1, 60) AS j)
  FROM generate_series(1, 200) AS i;
SET client_min_messages = warning;
SELECT highfreq_kmers_count > 0 AS found FROM kmersearch_perform_highfreq_analysis('hs_a', 'seq');
SELECT highfreq_kmers_count > 0 AS found FROM kmersearch_perform_highfreq_analysis('hs_b', 'seq');
RESET client_min_messages;
SELECT overlay(seq::text PLACING 'T' FROM 40) AS q FROM hs_a WHERE id = 42 \gset
SET kmersearch.preclude_highfreq_kmer = on;
SET kmersearch.min_shared_ngram_key_rate = 0.5;

-- the scores of hs_a's rows with hs_a's analysis left out, then with
-- hs_b's, each loaded into the cache
SELECT kmersearch_highfreq_kmer_cache_load('hs_a', 'seq');
CREATE TEMP TABLE with_a AS SELECT id, kmersearch_rawscore(seq, :'q') AS score, seq =% :'q' AS hit FROM hs_a;
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;
SELECT kmersearch_highfreq_kmer_cache_load('hs_b', 'seq');
CREATE TEMP TABLE with_b AS SELECT id, kmersearch_rawscore(seq, :'q') AS score, seq =% :'q' AS hit FROM hs_a;
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;

-- no cache: a scan of hs_a leaves out hs_a's analysis (the scores of every
-- row are those with hs_a's, not those with hs_b's)
SET enable_indexscan = off;
SET enable_bitmapscan = off;
WITH x AS MATERIALIZED (SELECT id, kmersearch_rawscore(seq, :'q') AS score, seq =% :'q' AS hit FROM hs_a)
SELECT count(*) AS rows,
       count(*) FILTER (WHERE a.score = x.score AND a.hit = x.hit) AS as_with_a,
       count(*) FILTER (WHERE b.score = x.score AND b.hit = x.hit) AS as_with_b,
       count(*) FILTER (WHERE x.hit) AS hits
  FROM x JOIN with_a a USING (id) JOIN with_b b USING (id);
SELECT array_agg(id ORDER BY id) AS scan_hits FROM hs_a WHERE seq =% :'q';
-- ... also where the score is computed above joins (the column followed
-- down to the scan of hs_a), whichever join the planner picks
SELECT count(*) FILTER (WHERE w.score = x.score) AS as_with_a, count(*) AS rows
  FROM (SELECT a.id, kmersearch_rawscore(a.seq, :'q') AS score FROM hs_a a JOIN hs_b b USING (id)) x
  JOIN with_a w USING (id);
SET enable_hashjoin = off;
SELECT count(*) FILTER (WHERE w.score = x.score) AS as_with_a, count(*) AS rows
  FROM (SELECT a.id, kmersearch_rawscore(a.seq, :'q') AS score FROM hs_b b JOIN hs_a a USING (id)) x
  JOIN with_a w USING (id);
RESET enable_hashjoin;
CREATE TEMP TABLE joined AS
SELECT a.id, kmersearch_rawscore(a.seq, :'q') AS score FROM hs_a a JOIN hs_b b ON b.id = a.id;
SELECT count(*) FILTER (WHERE w.score = j.score) AS as_with_a, count(*) AS rows FROM joined j JOIN with_a w USING (id);
DROP TABLE joined;
RESET enable_indexscan;
RESET enable_bitmapscan;

-- ... and so does a search through an index that leaves it out (the
-- planner uses it: it is the table's analysis), with the same rows
CREATE INDEX hs_a_excl ON hs_a USING gin (seq);
-- uses(q): whether the plan of a search of hs_a for q uses hs_a_excl
CREATE FUNCTION uses(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT id FROM hs_a WHERE seq =%% %L', q) LOOP
        IF line LIKE '%hs_a_excl%' THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END $$;
SET enable_seqscan = off;
SELECT uses('ACGTTGCAGGATCCATGCAAGCTTACGT');
SELECT array_agg(id ORDER BY id) AS index_hits FROM hs_a WHERE seq =% :'q';
-- hs_a's index is not used in a session whose cache holds hs_b's
-- analysis (it would leave out other k-mers)
SELECT kmersearch_highfreq_kmer_cache_load('hs_b', 'seq');
SELECT uses('ACGTTGCAGGATCCATGCAAGCTTACGT');
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;
RESET enable_seqscan;

-- scores of values that are no table's column keep the rule of a session
-- without a table: the single analysis with the session's settings (here
-- two: load the one to use)
\set VERBOSITY terse
SELECT kmersearch_rawscore('ACGTTGCAGGATCCATGCAAGCTTACGT'::dna2, 'ACGTTGCAGGATCCATGCAAGCTT');
\set VERBOSITY default
SELECT kmersearch_highfreq_kmer_cache_load('hs_a', 'seq');
SELECT kmersearch_rawscore('ACGTTGCAGGATCCATGCAAGCTTACGT'::dna2, 'ACGTTGCAGGATCCATGCAAGCTT');
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;

-- a kmer index that leaves the analysis out: the checker finds each row's
-- keys among the index's (such an index may hold more: a row indexed while
-- the analysis was missing has them all)
CREATE INDEX hs_a_kmer ON hs_a USING kmer (seq);
SELECT pg_get_indexdef('hs_a_kmer'::regclass) ~ 'highfreq_source=''[0-9]+''' AS leaves_out;
SELECT kmersearch_kmer_index_check('hs_a_kmer', true);
DROP INDEX hs_a_kmer;

-- a table with no analysis: the search says so
CREATE TABLE hs_c (id integer, seq dna2);
INSERT INTO hs_c VALUES (1, 'ACGTTGCAGGATCCATGCAAGCTT');
SELECT id FROM hs_c WHERE seq =% 'ACGTTGCAGGATCCATGCAAGCTT';

RESET kmersearch.preclude_highfreq_kmer;
RESET kmersearch.min_shared_ngram_key_rate;
DROP FUNCTION uses;
DROP TABLE hs_a, hs_b, hs_c, with_a, with_b;
