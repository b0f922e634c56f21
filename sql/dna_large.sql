--
-- Long sequences: a million bases in and out, stored (TOASTed), converted.
--
CREATE TABLE big (id integer, t text, d2 dna2, d4 dna4);
INSERT INTO big
SELECT 1, t, t, t FROM (SELECT repeat('ACGTTGCAAC', 100000) AS t) s;
INSERT INTO big
SELECT 2, t, NULL, t FROM (SELECT repeat('ACGTNRYKMSWBDHVA', 62500) AS t) s;
SELECT id, length(t), length(d2), length(d4), bit_length(d2), bit_length(d4) FROM big ORDER BY id;
SELECT id, d2::text = t AS d2_round_trip, d4::text = t AS d4_round_trip,
       md5(d4::text) = md5(t) AS md5_same
  FROM big ORDER BY id;
-- stored compactly: out of line, and smaller than the text
SELECT id, pg_column_size(d2) < pg_column_size(t) AS d2_smaller, pg_column_size(d4) < pg_column_size(t) AS d4_smaller
  FROM big ORDER BY id;
-- conversions at full length
SELECT (d2::dna4)::text = t AS widened, (d4::dna2)::text = t AS narrowed FROM big WHERE id = 1;
SELECT d4::dna2 FROM big WHERE id = 2;
-- an invalid character at the very end of a million letters
SELECT (repeat('ACGT', 250000) || 'X')::dna2;
SELECT (repeat('ACGT', 250000) || 'X')::dna4;
-- past the 4 Mi-base chunks that encoding and decoding work in
SELECT length(s::dna2) AS len2, (s::dna2)::text = s AS dna2_round_trip,
       (s::dna4)::text = s AS dna4_round_trip, ((s::dna2)::dna4)::text = s AS widened,
       (((s::dna4)::dna2))::text = s AS narrowed
  FROM (SELECT repeat('ACGTTGCAAC', 419431) AS s) x;
SELECT (repeat('ACGT', 1048577) || 'X')::dna2;
SELECT (repeat('ACGT', 1048577) || 'é')::dna4;
SELECT (repeat('ACGT', 1048577) || 'N')::dna4::dna2;

-- comparison and hashing of long values
SELECT a.d4 = b.d4 AS eq, a.d4 < b.d4 AS lt, dna4_hash(a.d4) = dna4_hash((a.t)::dna4) AS hash_stable
  FROM big a, big b WHERE a.id = 1 AND b.id = 2;
DROP TABLE big;
