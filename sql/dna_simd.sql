--
-- Every SIMD level gives the results of the scalar code.
--
-- kmersearch.force_simd_capability caps the level used: 0 is scalar, 1 AVX2
-- (NEON on arm64), 2 AVX-512BW.  A cap above what the CPU has means the best
-- it has, so this file runs the same everywhere and checks every path the
-- machine can run.  The oracle for decoding is the input upper-cased with U
-- read as T.

-- the setting's range, once the module is loaded
SELECT kmersearch_simd_capability() IS NOT NULL AS loaded;
SET kmersearch.force_simd_capability = 3;
SET kmersearch.force_simd_capability = -2;
SET kmersearch.force_simd_capability = 0;
SELECT kmersearch_simd_capability();
RESET kmersearch.force_simd_capability;
-- a value set before the module is loaded is checked when it loads
\c
SET kmersearch.force_simd_capability = 7;
SELECT kmersearch_simd_capability() IS NOT NULL AS loaded;
SHOW kmersearch.force_simd_capability;
SET kmersearch.typo_setting = 1;
SELECT kmersearch_simd_capability() IN ('None', 'AVX2', 'AVX512BW', 'NEON') AS known_level;

-- inputs: every length 0-300 and some long ones, in each alphabet, mixed case
CREATE TABLE src (n integer, alphabet text, s text);
INSERT INTO src
SELECT n, a.name,
       (SELECT coalesce(string_agg(substr(a.letters, 1 + (hashint4(n * 7919 + j) & 65535) % length(a.letters), 1), ''), '')
          FROM generate_series(1, n) AS j)
  FROM (VALUES ('dna2', 'ACGTUacgtu'), ('dna4', 'ACGTUMRWSYKVHDBNacgtumrwsykvhdbn')) AS a(name, letters),
       (SELECT generate_series(0, 300) UNION ALL SELECT unnest(ARRAY[511, 512, 513, 1000, 4097, 65600, 100003])) AS l(n);

CREATE TABLE enc (level integer, n integer, alphabet text, b2 bytea, b4 bytea, t2 text, t4 text);
DO $$
BEGIN
    FOR level IN 0..2 LOOP
        PERFORM set_config('kmersearch.force_simd_capability', level::text, true);
        INSERT INTO enc
        SELECT level, n, alphabet,
               CASE WHEN alphabet = 'dna2' THEN dna2_send(s::dna2) END, dna4_send(s::dna4),
               CASE WHEN alphabet = 'dna2' THEN (s::dna2)::text END, (s::dna4)::text
          FROM src;
    END LOOP;
END $$;

-- decoded text equals the oracle at every level
SELECT e.level, count(*) AS inputs,
       count(*) FILTER (WHERE e.t4 = upper(translate(s.s, 'Uu', 'TT'))
                          AND (s.alphabet = 'dna4' OR e.t2 = upper(translate(s.s, 'Uu', 'TT')))) AS decoded_right
  FROM enc e JOIN src s USING (n, alphabet)
 GROUP BY e.level ORDER BY e.level;
-- encoded bytes equal the scalar ones at every level
SELECT e.level, count(*) FILTER (WHERE e.b2 IS NOT DISTINCT FROM z.b2 AND e.b4 = z.b4) AS same_bytes_as_scalar
  FROM enc e JOIN enc z ON z.level = 0 AND z.n = e.n AND z.alphabet = e.alphabet
 GROUP BY e.level ORDER BY e.level;
-- decoding stored values of every length at every level
CREATE TABLE stored AS SELECT n, alphabet, s::dna4 AS d4, CASE WHEN alphabet = 'dna2' THEN s::dna2 END AS d2 FROM src;
DO $$
DECLARE
    bad integer;
BEGIN
    FOR level IN 0..2 LOOP
        PERFORM set_config('kmersearch.force_simd_capability', level::text, true);
        SELECT count(*) INTO bad FROM stored JOIN src USING (n, alphabet)
         WHERE d4::text <> upper(translate(s, 'Uu', 'TT'))
            OR d2::text <> upper(translate(s, 'Uu', 'TT'))
            OR (d2::dna4)::text <> upper(translate(s, 'Uu', 'TT'));
        RAISE NOTICE 'level %: % stored values decoded wrongly', level, bad;
    END LOOP;
END $$;

-- the first invalid character is found at the same position at every level:
-- one or two bad characters at the start, middle and end, and at vector
-- boundaries
CREATE TABLE bad_src AS
SELECT n, p, q, ch,
       overlay(overlay(substr(repeat('acgtACGTtgca', 30), 1, n) PLACING ch FROM p) PLACING ch FROM q) AS s
  FROM unnest(ARRAY[1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 300]) AS n,
       LATERAL (SELECT DISTINCT p FROM unnest(ARRAY[1, (n + 1) / 2, n, 16, 17, 32, 33, 64, 65]) AS p WHERE p <= n) AS ps,
       LATERAL (SELECT unnest(ARRAY[p, n]) AS q) AS qs,
       unnest(ARRAY['X', '-', ' ', 'é', '@', '`']) AS ch;
CREATE TABLE bad_res (level integer, n integer, p integer, q integer, ch text, r2 text, r4 text);
DO $$
BEGIN
    FOR level IN 0..2 LOOP
        PERFORM set_config('kmersearch.force_simd_capability', level::text, true);
        INSERT INTO bad_res
        SELECT level, n, p, q, ch, err(format('SELECT %L::dna2', s)), err(format('SELECT %L::dna4', s)) FROM bad_src;
    END LOOP;
END $$;
SELECT level, count(*) AS cases,
       count(*) FILTER (WHERE r2 = format('22P02: invalid character "%s" at position %s for type dna2', ch, least(p, q))
                          AND r4 = format('22P02: invalid character "%s" at position %s for type dna4', ch, least(p, q))) AS right_position
  FROM bad_res GROUP BY level ORDER BY level;
-- N is a dna4 code but not a dna2 letter
DO $$
DECLARE
    r text;
BEGIN
    FOR level IN 0..2 LOOP
        PERFORM set_config('kmersearch.force_simd_capability', level::text, true);
        SELECT string_agg(DISTINCT err(format('SELECT %L::dna2', overlay(repeat('ACGT', 40) PLACING 'n' FROM p))), '; ')
          INTO r FROM unnest(ARRAY[40]) AS p;
        RAISE NOTICE 'level %: %', level, r;
    END LOOP;
END $$;

DROP TABLE src, enc, stored, bad_src, bad_res;
