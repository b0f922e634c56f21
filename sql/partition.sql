--
-- kmersearch_partition_table and kmersearch_unpartition_table: round trips
-- on a table with awkward names, sequences, constraints, storage settings,
-- comments, indexes and an analysis; the same search results; errors that
-- leave the table as it was.
--
SET kmersearch.kmer_size = 8;
SET kmersearch.occur_bitlen = 8;
SET kmersearch.max_appearance_rate = 0.2;
SET kmersearch.min_shared_ngram_key_rate = 0.2;

CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Seq ""Table""" (
    id serial,
    ident integer GENERATED ALWAYS AS IDENTITY,
    name text COMPRESSION pglz NOT NULL DEFAULT 'unnamed',
    "Sequence" dna4 NOT NULL,
    name_len integer GENERATED ALWAYS AS (length(name)) STORED,
    CONSTRAINT "positive id" CHECK (id > 0),
    CONSTRAINT "unique id" UNIQUE (id)
);
ALTER TABLE "My Schema"."Seq ""Table""" ALTER COLUMN "Sequence" SET STORAGE EXTERNAL;
ALTER TABLE "My Schema"."Seq ""Table""" SET (fillfactor = 70);
COMMENT ON TABLE "My Schema"."Seq ""Table""" IS 'awkward';
COMMENT ON COLUMN "My Schema"."Seq ""Table""".name IS 'a name';
CREATE INDEX "name idx" ON "My Schema"."Seq ""Table""" (name);
COMMENT ON INDEX "My Schema"."name idx" IS 'by name';
-- a core in a third of the rows makes high-frequency k-mers
INSERT INTO "My Schema"."Seq ""Table""" (name, "Sequence")
SELECT 'n' || i,
       translate(md5(i::text) || CASE WHEN i % 3 = 0 THEN 'GATTACAGATTACCAGGTTCAAGG' ELSE '' END || md5((i + 1)::text),
                 '0123456789abcdef', 'ACGTACGTACGTACGT')
  FROM generate_series(1, 300) AS i;
SELECT highfreq_kmers_count > 0 AS found
  FROM kmersearch_perform_highfreq_analysis('"My Schema"."Seq ""Table"""', 'Sequence');
SET kmersearch.preclude_highfreq_kmer = on;
CREATE INDEX "gin idx" ON "My Schema"."Seq ""Table""" USING gin ("Sequence");
GRANT SELECT ON "My Schema"."Seq ""Table""" TO PUBLIC;
CREATE ROLE regress_kmersearch_col;
GRANT UPDATE (name) ON "My Schema"."Seq ""Table""" TO regress_kmersearch_col;
ALTER TABLE "My Schema"."Seq ""Table""" ALTER COLUMN name SET STATISTICS 500;
ALTER TABLE "My Schema"."Seq ""Table""" REPLICA IDENTITY FULL;

-- what must survive, as one row of facts
CREATE FUNCTION facts(OUT kind "char", OUT nrows bigint, OUT content bigint, OUT next_id integer,
                      OUT cols text, OUT idx text, OUT cons text, OUT comments text, OUT acl text,
                      OUT analyses bigint, OUT search text, OUT search_all text)
LANGUAGE plpgsql AS $$
DECLARE
    rel oid := '"My Schema"."Seq ""Table"""'::regclass;
BEGIN
    SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = rel;
    SELECT count(*), sum(hashtext(concat_ws('|', t.id, t.ident, t.name, t."Sequence", t.name_len)))
      INTO nrows, content FROM "My Schema"."Seq ""Table""" t;
    SELECT string_agg(format('%s %s %s %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod),
                             a.attnotnull, a.attstorage, a.attcompression,
                             concat(coalesce(pg_get_expr(d.adbin, d.adrelid), '-'), a.attidentity, a.attgenerated)),
                      '; ' ORDER BY a.attnum)
      INTO cols
      FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped;
    SELECT string_agg(regexp_replace(pg_get_indexdef(i.indexrelid), 'highfreq_source=''[0-9.]+''', 'highfreq_source=...'),
                      '; ' ORDER BY pg_get_indexdef(i.indexrelid))
      INTO idx FROM pg_index i WHERE i.indrelid = rel;
    -- (NOT NULL is in cols; 18 lists it in pg_constraint too, as contype n)
    SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' ORDER BY conname)
      INTO cons FROM pg_constraint WHERE conrelid = rel AND contype <> 'n';
    SELECT concat_ws(' / ', obj_description(rel, 'pg_class'), col_description(rel, 3),
                     obj_description('"My Schema"."name idx"'::regclass, 'pg_class'))
      INTO comments;
    SELECT c.relacl::text || ' ' || c.relreplident::text || ' ' ||
           (SELECT string_agg(a.attname || coalesce(a.attacl::text, '') || coalesce(a.attstattarget, -1), ',' ORDER BY a.attnum)
              FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped)
      INTO acl FROM pg_class c WHERE c.oid = rel;
    SELECT count(*) INTO analyses FROM kmersearch_analysis_status WHERE table_oid = rel;
    SELECT string_agg(t.id::text, ',' ORDER BY t.id) INTO search
      FROM "My Schema"."Seq ""Table""" t
     WHERE t."Sequence" =% translate(md5('6') || 'GATTACAGATTACCAGGTTCAAGG' || md5('7'), '0123456789abcdef', 'ACGTACGTACGTACGT');
    PERFORM set_config('kmersearch.preclude_highfreq_kmer', 'off', true);
    SELECT string_agg(t.id::text, ',' ORDER BY t.id) INTO search_all
      FROM "My Schema"."Seq ""Table""" t
     WHERE t."Sequence" =% translate(md5('6') || 'GATTACAGATTACCAGGTTCAAGG' || md5('7'), '0123456789abcdef', 'ACGTACGTACGTACGT');
    PERFORM set_config('kmersearch.preclude_highfreq_kmer', 'on', true);
    -- the sequences go on from where they were (not counted in the facts:
    -- the row is removed again)
    INSERT INTO "My Schema"."Seq ""Table""" ("Sequence") VALUES ('ACGTACGTAC') RETURNING id INTO next_id;
    DELETE FROM "My Schema"."Seq ""Table""" WHERE id = next_id;
