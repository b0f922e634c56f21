--
-- The event triggers (PL/pgSQL) call the module only for DDL on kmersearch
-- indexes, the tables that have them, and analysed tables: where the module
-- cannot be loaded, all other DDL works.
--
SET max_parallel_maintenance_workers = 0;
CREATE TABLE dt_kmer (id integer, seq dna2);
INSERT INTO dt_kmer SELECT i, 'ACGTACGTAAACCCGGGTTTACGATCGATCGA' FROM generate_series(1, 20) AS i;
CREATE INDEX dt_kmer_gin ON dt_kmer USING gin (seq);
SELECT 'dt_kmer_gin'::regclass::oid AS gin_oid \gset
CREATE TABLE dt_analysed (id integer, seq dna2);
INSERT INTO dt_analysed SELECT i, 'ACGTACGTAAACCCGGGTTTACGATCGATCGA' FROM generate_series(1, 20) AS i;
SET client_min_messages = warning;
SELECT total_rows FROM kmersearch_perform_highfreq_analysis('dt_analysed', 'seq');
RESET client_min_messages;

-- the module as a server without its file sees it: the extension's C
-- functions name a file that does not exist (put back below)
CREATE TABLE dt_probin AS
SELECT p.oid, p.probin
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_kmersearch'
 WHERE p.probin IS NOT NULL;
