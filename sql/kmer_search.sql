--
-- k-mer search: bad queries, index settings safety, DML, index metadata,
-- caches, and the planner choosing the GIN index.
--
-- sequences: 3,000 pseudo-random 200-base sequences, some degenerate
CREATE TABLE ref (id integer PRIMARY KEY, seq dna4);
INSERT INTO ref
SELECT i, (SELECT string_agg(substr('ACGT', 1 + (hashint4(i * 1000 + j) & 3), 1), '' ORDER BY j)
             FROM generate_series(1, 200) AS j)
  FROM generate_series(1, 3000) AS i;
UPDATE ref SET seq = overlay(seq::text PLACING 'NR' FROM 50)::dna4 WHERE id % 10 = 0;
ANALYZE ref;
-- a query: a 120-base piece of row 42 with two changes
SELECT overlay(overlay(substr(seq::text, 31, 120) PLACING 'T' FROM 40) PLACING 'G' FROM 80) AS q
  FROM ref WHERE id = 42 \gset

-- bad queries
SELECT count(*) FROM ref WHERE seq =% 'ACGTACGT';
SELECT kmersearch_rawscore('ACGTACGTACGTACGTACGT'::dna2, 'ACGTACGTACGTACG');
SELECT kmersearch_rawscore('ACGTACGTACGTACGTACGT'::dna2, 'ACGTACGTACGTACGTXCG');
SELECT kmersearch_correctedscore('ACGTACGTACGTACGTACGT'::dna4, '');
SELECT kmersearch_rawscore('ACGTACGTACGTACGTACGT'::dna2, NULL) IS NULL AS null_query,
       kmersearch_rawscore(NULL::dna2, 'ACGTACGTACGTACGTACGT') IS NULL AS null_seq,
       (NULL::dna4 =% 'ACGTACGTACGTACGTACGT') IS NULL AS null_match;
-- settings are range-checked
SET kmersearch.kmer_size = 3;
SET kmersearch.kmer_size = 33;
SET kmersearch.occur_bitlen = 17;
SET kmersearch.min_shared_ngram_key_rate = 1.5;
SET kmersearch.min_score = -1;
SET kmersearch.rawscore_cache_max_entries = 999;

-- a sequential scan finds row 42
SET kmersearch.min_shared_ngram_key_rate = 0.5;
SELECT id, kmersearch_rawscore(seq, :'q') AS score FROM ref WHERE seq =% :'q';

-- the planner picks the GIN index with default planner settings
CREATE INDEX ref_gin ON ref USING gin (seq);
EXPLAIN (COSTS OFF) SELECT id FROM ref WHERE seq =% :'q';
SELECT id, kmersearch_rawscore(seq, :'q') AS score FROM ref WHERE seq =% :'q';
-- the index keeps its settings in its definition and its metadata
SELECT pg_get_indexdef('ref_gin'::regclass) AS definition;
SELECT index_oid::regclass, table_oid::regclass, column_name, highfreq_filtered, kmer_size, occur_bitlen
  FROM kmersearch_gin_index_meta;
SELECT index_oid::regclass, table_oid::regclass, column_name, kmer_size, occur_bitlen, total_nrow, highfreq_kmer_count
  FROM kmersearch_index_info;