END $$;
CREATE TABLE before AS SELECT * FROM facts();
SELECT kind, nrows, next_id, analyses, search, length(search_all) > 20 AS many_without_exclusion FROM before;

-- to partitions and back
SELECT kmersearch_partition_table('"My Schema"."Seq ""Table"""', 4);
CREATE TABLE partitioned AS SELECT * FROM facts();
SELECT kind, nrows, next_id, analyses, search FROM partitioned;
SELECT relname, relkind, reloptions FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
 WHERE i.inhparent = '"My Schema"."Seq ""Table"""'::regclass ORDER BY relname;
SELECT b.content = p.content AS same_rows, b.cols = p.cols AS same_columns, b.comments = p.comments AS same_comments,
       b.acl = p.acl AS same_privileges, b.search = p.search AS same_search,
       b.search_all = p.search_all AS same_search_without_exclusion, p.next_id = b.next_id + 1 AS sequences_go_on
  FROM before b, partitioned p;
SELECT p.idx, p.cons FROM partitioned p;
SELECT count(*) AS filtered_index_rows FROM kmersearch_gin_index_meta
 WHERE highfreq_filtered AND table_oid IN (SELECT relid FROM pg_partition_tree('"My Schema"."Seq ""Table"""'));
-- rows inserted now go to the partitions, and are found
INSERT INTO "My Schema"."Seq ""Table""" (name, "Sequence")
SELECT 'copy', "Sequence" FROM "My Schema"."Seq ""Table""" WHERE id = 6;
SET enable_seqscan = off;
SELECT count(*) AS found_twice FROM "My Schema"."Seq ""Table"""
 WHERE "Sequence" =% translate(md5('6') || 'GATTACAGATTACCAGGTTCAAGG' || md5('7'), '0123456789abcdef', 'ACGTACGTACGTACGT');
RESET enable_seqscan;
DELETE FROM "My Schema"."Seq ""Table""" WHERE name = 'copy';
SELECT kmersearch_unpartition_table('"My Schema"."Seq ""Table"""');
CREATE TABLE unpartitioned AS SELECT * FROM facts();
SELECT kind, nrows, analyses, search FROM unpartitioned;
SELECT b.content = u.content AS same_rows, b.cols = u.cols AS same_columns, b.comments = u.comments AS same_comments,
       b.acl = u.acl AS same_privileges, b.search = u.search AS same_search,
       b.search_all = u.search_all AS same_search_without_exclusion, u.next_id > b.next_id AS sequences_go_on
  FROM before b, unpartitioned u;
-- the unique constraint on id alone could not follow the partitions
SELECT b.idx AS before, u.idx AS after FROM before b, unpartitioned u;
SELECT reloptions FROM pg_class WHERE oid = '"My Schema"."Seq ""Table"""'::regclass;
-- the check constraint still holds; one partition works too, and the
-- default tablespace by name
SELECT err($$INSERT INTO "My Schema"."Seq ""Table""" (id, "Sequence") VALUES (-1, 'ACGT')$$);
SELECT kmersearch_partition_table('"My Schema"."Seq ""Table"""', 1, 'pg_default');
SELECT count(*) AS partitions FROM pg_inherits WHERE inhparent = '"My Schema"."Seq ""Table"""'::regclass;
SELECT kmersearch_unpartition_table('"My Schema"."Seq ""Table"""', 'pg_default');
-- with exclusion on in the session, a table with no analysis whose index
-- excludes nothing goes both ways, its index as it was
RESET kmersearch.preclude_highfreq_kmer;
CREATE TABLE plain_parts (id integer, s dna2);
INSERT INTO plain_parts SELECT i, 'ACGTACGTAAACCCGGGTTTACGATCGATCGA' FROM generate_series(1, 20) AS i;
CREATE INDEX plain_parts_gin ON plain_parts USING gin (s);
SET kmersearch.preclude_highfreq_kmer = on;
SELECT kmersearch_partition_table('plain_parts', 2);
SELECT pg_get_indexdef('plain_parts_gin'::regclass);
SELECT kmersearch_unpartition_table('plain_parts');
SELECT pg_get_indexdef('plain_parts_gin'::regclass);
RESET kmersearch.preclude_highfreq_kmer;
DROP TABLE plain_parts;

