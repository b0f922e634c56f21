--
-- Security (SPEC §9): every entry point that reads or changes a table asks
-- for the privileges the same work would need by hand; names with quotes,
-- spaces, semicolons and capitals work and inject nothing; nothing but the
-- event trigger functions is SECURITY DEFINER; search_path cannot hijack
-- the PL/pgSQL code.
--
-- Settings no other test's analysis was made with, so that the table
-- fallback of searches sees only the analyses made here.
SET kmersearch.kmer_size = 7;
SET kmersearch.occur_bitlen = 4;
SET kmersearch.max_appearance_rate = 0.3;
SET kmersearch.max_appearance_nrow = 0;
SET kmersearch.min_shared_ngram_key_rate = 0.5;
SET max_parallel_maintenance_workers = 0;
\set VERBOSITY default
\set SHOW_CONTEXT never

-- 1. No function of the extension runs with its owner's rights but the two
-- event trigger functions, which nobody can call, with search_path pinned
-- (they record every user's DDL, also of users who may not use the
-- extension's schema); a SECURITY DEFINER function added later shows up
-- here by name.
SELECT count(*) FILTER (WHERE p.prosecdef) AS security_definer_functions,
       coalesce(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
                  FILTER (WHERE p.prosecdef), '{}') AS security_definer_names,
       count(*) > 50 AS extension_functions_seen
  FROM pg_extension e
  JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
                  AND d.deptype = 'e' AND d.classid = 'pg_proc'::regclass
  JOIN pg_proc p ON p.oid = d.objid
 WHERE e.extname = 'pg_kmersearch';
-- the functions not in C: the conversion, which builds SQL from names, pins
-- its search_path, and so do the event trigger functions; the SQL wrappers
-- for sequence queries cannot (the planner would no longer inline them):
-- every name in them is qualified
SELECT p.oid::regprocedure AS function, l.lanname, p.proconfig
  FROM pg_extension e
  JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
                  AND d.deptype = 'e' AND d.classid = 'pg_proc'::regclass
  JOIN pg_proc p ON p.oid = d.objid
  JOIN pg_language l ON l.oid = p.prolang
 WHERE e.extname = 'pg_kmersearch' AND l.lanname <> 'c'
 ORDER BY p.oid::regprocedure::text;
-- the extension's tables, and the view of the analyses: what PUBLIC may do
-- with them (the k-mer tables are read through the view only)
SELECT c.relname, c.relkind,
       has_table_privilege('public', c.oid, 'SELECT') AS public_select,
       has_table_privilege('public', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS public_write,
       c.reloptions
  FROM pg_extension e
  JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
                  AND d.deptype = 'e' AND d.classid = 'pg_class'::regclass
  JOIN pg_class c ON c.oid = d.objid
 WHERE e.extname = 'pg_kmersearch' AND (c.relkind = 'r' OR c.relname = 'kmersearch_analysis_status')
 ORDER BY c.relname;

-- 2. Privileges.  regress_kmersearch_owner owns a table with a dna2 and a
-- dna4 column, analysed and indexed; the others have USAGE on its schema,
-- and on the table: nothing (nobody), SELECT (reader), SELECT on id and s4
-- only (colreader).
CREATE ROLE regress_kmersearch_owner NOLOGIN;
CREATE ROLE regress_kmersearch_nobody NOLOGIN;
CREATE ROLE regress_kmersearch_reader NOLOGIN;
CREATE ROLE regress_kmersearch_colreader NOLOGIN;
CREATE SCHEMA regress_sec AUTHORIZATION regress_kmersearch_owner;
CREATE SCHEMA regress_nobody AUTHORIZATION regress_kmersearch_nobody;
GRANT USAGE ON SCHEMA regress_sec TO regress_kmersearch_nobody, regress_kmersearch_reader,
                                     regress_kmersearch_colreader;
SET ROLE regress_kmersearch_owner;
CREATE TABLE regress_sec.secret (id integer PRIMARY KEY, s2 dna2, s4 dna4);
-- a core in half the rows makes high-frequency k-mers
INSERT INTO regress_sec.secret
SELECT i, x, x
  FROM (SELECT i, translate(md5(i::text) || CASE WHEN i % 2 = 0 THEN 'GATTACAGATTACCAGGTTCAAGG' ELSE '' END
                            || md5((i * 7)::text), '0123456789abcdef', 'ACGTACGTACGTACGT') AS x
          FROM generate_series(1, 40) AS i) s;
SELECT total_rows, highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('regress_sec.secret', 's4');
SELECT total_rows, highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('regress_sec.secret', 's2');
SET kmersearch.preclude_highfreq_kmer = on;
CREATE INDEX secret_s4_gin ON regress_sec.secret USING gin (s4 kmersearch_dna4_gin_ops);
RESET kmersearch.preclude_highfreq_kmer;
CREATE INDEX secret_s2_gin ON regress_sec.secret USING gin (s2 kmersearch_dna2_gin_ops);
GRANT SELECT ON regress_sec.secret TO regress_kmersearch_reader;
GRANT SELECT (id, s4) ON regress_sec.secret TO regress_kmersearch_colreader;
RESET ROLE;
-- what the owner sees
SELECT table_name, column_name, kmer_size, highfreq_kmer_count FROM kmersearch_analysis_status
 WHERE table_oid = 'regress_sec.secret'::regclass ORDER BY column_name;
-- the query of the searches below: row 2's first 60 bases (with the core)
CREATE TABLE regress_sec.q AS SELECT substr(s4::text, 1, 60) AS q FROM regress_sec.secret WHERE id = 2;
GRANT SELECT ON regress_sec.q TO PUBLIC;

-- nobody: no privilege on the table
SET ROLE regress_kmersearch_nobody;
CREATE TABLE regress_nobody.mine (id integer, s4 dna4);
INSERT INTO regress_nobody.mine VALUES (1, 'ACGTACGTACGTACGTGATTACAGATTACC');
-- by hand: PostgreSQL itself refuses
SELECT count(*) FROM regress_sec.secret;
SELECT id FROM regress_sec.secret WHERE s4 =% (SELECT q FROM regress_sec.q);
BEGIN;
LOCK TABLE regress_sec.secret IN ACCESS SHARE MODE;
ROLLBACK;
-- the analysis: neither run, replaced nor undone (the error is about
-- ownership, not about the index that protects the analysis, which it
-- would name)
SELECT * FROM kmersearch_perform_highfreq_analysis('regress_sec.secret', 's4');
SELECT * FROM kmersearch_perform_highfreq_analysis('regress_sec.secret', 's2');
SELECT * FROM kmersearch_undo_highfreq_analysis('regress_sec.secret', 's4');
SELECT * FROM kmersearch_undo_highfreq_analysis('regress_sec.secret', 's2');
-- by OID and column number just the same
SELECT * FROM kmersearch_perform_highfreq_analysis('regress_sec.secret'::regclass::oid::text, '3');
SELECT * FROM kmersearch_undo_highfreq_analysis('regress_sec.secret'::regclass::oid::text, '2');
-- the caches: no load
SELECT kmersearch_highfreq_kmer_cache_load('regress_sec.secret', 's4');
SELECT kmersearch_highfreq_kmer_cache_load('regress_sec.secret'::regclass::oid::text, '2');
SELECT kmersearch_parallel_highfreq_kmer_cache_load('regress_sec.secret', 's4');
SELECT kmersearch_parallel_highfreq_kmer_cache_load('regress_sec.secret', 's2');
-- freeing: this backend's caches hold nothing of the table, so nothing is
-- freed; and the call leaves no lock on a table the role may not lock by hand
BEGIN;
SELECT err($$SELECT kmersearch_highfreq_kmer_cache_free('regress_sec.secret', 's4')$$)
       IN ('ok', '42501: permission denied for table secret') AS nothing_or_refused;
SELECT err($$SELECT kmersearch_parallel_highfreq_kmer_cache_free('regress_sec.secret', 's2')$$)
       IN ('ok', '42501: permission denied for table secret') AS nothing_or_refused;
SELECT count(*) AS locks_on_secret FROM pg_locks
 WHERE locktype = 'relation' AND relation = 'regress_sec.secret'::regclass AND pid = pg_backend_pid();
COMMIT;
SELECT kmersearch_highfreq_kmer_cache_free_all() AS freed, kmersearch_parallel_highfreq_kmer_cache_free_all() AS freed_parallel;
-- the cache settings cannot be forged
SET kmersearch.internal_highfreq_global_cache = '1.2.3';
SELECT set_config('kmersearch.internal_highfreq_parallel_cache', '1:2:3:4.5.6:7', false);
-- partitioning: refused, nothing changed; the conversion the two call is
-- not for users, and the move of analyses it makes is refused outside it
SELECT kmersearch_partition_table('regress_sec.secret', 2);
SELECT kmersearch_unpartition_table('regress_sec.secret');
SELECT kmersearch_convert_table('regress_sec.secret'::regclass, 2, NULL);
-- moving an analysis away from the table, or onto it
SELECT kmersearch_move_highfreq_analysis('regress_sec.secret', 'regress_nobody.mine');
SELECT kmersearch_move_highfreq_analysis('regress_nobody.mine', 'regress_sec.secret');
-- ... nor on the caller's own table
SELECT kmersearch_convert_table('regress_nobody.mine'::regclass, 2, NULL);
-- the tables of k-mers: neither read nor written
SELECT count(*) FROM kmersearch_highfreq_kmer;
SELECT count(*) FROM kmersearch_highfreq_kmer_meta;
INSERT INTO kmersearch_highfreq_kmer_meta VALUES ('regress_nobody.mine'::regclass, 's4', 7, 4, 0.3, 0, now());
DELETE FROM kmersearch_highfreq_kmer;
DELETE FROM kmersearch_gin_index_meta;
-- the view shows nothing of the table, even to a leaky function that the
-- planner would like to run first (the view is a security barrier)
CREATE FUNCTION regress_nobody.leak(t oid, c name) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
    RAISE NOTICE 'leaked: % %', t::regclass, c;
    RETURN true;
END $$;
SELECT table_name, column_name FROM kmersearch_analysis_status
 WHERE regress_nobody.leak(table_oid, column_name) AND table_oid = 'regress_sec.secret'::regclass;
SELECT count(*) AS analyses_visible FROM kmersearch_analysis_status;
-- kmersearch_gin_index_meta and kmersearch_index_info are readable by
-- everyone (documented): they hold an index's settings, the name of the
-- table whose analysis it leaves out, the number of k-mers it leaves out
-- and the planner's row count at the build, i.e. what pg_class and the
-- index definition (pg_get_indexdef, highfreq_source) show anyway; no k-mer
-- and no row of the table.
SELECT m.column_name, m.highfreq_filtered, m.highfreq_source_table, m.kmer_size, m.occur_bitlen,
       m.max_appearance_rate, i.total_nrow, i.highfreq_kmer_count > 0 AS counts_excluded
  FROM kmersearch_gin_index_meta m JOIN kmersearch_index_info i USING (index_oid)
 WHERE m.table_oid = 'regress_sec.secret'::regclass ORDER BY m.column_name;
SELECT i.total_nrow = c.reltuples AS row_count_is_reltuples,
       pg_get_indexdef(i.index_oid) ~ 'highfreq_source=' AS definition_names_analysis_too
  FROM kmersearch_index_info i JOIN pg_class c ON c.oid = i.table_oid
 WHERE i.table_oid = 'regress_sec.secret'::regclass AND i.column_name = 's4';
-- an index of its own may not leave out the table's k-mers
SELECT err(format($$CREATE INDEX ON regress_nobody.mine USING gin (s4 kmersearch_dna4_gin_ops (highfreq_source = %L))$$,
                  substring(pg_get_indexdef('regress_sec.secret_s4_gin'::regclass) FROM 'highfreq_source=''([^'']+)''')));
-- searches of its own table use that table's analysis (there is none), and
-- scores of values that are no table's do not fall back on the analysis of
-- a table it may not read
SET kmersearch.preclude_highfreq_kmer = on;
SELECT kmersearch_rawscore(s4, (SELECT q FROM regress_sec.q)) FROM regress_nobody.mine;
SELECT count(*) FROM regress_nobody.mine WHERE s4 =% (SELECT q FROM regress_sec.q);
SELECT kmersearch_rawscore('ACGTACGTACGTACGT'::dna4, (SELECT q FROM regress_sec.q));
RESET kmersearch.preclude_highfreq_kmer;
RESET ROLE;

-- reader: SELECT on the table.  It may search (also with the table's
-- analysis, through the caches or the table fallback) and see the analysis
-- in the view, not analyse, undo, partition or read the k-mer tables.
SET ROLE regress_kmersearch_reader;
SELECT count(*) AS nrows FROM regress_sec.secret;
SELECT table_name, column_name, highfreq_kmer_count FROM kmersearch_analysis_status
 WHERE table_oid = 'regress_sec.secret'::regclass ORDER BY column_name;
SELECT * FROM kmersearch_perform_highfreq_analysis('regress_sec.secret', 's4');
SELECT * FROM kmersearch_undo_highfreq_analysis('regress_sec.secret', 's2');
SELECT kmersearch_partition_table('regress_sec.secret', 2);
SELECT kmersearch_unpartition_table('regress_sec.secret');
SELECT kmersearch_move_highfreq_analysis('regress_sec.secret', 'regress_sec.q');
SELECT count(*) FROM kmersearch_highfreq_kmer;
SELECT kmersearch_highfreq_kmer_cache_load('regress_sec.secret', 's4');
SELECT kmersearch_parallel_highfreq_kmer_cache_load('regress_sec.secret', 's4');
SET kmersearch.preclude_highfreq_kmer = on;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM regress_sec.secret WHERE s4 =% 'GATTACAGATTACCAGGTTCAAGG';
SELECT array_agg(id ORDER BY id) AS ids FROM regress_sec.secret WHERE s4 =% (SELECT q FROM regress_sec.q);
RESET enable_seqscan;
RESET ROLE;
-- the caches the reader loaded stay in the session; another role of the
-- session that may not read the table must not search with them: its
-- search fails (as it does without them), rather than leave out the
-- table's k-mers (which would tell which k-mers are frequent there)
SET ROLE regress_kmersearch_nobody;
SELECT left(err($$SELECT kmersearch_rawscore(s4, (SELECT q FROM regress_sec.q)) FROM regress_nobody.mine$$), 5)
       = '42501' AS global_cache_refused;
SET kmersearch.force_use_parallel_highfreq_kmer_cache = on;
SELECT left(err($$SELECT kmersearch_rawscore(s4, (SELECT q FROM regress_sec.q)) FROM regress_nobody.mine$$), 5)
       = '42501' AS parallel_cache_refused;
RESET kmersearch.force_use_parallel_highfreq_kmer_cache;
RESET ROLE;
SET ROLE regress_kmersearch_reader;
SELECT kmersearch_highfreq_kmer_cache_free('regress_sec.secret', 's4') > 0 AS freed,
       kmersearch_parallel_highfreq_kmer_cache_free('regress_sec.secret', 's4') > 0 AS freed_parallel;
-- with no cache, both analyses match the settings: the search uses the
-- one of the table it reads
SELECT count(*) FROM regress_sec.secret WHERE s4 =% (SELECT q FROM regress_sec.q);
RESET kmersearch.preclude_highfreq_kmer;
RESET ROLE;

-- colreader: SELECT on id and s4.  That column's analysis is as good as
-- the reader's; s2's is as closed as to nobody.
SET ROLE regress_kmersearch_colreader;
SELECT count(s4) AS nrows FROM regress_sec.secret;
SELECT count(s2) FROM regress_sec.secret;
SELECT table_name, column_name FROM kmersearch_analysis_status
 WHERE table_oid = 'regress_sec.secret'::regclass ORDER BY column_name;
SELECT kmersearch_highfreq_kmer_cache_load('regress_sec.secret', 's4');
SELECT kmersearch_highfreq_kmer_cache_load('regress_sec.secret', 's2');
SELECT kmersearch_parallel_highfreq_kmer_cache_load('regress_sec.secret', 's2');
SELECT * FROM kmersearch_perform_highfreq_analysis('regress_sec.secret', 's4');
SELECT * FROM kmersearch_undo_highfreq_analysis('regress_sec.secret', 's4');
SELECT kmersearch_partition_table('regress_sec.secret', 2);
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;
-- with no cache, the one analysis it may read is the one searches use
SET kmersearch.preclude_highfreq_kmer = on;
SELECT array_agg(id ORDER BY id) AS ids FROM regress_sec.secret WHERE s4 =% (SELECT q FROM regress_sec.q);
SELECT kmersearch_rawscore(s4, q) AS raw, kmersearch_correctedscore(s4, q) AS corrected
  FROM regress_sec.secret, regress_sec.q WHERE id = 2;
RESET kmersearch.preclude_highfreq_kmer;
RESET ROLE;
-- all of it left the table, its analyses and its indexes as they were
SELECT c.relkind, (SELECT count(*) FROM regress_sec.secret) AS nrows,
       (SELECT string_agg(column_name || ':' || highfreq_kmer_count, ', ' ORDER BY column_name)
          FROM kmersearch_analysis_status WHERE table_oid = c.oid) AS analyses,
       (SELECT count(*) FROM kmersearch_gin_index_meta WHERE table_oid = c.oid) AS indexes,
       (SELECT count(*) FROM kmersearch_highfreq_kmer_meta WHERE table_oid = 'regress_nobody.mine'::regclass) AS forged
  FROM pg_class c WHERE c.oid = 'regress_sec.secret'::regclass;

-- 3. Awkward and hostile names: a schema, a table, a column and an index
-- with quotes, spaces, semicolons and capitals; a victim table that an
-- injection would drop.
CREATE TABLE regress_sec.victim (note text);
INSERT INTO regress_sec.victim VALUES ('still here');
GRANT ALL ON regress_sec.victim TO regress_kmersearch_owner;
CREATE SCHEMA "Sch ""E"" ;1" AUTHORIZATION regress_kmersearch_owner;
GRANT USAGE ON SCHEMA "Sch ""E"" ;1" TO regress_kmersearch_reader;
SET ROLE regress_kmersearch_owner;
SET search_path = regress_sec, public;
CREATE TABLE "Sch ""E"" ;1"."Evil; DROP TABLE victim; --" (
    "ID" integer PRIMARY KEY,
    "Seq ""Q"" ;x" dna4 NOT NULL
);
INSERT INTO "Sch ""E"" ;1"."Evil; DROP TABLE victim; --"
SELECT i, translate(md5(i::text) || CASE WHEN i % 3 = 0 THEN 'GATTACAGATTACCAGGTTCAAGG' ELSE '' END
                    || md5((i * 5)::text), '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 45) AS i;
GRANT SELECT ON "Sch ""E"" ;1"."Evil; DROP TABLE victim; --" TO regress_kmersearch_reader;
-- with no analysis yet, CREATE INDEX with exclusion says which command to
-- run: that command, run as given, must analyse this very table
CREATE FUNCTION regress_sec.hint_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    h text;
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN h;
END $$;
SET kmersearch.preclude_highfreq_kmer = on;
SELECT err(substring(regress_sec.hint_of($$CREATE INDEX ON "Sch ""E"" ;1"."Evil; DROP TABLE victim; --" USING gin ("Seq ""Q"" ;x")$$)
                     FROM '^Run (SELECT .*\)) first'))
       AS hinted_command_runs;
SELECT count(*) AS analyses FROM kmersearch_analysis_status
 WHERE table_oid = '"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"'::regclass;
RESET kmersearch.preclude_highfreq_kmer;
SELECT dropped_analyses FROM kmersearch_undo_highfreq_analysis('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 'Seq "Q" ;x');
-- the table name is parsed as a (qualified, quoted) identifier; the column
-- name is taken as it is, unquoted (quoted, it names no column)
SELECT total_rows, highfreq_kmers_count
  FROM kmersearch_perform_highfreq_analysis('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 'Seq "Q" ;x');
SELECT left(err($$SELECT kmersearch_perform_highfreq_analysis('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', '"Seq ""Q"" ;x"')$$), 5)
       AS quoted_column;
SELECT * FROM kmersearch_perform_highfreq_analysis('"Sch ""E"" ;1".Evil; DROP TABLE victim; --', 'Seq "Q" ;x');
SELECT * FROM kmersearch_perform_highfreq_analysis('Evil; DROP TABLE victim; --', 'Seq "Q" ;x');
SELECT * FROM kmersearch_perform_highfreq_analysis('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"; DROP TABLE victim', 'Seq "Q" ;x');
SELECT * FROM kmersearch_perform_highfreq_analysis('"Evil; DROP TABLE victim; --"', 'Seq "Q" ;x');    -- not on the search_path
-- an unquoted mixed-case name is folded to lower case, as in SQL
CREATE TABLE regress_sec."MixedCase" (s dna2);
INSERT INTO regress_sec."MixedCase" VALUES ('ACGTACGTACGT'), ('TTTTGGGGCCCCAAAA');
SELECT * FROM kmersearch_perform_highfreq_analysis('regress_sec.MixedCase', 's');
SELECT * FROM kmersearch_perform_highfreq_analysis('MixedCase', 's');
SELECT total_rows FROM kmersearch_perform_highfreq_analysis('regress_sec."MixedCase"', 's');
SELECT total_rows FROM kmersearch_perform_highfreq_analysis('"MixedCase"', 's');    -- on the search_path
SELECT kmersearch_highfreq_kmer_cache_load('MixedCase', 's');
SELECT kmersearch_partition_table('MixedCase', 2);
SELECT dropped_analyses FROM kmersearch_undo_highfreq_analysis('"MixedCase"', 's');
DROP TABLE regress_sec."MixedCase";
-- the view and the caches
SELECT table_name, column_name, highfreq_kmer_count > 0 AS found FROM kmersearch_analysis_status
 WHERE table_oid = '"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"'::regclass;
SELECT kmersearch_highfreq_kmer_cache_load('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 'Seq "Q" ;x');
SELECT kmersearch_highfreq_kmer_cache_free('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 'Seq "Q" ;x') > 0 AS freed;
SELECT kmersearch_parallel_highfreq_kmer_cache_load('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 'Seq "Q" ;x');
SELECT kmersearch_parallel_highfreq_kmer_cache_free('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 'Seq "Q" ;x') > 0 AS freed;
-- an index with a name as bad, without the high-frequency k-mers
SET kmersearch.preclude_highfreq_kmer = on;
CREATE INDEX "Gin ""ix""; DROP TABLE victim; --" ON "Sch ""E"" ;1"."Evil; DROP TABLE victim; --"
    USING gin ("Seq ""Q"" ;x" kmersearch_dna4_gin_ops);
SELECT column_name, highfreq_filtered, highfreq_source_table FROM kmersearch_gin_index_meta
 WHERE table_oid = '"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"'::regclass;
-- the analysis cannot change under it: the error names it, quoted
SELECT * FROM kmersearch_undo_highfreq_analysis('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 'Seq "Q" ;x');
-- =% through that index, with this analysis's k-mers left out; facts()
-- records what the conversions below must keep
CREATE TABLE regress_sec.evil_q AS
SELECT substr("Seq ""Q"" ;x"::text, 5, 50) AS q FROM "Sch ""E"" ;1"."Evil; DROP TABLE victim; --" WHERE "ID" = 6;
CREATE FUNCTION regress_sec.facts(OUT nrows bigint, OUT content bigint, OUT hits integer[], OUT hits_all integer[])
LANGUAGE plpgsql AS $$
BEGIN
    SELECT count(*), sum(hashtext("ID" || ':' || "Seq ""Q"" ;x"::text)) INTO nrows, content
      FROM "Sch ""E"" ;1"."Evil; DROP TABLE victim; --";
    SELECT array_agg("ID" ORDER BY "ID") INTO hits FROM "Sch ""E"" ;1"."Evil; DROP TABLE victim; --"
     WHERE "Seq ""Q"" ;x" =% (SELECT q FROM regress_sec.evil_q);
    -- every k-mer counted, the core matches
    PERFORM set_config('kmersearch.preclude_highfreq_kmer', 'off', true);
    SELECT array_agg("ID" ORDER BY "ID") INTO hits_all FROM "Sch ""E"" ;1"."Evil; DROP TABLE victim; --"
     WHERE "Seq ""Q"" ;x" =% 'GATTACAGATTACCAGGTTCAAGG';
    PERFORM set_config('kmersearch.preclude_highfreq_kmer', 'on', true);
END $$;
SELECT kmersearch_highfreq_kmer_cache_load('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 'Seq "Q" ;x');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT "ID" FROM "Sch ""E"" ;1"."Evil; DROP TABLE victim; --" WHERE "Seq ""Q"" ;x" =% 'GATTACAGATTACCAGGTTCAAGG';
CREATE TABLE regress_sec.evil_before AS SELECT * FROM regress_sec.facts();
RESET enable_seqscan;
SELECT nrows, hits, hits_all FROM regress_sec.evil_before;
-- the same rows without the index
SET enable_bitmapscan = off;
SELECT array_agg("ID" ORDER BY "ID") AS found_by_scan FROM "Sch ""E"" ;1"."Evil; DROP TABLE victim; --"
 WHERE "Seq ""Q"" ;x" =% (SELECT q FROM regress_sec.evil_q);
RESET enable_bitmapscan;
RESET ROLE;

-- 4. search_path: functions and an operator of another role, named like
-- those the PL/pgSQL code calls, first in the caller's search_path, are
-- never called (kmersearch_convert_table runs with its search_path pinned,
-- see proconfig above; the C code's SQL is schema-qualified and run with
-- search_path pg_catalog, pg_temp)
CREATE SCHEMA regress_hijack AUTHORIZATION regress_kmersearch_nobody;
GRANT USAGE ON SCHEMA regress_hijack TO PUBLIC;
SET ROLE regress_kmersearch_nobody;
CREATE FUNCTION regress_hijack.format(text, text, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked: format(%, %, %)', $1, $2, $3; END $$;
CREATE FUNCTION regress_hijack.format(text, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked: format(%, %)', $1, $2; END $$;
CREATE FUNCTION regress_hijack.quote_ident(text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked: quote_ident'; END $$;
CREATE FUNCTION regress_hijack.now() RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked: now'; END $$;
CREATE FUNCTION regress_hijack.unnest(bigint[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked: unnest'; END $$;
CREATE FUNCTION regress_hijack.pg_has_role(oid, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'hijacked: pg_has_role'; RETURN true; END $$;
CREATE FUNCTION regress_hijack.current_setting(text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'hijacked: current_setting'; RETURN 'read committed'; END $$;
CREATE FUNCTION regress_hijack.oideq(oid, oid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked: oid = oid'; END $$;
CREATE OPERATOR regress_hijack.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = regress_hijack.oideq);
-- they are called where nothing pins the search_path
SET search_path = regress_hijack, pg_catalog, public;
SELECT err($$SELECT format('%I.%I', 'a'::text, 'b'::text)$$) AS unpinned_format,
       err($$SELECT 1 FROM pg_class WHERE oid = 1259::oid$$) AS unpinned_operator;
-- the SQL wrappers for sequence queries, which nothing pins (they are
-- inlined), call only qualified names: a type text and a function of the
-- attacker first in the search_path are not used
CREATE TYPE regress_hijack.text AS (hijacked integer);
CREATE FUNCTION regress_hijack.kmersearch_rawscore(dna4, pg_catalog.text) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked: kmersearch_rawscore'; END $$;
CREATE FUNCTION regress_hijack.kmersearch_identity(dna4, pg_catalog.text) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked: kmersearch_identity'; END $$;
CREATE FUNCTION regress_hijack.kmersearch_align(dna4, pg_catalog.text) RETURNS kmersearch_alignment LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked: kmersearch_align'; END $$;
SET kmersearch.preclude_highfreq_kmer = off;   -- (the loaded cache is of a table this role may not read)
SELECT kmersearch_rawscore('ACGTACGTACGTACGTAC'::dna4, 'ACGTACGTACGTACGTAC'::dna4) AS wrapper_score,
       'ACGTACGTACGTACGTAC'::dna4 =% 'ACGTACGTACGTACGTAC'::dna4 AS wrapper_match,
       kmersearch_identity('ACGTACGTACGTACGTAC'::dna4, 'ACGTACGTACGTACGTAC'::dna4) AS wrapper_identity,
       (kmersearch_align('ACGTACGTACGTACGTAC'::dna4, 'ACGTACGTACGTACGTAC'::dna4)).cigar AS wrapper_cigar;
SET kmersearch.preclude_highfreq_kmer = on;
-- and the attacker's own call still finds it is not the table's owner
SELECT kmersearch_partition_table('regress_sec.secret', 2);
RESET ROLE;
-- the owner, with the attacker's schema first: to partitions and back, the
-- same rows and the same search results, through the index again
SET ROLE regress_kmersearch_owner;
SET search_path = regress_hijack, pg_catalog, regress_sec, public;
SELECT kmersearch_partition_table('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 3);
SET search_path = regress_sec, public;
SELECT c.relname, c.relkind FROM pg_class c
 WHERE c.relnamespace = '"Sch ""E"" ;1"'::regnamespace ORDER BY 1;
SELECT table_name, column_name FROM kmersearch_analysis_status
 WHERE table_oid = '"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"'::regclass;
SELECT kmersearch_highfreq_kmer_cache_load('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 'Seq "Q" ;x');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT "ID" FROM "Sch ""E"" ;1"."Evil; DROP TABLE victim; --" WHERE "Seq ""Q"" ;x" =% 'GATTACAGATTACCAGGTTCAAGG';
SELECT b.nrows = a.nrows AS same_nrows, b.content = a.content AS same_rows, b.hits = a.hits AS same_search,
       b.hits_all = a.hits_all AS same_search_without_exclusion
  FROM regress_sec.evil_before b, regress_sec.facts() a;
RESET enable_seqscan;
SET search_path = regress_hijack, pg_catalog, regress_sec, public;
SELECT kmersearch_unpartition_table('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"');
SET search_path = regress_sec, public;
SELECT c.relname, c.relkind FROM pg_class c
 WHERE c.relnamespace = '"Sch ""E"" ;1"'::regnamespace ORDER BY 1;
SELECT kmersearch_highfreq_kmer_cache_load('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 'Seq "Q" ;x');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT "ID" FROM "Sch ""E"" ;1"."Evil; DROP TABLE victim; --" WHERE "Seq ""Q"" ;x" =% 'GATTACAGATTACCAGGTTCAAGG';
SELECT b.nrows = a.nrows AS same_nrows, b.content = a.content AS same_rows, b.hits = a.hits AS same_search,
       b.hits_all = a.hits_all AS same_search_without_exclusion
  FROM regress_sec.evil_before b, regress_sec.facts() a;
RESET enable_seqscan;
SELECT kmersearch_highfreq_kmer_cache_free_all() > 0 AS freed;
-- the C functions' own SQL (writing the analysis, undoing it, the index
-- metadata the event triggers write) is not hijacked either
SET search_path = regress_hijack, pg_catalog, regress_sec, public;
SELECT total_rows, highfreq_kmers_count FROM kmersearch_perform_highfreq_analysis('regress_sec.secret', 's2');
SET kmersearch.preclude_highfreq_kmer = on;
CREATE INDEX secret_s2_gin_hf ON regress_sec.secret USING gin (s2 kmersearch_dna2_gin_ops);
SELECT highfreq_filtered, highfreq_source_table FROM kmersearch_gin_index_meta
 WHERE index_oid OPERATOR(pg_catalog.=) 'regress_sec.secret_s2_gin_hf'::regclass;
DROP INDEX secret_s2_gin_hf;
SELECT dropped_analyses FROM kmersearch_undo_highfreq_analysis('regress_sec.secret', 's2');
SET search_path = regress_sec, public;
RESET kmersearch.preclude_highfreq_kmer;
RESET ROLE;
-- the reader's SELECT was granted again on the new table
SET ROLE regress_kmersearch_reader;
SELECT count(*) AS nrows FROM "Sch ""E"" ;1"."Evil; DROP TABLE victim; --";
RESET ROLE;
-- the analysis undone once its index is gone; the victim is unharmed
SET ROLE regress_kmersearch_owner;
DROP INDEX "Sch ""E"" ;1"."Gin ""ix""; DROP TABLE victim; --";
SELECT dropped_analyses, dropped_highfreq_kmers > 0 AS dropped
  FROM kmersearch_undo_highfreq_analysis('"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"', 'Seq "Q" ;x');
RESET ROLE;
SELECT count(*) AS analyses_left FROM kmersearch_analysis_status
 WHERE table_oid = '"Sch ""E"" ;1"."Evil; DROP TABLE victim; --"'::regclass;
SELECT * FROM regress_sec.victim;

-- clean up
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA "Sch ""E"" ;1" CASCADE;
DROP SCHEMA regress_hijack CASCADE;
DROP SCHEMA regress_nobody CASCADE;
DROP SCHEMA regress_sec CASCADE;
RESET client_min_messages;
DROP ROLE regress_kmersearch_owner, regress_kmersearch_nobody, regress_kmersearch_reader,
          regress_kmersearch_colreader;
SELECT count(*) AS analyses_left FROM kmersearch_highfreq_kmer_meta;
RESET ALL;