-- a session with other settings never gets rows from that index: the
-- planner leaves it out (even with sequential scans disabled), and the rows
-- are the sequential scan's under the session's settings
SET kmersearch.kmer_size = 8;
SET enable_seqscan = off;
SELECT plan(format('SELECT id FROM ref WHERE seq =%% %L', :'q'));
SELECT array_agg(id ORDER BY id) AS k8_rows FROM ref WHERE seq =% :'q';
RESET enable_seqscan;
SET enable_indexscan = off; SET enable_bitmapscan = off;
SELECT array_agg(id ORDER BY id) AS k8_seqscan_rows FROM ref WHERE seq =% :'q';
RESET enable_indexscan; RESET enable_bitmapscan;
SET kmersearch.kmer_size = 16;
SET kmersearch.occur_bitlen = 4;
SET enable_seqscan = off;
SELECT plan(format('SELECT id FROM ref WHERE seq =%% %L', :'q'));
RESET enable_seqscan;
RESET kmersearch.occur_bitlen;
-- a statement prepared with the index is planned again after a SET
SET plan_cache_mode = force_generic_plan;
-- (the rows are sorted below the aggregate: the same plan on every version)
PREPARE search(text) AS SELECT array_agg(id) FROM (SELECT id FROM ref WHERE seq =% $1 ORDER BY id) s;
EXPLAIN (COSTS OFF) EXECUTE search(:'q');
EXECUTE search(:'q');
SET kmersearch.kmer_size = 12;
EXPLAIN (COSTS OFF) EXECUTE search(:'q');
EXECUTE search(:'q');
RESET plan_cache_mode;
SET enable_indexscan = off; SET enable_bitmapscan = off;
SELECT array_agg(id ORDER BY id) AS k12_seqscan_rows FROM ref WHERE seq =% :'q';
RESET enable_indexscan; RESET enable_bitmapscan;
DEALLOCATE search;

-- rows written from a session with other settings are indexed with the
-- index's: a copy of row 42 inserted at k = 12 is found at k = 16
INSERT INTO ref SELECT 5000, seq FROM ref WHERE id = 42;
UPDATE ref SET seq = (SELECT seq FROM ref WHERE id = 42) WHERE id = 7;
SET kmersearch.kmer_size = 16;
SET enable_seqscan = off;
SELECT array_agg(id ORDER BY id) AS index_rows FROM ref WHERE seq =% :'q';
RESET enable_seqscan;
SET enable_indexscan = off; SET enable_bitmapscan = off;
SELECT array_agg(id ORDER BY id) AS seqscan_rows FROM ref WHERE seq =% :'q';
RESET enable_indexscan; RESET enable_bitmapscan;

