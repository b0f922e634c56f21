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

COMMENT ON FUNCTION kmersearch_ddl_command_end() IS
    'event trigger: writes the settings new kmersearch GIN indexes were built with into their definition and records them';
COMMENT ON FUNCTION kmersearch_ddl_command_start() IS
    'event trigger: in a session that has not loaded the module yet, writes the session''s settings (and with kmersearch.preclude_highfreq_kmer on, the analysis to leave out) into CREATE INDEX';
COMMENT ON EVENT TRIGGER kmersearch_ddl_command_start IS
    'gives new kmersearch GIN indexes the session''s settings before they are built';
