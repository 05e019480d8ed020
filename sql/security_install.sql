-- Issue 7, findings 2 and 3: CREATE EXTENSION in databases other people set up.
--  1. Supabase's init grants ALL on every new table, function and sequence in public to
--     anon, authenticated and service_role before any extension is created. After CREATE
--     EXTENSION allocator no role but the owner may hold any privilege on its objects.
--  2. A database owner who is no superuser owns public and plants there an =(oid, regclass)
--     (0.1.0's install script called it 76 times as superuser), &&, unnest(uuid[]) and the
--     rest of test/fixtures/hostile_plants.sql. A superuser's CREATE EXTENSION calls none.
--  3. Installed into a schema of its own, the whole API works: nothing assumes public.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
CREATE ROLE anon NOLOGIN;
CREATE ROLE authenticated NOLOGIN;
CREATE ROLE service_role NOLOGIN;
CREATE ROLE regress_db_owner NOLOGIN;

------------------------------------------------------------------------------------------
-- 1. Supabase's default privileges
------------------------------------------------------------------------------------------
CREATE DATABASE regress_supabase;
\c regress_supabase
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
CREATE EXTENSION allocator CASCADE;

CREATE TEMP VIEW members AS
SELECT p.oid::regprocedure::text AS object, p.proowner AS owner, p.proacl AS acl
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator'
  JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
 WHERE d.deptype = 'e'
UNION ALL
SELECT c.oid::regclass::text, c.relowner, c.relacl
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator'
  JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
 WHERE d.deptype = 'e';
SELECT count(*) >= 30 AS members_checked FROM members;
-- Every privilege of a role other than the owner (grantee 0 is PUBLIC): none.
SELECT m.object, a.grantee::regrole AS grantee, a.privilege_type
  FROM members m, aclexplode(m.acl) a
 WHERE a.grantee <> m.owner
 ORDER BY 1, 2, 3;
-- The same through the privilege functions, for the three Supabase roles.
SELECT r.rolname, count(*) FILTER (WHERE has_function_privilege(r.oid, p.oid, 'EXECUTE')) AS executable
  FROM pg_roles r,
       pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
       JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator'
 WHERE r.rolname IN ('anon', 'authenticated', 'service_role')
 GROUP BY r.rolname ORDER BY r.rolname;
SELECT r.rolname, count(*) FILTER (WHERE has_table_privilege(r.oid, c.oid,
           'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')) AS tables_with_any_privilege
  FROM pg_roles r,
       pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
       JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator'
 WHERE r.rolname IN ('anon', 'authenticated', 'service_role') AND c.relkind IN ('r', 'S')
 GROUP BY r.rolname ORDER BY r.rolname;

-- What anon did against 0.1.0, refused now.
SET ROLE anon;
SELECT * FROM set_allocator_flag('merges_enabled', false, 'anon');
SELECT * FROM assign_tables_atomic_v2('0000000c-0000-4000-8000-000000000001', ARRAY['0000000b-0000-4000-8000-000000000001']::uuid[]);
SELECT sweep_expired_holds();
INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at)
VALUES ('0000000c-0000-4000-8000-000000000001', '0000000b-0000-4000-8000-000000000001', now(), now() + interval '1 hour');
DELETE FROM observability_events;
TRUNCATE observability_events;
SELECT count(*) FROM table_holds;
CREATE TRIGGER anon_trigger BEFORE INSERT ON booking_table_assignments
    FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
CREATE TRIGGER anon_trigger BEFORE UPDATE ON bookings
    FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
RESET ROLE;

------------------------------------------------------------------------------------------
-- 2. A hostile owner of the database and of its public schema
------------------------------------------------------------------------------------------
\c contrib_regression
CREATE DATABASE regress_hostile_owner OWNER regress_db_owner;
\c regress_hostile_owner
CREATE EXTENSION btree_gist;   -- a dependency, created before the plants
SET ROLE regress_db_owner;
\set ECHO none
\i test/fixtures/hostile_plants.sql
\set ECHO all
RESET ROLE;