-- DML interleaved with VACUUM: the index answers as a sequential scan does
CREATE FUNCTION index_vs_scan(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    by_index integer[];
    by_scan integer[];
BEGIN
    SET LOCAL enable_seqscan = off;
    SELECT array_agg(id ORDER BY id) INTO by_index FROM ref WHERE seq =% q;
    SET LOCAL enable_seqscan = on;
    SET LOCAL enable_bitmapscan = off;
    SET LOCAL enable_indexscan = off;
    SELECT array_agg(id ORDER BY id) INTO by_scan FROM ref WHERE seq =% q;
    RETURN CASE WHEN by_index IS NOT DISTINCT FROM by_scan THEN 'same: ' || coalesce(by_scan::text, '{}')
                ELSE 'DIFFERENT: index ' || coalesce(by_index::text, '{}') || ' scan ' || coalesce(by_scan::text, '{}') END;
END $$;
SELECT index_vs_scan(:'q');
DELETE FROM ref WHERE id = 42;
SELECT index_vs_scan(:'q');
INSERT INTO ref SELECT 6000 + i, :'q' FROM generate_series(1, 3) AS i;
UPDATE ref SET seq = 'ACGT' WHERE id = 6002;
SELECT index_vs_scan(:'q');
VACUUM ref;
SELECT index_vs_scan(:'q');
DELETE FROM ref WHERE id >= 5000;
VACUUM ref;
SELECT index_vs_scan(:'q');
COPY ref FROM STDIN;
7001	ACGTTGCAACGTTGCAACGTTGCAACGTTGCAACGTTGCA
7002	NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN
\.
UPDATE ref SET seq = seq WHERE id % 7 = 0;
SELECT index_vs_scan(:'q');
SELECT index_vs_scan('ACGTTGCAACGTTGCAACGTTGCAACGTTGCA');

-- caches: the score of =% is reused by rawscore, queries are parsed once
SELECT kmersearch_rawscore_cache_free() >= 0 AS freed, kmersearch_query_pattern_cache_free() >= 0 AS freed,
       kmersearch_actual_min_score_cache_free() >= 0 AS freed;
SET enable_indexscan = off; SET enable_bitmapscan = off;
SELECT id, kmersearch_rawscore(seq, :'q') FROM ref WHERE seq =% :'q' ORDER BY 2 DESC, id;
SELECT dna4_hits > 0 AS reused, dna4_entries, dna4_max_entries FROM kmersearch_rawscore_cache_stats();
SELECT current_entries, max_entries FROM kmersearch_query_pattern_cache_stats();
SELECT cache_type, total_entries > 0 AS has_entries, total_hits + total_misses > 0 AS used
  FROM kmersearch_cache_summary ORDER BY cache_type;
RESET enable_indexscan; RESET enable_bitmapscan;
-- a setting the entries depend on empties the caches
SET kmersearch.kmer_size = 12;
SELECT cache_type, total_entries FROM kmersearch_cache_summary ORDER BY cache_type;
RESET kmersearch.kmer_size;
-- the caches stay within their bounds, evicting the least recently used
SET kmersearch.query_pattern_cache_max_entries = 1000;
SELECT sum(kmersearch_rawscore('ACGTACGTACGTACGTACGTACGT'::dna2,
                               'ACGTACGTACGTACGT' || translate(md5(i::text), '0123456789abcdef', 'ACGTACGTACGTACGT')))
  FROM generate_series(1, 1500) AS i;
SELECT current_entries, max_entries FROM kmersearch_query_pattern_cache_stats();
SELECT kmersearch_query_pattern_cache_free() AS freed;

-- exclusion of high-frequency k-mers needs an analysis: without one, index
-- and sequential searches alike refuse
SET kmersearch.preclude_highfreq_kmer = on;
SELECT count(*) FROM ref WHERE seq =% :'q';
SET enable_bitmapscan = off;
SELECT count(*) FROM ref WHERE seq =% :'q';
RESET enable_bitmapscan;
RESET kmersearch.preclude_highfreq_kmer;

-- dropping the index forgets it
DROP INDEX ref_gin;
SELECT count(*) AS meta_rows FROM kmersearch_gin_index_meta;
SELECT count(*) AS info_rows FROM kmersearch_index_info;

-- an index created with explicit settings, on a partitioned table: every
-- partition's index keeps them
CREATE TABLE pref (id integer, seq dna2) PARTITION BY HASH (seq);
CREATE TABLE pref_0 PARTITION OF pref FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE pref_1 PARTITION OF pref FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO pref SELECT id, seq::dna2 FROM ref WHERE seq::text !~ '[^ACGT]' AND id <= 200;
CREATE INDEX pref_gin ON pref USING gin (seq kmersearch_dna2_gin_ops (kmer_size = 12));
SELECT c.relname, a.attoptions FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relname LIKE 'pref%gin%' OR c.relname LIKE 'pref%seq_idx' ORDER BY 1;
SELECT kmer_size, occur_bitlen, count(*) AS indexes FROM kmersearch_gin_index_meta GROUP BY 1, 2;
-- partitions created or attached later get the same index and settings
DROP TABLE pref_1;
CREATE TABLE pref_1 PARTITION OF pref FOR VALUES WITH (MODULUS 2, REMAINDER 1);
ALTER TABLE pref DETACH PARTITION pref_0;
CREATE TABLE pref_0b (LIKE pref);
ALTER TABLE pref ATTACH PARTITION pref_0b FOR VALUES WITH (MODULUS 2, REMAINDER 0);
SELECT c.relname, a.attoptions FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relname LIKE 'pref%gin%' OR c.relname LIKE 'pref%seq_idx' ORDER BY 1;
SELECT kmer_size, occur_bitlen, count(*) AS indexes FROM kmersearch_gin_index_meta GROUP BY 1, 2;
DROP TABLE pref, pref_0;
SELECT count(*) AS meta_rows FROM kmersearch_gin_index_meta;

DROP TABLE ref;
DROP FUNCTION index_vs_scan;

-- an index on an expression, and one with two kmersearch columns: every
-- such column keeps its settings
CREATE TABLE mc (id integer, a dna2, b dna4);
INSERT INTO mc VALUES (1, 'ACGTTGCAACGTTGCAACGT', 'ACGTTGCAACGTTGCAACGT');
SET kmersearch.kmer_size = 12;
CREATE INDEX mc_expr ON mc USING gin ((b::text::dna4));
CREATE INDEX mc_two ON mc USING gin (a, b);
SELECT c.relname, a.attnum, a.attoptions FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relname IN ('mc_expr', 'mc_two') ORDER BY 1, 2;
SELECT index_oid::regclass, column_name, kmer_size FROM kmersearch_gin_index_meta ORDER BY 1::text;
-- rows added at other settings, searched on the second column
RESET kmersearch.kmer_size;
INSERT INTO mc VALUES (2, 'TTGCAACGTTGCAACGTACG', 'TTGCAACGTTGCAACGTACG');
SET kmersearch.kmer_size = 12;
SET enable_seqscan = off;
SELECT array_agg(id ORDER BY id) AS via_index FROM mc WHERE b =% 'ACGTTGCAACGTTGCAACGTACG';
RESET enable_seqscan;
SET enable_bitmapscan = off;
SELECT array_agg(id ORDER BY id) AS via_scan FROM mc WHERE b =% 'ACGTTGCAACGTTGCAACGTACG';
RESET enable_bitmapscan;
RESET kmersearch.kmer_size;

-- a join clause cannot be kept off an index with other settings by the
-- estimator; the index then returns every row for a recheck
CREATE TABLE qs (q text);
INSERT INTO qs VALUES ('ACGTTGCAACGTTGCAACGTACG');
SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off;
SELECT array_agg(mc.id ORDER BY mc.id) AS joined FROM qs, mc WHERE mc.b =% qs.q;
RESET enable_seqscan; RESET enable_hashjoin; RESET enable_mergejoin;
SET enable_bitmapscan = off;
SELECT array_agg(mc.id ORDER BY mc.id) AS joined_by_scan FROM qs, mc WHERE mc.b =% qs.q;
RESET enable_bitmapscan;

-- CREATE INDEX CONCURRENTLY takes the session's settings, as CREATE INDEX does
SET kmersearch.kmer_size = 12;
CREATE INDEX CONCURRENTLY mc_cic ON mc USING gin (b);
RESET kmersearch.kmer_size;
SELECT kmer_size, occur_bitlen FROM kmersearch_gin_index_meta WHERE index_oid = 'mc_cic'::regclass;

-- the metadata triggers act as the extension's owner, but nothing the
-- user defines runs with those rights (search_path is pinned)
CREATE ROLE regress_kmersearch_user;
GRANT CREATE ON SCHEMA public TO regress_kmersearch_user;
SET ROLE regress_kmersearch_user;
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT 'epoch'::timestamptz $$;
SET search_path = public, pg_catalog;
CREATE TABLE mine (seq dna4);
CREATE INDEX mine_gin ON mine USING gin (seq);
SELECT created_at > 'epoch' AS real_now FROM kmersearch_gin_index_meta WHERE index_oid = 'mine_gin'::regclass;
INSERT INTO kmersearch_gin_index_meta VALUES (1, 1, 'x', false, NULL, 16, 8, 0, 0, now());
DROP TABLE mine;
DROP FUNCTION public.now();
RESET search_path;
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM regress_kmersearch_user;
DROP ROLE regress_kmersearch_user;
DROP TABLE mc, qs;
SELECT count(*) AS meta_rows FROM kmersearch_gin_index_meta;
