-- The Supabase path (docs/supabase.md): access levels granted by allocator_grant_access,
-- staff acting only on their own restaurants, row level security on direct reads, the
-- PGRST form of errors for PostgREST requests, the lock budget under statement_timeout,
-- NULL as the default of optional parameters. The PostgREST stage plays the same over
-- PostgREST's own SQL; this suite pins the SQL-level behaviour.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.u(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
    RETURN ('0000000e-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid;
-- Sign in as user n (what PostgREST sets from the JWT); NULL signs out.
CREATE FUNCTION pg_temp.sign_in(n int) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('request.jwt.claims',
                      CASE WHEN n IS NULL THEN '' ELSE json_build_object('sub', pg_temp.u(n), 'role', 'authenticated')::text END,
                      false)
$$;
-- Booking 20 of restaurant 2 (table 9).
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
VALUES (b(20), r(2), 2, '2030-06-01 19:00+00', '2030-06-01 21:00+00', 'confirmed');
-- User 1 is staff of restaurant 1, user 2 of restaurant 2; user 3 of none.
INSERT INTO allocator_staff (user_id, restaurant_id) VALUES (pg_temp.u(1), r(1)), (pg_temp.u(2), r(2));

------------------------------------------------------------------------------------------
-- 1. The access step: one idempotent call per role.
------------------------------------------------------------------------------------------
CREATE ROLE regress_staff NOLOGIN;
CREATE ROLE regress_backend NOLOGIN;
CREATE ROLE regress_nobody NOLOGIN;
CREATE ROLE regress_login LOGIN;
SELECT allocator_grant_access('regress_staff', 'staff');
-- Again: the same grants, nothing else.
SELECT count(*) AS grants FROM allocator_grant_access('regress_staff', 'staff');
GRANT INSERT, UPDATE ON bookings TO regress_backend;  -- the app's writes, granted by hand
SELECT count(*) AS grants FROM allocator_grant_access('regress_backend', 'operator');
-- Changing the access takes back what the old one had.
SELECT count(*) AS grants FROM allocator_grant_access('regress_backend', 'service');
SELECT has_function_privilege('regress_backend', 'set_allocator_flag(text, boolean, text)', 'EXECUTE') AS backend_flags,
       has_function_privilege('regress_staff', 'set_allocator_flag(text, boolean, text)', 'EXECUTE') AS staff_flags,
       has_function_privilege('regress_staff', 'sweep_expired_holds(integer)', 'EXECUTE') AS staff_sweeps,
       has_function_privilege('regress_staff', 'allocator_grant_access(text, text)', 'EXECUTE') AS staff_grants,
       has_table_privilege('regress_staff', 'table_holds', 'SELECT') AS staff_reads_holds,
       has_table_privilege('regress_staff', 'table_holds', 'INSERT') AS staff_writes_holds,
       has_table_privilege('regress_staff', 'observability_events', 'SELECT') AS staff_reads_events,
       has_table_privilege('regress_backend', 'bookings', 'INSERT, UPDATE') AS app_writes_stay,
       has_table_privilege('regress_backend', 'observability_events', 'SELECT') AS operator_reads_gone;
SELECT role_name, access FROM allocator_role_access ORDER BY role_name;
-- Refused: unknown access, unknown role, PUBLIC, staff for a role that can log in.
SELECT try($$SELECT allocator_grant_access('regress_staff', 'admin')$$);
SELECT try($$SELECT allocator_grant_access('regress_no_such_role', 'staff')$$);
SELECT try($$SELECT allocator_grant_access('public', 'service')$$);
SELECT try($$SELECT allocator_grant_access('regress_login', 'staff')$$);
CREATE ROLE regress_bypass NOLOGIN BYPASSRLS;
SELECT try($$SELECT allocator_grant_access('regress_bypass', 'staff')$$);
-- A role with no access can call nothing (PostgREST: 401 for anon, 403 otherwise).
SET ROLE regress_nobody;
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS nobody_assigns;
SELECT try_state($$SELECT count(*) FROM table_holds$$) AS nobody_reads;
RESET ROLE;

------------------------------------------------------------------------------------------
-- 2. Staff act only on their own restaurants: 42501, nothing changed.
------------------------------------------------------------------------------------------
-- (Ids are compared, not shown by name: the naming helpers read tables staff cannot.)
SET ROLE regress_staff;
SELECT pg_temp.sign_in(1);
SELECT table_id = t(1) AS m1 FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT id AS staff_hold FROM create_table_hold(b(2), ARRAY[t(2)]) \gset
SELECT jsonb_array_length(manual_context(b(1)) -> 'tables') AS context_tables;
RESET ROLE;
SELECT state_hash() AS before_strangers \gset
SET ROLE regress_staff;
-- User 2 is staff of restaurant 2 only: every staff RPC on restaurant 1 is refused.
SELECT pg_temp.sign_in(2);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)])$$) AS assign;
SELECT try($$SELECT * FROM unassign_tables_atomic(b(1))$$) AS unassign;
SELECT try($$SELECT * FROM create_table_hold(b(3), ARRAY[t(3)])$$) AS create_hold;
SELECT try(format('SELECT * FROM confirm_table_hold(%L, %L)', :'staff_hold', b(2))) AS confirm_hold;
SELECT try(format('SELECT release_table_hold(%L)', :'staff_hold')) AS release_hold;
SELECT try($$SELECT manual_context(b(1))$$) AS manual_context;
SELECT try($$SELECT * FROM quote_tables(b(3))$$) AS quote,
       try($$SELECT * FROM auto_assign_booking(b(3))$$) AS auto_assign,
       try($$SELECT * FROM auto_hold_tables(b(3))$$) AS auto_hold;
