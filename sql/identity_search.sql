--
-- Search by identity (kmersearch.min_identity): =% finds exactly the rows
-- whose alignment with the query reaches the identity and covers
-- kmersearch.min_query_coverage of the query, through the index as through
-- a sequential scan, which is checked against aligning every row
-- (kmersearch_align).  bench/bench_identity.sh does the same on SILVA.
--
SELECT setseed(0.25);

CREATE FUNCTION rseq(n integer) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(substr('ACGT', 1 + floor(random() * 4)::integer, 1), '') FROM generate_series(1, n)
$$;

-- substitutions, insertions and deletions at the given rates
CREATE FUNCTION mutate(s text, sub float8, indel float8) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    out text := '';
    r float8;
BEGIN
    FOR i IN 1 .. length(s) LOOP
        r := random();
        IF r < sub THEN
            out := out || substr(replace('ACGT', substr(s, i, 1), ''), 1 + floor(random() * 3)::integer, 1);
        ELSIF r < sub + indel / 2 THEN
            out := out || substr('ACGT', 1 + floor(random() * 4)::integer, 1) || substr(s, i, 1);
        ELSIF r < sub + indel THEN
            NULL;
        ELSE
            out := out || substr(s, i, 1);
        END IF;
    END LOOP;
    RETURN out;
END $$;

-- 6 ancestors of 500 bases; 16 relatives of each from 80 % to 100 %
-- identical, some of them shorter (pieces of 336 and 372 bases), some on
-- the other strand, some with a run of N (windows without k-mers)
CREATE TABLE anc AS SELECT a, rseq(500) AS s FROM generate_series(1, 6) a;
CREATE TABLE idref (id serial PRIMARY KEY, seq dna4, seq2 dna2);
-- relative v of an ancestor (volatile: called in the select list, after the sort)
CREATE FUNCTION relative(s text, v integer) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    x text := mutate(s, (v % 12) * 0.012, (v % 4) * 0.004);
BEGIN
    IF v % 6 = 0 THEN
        x := substr(x, 1 + (v * 7) % 60, 300 + v * 6);
    END IF;
    RETURN CASE WHEN v % 5 = 0 THEN kmersearch_revcomp(x) ELSE x END;
END $$;
INSERT INTO idref (seq)
SELECT relative(s, v)::dna4 FROM anc, generate_series(1, 16) v ORDER BY a, v;
-- runs of N: the identity stays (N matches any base) but their windows give no k-mer
UPDATE idref SET seq = overlay(seq::text PLACING repeat('N', 150) FROM 120 FOR 150)::dna4 WHERE id % 7 = 0;
UPDATE idref SET seq = overlay(seq::text PLACING 'NNRYKMSWNNB' FROM 200 FOR 11)::dna4 WHERE id % 7 = 3;
-- rows at the q-gram lemma's worst case for a query of 300 bases of the
-- 4th ancestor: n edits of one kind 29 bases apart, each breaking its own
-- windows (X a substitution and I a query base the row lacks: 16 each; D a
-- row base the query lacks: 15); 9 keep the identity at 0.97 or above (9 X
-- exactly 0.97 = 291/300, and then exactly as many keys as the threshold
-- under coverage 1), 10 do not
CREATE FUNCTION edit_every(s text, kind text, n integer) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN REVERSE n - 1 .. 0 LOOP
        s := CASE kind
             WHEN 'X' THEN overlay(s PLACING translate(substr(s, 20 + 29 * i, 1), 'ACGT', 'CGTA') FROM 20 + 29 * i FOR 1)
             WHEN 'I' THEN overlay(s PLACING '' FROM 20 + 29 * i FOR 1)
             ELSE overlay(s PLACING 'A' FROM 20 + 29 * i FOR 0) END;
    END LOOP;
    RETURN s;
END $$;
INSERT INTO idref (seq)
SELECT (CASE WHEN flank THEN rseq(60) ELSE '' END || edit_every(substr(s, 101, 300), kind, n)
        || CASE WHEN flank THEN rseq(60) ELSE '' END)::dna4
  FROM anc, unnest(ARRAY['X', 'I', 'D']) kind, generate_series(9, 10) n, unnest(ARRAY[false, true]) flank
 WHERE a = 4
 ORDER BY kind, n, flank;