SELECT count(*) > 50 AS c_functions FROM dt_probin;
UPDATE pg_proc p SET probin = '$libdir/pg_kmersearch_absent' FROM dt_probin b WHERE p.oid = b.oid;
-- try(cmd): 'ok', or the error's SQLSTATE (the message names the file
-- differently from one PostgreSQL version to another)
CREATE FUNCTION try(cmd text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE cmd;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || CASE WHEN SQLERRM LIKE 'could not access file %' THEN ' could not access file' ELSE ' ' || SQLERRM END;
END $$;
\c

-- DDL that has nothing to do with the extension works
CREATE TABLE dt_plain (a integer, b text);
CREATE INDEX dt_plain_a ON dt_plain (a);
ALTER TABLE dt_plain ADD COLUMN c integer;
ALTER TABLE dt_plain RENAME COLUMN c TO d;
ALTER TABLE dt_plain ALTER COLUMN a TYPE bigint;
ALTER INDEX dt_plain_a RENAME TO dt_plain_a2;
CREATE TABLE dt_like (LIKE dt_plain INCLUDING ALL);
CREATE TABLE dt_parted (a integer) PARTITION BY HASH (a);
CREATE TABLE dt_part0 PARTITION OF dt_parted FOR VALUES WITH (MODULUS 1, REMAINDER 0);
CREATE INDEX ON dt_parted (a);
CREATE MATERIALIZED VIEW dt_mv AS SELECT 1 AS x;
ALTER MATERIALIZED VIEW dt_mv RENAME COLUMN x TO y;
ALTER TABLE dt_plain DROP COLUMN d;
DROP INDEX dt_plain_a2;
DROP TABLE dt_plain, dt_like, dt_parted;
DROP MATERIALIZED VIEW dt_mv;
CREATE SCHEMA dt_s;
CREATE TABLE dt_s.t (a integer);
DROP SCHEMA dt_s CASCADE;
-- ... and so does DDL on a table of the extension's types with neither a
-- kmersearch index nor an analysis
CREATE TABLE dt_dna (s dna2);
ALTER TABLE dt_dna ADD COLUMN n integer;
CREATE INDEX dt_dna_n ON dt_dna (n);
DROP TABLE dt_dna;

-- DDL on kmersearch indexes and analysed tables needs the module
SELECT try('ALTER TABLE dt_kmer ADD COLUMN n integer');
SELECT try('DROP INDEX dt_kmer_gin');
SELECT try('ALTER TABLE dt_analysed RENAME COLUMN seq TO s');
SELECT try('DROP TABLE dt_analysed');

-- the module back: the records follow renames and drops
UPDATE pg_proc p SET probin = b.probin FROM dt_probin b WHERE p.oid = b.oid;
\c
ALTER TABLE dt_analysed RENAME COLUMN seq TO s;
SELECT table_name, column_name FROM kmersearch_analysis_status WHERE table_oid = 'dt_analysed'::regclass;
DROP TABLE dt_analysed;
SELECT count(*) AS analyses_left FROM kmersearch_analysis_status WHERE table_name IS NULL;
SELECT count(*) AS recorded FROM kmersearch_gin_index_meta WHERE index_oid = :gin_oid;
DROP INDEX dt_kmer_gin;
SELECT count(*) AS recorded FROM kmersearch_gin_index_meta WHERE index_oid = :gin_oid;
DROP TABLE dt_kmer, dt_probin;
DROP FUNCTION try;

-- the first CREATE INDEX of a session (which loads the module too late for
-- its hook) on a partitioned table: the partitions' indexes take the
-- session's settings as well, and answer as a scan does
CREATE TABLE dt_parts (id integer, seq dna2) PARTITION BY HASH (id);
CREATE TABLE dt_parts0 PARTITION OF dt_parts FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE dt_parts1 PARTITION OF dt_parts FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO dt_parts
SELECT i, translate(md5(i::text) || md5((i + 1)::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 100) AS i;
SELECT overlay(seq::text PLACING 'T' FROM 20) AS q FROM dt_parts WHERE id = 42 \gset
\c
SET kmersearch.kmer_size = 10;
CREATE INDEX dt_parts_gin ON dt_parts USING gin (seq);
SELECT c.relname, a.attoptions
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE i.inhparent = 'dt_parts_gin'::regclass
UNION ALL
SELECT 'dt_parts_gin', attoptions FROM pg_attribute WHERE attrelid = 'dt_parts_gin'::regclass
 ORDER BY 1;
SET kmersearch.min_shared_ngram_key_rate = 0.5;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM dt_parts WHERE seq =% :'q';
SELECT array_agg(id ORDER BY id) AS via_index FROM dt_parts WHERE seq =% :'q';
RESET enable_seqscan;
SET enable_bitmapscan = off;
SELECT array_agg(id ORDER BY id) AS via_scan FROM dt_parts WHERE seq =% :'q';
RESET enable_bitmapscan;
DROP TABLE dt_parts;

-- the first CREATE INDEX of a session naming the operator class unqualified
-- gets the session's settings for the options it leaves out
CREATE TABLE dt_src (id integer, seq dna2);
INSERT INTO dt_src SELECT i, 'ACGTACGTAAACCCGGGTTTACGATCGATCGA' FROM generate_series(1, 20) AS i;
\c
SET kmersearch.kmer_size = 10;
CREATE INDEX dt_src_named ON dt_src USING gin (seq kmersearch_dna2_gin_ops (occur_bitlen = 6));
SELECT attoptions FROM pg_attribute WHERE attrelid = 'dt_src_named'::regclass;
DROP INDEX dt_src_named;

-- CREATE TABLE ... (LIKE ... INCLUDING INDEXES) copies an index as it is,
-- also one without explicit options (made where neither the module nor a
-- trigger wrote them: the constant defaults), whatever the session's
-- settings
\c
SET session_replication_role = replica;
CREATE INDEX dt_src_gin ON dt_src USING gin (seq);
RESET session_replication_role;
SELECT attoptions FROM pg_attribute WHERE attrelid = 'dt_src_gin'::regclass;
SET kmersearch.kmer_size = 10;
CREATE TABLE dt_copy (LIKE dt_src INCLUDING INDEXES);
SELECT a.attoptions FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indexrelid
 WHERE i.indrelid = 'dt_copy'::regclass;
RESET kmersearch.kmer_size;
DROP TABLE dt_copy;

-- a column renamed on an inheritance parent: the analysis of a child (the
-- parent has none, nor any index) follows
CREATE TABLE dt_parent (id integer, seq dna2);
CREATE TABLE dt_child () INHERITS (dt_parent);
INSERT INTO dt_child SELECT id, seq FROM dt_src;
SET client_min_messages = warning;
SELECT total_rows FROM kmersearch_perform_highfreq_analysis('dt_child', 'seq');
RESET client_min_messages;
ALTER TABLE dt_parent RENAME COLUMN seq TO s;
SELECT table_name, column_name FROM kmersearch_analysis_status WHERE table_oid = 'dt_child'::regclass;
DROP TABLE dt_parent, dt_child, dt_src;

-- a role that may not use the extension's schema: its DDL works (the
-- triggers read the extension's tables as its owner)
SELECT extnamespace::regnamespace AS extschema FROM pg_extension WHERE extname = 'pg_kmersearch' \gset
CREATE ROLE regress_dt_nousage;
CREATE SCHEMA dt_own AUTHORIZATION regress_dt_nousage;
REVOKE USAGE ON SCHEMA :"extschema" FROM PUBLIC;
SET ROLE regress_dt_nousage;
CREATE TABLE dt_own.t (a integer);
ALTER TABLE dt_own.t RENAME COLUMN a TO b;
CREATE INDEX ON dt_own.t (b);
DROP TABLE dt_own.t;
RESET ROLE;
GRANT USAGE ON SCHEMA :"extschema" TO PUBLIC;
DROP SCHEMA dt_own;
DROP ROLE regress_dt_nousage;
