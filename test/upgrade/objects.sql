-- The extension's objects, each with a checksum of its definition and its
-- comment: a database updated from 1.0 must have what a new one has.
SELECT pg_describe_object(d.classid, d.objid, 0) || ' ' || md5(coalesce(CASE d.classid
         WHEN 'pg_proc'::regclass THEN
           (SELECT CASE WHEN p.prokind = 'a' THEN p.proname::text ELSE pg_get_functiondef(p.oid) END || coalesce(p.proacl::text, '')
              FROM pg_proc p WHERE p.oid = d.objid)
         WHEN 'pg_class'::regclass THEN
           (SELECT c.relkind::text || coalesce(c.relacl::text, '') || coalesce(pg_get_viewdef(c.oid), '') ||
                   (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                      FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
              FROM pg_class c WHERE c.oid = d.objid)
         WHEN 'pg_event_trigger'::regclass THEN
           (SELECT e.evtevent || e.evtfoid::regprocedure::text || coalesce(e.evttags::text, '') || e.evtenabled::text
              FROM pg_event_trigger e WHERE e.oid = d.objid)
         ELSE '' END, '') || coalesce(obj_description(d.objid, d.classid::regclass::text), ''))
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_kmersearch')
 ORDER BY 1;
SELECT 'version ' || extversion FROM pg_extension WHERE extname = 'pg_kmersearch';
SELECT 'config ' || array_to_string(extconfig::regclass[], ',') FROM pg_extension WHERE extname = 'pg_kmersearch';
SELECT 'config condition ' || c::regclass || ': ' || coalesce(w, '')
  FROM pg_extension, unnest(extconfig, extcondition) AS u(c, w)
 WHERE extname = 'pg_kmersearch' ORDER BY 1;
