-- The library runs only against the installed SQL of its own version: otherwise every call
-- fails with 55000 (reason version_mismatch) naming both versions, before it reads or
-- writes anything. The connection reads the installed version once, and again only after
-- a function of the database changed (ALTER EXTENSION UPDATE replaces them all) or after
-- the check failed: nothing per call.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

SELECT try($$SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS matching_version;

-- As a database looks whose SQL is another version than the library loaded (0.1.9 SQL
-- after `make install` of this library, before ALTER EXTENSION UPDATE).
UPDATE pg_extension SET extversion = '0.1.9' WHERE extname = 'allocator';

-- This connection checked already and no function changed since: it is not read again.
SELECT try($$SELECT count(*) FROM unassign_tables_atomic(b(1), ARRAY[t(1)])$$) AS checked_already;
SELECT try($$SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS checked_already;

-- Any change to pg_proc reaches every connection, which then reads the version again.
CREATE FUNCTION pg_temp.any_function_change() RETURNS integer LANGUAGE sql RETURN 1;
SELECT try($$SELECT count(*) FROM unassign_tables_atomic(b(1), ARRAY[t(1)])$$) AS after_a_function_change;
SELECT try_detail($$SELECT count(*) FROM unassign_tables_atomic(b(1), ARRAY[t(1)])$$) AS detail;
DO $$
DECLARE
    message text;
    hint    text;
BEGIN
    PERFORM create_table_hold(b(2), ARRAY[t(2)]);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RAISE NOTICE 'message: %', message;
    RAISE NOTICE 'hint: %', hint;
END
$$;
-- Refused before anything was written: booking 1 keeps its table, booking 2 has no hold.
SELECT bn(booking_id), tn(table_id) FROM booking_table_assignments ORDER BY 1, 2;
SELECT count(*) AS holds FROM table_holds;

-- Back to the library's version: the next call reads it again (the last check failed).
UPDATE pg_extension SET extversion = '0.2.0' WHERE extname = 'allocator';
SELECT try($$SELECT count(*) FROM unassign_tables_atomic(b(1), ARRAY[t(1)])$$) AS matching_again;