UPDATE idref SET seq2 = translate(seq::text, 'NRYKMSWBDHV', 'ACCGAGAGAAA')::dna2;
SELECT count(*), min(length(seq::text)), max(length(seq::text)) FROM idref;

-- queries: reads of 150 and 250 bases and whole sequences, with a few
-- changes, half of them reverse-complemented, one with IUPAC codes
CREATE TABLE idq (qid serial, q text);
CREATE FUNCTION read_of(s text, a integer) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN a % 2 = 0 THEN kmersearch_revcomp(x) ELSE x END
      FROM mutate(substr(s, 1 + a * 20, CASE a % 3 WHEN 0 THEN 150 WHEN 1 THEN 250 ELSE 500 END), 0.01, 0.004) x
$$;
INSERT INTO idq (q) SELECT read_of(s, a) FROM anc ORDER BY a;
INSERT INTO idq (q) SELECT overlay(s PLACING 'NRY' FROM 100 FOR 3) FROM anc WHERE a = 3;
INSERT INTO idq (q) SELECT substr(s, 101, 300) FROM anc WHERE a = 4;

CREATE INDEX idref_seq ON idref USING gin (seq);
CREATE INDEX idref_seq2 ON idref USING gin (seq2);
ANALYZE idref, idq;
-- a new index writes unkeyed_windows, so that its dna4 rows count their windows without k-mers
SELECT pg_get_indexdef('idref_seq'::regclass);

-- For every query: the rows =% finds through the index and through a
-- sequential scan, against those whose alignment on the query's strand (or,
-- under strand both, on either strand) kmersearch_align says reach the
-- identity and the coverage (every row aligned once with each strand of the
-- query for each column and identity definition, kept in brute); and how
-- many rows the index's k-mer filter passed on to be aligned, of all the
-- rows (of every query).
CREATE TABLE brute (col text, strand text, def text, qid integer, id integer, identity float8, coverage float8);
CREATE FUNCTION check_identity(col text) RETURNS TABLE (queries bigint, hits bigint, index_wrong bigint,
                                                        scan_wrong bigint, aligned bigint, of_rows bigint)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    want integer[];
    by_index integer[];
    by_scan integer[];
    line text;
    passed bigint := 0;
    removed bigint;
    v_strand text := current_setting('kmersearch.strand');
    v_strands text[] := CASE v_strand WHEN 'both' THEN '{+,-}'::text[] ELSE '{+}' END;
    v_def text := current_setting('kmersearch.identity_definition');
    s text;
BEGIN
    SET LOCAL kmersearch.strand = plus;
    FOREACH s IN ARRAY v_strands LOOP
        IF NOT EXISTS (SELECT FROM brute b WHERE b.col = check_identity.col AND b.strand = s AND b.def = v_def) THEN
            EXECUTE format('INSERT INTO brute SELECT %L, %L, %L, qid, id, a.identity,
                                   (a.matches + a.mismatches)::float8 / length(q)
                              FROM idq, idref, kmersearch_align(%I, CASE %L WHEN ''+'' THEN q ELSE kmersearch_revcomp(q) END) a',
                           col, s, v_def, col, s);
        END IF;
    END LOOP;
    EXECUTE format('SET LOCAL kmersearch.strand = %I', v_strand);
    -- =% aligns for itself, not from the alignments kept for kmersearch_align's
    PERFORM kmersearch_rawscore_cache_free();
    queries := 0; hits := 0; index_wrong := 0; scan_wrong := 0;
    FOR r IN SELECT qid, q FROM idq ORDER BY qid LOOP
        SELECT coalesce(array_agg(DISTINCT b.id ORDER BY b.id), '{}') INTO want
          FROM brute b
         WHERE b.col = check_identity.col AND b.strand = ANY (v_strands) AND b.def = v_def AND b.qid = r.qid
           AND b.identity >= current_setting('kmersearch.min_identity')::float8
           AND b.coverage >= current_setting('kmersearch.min_query_coverage')::float8;
        SET LOCAL enable_seqscan = off;
        EXECUTE format('SELECT coalesce(array_agg(id ORDER BY id), ''{}'') FROM idref WHERE %I =%% $1', col)
            INTO by_index USING r.q;
        FOR line IN EXECUTE format('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM idref WHERE %I =%% %L', col, r.q) LOOP
            IF line ~ 'Seq Scan' THEN
                RAISE EXCEPTION 'the index was not used: %', line;
            END IF;
            removed := substring(line FROM 'Rows Removed by Index Recheck: (\d+)')::bigint;
            IF removed IS NOT NULL THEN
                passed := passed + removed;
            END IF;
        END LOOP;
        SET LOCAL enable_seqscan = on;
        SET LOCAL enable_bitmapscan = off;
        SET LOCAL enable_indexscan = off;
        EXECUTE format('SELECT coalesce(array_agg(id ORDER BY id), ''{}'') FROM idref WHERE %I =%% $1', col)
            INTO by_scan USING r.q;
        RESET enable_bitmapscan; RESET enable_indexscan;
        queries := queries + 1;
        hits := hits + cardinality(want);
        passed := passed + cardinality(want);
        index_wrong := index_wrong + (by_index IS DISTINCT FROM want)::integer;
        scan_wrong := scan_wrong + (by_scan IS DISTINCT FROM want)::integer;
    END LOOP;
    aligned := passed;
    of_rows := queries * (SELECT count(*) FROM idref);
    RETURN NEXT;
