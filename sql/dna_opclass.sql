--
-- Comparison operators, the default btree and hash operator classes, and
-- what they make possible: ORDER BY, DISTINCT, GROUP BY, joins, unique
-- indexes, hash partitioning.
--
-- The order of dna2 is the text order of its letters (A < C < G < T), a
-- proper prefix first.  dna4 orders each base by its 4-bit code: A C M G R S
-- V T W Y H K D B N.  Both are checked against text sorted in the "C"
-- collation, after mapping dna4 letters to letters in code order.
CREATE TABLE seqs (id integer PRIMARY KEY, t text);
INSERT INTO seqs
SELECT i, substr(translate(md5(i::text) || md5((i * 7)::text), '0123456789abcdef', 'ACGTACGTACGTACGT'),
                 1, i % 13)
  FROM generate_series(1, 400) AS i;
INSERT INTO seqs VALUES (401, ''), (402, 'A'), (403, 'AA'), (404, 'T'), (405, 'TTTTTTTTTT');

-- dna2: ORDER BY equals the text order
SELECT count(*) AS rows_in_order FROM (
  SELECT row_number() OVER (ORDER BY t::dna2, id) AS a,
         row_number() OVER (ORDER BY t COLLATE "C", id) AS b
    FROM seqs) s
 WHERE a = b;

-- dna4, including degenerate codes
CREATE TABLE seqs4 (id integer PRIMARY KEY, t text);
INSERT INTO seqs4
SELECT i, substr(translate(md5(i::text) || md5((i * 3)::text), '0123456789abcdef', 'ACMGRSVTWYHKDBNA'),
                 1, i % 11)
  FROM generate_series(1, 400) AS i;
SELECT count(*) AS rows_in_order FROM (
  SELECT row_number() OVER (ORDER BY t::dna4, id) AS a,
         row_number() OVER (ORDER BY translate(t, 'ACMGRSVTWYHKDBN', 'abcdefghijklmno') COLLATE "C", id) AS b
    FROM seqs4) s
 WHERE a = b;

-- dna4 with degenerate codes: every operator against the text comparison
-- of the letters mapped to code order
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE (a.t::dna4 = b.t::dna4) = (a.m = b.m)
                          AND (a.t::dna4 <> b.t::dna4) = (a.m <> b.m)
                          AND (a.t::dna4 < b.t::dna4) = (a.m < b.m)
                          AND (a.t::dna4 <= b.t::dna4) = (a.m <= b.m)
                          AND (a.t::dna4 > b.t::dna4) = (a.m > b.m)
                          AND (a.t::dna4 >= b.t::dna4) = (a.m >= b.m)
                          AND sign(dna4_cmp(a.t::dna4, b.t::dna4)) = sign(bttextcmp(a.m, b.m))) AS agree
  FROM (SELECT id, t, translate(t, 'ACMGRSVTWYHKDBN', 'abcdefghijklmno') COLLATE "C" AS m FROM seqs4) a,
       (SELECT id, t, translate(t, 'ACMGRSVTWYHKDBN', 'abcdefghijklmno') COLLATE "C" AS m FROM seqs4) b
 WHERE a.id % 3 = 0 AND b.id % 2 = 0;

-- every operator against the text comparison, over all pairs
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE (a.t::dna2 = b.t::dna2) = (a.t = b.t)
                          AND (a.t::dna2 <> b.t::dna2) = (a.t <> b.t)
                          AND (a.t::dna2 < b.t::dna2) = (a.t < b.t COLLATE "C")
                          AND (a.t::dna2 <= b.t::dna2) = (a.t <= b.t COLLATE "C")
                          AND (a.t::dna2 > b.t::dna2) = (a.t > b.t COLLATE "C")
                          AND (a.t::dna2 >= b.t::dna2) = (a.t >= b.t COLLATE "C")
                          AND sign(dna2_cmp(a.t::dna2, b.t::dna2)) = sign(bttextcmp(a.t COLLATE "C", b.t COLLATE "C"))
                          AND (a.t::dna4 = b.t::dna4) = (a.t = b.t)
                          AND (a.t::dna4 < b.t::dna4) = (a.t < b.t COLLATE "C")) AS agree
  FROM seqs a, seqs b WHERE a.id % 4 = 0 AND b.id % 3 = 0;