CREATE EXTENSION allocator;
SELECT planted, ran_as FROM public.attack_log;
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'regress_db_owner';
-- Nothing the install created uses a planted operator or function.
SELECT c.conname FROM pg_constraint c
 WHERE c.conrelid IN (SELECT d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                       WHERE e.extname = 'allocator' AND d.classid = 'pg_class'::regclass)
   AND c.conexclop && ARRAY(SELECT o.oid FROM pg_operator o WHERE o.oprowner = 'regress_db_owner'::regrole);
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS depends_on_public
  FROM pg_depend d
 WHERE d.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass)
   AND d.refobjid IN (SELECT p.oid FROM pg_proc p WHERE p.proowner = 'regress_db_owner'::regrole
                      UNION ALL SELECT o.oid FROM pg_operator o WHERE o.oprowner = 'regress_db_owner'::regrole)
   AND d.deptype = 'n'
   AND d.classid <> 'pg_operator'::regclass
   -- (the planted aggregate depends on its planted step function)
   AND NOT (d.classid = 'pg_proc'::regclass
            AND d.objid IN (SELECT p.oid FROM pg_proc p WHERE p.proowner = 'regress_db_owner'::regrole));

------------------------------------------------------------------------------------------
-- 3. Installed into a schema of its own: nothing assumes public. The caller's search_path
--    does not include that schema; every call names it.
------------------------------------------------------------------------------------------
\c contrib_regression
CREATE DATABASE regress_other_schema;
\c regress_other_schema
CREATE SCHEMA seating;
CREATE EXTENSION allocator SCHEMA seating CASCADE;
SELECT n.nspname AS installed_in FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'allocator';
INSERT INTO seating.zones (id, restaurant_id, name)
VALUES ('a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'main');
INSERT INTO seating.table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility) VALUES
    ('a3000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000001', 'T1', 2, 'movable'),
    ('a3000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000001', 'T2', 2, 'movable');
INSERT INTO seating.bookings (id, restaurant_id, party_size, start_at, end_at, status) VALUES
    ('b0000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 2, '2030-06-01 19:00+00', '2030-06-01 21:00+00', 'confirmed'),
    ('b0000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 2, '2030-06-01 19:00+00', '2030-06-01 21:00+00', 'confirmed');
SHOW search_path;
SELECT count(*) AS assigned
  FROM seating.assign_tables_atomic_v2('b0000000-0000-4000-8000-000000000001', ARRAY['a3000000-0000-4000-8000-000000000001']::uuid[], 'k1');
SELECT count(*) AS replayed
  FROM seating.assign_tables_atomic_v2('b0000000-0000-4000-8000-000000000001', ARRAY['a3000000-0000-4000-8000-000000000001']::uuid[], 'k1');
SELECT (seating.create_table_hold('b0000000-0000-4000-8000-000000000002', ARRAY['a3000000-0000-4000-8000-000000000002']::uuid[])).expires_at > now() AS held;
SELECT count(*) AS confirmed
  FROM seating.confirm_table_hold((SELECT id FROM seating.table_holds), 'b0000000-0000-4000-8000-000000000002');
SELECT seating.sweep_expired_holds() AS swept;
SELECT count(*) AS mirror_rows FROM seating.allocations;
SELECT jsonb_array_length(seating.manual_context('b0000000-0000-4000-8000-000000000001') -> 'tables') AS context_tables;
SELECT * FROM seating.allocator_verify();
SELECT count(*) AS unassigned FROM seating.unassign_tables_atomic('b0000000-0000-4000-8000-000000000001');

\c contrib_regression
DROP DATABASE regress_supabase;
DROP DATABASE regress_hostile_owner;
DROP DATABASE regress_other_schema;
DROP ROLE anon, authenticated, service_role, regress_db_owner;
