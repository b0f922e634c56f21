--
-- Length functions of dna2 and dna4.
--
-- For each length n: bit_length = 2n (dna2) or 4n (dna4), and nuc_length,
-- char_length and length are n; checked against the text's own length.
CREATE TABLE lens (n integer PRIMARY KEY, t text);
INSERT INTO lens
SELECT n, substr(repeat('ACGTTGCAAGCT', n / 12 + 1), 1, n)
  FROM unnest(ARRAY[0, 1, 3, 4, 5, 31, 32, 33, 1000, 1000000]) AS n;

SELECT n,
       bit_length(t::dna2) AS bits2, nuc_length(t::dna2) AS nuc2,
       char_length(t::dna2) AS char2, length(t::dna2) AS len2,
       bit_length(t::dna4) AS bits4, nuc_length(t::dna4) AS nuc4,
       char_length(t::dna4) AS char4, length(t::dna4) AS len4
  FROM lens ORDER BY n;

-- the same from stored (and, for the long ones, TOASTed) values
CREATE TABLE lens_stored (n integer, d2 dna2, d4 dna4);
INSERT INTO lens_stored SELECT n, t, t FROM lens;
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE bit_length(d2) = 2 * n AND nuc_length(d2) = n
                          AND char_length(d2) = n AND length(d2) = n
                          AND bit_length(d4) = 4 * n AND nuc_length(d4) = n
                          AND char_length(d4) = n AND length(d4) = n) AS rows_right
  FROM lens_stored;

-- the decoded text is the input, upper-cased
SELECT count(*) FILTER (WHERE d2::text = l.t AND d4::text = l.t) AS round_trips
  FROM lens_stored s JOIN lens l USING (n);

-- long values are compressed or moved out of line like any varlena
SELECT n, pg_column_size(d2) < n / 4 + 8 AS d2_compact, pg_column_size(d4) < n / 2 + 8 AS d4_compact
  FROM lens_stored WHERE n >= 1000 ORDER BY n;

-- the same from values stored compressed in line and uncompressed out of line
CREATE TABLE lens_storage (n integer, d2m dna2, d4m dna4, d2x dna2, d4x dna4);
ALTER TABLE lens_storage ALTER d2m SET STORAGE main, ALTER d4m SET STORAGE main,
                         ALTER d2x SET STORAGE external, ALTER d4x SET STORAGE external;
INSERT INTO lens_storage SELECT n, t, t, t, t FROM lens WHERE n IN (1000, 1000000);
INSERT INTO lens_storage SELECT 40000, repeat('ACGT', 10000), repeat('ACGT', 10000), repeat('ACGT', 10000), repeat('ACGT', 10000);
SELECT n, pg_column_compression(d4m) IS NOT NULL AS d4m_compressed,
       pg_column_compression(d4x) IS NULL AS d4x_uncompressed,
       length(d2m) = n AND length(d4m) = n AND length(d2x) = n AND length(d4x) = n
       AND bit_length(d2m) = 2 * n AND bit_length(d4x) = 4 * n AS lengths_right,
       d2m::text = d4x::text AND d4m::text = d2x::text AS same_text
  FROM lens_storage ORDER BY n;
DROP TABLE lens_storage;

-- lengths of degenerate dna4 and mixed case input
SELECT length('nnnnRYKM'::dna4), bit_length('nnnnRYKM'::dna4), length('acgu'::dna2), bit_length('acgu'::dna2);

-- the text functions of the same names still resolve for text
SELECT length('ACGTA'), char_length('ACGTA'), bit_length('ACGTA');

DROP TABLE lens, lens_stored;
