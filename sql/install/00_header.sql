-- allocator: schema and SQL API (docs/security.md says how this script is hardened).
--
-- CREATE EXTENSION runs this script with search_path set to the target schema, where other
-- roles may have created objects (functions or operators with better-matching argument
-- types than pg_catalog's). So, before anything else, the script pins search_path to
-- pg_catalog and pg_temp for the rest of its run (PostgreSQL restores the caller's
-- search_path when the command ends); on top of that, every object of the extension is
-- written @extschema@.name and every function and operator is pg_catalog's, named as such.
-- Every function pins the same search_path for its calls.

\echo Use "CREATE EXTENSION allocator" to load this file. \quit

SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
