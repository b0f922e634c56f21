-- The rows and scores of searches, through each kind of index and by a
-- scan, as checksums: the same before and after the upgrade.  The queries
-- have no degenerate codes: 1.1 counts a degenerate window of a query once
-- toward the threshold (1.0 counted each of its expansions), so the rows
-- of such queries change by design (sql/kmer_oracle.sql checks them).
SET kmersearch.min_shared_ngram_key_rate = 0.5;
CREATE TEMP TABLE q AS
SELECT id, overlay(substr(seq::text, 5, 90) PLACING 'T' FROM 40) AS q FROM s.ref WHERE id IN (42, 501, 1234, 1999);
CREATE FUNCTION pg_temp.answers(tab text, via text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r record;
    acc text := '';
    part text;
BEGIN
    IF via = 'index' THEN
        SET LOCAL enable_seqscan = off;
    ELSE
        SET LOCAL enable_bitmapscan = off;
        SET LOCAL enable_indexscan = off;
    END IF;
    FOR r IN SELECT id, q FROM q ORDER BY id LOOP
        EXECUTE format('SELECT string_agg(id || '':'' || kmersearch_rawscore(seq, %L), '','' ORDER BY id) FROM %s WHERE seq =%% %L',
                       r.q, tab, r.q) INTO part;
        acc := acc || r.id || '=' || coalesce(part, '') || ';';
    END LOOP;
    RETURN md5(acc) || ' ' || length(acc);
END $$;
SELECT 'k16 ref index ' || pg_temp.answers('s.ref', 'index');
SELECT 'k16 ref scan  ' || pg_temp.answers('s.ref', 'scan');
SELECT 'k16 part index ' || pg_temp.answers('s.part', 'index');
SET kmersearch.preclude_highfreq_kmer = on;
SELECT 'excl ref index ' || pg_temp.answers('s.ref', 'index');
SELECT 'excl ref scan  ' || pg_temp.answers('s.ref', 'scan');
RESET kmersearch.preclude_highfreq_kmer;
SET kmersearch.kmer_size = 12;
SELECT 'k12 ref2 index ' || pg_temp.answers('s.ref2', 'index');
SELECT 'k12 ref2 scan  ' || pg_temp.answers('s.ref2', 'scan');
SELECT 'k12 part index ' || pg_temp.answers('s.part', 'index');
RESET kmersearch.kmer_size;
