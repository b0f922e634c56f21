--
-- High-frequency k-mers: the analysis against a plain-SQL oracle (with 0, 1
-- and 2 workers), exclusion in scores, =% and indexes, the caches, the
-- views and the errors.
--
SET kmersearch.kmer_size = 8;
SET kmersearch.occur_bitlen = 8;
-- an analysis that runs longer than 5 s (a slow or instrumented server)
-- reports its progress in NOTICEs: none of them is part of this test
SET client_min_messages = warning;

-- rows share conserved cores (half, a third, a fifth of them) between
-- random flanks; some have degenerate codes; one is NULL, one shorter than k
CREATE FUNCTION rnd(i integer, j integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT translate(md5(i::text || '-' || j::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
$$;
CREATE TABLE hf4 (id integer PRIMARY KEY, seq dna4);
INSERT INTO hf4
SELECT i, rnd(i, 1)
          || CASE WHEN i % 2 = 0 THEN 'GATTACAGATTACCAGGTTCAAGGCTTGAC' ELSE '' END
          || rnd(i, 2)
          || CASE WHEN i % 3 = 0 THEN 'CCGGTTAACCGGATATCCGGCCTTAG' ELSE '' END
          || CASE WHEN i % 5 = 0 THEN 'ACGTNRACGTTGCAYGGTACCA' ELSE '' END
          || rnd(i, 3)
  FROM generate_series(1, 60) AS i;
INSERT INTO hf4 VALUES (61, NULL), (62, 'ACG');
CREATE TABLE hf2 (id integer PRIMARY KEY, seq dna2);
INSERT INTO hf2 SELECT id, seq::text FROM hf4 WHERE seq::text ~ '^[ACGT]*$';

-- the oracle: rows containing each k-mer, and a k-mer's 2-bit code
CREATE FUNCTION kmer_code(t text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT sum((strpos('ACGT', substr(t, i, 1)) - 1)::bigint << (2 * (length(t) - i)))::bigint
      FROM generate_series(1, length(t)) AS i
$$;
CREATE TABLE oracle_nrow AS
SELECT 'hf4'::text AS tab, kmer_code(o.kmer) AS kmer, count(DISTINCT h.id) AS nrow
  FROM hf4 h, LATERAL oracle_kmers(h.seq::text, 8) o WHERE h.seq IS NOT NULL GROUP BY 1, 2
UNION ALL
SELECT 'hf2', kmer_code(o.kmer), count(DISTINCT h.id)
  FROM hf2 h, LATERAL oracle_kmers(h.seq::text, 8) o WHERE h.seq IS NOT NULL GROUP BY 1, 2;
-- oracle_high(tab, rate, nrow_limit): the k-mers the analysis must find
CREATE FUNCTION oracle_high(t text, rate float8, nrow_limit integer) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT kmer FROM oracle_nrow
     WHERE tab = t AND (nrow::float8 / (CASE t WHEN 'hf4' THEN (SELECT count(seq) FROM hf4)
                                               ELSE (SELECT count(seq) FROM hf2) END) > rate
                        OR (nrow_limit > 0 AND nrow > nrow_limit))
$$;
-- found(tab): what the analysis recorded for a table
CREATE FUNCTION found(t text) RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
    SELECT kmer2_as_uint FROM kmersearch_highfreq_kmer WHERE table_oid = t::regclass AND column_name = 'seq'
$$;
CREATE FUNCTION compare(t text, rate float8, nrow_limit integer,
                        OUT found integer, OUT expected integer, OUT missing integer, OUT extra integer)
LANGUAGE sql STABLE AS $$
    SELECT (SELECT count(*) FROM found(t))::integer,
           (SELECT count(*) FROM oracle_high(t, rate, nrow_limit))::integer,
           (SELECT count(*) FROM (SELECT * FROM oracle_high(t, rate, nrow_limit) EXCEPT SELECT * FROM found(t)) x)::integer,
           (SELECT count(*) FROM (SELECT * FROM found(t) EXCEPT SELECT * FROM oracle_high(t, rate, nrow_limit)) x)::integer
$$;

-- by rate, with 0, 1 and 2 workers: the same k-mers, the oracle's
SET kmersearch.max_appearance_rate = 0.25;
SET max_parallel_maintenance_workers = 0;
SELECT * FROM kmersearch_perform_highfreq_analysis('hf4', 'seq');
SELECT * FROM compare('hf4', 0.25, 0);
SET max_parallel_maintenance_workers = 1;
SELECT * FROM kmersearch_perform_highfreq_analysis('hf4', 'seq');
SELECT * FROM compare('hf4', 0.25, 0);
SET max_parallel_maintenance_workers = 2;
SELECT * FROM kmersearch_perform_highfreq_analysis('hf4', 'seq');
SELECT * FROM compare('hf4', 0.25, 0);
SELECT * FROM kmersearch_perform_highfreq_analysis('hf2', 'seq');
SELECT * FROM compare('hf2', 0.25, 0);
SELECT dropped_analyses, dropped_highfreq_kmers, freed_storage_bytes > 0 AS freed_bytes
  FROM kmersearch_undo_highfreq_analysis('hf2', 'seq');
SELECT * FROM kmersearch_undo_highfreq_analysis('hf2', 'seq');
-- by number of rows (rate 1 never triggers), table by OID and column by number
SET kmersearch.max_appearance_rate = 1.0;
SET kmersearch.max_appearance_nrow = 9;
SELECT total_rows, highfreq_kmers_count, max_appearance_rate_used, max_appearance_nrow_used
  FROM kmersearch_perform_highfreq_analysis('hf4'::regclass::oid::text, '2');
SELECT * FROM compare('hf4', 1.0, 9);
-- the smallest memory budget: a large column spills to many runs (more
-- than are merged at once) and the merged result is the oracle's
CREATE TABLE hfbig (id integer, seq dna2);
INSERT INTO hfbig
SELECT i, rnd(i, 1) || rnd(i, 2) || CASE WHEN i % 4 = 0 THEN 'GATTACAGATTACCAGG' ELSE '' END || rnd(i, 3)
  FROM generate_series(1, 6000) AS i;
CREATE TABLE hfbig_oracle AS
SELECT kmer_code(substr(seq::text, p, 16)) AS kmer, count(DISTINCT id) AS nrow
  FROM hfbig, generate_series(1, length(seq::text) - 15) AS p GROUP BY 1;
SELECT count(*) AS distinct_kmers FROM hfbig_oracle;
SET kmersearch.kmer_size = 16;
SET kmersearch.max_appearance_nrow = 1000;
SET maintenance_work_mem = '1MB';
SET max_parallel_maintenance_workers = 0;
SELECT total_rows, highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('hfbig', 'seq');
SET max_parallel_maintenance_workers = 2;
SELECT total_rows, highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('hfbig', 'seq');
SELECT (SELECT count(*) FROM hfbig_oracle WHERE nrow > 1000) AS expected,
       (SELECT count(*) FROM (SELECT kmer FROM hfbig_oracle WHERE nrow > 1000
                              EXCEPT SELECT * FROM found('hfbig')) x) AS missing,
       (SELECT count(*) FROM (SELECT * FROM found('hfbig')
                              EXCEPT SELECT kmer FROM hfbig_oracle WHERE nrow > 1000) x) AS extra;
DROP TABLE hfbig, hfbig_oracle;
-- the rate's boundary: a k-mer in exactly 3 of 10 rows is not over 0.3
-- (3/10 and 0.3 are the same double), in 4 of them it is
CREATE TABLE hfedge (id integer, seq dna2);
INSERT INTO hfedge SELECT i, CASE WHEN i <= 3 THEN 'AAAAAAAA' WHEN i <= 7 THEN 'CCCCCCCC' ELSE 'GGGGGGGG' END
  FROM generate_series(1, 10) AS i;
SET kmersearch.kmer_size = 8;
SET kmersearch.max_appearance_nrow = 0;
SET kmersearch.max_appearance_rate = 0.3;
SELECT total_rows, highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('hfedge', 'seq');
SELECT k = kmer_code('CCCCCCCC') AS is_cccccccc FROM found('hfedge') AS k;
SET kmersearch.max_appearance_rate = 0.29;
SELECT total_rows, highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('hfedge', 'seq');
DROP TABLE hfedge;
SET kmersearch.max_appearance_rate = 1.0;
SET kmersearch.kmer_size = 8;
SET kmersearch.max_appearance_nrow = 9;
RESET maintenance_work_mem;
RESET max_parallel_maintenance_workers;
-- one analysis a column: re-running replaced the previous one
SELECT table_name, column_name, kmer_size, occur_bitlen, max_appearance_rate, max_appearance_nrow,
       highfreq_kmer_count = (SELECT count(*) FROM oracle_high('hf4', 1.0, 9)) AS count_right
  FROM kmersearch_analysis_status ORDER BY table_name;
SELECT count(*) AS rows_left_for_hf2 FROM kmersearch_highfreq_kmer WHERE table_oid = 'hf2'::regclass;

-- bad targets
SELECT err($$SELECT kmersearch_perform_highfreq_analysis('no_such_table', 'seq')$$);
SELECT err($$SELECT kmersearch_perform_highfreq_analysis('999999999', 'seq')$$);
SELECT err($$SELECT kmersearch_perform_highfreq_analysis('hf4', 'nope')$$);
SELECT err($$SELECT kmersearch_perform_highfreq_analysis('hf4', '7')$$);
SELECT err($$SELECT kmersearch_perform_highfreq_analysis('hf4', 'id')$$);
SELECT err($$SELECT kmersearch_perform_highfreq_analysis('hf4', 'ctid')$$);
SELECT err($$SELECT kmersearch_perform_highfreq_analysis('"unclosed', 'seq')$$);
-- a partitioned table: every partition is counted
CREATE TABLE hfp (id integer, seq dna4) PARTITION BY HASH (seq);
CREATE TABLE hfp_0 PARTITION OF hfp FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE hfp_1 PARTITION OF hfp FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE hfp_2 (seq dna4, id integer);    -- another column order
ALTER TABLE hfp ATTACH PARTITION hfp_2 FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO hfp SELECT * FROM hf4;
SELECT total_rows, highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('hfp', 'seq');
SELECT (SELECT count(*) FROM (SELECT * FROM oracle_high('hf4', 1.0, 9) EXCEPT SELECT * FROM found('hfp')) x) AS missing,
       (SELECT count(*) FROM (SELECT * FROM found('hfp') EXCEPT SELECT * FROM oracle_high('hf4', 1.0, 9)) x) AS extra;
-- an index on it without those k-mers answers as a scan does
SET kmersearch.preclude_highfreq_kmer = on;
CREATE INDEX hfp_gin ON hfp USING gin (seq);
SELECT count(*) AS partition_indexes FROM kmersearch_gin_index_meta WHERE highfreq_filtered AND highfreq_source_table = 'hfp';
SELECT kmersearch_highfreq_kmer_cache_load('hfp', 'seq');    -- hf4's analysis matches too
SET enable_seqscan = off;
CREATE TABLE hfp_rows AS SELECT id FROM hfp WHERE seq =% (SELECT substr(seq::text, 5, 60) FROM hf4 WHERE id = 2);
RESET enable_seqscan;
SET enable_bitmapscan = off;
SELECT array_agg(h.id ORDER BY h.id) = (SELECT array_agg(id ORDER BY id) FROM hfp_rows) AS same_rows, count(*) AS nrows
  FROM hfp h WHERE seq =% (SELECT substr(seq::text, 5, 60) FROM hf4 WHERE id = 2);
RESET enable_bitmapscan;
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;
RESET kmersearch.preclude_highfreq_kmer;
DROP TABLE hfp, hfp_rows;
SELECT count(*) AS hfp_analyses FROM kmersearch_highfreq_kmer_meta WHERE table_oid NOT IN ('hf4'::regclass);
-- another user may neither analyse nor undo; without SELECT, no cache load
CREATE ROLE regress_kmersearch_hf;
GRANT USAGE ON SCHEMA public TO regress_kmersearch_hf;
SET ROLE regress_kmersearch_hf;
SELECT err($$SELECT kmersearch_perform_highfreq_analysis('hf4', 'seq')$$);
SELECT err($$SELECT kmersearch_undo_highfreq_analysis('hf4', 'seq')$$);
SELECT err($$SELECT kmersearch_highfreq_kmer_cache_load('hf4', 'seq')$$);
SELECT err($$INSERT INTO kmersearch_highfreq_kmer VALUES (1, 'x', 1, NULL, now())$$);
-- nor read the k-mers of a table it may not read
SELECT err($$SELECT count(*) FROM kmersearch_highfreq_kmer$$);
SELECT count(*) AS analyses_visible FROM kmersearch_analysis_status;
RESET ROLE;
GRANT SELECT ON hf4 TO regress_kmersearch_hf;
SET ROLE regress_kmersearch_hf;
SELECT table_name, column_name FROM kmersearch_analysis_status;
RESET ROLE;
REVOKE SELECT ON hf4 FROM regress_kmersearch_hf;
-- SELECT on the column alone is enough, for the view as for the functions
GRANT SELECT (seq) ON hf4 TO regress_kmersearch_hf;
SET ROLE regress_kmersearch_hf;
SELECT table_name, column_name FROM kmersearch_analysis_status;
SELECT kmersearch_highfreq_kmer_cache_load('hf4', 'seq');
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;
RESET ROLE;
REVOKE SELECT (seq) ON hf4 FROM regress_kmersearch_hf;

-- exclusion in scores: rawscore leaves the set out, correctedscore does not;
-- =% uses max(1, max(min_score - e, ceil(rate * (n - e))))
SET kmersearch.max_appearance_rate = 0.25;
SET kmersearch.max_appearance_nrow = 0;
SELECT highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('hf4', 'seq');
CREATE TABLE queries (qid integer PRIMARY KEY, q text);
INSERT INTO queries
SELECT id, substr(seq::text, 5, 60) FROM hf4 WHERE id IN (2, 3, 6, 10, 15, 30, 31);
INSERT INTO queries VALUES (100, 'GATTACAGATTACCAGGTTCAAGGCTTGACCCGGTTAACCGGATATCCGGCCTTAG');
CREATE TABLE excluded AS SELECT * FROM oracle_high('hf4', 0.25, 0) AS kmer;
-- the oracle's keys, scores and thresholds with and without the set
CREATE TABLE ex_oracle AS
WITH sk AS (SELECT h.id, kmer_code(o.kmer) AS kmer, o.j FROM hf4 h, LATERAL oracle_keys(h.seq::text, 8, 8) o
             WHERE h.seq IS NOT NULL),
     qk AS (SELECT q.qid, kmer_code(o.kmer) AS kmer, o.j FROM queries q, LATERAL oracle_keys(q.q, 8, 8) o),
     n AS (SELECT qid, count(*) AS n, count(*) FILTER (WHERE kmer IN (SELECT kmer FROM excluded)) AS e
             FROM qk GROUP BY qid),
     sc AS (SELECT sk.id, qk.qid, count(*) AS corrected,
                   count(*) FILTER (WHERE sk.kmer NOT IN (SELECT kmer FROM excluded)) AS raw
              FROM sk JOIN qk USING (kmer, j) GROUP BY sk.id, qk.qid)
SELECT h.id, q.qid, coalesce(sc.corrected, 0) AS corrected, coalesce(sc.raw, 0) AS raw, n.n, n.e
  FROM hf4 h CROSS JOIN queries q JOIN n USING (qid) LEFT JOIN sc ON sc.id = h.id AND sc.qid = q.qid
 WHERE h.seq IS NOT NULL;
-- a query with known excluded keys: its n and e, and the threshold they give
SELECT qid, n, e, greatest(1, greatest(1 - e, ceil(0.5 * (n - e)))) AS threshold
  FROM ex_oracle WHERE qid = 100 LIMIT 1;
SET kmersearch.preclude_highfreq_kmer = on;
SET kmersearch.min_shared_ngram_key_rate = 0.5;
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE kmersearch_rawscore(h.seq, q.q) = o.raw) AS rawscore_right,
       count(*) FILTER (WHERE kmersearch_correctedscore(h.seq, q.q) = o.corrected) AS correctedscore_right,
       count(*) FILTER (WHERE o.raw <> o.corrected) AS pairs_with_excluded_keys
  FROM ex_oracle o JOIN hf4 h USING (id) JOIN queries q USING (qid);
-- =% rows through an index built without the set, a bitmap scan of it, a
-- sequential and a parallel sequential scan: all the oracle's
CREATE TABLE ex_expected AS
SELECT qid, array_agg(id ORDER BY id) FILTER (WHERE raw >= greatest(1, greatest(1 - e, ceil(0.5 * (n - e))))) AS ids
  FROM ex_oracle GROUP BY qid;
CREATE INDEX hf4_gin ON hf4 USING gin (seq);
SELECT highfreq_filtered, highfreq_source_table, kmer_size, max_appearance_rate, max_appearance_nrow
  FROM kmersearch_gin_index_meta WHERE index_oid = 'hf4_gin'::regclass;
SELECT highfreq_kmer_count = (SELECT count(*) FROM excluded) AS count_right
  FROM kmersearch_index_info WHERE index_oid = 'hf4_gin'::regclass;
SELECT pg_get_indexdef('hf4_gin'::regclass) ~ 'highfreq_source=' AS source_kept;
CREATE TABLE ex_rows (method text, qid integer, ids integer[]);
CREATE FUNCTION collect(method text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ex_rows SELECT method, q.qid, ARRAY(SELECT id FROM hf4 WHERE seq =% q.q ORDER BY id) FROM queries q;
END $$;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hf4 WHERE seq =% 'GATTACAGATTACCAGGTTCAAGGCTTGAC';
SELECT collect('index');
RESET enable_seqscan;
SET enable_bitmapscan = off;
SELECT collect('seqscan');
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
ALTER TABLE hf4 SET (parallel_workers = 2);
EXPLAIN (COSTS OFF) SELECT id FROM hf4 WHERE seq =% 'GATTACAGATTACCAGGTTCAAGGCTTGAC';
SELECT collect('parallel');
-- the parallel workers read the parallel cache (DSA + dshash)
SELECT kmersearch_parallel_highfreq_kmer_cache_load('hf4', 'seq');
SET kmersearch.force_use_parallel_highfreq_kmer_cache = on;
SELECT collect('parallel cache');
RESET kmersearch.force_use_parallel_highfreq_kmer_cache;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
RESET enable_bitmapscan;
SELECT r.method, count(*) AS queries, count(*) FILTER (WHERE r.ids = coalesce(e.ids, '{}')) AS same_as_oracle,
       sum(cardinality(r.ids)) AS rows_found
  FROM ex_rows r JOIN ex_expected e USING (qid) GROUP BY r.method ORDER BY r.method;
-- without exclusion the filtered index is not used, and answers stay exact
-- (no parallel plan: from 18 on a disabled scan no longer costs so much more
-- that a serial one wins)
SET kmersearch.preclude_highfreq_kmer = off;
SET enable_seqscan = off;
SET max_parallel_workers_per_gather = 0;
SELECT plan($$SELECT id FROM hf4 WHERE seq =% 'GATTACAGATTACCAGGTTCAAGGCTTGAC'$$);
RESET max_parallel_workers_per_gather;
SELECT array_agg(id ORDER BY id) = (SELECT array_agg(id ORDER BY id) FROM ex_oracle
                                     WHERE qid = 100 AND corrected >= ceil(0.5 * n)) AS exact_without_exclusion
  FROM hf4 WHERE seq =% (SELECT q FROM queries WHERE qid = 100);
RESET enable_seqscan;
SET kmersearch.preclude_highfreq_kmer = on;
-- rows inserted from a session without exclusion are indexed without the set
SET kmersearch.preclude_highfreq_kmer = off;
INSERT INTO hf4 SELECT 1000 + id, seq FROM hf4 WHERE id IN (2, 6);
SET kmersearch.preclude_highfreq_kmer = on;
SET enable_seqscan = off;
SELECT array_agg(id ORDER BY id) FROM hf4 WHERE seq =% (SELECT q FROM queries WHERE qid = 2);
RESET enable_seqscan;
SET enable_indexscan = off;
SET enable_bitmapscan = off;
SELECT array_agg(id ORDER BY id) FROM hf4 WHERE seq =% (SELECT q FROM queries WHERE qid = 2);
RESET enable_indexscan;
RESET enable_bitmapscan;
DELETE FROM hf4 WHERE id >= 1000;

-- the analysis cannot change under that index
SELECT err($$SELECT kmersearch_perform_highfreq_analysis('hf4', 'seq')$$);
SELECT err($$SELECT kmersearch_undo_highfreq_analysis('hf4', 'seq')$$);

-- a parallel cache freed in a transaction that rolls back is still there
BEGIN;
SELECT kmersearch_parallel_highfreq_kmer_cache_free_all() = (SELECT count(*) FROM excluded) AS freed;
ROLLBACK;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET enable_bitmapscan = off;
SET kmersearch.force_use_parallel_highfreq_kmer_cache = on;
SELECT coalesce(array_agg(id ORDER BY id), '{}') = (SELECT coalesce(ids, '{}') FROM ex_expected WHERE qid = 2) AS same_rows,
       count(*) AS nrows
  FROM hf4 WHERE seq =% (SELECT q FROM queries WHERE qid = 2);
-- and one loaded in a transaction that rolls back is not
BEGIN;
SELECT kmersearch_parallel_highfreq_kmer_cache_free_all() > 0 AS freed;
COMMIT;
BEGIN;
SELECT kmersearch_parallel_highfreq_kmer_cache_load('hf4', 'seq');
ROLLBACK;
SELECT err($$SELECT count(*) FROM hf4 WHERE seq =% 'GATTACAGATTACCAGGTTCAAGGCTTGAC'$$);
SELECT kmersearch_parallel_highfreq_kmer_cache_load('hf4', 'seq');
SELECT coalesce(array_agg(id ORDER BY id), '{}') = (SELECT coalesce(ids, '{}') FROM ex_expected WHERE qid = 2) AS same_rows,
       count(*) AS nrows
  FROM hf4 WHERE seq =% (SELECT q FROM queries WHERE qid = 2);
RESET kmersearch.force_use_parallel_highfreq_kmer_cache;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
RESET enable_bitmapscan;

-- caches: load, free, reload, free_all; mismatched settings name each one
SELECT kmersearch_highfreq_kmer_cache_load('hf4', 'seq');
SELECT kmersearch_highfreq_kmer_cache_free('hf4', 'seq') = (SELECT count(*) FROM excluded) AS freed_all;
SELECT kmersearch_highfreq_kmer_cache_free('hf4', 'seq') AS freed_again;
SELECT kmersearch_highfreq_kmer_cache_load('hf4', 'seq');
SELECT kmersearch_highfreq_kmer_cache_free_all() = (SELECT count(*) FROM excluded) AS freed_all;
SELECT kmersearch_highfreq_kmer_cache_free_all() AS nothing_left;
SELECT kmersearch_parallel_highfreq_kmer_cache_free('hf4', 'seq') = (SELECT count(*) FROM excluded) AS freed_all;
SELECT kmersearch_parallel_highfreq_kmer_cache_free_all() AS nothing_left;
SET kmersearch.kmer_size = 9;
SET kmersearch.max_appearance_rate = 0.3;
\set VERBOSITY default
SELECT kmersearch_highfreq_kmer_cache_load('hf4', 'seq');
SELECT kmersearch_parallel_highfreq_kmer_cache_load('hf4', 'seq');
SELECT count(*) FROM hf4 WHERE seq =% 'GATTACAGATTACCAGGTTCAAGGCTTGAC';
CREATE INDEX hf4_gin9 ON hf4 USING gin (seq);
-- settings changed after a load: searches say so
SET kmersearch.kmer_size = 8;
SET kmersearch.max_appearance_rate = 0.25;
SELECT kmersearch_highfreq_kmer_cache_load('hf4', 'seq');
SET kmersearch.kmer_size = 9;
SELECT count(*) FROM hf4 WHERE seq =% 'GATTACAGATTACCAGGTTCAAGGCTTGAC';
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;
\set VERBOSITY terse
RESET kmersearch.kmer_size;
SET kmersearch.kmer_size = 8;
SET kmersearch.max_appearance_rate = 0.25;
SET kmersearch.force_use_parallel_highfreq_kmer_cache = on;
SELECT err($$SELECT count(*) FROM hf4 WHERE seq =% 'GATTACAGATTACCAGGTTCAAGGCTTGAC'$$);
RESET kmersearch.force_use_parallel_highfreq_kmer_cache;
-- two analyses match: a search of hf4 uses hf4's (highfreq_search tests
-- which); scores of values that are no table's ask which to use
SELECT highfreq_kmers_count > 0 AS found FROM kmersearch_perform_highfreq_analysis('hf2', 'seq');
SELECT err($$SELECT count(*) FROM hf4 WHERE seq =% 'GATTACAGATTACCAGGTTCAAGGCTTGAC'$$);
SELECT err($$SELECT kmersearch_rawscore('GATTACAGATTACCAGGTTCAAGGCTTGAC'::dna2, 'GATTACAGATTACCAGGTTCAAGGCTTGAC')$$);
SELECT kmersearch_highfreq_kmer_cache_load('hf4', 'seq');
SELECT count(*) > 0 AS found FROM hf4 WHERE seq =% (SELECT q FROM queries WHERE qid = 2);
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;

-- undo, once the index is gone
DROP INDEX hf4_gin;
-- a global cache whose analysis was replaced is refused, in the leader and
-- in parallel workers alike
SELECT kmersearch_highfreq_kmer_cache_load('hf4', 'seq');
SELECT highfreq_kmers_count > 0 AS found FROM kmersearch_perform_highfreq_analysis('hf4', 'seq');
SELECT err($$SELECT count(*) FROM hf4 WHERE seq =% 'GATTACAGATTACCAGGTTCAAGGCTTGAC'$$);
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET enable_bitmapscan = off;
SELECT err($$SELECT count(*) FROM hf4 WHERE seq =% 'GATTACAGATTACCAGGTTCAAGGCTTGAC'$$);
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
RESET enable_bitmapscan;
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;
-- renaming the column keeps its analysis
ALTER TABLE hf4 RENAME COLUMN seq TO dna;
SELECT table_name, column_name FROM kmersearch_analysis_status;
SELECT kmersearch_highfreq_kmer_cache_load('hf4', 'dna');
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;
ALTER TABLE hf4 RENAME COLUMN dna TO seq;
-- a materialized view's too
CREATE MATERIALIZED VIEW hfmv AS SELECT id, seq FROM hf4;
SELECT highfreq_kmers_count > 0 AS found FROM kmersearch_perform_highfreq_analysis('hfmv', 'seq');
ALTER MATERIALIZED VIEW hfmv RENAME COLUMN seq TO dna;
SELECT table_name, column_name FROM kmersearch_analysis_status WHERE table_name = 'hfmv';
DROP MATERIALIZED VIEW hfmv;
SELECT count(*) AS hfmv_analyses FROM kmersearch_analysis_status WHERE table_name = 'hfmv';
SELECT count(*) AS index_meta_rows FROM kmersearch_gin_index_meta WHERE table_oid = 'hf4'::regclass;
SELECT dropped_analyses, dropped_highfreq_kmers = (SELECT count(*) FROM excluded) AS all_dropped,
       freed_storage_bytes > 0 AS freed_bytes
  FROM kmersearch_undo_highfreq_analysis('hf4', 'seq');
SELECT table_name FROM kmersearch_analysis_status ORDER BY 1;
SELECT count(*) AS left_for_hf4 FROM kmersearch_highfreq_kmer WHERE table_oid = 'hf4'::regclass;
-- with no analysis of the column, CREATE INDEX says what to do
SELECT err($$CREATE INDEX hf4_gin ON hf4 USING gin (seq)$$);
SELECT err($$CREATE INDEX hf4_gin ON hf4 USING gin (seq kmersearch_dna4_gin_ops (highfreq_source = 'garbage'))$$);
-- an index naming another table's analysis (a restored dump) is refused
SELECT err(format($$CREATE INDEX hf4_gin ON hf4 USING gin (seq kmersearch_dna4_gin_ops (highfreq_source = '%s.2.%s'))$$,
                  'hf2'::regclass::oid, (SELECT (extract(epoch FROM analysis_timestamp - '2000-01-01 UTC') * 1000000)::bigint
                                           FROM kmersearch_highfreq_kmer_meta WHERE table_oid = 'hf2'::regclass)));
SELECT dropped_analyses FROM kmersearch_undo_highfreq_analysis('hf2', 'seq');
-- dropping a table or an analysed column forgets its analysis
SET kmersearch.max_appearance_rate = 0.25;
SELECT highfreq_kmers_count > 0 AS found FROM kmersearch_perform_highfreq_analysis('hf2', 'seq');
ALTER TABLE hf4 ADD COLUMN seq2 dna4;
UPDATE hf4 SET seq2 = seq;
SELECT highfreq_kmers_count > 0 AS found FROM kmersearch_perform_highfreq_analysis('hf4', 'seq2');
SELECT table_name, column_name FROM kmersearch_analysis_status ORDER BY 1, 2;
ALTER TABLE hf4 DROP COLUMN seq2;
CREATE TABLE hf2_copy AS SELECT * FROM hf2;
DROP TABLE hf2;
SELECT count(*) AS analyses_left FROM kmersearch_highfreq_kmer_meta;
SELECT count(*) AS kmers_left FROM kmersearch_highfreq_kmer;
ALTER TABLE hf2_copy RENAME TO hf2;
RESET ALL;
SET client_min_messages = warning;

-- a corrupt value met by a parallel worker: its error reaches the client
CREATE CAST (bytea AS dna4) WITHOUT FUNCTION;
CREATE TABLE hfbad (id integer, seq dna4);
INSERT INTO hfbad SELECT i, 'ACGTACGTACGT' FROM generate_series(1, 100) AS i;
INSERT INTO hfbad VALUES (101, '\x07'::bytea::dna4);
SET max_parallel_maintenance_workers = 2;
\set VERBOSITY default
SELECT kmersearch_perform_highfreq_analysis('hfbad', 'seq');
\set VERBOSITY terse
SELECT count(*) AS no_partial_result FROM kmersearch_highfreq_kmer_meta WHERE table_oid = 'hfbad'::regclass;
RESET max_parallel_maintenance_workers;
DROP TABLE hfbad;
DROP CAST (bytea AS dna4);

REVOKE USAGE ON SCHEMA public FROM regress_kmersearch_hf;
DROP ROLE regress_kmersearch_hf;
DROP TABLE hf4, hf2, oracle_nrow, queries, excluded, ex_oracle, ex_expected, ex_rows;
DROP FUNCTION rnd, kmer_code, oracle_high, found, compare, collect;
