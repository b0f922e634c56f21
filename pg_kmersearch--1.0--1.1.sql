-- pg_kmersearch 1.0 -> 1.1
\echo Use "ALTER EXTENSION pg_kmersearch UPDATE TO '1.1'" to load this file. \quit

-- In 1.1 a kmersearch GIN index's kmer_size and occur_bitlen options default
-- to constants (16 and 8), never to the settings of the session that reads
-- or writes it, and CREATE INDEX writes the session's settings into its
-- definition before it runs.  1.0 wrote them at the end of the command, by an
-- event trigger; an index made where that trigger did not fire
-- (session_replication_role = replica, a disabled trigger, single-user mode)
-- has no such options, and may have been built with settings that are now
-- unknown.  Such an index is marked invalid, so that no search uses it, and
-- named with the command that rebuilds it.
DO $upgrade$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT DISTINCT x.indexrelid AS idx, x.indrelid AS tab, c.relkind
          FROM pg_catalog.pg_index x
          JOIN pg_catalog.pg_class c ON c.oid = x.indexrelid
          CROSS JOIN LATERAL pg_catalog.generate_series(0, x.indnkeyatts - 1) AS k
          JOIN pg_catalog.pg_depend d
            ON d.classid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AND d.objid = x.indclass[k]
           AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'
          JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_kmersearch'
          JOIN pg_catalog.pg_opclass o ON o.oid = x.indclass[k]
          JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indexrelid AND a.attnum = k + 1
         WHERE o.opcname IN ('kmersearch_dna2_gin_ops', 'kmersearch_dna4_gin_ops')
           AND NOT (EXISTS (SELECT FROM pg_catalog.unnest(a.attoptions) AS opt WHERE opt LIKE 'kmer\_size=%')
                    AND EXISTS (SELECT FROM pg_catalog.unnest(a.attoptions) AS opt WHERE opt LIKE 'occur\_bitlen=%'))
         ORDER BY 1
    LOOP
        IF r.relkind = 'i' THEN
            -- the lock REINDEX CONCURRENTLY takes: no build of it is under way
            EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE', r.tab::pg_catalog.regclass);
            UPDATE pg_catalog.pg_index SET indisvalid = false WHERE indexrelid = r.idx;
        END IF;
        RAISE WARNING 'index % was built by pg_kmersearch 1.0 with settings it did not record', r.idx::pg_catalog.regclass
            USING DETAIL = 'Its definition gives no kmer_size or occur_bitlen; until it is rebuilt, no search uses it, '
                           'and pg_dump leaves it out.',
                  HINT = pg_catalog.format('Run REINDEX INDEX %s to rebuild it with kmer_size 16 and occur_bitlen 8.',
                                           r.idx::pg_catalog.regclass);
    END LOOP;
END
$upgrade$;

