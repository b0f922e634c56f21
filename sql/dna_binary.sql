--
-- Binary send/receive: the documented format, binary COPY round trips, and
-- malformed input to receive.
--
-- Format: int32 number of bases (network order), then the packed bases,
-- first base in the high bits, unused trailing bits zero.
SELECT dna2_send('ACGTA') AS acgta_dna2, dna4_send('ACGTN') AS acgtn_dna4,
       dna2_send('') AS empty_dna2, dna4_send('') AS empty_dna4;

-- A binary COPY round trip of many values through a file.
CREATE TABLE rt (id integer, d2 dna2, d4 dna4);
INSERT INTO rt
SELECT n, substr(repeat('GATTACA', 200), 1, n), substr(repeat('ACGTNRYKMSWBDHV', 80), 1 + n % 7, n)
  FROM generate_series(0, 70) AS n;
INSERT INTO rt VALUES (1000, repeat('ACGT', 250), repeat('ACGTN', 200)),
                      (1000000, repeat('TTGCA', 200000), repeat('ACGTR', 200000)),
                      (-1, NULL, NULL);
\copy rt TO 'results/dna_binary_rt.bin' WITH (FORMAT binary)
CREATE TABLE rt_back (LIKE rt);
\copy rt_back FROM 'results/dna_binary_rt.bin' WITH (FORMAT binary)
SELECT count(*) AS rows_back,
       count(*) FILTER (WHERE a.d2 IS NOT DISTINCT FROM b.d2 AND a.d4 IS NOT DISTINCT FROM b.d4
                          AND a.d2::text IS NOT DISTINCT FROM b.d2::text) AS identical
  FROM rt a JOIN rt_back b USING (id);

-- Feeding chosen bytes to receive: a one-row binary COPY stream made in SQL
-- and written by printf (octal escapes) on the server.
CREATE FUNCTION copy_stream(field bytea) RETURNS bytea LANGUAGE sql AS $$
    SELECT '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea
        || '\x0001'::bytea || int4send(length(field)) || field || '\xffff'::bytea
$$;
CREATE FUNCTION printf_command(b bytea) RETURNS text LANGUAGE sql AS $$
    SELECT 'printf ''' || string_agg('\' || (get_byte(b, i) >> 6) || ((get_byte(b, i) >> 3) & 7)
                                     || (get_byte(b, i) & 7), '' ORDER BY i) || ''''
      FROM generate_series(0, length(b) - 1) AS i
$$;
-- recv_into(table, field): load one field; 'ok' or the error with its detail
CREATE FUNCTION recv_into(tab text, field bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE format('COPY %I FROM PROGRAM %L WITH (FORMAT binary)', tab, printf_command(copy_stream(field)));
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || coalesce(' (' || nullif(detail, '') || ')', '');
END $$;

CREATE TABLE b2 (seq dna2);
CREATE TABLE b4 (seq dna4);
-- well-formed
SELECT recv_into('b2', '\x000000051b00'), recv_into('b2', '\x00000000'), recv_into('b2', '\x00000004e4');
SELECT recv_into('b4', '\x000000051248f0'), recv_into('b4', '\x00000000'), recv_into('b4', '\x00000003fed0');
SELECT seq, length(seq) FROM b2 ORDER BY seq;
SELECT seq, length(seq) FROM b4 ORDER BY seq;
-- malformed: negative count, count beyond the data, more than the maximum,
-- nonzero padding, trailing bytes, a truncated count, dna4 code 0
SELECT recv_into('b2', '\xffffffff') AS negative;
SELECT recv_into('b2', '\x000000091b00') AS short_data;
SELECT recv_into('b2', '\x7fffffff00') AS too_long;
SELECT recv_into('b2', '\x000000051b01') AS dirty_padding;
SELECT recv_into('b2', '\x000000041b00') AS trailing_byte;
SELECT recv_into('b2', '\x0000') AS truncated_count;
SELECT recv_into('b4', '\x0000000210') AS zero_code;
SELECT recv_into('b4', '\x0000000201') AS zero_first_code;
SELECT recv_into('b4', '\x0000000111') AS dirty_padding;
SELECT recv_into('b4', '\x00000003ffff') AS dirty_padding_long;
-- nothing malformed got in
SELECT (SELECT count(*) FROM b2) AS b2_rows, (SELECT count(*) FROM b4) AS b4_rows;

DROP TABLE rt, rt_back, b2, b4;
DROP FUNCTION copy_stream, printf_command, recv_into;
