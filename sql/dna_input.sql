--
-- Text input and output of dna2 and dna4, casts between the types and text.
--
-- every letter, both cases; U is read as T; output is upper case
SELECT 'ACGT'::dna2, 'acgt'::dna2, 'acgtu'::dna2, 'U'::dna2, 'uUtT'::dna2;
SELECT 'ACGTUMRWSYKVHDBN'::dna4, 'acgtumrwsykvhdbn'::dna4;
SELECT l, l::dna4 AS upper_in, lower(l)::dna4 AS lower_in
  FROM unnest(string_to_array('A C G T U M R W S Y K V H D B N', ' ')) AS l;
SELECT 'AcGtAcGtAcGtAcGtAcGtAcGtAcGtAcGtAcGtA'::dna2;

-- the empty string is a zero-length sequence; NULL stays NULL
SELECT ''::dna2 AS e2, ''::dna4 AS e4, length(''::dna2), length(''::dna4);
SELECT NULL::dna2 IS NULL AS n2, NULL::dna4 IS NULL AS n4,
       length(NULL::dna2) IS NULL AS l2, (NULL::dna4)::text IS NULL AS t4;

-- invalid characters: first, middle and last position, both types
SELECT 'ACGX'::dna2;
SELECT 'XCGT'::dna2;
SELECT 'ACNGT'::dna2;
SELECT 'ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTZ'::dna4;
SELECT 'EACGT'::dna4;
SELECT 'ACG-T'::dna4;
SELECT err($q$SELECT 'ACGX'::dna2$q$);
SELECT err($q$SELECT 'XCGT'::dna2$q$);
SELECT err($q$SELECT 'ACG T'::dna2$q$);
SELECT err($q$SELECT 'ACGTé'::dna2$q$);
SELECT err($q$SELECT E'AC\tGT'::dna4$q$);
SELECT err($q$SELECT 'ACGTACGO'::dna4$q$);
SELECT err($q$SELECT 'acgtnacgt'::dna4$q$);
-- letters that are not bases: every other letter of the alphabet is refused
SELECT string_agg(chr(c), '' ORDER BY c) AS refused_by_dna4
  FROM generate_series(65, 90) AS c
 WHERE err(format('SELECT %L::dna4', chr(c))) LIKE '22P02:%';
SELECT string_agg(chr(c), '' ORDER BY c) AS refused_by_dna2
  FROM generate_series(97, 122) AS c
 WHERE err(format('SELECT %L::dna2', chr(c))) LIKE '22P02:%';
-- every byte outside the alphabets is refused
SELECT count(*) AS accepted_by_dna4
  FROM generate_series(1, 127) AS c
 WHERE err(format('SELECT %L::dna4', chr(c))) = 'ok';

-- casts: text <-> dna2/dna4, dna2 -> dna4, dna4 -> dna2
SELECT 'acgu'::text::dna2, 'ACGT'::dna2::text, 'nrYk'::text::dna4, 'NRYK'::dna4::text;
SELECT dna2('ttgca'), text('ACG'::dna4), dna4('ACGT'::dna2), dna2('ACGT'::dna4);
SELECT 'ACGTACGTA'::dna2::dna4, 'ACGTACGTA'::dna4::dna2;
SELECT 'ACGTNACGT'::dna4::dna2;
SELECT err($q$SELECT 'ACGTACGTAR'::dna4::dna2$q$);
CREATE TABLE cast_t (d2 dna2, d4 dna4, t text);
INSERT INTO cast_t VALUES ('ACGT'::text, 'ACGN'::text, 'GGG'::dna2);  -- assignment casts
INSERT INTO cast_t (d4) SELECT d2 FROM cast_t;                        -- dna2 -> dna4 by assignment
SELECT * FROM cast_t;
INSERT INTO cast_t (d2) SELECT d4 FROM cast_t WHERE d4 IS NOT NULL;   -- dna4 -> dna2 is explicit only
SELECT ''::text::dna2::dna4::text = '' AS empty_round_trip;
DROP TABLE cast_t;
