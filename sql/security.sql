-- Privileges and search_path (docs/api.md#conventions; docs/failure-modes.md#9-open-privileges is in
-- failure_modes). A role with service access, like Supabase's service_role, allocates for
-- every restaurant without any write privilege on a table; the functions' pinned
-- search_path ignores the caller's. (Staff access and tenancy: the tenancy suite.)
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

CREATE ROLE regress_alloc_service;
SELECT count(*) AS grants FROM allocator_grant_access('regress_alloc_service', 'service');
SELECT has_table_privilege('regress_alloc_service', 'booking_table_assignments', 'SELECT') AS can_read_assignments,
       has_table_privilege('regress_alloc_service', 'booking_table_assignments', 'INSERT') AS can_write_assignments,
       has_function_privilege('regress_alloc_service', 'assign_tables_atomic_v2(uuid, uuid[], text, boolean, uuid, timestamptz, timestamptz)', 'EXECUTE') AS can_assign;

-- (Output shows raw ids: the readable-name helpers read tables this role cannot.)
SET ROLE regress_alloc_service;
SELECT table_id, start_at = '2030-06-01 19:00+00' AS booking_start FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
-- Errors read the same for the service role.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)])$$) AS conflict;
-- It reads every restaurant's rows, and writes none but through the functions.
SELECT count(*) FROM booking_table_assignments;
DELETE FROM booking_table_assignments;
RESET ROLE;
SELECT * FROM seats ORDER BY booking, tbl;

------------------------------------------------------------------------------------------
-- The caller's search_path cannot redirect the functions: objects of the same names in
-- another schema or in pg_temp (pg_temp is pinned last) are ignored.
------------------------------------------------------------------------------------------
CREATE SCHEMA regress_evil;
CREATE TABLE regress_evil.booking_table_assignments (LIKE booking_table_assignments);
CREATE TABLE regress_evil.bookings (LIKE bookings);
GRANT USAGE ON SCHEMA regress_evil TO regress_alloc_service;
SET ROLE regress_alloc_service;
SET search_path = regress_evil, public, allocator_test;
CREATE TEMP TABLE allocations (id int);
CREATE TEMP TABLE table_inventory (id uuid);
SELECT table_id FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)]);
SELECT table_id FROM unassign_tables_atomic(b(1));
RESET ROLE;
RESET search_path;
DISCARD TEMP;
SELECT * FROM seats ORDER BY booking, tbl;
SELECT * FROM mirror ORDER BY booking, resource_type, resource;
SELECT count(*) AS evil_rows FROM regress_evil.booking_table_assignments;

------------------------------------------------------------------------------------------
-- Revoking EXECUTE from PUBLIC does not stop the schema's triggers: an application role
-- that writes reference data can still add adjacency (the same-zone trigger fires).
------------------------------------------------------------------------------------------
CREATE ROLE regress_alloc_app;
GRANT SELECT, INSERT ON table_adjacencies, table_inventory TO regress_alloc_app;
SET ROLE regress_alloc_app;
INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(2), t(4));
SELECT try($$INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(3), t(7))$$) AS cross_zone;
RESET ROLE;

------------------------------------------------------------------------------------------
-- docs/api.md#conventions: every function of the extension has a COMMENT, and
-- every argument has a name (PostgREST calls them with JSON bodies). Offenders listed.
------------------------------------------------------------------------------------------
CREATE TEMP VIEW ext_functions AS
SELECT p.oid, p.proname, p.pronargs, p.proargnames, p.proargmodes
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator';
SELECT proname AS without_comment FROM ext_functions WHERE obj_description(oid, 'pg_proc') IS NULL;
SELECT proname AS with_unnamed_argument FROM ext_functions
 WHERE pronargs > 0
   AND (proargnames IS NULL
        OR EXISTS (SELECT 1 FROM unnest(proargnames) WITH ORDINALITY AS a(name, i)
                    WHERE coalesce(proargmodes[i], 'i') IN ('i', 'b', 'v') AND name = ''));
SELECT pg_get_function_identity_arguments('assign_tables_atomic_v2'::regproc) AS assign_arguments;
SELECT pg_get_function_result('assign_tables_atomic_v2'::regproc) AS assign_result;
SELECT pg_get_function_identity_arguments('unassign_tables_atomic'::regproc) AS unassign_arguments;
SELECT pg_get_function_result('unassign_tables_atomic'::regproc) AS unassign_result;

DROP SCHEMA regress_evil CASCADE;
REVOKE ALL ON table_adjacencies, table_inventory FROM regress_alloc_app;
DROP ROLE regress_alloc_app;
REVOKE ALL ON FUNCTION assign_tables_atomic_v2(uuid, uuid[], text, boolean, uuid, timestamptz, timestamptz),
                       unassign_tables_atomic(uuid, uuid[])
  FROM regress_alloc_service;
SELECT allocator_revoke_access('regress_alloc_service');
DROP ROLE regress_alloc_service;
