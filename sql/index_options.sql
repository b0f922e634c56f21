--
-- An index's kmer_size, occur_bitlen and exclusion are fixed when it is
-- created, on every path, and its keys never depend on the session that
-- writes or reads it.
--
-- 400 sequences: a 24-base region every row shares (high-frequency k-mers)
-- and 80 pseudo-random bases
CREATE TABLE fo (id integer PRIMARY KEY, seq dna4);
INSERT INTO fo
SELECT i, 'ACGTTGCAGGATCCATGCAAGCTT' ||
          (SELECT string_agg(substr('ACGT', 1 + (hashint4(i * 1000 + j) & 3), 1), '' ORDER BY j)
             FROM generate_series(1, 80) AS j)
  FROM generate_series(1, 400) AS i;
ANALYZE fo;
-- a query: row 42 with one change
SELECT overlay(seq::text PLACING 'T' FROM 60) AS q FROM fo WHERE id = 42 \gset
ALTER DATABASE :"DBNAME" SET kmersearch.min_shared_ngram_key_rate = 0.5;
SET kmersearch.min_shared_ngram_key_rate = 0.5;

-- answers(idx, q): the rows =% q through the index idx (which the plan must
-- use; NULL if it does not), and through a sequential scan
CREATE FUNCTION answers(idx text, q text, OUT via_index integer[], OUT via_scan integer[])
LANGUAGE plpgsql AS $$
DECLARE
    uses boolean := false;
    line text;
BEGIN
    SET LOCAL enable_seqscan = off;
    FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT id FROM fo WHERE seq =%% %L', q) LOOP
        uses := uses OR line LIKE '%' || idx || '%';
    END LOOP;
    IF uses THEN
        EXECUTE format('SELECT array_agg(id ORDER BY id) FROM fo WHERE seq =%% %L', q) INTO via_index;
    END IF;
    SET LOCAL enable_seqscan = on;
    SET LOCAL enable_bitmapscan = off;
    SET LOCAL enable_indexscan = off;
    EXECUTE format('SELECT array_agg(id ORDER BY id) FROM fo WHERE seq =%% %L', q) INTO via_scan;
END $$;

-- options(idx): the index's operator class options as its definition has them
-- entries(idx): the number of keys in a GIN index
CREATE EXTENSION pageinspect;
CREATE FUNCTION entries(idx regclass) RETURNS bigint LANGUAGE sql AS $$
    SELECT n_entries FROM gin_metapage_info(get_raw_page(idx::text, 0))
$$;
CREATE FUNCTION options(idx regclass) RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(regexp_replace(o, '^highfreq_source=.+', 'highfreq_source=...') ORDER BY o)
      FROM pg_attribute a, unnest(a.attoptions) AS o
     WHERE a.attrelid = idx
$$;

-- CREATE INDEX takes the session's settings into its definition
SET kmersearch.kmer_size = 12;
CREATE INDEX fo_k12 ON fo USING gin (seq);
RESET kmersearch.kmer_size;
SELECT options('fo_k12');
-- ... and a session with other settings neither uses it nor changes it:
-- rows it writes are indexed as the index was built
SELECT * FROM answers('fo_k12', :'q');
SET kmersearch.kmer_size = 12;
SELECT * FROM answers('fo_k12', :'q');
INSERT INTO fo SELECT 1000 + id, seq FROM fo WHERE id = 42;
RESET kmersearch.kmer_size;
SELECT * FROM answers('fo_k12', :'q');
SET kmersearch.kmer_size = 12;
SELECT * FROM answers('fo_k12', :'q');
DELETE FROM fo WHERE id = 1042;
RESET kmersearch.kmer_size;
DROP INDEX fo_k12;

