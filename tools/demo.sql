-- pg_kmersearch demo: the dna2 and dna4 types and k-mer search on real SSU
-- rRNA sequences.  Run by tools/demo.sh with -v tsv=FILE (accession,
-- description, sequence) and -v query=SEQUENCE.
\pset footer off
DROP EXTENSION IF EXISTS pg_kmersearch CASCADE;
CREATE EXTENSION pg_kmersearch;

\echo '\n-- SIMD level in use for encoding and decoding'
SELECT kmersearch_simd_capability() AS simd_level;

CREATE TEMP TABLE ssu_raw (acc text, description text, seq text);
COPY ssu_raw FROM :'tsv';

-- dna4 keeps every sequence, IUPAC codes included; dna2 takes the pure-ACGT ones.
CREATE TABLE ssu (id serial PRIMARY KEY, acc text, description text, seq dna4 NOT NULL);
INSERT INTO ssu (acc, description, seq) SELECT acc, description, seq FROM ssu_raw;
CREATE TABLE ssu_acgt (id integer PRIMARY KEY, acc text, seq dna2 NOT NULL);
INSERT INTO ssu_acgt SELECT id, acc, seq::dna2 FROM ssu WHERE seq::text !~ '[^ACGT]';

\echo '\n-- the collection'
SELECT count(*) AS sequences, min(length(seq)) AS shortest, round(avg(length(seq))) AS mean_length,
       max(length(seq)) AS longest, sum(length(seq)) AS bases,
       (SELECT count(*) FROM ssu_acgt) AS pure_acgt
  FROM ssu;

\echo '\n-- bytes a base as text, dna4 and dna2 (the same pure-ACGT sequences)'
SELECT round(sum(pg_column_size(r.seq))::numeric / sum(length(r.seq)), 3) AS text_bytes_per_base,
       round(sum(pg_column_size(s.seq))::numeric / sum(length(r.seq)), 3) AS dna4_bytes_per_base,
       round(sum(pg_column_size(a.seq))::numeric / sum(length(r.seq)), 3) AS dna2_bytes_per_base
  FROM ssu_acgt a JOIN ssu s USING (id) JOIN ssu_raw r ON r.acc = s.acc;

\echo '\n-- sequences with IUPAC degenerate codes (dna4 only)'
SELECT acc, left(description, 40) AS description, length(seq) AS length,
       length(regexp_replace(seq::text, '[ACGT]', '', 'g')) AS degenerate_bases,
       substr(seq::text, strpos(seq::text, substring(seq::text FROM '[^ACGT]')), 30) AS from_first_code
  FROM ssu WHERE seq::text ~ '[^ACGT]' ORDER BY id LIMIT 5;

\echo '\n-- distinct sequences (hash aggregation on dna4) and the first in sequence order (btree on dna2)'
SELECT count(*) AS sequences, count(DISTINCT seq) AS distinct_sequences FROM ssu;
SELECT acc, left(seq::text, 40) AS starts_with FROM ssu_acgt ORDER BY seq LIMIT 3;

\echo '\n-- exact look-up through a btree index on dna2'
CREATE INDEX ON ssu_acgt (seq);
ANALYZE ssu_acgt;
EXPLAIN (COSTS OFF) SELECT acc FROM ssu_acgt WHERE seq = (SELECT seq FROM ssu_acgt ORDER BY id LIMIT 1);
SELECT acc, length(seq) FROM ssu_acgt WHERE seq = (SELECT seq FROM ssu_acgt ORDER BY id LIMIT 1);

\echo '\n-- input is checked: the first bad character and its position are named'
\set ON_ERROR_STOP 0
SELECT 'ACGTTGCAXGT'::dna2;
SELECT seq::dna2 FROM ssu WHERE seq::text ~ '[^ACGT]' ORDER BY id LIMIT 1;
\set ON_ERROR_STOP 1

\echo '\n-- k-mer search: a GIN index of 16-mer keys, and a 250-base E. coli 16S read as the query'
\echo :query
SET kmersearch.kmer_size = 16;
\timing on
CREATE INDEX ssu_seq_gin ON ssu USING gin (seq);
\timing off
ANALYZE ssu;
SELECT pg_size_pretty(pg_table_size('ssu')) AS table_size,
       pg_size_pretty(pg_relation_size('ssu_seq_gin')) AS index_size;

\echo '\n-- rows sharing at least half of the query''s keys, best first (the planner uses the index)'
SET kmersearch.min_shared_ngram_key_rate = 0.5;
EXPLAIN (COSTS OFF) SELECT id FROM ssu WHERE seq =% :'query';
\timing on
SELECT acc, left(description, 60) AS description, length(seq) AS length,
       kmersearch_rawscore(seq, :'query') AS score
  FROM ssu WHERE seq =% :'query'
 ORDER BY score DESC, acc LIMIT 10;
\timing off

\echo '\n-- at 90% of the keys only near-identical sequences remain'
SET kmersearch.min_shared_ngram_key_rate = 0.9;
SELECT acc, left(description, 60) AS description, kmersearch_rawscore(seq, :'query') AS score
  FROM ssu WHERE seq =% :'query'
 ORDER BY score DESC, acc LIMIT 10;

\echo '\n-- the same search without the index: every row is scored'
SET kmersearch.min_shared_ngram_key_rate = 0.5;
SET enable_bitmapscan = off;
\timing on
SELECT count(*) AS matches FROM ssu WHERE seq =% :'query';
\timing off
RESET enable_bitmapscan;
SELECT cache_type, total_entries, total_hits, total_misses FROM kmersearch_cache_summary;
