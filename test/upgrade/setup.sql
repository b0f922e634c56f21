-- A database made with pg_kmersearch 1.0.0: indexes of every kind (plain,
-- another k-mer size, with exclusion, on a partitioned table, one whose
-- settings 1.0 never recorded) and an analysis, in a schema of its own.
CREATE EXTENSION pg_kmersearch;
CREATE SCHEMA s;
CREATE TABLE s.ref (id integer PRIMARY KEY, seq dna4);
INSERT INTO s.ref
SELECT i, 'ACGTTGCAGGATCCATGCAAGCTT' ||
          translate(md5(i::text) || md5((i + 7)::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 2000) AS i;
UPDATE s.ref SET seq = overlay(seq::text PLACING 'NR' FROM 60)::dna4 WHERE id % 10 = 0;
CREATE TABLE s.ref2 (id integer PRIMARY KEY, seq dna2);
INSERT INTO s.ref2 SELECT id, translate(seq::text, 'NR', 'AG')::dna2 FROM s.ref;
CREATE TABLE s.part (id integer, seq dna4) PARTITION BY HASH (id);
CREATE TABLE s.part_0 PARTITION OF s.part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE s.part_1 PARTITION OF s.part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO s.part SELECT * FROM s.ref;
ANALYZE;
SELECT highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('s.ref', 'seq');
CREATE INDEX ref_plain ON s.ref USING gin (seq);
SET kmersearch.preclude_highfreq_kmer = on;
CREATE INDEX ref_excl ON s.ref USING gin (seq);
RESET kmersearch.preclude_highfreq_kmer;
SET kmersearch.kmer_size = 12;
CREATE INDEX ref2_k12 ON s.ref2 USING gin (seq);
CREATE INDEX part_k12 ON s.part USING gin (seq);
-- made where 1.0's event triggers did not fire: no settings in its definition
SET session_replication_role = replica;
CREATE INDEX ref2_unrecorded ON s.ref2 USING gin (seq);
RESET session_replication_role;
RESET kmersearch.kmer_size;
