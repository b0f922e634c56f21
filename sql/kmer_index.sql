--
-- The kmer access method: the rows of a sequential scan for dna2 and dna4,
-- on both strands, by rate and by identity, through inserts (pending rows),
-- flushes into segments, updates, deletes and VACUUM; its definition, the
-- planner's choice, and what it refuses.
--
-- 4,000 pseudo-random 150-base sequences in 97 families: the first 75 bases
-- are the family's, the rest the row's; some with degenerate codes
CREATE TABLE kr (id integer PRIMARY KEY, seq dna4);
INSERT INTO kr
SELECT i, (SELECT string_agg(substr('ACGT', 1 + (hashint4(CASE WHEN j <= 75 THEN (i % 97) * 1000 + j
                                                              ELSE i * 1000 + j END) & 3), 1), '' ORDER BY j)
             FROM generate_series(1, 150) AS j)
  FROM generate_series(1, 4000) AS i;
UPDATE kr SET seq = overlay(seq::text PLACING 'NRY' FROM 30)::dna4 WHERE id % 13 = 0;
ANALYZE kr;
-- queries: pieces of rows with changes, on either strand
CREATE TABLE kq (name text PRIMARY KEY, query text);
INSERT INTO kq
SELECT 'q' || i,
       CASE WHEN i % 2 = 0 THEN q ELSE kmersearch_revcomp(q) END
  FROM (SELECT i, overlay(substr(seq::text, 1 + i % 40, 100) PLACING 'A' FROM 50) AS q
          FROM kr, generate_series(1, 12) AS i WHERE kr.id = i * 251) s;