-- 1.1 writes highfreq_source into every index ('' when it excludes
-- nothing), so that a restore where kmersearch.preclude_highfreq_kmer is on
-- gives no exclusion to an index that had none; 1.0 wrote it only for an
-- index with exclusion.  The key columns of 1.0 indexes without it get it
-- (an option the index's keys never depended on: nothing is rebuilt).
UPDATE pg_catalog.pg_attribute a
   SET attoptions = a.attoptions OPERATOR(pg_catalog.||) 'highfreq_source='::pg_catalog.text
  FROM pg_catalog.pg_index x, pg_catalog.pg_opclass o, pg_catalog.pg_depend d, pg_catalog.pg_extension e
 WHERE a.attrelid OPERATOR(pg_catalog.=) x.indexrelid AND a.attnum OPERATOR(pg_catalog.<=) x.indnkeyatts
   AND o.oid OPERATOR(pg_catalog.=) x.indclass[a.attnum OPERATOR(pg_catalog.-) 1]
   AND o.opcname IN ('kmersearch_dna2_gin_ops', 'kmersearch_dna4_gin_ops')
   AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_opclass'::pg_catalog.regclass AND d.objid OPERATOR(pg_catalog.=) o.oid
   AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype OPERATOR(pg_catalog.=) 'e'
   AND e.oid OPERATOR(pg_catalog.=) d.refobjid AND e.extname OPERATOR(pg_catalog.=) 'pg_kmersearch'
   AND EXISTS (SELECT FROM pg_catalog.unnest(a.attoptions) AS opt WHERE opt LIKE 'kmer\_size=%')
   AND NOT EXISTS (SELECT FROM pg_catalog.unnest(a.attoptions) AS opt WHERE opt LIKE 'highfreq\_source=%');

COMMENT ON FUNCTION kmersearch_ddl_command_end() IS
    'event trigger: writes the settings new kmersearch GIN indexes were built with into their definition and records them';
COMMENT ON FUNCTION kmersearch_ddl_command_start() IS
    'event trigger: in a session that has not loaded the module yet, writes the session''s settings (and with kmersearch.preclude_highfreq_kmer on, the analysis to leave out) into CREATE INDEX';
COMMENT ON EVENT TRIGGER kmersearch_ddl_command_start IS
    'gives new kmersearch GIN indexes the session''s settings before they are built';

-- Analyses name their table as regclass, which pg_dump writes as a name and a
-- restore reads back as its own OID; only analyses of columns that exist are
-- dumped.  An index names its analysis by analysis_timestamp alone.  The two
-- tables of indexes are no longer dumped: a restore records each index again
-- when it creates it.
DROP VIEW kmersearch_analysis_status;
ALTER TABLE kmersearch_highfreq_kmer ALTER COLUMN table_oid TYPE regclass USING table_oid::regclass;
ALTER TABLE kmersearch_highfreq_kmer_meta ALTER COLUMN table_oid TYPE regclass USING table_oid::regclass;
SELECT pg_catalog.pg_extension_config_dump('kmersearch_highfreq_kmer',
    'WHERE EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) table_oid '
    'AND a.attname OPERATOR(pg_catalog.=) column_name AND NOT a.attisdropped)');
SELECT pg_catalog.pg_extension_config_dump('kmersearch_highfreq_kmer_meta',
    'WHERE EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) table_oid '
    'AND a.attname OPERATOR(pg_catalog.=) column_name AND NOT a.attisdropped)');
-- dropping a table from the extension removes it from what pg_dump dumps
ALTER EXTENSION pg_kmersearch DROP TABLE kmersearch_gin_index_meta;
ALTER EXTENSION pg_kmersearch ADD TABLE kmersearch_gin_index_meta;
ALTER EXTENSION pg_kmersearch DROP TABLE kmersearch_index_info;
ALTER EXTENSION pg_kmersearch ADD TABLE kmersearch_index_info;

CREATE VIEW kmersearch_analysis_status WITH (security_barrier) AS
    SELECT m.table_oid::oid AS table_oid,
           CASE WHEN c.oid IS NOT NULL THEN m.table_oid::text END AS table_name,
           m.column_name, m.kmer_size, m.occur_bitlen, m.max_appearance_rate, m.max_appearance_nrow,
           m.analysis_timestamp,
           (SELECT count(*) FROM kmersearch_highfreq_kmer h
             WHERE h.table_oid::oid = m.table_oid::oid AND h.column_name = m.column_name)::integer AS highfreq_kmer_count
      FROM kmersearch_highfreq_kmer_meta m
      LEFT JOIN pg_catalog.pg_class c ON c.oid = m.table_oid::oid
     WHERE c.oid IS NULL OR pg_catalog.has_table_privilege(m.table_oid::oid, 'SELECT')
        OR EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = m.table_oid::oid AND a.attname = m.column_name AND NOT a.attisdropped
                      AND pg_catalog.has_column_privilege(m.table_oid::oid, a.attnum, 'SELECT'));
COMMENT ON VIEW kmersearch_analysis_status IS 'each high-frequency k-mer analysis of a table one may read, and how many k-mers it found';
GRANT SELECT ON kmersearch_analysis_status TO PUBLIC;