-- What the refusal says.
SELECT try_detail($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)])$$) - 'user_id' = jsonb_build_object(
           'reason', 'not_member', 'restaurant_id', r(1)) AS detail_names_the_restaurant,
       try_detail($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)])$$) ->> 'user_id' = pg_temp.u(2)::text AS and_the_user;
\set VERBOSITY default
SELECT * FROM unassign_tables_atomic(b(1));
-- Arguments are still checked first, and a missing booking is still P0002.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[]::uuid[])$$) AS bad_argument;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(99), ARRAY[t(3)])$$) AS missing_booking;
-- Releasing a hold that does not exist is false for everyone, as before.
SELECT release_table_hold(gen_random_uuid()) AS released_nothing;
RESET ROLE;
SELECT state_hash() = :'before_strangers' AS strangers_changed_nothing;
SET ROLE regress_staff;
-- On their own restaurant user 2 acts.
SELECT table_id = t(9) AS x1 FROM assign_tables_atomic_v2(b(20), ARRAY[t(9)]);
-- No user, a user who is staff nowhere, claims that are not JSON or not a uuid: refused.
SELECT pg_temp.sign_in(NULL);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)])$$) AS no_claims;
SELECT pg_temp.sign_in(3);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)])$$) AS staff_nowhere;
SELECT set_config('request.jwt.claims', '{not json', false) IS NOT NULL AS bad_claims;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)])$$) AS bad_claims;
SELECT set_config('request.jwt.claims', '{"sub": "not-a-uuid"}', false) IS NOT NULL AS bad_sub;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)])$$) AS bad_sub;
SELECT set_config('request.jwt.claims', '{"sub": "\u0000"}', false) IS NOT NULL AS nul_sub;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)])$$) AS nul_sub;
-- Older PostgREST set request.jwt.claim.sub; it is read first, as auth.uid() does.
SELECT set_config('request.jwt.claim.sub', pg_temp.u(1)::text, false) IS NOT NULL AS legacy_sub;
SELECT table_id = t(3) AS m3 FROM assign_tables_atomic_v2(b(7), ARRAY[t(3)]);
SELECT set_config('request.jwt.claim.sub', '', false) IS NOT NULL AS legacy_sub_cleared;
RESET ROLE;
-- Everything the strangers tried changed nothing of restaurant 1 but what user 1 (by the
-- legacy claim) assigned: b7 on M3.
SELECT bn(booking_id) AS booking, tn(table_id) AS tbl, restaurant_id = r(1) AS restaurant_1
  FROM booking_table_assignments ORDER BY 1, 2;

-- A role that can log in could set the claims itself: they prove nothing for it, even when
-- it was granted the functions by hand.
GRANT EXECUTE ON FUNCTION manual_context(uuid) TO regress_login;
SET ROLE regress_login;
SELECT pg_temp.sign_in(1);
SELECT try($$SELECT manual_context(b(1))$$) AS login_role_forging_claims;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION manual_context(uuid) FROM regress_login;
-- A hold of another restaurant, with a booking of one's own: refused for the hold's
-- restaurant, before anything about the hold is told.
SELECT put_hold(5, b(20), ARRAY[t(9)], '2030-06-02 19:00+00', '2030-06-02 21:00+00', now() + interval '10 minutes');
SET ROLE regress_staff;
SELECT try(format('SELECT * FROM confirm_table_hold(%L, %L)', h(5), b(1))) AS foreign_hold,
       try_detail(format('SELECT * FROM confirm_table_hold(%L, %L)', h(5), b(1))) ->> 'restaurant_id' = r(2)::text AS names_its_restaurant;