-- same(): whether the index and a sequential scan of table tbl give the
-- same rows for every query of kq, under the settings given (name = value
-- pairs); the rows found, or the differences
CREATE FUNCTION same(tbl regclass, settings text[] DEFAULT '{}') RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    i int;
    by_index text;
    by_scan text;
    n bigint;
    q text := format('SELECT string_agg(name || '':'' || id, '','' ORDER BY name, id), count(*)
                        FROM kq, LATERAL (SELECT id FROM %s WHERE seq =%% kq.query) r', tbl);
BEGIN
    FOR i IN 1 .. coalesce(array_length(settings, 1), 0) BY 2 LOOP
        PERFORM set_config(settings[i], settings[i + 1], true);
    END LOOP;
    PERFORM set_config('enable_seqscan', 'off', true);
    EXECUTE q INTO by_index, n;
    PERFORM set_config('enable_seqscan', 'on', true);
    PERFORM set_config('enable_bitmapscan', 'off', true);
    EXECUTE q INTO by_scan;
    PERFORM set_config('enable_bitmapscan', 'on', true);
    IF by_index IS NOT DISTINCT FROM by_scan THEN
        RETURN 'same ' || n || ' rows';
    END IF;
    RETURN 'index: ' || coalesce(by_index, '') || ' scan: ' || coalesce(by_scan, '');
END $$;

-- a build with little memory: many runs, merged into one segment
SET maintenance_work_mem = '1MB';
CREATE INDEX kr_kmer ON kr USING kmer (seq);
RESET maintenance_work_mem;
SELECT segments, segment_rows, pending_rows, pending_bytes FROM kmersearch_kmer_index_stats('kr_kmer');
SELECT kmersearch_kmer_index_check('kr_kmer', true);
SELECT pg_get_indexdef('kr_kmer'::regclass) AS definition;
SELECT index_oid::regclass, kmer_size, occur_bitlen, total_nrow FROM kmersearch_index_info
 WHERE index_oid = 'kr_kmer'::regclass;
SELECT opcname, amvalidate(o.oid) FROM pg_opclass o JOIN pg_am a ON a.oid = o.opcmethod
 WHERE a.amname = 'kmer' ORDER BY 1;
SET kmersearch.min_shared_ngram_key_rate = 0.5;
SELECT query AS q FROM kq WHERE name = 'q2' \gset
SELECT * FROM plan($$SELECT id FROM kr WHERE seq =% '$$ || :'q' || $$'$$);
SELECT id, kmersearch_rawscore(seq, :'q') AS score FROM kr WHERE seq =% :'q' ORDER BY id;
RESET kmersearch.min_shared_ngram_key_rate;

-- by rate, on one strand and on both
SELECT same('kr', '{kmersearch.min_shared_ngram_key_rate, 0.9}');
SELECT same('kr', '{kmersearch.min_shared_ngram_key_rate, 0.5}');
SELECT same('kr', '{kmersearch.min_shared_ngram_key_rate, 0.5, kmersearch.strand, both}');
SELECT same('kr', '{kmersearch.min_shared_ngram_key_rate, 0.1, kmersearch.strand, both}');
SELECT same('kr', '{kmersearch.min_shared_ngram_key_rate, 0, kmersearch.min_score, 40}');
-- by identity (the index gives candidates, each aligned)
SELECT same('kr', '{kmersearch.min_identity, 0.97, kmersearch.min_query_coverage, 1, kmersearch.strand, both}');
-- two quals on one column are both applied: a family's part and a row's own
SELECT substr(seq::text, 1, 75) AS fam, substr(seq::text, 76, 75) AS own FROM kr WHERE id = 97 \gset
SET kmersearch.min_shared_ngram_key_rate = 0.5;
SET enable_seqscan = off;
SELECT count(*) AS family FROM kr WHERE seq =% :'fam';
SELECT * FROM plan($$SELECT id FROM kr WHERE seq =% '$$ || :'fam' || $$' AND seq =% '$$ || :'own' || $$'$$);
SELECT array_agg(id ORDER BY id) AS both_quals FROM kr WHERE seq =% :'fam' AND seq =% :'own';
RESET enable_seqscan;
SET enable_bitmapscan = off;
SELECT array_agg(id ORDER BY id) AS both_quals FROM kr WHERE seq =% :'fam' AND seq =% :'own';
RESET enable_bitmapscan;
RESET kmersearch.min_shared_ngram_key_rate;

-- rows inserted after the build are pending until VACUUM moves them into a
-- segment; removed rows are never found again
INSERT INTO kr SELECT id + 10000, kmersearch_revcomp(seq) FROM kr WHERE id % 5 = 1;
UPDATE kr SET seq = overlay(seq::text PLACING 'GGGG' FROM 100)::dna4 WHERE id % 7 = 2;
DELETE FROM kr WHERE id % 11 = 3;
SELECT segments, segment_rows, pending_rows FROM kmersearch_kmer_index_stats('kr_kmer');
SELECT kmersearch_kmer_index_check('kr_kmer', true);
SELECT same('kr', '{kmersearch.min_shared_ngram_key_rate, 0.5, kmersearch.strand, both}');
VACUUM kr;
SELECT segments, segment_rows, pending_rows, pending_bytes FROM kmersearch_kmer_index_stats('kr_kmer');
SELECT same('kr', '{kmersearch.min_shared_ngram_key_rate, 0.5, kmersearch.strand, both}');
SELECT same('kr', '{kmersearch.min_shared_ngram_key_rate, 0.2}');
-- enough inserted rows that an insert moves them into a segment itself
INSERT INTO kr SELECT id + 20000, seq FROM kr;
SELECT segments, segment_rows, pending_rows FROM kmersearch_kmer_index_stats('kr_kmer');
DELETE FROM kr WHERE id % 17 = 4;
SELECT same('kr', '{kmersearch.min_shared_ngram_key_rate, 0.5, kmersearch.strand, both}');
VACUUM kr;
SELECT same('kr', '{kmersearch.min_shared_ngram_key_rate, 0.5}');
SELECT count(*) AS rows_now FROM kr;
-- kmersearch_kmer_index_check: every page, and every row's keys (heapallindexed)
SELECT kmersearch_kmer_index_check('kr_kmer');
SELECT kmersearch_kmer_index_check('kr_kmer', heapallindexed => true);
-- rows the index never got (inserted while it took no inserts) are found
UPDATE pg_index SET indisready = false WHERE indexrelid = 'kr_kmer'::regclass;
INSERT INTO kr SELECT id + 40000, seq FROM kr WHERE id < 50;
UPDATE pg_index SET indisready = true WHERE indexrelid = 'kr_kmer'::regclass;
SELECT kmersearch_kmer_index_check('kr_kmer');
DO $$ BEGIN
    PERFORM kmersearch_kmer_index_check('kr_kmer', true);
EXCEPTION WHEN index_corrupted THEN
    RAISE NOTICE '%: %', SQLSTATE, regexp_replace(SQLERRM, '\(\d+,\d+\)', '(block,offset)');
END $$;
DELETE FROM kr WHERE id > 40000;
VACUUM kr;
SELECT kmersearch_kmer_index_check('kr_kmer', true);

-- k-mer sizes and occurrence bits: exact keys, no occurrence bits, hashed keys
CREATE TABLE kr2 (id integer PRIMARY KEY, seq dna2);
INSERT INTO kr2 SELECT id, translate(seq::text, 'NRY', 'AGC')::dna2 FROM kr WHERE id < 3000;
SET kmersearch.kmer_size = 8;
SET kmersearch.occur_bitlen = 0;
CREATE INDEX kr2_k8 ON kr2 USING kmer (seq);
DROP TABLE kq;
CREATE TABLE kq (name text PRIMARY KEY, query text);
INSERT INTO kq SELECT 'p' || id, substr(seq::text, 20, 60) FROM kr2 WHERE id % 400 = 7;
SELECT same('kr2', '{kmersearch.min_shared_ngram_key_rate, 0.6}');
SELECT same('kr2', '{kmersearch.min_shared_ngram_key_rate, 0.6, kmersearch.strand, both}');
SET kmersearch.kmer_size = 28;
SET kmersearch.occur_bitlen = 16;
CREATE INDEX kr2_k28 ON kr2 USING kmer (seq);
SELECT * FROM plan($$SELECT id FROM kr2 WHERE seq =% 'ACGTACGTACGTACGTACGTACGTACGTACGTAC'$$);
SELECT same('kr2', '{kmersearch.min_shared_ngram_key_rate, 0.6}');
-- a session whose settings differ from an index's does not use it
SET kmersearch.kmer_size = 12;
SELECT * FROM plan($$SELECT id FROM kr2 WHERE seq =% 'ACGTACGTACGTACGTACGTACGTACGTACGTAC'$$);
RESET kmersearch.kmer_size;
RESET kmersearch.occur_bitlen;

-- segments of several blocks of 65,536 rows, merged from many runs: 140,000
-- rows, a build with little memory (a run of 1,337 rows, 64 runs a segment)
CREATE TABLE kb (id integer PRIMARY KEY, seq dna2);
INSERT INTO kb SELECT i, translate(md5('f' || i % 700) || md5('r' || i), '0123456789abcdef',
                                   'ACGTACGTACGTACGT')::dna2
  FROM generate_series(1, 140000) AS i;
SET maintenance_work_mem = '1MB';
CREATE INDEX kb_kmer ON kb USING kmer (seq);
RESET maintenance_work_mem;
SELECT segments, segment_rows, pending_rows FROM kmersearch_kmer_index_stats('kb_kmer');
DROP TABLE kq;
CREATE TABLE kq (name text PRIMARY KEY, query text);
INSERT INTO kq SELECT 'f' || f, translate(md5('f' || f), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM (VALUES (3), (699)) v(f);
INSERT INTO kq SELECT 'r' || id, kmersearch_revcomp(overlay(seq::text PLACING 'TT' FROM 40)) FROM kb
 WHERE id IN (5, 70000, 139999);
SELECT same('kb', '{kmersearch.min_shared_ngram_key_rate, 0.9}');
SELECT same('kb', '{kmersearch.min_shared_ngram_key_rate, 0.4, kmersearch.strand, both}');
SELECT kmersearch_kmer_index_check('kb_kmer', true);
-- built in parallel (the workers the planner gives a B-tree build; the
-- answers are the same whether they are launched or not): the runs of
-- every participant in one segment
DROP INDEX kb_kmer;
SET max_parallel_maintenance_workers = 2;
SET min_parallel_table_scan_size = 0;
SET maintenance_work_mem = '96MB';
CREATE INDEX kb_par ON kb USING kmer (seq);
RESET maintenance_work_mem;
RESET min_parallel_table_scan_size;
RESET max_parallel_maintenance_workers;
SELECT segments, segment_rows, pending_rows FROM kmersearch_kmer_index_stats('kb_par');
SELECT same('kb', '{kmersearch.min_shared_ngram_key_rate, 0.9}');
SELECT same('kb', '{kmersearch.min_shared_ngram_key_rate, 0.4, kmersearch.strand, both}');
SELECT kmersearch_kmer_index_check('kb_par', true);
DROP TABLE kb;

-- pending_list_limit (kB; by default gin_pending_list_limit): the pending
-- keys past which an insert moves the pending rows into a segment
CREATE TABLE kp (id integer, seq dna4);
CREATE INDEX kp_kmer ON kp USING kmer (seq) WITH (pending_list_limit = 64);
SELECT pg_get_indexdef('kp_kmer'::regclass) AS definition;
INSERT INTO kp SELECT id, seq FROM kr WHERE id <= 400;
SELECT segments > 3 AS flushed, pending_bytes <= 65536 + 8 * 200 AS within_limit
  FROM kmersearch_kmer_index_stats('kp_kmer');
SELECT kmersearch_kmer_index_check('kp_kmer', true);
SET gin_pending_list_limit = '1MB';
CREATE INDEX kp_kmer2 ON kp USING kmer (seq);
INSERT INTO kp SELECT id + 1000, seq FROM kr WHERE id <= 400;
SELECT segments, segment_rows, pending_rows FROM kmersearch_kmer_index_stats('kp_kmer2');
RESET gin_pending_list_limit;
\set VERBOSITY terse
ALTER INDEX kp_kmer2 SET (pending_list_limit = 10);
\set VERBOSITY default
CREATE INDEX ON kp USING kmer (seq) WITH (pending_list_limit = 'lots');
DROP TABLE kp;

-- an unlogged table's index
CREATE UNLOGGED TABLE ku (id integer, seq dna4);
CREATE INDEX ku_kmer ON ku USING kmer (seq);
INSERT INTO ku SELECT id, seq FROM kr WHERE id < 500;
SET enable_seqscan = off;
SET kmersearch.min_shared_ngram_key_rate = 0.9;
SELECT count(*) FROM ku WHERE seq =% (SELECT substr(seq::text, 1, 80) FROM kr WHERE id = 97);
SELECT kmersearch_kmer_index_check('ku_kmer', true);
RESET kmersearch.min_shared_ngram_key_rate;
RESET enable_seqscan;

-- what it refuses
CREATE TABLE kt (a text, b dna4);
CREATE INDEX ON kt USING kmer (a);
CREATE INDEX ON kt USING kmer (b, b);
CREATE UNIQUE INDEX ON kt USING kmer (b);
CREATE INDEX ON kt USING kmer (b) WITH (fillfactor = 50);
CREATE INDEX kt_gin ON kt USING gin (b);
SELECT * FROM kmersearch_kmer_index_stats('kt_gin');
SELECT kmersearch_kmer_index_check('kt_gin');
CREATE INDEX kt_kmer ON kt USING kmer (b);
SELECT kmersearch_kmer_index_check('kt_kmer', true);
SELECT kmersearch_kmer_index_check('kt');
CLUSTER kr USING kr_kmer;
SELECT count(*) FROM kr WHERE seq =% 'ACGT';

-- a session that has not loaded the module: USING kmer loads it, too late for
-- the hook; the ddl_command_end trigger gives the index the session's
-- settings and unkeyed_windows, and builds it again, so that it serves
-- searches by identity
\c
SET kmersearch.kmer_size = 12;
-- (the row with six N matches at identity 1.0 but shares only 74 of the 89
-- 12-mers, below the 77 of identity 0.99: its 17 unkeyed windows count)
SELECT substr(translate(md5('x1') || md5('x2') || md5('x3') || md5('x4'), '0123456789abcdef',
                        'ACGTTGCAGTCATGCA'), 1, 100) AS q \gset
INSERT INTO kt VALUES (NULL, overlay(:'q' PLACING 'NNNNNN' FROM 50)), (NULL, :'q');
CREATE INDEX kt_first ON kt USING kmer (b);
SELECT pg_get_indexdef('kt_first'::regclass);
SET enable_seqscan = off;
SET kmersearch.min_identity = 0.99;
SET kmersearch.min_query_coverage = 1.0;
EXPLAIN (COSTS OFF) SELECT b FROM kt WHERE b =% :'q';
SELECT position('N' IN b::text) FROM kt WHERE b =% :'q' ORDER BY 1;
RESET ALL;
DROP INDEX kt_first;
-- the same with GIN and the default settings: only unkeyed_windows to give
-- (the index column's type is the key's, int8), and built again for it
\c
CREATE INDEX kt_first_gin ON kt USING gin (b);
SELECT pg_get_indexdef('kt_first_gin'::regclass);
BEGIN;
DROP INDEX kt_kmer;
SET LOCAL enable_seqscan = off;
SET LOCAL kmersearch.min_identity = 0.99;
SET LOCAL kmersearch.min_query_coverage = 1.0;
EXPLAIN (COSTS OFF) SELECT b FROM kt WHERE b =% :'q';
SELECT position('N' IN b::text) FROM kt WHERE b =% :'q' ORDER BY 1;
ROLLBACK;
DROP INDEX kt_first_gin;

DROP TABLE kt, ku, kr2, kr, kq;
DROP FUNCTION same(regclass, text[]);