-- event triggers that do not fire change nothing: session_replication_role
SET session_replication_role = replica;
SET kmersearch.kmer_size = 12;
CREATE INDEX fo_replica ON fo USING gin (seq);
RESET kmersearch.kmer_size;
RESET session_replication_role;
SELECT options('fo_replica');
SET kmersearch.kmer_size = 12;
SELECT * FROM answers('fo_replica', :'q');
DROP INDEX fo_replica;
RESET kmersearch.kmer_size;
-- ... disabled triggers, with exclusion
-- (progress notices, which a slow run such as valgrind's prints, left out)
SET client_min_messages = warning;
SELECT total_rows, highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('fo', 'seq');
RESET client_min_messages;
ALTER EVENT TRIGGER kmersearch_ddl_command_end DISABLE;
SET kmersearch.preclude_highfreq_kmer = on;
CREATE INDEX fo_disabled ON fo USING gin (seq);
ALTER EVENT TRIGGER kmersearch_ddl_command_end ENABLE;
SELECT options('fo_disabled');
SELECT * FROM answers('fo_disabled', :'q');
RESET kmersearch.preclude_highfreq_kmer;
SELECT * FROM answers('fo_disabled', :'q');
DROP INDEX fo_disabled;
-- ... event_triggers = off (a setting from PostgreSQL 17 on; on 15 the
-- triggers fire, and the index must be the same)
DO $$
BEGIN
    IF current_setting('server_version_num')::integer >= 170000 THEN
        EXECUTE 'SET event_triggers = off';
    END IF;
END $$;
SET kmersearch.occur_bitlen = 3;
CREATE INDEX fo_off ON fo USING gin (seq);
RESET kmersearch.occur_bitlen;
DO $$
BEGIN
    IF current_setting('server_version_num')::integer >= 170000 THEN
        EXECUTE 'RESET event_triggers';
    END IF;
END $$;
SELECT options('fo_off');
DROP INDEX fo_off;

-- a session that has not loaded the module when it creates the index: the
-- build loads it, too late for the hook, so the index gets the constant
-- defaults; the ddl_command_end trigger then gives it the session's
-- settings and builds it again
\c
SET kmersearch.kmer_size = 10;
CREATE INDEX fo_first ON fo USING gin (seq);
SELECT options('fo_first');
SELECT * FROM answers('fo_first', :'q');
DROP INDEX fo_first;
-- ... with exclusion on: the same keys as an index built through the hook
-- (the module is loaded now), fewer than with every k-mer
\c
SET kmersearch.preclude_highfreq_kmer = on;
CREATE INDEX fo_first ON fo USING gin (seq);
SELECT options('fo_first');
SELECT * FROM answers('fo_first', :'q');
CREATE INDEX fo_hook ON fo USING gin (seq);
RESET kmersearch.preclude_highfreq_kmer;
CREATE INDEX fo_every ON fo USING gin (seq);
SELECT entries('fo_first') = entries('fo_hook') AS same_keys, entries('fo_first') < entries('fo_every') AS fewer_keys;
DROP INDEX fo_first, fo_hook, fo_every;
-- ... and CONCURRENTLY, which cannot be built again there: refused, with
-- the command that does it (the module is loaded now)
\c
SET kmersearch.kmer_size = 10;
CREATE INDEX CONCURRENTLY fo_first ON fo USING gin (seq);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'fo_first'::regclass;
DROP INDEX fo_first;
CREATE INDEX CONCURRENTLY fo_first ON fo USING gin (seq);
SELECT options('fo_first');
DROP INDEX fo_first;
RESET kmersearch.kmer_size;
-- ... and with no trigger firing either: the constant defaults, which the
-- session's k = 10 search leaves alone
\c
SET session_replication_role = replica;
SET kmersearch.kmer_size = 10;
CREATE INDEX fo_unloaded ON fo USING gin (seq);
RESET session_replication_role;
SELECT options('fo_unloaded');
SELECT * FROM answers('fo_unloaded', :'q');
RESET kmersearch.kmer_size;
SELECT * FROM answers('fo_unloaded', :'q');
-- ALTER TABLE from a session with other settings leaves the index's
-- definition as it is
SET kmersearch.kmer_size = 10;
ALTER TABLE fo ALTER COLUMN id TYPE bigint;
SELECT options('fo_unloaded');
RESET kmersearch.kmer_size;
DROP INDEX fo_unloaded;

-- CREATE INDEX CONCURRENTLY takes the session's settings as well
SET kmersearch.kmer_size = 14;
CREATE INDEX CONCURRENTLY fo_cic ON fo USING gin (seq);
RESET kmersearch.kmer_size;
SELECT options('fo_cic');
-- REINDEX and REINDEX CONCURRENTLY from a session with other settings keep them
SET kmersearch.kmer_size = 12;
REINDEX INDEX fo_cic;
SELECT options('fo_cic');
REINDEX INDEX CONCURRENTLY fo_cic;
SELECT options('fo_cic');
RESET kmersearch.kmer_size;
SET kmersearch.kmer_size = 14;
SELECT * FROM answers('fo_cic', :'q');
RESET kmersearch.kmer_size;

-- ALTER COLUMN TYPE rebuilds the index with its settings (between dna2 and
-- dna4 PostgreSQL refuses: the definition names the operator class)
SET kmersearch.kmer_size = 12;
SELECT pg_relation_filenode('fo_cic') AS filenode \gset
ALTER TABLE fo ALTER COLUMN seq TYPE dna4 USING seq::text::dna4;
SELECT pg_relation_filenode('fo_cic') <> :filenode AS rebuilt, options('fo_cic');
ALTER TABLE fo ALTER COLUMN seq TYPE dna2 USING seq::dna2;
-- CREATE TABLE ... (LIKE ... INCLUDING INDEXES) copies them
CREATE TABLE fo_like (LIKE fo INCLUDING INDEXES);
SELECT c.relname, options(c.oid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'fo_like'::regclass AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'gin');
DROP TABLE fo_like;
-- ... as they are, whatever the session: no exclusion added to the copy
SET kmersearch.preclude_highfreq_kmer = on;
CREATE TABLE fo_like (LIKE fo INCLUDING INDEXES);
RESET kmersearch.preclude_highfreq_kmer;
SELECT c.relname, options(c.oid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'fo_like'::regclass AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'gin');
DROP TABLE fo_like;
RESET kmersearch.kmer_size;
DROP INDEX fo_cic;

-- ATTACH PARTITION: a partition's own index keeps its settings (PostgreSQL
-- attaches it to the partitioned index without comparing operator class
-- options), and answers only sessions with them; a partition without one
-- gets the partitioned index's
CREATE TABLE fop (id integer, seq dna4) PARTITION BY RANGE (id);
CREATE TABLE fop_1 PARTITION OF fop FOR VALUES FROM (0) TO (1000);
CREATE INDEX fop_gin ON fop USING gin (seq);
CREATE TABLE fop_2 (id integer, seq dna4);
CREATE TABLE fop_3 (id integer, seq dna4);
SET kmersearch.kmer_size = 12;
CREATE INDEX fop_2_k12 ON fop_2 USING gin (seq);
ALTER TABLE fop ATTACH PARTITION fop_2 FOR VALUES FROM (1000) TO (2000);
ALTER TABLE fop ATTACH PARTITION fop_3 FOR VALUES FROM (2000) TO (3000);
RESET kmersearch.kmer_size;
SELECT c.relname, options(c.oid), i.inhparent::regclass AS attached_to
  FROM pg_class c JOIN pg_index x ON x.indexrelid = c.oid
  LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
 WHERE x.indrelid IN ('fop_1'::regclass, 'fop_2'::regclass, 'fop_3'::regclass) ORDER BY 1;