-- a long name of multibyte characters: partition names are cut by bytes
CREATE TABLE "ééééééééééééééééééééééééééééééé" (s dna4);
INSERT INTO "ééééééééééééééééééééééééééééééé" VALUES ('ACGTACGTACGT'), ('TTTTGGGGCCCC');
SELECT kmersearch_partition_table('"ééééééééééééééééééééééééééééééé"', 3);
SELECT relname, octet_length(relname) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
 WHERE i.inhparent = '"ééééééééééééééééééééééééééééééé"'::regclass ORDER BY 1;
DROP TABLE "ééééééééééééééééééééééééééééééé";

-- errors, each leaving the table as it was
CREATE TABLE plain (id integer, note text);
CREATE TABLE two (a dna2, b dna4);
CREATE TABLE one (id integer PRIMARY KEY, s dna2);
INSERT INTO one VALUES (1, 'ACGTACGT'), (2, 'TTTTGGGG');
CREATE TABLE parted (id integer, s dna4) PARTITION BY HASH (s);
SELECT err($$SELECT kmersearch_partition_table('plain', 2)$$);
SELECT err($$SELECT kmersearch_partition_table('two', 2)$$);
SELECT err($$SELECT kmersearch_partition_table('parted', 2)$$);
SELECT err($$SELECT kmersearch_partition_table('one', 0)$$);
SELECT err($$SELECT kmersearch_partition_table('one', NULL)$$);
SELECT err($$SELECT kmersearch_partition_table('no_such_table', 2)$$);
SELECT err($$SELECT kmersearch_partition_table('one', 2, 'no_such_tablespace')$$);
SELECT err($$SELECT kmersearch_unpartition_table('one')$$);
-- stricter isolation, row level security, views, publications and NOT
-- VALID checks are refused before anything changes
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT err($$SELECT kmersearch_partition_table('one', 2)$$);
ROLLBACK;
ALTER TABLE one ENABLE ROW LEVEL SECURITY;
SELECT err($$SELECT kmersearch_partition_table('one', 2)$$);
ALTER TABLE one DISABLE ROW LEVEL SECURITY;
CREATE VIEW one_view AS SELECT id FROM one;
SELECT err($$SELECT kmersearch_partition_table('one', 2)$$);
DROP VIEW one_view;
ALTER TABLE one ADD CONSTRAINT not_yet CHECK (id < 100) NOT VALID;
SELECT err($$SELECT kmersearch_partition_table('one', 2)$$);
ALTER TABLE one DROP CONSTRAINT not_yet;
SET client_min_messages = error;    -- (wal_level need not be logical here)
CREATE PUBLICATION one_pub FOR TABLE one;
RESET client_min_messages;
SELECT err($$SELECT kmersearch_partition_table('one', 2)$$);
DROP PUBLICATION one_pub;
CREATE TABLE referrer (id integer REFERENCES one (id));
SELECT err($$SELECT kmersearch_partition_table('one', 2)$$);
CREATE ROLE regress_kmersearch_part;
GRANT ALL ON SCHEMA public TO regress_kmersearch_part;
GRANT ALL ON one TO regress_kmersearch_part;
SET ROLE regress_kmersearch_part;
SELECT err($$SELECT kmersearch_partition_table('one', 2)$$);
RESET ROLE;
SELECT c.relname, c.relkind, (SELECT count(*) FROM one) AS rows_in_one
  FROM pg_class c WHERE c.relname IN ('plain', 'two', 'one', 'parted') ORDER BY 1;
SELECT count(*) AS leftovers FROM pg_class WHERE relname LIKE 'kmersearch_convert_%'  OR relname ~ '^one_p[0-9]+$';

DROP TABLE referrer, plain, two, one, parted, before, partitioned, unpartitioned;
REVOKE ALL ON SCHEMA public FROM regress_kmersearch_part;
DROP ROLE regress_kmersearch_part;
DROP SCHEMA "My Schema" CASCADE;
DROP ROLE regress_kmersearch_col;
DROP FUNCTION facts;
RESET ALL;