RESET ROLE;
DELETE FROM table_holds WHERE id = h(5);

-- A role given service access acts on every restaurant with no user at all.
SET ROLE regress_backend;
SELECT pg_temp.sign_in(NULL);
SELECT count(*) AS unassigned FROM unassign_tables_atomic(b(20));
SELECT count(*) AS assigned FROM assign_tables_atomic_v2(b(20), ARRAY[t(9)]);
RESET ROLE;

------------------------------------------------------------------------------------------
-- 3. Direct reads: staff see their restaurants' rows; nobody writes but the functions.
------------------------------------------------------------------------------------------
SET ROLE regress_staff;
SELECT pg_temp.sign_in(1);
SELECT (SELECT count(*) FROM booking_table_assignments) AS assignments,
       (SELECT count(*) FROM table_holds) AS holds,
       (SELECT count(*) FROM allocations) AS mirror_rows,
       (SELECT bool_and(restaurant_id = r(1)) FROM allocations) AS all_restaurant_1;
SELECT pg_temp.sign_in(2);
SELECT (SELECT count(*) FROM booking_table_assignments) AS assignments,
       (SELECT count(*) FROM table_holds) AS holds,
       (SELECT count(*) FROM allocations) AS mirror_rows;
SELECT pg_temp.sign_in(NULL);
SELECT count(*) AS signed_out_sees FROM booking_table_assignments;
SELECT try_state($$DELETE FROM table_holds$$) AS staff_deletes_holds;
SELECT try_state($$UPDATE booking_table_assignments SET end_at = end_at$$) AS staff_updates;
RESET ROLE;
SET ROLE regress_backend;
SELECT count(*) AS service_sees FROM booking_table_assignments;
RESET ROLE;
-- Even a write privilege granted by hand meets row level security: no policy allows it.
GRANT DELETE ON table_holds TO regress_backend;
SET ROLE regress_backend;
DELETE FROM table_holds;
RESET ROLE;
SELECT count(*) AS holds_left FROM table_holds;
REVOKE DELETE ON table_holds FROM regress_backend;
-- A legacy writer that leaves out the restaurant (as the owner) gets the booking's.
INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at)
VALUES (b(7), t(7), '2030-06-01 20:00+00', '2030-06-01 22:00+00');
SELECT restaurant_id = r(1) AS filled FROM booking_table_assignments WHERE booking_id = b(7);
DELETE FROM booking_table_assignments WHERE booking_id = b(7) AND table_id = t(7);

-- A booking or table with assignments or holds keeps its restaurant (their rows carry it).
SELECT try($$UPDATE bookings SET restaurant_id = r(2) WHERE id = b(1)$$) AS booking_moves;
SELECT try($$UPDATE table_inventory SET restaurant_id = r(2) WHERE id = t(1)$$) AS table_moves;
SELECT try_state($$UPDATE bookings SET restaurant_id = r(2) WHERE id = b(6)$$) AS unseated_booking_moves;
UPDATE bookings SET restaurant_id = r(1) WHERE id = b(6);

------------------------------------------------------------------------------------------
-- 4. PostgREST requests (request.path set) get errors as PGRST, with the HTTP status in
-- DETAIL and the original SQLSTATE, message, detail and hint in the JSON MESSAGE.
------------------------------------------------------------------------------------------
SET ROLE regress_staff;
SELECT pg_temp.sign_in(1);
SELECT set_config('request.path', '/rpc/assign_tables_atomic_v2', false) IS NOT NULL AS postgrest;
SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[]::uuid[]);
SELECT * FROM assign_tables_atomic_v2(b(99), ARRAY[t(1)]);
SELECT * FROM assign_tables_atomic_v2(b(4), ARRAY[t(4)]);
SELECT manual_context(b(20));
\echo :LAST_ERROR_SQLSTATE
-- Inside a subtransaction (an EXCEPTION block, a savepoint) an app may catch the error by
-- its SQLSTATE: there it keeps it.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)])$$) AS in_exception_block;
BEGIN;
SAVEPOINT s;
SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)]);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- Not a PostgREST request: the plain contract.
SELECT set_config('request.path', '', false) IS NOT NULL AS not_postgrest;
SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)]);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