INSERT INTO fop SELECT id, seq::dna4 FROM fo WHERE id IN (42, 43);
INSERT INTO fop SELECT id + 1000, seq::dna4 FROM fo WHERE id IN (42, 43);
INSERT INTO fop SELECT id + 2000, seq::dna4 FROM fo WHERE id IN (42, 43);
SET enable_seqscan = off;
SELECT array_agg(id ORDER BY id) AS k16 FROM fop WHERE seq =% :'q';
SET kmersearch.kmer_size = 12;
SELECT array_agg(id ORDER BY id) AS k12 FROM fop WHERE seq =% :'q';
RESET kmersearch.kmer_size;
RESET enable_seqscan;
DROP TABLE fop;

-- an index that leaves out high-frequency k-mers leaves out exactly those
-- of the analysis, built by one process or (from PostgreSQL 18 on) by
-- parallel workers: its distinct keys are the same either way, and as many
-- fewer than the index with every k-mer as the analysis found k-mers
ALTER TABLE fo SET (parallel_workers = 2);
SET maintenance_work_mem = '256MB';
SET max_parallel_maintenance_workers = 0;
CREATE INDEX fo_all_serial ON fo USING gin (seq);
SET kmersearch.preclude_highfreq_kmer = on;
CREATE INDEX fo_excl_serial ON fo USING gin (seq);
SET max_parallel_maintenance_workers = 2;
CREATE INDEX fo_excl_parallel ON fo USING gin (seq);
RESET kmersearch.preclude_highfreq_kmer;
CREATE INDEX fo_all_parallel ON fo USING gin (seq);
RESET max_parallel_maintenance_workers;
RESET maintenance_work_mem;
ALTER TABLE fo RESET (parallel_workers);
SELECT entries('fo_all_serial') = entries('fo_all_parallel') AS all_same,
       entries('fo_excl_serial') = entries('fo_excl_parallel') AS excl_same,
       entries('fo_all_serial') - entries('fo_excl_serial') AS left_out,
       (SELECT count(*) FROM kmersearch_highfreq_kmer WHERE table_oid = 'fo'::regclass) AS highfreq_kmers;
