--
-- Set-up shared by the regression tests, which run in this order in one
-- database: the extension, and helpers the tests use.
--
CREATE EXTENSION pg_kmersearch;

-- err(q): the SQLSTATE and message of q's error, or 'ok' when q succeeds
CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- plan(q): EXPLAIN (COSTS OFF) of q, one line a row, without the
-- "Disabled: true" lines PostgreSQL 18 adds under a node whose kind is
-- disabled (enable_seqscan = off) yet the only one possible: the plans the
-- tests pin are then the same on every version
CREATE FUNCTION plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        IF line !~ '^\s*Disabled: true$' THEN
            RETURN NEXT line;
        END IF;
    END LOOP;
END $$;

-- The k-mer oracle of the tests, in plain SQL and independent of the C code:
-- the windows of a sequence (substring over generate_series), each expanded
-- into the k-mers its IUPAC codes stand for when they are at most 10 and
-- dropped otherwise, the j-th occurrence of each k-mer numbered in window
-- order, keys (k-mer, j) kept for j <= 2^occur_bitlen.
-- the bases each letter stands for
CREATE TABLE iupac (code text, base text);
INSERT INTO iupac VALUES
  ('A','A'), ('C','C'), ('G','G'), ('T','T'),
  ('M','A'), ('M','C'), ('R','A'), ('R','G'), ('W','A'), ('W','T'),
  ('S','C'), ('S','G'), ('Y','C'), ('Y','T'), ('K','G'), ('K','T'),
  ('V','A'), ('V','C'), ('V','G'), ('H','A'), ('H','C'), ('H','T'),
  ('D','A'), ('D','G'), ('D','T'), ('B','C'), ('B','G'), ('B','T'),
  ('N','A'), ('N','C'), ('N','G'), ('N','T');

-- oracle_kmers(s, k): one row per k-mer occurrence: window start and the
-- k-mer (an expansion of the window when it has degenerate codes)
CREATE FUNCTION oracle_kmers(s text, k integer) RETURNS TABLE (p integer, kmer text)
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE
    u AS (SELECT upper(translate(s, 'Uu', 'TT')) AS s),
    pos AS (
        SELECT i, c.n
          FROM u CROSS JOIN generate_series(1, length(u.s)) AS i
          LEFT JOIN (SELECT code, count(*) AS n FROM iupac GROUP BY code) c ON c.code = substr(u.s, i, 1)
    ),
    -- a window's degenerate codes: a of 2 bases, b of 3, c of 4
    w AS (
        SELECT i AS p, substr((SELECT s FROM u), i, k) AS win,
               sum((n = 2)::integer) OVER f AS a, sum((n = 3)::integer) OVER f AS b,
               sum((n = 4)::integer) OVER f AS c
          FROM pos
        WINDOW f AS (ORDER BY i ROWS BETWEEN CURRENT ROW AND k - 1 FOLLOWING)
    ),
    -- its expansions, 2^a 3^b 4^c, in integers (11 for "over 10": five or
    -- more codes give at least 2^5)
    windows AS (
        SELECT p, win,
               CASE WHEN a + b + c > 4 THEN 11
                    ELSE (1::bigint << (a + 2 * c)::integer) * (ARRAY[1, 3, 9, 27, 81])[b + 1] END AS expansions
          FROM w WHERE p <= length((SELECT s FROM u)) - k + 1
    ),
    x (p, win, i, prefix) AS (
        SELECT p, win, 0, ''::text FROM windows WHERE expansions BETWEEN 2 AND 10
        UNION ALL
        SELECT x.p, x.win, x.i + 1, x.prefix || m.base
          FROM x JOIN iupac m ON m.code = substr(x.win, x.i + 1, 1)
         WHERE x.i < k
    )
    SELECT p, win FROM windows WHERE expansions = 1
    UNION ALL
    SELECT p, prefix FROM x WHERE i = k
$$;

-- oracle_keys(s, k, b): the keys (k-mer, j) with j <= 2^b, and the window
-- (its start p) each comes from
CREATE FUNCTION oracle_keys(s text, k integer, b integer) RETURNS TABLE (kmer text, j bigint, p integer)
LANGUAGE sql STABLE AS $$
    SELECT kmer, j, p FROM (
        SELECT kmer, p, row_number() OVER (PARTITION BY kmer ORDER BY p) AS j
          FROM oracle_kmers(s, k)) o
     WHERE j <= 1::bigint << b
$$;