END $$;

-- whether the GIN index answers q (EXPLAIN ANALYZE: its plan, as run)
CREATE FUNCTION uses_index(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
        IF line ~ 'Bitmap Index Scan on idref_seq' THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END $$;

SET kmersearch.strand = 'both';
SET kmersearch.min_identity = 0.97;
SELECT * FROM check_identity('seq');
SELECT * FROM check_identity('seq2');
SET kmersearch.min_query_coverage = 0.9;
SELECT * FROM check_identity('seq');
SET kmersearch.min_query_coverage = 1;
SELECT * FROM check_identity('seq');
SELECT * FROM check_identity('seq2');
-- the worst-case rows: those with 9 edits are found, at coverage 1 the
-- 9 X exactly at the threshold (their 141 keys); the 9 I rows cover 0.97
SELECT id, length(seq::text), (a).identity, (a).mismatches, (a).gaps,
       round((a.matches + a.mismatches)::numeric / length(q), 3) AS coverage,
       kmersearch_rawscore(seq, q) AS shared, seq =% q AS found
  FROM idref, (SELECT q FROM idq ORDER BY qid DESC LIMIT 1) x, kmersearch_align(seq, q) a
 WHERE id > 96 ORDER BY id;
SET kmersearch.min_query_coverage = 0.97;
SELECT array_agg(id ORDER BY id) AS found_at_coverage_097
  FROM idref, (SELECT q FROM idq ORDER BY qid DESC LIMIT 1) x WHERE id > 96 AND seq =% q;
SET kmersearch.min_query_coverage = 0.9;
SET kmersearch.identity_definition = alignment;
SELECT * FROM check_identity('seq');
RESET kmersearch.identity_definition;
SET kmersearch.strand = plus;
SET kmersearch.min_identity = 0.95;
SET kmersearch.min_query_coverage = 0.8;
SELECT * FROM check_identity('seq');
RESET kmersearch.min_query_coverage;

-- the best hits, as users write it: the index finds the rows, each is
-- aligned once (=% keeps the alignment for kmersearch_identity), and the
-- same ten come first as when every row is aligned
SET kmersearch.strand = 'both';
SET kmersearch.min_identity = 0.97;
SELECT * FROM plan($$SELECT id, kmersearch_identity(seq, q.q) AS identity
  FROM idref, idq q WHERE q.qid = 8 AND seq =% q.q ORDER BY identity DESC, id LIMIT 10$$);
SELECT array_agg(id) AS by_index FROM (
    SELECT id FROM idref, idq q WHERE q.qid = 8 AND seq =% q.q
     ORDER BY kmersearch_identity(seq, q.q) DESC, id LIMIT 10) x;
-- (the rows: those whose alignment with either strand qualifies; their
-- order: the identity of kmersearch_align's, the strand that scores higher)
SELECT array_agg(id) AS by_aligning_all FROM (
    SELECT id FROM idref, idq q, kmersearch_align(seq, q.q) a
     WHERE q.qid = 8 AND EXISTS (SELECT FROM brute b WHERE b.col = 'seq' AND b.def = 'internal' AND b.qid = 8
                                    AND b.id = idref.id AND b.identity >= 0.97 AND b.coverage >= 0.5)
     ORDER BY a.identity DESC, id LIMIT 10) x;

-- 90 %: with 16-mers no k-mer count is sure (k (1 - t) / t > 1), with 8-mers it is
SET kmersearch.strand = 'both';
SET kmersearch.min_identity = 0.9;
SET kmersearch.kmer_size = 8;
CREATE INDEX idref_seq_8 ON idref USING gin (seq);
SELECT * FROM check_identity('seq');
DROP INDEX idref_seq_8;

-- one key per distinct k-mer
SET kmersearch.min_identity = 0.97;
SET kmersearch.kmer_size = 12;
SET kmersearch.occur_bitlen = 0;
CREATE INDEX idref_seq_12 ON idref USING gin (seq);
SELECT * FROM check_identity('seq');
DROP INDEX idref_seq_12;
RESET kmersearch.kmer_size;
RESET kmersearch.occur_bitlen;

-- the row whose N run covers the whole read: identity near 1, no k-mer
-- shared; found through its marker keys
SET kmersearch.min_identity = 0.99;
SET kmersearch.min_query_coverage = 0.9;
SELECT id, kmersearch_rawscore(seq, q) AS shared, (kmersearch_align(seq, q)).identity
  FROM idref, (SELECT substr(s, 130, 120) AS q FROM anc WHERE a = 1) x
 WHERE id = 7;
SET enable_seqscan = off;
SELECT 7 = ANY (array_agg(id)) AS found FROM idref, (SELECT substr(s, 130, 120) AS q FROM anc WHERE a = 1) x WHERE seq =% q;
SELECT uses_index($$SELECT id FROM idref, (SELECT substr(s, 130, 120) AS q FROM anc WHERE a = 1) x WHERE seq =% q$$);
RESET enable_seqscan;
RESET kmersearch.min_query_coverage;

-- an index without the marker keys (as 1.0 built them) does not serve
-- searches by identity: the planner leaves it out
DROP INDEX idref_seq;
CREATE INDEX idref_seq_old ON idref USING gin (seq kmersearch_dna4_gin_ops (unkeyed_windows = false));
SET enable_seqscan = off;
SELECT * FROM plan($$SELECT id FROM idref WHERE seq =% 'ACGTACGTACGTACGTACGTACGTAAC'$$);
SET kmersearch.min_identity = 0;
SELECT * FROM plan($$SELECT id FROM idref WHERE seq =% 'ACGTACGTACGTACGTACGTACGTAAC'$$);
RESET enable_seqscan;

-- either strand: a row matches when its alignment with either strand of the
-- query reaches the identity and the coverage, not only with the strand
-- that scores higher.  A SILVA reference (its first 571 bases) and a read
-- (reverse complemented): the read's reverse complement aligns along all
-- its 250 bases at 89.6 %, the read itself overlaps the reference's first
-- 39 bases at 97.4 % (coverage 0.156), as vsearch finds them.
CREATE TABLE pair (id integer, seq dna4);
INSERT INTO pair VALUES (1, 'TTTCGTTCCGTACAAAAGCAGTTTACAATCCGAAGGCCTTCATCCTGCACGCGGCAGGCTGGATCAGGCAAAGCTTTGCTAATCCGCATCGATCTCAGCGATAAAGCAGGGGACCGCAAGGCCTTGCGCTCACGAGCGGCCGATGGCAGATTAGGTAGTTGGTGGGATAAAAGCTTACCAAGCCGACGATCTGTAGCTGGTCTGAGAGGACGACCAGCCACACTGGGACTGAGCACGGCCCAGACTCCTACGGGAGGCAGCAGTGGGGAATTTTGGACAATGGGCGCAAGCCTGATCCAGCCATGCCGCGTGCAGGATGAAGGCCTTCGGGTTGTAAACTGCTTTTGTACGGAACGAAAAGACTCTGGTTAATACCTGGGGTCCATGACGGTACCGTAAGAATAAGCACCGGCTAACTACCGTGCCAACAGCCGGGGTAATACCTAGGGTGCGAGCGTTAATCGGAATTACTGGGCGTAAAGCGGGCCCAGGCGGTTATGTAAGACATATGGGAAATCCCCGGGCTCAACCTGGGAACTGCATTTGTGACTGGATAACTTGAGTACGGCAG');
CREATE TABLE pairq (q text);
INSERT INTO pairq VALUES ('CTGCCGCACTCCAGCTTTGCAGTCACAAGCGCCATTCCCAGGTTGAGCCCGGGGATTTCACGCCTGTCTTACAAAACCGCCTGCGCACGCTTTACGCCCAGTAATTCCGATTAACGCTTGCACCCTACGTATTACCGCGGCTGCTGGCACGTAGTTAGCCGGTGCTTATTCTTACGGTACCGTCATTAGCCCCAGGTATTAACCAGAGCCGTTTCGTTCCGTACAAAAGCAGTTTACAACCCGAAGGCCT');
SET kmersearch.strand = 'both';
SELECT strand, round(identity::numeric, 4) AS identity, matches, mismatches, query_start, query_end,
       target_start, target_end FROM pair, pairq, kmersearch_align(seq, q);
SET kmersearch.strand = plus;
SELECT strand, round(identity::numeric, 4) AS identity, matches, mismatches, query_start, query_end,
       target_start, target_end FROM pair, pairq, kmersearch_align(seq, q);
SET kmersearch.strand = 'both';
SET kmersearch.min_identity = 0.97;
SET kmersearch.min_query_coverage = 0.15;
SELECT seq =% q AS found_at_coverage_015 FROM pair, pairq;
SET kmersearch.strand = plus;
SELECT seq =% q AS found_on_plus FROM pair, pairq;
SET kmersearch.strand = 'both';
CREATE INDEX pair_seq ON pair USING gin (seq);
SET enable_seqscan = off;
SELECT count(*) AS found_through_the_index FROM pair WHERE seq =% (SELECT q FROM pairq);
SELECT bool_or(p ~ 'Bitmap Index Scan on pair_seq') AS through_pair_seq
  FROM plan($$SELECT count(*) FROM pair WHERE seq =% (SELECT q FROM pairq)$$) p;
RESET enable_seqscan;
SET kmersearch.min_query_coverage = 0.5;
SELECT seq =% q AS found_at_coverage_05 FROM pair, pairq;
SET kmersearch.min_identity = 0.89;
SELECT seq =% q AS found_at_089 FROM pair, pairq;
RESET kmersearch.min_query_coverage;
DROP TABLE pair, pairq;

-- a read that a row holds as it is, on either strand: kmersearch_identity and
-- =% know its identity, 1, without aligning; kmersearch_align (which always
-- aligns) says the same.  Reads at a row's start, end and inside, the whole
-- row, their reverse complements, and with an N (aligned: N scores 0)
CREATE TABLE cont AS
SELECT a, s::dna4 AS seq, r.kind, r.q
  FROM anc, (VALUES (1, 250), (251, 250), (120, 100), (1, 500), (400, 101)) v(p, l),
       LATERAL (VALUES ('plus', substr(s, p, l)),
                       ('minus', kmersearch_revcomp(substr(s, p, l)::dna4)::text),
                       ('with N', overlay(substr(s, p, l) PLACING 'N' FROM 50))) r(kind, q);
SET kmersearch.strand = 'both';
SELECT kind, count(*) AS pairs,
       count(*) FILTER (WHERE kmersearch_identity(seq, q) = 1) AS identity_1,
       count(*) FILTER (WHERE kmersearch_identity(seq, q) = (kmersearch_align(seq, q)).identity) AS as_aligned
  FROM cont GROUP BY kind ORDER BY kind;
SET kmersearch.strand = plus;
SELECT kind, count(*) AS pairs,
       count(*) FILTER (WHERE kmersearch_identity(seq, q) = 1) AS identity_1,
       count(*) FILTER (WHERE kmersearch_identity(seq, q) = (kmersearch_align(seq, q)).identity) AS as_aligned
  FROM cont GROUP BY kind ORDER BY kind;
SET kmersearch.strand = 'both';
SET kmersearch.min_identity = 0.99;
SET kmersearch.min_query_coverage = 1.0;
SELECT kind, count(*) FILTER (WHERE seq =% q) AS found FROM cont GROUP BY kind ORDER BY kind;
SET kmersearch.identity_definition = alignment;
SELECT kind, count(*) FILTER (WHERE kmersearch_identity(seq, q) = (kmersearch_align(seq, q)).identity) AS as_aligned,
       count(*) FILTER (WHERE kmersearch_identity(seq, q) = 1) AS identity_1
  FROM cont GROUP BY kind ORDER BY kind;
RESET kmersearch.identity_definition;
RESET kmersearch.min_query_coverage;
DROP TABLE cont;

-- no k-mer threshold: said, and every row is aligned
SET kmersearch.min_identity = 0.5;
SELECT count(*) > 0 AS found FROM idref WHERE seq =% (SELECT q FROM idq WHERE qid = 1);
SET kmersearch.min_identity = 0.97;
SELECT count(*) FROM idref WHERE seq =% repeat('N', 40);

-- definitions that bound no k-mer count
SET kmersearch.identity_definition = mbl;
SELECT err($$SELECT count(*) FROM idref WHERE seq =% 'ACGTACGTACGTACGTACGT'$$);
SET kmersearch.identity_definition = shortest;
SELECT err($$SELECT count(*) FROM idref WHERE seq =% 'ACGTACGTACGTACGTACGT'$$);
RESET kmersearch.identity_definition;
SELECT err($$SET kmersearch.min_identity = 1.5$$);
SELECT err($$SET kmersearch.min_query_coverage = -0.1$$);

-- a row that shares enough k-mers with the query for the count, but in
-- pieces on diagonals far apart, which no alignment at 0.97 covering half
-- the query can hold: not aligned (under an alignment limit it could not
-- pass, no error), while a row that can match is aligned (the error)
CREATE TABLE sq (q text);
INSERT INTO sq SELECT translate(md5('a') || md5('b') || md5('c') || md5('d') || md5('e') || md5('f') || md5('g'),
                                '0123456789abcdef', 'ACGTACGTACGTACGT');
CREATE TABLE pieces (id integer, seq dna4);
INSERT INTO pieces
SELECT 1, (substr(q, 129, 32) || 'TTTTTTTTTT' || substr(q, 33, 32) || 'GGGGGGGGGG' || substr(q, 193, 32) ||
           'CCCCCCCCCC' || substr(q, 1, 32) || 'AAAAAAAAAA' || substr(q, 97, 32))::dna4 FROM sq
UNION ALL
SELECT 2, overlay(q PLACING 'A' FROM 100)::dna4 FROM sq;
SET kmersearch.min_query_coverage = 0.5;
SELECT id, kmersearch_rawscore(seq, q) AS shared, (kmersearch_align(seq, q)).identity,
       seq =% q AS found FROM pieces, sq ORDER BY id;
SET kmersearch.align_max_cells = 1000;
SELECT kmersearch_rawscore_cache_free() >= 0 AS emptied;   -- the alignments =% kept too
SELECT seq =% q AS found FROM pieces, sq WHERE id = 1;
SELECT err($$SELECT seq =% q FROM pieces, sq WHERE id = 2$$);
RESET kmersearch.align_max_cells;
-- repeats: more pairs of shared windows than are worth sorting (the row is
-- aligned unfiltered)
SELECT repeat('A', 3000)::dna4 =% repeat('A', 300) AS poly_a;
-- an identity so low that no part needs an intact window: a row with every
-- tenth base changed (no 12-mer in common) is aligned, and found
SET kmersearch.min_identity = 1e-18;
SELECT (SELECT string_agg(CASE WHEN i % 10 = 0 THEN translate(substr(q, i, 1), 'ACGT', 'CGTA') ELSE substr(q, i, 1) END,
                          '' ORDER BY i) FROM generate_series(1, length(q)) AS i)::dna4 =% q AS every_tenth
  FROM sq;
SET kmersearch.min_identity = 0.97;
RESET kmersearch.min_query_coverage;
DROP TABLE sq, pieces;

RESET kmersearch.min_identity;
RESET kmersearch.strand;
DROP TABLE idref, idq, anc, brute;
DROP FUNCTION check_identity(text), mutate(text, float8, float8), rseq(integer), edit_every(text, text, integer),
    relative(text, integer), read_of(text, integer), uses_index(text);