DROP INDEX fo_all_serial, fo_all_parallel, fo_excl_serial;
SET kmersearch.preclude_highfreq_kmer = on;
SELECT * FROM answers('fo_excl_parallel', :'q');
RESET kmersearch.preclude_highfreq_kmer;
DROP EXTENSION pageinspect;

-- A changed key setting plans again only the cached plans with =%, and only
-- when it changes.  The =% statement is planned with bitmap scans off (a
-- sequential scan); a SET to the value k has, and the end of a SET LOCAL to
-- it, leave that plan; a change of k plans it again (with the 16-mer index
-- when k is back to 16).  The statement without =% keeps the plan it got
-- while index scans were off, which DISCARD PLANS shows is no longer the
-- one it would get.
DROP INDEX fo_excl_parallel;
CREATE INDEX fo_plan ON fo USING gin (seq);
SET enable_bitmapscan = off;
PREPARE match AS SELECT id FROM fo WHERE seq =% 'ACGTTGCAGGATCCATGCAAGCTTACGTAGCTAGCTAGGATC';
EXPLAIN (COSTS OFF) EXECUTE match;
RESET enable_bitmapscan;
SET enable_seqscan = off;
SET kmersearch.kmer_size = 16;
BEGIN;
SET LOCAL kmersearch.kmer_size = 16;
COMMIT;
EXPLAIN (COSTS OFF) EXECUTE match;
RESET enable_seqscan;
SET enable_indexscan = off;
SET enable_indexonlyscan = off;
SET enable_bitmapscan = off;
PREPARE no_match AS SELECT id FROM fo WHERE id = 42;
EXPLAIN (COSTS OFF) EXECUTE no_match;
RESET enable_indexscan;
RESET enable_indexonlyscan;
RESET enable_bitmapscan;
SET enable_seqscan = off;
SET kmersearch.kmer_size = 12;
SET kmersearch.kmer_size = 16;
EXPLAIN (COSTS OFF) EXECUTE match;
EXPLAIN (COSTS OFF) EXECUTE no_match;
DISCARD PLANS;
EXPLAIN (COSTS OFF) EXECUTE no_match;
DEALLOCATE no_match;
DEALLOCATE match;
RESET enable_seqscan;
RESET kmersearch.kmer_size;

DROP FUNCTION entries, answers, options;
DROP TABLE fo;
ALTER DATABASE :"DBNAME" RESET kmersearch.min_shared_ngram_key_rate;