-- prefixes sort first; equal values hash alike, whatever their case
SELECT 'ACG'::dna2 < 'ACGA'::dna2 AS prefix_lt, 'ACGA'::dna2 > 'ACG'::dna2 AS longer_gt,
       'acgu'::dna2 = 'ACGT'::dna2 AS case_eq, 'ACG'::dna2 <> 'ACGA'::dna2 AS ne,
       dna2_hash('acgu') = dna2_hash('ACGT') AS hash_eq,
       dna4_hash_extended('nryk', 42) = dna4_hash_extended('NRYK', 42) AS hash_ext_eq,
       dna4_hash_extended('NRYK', 0) <> dna4_hash_extended('NRYK', 1) AS seed_matters,
       'M'::dna4 < 'G'::dna4 AS code_order;

-- btree index: used, and gives the same rows as a scan
CREATE TABLE d2 (id integer, seq dna2);
INSERT INTO d2 SELECT id, t FROM seqs;
CREATE INDEX d2_seq_btree ON d2 (seq);
ANALYZE d2;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM d2 WHERE seq = 'ACGTA';
SELECT array_agg(id ORDER BY id) FROM d2 WHERE seq = 'A';
SELECT count(*) FROM d2 WHERE seq < 'C' AND seq >= 'AC';
RESET enable_seqscan;
SELECT count(*) FROM seqs WHERE t < 'C' COLLATE "C" AND t >= 'AC' COLLATE "C";

-- DISTINCT and GROUP BY, by sort and by hash
SET enable_hashagg = off;
SELECT count(DISTINCT seq) AS distinct_sorted FROM d2;
RESET enable_hashagg;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT seq, count(*) FROM d2 GROUP BY seq;
SELECT count(*) AS groups_hashed FROM (SELECT seq, count(*) FROM d2 GROUP BY seq) g;
RESET enable_sort;
SELECT count(DISTINCT t) AS distinct_text FROM seqs;

-- hash join and merge join agree with the text join
CREATE TABLE d4 (id integer, seq dna4);
INSERT INTO d4 SELECT id, t FROM seqs;
SET enable_mergejoin = off; SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM d4 a JOIN d4 b ON a.seq = b.seq;
SELECT count(*) AS hash_join FROM d4 a JOIN d4 b ON a.seq = b.seq;
RESET enable_mergejoin; SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM d4 a JOIN d4 b ON a.seq = b.seq;
SELECT count(*) AS merge_join FROM d4 a JOIN d4 b ON a.seq = b.seq;
RESET enable_hashjoin; RESET enable_nestloop;
SELECT count(*) AS text_join FROM seqs a JOIN seqs b ON a.t = b.t;

-- unique index (btree) and a hash index
CREATE TABLE uniq (seq dna2 UNIQUE);
INSERT INTO uniq VALUES ('ACGT'), ('ACG'), ('ACGTA');
INSERT INTO uniq VALUES ('acgu');
SELECT * FROM uniq ORDER BY seq;
CREATE INDEX d4_hash ON d4 USING hash (seq);
SET enable_seqscan = off; SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM d4 WHERE seq = 'ACGTTAC';
SELECT array_agg(id ORDER BY id) FROM d4 WHERE seq = 'A';
RESET enable_seqscan; RESET enable_bitmapscan;

-- hash partitioning by a dna column, both types
CREATE TABLE part2 (id integer, seq dna2) PARTITION BY HASH (seq);
CREATE TABLE part2_0 PARTITION OF part2 FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE part2_1 PARTITION OF part2 FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE part2_2 PARTITION OF part2 FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO part2 SELECT id, t FROM seqs;
SELECT count(*) AS total, count(DISTINCT tableoid) AS partitions_used FROM part2;
-- partition pruning finds a row by its sequence, scanning one partition
-- (which one depends on the hash, so only the count is shown)
CREATE FUNCTION scanned_partitions(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    line text;
    n bigint := 0;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        IF line ~ 'Scan on part' THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END $$;
SELECT scanned_partitions($q$SELECT id FROM part2 WHERE seq = 'TTTTTTTTTT'$q$) AS partitions_scanned,
       scanned_partitions($q$SELECT id FROM part2$q$) AS partitions_in_full_scan;
SELECT id FROM part2 WHERE seq = 'TTTTTTTTTT';
CREATE TABLE part4 (seq dna4 PRIMARY KEY) PARTITION BY HASH (seq);
CREATE TABLE part4_0 PARTITION OF part4 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE part4_1 PARTITION OF part4 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO part4 SELECT DISTINCT t FROM seqs4;
SELECT count(*) = (SELECT count(DISTINCT t) FROM seqs4) AS all_rows, count(DISTINCT tableoid) AS partitions_used FROM part4;
SELECT left(err($q$INSERT INTO part4 VALUES ('nryk'), ('NRYK')$q$), 5) AS duplicate_key_sqlstate;

DROP TABLE seqs, seqs4, d2, d4, uniq, part2, part4;
DROP FUNCTION scanned_partitions;
