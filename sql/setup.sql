--
-- Set-up shared by the regression tests, which run in this order in one
-- database: the extension, and helpers the tests use.
--
CREATE EXTENSION pg_kmersearch;

-- err(q): the SQLSTATE and message of q's error, or 'ok' when q succeeds
CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
