--
-- Identity and alignment (kmersearch_identity, kmersearch_align), on
-- sequences whose alignment can be worked out by hand.  test/t/010_vsearch.pl
-- checks them against vsearch itself.
--
CREATE TEMP TABLE ref AS
SELECT 'GATTACAGGCTTACCGATCGGATCCATGCAAGTCGAACGGTAACAGGAAGCAGCTTGCTGCTTCGCTGACGAGTGGCGGACGGGTGAGTAATGTCTGGG'::text AS s;
SELECT length(s) FROM ref;

-- the same sequence: 99 matches
SELECT a.* FROM ref, kmersearch_align(s::dna2, s) a;
SELECT kmersearch_identity(s::dna2, s), kmersearch_identity(s::dna4, s) FROM ref;

-- one substitution at 50: 98 of 99 columns
SELECT a.* FROM ref, kmersearch_align(s::dna2, overlay(s PLACING 'A' FROM 50 FOR 1)) a;

-- a read inside the sequence: the sequence's overhangs are terminal gaps,
-- left out of the internal identity (vsearch's default) but not of the others
SELECT a.* FROM ref, kmersearch_align(s::dna2, substr(s, 21, 60)) a;
SELECT d, kmersearch_identity(s::dna2, overlay(substr(s, 21, 60) PLACING 'A' FROM 30 FOR 1)) AS identity
  FROM ref, unnest(ARRAY['internal', 'alignment', 'shortest', 'mbl', '0', '1', '2', '3', '4']) AS d,
       LATERAL set_config('kmersearch.identity_definition', d, false) c
 ORDER BY d;
RESET kmersearch.identity_definition;

-- an insertion in the query is I, a deletion from it D (SAM's letters, the
-- query as the read): one gap opening and one gap column each
SELECT a.* FROM ref, kmersearch_align(s::dna2, overlay(s PLACING 'TTTT' FROM 51 FOR 0)) a;
SELECT a.* FROM ref, kmersearch_align(s::dna2, overlay(s PLACING '' FROM 41 FOR 3)) a;

-- a gap next to a terminal gap is inside the alignment: the aligned part
-- and the CIGAR start before it (vsearch trims only the first and last run;
-- its end gaps cost, so it puts the ten C against T instead, 10 mismatches
-- for the 10 gap columns here: the same identity, 99/109)
SELECT a.* FROM ref, kmersearch_align(('TTTTTTTTTTTTTTTTTTTT' || s)::dna2, 'CCCCCCCCCC' || s) a;

-- IUPAC codes: a code that includes the other base is a match, as in vsearch
SELECT a.matches, a.mismatches, a.identity
  FROM ref, kmersearch_align(s::dna4, overlay(s PLACING 'NNRY' FROM 11 FOR 4)) a;
SELECT kmersearch_identity('ACGTACGTACGTACGTACGT'::dna4, 'ACGTACGTAMGTACGTACGT'),  -- M = A or C: C matches
       kmersearch_identity('ACGTACGTACGTACGTACGT'::dna4, 'ACGTACGTAKGTACGTACGT'),  -- K = G or T: no
       kmersearch_identity('ACGTACGTANGTACGTACGT'::dna4, 'ACGTACGTACGTACGTACGT');  -- N in the sequence

-- strands: the reverse complement aligns on strand - under both
SELECT kmersearch_identity(s::dna2, kmersearch_revcomp(s)) < 0.8 AS plus_only_low FROM ref;
SET kmersearch.strand = 'both';
SELECT a.* FROM ref, kmersearch_align(s::dna2, kmersearch_revcomp(substr(s, 21, 60))) a;
SELECT kmersearch_identity(s::dna2, kmersearch_revcomp(s)), kmersearch_identity(s::dna2, s) FROM ref;
RESET kmersearch.strand;

-- dna2 and dna4 queries, lower case and U
SELECT kmersearch_identity(s::dna2, s::dna2), kmersearch_identity(s::dna4, s::dna4),
       kmersearch_identity(s::dna2, s::dna4), kmersearch_identity(s::dna4, s::dna2),
       (kmersearch_align(s::dna4, lower(translate(s, 'T', 'U')))).identity
  FROM ref;

-- nothing to align: identity 0, no positions
SELECT a.* FROM kmersearch_align(''::dna2, 'ACGT') a;
SELECT a.* FROM kmersearch_align('ACGT'::dna4, '') a;
SELECT kmersearch_identity('ACGT'::dna2, NULL) IS NULL;

-- bad input
SELECT kmersearch_identity('ACGT'::dna2, 'ACGT.CGT');
SELECT kmersearch_align('ACGT'::dna2, 'ACXT');
SET kmersearch.align_max_cells = 1000;
-- (a pair not aligned before: one already aligned comes from the cache)
SELECT kmersearch_identity(s::dna2, substr(s, 2)) FROM ref;
RESET kmersearch.align_max_cells;
SET kmersearch.align_max_cells = 10;
SET kmersearch.identity_definition = 'blast';

-- unrelated sequences: a low identity on either strand, not a few columns
-- "aligned" between free overhangs
CREATE TEMP TABLE unrelated AS
SELECT i, translate(string_agg(md5((i * 1000 + j)::text), ''), '0123456789abcdef', 'ACGTACGTACGTACGT') AS s
  FROM generate_series(1, 6) i, generate_series(1, 40) j GROUP BY i;
SET kmersearch.strand = 'both';
SELECT count(*) AS pairs, max(a.identity) < 0.6 AS all_low,
       min(a.alignment_length::float8 / length(q)) >= 0.9 AS query_aligned
  FROM (SELECT u1.s, substr(u2.s, 1 + u2.i * 50, 300 + u1.i * 150) AS q
          FROM unrelated u1 JOIN unrelated u2 ON u1.i < u2.i) p,
       kmersearch_align(s::dna2, q) a;
RESET kmersearch.strand;

-- canceled in the middle of alignments (what the library holds is freed:
-- the valgrind stage checks that nothing is lost)
SET statement_timeout = '300ms';
SELECT count(kmersearch_identity(u1.s::dna2, u2.s)) FROM unrelated u1, unrelated u2, generate_series(1, 100000);
RESET statement_timeout;

-- a longer pair, and a table of reads
SELECT a.identity, a.matches, a.alignment_length, a.cigar
  FROM (SELECT repeat(s, 20) AS long FROM ref) l,
       kmersearch_align(long::dna2, overlay(substr(long, 1, 1000) PLACING 'C' FROM 700 FOR 1) || substr(long, 1005)) a;

CREATE TEMP TABLE reads AS
SELECT i, overlay(substr(s, i, 50) PLACING 'A' FROM 25 FOR 1) AS r FROM ref, generate_series(1, 40) i;
SELECT count(*) FILTER (WHERE a.identity >= 0.97) AS over_97, count(*) FILTER (WHERE a.target_start = i) AS placed,
       min(a.matches), max(a.matches)
  FROM reads, ref, kmersearch_align(s::dna2, r) a;

-- in a parallel scan
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE align_many AS SELECT i, (SELECT s FROM ref)::dna4 AS seq FROM generate_series(1, 2000) i;
SELECT count(*), sum(kmersearch_identity(seq, 'GGCTTACCGATCGGATCCATGCAAGTCGAAC')) FROM align_many;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE ref, unrelated, reads, align_many;