------------------------------------------------------------------------------------------
-- 5. The lock budget never outlives statement_timeout: 55P03 (503, retry), never 57014.
------------------------------------------------------------------------------------------
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('holder', 'dbname=' || current_database());
-- Another session holds booking 2's allocator lock in an open transaction.
SELECT dblink_exec('holder', 'BEGIN');
SELECT count(*) AS holder_assigned FROM dblink('holder',
    format('SELECT table_id FROM assign_tables_atomic_v2(%L, ARRAY[%L]::uuid[])', b(2), t(2))) AS x(table_id uuid);
-- A stranger is refused before it would wait for that lock (so it can never hold one of
-- another restaurant's locks): 42501 at once, not 55P03 after waiting.
SET ROLE regress_staff;
SELECT pg_temp.sign_in(2);
SET statement_timeout = '1s';
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)])$$) AS stranger_never_waits;
RESET statement_timeout;
SELECT pg_temp.sign_in(NULL);
RESET ROLE;
SET allocator.lock_timeout = '2s';
SET statement_timeout = '400ms';
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)])$$) AS short_statement_timeout;
-- The budget: 400 ms less a quarter kept back, less what the statement had used.
SELECT try_detail($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)])$$) AS lock_detail \gset
SELECT :'lock_detail'::jsonb - 'booking_id' - 'lock_budget_ms' AS detail,
       (:'lock_detail'::jsonb ->> 'lock_budget_ms')::int BETWEEN 200 AND 300 AS budget_within_statement_timeout;
-- The timer that runs is what counts, even when a function sets statement_timeout to 0 for
-- its own body: the caller's statement is still cancelled at 1 s.
CREATE FUNCTION pg_temp.assign_untimed() RETURNS bigint LANGUAGE sql SET statement_timeout = 0
    AS $$ SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)]) $$;
SET statement_timeout = '1s';
SELECT try($$SELECT pg_temp.assign_untimed()$$) AS statement_timeout_reset_inside;
RESET statement_timeout;
-- As a PostgREST request: 503 with Retry-After.
SET allocator.lock_timeout = '50ms';
SELECT set_config('request.path', '/rpc/create_table_hold', false) IS NOT NULL AS postgrest;
SELECT * FROM create_table_hold(b(2), ARRAY[t(2)]);
SELECT set_config('request.path', '', false) IS NOT NULL AS not_postgrest;
RESET allocator.lock_timeout;
SELECT dblink_exec('holder', 'ROLLBACK');
SELECT dblink_disconnect('holder');

------------------------------------------------------------------------------------------
-- 6. An explicit NULL for an optional parameter is its default (a JSON null from PostgREST).
------------------------------------------------------------------------------------------
SELECT tn(table_id) AS tbl FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)], p_idempotency_key => NULL,
       p_require_adjacency => NULL, p_assigned_by => NULL, p_start_at => NULL, p_end_at => NULL);
SELECT expires_at - now() AS ttl, metadata, created_by
  FROM create_table_hold(b(7), ARRAY[t(4)], p_ttl => NULL, p_metadata => NULL, p_require_adjacency => NULL,
                         p_start_at => NULL, p_end_at => NULL, p_created_by => NULL);
SELECT count(*) AS unassigned FROM unassign_tables_atomic(b(2), p_table_ids => NULL);

------------------------------------------------------------------------------------------
-- 7. One signature per function, and the functions PostgREST lists in this schema.
------------------------------------------------------------------------------------------
SELECT p.proname, count(*) AS signatures
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator'
 GROUP BY p.proname HAVING count(*) > 1;

------------------------------------------------------------------------------------------
-- 8. Supabase's "extensions" schema is refused: PostgREST never sees it.
------------------------------------------------------------------------------------------
\set suite_db :DBNAME
CREATE DATABASE regress_tenancy_schema;
\c regress_tenancy_schema
SET client_min_messages = warning;
CREATE SCHEMA extensions;
CREATE EXTENSION allocator SCHEMA extensions CASCADE;
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'allocator';
-- Another schema of its own works.
CREATE SCHEMA booking_api;
CREATE EXTENSION allocator SCHEMA booking_api CASCADE;
SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'allocator';
\c :suite_db
DROP DATABASE regress_tenancy_schema;

SELECT allocator_revoke_access('regress_staff'), allocator_revoke_access('regress_backend'),
       allocator_revoke_access('regress_backend') AS again;
SELECT count(*) AS recorded FROM allocator_role_access;
REVOKE INSERT, UPDATE ON bookings FROM regress_backend;
DROP ROLE regress_staff, regress_backend, regress_nobody, regress_login, regress_bypass;
DELETE FROM allocator_staff;
DROP EXTENSION dblink;
